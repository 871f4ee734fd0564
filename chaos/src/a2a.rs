//! Just enough A2A for chaos: discover the JSON-RPC interface from the agent card, call methods,
//! open streams with chosen socket options, and reconstruct the `stream N` artifact from what a
//! subscriber saw (digest §1.2, §1.3, §6 and `fixtures/test-agent.md`).

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gauntlet_a2a::Binding;
use serde_json::{json, Value};

use crate::errors::ChaosError;
use crate::fmt_duration;
use gauntlet_wire::{self as wire, Conn, ConnOpts, SseStream};

/// A whole answer's body read as JSON.
trait JsonBody {
    /// The body as JSON, if it is.
    fn json(&self) -> Option<Value>;
}

impl JsonBody for wire::Response {
    fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

// The oracle's own definitions, so chaos and check agree on them.
pub use gauntlet_conformance::driver::is_terminal;
pub use gauntlet_conformance::expect::whole_number;
pub use gauntlet_conformance::spec::TERMINAL_STATES as TERMINAL;

/// The server under test as chaos drives it: the shared discovered target (every card fact,
/// through `Deref`) reached at the loopback socket of its JSON-RPC interface, or at a fault
/// proxy in front of it ([`RpcTarget::via`]).
#[derive(Debug, Clone)]
pub struct RpcTarget {
    /// What the agent card says (shared with check and load).
    pub target: Arc<gauntlet_a2a::Target>,
    /// Socket address of the JSON-RPC interface (loopback).
    pub addr: SocketAddr,
    /// `Host` header value.
    pub host: String,
    /// Path of the JSON-RPC interface.
    pub rpc_path: String,
}

/// The name the scenarios use for the server under test.
pub type Target = RpcTarget;

impl std::ops::Deref for RpcTarget {
    type Target = gauntlet_a2a::Target;

