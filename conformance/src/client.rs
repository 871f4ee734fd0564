//! A binding-aware A2A client over the [`Probe`]: cases say *what* to call
//! (`Method::GetTask`, params as ProtoJSON) and the client maps it onto JSON-RPC or REST
//! (route, query, body), then normalises the answer into an [`Answer`] so most cases can be
//! written once for both bindings. The raw exchange is always kept for evidence.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::errors::ProbeError;
use crate::probe::{Probe, RawRequest, RawResponse, RawStream, SseEvent};
use crate::spec::{ErrorCode, Method, PROTOCOL_VERSION};
use gauntlet_a2a::Binding;

/// Per-call overrides of what the client normally sends.
#[derive(Debug, Clone, Default)]
pub struct CallOpts {
    /// `None`: send `A2A-Version: 1.0`. `Some(None)`: send no version header.
    /// `Some(Some(v))`: send `A2A-Version: v`.
    pub version: Option<Option<String>>,
    /// `None`: use the context's default identity (first `--token`, if any).
    /// `Some(None)`: send no `Authorization`. `Some(Some(t))`: send `Authorization: Bearer t`.
    pub bearer: Option<Option<String>>,
    /// Extra headers (added after the defaults; same name overrides the default).
    pub headers: Vec<(String, String)>,
    /// Deadline for this call instead of the probe's default.
    pub timeout: Option<Duration>,
    /// JSON-RPC only: the request `id` (default: a fresh integer).
    pub jsonrpc_id: Option<Value>,
}

/// An A2A error as seen on the wire, normalised across bindings.
#[derive(Debug, Clone, PartialEq)]
pub struct WireError {
    /// HTTP status of the response carrying the error.
    pub http_status: u16,
    /// JSON-RPC `error.code` (JSON-RPC binding), or None.
    pub code: Option<i64>,
    /// REST `error.status` (gRPC status name), or None.
    pub status: Option<String>,
    /// `error.message`, if a string.
    pub message: Option<String>,
    /// `ErrorInfo.reason` from `data`/`details`, if present.
    pub reason: Option<String>,
    /// The whole error object as received (`error` member).
    pub raw: Value,
}

/// How a wire error compares with the error a case expects, by the one rule used for every
/// binding (digest §7 and §2.3): JSON-RPC errors are identified by `error.code`; REST errors by
/// their ErrorInfo `reason`, and, since only A2A errors need an ErrorInfo, the standard errors
/// (invalid input, method not found, internal) by their HTTP status alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorMatch {
    /// The expected error as its binding spells it.
    Exact,
    /// REST: the expected `reason` with the 1.0.0 HTTP status (reported, never a FAIL).
    Legacy,
    /// REST: the expected HTTP status (and gRPC status, if given) but no ErrorInfo, so the A2A
    /// error cannot be told from others sharing that status. The missing ErrorInfo is judged by
    /// REST-006 alone; other rows accept the answer, so one deviation counts in one row.
    Unidentified,
    /// Another error.
    Other,
}

impl ErrorMatch {
    /// Whether a case about the expected error accepts this answer.
    pub fn accepted(self) -> bool {
        !matches!(self, ErrorMatch::Other)
    }
}

/// What error an answer is, binding-independent, for comparing two bindings' answers
/// (ERR-003, CARD-011): the exact A2A or standard error where the wire says it, else the
/// HTTP status and gRPC status name it falls under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorClass {
    /// Identified exactly (JSON-RPC code, or REST ErrorInfo reason).
    Known(ErrorCode),
    /// A REST error without an ErrorInfo: its HTTP status and `error.status`, if any.
    Status(u16, Option<String>),
    /// A JSON-RPC code outside the table, or an answer without one (an HTTP-layer error).
    Unknown(Option<i64>, u16),
}

