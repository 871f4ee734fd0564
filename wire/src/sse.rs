//! Server-sent events: the counting decoder used where only the number of events matters.

/// Counts SSE events (blocks with at least one `data` line, ended by a blank line) in a byte
/// stream fed piecewise; accepts LF and CRLF line ends.
#[derive(Debug, Default, Clone)]
pub struct SseCounter {
    head: [u8; 5],
    head_len: usize,
    line_len: usize,
    last: u8,
    has_data: bool,
    keep_first: bool,
    raw_first: Vec<u8>,
    /// Complete events seen.
    pub events: u64,
    /// Bytes fed.
    pub bytes: u64,
}

impl SseCounter {
    /// A counter that also keeps the bytes up to the first event, for [`SseCounter::first_data`].
    pub fn keeping_first() -> Self {
        Self {
            keep_first: true,
            ..Self::default()
        }
    }

    /// The `data` of the first complete event (lines joined with `\n`), when kept.
    pub fn first_data(&self) -> Option<Vec<u8>> {
        let mut out: Vec<u8> = Vec::new();
        let mut seen = false;
        for line in self.raw_first.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                if seen {
                    return Some(out);
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix(b"data") {
                if rest.is_empty() || rest[0] == b':' {
                    let rest = rest.strip_prefix(b":").unwrap_or(rest);
                    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
                    if seen {
                        out.push(b'\n');
                    }
                    out.extend_from_slice(rest);
                    seen = true;
                }
            }
        }
        None
    }

    /// Feeds the next piece of the body.
    pub fn feed(&mut self, mut data: &[u8]) {
        self.bytes += data.len() as u64;
        if self.keep_first && self.events == 0 {
            self.raw_first.extend_from_slice(data);
        }
        while !data.is_empty() {
            match data.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.take(&data[..i]);
                    self.end_line();
                    data = &data[i + 1..];
                }
                None => {
                    self.take(data);
                    break;
                }
            }
        }
    }

    fn take(&mut self, part: &[u8]) {
        if part.is_empty() {
            return;
        }
        let room = 5 - self.head_len;
        let n = room.min(part.len());
        self.head[self.head_len..self.head_len + n].copy_from_slice(&part[..n]);
        self.head_len += n;
        self.line_len += part.len();
        self.last = part[part.len() - 1];
    }

    fn end_line(&mut self) {
        let len = if self.line_len > 0 && self.last == b'\r' {
            self.line_len - 1
        } else {
            self.line_len
        };
        if len == 0 {
            if self.has_data {
                self.events += 1;
                self.has_data = false;
            }
        } else if len >= 4
            && &self.head[..4] == b"data"
            && (len == 4 || self.head_len < 5 || self.head[4] == b':')
        {
            self.has_data = true;
        }
        self.head_len = 0;
        self.line_len = 0;
        self.last = 0;
    }
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_counter_counts_data_events_across_splits() {
        let text =
            b": ping\n\ndata: {\"a\":1}\n\nevent: x\r\ndata: 2\r\ndata: 3\r\n\r\ndata\n\n: c\n\n";
        for split in 0..text.len() {
            let mut c = SseCounter::default();
            c.feed(&text[..split]);
            c.feed(&text[split..]);
            assert_eq!(c.events, 3, "split at {split}");
        }
    }
}
