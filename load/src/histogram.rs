//! Latency histograms: [`hdrhistogram`] with the bounds and precision every load phase shares,
//! durations in, [`LatencySummary`] out, and the coordinated-omission correction.

use std::time::Duration;

use serde_json::{json, Value};

// Histogram
// ---------------------------------------------------------------------------------------------

/// Significant decimal digits kept: every value is known within 1 %. Two rather than HDR's usual
/// three because each worker keeps its own histograms, and three digits over this range cost
/// 264 KiB each (36 KiB with two), which matters at `--concurrency 4096`.
const SIGNIFICANT_DIGITS: u8 = 2;

/// Largest value told apart (nanoseconds): one hour. Longer values count as one hour; no phase,
/// deadline or open-loop queueing delay the flags allow comes near it.
const HIGHEST_NS: u64 = 3_600_000_000_000;

/// A latency histogram in nanoseconds ([`hdrhistogram::Histogram`] with fixed bounds, so
/// recording never allocates and every worker's histogram merges into any other).
#[derive(Clone)]
pub struct Histogram(hdrhistogram::Histogram<u64>);

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("count", &self.count())
            .field("min", &self.min())
            .field("max", &self.max())
            .finish()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self(
            hdrhistogram::Histogram::new_with_bounds(1, HIGHEST_NS, SIGNIFICANT_DIGITS)
                .expect("constant bounds are valid"),
        )
    }
}

impl Histogram {
    /// Records one value (nanoseconds); values above one hour count as one hour.
    pub fn record(&mut self, v: u64) {
        self.0.saturating_record(v.min(HIGHEST_NS));
    }

    /// Records a duration.
    pub fn record_duration(&mut self, d: Duration) {
        self.record(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        // Same bounds on both sides, so every value of `other` fits.
        let _ = self.0.add(&other.0);
    }

    /// A copy corrected for coordinated omission, as if every value had been recorded with
    /// [`hdrhistogram::Histogram::record_correct`]: a value of at least twice `interval` also
    /// counts the requests that a sender issuing one every `interval` would have had waiting
    /// behind it (value − interval, value − 2 × interval, … down to `interval`).
    pub fn corrected(&self, interval: Duration) -> Histogram {
        let interval = u64::try_from(interval.as_nanos()).unwrap_or(HIGHEST_NS);
        Histogram(self.0.clone_correct(interval))
    }

    /// Number of recorded values.
    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// Largest recorded value, to the histogram's precision (0 when empty).
    pub fn max(&self) -> u64 {
        if self.0.is_empty() {
            0
        } else {
            self.0.max()
        }
    }

    /// Smallest recorded value, to the histogram's precision (0 when empty).
    pub fn min(&self) -> u64 {
        self.0.min()
    }

    /// Arithmetic mean (0 when empty).
    pub fn mean(&self) -> u64 {
        if self.0.is_empty() {
            0
        } else {
            self.0.mean().round() as u64
        }
    }

    /// The value at quantile `q` (0.0..=1.0), to the histogram's precision (0 when empty).
    pub fn quantile(&self, q: f64) -> u64 {
        if self.0.is_empty() {
            0
        } else {
            self.0.value_at_quantile(q.clamp(0.0, 1.0))
        }
    }

    /// p50/p90/p99/max and friends.
    pub fn summary(&self) -> LatencySummary {
        LatencySummary {
            count: self.count(),
            min: Duration::from_nanos(self.min()),
            mean: Duration::from_nanos(self.mean()),
            p50: Duration::from_nanos(self.quantile(0.50)),
            p90: Duration::from_nanos(self.quantile(0.90)),
            p99: Duration::from_nanos(self.quantile(0.99)),
            max: Duration::from_nanos(self.max()),
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

    fn within_one_percent(got: u64, want: u64) -> bool {
        (got as f64 - want as f64).abs() <= want as f64 / 100.0 + 1.0
    }

    #[test]
    fn every_value_is_kept_within_one_percent_and_an_overlong_one_saturates() {
        for v in [
            1u64,
            63,
            64,
            1000,
            25_000,
            123_456,
            10_000_000,
            3_000_000_000_000,
        ] {
            let mut h = Histogram::default();
            h.record(v);
            assert_eq!(h.count(), 1);
            for got in [h.quantile(0.5), h.max(), h.min(), h.mean()] {
                assert!(within_one_percent(got, v), "{v}: {got}");
            }
        }
        let mut h = Histogram::default();
        h.record(u64::MAX);
        h.record_duration(Duration::from_secs(10 * 3600));
        assert_eq!(h.count(), 2, "recorded, not dropped");
        assert!(within_one_percent(h.max(), HIGHEST_NS), "{}", h.max());
        let empty = Histogram::default().summary();
        assert_eq!(empty, LatencySummary::default());
    }

    #[test]
    fn quantiles_follow_the_data_and_merging_adds_counts() {
        let (mut low, mut high) = (Histogram::default(), Histogram::default());
        for v in 1..=1000u64 {
            if v <= 500 { &mut low } else { &mut high }.record(v * 1000);
        }
        let mut h = Histogram::default();
        h.merge(&low);
        h.merge(&high);
        assert_eq!(h.count(), 1000);
        assert!(within_one_percent(h.quantile(0.5), 500_000), "{h:?}");
        assert!(within_one_percent(h.quantile(0.99), 990_000), "{h:?}");
        assert!(within_one_percent(h.quantile(1.0), 1_000_000), "{h:?}");
        assert!(within_one_percent(h.max(), 1_000_000));
        assert!(within_one_percent(h.min(), 1000));
        let s = h.summary();
        assert!(s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.max);
    }

    #[test]
    fn the_correction_adds_the_requests_a_stall_held_back() {
        // 99 answers in 1 ms and one stall of 100 ms, sent by a client that means to send every
        // millisecond: the stall held back 99 more requests, waiting 99, 98, … 1 ms.
        let mut h = Histogram::default();
        for _ in 0..99 {
            h.record_duration(Duration::from_millis(1));
        }
        h.record_duration(Duration::from_millis(100));
        let raw = h.summary();
        let fixed = h.corrected(Duration::from_millis(1)).summary();
        assert_eq!(raw.count, 100);
        assert!(raw.p90 < Duration::from_micros(1100), "{raw:?}");
        assert_eq!(fixed.count, 100 + 99);
        assert!(fixed.p90 > Duration::from_millis(75), "{fixed:?}");
        assert_eq!(fixed.max, raw.max);
        // Values below twice the interval add nothing, and the original is untouched.
        assert_eq!(h.corrected(Duration::from_millis(60)).count(), 100);
        assert_eq!(h.count(), 100);
    }
}
