//! Server-sent events: the one SSE decoder of the workspace ([`SseParser`]), strict WHATWG
//! event-stream rules: LF, CRLF and CR line ends, multi-line `data:`, comments, `id:`, `event:`,
//! `retry:`, and UTF-8 code points split across reads. Unlike a lenient client it reports what it
//! tolerated and what it could not accept ([`SseFault`]).
//!
//! Bytes are split into lines first and each complete line is decoded on its own: line ends are
//! ASCII, so a code point split across reads is always whole by the time its line is decoded.
//!
//! Where only the number of events matters (load, benches, the fault proxy), the same decoder
//! runs in counting mode ([`SseParser::counting`]): the same line ends and the same dispatch rule
//! (a block with a `data` field ended by a blank line), but no line is kept or decoded, so
//! counting allocates nothing per event.

use std::collections::VecDeque;

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
    /// A `retry:` value that is not all ASCII digits (ignored per WHATWG, reported).
    InvalidRetry(String),
}

impl SseFault {
    /// Whether the fault makes the stream unusable (as opposed to tolerated and noted).
    pub fn is_fatal(&self) -> bool {
        matches!(self, SseFault::InvalidUtf8(_) | SseFault::TruncatedEvent)
    }
}

impl std::fmt::Display for SseFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SseFault::InvalidUtf8(at) => write!(f, "invalid UTF-8 at byte {at}"),
            SseFault::TruncatedEvent => f.write_str("the stream ended in the middle of an event"),
            SseFault::UnknownField(name) => write!(f, "unknown field `{name}`"),
            SseFault::InvalidRetry(v) => write!(f, "retry value `{v}` is not a number"),
        }
    }
}

