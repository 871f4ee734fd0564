//! Push notifications (digest §8): config records, the SSRF guard, and webhook delivery.
//!
//! Each config of a live task owns one delivery queue and one worker, so every event reaches
//! every webhook in order, and a slow webhook delays only itself. The worker POSTs the
//! StreamResponse bytes (the same bytes a REST stream carries) with hyper's HTTP/1 client
//! connection over a fresh `TcpStream`, retries on 5xx, 408, 429, connect errors and timeouts
//! with doubling backoff, never follows redirects, and re-checks before every attempt that the
//! config still exists and the server is not shutting down.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value};
use tokio::sync::{mpsc, watch};

use crate::config::{Config, Fault};
use crate::error::A2aError;
use crate::validate::{self, Obj};

/// The longest Retry-After we honour; a webhook cannot park a worker for longer.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

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
    pub(crate) fn parse(
        m: &Obj,
        task_id: &str,
        prefix: &str,
        allow_private: bool,
    ) -> Result<Self, A2aError> {
        let f = |name: &str| format!("{prefix}{name}");
        let url = validate::req_str(m, "url", "url", &f("url"))?.to_owned();
        check_url(&url, allow_private).map_err(|why| A2aError::invalid_field(f("url"), why))?;
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
    allow_private: bool,
    send_auth: bool,
    shutdown: watch::Receiver<bool>,
}

impl Pusher {
    pub(crate) fn new(config: &Config, shutdown: watch::Receiver<bool>) -> Self {
        Self {
            attempts: config.push_attempts.max(1),
            initial_backoff: config.push_initial_backoff,
            timeout: config.push_timeout,
            allow_private: config.allow_private_webhooks,
            send_auth: config.fault != Some(Fault::PushNoAuth),
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

    async fn post(&self, config: &PushConfig, body: Bytes) -> Outcome {
        let url = match parse_url(&config.url) {
            Some(u) if u.scheme == "http" => u,
            Some(_) => return Outcome::Refused("only http:// webhooks can be delivered".into()),
            None => return Outcome::Refused("unparseable url".into()),
        };
        let addrs = match tokio::net::lookup_host((url.host.as_str(), url.port)).await {
            Ok(a) => a.collect::<Vec<SocketAddr>>(),
            Err(e) => return Outcome::Retry(None, format!("resolve: {e}")),
        };
        // Checked on the resolved address, so a name that rebinds to a private IP is refused.
        let Some(addr) = addrs
            .into_iter()
            .find(|a| self.allow_private || !forbidden_ip(a.ip()))
        else {
            return Outcome::Refused("resolves only to forbidden addresses".into());
        };
        let stream = match tokio::net::TcpStream::connect(addr).await {
            Ok(s) => s,
            Err(e) => return Outcome::Retry(None, format!("connect: {e}")),
        };
        let _ = stream.set_nodelay(true);
        let (mut sender, conn) =
            match hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream))
                .await
            {
                Ok(x) => x,
                Err(e) => return Outcome::Retry(None, format!("handshake: {e}")),
            };
        let mut req = http::Request::post(url.path_and_query.as_str())
            .header(http::header::HOST, url.authority.as_str())
            .header(http::header::CONTENT_TYPE, "application/a2a+json")
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
        let resp = tokio::select! {
            r = sender.send_request(req) => r,
            c = &mut conn => return Outcome::Retry(None, format!("connection ended early: {c:?}")),
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
                    200..=299 => Outcome::Done,
                    408 | 429 | 500..=599 => Outcome::Retry(retry_after, format!("HTTP {status}")),
                    // Redirects are not followed (SSRF), other 4xx will not improve on retry.
                    _ => Outcome::Refused(format!("HTTP {status}")),
                }
            }
            Err(e) => Outcome::Retry(None, format!("request: {e}")),
        }
    }
}

enum Outcome {
    Done,
    Retry(Option<Duration>, String),
    Refused(String),
}

/// The pieces of an `http(s)://` URL the client needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    pub(crate) scheme: String,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) authority: String,
    pub(crate) path_and_query: String,
}

