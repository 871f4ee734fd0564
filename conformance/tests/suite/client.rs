//! Client request mapping for every method on both bindings, answer interpretation, and calls
//! against the reference.

use std::time::Duration;

use gauntlet_conformance::case::Binding;
use gauntlet_conformance::client::{
    interpret_jsonrpc, interpret_rest, A2aClient, CallOpts, Reply, StreamAnswer, WireError,
};
use gauntlet_conformance::probe::{Probe, RawRequest, RawResponse, Transcript};
use gauntlet_conformance::spec::{ErrorCode, Method};
use serde_json::{json, Value};

fn client(binding: Binding, tenant: Option<&str>) -> A2aClient {
    A2aClient {
        binding,
        base_url: "http://127.0.0.1:9/a2a/".to_owned(),
        tenant: tenant.map(str::to_owned),
        default_bearer: Some("tok".to_owned()),
        default_extensions: Vec::new(),
        probe: Probe::new(Transcript::new(), Duration::from_secs(1)),
    }
}

fn body_json(r: &RawRequest) -> Value {
    serde_json::from_slice(&r.body).unwrap_or(Value::Null)
}

fn header<'a>(r: &'a RawRequest, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Every method: (method, params, REST verb, REST path+query, REST body).
fn table() -> Vec<(Method, Value, &'static str, &'static str, Option<Value>)> {
    let msg = json!({"messageId": "m", "role": "ROLE_USER", "parts": [{"text": "hi"}]});
    vec![
        (Method::SendMessage, json!({"message": msg}), "POST", "/message:send", Some(json!({"message": msg}))),
        (Method::SendStreamingMessage, json!({"message": msg}), "POST", "/message:stream", Some(json!({"message": msg}))),
        (Method::GetTask, json!({"id": "t/1:x", "historyLength": 2}), "GET", "/tasks/t%2F1%3Ax?historyLength=2", None),
        (
            Method::ListTasks,
            json!({"contextId": "c 1", "status": "TASK_STATE_WORKING", "pageSize": 5, "pageToken": "p+q",
                   "historyLength": 0, "statusTimestampAfter": "2026-01-01T00:00:00.000Z", "includeArtifacts": true}),
            "GET",
            "/tasks?contextId=c%201&status=TASK_STATE_WORKING&pageSize=5&pageToken=p%2Bq&historyLength=0&statusTimestampAfter=2026-01-01T00%3A00%3A00.000Z&includeArtifacts=true",
            None,
        ),
        (Method::CancelTask, json!({"id": "t1", "metadata": {"k": "v"}}), "POST", "/tasks/t1:cancel", Some(json!({"metadata": {"k": "v"}}))),
        (Method::CancelTask, json!({"id": "t1"}), "POST", "/tasks/t1:cancel", Some(json!({}))),
        (Method::SubscribeToTask, json!({"id": "t1"}), "POST", "/tasks/t1:subscribe", None),
        (
            Method::CreateTaskPushNotificationConfig,
            json!({"taskId": "t1", "url": "http://127.0.0.1:1/h", "token": "x"}),
            "POST",
            "/tasks/t1/pushNotificationConfigs",
            Some(json!({"url": "http://127.0.0.1:1/h", "token": "x"})),
        ),
        (Method::GetTaskPushNotificationConfig, json!({"taskId": "t1", "id": "c1"}), "GET", "/tasks/t1/pushNotificationConfigs/c1", None),
        (
            Method::ListTaskPushNotificationConfigs,
            json!({"taskId": "t1", "pageSize": 2}),
            "GET",
            "/tasks/t1/pushNotificationConfigs?pageSize=2",
            None,
        ),
        (Method::DeleteTaskPushNotificationConfig, json!({"taskId": "t1", "id": "c1"}), "DELETE", "/tasks/t1/pushNotificationConfigs/c1", None),
        (Method::GetExtendedAgentCard, Value::Null, "GET", "/extendedAgentCard", None),
    ]
}

