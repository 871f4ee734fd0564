//! Cases for SSE, STRM and SUB (digest §9.6): the SSE framing of both bindings (§1.3, §2.4), the
//! order and end of message streams (§3.1.2), several streams on one task (§3.5.2) and
//! SubscribeToTask (§3.1.6).
//!
//! Streams end by EOF (no `final`, no sentinel). Pre-stream errors may come as a JSON error or as
//! a 200 event stream whose only event is the error; both are accepted.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::case::{Bindings, Case, Exec, Judged, Level, Need, Outcome};
use crate::context::Ctx;
use crate::driver::{
    self, collect, event_state, member, next, open, open_text, short, summarize, values, End,
};
use crate::expect;
use crate::spec::{ErrorCode, Method};

/// The SSE, STRM, SUB cases, in digest order.
pub(crate) const CASES: &[Case] = &[
    Case {
        id: "SSE-001",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Streaming],
        title: "SendStreamingMessage with a text message",
        requirement: "the answer is HTTP 200 with Content-Type text/event-stream",
        spec: "§9.4.2, §11.7",
        exec: Exec::Run(crate::run_fn!(sse_001)),
    },
    Case {
        id: "SSE-002",
        level: Level::Must,
        bindings: Bindings::JsonRpc,
        needs: &[Need::Streaming],
        title: "SendStreamingMessage over JSON-RPC",
        requirement: "every data: is a full JSON-RPC response with the request's id whose result is a StreamResponse",
        spec: "§9.4.2",
        exec: Exec::Run(crate::run_fn!(sse_002)),
    },
    Case {
        id: "SSE-003",
        level: Level::Must,
        bindings: Bindings::Rest,
        needs: &[Need::Streaming],
        title: "POST /message:stream",
        requirement: "every data: is a bare StreamResponse (no JSON-RPC envelope)",
        spec: "§11.7",
        exec: Exec::Run(crate::run_fn!(sse_003)),
    },
    Case {
        id: "SSE-004",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Streaming, Need::TestAgent],
        title: "stream `stream 5 50` (five ordered chunks)",
        requirement: "events arrive in generation order: task, WORKING, chunks 0..4, COMPLETED",
        spec: "§3.5.2",
        exec: Exec::Run(crate::run_fn!(sse_004)),
    },
    Case {
        id: "SSE-005",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Streaming],
        title: "stream a text message to its end",
        requirement: "the end is signalled by closing the response; no `final` field",
        spec: "§3.1.2",
        exec: Exec::Run(crate::run_fn!(sse_005)),
    },
    Case {
        id: "SSE-006",
        level: Level::Sdk,
        bindings: Bindings::Once,
        needs: &[],
        title: "(suite-side) SSE parser tolerance",
        requirement: "the parser tolerates id:, event:, comments and CRLF",
        spec: "digest §1.3",
        exec: Exec::Manual(
            "suite-side: the probe's own SSE parser accepts id:, event:, retry:, comments, CR/LF/CRLF; covered by its unit tests, nothing to ask of a server",
        ),
    },
    Case {
        id: "STRM-001",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Streaming],
        title: "SendStreamingMessage with a text message",
        requirement: "the first event is a Task or a Message",
        spec: "§3.1.2",
        exec: Exec::Run(crate::run_fn!(strm_001)),
    },
    Case {
        id: "STRM-002",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Streaming, Need::TestAgent],
        title: "stream `message hi` (the agent answers with a Message)",
        requirement: "a Message-first stream has exactly one event, then closes",
        spec: "§3.1.2",
        exec: Exec::Run(crate::run_fn!(strm_002)),
    },
    Case {
        id: "STRM-003",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Streaming],
        title: "stream a message that creates a task",
        requirement: "after the Task come only statusUpdate/artifactUpdate events",
        spec: "§3.1.2",
        exec: Exec::Run(crate::run_fn!(strm_003)),
    },
    Case {
        id: "STRM-004",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Streaming],
        title: "stream a message that creates a task",
        requirement: "the stream closes once the task is terminal",
        spec: "§3.1.2",
        exec: Exec::Run(crate::run_fn!(strm_004)),
    },
    Case {
        id: "STRM-005",
        level: Level::May,
        bindings: Bindings::Each,
        needs: &[Need::Streaming, Need::TestAgent],
        title: "stream `input-required` and `auth-required`",
        requirement: "the stream may close at INPUT_REQUIRED / AUTH_REQUIRED, or stay open (never a failure)",
        spec: "§11.7, §7.6.1",
        exec: Exec::Run(crate::run_fn!(strm_005)),
    },
    Case {
        id: "STRM-006",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Streaming],
        title: "stream a message that creates a task",
        requirement: "taskId/contextId of every event equal those of the stream's Task",
        spec: "proto REQ",
        exec: Exec::Run(crate::run_fn!(strm_006)),
    },
    Case {
        id: "STRM-007",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Streaming, Need::TestAgent],
        title: "three SubscribeToTask on one `stream 8 250` task; drop one early",
        requirement: "the streams get the same events in the same order; closing one leaves the others open",
        spec: "§3.5.2",
        exec: Exec::Run(crate::run_fn!(strm_007)),
    },
    Case {
        id: "STRM-008",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Streaming, Need::TestAgent],
        title: "stream `slow 1500`, drop the stream after the first event",
        requirement: "the task outlives its stream and still completes",
        spec: "§3.5.2",
        exec: Exec::Run(crate::run_fn!(strm_008)),
    },
    Case {
        id: "STRM-009",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Streaming, Need::TestAgent],
        title: "stream `stream 5` (chunked artifact), then GetTask",
        requirement: "append/lastChunk chunks reassemble into the artifact GetTask returns",
        spec: "proto",
        exec: Exec::Run(crate::run_fn!(strm_009)),
    },
    Case {
        id: "STRM-010",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Streaming, Need::TestAgent],
        title: "stream `stream 5 200` (a chunk every 200 ms, times --timeout-scale)",
        requirement: "events are flushed as they happen: the first chunk arrives well before completion",
        spec: "§3.1.2",
        exec: Exec::Run(crate::run_fn!(strm_010)),
    },
    Case {
        id: "SUB-001",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Streaming, Need::TestAgent],
        title: "SubscribeToTask on a WORKING `hang` task",
        requirement: "the first event is the Task with its current state",
        spec: "§3.1.6",
        exec: Exec::Run(crate::run_fn!(sub_001)),
    },
    Case {
        id: "SUB-002",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Streaming],
        title: "SubscribeToTask on a completed task",
        requirement: "UnsupportedOperationError (-32004 / 400 UNSUPPORTED_OPERATION)",
        spec: "§3.1.6, §9.4.6",
        exec: Exec::Run(crate::run_fn!(sub_002)),
    },
    Case {
        id: "SUB-003",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Streaming],
        title: "SubscribeToTask on an unknown task id",
        requirement: "TaskNotFoundError (-32001 / 404)",
        spec: "§3.1.6",
        exec: Exec::Run(crate::run_fn!(sub_003)),
    },
    Case {
        id: "SUB-004",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Streaming, Need::TestAgent],
        title: "SubscribeToTask on a `slow 1000` task",
        requirement: "the subscription ends when the task becomes terminal",
        spec: "§3.1.6",
        exec: Exec::Run(crate::run_fn!(sub_004)),
    },
];

