//! Clients that go away mid-stream: by FIN, by RST, through a proxy that resets after the k-th
//! SSE event, or by vanishing without a word (half-open). Digest §1.3 (a client reconnects with
//! SubscribeToTask and starts again from a fresh Task snapshot) and §6 (a task's life does not
//! depend on who is watching).

use std::time::Duration;

use gauntlet_conformance::case::{Judged, Level, Outcome};
use serde_json::json;
use tokio::time::Instant;

use super::common::{harness, start_stream_task};
use super::streams::{resubscribe_snapshot, size_to_server};
use crate::a2a::{self, End, Event, Log, Sequence};
use crate::clients;
use crate::gauges;
use crate::proxy::{FaultPlan, FaultProxy, Trigger};
use crate::scenario::{Env, Need, Scenario};
use crate::wire::{self, ConnOpts};
use crate::{fmt_duration, fmt_reading, scenario_fn, ScenarioInfo};

/// The scenarios of this family.
pub const SCENARIOS: [Scenario; 4] = [
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-DISC-001",
            level: Level::Must,
            title: "close a `stream 60 15` stream with FIN after chunk 9, then resubscribe",
            spec: "§1.3, §3.1.2, §6",
            requirement: "the task still completes (GetTask); the new subscription starts with a Task snapshot no older than the last event seen and continues to the end",
        },
        needs: &[Need::TestAgent, Need::Streaming],
        run: scenario_fn!(disconnect_fin),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-DISC-002",
            level: Level::Must,
            title: "reset a `stream 60 15` stream (RST, SO_LINGER 0) after chunk 9, then resubscribe",
            spec: "§1.3, §3.1.2, §6",
            requirement: "the task still completes (GetTask); the new subscription starts with a Task snapshot no older than the last event seen and continues to the end",
        },
        needs: &[Need::TestAgent, Need::Streaming],
        run: scenario_fn!(disconnect_rst),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-DISC-003",
            level: Level::Must,
            title: "stream `stream 60 15` through a proxy that resets both sides right after SSE event 12",
            spec: "§1.3, §3.1.2, §6",
            requirement: "the task still completes (GetTask); a resubscription's snapshot is no older than the last event that got through",
        },
        needs: &[Need::TestAgent, Need::Streaming],
        run: scenario_fn!(disconnect_proxy_reset),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-HALF-001",
            level: Level::Should,
            title: "black-hole a `stream N 0` stream after event 3 (half-open peer: no FIN, no RST, no reads); N sized to the server from two short streams to take about 5 s, at most 3000",
            spec: "§3.1.2, §6 (derived)",
            requirement: "the task completes regardless; the server releases that stream's resources within 5 s (gauges; INFORMATIONAL without them)",
        },
        needs: &[Need::TestAgent, Need::Streaming],
        run: scenario_fn!(half_open),
    },
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum How {
    Fin,
    Rst,
    ProxyReset,
}

const N: i64 = 60;
const MS: u32 = 15;

async fn disconnect_fin(env: Env) -> Judged {
    disconnect(env, How::Fin).await
}

async fn disconnect_rst(env: Env) -> Judged {
    disconnect(env, How::Rst).await
}

async fn disconnect_proxy_reset(env: Env) -> Judged {
    disconnect(env, How::ProxyReset).await
}

