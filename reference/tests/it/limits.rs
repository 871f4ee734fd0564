//! Hardening: body limit, header read timeout, unknown routes and methods, error-shape faults.

use std::time::{Duration, Instant};

use gauntlet_reference::{Fault, Server};
use http::{Method, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{req, rpc, start, start_default, STEP};

#[tokio::test]
async fn an_oversized_body_is_413_on_both_bindings() {
    let server = start(Server::builder().max_body_bytes(1000)).await;
    let addr = server.local_addr();
    let big =
        json!({"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"pad":"x".repeat(2000)}});
    let res = req(addr, Method::POST, "/").json(&big).send().await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    let v = res.json();
    assert_eq!(v["error"]["code"], -32600);
    assert!(v["error"]["message"].as_str().unwrap().contains("1000"));

    let res = req(addr, Method::POST, "/message:send")
        .json(&json!({"pad": "x".repeat(2000)}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(res.json()["error"]["code"], 413);
    server.shutdown().await;
}

#[tokio::test]
async fn a_chunked_body_is_counted_while_it_is_read() {
    let server = start(Server::builder().max_body_bytes(1000)).await;
    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    let head = "POST / HTTP/1.1\r\nHost: x\r\nA2A-Version: 1.0\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    tcp.write_all(head.as_bytes()).await.unwrap();
    // 1200 bytes in three chunks, written at once: the server must stop counting at 1000.
    let chunk = "y".repeat(400);
    let chunks = format!("{:x}\r\n{chunk}\r\n", chunk.len()).repeat(3);
    tcp.write_all(chunks.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(STEP, tcp.read(&mut buf))
        .await
        .expect("an answer before the body ends")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_that_sends_half_a_header_is_cut_off() {
    let mut builder = Server::builder();
    builder.config_mut().header_read_timeout = Duration::from_millis(300);
    let server = start(builder).await;
    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    tcp.write_all(b"GET /.well-known/agent-card.json HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = vec![0u8; 1024];
    // The server must end the connection (EOF or reset, possibly after a 408) well before STEP.
    let outcome = tokio::time::timeout(STEP, async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(outcome.is_ok(), "the half-sent request was never cut off");
    assert!(started.elapsed() >= Duration::from_millis(200));
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405() {
    let server = start_default().await;
    let addr = server.local_addr();
    for path in [
        "/nope",
        "/tasks/x:explode",
        "/a/b/c/d/e/f",
        "/message:sendx",
    ] {
        let res = req(addr, Method::GET, path).send().await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
        assert!(res
            .header("content-type")
            .starts_with("application/a2a+json"));
        let e = &res.json()["error"];
        assert_eq!(e["code"], 404);
        assert_eq!(e["details"][0]["reason"], "METHOD_NOT_FOUND");
    }
    for (method, path, allow) in [
        (Method::GET, "/message:send", "POST"),
        (Method::DELETE, "/tasks/x", "GET"),
        (
            Method::PUT,
            "/tasks/x/pushNotificationConfigs/c",
            "GET, DELETE",
        ),
        (Method::GET, "/tasks/x:cancel", "POST"),
    ] {
        let res = req(addr, method.clone(), path).send().await;
        assert_eq!(
            res.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(res.header("allow"), allow);
        assert_eq!(res.json()["error"]["code"], 405);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_foreign_content_type_on_a_rest_body_is_refused() {
    let server = start_default().await;
    let res = req(server.local_addr(), Method::POST, "/message:send")
        .header("Content-Type", "text/xml")
        .body("<message/>")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        res.json()["error"]["details"][0]["reason"],
        "CONTENT_TYPE_NOT_SUPPORTED"
    );
    let bad_json = req(server.local_addr(), Method::POST, "/message:send")
        .header("Content-Type", "application/a2a+json; charset=utf-8")
        .body("{nope")
        .send()
        .await;
    assert_eq!(bad_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad_json.json()["error"]["details"][0]["reason"],
        "PARSE_ERROR"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn task_not_found_has_its_code_unless_the_fault_is_on() {
    let server = start_default().await;
    let addr = server.local_addr();
    assert_eq!(
        rpc(addr, "GetTask", json!({"id":"nope"})).await.json()["error"]["code"],
        -32001
    );
    let res = req(addr, Method::GET, "/tasks/nope").send().await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(res.json()["error"]["status"], "NOT_FOUND");
    server.shutdown().await;

    let server = start(Server::builder().fault(Some(Fault::WrongErrorCode))).await;
    let addr = server.local_addr();
    assert_eq!(
        rpc(addr, "GetTask", json!({"id":"nope"})).await.json()["error"]["code"],
        -32603
    );
    assert_eq!(
        req(addr, Method::GET, "/tasks/nope").send().await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    server.shutdown().await;
}

#[tokio::test]
async fn rest_error_shape_fault_drops_the_wrapper() {
    let server = start(Server::builder().fault(Some(Fault::RestErrorShape))).await;
    let v = req(server.local_addr(), Method::GET, "/nope")
        .send()
        .await
        .json();
    assert!(v.get("error").is_none());
    assert_eq!(v["code"], 404);
    server.shutdown().await;
}

#[tokio::test]
async fn after_a_413_the_same_connection_serves_the_next_request() {
    use http_body_util::{BodyExt, Full};
    let server = start(Server::builder().max_body_bytes(1000)).await;
    let tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(conn);
    let post = |body: String| {
        hyper::Request::post("/")
            .header("host", "x")
            .header("a2a-version", "1.0")
            .header("content-type", "application/json")
            .body(Full::new(bytes::Bytes::from(body)))
            .unwrap()
    };
    let big = format!(r#"{{"pad":"{}"}}"#, "x".repeat(50_000));
    let res = tokio::time::timeout(STEP, sender.send_request(post(big)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        res.headers().get("connection").is_none(),
        "the body was drained"
    );
    let _ = res.into_body().collect().await.unwrap();
    tokio::time::timeout(STEP, sender.ready())
        .await
        .unwrap()
        .unwrap();
    let small = r#"{"jsonrpc":"2.0","id":2,"method":"GetExtendedAgentCard"}"#.to_owned();
    let res = tokio::time::timeout(STEP, sender.send_request(post(small)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["id"], 2);
    server.shutdown().await;
}
