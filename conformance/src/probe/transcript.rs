//! Transcripts: every exchange a case makes, kept as evidence and renderable as curl commands.
//!
//! Evidence is bounded: response bodies and SSE events are cut at [`MAX_BODY`], a request body
//! over [`MAX_BODY`] is kept as a [`BodyRecipe`] when it is made of long runs of one byte (the
//! curl command then generates the same bytes), else whole up to [`MAX_REQUEST_BODY`], else
//! only its start (the curl command says so). A report keeps at most [`MAX_EXCHANGES`]
//! exchanges per result ([`Transcript::bounded`]).

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::RawRequest;

/// Body text kept per exchange; longer bodies are cut with a marker.
pub const MAX_BODY: usize = 4096;
/// SSE events kept per exchange; later ones are counted, not stored.
pub const MAX_EVENTS: usize = 50;
/// Request bodies up to this size without a [`BodyRecipe`] are kept whole (a shell argument
/// of this size still runs); longer ones keep their first [`MAX_BODY`] bytes only.
pub const MAX_REQUEST_BODY: usize = 64 * 1024;
/// Exchanges a report keeps per result: the first ones and the last [`KEPT_TAIL`].
pub const MAX_EXCHANGES: usize = 24;
/// Of the [`MAX_EXCHANGES`], how many are the last ones (where a case usually decides).
pub const KEPT_TAIL: usize = 4;
/// A run of one byte at least this long becomes a generated segment of a [`BodyRecipe`].
const MIN_RUN: usize = 64;
/// At most this many segments make a recipe (else the body is not "runs of one byte").
const MAX_SEGMENTS: usize = 32;

/// How a request body was built: literal bytes and runs of one repeated byte, in order. It
/// reproduces the body exactly, so a 4 MiB probe needs no 4 MiB shell argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyRecipe {
    /// The segments, concatenated in order.
    pub segments: Vec<Segment>,
}

/// One piece of a [`BodyRecipe`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// These bytes as they are.
    Literal(Vec<u8>),
    /// `count` copies of `byte`.
    Run {
        /// The repeated byte.
        byte: u8,
        /// How many.
        count: usize,
    },
}

impl BodyRecipe {
    /// The recipe of `body` when it is compact (runs of at least 64 equal bytes, at most
    /// [`MAX_BODY`] literal bytes and 32 segments in all); `None` otherwise.
    pub fn of(body: &[u8]) -> Option<Self> {
        let mut segments = Vec::new();
        let (mut literal, mut literal_total) = (Vec::new(), 0usize);
        let mut i = 0;
        while i < body.len() {
            let byte = body[i];
            let run = body[i..].iter().take_while(|b| **b == byte).count();
            if run >= MIN_RUN {
                if !literal.is_empty() {
                    segments.push(Segment::Literal(std::mem::take(&mut literal)));
                }
                segments.push(Segment::Run { byte, count: run });
            } else {
                literal.extend_from_slice(&body[i..i + run]);
                literal_total += run;
                if literal_total > MAX_BODY {
                    return None;
                }
            }
            i += run;
            if segments.len() > MAX_SEGMENTS {
                return None;
            }
        }
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        segments
            .iter()
            .any(|s| matches!(s, Segment::Run { .. }))
            .then_some(Self { segments })
    }

    /// Total bytes the recipe produces.
    pub fn len(&self) -> usize {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Literal(b) => b.len(),
                Segment::Run { count, .. } => *count,
            })
            .sum()
    }

    /// Whether the recipe produces nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes it produces.
    pub fn build(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        for s in &self.segments {
            match s {
                Segment::Literal(b) => out.extend_from_slice(b),
                Segment::Run { byte, count } => out.resize(out.len() + count, *byte),
            }
        }
        out
    }

    /// A POSIX shell command list writing exactly these bytes to stdout:
    /// `{ printf '%s' '…'; head -c N /dev/zero | tr '\000' '\141'; }`.
    pub fn shell(&self) -> String {
        let parts: Vec<String> = self
            .segments
            .iter()
            .map(|s| match s {
                Segment::Literal(b) => printf_bytes(b),
                Segment::Run { byte: 0, count } => format!("head -c {count} /dev/zero"),
                Segment::Run { byte, count } => {
                    format!("head -c {count} /dev/zero | tr '\\000' '\\{byte:03o}'")
                }
            })
            .collect();
        format!("{{ {}; }}", parts.join("; "))
    }
}

