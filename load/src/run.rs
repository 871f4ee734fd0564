//! The load runs: configuration, live figures, the SendMessage phases (closed loop and open loop),
//! the stream phase, and reports.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::*;

// Closed-loop load
// ---------------------------------------------------------------------------------------------

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Binding for SendMessage and streams.
    pub binding: Binding,
    /// Workers for the SendMessage phase (one keep-alive connection each); in the open loop, the
    /// connections the timetable is spread over.
    pub concurrency: usize,
    /// Open loop: SendMessage requests per second across all connections, on a fixed timetable
    /// independent of the answers. `None`: the closed loop.
    pub rate: Option<f64>,
    /// Length of each phase.
    pub duration: Duration,
    /// Concurrent streams for the streaming phase (0: skip it).
    pub streams: usize,
    /// Artifact chunks per stream (`stream N 0`).
    pub events: u32,
    /// Deadline for connecting and for each request.
    pub request_timeout: Duration,
    /// Deadline for one whole stream.
    pub stream_timeout: Duration,
    /// The running figures of the phase under way, for a live display.
    pub live: Live,
}

impl Default for LoadConfig {
    fn default() -> Self {
        Self {
            binding: Binding::JsonRpc,
            concurrency: 16,
            rate: None,
            duration: Duration::from_secs(10),
            streams: 16,
            events: 1000,
            request_timeout: Duration::from_secs(5),
            stream_timeout: Duration::from_secs(60),
            live: Live::default(),
        }
    }
}

/// A load phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// SendMessage, closed or open loop.
    Send,
    /// Concurrent `stream N 0` streams.
    Stream,
}

impl Phase {
    /// Its name in the summary table.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Send => "SendMessage",
            Phase::Stream => "Streaming",
        }
    }
}

/// The running figures of the phase under way, shared by its workers and a display
/// (`gauntlet load` prints [`Live::figures`] every second). Errors and events are atomics;
/// each worker records latencies into its own histogram behind its own mutex, which only the
/// (once a second) reader ever contends, so the generator's ceiling does not move.
#[derive(Debug, Clone, Default)]
pub struct Live(Arc<LiveState>);

#[derive(Debug, Default)]
struct LiveState {
    phase: Mutex<Option<(Phase, Instant)>>,
    errors: AtomicU64,
    events: AtomicU64,
    workers: Mutex<Vec<Arc<Mutex<Histogram>>>>,
}

/// What a phase has done so far.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveFigures {
    /// The phase.
    pub phase: Phase,
    /// Since it began.
    pub elapsed: Duration,
    /// Successful requests (SendMessage) or drained streams.
    pub ok: u64,
    /// Failed ones.
    pub errors: u64,
    /// Stream events received (streaming phase).
    pub events: u64,
    /// Median latency (SendMessage) or stream time so far.
    pub p50: Option<Duration>,
}

