//! Cases for STRM (digest §9.6, STRM-001 to STRM-010): the order and end of message streams
//! (§3.1.2) and several streams on one task (§3.5.2).

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{closed, intact, stream_plain, task_of_stream, PLAIN};
use crate::case::{Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::client::StreamAnswer;
use crate::context::Ctx;
use crate::driver::{
    self, collect, event_state, member, next, open, open_text, short, summarize,
    untested_without_task, values, End,
};
use crate::expect;
use crate::spec::Method;

/// The first event must be a Task for cases about Task streams: a Message leaves the row
/// UNTESTED (it applies, this agent's answer kept it from being observed); anything else makes
/// it NOT-APPLICABLE (STRM-001 judges the first event).
fn task_first(events: &[Value]) -> Result<Value, Outcome> {
    match events.first().and_then(member) {
        Some(("task", t)) => Ok(t.clone()),
        Some(("message", _)) => Err(Outcome::untested(
            "the agent answered with a Message, so there is no task stream to judge",
            driver::HELP_TASK_ANSWER,
        )),
        _ => Err(Outcome::not_applicable(format!(
            "the stream does not start with a Task (STRM-001 judges that): {}",
            summarize(events)
        ))),
    }
}

/// The number of artifactUpdate events among `events`.
fn chunk_count(events: &[Value]) -> usize {
    events
        .iter()
        .filter(|e| matches!(member(e), Some(("artifactUpdate", _))))
        .count()
}

/// STRM-001 (revised 2026-12-02): the first event is a Task or a Message, for a new task and
/// for a streamed follow-up to an INPUT_REQUIRED task alike. Only the test agent makes an
/// INPUT_REQUIRED task on request; without it the follow-up half is UNTESTED.
pub(crate) const STRM_001: Case = Case {
    id: "STRM-001",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Streaming],
    title: "SendStreamingMessage with a text message, and (test agent) a streamed follow-up to an INPUT_REQUIRED task",
    requirement: "the first event is a Task or a Message, for a new task and for a follow-up alike",
    spec: "§3.1.2",
    exec: Exec::Run(crate::run_fn!(strm_001)),
};
async fn strm_001(ctx: Ctx) -> Judged {
    let mut checks = Checks::new();
    checks.judged(first_event(&ctx, "a new task's stream", PLAIN, json!({})).await);
    if ctx.target().test_agent {
        checks.judged(follow_up_first(&ctx).await);
    } else {
        checks.add(Outcome::untested(
            "the streamed follow-up was not probed: it needs an INPUT_REQUIRED task, which only the test agent makes on request",
            crate::context::HELP_TEST_AGENT,
        ));
    }
    checks.finish("the first event is a Task or a Message")
}

/// Streams `text` (with `message_extra` merged into the message), judges the first event and
/// reads the stream to its end.
async fn first_event(ctx: &Ctx, what: &str, text: &str, message_extra: Value) -> Judged {
    let mut r = open_text(ctx, text, message_extra).await?;
    let first = next(&mut r, short(ctx)).await?;
    let _ = collect(&mut r, short(ctx)).await;
    match first.as_ref().and_then(member) {
        Some((k @ ("task" | "message"), _)) => {
            Ok(Outcome::pass(format!("{what} starts with a {k}")))
        }
        _ => Err(Outcome::fail(
            format!("{what}: the first event is neither a Task nor a Message"),
            "{\"task\":…} or {\"message\":…} first",
            first.map_or_else(|| "EOF with no event".to_owned(), |v| expect::show(&v)),
        )),
    }
}

/// The STRM-001 follow-up probe: an `input-required` task, then a streamed follow-up message
/// to it (the test agent answers it with an echo, test-agent.md §4).
async fn follow_up_first(ctx: &Ctx) -> Judged {
    let g = driver::interrupted(ctx, "input-required", "TASK_STATE_INPUT_REQUIRED")
        .await
        .map_err(untested_without_task)?;
    let judged = first_event(
        ctx,
        "a streamed follow-up to an INPUT_REQUIRED task",
        "echo gauntlet follow-up",
        json!({ "taskId": g.id }),
    )
    .await;
    // The echo completes the task; cancelling covers a server that did not resume it.
    g.cancel().await;
    judged
}

