//! Snapshots of the reference server's wire output, normalised: every one of the 11 methods on
//! both bindings, the agent card and representative errors. One scenario per binding produces
//! both the insta snapshots (`conformance/tests/snapshots/`, one per step) and the golden
//! transcript (`fixtures/transcripts/<binding>.txt`, every exchange as raw HTTP text).
//!
//! Normalisation replaces what differs between runs with stable placeholders: task, context,
//! message and push-config ids (`[task-1]`, …; the same id always gets the same placeholder
//! within a binding's scenario, so relationships stay visible), timestamps, the port, the
//! `Date` and `ETag` headers and the crate version. Nothing timing-dependent reaches the
//! output: every stream is read event by event, and the only stream held open across another
//! call (SubscribeToTask on a `hang` task) is ended by that call (CancelTask).
//!
//! Regenerate the transcripts with `GAUNTLET_BLESS=1`, the snapshots with `INSTA_UPDATE=always`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use gauntlet_conformance::case::Binding;
use gauntlet_conformance::client::{fresh_id, A2aClient, CallOpts, EventReader, StreamAnswer};
use gauntlet_conformance::context::Subject;
use gauntlet_conformance::probe::{Probe, RawRequest, SseEvent, Transcript};
use gauntlet_conformance::spec::Method;
use serde_json::{json, Map, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_over_jsonrpc_matches_its_snapshots_and_golden_transcript() {
    check(Binding::JsonRpc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_over_rest_matches_its_snapshots_and_golden_transcript() {
    check(Binding::Rest).await;
}

#[test]
fn the_normaliser_gives_one_id_one_placeholder_and_hides_times_and_the_port() {
    let mut n = Normaliser::new("127.0.0.1:40123");
    let task = json!({
        "id": "t-1", "contextId": "c-1",
        "status": {"state": "TASK_STATE_COMPLETED", "timestamp": "2026-01-01T10:00:00.123Z"},
        "history": [{"messageId": "m-1", "taskId": "t-1", "contextId": "c-1"}],
    });
    let config = json!({"taskId": "t-1", "id": "t-10", "url": "http://127.0.0.1:40123/hook"});
    n.learn(&task);
    n.learn(&config);
    assert_eq!(
        n.json(&task),
        json!({
            "id": "[task-1]", "contextId": "[context-1]",
            "status": {"state": "TASK_STATE_COMPLETED", "timestamp": "[timestamp]"},
            "history": [{"messageId": "[message-1]", "taskId": "[task-1]", "contextId": "[context-1]"}],
        })
    );
    assert_eq!(
        n.json(&config),
        json!({"taskId": "[task-1]", "id": "[config-1]", "url": "http://127.0.0.1:[port]/hook"})
    );
    // Text: the longer id wins over its prefix; bare timestamps of any precision are hidden.
    assert_eq!(
        n.text("GET /tasks/t-1/pushNotificationConfigs/t-10 at 2026-01-01T10:00:00Z"),
        "GET /tasks/[task-1]/pushNotificationConfigs/[config-1] at [timestamp]"
    );
}

/// Runs the scenario on `binding`, then checks every snapshot and the golden transcript.
async fn check(binding: Binding) {
    let server = crate::reference(|b| b.keepalive(Duration::from_secs(3600))).await;
    let steps = scenario(&server.base_url(), binding).await;
    server.shutdown().await;

    let authority = server_authority(&steps);
    let mut norm = Normaliser::new(&authority);
    for step in &steps {
        step.learn(&mut norm);
    }

    let tag = binding_tag(binding);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    // The crate version is not wire behaviour; the cards would change on every release.
    settings.add_redaction(".body.version", "[version]");
    settings.add_redaction(".body.result.version", "[version]");
    settings.bind(|| {
        for step in &steps {
            if let Some(name) = step.snapshot {
                let value = step.snapshot_value(&norm);
                // The card is the same on both bindings, so it is snapshotted once, unprefixed.
                let name = match name {
                    "agent_card" => name.to_owned(),
                    _ => format!("{tag}_{name}"),
                };
                insta::assert_json_snapshot!(name, value);
            }
        }
    });

    let fresh = transcript(binding, &steps, &norm);
    let shown = format!("fixtures/transcripts/{tag}.txt");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(&shown);
    if std::env::var_os("GAUNTLET_BLESS").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(&path, &fresh).expect("write the golden transcript");
        return;
    }
    let golden = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {shown}: {e}; generate it with GAUNTLET_BLESS=1"));
    if golden != fresh {
        let line = golden
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| golden.lines().count().min(fresh.lines().count()));
        panic!(
            "{shown} differs from the fresh transcript at line {}:\n  golden: {:?}\n  fresh:  {:?}\n\
             Review the change, then regenerate with GAUNTLET_BLESS=1.",
            line + 1,
            golden.lines().nth(line).unwrap_or("<end of file>"),
            fresh.lines().nth(line).unwrap_or("<end of file>"),
        );
    }
}

fn binding_tag(binding: Binding) -> &'static str {
    match binding {
        Binding::JsonRpc => "jsonrpc",
        Binding::Rest => "rest",
    }
}

