//! Cases for SEND, TASK, LIST and CANCEL (digest §9.7): SendMessage modes and results (§3.1.1,
//! §3.2.2), GetTask and `historyLength` (§3.1.3, §3.2.4), ListTasks paging, ordering and filters
//! (§3.1.4) and CancelTask (§3.1.5, §3.3.1).
//!
//! ListTasks cases work inside a context the server assigned to this case's first task, so
//! tasks created concurrently by other cases never show up in their pages.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{json, Value};

use crate::case::{Bindings, Case, Exec, Judged, Level, Need, Outcome};
use crate::client::{CallOpts, Reply};
use crate::context::Ctx;
use crate::driver::{self, call, call_ok, history, new_task, short};
use crate::expect::{self, Shape};
use crate::spec::{ErrorCode, Method};

/// The SEND, TASK, LIST, CANCEL cases, in digest order.
pub(crate) const CASES: &[Case] = &[
    Case {
        id: "SEND-001",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "SendMessage with a text message",
        requirement: "the result is {\"task\":…} or {\"message\":…}",
        spec: "§3.1.1",
        exec: Exec::Run(crate::run_fn!(send_001)),
    },
    Case {
        id: "SEND-002",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::TestAgent],
        title: "blocking SendMessage of `slow 500` and of `input-required`",
        requirement: "the returned task is terminal or interrupted",
        spec: "§3.2.2",
        exec: Exec::Run(crate::run_fn!(send_002)),
    },
    Case {
        id: "SEND-003",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::TestAgent],
        title: "SendMessage of `slow 2000` with returnImmediately: true",
        requirement: "returns without waiting for completion, with a non-terminal task",
        spec: "§3.2.2",
        exec: Exec::Run(crate::run_fn!(send_003)),
    },
    Case {
        id: "SEND-004",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::TestAgent],
        title: "blocking SendMessage of `stream 3`",
        requirement: "the response carries the latest status and all artifacts",
        spec: "§3.2.2",
        exec: Exec::Run(crate::run_fn!(send_004)),
    },
    Case {
        id: "SEND-005",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "SendMessage with configuration.historyLength 1, then 0",
        requirement: "at most N history entries; with 0 the `history` key is absent (SHOULD)",
        spec: "proto, §3.2.4",
        exec: Exec::Run(crate::run_fn!(send_005)),
    },
    Case {
        id: "SEND-006",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "SendMessage whose message.taskId is unknown",
        requirement: "TaskNotFoundError (-32001 / 404)",
        spec: "§3.4.2",
        exec: Exec::Run(crate::run_fn!(send_006)),
    },
    Case {
        id: "SEND-007",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "SendMessage to a completed task",
        requirement: "UnsupportedOperationError (-32004 / 400); -32602 is a known deviation",
        spec: "§3.1.1",
        exec: Exec::Run(crate::run_fn!(send_007)),
    },
    Case {
        id: "SEND-008",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "SendMessage with a part of a media type outside defaultInputModes",
        requirement: "ContentTypeNotSupportedError (-32005 / 400), when the agent restricts its input modes",
        spec: "§3.1.1",
        exec: Exec::Run(crate::run_fn!(send_008)),
    },
    Case {
        id: "SEND-009",
        level: Level::Should,
        bindings: Bindings::Each,
        needs: &[Need::TestAgent],
        title: "SendMessage of `parts` with acceptedOutputModes [text/plain]",
        requirement: "the agent honours acceptedOutputModes (no other output, or a refusal)",
        spec: "proto",
        exec: Exec::Run(crate::run_fn!(send_009)),
    },
    Case {
        id: "SEND-010",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Push, Need::TestAgent, Need::LocalWebhook],
        title: "SendMessage of `hang` with configuration.taskPushNotificationConfig",
        requirement: "the config is registered for the new task (ListTaskPushNotificationConfigs shows it)",
        spec: "§3.1.7",
        exec: Exec::Run(crate::run_fn!(send_010)),
    },
    Case {
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
    },
    Case {
        id: "TASK-001",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "GetTask for a task just created",
        requirement: "returns the bare Task with that id",
        spec: "§3.1.3",
        exec: Exec::Run(crate::run_fn!(task_001)),
    },
    Case {
        id: "TASK-002",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "GetTask for an unknown id",
        requirement: "TaskNotFoundError (-32001 / 404)",
        spec: "§3.1.3, §3.3.2",
        exec: Exec::Run(crate::run_fn!(task_002)),
    },
    Case {
        id: "TASK-003",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::TestAgent],
        title: "GetTask with historyLength 1 and 2 on a two-turn task",
        requirement: "at most N entries, the most recent ones",
        spec: "proto",
        exec: Exec::Run(crate::run_fn!(task_003)),
    },
    Case {
        id: "TASK-004",
        level: Level::Should,
        bindings: Bindings::Each,
        needs: &[],
        title: "GetTask with historyLength 0",
        requirement: "the `history` key is left out",
        spec: "§3.2.4",
        exec: Exec::Run(crate::run_fn!(task_004)),
    },
    Case {
        id: "TASK-005",
        level: Level::Should,
        bindings: Bindings::Each,
        needs: &[],
        title: "GetTask with historyLength -1",
        requirement: "a validation error (-32602 / 400)",
        spec: "§3.3.2, §6.5",
        exec: Exec::Run(crate::run_fn!(task_005)),
    },
    Case {
        id: "LIST-001",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "ListTasks over 3 tasks with pageSize 2, and with pageSize 10",
        requirement: "nextPageToken is always present; \"\" on the last page",
        spec: "§3.1.4",
        exec: Exec::Run(crate::run_fn!(list_001)),
    },
    Case {
        id: "LIST-002",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "ListTasks on a populated and on an empty context",
        requirement: "`tasks` (possibly []), `pageSize` and `totalSize` are always present",
        spec: "proto",
        exec: Exec::Run(crate::run_fn!(list_002)),
    },
    Case {
        id: "LIST-003",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "ListTasks on a context with 3 tasks created one after another",
        requirement: "sorted by status timestamp, newest first",
        spec: "§3.1.4",
        exec: Exec::Run(crate::run_fn!(list_003)),
    },
    Case {
        id: "LIST-004",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "walk ListTasks pages (pageSize 2) over 5 tasks",
        requirement: "every matching task exactly once",
        spec: "§3.1.4",
        exec: Exec::Run(crate::run_fn!(list_004)),
    },
    Case {
        id: "LIST-005",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "ListTasks without includeArtifacts and with includeArtifacts false",
        requirement: "no task carries an `artifacts` key",
        spec: "§3.1.4",
        exec: Exec::Run(crate::run_fn!(list_005)),
    },
    Case {
        id: "LIST-006",
        level: Level::Should,
        bindings: Bindings::Each,
        needs: &[],
        title: "ListTasks with includeArtifacts true",
        requirement: "the artifacts are included",
        spec: "§3.1.4",
        exec: Exec::Run(crate::run_fn!(list_006)),
    },
    Case {
        id: "LIST-007",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "ListTasks filtered by contextId, status and statusTimestampAfter",
        requirement: "each filter is applied (statusTimestampAfter inclusive)",
        spec: "proto",
        exec: Exec::Run(crate::run_fn!(list_007)),
    },
    Case {
        id: "LIST-008",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "ListTasks with pageSize 1, 101 and 0",
        requirement: "never more than pageSize tasks; out of range gives a validation error",
        spec: "proto, §6.5",
        exec: Exec::Run(crate::run_fn!(list_008)),
    },
    Case {
        id: "LIST-009",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "ListTasks with historyLength 0 and 1",
        requirement: "historyLength is applied to each task",
        spec: "proto",
        exec: Exec::Run(crate::run_fn!(list_009)),
    },
    Case {
        id: "LIST-010",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::TwoIdentities],
        title: "identity B lists tasks after identity A created one",
        requirement: "only tasks visible to the caller are listed, even with no filter",
        spec: "§3.1.4, §13.1",
        exec: Exec::Run(crate::run_fn!(list_010)),
    },
    Case {
        id: "LIST-011",
        level: Level::Should,
        bindings: Bindings::Each,
        needs: &[],
        title: "ListTasks with status TASK_STATE_BOGUS",
        requirement: "a validation error (-32602 / 400)",
        spec: "§6.5",
        exec: Exec::Run(crate::run_fn!(list_011)),
    },
    Case {
        id: "CANCEL-001",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::TestAgent],
        title: "CancelTask on a WORKING `hang` task",
        requirement: "returns the updated Task in CANCELED",
        spec: "§3.1.5",
        exec: Exec::Run(crate::run_fn!(cancel_001)),
    },
    Case {
        id: "CANCEL-002",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "CancelTask on COMPLETED (and, with the test agent, FAILED and REJECTED) tasks",
        requirement: "TaskNotCancelableError (-32002 / 400)",
        spec: "§3.1.5",
        exec: Exec::Run(crate::run_fn!(cancel_002)),
    },
    Case {
        id: "CANCEL-003",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "CancelTask on an unknown id",
        requirement: "TaskNotFoundError (-32001 / 404)",
        spec: "§3.1.5",
        exec: Exec::Run(crate::run_fn!(cancel_003)),
    },
    Case {
        id: "CANCEL-004",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::TestAgent],
        title: "CancelTask twice on a `hang` task",
        requirement: "the repeat has the same effect: CANCELED task, -32002 or -32001",
        spec: "§3.3.1",
        exec: Exec::Run(crate::run_fn!(cancel_004)),
    },
    Case {
        id: "CANCEL-005",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::TestAgent, Need::Streaming],
        title: "stream `hang`, then CancelTask",
        requirement: "the open stream sees CANCELED, then closes",
        spec: "§3.1.2",
        exec: Exec::Run(crate::run_fn!(cancel_005)),
    },
];

