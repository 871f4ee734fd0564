//! Cases for EXT (digest §9.10, EXT-001 to EXT-004): extensions: the `A2A-Extensions` header,
//! unsupported and required extensions (§4.6).

use serde_json::Value;

use super::send_params;
use crate::case::{Bindings, Case, Exec, Judged, Level, Outcome};
use crate::client::{Answer, CallOpts};
use crate::context::Ctx;
use crate::expect;
use crate::spec::{ErrorCode, Method};

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

/// SendMessage with `A2A-Extensions` listing `uris`; a failure to get any answer is the row's.
async fn send_requesting(ctx: &Ctx, uris: &[String]) -> Result<Answer, Outcome> {
    ctx.client()
        .call_with(Method::SendMessage, send_params(ctx), with_extensions(uris))
        .await
        .map_err(expect::probe)
}

pub(crate) const EXT_001: Case = Case {
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
};

/// EXT-002: unknown extensions are ignored.
pub(crate) const EXT_002: Case = Case {
    id: "EXT-002",
    level: Level::Should,
    bindings: Bindings::Each,
    needs: &[],
    title: "SendMessage requesting an unknown extension URI",
    requirement: "an unsupported requested extension is ignored, not an error",
    spec: "§4.6.3",
    exec: Exec::Run(crate::run_fn!(ext_002)),
};
async fn ext_002(ctx: Ctx) -> Judged {
    let mut uris = ctx.target().required_extensions.clone();
    uris.push(format!(
        "https://example.com/gauntlet/ext/{}",
        ctx.unique("unknown")
    ));
    let a = send_requesting(&ctx, &uris).await?;
    expect::ok(&a, "SendMessage requesting an unknown extension")?;
    Ok(Outcome::pass("an unknown requested extension was ignored"))
}

/// EXT-003: no fallback to another version.
pub(crate) const EXT_003: Case = Case {
    id: "EXT-003",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "SendMessage requesting another version of a declared extension",
    requirement: "no silent fallback to the declared version",
    spec: "§4.6.3",
    exec: Exec::Run(crate::run_fn!(ext_003)),
};
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
    let a = send_requesting(&ctx, &uris).await?;
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
pub(crate) const EXT_004: Case = Case {
    id: "EXT-004",
    level: Level::Should,
    bindings: Bindings::Each,
    needs: &[],
    title: "SendMessage requesting a declared extension",
    requirement: "activated extensions are echoed in the `A2A-Extensions` response header",
    spec: "topics/extensions.md",
    exec: Exec::Run(crate::run_fn!(ext_004)),
};
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

/// The EXT cases, in digest order.
pub(crate) const CASES: &[Case] = &[EXT_001, EXT_002, EXT_003, EXT_004];