/// The text sent where any agent will do; the test agent reads it as `echo`.
const PLAIN: &str = "echo gauntlet streaming check";

/// Streams `PLAIN` to its end; the events and how the stream ended.
async fn stream_plain(ctx: &Ctx) -> Result<(Vec<Value>, End), Outcome> {
    let mut r = open_text(ctx, PLAIN, json!({})).await?;
    let (got, end) = collect(&mut r, short(ctx)).await;
    Ok((values(&got), end))
}

/// Judges how a task stream ended: EOF is required, an error event or fault is a FAIL.
fn closed(end: &End, events: &[Value]) -> Result<(), Outcome> {
    match end {
        End::Closed => Ok(()),
        End::Open => Err(Outcome::fail(
            "the stream did not close",
            "EOF once the task is terminal",
            format!("still open at the deadline after: {}", summarize(events)),
        )),
        End::Error(e) => Err(Outcome::fail(
            "the stream carried an error event",
            "StreamResponse events, then EOF",
            format!("after {}: {e}", summarize(events)),
        )),
        End::Fault(e) => Err(Outcome::fail(
            "the stream broke",
            "well-formed SSE, then EOF",
            format!("after {}: {e}", summarize(events)),
        )),
    }
}

/// The first event must be a Task for cases about Task streams; anything else makes them
/// NOT-APPLICABLE (STRM-001 judges the first event).
fn task_first(events: &[Value]) -> Result<Value, Outcome> {
    match events.first().and_then(member) {
        Some(("task", t)) => Ok(t.clone()),
        Some(("message", _)) => Err(Outcome::not_applicable(
            "the agent answered with a Message, so there is no task stream to judge",
        )),
        _ => Err(Outcome::not_applicable(format!(
            "the stream does not start with a Task (STRM-001 judges that): {}",
            summarize(events)
        ))),
    }
}

