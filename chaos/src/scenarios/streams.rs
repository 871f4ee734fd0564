//! Slow consumers and fan-out (digest §1.3 event order, §3.1.2 stream end, §6 lifecycle).
//!
//! A server may cut off a subscriber that cannot keep up, as long as it says so by ending the
//! stream; the client then resubscribes and starts again from a fresh Task snapshot (§1.3). What
//! it must never do is drop events silently, reorder them, or let one stalled reader slow
//! everyone else down.

use std::time::Duration;

use gauntlet_conformance::case::{Judged, Level, Outcome};
use tokio::time::Instant;

use super::common::{harness, is_unsupported, spawn_collect, start_stream_task};
use crate::a2a::{self, End, Event, Log, Sequence, Stream};
use crate::gauges;
use crate::scenario::{Env, Need, Scenario};
use crate::wire::ConnOpts;
use crate::{fmt_duration, scenario_fn, ScenarioInfo};

/// The scenarios of this family.
pub const SCENARIOS: [Scenario; 4] = [
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-SLOW-001",
            level: Level::Must,
            title: "stream `stream N 0` (N sized to the server from two short streams, at most 20000) to a slow consumer (4 KiB SO_RCVBUF; no reads until a healthy subscriber has seen 75% of the chunks, then small reads)",
            spec: "§1.3, §3.1.2 (STRM-007, SSE-004)",
            requirement: "each subscriber, healthy and slow alike, gets every event in order, or its stream ends explicitly and a resubscription's Task snapshot is consistent (NON-STRICT); never a silent gap, reordering or stall",
        },
        needs: &[Need::TestAgent, Need::Streaming],
        run: scenario_fn!(slow_consumer),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-SLOW-002",
            level: Level::Must,
            title: "subscribe a reader that never reads, plus 3 healthy readers, to one `stream 200 5` task",
            spec: "§3.1.2, §3.5.2 (STRM-007, STRM-010)",
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
        return Err(format!(
            "last state: {}",
            crate::a2a::fmt_state(seq.last_state.as_deref())
        ));
    }
    if log.end != End::Clean {
        return Err(log.end.to_string());
    }
    Ok(())
}

/// How a CHAOS-SLOW-001 reader fared. Healthy and slow readers are judged by this one rule: a
/// server may cut off any reader that falls behind, provided it ends the stream (§1.3; the
/// client then resubscribes from a fresh snapshot).
#[derive(Debug, PartialEq)]
enum Reading {
    /// Every chunk in order, the terminal state, a clean end.
    Whole,
    /// The stream ended before the terminal state, after this many contiguous chunks.
    CutOff(i64),
}

/// Applies the rule; `Err` is a failure (what went wrong, and the evidence).
fn reading(log: &Log, n: i64) -> Result<Reading, (&'static str, String)> {
    let seq = log.sequence();
    if !seq.problems.is_empty() {
        return Err((
            "a silent gap or reordering",
            format!("{}; {}", seq.problems.join("; "), log.outline()),
        ));
    }
    if let End::Hang(_) = log.end {
        // The outline ends with the hang and how long it lasted.
        return Err(("a stall: no event and no end", log.outline()));
    }
    let have = seq.contiguous();
    if seq.terminal() {
        if have != n {
            return Err((
                "the terminal state without every chunk",
                format!("{have} of {n} chunks; {}", log.outline()),
            ));
        }
        if log.end == End::Clean {
            return Ok(Reading::Whole);
        }
    }
    Ok(Reading::CutOff(have))
}

/// Reads `stream` into `log` until an event carries chunk `upto` or later. `None` (with
/// `log.end` set) when the stream ended first.
async fn read_until(
    mut stream: Stream,
    log: &mut Log,
    upto: i64,
    idle: Duration,
) -> Option<Stream> {
    loop {
        match stream.next(idle).await {
            Ok(Some(ev)) => {
                let seq = max_seq(&ev);
                log.push(ev);
                if seq >= upto {
                    return Some(stream);
                }
            }
            Ok(None) => log.end = End::Clean,
            Err(e) if e.is_timeout() => log.end = End::Hang(idle),
            Err(e) => log.end = End::Abrupt(e.to_string()),
        }
        if log.end != End::Stopped {
            return None;
        }
    }
}