impl ErrorClass {
    /// Whether two answers are the same failure: equal when both are identified; otherwise the
    /// identified side must fall under the other's HTTP status (and gRPC status, when given).
    pub fn same_failure(&self, other: &ErrorClass) -> bool {
        fn under(code: ErrorCode, http: u16, status: &Option<String>) -> bool {
            let http_ok = http == code.http_status()
                || (code == ErrorCode::MethodNotFound && http == 501)
                || code.legacy_http_status() == Some(http);
            http_ok && status.as_deref().is_none_or(|s| s == code.grpc_status())
        }
        match (self, other) {
            (ErrorClass::Known(a), ErrorClass::Known(b)) => a == b,
            (ErrorClass::Known(k), ErrorClass::Status(h, s))
            | (ErrorClass::Status(h, s), ErrorClass::Known(k)) => under(*k, *h, s),
            (ErrorClass::Status(h1, s1), ErrorClass::Status(h2, s2)) => {
                h1 == h2 && (s1.is_none() || s2.is_none() || s1 == s2)
            }
            (ErrorClass::Unknown(_, h), ErrorClass::Status(h2, _))
            | (ErrorClass::Status(h2, _), ErrorClass::Unknown(_, h)) => h == h2,
            (ErrorClass::Unknown(c1, h1), ErrorClass::Unknown(c2, h2)) => c1 == c2 && h1 == h2,
            _ => false,
        }
    }

    /// One word for reports: the error's name, or what the wire showed.
    pub fn label(&self) -> String {
        match self {
            ErrorClass::Known(k) => format!("{k:?}"),
            ErrorClass::Status(h, Some(s)) => format!("HTTP {h} {s} (no ErrorInfo)"),
            ErrorClass::Status(h, None) => format!("HTTP {h} (no ErrorInfo)"),
            ErrorClass::Unknown(Some(c), h) => format!("code {c} (HTTP {h})"),
            ErrorClass::Unknown(None, h) => format!("HTTP {h} without an error code"),
        }
    }
}

impl WireError {
    /// The error this is, by the one classification rule (see [`ErrorMatch`]).
    pub fn class(&self) -> ErrorClass {
        if let Some(code) = self.code {
            return ErrorCode::from_jsonrpc(code)
                .map(ErrorClass::Known)
                .unwrap_or(ErrorClass::Unknown(Some(code), self.http_status));
        }
        if let Some(k) = self.reason.as_deref().and_then(ErrorCode::from_reason) {
            return ErrorClass::Known(k);
        }
        if self.raw.is_object() {
            ErrorClass::Status(self.http_status, self.status.clone())
        } else {
            ErrorClass::Unknown(None, self.http_status)
        }
    }

    /// How this error compares with `expected` (see [`ErrorMatch`]).
    pub fn matches(&self, expected: ErrorCode) -> ErrorMatch {
        if let Some(code) = self.code {
            return if code == expected.jsonrpc() {
                ErrorMatch::Exact
            } else {
                ErrorMatch::Other
            };
        }
        let status_ok = self.http_status == expected.http_status()
            || (expected == ErrorCode::MethodNotFound && self.http_status == 501);
        match self.reason.as_deref() {
            Some(r) if r == expected.reason() => {
                if status_ok {
                    ErrorMatch::Exact
                } else if expected.legacy_http_status() == Some(self.http_status) {
                    ErrorMatch::Legacy
                } else {
                    // Identified by its reason (what clients key on); the HTTP status is
                    // REST-006's to judge.
                    ErrorMatch::Exact
                }
            }
            // A reason names the error: a different one is another error. Standard errors'
            // reasons are SDK conventions, so for those the status still decides.
            Some(r)
                if expected.is_a2a() || ErrorCode::from_reason(r).is_some_and(|k| k.is_a2a()) =>
            {
                ErrorMatch::Other
            }
            _ if !expected.is_a2a() => {
                if status_ok {
                    ErrorMatch::Exact
                } else {
                    ErrorMatch::Other
                }
            }
            _ => {
                let grpc_ok = self
                    .status
                    .as_deref()
                    .is_none_or(|s| s == expected.grpc_status());
                if status_ok && grpc_ok {
                    ErrorMatch::Unidentified
                } else {
                    ErrorMatch::Other
                }
            }
        }
    }

