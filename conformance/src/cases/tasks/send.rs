//! Cases for SEND (digest §9.7, SEND-001 to SEND-011): SendMessage modes and results (§3.1.1,
//! §3.2.2).

use std::time::Duration;

use serde_json::{json, Value};

use super::{new_task, new_task_state, tasks, PLAIN};
use crate::case::{Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::client::{CallOpts, Reply};
use crate::context::Ctx;
use crate::driver::{self, call, call_ok, history, short, untested_without_task};
use crate::errors::ProbeError;
use crate::expect;
use crate::spec::{ErrorCode, Method};

/// SEND-001: SendMessage returns a Task or a Message.
pub(crate) const SEND_001: Case = Case {
    id: "SEND-001",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "SendMessage with a text message",
    requirement: "the result is {\"task\":…} or {\"message\":…}",
    spec: "§3.1.1",
    exec: Exec::Run(crate::run_fn!(send_001)),
};
async fn send_001(ctx: Ctx) -> Judged {
    let resp = driver::send_ok(&ctx.client(), PLAIN, json!({}), json!({}))
        .await?
        .1;
    let keys: Vec<&str> = ["task", "message"]
        .into_iter()
        .filter(|k| resp.get(*k).is_some_and(Value::is_object))
        .collect();
    let others = resp.as_object().map_or(0, |o| {
        o.keys().filter(|k| *k != "task" && *k != "message").count()
    });
    if keys.len() != 1 || others != 0 {
        return Ok(Outcome::fail(
            "SendMessage result is not {\"task\"} or {\"message\"}",
            "a SendMessageResponse with exactly one of `task` / `message`",
            expect::show(&resp),
        ));
    }
    Ok(Outcome::pass(format!("result is {{\"{}\":…}}", keys[0])))
}

/// SEND-002: a blocking send returns a terminal or interrupted task.
pub(crate) const SEND_002: Case = Case {
    id: "SEND-002",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::TestAgent],
    title: "blocking SendMessage of `slow 500` and of `input-required`",
    requirement: "the returned task is terminal or interrupted",
    spec: "§3.2.2",
    exec: Exec::Run(crate::run_fn!(send_002)),
};
async fn send_002(ctx: Ctx) -> Judged {
    let mut checks = Checks::new();
    for cmd in ["slow 500", "input-required"] {
        let Some((t, s)) = new_task_state(&ctx, cmd, &mut checks).await else {
            continue;
        };
        if !driver::is_terminal(&s) {
            // An interrupted (or still running) task would otherwise be left behind.
            if let Ok(g) = driver::guard(&ctx, t) {
                g.cancel().await;
            }
        }
        if driver::is_terminal(&s) || driver::is_interrupted(&s) {
            checks.note(format!("`{cmd}` → {s}"));
        } else {
            checks.add(Outcome::fail(
                format!("blocking `{cmd}` returned a task still in progress"),
                "a terminal or interrupted state",
                s,
            ));
        }
    }
    checks.finish("blocking sends returned once the task was terminal or interrupted")
}

/// SEND-003: returnImmediately returns before the work is done.
pub(crate) const SEND_003: Case = Case {
    id: "SEND-003",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::TestAgent],
    title: "SendMessage of `slow 2000` with returnImmediately: true",
    requirement: "returns without waiting for completion, with a non-terminal task",
    spec: "§3.2.2",
    exec: Exec::Run(crate::run_fn!(send_003)),
};
async fn send_003(ctx: Ctx) -> Judged {
    let opts = CallOpts {
        timeout: Some(short(&ctx)),
        ..CallOpts::default()
    };
    let params = json!({
        "message": crate::client::user_message("slow 2000"),
        "configuration": { "returnImmediately": true },
    });
    let a = driver::call_with(&ctx, Method::SendMessage, params, opts).await?;
    let task = driver::require_task(&expect::ok(&a, "SendMessage").cloned()?)
        .map_err(untested_without_task)?;
    let g = driver::guard(&ctx, task)?;
    let took = a.raw.elapsed;
    let s = expect::state_of(&g.task).unwrap_or("?").to_owned();
    g.cancel().await;
    let mut checks = Checks::new();
    if driver::is_terminal(&s) {
        checks.add(Outcome::fail(
            "returnImmediately returned a finished task",
            "a non-terminal task (`slow 2000` works for 2 s)",
            format!("state {s}, answered after {took:?}"),
        ));
    }
    if took >= Duration::from_millis(1500) {
        checks.add(Outcome::fail(
            "returnImmediately waited for the work",
            "an answer well under 2 s (`slow 2000` works for 2 s)",
            format!("answered after {took:?} with state {s}"),
        ));
    }
    checks.finish(format!("answered after {took:?}, state {s}"))
}