/// Chunks of the two sizing streams of CHAOS-SLOW-001: two sizes, so a server whose cost per
/// chunk grows with the stream (one that copies the whole task per event) is sized by its real
/// curve, not by a straight line through a short stream.
const PROBE_CHUNKS: [i64; 2] = [200, 1000];
/// Most chunks CHAOS-SLOW-001 streams: about 5 MB, past every kernel buffer on a loopback path,
/// so the server's own per-subscriber buffering is what gets tested.
const MAX_CHUNKS: i64 = 20_000;
/// How long (before scaling) the main stream should take at the server's measured pace, so a
/// slow server still finishes well inside the scenario budget.
const STREAM_TIME: Duration = Duration::from_secs(10);

/// Whether `ev` is a status update to a terminal state.
fn is_terminal_update(ev: &Event) -> bool {
    matches!(ev, Event::Result(v) if v["statusUpdate"]["status"]["state"]
        .as_str()
        .is_some_and(a2a::is_terminal))
}

/// Streams `n` chunks to one prompt reader; the time until the terminal state arrived. Whether
/// the stream then closes is STRM-004's to judge, so sizing neither waits for nor needs it.
async fn sizing_stream(env: &Env, n: i64) -> Result<Duration, Outcome> {
    let t = env.target().clone();
    let t0 = Instant::now();
    let (mut stream, first, _) =
        start_stream_task(env, &t, n as u32, 0, ConnOpts::default()).await?;
    let (idle, overall) = (
        env.deadline(Duration::from_secs(5)),
        env.deadline(Duration::from_secs(60)),
    );
    let mut log = Log::default();
    log.push(first);
    while log.end == End::Stopped {
        let left = overall.saturating_sub(t0.elapsed());
        match stream.next(idle.min(left)).await {
            Ok(Some(ev)) => {
                let last = is_terminal_update(&ev);
                log.push(ev);
                if last {
                    // Counted as a clean end: the terminal state is what sizing waits for.
                    log.end = End::Clean;
                }
            }
            Ok(None) => log.end = End::Clean,
            Err(e) if e.is_timeout() => log.end = End::Hang(t0.elapsed()),
            Err(e) => log.end = End::Abrupt(e.to_string()),
        }
    }
    let took = t0.elapsed();
    match reading(&log, n) {
        Ok(Reading::Whole) => Ok(took),
        Ok(Reading::CutOff(seen)) => Err(Outcome::error(format!(
            "cannot size the scenario: the sizing stream (one prompt reader) ended after {seen} of {n} chunks; {}",
            log.outline()
        ))),
        Err((what, evidence)) => Err(Outcome::fail(
            format!("the sizing stream (one prompt reader, nothing else running) has {what}"),
            format!("chunks 0..{n} in order, the terminal state, a clean end"),
            evidence,
        )),
    }
}

/// The chunk count (at most `max`) whose stream takes about `budget`, and the time the fit
/// predicts for it, from two measured points of the server's time curve fitted as `t = a·nᵏ`
/// (k between 1 and 3: never cheaper than linear).
fn fit_chunks(points: [(i64, Duration); 2], budget: Duration, max: i64) -> (i64, Duration) {
    let [(n0, t0), (n1, t1)] = points;
    let (t0, t1) = (t0.as_secs_f64().max(1e-6), t1.as_secs_f64().max(1e-6));
    let k = ((t1 / t0).ln() / (n1 as f64 / n0 as f64).ln()).clamp(1.0, 3.0);
    let n = ((n1 as f64 * (budget.as_secs_f64() / t1).powf(1.0 / k)) as i64)
        .clamp(PROBE_CHUNKS[0], max.max(PROBE_CHUNKS[0]));
    let predicted = t1 * (n as f64 / n1 as f64).powf(k);
    (n, Duration::from_secs_f64(predicted.min(3600.0)))
}

