//! The agent card: fields, caching, security and extension declarations, GetExtendedAgentCard.

use gauntlet_reference::{Fault, Server};
use http::{Method, StatusCode};
use serde_json::json;

use crate::support::{req, rpc, start, start_default};

#[tokio::test]
async fn card_is_public_versionless_and_complete() {
    let server = start_default().await;
    let res = req(
        server.local_addr(),
        Method::GET,
        "/.well-known/agent-card.json",
    )
    .without("A2A-Version")
    .send()
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.header("content-type").starts_with("application/json"));
    assert!(res.header("cache-control").contains("max-age="));
    assert!(res.header("etag").starts_with('"'));
    let card = res.json();
    for key in [
        "name",
        "description",
        "supportedInterfaces",
        "version",
        "capabilities",
        "defaultInputModes",
        "defaultOutputModes",
        "skills",
    ] {
        assert!(card.get(key).is_some(), "card lacks {key}: {card}");
    }
    let base = server.base_url();
    assert_eq!(
        card["supportedInterfaces"],
        json!([
            {"url": format!("{base}/"), "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
            {"url": base, "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0"},
        ])
    );
    assert_eq!(
        card["capabilities"],
        json!({"streaming": true, "pushNotifications": true, "extendedAgentCard": true})
    );
    let skill = &card["skills"][0];
    assert_eq!(skill["id"], "gauntlet-test-agent");
    for key in ["name", "description", "tags", "examples"] {
        assert!(skill.get(key).is_some(), "skill lacks {key}");
    }
    assert!(card.get("securitySchemes").is_none());
    assert!(card.get("securityRequirements").is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn card_revalidation_with_the_etag_answers_304() {
    let server = start_default().await;
    let addr = server.local_addr();
    let first = req(addr, Method::GET, "/.well-known/agent-card.json")
        .send()
        .await;
    let etag = first.header("etag").to_owned();
    let again = req(addr, Method::GET, "/.well-known/agent-card.json")
        .header("If-None-Match", &etag)
        .send()
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), etag);
    let stale = req(addr, Method::GET, "/.well-known/agent-card.json")
        .header("If-None-Match", "\"something-else\"")
        .send()
        .await;
    assert_eq!(stale.status, StatusCode::OK);
    assert_eq!(stale.body, first.body);
    server.shutdown().await;
}

#[tokio::test]
async fn card_declares_bearer_security_and_required_extension_when_configured() {
    let mut builder = Server::builder().bearer("alpha").streaming(false);
    builder.config_mut().required_extension = Some("https://example.com/ext/v1".into());
    let server = start(builder).await;
    // The card stays public even with authentication on.
    let card = req(
        server.local_addr(),
        Method::GET,
        "/.well-known/agent-card.json",
    )
    .send()
    .await
    .json();
    assert_eq!(
        card["securitySchemes"],
        json!({"bearer": {"httpAuthSecurityScheme": {"scheme": "Bearer"}}})
    );
    assert_eq!(
        card["securityRequirements"],
        json!([{"schemes": {"bearer": {"list": []}}}])
    );
    assert_eq!(card["capabilities"]["streaming"], false);
    assert_eq!(
        card["capabilities"]["extensions"][0]["uri"],
        "https://example.com/ext/v1"
    );
    assert_eq!(card["capabilities"]["extensions"][0]["required"], true);
    server.shutdown().await;
}

#[tokio::test]
async fn card_missing_version_fault_drops_the_field() {
    let server = start(Server::builder().fault(Some(Fault::CardMissingVersion))).await;
    let card = req(
        server.local_addr(),
        Method::GET,
        "/.well-known/agent-card.json",
    )
    .send()
    .await
    .json();
    assert!(card.get("version").is_none());
    assert!(card.get("name").is_some());
    server.shutdown().await;
}

#[tokio::test]
async fn posting_to_the_card_is_405_with_an_error_body() {
    let server = start_default().await;
    let res = req(
        server.local_addr(),
        Method::POST,
        "/.well-known/agent-card.json",
    )
    .send()
    .await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.header("allow").contains("GET"));
    assert_eq!(res.json()["error"]["code"], 405);
    server.shutdown().await;
}

#[tokio::test]
async fn extended_card_on_both_bindings_adds_what_only_it_shows() {
    let server = start_default().await;
    let addr = server.local_addr();
    let public = req(addr, Method::GET, "/.well-known/agent-card.json")
        .send()
        .await
        .json();
    // JSON-RPC without params at all (the spec example omits them).
    let body = json!({"jsonrpc": "2.0", "id": 3, "method": "GetExtendedAgentCard"});
    let res = req(addr, Method::POST, "/").json(&body).send().await;
    assert_eq!(res.status, StatusCode::OK);
    let rpc_card = res.json()["result"].clone();
    let rest = req(addr, Method::GET, "/extendedAgentCard").send().await;
    assert_eq!(rest.status, StatusCode::OK);
    assert!(rest
        .header("content-type")
        .starts_with("application/a2a+json"));
    assert_eq!(rest.json(), rpc_card);
    let tenant = req(addr, Method::GET, "/acme/extendedAgentCard")
        .send()
        .await;
    assert_eq!(tenant.json(), rpc_card);
    let ids = |card: &serde_json::Value| -> Vec<String> {
        card["skills"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(ids(&rpc_card).contains(&"gauntlet-extended".to_owned()));
    assert!(!ids(&public).contains(&"gauntlet-extended".to_owned()));
    server.shutdown().await;
}

#[tokio::test]
async fn extended_card_off_is_unsupported_operation() {
    let server = start(Server::builder().extended_card(false)).await;
    let addr = server.local_addr();
    let res = rpc(addr, "GetExtendedAgentCard", json!({})).await;
    assert_eq!(res.json()["error"]["code"], -32004);
    let rest = req(addr, Method::GET, "/extendedAgentCard").send().await;
    assert_eq!(rest.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        rest.json()["error"]["details"][0]["reason"],
        "UNSUPPORTED_OPERATION"
    );
    server.shutdown().await;
}
