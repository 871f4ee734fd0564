//! Shared helpers for the criterion benches: runtimes, servers on 127.0.0.1, persistent
//! keep-alive connections from [`gauntlet_load`], request loops timed with
//! `iter_custom`, and store filling for the data-volume group.
//!
//! The benches measure the reference through `gauntlet-load` and `gauntlet-wire` only; they
//! must never import the oracle (`gauntlet-conformance`), which judges and does not measure.
//!
//! Every request loop here is bounded by the iteration count criterion asks for, and every
//! exchange by a deadline, so a misbehaving server fails a bench instead of hanging it.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use gauntlet_load::{self as load, Binding, Conn, Endpoint, OpenStream, RequestTemplate};
use gauntlet_reference::{Server, ServerHandle};
use serde_json::Value;
use tokio::runtime::Runtime;

pub use gauntlet_load::BareServer;

/// Deadline for connecting and for one request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Deadline for draining one whole stream.
pub const STREAM_TIMEOUT: Duration = Duration::from_secs(60);

/// Whether criterion runs in `--test` mode (each bench once, as a smoke check): heavy setup
/// (store fills) is scaled down so CI stays quick.
pub fn smoke() -> bool {
    std::env::args().any(|a| a == "--test")
}

/// A current-thread runtime: client and server share one thread, so every wakeup is local and
/// the timing has no cross-thread handoffs (no bimodal distribution from parked workers).
pub fn current_thread() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
}

/// A multi-thread runtime with `workers` workers, for benches whose point is parallelism.
pub fn multi_thread(workers: usize) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("a multi-thread runtime")
}

/// The loopback address with an ephemeral port.
pub fn loopback() -> SocketAddr {
    ([127, 0, 0, 1], 0).into()
}

/// Starts the reference server (default configuration) on `rt`.
pub fn start_reference(rt: &Runtime) -> ServerHandle {
    rt.block_on(Server::builder().bind(loopback()))
        .expect("the reference server binds 127.0.0.1:0")
}

/// Starts the bare hyper baseline on `rt`.
pub fn start_bare(rt: &Runtime) -> BareServer {
    rt.block_on(BareServer::bind(loopback()))
        .expect("the bare server binds 127.0.0.1:0")
}

/// Opens one persistent keep-alive connection to `addr`.
pub fn connect(rt: &Runtime, addr: SocketAddr) -> Conn {
    rt.block_on(Conn::connect(addr, REQUEST_TIMEOUT))
        .expect("a connection to the server")
}

/// Sends one request and returns the parsed JSON body, panicking with the raw answer when it is
/// not a 2xx JSON answer (used in setup and warm-up, never in a measured loop).
pub async fn call_json(conn: &mut Conn, req: &[u8]) -> Value {
    let (head, body) = conn.request(req).await.expect("an answer");
    let value: Value = serde_json::from_slice(body).unwrap_or_else(|_| {
        panic!(
            "HTTP {} with a non-JSON body: {}",
            head.status,
            String::from_utf8_lossy(body)
        )
    });
    assert!(
        (200..300).contains(&head.status),
        "HTTP {}: {value}",
        head.status
    );
    value
}

/// The success payload of a JSON answer (`result` for JSON-RPC, the body for REST); panics on
/// a JSON-RPC error.
pub fn result(binding: Binding, value: Value) -> Value {
    match binding {
        Binding::JsonRpc => {
            assert!(value.get("error").is_none(), "JSON-RPC error: {value}");
            value["result"].clone()
        }
        Binding::Rest => value,
    }
}

/// The task id in a SendMessage result (`{"task": {...}}`) or a bare Task.
pub fn task_id(result: &Value) -> String {
    let task = result.get("task").unwrap_or(result);
    task["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no task id in {result}"))
        .to_owned()
}

/// The task state in a SendMessage result or a bare Task.
pub fn task_state(result: &Value) -> &str {
    let task = result.get("task").unwrap_or(result);
    task["status"]["state"].as_str().unwrap_or("")
}

/// Times `iters` back-to-back requests on one connection; each answer must be a 2xx (and, for
/// `expect`, contain that byte string). This is the measured loop of every request bench.
pub async fn time_requests(
    conn: &mut Conn,
    req: &mut RequestTemplate,
    iters: u64,
    expect: Expect,
) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let (head, body) = conn
            .request(black_box(req.next_request()))
            .await
            .expect("an answer");
        check(head.status, body, expect);
        black_box(body);
    }
    start.elapsed()
}

