//! Starting and stopping the server under test through the `Lifecycle` trait: rapid cycling on
//! one fixed port, rebinding with many connections in TIME_WAIT, and stopping with open streams
//! (digest §3.1.2: every stream must end; §6: tasks afterwards are present or cleanly
//! TaskNotFound). These scenarios leave the server running when they finish.
//!
//! A2A 1.0.1 has no MUST for any of this (§3.1.2 requires a stream to close at a terminal state,
//! not when the server stops), so every row is a SHOULD: a failure is NON-STRICT.

use std::time::Duration;

use gauntlet_conformance::case::{Judged, Level, Outcome};
use gauntlet_conformance::errors::LifecycleError;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::common::{harness, is_task_not_found, spawn_collect};
use crate::a2a::{End, Event};
use crate::clients;
use crate::gauges;
use crate::scenario::{Env, Need, Scenario};
use crate::wire::{self, ConnOpts};
use crate::{fmt_duration, scenario_fn, ScenarioInfo};

/// The scenarios of this family.
pub const SCENARIOS: [Scenario; 3] = [
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-CYCLE-001",
            level: Level::Should,
            title: "stop and start the server on its fixed port 1000 times (within a 60 s cap), one request per cycle",
            spec: "operability (derived); A2A 1.0.1 has no MUST about restarts, so SHOULD",
            requirement: "every start binds (zero AddrInUse) and serves the agent card",
        },
        needs: &[Need::Lifecycle],
        run: scenario_fn!(rapid_cycling),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-CYCLE-002",
            level: Level::Should,
            title: "3 times: hold 200 idle keep-alive connections, stop (server-side TIME_WAIT), start at once",
            spec: "operability (derived); A2A 1.0.1 has no MUST about restarts, so SHOULD",
            requirement: "the port is rebindable at once despite the connections in TIME_WAIT, and serves",
        },
        needs: &[Need::Lifecycle],
        run: scenario_fn!(rebind_with_time_wait),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-RESTART-001",
            level: Level::Should,
            title: "stop (SIGTERM) the server with 20 `hang` and 5 `stream 1000 50` streams open, then start",
            spec: "§3.1.2, §6 (derived: the MUST is that a stream closes at a terminal state; nothing in A2A 1.0.1 says how a stopping server ends its streams or how fast it rebinds, so SHOULD)",
            requirement: "shutdown within a deadline; every client sees its stream end; the port is rebindable at once; afterwards each task is present or cleanly TaskNotFound",
        },
        needs: &[Need::Lifecycle, Need::TestAgent, Need::Streaming],
        run: scenario_fn!(restart_with_open_streams),
    },
];

fn addr_in_use(e: &LifecycleError) -> bool {
    let s = e.to_string().to_ascii_lowercase();
    s.contains("address already in use") || s.contains("addrinuse") || s.contains("os error 98")
}

async fn rapid_cycling(env: Env) -> Judged {
    let Some(lc) = env.lifecycle().cloned() else {
        return Err(Outcome::not_applicable("no lifecycle"));
    };
    let cycles = env.settings().cycles;
    let t = env.target().clone();
    let d = env.deadline(Duration::from_secs(5));
    lc.stop()
        .await
        .map_err(|e| Outcome::error(format!("initial stop: {e}")))?;
    let t0 = Instant::now();
    let (mut in_use, mut unserved) = (0usize, 0usize);
    let mut first_problem: Option<String> = None;
    let mut slowest = Duration::ZERO;
    // Slow-starting servers get fewer cycles rather than an overrun: the count is reported.
    let cap = env.deadline(Duration::from_secs(60));
    let mut done = 0;
    for i in 0..cycles {
        if t0.elapsed() > cap {
            break;
        }
        done += 1;
        let c0 = Instant::now();
        match lc.start().await {
            Err(e) => {
                if addr_in_use(&e) {
                    in_use += 1;
                } else {
                    unserved += 1;
                }
                first_problem.get_or_insert(format!("cycle {i}: {e}"));
                if in_use + unserved >= 5 {
                    break;
                }
                continue;
            }
            Ok(url) => {
                let same_port = wire::parse_loopback_url(&url)
                    .map(|(a, _)| a.port() == t.addr.port())
                    .unwrap_or(false);
                if !same_port {
                    unserved += 1;
                    first_problem.get_or_insert(format!(
                        "cycle {i}: started on {url}, not on port {}",
                        t.addr.port()
                    ));
                } else if let Err(e) = t.alive(d).await {
                    unserved += 1;
                    first_problem.get_or_insert(format!("cycle {i}: the card request failed: {e}"));
                }
            }
        }
        if let Err(e) = lc.stop().await {
            unserved += 1;
            first_problem.get_or_insert(format!("cycle {i}: stop failed: {e}"));
        }
        slowest = slowest.max(c0.elapsed());
    }
    let total = t0.elapsed();
    // Leave the server running; a failure here only matters if the cycles themselves passed.
    let restarted = lc.start().await;
    if in_use > 0 || unserved > 0 {
        return Err(Outcome::fail(
            "rapid start/stop cycling failed",
            format!("{cycles} cycles, each binding the same port and serving"),
            format!(
                "{in_use} AddrInUse, {unserved} other failures; first: {}",
                first_problem.unwrap_or_default()
            ),
        ));
    }
    restarted.map_err(|e| Outcome::error(format!("final start: {e}")))?;
    let capped = if done < cycles {
        format!(" (of {cycles} planned: time cap {})", fmt_duration(cap))
    } else {
        String::new()
    };
    Ok(Outcome::pass(format!(
        "{done} cycles{capped} in {} ({} per cycle, slowest {}), zero AddrInUse, every cycle served",
        fmt_duration(total),
        fmt_duration(total / done.max(1) as u32),
        fmt_duration(slowest)
    )))
}

