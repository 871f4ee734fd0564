//! Latency histograms.

use std::time::Duration;

use serde_json::{json, Value};

// Histogram
// ---------------------------------------------------------------------------------------------

const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;
const EXACT: u64 = 2 * SUB;
const BUCKETS: usize = (EXACT + (64 - SUB_BITS as u64 - 1) * SUB) as usize;

/// A log-bucket latency histogram (HDR-like): values below 64 are exact, above that each power
/// of two is split into 32 buckets, so any recorded value is known within ~3%. Values are
/// nanoseconds; recording is a few instructions and never allocates.
#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64]>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("count", &self.count)
            .field("min", &self.min)
            .field("max", &self.max)
            .finish()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }
}

fn bucket_of(v: u64) -> usize {
    if v < EXACT {
        return v as usize;
    }
    let e = 63 - v.leading_zeros();
    let shift = e - SUB_BITS;
    let mantissa = v >> shift;
    (EXACT + (shift as u64 - 1) * SUB + (mantissa - SUB)) as usize
}

fn bucket_high(i: usize) -> u64 {
    let i = i as u64;
    if i < EXACT {
        return i;
    }
    let j = i - EXACT;
    let shift = j / SUB + 1;
    let mantissa = j % SUB + SUB;
    let high = (u128::from(mantissa + 1) << shift) - 1;
    u64::try_from(high).unwrap_or(u64::MAX)
}

impl Histogram {
    /// Records one value (nanoseconds).
    pub fn record(&mut self, v: u64) {
        self.counts[bucket_of(v)] += 1;
        self.count += 1;
        self.sum += v as u128;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    /// Records a duration.
    pub fn record_duration(&mut self, d: Duration) {
        self.record(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Number of recorded values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Largest recorded value (0 when empty).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// Smallest recorded value (0 when empty).
    pub fn min(&self) -> u64 {
        if self.count == 0 {
            0
        } else {
            self.min
        }
    }

    /// Arithmetic mean (0 when empty).
    pub fn mean(&self) -> u64 {
        if self.count == 0 {
            0
        } else {
            (self.sum / self.count as u128) as u64
        }
    }

    /// The value at quantile `q` (0.0..=1.0): the upper edge of its bucket, capped at `max`.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return bucket_high(i).min(self.max).max(self.min);
            }
        }
        self.max
    }

    /// p50/p90/p99/max and friends.
    pub fn summary(&self) -> LatencySummary {
        LatencySummary {
            count: self.count,
            min: Duration::from_nanos(self.min()),
            mean: Duration::from_nanos(self.mean()),
            p50: Duration::from_nanos(self.quantile(0.50)),
            p90: Duration::from_nanos(self.quantile(0.90)),
            p99: Duration::from_nanos(self.quantile(0.99)),
            max: Duration::from_nanos(self.max),
        }
    }
}

/// Latency percentiles of one histogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LatencySummary {
    /// Number of values.
    pub count: u64,
    /// Smallest.
    pub min: Duration,
    /// Mean.
    pub mean: Duration,
    /// Median.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest.
    pub max: Duration,
}

impl LatencySummary {
    /// As JSON, in microseconds.
    pub fn to_json(&self) -> Value {
        let us = |d: Duration| d.as_nanos() as f64 / 1000.0;
        json!({
            "count": self.count,
            "min_us": us(self.min),
            "mean_us": us(self.mean),
            "p50_us": us(self.p50),
            "p90_us": us(self.p90),
            "p99_us": us(self.p99),
            "max_us": us(self.max),
        })
    }
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_continuous_and_tight() {
        let mut prev_high = None;
        for i in 0..BUCKETS {
            let high = bucket_high(i);
            if let Some(p) = prev_high {
                assert!(high > p, "bucket {i}");
            }
            assert_eq!(bucket_of(high), i, "bucket {i} high {high}");
            prev_high = Some(high);
        }
        for v in [0u64, 1, 63, 64, 65, 1000, 123_456, 10_000_000_000, u64::MAX] {
            let high = bucket_high(bucket_of(v));
            assert!(
                high >= v && (high - v) as f64 <= v as f64 / 32.0 + 1.0,
                "{v}"
            );
        }
    }

    #[test]
    fn histogram_quantiles_follow_the_data() {
        let mut h = Histogram::default();
        for v in 1..=1000u64 {
            h.record(v * 1000);
        }
        let p50 = h.quantile(0.5) as f64;
        assert!((p50 - 500_000.0).abs() / 500_000.0 < 0.04, "{p50}");
        assert_eq!(h.quantile(1.0), 1_000_000);
        assert_eq!(h.max(), 1_000_000);
        assert_eq!(h.min(), 1000);
    }
}
