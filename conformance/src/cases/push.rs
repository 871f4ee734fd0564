//! Cases for PUSH (digest §9.9): push-config CRUD (§3.1.7–3.1.10) and webhook delivery (§4.3.3,
//! §13.2; digest §8).
//!
//! Deliveries are observed on the suite's own receiver ([`crate::webhook`]) on 127.0.0.1, so
//! these cases need a target on loopback ([`Need::LocalWebhook`]). Each case starts its own
//! receiver and tells configs apart by URL path. Waiting is on deliveries with scaled deadlines.
//!
//! A row that applies but cannot be observed here is UNTESTED, never NOT-APPLICABLE: the target
//! refused the suite's loopback webhook (its SSRF guard), or the agent answered with a Message.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::case::{Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::client::Reply;
use crate::context::Ctx;
use crate::driver::{self, call, call_ok, loopback_refused, receiver, registered};
use crate::expect;
use crate::spec::{ErrorCode, Method};
use crate::webhook::{Delivery, Scripted, WebhookReceiver};

/// The text sent where any agent will do; the test agent reads it as `echo`.
const PLAIN: &str = "echo gauntlet push check";

/// A task to hang configs on: a `hang` task with the test agent (canceled at the end), else a
/// task from a plain message. No task to be had (a Message answer) leaves the row UNTESTED.
async fn some_task(ctx: &Ctx) -> Result<driver::Hung, Outcome> {
    if ctx.target().test_agent {
        driver::hang(ctx)
            .await
            .map_err(driver::untested_without_task)
    } else {
        let t = driver::new_task(ctx, PLAIN, json!({}), json!({}))
            .await
            .map_err(driver::untested_without_task)?;
        driver::guard(ctx, t)
    }
}

/// CreateTaskPushNotificationConfig that must succeed; returns the config.
async fn create(ctx: &Ctx, task_id: &str, url: &str, extra: Value) -> Result<Value, Outcome> {
    let mut p = json!({ "taskId": task_id, "url": url });
    crate::client::merge(&mut p, extra);
    let a = call(ctx, Method::CreateTaskPushNotificationConfig, p).await?;
    registered(&a, "CreateTaskPushNotificationConfig")
}

/// The config `id` of a returned config.
fn config_id(cfg: &Value) -> Result<String, Outcome> {
    cfg.get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            Outcome::fail(
                "the config has no id",
                "a TaskPushNotificationConfig with a non-empty `id`",
                expect::show(cfg),
            )
        })
}

