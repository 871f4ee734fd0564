//! Webhook receivers that misbehave. The recording and scripted answers (5xx, `Retry-After`,
//! stalls, redirects, accepting duplicates) come from [`gauntlet_conformance::webhook`]; this
//! adds what it lacks: connections reset (RST) before any answer, by putting a
//! [`FaultProxy`] in front of it for the first few connections, and
//! [`WebhookFront`]s: one that closes every connection right after relaying the answer, one that
//! speaks TLS with a certificate from a CA the suite generates per run ([`suite_ca_pem`]).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub use gauntlet_conformance::webhook::{Delivery, Scripted, WebhookReceiver};

use crate::errors::ChaosError;
use crate::proxy::{Direction, FaultPlan, FaultProxy, Trigger};

/// A recording webhook receiver whose first `reset_first` connections are reset as soon as the
/// sender's request starts, and which then answers from a script.
pub struct FaultyWebhook {
    receiver: WebhookReceiver,
    proxy: FaultProxy,
}

impl FaultyWebhook {
    /// Starts the receiver (answering `script`, then 200) behind a proxy that resets the first
    /// `reset_first` connections.
    pub async fn start(script: Vec<Scripted>, reset_first: usize) -> Result<Self, ChaosError> {
        let receiver = WebhookReceiver::with_script(script)
            .await
            .map_err(|e| ChaosError::io("start webhook receiver", &e))?;
        let plan = FaultPlan {
            direction: Direction::ToServer,
            reset: Some(Trigger::Bytes(0)),
            faulty_connections: Some(reset_first),
            ..FaultPlan::default()
        };
        let proxy = FaultProxy::start(receiver.addr(), plan).await?;
        Ok(FaultyWebhook { receiver, proxy })
    }

    /// The webhook URL to configure (through the resetting front).
    pub fn url(&self) -> String {
        format!("http://{}/webhook", self.proxy.addr())
    }

    /// Connections the front reset so far.
    pub fn resets(&self) -> usize {
        self.proxy
            .stats()
            .resets
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Connections the server opened to the webhook so far (reset ones included).
    pub fn connections(&self) -> usize {
        self.proxy
            .stats()
            .connections
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The recording receiver behind the front.
    pub fn receiver(&self) -> &WebhookReceiver {
        &self.receiver
    }
}

/// Connections a [`WebhookFront`] handled, for reports.
#[derive(Debug, Default)]
pub struct FrontStats {
    /// Connections the server opened to the front.
    pub connections: AtomicUsize,
    /// Connections the front closed right after relaying an answer.
    pub closed_after_answer: AtomicUsize,
    /// TLS handshakes that failed, with the error (e.g. the server refused the certificate).
    tls_failures: Mutex<Vec<String>>,
}

impl FrontStats {
    /// The failed TLS handshakes so far.
    pub fn tls_failures(&self) -> Vec<String> {
        self.tls_failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// A front on 127.0.0.1:0 that relays to a [`WebhookReceiver`] (which records and answers),
/// changing how the connection behaves. Dropping it stops it.
pub struct WebhookFront {
    addr: SocketAddr,
    scheme: &'static str,
    stats: Arc<FrontStats>,
    task: JoinHandle<()>,
}

impl WebhookFront {
    /// Relays one request per connection and closes the connection (FIN) as soon as the
    /// answer's head has gone back, with no `Connection: close` announcing it: a receiver that
    /// closes after every 2xx. The receiver's answers have no body, so the head is all of it.
    pub async fn close_after_answer(receiver: &WebhookReceiver) -> Result<Self, ChaosError> {
        Self::start(receiver.addr(), "http", None).await
    }

    /// Terminates TLS with a certificate for `127.0.0.1` and `localhost` issued by the suite's
    /// CA ([`suite_ca_pem`]), then relays in plain HTTP.
    pub async fn tls(receiver: &WebhookReceiver) -> Result<Self, ChaosError> {
        let pki = suite_pki()?;
        let acceptor = tokio_rustls::TlsAcceptor::from(pki.server.clone());
        Self::start(receiver.addr(), "https", Some(acceptor)).await
    }

    async fn start(
        upstream: SocketAddr,
        scheme: &'static str,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> Result<Self, ChaosError> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| ChaosError::io("bind webhook front", &e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| ChaosError::io("webhook front address", &e))?;
        let stats = Arc::new(FrontStats::default());
        let st = stats.clone();
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((tcp, _)) = listener.accept().await {
                st.connections.fetch_add(1, Ordering::Relaxed);
                let st = st.clone();
                match tls.clone() {
                    Some(acceptor) => conns.spawn(relay_tls(tcp, acceptor, upstream, st)),
                    None => conns.spawn(relay_one_answer(tcp, upstream, st)),
                };
            }
        });
        Ok(WebhookFront {
            addr,
            scheme,
            stats,
            task,
        })
    }

    /// The webhook URL to configure.
    pub fn url(&self) -> String {
        format!("{}://{}/webhook", self.scheme, self.addr)
    }

    /// What the front saw.
    pub fn stats(&self) -> &FrontStats {
        &self.stats
    }
}

impl Drop for WebhookFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay_one_answer(client: TcpStream, upstream: SocketAddr, stats: Arc<FrontStats>) {
    let Ok(up) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut cr, mut cw) = client.into_split();
    let (mut ur, mut uw) = up.into_split();
    let to_receiver = tokio::io::copy(&mut cr, &mut uw);
    let to_server = async {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = ur.read(&mut buf).await.unwrap_or(0);
            if n == 0 || cw.write_all(&buf[..n]).await.is_err() {
                return false;
            }
            seen.extend_from_slice(&buf[..n]);
            if seen.windows(4).any(|w| w == b"\r\n\r\n") {
                return true;
            }
        }
    };
    let answered = tokio::select! {
        _ = to_receiver => false,
        a = to_server => a,
    };
    let _ = cw.shutdown().await;
    if answered {
        stats.closed_after_answer.fetch_add(1, Ordering::Relaxed);
    }
}