/// A `printf` that writes `bytes` exactly: `%s` with a quoted argument for text, `%b` with
/// octal escapes for bytes a shell string cannot carry (NUL, invalid UTF-8).
fn printf_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => format!("printf '%s' {}", quote(text)),
        _ => printf_octal(bytes),
    }
}

/// How the report keeps a request body longer than [`MAX_BODY`] that it does not keep whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LongBody {
    /// Rebuilt exactly from this recipe (the curl command generates it).
    Recipe(BodyRecipe),
    /// Not reproducible from the report: only the first [`MAX_BODY`] bytes are kept.
    Truncated,
}

/// One recorded request/response (or request/stream) exchange.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// What was sent. When [`Exchange::long_body`] is set, `request.body` holds only the first
    /// [`MAX_BODY`] bytes of the body.
    pub request: RawRequest,
    /// Bytes the request body really had.
    pub request_body_len: usize,
    /// Set when the request body was too long to keep whole: its recipe, or a truncation.
    pub long_body: Option<LongBody>,
    /// Exchanges of the same result left out of the report just before this one.
    pub omitted_before: usize,
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
    /// An exchange whose answer has not arrived yet; a long request body is kept bounded.
    pub fn new(mut request: RawRequest) -> Self {
        let request_body_len = request.body.len();
        let long_body = if request_body_len <= MAX_BODY {
            None
        } else if let Some(recipe) = BodyRecipe::of(&request.body) {
            Some(LongBody::Recipe(recipe))
        } else if request_body_len <= MAX_REQUEST_BODY {
            None
        } else {
            Some(LongBody::Truncated)
        };
        if long_body.is_some() {
            // A copy, so the long body's buffer is not kept alive by a slice of it.
            request.body = bytes::Bytes::copy_from_slice(&request.body[..MAX_BODY]);
        }
        Self {
            request,
            request_body_len,
            long_body,
            omitted_before: 0,
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

    /// The curl command that reproduces the request (a long body is generated by its recipe;
    /// a truncated one is marked as such in a trailing comment).
    pub fn curl(&self) -> String {
        let body = match &self.long_body {
            None => Body::Bytes(&self.request.body),
            Some(LongBody::Recipe(r)) => Body::Recipe(r),
            Some(LongBody::Truncated) => Body::Truncated {
                kept: &self.request.body,
                len: self.request_body_len,
            },
        };
        render_curl(&self.request, self.is_stream(), body)
    }

    /// The request body as report text: lossy UTF-8, cut at [`MAX_BODY`], saying how many
    /// bytes were left out and whether the curl command rebuilds them.
    pub fn request_body_text(&self) -> String {
        let text = String::from_utf8_lossy(&self.request.body);
        match &self.long_body {
            None => truncate(&text, MAX_BODY),
            Some(long) => {
                let how = match long {
                    LongBody::Recipe(_) => "the curl command generates them",
                    LongBody::Truncated => "not kept",
                };
                format!(
                    "{text}… [{} more bytes; {how}]",
                    self.request_body_len - self.request.body.len()
                )
            }
        }
    }

    /// A readable rendering: request line, headers, body; response status, headers, body/events.
    pub fn render(&self) -> String {
        self.render_timed(true)
    }

    /// Like [`Exchange::render`]; `times: false` leaves durations out (stable snapshots).
    pub fn render_timed(&self, times: bool) -> String {
        let mut out = String::new();
        if self.omitted_before > 0 {
            let _ = writeln!(
                out,
                "({} earlier exchanges left out of the report)",
                self.omitted_before
            );
        }
        let r = &self.request;
        let _ = writeln!(out, "> {} {}", r.method, r.url);
        for (n, v) in &r.headers {
            let _ = writeln!(out, "> {n}: {v}");
        }
        if !r.body.is_empty() {
            let _ = writeln!(out, ">");
            let _ = writeln!(out, "> {}", self.request_body_text());
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

    /// The exchanges a report keeps: all of them up to [`MAX_EXCHANGES`], else the first
    /// `MAX_EXCHANGES - KEPT_TAIL` and the last [`KEPT_TAIL`], the gap recorded in
    /// [`Exchange::omitted_before`].
    pub fn bounded(&self) -> Vec<Exchange> {
        let all = self.lock();
        if all.len() <= MAX_EXCHANGES {
            return all.clone();
        }
        let head = MAX_EXCHANGES - KEPT_TAIL;
        let tail_start = all.len() - KEPT_TAIL;
        let mut kept: Vec<Exchange> = all[..head].to_vec();
        kept.extend(all[tail_start..].iter().cloned());
        kept[head].omitted_before = tail_start - head;
        kept
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

/// The curl command line that reproduces `req` (a long body made of runs of one byte is
/// generated by its [`BodyRecipe`] instead of spelled out).
pub fn curl(req: &RawRequest) -> String {
    curl_of(req, false)
}

/// The curl command for a streaming request (`-N`, no buffering).
pub fn curl_stream(req: &RawRequest) -> String {
    curl_of(req, true)
}

fn curl_of(req: &RawRequest, stream: bool) -> String {
    let recipe = (req.body.len() > MAX_BODY)
        .then(|| BodyRecipe::of(&req.body))
        .flatten();
    match &recipe {
        Some(r) => render_curl(req, stream, Body::Recipe(r)),
        None => render_curl(req, stream, Body::Bytes(&req.body)),
    }
}

/// Where the curl command's body comes from.
enum Body<'a> {
    /// These exact bytes.
    Bytes(&'a [u8]),
    /// Generated by a recipe.
    Recipe(&'a BodyRecipe),
    /// Only the start of a body of `len` bytes is known.
    Truncated { kept: &'a [u8], len: usize },
}

fn render_curl(req: &RawRequest, stream: bool, body: Body<'_>) -> String {
    let has_body = match body {
        Body::Bytes(b) => !b.is_empty(),
        Body::Recipe(r) => !r.is_empty(),
        Body::Truncated { .. } => true,
    };
    let mut parts: Vec<String> = vec!["curl".into(), "-sS".into(), "-i".into()];
    if stream {
        parts.push("-N".into());
    }
    // curl picks GET/POST itself; say the method only when it would guess differently.
    let implied = if has_body { "POST" } else { "GET" };
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
    if has_body && !has_ct {
        // --data-binary would otherwise add a form content type the probe never sent.
        parts.push("-H".into());
        parts.push(quote("Content-Type:"));
    }
    let (mut prefix, mut suffix) = (String::new(), String::new());
    let mut piped = |source: String, parts: &mut Vec<String>| {
        prefix = format!("{source} | ");
        parts.push("--data-binary".into());
        parts.push("@-".into());
    };
    match body {
        Body::Bytes([]) => {}
        Body::Bytes(b) => match std::str::from_utf8(b) {
            Ok(text) if !text.contains('\0') && !text.starts_with('@') => {
                parts.push("--data-binary".into());
                parts.push(quote(text));
            }
            // Bytes a shell string cannot carry (or a leading `@`, which curl reads as a file
            // name): piped in through printf octal escapes.
            _ => piped(printf_octal(b), &mut parts),
        },
        Body::Recipe(r) => piped(r.shell(), &mut parts),
        Body::Truncated { kept, len } => {
            piped(printf_bytes(kept), &mut parts);
            suffix = format!(
                "  # sends only the first {} of the {len} bytes the probe sent",
                kept.len()
            );
        }
    }
    format!("{prefix}{}{suffix}", parts.join(" "))
}

/// `printf '%b' '\ooo…'`: any bytes, as octal escapes.
fn printf_octal(bytes: &[u8]) -> String {
    let mut esc = String::new();
    for b in bytes {
        let _ = write!(esc, "\\{b:03o}");
    }
    format!("printf '%b' '{esc}'")
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
