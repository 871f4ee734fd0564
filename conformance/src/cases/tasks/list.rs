//! Cases for LIST (digest §9.7, LIST-001 to LIST-011): ListTasks paging, ordering and filters
//! (§3.1.4).

use std::collections::HashSet;

use serde_json::{json, Value};

use super::{tasks, PLAIN};
use crate::case::{Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::client::{CallOpts, Reply};
use crate::context::Ctx;
use crate::driver::{self, call, call_ok, history, untested_without_task};
use crate::expect::{self, Shape};
use crate::spec::{ErrorCode, Method};

/// `n` tasks in one server-assigned context ([`driver::tasks_in_context`]); a Message answer
/// leaves the row UNTESTED.
async fn in_context(ctx: &Ctx, n: usize) -> Result<(String, Vec<Value>), Outcome> {
    driver::tasks_in_context(ctx, n, PLAIN)
        .await
        .map_err(untested_without_task)
}

/// ListTasks that must succeed.
async fn list(ctx: &Ctx, params: Value) -> Result<Value, Outcome> {
    call_ok(ctx, Method::ListTasks, params, "ListTasks").await
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
pub(crate) const LIST_001: Case = Case {
    id: "LIST-001",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "ListTasks over 3 tasks with pageSize 2, and with pageSize 10",
    requirement: "nextPageToken is always present; \"\" on the last page",
    spec: "§3.1.4",
    exec: Exec::Run(crate::run_fn!(list_001)),
};
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
pub(crate) const LIST_002: Case = Case {
    id: "LIST-002",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "ListTasks on a populated and on an empty context",
    requirement: "`nextPageToken` always present (MUST); `tasks`, `pageSize` and `totalSize` SHOULD be present",
    spec: "§3.1.4, proto",
    exec: Exec::Run(crate::run_fn!(list_002)),
};
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
pub(crate) const LIST_003: Case = Case {
    id: "LIST-003",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "ListTasks on a context with 3 tasks created one after another",
    requirement: "sorted by status timestamp, newest first",
    spec: "§3.1.4",
    exec: Exec::Run(crate::run_fn!(list_003)),
};
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
pub(crate) const LIST_004: Case = Case {
    id: "LIST-004",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "walk ListTasks pages (pageSize 2) over 5 tasks",
    requirement: "every matching task exactly once",
    spec: "§3.1.4",
    exec: Exec::Run(crate::run_fn!(list_004)),
};
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
pub(crate) const LIST_005: Case = Case {
    id: "LIST-005",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "ListTasks without includeArtifacts and with includeArtifacts false",
    requirement: "no task carries an `artifacts` key",
    spec: "§3.1.4",
    exec: Exec::Run(crate::run_fn!(list_005)),
};
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
pub(crate) const LIST_006: Case = Case {
    id: "LIST-006",
    level: Level::Should,
    bindings: Bindings::Each,
    needs: &[],
    title: "ListTasks with includeArtifacts true",
    requirement: "the artifacts are included",
    spec: "§3.1.4",
    exec: Exec::Run(crate::run_fn!(list_006)),
};
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
pub(crate) const LIST_007: Case = Case {
    id: "LIST-007",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "ListTasks filtered by contextId, status and statusTimestampAfter",
    requirement: "each filter is applied (statusTimestampAfter inclusive)",
    spec: "proto",
    exec: Exec::Run(crate::run_fn!(list_007)),
};
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
pub(crate) const LIST_008: Case = Case {
    id: "LIST-008",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "ListTasks over 51 tasks without pageSize, with pageSize 1, then 101, 0 and -1",
    requirement: "never more than pageSize tasks, 50 by default (MUST); out of range SHOULD give InvalidParams (clamping is NON-STRICT)",
    spec: "proto, §6.5",
    exec: Exec::Run(crate::run_fn!(list_008)),
};
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
pub(crate) const LIST_009: Case = Case {
    id: "LIST-009",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "ListTasks with historyLength 0 and 1",
    requirement: "historyLength is applied to each task",
    spec: "proto",
    exec: Exec::Run(crate::run_fn!(list_009)),
};
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
pub(crate) const LIST_010: Case = Case {
    id: "LIST-010",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Auth, Need::TwoIdentities],
    title: "identity B lists tasks after identity A created one",
    requirement: "only tasks visible to the caller are listed, even with no filter",
    spec: "§3.1.4, §13.1",
    exec: Exec::Run(crate::run_fn!(list_010)),
};
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
pub(crate) const LIST_011: Case = Case {
    id: "LIST-011",
    level: Level::Should,
    bindings: Bindings::Each,
    needs: &[],
    title: "ListTasks with status TASK_STATE_BOGUS",
    requirement: "a validation error (-32602 / 400)",
    spec: "§6.5",
    exec: Exec::Run(crate::run_fn!(list_011)),
};
async fn list_011(ctx: Ctx) -> Judged {
    let a = call(
        &ctx,
        Method::ListTasks,
        json!({ "status": "TASK_STATE_BOGUS" }),
    )
    .await?;
    expect::refused_with(&a, ErrorCode::InvalidParams, "status TASK_STATE_BOGUS")
}

/// The LIST cases, in digest order.
pub(crate) const CASES: &[Case] = &[
    LIST_001, LIST_002, LIST_003, LIST_004, LIST_005, LIST_006, LIST_007, LIST_008, LIST_009,
    LIST_010, LIST_011,
];

#[cfg(test)]
mod tests {
    use std::time::Duration;

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