fn server_authority(steps: &[Step]) -> String {
    let url = steps
        .first()
        .map(|s| s.request.url.as_str())
        .unwrap_or_default();
    gauntlet_conformance::probe::parse_url(url)
        .map(|u| u.authority)
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The scenario

/// One exchange of the scenario as it happened on the wire.
struct Step {
    /// Snapshot name (the binding is prepended); None: transcript only.
    snapshot: Option<&'static str>,
    /// What the step does, for the transcript heading.
    title: &'static str,
    request: RawRequest,
    status: u16,
    headers: Vec<(String, String)>,
    answer: Body,
}

/// A response body: whole bytes, or the SSE events read and how the stream ended.
enum Body {
    Whole(bytes::Bytes),
    Events { events: Vec<SseEvent>, eof: bool },
}

impl Step {
    /// Teaches `norm` the ids in this step's request and response JSON.
    fn learn(&self, norm: &mut Normaliser) {
        if let Ok(v) = serde_json::from_slice::<Value>(&self.request.body) {
            norm.learn(&v);
        }
        match &self.answer {
            Body::Whole(b) => {
                if let Ok(v) = serde_json::from_slice::<Value>(b) {
                    norm.learn(&v);
                }
            }
            Body::Events { events, .. } => {
                for e in events {
                    if let Ok(v) = serde_json::from_str::<Value>(&e.data) {
                        norm.learn(&v);
                    }
                }
            }
        }
    }

    /// The normalised snapshot: request line and body, status, content type, body or events.
    fn snapshot_value(&self, norm: &Normaliser) -> Value {
        let mut out = Map::new();
        out.insert(
            "request".into(),
            format!(
                "{} {}",
                self.request.method,
                norm.text(&path_of(&self.request))
            )
            .into(),
        );
        if !self.request.body.is_empty() {
            out.insert("requestBody".into(), norm.body(&self.request.body));
        }
        out.insert("status".into(), self.status.into());
        let content_type = self
            .headers
            .iter()
            .find(|(n, _)| n == "content-type")
            .map(|(_, v)| Value::String(v.clone()))
            .unwrap_or(Value::Null);
        out.insert("contentType".into(), content_type);
        match &self.answer {
            Body::Whole(b) if b.is_empty() => {}
            Body::Whole(b) => {
                out.insert("body".into(), norm.body(b));
            }
            Body::Events { events, eof } => {
                let events = events
                    .iter()
                    .map(|e| norm.body(e.data.as_bytes()))
                    .collect();
                out.insert("events".into(), Value::Array(events));
                let end = if *eof {
                    "the server closed the stream"
                } else {
                    "the client closed the stream"
                };
                out.insert("end".into(), end.into());
            }
        }
        Value::Object(out)
    }
}

/// Path and query of a request URL.
fn path_of(req: &RawRequest) -> String {
    gauntlet_conformance::probe::parse_url(&req.url)
        .map(|u| u.path_and_query)
        .unwrap_or_else(|_| req.url.clone())
}

/// Generous bound on any single read; the scenario never waits on it when the server is right.
const PATIENCE: Duration = Duration::from_secs(30);

/// Drives the scenario and keeps every exchange.
struct Driver {
    client: A2aClient,
    steps: Vec<Step>,
    next_id: u64,
}

impl Driver {
    /// Options with a fixed, step-numbered JSON-RPC id (the client's own counter is shared).
    fn opts(&mut self) -> CallOpts {
        self.next_id += 1;
        CallOpts {
            jsonrpc_id: Some(self.next_id.into()),
            ..CallOpts::default()
        }
    }

    async fn call(
        &mut self,
        snapshot: Option<&'static str>,
        title: &'static str,
        method: Method,
        params: Value,
    ) -> Value {
        let opts = self.opts();
        self.call_with(snapshot, title, method, params, opts).await
    }

    async fn call_with(
        &mut self,
        snapshot: Option<&'static str>,
        title: &'static str,
        method: Method,
        params: Value,
        opts: CallOpts,
    ) -> Value {
        let answer = self
            .client
            .call_with(method, params, opts)
            .await
            .unwrap_or_else(|e| panic!("{title}: {e}"));
        let value = answer.ok().cloned().unwrap_or(Value::Null);
        self.steps.push(Step {
            snapshot,
            title,
            request: answer.request,
            status: answer.raw.status,
            headers: answer.raw.headers,
            answer: Body::Whole(answer.raw.body),
        });
        value
    }

    async fn raw(&mut self, snapshot: &'static str, title: &'static str, request: RawRequest) {
        let answer = self
            .client
            .send_raw(request)
            .await
            .unwrap_or_else(|e| panic!("{title}: {e}"));
        self.steps.push(Step {
            snapshot: Some(snapshot),
            title,
            request: answer.request,
            status: answer.raw.status,
            headers: answer.raw.headers,
            answer: Body::Whole(answer.raw.body),
        });
    }

    async fn open(&mut self, method: Method, params: Value) -> EventReader {
        let opts = self.opts();
        match self.client.stream_with(method, params, opts).await {
            Ok(StreamAnswer::Open(reader)) => reader,
            Ok(StreamAnswer::Refused(a)) => panic!(
                "{method:?} was refused: {} {}",
                a.raw.status,
                String::from_utf8_lossy(&a.raw.body)
            ),
            Err(e) => panic!("{method:?}: {e}"),
        }
    }

    /// Records a stream opened with `head`: the events read and whether it reached a clean end.
    fn stream_step(
        &mut self,
        snapshot: &'static str,
        title: &'static str,
        head: Head,
        events: Vec<SseEvent>,
        eof: bool,
    ) {
        let (request, status, headers) = head;
        self.steps.push(Step {
            snapshot: Some(snapshot),
            title,
            request,
            status,
            headers,
            answer: Body::Events { events, eof },
        });
    }
}

/// A stream's request, status and headers.
type Head = (RawRequest, u16, Vec<(String, String)>);

fn head(reader: &EventReader) -> Head {
    (
        reader.request.clone(),
        reader.raw.status,
        reader.raw.headers.clone(),
    )
}

/// Reads `n` events.
async fn take(reader: &mut EventReader, n: usize) -> Vec<SseEvent> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        match reader.next(PATIENCE).await {
            Ok(Some(e)) => out.push(e.sse),
            Ok(None) => panic!("the stream ended after {} of {n} events", out.len()),
            Err(e) => panic!("reading event {} of {n}: {e}", out.len() + 1),
        }
    }
    out
}

