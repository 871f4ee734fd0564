//! Cases for SUB (digest §9.6, SUB-001 to SUB-004): SubscribeToTask (§3.1.6).

use serde_json::{json, Value};

use super::{closed, PLAIN};
use crate::case::{Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::client::StreamAnswer;
use crate::context::Ctx;
use crate::driver::{
    self, collect, event_state, member, next, open, short, summarize, untested_without_task, values,
};
use crate::expect;
use crate::spec::{ErrorCode, Method};

/// SUB-001: SubscribeToTask on any non-terminal task starts with the current Task: a WORKING
/// task, and an INPUT_REQUIRED one (§3.1.6: only terminal tasks are refused).
pub(crate) const SUB_001: Case = Case {
    id: "SUB-001",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Streaming, Need::TestAgent],
    title: "SubscribeToTask on a WORKING `hang` task and on an INPUT_REQUIRED task",
    requirement: "any non-terminal task can be subscribed to; the first event is the Task with its current state",
    spec: "§3.1.6",
    exec: Exec::Run(crate::run_fn!(sub_001)),
};
async fn sub_001(ctx: Ctx) -> Judged {
    let mut checks = Checks::new();
    for command in ["hang", "input-required"] {
        checks.judged(subscribed_first(&ctx, command).await);
    }
    checks.finish("the first event is the Task in its current state")
}

/// One SUB-001 probe: a `hang` task (SUBMITTED or WORKING, depending on when the
/// subscription lands) or an `input-required` task (INPUT_REQUIRED), subscribed to.
async fn subscribed_first(ctx: &Ctx, command: &str) -> Judged {
    let (g, states): (driver::Hung, &[&str]) = if command == "hang" {
        (
            driver::hang(ctx).await.map_err(untested_without_task)?,
            &["TASK_STATE_SUBMITTED", "TASK_STATE_WORKING"],
        )
    } else {
        (
            driver::interrupted(ctx, command, "TASK_STATE_INPUT_REQUIRED")
                .await
                .map_err(untested_without_task)?,
            &["TASK_STATE_INPUT_REQUIRED"],
        )
    };
    let what = format!(
        "SubscribeToTask on a `{command}` task, in {}",
        states.join(" or ")
    );
    let sa = ctx
        .client()
        .stream(Method::SubscribeToTask, json!({ "id": g.id }))
        .await
        .map_err(|e| driver::harness("SubscribeToTask", e))?;
    let mut s = match sa {
        StreamAnswer::Open(s) => s,
        StreamAnswer::Refused(a) => {
            return Err(Outcome::fail(
                format!("{what} was refused"),
                "an event stream: only a terminal task may be refused (§3.1.6)",
                expect::describe(&a),
            ))
        }
    };
    let first = next(&mut s, short(ctx)).await;
    drop(s);
    g.cancel().await;
    let first = first?;
    match first.as_ref().and_then(member) {
        Some(("task", t))
            if t.get("id").and_then(Value::as_str).is_some()
                && expect::state_of(t).is_some_and(|st| states.contains(&st)) =>
        {
            Ok(Outcome::pass(format!(
                "`{command}`: the first event is the Task, {}",
                expect::state_of(t).unwrap_or_default()
            )))
        }
        _ => Err(Outcome::fail(
            format!("{what} did not start with the current Task"),
            format!(
                "{{\"task\":{{…,\"status\":{{\"state\":\"{}\"}}}}}}",
                states.join(" or ")
            ),
            first
                .as_ref()
                .map_or_else(|| "EOF".to_owned(), expect::show),
        )),
    }
}

/// SUB-002: SubscribeToTask on a terminal task is an UnsupportedOperationError.
pub(crate) const SUB_002: Case = Case {
    id: "SUB-002",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Streaming],
    title: "SubscribeToTask on a completed task",
    requirement: "UnsupportedOperationError (-32004 / 400 UNSUPPORTED_OPERATION)",
    spec: "§3.1.6, §9.4.6",
    exec: Exec::Run(crate::run_fn!(sub_002)),
};
async fn sub_002(ctx: Ctx) -> Judged {
    let task = driver::new_task(&ctx, PLAIN, json!({}), json!({}))
        .await
        .map_err(untested_without_task)?;
    let id = driver::require_id(&task)?;
    match expect::state_of(&task) {
        Some(s) if driver::is_terminal(s) => {}
        other => {
            return Err(Outcome::untested(
                format!("the task is not terminal after a blocking send (state {other:?}), so there is no terminal task to subscribe to"),
                driver::HELP_FINISHED_TASK,
            ))
        }
    }
    let sa = ctx
        .client()
        .stream(Method::SubscribeToTask, json!({ "id": id }))
        .await
        .map_err(|e| driver::harness("SubscribeToTask", e))?;
    driver::expect_stream_error(
        sa,
        ErrorCode::UnsupportedOperation,
        short(&ctx),
        "subscribe to a terminal task",
    )
    .await
}

/// SUB-003: SubscribeToTask on an unknown task is a TaskNotFoundError.
pub(crate) const SUB_003: Case = Case {
    id: "SUB-003",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Streaming],
    title: "SubscribeToTask on an unknown task id",
    requirement: "TaskNotFoundError (-32001 / 404)",
    spec: "§3.1.6",
    exec: Exec::Run(crate::run_fn!(sub_003)),
};
async fn sub_003(ctx: Ctx) -> Judged {
    let sa = ctx
        .client()
        .stream(
            Method::SubscribeToTask,
            json!({ "id": ctx.unique("no-such-task") }),
        )
        .await
        .map_err(|e| driver::harness("SubscribeToTask", e))?;
    driver::expect_stream_error(
        sa,
        ErrorCode::TaskNotFound,
        short(&ctx),
        "subscribe to an unknown task",
    )
    .await
}

/// SUB-004: the subscription ends when the task becomes terminal.
pub(crate) const SUB_004: Case = Case {
    id: "SUB-004",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Streaming, Need::TestAgent],
    title: "SubscribeToTask on a `slow 1000` task",
    requirement: "the subscription ends when the task becomes terminal",
    spec: "§3.1.6",
    exec: Exec::Run(crate::run_fn!(sub_004)),
};
async fn sub_004(ctx: Ctx) -> Judged {
    let g = driver::start(&ctx, "slow 1000", json!({}))
        .await
        .map_err(untested_without_task)?;
    let mut s = open(&ctx, Method::SubscribeToTask, json!({ "id": g.id })).await?;
    let (got, end) = collect(&mut s, short(&ctx)).await;
    let events = values(&got);
    let mut checks = Checks::new();
    checks.check(closed(&end, &events));
    let last = events.iter().rev().find_map(event_state);
    if last.is_some_and(driver::is_terminal) {
        g.disarm();
    } else {
        checks.add(Outcome::fail(
            "the subscription ended before the task was terminal",
            "a terminal status as the last state event, then EOF",
            summarize(&events),
        ));
    }
    checks.finish(format!("ended after {}", summarize(&events)))
}

/// The SUB cases, in digest order.
pub(crate) const CASES: &[Case] = &[SUB_001, SUB_002, SUB_003, SUB_004];
