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
//!
//! One module per id prefix ([`err`], [`sec`], [`xcard`], [`ext`]);
//! this one holds what they share.

pub(super) mod err;
pub(super) mod ext;
pub(super) mod sec;
pub(super) mod xcard;

use serde_json::{json, Value};

use crate::case::Outcome;
use crate::cases::support::tag;
use crate::client::{user_message, A2aClient, Answer, CallOpts, Reply};
use crate::context::Ctx;
use crate::driver;
use crate::spec::ErrorCode;

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

/// The two callers every authentication row tries, with the words its evidence names them by:
/// one with no credentials, one with a token no server issued.
fn unauthenticated_callers(ctx: &Ctx) -> [(&'static str, CallOpts); 2] {
    let bad = format!("invalid-{}", ctx.unique("token"));
    [
        ("no credentials", anon()),
        ("an invalid token", as_identity(&bad)),
    ]
}

fn send_params(ctx: &Ctx) -> Value {
    json!({"message": user_message(&format!("echo {}", ctx.unique("auth")))})
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