/// Reads to the end of the stream.
async fn rest_of(reader: EventReader) -> Vec<SseEvent> {
    let drained = reader.drain(PATIENCE).await;
    if let Err(e) = &drained.end {
        panic!("the stream did not end cleanly: {e}");
    }
    drained.events.into_iter().map(|e| e.sse).collect()
}

/// A SendMessageRequest with one user text message.
fn send_params(text: &str, context: Option<&str>) -> Value {
    let mut message = json!({
        "messageId": fresh_id("msg"),
        "role": "ROLE_USER",
        "parts": [{"text": text}],
    });
    if let Some(c) = context {
        message["contextId"] = c.into();
    }
    json!({ "message": message })
}

/// The id of the task in a SendMessage result, a stream's first event or a bare Task.
fn task_id(v: &Value) -> String {
    v.get("task")
        .unwrap_or(v)
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no task id in {v}"))
        .to_owned()
}

/// The scenario, identical on both bindings.
async fn scenario(base_url: &str, binding: Binding) -> Vec<Step> {
    let probe = Probe::new(Transcript::new(), PATIENCE);
    let card_request = RawRequest::new("GET", format!("{base_url}/.well-known/agent-card.json"));
    let card = probe
        .send(card_request.clone())
        .await
        .expect("the agent card");
    let card_json = card.json.clone().expect("the card is JSON");
    let target = Subject::from_card(base_url, card_json, Vec::new());
    let client = A2aClient {
        binding,
        base_url: target.url(binding).expect("both bindings").to_owned(),
        tenant: None,
        default_bearer: None,
        default_extensions: Vec::new(),
        probe,
    };
    let mut d = Driver {
        client,
        steps: Vec::new(),
        next_id: 0,
    };
    d.steps.push(Step {
        // The card is the same on both bindings: one snapshot is enough.
        snapshot: (binding == Binding::JsonRpc).then_some("agent_card"),
        title: "The public agent card",
        request: card_request,
        status: card.status,
        headers: card.headers,
        answer: Body::Whole(card.body),
    });

    // SendMessage: a task (echo) and a direct message.
    let echo = d
        .call(
            Some("send_message_task"),
            "SendMessage `echo hello`: a completed task",
            Method::SendMessage,
            send_params("echo hello", None),
        )
        .await;
    let echo_task = task_id(&echo);
    d.call(
        Some("send_message_message"),
        "SendMessage `message hi`: a direct message, no task",
        Method::SendMessage,
        send_params("message hi", None),
    )
    .await;

    // SendStreamingMessage: every event of `stream 3 0`.
    let reader = d
        .open(
            Method::SendStreamingMessage,
            send_params("stream 3 0", None),
        )
        .await;
    let opened = head(&reader);
    let events = rest_of(reader).await;
    d.stream_step(
        "send_streaming_message",
        "SendStreamingMessage `stream 3 0`: the task, WORKING, three chunks, COMPLETED",
        opened,
        events,
        true,
    );

    d.call(
        Some("get_task"),
        "GetTask of the echo task",
        Method::GetTask,
        json!({"id": echo_task}),
    )
    .await;

    // ListTasks in a fresh context holding two tasks.
    let context = fresh_id("ctx");
    for text in ["echo one", "echo two"] {
        d.call(
            None,
            "SendMessage into a fresh context (for ListTasks)",
            Method::SendMessage,
            send_params(text, Some(&context)),
        )
        .await;
    }
    d.call(
        Some("list_tasks"),
        "ListTasks filtered by that context: newest first",
        Method::ListTasks,
        json!({"contextId": context}),
    )
    .await;

    // A `hang` task, streamed until it is WORKING; then the client lets go.
    let mut reader = d
        .open(Method::SendStreamingMessage, send_params("hang", None))
        .await;
    let events = take(&mut reader, 2).await;
    let hang_task = serde_json::from_str::<Value>(&events[0].data)
        .map(|v| task_id(v.get("result").unwrap_or(&v)))
        .expect("the first event is JSON");
    d.stream_step(
        "send_streaming_message_hang",
        "SendStreamingMessage `hang`: read until WORKING, then closed by the client",
        head(&reader),
        events,
        false,
    );
    drop(reader);

    // SubscribeToTask on the WORKING task: the snapshot; CancelTask ends the stream.
    let mut sub = d
        .open(Method::SubscribeToTask, json!({"id": hang_task}))
        .await;
    let mut events = take(&mut sub, 1).await;
    let sub_index = d.steps.len();
    d.call(
        Some("cancel_task"),
        "CancelTask of the hang task, while the subscription above is open",
        Method::CancelTask,
        json!({"id": hang_task}),
    )
    .await;
    let opened = head(&sub);
    events.extend(rest_of(sub).await);
    let (request, status, headers) = opened;
    let step = Step {
        snapshot: Some("subscribe_to_task"),
        title: "SubscribeToTask of the hang task: the WORKING snapshot; CancelTask (below) ends it",
        request,
        status,
        headers,
        answer: Body::Events { events, eof: true },
    };
    d.steps.insert(sub_index, step);

    // The four push-config methods on the completed echo task.
    let created = d
        .call(
            Some("create_push_config"),
            "CreateTaskPushNotificationConfig on the echo task",
            Method::CreateTaskPushNotificationConfig,
            json!({"taskId": echo_task, "url": "https://example.com/hook", "token": "hook-token"}),
        )
        .await;
    let config = created
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no config id in {created}"))
        .to_owned();
    d.call(
        Some("get_push_config"),
        "GetTaskPushNotificationConfig",
        Method::GetTaskPushNotificationConfig,
        json!({"taskId": echo_task, "id": config}),
    )
    .await;
    d.call(
        Some("list_push_configs"),
        "ListTaskPushNotificationConfigs",
        Method::ListTaskPushNotificationConfigs,
        json!({"taskId": echo_task}),
    )
    .await;
    d.call(
        Some("delete_push_config"),
        "DeleteTaskPushNotificationConfig",
        Method::DeleteTaskPushNotificationConfig,
        json!({"taskId": echo_task, "id": config}),
    )
    .await;

    d.call(
        Some("get_extended_agent_card"),
        "GetExtendedAgentCard",
        Method::GetExtendedAgentCard,
        Value::Null,
    )
    .await;

    // Errors.
    d.call(
        Some("error_task_not_found"),
        "GetTask of an unknown task: TaskNotFound",
        Method::GetTask,
        json!({"id": "no-such-task"}),
    )
    .await;
    let mut opts = d.opts();
    opts.version = Some(None);
    d.call_with(
        Some("error_missing_version"),
        "GetTask without A2A-Version",
        Method::GetTask,
        json!({"id": echo_task}),
        opts,
    )
    .await;
    let opts = d.opts();
    let malformed = malformed_request(&d.client, &opts);
    d.raw(
        "error_malformed_json",
        "SendMessage whose body is cut off: malformed JSON",
        malformed,
    )
    .await;
    d.call(
        Some("error_invalid_params"),
        "GetTask with historyLength -1: invalid params",
        Method::GetTask,
        json!({"id": echo_task, "historyLength": -1}),
    )
    .await;

    d.steps
}