/// The text sent where any agent will do; the test agent reads it as `echo`.
const PLAIN: &str = "echo gauntlet task check";

// ---- SEND ----

/// SEND-001: SendMessage returns a Task or a Message.
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
async fn send_002(ctx: Ctx) -> Judged {
    let t = new_task(&ctx, "slow 500", json!({}), json!({})).await?;
    let s1 = expect::state_of(&t).unwrap_or("?").to_owned();
    let g = driver::guard(
        &ctx,
        new_task(&ctx, "input-required", json!({}), json!({})).await?,
    )?;
    let s2 = expect::state_of(&g.task).unwrap_or("?").to_owned();
    g.cancel().await;
    for (cmd, s) in [("slow 500", &s1), ("input-required", &s2)] {
        if !(driver::is_terminal(s) || driver::is_interrupted(s)) {
            return Ok(Outcome::fail(
                format!("blocking `{cmd}` returned a task still in progress"),
                "a terminal or interrupted state",
                s.clone(),
            ));
        }
    }
    Ok(Outcome::pass(format!(
        "`slow 500` → {s1}; `input-required` → {s2}"
    )))
}

/// SEND-003: returnImmediately returns before the work is done.
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
    let task = driver::require_task(&expect::ok(&a, "SendMessage").cloned()?)?;
    let g = driver::guard(&ctx, task)?;
    let took = a.raw.elapsed;
    let s = expect::state_of(&g.task).unwrap_or("?").to_owned();
    g.cancel().await;
    if driver::is_terminal(&s) || took >= Duration::from_millis(1500) {
        return Ok(Outcome::fail(
            "returnImmediately waited for the work",
            "an answer well under 2 s with a non-terminal task",
            format!("answered after {took:?} with state {s}"),
        ));
    }
    Ok(Outcome::pass(format!("answered after {took:?}, state {s}")))
}

