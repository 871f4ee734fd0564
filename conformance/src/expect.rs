//! Shared verifiers that keep each case short.
//!
//! Every verifier judges raw JSON values, headers and statuses against the digest and returns
//! `Result<(), Outcome>` (or the value it checked), so a case can stop early with `?`:
//!
//! ```ignore
//! let answer = ctx.client().call(Method::GetTask, json!({"id": missing})).await.map_err(expect::probe)?;
//! expect::error_is(&answer, ErrorCode::TaskNotFound)?;
//! ```
//!
//! The schema walk ([`scan`]) knows the shape of every A2A object (digest §5) and reports each
//! deviation as a [`Finding`] tagged with the DATA id it breaks, so the DATA cases share one
//! traversal and differ only in which rule they judge.

use serde_json::{Map, Value};

use crate::case::{Judged, Outcome};
use crate::client::{Answer, ErrorMatch, Reply, WireError};
use crate::errors::ProbeError;
use crate::probe::RawResponse;
use crate::spec::{ErrorCode, TASK_STATES};

/// The `@type` of `google.rpc.ErrorInfo`.
pub const ERROR_INFO_TYPE: &str = "type.googleapis.com/google.rpc.ErrorInfo";
/// The `@type` of `google.rpc.BadRequest`.
pub const BAD_REQUEST_TYPE: &str = "type.googleapis.com/google.rpc.BadRequest";
/// `ErrorInfo.domain` of every A2A error.
pub const A2A_DOMAIN: &str = "a2a-protocol.org";

// ---------------------------------------------------------------------------------------------
// Outcome helpers
// ---------------------------------------------------------------------------------------------

/// Maps a probe failure (timeout, refused connection) to an ERROR outcome: the suite could not
/// judge. A dropped connection on malformed input is judged by the cases themselves.
pub fn probe(err: ProbeError) -> Outcome {
    Outcome::error(format!("no usable answer: {err}"))
}

/// A short, bounded rendering of a JSON value for `observed` texts.
pub fn show(value: &Value) -> String {
    clip(&value.to_string(), 400)
}

/// `text` cut to at most `max` characters (on a char boundary), with an ellipsis.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

/// How an answer looked, in one line: status, content type and the reply.
pub fn describe(answer: &Answer) -> String {
    let ct = answer.raw.header("content-type").unwrap_or("-");
    let what = match &answer.reply {
        Reply::Ok(v) => format!("result {}", show(v)),
        Reply::Err(e) => format!("error {}", show(&e.raw)),
        Reply::Garbled(why) => format!(
            "unreadable answer ({why}): {}",
            clip(&String::from_utf8_lossy(&answer.raw.body), 200)
        ),
    };
    format!("HTTP {} ({ct}), {what}", answer.raw.status)
}

/// One line describing a wire error: HTTP status, code, status, reason and message.
pub fn describe_error(e: &WireError) -> String {
    let mut parts = vec![format!("HTTP {}", e.http_status)];
    if let Some(c) = e.code {
        parts.push(format!("code {c}"));
    }
    if let Some(s) = &e.status {
        parts.push(format!("status {s}"));
    }
    if let Some(r) = &e.reason {
        parts.push(format!("reason {r}"));
    }
    if let Some(m) = &e.message {
        parts.push(format!("message {m:?}"));
    }
    parts.join(", ")
}

/// How `code` looks on the wire, for `expected` texts: `-32001 / 404 TASK_NOT_FOUND`.
pub fn expected_error(code: ErrorCode) -> String {
    format!(
        "{:?}: JSON-RPC {} / REST HTTP {} with reason {}",
        code,
        code.jsonrpc(),
        code.http_status(),
        code.reason()
    )
}

// ---------------------------------------------------------------------------------------------
// Success and error answers
// ---------------------------------------------------------------------------------------------

/// The answer is a success; returns its value.
pub fn ok<'a>(answer: &'a Answer, what: &str) -> Result<&'a Value, Outcome> {
    match &answer.reply {
        Reply::Ok(v) => Ok(v),
        _ => Err(Outcome::fail(
            format!("{what} did not succeed"),
            "a successful answer",
            describe(answer),
        )),
    }
}

/// The answer is an error (any error); returns it.
pub fn any_error<'a>(answer: &'a Answer, what: &str) -> Result<&'a WireError, Outcome> {
    match &answer.reply {
        Reply::Err(e) => Ok(e),
        _ => Err(Outcome::fail(
            format!("{what} was not rejected"),
            "an A2A error answer",
            describe(answer),
        )),
    }
}

/// The answer is the error `code`, by the one classification rule ([`WireError::matches`]).
/// A REST answer with the right reason and the 1.0.0 HTTP status is NON-STRICT.
pub fn error_is(answer: &Answer, code: ErrorCode) -> Result<&WireError, Outcome> {
    let Reply::Err(e) = &answer.reply else {
        return Err(Outcome::fail(
            format!("expected {code:?}"),
            expected_error(code),
            describe(answer),
        ));
    };
    match e.matches(code) {
        ErrorMatch::Exact | ErrorMatch::Unidentified => Ok(e),
        ErrorMatch::Legacy => Err(Outcome::non_strict(
            format!("{code:?} with the legacy 1.0.0 mapping"),
            expected_error(code),
            describe_error(e),
        )),
        ErrorMatch::Other => Err(Outcome::fail(
            format!("wrong error instead of {code:?}"),
            expected_error(code),
            describe(answer),
        )),
    }
}

/// The answer is the A2A error `code`: a pass naming what was refused and how, else the
/// deviation [`error_is`] describes.
pub fn refused_with(answer: &Answer, code: ErrorCode, what: &str) -> Judged {
    error_is(answer, code)
        .map(|e| Outcome::pass(format!("{what}: {code:?} ({})", describe_error(e))))
}

