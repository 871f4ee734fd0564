//! Slow consumers and fan-out (digest §1.3 event order, §3.1.2 stream end, §6 lifecycle).
//!
//! A server may cut off a subscriber that cannot keep up, as long as it says so by ending the
//! stream; the client then resubscribes and starts again from a fresh Task snapshot (§1.3). What
//! it must never do is drop events silently, reorder them, or let one stalled reader slow
//! everyone else down.

use std::time::Duration;

use gauntlet_conformance::case::{Judged, Level, Outcome};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::common::{harness, is_unsupported, spawn_collect, start_stream_task};
use crate::a2a::{self, End, Event, Log, Sequence};
use crate::gauges;
use crate::scenario::{Env, Need, Scenario};
use crate::wire::ConnOpts;
use crate::{scenario_fn, ScenarioInfo};

/// The scenarios of this family.
pub const SCENARIOS: [Scenario; 4] = [
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-SLOW-001",
            level: Level::Must,
            title: "stream `stream 20000 0` to a slow consumer (4 KiB SO_RCVBUF; no reads until a healthy subscriber has seen 75% of the chunks, then small reads)",
            spec: "§1.3, §3.1.2",
            requirement: "the healthy subscriber gets everything; the slow one gets every event in order, or the stream ends explicitly and a resubscription's Task snapshot is consistent (NON-STRICT); never a silent gap, reordering or stall",
        },
        needs: &[Need::TestAgent, Need::Streaming],
        run: scenario_fn!(slow_consumer),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-SLOW-002",
            level: Level::Must,
            title: "subscribe a reader that never reads, plus 3 healthy readers, to one `stream 200 5` task",
            spec: "§3.1.2 (derived)",
            requirement: "healthy subscribers get the whole sequence within the task's own duration plus a bound",
        },
        needs: &[Need::TestAgent, Need::Streaming],
        run: scenario_fn!(stalled_reader_isolated),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-FAN-001",
            level: Level::Must,
            title: "subscribe 120 readers (and one stalled reader) to one `stream 100 20` task",
            spec: "§1.3, §3.1.2",
            requirement: "every reader reconstructs the identical whole sequence and sees the terminal state, within a bound",
        },
        needs: &[Need::TestAgent, Need::Streaming],
        run: scenario_fn!(fan_out_one_task),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-FAN-002",
            level: Level::Must,
            title: "run 25 `stream 40 25` tasks with 4 streams each (100 streams)",
            spec: "§1.3, §3.1.2",
            requirement: "every stream of a task reconstructs the same whole sequence and ends at the terminal state",
        },
        needs: &[Need::TestAgent, Need::Streaming],
        run: scenario_fn!(fan_out_many_tasks),
    },
];

/// The highest chunk seq an event carries (Task snapshot or artifact update), or -1.
fn max_seq(ev: &Event) -> i64 {
    match ev {
        Event::Result(v) => {
            if let Some(t) = v.get("task") {
                a2a::snapshot_seqs(t).into_iter().max().unwrap_or(-1)
            } else {
                a2a::whole_number(&v["artifactUpdate"]["artifact"]["parts"][0]["data"]["seq"])
                    .unwrap_or(-1)
            }
        }
        _ => -1,
    }
}

/// Judges one subscriber's complete view: `Ok` when whole, in order, terminal and cleanly ended.
fn whole(log: &Log, n: i64) -> Result<(), String> {
    let seq = log.sequence();
    if !seq.problems.is_empty() {
        return Err(seq.problems.join("; "));
    }
    if seq.contiguous() != n {
        return Err(format!("{} of {n} chunks", seq.contiguous()));
    }
    if !seq.terminal() {
        return Err(format!("last state {:?}", seq.last_state));
    }
    if log.end != End::Clean {
        return Err(format!("end {:?}", log.end));
    }
    Ok(())
}

