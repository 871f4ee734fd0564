//! What a case sees: the target (card, interfaces, capabilities), its binding, a client that
//! records into the case's own transcript, run-unique ids and scaled deadlines. It also owns the
//! classification of unmet needs ([`Unmet`]): not declared (NOT-APPLICABLE) or applicable but
//! unobservable from here (UNTESTED).

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

impl Target {
    /// Whether `need` is met; `Err(reason)` explains why not (see [`Target::unmet`] for which
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

    /// Reads the facts from an agent card fetched from `base_url`. `tokens` are the user's
    /// identities. Interfaces of other bindings (gRPC, custom URIs) are ignored.
    pub fn from_card(base_url: &str, card: Value, tokens: Vec<String>) -> Self {
        let interfaces = card
            .get("supportedInterfaces")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        // §8.3.2: the first interface of a binding is the preferred one.
        let first = |binding: &str| {
            interfaces.iter().find(|i| {
                i.get("protocolBinding").and_then(Value::as_str) == Some(binding)
                    && i.get("url").and_then(Value::as_str).is_some()
            })
        };
        let url_of = |i: Option<&Value>| {
            i.and_then(|i| i.get("url"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let tenant_of = |i: Option<&Value>| {
            i.and_then(|i| i.get("tenant"))
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
        };
        let jrpc = first(Binding::JsonRpc.protocol_binding());
        let rest = first(Binding::Rest.protocol_binding());
        let cap = |name: &str| {
            card.get("capabilities")
                .and_then(|c| c.get(name))
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        let test_agent = card
            .get("skills")
            .and_then(Value::as_array)
            .is_some_and(|s| {
                s.iter().any(|k| {
                    k.get("id").and_then(Value::as_str) == Some(crate::spec::TEST_AGENT_SKILL)
                })
            });
        let auth = card
            .get("securitySchemes")
            .and_then(Value::as_object)
            .is_some_and(|m| !m.is_empty());
        let required_extensions = card
            .get("capabilities")
            .and_then(|c| c.get("extensions"))
            .and_then(Value::as_array)
            .map(|exts| {
                exts.iter()
                    .filter(|e| e.get("required").and_then(Value::as_bool) == Some(true))
                    .filter_map(|e| e.get("uri").and_then(Value::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let loopback = crate::probe::parse_url(base_url)
            .map(|u| is_loopback_host(&u.host))
            .unwrap_or(false);
        Self {
            base_url: base_url.to_owned(),
            jsonrpc_url: url_of(jrpc),
            rest_url: url_of(rest),
            jsonrpc_tenant: tenant_of(jrpc),
            rest_tenant: tenant_of(rest),
            streaming: cap("streaming"),
            push: cap("pushNotifications"),
            extended_card: cap("extendedAgentCard"),
            test_agent,
            auth,
            required_extensions,
            tokens,
            loopback,
            card,
        }
    }

    /// The bindings the card declares, in report order.
    pub fn bindings(&self) -> Vec<Binding> {
        Binding::ALL
            .into_iter()
            .filter(|b| self.url(*b).is_some())
            .collect()
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

/// Whether `host` names the loopback interface (`localhost`, 127/8, `::1`).
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}
