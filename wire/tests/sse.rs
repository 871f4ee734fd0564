//! The SSE decoder: WHATWG framing, faults reported, any split of the bytes parses the same, and
//! counting mode counts what decoding dispatches.

use gauntlet_wire::sse::{SseEvent, SseFault, SseParser};
use proptest::prelude::*;

fn feed_in_pieces(bytes: &[u8], cuts: &[usize]) -> (Vec<SseEvent>, Vec<SseFault>) {
    let mut p = SseParser::new();
    let mut at = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    for c in cuts {
        p.feed(&bytes[at..c]);
        at = c;
    }
    p.feed(&bytes[at..]);
    p.finish();
    let mut events = Vec::new();
    while let Some(e) = p.next_event() {
        events.push(e);
    }
    (events, p.faults().to_vec())
}

#[test]
fn a_code_point_split_at_every_byte_still_decodes() {
    let bytes = "data: é€😀\r\n\r\n".as_bytes();
    for cut in 0..=bytes.len() {
        let (events, faults) = feed_in_pieces(bytes, &[cut]);
        assert_eq!(events.len(), 1, "cut at {cut}");
        assert_eq!(events[0].data, "é€😀");
        assert!(faults.is_empty(), "cut at {cut}: {faults:?}");
    }
}

#[test]
fn a_bom_is_skipped_only_at_the_start() {
    let (events, _) = SseParser::parse_all("\u{feff}data: a\n\ndata: \u{feff}b\n\n".as_bytes());
    assert_eq!(events[0].data, "a");
    assert_eq!(events[1].data, "\u{feff}b");
}

#[test]
fn an_event_without_data_is_not_dispatched() {
    let (events, faults) = SseParser::parse_all(b"event: ping\nid: 1\n\n: keep-alive\n\ndata:\n\n");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data, "");
    assert_eq!(events[0].comments, 1);
    assert!(faults.is_empty());
}

#[test]
fn eof_in_the_middle_of_an_event_is_a_truncation() {
    let (events, faults) = SseParser::parse_all(b"data: {\"a\":1}\n");
    assert!(events.is_empty());
    assert_eq!(faults, [SseFault::TruncatedEvent]);
    assert!(SseFault::TruncatedEvent.is_fatal());
    assert!(!SseFault::UnknownField("x".into()).is_fatal());
}

#[test]
fn a_field_without_colon_is_a_field_with_an_empty_value() {
    let (events, faults) = SseParser::parse_all(b"data\ndata\n\n");
    assert_eq!(events[0].data, "\n");
    assert!(faults.is_empty());
}

#[derive(Debug, Clone)]
struct Ev {
    comments: usize,
    event: Option<String>,
    id: Option<String>,
    retry: Option<u64>,
    data: Vec<String>,
}

fn ev() -> impl Strategy<Value = Ev> {
    (
        0usize..3,
        proptest::option::of("[a-z]{1,8}"),
        proptest::option::of("[0-9a-f]{1,8}"),
        proptest::option::of(0u64..100_000),
        proptest::collection::vec("[^\r\n\u{0}]{0,12}", 1..4),
    )
        .prop_map(|(comments, event, id, retry, data)| Ev {
            comments,
            event,
            id,
            retry,
            data,
        })
}

fn encode(events: &[Ev], ends: &[u8], bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice("\u{feff}".as_bytes());
    }
    let mut i = 0;
    let mut prev_cr = false;
    let mut line = |out: &mut Vec<u8>, text: &str| {
        let mut end = ends[i % ends.len()] % 3;
        if prev_cr && text.is_empty() && end == 0 {
            // CR then an empty LF-terminated line would read as one CRLF: keep them apart.
            end = 2;
        }
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(match end {
            0 => b"\n".as_slice(),
            1 => b"\r\n".as_slice(),
            _ => b"\r".as_slice(),
        });
        prev_cr = end == 2;
        i += 1;
    };
    for e in events {
        for c in 0..e.comments {
            line(&mut out, &format!(": keep-alive {c}"));
        }
        if let Some(v) = &e.event {
            line(&mut out, &format!("event: {v}"));
        }
        if let Some(v) = &e.id {
            line(&mut out, &format!("id:{v}"));
        }
        if let Some(v) = e.retry {
            line(&mut out, &format!("retry: {v}"));
        }
        for d in &e.data {
            line(&mut out, &format!("data: {d}"));
        }
        line(&mut out, "");
    }
    out
}

proptest! {
    #[test]
    fn any_split_of_a_valid_stream_parses_to_the_same_events(
        events in proptest::collection::vec(ev(), 0..6),
        ends in proptest::collection::vec(any::<u8>(), 1..8),
        bom in any::<bool>(),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let bytes = encode(&events, &ends, bom);
        let expected: Vec<SseEvent> = events
            .iter()
            .map(|e| SseEvent {
                data: e.data.join("\n"),
                event: e.event.clone(),
                id: e.id.clone(),
                retry: e.retry,
                comments: e.comments,
            })
            .collect();
        let (whole, whole_faults) = SseParser::parse_all(&bytes);
        prop_assert_eq!(&whole, &expected);
        prop_assert!(whole_faults.is_empty());
        let (split, split_faults) = feed_in_pieces(&bytes, &cuts);
        prop_assert_eq!(split, expected);
        prop_assert!(split_faults.is_empty());
    }

    #[test]
    fn counting_mode_counts_what_decoding_dispatches(
        bytes in proptest::collection::vec(
            prop_oneof![Just(b'\n'), Just(b'\r'), Just(b':'), Just(b' '), Just(b'd'), Just(b'a'),
                Just(b't'), Just(b'x'), Just(0xEF), Just(0xBB), Just(0xBF)],
            0..200,
        ),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let (events, faults) = SseParser::parse_all(&bytes);
        let mut c = SseParser::counting();
        let mut at = 0;
        let mut cuts: Vec<usize> = cuts.iter().map(|x| x % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        for x in cuts {
            c.feed(&bytes[at..x]);
            at = x;
        }
        c.feed(&bytes[at..]);
        c.finish();
        prop_assert_eq!(c.events(), events.len() as u64);
        prop_assert_eq!(
            c.faults().contains(&SseFault::TruncatedEvent),
            faults.contains(&SseFault::TruncatedEvent)
        );
    }
}
