//! What a scenario is (declaration plus run function), what it sees ([`Env`]), how one run is
//! contained, and how its outcome becomes a conformance [`CaseResult`], so chaos results share
//! every report format.
//!
//! Containment: every task a scenario starts goes through [`Env::spawn`] into the run's scope,
//! and the whole scope is aborted when the run ends or overruns its budget. Before the next
//! scenario the server must answer a health probe (the agent card) at its baseline latency
//! again; a result produced on a server that never recovered is marked, so one scenario's
//! aftermath is never blamed on the next.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use gauntlet_conformance::case::{Judged, Outcome, Verdict};
use gauntlet_conformance::lifecycle::{Gauges, Lifecycle};
use gauntlet_conformance::need::{Means, Unmet};
use gauntlet_conformance::report::CaseResult;
use gauntlet_conformance::runner::contain;
use tokio::sync::{mpsc, OnceCell};
use tokio::task::{AbortHandle, JoinHandle};
use tokio::time::Instant;

use crate::a2a::Target;
use crate::calibrate::Calibration;
use crate::{fmt_duration, ScenarioInfo};

/// A precondition of a scenario: the oracle's own, so check and chaos read a card alike. An
/// unmet one gives NOT-APPLICABLE with the reason (and what would make it judgeable).
pub use gauntlet_conformance::need::Need;

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

/// What a scenario sees: the target, optional control over its lifecycle, scaled deadlines,
/// and the scope its tasks run in.
#[derive(Clone)]
pub struct Env {
    inner: Arc<EnvInner>,
    scope: Arc<Scope>,
}

struct EnvInner {
    target: Target,
    lifecycle: Option<Arc<dyn Lifecycle>>,
    calibration: Calibration,
    settings: Settings,
    health: Arc<Health>,
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
                health: Arc::default(),
            }),
            scope: Arc::new(Scope::new()),
        }
    }

    /// Starts `future` as a task of the current scenario run. Scenario code spawns only through
    /// this: when the run ends or overruns, every task it started is aborted.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.scope.spawn(future)
    }

    /// The same environment with a fresh, empty task scope (one per scenario run).
    fn scoped(&self) -> Env {
        Env {
            inner: self.inner.clone(),
            scope: Arc::new(Scope::new()),
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
        Env {
            inner: Arc::new(EnvInner {
                target: self.inner.target.clone(),
                lifecycle: self.inner.lifecycle.clone(),
                calibration,
                settings: self.inner.settings,
                health: self.inner.health.clone(),
            }),
            scope: self.scope.clone(),
        }
    }

    /// The server's card latency before any scenario ran (median of a few probes), measured
    /// once on first use; `None` when it did not answer.
    pub async fn baseline(&self) -> Option<Duration> {
        *self
            .inner
            .health
            .baseline
            .get_or_init(|| async {
                let mut seen = Vec::new();
                for _ in 0..BASELINE_PROBES {
                    if let Ok(d) = self.target().alive(self.deadline(PROBE_TIMEOUT)).await {
                        seen.push(d);
                    }
                }
                seen.sort_unstable();
                seen.get(seen.len() / 2).copied()
            })
            .await
    }

    /// Waits (bounded) until the server answers [`RECOVERY_STREAK`] health probes in a row
    /// within its baseline latency; `Err` says what was seen instead.
    pub async fn settle(&self) -> Result<Duration, String> {
        let Some(base) = self.baseline().await else {
            return Ok(Duration::ZERO);
        };
        let limit = (base * 4).max(base + self.deadline(SLACK));
        let bound = self.deadline(RECOVERY_BOUND);
        let t0 = Instant::now();
        // Probe spacing: a refused connection returns at once and must not become a busy loop.
        let mut pace = tokio::time::interval(PROBE_SPACING);
        pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let (mut streak, mut last) = (0, String::from("no probe"));
        while t0.elapsed() < bound {
            pace.tick().await;
            let wait = self
                .deadline(PROBE_TIMEOUT)
                .min(bound.saturating_sub(t0.elapsed()));
            match self.target().alive(wait).await {
                Ok(d) if d <= limit => {
                    streak += 1;
                    if streak == RECOVERY_STREAK {
                        return Ok(t0.elapsed());
                    }
                }
                Ok(d) => {
                    streak = 0;
                    last = format!("the card took {}", fmt_duration(d));
                }
                Err(e) => {
                    streak = 0;
                    last = e.to_string();
                }
            }
        }
        Err(format!(
            "no {RECOVERY_STREAK} card answers in a row within {} (baseline {}) for {}; last: {last}",
            fmt_duration(limit),
            fmt_duration(base),
            fmt_duration(bound)
        ))
    }

    fn check(&self, need: Need) -> Result<(), String> {
        let means = Means {
            target: &self.inner.target.target,
            identities: 0,
            lifecycle: self.inner.lifecycle.is_some(),
        };
        match means.unmet(need) {
            None => Ok(()),
            Some(Unmet::NotDeclared(reason)) => Err(reason),
            Some(Unmet::Unobservable { reason, help }) => Err(format!("{reason} ({help})")),
        }
    }
}

