//! A strict SSE parser of our own (WHATWG event-stream rules): LF, CRLF and CR line ends,
//! multi-line `data:`, comments, `id:`, `event:`, `retry:`, and UTF-8 code points split across
//! reads. Unlike a lenient client it reports what it tolerated and what it could not accept.

/// One dispatched SSE event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The `event:` field, if any.
    pub event: Option<String>,
    /// The `id:` field, if any.
    pub id: Option<String>,
    /// The `retry:` field, if any.
    pub retry: Option<u64>,
    /// Comment lines seen since the previous event.
    pub comments: usize,
}

/// A framing problem found while parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseFault {
    /// The bytes are not valid UTF-8 (at byte offset).
    InvalidUtf8(usize),
    /// The stream ended in the middle of an event (data without the blank line).
    TruncatedEvent,
    /// A field name the spec does not know (ignored per WHATWG, reported for evidence).
    UnknownField(String),
}

/// Incremental parser: feed bytes as they arrive, take complete events out.
#[derive(Debug, Default)]
pub struct SseParser {}