/// The configs of a task (ListTaskPushNotificationConfigs must succeed).
async fn list(ctx: &Ctx, task_id: &str) -> Result<Vec<Value>, Outcome> {
    let v = call_ok(
        ctx,
        Method::ListTaskPushNotificationConfigs,
        json!({ "taskId": task_id }),
        "ListTaskPushNotificationConfigs",
    )
    .await?;
    Ok(v.get("configs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default())
}

/// Deliveries to `path`.
fn on(ds: &[Delivery], path: &str) -> Vec<Delivery> {
    ds.iter().filter(|d| d.path == path).cloned().collect()
}

/// Whether a delivery announces a terminal state.
fn terminal(d: &Delivery) -> bool {
    d.json
        .as_ref()
        .and_then(driver::event_state)
        .is_some_and(driver::is_terminal)
}

/// Registers a webhook on `path` inline with a plain SendMessage (`config_extra` merged into the
/// config), then waits for the terminal delivery. Returns the task id and the deliveries to
/// `path` seen by then (or by the deadline).
async fn deliveries(
    ctx: &Ctx,
    hook: &WebhookReceiver,
    path: &str,
    config_extra: Value,
) -> Result<(String, Result<Vec<Delivery>, Vec<Delivery>>), Outcome> {
    let mut cfg = json!({ "url": hook.url_for(path) });
    crate::client::merge(&mut cfg, config_extra);
    let a = driver::send_text(
        ctx,
        PLAIN,
        json!({}),
        json!({ "configuration": { "taskPushNotificationConfig": cfg } }),
    )
    .await?;
    let task = driver::require_task(&registered(&a, "SendMessage with a push config")?)
        .map_err(driver::untested_without_task)?;
    let id = driver::require_id(&task)?;
    let p = path.to_owned();
    let seen = hook
        .wait_for(
            move |ds| on(ds, &p).iter().any(terminal),
            ctx.deadline(Duration::from_secs(15)),
        )
        .await
        .map(|ds| on(&ds, path))
        .map_err(|ds| on(&ds, path));
    Ok((id, seen))
}

/// The deliveries to judge. None at all is PUSH-009's deviation (at least one delivery), so a
/// row about what deliveries look like is UNTESTED then, not failed a second time.
fn some(seen: Result<Vec<Delivery>, Vec<Delivery>>) -> Result<Vec<Delivery>, Outcome> {
    match seen {
        Ok(ds) => Ok(ds),
        Err(ds) if !ds.is_empty() => Ok(ds),
        Err(_) => Err(Outcome::untested(
            "no webhook delivery arrived, so none could be judged (PUSH-009 judges that)",
            "a server that delivers to the configured webhook",
        )),
    }
}

/// One deviation for the deliveries that break a rule: how many of all, and the first one.
fn bad_deliveries(
    checks: &mut Checks,
    ds: &[Delivery],
    bad: impl Fn(&Delivery) -> Option<String>,
    summary: &str,
    expected: &str,
) {
    let found: Vec<String> = ds.iter().filter_map(bad).collect();
    if let Some(first) = found.first() {
        checks.add(Outcome::fail(
            format!("{summary} ({} of {} deliveries)", found.len(), ds.len()),
            expected,
            first.clone(),
        ));
    }
}

/// PUSH-001: Create returns the config with an id and the taskId.
pub(crate) const PUSH_001: Case = Case {
    id: "PUSH-001",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Push, Need::LocalWebhook],
    title: "CreateTaskPushNotificationConfig without an id",
    requirement: "returns the config with an assigned `id` and the `taskId`",
    spec: "§3.1.7",
    exec: Exec::Run(crate::run_fn!(push_001)),
};
async fn push_001(ctx: Ctx) -> Judged {
    let hook = receiver(&ctx).await?;
    let g = some_task(&ctx).await?;
    let url = hook.url_for("/push-001");
    let cfg = create(&ctx, &g.id, &url, json!({})).await?;
    let task = g.id.clone();
    g.cancel().await;
    let mut checks = Checks::new();
    let id = config_id(&cfg);
    checks.check(id.as_ref().map_err(Clone::clone));
    if cfg.get("taskId").and_then(Value::as_str) != Some(task.as_str()) {
        checks.add(Outcome::fail(
            "the created config lacks the taskId",
            format!("the config with taskId {task:?}"),
            expect::show(&cfg),
        ));
    }
    if cfg.get("url").and_then(Value::as_str) != Some(url.as_str()) {
        checks.add(Outcome::fail(
            "the created config lacks the url",
            format!("the config with url {url:?}"),
            expect::show(&cfg),
        ));
    }
    checks.finish(format!(
        "config {} created for task {task}",
        id.unwrap_or_default()
    ))
}

/// PUSH-002: unknown tasks give TaskNotFoundError on Create and List.
pub(crate) const PUSH_002: Case = Case {
    id: "PUSH-002",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Push, Need::LocalWebhook],
    title: "Create and List push configs of an unknown task",
    requirement: "TaskNotFoundError (-32001 / 404) for both",
    spec: "§3.1.7, §3.1.9",
    exec: Exec::Run(crate::run_fn!(push_002)),
};
async fn push_002(ctx: Ctx) -> Judged {
    let hook = receiver(&ctx).await?;
    let missing = ctx.unique("no-such-task");
    let a = call(
        &ctx,
        Method::CreateTaskPushNotificationConfig,
        json!({ "taskId": missing, "url": hook.url_for("/push-002") }),
    )
    .await?;
    let mut checks = Checks::new();
    match a.err() {
        // The guard may read the URL before the task: the Create half cannot be judged.
        Some(e) if expect::error_matches(e, ErrorCode::InvalidParams) => {
            checks.add(loopback_refused(e))
        }
        _ => checks.judged(expect::refused_with(
            &a,
            ErrorCode::TaskNotFound,
            "Create for an unknown task",
        )),
    }
    let b = call(
        &ctx,
        Method::ListTaskPushNotificationConfigs,
        json!({ "taskId": missing }),
    )
    .await?;
    checks.judged(expect::refused_with(
        &b,
        ErrorCode::TaskNotFound,
        "List for an unknown task",
    ));
    checks.finish("TaskNotFound for Create and List")
}