#[test]
fn every_method_maps_onto_its_rest_route() {
    let c = client(Binding::Rest, None);
    for (method, params, verb, path, body) in table() {
        let r = c.request(method, &params, &CallOpts::default());
        assert_eq!(r.method, verb, "{method:?}");
        assert_eq!(r.url, format!("http://127.0.0.1:9/a2a{path}"), "{method:?}");
        match body {
            Some(b) => {
                assert_eq!(body_json(&r), b, "{method:?}");
                assert_eq!(header(&r, "content-type"), Some("application/a2a+json"));
            }
            None => assert!(r.body.is_empty(), "{method:?} has no body"),
        }
        assert_eq!(header(&r, "a2a-version"), Some("1.0"));
        assert_eq!(header(&r, "authorization"), Some("Bearer tok"));
    }
}

#[test]
fn every_method_maps_onto_a_jsonrpc_envelope() {
    let c = client(Binding::JsonRpc, None);
    for (method, params, ..) in table() {
        let r = c.request(method, &params, &CallOpts::default());
        assert_eq!(r.method, "POST");
        assert_eq!(r.url, "http://127.0.0.1:9/a2a/");
        assert_eq!(header(&r, "content-type"), Some("application/json"));
        let env = body_json(&r);
        assert_eq!(env["jsonrpc"], "2.0");
        assert_eq!(env["method"], method.jsonrpc_name());
        assert!(env["id"].is_u64(), "{env}");
        if params.is_null() {
            assert!(env.get("params").is_none(), "{env}");
        } else {
            assert_eq!(env["params"], params);
        }
    }
}

#[test]
fn the_tenant_goes_into_params_or_the_path() {
    let params = json!({"id": "t1"});
    let r = client(Binding::JsonRpc, Some("acme")).request(
        Method::GetTask,
        &params,
        &CallOpts::default(),
    );
    assert_eq!(body_json(&r)["params"]["tenant"], "acme");
    let r =
        client(Binding::Rest, Some("acme")).request(Method::GetTask, &params, &CallOpts::default());
    assert_eq!(r.url, "http://127.0.0.1:9/a2a/acme/tasks/t1");
    let r = client(Binding::Rest, None).request(
        Method::GetTask,
        &json!({"id": "t1", "tenant": "a b"}),
        &CallOpts::default(),
    );
    assert_eq!(r.url, "http://127.0.0.1:9/a2a/a%20b/tasks/t1");
}

#[test]
fn call_options_override_the_defaults() {
    let c = client(Binding::JsonRpc, None);
    let opts = CallOpts {
        version: Some(None),
        bearer: Some(Some("other".into())),
        headers: vec![("content-type".into(), "text/plain".into())],
        jsonrpc_id: Some(json!("abc")),
        ..CallOpts::default()
    };
    let r = c.request(Method::GetTask, &json!({"id": "t"}), &opts);
    assert_eq!(header(&r, "a2a-version"), None);
    assert_eq!(header(&r, "authorization"), Some("Bearer other"));
    assert_eq!(header(&r, "content-type"), Some("text/plain"));
    assert_eq!(
        r.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .count(),
        1
    );
    assert_eq!(body_json(&r)["id"], "abc");
    let opts = CallOpts {
        version: Some(Some("0.3".into())),
        bearer: Some(None),
        ..CallOpts::default()
    };
    let r = c.request(Method::GetTask, &json!({"id": "t"}), &opts);
    assert_eq!(header(&r, "a2a-version"), Some("0.3"));
    assert_eq!(header(&r, "authorization"), None);
}

fn rest_response(status: u16, body: &str) -> RawResponse {
    RawResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec().into(),
        json: serde_json::from_str(body).ok(),
        elapsed: Duration::ZERO,
    }
}