impl LiveFigures {
    /// One line: `SendMessage 2.0 s: 8123 ok, 0 errors, 4061 req/s, p50 3.9 ms`.
    pub fn line(&self) -> String {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let p50 = self.p50.map_or_else(
            || "p50 -".to_owned(),
            |d| format!("p50 {:.1} ms", d.as_secs_f64() * 1000.0),
        );
        match self.phase {
            Phase::Send => format!(
                "{} {:.1} s: {} ok, {} errors, {:.0} req/s, {p50}",
                self.phase.name(),
                self.elapsed.as_secs_f64(),
                self.ok,
                self.errors,
                self.ok as f64 / secs
            ),
            Phase::Stream => format!(
                "{} {:.1} s: {} drained, {} errors, {} events, {:.0} events/s, {p50}",
                self.phase.name(),
                self.elapsed.as_secs_f64(),
                self.ok,
                self.errors,
                self.events,
                self.events as f64 / secs
            ),
        }
    }
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Live {
    /// Starts `phase` from zero.
    fn begin(&self, phase: Phase) {
        locked(&self.0.workers).clear();
        self.0.errors.store(0, Ordering::Relaxed);
        self.0.events.store(0, Ordering::Relaxed);
        *locked(&self.0.phase) = Some((phase, Instant::now()));
    }

    /// A new worker's latency histogram, read by [`Live::figures`].
    fn worker(&self) -> Arc<Mutex<Histogram>> {
        let h = Arc::new(Mutex::new(Histogram::default()));
        locked(&self.0.workers).push(h.clone());
        h
    }

    fn error(&self) {
        self.0.errors.fetch_add(1, Ordering::Relaxed);
    }

    fn events(&self, n: u64) {
        self.0.events.fetch_add(n, Ordering::Relaxed);
    }

    /// The figures of the phase under way; `None` before the first phase begins.
    pub fn figures(&self) -> Option<LiveFigures> {
        let (phase, since) = (*locked(&self.0.phase))?;
        let mut all = Histogram::default();
        for w in locked(&self.0.workers).iter() {
            all.merge(&locked(w));
        }
        Some(LiveFigures {
            phase,
            elapsed: since.elapsed(),
            ok: all.count(),
            errors: self.0.errors.load(Ordering::Relaxed),
            events: self.0.events.load(Ordering::Relaxed),
            p50: (all.count() > 0).then(|| Duration::from_nanos(all.quantile(0.5))),
        })
    }
}

/// Result of the SendMessage phase.
#[derive(Debug, Clone)]
pub struct SendReport {
    /// Workers.
    pub concurrency: usize,
    /// Successful answers.
    pub ok: u64,
    /// Error answers, broken connections and timeouts.
    pub errors: u64,
    /// First error seen, for the summary.
    pub first_error: Option<String>,
    /// Wall time of the phase.
    pub elapsed: Duration,
    /// Latency of successful requests: in the closed loop from each send, in the open loop from
    /// each request's intended send time.
    pub latency: LatencySummary,
    /// Closed loop: the latency corrected for coordinated omission.
    pub latency_corrected: Option<CorrectedLatency>,
    /// Open loop: the timetable and how well it was kept.
    pub open_loop: Option<OpenLoop>,
}

impl SendReport {
    /// Successful requests per second.
    pub fn rps(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// How the closed loop's corrected figures were made.
pub const CORRECTION_INTERVAL: &str = "each worker's median service time";

/// Closed-loop latency corrected for coordinated omission ([`Histogram::corrected`]). Each worker
/// is taken to mean to send once per its own **median service time** (measured over the phase):
/// the median is what a worker achieves while the server is healthy, and unlike the mean it is
/// not dragged up by the very stalls the correction is for. An answer that took at least twice
/// that also counts the requests a sender at that pace would have had waiting behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CorrectedLatency {
    /// The corrected percentiles (their count includes the added requests).
    pub latency: LatencySummary,
    /// Mean over the workers of their expected interval between sends.
    pub mean_interval: Duration,
}

/// The open loop's timetable and how well it was kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenLoop {
    /// Requests per second asked for, across all connections.
    pub rate: f64,
    /// Sends on the timetable within the phase.
    pub scheduled: u64,
    /// Scheduled sends never made: the phase ended while their connection was still behind, or
    /// their connection broke. Every other scheduled send is counted as ok or as an error.
    pub missed: u64,
    /// Sends made after their intended time because their connection was still waiting for the
    /// previous answer (their latency includes that wait).
    pub late: u64,
}

impl OpenLoop {
    /// Sends made.
    pub fn sent(&self) -> u64 {
        self.scheduled - self.missed
    }
}

/// Result of the streaming phase.
#[derive(Debug, Clone)]
pub struct StreamReport {
    /// Concurrent streams.
    pub streams: usize,
    /// Chunks requested per stream.
    pub events_per_stream: u32,
    /// Streams drained to the end.
    pub completed: u64,
    /// Failed or short streams.
    pub errors: u64,
    /// First error seen, for the summary.
    pub first_error: Option<String>,
    /// SSE events received (all streams, complete or not).
    pub events: u64,
    /// Body bytes received.
    pub bytes: u64,
    /// Wall time of the phase.
    pub elapsed: Duration,
    /// Time to drain one whole stream.
    pub stream_time: LatencySummary,
}

impl StreamReport {
    /// Events per second over all streams.
    pub fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Both phases.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Human label of the target.
    pub target: String,
    /// Binding used.
    pub binding: Binding,
    /// SendMessage phase.
    pub send: SendReport,
    /// Streaming phase, when run.
    pub stream: Option<StreamReport>,
    /// Why the streaming phase did not run.
    pub stream_skipped: Option<String>,
}

impl LoadReport {
    /// Machine-readable form (`--json`).
    pub fn to_json(&self) -> Value {
        let us = |d: Duration| d.as_nanos() as f64 / 1000.0;
        let s = &self.send;
        let corrected = s.latency_corrected.map(|c| {
            let mut v = c.latency.to_json();
            v["expected_interval"] = json!(CORRECTION_INTERVAL);
            v["mean_expected_interval_us"] = json!(us(c.mean_interval));
            v
        });
        let open_loop = s.open_loop.map(|o| {
            json!({
                "target_rate": o.rate,
                "achieved_rate": o.sent() as f64 / s.elapsed.as_secs_f64().max(1e-9),
                "scheduled": o.scheduled,
                "sent": o.sent(),
                "missed": o.missed,
                "late": o.late,
                "latency_from": "intended send time",
            })
        });
        let mut out = json!({
            "target": self.target,
            "binding": self.binding.short(),
            "mode": if s.open_loop.is_some() { "open-loop" } else { "closed-loop" },
            "send": {
                "concurrency": s.concurrency,
                "ok": s.ok,
                "errors": s.errors,
                "first_error": s.first_error,
                "elapsed_s": s.elapsed.as_secs_f64(),
                "requests_per_sec": s.rps(),
                "latency": s.latency.to_json(),
                "latency_corrected": corrected,
                "open_loop": open_loop,
            },
            "stream": Value::Null,
            "stream_skipped": self.stream_skipped,
        });
        if let Some(s) = &self.stream {
            out["stream"] = json!({
                "streams": s.streams,
                "events_per_stream": s.events_per_stream,
                "completed": s.completed,
                "errors": s.errors,
                "first_error": s.first_error,
                "events": s.events,
                "bytes": s.bytes,
                "elapsed_s": s.elapsed.as_secs_f64(),
                "events_per_sec": s.events_per_sec(),
                "ns_per_event": if s.events > 0 {
                    (s.elapsed.as_nanos() as f64 * s.streams as f64) / s.events as f64
                } else { 0.0 },
                "stream_time": s.stream_time.to_json(),
            });
        }
        out
    }

