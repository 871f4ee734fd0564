//! Malformed and hostile traffic at the socket level (HTTP/1.1 framing under the bindings of
//! digest §1.1 and §2.1): garbage bytes, truncated requests, oversized headers and bodies,
//! slowloris, connection floods and idle keep-alive connections. The judgement is the same for
//! all: the bad connection is refused or closed within a bound, and the server keeps serving
//! everyone else promptly (under a connection flood, refusing them at once with 503 counts: a
//! server at its connection limit may do that; stalling them does not). Keep-alive honesty,
//! stalled bodies and `Host` validation are the HTTP layer's other rows, in [`super::hostile`].
//!
//! No clause of A2A 1.0.1 requires any of this, and HTTP itself asks for it only as a SHOULD
//! (RFC 9112 §2.2: answer 400 to what does not parse; RFC 6585: 431 *may* refuse large heads).
//! So these scenarios are SHOULD rows (a failure is NON-STRICT) or, for heads HTTP lets a server
//! serve, MAY rows (INFORMATIONAL); none can FAIL a run.

use std::time::Duration;

use gauntlet_conformance::case::{Judged, Level, Outcome};
use tokio::time::Instant;

use super::disconnect::wait_gauge;
use crate::clients::{self, RawAnswer, Slowloris};
use crate::gauges;
use crate::scenario::{Env, Scenario};
use crate::wire;
use crate::{fmt_duration, fmt_reading, scenario_fn, ScenarioInfo};

/// The scenarios of this family.
pub const SCENARIOS: [Scenario; 6] = [
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-MAL-001",
            level: Level::Should,
            title: "send garbage: random bytes, a TLS ClientHello, HTTP/9.9, NULs, a negative Content-Length, invalid UTF-8 in the target",
            spec: "RFC 9112 §2.2 (SHOULD 400), robustness; no A2A clause",
            requirement: "each bad connection gets a 4xx (or a JSON-RPC error) or is closed within a bound; a healthy request after each is served",
        },
        needs: &[],
        run: scenario_fn!(garbage),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-MAL-002",
            level: Level::Should,
            title: "send truncated requests and half-close: a head cut mid-line, a body shorter than Content-Length, a chunked body cut mid-chunk",
            spec: "RFC 9112 §2.2 (SHOULD), robustness; no A2A clause",
            requirement: "each is refused or closed within a bound (no connection held forever); others are served",
        },
        needs: &[],
        run: scenario_fn!(truncated),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-MAL-003",
            level: Level::May,
            title: "send oversized heads: one 2 MiB header, and 10000 header lines",
            spec: "RFC 6585 §5 (431 is a MAY), robustness; no A2A clause",
            requirement: "431/400, or a close, or serving the request, within a bound (no unbounded head buffering); others are served (information only: HTTP lets a server serve large heads)",
        },
        needs: &[],
        run: scenario_fn!(oversized_headers),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-MAL-004",
            level: Level::Should,
            title: "announce a 64 MiB JSON-RPC body and send up to 8 MiB of it",
            spec: "§13.4 (SEC-005, SHOULD), robustness",
            requirement: "413/4xx or a close within a bound, without buffering it all; others are served",
        },
        needs: &[],
        run: scenario_fn!(oversized_body),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-MAL-005",
            level: Level::Should,
            title: "slowloris: 64 connections dribble header bytes every 100 ms for 3 s",
            spec: "robustness; no A2A clause (§13.4 SEC-006 rate limiting is a SHOULD)",
            requirement: "healthy requests meanwhile are each answered within 1 s",
        },
        needs: &[],
        run: scenario_fn!(slowloris),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-FLOOD-001",
            level: Level::Should,
            title: "hold 512 silent connections and 128 idle keep-alive connections",
            spec: "robustness; no A2A clause (§13.4 SEC-006 rate limiting is a SHOULD)",
            requirement: "healthy requests meanwhile are each served, or refused with 503 (a server at its connection limit), within 1 s; a stall is NON-STRICT; after release a request is served and the connection gauge returns to its baseline",
        },
        needs: &[],
        run: scenario_fn!(flood),
    },
];

/// Checks a healthy request is served within `bound` and says how long it took.
async fn healthy(env: &Env, bound: Duration, when: &str) -> Result<Duration, Outcome> {
    env.target().alive(bound).await.map_err(|e| {
        Outcome::fail(
            "the server stopped serving others",
            format!("a 200 agent card within {}", fmt_duration(bound)),
            format!("{when}: {e}"),
        )
    })
}

/// What counts as handling a request.
#[derive(Debug, Clone, Copy)]
enum Handling {
    /// Bad input: a refusal (4xx/5xx, a JSON-RPC error) or a close.
    Refuse,
    /// A request HTTP lets a server serve: any answer or a close; only silence is not.
    Answer,
}