#[test]
fn answers_are_interpreted_per_binding() {
    let info = json!([{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "TASK_NOT_FOUND", "domain": "a2a-protocol.org"}]);
    let env = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32001, "message": "no", "data": info}});
    let Reply::Err(e) = interpret_jsonrpc(200, Some(&env)) else {
        panic!("an error")
    };
    assert_eq!(
        (e.code, e.reason.as_deref()),
        (Some(-32001), Some("TASK_NOT_FOUND"))
    );
    assert!(e.matches(ErrorCode::TaskNotFound).accepted());
    assert!(!e.matches(ErrorCode::InvalidParams).accepted());
    assert_eq!(
        interpret_jsonrpc(
            200,
            Some(&json!({"jsonrpc": "2.0", "id": 1, "result": null}))
        ),
        Reply::Ok(Value::Null)
    );
    assert!(matches!(interpret_jsonrpc(200, None), Reply::Garbled(_)));
    assert!(matches!(
        interpret_jsonrpc(200, Some(&json!({"jsonrpc": "2.0"}))),
        Reply::Garbled(_)
    ));
    let Reply::Err(e) = interpret_jsonrpc(401, None) else {
        panic!("an HTTP-level error")
    };
    assert_eq!((e.http_status, e.code), (401, None));

    let body =
        json!({"error": {"code": 404, "status": "NOT_FOUND", "message": "no", "details": info}});
    let Reply::Err(e) = interpret_rest(&rest_response(404, &body.to_string())) else {
        panic!("an error")
    };
    assert_eq!((e.code, e.status.as_deref()), (None, Some("NOT_FOUND")));
    assert!(e.matches(ErrorCode::TaskNotFound).accepted());
    assert_eq!(
        interpret_rest(&rest_response(204, "")),
        Reply::Ok(Value::Null)
    );
    assert!(matches!(
        interpret_rest(&rest_response(200, "<html>")),
        Reply::Garbled(_)
    ));
}

#[test]
fn rest_errors_without_error_info_match_only_standard_errors_by_status() {
    let bare = WireError {
        http_status: 400,
        code: None,
        status: Some("INVALID_ARGUMENT".into()),
        message: None,
        reason: None,
        raw: Value::Null,
    };
    assert!(bare.matches(ErrorCode::InvalidParams).accepted());
    // Several A2A errors share 400; without an ErrorInfo none of them can be recognised.
    assert!(!bare.matches(ErrorCode::UnsupportedOperation).accepted());
    let not_found = WireError {
        http_status: 501,
        ..bare.clone()
    };
    assert!(not_found.matches(ErrorCode::MethodNotFound).accepted());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_against_the_reference_interpret_success_errors_and_streams() {
    let server = crate::reference(|b| b).await;
    let target = gauntlet_conformance::runner::discover(&server.base_url(), Vec::new(), 1.0)
        .await
        .expect("the reference has a card");
    for binding in Binding::ALL {
        let c = A2aClient {
            binding,
            base_url: target.url(binding).expect("declared").to_owned(),
            tenant: None,
            default_bearer: None,
            default_extensions: Vec::new(),
            probe: Probe::new(Transcript::new(), Duration::from_secs(5)),
        };
        let sent = c
            .send_text("hello", json!({}), json!({}))
            .await
            .expect("answered");
        let task = sent
            .ok()
            .and_then(|v| v.get("task"))
            .cloned()
            .expect("a task");
        let id = task["id"].as_str().expect("task id").to_owned();
        let got = c
            .call(Method::GetTask, json!({"id": id}))
            .await
            .expect("answered");
        assert_eq!(
            got.ok().and_then(|t| t.get("id")),
            Some(&json!(id)),
            "{binding:?}"
        );
        let missing = c
            .call(Method::GetTask, json!({"id": "no-such-task"}))
            .await
            .expect("answered");
        assert!(
            missing
                .err()
                .is_some_and(|e| e.matches(ErrorCode::TaskNotFound).accepted()),
            "{binding:?}: {:?}",
            missing.reply
        );
        match c
            .stream_text("hello", json!({}), json!({}))
            .await
            .expect("answered")
        {
            StreamAnswer::Open(reader) => {
                let drained = reader.drain(Duration::from_secs(5)).await;
                assert!(drained.end.is_ok(), "{binding:?}: {:?}", drained.end);
                assert!(!drained.events.is_empty());
                assert!(
                    matches!(&drained.events[0].payload, Reply::Ok(v) if v.get("task").is_some() || v.get("message").is_some()),
                    "{binding:?}: {:?}",
                    drained.events[0].payload
                );
            }
            StreamAnswer::Refused(a) => panic!("{binding:?}: stream refused: {:?}", a.reply),
        }
        assert!(c.probe.transcript().len() >= 4);
    }
    server.shutdown().await;
}