/// SEND-004: a blocking response has the latest status and all artifacts, at 3 chunks and at
/// the test agent's cap.
pub(crate) const SEND_004: Case = Case {
    id: "SEND-004",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::TestAgent],
    title: "blocking SendMessage of `stream 3` and of `stream 20000`",
    requirement: "the response carries the latest status and all artifacts: every chunk, in order, as GetTask reports",
    spec: "§3.2.2",
    exec: Exec::Run(crate::run_fn!(send_004)),
};
async fn send_004(ctx: Ctx) -> Judged {
    let mut checks = Checks::new();
    for n in [3, driver::STREAM_CAP] {
        checks.judged(blocking_stream(&ctx, n).await);
    }
    checks.finish("COMPLETED with every artifact, same as GetTask")
}

/// One SEND-004 probe: a blocking `stream n`, whose answer must carry the latest status and
/// the whole artifact `stream` (all `n` parts in order, fixtures/test-agent.md §3), equal to
/// GetTask's. A server whose own per-task limit is below the run may refuse it or fail the
/// task, if it says so (test-agent.md §2): that is noted, not judged.
async fn blocking_stream(ctx: &Ctx, n: usize) -> Judged {
    let cmd = format!("stream {n}");
    let within = ctx.deadline(Duration::from_secs(15));
    let opts = CallOpts {
        timeout: Some(within),
        ..CallOpts::default()
    };
    let message = crate::client::user_message(&cmd);
    let message_id = message["messageId"].as_str().unwrap_or_default().to_owned();
    let params = json!({ "message": message });
    let a = match ctx
        .client()
        .call_with(Method::SendMessage, params, opts)
        .await
    {
        Ok(a) => a,
        Err(ProbeError::Timeout(d)) => {
            // The run goes on at the server: stop it, so it does not slow the cases after.
            cancel_task_of(ctx, &message_id).await;
            return Err(Outcome::untested(
                format!(
                    "blocking `{cmd}` got no answer within {d:?}, so its artifact could not be checked"
                ),
                "raise --timeout-scale for a slow target",
            ));
        }
        Err(e) => return Err(driver::harness("SendMessage", e)),
    };
    if let (Reply::Err(e), true) = (&a.reply, n > 3) {
        return Ok(Outcome::pass(format!(
            "`{cmd}` was refused ({}), as a target with a smaller per-task limit may do",
            expect::describe_error(e)
        )));
    }
    let t = driver::require_task(&expect::ok(&a, "SendMessage")?.clone())
        .map_err(untested_without_task)?;
    let state = expect::state_of(&t).unwrap_or("?").to_owned();
    if state == "TASK_STATE_FAILED" && n > 3 {
        return Ok(Outcome::pass(format!(
            "`{cmd}` FAILED ({}), as a target with a smaller per-task limit may do",
            expect::show(&t["status"])
        )));
    }
    let id = driver::require_id(&t)?;
    let now = driver::get_task(ctx, &id, None).await?;
    let mut checks = Checks::new();
    if state != "TASK_STATE_COMPLETED" || expect::state_of(&now) != Some(state.as_str()) {
        checks.add(Outcome::fail(
            format!("the blocking `{cmd}` response does not carry the latest status"),
            "COMPLETED in the response, as GetTask reports",
            format!("response {state}, GetTask {:?}", expect::state_of(&now)),
        ));
    }
    let sent = driver::artifact_parts(&t, "stream");
    if let Some(d) = driver::parts_difference(sent, &driver::stream_run_parts(n)) {
        checks.add(Outcome::fail(
            format!("the blocking `{cmd}` response lacks artifact content"),
            format!(
                "artifact `stream` with all {n} parts (seq 0..{}) in order",
                n - 1
            ),
            d,
        ));
    }
    let (ids_sent, ids_stored) = (driver::artifact_ids(&t), driver::artifact_ids(&now));
    let stored = driver::artifact_parts(&now, "stream");
    let differs = driver::parts_difference(sent, stored);
    if ids_sent != ids_stored || differs.is_some() {
        checks.add(Outcome::fail(
            format!("the blocking `{cmd}` response and GetTask disagree on the artifacts"),
            "the same artifacts, with the same parts, in both",
            format!(
                "response artifacts {ids_sent:?}, GetTask {ids_stored:?}{}",
                differs.map_or_else(String::new, |d| format!("; response vs GetTask: {d}"))
            ),
        ));
    }
    checks.finish(format!("`{cmd}`: COMPLETED with all {n} parts"))
}

