//! The oracle's own copy of the digest's wire facts (§1.2, §2.2, §7): method names and the error
//! table. Deliberately independent of the reference server's types.

/// The 11 JSON-RPC methods of A2A 1.0 (digest §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `SendMessage` / `POST /message:send`.
    SendMessage,
    /// `SendStreamingMessage` / `POST /message:stream`.
    SendStreamingMessage,
    /// `GetTask` / `GET /tasks/{id}`.
    GetTask,
    /// `ListTasks` / `GET /tasks`.
    ListTasks,
    /// `CancelTask` / `POST /tasks/{id}:cancel`.
    CancelTask,
    /// `SubscribeToTask` / `POST /tasks/{id}:subscribe`.
    SubscribeToTask,
    /// `CreateTaskPushNotificationConfig` / `POST /tasks/{taskId}/pushNotificationConfigs`.
    CreateTaskPushNotificationConfig,
    /// `GetTaskPushNotificationConfig` / `GET /tasks/{taskId}/pushNotificationConfigs/{id}`.
    GetTaskPushNotificationConfig,
    /// `ListTaskPushNotificationConfigs` / `GET /tasks/{taskId}/pushNotificationConfigs`.
    ListTaskPushNotificationConfigs,
    /// `DeleteTaskPushNotificationConfig` / `DELETE /tasks/{taskId}/pushNotificationConfigs/{id}`.
    DeleteTaskPushNotificationConfig,
    /// `GetExtendedAgentCard` / `GET /extendedAgentCard`.
    GetExtendedAgentCard,
}

impl Method {
    /// All methods, in digest order.
    pub const ALL: [Method; 11] = [
        Method::SendMessage,
        Method::SendStreamingMessage,
        Method::GetTask,
        Method::ListTasks,
        Method::CancelTask,
        Method::SubscribeToTask,
        Method::CreateTaskPushNotificationConfig,
        Method::GetTaskPushNotificationConfig,
        Method::ListTaskPushNotificationConfigs,
        Method::DeleteTaskPushNotificationConfig,
        Method::GetExtendedAgentCard,
    ];

    /// The exact JSON-RPC method name.
    pub fn jsonrpc_name(self) -> &'static str {
        match self {
            Method::SendMessage => "SendMessage",
            Method::SendStreamingMessage => "SendStreamingMessage",
            Method::GetTask => "GetTask",
            Method::ListTasks => "ListTasks",
            Method::CancelTask => "CancelTask",
            Method::SubscribeToTask => "SubscribeToTask",
            Method::CreateTaskPushNotificationConfig => "CreateTaskPushNotificationConfig",
            Method::GetTaskPushNotificationConfig => "GetTaskPushNotificationConfig",
            Method::ListTaskPushNotificationConfigs => "ListTaskPushNotificationConfigs",
            Method::DeleteTaskPushNotificationConfig => "DeleteTaskPushNotificationConfig",
            Method::GetExtendedAgentCard => "GetExtendedAgentCard",
        }
    }

    /// Whether the answer is an SSE stream.
    pub fn is_streaming(self) -> bool {
        matches!(self, Method::SendStreamingMessage | Method::SubscribeToTask)
    }
}

/// The A2A and standard JSON-RPC errors of digest §7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// -32001 / 404 / TASK_NOT_FOUND.
    TaskNotFound,
    /// -32002 / 400 / TASK_NOT_CANCELABLE.
    TaskNotCancelable,
    /// -32003 / 400 / PUSH_NOTIFICATION_NOT_SUPPORTED.
    PushNotificationNotSupported,
    /// -32004 / 400 / UNSUPPORTED_OPERATION.
    UnsupportedOperation,
    /// -32005 / 400 / CONTENT_TYPE_NOT_SUPPORTED.
    ContentTypeNotSupported,
    /// -32006 / 500 / INVALID_AGENT_RESPONSE.
    InvalidAgentResponse,
    /// -32007 / 400 / EXTENDED_AGENT_CARD_NOT_CONFIGURED.
    ExtendedAgentCardNotConfigured,
    /// -32008 / 400 / EXTENSION_SUPPORT_REQUIRED.
    ExtensionSupportRequired,
    /// -32009 / 400 / VERSION_NOT_SUPPORTED.
    VersionNotSupported,
    /// -32700 parse error.
    ParseError,
    /// -32600 invalid request.
    InvalidRequest,
    /// -32601 method not found.
    MethodNotFound,
    /// -32602 invalid params.
    InvalidParams,
    /// -32603 internal error.
    InternalError,
}

impl ErrorCode {
    /// The JSON-RPC code.
    pub fn jsonrpc(self) -> i64 {
        match self {
            Self::TaskNotFound => -32001,
            Self::TaskNotCancelable => -32002,
            Self::PushNotificationNotSupported => -32003,
            Self::UnsupportedOperation => -32004,
            Self::ContentTypeNotSupported => -32005,
            Self::InvalidAgentResponse => -32006,
            Self::ExtendedAgentCardNotConfigured => -32007,
            Self::ExtensionSupportRequired => -32008,
            Self::VersionNotSupported => -32009,
            Self::ParseError => -32700,
            Self::InvalidRequest => -32600,
            Self::MethodNotFound => -32601,
            Self::InvalidParams => -32602,
            Self::InternalError => -32603,
        }
    }

