//! The driver: helpers that drive the server under test and the Gauntlet test agent (`fixtures/test-agent.md`) and read its answers:
//! start tasks with scripted behaviour, keep `hang` tasks under a cancel guard, open and drain
//! streams, and turn probe failures and error answers into outcomes.
//!
//! Everything here judges raw JSON values (digest §5 shapes), never typed models.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::case::{Judged, Outcome};
use crate::client::{A2aClient, Answer, CallOpts, EventReader, Reply, StreamAnswer};
use crate::context::Ctx;
use crate::errors::ProbeError;
use crate::expect;
use crate::spec::{ErrorCode, Method, INTERRUPTED_STATES, TERMINAL_STATES};
use crate::webhook::WebhookReceiver;

/// The four members of a `StreamResponse` (digest §5).
pub const STREAM_MEMBERS: [&str; 4] = ["task", "message", "statusUpdate", "artifactUpdate"];

/// A deadline long enough for a short scripted task, scaled by `--timeout-scale`.
pub fn short(ctx: &Ctx) -> Duration {
    ctx.deadline(Duration::from_secs(10))
}

/// A probe failure (timeout, refused connection) as an ERROR outcome.
pub fn harness(what: &str, e: ProbeError) -> Outcome {
    Outcome::error(format!("{what}: {e}"))
}

/// Calls `method`; probe failures become ERROR outcomes.
pub async fn call(ctx: &Ctx, method: Method, params: Value) -> Result<Answer, Outcome> {
    ctx.client()
        .call(method, params)
        .await
        .map_err(|e| harness(method.jsonrpc_name(), e))
}

/// Calls `method` with options; probe failures become ERROR outcomes.
pub async fn call_with(
    ctx: &Ctx,
    method: Method,
    params: Value,
    opts: CallOpts,
) -> Result<Answer, Outcome> {
    ctx.client()
        .call_with(method, params, opts)
        .await
        .map_err(|e| harness(method.jsonrpc_name(), e))
}

/// Calls `method` and requires success.
pub async fn call_ok(
    ctx: &Ctx,
    method: Method,
    params: Value,
    what: &str,
) -> Result<Value, Outcome> {
    let a = call(ctx, method, params).await?;
    expect::ok(&a, what).cloned()
}

/// SendMessage of a text message; returns the answer (success or not).
pub async fn send_text(
    ctx: &Ctx,
    text: &str,
    message_extra: Value,
    extra: Value,
) -> Result<Answer, Outcome> {
    ctx.client()
        .send_text(text, message_extra, extra)
        .await
        .map_err(|e| harness("SendMessage", e))
}

/// SendMessage that must produce a Task; a Message answer makes the case NOT-APPLICABLE (the
/// requirement is about tasks and this agent answered without one).
pub async fn new_task(
    ctx: &Ctx,
    text: &str,
    message_extra: Value,
    extra: Value,
) -> Result<Value, Outcome> {
    let resp = send_ok(&ctx.client(), text, message_extra, extra).await?.1;
    require_task(&resp)
}

/// The Task inside a SendMessageResponse.
pub fn require_task(resp: &Value) -> Result<Value, Outcome> {
    if let Some(t) = resp.get("task").filter(|t| t.is_object()) {
        return Ok(t.clone());
    }
    if resp.get("message").is_some() {
        return Err(Outcome::not_applicable(
            "the agent answered with a Message, not a Task, so there is no task to judge",
        ));
    }
    Err(Outcome::fail(
        "SendMessage result is neither {\"task\"} nor {\"message\"}",
        "a SendMessageResponse with exactly one of `task` / `message`",
        expect::show(resp),
    ))
}

/// A task's `id`, required.
pub fn require_id(task: &Value) -> Result<String, Outcome> {
    task.get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            Outcome::fail(
                "task has no id",
                "a Task with a non-empty string `id`",
                expect::show(task),
            )
        })
}

/// A task's or message's `contextId`, if present.
pub fn context_of(v: &Value) -> Option<&str> {
    v.get("contextId").and_then(Value::as_str)
}

