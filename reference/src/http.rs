//! HTTP front door: one handler for every request on the port, the response body type, and the
//! checks both bindings share (`Host`, body limit and read deadline, content type,
//! `A2A-Version`, `A2A-Extensions`).
//!
//! Routing is by path alone: the card at `/.well-known/agent-card.json`, JSON-RPC at `/`, and
//! everything else is the REST binding (which answers 404 for paths it does not know).
//!
//! Framing honesty lives here too: a request whose body a handler never read gets
//! `Connection: close` on its answer (hyper would otherwise close the connection silently once
//! the unread body outgrows its buffer), and a body that stalls or trickles below the minimum
//! rate is cut off with 408. HTTP-layer errors carry the route's binding error shape
//! ([`transport_error`]).

use std::cell::Cell;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{
    HeaderMap, HeaderName, HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST,
};
use http::{Request, Response, StatusCode, Version};
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::auth::Auth;
use crate::card::Cards;
use crate::config::{Config, Fault};
use crate::error::{A2aError, ErrorKind};
use crate::service::{Caller, Service};
use crate::sse::SseBody;

/// `A2A-Version` (HeaderMap lookups are case-insensitive).
pub(crate) const A2A_VERSION: HeaderName = HeaderName::from_static("a2a-version");
/// `A2A-Extensions`, on requests and (echoed) on responses.
pub(crate) const A2A_EXTENSIONS: HeaderName = HeaderName::from_static("a2a-extensions");
/// The only protocol version this server implements.
pub(crate) const SUPPORTED_VERSION: &str = "1.0";

pub(crate) const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
pub(crate) const APPLICATION_A2A_JSON: HeaderValue =
    HeaderValue::from_static("application/a2a+json");

/// Everything a request handler needs, shared by every connection of one server.
pub(crate) struct App {
    pub(crate) config: Arc<Config>,
    pub(crate) service: Service,
    pub(crate) cards: Cards,
    pub(crate) auth: Auth,
    /// Open SSE response bodies (the `open_streams` gauge).
    pub(crate) streams: Arc<AtomicUsize>,
    /// Flips to true when the server shuts down; SSE bodies end on it.
    pub(crate) shutdown: watch::Receiver<bool>,
    /// Pre-rendered `A2A-Extensions` echo for the one extension this server supports.
    pub(crate) extension_echo: Option<HeaderValue>,
}

impl App {
    /// Builds the shared state; renders the cards once for `base_url`.
    pub(crate) fn new(
        config: Arc<Config>,
        base_url: &str,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        let extension_echo = config
            .required_extension
            .as_deref()
            .and_then(|uri| HeaderValue::from_str(uri).ok());
        Self {
            service: Service::new(config.clone()),
            cards: Cards::render(&config, base_url),
            auth: Auth::new(&config.bearer_tokens),
            streams: Arc::new(AtomicUsize::new(0)),
            shutdown,
            extension_echo,
            config,
        }
    }

    /// Whether the deliberate bug `fault` is switched on.
    pub(crate) fn fault(&self, fault: Fault) -> bool {
        self.config.fault == Some(fault)
    }

    /// The largest request body read (`max_body_bytes`; unbounded under fault NoSizeLimit).
    pub(crate) fn body_limit(&self) -> usize {
        if self.fault(Fault::NoSizeLimit) {
            usize::MAX
        } else {
            self.config.max_body_bytes
        }
    }
}

/// Fault UntypedErrorDetail: appends a detail object without `@type` to an error's details.
pub(crate) fn push_untyped_detail(details: &mut serde_json::Value) {
    if let Some(items) = details.as_array_mut() {
        items.push(serde_json::json!({"reason": "untyped detail"}));
    }
}

/// Applies the error-rendering faults of the transport (WrongErrorCode,
/// UnnamedFieldViolations, EmptyErrorMessage).
pub(crate) fn faulted(config: &Config, mut e: A2aError) -> A2aError {
    if config.fault == Some(Fault::WrongErrorCode) && e.kind == ErrorKind::TaskNotFound {
        e.kind = ErrorKind::Internal;
    }
    if config.fault == Some(Fault::UnnamedFieldViolations) {
        for (field, _) in &mut e.field_violations {
            field.clear();
        }
    }
    if config.fault == Some(Fault::EmptyErrorMessage) {
        e.message.clear();
    }
    e
}

