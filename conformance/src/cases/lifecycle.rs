//! Cases for CTX and LIFE (digest §9.8): server-generated task and context ids and how a message's
//! `taskId`/`contextId` are reconciled (§3.4), and the task lifecycle: terminal tasks are
//! immutable, interrupted tasks accept messages (§3.1.1, §3.3.3, §7.6; digest §6).
//!
//! A row whose task could not be set up (the agent answered with a Message) is UNTESTED: it
//! applies, it just could not be observed ([`driver::untested_without_task`]).

use serde_json::{json, Value};

use crate::case::{Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::client::Reply;
use crate::context::Ctx;
use crate::driver::{self, context_of, new_task};
use crate::expect;
use crate::spec::Method;

/// The CTX, LIFE cases, in digest order.
pub(crate) const CASES: &[Case] = &[
    Case {
        id: "CTX-001",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "two SendMessage calls that create tasks",
        requirement: "each new task gets a unique server-generated id, returned in the Task",
        spec: "§3.4.2",
        exec: Exec::Run(crate::run_fn!(ctx_001)),
    },
    Case {
        id: "CTX-002",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "SendMessage with no contextId",
        requirement: "the server-generated contextId appears in the response",
        spec: "§3.4.1",
        exec: Exec::Run(crate::run_fn!(ctx_002)),
    },
    Case {
        id: "CTX-003",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::TestAgent],
        title: "follow-up to an INPUT_REQUIRED task with taskId and no contextId",
        requirement: "the message gets the task's contextId",
        spec: "§3.4.3",
        exec: Exec::Run(crate::run_fn!(ctx_003)),
    },
    Case {
        id: "CTX-004",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::TestAgent],
        title: "follow-up to an INPUT_REQUIRED task with its taskId and another contextId",
        requirement: "the message is rejected and the task is left as it was",
        spec: "§3.4.3",
        exec: Exec::Run(crate::run_fn!(ctx_004)),
    },
    Case {
        id: "CTX-005",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "SendMessage with a fresh client-chosen contextId",
        requirement: "accepted as given, or refused with an error; never silently replaced",
        spec: "§3.4.1",
        exec: Exec::Run(crate::run_fn!(ctx_005)),
    },
    Case {
        id: "CTX-006",
        level: Level::May,
        bindings: Bindings::Each,
        needs: &[],
        title: "SendMessage with an existing contextId and no taskId",
        requirement: "a new task starts in that context (contextId echoed)",
        spec: "§3.4.3",
        exec: Exec::Run(crate::run_fn!(ctx_006)),
    },
    Case {
        id: "LIFE-001",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "message and cancel sent to a completed task, GetTask before and after",
        requirement: "a terminal task never changes state again",
        spec: "§3.1.1, life-of-a-task",
        exec: Exec::Run(crate::run_fn!(life_001)),
    },
    Case {
        id: "LIFE-002",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::TestAgent],
        title: "SendMessage `auth-required`",
        requirement: "AUTH_REQUIRED goes through a Task with a status message explaining the need",
        spec: "§7.6.1",
        exec: Exec::Run(crate::run_fn!(life_002)),
    },
    Case {
        id: "LIFE-003",
        level: Level::Should,
        bindings: Bindings::Each,
        needs: &[Need::TestAgent],
        title: "follow-up message to an AUTH_REQUIRED task",
        requirement: "the message is accepted",
        spec: "§7.6.1",
        exec: Exec::Run(crate::run_fn!(life_003)),
    },
    Case {
        id: "LIFE-004",
        level: Level::May,
        bindings: Bindings::Each,
        needs: &[Need::TestAgent],
        title: "follow-up message to an INPUT_REQUIRED task",
        requirement: "further messages are accepted; the task goes back to work",
        spec: "§3.3.3",
        exec: Exec::Run(crate::run_fn!(life_004)),
    },
    Case {
        id: "LIFE-005",
        level: Level::Must,
        bindings: Bindings::Once,
        needs: &[],
        title: "(not automated) AUTH_REQUIRED does not grant authorization",
        requirement: "entering AUTH_REQUIRED is not itself an authorization (main §7.6.4, not in 1.0.1)",
        spec: "main §7.6.4",
        exec: Exec::Manual(
            "defined only on the spec's main branch (§7.6.4), not in 1.0.1; authorization decisions are not observable black-box — review only",
        ),
    },
];

