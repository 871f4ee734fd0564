//! What makes a finished run exit 1: the one place `check`, `chaos` and `report merge` decide it.
//!
//! * Without an expectation file: any result that fails at `--fail-on` (see
//!   [`CaseResult::fails_at`](crate::report::CaseResult::fails_at)); `--fail-on must`, the
//!   default, is exactly "not conformant".
//! * With `--expect FILE`: the comparison with the file's section decides (a new deviation, a
//!   listed one that moved to another verdict, or a listed one that now passes), exactly as
//!   `interop/compare.py` judges the same report; `--fail-on` does not apply then.

use std::path::PathBuf;

use crate::case::Level;
use crate::report::expectations::{Comparison, Expectations};
use crate::report::{CaseResult, RunReport};

/// An expectation file and the section a run is compared with.
#[derive(Debug, Clone)]
pub struct Expect {
    /// Where the file was read from (for messages).
    pub path: PathBuf,
    /// The section (`check` for check, `chaos` for chaos, or `--expect-section`).
    pub section: String,
    /// The parsed file.
    pub file: Expectations,
}

/// The exit policy of a run.
#[derive(Debug, Clone)]
pub struct Gate {
    /// `--fail-on`.
    pub fail_on: Level,
    /// `--expect`.
    pub expect: Option<Expect>,
}

impl Default for Gate {
    fn default() -> Self {
        Self {
            fail_on: Level::Must,
            expect: None,
        }
    }
}

/// A run judged by a [`Gate`].
#[derive(Debug, Clone)]
pub struct Judgement<'a> {
    /// `--fail-on` in force.
    pub fail_on: Level,
    /// The results that fail at `fail_on` (shown; they decide only without `--expect`).
    pub failing: Vec<&'a CaseResult>,
    /// The comparison with the expectation file, if any, and the file's path.
    pub comparison: Option<(Comparison<'a>, &'a Expect)>,
}

impl Judgement<'_> {
    /// Whether the run exits 0.
    pub fn passed(&self) -> bool {
        match &self.comparison {
            Some((c, _)) => c.changes() == 0,
            None => self.failing.is_empty(),
        }
    }
}

impl Gate {
    /// Judges `report`.
    pub fn judge<'a>(&'a self, report: &'a RunReport) -> Judgement<'a> {
        Judgement {
            fail_on: self.fail_on,
            failing: report.failing(self.fail_on),
            comparison: self
                .expect
                .as_ref()
                .map(|e| (e.file.compare(&e.section, report), e)),
        }
    }
}