/// PUSH-003: Get returns the stored config; an unknown config id is TaskNotFound.
pub(crate) const PUSH_003: Case = Case {
    id: "PUSH-003",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Push, Need::LocalWebhook],
    title: "Get a created config, and an unknown config id",
    requirement: "the stored config; TaskNotFoundError for the unknown id",
    spec: "§3.1.8",
    exec: Exec::Run(crate::run_fn!(push_003)),
};
async fn push_003(ctx: Ctx) -> Judged {
    let hook = receiver(&ctx).await?;
    let g = some_task(&ctx).await?;
    let url = hook.url_for("/push-003");
    let cfg = create(&ctx, &g.id, &url, json!({})).await?;
    let id = config_id(&cfg)?;
    let got = call(
        &ctx,
        Method::GetTaskPushNotificationConfig,
        json!({ "taskId": g.id, "id": id }),
    )
    .await?;
    let unknown = call(
        &ctx,
        Method::GetTaskPushNotificationConfig,
        json!({ "taskId": g.id, "id": ctx.unique("no-such-config") }),
    )
    .await?;
    g.cancel().await;
    let mut checks = Checks::new();
    match expect::ok(&got, "GetTaskPushNotificationConfig") {
        Ok(v)
            if v.get("id") != cfg.get("id")
                || v.get("url").and_then(Value::as_str) != Some(url.as_str()) =>
        {
            checks.add(Outcome::fail(
                "Get did not return the stored config",
                format!("config {id} with url {url}"),
                expect::show(v),
            ))
        }
        other => {
            checks.check(other);
        }
    }
    checks.judged(expect::refused_with(
        &unknown,
        ErrorCode::TaskNotFound,
        "Get of an unknown config id",
    ));
    checks.finish("stored config returned; unknown id gives TaskNotFound")
}

/// PUSH-004: List returns all active configs.
pub(crate) const PUSH_004: Case = Case {
    id: "PUSH-004",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Push, Need::LocalWebhook],
    title: "create two configs, then ListTaskPushNotificationConfigs",
    requirement: "both active configs are listed",
    spec: "§3.1.9",
    exec: Exec::Run(crate::run_fn!(push_004)),
};
async fn push_004(ctx: Ctx) -> Judged {
    let hook = receiver(&ctx).await?;
    let g = some_task(&ctx).await?;
    // Explicit distinct ids: a server may derive a missing id from the taskId, so two creates
    // without one may replace each other (digest §1.2 notes).
    let a = config_id(
        &create(
            &ctx,
            &g.id,
            &hook.url_for("/push-004-a"),
            json!({ "id": ctx.unique("push-004-a") }),
        )
        .await?,
    )?;
    let b = config_id(
        &create(
            &ctx,
            &g.id,
            &hook.url_for("/push-004-b"),
            json!({ "id": ctx.unique("push-004-b") }),
        )
        .await?,
    )?;
    let listed = list(&ctx, &g.id).await?;
    g.cancel().await;
    let ids: Vec<&str> = listed
        .iter()
        .filter_map(|c| c.get("id").and_then(Value::as_str))
        .collect();
    let mut checks = Checks::new();
    if a == b {
        checks.add(Outcome::fail(
            "two configs created with distinct ids came back with one id",
            "each config keeps the id it was created with",
            format!("both {a}"),
        ));
    }
    for id in [&a, &b] {
        if !ids.contains(&id.as_str()) {
            checks.add(Outcome::fail(
                format!("List does not show the active config {id}"),
                format!("configs {a} and {b} listed"),
                format!("{ids:?}"),
            ));
        }
    }
    checks.finish(format!("{} configs listed", ids.len()))
}

