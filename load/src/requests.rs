//! A2A requests as bytes: SendMessage, streams, GetTask, ListTasks and push configs on either
//! binding, serialized once for a [`RequestTemplate`] to replay.

use serde_json::{json, Value};

use gauntlet_wire::request::COUNTER_SLOT;

use crate::{encode_segment, Binding, Endpoint, RequestTemplate};

/// Serializes one HTTP/1.1 request with `A2A-Version: 1.0`.
pub fn http_request(
    target: &Endpoint,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Vec<u8> {
    let path = if path.is_empty() { "/" } else { path };
    let mut out = Vec::with_capacity(160 + body.len());
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    out.extend_from_slice(target.host.as_bytes());
    out.extend_from_slice(
        b"\r\na2a-version: 1.0\r\naccept: application/json, text/event-stream\r\n",
    );
    if let Some(ct) = content_type {
        out.extend_from_slice(b"content-type: ");
        out.extend_from_slice(ct.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() || method == "POST" || method == "PUT" {
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// A JSON-RPC call to the target's interface path (request `id` 1).
pub fn jsonrpc(target: &Endpoint, method: &str, params: Value) -> Vec<u8> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    http_request(
        target,
        "POST",
        &target.path,
        Some("application/json"),
        body.to_string().as_bytes(),
    )
}

/// A REST call: `method` on the interface path + `suffix`, with an optional JSON body.
pub fn rest(target: &Endpoint, method: &str, suffix: &str, body: Option<&Value>) -> Vec<u8> {
    let path = format!("{}{}", target.path, suffix);
    match body {
        Some(b) => http_request(
            target,
            method,
            &path,
            Some("application/a2a+json"),
            b.to_string().as_bytes(),
        ),
        None => http_request(target, method, &path, None, b""),
    }
}

/// `SendMessageRequest` params with a user text message. The message id carries the counter slot.
pub fn send_params(text: &str, return_immediately: bool) -> Value {
    let mut params = json!({
        "message": {
            "messageId": format!("load-{COUNTER_SLOT}"),
            "role": "ROLE_USER",
            "parts": [{"text": text}]
        }
    });
    if return_immediately {
        params["configuration"] = json!({"returnImmediately": true});
    }
    params
}

/// SendMessage with `text` on `binding`.
pub fn send_message(
    target: &Endpoint,
    binding: Binding,
    text: &str,
    return_immediately: bool,
) -> RequestTemplate {
    let params = send_params(text, return_immediately);
    RequestTemplate::new(match binding {
        Binding::JsonRpc => jsonrpc(target, "SendMessage", params),
        Binding::Rest => rest(target, "POST", "/message:send", Some(&params)),
    })
}

/// SendStreamingMessage with `text` on `binding`.
pub fn stream_message(target: &Endpoint, binding: Binding, text: &str) -> RequestTemplate {
    let params = send_params(text, false);
    RequestTemplate::new(match binding {
        Binding::JsonRpc => jsonrpc(target, "SendStreamingMessage", params),
        Binding::Rest => rest(target, "POST", "/message:stream", Some(&params)),
    })
}

/// GetTask for `id`.
pub fn get_task(target: &Endpoint, binding: Binding, id: &str) -> Vec<u8> {
    match binding {
        Binding::JsonRpc => jsonrpc(target, "GetTask", json!({"id": id})),
        Binding::Rest => rest(
            target,
            "GET",
            &format!("/tasks/{}", encode_segment(id)),
            None,
        ),
    }
}

/// ListTasks with `pageSize`.
pub fn list_tasks(target: &Endpoint, binding: Binding, page_size: u32) -> Vec<u8> {
    match binding {
        Binding::JsonRpc => jsonrpc(target, "ListTasks", json!({"pageSize": page_size})),
        Binding::Rest => rest(target, "GET", &format!("/tasks?pageSize={page_size}"), None),
    }
}

/// CreateTaskPushNotificationConfig with a client-chosen config id (an upsert).
pub fn create_push_config(
    target: &Endpoint,
    binding: Binding,
    task_id: &str,
    config_id: &str,
    url: &str,
) -> Vec<u8> {
    match binding {
        Binding::JsonRpc => jsonrpc(
            target,
            "CreateTaskPushNotificationConfig",
            json!({"taskId": task_id, "id": config_id, "url": url, "token": "load"}),
        ),
        Binding::Rest => rest(
            target,
            "POST",
            &format!("/tasks/{}/pushNotificationConfigs", encode_segment(task_id)),
            Some(&json!({"id": config_id, "url": url, "token": "load"})),
        ),
    }
}

/// DeleteTaskPushNotificationConfig.
pub fn delete_push_config(
    target: &Endpoint,
    binding: Binding,
    task_id: &str,
    config_id: &str,
) -> Vec<u8> {
    match binding {
        Binding::JsonRpc => jsonrpc(
            target,
            "DeleteTaskPushNotificationConfig",
            json!({"taskId": task_id, "id": config_id}),
        ),
        Binding::Rest => rest(
            target,
            "DELETE",
            &format!(
                "/tasks/{}/pushNotificationConfigs/{}",
                encode_segment(task_id),
                encode_segment(config_id)
            ),
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_template_rewrites_the_counter_in_place() {
        let target = Endpoint::from_addr("127.0.0.1:1".parse().unwrap());
        let mut t = send_message(&target, Binding::Rest, "echo x", false).with_counter(0xab);
        let first = String::from_utf8(t.next_request().to_vec()).unwrap();
        assert!(first.contains("load-00000000000000ab"), "{first}");
        let second = String::from_utf8(t.next_request().to_vec()).unwrap();
        assert!(second.contains("load-00000000000000ac"));
        assert!(first.starts_with("POST /message:send HTTP/1.1\r\n"));
    }
}