/// Every response body this server sends: a complete buffer, or an SSE stream.
pub enum ResBody {
    /// A complete body (None once it has been yielded).
    Full(Option<Bytes>),
    /// A server-sent-events stream.
    Sse(SseBody),
}

impl ResBody {
    /// An empty body.
    pub(crate) fn empty() -> Self {
        ResBody::Full(None)
    }
}

impl Body for ResBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            ResBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            ResBody::Sse(s) => Pin::new(s).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, ResBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            ResBody::Full(None) => SizeHint::with_exact(0),
            ResBody::Sse(_) => SizeHint::default(),
        }
    }
}

/// A complete response with `status`, `content_type` and `body`.
pub(crate) fn full(
    status: StatusCode,
    content_type: HeaderValue,
    body: Bytes,
) -> Response<ResBody> {
    let mut res = Response::new(ResBody::Full(Some(body)));
    *res.status_mut() = status;
    res.headers_mut().insert(CONTENT_TYPE, content_type);
    res
}

/// Serializes a JSON value; serde_json cannot fail on a `Value`.
pub(crate) fn to_bytes(v: &serde_json::Value) -> Bytes {
    Bytes::from(serde_json::to_vec(v).unwrap_or_default())
}

/// The future hyper polls per request: boxed once, so the connection can be taken apart after
/// it ends (hyper's `poll_without_shutdown` wants an `Unpin` service future).
pub(crate) type Answer =
    Pin<Box<dyn Future<Output = Result<Response<ResBody>, Infallible>> + Send>>;

/// The single entry point hyper calls for every request.
pub(crate) fn handle(app: Arc<App>, req: Request<Incoming>) -> Answer {
    Box::pin(async move { Ok(answer(&app, req).await) })
}

async fn answer(app: &App, req: Request<Incoming>) -> Response<ResBody> {
    let rpc = req.uri().path() == "/";
    let has_body = !req.body().is_end_stream();
    let scope = RequestScope {
        timing: BodyTiming::of(&app.config),
        body: Cell::new(BodyState::Unread),
    };
    let (mut res, body) = REQUEST
        .scope(scope, async {
            let res = dispatch(app, req, rpc).await;
            (res, REQUEST.with(|s| s.body.get()))
        })
        .await;
    if has_body && body == BodyState::Unread && !app.fault(Fault::SilentEarlyClose) {
        // The unread body cannot be skipped reliably, so hyper will close: say so.
        res.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    if rpc && body == BodyState::TimedOut {
        // JSON-RPC errors travel with 200; a transport timeout is the HTTP layer's 408.
        *res.status_mut() = StatusCode::REQUEST_TIMEOUT;
    }
    res
}

async fn dispatch(app: &App, req: Request<Incoming>, rpc: bool) -> Response<ResBody> {
    if let Err(e) = check_host(&app.config, &req) {
        return if rpc {
            crate::jsonrpc::error_response(app, StatusCode::BAD_REQUEST, e)
        } else {
            crate::rest::error_response(app, e)
        };
    }
    if req.uri().path() == crate::card::CARD_PATH {
        return crate::card::serve_public(app, &req);
    }
    let caller = match app.auth.check(req.headers()) {
        Ok(caller) => caller,
        // Fault InvalidTokenAccepted: only the header's presence is checked.
        Err(_)
            if app.fault(Fault::InvalidTokenAccepted)
                && req.headers().contains_key(http::header::AUTHORIZATION) =>
        {
            Caller::default()
        }
        // Fault RestGetsUnauthenticated: REST reads skip authentication.
        Err(_)
            if !rpc
                && app.fault(Fault::RestGetsUnauthenticated)
                && req.method() == http::Method::GET =>
        {
            Caller::default()
        }
        Err(e) => return crate::auth::challenge(app, rpc, e),
    };
    let inner = async {
        if rpc {
            crate::jsonrpc::handle(app, req, caller).await
        } else {
            crate::rest::handle(app, req, caller).await
        }
    };
    tokio::pin!(inner);
    CatchPanic(inner).await.unwrap_or_else(|| {
        // A bug behind the seam must not cost the client its connection without an answer.
        let e = A2aError::new(
            ErrorKind::Internal,
            "internal error while handling the request",
        );
        if rpc {
            crate::jsonrpc::error_response(app, StatusCode::INTERNAL_SERVER_ERROR, e)
        } else {
            crate::rest::error_response(app, e)
        }
    })
}

/// RFC 9112 §3.2: an HTTP/1.1 request needs exactly one `Host`, and any `Host` must be a valid
/// `uri-host [":" port]` (empty is valid: a target without authority).
fn check_host<B>(config: &Config, req: &Request<B>) -> Result<(), A2aError> {
    if config.fault == Some(Fault::NoHostCheck) {
        return Ok(());
    }
    let mut hosts = req.headers().get_all(HOST).iter();
    let problem = match (hosts.next(), hosts.next()) {
        (None, _) if req.version() >= Version::HTTP_11 => "the request has no Host header",
        (None, _) => return Ok(()),
        (Some(_), Some(_)) => "the request has more than one Host header",
        (Some(v), None) if !valid_host(v.as_bytes()) => "the Host header is not a valid host",
        (Some(_), None) => return Ok(()),
    };
    Err(A2aError::new(
        ErrorKind::InvalidRequest,
        format!("{problem} (RFC 9112 §3.2)"),
    ))
}

/// `uri-host [":" port]` of RFC 3986: an IP literal in brackets, or reg-name / IPv4 characters.
fn valid_host(v: &[u8]) -> bool {
    let (host, port) = if let Some(rest) = v.strip_prefix(b"[") {
        let Some(end) = rest.iter().position(|&b| b == b']') else {
            return false;
        };
        let literal = &rest[..end];
        if literal.is_empty()
            || !literal
                .iter()
                .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return false;
        }
        (&[][..], &rest[end + 1..])
    } else {
        match v.iter().position(|&b| b == b':') {
            Some(i) => (&v[..i], &v[i..]),
            None => (v, &[][..]),
        }
    };
    let reg_name = |b: &u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=%".contains(b);
    let port_ok = match port {
        [] => true,
        [b':', digits @ ..] => digits.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    host.iter().all(reg_name) && port_ok
}

/// Resolves to None instead of unwinding when the inner future panics.
struct CatchPanic<'a, F>(Pin<&'a mut F>);