/// The text sent where any agent will do; the test agent reads it as `echo`.
const PLAIN: &str = "echo gauntlet context check";

/// A new task for `text`, or UNTESTED when the agent answers with a Message.
async fn task(ctx: &Ctx, text: &str, message_extra: Value) -> Result<Value, Outcome> {
    new_task(ctx, text, message_extra, json!({}))
        .await
        .map_err(driver::untested_without_task)
}

/// A task left in `want` by `command`, or UNTESTED when there is no task to be had.
async fn interrupted(ctx: &Ctx, command: &str, want: &str) -> Result<driver::Hung, Outcome> {
    driver::interrupted(ctx, command, want)
        .await
        .map_err(driver::untested_without_task)
}

/// CTX-001: each task gets a unique, server-generated id.
async fn ctx_001(ctx: Ctx) -> Judged {
    let a = driver::require_id(&task(&ctx, PLAIN, json!({})).await?)?;
    let b = driver::require_id(&task(&ctx, PLAIN, json!({})).await?)?;
    if a == b {
        return Ok(Outcome::fail(
            "two tasks share an id",
            "distinct task ids",
            format!("{a} twice"),
        ));
    }
    Ok(Outcome::pass(format!("distinct ids {a}, {b}")))
}

/// CTX-002: a server-generated contextId is returned.
async fn ctx_002(ctx: Ctx) -> Judged {
    let resp = driver::send_ok(&ctx.client(), PLAIN, json!({}), json!({}))
        .await?
        .1;
    let (kind, obj) = match (resp.get("task"), resp.get("message")) {
        (Some(t), _) => ("Task", t),
        (None, Some(m)) => ("Message", m),
        _ => {
            return Ok(Outcome::fail(
                "no Task or Message in the result",
                "{\"task\"} or {\"message\"}",
                expect::show(&resp),
            ))
        }
    };
    match context_of(obj) {
        Some(c) if !c.is_empty() => Ok(Outcome::pass(format!("{kind} carries contextId {c}"))),
        _ => Ok(Outcome::fail(
            "the response has no contextId",
            format!("a non-empty contextId on the {kind}"),
            expect::show(obj),
        )),
    }
}

/// CTX-003: taskId without contextId inherits the task's contextId.
async fn ctx_003(ctx: Ctx) -> Judged {
    let g = interrupted(&ctx, "input-required", "TASK_STATE_INPUT_REQUIRED").await?;
    let c = context_of(&g.task).unwrap_or_default().to_owned();
    let resp = driver::send_ok(
        &ctx.client(),
        "follow-up",
        json!({ "taskId": g.id }),
        json!({}),
    )
    .await?
    .1;
    let t = driver::require_task(&resp).map_err(driver::untested_without_task)?;
    let mut checks = Checks::new();
    if t.get("id").and_then(Value::as_str) != Some(g.id.as_str()) {
        checks.add(Outcome::fail(
            "the follow-up was not applied to the task it named",
            format!("task {}", g.id),
            expect::show(&t),
        ));
    }
    let got = context_of(&t).unwrap_or_default();
    if got != c || c.is_empty() {
        checks.add(Outcome::fail(
            "the follow-up did not inherit the task's contextId",
            format!("contextId {c:?}"),
            format!("contextId {got:?}: {}", expect::show(&t)),
        ));
    }
    g.disarm();
    checks.finish(format!("follow-up stayed in context {c}"))
}