    /// The human summary table.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let us = |d: Duration| format!("{:.1}", d.as_nanos() as f64 / 1000.0);
        let ms = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1000.0);
        let mut t = String::new();
        let percentiles = |l: &LatencySummary| {
            format!(
                "p50 {:>9}  p90 {:>9}  p99 {:>9}  max {:>9}  mean {:>9}",
                us(l.p50),
                us(l.p90),
                us(l.p99),
                us(l.max),
                us(l.mean)
            )
        };
        let s = &self.send;
        let mode = match &s.open_loop {
            Some(o) => format!("open loop at {} req/s", o.rate),
            None => "closed loop".to_owned(),
        };
        let _ = writeln!(
            t,
            "gauntlet load: {} ({}, {mode})",
            self.target,
            self.binding.short()
        );
        match &s.open_loop {
            Some(o) => {
                let _ = writeln!(
                    t,
                    "\n  SendMessage   {} req/s over {} connections, {:.1} s: {} ok, {} errors, {:.0} req/s achieved",
                    o.rate,
                    s.concurrency,
                    s.elapsed.as_secs_f64(),
                    s.ok,
                    s.errors,
                    o.sent() as f64 / s.elapsed.as_secs_f64().max(1e-9)
                );
                let _ = writeln!(
                    t,
                    "  timetable     {} scheduled, {} sent, {} missed, {} late",
                    o.scheduled,
                    o.sent(),
                    o.missed,
                    o.late
                );
                let _ = writeln!(
                    t,
                    "  latency µs    {}  (from each intended send time)",
                    percentiles(&s.latency)
                );
            }
            None => {
                let _ = writeln!(
                    t,
                    "\n  SendMessage   {} workers, {:.1} s: {} ok, {} errors, {:.0} req/s",
                    s.concurrency,
                    s.elapsed.as_secs_f64(),
                    s.ok,
                    s.errors,
                    s.rps()
                );
                let _ = writeln!(t, "  latency µs    {}", percentiles(&s.latency));
                if let Some(c) = &s.latency_corrected {
                    let _ = writeln!(t, "  corrected µs  {}", percentiles(&c.latency));
                    let _ = writeln!(
                        t,
                        "  correction    for coordinated omission; expected interval: {CORRECTION_INTERVAL} (mean {} µs)",
                        us(c.mean_interval)
                    );
                }
            }
        }
        if let Some(e) = &s.first_error {
            let _ = writeln!(t, "  first error   {e}");
        }
        match (&self.stream, &self.stream_skipped) {
            (Some(st), _) => {
                let _ = writeln!(
                    t,
                    "\n  Streaming     {} streams × `stream {} 0`, {:.1} s: {} drained, {} errors, {} events, {:.0} events/s",
                    st.streams,
                    st.events_per_stream,
                    st.elapsed.as_secs_f64(),
                    st.completed,
                    st.errors,
                    st.events,
                    st.events_per_sec()
                );
                let _ = writeln!(
                    t,
                    "  stream ms     p50 {:>9}  p90 {:>9}  p99 {:>9}  max {:>9}",
                    ms(st.stream_time.p50),
                    ms(st.stream_time.p90),
                    ms(st.stream_time.p99),
                    ms(st.stream_time.max)
                );
                if let Some(e) = &st.first_error {
                    let _ = writeln!(t, "  first error   {e}");
                }
            }
            (None, Some(why)) => {
                let _ = writeln!(t, "\n  Streaming     skipped: {why}");
            }
            (None, None) => {}
        }
        t
    }
}

