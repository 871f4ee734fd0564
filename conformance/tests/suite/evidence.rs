//! Bounded evidence: long request bodies kept as recipes whose shell form rebuilds the same
//! bytes, truncation with a note when there is no recipe, and the per-result exchange cap.

use std::time::Duration;

use gauntlet_conformance::probe::transcript::{
    BodyRecipe, LongBody, KEPT_TAIL, MAX_BODY, MAX_EXCHANGES,
};
use gauntlet_conformance::probe::{Exchange, RawRequest, Transcript};
use gauntlet_conformance::webhook::WebhookReceiver;

/// A JSON body with one long repeated string, like SEC-005's 4 MiB message.
fn big_json(n: usize) -> Vec<u8> {
    format!(
        r#"{{"message":{{"role":"ROLE_USER","parts":[{{"text":"{}"}}]}}, "it's": "$HOME"}}"#,
        "a".repeat(n)
    )
    .into_bytes()
}

async fn shell_output(script: &str) -> Vec<u8> {
    let out = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .output()
        .await
        .expect("sh runs");
    assert!(out.status.success(), "{script}");
    out.stdout
}

#[tokio::test]
async fn a_recipe_rebuilds_exactly_the_same_bytes_in_a_shell() {
    let mut binary = vec![0u8; 100];
    binary.extend_from_slice(&[0xff, b'\'', 0, 7]);
    binary.extend(std::iter::repeat_n(0xfeu8, 5000));
    for body in [big_json(1 << 20), binary] {
        let recipe = BodyRecipe::of(&body).expect("runs of one byte make a recipe");
        assert_eq!(recipe.build(), body);
        assert_eq!(recipe.len(), body.len());
        let script = recipe.shell();
        assert!(script.len() < 600, "{script}");
        assert_eq!(shell_output(&script).await, body, "{script}");
    }
    let varied: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
    assert_eq!(BodyRecipe::of(&varied), None, "no long runs: no recipe");
}

#[tokio::test]
async fn a_4_mib_request_keeps_a_small_curl_that_reproduces_it() {
    let hook = WebhookReceiver::start().await.expect("receiver starts");
    let req = RawRequest::new("POST", hook.url())
        .header("Content-Type", "application/json")
        .body(big_json(4 * 1024 * 1024));
    let x = Exchange::new(req.clone());
    assert_eq!(x.request_body_len, req.body.len());
    assert!(matches!(x.long_body, Some(LongBody::Recipe(_))));
    assert_eq!(x.request.body.len(), MAX_BODY, "only the start is kept");
    let cmd = x.curl();
    assert!(cmd.len() < 1024, "{cmd}");
    assert_eq!(cmd, req.curl(), "the request and its record agree");
    assert!(x
        .request_body_text()
        .contains("the curl command generates them"));
    let got = crate::probe_then_curl(&hook, req, &cmd, Duration::from_secs(10)).await;
    assert_eq!(got[0].body.len(), got[1].body.len());
    assert!(
        got[0].body == got[1].body,
        "the curl command sent other bytes"
    );
}

#[test]
fn a_long_body_without_a_recipe_is_truncated_with_a_note() {
    let varied: Vec<u8> = (0..200_000u32).map(|i| b'a' + (i * 7 % 26) as u8).collect();
    let x = Exchange::new(RawRequest::new("POST", "http://127.0.0.1:1/").body(varied));
    assert_eq!(x.long_body, Some(LongBody::Truncated));
    assert_eq!(x.request.body.len(), MAX_BODY);
    let cmd = x.curl();
    assert!(
        cmd.ends_with("# sends only the first 4096 of the 200000 bytes the probe sent"),
        "{cmd}"
    );
    assert!(x.request_body_text().ends_with("more bytes; not kept]"));
    let medium: Vec<u8> = (0..10_000u32).map(|i| b'a' + (i * 7 % 26) as u8).collect();
    let x = Exchange::new(RawRequest::new("POST", "http://127.0.0.1:1/").body(medium.clone()));
    assert_eq!(x.long_body, None, "a medium body is kept whole");
    assert_eq!(x.request.body.as_ref(), medium.as_slice());
}

#[test]
fn a_report_keeps_the_first_and_last_exchanges_of_a_long_transcript() {
    let t = Transcript::new();
    for i in 0..MAX_EXCHANGES + 10 {
        t.push(Exchange::new(RawRequest::new(
            "GET",
            format!("http://127.0.0.1:1/{i}"),
        )));
    }
    let kept = t.bounded();
    assert_eq!(kept.len(), MAX_EXCHANGES);
    let head = MAX_EXCHANGES - KEPT_TAIL;
    assert_eq!(
        kept[head - 1].request.url,
        format!("http://127.0.0.1:1/{}", head - 1)
    );
    assert_eq!(kept[head].omitted_before, 10);
    assert_eq!(
        kept[head].request.url,
        format!("http://127.0.0.1:1/{}", head + 10)
    );
    assert!(kept[head]
        .render()
        .starts_with("(10 earlier exchanges left out"));
    assert_eq!(
        t.len(),
        MAX_EXCHANGES + 10,
        "the case itself still sees all"
    );
}