/// Whether `s` is a terminal state.
pub fn is_terminal(s: &str) -> bool {
    TERMINAL_STATES.contains(&s)
}

/// Whether `s` is an interrupted state.
pub fn is_interrupted(s: &str) -> bool {
    INTERRUPTED_STATES.contains(&s)
}

/// GetTask that must succeed; `history` sets `historyLength`.
pub async fn get_task(ctx: &Ctx, id: &str, history: Option<i64>) -> Result<Value, Outcome> {
    let mut p = json!({ "id": id });
    if let Some(h) = history {
        p["historyLength"] = json!(h);
    }
    call_ok(ctx, Method::GetTask, p, "GetTask").await
}

/// A running `hang` task. Call [`Hung::cancel`] at the end of the case; if the case stops
/// early, dropping the guard cancels the task in the background.
pub struct Hung {
    /// The task as SendMessage returned it.
    pub task: Value,
    /// Its id.
    pub id: String,
    client: Option<A2aClient>,
}

impl Hung {
    /// Cancels the task now (cleanup; the answer is not judged).
    pub async fn cancel(mut self) {
        if let Some(c) = self.client.take() {
            let _ = c.call(Method::CancelTask, json!({ "id": self.id })).await;
        }
    }

    /// Forget the task: it was canceled by the case itself.
    pub fn disarm(mut self) {
        self.client = None;
    }
}

impl Drop for Hung {
    fn drop(&mut self) {
        if let (Some(c), Ok(rt)) = (self.client.take(), tokio::runtime::Handle::try_current()) {
            let id = std::mem::take(&mut self.id);
            rt.spawn(async move {
                let _ = c.call(Method::CancelTask, json!({ "id": id })).await;
            });
        }
    }
}

/// Guards a task started some other way so it is canceled when the case ends.
pub fn guard(ctx: &Ctx, task: Value) -> Result<Hung, Outcome> {
    let id = require_id(&task)?;
    Ok(Hung {
        task,
        id,
        client: Some(ctx.client()),
    })
}

/// Starts a test-agent `text` task with `returnImmediately: true` (e.g. `hang`, `slow 3000`)
/// and guards it. `message_extra` is merged into the message.
pub async fn start(ctx: &Ctx, text: &str, message_extra: Value) -> Result<Hung, Outcome> {
    let opts = CallOpts {
        timeout: Some(short(ctx)),
        ..CallOpts::default()
    };
    let mut msg = crate::client::user_message(text);
    crate::client::merge(&mut msg, message_extra);
    let params = json!({ "message": msg, "configuration": { "returnImmediately": true } });
    let a = match ctx.client().call_with(Method::SendMessage, params, opts).await {
        Ok(a) => a,
        Err(ProbeError::Timeout(d)) => {
            return Err(Outcome::error(format!(
                "SendMessage `{text}` with returnImmediately: true got no answer within {}; the server seems to wait for the task (see SEND-003), so no running task can be set up",
                crate::report::human::seconds(d)
            )))
        }
        Err(e) => return Err(harness("SendMessage", e)),
    };
    let resp = expect::ok(&a, "SendMessage (returnImmediately)").cloned()?;
    let task = require_task(&resp)?;
    if let Some(s) = expect::state_of(&task).filter(|s| is_terminal(s)) {
        return Err(Outcome::error(format!(
            "`{text}` came back already {s} although returnImmediately was set (see SEND-003), so no running task can be set up"
        )));
    }
    guard(ctx, task)
}

/// Starts a `hang` task (stays WORKING until canceled).
pub async fn hang(ctx: &Ctx) -> Result<Hung, Outcome> {
    start(ctx, "hang", json!({})).await
}

/// Runs `input-required` (or `auth-required`) to its interrupted state with a blocking send and
/// guards the task. Fails if the task does not come back in `want`.
pub async fn interrupted(ctx: &Ctx, command: &str, want: &str) -> Result<Hung, Outcome> {
    let task = new_task(ctx, command, json!({}), json!({})).await?;
    let g = guard(ctx, task)?;
    match expect::state_of(&g.task) {
        Some(s) if s == want => Ok(g),
        other => Err(Outcome::fail(
            format!("`{command}` did not leave the task in {want}"),
            format!("a blocking SendMessage returning the task in {want}"),
            format!("state {other:?}: {}", expect::show(&g.task)),
        )),
    }
}

