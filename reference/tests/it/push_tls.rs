//! Regression (issue 11, defect 6): `https://` webhooks were accepted and never attempted, so
//! their events were lost. Delivery now speaks TLS (rustls via hyper-rustls) and verifies the
//! receiver's certificate against the webpki roots plus the configured private CAs.

use std::time::Duration;

use gauntlet_reference::Server;
use serde_json::{json, Value};

use crate::hooks::{is_terminal, tls_receiver, TestPki};
use crate::support::{message, rpc, start, STEP};

fn hook_config(url: String) -> Value {
    json!({"taskPushNotificationConfig": {"url": url, "token": "tls-tok",
        "authentication": {"scheme": "Bearer", "credentials": "tls-secret"}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_an_https_webhook_gets_every_event_over_tls() {
    let pki = TestPki::generate();
    let (addr, record) = tls_receiver(&pki).await;
    let mut b = Server::builder().allow_private_webhooks(true);
    assert_eq!(b.config_mut().trust_webhook_ca_pem(&pki.ca_pem), Ok(1));
    let server = start(b).await;

    let mut params = message("stream 2");
    params["configuration"] = hook_config(format!("https://{addr}/hook"));
    let v = rpc(server.local_addr(), "SendMessage", params).await.json();
    assert_eq!(
        v["result"]["task"]["status"]["state"], "TASK_STATE_COMPLETED",
        "{v}"
    );
    let done = record
        .wait(|r| r.bodies().iter().any(is_terminal), 3 * STEP)
        .await;
    let got = record.bodies();
    assert!(
        done,
        "no terminal event over TLS: {got:?} / {:?}",
        record.handshake_failures()
    );
    assert_eq!(got.len(), 5, "task, working, 2 chunks, completed: {got:?}");
    assert!(got[0].get("task").is_some());
    assert!(record.handshake_failures().is_empty());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_webhook_whose_certificate_is_not_trusted_gets_nothing() {
    let pki = TestPki::generate();
    let (addr, record) = tls_receiver(&pki).await;
    let mut b = Server::builder().allow_private_webhooks(true);
    b.config_mut().push_initial_backoff = Duration::from_millis(10);
    let server = start(b).await;

    let mut params = message("hello");
    params["configuration"] = hook_config(format!("https://{addr}/hook"));
    let v = rpc(server.local_addr(), "SendMessage", params).await.json();
    assert!(v.get("error").is_none(), "{v}");
    let refused = record
        .wait(|r| !r.handshake_failures().is_empty(), STEP)
        .await;
    assert!(refused, "the server never tried the TLS receiver");
    assert!(
        record.bodies().is_empty(),
        "delivered without verifying the certificate"
    );
    server.shutdown().await;
}

#[test]
fn a_ca_file_without_certificates_is_refused() {
    let mut config = gauntlet_reference::Config::default();
    assert!(config.trust_webhook_ca_pem("not pem").is_err());
    assert!(config.webhook_ca.is_empty());
}
