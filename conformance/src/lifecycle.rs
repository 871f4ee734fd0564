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
}
