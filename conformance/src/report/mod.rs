//! Run reports: the data (results per case × binding) and its renderings — terminal
//! ([`human`]), JSON ([`json`], schema in `conformance/REPORT.md`), JUnit ([`junit`]) and a
//! self-contained HTML page ([`html`]). Chaos scenarios produce the same [`CaseResult`]s.
//! What makes a run's exit code 1 (`--fail-on`, `--expect`) is decided in [`gate`], against the
//! expectation files of [`expectations`]; [`merge`] joins `--shard` reports into one. What a
//! run tells its reporters as it goes is in [`events`]: runners emit, reporters consume.

pub mod diff;
pub mod events;
pub mod expectations;
pub mod gate;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod merge;

use std::time::Duration;

use serde_json::Value;

use crate::case::{Binding, Level, Verdict};
use crate::probe::Exchange;

/// Which part of the plan to run: shard `index` of `count` (1-based), `--shard K/N`. The plan
/// (catalogue order, after selection) is dealt round-robin, so shards differ by at most one run
/// and the same selection against the same card always splits the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1..=count.
    pub index: usize,
    /// Number of shards, at least 1.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a shard: use K/N with 1 <= K <= N, e.g. 2/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether the run at `position` in the plan belongs to this shard.
    pub fn holds(&self, position: usize) -> bool {
        position % self.count == self.index - 1
    }
}

/// The result of one case (or chaos scenario) on one binding.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// Digest id (or chaos scenario id, e.g. `CHAOS-SLOW-001`).
    pub id: String,
    /// Binding it ran on; None for binding-independent cases.
    pub binding: Option<Binding>,
    /// The case's level.
    pub level: Level,
    /// Final verdict after level mapping.
    pub verdict: Verdict,
    /// Case title (what we sent).
    pub title: String,
    /// Requirement text.
    pub requirement: String,
    /// Spec reference.
    pub spec: String,
    /// One-line summary of what happened.
    pub summary: String,
    /// What was acceptable (failures); for UNTESTED, what would make the row judgeable.
    pub expected: Option<String>,
    /// What was seen (failures).
    pub observed: Option<String>,
    /// Every further deviation the case saw besides the one above, worst first, each with
    /// its own evidence (final verdicts, after level mapping).
    pub deviations: Vec<Deviation>,
    /// Recorded exchanges, for every verdict (bounded, see [`crate::probe::transcript`]).
    pub transcript: Vec<Exchange>,
    /// Wall time of the case.
    pub duration: Duration,
}

/// One more deviation seen by a case that already reports a worse (or equal) one.
#[derive(Debug, Clone, PartialEq)]
pub struct Deviation {
    /// Final verdict of this deviation alone.
    pub verdict: Verdict,
    /// One line: what deviated.
    pub summary: String,
    /// What would have been acceptable.
    pub expected: Option<String>,
    /// What was seen.
    pub observed: Option<String>,
}

/// `ID[binding]`, or `ID` for a binding-independent result: the one name of a result in every
/// report, in `--list`, in `--only`, in expectation files and on the nextest route.
pub fn result_name(id: &str, binding: Option<Binding>) -> String {
    match binding {
        Some(b) => format!("{id}[{}]", b.short()),
        None => id.to_owned(),
    }
}

/// A verdict from its report label (`NON-STRICT`), case-insensitively.
pub fn parse_verdict(label: &str) -> Option<Verdict> {
    [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::NonStrict,
        Verdict::Informational,
        Verdict::NotApplicable,
        Verdict::Error,
        Verdict::Untested,
    ]
    .into_iter()
    .find(|v| v.as_str().eq_ignore_ascii_case(label))
}

/// A level from its report label (`SHOULD`), case-insensitively.
pub fn parse_level(label: &str) -> Option<Level> {
    [Level::Must, Level::Should, Level::May, Level::Sdk]
        .into_iter()
        .find(|l| l.as_str().eq_ignore_ascii_case(label))
}

/// A binding from its short name (`rest`).
pub fn parse_binding(short: &str) -> Option<Binding> {
    Binding::ALL.into_iter().find(|b| b.short() == short)
}