/// CTX-004: a contextId that disagrees with the task's is rejected.
async fn ctx_004(ctx: Ctx) -> Judged {
    let g = interrupted(&ctx, "input-required", "TASK_STATE_INPUT_REQUIRED").await?;
    let c = context_of(&g.task).unwrap_or_default().to_owned();
    let wrong = ctx.unique("other-context");
    let a = driver::send_text(
        &ctx,
        "follow-up",
        json!({ "taskId": g.id, "contextId": wrong }),
        json!({}),
    )
    .await?;
    let after = driver::get_task(&ctx, &g.id, None).await?;
    g.cancel().await;
    let mut checks = Checks::new();
    match &a.reply {
        Reply::Err(e) => checks.note(format!("rejected ({})", expect::describe_error(e))),
        _ => checks.add(Outcome::fail(
            "a mismatched contextId was accepted",
            "an error (InvalidParams -32602 / 400 recommended; the spec names none)",
            expect::describe(&a),
        )),
    }
    if expect::state_of(&after) != Some("TASK_STATE_INPUT_REQUIRED")
        || context_of(&after) != Some(c.as_str())
    {
        checks.add(Outcome::fail(
            "the mismatched message still changed the task",
            format!("task still INPUT_REQUIRED in context {c}"),
            expect::show(&after),
        ));
    }
    checks.finish("task unchanged")
}

/// CTX-005: a client contextId is used as given or refused, never replaced.
async fn ctx_005(ctx: Ctx) -> Judged {
    let mine = ctx.unique("client-context");
    let a = driver::send_text(&ctx, PLAIN, json!({ "contextId": mine }), json!({})).await?;
    let resp = match &a.reply {
        Reply::Err(e) => {
            return Ok(Outcome::pass(format!(
                "client contextId refused with an error ({})",
                expect::describe_error(e)
            )))
        }
        Reply::Ok(v) => v.clone(),
        Reply::Garbled(_) => {
            return Ok(Outcome::fail(
                "unusable answer",
                "a SendMessageResponse or an error",
                expect::describe(&a),
            ))
        }
    };
    let obj = resp
        .get("task")
        .or_else(|| resp.get("message"))
        .unwrap_or(&resp);
    match context_of(obj) {
        Some(c) if c == mine => Ok(Outcome::pass("client contextId used as given")),
        other => Ok(Outcome::fail(
            "the client's contextId was silently replaced",
            format!("contextId {mine:?} echoed, or an error"),
            format!("contextId {other:?}"),
        )),
    }
}

/// CTX-006: contextId alone starts a new task in that context.
async fn ctx_006(ctx: Ctx) -> Judged {
    let first = task(&ctx, PLAIN, json!({})).await?;
    let c = context_of(&first).unwrap_or_default().to_owned();
    let a = driver::send_text(&ctx, PLAIN, json!({ "contextId": c }), json!({})).await?;
    let second = match &a.reply {
        Reply::Ok(v) => driver::require_task(v).map_err(driver::untested_without_task)?,
        _ => {
            return Ok(Outcome::info(format!(
                "a second task in the context was refused: {}",
                expect::describe(&a)
            )))
        }
    };
    if context_of(&second) == Some(c.as_str()) && second.get("id") != first.get("id") {
        Ok(Outcome::pass(format!(
            "new task {} in context {c}",
            driver::require_id(&second)?
        )))
    } else {
        Ok(Outcome::info(format!(
            "no new task in the given context: {}",
            expect::show(&second)
        )))
    }
}

