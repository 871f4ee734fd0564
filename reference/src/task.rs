//! The task model and its ProtoJSON rendering (digest §5, §6).
//!
//! A task's data lives behind one short `std::sync::Mutex` per task, together with its stream
//! subscribers and push queues, so a state change, the event it produces and every delivery of
//! that event happen in one critical section: subscribers see events in state order, and a
//! snapshot taken under the lock is never older than an event already delivered.
//!
//! Stored messages and artifact parts are kept in their serialized JSON form ([`Json`],
//! [`StoredArtifact`]): a small part costs its bytes plus a few bytes of framing, where a
//! `serde_json::Value` tree of it would cost ten to thirty times as much. Every stored byte is
//! counted ([`TaskEntry::bytes`]), so the store can keep to a byte budget.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value};
use tokio::sync::Notify;

use crate::bus::Subscriber;
use crate::clock;
use crate::config::{Config, Fault};
use crate::push::PushSlot;

/// `TaskState` without UNSPECIFIED, which is never valid on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum State {
    Submitted,
    Working,
    Completed,
    Failed,
    Canceled,
    InputRequired,
    Rejected,
    AuthRequired,
}

impl State {
    const ALL: [State; 8] = [
        State::Submitted,
        State::Working,
        State::Completed,
        State::Failed,
        State::Canceled,
        State::InputRequired,
        State::Rejected,
        State::AuthRequired,
    ];

    /// The proto name, e.g. `TASK_STATE_WORKING`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            State::Submitted => "TASK_STATE_SUBMITTED",
            State::Working => "TASK_STATE_WORKING",
            State::Completed => "TASK_STATE_COMPLETED",
            State::Failed => "TASK_STATE_FAILED",
            State::Canceled => "TASK_STATE_CANCELED",
            State::InputRequired => "TASK_STATE_INPUT_REQUIRED",
            State::Rejected => "TASK_STATE_REJECTED",
            State::AuthRequired => "TASK_STATE_AUTH_REQUIRED",
        }
    }

    /// The proto number.
    pub(crate) fn number(self) -> i64 {
        match self {
            State::Submitted => 1,
            State::Working => 2,
            State::Completed => 3,
            State::Failed => 4,
            State::Canceled => 5,
            State::InputRequired => 6,
            State::Rejected => 7,
            State::AuthRequired => 8,
        }
    }

    pub(crate) fn from_name(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.name() == s)
    }

    pub(crate) fn from_number(n: i64) -> Option<State> {
        State::ALL.into_iter().find(|st| st.number() == n)
    }

    /// COMPLETED, FAILED, CANCELED, REJECTED: the task never changes again.
    pub(crate) fn is_terminal(self) -> bool {
        matches!(
            self,
            State::Completed | State::Failed | State::Canceled | State::Rejected
        )
    }

    /// INPUT_REQUIRED, AUTH_REQUIRED: waiting for the client.
    pub(crate) fn is_interrupted(self) -> bool {
        matches!(self, State::InputRequired | State::AuthRequired)
    }
}

/// How output is rendered; the three serialization faults are bugs in this one place.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Render {
    snake_keys: bool,
    lowercase_enum: bool,
    ts_offset: bool,
}

impl Render {
    pub(crate) fn new(config: &Config) -> Self {
        Self {
            snake_keys: config.fault == Some(Fault::SnakeCaseKeys),
            lowercase_enum: config.fault == Some(Fault::LowercaseEnum),
            ts_offset: config.fault == Some(Fault::TimestampOffset),
        }
    }

    fn state(self, s: State) -> Value {
        if self.lowercase_enum {
            // The 0.3 spelling, a typical leftover of a half-done migration.
            let short = s.name().trim_start_matches("TASK_STATE_");
            Value::String(short.to_ascii_lowercase().replace('_', "-"))
        } else {
            Value::String(s.name().to_owned())
        }
    }

    fn context_key(self) -> &'static str {
        if self.snake_keys {
            "context_id"
        } else {
            "contextId"
        }
    }
}

/// `TaskStatus`.
#[derive(Debug, Clone)]
pub(crate) struct Status {
    pub(crate) state: State,
    pub(crate) message: Option<Value>,
    pub(crate) ts_ms: i64,
}

impl Status {
    pub(crate) fn new(state: State, message: Option<Value>) -> Self {
        Self {
            state,
            message,
            ts_ms: clock::now_ms(),
        }
    }