    fn deref(&self) -> &gauntlet_a2a::Target {
        &self.target
    }
}

/// A plain GET of the agent card with `Host: host`.
pub fn card_request(host: &str) -> Vec<u8> {
    wire::request_bytes(
        "GET",
        host,
        "/.well-known/agent-card.json",
        &[("A2A-Version", "1.0")],
        b"",
    )
}

/// A JSON-RPC answer: `Ok(result)` or `Err(error object)`.
pub type RpcReply = Result<Value, Value>;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Target {
    /// Discovers the target at `base_url` ([`gauntlet_a2a::Target::discover`], loopback only)
    /// and picks its JSON-RPC interface.
    pub async fn discover(base_url: &str, timeout: Duration) -> Result<Target, ChaosError> {
        wire::parse_loopback_url(base_url)?;
        let target = gauntlet_a2a::Target::discover(base_url, timeout).await?;
        let url = target.url(Binding::JsonRpc).ok_or_else(|| {
            ChaosError::Malformed("the agent card declares no JSONRPC interface".into())
        })?;
        let (rpc_addr, rpc_path) = wire::parse_loopback_url(url)?;
        Ok(Target {
            addr: rpc_addr,
            host: rpc_addr.to_string(),
            rpc_path,
            target: Arc::new(target),
        })
    }

    /// The loopback address and path of the card's interface for `binding` (`"HTTP+JSON"`),
    /// if it lists one.
    pub fn interface(&self, binding: &str) -> Option<(SocketAddr, String)> {
        let binding = Binding::ALL
            .into_iter()
            .find(|b| b.protocol_binding() == binding)?;
        wire::parse_loopback_url(self.url(binding)?).ok()
    }

    /// The same target reached through another address (a fault proxy).
    pub fn via(&self, addr: SocketAddr) -> Target {
        Target {
            addr,
            ..self.clone()
        }
    }

    /// The request bytes of a JSON-RPC call.
    pub fn rpc_bytes(&self, method: &str, params: &Value, stream: bool) -> Vec<u8> {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc":"2.0","id":id,"method":method,"params":params});
        let body = serde_json::to_vec(&body).unwrap_or_default();
        let accept = if stream {
            "text/event-stream"
        } else {
            "application/json"
        };
        wire::request_bytes(
            "POST",
            &self.host,
            &self.rpc_path,
            &[
                ("Content-Type", "application/json"),
                ("A2A-Version", "1.0"),
                ("Accept", accept),
            ],
            &body,
        )
    }

    /// A plain GET of the card, as a liveness request.
    pub fn card_request(&self) -> Vec<u8> {
        card_request(&self.host)
    }

    /// Whether the server answers a card request with 200 within `timeout`.
    pub async fn alive(&self, timeout: Duration) -> Result<Duration, ChaosError> {
        let t0 = tokio::time::Instant::now();
        let resp = wire::round_trip(self.addr, &self.card_request(), timeout).await?;
        if resp.head.status == 200 {
            Ok(t0.elapsed())
        } else {
            Err(ChaosError::Malformed(format!(
                "card answered HTTP {}",
                resp.head.status
            )))
        }
    }

    /// Calls a non-streaming method.
    pub async fn rpc(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<RpcReply, ChaosError> {
        let resp =
            wire::round_trip(self.addr, &self.rpc_bytes(method, &params, false), timeout).await?;
        let body = resp.json().ok_or_else(|| {
            ChaosError::Malformed(format!(
                "{method}: HTTP {} with a non-JSON body",
                resp.head.status
            ))
        })?;
        rpc_reply(&body).ok_or_else(|| ChaosError::Malformed(format!("{method}: {body}")))
    }

    /// SendMessage of a text message (`extra` merged into the request params).
    pub async fn send_text(
        &self,
        text: &str,
        extra: Value,
        timeout: Duration,
    ) -> Result<RpcReply, ChaosError> {
        self.rpc("SendMessage", message_params(text, extra), timeout)
            .await
    }

    /// GetTask.
    pub async fn get_task(&self, id: &str, timeout: Duration) -> Result<RpcReply, ChaosError> {
        self.rpc("GetTask", json!({"id": id}), timeout).await
    }

    /// Polls GetTask until the task is terminal or `deadline` passes; returns the last Task.
    pub async fn wait_terminal(&self, id: &str, deadline: Duration) -> Result<Value, ChaosError> {
        let t0 = tokio::time::Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            let left = deadline.saturating_sub(t0.elapsed());
            if left.is_zero() {
                return Err(ChaosError::timeout(
                    format!("task {id} reaching a terminal state"),
                    deadline,
                ));
            }
            match self.get_task(id, left).await? {
                Ok(task) => {
                    if task_state(&task).is_some_and(is_terminal) {
                        return Ok(task);
                    }
                }
                Err(e) => {
                    return Err(ChaosError::Malformed(format!("GetTask {id}: {e}")));
                }
            }
            // Polling cadence, not synchronisation: the deadline above bounds the wait.
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    /// Opens a stream: sends the request and waits for the response head (within `timeout`).
    pub async fn open_stream(
        &self,
        method: &str,
        params: Value,
        opts: ConnOpts,
        timeout: Duration,
    ) -> Result<Stream, ChaosError> {
        let bytes = self.rpc_bytes(method, &params, true);
        let fut = async {
            let mut conn = Conn::connect_with(self.addr, opts, timeout).await?;
            conn.send(&bytes).await?;
            let open = conn.read_response_head().await?;
            Ok::<_, ChaosError>((conn, open))
        };
        let (mut conn, mut open) = tokio::time::timeout(timeout, fut)
            .await
            .map_err(|_| ChaosError::timeout(format!("{method} response head"), timeout))??;
        let status = open.head.status;
        if !open.head.event_stream {
            let bytes = tokio::time::timeout(timeout, conn.read_to_end(&mut open))
                .await
                .map_err(|_| ChaosError::timeout(format!("{method} refusal body"), timeout))??;
            return Err(ChaosError::Refused {
                status,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            });
        }
        Ok(Stream {
            reader: SseStream::new(conn, open),
            status,
        })
    }

    /// SendStreamingMessage of a text message.
    pub async fn stream_text(
        &self,
        text: &str,
        opts: ConnOpts,
        timeout: Duration,
    ) -> Result<Stream, ChaosError> {
        self.open_stream(
            "SendStreamingMessage",
            message_params(text, json!({})),
            opts,
            timeout,
        )
        .await
    }

    /// SubscribeToTask.
    pub async fn subscribe(
        &self,
        task_id: &str,
        opts: ConnOpts,
        timeout: Duration,
    ) -> Result<Stream, ChaosError> {
        self.open_stream("SubscribeToTask", json!({"id": task_id}), opts, timeout)
            .await
    }
}

/// SendMessageRequest params for a user text message with a fresh message id.
pub fn message_params(text: &str, extra: Value) -> Value {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let mut params = json!({
        "message": {
            "messageId": format!("chaos-{}-{n}", std::process::id()),
            "role": "ROLE_USER",
            "parts": [{"text": text}],
        }
    });
    if let (Some(p), Value::Object(extra)) = (params.as_object_mut(), extra) {
        for (k, v) in extra {
            p.insert(k, v);
        }
    }
    params
}

/// Interprets a JSON-RPC response object.
pub fn rpc_reply(body: &Value) -> Option<RpcReply> {
    if let Some(r) = body.get("result") {
        Some(Ok(r.clone()))
    } else {
        body.get("error").map(|e| Err(e.clone()))
    }
}

/// A Task's `status.state`.
pub fn task_state(task: &Value) -> Option<&str> {
    task["status"]["state"].as_str()
}

/// A state for people: the state, or `no state` when there is none.
pub fn fmt_state(state: Option<&str>) -> &str {
    state.unwrap_or("no state")
}

/// `seq` numbers for people, runs joined: `0–4, 7, 9–10`, or `none`.
pub fn fmt_seqs(seqs: &[i64]) -> String {
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for &s in seqs {
        match runs.last_mut() {
            Some((_, hi)) if s == *hi + 1 => *hi = s,
            _ => runs.push((s, s)),
        }
    }
    if runs.is_empty() {
        return "none".to_owned();
    }
    runs.iter()
        .map(|&(lo, hi)| {
            if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}–{hi}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What [`Stream::next`] gave, for people: the event, the end, or the failure.
pub fn fmt_next(next: &Result<Option<Event>, ChaosError>) -> String {
    match next {
        Ok(Some(ev)) => ev.to_string(),
        Ok(None) => "the stream ended without an event".to_owned(),
        Err(e) => e.to_string(),
    }
}

/// The `seq` numbers of the `stream` artifact's parts in a Task.
pub fn snapshot_seqs(task: &Value) -> Vec<i64> {
    task["artifacts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["artifactId"] == "stream")
        .flat_map(|a| a["parts"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| whole_number(&p["data"]["seq"]))
        .collect()
}

/// An open SSE stream of StreamResponses.
#[derive(Debug)]
pub struct Stream {
    reader: SseStream,
    /// HTTP status of the stream's response.
    pub status: u16,
}

/// One stream event, unwrapped from its JSON-RPC envelope.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A StreamResponse (`{"task":…}`, `{"statusUpdate":…}`, …).
    Result(Value),
    /// An in-stream JSON-RPC error.
    Error(Value),
    /// Data that is not a JSON-RPC response.
    Garbled(String),
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use gauntlet_conformance::expect::{clip, show};
        match self {
            Event::Result(v) => f.write_str(&show(v)),
            Event::Error(e) => write!(f, "an in-stream error {}", show(e)),
            Event::Garbled(g) => write!(f, "not a JSON-RPC response: `{}`", clip(g, 400)),
        }
    }
}

/// How a stream ended.
#[derive(Debug, Clone, PartialEq)]
pub enum End {
    /// The body ended by its framing (chunked terminator or close-delimited EOF).
    Clean,
    /// The connection broke (RST, EOF mid-chunk, malformed framing).
    Abrupt(String),
    /// No event and no end within the deadline.
    Hang(Duration),
    /// We stopped reading on purpose.
    Stopped,
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            End::Clean => f.write_str("a clean end"),
            End::Abrupt(why) => write!(f, "a broken connection ({why})"),
            End::Hang(after) => write!(f, "no event and no end for {}", fmt_duration(*after)),
            End::Stopped => f.write_str("reading stopped by the suite"),
        }
    }
}

impl Stream {
    /// The socket, while connected.
    pub fn socket(&self) -> Option<&tokio::net::TcpStream> {
        self.reader.socket()
    }

    /// Gives the socket back, e.g. to close it with FIN or RST (`None` after a broken read).
    pub fn into_socket(self) -> Option<tokio::net::TcpStream> {
        self.reader.into_socket()
    }

    /// The next event; `Ok(None)` at a clean end.
    pub async fn next(&mut self, timeout: Duration) -> Result<Option<Event>, ChaosError> {
        let ev = tokio::time::timeout(timeout, self.reader.next_event())
            .await
            .map_err(|_| ChaosError::timeout("next stream event", timeout))??;
        Ok(ev.map(|ev| match serde_json::from_str::<Value>(&ev.data) {
            Ok(v) => match rpc_reply(&v) {
                Some(Ok(r)) => Event::Result(r),
                Some(Err(e)) => Event::Error(e),
                None => Event::Garbled(ev.data),
            },
            Err(_) => Event::Garbled(ev.data),
        }))
    }

    /// Reads until the end, an error, `idle` without an event, or `overall`.
    pub async fn collect(mut self, idle: Duration, overall: Duration) -> Log {
        let t0 = tokio::time::Instant::now();
        let mut log = Log::default();
        loop {
            let left = overall.saturating_sub(t0.elapsed());
            if left.is_zero() {
                log.end = End::Hang(overall);
                break;
            }
            match self.next(idle.min(left)).await {
                Ok(Some(ev)) => log.push(ev),
                Ok(None) => {
                    log.end = End::Clean;
                    break;
                }
                Err(e) if e.is_timeout() => {
                    log.end = End::Hang(t0.elapsed());
                    break;
                }
                Err(e) => {
                    log.end = End::Abrupt(e.to_string());
                    break;
                }
            }
        }
        log.elapsed = t0.elapsed();
        log
    }
}

/// What one subscriber saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Log {
    /// Events in arrival order.
    pub events: Vec<Event>,
    /// How it ended.
    pub end: End,
    /// Reading time.
    pub elapsed: Duration,
}

impl Default for Log {
    fn default() -> Self {
        Log {
            events: Vec::new(),
            end: End::Stopped,
            elapsed: Duration::ZERO,
        }
    }
}

impl Log {
    /// Appends an event.
    pub fn push(&mut self, ev: Event) {
        self.events.push(ev);
    }

    /// The task id named by the first event that carries one.
    pub fn task_id(&self) -> Option<String> {
        self.events.iter().find_map(|e| match e {
            Event::Result(v) => v["task"]["id"]
                .as_str()
                .or_else(|| v["statusUpdate"]["taskId"].as_str())
                .or_else(|| v["artifactUpdate"]["taskId"].as_str())
                .map(str::to_owned),
            _ => None,
        })
    }

    /// The analysis of the `stream N` artifact as this subscriber saw it.
    pub fn sequence(&self) -> Sequence {
        Sequence::of(&self.events)
    }

    /// Short evidence: the kinds of the events in order and the end, e.g.
    /// `[task(0 parts),statusUpdate(WORKING),artifactUpdate#0], then a clean end`.
    pub fn outline(&self) -> String {
        let mut out: Vec<String> = Vec::new();
        for e in self.events.iter().take(40) {
            out.push(match e {
                Event::Result(v) => {
                    if let Some(s) =
                        whole_number(&v["artifactUpdate"]["artifact"]["parts"][0]["data"]["seq"])
                    {
                        format!("artifactUpdate#{s}")
                    } else if let Some(st) = v["statusUpdate"]["status"]["state"].as_str() {
                        format!("statusUpdate({})", st.trim_start_matches("TASK_STATE_"))
                    } else if v.get("task").is_some() {
                        format!("task({} parts)", snapshot_seqs(&v["task"]).len())
                    } else {
                        v.as_object()
                            .and_then(|o| o.keys().next().cloned())
                            .unwrap_or_else(|| "?".into())
                    }
                }
                Event::Error(e) => format!("error({})", e["code"]),
                Event::Garbled(_) => "garbled".into(),
            });
        }
        if self.events.len() > 40 {
            out.push(format!("… {} more", self.events.len() - 40));
        }
        format!("[{}], then {}", out.join(","), self.end)
    }
}

/// A subscriber's view of the `stream N` artifact: the snapshot it started from, the chunks that
/// followed, and what is wrong with them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sequence {
    /// The first event was a Task.
    pub first_is_task: bool,
    /// `seq` numbers already in the first Task snapshot.
    pub snapshot: Vec<i64>,
    /// `seq` numbers of the artifactUpdate events, in arrival order.
    pub chunks: Vec<i64>,
    /// The last state seen (Task snapshot or statusUpdate).
    pub last_state: Option<String>,
    /// An in-stream error event was seen.
    pub error: Option<Value>,
    /// Gaps and reorderings found (empty when the sequence is whole and in order).
    pub problems: Vec<String>,
    /// `of` (N) as announced by the chunks.
    pub of: Option<i64>,
}

impl Sequence {
    /// Analyses events.
    pub fn of(events: &[Event]) -> Sequence {
        let mut s = Sequence::default();
        for (i, e) in events.iter().enumerate() {
            match e {
                Event::Result(v) => {
                    if let Some(task) = v.get("task") {
                        if i == 0 {
                            s.first_is_task = true;
                            s.snapshot = snapshot_seqs(task);
                        }
                        if let Some(st) = task_state(task) {
                            s.last_state = Some(st.to_owned());
                        }
                    } else if let Some(u) = v.get("statusUpdate") {
                        if let Some(st) = u["status"]["state"].as_str() {
                            s.last_state = Some(st.to_owned());
                        }
                    } else if let Some(u) = v.get("artifactUpdate") {
                        for p in u["artifact"]["parts"].as_array().into_iter().flatten() {
                            if let Some(seq) = whole_number(&p["data"]["seq"]) {
                                s.chunks.push(seq);
                            }
                            if let Some(of) = whole_number(&p["data"]["of"]) {
                                s.of = Some(of);
                            }
                        }
                    }
                }
                Event::Error(e) => s.error = Some(e.clone()),
                Event::Garbled(g) => s.problems.push(format!("unparseable event `{g}`")),
            }
        }
        for (i, seq) in s.snapshot.iter().enumerate() {
            if *seq != i as i64 {
                s.problems.push(format!(
                    "the Task snapshot's parts are not 0..: part {i} has seq {seq}"
                ));
                break;
            }
        }
        let mut expect = s.snapshot.len() as i64;
        for &seq in &s.chunks {
            if seq < expect {
                // Overlap with the snapshot is tolerated; going backwards after it is not.
                if seq < expect - 1 && expect > s.snapshot.len() as i64 {
                    s.problems
                        .push(format!("chunk {seq} arrived after chunk {}", expect - 1));
                }
                continue;
            }
            if seq > expect {
                s.problems.push(format!(
                    "chunks {expect}..{} never arrived before chunk {seq}",
                    seq - 1
                ));
            }
            expect = seq + 1;
        }
        if let Some(of) = s.of {
            let have = s.contiguous();
            if s.terminal() && s.last_state.as_deref() == Some("TASK_STATE_COMPLETED") && have < of
            {
                s.problems.push(format!(
                    "the task was announced COMPLETED after only {have} of {of} chunks"
                ));
            }
        }
        s
    }

