//! Behaviour of the protocol core, driven through `Service::call` exactly as the bindings do.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::config::{Config, Fault};
use crate::error::{A2aError, ErrorKind};
use crate::service::{CallCtx, Caller, EventStream, Op, Reply, Service, StreamItem};

fn service(config: Config) -> Service {
    Service::new(Arc::new(config))
}

fn default_service() -> Service {
    service(Config::default())
}

fn with_fault(f: Fault) -> Service {
    service(Config {
        fault: Some(f),
        ..Config::default()
    })
}

fn anon() -> CallCtx {
    CallCtx::default()
}

fn who(name: &str) -> CallCtx {
    CallCtx {
        caller: Caller {
            identity: Some(name.into()),
        },
        extensions: Vec::new(),
    }
}

fn user_msg(text: &str) -> Value {
    json!({"messageId": crate::ids::new_id(), "role": "ROLE_USER", "parts": [{"text": text}]})
}

fn send_params(text: &str) -> Value {
    json!({ "message": user_msg(text) })
}

async fn call(s: &Service, ctx: &CallCtx, op: Op) -> Result<Reply, A2aError> {
    s.call(ctx, op).await
}

async fn json_of(s: &Service, ctx: &CallCtx, op: Op) -> Value {
    match call(s, ctx, op).await {
        Ok(Reply::Json(v)) => v,
        Ok(other) => panic!("expected JSON, got {other:?}"),
        Err(e) => panic!("unexpected error: {e}"),
    }
}

async fn err_of(s: &Service, ctx: &CallCtx, op: Op) -> A2aError {
    match call(s, ctx, op).await {
        Err(e) => e,
        Ok(r) => panic!("expected an error, got {r:?}"),
    }
}

async fn stream_of(s: &Service, ctx: &CallCtx, op: Op) -> EventStream {
    match call(s, ctx, op).await {
        Ok(Reply::Stream(es)) => es,
        Ok(other) => panic!("expected a stream, got {other:?}"),
        Err(e) => panic!("unexpected error: {e}"),
    }
}

/// Sends `text` blocking and returns the Task.
async fn task(s: &Service, ctx: &CallCtx, text: &str) -> Value {
    let v = json_of(s, ctx, Op::SendMessage(send_params(text))).await;
    v["task"].clone()
}

async fn next_json(es: &mut EventStream) -> Option<Value> {
    match tokio::time::timeout(Duration::from_secs(10), es.next()).await {
        Ok(Some(StreamItem::Event(b))) => Some(serde_json::from_slice(&b).expect("event is JSON")),
        Ok(Some(StreamItem::Error(e))) => panic!("stream error: {e}"),
        Ok(None) => None,
        Err(_) => panic!("no stream event within 10 s"),
    }
}

async fn drain(es: &mut EventStream) -> Vec<Value> {
    let mut out = Vec::new();
    while let Some(v) = next_json(es).await {
        out.push(v);
    }
    out
}

fn state(task: &Value) -> &str {
    task["status"]["state"].as_str().unwrap_or("<none>")
}

fn event_state(ev: &Value) -> Option<&str> {
    ev.get("statusUpdate")
        .and_then(|u| u["status"]["state"].as_str())
}

fn seq_of(ev: &Value) -> Option<u64> {
    ev.get("artifactUpdate")
        .and_then(|a| a["artifact"]["parts"][0]["data"]["seq"].as_u64())
}

async fn get(s: &Service, ctx: &CallCtx, id: &str) -> Value {
    json_of(s, ctx, Op::GetTask(json!({ "id": id }))).await
}

/// Waits (bounded) until the task reaches `want`.
async fn wait_state(s: &Service, id: &str, want: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let t = get(s, &anon(), id).await;
        if state(&t) == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "task never reached {want}: {t}"
        );
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

// ---- SendMessage ----

#[tokio::test]
async fn echo_completes_with_its_artifact_history_and_fresh_ids() {
    let s = default_service();
    let a = task(&s, &anon(), "hello there").await;
    let b = task(&s, &anon(), "hello there").await;
    assert_eq!(state(&a), "TASK_STATE_COMPLETED");
    assert_ne!(a["id"], b["id"]);
    assert_ne!(a["contextId"], b["contextId"]);
    assert_eq!(
        a["artifacts"],
        json!([{"artifactId":"echo","name":"echo","parts":[{"text":"echo: hello there"}]}])
    );
    let h = &a["history"];
    assert_eq!(h.as_array().unwrap().len(), 1);
    assert_eq!(h[0]["taskId"], a["id"]);
    assert_eq!(h[0]["contextId"], a["contextId"]);
    let ts = a["status"]["timestamp"].as_str().unwrap();
    assert!(
        crate::clock::parse_nanos(ts).is_some() && ts.len() == 24,
        "{ts}"
    );
}

#[tokio::test]
async fn invalid_send_params_name_the_field() {
    let s = default_service();
    let e = err_of(&s, &anon(), Op::SendMessage(json!({}))).await;
    assert_eq!(e.kind, ErrorKind::InvalidParams);
    assert_eq!(e.field_violations[0].0, "message");
    let e = err_of(&s, &anon(), Op::SendMessage(json!("nope"))).await;
    assert_eq!(e.field_violations[0].0, "params");
    let bad_role = json!({"message":{"messageId":"m","role":"ROLE_BOSS","parts":[{"text":"x"}]}});
    let e = err_of(&s, &anon(), Op::SendMessage(bad_role)).await;
    assert_eq!(e.field_violations[0].0, "message.role");
}

#[tokio::test]
async fn context_rules_follow_section_3_4() {
    let s = default_service();
    let ctx = anon();
    // Given contextId is used.
    let p = json!({"message": {"messageId":"m","role":"ROLE_USER","parts":[{"text":"input-required"}],"contextId":"ctx-1"}});
    let t = json_of(&s, &ctx, Op::SendMessage(p)).await["task"].clone();
    assert_eq!(t["contextId"], "ctx-1");
    assert_eq!(state(&t), "TASK_STATE_INPUT_REQUIRED");
    let id = t["id"].as_str().unwrap();
    // Mismatch is refused.
    let p = json!({"message": {"messageId":"m2","role":"ROLE_USER","parts":[{"text":"x"}],"taskId":id,"contextId":"other"}});
    let e = err_of(&s, &ctx, Op::SendMessage(p)).await;
    assert_eq!(e.kind, ErrorKind::InvalidParams);
    assert_eq!(e.field_violations[0].0, "message.contextId");
    // taskId without contextId inherits it, and resumes the task.
    let p = json!({"message": {"messageId":"m3","role":"ROLE_USER","parts":[{"text":"more"}],"taskId":id}});
    let t = json_of(&s, &ctx, Op::SendMessage(p)).await["task"].clone();
    assert_eq!(state(&t), "TASK_STATE_COMPLETED");
    assert_eq!(t["contextId"], "ctx-1");
    assert_eq!(t["artifacts"][0]["parts"][0]["text"], "echo: more");
    let h = t["history"].as_array().unwrap();
    assert_eq!(h.len(), 3, "user, agent prompt, user: {t}");
    assert_eq!(h[1]["role"], "ROLE_AGENT");
    assert_eq!(h[2]["contextId"], "ctx-1");
    // Terminal task refuses messages; unknown task is not found.
    let p = json!({"message": {"messageId":"m4","role":"ROLE_USER","parts":[{"text":"x"}],"taskId":id}});
    let e = err_of(&s, &ctx, Op::SendMessage(p)).await;
    assert_eq!(e.kind, ErrorKind::UnsupportedOperation);
    let p = json!({"message": {"messageId":"m5","role":"ROLE_USER","parts":[{"text":"x"}],"taskId":"nope"}});
    let e = err_of(&s, &ctx, Op::SendMessage(p)).await;
    assert_eq!(e.kind, ErrorKind::TaskNotFound);
}

