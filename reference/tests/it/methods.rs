//! Every A2A operation on both bindings, the tenant prefix, colon verbs, percent-encoded ids
//! and typed query parameters.

use std::net::SocketAddr;

use gauntlet_reference::Server;
use http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{message, req, rpc, start, Resp};

fn result(res: Resp) -> Value {
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.header("content-type").starts_with("application/json"));
    let v = res.json();
    assert!(v.get("error").is_none(), "unexpected error: {v}");
    v["result"].clone()
}

fn rest_ok(res: Resp) -> Value {
    assert_eq!(
        res.status,
        StatusCode::OK,
        "{:?}",
        String::from_utf8_lossy(&res.body)
    );
    assert!(res
        .header("content-type")
        .starts_with("application/a2a+json"));
    res.json()
}

/// Starts a `hang` task without waiting for it; returns its id.
async fn hanging_task(addr: SocketAddr, path: &str) -> String {
    let mut params = message("hang");
    params["configuration"] = json!({"returnImmediately": true});
    let v = rest_ok(req(addr, Method::POST, path).json(&params).send().await);
    v["task"]["id"].as_str().expect("task id").to_owned()
}

/// Percent-encodes every byte, which a server must decode back to the same id.
fn encode_all(id: &str) -> String {
    id.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test]
