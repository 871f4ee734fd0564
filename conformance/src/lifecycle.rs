//! Starting and stopping the server under test, for scenarios that must (rapid cycling,
//! restarts). The CLI implements it for the embedded reference and for an external command.

use std::future::Future;
use std::pin::Pin;

use crate::errors::LifecycleError;

/// A boxed future, so the trait stays object-safe.
pub type LifecycleFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, LifecycleError>> + Send + 'a>>;

/// Control over the server under test.
pub trait Lifecycle: Send + Sync {
    /// Starts the server and waits until it accepts connections; returns its base URL.
    fn start(&self) -> LifecycleFuture<'_, String>;
    /// Stops the server (gracefully, e.g. SIGTERM) and waits until it has exited.
    fn stop(&self) -> LifecycleFuture<'_, ()>;
    /// Live resource gauges of the running server, where the implementation can read them.
    /// The default reports none, and scenarios that need them are INFORMATIONAL.
    fn gauges(&self) -> Option<Gauges> {
        None
    }
}

/// Resource gauges of a running server under test.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gauges {
    /// Open client connections, as the server counts them.
    pub open_connections: Option<usize>,
    /// Open SSE subscriptions, as the server counts them.
    pub open_streams: Option<usize>,
    /// The server's process id (for `/proc/<pid>` file-descriptor and RSS readings). For an
    /// in-process server this is our own pid, and the readings include the harness.
    pub pid: Option<u32>,
}
