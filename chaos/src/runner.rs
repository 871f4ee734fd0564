//! Running a selection of scenarios once (or repeatedly, see [`crate::soak`]), in a chosen
//! [`Order`], and producing a conformance [`RunReport`]. Containment, deadlines and the level
//! mapping are the shared harness's (`gauntlet_conformance::runner`); results reach reporters as
//! the same [`RunEvent`]s as check's.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use gauntlet_conformance::lifecycle::Lifecycle;
use gauntlet_conformance::report::events::{Reporter, RunEvent};
use gauntlet_conformance::report::{CaseResult, RunReport};
use tokio::time::Instant;

use crate::a2a::Target;
use crate::calibrate::{calibrate, Calibration};
use crate::errors::ChaosError;
use gauntlet_conformance::report::area_of;
use gauntlet_conformance::runner::Selection;

use crate::scenario::{run_scenario, Env, Scenario, Settings};
use crate::scenarios;

/// What to run and how.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// `--only` globs (empty: everything).
    pub only: Vec<String>,
    /// `--soak`: repeat for this long and report flake rates.
    pub soak: Option<Duration>,
    /// `--timeout-scale`.
    pub timeout_scale: f64,
    /// `--order`.
    pub order: Order,
    /// Tunables.
    pub settings: Settings,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            only: Vec::new(),
            soak: None,
            timeout_scale: 1.0,
            order: Order::Catalogue,
            settings: Settings::default(),
        }
    }
}

/// The order scenarios run in. Verdicts must not depend on it (every scenario runs in its own
/// scope and waits for the server to settle); the other orders exist to show that they do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Catalogue order (`catalogue`).
    #[default]
    Catalogue,
    /// Catalogue order backwards (`reverse`).
    Reverse,
    /// A shuffle that the seed reproduces (`shuffle:SEED`).
    Shuffle(u64),
}

impl FromStr for Order {
    type Err = String;

    fn from_str(s: &str) -> Result<Order, String> {
        match s {
            "catalogue" => Ok(Order::Catalogue),
            "reverse" => Ok(Order::Reverse),
            _ => s
                .strip_prefix("shuffle:")
                .and_then(|seed| seed.parse().ok())
                .map(Order::Shuffle)
                .ok_or_else(|| {
                    format!("`{s}` is not an order: use catalogue, reverse or shuffle:SEED")
                }),
        }
    }
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Order::Catalogue => f.write_str("catalogue"),
            Order::Reverse => f.write_str("reverse"),
            Order::Shuffle(seed) => write!(f, "shuffle:{seed}"),
        }
    }
}

/// The scenarios `only` selects, in catalogue order, with the selection syntax of
/// `gauntlet check --only` ([`Selection`]); an invalid pattern selects nothing.
pub fn select(only: &[String]) -> Vec<&'static Scenario> {
    let Ok(selection) = Selection::parse(only) else {
        return Vec::new();
    };
    scenarios::ALL
        .iter()
        .filter(|s| selection.selects(s.info.id, area_of(s.info.id), None))
        .collect()
}

/// `selection` rearranged into `order`.
pub fn arrange(mut selection: Vec<&Scenario>, order: Order) -> Vec<&Scenario> {
    match order {
        Order::Catalogue => {}
        Order::Reverse => selection.reverse(),
        Order::Shuffle(seed) => {
            // Fisher–Yates driven by splitmix64: the same seed gives the same order everywhere.
            let mut state = seed;
            let mut next = move || {
                state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                z ^ (z >> 31)
            };
            for i in (1..selection.len()).rev() {
                let j = (next() % (i as u64 + 1)) as usize;
                selection.swap(i, j);
            }
        }
    }
    selection
}