/// Whether an answer to SendMessage is a success (2xx, and for JSON-RPC a `result` member).
pub fn send_ok(binding: Binding, head: &Head, body: &[u8]) -> bool {
    (200..300).contains(&head.status)
        && match binding {
            Binding::JsonRpc => find(body, b"\"result\"").is_some(),
            Binding::Rest => true,
        }
}

/// Sends one SendMessage and checks that the answer is a real `{"task"}`/`{"message"}` result
/// (run before a load phase, so a wrong URL fails in one sentence instead of a wall of errors).
pub async fn preflight(
    target: &Endpoint,
    binding: Binding,
    timeout: Duration,
) -> Result<(), WireError> {
    let mut conn = Conn::connect(target.addr, timeout).await?;
    let mut req = send_message(target, binding, "echo preflight", false);
    let (head, body) = conn.request(req.next_request()).await?;
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        WireError::Http(format!(
            "SendMessage answered HTTP {} with a body that is not JSON",
            head.status
        ))
    })?;
    let result = match binding {
        Binding::JsonRpc => &value["result"],
        Binding::Rest => &value,
    };
    if (200..300).contains(&head.status)
        && (result.get("task").is_some() || result.get("message").is_some())
    {
        Ok(())
    } else {
        Err(WireError::Http(format!(
            "SendMessage answered HTTP {} without a task or message: {}",
            head.status,
            truncate(&value.to_string(), 200)
        )))
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.len() <= n {
        s.to_owned()
    } else {
        let mut end = n;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    }
}

/// One SendMessage exchange on `conn`: `Ok` on a successful answer, otherwise the error counted
/// and the first one kept. `Err(true)` when the connection cannot be made again.
async fn exchange(
    conn: &mut Conn,
    req: &mut RequestTemplate,
    binding: Binding,
    live: &Live,
    first_error: &mut Option<String>,
) -> Result<(), bool> {
    match conn.request(req.next_request()).await {
        Ok((head, body)) if send_ok(binding, &head, body) => Ok(()),
        Ok((head, body)) => {
            live.error();
            first_error.get_or_insert_with(|| {
                format!(
                    "HTTP {}: {}",
                    head.status,
                    truncate(&String::from_utf8_lossy(body), 160)
                )
            });
            Err(false)
        }
        Err(e) => {
            live.error();
            let gone = matches!(e, WireError::Connect { .. });
            first_error.get_or_insert_with(|| e.to_string());
            Err(gone)
        }
    }
}

