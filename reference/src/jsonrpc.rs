//! The JSON-RPC 2.0 binding at `POST /` (digest §1).
//!
//! Processing order per request object (§1.5): parse (-32700), envelope (-32600), method
//! (-32601), params (-32602), `A2A-Version` (-32009), required extension (-32008), then the call.
//! Batches and notifications follow JSON-RPC 2.0. JSON-RPC errors travel with HTTP 200, except
//! authentication (401, answered before any of this) and an oversized body (413).
//!
//! The envelope is read as raw JSON first, so a request's `id` is echoed byte for byte (JRPC-002):
//! `1e-25`, `12345678901234567890123` and `-0` would not survive a trip through `f64`/`i64`.

use std::io::Write;

use bytes::Bytes;
use http::header::{HeaderValue, ALLOW, CONNECTION};
use http::{Method as HttpMethod, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::config::Fault;
use crate::error::{A2aError, ErrorKind};
use crate::http::{
    activated_extensions, check_content_type, check_version, ctx, echo_extensions, faulted, full,
    read_body, App, BodyError, ResBody, APPLICATION_JSON,
};
use crate::service::{CallCtx, Caller, EventStream, Op, Reply};
use crate::sse::{self, Framing};

/// The eleven 1.0 methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    SendMessage,
    SendStreamingMessage,
    GetTask,
    ListTasks,
    CancelTask,
    SubscribeToTask,
    CreatePushConfig,
    GetPushConfig,
    ListPushConfigs,
    DeletePushConfig,
    GetExtendedAgentCard,
}

impl Method {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "SendMessage" => Self::SendMessage,
            "SendStreamingMessage" => Self::SendStreamingMessage,
            "GetTask" => Self::GetTask,
            "ListTasks" => Self::ListTasks,
            "CancelTask" => Self::CancelTask,
            "SubscribeToTask" => Self::SubscribeToTask,
            "CreateTaskPushNotificationConfig" => Self::CreatePushConfig,
            "GetTaskPushNotificationConfig" => Self::GetPushConfig,
            "ListTaskPushNotificationConfigs" => Self::ListPushConfigs,
            "DeleteTaskPushNotificationConfig" => Self::DeletePushConfig,
            "GetExtendedAgentCard" => Self::GetExtendedAgentCard,
            _ => return None,
        })
    }

    fn streaming(self) -> bool {
        matches!(self, Self::SendStreamingMessage | Self::SubscribeToTask)
    }

    fn op(self, params: Value) -> Option<Op> {
        Some(match self {
            Self::SendMessage => Op::SendMessage(params),
            Self::SendStreamingMessage => Op::SendStreamingMessage(params),
            Self::GetTask => Op::GetTask(params),
            Self::ListTasks => Op::ListTasks(params),
            Self::CancelTask => Op::CancelTask(params),
            Self::SubscribeToTask => Op::SubscribeToTask(params),
            Self::CreatePushConfig => Op::CreatePushConfig(params),
            Self::GetPushConfig => Op::GetPushConfig(params),
            Self::ListPushConfigs => Op::ListPushConfigs(params),
            Self::DeletePushConfig => Op::DeletePushConfig(params),
            Self::GetExtendedAgentCard => return None,
        })
    }
}

/// What one request object produced.
enum Outcome {
    /// A notification: executed, no response.
    Silent,
    /// A complete response object.
    Json(Vec<u8>),
    /// A stream for the request with this (serialized) id.
    Stream(Bytes, EventStream),
}

/// A request `id` exactly as it was sent: a string, a number or `null`, never re-encoded.
#[derive(Clone, Copy)]
struct Id<'a> {
    raw: &'a str,
}

impl<'a> Id<'a> {
    const NULL: Id<'static> = Id { raw: "null" };