    /// Reads a JSON-RPC `error` member.
    pub fn from_jsonrpc(http_status: u16, error: &Value) -> Self {
        Self::read(http_status, error, true)
    }

    /// Reads a REST `error` object: its `code` mirrors the HTTP status and is not kept as a
    /// JSON-RPC code (in answers and in SSE error events alike).
    pub fn from_rest(http_status: u16, error: &Value) -> Self {
        Self::read(http_status, error, false)
    }

    fn read(http_status: u16, error: &Value, jsonrpc: bool) -> Self {
        let details = error.get("data").or_else(|| error.get("details"));
        Self {
            http_status,
            code: if jsonrpc {
                error.get("code").and_then(crate::expect::whole_number)
            } else {
                None
            },
            status: error
                .get("status")
                .and_then(Value::as_str)
                .map(str::to_owned),
            message: error
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned),
            reason: details.and_then(error_info_reason),
            raw: error.clone(),
        }
    }

    /// An error answer that carries no error object (an HTTP-layer refusal, a plain-text body).
    pub fn bare(http_status: u16, raw: Value) -> Self {
        Self {
            http_status,
            code: None,
            status: None,
            message: None,
            reason: None,
            raw,
        }
    }
}

/// `reason` of the `google.rpc.ErrorInfo` in a details array, if any.
pub fn error_info_reason(details: &Value) -> Option<String> {
    let items = details.as_array()?;
    let is_info = |d: &&Value| {
        d.get("@type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.ends_with("google.rpc.ErrorInfo"))
    };
    items
        .iter()
        .find(is_info)
        .or_else(|| items.iter().find(|d| d.get("reason").is_some()))
        .and_then(|d| d.get("reason"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// What came back from a non-streaming call.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Success: the JSON-RPC `result` or the REST body (Value::Null for an empty body).
    Ok(Value),
    /// An A2A/JSON-RPC error.
    Err(WireError),
    /// The answer could not be interpreted (not JSON, wrong envelope, …); the text says why.
    Garbled(String),
}

/// A non-streaming call's answer with its raw response.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Interpreted reply.
    pub reply: Reply,
    /// The raw HTTP response.
    pub raw: RawResponse,
    /// The request that produced it.
    pub request: RawRequest,
}

impl Answer {
    /// The success value, or None.
    pub fn ok(&self) -> Option<&Value> {
        match &self.reply {
            Reply::Ok(v) => Some(v),
            _ => None,
        }
    }
    /// The error, or None.
    pub fn err(&self) -> Option<&WireError> {
        match &self.reply {
            Reply::Err(e) => Some(e),
            _ => None,
        }
    }
}

/// One event of a stream, normalised: JSON-RPC events are unwrapped to their `result`.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEvent {
    /// The raw SSE event.
    pub sse: SseEvent,
    /// The `data:` parsed as JSON (the whole JSON-RPC response on that binding), if it parses.
    pub json: Option<Value>,
    /// The StreamResponse (`{"task":…}` etc.), an in-stream error, or why it is unusable.
    pub payload: Reply,
}

/// The answer to a streaming call.
pub enum StreamAnswer {
    /// The server refused before streaming (JSON error answer, or a non-SSE response).
    Refused(Answer),
    /// An SSE stream is open.
    Open(EventReader),
}

/// Reads normalised events from an open stream.
pub struct EventReader {
    /// Binding the stream came from.
    pub binding: Binding,
    /// The request that opened it.
    pub request: RawRequest,
    /// The open raw stream (status and headers available).
    pub raw: RawStream,
}

/// The result of draining a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Drained {
    /// Events in arrival order.
    pub events: Vec<StreamEvent>,
    /// How the stream ended: `Ok(())` clean EOF, or the probe error (timeout, framing fault).
    pub end: Result<(), ProbeError>,
}