impl<F: Future> Future for CatchPanic<'_, F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Some(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => {
                tracing::error!("request handler panicked; answered with an internal error");
                Poll::Ready(None)
            }
        }
    }
}

/// A body that could not be read, and whether the connection must close after the answer.
pub(crate) struct BodyError {
    /// What to answer.
    pub(crate) error: A2aError,
    /// True when unread body bytes remain, so the connection cannot carry another request.
    pub(crate) close: bool,
}

/// How many bytes past the limit are read and discarded so the 413 reaches the client on a
/// reusable connection instead of being lost to a reset.
const DRAIN_BUDGET: usize = 4 * 1024 * 1024;
/// How long that draining may take.
const DRAIN_TIME: Duration = Duration::from_secs(1);

tokio::task_local! {
    /// Per-request facts shared by the front door and the body reader, so both bindings get the
    /// read deadline and report whether they read the body without threading it through.
    static REQUEST: RequestScope;
}

struct RequestScope {
    timing: Option<BodyTiming>,
    body: Cell<BodyState>,
}

/// What became of a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyState {
    /// No handler read it.
    Unread,
    /// Read, or refused by [`read_body`] (which then decided about the connection itself).
    Settled,
    /// It stalled or trickled below the minimum rate.
    TimedOut,
}

/// The body-read deadline: `base` for the whole body plus `1 / min_rate` seconds per byte
/// received, so a slow but steady upload of a large body is not cut off.
#[derive(Debug, Clone, Copy)]
struct BodyTiming {
    base: Duration,
    min_rate: u64,
}

impl BodyTiming {
    fn of(config: &Config) -> Option<Self> {
        (config.fault != Some(Fault::NoBodyTimeout)).then_some(BodyTiming {
            base: config.body_read_timeout,
            min_rate: config.min_body_rate.max(1),
        })
    }

    fn deadline(self, start: Instant, received: usize) -> Instant {
        let credit =
            Duration::from_micros((received as u64).saturating_mul(1_000_000) / self.min_rate);
        start + self.base + credit
    }
}