/// Cancels (best effort, answers not judged) the recent task whose history holds the message
/// `message_id`: a blocking send that timed out leaves its task running.
async fn cancel_task_of(ctx: &Ctx, message_id: &str) {
    let Ok(a) = call(ctx, Method::ListTasks, json!({ "pageSize": 100 })).await else {
        return;
    };
    let Reply::Ok(page) = &a.reply else {
        return;
    };
    for t in tasks(page) {
        let ours = history(&t)
            .iter()
            .any(|m| m.get("messageId").and_then(Value::as_str) == Some(message_id));
        if let (true, Some(id)) = (ours, expect::id_of(&t)) {
            let _ = call(ctx, Method::CancelTask, json!({ "id": id })).await;
        }
    }
}

/// SEND-005: configuration.historyLength is honoured.
pub(crate) const SEND_005: Case = Case {
    id: "SEND-005",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "SendMessage with configuration.historyLength 1, then 0",
    requirement: "at most N history entries; with 0 the `history` key is absent (SHOULD)",
    spec: "proto, §3.2.4",
    exec: Exec::Run(crate::run_fn!(send_005)),
};
async fn send_005(ctx: Ctx) -> Judged {
    let mut checks = Checks::new();
    for n in [1usize, 0] {
        let sent = driver::send_ok(
            &ctx.client(),
            PLAIN,
            json!({}),
            json!({ "configuration": { "historyLength": n } }),
        )
        .await;
        let t = match sent.and_then(|(_, r)| driver::require_task(&r)) {
            Ok(t) => t,
            Err(o) => {
                checks.add(untested_without_task(o));
                continue;
            }
        };
        let h = t.get("history");
        let entries = history(&t).len();
        if entries > n {
            checks.add(Outcome::fail(
                format!("historyLength {n} returned more history"),
                format!("at most {n} history entries"),
                format!(
                    "{entries} entries: {}",
                    h.map_or_else(String::new, expect::show)
                ),
            ));
        } else if n == 0 && h.is_some() {
            checks.add(Outcome::non_strict(
                "historyLength 0 gave an empty `history` instead of none",
                "no `history` key (SHOULD)",
                format!("\"history\": {}", h.map_or_else(String::new, expect::show)),
            ));
        }
    }
    checks.finish("historyLength 1 → ≤1 entry; 0 → no `history` key")
}

/// SEND-006: an unknown message.taskId is a TaskNotFoundError.
pub(crate) const SEND_006: Case = Case {
    id: "SEND-006",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "SendMessage whose message.taskId is unknown",
    requirement: "TaskNotFoundError (-32001 / 404)",
    spec: "§3.4.2",
    exec: Exec::Run(crate::run_fn!(send_006)),
};
async fn send_006(ctx: Ctx) -> Judged {
    let a = driver::send_text(
        &ctx,
        PLAIN,
        json!({ "taskId": ctx.unique("no-such-task") }),
        json!({}),
    )
    .await?;
    expect::refused_with(&a, ErrorCode::TaskNotFound, "message to an unknown task")
}

/// SEND-007: a message to a terminal task is an UnsupportedOperationError.
pub(crate) const SEND_007: Case = Case {
    id: "SEND-007",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "SendMessage to a completed task",
    requirement: "UnsupportedOperationError (-32004 / 400); -32602 is a known deviation",
    spec: "§3.1.1",
    exec: Exec::Run(crate::run_fn!(send_007)),
};
async fn send_007(ctx: Ctx) -> Judged {
    let t = new_task(&ctx, PLAIN, json!({}), json!({})).await?;
    let id = driver::require_id(&t)?;
    if !expect::state_of(&t).is_some_and(driver::is_terminal) {
        return Err(Outcome::untested(
            format!(
                "the task is not terminal after a blocking send (state {:?}), so there is no terminal task to message",
                expect::state_of(&t)
            ),
            driver::HELP_FINISHED_TASK,
        ));
    }
    let a = driver::send_text(&ctx, PLAIN, json!({ "taskId": id }), json!({})).await?;
    if let Reply::Err(e) = &a.reply {
        if expect::error_matches(e, ErrorCode::InvalidParams) {
            return Ok(Outcome::fail(
                "terminal task answered with InvalidParams",
                expect::expected_error(ErrorCode::UnsupportedOperation),
                format!(
                    "{} — InvalidParams is what a2a-go and a2a-python ≤1.1 send, but the spec requires UnsupportedOperationError (§3.1.1)",
                    expect::describe_error(e)
                ),
            ));
        }
    }
    expect::refused_with(
        &a,
        ErrorCode::UnsupportedOperation,
        "message to a completed task",
    )
}