/// A SendMessage whose JSON body stops right after `"message":` (the same bytes every run).
fn malformed_request(client: &A2aClient, opts: &CallOpts) -> RawRequest {
    let mut req = client.request(Method::SendMessage, &send_params("echo cut", None), opts);
    let marker = b"\"message\":";
    let cut = req
        .body
        .windows(marker.len())
        .position(|w| w == marker)
        .map_or(req.body.len(), |at| at + marker.len());
    req.body = req.body.slice(..cut);
    req
}

// ---------------------------------------------------------------------------------------------
// Normalisation

/// Replaces run-dependent values with stable placeholders. Ids are learnt from JSON first (in
/// scenario order, so numbering is stable), then replaced wherever they occur: JSON values,
/// URL paths, error messages.
struct Normaliser {
    /// (id, placeholder), longest id first once sorted by [`Normaliser::text`].
    ids: Vec<(String, String)>,
    known: HashMap<String, usize>,
    counts: HashMap<&'static str, usize>,
    authority: String,
}

impl Normaliser {
    fn new(authority: &str) -> Self {
        Self {
            ids: Vec::new(),
            known: HashMap::new(),
            counts: HashMap::new(),
            authority: authority.to_owned(),
        }
    }

    /// Learns every id in `v`, in document order.
    fn learn(&mut self, v: &Value) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if let (Some(kind), Some(s)) = (id_kind(k, m), x.as_str()) {
                        self.add(kind, s);
                    }
                    self.learn(x);
                }
            }
            Value::Array(items) => items.iter().for_each(|x| self.learn(x)),
            _ => {}
        }
    }

    fn add(&mut self, kind: &'static str, id: &str) {
        if id.is_empty() || self.known.contains_key(id) {
            return;
        }
        let n = self.counts.entry(kind).or_insert(0);
        *n += 1;
        self.known.insert(id.to_owned(), self.ids.len());
        self.ids.push((id.to_owned(), format!("[{kind}-{n}]")));
        // Longest first, so an id is never replaced inside a longer one.
        self.ids
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        for (i, (id, _)) in self.ids.iter().enumerate() {
            self.known.insert(id.clone(), i);
        }
    }

    /// `s` with ids, the port and timestamps replaced.
    fn text(&self, s: &str) -> String {
        // One pass, so a placeholder is never searched again for a shorter id.
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(c) = rest.chars().next() {
            match self
                .ids
                .iter()
                .find(|(id, _)| rest.starts_with(id.as_str()))
            {
                Some((id, placeholder)) => {
                    out.push_str(placeholder);
                    rest = &rest[id.len()..];
                }
                None => {
                    out.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
        if !self.authority.is_empty() {
            out = out.replace(&self.authority, "127.0.0.1:[port]");
        }
        out = out.replace(
            &format!("\"version\":\"{}\"", env!("CARGO_PKG_VERSION")),
            "\"version\":\"[version]\"",
        );
        hide_timestamps(&out)
    }

    /// `v` with every string normalised.
    fn json(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.text(s)),
            Value::Array(items) => Value::Array(items.iter().map(|x| self.json(x)).collect()),
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k, x)| (k.clone(), self.json(x))).collect())
            }
            other => other.clone(),
        }
    }

    /// A body as normalised JSON, or as normalised text when it is not JSON.
    fn body(&self, bytes: &[u8]) -> Value {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => self.json(&v),
            Err(_) => Value::String(self.text(&String::from_utf8_lossy(bytes))),
        }
    }
}