impl EventReader {
    /// Next event; `Ok(None)` at clean EOF.
    pub async fn next(&mut self, timeout: Duration) -> Result<Option<StreamEvent>, ProbeError> {
        let Some(sse) = self.raw.next_event(timeout).await? else {
            return Ok(None);
        };
        let json: Option<Value> = serde_json::from_str(&sse.data).ok();
        let payload = match &json {
            None => Reply::Garbled(format!(
                "event data is not JSON: {}",
                crate::probe::transcript::truncate(&sse.data, 200)
            )),
            Some(v) => match self.binding {
                Binding::JsonRpc => interpret_jsonrpc(self.raw.status, Some(v)),
                Binding::Rest => match v.get("error") {
                    Some(e) if e.is_object() => {
                        Reply::Err(WireError::from_rest(self.raw.status, e))
                    }
                    _ => Reply::Ok(v.clone()),
                },
            },
        };
        Ok(Some(StreamEvent { sse, json, payload }))
    }

    /// Reads until EOF, error, or `timeout` overall.
    pub async fn drain(mut self, timeout: Duration) -> Drained {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut events = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Ok(Some(e)) => events.push(e),
                Ok(None) => {
                    return Drained {
                        events,
                        end: Ok(()),
                    }
                }
                Err(ProbeError::Timeout(_)) => {
                    // Report the overall deadline, not what was left of it.
                    return Drained {
                        events,
                        end: Err(ProbeError::Timeout(timeout)),
                    };
                }
                Err(e) => {
                    return Drained {
                        events,
                        end: Err(e),
                    }
                }
            }
        }
    }
}

/// A binding-bound client. Obtain one from [`crate::context::Ctx::client`].
#[derive(Clone)]
pub struct A2aClient {
    /// The binding this client speaks.
    pub binding: Binding,
    /// The interface URL from the card.
    pub base_url: String,
    /// The interface's tenant, if the card declares one.
    pub tenant: Option<String>,
    /// Default bearer token, if any.
    pub default_bearer: Option<String>,
    /// Extensions activated on every call (`A2A-Extensions`): the card's required ones, so that
    /// only the cases about extensions ever see ExtensionSupportRequiredError.
    pub default_extensions: Vec<String>,
    /// The probe (transcript and deadline).
    pub probe: Probe,
}

impl A2aClient {
    /// Builds the raw request for `method` with ProtoJSON `params` (REST: path, query, body).
    pub fn request(&self, method: Method, params: &Value, opts: &CallOpts) -> RawRequest {
        let mut req = match self.binding {
            Binding::JsonRpc => self.jsonrpc_request(method, params, opts),
            Binding::Rest => self.rest_request(method, params),
        };
        if method.is_streaming() {
            req.headers
                .push(("Accept".to_owned(), "text/event-stream".to_owned()));
        }
        match &opts.version {
            None => req
                .headers
                .push(("A2A-Version".to_owned(), PROTOCOL_VERSION.to_owned())),
            Some(Some(v)) => req.headers.push(("A2A-Version".to_owned(), v.clone())),
            Some(None) => {}
        }
        let bearer = match &opts.bearer {
            None => self.default_bearer.clone(),
            Some(b) => b.clone(),
        };
        if let Some(token) = bearer {
            req.headers
                .push(("Authorization".to_owned(), format!("Bearer {token}")));
        }
        if !self.default_extensions.is_empty() {
            req.headers.push((
                "A2A-Extensions".to_owned(),
                self.default_extensions.join(","),
            ));
        }
        for (name, value) in &opts.headers {
            req.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            req.headers.push((name.clone(), value.clone()));
        }
        req
    }

