//! The HTTP/1.1 layer under a hostile network, judged on raw bytes: early errors that leave a
//! large request body unread on a keep-alive connection, request bodies that stall after their
//! first byte, and missing, duplicate or invalid `Host` headers. (Connection floods are
//! CHAOS-FLOOD-001 and header slowloris CHAOS-MAL-005, in [`super::malformed`].)
//!
//! A2A 1.0.1 says nothing about any of this: its HTTP bindings (digest §1.1, §2.1) only ride on
//! HTTP. HTTP's own rules are the yardstick, and even where RFC 9112 says MUST (a 400 for a bad
//! `Host`, §3.2) it is not an A2A MUST, so every row here is a SHOULD (a failure is NON-STRICT)
//! and none can FAIL a run.

use std::net::SocketAddr;
use std::time::Duration;

use gauntlet_conformance::case::{Checks, Judged, Level, Outcome};
use tokio::time::Instant;

use crate::a2a;
use crate::clients::{self, EarlyAnswer, RawAnswer};
use crate::gauges;
use crate::scenario::{Env, Scenario};
use crate::wire;
use crate::{fmt_duration, scenario_fn, ScenarioInfo};

/// The scenarios of this family.
pub const SCENARIOS: [Scenario; 3] = [
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-KEEP-001",
            level: Level::Should,
            title: "on keep-alive connections, send requests with a 64 KiB body that are refused before the body is read (a foreign Content-Type on JSON-RPC, GET on the JSON-RPC endpoint, REST without A2A-Version, an unknown route, POST on the card), then a card request on the same connection",
            spec: "RFC 9112 §9.3, §9.6 (a server that closes a persistent connection says `Connection: close`), robustness; no A2A clause, so SHOULD",
            requirement: "each refusal either says `Connection: close`, or the body is drained and the next request on the connection is answered as on a fresh one; a silent close or a stall is NON-STRICT",
        },
        needs: &[],
        run: scenario_fn!(keep_alive_after_early_errors),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-BODY-001",
            level: Level::Should,
            title: "body slowloris: 16 requests (JSON-RPC and REST) announce a 1000-byte body, send `{`, then nothing",
            spec: "RFC 9110 §15.5.9 (408), §13.4 (SEC-006, SHOULD), robustness; no A2A clause, so SHOULD",
            requirement: "each stalled body is cut off (408, another refusal, or a close) within 15 s, while healthy requests are each answered within 1 s",
        },
        needs: &[],
        run: scenario_fn!(stalled_bodies),
    },
    Scenario {
        info: ScenarioInfo {
            id: "CHAOS-HOST-001",
            level: Level::Should,
            title: "send HTTP/1.1 requests (JSON-RPC, the card, REST) with no Host, two Hosts, and Hosts with a space, userinfo or a non-numeric port",
            spec: "RFC 9112 §3.2 (\"MUST respond with a 400\"): an HTTP MUST, not an A2A one, so SHOULD",
            requirement: "every one is answered 400; serving it (or any other answer) is NON-STRICT",
        },
        needs: &[],
        run: scenario_fn!(host_validation),
    },
];

/// Body size of the KEEP-001 requests: past the 16 KiB a server may skip unread without
/// deciding about the connection.
const UNREAD_BODY: usize = 64 * 1024;
/// How long a stalled body may hold its connection before the server cuts it off.
const BODY_CUTOFF: Duration = Duration::from_secs(15);
/// The stalled bodies of BODY-001.
const STALLED_BODIES: usize = 16;

/// Where a probe goes: a loopback address and the path of an interface there.
#[derive(Debug, Clone)]
struct Route {
    addr: SocketAddr,
    host: String,
    path: String,
}

impl Route {
    fn at(addr: SocketAddr, path: &str) -> Route {
        Route {
            addr,
            host: addr.to_string(),
            path: path.to_owned(),
        }
    }

    /// `suffix` (`/message:send`) under this route's path.
    fn path(&self, suffix: &str) -> String {
        let p = format!("{}{suffix}", self.path.trim_end_matches('/'));
        if p.is_empty() {
            "/".to_owned()
        } else {
            p
        }
    }
}

/// The JSON-RPC endpoint, the card's address, and the REST interface when the card lists one.
fn routes(env: &Env) -> (Route, Route, Option<Route>) {
    let t = env.target();
    let rpc = Route {
        addr: t.addr,
        host: t.host.clone(),
        path: t.rpc_path.clone(),
    };
    let card = wire::parse_loopback_url(&t.base_url)
        .map(|(addr, _)| Route::at(addr, ""))
        .unwrap_or_else(|_| Route::at(t.addr, ""));
    let rest = t
        .interface("HTTP+JSON")
        .map(|(addr, path)| Route::at(addr, &path));
    (rpc, card, rest)
}

