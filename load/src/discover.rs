//! Which interface each binding's load goes to, read from the agent card.

use std::time::Duration;

use serde_json::Value;

use crate::{http_request, Binding, Conn, Endpoint, WireError, TEST_AGENT_SKILL};

// Discovery
// ---------------------------------------------------------------------------------------------

/// What the agent card says about load targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// Endpoint for the JSON-RPC interface (the given URL when the card names none).
    pub jsonrpc: Endpoint,
    /// Endpoint for the REST interface (the given URL when the card names none).
    pub rest: Endpoint,
    /// The card lists the `gauntlet-test-agent` skill.
    pub test_agent: bool,
    /// `capabilities.streaming` is true.
    pub streaming: bool,
}

impl Discovered {
    /// The target for `binding`.
    pub fn target(&self, binding: Binding) -> &Endpoint {
        match binding {
            Binding::JsonRpc => &self.jsonrpc,
            Binding::Rest => &self.rest,
        }
    }
}

/// Fetches `/.well-known/agent-card.json` from the URL's host and picks interface URLs.
pub async fn discover(url: &str, timeout: Duration) -> Result<Discovered, WireError> {
    let base = Endpoint::resolve(url).await?;
    let mut conn = Conn::connect(base.addr, timeout).await?;
    let req = http_request(&base, "GET", "/.well-known/agent-card.json", None, b"");
    let (head, body) = conn.request(&req).await?;
    if head.status != 200 {
        return Err(WireError::Http(format!(
            "the agent card answered HTTP {}",
            head.status
        )));
    }
    let card: Value = serde_json::from_slice(body)
        .map_err(|e| WireError::Http(format!("the agent card is not JSON: {e}")))?;
    let test_agent = card["skills"]
        .as_array()
        .is_some_and(|s| s.iter().any(|k| k["id"] == TEST_AGENT_SKILL));
    let streaming = card["capabilities"]["streaming"] == Value::Bool(true);
    let mut found = Discovered {
        jsonrpc: base.clone(),
        rest: base.clone(),
        test_agent,
        streaming,
    };
    for binding in [Binding::Rest, Binding::JsonRpc] {
        let iface = card["supportedInterfaces"].as_array().and_then(|all| {
            all.iter()
                .find(|i| i["protocolBinding"] == binding.protocol_binding())
                .and_then(|i| i["url"].as_str())
        });
        if let Some(u) = iface {
            // An interface URL that does not resolve: keep the given URL for that binding.
            let Ok(t) = Endpoint::resolve(u).await else {
                continue;
            };
            match binding {
                Binding::JsonRpc => found.jsonrpc = t,
                Binding::Rest => found.rest = t,
            }
        }
    }
    Ok(found)
}

// ---------------------------------------------------------------------------------------------
