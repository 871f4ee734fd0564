//! Cases for SEND, TASK, LIST and CANCEL (digest §9.7): SendMessage modes and results (§3.1.1,
//! §3.2.2), GetTask and `historyLength` (§3.1.3, §3.2.4), ListTasks paging, ordering and filters
//! (§3.1.4) and CancelTask (§3.1.5, §3.3.1).
//!
//! ListTasks cases work inside a context the server assigned to this case's first task, so
//! tasks created concurrently by other cases never show up in their pages.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{json, Value};

use crate::case::{Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::client::{CallOpts, Reply};
use crate::context::Ctx;
use crate::driver::{self, call, call_ok, history, short, untested_without_task};
use crate::errors::ProbeError;
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
        title: "blocking SendMessage of `stream 3` and of `stream 20000`",
        requirement: "the response carries the latest status and all artifacts: every chunk, in order, as GetTask reports",
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
        title: "SendMessage with a part of a media type outside defaultInputModes (and the same part with an accepted type)",
        requirement: "the part SHOULD be refused; a refusal for its media type MUST be ContentTypeNotSupportedError (-32005 / 400)",
        spec: "§3.1.1, §3.3.2",
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
        requirement: "`nextPageToken` always present (MUST); `tasks`, `pageSize` and `totalSize` SHOULD be present",
        spec: "§3.1.4, proto",
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
        title: "ListTasks over 51 tasks without pageSize, with pageSize 1, then 101, 0 and -1",
        requirement: "never more than pageSize tasks, 50 by default (MUST); out of range SHOULD give InvalidParams (clamping is NON-STRICT)",
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
        needs: &[Need::Auth, Need::TwoIdentities],
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

/// A blocking send that must give a Task; a Message answer leaves the row UNTESTED.
async fn new_task(
    ctx: &Ctx,
    text: &str,
    message_extra: Value,
    extra: Value,
) -> Result<Value, Outcome> {
    driver::new_task(ctx, text, message_extra, extra)
        .await
        .map_err(untested_without_task)
}

/// `n` tasks in one server-assigned context ([`driver::tasks_in_context`]); a Message answer
/// leaves the row UNTESTED.
async fn in_context(ctx: &Ctx, n: usize) -> Result<(String, Vec<Value>), Outcome> {
    driver::tasks_in_context(ctx, n, PLAIN)
        .await
        .map_err(untested_without_task)
}

/// SEND-002: a blocking send returns a terminal or interrupted task.
async fn send_002(ctx: Ctx) -> Judged {
    let mut checks = Checks::new();
    for cmd in ["slow 500", "input-required"] {
        let t = match new_task(&ctx, cmd, json!({}), json!({})).await {
            Ok(t) => t,
            Err(o) => {
                checks.add(o);
                continue;
            }
        };
        let s = expect::state_of(&t).unwrap_or("?").to_owned();
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
    let g = driver::interrupted(&ctx, "input-required", "TASK_STATE_INPUT_REQUIRED")
        .await
        .map_err(untested_without_task)?;
    driver::send_ok(
        &ctx.client(),
        "second turn",
        json!({ "taskId": g.id }),
        json!({}),
    )
    .await?;
    let full = message_ids(&history(&driver::get_task(&ctx, &g.id, None).await?));
    let mut checks = Checks::new();
    for n in [1usize, 2] {
        let got = match driver::get_task(&ctx, &g.id, Some(n as i64)).await {
            Ok(t) => message_ids(&history(&t)),
            Err(o) => {
                checks.add(o);
                continue;
            }
        };
        if got.len() > n || !full.ends_with(&got) {
            checks.add(Outcome::fail(
                format!("historyLength {n} not applied"),
                format!("at most the last {n} of {full:?}"),
                format!("{got:?}"),
            ));
        }
    }
    g.disarm();
    if full.len() < 2 {
        checks.add(Outcome::info(format!(
            "history kept only {} message(s), so the limit was barely exercised",
            full.len()
        )));
    }
    checks.finish(format!(
        "historyLength 1/2 gave the most recent of {} messages",
        full.len()
    ))
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
    let (c, _) = in_context(&ctx, 3).await?;
    let mut checks = Checks::new();
    match walk(&ctx, json!({ "contextId": c, "pageSize": 2 })).await {
        Ok(pages) if pages.len() < 2 => checks.add(Outcome::fail(
            "3 tasks with pageSize 2 fit one page",
            "a non-empty nextPageToken on the first page",
            expect::show(&pages[0]),
        )),
        Ok(pages) => checks.note(format!("{} pages, the last with token \"\"", pages.len())),
        Err(o) => checks.add(o),
    }
    match list(&ctx, json!({ "contextId": c, "pageSize": 10 })).await {
        Ok(one) if one.get("nextPageToken") != Some(&json!("")) => checks.add(Outcome::fail(
            "the only page lacks nextPageToken \"\"",
            "\"nextPageToken\": \"\" on the last page",
            expect::show(&one),
        )),
        Ok(_) => checks.note("a single page carries \"\""),
        Err(o) => checks.add(o),
    }
    checks.finish("nextPageToken present on every page")
}

/// LIST-002 (revised 2026-12-02): `nextPageToken` MUST be present; `tasks`, `pageSize` and
/// `totalSize` SHOULD be, since a plain ProtoJSON writer omits them at their defaults.
async fn list_002(ctx: Ctx) -> Judged {
    let (c, _) = in_context(&ctx, 1).await?;
    let mut checks = Checks::new();
    for (what, context) in [("populated", c), ("empty", ctx.unique("empty-context"))] {
        let r = match list(&ctx, json!({ "contextId": context })).await {
            Ok(r) => r,
            Err(o) => {
                checks.add(o);
                continue;
            }
        };
        checks.check(list_fields(what, &r));
        if what == "empty" && !tasks(&r).is_empty() {
            checks.add(Outcome::fail(
                "tasks listed for a context nobody used",
                "no tasks (\"tasks\": [] or no `tasks` key)",
                expect::show(&r),
            ));
        }
    }
    checks.finish("nextPageToken, tasks, pageSize and totalSize present, also when empty")
}

/// Judges the fields of one ListTasksResponse for LIST-002: a missing `nextPageToken` is a
/// FAIL (§3.1.4), a missing `tasks`/`pageSize`/`totalSize` NON-STRICT, a wrong JSON type a FAIL.
fn list_fields(what: &str, r: &Value) -> Result<(), Outcome> {
    let mut checks = Checks::new();
    match r.get("nextPageToken") {
        Some(Value::String(_)) => {}
        other => checks.add(Outcome::fail(
            format!("{what} ListTasksResponse lacks nextPageToken"),
            "a `nextPageToken` string on every page (\"\" on the last, §3.1.4)",
            format!("nextPageToken {other:?} in {}", expect::show(r)),
        )),
    }
    let mut absent = Vec::new();
    for (key, ok) in [
        ("tasks", r.get("tasks").map(Value::is_array)),
        (
            "pageSize",
            r.get("pageSize").map(|v| expect::whole_number(v).is_some()),
        ),
        (
            "totalSize",
            r.get("totalSize")
                .map(|v| expect::whole_number(v).is_some()),
        ),
    ] {
        match ok {
            None => absent.push(key),
            Some(true) => {}
            Some(false) => checks.add(Outcome::fail(
                format!("{what} ListTasksResponse has a malformed `{key}`"),
                format!(
                    "`{key}` as {} (proto)",
                    if key == "tasks" {
                        "an array"
                    } else {
                        "a number"
                    }
                ),
                expect::show(r),
            )),
        }
    }
    if !absent.is_empty() {
        checks.add(Outcome::non_strict(
            format!("{what} ListTasksResponse leaves out {}", absent.join(", ")),
            "`tasks`, `pageSize` and `totalSize` present (SHOULD; omitting them at their defaults is plain ProtoJSON)",
            expect::show(r),
        ));
    }
    checks.finish("").map(drop)
}

/// LIST-003: newest first by status timestamp.
async fn list_003(ctx: Ctx) -> Judged {
    let (c, made) = in_context(&ctx, 3).await?;
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
    let (c, made) = in_context(&ctx, 5).await?;
    let pages = walk(&ctx, json!({ "contextId": c, "pageSize": 2 })).await?;
    let mut checks = Checks::new();
    let mut seen: Vec<String> = Vec::new();
    for (i, p) in pages.iter().enumerate() {
        let t = tasks(p);
        if t.len() > 2 {
            checks.add(Outcome::fail(
                format!("page {} holds more than pageSize tasks", i + 1),
                "at most 2 tasks per page",
                format!("{} tasks: {:?}", t.len(), ids(&t)),
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
        checks.add(Outcome::fail(
            "pagination lost or repeated tasks",
            format!("each of {:?} exactly once", ids(&made)),
            format!("{seen:?} over {} pages", pages.len()),
        ));
    }
    checks.finish(format!("5 tasks over {} pages, each once", pages.len()))
}

/// LIST-005: no `artifacts` key unless includeArtifacts.
async fn list_005(ctx: Ctx) -> Judged {
    let (c, made) = in_context(&ctx, 2).await?;
    let with_art = made.iter().any(|t| t.get("artifacts").is_some());
    let mut checks = Checks::new();
    for params in [
        json!({ "contextId": c }),
        json!({ "contextId": c, "includeArtifacts": false }),
    ] {
        let listed = match list(&ctx, params.clone()).await {
            Ok(r) => tasks(&r),
            Err(o) => {
                checks.add(o);
                continue;
            }
        };
        if let Some(t) = listed.iter().find(|t| t.get("artifacts").is_some()) {
            checks.add(Outcome::fail(
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
    checks.finish(if with_art {
        "artifacts left out of every listed task"
    } else {
        "no `artifacts` key (the tasks had none to leave out)"
    })
}

/// LIST-006: includeArtifacts true includes the artifacts.
async fn list_006(ctx: Ctx) -> Judged {
    let (c, made) = in_context(&ctx, 1).await?;
    if driver::artifacts(&made[0]).is_empty() {
        return Err(Outcome::untested(
            "the agent's task has no artifacts to include",
            driver::HELP_FINISHED_TASK,
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

/// LIST-007: contextId, status and statusTimestampAfter filters, each judged on its own.
async fn list_007(ctx: Ctx) -> Judged {
    let (c, made) = in_context(&ctx, 2).await?;
    let want = ids(&made);
    let mut checks = Checks::new();
    match list(&ctx, json!({ "contextId": c }))
        .await
        .map(|r| tasks(&r))
    {
        Ok(by_ctx)
            if by_ctx
                .iter()
                .any(|t| driver::context_of(t) != Some(c.as_str()))
                || !want.iter().all(|w| ids(&by_ctx).contains(w)) =>
        {
            checks.add(Outcome::fail(
                "contextId filter not applied",
                format!("exactly the tasks {want:?} of context {c}"),
                format!("{:?}", ids(&by_ctx)),
            ))
        }
        Ok(_) => checks.note("contextId"),
        Err(o) => checks.add(o),
    }
    let st = expect::state_of(&made[0])
        .unwrap_or("TASK_STATE_COMPLETED")
        .to_owned();
    let other = if st == "TASK_STATE_WORKING" {
        "TASK_STATE_REJECTED"
    } else {
        "TASK_STATE_WORKING"
    };
    let same = list(&ctx, json!({ "contextId": c, "status": st })).await;
    let none = list(&ctx, json!({ "contextId": c, "status": other })).await;
    match (same.map(|r| tasks(&r)), none.map(|r| tasks(&r))) {
        (Ok(same), Ok(none))
            if !want.iter().all(|w| ids(&same).contains(w)) || !none.is_empty() =>
        {
            checks.add(Outcome::fail(
                "status filter not applied",
                format!("status {st}: {want:?}; status {other}: none"),
                format!("{st}: {:?}; {other}: {:?}", ids(&same), ids(&none)),
            ))
        }
        (Ok(_), Ok(_)) => checks.note("status"),
        (Err(o), _) | (_, Err(o)) => checks.add(o),
    }
    let stamp = |t: &Value| {
        t.pointer("/status/timestamp")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (Some(t0), Some(t1)) = (stamp(&made[0]), stamp(&made[1])) else {
        checks.note("no timestamps to test statusTimestampAfter");
        return checks.finish("filters applied");
    };
    match list(&ctx, json!({ "contextId": c, "statusTimestampAfter": t1 })).await {
        Ok(after) => {
            let got = ids(&tasks(&after));
            let older_excluded = norm_ts(&t0) == norm_ts(&t1) || !got.contains(&want[0]);
            if !got.contains(&want[1]) || !older_excluded {
                checks.add(Outcome::fail(
                    "statusTimestampAfter not applied (inclusive ≥)",
                    format!("{} (at {t1}) listed, {} (at {t0}) not", want[1], want[0]),
                    format!("{got:?}"),
                ));
            } else {
                checks.note("statusTimestampAfter");
            }
        }
        Err(o) => checks.add(o),
    }
    checks.finish("filters applied")
}

/// LIST-008 (revised 2026-12-02): never more than pageSize tasks (MUST, proto); an
/// out-of-range pageSize SHOULD give InvalidParams (§6.5), and clamping it is NON-STRICT.
async fn list_008(ctx: Ctx) -> Judged {
    // One task more than the default page holds, so an unbounded default shows.
    const DEFAULT_PAGE: usize = 50;
    let (c, _) = in_context(&ctx, DEFAULT_PAGE + 1).await?;
    let mut checks = Checks::new();
    match list(&ctx, json!({ "contextId": c })).await {
        Ok(r) if tasks(&r).len() > DEFAULT_PAGE => checks.add(Outcome::fail(
            "more than 50 tasks in a page without pageSize",
            "at most 50 tasks when pageSize is unset (proto: the default)",
            format!(
                "{} of the context's {} tasks",
                tasks(&r).len(),
                DEFAULT_PAGE + 1
            ),
        )),
        Ok(_) => checks.note("the default page holds at most 50"),
        Err(o) => checks.add(o),
    }
    match list(&ctx, json!({ "contextId": c, "pageSize": 1 })).await {
        Ok(r) if tasks(&r).len() > 1 => checks.add(Outcome::fail(
            "more tasks than pageSize",
            "at most 1 task with pageSize 1",
            format!("{} tasks: {:?}", tasks(&r).len(), ids(&tasks(&r))),
        )),
        Ok(_) => checks.note("pageSize 1 honoured"),
        Err(o) => checks.add(o),
    }
    for n in [101, 0, -1] {
        let a = call(
            &ctx,
            Method::ListTasks,
            json!({ "contextId": c, "pageSize": n }),
        )
        .await?;
        checks.judged(out_of_range(&a, n));
    }
    checks.finish("pageSize 1 and the default of 50 honoured; 101, 0 and -1 refused as invalid")
}

/// Judges the answer to an out-of-range `pageSize` for LIST-008: InvalidParams passes; a
/// page (the size clamped) or another error falls short of a SHOULD (NON-STRICT), except a
/// page of more than 100 tasks, which breaks the proto's maximum (FAIL).
fn out_of_range(a: &crate::client::Answer, n: i64) -> Judged {
    let what = format!("pageSize {n}");
    match &a.reply {
        Reply::Ok(v) if tasks(v).len() > 100 => Err(Outcome::fail(
            format!("{what} gave a page of more than 100 tasks"),
            "at most 100 tasks in a page (proto: the maximum value is 100)",
            format!("{} tasks", tasks(v).len()),
        )),
        Reply::Ok(v) => Err(Outcome::non_strict(
            format!("{what} was clamped, not refused"),
            "InvalidParams (-32602 / 400) as in the §6.5 example (SHOULD)",
            format!(
                "a page of {} tasks: {}",
                tasks(v).len(),
                expect::clip(&expect::show(v), 300)
            ),
        )),
        Reply::Err(e) if expect::error_matches(e, ErrorCode::InvalidParams) => {
            expect::refused_with(a, ErrorCode::InvalidParams, &what)
        }
        _ => Err(Outcome::non_strict(
            format!("{what} was refused with another error than InvalidParams"),
            expect::expected_error(ErrorCode::InvalidParams),
            expect::describe(a),
        )),
    }
}

/// LIST-009: historyLength applies to each listed task.
async fn list_009(ctx: Ctx) -> Judged {
    let (c, _) = in_context(&ctx, 2).await?;
    let mut checks = Checks::new();
    for n in [0usize, 1] {
        let listed = match list(&ctx, json!({ "contextId": c, "historyLength": n })).await {
            Ok(r) => tasks(&r),
            Err(o) => {
                checks.add(o);
                continue;
            }
        };
        if let Some(t) = listed.iter().find(|t| history(t).len() > n) {
            checks.add(Outcome::fail(
                format!("historyLength {n} not applied to a listed task"),
                format!("at most {n} history entries per task"),
                expect::show(&t["history"]),
            ));
        }
    }
    checks.finish("historyLength 0 and 1 applied to every task")
}

/// LIST-010: only the caller's tasks are listed. The runner's [`Need::TwoIdentities`] gate
/// makes the row NOT-APPLICABLE without declared security and UNTESTED with fewer than two
/// tokens.
async fn list_010(ctx: Ctx) -> Judged {
    let Some(other) = ctx.target().tokens.get(1).cloned() else {
        return Err(Outcome::untested(
            "a second identity is needed",
            crate::context::HELP_TWO_IDENTITIES,
        ));
    };
    let (c, made) = in_context(&ctx, 1).await?;
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
    let mut checks = Checks::new();
    for params in [json!({ "pageSize": 100 }), json!({ "contextId": c })] {
        let a = match as_b(params.clone()).await {
            Ok(a) => a,
            Err(o) => {
                checks.add(o);
                continue;
            }
        };
        match &a.reply {
            Reply::Ok(v) if ids(&tasks(v)).contains(&mine) => checks.add(Outcome::fail(
                "another identity's task was listed",
                format!("task {mine} (identity A) absent from identity B's listing"),
                format!("{} → {}", expect::show(&params), expect::show(v)),
            )),
            Reply::Ok(_) => {}
            _ => checks.note(format!(
                "B's {} was refused ({})",
                expect::show(&params),
                expect::describe(&a)
            )),
        }
    }
    checks.finish("identity B never sees identity A's task")
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
    let g = driver::hang(&ctx).await.map_err(untested_without_task)?;
    let got = call_ok(
        &ctx,
        Method::CancelTask,
        json!({ "id": g.id }),
        "CancelTask",
    )
    .await?;
    let mut checks = Checks::new();
    if got.get("id").and_then(Value::as_str) != Some(g.id.as_str()) {
        checks.add(Outcome::fail(
            "CancelTask did not return the canceled Task",
            format!("the bare Task with id {}", g.id),
            expect::show(&got),
        ));
    }
    if expect::state_of(&got) != Some("TASK_STATE_CANCELED") {
        checks.add(Outcome::fail(
            "CancelTask did not return the Task in CANCELED",
            "status.state TASK_STATE_CANCELED",
            expect::show(&got),
        ));
    }
    g.disarm();
    checks.finish("returned the Task in CANCELED")
}

/// CANCEL-002: terminal tasks are not cancelable.
async fn cancel_002(ctx: Ctx) -> Judged {
    let mut commands = vec![PLAIN];
    if ctx.target().test_agent {
        commands.extend(["fail", "reject"]);
    }
    let mut checks = Checks::new();
    let mut probed = 0;
    let mut not_terminal = Vec::new();
    for cmd in commands {
        let t = match new_task(&ctx, cmd, json!({}), json!({})).await {
            Ok(t) => t,
            Err(o) => {
                checks.add(o);
                continue;
            }
        };
        let s = expect::state_of(&t).unwrap_or("?").to_owned();
        if !driver::is_terminal(&s) {
            not_terminal.push(format!(
                "`{cmd}` left the task in {s}, not a terminal state"
            ));
            if let Ok(g) = driver::guard(&ctx, t) {
                g.cancel().await;
            }
            continue;
        }
        probed += 1;
        let id = match driver::require_id(&t) {
            Ok(id) => id,
            Err(o) => {
                checks.add(o);
                continue;
            }
        };
        let a = call(&ctx, Method::CancelTask, json!({ "id": id })).await?;
        checks.judged(expect::refused_with(
            &a,
            ErrorCode::TaskNotCancelable,
            &format!("cancel of a {s} task"),
        ));
    }
    if probed == 0 && !checks.failed() {
        return Err(Outcome::untested(
            not_terminal.join("; "),
            driver::HELP_FINISHED_TASK,
        ));
    }
    not_terminal.into_iter().for_each(|n| checks.note(n));
    checks.finish("TaskNotCancelable for every terminal task")
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
    let g = driver::hang(&ctx).await.map_err(untested_without_task)?;
    let first = call_ok(
        &ctx,
        Method::CancelTask,
        json!({ "id": g.id }),
        "first CancelTask",
    )
    .await?;
    let mut checks = Checks::new();
    if expect::state_of(&first) != Some("TASK_STATE_CANCELED") {
        checks.add(Outcome::fail(
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
    if fine {
        checks.note(format!("repeat answered: {}", expect::describe(&again)));
    } else {
        checks.add(Outcome::fail(
            "the repeated cancel had a different effect",
            "the CANCELED task, TaskNotCancelableError (-32002) or TaskNotFoundError (-32001)",
            expect::describe(&again),
        ));
    }
    checks.finish("the repeat had the same effect")
}

/// CANCEL-005: open streams see CANCELED, then close.
async fn cancel_005(ctx: Ctx) -> Judged {
    let mut r = driver::open_text(&ctx, "hang", json!({})).await?;
    let first = driver::next(&mut r, short(&ctx)).await?;
    let (id, _) = driver::stream_task(&first.into_iter().collect::<Vec<_>>())
        .map_err(untested_without_task)?;
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
    let mut checks = Checks::new();
    if !events
        .iter()
        .any(|e| driver::event_state(e) == Some("TASK_STATE_CANCELED"))
    {
        checks.add(Outcome::fail(
            "the open stream did not report the cancel",
            "a CANCELED status event",
            format!("{} ({end:?})", driver::summarize(&events)),
        ));
    }
    if end != driver::End::Closed {
        checks.add(Outcome::fail(
            "the open stream did not close after the cancel",
            "EOF after the CANCELED status",
            format!("{} ({end:?})", driver::summarize(&events)),
        ));
    }
    checks.finish(format!(
        "stream saw {} then closed",
        driver::summarize(&events)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Verdict;
    use crate::client::{Answer, WireError};
    use crate::probe::{RawRequest, RawResponse};

    fn answer(reply: Reply) -> Answer {
        Answer {
            reply,
            raw: RawResponse {
                status: 200,
                headers: Vec::new(),
                body: bytes::Bytes::new(),
                json: None,
                elapsed: Duration::ZERO,
            },
            request: RawRequest::new("POST", "http://127.0.0.1:1/"),
        }
    }

    fn rpc_error(code: i64) -> Reply {
        Reply::Err(WireError::from_jsonrpc(
            200,
            &json!({"code": code, "message": "no"}),
        ))
    }

    fn verdict(j: Result<(), Outcome>) -> Verdict {
        j.err().map_or(Verdict::Pass, |o| o.verdict)
    }

    #[test]
    fn list_002_fails_only_a_missing_next_page_token_and_warns_on_omitted_defaults() {
        let full = json!({"tasks": [], "nextPageToken": "", "pageSize": 50, "totalSize": 0});
        assert_eq!(verdict(list_fields("empty", &full)), Verdict::Pass);
        // A plain ProtoJSON writer omits the defaults: NON-STRICT (revised row), never FAIL.
        let plain = json!({"nextPageToken": ""});
        let o = list_fields("empty", &plain).unwrap_err();
        assert_eq!(o.verdict, Verdict::NonStrict);
        assert!(
            o.summary.contains("tasks, pageSize, totalSize"),
            "{}",
            o.summary
        );
        let no_token = json!({"tasks": [], "pageSize": 50, "totalSize": 0});
        assert_eq!(verdict(list_fields("empty", &no_token)), Verdict::Fail);
        let wrong_type = json!({"tasks": {}, "nextPageToken": "", "pageSize": 50, "totalSize": 0});
        assert_eq!(verdict(list_fields("empty", &wrong_type)), Verdict::Fail);
    }

    #[test]
    fn list_008_grades_a_clamped_page_size_non_strict_and_a_page_over_100_as_a_fail() {
        let refused = out_of_range(&answer(rpc_error(-32602)), 101);
        assert_eq!(refused.map(|o| o.verdict), Ok(Verdict::Pass));
        let clamped = out_of_range(
            &answer(Reply::Ok(json!({"tasks": [{}], "nextPageToken": ""}))),
            0,
        );
        assert_eq!(clamped.unwrap_err().verdict, Verdict::NonStrict);
        let other = out_of_range(&answer(rpc_error(-32603)), -1);
        assert_eq!(other.unwrap_err().verdict, Verdict::NonStrict);
        let huge: Vec<Value> = (0..101).map(|i| json!({"id": i.to_string()})).collect();
        let over = out_of_range(&answer(Reply::Ok(json!({"tasks": huge}))), 101);
        assert_eq!(over.unwrap_err().verdict, Verdict::Fail);
    }

    #[test]
    fn list_010_waits_for_declared_security_and_two_identities() {
        let case = CASES.iter().find(|c| c.id == "LIST-010").unwrap();
        assert_eq!(case.needs, &[Need::Auth, Need::TwoIdentities]);
    }
}