/// Judges only that a stream did not break: an error event or a fault is a FAIL; a clean end
/// or a stream still open at the deadline is left to the cases about closing.
fn intact(end: &End, events: &[Value]) -> Result<(), Outcome> {
    match end {
        End::Closed | End::Open => Ok(()),
        other => closed(other, events),
    }
}

/// SSE-001: streaming responses are HTTP 200 text/event-stream.
async fn sse_001(ctx: Ctx) -> Judged {
    let mut r = open_text(&ctx, PLAIN, json!({})).await?;
    let status = r.raw.status;
    let ct = r.raw.header("content-type").unwrap_or("").to_owned();
    let media = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let _ = collect(&mut r, short(&ctx)).await;
    if status != 200 || media != "text/event-stream" {
        return Ok(Outcome::fail(
            "streaming answer is not a 200 event stream",
            "HTTP 200, Content-Type: text/event-stream",
            format!("HTTP {status}, Content-Type: {ct:?}"),
        ));
    }
    Ok(Outcome::pass(format!("HTTP 200, Content-Type: {ct}")))
}

/// SSE-002: JSON-RPC stream events are full JSON-RPC responses carrying StreamResponses.
async fn sse_002(ctx: Ctx) -> Judged {
    let mut r = open_text(&ctx, PLAIN, json!({})).await?;
    let req_id = serde_json::from_slice::<Value>(&r.request.body)
        .ok()
        .and_then(|b| b.get("id").cloned())
        .unwrap_or(Value::Null);
    let n = judge_each_event(&ctx, &mut r, "JSON-RPC response", |n, ev| {
        let Some(j) = ev.json.as_ref() else {
            return Err(Outcome::fail(
                format!("event {n} is not JSON"),
                "data: holding one JSON-RPC response object",
                ev.sse.data,
            ));
        };
        let has_result = j.get("result").is_some();
        let has_error = j.get("error").is_some();
        let problem = if j.get("jsonrpc") != Some(&json!("2.0")) {
            Some("`jsonrpc` is not \"2.0\"")
        } else if j.get("id") != Some(&req_id) {
            Some("`id` differs from the request's")
        } else if has_result == has_error {
            Some("not exactly one of result/error")
        } else if has_result && j.get("result").and_then(member).is_none() {
            Some("`result` is not a StreamResponse with exactly one member")
        } else {
            None
        };
        match problem {
            Some(p) => Err(Outcome::fail(
                format!("event {n}: {p}"),
                format!(
                    "{{\"jsonrpc\":\"2.0\",\"id\":{req_id},\"result\":{{one of task/message/statusUpdate/artifactUpdate}}}}"
                ),
                expect::show(j),
            )),
            None => Ok(()),
        }
    })
    .await?;
    Ok(Outcome::pass(format!(
        "{n} events, each a JSON-RPC response with id {req_id} and a StreamResponse result"
    )))
}

/// SSE-003: REST stream events are bare StreamResponses.
async fn sse_003(ctx: Ctx) -> Judged {
    let mut r = open_text(&ctx, PLAIN, json!({})).await?;
    let n = judge_each_event(&ctx, &mut r, "StreamResponse", |n, ev| {
        let ok = ev
            .json
            .as_ref()
            .is_some_and(|j| j.get("jsonrpc").is_none() && member(j).is_some());
        if ok {
            return Ok(());
        }
        Err(Outcome::fail(
            format!("event {n} is not a bare StreamResponse"),
            "data: {\"task\"|\"message\"|\"statusUpdate\"|\"artifactUpdate\": …} with no envelope",
            ev.sse.data,
        ))
    })
    .await?;
    Ok(Outcome::pass(format!(
        "{n} events, each a bare StreamResponse"
    )))
}