/// Whether `e` is accepted as `code` ([`WireError::matches`]: exact, legacy or unidentified).
pub fn error_matches(e: &WireError, code: ErrorCode) -> bool {
    e.matches(code).accepted()
}

/// The HTTP status of a JSON-RPC error is 200 or 4xx (digest §1.1).
pub fn jsonrpc_error_status(raw: &RawResponse) -> Result<(), Outcome> {
    if raw.status == 200 || (400..500).contains(&raw.status) {
        Ok(())
    } else {
        Err(Outcome::fail(
            "JSON-RPC error with an unexpected HTTP status",
            "HTTP 200 (or 4xx) carrying the JSON-RPC error",
            format!("HTTP {}", raw.status),
        ))
    }
}

/// The `details` (REST) or `data` (JSON-RPC) array of an error object, if present.
pub fn error_details(error: &Value) -> Option<&Value> {
    error.get("details").or_else(|| error.get("data"))
}

/// The ErrorInfo detail of an error object (`error` member), if any.
pub fn error_info(error: &Value) -> Option<&Value> {
    error_details(error)?
        .as_array()?
        .iter()
        .find(|d| d.get("@type").and_then(Value::as_str) == Some(ERROR_INFO_TYPE))
}

/// Every detail (`data` / `details` element) is an object carrying a string `@type` (§9.5,
/// §11.6). An absent `data` is fine; a non-array one is not.
pub fn error_details_have_type(e: &WireError) -> Result<(), Outcome> {
    let Some(details) = error_details(&e.raw) else {
        return Ok(());
    };
    let Some(items) = details.as_array() else {
        return Err(Outcome::fail(
            "error details are not an array",
            "`data`/`details` absent or an array of objects with `@type`",
            show(details),
        ));
    };
    for (i, d) in items.iter().enumerate() {
        if d.get("@type").and_then(Value::as_str).is_none() {
            return Err(Outcome::fail(
                format!("error detail {i} has no `@type`"),
                "every detail object carries a string `@type`",
                show(d),
            ));
        }
    }
    Ok(())
}

/// The error carries an ErrorInfo with `reason` and domain `a2a-protocol.org`.
pub fn error_info_present(e: &WireError, code: ErrorCode) -> Result<(), Outcome> {
    let Some(info) = error_info(&e.raw) else {
        return Err(Outcome::fail(
            format!("{code:?} carries no ErrorInfo"),
            format!(
                "a detail {{\"@type\":\"{ERROR_INFO_TYPE}\",\"reason\":\"{}\",\"domain\":\"{A2A_DOMAIN}\"}}",
                code.reason()
            ),
            show(&e.raw),
        ));
    };
    let reason = info.get("reason").and_then(Value::as_str);
    let domain = info.get("domain").and_then(Value::as_str);
    if reason != Some(code.reason()) || domain != Some(A2A_DOMAIN) {
        return Err(Outcome::fail(
            format!("{code:?} ErrorInfo has the wrong reason or domain"),
            format!("reason {} and domain {A2A_DOMAIN}", code.reason()),
            show(info),
        ));
    }
    Ok(())
}

/// A JSON-RPC response envelope: `jsonrpc:"2.0"`, `id` equal to `id` in value and JSON type,
/// exactly one of `result` / `error`.
pub fn jsonrpc_envelope(raw: &RawResponse, id: &Value) -> Result<(), Outcome> {
    let Some(body) = raw.json.as_ref().and_then(Value::as_object) else {
        return Err(Outcome::fail(
            "JSON-RPC answer is not a JSON object",
            "a JSON-RPC 2.0 response object",
            format!(
                "HTTP {}: {}",
                raw.status,
                clip(&String::from_utf8_lossy(&raw.body), 200)
            ),
        ));
    };
    envelope_object(body, id)
}

/// [`jsonrpc_envelope`] on an already-parsed object (SSE events).
pub fn envelope_object(body: &Map<String, Value>, id: &Value) -> Result<(), Outcome> {
    let observed = || show(&Value::Object(body.clone()));
    if body.get("jsonrpc") != Some(&Value::String("2.0".into())) {
        return Err(Outcome::fail(
            "response lacks `\"jsonrpc\":\"2.0\"`",
            "`\"jsonrpc\":\"2.0\"`",
            observed(),
        ));
    }
    match body.get("id") {
        Some(got) if same_json(got, id) => {}
        got => {
            return Err(Outcome::fail(
                "response `id` does not echo the request id",
                format!("id {id} (same value and JSON type)"),
                format!(
                    "id {}",
                    got.map(Value::to_string).unwrap_or("absent".into())
                ),
            ))
        }
    }
    let has_result = body.contains_key("result");
    let has_error = body.contains_key("error");
    if has_result == has_error {
        return Err(Outcome::fail(
            "response must have exactly one of `result` and `error`",
            "exactly one of `result` / `error`",
            observed(),
        ));
    }
    Ok(())
}

/// JSON equality that also distinguishes `1` from `1.0` from `"1"`.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.to_string() == y.to_string(),
        _ => a == b,
    }
}

/// A JSON-RPC `error` object: integer `code`, string `message`, `data` an array of `@type`d
/// objects if present (§3.3.2, §9.5).
pub fn jsonrpc_error_object(error: &Value) -> Result<(), Outcome> {
    let code_ok = error.get("code").is_some_and(|c| c.is_i64() || c.is_u64());
    let msg_ok = error.get("message").is_some_and(Value::is_string);
    if !code_ok || !msg_ok {
        return Err(Outcome::fail(
            "JSON-RPC error object is malformed",
            "`code` an integer and `message` a string",
            show(error),
        ));
    }
    Ok(())
}