async fn keep_alive_after_early_errors(env: Env) -> Judged {
    let (rpc, card, rest) = routes(&env);
    let body = format!("{{\"pad\":\"{}\"}}", "x".repeat(UNREAD_BODY));
    let json = ("Content-Type", "application/json");
    let v1 = ("A2A-Version", "1.0");
    let other = rest.clone().unwrap_or_else(|| rpc.clone());
    let req = |route: &Route, method: &str, path: &str, headers: &[(&str, &str)]| {
        wire::request_bytes(method, &route.host, path, headers, body.as_bytes())
    };
    let unknown = other.path("/chaos-keep-001-no-such-route");
    let card_path = "/.well-known/agent-card.json";
    let mut probes = vec![
        (
            "JSON-RPC with Content-Type text/xml",
            &rpc,
            req(&rpc, "POST", &rpc.path, &[("Content-Type", "text/xml"), v1]),
        ),
        (
            "GET with a body on the JSON-RPC endpoint",
            &rpc,
            req(&rpc, "GET", &rpc.path, &[json, v1]),
        ),
        (
            "an unknown route",
            &other,
            req(&other, "POST", &unknown, &[json, v1]),
        ),
        (
            "POST on the agent card",
            &card,
            req(&card, "POST", card_path, &[json, v1]),
        ),
    ];
    if let Some(rest) = &rest {
        let send = rest.path("/message:send");
        probes.insert(
            2,
            (
                "REST SendMessage without A2A-Version",
                rest,
                req(rest, "POST", &send, &[json]),
            ),
        );
    }
    let bound = env.deadline(Duration::from_secs(5));
    let mut checks = Checks::new();
    if rest.is_none() {
        checks.note("the card lists no HTTP+JSON interface: REST probe skipped");
    }
    for (name, route, first) in probes {
        let next = a2a::card_request(&route.host);
        // What the next request gets on a fresh connection: what it must get after the refusal.
        let fresh = wire::round_trip(route.addr, &next, bound)
            .await
            .map_err(|e| {
                Outcome::error(format!("{name}: a card request on a fresh connection: {e}"))
            })?
            .head
            .status;
        let seen = clients::early_answer_then_next(route.addr, &first, &next, bound)
            .await
            .map_err(|e| Outcome::error(format!("{name}: {e}")))?;
        let wanted = format!(
            "`Connection: close` on the refusal, or the body drained and the next request answered {fresh} as on a fresh connection, within {}",
            fmt_duration(bound)
        );
        match seen {
            EarlyAnswer::Announced(status) => {
                checks.note(format!("{name}: {status} with Connection: close"));
            }
            EarlyAnswer::Next { first, next } if next == fresh => {
                checks.note(format!("{name}: {first}, body drained, next request {next}"));
            }
            EarlyAnswer::Next { first, next } => checks.add(Outcome::fail(
                format!("after {name}, the next request on the connection was not served"),
                wanted,
                format!("{first} without Connection: close, then {next} for the card (the unread body was taken for a request?)"),
            )),
            EarlyAnswer::Dropped { first, how } => checks.add(Outcome::fail(
                format!("after {name}, the keep-alive connection was dropped without `Connection: close`"),
                wanted,
                format!("{first} without Connection: close, then {how}"),
            )),
            EarlyAnswer::None(how) => checks.add(Outcome::fail(
                format!("{name} got no answer at all"),
                wanted,
                match how {
                    RawAnswer::Silent => format!("no response within {}", fmt_duration(bound)),
                    how => format!("{how} before any response"),
                },
            )),
        }
    }
    checks.finish(format!(
        "every early refusal of a {} KiB body kept its connection honest",
        UNREAD_BODY / 1024
    ))
}

