//! Listener, connections and graceful shutdown.
//!
//! The listener is built with socket2 (SO_REUSEADDR, SO_REUSEPORT on Linux, TCP_NODELAY on
//! accepted sockets, explicit backlog) and handed to tokio, so a server can be stopped and started
//! on the same port a thousand times in a row. Shutdown goes through a `tokio::sync::watch`
//! sender held by the [`ServerHandle`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{Config, Fault};

/// Entry point: `Server::builder()…bind(addr)`.
pub struct Server;

impl Server {
    /// A builder with the default (full-featured) configuration.
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            config: Config::default(),
        }
    }
}

/// Configures a server before binding it.
#[derive(Debug, Clone)]
pub struct ServerBuilder {
    config: Config,
}

impl ServerBuilder {
    /// Replaces the whole configuration.
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }
    /// Turns `capabilities.streaming` on or off.
    pub fn streaming(mut self, on: bool) -> Self {
        self.config.streaming = on;
        self
    }
    /// Turns `capabilities.pushNotifications` on or off.
    pub fn push_notifications(mut self, on: bool) -> Self {
        self.config.push_notifications = on;
        self
    }
    /// Turns `capabilities.extendedAgentCard` on or off.
    pub fn extended_card(mut self, on: bool) -> Self {
        self.config.extended_card = on;
        self
    }
    /// Adds an accepted bearer token (one identity per token); any token turns authentication on.
    pub fn bearer(mut self, token: impl Into<String>) -> Self {
        self.config.bearer_tokens.push(token.into());
        self
    }
    /// Allows webhooks on private/loopback addresses (turns the SSRF guard off).
    pub fn allow_private_webhooks(mut self, on: bool) -> Self {
        self.config.allow_private_webhooks = on;
        self
    }
    /// Sets the request body limit.
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.config.max_body_bytes = n;
        self
    }
    /// Sets the per-subscriber event buffer.
    pub fn subscriber_buffer(mut self, n: usize) -> Self {
        self.config.subscriber_buffer = n;
        self
    }
    /// Sets the SSE keep-alive interval.
    pub fn keepalive(mut self, d: Duration) -> Self {
        self.config.keepalive = d;
        self
    }
    /// Injects a deliberate bug (negative controls only).
    pub fn fault(mut self, fault: Option<Fault>) -> Self {
        self.config.fault = fault;
        self
    }
    /// Gives mutable access to the whole configuration.
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    /// Binds `addr` (use port 0 for an ephemeral port) and starts serving.
    pub async fn bind(self, addr: SocketAddr) -> std::io::Result<ServerHandle> {
        let _ = (addr, Arc::new(self.config));
        todo!("transport: socket2 listener, accept loop, router")
    }
}

/// A running server. Dropping it without [`ServerHandle::shutdown`] aborts it.
pub struct ServerHandle {
    local_addr: SocketAddr,
}

impl ServerHandle {
    /// The bound address (the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://<local_addr>` — the base of every interface URL in the card.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// Number of open client connections (a gauge for chaos scenarios).
    pub fn open_connections(&self) -> usize {
        todo!()
    }

    /// Number of open SSE subscriptions.
    pub fn open_streams(&self) -> usize {
        todo!()
    }

    /// Graceful shutdown: stop accepting, end open SSE streams cleanly, let in-flight requests
    /// finish, bounded by the configured deadline. Returns once the port is released.
    pub async fn shutdown(self) {
        todo!()
    }
}