/// A REST error body `{"error":{code,status,message,details?}}` with `error.code` equal to the
/// HTTP status (§11.6).
pub fn rest_error_body(raw: &RawResponse) -> Result<(), Outcome> {
    let observed = || {
        format!(
            "HTTP {} ({}): {}",
            raw.status,
            raw.header("content-type").unwrap_or("-"),
            clip(&String::from_utf8_lossy(&raw.body), 300)
        )
    };
    let Some(error) = raw.json.as_ref().and_then(|j| j.get("error")) else {
        return Err(Outcome::fail(
            "REST error has no google.rpc.Status body",
            "{\"error\":{\"code\",\"status\",\"message\",\"details\"?}}",
            observed(),
        ));
    };
    let code = error.get("code").and_then(Value::as_u64);
    let status_ok = error.get("status").is_some_and(Value::is_string);
    let msg_ok = error.get("message").is_some_and(Value::is_string);
    if code != Some(u64::from(raw.status)) || !status_ok || !msg_ok {
        return Err(Outcome::fail(
            "REST error body is malformed",
            format!(
                "error.code = {} (the HTTP status), error.status and error.message strings",
                raw.status
            ),
            observed(),
        ));
    }
    if let Some(details) = error.get("details") {
        if !details.is_array() {
            return Err(Outcome::fail(
                "error.details is not an array",
                "an array of objects with `@type`",
                show(details),
            ));
        }
    }
    Ok(())
}

/// The error has a machine code and a human message on its binding (ERR-001).
pub fn error_machine_readable(e: &WireError) -> Result<(), Outcome> {
    if e.raw.get("code").is_some_and(Value::is_i64) {
        // JSON-RPC, or REST's numeric code; REST also needs `status`.
        if e.code.is_none() && e.raw.get("status").and_then(Value::as_str).is_none() {
            return Err(Outcome::fail(
                "REST error has no `status` name",
                "error.status, the canonical gRPC code name",
                show(&e.raw),
            ));
        }
    } else {
        return Err(Outcome::fail(
            "error has no machine code",
            "an integer error.code",
            show(&e.raw),
        ));
    }
    match e.raw.get("message").and_then(Value::as_str) {
        Some(m) if !m.trim().is_empty() => Ok(()),
        _ => Err(Outcome::fail(
            "error has no human-readable message",
            "a non-empty error.message string",
            show(&e.raw),
        )),
    }
}

/// The REST success content type: `application/a2a+json` (SHOULD) or `application/json`.
/// `Ok(true)` for a2a+json, `Ok(false)` for plain json.
pub fn rest_content_type(raw: &RawResponse) -> Result<bool, Outcome> {
    match raw.media_type().as_deref() {
        Some("application/a2a+json") => Ok(true),
        Some("application/json") => Ok(false),
        other => Err(Outcome::fail(
            "REST response has a non-JSON content type",
            "application/a2a+json (or application/json)",
            other.unwrap_or("no Content-Type").to_owned(),
        )),
    }
}

/// The answer came back at all and is an A2A answer (success or an error body), not a dropped
/// connection, a 5xx without an A2A error, or unreadable bytes.
pub fn a2a_answer(answer: &Answer) -> Result<(), Outcome> {
    match &answer.reply {
        Reply::Garbled(why) => Err(Outcome::fail(
            "answer is not an A2A response",
            "a JSON-RPC response or an A2A success/error body",
            format!("{why}; {}", describe(answer)),
        )),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------

/// A whole JSON number read numerically: `3`, `3.0` and `3e0` all give 3. Test-agent counters
/// such as `seq` and `of` travel in `Part.data`, a `google.protobuf.Value`, whose numbers are
/// doubles, so a ProtoJSON writer may print `0.0` (digest §0). `None` for anything else
/// (strings, fractions, values outside the exactly representable integer range).
pub fn whole_number(v: &Value) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if let Some(i) = v.as_i64() {
        return Some(i);
    }
    let f = v.as_f64()?;
    (f.fract() == 0.0 && f.abs() <= EXACT).then_some(f as i64)
}

// ---------------------------------------------------------------------------------------------
// Timestamps, base64, names
// ---------------------------------------------------------------------------------------------

/// `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$` (DATA-004).
pub fn timestamp_format(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 || b[b.len() - 1] != b'Z' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let fixed = digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !fixed {
        return false;
    }
    let rest = &b[19..b.len() - 1];
    match rest {
        [] => true,
        [b'.', frac @ ..] => (1..=9).contains(&frac.len()) && frac.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// Millisecond precision: exactly three fractional digits (DATA-005).
pub fn timestamp_millis(s: &str) -> bool {
    timestamp_format(s) && s.len() == 24 && s.as_bytes()[19] == b'.'
}

/// Standard base64 with padding; also the URL-safe alphabet and missing padding (digest §0).
pub fn base64_ok(s: &str) -> bool {
    decode_base64(s).is_some()
}

/// Decodes standard or URL-safe base64, padded or not.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::{alphabet, Engine as _};
    // Lenient on what the digest leaves open (§0): either alphabet, padding optional, and
    // non-zero bits in the last symbol (a strict judge fails nobody for them).
    const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);
    STANDARD.decode(s).or_else(|_| URL_SAFE.decode(s)).ok()
}

/// lowerCamelCase json name: starts with a lower-case letter, no `_`, `-` or spaces.
pub fn camel_case(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_alphanumeric())
}

