//! Cases for CAP (digest §9.3, CAP-001 to CAP-004): capability gating: a capability the card does
//! not declare (streaming, push, the extended card) or a required extension not requested gives its
//! error (§3.3.4).

use std::time::Duration;

use serde_json::{json, Value};

use crate::case::{Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::client::{user_message, CallOpts, Reply};
use crate::context::Ctx;
use crate::driver;
use crate::expect;
use crate::spec::{ErrorCode, Method};

/// CAP-001: streaming off refuses both streaming methods.
pub(crate) const CAP_001: Case = Case {
    id: "CAP-001",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::NoStreaming],
    title: "SendStreamingMessage and SubscribeToTask while `streaming` is off",
    requirement: "UnsupportedOperationError (-32004 / 400)",
    spec: "§3.3.4",
    exec: Exec::Run(crate::run_fn!(cap_001)),
};
async fn cap_001(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let timeout = ctx.deadline(Duration::from_secs(5));
    let mut checks = Checks::new();
    let opened = client
        .stream_text(
            &format!("echo {}", ctx.unique("cap")),
            Value::Null,
            Value::Null,
        )
        .await
        .map_err(expect::probe)?;
    checks.check(
        expect::stream_error_is(opened, ErrorCode::UnsupportedOperation, timeout)
            .await
            .map_err(|o| Outcome {
                summary: format!("SendStreamingMessage: {}", o.summary),
                ..o
            }),
    );
    let (_, result) = driver::send_ok(&client, "echo cap-001", Value::Null, Value::Null).await?;
    let Some(id) = expect::task_of(&result).and_then(expect::id_of) else {
        checks.note("SubscribeToTask not tried: the agent answered with a Message");
        return checks.finish("SendStreamingMessage refused");
    };
    let sub = client
        .stream(Method::SubscribeToTask, json!({ "id": id }))
        .await
        .map_err(expect::probe)?;
    checks.check(
        expect::stream_error_is(sub, ErrorCode::UnsupportedOperation, timeout)
            .await
            .map_err(|o| Outcome {
                summary: format!("SubscribeToTask: {}", o.summary),
                ..o
            }),
    );
    checks.finish("SendStreamingMessage and SubscribeToTask refused with UnsupportedOperationError")
}

/// CAP-002: push off refuses every push-config operation.
pub(crate) const CAP_002: Case = Case {
    id: "CAP-002",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::NoPush],
    title: "Create/Get/List/Delete push config while `pushNotifications` is off",
    requirement: "PushNotificationNotSupportedError (-32003 / 400)",
    spec: "§3.3.4",
    exec: Exec::Run(crate::run_fn!(cap_002)),
};
async fn cap_002(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let (_, result) = driver::send_ok(&client, "echo cap-002", Value::Null, Value::Null).await?;
    let task = expect::task_of(&result)
        .and_then(expect::id_of)
        .unwrap_or_else(|| ctx.unique("cap-002-task"));
    let cfg = ctx.unique("cfg");
    let calls = [
        (
            Method::CreateTaskPushNotificationConfig,
            json!({"taskId": task, "url": ctx.inert_webhook_url()}),
        ),
        (
            Method::GetTaskPushNotificationConfig,
            json!({"taskId": task, "id": cfg}),
        ),
        (
            Method::ListTaskPushNotificationConfigs,
            json!({"taskId": task}),
        ),
        (
            Method::DeleteTaskPushNotificationConfig,
            json!({"taskId": task, "id": cfg}),
        ),
    ];
    let mut checks = Checks::new();
    for (method, params) in calls {
        let answer = client.call(method, params).await.map_err(expect::probe)?;
        checks.check(
            expect::error_is(&answer, ErrorCode::PushNotificationNotSupported).map_err(|o| {
                Outcome {
                    summary: format!("{}: {}", method.jsonrpc_name(), o.summary),
                    ..o
                }
            }),
        );
    }
    checks.finish("all four push-config operations refused with PushNotificationNotSupportedError")
}

/// CAP-003: extended card gating.
pub(crate) const CAP_003: Case = Case {
    id: "CAP-003",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "GetExtendedAgentCard",
    requirement: "capability off: UnsupportedOperationError; declared: the card or ExtendedAgentCardNotConfiguredError",
    spec: "§3.3.4, §13.3",
    exec: Exec::Run(crate::run_fn!(cap_003)),
};
async fn cap_003(ctx: Ctx) -> Judged {
    let answer = ctx
        .client()
        .call(Method::GetExtendedAgentCard, json!({}))
        .await
        .map_err(expect::probe)?;
    if !ctx.target().extended_card {
        expect::error_is(&answer, ErrorCode::UnsupportedOperation)?;
        return Ok(Outcome::pass(
            "extendedAgentCard off: UnsupportedOperationError",
        ));
    }
    match &answer.reply {
        Reply::Ok(card) => {
            expect::agent_card_shape(card)?;
            Ok(Outcome::pass("extendedAgentCard declared: the card is served"))
        }
        Reply::Err(e) if expect::error_matches(e, ErrorCode::ExtendedAgentCardNotConfigured) => {
            Ok(Outcome::pass(
                "extendedAgentCard declared but not configured: ExtendedAgentCardNotConfiguredError",
            ))
        }
        _ => Ok(Outcome::fail(
            "GetExtendedAgentCard neither served a card nor said it is not configured",
            "an AgentCard, or ExtendedAgentCardNotConfiguredError (-32007 / 400)",
            expect::describe(&answer),
        )),
    }
}

/// CAP-004: required extensions must be requested.
pub(crate) const CAP_004: Case = Case {
    id: "CAP-004",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::RequiredExtension],
    title: "SendMessage without the required extension in `A2A-Extensions`, then with it",
    requirement: "ExtensionSupportRequiredError (-32008 / 400) without it; accepted with it",
    spec: "§3.3.4, §4.6.3",
    exec: Exec::Run(crate::run_fn!(cap_004)),
};
async fn cap_004(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let required = ctx.target().required_extensions.join(",");
    let params = json!({"message": user_message(&format!("echo {}", ctx.unique("ext")))});
    let mut req = client.request(Method::SendMessage, &params, &CallOpts::default());
    req.headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("a2a-extensions"));
    let without = client.send_raw(req).await.map_err(expect::probe)?;
    let mut checks = Checks::new();
    checks.check(
        expect::error_is(&without, ErrorCode::ExtensionSupportRequired).map_err(|o| Outcome {
            summary: format!("without `A2A-Extensions`: {}", o.summary),
            ..o
        }),
    );
    let opts = CallOpts {
        headers: vec![("A2A-Extensions".into(), required.clone())],
        ..CallOpts::default()
    };
    let with = client
        .call_with(Method::SendMessage, params, opts)
        .await
        .map_err(expect::probe)?;
    if let Some(e) = with.err() {
        if expect::error_matches(e, ErrorCode::ExtensionSupportRequired) {
            checks.add(Outcome::fail(
                "the required extension was refused even when requested",
                format!("no ExtensionSupportRequiredError with `A2A-Extensions: {required}`"),
                expect::describe(&with),
            ));
        }
    }
    checks.finish(format!(
        "ExtensionSupportRequiredError without `{required}`, accepted with it"
    ))
}

/// The CAP cases, in digest order.
pub(crate) const CASES: &[Case] = &[CAP_001, CAP_002, CAP_003, CAP_004];
