//! Push notifications (digest §8): config records, the SSRF guard, and webhook delivery.
//!
//! Each config of a live task owns one delivery queue and one worker, so every event reaches
//! every webhook in order, and a slow webhook delays only itself. The worker POSTs the
//! StreamResponse bytes (the same bytes a REST stream carries) over a fresh connection — plain
//! TCP for `http://`, TLS through hyper-rustls (webpki roots plus [`Config::webhook_ca`]) for
//! `https://` — with hyper's HTTP/1 client. It retries on 5xx, 408, 429, connect and TLS errors
//! and timeouts with doubling backoff, and re-checks before every attempt that the config still
//! exists and the server is not shutting down. A 2xx answer is a delivery, whatever the
//! receiver does with the connection afterwards.
//!
//! The SSRF guard (PUSH-012) reads a URL exactly as the delivery client does: one parser,
//! [`Target::parse`], WHATWG URL rules (`url` crate), so `0x7f000001`, `2130706433`, `127.1`
//! and `0177.0.0.1` are the IPv4 addresses they denote. Names are resolved (hosts file first,
//! then the system resolver) and every address must be public, IPv6 forms that carry an IPv4
//! address (mapped, compatible, NAT64, 6to4) being judged by that address. The guard runs at
//! registration and again before every delivery attempt, on the very addresses the attempt
//! connects to. Redirects are never followed (a 3xx is a refusal), so there is no later hop
//! that could lead inward.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use serde_json::{Map, Value};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tower_service::Service;
use url::{Host, Position};

use crate::config::{Config, Fault};
use crate::error::A2aError;
use crate::validate::{self, Obj};

/// The longest Retry-After we honour; a webhook cannot park a worker for longer.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// How long registration waits for the system resolver before leaving the check to delivery.
const RESOLVE_DEADLINE: Duration = Duration::from_secs(2);

/// A stored `TaskPushNotificationConfig`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PushConfig {
    pub(crate) id: String,
    pub(crate) task_id: String,
    pub(crate) url: String,
    pub(crate) token: Option<String>,
    /// `authentication.scheme` and `authentication.credentials`.
    pub(crate) auth: Option<(String, Option<String>)>,
    pub(crate) tenant: Option<String>,
}

impl PushConfig {
    /// Reads the flat 1.0 shape. `task_id` is the task it will belong to; a missing `id` gets a
    /// fresh one. `prefix` names fields in errors (e.g. `configuration.taskPushNotificationConfig.`).
    /// The URL goes through the SSRF guard unless `config` allows private webhooks.
    pub(crate) fn parse(
        m: &Obj,
        task_id: &str,
        prefix: &str,
        config: &Config,
    ) -> Result<Self, A2aError> {
        let f = |name: &str| format!("{prefix}{name}");
        let url = validate::req_str(m, "url", "url", &f("url"))?.to_owned();
        check_url(&url, Guard::new(config))
            .map_err(|why| A2aError::invalid_field(f("url"), why))?;
        let id = validate::opt_str(m, "id", "id", &f("id"))?
            .map(str::to_owned)
            .unwrap_or_else(crate::ids::new_id);
        let token = validate::opt_str(m, "token", "token", &f("token"))?.map(str::to_owned);
        let tenant = validate::opt_str(m, "tenant", "tenant", &f("tenant"))?.map(str::to_owned);
        let auth =
            match validate::opt_obj(m, "authentication", "authentication", &f("authentication"))? {
                None => None,
                Some(a) => {
                    let scheme =
                        validate::req_str(a, "scheme", "scheme", &f("authentication.scheme"))?;
                    if !scheme.bytes().all(|b| b.is_ascii_graphic()) {
                        return Err(A2aError::invalid_field(
                            f("authentication.scheme"),
                            "must be an HTTP authentication scheme token",
                        ));
                    }
                    let creds = validate::opt_str(
                        a,
                        "credentials",
                        "credentials",
                        &f("authentication.credentials"),
                    )?;
                    if creds.is_some_and(|c| c.bytes().any(|b| b < 0x20 || b == 0x7f)) {
                        return Err(A2aError::invalid_field(
                            f("authentication.credentials"),
                            "must not contain control characters",
                        ));
                    }
                    Some((scheme.to_owned(), creds.map(str::to_owned)))
                }
            };
        if token
            .as_ref()
            .is_some_and(|t| t.bytes().any(|b| b < 0x20 || b == 0x7f))
        {
            return Err(A2aError::invalid_field(
                f("token"),
                "must not contain control characters",
            ));
        }
        Ok(Self {
            id,
            task_id: task_id.to_owned(),
            url,
            token,
            auth,
            tenant,
        })
    }

