//! The task store behind [`crate::Service`]: every operation, capability gating, identity
//! scoping, stream registration and the task lifecycle (digest §1.2, §3, §5, §6, §8).
//!
//! The task map is one `RwLock<HashMap>` held only for a lookup or an insert; all per-task work
//! happens under that task's own lock (see [`crate::task`]), and no lock is ever held across an
//! await.
//!
//! Memory is bounded in bytes: every task's history, artifacts and an estimate of its fixed
//! overhead ([`TASK_OVERHEAD`]) count against `Config::max_store_bytes`. A write that would
//! exceed the budget first evicts the oldest finished tasks (and no more than [`MAX_RETAINED`]
//! finished tasks are kept in any case); running tasks are never evicted. A task is capped at
//! `Config::max_task_bytes`. A request message that cannot be stored is refused with
//! InvalidParams; agent output that cannot be stored fails the task. An evicted task reads as
//! TaskNotFound (§3.3.1).
//!
//! Tasks are scoped to their owner's identity *and* to the `tenant` they were created under: a
//! task is invisible (TaskNotFound) to another identity and under another tenant (ERR-007).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use bytes::Bytes;
use serde_json::{Map, Value};
use tokio::sync::watch;

use crate::agent::{self, Command, Run};
use crate::bus::{self, Gauge, Policy, Subscriber};
use crate::clock;
use crate::config::{Config, Fault};
use crate::error::{A2aError, ErrorKind};
use crate::push::{PushConfig, PushSlot, Pusher};
use crate::service::{CallCtx, EventStream, Op, Reply, StreamItem};
use crate::task::{self as model, Artifact, Json, Render, State, Status, TaskData, TaskEntry};
use crate::validate::{self, Obj};

/// Terminal tasks kept before the oldest is forgotten.
pub(crate) const MAX_RETAINED: usize = 50_000;

/// Estimated fixed bytes of one task beyond its history and artifacts: the entry, its ids, its
/// index and retirement slots and the allocator's share (measured: `benches/README.md`).
pub(crate) const TASK_OVERHEAD: usize = 1024;

/// Streams of instant commands are filled inline only when their buffer surely holds every
/// event (task, working, artifact, terminal and slack); otherwise the agent is spawned.
const INLINE_STREAM_MIN_BUFFER: usize = 8;

/// Tasks by id, and by context for filtered lists.
#[derive(Default)]
struct TaskIndex {
    by_id: HashMap<Arc<str>, Arc<TaskEntry>>,
    by_context: HashMap<Arc<str>, Vec<Arc<TaskEntry>>>,
}

/// State shared by the store, the agents it runs and the push workers.
pub(crate) struct Shared {
    pub(crate) config: Arc<Config>,
    render: Render,
    policy: Policy,
    tasks: RwLock<TaskIndex>,
    retired: Mutex<VecDeque<Arc<str>>>,
    /// How many terminal tasks to keep ([`MAX_RETAINED`]; smaller in tests).
    retain: usize,
    /// Bytes accounted to all stored tasks.
    used: AtomicUsize,
    seq: AtomicU64,
    gauge: Gauge,
    shutdown: watch::Sender<bool>,
    /// Set a little before the shutdown deadline: running agents stop and blocked sends answer
    /// with the task as it is, while their connections can still carry the answer.
    abandon: watch::Sender<bool>,
    pusher: Pusher,
}

pub(crate) struct Store {
    shared: Arc<Shared>,
}

impl Store {
    pub(crate) fn new(config: Arc<Config>) -> Self {
        let (shutdown, rx) = watch::channel(false);
        let policy = Policy {
            drop_silently: config.fault == Some(Fault::DropLaggingSilently),
            never_close: config.fault == Some(Fault::StreamNeverCloses),
        };
        Self {
            shared: Arc::new(Shared {
                render: Render::new(&config),
                pusher: Pusher::new(&config, rx),
                config,
                policy,
                tasks: RwLock::new(TaskIndex::default()),
                retired: Mutex::new(VecDeque::new()),
                retain: MAX_RETAINED,
                used: AtomicUsize::new(0),
                seq: AtomicU64::new(0),
                gauge: Gauge::default(),
                shutdown,
                abandon: watch::channel(false).0,
            }),
        }
    }

    pub(crate) async fn call(&self, ctx: &CallCtx, op: Op) -> Result<Reply, A2aError> {
        let s = &self.shared;
        match op {
            Op::SendMessage(p) => s.send(ctx, &p, false).await,
            Op::SendStreamingMessage(p) => {
                s.gate_streaming()?;
                s.send(ctx, &p, true).await
            }
            Op::GetTask(p) => s.get_task(ctx, &p),
            Op::ListTasks(p) => s.list_tasks(ctx, &p),
            Op::CancelTask(p) => s.cancel_task(ctx, &p),
            Op::SubscribeToTask(p) => {
                s.gate_streaming()?;
                s.subscribe(ctx, &p)
            }
            Op::CreatePushConfig(p) => {
                s.gate_push()?;
                s.create_push(ctx, &p)
            }
            Op::GetPushConfig(p) => {
                s.gate_push()?;
                s.get_push(ctx, &p)
            }
            Op::ListPushConfigs(p) => {
                s.gate_push()?;
                s.list_push(ctx, &p)
            }
            Op::DeletePushConfig(p) => {
                s.gate_push()?;
                s.delete_push(ctx, &p)
            }
        }
    }

