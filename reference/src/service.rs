//! The protocol core: every A2A operation, independent of binding.
//!
//! Both bindings turn a request into an [`Op`] whose parameters are the ProtoJSON of the request
//! message (REST builds it from path, query and body), call [`Service::call`], and render the
//! [`Reply`] or [`A2aError`] in their own wire form. Validation, the task store, the test agent,
//! stream fan-out and push delivery live behind this seam; HTTP, envelopes, versions,
//! authentication and SSE framing live in front of it.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::config::Config;
use crate::error::A2aError;

/// Who is calling. Tasks and push configs are scoped to the caller's identity (and to the
/// request's `tenant`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Caller {
    /// The authenticated identity (index-free token name), or None when authentication is off.
    pub identity: Option<Arc<str>>,
}

/// Per-call context assembled by the transport.
#[derive(Debug, Clone, Default)]
pub struct CallCtx {
    /// The authenticated caller.
    pub caller: Caller,
    /// Extension URIs the client activated with `A2A-Extensions`.
    pub extensions: Vec<String>,
}

/// One A2A operation with its ProtoJSON parameters (camelCase or snake_case keys accepted).
#[derive(Debug, Clone)]
pub enum Op {
    /// `SendMessageRequest`.
    SendMessage(Value),
    /// `SendMessageRequest`, answered with a stream.
    SendStreamingMessage(Value),
    /// `GetTaskRequest {id, historyLength?}`.
    GetTask(Value),
    /// `ListTasksRequest`.
    ListTasks(Value),
    /// `CancelTaskRequest {id, metadata?}`.
    CancelTask(Value),
    /// `SubscribeToTaskRequest {id}`, answered with a stream.
    SubscribeToTask(Value),
    /// `TaskPushNotificationConfig` (flat).
    CreatePushConfig(Value),
    /// `{taskId, id}`.
    GetPushConfig(Value),
    /// `{taskId, pageSize?, pageToken?}`.
    ListPushConfigs(Value),
    /// `{taskId, id}`.
    DeletePushConfig(Value),
}

/// A successful answer.
#[derive(Debug)]
pub enum Reply {
    /// The ProtoJSON response message (SendMessageResponse, Task, ListTasksResponse, config, …).
    Json(Value),
    /// `google.protobuf.Empty` (DeletePushConfig). JSON-RPC renders `null`, REST renders `{}`.
    Empty,
    /// A stream of StreamResponse events (SendStreamingMessage, SubscribeToTask).
    Stream(EventStream),
}

/// One item of a stream.
#[derive(Debug, Clone)]
pub enum StreamItem {
    /// A serialized `StreamResponse` (serialized once, shared by every subscriber).
    Event(Bytes),
    /// An error during the stream; the stream ends after it.
    Error(A2aError),
}

/// The receiving end of a stream. `None` from [`EventStream::next`] means the server closed it:
/// the task reached a terminal state, the subscriber fell behind and was cut off, or the server
/// is shutting down.
#[derive(Debug)]
pub struct EventStream {
    rx: mpsc::Receiver<StreamItem>,
    /// Dropped with the stream; the core uses it to keep the open-streams gauge exact.
    _guard: Option<Box<dyn std::any::Any + Send + Sync>>,
}

impl EventStream {
    /// Wraps a bounded receiver.
    pub fn new(rx: mpsc::Receiver<StreamItem>) -> Self {
        Self { rx, _guard: None }
    }

    /// Wraps a bounded receiver together with a value dropped when the stream is dropped.
    pub fn with_guard(
        rx: mpsc::Receiver<StreamItem>,
        guard: Box<dyn std::any::Any + Send + Sync>,
    ) -> Self {
        Self {
            rx,
            _guard: Some(guard),
        }
    }

    /// Next item, or None at the end of the stream.
    pub async fn next(&mut self) -> Option<StreamItem> {
        self.rx.recv().await
    }

    /// Poll form of [`EventStream::next`] for hand-written bodies.
    pub fn poll_next(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<StreamItem>> {
        self.rx.poll_recv(cx)
    }
}

/// The protocol core. Cheap to clone; all state is shared.
#[derive(Clone)]
pub struct Service {
    inner: Arc<crate::store::Store>,
}

impl Service {
    /// A fresh service with an empty store.
    pub fn new(config: Arc<Config>) -> Self {
        Self {
            inner: Arc::new(crate::store::Store::new(config)),
        }
    }

    /// Runs one operation for `ctx`. Capability gating (streaming, push) happens here;
    /// version, authentication, content type and extension checks happen in the transport.
    pub async fn call(&self, ctx: &CallCtx, op: Op) -> Result<Reply, A2aError> {
        self.inner.call(ctx, op).await
    }

    /// Ends every open stream cleanly (graceful shutdown) and stops push delivery.
    pub fn close_streams(&self) {
        self.inner.close_streams()
    }

    /// Number of open stream subscriptions (a gauge for chaos scenarios and tests).
    pub fn open_streams(&self) -> usize {
        self.inner.open_streams()
    }

    /// Bytes the task store accounts to its tasks, against `Config::max_store_bytes`.
    pub fn stored_bytes(&self) -> usize {
        self.inner.stored_bytes()
    }
}
