//! Cases for XCARD (digest §9.10, XCARD-001 to XCARD-002): GetExtendedAgentCard: it requires
//! authentication and returns a valid card (§3.1.11).

use serde_json::json;

use super::{auth_refused, tag, unauthenticated_callers};
use crate::case::{Bindings, Case, Checks, Exec, Judged, Level, Need, Outcome};
use crate::context::Ctx;
use crate::expect;
use crate::spec::{ErrorCode, Method};

/// XCARD-001: the extended card requires authentication.
pub(crate) const XCARD_001: Case = Case {
    id: "XCARD-001",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::ExtendedCard, Need::Auth],
    title: "GetExtendedAgentCard with no credentials and with an invalid token",
    requirement: "authentication with the public card's schemes is required",
    spec: "§3.1.11, §13.3",
    exec: Exec::Run(crate::run_fn!(xcard_001)),
};
async fn xcard_001(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let mut checks = Checks::new();
    for (what, opts) in unauthenticated_callers(&ctx) {
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
pub(crate) const XCARD_002: Case = Case {
    id: "XCARD-002",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[Need::ExtendedCard],
    title: "GetExtendedAgentCard",
    requirement: "it returns a valid AgentCard",
    spec: "§3.1.11",
    exec: Exec::Run(crate::run_fn!(xcard_002)),
};
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

/// The XCARD cases, in digest order.
pub(crate) const CASES: &[Case] = &[XCARD_001, XCARD_002];
