//! The task model and its ProtoJSON rendering (digest §5, §6).
//!
//! A task's data lives behind one short `std::sync::Mutex` per task, together with its stream
//! subscribers and push queues, so a state change, the event it produces and every delivery of
//! that event happen in one critical section: subscribers see events in state order, and a
//! snapshot taken under the lock is never older than an event already delivered.

use std::sync::atomic::{AtomicU8, Ordering};
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

/// The mutable part of a task.
#[derive(Debug)]
pub(crate) struct TaskData {
    pub(crate) status: Status,
    pub(crate) artifacts: Vec<Artifact>,
    pub(crate) history: Vec<Value>,
}

/// Everything behind a task's lock.
pub(crate) struct Inner {
    pub(crate) data: TaskData,
    pub(crate) subs: Vec<Subscriber>,
    pub(crate) push: Vec<PushSlot>,
    /// `acceptedOutputModes` of the latest send (empty: anything goes).
    pub(crate) accepted_output: Vec<String>,
}

impl Inner {
    /// True when some stream or push queue would receive an event.
    pub(crate) fn listening(&self) -> bool {
        !self.subs.is_empty() || self.push.iter().any(|s| s.queue.is_some())
    }
}

/// One task: immutable identity plus the locked state.
pub(crate) struct TaskEntry {
    pub(crate) id: Arc<str>,
    pub(crate) context_id: Arc<str>,
    pub(crate) owner: Option<Arc<str>>,
    /// Creation order, the deterministic tie-breaker of ListTasks.
    pub(crate) seq: u64,
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
        seq: u64,
        data: TaskData,
    ) -> Self {
        let state = AtomicU8::new(data_state_number(&data));
        Self {
            id,
            context_id,
            owner,
            seq,
            inner: Mutex::new(Inner {
                data,
                subs: Vec::new(),
                push: Vec::new(),
                accepted_output: Vec::new(),
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
                Value::Array(data.artifacts.iter().map(Artifact::to_value).collect()),
            );
        }
        let keep = history.unwrap_or(usize::MAX).min(data.history.len());
        if keep > 0 {
            let from = data.history.len() - keep;
            m.insert(
                "history".to_owned(),
                Value::Array(data.history[from..].to_vec()),
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
    /// Merges one chunk into `artifacts`: `append` extends an artifact with the same id,
    /// otherwise the chunk replaces it (or is added).
    pub(crate) fn merge(&mut self, chunk: Artifact, append: bool) {
        match self
            .artifacts
            .iter_mut()
            .find(|a| a.artifact_id == chunk.artifact_id)
        {
            Some(a) if append => a.parts.extend(chunk.parts),
            Some(a) => *a = chunk,
            None => self.artifacts.push(chunk),
        }
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
            history: (0..history).map(|i| json!({"messageId": i})).collect(),
        };
        TaskEntry::new("t".into(), "c".into(), None, 0, data)
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
        g.data.merge(chunk("1"), false);
        g.data.merge(chunk("2"), true);
        assert_eq!(g.data.artifacts.len(), 1);
        assert_eq!(g.data.artifacts[0].parts.len(), 2);
        g.data.merge(chunk("3"), false);
        assert_eq!(g.data.artifacts[0].parts, vec![text_part("3")]);
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