/// Whether a media-type pattern list accepts `mt` (`*/*`, `type/*`, exact).
fn accepts(modes: &[&str], mt: &str) -> bool {
    let major = mt.split('/').next().unwrap_or("");
    modes.iter().any(|m| {
        let m = m
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        m == "*/*" || m == "*" || m == mt || m == format!("{major}/*")
    })
}

/// SEND-008 (revised 2026-12-02): a part outside the input modes SHOULD be refused, and a
/// refusal for the media type MUST be ContentTypeNotSupportedError. Processing the part is
/// NON-STRICT; another error is a FAIL, unless the same message with the part in an accepted
/// media type is refused too (then the refusal is not about the media type: UNTESTED).
pub(crate) const SEND_008: Case = Case {
    id: "SEND-008",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "SendMessage with a part of a media type outside defaultInputModes (and the same part with an accepted type)",
    requirement: "the part SHOULD be refused; a refusal for its media type MUST be ContentTypeNotSupportedError (-32005 / 400)",
    spec: "§3.1.1, §3.3.2",
    exec: Exec::Run(crate::run_fn!(send_008)),
};
async fn send_008(ctx: Ctx) -> Judged {
    const ODD: &str = "application/x-gauntlet-unsupported";
    let modes: Vec<String> = ctx
        .target()
        .card
        .get("defaultInputModes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let refs: Vec<&str> = modes.iter().map(String::as_str).collect();
    if refs.is_empty() || accepts(&refs, ODD) {
        return Ok(Outcome::not_applicable(format!(
            "the card's defaultInputModes {modes:?} do not restrict input, so no media type is unsupported"
        )));
    }
    let with_part = |media: &str| {
        let mut msg = crate::client::user_message("echo unsupported part");
        if let Some(parts) = msg.get_mut("parts").and_then(Value::as_array_mut) {
            parts.push(json!({ "raw": "Z2F1bnRsZXQ=", "mediaType": media, "filename": "g.bin" }));
        }
        json!({ "message": msg })
    };
    let a = call(&ctx, Method::SendMessage, with_part(ODD)).await?;
    let e = match &a.reply {
        Reply::Err(e) => e,
        Reply::Ok(v) => {
            return Err(Outcome::non_strict(
                format!("a {ODD} part was processed, not refused"),
                format!(
                    "ContentTypeNotSupportedError (-32005 / 400): the card's defaultInputModes are {modes:?} (SHOULD refuse)"
                ),
                expect::show(v),
            ))
        }
        Reply::Garbled(_) => {
            return Err(Outcome::fail(
                "unusable answer",
                expect::expected_error(ErrorCode::ContentTypeNotSupported),
                expect::describe(&a),
            ))
        }
    };
    if expect::error_matches(e, ErrorCode::ContentTypeNotSupported) {
        return expect::refused_with(
            &a,
            ErrorCode::ContentTypeNotSupported,
            &format!("a {ODD} part"),
        );
    }
    // Another error: is it about the media type? The same part in an accepted type tells.
    let Some(good) = refs.iter().find(|m| !m.contains('*')).copied() else {
        return Err(Outcome::untested(
            format!(
                "a {ODD} part was refused with {}, and no concrete accepted media type is declared to tell whether the refusal is about the media type",
                expect::describe_error(e)
            ),
            "declare concrete media types in defaultInputModes",
        ));
    };
    let control = call(&ctx, Method::SendMessage, with_part(good)).await?;
    match &control.reply {
        Reply::Ok(_) => Err(Outcome::fail(
            format!("a {ODD} part was refused with the wrong error"),
            expect::expected_error(ErrorCode::ContentTypeNotSupported),
            format!(
                "{} (the same part as {good} was accepted, so the refusal is about the media type)",
                expect::describe_error(e)
            ),
        )),
        _ => Err(Outcome::untested(
            format!(
                "a {ODD} part was refused with {}, but so was the same part as {good} ({}), so the refusal is not about the media type",
                expect::describe_error(e),
                expect::describe(&control)
            ),
            "a target that accepts a raw part in one of its defaultInputModes",
        )),
    }
}

/// The media type of an output part (text parts default to text/plain; `""` is unset, §0).
fn part_media(p: &Value) -> String {
    let declared = p
        .get("mediaType")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty());
    let implied = [("text", "text/plain"), ("data", "application/json")]
        .into_iter()
        .find(|(field, _)| p.get(field).is_some())
        .map_or("application/octet-stream", |(_, media)| media);
    declared.unwrap_or(implied).to_ascii_lowercase()
}