    /// A store that keeps only `retain` terminal tasks, to test eviction.
    #[cfg(test)]
    pub(crate) fn with_retention(config: Arc<Config>, retain: usize) -> Self {
        let mut s = Self::new(config);
        if let Some(shared) = Arc::get_mut(&mut s.shared) {
            shared.retain = retain;
        }
        s
    }

    /// Graceful shutdown: streams and push delivery end now; running agents and blocked sends
    /// get until shortly before the shutdown deadline to finish (see [`grace`]).
    pub(crate) fn close_streams(&self) {
        let s = &self.shared;
        s.shutdown.send_replace(true);
        let abandon = s.abandon.clone();
        let grace = grace(s.config.shutdown_deadline);
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    tokio::time::sleep(grace).await;
                    abandon.send_replace(true);
                });
            }
            Err(_) => {
                abandon.send_replace(true);
            }
        }
        for e in s.entries(None) {
            let mut g = e.lock();
            g.subs.clear();
            for slot in &mut g.push {
                slot.queue = None;
            }
        }
    }

    pub(crate) fn open_streams(&self) -> usize {
        self.shared.gauge.get()
    }

    pub(crate) fn stored_bytes(&self) -> usize {
        self.shared.used.load(Ordering::Relaxed)
    }
}

/// Which byte limit a write ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    Task,
    Store,
}

/// The `tenant` of a request (absent and empty are the same: no tenant).
fn tenant_of(p: &Value) -> Option<&str> {
    p.get("tenant")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
}

/// How long in-flight work may continue after shutdown starts: the deadline less a margin
/// (a fifth of it, at most one second) in which the answers are written.
fn grace(deadline: std::time::Duration) -> std::time::Duration {
    deadline.saturating_sub((deadline / 5).min(std::time::Duration::from_secs(1)))
}

fn encode_event(v: &Value) -> Bytes {
    // Serializing a Value cannot fail: its keys are strings.
    Bytes::from(serde_json::to_vec(v).unwrap_or_default())
}

fn wrap(key: &str, v: Value) -> Value {
    let mut m = Map::with_capacity(1);
    m.insert(key.to_owned(), v);
    Value::Object(m)
}

fn page_size(m: &Obj) -> Result<Option<usize>, A2aError> {
    match validate::opt_int(m, "pageSize", "page_size", "pageSize")? {
        None => Ok(None),
        Some(n) if (1..=100).contains(&n) => Ok(Some(n as usize)),
        Some(_) => Err(A2aError::invalid_field(
            "pageSize",
            "must be between 1 and 100",
        )),
    }
}

/// ListTasks cursor: the (status timestamp, creation seq) of the last task returned.
fn encode_cursor(ts_ms: i64, seq: u64) -> String {
    validate::b64_encode(format!("{ts_ms:x}.{seq:x}").as_bytes())
}

fn decode_cursor(token: &str) -> Option<(i64, u64)> {
    let raw = String::from_utf8(validate::b64_decode(token)?).ok()?;
    let (ts, seq) = raw.split_once('.')?;
    Some((
        i64::from_str_radix(ts, 16).ok()?,
        u64::from_str_radix(seq, 16).ok()?,
    ))
}

/// Fault [`Fault::TruncateStoredArtifact`]: counts the parts stored per artifact and says
/// whether `chunk` must be left out of the stored artifact (it would go past
/// [`crate::config::TRUNCATED_PARTS`]). The chunk is still streamed.
fn truncate_stored(counts: &mut Vec<(String, usize)>, chunk: &Artifact, append: bool) -> bool {
    let n = chunk.parts.len();
    match counts.iter_mut().find(|(id, _)| *id == chunk.artifact_id) {
        Some((_, kept)) if append => {
            if *kept + n > crate::config::TRUNCATED_PARTS {
                return true;
            }
            *kept += n;
        }
        Some((_, kept)) => *kept = n,
        None => counts.push((chunk.artifact_id.clone(), n)),
    }
    false
}

impl Shared {
    /// Fires when running agents must stop (shortly before the shutdown deadline).
    pub(crate) fn abandon_rx(&self) -> watch::Receiver<bool> {
        self.abandon.subscribe()
    }

    fn fault(&self, f: Fault) -> bool {
        self.config.fault == Some(f)
    }

    fn gate_streaming(&self) -> Result<(), A2aError> {
        if self.config.streaming || self.fault(Fault::StreamingNotGated) {
            Ok(())
        } else {
            Err(A2aError::new(
                ErrorKind::UnsupportedOperation,
                "streaming is not supported by this agent (capabilities.streaming is false)",
            ))
        }
    }