async fn rebind_with_time_wait(env: Env) -> Judged {
    let Some(lc) = env.lifecycle().cloned() else {
        return Err(Outcome::not_applicable("no lifecycle"));
    };
    let t = env.target().clone();
    let d = env.deadline(Duration::from_secs(5));
    let n = gauges::socket_budget(200).max(1);
    let mut time_wait_seen = 0;
    for round in 0..3 {
        let held = clients::idle_keepalive(t.addr, &t.card_request(), n, d).await;
        if held.len() < n {
            return Err(Outcome::error(format!(
                "round {round}: only {} of {n} keep-alive connections could be opened",
                held.len()
            )));
        }
        lc.stop()
            .await
            .map_err(|e| Outcome::error(format!("round {round}: stop: {e}")))?;
        time_wait_seen = time_wait_seen.max(gauges::time_wait_on_port(t.addr.port()).unwrap_or(0));
        let started = lc.start().await;
        drop(held);
        match started {
            Err(e) => {
                // Leave the server running for whatever comes next.
                let _ = lc.start().await;
                return Err(Outcome::fail(
                    "the port could not be rebound with connections in TIME_WAIT",
                    "start succeeds at once (SO_REUSEADDR)",
                    format!(
                        "round {round}: {e} ({time_wait_seen} sockets in TIME_WAIT on the port)"
                    ),
                ));
            }
            Ok(_) => {
                if let Err(e) = t.alive(d).await {
                    return Err(Outcome::fail(
                        "the server rebound but did not serve",
                        "a 200 agent card",
                        format!("round {round}: {e}"),
                    ));
                }
            }
        }
    }
    Ok(Outcome::pass(format!(
        "3 rounds × {n} keep-alive connections: rebound at once each time (up to {time_wait_seen} sockets in TIME_WAIT on the port)"
    )))
}

async fn restart_with_open_streams(env: Env) -> Judged {
    let Some(lc) = env.lifecycle().cloned() else {
        return Err(Outcome::not_applicable("no lifecycle"));
    };
    let t = env.target().clone();
    let d = env.deadline(Duration::from_secs(5));
    let mut ids = Vec::new();
    let mut streams = Vec::new();
    for i in 0..25 {
        let text = if i < 20 { "hang" } else { "stream 1000 50" };
        let mut s = t
            .stream_text(text, ConnOpts::default(), d)
            .await
            .map_err(|e| harness("SendStreamingMessage", e))?;
        match s.next(d).await {
            Ok(Some(Event::Result(v))) if v["task"]["id"].is_string() => {
                ids.push(v["task"]["id"].as_str().unwrap_or_default().to_owned());
            }
            other => {
                return Err(Outcome::error(format!(
                    "stream {i} did not start with a Task: {}",
                    crate::a2a::fmt_next(&other)
                )))
            }
        }
        streams.push(s);
    }
    let bound = env.deadline(Duration::from_secs(10));
    let readers: Vec<_> = streams
        .into_iter()
        .map(|s| spawn_collect(&env, s, bound, bound))
        .collect();
    let t0 = Instant::now();
    let stopped = tokio::time::timeout(bound, lc.stop()).await;
    let stop_took = t0.elapsed();
    let mut problems = Vec::new();
    match stopped {
        Err(_) => problems.push(format!(
            "stop did not return within {}",
            fmt_duration(bound)
        )),
        Ok(Err(e)) => problems.push(format!("stop failed: {e}")),
        Ok(Ok(())) => {}
    }
    let mut ended = 0;
    for (i, r) in readers.into_iter().enumerate() {
        match r.await {
            Ok(log) => match log.end {
                End::Hang(after) => problems.push(format!(
                    "stream {i} never ended (silent for {})",
                    fmt_duration(after)
                )),
                _ => ended += 1,
            },
            Err(e) => problems.push(format!("stream {i}: {e}")),
        }
    }
    let restarted = lc.start().await;
    if let Err(e) = &restarted {
        problems.push(format!("start right after stop failed: {e}"));
        // One more try so later scenarios still have a server.
        if !problems.is_empty() {
            let _ = lc.start().await;
        }
    }
    let mut kept = 0;
    let mut gone = 0;
    if restarted.is_ok() {
        if let Err(e) = t.alive(d).await {
            problems.push(format!("the restarted server did not serve: {e}"));
        }
        let mut set = JoinSet::new();
        for id in ids {
            let t = t.clone();
            set.spawn(async move { (id.clone(), t.get_task(&id, d).await) });
        }
        while let Some(r) = set.join_next().await {
            match r {
                Ok((_, Ok(Ok(_)))) => kept += 1,
                Ok((_, Ok(Err(e)))) if is_task_not_found(&e) => gone += 1,
                Ok((id, Ok(Err(e)))) => problems.push(format!("GetTask {id} after restart: {e}")),
                Ok((id, Err(e))) => problems.push(format!("GetTask {id} after restart: {e}")),
                Err(e) => problems.push(e.to_string()),
            }
        }
    }
    if !problems.is_empty() {
        return Err(Outcome::fail(
            "a restart with open streams went wrong",
            format!("stop within {}, all 25 streams end, immediate rebind, tasks present or TaskNotFound", fmt_duration(bound)),
            problems.join("; "),
        ));
    }
    Ok(Outcome::pass(format!(
        "stopped in {}; all {ended} streams ended; rebound at once; afterwards {kept} tasks present, {gone} TaskNotFound",
        fmt_duration(stop_took)
    )))
}
