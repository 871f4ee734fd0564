//! What a case sees: the target (card, interfaces, capabilities), its binding, a client that
//! records into the case's own transcript, run-unique ids and scaled deadlines.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::case::{Binding, Need};
use crate::client::A2aClient;
use crate::probe::{Probe, Transcript};

/// Facts about the server under test, read once from its agent card.
#[derive(Debug, Clone)]
pub struct Target {
    /// The base URL given by the user (the card is at `{origin}/.well-known/agent-card.json`).
    pub base_url: String,
    /// The card as received (raw JSON).
    pub card: Value,
    /// Interface URL per binding (first declared interface of that binding).
    pub jsonrpc_url: Option<String>,
    /// HTTP+JSON interface URL.
    pub rest_url: Option<String>,
    /// `tenant` of the JSON-RPC interface, if declared.
    pub jsonrpc_tenant: Option<String>,
    /// `tenant` of the HTTP+JSON interface, if declared.
    pub rest_tenant: Option<String>,
    /// `capabilities.streaming`.
    pub streaming: bool,
    /// `capabilities.pushNotifications`.
    pub push: bool,
    /// `capabilities.extendedAgentCard`.
    pub extended_card: bool,
    /// The card advertises the `gauntlet-test-agent` skill.
    pub test_agent: bool,
    /// The card declares security schemes.
    pub auth: bool,
    /// URIs of extensions the card marks `required: true`.
    pub required_extensions: Vec<String>,
    /// Bearer tokens given by the user (`--token`), one identity each.
    pub tokens: Vec<String>,
    /// The target host is loopback, so a local webhook receiver is reachable.
    pub loopback: bool,
}

impl Target {
    /// Whether `need` is met; `Err(reason)` explains why not.
    pub fn check(&self, need: Need) -> Result<(), String> {
        let _ = need;
        todo!()
    }

    /// The interface URL for `binding`, if declared.
    pub fn url(&self, binding: Binding) -> Option<&str> {
        match binding {
            Binding::JsonRpc => self.jsonrpc_url.as_deref(),
            Binding::Rest => self.rest_url.as_deref(),
        }
    }
}

/// The context handed to a case run. Cheap to clone.
#[derive(Clone)]
pub struct Ctx {
    inner: Arc<CtxInner>,
}

struct CtxInner {
    target: Arc<Target>,
    binding: Binding,
    probe: Probe,
    timeout_scale: f64,
    run_id: String,
}

impl Ctx {
    /// A context for one case on one binding.
    pub fn new(
        target: Arc<Target>,
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
    pub fn target(&self) -> &Target {
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
            tenant: match binding {
                Binding::JsonRpc => t.jsonrpc_tenant.clone(),
                Binding::Rest => t.rest_tenant.clone(),
            },
            default_bearer: t.tokens.first().cloned(),
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

    /// `base` scaled by `--timeout-scale` (slow CI runners).
    pub fn deadline(&self, base: Duration) -> Duration {
        base.mul_f64(self.inner.timeout_scale)
    }
}
