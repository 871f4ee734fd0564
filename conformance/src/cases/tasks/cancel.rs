//! Cases for CANCEL (digest §9.7, CANCEL-001 to CANCEL-005): CancelTask (§3.1.5, §3.3.1).

use serde_json::{json, Value};

use super::{new_task_state, PLAIN};
use crate::case::{Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::client::Reply;
use crate::context::Ctx;
use crate::driver::{self, call, call_ok, short, untested_without_task};
use crate::expect;
use crate::spec::{ErrorCode, Method};

/// CANCEL-001: CancelTask returns the Task in CANCELED.
pub(crate) const CANCEL_001: Case = Case {
    id: "CANCEL-001",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::TestAgent],
    title: "CancelTask on a WORKING `hang` task",
    requirement: "returns the updated Task in CANCELED",
    spec: "§3.1.5",
    exec: Exec::Run(crate::run_fn!(cancel_001)),
};
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
pub(crate) const CANCEL_002: Case = Case {
    id: "CANCEL-002",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "CancelTask on COMPLETED (and, with the test agent, FAILED and REJECTED) tasks",
    requirement: "TaskNotCancelableError (-32002 / 400)",
    spec: "§3.1.5",
    exec: Exec::Run(crate::run_fn!(cancel_002)),
};
async fn cancel_002(ctx: Ctx) -> Judged {
    let mut commands = vec![PLAIN];
    if ctx.target().test_agent {
        commands.extend(["fail", "reject"]);
    }
    let mut checks = Checks::new();
    let mut probed = 0;
    let mut not_terminal = Vec::new();
    for cmd in commands {
        let Some((t, s)) = new_task_state(&ctx, cmd, &mut checks).await else {
            continue;
        };
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
pub(crate) const CANCEL_003: Case = Case {
    id: "CANCEL-003",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "CancelTask on an unknown id",
    requirement: "TaskNotFoundError (-32001 / 404)",
    spec: "§3.1.5",
    exec: Exec::Run(crate::run_fn!(cancel_003)),
};
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
pub(crate) const CANCEL_004: Case = Case {
    id: "CANCEL-004",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::TestAgent],
    title: "CancelTask twice on a `hang` task",
    requirement: "the repeat has the same effect: CANCELED task, -32002 or -32001",
    spec: "§3.3.1",
    exec: Exec::Run(crate::run_fn!(cancel_004)),
};
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
pub(crate) const CANCEL_005: Case = Case {
    id: "CANCEL-005",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::TestAgent, Need::Streaming],
    title: "stream `hang`, then CancelTask",
    requirement: "the open stream sees CANCELED, then closes",
    spec: "§3.1.2",
    exec: Exec::Run(crate::run_fn!(cancel_005)),
};
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

/// The CANCEL cases, in digest order.
pub(crate) const CASES: &[Case] = &[CANCEL_001, CANCEL_002, CANCEL_003, CANCEL_004, CANCEL_005];