async fn disconnect(env: Env, how: How) -> Judged {
    let direct = env.target().clone();
    let proxy = match how {
        How::ProxyReset => Some(
            FaultProxy::start(
                direct.addr,
                FaultPlan {
                    reset: Some(Trigger::Event(12)),
                    ..FaultPlan::default()
                },
            )
            .await
            .map_err(|e| harness("fault proxy", e))?,
        ),
        _ => None,
    };
    let via = proxy
        .as_ref()
        .map_or(direct.clone(), |p| direct.via(p.addr()));
    let (mut stream, first, id) =
        start_stream_task(&env, &via, N as u32, MS, ConnOpts::default()).await?;
    let mut log = Log::default();
    log.push(first);
    let idle = env.deadline(Duration::from_secs(3));
    loop {
        match stream.next(idle).await {
            Ok(Some(ev)) => {
                log.push(ev);
                if how != How::ProxyReset
                    && log.events.len() >= 12
                    && log.sequence().last_seq() >= Some(9)
                {
                    break;
                }
            }
            Ok(None) => {
                log.end = End::Clean;
                break;
            }
            Err(e) => {
                log.end = End::Abrupt(e.to_string());
                break;
            }
        }
    }
    let seen = log.sequence();
    if !seen.problems.is_empty() {
        return Err(Outcome::fail(
            "the stream was broken before the disconnect",
            "chunks in order",
            format!("{}; {}", seen.problems.join("; "), log.outline()),
        ));
    }
    match how {
        // No socket left means the connection already broke: nothing to close.
        How::Fin => {
            if let Some(s) = stream.into_socket() {
                clients::fin(s);
            }
        }
        How::Rst => {
            if let Some(s) = stream.into_socket() {
                wire::reset(s);
            }
        }
        How::ProxyReset => {
            drop(stream);
            if seen.terminal() {
                return Err(Outcome::error(
                    "the proxy reset came after the task finished; nothing to judge",
                ));
            }
        }
    }
    let last = seen.last_seq().unwrap_or(-1);
    let snapshot = resubscribe_snapshot(&env, &id).await?;
    let snap = Sequence::of(&[Event::Result(json!({"task": snapshot.clone()}))]);
    if !snap.problems.is_empty() || (snap.snapshot.len() as i64) < last + 1 {
        return Err(Outcome::fail(
            "the resubscription's Task snapshot is older than what the client had already seen",
            format!("a snapshot holding chunks 0..={last} or more"),
            format!("snapshot chunks {}", a2a::fmt_seqs(&snap.snapshot)),
        ));
    }
    let task = env
        .target()
        .wait_terminal(
            &id,
            Duration::from_millis(N as u64 * MS as u64) + env.deadline(Duration::from_secs(5)),
        )
        .await
        .map_err(|e| {
            Outcome::fail(
                "the task did not complete after its client went away",
                "a terminal state per GetTask",
                e.to_string(),
            )
        })?;
    let parts = a2a::snapshot_seqs(&task);
    if a2a::task_state(&task) != Some("TASK_STATE_COMPLETED") || parts.len() as i64 != N {
        return Err(Outcome::fail(
            "the task did not finish its work after its client went away",
            format!("COMPLETED with {N} chunks"),
            format!(
                "{} with {} chunks",
                a2a::fmt_state(a2a::task_state(&task)),
                parts.len()
            ),
        ));
    }
    let _ = env
        .target()
        .alive(env.deadline(Duration::from_secs(2)))
        .await
        .map_err(|e| {
            Outcome::fail(
                "the server stopped serving after a client disconnected",
                "a 200 agent card",
                e.to_string(),
            )
        })?;
    Ok(Outcome::pass(format!(
        "disconnected after chunk {last}; resubscription snapshot held {} chunks; task COMPLETED with {N}",
        snap.snapshot.len()
    )))
}

/// How long (before scaling) CHAOS-HALF-001's stream should take at the server's pace, and
/// its most chunks (past the proxy's 4 KiB buffer and the kernel's, at any pace).
const HALF_OPEN_STREAM_TIME: Duration = Duration::from_secs(5);
const HALF_OPEN_MAX_CHUNKS: i64 = 3000;

