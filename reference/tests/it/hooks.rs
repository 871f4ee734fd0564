//! Webhook receivers that misbehave in ways a plain mock cannot: one that closes the connection
//! right after its 2xx answer, and one that speaks TLS with a generated certificate. Both record
//! what they receive and wake waiters on every delivery, so tests wait on a signal, never a sleep.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// What a receiver saw: delivered bodies (as JSON) and failed TLS handshakes.
#[derive(Default)]
pub struct Record {
    bodies: Mutex<Vec<Value>>,
    handshake_failures: Mutex<Vec<String>>,
    notify: Notify,
}

impl Record {
    /// Every delivered body so far.
    pub fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().unwrap().clone()
    }

    /// TLS handshakes that failed so far, with the error.
    pub fn handshake_failures(&self) -> Vec<String> {
        self.handshake_failures.lock().unwrap().clone()
    }

    fn push(&self, body: &[u8]) {
        let v = serde_json::from_slice(body).unwrap_or(Value::Null);
        self.bodies.lock().unwrap().push(v);
        self.notify.notify_waiters();
    }

    fn handshake_failed(&self, why: String) {
        self.handshake_failures.lock().unwrap().push(why);
        self.notify.notify_waiters();
    }

    /// Waits until `pred` holds or `deadline` passes; true when it held.
    pub async fn wait(&self, pred: impl Fn(&Record) -> bool, deadline: Duration) -> bool {
        let until = tokio::time::Instant::now() + deadline;
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if pred(self) {
                return true;
            }
            if tokio::time::timeout_at(until, notified).await.is_err() {
                return pred(self);
            }
        }
    }
}

/// True when `v` is a terminal status update.
pub fn is_terminal(v: &Value) -> bool {
    matches!(
        v["statusUpdate"]["status"]["state"].as_str(),
        Some("TASK_STATE_COMPLETED" | "TASK_STATE_FAILED" | "TASK_STATE_CANCELED")
    )
}

/// A receiver on 127.0.0.1:0 that reads one request per connection, answers `200` (no
/// `Connection: close`) and closes the connection at once.
pub async fn closing_receiver() -> (SocketAddr, Arc<Record>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let record = Arc::new(Record::default());
    let rec = record.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let rec = rec.clone();
            tokio::spawn(async move {
                if let Some(body) = read_request(tcp).await {
                    rec.push(&body);
                }
            });
        }
    });
    (addr, record)
}

/// Reads one request with a `Content-Length` body, answers 200 and closes; the body, if whole.
async fn read_request(mut tcp: TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = tcp.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())?;
    while buf.len() < head_end + len {
        let n = tcp.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    tcp.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
        .await
        .ok()?;
    let _ = tcp.shutdown().await;
    Some(buf[head_end..head_end + len].to_vec())
}

/// A generated CA and a certificate it issued for `127.0.0.1` and `localhost`.
pub struct TestPki {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key: Vec<u8>,
}

impl TestPki {
    /// Generates a fresh CA and leaf.
    pub fn generate() -> Self {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "reference test CA");
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();
        TestPki {
            ca_pem: ca.pem(),
            chain: vec![leaf.der().clone(), ca.der().clone()],
            key: leaf_key.serialize_der(),
        }
    }
}

/// An HTTPS receiver on 127.0.0.1:0 presenting `pki`'s certificate; answers 200 to every POST.
pub async fn tls_receiver(pki: &TestPki) -> (SocketAddr, Arc<Record>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.key.clone()));
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(pki.chain.clone(), key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let record = Arc::new(Record::default());
    let rec = record.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, rec) = (acceptor.clone(), rec.clone());
            tokio::spawn(async move {
                let tls = match acceptor.accept(tcp).await {
                    Ok(t) => t,
                    Err(e) => return rec.handshake_failed(e.to_string()),
                };
                let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let rec = rec.clone();
                    async move {
                        let body = req.into_body().collect().await.map(|c| c.to_bytes());
                        rec.push(&body.unwrap_or_default());
                        Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::new())))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    (addr, record)
}