    /// Accepts the JSON-RPC id types (string, number, null); anything else is None.
    fn parse(raw: &'a RawValue) -> Option<Id<'a>> {
        let raw = raw.get().trim();
        match raw.as_bytes().first()? {
            b'"' | b'-' | b'0'..=b'9' => Some(Id { raw }),
            b'n' => Some(Id::NULL),
            _ => None,
        }
    }

    fn is_number(self) -> bool {
        !matches!(self.raw.as_bytes().first(), Some(b'"' | b'n'))
    }
}

/// A request object's members as raw JSON (the last of duplicate keys wins, as with a map).
type Members<'a> = std::collections::HashMap<String, &'a RawValue>;

/// The header-derived checks, done once per HTTP request and applied per request object in
/// the §1.5 order.
struct Checks {
    version: Result<(), A2aError>,
    extensions: Result<Vec<String>, A2aError>,
}

/// Handles `/` (authentication already passed).
pub(crate) async fn handle(app: &App, req: Request<Incoming>, caller: Caller) -> Response<ResBody> {
    if req.method() != HttpMethod::POST {
        let e = A2aError::new(
            ErrorKind::InvalidRequest,
            format!(
                "{} is not allowed here; JSON-RPC requests use POST",
                req.method()
            ),
        );
        let mut res = error_response(app, StatusCode::METHOD_NOT_ALLOWED, e);
        res.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return res;
    }
    let (parts, body) = req.into_parts();
    if let Err(e) = check_content_type(&parts.headers) {
        return error_response(app, StatusCode::OK, e);
    }
    let bytes = match read_body(&parts.headers, body, app.body_limit()).await {
        Ok(b) => b,
        Err(BodyError { error, close }) => {
            let status = if error.kind == ErrorKind::PayloadTooLarge {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::OK
            };
            let mut res = error_response(app, status, error);
            if close {
                res.headers_mut()
                    .insert(CONNECTION, HeaderValue::from_static("close"));
            }
            return res;
        }
    };
    let value: &RawValue = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            let e = A2aError::new(ErrorKind::ParseError, format!("the body is not JSON: {e}"));
            return error_response(app, StatusCode::OK, e);
        }
    };
    let checks = Checks {
        version: check_version(&app.config, &parts.headers, parts.uri.query()),
        extensions: activated_extensions(&app.config, &parts.headers),
    };
    let activated = checks.extensions.clone().unwrap_or_default();
    let ctx = ctx(caller, activated.clone());
    let batched = match value.get().starts_with('[') {
        // Already known to be valid JSON, so an array always splits into its elements.
        true => serde_json::from_str::<Vec<&RawValue>>(value.get()).ok(),
        false => None,
    };
    let mut res = match batched {
        Some(entries) => batch(app, &checks, &ctx, entries).await,
        None => match process(app, &checks, &ctx, value, false).await {
            Outcome::Silent => no_content(),
            Outcome::Json(body) => full(StatusCode::OK, APPLICATION_JSON, Bytes::from(body)),
            Outcome::Stream(id, stream) => sse::response(app, stream, Framing::JsonRpc(id)),
        },
    };
    echo_extensions(app, &activated, &mut res);
    res
}

async fn batch(
    app: &App,
    checks: &Checks,
    ctx: &CallCtx,
    entries: Vec<&RawValue>,
) -> Response<ResBody> {
    if entries.is_empty() {
        let e = A2aError::new(
            ErrorKind::InvalidRequest,
            "an empty batch is not a valid request",
        );
        return error_response(app, StatusCode::OK, e);
    }
    let mut out = Vec::with_capacity(64 * entries.len());
    out.push(b'[');
    for entry in entries {
        if let Outcome::Json(body) = process(app, checks, ctx, entry, true).await {
            if out.len() > 1 {
                out.push(b',');
            }
            out.extend_from_slice(&body);
        }
    }
    if out.len() == 1 {
        return no_content(); // every entry was a notification
    }
    out.push(b']');
    full(StatusCode::OK, APPLICATION_JSON, Bytes::from(out))
}

fn no_content() -> Response<ResBody> {
    let mut res = Response::new(ResBody::empty());
    *res.status_mut() = StatusCode::NO_CONTENT;
    res
}

/// Runs one request object through the §1.5 order.
async fn process(
    app: &App,
    checks: &Checks,
    ctx: &CallCtx,
    entry: &RawValue,
    in_batch: bool,
) -> Outcome {
    let Ok(mut obj) = serde_json::from_str::<Members<'_>>(entry.get()) else {
        let e = A2aError::new(ErrorKind::InvalidRequest, "a request must be a JSON object");
        return Outcome::Json(render_error(app, Id::NULL, e));
    };
    let id = match obj.remove("id") {
        None => None,
        Some(raw) => match Id::parse(raw) {
            Some(id) => Some(id),
            None => {
                let e = A2aError::new(
                    ErrorKind::InvalidRequest,
                    "`id` must be a string, a number or null",
                );
                return Outcome::Json(render_error(app, Id::NULL, e));
            }
        },
    };
    let fail = |e: A2aError| match id {
        Some(id) => Outcome::Json(render_error(app, id, e)),
        None => Outcome::Silent,
    };
    // Envelope errors are answered even for id-less objects: they are not valid notifications.
    let envelope = |e: A2aError| Outcome::Json(render_error(app, id.unwrap_or(Id::NULL), e));
    let member = |obj: &Members<'_>, key: &str| -> Option<Value> {
        obj.get(key)
            .and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok())
    };
    if member(&obj, "jsonrpc").as_ref().and_then(Value::as_str) != Some("2.0") {
        return envelope(A2aError::new(
            ErrorKind::InvalidRequest,
            "`jsonrpc` must be \"2.0\"",
        ));
    }
    let method_name = member(&obj, "method");
    let Some(name) = method_name.as_ref().and_then(Value::as_str) else {
        return envelope(A2aError::new(
            ErrorKind::InvalidRequest,
            "`method` must be a string",
        ));
    };
    let Some(method) = Method::parse(name) else {
        if name.contains('/') && app.fault(Fault::Legacy03MethodInternalError) {
            return Outcome::Json(legacy_internal_error(app, id.unwrap_or(Id::NULL)));
        }
        let hint = if name.contains('/') {
            " (an A2A 0.3 method name; this server speaks A2A 1.0)"
        } else {
            ""
        };
        return fail(
            A2aError::new(
                ErrorKind::MethodNotFound,
                format!("method `{name}` not found{hint}"),
            )
            .with_meta("method", name),
        );
    };
    if in_batch && method.streaming() {
        return envelope(A2aError::new(
            ErrorKind::InvalidRequest,
            format!("{name} streams its answer and cannot be part of a batch"),
        ));
    }
    let params = match obj
        .remove("params")
        .map(|raw| serde_json::from_str(raw.get()))
    {
        Some(Ok(Value::Object(m))) => Value::Object(m),
        None | Some(Ok(Value::Null)) if method == Method::GetExtendedAgentCard => {
            Value::Object(Map::new())
        }
        None | Some(Ok(Value::Null)) => {
            return fail(A2aError::invalid_field("params", "is required"))
        }
        Some(_) => return fail(A2aError::invalid_field("params", "must be an object")),
    };
    if let Err(e) = &checks.version {
        return fail(e.clone());
    }
    if let Err(e) = &checks.extensions {
        return fail(e.clone());
    }
    let Some(op) = method.op(params) else {
        return match (crate::card::extended(app), id) {
            (_, None) => Outcome::Silent,
            (Ok(card), Some(id)) => Outcome::Json(render_result(app, id, &card)),
            (Err(e), Some(id)) => Outcome::Json(render_error(app, id, e)),
        };
    };
    let result = app.service.call(ctx, op).await;
    let Some(id) = id else {
        return Outcome::Silent; // a notification's result (even a stream) is dropped
    };
    match result {
        Ok(Reply::Json(v)) => Outcome::Json(render_value(app, id, &v)),
        Ok(Reply::Empty) => Outcome::Json(render_result(app, id, b"null")),
        Ok(Reply::Stream(stream)) => Outcome::Stream(Bytes::from(id_bytes(app, id)), stream),
        Err(e) => Outcome::Json(render_error(app, id, e)),
    }
}

