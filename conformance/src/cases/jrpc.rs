//! Cases for JRPC: the JSON-RPC 2.0 binding (digest §9.4, §1).
//!
//! Malformed requests are built from a valid request of the client ([`raw_rpc`]) so that only
//! one thing is wrong in each; the answers are read as raw JSON.

use bytes::Bytes;
use serde_json::{json, Value};

use crate::case::{Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::cases::support::{self, tag};
use crate::client::{user_message, CallOpts, Reply, StreamAnswer};
use crate::context::Ctx;
use crate::driver;
use crate::expect;
use crate::probe::{RawRequest, RawResponse};
use crate::spec::{ErrorCode, Method};

/// A JSON-RPC request carrying `body` verbatim, with the client's usual headers.
pub(crate) fn raw_rpc(ctx: &Ctx, body: impl Into<Bytes>) -> RawRequest {
    let mut req = ctx
        .client()
        .request(Method::GetTask, &json!({"id": "x"}), &CallOpts::default());
    req.body = body.into();
    req
}

/// A JSON-RPC request object as a body.
fn envelope(method: &str, params: Value, id: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
        .unwrap_or_default()
}

/// `HTTP <status>: <body>` for `observed` texts.
fn observed(raw: &RawResponse) -> String {
    format!(
        "HTTP {}: {}",
        raw.status,
        expect::clip(&String::from_utf8_lossy(&raw.body), 300)
    )
}

/// The raw answer is the JSON-RPC error `code`. `id`: the id the response must carry; `None`
/// accepts the request id or null (invalid envelopes whose id may or may not be readable).
fn rpc_error(
    raw: &RawResponse,
    code: ErrorCode,
    id: Option<&Value>,
    what: &str,
) -> Result<(), Outcome> {
    let wrap = tag(what);
    let Some(body) = raw.json.as_ref().and_then(Value::as_object) else {
        return Err(wrap(Outcome::fail(
            "no JSON-RPC error object",
            format!("a JSON-RPC error response with code {}", code.jsonrpc()),
            observed(raw),
        )));
    };
    let got = body
        .get("error")
        .and_then(|e| e.get("code"))
        .and_then(Value::as_i64);
    if got != Some(code.jsonrpc()) {
        return Err(wrap(Outcome::fail(
            if body.contains_key("result") {
                format!("served instead of refused with {}", code.jsonrpc())
            } else {
                format!("wrong answer instead of {}", code.jsonrpc())
            },
            format!("error.code {} ({code:?})", code.jsonrpc()),
            observed(raw),
        )));
    }
    match id {
        Some(id) => expect::envelope_object(body, id).map_err(&wrap)?,
        None => {
            let id = body.get("id").cloned().unwrap_or(Value::Null);
            expect::envelope_object(body, &id).map_err(&wrap)?;
        }
    }
    expect::jsonrpc_error_status(raw).map_err(wrap)
}

/// JRPC-001: application/json POSTs are accepted.
pub(crate) const JRPC_001: Case = Case {
    id: "JRPC-001",
    level: Level::Must,
    bindings: Bindings::JsonRpc,
    needs: &[],
    title: "POST a SendMessage request with `Content-Type: application/json` (with and without charset)",
    requirement: "the request is accepted",
    spec: "§9.1, §9.3",
    exec: Exec::Run(crate::run_fn!(jrpc_001)),
};
async fn jrpc_001(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let mut checks = Checks::new();
    for ct in ["application/json", "application/json; charset=utf-8"] {
        let answer = support::send_with_content_type(&ctx, &client, "jrpc-001", ct).await?;
        checks.check(expect::ok(
            &answer,
            &format!("SendMessage with `Content-Type: {ct}`"),
        ));
    }
    checks.finish("POST with application/json (with and without charset) accepted")
}

/// JRPC-002: the envelope and the id echo.
pub(crate) const JRPC_002: Case = Case {
    id: "JRPC-002",
    level: Level::Must,
    bindings: Bindings::JsonRpc,
    needs: &[],
    title: "requests with a string id and a numeric id, succeeding and failing",
    requirement:
        "`jsonrpc:\"2.0\"`, the id echoed with the same value and type, exactly one of result/error",
    spec: "JSON-RPC 2.0",
    exec: Exec::Run(crate::run_fn!(jrpc_002)),
};
async fn jrpc_002(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let ids = [json!(ctx.unique("rpc-id")), json!(4242), json!(0)];
    let mut checks = Checks::new();
    for id in ids {
        let opts = || CallOpts {
            jsonrpc_id: Some(id.clone()),
            ..CallOpts::default()
        };
        let params = json!({"message": user_message(&format!("echo {}", ctx.unique("jrpc-002")))});
        let ok = client
            .call_with(Method::SendMessage, params, opts())
            .await
            .map_err(expect::probe)?;
        checks.check(
            expect::jsonrpc_envelope(&ok.raw, &id).map_err(tag(&format!("SendMessage, id {id}"))),
        );
        let err = client
            .call_with(
                Method::GetTask,
                json!({"id": ctx.unique("missing")}),
                opts(),
            )
            .await
            .map_err(expect::probe)?;
        checks.check(
            expect::jsonrpc_envelope(&err.raw, &id)
                .map_err(tag(&format!("GetTask of an unknown task, id {id}"))),
        );
    }
    checks
        .finish("string, numeric and zero ids echoed on results and errors; envelopes well-formed")
}

/// JRPC-003: application/json responses.
pub(crate) const JRPC_003: Case = Case {
    id: "JRPC-003",
    level: Level::Must,
    bindings: Bindings::JsonRpc,
    needs: &[],
    title: "a succeeding and a failing non-streaming call",
    requirement: "responses use `Content-Type: application/json`",
    spec: "§9.1",
    exec: Exec::Run(crate::run_fn!(jrpc_003)),
};
async fn jrpc_003(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let (ok, _) = driver::send_ok(&client, "echo jrpc-003", Value::Null, Value::Null).await?;
    let err = client
        .call(Method::GetTask, json!({"id": ctx.unique("missing")}))
        .await
        .map_err(expect::probe)?;
    let mut checks = Checks::new();
    for (what, raw) in [("success", &ok.raw), ("error", &err.raw)] {
        if raw.media_type().as_deref() != Some("application/json") {
            checks.add(Outcome::fail(
                format!("{what} response has the wrong content type"),
                "Content-Type: application/json",
                raw.header("content-type").unwrap_or("absent").to_owned(),
            ));
        }
    }
    checks.finish("success and error responses are application/json")
}

/// Minimal params for each method (valid where it is cheap, otherwise naming unknown ids).
fn minimal_params(ctx: &Ctx, method: Method) -> Value {
    let missing = ctx.unique("missing");
    match method {
        Method::SendMessage | Method::SendStreamingMessage => {
            json!({"message": user_message(&format!("echo {}", ctx.unique("jrpc-004")))})
        }
        Method::GetTask | Method::CancelTask | Method::SubscribeToTask => json!({"id": missing}),
        Method::ListTasks | Method::GetExtendedAgentCard => json!({}),
        Method::CreateTaskPushNotificationConfig => {
            json!({"taskId": missing, "url": ctx.inert_webhook_url()})
        }
        Method::ListTaskPushNotificationConfigs => json!({"taskId": missing}),
        Method::GetTaskPushNotificationConfig | Method::DeleteTaskPushNotificationConfig => {
            json!({"taskId": missing, "id": ctx.unique("cfg")})
        }
    }
}

/// A 0.3 `message/send` request (0.3 shapes), sent under `A2A-Version: 1.0`.
fn legacy_send(ctx: &Ctx, id: Value) -> Vec<u8> {
    let message = json!({
        "kind": "message",
        "messageId": ctx.unique("msg-03"),
        "role": "user",
        "parts": [{"kind": "text", "text": format!("echo {}", ctx.unique("jrpc-03"))}],
    });
    envelope("message/send", json!({"message": message}), id)
}

/// JRPC-004: the method names. A 0.3 name is an unknown name under `A2A-Version: 1.0`: the
/// request says 1.0, so it MUST be processed with 1.0 semantics (§3.6.2).
pub(crate) const JRPC_004: Case = Case {
    id: "JRPC-004",
    level: Level::Must,
    bindings: Bindings::JsonRpc,
    needs: &[],
    title: "each of the 11 method names, then `NoSuchMethod`, `sendMessage`, and the 0.3 names `message/send` and `tasks/get` with `A2A-Version: 1.0`",
    requirement: "all 11 names are recognised; unknown names (0.3 names under 1.0 included) give -32601",
    spec: "§5.3, §9.4",
    exec: Exec::Run(crate::run_fn!(jrpc_004)),
};
async fn jrpc_004(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let not_found = ErrorCode::MethodNotFound.jsonrpc();
    let mut checks = Checks::new();
    for method in Method::ALL {
        let params = minimal_params(&ctx, method);
        let code = if method.is_streaming() {
            match client.stream(method, params).await.map_err(expect::probe)? {
                StreamAnswer::Refused(a) => a.err().and_then(|e| e.code),
                StreamAnswer::Open(_) => None,
            }
        } else {
            let a = client.call(method, params).await.map_err(expect::probe)?;
            a.err().and_then(|e| e.code)
        };
        if code == Some(not_found) {
            checks.add(Outcome::fail(
                format!("`{}` is not recognised", method.jsonrpc_name()),
                "every A2A 1.0 method name is routed (any answer but -32601)",
                format!("-32601 for `{}`", method.jsonrpc_name()),
            ));
        }
    }
    let unknown = [
        (
            "method `NoSuchMethod`",
            envelope("NoSuchMethod", json!({}), json!(7)),
        ),
        (
            "method `sendMessage`",
            envelope("sendMessage", json!({}), json!(7)),
        ),
        (
            "0.3 method `message/send` under A2A-Version 1.0",
            legacy_send(&ctx, json!(7)),
        ),
        (
            "0.3 method `tasks/get` under A2A-Version 1.0",
            envelope("tasks/get", json!({"id": ctx.unique("missing")}), json!(7)),
        ),
    ];
    for (what, body) in unknown {
        let raw = ctx
            .probe()
            .send(raw_rpc(&ctx, body))
            .await
            .map_err(expect::probe)?;
        checks.check(rpc_error(
            &raw,
            ErrorCode::MethodNotFound,
            Some(&json!(7)),
            what,
        ));
    }
    checks.finish(
        "all 11 methods routed; `NoSuchMethod`, `sendMessage` and the 0.3 names give -32601",
    )
}

/// JRPC-005: parse errors.
pub(crate) const JRPC_005: Case = Case {
    id: "JRPC-005",
    level: Level::Must,
    bindings: Bindings::JsonRpc,
    needs: &[],
    title: "truncated JSON, non-JSON text, an empty body, trailing garbage",
    requirement: "-32700 with `id: null`",
    spec: "§9.5",
    exec: Exec::Run(crate::run_fn!(jrpc_005)),
};
async fn jrpc_005(ctx: Ctx) -> Judged {
    let bodies: [(&str, &[u8]); 4] = [
        (
            "truncated JSON",
            br#"{"jsonrpc":"2.0","id":1,"method":"GetTask","#,
        ),
        ("non-JSON text", b"this is not json"),
        ("an empty body", b""),
        (
            "trailing garbage",
            br#"{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"x"}}}"#,
        ),
    ];
    let mut checks = Checks::new();
    for (what, body) in bodies {
        let raw = ctx
            .probe()
            .send(raw_rpc(&ctx, Bytes::copy_from_slice(body)))
            .await
            .map_err(expect::probe)?;
        checks.check(rpc_error(
            &raw,
            ErrorCode::ParseError,
            Some(&Value::Null),
            what,
        ));
    }
    checks.finish("4 unparseable bodies each got -32700 with id null")
}

/// JRPC-006: invalid envelopes.
pub(crate) const JRPC_006: Case = Case {
    id: "JRPC-006",
    level: Level::Must,
    bindings: Bindings::JsonRpc,
    needs: &[],
    title: "no `jsonrpc`, `jsonrpc:\"1.0\"`, a numeric `method`, an object `id`",
    requirement: "-32600",
    spec: "§9.5",
    exec: Exec::Run(crate::run_fn!(jrpc_006)),
};
async fn jrpc_006(ctx: Ctx) -> Judged {
    let get = json!({"id": "x"});
    let cases = [
        (
            "no `jsonrpc`",
            json!({"id": 1, "method": "GetTask", "params": get}),
            None,
        ),
        (
            "`jsonrpc:\"1.0\"`",
            json!({"jsonrpc": "1.0", "id": 1, "method": "GetTask", "params": get}),
            None,
        ),
        (
            "numeric `method`",
            json!({"jsonrpc": "2.0", "id": 1, "method": 42, "params": get}),
            None,
        ),
        (
            "object `id`",
            json!({"jsonrpc": "2.0", "id": {"a": 1}, "method": "GetTask", "params": get}),
            Some(Value::Null),
        ),
    ];
    let mut checks = Checks::new();
    for (what, body, id) in cases {
        let raw = ctx
            .probe()
            .send(raw_rpc(&ctx, serde_json::to_vec(&body).unwrap_or_default()))
            .await
            .map_err(expect::probe)?;
        if !checks.check(rpc_error(
            &raw,
            ErrorCode::InvalidRequest,
            id.as_ref(),
            what,
        )) {
            continue;
        }
        // An unreadable id must come back as null; a readable one as itself or null.
        if id.is_none() {
            let got = raw.json.as_ref().and_then(|j| j.get("id")).cloned();
            if got != Some(Value::Null) && got != Some(json!(1)) {
                checks.add(Outcome::fail(
                    format!("{what}: wrong response id"),
                    "id 1 (echoed) or null",
                    format!("{got:?}"),
                ));
            }
        }
    }
    checks.finish("4 invalid envelopes each got -32600")
}

/// One JRPC-007 probe: InvalidParams (for string params, InvalidRequest is as correct).
fn invalid_params(raw: &RawResponse, what: &str, string_params: bool) -> Result<(), Outcome> {
    // `"params":"x"` is not a structured value, so under JSON-RPC 2.0 §4 the request object
    // itself is invalid: -32600 is as correct as -32602 for that probe (and only for it).
    let code = raw
        .json
        .as_ref()
        .and_then(|b| b.pointer("/error/code"))
        .and_then(Value::as_i64);
    if string_params && code == Some(ErrorCode::InvalidRequest.jsonrpc()) {
        return rpc_error(raw, ErrorCode::InvalidRequest, None, what);
    }
    rpc_error(raw, ErrorCode::InvalidParams, Some(&json!(3)), what).map_err(|o| {
        if string_params && code != Some(ErrorCode::InvalidParams.jsonrpc()) {
            Outcome {
                expected: Some(
                    "error.code -32602 (InvalidParams), or -32600 (InvalidRequest: string \
                     params make the request object invalid, JSON-RPC 2.0 §4)"
                        .to_owned(),
                ),
                ..o
            }
        } else {
            o
        }
    })
}

/// JRPC-007: invalid params.
pub(crate) const JRPC_007: Case = Case {
    id: "JRPC-007",
    level: Level::Must,
    bindings: Bindings::JsonRpc,
    needs: &[],
    title: "string params, GetTask without id, a numeric id, a non-numeric pageSize",
    requirement: "-32602 (string params: -32600 or -32602)",
    spec: "§9.5",
    exec: Exec::Run(crate::run_fn!(jrpc_007)),
};
async fn jrpc_007(ctx: Ctx) -> Judged {
    let cases = [
        ("string params", envelope("GetTask", json!("x"), json!(3))),
        (
            "GetTask without id",
            envelope("GetTask", json!({}), json!(3)),
        ),
        (
            "GetTask with a numeric id",
            envelope("GetTask", json!({"id": 5}), json!(3)),
        ),
        (
            "ListTasks with pageSize \"many\"",
            envelope("ListTasks", json!({"pageSize": "many"}), json!(3)),
        ),
    ];
    let mut checks = Checks::new();
    for (i, (what, body)) in cases.into_iter().enumerate() {
        let raw = ctx
            .probe()
            .send(raw_rpc(&ctx, body))
            .await
            .map_err(expect::probe)?;
        checks.check(invalid_params(&raw, what, i == 0));
    }
    checks
        .finish("4 invalid params each refused: -32602 (for string params -32600 is also accepted)")
}

/// One provoked error: what was sent, the row that judges whether it is refused at all, and
/// the raw answer.
struct Provoked {
    what: &'static str,
    owner: &'static str,
    raw: RawResponse,
}

impl Provoked {
    /// The `error` member, or `None` (with a note) when the request was served: refusing it
    /// is `owner`'s to judge, so the error-object rows do not count it again.
    fn error(&self, checks: &mut Checks) -> Option<&Value> {
        let body = self.raw.json.as_ref();
        if body.is_some_and(|b| b.get("result").is_some() && b.get("error").is_none()) {
            checks.note(format!(
                "{} was served, not refused ({} judges that)",
                self.what, self.owner
            ));
            return None;
        }
        body.and_then(|j| j.get("error"))
    }
}

/// A set of error answers of every kind (raw), for the error-object cases. Each request is
/// one every conformant 1.0 server refuses.
async fn provoke_errors(ctx: &Ctx) -> Result<Vec<Provoked>, Outcome> {
    let bodies: Vec<(&'static str, &'static str, RawRequest)> = vec![
        ("parse error", "JRPC-005", raw_rpc(ctx, &b"{nope"[..])),
        (
            "invalid request",
            "JRPC-006",
            raw_rpc(
                ctx,
                serde_json::to_vec(&json!({"id": 1, "method": "GetTask"})).unwrap_or_default(),
            ),
        ),
        (
            "unknown method",
            "JRPC-004",
            raw_rpc(ctx, envelope("NoSuchMethod", json!({}), json!(1))),
        ),
        (
            "0.3 method name under A2A-Version 1.0",
            "JRPC-004",
            raw_rpc(ctx, legacy_send(ctx, json!(1))),
        ),
        (
            "invalid params",
            "JRPC-007",
            raw_rpc(ctx, envelope("GetTask", json!({}), json!(1))),
        ),
        (
            "unknown task",
            "JRPC-011",
            raw_rpc(
                ctx,
                envelope("GetTask", json!({"id": ctx.unique("missing")}), json!(1)),
            ),
        ),
        ("unsupported version", "VER-002", {
            let opts = CallOpts {
                version: Some(Some("9.9".into())),
                ..CallOpts::default()
            };
            ctx.client().request(
                Method::GetTask,
                &json!({"id": ctx.unique("missing")}),
                &opts,
            )
        }),
    ];
    let mut out = Vec::new();
    for (what, owner, req) in bodies {
        let raw = ctx.probe().send(req).await.map_err(expect::probe)?;
        out.push(Provoked { what, owner, raw });
    }
    Ok(out)
}

/// JRPC-008: error objects have an integer code and a string message.
pub(crate) const JRPC_008: Case = Case {
    id: "JRPC-008",
    level: Level::Must,
    bindings: Bindings::JsonRpc,
    needs: &[],
    title: "provoke parse, envelope, method, 0.3-method, params, version and not-found errors",
    requirement: "`error.code` is an integer and `error.message` a string",
    spec: "§3.3.2",
    exec: Exec::Run(crate::run_fn!(jrpc_008)),
};
async fn jrpc_008(ctx: Ctx) -> Judged {
    let errors = provoke_errors(&ctx).await?;
    let mut checks = Checks::new();
    let mut judged = 0;
    for p in &errors {
        let served = p
            .raw
            .json
            .as_ref()
            .is_some_and(|b| b.get("result").is_some());
        match p.error(&mut checks) {
            None if served => {}
            None => {
                checks.add(Outcome::fail(
                    format!("{}: no `error` member", p.what),
                    "a JSON-RPC error object",
                    observed(&p.raw),
                ));
            }
            Some(error) => {
                judged += 1;
                checks.check(expect::jsonrpc_error_object(error).map_err(tag(p.what)));
            }
        }
    }
    if judged == 0 && !checks.failed() {
        return Err(untested_no_errors());
    }
    checks.finish(format!("{judged} error objects well-formed"))
}

/// UNTESTED when every provoking request was served.
fn untested_no_errors() -> Outcome {
    Outcome::untested(
        "every request meant to provoke an error was served, so no error object could be judged",
        "a server that refuses malformed and unknown requests (JRPC-004/005/006/007, VER-002)",
    )
}

/// JRPC-009: `data` is an array of `@type`d objects.
pub(crate) const JRPC_009: Case = Case {
    id: "JRPC-009",
    level: Level::Must,
    bindings: Bindings::JsonRpc,
    needs: &[],
    title: "provoke the same errors; read `error.data`",
    requirement: "`data`, if present, is an array of objects each with `@type`",
    spec: "§9.5",
    exec: Exec::Run(crate::run_fn!(jrpc_009)),
};
async fn jrpc_009(ctx: Ctx) -> Judged {
    let errors = provoke_errors(&ctx).await?;
    let mut checks = Checks::new();
    let (mut judged, mut with_data) = (0, 0);
    for p in &errors {
        let Some(error) = p.error(&mut checks) else {
            continue;
        };
        judged += 1;
        if error.get("data").is_some() {
            with_data += 1;
        }
        let wire = crate::client::WireError::from_jsonrpc(p.raw.status, error);
        checks.check(expect::error_details_have_type(&wire).map_err(tag(p.what)));
    }
    if judged == 0 {
        return Err(untested_no_errors());
    }
    checks.finish(format!(
        "{with_data} of {judged} errors carried `data`, each an array of @type objects"
    ))
}

/// JRPC-010: ErrorInfo on A2A errors. Whether the right error came at all is JRPC-011's.
pub(crate) const JRPC_010: Case = Case {
    id: "JRPC-010",
    level: Level::Should,
    bindings: Bindings::JsonRpc,
    needs: &[],
    title: "GetTask of an unknown id; a request with version 9.9",
    requirement: "A2A errors carry ErrorInfo (reason, domain a2a-protocol.org) in `data`",
    spec: "§9.5",
    exec: Exec::Run(crate::run_fn!(jrpc_010)),
};
async fn jrpc_010(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let nf = client
        .call(Method::GetTask, json!({"id": ctx.unique("missing")}))
        .await
        .map_err(expect::probe)?;
    let v = support::get_task_with_version(&client, &ctx.unique("missing"), "9.9").await?;
    let mut checks = Checks::new();
    let mut judged = Vec::new();
    for (answer, code, what, owner) in [
        (&nf, ErrorCode::TaskNotFound, "unknown task", "JRPC-011"),
        (&v, ErrorCode::VersionNotSupported, "version 9.9", "VER-002"),
    ] {
        match answer.err().filter(|e| e.matches(code).accepted()) {
            Some(e) => {
                judged.push(format!("{code:?}"));
                checks.check(expect::error_info_present(e, code).map_err(tag(what)));
            }
            None => checks.note(format!(
                "{what}: not answered with {code:?} ({owner} judges that)"
            )),
        }
    }
    if judged.is_empty() {
        return Err(Outcome::untested(
            "neither TaskNotFound nor VersionNotSupported came back, so no ErrorInfo could be judged",
            "a server that answers these requests with their A2A errors (JRPC-011, VER-002)",
        ));
    }
    checks.finish(format!("{} carry ErrorInfo", judged.join(" and ")))
}

/// JRPC-011: A2A error codes.
pub(crate) const JRPC_011: Case = Case {
    id: "JRPC-011",
    level: Level::Must,
    bindings: Bindings::JsonRpc,
    needs: &[],
    title: "unknown task (get, cancel), cancel of a finished task, message to a finished task, version 9.9",
    requirement: "A2A error codes as in digest §7",
    spec: "§5.4",
    exec: Exec::Run(crate::run_fn!(jrpc_011)),
};
async fn jrpc_011(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let missing = ctx.unique("missing");
    let mut checks = Checks::new();
    let mut checked = Vec::new();
    for method in [Method::GetTask, Method::CancelTask] {
        let a = client
            .call(method, json!({"id": missing}))
            .await
            .map_err(expect::probe)?;
        if checks.check(
            expect::error_is(&a, ErrorCode::TaskNotFound).map_err(tag(&format!(
                "{} of an unknown task",
                method.jsonrpc_name()
            ))),
        ) {
            checked.push("-32001");
        }
    }
    let v = support::get_task_with_version(&client, &missing, "9.9").await?;
    if v.ok().is_some() {
        checks.note("version 9.9 was served (VER-002 judges that)");
    } else if checks
        .check(expect::error_is(&v, ErrorCode::VersionNotSupported).map_err(tag("version 9.9")))
    {
        checked.push("-32009");
    }
    if let Ok(task) = driver::finished_task(&client, &ctx.unique("jrpc-011")).await {
        let id = expect::id_of(&task).unwrap_or_default();
        if expect::state_of(&task) != Some("TASK_STATE_CANCELED") {
            let c = support::cancel(&client, &id).await?;
            if checks.check(
                expect::error_is(&c, ErrorCode::TaskNotCancelable)
                    .map_err(tag("cancel of a finished task")),
            ) {
                checked.push("-32002");
            }
        }
        let ctx_id = task.get("contextId").cloned().unwrap_or(Value::Null);
        let mut extra = json!({"taskId": id});
        if !ctx_id.is_null() {
            extra["contextId"] = ctx_id;
        }
        let s = client
            .send_text("echo again", extra, Value::Null)
            .await
            .map_err(expect::probe)?;
        if checks.check(
            expect::error_is(&s, ErrorCode::UnsupportedOperation)
                .map_err(tag("message to a finished task")),
        ) {
            checked.push("-32004");
        }
    }
    checked.dedup();
    checks.finish(format!("codes as in §7: {}", checked.join(", ")))
}

/// JRPC-012: result shapes per method.
pub(crate) const JRPC_012: Case = Case {
    id: "JRPC-012",
    level: Level::Must,
    bindings: Bindings::JsonRpc,
    needs: &[],
    title: "SendMessage, GetTask, ListTasks, GetExtendedAgentCard and push calls",
    requirement: "SendMessage wraps {task}/{message}; GetTask a bare Task; ListTasksResponse; AgentCard; push configs",
    spec: "§9.4, proto",
    exec: Exec::Run(crate::run_fn!(jrpc_012)),
};
async fn jrpc_012(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let (_, sent) = driver::send_ok(
        &client,
        &format!("echo {}", ctx.unique("jrpc-012")),
        Value::Null,
        Value::Null,
    )
    .await?;
    let mut checks = Checks::new();
    let mut checked = Vec::new();
    let shapes = ["SendMessage", "GetTask"];
    if let Some(id) =
        support::send_and_get_shapes(&client, &sent, shapes, &mut checks, &mut checked).await?
    {
        if ctx.target().push {
            let c = client
                .call(
                    Method::CreateTaskPushNotificationConfig,
                    json!({"taskId": id, "url": ctx.inert_webhook_url()}),
                )
                .await
                .map_err(expect::probe)?;
            if let Reply::Ok(cfg) = &c.reply {
                checks.check(
                    expect::push_config_shape(cfg).map_err(tag("CreateTaskPushNotificationConfig")),
                );
                let l = client
                    .call(
                        Method::ListTaskPushNotificationConfigs,
                        json!({"taskId": id}),
                    )
                    .await
                    .map_err(expect::probe)?;
                match expect::ok(&l, "ListTaskPushNotificationConfigs") {
                    Err(o) => checks.add(o),
                    Ok(list) if !list.get("configs").is_some_and(Value::is_array) => {
                        checks.add(Outcome::fail(
                            "ListTaskPushNotificationConfigs result has no `configs` array",
                            "{configs:[TaskPushNotificationConfig], nextPageToken?}",
                            expect::show(list),
                        ))
                    }
                    Ok(_) => checked.push("push configs"),
                }
            }
        }
    }
    let l = client
        .call(Method::ListTasks, json!({}))
        .await
        .map_err(expect::probe)?;
    if checks.check(expect::ok(&l, "ListTasks").and_then(expect::list_tasks_shape)) {
        checked.push("ListTasks");
    }
    if ctx.target().extended_card {
        let x = client
            .call(Method::GetExtendedAgentCard, json!({}))
            .await
            .map_err(expect::probe)?;
        if let Reply::Ok(card) = &x.reply {
            if checks.check(expect::agent_card_shape(card).map_err(tag("GetExtendedAgentCard"))) {
                checked.push("GetExtendedAgentCard");
            }
        }
    }
    checks.finish(format!("result shapes correct: {}", checked.join(", ")))
}

/// JRPC-013: GetExtendedAgentCard without params.
pub(crate) const JRPC_013: Case = Case {
    id: "JRPC-013",
    level: Level::Should,
    bindings: Bindings::JsonRpc,
    needs: &[Need::ExtendedCard],
    title: "GetExtendedAgentCard with `params` omitted",
    requirement: "answered as with `params: {}`",
    spec: "§9.4.8",
    exec: Exec::Run(crate::run_fn!(jrpc_013)),
};
async fn jrpc_013(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let mut req = client.request(
        Method::GetExtendedAgentCard,
        &json!({}),
        &CallOpts::default(),
    );
    if let Ok(Value::Object(mut body)) = serde_json::from_slice::<Value>(&req.body) {
        body.remove("params");
        req.body = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
    }
    let answer = client.send_raw(req).await.map_err(expect::probe)?;
    match &answer.reply {
        Reply::Ok(_) => Ok(Outcome::pass(
            "GetExtendedAgentCard without params served the card",
        )),
        Reply::Err(e) if expect::error_matches(e, ErrorCode::ExtendedAgentCardNotConfigured) => Ok(
            Outcome::pass("GetExtendedAgentCard without params routed (not configured)"),
        ),
        _ => Ok(Outcome::fail(
            "GetExtendedAgentCard without params was refused",
            "the same answer as with `params: {}`",
            expect::describe(&answer),
        )),
    }
}

/// JRPC-014: HTTP status of errors.
pub(crate) const JRPC_014: Case = Case {
    id: "JRPC-014",
    level: Level::Sdk,
    bindings: Bindings::JsonRpc,
    needs: &[],
    title: "provoke errors; read the HTTP status",
    requirement: "JSON-RPC errors come with HTTP 200 (4xx accepted)",
    spec: "none (SDK)",
    exec: Exec::Run(crate::run_fn!(jrpc_014)),
};
async fn jrpc_014(ctx: Ctx) -> Judged {
    let errors = provoke_errors(&ctx).await?;
    let mut checks = Checks::new();
    let mut non_200 = Vec::new();
    for p in &errors {
        if p.error(&mut checks).is_none() && p.raw.status < 400 {
            continue;
        }
        if checks.check(expect::jsonrpc_error_status(&p.raw).map_err(tag(p.what)))
            && p.raw.status != 200
        {
            non_200.push(format!("{}: {}", p.what, p.raw.status));
        }
    }
    if non_200.is_empty() {
        checks.finish("every JSON-RPC error came with HTTP 200")
    } else {
        checks.finish(format!(
            "JSON-RPC errors with 4xx (accepted, as a2a-js does): {}",
            non_200.join(", ")
        ))
    }
}

/// JRPC-015: Delete's result.
pub(crate) const JRPC_015: Case = Case {
    id: "JRPC-015",
    level: Level::Sdk,
    bindings: Bindings::JsonRpc,
    needs: &[Need::Push],
    title: "DeleteTaskPushNotificationConfig of a created config",
    requirement: "`result` is present and is null or {}",
    spec: "proto + JSON-RPC",
    exec: Exec::Run(crate::run_fn!(jrpc_015)),
};
async fn jrpc_015(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let driver::TaskWithConfig {
        task, config: cfg, ..
    } = driver::task_with_push_config(&ctx, "jrpc-015").await?;
    let d = support::delete_push_config(&client, &task, &cfg).await?;
    let body = d.raw.json.as_ref().and_then(Value::as_object);
    match body.and_then(|b| b.get("result")) {
        Some(Value::Null) => Ok(Outcome::pass("Delete returned `result: null`")),
        Some(Value::Object(o)) if o.is_empty() => Ok(Outcome::pass("Delete returned `result: {}`")),
        other => Ok(Outcome::fail(
            "Delete's result is not null or {}",
            "a `result` key holding null or {}",
            format!(
                "{}; {}",
                other.map_or("no `result` key".into(), expect::show),
                expect::describe(&d)
            ),
        )),
    }
}

/// The JRPC cases, in digest order.
pub(crate) const CASES: &[Case] = &[
    JRPC_001, JRPC_002, JRPC_003, JRPC_004, JRPC_005, JRPC_006, JRPC_007, JRPC_008, JRPC_009,
    JRPC_010, JRPC_011, JRPC_012, JRPC_013, JRPC_014, JRPC_015,
];
