//! Lifecycle implementations: the embedded reference server and an external command.
//!
//! * [`EmbeddedReference`] binds the reference in this process; the first start takes an
//!   ephemeral port and every later start rebinds that same port. Its gauges come from the
//!   server handle.
//! * [`ExternalCommand`] runs `--sut-cmd` through `sh -c "exec …"` with stdout and stderr
//!   captured, waits until the card URL answers 200 (with a deadline), and stops it with SIGTERM
//!   (the `kill` command), then SIGKILL after a deadline.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gauntlet_conformance::errors::LifecycleError;
use gauntlet_conformance::lifecycle::{Gauges, Lifecycle, LifecycleFuture};
use gauntlet_conformance::report::human::seconds;
use gauntlet_reference::{Server, ServerHandle};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::Instant;

/// The reference server, started and stopped in-process on one fixed port.
pub struct EmbeddedReference {
    addr: Mutex<SocketAddr>,
    handle: Mutex<Option<ServerHandle>>,
}

impl EmbeddedReference {
    /// Not started yet; the first start picks a free loopback port.
    pub fn new() -> Self {
        EmbeddedReference {
            addr: Mutex::new(SocketAddr::from(([127, 0, 0, 1], 0))),
            handle: Mutex::new(None),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Lifecycle for EmbeddedReference {
    fn start(&self) -> LifecycleFuture<'_, String> {
        Box::pin(async move {
            let addr = *lock(&self.addr);
            let mut builder = Server::builder().allow_private_webhooks(true);
            // The https webhook scenario (CHAOS-HOOK-002) presents a certificate from this run's CA.
            if let Ok(ca) = gauntlet_chaos::webhook::suite_ca_pem() {
                let _ = builder.config_mut().trust_webhook_ca_pem(ca);
            }
            let handle = builder
                .bind(addr)
                .await
                .map_err(|e| LifecycleError::Start(format!("bind {addr}: {e}")))?;
            let url = handle.base_url();
            *lock(&self.addr) = handle.local_addr();
            *lock(&self.handle) = Some(handle);
            Ok(url)
        })
    }

    fn stop(&self) -> LifecycleFuture<'_, ()> {
        Box::pin(async move {
            let handle = lock(&self.handle).take();
            if let Some(h) = handle {
                h.shutdown().await;
            }
            Ok(())
        })
    }

    fn gauges(&self) -> Option<Gauges> {
        lock(&self.handle).as_ref().map(|h| Gauges {
            open_connections: Some(h.open_connections()),
            open_streams: Some(h.open_streams()),
            pid: Some(std::process::id()),
        })
    }
}

/// Lines of the command's output kept for error messages.
const KEPT_LINES: usize = 200;

/// An external server under test, run from a shell command line.
pub struct ExternalCommand {
    cmd: String,
    url: String,
    env: Vec<(String, String)>,
    ready_deadline: Duration,
    stop_deadline: Duration,
    child: tokio::sync::Mutex<Option<Child>>,
    pid: Mutex<Option<u32>>,
    output: Arc<Mutex<VecDeque<String>>>,
}

impl ExternalCommand {
    /// `cmd` serves the A2A server at `url`; deadlines are scaled by `scale`.
    pub fn new(cmd: String, url: String, scale: f64) -> Self {
        ExternalCommand {
            cmd,
            url,
            env: Vec::new(),
            ready_deadline: Duration::from_secs(30).mul_f64(scale),
            stop_deadline: Duration::from_secs(10).mul_f64(scale),
            child: tokio::sync::Mutex::new(None),
            pid: Mutex::new(None),
            output: Arc::default(),
        }
    }

    /// The command's environment additions and, when given, its ready and stop deadlines in
    /// seconds (`[server]` in gauntlet.toml), scaled by `scale`.
    pub fn configured(
        mut self,
        env: Vec<(String, String)>,
        ready: Option<f64>,
        stop: Option<f64>,
        scale: f64,
    ) -> Self {
        self.env = env;
        if let Some(s) = ready.filter(|s| *s > 0.0) {
            self.ready_deadline = Duration::from_secs_f64(s * scale);
        }
        if let Some(s) = stop.filter(|s| *s > 0.0) {
            self.stop_deadline = Duration::from_secs_f64(s * scale);
        }
        self
    }

