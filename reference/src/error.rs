//! The A2A error model (digest §7) and its rendering on both bindings (§1.4, §2.3).
//!
//! One enum names every error the server can produce; each knows its JSON-RPC code, its
//! `ErrorInfo.reason`, and its 1.0.1 HTTP status and gRPC status name. Rendering lives here so
//! both bindings map the same failure to the same A2A error (ERR-003).

use serde_json::{json, Map, Value};

/// The domain every `google.rpc.ErrorInfo` carries.
pub const ERROR_DOMAIN: &str = "a2a-protocol.org";

/// Every error kind the reference server answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// -32001, 404: the task does not exist or is not visible to the caller.
    TaskNotFound,
    /// -32002, 400: the task cannot be canceled in its current state.
    TaskNotCancelable,
    /// -32003, 400: push notifications are not supported.
    PushNotificationNotSupported,
    /// -32004, 400: the operation is not supported (capability off, terminal task).
    UnsupportedOperation,
    /// -32005, 400: a content type (request body or part media type) is not supported.
    ContentTypeNotSupported,
    /// -32006, 500: the agent produced an invalid response.
    InvalidAgentResponse,
    /// -32007, 400: the extended card is declared but not configured.
    ExtendedAgentCardNotConfigured,
    /// -32008, 400: a required extension was not requested.
    ExtensionSupportRequired,
    /// -32009, 400: the requested A2A version is not supported.
    VersionNotSupported,
    /// -32700, 400: the body is not JSON.
    ParseError,
    /// -32600, 400: not a valid request object (envelope, batch, size).
    InvalidRequest,
    /// -32601, 404: unknown method or route.
    MethodNotFound,
    /// -32602, 400: invalid parameters.
    InvalidParams,
    /// -32603, 500: unexpected failure.
    Internal,
    /// 401: missing or invalid credentials (no JSON-RPC code is defined; see [`ErrorKind::jsonrpc_code`]).
    Unauthenticated,
    /// 403: authenticated but not allowed.
    PermissionDenied,
    /// 413 / -32600: the request body exceeds the configured limit.
    PayloadTooLarge,
}

impl ErrorKind {
    /// JSON-RPC error code. Authentication errors have no spec code; like a2a-go we use
    /// -31401/-31403, outside the A2A range, and they are normally answered at the HTTP layer.
    pub fn jsonrpc_code(self) -> i64 {
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
            Self::InvalidRequest | Self::PayloadTooLarge => -32600,
            Self::MethodNotFound => -32601,
            Self::InvalidParams => -32602,
            Self::Internal => -32603,
            Self::Unauthenticated => -31401,
            Self::PermissionDenied => -31403,
        }
    }

    /// HTTP status on the REST binding (1.0.1 table).
    pub fn http_status(self) -> u16 {
        match self {
            Self::TaskNotFound | Self::MethodNotFound => 404,
            Self::InvalidAgentResponse | Self::Internal => 500,
            Self::Unauthenticated => 401,
            Self::PermissionDenied => 403,
            Self::PayloadTooLarge => 413,
            _ => 400,
        }
    }

    /// Canonical gRPC status name used in `error.status` of REST bodies.
    pub fn grpc_status(self) -> &'static str {
        match self {
            Self::TaskNotFound | Self::MethodNotFound => "NOT_FOUND",
            Self::TaskNotCancelable
            | Self::PushNotificationNotSupported
            | Self::UnsupportedOperation
            | Self::ExtendedAgentCardNotConfigured
            | Self::ExtensionSupportRequired
            | Self::VersionNotSupported => "FAILED_PRECONDITION",
            Self::ContentTypeNotSupported
            | Self::ParseError
            | Self::InvalidRequest
            | Self::InvalidParams => "INVALID_ARGUMENT",
            Self::InvalidAgentResponse | Self::Internal => "INTERNAL",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::PermissionDenied => "PERMISSION_DENIED",
            Self::PayloadTooLarge => "RESOURCE_EXHAUSTED",
        }
    }

    /// `ErrorInfo.reason`: the error name in UPPER_SNAKE without the `Error` suffix.
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
            Self::Internal => "INTERNAL_ERROR",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::PermissionDenied => "PERMISSION_DENIED",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
        }
    }
}

/// One error answer: kind, human message, and optional structured detail.
#[derive(Debug, Clone, PartialEq)]
pub struct A2aError {
    /// What went wrong, machine-readably.
    pub kind: ErrorKind,
    /// Human-readable explanation (not normative).
    pub message: String,
    /// `ErrorInfo.metadata` entries (string → string), e.g. `taskId`.
    pub metadata: Vec<(String, String)>,
    /// `google.rpc.BadRequest.fieldViolations` as (field, description).
    pub field_violations: Vec<(String, String)>,
}

impl A2aError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            metadata: Vec::new(),
            field_violations: Vec::new(),
        }
    }

    /// InvalidParams naming the offending field (ERR-008).
    pub fn invalid_field(field: impl Into<String>, description: impl Into<String>) -> Self {
        let field = field.into();
        let description = description.into();
        let mut e = Self::new(
            ErrorKind::InvalidParams,
            format!("invalid parameter `{field}`: {description}"),
        );
        e.field_violations.push((field, description));
        e
    }

    /// TaskNotFound for `task_id`, with the id in the metadata.
    pub fn task_not_found(task_id: &str) -> Self {
        Self::new(ErrorKind::TaskNotFound, format!("task {task_id} not found"))
            .with_meta("taskId", task_id)
    }

    /// Adds an `ErrorInfo.metadata` entry.
    pub fn with_meta(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.push((key.into(), value.into()));
        self
    }

    /// The `details` array shared by both bindings: ErrorInfo, then BadRequest when fields are named.
    pub fn details(&self) -> Value {
        let metadata: Map<String, Value> = self
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let mut details = vec![json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": self.kind.reason(),
            "domain": ERROR_DOMAIN,
            "metadata": metadata,
        })];
        if !self.field_violations.is_empty() {
            let violations: Vec<Value> = self
                .field_violations
                .iter()
                .map(|(f, d)| json!({"field": f, "description": d}))
                .collect();
            details.push(json!({
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": violations,
            }));
        }
        Value::Array(details)
    }

    /// The JSON-RPC `error` object (§1.4).
    pub fn to_jsonrpc(&self) -> Value {
        json!({"code": self.kind.jsonrpc_code(), "message": self.message, "data": self.details()})
    }

    /// The REST error body, `google.rpc.Status` in AIP-193 form (§2.3).
    pub fn to_rest(&self) -> Value {
        json!({"error": {
            "code": self.kind.http_status(),
            "status": self.kind.grpc_status(),
            "message": self.message,
            "details": self.details(),
        }})
    }
}

impl std::fmt::Display for A2aError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.kind.reason(),
            self.kind.jsonrpc_code(),
            self.message
        )
    }
}

impl std::error::Error for A2aError {}