    /// The flat ProtoJSON form.
    pub(crate) fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(6);
        if let Some(t) = &self.tenant {
            m.insert("tenant".to_owned(), Value::String(t.clone()));
        }
        m.insert("id".to_owned(), Value::String(self.id.clone()));
        m.insert("taskId".to_owned(), Value::String(self.task_id.clone()));
        m.insert("url".to_owned(), Value::String(self.url.clone()));
        if let Some(t) = &self.token {
            m.insert("token".to_owned(), Value::String(t.clone()));
        }
        if let Some((scheme, creds)) = &self.auth {
            let mut a = Map::with_capacity(2);
            a.insert("scheme".to_owned(), Value::String(scheme.clone()));
            if let Some(c) = creds {
                a.insert("credentials".to_owned(), Value::String(c.clone()));
            }
            m.insert("authentication".to_owned(), Value::Object(a));
        }
        Value::Object(m)
    }
}

/// A config attached to a task, with its delivery queue while the task is live.
pub(crate) struct PushSlot {
    pub(crate) config: Arc<PushConfig>,
    /// Cleared on delete or replacement; the worker checks it before every attempt.
    pub(crate) alive: Arc<AtomicBool>,
    /// None once the task is terminal (the worker drains and exits) or if it never had one.
    pub(crate) queue: Option<mpsc::UnboundedSender<Bytes>>,
}

impl PushSlot {
    /// Marks the config gone so its worker delivers nothing more.
    pub(crate) fn kill(&mut self) {
        self.alive.store(false, Ordering::Release);
        self.queue = None;
    }
}

/// Delivery settings shared by all workers.
#[derive(Clone)]
pub(crate) struct Pusher {
    attempts: u32,
    initial_backoff: Duration,
    timeout: Duration,
    guard: Guard,
    send_auth: bool,
    fault: Option<Fault>,
    tls: Arc<rustls::ClientConfig>,
    shutdown: watch::Receiver<bool>,
}

impl Pusher {
    pub(crate) fn new(config: &Config, shutdown: watch::Receiver<bool>) -> Self {
        Self {
            // Fault PushNoRetry: the first attempt is the only one.
            attempts: if config.fault == Some(Fault::PushNoRetry) {
                1
            } else {
                config.push_attempts.max(1)
            },
            initial_backoff: config.push_initial_backoff,
            timeout: config.push_timeout,
            guard: Guard::new(config),
            send_auth: config.fault != Some(Fault::PushNoAuth),
            fault: config.fault,
            tls: client_tls(&config.webhook_ca),
            shutdown,
        }
    }

