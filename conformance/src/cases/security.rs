//! Cases for ERR (error model), SEC (authentication and hardening), XCARD (extended card) and
//! EXT (extensions): digest §9.10, §7, §4.
//!
//! Authentication cases use the user's identities (`--token`, first one is the default):
//! identity A creates, identity B tries; nothing here assumes how a server stores ownership.
//!
//! The error-model rows judge errors provoked by requests every conformant server refuses
//! whatever its leniencies (an unknown task, malformed JSON, a wrongly typed field, an
//! unsupported version). A request that is served instead is noted for the row that owns it
//! (TASK-002, JRPC-005, DATA-008, VER-002…), so one deviation is never counted twice.

use serde_json::{json, Value};

use crate::case::{Binding, Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::client::{user_message, A2aClient, Answer, CallOpts, Reply, StreamAnswer, WireError};
use crate::context::Ctx;
use crate::driver;
use crate::expect;
use crate::spec::{ErrorCode, Method};

/// The ERR, SEC, XCARD and EXT cases, in digest order.
pub(crate) const CASES: &[Case] = &[
    Case {
        id: "ERR-001",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "unknown task, malformed JSON, a wrongly typed field, version 9.9",
        requirement: "every error carries a machine code and a human message",
        spec: "§3.3.2",
        exec: Exec::Run(crate::run_fn!(err_001)),
    },
    Case {
        id: "ERR-002",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "the same errors; read their details",
        requirement: "every detail object has `@type`",
        spec: "§3.3.2",
        exec: Exec::Run(crate::run_fn!(err_002)),
    },
    Case {
        id: "ERR-003",
        level: Level::Must,
        bindings: Bindings::Once,
        needs: &[],
        title: "the same failing requests on JSON-RPC and on REST",
        requirement: "the same failure maps to the same A2A error on both bindings",
        spec: "§5.1, §5.4",
        exec: Exec::Run(crate::run_fn!(err_003)),
    },
    Case {
        id: "ERR-004",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Auth],
        title: "SendMessage with no credentials, then with an invalid bearer token",
        requirement: "both are rejected (401 / authentication error)",
        spec: "§3.3.2, §7.4",
        exec: Exec::Run(crate::run_fn!(err_004)),
    },
    Case {
        id: "ERR-005",
        level: Level::Should,
        bindings: Bindings::Each,
        needs: &[Need::Auth],
        title: "SendMessage with no credentials",
        requirement: "401 with a `WWW-Authenticate` challenge",
        spec: "§3.3.2",
        exec: Exec::Run(crate::run_fn!(err_005)),
    },
    Case {
        id: "ERR-006",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Auth, Need::TwoIdentities],
        title: "identity B cancels a task identity A created",
        requirement: "refused with an authorization error (or TaskNotFound); the task is unchanged",
        spec: "§3.3.2",
        exec: Exec::Run(crate::run_fn!(err_006)),
    },
    Case {
        id: "ERR-007",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Auth, Need::TwoIdentities],
        title: "identity B gets A's task, and a task that does not exist",
        requirement: "another user's task looks exactly like a missing one (TaskNotFound)",
        spec: "§3.3.2, §13.1",
        exec: Exec::Run(crate::run_fn!(err_007)),
    },
    Case {
        id: "ERR-008",
        level: Level::Should,
        bindings: Bindings::Each,
        needs: &[],
        title: "SendMessage with a message lacking messageId, and with `parts` a string",
        requirement: "validation errors name the bad field (google.rpc.BadRequest fieldViolations)",
        spec: "§3.3.2, §9.5",
        exec: Exec::Run(crate::run_fn!(err_008)),
    },
    Case {
        id: "SEC-001",
        level: Level::Must,
        bindings: Bindings::Once,
        needs: &[],
        title: "read the card's interface URLs",
        requirement: "HTTPS/TLS in production",
        spec: "§7.1",
        exec: Exec::Run(crate::run_fn!(sec_001)),
    },
    Case {
        id: "SEC-002",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Auth],
        title: "every operation without credentials",
        requirement: "each is rejected per the declared schemes",
        spec: "§7.4",
        exec: Exec::Run(crate::run_fn!(sec_002)),
    },
    Case {
        id: "SEC-003",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::Auth, Need::TwoIdentities],
        title: "identity B on A's task: get, cancel, send, subscribe, push ops",
        requirement: "authorization is checked on every operation",
        spec: "§13.1",
        exec: Exec::Run(crate::run_fn!(sec_003)),
    },
    Case {
        id: "SEC-004",
        level: Level::Should,
        bindings: Bindings::Once,
        needs: &[],
        title: "read the card's interface URLs for TLS",
        requirement: "HSTS; TLS 1.2 or later (ideally 1.3)",
        spec: "§13.4",
        exec: Exec::Run(crate::run_fn!(sec_004)),
    },
    Case {
        id: "SEC-005",
        level: Level::Should,
        bindings: Bindings::Each,
        needs: &[],
        title: "SendMessage with a 4 MiB text part",
        requirement:
            "message size is limited: an oversized request is refused (413 / -32600 / -32602)",
        spec: "§13.4",
        exec: Exec::Run(crate::run_fn!(sec_005)),
    },
    Case {
        id: "SEC-006",
        level: Level::Should,
        bindings: Bindings::Each,
        needs: &[],
        title: "a burst of requests",
        requirement: "rate limiting",
        spec: "§13.4",
        exec: Exec::Manual("rate limits are deployment policy with no defined signal (digest: NT)"),
    },
    Case {
        id: "XCARD-001",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::ExtendedCard, Need::Auth],
        title: "GetExtendedAgentCard with no credentials and with an invalid token",
        requirement: "authentication with the public card's schemes is required",
        spec: "§3.1.11, §13.3",
        exec: Exec::Run(crate::run_fn!(xcard_001)),
    },
    Case {
        id: "XCARD-002",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[Need::ExtendedCard],
        title: "GetExtendedAgentCard",
        requirement: "it returns a valid AgentCard",
        spec: "§3.1.11",
        exec: Exec::Run(crate::run_fn!(xcard_002)),
    },
    Case {
        id: "EXT-001",
        level: Level::Should,
        bindings: Bindings::Each,
        needs: &[],
        title: "the suite's own `A2A-Extensions` header",
        requirement: "requested extensions travel as one comma-separated header value",
        spec: "§9.2",
        exec: Exec::Manual(
            "a client-side rule: the suite itself always sends one comma-separated header",
        ),
    },
    Case {
        id: "EXT-002",
        level: Level::Should,
        bindings: Bindings::Each,
        needs: &[],
        title: "SendMessage requesting an unknown extension URI",
        requirement: "an unsupported requested extension is ignored, not an error",
        spec: "§4.6.3",
        exec: Exec::Run(crate::run_fn!(ext_002)),
    },
    Case {
        id: "EXT-003",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "SendMessage requesting another version of a declared extension",
        requirement: "no silent fallback to the declared version",
        spec: "§4.6.3",
        exec: Exec::Run(crate::run_fn!(ext_003)),
    },
    Case {
        id: "EXT-004",
        level: Level::Should,
        bindings: Bindings::Each,
        needs: &[],
        title: "SendMessage requesting a declared extension",
        requirement: "activated extensions are echoed in the `A2A-Extensions` response header",
        spec: "topics/extensions.md",
        exec: Exec::Run(crate::run_fn!(ext_004)),
    },
];

