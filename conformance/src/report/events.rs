//! What a run tells its reporters while it goes ([`RunEvent`]) and who listens ([`Reporter`]):
//! the one channel from any runner (check's cases, chaos's scenarios) to the terminal, files
//! and test harnesses. Runners only emit; reporters only consume, and never import a runner.

use std::time::SystemTime;

use crate::report::{CaseResult, RunReport};
use gauntlet_a2a::{Binding, Target};

/// What a runner tells reporters, in order: `Started`; for each planned run a `CaseStarted`
/// when it begins (runs may overlap, so these come in the order runs begin) and a
/// `CaseFinished` (in plan order); `Finished`. Each carries when it happened.
#[derive(Debug)]
pub enum RunEvent<'a> {
    /// Discovery succeeded and `total` runs are planned.
    Started {
        /// The server under test.
        target: &'a Target,
        /// Number of planned runs.
        total: usize,
        /// When the run started.
        at: SystemTime,
    },
    /// One run begins.
    CaseStarted {
        /// The row's id.
        id: &'a str,
        /// The binding it runs on (`None`: binding-independent).
        binding: Option<Binding>,
        /// When it began.
        at: SystemTime,
    },
    /// One run has a verdict.
    CaseFinished {
        /// The result.
        result: &'a CaseResult,
        /// Runs reported so far, this one included.
        done: usize,
        /// Planned runs.
        total: usize,
        /// When this run started.
        started: SystemTime,
        /// When it had its verdict.
        finished: SystemTime,
    },
    /// Everything ran.
    Finished {
        /// The whole run.
        report: &'a RunReport,
        /// When the run finished.
        at: SystemTime,
    },
}

/// Consumes run events (terminal output, files, test harnesses).
pub trait Reporter: Send {
    /// Called for every event, in order.
    fn on_event(&mut self, event: &RunEvent<'_>);
}

/// A reporter that ignores everything.
#[derive(Debug, Default)]
pub struct NoReporter;

impl Reporter for NoReporter {
    fn on_event(&mut self, _event: &RunEvent<'_>) {}
}
