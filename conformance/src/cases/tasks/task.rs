//! Cases for TASK (digest §9.7, TASK-001 to TASK-005): GetTask and `historyLength` (§3.1.3,
//! §3.2.4).

use serde_json::{json, Value};

use super::{new_task, PLAIN};
use crate::case::{Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::context::Ctx;
use crate::driver::{self, call, history, untested_without_task};
use crate::expect;
use crate::spec::{ErrorCode, Method};

/// TASK-001: GetTask returns the Task.
pub(crate) const TASK_001: Case = Case {
    id: "TASK-001",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "GetTask for a task just created",
    requirement: "returns the bare Task with that id",
    spec: "§3.1.3",
    exec: Exec::Run(crate::run_fn!(task_001)),
};
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
pub(crate) const TASK_002: Case = Case {
    id: "TASK-002",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "GetTask for an unknown id",
    requirement: "TaskNotFoundError (-32001 / 404)",
    spec: "§3.1.3, §3.3.2",
    exec: Exec::Run(crate::run_fn!(task_002)),
};
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
pub(crate) const TASK_003: Case = Case {
    id: "TASK-003",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::TestAgent],
    title: "GetTask with historyLength 1 and 2 on a two-turn task",
    requirement: "at most N entries, the most recent ones",
    spec: "proto",
    exec: Exec::Run(crate::run_fn!(task_003)),
};
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
pub(crate) const TASK_004: Case = Case {
    id: "TASK-004",
    level: Level::Should,
    bindings: Bindings::Each,
    needs: &[],
    title: "GetTask with historyLength 0",
    requirement: "the `history` key is left out",
    spec: "§3.2.4",
    exec: Exec::Run(crate::run_fn!(task_004)),
};
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
pub(crate) const TASK_005: Case = Case {
    id: "TASK-005",
    level: Level::Should,
    bindings: Bindings::Each,
    needs: &[],
    title: "GetTask with historyLength -1",
    requirement: "a validation error (-32602 / 400)",
    spec: "§3.3.2, §6.5",
    exec: Exec::Run(crate::run_fn!(task_005)),
};
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

/// The TASK cases, in digest order.
pub(crate) const CASES: &[Case] = &[TASK_001, TASK_002, TASK_003, TASK_004, TASK_005];
