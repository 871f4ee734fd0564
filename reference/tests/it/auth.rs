//! Bearer authentication: 401 with a challenge on both bindings, one identity per token.

use gauntlet_reference::Server;
use http::{Method, StatusCode};
use serde_json::json;

use crate::support::{message, req, start};

#[tokio::test]
async fn requests_without_a_valid_token_get_401_with_a_challenge() {
    let server = start(Server::builder().bearer("alpha").bearer("beta")).await;
    let addr = server.local_addr();
    let body = json!({"jsonrpc":"2.0","id":1,"method":"GetExtendedAgentCard"});
    for auth in [
        None,
        Some("Bearer gamma"),
        Some("Basic YWxwaGE6"),
        Some("Bearer"),
    ] {
        let mut r = req(addr, Method::POST, "/").json(&body);
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        let res = r.send().await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(res.header("www-authenticate"), "Bearer realm=\"a2a\"");
        assert!(res.header("content-type").starts_with("application/json"));
        let v = res.json();
        assert_eq!(v["jsonrpc"], "2.0");
        assert!(v["error"]["code"].is_i64());

        let mut r = req(addr, Method::GET, "/tasks");
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        let res = r.send().await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        assert_eq!(res.header("www-authenticate"), "Bearer realm=\"a2a\"");
        let e = &res.json()["error"];
        assert_eq!(e["code"], 401);
        assert_eq!(e["status"], "UNAUTHENTICATED");
    }
    // The public card needs no token.
    let card = req(addr, Method::GET, "/.well-known/agent-card.json")
        .send()
        .await;
    assert_eq!(card.status, StatusCode::OK);
    // A valid token (scheme name case-insensitive) reaches the extended card.
    let ok = req(addr, Method::POST, "/")
        .header("Authorization", "bearer beta")
        .json(&body)
        .send()
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(ok.json()["result"]["skills"].is_array());
    server.shutdown().await;
}

#[tokio::test]
async fn each_token_is_its_own_identity() {
    let server = start(Server::builder().bearer("alpha").bearer("beta")).await;
    let addr = server.local_addr();
    let send = json!({"jsonrpc":"2.0","id":1,"method":"SendMessage","params":message("echo mine")});
    let created = req(addr, Method::POST, "/")
        .header("Authorization", "Bearer alpha")
        .json(&send)
        .send()
        .await
        .json();
    let id = created["result"]["task"]["id"]
        .as_str()
        .expect("a task id")
        .to_owned();

    let get = |token: &'static str| {
        let id = id.clone();
        async move {
            req(addr, Method::GET, &format!("/tasks/{id}"))
                .header("Authorization", &format!("Bearer {token}"))
                .send()
                .await
        }
    };
    assert_eq!(get("alpha").await.status, StatusCode::OK);
    let other = get("beta").await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert_eq!(
        other.json()["error"]["details"][0]["reason"],
        "TASK_NOT_FOUND"
    );
    let list = req(addr, Method::GET, "/tasks")
        .header("Authorization", "Bearer beta")
        .send()
        .await
        .json();
    assert_eq!(list["tasks"], json!([]));
    server.shutdown().await;
}
