//! What a scenario is (declaration plus run function), what it sees ([`Env`]), and how its
//! outcome becomes a conformance [`CaseResult`], so chaos results share every report format.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use gauntlet_conformance::case::{Judged, Level, Outcome, Verdict};
use gauntlet_conformance::lifecycle::{Gauges, Lifecycle};
use gauntlet_conformance::report::CaseResult;
use tokio::time::Instant;

use crate::a2a::Target;
use crate::calibrate::Calibration;
use crate::ScenarioInfo;

/// A precondition of a scenario; unmet ones give NOT-APPLICABLE with the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The card lists the `gauntlet-test-agent` skill.
    TestAgent,
    /// `capabilities.streaming`.
    Streaming,
    /// `capabilities.pushNotifications`.
    Push,
    /// The harness can start and stop the server (embedded reference or `--sut-cmd`).
    Lifecycle,
}

/// Boxed future of a scenario run.
pub type ScenarioFuture = Pin<Box<dyn Future<Output = Judged> + Send + 'static>>;

/// A scenario's run function.
pub type RunFn = fn(Env) -> ScenarioFuture;

/// A declared scenario.
#[derive(Clone, Copy)]
pub struct Scenario {
    /// Id, level, title, requirement, spec clause.
    pub info: ScenarioInfo,
    /// Preconditions.
    pub needs: &'static [Need],
    /// The run function.
    pub run: RunFn,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("id", &self.info.id)
            .finish_non_exhaustive()
    }
}

/// Makes a [`RunFn`] from an `async fn(Env) -> Judged`.
#[macro_export]
macro_rules! scenario_fn {
    ($f:path) => {
        |env: $crate::scenario::Env| -> $crate::scenario::ScenarioFuture { Box::pin($f(env)) }
    };
}

/// Tunables of a run.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Start/stop cycles of the rapid-cycling scenario.
    pub cycles: usize,
    /// The server is in this process (the embedded reference): `/proc/self` readings include
    /// the harness's own sockets.
    pub in_process: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            cycles: 1000,
            in_process: false,
        }
    }
}

/// What a scenario sees: the target, optional control over its lifecycle, and scaled deadlines.
#[derive(Clone)]
pub struct Env {
    inner: Arc<EnvInner>,
}

struct EnvInner {
    target: Target,
    lifecycle: Option<Arc<dyn Lifecycle>>,
    calibration: Calibration,
    settings: Settings,
}

impl Env {
    /// An environment for `target`.
    pub fn new(
        target: Target,
        lifecycle: Option<Arc<dyn Lifecycle>>,
        calibration: Calibration,
        settings: Settings,
    ) -> Env {
        Env {
            inner: Arc::new(EnvInner {
                target,
                lifecycle,
                calibration,
                settings,
            }),
        }
    }

    /// The server under test.
    pub fn target(&self) -> &Target {
        &self.inner.target
    }

    /// Start/stop control, if the harness has it.
    pub fn lifecycle(&self) -> Option<&Arc<dyn Lifecycle>> {
        self.inner.lifecycle.as_ref()
    }

    /// The server's gauges, if its lifecycle can read them.
    pub fn gauges(&self) -> Option<Gauges> {
        self.inner.lifecycle.as_ref().and_then(|l| l.gauges())
    }

    /// The runner calibration in force.
    pub fn calibration(&self) -> Calibration {
        self.inner.calibration
    }

    /// Run settings.
    pub fn settings(&self) -> Settings {
        self.inner.settings
    }

    /// `base` scaled by the calibration factor.
    pub fn deadline(&self, base: Duration) -> Duration {
        base.mul_f64(self.inner.calibration.factor)
    }

    /// A copy of this environment under another calibration.
    pub fn with_calibration(&self, calibration: Calibration) -> Env {
        Env::new(
            self.inner.target.clone(),
            self.inner.lifecycle.clone(),
            calibration,
            self.inner.settings,
        )
    }

    fn check(&self, need: Need) -> Result<(), String> {
        let t = &self.inner.target;
        match need {
            Need::TestAgent if !t.test_agent => {
                Err("the card does not list the gauntlet-test-agent skill".into())
            }
            Need::Streaming if !t.streaming => Err("capabilities.streaming is off".into()),
            Need::Push if !t.push => Err("capabilities.pushNotifications is off".into()),
            Need::Lifecycle if self.inner.lifecycle.is_none() => {
                Err("the harness cannot start and stop this server (give --sut-cmd)".into())
            }
            _ => Ok(()),
        }
    }
}

/// Upper bound on one scenario, before scaling.
pub const SCENARIO_BUDGET: Duration = Duration::from_secs(120);

/// Runs one scenario and judges it: needs first, then the run under an overall deadline; a
/// panic or an overrun is a harness ERROR, not a server failure.
pub async fn run_scenario(s: &Scenario, env: &Env) -> CaseResult {
    let t0 = Instant::now();
    let outcome = match s.needs.iter().try_for_each(|n| env.check(*n)) {
        Err(reason) => Outcome::not_applicable(reason),
        Ok(()) => {
            let budget = env.deadline(SCENARIO_BUDGET);
            let task = tokio::spawn((s.run)(env.clone()));
            match tokio::time::timeout(budget, task).await {
                Ok(Ok(Ok(o) | Err(o))) => o,
                Ok(Err(e)) => Outcome::error(format!("the scenario panicked: {e}")),
                Err(_) => Outcome::error(format!("the scenario overran its budget of {budget:?}")),
            }
        }
    };
    result(&s.info, outcome, t0.elapsed())
}

/// Turns an outcome into a result: a raw FAIL becomes NON-STRICT for SHOULD and INFORMATIONAL
/// for MAY/SDK levels.
pub fn result(info: &ScenarioInfo, outcome: Outcome, duration: Duration) -> CaseResult {
    let verdict = match (outcome.verdict, info.level) {
        (Verdict::Fail, Level::Must) => Verdict::Fail,
        (Verdict::Fail, Level::Should) => Verdict::NonStrict,
        (Verdict::Fail, _) => Verdict::Informational,
        (v, _) => v,
    };
    CaseResult {
        id: info.id.to_owned(),
        binding: None,
        level: info.level,
        verdict,
        title: info.title.to_owned(),
        requirement: info.requirement.to_owned(),
        spec: info.spec.to_owned(),
        summary: outcome.summary,
        expected: outcome.expected,
        observed: outcome.observed,
        deviations: Vec::new(),
        transcript: Vec::new(),
        duration,
    }
}

/// Glob match with `*` and `?` (case-insensitive), for `--only`.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_ids() {
        assert!(glob_match("CHAOS-SLOW-*", "CHAOS-SLOW-001"));
        assert!(glob_match("*slow*", "CHAOS-SLOW-001"));
        assert!(glob_match("CHAOS-???-001", "CHAOS-FAN-001"));
        assert!(!glob_match("CHAOS-FAN-*", "CHAOS-SLOW-001"));
    }
}
