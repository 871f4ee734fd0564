//! What a case is: its declaration (id, level, bindings, needs, spec reference) and its verdict.
//!
//! A case is data plus one async run function. Cases return a [`Judged`]: `Ok(outcome)` or
//! `Err(outcome)`, so shared verifiers in [`crate::expect`] can stop a case early with `?`.
//! Cases report *what they saw*; the runner turns a failure into FAIL, NON-STRICT or
//! INFORMATIONAL according to the case's [`Level`] (one place, not in every case).

use std::future::Future;
use std::pin::Pin;

use crate::context::Ctx;

/// The spec keyword of a checklist row. Its serde name is [`Level::as_str`].
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// MUST / MUST NOT (including "(derived)" and "(proto)" rows).
    Must,
    /// SHOULD / SHOULD NOT: a failure is NON-STRICT.
    Should,
    /// MAY: a failure is INFORMATIONAL.
    May,
    /// A de-facto SDK convention "(SDK)": a failure is INFORMATIONAL.
    Sdk,
}

impl Level {
    /// Whether this level is included when running at `max` (must ⊂ should ⊂ may).
    pub fn included_in(self, max: Level) -> bool {
        let rank = |l: Level| match l {
            Level::Must => 0,
            Level::Should => 1,
            Level::May | Level::Sdk => 2,
        };
        rank(self) <= rank(max)
    }

    /// Upper-case keyword for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
            Level::Sdk => "SDK",
        }
    }
}

pub use gauntlet_a2a::Binding;

/// Which bindings a case runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bindings {
    /// Once per declared binding (JSONRPC and HTTP+JSON).
    Each,
    /// JSON-RPC only.
    JsonRpc,
    /// REST only.
    Rest,
    /// Once, binding-independent (agent card, cross-binding comparisons).
    Once,
}

impl Bindings {
    /// Lower-case name for listings.
    pub fn as_str(self) -> &'static str {
        match self {
            Bindings::Each => "each",
            Bindings::JsonRpc => "jsonrpc",
            Bindings::Rest => "rest",
            Bindings::Once => "once",
        }
    }
}

pub use crate::need::Need;

/// The judgement of one case on one binding. Its serde name is [`Verdict::as_str`].
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "SCREAMING-KEBAB-CASE")]
pub enum Verdict {
    /// The requirement holds.
    Pass,
    /// A MUST was violated.
    Fail,
    /// A SHOULD was not followed (warning).
    NonStrict,
    /// Reported for information only (MAY, SDK conventions, observations).
    Informational,
    /// The case does not apply (capability not declared, test agent absent, not automatable).
    NotApplicable,
    /// The suite could not judge (timeout, refused connection, harness failure).
    Error,
    /// The row applies (its capability is declared) but could not be observed from here; the
    /// summary says what would make it judgeable. Counts against conformance, never passes.
    Untested,
}

impl Verdict {
    /// Upper-case label for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::NonStrict => "NON-STRICT",
            Verdict::Informational => "INFORMATIONAL",
            Verdict::NotApplicable => "NOT-APPLICABLE",
            Verdict::Error => "ERROR",
            Verdict::Untested => "UNTESTED",
        }
    }

    /// How bad a verdict is when one case saw several deviations: the worst one decides.
    /// A violation seen is worse than one that could not be judged.
    pub fn severity(self) -> u8 {
        match self {
            Verdict::Pass | Verdict::NotApplicable => 0,
            Verdict::Informational => 1,
            Verdict::NonStrict => 2,
            Verdict::Untested => 3,
            Verdict::Error => 4,
            Verdict::Fail => 5,
        }
    }
}

/// What a case observed. `verdict` is the *raw* judgement (Pass/Fail/…); the runner applies
/// the level mapping for Fail.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Raw verdict.
    pub verdict: Verdict,
    /// One-line summary.
    pub summary: String,
    /// What would have been acceptable (on failure).
    pub expected: Option<String>,
    /// What was seen (on failure).
    pub observed: Option<String>,
    /// Further deviations the same case saw (each with its own evidence), worst first; the
    /// case's verdict is the worst of all (see [`Checks`]).
    pub also: Vec<Outcome>,
}

