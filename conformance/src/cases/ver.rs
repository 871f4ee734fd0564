//! Cases for VER: versioning and service parameters (digest §9.2, §4).
//!
//! Every request carries one fault only: a valid SendMessage whose `A2A-Version` is changed.
//! A row about accepting a version also shows that the server reads the header at all (a
//! `9.9` is refused); otherwise its acceptance shows nothing and the row is UNTESTED, while
//! VER-002 judges the server that ignores the header.

use serde_json::{json, Value};

use crate::case::{Binding, Bindings, Case, Checks, Exec, Judged, Level, Outcome};
use crate::cases::support::{self, tag};
use crate::client::{user_message, Answer, CallOpts, Reply};
use crate::context::Ctx;
use crate::expect;
use crate::spec::{ErrorCode, Method};

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

/// `Major.Minor` of a version string (`0.3.0` → `0.3`); a bare major stays as it is.
fn major_minor(v: &str) -> String {
    v.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// The `Major.Minor` versions the card declares for this binding.
fn declared(ctx: &Ctx, binding: Binding) -> Vec<String> {
    support::card_interfaces(ctx)
        .filter(|i| {
            i.get("protocolBinding").and_then(Value::as_str) == Some(binding.protocol_binding())
        })
        .filter_map(|i| i.get("protocolVersion").and_then(Value::as_str))
        .map(major_minor)
        .collect()
}

/// Whether the card declares a 0.x version for this binding (a dual-stack interface).
fn dual_stack(ctx: &Ctx) -> bool {
    declared(ctx, ctx.binding())
        .iter()
        .any(|v| v.starts_with("0."))
}

/// The negative half of every positive version row: whether the server reads `A2A-Version`
/// at all, shown by its refusing a valid request that says `A2A-Version: 9.9`. (Which error it
/// uses is VER-002's to judge.)
async fn reads_version(ctx: &Ctx) -> Result<bool, Outcome> {
    let answer = send(ctx, version(Some("9.9"))).await?;
    Ok(answer.ok().is_none())
}

/// UNTESTED for a positive version row on a server that serves `A2A-Version: 9.9`: its
/// accepting `what` cannot be told from its ignoring the header. The deviation itself is
/// VER-002's.
fn header_unread(what: &str) -> Outcome {
    Outcome::untested(
        format!(
            "the server does not read A2A-Version (a request with `A2A-Version: 9.9` was served \
             too, see VER-002), so {what} shows nothing"
        ),
        "a server that refuses unsupported versions (VER-002); then accepting a supported \
         version can be told from ignoring the header",
    )
}

/// VER-001: version 1.0 is accepted, by a server that reads the header.
pub(crate) const VER_001: Case = Case {
    id: "VER-001",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "SendMessage with `A2A-Version: 1.0`",
    requirement: "a 1.0 interface accepts version 1.0 (judged once 9.9 is seen refused)",
    spec: "§3.6.2",
    exec: Exec::Run(crate::run_fn!(ver_001)),
};
async fn ver_001(ctx: Ctx) -> Judged {
    let answer = send(&ctx, CallOpts::default()).await?;
    expect::ok(&answer, "SendMessage with A2A-Version 1.0")?;
    if !reads_version(&ctx).await? {
        return Err(header_unread("accepting `A2A-Version: 1.0`"));
    }
    Ok(Outcome::pass(
        "A2A-Version 1.0 accepted (and 9.9 refused, so the header is read)",
    ))
}

/// Versions no 1.0 interface supports unless its card says so: a far future, the next major,
/// unreleased minors (a major-only comparison accepts them), a bare major, and 0.3.
const UNSUPPORTED: [&str; 6] = ["9.9", "2.0", "1.1", "1.7", "1", "0.3"];

/// VER-002: unsupported versions give VersionNotSupportedError.
pub(crate) const VER_002: Case = Case {
    id: "VER-002",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "SendMessage with `A2A-Version` 9.9, 2.0, 1.1, 1.7, 1 and 0.3 (each unless the card declares it)",
    requirement: "VersionNotSupportedError (-32009 / 400 VERSION_NOT_SUPPORTED)",
    spec: "§3.6.2, §5.4",
    exec: Exec::Run(crate::run_fn!(ver_002)),
};
async fn ver_002(ctx: Ctx) -> Judged {
    let declared = declared(&ctx, ctx.binding());
    let mut checks = Checks::new();
    let mut refused = Vec::new();
    for v in UNSUPPORTED {
        if declared.iter().any(|d| d == v) {
            checks.note(format!("{v} not tried: the card declares it"));
            continue;
        }
        let answer = send(&ctx, version(Some(v))).await?;
        match (
            &answer.reply,
            expect::error_is(&answer, ErrorCode::VersionNotSupported),
        ) {
            (_, Ok(_)) => refused.push(v),
            (Reply::Ok(_), Err(_)) => checks.add(Outcome::fail(
                format!("`A2A-Version: {v}` was served as if it were a supported version"),
                format!(
                    "{} (the card declares {})",
                    expect::expected_error(ErrorCode::VersionNotSupported),
                    if declared.is_empty() {
                        "no version".to_owned()
                    } else {
                        declared.join(", ")
                    }
                ),
                expect::describe(&answer),
            )),
            (_, Err(o)) => checks.add(tag(&format!("`A2A-Version: {v}`"))(o)),
        }
    }
    checks.finish(format!(
        "VersionNotSupportedError for A2A-Version {}",
        refused.join(", ")
    ))
}

/// Whether a SendMessage result is a 1.0 answer: a SendMessageResponse wrapper (`task` /
/// `message`) with no 0.3 marks inside (`kind` discriminators, the 0.3 REST `content` key).
fn one_dot_zero_answer(result: &Value) -> bool {
    fn has_03_marks(v: &Value) -> bool {
        match v {
            Value::Object(o) => o.iter().any(|(k, v)| {
                k == "kind" || k == "content" || (k != "metadata" && k != "data" && has_03_marks(v))
            }),
            Value::Array(a) => a.iter().any(has_03_marks),
            _ => false,
        }
    }
    let wrapped = result.get("task").is_some_and(Value::is_object)
        || result.get("message").is_some_and(Value::is_object);
    wrapped && !has_03_marks(result)
}

/// VER-003: a missing or empty header means 0.3.
pub(crate) const VER_003: Case = Case {
    id: "VER-003",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "SendMessage with no `A2A-Version` header, and with an empty one",
    requirement: "treated as 0.3: VersionNotSupportedError on a 1.0-only interface, 0.3 semantics on a dual-stack one; 1.0 semantics fail",
    spec: "§3.6.2",
    exec: Exec::Run(crate::run_fn!(ver_003)),
};
async fn ver_003(ctx: Ctx) -> Judged {
    let dual = dual_stack(&ctx);
    let mut checks = Checks::new();
    for (v, what) in [
        (None, "no A2A-Version header"),
        (Some(""), "an empty A2A-Version"),
    ] {
        let answer = send(&ctx, version(v)).await?;
        let semantics_1_0 = answer.ok().is_some_and(one_dot_zero_answer);
        if semantics_1_0 {
            checks.add(Outcome::fail(
                format!("{what}: answered with 1.0 semantics"),
                if dual {
                    "0.3 semantics (the request counts as 0.3): a 0.3 answer or the 0.3 handler's \
                     refusal of a 1.0-shaped request"
                        .to_owned()
                } else {
                    format!(
                        "{} (the request counts as 0.3, which this 1.0-only interface does not \
                         support)",
                        expect::expected_error(ErrorCode::VersionNotSupported)
                    )
                },
                expect::describe(&answer),
            ));
            continue;
        }
        if !dual {
            checks.judged(
                expect::refused_with(&answer, ErrorCode::VersionNotSupported, what)
                    .map_err(tag(what)),
            );
            continue;
        }
        match &answer.reply {
            Reply::Ok(_) => checks.note(format!("{what}: a 0.3-shaped answer")),
            Reply::Err(e) if e.http_status >= 500 => checks.add(Outcome::non_strict(
                format!("{what}: server error"),
                "0.3 semantics: a 0.3 answer or the 0.3 handler's refusal of a 1.0-shaped request",
                expect::describe(&answer),
            )),
            Reply::Err(e) => checks.note(format!(
                "{what}: refused as a 0.3 request ({})",
                expect::describe_error(e)
            )),
            Reply::Garbled(_) => {
                checks.check(expect::a2a_answer(&answer).map_err(tag(what)));
            }
        }
    }
    checks.finish(if dual {
        "dual-stack interface answered header-less requests with 0.3 semantics"
    } else {
        "1.0-only interface refused a missing and an empty A2A-Version"
    })
}

/// VER-004: the patch number is ignored.
pub(crate) const VER_004: Case = Case {
    id: "VER-004",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "SendMessage with `A2A-Version: 1.0.1`",
    requirement: "the patch is ignored: handled as 1.0; a refusal fails",
    spec: "§3.6",
    exec: Exec::Run(crate::run_fn!(ver_004)),
};
async fn ver_004(ctx: Ctx) -> Judged {
    let answer = send(&ctx, version(Some("1.0.1"))).await?;
    if answer.ok().is_none() {
        return Err(Outcome::fail(
            "A2A-Version 1.0.1 was refused",
            "success, handled as 1.0: patch numbers MUST NOT be considered in negotiation (§3.6)",
            expect::describe(&answer),
        ));
    }
    if !reads_version(&ctx).await? {
        return Err(header_unread("accepting `A2A-Version: 1.0.1`"));
    }
    Ok(Outcome::pass("A2A-Version 1.0.1 handled as 1.0"))
}

/// VER-005: every interface's protocolVersion is Major.Minor.
pub(crate) const VER_005: Case = Case {
    id: "VER-005",
    level: Level::Must,
    bindings: Bindings::Once,
    needs: &[],
    title: "read `protocolVersion` of every card interface",
    requirement: "present and Major.Minor (a patch SHOULD NOT appear)",
    spec: "proto, §3.6",
    exec: Exec::Run(crate::run_fn!(ver_005)),
};
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
    let mut checks = Checks::new();
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
            checks.add(Outcome::fail(
                format!("supportedInterfaces[{i}].protocolVersion is not Major.Minor"),
                "\"1.0\"-style Major.Minor",
                expect::show(iface),
            ));
        } else if nums.len() == 3 {
            checks.add(Outcome::non_strict(
                format!("supportedInterfaces[{i}].protocolVersion carries a patch number"),
                "Major.Minor only (patch SHOULD NOT be given)",
                v,
            ));
        }
    }
    checks.finish(format!("{} interfaces declare Major.Minor", list.len()))
}

