//! The server under test as its agent card describes it ([`Target`]), and the one discovery
//! that reads it ([`Target::discover`]): check, chaos and load all start here, so they read the
//! same interfaces, tenants and capabilities from the same card in the same way.
//!
//! Discovery only reads; it never judges. Its failures ([`DiscoverError`]) are one sentence
//! each, and say whether the URL was unusable, nothing answered, or what answered is not A2A.

use std::time::Duration;

pub use gauntlet_wire::endpoint::is_loopback_host;
use gauntlet_wire::endpoint::parse_url;
use gauntlet_wire::request::request_bytes;
use gauntlet_wire::{Conn, Endpoint, WireError};
use serde_json::Value;

use crate::{Binding, PROTOCOL_VERSION, TEST_AGENT_SKILL};

/// Where the agent card is, relative to the origin (§8.2).
pub const CARD_PATH: &str = "/.well-known/agent-card.json";

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
    /// The target host is loopback, so a local webhook receiver is reachable.
    pub loopback: bool,
}

/// Why discovery found no usable A2A server. Each message is one sentence for people.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DiscoverError {
    /// The URL given is not one the suite can use.
    #[error("{0}")]
    InvalidUrl(String),
    /// Nothing answered at the URL's origin.
    #[error("cannot reach {origin}: {}", plain(cause))]
    Unreachable {
        /// `http://authority` of the URL given.
        origin: String,
        /// What the wire saw.
        cause: WireError,
    },
    /// Something answered, but not with a usable A2A 1.0 agent card.
    #[error("{0}")]
    NotA2a(String),
}

impl Target {
    /// Fetches `{origin}/.well-known/agent-card.json` from `base_url` (each exchange bounded
    /// by `timeout`) and reads the target's facts from it. A card without a JSON-RPC or
    /// HTTP+JSON interface is not one the suite can drive.
    pub async fn discover(base_url: &str, timeout: Duration) -> Result<Target, DiscoverError> {
        let origin = parse_url(base_url)
            .map_err(|_| {
                DiscoverError::InvalidUrl(format!(
                    "`{base_url}` is not an http:// URL (expected e.g. http://127.0.0.1:7420)"
                ))
            })?
            .origin();
        let card_url = format!("{origin}{CARD_PATH}");
        let unreachable = |cause: WireError| DiscoverError::Unreachable {
            origin: origin.clone(),
            cause,
        };
        let endpoint = Endpoint::resolve(&origin).await.map_err(unreachable)?;
        let mut conn = Conn::connect(endpoint.addr, timeout)
            .await
            .map_err(unreachable)?;
        let req = request_bytes(
            "GET",
            &endpoint.host,
            CARD_PATH,
            &[
                ("A2A-Version", PROTOCOL_VERSION),
                ("Accept", "application/json"),
            ],
            b"",
        );
        let (head, body) = conn.request(&req).await.map_err(unreachable)?;
        if head.status != 200 {
            return Err(DiscoverError::NotA2a(format!(
                "{card_url} answered HTTP {} instead of an agent card, so this is not an A2A server",
                head.status
            )));
        }
        let Some(card) = serde_json::from_slice::<Value>(body)
            .ok()
            .filter(Value::is_object)
        else {
            return Err(DiscoverError::NotA2a(format!(
                "{card_url} did not return a JSON object, so this is not an A2A server"
            )));
        };
        if card
            .get("supportedInterfaces")
            .and_then(Value::as_array)
            .is_none_or(|a| a.is_empty())
        {
            return Err(DiscoverError::NotA2a(format!(
                "the agent card at {card_url} has no supportedInterfaces, so it is not an A2A 1.0 card"
            )));
        }
        let target = Target::from_card(base_url, card);
        if target.bindings().is_empty() {
            return Err(DiscoverError::NotA2a(format!(
                "the agent card at {card_url} declares no JSONRPC or HTTP+JSON interface"
            )));
        }
        Ok(target)
    }

    /// Reads the facts from an agent card fetched from `base_url`. Interfaces of other
    /// bindings (gRPC, custom URIs) are ignored.
    pub fn from_card(base_url: &str, card: Value) -> Self {
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
                s.iter()
                    .any(|k| k.get("id").and_then(Value::as_str) == Some(TEST_AGENT_SKILL))
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
        let loopback = parse_url(base_url).is_ok_and(|u| is_loopback_host(&u.host));
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

    /// The `tenant` of the interface for `binding`, if declared.
    pub fn tenant(&self, binding: Binding) -> Option<&str> {
        match binding {
            Binding::JsonRpc => self.jsonrpc_tenant.as_deref(),
            Binding::Rest => self.rest_tenant.as_deref(),
        }
    }

    /// The resolved endpoint of the interface for `binding`, if the card declares one with an
    /// `http://` URL that resolves.
    pub async fn endpoint(&self, binding: Binding) -> Option<Endpoint> {
        Endpoint::resolve(self.url(binding)?).await.ok()
    }
}

/// A wire failure as the end of "cannot reach {origin}: …".
fn plain(cause: &WireError) -> String {
    match cause {
        WireError::Connect { reason, .. } => plain_io_reason(reason),
        WireError::Timeout(after) => format!("no answer within {}", gauntlet_wire::seconds(*after)),
        other => other.to_string(),
    }
}

/// "Connection refused (os error 111)" → "connection refused".
fn plain_io_reason(reason: &str) -> String {
    let r = reason.split(" (os error").next().unwrap_or(reason);
    let mut chars = r.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => r.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_read_from_the_url_given() {
        let card = serde_json::json!({"supportedInterfaces": []});
        for (url, loopback) in [
            ("http://127.0.0.1:7420/a2a", true),
            ("HTTP://[::1]:80?x", true),
            ("http://localhost", true),
            ("http://a2a.example:80", false),
            ("http://u@127.0.0.1", false),
            ("https://127.0.0.1", false),
        ] {
            assert_eq!(
                Target::from_card(url, card.clone()).loopback,
                loopback,
                "{url}"
            );
        }
    }

    #[test]
    fn the_first_interface_of_each_binding_wins() {
        let card = serde_json::json!({
            "supportedInterfaces": [
                {"protocolBinding": "GRPC", "url": "http://g"},
                {"protocolBinding": "JSONRPC", "url": "http://127.0.0.1:1/rpc", "tenant": "t"},
                {"protocolBinding": "JSONRPC", "url": "http://127.0.0.1:2/rpc"},
            ],
            "capabilities": {"streaming": true},
            "skills": [{"id": TEST_AGENT_SKILL}],
        });
        let t = Target::from_card("http://127.0.0.1:1", card);
        assert_eq!(t.bindings(), [Binding::JsonRpc]);
        assert_eq!(t.url(Binding::JsonRpc), Some("http://127.0.0.1:1/rpc"));
        assert_eq!(t.tenant(Binding::JsonRpc), Some("t"));
        assert!(t.streaming && !t.push && t.test_agent && t.loopback);
    }
}
