//! curl rendering: safe quoting, and the rendered command really reproduces the request.

use std::time::Duration;

use gauntlet_conformance::probe::transcript::{curl_stream, quote};
use gauntlet_conformance::probe::RawRequest;
use gauntlet_conformance::webhook::WebhookReceiver;

#[test]
fn quoting_survives_single_quotes_and_shell_syntax() {
    assert_eq!(quote("plain-1.0"), "plain-1.0");
    assert_eq!(quote("it's"), r"'it'\''s'");
    assert_eq!(quote("$(rm -rf /)"), "'$(rm -rf /)'");
    assert_eq!(quote(""), "''");
}

#[test]
fn a_json_post_renders_as_data_binary_with_its_headers() {
    let req = RawRequest::new("POST", "http://127.0.0.1:7420/message:send")
        .header("Content-Type", "application/a2a+json")
        .header("A2A-Version", "1.0")
        .body(r#"{"a":"it's"}"#);
    assert_eq!(
        req.curl(),
        r#"curl -sS -i http://127.0.0.1:7420/message:send -H 'Content-Type: application/a2a+json' -H 'A2A-Version: 1.0' --data-binary '{"a":"it'\''s"}'"#
    );
}

#[test]
fn a_stream_uses_no_buffering_and_odd_methods_are_explicit() {
    let req = RawRequest::new("DELETE", "http://127.0.0.1:1/tasks/a%2Fb").header("Host", "x");
    let cmd = curl_stream(&req);
    assert!(cmd.starts_with("curl -sS -i -N -X DELETE "), "{cmd}");
    assert!(!cmd.contains("Host"), "{cmd}");
}

#[test]
fn binary_bodies_are_piped_through_printf() {
    let req = RawRequest::new("POST", "http://127.0.0.1:1/").body(vec![0u8, b'\'', 0xff]);
    let cmd = req.curl();
    assert!(
        cmd.starts_with(r"printf '%b' '\000\047\377' | curl"),
        "{cmd}"
    );
    assert!(cmd.ends_with("--data-binary @-"), "{cmd}");
}

/// Sends `req` with the probe and with its curl command; both must arrive identically.
async fn reproduce(req_for: impl Fn(&str) -> RawRequest) {
    let hook = WebhookReceiver::start().await.expect("receiver starts");
    let cmd = req_for(&hook.url()).curl();
    let got =
        crate::probe_then_curl(&hook, req_for(&hook.url()), &cmd, Duration::from_secs(5)).await;
    assert_eq!(got[0].method, got[1].method, "{cmd}");
    assert_eq!(got[0].path, got[1].path, "{cmd}");
    assert_eq!(got[0].body, got[1].body, "{cmd}");
    for name in ["content-type", "a2a-version", "authorization"] {
        assert_eq!(got[0].header(name), got[1].header(name), "{name}: {cmd}");
    }
}

#[tokio::test]
async fn the_curl_command_reproduces_a_json_request() {
    reproduce(|url| {
        RawRequest::new("POST", format!("{url}?q=a%20b"))
            .header("Content-Type", "application/json")
            .header("A2A-Version", "1.0")
            .header("Authorization", "Bearer it's")
            .body("{\"text\":\"line1\\nline2 'quoted' $HOME\"}\n")
    })
    .await;
}

#[tokio::test]
async fn the_curl_command_reproduces_binary_and_at_sign_bodies() {
    reproduce(|url| RawRequest::new("PUT", url).body(vec![0u8, 1, 0xfe, b'\n', b'@'])).await;
    reproduce(|url| {
        RawRequest::new("POST", url)
            .header("Content-Type", "text/plain")
            .body("@/etc/passwd")
    })
    .await;
}