    fn to_value(&self, r: Render) -> Value {
        let mut m = Map::with_capacity(3);
        m.insert("state".to_owned(), r.state(self.state));
        if let Some(msg) = &self.message {
            m.insert("message".to_owned(), msg.clone());
        }
        m.insert(
            "timestamp".to_owned(),
            Value::String(clock::format_ms(self.ts_ms, r.ts_offset)),
        );
        Value::Object(m)
    }
}

/// `Artifact`, with every chunk merged in.
#[derive(Debug, Clone)]
pub(crate) struct Artifact {
    pub(crate) artifact_id: String,
    pub(crate) name: Option<String>,
    pub(crate) parts: Vec<Value>,
}

impl Artifact {
    pub(crate) fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(3);
        m.insert(
            "artifactId".to_owned(),
            Value::String(self.artifact_id.clone()),
        );
        if let Some(n) = &self.name {
            m.insert("name".to_owned(), Value::String(n.clone()));
        }
        m.insert("parts".to_owned(), Value::Array(self.parts.clone()));
        Value::Object(m)
    }
}

/// Estimated bytes of one stored [`Json`] beyond its text: the boxed pointer in its vector and
/// the allocator's header and rounding.
pub(crate) const JSON_OVERHEAD: usize = 32;

/// Estimated bytes of one [`StoredArtifact`] beyond its ids and parts.
pub(crate) const ARTIFACT_OVERHEAD: usize = std::mem::size_of::<StoredArtifact>() + 64;

/// One JSON value kept serialized (a history message).
#[derive(Debug, Clone)]
pub(crate) struct Json(Box<str>);

impl Json {
    pub(crate) fn encode(v: &Value) -> Json {
        // Serializing a Value cannot fail: its keys are strings.
        Json(
            serde_json::to_string(v)
                .unwrap_or_default()
                .into_boxed_str(),
        )
    }

    pub(crate) fn decode(&self) -> Value {
        // The text came from `encode`, so it always parses.
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }

    /// Accounted bytes: the text plus [`JSON_OVERHEAD`].
    pub(crate) fn cost(&self) -> usize {
        self.0.len() + JSON_OVERHEAD
    }
}

/// An artifact as stored: its parts serialized back to back, separated by one space, in a
/// single buffer. A chunk of `stream` costs its JSON text plus one byte and its share of the
/// buffer's growth slack (trimmed when the task ends).
#[derive(Debug, Clone)]
pub(crate) struct StoredArtifact {
    artifact_id: Box<str>,
    name: Option<Box<str>>,
    parts: Vec<u8>,
}

impl StoredArtifact {
    fn new(chunk: &Artifact, encoded: Vec<u8>) -> Self {
        let mut parts = encoded;
        parts.shrink_to_fit();
        Self {
            artifact_id: chunk.artifact_id.as_str().into(),
            name: chunk.name.as_deref().map(Into::into),
            parts,
        }
    }

    /// Accounted bytes: ids, the parts buffer's capacity and [`ARTIFACT_OVERHEAD`].
    pub(crate) fn cost(&self) -> usize {
        ARTIFACT_OVERHEAD
            + self.artifact_id.len()
            + self.name.as_ref().map_or(0, |n| n.len())
            + self.parts.capacity()
    }

    /// Appends already-encoded parts, growing the buffer by half its size at a time.
    fn append(&mut self, encoded: &[u8]) {
        let need = self.parts.len() + 1 + encoded.len();
        if need > self.parts.capacity() {
            let want = need.max(self.parts.capacity() + self.parts.capacity() / 2);
            self.parts.reserve_exact(want - self.parts.len());
        }
        if !self.parts.is_empty() {
            self.parts.push(b' ');
        }
        self.parts.extend_from_slice(encoded);
    }

    /// Gives back the growth slack (the artifact is complete).
    pub(crate) fn trim(&mut self) {
        self.parts.shrink_to_fit();
    }

    pub(crate) fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(3);
        m.insert(
            "artifactId".to_owned(),
            Value::String(self.artifact_id.to_string()),
        );
        if let Some(n) = &self.name {
            m.insert("name".to_owned(), Value::String(n.to_string()));
        }
        let parts = serde_json::Deserializer::from_slice(&self.parts)
            .into_iter::<Value>()
            .filter_map(Result::ok)
            .collect();
        m.insert("parts".to_owned(), Value::Array(parts));
        Value::Object(m)
    }
}

