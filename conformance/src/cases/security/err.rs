//! Cases for ERR (digest §9.10, ERR-001 to ERR-008): the error model: codes and details, the same
//! error on every binding, authentication and authorization errors (§3.3.2).

use serde_json::{json, Value};

use super::{
    anon, as_identity, auth_refused, send_params, tag, task_of_a, unauthenticated_callers,
};
use crate::case::{Binding, Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::client::{user_message, Answer, CallOpts, WireError};
use crate::context::Ctx;
use crate::driver;
use crate::expect;
use crate::spec::{ErrorCode, Method};

/// One request every conformant server refuses, its answer, and the row that judges a server
/// that serves it instead (this module judges only the errors that come back).
struct Provoked {
    what: &'static str,
    owner: &'static str,
    /// The answer, or the probe failure (ERROR) that left this request unjudged.
    answer: Result<Answer, Outcome>,
}

/// Error answers of several kinds on this binding, each from a request that every conformant
/// server must refuse whatever its leniencies: an unknown task, malformed JSON, a wrongly typed
/// field, an unsupported version.
async fn provoke(ctx: &Ctx) -> Vec<Provoked> {
    let client = ctx.client();
    let nf = client
        .call(Method::GetTask, json!({"id": ctx.unique("missing")}))
        .await
        .map_err(expect::probe);
    let mut cut = client.request(
        Method::SendMessage,
        &json!({"message": user_message("x")}),
        &CallOpts::default(),
    );
    cut.body = bytes::Bytes::from_static(b"{\"message\":");
    let malformed = client.send_raw(cut).await.map_err(expect::probe);
    let typed = client
        .call(Method::SendMessage, wrongly_typed_parts(ctx))
        .await
        .map_err(expect::probe);
    let opts = CallOpts {
        version: Some(Some("9.9".into())),
        ..CallOpts::default()
    };
    let version = client
        .call_with(Method::GetTask, json!({"id": ctx.unique("missing")}), opts)
        .await
        .map_err(expect::probe);
    let malformed_owner = match ctx.binding() {
        Binding::JsonRpc => "JRPC-005",
        Binding::Rest => "REST-005",
    };
    vec![
        Provoked {
            what: "GetTask of an unknown id",
            owner: "TASK-002",
            answer: nf,
        },
        Provoked {
            what: "malformed JSON",
            owner: malformed_owner,
            answer: malformed,
        },
        Provoked {
            what: "`parts` a string",
            owner: "DATA-008",
            answer: typed,
        },
        Provoked {
            what: "version 9.9",
            owner: "VER-002",
            answer: version,
        },
    ]
}

/// SendMessage params whose `message.parts` is a string, not a list: no ProtoJSON parser
/// reads it, so every server refuses it.
fn wrongly_typed_parts(ctx: &Ctx) -> Value {
    json!({"message": {
        "role": "ROLE_USER",
        "messageId": ctx.unique("msg"),
        "parts": "not a list",
    }})
}

/// UNTESTED when every provoking request was served.
fn untested_no_errors() -> Outcome {
    Outcome::untested(
        "every request meant to provoke an error was served, so no error could be judged",
        "a server that refuses unknown tasks, malformed JSON, wrongly typed fields and unsupported versions (TASK-002, JRPC-005/REST-005, DATA-008, VER-002)",
    )
}

/// Judges each provoked error with `judge`; a served request is noted for the row that owns it.
fn judge_errors(
    provoked: &[Provoked],
    judge: impl Fn(&WireError) -> Result<(), Outcome>,
) -> Result<(Checks, usize), Outcome> {
    let mut checks = Checks::new();
    let mut judged = 0;
    for p in provoked {
        match p.answer.as_ref().map(Answer::err) {
            Err(o) => checks.add(tag(p.what)(o.clone())),
            Ok(Some(e)) => {
                judged += 1;
                checks.check(judge(e).map_err(tag(p.what)));
            }
            Ok(None) => checks.note(format!(
                "{}: served, not refused ({} judges that)",
                p.what, p.owner
            )),
        }
    }
    if judged == 0 && !checks.failed() {
        return Err(untested_no_errors());
    }
    Ok((checks, judged))
}

/// ERR-001: machine code and message.
pub(crate) const ERR_001: Case = Case {
    id: "ERR-001",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "unknown task, malformed JSON, a wrongly typed field, version 9.9",
    requirement: "every error carries a machine code and a human message",
    spec: "§3.3.2",
    exec: Exec::Run(crate::run_fn!(err_001)),
};
async fn err_001(ctx: Ctx) -> Judged {
    let provoked = provoke(&ctx).await;
    let (checks, judged) = judge_errors(&provoked, expect::error_machine_readable)?;
    checks.finish(format!("{judged} errors each carry a code and a message"))
}

/// ERR-002: `@type` on every detail.
pub(crate) const ERR_002: Case = Case {
    id: "ERR-002",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "the same errors; read their details",
    requirement: "every detail object has `@type`",
    spec: "§3.3.2",
    exec: Exec::Run(crate::run_fn!(err_002)),
};
async fn err_002(ctx: Ctx) -> Judged {
    let provoked = provoke(&ctx).await;
    let (checks, judged) = judge_errors(&provoked, expect::error_details_have_type)?;
    checks.finish(format!("{judged} errors' details all carry @type"))
}

/// ERR-003: the same failures give the same A2A errors on both bindings. Every probe is one
/// fault only, so that two different right answers cannot look like a disagreement, and only
/// probes refused on both bindings are compared: one that is served on a binding is the
/// deviation (or the tolerated leniency) of the row named with it, not an error mapping.
pub(crate) const ERR_003: Case = Case {
    id: "ERR-003",
    level: Level::Must,
    bindings: Bindings::Once,
    needs: &[],
    title: "the same failing requests on JSON-RPC and on REST",
    requirement: "the same failure maps to the same A2A error on both bindings",
    spec: "§5.1, §5.4",
    exec: Exec::Run(crate::run_fn!(err_003)),
};
async fn err_003(ctx: Ctx) -> Judged {
    if ctx.target().jsonrpc_url.is_none() || ctx.target().rest_url.is_none() {
        return Ok(Outcome::not_applicable(
            "needs both a JSONRPC and an HTTP+JSON interface",
        ));
    }
    let rpc = ctx.client_for(Binding::JsonRpc);
    let rest = ctx.client_for(Binding::Rest);
    let missing = ctx.unique("missing");
    let mut cases: Vec<(&str, &str, Method, Value)> = vec![
        (
            "GetTask unknown",
            "TASK-002",
            Method::GetTask,
            json!({"id": missing}),
        ),
        (
            "CancelTask unknown",
            "CANCEL-003",
            Method::CancelTask,
            json!({"id": missing}),
        ),
        (
            "ListTasks pageSize 1000",
            "LIST-008",
            Method::ListTasks,
            json!({"pageSize": 1000}),
        ),
    ];
    if let Ok(task) = driver::finished_task(&rpc, &ctx.unique("err-003")).await {
        let id = expect::id_of(&task).unwrap_or_default();
        if expect::state_of(&task) != Some("TASK_STATE_CANCELED") {
            cases.push((
                "cancel of a finished task",
                "CANCEL-002",
                Method::CancelTask,
                json!({"id": id}),
            ));
        }
        let mut msg = user_message("echo again");
        msg["taskId"] = json!(id);
        if let Some(c) = task.get("contextId") {
            msg["contextId"] = c.clone();
        }
        cases.push((
            "message to a finished task",
            "SEND-007",
            Method::SendMessage,
            json!({"message": msg}),
        ));
    }
    let mut checks = Checks::new();
    let mut compared = 0;
    for (what, owner, method, params) in &cases {
        let mut params_rest = params.clone();
        if let Some(m) = params_rest.get_mut("message") {
            if m.get("messageId").is_some() {
                m["messageId"] = json!(ctx.unique("msg"));
            }
        }
        let (x, y) = match (
            rpc.call(*method, params.clone()).await,
            rest.call(*method, params_rest).await,
        ) {
            (Ok(x), Ok(y)) => (x, y),
            (Err(e), _) | (_, Err(e)) => {
                checks.add(tag(what)(expect::probe(e)));
                continue;
            }
        };
        let (kx, ky) = (expect::AnswerKind::of(&x), expect::AnswerKind::of(&y));
        if kx == expect::AnswerKind::Success || ky == expect::AnswerKind::Success {
            // A success says nothing about error mapping: the probe's own row judges it.
            checks.note(format!(
                "{what}: JSON-RPC {kx}, REST {ky}; not compared ({owner} judges a served probe)"
            ));
            continue;
        }
        compared += 1;
        if !kx.agrees_with(&ky) {
            checks.add(Outcome::fail(
                format!("{what}: the bindings disagree"),
                "the same A2A error on JSON-RPC and REST",
                format!("JSON-RPC: {kx}; REST: {ky}"),
            ));
        }
    }
    if compared == 0 && !checks.failed() {
        return Ok(Outcome::untested(
            "no probe was refused on both bindings, so no error mapping could be compared",
            "a server that refuses unknown task ids (TaskNotFound) on both bindings",
        ));
    }
    checks.finish(format!(
        "{compared} failures map to the same error on both bindings"
    ))
}

/// ERR-004: missing and invalid credentials are rejected.
pub(crate) const ERR_004: Case = Case {
    id: "ERR-004",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Auth],
    title: "SendMessage with no credentials, then with an invalid bearer token",
    requirement: "both are rejected (401 / authentication error)",
    spec: "§3.3.2, §7.4",
    exec: Exec::Run(crate::run_fn!(err_004)),
};
async fn err_004(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let mut checks = Checks::new();
    for (what, opts) in unauthenticated_callers(&ctx) {
        let a = match client
            .call_with(Method::SendMessage, send_params(&ctx), opts)
            .await
        {
            Ok(a) => a,
            Err(e) => {
                checks.add(tag(what)(expect::probe(e)));
                continue;
            }
        };
        if !auth_refused(&a) {
            checks.add(Outcome::fail(
                format!("SendMessage with {what} was not rejected"),
                "401 (or an authentication error)",
                expect::describe(&a),
            ));
        }
    }
    checks.finish("missing and invalid credentials rejected")
}