/// Creates `n` tasks with `text` in one context: the first without a `contextId` (the server
/// assigns one), the others in that context. Returns the contextId and the tasks in creation
/// order. Using a server-assigned context keeps concurrent cases' tasks out of the way.
pub async fn tasks_in_context(
    ctx: &Ctx,
    n: usize,
    text: &str,
) -> Result<(String, Vec<Value>), Outcome> {
    let first = new_task(ctx, text, json!({}), json!({})).await?;
    let context = context_of(&first)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            Outcome::fail(
                "task has no contextId",
                "a Task carrying a contextId (digest §3.4.1)",
                expect::show(&first),
            )
        })?;
    let mut tasks = vec![first];
    for _ in 1..n {
        let t = new_task(ctx, text, json!({ "contextId": context }), json!({})).await?;
        tasks.push(t);
    }
    Ok((context, tasks))
}

// ---- streams ----

/// The single member of a StreamResponse, if exactly one of the four is present.
pub fn member(sr: &Value) -> Option<(&'static str, &Value)> {
    let obj = sr.as_object()?;
    let present: Vec<&'static str> = STREAM_MEMBERS
        .iter()
        .copied()
        .filter(|k| obj.contains_key(*k))
        .collect();
    match present.as_slice() {
        [one] => obj.get(*one).map(|v| (*one, v)),
        _ => None,
    }
}

/// The task state an event announces (`task` snapshot or `statusUpdate`), if any.
pub fn event_state(sr: &Value) -> Option<&str> {
    match member(sr)? {
        ("task", t) | ("statusUpdate", t) => expect::state_of(t),
        _ => None,
    }
}

/// One received stream event: its StreamResponse and when it arrived.
#[derive(Debug, Clone)]
pub struct Got {
    /// The StreamResponse.
    pub sr: Value,
    /// Arrival time.
    pub at: Instant,
}

/// How a collected stream ended.
#[derive(Debug, Clone, PartialEq)]
pub enum End {
    /// Clean EOF.
    Closed,
    /// Still open when the deadline passed.
    Open,
    /// An in-stream error event (the stream is expected to end after it).
    Error(String),
    /// A framing or transport fault.
    Fault(String),
}

/// Opens a stream that must be an SSE stream (a refusal is a FAIL).
pub async fn open(ctx: &Ctx, method: Method, params: Value) -> Result<EventReader, Outcome> {
    let sa = ctx
        .client()
        .stream(method, params)
        .await
        .map_err(|e| harness(method.jsonrpc_name(), e))?;
    opened(sa, method.jsonrpc_name())
}

/// SendStreamingMessage of a text message that must open an SSE stream.
pub async fn open_text(
    ctx: &Ctx,
    text: &str,
    message_extra: Value,
) -> Result<EventReader, Outcome> {
    let sa = ctx
        .client()
        .stream_text(text, message_extra, json!({}))
        .await
        .map_err(|e| harness("SendStreamingMessage", e))?;
    opened(sa, "SendStreamingMessage")
}

fn opened(sa: StreamAnswer, what: &str) -> Result<EventReader, Outcome> {
    match sa {
        StreamAnswer::Open(r) => Ok(r),
        StreamAnswer::Refused(a) => Err(Outcome::fail(
            format!("{what} was refused"),
            "HTTP 200 text/event-stream",
            expect::describe(&a),
        )),
    }
}

