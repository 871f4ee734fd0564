//! What a case is: its declaration (id, level, bindings, needs, spec reference) and its verdict.
//!
//! A case is data plus one async run function. Cases return a [`Judged`]: `Ok(outcome)` or
//! `Err(outcome)`, so shared verifiers in [`crate::expect`] can stop a case early with `?`.
//! Cases report *what they saw*; the runner turns a failure into FAIL, NON-STRICT or
//! INFORMATIONAL according to the case's [`Level`] (one place, not in every case).

use std::future::Future;
use std::pin::Pin;

use crate::context::Ctx;

/// The spec keyword of a checklist row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

/// A wire binding the suite can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Binding {
    /// JSON-RPC 2.0 (`protocolBinding: "JSONRPC"`).
    JsonRpc,
    /// HTTP+JSON / REST (`protocolBinding: "HTTP+JSON"`).
    Rest,
}

impl Binding {
    /// Both bindings in report order.
    pub const ALL: [Binding; 2] = [Binding::JsonRpc, Binding::Rest];

    /// The card's `protocolBinding` value.
    pub fn protocol_binding(self) -> &'static str {
        match self {
            Binding::JsonRpc => "JSONRPC",
            Binding::Rest => "HTTP+JSON",
        }
    }

    /// Short lower-case name for CLI flags and test names.
    pub fn short(self) -> &'static str {
        match self {
            Binding::JsonRpc => "jsonrpc",
            Binding::Rest => "rest",
        }
    }
}

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

/// A precondition for running a case. Unmet needs give NOT-APPLICABLE with the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Need {
    /// The card advertises the `gauntlet-test-agent` skill.
    TestAgent,
    /// `capabilities.streaming` is true.
    Streaming,
    /// `capabilities.streaming` is false/absent (CAP-001).
    NoStreaming,
    /// `capabilities.pushNotifications` is true.
    Push,
    /// `capabilities.pushNotifications` is false/absent (CAP-002).
    NoPush,
    /// `capabilities.extendedAgentCard` is true.
    ExtendedCard,
    /// The card declares security schemes (requirements in `securityRequirements`).
    Auth,
    /// The user supplied at least two identities (`--token` twice).
    TwoIdentities,
    /// The card declares an extension with `required: true`.
    RequiredExtension,
    /// The suite can receive webhooks on loopback (the target is on loopback).
    LocalWebhook,
}

impl Need {
    /// Kebab-case name for listings.
    pub fn as_str(self) -> &'static str {
        match self {
            Need::TestAgent => "test-agent",
            Need::Streaming => "streaming",
            Need::NoStreaming => "no-streaming",
            Need::Push => "push",
            Need::NoPush => "no-push",
            Need::ExtendedCard => "extended-card",
            Need::Auth => "auth",
            Need::TwoIdentities => "two-identities",
            Need::RequiredExtension => "required-extension",
            Need::LocalWebhook => "local-webhook",
        }
    }
}

/// The judgement of one case on one binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
}

impl Outcome {
    /// The requirement holds.
    pub fn pass(summary: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Pass,
            summary: summary.into(),
            expected: None,
            observed: None,
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
        }
    }
    /// The case does not apply, and why.
    pub fn not_applicable(reason: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::NotApplicable,
            summary: reason.into(),
            expected: None,
            observed: None,
        }
    }
    /// The suite could not judge, and why.
    pub fn error(reason: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Error,
            summary: reason.into(),
            expected: None,
            observed: None,
        }
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