/// Serializes a chunk's parts in the stored form (space-separated).
pub(crate) fn encode_parts(parts: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 * parts.len());
    for p in parts {
        if !out.is_empty() {
            out.push(b' ');
        }
        // Serializing a Value cannot fail: its keys are strings.
        let _ = serde_json::to_writer(&mut out, p);
    }
    out
}

/// The mutable part of a task.
#[derive(Debug)]
pub(crate) struct TaskData {
    pub(crate) status: Status,
    pub(crate) artifacts: Vec<StoredArtifact>,
    pub(crate) history: Vec<Json>,
}

/// Everything behind a task's lock.
pub(crate) struct Inner {
    pub(crate) data: TaskData,
    pub(crate) subs: Vec<Subscriber>,
    pub(crate) push: Vec<PushSlot>,
    /// `acceptedOutputModes` of the latest send (empty: anything goes).
    pub(crate) accepted_output: Vec<String>,
    /// Memory the FatStoredChunks and SubscriberBacklog faults hold on to (never counted).
    pub(crate) ballast: Vec<Vec<u8>>,
    /// Subscribers ever registered, for the SubscriberBacklog fault.
    pub(crate) backlogs: usize,
    /// Parts stored per artifact id, kept for the TruncateStoredArtifact fault only.
    pub(crate) stored_parts: Vec<(String, usize)>,
}

impl Inner {
    /// True when some stream or push queue would receive an event.
    pub(crate) fn listening(&self) -> bool {
        !self.subs.is_empty() || self.backlogs > 0 || self.push.iter().any(|s| s.queue.is_some())
    }
}

/// One task: immutable identity plus the locked state.
pub(crate) struct TaskEntry {
    pub(crate) id: Arc<str>,
    pub(crate) context_id: Arc<str>,
    pub(crate) owner: Option<Arc<str>>,
    /// The `tenant` the task was created under (None: no tenant). Tasks are scoped to it.
    pub(crate) tenant: Option<Arc<str>>,
    /// Creation order, the deterministic tie-breaker of ListTasks.
    pub(crate) seq: u64,
    /// Bytes accounted to this task in the store's budget (changed under the task lock).
    pub(crate) bytes: AtomicUsize,
    inner: Mutex<Inner>,
    /// A copy of the current state's number, readable without the lock.
    state: AtomicU8,
    /// Woken on every state change; blocking sends and sleeping agents wait on it.
    changed: Notify,
}

impl TaskEntry {
    pub(crate) fn new(
        id: Arc<str>,
        context_id: Arc<str>,
        owner: Option<Arc<str>>,
        tenant: Option<Arc<str>>,
        seq: u64,
        data: TaskData,
    ) -> Self {
        let state = AtomicU8::new(data_state_number(&data));
        Self {
            id,
            context_id,
            owner,
            tenant,
            seq,
            bytes: AtomicUsize::new(0),
            inner: Mutex::new(Inner {
                data,
                subs: Vec::new(),
                push: Vec::new(),
                accepted_output: Vec::new(),
                ballast: Vec::new(),
                backlogs: 0,
                stored_parts: Vec::new(),
            }),
            state,
            changed: Notify::new(),
        }
    }

    /// The current state.
    pub(crate) fn state(&self) -> State {
        State::from_number(i64::from(self.state.load(Ordering::Acquire)))
            .unwrap_or(State::Submitted)
    }

    /// Records a state change (under the task lock) and wakes every waiter.
    pub(crate) fn set_state(&self, s: State) {
        self.state.store(s.number() as u8, Ordering::Release);
        self.changed.notify_waiters();
    }