    fn jsonrpc_request(&self, method: Method, params: &Value, opts: &CallOpts) -> RawRequest {
        let id = opts
            .jsonrpc_id
            .clone()
            .unwrap_or_else(|| Value::from(NEXT_ID.fetch_add(1, Ordering::Relaxed)));
        let mut envelope = Map::new();
        envelope.insert("jsonrpc".into(), "2.0".into());
        envelope.insert("id".into(), id);
        envelope.insert("method".into(), method.jsonrpc_name().into());
        let mut params = params.clone();
        if let (Some(tenant), Some(obj)) = (&self.tenant, params.as_object_mut()) {
            // §8.3.2: copy the interface's tenant into every request.
            obj.entry("tenant").or_insert_with(|| tenant.clone().into());
        }
        if !params.is_null() {
            envelope.insert("params".into(), params);
        }
        RawRequest::new("POST", self.base_url.clone())
            .header("Content-Type", "application/json")
            .body(serde_json::to_vec(&Value::Object(envelope)).unwrap_or_default())
    }

    fn rest_request(&self, method: Method, params: &Value) -> RawRequest {
        let mut body = params.as_object().cloned().unwrap_or_default();
        let tenant = match body.remove("tenant") {
            Some(Value::String(t)) => Some(t),
            _ => self.tenant.clone(),
        };
        let mut take = |key: &str| match body.remove(key) {
            Some(Value::String(s)) => percent_encode(&s),
            Some(Value::Null) | None => String::new(),
            Some(other) => percent_encode(&other.to_string()),
        };
        let (verb, path, with_body, query): (&str, String, bool, bool) = match method {
            Method::SendMessage => ("POST", "/message:send".into(), true, false),
            Method::SendStreamingMessage => ("POST", "/message:stream".into(), true, false),
            Method::GetTask => ("GET", format!("/tasks/{}", take("id")), false, true),
            Method::ListTasks => ("GET", "/tasks".into(), false, true),
            Method::CancelTask => ("POST", format!("/tasks/{}:cancel", take("id")), true, false),
            Method::SubscribeToTask => (
                "POST",
                format!("/tasks/{}:subscribe", take("id")),
                false,
                false,
            ),
            Method::CreateTaskPushNotificationConfig => (
                "POST",
                format!("/tasks/{}/pushNotificationConfigs", take("taskId")),
                true,
                false,
            ),
            Method::GetTaskPushNotificationConfig => {
                let task = take("taskId");
                let id = take("id");
                (
                    "GET",
                    format!("/tasks/{task}/pushNotificationConfigs/{id}"),
                    false,
                    false,
                )
            }
            Method::ListTaskPushNotificationConfigs => (
                "GET",
                format!("/tasks/{}/pushNotificationConfigs", take("taskId")),
                false,
                true,
            ),
            Method::DeleteTaskPushNotificationConfig => {
                let task = take("taskId");
                let id = take("id");
                (
                    "DELETE",
                    format!("/tasks/{task}/pushNotificationConfigs/{id}"),
                    false,
                    false,
                )
            }
            Method::GetExtendedAgentCard => ("GET", "/extendedAgentCard".into(), false, false),
        };
        let mut url = self.base_url.trim_end_matches('/').to_owned();
        if let Some(t) = tenant.filter(|t| !t.is_empty()) {
            url.push('/');
            url.push_str(&percent_encode(&t));
        }
        url.push_str(&path);
        if query {
            let q = query_string(&body);
            if !q.is_empty() {
                url.push('?');
                url.push_str(&q);
            }
        }
        let mut req = RawRequest::new(verb, url);
        if with_body {
            req = req
                .header("Content-Type", "application/a2a+json")
                .body(serde_json::to_vec(&Value::Object(body)).unwrap_or_default());
        }
        req
    }

    /// Calls a non-streaming method with default options.
    pub async fn call(&self, method: Method, params: Value) -> Result<Answer, ProbeError> {
        self.call_with(method, params, CallOpts::default()).await
    }

    /// Calls a non-streaming method.
    pub async fn call_with(
        &self,
        method: Method,
        params: Value,
        opts: CallOpts,
    ) -> Result<Answer, ProbeError> {
        let request = self.request(method, &params, &opts);
        let raw = match opts.timeout {
            Some(t) => self.probe.send_within(request.clone(), t).await?,
            None => self.probe.send(request.clone()).await?,
        };
        Ok(self.interpret(request, raw))
    }

