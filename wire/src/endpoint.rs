//! Endpoints and URLs: an `http://host[:port][/path]` URL parsed ([`parse_url`]), confined to
//! loopback where asked ([`parse_loopback_url`]), or resolved once to the socket address to
//! dial, the `Host` header to send and the path to prefix ([`Endpoint`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
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

    /// Parses ([`parse_url`]) and resolves an `http://host[:port][/path]` URL; the query and
    /// a trailing slash are dropped from the path.
    pub async fn resolve(url: &str) -> Result<Self, WireError> {
        let parsed = parse_url(url)?;
        let dial = if parsed.host.contains(':') {
            format!("[{}]:{}", parsed.host, parsed.port)
        } else {
            format!("{}:{}", parsed.host, parsed.port)
        };
        let addr = tokio::time::timeout(
            Duration::from_secs(5),
            tokio::net::lookup_host(dial.as_str()),
        )
        .await
        .map_err(|_| WireError::Timeout(Duration::from_secs(5)))?
        .map_err(|e| WireError::Connect {
            addr: dial.clone(),
            reason: e.to_string(),
        })?
        .next()
        .ok_or_else(|| WireError::InvalidUrl(url.to_owned()))?;
        let path = parsed.path_and_query.split('?').next().unwrap_or("");
        Ok(Self {
            addr,
            host: parsed.authority,
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

/// The parts of an absolute `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedUrl {
    /// Host as written (IPv6 without brackets).
    pub host: String,
    /// Port (80 when absent).
    pub port: u16,
    /// `host[:port]` as written, for the Host header.
    pub authority: String,
    /// Path and query, at least `/`.
    pub path_and_query: String,
}

impl ParsedUrl {
    /// `http://authority` with no path.
    pub fn origin(&self) -> String {
        format!("http://{}", self.authority)
    }
}

/// Parses an absolute `http://` URL (plain HTTP/1.1 only).
pub fn parse_url(url: &str) -> Result<ParsedUrl, WireError> {
    let bad = || WireError::InvalidUrl(url.to_owned());
    let rest = url
        .strip_prefix("http://")
        .or_else(|| {
            url.get(..7)
                .filter(|p| p.eq_ignore_ascii_case("http://"))
                .map(|_| &url[7..])
        })
        .ok_or_else(bad)?;
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    let tail = tail.split('#').next().unwrap_or("");
    if authority.is_empty() || authority.contains('@') {
        return Err(bad());
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or_else(bad)?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad())?,
            None if after.is_empty() => 80,
            None => return Err(bad()),
        };
        (h.to_owned(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), p.parse().map_err(|_| bad())?),
            None => (authority.to_owned(), 80),
        }
    };
    if host.is_empty() {
        return Err(bad());
    }
    let path_and_query = if tail.starts_with('/') {
        tail.to_owned()
    } else {
        format!("/{tail}")
    };
    Ok(ParsedUrl {
        host,
        port,
        authority: authority.to_owned(),
        path_and_query,
    })
}

/// Whether `host` (as [`ParsedUrl::host`] holds it) names the loopback interface: `localhost`,
/// `127.0.0.0/8` or `::1`.
pub fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Splits `http://host:port/path` into a loopback socket address and a path (at least `/`).
///
/// Only `127.0.0.0/8`, `::1` and `localhost` are accepted ([`WireError::NotLoopback`]).
pub fn parse_loopback_url(url: &str) -> Result<(SocketAddr, String), WireError> {
    let parsed = parse_url(url)?;
    if !is_loopback_host(&parsed.host) {
        return Err(WireError::NotLoopback(url.to_owned()));
    }
    let ip = parsed
        .host
        .parse()
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    Ok((SocketAddr::new(ip, parsed.port), parsed.path_and_query))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn endpoints_keep_the_host_as_written_and_the_path_without_query_or_slash() {
        let e = Endpoint::resolve("http://127.0.0.1:7420/a2a/?x=1")
            .await
            .unwrap();
        assert_eq!(e.addr, "127.0.0.1:7420".parse().unwrap());
        assert_eq!(
            (e.host.as_str(), e.path.as_str()),
            ("127.0.0.1:7420", "/a2a")
        );
        let e = Endpoint::resolve("http://[::1]/").await.unwrap();
        assert_eq!(e.addr, "[::1]:80".parse().unwrap());
        assert_eq!((e.host.as_str(), e.path.as_str()), ("[::1]", ""));
        for bad in [
            "https://127.0.0.1",
            "http://u@127.0.0.1",
            "http://127.0.0.1:x",
        ] {
            assert!(
                matches!(Endpoint::resolve(bad).await, Err(WireError::InvalidUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn loopback_urls_are_accepted_and_others_refused() {
        let (addr, path) = parse_loopback_url("http://127.0.0.1:7420/a2a").unwrap();
        assert_eq!(addr.port(), 7420);
        assert_eq!(path, "/a2a");
        let (addr, path) = parse_loopback_url("http://localhost:80").unwrap();
        assert!(addr.ip().is_loopback());
        assert_eq!(path, "/");
        assert!(parse_loopback_url("http://[::1]:9/").is_ok());
        assert!(matches!(
            parse_loopback_url("http://10.0.0.1:80/"),
            Err(WireError::NotLoopback(_))
        ));
        assert!(parse_loopback_url("https://127.0.0.1/").is_err());
    }
}
