//! What a case sees: the subject (the discovered target plus the run's identities), its binding, a client that
//! records into the case's own transcript, run-unique ids and scaled deadlines. It also owns the
//! classification of unmet needs ([`Unmet`]): not declared (NOT-APPLICABLE) or applicable but
//! unobservable from here (UNTESTED).

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::case::{Binding, Need};
use crate::client::A2aClient;
use crate::probe::{Probe, Transcript};

pub use gauntlet_a2a::{is_loopback_host, Target};

/// The server under test as a run sees it: the discovered [`Target`] (dereferenced to it) and
/// the identities the user gave (`--token`), which are run options, not discovery.
#[derive(Debug, Clone)]
pub struct Subject {
    /// What the agent card says.
    pub target: Target,
    /// Bearer tokens given by the user (`--token`), one identity each.
    pub tokens: Vec<String>,
}

impl std::ops::Deref for Subject {
    type Target = Target;

    fn deref(&self) -> &Target {
        &self.target
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
/// What makes a webhook-delivery row judgeable.
pub const HELP_LOCAL_WEBHOOK: &str =
    "run the target on loopback so it can reach the suite's webhook receiver";

impl Subject {
    /// Whether `need` is met; `Err(reason)` explains why not (see [`Subject::unmet`] for which
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
                self.test_agent,
                "the card does not advertise the gauntlet-test-agent skill",
                HELP_TEST_AGENT,
            ),
            Need::Streaming => not_declared(
                self.streaming,
                "the card does not declare capabilities.streaming",
            ),
            Need::NoStreaming => not_declared(
                !self.streaming,
                "the card declares capabilities.streaming, so the refusal path cannot be exercised",
            ),
            Need::Push => not_declared(
                self.push,
                "the card does not declare capabilities.pushNotifications",
            ),
            Need::NoPush => not_declared(
                !self.push,
                "the card declares capabilities.pushNotifications, so the refusal path cannot be exercised",
            ),
            Need::ExtendedCard => not_declared(
                self.extended_card,
                "the card does not declare capabilities.extendedAgentCard",
            ),
            Need::Auth => not_declared(self.auth, "the card declares no security schemes"),
            // Without declared security every caller is the same identity: nothing to isolate.
            Need::TwoIdentities if !self.auth && self.tokens.len() < 2 => Some(Unmet::NotDeclared(
                "the card declares no security schemes, so there is only one identity".to_owned(),
            )),
            Need::TwoIdentities => unobservable(
                self.tokens.len() >= 2,
                "two identities are needed (pass --token twice)",
                HELP_TWO_IDENTITIES,
            ),
            Need::RequiredExtension => not_declared(
                !self.required_extensions.is_empty(),
                "the card declares no extension with required: true",
            ),
            Need::LocalWebhook => unobservable(
                self.loopback,
                "the target is not on loopback, so it cannot reach the suite's local webhook receiver",
                HELP_LOCAL_WEBHOOK,
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

    /// The subject read from a card fetched from `base_url`, with the user's `tokens`.
    pub fn from_card(base_url: &str, card: Value, tokens: Vec<String>) -> Self {
        Self {
            target: Target::from_card(base_url, card),
            tokens,
        }
    }
}

/// The context handed to a case run. Cheap to clone.
#[derive(Clone)]
pub struct Ctx {
    inner: Arc<CtxInner>,
}

struct CtxInner {
    target: Arc<Subject>,
    binding: Binding,
    probe: Probe,
    timeout_scale: f64,
    run_id: String,
}

impl Ctx {
    /// A context for one case on one binding.
    pub fn new(
        target: Arc<Subject>,
        binding: Binding,
        transcript: Transcript,
        timeout_scale: f64,
        run_id: String,
    ) -> Self {
        let probe = Probe::new(transcript, Duration::from_secs_f64(5.0 * timeout_scale));
        Self {
            inner: Arc::new(CtxInner {
                target,
                binding,
                probe,
                timeout_scale,
                run_id,
            }),
        }
    }

    /// The binding this run is for (for `Bindings::Once` cases: the first declared binding).
    pub fn binding(&self) -> Binding {
        self.inner.binding
    }

    /// The server under test.
    pub fn target(&self) -> &Subject {
        &self.inner.target
    }

    /// A client for this run's binding.
    pub fn client(&self) -> A2aClient {
        self.client_for(self.inner.binding)
    }

    /// A client for another binding (cross-binding cases).
    pub fn client_for(&self, binding: Binding) -> A2aClient {
        let t = &self.inner.target;
        A2aClient {
            binding,
            base_url: t.url(binding).unwrap_or_default().to_owned(),
            tenant: t.tenant(binding).map(str::to_owned),
            default_bearer: t.tokens.first().cloned(),
            default_extensions: t.required_extensions.clone(),
            probe: self.inner.probe.clone(),
        }
    }

    /// The raw probe (for malformed input), recording into the same transcript.
    pub fn probe(&self) -> &Probe {
        &self.inner.probe
    }

    /// A run-unique identifier with `prefix` (every case uses fresh ids).
    pub fn unique(&self, prefix: &str) -> String {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{prefix}-{}-{n}", self.inner.run_id)
    }

    /// A webhook URL for cases that only exercise push-config CRUD: a path on the target's own
    /// origin, so a server that does deliver to it talks to itself, never to a third party.
    pub fn inert_webhook_url(&self) -> String {
        let base = &self.inner.target.base_url;
        let origin = crate::probe::parse_url(base)
            .map(|u| u.origin())
            .unwrap_or_else(|_| base.trim_end_matches('/').to_owned());
        format!("{origin}/gauntlet-inert-webhook")
    }

    /// `base` scaled by `--timeout-scale` (slow CI runners).
    pub fn deadline(&self, base: Duration) -> Duration {
        base.mul_f64(self.inner.timeout_scale)
    }
}
