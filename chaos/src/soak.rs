//! Stress mode (`gauntlet chaos --soak 60s`): calibrate the runner, repeat the scenarios until
//! the time is up (re-calibrating every round and scaling every deadline from it), then report
//! per scenario how often it failed (its flake rate) and how the server's resources grew.
//!
//! A round in which the runner itself is too slow to judge timing is not counted against the
//! server: it is reported under `CHAOS-SOAK-RUNNER`.

use std::collections::BTreeMap;
use std::time::Duration;

use gauntlet_conformance::case::{Level, Outcome, Verdict};
use gauntlet_conformance::report::human::seconds;
use gauntlet_conformance::report::CaseResult;
use tokio::time::Instant;

use crate::calibrate::calibrate;
use crate::gauges;
use crate::scenario::{result, run_scenario, Env, Scenario};
use crate::ScenarioInfo;

/// The runner's own health over a soak.
pub const SOAK_RUNNER: ScenarioInfo = ScenarioInfo {
    id: "CHAOS-SOAK-RUNNER",
    level: Level::May,
    title: "calibrate the runner before every soak round",
    spec: "harness",
    requirement: "the runner is fast enough for timing judgements (information only)",
};

/// Resource growth of the server over a soak.
pub const SOAK_RESOURCES: ScenarioInfo = ScenarioInfo {
    id: "CHAOS-SOAK-RES",
    level: Level::Should,
    title: "read the server's fds and RSS from /proc after every soak round",
    spec: "robustness (derived)",
    requirement: "open file descriptors and resident memory do not grow round after round",
};

fn severity(v: Verdict) -> u8 {
    match v {
        Verdict::Fail => 5,
        Verdict::Error => 4,
        Verdict::Untested => 3,
        Verdict::NonStrict => 3,
        Verdict::Informational => 2,
        Verdict::Pass => 1,
        Verdict::NotApplicable => 0,
    }
}

#[derive(Default)]
struct Tally {
    runs: usize,
    by_verdict: BTreeMap<&'static str, usize>,
    worst: Option<CaseResult>,
    total: Duration,
}

/// Runs `selection` repeatedly for `duration` (at least one round).
pub async fn soak(
    env: &Env,
    selection: &[&Scenario],
    duration: Duration,
    on_result: &mut impl FnMut(&CaseResult),
) -> Vec<CaseResult> {
    let t0 = Instant::now();
    let user_scale = env.calibration().user_scale;
    let pid = env.gauges().and_then(|g| g.pid);
    let mut tallies: BTreeMap<&'static str, Tally> = BTreeMap::new();
    let mut factors: Vec<f64> = Vec::new();
    let mut slow_rounds = 0usize;
    let mut readings: Vec<(Option<usize>, Option<u64>)> = Vec::new();
    let mut rounds = 0usize;
    while rounds == 0 || t0.elapsed() < duration {
        rounds += 1;
        let c = calibrate(user_scale).await;
        factors.push(c.factor);
        if c.too_slow() {
            slow_rounds += 1;
            if rounds > 1 && t0.elapsed() < duration {
                continue;
            }
        }
        let round_env = env.with_calibration(c);
        for s in selection {
            if t0.elapsed() >= duration && rounds > 1 {
                break;
            }
            let r = run_scenario(s, &round_env).await;
            let tally = tallies.entry(s.info.id).or_default();
            tally.runs += 1;
            tally.total += r.duration;
            *tally.by_verdict.entry(r.verdict.as_str()).or_default() += 1;
            if tally
                .worst
                .as_ref()
                .is_none_or(|w| severity(r.verdict) > severity(w.verdict))
            {
                tally.worst = Some(r);
            }
        }
        readings.push((
            pid.and_then(gauges::fd_count),
            pid.and_then(gauges::rss_kib),
        ));
    }
    let mut out = Vec::new();
    for s in selection {
        let Some(t) = tallies.remove(s.info.id) else {
            continue;
        };
        let Some(mut r) = t.worst else { continue };
        let bad = t.by_verdict.get("FAIL").copied().unwrap_or(0)
            + t.by_verdict.get("ERROR").copied().unwrap_or(0);
        let counts: Vec<String> = t
            .by_verdict
            .iter()
            .map(|(v, n)| format!("{n} {v}"))
            .collect();
        r.summary = format!(
            "{} runs ({}); flake rate {:.1}%; worst run: {}",
            t.runs,
            counts.join(", "),
            100.0 * bad as f64 / t.runs.max(1) as f64,
            r.summary
        );
        r.duration = t.total;
        on_result(&r);
        out.push(r);
    }
    let min = factors.iter().copied().fold(f64::INFINITY, f64::min);
    let max = factors.iter().copied().fold(0.0, f64::max);
    let runner = Outcome::info(format!(
        "{rounds} rounds in {}; deadline factor {min:.2}..{max:.2}; {slow_rounds} rounds \
         skipped because the runner was too slow to judge timing",
        seconds(t0.elapsed())
    ));
    let runner = if slow_rounds == rounds {
        Outcome::error(format!(
            "the runner was too slow in every round (deadline factor up to {max:.1}); nothing \
             about the server can be concluded"
        ))
    } else {
        runner
    };
    let r = result(&SOAK_RUNNER, runner, t0.elapsed());
    on_result(&r);
    out.push(r);
    let r = result(
        &SOAK_RESOURCES,
        resource_outcome(&readings, pid),
        Duration::ZERO,
    );
    on_result(&r);
    out.push(r);
    out
}

