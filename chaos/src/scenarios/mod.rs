//! The chaos catalogue: one module per scenario family, one ordered list.
//!
//! | family | ids | what breaks |
//! |---|---|---|
//! | [`streams`] | SLOW, FAN | slow and stalled consumers, 100+ subscribers |
//! | [`disconnect`] | DISC, HALF | FIN, RST, proxy reset after event k, half-open peers |
//! | [`race`] | RACE | subscribing while the task finishes |
//! | [`push`] | PUSH | webhooks that reset, fail, ask to retry later |
//! | [`webhooks`] | HOOK | webhooks that close after each answer, https webhooks, SSRF spellings |
//! | [`net`] | NET | slicing, latency, jitter, bandwidth |
//! | [`malformed`] | MAL, FLOOD | garbage, truncation, oversize, slowloris, floods (a fast 503 at a connection limit is fine) |
//! | [`hostile`] | KEEP, BODY, HOST | keep-alive after an early refusal, stalled bodies, bad `Host` |
//! | [`memory`] | MEM, ID | memory per stored chunk and per stalled stream, exact JSON-RPC ids |
//! | [`lifecycle`] | CYCLE, RESTART | start/stop cycling, TIME_WAIT, SIGTERM with open streams |
//!
//! [`common`] holds what the families share. The run order below is the catalogue's order.

pub mod common;
pub mod disconnect;
pub mod hostile;
pub mod lifecycle;
pub mod malformed;
pub mod memory;
pub mod net;
pub mod push;
pub mod race;
pub mod streams;
pub mod webhooks;

use std::sync::LazyLock;

use crate::scenario::Scenario;

/// Every scenario, in run order (lifecycle scenarios last: they restart the server).
pub static ALL: LazyLock<Vec<Scenario>> = LazyLock::new(|| {
    [
        &streams::SCENARIOS[..],
        &disconnect::SCENARIOS[..],
        &race::SCENARIOS[..],
        &push::SCENARIOS[..],
        &webhooks::SCENARIOS[..],
        &net::SCENARIOS[..],
        &malformed::SCENARIOS[..],
        &hostile::SCENARIOS[..],
        &memory::SCENARIOS[..],
        &lifecycle::SCENARIOS[..],
    ]
    .concat()
});

#[cfg(test)]
mod tests {
    use super::ALL;

    /// The README's scenario table and count follow the catalogue: one row per id, with its level.
    #[test]
    fn the_readme_lists_every_scenario_with_its_level() {
        let readme = include_str!("../../README.md");
        let rows: Vec<&str> = readme
            .lines()
            .filter(|l| l.starts_with("| CHAOS-"))
            .collect();
        assert_eq!(rows.len(), ALL.len(), "one README row per scenario");
        for s in ALL.iter() {
            let row = format!("| {} | {} |", s.info.id, s.info.level.as_str());
            assert!(
                rows.iter().any(|r| r.starts_with(&row)),
                "no README row starting `{row}`"
            );
        }
        let count = format!("{} judged scenarios", ALL.len());
        assert!(readme.contains(&count), "the README says `{count}`");
    }
}