/// Which kind of id `key` holds in object `m`, if any.
fn id_kind(key: &str, m: &Map<String, Value>) -> Option<&'static str> {
    match key {
        "taskId" => Some("task"),
        "contextId" => Some("context"),
        "messageId" => Some("message"),
        // A push config (and its Get/Delete params) carries `taskId` next to its own `id`.
        "id" if m.contains_key("taskId") || m.contains_key("url") => Some("config"),
        // A Task, or the params of GetTask / CancelTask / SubscribeToTask (not a skill's id).
        "id" if m.contains_key("contextId")
            || m.contains_key("status")
            || m.keys()
                .all(|k| matches!(k.as_str(), "id" | "historyLength" | "metadata" | "tenant")) =>
        {
            Some("task")
        }
        _ => None,
    }
}

/// Replaces RFC 3339 UTC timestamps (`2026-01-01T10:00:00[.fff…]Z`) with `[timestamp]`.
fn hide_timestamps(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        match timestamp_end(&b[i..]) {
            Some(len) => {
                out.push_str(&s[copied..i]);
                out.push_str("[timestamp]");
                i += len;
                copied = i;
            }
            None => i += 1,
        }
    }
    out.push_str(&s[copied..]);
    out
}

/// Length of the timestamp at the start of `b`, if one starts there.
fn timestamp_end(b: &[u8]) -> Option<usize> {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd";
    if b.len() < SHAPE.len() {
        return None;
    }
    let fits = SHAPE.iter().zip(b).all(|(s, c)| match s {
        b'd' => c.is_ascii_digit(),
        other => other == c,
    });
    if !fits {
        return None;
    }
    let mut i = SHAPE.len();
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    (b.get(i) == Some(&b'Z')).then_some(i + 1)
}

