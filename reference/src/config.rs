//! Server configuration: capabilities, authentication, limits, timing, and the test-only fault
//! switch used by the suite's negative controls.

use std::str::FromStr;
use std::time::Duration;

/// Everything that shapes one reference server instance. `Default` is the full-featured,
/// production-like configuration (all capabilities on, auth off, SSRF guard on).
#[derive(Debug, Clone)]
pub struct Config {
    /// Agent name shown in the card.
    pub name: String,
    /// `capabilities.streaming`: when false, streaming methods answer UnsupportedOperation.
    pub streaming: bool,
    /// `capabilities.pushNotifications`: when false, push-config methods answer -32003.
    pub push_notifications: bool,
    /// `capabilities.extendedAgentCard`: when false, GetExtendedAgentCard answers -32004.
    pub extended_card: bool,
    /// Accepted bearer tokens; each one is a separate identity. Empty means authentication is off.
    pub bearer_tokens: Vec<String>,
    /// An extension URI the card declares with `required: true` (CAP-004). None: no required extension.
    pub required_extension: Option<String>,
    /// Allow webhooks on loopback/private/link-local addresses (tests only; SSRF guard off).
    pub allow_private_webhooks: bool,
    /// Largest accepted request body, in bytes (413 / -32600 beyond it).
    pub max_body_bytes: usize,
    /// How long a client may take to send its request headers (408 when it has started one;
    /// an idle keep-alive connection is closed after this long).
    pub header_read_timeout: Duration,
    /// How long a request body may take, on top of the per-byte credit of `min_body_rate`
    /// (408 and close beyond it).
    pub body_read_timeout: Duration,
    /// Minimum sustained body transfer rate, in bytes per second, past `body_read_timeout`.
    pub min_body_rate: u64,
    /// Open connections beyond which new ones get an immediate 503 and are closed.
    pub max_connections: usize,
    /// Events buffered per stream subscriber before a lagging subscriber is cut off.
    pub subscriber_buffer: usize,
    /// Idle time after which an SSE stream gets a keep-alive comment.
    pub keepalive: Duration,
    /// Upper bound on graceful shutdown before remaining connections are dropped.
    pub shutdown_deadline: Duration,
    /// Webhook delivery: attempts per event (first try included).
    pub push_attempts: u32,
    /// Webhook delivery: delay before the first retry; doubles each retry.
    pub push_initial_backoff: Duration,
    /// Webhook delivery: per-request timeout.
    pub push_timeout: Duration,
    /// Extra CA certificates (DER) trusted for `https://` webhooks besides the webpki roots; add
    /// them with [`Config::trust_webhook_ca_pem`].
    pub webhook_ca: Vec<Vec<u8>>,
    /// Deliberate bug for negative controls. Never set in production.
    pub fault: Option<Fault>,

    // ---- Memory bounds (the store's byte budget) ----
    /// Byte budget of the task store: every task's history, artifacts and a per-task overhead
    /// estimate. Over it, the oldest finished tasks are evicted; running tasks never are, and
    /// once only running tasks remain, new messages are refused (`--max-store-bytes`).
    pub max_store_bytes: usize,
    /// Bytes one task may hold in history and artifacts. A message that would exceed it is
    /// refused with InvalidParams; an agent that would exceed it fails the task.
    pub max_task_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            name: "Gauntlet Reference Agent".to_owned(),
            streaming: true,
            push_notifications: true,
            extended_card: true,
            bearer_tokens: Vec::new(),
            required_extension: None,
            allow_private_webhooks: false,
            max_body_bytes: 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            min_body_rate: 16 * 1024,
            max_connections: 4096,
            subscriber_buffer: 1024,
            keepalive: Duration::from_secs(15),
            shutdown_deadline: Duration::from_secs(5),
            push_attempts: 5,
            push_initial_backoff: Duration::from_millis(100),
            push_timeout: Duration::from_secs(10),
            webhook_ca: Vec::new(),
            fault: None,

            max_store_bytes: DEFAULT_MAX_STORE_BYTES,
            max_task_bytes: DEFAULT_MAX_TASK_BYTES,
        }
    }
}

