//! `gauntlet-chaos`: cause the failures real networks and CI runners cause, then judge the
//! server's behaviour against the spec. Results are conformance [`CaseResult`]s, so they appear
//! in the same reports.
//!
//! * [`wire`]: a raw HTTP/1.1 + SSE client with socket-level control; [`a2a`]: just enough A2A.
//! * [`proxy`]: the fault proxy (latency, jitter, bandwidth, slicing, RST, black-hole, slow close).
//! * [`clients`]: misbehaving clients (slow consumer, FIN/RST mid-stream, slowloris, floods).
//! * [`webhook`]: webhook receivers that misbehave (5xx, Retry-After, stalls, RST, redirects).
//! * [`scenario`]: declarations, environment, verdicts; [`scenarios`]: the catalogue.
//! * [`calibrate`]: runner calibration; [`gauges`]: `/proc` readings; [`soak`]: repeated runs.
//!
//! Every fault, flood and load targets loopback only, bounded in count and time.
//!
//! [`CaseResult`]: gauntlet_conformance::report::CaseResult

pub mod a2a;
pub mod calibrate;
pub mod clients;
pub mod errors;
pub mod gauges;
pub mod proxy;
pub mod runner;
pub mod scenario;
pub mod scenarios;
pub mod soak;
pub mod webhook;
pub mod wire;

use gauntlet_conformance::case::Level;

pub use errors::ChaosError;
pub use runner::{run, Order, RunOptions};

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
    /// What the server must do.
    pub requirement: &'static str,
}

/// Every chaos scenario, in run order.
pub fn catalogue() -> Vec<ScenarioInfo> {
    scenarios::ALL.iter().map(|s| s.info).collect()
}
