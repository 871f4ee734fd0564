//! Cases for VER: versioning and service parameters (digest §9.2, §4).
//!
//! Every request carries one fault only: a valid SendMessage whose `A2A-Version` is changed.

use serde_json::{json, Value};

use crate::case::{Binding, Bindings, Case, Exec, Judged, Level, Outcome};
use crate::client::{user_message, Answer, CallOpts, Reply};
use crate::context::Ctx;
use crate::expect;
use crate::spec::{ErrorCode, Method};

/// The VER cases, in digest order.
pub(crate) const CASES: &[Case] = &[
    Case {
        id: "VER-001",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "SendMessage with `A2A-Version: 1.0`",
        requirement: "a 1.0 interface accepts version 1.0",
        spec: "§3.6.2",
        exec: Exec::Run(crate::run_fn!(ver_001)),
    },
    Case {
        id: "VER-002",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "SendMessage with `A2A-Version: 9.9` (and `0.3` on a 1.0-only interface)",
        requirement: "VersionNotSupportedError (-32009 / 400 VERSION_NOT_SUPPORTED)",
        spec: "§3.6.2, §5.4",
        exec: Exec::Run(crate::run_fn!(ver_002)),
    },
    Case {
        id: "VER-003",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "SendMessage with no `A2A-Version` header, and with an empty one",
        requirement: "treated as 0.3: a 1.0-only interface answers VersionNotSupportedError",
        spec: "§3.6.2",
        exec: Exec::Run(crate::run_fn!(ver_003)),
    },
    Case {
        id: "VER-004",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "SendMessage with `A2A-Version: 1.0.1`",
        requirement: "the patch is ignored: handled as 1.0 (the SDKs differ, so a refusal warns)",
        spec: "§3.6",
        exec: Exec::Run(crate::run_fn!(ver_004)),
    },
    Case {
        id: "VER-005",
        level: Level::Must,
        bindings: Bindings::Once,
        needs: &[],
        title: "read `protocolVersion` of every card interface",
        requirement: "present and Major.Minor (a patch SHOULD NOT appear)",
        spec: "proto, §3.6",
        exec: Exec::Run(crate::run_fn!(ver_005)),
    },
    Case {
        id: "VER-006",
        level: Level::May,
        bindings: Bindings::Each,
        needs: &[],
        title: "SendMessage with `?A2A-Version=1.0` in the query and no header",
        requirement: "the query form is accepted",
        spec: "§3.6.1",
        exec: Exec::Run(crate::run_fn!(ver_006)),
    },
    Case {
        id: "VER-007",
        level: Level::Must,
        bindings: Bindings::Each,
        needs: &[],
        title: "SendMessage with the header spelled `a2a-version` and `A2A-VERSION`",
        requirement: "service parameter names are case-insensitive",
        spec: "§9.2, §11.2",
        exec: Exec::Run(crate::run_fn!(ver_007)),
    },
];

/// A valid SendMessage with `opts`.
async fn send(ctx: &Ctx, opts: CallOpts) -> Result<Answer, Outcome> {
    let msg = user_message(&format!("echo {}", ctx.unique("ver")));
    ctx.client()
        .call_with(Method::SendMessage, json!({ "message": msg }), opts)
        .await
        .map_err(expect::probe)
}

fn version(v: Option<&str>) -> CallOpts {
    CallOpts {
        version: Some(v.map(str::to_owned)),
        ..CallOpts::default()
    }
}

/// Whether the card lists this binding with a protocolVersion starting `prefix`.
fn declares(ctx: &Ctx, binding: Binding, prefix: &str) -> bool {
    ctx.target()
        .card
        .get("supportedInterfaces")
        .and_then(Value::as_array)
        .is_some_and(|l| {
            l.iter().any(|i| {
                i.get("protocolBinding").and_then(Value::as_str) == Some(binding.protocol_binding())
                    && i.get("protocolVersion")
                        .and_then(Value::as_str)
                        .is_some_and(|v| v.starts_with(prefix))
            })
        })
}

/// VER-001: version 1.0 is accepted.
async fn ver_001(ctx: Ctx) -> Judged {
    let answer = send(&ctx, CallOpts::default()).await?;
    expect::ok(&answer, "SendMessage with A2A-Version 1.0")?;
    Ok(Outcome::pass("A2A-Version 1.0 accepted"))
}

/// VER-002: unsupported versions give VersionNotSupportedError.
async fn ver_002(ctx: Ctx) -> Judged {
    let mut tried = vec!["9.9"];
    let answer = send(&ctx, version(Some("9.9"))).await?;
    expect::error_is(&answer, ErrorCode::VersionNotSupported)?;
    if !declares(&ctx, ctx.binding(), "0.") {
        let answer = send(&ctx, version(Some("0.3"))).await?;
        expect::error_is(&answer, ErrorCode::VersionNotSupported)?;
        tried.push("0.3");
    }
    Ok(Outcome::pass(format!(
        "VersionNotSupportedError for A2A-Version {}",
        tried.join(" and ")
    )))
}

