//! Cases for CTX (digest §9.8, CTX-001 to CTX-006): server-generated task and context ids, and how
//! a message's `taskId`/`contextId` are reconciled (§3.4).

use serde_json::{json, Value};

use super::{interrupted, task, PLAIN};
use crate::case::{Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::client::Reply;
use crate::context::Ctx;
use crate::driver::{self, context_of};
use crate::expect;

/// CTX-001: each task gets a unique, server-generated id.
pub(crate) const CTX_001: Case = Case {
    id: "CTX-001",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "two SendMessage calls that create tasks",
    requirement: "each new task gets a unique server-generated id, returned in the Task",
    spec: "§3.4.2",
    exec: Exec::Run(crate::run_fn!(ctx_001)),
};
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
pub(crate) const CTX_002: Case = Case {
    id: "CTX-002",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "SendMessage with no contextId",
    requirement: "the server-generated contextId appears in the response",
    spec: "§3.4.1",
    exec: Exec::Run(crate::run_fn!(ctx_002)),
};
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
pub(crate) const CTX_003: Case = Case {
    id: "CTX-003",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::TestAgent],
    title: "follow-up to an INPUT_REQUIRED task with taskId and no contextId",
    requirement: "the message gets the task's contextId",
    spec: "§3.4.3",
    exec: Exec::Run(crate::run_fn!(ctx_003)),
};
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
pub(crate) const CTX_004: Case = Case {
    id: "CTX-004",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::TestAgent],
    title: "follow-up to an INPUT_REQUIRED task with its taskId and another contextId",
    requirement: "the message is rejected and the task is left as it was",
    spec: "§3.4.3",
    exec: Exec::Run(crate::run_fn!(ctx_004)),
};
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
pub(crate) const CTX_005: Case = Case {
    id: "CTX-005",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "SendMessage with a fresh client-chosen contextId",
    requirement: "accepted as given, or refused with an error; never silently replaced",
    spec: "§3.4.1",
    exec: Exec::Run(crate::run_fn!(ctx_005)),
};
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
pub(crate) const CTX_006: Case = Case {
    id: "CTX-006",
    level: Level::May,
    bindings: Bindings::Each,
    needs: &[],
    title: "SendMessage with an existing contextId and no taskId",
    requirement: "a new task starts in that context (contextId echoed)",
    spec: "§3.4.3",
    exec: Exec::Run(crate::run_fn!(ctx_006)),
};
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

/// The CTX cases, in digest order.
pub(crate) const CASES: &[Case] = &[CTX_001, CTX_002, CTX_003, CTX_004, CTX_005, CTX_006];