/// Whether an answer is a successful delete (`null`, `{}` or an empty body).
fn deleted(a: &crate::client::Answer) -> bool {
    match &a.reply {
        Reply::Ok(v) => v.is_null() || v.as_object().is_some_and(|o| o.is_empty()),
        _ => false,
    }
}

/// PUSH-005: delete is permanent and idempotent; nothing is delivered afterwards.
pub(crate) const PUSH_005: Case = Case {
    id: "PUSH-005",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Push, Need::LocalWebhook, Need::TestAgent],
    title: "delete a config of a `hang` task twice, then cancel the task",
    requirement: "delete is permanent and idempotent; nothing is delivered to it afterwards",
    spec: "§3.1.10",
    exec: Exec::Run(crate::run_fn!(push_005)),
};
async fn push_005(ctx: Ctx) -> Judged {
    let hook = receiver(&ctx).await?;
    let g = driver::hang(&ctx)
        .await
        .map_err(driver::untested_without_task)?;
    // Explicit distinct ids, so the control config cannot replace the one being deleted (a
    // server may derive a missing id from the taskId; digest §1.2 notes).
    let gone = config_id(
        &create(
            &ctx,
            &g.id,
            &hook.url_for("/push-005-deleted"),
            json!({ "id": ctx.unique("push-005-deleted") }),
        )
        .await?,
    )?;
    create(
        &ctx,
        &g.id,
        &hook.url_for("/push-005-control"),
        json!({ "id": ctx.unique("push-005-control") }),
    )
    .await?;
    let params = json!({ "taskId": g.id, "id": gone });
    let first = call(
        &ctx,
        Method::DeleteTaskPushNotificationConfig,
        params.clone(),
    )
    .await?;
    let second = call(
        &ctx,
        Method::DeleteTaskPushNotificationConfig,
        params.clone(),
    )
    .await?;
    let get = call(&ctx, Method::GetTaskPushNotificationConfig, params).await?;
    let listed = list(&ctx, &g.id).await?;
    let before = on(&hook.deliveries(), "/push-005-deleted").len();
    g.cancel().await;
    let control = hook
        .wait_for(
            |ds| on(ds, "/push-005-control").iter().any(terminal),
            ctx.deadline(Duration::from_secs(15)),
        )
        .await;
    let after = on(&hook.deliveries(), "/push-005-deleted").len();
    let mut checks = Checks::new();
    if !deleted(&first) || !deleted(&second) {
        checks.add(Outcome::fail(
            "delete is not idempotent",
            "both deletes succeed (result null or {})",
            format!(
                "first: {}; second: {}",
                expect::describe(&first),
                expect::describe(&second)
            ),
        ));
    }
    if !matches!(&get.reply, Reply::Err(e) if expect::error_matches(e, ErrorCode::TaskNotFound)) {
        checks.add(Outcome::fail(
            "Get still finds the deleted config",
            "TaskNotFoundError for the deleted config id",
            expect::describe(&get),
        ));
    }
    if listed
        .iter()
        .any(|c| c.get("id").and_then(Value::as_str) == Some(gone.as_str()))
    {
        checks.add(Outcome::fail(
            "List still shows the deleted config",
            format!("List without config {gone}"),
            expect::show(&json!(listed)),
        ));
    }
    if after > before {
        checks.add(Outcome::fail(
            "deliveries went to a deleted config",
            "nothing delivered after the delete",
            format!("{} deliveries after the delete", after - before),
        ));
    }
    checks.finish(if control.is_ok() {
        "deleted twice, gone from Get and List, nothing delivered to it while the control got the cancel"
    } else {
        "delete permanent and idempotent (the control webhook got no terminal delivery, so the absence of deliveries is weakly shown)"
    })
}

