//! The HTTP+JSON binding (digest §2): every route of §2.2, with an optional `/{tenant}` prefix.
//!
//! Colon verbs are split on the last `:` of the last path segment before percent-decoding, so
//! ids containing `:` or `/` travel percent-encoded. Query parameters become typed ProtoJSON
//! (camelCase or snake_case names). Errors are `google.rpc.Status` bodies with the 1.0.1 HTTP
//! status; every response is `application/a2a+json`.

use bytes::Bytes;
use http::header::{HeaderValue, ALLOW, CONNECTION};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::{Map, Value};

use crate::config::Fault;
use crate::error::{A2aError, ErrorKind};
use crate::http::{
    activated_extensions, body_error_status, check_content_type, check_version, ctx,
    echo_extensions, faulted, full, read_body, to_bytes, App, BodyError, ResBody,
    APPLICATION_A2A_JSON,
};
use crate::service::{Caller, Op, Reply};
use crate::sse::{self, Framing};

/// A matched REST operation with its path parameters (percent-decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Send,
    Stream,
    GetTask(String),
    ListTasks,
    Cancel(String),
    Subscribe(String),
    CreatePush(String),
    ListPush(String),
    GetPush(String, String),
    DeletePush(String, String),
    ExtendedCard,
}

#[derive(Debug, PartialEq, Eq)]
enum Miss {
    NotFound,
    MethodNotAllowed(&'static str),
}

/// How a query parameter is typed in ProtoJSON.
#[derive(Clone, Copy)]
enum QType {
    Str,
    Int,
    Bool,
    Enum,
}

/// (camelCase, snake_case, type) for each query parameter a route reads.
type QField = (&'static str, &'static str, QType);

const GET_TASK_QUERY: &[QField] = &[("historyLength", "history_length", QType::Int)];
const LIST_TASKS_QUERY: &[QField] = &[
    ("contextId", "context_id", QType::Str),
    ("status", "status", QType::Enum),
    ("pageSize", "page_size", QType::Int),
    ("pageToken", "page_token", QType::Str),
    ("historyLength", "history_length", QType::Int),
    ("statusTimestampAfter", "status_timestamp_after", QType::Str),
    ("includeArtifacts", "include_artifacts", QType::Bool),
];
const LIST_PUSH_QUERY: &[QField] = &[
    ("pageSize", "page_size", QType::Int),
    ("pageToken", "page_token", QType::Str),
];

/// Handles every path other than `/` and the card (authentication already passed).
pub(crate) async fn handle(app: &App, req: Request<Incoming>, caller: Caller) -> Response<ResBody> {
    let (route, tenant) = match route(req.method(), req.uri().path()) {
        Ok(r) => r,
        Err(Miss::NotFound) => {
            let e = A2aError::new(
                ErrorKind::MethodNotFound,
                format!("no A2A operation at {} {}", req.method(), req.uri().path()),
            );
            return error_response(app, e);
        }
        Err(Miss::MethodNotAllowed(allow)) => {
            let e = A2aError::new(
                ErrorKind::MethodNotFound,
                format!(
                    "{} is not allowed on {}; use {allow}",
                    req.method(),
                    req.uri().path()
                ),
            );
            let mut res = error_response_with_status(app, e, StatusCode::METHOD_NOT_ALLOWED);
            res.headers_mut()
                .insert(ALLOW, HeaderValue::from_static(allow));
            return res;
        }
    };
    let (parts, body) = req.into_parts();
    if let Err(e) = check_version(&app.config, &parts.headers, parts.uri.query()) {
        return error_response(app, e);
    }
    let activated = match activated_extensions(&app.config, &parts.headers) {
        Ok(a) => a,
        Err(e) => return error_response(app, e),
    };
    let bytes = match read_body(&parts.headers, body, app.body_limit()).await {
        Ok(b) => b,
        Err(BodyError { error, close }) => {
            let mut res = match body_error_status(&error) {
                Some(status) => error_response_with_status(app, error, status),
                None => error_response(app, error),
            };
            if close {
                res.headers_mut()
                    .insert(CONNECTION, HeaderValue::from_static("close"));
            }
            return res;
        }
    };
    let mut res = match run(
        app,
        route,
        tenant,
        parts.uri.query(),
        &parts.headers,
        bytes,
        caller,
        &activated,
    )
    .await
    {
        Ok(res) => res,
        Err(e) => error_response(app, e),
    };
    echo_extensions(app, &activated, &mut res);
    res
}

#[allow(clippy::too_many_arguments)]
async fn run(
    app: &App,
    route: Route,
    tenant: Option<String>,
    query: Option<&str>,
    headers: &http::HeaderMap,
    body: Bytes,
    caller: Caller,
    activated: &[String],
) -> Result<Response<ResBody>, A2aError> {
    let has_body = !body.iter().all(u8::is_ascii_whitespace);
    if has_body {
        check_content_type(headers)?;
    }
    let body_object = || -> Result<Map<String, Value>, A2aError> {
        if !has_body {
            return Ok(Map::new());
        }
        match serde_json::from_slice(&body) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(A2aError::new(
                ErrorKind::InvalidParams,
                "the request body must be a JSON object",
            )),
            Err(e) => Err(A2aError::new(
                ErrorKind::ParseError,
                format!("the body is not JSON: {e}"),
            )),
        }
    };
    let mut params = Map::new();
    let op = match route {
        Route::ExtendedCard => {
            let card = crate::card::extended(app)?;
            return Ok(full(StatusCode::OK, APPLICATION_A2A_JSON, card));
        }
        Route::Send => Op::SendMessage(with(body_object()?, tenant)),
        Route::Stream => Op::SendStreamingMessage(with(body_object()?, tenant)),
        Route::GetTask(id) => {
            typed_query(query, GET_TASK_QUERY, &mut params)?;
            params.insert("id".into(), Value::String(id));
            Op::GetTask(with(params, tenant))
        }
        Route::ListTasks => {
            typed_query(query, LIST_TASKS_QUERY, &mut params)?;
            Op::ListTasks(with(params, tenant))
        }
        Route::Cancel(id) => {
            let mut params = body_object()?;
            params.insert("id".into(), Value::String(id));
            Op::CancelTask(with(params, tenant))
        }
        Route::Subscribe(id) => {
            params.insert("id".into(), Value::String(id));
            Op::SubscribeToTask(with(params, tenant))
        }
        Route::CreatePush(task_id) => {
            let mut params = body_object()?;
            params.insert("taskId".into(), Value::String(task_id));
            params.remove("task_id");
            Op::CreatePushConfig(with(params, tenant))
        }
        Route::ListPush(task_id) => {
            typed_query(query, LIST_PUSH_QUERY, &mut params)?;
            params.insert("taskId".into(), Value::String(task_id));
            Op::ListPushConfigs(with(params, tenant))
        }
        Route::GetPush(task_id, id) => {
            params.insert("taskId".into(), Value::String(task_id));
            params.insert("id".into(), Value::String(id));
            Op::GetPushConfig(with(params, tenant))
        }
        Route::DeletePush(task_id, id) => {
            params.insert("taskId".into(), Value::String(task_id));
            params.insert("id".into(), Value::String(id));
            Op::DeletePushConfig(with(params, tenant))
        }
    };
    let ctx = ctx(caller, activated.to_vec());
    Ok(match app.service.call(&ctx, op).await? {
        Reply::Json(v) => full(StatusCode::OK, APPLICATION_A2A_JSON, to_bytes(&v)),
        Reply::Empty => full(
            StatusCode::OK,
            APPLICATION_A2A_JSON,
            Bytes::from_static(b"{}"),
        ),
        Reply::Stream(stream) => sse::response(app, stream, Framing::Rest),
    })
}