impl Config {
    /// Trusts the CA certificates of a PEM text for `https://` webhooks; returns how many were
    /// added. Fails, adding none, when the text holds no certificate or a malformed one.
    pub fn trust_webhook_ca_pem(&mut self, pem: &str) -> Result<usize, String> {
        let certs = crate::push::parse_ca_pem(pem)?;
        let n = certs.len();
        self.webhook_ca.extend(certs);
        Ok(n)
    }
}
/// Default of [`Config::max_store_bytes`]: 512 MiB.
pub const DEFAULT_MAX_STORE_BYTES: usize = 512 * 1024 * 1024;

/// Default of [`Config::max_task_bytes`]: 16 MiB, room for a long conversation of 1 MiB
/// messages or a `stream` run at its cap many times over.
pub const DEFAULT_MAX_TASK_BYTES: usize = 16 * 1024 * 1024;

/// A realistic bug the reference can be told to have, so tests can prove the suite catches it.
/// Each names the checklist group that must catch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// DATA: `context_id` instead of `contextId` in Task output.
    SnakeCaseKeys,
    /// DATA: task states emitted lowercase (`"completed"`).
    LowercaseEnum,
    /// DATA: timestamps with a `+00:00` offset instead of `Z`.
    TimestampOffset,
    /// VER: any `A2A-Version` (or none) accepted.
    NoVersionCheck,
    /// CARD: the card lacks the REQ field `version`.
    CardMissingVersion,
    /// CAP: streaming off in the card but the streaming methods still work.
    StreamingNotGated,
    /// JRPC: the response `id` is echoed as a string even when the request used a number.
    IdTypeNotEchoed,
    /// JRPC/ERR: TaskNotFound answered with -32603 / 500.
    WrongErrorCode,
    /// REST: error bodies lack the `{"error":{...}}` wrapper.
    RestErrorShape,
    /// STRM: the first stream event is a statusUpdate, not a Task.
    FirstEventNotTask,
    /// STRM/SSE: one artifact chunk of every `stream` run is silently dropped.
    StreamGap,
    /// STRM: streams stay open after the terminal event.
    StreamNeverCloses,
    /// SEND: returnImmediately is ignored (always blocks).
    IgnoreReturnImmediately,
    /// TASK: historyLength is ignored.
    IgnoreHistoryLength,
    /// LIST: `nextPageToken` omitted on the last page.
    MissingNextPageToken,
    /// CANCEL: cancel answers with the task unchanged instead of CANCELED.
    CancelNoop,
    /// CTX: a message whose contextId differs from its task's is accepted.
    ContextMismatchAccepted,
    /// PUSH: webhook deliveries carry no `Authorization` header.
    PushNoAuth,
    /// ERR/SEC: another identity's task is visible.
    LeakOtherTenantsTasks,
    /// Chaos: a lagging subscriber silently loses events instead of being cut off.
    DropLaggingSilently,

    // --- Webhook delivery and the SSRF guard ---
    /// PUSH (chaos): a webhook that closes its connection right after a 2xx answer is counted
    /// as failed, so every event is delivered again and again.
    PushRetryAfterClose,
    /// PUSH (chaos): `https://` webhooks are accepted but never attempted.
    PushHttpsDropped,
    /// PUSH-012 (chaos): the registration guard only knows standard spellings (dotted quads,
    /// plain IPv6 literals, `localhost`).
    SsrfStandardSpellingsOnly,
    // ---- Memory and id-echo faults ----
    /// JRPC: numeric ids are parsed as `f64` and re-encoded (`1e-25` → `9.999999999999999e-26`).
    IdReencoded,
    /// Chaos: every stored artifact chunk also keeps a 1 KiB scratch buffer (a per-chunk leak).
    FatStoredChunks,
    /// Chaos: every stream subscriber keeps its own unbounded copy of each later event of its
    /// task, even after it was cut off for lagging (a per-subscriber backlog).
    SubscriberBacklog,
    // --- HTTP layer under a hostile network (chaos `hostile` family) ---
    /// KEEP: an error answered before the body is read closes the keep-alive connection
    /// without `Connection: close`.
    SilentEarlyClose,
    /// BODY: no body-read deadline; a stalled body holds its connection forever.
    NoBodyTimeout,
    /// FLOOD: at the connection limit new connections wait unanswered in the backlog.
    StallAtConnectionLimit,
    /// HOST: a missing, duplicate or invalid `Host` is accepted.
    NoHostCheck,
    // Conformance controls (cases)
    /// JRPC: a 0.3 method name (`message/send`) under `A2A-Version: 1.0` is answered with
    /// -32603 and `"data": null` instead of -32601.
    Legacy03MethodInternalError,
    /// VER: `A2A-Version: 1.0.1` is refused (the patch number is taken into account).
    RejectPatchVersion,
    /// REST: error responses are labelled `application/problem+json`.
    RestErrorProblemJson,
    // Conformance controls (ERR, SEC, PUSH cases)
    /// SEC-005: request bodies of any size are accepted (no `max_body_bytes` limit).
    NoSizeLimit,
    /// ERR-008: BadRequest field violations name no field (`"field": ""`).
    UnnamedFieldViolations,
    /// PUSH-011: a failed webhook delivery is never retried (one attempt per event).
    PushNoRetry,
    /// ERR-001: error answers carry an empty `message` (no human-readable text).
    EmptyErrorMessage,
    /// LIFE: a cancel of a COMPLETED, FAILED or REJECTED task moves it to CANCELED.
    CancelTerminal,
    /// ERR-005: a 401 carries no `WWW-Authenticate` challenge.
    NoAuthChallenge,
    /// ERR-004/XCARD-001: any `Authorization` header is let through, valid token or not, as an
    /// anonymous caller (only a missing header is refused).
    InvalidTokenAccepted,
    /// ERR-002: every error carries an extra detail object without `@type`.
    UntypedErrorDetail,
    /// PUSH-013: webhook deliveries are labelled `application/json`.
    PushPlainJson,
    /// PUSH-004: a task keeps one push config; a new one replaces the one before it.
    PushOneConfigPerTask,
    /// SEC-002: REST `GET` requests are served without credentials.
    RestGetsUnauthenticated,
    // Stored artifacts, follow-up streams and subscriptions (STRM, SEND, SUB)
    /// STRM/SEND: a stored artifact keeps only its first [`TRUNCATED_PARTS`] parts, while the
    /// stream still delivers every chunk (GetTask and blocking answers lose the rest).
    TruncateStoredArtifact,
    /// STRM: a streamed follow-up to an interrupted task starts with the WORKING status update
    /// instead of the Task.
    FollowUpStatusFirst,
    /// SUB: SubscribeToTask on an INPUT_REQUIRED or AUTH_REQUIRED task is refused with
    /// UnsupportedOperationError, as if the task were terminal.
    SubscribeRefusesInterrupted,
    /// LIST: ListTasks without `pageSize` returns every matching task instead of at most 50.
    ListDefaultPageUnbounded,
}