fn tag(what: &str) -> impl Fn(Outcome) -> Outcome + '_ {
    move |o| Outcome {
        summary: format!("{what}: {}", o.summary),
        ..o
    }
}

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
async fn err_001(ctx: Ctx) -> Judged {
    let provoked = provoke(&ctx).await;
    let (checks, judged) = judge_errors(&provoked, expect::error_machine_readable)?;
    checks.finish(format!("{judged} errors each carry a code and a message"))
}

/// ERR-002: `@type` on every detail.
async fn err_002(ctx: Ctx) -> Judged {
    let provoked = provoke(&ctx).await;
    let (checks, judged) = judge_errors(&provoked, expect::error_details_have_type)?;
    checks.finish(format!("{judged} errors' details all carry @type"))
}

/// ERR-003: the same failures give the same A2A errors on both bindings. Every probe is one
/// fault only, so that two different right answers cannot look like a disagreement, and only
/// probes refused on both bindings are compared: one that is served on a binding is the
/// deviation (or the tolerated leniency) of the row named with it, not an error mapping.
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

/// Whether an answer is an authentication/authorization refusal: HTTP 401/403, or a JSON-RPC
/// error outside the A2A and standard ranges (the spec defines no auth code; a2a-go uses
/// -31401/-31403).
fn auth_refused(a: &Answer) -> bool {
    if matches!(a.raw.status, 401 | 403) {
        return true;
    }
    match &a.reply {
        Reply::Err(e) => e.code.is_some_and(|c| ErrorCode::from_jsonrpc(c).is_none()),
        _ => false,
    }
}