    /// Starts the worker of one config and returns its queue.
    pub(crate) fn spawn(
        &self,
        config: Arc<PushConfig>,
        alive: Arc<AtomicBool>,
    ) -> mpsc::UnboundedSender<Bytes> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Bytes>();
        let this = self.clone();
        tokio::spawn(async move {
            while let Some(body) = rx.recv().await {
                if !this.deliver(&config, &alive, body).await {
                    return;
                }
            }
        });
        tx
    }

    fn stopped(&self, alive: &AtomicBool) -> bool {
        !alive.load(Ordering::Acquire) || *self.shutdown.borrow()
    }

    /// Delivers one event with retries. False when the worker should stop for good.
    async fn deliver(&self, config: &PushConfig, alive: &AtomicBool, body: Bytes) -> bool {
        let mut backoff = self.initial_backoff;
        for attempt in 1..=self.attempts {
            if self.stopped(alive) {
                return false;
            }
            let outcome =
                match tokio::time::timeout(self.timeout, self.post(config, body.clone())).await {
                    Ok(o) => o,
                    Err(_) => Outcome::Retry(None, "timed out".to_owned()),
                };
            let wait = match outcome {
                Outcome::Done => return true,
                Outcome::Refused(why) => {
                    tracing::warn!(config = %config.id, url = %config.url, "webhook refused: {why}");
                    return true;
                }
                Outcome::Retry(retry_after, why) => {
                    tracing::debug!(config = %config.id, attempt, "webhook attempt failed: {why}");
                    retry_after.map_or(backoff, |ra| ra.min(MAX_RETRY_AFTER))
                }
            };
            if attempt == self.attempts {
                tracing::warn!(config = %config.id, url = %config.url, "webhook gave up after {attempt} attempts");
                break;
            }
            let mut shutdown = self.shutdown.clone();
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.wait_for(|s| *s) => return false,
            }
            backoff = backoff.saturating_mul(2);
        }
        true
    }

    /// One delivery attempt: guard, connect (TLS for https), POST, judge the answer.
    async fn post(&self, config: &PushConfig, body: Bytes) -> Outcome {
        let target = match Target::parse(&config.url) {
            Ok(t) => t,
            Err(why) => return Outcome::Refused(why),
        };
        if target.tls && self.fault == Some(Fault::PushHttpsDropped) {
            return Outcome::Done;
        }
        let addrs = match self.guard.addresses(&target).await {
            Ok(a) => a,
            Err(outcome) => return outcome,
        };
        let uri: http::Uri =
            match format!("{}://{}/", target.url.scheme(), target.authority()).parse() {
                Ok(u) => u,
                Err(e) => return Outcome::Refused(format!("url: {e}")),
            };
        let mut connector = HttpsConnector::from((Pinned(addrs.into()), self.tls.clone()));
        let io = match connector.call(uri).await {
            Ok(io) => io,
            Err(e) => return Outcome::Retry(None, format!("connect: {e}")),
        };
        let (mut sender, conn) =
            match hyper::client::conn::http1::handshake::<_, Full<Bytes>>(io).await {
                Ok(x) => x,
                Err(e) => return Outcome::Retry(None, format!("handshake: {e}")),
            };
        let content_type = if self.fault == Some(Fault::PushPlainJson) {
            "application/json"
        } else {
            "application/a2a+json"
        };
        let mut req = http::Request::post(target.path_and_query())
            .header(http::header::HOST, target.authority())
            .header(http::header::CONTENT_TYPE, content_type)
            .header(http::header::USER_AGENT, "gauntlet-reference");
        if let Some((scheme, creds)) = config.auth.as_ref().filter(|_| self.send_auth) {
            let value = match creds {
                Some(c) => format!("{scheme} {c}"),
                None => scheme.clone(),
            };
            req = req.header(http::header::AUTHORIZATION, value);
        }
        if let Some(t) = &config.token {
            req = req.header("X-A2A-Notification-Token", t.as_str());
        }
        let req = match req.body(Full::new(body)) {
            Ok(r) => r,
            Err(e) => return Outcome::Refused(format!("request: {e}")),
        };
        let mut conn = std::pin::pin!(conn);
        let mut send = std::pin::pin!(sender.send_request(req));
        let mut conn_ended = false;
        // The connection task may end in the same poll that hands over the answer (a receiver
        // that closes after answering): the answer is then already waiting in `send`, and an
        // error there tells a real failure apart. Only `send` decides the outcome.
        let resp = loop {
            tokio::select! {
                r = &mut send => break r,
                c = &mut conn, if !conn_ended => {
                    if self.fault == Some(Fault::PushRetryAfterClose) {
                        return Outcome::Retry(None, format!("connection ended early: {c:?}"));
                    }
                    conn_ended = true;
                }
            }
        };
        match resp {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let retry_after = resp
                    .headers()
                    .get(http::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                match status {
                    200..=299 => {
                        if self.fault == Some(Fault::PushRetryAfterClose) && !conn_ended {
                            // The old bug, deterministically: a close right after the 2xx
                            // counts as a failed attempt.
                            let closed = tokio::time::timeout(CLOSE_GRACE, &mut conn).await;
                            if closed.is_ok() {
                                return Outcome::Retry(None, "connection closed after 2xx".into());
                            }
                        }
                        Outcome::Done
                    }
                    408 | 429 | 500..=599 => Outcome::Retry(retry_after, format!("HTTP {status}")),
                    // Redirects are not followed (SSRF), other 4xx will not improve on retry.
                    _ => Outcome::Refused(format!("HTTP {status}")),
                }
            }
            Err(e) => Outcome::Retry(None, format!("request: {e}")),
        }
    }
}

