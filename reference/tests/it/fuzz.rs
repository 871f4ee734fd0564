//! Property: no request body sent to either binding is answered with a 5xx, and JSON-RPC
//! always answers with a JSON-RPC response (or 204 for notifications).

use http::{Method, StatusCode};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

use crate::support::{req, start_default};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-zA-Z0-9 :/_-]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z_]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn envelope() -> impl Strategy<Value = Value> {
    let method = prop_oneof![
        Just("SendMessage"),
        Just("GetTask"),
        Just("ListTasks"),
        Just("CancelTask"),
        Just("CreateTaskPushNotificationConfig"),
        Just("GetTaskPushNotificationConfig"),
        Just("ListTaskPushNotificationConfigs"),
        Just("DeleteTaskPushNotificationConfig"),
        Just("GetExtendedAgentCard"),
        Just("message/send"),
    ];
    (method, any_json(), any_json()).prop_map(|(m, id, params)| {
        let id = if id.is_object() || id.is_array() {
            Value::Null
        } else {
            id
        };
        json!({"jsonrpc": "2.0", "id": id, "method": m, "params": params})
    })
}

#[test]
fn no_body_gets_a_5xx_on_either_binding() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(start_default());
    let addr = server.local_addr();
    let mut runner = TestRunner::new(Config {
        cases: 96,
        ..Config::default()
    });
    let strategy = prop_oneof![any_json(), envelope()];
    runner
        .run(&strategy, |body| {
            let (rpc, rest) = rt.block_on(async {
                let rpc = req(addr, Method::POST, "/").json(&body).send().await;
                let rest = req(addr, Method::POST, "/message:send")
                    .json(&body)
                    .send()
                    .await;
                (rpc, rest)
            });
            prop_assert!(rpc.status.as_u16() < 500, "{body}: {:?}", rpc);
            prop_assert!(rest.status.as_u16() < 500, "{body}: {:?}", rest);
            if rpc.status != StatusCode::NO_CONTENT {
                let v = rpc.json();
                let ok = |r: &Value| {
                    r["jsonrpc"] == "2.0"
                        && (r.get("result").is_some() || r["error"]["code"].is_i64())
                };
                match &v {
                    Value::Array(items) => prop_assert!(items.iter().all(ok), "{v}"),
                    single => prop_assert!(ok(single), "{v}"),
                }
            }
            Ok(())
        })
        .unwrap();
    rt.block_on(server.shutdown());
}

#[test]
fn no_path_or_query_gets_a_5xx() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(start_default());
    let addr = server.local_addr();
    let mut runner = TestRunner::new(Config {
        cases: 128,
        ..Config::default()
    });
    let segment = prop_oneof![
        Just("tasks".to_owned()),
        Just("message:send".to_owned()),
        Just("pushNotificationConfigs".to_owned()),
        Just("extendedAgentCard".to_owned()),
        "[a-z0-9%:._~-]{0,8}",
    ];
    let method = prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::DELETE),
        Just(Method::PUT),
    ];
    let strategy = (
        method,
        prop::collection::vec(segment, 1..6),
        "[a-zA-Z0-9_=&%.-]{0,24}",
    );
    runner
        .run(&strategy, |(method, segs, query)| {
            let path = format!("/{}?{query}", segs.join("/"));
            let Ok(uri) = path.parse::<http::Uri>() else {
                return Ok(()); // not a request a client could send
            };
            let res = rt.block_on(req(addr, method.clone(), &uri.to_string()).send());
            prop_assert!(res.status.as_u16() < 500, "{method} {path}: {:?}", res);
            if !res.body.is_empty() && res.status != StatusCode::OK {
                let v = res.json();
                prop_assert!(v["error"]["code"].is_i64(), "{method} {path}: {v}");
            }
            Ok(())
        })
        .unwrap();
    rt.block_on(server.shutdown());
}
