//! JSON-RPC 2.0 envelope handling (digest §1.5): parse and envelope errors, id echo, batches,
//! notifications, content type, HTTP method.

use gauntlet_reference::{Fault, Server};
use http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{req, start, start_default, Resp};

async fn post_raw(addr: std::net::SocketAddr, body: &str) -> Resp {
    req(addr, Method::POST, "/")
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .await
}

fn code(v: &Value) -> i64 {
    v["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no error code in {v}"))
}

#[tokio::test]
async fn malformed_json_is_a_parse_error_with_null_id() {
    let server = start_default().await;
    let res = post_raw(server.local_addr(), "{\"jsonrpc\":\"2.0\",").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.header("content-type").starts_with("application/json"));
    let v = res.json();
    assert_eq!(code(&v), -32700);
    assert_eq!(v["id"], Value::Null);
    assert_eq!(v["jsonrpc"], "2.0");
    assert_eq!(
        v["error"]["data"][0]["@type"],
        "type.googleapis.com/google.rpc.ErrorInfo"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn bad_envelopes_are_invalid_requests() {
    let server = start_default().await;
    let addr = server.local_addr();
    let cases = [
        (
            r#"{"id":1,"method":"GetTask","params":{"id":"x"}}"#,
            json!(1),
        ),
        (
            r#"{"jsonrpc":"1.0","id":"a","method":"GetTask","params":{"id":"x"}}"#,
            json!("a"),
        ),
        (
            r#"{"jsonrpc":"2.0","id":2,"method":7,"params":{}}"#,
            json!(2),
        ),
        (
            r#"{"jsonrpc":"2.0","id":{"x":1},"method":"GetTask","params":{}}"#,
            Value::Null,
        ),
        (
            r#"{"jsonrpc":"2.0","id":[1],"method":"GetTask","params":{}}"#,
            Value::Null,
        ),
        (r#""just a string""#, Value::Null),
        (r#"{"jsonrpc":"2.0","method":7}"#, Value::Null),
    ];
    for (body, id) in cases {
        let v = post_raw(addr, body).await.json();
        assert_eq!(code(&v), -32600, "{body}: {v}");
        assert_eq!(v["id"], id, "{body}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_methods_and_bad_params_have_their_codes() {
    let server = start_default().await;
    let addr = server.local_addr();
    let unknown = post_raw(
        addr,
        r#"{"jsonrpc":"2.0","id":1,"method":"tasks/get","params":{}}"#,
    )
    .await;
    assert_eq!(code(&unknown.json()), -32601);
    let array = post_raw(
        addr,
        r#"{"jsonrpc":"2.0","id":1,"method":"GetTask","params":[1]}"#,
    )
    .await;
    assert_eq!(code(&array.json()), -32602);
    let missing = post_raw(addr, r#"{"jsonrpc":"2.0","id":1,"method":"GetTask"}"#).await;
    let v = missing.json();
    assert_eq!(code(&v), -32602);
    assert_eq!(
        v["error"]["data"][1]["fieldViolations"][0]["field"],
        "params"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn ids_are_echoed_exactly() {
    let server = start_default().await;
    let addr = server.local_addr();
    for id in [
        json!("abc"),
        json!(7),
        json!(-1.5),
        Value::Null,
        json!(12345678901234i64),
    ] {
        let body = json!({"jsonrpc":"2.0","id":id,"method":"GetExtendedAgentCard"});
        let v = req(addr, Method::POST, "/").json(&body).send().await.json();
        assert_eq!(v["id"], id);
        assert!(v["result"]["name"].is_string());
    }
    server.shutdown().await;
}

#[tokio::test]
async fn id_type_not_echoed_fault_stringifies_numbers() {
    let server = start(Server::builder().fault(Some(Fault::IdTypeNotEchoed))).await;
    let body = json!({"jsonrpc":"2.0","id":7,"method":"GetExtendedAgentCard"});
    let v = req(server.local_addr(), Method::POST, "/")
        .json(&body)
        .send()
        .await
        .json();
    assert_eq!(v["id"], "7");
    server.shutdown().await;
}

#[tokio::test]
async fn a_batch_gets_one_response_per_request_and_none_for_notifications() {
    let server = start_default().await;
    let addr = server.local_addr();
    let batch = json!([
        {"jsonrpc":"2.0","id":1,"method":"GetExtendedAgentCard"},
        {"jsonrpc":"2.0","id":2,"method":"NoSuchMethod","params":{}},
        {"jsonrpc":"2.0","method":"GetExtendedAgentCard"},
        {"jsonrpc":"2.0","id":3,"method":"SendStreamingMessage","params":{}},
        {"jsonrpc":"2.0","id":4,"method":"SubscribeToTask","params":{"id":"x"}},
        42,
    ]);
    let res = req(addr, Method::POST, "/").json(&batch).send().await;
    assert_eq!(res.status, StatusCode::OK);
    let v = res.json();
    let out = v.as_array().expect("an array of responses");
    assert_eq!(out.len(), 5, "{v}");
    let by_id = |id: Value| {
        out.iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no response for {id}"))
    };
    assert!(by_id(json!(1))["result"].is_object());
    assert_eq!(code(by_id(json!(2))), -32601);
    assert_eq!(code(by_id(json!(3))), -32600);
    assert_eq!(code(by_id(json!(4))), -32600);
    assert_eq!(code(by_id(Value::Null)), -32600);
    server.shutdown().await;
}

#[tokio::test]
async fn empty_batches_and_notifications_follow_json_rpc() {
    let server = start_default().await;
    let addr = server.local_addr();
    let empty = post_raw(addr, "[]").await;
    let v = empty.json();
    assert!(v.is_object(), "an empty batch gets one error object: {v}");
    assert_eq!(code(&v), -32600);

    let all_notifications = json!([
        {"jsonrpc":"2.0","method":"GetExtendedAgentCard"},
        {"jsonrpc":"2.0","method":"NoSuchMethod"},
    ]);
    let res = req(addr, Method::POST, "/")
        .json(&all_notifications)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert!(res.body.is_empty());

    let single = post_raw(addr, r#"{"jsonrpc":"2.0","method":"GetExtendedAgentCard"}"#).await;
    assert_eq!(single.status, StatusCode::NO_CONTENT);
    assert!(single.body.is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn foreign_content_types_are_refused_and_json_variants_accepted() {
    let server = start_default().await;
    let addr = server.local_addr();
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"GetExtendedAgentCard"}"#;
    let refused = req(addr, Method::POST, "/")
        .header("Content-Type", "text/plain")
        .body(body)
        .send()
        .await;
    assert_eq!(code(&refused.json()), -32005);
    for ct in [
        "application/json; charset=utf-8",
        "application/a2a+json",
        "Application/JSON",
    ] {
        let ok = req(addr, Method::POST, "/")
            .header("Content-Type", ct)
            .body(body)
            .send()
            .await;
        assert!(ok.json()["result"].is_object(), "{ct}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn get_on_the_json_rpc_endpoint_is_405() {
    let server = start_default().await;
    let res = req(server.local_addr(), Method::GET, "/").send().await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.header("allow"), "POST");
    assert_eq!(code(&res.json()), -32600);
    server.shutdown().await;
}