/// Fault [`Fault::PushRetryAfterClose`] only: how long after a 2xx it watches for the close.
const CLOSE_GRACE: Duration = Duration::from_millis(200);

enum Outcome {
    Done,
    Retry(Option<Duration>, String),
    Refused(String),
}

/// A webhook URL read the way the delivery client reads it (WHATWG URL parsing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    url: url::Url,
    tls: bool,
    port: u16,
}

impl Target {
    /// Parses an absolute `http`/`https` URL with a host and no user info.
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        const SHAPE: &str = "must be an absolute http or https URL";
        let url = url::Url::parse(s).map_err(|e| format!("{SHAPE} ({e})"))?;
        let tls = match url.scheme() {
            "http" => false,
            "https" => true,
            _ => return Err(SHAPE.to_owned()),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry user info".to_owned());
        }
        let port = url
            .port_or_known_default()
            .ok_or_else(|| SHAPE.to_owned())?;
        if url.host().is_none_or(|h| matches!(h, Host::Domain(""))) {
            return Err(SHAPE.to_owned());
        }
        Ok(Self { url, tls, port })
    }

    fn host(&self) -> Host<&str> {
        self.url.host().unwrap_or(Host::Domain(""))
    }

    /// `host[:port]` as sent in `Host` (serialised: `0x7f000001` reads `127.0.0.1`).
    fn authority(&self) -> &str {
        &self.url[Position::BeforeHost..Position::AfterPort]
    }

    fn path_and_query(&self) -> &str {
        match &self.url[Position::BeforePath..Position::AfterQuery] {
            "" => "/",
            p => p,
        }
    }
}

/// The SSRF guard as configured.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Guard {
    on: bool,
    /// Fault [`Fault::SsrfStandardSpellingsOnly`]: the old registration check.
    standard_spellings_only: bool,
}

impl Guard {
    pub(crate) fn new(config: &Config) -> Self {
        Self {
            on: !config.allow_private_webhooks,
            standard_spellings_only: config.fault == Some(Fault::SsrfStandardSpellingsOnly),
        }
    }

    /// The addresses a delivery attempt may connect to: every address the host denotes or
    /// resolves to, all of them public unless the guard is off.
    async fn addresses(&self, t: &Target) -> Result<Vec<SocketAddr>, Outcome> {
        if self.on {
            if let Some(why) = refuse_host(&t.host()) {
                return Err(Outcome::Refused(why));
            }
        }
        let ips = match t.host() {
            Host::Ipv4(ip) => vec![IpAddr::V4(ip)],
            Host::Ipv6(ip) => vec![IpAddr::V6(ip)],
            Host::Domain(name) => match hosts_file(name) {
                listed if !listed.is_empty() => listed,
                _ => match tokio::net::lookup_host((name, t.port)).await {
                    Ok(a) => a.map(|a| a.ip()).collect(),
                    Err(e) => return Err(Outcome::Retry(None, format!("resolve: {e}"))),
                },
            },
        };
        if self.on {
            check_addrs(&t.host(), &ips).map_err(Outcome::Refused)?;
        }
        if ips.is_empty() {
            return Err(Outcome::Retry(None, "resolves to no address".into()));
        }
        Ok(ips
            .into_iter()
            .map(|ip| SocketAddr::new(ip, t.port))
            .collect())
    }
}