/// STRM-002: a Message-first stream has exactly one event, then closes.
pub(crate) const STRM_002: Case = Case {
    id: "STRM-002",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Streaming, Need::TestAgent],
    title: "stream `message hi` (the agent answers with a Message)",
    requirement: "a Message-first stream has exactly one event, then closes",
    spec: "§3.1.2",
    exec: Exec::Run(crate::run_fn!(strm_002)),
};
async fn strm_002(ctx: Ctx) -> Judged {
    let mut r = open_text(&ctx, "message hi", json!({})).await?;
    let (got, end) = collect(&mut r, short(&ctx)).await;
    let events = values(&got);
    match events.first().and_then(member) {
        Some(("message", _)) => {}
        _ => {
            return Err(Outcome::fail(
                "`message` did not produce a Message-first stream",
                "a single {\"message\":…} event (test agent `message` command)",
                summarize(&events),
            ))
        }
    }
    let mut checks = Checks::new();
    if events.len() != 1 {
        checks.add(Outcome::fail(
            "more than one event after a Message",
            "exactly one {\"message\"} event, then EOF",
            summarize(&events),
        ));
    }
    checks.check(closed(&end, &events));
    checks.finish("one Message event, then EOF")
}

/// STRM-003: a Task-first stream continues only with status and artifact updates.
pub(crate) const STRM_003: Case = Case {
    id: "STRM-003",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Streaming],
    title: "stream a message that creates a task",
    requirement: "after the Task come only statusUpdate/artifactUpdate events",
    spec: "§3.1.2",
    exec: Exec::Run(crate::run_fn!(strm_003)),
};
async fn strm_003(ctx: Ctx) -> Judged {
    let (events, end) = stream_plain(&ctx).await?;
    task_first(&events)?;
    let rest = &events[1..];
    let bad: Vec<String> = rest
        .iter()
        .enumerate()
        .filter(|(i, e)| {
            let update = matches!(member(e), Some(("statusUpdate" | "artifactUpdate", _)));
            // §11.7 allows a final Task snapshot before the close.
            let final_snapshot = *i + 1 == rest.len() && matches!(member(e), Some(("task", _)));
            !update && !final_snapshot
        })
        .map(|(i, e)| format!("event {}: {}", i + 2, expect::show(e)))
        .collect();
    let mut checks = Checks::new();
    if !bad.is_empty() {
        checks.add(Outcome::fail(
            "a Task stream carried an event other than statusUpdate/artifactUpdate",
            "Task, then only statusUpdate/artifactUpdate (a final Task snapshot is allowed, §11.7)",
            format!("{} — offending: {}", summarize(&events), bad.join("; ")),
        ));
    }
    checks.check(intact(&end, &events));
    checks.finish(summarize(&events))
}

/// STRM-004: the stream closes once the task is terminal.
pub(crate) const STRM_004: Case = Case {
    id: "STRM-004",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Streaming],
    title: "stream a message that creates a task",
    requirement: "the stream closes once the task is terminal",
    spec: "§3.1.2",
    exec: Exec::Run(crate::run_fn!(strm_004)),
};
async fn strm_004(ctx: Ctx) -> Judged {
    let (events, end) = stream_plain(&ctx).await?;
    task_of_stream(&events)?;
    let term = events
        .iter()
        .position(|e| event_state(e).is_some_and(driver::is_terminal));
    let Some(t) = term else {
        return Err(Outcome::fail(
            "no terminal state reached on the stream",
            "a terminal status, then EOF",
            format!("{} ({end:?})", summarize(&events)),
        ));
    };
    let mut checks = Checks::new();
    if events[t + 1..]
        .iter()
        .any(|e| !matches!(member(e), Some(("task", _))))
    {
        checks.add(Outcome::fail(
            "events after the terminal state",
            "EOF after the terminal status (at most a final Task snapshot)",
            summarize(&events),
        ));
    }
    checks.check(closed(&end, &events));
    checks.finish(format!("closed after {}", summarize(&events[..=t])))
}