impl CaseResult {
    /// `ID` or `ID[binding]` (see [`result_name`]).
    pub fn name(&self) -> String {
        result_name(&self.id, self.binding)
    }

    /// Whether this result makes the exit code 1 under `--fail-on fail_on`: a FAIL always; a
    /// NON-STRICT from `should` on; an ERROR or UNTESTED when the row's level is included
    /// (must ⊂ should ⊂ may, SDK rows with may). INFORMATIONAL never fails a run.
    pub fn fails_at(&self, fail_on: Level) -> bool {
        match self.verdict {
            Verdict::Fail => true,
            Verdict::NonStrict => Level::Should.included_in(fail_on),
            Verdict::Error | Verdict::Untested => self.level.included_in(fail_on),
            Verdict::Pass | Verdict::Informational | Verdict::NotApplicable => false,
        }
    }
}

/// The summary numbers of the last report line (see [`RunReport::tally`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// PASS + NON-STRICT + INFORMATIONAL.
    pub passed: usize,
    /// FAIL + ERROR.
    pub failed: usize,
    /// NOT-APPLICABLE + UNTESTED.
    pub skipped: usize,
}

/// An UNTESTED row in one line: `UNTESTED: why (to judge it: what would help)`. The case's
/// `expected` holds what would help (see [`crate::case::Outcome::untested`]).
pub fn untested_text(r: &CaseResult) -> String {
    match &r.expected {
        Some(help) => format!("UNTESTED: {} (to judge it: {help})", r.summary),
        None => format!("UNTESTED: {}", r.summary),
    }
}

/// Rows that were not judged (NOT-APPLICABLE or UNTESTED), grouped by their reason (and what
/// would help) in first-seen order: the explanation every report gives for them.
pub fn not_judged(report: &RunReport) -> Vec<NotJudged<'_>> {
    let mut out: Vec<NotJudged<'_>> = Vec::new();
    for r in &report.results {
        if !matches!(r.verdict, Verdict::NotApplicable | Verdict::Untested) {
            continue;
        }
        let help = (r.verdict == Verdict::Untested)
            .then_some(r.expected.as_deref())
            .flatten();
        match out
            .iter_mut()
            .find(|g| g.verdict == r.verdict && g.reason == r.summary && g.help == help)
        {
            Some(g) => g.rows.push(r),
            None => out.push(NotJudged {
                verdict: r.verdict,
                reason: &r.summary,
                help,
                rows: vec![r],
            }),
        }
    }
    // UNTESTED first: those count against conformance on MUST rows.
    out.sort_by_key(|g| g.verdict != Verdict::Untested);
    out
}

/// One reason why some rows were not judged.
#[derive(Debug, Clone)]
pub struct NotJudged<'a> {
    /// NOT-APPLICABLE or UNTESTED.
    pub verdict: Verdict,
    /// Why.
    pub reason: &'a str,
    /// For UNTESTED: what would make the rows judgeable.
    pub help: Option<&'a str>,
    /// The rows, in catalogue order.
    pub rows: Vec<&'a CaseResult>,
}

impl NotJudged<'_> {
    /// How many of the rows are MUST rows (UNTESTED ones count against conformance).
    pub fn musts(&self) -> usize {
        self.rows.iter().filter(|r| r.level == Level::Must).count()
    }
}

/// The checklist group of an id: `JRPC` for `JRPC-005`, `CHAOS` for `CHAOS-SLOW-001`.
pub fn area_of(id: &str) -> &str {
    id.split('-').next().unwrap_or(id)
}

/// Verdict counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// PASS.
    pub passed: usize,
    /// FAIL.
    pub failed: usize,
    /// NON-STRICT.
    pub non_strict: usize,
    /// INFORMATIONAL.
    pub informational: usize,
    /// NOT-APPLICABLE.
    pub not_applicable: usize,
    /// ERROR.
    pub errors: usize,
    /// UNTESTED.
    pub untested: usize,
}