/// Registration-time check of a webhook URL: its shape always, its addresses when the guard
/// is on. A name the resolver cannot answer for in time is accepted: every delivery attempt
/// checks again before it connects.
pub(crate) fn check_url(s: &str, guard: Guard) -> Result<Target, String> {
    if guard.on && guard.standard_spellings_only {
        return standard_spellings_check(s);
    }
    let t = Target::parse(s)?;
    if !guard.on {
        return Ok(t);
    }
    if let Some(why) = refuse_host(&t.host()) {
        return Err(why);
    }
    if let Host::Domain(name) = t.host() {
        match resolve_now(name) {
            Ok(ips) => check_addrs(&t.host(), &ips)?,
            Err(e) => tracing::debug!(%name, "webhook host not resolved at registration: {e}"),
        }
    }
    Ok(t)
}

/// Fault [`Fault::SsrfStandardSpellingsOnly`]: only dotted-quad and standard IPv6 literals and
/// the name `localhost` are recognised, as the guard once did.
fn standard_spellings_check(s: &str) -> Result<Target, String> {
    let t = Target::parse(s)?;
    let raw = s.parse::<http::Uri>().ok();
    let host = raw
        .as_ref()
        .and_then(|u| u.host())
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let literal = host.parse::<IpAddr>().ok().filter(|ip| forbidden_ip(*ip));
    if literal.is_some() || host.eq_ignore_ascii_case("localhost") {
        return Err(format!("{host} is an internal address"));
    }
    Ok(t)
}

/// Why a host is refused before any lookup: an internal literal, or a name that is internal by
/// definition (`localhost`, `*.internal`, … with or without the trailing root dot).
fn refuse_host(host: &Host<&str>) -> Option<String> {
    let ip = match host {
        Host::Ipv4(ip) => IpAddr::V4(*ip),
        Host::Ipv6(ip) => IpAddr::V6(*ip),
        Host::Domain(d) => {
            let name = d.trim_end_matches('.');
            let internal = name.is_empty()
                || name == "localhost"
                || [".localhost", ".internal", ".local", ".home.arpa"]
                    .iter()
                    .any(|suffix| name.ends_with(suffix));
            return internal.then(|| format!("{d} names an internal host"));
        }
    };
    forbidden_ip(ip)
        .then(|| format!("{ip} is a loopback, private, link-local or otherwise internal address"))
}

fn check_addrs(host: &Host<&str>, ips: &[IpAddr]) -> Result<(), String> {
    match ips.iter().find(|ip| forbidden_ip(**ip)) {
        Some(ip) => Err(format!("{host} resolves to {ip}, an internal address")),
        None => Ok(()),
    }
}

/// Addresses the hosts file gives `name`. Read first so that a name it lists never causes a
/// query to leave the machine (the system resolver would answer from it all the same).
fn hosts_file(name: &str) -> Vec<IpAddr> {
    let name = name.trim_end_matches('.');
    let Ok(text) = std::fs::read_to_string("/etc/hosts") else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split('#').next()?.split_whitespace();
            let ip: IpAddr = fields.next()?.parse().ok()?;
            fields.any(|n| n.eq_ignore_ascii_case(name)).then_some(ip)
        })
        .collect()
}

/// Resolves `name` for registration, which is synchronous: on a helper thread, waited for at
/// most [`RESOLVE_DEADLINE`] (outside the runtime's core threads where it has several).
fn resolve_now(name: &str) -> Result<Vec<IpAddr>, String> {
    let listed = hosts_file(name);
    if !listed.is_empty() {
        return Ok(listed);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let owned = name.to_owned();
    std::thread::Builder::new()
        .name("webhook-resolve".into())
        .spawn(move || {
            let r = (owned.as_str(), 0).to_socket_addrs();
            let _ = tx.send(r.map(|a| a.map(|s| s.ip()).collect::<Vec<_>>()));
        })
        .map_err(|e| format!("resolver thread: {e}"))?;
    let wait = || rx.recv_timeout(RESOLVE_DEADLINE);
    let got = match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(wait)
        }
        _ => wait(),
    };
    match got {
        Ok(Ok(ips)) => Ok(ips),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".to_owned()),
    }
}