/// Streams `command` until `want`, then watches whether the stream closes by itself.
async fn closes_at(ctx: &Ctx, command: &str, want: &str) -> Result<String, Outcome> {
    let mut r = open_text(ctx, command, json!({})).await?;
    let events = driver::read_until(&mut r, short(ctx), |s| s == want).await?;
    let (id, _) = task_of_stream(&events)?;
    let g = driver::guard(ctx, json!({ "id": id }))?;
    let seen = match r.next(ctx.deadline(Duration::from_secs(2))).await {
        Ok(None) => format!("closes at {want}"),
        Ok(Some(_)) => format!("continues after {want}"),
        Err(crate::errors::ProbeError::Timeout(_)) => format!("stays open at {want}"),
        Err(e) => format!("breaks at {want} ({e})"),
    };
    drop(r);
    g.cancel().await;
    Ok(seen)
}

/// STRM-005: interrupted states may or may not close a message stream.
pub(crate) const STRM_005: Case = Case {
    id: "STRM-005",
    level: Level::May,
    bindings: Bindings::Each,
    needs: &[Need::Streaming, Need::TestAgent],
    title: "stream `input-required` and `auth-required`",
    requirement:
        "the stream may close at INPUT_REQUIRED / AUTH_REQUIRED, or stay open (never a failure)",
    spec: "§11.7, §7.6.1",
    exec: Exec::Run(crate::run_fn!(strm_005)),
};
async fn strm_005(ctx: Ctx) -> Judged {
    let mut checks = Checks::new();
    let mut seen = Vec::new();
    for (cmd, want) in [
        ("input-required", "TASK_STATE_INPUT_REQUIRED"),
        ("auth-required", "TASK_STATE_AUTH_REQUIRED"),
    ] {
        match closes_at(&ctx, cmd, want).await {
            Ok(s) => seen.push(format!("`{cmd}`: the stream {s}")),
            Err(o) => checks.add(o),
        }
    }
    if checks.failed() {
        seen.into_iter().for_each(|s| checks.note(s));
        return checks.finish("");
    }
    Ok(Outcome::info(format!(
        "{} (both behaviours are allowed)",
        seen.join("; ")
    )))
}

/// STRM-006: event taskId/contextId equal those of the stream's Task.
pub(crate) const STRM_006: Case = Case {
    id: "STRM-006",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Streaming],
    title: "stream a message that creates a task",
    requirement: "taskId/contextId of every event equal those of the stream's Task",
    spec: "proto REQ",
    exec: Exec::Run(crate::run_fn!(strm_006)),
};
async fn strm_006(ctx: Ctx) -> Judged {
    let (events, _) = stream_plain(&ctx).await?;
    let (id, context) = task_of_stream(&events)?;
    let mut checks = Checks::new();
    for (i, e) in events.iter().enumerate() {
        let Some((k, u)) = member(e) else { continue };
        if k == "task" || k == "message" {
            continue;
        }
        let eid = u.get("taskId").and_then(Value::as_str);
        let ectx = u.get("contextId").and_then(Value::as_str);
        if eid != Some(id.as_str()) || ectx.map(str::to_owned) != context || ectx.is_none() {
            checks.add(Outcome::fail(
                format!("event {} names another task or context", i + 1),
                format!("taskId {id:?} and contextId {context:?} on every event"),
                expect::show(e),
            ));
        }
    }
    checks.finish(format!("{} events, all for task {id}", events.len()))
}

