//! The suite's own tests: the SSE parser, curl rendering, the probe, client request mapping,
//! the webhook receiver, the runner, the reports, and the negative controls that prove the
//! catalogue catches each deliberate bug of the reference server.

mod client;
mod context;
mod controls;
mod curl;
mod evidence;
mod generated;
mod grading;
mod probe;
mod report;
mod runner;
mod snapshots;
mod sse;
mod stream;
mod webhook;

use gauntlet_reference::{Server, ServerBuilder, ServerHandle};

/// Starts a reference server on loopback with webhooks on loopback allowed, after `tweak`.
pub async fn reference(tweak: impl FnOnce(ServerBuilder) -> ServerBuilder) -> ServerHandle {
    let builder = tweak(Server::builder().allow_private_webhooks(true));
    builder
        .bind(([127, 0, 0, 1], 0).into())
        .await
        .expect("the reference server binds to 127.0.0.1:0")
}