/// Upper bound on one scenario, before scaling.
pub const SCENARIO_BUDGET: Duration = Duration::from_secs(120);
/// How long, before scaling, the server may take to answer at baseline latency again after a
/// scenario.
pub const RECOVERY_BOUND: Duration = Duration::from_secs(20);
/// Consecutive healthy probes that count as recovered.
pub const RECOVERY_STREAK: usize = 3;
const BASELINE_PROBES: usize = 5;
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
const PROBE_SPACING: Duration = Duration::from_millis(25);
/// Latency a healthy probe may exceed the baseline by (before scaling): loopback jitter.
const SLACK: Duration = Duration::from_millis(20);
/// How long aborted tasks get to be dropped (their sockets closed).
const DRAIN: Duration = Duration::from_secs(5);

/// Runs one scenario and judges it: needs first, then the run in its own task scope under an
/// overall deadline; a panic or an overrun is a harness ERROR, not a server failure. The scope
/// is aborted afterwards either way, and the server must settle before the next scenario.
pub async fn run_scenario(s: &Scenario, env: &Env) -> CaseResult {
    if let Err(reason) = s.needs.iter().try_for_each(|n| env.check(*n)) {
        return result(&s.info, Outcome::not_applicable(reason), Duration::ZERO);
    }
    let env = env.scoped();
    env.baseline().await;
    // A previous scenario left the server unhealthy: give it another bounded chance first.
    let pending = env.inner.health.take_unrecovered();
    let poisoned = match pending {
        Some(prev) => env
            .settle()
            .await
            .err()
            .map(|e| format!("the server had not recovered from {prev} ({e})")),
        None => None,
    };
    let t0 = Instant::now();
    let budget = env.deadline(SCENARIO_BUDGET);
    let task = env.spawn((s.run)(env.clone()));
    let outcome = contain("scenario", task, budget, |budget| {
        format!(
            "the scenario overran its budget of {} and was aborted",
            fmt_duration(budget)
        )
    })
    .await;
    let duration = t0.elapsed();
    let stuck = env.scope.cancel(env.deadline(DRAIN)).await;
    let mut r = result(&s.info, outcome, duration);
    if stuck > 0 {
        r.summary.push_str(&format!(
            " ({stuck} of its tasks did not stop when aborted)"
        ));
    }
    if let Some(note) = poisoned {
        taint(&mut r, &note);
    }
    if let Err(e) = env.settle().await {
        r.summary.push_str(&format!(
            " (afterwards the server did not answer at its baseline latency: {e})"
        ));
        env.inner.health.set_unrecovered(s.info.id);
    }
    r
}

