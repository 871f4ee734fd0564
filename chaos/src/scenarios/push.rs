//! Push notifications to a webhook that misbehaves (digest §8 / §4.3.3, §13.2; checklist
//! PUSH-005, -008, -009, -011): resets, 5xx, `Retry-After`. Delivery is at-least-once, retries
//! back off, every retry carries the configured `Authorization`, and nothing is delivered after
//! the config is deleted.

use std::collections::BTreeMap;
use std::time::Duration;

use gauntlet_conformance::case::{Judged, Level, Outcome};
use serde_json::{json, Value};
use tokio::time::Instant;

use super::common::{harness, start_task};
use crate::errors::ChaosError;
use crate::scenario::{Env, Need, Scenario};
use crate::webhook::{
    acked, event_key, intervals, outline, terminal_acked, Delivery, FaultyWebhook, Scripted,
    WebhookReceiver,
};
use crate::{fmt_duration, scenario_fn, ScenarioInfo};

/// The scenarios of this family.
pub const SCENARIOS: [Scenario; 5] = [
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-PUSH-001",
            level: Level::Must,
            title: "push `stream 3 0` to a webhook that resets the first connection, then answers 500, then 503 with Retry-After: 1",
            spec: "§4.3.3, §13.2 (PUSH-009)",
            requirement: "every event reaches the webhook at least once and the terminal state is eventually acknowledged with 2xx (events never acknowledged are reported)",
        },
        needs: &[Need::TestAgent, Need::Push],
        run: scenario_fn!(at_least_once),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-PUSH-002",
            level: Level::Should,
            title: "push `echo` to a webhook that answers 500 three times",
            spec: "§13.2 (PUSH-011)",
            requirement: "retries wait, and wait longer each time (exponential backoff)",
        },
        needs: &[Need::TestAgent, Need::Push],
        run: scenario_fn!(backoff),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-PUSH-003",
            level: Level::Must,
            title: "push `echo` with Bearer authentication to a webhook that resets once and answers 500 twice",
            spec: "§4.3.3, §13.2 (PUSH-008)",
            requirement: "every delivery attempt, retries included, carries `Authorization: Bearer <credentials>`",
        },
        needs: &[Need::TestAgent, Need::Push],
        run: scenario_fn!(auth_on_every_retry),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-PUSH-004",
            level: Level::Must,
            title: "create a config on a `stream 40 50` task, delete it after 3 deliveries",
            spec: "§3.1.10 (PUSH-005)",
            requirement: "nothing is delivered after DeleteTaskPushNotificationConfig has answered (one delivery already in flight is tolerated)",
        },
        needs: &[Need::TestAgent, Need::Push],
        run: scenario_fn!(nothing_after_delete),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-PUSH-005",
            level: Level::Must,
            title: "push `stream 3 0` to a webhook that stalls 1.5 s once, then redirects (307) once, then answers 200",
            spec: "§4.3.3, §13.2 (PUSH-009)",
            requirement: "every event reaches the webhook at least once and the terminal state is acknowledged (whether the redirect is followed is reported)",
        },
        needs: &[Need::TestAgent, Need::Push],
        run: scenario_fn!(stall_and_redirect),
    },
];

const CREDENTIALS: &str = "chaos-credentials";

fn push_config(url: &str) -> Value {
    json!({
        "url": url,
        "token": "chaos-token",
        "authentication": {"scheme": "Bearer", "credentials": CREDENTIALS},
    })
}

async fn start_pushed_task(env: &Env, text: &str, url: &str) -> Result<String, Outcome> {
    super::common::start_pushed(env, text, push_config(url))
        .await?
        .map_err(|e| {
            Outcome::error(format!(
                "the server refused the push config (is the loopback webhook allowed?): {e}"
            ))
        })
}

async fn at_least_once(env: Env) -> Judged {
    let script = vec![
        Scripted::status(500),
        Scripted::status(503).header("Retry-After", "1"),
    ];
    all_acknowledged(env, script, 1).await
}

async fn stall_and_redirect(env: Env) -> Judged {
    let script = vec![
        Scripted::status(200).stall(Duration::from_millis(1500)),
        // The redirect target is the same receiver, on another path.
        Scripted::status(307).header("Location", "/redirected"),
    ];
    let r = all_acknowledged(env, script, 0).await?;
    Ok(r)
}