/// STRM-007: several streams on one task see the same events; closing one leaves the others.
pub(crate) const STRM_007: Case = Case {
    id: "STRM-007",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Streaming, Need::TestAgent],
    title: "three SubscribeToTask on one `stream 8 250` task; drop one early",
    requirement:
        "the streams get the same events in the same order; closing one leaves the others open",
    spec: "§3.5.2",
    exec: Exec::Run(crate::run_fn!(strm_007)),
};
async fn strm_007(ctx: Ctx) -> Judged {
    let g = driver::start(&ctx, "stream 8 250", json!({}))
        .await
        .map_err(untested_without_task)?;
    let params = json!({ "id": g.id });
    let mut a = open(&ctx, Method::SubscribeToTask, params.clone()).await?;
    // The snapshots are judged by SUB-001; the events after them are compared here.
    let _a0 = next(&mut a, short(&ctx)).await?;
    let mut b = open(&ctx, Method::SubscribeToTask, params.clone()).await?;
    let _b0 = next(&mut b, short(&ctx)).await?;
    let mut c = open(&ctx, Method::SubscribeToTask, params).await?;
    let _c0 = next(&mut c, short(&ctx)).await?;
    drop(c);
    let ((ga, ea), (gb, eb)) =
        tokio::join!(collect(&mut a, short(&ctx)), collect(&mut b, short(&ctx)));
    let (va, vb) = (values(&ga), values(&gb));
    let mut checks = Checks::new();
    checks.check(intact(&ea, &va));
    checks.check(intact(&eb, &vb));
    let (long, shortv) = if va.len() >= vb.len() {
        (&va, &vb)
    } else {
        (&vb, &va)
    };
    if !long.ends_with(shortv) {
        checks.add(Outcome::fail(
            "two subscriptions saw different events",
            "the same events in the same order (the later subscriber's a tail of the earlier's)",
            format!("A: {} | B: {}", summarize(&va), summarize(&vb)),
        ));
    }
    if !vb.iter().filter_map(event_state).any(driver::is_terminal) {
        checks.add(Outcome::fail(
            "a subscription stopped receiving after another one was closed",
            "the remaining subscriptions receive every event up to the terminal status",
            summarize(&vb),
        ));
    } else {
        g.disarm();
    }
    checks.finish(format!(
        "A and B agree ({} / {} events); B kept receiving after C was closed",
        va.len(),
        vb.len()
    ))
}

/// STRM-008: dropping a stream does not cancel the task.
pub(crate) const STRM_008: Case = Case {
    id: "STRM-008",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Streaming, Need::TestAgent],
    title: "stream `slow 1500`, drop the stream after the first event",
    requirement: "the task outlives its stream and still completes",
    spec: "§3.5.2",
    exec: Exec::Run(crate::run_fn!(strm_008)),
};
async fn strm_008(ctx: Ctx) -> Judged {
    let mut r = open_text(&ctx, "slow 1500", json!({})).await?;
    let first = next(&mut r, short(&ctx)).await?;
    drop(r);
    let (id, _) = task_of_stream(&first.into_iter().collect::<Vec<_>>())?;
    let g = driver::guard(&ctx, json!({ "id": id }))?;
    // Wait for the end on a subscription (no sleeping); a refusal means it already ended.
    let sa = ctx
        .client()
        .stream(Method::SubscribeToTask, json!({ "id": g.id }))
        .await
        .map_err(|e| driver::harness("SubscribeToTask", e))?;
    if let StreamAnswer::Open(mut s) = sa {
        let _ = collect(&mut s, short(&ctx)).await;
    }
    let now = driver::get_task(&ctx, &g.id, None).await?;
    let st = expect::state_of(&now).unwrap_or("?").to_owned();
    if st != "TASK_STATE_COMPLETED" {
        return Err(Outcome::fail(
            "the task did not outlive its stream",
            "`slow 1500` COMPLETED after its stream was dropped",
            format!("state {st}: {}", expect::show(&now)),
        ));
    }
    g.disarm();
    Ok(Outcome::pass(
        "the task completed after its stream was dropped",
    ))
}

/// STRM-009: chunks reassemble into the artifact GetTask returns, for a short run and for a
/// run at the test agent's cap.
pub(crate) const STRM_009: Case = Case {
    id: "STRM-009",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Streaming, Need::TestAgent],
    title: "stream `stream 5` and `stream 20000` (chunked artifacts), then GetTask",
    requirement: "append/lastChunk chunks reassemble into the artifact GetTask returns: every chunk, in order",
    spec: "proto",
    exec: Exec::Run(crate::run_fn!(strm_009)),
};
async fn strm_009(ctx: Ctx) -> Judged {
    let mut checks = Checks::new();
    for n in [5, driver::STREAM_CAP] {
        checks.judged(chunks_stored(&ctx, n).await);
    }
    checks.finish("streamed chunks reassemble into the artifacts GetTask returns")
}