/// Reads a stream to its end and hands each event (numbered from 1) to `judge`. A probe error
/// before EOF fails; a timeout after at least one event ends the read (closing is judged by
/// SSE-005/STRM-004). A stream with no event fails, naming `kind` as what was expected.
async fn judge_each_event(
    ctx: &Ctx,
    r: &mut crate::client::EventReader,
    kind: &str,
    mut judge: impl FnMut(usize, crate::client::StreamEvent) -> Result<(), Outcome>,
) -> Result<usize, Outcome> {
    let until = Instant::now() + short(ctx);
    let mut n = 0usize;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let ev = match r.next(left.max(Duration::from_millis(1))).await {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(crate::errors::ProbeError::Timeout(_)) if n > 0 => break,
            Err(e) => {
                return Err(Outcome::fail(
                    "the stream did not end cleanly",
                    format!("{kind} events, then EOF"),
                    format!("after {n} events: {e}"),
                ))
            }
        };
        n += 1;
        judge(n, ev)?;
    }
    if n == 0 {
        return Err(Outcome::fail(
            "the stream had no events",
            format!("at least one {kind} event"),
            "EOF with no event",
        ));
    }
    Ok(n)
}

/// Rank of a state for "never moves backwards" (SUBMITTED < WORKING/interrupted < terminal).
fn rank(s: &str) -> u8 {
    match s {
        "TASK_STATE_SUBMITTED" => 0,
        s if driver::is_terminal(s) => 2,
        _ => 1,
    }
}

/// SSE-004: events arrive in generation order.
async fn sse_004(ctx: Ctx) -> Judged {
    let mut r = open_text(&ctx, "stream 5 50", json!({})).await?;
    let (got, end) = collect(&mut r, short(&ctx)).await;
    let events = values(&got);
    intact(&end, &events)?;
    driver::stream_task(&events)?;
    let mut last_rank = 0u8;
    let mut seqs = Vec::new();
    let mut artifacts_after_terminal = false;
    for e in &events {
        if let Some(s) = event_state(e) {
            let rk = rank(s);
            if rk < last_rank {
                return Ok(Outcome::fail(
                    "task state moved backwards in the stream",
                    "states in generation order (SUBMITTED → WORKING → terminal)",
                    summarize(&events),
                ));
            }
            last_rank = rk;
        }
        if let Some(("artifactUpdate", u)) = member(e) {
            if last_rank == 2 {
                artifacts_after_terminal = true;
            }
            for p in u
                .pointer("/artifact/parts")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(s) = p.pointer("/data/seq").and_then(expect::whole_number) {
                    seqs.push(s);
                }
            }
        }
    }
    let terminal_last = events
        .iter()
        .rev()
        .find_map(event_state)
        .is_some_and(driver::is_terminal);
    if artifacts_after_terminal || !terminal_last || seqs != [0, 1, 2, 3, 4] {
        return Ok(Outcome::fail(
            "events are not in generation order",
            "task, WORKING, chunks with seq 0,1,2,3,4 in order, then COMPLETED last",
            format!("{} (chunk seqs {seqs:?})", summarize(&events)),
        ));
    }
    Ok(Outcome::pass(format!("in order: {}", summarize(&events))))
}

/// Whether `v` holds a `final` key on a status or artifact update (removed in 1.0).
fn has_final(sr: &Value) -> bool {
    matches!(member(sr), Some(("statusUpdate" | "artifactUpdate", u)) if u.get("final").is_some())
}

/// SSE-005: end of stream by closing the response, no `final`.
async fn sse_005(ctx: Ctx) -> Judged {
    let (events, end) = stream_plain(&ctx).await?;
    if let Some(e) = events.iter().find(|e| has_final(e)) {
        return Ok(Outcome::fail(
            "an event carries `final` (removed in 1.0)",
            "no `final` field; the end is the close of the response",
            expect::show(e),
        ));
    }
    closed(&end, &events)?;
    Ok(Outcome::pass(format!(
        "closed by EOF after {}; no `final`",
        summarize(&events)
    )))
}