/// Discovers the target at `base_url`, calibrates the runner, and runs the selection. The run
/// is told to `reporter` as it goes, in the events of every run ([`RunEvent`]): started, each
/// result as it is produced, finished.
pub async fn run(
    base_url: &str,
    lifecycle: Option<Arc<dyn Lifecycle>>,
    options: &RunOptions,
    reporter: &mut (dyn Reporter + Send),
) -> Result<RunReport, ChaosError> {
    let started = SystemTime::now();
    let t0 = Instant::now();
    let calibration = calibrate(options.timeout_scale).await;
    let target =
        Target::discover(base_url, Duration::from_secs(5).mul_f64(calibration.factor)).await?;
    let card = target.card.clone();
    let shared = target.target.clone();
    let env = Env::new(target, lifecycle, calibration, options.settings);
    let selection = arrange(select(&options.only), options.order);
    let total = selection.len();
    reporter.on_event(&RunEvent::Started {
        target: &shared,
        total,
        at: started,
    });
    let mut done = 0;
    let mut on_result = |reporter: &mut (dyn Reporter + Send), r: &CaseResult| {
        done += 1;
        let finished = SystemTime::now();
        reporter.on_event(&RunEvent::CaseFinished {
            result: r,
            done,
            total: total.max(done),
            started: finished.checked_sub(r.duration).unwrap_or(finished),
            finished,
        });
    };
    let results = match options.soak {
        Some(d) => {
            crate::soak::soak(&env, &selection, d, &mut |r: &CaseResult| {
                on_result(reporter, r)
            })
            .await
        }
        None => {
            let mut out = Vec::new();
            for s in &selection {
                reporter.on_event(&RunEvent::CaseStarted {
                    id: s.info.id,
                    binding: None,
                    at: SystemTime::now(),
                });
                let r = run_scenario(s, &env).await;
                on_result(reporter, &r);
                out.push(r);
            }
            out
        }
    };
    let report = RunReport {
        target: base_url.to_owned(),
        card: Some(card),
        suite_version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at: gauntlet_conformance::runner::rfc3339(started),
        duration: t0.elapsed(),
        results,
    };
    reporter.on_event(&RunEvent::Finished {
        report: &report,
        at: SystemTime::now(),
    });
    Ok(report)
}

/// Runs `scenarios` once against an environment built from parts (tests and embedding).
pub async fn run_env(env: &Env, scenarios: &[&Scenario]) -> Vec<CaseResult> {
    let mut out = Vec::new();
    for s in scenarios {
        out.push(run_scenario(s, env).await);
    }
    out
}

/// Calibrates with `user_scale` (re-exported for callers that build their own [`Env`]).
pub async fn calibration(user_scale: f64) -> Calibration {
    calibrate(user_scale).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_selects_by_glob() {
        let all = select(&[]);
        assert_eq!(all.len(), scenarios::ALL.len());
        let some = select(&["CHAOS-SLOW-*".to_owned()]);
        assert!(!some.is_empty());
        assert!(some.iter().all(|s| s.info.id.starts_with("CHAOS-SLOW-")));
    }

    fn ids(v: &[&Scenario]) -> Vec<&'static str> {
        v.iter().map(|s| s.info.id).collect()
    }

    #[test]
    fn orders_parse_and_print_back() {
        for text in ["catalogue", "reverse", "shuffle:42"] {
            let order: Order = text.parse().unwrap();
            assert_eq!(order.to_string(), text);
        }
        assert!("shuffle".parse::<Order>().is_err());
        assert!("shuffle:x".parse::<Order>().is_err());
        assert!("random".parse::<Order>().is_err());
    }

    #[test]
    fn every_order_runs_the_same_scenarios_and_a_seed_reproduces_its_shuffle() {
        let all = ids(&select(&[]));
        let mut reversed = ids(&arrange(select(&[]), Order::Reverse));
        reversed.reverse();
        assert_eq!(reversed, all);
        let a = ids(&arrange(select(&[]), Order::Shuffle(7)));
        assert_eq!(a, ids(&arrange(select(&[]), Order::Shuffle(7))));
        assert_ne!(a, all, "a shuffle of {} scenarios moved none", all.len());
        assert_ne!(a, ids(&arrange(select(&[]), Order::Shuffle(8))));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        let mut want = all.clone();
        want.sort_unstable();
        assert_eq!(sorted, want);
    }
}
