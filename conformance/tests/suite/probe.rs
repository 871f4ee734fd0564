//! The probe against real sockets: framing headers, deadlines, connect errors, transcripts.

use std::time::Duration;

use gauntlet_conformance::errors::ProbeError;
use gauntlet_conformance::probe::{parse_url, Probe, RawRequest, Transcript};
use gauntlet_conformance::webhook::{Scripted, WebhookReceiver};

#[tokio::test]
async fn host_and_content_length_are_added_and_headers_sent_as_given() {
    let hook = WebhookReceiver::start().await.expect("receiver starts");
    let transcript = Transcript::new();
    let probe = Probe::new(transcript.clone(), Duration::from_secs(5));
    let resp = probe
        .send(
            RawRequest::new("POST", hook.url())
                .header("X-Odd", " spaced value")
                .body("hello"),
        )
        .await
        .expect("answered");
    assert_eq!(resp.status, 200);
    let d = &hook.deliveries()[0];
    assert_eq!(d.header("host"), Some(hook.addr().to_string().as_str()));
    assert_eq!(d.header("content-length"), Some("5"));
    assert_eq!(d.header("x-odd"), Some("spaced value"));
    assert_eq!(&d.body[..], b"hello");
    let x = &transcript.exchanges()[0];
    assert_eq!(x.status, Some(200));
    assert!(x.error.is_none());
}

#[tokio::test]
async fn a_stalled_answer_is_a_timeout_and_is_recorded() {
    let hook =
        WebhookReceiver::with_script(vec![Scripted::status(200).stall(Duration::from_secs(30))])
            .await
            .expect("receiver starts");
    let transcript = Transcript::new();
    let probe = Probe::new(transcript.clone(), Duration::from_millis(200));
    let err = probe
        .send(RawRequest::new("GET", hook.url()))
        .await
        .expect_err("the receiver stalls");
    assert_eq!(err, ProbeError::Timeout(Duration::from_millis(200)));
    let x = &transcript.exchanges()[0];
    assert!(x.status.is_none());
    assert!(
        x.error.as_deref().is_some_and(|e| e.contains("no answer")),
        "{x:?}"
    );
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error() {
    // Bind and release a port: nothing listens there afterwards.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let probe = Probe::new(Transcript::new(), Duration::from_secs(5));
    let err = probe
        .send(RawRequest::new("GET", format!("http://127.0.0.1:{port}/")))
        .await
        .expect_err("nothing listens");
    assert!(matches!(err, ProbeError::Connect { .. }), "{err:?}");
    assert_eq!(probe.transcript().len(), 1);
}

#[test]
fn urls_are_parsed_strictly() {
    let u = parse_url("http://[::1]:8080/a/b?c=d#frag").expect("valid");
    assert_eq!((u.host.as_str(), u.port), ("::1", 8080));
    assert_eq!(u.path_and_query, "/a/b?c=d");
    assert_eq!(u.origin(), "http://[::1]:8080");
    let u = parse_url("http://localhost").expect("valid");
    assert_eq!((u.port, u.path_and_query.as_str()), (80, "/"));
    for bad in [
        "https://x",
        "ftp://x",
        "http://",
        "http://h:notaport/",
        "127.0.0.1:80",
    ] {
        assert!(parse_url(bad).is_err(), "{bad}");
    }
}