    /// Waits until the state satisfies `pred`.
    pub(crate) async fn wait_until(&self, pred: impl Fn(State) -> bool) {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            // Registered before the check, so a change between check and await is not missed.
            notified.as_mut().enable();
            if pred(self.state()) {
                return;
            }
            notified.await;
        }
    }

    /// Locks the task. A poisoned lock (a panic elsewhere) still holds consistent data, because
    /// every mutation under it is a plain assignment or push.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The `Task` object. `history`: None = all, Some(n) = the last n (0 omits the key).
    pub(crate) fn to_value(
        &self,
        data: &TaskData,
        r: Render,
        history: Option<usize>,
        artifacts: bool,
    ) -> Value {
        let mut m = Map::with_capacity(5);
        m.insert("id".to_owned(), Value::String(self.id.to_string()));
        m.insert(
            r.context_key().to_owned(),
            Value::String(self.context_id.to_string()),
        );
        m.insert("status".to_owned(), data.status.to_value(r));
        if artifacts && !data.artifacts.is_empty() {
            m.insert(
                "artifacts".to_owned(),
                Value::Array(
                    data.artifacts
                        .iter()
                        .map(StoredArtifact::to_value)
                        .collect(),
                ),
            );
        }
        let keep = history.unwrap_or(usize::MAX).min(data.history.len());
        if keep > 0 {
            let from = data.history.len() - keep;
            m.insert(
                "history".to_owned(),
                Value::Array(data.history[from..].iter().map(Json::decode).collect()),
            );
        }
        Value::Object(m)
    }

    /// `{"statusUpdate":{…}}` for the current status.
    pub(crate) fn status_event(&self, data: &TaskData, r: Render) -> Value {
        let mut m = Map::with_capacity(3);
        m.insert("taskId".to_owned(), Value::String(self.id.to_string()));
        m.insert(
            "contextId".to_owned(),
            Value::String(self.context_id.to_string()),
        );
        m.insert("status".to_owned(), data.status.to_value(r));
        let mut ev = Map::with_capacity(1);
        ev.insert("statusUpdate".to_owned(), Value::Object(m));
        Value::Object(ev)
    }

    /// `{"artifactUpdate":{…}}` for one chunk.
    pub(crate) fn artifact_event(&self, chunk: &Artifact, append: bool, last_chunk: bool) -> Value {
        let mut m = Map::with_capacity(5);
        m.insert("taskId".to_owned(), Value::String(self.id.to_string()));
        m.insert(
            "contextId".to_owned(),
            Value::String(self.context_id.to_string()),
        );
        m.insert("artifact".to_owned(), chunk.to_value());
        // Default-valued bools are omitted, as ProtoJSON does.
        if append {
            m.insert("append".to_owned(), Value::Bool(true));
        }
        if last_chunk {
            m.insert("lastChunk".to_owned(), Value::Bool(true));
        }
        let mut ev = Map::with_capacity(1);
        ev.insert("artifactUpdate".to_owned(), Value::Object(m));
        Value::Object(ev)
    }
}

fn data_state_number(d: &TaskData) -> u8 {
    d.status.state.number() as u8
}

impl TaskData {
    /// Merges one chunk (its parts already in `encoded`, from [`encode_parts`]) into
    /// `artifacts`: `append` extends an artifact with the same id, otherwise the chunk replaces
    /// it (or is added). Returns the change in accounted bytes.
    pub(crate) fn merge(&mut self, chunk: &Artifact, encoded: Vec<u8>, append: bool) -> isize {
        let found = self
            .artifacts
            .iter_mut()
            .find(|a| *a.artifact_id == *chunk.artifact_id);
        match found {
            Some(a) => {
                let before = a.cost() as isize;
                if append {
                    a.append(&encoded);
                } else {
                    *a = StoredArtifact::new(chunk, encoded);
                }
                a.cost() as isize - before
            }
            None => {
                let a = StoredArtifact::new(chunk, encoded);
                let cost = a.cost() as isize;
                self.artifacts.push(a);
                cost
            }
        }
    }

    /// What merging a chunk of `encoded_len` bytes would add at most (the growth of the
    /// artifact's buffer included), for the budget check made before [`TaskData::merge`].
    pub(crate) fn merge_cost(&self, chunk: &Artifact, encoded_len: usize, append: bool) -> usize {
        let found = self
            .artifacts
            .iter()
            .find(|a| *a.artifact_id == *chunk.artifact_id);
        match found {
            Some(a) if append => {
                let need = a.parts.len() + 1 + encoded_len;
                if need > a.parts.capacity() {
                    need.max(a.parts.capacity() + a.parts.capacity() / 2) - a.parts.capacity()
                } else {
                    0
                }
            }
            _ => {
                ARTIFACT_OVERHEAD
                    + chunk.artifact_id.len()
                    + chunk.name.as_ref().map_or(0, String::len)
                    + encoded_len
            }
        }
    }

    /// Gives back every artifact buffer's growth slack; returns the bytes freed.
    pub(crate) fn trim(&mut self) -> usize {
        let before: usize = self.artifacts.iter().map(StoredArtifact::cost).sum();
        self.artifacts.iter_mut().for_each(StoredArtifact::trim);
        let after: usize = self.artifacts.iter().map(StoredArtifact::cost).sum();
        before - after
    }
}

