//! Cases for SSE, STRM and SUB (digest §9.6): the SSE framing of both bindings (§1.3, §2.4), the
//! order and end of message streams (§3.1.2), several streams on one task (§3.5.2) and
//! SubscribeToTask (§3.1.6).
//!
//! Streams end by EOF (no `final`, no sentinel). Pre-stream errors may come as a JSON error or as
//! a 200 event stream whose only event is the error; both are accepted.
//!
//! STRM-009 compares what a stream delivered with what GetTask stores part by part, also at
//! the test agent's cap of 20,000 chunks, so a store that keeps only the start of a long
//! artifact is caught.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::case::{Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::client::StreamAnswer;
use crate::context::Ctx;
use crate::driver::{
    self, collect, event_state, member, next, open, open_text, short, summarize,
    untested_without_task, values, End,
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
        title: "SendStreamingMessage with a text message, and (test agent) a streamed follow-up to an INPUT_REQUIRED task",
        requirement: "the first event is a Task or a Message, for a new task and for a follow-up alike",
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
        title: "stream `stream 5` and `stream 20000` (chunked artifacts), then GetTask",
        requirement: "append/lastChunk chunks reassemble into the artifact GetTask returns: every chunk, in order",
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
        title: "SubscribeToTask on a WORKING `hang` task and on an INPUT_REQUIRED task",
        requirement: "any non-terminal task can be subscribed to; the first event is the Task with its current state",
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

/// The task a stream is about ([`driver::stream_task`]); a Message-first stream leaves the
/// row UNTESTED.
fn task_of_stream(events: &[Value]) -> Result<(String, Option<String>), Outcome> {
    driver::stream_task(events).map_err(untested_without_task)
}

/// Judges only that a stream did not break: an error event or a fault is a FAIL; a clean end
/// or a stream still open at the deadline is left to the cases about closing.
fn intact(end: &End, events: &[Value]) -> Result<(), Outcome> {
    match end {
        End::Closed | End::Open => Ok(()),
        other => closed(other, events),
    }
}

/// The number of artifactUpdate events among `events`.
fn chunk_count(events: &[Value]) -> usize {
    events
        .iter()
        .filter(|e| matches!(member(e), Some(("artifactUpdate", _))))
        .count()
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
    let mut checks = Checks::new();
    if status != 200 {
        checks.add(Outcome::fail(
            "the streaming answer is not HTTP 200",
            "HTTP 200",
            format!("HTTP {status}, Content-Type: {ct:?}"),
        ));
    }
    if media != "text/event-stream" {
        checks.add(Outcome::fail(
            "the streaming answer is not an event stream",
            "Content-Type: text/event-stream",
            format!("HTTP {status}, Content-Type: {ct:?}"),
        ));
    }
    checks.finish(format!("HTTP 200, Content-Type: {ct}"))
}

/// SSE-002: JSON-RPC stream events are full JSON-RPC responses carrying StreamResponses.
async fn sse_002(ctx: Ctx) -> Judged {
    let mut r = open_text(&ctx, PLAIN, json!({})).await?;
    let req_id = serde_json::from_slice::<Value>(&r.request.body)
        .ok()
        .and_then(|b| b.get("id").cloned())
        .unwrap_or(Value::Null);
    let mut checks = Checks::new();
    let n = judge_each_event(&ctx, &mut r, "JSON-RPC response", &mut checks, |n, ev| {
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
    .await;
    checks.finish(format!(
        "{n} events, each a JSON-RPC response with id {req_id} and a StreamResponse result"
    ))
}

/// SSE-003: REST stream events are bare StreamResponses.
async fn sse_003(ctx: Ctx) -> Judged {
    let mut r = open_text(&ctx, PLAIN, json!({})).await?;
    let mut checks = Checks::new();
    let n = judge_each_event(&ctx, &mut r, "StreamResponse", &mut checks, |n, ev| {
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
    .await;
    checks.finish(format!("{n} events, each a bare StreamResponse"))
}

/// Reads a stream to its end and hands each event (numbered from 1) to `judge`, recording
/// every deviation in `checks`. A probe error before EOF is a deviation; a timeout after at
/// least one event ends the read (closing is judged by SSE-005/STRM-004). A stream with no
/// event is a deviation, naming `kind` as what was expected. Returns the number of events.
async fn judge_each_event(
    ctx: &Ctx,
    r: &mut crate::client::EventReader,
    kind: &str,
    checks: &mut Checks,
    mut judge: impl FnMut(usize, crate::client::StreamEvent) -> Result<(), Outcome>,
) -> usize {
    let until = Instant::now() + short(ctx);
    let mut n = 0usize;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let ev = match r.next(left.max(Duration::from_millis(1))).await {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(crate::errors::ProbeError::Timeout(_)) if n > 0 => break,
            Err(e) => {
                checks.add(Outcome::fail(
                    "the stream did not end cleanly",
                    format!("{kind} events, then EOF"),
                    format!("after {n} events: {e}"),
                ));
                break;
            }
        };
        n += 1;
        checks.check(judge(n, ev));
    }
    if n == 0 {
        checks.add(Outcome::fail(
            "the stream had no events",
            format!("at least one {kind} event"),
            "EOF with no event",
        ));
    }
    n
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
    task_of_stream(&events)?;
    let mut checks = Checks::new();
    checks.check(intact(&end, &events));
    let mut last_rank = 0u8;
    let mut backwards = false;
    let mut seqs = Vec::new();
    let mut artifacts_after_terminal = false;
    for e in &events {
        if let Some(s) = event_state(e) {
            let rk = rank(s);
            backwards |= rk < last_rank;
            last_rank = last_rank.max(rk);
        }
        if let Some(("artifactUpdate", u)) = member(e) {
            artifacts_after_terminal |= last_rank == 2;
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
    if backwards {
        checks.add(Outcome::fail(
            "task state moved backwards in the stream",
            "states in generation order (SUBMITTED → WORKING → terminal)",
            summarize(&events),
        ));
    }
    if artifacts_after_terminal {
        checks.add(Outcome::fail(
            "artifact chunks arrived after the terminal state",
            "every chunk before COMPLETED, as generated",
            summarize(&events),
        ));
    }
    let terminal_last = events
        .iter()
        .rev()
        .find_map(event_state)
        .is_some_and(driver::is_terminal);
    if !terminal_last {
        checks.add(Outcome::fail(
            "the terminal state is not the last state event",
            "COMPLETED last, as generated",
            summarize(&events),
        ));
    }
    if seqs != [0, 1, 2, 3, 4] {
        checks.add(Outcome::fail(
            "chunks are not in generation order",
            "chunks with seq 0,1,2,3,4 in order",
            format!("chunk seqs {seqs:?}: {}", summarize(&events)),
        ));
    }
    checks.finish(format!("in order: {}", summarize(&events)))
}

/// Whether `v` holds a `final` key on a status or artifact update (removed in 1.0).
fn has_final(sr: &Value) -> bool {
    matches!(member(sr), Some(("statusUpdate" | "artifactUpdate", u)) if u.get("final").is_some())
}

/// SSE-005: end of stream by closing the response, no `final`.
async fn sse_005(ctx: Ctx) -> Judged {
    let (events, end) = stream_plain(&ctx).await?;
    let mut checks = Checks::new();
    if let Some(e) = events.iter().find(|e| has_final(e)) {
        checks.add(Outcome::fail(
            "an event carries `final` (removed in 1.0)",
            "no `final` field; the end is the close of the response",
            expect::show(e),
        ));
    }
    checks.check(closed(&end, &events));
    checks.finish(format!(
        "closed by EOF after {}; no `final`",
        summarize(&events)
    ))
}

/// STRM-001 (revised 2026-12-02): the first event is a Task or a Message, for a new task and
/// for a streamed follow-up to an INPUT_REQUIRED task alike. Only the test agent makes an
/// INPUT_REQUIRED task on request; without it the follow-up half is UNTESTED.
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

/// SUB-001: SubscribeToTask on any non-terminal task starts with the current Task: a WORKING
/// task, and an INPUT_REQUIRED one (§3.1.6: only terminal tasks are refused).
async fn sub_001(ctx: Ctx) -> Judged {
    let mut checks = Checks::new();
    for command in ["hang", "input-required"] {
        checks.judged(subscribed_first(&ctx, command).await);
    }
    checks.finish("the first event is the Task in its current state")
}

/// One SUB-001 probe: a `hang` task (SUBMITTED or WORKING, depending on when the
/// subscription lands) or an `input-required` task (INPUT_REQUIRED), subscribed to.
async fn subscribed_first(ctx: &Ctx, command: &str) -> Judged {
    let (g, states): (driver::Hung, &[&str]) = if command == "hang" {
        (
            driver::hang(ctx).await.map_err(untested_without_task)?,
            &["TASK_STATE_SUBMITTED", "TASK_STATE_WORKING"],
        )
    } else {
        (
            driver::interrupted(ctx, command, "TASK_STATE_INPUT_REQUIRED")
                .await
                .map_err(untested_without_task)?,
            &["TASK_STATE_INPUT_REQUIRED"],
        )
    };
    let what = format!(
        "SubscribeToTask on a `{command}` task, in {}",
        states.join(" or ")
    );
    let sa = ctx
        .client()
        .stream(Method::SubscribeToTask, json!({ "id": g.id }))
        .await
        .map_err(|e| driver::harness("SubscribeToTask", e))?;
    let mut s = match sa {
        StreamAnswer::Open(s) => s,
        StreamAnswer::Refused(a) => {
            return Err(Outcome::fail(
                format!("{what} was refused"),
                "an event stream: only a terminal task may be refused (§3.1.6)",
                expect::describe(&a),
            ))
        }
    };
    let first = next(&mut s, short(ctx)).await;
    drop(s);
    g.cancel().await;
    let first = first?;
    match first.as_ref().and_then(member) {
        Some(("task", t))
            if t.get("id").and_then(Value::as_str).is_some()
                && expect::state_of(t).is_some_and(|st| states.contains(&st)) =>
        {
            Ok(Outcome::pass(format!(
                "`{command}`: the first event is the Task, {}",
                expect::state_of(t).unwrap_or_default()
            )))
        }
        _ => Err(Outcome::fail(
            format!("{what} did not start with the current Task"),
            format!(
                "{{\"task\":{{…,\"status\":{{\"state\":\"{}\"}}}}}}",
                states.join(" or ")
            ),
            first
                .as_ref()
                .map_or_else(|| "EOF".to_owned(), expect::show),
        )),
    }
}

/// SUB-002: SubscribeToTask on a terminal task is an UnsupportedOperationError.
async fn sub_002(ctx: Ctx) -> Judged {
    let task = driver::new_task(&ctx, PLAIN, json!({}), json!({}))
        .await
        .map_err(untested_without_task)?;
    let id = driver::require_id(&task)?;
    match expect::state_of(&task) {
        Some(s) if driver::is_terminal(s) => {}
        other => {
            return Err(Outcome::untested(
                format!("the task is not terminal after a blocking send (state {other:?}), so there is no terminal task to subscribe to"),
                driver::HELP_FINISHED_TASK,
            ))
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
    let g = driver::start(&ctx, "slow 1000", json!({}))
        .await
        .map_err(untested_without_task)?;
    let mut s = open(&ctx, Method::SubscribeToTask, json!({ "id": g.id })).await?;
    let (got, end) = collect(&mut s, short(&ctx)).await;
    let events = values(&got);
    let mut checks = Checks::new();
    checks.check(closed(&end, &events));
    let last = events.iter().rev().find_map(event_state);
    if last.is_some_and(driver::is_terminal) {
        g.disarm();
    } else {
        checks.add(Outcome::fail(
            "the subscription ended before the task was terminal",
            "a terminal status as the last state event, then EOF",
            summarize(&events),
        ));
    }
    checks.finish(format!("ended after {}", summarize(&events)))
}

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
