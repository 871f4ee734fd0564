//! What a case or a chaos scenario needs before it can be judged ([`Need`]), and why a need is
//! unmet ([`Unmet`]): not declared by the card (NOT-APPLICABLE) or applicable but unobservable
//! from here (UNTESTED).
//!
//! It sits below [`crate::case`], [`crate::context`] and [`crate::client`] and imports none of
//! them (only the shared [`Target`]), so they no longer import each other in a circle; it is
//! in the oracle rather than in `gauntlet-a2a` because deciding what a missing capability
//! means for a verdict is judging, and chaos, a judge too, takes it from here.

use gauntlet_a2a::Target;

/// A precondition of a case or a chaos scenario; why one is unmet is an [`Unmet`].
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
    /// The harness can start and stop the server (embedded reference or `--sut-cmd`).
    Lifecycle,
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
            Need::Lifecycle => "lifecycle",
        }
    }
}

/// Why a [`Need`] is unmet, which decides the verdict of the rows that need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmet {
    /// The card does not declare the capability (or declares the one that excludes the
    /// row): the row does not apply, NOT-APPLICABLE with this reason.
    NotDeclared(String),
    /// The row applies, but the suite cannot observe it from here: UNTESTED, with the reason
    /// and what would make it judgeable.
    Unobservable {
        /// What is missing.
        reason: String,
        /// What would make the row judgeable (a flag, a skill, a deployment).
        help: String,
    },
}

impl Unmet {
    /// The one-sentence reason (without the help).
    pub fn reason(&self) -> &str {
        match self {
            Unmet::NotDeclared(r) | Unmet::Unobservable { reason: r, .. } => r,
        }
    }
}

/// What makes a test-agent row judgeable.
pub const HELP_TEST_AGENT: &str =
    "add the gauntlet-test-agent skill to the card (fixtures/test-agent.md)";
/// What makes a two-identity row judgeable.
pub const HELP_TWO_IDENTITIES: &str = "pass --token twice, one token per identity";
/// What makes a start/stop scenario judgeable.
pub const HELP_LIFECYCLE: &str = "give --sut-cmd";
/// What makes a webhook-delivery row judgeable.
pub const HELP_LOCAL_WEBHOOK: &str =
    "run the target on loopback so it can reach the suite's webhook receiver";

/// What a run has to meet needs with: the card's facts, the identities the user gave
/// (`--token`) and whether the harness controls the server's lifecycle.
#[derive(Debug, Clone, Copy)]
pub struct Means<'a> {
    /// The discovered target.
    pub target: &'a Target,
    /// How many identities (`--token`) the run has.
    pub identities: usize,
    /// The harness can start and stop the server.
    pub lifecycle: bool,
}

impl Means<'_> {
    /// Whether `need` is met; `Err(reason)` explains why not (see [`Means::unmet`] for which
    /// verdict that reason gives).
    pub fn check(&self, need: Need) -> Result<(), String> {
        match self.unmet(need) {
            None => Ok(()),
            Some(u) => Err(u.reason().to_owned()),
        }
    }

    /// `None` when `need` is met; else whether the row does not apply (the card does not
    /// declare the capability) or applies but cannot be observed from here.
    pub fn unmet(&self, need: Need) -> Option<Unmet> {
        let not_declared =
            |met: bool, reason: &str| (!met).then(|| Unmet::NotDeclared(reason.to_owned()));
        let unobservable = |met: bool, reason: &str, help: &str| {
            (!met).then(|| Unmet::Unobservable {
                reason: reason.to_owned(),
                help: help.to_owned(),
            })
        };
        match need {
            Need::TestAgent => unobservable(
                self.target.test_agent,
                "the card does not advertise the gauntlet-test-agent skill",
                HELP_TEST_AGENT,
            ),
            Need::Streaming => not_declared(
                self.target.streaming,
                "the card does not declare capabilities.streaming",
            ),
            Need::NoStreaming => not_declared(
                !self.target.streaming,
                "the card declares capabilities.streaming, so the refusal path cannot be exercised",
            ),
            Need::Push => not_declared(
                self.target.push,
                "the card does not declare capabilities.pushNotifications",
            ),
            Need::NoPush => not_declared(
                !self.target.push,
                "the card declares capabilities.pushNotifications, so the refusal path cannot be exercised",
            ),
            Need::ExtendedCard => not_declared(
                self.target.extended_card,
                "the card does not declare capabilities.extendedAgentCard",
            ),
            Need::Auth => not_declared(self.target.auth, "the card declares no security schemes"),
            // Without declared security every caller is the same identity: nothing to isolate.
            Need::TwoIdentities if !self.target.auth && self.identities < 2 => Some(Unmet::NotDeclared(
                "the card declares no security schemes, so there is only one identity".to_owned(),
            )),
            Need::TwoIdentities => unobservable(
                self.identities >= 2,
                "two identities are needed (pass --token twice)",
                HELP_TWO_IDENTITIES,
            ),
            Need::RequiredExtension => not_declared(
                !self.target.required_extensions.is_empty(),
                "the card declares no extension with required: true",
            ),
            Need::LocalWebhook => unobservable(
                self.target.loopback,
                "the target is not on loopback, so it cannot reach the suite's local webhook receiver",
                HELP_LOCAL_WEBHOOK,
            ),
            Need::Lifecycle => unobservable(
                self.lifecycle,
                "the harness cannot start and stop this server",
                HELP_LIFECYCLE,
            ),
        }
    }

    /// The verdict-deciding unmet need of a row needing `needs`: any undeclared capability
    /// makes it NOT-APPLICABLE (first one wins); else any unobservable need makes it UNTESTED.
    pub fn unmet_of(&self, needs: &[Need]) -> Option<Unmet> {
        let mut unobservable = None;
        for need in needs {
            match self.unmet(*need) {
                Some(u @ Unmet::NotDeclared(_)) => return Some(u),
                Some(u) => {
                    unobservable.get_or_insert(u);
                }
                None => {}
            }
        }
        unobservable
    }
}