/// One STRM-009 probe: streams `stream n`, then compares the artifacts GetTask returns with
/// what the stream delivered: every chunk, in order, with the same content (never merely as
/// many). On a long run a second reader subscribes once three quarters of the chunks have
/// arrived: its snapshot must hold every chunk delivered before it (SUB-001's "current
/// state"). A reader cut off for lagging (allowed, test-agent.md §5) resubscribes, and its
/// snapshot is held to the same rule. The read is bounded by `--timeout-scale`; a run still
/// streaming then is UNTESTED.
async fn chunks_stored(ctx: &Ctx, n: usize) -> Judged {
    let cmd = format!("stream {n}");
    let within = ctx.deadline(Duration::from_secs(15));
    let until = Instant::now() + within;
    let mut r = open_text(ctx, &cmd, json!({})).await?;
    let mid = if n >= 100 { n * 3 / 4 } else { n + 1 };
    let mut seen = 0usize;
    let (head, cut) = driver::collect_until(&mut r, within, |e| {
        seen += usize::from(matches!(member(e), Some(("artifactUpdate", _))));
        seen >= mid
    })
    .await;
    // Moved, not cloned: a `stream 20000` run is 20,000 events.
    let mut events: Vec<Value> = head.into_iter().map(|g| g.sr).collect();
    let (id, _) = task_of_stream(&events)?;
    let mut checks = Checks::new();
    // The second reader, when the run is still going at three quarters.
    let mut second = None;
    if cut.is_none() {
        let sa = ctx
            .client()
            .stream(Method::SubscribeToTask, json!({ "id": id }))
            .await
            .map_err(|e| driver::harness("SubscribeToTask", e))?;
        match sa {
            StreamAnswer::Open(s) => second = Some((s, driver::reassemble(&events))),
            // Usually the run ended first; SUB-001 judges refusals of running tasks.
            StreamAnswer::Refused(a) => checks.note(format!(
                "a second reader's subscription was refused ({})",
                expect::describe(&a)
            )),
        }
    }
    let left = until.saturating_duration_since(Instant::now());
    let end = match cut {
        Some(end) => end,
        None => {
            let (rest, end) = match second.as_mut() {
                Some((s, before)) => {
                    let ((rest, end), (more, more_end)) =
                        tokio::join!(collect(&mut r, left), collect(s, left));
                    let more: Vec<Value> = more.into_iter().map(|g| g.sr).collect();
                    checks.check(intact(&more_end, &more));
                    match more.first().and_then(member) {
                        Some(("task", snap)) => {
                            if checks.check(snapshot_holds(before, snap)) {
                                checks.note(format!(
                                    "a reader subscribing after {mid} chunks got them all in its snapshot"
                                ));
                            }
                        }
                        _ => checks.add(Outcome::fail(
                            "the second reader's subscription did not start with the Task",
                            "the current Task first (§3.1.6)",
                            summarize(&more),
                        )),
                    }
                    (rest, end)
                }
                None => collect(&mut r, left).await,
            };
            events.extend(rest.into_iter().map(|g| g.sr));
            end
        }
    };
    drop(r);
    drop(second);
    let ended = |evs: &[Value]| evs.iter().filter_map(event_state).any(driver::is_terminal);
    match end {
        _ if ended(&events) => {
            checks.check(intact(&end, &events));
        }
        End::Open => {
            let _ = ctx
                .client()
                .call(Method::CancelTask, json!({ "id": id }))
                .await;
            return Err(Outcome::untested(
                format!(
                    "`{cmd}` was still streaming after {within:?} ({} chunks), so its stored artifact could not be compared",
                    chunk_count(&events)
                ),
                "raise --timeout-scale for a slow target",
            ));
        }
        End::Closed => {
            checks.note(format!(
                "the stream ended after {} chunks without a terminal state (a lagging reader may be cut off) and was resumed by SubscribeToTask",
                chunk_count(&events)
            ));
            events = resubscribe(ctx, &id, events, within, &mut checks).await?;
        }
        broken => {
            checks.check(intact(&broken, &events));
        }
    }
    let delivered = driver::reassemble(&events);
    let task = driver::get_task(ctx, &id, None).await?;
    checks.judged(judge_stored(n, &delivered, ended(&events), &task));
    checks.finish(format!(
        "`{cmd}`: {} streamed chunks reassemble into GetTask's artifact",
        chunk_count(&events)
    ))
}