async fn slow_consumer(env: Env) -> Judged {
    // Enough data (about 5 MB) to get past every kernel buffer on a loopback path, so the
    // server's own per-subscriber buffering is what gets tested.
    const N: i64 = 20_000;
    let t = env.target().clone();
    let opts = ConnOpts {
        recv_buffer: Some(4096),
        read_size: Some(4096),
    };
    let (stream, first, id) = start_stream_task(&env, &t, N as u32, 0, opts).await?;
    // A healthy subscriber on the same task. The slow consumer reads nothing until the healthy
    // one has seen three quarters of the chunks (several MB: past every kernel buffer), then
    // drains while the producer is still running, so events dropped in between show as a gap.
    let bound = env.deadline(Duration::from_secs(60));
    let idle = env.deadline(Duration::from_secs(5));
    let mut healthy = t
        .subscribe(
            &id,
            ConnOpts::default(),
            env.deadline(Duration::from_secs(5)),
        )
        .await
        .map_err(|e| harness("healthy subscriber", e))?;
    let mut h = Log::default();
    let mut last = 0;
    while last < N * 3 / 4 {
        match healthy.next(idle).await {
            Ok(Some(ev)) => {
                last = last.max(max_seq(&ev));
                h.push(ev);
            }
            other => {
                return Err(Outcome::fail(
                    "a healthy subscriber suffered next to a slow consumer",
                    format!("all {N} chunks and the terminal state"),
                    format!("{other:?} after {}", h.outline()),
                ))
            }
        }
    }
    let rest = tokio::spawn(healthy.collect(idle, bound));
    let mut log = stream.collect(idle, bound).await;
    log.events.insert(0, first);
    let rest = rest.await.map_err(|e| Outcome::error(e.to_string()))?;
    h.events.extend(rest.events);
    h.end = rest.end;
    if let Err(why) = whole(&h, N) {
        return Err(Outcome::fail(
            "a healthy subscriber suffered next to a slow consumer",
            format!("all {N} chunks and the terminal state within {bound:?}"),
            format!("{why}; {}", h.outline()),
        ));
    }
    let seq = log.sequence();
    if !seq.problems.is_empty() {
        return Err(Outcome::fail(
            "the slow consumer's stream has a silent gap or is out of order",
            "every chunk 0..N in order, or an explicit end",
            format!("{}; {}", seq.problems.join("; "), log.outline()),
        ));
    }
    if let End::Hang(after) = log.end {
        return Err(Outcome::fail(
            "the slow consumer's stream stalled: no event and no end",
            "the remaining events or an explicit end of the stream",
            format!("nothing for {after:?} after {}", log.outline()),
        ));
    }
    if seq.terminal() && seq.contiguous() == N && log.end == End::Clean {
        return Ok(Outcome::pass(format!(
            "all {N} chunks in order, then {:?}, clean end",
            seq.last_state.unwrap_or_default()
        )));
    }
    // Ended explicitly before the end: the resubscription must be consistent with what we saw.
    let seen = seq.contiguous();
    let snapshot = resubscribe_snapshot(&env, &id).await?;
    let snap = Sequence::of(&[Event::Result(serde_json::json!({"task": snapshot}))]);
    if !snap.problems.is_empty() || (snap.snapshot.len() as i64) < seen {
        return Err(Outcome::fail(
            "after the cut-off, the Task snapshot is inconsistent with what the stream delivered",
            format!("a snapshot holding chunks 0..{seen} or more, in order"),
            format!("snapshot chunks {:?}", snap.snapshot),
        ));
    }
    Ok(Outcome::non_strict(
        "the slow consumer was cut off explicitly; the resubscription snapshot is consistent",
        "all events delivered to a slow consumer",
        format!(
            "{seen} of {N} chunks, then {:?}; the fresh snapshot holds {} chunks",
            log.end,
            snap.snapshot.len()
        ),
    ))
}

/// The Task snapshot a client gets when it comes back: the first event of SubscribeToTask, or
/// GetTask when the task is already terminal (subscribing is then refused, §1.2).
pub(crate) async fn resubscribe_snapshot(
    env: &Env,
    id: &str,
) -> Result<serde_json::Value, Outcome> {
    let t = env.target();
    let d = env.deadline(Duration::from_secs(5));
    match t.subscribe(id, ConnOpts::default(), d).await {
        Ok(mut s) => match s.next(d).await {
            Ok(Some(Event::Result(v))) if v.get("task").is_some() => Ok(v["task"].clone()),
            Ok(Some(Event::Error(e))) if is_unsupported(&e) => get_snapshot(env, id).await,
            other => Err(Outcome::fail(
                "a resubscription did not start with a Task snapshot",
                "{\"task\":{…}} as the first event (§1.3)",
                format!("{other:?}"),
            )),
        },
        Err(_) => get_snapshot(env, id).await,
    }
}

async fn get_snapshot(env: &Env, id: &str) -> Result<serde_json::Value, Outcome> {
    match env
        .target()
        .get_task(id, env.deadline(Duration::from_secs(5)))
        .await
    {
        Ok(Ok(task)) => Ok(task),
        Ok(Err(e)) => Err(Outcome::fail(
            "GetTask failed for a task we just streamed",
            "the Task",
            e.to_string(),
        )),
        Err(e) => Err(harness("GetTask", e)),
    }
}

async fn stalled_reader_isolated(env: Env) -> Judged {
    const N: i64 = 200;
    const MS: u64 = 5;
    let t = env.target().clone();
    let t0 = Instant::now();
    let (origin, first, id) =
        start_stream_task(&env, &t, N as u32, MS as u32, ConnOpts::default()).await?;
    let d = env.deadline(Duration::from_secs(5));
    let stalled = t
        .subscribe(
            &id,
            ConnOpts {
                recv_buffer: Some(2048),
                read_size: Some(1),
            },
            d,
        )
        .await
        .map_err(|e| harness("stalled subscriber", e))?;
    let bound = Duration::from_millis(N as u64 * MS) + env.deadline(Duration::from_secs(3));
    let idle = env.deadline(Duration::from_secs(3));
    let mut healthy = vec![spawn_collect(origin, idle, bound)];
    for _ in 0..3 {
        let s = t
            .subscribe(&id, ConnOpts::default(), d)
            .await
            .map_err(|e| harness("healthy subscriber", e))?;
        healthy.push(spawn_collect(s, idle, bound));
    }
    let mut worst = Duration::ZERO;
    for (i, h) in healthy.into_iter().enumerate() {
        let mut log = h.await.map_err(|e| Outcome::error(e.to_string()))?;
        if i == 0 {
            log.events.insert(0, first.clone());
        }
        if let Err(why) = whole(&log, N) {
            return Err(Outcome::fail(
                "a healthy subscriber suffered next to a stalled one",
                format!("all {N} chunks and the terminal state within {bound:?}"),
                format!("reader {i}: {why}; {}", log.outline()),
            ));
        }
        worst = worst.max(t0.elapsed());
    }
    crate::wire::reset(stalled.into_socket());
    Ok(Outcome::pass(format!(
        "4 healthy readers whole within {worst:?} (task nominal {:?}, bound {bound:?}) while one reader stalled",
        Duration::from_millis(N as u64 * MS)
    )))
}

