//! Memory per stored chunk and per stalled subscriber, and the exact echo of JSON-RPC ids
//! (digest §13.4 resource limits, derived; JSON-RPC 2.0 `id`, JRPC-002).
//!
//! Memory is read as the server's resident set (`VmRSS` of `/proc/<pid>/status`), so it needs
//! the pid from the harness's lifecycle gauges (the embedded reference, or a server started with
//! `--sut-cmd`); without it the scenarios are INFORMATIONAL. The spec sets no byte figure, so a
//! server over the bound is NON-STRICT, never FAIL. The id echo is a MUST: JSON-RPC 2.0 says the
//! response id "MUST be the same as the value of the id member in the Request Object", and
//! `1e-25`, `12345678901234567890123` and `-0` are the ids a server that re-encodes numbers
//! through `f64` gets wrong; it is judged on the raw response bytes.

use std::time::Duration;

use gauntlet_conformance::case::{Judged, Level, Outcome};
use serde_json::{json, Value};
use tokio::time::Instant;

use super::common::harness;
use crate::a2a::{message_params, Event, Stream, Target};
use crate::gauges;
use crate::scenario::{Env, Need, Scenario};
use crate::wire::{self, ConnOpts};
use crate::{fmt_duration, scenario_fn, ScenarioInfo};

/// The scenarios of this family.
pub const SCENARIOS: [Scenario; 3] = [
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-MEM-001",
            level: Level::Should,
            title: "run two `stream 20000 0` tasks (40,000 stored chunks of ~33 bytes of JSON) and read the server's RSS before and after",
            spec: "§13.4 (derived)",
            requirement: "resident memory grows by at most 512 bytes per stored chunk (NON-STRICT above; INFORMATIONAL without the server's pid)",
        },
        needs: &[Need::TestAgent, Need::Streaming],
        run: scenario_fn!(per_stored_chunk),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-MEM-002",
            level: Level::Should,
            title: "open 8 `stream 20000 0` streams that are never read (4 KiB SO_RCVBUF), let their tasks finish, read the server's RSS",
            spec: "§13.4 (derived)",
            requirement: "each stalled stream, its task's stored output included, holds at most 3 MiB (NON-STRICT above; INFORMATIONAL without the server's pid)",
        },
        needs: &[Need::TestAgent, Need::Streaming],
        run: scenario_fn!(per_stalled_stream),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-ID-001",
            level: Level::Must,
            title: "JSON-RPC requests with ids `1e-25`, `12345678901234567890123`, `9007199254740991`, `-0` and escaped strings, on a result and an error",
            spec: "JSON-RPC 2.0 §5 (JRPC-002)",
            requirement: "every response id has the request id's value and type (FAIL otherwise); the same bytes are ideal (another spelling of the same number, or a number outside RFC 8259 §6's interoperable range rounded to a double, is NON-STRICT)",
        },
        needs: &[],
        run: scenario_fn!(exact_ids),
    },
];

/// Chunks per `stream` task: the test agent's cap.
const CHUNKS: u32 = 20_000;
/// CHAOS-MEM-001's bound.
const MAX_BYTES_PER_CHUNK: f64 = 512.0;
/// CHAOS-MEM-002's stalled streams and bound.
const STALLED: usize = 8;
const MAX_BYTES_PER_STALLED: f64 = 3.0 * 1024.0 * 1024.0;

/// The server's pid and its current RSS in KiB, when both are observable.
fn rss(env: &Env) -> Option<(u32, u64)> {
    let pid = env.gauges().and_then(|g| g.pid)?;
    gauges::rss_kib(pid).map(|k| (pid, k))
}