/// Every object key outside free-form values (`metadata`, `data`, `params`, …) is lowerCamelCase.
/// Returns the first offending key path.
pub fn no_snake_case_keys(value: &Value, path: &str) -> Result<(), Outcome> {
    let findings = scan(value, Shape::Any, path);
    match findings.iter().find(|f| f.rule == "DATA-001") {
        None => Ok(()),
        Some(f) => Err(Outcome::fail(
            "a key is not a lowerCamelCase json name",
            "lowerCamelCase proto json names only",
            format!("{}: {}", f.path, f.detail),
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// The schema walk
// ---------------------------------------------------------------------------------------------

/// What a JSON value is expected to be (digest §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Unknown: only the generic key rules apply (DATA-001, DATA-012).
    Any,
    /// `SendMessageResponse`: `{task}` or `{message}`.
    SendMessageResponse,
    /// `StreamResponse`: `{task|message|statusUpdate|artifactUpdate}`.
    StreamResponse,
    /// `Task`.
    Task,
    /// `TaskStatus`.
    TaskStatus,
    /// A `Message` sent by the agent (must carry `contextId`).
    AgentMessage,
    /// A `Message` of either role.
    Message,
    /// `Part`.
    Part,
    /// `Artifact`.
    Artifact,
    /// `TaskStatusUpdateEvent`.
    StatusUpdate,
    /// `TaskArtifactUpdateEvent`.
    ArtifactUpdate,
    /// `ListTasksResponse`.
    ListTasksResponse,
    /// `TaskPushNotificationConfig`.
    PushConfig,
    /// `ListTaskPushNotificationConfigsResponse`.
    PushConfigList,
    /// `AgentCard`.
    AgentCard,
}

/// One deviation found by [`scan`], tagged with the checklist id it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Checklist id (`DATA-006`).
    pub rule: &'static str,
    /// JSON path of the offending value (`$.task.status.state`).
    pub path: String,
    /// What is wrong.
    pub detail: String,
}

/// Walks `value` as `shape` and returns every deviation from the digest's data rules
/// (DATA-001/002/003/004/005/006/007/010/011/012/013/015).
pub fn scan(value: &Value, shape: Shape, path: &str) -> Vec<Finding> {
    let mut w = Walker { out: Vec::new() };
    w.walk(value, shape, path);
    w.out
}

/// The findings for one rule, rendered for an `observed` text (at most five).
pub fn findings_for(findings: &[Finding], rule: &str) -> Option<String> {
    let hits: Vec<String> = findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| format!("{}: {}", f.path, f.detail))
        .collect();
    if hits.is_empty() {
        return None;
    }
    let n = hits.len();
    let mut text = hits.into_iter().take(5).collect::<Vec<_>>().join("; ");
    if n > 5 {
        text.push_str(&format!(" (and {} more)", n - 5));
    }
    Some(text)
}

/// A present, non-empty string.
fn nonempty_str(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::String(s)) if !s.is_empty())
}

/// Keys whose values are free-form JSON (Struct / Value / maps keyed by user names).
const FREE_FORM: [&str; 6] = [
    "metadata",
    "params",
    "header",
    "securitySchemes",
    "schemes",
    "scopes",
];

struct Walker {
    out: Vec<Finding>,
}

impl Walker {
    fn push(&mut self, rule: &'static str, path: &str, detail: impl Into<String>) {
        self.out.push(Finding {
            rule,
            path: path.to_owned(),
            detail: detail.into(),
        });
    }