/// ERR-005: the challenge.
pub(crate) const ERR_005: Case = Case {
    id: "ERR-005",
    level: Level::Should,
    bindings: Bindings::Each,
    needs: &[Need::Auth],
    title: "SendMessage with no credentials",
    requirement: "401 with a `WWW-Authenticate` challenge",
    spec: "§3.3.2",
    exec: Exec::Run(crate::run_fn!(err_005)),
};
async fn err_005(ctx: Ctx) -> Judged {
    let a = ctx
        .client()
        .call_with(Method::SendMessage, send_params(&ctx), anon())
        .await
        .map_err(expect::probe)?;
    match (a.raw.status, a.raw.header("www-authenticate")) {
        (401, Some(ch)) => Ok(Outcome::pass(format!("401 with `WWW-Authenticate: {ch}`"))),
        (status, ch) => Ok(Outcome::fail(
            "no authentication challenge",
            "401 with a WWW-Authenticate header",
            format!(
                "HTTP {status}, WWW-Authenticate: {}",
                ch.unwrap_or("absent")
            ),
        )),
    }
}

/// ERR-006: B may not act on A's task.
pub(crate) const ERR_006: Case = Case {
    id: "ERR-006",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Auth, Need::TwoIdentities],
    title: "identity B cancels a task identity A created",
    requirement: "refused with an authorization error (or TaskNotFound); the task is unchanged",
    spec: "§3.3.2",
    exec: Exec::Run(crate::run_fn!(err_006)),
};
async fn err_006(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let (task, b) = task_of_a(&ctx, &client).await?;
    let id = expect::id_of(&task).unwrap_or_default();
    let before = expect::state_of(&task).map(str::to_owned);
    let a = client
        .call_with(Method::CancelTask, json!({"id": id}), as_identity(&b))
        .await
        .map_err(expect::probe)?;
    let mut checks = Checks::new();
    let refused = auth_refused(&a)
        || a.err()
            .is_some_and(|e| expect::error_matches(e, ErrorCode::TaskNotFound));
    if !refused {
        checks.add(Outcome::fail(
            "identity B's cancel of A's task was not refused",
            "403 / an authorization error, or TaskNotFound",
            expect::describe(&a),
        ));
    }
    let g = client
        .call(Method::GetTask, json!({"id": id}))
        .await
        .map_err(expect::probe)?;
    match g.ok() {
        Some(after) if expect::state_of(after).map(str::to_owned) != before => {
            checks.add(Outcome::fail(
                "A's task changed after B's cancel",
                format!("state {}", before.unwrap_or_default()),
                expect::show(after),
            ))
        }
        Some(_) => {}
        // Reading one's own task back is TASK-001's to judge.
        None => checks.add(Outcome::untested(
            format!(
                "identity A could not read its task back, so whether B's cancel changed it is unknown: {}",
                expect::describe(&g)
            ),
            "a server whose GetTask returns the caller's own task (TASK-001)",
        )),
    }
    checks.finish(format!(
        "B's cancel refused ({}); A's task unchanged",
        expect::AnswerKind::of(&a)
    ))
}