/// SEND-009: acceptedOutputModes is honoured.
pub(crate) const SEND_009: Case = Case {
    id: "SEND-009",
    level: Level::Should,
    bindings: Bindings::Each,
    needs: &[Need::TestAgent],
    title: "SendMessage of `parts` with acceptedOutputModes [text/plain]",
    requirement: "the agent honours acceptedOutputModes (no other output, or a refusal)",
    spec: "proto",
    exec: Exec::Run(crate::run_fn!(send_009)),
};
async fn send_009(ctx: Ctx) -> Judged {
    let a = driver::send_text(
        &ctx,
        "parts",
        json!({}),
        json!({ "configuration": { "acceptedOutputModes": ["text/plain"] } }),
    )
    .await?;
    let resp = match &a.reply {
        Reply::Ok(v) => v.clone(),
        Reply::Err(e) => {
            return Ok(Outcome::pass(format!(
                "the agent refused output it could not give as text/plain ({})",
                expect::describe_error(e)
            )))
        }
        Reply::Garbled(_) => {
            return Ok(Outcome::fail(
                "unusable answer",
                "a SendMessageResponse",
                expect::describe(&a),
            ))
        }
    };
    let task = driver::require_task(&resp).map_err(untested_without_task)?;
    let offending: Vec<String> = driver::artifacts(&task)
        .iter()
        .flat_map(|(_, ps)| ps.iter().map(part_media))
        .filter(|m| m != "text/plain")
        .collect();
    if !offending.is_empty() {
        return Ok(Outcome::fail(
            "output outside acceptedOutputModes",
            "only text/plain parts, or a refusal",
            format!("parts of type {offending:?}"),
        ));
    }
    Ok(Outcome::pass("only text/plain output was returned"))
}

/// SEND-010: a push config given in SendMessage is registered for the new task.
pub(crate) const SEND_010: Case = Case {
    id: "SEND-010",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Push, Need::TestAgent, Need::LocalWebhook],
    title: "SendMessage of `hang` with configuration.taskPushNotificationConfig",
    requirement:
        "the config is registered for the new task (ListTaskPushNotificationConfigs shows it)",
    spec: "§3.1.7",
    exec: Exec::Run(crate::run_fn!(send_010)),
};
async fn send_010(ctx: Ctx) -> Judged {
    let hook = driver::receiver(&ctx).await?;
    let url = hook.url_for("/send-010");
    let params = json!({
        "message": crate::client::user_message("hang"),
        "configuration": {
            "returnImmediately": true,
            "taskPushNotificationConfig": { "url": url, "token": ctx.unique("tok") },
        },
    });
    let opts = CallOpts {
        timeout: Some(short(&ctx)),
        ..CallOpts::default()
    };
    let a = driver::call_with(&ctx, Method::SendMessage, params, opts).await?;
    let task = driver::require_task(&driver::registered(&a, "SendMessage with a push config")?)
        .map_err(untested_without_task)?;
    let g = driver::guard(&ctx, task)?;
    let listed = call_ok(
        &ctx,
        Method::ListTaskPushNotificationConfigs,
        json!({ "taskId": g.id }),
        "ListTaskPushNotificationConfigs",
    )
    .await?;
    g.cancel().await;
    hook.shutdown().await;
    let found = listed
        .get("configs")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c.get("url").and_then(Value::as_str) == Some(url.as_str()))
        });
    if !found {
        return Ok(Outcome::fail(
            "the inline push config was not registered",
            format!("a config with url {url} in ListTaskPushNotificationConfigs"),
            expect::show(&listed),
        ));
    }
    Ok(Outcome::pass(
        "the inline config is listed for the new task",
    ))
}

pub(crate) const SEND_011: Case = Case {
    id: "SEND-011",
    level: Level::May,
    bindings: Bindings::Once,
    needs: &[],
    title: "(not automated) messageId deduplication",
    requirement: "a server MAY deduplicate messages on messageId",
    spec: "§3.3.1",
    exec: Exec::Manual(
        "MAY, and not observable black-box without guessing the server's dedup window; review only",
    ),
};

/// The SEND cases, in digest order.
pub(crate) const CASES: &[Case] = &[
    SEND_001, SEND_002, SEND_003, SEND_004, SEND_005, SEND_006, SEND_007, SEND_008, SEND_009,
    SEND_010, SEND_011,
];