/// PUSH-006: a config persists until the task completes.
pub(crate) const PUSH_006: Case = Case {
    id: "PUSH-006",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Push, Need::LocalWebhook, Need::TestAgent],
    title: "config on an INPUT_REQUIRED task, then a follow-up that completes it",
    requirement: "the config persists until the task completes",
    spec: "§3.1.7",
    exec: Exec::Run(crate::run_fn!(push_006)),
};
async fn push_006(ctx: Ctx) -> Judged {
    let hook = receiver(&ctx).await?;
    let g = driver::interrupted(&ctx, "input-required", "TASK_STATE_INPUT_REQUIRED")
        .await
        .map_err(driver::untested_without_task)?;
    let id = config_id(&create(&ctx, &g.id, &hook.url_for("/push-006"), json!({})).await?)?;
    driver::send_ok(
        &ctx.client(),
        "finish",
        json!({ "taskId": g.id }),
        json!({}),
    )
    .await?;
    let seen = hook
        .wait_for(
            |ds| on(ds, "/push-006").iter().any(terminal),
            ctx.deadline(Duration::from_secs(15)),
        )
        .await;
    g.disarm();
    let Err(ds) = seen else {
        return Ok(Outcome::pass(format!(
            "config {id} stayed active through the follow-up and got the terminal state"
        )));
    };
    // Nothing terminal arrived: a dropped config, or no terminal delivery ever (PUSH-009's).
    // A control task's inline webhook tells them apart.
    let (_, control) = deliveries(&ctx, &hook, "/push-006-control", json!({})).await?;
    if control.is_err() {
        return Err(Outcome::untested(
            "no terminal delivery arrived, and none to a control webhook on a plain task either, so whether the config persisted cannot be told (PUSH-009 judges delivery)",
            "a server that delivers the terminal state to the configured webhook",
        ));
    }
    Ok(Outcome::fail(
        "the config did not persist until completion",
        "a delivery of the terminal state to the config created while INPUT_REQUIRED",
        format!(
            "{} deliveries to it, none terminal, while a control webhook on a plain task got its terminal state",
            on(&ds, "/push-006").len()
        ),
    ))
}

/// PUSH-007: deliveries are POSTs of a StreamResponse.
pub(crate) const PUSH_007: Case = Case {
    id: "PUSH-007",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Push, Need::LocalWebhook],
    title: "SendMessage with an inline push config",
    requirement: "each delivery is an HTTP POST whose body is a StreamResponse (one member)",
    spec: "§4.3.3",
    exec: Exec::Run(crate::run_fn!(push_007)),
};
async fn push_007(ctx: Ctx) -> Judged {
    let hook = receiver(&ctx).await?;
    let (_, seen) = deliveries(&ctx, &hook, "/push-007", json!({})).await?;
    let ds = some(seen)?;
    let mut checks = Checks::new();
    bad_deliveries(
        &mut checks,
        &ds,
        |d| (d.method != "POST").then(|| format!("{} {}", d.method, d.path)),
        "a delivery is not a POST",
        "every delivery an HTTP POST",
    );
    bad_deliveries(
        &mut checks,
        &ds,
        |d| {
            d.json
                .as_ref()
                .and_then(driver::member)
                .is_none()
                .then(|| expect::clip(&String::from_utf8_lossy(&d.body), 400))
        },
        "a delivery body is not a StreamResponse",
        "a body holding exactly one of task/message/statusUpdate/artifactUpdate",
    );
    checks.finish(format!(
        "{} deliveries, each a POSTed StreamResponse",
        ds.len()
    ))
}