/// SEND-004: a blocking response has the latest status and all artifacts.
async fn send_004(ctx: Ctx) -> Judged {
    let t = new_task(&ctx, "stream 3", json!({}), json!({})).await?;
    let id = driver::require_id(&t)?;
    let now = driver::get_task(&ctx, &id, None).await?;
    let (sent, stored) = (driver::artifacts(&t), driver::artifacts(&now));
    if expect::state_of(&t) != Some("TASK_STATE_COMPLETED")
        || expect::state_of(&now) != expect::state_of(&t)
    {
        return Ok(Outcome::fail(
            "the blocking response does not carry the latest status",
            "COMPLETED in the response, as GetTask reports",
            format!(
                "response {:?}, GetTask {:?}",
                expect::state_of(&t),
                expect::state_of(&now)
            ),
        ));
    }
    if sent != stored || sent.iter().map(|(_, p)| p.len()).sum::<usize>() < 3 {
        return Ok(Outcome::fail(
            "the blocking response lacks artifacts",
            "all artifacts (artifact `stream` with 3 parts), as GetTask reports",
            format!(
                "response {}, GetTask {}",
                expect::show(&t["artifacts"]),
                expect::show(&now["artifacts"])
            ),
        ));
    }
    Ok(Outcome::pass(
        "COMPLETED with every artifact, same as GetTask",
    ))
}

/// SEND-005: configuration.historyLength is honoured.
async fn send_005(ctx: Ctx) -> Judged {
    let one = driver::require_task(
        &driver::send_ok(
            &ctx.client(),
            PLAIN,
            json!({}),
            json!({ "configuration": { "historyLength": 1 } }),
        )
        .await?
        .1,
    )?;
    let n1 = history(&one).len();
    if n1 > 1 {
        return Ok(Outcome::fail(
            "more history than historyLength",
            "at most 1 history entry",
            format!("{n1} entries"),
        ));
    }
    let zero = driver::require_task(
        &driver::send_ok(
            &ctx.client(),
            PLAIN,
            json!({}),
            json!({ "configuration": { "historyLength": 0 } }),
        )
        .await?
        .1,
    )?;
    match zero.get("history") {
        None => Ok(Outcome::pass(
            "historyLength 1 → ≤1 entry; 0 → no `history` key",
        )),
        Some(h) if h.as_array().is_some_and(Vec::is_empty) => Ok(Outcome::non_strict(
            "historyLength 0 gave an empty `history` instead of none",
            "no `history` key (SHOULD)",
            "\"history\": []",
        )),
        Some(h) => Ok(Outcome::fail(
            "historyLength 0 returned history",
            "no history entries",
            expect::show(h),
        )),
    }
}