/// Reads one event. `Ok(None)` at EOF; an in-stream error or a garbled event is a FAIL unless
/// the caller handles errors itself (see [`collect`]).
pub async fn next(reader: &mut EventReader, within: Duration) -> Result<Option<Value>, Outcome> {
    match reader.next(within).await {
        Ok(None) => Ok(None),
        Ok(Some(ev)) => match ev.payload {
            Reply::Ok(v) => Ok(Some(v)),
            Reply::Err(e) => Err(Outcome::fail(
                "the stream carried an error event",
                "StreamResponse events",
                expect::describe_error(&e),
            )),
            Reply::Garbled(why) => Err(Outcome::fail(
                "the stream carried an unusable event",
                "StreamResponse events",
                format!("{why}: {}", ev.sse.data),
            )),
        },
        Err(ProbeError::Timeout(d)) => Err(Outcome::fail(
            "no stream event in time",
            format!("an event or the end of the stream within {d:?}"),
            "nothing",
        )),
        Err(e) => Err(Outcome::fail(
            "the stream broke",
            "well-formed SSE events",
            e.to_string(),
        )),
    }
}

/// Reads events until EOF, an error event, a fault, or `within` overall.
pub async fn collect(reader: &mut EventReader, within: Duration) -> (Vec<Got>, End) {
    let (got, end) = collect_until(reader, within, |_| false).await;
    (got, end.unwrap_or(End::Open))
}

/// Like [`collect`], but also stops after the event for which `stop` holds (the stream stays
/// open for the caller, and the end is `None`).
pub async fn collect_until(
    reader: &mut EventReader,
    within: Duration,
    mut stop: impl FnMut(&Value) -> bool,
) -> (Vec<Got>, Option<End>) {
    let until = Instant::now() + within;
    let mut got = Vec::new();
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (got, Some(End::Open));
        }
        match reader.next(left).await {
            Ok(None) => return (got, Some(End::Closed)),
            Ok(Some(ev)) => match ev.payload {
                Reply::Ok(v) => {
                    let done = stop(&v);
                    got.push(Got {
                        sr: v,
                        at: Instant::now(),
                    });
                    if done {
                        return (got, None);
                    }
                }
                Reply::Err(e) => return (got, Some(End::Error(expect::describe_error(&e)))),
                Reply::Garbled(why) => {
                    return (got, Some(End::Fault(format!("{why}: {}", ev.sse.data))))
                }
            },
            Err(ProbeError::Timeout(_)) => return (got, Some(End::Open)),
            Err(e) => return (got, Some(End::Fault(e.to_string()))),
        }
    }
}

/// Reads until the stream announces a state matching `want` (the matching event included).
/// Returns the events read; the stream stays open for the caller.
pub async fn read_until(
    reader: &mut EventReader,
    within: Duration,
    want: impl Fn(&str) -> bool,
) -> Result<Vec<Value>, Outcome> {
    let until = Instant::now() + within;
    let mut got = Vec::new();
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let ev = match next(reader, left.max(Duration::from_millis(1))).await? {
            Some(v) => v,
            None => {
                return Err(Outcome::fail(
                    "the stream ended before the expected state",
                    "a status event with the expected state",
                    summarize(&got),
                ))
            }
        };
        let hit = event_state(&ev).is_some_and(&want);
        got.push(ev);
        if hit {
            return Ok(got);
        }
    }
}