/// Sizes a `stream N 0` task to the server: streams [`PROBE_CHUNKS`] to one reader and fits the
/// measured curve to `budget` (before scaling), with at most `max` chunks. Returns the chunk
/// count, the time the fit predicts for it, and what was measured (for the evidence). Every
/// scenario that needs a long stream sizes it here, so a server whose cost per chunk grows with
/// the stream still finishes inside the scenario's waits.
pub(crate) async fn size_to_server(
    env: &Env,
    budget: Duration,
    max: i64,
) -> Result<(i64, Duration, String), Outcome> {
    let mut points = [(0, Duration::ZERO); 2];
    for (slot, n) in points.iter_mut().zip(PROBE_CHUNKS) {
        *slot = (n, sizing_stream(env, n).await?);
    }
    let (n, pace) = fit_chunks(points, env.deadline(budget), max);
    let measured = points
        .iter()
        .map(|(n, t)| format!("{n} took {}", fmt_duration(*t)))
        .collect::<Vec<_>>()
        .join(", ");
    Ok((n, pace, measured))
}

async fn slow_consumer(env: Env) -> Judged {
    let (n, pace, measured) = size_to_server(&env, STREAM_TIME, MAX_CHUNKS).await?;
    let sizing = format!("sized to the server: {n} chunks ({measured})");
    let t = env.target().clone();
    let opts = ConnOpts {
        recv_buffer: Some(4096),
        read_size: Some(4096),
    };
    let (stream, first, id) = start_stream_task(&env, &t, n as u32, 0, opts).await?;
    // A healthy subscriber on the same task. The slow consumer reads nothing until the healthy
    // one has seen three quarters of the chunks (or was cut off), then drains while the
    // producer is still running, so events dropped in between show as a gap.
    let bound = env.deadline(Duration::from_secs(20)) + pace * 3;
    let idle = env.deadline(Duration::from_secs(5));
    let healthy = t
        .subscribe(
            &id,
            ConnOpts::default(),
            env.deadline(Duration::from_secs(5)),
        )
        .await
        .map_err(|e| harness("healthy subscriber", e))?;
    let mut h = Log::default();
    let rest = read_until(healthy, &mut h, n * 3 / 4, idle)
        .await
        .map(|s| env.spawn(s.collect(idle, bound)));
    let mut slow = stream.collect(idle, bound).await;
    slow.events.insert(0, first);
    if let Some(rest) = rest {
        let rest = rest.await.map_err(|e| Outcome::error(e.to_string()))?;
        h.events.extend(rest.events);
        h.end = rest.end;
    }
    let mut cut = Vec::new();
    for (who, log) in [("healthy", &h), ("slow", &slow)] {
        match reading(log, n) {
            Err((what, evidence)) => {
                return Err(Outcome::fail(
                    format!("the {who} subscriber's stream has {what}"),
                    format!("chunks 0..{n} in order and the terminal state, or an explicit end"),
                    format!("{evidence} ({sizing})"),
                ))
            }
            Ok(Reading::Whole) => {}
            Ok(Reading::CutOff(seen)) => cut.push((who, seen, &log.end)),
        }
    }
    if cut.is_empty() {
        return Ok(Outcome::pass(format!(
            "both subscribers got all {n} chunks in order, then {}, clean end; {sizing}",
            crate::a2a::fmt_state(slow.sequence().last_state.as_deref())
        )));
    }
    // Cut off explicitly before the end: the resubscription must be consistent with what the
    // readers saw.
    let seen = cut.iter().map(|(_, s, _)| *s).max().unwrap_or(0);
    let snapshot = resubscribe_snapshot(&env, &id).await?;
    let snap = Sequence::of(&[Event::Result(serde_json::json!({"task": snapshot}))]);
    if !snap.problems.is_empty() || (snap.snapshot.len() as i64) < seen {
        return Err(Outcome::fail(
            "after the cut-off, the Task snapshot is inconsistent with what the stream delivered",
            format!("a snapshot holding chunks 0..{seen} or more, in order"),
            format!("snapshot chunks {}", crate::a2a::fmt_seqs(&snap.snapshot)),
        ));
    }
    let who: Vec<String> = cut
        .iter()
        .map(|(who, seen, end)| format!("the {who} one after {seen} of {n} chunks ({end})"))
        .collect();
    Ok(Outcome::non_strict(
        "a subscriber that fell behind was cut off explicitly; the resubscription snapshot is consistent",
        "all events delivered to every subscriber",
        format!(
            "cut off: {}; the fresh snapshot holds {} chunks; {sizing}",
            who.join(", "),
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
                crate::a2a::fmt_next(&other),
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

/// One `stream N MS` task with a stalled subscriber (tiny receive buffer, never read) and
/// `readers` healthy ones besides its origin stream. Returns every healthy reader's log (the
/// origin first, with its first event), the time until the last one ended, and the bound.
async fn beside_a_stalled_reader(
    env: &Env,
    n: i64,
    ms: u64,
    readers: usize,
    slack: Duration,
) -> Result<(Vec<Log>, Duration, Duration), Outcome> {
    let t = env.target().clone();
    let t0 = Instant::now();
    let (origin, first, id) =
        start_stream_task(env, &t, n as u32, ms as u32, ConnOpts::default()).await?;
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
    let bound = Duration::from_millis(n as u64 * ms) + env.deadline(slack);
    let idle = env.deadline(Duration::from_secs(3));
    let mut handles = vec![env.spawn(async move { Ok(origin.collect(idle, bound).await) })];
    for _ in 0..readers {
        let (t, id) = (t.clone(), id.clone());
        handles.push(env.spawn(async move {
            match t.subscribe(&id, ConnOpts::default(), d).await {
                Ok(s) => Ok(s.collect(idle, bound).await),
                Err(e) => Err(e),
            }
        }));
    }
    let mut logs = Vec::with_capacity(handles.len());
    for (i, h) in handles.into_iter().enumerate() {
        let mut log = match h.await {
            Ok(Ok(log)) => log,
            Ok(Err(e)) => return Err(harness("subscribe", e)),
            Err(e) => return Err(Outcome::error(e.to_string())),
        };
        if i == 0 {
            log.events.insert(0, first.clone());
        }
        logs.push(log);
    }
    let elapsed = t0.elapsed();
    if let Some(s) = stalled.into_socket() {
        crate::wire::reset(s);
    }
    Ok((logs, elapsed, bound))
}

async fn stalled_reader_isolated(env: Env) -> Judged {
    const N: i64 = 200;
    const MS: u64 = 5;
    let (logs, elapsed, bound) =
        beside_a_stalled_reader(&env, N, MS, 3, Duration::from_secs(3)).await?;
    for (i, log) in logs.iter().enumerate() {
        if let Err(why) = whole(log, N) {
            return Err(Outcome::fail(
                "a healthy subscriber suffered next to a stalled one",
                format!(
                    "all {N} chunks and the terminal state within {}",
                    fmt_duration(bound)
                ),
                format!("reader {i}: {why}; {}", log.outline()),
            ));
        }
    }
    Ok(Outcome::pass(format!(
        "{} healthy readers whole within {} (task nominal {}, bound {}) while one reader stalled",
        logs.len(),
        fmt_duration(elapsed),
        fmt_duration(Duration::from_millis(N as u64 * MS)),
        fmt_duration(bound)
    )))
}

async fn fan_out_one_task(env: Env) -> Judged {
    const N: i64 = 100;
    const MS: u64 = 20;
    let readers = gauges::socket_budget(120).max(1);
    let (logs, elapsed, _) =
        beside_a_stalled_reader(&env, N, MS, readers, Duration::from_secs(5)).await?;
    for (i, log) in logs.iter().enumerate() {
        if let Err(why) = whole(log, N) {
            return Err(Outcome::fail(
                "fan-out readers of one task disagree",
                format!("every reader: chunks 0..{N}, terminal state, clean end"),
                format!("reader {i} of {}: {why}; {}", logs.len(), log.outline()),
            ));
        }
    }
    Ok(Outcome::pass(format!(
        "{} readers reconstructed the same {N} chunks and the terminal state in {} (one reader stalled)",
        logs.len(),
        fmt_duration(elapsed)
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
    let mut handles = Vec::new();
    for k in 0..tasks.max(1) {
        let env = env.clone();
        let t = t.clone();
        handles.push(env.clone().spawn(async move {
            let (origin, first, id) =
                start_stream_task(&env, &t, N as u32, 25, ConnOpts::default()).await?;
            let mut handles = vec![spawn_collect(&env, origin, idle, bound)];
            for _ in 0..3 {
                let s = t
                    .subscribe(&id, ConnOpts::default(), d)
                    .await
                    .map_err(|e| harness("subscribe", e))?;
                handles.push(spawn_collect(&env, s, idle, bound));
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
        }));
    }
    for h in handles {
        h.await.map_err(|e| Outcome::error(e.to_string()))??;
    }
    Ok(Outcome::pass(format!(
        "{} tasks × 4 streams: every stream whole, in order and terminal",
        tasks.max(1)
    )))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_linear_server_is_sized_by_a_straight_line_and_a_superlinear_one_by_its_curve() {
        let ms = Duration::from_millis;
        // 1 ms per chunk: 10 s is 10,000 chunks.
        let (n, t) = fit_chunks(
            [(200, ms(200)), (1000, ms(1000))],
            Duration::from_secs(10),
            MAX_CHUNKS,
        );
        assert_eq!(n, 10_000);
        assert!((t.as_secs_f64() - 10.0).abs() < 0.01, "{t:?}");
        // A fast server is capped at the most the scenario streams.
        assert_eq!(
            fit_chunks(
                [(200, ms(2)), (1000, ms(10))],
                Duration::from_secs(10),
                MAX_CHUNKS
            )
            .0,
            MAX_CHUNKS
        );
        // Quadratic (a server that copies the task per event): far fewer than the line says.
        let (n, _) = fit_chunks(
            [(200, ms(40)), (1000, ms(1000))],
            Duration::from_secs(10),
            MAX_CHUNKS,
        );
        assert!((3000..=3300).contains(&n), "{n}");
        // Noise that makes the long probe look cheaper than linear never sizes it up.
        assert_eq!(
            fit_chunks(
                [(200, ms(400)), (1000, ms(1000))],
                Duration::from_secs(10),
                MAX_CHUNKS
            )
            .0,
            10_000
        );
        // A smaller cap (CHAOS-HALF-001's) holds, and so does the floor of the short probe.
        assert_eq!(
            fit_chunks([(200, ms(2)), (1000, ms(10))], Duration::from_secs(5), 3000).0,
            3000
        );
        assert_eq!(
            fit_chunks(
                [(200, ms(8000)), (1000, ms(40000))],
                Duration::from_secs(5),
                3000
            )
            .0,
            200
        );
    }

    fn log(seqs: impl IntoIterator<Item = i64>, last: Option<&str>, end: End) -> Log {
        let mut log = Log {
            end,
            ..Log::default()
        };
        log.push(Event::Result(
            json!({"task": {"id": "t", "status": {"state": "TASK_STATE_WORKING"}}}),
        ));
        for seq in seqs {
            log.push(Event::Result(json!({"artifactUpdate": {"taskId": "t",
                "artifact": {"artifactId": "stream", "parts": [{"data": {"seq": seq, "of": 10}}]}}})));
        }
        if let Some(state) = last {
            log.push(Event::Result(
                json!({"statusUpdate": {"taskId": "t", "status": {"state": state}}}),
            ));
        }
        log
    }

    #[test]
    fn every_reader_is_whole_or_cut_off_by_the_same_rule() {
        let done = Some("TASK_STATE_COMPLETED");
        assert_eq!(
            reading(&log(0..10, done, End::Clean), 10),
            Ok(Reading::Whole)
        );
        // A clean end before the terminal state is a cut-off, whichever reader it happens to.
        assert_eq!(
            reading(&log(0..4, None, End::Clean), 10),
            Ok(Reading::CutOff(4))
        );
        assert_eq!(
            reading(&log(0..4, None, End::Abrupt("reset".into())), 10),
            Ok(Reading::CutOff(4))
        );
    }

    #[test]
    fn gaps_stalls_and_a_premature_terminal_state_fail_a_reader() {
        let gap = reading(&log([0, 1, 5], None, End::Clean), 10).unwrap_err();
        assert!(gap.0.contains("gap"), "{gap:?}");
        let stall = reading(&log(0..4, None, End::Hang(Duration::from_secs(5))), 10).unwrap_err();
        assert!(stall.0.contains("stall"), "{stall:?}");
        let early = reading(&log(0..4, Some("TASK_STATE_FAILED"), End::Clean), 10).unwrap_err();
        assert!(early.0.contains("terminal"), "{early:?}");
    }
}