async fn stalled_bodies(env: Env) -> Judged {
    let (rpc, _, rest) = routes(&env);
    let n = gauges::socket_budget(STALLED_BODIES).max(1);
    let cutoff = env.deadline(BODY_CUTOFF);
    let stall = |route: &Route, path: String| {
        let mut head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nA2A-Version: 1.0\r\nContent-Length: 1000\r\n\r\n",
            route.host
        )
        .into_bytes();
        head.push(b'{');
        head
    };
    let mut stalled = Vec::with_capacity(n);
    for i in 0..n {
        let (what, addr, bytes) = match &rest {
            Some(r) if i % 2 == 1 => ("REST", r.addr, stall(r, r.path("/message:send"))),
            _ => ("JSON-RPC", rpc.addr, stall(&rpc, rpc.path.clone())),
        };
        stalled.push((
            what,
            env.spawn(async move {
                let t0 = Instant::now();
                let answer = clients::raw_exchange(addr, &bytes, false, cutoff).await;
                (answer, t0.elapsed())
            }),
        ));
    }
    let mut checks = Checks::new();
    let bound = env.deadline(Duration::from_secs(1));
    let t = env.target().clone();
    let t0 = Instant::now();
    let (mut served, mut worst, mut starved) = (0, Duration::ZERO, None);
    // Healthy requests while the bodies stall, until every stalled request has its answer (each
    // raw exchange ends at `cutoff` at the latest).
    while !stalled.iter().all(|(_, h)| h.is_finished()) && t0.elapsed() < cutoff {
        match t.alive(bound).await {
            Ok(d) => {
                served += 1;
                worst = worst.max(d);
            }
            Err(e) => {
                starved.get_or_insert(format!("after {}: {e}", fmt_duration(t0.elapsed())));
            }
        }
        // Spacing of the healthy probes; each probe has its own deadline.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if let Some(e) = starved {
        checks.add(Outcome::fail(
            "healthy requests were not served while request bodies stalled",
            format!("a 200 agent card within {} each", fmt_duration(bound)),
            e,
        ));
    }
    let (mut cut, mut held, mut slowest) = (Vec::new(), Vec::new(), Duration::ZERO);
    for (what, h) in stalled {
        let (answer, took) = h.await.map_err(|e| Outcome::error(e.to_string()))?;
        match answer.map_err(|e| Outcome::error(format!("stalled {what} body: {e}")))? {
            RawAnswer::Silent => held.push(what),
            a => {
                slowest = slowest.max(took);
                cut.push(format!("{what} {a}"));
            }
        }
    }
    if !held.is_empty() {
        checks.add(Outcome::fail(
            "a request whose body stalled was held open",
            format!(
                "408 (or another refusal, or a close) within {}",
                fmt_duration(cutoff)
            ),
            format!(
                "{} of {n} stalled bodies still unanswered after {} ({})",
                held.len(),
                fmt_duration(cutoff),
                held.join(", ")
            ),
        ));
    }
    cut.sort();
    cut.dedup();
    checks.finish(format!(
        "{n} stalled bodies cut off within {} ({}); {served} healthy requests meanwhile, slowest {}",
        fmt_duration(slowest),
        cut.join(", "),
        fmt_duration(worst)
    ))
}

async fn host_validation(env: Env) -> Judged {
    let (rpc, card, rest) = routes(&env);
    let call = br#"{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"chaos-host-001"}}"#;
    let mut requests: Vec<(&str, SocketAddr, String, &[u8])> = vec![
        (
            "JSON-RPC",
            rpc.addr,
            format!(
                "POST {} HTTP/1.1\r\n{{host}}A2A-Version: 1.0\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                rpc.path,
                call.len()
            ),
            call,
        ),
        (
            "the card",
            card.addr,
            "GET /.well-known/agent-card.json HTTP/1.1\r\n{host}A2A-Version: 1.0\r\n\r\n".to_owned(),
            b"",
        ),
    ];
    if let Some(rest) = &rest {
        requests.push((
            "REST ListTasks",
            rest.addr,
            format!(
                "GET {} HTTP/1.1\r\n{{host}}A2A-Version: 1.0\r\n\r\n",
                rest.path("/tasks")
            ),
            b"",
        ));
    }
    let hosts = [
        ("no Host", String::new()),
        (
            "two Hosts",
            format!("Host: {}\r\nHost: other.invalid\r\n", rpc.host),
        ),
        ("a Host with a space", "Host: a b\r\n".to_owned()),
        (
            "a Host with userinfo",
            format!("Host: user@{}\r\n", rpc.host),
        ),
        (
            "a Host with a non-numeric port",
            "Host: localhost:http\r\n".to_owned(),
        ),
    ];
    let bound = env.deadline(Duration::from_secs(5));
    let mut checks = Checks::new();
    let mut seen = 0;
    for (route, addr, template, body) in &requests {
        for (variant, host) in &hosts {
            let mut bytes = template.replace("{host}", host).into_bytes();
            bytes.extend_from_slice(body);
            let answer = clients::raw_exchange(*addr, &bytes, false, bound)
                .await
                .map_err(|e| Outcome::error(format!("{variant} on {route}: {e}")))?;
            seen += 1;
            if answer != RawAnswer::Status(400) {
                checks.add(Outcome::fail(
                    format!("{variant} on {route} was not refused with 400"),
                    "HTTP 400 (RFC 9112 §3.2)",
                    answer.to_string(),
                ));
            }
        }
    }
    checks.finish(format!(
        "all {seen} requests with a missing, duplicate or invalid Host got 400"
    ))
}
