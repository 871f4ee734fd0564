//! Reading the target's facts from its card, and the reason given for every unmet need.

use gauntlet_conformance::case::{Binding, Need};
use gauntlet_conformance::context::{is_loopback_host, Subject};
use serde_json::json;

fn full_card() -> serde_json::Value {
    json!({
        "supportedInterfaces": [
            {"url": "http://127.0.0.1:1/grpc", "protocolBinding": "GRPC", "protocolVersion": "1.0"},
            {"url": "http://127.0.0.1:1/rpc", "protocolBinding": "JSONRPC", "protocolVersion": "1.0", "tenant": "acme"},
            {"url": "http://127.0.0.1:1/rpc-second", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
            {"url": "http://127.0.0.1:1/rest", "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0", "tenant": ""}
        ],
        "capabilities": {
            "streaming": true, "pushNotifications": true, "extendedAgentCard": true,
            "extensions": [
                {"uri": "urn:a", "required": true},
                {"uri": "urn:b", "required": false},
                {"uri": "urn:c"}
            ]
        },
        "skills": [{"id": "gauntlet-test-agent", "name": "t", "description": "d", "tags": []}],
        "securitySchemes": {"bearer": {"httpAuthSecurityScheme": {"scheme": "Bearer"}}}
    })
}

#[test]
fn the_first_interface_of_each_binding_and_its_tenant_are_used() {
    let t = Subject::from_card(
        "http://localhost:1",
        full_card(),
        vec!["a".into(), "b".into()],
    );
    assert_eq!(t.url(Binding::JsonRpc), Some("http://127.0.0.1:1/rpc"));
    assert_eq!(t.jsonrpc_tenant.as_deref(), Some("acme"));
    assert_eq!(t.url(Binding::Rest), Some("http://127.0.0.1:1/rest"));
    assert_eq!(t.rest_tenant, None, "an empty tenant is no tenant");
    assert_eq!(t.bindings(), Binding::ALL);
    assert_eq!(t.required_extensions, ["urn:a"]);
    assert!(t.loopback && t.test_agent && t.auth);
}

#[test]
fn every_need_is_met_by_a_full_card() {
    let t = Subject::from_card(
        "http://127.0.0.1:1",
        full_card(),
        vec!["a".into(), "b".into()],
    );
    for need in [
        Need::TestAgent,
        Need::Streaming,
        Need::Push,
        Need::ExtendedCard,
        Need::Auth,
        Need::TwoIdentities,
        Need::RequiredExtension,
        Need::LocalWebhook,
    ] {
        assert_eq!(t.check(need), Ok(()), "{need:?}");
    }
    assert!(t.check(Need::NoStreaming).is_err());
    assert!(t.check(Need::NoPush).is_err());
}

#[test]
fn every_unmet_need_says_why_in_one_sentence() {
    let card = json!({"supportedInterfaces": [{"url": "http://a2a.example/rpc", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}]});
    let t = Subject::from_card("http://a2a.example", card, vec!["only-one".into()]);
    assert_eq!(t.bindings(), [Binding::JsonRpc]);
    assert!(!t.loopback);
    let reasons = [
        (
            Need::TestAgent,
            "the card does not advertise the gauntlet-test-agent skill",
        ),
        (
            Need::Streaming,
            "the card does not declare capabilities.streaming",
        ),
        (
            Need::Push,
            "the card does not declare capabilities.pushNotifications",
        ),
        (
            Need::ExtendedCard,
            "the card does not declare capabilities.extendedAgentCard",
        ),
        (Need::Auth, "the card declares no security schemes"),
        (
            Need::TwoIdentities,
            "the card declares no security schemes, so there is only one identity",
        ),
        (
            Need::RequiredExtension,
            "the card declares no extension with required: true",
        ),
        (
            Need::LocalWebhook,
            "the target is not on loopback, so it cannot reach the suite's local webhook receiver",
        ),
    ];
    for (need, reason) in reasons {
        assert_eq!(t.check(need), Err(reason.to_owned()), "{need:?}");
    }
    assert_eq!(t.check(Need::NoStreaming), Ok(()));
    assert_eq!(t.check(Need::NoPush), Ok(()));
}

#[test]
fn loopback_hosts_are_recognised() {
    for host in ["localhost", "LOCALHOST", "127.0.0.1", "127.9.9.9", "::1"] {
        assert!(is_loopback_host(host), "{host}");
    }
    for host in ["10.0.0.1", "example.com", "::", "0.0.0.0"] {
        assert!(!is_loopback_host(host), "{host}");
    }
}