async fn every_operation_works_over_json_rpc() {
    let server = start(Server::builder().allow_private_webhooks(true)).await;
    let addr = server.local_addr();

    let sent = result(rpc(addr, "SendMessage", message("echo over rpc")).await);
    let task = &sent["task"];
    assert_eq!(task["status"]["state"], "TASK_STATE_COMPLETED");
    let id = task["id"].as_str().unwrap().to_owned();

    let got = result(rpc(addr, "GetTask", json!({"id": id, "historyLength": 1})).await);
    assert_eq!(got["id"], id.as_str());

    let listed = result(rpc(addr, "ListTasks", json!({"pageSize": 10})).await);
    assert!(listed["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == id.as_str()));

    let hang = hanging_task(addr, "/message:send").await;
    let canceled = result(rpc(addr, "CancelTask", json!({"id": hang})).await);
    assert_eq!(canceled["status"]["state"], "TASK_STATE_CANCELED");

    let cfg = json!({"taskId": id, "url": "http://127.0.0.1:9/hook", "token": "t"});
    let created = result(rpc(addr, "CreateTaskPushNotificationConfig", cfg).await);
    let cfg_id = created["id"].as_str().expect("config id").to_owned();
    let fetched = result(
        rpc(
            addr,
            "GetTaskPushNotificationConfig",
            json!({"taskId": id, "id": cfg_id}),
        )
        .await,
    );
    assert_eq!(fetched["url"], "http://127.0.0.1:9/hook");
    let list = result(
        rpc(
            addr,
            "ListTaskPushNotificationConfigs",
            json!({"taskId": id}),
        )
        .await,
    );
    assert_eq!(list["configs"].as_array().unwrap().len(), 1);
    let deleted = result(
        rpc(
            addr,
            "DeleteTaskPushNotificationConfig",
            json!({"taskId": id, "id": cfg_id}),
        )
        .await,
    );
    assert!(deleted.is_null() || deleted == json!({}), "{deleted}");

    let card = result(rpc(addr, "GetExtendedAgentCard", json!({})).await);
    assert!(card["skills"].is_array());
    server.shutdown().await;
}

#[tokio::test]
async fn every_operation_works_over_rest() {
    let server = start(Server::builder().allow_private_webhooks(true)).await;
    let addr = server.local_addr();

    let sent = rest_ok(
        req(addr, Method::POST, "/message:send")
            .json(&message("echo over rest"))
            .send()
            .await,
    );
    assert_eq!(sent["task"]["status"]["state"], "TASK_STATE_COMPLETED");
    let id = sent["task"]["id"].as_str().unwrap().to_owned();
    let ctx = sent["task"]["contextId"].as_str().unwrap().to_owned();

    let got = rest_ok(
        req(
            addr,
            Method::GET,
            &format!("/tasks/{}?historyLength=0", encode_all(&id)),
        )
        .send()
        .await,
    );
    assert_eq!(got["id"], id.as_str());
    assert!(
        got.get("history").is_none(),
        "historyLength=0 arrived typed: {got}"
    );

    let listed = rest_ok(
        req(addr, Method::GET, &format!("/tasks?contextId={ctx}&page_size=5&includeArtifacts=true&status=TASK_STATE_COMPLETED"))
            .send()
            .await,
    );
    let tasks = listed["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 1, "{listed}");
    assert!(tasks[0]["artifacts"].is_array());
    let bad = req(addr, Method::GET, "/tasks?pageSize=many").send().await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.json()["error"]["details"][0]["reason"],
        "INVALID_PARAMS"
    );

    // Cancel with an empty body and with `{}`.
    let hang = hanging_task(addr, "/message:send").await;
    let canceled = rest_ok(
        req(addr, Method::POST, &format!("/tasks/{hang}:cancel"))
            .send()
            .await,
    );
    assert_eq!(canceled["status"]["state"], "TASK_STATE_CANCELED");
    let hang = hanging_task(addr, "/message:send").await;
    let canceled = rest_ok(
        req(addr, Method::POST, &format!("/tasks/{hang}:cancel"))
            .json(&json!({}))
            .send()
            .await,
    );
    assert_eq!(canceled["status"]["state"], "TASK_STATE_CANCELED");

    let base = format!("/tasks/{id}/pushNotificationConfigs");
    let created = rest_ok(
        req(addr, Method::POST, &base)
            .json(&json!({"url": "http://127.0.0.1:9/hook"}))
            .send()
            .await,
    );
    assert_eq!(created["taskId"], id.as_str());
    let cfg_id = created["id"].as_str().expect("config id").to_owned();
    let fetched = rest_ok(
        req(addr, Method::GET, &format!("{base}/{cfg_id}"))
            .send()
            .await,
    );
    assert_eq!(fetched["url"], "http://127.0.0.1:9/hook");
    let list = rest_ok(
        req(addr, Method::GET, &format!("{base}?pageSize=10"))
            .send()
            .await,
    );
    assert_eq!(list["configs"].as_array().unwrap().len(), 1);
    let deleted = rest_ok(
        req(addr, Method::DELETE, &format!("{base}/{cfg_id}"))
            .send()
            .await,
    );
    assert_eq!(deleted, json!({}));
    let gone = req(addr, Method::GET, &format!("{base}/{cfg_id}"))
        .send()
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    let card = rest_ok(req(addr, Method::GET, "/extendedAgentCard").send().await);
    assert!(card["skills"].is_array());
    server.shutdown().await;
}

#[tokio::test]
async fn the_tenant_prefix_reaches_every_route() {
    let server = start(Server::builder().allow_private_webhooks(true)).await;
    let addr = server.local_addr();
    let sent = rest_ok(
        req(addr, Method::POST, "/acme/message:send")
            .json(&message("echo tenant"))
            .send()
            .await,
    );
    let id = sent["task"]["id"].as_str().unwrap().to_owned();
    let got = rest_ok(
        req(addr, Method::GET, &format!("/acme/tasks/{id}"))
            .send()
            .await,
    );
    assert_eq!(got["id"], id.as_str());
    let listed = rest_ok(req(addr, Method::GET, "/acme/tasks").send().await);
    assert!(listed["tasks"].is_array());
    let hang = hanging_task(addr, "/acme/message:send").await;
    let canceled = rest_ok(
        req(addr, Method::POST, &format!("/acme/tasks/{hang}:cancel"))
            .send()
            .await,
    );
    assert_eq!(canceled["status"]["state"], "TASK_STATE_CANCELED");
    let created = rest_ok(
        req(
            addr,
            Method::POST,
            &format!("/acme/tasks/{id}/pushNotificationConfigs"),
        )
        .json(&json!({"url": "http://127.0.0.1:9/hook"}))
        .send()
        .await,
    );
    assert!(created["id"].is_string());
    server.shutdown().await;
}
