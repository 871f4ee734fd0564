//! Request bytes: one request serialised exactly as given ([`request_bytes`]), and
//! pre-serialized requests built once and replayed, with a fixed-width counter rewritten in
//! place so each request stays unique without re-serializing ([`RequestTemplate`]).

/// Marker written where a request carries a per-request counter (16 hex digits).
pub const COUNTER_SLOT: &str = "0000000000000000";

/// Serialises one HTTP/1.1 request exactly: the request line, `Host`, `headers` as given (names
/// and values untouched, in order), `Content-Length` when there is a body or the method is POST,
/// then the body.
pub fn request_bytes(
    method: &str,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    for (n, v) in headers {
        out.push_str(n);
        out.push_str(": ");
        out.push_str(v);
        out.push_str("\r\n");
    }
    if !body.is_empty() || method == "POST" {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Percent-encodes one path segment (RFC 3986 unreserved characters pass).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Serialized request bytes, with an optional 16-hex-digit counter slot rewritten in place on
/// every [`RequestTemplate::next_request`], so each message id is unique without re-serializing.
#[derive(Debug, Clone)]
pub struct RequestTemplate {
    bytes: Vec<u8>,
    slot: Option<usize>,
    counter: u64,
}

impl RequestTemplate {
    /// Wraps `bytes`; the first run of 16 `0` digits in the body (if any) becomes the counter.
    pub fn new(bytes: Vec<u8>) -> Self {
        let slot = find(&bytes, COUNTER_SLOT.as_bytes());
        Self {
            bytes,
            slot,
            counter: 0,
        }
    }

    /// Starts the counter at `base` (give each worker its own range).
    pub fn with_counter(mut self, base: u64) -> Self {
        self.counter = base;
        self
    }

    /// The bytes of the next request.
    pub fn next_request(&mut self) -> &[u8] {
        if let Some(at) = self.slot {
            let mut c = self.counter;
            for i in (0..16).rev() {
                self.bytes[at + i] = b"0123456789abcdef"[(c & 15) as usize];
                c >>= 4;
            }
            self.counter = self.counter.wrapping_add(1);
        }
        &self.bytes
    }

    /// The bytes as they are now (without advancing the counter).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// First index of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut from = 0;
    while let Some(i) = hay[from..=hay.len() - needle.len()]
        .iter()
        .position(|&b| b == first)
    {
        let at = from + i;
        if &hay[at..at + needle.len()] == needle {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

// ---------------------------------------------------------------------------------------------
