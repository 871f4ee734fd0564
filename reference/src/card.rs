//! The agent card (digest §3): rendered once at bind time, served with `Cache-Control`, a
//! content-hash `ETag` and `If-None-Match` revalidation; plus the extended card, which only
//! authenticated callers see when authentication is on.

use std::hash::{Hash, Hasher};

use bytes::Bytes;
use http::header::{HeaderValue, ALLOW, CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use http::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use crate::config::{Config, Fault};
use crate::error::{A2aError, ErrorKind};
use crate::http::{full, to_bytes, App, ResBody, APPLICATION_JSON};

/// Where the public card lives (RFC 8615 well-known URI).
pub(crate) const CARD_PATH: &str = "/.well-known/agent-card.json";

/// The skill id by which the suite recognises the scripted test agent.
pub(crate) const TEST_AGENT_SKILL: &str = "gauntlet-test-agent";

/// How long clients may cache the public card.
const CARD_MAX_AGE: HeaderValue = HeaderValue::from_static("max-age=300");

/// Both cards, serialized once.
pub(crate) struct Cards {
    /// The public card's JSON.
    pub(crate) public: Bytes,
    /// Quoted content hash of `public`.
    pub(crate) etag: HeaderValue,
    /// The extended card's JSON.
    pub(crate) extended: Bytes,
}

impl Cards {
    /// Renders both cards for a server reachable at `base_url` (`http://host:port`).
    pub(crate) fn render(config: &Config, base_url: &str) -> Self {
        let public = public_card(config, base_url);
        let mut extended = public.clone();
        extended["description"] = Value::String(format!(
            "{} This is the extended card, shown to authenticated callers.",
            public["description"].as_str().unwrap_or_default()
        ));
        if let Some(skills) = extended["skills"].as_array_mut() {
            skills.push(json!({
                "id": "gauntlet-extended",
                "name": "Extended-card marker",
                "description": "Listed only on the extended agent card.",
                "tags": ["extended-card"],
            }));
        }
        let public = to_bytes(&public);
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        public.hash(&mut hasher);
        let etag = HeaderValue::from_str(&format!("\"{:016x}\"", hasher.finish()))
            .unwrap_or(HeaderValue::from_static("\"0\""));
        Cards {
            public,
            etag,
            extended: to_bytes(&extended),
        }
    }
}

fn public_card(config: &Config, base_url: &str) -> Value {
    let mut capabilities = json!({
        "streaming": config.streaming,
        "pushNotifications": config.push_notifications,
        "extendedAgentCard": config.extended_card,
    });
    if let Some(uri) = &config.required_extension {
        capabilities["extensions"] = json!([{
            "uri": uri,
            "description": "An extension every request must activate.",
            "required": true,
        }]);
    }
    let mut card = json!({
        "name": config.name,
        "description": "Reference A2A 1.0 agent of A2A Gauntlet, running the scripted Gauntlet test agent.",
        "supportedInterfaces": [
            {"url": format!("{base_url}/"), "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
            {"url": base_url, "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0"},
        ],
        "version": env!("CARGO_PKG_VERSION"),
        "capabilities": capabilities,
        "defaultInputModes": ["text/plain", "application/json", "application/octet-stream"],
        "defaultOutputModes": ["text/plain", "application/json"],
        "skills": [{
            "id": TEST_AGENT_SKILL,
            "name": "Gauntlet test agent",
            "description": "Scripted behaviours chosen by the first word of the message: echo, message, stream N [MS], slow MS, hang, input-required, auth-required, fail, reject, parts.",
            "tags": ["testing", "conformance"],
            "examples": ["echo hello", "stream 10 5", "hang", "input-required"],
        }],
    });
    if !config.bearer_tokens.is_empty() {
        card["securitySchemes"] =
            json!({"bearer": {"httpAuthSecurityScheme": {"scheme": "Bearer"}}});
        card["securityRequirements"] = json!([{"schemes": {"bearer": {"list": []}}}]);
    }
    if config.fault == Some(Fault::CardMissingVersion) {
        if let Some(obj) = card.as_object_mut() {
            obj.remove("version");
        }
    }
    card
}

/// `GET /.well-known/agent-card.json`: no version, no authentication.
pub(crate) fn serve_public<B>(app: &App, req: &Request<B>) -> Response<ResBody> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let e = A2aError::new(
            ErrorKind::InvalidRequest,
            format!("{} is not allowed on the agent card; use GET", req.method()),
        );
        let mut res =
            crate::rest::error_response_with_status(app, e, StatusCode::METHOD_NOT_ALLOWED);
        res.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return res;
    }
    let cards = &app.cards;
    let fresh = req
        .headers()
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t.as_bytes() == cards.etag.as_bytes());
    let mut res = if fresh {
        let mut res = Response::new(ResBody::empty());
        *res.status_mut() = StatusCode::NOT_MODIFIED;
        res
    } else {
        full(StatusCode::OK, APPLICATION_JSON, cards.public.clone())
    };
    let h = res.headers_mut();
    h.insert(ETAG, cards.etag.clone());
    h.insert(CACHE_CONTROL, CARD_MAX_AGE);
    res
}

/// GetExtendedAgentCard on either binding: the pre-rendered extended card, or
/// UnsupportedOperation when the capability is off. Authentication, when on, was already
/// enforced for every A2A request.
pub(crate) fn extended(app: &App) -> Result<Bytes, A2aError> {
    if app.config.extended_card {
        Ok(app.cards.extended.clone())
    } else {
        Err(A2aError::new(
            ErrorKind::UnsupportedOperation,
            "this agent has no extended agent card (capabilities.extendedAgentCard is false)",
        ))
    }
}