fn settle(state: BodyState) {
    let _ = REQUEST.try_with(|s| s.body.set(state));
}

/// Metadata key marking a body-read timeout, so a binding can answer it with 408.
pub(crate) const BODY_TIMEOUT_META: &str = "bodyReadTimeout";

/// The HTTP status a [`BodyError`] calls for when it is not the error kind's own: 408 for a
/// body-read timeout.
pub(crate) fn body_error_status(e: &A2aError) -> Option<StatusCode> {
    e.metadata
        .iter()
        .any(|(k, _)| k == BODY_TIMEOUT_META)
        .then_some(StatusCode::REQUEST_TIMEOUT)
}

/// Reads a request body, enforcing `limit` both on `Content-Length` (before reading) and on the
/// bytes actually received (chunked bodies, lying lengths), and the body-read deadline.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Incoming,
    limit: usize,
) -> Result<Bytes, BodyError> {
    let timing = REQUEST.try_with(|s| s.timing).ok().flatten();
    let result = read_body_within(headers, body, limit, timing).await;
    settle(match &result {
        Err(e) if body_error_status(&e.error).is_some() => BodyState::TimedOut,
        _ => BodyState::Settled,
    });
    result
}

async fn read_body_within(
    headers: &HeaderMap,
    body: Incoming,
    limit: usize,
    timing: Option<BodyTiming>,
) -> Result<Bytes, BodyError> {
    let too_large = |n: &dyn std::fmt::Display| {
        A2aError::new(
            ErrorKind::PayloadTooLarge,
            format!("request body of {n} bytes exceeds the limit of {limit} bytes"),
        )
        .with_meta("maxBodyBytes", limit.to_string())
    };
    let mut body = body;
    if let Some(len) = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > limit as u64 {
            // A client waiting for 100-continue has sent nothing yet: answer at once.
            let expects = headers.contains_key(http::header::EXPECT);
            let close = expects || len > DRAIN_BUDGET as u64 || !drain(&mut body).await;
            return Err(BodyError {
                error: too_large(&len),
                close,
            });
        }
    }
    let start = Instant::now();
    let mut first: Option<Bytes> = None;
    let mut rest: Option<BytesMut> = None;
    let mut total = 0usize;
    loop {
        let next = match timing {
            None => body.frame().await,
            Some(t) => {
                match tokio::time::timeout_at(t.deadline(start, total), body.frame()).await {
                    Ok(next) => next,
                    Err(_) => {
                        let waited = start.elapsed();
                        return Err(BodyError {
                        error: A2aError::new(
                            ErrorKind::InvalidRequest,
                            format!(
                                "the request body was not received in time ({total} bytes in {} ms; at least {} bytes/s are required after the first {} ms)",
                                waited.as_millis(),
                                t.min_rate,
                                t.base.as_millis()
                            ),
                        )
                        .with_meta(BODY_TIMEOUT_META, format!("{}ms", t.base.as_millis())),
                        close: true,
                    });
                    }
                }
            }
        };
        let Some(frame) = next else { break };
        let frame = frame.map_err(|e| BodyError {
            error: A2aError::new(
                ErrorKind::InvalidRequest,
                format!("could not read the request body: {e}"),
            ),
            close: true,
        })?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers carry nothing we use
        };
        total += data.len();
        if total > limit {
            let close = !drain(&mut body).await;
            return Err(BodyError {
                error: too_large(&format_args!("more than {limit}")),
                close,
            });
        }
        // The common case is one frame: keep it without copying.
        match (&mut first, &mut rest) {
            (None, _) => first = Some(data),
            (Some(f), None) => {
                let mut buf = BytesMut::with_capacity(f.len() + data.len());
                buf.extend_from_slice(f);
                buf.extend_from_slice(&data);
                rest = Some(buf);
            }
            (Some(_), Some(buf)) => buf.extend_from_slice(&data),
        }
    }
    Ok(match rest {
        Some(buf) => buf.freeze(),
        None => first.unwrap_or_default(),
    })
}

/// Reads and discards the rest of `body` within [`DRAIN_BUDGET`] and [`DRAIN_TIME`]; true when
/// the body ended, so the connection stays usable.
async fn drain(body: &mut Incoming) -> bool {
    let mut seen = 0usize;
    let all = async {
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return false };
            if let Ok(data) = frame.into_data() {
                seen += data.len();
                if seen > DRAIN_BUDGET {
                    return false;
                }
            }
        }
        true
    };
    tokio::time::timeout(DRAIN_TIME, all).await.unwrap_or(false)
}