/// Resubscribes to task `id` after its stream was cut off. Returns the events to reassemble:
/// the snapshot's artifacts (each must start with every part delivered before the cut, in
/// order) followed by the live events; or, when the subscription is refused (the task ended
/// meanwhile), the events delivered before the cut, for GetTask to be compared with.
async fn resubscribe(
    ctx: &Ctx,
    id: &str,
    mut events: Vec<Value>,
    within: Duration,
    checks: &mut Checks,
) -> Result<Vec<Value>, Outcome> {
    let sa = ctx
        .client()
        .stream(Method::SubscribeToTask, json!({ "id": id }))
        .await
        .map_err(|e| driver::harness("SubscribeToTask", e))?;
    let StreamAnswer::Open(mut s) = sa else {
        checks.note("the resubscription was refused (the task had ended)");
        return Ok(events);
    };
    let (more, end) = collect(&mut s, within).await;
    let more: Vec<Value> = more.into_iter().map(|g| g.sr).collect();
    checks.check(intact(&end, &more));
    let Some(("task", snap)) = more.first().and_then(member) else {
        checks.add(Outcome::fail(
            "the resubscription did not start with the Task",
            "the current Task first (§3.1.6)",
            summarize(&more),
        ));
        events.extend(more);
        return Ok(events);
    };
    checks.check(snapshot_holds(&driver::reassemble(&events), snap));
    // The snapshot stands for everything before it; the live events follow.
    let mut out: Vec<Value> = driver::artifacts(snap)
        .into_iter()
        .map(|(aid, parts)| {
            json!({ "artifactUpdate": { "taskId": id, "artifact": { "artifactId": aid, "parts": parts } } })
        })
        .collect();
    out.extend(more.into_iter().skip(1));
    Ok(out)
}

/// A resubscription snapshot holds every chunk delivered before it: each artifact starts with
/// exactly the parts reassembled so far, in order (as many parts with other content is not
/// enough).
fn snapshot_holds(seen: &[(String, Vec<Value>)], snap: &Value) -> Result<(), Outcome> {
    let mut checks = Checks::new();
    for (aid, parts) in seen {
        let have = driver::artifact_parts(snap, aid);
        let prefix = &have[..have.len().min(parts.len())];
        if let Some(d) = driver::parts_difference(prefix, parts) {
            checks.add(Outcome::fail(
                format!("a subscription snapshot lost chunks of artifact {aid} that the stream had already delivered"),
                format!(
                    "artifact {aid} starting with the {} parts delivered before the subscription, in order",
                    parts.len()
                ),
                format!("snapshot (first {} parts) vs delivered: {d}", prefix.len()),
            ));
        }
    }
    checks.finish("").map(drop)
}