/// What one SendMessage worker (a closed-loop worker or an open-loop connection) measured.
#[derive(Default)]
struct Worker {
    raw: Histogram,
    /// Closed loop: `raw` corrected for coordinated omission.
    corrected: Histogram,
    /// Closed loop: the expected interval the correction used.
    interval: Option<Duration>,
    errors: u64,
    /// Open loop: slots never sent.
    missed: u64,
    /// Open loop: slots sent after their time.
    late: u64,
    first_error: Option<String>,
}

impl Worker {
    /// Collects every worker of `set` into one: histograms merged, counts added, the first
    /// error kept; a worker task that died counts as one error.
    async fn join_all(set: &mut JoinSet<Worker>) -> (Worker, Vec<Duration>) {
        let mut all = Worker::default();
        let mut intervals = Vec::new();
        while let Some(res) = set.join_next().await {
            match res {
                Ok(w) => {
                    all.raw.merge(&w.raw);
                    all.corrected.merge(&w.corrected);
                    intervals.extend(w.interval);
                    all.errors += w.errors;
                    all.missed += w.missed;
                    all.late += w.late;
                    if all.first_error.is_none() {
                        all.first_error = w.first_error;
                    }
                }
                Err(e) => {
                    all.errors += 1;
                    all.first_error.get_or_insert_with(|| e.to_string());
                }
            }
        }
        (all, intervals)
    }
}

/// Closed-loop SendMessage phase: `concurrency` workers, each on its own keep-alive connection,
/// send back to back until `duration` has passed. Next to the raw latencies it reports them
/// corrected for coordinated omission ([`CorrectedLatency`]).
pub async fn run_send(target: &Endpoint, config: &LoadConfig) -> SendReport {
    let start = Instant::now();
    let end = start + config.duration;
    let mut set = JoinSet::new();
    config.live.begin(Phase::Send);
    for w in 0..config.concurrency.max(1) {
        let target = target.clone();
        let binding = config.binding;
        let timeout = config.request_timeout;
        let live = config.live.clone();
        set.spawn(async move {
            let hist = live.worker();
            let mut errors = 0u64;
            let mut first_error = None;
            let mut req =
                send_message(&target, binding, "echo load", false).with_counter((w as u64) << 40);
            let mut conn = match Conn::connect(target.addr, timeout).await {
                Ok(c) => c,
                Err(e) => {
                    live.error();
                    return Worker {
                        errors: 1,
                        first_error: Some(e.to_string()),
                        ..Worker::default()
                    };
                }
            };
            while Instant::now() < end {
                let t0 = Instant::now();
                match exchange(&mut conn, &mut req, binding, &live, &mut first_error).await {
                    Ok(()) => locked(&hist).record_duration(t0.elapsed()),
                    Err(gone) => {
                        errors += 1;
                        if gone {
                            break;
                        }
                    }
                }
            }
            let raw = locked(&hist).clone();
            let interval =
                (raw.count() > 0).then(|| Duration::from_nanos(raw.quantile(0.5).max(1)));
            let corrected = interval.map_or_else(Histogram::default, |i| raw.corrected(i));
            Worker {
                raw,
                corrected,
                interval,
                errors,
                first_error,
                ..Worker::default()
            }
        });
    }
    let (all, intervals) = Worker::join_all(&mut set).await;
    let mean_interval = if intervals.is_empty() {
        Duration::ZERO
    } else {
        intervals.iter().sum::<Duration>() / intervals.len() as u32
    };
    SendReport {
        concurrency: config.concurrency.max(1),
        ok: all.raw.count(),
        errors: all.errors,
        first_error: all.first_error,
        elapsed: start.elapsed(),
        latency: all.raw.summary(),
        latency_corrected: Some(CorrectedLatency {
            latency: all.corrected.summary(),
            mean_interval,
        }),
        open_loop: None,
    }
}

/// Requests per second `--rate` accepts: above this the timetable is finer than the clock.
pub const MAX_RATE: f64 = 1_000_000.0;

