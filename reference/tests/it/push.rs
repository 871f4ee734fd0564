//! Push delivery over real HTTP to a wiremock receiver on 127.0.0.1 (digest §8, PUSH-005..014).

use std::net::SocketAddr;
use std::time::Duration;

use gauntlet_reference::Server;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::{message, rpc, start, STEP};

async fn receiver() -> MockServer {
    let hook = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(10)
        .mount(&hook)
        .await;
    hook
}

/// A server that may call webhooks on loopback, retrying quickly.
async fn server() -> gauntlet_reference::ServerHandle {
    let mut b = Server::builder().allow_private_webhooks(true);
    b.config_mut().push_initial_backoff = Duration::from_millis(20);
    start(b).await
}

fn result(v: Value) -> Value {
    assert!(v.get("error").is_none(), "unexpected error: {v}");
    v["result"].clone()
}

fn body(r: &Request) -> Value {
    serde_json::from_slice(&r.body).expect("webhook body is JSON")
}

fn header<'a>(r: &'a Request, name: &str) -> &'a str {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn is_terminal_event(v: &Value) -> bool {
    matches!(
        v["statusUpdate"]["status"]["state"].as_str(),
        Some("TASK_STATE_COMPLETED" | "TASK_STATE_CANCELED")
    )
}

/// Requests received on `route` once one of them is a terminal status update (bounded wait).
async fn until_terminal(hook: &MockServer, route: &str) -> Vec<Request> {
    let deadline = tokio::time::Instant::now() + STEP;
    let mut tick = tokio::time::interval(Duration::from_millis(5));
    loop {
        tick.tick().await;
        let got: Vec<Request> = hook
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path() == route)
            .collect();
        if got.iter().any(|r| is_terminal_event(&body(r))) {
            return got;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no terminal event delivered to {route}; got {} requests",
            got.len()
        );
    }
}

async fn send_with_hook(addr: SocketAddr, text: &str, config: Value) -> Value {
    let mut params = message(text);
    params["configuration"] = json!({ "taskPushNotificationConfig": config });
    result(rpc(addr, "SendMessage", params).await.json())["task"].clone()
}

#[tokio::test]
async fn every_event_reaches_the_webhook_in_order_with_credentials() {
    let hook = receiver().await;
    let server = server().await;
    let url = format!("{}/hook", hook.uri());
    let config = json!({"url": url, "token": "tok-1",
        "authentication": {"scheme": "Bearer", "credentials": "s3cret"}});
    let task = send_with_hook(server.local_addr(), "stream 3", config).await;
    assert_eq!(task["status"]["state"], "TASK_STATE_COMPLETED");

    let got = until_terminal(&hook, "/hook").await;
    for r in &got {
        assert_eq!(r.method.as_str(), "POST");
        assert_eq!(header(r, "content-type"), "application/a2a+json");
        assert_eq!(header(r, "authorization"), "Bearer s3cret");
        assert_eq!(header(r, "x-a2a-notification-token"), "tok-1");
        let b = body(r);
        assert_eq!(
            b.as_object().unwrap().len(),
            1,
            "one StreamResponse member: {b}"
        );
    }
    let bodies: Vec<Value> = got.iter().map(body).collect();
    assert_eq!(
        bodies.len(),
        6,
        "task, working, 3 chunks, completed: {bodies:?}"
    );
    assert_eq!(bodies[0]["task"]["id"], task["id"]);
    assert_eq!(
        bodies[1]["statusUpdate"]["status"]["state"],
        "TASK_STATE_WORKING"
    );
    for (i, b) in bodies[2..5].iter().enumerate() {
        assert_eq!(
            b["artifactUpdate"]["artifact"]["parts"][0]["data"]["seq"],
            i
        );
        assert_eq!(b["artifactUpdate"]["taskId"], task["id"]);
    }
    assert!(is_terminal_event(&bodies[5]));
    server.shutdown().await;
}

#[tokio::test]
async fn a_failed_delivery_is_retried() {
    let hook = receiver().await;
    Mock::given(method("POST"))
        .and(path("/flaky"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&hook)
        .await;
    let server = server().await;
    let config = json!({"url": format!("{}/flaky", hook.uri())});
    send_with_hook(server.local_addr(), "hello", config).await;

    let got = until_terminal(&hook, "/flaky").await;
    let bodies: Vec<Value> = got.iter().map(body).collect();
    assert_eq!(
        bodies[0], bodies[1],
        "the refused first event is sent again"
    );
    assert!(bodies[0].get("task").is_some());
    assert_eq!(bodies.len(), 5, "task twice, working, artifact, completed");
    assert!(got.iter().all(|r| header(r, "authorization").is_empty()));
    server.shutdown().await;
}

#[tokio::test]
async fn nothing_is_delivered_after_delete() {
    let hook = receiver().await;
    let server = server().await;
    let addr = server.local_addr();
    let mut params = message("hang");
    params["configuration"] = json!({"returnImmediately": true});
    let task = result(rpc(addr, "SendMessage", params).await.json())["task"].clone();
    let id = task["id"].as_str().unwrap();
    // Configs are added once the task is quiet in WORKING, so any delivery must be the cancel.
    let deadline = tokio::time::Instant::now() + STEP;
    while result(rpc(addr, "GetTask", json!({ "id": id })).await.json())["status"]["state"]
        != "TASK_STATE_WORKING"
    {
        assert!(tokio::time::Instant::now() < deadline, "task never started");
        tokio::task::yield_now().await;
    }

    for (cfg_id, route) in [("gone", "/gone"), ("kept", "/kept")] {
        let created = result(
            rpc(
                addr,
                "CreateTaskPushNotificationConfig",
                json!({"taskId": id, "id": cfg_id, "url": format!("{}{route}", hook.uri())}),
            )
            .await
            .json(),
        );
        assert_eq!(created["id"], cfg_id);
    }
    for _ in 0..2 {
        let deleted = rpc(
            addr,
            "DeleteTaskPushNotificationConfig",
            json!({"taskId": id, "id": "gone"}),
        )
        .await
        .json();
        assert!(deleted.get("error").is_none(), "{deleted}");
    }
    let canceled = result(rpc(addr, "CancelTask", json!({ "id": id })).await.json());
    assert_eq!(canceled["status"]["state"], "TASK_STATE_CANCELED");

    // The kept config sees the cancel; by then the deleted one would have too.
    let kept = until_terminal(&hook, "/kept").await;
    assert_eq!(kept.len(), 1);
    let all = hook.received_requests().await.unwrap_or_default();
    assert!(
        all.iter().all(|r| r.url.path() != "/gone"),
        "a deleted config received a delivery"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_guard_refuses_loopback_webhooks_unless_allowed() {
    let hook = receiver().await;
    let server = start(Server::builder()).await;
    let mut params = message("hello");
    params["configuration"] =
        json!({"taskPushNotificationConfig": {"url": format!("{}/hook", hook.uri())}});
    let v = rpc(server.local_addr(), "SendMessage", params).await.json();
    assert_eq!(v["error"]["code"], -32602, "{v}");
    assert!(hook
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty());
    server.shutdown().await;
}