/// Judges GetTask's task after a `stream n` run against what the streams delivered
/// (`delivered`, reassembled; `complete` when they reached the terminal state): each artifact
/// equals its chunks (after a cut: starts with them), and the `stream` artifact of a COMPLETED
/// run holds all `n` parts in order (test-agent.md §3). A run the target FAILED for its own
/// size limit (allowed, test-agent.md §2) is noted, not judged.
fn judge_stored(
    n: usize,
    delivered: &[(String, Vec<Value>)],
    complete: bool,
    task: &Value,
) -> Judged {
    let state = expect::state_of(task).unwrap_or("?");
    if state == "TASK_STATE_FAILED" && n > 5 {
        return Ok(Outcome::pass(format!(
            "`stream {n}` FAILED ({}), as a target with a smaller per-task limit may do",
            expect::show(&task["status"])
        )));
    }
    let mut checks = Checks::new();
    let stored = driver::artifact_ids(task);
    if complete && !delivered.iter().any(|(aid, _)| aid == "stream") {
        checks.add(Outcome::fail(
            format!("`stream {n}` did not stream chunks"),
            format!("{n} artifactUpdate chunks on artifact `stream`"),
            format!(
                "streamed artifacts {:?}",
                delivered.iter().map(|a| &a.0).collect::<Vec<_>>()
            ),
        ));
    }
    for (aid, parts) in delivered {
        if !stored.contains(aid) {
            checks.add(Outcome::fail(
                format!("artifact {aid} was streamed but GetTask lacks it"),
                format!(
                    "GetTask artifact {aid} with the {} streamed parts",
                    parts.len()
                ),
                format!("GetTask artifacts {stored:?}"),
            ));
            continue;
        }
        let have = driver::artifact_parts(task, aid);
        let compared = if complete {
            have
        } else {
            &have[..have.len().min(parts.len())]
        };
        if let Some(d) = driver::parts_difference(compared, parts) {
            checks.add(Outcome::fail(
                format!("GetTask's artifact {aid} differs from its reassembled chunks"),
                format!(
                    "artifact {aid} with {} the {} streamed parts, in order",
                    if complete { "exactly" } else { "at first" },
                    parts.len()
                ),
                format!("GetTask vs streamed: {d}"),
            ));
        }
    }
    if !checks.failed() && state == "TASK_STATE_COMPLETED" {
        let have = driver::artifact_parts(task, "stream");
        if let Some(d) = driver::parts_difference(have, &driver::stream_run_parts(n)) {
            checks.add(Outcome::fail(
                format!("GetTask's artifact `stream` is not the whole `stream {n}` run"),
                format!(
                    "all {n} chunks reassembled: parts seq 0..{} in order",
                    n - 1
                ),
                d,
            ));
        }
    }
    // Nothing to add to the probe's own summary when it holds.
    checks.finish("")
}

/// STRM-010: events are flushed as they happen.
pub(crate) const STRM_010: Case = Case {
    id: "STRM-010",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Streaming, Need::TestAgent],
    title: "stream `stream 5 200` (a chunk every 200 ms, times --timeout-scale)",
    requirement:
        "events are flushed as they happen: the first chunk arrives well before completion",
    spec: "§3.1.2",
    exec: Exec::Run(crate::run_fn!(strm_010)),
};
async fn strm_010(ctx: Ctx) -> Judged {
    // The chunk interval and the threshold both scale with --timeout-scale, so a loaded machine
    // (slow server, bursty scheduling) gets proportionally more room; a buffering server still
    // delivers everything at the end, whatever the scale.
    let interval = ctx.deadline(Duration::from_millis(200));
    let threshold = ctx.deadline(Duration::from_millis(300));
    let work = interval * 4;
    let command = format!("stream 5 {}", interval.as_millis());
    let mut r = open_text(&ctx, &command, json!({})).await?;
    let (got, end) = collect(&mut r, short(&ctx)).await;
    let events = values(&got);
    intact(&end, &events)?;
    task_of_stream(&events)?;
    let first_chunk = got
        .iter()
        .find(|g| matches!(member(&g.sr), Some(("artifactUpdate", _))));
    let terminal = got
        .iter()
        .find(|g| event_state(&g.sr).is_some_and(driver::is_terminal));
    let (Some(f), Some(t)) = (first_chunk, terminal) else {
        return Ok(Outcome::fail(
            format!("`{command}` did not stream chunks to completion"),
            "artifactUpdate chunks, then a terminal status",
            summarize(&events),
        ));
    };
    // The agent spends 4 intervals between chunk 0 and completion; buffering collapses that gap.
    let gap = t.at.saturating_duration_since(f.at);
    if gap < threshold {
        return Ok(Outcome::fail(
            "events were buffered, not flushed as they happened",
            format!(
                "the first chunk at least {threshold:?} before completion (the agent spends \
                 ~{work:?})"
            ),
            format!("first chunk only {gap:?} before the terminal status"),
        ));
    }
    Ok(Outcome::pass(format!(
        "first chunk arrived {gap:?} before completion"
    )))
}

