//! Webhooks that hide their misbehaviour below HTTP, and webhook URLs that hide where they
//! point (digest §8, §4.3.3, §13.2; checklist PUSH-009, PUSH-012): a receiver that closes the
//! connection after every 2xx, an `https://` receiver, and internal addresses spelled in every
//! way a URL parser accepts.
//!
//! The SSRF scenario only registers and deletes configs on a task that is quiet in WORKING, so
//! a server that wrongly accepts an address has nothing to send to it; the suite itself never
//! sends a byte off loopback.

use std::time::Duration;

use gauntlet_conformance::case::{Judged, Level, Outcome};
use serde_json::{json, Value};

use super::common::{harness, start_task};
use crate::a2a::Target;
use crate::errors::ChaosError;
use crate::scenario::{Env, Need, Scenario};
use crate::webhook::{event_key, outline, terminal_acked, Delivery, WebhookFront, WebhookReceiver};
use crate::{fmt_duration, scenario_fn, ScenarioInfo};

/// The scenarios of this family.
pub const SCENARIOS: [Scenario; 3] = [
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-HOOK-001",
            level: Level::Should,
            title: "push `stream 3 0` to a webhook that answers 200 and closes the connection after every answer",
            spec: "§4.3.3, §13.2 (PUSH-009)",
            requirement: "every event arrives, and once: a 2xx answer is a delivery, the close after it no failure",
        },
        needs: &[Need::TestAgent, Need::Push],
        run: scenario_fn!(once_despite_close),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-HOOK-002",
            level: Level::Must,
            title: "push `stream 2 0` to an https:// webhook on 127.0.0.1 (certificate from this run's CA)",
            spec: "§4.3.3 (PUSH-009)",
            requirement: "an accepted https webhook gets every event over TLS (untested when the server does not trust the suite's CA)",
        },
        needs: &[Need::TestAgent, Need::Push],
        run: scenario_fn!(https_delivery),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-HOOK-003",
            level: Level::Should,
            title: "register webhooks on internal addresses in other spellings (`2130706433`, `0x7f000001`, `127.1`, `localhost.`, `[::ffff:127.0.0.1]`, NAT64, 6to4, …)",
            spec: "§13.2 (PUSH-012)",
            requirement: "a server that refuses an internal address in its standard form refuses it in every spelling",
        },
        needs: &[Need::TestAgent, Need::Push],
        run: scenario_fn!(ssrf_spellings),
    },
];

/// [`start_pushed`](super::common::start_pushed) with a plain config: `url` and a token.
async fn start_pushed(env: &Env, text: &str, url: &str) -> Result<Result<String, Value>, Outcome> {
    super::common::start_pushed(env, text, json!({"url": url, "token": "chaos-token"})).await
}

/// The events of `stream n 0` that every server sends, whatever its first event is.
fn wanted(n: usize) -> Vec<String> {
    let mut want: Vec<String> = (0..n).map(|i| format!("artifact:stream#{i}")).collect();
    want.push("status:TASK_STATE_WORKING".to_owned());
    want
}

fn complete(want: &[String]) -> impl Fn(&[Delivery]) -> bool + '_ {
    move |ds| want.iter().all(|k| ds.iter().any(|d| event_key(d) == *k)) && terminal_acked(ds)
}

async fn once_despite_close(env: Env) -> Judged {
    let hook = WebhookReceiver::start()
        .await
        .map_err(|e| harness("webhook", ChaosError::io("start webhook receiver", &e)))?;
    let front = WebhookFront::close_after_answer(&hook)
        .await
        .map_err(|e| harness("webhook front", e))?;
    start_pushed(&env, "stream 3 0", &front.url())
        .await?
        .map_err(|e| {
            Outcome::error(format!(
                "the server refused the push config (is the loopback webhook allowed?): {e}"
            ))
        })?;
    let want = wanted(3);
    let bound = env.deadline(Duration::from_secs(20));
    let ds = match hook.wait_for(complete(&want), bound).await {
        Ok(ds) => ds,
        Err(ds) => {
            return Err(Outcome::fail(
                "events were lost when the webhook closed after answering",
                "WORKING, chunks 0..3 and the terminal state, each answered 200",
                format!("within {}: {}", fmt_duration(bound), outline(&ds)),
            ))
        }
    };
    // An observation window: a repeat of the last event would land here.
    let window = env.deadline(Duration::from_millis(500));
    let _ = hook.wait_for(|all| all.len() > ds.len(), window).await;
    let all = hook.deliveries();
    let mut keys: Vec<String> = all.iter().map(event_key).collect();
    keys.sort();
    let mut repeated: Vec<String> = keys
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0].clone())
        .collect();
    repeated.dedup();
    let closes = front
        .stats()
        .closed_after_answer
        .load(std::sync::atomic::Ordering::Relaxed);
    if repeated.is_empty() {
        Ok(Outcome::pass(format!(
            "{} deliveries, each once, over {closes} connections closed after the answer",
            all.len()
        )))
    } else {
        Err(Outcome::fail(
            "events answered 200 were delivered again because the connection closed",
            "each event once: a 2xx answer is a delivery",
            format!("repeated {}: {}", repeated.join(", "), outline(&all)),
        ))
    }
}