fn anon() -> CallOpts {
    CallOpts {
        bearer: Some(None),
        ..CallOpts::default()
    }
}

fn as_identity(token: &str) -> CallOpts {
    CallOpts {
        bearer: Some(Some(token.to_owned())),
        ..CallOpts::default()
    }
}

fn send_params(ctx: &Ctx) -> Value {
    json!({"message": user_message(&format!("echo {}", ctx.unique("auth")))})
}

/// ERR-004: missing and invalid credentials are rejected.
async fn err_004(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let bad = format!("invalid-{}", ctx.unique("token"));
    let mut checks = Checks::new();
    for (what, opts) in [
        ("no credentials", anon()),
        ("an invalid token", as_identity(&bad)),
    ] {
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

/// A task created by identity A; returns (task, B's token). A Message answer leaves the row
/// UNTESTED: it applies, but there is no task whose protection could be observed.
async fn task_of_a(ctx: &Ctx, client: &A2aClient) -> Result<(Value, String), Outcome> {
    let b = ctx.target().tokens.get(1).cloned().unwrap_or_default();
    let (_, sent) = driver::send_ok(
        client,
        &format!("echo {}", ctx.unique("owner-a")),
        Value::Null,
        Value::Null,
    )
    .await?;
    let task = driver::require_task(&sent).map_err(driver::untested_without_task)?;
    Ok((task, b))
}

/// ERR-006: B may not act on A's task.
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

fn interface_urls(ctx: &Ctx) -> Vec<String> {
    ctx.target()
        .card
        .get("supportedInterfaces")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|i| i.get("url").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// SEC-001: TLS in production (informational against a test deployment).
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

/// XCARD-001: the extended card requires authentication.
async fn xcard_001(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let bad = format!("invalid-{}", ctx.unique("token"));
    let mut checks = Checks::new();
    for (what, opts) in [
        ("no credentials", anon()),
        ("an invalid token", as_identity(&bad)),
    ] {
        match client
            .call_with(Method::GetExtendedAgentCard, json!({}), opts)
            .await
        {
            Err(e) => checks.add(tag(what)(expect::probe(e))),
            Ok(a) if !auth_refused(&a) => checks.add(Outcome::fail(
                format!("GetExtendedAgentCard with {what} was not rejected"),
                "401 (or an authentication error)",
                expect::describe(&a),
            )),
            Ok(_) => {}
        }
    }
    checks.finish("the extended card requires valid credentials")
}

/// XCARD-002: the extended card is a valid AgentCard.
async fn xcard_002(ctx: Ctx) -> Judged {
    let a = ctx
        .client()
        .call(Method::GetExtendedAgentCard, json!({}))
        .await
        .map_err(expect::probe)?;
    if let Some(e) = a.err() {
        if expect::error_matches(e, ErrorCode::ExtendedAgentCardNotConfigured) {
            return Ok(Outcome::not_applicable(
                "the extended card is declared but not configured (-32007)",
            ));
        }
    }
    let card = expect::ok(&a, "GetExtendedAgentCard")?;
    let mut checks = Checks::new();
    checks.check(expect::agent_card_shape(card));
    checks.check(expect::no_snake_case_keys(card, "$"));
    checks.finish("the extended card is a valid AgentCard")
}

/// Declared extension URIs (all, and the required ones).
fn declared_extensions(ctx: &Ctx) -> Vec<String> {
    ctx.target()
        .card
        .get("capabilities")
        .and_then(|c| c.get("extensions"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("uri").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

fn with_extensions(uris: &[String]) -> CallOpts {
    CallOpts {
        headers: vec![("A2A-Extensions".into(), uris.join(","))],
        ..CallOpts::default()
    }
}

/// EXT-002: unknown extensions are ignored.
async fn ext_002(ctx: Ctx) -> Judged {
    let mut uris = ctx.target().required_extensions.clone();
    uris.push(format!(
        "https://example.com/gauntlet/ext/{}",
        ctx.unique("unknown")
    ));
    let a = ctx
        .client()
        .call_with(
            Method::SendMessage,
            send_params(&ctx),
            with_extensions(&uris),
        )
        .await
        .map_err(expect::probe)?;
    expect::ok(&a, "SendMessage requesting an unknown extension")?;
    Ok(Outcome::pass("an unknown requested extension was ignored"))
}

/// EXT-003: no fallback to another version.
async fn ext_003(ctx: Ctx) -> Judged {
    let declared = declared_extensions(&ctx);
    let Some(original) = declared.first().cloned() else {
        return Ok(Outcome::not_applicable("the card declares no extensions"));
    };
    let other = format!("{}/gauntlet-other-version", original.trim_end_matches('/'));
    let mut uris: Vec<String> = ctx
        .target()
        .required_extensions
        .iter()
        .filter(|u| **u != original)
        .cloned()
        .collect();
    uris.push(other.clone());
    let a = ctx
        .client()
        .call_with(
            Method::SendMessage,
            send_params(&ctx),
            with_extensions(&uris),
        )
        .await
        .map_err(expect::probe)?;
    if let Some(e) = a.err() {
        if expect::error_matches(e, ErrorCode::ExtensionSupportRequired) {
            return Ok(Outcome::pass(
                "the required extension was not substituted: ExtensionSupportRequiredError",
            ));
        }
    }
    let echoed = a
        .raw
        .header("a2a-extensions")
        .is_some_and(|h| h.split(',').any(|u| u.trim() == original));
    let in_body = a.ok().is_some_and(|v| {
        v.to_string()
            .contains(&format!("\"extensions\":[\"{original}\""))
    });
    if echoed || in_body {
        return Ok(Outcome::fail(
            "the declared extension was activated in place of the requested version",
            format!("`{original}` not activated when `{other}` was requested"),
            expect::describe(&a),
        ));
    }
    Ok(Outcome::pass(format!(
        "requesting `{other}` did not activate `{original}`"
    )))
}

/// EXT-004: activated extensions are echoed.
async fn ext_004(ctx: Ctx) -> Judged {
    let declared = declared_extensions(&ctx);
    if declared.is_empty() {
        return Ok(Outcome::not_applicable("the card declares no extensions"));
    }
    let a = ctx
        .client()
        .call_with(
            Method::SendMessage,
            send_params(&ctx),
            with_extensions(&declared),
        )
        .await
        .map_err(expect::probe)?;
    expect::ok(&a, "SendMessage requesting the declared extensions")?;
    match a.raw.header("a2a-extensions") {
        Some(h) if declared.iter().any(|u| h.split(',').any(|x| x.trim() == u)) => {
            Ok(Outcome::pass(format!("`A2A-Extensions: {h}` echoed")))
        }
        other => Ok(Outcome::fail(
            "activated extensions are not echoed",
            format!("an `A2A-Extensions` response header naming one of {declared:?}"),
            other.unwrap_or("no A2A-Extensions header").to_owned(),
        )),
    }
}