impl Handling {
    fn ok(self, a: &RawAnswer) -> bool {
        match self {
            Handling::Refuse => a.is_refusal(),
            Handling::Answer => *a != RawAnswer::Silent,
        }
    }

    fn what(self) -> (&'static str, &'static str) {
        match self {
            Handling::Refuse => (
                "a malformed request was neither refused nor closed",
                "4xx/5xx or a close",
            ),
            Handling::Answer => (
                "a request was neither answered nor closed",
                "any answer or a close",
            ),
        }
    }
}

async fn judge_each(env: &Env, cases: Vec<(&str, Vec<u8>, bool)>, handling: Handling) -> Judged {
    let t = env.target().clone();
    let bound = env.deadline(Duration::from_secs(5));
    let mut seen = Vec::new();
    for (name, bytes, half_close) in cases {
        let answer = clients::raw_exchange(t.addr, &bytes, half_close, bound)
            .await
            .map_err(|e| Outcome::error(format!("{name}: {e}")))?;
        if !handling.ok(&answer) {
            let (what, wanted) = handling.what();
            return Err(Outcome::fail(
                what,
                format!("{wanted} within {}", fmt_duration(bound)),
                format!("{name}: {answer}"),
            ));
        }
        healthy(
            env,
            env.deadline(Duration::from_secs(2)),
            &format!("after {name}"),
        )
        .await?;
        seen.push(format!("{name}: {answer}"));
    }
    Ok(Outcome::pass(format!("still serving; {}", seen.join(", "))))
}

fn random_bytes(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

async fn garbage(env: Env) -> Judged {
    let host = env.target().host.clone();
    let tls_hello = vec![
        0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03, 0, 0, 0, 0,
    ];
    judge_each(
        &env,
        vec![
            ("random bytes", random_bytes(4096, 0x5eed), true),
            ("TLS ClientHello", tls_hello, true),
            (
                "HTTP/9.9",
                b"GET / HTTP/9.9\r\nHost: x\r\n\r\n".to_vec(),
                false,
            ),
            ("NULs", vec![0u8; 512], true),
            (
                "negative Content-Length",
                format!("POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: -5\r\n\r\n")
                    .into_bytes(),
                false,
            ),
            (
                "invalid UTF-8 in the target",
                b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
                true,
            ),
        ],
        Handling::Refuse,
    )
    .await
}

async fn truncated(env: Env) -> Judged {
    let t = env.target().clone();
    let bound = env.deadline(Duration::from_secs(5));
    let mut r = judge_each(
        &env,
        vec![
            (
                "head cut mid-line",
                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Ty".to_vec(),
                true,
            ),
            (
                "chunked body cut mid-chunk",
                format!(
                    "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nA2A-Version: 1.0\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n{{\"jsonrpc\"",
                    t.rpc_path, t.host
                )
                .into_bytes(),
                true,
            ),
        ],
        Handling::Refuse,
    )
    .await?;
    let answer = clients::half_closed_body(t.addr, &t.host, &t.rpc_path, 500, 100, bound)
        .await
        .map_err(|e| Outcome::error(format!("half-closed body: {e}")))?;
    if !answer.is_refusal() {
        return Err(Outcome::fail(
            "a request whose body never completed was held open",
            format!(
                "4xx or a close within {} after the client's FIN",
                fmt_duration(bound)
            ),
            format!("half-closed body (100 of 500 bytes): {answer}"),
        ));
    }
    healthy(
        &env,
        env.deadline(Duration::from_secs(2)),
        "after the half-closed body",
    )
    .await?;
    r.summary = format!("{}, half-closed body: {answer}", r.summary);
    Ok(r)
}

async fn oversized_headers(env: Env) -> Judged {
    let big = format!(
        "GET /.well-known/agent-card.json HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(2 * 1024 * 1024)
    );
    let mut many = String::from("GET /.well-known/agent-card.json HTTP/1.1\r\nHost: x\r\n");
    for i in 0..10_000 {
        many.push_str(&format!("X-H{i}: v\r\n"));
    }
    many.push_str("\r\n");
    judge_each(
        &env,
        vec![
            ("2 MiB header", big.into_bytes(), false),
            ("10000 headers", many.into_bytes(), false),
        ],
        Handling::Answer,
    )
    .await
}

async fn oversized_body(env: Env) -> Judged {
    let t = env.target().clone();
    let mut bytes = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nA2A-Version: 1.0\r\nContent-Length: {}\r\n\r\n",
        t.rpc_path,
        t.host,
        64 * 1024 * 1024
    )
    .into_bytes();
    bytes.extend(std::iter::repeat_n(b' ', 8 * 1024 * 1024));
    let t0 = Instant::now();
    let r = judge_each(
        &env,
        vec![("64 MiB announced", bytes, false)],
        Handling::Refuse,
    )
    .await?;
    Ok(Outcome::pass(format!(
        "{} in {}",
        r.summary,
        fmt_duration(t0.elapsed())
    )))
}