    fn walk(&mut self, v: &Value, shape: Shape, path: &str) {
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.walk(item, shape, &format!("{path}[{i}]"));
                }
            }
            Value::Object(obj) => {
                self.keys(obj, path);
                self.object(obj, shape, path);
            }
            _ => {}
        }
    }

    /// DATA-001 and DATA-012 on an object's own keys; descends into unknown children as Any.
    fn keys(&mut self, obj: &Map<String, Value>, path: &str) {
        for k in obj.keys() {
            if k == "kind" {
                self.push(
                    "DATA-012",
                    &format!("{path}.kind"),
                    "`kind` discriminator emitted",
                );
            }
            if !camel_case(k) && k != "@type" {
                self.push("DATA-001", &format!("{path}.{k}"), format!("key `{k}`"));
            }
        }
    }

    fn req(&mut self, obj: &Map<String, Value>, path: &str, field: &str, what: &str) -> bool {
        match obj.get(field) {
            Some(Value::Null) | None => {
                self.push(
                    "DATA-006",
                    &format!("{path}.{field}"),
                    format!("REQ field `{field}` of {what} missing"),
                );
                false
            }
            Some(_) => true,
        }
    }

    fn context_id(&mut self, obj: &Map<String, Value>, path: &str, what: &str) {
        if !nonempty_str(obj.get("contextId")) {
            self.push(
                "DATA-015",
                &format!("{path}.contextId"),
                format!("{what} without `contextId`"),
            );
        }
    }

    fn one_of(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        members: &[&str],
        rule: &'static str,
    ) -> Option<String> {
        let present: Vec<&str> = members
            .iter()
            .copied()
            .filter(|m| obj.get(*m).is_some_and(|v| !v.is_null()))
            .collect();
        if present.len() != 1 {
            self.push(
                rule,
                path,
                format!(
                    "exactly one of {members:?} expected, found {}",
                    if present.is_empty() {
                        "none".to_owned()
                    } else {
                        format!("{present:?}")
                    }
                ),
            );
        }
        present.first().map(|s| (*s).to_owned())
    }

    fn child(&mut self, obj: &Map<String, Value>, path: &str, key: &str, shape: Shape) {
        if let Some(v) = obj.get(key) {
            self.walk(v, shape, &format!("{path}.{key}"));
        }
    }

    fn object(&mut self, obj: &Map<String, Value>, shape: Shape, path: &str) {
        match shape {
            Shape::Any => self.generic(obj, path, &[]),
            Shape::SendMessageResponse | Shape::StreamResponse => {
                let members: &[&str] = if shape == Shape::SendMessageResponse {
                    &["task", "message"]
                } else {
                    &["task", "message", "statusUpdate", "artifactUpdate"]
                };
                self.one_of(obj, path, members, "DATA-013");
                self.child(obj, path, "task", Shape::Task);
                self.child(obj, path, "message", Shape::AgentMessage);
                self.child(obj, path, "statusUpdate", Shape::StatusUpdate);
                self.child(obj, path, "artifactUpdate", Shape::ArtifactUpdate);
                self.generic(
                    obj,
                    path,
                    &["task", "message", "statusUpdate", "artifactUpdate"],
                );
            }
            Shape::Task => {
                self.req(obj, path, "id", "Task");
                self.req(obj, path, "status", "Task");
                self.context_id(obj, path, "Task");
                self.child(obj, path, "status", Shape::TaskStatus);
                self.child(obj, path, "artifacts", Shape::Artifact);
                self.child(obj, path, "history", Shape::Message);
                self.generic(obj, path, &["status", "artifacts", "history"]);
            }
            Shape::TaskStatus => {
                if self.req(obj, path, "state", "TaskStatus") {
                    self.enum_value(
                        obj.get("state"),
                        &format!("{path}.state"),
                        "TASK_STATE_",
                        &TASK_STATES,
                    );
                }
                self.child(obj, path, "message", Shape::AgentMessage);
                self.generic(obj, path, &["message"]);
            }
            Shape::Message | Shape::AgentMessage => {
                self.req(obj, path, "messageId", "Message");
                if self.req(obj, path, "role", "Message") {
                    self.enum_value(
                        obj.get("role"),
                        &format!("{path}.role"),
                        "ROLE_",
                        &["ROLE_USER", "ROLE_AGENT"],
                    );
                }
                self.parts(obj, path, "Message");
                let agent = obj.get("role").and_then(Value::as_str) == Some("ROLE_AGENT");
                if shape == Shape::AgentMessage || agent {
                    self.context_id(obj, path, "agent Message");
                }
                self.generic(obj, path, &["parts"]);
            }
            Shape::Artifact => {
                self.req(obj, path, "artifactId", "Artifact");
                self.parts(obj, path, "Artifact");
                self.generic(obj, path, &["parts"]);
            }
            Shape::Part => {
                let kind = self.one_of(obj, path, &["text", "raw", "url", "data"], "DATA-010");
                if kind.as_deref() == Some("raw") {
                    match obj.get("raw").and_then(Value::as_str) {
                        Some(s) if base64_ok(s) => {}
                        other => self.push(
                            "DATA-011",
                            &format!("{path}.raw"),
                            format!(
                                "not base64: {}",
                                other.map_or("non-string".into(), |s| clip(s, 60))
                            ),
                        ),
                    }
                }
                // `data` is a free-form Value: do not descend.
                self.generic(obj, path, &["data"]);
            }
            Shape::StatusUpdate => {
                self.req(obj, path, "taskId", "TaskStatusUpdateEvent");
                self.req(obj, path, "status", "TaskStatusUpdateEvent");
                self.context_id(obj, path, "status update");
                self.child(obj, path, "status", Shape::TaskStatus);
                self.generic(obj, path, &["status"]);
            }
            Shape::ArtifactUpdate => {
                self.req(obj, path, "taskId", "TaskArtifactUpdateEvent");
                self.req(obj, path, "artifact", "TaskArtifactUpdateEvent");
                self.context_id(obj, path, "artifact update");
                self.child(obj, path, "artifact", Shape::Artifact);
                self.generic(obj, path, &["artifact"]);
            }
            Shape::ListTasksResponse => {
                self.child(obj, path, "tasks", Shape::Task);
                self.generic(obj, path, &["tasks"]);
            }
            Shape::PushConfig => {
                self.req(obj, path, "url", "TaskPushNotificationConfig");
                self.generic(obj, path, &[]);
            }
            Shape::PushConfigList => {
                self.child(obj, path, "configs", Shape::PushConfig);
                self.generic(obj, path, &["configs"]);
            }
            Shape::AgentCard => self.generic(obj, path, &[]),
        }
    }

    fn parts(&mut self, obj: &Map<String, Value>, path: &str, what: &str) {
        if !self.req(obj, path, "parts", what) {
            return;
        }
        match obj.get("parts").and_then(Value::as_array) {
            Some(parts) if parts.is_empty() => self.push(
                "DATA-007",
                &format!("{path}.parts"),
                format!("{what}.parts is empty"),
            ),
            Some(_) => self.child(obj, path, "parts", Shape::Part),
            None => self.push(
                "DATA-006",
                &format!("{path}.parts"),
                "`parts` is not an array",
            ),
        }
    }

    /// Descends into every child not handled by the shape (or skipped as free-form).
    fn generic(&mut self, obj: &Map<String, Value>, path: &str, handled: &[&str]) {
        for (k, v) in obj {
            if handled.contains(&k.as_str()) || FREE_FORM.contains(&k.as_str()) {
                continue;
            }
            if k == "timestamp" || k.ends_with("Timestamp") {
                self.timestamp(v, &format!("{path}.{k}"));
                continue;
            }
            self.walk(v, Shape::Any, &format!("{path}.{k}"));
        }
    }

    fn enum_value(&mut self, v: Option<&Value>, path: &str, prefix: &str, valid: &[&str]) {
        match v {
            Some(Value::String(s)) if valid.contains(&s.as_str()) => {}
            Some(Value::String(s)) if s.ends_with("_UNSPECIFIED") => {
                self.push("DATA-003", path, format!("`{s}` used as a real value"))
            }
            Some(Value::Number(n)) if n.as_i64() == Some(0) => {
                self.push("DATA-003", path, "integer 0 (UNSPECIFIED)".to_owned());
                self.push(
                    "DATA-002",
                    path,
                    "integer instead of the enum name".to_owned(),
                );
            }
            Some(other) => self.push(
                "DATA-002",
                path,
                format!(
                    "`{}` is not a {prefix}* enum name",
                    clip(&other.to_string(), 60)
                ),
            ),
            None => {}
        }
    }

    fn timestamp(&mut self, v: &Value, path: &str) {
        match v.as_str() {
            Some(s) if timestamp_format(s) => {
                if !timestamp_millis(s) {
                    self.push(
                        "DATA-005",
                        path,
                        format!("`{s}` is not millisecond precision"),
                    );
                }
            }
            _ => self.push(
                "DATA-004",
                path,
                format!("`{}` is not RFC 3339 UTC `Z`", clip(&v.to_string(), 60)),
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Object shapes (single-object verifiers built on the walk)
// ---------------------------------------------------------------------------------------------

fn shape_check(value: &Value, shape: Shape, what: &str) -> Result<(), Outcome> {
    if !value.is_object() {
        return Err(Outcome::fail(
            format!("{what} is not a JSON object"),
            format!("a {what} object"),
            show(value),
        ));
    }
    let findings = scan(value, shape, "$");
    let hard: Vec<&Finding> = findings
        .iter()
        .filter(|f| !matches!(f.rule, "DATA-005" | "DATA-012"))
        .collect();
    match hard.first() {
        None => Ok(()),
        Some(_) => Err(Outcome::fail(
            format!("{what} is malformed"),
            format!("a {what} per digest §5"),
            hard.iter()
                .take(5)
                .map(|f| format!("{} {}: {}", f.rule, f.path, f.detail))
                .collect::<Vec<_>>()
                .join("; "),
        )),
    }
}

/// A well-formed Task (REQ fields, enums, timestamps, parts, contextId).
pub fn task_shape(value: &Value) -> Result<(), Outcome> {
    shape_check(value, Shape::Task, "Task")
}

/// A well-formed agent Message.
pub fn message_shape(value: &Value) -> Result<(), Outcome> {
    shape_check(value, Shape::AgentMessage, "Message")
}

/// A well-formed Part (exactly one content member; base64 `raw`).
pub fn part_shape(value: &Value) -> Result<(), Outcome> {
    shape_check(value, Shape::Part, "Part")
}

/// `{"task":Task}` or `{"message":Message}`, nothing else (the SendMessage result).
pub fn send_message_response_shape(value: &Value) -> Result<(), Outcome> {
    shape_check(value, Shape::SendMessageResponse, "SendMessageResponse")
}

/// A bare Task (GetTask/CancelTask result): a Task, not wrapped in `{"task":…}`.
pub fn bare_task_shape(value: &Value) -> Result<(), Outcome> {
    if value.get("task").is_some() && value.get("id").is_none() {
        return Err(Outcome::fail(
            "Task is wrapped",
            "a bare Task object (only SendMessage wraps its result)",
            show(value),
        ));
    }
    task_shape(value)
}

/// A ListTasksResponse: `tasks` array, `nextPageToken` string, `pageSize`/`totalSize` numbers.
pub fn list_tasks_shape(value: &Value) -> Result<(), Outcome> {
    let ok = value.get("tasks").is_some_and(Value::is_array)
        && value.get("nextPageToken").is_some_and(Value::is_string)
        && value.get("pageSize").is_some_and(number_like)
        && value.get("totalSize").is_some_and(number_like);
    if !ok {
        return Err(Outcome::fail(
            "ListTasksResponse is malformed",
            "{tasks:[…], nextPageToken:\"…\", pageSize:n, totalSize:n}",
            show(value),
        ));
    }
    shape_check(value, Shape::ListTasksResponse, "ListTasksResponse")
}

/// A number, or a numeric string (ProtoJSON int32 tolerance).
fn number_like(v: &Value) -> bool {
    v.is_number() || v.as_str().is_some_and(|s| s.parse::<i64>().is_ok())
}

/// A TaskPushNotificationConfig with `id`, `taskId` and `url`.
pub fn push_config_shape(value: &Value) -> Result<(), Outcome> {
    let ok = value
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty())
        && value
            .get("taskId")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
        && value.get("url").is_some_and(Value::is_string);
    if !ok {
        return Err(Outcome::fail(
            "TaskPushNotificationConfig is malformed",
            "{id, taskId, url, …}",
            show(value),
        ));
    }
    Ok(())
}

/// The REQ fields of an AgentCard, and each interface's REQ fields (CARD-002/003). Empty
/// `skills` is reported as NON-STRICT (digest §3: warn).
pub fn agent_card_shape(card: &Value) -> Result<(), Outcome> {
    let Some(obj) = card.as_object() else {
        return Err(Outcome::fail(
            "agent card is not a JSON object",
            "an AgentCard object",
            show(card),
        ));
    };
    let mut missing = Vec::new();
    for f in ["name", "description", "version"] {
        if !nonempty_str(obj.get(f)) {
            missing.push(f);
        }
    }
    for f in [
        "defaultInputModes",
        "defaultOutputModes",
        "skills",
        "supportedInterfaces",
    ] {
        if !obj.get(f).is_some_and(Value::is_array) {
            missing.push(f);
        }
    }
    if !obj.get("capabilities").is_some_and(Value::is_object) {
        missing.push("capabilities");
    }
    if !missing.is_empty() {
        return Err(Outcome::fail(
            "agent card lacks REQ fields",
            "name, description, supportedInterfaces (≥1), version, capabilities, defaultInputModes, defaultOutputModes, skills",
            format!("missing or wrong type: {}", missing.join(", ")),
        ));
    }
    if obj["supportedInterfaces"]
        .as_array()
        .is_some_and(Vec::is_empty)
    {
        return Err(Outcome::fail(
            "agent card declares no interfaces",
            "supportedInterfaces with at least one entry",
            "supportedInterfaces: []",
        ));
    }
    interfaces_shape(card)?;
    if obj["skills"].as_array().is_some_and(Vec::is_empty) {
        return Err(Outcome::non_strict(
            "agent card has an empty `skills` array",
            "at least one skill (the §8.4.1 example allows [], so this only warns)",
            "skills: []",
        ));
    }
    Ok(())
}

/// Each `supportedInterfaces` entry has a string `url` (absolute), `protocolBinding` and
/// `protocolVersion` (CARD-003).
pub fn interfaces_shape(card: &Value) -> Result<(), Outcome> {
    let Some(list) = card.get("supportedInterfaces").and_then(Value::as_array) else {
        return Err(Outcome::fail(
            "agent card has no supportedInterfaces",
            "supportedInterfaces: [AgentInterface]",
            "absent",
        ));
    };
    for (i, iface) in list.iter().enumerate() {
        let s = |k: &str| {
            iface
                .get(k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let url_ok = s("url").is_some_and(|u| u.contains("://") || !u.starts_with('/'));
        if !url_ok || s("protocolBinding").is_none() || s("protocolVersion").is_none() {
            return Err(Outcome::fail(
                format!("supportedInterfaces[{i}] lacks REQ fields"),
                "url (absolute), protocolBinding and protocolVersion strings",
                show(iface),
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Setup helpers: tasks to judge against
// ---------------------------------------------------------------------------------------------

/// The task inside a SendMessage result (`{"task":…}`), if it is one.
pub fn task_of(result: &Value) -> Option<&Value> {
    result.get("task")
}

/// The `id` of a Task object.
pub fn id_of(task: &Value) -> Option<String> {
    task.get("id").and_then(Value::as_str).map(str::to_owned)
}

/// `status.state` of a Task object.
pub fn state_of(task: &Value) -> Option<&str> {
    task.get("status")?.get("state")?.as_str()
}

// ---------------------------------------------------------------------------------------------
// Streams and cross-binding comparison
// ---------------------------------------------------------------------------------------------

/// A streaming call was refused with `code`: either a plain error answer before the stream, or
/// an SSE stream whose first event is that error (digest §1.3: accept either).
pub async fn stream_error_is(
    answer: crate::client::StreamAnswer,
    code: ErrorCode,
    timeout: std::time::Duration,
) -> Result<(), Outcome> {
    match answer {
        crate::client::StreamAnswer::Refused(a) => error_is(&a, code).map(|_| ()),
        crate::client::StreamAnswer::Open(mut reader) => match reader.next(timeout).await {
            Ok(Some(ev)) => match &ev.payload {
                Reply::Err(e) if error_matches(e, code) => Ok(()),
                other => Err(Outcome::fail(
                    format!("stream was not refused with {code:?}"),
                    expected_error(code),
                    format!("first event: {other:?}")
                        .chars()
                        .take(400)
                        .collect::<String>(),
                )),
            },
            Ok(None) => Err(Outcome::fail(
                format!("stream closed without {code:?}"),
                expected_error(code),
                "an empty event stream",
            )),
            Err(e) => Err(Outcome::fail(
                format!("stream was not refused with {code:?}"),
                expected_error(code),
                format!("stream error: {e}"),
            )),
        },
    }
}

/// Keys whose string values are server-generated or time-dependent, normalised before two
/// answers are compared (ids and timestamps).
pub const VOLATILE_KEYS: [&str; 7] = [
    "id",
    "taskId",
    "contextId",
    "messageId",
    "timestamp",
    "nextPageToken",
    "message",
];

/// `value` with every volatile string (see [`VOLATILE_KEYS`]; `message` only when it is a
/// string, i.e. an error text) replaced by `"<normalised>"`, so two bindings' answers can be
/// compared.
pub fn normalise(value: &Value) -> Value {
    match value {
        Value::Object(obj) => Value::Object(
            obj.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(_) if VOLATILE_KEYS.contains(&k.as_str()) => {
                            Value::String("<normalised>".into())
                        }
                        other => normalise(other),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalise).collect()),
        other => other.clone(),
    }
}

/// Fields of a Task, Artifact and Part that have no explicit presence (digest §5), so a ProtoJSON
/// writer may print them with their default value or leave them out: both mean "unset"
/// (digest §0). Oneof members (`Part.text`, …) and REQ fields are not listed: they are
/// meaningful even when empty.
const TASK_DEFAULTABLE: [&str; 3] = ["artifacts", "history", "metadata"];
const ARTIFACT_DEFAULTABLE: [&str; 4] = ["name", "description", "extensions", "metadata"];
const PART_DEFAULTABLE: [&str; 3] = ["filename", "mediaType", "metadata"];

/// A default JSON value as ProtoJSON prints it: `""`, `0`, `false`, `[]`, `{}` or `null`.
fn is_default_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// `value` (a Task, an Artifact or a Part of the given `shape`, or an array of them) with the
/// default-valued fields that have no explicit presence removed (digest §0), so the output of a
/// writer that prints defaults compares equal to one that omits them. Only the listed fields of
/// those objects are touched: `data` and `metadata` contents are left as they are, and any
/// other shape is returned unchanged.
pub fn without_defaults(value: &Value, shape: Shape) -> Value {
    let (droppable, children): (&[&str], &[(&str, Shape)]) = match shape {
        Shape::Task => (&TASK_DEFAULTABLE, &[("artifacts", Shape::Artifact)]),
        Shape::Artifact => (&ARTIFACT_DEFAULTABLE, &[("parts", Shape::Part)]),
        Shape::Part => (&PART_DEFAULTABLE, &[]),
        _ => return value.clone(),
    };
    match value {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| without_defaults(item, shape))
                .collect(),
        ),
        Value::Object(obj) => Value::Object(
            obj.iter()
                .filter(|(k, v)| !(droppable.contains(&k.as_str()) && is_default_value(v)))
                .map(|(k, v)| {
                    let v = match children.iter().find(|(c, _)| c == k) {
                        Some((_, child)) => without_defaults(v, *child),
                        None => v.clone(),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The first path where `a` and `b` differ (after the caller normalised them), or None.
pub fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => {
                        if let Some(d) = first_difference(p, q, &format!("{path}.{k}")) {
                            return Some(d);
                        }
                    }
                    (p, q) => {
                        return Some(format!(
                            "{path}.{k}: {} vs {}",
                            p.map_or("absent".into(), show),
                            q.map_or("absent".into(), show)
                        ))
                    }
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, &format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{path}: {} vs {}", show(a), show(b))),
    }
}

/// What an answer is, for comparing two bindings' answers: success, the error's class
/// ([`WireError::class`]), or why it is unreadable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerKind {
    /// A success.
    Success,
    /// An error, classified.
    Error(crate::client::ErrorClass),
    /// Neither.
    Unreadable(String),
}

impl AnswerKind {
    /// The kind of `answer`.
    pub fn of(answer: &Answer) -> AnswerKind {
        match &answer.reply {
            Reply::Ok(_) => AnswerKind::Success,
            Reply::Err(e) => AnswerKind::Error(e.class()),
            Reply::Garbled(why) => AnswerKind::Unreadable(why.clone()),
        }
    }

    /// Whether two bindings gave the same answer: both successes, or the same failure.
    pub fn agrees_with(&self, other: &AnswerKind) -> bool {
        match (self, other) {
            (AnswerKind::Success, AnswerKind::Success) => true,
            (AnswerKind::Error(a), AnswerKind::Error(b)) => a.same_failure(b),
            _ => false,
        }
    }
}

impl std::fmt::Display for AnswerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnswerKind::Success => f.write_str("success"),
            AnswerKind::Error(c) => f.write_str(&c.label()),
            AnswerKind::Unreadable(why) => write!(f, "unreadable ({why})"),
        }
    }
}

/// The error carries a `google.rpc.BadRequest` detail whose `fieldViolations` name a field:
/// some violation has a non-empty `field` string (ERR-008). `"field": ""` names nothing.
pub fn names_bad_field(e: &WireError) -> Result<(), Outcome> {
    let named = error_details(&e.raw)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|d| d.get("@type").and_then(Value::as_str) == Some(BAD_REQUEST_TYPE))
        .filter_map(|b| b.get("fieldViolations").and_then(Value::as_array))
        .flatten()
        .any(|v| {
            v.get("field")
                .and_then(Value::as_str)
                .is_some_and(|f| !f.trim().is_empty())
        });
    if named {
        return Ok(());
    }
    Err(Outcome::fail(
        "the bad field is not named",
        format!("a {BAD_REQUEST_TYPE} detail whose fieldViolations[].field names the field"),
        show(&e.raw),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_numbers_written_as_doubles_are_read() {
        assert_eq!(whole_number(&json!(4)), Some(4));
        assert_eq!(whole_number(&json!(4.0)), Some(4));
        assert_eq!(whole_number(&json!(0.0)), Some(0));
        assert_eq!(whole_number(&json!(-2.0)), Some(-2));
        assert_eq!(whole_number(&json!(0.5)), None);
        assert_eq!(whole_number(&json!("4")), None);
        assert_eq!(whole_number(&json!(1e300)), None);
        assert_eq!(whole_number(&Value::Null), None);
    }

    #[test]
    fn printed_defaults_compare_equal_to_omitted_ones() {
        let printed = json!({"id": "t", "metadata": {}, "artifacts": [{
            "artifactId": "a", "name": "", "description": "", "extensions": [], "metadata": {},
            "parts": [{"text": "", "filename": "", "mediaType": "", "metadata": {}},
                      {"data": {"seq": 0, "flag": false, "s": ""}}]}]});
        let omitted = json!({"id": "t", "artifacts": [{"artifactId": "a",
            "parts": [{"text": ""}, {"data": {"seq": 0, "flag": false, "s": ""}}]}]});
        assert_eq!(
            without_defaults(&printed, Shape::Task),
            without_defaults(&omitted, Shape::Task)
        );
    }

    #[test]
    fn set_values_and_free_form_contents_are_kept() {
        let part = json!({"text": "x", "mediaType": "text/plain", "metadata": {"k": ""},
                          "data": {"a": []}});
        assert_eq!(without_defaults(&part, Shape::Part), part);
        let other = json!({"artifacts": [], "name": ""});
        assert_eq!(without_defaults(&other, Shape::Message), other);
        assert_ne!(
            without_defaults(&json!({"parts": [{"text": "a"}]}), Shape::Artifact),
            without_defaults(&json!({"parts": [{"text": "b"}]}), Shape::Artifact)
        );
    }

    #[test]
    fn a_field_violation_must_name_its_field() {
        let with = |field: Value| {
            WireError::from_jsonrpc(
                200,
                &json!({"code": -32602, "message": "bad", "data": [
                    {"@type": BAD_REQUEST_TYPE, "fieldViolations": [{"field": field, "description": "d"}]}
                ]}),
            )
        };
        assert!(names_bad_field(&with(json!("message.messageId"))).is_ok());
        assert!(names_bad_field(&with(json!(""))).is_err());
        assert!(names_bad_field(&with(json!("  "))).is_err());
        assert!(names_bad_field(&with(Value::Null)).is_err());
        let no_detail = WireError::from_jsonrpc(200, &json!({"code": -32602, "message": "bad"}));
        assert!(names_bad_field(&no_detail).is_err());
    }
}