/// Incremental parser: feed bytes as they arrive, take complete events out (or, in counting
/// mode, only count them).
#[derive(Debug, Default, Clone)]
pub struct SseParser {
    /// Counting mode: events are counted, not assembled.
    counting: bool,
    /// Counting mode: the first bytes of the current line (enough to tell a `data` field,
    /// after a BOM) and its length.
    head: [u8; 8],
    head_len: usize,
    line_len: usize,
    /// Counting mode: keep the bytes up to the first event, for [`SseParser::first_data`].
    keep_first: bool,
    raw_first: Vec<u8>,
    /// Events dispatched so far.
    events: u64,
    /// Bytes of the current, not yet terminated line.
    line: Vec<u8>,
    /// The previous chunk ended in CR: a leading LF of the next chunk belongs to it.
    after_cr: bool,
    /// Stream offset of `line[0]`, for fault positions.
    line_start: usize,
    /// Total bytes fed.
    offset: usize,
    /// No line decoded yet (a BOM may only appear there).
    first_line: bool,
    /// The event being assembled.
    data: String,
    has_data: bool,
    event: Option<String>,
    id: Option<String>,
    retry: Option<u64>,
    /// Any field line since the last dispatch (for truncation reports).
    pending_fields: bool,
    comments_since: usize,
    comments_total: usize,
    finished: bool,
    queue: VecDeque<Result<SseEvent, SseFault>>,
    faults: Vec<SseFault>,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self {
            first_line: true,
            ..Self::default()
        }
    }

    /// A parser in counting mode: [`SseParser::events`] and [`SseParser::bytes`] advance, no event
    /// is assembled or queued, and the only fault reported is [`SseFault::TruncatedEvent`].
    pub fn counting() -> Self {
        Self {
            counting: true,
            ..Self::new()
        }
    }

    /// A counting parser that also keeps the bytes up to the first event, for
    /// [`SseParser::first_data`].
    pub fn keeping_first() -> Self {
        Self {
            keep_first: true,
            ..Self::counting()
        }
    }

    /// The `data` of the first complete event, when kept ([`SseParser::keeping_first`]).
    pub fn first_data(&self) -> Option<Vec<u8>> {
        let (events, _) = Self::parse_all(&self.raw_first);
        events.into_iter().next().map(|e| e.data.into_bytes())
    }

    /// Events dispatched so far (blocks with a `data` field ended by a blank line).
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Bytes fed so far.
    pub fn bytes(&self) -> u64 {
        self.offset as u64
    }

    /// Parses a whole byte stream at once (then EOF): events and faults.
    pub fn parse_all(bytes: &[u8]) -> (Vec<SseEvent>, Vec<SseFault>) {
        let mut p = Self::new();
        p.feed(bytes);
        p.finish();
        let mut events = Vec::new();
        while let Some(e) = p.next_event() {
            events.push(e);
        }
        (events, p.faults.clone())
    }

    /// Feeds the next bytes of the stream.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.counting {
            self.feed_counting(bytes);
            return;
        }
        for &b in bytes {
            let pos = self.offset;
            self.offset += 1;
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    // The LF of a CRLF pair whose CR ended the previous line.
                    self.line_start = self.offset;
                    continue;
                }
            }
            match b {
                b'\n' => self.end_line(pos + 1),
                b'\r' => {
                    self.after_cr = true;
                    self.end_line(pos + 1);
                }
                _ => self.line.push(b),
            }
        }
    }

    /// Counting mode's [`SseParser::feed`]: lines are found with a scan for CR/LF and only
    /// their first bytes are looked at.
    fn feed_counting(&mut self, mut data: &[u8]) {
        if self.keep_first && self.events == 0 {
            self.raw_first.extend_from_slice(data);
        }
        self.offset += data.len();
        while !data.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if data[0] == b'\n' {
                    data = &data[1..];
                    continue;
                }
            }
            match data.iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(i) => {
                    self.take(&data[..i]);
                    self.after_cr = data[i] == b'\r';
                    self.count_line();
                    data = &data[i + 1..];
                }
                None => {
                    self.take(data);
                    break;
                }
            }
        }
    }

    /// Counting mode: notes part of the current line.
    fn take(&mut self, part: &[u8]) {
        let n = (self.head.len() - self.head_len).min(part.len());
        self.head[self.head_len..self.head_len + n].copy_from_slice(&part[..n]);
        self.head_len += n;
        self.line_len += part.len();
    }

    /// Counting mode: the current line ended; the same rule as [`SseParser::process_line`].
    fn count_line(&mut self) {
        let mut head = &self.head[..self.head_len];
        let mut len = self.line_len;
        if self.first_line {
            self.first_line = false;
            if let Some(rest) = head.strip_prefix("\u{feff}".as_bytes()) {
                head = rest;
                len -= 3;
            }
        }
        if len == 0 {
            self.pending_fields = false;
            if self.has_data {
                self.has_data = false;
                self.events += 1;
            }
        } else if head[0] != b':' {
            self.pending_fields = true;
            if head.starts_with(b"data") && (len == 4 || head[4] == b':') {
                self.has_data = true;
            }
        }
        self.head_len = 0;
        self.line_len = 0;
    }

    /// Marks the end of the stream: a half-received event is reported as truncated.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        // A stream that is nothing but a BOM is empty, not truncated.
        let partial_line = if self.counting {
            let only_bom = self.first_line && self.head[..self.head_len] == *"\u{feff}".as_bytes();
            self.line_len > 0 && !only_bom
        } else {
            let only_bom = self.first_line && self.line == "\u{feff}".as_bytes();
            !self.line.is_empty() && !only_bom
        };
        if partial_line || self.pending_fields {
            self.fault(SseFault::TruncatedEvent);
        }
        // WHATWG discards an undispatched event at EOF; so do we, after reporting it.
        self.line.clear();
    }

    /// The next complete event, skipping faults (which stay available in [`SseParser::faults`]).
    pub fn next_event(&mut self) -> Option<SseEvent> {
        loop {
            match self.queue.pop_front()? {
                Ok(e) => return Some(e),
                Err(_) => continue,
            }
        }
    }

    /// The next event or fault, in stream order.
    pub fn next_item(&mut self) -> Option<Result<SseEvent, SseFault>> {
        self.queue.pop_front()
    }

    /// Every fault found so far.
    pub fn faults(&self) -> &[SseFault] {
        &self.faults
    }

    /// Comment lines seen so far.
    pub fn comments(&self) -> usize {
        self.comments_total
    }

    /// Whether [`SseParser::finish`] was called.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    fn fault(&mut self, f: SseFault) {
        self.faults.push(f.clone());
        self.queue.push_back(Err(f));
    }

    fn end_line(&mut self, next_start: usize) {
        let raw = std::mem::take(&mut self.line);
        let start = self.line_start;
        self.line_start = next_start;
        let mut text = match String::from_utf8(raw) {
            Ok(s) => s,
            Err(e) => {
                let at = start + e.utf8_error().valid_up_to();
                self.fault(SseFault::InvalidUtf8(at));
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            }
        };
        if self.first_line {
            self.first_line = false;
            if let Some(rest) = text.strip_prefix('\u{feff}') {
                text = rest.to_owned();
            }
        }
        self.process_line(&text);
    }

    fn process_line(&mut self, line: &str) {
        if line.is_empty() {
            self.dispatch();
            return;
        }
        if line.starts_with(':') {
            self.comments_since += 1;
            self.comments_total += 1;
            return;
        }
        let (name, value) = match line.split_once(':') {
            Some((n, v)) => (n, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        self.pending_fields = true;
        match name {
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => self.event = Some(value.to_owned()),
            "id" => {
                // WHATWG: an id containing NUL is ignored.
                if !value.contains('\0') {
                    self.id = Some(value.to_owned());
                }
            }
            "retry" => {
                if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
                    self.retry = value.parse().ok();
                } else {
                    self.fault(SseFault::InvalidRetry(value.to_owned()));
                }
            }
            other => self.fault(SseFault::UnknownField(other.to_owned())),
        }
    }

    fn dispatch(&mut self) {
        self.pending_fields = false;
        let event = self.event.take();
        let id = self.id.take();
        let retry = self.retry.take();
        if !self.has_data {
            // WHATWG: no data, no event (the event type is reset).
            return;
        }
        self.has_data = false;
        self.events += 1;
        let comments = std::mem::take(&mut self.comments_since);
        self.queue.push_back(Ok(SseEvent {
            data: std::mem::take(&mut self.data),
            event,
            id,
            retry,
            comments,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(events: &[SseEvent]) -> Vec<&str> {
        events.iter().map(|e| e.data.as_str()).collect()
    }

    #[test]
    fn every_line_ending_splits_events() {
        let (ev, faults) =
            SseParser::parse_all(b"data: a\n\ndata: b\r\n\r\ndata: c\r\rdata: d\n\n");
        assert_eq!(data(&ev), ["a", "b", "c", "d"]);
        assert!(faults.is_empty());
    }

    #[test]
    fn multi_line_data_is_joined_with_lf_and_one_space_stripped() {
        let (ev, _) = SseParser::parse_all(b"data:  x\ndata:y\ndata\n\n");
        assert_eq!(ev[0].data, " x\ny\n");
    }

    #[test]
    fn fields_comments_and_bom_are_read() {
        let (ev, faults) =
            SseParser::parse_all(b"\xEF\xBB\xBF: hi\nid: 7\nevent: error\nretry: 30\ndata: {}\n\n");
        assert_eq!(
            ev,
            [SseEvent {
                data: "{}".into(),
                event: Some("error".into()),
                id: Some("7".into()),
                retry: Some(30),
                comments: 1
            }]
        );
        assert!(faults.is_empty());
    }

    #[test]
    fn faults_are_reported_not_hidden() {
        let (ev, faults) = SseParser::parse_all(b"foo: 1\nretry: x\ndata: \xFF\n\ndata: half");
        assert_eq!(ev.len(), 1);
        assert_eq!(
            faults,
            [
                SseFault::UnknownField("foo".into()),
                SseFault::InvalidRetry("x".into()),
                SseFault::InvalidUtf8(22),
                SseFault::TruncatedEvent
            ]
        );
    }

    #[test]
    fn counting_mode_counts_data_events_across_splits() {
        let text = b": ping\n\ndata: {\"a\":1}\n\nevent: x\r\ndata: 2\r\ndata: 3\r\n\r\ndata\n\n: c\n\nevent: y\n\ndata: 4\r\rx";
        for split in 0..text.len() {
            let mut c = SseParser::counting();
            c.feed(&text[..split]);
            c.feed(&text[split..]);
            assert_eq!(c.events(), 4, "split at {split}");
            assert_eq!(c.bytes(), text.len() as u64);
            c.finish();
            assert_eq!(c.faults(), [SseFault::TruncatedEvent], "split at {split}");
        }
    }

    #[test]
    fn counting_agrees_with_decoding() {
        let text = "\u{feff}data: a\n\ndatax: 1\n\ndata:b\r\n\r\n:c\r\r\ndata\n\n".as_bytes();
        let (events, _) = SseParser::parse_all(text);
        let mut c = SseParser::counting();
        c.feed(text);
        assert_eq!(c.events(), events.len() as u64);
        assert_eq!(c.events(), 3);
    }

    #[test]
    fn the_first_event_is_kept_when_asked() {
        let mut c = SseParser::keeping_first();
        c.feed(b": hi\ndata: one\ndata: two\n\ndata: three\n\n");
        assert_eq!(c.first_data().as_deref(), Some(&b"one\ntwo"[..]));
    }

    #[test]
    fn crlf_split_across_reads_is_one_line_end() {
        let mut p = SseParser::new();
        p.feed(b"data: a\r");
        p.feed(b"\n\r");
        p.feed(b"\ndata: b\n\n");
        p.finish();
        assert_eq!(p.next_event().map(|e| e.data), Some("a".into()));
        assert_eq!(p.next_event().map(|e| e.data), Some("b".into()));
        assert!(p.faults().is_empty());
    }
}