/// A complete raw HTTP/1.1 error response for the connection layer (408 on a half-sent head,
/// 503 above the connection limit), in the error shape of the route named by `head` (the first
/// bytes of the request, possibly partial): a JSON-RPC error object for `/`, otherwise the REST
/// `{"error":{code,status,message}}`. Always `Connection: close`.
pub(crate) fn transport_error(head: &[u8], status: StatusCode, message: &str) -> Vec<u8> {
    let target = head.split(|&b| b == b' ').nth(1).unwrap_or_default();
    let path = target.split(|&b| b == b'?').next().unwrap_or_default();
    let e = A2aError::new(ErrorKind::InvalidRequest, message);
    let (content_type, body) = if path == b"/" {
        let mut error = e.to_jsonrpc();
        if status.is_server_error() {
            error["code"] = serde_json::Value::from(ErrorKind::Internal.jsonrpc_code());
        }
        (
            "application/json",
            serde_json::json!({"jsonrpc": "2.0", "id": null, "error": error}),
        )
    } else {
        let mut body = e.to_rest();
        body["error"]["code"] = serde_json::Value::from(status.as_u16());
        if status == StatusCode::SERVICE_UNAVAILABLE {
            body["error"]["status"] = serde_json::Value::from("UNAVAILABLE");
        }
        ("application/a2a+json", body)
    };
    let body = to_bytes(&body);
    let retry = if status == StatusCode::SERVICE_UNAVAILABLE {
        "retry-after: 1\r\n"
    } else {
        ""
    };
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n{retry}connection: close\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

/// Accepts `application/json` and `application/a2a+json` (parameters allowed); a missing header
/// is tolerated. Anything else is ContentTypeNotSupported.
pub(crate) fn check_content_type(headers: &HeaderMap) -> Result<(), A2aError> {
    let Some(v) = headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    let raw = v.to_str().unwrap_or("");
    let essence = raw.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json")
        || essence.eq_ignore_ascii_case("application/a2a+json")
    {
        Ok(())
    } else {
        Err(A2aError::new(
            ErrorKind::ContentTypeNotSupported,
            format!(
                "request content type `{raw}` is not supported; use application/json or application/a2a+json"
            ),
        )
        .with_meta("contentType", raw))
    }
}

/// Checks `A2A-Version` (header, or the `A2A-Version` query parameter): `1.0` and `1.0.x` pass;
/// missing or empty means 0.3 and, like any other version, fails with VersionNotSupported.
pub(crate) fn check_version(
    config: &Config,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<(), A2aError> {
    if config.fault == Some(Fault::NoVersionCheck) {
        return Ok(());
    }
    let header = headers.get(A2A_VERSION).map(|v| v.to_str().unwrap_or("?"));
    let from_query;
    let given = match header {
        Some(v) => Some(v),
        None => {
            from_query = query.and_then(|q| {
                q.split('&').find_map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    k.eq_ignore_ascii_case("A2A-Version")
                        .then(|| crate::rest::percent_decode(v).unwrap_or_default())
                })
            });
            from_query.as_deref()
        }
    };
    let given = given.map(str::trim).unwrap_or("");
    if version_supported(given)
        && !(config.fault == Some(Fault::RejectPatchVersion) && given != SUPPORTED_VERSION)
    {
        return Ok(());
    }
    let message = if given.is_empty() {
        format!(
            "no A2A-Version given, which means 0.3; this server supports only {SUPPORTED_VERSION}"
        )
    } else {
        format!(
            "A2A-Version `{given}` is not supported; this server supports only {SUPPORTED_VERSION}"
        )
    };
    Err(A2aError::new(ErrorKind::VersionNotSupported, message)
        .with_meta(
            "requestedVersion",
            if given.is_empty() { "0.3" } else { given },
        )
        .with_meta("supportedVersions", SUPPORTED_VERSION))
}

/// `1.0` or `1.0.<patch>`; patch numbers do not take part in negotiation.
fn version_supported(v: &str) -> bool {
    match v.strip_prefix(SUPPORTED_VERSION) {
        Some("") => true,
        Some(patch) => patch
            .strip_prefix('.')
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
        None => false,
    }
}

