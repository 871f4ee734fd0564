//! `A2A-Version` negotiation (digest §4) on both bindings, and the required-extension check.

use gauntlet_reference::{Fault, Server};
use http::{Method, StatusCode};
use serde_json::json;

use crate::support::{req, start, start_default};

/// GetExtendedAgentCard is answered by the transport alone, so it isolates the version check.
async fn rpc_with(
    addr: std::net::SocketAddr,
    path: &str,
    version: Option<(&str, &str)>,
) -> serde_json::Value {
    let body = json!({"jsonrpc": "2.0", "id": "v", "method": "GetExtendedAgentCard"});
    let mut r = req(addr, Method::POST, path)
        .without("A2A-Version")
        .json(&body);
    if let Some((name, value)) = version {
        r = r.header(name, value);
    }
    let res = r.send().await;
    assert_eq!(res.status, StatusCode::OK);
    res.json()
}

async fn rest_with(
    addr: std::net::SocketAddr,
    path: &str,
    version: Option<(&str, &str)>,
) -> crate::support::Resp {
    let mut r = req(addr, Method::GET, path).without("A2A-Version");
    if let Some((name, value)) = version {
        r = r.header(name, value);
    }
    r.send().await
}

#[tokio::test]
async fn missing_or_foreign_versions_are_rejected_on_json_rpc() {
    let server = start_default().await;
    let addr = server.local_addr();
    for version in [
        None,
        Some(("A2A-Version", "")),
        Some(("A2A-Version", "0.3")),
        Some(("A2A-Version", "9.9")),
        Some(("A2A-Version", "1.1")),
    ] {
        let v = rpc_with(addr, "/", version).await;
        assert_eq!(v["error"]["code"], -32009, "{version:?}: {v}");
        assert_eq!(v["id"], "v");
        let info = &v["error"]["data"][0];
        assert_eq!(info["reason"], "VERSION_NOT_SUPPORTED");
        assert_eq!(info["metadata"]["supportedVersions"], "1.0");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn missing_or_foreign_versions_are_rejected_on_rest() {
    let server = start_default().await;
    let addr = server.local_addr();
    for version in [
        None,
        Some(("A2A-Version", "0.3")),
        Some(("A2A-Version", "9.9")),
    ] {
        let res = rest_with(addr, "/extendedAgentCard", version).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{version:?}");
        assert!(res
            .header("content-type")
            .starts_with("application/a2a+json"));
        let e = &res.json()["error"];
        assert_eq!(e["code"], 400);
        assert_eq!(e["status"], "FAILED_PRECONDITION");
        assert_eq!(e["details"][0]["reason"], "VERSION_NOT_SUPPORTED");
        assert_eq!(e["details"][0]["metadata"]["supportedVersions"], "1.0");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn patch_versions_lower_case_names_and_the_query_form_are_accepted() {
    let server = start_default().await;
    let addr = server.local_addr();
    for version in [
        Some(("A2A-Version", "1.0")),
        Some(("A2A-Version", "1.0.1")),
        Some(("a2a-version", "1.0")),
    ] {
        let v = rpc_with(addr, "/", version).await;
        assert!(v.get("result").is_some(), "{version:?}: {v}");
        let res = rest_with(addr, "/extendedAgentCard", version).await;
        assert_eq!(res.status, StatusCode::OK, "{version:?}");
    }
    let v = rpc_with(addr, "/?A2A-Version=1.0", None).await;
    assert!(v.get("result").is_some(), "{v}");
    let res = rest_with(addr, "/extendedAgentCard?A2A-Version=1.0", None).await;
    assert_eq!(res.status, StatusCode::OK);
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_method_is_reported_before_the_version() {
    // A header-less 0.3 client must learn that the method is unknown (-32601), not -32009.
    let server = start_default().await;
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "message/send", "params": {}});
    let res = req(server.local_addr(), Method::POST, "/")
        .without("A2A-Version")
        .json(&body)
        .send()
        .await;
    assert_eq!(res.json()["error"]["code"], -32601);
    server.shutdown().await;
}

#[tokio::test]
async fn no_version_check_fault_accepts_anything() {
    let server = start(Server::builder().fault(Some(Fault::NoVersionCheck))).await;
    let v = rpc_with(server.local_addr(), "/", None).await;
    assert!(v.get("result").is_some(), "{v}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_required_extension_must_be_activated_and_is_echoed() {
    let uri = "https://example.com/ext/v1";
    let mut builder = Server::builder();
    builder.config_mut().required_extension = Some(uri.into());
    let server = start(builder).await;
    let addr = server.local_addr();
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "GetExtendedAgentCard"});

    let missing = req(addr, Method::POST, "/").json(&body).send().await;
    assert_eq!(missing.json()["error"]["code"], -32008);
    let rest_missing = req(addr, Method::GET, "/extendedAgentCard").send().await;
    assert_eq!(rest_missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        rest_missing.json()["error"]["details"][0]["reason"],
        "EXTENSION_SUPPORT_REQUIRED"
    );

    // Unknown URIs around it are ignored; several headers are tolerated.
    let ok = req(addr, Method::POST, "/")
        .header("A2A-Extensions", "https://unknown.example/x")
        .header("A2A-Extensions", &format!("urn:other, {uri}"))
        .json(&body)
        .send()
        .await;
    assert!(ok.json().get("result").is_some());
    assert_eq!(ok.header("a2a-extensions"), uri);
    let rest_ok = req(addr, Method::GET, "/extendedAgentCard")
        .header("A2A-Extensions", uri)
        .send()
        .await;
    assert_eq!(rest_ok.status, StatusCode::OK);
    assert_eq!(rest_ok.header("a2a-extensions"), uri);
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_extensions_are_ignored_without_a_required_one() {
    let server = start_default().await;
    let res = req(server.local_addr(), Method::GET, "/extendedAgentCard")
        .header("A2A-Extensions", "https://unknown.example/x")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("a2a-extensions"), "");
    server.shutdown().await;
}