async fn all_acknowledged(env: Env, script: Vec<Scripted>, resets: usize) -> Judged {
    let hook = FaultyWebhook::start(script, resets)
        .await
        .map_err(|e| harness("webhook", e))?;
    let _id = start_pushed_task(&env, "stream 3 0", &hook.url()).await?;
    let mut want: Vec<String> = (0..3).map(|i| format!("artifact:stream#{i}")).collect();
    want.push("status:TASK_STATE_WORKING".to_owned());
    let attempted = |ds: &[Delivery], k: &str| ds.iter().any(|d| event_key(d) == k);
    let done = |ds: &[Delivery]| want.iter().all(|k| attempted(ds, k)) && terminal_acked(ds);
    let bound = env.deadline(Duration::from_secs(20));
    match hook.receiver().wait_for(done, bound).await {
        Ok(ds) => {
            let dups = ds.len() - {
                let mut keys: Vec<String> = ds.iter().map(event_key).collect();
                keys.sort();
                keys.dedup();
                keys.len()
            };
            let followed = ds.iter().filter(|d| d.path == "/redirected").count();
            let unacked: Vec<&String> = want.iter().filter(|k| !acked(&ds, k)).collect();
            let unacked = if unacked.is_empty() {
                String::new()
            } else {
                let unacked: Vec<&str> = unacked.iter().map(|k| k.as_str()).collect();
                format!("; never acknowledged (not retried): {}", unacked.join(", "))
            };
            Ok(Outcome::pass(format!(
                "every event attempted, the terminal state acknowledged, after {} reset connection(s) and {} attempts ({dups} repeats, {followed} on a redirected path){unacked}; deliveries: {}",
                hook.resets(),
                ds.len(),
                outline(&ds)
            )))
        }
        Err(ds) => Err(Outcome::fail(
            "events were lost when the webhook misbehaved",
            "WORKING and chunks 0..3 each attempted at least once, and the terminal state acknowledged with 2xx",
            format!(
                "within {}: {} resets, deliveries: {}",
                fmt_duration(bound),
                hook.resets(),
                outline(&ds)
            ),
        )),
    }
}

async fn backoff(env: Env) -> Judged {
    let hook = WebhookReceiver::with_script(vec![Scripted::status(500); 3])
        .await
        .map_err(|e| harness("webhook", ChaosError::io("start webhook receiver", &e)))?;
    let _id = start_pushed_task(&env, "echo backoff", &hook.url()).await?;
    let bound = env.deadline(Duration::from_secs(20));
    let ds = match hook.wait_for(|ds| ds.len() >= 4, bound).await {
        Ok(ds) | Err(ds) => ds,
    };
    // The retries of one event: the first event key that got the scripted failures.
    let mut by_key: BTreeMap<String, Vec<Delivery>> = BTreeMap::new();
    for d in &ds {
        by_key.entry(event_key(d)).or_default().push(d.clone());
    }
    let Some((key, tries)) = by_key.into_iter().max_by_key(|(_, v)| v.len()) else {
        return Err(Outcome::fail(
            "no delivery at all",
            "deliveries and retries",
            "nothing within the bound",
        ));
    };
    if tries.len() < 2 {
        return Err(Outcome::fail(
            "a 500 was not retried",
            "a retry after each 500",
            format!("{key}: {} attempt(s); all: {}", tries.len(), outline(&ds)),
        ));
    }
    let gaps = intervals(&tries);
    let growing = gaps.windows(2).all(|w| w[1] >= w[0].mul_f64(1.3));
    let waited = gaps
        .first()
        .is_some_and(|g| *g >= Duration::from_millis(10));
    let shown: Vec<String> = gaps.iter().map(|g| fmt_duration(*g)).collect();
    let observed = format!("{key}: {} attempts, gaps {}", tries.len(), shown.join(", "));
    if waited && growing {
        Ok(Outcome::pass(format!("exponential backoff: {observed}")))
    } else {
        Ok(Outcome::non_strict(
            "retries do not back off exponentially",
            "each gap at least 1.3× the previous, the first ≥ 10 ms",
            observed,
        ))
    }
}

