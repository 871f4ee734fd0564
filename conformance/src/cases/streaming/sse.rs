//! Cases for SSE (digest §9.6, SSE-001 to SSE-006): the SSE framing of both bindings (§1.3, §2.4).

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{closed, intact, stream_plain, task_of_stream, PLAIN};
use crate::case::{Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::context::Ctx;
use crate::driver::{self, collect, event_state, member, open_text, short, summarize, values};
use crate::expect;

/// SSE-001: streaming responses are HTTP 200 text/event-stream.
pub(crate) const SSE_001: Case = Case {
    id: "SSE-001",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Streaming],
    title: "SendStreamingMessage with a text message",
    requirement: "the answer is HTTP 200 with Content-Type text/event-stream",
    spec: "§9.4.2, §11.7",
    exec: Exec::Run(crate::run_fn!(sse_001)),
};
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
pub(crate) const SSE_002: Case = Case {
    id: "SSE-002",
    level: Level::Must,
    bindings: Bindings::JsonRpc,
    needs: &[Need::Streaming],
    title: "SendStreamingMessage over JSON-RPC",
    requirement: "every data: is a full JSON-RPC response with the request's id whose result is a StreamResponse",
    spec: "§9.4.2",
    exec: Exec::Run(crate::run_fn!(sse_002)),
};
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
pub(crate) const SSE_003: Case = Case {
    id: "SSE-003",
    level: Level::Must,
    bindings: Bindings::Rest,
    needs: &[Need::Streaming],
    title: "POST /message:stream",
    requirement: "every data: is a bare StreamResponse (no JSON-RPC envelope)",
    spec: "§11.7",
    exec: Exec::Run(crate::run_fn!(sse_003)),
};
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
pub(crate) const SSE_004: Case = Case {
    id: "SSE-004",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Streaming, Need::TestAgent],
    title: "stream `stream 5 50` (five ordered chunks)",
    requirement: "events arrive in generation order: task, WORKING, chunks 0..4, COMPLETED",
    spec: "§3.5.2",
    exec: Exec::Run(crate::run_fn!(sse_004)),
};
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
pub(crate) const SSE_005: Case = Case {
    id: "SSE-005",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Streaming],
    title: "stream a text message to its end",
    requirement: "the end is signalled by closing the response; no `final` field",
    spec: "§3.1.2",
    exec: Exec::Run(crate::run_fn!(sse_005)),
};
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

pub(crate) const SSE_006: Case = Case {
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
};

/// The SSE cases, in digest order.
pub(crate) const CASES: &[Case] = &[SSE_001, SSE_002, SSE_003, SSE_004, SSE_005, SSE_006];