    fn interpret(&self, request: RawRequest, raw: RawResponse) -> Answer {
        let reply = match self.binding {
            Binding::JsonRpc => interpret_jsonrpc(raw.status, raw.json.as_ref()),
            Binding::Rest => interpret_rest(&raw),
        };
        Answer {
            reply,
            raw,
            request,
        }
    }

    /// Sends an already-built request and interprets the answer for this binding.
    pub async fn send_raw(&self, request: RawRequest) -> Result<Answer, ProbeError> {
        let raw = self.probe.send(request.clone()).await?;
        Ok(self.interpret(request, raw))
    }

    /// Opens a stream (SendStreamingMessage or SubscribeToTask) with default options.
    pub async fn stream(&self, method: Method, params: Value) -> Result<StreamAnswer, ProbeError> {
        self.stream_with(method, params, CallOpts::default()).await
    }

    /// Opens a stream.
    pub async fn stream_with(
        &self,
        method: Method,
        params: Value,
        opts: CallOpts,
    ) -> Result<StreamAnswer, ProbeError> {
        let request = self.request(method, &params, &opts);
        let timeout = opts.timeout.unwrap_or(self.probe.timeout());
        let raw = self
            .probe
            .open_stream_within(request.clone(), timeout)
            .await?;
        let is_sse = raw.media_type().as_deref() == Some("text/event-stream");
        if raw.status == 200 && is_sse {
            return Ok(StreamAnswer::Open(EventReader {
                binding: self.binding,
                request,
                raw,
            }));
        }
        let response = raw.into_response(timeout).await?;
        Ok(StreamAnswer::Refused(self.interpret(request, response)))
    }

    /// SendMessage of a user message whose only part is `{"text": text}` with a fresh messageId;
    /// `extra` is merged into the SendMessageRequest (e.g. `{"configuration":{…}}`), and
    /// `message_extra` into the message (e.g. `{"taskId":…}`).
    pub async fn send_text(
        &self,
        text: &str,
        message_extra: Value,
        extra: Value,
    ) -> Result<Answer, ProbeError> {
        self.call(
            Method::SendMessage,
            text_request(text, message_extra, extra),
        )
        .await
    }

    /// SendStreamingMessage of a text message (same conventions as [`A2aClient::send_text`]).
    pub async fn stream_text(
        &self,
        text: &str,
        message_extra: Value,
        extra: Value,
    ) -> Result<StreamAnswer, ProbeError> {
        self.stream(
            Method::SendStreamingMessage,
            text_request(text, message_extra, extra),
        )
        .await
    }
}

/// A user message `{"messageId", "role":"ROLE_USER", "parts":[{"text"}]}` with a fresh id.
pub fn user_message(text: &str) -> Value {
    serde_json::json!({
        "messageId": fresh_id("msg"),
        "role": "ROLE_USER",
        "parts": [{"text": text}],
    })
}

/// A process-unique id with `prefix` (pid, start time and a counter).
pub fn fresh_id(prefix: &str) -> String {
    static START: std::sync::OnceLock<u128> = std::sync::OnceLock::new();
    let start = START.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros())
            .unwrap_or(0)
    });
    let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{start:x}-{n}", std::process::id())
}

/// JSON-RPC ids and message ids come from one counter, so they never repeat in a process.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Shallow merge: `extra`'s members replace `base`'s (non-objects are ignored).
pub fn merge(base: &mut Value, extra: Value) {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        for (k, v) in e {
            b.insert(k, v);
        }
    }
}

fn text_request(text: &str, message_extra: Value, extra: Value) -> Value {
    let mut message = user_message(text);
    merge(&mut message, message_extra);
    let mut params = serde_json::json!({ "message": message });
    merge(&mut params, extra);
    params
}