// ---------------------------------------------------------------------------------------------
// The golden transcript

/// Every exchange of the scenario as raw HTTP text, normalised.
fn transcript(binding: Binding, steps: &[Step], norm: &Normaliser) -> String {
    let mut out = String::new();
    let name = match binding {
        Binding::JsonRpc => "JSON-RPC",
        Binding::Rest => "HTTP+JSON (REST)",
    };
    let _ = writeln!(
        out,
        "# Golden transcript: the reference server over {name}, normalised.\n\
         # Generated by conformance/tests/suite/snapshots.rs; regenerate with GAUNTLET_BLESS=1.\n\
         # [task-N] [context-N] [message-N] [config-N]: ids (one id, one placeholder);\n\
         # [timestamp] [port] [date] [etag] [version]: values that change between runs.\n\
         # content-length is that of the body as shown. Lines starting with `#` are notes."
    );
    for (i, step) in steps.iter().enumerate() {
        let _ = writeln!(out, "\n### {}. {}\n", i + 1, step.title);
        render_request(&mut out, &step.request, norm);
        out.push('\n');
        render_response(&mut out, step, norm);
    }
    out
}

fn render_request(out: &mut String, req: &RawRequest, norm: &Normaliser) {
    let body = norm.text(&String::from_utf8_lossy(&req.body));
    let _ = writeln!(out, "{} {} HTTP/1.1", req.method, norm.text(&path_of(req)));
    // The probe's own headers come first (see `probe::open`), then the request's in order.
    let _ = writeln!(out, "host: 127.0.0.1:[port]");
    if !req.body.is_empty() || matches!(req.method.as_str(), "POST" | "PUT" | "PATCH") {
        let _ = writeln!(out, "content-length: {}", body.len());
    }
    for (n, v) in &req.headers {
        let _ = writeln!(out, "{}: {}", n.to_ascii_lowercase(), norm.text(v));
    }
    if !body.is_empty() {
        let _ = writeln!(out, "\n{body}");
    }
}