    /// The last lines the command printed (stdout and stderr, interleaved).
    pub fn output_tail(&self, n: usize) -> String {
        let out = lock(&self.output);
        let skip = out.len().saturating_sub(n);
        out.iter()
            .skip(skip)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn capture(&self, stream: impl tokio::io::AsyncRead + Unpin + Send + 'static) {
        let out = self.output.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut o = lock(&out);
                if o.len() == KEPT_LINES {
                    o.pop_front();
                }
                o.push_back(line);
            }
        });
    }

    async fn ready(&self, child: &mut Child) -> Result<(), LifecycleError> {
        let (addr, _) = gauntlet_chaos::wire::parse_loopback_url(&self.url)
            .map_err(|e| LifecycleError::Start(e.to_string()))?;
        let req = gauntlet_chaos::wire::request_bytes(
            "GET",
            &addr.to_string(),
            "/.well-known/agent-card.json",
            &[("A2A-Version", "1.0")],
            b"",
        );
        let t0 = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(LifecycleError::Start(format!(
                    "`{}` exited ({status}) before serving; its last output:\n{}",
                    self.cmd,
                    self.output_tail(20)
                )));
            }
            if let Ok(r) =
                gauntlet_chaos::wire::round_trip(addr, &req, Duration::from_millis(500)).await
            {
                if r.head.status == 200 {
                    return Ok(());
                }
            }
            if t0.elapsed() > self.ready_deadline {
                return Err(LifecycleError::Start(format!(
                    "`{}` did not serve {} within {}; its last output:\n{}",
                    self.cmd,
                    self.url,
                    seconds(self.ready_deadline),
                    self.output_tail(20)
                )));
            }
            // Readiness polling cadence; bounded by the deadline above.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Lifecycle for ExternalCommand {
    fn start(&self) -> LifecycleFuture<'_, String> {
        Box::pin(async move {
            let mut slot = self.child.lock().await;
            if slot.is_some() {
                return Ok(self.url.clone());
            }
            let mut child = Command::new("sh")
                .arg("-c")
                .arg(format!("exec {}", self.cmd))
                .envs(self.env.iter().map(|(k, v)| (k, v)))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| LifecycleError::Start(format!("cannot run `{}`: {e}", self.cmd)))?;
            if let Some(out) = child.stdout.take() {
                self.capture(out);
            }
            if let Some(err) = child.stderr.take() {
                self.capture(err);
            }
            *lock(&self.pid) = child.id();
            if let Err(e) = self.ready(&mut child).await {
                let _ = child.kill().await;
                *lock(&self.pid) = None;
                return Err(e);
            }
            *slot = Some(child);
            Ok(self.url.clone())
        })
    }

    fn stop(&self) -> LifecycleFuture<'_, ()> {
        Box::pin(async move {
            let Some(mut child) = self.child.lock().await.take() else {
                return Ok(());
            };
            *lock(&self.pid) = None;
            if let Some(pid) = child.id() {
                let _ = Command::new("kill")
                    .arg("-TERM")
                    .arg(pid.to_string())
                    .status()
                    .await;
            }
            match tokio::time::timeout(self.stop_deadline, child.wait()).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(LifecycleError::Stop(e.to_string())),
                Err(_) => {
                    let _ = child.kill().await;
                    Err(LifecycleError::Stop(format!(
                        "`{}` ignored SIGTERM for {} and was killed",
                        self.cmd,
                        seconds(self.stop_deadline)
                    )))
                }
            }
        })
    }

    fn gauges(&self) -> Option<Gauges> {
        lock(&self.pid).map(|pid| Gauges {
            open_connections: None,
            open_streams: None,
            pid: Some(pid),
        })
    }
}