async fn auth_on_every_retry(env: Env) -> Judged {
    let hook = FaultyWebhook::start(vec![Scripted::status(500), Scripted::status(500)], 1)
        .await
        .map_err(|e| harness("webhook", e))?;
    let _id = start_pushed_task(&env, "echo auth", &hook.url()).await?;
    let bound = env.deadline(Duration::from_secs(20));
    let ds = match hook.receiver().wait_for(terminal_acked, bound).await {
        Ok(ds) => ds,
        Err(ds) => {
            return Err(Outcome::fail(
                "the terminal state was never acknowledged",
                "retries until a 2xx",
                outline(&ds),
            ))
        }
    };
    let bad: Vec<String> = ds
        .iter()
        .filter(|d| {
            !d.header("authorization").is_some_and(|v| {
                let mut it = v.splitn(2, ' ');
                it.next().is_some_and(|s| s.eq_ignore_ascii_case("bearer"))
                    && it.next() == Some(CREDENTIALS)
            })
        })
        .map(|d| match d.header("authorization") {
            Some(v) => format!("{} with Authorization `{v}`", event_key(d)),
            None => format!("{} without Authorization", event_key(d)),
        })
        .collect();
    if bad.is_empty() {
        Ok(Outcome::pass(format!(
            "{} attempts after {} reset(s), each with Authorization: Bearer …",
            ds.len(),
            hook.resets()
        )))
    } else {
        Err(Outcome::fail(
            "a delivery attempt lacked the configured Authorization",
            format!("Authorization: Bearer {CREDENTIALS} on every attempt"),
            bad.join("; "),
        ))
    }
}

async fn nothing_after_delete(env: Env) -> Judged {
    let t = env.target().clone();
    let d = env.deadline(Duration::from_secs(5));
    let hook = WebhookReceiver::start()
        .await
        .map_err(|e| harness("webhook", ChaosError::io("start webhook receiver", &e)))?;
    let id = start_task(&env, &t, "stream 40 50").await?;
    let mut cfg = push_config(&hook.url());
    cfg["taskId"] = json!(id);
    cfg["id"] = json!("chaos-cfg");
    let created = t
        .rpc("CreateTaskPushNotificationConfig", cfg, d)
        .await
        .map_err(|e| harness("CreateTaskPushNotificationConfig", e))?
        .map_err(|e| Outcome::error(format!("CreateTaskPushNotificationConfig failed: {e}")))?;
    let cfg_id = created["id"].as_str().unwrap_or("chaos-cfg").to_owned();
    if hook
        .wait_for(|ds| ds.len() >= 3, env.deadline(Duration::from_secs(10)))
        .await
        .is_err()
    {
        return Err(Outcome::error(
            "fewer than 3 deliveries before the delete; nothing to judge",
        ));
    }
    let deleted = t
        .rpc(
            "DeleteTaskPushNotificationConfig",
            json!({"taskId": id, "id": cfg_id}),
            d,
        )
        .await
        .map_err(|e| harness("DeleteTaskPushNotificationConfig", e))?;
    let deleted_at = Instant::now();
    if let Err(e) = deleted {
        return Err(Outcome::fail(
            "DeleteTaskPushNotificationConfig failed",
            "success",
            e.to_string(),
        ));
    }
    let at_delete = hook.deliveries().len();
    let task = t
        .wait_terminal(&id, env.deadline(Duration::from_secs(10)))
        .await
        .map_err(|e| harness("waiting for the task", e))?;
    // An observation window after the end: late deliveries would land here.
    let window = env.deadline(Duration::from_millis(300));
    let _ = hook.wait_for(|ds| ds.len() > at_delete + 1, window).await;
    let grace = env.deadline(Duration::from_millis(50));
    let all = hook.deliveries();
    let late: Vec<&Delivery> = all
        .iter()
        .filter(|d| d.at.saturating_duration_since(deleted_at.into_std()) > grace)
        .collect();
    let in_flight = all.len().saturating_sub(at_delete);
    if late.len() > 1 || (late.len() == 1 && in_flight > 1) {
        return Err(Outcome::fail(
            "deliveries continued after the config was deleted",
            "nothing after DeleteTaskPushNotificationConfig answered (one in flight tolerated)",
            format!(
                "{} deliveries after the delete: {}",
                late.len(),
                late.iter()
                    .map(|d| event_key(d))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(Outcome::pass(format!(
        "{at_delete} deliveries before the delete, {} after (task ended {})",
        late.len(),
        crate::a2a::fmt_state(crate::a2a::task_state(&task))
    )))
}