/// True for addresses a webhook must never reach: loopback, private, link-local, unspecified,
/// multicast, broadcast, reserved, documentation and benchmarking ranges, unique-local, CGNAT
/// and cloud metadata endpoints — and IPv6 forms that carry such an IPv4 address.
pub(crate) fn forbidden_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // includes 169.254.169.254
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation() // 192.0.2/24, 198.51.100/24, 203.0.113/24
        || o[0] == 0 // "this network"
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // CGNAT 100.64/10, incl. 100.100.100.200 metadata
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments 192.0.0/24
        || (o[0] == 192 && o[1] == 88 && o[2] == 99) // 6to4 relay anycast
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18/15
        || o[0] >= 240 // reserved
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    match s {
        // IPv4-compatible ::a.b.c.d (deprecated; includes :: and ::1): never a webhook.
        [0, 0, 0, 0, 0, 0, _, _] => true,
        // IPv4-mapped ::ffff:a.b.c.d and IPv4-translated ::ffff:0:a.b.c.d.
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0, 0, 0, 0, 0xffff, 0, hi, lo] => {
            forbidden_v4(v4(hi, lo))
        }
        // NAT64 well-known prefix 64:ff9b::/96 reaches the IPv4 address it carries.
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => forbidden_v4(v4(hi, lo)),
        // Local-use NAT64 64:ff9b:1::/48: translated inside the operator's network.
        [0x64, 0xff9b, 1, ..] => true,
        // 6to4 2002:a.b.c.d::/48 tunnels to the IPv4 address it carries.
        [0x2002, hi, lo, ..] => forbidden_v4(v4(hi, lo)),
        // Teredo 2001::/32 carries an obfuscated client address: refused outright.
        [0x2001, 0, ..] => true,
        // Documentation 2001:db8::/32, discard-only 100::/64.
        [0x2001, 0xdb8, ..] | [0x100, 0, 0, 0, ..] => true,
        [seg0, ..] => {
            ip.is_multicast()
                || (seg0 & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (seg0 & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
                || (seg0 & 0xfe00) == 0xfc00 // unique-local fc00::/7 (includes fd00:ec2::254)
        }
    }
}

/// The client TLS settings for https webhooks: the webpki roots plus the configured private
/// CAs, ring as the crypto provider.
fn client_tls(extra_cas: &[Vec<u8>]) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for der in extra_cas {
        if let Err(e) = roots.add(CertificateDer::from(der.clone())) {
            tracing::warn!("webhook CA certificate not usable: {e}");
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(b) => b.with_root_certificates(roots).with_no_client_auth(),
        // Unreachable with ring, which supports every default version; fall back loudly.
        Err(e) => {
            tracing::error!("webhook TLS settings: {e}; using the process default provider");
            rustls::ClientConfig::builder()
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        }
    };
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(tls)
}

/// Reads the `CERTIFICATE` blocks of a PEM text as DER; an error when there is none or one is
/// malformed or not usable as a trust anchor.
pub(crate) fn parse_ca_pem(pem: &str) -> Result<Vec<Vec<u8>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a PEM certificate file: {e}"))?;
    if certs.is_empty() {
        return Err("no CERTIFICATE block in the PEM text".to_owned());
    }
    let mut check = rustls::RootCertStore::empty();
    for c in &certs {
        check
            .add(c.clone())
            .map_err(|e| format!("not a usable CA certificate: {e}"))?;
    }
    Ok(certs.into_iter().map(|c| c.to_vec()).collect())
}

/// The inner connector under hyper-rustls: connects to the addresses the guard approved, in
/// order, and never resolves anything itself, so what was checked is what is reached.
#[derive(Clone)]
struct Pinned(Arc<[SocketAddr]>);