    /// The 1.0.1 HTTP status on REST. MethodNotFound has no spec mapping (404 or 501 accepted).
    pub fn http_status(self) -> u16 {
        match self {
            Self::TaskNotFound | Self::MethodNotFound => 404,
            Self::InvalidAgentResponse | Self::InternalError => 500,
            _ => 400,
        }
    }

    /// The 1.0.0 HTTP status where it differs from 1.0.1 (reported as a legacy-mapping warning).
    pub fn legacy_http_status(self) -> Option<u16> {
        match self {
            Self::TaskNotCancelable => Some(409),
            Self::ContentTypeNotSupported => Some(415),
            Self::InvalidAgentResponse => Some(502),
            _ => None,
        }
    }

    /// The canonical gRPC status name expected in REST `error.status`.
    pub fn grpc_status(self) -> &'static str {
        match self {
            Self::TaskNotFound | Self::MethodNotFound => "NOT_FOUND",
            Self::ContentTypeNotSupported
            | Self::ParseError
            | Self::InvalidRequest
            | Self::InvalidParams => "INVALID_ARGUMENT",
            Self::InvalidAgentResponse | Self::InternalError => "INTERNAL",
            _ => "FAILED_PRECONDITION",
        }
    }

    /// `ErrorInfo.reason` (A2A errors only; the standard errors have SDK-convention reasons).
    pub fn reason(self) -> &'static str {
        match self {
            Self::TaskNotFound => "TASK_NOT_FOUND",
            Self::TaskNotCancelable => "TASK_NOT_CANCELABLE",
            Self::PushNotificationNotSupported => "PUSH_NOTIFICATION_NOT_SUPPORTED",
            Self::UnsupportedOperation => "UNSUPPORTED_OPERATION",
            Self::ContentTypeNotSupported => "CONTENT_TYPE_NOT_SUPPORTED",
            Self::InvalidAgentResponse => "INVALID_AGENT_RESPONSE",
            Self::ExtendedAgentCardNotConfigured => "EXTENDED_AGENT_CARD_NOT_CONFIGURED",
            Self::ExtensionSupportRequired => "EXTENSION_SUPPORT_REQUIRED",
            Self::VersionNotSupported => "VERSION_NOT_SUPPORTED",
            Self::ParseError => "PARSE_ERROR",
            Self::InvalidRequest => "INVALID_REQUEST",
            Self::MethodNotFound => "METHOD_NOT_FOUND",
            Self::InvalidParams => "INVALID_PARAMS",
            Self::InternalError => "INTERNAL_ERROR",
        }
    }

    /// Whether this is an A2A-specific error (-32001..-32099), for which REST needs an ErrorInfo.
    pub fn is_a2a(self) -> bool {
        (-32099..=-32001).contains(&self.jsonrpc())
    }

    /// Looks an error up by JSON-RPC code.
    pub fn from_jsonrpc(code: i64) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.jsonrpc() == code)
    }

    /// Looks an error up by `ErrorInfo.reason`.
    pub fn from_reason(reason: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.reason() == reason)
    }

    /// Every error code.
    pub const ALL: [ErrorCode; 14] = [
        Self::TaskNotFound,
        Self::TaskNotCancelable,
        Self::PushNotificationNotSupported,
        Self::UnsupportedOperation,
        Self::ContentTypeNotSupported,
        Self::InvalidAgentResponse,
        Self::ExtendedAgentCardNotConfigured,
        Self::ExtensionSupportRequired,
        Self::VersionNotSupported,
        Self::ParseError,
        Self::InvalidRequest,
        Self::MethodNotFound,
        Self::InvalidParams,
        Self::InternalError,
    ];
}

/// Terminal task states (digest §6).
pub const TERMINAL_STATES: [&str; 4] = [
    "TASK_STATE_COMPLETED",
    "TASK_STATE_FAILED",
    "TASK_STATE_CANCELED",
    "TASK_STATE_REJECTED",
];

/// Interrupted task states (digest §6).
pub const INTERRUPTED_STATES: [&str; 2] = ["TASK_STATE_INPUT_REQUIRED", "TASK_STATE_AUTH_REQUIRED"];

/// Every valid (non-UNSPECIFIED) task state.
pub const TASK_STATES: [&str; 8] = [
    "TASK_STATE_SUBMITTED",
    "TASK_STATE_WORKING",
    "TASK_STATE_COMPLETED",
    "TASK_STATE_FAILED",
    "TASK_STATE_CANCELED",
    "TASK_STATE_INPUT_REQUIRED",
    "TASK_STATE_REJECTED",
    "TASK_STATE_AUTH_REQUIRED",
];

pub use gauntlet_a2a::{PROTOCOL_VERSION, TEST_AGENT_SKILL};

/// The A2A release the suite judges against (shown by `gauntlet --version`).
pub const SPEC_VERSION: &str = "1.0.1";

/// The newest revision of the spec digest (`A2A-1.0-digest.md`, its Revisions note) that the
/// catalogue follows; a test in `tests/cli.rs` compares it with the digest.
pub const DIGEST_REVISION: &str = "2026-12-02";
