//! Cases for SEC (digest §9.10, SEC-001 to SEC-006): TLS, authentication and authorization of every
//! operation, and size and rate limits (§7, §13).

use serde_json::{json, Value};

use super::{anon, as_identity, auth_refused, send_params, tag, task_of_a};
use crate::case::{Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::cases::support;
use crate::client::{user_message, Answer, CallOpts, Reply, StreamAnswer};
use crate::context::Ctx;
use crate::expect;
use crate::spec::{ErrorCode, Method};

fn interface_urls(ctx: &Ctx) -> Vec<String> {
    support::card_interfaces(ctx)
        .filter_map(|i| i.get("url").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// SEC-001: TLS in production (informational against a test deployment).
pub(crate) const SEC_001: Case = Case {
    id: "SEC-001",
    level: Level::Must,
    bindings: Bindings::Once,
    needs: &[],
    title: "read the card's interface URLs",
    requirement: "HTTPS/TLS in production",
    spec: "§7.1",
    exec: Exec::Run(crate::run_fn!(sec_001)),
};
async fn sec_001(ctx: Ctx) -> Judged {
    let urls = interface_urls(&ctx);
    let plain: Vec<&String> = urls.iter().filter(|u| !u.starts_with("https://")).collect();
    if plain.is_empty() {
        return Ok(Outcome::pass("every interface URL is https"));
    }
    Ok(Outcome::info(format!(
        "plain-HTTP interface URLs (acceptable for a test deployment, not for production): {}",
        plain
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// SEC-002: every operation requires credentials.
pub(crate) const SEC_002: Case = Case {
    id: "SEC-002",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Auth],
    title: "every operation without credentials",
    requirement: "each is rejected per the declared schemes",
    spec: "§7.4",
    exec: Exec::Run(crate::run_fn!(sec_002)),
};
async fn sec_002(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let missing = ctx.unique("missing");
    let mut calls = vec![
        (Method::SendMessage, send_params(&ctx)),
        (Method::GetTask, json!({"id": missing})),
        (Method::ListTasks, json!({})),
        (Method::CancelTask, json!({"id": missing})),
    ];
    if ctx.target().push {
        calls.push((
            Method::ListTaskPushNotificationConfigs,
            json!({"taskId": missing}),
        ));
        calls.push((
            Method::CreateTaskPushNotificationConfig,
            json!({"taskId": missing, "url": ctx.inert_webhook_url()}),
        ));
    }
    if ctx.target().extended_card {
        calls.push((Method::GetExtendedAgentCard, json!({})));
    }
    let mut checks = Checks::new();
    let mut names = Vec::new();
    for (method, params) in calls {
        let name = method.jsonrpc_name();
        match client.call_with(method, params, anon()).await {
            Err(e) => checks.add(tag(name)(expect::probe(e))),
            Ok(a) if !auth_refused(&a) => checks.add(Outcome::fail(
                format!("unauthenticated {name} was not rejected"),
                "401 (or an authentication error) before any processing",
                expect::describe(&a),
            )),
            Ok(_) => names.push(name),
        }
    }
    if ctx.target().streaming {
        let what = "unauthenticated SendStreamingMessage";
        match client
            .stream_with(Method::SendStreamingMessage, send_params(&ctx), anon())
            .await
        {
            Err(e) => checks.add(tag(what)(expect::probe(e))),
            Ok(StreamAnswer::Refused(a)) if auth_refused(&a) => names.push("SendStreamingMessage"),
            Ok(StreamAnswer::Refused(a)) => checks.add(Outcome::fail(
                format!("{what} was not rejected"),
                "401 (or an authentication error)",
                expect::describe(&a),
            )),
            Ok(StreamAnswer::Open(r)) => checks.add(Outcome::fail(
                format!("{what} opened a stream"),
                "401 (or an authentication error)",
                format!("HTTP {} event stream", r.raw.status),
            )),
        }
    }
    checks.finish(format!(
        "unauthenticated calls rejected: {}",
        names.join(", ")
    ))
}

/// SEC-003: authorization on every operation.
pub(crate) const SEC_003: Case = Case {
    id: "SEC-003",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Auth, Need::TwoIdentities],
    title: "identity B on A's task: get, cancel, send, subscribe, push ops",
    requirement: "authorization is checked on every operation",
    spec: "§13.1",
    exec: Exec::Run(crate::run_fn!(sec_003)),
};
async fn sec_003(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let (task, b) = task_of_a(&ctx, &client).await?;
    let id = expect::id_of(&task).unwrap_or_default();
    let mut follow_up = user_message("echo from b");
    follow_up["taskId"] = json!(id);
    let mut calls = vec![
        (Method::GetTask, json!({"id": id})),
        (Method::CancelTask, json!({"id": id})),
        (Method::SendMessage, json!({"message": follow_up})),
    ];
    if ctx.target().push {
        calls.push((
            Method::ListTaskPushNotificationConfigs,
            json!({"taskId": id}),
        ));
        calls.push((
            Method::CreateTaskPushNotificationConfig,
            json!({"taskId": id, "url": ctx.inert_webhook_url()}),
        ));
    }
    let refused = |a: &Answer| {
        auth_refused(a)
            || a.err()
                .is_some_and(|e| expect::error_matches(e, ErrorCode::TaskNotFound))
    };
    let mut checks = Checks::new();
    let mut names = Vec::new();
    for (method, params) in calls {
        let name = method.jsonrpc_name();
        match client.call_with(method, params, as_identity(&b)).await {
            Err(e) => checks.add(tag(name)(expect::probe(e))),
            Ok(a) if !refused(&a) => checks.add(Outcome::fail(
                format!("identity B's {name} on A's task was not refused"),
                "TaskNotFound (preferred) or an authorization error",
                expect::describe(&a),
            )),
            Ok(_) => names.push(name),
        }
    }
    if ctx.target().streaming {
        let what = "identity B's SubscribeToTask on A's task";
        match client
            .stream_with(Method::SubscribeToTask, json!({"id": id}), as_identity(&b))
            .await
        {
            Err(e) => checks.add(tag(what)(expect::probe(e))),
            Ok(StreamAnswer::Refused(a))
                if !refused(&a)
                    && !a.err().is_some_and(|e| {
                        expect::error_matches(e, ErrorCode::UnsupportedOperation)
                    }) =>
            {
                checks.add(Outcome::fail(
                    format!("{what} was not refused"),
                    "TaskNotFound or an authorization error",
                    expect::describe(&a),
                ))
            }
            Ok(StreamAnswer::Refused(_)) => names.push("SubscribeToTask"),
            Ok(StreamAnswer::Open(mut r)) => {
                match r
                    .next(ctx.deadline(std::time::Duration::from_secs(5)))
                    .await
                {
                    Ok(Some(ev)) if matches!(ev.payload, Reply::Ok(_)) => {
                        checks.add(Outcome::fail(
                            "identity B subscribed to A's task",
                            "TaskNotFound or an authorization error",
                            expect::clip(&ev.sse.data, 300),
                        ))
                    }
                    _ => names.push("SubscribeToTask"),
                }
            }
        }
    }
    checks.finish(format!(
        "identity B refused on A's task: {}",
        names.join(", ")
    ))
}

/// SEC-004: HSTS and TLS versions.
pub(crate) const SEC_004: Case = Case {
    id: "SEC-004",
    level: Level::Should,
    bindings: Bindings::Once,
    needs: &[],
    title: "read the card's interface URLs for TLS",
    requirement: "HSTS; TLS 1.2 or later (ideally 1.3)",
    spec: "§13.4",
    exec: Exec::Run(crate::run_fn!(sec_004)),
};
async fn sec_004(ctx: Ctx) -> Judged {
    let https: Vec<String> = interface_urls(&ctx)
        .into_iter()
        .filter(|u| u.starts_with("https://"))
        .collect();
    if https.is_empty() {
        return Ok(Outcome::not_applicable(
            "no https interface is declared (plain-HTTP test deployment)",
        ));
    }
    Ok(Outcome::info(format!(
        "HSTS and the TLS version of {} are not inspected: the probe speaks plain HTTP only",
        https.join(", ")
    )))
}

/// SEC-005: size limits (SHOULD). An explicit refusal of the oversized request (413, -32600,
/// -32602) is the answer the row asks for; accepting it (no limit below 4 MiB) or answering
/// any other way falls short of the SHOULD, so it is NON-STRICT at most, never FAIL.
pub(crate) const SEC_005: Case = Case {
    id: "SEC-005",
    level: Level::Should,
    bindings: Bindings::Each,
    needs: &[],
    title: "SendMessage with a 4 MiB text part",
    requirement: "message size is limited: an oversized request is refused (413 / -32600 / -32602)",
    spec: "§13.4",
    exec: Exec::Run(crate::run_fn!(sec_005)),
};
async fn sec_005(ctx: Ctx) -> Judged {
    let big = "a".repeat(4 * 1024 * 1024);
    let params = json!({"message": user_message(&big)});
    let answer = match ctx
        .client()
        .call_with(
            Method::SendMessage,
            params,
            CallOpts {
                timeout: Some(ctx.deadline(std::time::Duration::from_secs(30))),
                ..CallOpts::default()
            },
        )
        .await
    {
        Ok(a) => a,
        Err(crate::errors::ProbeError::Http(e)) => {
            // A server that answers 413 early and closes may break the upload before its
            // answer is read: a limit is likely, but no refusal was seen.
            return Ok(Outcome::info(format!(
                "the connection was closed during the 4 MiB upload ({e}); a limit is likely, but no answer was read"
            )));
        }
        Err(e) => return Err(expect::probe(e)),
    };
    const LIMIT: &str = "the oversized request refused with 413, -32600 or -32602";
    if answer.raw.status == 413 {
        return Ok(Outcome::pass("4 MiB message refused with 413"));
    }
    match &answer.reply {
        Reply::Err(e)
            if expect::error_matches(e, ErrorCode::InvalidRequest)
                || expect::error_matches(e, ErrorCode::InvalidParams) =>
        {
            Ok(Outcome::pass(format!(
                "4 MiB message refused ({})",
                expect::describe_error(e)
            )))
        }
        Reply::Ok(_) => Ok(Outcome::non_strict(
            "a 4 MiB message was accepted: no size limit below that",
            LIMIT,
            format!("HTTP {}, a result", answer.raw.status),
        )),
        _ => Ok(Outcome::non_strict(
            "the oversized message was answered with neither a limit error nor a result",
            LIMIT,
            expect::describe(&answer),
        )),
    }
}

pub(crate) const SEC_006: Case = Case {
    id: "SEC-006",
    level: Level::Should,
    bindings: Bindings::Each,
    needs: &[],
    title: "a burst of requests",
    requirement: "rate limiting",
    spec: "§13.4",
    exec: Exec::Manual("rate limits are deployment policy with no defined signal (digest: NT)"),
};

/// The SEC cases, in digest order.
pub(crate) const CASES: &[Case] = &[SEC_001, SEC_002, SEC_003, SEC_004, SEC_005, SEC_006];