async fn half_open(env: Env) -> Judged {
    let direct = env.target().clone();
    // The baseline comes before the sizing streams, so one the server holds after its client
    // left counts against it like the half-open one.
    let before = env.gauges();
    let pid = before.and_then(|g| g.pid);
    let fds_before = pid.and_then(gauges::fd_count);
    // Sized to the server: one whose cost per chunk grows with the stream would otherwise still
    // be working on a 3000-chunk task long after the wait below.
    let (n, pace, measured) =
        size_to_server(&env, HALF_OPEN_STREAM_TIME, HALF_OPEN_MAX_CHUNKS).await?;
    let sizing = format!("{n} chunks sized to the server ({measured})");
    let proxy = FaultProxy::start(
        direct.addr,
        FaultPlan {
            black_hole: Some(Trigger::Event(3)),
            upstream_recv_buffer: Some(4096),
            ..FaultPlan::default()
        },
    )
    .await
    .map_err(|e| harness("fault proxy", e))?;
    let via = direct.via(proxy.addr());
    let (mut stream, _first, id) =
        start_stream_task(&env, &via, n as u32, 0, ConnOpts::default()).await?;
    // The client sees silence once the black-hole is in place.
    let mut got = 1;
    while let Ok(Some(_)) = stream.next(Duration::from_millis(300)).await {
        got += 1;
    }
    let t0 = Instant::now();
    let task = direct
        .wait_terminal(&id, env.deadline(Duration::from_secs(15)) + pace * 2)
        .await
        .map_err(|e| {
            Outcome::fail(
                "a half-open client blocked the task",
                "the task completes whoever watches it",
                e.to_string(),
            )
        })?;
    let completed_in = t0.elapsed();
    let _ = direct
        .alive(env.deadline(Duration::from_secs(2)))
        .await
        .map_err(|e| {
            Outcome::fail(
                "the server stopped serving others while one peer was half-open",
                "a 200 agent card",
                e.to_string(),
            )
        })?;
    let Some(streams_before) = before.and_then(|g| g.open_streams) else {
        let fds_held = pid.and_then(gauges::fd_count);
        drop(stream);
        proxy.stop();
        let fds = match (fds_before, fds_held) {
            (Some(a), Some(b)) => format!("the server's fds {a} → {b} while the peer is held"),
            _ => "the server's stream resources are not observable (no gauges)".to_owned(),
        };
        return Ok(Outcome::info(format!(
            "task {} in {} with the peer half-open; {got} events got through; {fds}; {sizing}",
            a2a::fmt_state(a2a::task_state(&task)),
            fmt_duration(completed_in)
        )));
    };
    let bound = env.deadline(Duration::from_secs(5));
    let released = wait_gauge(&env, bound, |g| {
        g.open_streams.unwrap_or(0) <= streams_before
    })
    .await;
    let after = env.gauges();
    let fds_held = pid.and_then(gauges::fd_count);
    drop(stream);
    proxy.stop();
    let evidence = format!(
        "open_streams {streams_before} → {}, open_connections {} → {}, fds {} → {} (harness's 3 sockets included)",
        fmt_reading(after.and_then(|g| g.open_streams)),
        fmt_reading(before.and_then(|g| g.open_connections)),
        fmt_reading(after.and_then(|g| g.open_connections)),
        fmt_reading(fds_before),
        fmt_reading(fds_held)
    );
    match released {
        Some(after_t) => Ok(Outcome::pass(format!(
            "stream released {} after the task completed; {evidence}; {sizing}",
            fmt_duration(after_t)
        ))),
        None => Err(Outcome::fail(
            "the server kept a half-open peer's stream",
            format!(
                "open_streams back to {streams_before} within {}",
                fmt_duration(bound)
            ),
            format!("{evidence}; {sizing}"),
        )),
    }
}

/// Polls the gauges until `ok` holds or `bound` passes; returns how long it took.
pub(crate) async fn wait_gauge(
    env: &Env,
    bound: Duration,
    ok: impl Fn(&gauntlet_conformance::lifecycle::Gauges) -> bool,
) -> Option<Duration> {
    let t0 = Instant::now();
    loop {
        if env.gauges().is_some_and(|g| ok(&g)) {
            return Some(t0.elapsed());
        }
        if t0.elapsed() >= bound {
            return None;
        }
        // A gauge has no change notification: sample it.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