/// Reads a stream to its end (or an error); returns the last state seen.
async fn drain(mut s: Stream, idle: Duration) -> Result<Option<String>, String> {
    let mut last = None;
    loop {
        match s.next(idle).await {
            Ok(Some(Event::Result(v))) => {
                let st = v["statusUpdate"]["status"]["state"]
                    .as_str()
                    .or_else(|| v["task"]["status"]["state"].as_str());
                if let Some(st) = st {
                    last = Some(st.to_owned());
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => return Ok(last),
            Err(e) => return Err(e.to_string()),
        }
    }
}

async fn run_stream(env: &Env, t: &Target, text: &str) -> Result<(), Outcome> {
    let s = t
        .stream_text(
            text,
            ConnOpts::default(),
            env.deadline(Duration::from_secs(5)),
        )
        .await
        .map_err(|e| harness("SendStreamingMessage", e))?;
    match drain(s, env.deadline(Duration::from_secs(10))).await {
        Ok(Some(st)) if st == "TASK_STATE_COMPLETED" => Ok(()),
        Ok(st) => Err(Outcome::error(format!(
            "`{text}` did not complete: it ended in {}",
            crate::a2a::fmt_state(st.as_deref())
        ))),
        Err(e) => Err(Outcome::error(format!("`{text}` did not complete: {e}"))),
    }
}

async fn per_stored_chunk(env: Env) -> Judged {
    const TASKS: u32 = 2;
    let t = env.target().clone();
    let text = format!("stream {CHUNKS} 0");
    if rss(&env).is_none() {
        return Ok(Outcome::info(
            "the server's RSS is not observable (no pid from the harness; give --sut-cmd)",
        ));
    }
    // One run first, so buffers the server keeps anyway are in the baseline.
    run_stream(&env, &t, &text).await?;
    let (pid, before) = rss(&env).ok_or_else(|| Outcome::error("RSS became unreadable"))?;
    for _ in 0..TASKS {
        run_stream(&env, &t, &text).await?;
    }
    let after = gauges::rss_kib(pid).ok_or_else(|| Outcome::error("RSS became unreadable"))?;
    let chunks = f64::from(CHUNKS * TASKS);
    let per = after.saturating_sub(before) as f64 * 1024.0 / chunks;
    let evidence =
        format!("RSS {before} KiB → {after} KiB for {chunks} stored chunks: {per:.0} bytes each");
    if per <= MAX_BYTES_PER_CHUNK {
        Ok(Outcome::pass(evidence))
    } else {
        Err(Outcome::fail(
            "stored chunks cost much more memory than their JSON",
            format!("at most {MAX_BYTES_PER_CHUNK} bytes of RSS per stored chunk"),
            evidence,
        ))
    }
}

async fn per_stalled_stream(env: Env) -> Judged {
    let t = env.target().clone();
    let Some((pid, before)) = rss(&env) else {
        return Ok(Outcome::info(
            "the server's RSS is not observable (no pid from the harness; give --sut-cmd)",
        ));
    };
    // A context of our own, so ListTasks can tell when exactly our tasks are done without
    // reading their (large) artifacts back.
    let context = format!("chaos-mem-002-{}", std::process::id());
    let context = format!("{context}-{}", Instant::now().elapsed().as_nanos());
    let opts = ConnOpts {
        recv_buffer: Some(4096),
        read_size: Some(4096),
    };
    let mut held = Vec::with_capacity(STALLED);
    for _ in 0..STALLED {
        let mut params = message_params(&format!("stream {CHUNKS} 0"), json!({}));
        params["message"]["contextId"] = json!(context);
        let s = t
            .open_stream(
                "SendStreamingMessage",
                params,
                opts,
                env.deadline(Duration::from_secs(5)),
            )
            .await
            .map_err(|e| harness("SendStreamingMessage", e))?;
        held.push(s); // never read
    }
    let bound = env.deadline(Duration::from_secs(60));
    let t0 = Instant::now();
    let mut pause = Duration::from_millis(20);
    loop {
        let reply = t
            .rpc(
                "ListTasks",
                json!({"contextId": context, "pageSize": 100}),
                env.deadline(Duration::from_secs(5)),
            )
            .await
            .map_err(|e| harness("ListTasks", e))?
            .map_err(|e| Outcome::error(format!("ListTasks failed: {e}")))?;
        let tasks = reply["tasks"].as_array().cloned().unwrap_or_default();
        let done = tasks
            .iter()
            .filter(|t| crate::a2a::task_state(t).is_some_and(crate::a2a::is_terminal))
            .count();
        if done >= STALLED {
            break;
        }
        if t0.elapsed() > bound {
            return Err(Outcome::fail(
                "tasks with a stalled stream never finished",
                format!("{STALLED} tasks terminal within {}", fmt_duration(bound)),
                format!("{done} terminal"),
            ));
        }
        // Polling cadence, not synchronisation: the bound above ends the wait.
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(200));
    }
    let after = gauges::rss_kib(pid).ok_or_else(|| Outcome::error("RSS became unreadable"))?;
    let alive = t.alive(env.deadline(Duration::from_secs(2))).await.is_ok();
    drop(held);
    let per = after.saturating_sub(before) as f64 * 1024.0 / STALLED as f64;
    let evidence = format!(
        "RSS {before} KiB → {after} KiB with {STALLED} stalled streams: {:.0} KiB each; serving others: {alive}",
        per / 1024.0
    );
    if per <= MAX_BYTES_PER_STALLED && alive {
        Ok(Outcome::pass(evidence))
    } else {
        Err(Outcome::fail(
            "a stalled stream holds unbounded memory",
            format!(
                "at most {} KiB per stalled stream, and the server still serving",
                MAX_BYTES_PER_STALLED / 1024.0
            ),
            evidence,
        ))
    }
}

/// The ids sent: numbers inside and outside the range RFC 8259 §6 calls interoperable, and
/// strings with escapes.
const IDS: &[&str] = &[
    "1e-25",
    "12345678901234567890123",
    "9007199254740991",
    "-0",
    r#""plain-id""#,
    r#""esc\u0061ped \"id\"""#,
];

async fn exact_ids(env: Env) -> Judged {
    let t = env.target().clone();
    let mut loose = Vec::new();
    for id in IDS {
        let calls = [
            (
                "SendMessage",
                serde_json::to_string(&message_params("echo chaos-id-001", json!({})))
                    .unwrap_or_default(),
            ),
            ("GetTask", r#"{"id":"chaos-id-001-missing"}"#.to_owned()),
        ];
        for (method, params) in calls {
            let body =
                format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{params}}}"#);
            let request = wire::request_bytes(
                "POST",
                &t.host,
                &t.rpc_path,
                &[("Content-Type", "application/json"), ("A2A-Version", "1.0")],
                body.as_bytes(),
            );
            let resp = wire::round_trip(t.addr, &request, env.deadline(Duration::from_secs(5)))
                .await
                .map_err(|e| harness(method, e.into()))?;
            let text = String::from_utf8_lossy(&resp.body).into_owned();
            let Some(seen) = top_level_member(&text, "id") else {
                return Err(Outcome::fail(
                    format!("{method} with id {id}: no id in the response"),
                    format!("\"id\":{id}"),
                    text,
                ));
            };
            match judge_id(id, seen, &text) {
                IdEcho::Exact => {}
                IdEcho::Loose(how) => loose.push(how),
                IdEcho::Wrong => {
                    return Err(Outcome::fail(
                        format!("{method}: the response id is not the request's id"),
                        format!("\"id\":{id} (the same value and type)"),
                        format!("\"id\":{seen} in {text}"),
                    ))
                }
            }
        }
    }
    if loose.is_empty() {
        Ok(Outcome::pass(format!(
            "{} ids echoed byte for byte on results and errors",
            IDS.len()
        )))
    } else {
        Ok(Outcome::non_strict(
            "ids echoed with their value but respelled, or a fractional id refused",
            "the request's id bytes",
            loose.join(", "),
        ))
    }
}