    /// The highest seq known to this subscriber (snapshot or chunk), if any.
    pub fn last_seq(&self) -> Option<i64> {
        self.chunks
            .iter()
            .copied()
            .chain(self.snapshot.iter().copied())
            .max()
    }

    /// How many consecutive seqs from 0 this subscriber can reconstruct.
    pub fn contiguous(&self) -> i64 {
        let mut have: Vec<i64> = self
            .snapshot
            .iter()
            .chain(self.chunks.iter())
            .copied()
            .collect();
        have.sort_unstable();
        have.dedup();
        let mut n = 0;
        for s in have {
            if s == n {
                n += 1;
            } else if s > n {
                break;
            }
        }
        n
    }

    /// Whether it ended in a terminal state.
    pub fn terminal(&self) -> bool {
        self.last_state.as_deref().is_some_and(is_terminal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(seq: i64) -> Event {
        Event::Result(
            json!({"artifactUpdate":{"taskId":"t","artifact":{"artifactId":"stream",
            "parts":[{"data":{"seq":seq,"of":5}}]}}}),
        )
    }

    #[test]
    fn a_whole_sequence_has_no_problems() {
        let mut evs = vec![Event::Result(
            json!({"task":{"id":"t","status":{"state":"TASK_STATE_WORKING"},
            "artifacts":[{"artifactId":"stream","parts":[{"data":{"seq":0}},{"data":{"seq":1}}]}]}}),
        )];
        evs.extend([chunk(1), chunk(2), chunk(3), chunk(4)]);
        evs.push(Event::Result(
            json!({"statusUpdate":{"status":{"state":"TASK_STATE_COMPLETED"}}}),
        ));
        let s = Sequence::of(&evs);
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        assert!(s.first_is_task && s.terminal());
        assert_eq!(s.contiguous(), 5);
        assert_eq!(s.last_seq(), Some(4));
    }

    #[test]
    fn chunk_counters_written_as_doubles_are_read() {
        let doubles: Vec<Event> = (0..3)
            .map(|i| {
                Event::Result(json!({"artifactUpdate":{"taskId":"t","artifact":{
                    "artifactId":"stream","parts":[{"data":{"seq":f64::from(i),"of":3.0}}]}}}))
            })
            .collect();
        let s = Sequence::of(&doubles);
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        assert_eq!((s.chunks.clone(), s.of), (vec![0, 1, 2], Some(3)));
    }

    #[test]
    fn a_gap_and_a_reordering_are_problems() {
        let s = Sequence::of(&[chunk(0), chunk(2), chunk(3)]);
        assert_eq!(s.problems.len(), 1, "{:?}", s.problems);
        assert!(!s.first_is_task);
        let s = Sequence::of(&[chunk(0), chunk(1), chunk(3), chunk(2)]);
        assert_eq!(s.problems.len(), 2, "{:?}", s.problems);
    }
}