async fn relay_tls(
    tcp: TcpStream,
    acceptor: tokio_rustls::TlsAcceptor,
    upstream: SocketAddr,
    stats: Arc<FrontStats>,
) {
    let mut tls = match acceptor.accept(tcp).await {
        Ok(t) => t,
        Err(e) => {
            let mut failures = stats.tls_failures.lock().unwrap_or_else(|p| p.into_inner());
            failures.push(e.to_string());
            return;
        }
    };
    if let Ok(mut up) = TcpStream::connect(upstream).await {
        let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
    }
}

/// The run's CA and the TLS settings of every [`WebhookFront::tls`].
struct SuitePki {
    ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

fn suite_pki() -> Result<&'static SuitePki, ChaosError> {
    static PKI: OnceLock<Result<SuitePki, String>> = OnceLock::new();
    PKI.get_or_init(generate_pki)
        .as_ref()
        .map_err(|e| ChaosError::Io {
            context: "generate the webhook certificate".into(),
            reason: e.clone(),
        })
}

/// The PEM of the CA that issues the TLS webhook's certificate, generated once per process. A
/// server under test must trust it for the https webhook scenario (the reference:
/// `Config::trust_webhook_ca_pem`, `gauntlet serve --webhook-ca FILE`).
pub fn suite_ca_pem() -> Result<&'static str, ChaosError> {
    suite_pki().map(|p| p.ca_pem.as_str())
}

fn generate_pki() -> Result<SuitePki, String> {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let e = |e: rcgen::Error| e.to_string();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(
        rcgen::DnType::CommonName,
        "A2A Gauntlet webhook CA (this run only)",
    );
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().map_err(e)?)
        .map_err(e)?;
    let leaf_key = rcgen::KeyPair::generate().map_err(e)?;
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .map_err(e)?
        .signed_by(&leaf_key, &ca)
        .map_err(e)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone(), ca.der().clone()], key)
        .map_err(|e| e.to_string())?;
    Ok(SuitePki {
        ca_pem: ca.pem(),
        server: Arc::new(server),
    })
}

/// Gaps between consecutive deliveries.
pub fn intervals(deliveries: &[Delivery]) -> Vec<Duration> {
    deliveries
        .windows(2)
        .map(|w| w[1].at.saturating_duration_since(w[0].at))
        .collect()
}

/// Deliveries in arrival order, one `event→answered status` each, for evidence texts.
pub fn outline(ds: &[Delivery]) -> String {
    ds.iter()
        .map(|d| format!("{}→{}", event_key(d), d.answered))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether some delivery of the event `key` ([`event_key`]) was acknowledged with a 2xx.
pub fn acked(ds: &[Delivery], key: &str) -> bool {
    ds.iter()
        .any(|d| (200..300).contains(&d.answered) && event_key(d) == key)
}

/// Whether a terminal state was acknowledged, as a status update or as the task itself.
pub fn terminal_acked(ds: &[Delivery]) -> bool {
    gauntlet_conformance::spec::TERMINAL_STATES
        .iter()
        .any(|state| acked(ds, &format!("status:{state}")) || acked(ds, &format!("task:{state}")))
}

/// The identity of a delivered event, to tell retries of one event from distinct events: the
/// StreamResponse member plus the state or artifact chunk it carries.
pub fn event_key(d: &Delivery) -> String {
    let Some(v) = &d.json else {
        return format!("raw:{}", String::from_utf8_lossy(&d.body));
    };
    if let Some(u) = v.get("statusUpdate") {
        format!("status:{}", u["status"]["state"].as_str().unwrap_or("?"))
    } else if let Some(u) = v.get("artifactUpdate") {
        let a = &u["artifact"];
        match crate::a2a::whole_number(&a["parts"][0]["data"]["seq"]) {
            Some(s) => format!("artifact:{}#{s}", a["artifactId"].as_str().unwrap_or("?")),
            None => format!("artifact:{}", a["artifactId"].as_str().unwrap_or("?")),
        }
    } else if let Some(t) = v.get("task") {
        format!("task:{}", t["status"]["state"].as_str().unwrap_or("?"))
    } else {
        format!("other:{v}")
    }
}