/// LIFE-001: a terminal task never changes state again. A message or cancel that is accepted
/// without changing the task is SEND-007's and CANCEL-002's deviation, not this row's.
async fn life_001(ctx: Ctx) -> Judged {
    let t = task(&ctx, PLAIN, json!({})).await?;
    let id = driver::require_id(&t)?;
    let Some(s) = expect::state_of(&t)
        .filter(|s| driver::is_terminal(s))
        .map(str::to_owned)
    else {
        return Ok(Outcome::untested(
            format!(
                "the task is not terminal after a blocking send (state {:?}), so no terminal task could be observed",
                expect::state_of(&t)
            ),
            "an agent whose `echo` task completes within a blocking send (SEND-002)",
        ));
    };
    let before = driver::get_task(&ctx, &id, None).await?;
    let msg = driver::send_text(&ctx, PLAIN, json!({ "taskId": id }), json!({})).await?;
    let cancel = driver::call(&ctx, Method::CancelTask, json!({ "id": id })).await?;
    let after = driver::get_task(&ctx, &id, None).await?;
    // The task as the accepted message or cancel reported it, when it is this task.
    let reported = |a: &crate::client::Answer| -> Option<String> {
        let v = a.ok()?;
        let t = v.get("task").unwrap_or(v);
        (t.get("id").and_then(Value::as_str) == Some(id.as_str()))
            .then(|| expect::state_of(t).unwrap_or("no state").to_owned())
    };
    // Every later read of the task: both GetTasks, and the task the message or the cancel
    // answered with, when it was served and returned this task.
    let state = |t: &Value| expect::state_of(t).unwrap_or("no state").to_owned();
    let mut reads = vec![("GetTask before", state(&before))];
    reads.extend(reported(&msg).map(|st| ("the message's answer", st)));
    reads.extend(reported(&cancel).map(|st| ("the cancel's answer", st)));
    reads.push(("GetTask after", state(&after)));
    let mut checks = Checks::new();
    let changed: Vec<String> = reads
        .iter()
        .filter(|(_, st)| *st != s)
        .map(|(what, st)| format!("{what}: {st}"))
        .collect();
    if !changed.is_empty() {
        checks.add(Outcome::fail(
            "a terminal task changed state",
            format!("{s} on every later read"),
            format!(
                "{} (message: {}; cancel: {})",
                changed.join(", "),
                expect::describe(&msg),
                expect::describe(&cancel)
            ),
        ));
    }
    for (what, a, owner) in [
        ("the message", &msg, "SEND-007"),
        ("the cancel", &cancel, "CANCEL-002"),
    ] {
        if a.ok().is_some() {
            checks.note(format!("{what} was accepted ({owner} judges that)"));
        }
    }
    checks.finish(format!("stayed {s} through a message and a cancel"))
}

/// LIFE-002: AUTH_REQUIRED comes as a Task with an explaining status message.
async fn life_002(ctx: Ctx) -> Judged {
    let g = interrupted(&ctx, "auth-required", "TASK_STATE_AUTH_REQUIRED").await?;
    let msg = g.task.pointer("/status/message").cloned();
    g.cancel().await;
    let explains = msg
        .as_ref()
        .and_then(|m| m.get("parts"))
        .and_then(Value::as_array)
        .is_some_and(|p| !p.is_empty());
    if !explains {
        return Ok(Outcome::fail(
            "AUTH_REQUIRED without an explaining status message",
            "status.message with at least one part saying what is needed",
            msg.map_or_else(|| "no status.message".to_owned(), |m| expect::show(&m)),
        ));
    }
    Ok(Outcome::pass("Task in AUTH_REQUIRED with a status message"))
}

/// Sends a follow-up to an interrupted task; reports the state it moved to.
async fn follow_up(
    ctx: &Ctx,
    command: &str,
    want: &str,
) -> Result<Result<String, String>, Outcome> {
    let g = interrupted(ctx, command, want).await?;
    let a = driver::send_text(ctx, "here you go", json!({ "taskId": g.id }), json!({})).await?;
    let out = match &a.reply {
        Reply::Ok(v) => match driver::require_task(v) {
            Ok(t) => Ok(expect::state_of(&t).unwrap_or("?").to_owned()),
            Err(_) => Ok(format!("answered {}", expect::show(v))),
        },
        _ => Err(expect::describe(&a)),
    };
    g.cancel().await;
    Ok(out)
}

/// LIFE-003: messages to an AUTH_REQUIRED task are accepted.
async fn life_003(ctx: Ctx) -> Judged {
    match follow_up(&ctx, "auth-required", "TASK_STATE_AUTH_REQUIRED").await? {
        Ok(s) => Ok(Outcome::pass(format!("accepted; task now {s}"))),
        Err(seen) => Ok(Outcome::fail(
            "a message to an AUTH_REQUIRED task was refused",
            "the message accepted",
            seen,
        )),
    }
}

/// LIFE-004: further messages to an INPUT_REQUIRED task are accepted.
async fn life_004(ctx: Ctx) -> Judged {
    match follow_up(&ctx, "input-required", "TASK_STATE_INPUT_REQUIRED").await? {
        Ok(s) if s != "TASK_STATE_INPUT_REQUIRED" => {
            Ok(Outcome::pass(format!("accepted; task moved on to {s}")))
        }
        Ok(s) => Ok(Outcome::info(format!("accepted, but the task stayed {s}"))),
        Err(seen) => Ok(Outcome::info(format!("follow-up refused: {seen}"))),
    }
}
