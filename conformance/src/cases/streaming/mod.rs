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
//!
//! One module per id prefix ([`sse`], [`strm`], [`sub`]);
//! this one holds what they share.

pub(super) mod sse;
pub(super) mod strm;
pub(super) mod sub;

use serde_json::{json, Value};

use crate::case::Outcome;
use crate::context::Ctx;
use crate::driver::{
    self, collect, open_text, short, summarize, untested_without_task, values, End,
};

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