/// VER-006: the query-parameter form, shown to be read by a refused `?A2A-Version=9.9`.
pub(crate) const VER_006: Case = Case {
    id: "VER-006",
    level: Level::May,
    bindings: Bindings::Each,
    needs: &[],
    title:
        "SendMessage with `?A2A-Version=1.0` in the query and no header, then `?A2A-Version=9.9`",
    requirement: "the query form is accepted",
    spec: "§3.6.1",
    exec: Exec::Run(crate::run_fn!(ver_006)),
};
async fn ver_006(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let query = |v: &str| {
        let msg = user_message(&format!("echo {}", ctx.unique("ver-query")));
        let mut req = client.request(
            Method::SendMessage,
            &json!({ "message": msg }),
            &version(None),
        );
        let sep = if req.url.contains('?') { '&' } else { '?' };
        req.url = format!("{}{sep}A2A-Version={v}", req.url);
        req
    };
    let answer = client.send_raw(query("1.0")).await.map_err(expect::probe)?;
    if answer.ok().is_none() {
        return Ok(Outcome::info(format!(
            "`?A2A-Version=1.0` not honoured (a client MAY send it; no SDK reads it): {}",
            expect::describe(&answer)
        )));
    }
    let negative = client.send_raw(query("9.9")).await.map_err(expect::probe)?;
    if negative.ok().is_some() {
        return Err(Outcome::untested(
            "`?A2A-Version=9.9` (no header) was served as well, so the server does not read the \
             query parameter and serving `?A2A-Version=1.0` shows nothing",
            "a server that refuses header-less requests (VER-003) or unsupported versions \
             (VER-002)",
        ));
    }
    Ok(Outcome::pass(
        "`?A2A-Version=1.0` accepted and `?A2A-Version=9.9` refused: the query form is read",
    ))
}