impl Outcome {
    /// The requirement holds.
    pub fn pass(summary: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Pass,
            summary: summary.into(),
            expected: None,
            observed: None,
            also: Vec::new(),
        }
    }
    /// The requirement is violated: what was acceptable and what was seen.
    pub fn fail(
        summary: impl Into<String>,
        expected: impl Into<String>,
        observed: impl Into<String>,
    ) -> Self {
        Self {
            verdict: Verdict::Fail,
            summary: summary.into(),
            expected: Some(expected.into()),
            observed: Some(observed.into()),
            also: Vec::new(),
        }
    }
    /// A SHOULD-level shortfall reported directly as NON-STRICT, whatever the case's level (a
    /// digest-tolerated deviation inside a MUST case, or a chaos outcome the spec tolerates).
    pub fn non_strict(
        summary: impl Into<String>,
        expected: impl Into<String>,
        observed: impl Into<String>,
    ) -> Self {
        Self {
            verdict: Verdict::NonStrict,
            ..Self::fail(summary, expected, observed)
        }
    }
    /// Information only (never fails a server).
    pub fn info(summary: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Informational,
            summary: summary.into(),
            expected: None,
            observed: None,
            also: Vec::new(),
        }
    }
    /// The case does not apply, and why.
    pub fn not_applicable(reason: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::NotApplicable,
            summary: reason.into(),
            expected: None,
            observed: None,
            also: Vec::new(),
        }
    }
    /// The suite could not judge, and why.
    pub fn error(reason: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Error,
            summary: reason.into(),
            expected: None,
            observed: None,
            also: Vec::new(),
        }
    }
    /// The row applies but could not be observed: `what_would_help` says what would make it
    /// judgeable (a flag, a server setting, the test-agent skill).
    pub fn untested(
        what_was_missing: impl Into<String>,
        what_would_help: impl Into<String>,
    ) -> Self {
        Self {
            verdict: Verdict::Untested,
            summary: what_was_missing.into(),
            expected: Some(what_would_help.into()),
            observed: None,
            also: Vec::new(),
        }
    }
    /// Whether this outcome is a deviation (anything but a pass or not-applicable).
    pub fn is_deviation(&self) -> bool {
        self.verdict.severity() > 0
    }
}

/// Collects the sub-probes of one case, so that every deviation is reported with its own
/// evidence instead of only the first: record each probe, then [`Checks::finish`].
///
/// ```ignore
/// let mut checks = Checks::new();
/// checks.check(expect::error_is(&a, ErrorCode::InvalidParams).map(drop));
/// checks.check(expect::error_details_have_type(e));
/// checks.finish("every malformed request was refused")
/// ```
#[derive(Debug, Default)]
pub struct Checks {
    deviations: Vec<Outcome>,
    notes: Vec<String>,
}

impl Checks {
    /// No probe recorded yet.
    pub fn new() -> Self {
        Self::default()
    }
    /// Records one sub-probe: `Err` is a deviation; returns whether the probe held.
    pub fn check<T>(&mut self, result: Result<T, Outcome>) -> bool {
        match result {
            Ok(_) => true,
            Err(o) => {
                self.add(o);
                false
            }
        }
    }
    /// Records one sub-probe's outcome, whatever its verdict (a pass adds its summary to the
    /// final one).
    pub fn add(&mut self, mut outcome: Outcome) {
        if outcome.is_deviation() {
            // One flat list: a sub-probe's own extra deviations stand beside it, and the count
            // its own `finish` put in its summary is dropped (the final one counts them all).
            let nested = std::mem::take(&mut outcome.also);
            if !nested.is_empty() {
                outcome.summary = without_more_count(&outcome.summary).to_owned();
            }
            self.deviations.push(outcome);
            self.deviations
                .extend(nested.into_iter().filter(Outcome::is_deviation));
        } else if outcome.verdict == Verdict::Pass && !outcome.summary.is_empty() {
            self.notes.push(outcome.summary);
        }
    }
    /// Records a judged sub-case (`Ok` or `Err`, both carry an outcome).
    pub fn judged(&mut self, judged: Judged) {
        self.add(judged.unwrap_or_else(|o| o));
    }
    /// Records a passing observation worth keeping in the summary.
    pub fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }
    /// Whether any deviation was recorded.
    pub fn failed(&self) -> bool {
        !self.deviations.is_empty()
    }
    /// The case's outcome: a pass with `pass_summary` (and the notes) when nothing deviated,
    /// else the worst deviation first with every other one in [`Outcome::also`].
    pub fn finish(self, pass_summary: impl Into<String>) -> Judged {
        let mut devs = self.deviations;
        if devs.is_empty() {
            let mut summary = pass_summary.into();
            if !self.notes.is_empty() {
                summary = format!("{summary} ({})", self.notes.join("; "));
            }
            return Ok(Outcome::pass(summary));
        }
        // Stable: deviations of equal severity keep probe order.
        devs.sort_by_key(|o| std::cmp::Reverse(o.verdict.severity()));
        let mut first = devs.remove(0);
        if !devs.is_empty() {
            first.summary = format!(
                "{}{MORE} {} more deviation{})",
                first.summary,
                devs.len(),
                if devs.len() == 1 { "" } else { "s" }
            );
        }
        first.also.extend(devs);
        Err(first)
    }
}