/// PUSH-008: authentication goes out as `Authorization: <scheme> <credentials>`.
pub(crate) const PUSH_008: Case = Case {
    id: "PUSH-008",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Push, Need::LocalWebhook],
    title: "inline push config with authentication {scheme: Bearer, credentials}",
    requirement: "deliveries carry `Authorization: <scheme> <credentials>`",
    spec: "§4.3.3, §13.2",
    exec: Exec::Run(crate::run_fn!(push_008)),
};
async fn push_008(ctx: Ctx) -> Judged {
    let hook = receiver(&ctx).await?;
    let cred = ctx.unique("cred");
    let (_, seen) = deliveries(
        &ctx,
        &hook,
        "/push-008",
        json!({ "authentication": { "scheme": "Bearer", "credentials": cred } }),
    )
    .await?;
    let ds = some(seen)?;
    let mut checks = Checks::new();
    bad_deliveries(
        &mut checks,
        &ds,
        |d| {
            let got = d.header("authorization").unwrap_or("");
            let ok = got
                .split_once(' ')
                .is_some_and(|(s, c)| s.eq_ignore_ascii_case("Bearer") && c == cred);
            (!ok).then(|| format!("Authorization: {got:?}"))
        },
        "a delivery lacks the configured credentials",
        &format!("Authorization: Bearer {cred}"),
    );
    checks.finish(format!(
        "{} deliveries with Authorization: Bearer <credentials>",
        ds.len()
    ))
}

/// PUSH-009: at least one delivery, and the terminal state arrives.
pub(crate) const PUSH_009: Case = Case {
    id: "PUSH-009",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Push, Need::LocalWebhook],
    title: "SendMessage with an inline push config",
    requirement: "at least one delivery; the terminal state eventually arrives",
    spec: "§4.3.3",
    exec: Exec::Run(crate::run_fn!(push_009)),
};
async fn push_009(ctx: Ctx) -> Judged {
    let hook = receiver(&ctx).await?;
    let (id, seen) = deliveries(&ctx, &hook, "/push-009", json!({})).await?;
    match seen {
        Ok(ds) => Ok(Outcome::pass(format!(
            "{} deliveries for task {id}, ending with the terminal state",
            ds.len()
        ))),
        Err(ds) => Ok(Outcome::fail(
            "the terminal state was never delivered",
            "a delivery announcing the task's terminal state",
            format!(
                "{} deliveries: {}",
                ds.len(),
                driver::summarize(&ds.iter().filter_map(|d| d.json.clone()).collect::<Vec<_>>())
            ),
        )),
    }
}

/// How long PUSH-011 waits for a retry after the failed delivery, before scaling. The spec
/// sets no retry schedule; a retry that takes longer than this is not seen.
const RETRY_WAIT: Duration = Duration::from_secs(5);

pub(crate) const PUSH_010: Case = Case {
    id: "PUSH-010",
    level: Level::Should,
    bindings: Bindings::Once,
    needs: &[],
    title: "(not automated) webhook request timeout",
    requirement: "a webhook request timeout of 10–30 s",
    spec: "§4.3.3",
    exec: Exec::Manual(
        "observing a 10–30 s client timeout needs a receiver that stalls for 30 s per attempt; review only (chaos scenarios exercise slow receivers)",
    ),
};