async fn fan_out_one_task(env: Env) -> Judged {
    const N: i64 = 100;
    const MS: u64 = 20;
    let t = env.target().clone();
    let readers = gauges::socket_budget(120).max(1);
    let t0 = Instant::now();
    let (origin, first, id) =
        start_stream_task(&env, &t, N as u32, MS as u32, ConnOpts::default()).await?;
    let d = env.deadline(Duration::from_secs(5));
    let stalled = t
        .subscribe(
            &id,
            ConnOpts {
                recv_buffer: Some(2048),
                read_size: Some(1),
            },
            d,
        )
        .await
        .map_err(|e| harness("stalled subscriber", e))?;
    let bound = Duration::from_millis(N as u64 * MS) + env.deadline(Duration::from_secs(5));
    let idle = env.deadline(Duration::from_secs(3));
    let origin = spawn_collect(origin, idle, bound);
    let mut set = JoinSet::new();
    for _ in 0..readers {
        let t = t.clone();
        let id = id.clone();
        set.spawn(async move {
            match t.subscribe(&id, ConnOpts::default(), d).await {
                Ok(s) => Ok(s.collect(idle, bound).await),
                Err(e) => Err(e),
            }
        });
    }
    let mut logs = Vec::new();
    while let Some(r) = set.join_next().await {
        match r {
            Ok(Ok(log)) => logs.push(log),
            Ok(Err(e)) => return Err(harness("subscribe", e)),
            Err(e) => return Err(Outcome::error(e.to_string())),
        }
    }
    let mut o = origin.await.map_err(|e| Outcome::error(e.to_string()))?;
    o.events.insert(0, first);
    logs.push(o);
    let elapsed = t0.elapsed();
    for (i, log) in logs.iter().enumerate() {
        if let Err(why) = whole(log, N) {
            return Err(Outcome::fail(
                "fan-out readers of one task disagree",
                format!("every reader: chunks 0..{N}, terminal state, clean end"),
                format!("reader {i} of {}: {why}; {}", logs.len(), log.outline()),
            ));
        }
    }
    crate::wire::reset(stalled.into_socket());
    Ok(Outcome::pass(format!(
        "{} readers reconstructed the same {N} chunks and the terminal state in {elapsed:?} (one reader stalled)",
        logs.len()
    )))
}

async fn fan_out_many_tasks(env: Env) -> Judged {
    const N: i64 = 40;
    const TASKS: usize = 25;
    let t = env.target().clone();
    let tasks = gauges::socket_budget(TASKS * 4) / 4;
    let d = env.deadline(Duration::from_secs(5));
    let bound = Duration::from_millis(N as u64 * 25) + env.deadline(Duration::from_secs(5));
    let idle = env.deadline(Duration::from_secs(3));
    let mut set = JoinSet::new();
    for k in 0..tasks.max(1) {
        let env = env.clone();
        let t = t.clone();
        set.spawn(async move {
            let (origin, first, id) =
                start_stream_task(&env, &t, N as u32, 25, ConnOpts::default()).await?;
            let mut handles = vec![spawn_collect(origin, idle, bound)];
            for _ in 0..3 {
                let s = t
                    .subscribe(&id, ConnOpts::default(), d)
                    .await
                    .map_err(|e| harness("subscribe", e))?;
                handles.push(spawn_collect(s, idle, bound));
            }
            for (i, h) in handles.into_iter().enumerate() {
                let mut log = h.await.map_err(|e| Outcome::error(e.to_string()))?;
                if i == 0 {
                    log.events.insert(0, first.clone());
                }
                if let Err(why) = whole(&log, N) {
                    return Err(Outcome::fail(
                        "streams of one task disagree under fan-out across tasks",
                        format!("every stream: chunks 0..{N}, terminal state, clean end"),
                        format!("task {k} stream {i}: {why}; {}", log.outline()),
                    ));
                }
            }
            Ok::<(), Outcome>(())
        });
    }
    while let Some(r) = set.join_next().await {
        r.map_err(|e| Outcome::error(e.to_string()))??;
    }
    Ok(Outcome::pass(format!(
        "{} tasks × 4 streams: every stream whole, in order and terminal",
        tasks.max(1)
    )))
}