/// How a response id compares with the request's.
#[derive(Debug, PartialEq)]
enum IdEcho {
    /// The same bytes.
    Exact,
    /// Acceptable but not exact (NON-STRICT): what happened to it.
    Loose(String),
    /// Another value or type (JSON-RPC 2.0 §5: "It MUST be the same as the value of the id
    /// member in the Request Object").
    Wrong,
}

/// Judges the id `seen` in the response `text` to a request with id `sent`.
fn judge_id(sent: &str, seen: &str, text: &str) -> IdEcho {
    if seen == sent {
        return IdEcho::Exact;
    }
    if same_value(sent, seen) {
        return IdEcho::Loose(format!("{sent} → {seen}"));
    }
    let number = !sent.starts_with('"');
    // JSON-RPC 2.0 §4: ids SHOULD NOT contain fractional parts, so refusing one as an Invalid
    // Request (answered with a null id, as §5 requires) is no MUST violation.
    let fractional = number && sent.contains(['.', 'e', 'E']);
    if fractional && seen == "null" && text.contains("-32600") {
        return IdEcho::Loose(format!("{sent} refused as an Invalid Request"));
    }
    // RFC 8259 §6: only integers within ±(2^53 - 1) are numbers implementations agree on
    // exactly; outside that range a server that holds numbers as IEEE doubles echoes the
    // nearest double, which is interoperable JSON, not a MUST violation.
    let interoperable = decimal(sent)
        .is_some_and(|(_, digits, exp)| exp >= 0 && digits.len() as i64 + exp <= 15)
        || sent
            .parse::<i64>()
            .is_ok_and(|n| n.unsigned_abs() < 1 << 53);
    let as_double = |s: &str| s.trim().parse::<f64>().ok();
    if number && !interoperable && as_double(sent).is_some() && as_double(sent) == as_double(seen) {
        return IdEcho::Loose(format!(
            "{sent} → {seen} (rounded to a double: outside the range RFC 8259 §6 calls interoperable)"
        ));
    }
    IdEcho::Wrong
}