/// SEND-006: an unknown message.taskId is a TaskNotFoundError.
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
async fn send_007(ctx: Ctx) -> Judged {
    let t = new_task(&ctx, PLAIN, json!({}), json!({})).await?;
    let id = driver::require_id(&t)?;
    if !expect::state_of(&t).is_some_and(driver::is_terminal) {
        return Ok(Outcome::not_applicable(format!(
            "the task is not terminal after a blocking send (state {:?})",
            expect::state_of(&t)
        )));
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

/// SEND-008: a part of an unsupported media type is a ContentTypeNotSupportedError.
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
    let mut msg = crate::client::user_message("echo unsupported part");
    if let Some(parts) = msg.get_mut("parts").and_then(Value::as_array_mut) {
        parts.push(json!({ "raw": "Z2F1bnRsZXQ=", "mediaType": ODD, "filename": "g.bin" }));
    }
    let a = call(&ctx, Method::SendMessage, json!({ "message": msg })).await?;
    expect::refused_with(
        &a,
        ErrorCode::ContentTypeNotSupported,
        &format!("a {ODD} part"),
    )
}

/// The media type of an output part (text parts default to text/plain; `""` is unset, §0).
fn part_media(p: &Value) -> String {
    if let Some(m) = p
        .get("mediaType")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
    {
        return m.to_ascii_lowercase();
    }
    if p.get("text").is_some() {
        "text/plain".to_owned()
    } else if p.get("data").is_some() {
        "application/json".to_owned()
    } else {
        "application/octet-stream".to_owned()
    }
}

/// SEND-009: acceptedOutputModes is honoured.
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
    let task = driver::require_task(&resp)?;
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
async fn send_010(ctx: Ctx) -> Judged {
    let hook = super::push::receiver(&ctx).await?;
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
    let task = driver::require_task(&super::push::registered(
        &a,
        "SendMessage with a push config",
    )?)?;
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

// ---- TASK ----

/// TASK-001: GetTask returns the Task.
async fn task_001(ctx: Ctx) -> Judged {
    let t = new_task(&ctx, PLAIN, json!({}), json!({})).await?;
    let id = driver::require_id(&t)?;
    let got = driver::get_task(&ctx, &id, None).await?;
    if got.get("id").and_then(Value::as_str) != Some(id.as_str())
        || expect::state_of(&got).is_none()
    {
        return Ok(Outcome::fail(
            "GetTask did not return the bare Task",
            format!("{{\"id\":\"{id}\",\"status\":{{\"state\":…}},…}} (no wrapper)"),
            expect::show(&got),
        ));
    }
    Ok(Outcome::pass(format!(
        "task {id}, {}",
        expect::state_of(&got).unwrap_or("?")
    )))
}

/// TASK-002: GetTask on an unknown id is a TaskNotFoundError.
async fn task_002(ctx: Ctx) -> Judged {
    let a = call(
        &ctx,
        Method::GetTask,
        json!({ "id": ctx.unique("no-such-task") }),
    )
    .await?;
    expect::refused_with(&a, ErrorCode::TaskNotFound, "GetTask of an unknown id")
}

/// Message ids of a history, in order.
fn message_ids(h: &[Value]) -> Vec<String> {
    h.iter()
        .map(|m| {
            m.get("messageId")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned()
        })
        .collect()
}

/// TASK-003: historyLength N gives at most the N most recent messages.
async fn task_003(ctx: Ctx) -> Judged {
    let g = driver::interrupted(&ctx, "input-required", "TASK_STATE_INPUT_REQUIRED").await?;
    driver::send_ok(
        &ctx.client(),
        "second turn",
        json!({ "taskId": g.id }),
        json!({}),
    )
    .await?;
    let full = message_ids(&history(&driver::get_task(&ctx, &g.id, None).await?));
    for n in [1usize, 2] {
        let got = message_ids(&history(
            &driver::get_task(&ctx, &g.id, Some(n as i64)).await?,
        ));
        if got.len() > n || !full.ends_with(&got) {
            return Ok(Outcome::fail(
                format!("historyLength {n} not applied"),
                format!("at most the last {n} of {full:?}"),
                format!("{got:?}"),
            ));
        }
    }
    g.disarm();
    if full.len() < 2 {
        return Ok(Outcome::info(format!(
            "history kept only {} message(s), so the limit was barely exercised",
            full.len()
        )));
    }
    Ok(Outcome::pass(format!(
        "historyLength 1/2 gave the most recent of {} messages",
        full.len()
    )))
}

/// TASK-004: historyLength 0 leaves `history` out.
async fn task_004(ctx: Ctx) -> Judged {
    let t = new_task(&ctx, PLAIN, json!({}), json!({})).await?;
    let got = driver::get_task(&ctx, &driver::require_id(&t)?, Some(0)).await?;
    match got.get("history") {
        None => Ok(Outcome::pass("no `history` key")),
        Some(h) => Ok(Outcome::fail(
            "historyLength 0 left a `history` key",
            "no `history` key",
            expect::show(h),
        )),
    }
}

/// TASK-005: a negative historyLength is a validation error.
async fn task_005(ctx: Ctx) -> Judged {
    let t = new_task(&ctx, PLAIN, json!({}), json!({})).await?;
    let a = call(
        &ctx,
        Method::GetTask,
        json!({ "id": driver::require_id(&t)?, "historyLength": -1 }),
    )
    .await?;
    expect::refused_with(&a, ErrorCode::InvalidParams, "historyLength -1")
}

// ---- LIST ----

/// ListTasks that must succeed.
async fn list(ctx: &Ctx, params: Value) -> Result<Value, Outcome> {
    call_ok(ctx, Method::ListTasks, params, "ListTasks").await
}

/// The tasks of a ListTasksResponse.
fn tasks(resp: &Value) -> Vec<Value> {
    resp.get("tasks")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The ids of listed tasks, in order.
fn ids(ts: &[Value]) -> Vec<String> {
    ts.iter()
        .map(|t| {
            t.get("id")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned()
        })
        .collect()
}

/// Walks every page of `params` (pageSize set by the caller); returns the pages.
async fn walk(ctx: &Ctx, params: Value) -> Result<Vec<Value>, Outcome> {
    let mut pages = Vec::new();
    let mut token = String::new();
    for _ in 0..50 {
        let mut p = params.clone();
        if !token.is_empty() {
            p["pageToken"] = json!(token);
        }
        let page = list(ctx, p).await?;
        let next = page.get("nextPageToken").cloned();
        pages.push(page);
        match next {
            Some(Value::String(t)) if !t.is_empty() => token = t,
            Some(Value::String(_)) => return Ok(pages),
            other => {
                return Err(Outcome::fail(
                    "nextPageToken missing",
                    "a `nextPageToken` string on every page (\"\" on the last)",
                    format!("page {}: nextPageToken {other:?}", pages.len()),
                ))
            }
        }
    }
    Err(Outcome::fail(
        "pagination does not end",
        "an empty nextPageToken after the matching tasks are listed",
        "50 pages with a non-empty token",
    ))
}

/// LIST-001: nextPageToken is always present and "" on the last page.
async fn list_001(ctx: Ctx) -> Judged {
    let (c, _) = driver::tasks_in_context(&ctx, 3, PLAIN).await?;
    let pages = walk(&ctx, json!({ "contextId": c, "pageSize": 2 })).await?;
    if pages.len() < 2 {
        return Ok(Outcome::fail(
            "3 tasks with pageSize 2 fit one page",
            "a non-empty nextPageToken on the first page",
            expect::show(&pages[0]),
        ));
    }
    let one = list(&ctx, json!({ "contextId": c, "pageSize": 10 })).await?;
    if one.get("nextPageToken") != Some(&json!("")) {
        return Ok(Outcome::fail(
            "the only page lacks nextPageToken \"\"",
            "\"nextPageToken\": \"\" on the last page",
            expect::show(&one),
        ));
    }
    Ok(Outcome::pass(format!(
        "{} pages; last token \"\"; single page carries \"\"",
        pages.len()
    )))
}

/// LIST-002: tasks, pageSize and totalSize are always present.
async fn list_002(ctx: Ctx) -> Judged {
    let (c, _) = driver::tasks_in_context(&ctx, 1, PLAIN).await?;
    let full = list(&ctx, json!({ "contextId": c })).await?;
    let empty = list(&ctx, json!({ "contextId": ctx.unique("empty-context") })).await?;
    for (what, r) in [("populated", &full), ("empty", &empty)] {
        let ok = r.get("tasks").is_some_and(Value::is_array)
            && r.get("pageSize").is_some_and(Value::is_number)
            && r.get("totalSize").is_some_and(Value::is_number);
        if !ok {
            return Ok(Outcome::fail(
                format!("{what} ListTasksResponse lacks a required field"),
                "`tasks` array, `pageSize` and `totalSize` numbers always present",
                expect::show(r),
            ));
        }
    }
    if !tasks(&empty).is_empty() {
        return Ok(Outcome::fail(
            "tasks listed for a context nobody used",
            "\"tasks\": []",
            expect::show(&empty),
        ));
    }
    Ok(Outcome::pass(
        "tasks, pageSize, totalSize present, also when empty",
    ))
}

/// LIST-003: newest first by status timestamp.
async fn list_003(ctx: Ctx) -> Judged {
    let (c, made) = driver::tasks_in_context(&ctx, 3, PLAIN).await?;
    let listed = tasks(&list(&ctx, json!({ "contextId": c })).await?);
    let stamps: Vec<Option<String>> = listed
        .iter()
        .map(|t| {
            t.pointer("/status/timestamp")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    let ordered = if stamps.iter().all(Option::is_some) {
        // RFC 3339 UTC with Z: compare instants by normalising the fraction.
        let keys: Vec<String> = stamps.iter().flatten().map(|s| norm_ts(s)).collect();
        keys.windows(2).all(|w| w[0] >= w[1])
    } else {
        let mut expect = ids(&made);
        expect.reverse();
        ids(&listed) == expect
    };
    if !ordered {
        return Ok(Outcome::fail(
            "tasks are not newest first",
            "descending status.timestamp",
            format!("{:?} with timestamps {stamps:?}", ids(&listed)),
        ));
    }
    Ok(Outcome::pass(format!(
        "{} tasks, newest first",
        listed.len()
    )))
}

/// A sortable form of an RFC 3339 UTC timestamp (fraction padded to 9 digits).
fn norm_ts(s: &str) -> String {
    let s = s.trim_end_matches('Z');
    match s.split_once('.') {
        Some((a, f)) => format!("{a}.{f:0<9}"),
        None => format!("{s}.000000000"),
    }
}

/// LIST-004: walking the pages yields every matching task once.
async fn list_004(ctx: Ctx) -> Judged {
    let (c, made) = driver::tasks_in_context(&ctx, 5, PLAIN).await?;
    let pages = walk(&ctx, json!({ "contextId": c, "pageSize": 2 })).await?;
    let mut seen: Vec<String> = Vec::new();
    for p in &pages {
        let t = tasks(p);
        if t.len() > 2 {
            return Ok(Outcome::fail(
                "a page holds more than pageSize tasks",
                "at most 2 tasks per page",
                format!("{} tasks", t.len()),
            ));
        }
        seen.extend(ids(&t));
    }
    let unique: HashSet<&String> = seen.iter().collect();
    let want: HashSet<String> = ids(&made).into_iter().collect();
    if unique.len() != seen.len()
        || unique.len() != want.len()
        || !want.iter().all(|w| unique.contains(w))
    {
        return Ok(Outcome::fail(
            "pagination lost or repeated tasks",
            format!("each of {:?} exactly once", ids(&made)),
            format!("{seen:?} over {} pages", pages.len()),
        ));
    }
    Ok(Outcome::pass(format!(
        "5 tasks over {} pages, each once",
        pages.len()
    )))
}

/// LIST-005: no `artifacts` key unless includeArtifacts.
async fn list_005(ctx: Ctx) -> Judged {
    let (c, made) = driver::tasks_in_context(&ctx, 2, PLAIN).await?;
    let with_art = made.iter().any(|t| t.get("artifacts").is_some());
    for params in [
        json!({ "contextId": c }),
        json!({ "contextId": c, "includeArtifacts": false }),
    ] {
        let listed = tasks(&list(&ctx, params.clone()).await?);
        if let Some(t) = listed.iter().find(|t| t.get("artifacts").is_some()) {
            return Ok(Outcome::fail(
                "a listed task carries `artifacts`",
                "no `artifacts` key (not [] nor null) without includeArtifacts",
                format!(
                    "{}: {}",
                    expect::show(&params),
                    expect::show(&t["artifacts"])
                ),
            ));
        }
    }
    Ok(Outcome::pass(if with_art {
        "artifacts left out of every listed task"
    } else {
        "no `artifacts` key (the tasks had none to leave out)"
    }))
}

/// LIST-006: includeArtifacts true includes the artifacts.
async fn list_006(ctx: Ctx) -> Judged {
    let (c, made) = driver::tasks_in_context(&ctx, 1, PLAIN).await?;
    if driver::artifacts(&made[0]).is_empty() {
        return Ok(Outcome::not_applicable(
            "the agent's task has no artifacts to include",
        ));
    }
    let listed = tasks(&list(&ctx, json!({ "contextId": c, "includeArtifacts": true })).await?);
    // A ProtoJSON writer may print default-valued fields (`"mediaType":""`, `"extensions":[]`)
    // on one answer and omit them on the other (digest §0): compare without them.
    let comparable = |t: &Value| driver::artifacts(&expect::without_defaults(t, Shape::Task));
    let arts = listed.first().map(comparable).unwrap_or_default();
    if arts != comparable(&made[0]) {
        return Ok(Outcome::fail(
            "includeArtifacts true did not include the artifacts",
            format!("artifacts {}", expect::show(&made[0]["artifacts"])),
            listed
                .first()
                .map_or_else(|| "no task".to_owned(), expect::show),
        ));
    }
    Ok(Outcome::pass("artifacts included"))
}

/// LIST-007: contextId, status and statusTimestampAfter filters.
async fn list_007(ctx: Ctx) -> Judged {
    let (c, made) = driver::tasks_in_context(&ctx, 2, PLAIN).await?;
    let want = ids(&made);
    let by_ctx = tasks(&list(&ctx, json!({ "contextId": c })).await?);
    if by_ctx
        .iter()
        .any(|t| driver::context_of(t) != Some(c.as_str()))
        || !want.iter().all(|w| ids(&by_ctx).contains(w))
    {
        return Ok(Outcome::fail(
            "contextId filter not applied",
            format!("exactly the tasks {want:?} of context {c}"),
            format!("{:?}", ids(&by_ctx)),
        ));
    }
    let st = expect::state_of(&made[0])
        .unwrap_or("TASK_STATE_COMPLETED")
        .to_owned();
    let other = if st == "TASK_STATE_WORKING" {
        "TASK_STATE_REJECTED"
    } else {
        "TASK_STATE_WORKING"
    };
    let same = tasks(&list(&ctx, json!({ "contextId": c, "status": st })).await?);
    let none = tasks(&list(&ctx, json!({ "contextId": c, "status": other })).await?);
    if !want.iter().all(|w| ids(&same).contains(w)) || !none.is_empty() {
        return Ok(Outcome::fail(
            "status filter not applied",
            format!("status {st}: {want:?}; status {other}: none"),
            format!("{st}: {:?}; {other}: {:?}", ids(&same), ids(&none)),
        ));
    }
    let stamp = |t: &Value| {
        t.pointer("/status/timestamp")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (Some(t0), Some(t1)) = (stamp(&made[0]), stamp(&made[1])) else {
        return Ok(Outcome::pass(
            "contextId and status filters applied (no timestamps to test statusTimestampAfter)",
        ));
    };
    let after = tasks(&list(&ctx, json!({ "contextId": c, "statusTimestampAfter": t1 })).await?);
    let got = ids(&after);
    let older_excluded = norm_ts(&t0) == norm_ts(&t1) || !got.contains(&want[0]);
    if !got.contains(&want[1]) || !older_excluded {
        return Ok(Outcome::fail(
            "statusTimestampAfter not applied (inclusive ≥)",
            format!("{} (at {t1}) listed, {} (at {t0}) not", want[1], want[0]),
            format!("{got:?}"),
        ));
    }
    Ok(Outcome::pass(
        "contextId, status and statusTimestampAfter filters applied",
    ))
}

/// LIST-008: page size limits and range validation.
async fn list_008(ctx: Ctx) -> Judged {
    let (c, _) = driver::tasks_in_context(&ctx, 2, PLAIN).await?;
    let one = tasks(&list(&ctx, json!({ "contextId": c, "pageSize": 1 })).await?);
    if one.len() > 1 {
        return Ok(Outcome::fail(
            "more tasks than pageSize",
            "at most 1 task with pageSize 1",
            format!("{} tasks", one.len()),
        ));
    }
    for n in [101, 0] {
        let a = call(
            &ctx,
            Method::ListTasks,
            json!({ "contextId": c, "pageSize": n }),
        )
        .await?;
        if let Err(o) = expect::refused_with(&a, ErrorCode::InvalidParams, &format!("pageSize {n}"))
        {
            return Ok(o);
        }
    }
    Ok(Outcome::pass(
        "pageSize 1 honoured; 101 and 0 rejected as invalid",
    ))
}

/// LIST-009: historyLength applies to each listed task.
async fn list_009(ctx: Ctx) -> Judged {
    let (c, _) = driver::tasks_in_context(&ctx, 2, PLAIN).await?;
    for n in [0usize, 1] {
        let listed = tasks(&list(&ctx, json!({ "contextId": c, "historyLength": n })).await?);
        if let Some(t) = listed.iter().find(|t| history(t).len() > n) {
            return Ok(Outcome::fail(
                format!("historyLength {n} not applied to a listed task"),
                format!("at most {n} history entries per task"),
                expect::show(&t["history"]),
            ));
        }
    }
    Ok(Outcome::pass("historyLength 0 and 1 applied to every task"))
}

/// LIST-010: only the caller's tasks are listed.
async fn list_010(ctx: Ctx) -> Judged {
    let Some(other) = ctx.target().tokens.get(1).cloned() else {
        return Ok(Outcome::not_applicable(
            "a second identity (--token) is needed",
        ));
    };
    let (c, made) = driver::tasks_in_context(&ctx, 1, PLAIN).await?;
    let mine = driver::require_id(&made[0])?;
    let as_b = |params: Value| {
        let ctx = ctx.clone();
        let other = other.clone();
        async move {
            let opts = CallOpts {
                bearer: Some(Some(other)),
                ..CallOpts::default()
            };
            driver::call_with(&ctx, Method::ListTasks, params, opts).await
        }
    };
    for params in [json!({ "pageSize": 100 }), json!({ "contextId": c })] {
        let a = as_b(params.clone()).await?;
        if let Reply::Ok(v) = &a.reply {
            if ids(&tasks(v)).contains(&mine) {
                return Ok(Outcome::fail(
                    "another identity's task was listed",
                    format!("task {mine} (identity A) absent from identity B's listing"),
                    format!("{} → {}", expect::show(&params), expect::show(v)),
                ));
            }
        }
    }
    Ok(Outcome::pass("identity B never sees identity A's task"))
}

/// LIST-011: an invalid status enum is a validation error.
async fn list_011(ctx: Ctx) -> Judged {
    let a = call(
        &ctx,
        Method::ListTasks,
        json!({ "status": "TASK_STATE_BOGUS" }),
    )
    .await?;
    expect::refused_with(&a, ErrorCode::InvalidParams, "status TASK_STATE_BOGUS")
}

// ---- CANCEL ----

/// CANCEL-001: CancelTask returns the Task in CANCELED.
async fn cancel_001(ctx: Ctx) -> Judged {
    let g = driver::hang(&ctx).await?;
    let got = call_ok(
        &ctx,
        Method::CancelTask,
        json!({ "id": g.id }),
        "CancelTask",
    )
    .await?;
    let ok = got.get("id").and_then(Value::as_str) == Some(g.id.as_str())
        && expect::state_of(&got) == Some("TASK_STATE_CANCELED");
    g.disarm();
    if !ok {
        return Ok(Outcome::fail(
            "CancelTask did not return the canceled Task",
            "the bare Task with its id and state TASK_STATE_CANCELED",
            expect::show(&got),
        ));
    }
    Ok(Outcome::pass("returned the Task in CANCELED"))
}

/// CANCEL-002: terminal tasks are not cancelable.
async fn cancel_002(ctx: Ctx) -> Judged {
    let mut commands = vec![PLAIN];
    if ctx.target().test_agent {
        commands.extend(["fail", "reject"]);
    }
    let mut seen = Vec::new();
    for cmd in commands {
        let t = new_task(&ctx, cmd, json!({}), json!({})).await?;
        let s = expect::state_of(&t).unwrap_or("?").to_owned();
        if !driver::is_terminal(&s) {
            return Ok(Outcome::not_applicable(format!(
                "`{cmd}` left the task in {s}, not a terminal state"
            )));
        }
        let a = call(
            &ctx,
            Method::CancelTask,
            json!({ "id": driver::require_id(&t)? }),
        )
        .await?;
        expect::refused_with(
            &a,
            ErrorCode::TaskNotCancelable,
            &format!("cancel of a {s} task"),
        )?;
        seen.push(s);
    }
    Ok(Outcome::pass(format!(
        "TaskNotCancelable for {}",
        seen.join(", ")
    )))
}

/// CANCEL-003: CancelTask on an unknown id is a TaskNotFoundError.
async fn cancel_003(ctx: Ctx) -> Judged {
    let a = call(
        &ctx,
        Method::CancelTask,
        json!({ "id": ctx.unique("no-such-task") }),
    )
    .await?;
    expect::refused_with(&a, ErrorCode::TaskNotFound, "cancel of an unknown id")
}

/// CANCEL-004: a repeated cancel has the same effect.
async fn cancel_004(ctx: Ctx) -> Judged {
    let g = driver::hang(&ctx).await?;
    let first = call_ok(
        &ctx,
        Method::CancelTask,
        json!({ "id": g.id }),
        "first CancelTask",
    )
    .await?;
    if expect::state_of(&first) != Some("TASK_STATE_CANCELED") {
        return Ok(Outcome::fail(
            "the first cancel did not cancel",
            "TASK_STATE_CANCELED",
            expect::show(&first),
        ));
    }
    let again = call(&ctx, Method::CancelTask, json!({ "id": g.id })).await?;
    g.disarm();
    let fine = match &again.reply {
        Reply::Ok(v) => expect::state_of(v) == Some("TASK_STATE_CANCELED"),
        Reply::Err(e) => {
            expect::error_matches(e, ErrorCode::TaskNotCancelable)
                || expect::error_matches(e, ErrorCode::TaskNotFound)
        }
        Reply::Garbled(_) => false,
    };
    if !fine {
        return Ok(Outcome::fail(
            "the repeated cancel had a different effect",
            "the CANCELED task, TaskNotCancelableError (-32002) or TaskNotFoundError (-32001)",
            expect::describe(&again),
        ));
    }
    Ok(Outcome::pass(format!(
        "repeat answered: {}",
        expect::describe(&again)
    )))
}

/// CANCEL-005: open streams see CANCELED, then close.
async fn cancel_005(ctx: Ctx) -> Judged {
    let mut r = driver::open_text(&ctx, "hang", json!({})).await?;
    let first = driver::next(&mut r, short(&ctx)).await?;
    let (id, _) = driver::stream_task(&first.into_iter().collect::<Vec<_>>())?;
    let g = driver::guard(&ctx, json!({ "id": id }))?;
    call_ok(
        &ctx,
        Method::CancelTask,
        json!({ "id": g.id }),
        "CancelTask",
    )
    .await?;
    g.disarm();
    let (got, end) = driver::collect(&mut r, short(&ctx)).await;
    let events = driver::values(&got);
    let canceled = events
        .iter()
        .any(|e| driver::event_state(e) == Some("TASK_STATE_CANCELED"));
    if !canceled || end != driver::End::Closed {
        return Ok(Outcome::fail(
            "the open stream did not report the cancel and close",
            "a CANCELED status event, then EOF",
            format!("{} ({end:?})", driver::summarize(&events)),
        ));
    }
    Ok(Outcome::pass(format!(
        "stream saw {} then closed",
        driver::summarize(&events)
    )))
}