async fn https_delivery(env: Env) -> Judged {
    let hook = WebhookReceiver::start()
        .await
        .map_err(|e| harness("webhook", ChaosError::io("start webhook receiver", &e)))?;
    let front = WebhookFront::tls(&hook)
        .await
        .map_err(|e| harness("TLS webhook front", e))?;
    if let Err(e) = start_pushed(&env, "stream 2 0", &front.url()).await? {
        return Err(Outcome::not_applicable(format!(
            "the server refused the https webhook {} up front ({e}); nothing is lost silently",
            front.url()
        )));
    }
    let want = wanted(2);
    let bound = env.deadline(Duration::from_secs(10));
    let ds = match hook.wait_for(complete(&want), bound).await {
        Ok(ds) => {
            return Ok(Outcome::pass(format!(
                "{} deliveries over TLS: {}",
                ds.len(),
                outline(&ds)
            )))
        }
        Err(ds) => ds,
    };
    let stats = front.stats();
    let connections = stats.connections.load(std::sync::atomic::Ordering::Relaxed);
    let failures = stats.tls_failures();
    if ds.is_empty() && !failures.is_empty() {
        return Err(Outcome::not_applicable(format!(
            "untested: the server tried TLS but refused the suite's certificate ({}), so it does not trust this run's CA. \
             The embedded reference is given that CA; another server needs it as a trust anchor (the reference: --webhook-ca FILE)",
            failures[0]
        )));
    }
    let summary = if connections == 0 {
        "the https webhook was accepted but never attempted: its events were lost"
    } else {
        "events sent to the https webhook were lost"
    };
    Err(Outcome::fail(
        summary,
        "a TLS connection and a delivery of WORKING, chunks 0..2 and the terminal state",
        format!(
            "within {}: {connections} connection(s), {} TLS failure(s), deliveries: {}",
            fmt_duration(bound),
            failures.len(),
            outline(&ds)
        ),
    ))
}

/// An internal address in its standard form and other spellings of it.
struct Spellings {
    standard: &'static str,
    others: &'static [&'static str],
}

const SPELLINGS: &[Spellings] = &[
    Spellings {
        standard: "http://127.0.0.1:9/hook",
        others: &[
            "http://2130706433:9/hook",
            "http://0177.0.0.1:9/hook",
            "http://0x7f000001:9/hook",
            "http://0x7f.1:9/hook",
            "http://127.1:9/hook",
            "http://[::ffff:127.0.0.1]:9/hook",
            "http://[::127.0.0.1]:9/hook",
            "http://[64:ff9b::7f00:1]:9/hook",
            "http://[2002:7f00:1::1]:9/hook",
        ],
    },
    Spellings {
        standard: "http://0.0.0.0:9/hook",
        others: &["http://0:9/hook", "http://0x0:9/hook"],
    },
    Spellings {
        standard: "http://localhost:9/hook",
        others: &["http://localhost.:9/hook", "http://LOCALHOST:9/hook"],
    },
    Spellings {
        standard: "http://10.0.0.1:9/hook",
        others: &[
            "http://167772161:9/hook",
            "http://012.0.0.1:9/hook",
            "http://0xa000001:9/hook",
            "http://[::ffff:10.0.0.1]:9/hook",
            "http://[::a00:1]:9/hook",
            "http://[64:ff9b::a00:1]:9/hook",
            "http://[2002:a00:1::1]:9/hook",
        ],
    },
    Spellings {
        standard: "http://169.254.169.254/latest",
        others: &[
            "http://0xa9fea9fe/latest",
            "http://2852039166/latest",
            "http://[::ffff:a9fe:a9fe]/latest",
            "http://[64:ff9b::a9fe:a9fe]/latest",
            "http://[2002:a9fe:a9fe::1]/latest",
        ],
    },
];