/// ERR-007: another user's task is indistinguishable from a missing one.
pub(crate) const ERR_007: Case = Case {
    id: "ERR-007",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::Auth, Need::TwoIdentities],
    title: "identity B gets A's task, and a task that does not exist",
    requirement: "another user's task looks exactly like a missing one (TaskNotFound)",
    spec: "§3.3.2, §13.1",
    exec: Exec::Run(crate::run_fn!(err_007)),
};
async fn err_007(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let (task, b) = task_of_a(&ctx, &client).await?;
    let id = expect::id_of(&task).unwrap_or_default();
    let foreign = client
        .call_with(Method::GetTask, json!({"id": id}), as_identity(&b))
        .await
        .map_err(expect::probe)?;
    let missing = client
        .call_with(
            Method::GetTask,
            json!({"id": ctx.unique("missing")}),
            as_identity(&b),
        )
        .await
        .map_err(expect::probe)?;
    let mut checks = Checks::new();
    checks.check(
        expect::error_is(&foreign, ErrorCode::TaskNotFound).map_err(tag("B's GetTask of A's task")),
    );
    let shape = |a: &Answer| {
        (
            a.raw.status,
            a.raw.json.as_ref().map(expect::normalise).map(|v| {
                // Error texts may name the id asked for; compare structure and codes.
                let mut v = v;
                strip_strings(&mut v);
                v
            }),
        )
    };
    if shape(&foreign) != shape(&missing) {
        checks.add(Outcome::fail(
            "another user's task is distinguishable from a missing one",
            "the same status and error body as for an id that does not exist",
            format!(
                "foreign: {}; missing: {}",
                expect::describe(&foreign),
                expect::describe(&missing)
            ),
        ));
    }
    checks.finish("A's task looks exactly like a missing task to B")
}

