//! The suite's own tests: curl rendering, the probe, client request mapping,
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
mod stream;
mod webhook;

use std::time::Duration;

use gauntlet_conformance::cases::catalogue;
use gauntlet_conformance::report::RunReport;
use gauntlet_conformance::runner::{NoReporter, RunOptions};
use gauntlet_reference::{Server, ServerBuilder, ServerHandle};

/// Starts a reference server on loopback with webhooks on loopback allowed, after `tweak`.
pub async fn reference(tweak: impl FnOnce(ServerBuilder) -> ServerBuilder) -> ServerHandle {
    let builder = tweak(Server::builder().allow_private_webhooks(true));
    builder
        .bind(([127, 0, 0, 1], 0).into())
        .await
        .expect("the reference server binds to 127.0.0.1:0")
}

/// Runs the cases `only` selects, with `tokens` as identities and a per-case deadline of
/// `case_timeout`, against a reference built by `tweak`; stops the server after.
pub async fn run_against_reference(
    only: &[&str],
    tokens: &[&str],
    case_timeout: Duration,
    tweak: impl FnOnce(ServerBuilder) -> ServerBuilder,
) -> RunReport {
    let server = reference(tweak).await;
    let opts = RunOptions {
        only: only.iter().map(|g| (*g).to_owned()).collect(),
        tokens: tokens.iter().map(|t| (*t).to_owned()).collect(),
        case_timeout,
        ..RunOptions::default()
    };
    let report =
        gauntlet_conformance::runner::run(&server.base_url(), &catalogue(), &opts, &mut NoReporter)
            .await
            .expect("the reference is discoverable");
    server.shutdown().await;
    report
}
