//! JSON-RPC ids are echoed byte for byte (JRPC-002; issue 11, defect 7): numbers that do not
//! survive `f64`/`i64` (`1e-25`, `12345678901234567890123`, `-0`) and strings with escapes.

use gauntlet_reference::{Fault, Server};
use http::Method;

use crate::support::{req, start, start_default, Sse};

/// Every id form that a re-encoding server gets wrong, plus plain ones.
const IDS: &[&str] = &[
    "1e-25",
    "12345678901234567890123",
    "-0",
    "1.50",
    "7",
    r#""plain""#,
    r#""esc\u0061ped \"q\"""#,
    r#""""#,
];

fn body(id: &str, method: &str, params: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{params}}}"#)
}

const SEND: &str =
    r#"{"message":{"messageId":"m-ids","role":"ROLE_USER","parts":[{"text":"echo ids"}]}}"#;

async fn post(addr: std::net::SocketAddr, body: String) -> String {
    let res = req(addr, Method::POST, "/")
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await;
    String::from_utf8(res.body.to_vec()).unwrap()
}

#[tokio::test]
async fn ids_are_echoed_byte_for_byte_on_results_errors_and_batches() {
    let server = start_default().await;
    let addr = server.local_addr();
    for id in IDS {
        let want = format!(r#"{{"jsonrpc":"2.0","id":{id},"#);
        let ok = post(addr, body(id, "SendMessage", SEND)).await;
        assert!(ok.starts_with(&want), "{id}: {ok}");
        let err = post(addr, body(id, "GetTask", r#"{"id":"missing"}"#)).await;
        assert!(
            err.starts_with(&want) && err.contains("-32001"),
            "{id}: {err}"
        );
        let unknown = post(addr, body(id, "NoSuchMethod", "{}")).await;
        assert!(
            unknown.starts_with(&want) && unknown.contains("-32601"),
            "{id}: {unknown}"
        );
    }
    let batch = format!(
        "[{}, {}]",
        body("1e-25", "GetTask", r#"{"id":"missing"}"#),
        body("-0", "GetTask", r#"{"id":"missing"}"#)
    );
    let answer = post(addr, batch).await;
    assert!(
        answer.contains(r#""id":1e-25,"#) && answer.contains(r#""id":-0,"#),
        "{answer}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn stream_events_carry_the_exact_id() {
    let server = start_default().await;
    let text = body(
        "12345678901234567890123",
        "SendStreamingMessage",
        &SEND.replace("echo ids", "stream 2"),
    );
    let res = req(server.local_addr(), Method::POST, "/")
        .header("Content-Type", "application/json")
        .body(text)
        .open()
        .await;
    let mut sse = Sse::new(res);
    let mut n = 0;
    while let Some(crate::support::Block::Data { data, .. }) = sse.next_block().await {
        assert!(
            data.starts_with(r#"{"jsonrpc":"2.0","id":12345678901234567890123,"#),
            "{data}"
        );
        n += 1;
    }
    assert!(n >= 4, "{n} events");
    server.shutdown().await;
}

#[tokio::test]
async fn ids_of_other_types_are_invalid_requests_with_a_null_id() {
    let server = start_default().await;
    for id in ["true", "{}", "[1]"] {
        let a = post(server.local_addr(), body(id, "GetTask", r#"{"id":"x"}"#)).await;
        assert!(
            a.starts_with(r#"{"jsonrpc":"2.0","id":null,"#) && a.contains("-32600"),
            "{id}: {a}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn control_the_id_reencoded_fault_mangles_exactly_these_ids() {
    let server = start(Server::builder().fault(Some(Fault::IdReencoded))).await;
    let addr = server.local_addr();
    for (id, seen) in [
        ("1e-25", "9.999999999999999e-26"),
        ("12345678901234567890123", "1.2345678901234568e+22"),
        ("-0", "-0.0"),
    ] {
        let a = post(addr, body(id, "GetTask", r#"{"id":"missing"}"#)).await;
        assert!(
            a.starts_with(&format!(r#"{{"jsonrpc":"2.0","id":{seen},"#)),
            "{a}"
        );
    }
    server.shutdown().await;
}
