//! Helpers shared by the scenario families.

use std::time::Duration;

use gauntlet_conformance::case::Outcome;
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use crate::a2a::{Event, Log, Stream, Target};
use crate::errors::ChaosError;
use crate::scenario::Env;
use crate::wire::ConnOpts;

/// A harness failure (we could not judge), as an early stop.
pub fn harness(what: &str, e: ChaosError) -> Outcome {
    Outcome::error(format!("{what}: {e}"))
}

/// Reads a stream to its end in the background, as a task of the scenario run.
pub fn spawn_collect(
    env: &Env,
    stream: Stream,
    idle: Duration,
    overall: Duration,
) -> JoinHandle<Log> {
    env.spawn(stream.collect(idle, overall))
}

/// Starts a `stream N MS` task with SendStreamingMessage and reads its first event (the Task).
/// Returns the open stream, the first event and the task id.
pub async fn start_stream_task(
    env: &Env,
    target: &Target,
    n: u32,
    ms: u32,
    opts: ConnOpts,
) -> Result<(Stream, Event, String), Outcome> {
    let t = env.deadline(Duration::from_secs(5));
    let mut s = target
        .stream_text(&format!("stream {n} {ms}"), opts, t)
        .await
        .map_err(|e| harness("SendStreamingMessage", e))?;
    let first = s
        .next(t)
        .await
        .map_err(|e| Outcome::fail("no first event", "a Task event", e.to_string()))?
        .ok_or_else(|| Outcome::fail("the stream ended at once", "a Task event", "EOF"))?;
    let id = match &first {
        Event::Result(v) => v["task"]["id"].as_str().map(str::to_owned),
        _ => None,
    }
    .ok_or_else(|| {
        Outcome::fail(
            "the first stream event is not a Task",
            "{\"task\":{…}} first (§1.3)",
            first.to_string(),
        )
    })?;
    Ok((s, first, id))
}

/// Starts a task in the background (`returnImmediately`) and returns its id.
pub async fn start_task(env: &Env, target: &Target, text: &str) -> Result<String, Outcome> {
    let reply = target
        .send_text(
            text,
            json!({"configuration": {"returnImmediately": true}}),
            env.deadline(Duration::from_secs(5)),
        )
        .await
        .map_err(|e| harness("SendMessage", e))?;
    match reply {
        Ok(v) => v["task"]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| Outcome::error(format!("SendMessage returned no task: {v}"))),
        Err(e) => Err(Outcome::error(format!("SendMessage failed: {e}"))),
    }
}

/// Sends `text` with `returnImmediately` and the push config `push`: the new task's id, or the
/// server's JSON-RPC error when it refuses the config.
pub async fn start_pushed(
    env: &Env,
    text: &str,
    push: Value,
) -> Result<Result<String, Value>, Outcome> {
    let reply = env
        .target()
        .send_text(
            text,
            json!({"configuration": {
                "returnImmediately": true,
                "taskPushNotificationConfig": push,
            }}),
            env.deadline(Duration::from_secs(5)),
        )
        .await
        .map_err(|e| harness("SendMessage with a push config", e))?;
    Ok(match reply {
        Ok(v) => Ok(v["task"]["id"]
            .as_str()
            .ok_or_else(|| Outcome::error(format!("SendMessage returned no task: {v}")))?
            .to_owned()),
        Err(e) => Err(e),
    })
}

/// Whether a JSON-RPC error object is TaskNotFound (-32001).
pub fn is_task_not_found(e: &Value) -> bool {
    e["code"] == -32001
}

/// Whether a JSON-RPC error object is UnsupportedOperation (-32004), the answer to subscribing to
/// a terminal task.
pub fn is_unsupported(e: &Value) -> bool {
    e["code"] == -32004
}
