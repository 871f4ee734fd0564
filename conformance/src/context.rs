//! What a case sees: the subject (the discovered target plus the run's identities), its binding, a client that
//! records into the case's own transcript, run-unique ids and scaled deadlines..

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::client::A2aClient;
use crate::need::Means;
pub use crate::need::{
    Need, Unmet, HELP_LIFECYCLE, HELP_LOCAL_WEBHOOK, HELP_TEST_AGENT, HELP_TWO_IDENTITIES,
};
use crate::probe::{Probe, Transcript};
use gauntlet_a2a::Binding;

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

impl Subject {
    /// What this subject has to meet needs with (check has no lifecycle control).
    pub fn means(&self) -> Means<'_> {
        Means {
            target: &self.target,
            identities: self.tokens.len(),
            lifecycle: false,
        }
    }

    /// Whether `need` is met; `Err(reason)` explains why not (see [`Means::unmet`]).
    pub fn check(&self, need: Need) -> Result<(), String> {
        self.means().check(need)
    }

    /// `None` when `need` is met; else why not ([`Means::unmet`]).
    pub fn unmet(&self, need: Need) -> Option<Unmet> {
        self.means().unmet(need)
    }

    /// The verdict-deciding unmet need of a row needing `needs` ([`Means::unmet_of`]).
    pub fn unmet_of(&self, needs: &[Need]) -> Option<Unmet> {
        self.means().unmet_of(needs)
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