/// Puts the path's tenant into the params (the path wins over the body).
fn with(mut params: Map<String, Value>, tenant: Option<String>) -> Value {
    if let Some(t) = tenant {
        params.remove("tenant");
        params.insert("tenant".into(), Value::String(t));
    }
    Value::Object(params)
}

/// A whole REST error response: google.rpc.Status with the HTTP status of the error's kind.
pub(crate) fn error_response(app: &App, e: A2aError) -> Response<ResBody> {
    let e = faulted(&app.config, e);
    let status = StatusCode::from_u16(e.kind.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    render_error(app, e, status)
}

/// Like [`error_response`] with a status outside the error table (405), kept equal to
/// `error.code`.
pub(crate) fn error_response_with_status(
    app: &App,
    e: A2aError,
    status: StatusCode,
) -> Response<ResBody> {
    render_error(app, faulted(&app.config, e), status)
}

fn render_error(app: &App, e: A2aError, status: StatusCode) -> Response<ResBody> {
    tracing::debug!(error = %e, "REST error");
    let mut body = e.to_rest();
    body["error"]["code"] = Value::from(status.as_u16());
    if app.fault(Fault::UntypedErrorDetail) {
        crate::http::push_untyped_detail(&mut body["error"]["details"]);
    }
    if app.fault(Fault::RestErrorShape) {
        body = body["error"].take();
    }
    let ct = if app.fault(Fault::RestErrorProblemJson) {
        http::HeaderValue::from_static("application/problem+json")
    } else {
        APPLICATION_A2A_JSON
    };
    full(status, ct, to_bytes(&body))
}

/// Matches `path` (with or without a tenant prefix) to a route.
fn route(method: &Method, path: &str) -> Result<(Route, Option<String>), Miss> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let segs: Vec<&str> = trimmed.split('/').collect();
    match match_segments(method, &segs) {
        Err(Miss::NotFound) if segs.len() >= 2 && !segs[0].is_empty() => {
            let tenant = percent_decode(segs[0]).ok_or(Miss::NotFound)?;
            let route = match_segments(method, &segs[1..])?;
            Ok((route, Some(tenant)))
        }
        other => other.map(|r| (r, None)),
    }
}