/// Readings for people: `20, 21, 21`, or `none`.
fn readings_text<T: std::fmt::Display>(values: &[T]) -> String {
    if values.is_empty() {
        return "none".to_owned();
    }
    values
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Judges fd and RSS readings taken after each round: growth from the second round's reading
/// (the first warms up caches and pools) to the last one.
fn resource_outcome(readings: &[(Option<usize>, Option<u64>)], pid: Option<u32>) -> Outcome {
    let Some(pid) = pid else {
        return Outcome::not_applicable("the server's process is unknown (no gauges)");
    };
    let fds: Vec<usize> = readings.iter().filter_map(|r| r.0).collect();
    let rss: Vec<u64> = readings.iter().filter_map(|r| r.1).collect();
    if fds.len() < 3 || rss.len() < 3 {
        return Outcome::info(format!(
            "pid {pid}: fds {}, RSS {} KiB (fewer than 3 rounds: no trend)",
            readings_text(&fds),
            readings_text(&rss)
        ));
    }
    let fd_growth = fds[fds.len() - 1] as i64 - fds[1] as i64;
    let rss_growth = rss[rss.len() - 1] as i64 - rss[1] as i64;
    let observed = format!(
        "pid {pid}: fds {} → {} ({fd_growth:+}), RSS {} → {} KiB ({rss_growth:+}) over {} rounds",
        fds[1],
        fds[fds.len() - 1],
        rss[1],
        rss[rss.len() - 1],
        fds.len()
    );
    let rss_limit = (rss[1] as i64 / 2).max(32 * 1024);
    if fd_growth > 16 || rss_growth > rss_limit {
        Outcome::non_strict(
            "resources grew over the soak",
            "fds within +16 and RSS within +50% (at least 32 MiB) of the second round",
            observed,
        )
    } else {
        Outcome::pass(observed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_resources_pass_and_growth_is_non_strict() {
        let flat = vec![(Some(20), Some(10_000)); 5];
        assert_eq!(resource_outcome(&flat, Some(1)).verdict, Verdict::Pass);
        let leak: Vec<_> = (0..5).map(|i| (Some(20 + 30 * i), Some(10_000))).collect();
        assert_eq!(resource_outcome(&leak, Some(1)).verdict, Verdict::NonStrict);
        assert_eq!(
            resource_outcome(&flat, None).verdict,
            Verdict::NotApplicable
        );
        let short = resource_outcome(&[(Some(20), Some(10_000)), (None, None)], Some(1));
        assert_eq!(
            short.summary,
            "pid 1: fds 20, RSS 10000 KiB (fewer than 3 rounds: no trend)"
        );
    }
}