/// VER-003: missing or empty header means 0.3.
async fn ver_003(ctx: Ctx) -> Judged {
    let dual = declares(&ctx, ctx.binding(), "0.");
    for (v, what) in [(None, "no header"), (Some(""), "an empty header")] {
        let answer = send(&ctx, version(v)).await?;
        if dual {
            // 0.3 semantics: a 0.3 handler may not know the 1.0 request at all; any A2A answer
            // other than a server failure is acceptable.
            expect::a2a_answer(&answer)?;
            if answer.raw.status >= 500 {
                return Ok(Outcome::fail(
                    format!("{what}: server error"),
                    "a 0.3-semantics answer (dual-stack interface)",
                    expect::describe(&answer),
                ));
            }
        } else {
            expect::error_is(&answer, ErrorCode::VersionNotSupported).map_err(|o| Outcome {
                summary: format!("{what}: {}", o.summary),
                ..o
            })?;
        }
    }
    Ok(Outcome::pass(if dual {
        "dual-stack interface answered header-less requests without failing"
    } else {
        "1.0-only interface refused a missing and an empty A2A-Version"
    }))
}

/// VER-004: the patch number is ignored.
async fn ver_004(ctx: Ctx) -> Judged {
    let answer = send(&ctx, version(Some("1.0.1"))).await?;
    match &answer.reply {
        Reply::Ok(_) => Ok(Outcome::pass("A2A-Version 1.0.1 handled as 1.0")),
        _ => Err(Outcome::non_strict(
            "A2A-Version 1.0.1 was not handled as 1.0 (SDKs differ here)",
            "success: patch numbers do not count in negotiation",
            expect::describe(&answer),
        )),
    }
}

/// VER-005: every interface's protocolVersion is Major.Minor.
async fn ver_005(ctx: Ctx) -> Judged {
    let Some(list) = ctx
        .target()
        .card
        .get("supportedInterfaces")
        .and_then(Value::as_array)
    else {
        return Ok(Outcome::fail(
            "card has no supportedInterfaces",
            "supportedInterfaces with protocolVersion on each",
            "absent",
        ));
    };
    let mut patched = Vec::new();
    for (i, iface) in list.iter().enumerate() {
        let v = iface
            .get("protocolVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let nums: Vec<&str> = v.split('.').collect();
        let numeric = nums
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !numeric || nums.len() < 2 || nums.len() > 3 {
            return Ok(Outcome::fail(
                format!("supportedInterfaces[{i}].protocolVersion is not Major.Minor"),
                "\"1.0\"-style Major.Minor",
                expect::show(iface),
            ));
        }
        if nums.len() == 3 {
            patched.push(format!("[{i}] {v}"));
        }
    }
    if !patched.is_empty() {
        return Err(Outcome::non_strict(
            "protocolVersion carries a patch number",
            "Major.Minor only (patch SHOULD NOT be given)",
            patched.join(", "),
        ));
    }
    Ok(Outcome::pass(format!(
        "{} interfaces declare Major.Minor",
        list.len()
    )))
}

/// VER-006: the query-parameter form.
async fn ver_006(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let msg = user_message(&format!("echo {}", ctx.unique("ver-query")));
    let mut req = client.request(
        Method::SendMessage,
        &json!({ "message": msg }),
        &version(None),
    );
    let sep = if req.url.contains('?') { '&' } else { '?' };
    req.url = format!("{}{sep}A2A-Version=1.0", req.url);
    let answer = client.send_raw(req).await.map_err(expect::probe)?;
    match &answer.reply {
        Reply::Ok(_) => Ok(Outcome::pass("`?A2A-Version=1.0` accepted")),
        _ => Ok(Outcome::info(format!(
            "`?A2A-Version=1.0` not honoured (a client MAY send it; no SDK reads it): {}",
            expect::describe(&answer)
        ))),
    }
}

/// VER-007: header names are case-insensitive.
async fn ver_007(ctx: Ctx) -> Judged {
    for name in ["a2a-version", "A2A-VERSION"] {
        let opts = CallOpts {
            version: Some(None),
            headers: vec![(name.to_owned(), "1.0".to_owned())],
            ..CallOpts::default()
        };
        let answer = send(&ctx, opts).await?;
        expect::ok(&answer, &format!("SendMessage with `{name}: 1.0`"))?;
    }
    Ok(Outcome::pass(
        "`a2a-version` and `A2A-VERSION` both accepted",
    ))
}
