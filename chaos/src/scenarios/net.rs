//! A bad network between client and server, through the fault proxy: requests sliced into
//! 1-byte writes with UTF-8 code points split across them, and streams delayed, jittered,
//! throttled and sliced (HTTP/1.1 framing and SSE, digest §1.1, §1.3). The bytes are never
//! changed, so the answers must be exactly what an undisturbed client gets.

use std::time::Duration;

use gauntlet_conformance::case::{Judged, Level, Outcome};
use serde_json::json;

use super::common::{harness, start_stream_task};
use crate::a2a::{End, Log};
use crate::proxy::{Direction, FaultPlan, FaultProxy};
use crate::scenario::{Env, Need, Scenario};
use crate::wire::ConnOpts;
use crate::{fmt_duration, scenario_fn, ScenarioInfo};

/// The scenarios of this family.
pub const SCENARIOS: [Scenario; 2] = [
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-NET-001",
            level: Level::Must,
            title: "send `echo grüße ✓ 🦀 日本` as 1-byte writes, every multi-byte code point split across writes",
            spec: "§1.1, §5 (UTF-8 JSON)",
            requirement: "the echo artifact carries the text intact",
        },
        needs: &[Need::TestAgent],
        run: scenario_fn!(sliced_request),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-NET-002",
            level: Level::Must,
            title: "stream `stream 50 0` through 20 ms latency, 0–30 ms jitter, 32 KiB/s, 7-byte slices and a FIN held 200 ms",
            spec: "§1.3, §3.1.2",
            requirement: "every chunk in order, the terminal state, a clean end, within a bound",
        },
        needs: &[Need::TestAgent, Need::Streaming],
        run: scenario_fn!(shaped_stream),
    },
];

const TEXT: &str = "echo grüße ✓ 🦀 日本";

async fn sliced_request(env: Env) -> Judged {
    let direct = env.target().clone();
    let proxy = FaultProxy::start(
        direct.addr,
        FaultPlan {
            direction: Direction::ToServer,
            slice: Some(1),
            split_utf8: true,
            slice_gap: Duration::from_millis(1),
            ..FaultPlan::default()
        },
    )
    .await
    .map_err(|e| harness("fault proxy", e))?;
    let via = direct.via(proxy.addr());
    let reply = via
        .send_text(TEXT, json!({}), env.deadline(Duration::from_secs(10)))
        .await
        .map_err(|e| {
            Outcome::fail(
                "a request delivered in 1-byte pieces was not answered",
                "the same answer as an unsliced request",
                e.to_string(),
            )
        })?;
    let text = match &reply {
        Ok(v) => v["task"]["artifacts"][0]["parts"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        Err(e) => {
            return Err(Outcome::fail(
                "a request delivered in 1-byte pieces was rejected",
                "the echo task",
                e.to_string(),
            ))
        }
    };
    if !text.contains("grüße ✓ 🦀 日本") {
        return Err(Outcome::fail(
            "the text was damaged by segmentation",
            format!("an echo of `{TEXT}`"),
            format!("`{text}`"),
        ));
    }
    Ok(Outcome::pass(format!(
        "{} bytes in 1-byte writes; echo intact: `{text}`",
        proxy
            .stats()
            .to_server
            .load(std::sync::atomic::Ordering::Relaxed)
    )))
}

async fn shaped_stream(env: Env) -> Judged {
    let direct = env.target().clone();
    let proxy = FaultProxy::start(
        direct.addr,
        FaultPlan {
            direction: Direction::ToClient,
            latency: Duration::from_millis(20),
            jitter: Duration::from_millis(30),
            bandwidth: Some(32 * 1024),
            slice: Some(7),
            slow_close: Some(Duration::from_millis(200)),
            ..FaultPlan::default()
        },
    )
    .await
    .map_err(|e| harness("fault proxy", e))?;
    let via = direct.via(proxy.addr());
    const N: i64 = 50;
    let (stream, first, _id) =
        start_stream_task(&env, &via, N as u32, 0, ConnOpts::default()).await?;
    let mut log: Log = stream
        .collect(
            env.deadline(Duration::from_secs(3)),
            env.deadline(Duration::from_secs(20)),
        )
        .await;
    log.events.insert(0, first);
    let seq = log.sequence();
    if seq.problems.is_empty() && seq.contiguous() == N && seq.terminal() && log.end == End::Clean {
        Ok(Outcome::pass(format!(
            "{N} chunks in order and a clean end in {} through the shaped link",
            fmt_duration(log.elapsed)
        )))
    } else {
        Err(Outcome::fail(
            "the stream did not survive a slow, jittery link",
            format!("chunks 0..{N} in order, terminal state, clean end"),
            format!("{}; {}", seq.problems.join("; "), log.outline()),
        ))
    }
}
