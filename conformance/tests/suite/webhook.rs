//! The webhook receiver: records deliveries, follows its script, wakes waiters.

use std::time::Duration;

use gauntlet_conformance::probe::{Probe, RawRequest, Transcript};
use gauntlet_conformance::webhook::{Scripted, WebhookReceiver};

#[tokio::test]
async fn the_script_is_followed_then_200() {
    let hook = WebhookReceiver::with_script(vec![Scripted::status(503).header("Retry-After", "1")])
        .await
        .expect("receiver starts");
    let probe = Probe::new(Transcript::new(), Duration::from_secs(5));
    let post = || {
        RawRequest::new("POST", hook.url_for("/a?x=1"))
            .header("Authorization", "Bearer t")
            .json(&serde_json::json!({"statusUpdate": {}}))
    };
    let first = probe.send(post()).await.expect("answered");
    assert_eq!(first.status, 503);
    assert_eq!(first.header("retry-after"), Some("1"));
    let second = probe.send(post()).await.expect("answered");
    assert_eq!(second.status, 200);
    let d = hook.deliveries();
    assert_eq!(d.len(), 2);
    assert_eq!((d[0].answered, d[1].answered), (503, 200));
    assert_eq!(d[0].path, "/a?x=1");
    assert_eq!(d[0].header("authorization"), Some("Bearer t"));
    assert!(d[0]
        .json
        .as_ref()
        .is_some_and(|j| j.get("statusUpdate").is_some()));
    assert!(d[0].at <= d[1].at);
}

#[tokio::test]
async fn wait_for_wakes_on_delivery_and_gives_up_at_the_deadline() {
    let hook = WebhookReceiver::start().await.expect("receiver starts");
    let url = hook.url();
    let sender = tokio::spawn(async move {
        let probe = Probe::new(Transcript::new(), Duration::from_secs(5));
        probe
            .send(RawRequest::new("POST", url).body("x"))
            .await
            .map(|r| r.status)
    });
    let got = hook
        .wait_for(|d| !d.is_empty(), Duration::from_secs(10))
        .await
        .expect("the delivery arrives");
    assert_eq!(&got[0].body[..], b"x");
    assert_eq!(sender.await.ok().and_then(Result::ok), Some(200));
    let missed = hook
        .wait_for(|d| d.len() >= 5, Duration::from_millis(50))
        .await
        .expect_err("only one delivery was made");
    assert_eq!(missed.len(), 1);
    hook.shutdown().await;
}
