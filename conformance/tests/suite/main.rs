//! The suite's own tests: the catalogue against the digest, curl rendering, the probe, client
//! request mapping, the webhook receiver, the runner, the reports, and the negative controls
//! that prove the catalogue catches each deliberate bug of the reference server.

mod catalogue;
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
use gauntlet_conformance::probe::{Probe, RawRequest, Transcript};
use gauntlet_conformance::report::RunReport;
use gauntlet_conformance::runner::{NoReporter, RunOptions};
use gauntlet_conformance::webhook::{Delivery, WebhookReceiver};
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

/// Sends `req` to `hook` with the probe, then runs its curl command `cmd` in a shell; returns
/// both deliveries (the probe's first), each step within `deadline`.
pub async fn probe_then_curl(
    hook: &WebhookReceiver,
    req: RawRequest,
    cmd: &str,
    deadline: Duration,
) -> Vec<Delivery> {
    Probe::new(Transcript::new(), deadline)
        .send(req)
        .await
        .expect("the probe reaches the receiver");
    let status = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{cmd} -o /dev/null"))
        .status()
        .await
        .expect("sh runs");
    assert!(status.success(), "{cmd}");
    hook.wait_for(|d| d.len() == 2, deadline)
        .await
        .expect("both requests arrive")
}
