//! A task belongs to the tenant it was created under (issue 11): under another tenant, or with
//! no tenant, it reads as TaskNotFound and is not listed (ERR-007).

use gauntlet_reference::{Fault, Server};
use http::Method;
use serde_json::json;

use crate::support::{message, req, rpc, start, start_default, Resp};

fn created(res: Resp) -> String {
    assert_eq!(res.status, http::StatusCode::OK, "{:?}", res.body);
    res.json()["task"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_task_is_visible_only_under_its_own_tenant() {
    let server = start_default().await;
    let addr = server.local_addr();
    let id = created(
        req(addr, Method::POST, "/t1/message:send")
            .json(&message("echo mine"))
            .send()
            .await,
    );
    let own = req(addr, Method::GET, &format!("/t1/tasks/{id}"))
        .send()
        .await;
    assert_eq!(own.status, http::StatusCode::OK);
    for path in [format!("/t2/tasks/{id}"), format!("/tasks/{id}")] {
        let other = req(addr, Method::GET, &path).send().await;
        assert_eq!(other.status, http::StatusCode::NOT_FOUND, "{path}");
        assert_eq!(other.json()["error"]["status"], "NOT_FOUND");
    }
    let listed = req(addr, Method::GET, "/t2/tasks").send().await.json();
    assert_eq!(listed["totalSize"], 0, "{listed}");
    let listed = req(addr, Method::GET, "/t1/tasks").send().await.json();
    assert_eq!(listed["totalSize"], 1, "{listed}");
    // JSON-RPC carries the tenant in params, with the same scoping.
    let got = rpc(addr, "GetTask", json!({"id": id, "tenant": "t1"}))
        .await
        .json();
    assert_eq!(got["result"]["id"], id.as_str());
    let got = rpc(addr, "GetTask", json!({"id": id, "tenant": "t2"}))
        .await
        .json();
    assert_eq!(got["error"]["code"], -32001);
    let mut follow = message("more");
    follow["message"]["taskId"] = json!(id);
    follow["tenant"] = json!("t2");
    let sent = rpc(addr, "SendMessage", follow).await.json();
    assert_eq!(sent["error"]["code"], -32001, "{sent}");
    server.shutdown().await;
}

#[tokio::test]
async fn control_the_leak_fault_shows_another_tenants_task() {
    let server = start(Server::builder().fault(Some(Fault::LeakOtherTenantsTasks))).await;
    let addr = server.local_addr();
    let id = created(
        req(addr, Method::POST, "/t1/message:send")
            .json(&message("echo mine"))
            .send()
            .await,
    );
    let other = req(addr, Method::GET, &format!("/t2/tasks/{id}"))
        .send()
        .await;
    assert_eq!(other.status, http::StatusCode::OK);
    server.shutdown().await;
}
