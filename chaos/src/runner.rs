//! Running a selection of scenarios once (or repeatedly, see [`crate::soak`]) and producing a
//! conformance [`RunReport`].

use std::sync::Arc;
use std::time::Duration;

use gauntlet_conformance::lifecycle::Lifecycle;
use gauntlet_conformance::report::{CaseResult, RunReport};
use tokio::time::Instant;

use crate::a2a::Target;
use crate::calibrate::{calibrate, Calibration};
use crate::errors::ChaosError;
use crate::scenario::{glob_match, run_scenario, Env, Scenario, Settings};
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
    /// Tunables.
    pub settings: Settings,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            only: Vec::new(),
            soak: None,
            timeout_scale: 1.0,
            settings: Settings::default(),
        }
    }
}

/// The scenarios `only` selects, in catalogue order.
pub fn select(only: &[String]) -> Vec<&'static Scenario> {
    scenarios::ALL
        .iter()
        .filter(|s| only.is_empty() || only.iter().any(|g| glob_match(g, s.info.id)))
        .collect()
}

/// Discovers the target at `base_url`, calibrates the runner, and runs the selection. Every
/// result is handed to `on_result` as it is produced.
pub async fn run(
    base_url: &str,
    lifecycle: Option<Arc<dyn Lifecycle>>,
    options: &RunOptions,
    mut on_result: impl FnMut(&CaseResult),
) -> Result<RunReport, ChaosError> {
    let started = std::time::SystemTime::now();
    let t0 = Instant::now();
    let calibration = calibrate(options.timeout_scale).await;
    let target =
        Target::discover(base_url, Duration::from_secs(5).mul_f64(calibration.factor)).await?;
    let card = target.card.clone();
    let env = Env::new(target, lifecycle, calibration, options.settings);
    let selection = select(&options.only);
    let results = match options.soak {
        Some(d) => crate::soak::soak(&env, &selection, d, &mut on_result).await,
        None => {
            let mut out = Vec::new();
            for s in &selection {
                let r = run_scenario(s, &env).await;
                on_result(&r);
                out.push(r);
            }
            out
        }
    };
    Ok(RunReport {
        target: base_url.to_owned(),
        card: Some(card),
        suite_version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at: gauntlet_conformance::runner::rfc3339(started),
        duration: t0.elapsed(),
        results,
    })
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
}
