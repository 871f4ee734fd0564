//! Cases for LIFE (digest §9.8, LIFE-001 to LIFE-005): the task lifecycle: terminal tasks are
//! immutable, interrupted tasks accept messages (§3.1.1, §3.3.3, §7.6; digest §6).

use serde_json::{json, Value};

use super::{interrupted, task, PLAIN};
use crate::case::{Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::client::Reply;
use crate::context::Ctx;
use crate::driver;
use crate::expect;
use crate::spec::Method;

/// LIFE-001: a terminal task never changes state again. A message or cancel that is accepted
/// without changing the task is SEND-007's and CANCEL-002's deviation, not this row's.
pub(crate) const LIFE_001: Case = Case {
    id: "LIFE-001",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "message and cancel sent to a completed task, GetTask before and after",
    requirement: "a terminal task never changes state again",
    spec: "§3.1.1, life-of-a-task",
    exec: Exec::Run(crate::run_fn!(life_001)),
};
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
pub(crate) const LIFE_002: Case = Case {
    id: "LIFE-002",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::TestAgent],
    title: "SendMessage `auth-required`",
    requirement: "AUTH_REQUIRED goes through a Task with a status message explaining the need",
    spec: "§7.6.1",
    exec: Exec::Run(crate::run_fn!(life_002)),
};
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
pub(crate) const LIFE_003: Case = Case {
    id: "LIFE-003",
    level: Level::Should,
    bindings: Bindings::Each,
    needs: &[Need::TestAgent],
    title: "follow-up message to an AUTH_REQUIRED task",
    requirement: "the message is accepted",
    spec: "§7.6.1",
    exec: Exec::Run(crate::run_fn!(life_003)),
};
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
pub(crate) const LIFE_004: Case = Case {
    id: "LIFE-004",
    level: Level::May,
    bindings: Bindings::Each,
    needs: &[Need::TestAgent],
    title: "follow-up message to an INPUT_REQUIRED task",
    requirement: "further messages are accepted; the task goes back to work",
    spec: "§3.3.3",
    exec: Exec::Run(crate::run_fn!(life_004)),
};
async fn life_004(ctx: Ctx) -> Judged {
    match follow_up(&ctx, "input-required", "TASK_STATE_INPUT_REQUIRED").await? {
        Ok(s) if s != "TASK_STATE_INPUT_REQUIRED" => {
            Ok(Outcome::pass(format!("accepted; task moved on to {s}")))
        }
        Ok(s) => Ok(Outcome::info(format!("accepted, but the task stayed {s}"))),
        Err(seen) => Ok(Outcome::info(format!("follow-up refused: {seen}"))),
    }
}

pub(crate) const LIFE_005: Case = Case {
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
};

/// The LIFE cases, in digest order.
pub(crate) const CASES: &[Case] = &[LIFE_001, LIFE_002, LIFE_003, LIFE_004, LIFE_005];
