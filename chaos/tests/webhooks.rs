//! The webhook scenarios (CHAOS-HOOK-*) against the embedded reference, each with its negative
//! control: a reference fault that must make the scenario fail.
//!
//! Run by nextest in the serial test group (see `.config/nextest.toml`).

mod support;

use std::time::Duration;

use gauntlet_chaos::a2a::Target;
use gauntlet_chaos::calibrate::calibrate;
use gauntlet_chaos::scenario::{run_scenario, Env, Settings};
use gauntlet_chaos::scenarios::ALL;
use gauntlet_chaos::webhook::suite_ca_pem;
use gauntlet_conformance::case::Verdict;
use gauntlet_conformance::report::CaseResult;
use gauntlet_reference::{Fault, Server, ServerBuilder};

/// A reference that may call loopback webhooks (the suite's receivers), retrying quickly, and
/// trusts this run's webhook CA.
fn reference(fault: Option<Fault>) -> ServerBuilder {
    let mut b = Server::builder().allow_private_webhooks(true).fault(fault);
    b.config_mut().push_initial_backoff = Duration::from_millis(20);
    let ca = suite_ca_pem().expect("the suite's CA is generated");
    b.config_mut()
        .trust_webhook_ca_pem(ca)
        .expect("the suite's CA is a CA");
    b
}

async fn judge(builder: ServerBuilder, id: &str) -> CaseResult {
    let server = builder
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .expect("bind 127.0.0.1:0");
    let target = Target::discover(&server.base_url(), Duration::from_secs(5))
        .await
        .expect("the card is served");
    let env = Env::new(
        target,
        None,
        calibrate(1.0).await,
        Settings {
            cycles: 1,
            in_process: true,
        },
    );
    let s = ALL
        .iter()
        .find(|s| s.info.id == id)
        .unwrap_or_else(|| panic!("no scenario {id}"));
    let r = run_scenario(s, &env).await;
    server.shutdown().await;
    support::show(id, &r);
    r
}

fn assert_verdict(r: &CaseResult, want: Verdict) {
    assert_eq!(
        r.verdict, want,
        "{}: {} / expected {:?} / observed {:?}",
        r.id, r.summary, r.expected, r.observed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_closing_after_each_2xx_gets_each_event_once() {
    let r = judge(reference(None), "CHAOS-HOOK-001").await;
    assert_verdict(&r, Verdict::Pass);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_counting_the_close_as_a_failure_is_non_strict() {
    let r = judge(
        reference(Some(Fault::PushRetryAfterClose)),
        "CHAOS-HOOK-001",
    )
    .await;
    assert_verdict(&r, Verdict::NonStrict);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_webhook_gets_every_event_over_tls() {
    let r = judge(reference(None), "CHAOS-HOOK-002").await;
    assert_verdict(&r, Verdict::Pass);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_https_webhooks_accepted_and_never_attempted_fail() {
    let r = judge(reference(Some(Fault::PushHttpsDropped)), "CHAOS-HOOK-002").await;
    assert_verdict(&r, Verdict::Fail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_does_not_trust_the_suites_ca_leaves_https_untested() {
    let b = Server::builder().allow_private_webhooks(true);
    let r = judge(b, "CHAOS-HOOK-002").await;
    assert_verdict(&r, Verdict::NotApplicable);
    assert!(r.summary.contains("untested"), "{}", r.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_spelling_of_an_internal_address_is_refused_by_the_guarded_reference() {
    let r = judge(Server::builder(), "CHAOS-HOOK-003").await;
    assert_verdict(&r, Verdict::Pass);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_a_guard_that_knows_only_standard_spellings_is_non_strict() {
    let b = Server::builder().fault(Some(Fault::SsrfStandardSpellingsOnly));
    let r = judge(b, "CHAOS-HOOK-003").await;
    assert_verdict(&r, Verdict::NonStrict);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reference_with_its_guard_off_is_not_judged_on_spellings() {
    let r = judge(reference(None), "CHAOS-HOOK-003").await;
    assert_verdict(&r, Verdict::NotApplicable);
}