fn match_segments(method: &Method, segs: &[&str]) -> Result<Route, Miss> {
    let allow = |allowed: &'static str, ok: bool, route: Route| {
        if ok {
            Ok(route)
        } else {
            Err(Miss::MethodNotAllowed(allowed))
        }
    };
    let get = method == Method::GET;
    let post = method == Method::POST;
    match segs {
        ["message:send"] => allow("POST", post, Route::Send),
        ["message:stream"] => allow("POST", post, Route::Stream),
        ["extendedAgentCard"] => allow("GET", get, Route::ExtendedCard),
        ["tasks"] => allow("GET", get, Route::ListTasks),
        ["tasks", last] => {
            let (raw_id, verb) = match last.rsplit_once(':') {
                Some((id, verb)) => (id, Some(verb)),
                None => (*last, None),
            };
            let id = decode_id(raw_id)?;
            match verb {
                None => allow("GET", get, Route::GetTask(id)),
                Some("cancel") => allow("POST", post, Route::Cancel(id)),
                Some("subscribe") => allow("GET, POST", get || post, Route::Subscribe(id)),
                Some(_) => Err(Miss::NotFound),
            }
        }
        ["tasks", task, "pushNotificationConfigs"] => {
            let task = decode_id(task)?;
            if post {
                Ok(Route::CreatePush(task))
            } else {
                allow("GET, POST", get, Route::ListPush(task))
            }
        }
        ["tasks", task, "pushNotificationConfigs", cfg] => {
            let (task, cfg) = (decode_id(task)?, decode_id(cfg)?);
            if method == Method::DELETE {
                Ok(Route::DeletePush(task, cfg))
            } else {
                allow("GET, DELETE", get, Route::GetPush(task, cfg))
            }
        }
        _ => Err(Miss::NotFound),
    }
}

