//! Every chaos scenario against the embedded reference server, plus negative controls: a
//! reference with a deliberate fault (or a server that is wrong on purpose) must be judged
//! FAIL, so we know each scenario can tell good from bad.
//!
//! Run by nextest in the serial test group (see `.config/nextest.toml`).

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gauntlet_chaos::proxy::{FaultPlan, FaultProxy, Trigger};
use gauntlet_chaos::runner::{arrange, run_env, select, Order};
use gauntlet_chaos::soak::soak;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinHandle;

use gauntlet_chaos::a2a::Target;
use gauntlet_chaos::calibrate::{calibrate, Calibration};
use gauntlet_chaos::scenario::{run_scenario, Env, RunFn, Scenario, Settings};
use gauntlet_chaos::scenarios::ALL;
use gauntlet_chaos::{scenario_fn, ScenarioInfo};
use gauntlet_conformance::case::{Judged, Level, Outcome, Verdict};
use gauntlet_conformance::errors::LifecycleError;
use gauntlet_conformance::lifecycle::{Gauges, Lifecycle, LifecycleFuture};
use gauntlet_conformance::report::CaseResult;
use gauntlet_reference::{Fault, Server, ServerBuilder, ServerHandle};

/// The reference server under a [`Lifecycle`]: the first start takes an ephemeral port, every
/// later start rebinds that same port.
struct Reference {
    builder: ServerBuilder,
    addr: Mutex<SocketAddr>,
    handle: Mutex<Option<ServerHandle>>,
}

impl Reference {
    fn new(builder: ServerBuilder) -> Arc<Self> {
        Arc::new(Reference {
            builder: builder.allow_private_webhooks(true),
            addr: Mutex::new(SocketAddr::from(([127, 0, 0, 1], 0))),
            handle: Mutex::new(None),
        })
    }
}

impl Lifecycle for Reference {
    fn start(&self) -> LifecycleFuture<'_, String> {
        Box::pin(async move {
            let addr = *self.addr.lock().unwrap();
            let h = self
                .builder
                .clone()
                .bind(addr)
                .await
                .map_err(|e| LifecycleError::Start(format!("bind {addr}: {e}")))?;
            let url = h.base_url();
            *self.addr.lock().unwrap() = h.local_addr();
            *self.handle.lock().unwrap() = Some(h);
            Ok(url)
        })
    }

    fn stop(&self) -> LifecycleFuture<'_, ()> {
        Box::pin(async move {
            let h = self.handle.lock().unwrap().take();
            if let Some(h) = h {
                h.shutdown().await;
            }
            Ok(())
        })
    }

    fn gauges(&self) -> Option<Gauges> {
        let g = self.handle.lock().unwrap();
        g.as_ref().map(|h| Gauges {
            open_connections: Some(h.open_connections()),
            open_streams: Some(h.open_streams()),
            pid: Some(std::process::id()),
        })
    }
}

async fn env_with(lc: Arc<dyn Lifecycle>, cycles: usize) -> Env {
    let url = lc.start().await.expect("the server starts");
    let target = Target::discover(&url, Duration::from_secs(5))
        .await
        .expect("the card is served");
    Env::new(
        target,
        Some(lc),
        calibrate(1.0).await,
        Settings {
            cycles,
            in_process: true,
        },
    )
}

/// Runs scenario `id` against the reference behind a proxy that caps every response at
/// 100 KB/s: a server that streams slowly, for the scenarios that size themselves to it.
async fn judge_through_a_slow_link(id: &str) -> CaseResult {
    let lc = Reference::new(reference());
    let url = lc.start().await.unwrap();
    let target = Target::discover(&url, Duration::from_secs(5))
        .await
        .unwrap();
    let slow = FaultProxy::start(
        target.addr,
        FaultPlan {
            bandwidth: Some(100_000),
            ..FaultPlan::default()
        },
    )
    .await
    .unwrap();
    let env = Env::new(
        target.via(slow.addr()),
        None,
        calibrate(1.0).await,
        Settings::default(),
    );
    let s = ALL.iter().find(|s| s.info.id == id).unwrap();
    let r = run_scenario(s, &env).await;
    slow.stop();
    lc.stop().await.unwrap();
    eprintln!(
        "{id}: {} — {} — {:?}",
        r.verdict.as_str(),
        r.summary,
        r.observed
    );
    r
}