#[tokio::test]
async fn context_mismatch_fault_accepts_the_message() {
    let s = with_fault(Fault::ContextMismatchAccepted);
    let t = task(&s, &anon(), "input-required").await;
    let p = json!({"message": {"messageId":"m","role":"ROLE_USER","parts":[{"text":"x"}],"taskId":t["id"],"contextId":"other"}});
    let t = json_of(&s, &anon(), Op::SendMessage(p)).await["task"].clone();
    assert_eq!(state(&t), "TASK_STATE_COMPLETED");
}

#[tokio::test]
async fn every_scripted_outcome_is_reached() {
    let s = default_service();
    let ctx = anon();
    let t = task(&s, &ctx, "fail").await;
    assert_eq!(state(&t), "TASK_STATE_FAILED");
    assert_eq!(
        t["status"]["message"]["parts"][0]["text"],
        "failed as asked"
    );
    let t = task(&s, &ctx, "reject").await;
    assert_eq!(state(&t), "TASK_STATE_REJECTED");
    assert_eq!(t["status"]["message"]["role"], "ROLE_AGENT");
    let t = task(&s, &ctx, "auth-required").await;
    assert_eq!(state(&t), "TASK_STATE_AUTH_REQUIRED");
    assert_eq!(t["status"]["message"]["parts"][0]["text"], "auth required");
    assert_eq!(t["status"]["message"]["contextId"], t["contextId"]);
    let t = task(&s, &ctx, "parts").await;
    assert_eq!(t["artifacts"][0]["parts"].as_array().unwrap().len(), 4);
    assert_eq!(t["artifacts"][0]["parts"][1]["raw"], "Z2F1bnRsZXQ=");
    let t = task(&s, &ctx, "slow 20").await;
    assert_eq!(state(&t), "TASK_STATE_COMPLETED");
    let t = task(&s, &ctx, "stream 5").await;
    let parts = t["artifacts"][0]["parts"].as_array().unwrap();
    let seqs: Vec<u64> = parts
        .iter()
        .map(|p| p["data"]["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![0, 1, 2, 3, 4]);
    let v = json_of(&s, &ctx, Op::SendMessage(send_params("message hi there"))).await;
    assert!(v.get("task").is_none());
    assert_eq!(v["message"]["parts"][0]["text"], "message: hi there");
    assert_eq!(v["message"]["role"], "ROLE_AGENT");
    assert!(v["message"]["contextId"].is_string());
}

#[tokio::test]
async fn tck_prefixes_drive_the_same_tasks() {
    let s = default_service();
    let ctx = anon();
    let send = |id: &str| json!({"message": {"messageId": id, "role":"ROLE_USER","parts":[{"text":"Message hello"}]}});
    let t = json_of(
        &s,
        &ctx,
        Op::SendMessage(send("tck-input-required-1a2b3c4d")),
    )
    .await["task"]
        .clone();
    assert_eq!(state(&t), "TASK_STATE_INPUT_REQUIRED");
    let mut p = send("tck-complete-task-1a2b3c4d");
    p["message"]["taskId"] = t["id"].clone();
    let t = json_of(&s, &ctx, Op::SendMessage(p)).await["task"].clone();
    assert_eq!(state(&t), "TASK_STATE_COMPLETED");
    assert_eq!(t["status"]["message"]["parts"][0]["text"], "Hello from TCK");
    let v = json_of(&s, &ctx, Op::SendMessage(send("tck-message-response-1"))).await;
    assert_eq!(v["message"]["parts"][0]["text"], "Direct message response");
    let t =
        json_of(&s, &ctx, Op::SendMessage(send("tck-artifact-file-url-1"))).await["task"].clone();
    assert_eq!(
        t["artifacts"][0]["parts"][0]["url"],
        "https://example.com/output.txt"
    );
    let t = json_of(
        &s,
        &ctx,
        Op::SendMessage(send("tck-stream-artifact-chunked-1")),
    )
    .await["task"]
        .clone();
    assert_eq!(
        t["artifacts"][0]["parts"],
        json!([{"text":"chunk-1 "},{"text":"chunk-2"}])
    );
}

#[tokio::test]
async fn return_immediately_returns_before_completion_and_blocking_waits() {
    let s = default_service();
    let p = json!({"message": user_msg("slow 300"), "configuration": {"returnImmediately": true}});
    let t = json_of(&s, &anon(), Op::SendMessage(p)).await["task"].clone();
    assert!(
        matches!(state(&t), "TASK_STATE_SUBMITTED" | "TASK_STATE_WORKING"),
        "{t}"
    );
    wait_state(&s, t["id"].as_str().unwrap(), "TASK_STATE_COMPLETED").await;

    let s = with_fault(Fault::IgnoreReturnImmediately);
    let p = json!({"message": user_msg("slow 10"), "configuration": {"returnImmediately": true}});
    let t = json_of(&s, &anon(), Op::SendMessage(p)).await["task"].clone();
    assert_eq!(state(&t), "TASK_STATE_COMPLETED");
}

#[tokio::test]
async fn history_length_applies_to_send_get_and_list() {
    let s = default_service();
    let ctx = anon();
    let t = task(&s, &ctx, "input-required").await;
    let id = t["id"].as_str().unwrap().to_owned();
    let p = json!({"message": {"messageId":"m","role":"ROLE_USER","parts":[{"text":"x"}],"taskId":id},
                   "configuration": {"historyLength": 0}});
    let t = json_of(&s, &ctx, Op::SendMessage(p)).await["task"].clone();
    assert!(t.get("history").is_none(), "{t}");
    let t = json_of(&s, &ctx, Op::GetTask(json!({"id": id, "historyLength": 2}))).await;
    let h = t["history"].as_array().unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[1]["parts"][0]["text"], "x", "the most recent are kept");
    let t = json_of(
        &s,
        &ctx,
        Op::GetTask(json!({"id": id, "history_length": "0"})),
    )
    .await;
    assert!(t.get("history").is_none());
    let t = get(&s, &ctx, &id).await;
    assert_eq!(t["history"].as_array().unwrap().len(), 3);
    let e = err_of(
        &s,
        &ctx,
        Op::GetTask(json!({"id": id, "historyLength": -1})),
    )
    .await;
    assert_eq!(e.field_violations[0].0, "historyLength");
    let l = json_of(&s, &ctx, Op::ListTasks(json!({"historyLength": 1}))).await;
    assert_eq!(l["tasks"][0]["history"].as_array().unwrap().len(), 1);

    let s = with_fault(Fault::IgnoreHistoryLength);
    let t = task(&s, &ctx, "hi").await;
    let t = json_of(
        &s,
        &ctx,
        Op::GetTask(json!({"id": t["id"], "historyLength": 0})),
    )
    .await;
    assert!(t.get("history").is_some());
}

#[tokio::test]
async fn unknown_and_foreign_tasks_look_the_same() {
    let s = default_service();
    let t = task(&s, &who("alice"), "input-required").await;
    let id = t["id"].as_str().unwrap();
    for op in [
        Op::GetTask(json!({ "id": id })),
        Op::CancelTask(json!({ "id": id })),
        Op::SubscribeToTask(json!({ "id": id })),
        Op::ListPushConfigs(json!({ "taskId": id })),
        Op::SendMessage(
            json!({"message": {"messageId":"m","role":"ROLE_USER","parts":[{"text":"x"}],"taskId":id}}),
        ),
    ] {
        let e = err_of(&s, &who("bob"), op).await;
        assert_eq!(e, A2aError::task_not_found(id));
    }
    let l = json_of(&s, &who("bob"), Op::ListTasks(json!({}))).await;
    assert_eq!(l["totalSize"], 0);
    let l = json_of(&s, &who("alice"), Op::ListTasks(json!({}))).await;
    assert_eq!(l["totalSize"], 1);

    let s = with_fault(Fault::LeakOtherTenantsTasks);
    let t = task(&s, &who("alice"), "hi").await;
    let got = get(&s, &who("bob"), t["id"].as_str().unwrap()).await;
    assert_eq!(got["id"], t["id"]);
}

// ---- ListTasks ----

#[tokio::test]
async fn list_pages_newest_first_and_every_task_once() {
    let s = default_service();
    let ctx = anon();
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(task(&s, &ctx, &format!("t{i}")).await["id"].clone());
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut stamps = Vec::new();
    loop {
        let l = json_of(
            &s,
            &ctx,
            Op::ListTasks(json!({"pageSize": 3, "pageToken": token})),
        )
        .await;
        assert_eq!(l["pageSize"], 3);
        if seen.is_empty() {
            assert_eq!(l["totalSize"], 7);
        }
        let tasks = l["tasks"].as_array().unwrap();
        assert!(tasks.len() <= 3);
        for t in tasks {
            assert!(
                t.get("artifacts").is_none(),
                "artifacts left out by default"
            );
            seen.push(t["id"].clone());
            stamps.push(t["status"]["timestamp"].as_str().unwrap().to_owned());
        }
        // A task created mid-walk must not disturb the walk.
        if seen.len() == 3 {
            task(&s, &ctx, "late").await;
        }
        token = l["nextPageToken"]
            .as_str()
            .expect("always present")
            .to_owned();
        if token.is_empty() {
            break;
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "newest first, each once");
    let mut sorted = stamps.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(stamps, sorted);

    let l = json_of(&s, &ctx, Op::ListTasks(json!({}))).await;
    assert_eq!(l["pageSize"], 50);
    assert_eq!(l["nextPageToken"], "");
    let l = json_of(
        &s,
        &ctx,
        Op::ListTasks(json!({"includeArtifacts": true, "pageSize": 1})),
    )
    .await;
    assert!(l["tasks"][0]["artifacts"].is_array());
}

#[tokio::test]
async fn list_filters_and_rejects_bad_arguments() {
    let s = default_service();
    let ctx = anon();
    let p = json!({"message": {"messageId":"m","role":"ROLE_USER","parts":[{"text":"fail"}],"contextId":"c-filter"}});
    json_of(&s, &ctx, Op::SendMessage(p)).await;
    task(&s, &ctx, "hi").await;
    let l = json_of(&s, &ctx, Op::ListTasks(json!({"contextId": "c-filter"}))).await;
    assert_eq!(l["totalSize"], 1);
    let l = json_of(
        &s,
        &ctx,
        Op::ListTasks(json!({"status": "TASK_STATE_COMPLETED"})),
    )
    .await;
    assert_eq!(l["totalSize"], 1);
    let l = json_of(&s, &ctx, Op::ListTasks(json!({"status": 4}))).await;
    assert_eq!(l["tasks"][0]["status"]["state"], "TASK_STATE_FAILED");
    let l = json_of(
        &s,
        &ctx,
        Op::ListTasks(json!({"statusTimestampAfter": "2000-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(l["totalSize"], 2);
    let l = json_of(
        &s,
        &ctx,
        Op::ListTasks(json!({"statusTimestampAfter": "2999-01-01T00:00:00.000Z"})),
    )
    .await;
    assert_eq!(l["totalSize"], 0);
    // Inclusive: a task's own timestamp matches.
    let newest = json_of(&s, &ctx, Op::ListTasks(json!({"pageSize": 1}))).await["tasks"][0].clone();
    let at = newest["status"]["timestamp"].clone();
    let l = json_of(
        &s,
        &ctx,
        Op::ListTasks(json!({ "statusTimestampAfter": at })),
    )
    .await;
    assert!(l["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == newest["id"]));
    for (params, field) in [
        (json!({"pageSize": 0}), "pageSize"),
        (json!({"pageSize": 101}), "pageSize"),
        (json!({"status": "done"}), "status"),
        (json!({"status": "TASK_STATE_UNSPECIFIED"}), "status"),
        (
            json!({"statusTimestampAfter": "2025-01-01T00:00:00+01:00"}),
            "statusTimestampAfter",
        ),
        (json!({"pageToken": "garbage!"}), "pageToken"),
        (json!({"historyLength": -2}), "historyLength"),
    ] {
        let e = err_of(&s, &ctx, Op::ListTasks(params.clone())).await;
        assert_eq!(e.field_violations[0].0, field, "{params}");
    }
}

#[tokio::test]
async fn missing_next_page_token_fault_drops_it_on_the_last_page() {
    let s = with_fault(Fault::MissingNextPageToken);
    task(&s, &anon(), "hi").await;
    let l = json_of(&s, &anon(), Op::ListTasks(json!({}))).await;
    assert!(l.get("nextPageToken").is_none());
}

// ---- CancelTask ----

#[tokio::test]
async fn cancel_moves_live_tasks_and_refuses_finished_ones() {
    let s = default_service();
    let ctx = anon();
    let p = json!({"message": user_msg("hang"), "configuration": {"returnImmediately": true}});
    let t = json_of(&s, &ctx, Op::SendMessage(p)).await["task"].clone();
    let id = t["id"].as_str().unwrap().to_owned();
    let mut sub = stream_of(&s, &ctx, Op::SubscribeToTask(json!({ "id": id }))).await;
    let c = json_of(&s, &ctx, Op::CancelTask(json!({ "id": id }))).await;
    assert_eq!(state(&c), "TASK_STATE_CANCELED");
    let events = drain(&mut sub).await;
    assert!(events[0].get("task").is_some());
    assert_eq!(
        event_state(events.last().unwrap()),
        Some("TASK_STATE_CANCELED")
    );
    let again = json_of(&s, &ctx, Op::CancelTask(json!({ "id": id }))).await;
    assert_eq!(state(&again), "TASK_STATE_CANCELED");
    assert_eq!(state(&get(&s, &ctx, &id).await), "TASK_STATE_CANCELED");

    let done = task(&s, &ctx, "hi").await;
    let e = err_of(&s, &ctx, Op::CancelTask(json!({"id": done["id"]}))).await;
    assert_eq!(e.kind, ErrorKind::TaskNotCancelable);
    let e = err_of(&s, &ctx, Op::CancelTask(json!({"id": "missing"}))).await;
    assert_eq!(e.kind, ErrorKind::TaskNotFound);

    let s = with_fault(Fault::CancelNoop);
    let t = task(&s, &ctx, "input-required").await;
    let c = json_of(&s, &ctx, Op::CancelTask(json!({"id": t["id"]}))).await;
    assert_eq!(state(&c), "TASK_STATE_INPUT_REQUIRED");
}

// ---- Streams ----

#[tokio::test]
async fn streaming_send_emits_task_then_updates_then_closes() {
    let s = default_service();
    let ctx = anon();
    let mut es = stream_of(&s, &ctx, Op::SendStreamingMessage(send_params("stream 3"))).await;
    let evs = drain(&mut es).await;
    drop(es);
    assert_eq!(evs.len(), 6, "{evs:?}");
    assert_eq!(state(&evs[0]["task"]), "TASK_STATE_SUBMITTED");
    let id = evs[0]["task"]["id"].clone();
    assert_eq!(event_state(&evs[1]), Some("TASK_STATE_WORKING"));
    for (i, ev) in evs[2..5].iter().enumerate() {
        let u = &ev["artifactUpdate"];
        assert_eq!(u["taskId"], id);
        assert_eq!(u["contextId"], evs[0]["task"]["contextId"]);
        assert_eq!(seq_of(ev), Some(i as u64));
        assert_eq!(u.get("append").is_some(), i > 0);
        assert_eq!(u.get("lastChunk").is_some(), i == 2);
    }
    assert_eq!(event_state(&evs[5]), Some("TASK_STATE_COMPLETED"));
    // State is stored before the event is published.
    assert_eq!(
        state(&get(&s, &ctx, id.as_str().unwrap()).await),
        "TASK_STATE_COMPLETED"
    );

    let mut es = stream_of(
        &s,
        &ctx,
        Op::SendStreamingMessage(send_params("message yo")),
    )
    .await;
    let evs = drain(&mut es).await;
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0]["message"]["parts"][0]["text"], "message: yo");
    drop(es);
    assert_eq!(s.open_streams(), 0);
}

#[tokio::test]
async fn message_streams_close_at_input_required_but_subscriptions_stay_open() {
    let s = default_service();
    let ctx = anon();
    let mut es = stream_of(
        &s,
        &ctx,
        Op::SendStreamingMessage(send_params("input-required")),
    )
    .await;
    let evs = drain(&mut es).await;
    assert_eq!(
        event_state(evs.last().unwrap()),
        Some("TASK_STATE_INPUT_REQUIRED")
    );
    let id = evs[0]["task"]["id"].as_str().unwrap().to_owned();

    let mut sub = stream_of(&s, &ctx, Op::SubscribeToTask(json!({ "id": id }))).await;
    let first = next_json(&mut sub).await.unwrap();
    assert_eq!(state(&first["task"]), "TASK_STATE_INPUT_REQUIRED");
    let p = json!({"message": {"messageId":"m","role":"ROLE_USER","parts":[{"text":"go"}],"taskId":id}});
    json_of(&s, &ctx, Op::SendMessage(p)).await;
    let rest = drain(&mut sub).await;
    let states: Vec<_> = rest.iter().filter_map(event_state).collect();
    assert_eq!(states, vec!["TASK_STATE_WORKING", "TASK_STATE_COMPLETED"]);
    assert!(rest.iter().any(|e| e.get("artifactUpdate").is_some()));
}

#[tokio::test]
async fn subscribe_refuses_terminal_unknown_and_gated_tasks() {
    let s = default_service();
    let t = task(&s, &anon(), "hi").await;
    let e = err_of(&s, &anon(), Op::SubscribeToTask(json!({"id": t["id"]}))).await;
    assert_eq!(e.kind, ErrorKind::UnsupportedOperation);
    let e = err_of(&s, &anon(), Op::SubscribeToTask(json!({"id": "nope"}))).await;
    assert_eq!(e.kind, ErrorKind::TaskNotFound);

    let off = service(Config {
        streaming: false,
        ..Config::default()
    });
    for op in [
        Op::SendStreamingMessage(send_params("hi")),
        Op::SubscribeToTask(json!({"id": "x"})),
    ] {
        assert_eq!(
            err_of(&off, &anon(), op).await.kind,
            ErrorKind::UnsupportedOperation
        );
    }
    let leaky = service(Config {
        streaming: false,
        fault: Some(Fault::StreamingNotGated),
        ..Config::default()
    });
    let mut es = stream_of(&leaky, &anon(), Op::SendStreamingMessage(send_params("hi"))).await;
    assert!(!drain(&mut es).await.is_empty());
}

/// Each subscriber's snapshot plus the events after it must be exactly the full run: no event
/// missed between snapshot and registration, none duplicated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_and_registration_are_atomic() {
    let s = default_service();
    let ctx = anon();
    let n = 3000u64;
    let p = json!({"message": user_msg(&format!("stream {n}")), "configuration": {"returnImmediately": true}});
    let t = json_of(&s, &ctx, Op::SendMessage(p)).await["task"].clone();
    let id = t["id"].as_str().unwrap().to_owned();
    let mut checked = 0;
    for _ in 0..20 {
        let mut sub = match call(&s, &ctx, Op::SubscribeToTask(json!({ "id": id }))).await {
            Ok(Reply::Stream(es)) => es,
            Err(e) if e.kind == ErrorKind::UnsupportedOperation => break, // already done
            other => panic!("{other:?}"),
        };
        let snap = next_json(&mut sub).await.unwrap();
        let have = snap["task"]["artifacts"][0]["parts"]
            .as_array()
            .map_or(0, |p| p.len() as u64);
        let rest = drain(&mut sub).await;
        let seqs: Vec<u64> = rest.iter().filter_map(seq_of).collect();
        let expect: Vec<u64> = (have..n).collect();
        assert_eq!(seqs, expect, "snapshot had {have} parts");
        assert_eq!(
            event_state(rest.last().unwrap()),
            Some("TASK_STATE_COMPLETED")
        );
        checked += 1;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert!(checked > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_subscribers_see_the_same_events_in_the_same_order() {
    let s = default_service();
    let ctx = anon();
    let p =
        json!({"message": user_msg("stream 200 1"), "configuration": {"returnImmediately": true}});
    let t = json_of(&s, &ctx, Op::SendMessage(p)).await["task"].clone();
    let id = t["id"].as_str().unwrap().to_owned();
    let mut readers = Vec::new();
    for _ in 0..50 {
        let sub = stream_of(&s, &ctx, Op::SubscribeToTask(json!({ "id": id }))).await;
        readers.push(tokio::spawn(async move {
            let mut sub = sub;
            let snap = next_json(&mut sub).await.unwrap();
            let have = snap["task"]["artifacts"][0]["parts"]
                .as_array()
                .map_or(0, |p| p.len() as u64);
            (have, drain(&mut sub).await)
        }));
    }
    let full: Vec<u64> = (0..200).collect();
    for r in readers {
        let (have, events) = r.await.unwrap();
        let seqs: Vec<u64> = events.iter().filter_map(seq_of).collect();
        assert_eq!(seqs, full[have as usize..].to_vec());
        assert_eq!(
            event_state(events.last().unwrap()),
            Some("TASK_STATE_COMPLETED")
        );
    }
}

#[tokio::test]
async fn a_lagging_subscriber_is_cut_off_without_a_gap_and_can_resubscribe() {
    let s = service(Config {
        subscriber_buffer: 4,
        ..Config::default()
    });
    let ctx = anon();
    let p =
        json!({"message": user_msg("stream 60 2"), "configuration": {"returnImmediately": true}});
    let t = json_of(&s, &ctx, Op::SendMessage(p)).await["task"].clone();
    let id = t["id"].as_str().unwrap().to_owned();
    let mut lagging = stream_of(&s, &ctx, Op::SubscribeToTask(json!({ "id": id }))).await;
    let fast = stream_of(&s, &ctx, Op::SubscribeToTask(json!({ "id": id }))).await;
    let fast = tokio::spawn(async move {
        let mut fast = fast;
        drain(&mut fast).await
    });
    // Let the producer run well past the laggard's buffer while it reads nothing.
    let mut rx = {
        let t = get(&s, &ctx, &id).await;
        assert_ne!(state(&t), "TASK_STATE_COMPLETED");
        tokio::time::interval(Duration::from_millis(2))
    };
    loop {
        rx.tick().await;
        let t = get(&s, &ctx, &id).await;
        let parts = t["artifacts"][0]["parts"].as_array().map_or(0, |p| p.len());
        if parts >= 10 {
            break;
        }
    }
    let got = drain(&mut lagging).await;
    assert_eq!(
        got.len(),
        4,
        "exactly the buffered events, then a clean end"
    );
    assert!(got[0].get("task").is_some());
    let seqs: Vec<u64> = got.iter().filter_map(seq_of).collect();
    let start = seqs.first().copied().unwrap_or(0);
    assert_eq!(seqs, (start..start + seqs.len() as u64).collect::<Vec<_>>());
    assert_ne!(
        event_state(got.last().unwrap()),
        Some("TASK_STATE_COMPLETED")
    );
    // Resubscribing starts over from a fresh snapshot.
    let mut again = stream_of(&s, &ctx, Op::SubscribeToTask(json!({ "id": id }))).await;
    let snap = next_json(&mut again).await.unwrap();
    assert!(
        snap["task"]["artifacts"][0]["parts"]
            .as_array()
            .unwrap()
            .len()
            >= 10
    );
    // The healthy reader got everything.
    let all = fast.await.unwrap();
    let seqs: Vec<u64> = all.iter().filter_map(seq_of).collect();
    assert_eq!(seqs.last(), Some(&59));
    assert_eq!(
        event_state(all.last().unwrap()),
        Some("TASK_STATE_COMPLETED")
    );
}

#[tokio::test]
async fn drop_lagging_silently_fault_leaves_a_gap() {
    let s = service(Config {
        subscriber_buffer: 4,
        fault: Some(Fault::DropLaggingSilently),
        ..Config::default()
    });
    let ctx = anon();
    let p =
        json!({"message": user_msg("stream 40 2"), "configuration": {"returnImmediately": true}});
    let t = json_of(&s, &ctx, Op::SendMessage(p)).await["task"].clone();
    let id = t["id"].as_str().unwrap().to_owned();
    let mut lagging = stream_of(&s, &ctx, Op::SubscribeToTask(json!({ "id": id }))).await;
    let mut tick = tokio::time::interval(Duration::from_millis(2));
    loop {
        tick.tick().await;
        let t = get(&s, &ctx, &id).await;
        if t["artifacts"][0]["parts"].as_array().map_or(0, |p| p.len()) >= 10 {
            break;
        }
    }
    let events = drain(&mut lagging).await;
    let seqs: Vec<u64> = events.iter().filter_map(seq_of).collect();
    assert!(
        seqs.windows(2).any(|w| w[1] != w[0] + 1),
        "events went missing mid-stream: {seqs:?}"
    );
    assert_eq!(
        event_state(events.last().unwrap()),
        Some("TASK_STATE_COMPLETED"),
        "and the stream still looks complete"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fast_consumer_gets_all_ten_thousand_events() {
    let s = default_service();
    let mut es = stream_of(
        &s,
        &anon(),
        Op::SendStreamingMessage(send_params("stream 10000 0")),
    )
    .await;
    let mut next = 0u64;
    let mut last = None;
    while let Some(ev) = next_json(&mut es).await {
        if let Some(seq) = seq_of(&ev) {
            assert_eq!(seq, next);
            next += 1;
        }
        last = Some(ev);
    }
    assert_eq!(next, 10_000);
    assert_eq!(event_state(&last.unwrap()), Some("TASK_STATE_COMPLETED"));
}

#[tokio::test]
async fn a_fast_consumer_on_one_thread_gets_all_ten_thousand_events() {
    let s = default_service();
    let mut es = stream_of(
        &s,
        &anon(),
        Op::SendStreamingMessage(send_params("stream 10000")),
    )
    .await;
    let events = drain(&mut es).await;
    assert_eq!(events.iter().filter_map(seq_of).count(), 10_000);
    assert_eq!(
        event_state(events.last().unwrap()),
        Some("TASK_STATE_COMPLETED")
    );
}

#[tokio::test]
async fn close_streams_ends_open_streams_and_the_gauge_follows() {
    let s = default_service();
    let ctx = anon();
    let p = json!({"message": user_msg("hang"), "configuration": {"returnImmediately": true}});
    let t = json_of(&s, &ctx, Op::SendMessage(p)).await["task"].clone();
    let mut a = stream_of(&s, &ctx, Op::SubscribeToTask(json!({"id": t["id"]}))).await;
    let mut b = stream_of(&s, &ctx, Op::SubscribeToTask(json!({"id": t["id"]}))).await;
    assert_eq!(s.open_streams(), 2);
    s.close_streams();
    assert_eq!(drain(&mut a).await.len(), 1, "snapshot, then a clean end");
    assert_eq!(drain(&mut b).await.len(), 1);
    drop((a, b));
    assert_eq!(s.open_streams(), 0);
}

#[tokio::test]
async fn stream_faults_show_on_the_wire() {
    let s = with_fault(Fault::FirstEventNotTask);
    let mut es = stream_of(&s, &anon(), Op::SendStreamingMessage(send_params("hi"))).await;
    let first = next_json(&mut es).await.unwrap();
    assert!(first.get("statusUpdate").is_some());

    let s = with_fault(Fault::StreamGap);
    let mut es = stream_of(
        &s,
        &anon(),
        Op::SendStreamingMessage(send_params("stream 10")),
    )
    .await;
    let seqs: Vec<u64> = drain(&mut es).await.iter().filter_map(seq_of).collect();
    assert_eq!(seqs.len(), 9);

    let s = with_fault(Fault::StreamNeverCloses);
    let mut es = stream_of(&s, &anon(), Op::SendStreamingMessage(send_params("hi"))).await;
    for _ in 0..4 {
        next_json(&mut es).await.unwrap();
    }
    assert!(tokio::time::timeout(Duration::from_millis(50), es.next())
        .await
        .is_err());
}

#[tokio::test]
async fn serialization_faults_reach_task_output() {
    let t = task(&with_fault(Fault::SnakeCaseKeys), &anon(), "hi").await;
    assert!(t.get("context_id").is_some());
    let t = task(&with_fault(Fault::LowercaseEnum), &anon(), "hi").await;
    assert_eq!(state(&t), "completed");
    let t = task(&with_fault(Fault::TimestampOffset), &anon(), "hi").await;
    assert!(t["status"]["timestamp"]
        .as_str()
        .unwrap()
        .ends_with("+00:00"));
}

// ---- Push configs ----

#[tokio::test]
async fn push_config_crud_follows_section_8() {
    let s = default_service();
    let ctx = anon();
    let t = task(&s, &ctx, "hi").await;
    let id = t["id"].as_str().unwrap();
    let url = "https://example.com/hook";
    // Created on a completed task too (the TCK does exactly that).
    let c = json_of(
        &s,
        &ctx,
        Op::CreatePushConfig(json!({"taskId": id, "url": url, "token": "tok"})),
    )
    .await;
    let cid = c["id"].as_str().unwrap().to_owned();
    assert!(!cid.is_empty());
    assert_eq!(c["taskId"], id);
    let c2 = json_of(
        &s,
        &ctx,
        Op::CreatePushConfig(json!({"taskId": id, "id": "mine", "url": url,
            "authentication": {"scheme": "Bearer", "credentials": "s3cret"}})),
    )
    .await;
    assert_eq!(c2["id"], "mine");
    let replaced = json_of(
        &s,
        &ctx,
        Op::CreatePushConfig(
            json!({"taskId": id, "id": "mine", "url": "https://example.com/other"}),
        ),
    )
    .await;
    assert_eq!(replaced["url"], "https://example.com/other");
    let l = json_of(&s, &ctx, Op::ListPushConfigs(json!({ "taskId": id }))).await;
    assert_eq!(l["configs"].as_array().unwrap().len(), 2);
    let g = json_of(
        &s,
        &ctx,
        Op::GetPushConfig(json!({"taskId": id, "id": "mine"})),
    )
    .await;
    assert_eq!(g, replaced);
    for _ in 0..2 {
        match call(
            &s,
            &ctx,
            Op::DeletePushConfig(json!({"taskId": id, "id": "mine"})),
        )
        .await
        {
            Ok(Reply::Empty) => {}
            other => panic!("{other:?}"),
        }
    }
    let e = err_of(
        &s,
        &ctx,
        Op::GetPushConfig(json!({"taskId": id, "id": "mine"})),
    )
    .await;
    assert_eq!(e.kind, ErrorKind::TaskNotFound);
    let e = err_of(
        &s,
        &ctx,
        Op::CreatePushConfig(json!({"taskId": "nope", "url": url})),
    )
    .await;
    assert_eq!(e.kind, ErrorKind::TaskNotFound);
    let e = err_of(&s, &ctx, Op::ListPushConfigs(json!({"taskId": "nope"}))).await;
    assert_eq!(e.kind, ErrorKind::TaskNotFound);
    let e = err_of(
        &s,
        &ctx,
        Op::CreatePushConfig(json!({"taskId": id, "url": "http://127.0.0.1:9/h"})),
    )
    .await;
    assert_eq!(e.field_violations[0].0, "url");
    let e = err_of(&s, &ctx, Op::CreatePushConfig(json!({"taskId": id}))).await;
    assert_eq!(e.field_violations[0].0, "url");
}

#[tokio::test]
async fn inline_push_configs_register_and_respect_the_guard() {
    let s = default_service();
    let ctx = anon();
    let p = json!({"message": user_msg("hi"),
        "configuration": {"taskPushNotificationConfig": {"url": "https://example.com/h", "id": "c1"}}});
    let t = json_of(&s, &ctx, Op::SendMessage(p)).await["task"].clone();
    let l = json_of(&s, &ctx, Op::ListPushConfigs(json!({"taskId": t["id"]}))).await;
    assert_eq!(l["configs"][0]["id"], "c1");
    assert_eq!(l["configs"][0]["taskId"], t["id"]);
    let p = json!({"message": user_msg("hi"),
        "configuration": {"taskPushNotificationConfig": {"url": "http://192.168.0.1/h"}}});
    let e = err_of(&s, &ctx, Op::SendMessage(p)).await;
    assert_eq!(
        e.field_violations[0].0,
        "configuration.taskPushNotificationConfig.url"
    );
}

#[tokio::test]
async fn push_off_refuses_every_push_operation() {
    let s = service(Config {
        push_notifications: false,
        ..Config::default()
    });
    let ctx = anon();
    let t = task(&s, &ctx, "hi").await;
    let id = t["id"].clone();
    for op in [
        Op::CreatePushConfig(json!({"taskId": id, "url": "https://example.com/h"})),
        Op::GetPushConfig(json!({"taskId": id, "id": "x"})),
        Op::ListPushConfigs(json!({ "taskId": id })),
        Op::DeletePushConfig(json!({"taskId": id, "id": "x"})),
        Op::SendMessage(json!({"message": user_msg("hi"),
            "configuration": {"taskPushNotificationConfig": {"url": "https://example.com/h"}}})),
    ] {
        let e = err_of(&s, &ctx, op).await;
        assert_eq!(e.kind, ErrorKind::PushNotificationNotSupported);
    }
}

/// Cost of one blocking echo SendMessage through the core alone (run with `--release
/// --ignored`); the transport adds JSON parsing and HTTP on top.
#[tokio::test]
#[ignore = "timing; run explicitly with --release"]
async fn core_send_message_cost() {
    let s = default_service();
    let ctx = anon();
    let params = send_params("hello");
    let n: u32 = std::env::var("CORE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let started = std::time::Instant::now();
    for _ in 0..n {
        let r = call(&s, &ctx, Op::SendMessage(params.clone())).await;
        assert!(matches!(r, Ok(Reply::Json(_))));
    }
    let per = started.elapsed() / n;
    println!("core SendMessage: {per:?} per call");
    assert!(per < Duration::from_millis(1));
}

#[tokio::test]
async fn a_message_to_a_busy_task_joins_its_history_and_waits() {
    let s = default_service();
    let ctx = anon();
    let p = json!({"message": user_msg("slow 100"), "configuration": {"returnImmediately": true}});
    let t = json_of(&s, &ctx, Op::SendMessage(p)).await["task"].clone();
    let p = json!({"message": {"messageId":"m2","role":"ROLE_USER","parts":[{"text":"also"}],"taskId":t["id"]}});
    let t = json_of(&s, &ctx, Op::SendMessage(p)).await["task"].clone();
    assert_eq!(state(&t), "TASK_STATE_COMPLETED");
    let h = t["history"].as_array().unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[1]["parts"][0]["text"], "also");
    assert_eq!(t["artifacts"][0]["parts"][0]["text"], "echo: slow 100");
}

#[tokio::test]
async fn shutdown_releases_a_blocked_send() {
    // The grace ends shortly before the deadline; a short deadline keeps the test fast.
    let s = service(Config {
        shutdown_deadline: Duration::from_millis(200),
        ..Config::default()
    });
    let waiter = {
        let s = s.clone();
        tokio::spawn(async move { task(&s, &anon(), "hang").await })
    };
    // Closing before the send registers is fine too: the send then returns at once.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let l = json_of(&s, &anon(), Op::ListTasks(json!({}))).await;
        if l["totalSize"] == 1 && state(&l["tasks"][0]) == "TASK_STATE_WORKING" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline);
        tokio::task::yield_now().await;
    }
    s.close_streams();
    let t = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("released by shutdown")
        .unwrap();
    assert_eq!(state(&t), "TASK_STATE_WORKING");
}

mod props {
    use proptest::prelude::*;

    use super::*;

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            prop_oneof![
                Just("ROLE_USER".to_owned()),
                Just("TASK_STATE_WORKING".to_owned()),
                Just("2025-01-01T00:00:00Z".to_owned()),
                ".{0,12}",
            ]
            .prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            let keys = prop_oneof![
                Just("message".to_owned()),
                Just("messageId".to_owned()),
                Just("role".to_owned()),
                Just("parts".to_owned()),
                Just("text".to_owned()),
                Just("raw".to_owned()),
                Just("data".to_owned()),
                Just("id".to_owned()),
                Just("taskId".to_owned()),
                Just("contextId".to_owned()),
                Just("configuration".to_owned()),
                Just("historyLength".to_owned()),
                Just("pageSize".to_owned()),
                Just("pageToken".to_owned()),
                Just("status".to_owned()),
                Just("url".to_owned()),
                "[a-z_]{1,8}",
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((keys, inner), 0..5)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Whatever the params, every operation answers with a result or a client error:
        /// never a panic, never an internal error.
        #[test]
        fn arbitrary_params_never_cause_an_internal_error(params in any_json(), which in 0usize..10) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let s = default_service();
            let op = match which {
                0 => Op::SendMessage(params),
                1 => Op::SendStreamingMessage(params),
                2 => Op::GetTask(params),
                3 => Op::ListTasks(params),
                4 => Op::CancelTask(params),
                5 => Op::SubscribeToTask(params),
                6 => Op::CreatePushConfig(params),
                7 => Op::GetPushConfig(params),
                8 => Op::ListPushConfigs(params),
                _ => Op::DeletePushConfig(params),
            };
            let out = rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(5), s.call(&anon(), op)).await
            });
            match out {
                Ok(Err(e)) => prop_assert!(
                    e.kind != ErrorKind::Internal && e.kind.http_status() < 500,
                    "{e}"
                ),
                Ok(Ok(_)) => {}
                Err(_) => prop_assert!(false, "no answer within 5 s"),
            }
        }

        #[test]
        fn timestamps_round_trip(ms in 0i64..253_402_300_799_999) {
            let text = crate::clock::format_ms(ms, false);
            prop_assert_eq!(crate::clock::parse_nanos(&text), Some(i128::from(ms) * 1_000_000));
        }

        #[test]
        fn base64_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let enc = crate::validate::b64_encode(&bytes);
            prop_assert_eq!(crate::validate::b64_decode(&enc), Some(bytes.clone()));
            let url_safe: String = enc.trim_end_matches('=').replace('+', "-").replace('/', "_");
            prop_assert_eq!(crate::validate::b64_decode(&url_safe), Some(bytes));
        }
    }
}

#[tokio::test]
async fn media_types_are_checked_on_input_and_honoured_on_output() {
    let s = default_service();
    let ctx = anon();
    let p = json!({"message": {"messageId":"m","role":"ROLE_USER","parts":[
        {"text":"hi"}, {"raw":"Z2F1bnRsZXQ=","mediaType":"application/x-odd"}]}});
    let e = err_of(&s, &ctx, Op::SendMessage(p)).await;
    assert_eq!(e.kind, ErrorKind::ContentTypeNotSupported);
    let p = json!({"message": {"messageId":"m","role":"ROLE_USER","parts":[
        {"text":"hi", "mediaType":"text/plain; charset=utf-8"}, {"raw":"Z2F1bnRsZXQ="}]}});
    assert_eq!(
        state(&json_of(&s, &ctx, Op::SendMessage(p)).await["task"]),
        "TASK_STATE_COMPLETED"
    );

    let p =
        json!({"message": user_msg("parts"), "configuration": {"acceptedOutputModes": ["text/*"]}});
    let t = json_of(&s, &ctx, Op::SendMessage(p)).await["task"].clone();
    assert_eq!(
        t["artifacts"][0]["parts"],
        json!([{"text":"t"},{"url":"https://example.com/g.txt","mediaType":"text/plain"}])
    );
    let p = json!({"message": user_msg("stream 3"), "configuration": {"acceptedOutputModes": ["text/plain"]}});
    let t = json_of(&s, &ctx, Op::SendMessage(p)).await["task"].clone();
    assert_eq!(state(&t), "TASK_STATE_COMPLETED");
    assert!(
        t.get("artifacts").is_none(),
        "data chunks are left out: {t}"
    );
}

#[tokio::test]
async fn the_oldest_terminal_tasks_are_forgotten_first() {
    let store = super::Store::with_retention(Arc::new(Config::default()), 3);
    let ctx = anon();
    let mut ids = Vec::new();
    let live = match store
        .call(&ctx, Op::SendMessage(send_params("input-required")))
        .await
    {
        Ok(Reply::Json(v)) => v["task"]["id"].clone(),
        other => panic!("{other:?}"),
    };
    for i in 0..5 {
        match store
            .call(&ctx, Op::SendMessage(send_params(&format!("t{i}"))))
            .await
        {
            Ok(Reply::Json(v)) => ids.push(v["task"]["id"].clone()),
            other => panic!("{other:?}"),
        }
    }
    let found = |id: Value| {
        let store = &store;
        let ctx = &ctx;
        async move {
            store
                .call(ctx, Op::GetTask(json!({ "id": id })))
                .await
                .is_ok()
        }
    };
    assert!(!found(ids[0].clone()).await && !found(ids[1].clone()).await);
    for id in &ids[2..] {
        assert!(found(id.clone()).await);
    }
    assert!(found(live).await, "live tasks are never evicted");
}

#[tokio::test]
async fn a_context_filtered_list_forgets_evicted_tasks_too() {
    let store = super::Store::with_retention(Arc::new(Config::default()), 2);
    let ctx = anon();
    let context = "ctx-eviction";
    let mut ids = Vec::new();
    for i in 0..4 {
        let mut p = send_params(&format!("t{i}"));
        p["message"]["contextId"] = json!(context);
        match store.call(&ctx, Op::SendMessage(p)).await {
            Ok(Reply::Json(v)) => ids.push(v["task"]["id"].clone()),
            other => panic!("{other:?}"),
        }
    }
    let listed = match store
        .call(&ctx, Op::ListTasks(json!({ "contextId": context })))
        .await
    {
        Ok(Reply::Json(v)) => v["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].clone())
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        listed,
        vec![ids[3].clone(), ids[2].clone()],
        "newest first, evicted ones gone"
    );
}

/// The parts of a task's first stored artifact.
fn stored_parts(task: &Value) -> usize {
    task["artifacts"][0]["parts"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn a_truncating_store_keeps_the_first_parts_while_the_stream_carries_all() {
    let n = crate::config::TRUNCATED_PARTS + 5;
    for (fault, kept) in [
        (None, n),
        (
            Some(Fault::TruncateStoredArtifact),
            crate::config::TRUNCATED_PARTS,
        ),
    ] {
        let s = service(Config {
            fault,
            ..Config::default()
        });
        let cmd = format!("stream {n}");
        let mut es = stream_of(&s, &anon(), Op::SendStreamingMessage(send_params(&cmd))).await;
        let events = drain(&mut es).await;
        assert_eq!(events.iter().filter_map(seq_of).count(), n, "{fault:?}");
        let id = events[0]["task"]["id"].as_str().unwrap().to_owned();
        assert_eq!(
            stored_parts(&get(&s, &anon(), &id).await),
            kept,
            "{fault:?}"
        );
    }
}

#[tokio::test]
async fn follow_up_status_first_opens_only_resumed_streams_with_a_status_update() {
    let s = with_fault(Fault::FollowUpStatusFirst);
    let mut fresh = stream_of(
        &s,
        &anon(),
        Op::SendStreamingMessage(send_params("input-required")),
    )
    .await;
    let events = drain(&mut fresh).await;
    assert!(
        events[0].get("task").is_some(),
        "a new task's stream is unchanged"
    );
    let id = events[0]["task"]["id"].as_str().unwrap().to_owned();
    let mut msg = user_msg("more");
    msg["taskId"] = json!(id);
    let mut es = stream_of(
        &s,
        &anon(),
        Op::SendStreamingMessage(json!({ "message": msg })),
    )
    .await;
    let first = next_json(&mut es).await.unwrap();
    assert_eq!(event_state(&first), Some("TASK_STATE_WORKING"));
}

#[tokio::test]
async fn subscribe_refuses_interrupted_refuses_input_required_but_not_working_tasks() {
    for (fault, refused) in [
        (None, false),
        (Some(Fault::SubscribeRefusesInterrupted), true),
    ] {
        let s = service(Config {
            fault,
            ..Config::default()
        });
        let t = task(&s, &anon(), "input-required").await;
        assert_eq!(state(&t), "TASK_STATE_INPUT_REQUIRED");
        let op = Op::SubscribeToTask(json!({ "id": t["id"] }));
        match call(&s, &anon(), op).await {
            Err(e) => assert!(refused && e.kind == ErrorKind::UnsupportedOperation, "{e}"),
            Ok(_) => assert!(!refused, "{fault:?} let the subscription through"),
        }
    }
}

#[tokio::test]
async fn an_unbounded_default_page_lists_every_task() {
    for (fault, listed) in [(None, 50), (Some(Fault::ListDefaultPageUnbounded), 51)] {
        let s = service(Config {
            fault,
            ..Config::default()
        });
        let first = task(&s, &anon(), "hi").await;
        let c = first["contextId"].clone();
        for _ in 0..50 {
            let mut msg = user_msg("hi");
            msg["contextId"] = c.clone();
            json_of(&s, &anon(), Op::SendMessage(json!({ "message": msg }))).await;
        }
        let page = json_of(&s, &anon(), Op::ListTasks(json!({ "contextId": c }))).await;
        assert_eq!(
            page["tasks"].as_array().map(Vec::len),
            Some(listed),
            "{fault:?}"
        );
    }
}