/// The id as it goes on the wire (IdTypeNotEchoed turns numbers into strings).
fn id_bytes(app: &App, id: Id<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(id.raw.len() + 2);
    write_id(app, &mut out, id);
    out
}

fn write_id(app: &App, out: &mut Vec<u8>, id: Id<'_>) {
    if app.fault(Fault::IdReencoded) {
        // The classic bug: the id goes through a `Value` (f64/i64) and is printed anew.
        match serde_json::from_str::<Value>(id.raw) {
            Ok(v) => out.extend_from_slice(v.to_string().as_bytes()),
            Err(_) => out.extend_from_slice(b"null"),
        }
        return;
    }
    let quote = id.is_number() && app.fault(Fault::IdTypeNotEchoed);
    if quote {
        out.push(b'"');
    }
    // The request's own bytes: RawValue has already checked they are one valid JSON value.
    out.extend_from_slice(id.raw.as_bytes());
    if quote {
        out.push(b'"');
    }
}

/// `{"jsonrpc":"2.0","id":…,"result":…}` around already-serialized result bytes.
fn render_result(app: &App, id: Id<'_>, result: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(result.len() + 48);
    out.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
    write_id(app, &mut out, id);
    out.extend_from_slice(b",\"result\":");
    out.extend_from_slice(result);
    out.push(b'}');
    out
}

/// `{"jsonrpc":"2.0","id":…,"result":…}`, serializing `result` straight into the buffer.
fn render_value(app: &App, id: Id<'_>, result: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
    write_id(app, &mut out, id);
    out.extend_from_slice(b",\"result\":");
    if serde_json::to_writer(&mut out, result).is_err() {
        out.extend_from_slice(b"null"); // unreachable: a Value always serializes
    }
    out.push(b'}');
    out
}

/// `{"jsonrpc":"2.0","id":…,"error":…}`.
fn render_error(app: &App, id: Id<'_>, e: A2aError) -> Vec<u8> {
    let e = faulted(&app.config, e);
    tracing::debug!(error = %e, "JSON-RPC error");
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
    write_id(app, &mut out, id);
    out.extend_from_slice(b",\"error\":");
    let mut error = e.to_jsonrpc();
    if app.fault(Fault::UntypedErrorDetail) {
        crate::http::push_untyped_detail(&mut error["data"]);
    }
    let _ = serde_json::to_writer(&mut out, &error);
    let _ = out.write_all(b"}");
    out
}

/// A whole HTTP response carrying one JSON-RPC error with id null.
pub(crate) fn error_response(app: &App, status: StatusCode, e: A2aError) -> Response<ResBody> {
    full(
        status,
        APPLICATION_JSON,
        Bytes::from(render_error(app, Id::NULL, e)),
    )
}

/// Fault `Legacy03MethodInternalError`: -32603 with `"data": null` for a 0.3 method name.
fn legacy_internal_error(app: &App, id: Id<'_>) -> Vec<u8> {
    let mut out = b"{\"jsonrpc\":\"2.0\",\"id\":".to_vec();
    write_id(app, &mut out, id);
    out.extend_from_slice(br#","error":{"code":-32603,"message":"internal error","data":null}}"#);
    out
}
