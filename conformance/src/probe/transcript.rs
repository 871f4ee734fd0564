//! Transcripts: every exchange a case makes, kept as evidence and renderable as curl commands.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::RawRequest;

/// Body text kept per exchange; longer bodies are cut with a marker.
pub const MAX_BODY: usize = 4096;
/// SSE events kept per exchange; later ones are counted, not stored.
pub const MAX_EVENTS: usize = 50;

/// One recorded request/response (or request/stream) exchange.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// What was sent.
    pub request: RawRequest,
    /// Response status, if a head arrived.
    pub status: Option<u16>,
    /// Response headers (lower-cased names).
    pub headers: Vec<(String, String)>,
    /// Response body text (lossy UTF-8), truncated for reports.
    pub body: String,
    /// SSE events' data, in order (truncated for reports).
    pub events: Vec<String>,
    /// Probe error, if the exchange did not complete.
    pub error: Option<String>,
    /// Time until the answer completed (or failed).
    pub elapsed: Duration,
}

impl Exchange {
    /// An exchange whose answer has not arrived yet.
    pub fn new(request: RawRequest) -> Self {
        Self {
            request,
            status: None,
            headers: Vec::new(),
            body: String::new(),
            events: Vec::new(),
            error: None,
            elapsed: Duration::ZERO,
        }
    }

    /// Whether this exchange was a stream (curl needs `-N`).
    pub fn is_stream(&self) -> bool {
        !self.events.is_empty()
            || self.headers.iter().any(|(n, v)| {
                n == "content-type" && v.to_ascii_lowercase().starts_with("text/event-stream")
            })
    }

    /// The curl command that reproduces the request.
    pub fn curl(&self) -> String {
        render_curl(&self.request, self.is_stream())
    }

    /// A readable rendering: request line, headers, body; response status, headers, body/events.
    pub fn render(&self) -> String {
        self.render_timed(true)
    }

    /// Like [`Exchange::render`]; `times: false` leaves durations out (stable snapshots).
    pub fn render_timed(&self, times: bool) -> String {
        let mut out = String::new();
        let r = &self.request;
        let _ = writeln!(out, "> {} {}", r.method, r.url);
        for (n, v) in &r.headers {
            let _ = writeln!(out, "> {n}: {v}");
        }
        if !r.body.is_empty() {
            let _ = writeln!(out, ">");
            let _ = writeln!(
                out,
                "> {}",
                truncate(&String::from_utf8_lossy(&r.body), MAX_BODY)
            );
        }
        match self.status {
            Some(s) if times => {
                let _ = writeln!(out, "< {s}  ({} ms)", self.elapsed.as_millis());
            }
            Some(s) => {
                let _ = writeln!(out, "< {s}");
            }
            None => {
                let _ = writeln!(out, "< (no response)");
            }
        }
        for (n, v) in &self.headers {
            let _ = writeln!(out, "< {n}: {v}");
        }
        if !self.body.is_empty() {
            let _ = writeln!(out, "<");
            let _ = writeln!(out, "< {}", self.body);
        }
        for (i, e) in self.events.iter().enumerate() {
            let _ = writeln!(out, "< event {}: {e}", i + 1);
        }
        if let Some(e) = &self.error {
            let _ = writeln!(out, "! {e}");
        }
        out
    }
}

/// A shared, append-only list of exchanges. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    inner: Arc<Mutex<Vec<Exchange>>>,
}

impl Transcript {
    /// An empty transcript.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Exchange>> {
        // A panicking case must not make its evidence unreadable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends an exchange; returns its index for later updates.
    pub fn push(&self, exchange: Exchange) -> usize {
        let mut v = self.lock();
        v.push(exchange);
        v.len() - 1
    }

    /// Updates exchange `index` in place (streams add events as they arrive).
    pub fn update(&self, index: usize, f: impl FnOnce(&mut Exchange)) {
        if let Some(e) = self.lock().get_mut(index) {
            f(e);
        }
    }

    /// A copy of every exchange so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.lock().clone()
    }

    /// Number of exchanges.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Cuts `s` to at most `max` bytes (on a char boundary), marking what was left out.
pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [{} more bytes]", &s[..end], s.len() - end)
}

/// The curl command line that reproduces `req`.
pub fn curl(req: &RawRequest) -> String {
    render_curl(req, false)
}

/// The curl command for a streaming request (`-N`, no buffering).
pub fn curl_stream(req: &RawRequest) -> String {
    render_curl(req, true)
}

fn render_curl(req: &RawRequest, stream: bool) -> String {
    let mut parts: Vec<String> = vec!["curl".into(), "-sS".into(), "-i".into()];
    if stream {
        parts.push("-N".into());
    }
    // curl picks GET/POST itself; say the method only when it would guess differently.
    let implied = if req.body.is_empty() { "GET" } else { "POST" };
    if req.method != implied {
        parts.push("-X".into());
        parts.push(quote(&req.method));
    }
    parts.push(quote(&req.url));
    let mut has_ct = false;
    for (n, v) in &req.headers {
        // curl sets these from the URL and the body.
        if n.eq_ignore_ascii_case("host") || n.eq_ignore_ascii_case("content-length") {
            continue;
        }
        has_ct |= n.eq_ignore_ascii_case("content-type");
        parts.push("-H".into());
        parts.push(quote(&format!("{n}: {v}")));
    }
    if !req.body.is_empty() && !has_ct {
        // --data-binary would otherwise add a form content type the probe never sent.
        parts.push("-H".into());
        parts.push(quote("Content-Type:"));
    }
    let mut prefix = String::new();
    if !req.body.is_empty() {
        match std::str::from_utf8(&req.body) {
            Ok(text) if !text.contains('\0') && !text.starts_with('@') => {
                parts.push("--data-binary".into());
                parts.push(quote(text));
            }
            _ => {
                // Bytes a shell string cannot carry (or a leading `@`, which curl reads as a file
                // name): pipe them in through printf octal escapes.
                let mut esc = String::new();
                for b in req.body.iter() {
                    let _ = write!(esc, "\\{b:03o}");
                }
                prefix = format!("printf '%b' '{esc}' | ");
                parts.push("--data-binary".into());
                parts.push("@-".into());
            }
        }
    }
    format!("{prefix}{}", parts.join(" "))
}

/// POSIX shell single-quoting: safe for any text (a `'` becomes `'\''`).
pub fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%+,".contains(&b));
    if plain {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}