/// The extensions a request activates (those it asks for that this server supports), or
/// ExtensionSupportRequired when the card's required extension was not asked for.
pub(crate) fn activated_extensions(
    config: &Config,
    headers: &HeaderMap,
) -> Result<Vec<String>, A2aError> {
    let Some(required) = config.required_extension.as_deref() else {
        return Ok(Vec::new()); // nothing supported: every requested URI is ignored
    };
    let requested = headers
        .get_all(A2A_EXTENSIONS)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|uri| uri.trim() == required);
    if requested {
        Ok(vec![required.to_owned()])
    } else {
        Err(A2aError::new(
            ErrorKind::ExtensionSupportRequired,
            format!("this agent requires the extension {required}; activate it with the A2A-Extensions header"),
        )
        .with_meta("extension", required))
    }
}

/// Adds the `A2A-Extensions` echo when the request activated an extension.
pub(crate) fn echo_extensions(app: &App, activated: &[String], res: &mut Response<ResBody>) {
    if !activated.is_empty() {
        if let Some(v) = &app.extension_echo {
            res.headers_mut().insert(A2A_EXTENSIONS, v.clone());
        }
    }
}

/// Decrements a gauge when dropped.
pub(crate) struct Gauge(Arc<AtomicUsize>);

impl Gauge {
    /// Increments `counter` and returns the guard that gives it back.
    pub(crate) fn enter(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Gauge(counter.clone())
    }
}

impl Drop for Gauge {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Identity helpers used by both bindings.
pub(crate) fn ctx(caller: Caller, extensions: Vec<String>) -> crate::service::CallCtx {
    crate::service::CallCtx { caller, extensions }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_resolves_to_none() {
        let ok = std::pin::pin!(async { 7 });
        let ok = CatchPanic(ok).await;
        assert_eq!(ok, Some(7));
        let caught = std::pin::pin!(async {
            if ok.is_some() {
                panic!("deliberate");
            }
            0
        });
        let caught = CatchPanic(caught).await;
        assert_eq!(caught, None);
    }

    #[test]
    fn host_values_follow_rfc_3986() {
        for ok in [
            "x",
            "127.0.0.1:7420",
            "[::1]:80",
            "[::1]",
            "a-b.example",
            "",
            "h:",
        ] {
            assert!(valid_host(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "a b",
            "user@host",
            "host:port",
            "[::1",
            "[]",
            "[::1]x",
            "h/p",
            "a:1:2",
        ] {
            assert!(!valid_host(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn transport_errors_take_the_routes_error_shape() {
        let raw = transport_error(
            b"POST / HTTP/1.1\r\nHo",
            StatusCode::REQUEST_TIMEOUT,
            "late",
        );
        let text = String::from_utf8(raw).unwrap();
        assert!(
            text.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
            "{text}"
        );
        assert!(text.contains("connection: close\r\n"));
        let body: serde_json::Value =
            serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["error"]["code"], -32600);
        assert!(body["id"].is_null());

        let raw = transport_error(b"GET /tasks", StatusCode::SERVICE_UNAVAILABLE, "full");
        let text = String::from_utf8(raw).unwrap();
        assert!(text.contains("retry-after: 1\r\n"), "{text}");
        let body: serde_json::Value =
            serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["error"]["code"], 503);
        assert_eq!(body["error"]["status"], "UNAVAILABLE");
    }

    #[test]
    fn the_body_deadline_grows_with_the_bytes_received() {
        let t = BodyTiming {
            base: Duration::from_secs(1),
            min_rate: 1000,
        };
        let start = Instant::now();
        assert_eq!(t.deadline(start, 0), start + Duration::from_secs(1));
        assert_eq!(t.deadline(start, 500), start + Duration::from_millis(1500));
    }

    #[test]
    fn versions_match_major_minor_and_ignore_patch() {
        assert!(version_supported("1.0"));
        assert!(version_supported("1.0.1"));
        assert!(!version_supported("1.0."));
        assert!(!version_supported("1.01"));
        assert!(!version_supported("1.1"));
        assert!(!version_supported("0.3"));
        assert!(!version_supported(""));
    }
}