/// What a measured answer must look like.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    /// A 2xx answer containing these bytes.
    Ok(&'static [u8]),
    /// A 2xx or 4xx answer (bindings differ) containing these bytes.
    Error(&'static [u8]),
}

/// Panics unless the answer fits `expect`.
fn check(status: u16, body: &[u8], expect: Expect) {
    let (ok_status, needle) = match expect {
        Expect::Ok(n) => ((200..300).contains(&status), n),
        Expect::Error(n) => ((200..500).contains(&status), n),
    };
    assert!(
        ok_status && load::find(body, needle).is_some(),
        "HTTP {status} without `{}`: {}",
        String::from_utf8_lossy(needle),
        String::from_utf8_lossy(body)
    );
}

/// Sends one request and checks its answer like [`time_requests`] does.
pub async fn expect_ok(conn: &mut Conn, req: &[u8], expect: Expect) {
    let (head, body) = conn.request(req).await.expect("an answer");
    check(head.status, body, expect);
    black_box(body);
}

/// Sends one request once and checks it like [`time_requests`] does (warm-up and smoke check).
pub async fn warm(conn: &mut Conn, req: &mut RequestTemplate, n: u64, expect: Expect) {
    time_requests(conn, req, n, expect).await;
}

/// Drains one stream and returns its event count (panics unless it is a complete SSE stream of
/// at least `min_events`).
pub async fn drain_stream(conn: &mut Conn, req: &[u8], min_events: u64) -> u64 {
    let o = conn.stream(req, STREAM_TIMEOUT).await.expect("a stream");
    assert!(
        o.head.status == 200 && o.head.event_stream,
        "HTTP {} (event stream: {})",
        o.head.status,
        o.head.event_stream
    );
    assert!(
        o.events >= min_events,
        "{} events where at least {min_events} were expected",
        o.events
    );
    o.events
}

/// Times `iters` streams drained one after another on `conn` (a criterion `iter_custom` body).
pub fn time_streams(
    rt: &Runtime,
    conn: &mut Conn,
    req: &mut RequestTemplate,
    want: u64,
    iters: u64,
) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(drain_stream(conn, black_box(req.next_request()), want).await);
        }
        start.elapsed()
    })
}

/// Opens a stream and reads its first event, returning it with the parsed first event's data.
pub async fn open_stream(conn: &mut Conn, req: &[u8]) -> (OpenStream, Value) {
    let mut open = conn.open(req).await.expect("a stream");
    assert!(
        open.head.status == 200 && open.head.event_stream,
        "HTTP {} (event stream: {})",
        open.head.status,
        open.head.event_stream
    );
    conn.read_until(&mut open, 1, STREAM_TIMEOUT)
        .await
        .expect("the first event");
    let first = open.counter.first_data().expect("a first event");
    let value = serde_json::from_slice(&first).expect("a JSON first event");
    (open, value)
}

/// Events of one `stream N 0` run: task, WORKING, N chunks, COMPLETED.
pub fn stream_events(n: u64) -> u64 {
    n + 3
}

/// Sends `count` SendMessages with the test-agent `command` over `workers` connections, in
/// contexts of ~100 tasks each; returns the new task ids and context ids.
pub fn fill(
    rt: &Runtime,
    target: &Endpoint,
    command: &str,
    count: usize,
    first: usize,
    workers: usize,
) -> (Vec<String>, Vec<String>) {
    rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        let per = count.div_ceil(workers);
        for w in 0..workers {
            let target = target.clone();
            let command = command.to_owned();
            let range = (first + w * per)..(first + ((w + 1) * per).min(count));
            set.spawn(async move {
                let mut conn = Conn::connect(target.addr, REQUEST_TIMEOUT)
                    .await
                    .expect("a connection");
                let mut ids = Vec::with_capacity(range.len());
                for i in range {
                    let params = serde_json::json!({
                        "message": {
                            "messageId": format!("fill-{i}"),
                            "contextId": context_of(i),
                            "role": "ROLE_USER",
                            "parts": [{"text": format!("{command} stored task {i}")}]
                        }
                    });
                    let req = load::jsonrpc(&target, "SendMessage", params);
                    let v = result(Binding::JsonRpc, call_json(&mut conn, &req).await);
                    ids.push(task_id(&v));
                }
                ids
            });
        }
        let mut ids = Vec::with_capacity(count);
        while let Some(r) = set.join_next().await {
            ids.extend(r.expect("a fill worker"));
        }
        let contexts = (first..first + count)
            .step_by(100)
            .map(context_of)
            .collect();
        (ids, contexts)
    })
}

/// The context id of the `i`-th stored task (100 consecutive tasks share a context).
pub fn context_of(i: usize) -> String {
    format!("ctx-{}", i / 100)
}

/// Evicts CPU caches by writing and reading a buffer much larger than any last-level cache.
pub fn disturb_caches() {
    let mut buf = vec![0u8; 64 * 1024 * 1024];
    for (i, b) in buf.iter_mut().enumerate().step_by(64) {
        *b = i as u8;
    }
    let sum: u64 = buf.iter().step_by(64).map(|&b| u64::from(b)).sum();
    black_box(sum);
}

/// A small deterministic pseudo-random sequence (xorshift64*), for varied keys without a
/// dependency.
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    /// Seeded generator (seed 0 is replaced by a constant).
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// Next value below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    }
}

/// A set of pre-serialized requests cycled through in order.
#[derive(Debug)]
pub struct Cycle {
    reqs: Vec<Vec<u8>>,
    next: usize,
}

impl Cycle {
    /// Wraps a non-empty list of requests.
    pub fn new(reqs: Vec<Vec<u8>>) -> Self {
        assert!(!reqs.is_empty());
        Self { reqs, next: 0 }
    }

    /// The next request.
    pub fn next_req(&mut self) -> &[u8] {
        let r = &self.reqs[self.next];
        self.next = (self.next + 1) % self.reqs.len();
        r
    }
}

/// Times `iters` requests cycling through `reqs` (each answer must be a 2xx containing `expect`).
pub async fn time_cycle(conn: &mut Conn, reqs: &mut Cycle, iters: u64, expect: Expect) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let (head, body) = conn
            .request(black_box(reqs.next_req()))
            .await
            .expect("an answer");
        check(head.status, body, expect);
        black_box(body);
    }
    start.elapsed()
}

/// The target at the root of a server address.
pub fn target(addr: SocketAddr) -> Endpoint {
    Endpoint::from_addr(addr)
}
