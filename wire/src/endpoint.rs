//! Endpoints: an `http://host[:port][/path]` URL resolved once to the socket address to dial,
//! the `Host` header to send and the path to prefix.

use std::net::SocketAddr;
use std::time::Duration;

use crate::WireError;

/// Where requests go: a socket address, the `Host` header and the interface path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Resolved socket address.
    pub addr: SocketAddr,
    /// `Host` header value (`host:port`).
    pub host: String,
    /// Interface path without a trailing slash (`""` for the root).
    pub path: String,
}

impl Endpoint {
    /// A target at the root of `addr`.
    pub fn from_addr(addr: SocketAddr) -> Self {
        Self {
            addr,
            host: addr.to_string(),
            path: String::new(),
        }
    }

    /// Parses and resolves an `http://host[:port][/path]` URL.
    pub async fn resolve(url: &str) -> Result<Self, WireError> {
        let bad = || WireError::InvalidUrl(url.to_owned());
        let rest = url.strip_prefix("http://").ok_or_else(bad)?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(bad());
        }
        let with_port = if authority.starts_with('[') {
            if authority.contains("]:") {
                authority.to_owned()
            } else {
                format!("{authority}:80")
            }
        } else if authority.contains(':') {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        let addr = tokio::time::timeout(
            Duration::from_secs(5),
            tokio::net::lookup_host(with_port.as_str()),
        )
        .await
        .map_err(|_| WireError::Timeout(Duration::from_secs(5)))?
        .map_err(|e| WireError::Connect {
            addr: with_port.clone(),
            reason: e.to_string(),
        })?
        .next()
        .ok_or_else(bad)?;
        let path = path.split(['?', '#']).next().unwrap_or("");
        Ok(Self {
            addr,
            host: authority.to_owned(),
            path: path.trim_end_matches('/').to_owned(),
        })
    }

    /// The same host with another interface path.
    pub fn with_path(&self, path: &str) -> Self {
        Self {
            path: path.trim_end_matches('/').to_owned(),
            ..self.clone()
        }
    }

    /// `http://host` (no path).
    pub fn origin(&self) -> String {
        format!("http://{}", self.host)
    }
}
