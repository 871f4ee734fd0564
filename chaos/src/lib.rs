//! `gauntlet-chaos`: cause the failures real networks and CI runners cause, then judge the
//! server's behaviour against the spec. Results are conformance [`CaseResult`]s, so they appear
//! in the same reports.
//!
//! * [`wire`]: the workspace's raw HTTP/1.1 connection and SSE decoder (`gauntlet-wire`), with
//!   socket-level control; [`a2a`]: just enough A2A.
//! * [`proxy`]: the fault proxy (latency, jitter, bandwidth, slicing, RST, black-hole, slow close).
//! * [`clients`]: misbehaving clients (slow consumer, FIN/RST mid-stream, slowloris, floods).
//! * [`webhook`]: webhook receivers that misbehave (5xx, Retry-After, stalls, RST, redirects).
//! * [`scenario`]: declarations, environment, verdicts; [`scenarios`]: the catalogue.
//! * [`calibrate`]: runner calibration; [`gauges`]: `/proc` readings; [`soak`]: repeated runs.
//! * [`fmt_duration`], [`fmt_reading`]: how durations and optional readings read in summaries
//!   and evidence (the types of the evidence have `Display` impls of their own).
//!
//! Scenarios run through the oracle's harness (`gauntlet_conformance::runner`: containment and
//! the level mapping) and report through its reporters. Chaos must never import the reference
//! (its tests do, as a dev-dependency) or load.
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

/// The raw HTTP/1.1 connection and SSE decoder chaos talks through.
pub use gauntlet_wire as wire;

use std::time::Duration;

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

impl ScenarioInfo {
    /// This scenario as the harness judges it.
    pub fn item(&self) -> gauntlet_conformance::runner::Item<'static> {
        gauntlet_conformance::runner::Item {
            id: self.id,
            level: self.level,
            title: self.title,
            requirement: self.requirement,
            spec: self.spec,
        }
    }
}

/// Every chaos scenario, in run order.
pub fn catalogue() -> Vec<ScenarioInfo> {
    scenarios::ALL.iter().map(|s| s.info).collect()
}

/// A duration for people, in the unit that keeps it short: `1.27 s`, `350 ms`, `2.5 ms`, `8 µs`.
/// A second and above read as the reports' own
/// [`seconds`](gauntlet_conformance::report::human::seconds); chaos also shows sub-second
/// readings (timer overshoot, RTT) that would all read `0.00 s` there.
pub fn fmt_duration(d: Duration) -> String {
    use gauntlet_conformance::report::human;
    let ms = d.as_secs_f64() * 1e3;
    if d >= Duration::from_secs(1) {
        human::seconds(d)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else if ms >= 1.0 {
        format!("{ms:.1} ms")
    } else if d >= Duration::from_micros(1) {
        format!("{} µs", d.as_micros())
    } else if d.is_zero() {
        "0 s".to_owned()
    } else {
        format!("{} ns", d.as_nanos())
    }
}

/// An optional reading (a gauge, an fd count) for people: the value, or `unknown`.
pub fn fmt_reading<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "unknown".to_owned(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_a_short_unit() {
        let cases = [
            (Duration::from_secs_f64(1.234567), "1.23 s"),
            (Duration::from_secs(65), "65.00 s"),
            (Duration::from_millis(350), "350 ms"),
            (Duration::from_micros(2_500), "2.5 ms"),
            (Duration::from_micros(8), "8 µs"),
            (Duration::from_nanos(300), "300 ns"),
            (Duration::ZERO, "0 s"),
        ];
        for (d, want) in cases {
            assert_eq!(fmt_duration(d), want, "{d:?}");
        }
    }

    /// What users read (summaries, evidence, error texts) never shows Rust's debug rendering.
    #[test]
    fn evidence_reads_as_words_not_debug_text() {
        use crate::a2a::{fmt_next, fmt_seqs, fmt_state, End, Event, Log};
        use crate::clients::RawAnswer;
        use crate::wire::ReadEnd;
        let log = Log {
            events: vec![Event::Result(
                serde_json::json!({"statusUpdate":{"status":{"state":"TASK_STATE_WORKING"}}}),
            )],
            end: End::Hang(Duration::from_secs_f64(5.000_123)),
            elapsed: Duration::ZERO,
        };
        let shown = [
            fmt_duration(Duration::from_secs_f64(1.234567)),
            End::Hang(Duration::from_secs_f64(1.234567)).to_string(),
            End::Clean.to_string(),
            log.outline(),
            RawAnswer::Status(400).to_string(),
            RawAnswer::RpcError(-32001).to_string(),
            RawAnswer::RpcError(-1).to_string(),
            RawAnswer::Closed.to_string(),
            RawAnswer::Silent.to_string(),
            ReadEnd::Eof.to_string(),
            fmt_state(None).to_owned(),
            fmt_seqs(&[0, 1, 2, 5, 7, 8]),
            fmt_next(&Ok(None)),
            Event::Error(serde_json::json!({"code":-32001})).to_string(),
            fmt_reading(None::<u64>),
            ChaosError::timeout("the card", Duration::from_millis(1500)).to_string(),
        ];
        for s in &shown {
            for debug in [
                "Some(",
                "None",
                "Status(",
                "RpcError(",
                "Hang(",
                "Object {",
                "1.234567s",
            ] {
                assert!(!s.contains(debug), "`{s}` shows `{debug}`");
            }
        }
        let want = [
            "1.23 s",
            "no event and no end for 1.23 s",
            "a clean end",
            "[statusUpdate(WORKING)], then no event and no end for 5.00 s",
            "HTTP 400",
            "JSON-RPC error -32001 (TaskNotFound)",
            "JSON-RPC error -1",
            "closed",
            "no answer",
            "closed",
            "no state",
            "0–2, 5, 7–8",
            "the stream ended without an event",
            r#"an in-stream error {"code":-32001}"#,
            "unknown",
            "the card: no answer within 1.50 s",
        ];
        assert_eq!(shown.as_slice(), want.as_slice());
    }
}
