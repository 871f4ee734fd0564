//! Helpers shared by the cases of more than one area: the requests that the JRPC and REST rows
//! both make (judged per binding by each), the card's interface list that VER and SEC read, and
//! [`tag`], which prefixes an outcome with what was probed.

use serde_json::{json, Value};

use crate::case::{Checks, Outcome};
use crate::client::{user_message, A2aClient, Answer, CallOpts};
use crate::context::Ctx;
use crate::expect;
use crate::spec::Method;

/// Prefixes an outcome's summary with what was probed (`what: summary`).
pub(super) fn tag(what: &str) -> impl Fn(Outcome) -> Outcome + '_ {
    move |o| Outcome {
        summary: format!("{what}: {}", o.summary),
        ..o
    }
}

/// The interfaces the card lists in `supportedInterfaces` (none when it lists none).
pub(super) fn card_interfaces(ctx: &Ctx) -> impl Iterator<Item = &Value> {
    ctx.target()
        .card
        .get("supportedInterfaces")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// A SendMessage of `echo` with a run-unique id made from `label`, whose request says
/// `Content-Type: ct`.
pub(super) async fn send_with_content_type(
    ctx: &Ctx,
    client: &A2aClient,
    label: &str,
    ct: &str,
) -> Result<Answer, Outcome> {
    let params = json!({"message": user_message(&format!("echo {}", ctx.unique(label)))});
    let opts = CallOpts {
        headers: vec![("Content-Type".into(), ct.into())],
        ..CallOpts::default()
    };
    client
        .call_with(Method::SendMessage, params, opts)
        .await
        .map_err(expect::probe)
}

/// GetTask of task `id` with `A2A-Version: version`.
pub(super) async fn get_task_with_version(
    client: &A2aClient,
    id: &str,
    version: &str,
) -> Result<Answer, Outcome> {
    let opts = CallOpts {
        version: Some(Some(version.into())),
        ..CallOpts::default()
    };
    client
        .call_with(Method::GetTask, json!({"id": id}), opts)
        .await
        .map_err(expect::probe)
}

/// CancelTask of task `id`.
pub(super) async fn cancel(client: &A2aClient, id: &str) -> Result<Answer, Outcome> {
    client
        .call(Method::CancelTask, json!({"id": id}))
        .await
        .map_err(expect::probe)
}

/// DeleteTaskPushNotificationConfig of config `config` of task `task`.
pub(super) async fn delete_push_config(
    client: &A2aClient,
    task: &str,
    config: &str,
) -> Result<Answer, Outcome> {
    client
        .call(
            Method::DeleteTaskPushNotificationConfig,
            json!({"taskId": task, "id": config}),
        )
        .await
        .map_err(expect::probe)
}

/// Judges the shape of a SendMessage result `sent` and, when it holds a task, of GetTask's
/// answer for that task, named `send` and `get` in the outcomes; each name whose shape holds
/// is pushed onto `checked`. Returns the task's id, if `sent` holds one.
pub(super) async fn send_and_get_shapes(
    client: &A2aClient,
    sent: &Value,
    [send, get]: [&'static str; 2],
    checks: &mut Checks,
    checked: &mut Vec<&'static str>,
) -> Result<Option<String>, Outcome> {
    if checks.check(expect::send_message_response_shape(sent).map_err(tag(send))) {
        checked.push(send);
    }
    let Some(id) = expect::task_of(sent).and_then(expect::id_of) else {
        return Ok(None);
    };
    let g = client
        .call(Method::GetTask, json!({"id": id}))
        .await
        .map_err(expect::probe)?;
    if checks.check(expect::ok(&g, get).and_then(expect::bare_task_shape)) {
        checked.push(get);
    }
    Ok(Some(id))
}
