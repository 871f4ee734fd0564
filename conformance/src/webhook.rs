//! A real webhook receiver on 127.0.0.1:0 that records every delivery (timestamp, headers,
//! body) and answers according to a script (e.g. 500 once, then 200). Used by the PUSH cases and,
//! with its misbehaviours, by chaos scenarios.
//!
//! Waiting is event-driven: every recorded delivery wakes [`WebhookReceiver::wait_for`] through a
//! `Notify`, so tests never poll or sleep to synchronise.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

/// One request the receiver got.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// When it arrived (monotonic, for backoff measurements).
    pub at: Instant,
    /// When it arrived (wall clock, for reports).
    pub wall: SystemTime,
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Headers (names lower-cased), in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Bytes,
    /// The body parsed as JSON, when it is JSON.
    pub json: Option<Value>,
    /// The status the receiver answered with.
    pub answered: u16,
}

impl Delivery {
    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One scripted answer. When the script is used up the receiver answers 200.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scripted {
    /// Status to answer with.
    pub status: u16,
    /// Extra headers (e.g. `Retry-After`).
    pub headers: Vec<(String, String)>,
    /// Wait this long before answering (a slow or hung receiver).
    pub stall: Option<Duration>,
}

impl Scripted {
    /// Answer with `status`, at once.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            stall: None,
        }
    }
    /// Adds a header to the answer.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
    /// Waits `d` before answering.
    pub fn stall(mut self, d: Duration) -> Self {
        self.stall = Some(d);
        self
    }
}

#[derive(Default)]
struct State {
    deliveries: Mutex<Vec<Delivery>>,
    script: Mutex<VecDeque<Scripted>>,
    notify: Notify,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A running webhook receiver. Dropping it stops it too; [`WebhookReceiver::shutdown`] also
/// waits until it has stopped.
pub struct WebhookReceiver {
    addr: SocketAddr,
    state: Arc<State>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl WebhookReceiver {
    /// Starts a receiver that answers 200 to everything.
    pub async fn start() -> std::io::Result<Self> {
        Self::with_script(Vec::new()).await
    }

    /// Starts a receiver that answers from `script` first, then 200.
    pub async fn with_script(script: Vec<Scripted>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::default());
        lock(&state.script).extend(script);
        let (stop, mut stopped) = watch::channel(false);
        let accept_state = state.clone();
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    accepted = listener.accept() => {
                        let Ok((tcp, _)) = accepted else { continue };
                        let state = accept_state.clone();
                        conns.spawn(async move {
                            let svc = service_fn(move |req| handle(state.clone(), req));
                            // A broken delivery connection is the sender's problem, not ours.
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(tcp), svc)
                                .await;
                        });
                    }
                }
            }
            conns.abort_all();
        });
        Ok(Self {
            addr,
            state,
            stop,
            task: Some(task),
        })
    }

    /// The receiver's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A webhook URL on this receiver (`http://127.0.0.1:port/webhook`).
    pub fn url(&self) -> String {
        self.url_for("/webhook")
    }

    /// A URL on this receiver with another path (to tell several configs apart).
    pub fn url_for(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Queues more scripted answers.
    pub fn script(&self, answers: impl IntoIterator<Item = Scripted>) {
        lock(&self.state.script).extend(answers);
    }

    /// Every delivery so far, in arrival order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.state.deliveries).clone()
    }

    /// Waits until `predicate` holds for the deliveries so far, or `deadline` passes.
    /// `Ok` carries the deliveries that satisfied it, `Err` those seen by the deadline.
    pub async fn wait_for(
        &self,
        predicate: impl Fn(&[Delivery]) -> bool,
        deadline: Duration,
    ) -> Result<Vec<Delivery>, Vec<Delivery>> {
        let until = tokio::time::Instant::now() + deadline;
        loop {
            let notified = self.state.notify.notified();
            tokio::pin!(notified);
            // Register before checking, so a delivery between check and wait is not missed.
            notified.as_mut().enable();
            {
                let seen = lock(&self.state.deliveries);
                if predicate(&seen) {
                    return Ok(seen.clone());
                }
            }
            if tokio::time::timeout_at(until, notified).await.is_err() {
                return Err(self.deliveries());
            }
        }
    }

    /// Stops accepting, closes open connections and waits for the receiver task.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn handle(
    state: Arc<State>,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let at = Instant::now();
    let wall = SystemTime::now();
    let method = req.method().as_str().to_owned();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned());
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    // A body that breaks off is recorded as what arrived.
    let body = req
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let json = serde_json::from_slice(&body).ok();
    let answer = lock(&state.script)
        .pop_front()
        .unwrap_or_else(|| Scripted::status(200));
    lock(&state.deliveries).push(Delivery {
        at,
        wall,
        method,
        path,
        headers,
        body,
        json,
        answered: answer.status,
    });
    state.notify.notify_waiters();
    if let Some(stall) = answer.stall {
        tokio::time::sleep(stall).await;
    }
    let mut resp = hyper::Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = http::StatusCode::from_u16(answer.status).unwrap_or(http::StatusCode::OK);
    for (n, v) in &answer.headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(n.as_bytes()),
            http::HeaderValue::from_str(v),
        ) {
            resp.headers_mut().append(n, v);
        }
    }
    Ok(resp)
}