/// Parses an absolute http/https URL (no user info).
pub(crate) fn parse_url(s: &str) -> Option<Url> {
    let uri: http::Uri = s.parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = uri.authority()?;
    if authority.as_str().contains('@') {
        return None;
    }
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    if host.is_empty() {
        return None;
    }
    Some(Url {
        scheme,
        host: host.to_owned(),
        port: authority.port_u16().unwrap_or(default_port),
        authority: authority.as_str().to_owned(),
        path_and_query: uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
    })
}

/// Create-time check of a webhook URL. With `allow_private` only the shape is checked.
pub(crate) fn check_url(s: &str, allow_private: bool) -> Result<Url, String> {
    let url = parse_url(s).ok_or_else(|| "must be an absolute http or https URL".to_owned())?;
    if allow_private {
        return Ok(url);
    }
    let host = url.host.to_ascii_lowercase();
    if let Ok(ip) = host.parse::<IpAddr>() {
        if forbidden_ip(ip) {
            return Err(format!(
                "{ip} is a loopback, private, link-local or otherwise internal address"
            ));
        }
    } else if host == "localhost"
        || host.ends_with(".localhost")
        || host == "metadata.google.internal"
        || host.ends_with(".internal")
    {
        return Err(format!("{host} names an internal host"));
    }
    Ok(url)
}

/// True for addresses a webhook must never reach: loopback, private, link-local, unspecified,
/// multicast, broadcast, unique-local, CGNAT and cloud metadata endpoints.
pub(crate) fn forbidden_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_v4(v4);
            }
            let seg0 = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg0 & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (seg0 & 0xfe00) == 0xfc00 // unique-local fc00::/7 (includes fd00::/8, fd00:ec2::254)
                || v6 == Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0xa9fe, 0xa9fe)
            // NAT64 of 169.254.169.254
        }
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
        || o[0] == 0 // "this network"
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // CGNAT 100.64/10, incl. 100.100.100.200 metadata
        || o[0] >= 240 // reserved
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
            "8.8.8.8",
            "172.32.0.1",
            "93.184.216.34",
            "2606:4700::1111",
            "100.128.0.1",
        ] {
            assert!(!forbidden_ip(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn create_time_check_covers_literals_names_and_shape() {
        assert!(check_url("http://127.0.0.1:8080/hook", false).is_err());
        assert!(check_url("http://[::1]/hook", false).is_err());
        assert!(check_url("http://localhost/hook", false).is_err());
        assert!(check_url("http://metadata.google.internal/", false).is_err());
        assert!(check_url("ftp://example.com/", false).is_err());
        assert!(check_url("not a url", false).is_err());
        assert!(check_url("http://user:pw@example.com/", false).is_err());
        assert!(check_url("https://example.com/hook", false).is_ok());
        assert!(check_url("http://127.0.0.1:8080/hook", true).is_ok());
        let u = check_url("http://[::1]:9/a?b=c", true).unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path_and_query.as_str()),
            ("::1", 9, "/a?b=c")
        );
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
        let m = json!({"url":"https://example.com/h","token":"tok",
                       "authentication":{"scheme":"Bearer","credentials":"c"},"x":1});
        let c = PushConfig::parse(m.as_object().unwrap(), "t1", "", false).unwrap();
        assert!(!c.id.is_empty());
        let v = c.to_value();
        assert_eq!(v["taskId"], "t1");
        assert_eq!(
            v["authentication"],
            json!({"scheme":"Bearer","credentials":"c"})
        );
        let bad = json!({"url":"http://10.0.0.1/"});
        let e = PushConfig::parse(bad.as_object().unwrap(), "t", "", false).unwrap_err();
        assert_eq!(e.field_violations[0].0, "url");
        let missing = json!({"id":"x"});
        let e = PushConfig::parse(missing.as_object().unwrap(), "t", "p.", false).unwrap_err();
        assert_eq!(e.field_violations[0].0, "p.url");
    }
}