/// VER-007: header names are case-insensitive, shown both ways: `1.0` is accepted and `9.9`
/// refused under each spelling.
pub(crate) const VER_007: Case = Case {
    id: "VER-007",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title:
        "SendMessage with the header spelled `a2a-version` and `A2A-VERSION`, with 1.0 and with 9.9",
    requirement: "service parameter names are case-insensitive",
    spec: "§9.2, §11.2",
    exec: Exec::Run(crate::run_fn!(ver_007)),
};
async fn ver_007(ctx: Ctx) -> Judged {
    let spelled = |name: &str, v: &str| CallOpts {
        version: Some(None),
        headers: vec![(name.to_owned(), v.to_owned())],
        ..CallOpts::default()
    };
    let mut checks = Checks::new();
    let mut unread = Vec::new();
    for name in ["a2a-version", "A2A-VERSION"] {
        let answer = send(&ctx, spelled(name, "1.0")).await?;
        if !checks.check(expect::ok(
            &answer,
            &format!("SendMessage with `{name}: 1.0`"),
        )) {
            continue;
        }
        let negative = send(&ctx, spelled(name, "9.9")).await?;
        if negative.ok().is_some() {
            unread.push((name, negative));
        }
    }
    if !unread.is_empty() {
        if !reads_version(&ctx).await? {
            return Err(header_unread("accepting `a2a-version: 1.0`"));
        }
        for (name, negative) in unread {
            checks.add(Outcome::fail(
                format!("`{name}: 9.9` was served while `A2A-Version: 9.9` is refused"),
                "the header read whatever the case of its name: VersionNotSupportedError for 9.9",
                expect::describe(&negative),
            ));
        }
    }
    checks.finish("`a2a-version` and `A2A-VERSION` are both read (1.0 accepted, 9.9 refused)")
}

