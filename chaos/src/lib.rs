//! `gauntlet-chaos`: cause the failures real networks and CI runners cause, then judge the
//! server's behaviour against the spec. Results are conformance [`CaseResult`]s, so they appear
//! in the same reports.
//!
//! [`CaseResult`]: gauntlet_conformance::report::CaseResult

use gauntlet_conformance::case::Level;

/// A chaos scenario's declaration, for listing.
#[derive(Debug, Clone, Copy)]
pub struct ScenarioInfo {
    /// Scenario id, e.g. `CHAOS-SLOW-001`.
    pub id: &'static str,
    /// Level of the clause it judges.
    pub level: Level,
    /// What we do.
    pub title: &'static str,
    /// The spec clause it judges.
    pub spec: &'static str,
}

/// Every chaos scenario, in run order.
pub fn catalogue() -> Vec<ScenarioInfo> {
    Vec::new()
}