    fn gate_push(&self) -> Result<(), A2aError> {
        if self.config.push_notifications {
            Ok(())
        } else {
            Err(A2aError::new(
                ErrorKind::PushNotificationNotSupported,
                "push notifications are not supported by this agent",
            ))
        }
    }

    /// Every task, or only those of `context` (from the context index, so a filtered list costs
    /// the context's size, not the store's).
    fn entries(&self, context: Option<&str>) -> Vec<Arc<TaskEntry>> {
        let index = self.tasks.read().unwrap_or_else(|p| p.into_inner());
        match context {
            None => index.by_id.values().cloned().collect(),
            Some(c) => index.by_context.get(c).cloned().unwrap_or_default(),
        }
    }

    fn visible(&self, e: &TaskEntry, ctx: &CallCtx, tenant: Option<&str>) -> bool {
        (e.owner == ctx.caller.identity && e.tenant.as_deref() == tenant)
            || self.fault(Fault::LeakOtherTenantsTasks)
    }

    /// The task if it exists *and* belongs to the caller and the request's tenant; otherwise
    /// exactly TaskNotFound.
    fn lookup(&self, ctx: &CallCtx, p: &Value, id: &str) -> Result<Arc<TaskEntry>, A2aError> {
        let found = {
            let index = self.tasks.read().unwrap_or_else(|p| p.into_inner());
            index.by_id.get(id).cloned()
        };
        match found {
            Some(e) if self.visible(&e, ctx, tenant_of(p)) => Ok(e),
            _ => Err(A2aError::task_not_found(id)),
        }
    }

    fn insert(&self, e: Arc<TaskEntry>) {
        let mut index = self.tasks.write().unwrap_or_else(|p| p.into_inner());
        index
            .by_context
            .entry(e.context_id.clone())
            .or_default()
            .push(e.clone());
        index.by_id.insert(e.id.clone(), e);
    }

    /// A task became terminal: trim its buffers and make it evictable (oldest first).
    fn retire(&self, e: &TaskEntry) {
        let freed = e.lock().data.trim();
        e.bytes.fetch_sub(freed, Ordering::Relaxed);
        self.used.fetch_sub(freed, Ordering::Relaxed);
        let evict = {
            let mut r = self.retired.lock().unwrap_or_else(|p| p.into_inner());
            r.push_back(e.id.clone());
            if r.len() > self.retain {
                r.pop_front()
            } else {
                None
            }
        };
        if let Some(old) = evict {
            self.forget(&old);
        }
    }