impl Counts {
    /// Counts one more result of `verdict`.
    pub fn add(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Pass => self.passed += 1,
            Verdict::Fail => self.failed += 1,
            Verdict::NonStrict => self.non_strict += 1,
            Verdict::Informational => self.informational += 1,
            Verdict::NotApplicable => self.not_applicable += 1,
            Verdict::Error => self.errors += 1,
            Verdict::Untested => self.untested += 1,
        }
    }
}

/// A whole run.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The target's base URL.
    pub target: String,
    /// The agent card as received, if any.
    pub card: Option<Value>,
    /// Suite version (crate version).
    pub suite_version: String,
    /// RFC 3339 start time.
    pub started_at: String,
    /// Wall time of the run.
    pub duration: Duration,
    /// Results in catalogue order.
    pub results: Vec<CaseResult>,
}

impl RunReport {
    /// Counts by verdict.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for r in &self.results {
            c.add(r.verdict);
        }
        c
    }

    /// The three numbers of the last line: passed = PASS + NON-STRICT + INFORMATIONAL (nothing
    /// required failed), failed = FAIL + ERROR, skipped = NOT-APPLICABLE + UNTESTED (an
    /// untested row is never a pass; it counts against conformance, see [`Self::conformant`]).
    pub fn tally(&self) -> Tally {
        let c = self.counts();
        Tally {
            passed: c.passed + c.non_strict + c.informational,
            failed: c.failed + c.errors,
            skipped: c.not_applicable + c.untested,
        }
    }

    /// The last line of every human report: `gauntlet: N passed, N failed, N skipped`.
    pub fn summary_line(&self) -> String {
        let t = self.tally();
        format!(
            "gauntlet: {} passed, {} failed, {} skipped",
            t.passed, t.failed, t.skipped
        )
    }

    /// Checklist groups in first-seen (catalogue) order, with their verdict counts.
    pub fn by_area(&self) -> Vec<(String, Counts)> {
        let mut out: Vec<(String, Counts)> = Vec::new();
        for r in &self.results {
            let area = area_of(&r.id).to_owned();
            let i = match out.iter().position(|(a, _)| *a == area) {
                Some(i) => i,
                None => {
                    out.push((area, Counts::default()));
                    out.len() - 1
                }
            };
            out[i].1.add(r.verdict);
        }
        out
    }

    /// Conformant: every applicable MUST passed and none was left unrun (no FAIL, and no ERROR
    /// or UNTESTED on a MUST case): nothing fails at `--fail-on must`.
    pub fn conformant(&self) -> bool {
        self.failing(Level::Must).is_empty()
    }

    /// The results that make the exit code 1 under `--fail-on fail_on` (see
    /// [`CaseResult::fails_at`]), in report order.
    pub fn failing(&self, fail_on: Level) -> Vec<&CaseResult> {
        self.results
            .iter()
            .filter(|r| r.fails_at(fail_on))
            .collect()
    }
}

/// Small results and runs for the unit tests of the report modules.
#[cfg(test)]
pub(crate) mod fixture {
    use std::time::Duration;

    use super::{CaseResult, RunReport};
    use crate::case::{Binding, Level, Verdict};

    /// A MUST result with this summary and nothing else.
    pub fn result(
        id: &str,
        binding: Option<Binding>,
        verdict: Verdict,
        summary: &str,
    ) -> CaseResult {
        CaseResult {
            id: id.to_owned(),
            binding,
            level: Level::Must,
            verdict,
            title: String::new(),
            requirement: String::new(),
            spec: "§1".to_owned(),
            summary: summary.to_owned(),
            expected: None,
            observed: None,
            deviations: Vec::new(),
            transcript: Vec::new(),
            duration: Duration::ZERO,
        }
    }

    /// A run of these results against a loopback target.
    pub fn run(results: Vec<CaseResult>) -> RunReport {
        RunReport {
            target: "http://127.0.0.1:9".to_owned(),
            card: None,
            suite_version: "0".to_owned(),
            started_at: String::new(),
            duration: Duration::ZERO,
            results,
        }
    }
}
