//! A bare hyper server answering the load's requests with canned bytes: the ceiling of what the
//! generator and hyper alone can do on this machine.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

// Bare hyper server
// ---------------------------------------------------------------------------------------------

/// The canned completed task every bare SendMessage answer carries.
fn canned_task() -> Value {
    json!({
        "id": "00000000-0000-4000-8000-000000000001",
        "contextId": "00000000-0000-4000-8000-000000000002",
        "status": {"state": "TASK_STATE_COMPLETED", "timestamp": "2026-01-01T00:00:00.000Z"},
        "artifacts": [{"artifactId": "echo", "name": "echo", "parts": [{"text": "echo: echo load"}]}],
        "history": [{"messageId": "load-0000000000000000",
                     "contextId": "00000000-0000-4000-8000-000000000002",
                     "taskId": "00000000-0000-4000-8000-000000000001",
                     "role": "ROLE_USER", "parts": [{"text": "echo load"}]}]
    })
}

struct Canned {
    jsonrpc: Bytes,
    rest: Bytes,
    card: Bytes,
}

/// A trivial hyper 1 HTTP/1.1 server that reads each request body and answers SendMessage on
/// both bindings (`POST /` and `POST /message:send`) with one canned completed task; the agent
/// card names both interfaces and no test-agent skill. It shows what the load generator and
/// hyper alone can do on this machine, the ceiling for any server measured the same way.
pub struct BareServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl BareServer {
    /// Binds `addr` (port 0 for an ephemeral port) and starts serving on the current runtime.
    pub async fn bind(addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        let task = canned_task();
        let canned = std::sync::Arc::new(Canned {
            jsonrpc: Bytes::from(
                json!({"jsonrpc": "2.0", "id": 1, "result": {"task": task}}).to_string(),
            ),
            rest: Bytes::from(json!({"task": task}).to_string()),
            card: Bytes::from(
                json!({
                    "name": "Bare hyper baseline",
                    "description": "Canned SendMessage answers",
                    "version": "0.0.0",
                    "supportedInterfaces": [
                        {"url": base, "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
                        {"url": base, "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0"}
                    ],
                    "capabilities": {"streaming": false},
                    "defaultInputModes": ["text/plain"],
                    "defaultOutputModes": ["text/plain"],
                    "skills": []
                })
                .to_string(),
            ),
        });
        let task = tokio::spawn(async move {
            let mut conns = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let _ = stream.set_nodelay(true);
                        let canned = canned.clone();
                        conns.spawn(async move {
                            let service = hyper::service::service_fn(move |req| {
                                bare_answer(canned.clone(), req)
                            });
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                                .await;
                        });
                    }
                    Some(_) = conns.join_next(), if !conns.is_empty() => {}
                }
            }
        });
        Ok(Self { addr, task })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<local_addr>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting and drops every connection.
    pub async fn shutdown(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for BareServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn bare_answer(
    canned: std::sync::Arc<Canned>,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    // Read the whole body, as any real server must.
    let _ = body.collect().await;
    let (status, ct, bytes) = match (parts.method.as_str(), parts.uri.path()) {
        ("POST", "/") => (200, "application/json", canned.jsonrpc.clone()),
        ("POST", "/message:send") => (200, "application/a2a+json", canned.rest.clone()),
        ("GET", "/.well-known/agent-card.json") => (200, "application/json", canned.card.clone()),
        _ => (404, "text/plain", Bytes::from_static(b"not found")),
    };
    let mut resp = hyper::Response::new(Full::new(bytes));
    *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(ct),
    );
    Ok(resp)
}