async fn judge(builder: ServerBuilder, id: &str) -> CaseResult {
    judge_on(Reference::new(builder), id).await
}

async fn judge_on(lc: Arc<dyn Lifecycle>, id: &str) -> CaseResult {
    judge_cycles(lc, id, 1000).await
}

async fn judge_cycles(lc: Arc<dyn Lifecycle>, id: &str, cycles: usize) -> CaseResult {
    let env = env_with(lc.clone(), cycles).await;
    let s = ALL
        .iter()
        .find(|s| s.info.id == id)
        .unwrap_or_else(|| panic!("no scenario {id}"));
    let r = run_scenario(s, &env).await;
    let _ = lc.stop().await;
    support::show(id, &r);
    r
}

fn reference() -> ServerBuilder {
    Server::builder()
}

fn assert_verdict(r: &CaseResult, want: &[Verdict]) {
    assert!(
        want.contains(&r.verdict),
        "{}: wanted {:?}, got {} — {} / expected {:?} / observed {:?}",
        r.id,
        want,
        r.verdict.as_str(),
        r.summary,
        r.expected,
        r.observed
    );
}

// --- slow consumers and fan-out ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_gets_every_event_when_the_reference_can_buffer_them_all() {
    let r = judge(reference().subscriber_buffer(100_000), "CHAOS-SLOW-001").await;
    assert_verdict(&r, &[Verdict::Pass]);
    assert!(r.summary.contains("sized to the server"), "{}", r.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_of_the_default_reference_is_served_or_cut_off_explicitly() {
    let r = judge(reference(), "CHAOS-SLOW-001").await;
    assert_verdict(&r, &[Verdict::Pass, Verdict::NonStrict]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_cut_off_by_a_small_buffer_is_non_strict() {
    let r = judge(reference().subscriber_buffer(16), "CHAOS-SLOW-001").await;
    assert_verdict(&r, &[Verdict::NonStrict]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_dropping_lagging_events_silently_fails_the_slow_consumer_scenario() {
    let b = reference()
        .subscriber_buffer(16)
        .fault(Some(Fault::DropLaggingSilently));
    let r = judge(b, "CHAOS-SLOW-001").await;
    assert_verdict(&r, &[Verdict::Fail]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_the_slow_consumer_scenario_is_sized_to_a_slow_server_and_ends_in_time() {
    // A server that streams slowly (here: every response capped at 100 KB/s by the proxy) gets
    // a shorter stream, so the scenario ends well inside its budget instead of overrunning.
    let r = judge_through_a_slow_link("CHAOS-SLOW-001").await;
    assert_verdict(&r, &[Verdict::Pass, Verdict::NonStrict]);
    let text = format!("{} {}", r.summary, r.observed.clone().unwrap_or_default());
    let n: i64 = text
        .split("sized to the server: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no size in {text}"));
    assert!(n < 20_000, "{text}");
    assert!(r.duration < Duration::from_secs(60), "{:?}", r.duration);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_reader_does_not_slow_the_healthy_readers_of_the_reference() {
    let r = judge(reference(), "CHAOS-SLOW-002").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_and_twenty_readers_of_one_task_see_the_same_sequence() {
    let r = judge(reference(), "CHAOS-FAN-001").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_streams_across_tasks_each_see_their_whole_sequence() {
    let r = judge(reference(), "CHAOS-FAN-002").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_a_stream_gap_fails_the_fan_out_scenario() {
    let r = judge(reference().fault(Some(Fault::StreamGap)), "CHAOS-FAN-001").await;
    assert_verdict(&r, &[Verdict::Fail]);
}

// --- disconnects and half-open peers ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_leaving_with_fin_does_not_stop_the_task() {
    let r = judge(reference(), "CHAOS-DISC-001").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_leaving_with_rst_does_not_stop_the_task() {
    let r = judge(reference(), "CHAOS-DISC-002").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_reset_after_event_twelve_does_not_stop_the_task() {
    let r = judge(reference(), "CHAOS-DISC-003").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_a_resubscription_without_a_task_snapshot_fails_the_disconnect_scenario() {
    let r = judge(
        reference().fault(Some(Fault::FirstEventNotTask)),
        "CHAOS-DISC-001",
    )
    .await;
    assert_verdict(&r, &[Verdict::Fail]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_releases_a_half_open_peers_stream() {
    let r = judge(reference(), "CHAOS-HALF-001").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_the_half_open_stream_is_sized_to_a_slow_server() {
    // Every response capped at 100 KB/s by a proxy: the sizing streams are slow, so the
    // black-holed stream gets fewer than its 3000 chunks and the scenario ends in time.
    let r = judge_through_a_slow_link("CHAOS-HALF-001").await;
    // No gauges through the proxy: the release is information only.
    assert_verdict(&r, &[Verdict::Informational]);
    let before = r
        .summary
        .split(" chunks sized to the server")
        .next()
        .unwrap();
    let n: i64 = before
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no size in {}", r.summary));
    assert!((200..3000).contains(&n), "{}", r.summary);
    assert!(r.duration < Duration::from_secs(30), "{:?}", r.duration);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_streams_that_never_close_are_held_for_a_half_open_peer() {
    let r = judge(
        reference().fault(Some(Fault::StreamNeverCloses)),
        "CHAOS-HALF-001",
    )
    .await;
    assert_verdict(&r, &[Verdict::NonStrict]);
}

// --- subscribe racing completion ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribing_while_the_task_completes_never_hangs() {
    let r = judge(reference(), "CHAOS-RACE-001").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_streams_that_never_close_are_judged_a_hang() {
    let r = judge(
        reference().fault(Some(Fault::StreamNeverCloses)),
        "CHAOS-RACE-001",
    )
    .await;
    assert_verdict(&r, &[Verdict::Fail]);
}

// --- push under webhook faults ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_survive_a_webhook_that_resets_and_fails() {
    let r = judge(reference(), "CHAOS-PUSH-001").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_retries_back_off_exponentially() {
    let r = judge(reference(), "CHAOS-PUSH-002").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_push_retry_carries_the_authorization() {
    let r = judge(reference(), "CHAOS-PUSH-003").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_pushed_after_the_config_is_deleted() {
    let r = judge(reference(), "CHAOS-PUSH-004").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_survive_a_stalling_and_redirecting_webhook() {
    let r = judge(reference(), "CHAOS-PUSH-005").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_pushes_without_authorization_fail() {
    let r = judge(reference().fault(Some(Fault::PushNoAuth)), "CHAOS-PUSH-003").await;
    assert_verdict(&r, &[Verdict::Fail]);
}

// --- a bad network ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_one_byte_pieces_with_split_code_points_is_understood() {
    let r = judge(reference(), "CHAOS-NET-001").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_survives_latency_jitter_and_a_bandwidth_cap() {
    let r = judge(reference(), "CHAOS-NET-002").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_a_black_holed_stream_is_judged_a_hang_within_the_bound() {
    let lc = Reference::new(reference());
    let url = lc.start().await.unwrap();
    let target = Target::discover(&url, Duration::from_secs(5))
        .await
        .unwrap();
    let hole = FaultProxy::start(
        target.addr,
        FaultPlan {
            black_hole: Some(Trigger::Event(3)),
            ..FaultPlan::default()
        },
    )
    .await
    .unwrap();
    let env = Env::new(
        target.via(hole.addr()),
        None,
        calibrate(1.0).await,
        Settings::default(),
    );
    let s = ALL.iter().find(|s| s.info.id == "CHAOS-NET-002").unwrap();
    let t0 = std::time::Instant::now();
    let r = run_scenario(s, &env).await;
    hole.stop();
    lc.stop().await.unwrap();
    assert_verdict(&r, &[Verdict::Fail]);
    assert!(
        t0.elapsed() < Duration::from_secs(30),
        "judged within the bound"
    );
}

// --- malformed traffic, slowloris, floods ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_bytes_are_refused_and_everyone_else_is_served() {
    let r = judge(reference(), "CHAOS-MAL-001").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_requests_are_refused_or_closed() {
    let r = judge(reference(), "CHAOS-MAL-002").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_heads_are_refused() {
    let r = judge(reference(), "CHAOS-MAL-003").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_refused_early() {
    let r = judge(reference(), "CHAOS-MAL-004").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_does_not_starve_healthy_clients() {
    let r = judge(reference(), "CHAOS-MAL-005").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_flood_does_not_starve_healthy_clients() {
    let r = judge(reference(), "CHAOS-FLOOD-001").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_a_one_connection_at_a_time_server_is_non_strict_under_slowloris() {
    // No A2A clause asks a server to survive slowloris, so this is a warning, not a FAIL.
    let r = judge_cycles(Naive::new(), "CHAOS-MAL-005", 10).await;
    assert_verdict(&r, &[Verdict::NonStrict]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_a_server_that_serves_ten_thousand_header_lines_is_not_failed() {
    // HTTP lets a server serve a large head or refuse it with 431; neither is a deviation.
    let r = judge_cycles(Naive::new(), "CHAOS-MAL-003", 10).await;
    assert_verdict(&r, &[Verdict::Pass]);
    assert!(
        r.summary.contains("10000 headers: HTTP 200"),
        "{}",
        r.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_clients_of_a_reference_at_its_connection_limit_are_refused_fast() {
    let r = judge(reference().max_connections(64), "CHAOS-FLOOD-001").await;
    assert_verdict(&r, &[Verdict::Pass]);
    assert!(!r.summary.contains("(0 refused"), "{}", r.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_a_server_that_stalls_at_its_connection_limit_is_non_strict() {
    let b = reference()
        .max_connections(64)
        .fault(Some(Fault::StallAtConnectionLimit));
    let r = judge(b, "CHAOS-FLOOD-001").await;
    assert_verdict(&r, &[Verdict::NonStrict]);
}

// --- the HTTP layer under a hostile network ---

/// The reference with a 1 s body-read deadline, so a stalled body is cut off quickly.
fn impatient() -> ServerBuilder {
    let mut b = reference();
    b.config_mut().body_read_timeout = Duration::from_secs(1);
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_refusals_of_a_large_body_keep_the_connection_honest() {
    let r = judge(reference(), "CHAOS-KEEP-001").await;
    assert_verdict(&r, &[Verdict::Pass]);
    assert!(r.summary.contains("Connection: close"), "{}", r.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_a_silent_close_after_an_early_refusal_is_non_strict() {
    let r = judge(
        reference().fault(Some(Fault::SilentEarlyClose)),
        "CHAOS-KEEP-001",
    )
    .await;
    assert_verdict(&r, &[Verdict::NonStrict]);
    assert!(
        r.summary.contains("without `Connection: close`"),
        "{}",
        r.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_bodies_are_cut_off_while_others_are_served() {
    let r = judge(impatient(), "CHAOS-BODY-001").await;
    assert_verdict(&r, &[Verdict::Pass]);
    assert!(r.summary.contains("HTTP 408"), "{}", r.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_no_body_deadline_is_non_strict_within_the_bound() {
    let lc = Reference::new(reference().fault(Some(Fault::NoBodyTimeout)));
    // Factor 0.4: the 15 s cut-off bound becomes 6 s.
    let env = scaled_env(lc.clone(), 0.4).await;
    let s = ALL.iter().find(|s| s.info.id == "CHAOS-BODY-001").unwrap();
    let t0 = std::time::Instant::now();
    let r = run_scenario(s, &env).await;
    lc.stop().await.unwrap();
    eprintln!("{}: {} — {:?}", r.verdict.as_str(), r.summary, r.observed);
    assert_verdict(&r, &[Verdict::NonStrict]);
    assert!(r.summary.contains("held open"), "{}", r.summary);
    assert!(t0.elapsed() < Duration::from_secs(15), "{:?}", t0.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_duplicate_and_invalid_hosts_get_400() {
    let r = judge(reference(), "CHAOS-HOST-001").await;
    assert_verdict(&r, &[Verdict::Pass]);
    assert!(r.summary.contains("all 15 requests"), "{}", r.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_a_server_that_ignores_host_is_non_strict_with_every_deviation() {
    let r = judge(
        reference().fault(Some(Fault::NoHostCheck)),
        "CHAOS-HOST-001",
    )
    .await;
    assert_verdict(&r, &[Verdict::NonStrict]);
    // Every probe is its own deviation: 5 Host variants on 3 routes.
    assert_eq!(r.deviations.len(), 14, "{:?}", r.deviations);
}

// --- start, stop, restart ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_survives_a_thousand_start_stop_cycles_on_one_port() {
    let r = judge(reference(), "CHAOS-CYCLE-001").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_rebinds_at_once_with_connections_in_time_wait() {
    let r = judge(reference(), "CHAOS-CYCLE-002").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_a_server_without_so_reuseaddr_is_non_strict_under_rapid_cycling() {
    // No A2A MUST covers restarts: a warning, not a FAIL.
    let r = judge_cycles(Naive::new(), "CHAOS-CYCLE-001", 20).await;
    assert_verdict(&r, &[Verdict::NonStrict]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_a_server_without_so_reuseaddr_is_non_strict_rebinding_after_time_wait() {
    let r = judge_cycles(Naive::new(), "CHAOS-CYCLE-002", 20).await;
    assert_verdict(&r, &[Verdict::NonStrict]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_open_streams_ends_every_stream_and_rebinds_at_once() {
    let r = judge(reference(), "CHAOS-RESTART-001").await;
    assert_verdict(&r, &[Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_a_server_that_ignores_sigterm_is_non_strict_in_the_restart_scenario() {
    let lc = Arc::new(Stubborn {
        inner: Reference::new(reference()),
        ignored: AtomicBool::new(false),
    });
    let r = judge_on(lc, "CHAOS-RESTART-001").await;
    assert_verdict(&r, &[Verdict::NonStrict]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_scenarios_are_not_applicable_without_a_lifecycle() {
    let lc = Reference::new(reference());
    let url = lc.start().await.unwrap();
    let target = Target::discover(&url, Duration::from_secs(5))
        .await
        .unwrap();
    let env = Env::new(target, None, calibrate(1.0).await, Settings::default());
    let results = run_env(&env, &select(&["CHAOS-CYCLE-*".to_owned()])).await;
    lc.stop().await.unwrap();
    assert_eq!(results.len(), 2);
    for r in &results {
        assert_verdict(r, &[Verdict::NotApplicable]);
    }
}

// --- soak ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_soak_reports_flake_rates_and_resource_growth() {
    let lc = Reference::new(reference());
    let env = env_with(lc.clone(), 1000).await;
    let selection = select(&["CHAOS-MAL-001".to_owned(), "CHAOS-RACE-001".to_owned()]);
    let mut seen = 0;
    let results = soak(&env, &selection, Duration::from_secs(2), &mut |_| seen += 1).await;
    lc.stop().await.unwrap();
    let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "CHAOS-RACE-001",
            "CHAOS-MAL-001",
            "CHAOS-SOAK-RUNNER",
            "CHAOS-SOAK-RES"
        ]
    );
    assert_eq!(seen, 4);
    for r in &results[..2] {
        assert_verdict(r, &[Verdict::Pass]);
        assert!(r.summary.contains("flake rate 0.0%"), "{}", r.summary);
    }
    assert!(
        results[2].summary.contains("rounds"),
        "{}",
        results[2].summary
    );
    // In-process readings include whatever else this test process runs in parallel, so growth
    // may be flagged; the readings themselves must be there.
    let res = &results[3];
    assert_verdict(res, &[Verdict::Pass, Verdict::NonStrict]);
    let text = format!(
        "{} {}",
        res.summary,
        res.observed.clone().unwrap_or_default()
    );
    assert!(text.contains("fds") && text.contains("RSS"), "{text}");
}

// --- containment: budgets, leftover tasks, recovery, order ---

static DROPPED: AtomicUsize = AtomicUsize::new(0);

/// Counts its drop: a task holding one has really been cancelled once it is counted.
struct CountsDrop;

impl Drop for CountsDrop {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

fn test_scenario(id: &'static str, run: RunFn) -> Scenario {
    Scenario {
        info: ScenarioInfo {
            id,
            level: Level::Must,
            title: "a test scenario",
            spec: "none",
            requirement: "none",
        },
        needs: &[],
        run,
    }
}

/// Starts three tasks that never end, each holding a [`CountsDrop`].
fn spawn_forever(env: &Env) {
    for _ in 0..3 {
        let guard = CountsDrop;
        env.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        });
    }
}

async fn overruns(env: Env) -> Judged {
    let _guard = CountsDrop;
    spawn_forever(&env);
    std::future::pending().await
}

async fn leaves_tasks_behind(env: Env) -> Judged {
    spawn_forever(&env);
    Ok(Outcome::pass("done, three tasks still running"))
}

async fn stops_the_server(env: Env) -> Judged {
    let lc = env.lifecycle().cloned().expect("a lifecycle");
    lc.stop().await.map_err(|e| Outcome::error(e.to_string()))?;
    Ok(Outcome::pass("stopped the server"))
}

async fn starts_the_server(env: Env) -> Judged {
    let lc = env.lifecycle().cloned().expect("a lifecycle");
    lc.start()
        .await
        .map_err(|e| Outcome::error(e.to_string()))?;
    Ok(Outcome::pass("started the server"))
}

async fn always_fails(_env: Env) -> Judged {
    Err(Outcome::fail("a failure", "nothing", "something"))
}

/// An environment whose deadlines (and scenario budget) are scaled down by `factor`.
async fn scaled_env(lc: Arc<dyn Lifecycle>, factor: f64) -> Env {
    let env = env_with(lc, 10).await;
    env.with_calibration(Calibration::fixed(factor))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_over_its_budget_is_aborted_with_every_task_it_started() {
    let lc = Reference::new(reference());
    // Factor 0.02: a budget of 2.4 s.
    let env = scaled_env(lc.clone(), 0.02).await;
    let t0 = std::time::Instant::now();
    let r = run_scenario(
        &test_scenario("CHAOS-TEST-OVERRUN", scenario_fn!(overruns)),
        &env,
    )
    .await;
    lc.stop().await.unwrap();
    assert_verdict(&r, &[Verdict::Error]);
    assert!(r.summary.contains("overran its budget"), "{}", r.summary);
    assert!(!r.summary.contains("did not stop"), "{}", r.summary);
    assert_eq!(
        DROPPED.load(Ordering::SeqCst),
        4,
        "the scenario and its three tasks are dropped before run_scenario returns"
    );
    assert!(t0.elapsed() < Duration::from_secs(15), "{:?}", t0.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_a_scenario_leaves_behind_are_aborted_when_it_ends() {
    let lc = Reference::new(reference());
    let env = env_with(lc.clone(), 10).await;
    let s = test_scenario("CHAOS-TEST-LEAVES", scenario_fn!(leaves_tasks_behind));
    let r = run_scenario(&s, &env).await;
    lc.stop().await.unwrap();
    assert_verdict(&r, &[Verdict::Pass]);
    assert_eq!(DROPPED.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_on_a_server_that_never_recovered_is_marked_and_not_judged() {
    let lc = Reference::new(reference());
    // Factor 0.05: the server gets 1 s to recover after each scenario.
    let env = scaled_env(lc.clone(), 0.05).await;
    let stop = test_scenario("CHAOS-TEST-STOP", scenario_fn!(stops_the_server));
    let fail = test_scenario("CHAOS-TEST-FAIL", scenario_fn!(always_fails));
    let start = test_scenario("CHAOS-TEST-START", scenario_fn!(starts_the_server));
    let results = run_env(&env, &[&stop, &fail, &start, &fail]).await;
    lc.stop().await.unwrap();
    for r in &results {
        eprintln!("{} {}: {}", r.id, r.verdict.as_str(), r.summary);
    }
    assert_verdict(&results[0], &[Verdict::Pass]);
    assert!(
        results[0]
            .summary
            .contains("did not answer at its baseline latency"),
        "{}",
        results[0].summary
    );
    assert_verdict(&results[1], &[Verdict::Error]);
    assert!(
        results[1]
            .summary
            .contains("the server had not recovered from CHAOS-TEST-STOP"),
        "{}",
        results[1].summary
    );
    assert_verdict(&results[2], &[Verdict::Pass]);
    // Restarted and healthy again: the same failing scenario is judged normally.
    assert_verdict(&results[3], &[Verdict::Fail]);
    assert!(
        !results[3].summary.contains("recovered"),
        "{}",
        results[3].summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_verdicts_do_not_depend_on_the_order_scenarios_run_in() {
    // The slow-consumer scenario leaves the most work behind on the server; the others are
    // timing-sensitive, so they would feel it. A 16-event buffer makes SLOW-001 deterministic.
    let ids = [
        "CHAOS-SLOW-001",
        "CHAOS-SLOW-002",
        "CHAOS-FAN-002",
        "CHAOS-MAL-005",
        "CHAOS-RACE-001",
    ]
    .map(str::to_owned);
    let mut runs = Vec::new();
    for order in [Order::Catalogue, Order::Reverse] {
        let lc = Reference::new(reference().subscriber_buffer(16));
        let env = env_with(lc.clone(), 10).await;
        let t0 = std::time::Instant::now();
        let results = run_env(&env, &arrange(select(&ids), order)).await;
        lc.stop().await.unwrap();
        let mut verdicts: Vec<(String, &'static str)> = results
            .iter()
            .map(|r| (r.id.clone(), r.verdict.as_str()))
            .collect();
        eprintln!("{order}: {verdicts:?} in {:?}", t0.elapsed());
        assert_eq!(verdicts.len(), ids.len());
        verdicts.sort();
        runs.push(verdicts);
    }
    assert_eq!(runs[0], runs[1], "catalogue vs reverse order");
}

// --- deliberately wrong servers for the controls ---

/// Ignores the first stop (a server that ignores SIGTERM); later stops go through.
struct Stubborn {
    inner: Arc<Reference>,
    ignored: AtomicBool,
}

impl Lifecycle for Stubborn {
    fn start(&self) -> LifecycleFuture<'_, String> {
        self.inner.start()
    }

    fn stop(&self) -> LifecycleFuture<'_, ()> {
        if self.ignored.swap(true, Ordering::SeqCst) {
            self.inner.stop()
        } else {
            Box::pin(std::future::pending())
        }
    }

    fn gauges(&self) -> Option<Gauges> {
        self.inner.gauges()
    }
}

/// A naive HTTP server: binds without SO_REUSEADDR, serves one connection at a time, and
/// closes each connection after its answer.
struct Naive {
    addr: Mutex<SocketAddr>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Naive {
    fn new() -> Arc<Self> {
        Arc::new(Naive {
            addr: Mutex::new(SocketAddr::from(([127, 0, 0, 1], 0))),
            task: Mutex::new(None),
        })
    }
}

impl Lifecycle for Naive {
    fn start(&self) -> LifecycleFuture<'_, String> {
        Box::pin(async move {
            let addr = *self.addr.lock().unwrap();
            let bind = || -> std::io::Result<std::net::TcpListener> {
                let s = socket2::Socket::new(
                    socket2::Domain::IPV4,
                    socket2::Type::STREAM,
                    Some(socket2::Protocol::TCP),
                )?;
                s.bind(&addr.into())?;
                s.listen(128)?;
                s.set_nonblocking(true)?;
                Ok(s.into())
            };
            let std_listener = bind().map_err(|e| LifecycleError::Start(e.to_string()))?;
            let listener = tokio::net::TcpListener::from_std(std_listener)
                .map_err(|e| LifecycleError::Start(e.to_string()))?;
            let local = listener.local_addr().unwrap();
            *self.addr.lock().unwrap() = local;
            let url = format!("http://{local}");
            let card = serde_json::json!({
                "name": "naive", "description": "wrong on purpose", "version": "0",
                "supportedInterfaces": [{"url": url, "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}],
                "capabilities": {}, "defaultInputModes": [], "defaultOutputModes": [], "skills": [],
            })
            .to_string();
            let task = tokio::spawn(async move {
                while let Ok((mut s, _)) = listener.accept().await {
                    let mut head = Vec::new();
                    let mut b = [0u8; 1024];
                    // Only the newly read bytes (and the 3 before them) can complete the head.
                    let mut scanned = 0;
                    while !head[scanned..].windows(4).any(|w| w == b"\r\n\r\n") {
                        scanned = head.len().saturating_sub(3);
                        match s.read(&mut b).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => head.extend_from_slice(&b[..n]),
                        }
                    }
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{card}",
                        card.len()
                    );
                    let _ = s.write_all(resp.as_bytes()).await;
                }
            });
            *self.task.lock().unwrap() = Some(task);
            Ok(url)
        })
    }

    fn stop(&self) -> LifecycleFuture<'_, ()> {
        Box::pin(async move {
            let task = self.task.lock().unwrap().take();
            if let Some(t) = task {
                t.abort();
                let _ = t.await;
            }
            Ok(())
        })
    }
}
