//! Every chaos scenario against the embedded reference server, plus negative controls: a
//! reference with a deliberate fault (or a server that is wrong on purpose) must be judged
//! FAIL, so we know each scenario can tell good from bad.
//!
//! Run by nextest in the serial test group (see `.config/nextest.toml`).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gauntlet_chaos::a2a::Target;
use gauntlet_chaos::calibrate::calibrate;
use gauntlet_chaos::scenario::{run_scenario, Env, Settings};
use gauntlet_chaos::scenarios::ALL;
use gauntlet_conformance::case::Verdict;
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

async fn judge(builder: ServerBuilder, id: &str) -> CaseResult {
    judge_on(Reference::new(builder), id).await
}

async fn judge_on(lc: Arc<dyn Lifecycle>, id: &str) -> CaseResult {
    let env = env_with(lc.clone(), 1000).await;
    let s = ALL
        .iter()
        .find(|s| s.info.id == id)
        .unwrap_or_else(|| panic!("no scenario {id}"));
    let r = run_scenario(s, &env).await;
    let _ = lc.stop().await;
    eprintln!(
        "{id}: {} in {:?} — {}\n  expected: {:?}\n  observed: {:?}",
        r.verdict.as_str(),
        r.duration,
        r.summary,
        r.expected,
        r.observed
    );
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