/// Fault [`Fault::TruncateStoredArtifact`]: how many parts a stored artifact keeps.
pub const TRUNCATED_PARTS: usize = 10_000;

impl Fault {
    /// Every fault, in declaration order.
    pub const ALL: &'static [Fault] = &[
        Fault::SnakeCaseKeys,
        Fault::LowercaseEnum,
        Fault::TimestampOffset,
        Fault::NoVersionCheck,
        Fault::CardMissingVersion,
        Fault::StreamingNotGated,
        Fault::IdTypeNotEchoed,
        Fault::WrongErrorCode,
        Fault::RestErrorShape,
        Fault::FirstEventNotTask,
        Fault::StreamGap,
        Fault::StreamNeverCloses,
        Fault::IgnoreReturnImmediately,
        Fault::IgnoreHistoryLength,
        Fault::MissingNextPageToken,
        Fault::CancelNoop,
        Fault::ContextMismatchAccepted,
        Fault::PushNoAuth,
        Fault::LeakOtherTenantsTasks,
        Fault::DropLaggingSilently,
        // Webhook delivery and the SSRF guard.
        Fault::PushRetryAfterClose,
        Fault::PushHttpsDropped,
        Fault::SsrfStandardSpellingsOnly,
        Fault::IdReencoded,
        Fault::FatStoredChunks,
        Fault::SubscriberBacklog,
        // HTTP layer under a hostile network
        Fault::SilentEarlyClose,
        Fault::NoBodyTimeout,
        Fault::StallAtConnectionLimit,
        Fault::NoHostCheck,
        Fault::Legacy03MethodInternalError,
        Fault::RejectPatchVersion,
        Fault::RestErrorProblemJson,
        Fault::NoSizeLimit,
        Fault::UnnamedFieldViolations,
        Fault::PushNoRetry,
        Fault::EmptyErrorMessage,
        Fault::CancelTerminal,
        Fault::NoAuthChallenge,
        Fault::InvalidTokenAccepted,
        Fault::UntypedErrorDetail,
        Fault::PushPlainJson,
        Fault::PushOneConfigPerTask,
        Fault::RestGetsUnauthenticated,
        Fault::TruncateStoredArtifact,
        Fault::FollowUpStatusFirst,
        Fault::SubscribeRefusesInterrupted,
        Fault::ListDefaultPageUnbounded,
    ];

    /// The kebab-case name used by `--fault`.
    pub fn name(self) -> &'static str {
        match self {
            Fault::SnakeCaseKeys => "snake-case-keys",
            Fault::LowercaseEnum => "lowercase-enum",
            Fault::TimestampOffset => "timestamp-offset",
            Fault::NoVersionCheck => "no-version-check",
            Fault::CardMissingVersion => "card-missing-version",
            Fault::StreamingNotGated => "streaming-not-gated",
            Fault::IdTypeNotEchoed => "id-type-not-echoed",
            Fault::WrongErrorCode => "wrong-error-code",
            Fault::RestErrorShape => "rest-error-shape",
            Fault::FirstEventNotTask => "first-event-not-task",
            Fault::StreamGap => "stream-gap",
            Fault::StreamNeverCloses => "stream-never-closes",
            Fault::IgnoreReturnImmediately => "ignore-return-immediately",
            Fault::IgnoreHistoryLength => "ignore-history-length",
            Fault::MissingNextPageToken => "missing-next-page-token",
            Fault::CancelNoop => "cancel-noop",
            Fault::ContextMismatchAccepted => "context-mismatch-accepted",
            Fault::PushNoAuth => "push-no-auth",
            Fault::LeakOtherTenantsTasks => "leak-other-tenants-tasks",
            Fault::DropLaggingSilently => "drop-lagging-silently",
            // Webhook delivery and the SSRF guard.
            Fault::PushRetryAfterClose => "push-retry-after-close",
            Fault::PushHttpsDropped => "push-https-dropped",
            Fault::SsrfStandardSpellingsOnly => "ssrf-standard-spellings-only",
            Fault::IdReencoded => "id-reencoded",
            Fault::FatStoredChunks => "fat-stored-chunks",
            Fault::SubscriberBacklog => "subscriber-backlog",
            // HTTP layer under a hostile network
            Fault::SilentEarlyClose => "silent-early-close",
            Fault::NoBodyTimeout => "no-body-timeout",
            Fault::StallAtConnectionLimit => "stall-at-connection-limit",
            Fault::NoHostCheck => "no-host-check",
            Fault::Legacy03MethodInternalError => "legacy-03-method-internal-error",
            Fault::RejectPatchVersion => "reject-patch-version",
            Fault::RestErrorProblemJson => "rest-error-problem-json",
            Fault::NoSizeLimit => "no-size-limit",
            Fault::UnnamedFieldViolations => "unnamed-field-violations",
            Fault::PushNoRetry => "push-no-retry",
            Fault::EmptyErrorMessage => "empty-error-message",
            Fault::CancelTerminal => "cancel-terminal",
            Fault::NoAuthChallenge => "no-auth-challenge",
            Fault::InvalidTokenAccepted => "invalid-token-accepted",
            Fault::UntypedErrorDetail => "untyped-error-detail",
            Fault::PushPlainJson => "push-plain-json",
            Fault::PushOneConfigPerTask => "push-one-config-per-task",
            Fault::RestGetsUnauthenticated => "rest-gets-unauthenticated",
            Fault::TruncateStoredArtifact => "truncate-stored-artifact",
            Fault::FollowUpStatusFirst => "follow-up-status-first",
            Fault::SubscribeRefusesInterrupted => "subscribe-refuses-interrupted",
            Fault::ListDefaultPageUnbounded => "list-default-page-unbounded",
        }
    }
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
                format!("unknown fault `{s}`; known faults: {}", names.join(", "))
            })
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
