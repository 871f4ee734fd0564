//! Regression (issue 11, defect 5): the SSRF guard knew only standard spellings of internal
//! addresses. Every spelling below must be refused at registration while the guard is on.
//!
//! No traffic goes anywhere: configs are registered on a task that is quiet in WORKING (no
//! event to deliver), and one that is wrongly accepted is deleted before the task moves on.

use gauntlet_reference::{Fault, Server};
use serde_json::{json, Value};

use crate::support::{message, rpc, start, STEP};

/// Spellings of internal addresses, each with what it denotes.
const SPELLINGS: &[(&str, &str)] = &[
    ("http://0/", "0.0.0.0"),
    ("http://0:9/hook", "0.0.0.0"),
    ("http://2130706433/", "127.0.0.1 as one decimal number"),
    ("http://0177.0.0.1/", "127.0.0.1 in octal"),
    ("http://0x7f000001/", "127.0.0.1 as one hex number"),
    ("http://0x7f.0.0.1/", "127.0.0.1 with a hex first part"),
    ("http://127.1/", "127.0.0.1 in two parts"),
    ("http://localhost./", "localhost with the root dot"),
    ("http://LocalHost:9/", "localhost in mixed case"),
    ("http://167772161/", "10.0.0.1 as one decimal number"),
    ("http://0xa9fea9fe/", "169.254.169.254 as one hex number"),
    ("http://[::ffff:127.0.0.1]/", "IPv4-mapped 127.0.0.1"),
    ("http://[::ffff:a9fe:a9fe]/", "IPv4-mapped 169.254.169.254"),
    ("http://[::127.0.0.1]/", "IPv4-compatible 127.0.0.1"),
    ("http://[::a00:1]/", "IPv4-compatible 10.0.0.1"),
    ("http://[64:ff9b::7f00:1]/", "NAT64 of 127.0.0.1"),
    ("http://[64:ff9b::10.0.0.1]/", "NAT64 of 10.0.0.1"),
    ("http://[2002:7f00:1::1]/", "6to4 of 127.0.0.1"),
    ("http://[2002:a9fe:a9fe::]/", "6to4 of 169.254.169.254"),
];

fn result(v: Value) -> Value {
    assert!(v.get("error").is_none(), "unexpected error: {v}");
    v["result"].clone()
}

/// Registers every URL on a quiet task; returns the ones the server accepted.
async fn accepted(fault: Option<Fault>, urls: &[String]) -> Vec<String> {
    let server = start(Server::builder().fault(fault)).await;
    let addr = server.local_addr();
    let mut params = message("hang");
    params["configuration"] = json!({"returnImmediately": true});
    let task = result(rpc(addr, "SendMessage", params).await.json())["task"].clone();
    let id = task["id"].as_str().unwrap().to_owned();
    let deadline = tokio::time::Instant::now() + STEP;
    while result(rpc(addr, "GetTask", json!({ "id": id })).await.json())["status"]["state"]
        != "TASK_STATE_WORKING"
    {
        assert!(tokio::time::Instant::now() < deadline, "task never started");
        tokio::task::yield_now().await;
    }
    let mut wrongly = Vec::new();
    for url in urls {
        let v = rpc(
            addr,
            "CreateTaskPushNotificationConfig",
            json!({"taskId": id, "url": url}),
        )
        .await
        .json();
        if let Some(cfg) = v["result"]["id"].as_str() {
            let del = json!({"taskId": id, "id": cfg});
            result(
                rpc(addr, "DeleteTaskPushNotificationConfig", del)
                    .await
                    .json(),
            );
            wrongly.push(url.clone());
        } else {
            assert_eq!(v["error"]["code"], -32602, "{url}: {v}");
        }
    }
    // The inline form (a config in SendMessage) goes through the same guard.
    let mut inline = message("hello");
    inline["configuration"] = json!({"taskPushNotificationConfig": {"url": "http://0x7f000001/"}});
    let v = rpc(addr, "SendMessage", inline).await.json();
    if v.get("error").is_none() {
        wrongly.push("inline http://0x7f000001/".to_owned());
    }
    result(rpc(addr, "CancelTask", json!({ "id": id })).await.json());
    server.shutdown().await;
    wrongly
}

fn table() -> Vec<String> {
    let mut urls: Vec<String> = SPELLINGS.iter().map(|(u, _)| (*u).to_owned()).collect();
    for name in gauntlet_wire::hosts::loopback_names() {
        urls.push(format!("http://{name}:9/hook"));
        urls.push(format!("https://{name}./hook"));
    }
    urls
}

#[tokio::test]
async fn regression_every_spelling_of_an_internal_address_is_refused_at_registration() {
    let wrongly = accepted(None, &table()).await;
    let explained: Vec<String> = wrongly
        .iter()
        .map(|u| match SPELLINGS.iter().find(|(s, _)| s == u) {
            Some((_, what)) => format!("{u} ({what})"),
            None => u.clone(),
        })
        .collect();
    assert!(explained.is_empty(), "accepted: {explained:#?}");
}

#[tokio::test]
async fn control_a_guard_that_knows_only_standard_spellings_accepts_them() {
    let wrongly = accepted(Some(Fault::SsrfStandardSpellingsOnly), &table()).await;
    for url in [
        "http://2130706433/",
        "http://0x7f000001/",
        "http://localhost./",
    ] {
        assert!(wrongly.iter().any(|u| u == url), "{url}: {wrongly:?}");
    }
}