    /// Drops a task from the index and gives its bytes back to the budget.
    fn forget(&self, id: &str) {
        let mut index = self.tasks.write().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = index.by_id.remove(id) {
            if let Some(list) = index.by_context.get_mut(&e.context_id) {
                list.retain(|t| *t.id != *id);
                if list.is_empty() {
                    index.by_context.remove(&e.context_id);
                }
            }
            self.used
                .fetch_sub(e.bytes.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }

    /// Takes `n` bytes from the budget, evicting the oldest finished tasks as needed. False when
    /// only running tasks are left and `n` still does not fit.
    fn reserve(&self, n: usize) -> bool {
        let budget = self.config.max_store_bytes;
        loop {
            let used = self.used.load(Ordering::Relaxed);
            if used.saturating_add(n) <= budget {
                if self
                    .used
                    .compare_exchange(used, used + n, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
                {
                    return true;
                }
                continue;
            }
            let oldest = self
                .retired
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop_front();
            match oldest {
                Some(id) => self.forget(&id),
                None => return false,
            }
        }
    }

    /// Accounts `n` more bytes to task `e` (locked by the caller) within both limits.
    fn charge(&self, e: &TaskEntry, n: usize) -> Result<(), Limit> {
        if e.bytes.load(Ordering::Relaxed).saturating_add(n) > self.config.max_task_bytes {
            return Err(Limit::Task);
        }
        if !self.reserve(n) {
            return Err(Limit::Store);
        }
        e.bytes.fetch_add(n, Ordering::Relaxed);
        Ok(())
    }

    /// Accounts small, agent-made bytes (status messages) that are never refused.
    fn charge_anyway(&self, e: &TaskEntry, n: usize) {
        e.bytes.fetch_add(n, Ordering::Relaxed);
        self.used.fetch_add(n, Ordering::Relaxed);
    }

    /// Gives back bytes of task `e` (an artifact replaced by a smaller one).
    fn refund(&self, e: &TaskEntry, n: usize) {
        e.bytes.fetch_sub(n, Ordering::Relaxed);
        self.used.fetch_sub(n, Ordering::Relaxed);
    }

    /// The answer to a request message that does not fit. InvalidParams: A2A 1.0.1 has no
    /// quota error, the envelope is valid (so not -32600) and the body met the transport limit
    /// (so not 413); SEC-005 names -32602 among the size-limit answers, and both bindings map it
    /// the same way (400 INVALID_ARGUMENT).
    fn too_big(&self, limit: Limit, task_id: &str, n: usize) -> A2aError {
        let (name, bytes, what) = match limit {
            Limit::Task => (
                "max-task-bytes",
                self.config.max_task_bytes,
                format!("task {task_id} would hold more than its limit of"),
            ),
            Limit::Store => (
                "max-store-bytes",
                self.config.max_store_bytes,
                "the task store is full of running tasks; its budget is".to_owned(),
            ),
        };
        A2aError::invalid_field(
            "message",
            format!("cannot be stored ({n} bytes): {what} {bytes} bytes"),
        )
        .with_meta("limit", name)
        .with_meta("limitBytes", bytes.to_string())
    }

    fn history_arg(&self, h: Option<usize>) -> Option<usize> {
        if self.fault(Fault::IgnoreHistoryLength) {
            None
        } else {
            h
        }
    }

    /// Serializes `ev` once and hands it to every stream and push queue of the task; called
    /// with the task locked, after the state change the event describes.
    fn commit(
        &self,
        e: &TaskEntry,
        g: &mut crate::task::Inner,
        ev: impl FnOnce(&TaskEntry, &TaskData) -> Value,
        state: Option<State>,
    ) {
        // Nobody listening (the common blocking send): skip serializing altogether.
        if g.listening() {
            let bytes = encode_event(&ev(e, &g.data));
            if self.fault(Fault::SubscriberBacklog) {
                // An unbounded per-subscriber copy of every event, never trimmed.
                for _ in 0..g.backlogs {
                    g.ballast.push(bytes.to_vec());
                }
            }
            bus::publish(&mut g.subs, &bytes, state, self.policy);
            for slot in &g.push {
                if let Some(q) = &slot.queue {
                    let _ = q.send(bytes.clone());
                }
            }
        }
        if let Some(st) = state {
            if st.is_terminal() {
                // Workers drain what is queued, then exit; the configs stay readable.
                for slot in &mut g.push {
                    slot.queue = None;
                }
            }
            e.set_state(st);
        }
    }

    /// Moves a locked, non-terminal task to `state`. The caller retires it if terminal.
    fn transition(
        &self,
        e: &TaskEntry,
        g: &mut crate::task::Inner,
        state: State,
        msg: Option<Value>,
    ) {
        if let Some(m) = &msg {
            let stored = Json::encode(m);
            self.charge_anyway(e, stored.cost());
            g.data.history.push(stored);
        }
        g.data.status = Status::new(state, msg);
        let render = self.render;
        self.commit(e, g, |e, d| e.status_event(d, render), Some(state));
    }

    /// An agent status step. False if the task is already terminal (the step is dropped).
    pub(crate) fn set_status(&self, e: &TaskEntry, state: State, msg: Option<Value>) -> bool {
        let mut g = e.lock();
        let cur = g.data.status.state;
        if cur.is_terminal() {
            return false;
        }
        // A resumed task is already WORKING; a bare repeat would be a no-op event.
        if state == State::Working && cur == State::Working && msg.is_none() {
            return true;
        }
        self.transition(e, &mut g, state, msg);
        drop(g);
        if state.is_terminal() {
            self.retire(e);
        }
        true
    }

    /// An agent artifact step. False if the task is already terminal.
    pub(crate) fn add_artifact(
        &self,
        e: &TaskEntry,
        mut chunk: Artifact,
        append: bool,
        last_chunk: bool,
        publish: bool,
    ) -> bool {
        let mut g = e.lock();
        if g.data.status.state.is_terminal() {
            return false;
        }
        // Honour acceptedOutputModes (SEND-009): parts of other types are left out, and a chunk
        // with nothing left is not emitted at all (an artifact needs at least one part).
        if !g.accepted_output.is_empty() {
            let modes = &g.accepted_output;
            chunk
                .parts
                .retain(|p| validate::media_accepted(modes, &validate::part_media(p)));
            if chunk.parts.is_empty() {
                return true;
            }
        }
        let encoded = model::encode_parts(&chunk.parts);
        let cost = g.data.merge_cost(&chunk, encoded.len(), append);
        if let Err(limit) = self.charge(e, cost) {
            // The agent's output cannot be kept: the task fails, saying which limit it met.
            let why = match limit {
                Limit::Task => format!(
                    "the task's output exceeds this server's limit of {} bytes per task",
                    self.config.max_task_bytes
                ),
                Limit::Store => format!(
                    "the server's task store is full ({} bytes of running tasks)",
                    self.config.max_store_bytes
                ),
            };
            let msg = model::agent_message(&e.context_id, Some(&e.id), vec![model::text_part(why)]);
            self.transition(e, &mut g, State::Failed, Some(msg));
            drop(g);
            self.retire(e);
            return false;
        }
        if self.fault(Fault::FatStoredChunks) {
            // A scratch copy per chunk that nothing ever frees (filled, so it is resident).
            g.ballast.push(vec![0xA5; 1024]);
        }
        // The event is built before the chunk moves into the task; both happen under the lock,
        // so no reader can see the event before the state.
        let ev = (publish && g.listening()).then(|| e.artifact_event(&chunk, append, last_chunk));
        let truncated = self.fault(Fault::TruncateStoredArtifact)
            && truncate_stored(&mut g.stored_parts, &chunk, append);
        let delta = if truncated {
            0
        } else {
            g.data.merge(&chunk, encoded, append)
        };
        // Charged the bound; settle to what the merge really cost.
        if let Ok(d) = usize::try_from(delta) {
            self.refund(e, cost.saturating_sub(d));
        } else {
            self.refund(e, cost + delta.unsigned_abs());
        }
        if let Some(ev) = ev {
            self.commit(e, &mut g, |_, _| ev, None);
        }
        true
    }

    /// Lets the slowest reader of the task catch up a little, within its pacing budget.
    pub(crate) async fn pace(&self, e: &TaskEntry) {
        let behind = bus::most_behind(&e.lock().subs);
        let Some((tx, budget)) = behind else {
            return;
        };
        let started = tokio::time::Instant::now();
        // The permit is dropped at once: this only waits for the reader to free a slot. A cancel
        // ends the wait, so this clone of the sender never holds a closed stream open.
        tokio::select! {
            _ = tokio::time::timeout(budget, tx.reserve()) => {}
            _ = e.wait_until(State::is_terminal) => {}
        }
        bus::charge(&mut e.lock().subs, &tx, started.elapsed());
    }

    /// Registers a stream on a locked task; its first event is the current snapshot.
    fn register(
        &self,
        e: &TaskEntry,
        g: &mut crate::task::Inner,
        close_on_interrupt: bool,
    ) -> EventStream {
        let status_first = self.fault(Fault::FirstEventNotTask);
        self.register_first(e, g, close_on_interrupt, status_first)
    }

    /// [`Shared::register`], saying whether the first event is a status update instead of
    /// the snapshot (the FirstEventNotTask and FollowUpStatusFirst faults).
    fn register_first(
        &self,
        e: &TaskEntry,
        g: &mut crate::task::Inner,
        close_on_interrupt: bool,
        status_first: bool,
    ) -> EventStream {
        let (tx, stream) = self.gauge.channel(self.config.subscriber_buffer);
        let first = if status_first {
            e.status_event(&g.data, self.render)
        } else {
            wrap("task", e.to_value(&g.data, self.render, None, true))
        };
        let _ = tx.try_send(StreamItem::Event(encode_event(&first)));
        if self.fault(Fault::SubscriberBacklog) {
            g.backlogs += 1;
        }
        // After shutdown the stream gets its snapshot and ends at once.
        if !*self.shutdown.borrow() {
            g.subs.push(Subscriber::new(tx, close_on_interrupt));
        }
        stream
    }

    /// Attaches a push config to a locked task, replacing one with the same id.
    fn attach_push(&self, g: &mut crate::task::Inner, cfg: PushConfig) -> Arc<PushConfig> {
        let cfg = Arc::new(cfg);
        // Fault PushOneConfigPerTask: every earlier config of the task is replaced.
        let one = self.fault(Fault::PushOneConfigPerTask);
        while let Some(pos) = g.push.iter().position(|s| one || s.config.id == cfg.id) {
            g.push[pos].kill();
            g.push.remove(pos);
        }
        let alive = Arc::new(AtomicBool::new(true));
        let live = !g.data.status.state.is_terminal() && !*self.shutdown.borrow();
        let queue = live.then(|| self.pusher.spawn(cfg.clone(), alive.clone()));
        g.push.push(PushSlot {
            config: cfg.clone(),
            alive,
            queue,
        });
        cfg
    }

    fn snapshot(&self, e: &TaskEntry, history: Option<usize>) -> Value {
        let g = e.lock();
        e.to_value(&g.data, self.render, self.history_arg(history), true)
    }

    // ---- SendMessage / SendStreamingMessage ----

    async fn send(
        self: &Arc<Self>,
        ctx: &CallCtx,
        p: &Value,
        stream: bool,
    ) -> Result<Reply, A2aError> {
        let mut sp = validate::send_params(p)?;
        validate::check_input_media(&sp.message)?;
        if sp.push_config.is_some() && !self.config.push_notifications {
            return Err(A2aError::new(
                ErrorKind::PushNotificationNotSupported,
                "push notifications are not supported by this agent",
            ));
        }
        if sp.message.task_id.is_some() {
            return self.follow_up(ctx, p, sp, stream).await;
        }
        let cmd = Command::parse(&sp.message.message_id, sp.message.first_text.as_deref());
        let context_id: Arc<str> = match &sp.message.context_id {
            Some(c) => c.as_str().into(),
            None => crate::ids::new_id().into(),
        };
        if let Command::Message(text) = cmd {
            let msg =
                crate::task::agent_message(&context_id, None, vec![crate::task::text_part(text)]);
            let ev = wrap("message", msg);
            if !stream {
                return Ok(Reply::Json(ev));
            }
            let (tx, es) = self.gauge.channel(1);
            let _ = tx.try_send(StreamItem::Event(encode_event(&ev)));
            return Ok(Reply::Stream(es));
        }

        let task_id: Arc<str> = crate::ids::new_id().into();
        let push = match &sp.push_config {
            Some(m) => Some(PushConfig::parse(
                m,
                &task_id,
                "configuration.taskPushNotificationConfig.",
                &self.config,
            )?),
            None => None,
        };
        let first = Json::encode(&sp.message.take_for_task(&task_id, &context_id));
        let cost = TASK_OVERHEAD + first.cost();
        let data = TaskData {
            status: Status::new(State::Submitted, None),
            artifacts: Vec::new(),
            history: vec![first],
        };
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let entry = Arc::new(TaskEntry::new(
            task_id,
            context_id,
            ctx.caller.identity.clone(),
            tenant_of(p).map(Into::into),
            seq,
            data,
        ));
        self.charge(&entry, cost)
            .map_err(|l| self.too_big(l, &entry.id, cost))?;
        let es = {
            let mut g = entry.lock();
            g.accepted_output = std::mem::take(&mut sp.accepted_output);
            if let Some(cfg) = push {
                self.attach_push(&mut g, cfg);
                let first = encode_event(&wrap(
                    "task",
                    entry.to_value(&g.data, self.render, None, true),
                ));
                for slot in &g.push {
                    if let Some(q) = &slot.queue {
                        let _ = q.send(first.clone());
                    }
                }
            }
            stream.then(|| self.register(&entry, &mut g, true))
        };
        self.insert(entry.clone());
        self.start(entry, cmd, es, sp.return_immediately, sp.history_length)
            .await
    }

    /// A message naming an existing task: resumes an interrupted task, or joins a busy one.
    async fn follow_up(
        self: &Arc<Self>,
        ctx: &CallCtx,
        p: &Value,
        mut sp: validate::SendParams,
        stream: bool,
    ) -> Result<Reply, A2aError> {
        let task_id = sp.message.task_id.as_deref().unwrap_or_default();
        let entry = self.lookup(ctx, p, task_id)?;
        if let Some(c) = &sp.message.context_id {
            if **c != *entry.context_id && !self.fault(Fault::ContextMismatchAccepted) {
                return Err(A2aError::invalid_field(
                    "message.contextId",
                    format!("does not match the contextId of task {task_id}"),
                ));
            }
        }
        let push = match &sp.push_config {
            Some(m) => Some(PushConfig::parse(
                m,
                &entry.id,
                "configuration.taskPushNotificationConfig.",
                &self.config,
            )?),
            None => None,
        };
        let cmd =
            Command::parse_follow_up(&sp.message.message_id, sp.message.first_text.as_deref());
        let (resume, es) = {
            let mut g = entry.lock();
            let st = g.data.status.state;
            if st.is_terminal() {
                return Err(A2aError::new(
                    ErrorKind::UnsupportedOperation,
                    format!("task {task_id} is in terminal state {}", st.name()),
                )
                .with_meta("taskId", task_id));
            }
            let stored = Json::encode(&sp.message.take_for_task(&entry.id, &entry.context_id));
            self.charge(&entry, stored.cost())
                .map_err(|l| self.too_big(l, &entry.id, stored.cost()))?;
            if let Some(cfg) = push {
                self.attach_push(&mut g, cfg);
            }
            if !sp.accepted_output.is_empty() {
                g.accepted_output = std::mem::take(&mut sp.accepted_output);
            }
            g.data.history.push(stored);
            let resume = st.is_interrupted();
            if resume {
                self.transition(&entry, &mut g, State::Working, None);
            }
            // Fault FollowUpStatusFirst: the resumed stream opens with its WORKING update.
            let status_first = self.fault(Fault::FirstEventNotTask)
                || (resume && self.fault(Fault::FollowUpStatusFirst));
            let es = stream.then(|| self.register_first(&entry, &mut g, true, status_first));
            (resume, es)
        };
        if resume {
            return self
                .start(entry, cmd, es, sp.return_immediately, sp.history_length)
                .await;
        }
        // The task is busy: the message joins its history and the caller waits like any other.
        match es {
            Some(es) => Ok(Reply::Stream(es)),
            None => {
                if !sp.return_immediately || self.fault(Fault::IgnoreReturnImmediately) {
                    self.wait_settled(&entry).await;
                }
                Ok(Reply::Json(wrap(
                    "task",
                    self.snapshot(&entry, sp.history_length),
                )))
            }
        }
    }

    /// Runs the agent for a task that is now set up, and answers the send.
    async fn start(
        self: &Arc<Self>,
        entry: Arc<TaskEntry>,
        cmd: Command,
        stream: Option<EventStream>,
        return_immediately: bool,
        history: Option<usize>,
    ) -> Result<Reply, A2aError> {
        let run = Run {
            shared: self.clone(),
            entry: entry.clone(),
        };
        let instant = cmd.is_instant();
        if let Some(es) = stream {
            if instant && self.config.subscriber_buffer >= INLINE_STREAM_MIN_BUFFER {
                agent::run(run, cmd).await;
            } else {
                tokio::spawn(agent::run(run, cmd));
            }
            return Ok(Reply::Stream(es));
        }
        let immediate = return_immediately && !self.fault(Fault::IgnoreReturnImmediately);
        if immediate {
            tokio::spawn(agent::run(run, cmd));
        } else if instant {
            // Completes in one poll: no spawn, no wait on the hot path.
            agent::run(run, cmd).await;
        } else {
            tokio::spawn(agent::run(run, cmd));
            self.wait_settled(&entry).await;
        }
        Ok(Reply::Json(wrap("task", self.snapshot(&entry, history))))
    }

    /// Waits until the task is terminal or interrupted (what a blocking send returns on), or
    /// until the shutdown grace ends, so a send in flight at shutdown still finishes when it
    /// can, and a blocked `hang` send is answered before its connection is dropped.
    async fn wait_settled(&self, e: &TaskEntry) {
        let mut shutdown = self.abandon_rx();
        tokio::select! {
            _ = e.wait_until(|s| s.is_terminal() || s.is_interrupted()) => {}
            _ = shutdown.wait_for(|s| *s) => {}
        }
    }

    // ---- GetTask / ListTasks / CancelTask / SubscribeToTask ----

    fn get_task(&self, ctx: &CallCtx, p: &Value) -> Result<Reply, A2aError> {
        let m = validate::params(p)?;
        let id = validate::req_str(m, "id", "id", "id")?;
        let history = validate::history_length(m, "historyLength")?;
        let e = self.lookup(ctx, p, id)?;
        Ok(Reply::Json(self.snapshot(&e, history)))
    }

    fn list_tasks(&self, ctx: &CallCtx, p: &Value) -> Result<Reply, A2aError> {
        let m = validate::params(p)?;
        let context = validate::opt_str(m, "contextId", "context_id", "contextId")?;
        let status = match validate::get(m, "status", "status") {
            None => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(v) => Some(validate::task_state(v, "status")?),
        };
        let default = if self.fault(Fault::ListDefaultPageUnbounded) {
            usize::MAX
        } else {
            50
        };
        let size = page_size(m)?.unwrap_or(default);
        let cursor = match validate::opt_str(m, "pageToken", "page_token", "pageToken")? {
            None => None,
            Some(t) => Some(decode_cursor(t).ok_or_else(|| {
                A2aError::invalid_field("pageToken", "is not a token this server issued")
            })?),
        };
        let history = self.history_arg(validate::history_length(m, "historyLength")?);
        let after = match validate::opt_str(
            m,
            "statusTimestampAfter",
            "status_timestamp_after",
            "statusTimestampAfter",
        )? {
            None => None,
            Some(t) => Some(clock::parse_nanos(t).ok_or_else(|| {
                A2aError::invalid_field(
                    "statusTimestampAfter",
                    "must be an RFC 3339 UTC timestamp ending in Z",
                )
            })?),
        };
        let artifacts = validate::opt_bool(
            m,
            "includeArtifacts",
            "include_artifacts",
            "includeArtifacts",
        )?
        .unwrap_or(false);

        let mut rows: Vec<(i64, u64, Arc<TaskEntry>)> = self
            .entries(context)
            .into_iter()
            .filter(|e| self.visible(e, ctx, tenant_of(p)))
            .filter_map(|e| {
                let (st, ts) = {
                    let g = e.lock();
                    (g.data.status.state, g.data.status.ts_ms)
                };
                let keep = status.is_none_or(|s| s == st)
                    && after.is_none_or(|a| i128::from(ts) * 1_000_000 >= a);
                keep.then_some((ts, e.seq, e))
            })
            .collect();
        // Newest status first; among equal timestamps the later-created task first.
        rows.sort_unstable_by_key(|r| std::cmp::Reverse((r.0, r.1)));
        let total = rows.len();
        let start = match cursor {
            None => 0,
            Some(c) => rows.partition_point(|r| (r.0, r.1) >= c),
        };
        let end = (start + size).min(total);
        let page = &rows[start.min(end)..end];
        let tasks: Vec<Value> = page
            .iter()
            .map(|(_, _, e)| {
                let g = e.lock();
                e.to_value(&g.data, self.render, history, artifacts)
            })
            .collect();
        let next = match page.last() {
            Some((ts, seq, _)) if end < total => encode_cursor(*ts, *seq),
            _ => String::new(),
        };
        let mut out = Map::with_capacity(4);
        out.insert("tasks".to_owned(), Value::Array(tasks));
        if !(next.is_empty() && self.fault(Fault::MissingNextPageToken)) {
            out.insert("nextPageToken".to_owned(), Value::String(next));
        }
        out.insert("pageSize".to_owned(), Value::from(size as u64));
        out.insert("totalSize".to_owned(), Value::from(total as u64));
        Ok(Reply::Json(Value::Object(out)))
    }

    fn cancel_task(&self, ctx: &CallCtx, p: &Value) -> Result<Reply, A2aError> {
        let m = validate::params(p)?;
        let id = validate::req_str(m, "id", "id", "id")?;
        validate::opt_obj(m, "metadata", "metadata", "metadata")?;
        let e = self.lookup(ctx, p, id)?;
        let mut g = e.lock();
        let st = g.data.status.state;
        match st {
            // Cancel is idempotent (§3.3.1): a repeat returns the canceled task.
            State::Canceled => {}
            // Fault CancelTerminal: the finished task is moved on to CANCELED.
            State::Completed | State::Failed | State::Rejected
                if self.fault(Fault::CancelTerminal) =>
            {
                self.transition(&e, &mut g, State::Canceled, None);
            }
            State::Completed | State::Failed | State::Rejected => {
                return Err(A2aError::new(
                    ErrorKind::TaskNotCancelable,
                    format!("task {id} is in terminal state {}", st.name()),
                )
                .with_meta("taskId", id));
            }
            _ if self.fault(Fault::CancelNoop) => {}
            _ => {
                self.transition(&e, &mut g, State::Canceled, None);
                let v = e.to_value(&g.data, self.render, None, true);
                drop(g);
                self.retire(&e);
                return Ok(Reply::Json(v));
            }
        }
        Ok(Reply::Json(e.to_value(&g.data, self.render, None, true)))
    }

    fn subscribe(&self, ctx: &CallCtx, p: &Value) -> Result<Reply, A2aError> {
        let m = validate::params(p)?;
        let id = validate::req_str(m, "id", "id", "id")?;
        let e = self.lookup(ctx, p, id)?;
        let mut g = e.lock();
        let st = g.data.status.state;
        let refused = st.is_terminal()
            || (st.is_interrupted() && self.fault(Fault::SubscribeRefusesInterrupted));
        if refused {
            return Err(A2aError::new(
                ErrorKind::UnsupportedOperation,
                format!(
                    "task {id} is in terminal state {}; there is nothing to subscribe to",
                    st.name()
                ),
            )
            .with_meta("taskId", id));
        }
        Ok(Reply::Stream(self.register(&e, &mut g, false)))
    }

    // ---- Push configs ----

    fn create_push(&self, ctx: &CallCtx, p: &Value) -> Result<Reply, A2aError> {
        let m = validate::params(p)?;
        let task_id = validate::req_str(m, "taskId", "task_id", "taskId")?;
        let e = self.lookup(ctx, p, task_id)?;
        let cfg = PushConfig::parse(m, &e.id, "", &self.config)?;
        let mut g = e.lock();
        let cfg = self.attach_push(&mut g, cfg);
        Ok(Reply::Json(cfg.to_value()))
    }

    fn push_ids<'a>(&self, m: &'a Obj) -> Result<(&'a str, &'a str), A2aError> {
        Ok((
            validate::req_str(m, "taskId", "task_id", "taskId")?,
            validate::req_str(m, "id", "id", "id")?,
        ))
    }

    fn get_push(&self, ctx: &CallCtx, p: &Value) -> Result<Reply, A2aError> {
        let m = validate::params(p)?;
        let (task_id, id) = self.push_ids(m)?;
        let e = self.lookup(ctx, p, task_id)?;
        let g = e.lock();
        match g.push.iter().find(|s| s.config.id == id) {
            Some(s) => Ok(Reply::Json(s.config.to_value())),
            None => Err(A2aError::new(
                ErrorKind::TaskNotFound,
                format!("push notification config {id} not found for task {task_id}"),
            )
            .with_meta("taskId", task_id)
            .with_meta("configId", id)),
        }
    }

    fn list_push(&self, ctx: &CallCtx, p: &Value) -> Result<Reply, A2aError> {
        let m = validate::params(p)?;
        let task_id = validate::req_str(m, "taskId", "task_id", "taskId")?;
        let size = page_size(m)?.unwrap_or(100);
        let offset = match validate::opt_str(m, "pageToken", "page_token", "pageToken")? {
            None => 0,
            Some(t) => t.parse::<usize>().map_err(|_| {
                A2aError::invalid_field("pageToken", "is not a token this server issued")
            })?,
        };
        let e = self.lookup(ctx, p, task_id)?;
        let g = e.lock();
        let configs: Vec<Value> = g
            .push
            .iter()
            .skip(offset)
            .take(size)
            .map(|s| s.config.to_value())
            .collect();
        let mut out = Map::with_capacity(2);
        out.insert("configs".to_owned(), Value::Array(configs));
        if offset.saturating_add(size) < g.push.len() {
            out.insert(
                "nextPageToken".to_owned(),
                Value::String((offset.saturating_add(size)).to_string()),
            );
        }
        Ok(Reply::Json(Value::Object(out)))
    }

    fn delete_push(&self, ctx: &CallCtx, p: &Value) -> Result<Reply, A2aError> {
        let m = validate::params(p)?;
        let (task_id, id) = self.push_ids(m)?;
        let e = self.lookup(ctx, p, task_id)?;
        let mut g = e.lock();
        if let Some(pos) = g.push.iter().position(|s| s.config.id == id) {
            g.push[pos].kill();
            g.push.remove(pos);
        }
        // Deleting what is already gone succeeds: delete is idempotent (PUSH-005).
        Ok(Reply::Empty)
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
