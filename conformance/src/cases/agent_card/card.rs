//! Cases for CARD (digest §9.3, CARD-001 to CARD-011): the agent card: its discovery, required
//! fields, interfaces, skills, security schemes, caching, signatures, and interfaces that behave
//! alike.

use serde_json::{json, Value};

use crate::case::{Binding, Bindings, Case, Checks, Exec, Judged, Level, Outcome};
use crate::client::{user_message, A2aClient, CallOpts, Reply};
use crate::context::Ctx;
use crate::driver;
use crate::expect;
use crate::probe::{RawRequest, RawResponse};
use crate::spec::{ErrorCode, Method};

/// `scheme://host[:port]` of a URL.
pub(crate) fn origin(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    match url[start..].find('/') {
        Some(i) => url[..start + i].to_owned(),
        None => url.to_owned(),
    }
}

/// Fetches the well-known card.
async fn fetch_card(ctx: &Ctx) -> Result<RawResponse, Outcome> {
    let url = format!(
        "{}/.well-known/agent-card.json",
        origin(&ctx.target().base_url)
    );
    let mut req = RawRequest::new("GET", url).header("A2A-Version", "1.0");
    if let Some(t) = ctx.target().tokens.first() {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    ctx.probe().send(req).await.map_err(expect::probe)
}

/// CARD-001: the well-known card is served.
pub(crate) const CARD_001: Case = Case {
    id: "CARD-001",
    level: Level::Must,
    bindings: Bindings::Once,
    needs: &[],
    title: "GET /.well-known/agent-card.json with `A2A-Version: 1.0`",
    requirement: "returns an AgentCard as JSON",
    spec: "§8.1, §14.3",
    exec: Exec::Run(crate::run_fn!(card_001)),
};
async fn card_001(ctx: Ctx) -> Judged {
    let raw = fetch_card(&ctx).await?;
    let observed = || {
        format!(
            "HTTP {} ({}): {}",
            raw.status,
            raw.header("content-type").unwrap_or("-"),
            expect::clip(&String::from_utf8_lossy(&raw.body), 200)
        )
    };
    if raw.status != 200 {
        return Ok(Outcome::fail(
            "agent card not served",
            "HTTP 200 with an AgentCard",
            observed(),
        ));
    }
    let is_card = raw
        .json
        .as_ref()
        .is_some_and(|j| j.get("name").is_some() && j.get("supportedInterfaces").is_some());
    if !is_card {
        return Ok(Outcome::fail(
            "the well-known resource is not an AgentCard",
            "a JSON AgentCard (name, supportedInterfaces, …)",
            observed(),
        ));
    }
    match raw.media_type().as_deref() {
        Some("application/json") | Some("application/a2a+json") => {
            Ok(Outcome::pass("AgentCard served as JSON"))
        }
        other => Err(Outcome::non_strict(
            "AgentCard served with an unusual content type",
            "application/json",
            other.unwrap_or("none").to_owned(),
        )),
    }
}

/// CARD-002: REQ fields.
pub(crate) const CARD_002: Case = Case {
    id: "CARD-002",
    level: Level::Must,
    bindings: Bindings::Once,
    needs: &[],
    title: "read the card's top-level fields",
    requirement: "name, description, supportedInterfaces (≥1), version, capabilities, defaultInputModes, defaultOutputModes, skills present",
    spec: "proto",
    exec: Exec::Run(crate::run_fn!(card_002)),
};
async fn card_002(ctx: Ctx) -> Judged {
    expect::agent_card_shape(&ctx.target().card)?;
    Ok(Outcome::pass("all REQ card fields present"))
}

/// CARD-003: interface REQ fields.
pub(crate) const CARD_003: Case = Case {
    id: "CARD-003",
    level: Level::Must,
    bindings: Bindings::Once,
    needs: &[],
    title: "read every supportedInterfaces entry",
    requirement: "each has url, protocolBinding and protocolVersion",
    spec: "proto",
    exec: Exec::Run(crate::run_fn!(card_003)),
};
async fn card_003(ctx: Ctx) -> Judged {
    expect::interfaces_shape(&ctx.target().card)?;
    Ok(Outcome::pass(
        "every interface has url, protocolBinding, protocolVersion",
    ))
}

fn interfaces(ctx: &Ctx) -> Vec<Value> {
    ctx.target()
        .card
        .get("supportedInterfaces")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// CARD-004: every declared JSONRPC / HTTP+JSON interface works at its URL.
pub(crate) const CARD_004: Case = Case {
    id: "CARD-004",
    level: Level::Must,
    bindings: Bindings::Once,
    needs: &[],
    title: "GetTask of an unknown id through every declared JSONRPC and HTTP+JSON interface",
    requirement: "every declared interface answers A2A at its URL",
    spec: "§5.2, §8.3.1",
    exec: Exec::Run(crate::run_fn!(card_004)),
};
async fn card_004(ctx: Ctx) -> Judged {
    let mut checks = Checks::new();
    let mut checked = 0;
    for iface in interfaces(&ctx) {
        let binding = match iface.get("protocolBinding").and_then(Value::as_str) {
            Some("JSONRPC") => Binding::JsonRpc,
            Some("HTTP+JSON") => Binding::Rest,
            _ => continue,
        };
        if iface.get("protocolVersion").and_then(Value::as_str) != Some("1.0") {
            continue;
        }
        let Some(url) = iface.get("url").and_then(Value::as_str) else {
            continue;
        };
        let client = A2aClient {
            binding,
            base_url: url.to_owned(),
            tenant: iface
                .get("tenant")
                .and_then(Value::as_str)
                .map(str::to_owned),
            default_bearer: ctx.target().tokens.first().cloned(),
            default_extensions: ctx.target().required_extensions.clone(),
            probe: ctx.probe().clone(),
        };
        let missing = ctx.unique("card-004-missing");
        let answer = client
            .call(Method::GetTask, json!({ "id": missing }))
            .await
            .map_err(expect::probe)?;
        let judged = expect::error_is(&answer, ErrorCode::TaskNotFound).map_err(|o| Outcome {
            summary: format!(
                "{} interface at {url}: {}",
                binding.protocol_binding(),
                o.summary
            ),
            ..o
        });
        checked += 1;
        checks.check(judged);
    }
    if checked == 0 {
        return Ok(Outcome::not_applicable(
            "no 1.0 JSONRPC or HTTP+JSON interface declared",
        ));
    }
    checks.finish(format!(
        "{checked} declared interfaces answered A2A at their URLs"
    ))
}

/// CARD-005: binding names.
pub(crate) const CARD_005: Case = Case {
    id: "CARD-005",
    level: Level::Should,
    bindings: Bindings::Once,
    needs: &[],
    title: "read every interface's protocolBinding",
    requirement: "core names spelled exactly JSONRPC / GRPC / HTTP+JSON; custom bindings are URIs",
    spec: "§8.3.1, §5.8",
    exec: Exec::Run(crate::run_fn!(card_005)),
};
async fn card_005(ctx: Ctx) -> Judged {
    let mut checks = Checks::new();
    for (i, iface) in interfaces(&ctx).iter().enumerate() {
        let b = iface
            .get("protocolBinding")
            .and_then(Value::as_str)
            .unwrap_or("");
        let core = ["JSONRPC", "GRPC", "HTTP+JSON"];
        if core.contains(&b) {
            continue;
        }
        let near_core = core.iter().any(|c| c.eq_ignore_ascii_case(b))
            || ["JSON-RPC", "REST", "HTTP", "HTTP_JSON", "GRPC"]
                .iter()
                .any(|c| c.eq_ignore_ascii_case(b));
        if near_core || !b.contains(':') {
            checks.add(Outcome::fail(
                format!("supportedInterfaces[{i}].protocolBinding `{b}` is misspelt or not a URI"),
                "exactly JSONRPC, GRPC or HTTP+JSON; a URI for a custom binding",
                expect::show(iface),
            ));
        }
    }
    checks.finish("binding names are exact (preference order cannot be judged from outside)")
}

/// CARD-006: skill fields.
pub(crate) const CARD_006: Case = Case {
    id: "CARD-006",
    level: Level::Must,
    bindings: Bindings::Once,
    needs: &[],
    title: "read every skill",
    requirement: "each skill has id, name, description and tags",
    spec: "proto",
    exec: Exec::Run(crate::run_fn!(card_006)),
};
async fn card_006(ctx: Ctx) -> Judged {
    let skills = ctx
        .target()
        .card
        .get("skills")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut checks = Checks::new();
    let mut empty_tags = Vec::new();
    for (i, s) in skills.iter().enumerate() {
        let str_ok = |k: &str| {
            s.get(k)
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty())
        };
        if !str_ok("id") || !str_ok("name") || !str_ok("description") {
            checks.add(Outcome::fail(
                format!("skills[{i}] lacks REQ fields"),
                "id, name, description and tags",
                expect::show(s),
            ));
        }
        match s.get("tags").and_then(Value::as_array) {
            Some(t) if !t.is_empty() => {}
            _ => empty_tags.push(i),
        }
    }
    if !empty_tags.is_empty() {
        checks.add(Outcome::non_strict(
            "skills with empty or absent `tags`",
            "tags with at least one entry (empty arrays are omitted by ProtoJSON, so this warns)",
            format!("skills {empty_tags:?}"),
        ));
    }
    checks.finish(format!("{} skills well-formed", skills.len()))
}

const SCHEME_KEYS: [&str; 5] = [
    "apiKeySecurityScheme",
    "httpAuthSecurityScheme",
    "oauth2SecurityScheme",
    "openIdConnectSecurityScheme",
    "mtlsSecurityScheme",
];

const FLOW_KEYS: [&str; 5] = [
    "authorizationCode",
    "clientCredentials",
    "deviceCode",
    "implicit",
    "password",
];

/// Checks one `securityRequirements` array.
fn requirements_ok(reqs: &Value, at: &str) -> Result<(), Outcome> {
    let fail = |v: &Value| {
        Outcome::fail(
            format!("{at} has the wrong shape"),
            "[{\"schemes\":{\"<name>\":{\"list\":[\"scope\",…]}}}]",
            expect::show(v),
        )
    };
    let Some(list) = reqs.as_array() else {
        return Err(fail(reqs));
    };
    for r in list {
        let Some(schemes) = r.get("schemes").and_then(Value::as_object) else {
            return Err(fail(r));
        };
        for v in schemes.values() {
            let ok = v.as_object().is_some_and(|o| {
                o.keys().all(|k| k == "list")
                    && o.get("list").is_none_or(|l| {
                        l.as_array().is_some_and(|a| a.iter().all(Value::is_string))
                    })
            });
            if !ok {
                return Err(fail(r));
            }
        }
    }
    Ok(())
}

/// CARD-007: security scheme and requirement shapes.
pub(crate) const CARD_007: Case = Case {
    id: "CARD-007",
    level: Level::Must,
    bindings: Bindings::Once,
    needs: &[],
    title: "read securitySchemes and securityRequirements",
    requirement:
        "oneof wrapper keys for schemes and OAuth flows; `{schemes:{name:{list:[]}}}` requirements",
    spec: "proto",
    exec: Exec::Run(crate::run_fn!(card_007)),
};
async fn card_007(ctx: Ctx) -> Judged {
    let card = &ctx.target().card;
    let schemes = card.get("securitySchemes").and_then(Value::as_object);
    let reqs = card.get("securityRequirements");
    if schemes.is_none() && reqs.is_none() {
        return Ok(Outcome::not_applicable("the card declares no security"));
    }
    let mut checks = Checks::new();
    for (name, scheme) in schemes.into_iter().flatten() {
        let keys: Vec<&String> = scheme
            .as_object()
            .map(|o| {
                o.keys()
                    .filter(|k| SCHEME_KEYS.contains(&k.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        let only = scheme.as_object().is_some_and(|o| o.len() == 1);
        if keys.len() != 1 || !only {
            checks.add(Outcome::fail(
                format!("securitySchemes.{name} is not a oneof wrapper"),
                format!("exactly one of {SCHEME_KEYS:?}"),
                expect::show(scheme),
            ));
            continue;
        }
        let inner = &scheme[keys[0].as_str()];
        let has = |k: &str| inner.get(k).is_some_and(|v| !v.is_null());
        let ok = match keys[0].as_str() {
            "apiKeySecurityScheme" => has("location") && has("name"),
            "httpAuthSecurityScheme" => has("scheme"),
            "openIdConnectSecurityScheme" => has("openIdConnectUrl"),
            "oauth2SecurityScheme" => inner
                .get("flows")
                .and_then(Value::as_object)
                .is_some_and(|f| f.len() == 1 && f.keys().all(|k| FLOW_KEYS.contains(&k.as_str()))),
            _ => true,
        };
        if !ok {
            checks.add(Outcome::fail(
                format!("securitySchemes.{name} lacks REQ fields or has a bad `flows` oneof"),
                "apiKey: location+name; httpAuth: scheme; openIdConnect: openIdConnectUrl; oauth2: flows with exactly one of authorizationCode/clientCredentials/deviceCode/implicit/password",
                expect::show(scheme),
            ));
        }
    }
    if let Some(r) = reqs {
        checks.check(requirements_ok(r, "securityRequirements"));
    }
    for (i, skill) in card
        .get("skills")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(r) = skill.get("securityRequirements") {
            checks.check(requirements_ok(
                r,
                &format!("skills[{i}].securityRequirements"),
            ));
        }
    }
    checks.finish("security schemes and requirements use the 1.0 shapes")
}

/// CARD-008: caching headers.
pub(crate) const CARD_008: Case = Case {
    id: "CARD-008",
    level: Level::Should,
    bindings: Bindings::Once,
    needs: &[],
    title: "GET the card and read its caching headers",
    requirement: "`Cache-Control` with `max-age`, and an `ETag`",
    spec: "§8.6.1",
    exec: Exec::Run(crate::run_fn!(card_008)),
};
async fn card_008(ctx: Ctx) -> Judged {
    let raw = fetch_card(&ctx).await?;
    let cc = raw.header("cache-control").unwrap_or("");
    let max_age = cc
        .split(',')
        .any(|d| d.trim().to_ascii_lowercase().starts_with("max-age="));
    let etag = raw.header("etag").is_some();
    if max_age && etag {
        return Ok(Outcome::pass(format!("Cache-Control `{cc}` and an ETag")));
    }
    Ok(Outcome::fail(
        "agent card lacks caching headers",
        "Cache-Control: max-age=… and ETag",
        format!(
            "Cache-Control: {}; ETag: {}",
            if cc.is_empty() { "absent" } else { cc },
            raw.header("etag").unwrap_or("absent")
        ),
    ))
}

pub(crate) const CARD_009: Case = Case {
    id: "CARD-009",
    level: Level::Should,
    bindings: Bindings::Once,
    needs: &[],
    title: "review the public card",
    requirement: "no secrets in the public card",
    spec: "§14.3",
    exec: Exec::Manual("whether a value is a secret cannot be judged from the wire (digest: NT)"),
};

/// CARD-010: signature structure.
pub(crate) const CARD_010: Case = Case {
    id: "CARD-010",
    level: Level::Must,
    bindings: Bindings::Once,
    needs: &[],
    title: "read `signatures`, decode each protected header",
    requirement: "each signature has `protected` and `signature`; the header has `alg` and `kid` (`typ` SHOULD be JOSE)",
    spec: "§8.4",
    exec: Exec::Run(crate::run_fn!(card_010)),
};
async fn card_010(ctx: Ctx) -> Judged {
    let Some(sigs) = ctx.target().card.get("signatures") else {
        return Ok(Outcome::not_applicable("the card carries no signatures"));
    };
    let Some(list) = sigs.as_array() else {
        return Ok(Outcome::fail(
            "`signatures` is not an array",
            "[AgentCardSignature]",
            expect::show(sigs),
        ));
    };
    if list.is_empty() {
        // `[]` is the ProtoJSON default of a repeated field: no signatures.
        return Ok(Outcome::not_applicable(
            "the card carries no signatures (`signatures: []`)",
        ));
    }
    let mut checks = Checks::new();
    let mut no_jose = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let protected = s.get("protected").and_then(Value::as_str);
        let signature = s.get("signature").and_then(Value::as_str);
        let (Some(protected), Some(signature)) = (protected, signature) else {
            checks.add(Outcome::fail(
                format!("signatures[{i}] lacks `protected` or `signature`"),
                "protected and signature (base64url strings)",
                expect::show(s),
            ));
            continue;
        };
        let header =
            expect::decode_base64(protected).and_then(|b| serde_json::from_slice::<Value>(&b).ok());
        match header {
            None => checks.add(Outcome::fail(
                format!("signatures[{i}].protected is not base64url JSON"),
                "a base64url-encoded JWS protected header",
                expect::clip(protected, 120),
            )),
            Some(header) => {
                if header.get("alg").and_then(Value::as_str).is_none()
                    || header.get("kid").and_then(Value::as_str).is_none()
                {
                    checks.add(Outcome::fail(
                        format!("signatures[{i}] protected header lacks `alg` or `kid`"),
                        "alg and kid in the protected header",
                        expect::show(&header),
                    ));
                }
                if header.get("typ").and_then(Value::as_str) != Some("JOSE") {
                    no_jose.push(i);
                }
            }
        }
        if !expect::base64_ok(signature) {
            checks.add(Outcome::fail(
                format!("signatures[{i}].signature is not base64url"),
                "a base64url signature",
                expect::clip(signature, 120),
            ));
        }
    }
    if !no_jose.is_empty() {
        checks.add(Outcome::non_strict(
            "a protected header has no `typ: JOSE`",
            "typ JOSE (SHOULD)",
            format!("typ absent or different in signatures {no_jose:?}"),
        ));
    }
    if checks.failed() {
        return checks.finish("");
    }
    Ok(Outcome::info(format!(
        "{} signatures well-formed; cryptographic verification over the JCS form is not performed by this suite",
        list.len()
    )))
}

/// CARD-011: both interfaces are functionally equivalent.
pub(crate) const CARD_011: Case = Case {
    id: "CARD-011",
    level: Level::Must,
    bindings: Bindings::Once,
    needs: &[],
    title: "the same send, get and failing calls (unknown task, bad historyLength, version 9.9) on JSON-RPC and on REST",
    requirement: "both interfaces give the same results and errors (ids and timestamps aside)",
    spec: "§5.1",
    exec: Exec::Run(crate::run_fn!(card_011)),
};
async fn card_011(ctx: Ctx) -> Judged {
    if ctx.target().jsonrpc_url.is_none() || ctx.target().rest_url.is_none() {
        return Ok(Outcome::not_applicable(
            "needs both a JSONRPC and an HTTP+JSON interface",
        ));
    }
    let rpc = ctx.client_for(Binding::JsonRpc);
    let rest = ctx.client_for(Binding::Rest);
    let text = format!("echo {}", ctx.unique("equivalence"));
    let mut checks = Checks::new();
    let mut compared = Vec::new();

    // Results of the same send.
    let (_, a) = driver::send_ok(&rpc, &text, Value::Null, Value::Null).await?;
    let (_, b) = driver::send_ok(&rest, &text, Value::Null, Value::Null).await?;
    checks.check(differ("SendMessage result", &a, &b));
    compared.push("SendMessage");

    // GetTask of the task each created.
    if let (Some(ta), Some(tb)) = (
        expect::task_of(&a).and_then(expect::id_of),
        expect::task_of(&b).and_then(expect::id_of),
    ) {
        let ga = rpc
            .call(Method::GetTask, json!({"id": ta}))
            .await
            .map_err(expect::probe)?;
        let gb = rest
            .call(Method::GetTask, json!({"id": tb}))
            .await
            .map_err(expect::probe)?;
        checks.check(same_kind("GetTask", &ga, &gb));
        if let (Some(x), Some(y)) = (ga.ok(), gb.ok()) {
            checks.check(differ("GetTask result", x, y));
        }
        // Each binding sees the other's task too (same store, same operations).
        let cross = rest
            .call(Method::GetTask, json!({"id": ta}))
            .await
            .map_err(expect::probe)?;
        checks.check(same_kind("GetTask across bindings", &ga, &cross));
        compared.push("GetTask");
    }

    // The same failures, provoked by requests every conformant server refuses (whether each is
    // refused at all is judged by its own row; here only the two answers are compared).
    let missing = ctx.unique("missing");
    let failures = [
        (
            Method::GetTask,
            json!({"id": missing}),
            "GetTask of an unknown id",
        ),
        (
            Method::CancelTask,
            json!({"id": missing}),
            "CancelTask of an unknown id",
        ),
        (
            Method::SendMessage,
            json!({"message": user_message(&text), "configuration": {"historyLength": -1}}),
            "SendMessage with historyLength -1",
        ),
        (
            Method::GetExtendedAgentCard,
            json!({}),
            "GetExtendedAgentCard",
        ),
    ];
    for (method, params, what) in failures {
        let x = rpc
            .call(method, params.clone())
            .await
            .map_err(expect::probe)?;
        let y = rest.call(method, params).await.map_err(expect::probe)?;
        checks.check(same_kind(what, &x, &y));
        compared.push(what);
    }
    let opts = || CallOpts {
        version: Some(Some("9.9".into())),
        ..CallOpts::default()
    };
    let params = json!({"message": user_message(&text)});
    let x = rpc
        .call_with(Method::SendMessage, params.clone(), opts())
        .await
        .map_err(expect::probe)?;
    let y = rest
        .call_with(Method::SendMessage, params, opts())
        .await
        .map_err(expect::probe)?;
    checks.check(same_kind("A2A-Version 9.9", &x, &y));
    compared.push("A2A-Version 9.9");

    // Authentication is judged the same way when the card declares it.
    if ctx.target().auth {
        let anon = || CallOpts {
            bearer: Some(None),
            ..CallOpts::default()
        };
        let x = rpc
            .call_with(Method::ListTasks, json!({}), anon())
            .await
            .map_err(expect::probe)?;
        let y = rest
            .call_with(Method::ListTasks, json!({}), anon())
            .await
            .map_err(expect::probe)?;
        let rejected = |a: &crate::client::Answer| !matches!(a.reply, Reply::Ok(_));
        if rejected(&x) != rejected(&y) {
            checks.add(Outcome::fail(
                "authentication differs between the bindings",
                "an unauthenticated ListTasks is rejected on both or neither",
                format!(
                    "JSON-RPC: {}; REST: {}",
                    expect::describe(&x),
                    expect::describe(&y)
                ),
            ));
        }
        compared.push("unauthenticated ListTasks");
    }
    checks.finish(format!("bindings agree on: {}", compared.join(", ")))
}

fn differ(what: &str, a: &Value, b: &Value) -> Result<(), Outcome> {
    match expect::first_difference(&expect::normalise(a), &expect::normalise(b), "$") {
        None => Ok(()),
        Some(d) => Err(Outcome::fail(
            format!("{what} differs between JSON-RPC and REST"),
            "the same result on both bindings (ids and timestamps aside)",
            d,
        )),
    }
}

fn same_kind(
    what: &str,
    a: &crate::client::Answer,
    b: &crate::client::Answer,
) -> Result<(), Outcome> {
    let (x, y) = (expect::AnswerKind::of(a), expect::AnswerKind::of(b));
    if x.agrees_with(&y) {
        Ok(())
    } else {
        Err(Outcome::fail(
            format!("{what}: the bindings disagree"),
            "the same outcome (the same A2A error) on both bindings",
            format!("JSON-RPC: {x}; REST: {y}"),
        ))
    }
}

/// The CARD cases, in digest order.
pub(crate) const CASES: &[Case] = &[
    CARD_001, CARD_002, CARD_003, CARD_004, CARD_005, CARD_006, CARD_007, CARD_008, CARD_009,
    CARD_010, CARD_011,
];