/// Open-loop SendMessage phase: `rate` requests per second on a fixed timetable, slot `i` at
/// `i / rate` seconds after the start, dealt round-robin over `concurrency` keep-alive
/// connections (connection `c` takes slots `c`, `c + concurrency`, …). A send waits for its slot,
/// never for the answers to other connections' requests, so a stall is recorded once per request
/// it held up (no coordinated omission).
///
/// Latency runs from each request's **intended send time**: when the connection was still
/// waiting for its previous answer at that time, the send is *late* and the wait is part of its
/// latency. When the connection was idle, the send waited for its slot and latency runs from the
/// moment it went out, so the generator's own timer lag (tokio timers tick in milliseconds) is
/// not charged to the server. Slots whose connection is still behind when the phase ends, or
/// whose connection broke, are *missed*; every other slot is counted as ok or as an error.
/// The hot path only rewrites the pre-serialized request's counter and records into the
/// connection's histogram: nothing is allocated per request.
pub async fn run_open(target: &Endpoint, config: &LoadConfig, rate: f64) -> SendReport {
    let rate = rate.clamp(f64::MIN_POSITIVE, MAX_RATE);
    let connections = config.concurrency.max(1);
    let scheduled = (config.duration.as_secs_f64() * rate).ceil() as u64;
    let nanos_per_slot = 1e9 / rate;
    // Connect first, so the timetable starts with every connection ready.
    let mut connecting = JoinSet::new();
    for c in 0..connections {
        let addr = target.addr;
        let timeout = config.request_timeout;
        connecting.spawn(async move { (c, Conn::connect(addr, timeout).await) });
    }
    let mut conns = Vec::with_capacity(connections);
    while let Some(res) = connecting.join_next().await {
        if let Ok(pair) = res {
            conns.push(pair);
        }
    }
    let start = Instant::now();
    let end = start + config.duration;
    config.live.begin(Phase::Send);
    let mut set = JoinSet::new();
    for (c, conn) in conns {
        let binding = config.binding;
        let live = config.live.clone();
        let mut req =
            send_message(target, binding, "echo load", false).with_counter((c as u64) << 40);
        let step = connections as u64;
        // Slots of this connection from `i` on.
        let left = move |i: u64| {
            if i < scheduled {
                (scheduled - 1 - i) / step + 1
            } else {
                0
            }
        };
        set.spawn(async move {
            let hist = live.worker();
            let (mut errors, mut missed, mut late) = (0u64, 0u64, 0u64);
            let mut first_error = None;
            let mut conn = match conn {
                Ok(conn) => conn,
                Err(e) => {
                    // Its first slot is the error; the rest are missed.
                    let slots = left(c as u64);
                    if slots > 0 {
                        live.error();
                    }
                    let errors = slots.min(1);
                    return Worker {
                        errors,
                        missed: slots - errors,
                        first_error: Some(e.to_string()),
                        ..Worker::default()
                    };
                }
            };
            let mut free_at = start;
            let mut i = c as u64;
            while i < scheduled {
                let intended = start + Duration::from_nanos((i as f64 * nanos_per_slot) as u64);
                let from = if free_at > intended {
                    if free_at >= end {
                        missed += left(i);
                        break;
                    }
                    late += 1;
                    intended
                } else {
                    if Instant::now() < intended {
                        tokio::time::sleep_until(intended.into()).await;
                    }
                    Instant::now()
                };
                match exchange(&mut conn, &mut req, binding, &live, &mut first_error).await {
                    Ok(()) => locked(&hist).record_duration(from.elapsed()),
                    Err(gone) => {
                        errors += 1;
                        if gone {
                            missed += left(i + step);
                            break;
                        }
                    }
                }
                free_at = Instant::now();
                i += step;
            }
            let raw = locked(&hist).clone();
            Worker {
                raw,
                errors,
                missed,
                late,
                first_error,
                ..Worker::default()
            }
        });
    }
    let (all, _) = Worker::join_all(&mut set).await;
    SendReport {
        concurrency: connections,
        ok: all.raw.count(),
        errors: all.errors,
        first_error: all.first_error,
        elapsed: start.elapsed(),
        latency: all.raw.summary(),
        latency_corrected: None,
        open_loop: Some(OpenLoop {
            rate,
            scheduled,
            missed: all.missed,
            late: all.late,
        }),
    }
}