/// How [`Checks::finish`] starts the count of further deviations it appends to a summary.
const MORE: &str = " (and";

/// `summary` without the " (and N more deviation(s))" that [`Checks::finish`] appended.
fn without_more_count(summary: &str) -> &str {
    match summary.rfind(MORE) {
        Some(i)
            if summary.ends_with(" more deviation)") || summary.ends_with(" more deviations)") =>
        {
            &summary[..i]
        }
        _ => summary,
    }
}

/// A case's result: `Ok` for a normal finish, `Err` for an early stop (both carry an outcome).
pub type Judged = Result<Outcome, Outcome>;

/// Boxed future returned by a case's run function.
pub type CaseFuture = Pin<Box<dyn Future<Output = Judged> + Send + 'static>>;

/// A case's run function. Use [`crate::run_fn!`] to make one from an `async fn(Ctx) -> Judged`.
pub type RunFn = fn(Ctx) -> CaseFuture;

/// How a case is executed.
#[derive(Clone, Copy)]
pub enum Exec {
    /// Automated.
    Run(RunFn),
    /// Not automatable (digest "NT", or suite-side rules): the reason is reported.
    Manual(&'static str),
}

/// One checklist row of digest §9, declared.
#[derive(Clone, Copy)]
pub struct Case {
    /// Digest id, e.g. `JRPC-005`.
    pub id: &'static str,
    /// Spec keyword.
    pub level: Level,
    /// Which bindings it runs on.
    pub bindings: Bindings,
    /// Preconditions.
    pub needs: &'static [Need],
    /// What we send.
    pub title: &'static str,
    /// What the server must do.
    pub requirement: &'static str,
    /// Spec reference, e.g. `§9.5`.
    pub spec: &'static str,
    /// How it runs.
    pub exec: Exec,
}

impl Case {
    /// The checklist group: the id's prefix before the dash (`JRPC` for `JRPC-005`).
    pub fn area(&self) -> &'static str {
        self.id.split('-').next().unwrap_or(self.id)
    }
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case")
            .field("id", &self.id)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

/// Makes a [`RunFn`] from an `async fn(Ctx) -> Judged`: `exec: Exec::Run(run_fn!(jrpc_005))`.
#[macro_export]
macro_rules! run_fn {
    ($f:path) => {
        |ctx: $crate::context::Ctx| -> $crate::case::CaseFuture { Box::pin($f(ctx)) }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_deviation_is_kept_and_the_worst_leads() {
        let mut checks = Checks::new();
        assert!(checks.check(Ok::<(), Outcome>(())));
        assert!(!checks.check::<()>(Err(Outcome::non_strict("a", "x", "y"))));
        checks.add(Outcome::fail("b", "x", "y"));
        checks.add(Outcome::error("c"));
        let out = checks.finish("fine").unwrap_err();
        assert_eq!(out.verdict, Verdict::Fail);
        assert!(out.summary.starts_with("b (and 2 more deviations)"));
        let rest: Vec<Verdict> = out.also.iter().map(|o| o.verdict).collect();
        assert_eq!(rest, [Verdict::Error, Verdict::NonStrict]);
    }

    #[test]
    fn nested_deviations_are_flattened_and_passes_are_noted() {
        let mut inner = Outcome::fail("inner", "x", "y");
        inner.also.push(Outcome::non_strict("nested", "x", "y"));
        let mut checks = Checks::new();
        checks.judged(Ok(Outcome::pass("probe 1 held")));
        let clean = std::mem::take(&mut checks).finish("all held").unwrap();
        assert_eq!(clean.summary, "all held (probe 1 held)");
        checks.judged(Err(inner));
        let out = checks.finish("unused").unwrap_err();
        assert_eq!(out.also.len(), 1);
        assert_eq!(out.also[0].summary, "nested");
    }

    #[test]
    fn a_nested_finish_is_counted_once() {
        let mut inner = Checks::new();
        inner.add(Outcome::fail("first", "x", "y"));
        inner.add(Outcome::fail("second", "x", "y"));
        let mut outer = Checks::new();
        outer.judged(inner.finish("unused"));
        outer.add(Outcome::fail("third", "x", "y"));
        let out = outer.finish("unused").unwrap_err();
        assert_eq!(out.summary, "first (and 2 more deviations)");
        assert_eq!(without_more_count("a (and x) b"), "a (and x) b");
    }
}