/// STRM-001: the first event is a Task or a Message.
async fn strm_001(ctx: Ctx) -> Judged {
    let mut r = open_text(&ctx, PLAIN, json!({})).await?;
    let first = next(&mut r, short(&ctx)).await?;
    let _ = collect(&mut r, short(&ctx)).await;
    match first.as_ref().and_then(member) {
        Some((k @ ("task" | "message"), _)) => Ok(Outcome::pass(format!("first event is a {k}"))),
        _ => Ok(Outcome::fail(
            "the first event is neither a Task nor a Message",
            "{\"task\":…} or {\"message\":…} first",
            first.map_or_else(|| "EOF with no event".to_owned(), |v| expect::show(&v)),
        )),
    }
}

/// STRM-002: a Message-first stream has exactly one event, then closes.
async fn strm_002(ctx: Ctx) -> Judged {
    let mut r = open_text(&ctx, "message hi", json!({})).await?;
    let (got, end) = collect(&mut r, short(&ctx)).await;
    let events = values(&got);
    match events.first().and_then(member) {
        Some(("message", _)) => {}
        _ => {
            return Ok(Outcome::fail(
                "`message` did not produce a Message-first stream",
                "a single {\"message\":…} event (test agent `message` command)",
                summarize(&events),
            ))
        }
    }
    if events.len() != 1 {
        return Ok(Outcome::fail(
            "more than one event after a Message",
            "exactly one {\"message\"} event, then EOF",
            summarize(&events),
        ));
    }
    closed(&end, &events)?;
    Ok(Outcome::pass("one Message event, then EOF"))
}

/// STRM-003: a Task-first stream continues only with status and artifact updates.
async fn strm_003(ctx: Ctx) -> Judged {
    let (events, end) = stream_plain(&ctx).await?;
    task_first(&events)?;
    let rest = &events[1..];
    let bad = rest.iter().enumerate().find(|(i, e)| {
        let update = matches!(member(e), Some(("statusUpdate" | "artifactUpdate", _)));
        // §11.7 allows a final Task snapshot before the close.
        let final_snapshot = *i + 1 == rest.len() && matches!(member(e), Some(("task", _)));
        !update && !final_snapshot
    });
    if let Some((_, e)) = bad {
        return Ok(Outcome::fail(
            "a Task stream carried an event other than statusUpdate/artifactUpdate",
            "Task, then only statusUpdate/artifactUpdate (a final Task snapshot is allowed, §11.7)",
            format!("{} — offending: {}", summarize(&events), expect::show(e)),
        ));
    }
    intact(&end, &events)?;
    Ok(Outcome::pass(summarize(&events)))
}

/// STRM-004: the stream closes once the task is terminal.
async fn strm_004(ctx: Ctx) -> Judged {
    let (events, end) = stream_plain(&ctx).await?;
    driver::stream_task(&events)?;
    let term = events
        .iter()
        .position(|e| event_state(e).is_some_and(driver::is_terminal));
    let Some(t) = term else {
        return Ok(Outcome::fail(
            "no terminal state reached on the stream",
            "a terminal status, then EOF",
            format!("{} ({end:?})", summarize(&events)),
        ));
    };
    let after = &events[t + 1..];
    if after
        .iter()
        .any(|e| !matches!(member(e), Some(("task", _))))
    {
        return Ok(Outcome::fail(
            "events after the terminal state",
            "EOF after the terminal status (at most a final Task snapshot)",
            summarize(&events),
        ));
    }
    closed(&end, &events)?;
    Ok(Outcome::pass(format!(
        "closed after {}",
        summarize(&events[..=t])
    )))
}