/// The STRM cases, in digest order.
pub(crate) const CASES: &[Case] = &[
    STRM_001, STRM_002, STRM_003, STRM_004, STRM_005, STRM_006, STRM_007, STRM_008, STRM_009,
    STRM_010,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Verdict;

    fn chunk(i: usize, n: usize) -> Value {
        json!({"artifactUpdate": {"taskId": "t", "contextId": "c", "append": i > 0,
            "artifact": {"artifactId": "stream", "parts": [{"data": {"seq": i, "of": n}}]}}})
    }

    fn stored(parts: Vec<Value>) -> Value {
        json!({"id": "t", "status": {"state": "TASK_STATE_COMPLETED"},
            "artifacts": [{"artifactId": "stream", "parts": parts}]})
    }

    fn verdict(j: Judged) -> Verdict {
        j.unwrap_or_else(|o| o).verdict
    }

    #[test]
    fn a_stored_artifact_must_hold_every_streamed_chunk_in_order() {
        let n = 20;
        let events: Vec<Value> = (0..n).map(|i| chunk(i, n)).collect();
        let delivered = driver::reassemble(&events);
        let whole = stored(driver::stream_run_parts(n));
        assert_eq!(
            verdict(judge_stored(n, &delivered, true, &whole)),
            Verdict::Pass
        );
        // A store that keeps only the first half fails, however many chunks the reader saw.
        let truncated = stored(driver::stream_run_parts(n)[..n / 2].to_vec());
        let o = judge_stored(n, &delivered, true, &truncated).unwrap_err();
        assert_eq!(o.verdict, Verdict::Fail);
        assert!(o.observed.unwrap().contains("10 parts instead of 20"));
        // As many parts in another order is no better.
        let mut shuffled = driver::stream_run_parts(n);
        shuffled.swap(3, 4);
        assert_eq!(
            verdict(judge_stored(n, &delivered, true, &stored(shuffled))),
            Verdict::Fail
        );
        // After a cut the store must start with what was delivered and hold the whole run.
        let prefix = driver::reassemble(&events[..5]);
        assert_eq!(
            verdict(judge_stored(n, &prefix, false, &whole)),
            Verdict::Pass
        );
        assert_eq!(
            verdict(judge_stored(n, &prefix, false, &truncated)),
            Verdict::Fail
        );
    }

    #[test]
    fn a_run_failed_for_the_targets_size_limit_is_noted_not_judged() {
        let failed = json!({"id": "t", "status": {"state": "TASK_STATE_FAILED"}});
        let delivered = driver::reassemble(&[chunk(0, 20000)]);
        assert_eq!(
            verdict(judge_stored(20000, &delivered, true, &failed)),
            Verdict::Pass
        );
    }

    #[test]
    fn a_resubscription_snapshot_must_start_with_the_delivered_chunks() {
        let n = 10;
        let seen = driver::reassemble(&(0..6).map(|i| chunk(i, n)).collect::<Vec<_>>());
        let snap = |parts: Vec<Value>| json!({"id": "t", "artifacts": [{"artifactId": "stream", "parts": parts}]});
        let all = driver::stream_run_parts(n);
        assert!(snapshot_holds(&seen, &snap(all[..8].to_vec())).is_ok());
        assert!(snapshot_holds(&seen, &snap(all[..4].to_vec())).is_err());
        // Six parts, but not the six delivered ones.
        assert!(snapshot_holds(&seen, &snap(all[2..8].to_vec())).is_err());
    }

    #[test]
    fn a_message_first_stream_leaves_task_stream_rows_untested() {
        let msg = [json!({"message": {"messageId": "m", "role": "ROLE_AGENT", "parts": []}})];
        assert_eq!(task_first(&msg).unwrap_err().verdict, Verdict::Untested);
        assert_eq!(task_of_stream(&msg).unwrap_err().verdict, Verdict::Untested);
    }
}