async fn slowloris(env: Env) -> Judged {
    let t = env.target().clone();
    let n = gauges::socket_budget(64).max(1);
    let dribble = Duration::from_secs(3);
    let lor = Slowloris::start(t.addr, n, Duration::from_millis(100), dribble).await;
    let bound = env.deadline(Duration::from_secs(1));
    let t0 = Instant::now();
    let mut worst = Duration::ZERO;
    let mut served = 0;
    while t0.elapsed() < dribble {
        worst = worst.max(healthy(&env, bound, "during slowloris").await?);
        served += 1;
        // Spacing of the healthy probes across the attack; each probe has its own deadline.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ends = lor.finish().await;
    let closed = ends.iter().filter(|e| **e != RawAnswer::Silent).count();
    Ok(Outcome::pass(format!(
        "{served} healthy requests during a {n}-connection slowloris, slowest {}; the server hung up on {closed} of {n} dribblers within {}",
        fmt_duration(worst),
        fmt_duration(dribble)
    )))
}

/// A healthy card request during a flood: served (200) or refused fast (503, a server at its
/// connection limit), within `bound`. Returns the time and whether it was refused; anything
/// else, a stall included, is the failure.
async fn served_or_refused(
    env: &Env,
    bound: Duration,
    when: &str,
) -> Result<(Duration, bool), Outcome> {
    let t = env.target();
    let t0 = Instant::now();
    let fail = |seen: String| {
        Outcome::fail(
            "the server stopped serving others",
            format!(
                "a 200 agent card, or a 503 refusal, within {}",
                fmt_duration(bound)
            ),
            format!("{when}: {seen}"),
        )
    };
    match wire::round_trip(t.addr, &t.card_request(), bound).await {
        Ok(r) if r.head.status == 200 => Ok((t0.elapsed(), false)),
        Ok(r) if r.head.status == 503 => Ok((t0.elapsed(), true)),
        Ok(r) => Err(fail(format!("HTTP {}", r.head.status))),
        Err(e) => Err(fail(e.to_string())),
    }
}

async fn flood(env: Env) -> Judged {
    let t = env.target().clone();
    let d = env.deadline(Duration::from_secs(5));
    let baseline = env.gauges().and_then(|g| g.open_connections);
    let silent = clients::flood(t.addr, gauges::socket_budget(512), d).await;
    let idle =
        clients::idle_keepalive(t.addr, &t.card_request(), gauges::socket_budget(128), d).await;
    let bound = env.deadline(Duration::from_secs(1));
    let (mut worst, mut refused) = (Duration::ZERO, 0);
    for i in 0..10 {
        let (took, no) = served_or_refused(
            &env,
            bound,
            &format!("healthy request {i} during the flood"),
        )
        .await?;
        worst = worst.max(took);
        refused += usize::from(no);
    }
    let peak = env.gauges().and_then(|g| g.open_connections);
    let (n_silent, n_idle) = (silent.len(), idle.len());
    drop(silent);
    drop(idle);
    // Released: the server must serve again (a server that refuses everyone is not at a limit).
    let again = env.deadline(Duration::from_secs(5));
    let t0 = Instant::now();
    let mut served = false;
    while !served && t0.elapsed() < again {
        served = !served_or_refused(&env, bound, "after the flood was released")
            .await?
            .1;
        if !served {
            // Pacing of the retries while the server notices the closed connections.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    if !served {
        return Err(Outcome::fail(
            "the server still refused requests after the flood was released",
            format!("a 200 agent card within {}", fmt_duration(again)),
            "503 every time",
        ));
    }
    let summary = format!(
        "{n_silent} silent + {n_idle} idle keep-alive connections; 10 healthy requests ({refused} refused with 503), slowest {}",
        fmt_duration(worst)
    );
    let Some(base) = baseline else {
        return Ok(Outcome::pass(format!("{summary} (no connection gauge)")));
    };
    let release = env.deadline(Duration::from_secs(5));
    match wait_gauge(&env, release, |g| g.open_connections.unwrap_or(0) <= base).await {
        Some(after) => Ok(Outcome::pass(format!(
            "{summary}; open_connections {base} → {} → back to {base} in {}",
            fmt_reading(peak),
            fmt_duration(after)
        ))),
        None => Err(Outcome::fail(
            "the server kept connections its clients had closed",
            format!(
                "open_connections back to {base} within {}",
                fmt_duration(release)
            ),
            format!(
                "{summary}; open_connections still {}",
                fmt_reading(env.gauges().and_then(|g| g.open_connections))
            ),
        )),
    }
}