/// An agent-authored message (`ROLE_AGENT`, fresh id, with task and context).
pub(crate) fn agent_message(context_id: &str, task_id: Option<&str>, parts: Vec<Value>) -> Value {
    let mut m = Map::with_capacity(5);
    m.insert("messageId".to_owned(), Value::String(crate::ids::new_id()));
    m.insert("contextId".to_owned(), Value::String(context_id.to_owned()));
    if let Some(t) = task_id {
        m.insert("taskId".to_owned(), Value::String(t.to_owned()));
    }
    m.insert("role".to_owned(), Value::String("ROLE_AGENT".to_owned()));
    m.insert("parts".to_owned(), Value::Array(parts));
    Value::Object(m)
}

/// A one-part text part.
pub(crate) fn text_part(t: impl Into<String>) -> Value {
    let mut m = Map::with_capacity(1);
    m.insert("text".to_owned(), Value::String(t.into()));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn entry(history: usize) -> TaskEntry {
        let data = TaskData {
            status: Status {
                state: State::Working,
                message: None,
                ts_ms: 0,
            },
            artifacts: Vec::new(),
            history: (0..history)
                .map(|i| Json::encode(&json!({"messageId": i})))
                .collect(),
        };
        TaskEntry::new("t".into(), "c".into(), None, None, 0, data)
    }

    #[test]
    fn history_length_keeps_the_most_recent_and_zero_omits_the_key() {
        let e = entry(3);
        let g = e.lock();
        let r = Render::default();
        assert_eq!(
            e.to_value(&g.data, r, None, true)["history"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
        let two = e.to_value(&g.data, r, Some(2), true);
        assert_eq!(two["history"], json!([{"messageId":1},{"messageId":2}]));
        assert!(e
            .to_value(&g.data, r, Some(0), true)
            .get("history")
            .is_none());
        assert_eq!(
            e.to_value(&g.data, r, Some(9), true)["history"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
    }

    #[test]
    fn empty_fields_are_omitted_and_context_is_always_present() {
        let e = entry(0);
        let g = e.lock();
        let v = e.to_value(&g.data, Render::default(), None, true);
        assert_eq!(
            v,
            json!({"id":"t","contextId":"c","status":{"state":"TASK_STATE_WORKING","timestamp":"1970-01-01T00:00:00.000Z"}})
        );
        let ev = e.artifact_event(
            &Artifact {
                artifact_id: "a".into(),
                name: None,
                parts: vec![text_part("x")],
            },
            false,
            false,
        );
        assert_eq!(
            ev,
            json!({"artifactUpdate":{"taskId":"t","contextId":"c","artifact":{"artifactId":"a","parts":[{"text":"x"}]}}})
        );
    }

    #[test]
    fn chunks_merge_by_artifact_id() {
        let e = entry(0);
        let mut g = e.lock();
        let chunk = |t: &str| Artifact {
            artifact_id: "a".into(),
            name: None,
            parts: vec![text_part(t)],
        };
        let merge = |d: &mut TaskData, t: &str, append| {
            let c = chunk(t);
            let enc = encode_parts(&c.parts);
            let bound = d.merge_cost(&c, enc.len(), append) as isize;
            let delta = d.merge(&c, enc, append);
            assert!(delta <= bound, "{delta} > {bound}");
        };
        merge(&mut g.data, "1", false);
        merge(&mut g.data, "2", true);
        assert_eq!(g.data.artifacts.len(), 1);
        let parts = |d: &TaskData| d.artifacts[0].to_value()["parts"].clone();
        assert_eq!(parts(&g.data), json!([text_part("1"), text_part("2")]));
        merge(&mut g.data, "3", false);
        assert_eq!(parts(&g.data), json!([text_part("3")]));
    }

    #[test]
    fn faults_change_only_what_they_name() {
        let e = entry(0);
        let g = e.lock();
        let cfg = |f| Config {
            fault: Some(f),
            ..Config::default()
        };
        let v = e.to_value(&g.data, Render::new(&cfg(Fault::SnakeCaseKeys)), None, true);
        assert!(v.get("context_id").is_some() && v.get("contextId").is_none());
        let v = e.to_value(&g.data, Render::new(&cfg(Fault::LowercaseEnum)), None, true);
        assert_eq!(v["status"]["state"], "working");
        let v = e.to_value(
            &g.data,
            Render::new(&cfg(Fault::TimestampOffset)),
            None,
            true,
        );
        assert_eq!(v["status"]["timestamp"], "1970-01-01T00:00:00.000+00:00");
    }
}