/// Streams `command` until `want`, then watches whether the stream closes by itself.
async fn closes_at(ctx: &Ctx, command: &str, want: &str) -> Result<String, Outcome> {
    let mut r = open_text(ctx, command, json!({})).await?;
    let events = driver::read_until(&mut r, short(ctx), |s| s == want).await?;
    let (id, _) = driver::stream_task(&events)?;
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
async fn strm_005(ctx: Ctx) -> Judged {
    let a = closes_at(&ctx, "input-required", "TASK_STATE_INPUT_REQUIRED").await?;
    let b = closes_at(&ctx, "auth-required", "TASK_STATE_AUTH_REQUIRED").await?;
    Ok(Outcome::info(format!(
        "the stream {a}; it {b} (both behaviours are allowed)"
    )))
}

/// STRM-006: event taskId/contextId equal those of the stream's Task.
async fn strm_006(ctx: Ctx) -> Judged {
    let (events, _) = stream_plain(&ctx).await?;
    let (id, context) = driver::stream_task(&events)?;
    for e in &events {
        let Some((k, u)) = member(e) else { continue };
        if k == "task" || k == "message" {
            continue;
        }
        let eid = u.get("taskId").and_then(Value::as_str);
        let ectx = u.get("contextId").and_then(Value::as_str);
        if eid != Some(id.as_str()) || ectx.map(str::to_owned) != context || ectx.is_none() {
            return Ok(Outcome::fail(
                "an event names another task or context",
                format!("taskId {id:?} and contextId {context:?} on every event"),
                expect::show(e),
            ));
        }
    }
    Ok(Outcome::pass(format!(
        "{} events, all for task {id}",
        events.len()
    )))
}

/// STRM-007: several streams on one task see the same events; closing one leaves the others.
async fn strm_007(ctx: Ctx) -> Judged {
    let g = driver::start(&ctx, "stream 8 250", json!({})).await?;
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
    intact(&ea, &va)?;
    intact(&eb, &vb)?;
    let (long, shortv) = if va.len() >= vb.len() {
        (&va, &vb)
    } else {
        (&vb, &va)
    };
    if !long.ends_with(shortv) {
        return Ok(Outcome::fail(
            "two subscriptions saw different events",
            "the same events in the same order (the later subscriber's a tail of the earlier's)",
            format!("A: {} | B: {}", summarize(&va), summarize(&vb)),
        ));
    }
    if !vb.iter().filter_map(event_state).any(driver::is_terminal) {
        return Ok(Outcome::fail(
            "a subscription stopped receiving after another one was closed",
            "the remaining subscriptions receive every event up to the terminal status",
            summarize(&vb),
        ));
    }
    g.disarm();
    Ok(Outcome::pass(format!(
        "A and B agree ({} / {} events); B kept receiving after C was closed",
        va.len(),
        vb.len()
    )))
}

/// STRM-008: dropping a stream does not cancel the task.
async fn strm_008(ctx: Ctx) -> Judged {
    let mut r = open_text(&ctx, "slow 1500", json!({})).await?;
    let first = next(&mut r, short(&ctx)).await?;
    drop(r);
    let (id, _) = driver::stream_task(&first.into_iter().collect::<Vec<_>>())?;
    let g = driver::guard(&ctx, json!({ "id": id }))?;
    // Wait for the end on a subscription (no sleeping); a refusal means it already ended.
    let sa = ctx
        .client()
        .stream(Method::SubscribeToTask, json!({ "id": g.id }))
        .await
        .map_err(|e| driver::harness("SubscribeToTask", e))?;
    if let crate::client::StreamAnswer::Open(mut s) = sa {
        let _ = collect(&mut s, short(&ctx)).await;
    }
    let now = driver::get_task(&ctx, &g.id, None).await?;
    let st = expect::state_of(&now).unwrap_or("?").to_owned();
    if st != "TASK_STATE_COMPLETED" {
        return Ok(Outcome::fail(
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

/// STRM-009: chunks reassemble into the artifact GetTask returns.
async fn strm_009(ctx: Ctx) -> Judged {
    let mut r = open_text(&ctx, "stream 5", json!({})).await?;
    let (got, end) = collect(&mut r, short(&ctx)).await;
    let events = values(&got);
    intact(&end, &events)?;
    let (id, _) = driver::stream_task(&events)?;
    let streamed = driver::reassemble(&events);
    let chunks = events
        .iter()
        .filter(|e| matches!(member(e), Some(("artifactUpdate", _))))
        .count();
    if chunks < 2 {
        return Ok(Outcome::fail(
            "`stream 5` did not stream chunks",
            "five artifactUpdate chunks on artifact `stream`",
            summarize(&events),
        ));
    }
    let stored = driver::artifacts(&driver::get_task(&ctx, &id, None).await?);
    for (aid, parts) in &streamed {
        match stored.iter().find(|(k, _)| k == aid) {
            Some((_, p)) if p == parts => {}
            other => {
                return Ok(Outcome::fail(
                    format!("artifact {aid} differs from its reassembled chunks"),
                    format!(
                        "GetTask artifact {aid} with parts {}",
                        expect::show(&json!(parts))
                    ),
                    other.map_or_else(
                        || "no such artifact".to_owned(),
                        |(_, p)| expect::show(&json!(p)),
                    ),
                ))
            }
        }
    }
    Ok(Outcome::pass(format!(
        "{chunks} chunks reassemble into {} artifact(s) equal to GetTask's",
        streamed.len()
    )))
}

/// STRM-010: events are flushed as they happen.
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

/// SUB-001: SubscribeToTask starts with the current Task.
async fn sub_001(ctx: Ctx) -> Judged {
    let g = driver::hang(&ctx).await?;
    let mut s = open(&ctx, Method::SubscribeToTask, json!({ "id": g.id })).await?;
    let first = next(&mut s, short(&ctx)).await?;
    let verdict = match first.as_ref().and_then(member) {
        Some(("task", t))
            if t.get("id").and_then(Value::as_str) == Some(g.id.as_str())
                // A `hang` task is SUBMITTED until the agent picks it up, then WORKING: either
                // is its current state, depending on when the subscription lands.
                && matches!(
                    expect::state_of(t),
                    Some("TASK_STATE_SUBMITTED" | "TASK_STATE_WORKING")
                ) =>
        {
            Outcome::pass(format!(
                "first event is the Task, {}",
                expect::state_of(t).unwrap_or_default()
            ))
        }
        _ => Outcome::fail(
            "the subscription did not start with the current Task",
            format!(
                "{{\"task\":{{\"id\":\"{}\",…,\"status\":{{\"state\":\"TASK_STATE_SUBMITTED or TASK_STATE_WORKING\"}}}}}}",
                g.id
            ),
            first.as_ref().map_or_else(|| "EOF".to_owned(), expect::show),
        ),
    };
    drop(s);
    g.cancel().await;
    Ok(verdict)
}

/// SUB-002: SubscribeToTask on a terminal task is an UnsupportedOperationError.
async fn sub_002(ctx: Ctx) -> Judged {
    let task = driver::new_task(&ctx, PLAIN, json!({}), json!({})).await?;
    let id = driver::require_id(&task)?;
    match expect::state_of(&task) {
        Some(s) if driver::is_terminal(s) => {}
        other => {
            return Ok(Outcome::not_applicable(format!(
                "the task is not terminal after a blocking send (state {other:?})"
            )))
        }
    }
    let sa = ctx
        .client()
        .stream(Method::SubscribeToTask, json!({ "id": id }))
        .await
        .map_err(|e| driver::harness("SubscribeToTask", e))?;
    driver::expect_stream_error(
        sa,
        ErrorCode::UnsupportedOperation,
        short(&ctx),
        "subscribe to a terminal task",
    )
    .await
}

/// SUB-003: SubscribeToTask on an unknown task is a TaskNotFoundError.
async fn sub_003(ctx: Ctx) -> Judged {
    let sa = ctx
        .client()
        .stream(
            Method::SubscribeToTask,
            json!({ "id": ctx.unique("no-such-task") }),
        )
        .await
        .map_err(|e| driver::harness("SubscribeToTask", e))?;
    driver::expect_stream_error(
        sa,
        ErrorCode::TaskNotFound,
        short(&ctx),
        "subscribe to an unknown task",
    )
    .await
}

/// SUB-004: the subscription ends when the task becomes terminal.
async fn sub_004(ctx: Ctx) -> Judged {
    let g = driver::start(&ctx, "slow 1000", json!({})).await?;
    let mut s = open(&ctx, Method::SubscribeToTask, json!({ "id": g.id })).await?;
    let (got, end) = collect(&mut s, short(&ctx)).await;
    let events = values(&got);
    closed(&end, &events)?;
    let last = events.iter().rev().find_map(event_state);
    if !last.is_some_and(driver::is_terminal) {
        return Ok(Outcome::fail(
            "the subscription ended before the task was terminal",
            "a terminal status as the last state event, then EOF",
            summarize(&events),
        ));
    }
    g.disarm();
    Ok(Outcome::pass(format!("ended after {}", summarize(&events))))
}