/// Interprets a JSON-RPC answer: the envelope's `result` or `error`. An HTTP error status
/// without an envelope (e.g. a 401 from an auth layer) is an error with no code.
pub fn interpret_jsonrpc(http_status: u16, json: Option<&Value>) -> Reply {
    let Some(v) = json else {
        return if http_status >= 400 {
            Reply::Err(WireError::bare(http_status, Value::Null))
        } else {
            Reply::Garbled(format!("HTTP {http_status} with a body that is not JSON"))
        };
    };
    if let Some(err) = v.get("error").filter(|e| e.is_object()) {
        return Reply::Err(WireError::from_jsonrpc(http_status, err));
    }
    if let Some(result) = v.get("result") {
        return Reply::Ok(result.clone());
    }
    if http_status >= 400 {
        // Not an envelope (maybe a REST-style error from a gateway): keep what there is.
        let inner = v.get("error").cloned().unwrap_or_else(|| v.clone());
        return Reply::Err(WireError::from_rest(http_status, &inner));
    }
    Reply::Garbled("the answer has neither `result` nor an `error` object".to_owned())
}

/// Interprets a REST answer: 2xx is the body (Null when empty), anything else an error.
pub fn interpret_rest(raw: &RawResponse) -> Reply {
    if (200..300).contains(&raw.status) {
        return match &raw.json {
            Some(v) => Reply::Ok(v.clone()),
            None if raw.body.iter().all(u8::is_ascii_whitespace) => Reply::Ok(Value::Null),
            None => Reply::Garbled(format!("HTTP {} with a body that is not JSON", raw.status)),
        };
    }
    let error = match &raw.json {
        Some(v) => match v.get("error").filter(|e| e.is_object()) {
            Some(e) => WireError::from_rest(raw.status, e),
            None => WireError::bare(raw.status, v.clone()),
        },
        None => WireError::bare(
            raw.status,
            Value::String(String::from_utf8_lossy(&raw.body).into_owned()),
        ),
    };
    Reply::Err(error)
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// §11.5 query form: camelCase names, `true`/`false`, enums by name, arrays repeated.
fn query_string(params: &Map<String, Value>) -> String {
    let mut pairs = Vec::new();
    for (k, v) in params {
        let values: Vec<&Value> = match v {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for v in values {
            let text = match v {
                Value::Null => continue,
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            pairs.push(format!("{}={}", percent_encode(k), percent_encode(&text)));
        }
    }
    pairs.join("&")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::spec::ErrorCode::*;

    fn rest(status: u16, body: Value) -> WireError {
        WireError::from_rest(status, &body)
    }
    fn rpc(body: Value) -> WireError {
        WireError::from_jsonrpc(200, &body)
    }
    fn info(reason: &str) -> Value {
        json!([{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
                "domain": "a2a-protocol.org"}])
    }

    /// One table: wire answers of both bindings → how they compare with the expected error.
    #[test]
    fn wire_errors_are_classified_by_one_rule() {
        let bad_request = json!([{"@type": "type.googleapis.com/google.rpc.BadRequest",
                                  "fieldViolations": [{"field": "message"}]}]);
        let table: Vec<(&str, WireError, ErrorCode, ErrorMatch)> = vec![
            (
                "rpc exact",
                rpc(json!({"code": -32001, "message": "x"})),
                TaskNotFound,
                ErrorMatch::Exact,
            ),
            (
                "rpc other",
                rpc(json!({"code": -32602, "message": "x"})),
                TaskNotFound,
                ErrorMatch::Other,
            ),
            (
                "rpc code as double",
                rpc(json!({"code": -32001.0})),
                TaskNotFound,
                ErrorMatch::Exact,
            ),
            (
                "rest reason + status",
                rest(
                    404,
                    json!({"code": 404, "status": "NOT_FOUND", "details": info("TASK_NOT_FOUND")}),
                ),
                TaskNotFound,
                ErrorMatch::Exact,
            ),
            (
                "rest code is not a JSON-RPC code",
                rest(404, json!({"code": 404, "details": info("TASK_NOT_FOUND")})),
                TaskNotFound,
                ErrorMatch::Exact,
            ),
            (
                "rest legacy 409",
                rest(
                    409,
                    json!({"code": 409, "details": info("TASK_NOT_CANCELABLE")}),
                ),
                TaskNotCancelable,
                ErrorMatch::Legacy,
            ),
            (
                "rest reason decides over status",
                rest(400, json!({"code": 400, "details": info("TASK_NOT_FOUND")})),
                TaskNotFound,
                ErrorMatch::Exact,
            ),
            (
                "rest wrong reason",
                rest(
                    400,
                    json!({"code": 400, "details": info("UNSUPPORTED_OPERATION")}),
                ),
                TaskNotCancelable,
                ErrorMatch::Other,
            ),
            (
                "rest 400 BadRequest, no ErrorInfo, is invalid params",
                rest(
                    400,
                    json!({"code": 400, "status": "INVALID_ARGUMENT", "details": bad_request}),
                ),
                InvalidParams,
                ErrorMatch::Exact,
            ),
            (
                "rest 400 no details is a parse error too",
                rest(400, json!({"code": 400, "message": "bad json"})),
                ParseError,
                ErrorMatch::Exact,
            ),
            (
                "rest SDK reason for a standard error",
                rest(400, json!({"code": 400, "details": info("INVALID_PARAMS")})),
                InvalidParams,
                ErrorMatch::Exact,
            ),
            (
                "rest 404 plain route miss",
                rest(404, json!({"code": 404})),
                MethodNotFound,
                ErrorMatch::Exact,
            ),
            (
                "rest 501 method not found",
                rest(501, json!({"code": 501})),
                MethodNotFound,
                ErrorMatch::Exact,
            ),
            (
                "rest A2A error without ErrorInfo",
                rest(404, json!({"code": 404, "status": "NOT_FOUND"})),
                TaskNotFound,
                ErrorMatch::Unidentified,
            ),
            (
                "rest A2A error, other gRPC status",
                rest(400, json!({"code": 400, "status": "INVALID_ARGUMENT"})),
                UnsupportedOperation,
                ErrorMatch::Other,
            ),
            (
                "rest A2A error, wrong HTTP status",
                rest(500, json!({"code": 500})),
                TaskNotFound,
                ErrorMatch::Other,
            ),
            (
                "rest standard status mismatch",
                rest(404, json!({"code": 404})),
                InvalidParams,
                ErrorMatch::Other,
            ),
            (
                "http-layer 401",
                WireError::bare(401, Value::Null),
                TaskNotFound,
                ErrorMatch::Other,
            ),
        ];
        for (what, err, expected, want) in table {
            assert_eq!(err.matches(expected), want, "{what}: {err:?}");
        }
    }

    #[test]
    fn the_same_failure_is_recognised_across_bindings() {
        let rpc_params = rpc(json!({"code": -32602})).class();
        let rest_params = rest(
            400,
            json!({"code": 400, "status": "INVALID_ARGUMENT",
            "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest"}]}),
        )
        .class();
        assert!(rpc_params.same_failure(&rest_params));
        let rpc_missing = rpc(json!({"code": -32001})).class();
        let rest_missing = rest(404, json!({"details": info("TASK_NOT_FOUND")})).class();
        assert!(rpc_missing.same_failure(&rest_missing));
        assert!(rpc_missing.same_failure(&rest(404, json!({"code": 404})).class()));
        assert!(!rpc_missing.same_failure(&rest_params));
        assert!(!rpc_params.same_failure(&rpc(json!({"code": -32004})).class()));
        let unsupported = rest(400, json!({"status": "FAILED_PRECONDITION"})).class();
        assert!(rpc(json!({"code": -32004}))
            .class()
            .same_failure(&unsupported));
        assert!(!rpc_params.same_failure(&unsupported));
    }

    #[test]
    fn rest_stream_error_events_carry_no_jsonrpc_code() {
        let e = WireError::from_rest(
            200,
            &json!({"code": 400, "details": info("UNSUPPORTED_OPERATION")}),
        );
        assert_eq!(e.code, None);
        assert_eq!(e.matches(UnsupportedOperation), ErrorMatch::Exact);
    }
}