/// Marks a result produced on a server that had not recovered from an earlier scenario: a
/// failure there is not the server's verdict on this scenario, so it becomes a harness ERROR.
fn taint(r: &mut CaseResult, note: &str) {
    if matches!(r.verdict, Verdict::Fail | Verdict::NonStrict) {
        r.verdict = Verdict::Error;
        r.summary = format!("{note}; not judged: {}", r.summary);
    } else {
        r.summary = format!("{} ({note})", r.summary);
    }
}

/// The tasks of one scenario run. A task holds a clone of `alive` until it is dropped, so the
/// receiver learns when every task is gone.
struct Scope {
    state: Mutex<ScopeState>,
    gone: tokio::sync::Mutex<mpsc::Receiver<()>>,
}

struct ScopeState {
    handles: Vec<AbortHandle>,
    /// `None` once the scope is closed: later spawns are aborted at once.
    alive: Option<mpsc::Sender<()>>,
}

impl Scope {
    fn new() -> Scope {
        let (tx, rx) = mpsc::channel(1);
        Scope {
            state: Mutex::new(ScopeState {
                handles: Vec::new(),
                alive: Some(tx),
            }),
            gone: tokio::sync::Mutex::new(rx),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ScopeState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let mut st = self.lock();
        let alive = st.alive.clone();
        let closed = alive.is_none();
        // The only task spawn of the scenario code: everything else goes through here.
        let handle = tokio::spawn(async move {
            let _alive = alive;
            future.await
        });
        if closed {
            handle.abort();
        } else {
            st.handles.retain(|h| !h.is_finished());
            st.handles.push(handle.abort_handle());
        }
        handle
    }

    /// Closes the scope, aborts every task in it and waits up to `within` for them to be
    /// dropped; returns how many were still there.
    async fn cancel(&self, within: Duration) -> usize {
        let (handles, alive) = {
            let mut st = self.lock();
            (std::mem::take(&mut st.handles), st.alive.take())
        };
        for h in &handles {
            h.abort();
        }
        drop(alive);
        let mut gone = self.gone.lock().await;
        match tokio::time::timeout(within, gone.recv()).await {
            Ok(_) => 0,
            Err(_) => handles.iter().filter(|h| !h.is_finished()).count(),
        }
    }
}

/// The server's health across scenario runs.
#[derive(Default)]
struct Health {
    baseline: OnceCell<Option<Duration>>,
    /// The scenario after which the server did not recover.
    unrecovered: Mutex<Option<&'static str>>,
}

impl Health {
    fn take_unrecovered(&self) -> Option<&'static str> {
        self.unrecovered
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    fn set_unrecovered(&self, id: &'static str) {
        *self.unrecovered.lock().unwrap_or_else(|e| e.into_inner()) = Some(id);
    }
}

/// Turns an outcome into a result with the harness's level mapping
/// ([`Item::result`](gauntlet_conformance::runner::Item::result)).
pub fn result(info: &ScenarioInfo, outcome: Outcome, duration: Duration) -> CaseResult {
    info.item().result(None, outcome, Vec::new(), duration)
}

#[cfg(test)]
mod tests {
    /// A task spawned past [`Env::spawn`] outlives an aborted scenario and loads the server
    /// under the next one. `JoinSet`s are fine: the scenario owns them, and dropping one aborts
    /// its tasks.
    #[test]
    fn scenario_code_spawns_only_through_the_env_scope() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/scenarios");
        let forbidden = [
            "tokio::spawn",
            "task::spawn",
            "thread::spawn",
            "spawn_blocking",
        ];
        let mut offenders = Vec::new();
        for entry in std::fs::read_dir(dir).expect("the scenarios directory") {
            let path = entry.expect("a directory entry").path();
            let text = std::fs::read_to_string(&path).expect("a readable source file");
            for (n, line) in text.lines().enumerate() {
                if forbidden.iter().any(|f| line.contains(f)) {
                    offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "use env.spawn (or an owned JoinSet) instead:\n{}",
            offenders.join("\n")
        );
    }
}