/// PUSH-011: a failed delivery is retried.
pub(crate) const PUSH_011: Case = Case {
    id: "PUSH-011",
    level: Level::Should,
    bindings: Bindings::Each,
    needs: &[Need::Push, Need::LocalWebhook],
    title: "the receiver answers the first delivery with 500",
    requirement: "the failed delivery is retried (with backoff)",
    spec: "§13.2",
    exec: Exec::Run(crate::run_fn!(push_011)),
};
async fn push_011(ctx: Ctx) -> Judged {
    let hook = WebhookReceiver::with_script(vec![Scripted::status(500)])
        .await
        .map_err(|e| Outcome::error(format!("cannot start the webhook receiver: {e}")))?;
    let cfg = json!({ "url": hook.url_for("/push-011") });
    let a = driver::send_text(
        &ctx,
        PLAIN,
        json!({}),
        json!({ "configuration": { "taskPushNotificationConfig": cfg } }),
    )
    .await?;
    driver::require_task(&registered(&a, "SendMessage with a push config")?)
        .map_err(driver::untested_without_task)?;
    // The script answers the first delivery with 500, whatever it carries.
    let Ok(first) = hook
        .wait_for(
            |ds| ds.iter().any(|d| d.answered >= 500),
            ctx.deadline(Duration::from_secs(15)),
        )
        .await
    else {
        return Err(Outcome::untested(
            "no delivery arrived, so no retry could be observed (PUSH-009 judges delivery)",
            "a server that delivers to the configured webhook",
        ));
    };
    let failed_at = first
        .iter()
        .find(|d| d.answered >= 500)
        .map_or_else(Instant::now, |d| d.at);
    let bound = ctx.deadline(RETRY_WAIT);
    let left = (failed_at + bound).saturating_duration_since(Instant::now());
    let retried = |ds: &[Delivery]| {
        ds.iter()
            .position(|d| d.answered >= 500)
            .is_some_and(|i| ds[i + 1..].iter().any(|d| d.body == ds[i].body))
    };
    match hook.wait_for(retried, left).await {
        Ok(ds) => {
            let failed = ds.iter().position(|d| d.answered >= 500).unwrap_or(0);
            let again = ds[failed + 1..]
                .iter()
                .find(|d| d.body == ds[failed].body)
                .map(|d| d.at.saturating_duration_since(ds[failed].at))
                .unwrap_or_default();
            Ok(Outcome::pass(format!(
                "the failed delivery was retried after {again:?}"
            )))
        }
        Err(ds) => Ok(Outcome::fail(
            "the delivery answered with 500 was not retried",
            "the same body delivered again after the 500 (retry with backoff)",
            format!(
                "no retry within {} s of the 500; the spec sets no retry schedule ({} deliveries, none repeating the failed one)",
                bound.as_secs_f64(),
                ds.len()
            ),
        )),
    }
}

/// PUSH-012: loopback webhook URLs are refused when the SSRF guard is on.
pub(crate) const PUSH_012: Case = Case {
    id: "PUSH-012",
    level: Level::Should,
    bindings: Bindings::Each,
    needs: &[Need::Push],
    title: "CreateTaskPushNotificationConfig with url http://127.0.0.1:9/…",
    requirement: "webhook URLs on loopback/private/link-local addresses are refused (SSRF guard)",
    spec: "§13.2",
    exec: Exec::Run(crate::run_fn!(push_012)),
};
async fn push_012(ctx: Ctx) -> Judged {
    let g = some_task(&ctx).await?;
    let a = call(
        &ctx,
        Method::CreateTaskPushNotificationConfig,
        json!({ "taskId": g.id, "url": "http://127.0.0.1:9/gauntlet-ssrf-probe" }),
    )
    .await?;
    // If it was accepted, remove it before the task ends so nothing is sent to it.
    if let Some(id) = a.ok().and_then(|c| c.get("id")).and_then(Value::as_str) {
        let _ = call(
            &ctx,
            Method::DeleteTaskPushNotificationConfig,
            json!({ "taskId": g.id, "id": id }),
        )
        .await;
    }
    g.cancel().await;
    match &a.reply {
        Reply::Err(e)
            if expect::error_matches(e, ErrorCode::TaskNotFound) || expect::error_matches(e, ErrorCode::PushNotificationNotSupported) =>
        {
            Ok(Outcome::error(format!(
                "inconclusive: the create failed for another reason ({})",
                expect::describe_error(e)
            )))
        }
        Reply::Err(e) => Ok(Outcome::pass(format!(
            "loopback webhook URL refused ({})",
            expect::describe_error(e)
        ))),
        Reply::Ok(_) if ctx.target().loopback => Ok(Outcome::info(
            "a loopback webhook URL was accepted; the target itself runs on loopback, where private webhooks are usually allowed on purpose (the suite's own receiver needs that). Run against a deployment with the SSRF guard on to judge",
        )),
        Reply::Ok(v) => Ok(Outcome::fail(
            "a loopback webhook URL was accepted",
            "a refusal of http://127.0.0.1/… (loopback, private and link-local targets)",
            expect::show(v),
        )),
        Reply::Garbled(_) => Ok(Outcome::error(format!(
            "unusable answer: {}",
            expect::describe(&a)
        ))),
    }
}

