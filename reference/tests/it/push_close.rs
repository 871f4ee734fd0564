//! Regression (issue 11, defect 4): a webhook that answered 2xx and then closed the connection
//! got every event five times. A 2xx answer is a delivery; the close after it is no failure.

use std::collections::BTreeSet;
use std::time::Duration;

use gauntlet_reference::{Fault, Server};
use serde_json::{json, Value};

use crate::hooks::{closing_receiver, is_terminal};
use crate::support::{message, rpc, start, STEP};

/// After the terminal event, how long the test watches for a repeat of it. A repeat would come
/// after one backoff (10 ms here).
const QUIET: Duration = Duration::from_millis(300);

fn key(v: &Value) -> String {
    let u = &v["artifactUpdate"]["artifact"];
    match (v.get("task"), v.get("statusUpdate"), u.is_null()) {
        (Some(t), _, _) => format!("task:{}", t["status"]["state"]),
        (_, Some(s), _) => format!("status:{}", s["status"]["state"]),
        (_, _, false) => format!("chunk:{}", u["parts"][0]["data"]["seq"]),
        _ => format!("other:{v}"),
    }
}

async fn run(fault: Option<Fault>) -> Vec<Value> {
    let (addr, record) = closing_receiver().await;
    let mut b = Server::builder().allow_private_webhooks(true).fault(fault);
    b.config_mut().push_initial_backoff = Duration::from_millis(10);
    let server = start(b).await;
    let mut params = message("stream 3");
    params["configuration"] =
        json!({"taskPushNotificationConfig": {"url": format!("http://{addr}/hook")}});
    let v = rpc(server.local_addr(), "SendMessage", params).await.json();
    assert_eq!(
        v["result"]["task"]["status"]["state"], "TASK_STATE_COMPLETED",
        "{v}"
    );
    let terminal = record
        .wait(|r| r.bodies().iter().any(is_terminal), 3 * STEP)
        .await;
    assert!(terminal, "no terminal event: {:?}", record.bodies());
    let n = record.bodies().len();
    // Watch for one more delivery (a repeat of the terminal event) until QUIET passes.
    record.wait(|r| r.bodies().len() > n, QUIET).await;
    server.shutdown().await;
    record.bodies()
}

#[tokio::test]
async fn regression_a_webhook_that_closes_after_2xx_gets_each_event_exactly_once() {
    let got = run(None).await;
    let keys: Vec<String> = got.iter().map(key).collect();
    assert_eq!(
        keys.len(),
        6,
        "task, working, 3 chunks, completed — once each: {keys:?}"
    );
    let distinct: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(distinct.len(), 6, "a repeated delivery: {keys:?}");
}

#[tokio::test]
async fn control_counting_the_close_as_a_failure_repeats_every_event() {
    let got = run(Some(Fault::PushRetryAfterClose)).await;
    let firsts = got.iter().filter(|v| v.get("task").is_some()).count();
    assert_eq!(firsts, 5, "the first event, once per attempt: {got:?}");
}