fn decode_id(raw: &str) -> Result<String, Miss> {
    match percent_decode(raw) {
        Some(id) if !id.is_empty() => Ok(id),
        _ => Err(Miss::NotFound),
    }
}

/// RFC 3986 percent-decoding to UTF-8; None on a malformed escape or invalid UTF-8.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Copies the known query parameters of `fields` into `params`, typed as ProtoJSON. Unknown
/// parameters are ignored; a repeated scalar keeps its last value.
fn typed_query(
    query: Option<&str>,
    fields: &[QField],
    params: &mut Map<String, Value>,
) -> Result<(), A2aError> {
    let Some(query) = query else {
        return Ok(());
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let Some(key) = percent_decode(k) else {
            continue;
        };
        let Some(&(name, _, ty)) = fields.iter().find(|(c, s, _)| *c == key || *s == key) else {
            continue;
        };
        let value = percent_decode(v)
            .ok_or_else(|| A2aError::invalid_field(name, "is not valid percent-encoded UTF-8"))?;
        let value = match ty {
            QType::Str => Value::String(value),
            QType::Int => value
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| A2aError::invalid_field(name, "must be an integer"))?,
            QType::Bool => match value.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => return Err(A2aError::invalid_field(name, "must be true or false")),
            },
            QType::Enum => match value.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => Value::String(value),
            },
        };
        params.insert(name.to_owned(), value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: Method, path: &str) -> Result<(Route, Option<String>), Miss> {
        route(&method, path)
    }

    #[test]
    fn routes_with_and_without_tenant() {
        assert_eq!(r(Method::POST, "/message:send"), Ok((Route::Send, None)));
        assert_eq!(
            r(Method::POST, "/acme/message:stream"),
            Ok((Route::Stream, Some("acme".into())))
        );
        assert_eq!(
            r(Method::GET, "/acme/tasks"),
            Ok((Route::ListTasks, Some("acme".into())))
        );
        assert_eq!(
            r(Method::GET, "/tasks/a%3Ab%2Fc"),
            Ok((Route::GetTask("a:b/c".into()), None))
        );
        assert_eq!(
            r(Method::POST, "/tasks/a%3Ab:cancel"),
            Ok((Route::Cancel("a:b".into()), None))
        );
        assert_eq!(
            r(Method::GET, "/t/tasks/x:subscribe"),
            Ok((Route::Subscribe("x".into()), Some("t".into())))
        );
        assert_eq!(
            r(Method::DELETE, "/tasks/x/pushNotificationConfigs/c%201"),
            Ok((Route::DeletePush("x".into(), "c 1".into()), None))
        );
    }

    #[test]
    fn misses_are_not_found_or_not_allowed() {
        assert_eq!(
            r(Method::GET, "/message:send"),
            Err(Miss::MethodNotAllowed("POST"))
        );
        assert_eq!(r(Method::GET, "/nope"), Err(Miss::NotFound));
        assert_eq!(r(Method::GET, "/tasks/x:explode"), Err(Miss::NotFound));
        assert_eq!(r(Method::GET, "/tasks/%zz"), Err(Miss::NotFound));
        assert_eq!(
            r(Method::PUT, "/tasks/x"),
            Err(Miss::MethodNotAllowed("GET"))
        );
    }

    #[test]
    fn query_is_typed_and_accepts_snake_case() {
        let mut m = Map::new();
        typed_query(
            Some("page_size=5&includeArtifacts=true&status=TASK_STATE_WORKING&contextId=c%201&x=1"),
            LIST_TASKS_QUERY,
            &mut m,
        )
        .unwrap();
        assert_eq!(
            Value::Object(m),
            serde_json::json!({"pageSize":5,"includeArtifacts":true,"status":"TASK_STATE_WORKING","contextId":"c 1"})
        );
        let mut m = Map::new();
        let e = typed_query(Some("pageSize=ten"), LIST_TASKS_QUERY, &mut m).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidParams);
    }
}