/// Streaming phase: `streams` workers each open `stream N 0` streams back to back and drain them
/// until `duration` has passed (a stream started before the end is drained, within its deadline).
pub async fn run_streams(target: &Endpoint, config: &LoadConfig) -> StreamReport {
    let start = Instant::now();
    let end = start + config.duration;
    // task + WORKING + N chunks + COMPLETED.
    let expected = u64::from(config.events) + 3;
    let mut set = JoinSet::new();
    config.live.begin(Phase::Stream);
    for w in 0..config.streams.max(1) {
        let target = target.clone();
        let binding = config.binding;
        let text = format!("stream {} 0", config.events);
        let request_timeout = config.request_timeout;
        let stream_timeout = config.stream_timeout;
        let live = config.live.clone();
        set.spawn(async move {
            let hist = live.worker();
            let (mut events, mut bytes, mut errors) = (0u64, 0u64, 0u64);
            let mut first_error = None;
            let mut req = stream_message(&target, binding, &text).with_counter((w as u64) << 40);
            let mut conn = match Conn::connect(target.addr, request_timeout).await {
                Ok(c) => c,
                Err(e) => {
                    live.error();
                    return (Histogram::default(), 0, 0, 1, Some(e.to_string()));
                }
            };
            while Instant::now() < end {
                let t0 = Instant::now();
                match conn.stream(req.next_request(), stream_timeout).await {
                    Ok(o) => {
                        events += o.events;
                        bytes += o.bytes;
                        live.events(o.events);
                        if o.head.status == 200 && o.head.event_stream && o.events >= expected {
                            locked(&hist).record_duration(t0.elapsed());
                        } else {
                            errors += 1;
                            live.error();
                            first_error.get_or_insert_with(|| {
                                format!(
                                    "HTTP {} ({}), {} events where {} were expected",
                                    o.head.status,
                                    if o.head.event_stream {
                                        "text/event-stream"
                                    } else {
                                        "not a stream"
                                    },
                                    o.events,
                                    expected
                                )
                            });
                        }
                    }
                    Err(e) => {
                        errors += 1;
                        live.error();
                        first_error.get_or_insert_with(|| e.to_string());
                        if matches!(e, WireError::Connect { .. }) {
                            break;
                        }
                    }
                }
            }
            let hist = locked(&hist).clone();
            (hist, events, bytes, errors, first_error)
        });
    }
    let mut hist = Histogram::default();
    let (mut events, mut bytes, mut errors) = (0, 0, 0);
    let mut first_error = None;
    while let Some(res) = set.join_next().await {
        match res {
            Ok((h, ev, by, er, f)) => {
                hist.merge(&h);
                events += ev;
                bytes += by;
                errors += er;
                if first_error.is_none() {
                    first_error = f;
                }
            }
            Err(e) => {
                errors += 1;
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    StreamReport {
        streams: config.streams.max(1),
        events_per_stream: config.events,
        completed: hist.count(),
        errors,
        first_error,
        events,
        bytes,
        elapsed: start.elapsed(),
        stream_time: hist.summary(),
    }
}

/// Discovers `url`, checks it with one SendMessage, then runs both phases: SendMessage in the
/// open loop when [`LoadConfig::rate`] is set, else in the closed loop, and the streaming phase
/// only when the card advertises streaming and the test agent.
pub async fn run(url: &str, config: &LoadConfig) -> Result<LoadReport, WireError> {
    let found = discover(url, config.request_timeout).await?;
    let target = found.target(config.binding).clone();
    preflight(&target, config.binding, config.request_timeout).await?;
    let send = match config.rate {
        Some(rate) => run_open(&target, config, rate).await,
        None => run_send(&target, config).await,
    };
    let (stream, stream_skipped) = if config.streams == 0 {
        (None, Some("--streams 0".to_owned()))
    } else if !found.test_agent {
        (
            None,
            Some(format!(
                "the agent card does not list the `{TEST_AGENT_SKILL}` skill"
            )),
        )
    } else if !found.streaming {
        (
            None,
            Some("the agent card does not advertise streaming".to_owned()),
        )
    } else {
        (Some(run_streams(&target, config).await), None)
    };
    Ok(LoadReport {
        target: format!("{}{}", target.origin(), target.path),
        binding: config.binding,
        send,
        stream,
        stream_skipped,
    })
}

// ---------------------------------------------------------------------------------------------