fn render_response(out: &mut String, step: &Step, norm: &Normaliser) {
    let reason = http::StatusCode::from_u16(step.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let _ = writeln!(out, "HTTP/1.1 {} {reason}", step.status);
    let body = match &step.answer {
        Body::Whole(b) => Some(norm.text(&String::from_utf8_lossy(b))),
        Body::Events { .. } => None,
    };
    for (n, v) in &step.headers {
        let v = match n.as_str() {
            "date" => "[date]".to_owned(),
            "etag" => "[etag]".to_owned(),
            "content-length" => body
                .as_ref()
                .map_or_else(|| v.clone(), |b| b.len().to_string()),
            _ => norm.text(v),
        };
        let _ = writeln!(out, "{n}: {v}");
    }
    out.push('\n');
    match &step.answer {
        Body::Whole(_) => {
            if let Some(b) = body.filter(|b| !b.is_empty()) {
                let _ = writeln!(out, "{b}");
            }
        }
        Body::Events { events, eof } => {
            for e in events {
                if let Some(name) = &e.event {
                    let _ = writeln!(out, "event: {}", norm.text(name));
                }
                if let Some(id) = &e.id {
                    let _ = writeln!(out, "id: {}", norm.text(id));
                }
                for line in e.data.split('\n') {
                    let _ = writeln!(out, "data: {}", norm.text(line));
                }
                out.push('\n');
            }
            let _ = writeln!(
                out,
                "{}",
                if *eof {
                    "# the server ended the stream"
                } else {
                    "# the client closed the connection"
                }
            );
        }
    }
}