/// The raw text of member `key` of the top-level JSON object in `text`.
fn top_level_member<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    loop {
        i = skip_ws(b, i);
        let kstart = i;
        let kend = scan_value(b, i)?;
        let name: Value = serde_json::from_str(&text[kstart..kend]).ok()?;
        i = skip_ws(b, kend);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let vend = scan_value(b, i)?;
        if name.as_str() == Some(key) {
            return Some(&text[i..vend]);
        }
        i = skip_ws(b, vend);
        match b.get(i) {
            Some(b',') => i += 1,
            _ => return None,
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

/// The end of the JSON value starting at `i` (strings, containers and scalars).
fn scan_value(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => {
            let mut j = i + 1;
            loop {
                match b.get(j)? {
                    b'\\' => j += 2,
                    b'"' => return Some(j + 1),
                    _ => j += 1,
                }
            }
        }
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match b.get(j)? {
                    b'"' => {
                        j = scan_value(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while b
                .get(j)
                .is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace())
            {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// Whether two JSON scalars are the same value and type: equal strings after unescaping, or
/// numbers equal as exact decimals (`-0`, `0` and `0.0` are one value; `1e-25` is not
/// `9.999999999999999e-26`).
fn same_value(a: &str, b: &str) -> bool {
    match (decimal(a), decimal(b)) {
        (Some(x), Some(y)) => x == y,
        (None, None) => {
            let (x, y) = (
                serde_json::from_str::<Value>(a),
                serde_json::from_str::<Value>(b),
            );
            matches!((x, y), (Ok(x @ Value::String(_)), Ok(y)) if x == y)
        }
        _ => false,
    }
}

/// A JSON number as an exact decimal: (negative, significant digits, exponent of the last digit).
fn decimal(s: &str) -> Option<(bool, String, i64)> {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(p) => (&s[..p], s[p + 1..].parse::<i64>().ok()?),
        None => (s, 0),
    };
    if mantissa.is_empty() || !mantissa.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return None;
    }
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits = format!("{int}{frac}");
    let mut exp = exp - frac.len() as i64;
    let trimmed = digits.trim_start_matches('0').to_owned();
    digits = trimmed;
    while digits.ends_with('0') {
        digits.pop();
        exp += 1;
    }
    if digits.is_empty() {
        return Some((false, String::new(), 0)); // zero, whatever its sign
    }
    Some((neg, digits, exp))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use gauntlet_conformance::case::Verdict;
    use gauntlet_conformance::lifecycle::{Gauges, Lifecycle, LifecycleFuture};
    use gauntlet_reference::{Fault, Server};

    use super::*;
    use crate::scenario::{run_scenario, Settings};

    #[test]
    fn ids_outside_the_interoperable_range_may_come_back_as_doubles() {
        let ok = r#"{"jsonrpc":"2.0","result":{}}"#;
        assert_eq!(judge_id("7", "7", ok), IdEcho::Exact);
        assert!(matches!(judge_id("-0", "0", ok), IdEcho::Loose(_)));
        assert!(matches!(
            judge_id("12345678901234567890123", "1.2345678901234568e+22", ok),
            IdEcho::Loose(_)
        ));
        assert!(matches!(judge_id("1e-25", "1.0e-25", ok), IdEcho::Loose(_)));
        // Not the nearest double of 1e-25: another value.
        assert_eq!(
            judge_id("1e-25", "9.999999999999999e-26", ok),
            IdEcho::Wrong
        );
        // Inside the range every implementation agrees on the value: a change is wrong.
        assert_eq!(
            judge_id("9007199254740991", "9007199254740992", ok),
            IdEcho::Wrong
        );
        assert_eq!(judge_id("7", r#""7""#, ok), IdEcho::Wrong);
        assert_eq!(judge_id(r#""a""#, r#""b""#, ok), IdEcho::Wrong);
        // Rounded to something that is not the nearest double: wrong.
        assert_eq!(
            judge_id("12345678901234567890123", "12345678901234500000000", ok),
            IdEcho::Wrong
        );
    }

    #[test]
    fn numbers_compare_as_exact_decimals() {
        assert!(same_value("-0", "-0.0") && same_value("-0", "0"));
        assert!(same_value("1e-25", "1.0E-25") && same_value("100", "1e2"));
        assert!(!same_value("1e-25", "9.999999999999999e-26"));
        assert!(!same_value(
            "12345678901234567890123",
            "1.2345678901234568e+22"
        ));
        assert!(!same_value("7", r#""7""#));
        assert!(same_value(r#""a\u0062""#, r#""ab""#));
        assert_eq!(
            top_level_member(r#"{"jsonrpc":"2.0", "id" : -0 ,"result":{"id":"x"}}"#, "id"),
            Some("-0")
        );
        assert_eq!(
            top_level_member(r#"{"result":{"id":1},"id":"a\"b"}"#, "id"),
            Some(r#""a\"b""#)
        );
    }

    /// Gauges of the reference running in this process: only its pid (our own).
    struct Embedded(String);

    impl Lifecycle for Embedded {
        fn start(&self) -> LifecycleFuture<'_, String> {
            Box::pin(async { Ok(self.0.clone()) })
        }
        fn stop(&self) -> LifecycleFuture<'_, ()> {
            Box::pin(async { Ok(()) })
        }
        fn gauges(&self) -> Option<Gauges> {
            Some(Gauges {
                open_connections: None,
                open_streams: None,
                pid: Some(std::process::id()),
            })
        }
    }

    async fn judge(fault: Option<Fault>, id: &str, gauges: bool) -> Verdict {
        let server = Server::builder()
            .fault(fault)
            .bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let url = server.base_url();
        let target = Target::discover(&url, Duration::from_secs(5))
            .await
            .unwrap();
        let lifecycle: Option<Arc<dyn Lifecycle>> =
            gauges.then(|| Arc::new(Embedded(url.clone())) as Arc<dyn Lifecycle>);
        let env = Env::new(
            target,
            lifecycle,
            crate::calibrate::calibrate(1.0).await,
            Settings {
                cycles: 1,
                in_process: true,
            },
        );
        let s = SCENARIOS.iter().find(|s| s.info.id == id).unwrap();
        let r = run_scenario(s, &env).await;
        eprintln!(
            "{id} {fault:?}: {} — {} {:?}",
            r.verdict.as_str(),
            r.summary,
            r.observed
        );
        server.shutdown().await;
        r.verdict
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_reference_echoes_every_id_exactly() {
        assert_eq!(judge(None, "CHAOS-ID-001", false).await, Verdict::Pass);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn control_ids_reencoded_through_f64_fail_the_id_scenario() {
        // The fault prints 1e-25 as 9.999999999999999e-26, which is not even the nearest double.
        assert_eq!(
            judge(Some(Fault::IdReencoded), "CHAOS-ID-001", false).await,
            Verdict::Fail
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stored_chunks_of_the_reference_stay_compact() {
        assert_eq!(judge(None, "CHAOS-MEM-001", true).await, Verdict::Pass);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn control_a_per_chunk_leak_is_non_strict() {
        assert_eq!(
            judge(Some(Fault::FatStoredChunks), "CHAOS-MEM-001", true).await,
            Verdict::NonStrict
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stalled_streams_of_the_reference_hold_bounded_memory() {
        assert_eq!(judge(None, "CHAOS-MEM-002", true).await, Verdict::Pass);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn control_a_per_subscriber_backlog_is_non_strict() {
        assert_eq!(
            judge(Some(Fault::SubscriberBacklog), "CHAOS-MEM-002", true).await,
            Verdict::NonStrict
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn memory_is_informational_without_the_servers_pid() {
        assert_eq!(
            judge(None, "CHAOS-MEM-001", false).await,
            Verdict::Informational
        );
    }
}