/// PUSH-013: deliveries use application/a2a+json.
pub(crate) const PUSH_013: Case = Case {
    id: "PUSH-013",
    level: Level::Should,
    bindings: Bindings::Each,
    needs: &[Need::Push, Need::LocalWebhook],
    title: "SendMessage with an inline push config",
    requirement: "deliveries use Content-Type: application/a2a+json",
    spec: "§4.3.3",
    exec: Exec::Run(crate::run_fn!(push_013)),
};
async fn push_013(ctx: Ctx) -> Judged {
    let hook = receiver(&ctx).await?;
    let (_, seen) = deliveries(&ctx, &hook, "/push-013", json!({})).await?;
    let ds = some(seen)?;
    let mut checks = Checks::new();
    bad_deliveries(
        &mut checks,
        &ds,
        |d| {
            let t = d
                .header("content-type")
                .unwrap_or("")
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            (t != "application/a2a+json").then(|| format!("Content-Type: {t:?}"))
        },
        "a delivery is not application/a2a+json",
        "Content-Type: application/a2a+json",
    );
    checks.finish(format!("{} deliveries, all application/a2a+json", ds.len()))
}

/// PUSH-014: how the token travels (information only).
pub(crate) const PUSH_014: Case = Case {
    id: "PUSH-014",
    level: Level::Sdk,
    bindings: Bindings::Each,
    needs: &[Need::Push, Need::LocalWebhook],
    title: "inline push config with a token",
    requirement: "the token is sent as X-A2A-Notification-Token (SDK convention)",
    spec: "0.3 / 1.0.0",
    exec: Exec::Run(crate::run_fn!(push_014)),
};
async fn push_014(ctx: Ctx) -> Judged {
    let hook = receiver(&ctx).await?;
    let token = ctx.unique("token");
    let (_, seen) = deliveries(&ctx, &hook, "/push-014", json!({ "token": token })).await?;
    let ds = some(seen)?;
    let d = &ds[0];
    if d.header("x-a2a-notification-token") == Some(token.as_str()) {
        return Ok(Outcome::pass("token sent as X-A2A-Notification-Token"));
    }
    let carrier = d
        .headers
        .iter()
        .find(|(_, v)| v.contains(token.as_str()))
        .map(|(n, _)| n.clone());
    Ok(Outcome::info(match carrier {
        Some(h) => format!("token sent in header {h} (not X-A2A-Notification-Token)"),
        None => "the token was not found in any delivery header".to_owned(),
    }))
}

/// The PUSH cases, in digest order.
pub(crate) const CASES: &[Case] = &[
    PUSH_001, PUSH_002, PUSH_003, PUSH_004, PUSH_005, PUSH_006, PUSH_007, PUSH_008, PUSH_009,
    PUSH_010, PUSH_011, PUSH_012, PUSH_013, PUSH_014,
];