/// Replaces every string value that may echo request input (messages, metadata values).
fn strip_strings(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                // `id`: the JSON-RPC request id differs per call.
                if matches!(k.as_str(), "message" | "metadata" | "description" | "id") {
                    *x = Value::Null;
                } else {
                    strip_strings(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_strings),
        _ => {}
    }
}

/// ERR-008: BadRequest names the field. Judged on validation errors (InvalidParams) only:
/// whether the request is refused at all, and with which code, are DATA-008's and JRPC-007's.
pub(crate) const ERR_008: Case = Case {
    id: "ERR-008",
    level: Level::Should,
    bindings: Bindings::Each,
    needs: &[],
    title: "SendMessage with a message lacking messageId, and with `parts` a string",
    requirement: "validation errors name the bad field (google.rpc.BadRequest fieldViolations)",
    spec: "§3.3.2, §9.5",
    exec: Exec::Run(crate::run_fn!(err_008)),
};
async fn err_008(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let mut no_id = user_message("x");
    if let Some(m) = no_id.as_object_mut() {
        m.remove("messageId");
    }
    let mut checks = Checks::new();
    let mut judged = 0;
    for (what, params) in [
        ("no messageId", json!({"message": no_id})),
        ("`parts` a string", wrongly_typed_parts(&ctx)),
    ] {
        let a = match client.call(Method::SendMessage, params).await {
            Ok(a) => a,
            Err(e) => {
                checks.add(tag(what)(expect::probe(e)));
                continue;
            }
        };
        let Some(e) = a
            .err()
            .filter(|e| expect::error_matches(e, ErrorCode::InvalidParams))
        else {
            checks.note(format!(
                "{what}: no validation error ({}; DATA-008 and JRPC-007 judge that)",
                expect::AnswerKind::of(&a)
            ));
            continue;
        };
        judged += 1;
        checks.check(expect::names_bad_field(e).map_err(tag(what)));
    }
    if judged == 0 && !checks.failed() {
        return Err(Outcome::untested(
            "no probe was answered with a validation error, so no field naming could be judged",
            "a server that refuses invalid messages with InvalidParams (DATA-008)",
        ));
    }
    checks.finish("validation errors carry BadRequest fieldViolations naming the field")
}

/// The ERR cases, in digest order.
pub(crate) const CASES: &[Case] = &[
    ERR_001, ERR_002, ERR_003, ERR_004, ERR_005, ERR_006, ERR_007, ERR_008,
];