/// The VER cases, in digest order.
pub(crate) const CASES: &[Case] = &[
    VER_001, VER_002, VER_003, VER_004, VER_005, VER_006, VER_007,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_answer_without_0_3_marks_is_1_0_semantics() {
        let v1 = json!({"task": {"id": "t", "status": {"state": "TASK_STATE_COMPLETED"},
                        "history": [{"role": "ROLE_USER", "parts": [{"text": "x"}]}]}});
        assert!(one_dot_zero_answer(&v1));
        assert!(one_dot_zero_answer(
            &json!({"message": {"parts": [{"text": "x"}]}})
        ));
        // 0.3 JSON-RPC: a bare Task with `kind`; 0.3 REST: messages carry `content`.
        assert!(!one_dot_zero_answer(&json!({"kind": "task", "id": "t"})));
        assert!(!one_dot_zero_answer(
            &json!({"task": {"id": "t", "history": [{"content": [{"text": "x"}]}]}})
        ));
        // `kind` inside free-form metadata is not a 0.3 mark.
        assert!(one_dot_zero_answer(
            &json!({"task": {"metadata": {"kind": 1}}})
        ));
    }

    #[test]
    fn versions_compare_by_major_and_minor() {
        assert_eq!(major_minor("0.3.0"), "0.3");
        assert_eq!(major_minor("1.0"), "1.0");
        assert_eq!(major_minor("1"), "1");
    }
}
