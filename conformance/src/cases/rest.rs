//! Cases for REST: the HTTP+JSON binding (digest §9.5, §2).
//!
//! Routes are exercised through the client's own request builder, then adjusted (verb, body,
//! query, content type) so each request differs from a valid one in one respect only.

use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};

use crate::case::{Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::cases::support::{self, tag};
use crate::client::{user_message, Answer, CallOpts, ErrorMatch, Reply, StreamAnswer};
use crate::context::Ctx;
use crate::driver;
use crate::expect;
use crate::probe::RawRequest;
use crate::spec::{ErrorCode, Method};

/// The answer shows that a route matched: a result, an error with an ErrorInfo reason, or one
/// of the errors this route can give (`expected`) in a google.rpc.Status body. An A2A error
/// without ErrorInfo is accepted here when it fits one of them (REST-006 judges the missing
/// ErrorInfo); a framework's bare 404/405 is a router miss.
fn routed(answer: &Answer, what: &str, expected: &[ErrorCode]) -> Result<(), Outcome> {
    expect::a2a_answer(answer).map_err(tag(what))?;
    if let Reply::Err(e) = &answer.reply {
        // Only a google.rpc.Status body can be an A2A error; a framework's plain 404 is not.
        let status_body = e.raw.get("code").is_some() || e.raw.get("status").is_some();
        let fits = status_body && expected.iter().any(|c| e.matches(*c).accepted());
        if e.reason.is_none() && !fits {
            return Err(Outcome::fail(
                format!("{what}: not routed"),
                format!(
                    "a result, or an A2A error with an ErrorInfo (route matched): one of {}",
                    expected
                        .iter()
                        .map(|c| format!("{c:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                expect::describe(answer),
            ));
        }
    }
    Ok(())
}

/// REST-001: every route answers.
pub(crate) const REST_001: Case = Case {
    id: "REST-001",
    level: Level::Must,
    bindings: Bindings::Rest,
    needs: &[],
    title: "every route of digest §2.2 (no /v1), colon verbs included",
    requirement:
        "each route answers A2A (a result, or an error with ErrorInfo), never a bare router 404",
    spec: "§5.3, §11.3",
    exec: Exec::Run(crate::run_fn!(rest_001)),
};
async fn rest_001(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let (_, sent) = driver::send_ok(&client, "echo rest-001", Value::Null, Value::Null).await?;
    let mut checks = Checks::new();
    let mut routes = vec!["POST /message:send"];
    let missing = ctx.unique("missing");
    let nf = client
        .call(Method::GetTask, json!({"id": missing}))
        .await
        .map_err(expect::probe)?;
    if checks
        .check(expect::error_is(&nf, ErrorCode::TaskNotFound).map_err(tag("GET /tasks/{unknown}")))
    {
        routes.push("GET /tasks/{id}");
    }
    let list = client
        .call(Method::ListTasks, json!({}))
        .await
        .map_err(expect::probe)?;
    if checks.check(expect::ok(&list, "GET /tasks")) {
        routes.push("GET /tasks");
    }
    let task = expect::task_of(&sent)
        .and_then(expect::id_of)
        .unwrap_or(missing.clone());
    let cfg = ctx.unique("cfg");
    use ErrorCode::*;
    let push: &[ErrorCode] = &[PushNotificationNotSupported, TaskNotFound, InvalidParams];
    let calls = [
        (
            Method::CancelTask,
            json!({"id": task}),
            "POST /tasks/{id}:cancel",
            &[TaskNotCancelable, TaskNotFound][..],
        ),
        (
            Method::GetExtendedAgentCard,
            json!({}),
            "GET /extendedAgentCard",
            &[UnsupportedOperation, ExtendedAgentCardNotConfigured][..],
        ),
        (
            Method::CreateTaskPushNotificationConfig,
            json!({"taskId": task, "url": ctx.inert_webhook_url()}),
            "POST /tasks/{id}/pushNotificationConfigs",
            push,
        ),
        (
            Method::ListTaskPushNotificationConfigs,
            json!({"taskId": task}),
            "GET /tasks/{id}/pushNotificationConfigs",
            push,
        ),
        (
            Method::GetTaskPushNotificationConfig,
            json!({"taskId": task, "id": cfg}),
            "GET /tasks/{id}/pushNotificationConfigs/{cfg}",
            push,
        ),
        (
            Method::DeleteTaskPushNotificationConfig,
            json!({"taskId": task, "id": cfg}),
            "DELETE /tasks/{id}/pushNotificationConfigs/{cfg}",
            push,
        ),
    ];
    for (method, params, what, expected) in calls {
        let a = client.call(method, params).await.map_err(expect::probe)?;
        if checks.check(routed(&a, what, expected)) {
            routes.push(what);
        }
    }
    if ctx.target().streaming {
        let s = client
            .stream_text("echo rest-001", Value::Null, Value::Null)
            .await
            .map_err(expect::probe)?;
        match &s {
            StreamAnswer::Refused(a) => checks.add(Outcome::fail(
                "POST /message:stream refused while streaming is declared",
                "200 text/event-stream",
                expect::describe(a),
            )),
            StreamAnswer::Open(_) => routes.push("POST /message:stream"),
        }
    }
    checks.finish(format!("{} routes answered", routes.len()))
}

/// REST-002: tenant prefix.
pub(crate) const REST_002: Case = Case {
    id: "REST-002",
    level: Level::Should,
    bindings: Bindings::Rest,
    needs: &[],
    title: "SendMessage, then GetTask of the new task, both under the card's `/{tenant}` prefix",
    requirement: "tenant-prefixed routes work: the task created under the prefix reads back under it (routing only: the digest makes `tenant` an opaque routing string, so whether other tenants can read the task is not judged)",
    spec: "proto http",
    exec: Exec::Run(crate::run_fn!(rest_002)),
};
async fn rest_002(ctx: Ctx) -> Judged {
    let Some(tenant) = ctx.target().rest_tenant.clone() else {
        return Ok(Outcome::not_applicable(
            "the HTTP+JSON interface declares no tenant",
        ));
    };
    let client = ctx.client();
    let (_, sent) = driver::send_ok(&client, "echo rest-002", Value::Null, Value::Null).await?;
    let Some(id) = expect::task_of(&sent).and_then(expect::id_of) else {
        return Ok(Outcome::pass(format!(
            "SendMessage under `/{tenant}` works (the agent answered with a Message, so there was no task to read back)"
        )));
    };
    let g = client
        .call(Method::GetTask, json!({"id": id}))
        .await
        .map_err(expect::probe)?;
    expect::ok(&g, "GetTask under the tenant prefix")?;
    Ok(Outcome::pass(format!(
        "SendMessage and GetTask of task {id} under `/{tenant}` work"
    )))
}

/// The content type of one REST response (success or error): `application/a2a+json` SHOULD be
/// used (§11.1); `application/json` is the pre-1.0.1 type; anything else is not an A2A body.
fn judge_content_type(checks: &mut Checks, raw: &crate::probe::RawResponse, what: &str) {
    match raw.media_type().as_deref() {
        Some("application/a2a+json") => {}
        Some("application/json") => checks.add(Outcome::fail(
            format!("{what}: the response uses application/json"),
            "Content-Type: application/a2a+json (SHOULD since 1.0.1)",
            "application/json",
        )),
        other => checks.add(Outcome::fail(
            format!("{what}: the response is not labelled as A2A JSON"),
            "Content-Type: application/a2a+json (SHOULD; application/json before 1.0.1)",
            format!(
                "HTTP {} with {}",
                raw.status,
                other.unwrap_or("no Content-Type")
            ),
        )),
    }
}

/// REST-003: content types of requests, successes and errors.
pub(crate) const REST_003: Case = Case {
    id: "REST-003",
    level: Level::Should,
    bindings: Bindings::Rest,
    needs: &[],
    title: "message:send with `application/a2a+json` and with `application/json`; an unknown task and malformed JSON",
    requirement: "both accepted; responses, errors included, use application/a2a+json",
    spec: "§11.1",
    exec: Exec::Run(crate::run_fn!(rest_003)),
};
async fn rest_003(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let mut checks = Checks::new();
    for ct in ["application/a2a+json", "application/json"] {
        let a = support::send_with_content_type(&ctx, &client, "ct", ct).await?;
        let what = format!("message:send with `Content-Type: {ct}`");
        if checks.check(expect::ok(&a, &what)) {
            judge_content_type(&mut checks, &a.raw, &what);
        }
    }
    // Error bodies are responses too.
    let nf = client
        .call(Method::GetTask, json!({"id": ctx.unique("missing")}))
        .await
        .map_err(expect::probe)?;
    let bad = malformed_json(&ctx, &client).await?;
    let mut errors = 0;
    for (what, raw) in [("GET /tasks/{unknown}", &nf.raw), ("malformed JSON", &bad)] {
        if raw.status >= 400 {
            errors += 1;
            judge_content_type(&mut checks, raw, &format!("{what} (error)"));
        }
    }
    checks.finish(format!(
        "a2a+json and json requests accepted; successes and {errors} error responses are application/a2a+json"
    ))
}

/// REST-004: query parameters.
pub(crate) const REST_004: Case = Case {
    id: "REST-004",
    level: Level::Must,
    bindings: Bindings::Rest,
    needs: &[],
    title:
        "GET /tasks with every query parameter (camelCase, enum name, bool, URL-encoded timestamp)",
    requirement: "query parameters are read and applied",
    spec: "§11.5",
    exec: Exec::Run(crate::run_fn!(rest_004)),
};
async fn rest_004(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let task = driver::finished_task(&client, &ctx.unique("rest-004")).await;
    let (context, state) = match &task {
        Ok(t) => (
            t.get("contextId")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            expect::state_of(t).unwrap_or("").to_owned(),
        ),
        Err(_) => (String::new(), "TASK_STATE_COMPLETED".to_owned()),
    };
    let mut req = client.request(Method::ListTasks, &json!({}), &CallOpts::default());
    let base = req.url.split('?').next().unwrap_or_default().to_owned();
    let mut query = format!(
        "status={state}&pageSize=10&historyLength=0&includeArtifacts=true&statusTimestampAfter=2000-01-01T00%3A00%3A00.000Z"
    );
    if !context.is_empty() {
        query = format!("contextId={}&{query}", encode(&context));
    }
    req.url = format!("{base}?{query}");
    let a = client.send_raw(req).await.map_err(expect::probe)?;
    let list = expect::ok(&a, "GET /tasks with query parameters")?;
    let tasks = list
        .get("tasks")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut checks = Checks::new();
    let unfiltered: Vec<&Value> = tasks
        .iter()
        .filter(|t| {
            let wrong_ctx = !context.is_empty()
                && t.get("contextId").and_then(Value::as_str) != Some(context.as_str());
            wrong_ctx || expect::state_of(t) != Some(state.as_str())
        })
        .collect();
    if let Some(t) = unfiltered.first() {
        checks.add(Outcome::fail(
            format!(
                "query filters were not applied ({} of {} tasks do not match)",
                unfiltered.len(),
                tasks.len()
            ),
            format!("only tasks with contextId {context} and state {state}"),
            expect::show(t),
        ));
    }
    let with_history = tasks.iter().find(|t| {
        t.get("history")
            .is_some_and(|h| h.as_array().is_some_and(|a| !a.is_empty()))
    });
    if let Some(t) = with_history {
        checks.add(Outcome::fail(
            "`historyLength=0` was not applied",
            "no history entries",
            expect::show(t),
        ));
    }
    if let Ok(t) = &task {
        let id = expect::id_of(t).unwrap_or_default();
        if !tasks
            .iter()
            .any(|x| expect::id_of(x).as_deref() == Some(id.as_str()))
        {
            checks.add(Outcome::fail(
                "the matching task was not listed",
                format!("task {id} in the filtered list"),
                expect::show(list),
            ));
        }
        let mut get = client.request(Method::GetTask, &json!({"id": id}), &CallOpts::default());
        let base = get.url.split('?').next().unwrap_or_default().to_owned();
        get.url = format!("{base}?historyLength=0");
        let g = client.send_raw(get).await.map_err(expect::probe)?;
        checks.check(expect::ok(&g, "GET /tasks/{id}?historyLength=0"));
    }
    checks.finish(format!(
        "query parameters read and applied ({} tasks matched)",
        tasks.len()
    ))
}

/// RFC 3986 percent-encoding of a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// REST-005: the google.rpc.Status error body, judged on requests every conformant server
/// refuses. One that is served instead is the deviation of the row named with it, not this
/// row's.
pub(crate) const REST_005: Case = Case {
    id: "REST-005",
    level: Level::Must,
    bindings: Bindings::Rest,
    needs: &[],
    title: "unknown task (get and cancel), malformed JSON, version 9.9",
    requirement: "`{\"error\":{code,status,message,details?}}` with error.code = HTTP status",
    spec: "§11.6",
    exec: Exec::Run(crate::run_fn!(rest_005)),
};
async fn rest_005(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let missing = ctx.unique("missing");
    let mut answers = Vec::new();
    let nf = client
        .call(Method::GetTask, json!({"id": missing}))
        .await
        .map_err(expect::probe)?;
    answers.push(("GET of an unknown task", "TASK-002", nf.raw));
    let cancel = client
        .call(Method::CancelTask, json!({"id": missing}))
        .await
        .map_err(expect::probe)?;
    answers.push(("cancel of an unknown task", "CANCEL-003", cancel.raw));
    let bad = malformed_json(&ctx, &client).await?;
    answers.push(("malformed JSON", "no other row", bad));
    let opts = CallOpts {
        version: Some(Some("9.9".into())),
        ..CallOpts::default()
    };
    let v = client
        .call_with(
            Method::SendMessage,
            json!({"message": user_message("x")}),
            opts,
        )
        .await
        .map_err(expect::probe)?;
    answers.push(("version 9.9", "VER-002", v.raw));
    let mut checks = Checks::new();
    let mut judged = 0;
    for (what, owner, raw) in &answers {
        if raw.status < 400 {
            checks.note(format!(
                "{what} was served with HTTP {} ({owner} judges that)",
                raw.status
            ));
            continue;
        }
        judged += 1;
        checks.check(expect::rest_error_body(raw).map_err(tag(what)));
    }
    if judged == 0 {
        return Err(Outcome::untested(
            "every request meant to provoke an error was served, so no error body could be judged",
            "a server that refuses unknown tasks, malformed JSON and unsupported versions",
        ));
    }
    checks.finish(format!(
        "{judged} error bodies are google.rpc.Status with error.code = HTTP status"
    ))
}

/// One REST-006 probe: an answer meant to be the A2A error `code`. Served answers and other
/// errors are `owner`'s to judge; this row judges the ErrorInfo and the HTTP status of the
/// error the server meant.
fn a2a_error(checks: &mut Checks, a: &Answer, code: ErrorCode, what: &str, owner: &str) -> bool {
    let Some(e) = a.err() else {
        checks.note(format!("{what}: not refused ({owner} judges that)"));
        return false;
    };
    match e.matches(code) {
        ErrorMatch::Other => {
            checks.note(format!(
                "{what}: {} instead of {code:?} ({owner} judges that)",
                expect::describe_error(e)
            ));
            false
        }
        ErrorMatch::Legacy => checks.check(expect::error_is(a, code).map_err(tag(what))),
        ErrorMatch::Exact | ErrorMatch::Unidentified => {
            let info = checks.check(expect::error_info_present(e, code).map_err(tag(what)));
            let status_ok = e.http_status == code.http_status();
            if !status_ok {
                checks.add(Outcome::fail(
                    format!("{what}: {code:?} with the wrong HTTP status"),
                    format!("HTTP {} (digest §7)", code.http_status()),
                    expect::describe_error(e),
                ));
            }
            info && status_ok
        }
    }
}

/// REST-006: ErrorInfo and the 1.0.1 status table.
pub(crate) const REST_006: Case = Case {
    id: "REST-006",
    level: Level::Must,
    bindings: Bindings::Rest,
    needs: &[],
    title: "unknown task, version 9.9, cancel of a finished task, message to a finished task",
    requirement: "ErrorInfo (reason, domain) in details; HTTP status per the 1.0.1 table",
    spec: "§11.6, §5.4",
    exec: Exec::Run(crate::run_fn!(rest_006)),
};
async fn rest_006(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let mut checks = Checks::new();
    let mut checked = Vec::new();
    let nf = client
        .call(Method::GetTask, json!({"id": ctx.unique("missing")}))
        .await
        .map_err(expect::probe)?;
    if a2a_error(
        &mut checks,
        &nf,
        ErrorCode::TaskNotFound,
        "unknown task",
        "TASK-002",
    ) {
        checked.push("TASK_NOT_FOUND 404");
    }
    let v = support::get_task_with_version(&client, &ctx.unique("missing"), "9.9").await?;
    if a2a_error(
        &mut checks,
        &v,
        ErrorCode::VersionNotSupported,
        "version 9.9",
        "VER-002",
    ) {
        checked.push("VERSION_NOT_SUPPORTED 400");
    }
    if let Ok(task) = driver::finished_task(&client, &ctx.unique("rest-006")).await {
        let id = expect::id_of(&task).unwrap_or_default();
        if expect::state_of(&task) != Some("TASK_STATE_CANCELED") {
            let c = support::cancel(&client, &id).await?;
            if a2a_error(
                &mut checks,
                &c,
                ErrorCode::TaskNotCancelable,
                "cancel of a finished task",
                "CANCEL-002",
            ) {
                checked.push("TASK_NOT_CANCELABLE 400");
            }
        }
        let mut extra = json!({"taskId": id});
        if let Some(c) = task.get("contextId") {
            extra["contextId"] = c.clone();
        }
        let s = client
            .send_text("echo again", extra, Value::Null)
            .await
            .map_err(expect::probe)?;
        if a2a_error(
            &mut checks,
            &s,
            ErrorCode::UnsupportedOperation,
            "message to a finished task",
            "SEND-007",
        ) {
            checked.push("UNSUPPORTED_OPERATION 400");
        }
    }
    if checked.is_empty() && !checks.failed() {
        return Err(Outcome::untested(
            "none of the A2A errors this row provokes came back, so no ErrorInfo could be judged",
            "a server that answers unknown tasks and unsupported versions with their A2A errors",
        ));
    }
    checks.finish(format!(
        "ErrorInfo and 1.0.1 statuses: {}",
        checked.join(", ")
    ))
}

/// REST-007: success bodies.
pub(crate) const REST_007: Case = Case {
    id: "REST-007",
    level: Level::Must,
    bindings: Bindings::Rest,
    needs: &[],
    title: "message:send, GET /tasks/{id}, POST /tasks/{id}:cancel",
    requirement: "{task}/{message} for send; a bare Task for get and cancel",
    spec: "§11.4, proto",
    exec: Exec::Run(crate::run_fn!(rest_007)),
};
async fn rest_007(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let (_, sent) = driver::send_ok(&client, "echo rest-007", Value::Null, Value::Null).await?;
    let mut checks = Checks::new();
    let mut checked = Vec::new();
    let shapes = ["message:send", "GET /tasks/{id}"];
    support::send_and_get_shapes(&client, &sent, shapes, &mut checks, &mut checked).await?;
    if ctx.target().test_agent {
        let id = driver::hanging_task(&client).await?;
        let c = client
            .call(Method::CancelTask, json!({"id": id}))
            .await
            .map_err(expect::probe)?;
        if checks
            .check(expect::ok(&c, ":cancel of a working task").and_then(expect::bare_task_shape))
        {
            checked.push(":cancel");
        }
    }
    checks.finish(format!("ProtoJSON response bodies: {}", checked.join(", ")))
}

/// Opens a subscription with `verb` and says whether the route answered correctly: an event
/// stream for a live task, UnsupportedOperation for a finished one.
async fn subscribe(ctx: &Ctx, id: &str, verb: &str, live: bool) -> Result<(), Outcome> {
    let client = ctx.client();
    let mut req: RawRequest = client.request(
        Method::SubscribeToTask,
        &json!({"id": id}),
        &CallOpts::default(),
    );
    req.method = verb.to_owned();
    if verb == "GET" {
        req.body = Bytes::new();
        req.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
    }
    let what = format!("{verb} /tasks/{{id}}:subscribe");
    let mut stream = ctx.probe().open_stream(req).await.map_err(expect::probe)?;
    let is_sse = stream
        .header("content-type")
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("text/event-stream"));
    if live {
        if stream.status == 200 && is_sse {
            let first = stream
                .next_event(ctx.deadline(Duration::from_secs(5)))
                .await;
            return match first {
                Ok(Some(ev)) if ev.data.contains("\"task\"") => Ok(()),
                other => Err(Outcome::fail(
                    format!("{what}: the first event is not the Task"),
                    "a first event {\"task\":…}",
                    format!("{other:?}").chars().take(300).collect::<String>(),
                )),
            };
        }
        let raw = stream
            .into_response(ctx.deadline(Duration::from_secs(5)))
            .await
            .map_err(expect::probe)?;
        return Err(Outcome::fail(
            format!("{what} did not open a stream"),
            "200 text/event-stream",
            format!(
                "HTTP {}: {}",
                raw.status,
                expect::clip(&String::from_utf8_lossy(&raw.body), 200)
            ),
        ));
    }
    // A finished task: UnsupportedOperation, before the stream or as its first event.
    if stream.status == 200 && is_sse {
        let first = stream
            .next_event(ctx.deadline(Duration::from_secs(5)))
            .await;
        return match first {
            Ok(Some(ev)) if ev.data.contains("UNSUPPORTED_OPERATION") => Ok(()),
            other => Err(Outcome::fail(
                format!("{what} on a finished task"),
                "UnsupportedOperationError",
                format!("{other:?}").chars().take(300).collect::<String>(),
            )),
        };
    }
    let raw = stream
        .into_response(ctx.deadline(Duration::from_secs(5)))
        .await
        .map_err(expect::probe)?;
    let reason = raw
        .json
        .as_ref()
        .and_then(|j| j.get("error"))
        .and_then(expect::error_info)
        .and_then(|i| i.get("reason"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    if reason.as_deref() == Some(ErrorCode::UnsupportedOperation.reason()) {
        Ok(())
    } else {
        Err(Outcome::fail(
            format!("{what} on a finished task"),
            "UnsupportedOperationError (400 UNSUPPORTED_OPERATION)",
            format!(
                "HTTP {}: {}",
                raw.status,
                expect::clip(&String::from_utf8_lossy(&raw.body), 200)
            ),
        ))
    }
}

/// REST-008: subscribe by POST (MUST) and GET (SHOULD).
pub(crate) const REST_008: Case = Case {
    id: "REST-008",
    level: Level::Must,
    bindings: Bindings::Rest,
    needs: &[Need::Streaming],
    title: "POST /tasks/{id}:subscribe, then GET",
    requirement: "POST works (MUST); GET works too (SHOULD)",
    spec: "§11.3 / proto",
    exec: Exec::Run(crate::run_fn!(rest_008)),
};
async fn rest_008(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let (id, live) = if ctx.target().test_agent {
        (driver::hanging_task(&client).await?, true)
    } else {
        let t = driver::finished_task(&client, &ctx.unique("rest-008")).await?;
        (expect::id_of(&t).unwrap_or_default(), false)
    };
    let post = subscribe(&ctx, &id, "POST", live).await;
    let get = subscribe(&ctx, &id, "GET", live).await;
    if live {
        let _ = client.call(Method::CancelTask, json!({"id": id})).await;
    }
    let kind = if live { "live" } else { "finished" };
    let mut checks = Checks::new();
    checks.check(post);
    if let Err(o) = get {
        checks.add(Outcome::non_strict(
            format!("GET /tasks/{{id}}:subscribe (SHOULD): {}", o.summary),
            o.expected.unwrap_or_default(),
            o.observed.unwrap_or_default(),
        ));
    }
    checks.finish(format!(":subscribe works with POST and GET ({kind} task)"))
}

/// REST-009: bodiless and `{}` cancel.
pub(crate) const REST_009: Case = Case {
    id: "REST-009",
    level: Level::Should,
    bindings: Bindings::Rest,
    needs: &[],
    title: "POST /tasks/{id}:cancel with an empty body and with `{}`",
    requirement: "both are accepted alike",
    spec: "proto body:\"*\"",
    exec: Exec::Run(crate::run_fn!(rest_009)),
};
async fn rest_009(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let mut checks = Checks::new();
    let mut kinds = Vec::new();
    for body in [&b""[..], &b"{}"[..]] {
        let id = if ctx.target().test_agent {
            driver::hanging_task(&client).await?
        } else {
            let t = driver::finished_task(&client, &ctx.unique("rest-009")).await?;
            expect::id_of(&t).unwrap_or_default()
        };
        let mut req = client.request(Method::CancelTask, &json!({"id": id}), &CallOpts::default());
        req.body = Bytes::copy_from_slice(body);
        let a = client.send_raw(req).await.map_err(expect::probe)?;
        if let Some(e) = a.err() {
            if expect::error_matches(e, ErrorCode::InvalidParams)
                || expect::error_matches(e, ErrorCode::ParseError)
            {
                checks.add(Outcome::fail(
                    format!(
                        "cancel with body `{}` was refused as invalid",
                        String::from_utf8_lossy(body)
                    ),
                    "an empty body and `{}` both accepted",
                    expect::describe(&a),
                ));
            }
        }
        kinds.push(expect::AnswerKind::of(&a));
    }
    if !kinds[0].agrees_with(&kinds[1]) {
        checks.add(Outcome::fail(
            "empty and `{}` cancel bodies answered differently",
            "the same outcome for both",
            format!("empty: {}; {{}}: {}", kinds[0], kinds[1]),
        ));
    }
    checks.finish(format!(
        "empty and `{{}}` cancel bodies both answered {}",
        kinds[0]
    ))
}

/// REST-010: push-config statuses.
pub(crate) const REST_010: Case = Case {
    id: "REST-010",
    level: Level::Sdk,
    bindings: Bindings::Rest,
    needs: &[Need::Push],
    title: "create and delete a push config",
    requirement: "create answers 200 or 201; delete 200 or 204",
    spec: "none (SDK)",
    exec: Exec::Run(crate::run_fn!(rest_010)),
};
async fn rest_010(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let driver::TaskWithConfig {
        task,
        config: cfg,
        created: c,
    } = driver::task_with_push_config(&ctx, "rest-010").await?;
    let mut checks = Checks::new();
    if !matches!(c.raw.status, 200 | 201) {
        checks.add(Outcome::fail(
            "create answered an unexpected status",
            "200 or 201",
            format!("HTTP {}", c.raw.status),
        ));
    }
    let d = support::delete_push_config(&client, &task, &cfg).await?;
    if !matches!(d.raw.status, 200 | 204) {
        checks.add(Outcome::fail(
            "delete answered an unexpected status",
            "200 or 204",
            format!("HTTP {}", d.raw.status),
        ));
    }
    checks.finish(format!(
        "create {} and delete {}",
        c.raw.status, d.raw.status
    ))
}

/// A `message:send` whose body is cut off mid-JSON: every server must refuse it.
async fn malformed_json(
    ctx: &Ctx,
    client: &crate::client::A2aClient,
) -> Result<crate::probe::RawResponse, Outcome> {
    let mut bad = client.request(
        Method::SendMessage,
        &json!({"message": user_message("x")}),
        &CallOpts::default(),
    );
    bad.body = Bytes::from_static(b"{\"message\":");
    ctx.probe().send(bad).await.map_err(expect::probe)
}

/// The REST cases, in digest order.
pub(crate) const CASES: &[Case] = &[
    REST_001, REST_002, REST_003, REST_004, REST_005, REST_006, REST_007, REST_008, REST_009,
    REST_010,
];