/// URLs on the names this machine's hosts file maps only to loopback (`localhost` aside): the
/// target is on loopback, so on this machine, and resolves them the same way.
fn loopback_host_names() -> Vec<String> {
    crate::wire::hosts::loopback_names()
        .into_iter()
        .filter(|n| !n.eq_ignore_ascii_case("localhost"))
        .map(|n| format!("http://{n}:9/hook"))
        .collect()
}

/// Registers `url` on task `id`; an accepted config is deleted at once. True when accepted.
async fn accepted(env: &Env, t: &Target, id: &str, url: &str) -> Result<bool, Outcome> {
    let d = env.deadline(Duration::from_secs(5));
    let reply = t
        .rpc(
            "CreateTaskPushNotificationConfig",
            json!({"taskId": id, "url": url}),
            d,
        )
        .await
        .map_err(|e| harness("CreateTaskPushNotificationConfig", e))?;
    let Ok(cfg) = reply else {
        return Ok(false);
    };
    let cfg_id = cfg["id"].as_str().unwrap_or_default().to_owned();
    t.rpc(
        "DeleteTaskPushNotificationConfig",
        json!({"taskId": id, "id": cfg_id}),
        d,
    )
    .await
    .map_err(|e| harness("DeleteTaskPushNotificationConfig", e))?
    .map_err(|e| Outcome::error(format!("could not delete an accepted config on {url}: {e}")))?;
    Ok(true)
}

/// Waits until task `id` is WORKING, so no state change is pending while configs exist.
async fn until_working(env: &Env, t: &Target, id: &str) -> Result<(), Outcome> {
    let until = tokio::time::Instant::now() + env.deadline(Duration::from_secs(5));
    let mut pause = Duration::from_millis(2);
    loop {
        let reply = t
            .get_task(id, env.deadline(Duration::from_secs(5)))
            .await
            .map_err(|e| harness("GetTask", e))?
            .map_err(|e| Outcome::error(format!("GetTask failed: {e}")))?;
        if crate::a2a::task_state(&reply) == Some("TASK_STATE_WORKING") {
            return Ok(());
        }
        if tokio::time::Instant::now() >= until {
            return Err(Outcome::error(format!(
                "the `hang` task never reached WORKING: {reply}"
            )));
        }
        // Polling GetTask is the only signal a server gives; the pause only spaces the polls.
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

async fn ssrf_spellings(env: Env) -> Judged {
    let t = env.target().clone();
    let id = start_task(&env, &t, "hang").await?;
    until_working(&env, &t, &id).await?;
    let hosts = loopback_host_names();
    let (mut judged, mut skipped, mut bypass) = (0usize, Vec::new(), Vec::new());
    for group in SPELLINGS {
        if accepted(&env, &t, &id, group.standard).await? {
            skipped.push(group.standard);
            continue;
        }
        let extra = if group.standard.contains("localhost") {
            &hosts[..]
        } else {
            &[]
        };
        let others = group
            .others
            .iter()
            .map(|s| s.to_string())
            .chain(extra.iter().cloned());
        for url in others {
            judged += 1;
            if accepted(&env, &t, &id, &url).await? {
                bypass.push(format!("{url} (standard form {} refused)", group.standard));
            }
        }
    }
    let _ = t
        .rpc(
            "CancelTask",
            json!({"id": id}),
            env.deadline(Duration::from_secs(5)),
        )
        .await;
    if judged == 0 {
        return Err(Outcome::not_applicable(
            "the server accepts webhooks on every internal address tried in its standard form \
             (its SSRF guard is off, as setups with loopback receivers need): nothing to compare",
        ));
    }
    let not_judged = if skipped.is_empty() {
        String::new()
    } else {
        format!(
            " (standard form accepted, not judged: {})",
            skipped.join(", ")
        )
    };
    if bypass.is_empty() {
        Ok(Outcome::pass(format!(
            "{judged} other spellings refused like their standard forms{not_judged}"
        )))
    } else {
        Err(Outcome::fail(
            "internal addresses pass the SSRF guard when spelled differently",
            "every spelling refused like the standard form (parse hosts as the HTTP client does, then resolve)",
            format!("{} of {judged} accepted: {}{not_judged}", bypass.len(), bypass.join("; ")),
        ))
    }
}