/// A compact listing of events for reports: `task(WORKING), artifactUpdate(echo), …`.
pub fn summarize(events: &[Value]) -> String {
    if events.is_empty() {
        return "no events".to_owned();
    }
    events
        .iter()
        .map(|e| match member(e) {
            Some((k @ ("task" | "statusUpdate"), v)) => {
                format!("{k}({})", expect::state_of(v).unwrap_or("?"))
            }
            Some(("artifactUpdate", v)) => format!(
                "artifactUpdate({})",
                v.get("artifact")
                    .and_then(|a| a.get("artifactId"))
                    .and_then(Value::as_str)
                    .unwrap_or("?")
            ),
            Some((k, _)) => k.to_owned(),
            None => format!("invalid({})", expect::show(e)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The task a stream is about: from a leading Task, else from the first update's `taskId`
/// (so cases other than STRM-001 still judge their own requirement). Returns the id and the
/// contextId; a Message-first stream makes a task case NOT-APPLICABLE.
pub fn stream_task(events: &[Value]) -> Result<(String, Option<String>), Outcome> {
    if let Some(("message", _)) = events.first().and_then(member) {
        return Err(Outcome::not_applicable(
            "the agent answered with a Message, so there is no task stream to judge",
        ));
    }
    for e in events {
        let found = match member(e) {
            Some(("task", t)) => t.get("id").and_then(Value::as_str).map(|id| (id, t)),
            Some((_, u)) => u.get("taskId").and_then(Value::as_str).map(|id| (id, u)),
            None => None,
        };
        if let Some((id, v)) = found {
            return Ok((id.to_owned(), context_of(v).map(str::to_owned)));
        }
    }
    Err(Outcome::fail(
        "no task in the stream",
        "a Task (or events naming a taskId)",
        summarize(events),
    ))
}

/// The StreamResponses of collected events.
pub fn values(got: &[Got]) -> Vec<Value> {
    got.iter().map(|g| g.sr.clone()).collect()
}

/// Judges a streaming call that must be refused with `code`: either before the stream (a JSON
/// error answer) or as an SSE stream whose first event is that error (digest §1.3, §2.4).
pub async fn expect_stream_error(
    sa: StreamAnswer,
    code: ErrorCode,
    within: Duration,
    what: &str,
) -> Judged {
    match sa {
        StreamAnswer::Refused(a) => expect::refused_with(&a, code, what),
        StreamAnswer::Open(mut r) => match r.next(within).await {
            Ok(Some(ev)) => match &ev.payload {
                Reply::Err(e) if expect::error_matches(e, code) => Ok(Outcome::pass(format!(
                    "{what}: {code:?} as the stream's only event ({})",
                    expect::describe_error(e)
                ))),
                Reply::Err(e) => Err(Outcome::fail(
                    format!("{what}: wrong error"),
                    expect::expected_error(code),
                    format!("error event: {}", expect::describe_error(e)),
                )),
                _ => Err(Outcome::fail(
                    format!("{what}: a stream was served instead of an error"),
                    expect::expected_error(code),
                    format!(
                        "first event {}",
                        expect::show(ev.json.as_ref().unwrap_or(&Value::Null))
                    ),
                )),
            },
            Ok(None) => Err(Outcome::fail(
                format!("{what}: empty stream"),
                expect::expected_error(code),
                "HTTP 200 event stream that closed with no event",
            )),
            Err(e) => Err(Outcome::fail(
                format!("{what}: no error event"),
                expect::expected_error(code),
                e.to_string(),
            )),
        },
    }
}

/// Artifacts of a task as `artifactId → parts`, in order.
pub fn artifacts(task: &Value) -> Vec<(String, Vec<Value>)> {
    task.get("artifacts")
        .and_then(Value::as_array)
        .map(|arts| {
            arts.iter()
                .map(|a| {
                    (
                        a.get("artifactId")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        a.get("parts")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Reassembles streamed artifact chunks (`append`/`lastChunk`, digest §5) into
/// `artifactId → parts`, in first-seen order.
pub fn reassemble(events: &[Value]) -> Vec<(String, Vec<Value>)> {
    let mut out: Vec<(String, Vec<Value>)> = Vec::new();
    for e in events {
        let Some(("artifactUpdate", u)) = member(e) else {
            continue;
        };
        let Some(art) = u.get("artifact") else {
            continue;
        };
        let id = art
            .get("artifactId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let parts = art
            .get("parts")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let append = u.get("append").and_then(Value::as_bool).unwrap_or(false);
        match out.iter_mut().find(|(k, _)| *k == id) {
            Some((_, p)) if append => p.extend(parts),
            Some((_, p)) => *p = parts,
            None => out.push((id, parts)),
        }
    }
    out
}

/// `history` entries of a task (`[]` when absent).
pub fn history(task: &Value) -> Vec<Value> {
    task.get("history")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// SendMessage of `text` (with `message_extra` / `extra` as in [`A2aClient::send_text`]); the
/// call must succeed. Returns the answer and its result.
///
/// [`A2aClient::send_text`]: crate::client::A2aClient::send_text
pub async fn send_ok(
    client: &crate::client::A2aClient,
    text: &str,
    message_extra: Value,
    extra: Value,
) -> Result<(Answer, Value), Outcome> {
    let answer = client
        .send_text(text, message_extra, extra)
        .await
        .map_err(expect::probe)?;
    let value = expect::ok(&answer, "SendMessage")?.clone();
    Ok((answer, value))
}

/// A finished echo task with one push config on it, for cases about push-config answers.
pub struct TaskWithConfig {
    /// The task id.
    pub task: String,
    /// The config id the server assigned.
    pub config: String,
    /// The Create answer (status and body are part of some cases' judgement).
    pub created: Answer,
}

/// Sends `echo {label}` and registers a config whose webhook is on the target's own origin
/// ([`crate::context::Ctx::inert_webhook_url`]). NOT-APPLICABLE when the agent answers with a
/// Message or the config cannot be created.
pub async fn task_with_push_config(
    ctx: &crate::context::Ctx,
    label: &str,
) -> Result<TaskWithConfig, Outcome> {
    let client = ctx.client();
    let (_, sent) = send_ok(&client, &format!("echo {label}"), Value::Null, Value::Null).await?;
    let Some(task) = expect::task_of(&sent).and_then(expect::id_of) else {
        return Err(Outcome::not_applicable(
            "the agent answered with a Message; no task to attach a push config to",
        ));
    };
    let created = client
        .call(
            crate::spec::Method::CreateTaskPushNotificationConfig,
            serde_json::json!({"taskId": task, "url": ctx.inert_webhook_url()}),
        )
        .await
        .map_err(expect::probe)?;
    let Some(config) = created.ok().and_then(expect::id_of) else {
        return Err(Outcome::not_applicable(format!(
            "could not create a push config: {}",
            expect::describe(&created)
        )));
    };
    Ok(TaskWithConfig {
        task,
        config,
        created,
    })
}

/// A task in a terminal state: sends `echo <text>` (blocking) and returns the Task. Servers
/// whose agent answers with a Message or leaves the task open make the caller NOT-APPLICABLE.
pub async fn finished_task(
    client: &crate::client::A2aClient,
    text: &str,
) -> Result<Value, Outcome> {
    let (_, result) = send_ok(client, &format!("echo {text}"), Value::Null, Value::Null).await?;
    let Some(task) = expect::task_of(&result) else {
        return Err(Outcome::not_applicable(
            "the agent answered with a Message, so no terminal task is available",
        ));
    };
    match expect::state_of(task) {
        Some(s) if crate::spec::TERMINAL_STATES.contains(&s) => Ok(task.clone()),
        other => Err(Outcome::not_applicable(format!(
            "the agent left the task in {}, so no terminal task is available",
            other.unwrap_or("no state")
        ))),
    }
}

/// A task that stays WORKING until cancelled (test agent `hang`, sent with
/// `returnImmediately`). Returns its id.
pub async fn hanging_task(client: &crate::client::A2aClient) -> Result<String, Outcome> {
    let (_, result) = send_ok(
        client,
        "hang",
        Value::Null,
        serde_json::json!({"configuration": {"returnImmediately": true}}),
    )
    .await?;
    expect::task_of(&result)
        .and_then(expect::id_of)
        .ok_or_else(|| {
            Outcome::fail(
                "`hang` did not create a task",
                "a Task in the SendMessage result (test agent contract)",
                expect::show(&result),
            )
        })
}

// ---- task rows the agent answered without a task, and whole stored artifacts ----

/// What makes a task row judgeable when the agent answered with a Message.
pub const HELP_TASK_ANSWER: &str =
    "a target whose agent answers this request with a Task (the gauntlet-test-agent skill does, fixtures/test-agent.md)";

/// What makes a row judgeable that needs a finished task (or its artifact) from a plain message.
pub const HELP_FINISHED_TASK: &str =
    "a target whose agent completes a plain text message with an artifact (the gauntlet-test-agent skill's echo does, fixtures/test-agent.md)";

/// For a row that applies: the NOT-APPLICABLE that [`require_task`], [`new_task`] and
/// [`stream_task`] give when the agent answered with a Message becomes UNTESTED, because the
/// row holds for any task and only this agent's answer kept it from being observed. Other
/// outcomes pass through.
pub fn untested_without_task(o: Outcome) -> Outcome {
    if o.verdict == crate::case::Verdict::NotApplicable {
        Outcome::untested(o.summary, HELP_TASK_ANSWER)
    } else {
        o
    }
}

/// The most chunks one `stream N` asks the test agent for (its cap, fixtures/test-agent.md §2).
pub const STREAM_CAP: usize = 20_000;

/// The parts of the whole `stream` artifact of a test-agent `stream n` run, in order:
/// part `i` is `{"data":{"seq":i,"of":n}}` (fixtures/test-agent.md §3).
pub fn stream_run_parts(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({ "data": { "seq": i, "of": n } }))
        .collect()
}

/// The parts of artifact `id` of a task (or `[]`), borrowed: a `stream 20000` artifact is
/// large.
pub fn artifact_parts<'a>(task: &'a Value, id: &str) -> &'a [Value] {
    task.get("artifacts")
        .and_then(Value::as_array)
        .and_then(|arts| {
            arts.iter()
                .find(|a| a.get("artifactId").and_then(Value::as_str) == Some(id))
        })
        .and_then(|a| a.get("parts"))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The `artifactId`s of a task's artifacts, in order.
pub fn artifact_ids(task: &Value) -> Vec<String> {
    artifacts(task).into_iter().map(|(id, _)| id).collect()
}

/// A part as compared between answers: without ProtoJSON default fields (digest §0), and with
/// whole numbers read numerically (`Part.data` numbers are doubles, so `0.0` is `0`).
fn comparable_part(p: &Value) -> Value {
    fn numbers(v: &Value) -> Value {
        match v {
            Value::Number(_) => expect::whole_number(v).map_or_else(|| v.clone(), |i| json!(i)),
            Value::Array(a) => Value::Array(a.iter().map(numbers).collect()),
            Value::Object(o) => {
                Value::Object(o.iter().map(|(k, v)| (k.clone(), numbers(v))).collect())
            }
            other => other.clone(),
        }
    }
    numbers(&expect::without_defaults(p, expect::Shape::Part))
}

/// How the part list `got` differs from `want`: the counts, then the first part that differs
/// (ProtoJSON defaults and `0.0`/`0` aside). `None` when they hold the same parts in the same
/// order. Every part is compared, so a list with as many parts but other content differs too.
pub fn parts_difference(got: &[Value], want: &[Value]) -> Option<String> {
    let first = got
        .iter()
        .zip(want)
        .position(|(g, w)| g != w && comparable_part(g) != comparable_part(w));
    let at = |i: usize| {
        format!(
            "part {i} is {} where {} was expected",
            got.get(i)
                .map_or_else(|| "missing".to_owned(), expect::show),
            want.get(i)
                .map_or_else(|| "nothing".to_owned(), expect::show)
        )
    };
    match (first, got.len() == want.len()) {
        (None, true) => None,
        (None, false) => Some(format!(
            "{} parts instead of {}; {}",
            got.len(),
            want.len(),
            at(got.len().min(want.len()))
        )),
        (Some(i), _) => Some(format!(
            "{} parts (expected {}); first difference: {}",
            got.len(),
            want.len(),
            at(i)
        )),
    }
}

/// Starts a webhook receiver for one case.
pub async fn receiver(ctx: &Ctx) -> Result<WebhookReceiver, Outcome> {
    let _ = ctx;
    WebhookReceiver::start()
        .await
        .map_err(|e| Outcome::error(format!("cannot start the webhook receiver: {e}")))
}

/// What would make a row judgeable when the target refuses the suite's loopback webhook.
pub const ALLOW_LOOPBACK_HINT: &str = "allow private/loopback webhooks on the target";

/// The success value of a call that registered the suite's loopback receiver. A validation
/// error there is taken as the server's SSRF guard (PUSH-012, a SHOULD it may well follow)
/// refusing loopback webhooks: the row applies but cannot be observed, so it is UNTESTED,
/// quoting the server's reason.
pub fn registered(a: &crate::client::Answer, what: &str) -> Result<Value, Outcome> {
    match &a.reply {
        Reply::Err(e) if expect::error_matches(e, ErrorCode::InvalidParams) => {
            Err(loopback_refused(e))
        }
        _ => expect::ok(a, what).cloned(),
    }
}

/// UNTESTED: the server refused a webhook on 127.0.0.1 (`e` is its answer).
pub fn loopback_refused(e: &crate::client::WireError) -> Outcome {
    Outcome::untested(
        format!(
            "the server refused the suite's webhook on 127.0.0.1 ({}), presumably its SSRF guard (PUSH-012), so this row cannot be observed",
            expect::describe_error(e)
        ),
        ALLOW_LOOPBACK_HINT,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Verdict;

    #[test]
    fn member_requires_exactly_one_stream_response_key() {
        assert_eq!(member(&json!({"task": {}})).map(|m| m.0), Some("task"));
        assert!(member(&json!({"task": {}, "message": {}})).is_none());
        assert!(member(&json!({"kind": "task"})).is_none());
    }

    #[test]
    fn chunks_with_append_reassemble_and_without_replace() {
        let chunk = |parts: Value, append: bool| {
            json!({"artifactUpdate": {"taskId": "t", "contextId": "c", "append": append,
                "artifact": {"artifactId": "a", "parts": parts}}})
        };
        let events = [
            chunk(json!([{"text": "x"}]), false),
            chunk(json!([{"text": "y"}]), false),
            chunk(json!([{"text": "z"}]), true),
        ];
        assert_eq!(
            reassemble(&events),
            vec![(
                "a".to_owned(),
                vec![json!({"text": "y"}), json!({"text": "z"})]
            )]
        );
    }

    #[test]
    fn stream_task_falls_back_to_the_first_update_and_skips_messages() {
        let ev = [json!({"statusUpdate": {"taskId": "t1", "contextId": "c1", "status": {}}})];
        assert_eq!(
            stream_task(&ev).ok(),
            Some(("t1".to_owned(), Some("c1".to_owned())))
        );
        let msg = [json!({"message": {"messageId": "m"}})];
        assert_eq!(
            stream_task(&msg).err().map(|o| o.verdict),
            Some(Verdict::NotApplicable)
        );
    }

    #[test]
    fn parts_differ_by_count_order_and_content_not_by_defaults_or_number_spelling() {
        let want = stream_run_parts(3);
        assert_eq!(parts_difference(&want, &want), None);
        let spelled = [
            json!({"data": {"seq": 0.0, "of": 3.0}, "mediaType": ""}),
            json!({"data": {"seq": 1, "of": 3}, "metadata": {}}),
            json!({"data": {"seq": 2, "of": 3}}),
        ];
        assert_eq!(parts_difference(&spelled, &want), None);
        let short = parts_difference(&want[..2], &want).unwrap();
        assert!(short.starts_with("2 parts instead of 3"), "{short}");
        // As many parts is not enough: the content must be the same, in order.
        let swapped = [want[0].clone(), want[2].clone(), want[1].clone()];
        let d = parts_difference(&swapped, &want).unwrap();
        assert!(d.contains("part 1"), "{d}");
    }

    #[test]
    fn a_message_answer_leaves_a_task_row_untested_and_other_outcomes_pass_through() {
        let na = require_task(&json!({"message": {"messageId": "m"}})).unwrap_err();
        let o = untested_without_task(na);
        assert_eq!(o.verdict, Verdict::Untested);
        assert_eq!(o.expected.as_deref(), Some(HELP_TASK_ANSWER));
        let fail = untested_without_task(Outcome::fail("x", "y", "z"));
        assert_eq!(fail.verdict, Verdict::Fail);
    }

    #[test]
    fn artifact_parts_borrow_the_named_artifact() {
        let t = json!({"artifacts": [
            {"artifactId": "a", "parts": [{"text": "1"}]},
            {"artifactId": "stream", "parts": [{"text": "2"}, {"text": "3"}]},
        ]});
        assert_eq!(artifact_parts(&t, "stream").len(), 2);
        assert!(artifact_parts(&t, "nope").is_empty());
        assert_eq!(artifact_ids(&t), ["a", "stream"]);
    }
}
