//! Subscribing while the task finishes (digest §1.2 SubscribeToTask, §1.3 end of stream, §6).
//! Whichever side wins the race, the client must get a definite answer: a stream that ends at
//! a terminal state, or a refusal because the task is already terminal. Never a hang.

use std::time::Duration;

use gauntlet_conformance::case::{Judged, Level, Outcome};

use super::common::{harness, is_unsupported, start_task};
use crate::a2a::{End, Event};
use crate::errors::ChaosError;
use crate::scenario::{Env, Need, Scenario};
use crate::wire::ConnOpts;
use crate::{scenario_fn, ScenarioInfo};

/// The scenarios of this family.
pub const SCENARIOS: [Scenario; 1] = [Scenario {
    info: ScenarioInfo {
        id: "CHAOS-RACE-001",
        level: Level::Must,
        title: "40 times: start `slow MS` (MS 0..7, returnImmediately) and SubscribeToTask at once",
        spec: "§1.2, §1.3, §3.1.2",
        requirement: "every subscription ends at a terminal state or is refused as terminal (-32004); none hangs",
    },
    needs: &[Need::TestAgent, Need::Streaming],
    run: scenario_fn!(subscribe_racing_completion),
}];

async fn subscribe_racing_completion(env: Env) -> Judged {
    let t = env.target().clone();
    let (mut streamed, mut refused) = (0, 0);
    let idle = env.deadline(Duration::from_secs(2));
    let overall = env.deadline(Duration::from_secs(5));
    for i in 0..40 {
        let id = start_task(&env, &t, &format!("slow {}", i % 8)).await?;
        match t.subscribe(&id, ConnOpts::default(), idle).await {
            Err(ChaosError::Refused { status, body }) => {
                let code = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .map(|v| v["error"].clone());
                if code.as_ref().is_some_and(is_unsupported) {
                    refused += 1;
                } else {
                    return Err(Outcome::fail(
                        "a subscription racing completion was refused with the wrong error",
                        "UnsupportedOperation (-32004) for a terminal task, or a stream",
                        format!("HTTP {status} {body}"),
                    ));
                }
            }
            Err(e) if e.is_timeout() => {
                return Err(Outcome::fail(
                    "a subscription racing completion hung before its first byte",
                    "a stream or a refusal",
                    e.to_string(),
                ))
            }
            Err(e) => return Err(harness("SubscribeToTask", e)),
            Ok(s) => {
                let log = s.collect(idle, overall).await;
                let seq = log.sequence();
                let only_refusal =
                    matches!(log.events.as_slice(), [Event::Error(e)] if is_unsupported(e));
                if let End::Hang(_) = log.end {
                    // The outline ends with the hang and how long it lasted.
                    return Err(Outcome::fail(
                        "a subscription racing completion hung",
                        "the stream ends at a terminal state",
                        format!("iteration {i}: {}", log.outline()),
                    ));
                }
                if only_refusal {
                    refused += 1;
                } else if seq.terminal() && log.end == End::Clean {
                    streamed += 1;
                } else {
                    return Err(Outcome::fail(
                        "a subscription racing completion ended without a terminal state",
                        "the last event carries a terminal state, then a clean end",
                        format!("iteration {i}: {}", log.outline()),
                    ));
                }
            }
        }
    }
    Ok(Outcome::pass(format!(
        "40 races: {streamed} streams ended at a terminal state, {refused} refused as terminal, none hung"
    )))
}