impl Service<http::Uri> for Pinned {
    type Response = TokioIo<TcpStream>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = std::io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Uri) -> Self::Future {
        let addrs = self.0.clone();
        Box::pin(async move {
            let mut last = std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "no address");
            for a in addrs.iter() {
                match TcpStream::connect(a).await {
                    Ok(s) => {
                        let _ = s.set_nodelay(true);
                        return Ok(TokioIo::new(s));
                    }
                    Err(e) => last = e,
                }
            }
            Err(last)
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn internal_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "127.9.9.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "100.100.100.200",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "fd00:ec2::254",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(forbidden_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:a00:1::1",
            "198.19.255.255",
            "192.0.0.8",
        ] {
            assert!(forbidden_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "172.32.0.1",
            "93.184.216.34",
            "2606:4700::1111",
            "100.128.0.1",
        ] {
            assert!(!forbidden_ip(ip.parse().unwrap()), "{ip}");
        }
    }

    fn guard(on: bool) -> Guard {
        Guard {
            on,
            standard_spellings_only: false,
        }
    }

    #[test]
    fn create_time_check_covers_literals_names_and_shape() {
        let on = guard(true);
        assert!(check_url("http://127.0.0.1:8080/hook", on).is_err());
        assert!(check_url("http://[::1]/hook", on).is_err());
        assert!(check_url("http://localhost/hook", on).is_err());
        assert!(check_url("http://metadata.google.internal/", on).is_err());
        assert!(check_url("ftp://example.com/", on).is_err());
        assert!(check_url("not a url", on).is_err());
        assert!(check_url("http://user:pw@example.com/", on).is_err());
        // Public literals only: a name would make the test ask a resolver off this machine.
        assert!(check_url("https://93.184.216.34/hook", on).is_ok());
        assert!(check_url("http://[2606:4700::1111]:8443/", on).is_ok());
        assert!(check_url("http://127.0.0.1:8080/hook", guard(false)).is_ok());
        let u = check_url("http://[::1]:9/a?b=c", guard(false)).unwrap();
        assert_eq!(
            (u.authority(), u.port, u.path_and_query()),
            ("[::1]:9", 9, "/a?b=c")
        );
        let u = check_url("HTTP://0x7f000001", guard(false)).unwrap();
        assert_eq!((u.authority(), u.path_and_query()), ("127.0.0.1", "/"));
    }

    #[test]
    fn other_spellings_of_internal_addresses_are_refused_at_registration() {
        for url in [
            "http://0/",
            "http://0:9/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://0x7f000001/",
            "http://0x7f.1/",
            "http://127.1/",
            "http://localhost./",
            "http://LOCALHOST/",
            "http://foo.localhost./",
            "http://167772161/",
            "http://0xa9fea9fe/",
            "http://0251.0376.0251.0376/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[::ffff:0:127.0.0.1]/",
            "http://[::127.0.0.1]/",
            "http://[::10.0.0.1]/",
            "http://[64:ff9b::127.0.0.1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[64:ff9b:1::1]/",
            "http://[2002:7f00:1::]/",
            "http://[2002:a9fe:a9fe::1]/",
            "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
            "http://[fec0::1]/",
            "https://192.0.2.1/",
            "https://198.18.0.1/",
        ] {
            assert!(check_url(url, guard(true)).is_err(), "{url} was accepted");
        }
        for url in [
            "http://[64:ff9b::8.8.8.8]/",
            "http://[2002:808:808::1]/",
            "http://0x08080808/",
        ] {
            assert!(check_url(url, guard(true)).is_ok(), "{url} was refused");
        }
    }

    #[test]
    fn the_hosts_file_answers_for_the_names_it_lists() {
        // Every Linux hosts file lists localhost; the guard reads it without any query.
        if std::path::Path::new("/etc/hosts").exists() {
            assert!(hosts_file("localhost").iter().all(|ip| forbidden_ip(*ip)));
        }
        assert!(hosts_file("no-such-name.invalid").is_empty());
    }

    #[test]
    fn a_ca_file_must_hold_certificates() {
        assert!(parse_ca_pem("").is_err());
        assert!(
            parse_ca_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").is_err()
        );
        let ca = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        assert_eq!(parse_ca_pem(&ca.cert.pem()).unwrap().len(), 1);
    }

    fn hook_config(url: String) -> PushConfig {
        PushConfig {
            id: "c".into(),
            task_id: "t".into(),
            url,
            token: Some("tok".into()),
            auth: Some(("Bearer".into(), Some("s3cret".into()))),
            tenant: None,
        }
    }

    fn pusher(allow_private: bool, fault: Option<Fault>) -> (Pusher, watch::Sender<bool>) {
        let (tx, rx) = watch::channel(false);
        let config = Config {
            allow_private_webhooks: allow_private,
            fault,
            ..Config::default()
        };
        (Pusher::new(&config, rx), tx)
    }

    #[tokio::test]
    async fn connect_time_guard_refuses_names_that_resolve_inward() {
        let hook = wiremock::MockServer::start().await;
        let (p, _keep) = pusher(false, None);
        let url = format!("http://localhost:{}/hook", hook.address().port());
        let out = p.post(&hook_config(url), Bytes::from_static(b"{}")).await;
        assert!(matches!(out, Outcome::Refused(_)));
        assert!(hook
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty());
    }

    #[tokio::test]
    async fn push_no_auth_fault_drops_only_the_authorization_header() {
        let hook = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::method("POST"))
            .respond_with(wiremock::ResponseTemplate::new(204))
            .mount(&hook)
            .await;
        let url = format!("{}/hook", hook.uri());
        for (fault, want_auth) in [(None, true), (Some(Fault::PushNoAuth), false)] {
            let (p, _keep) = pusher(true, fault);
            let out = p
                .post(&hook_config(url.clone()), Bytes::from_static(b"{}"))
                .await;
            assert!(matches!(out, Outcome::Done));
            let reqs = hook.received_requests().await.unwrap_or_default();
            let last = reqs.last().expect("a delivery");
            assert_eq!(last.headers.contains_key("authorization"), want_auth);
            assert_eq!(last.headers["x-a2a-notification-token"], "tok");
        }
    }

    #[tokio::test]
    async fn shutdown_stops_retries() {
        let (p, stop) = pusher(true, None);
        let alive = AtomicBool::new(true);
        // Port 9 on loopback refuses connections, so every attempt fails and would retry.
        let cfg = hook_config("http://127.0.0.1:9/hook".into());
        stop.send_replace(true);
        assert!(!p.deliver(&cfg, &alive, Bytes::new()).await);
        let (p, _keep) = pusher(true, None);
        alive.store(false, Ordering::Release);
        assert!(
            !p.deliver(&cfg, &alive, Bytes::new()).await,
            "deleted config"
        );
    }

    #[test]
    fn config_round_trips_in_the_flat_shape() {
        let m = json!({"url":"https://93.184.216.34/h","token":"tok",
                       "authentication":{"scheme":"Bearer","credentials":"c"},"x":1});
        let c = PushConfig::parse(m.as_object().unwrap(), "t1", "", &Config::default()).unwrap();
        assert!(!c.id.is_empty());
        let v = c.to_value();
        assert_eq!(v["taskId"], "t1");
        assert_eq!(
            v["authentication"],
            json!({"scheme":"Bearer","credentials":"c"})
        );
        let bad = json!({"url":"http://10.0.0.1/"});
        let e =
            PushConfig::parse(bad.as_object().unwrap(), "t", "", &Config::default()).unwrap_err();
        assert_eq!(e.field_violations[0].0, "url");
        let missing = json!({"id":"x"});
        let e = PushConfig::parse(missing.as_object().unwrap(), "t", "p.", &Config::default())
            .unwrap_err();
        assert_eq!(e.field_violations[0].0, "p.url");
    }
}
