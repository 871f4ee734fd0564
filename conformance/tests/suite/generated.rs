//! Generated inputs against the embedded reference server, judged by the conformance client.
//!
//! * Valid SendMessage requests (random text/data/raw/url parts, metadata, configurations) sent
//!   over both bindings must give the same answer once ids and timestamps are normalised.
//! * Malformed requests (broken JSON, wrong types, missing REQ fields, huge or deeply nested
//!   values, bad UTF-8, bad envelopes, batches) must get the digest's error: never a 5xx
//!   without an A2A error body, never a dropped connection.
//! * The hand-made corpus in `fixtures/malformed/` is replayed as well.
//!
//! Failures shrink to the smallest input and persist under `conformance/tests/proptest-regressions/`.

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

use gauntlet_conformance::case::Binding;
use gauntlet_conformance::client::{A2aClient, CallOpts};
use gauntlet_conformance::expect;
use gauntlet_conformance::probe::{Probe, RawRequest, RawResponse, Transcript};
use gauntlet_conformance::spec::Method;

/// Cases per property: enough variety, fast on two cores.
const CASES: u32 = 64;

/// The reference server, started once for this binary, and its interface URLs.
struct Reference {
    rt: tokio::runtime::Runtime,
    jsonrpc_url: String,
    rest_url: String,
}

fn reference() -> &'static Reference {
    static REF: OnceLock<Reference> = OnceLock::new();
    REF.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let (jsonrpc_url, rest_url) = rt.block_on(async {
            let server = gauntlet_reference::Server::builder()
                .bind("127.0.0.1:0".parse().expect("loopback address"))
                .await
                .expect("the reference server binds to loopback");
            let base = server.base_url();
            // The server lives as long as the test binary.
            std::mem::forget(server);
            let probe = Probe::new(Transcript::default(), Duration::from_secs(10));
            let card = probe
                .send(
                    RawRequest::new("GET", format!("{base}/.well-known/agent-card.json"))
                        .header("A2A-Version", "1.0"),
                )
                .await
                .expect("the reference serves its card");
            let card = card.json.expect("the card is JSON");
            let url = |binding: &str| {
                card["supportedInterfaces"]
                    .as_array()
                    .and_then(|l| {
                        l.iter()
                            .find(|i| i["protocolBinding"] == binding)
                            .and_then(|i| i["url"].as_str())
                    })
                    .unwrap_or(&base)
                    .to_owned()
            };
            (url("JSONRPC"), url("HTTP+JSON"))
        });
        Reference {
            rt,
            jsonrpc_url,
            rest_url,
        }
    })
}

fn client(binding: Binding) -> A2aClient {
    let r = reference();
    A2aClient {
        binding,
        base_url: match binding {
            Binding::JsonRpc => r.jsonrpc_url.clone(),
            Binding::Rest => r.rest_url.clone(),
        },
        tenant: None,
        default_bearer: None,
        default_extensions: Vec::new(),
        probe: Probe::new(Transcript::default(), Duration::from_secs(10)),
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// Any JSON value (bounded depth and size).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z][a-zA-Z0-9]{0,7}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn metadata() -> impl Strategy<Value = Option<Value>> {
    prop::option::of(
        prop::collection::btree_map("[a-z][a-zA-Z0-9]{0,7}", json_value(), 0..3)
            .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
    )
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A non-command Part: text, data, raw or url, with optional mediaType/filename/metadata.
fn part() -> impl Strategy<Value = Value> {
    let content = prop_oneof![
        "\\PC{0,30}".prop_map(|t| json!({"text": t})),
        json_value().prop_map(|d| json!({"data": d})),
        prop::collection::vec(any::<u8>(), 0..48).prop_map(|b| json!({"raw": base64(&b)})),
        "[a-z]{1,10}".prop_map(|p| json!({"url": format!("https://example.com/{p}")})),
    ];
    (
        content,
        prop::option::of("(text/plain|application/json|application/octet-stream)"),
        prop::option::of("[a-z]{1,8}\\.(txt|bin|json)"),
        metadata(),
    )
        .prop_map(|(mut p, media, file, meta)| {
            if let Some(m) = media {
                p["mediaType"] = json!(m);
            }
            if let Some(f) = file {
                p["filename"] = json!(f);
            }
            if let Some(m) = meta {
                p["metadata"] = m;
            }
            p
        })
}

/// A valid SendMessageRequest: the first part is always an `echo` text, so the test agent
/// never blocks; further parts, metadata and configuration are random.
fn send_request() -> impl Strategy<Value = Value> {
    (
        "\\PC{0,40}",
        prop::collection::vec(part(), 0..4),
        metadata(),
        metadata(),
        prop::option::of(0i32..6),
        prop::option::of(prop::sample::subsequence(
            vec!["text/plain", "application/json", "application/octet-stream"],
            1..3,
        )),
    )
        .prop_map(|(text, parts, msg_meta, req_meta, history, modes)| {
            let mut all = vec![json!({"text": format!("echo {text}")})];
            all.extend(parts);
            let mut message = json!({
                "messageId": "replaced-per-call",
                "role": "ROLE_USER",
                "parts": all,
            });
            if let Some(m) = msg_meta {
                message["metadata"] = m;
            }
            let mut req = json!({ "message": message });
            if let Some(m) = req_meta {
                req["metadata"] = m;
            }
            let mut config = Map::new();
            if let Some(h) = history {
                config.insert("historyLength".into(), json!(h));
            }
            if let Some(m) = modes {
                config.insert("acceptedOutputModes".into(), json!(m));
            }
            if !config.is_empty() {
                req["configuration"] = Value::Object(config);
            }
            req
        })
}

fn fresh_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "gen-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// One deliberate fault applied to a valid SendMessageRequest.
#[derive(Debug, Clone)]
enum Fault {
    /// The body cut after this many bytes (fraction of its length, in per mille).
    Truncate(u16),
    /// A REQ field given a value of the wrong JSON type.
    WrongType(&'static str, Value),
    /// A REQ field removed.
    Missing(&'static str),
    /// A text part of this many bytes.
    Huge(usize),
    /// A data part nested this deep.
    Deep(usize),
    /// Invalid UTF-8 bytes inside a string.
    BadUtf8(Vec<u8>),
    /// A broken JSON-RPC envelope (JSON-RPC only; REST gets the plain request).
    Envelope(&'static str, Value),
    /// A batch of this many requests.
    Batch(usize),
}

fn wrong_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        Just(json!([1, 2])),
        Just(json!({"x": 1})),
    ]
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        (0u16..1000).prop_map(Fault::Truncate),
        (
            prop::sample::select(vec!["message", "messageId", "role", "parts", "text"]),
            wrong_value()
        )
            .prop_map(|(f, v)| Fault::WrongType(f, v)),
        prop::sample::select(vec!["message", "messageId", "role", "parts"])
            .prop_map(Fault::Missing),
        (1usize..(256 * 1024)).prop_map(Fault::Huge),
        (1usize..4000).prop_map(Fault::Deep),
        prop::collection::vec(
            prop::sample::select(vec![0xffu8, 0xfe, 0xc0, 0x80, 0xed]),
            1..4
        )
        // Some picks (ED 80 80 is U+D000) happen to be valid UTF-8: keep only invalid ones.
        .prop_filter("invalid UTF-8", |b| std::str::from_utf8(b).is_err())
        .prop_map(Fault::BadUtf8),
        (
            prop::sample::select(vec!["jsonrpc", "method", "id"]),
            prop_oneof![
                Just(Value::Null),
                Just(json!("1.0")),
                Just(json!(7)),
                wrong_value()
            ]
        )
            .prop_map(|(f, v)| Fault::Envelope(f, v)),
        (0usize..4).prop_map(Fault::Batch),
    ]
}

/// What a correct server answers to a fault: per binding.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    /// This JSON-RPC code / HTTP 400 on REST.
    Code(i64),
    /// Any JSON-RPC error (an empty batch).
    AnyError,
    /// A batch (undefined by A2A): one JSON-RPC error, or an array of well-formed responses.
    Batch,
    /// Any well-formed answer below 500.
    No5xx,
}

const SEND_BASE: &str = "echo generated-malformed PLACEHOLDER";

/// The JSON-RPC body, the REST body, and what each must get.
fn build(f: &Fault) -> (Vec<u8>, Vec<u8>, Want, Want) {
    let mut params = json!({
        "message": {"messageId": fresh_id(), "role": "ROLE_USER", "parts": [{"text": SEND_BASE}]}
    });
    let envelope =
        |p: &Value| json!({"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": p});
    let to_bytes = |v: &Value| serde_json::to_vec(v).unwrap_or_default();
    match f {
        Fault::Truncate(permille) => {
            let rpc = to_bytes(&envelope(&params));
            let rest = to_bytes(&params);
            let cut = |b: &[u8]| b[..(b.len() - 1) * usize::from(*permille) / 1000].to_vec();
            (
                cut(&rpc),
                cut(&rest),
                Want::Code(-32700),
                Want::Code(-32700),
            )
        }
        Fault::WrongType(field, v) => {
            let m = &mut params["message"];
            match *field {
                "message" => params["message"] = v.clone(),
                "text" => m["parts"][0]["text"] = v.clone(),
                other => m[other] = v.clone(),
            }
            (
                to_bytes(&envelope(&params)),
                to_bytes(&params),
                Want::Code(-32602),
                Want::Code(-32602),
            )
        }
        Fault::Missing(field) => {
            if *field == "message" {
                params = json!({});
            } else if let Some(m) = params["message"].as_object_mut() {
                m.remove(*field);
            }
            (
                to_bytes(&envelope(&params)),
                to_bytes(&params),
                Want::Code(-32602),
                Want::Code(-32602),
            )
        }
        Fault::Huge(n) => {
            params["message"]["parts"][0]["text"] = json!(format!("echo {}", "x".repeat(*n)));
            (
                to_bytes(&envelope(&params)),
                to_bytes(&params),
                Want::No5xx,
                Want::No5xx,
            )
        }
        Fault::Deep(depth) => {
            let nested = format!("{}{}", "[".repeat(*depth), "]".repeat(*depth));
            let splice = |b: Vec<u8>| {
                String::from_utf8_lossy(&b)
                    .replace("\"PLACEHOLDER_DATA\"", &nested)
                    .into_bytes()
            };
            if let Some(p) = params["message"]["parts"].as_array_mut() {
                p.push(json!({"data": "PLACEHOLDER_DATA"}));
            }
            (
                splice(to_bytes(&envelope(&params))),
                splice(to_bytes(&params)),
                Want::No5xx,
                Want::No5xx,
            )
        }
        Fault::BadUtf8(bytes) => {
            let splice = |b: Vec<u8>| {
                let text = String::from_utf8_lossy(&b).into_owned();
                let (head, tail) = text.split_once("PLACEHOLDER").unwrap_or((&text, ""));
                let mut out = head.as_bytes().to_vec();
                out.extend_from_slice(bytes);
                out.extend_from_slice(tail.as_bytes());
                out
            };
            (
                splice(to_bytes(&envelope(&params))),
                splice(to_bytes(&params)),
                Want::Code(-32700),
                Want::Code(-32700),
            )
        }
        Fault::Envelope(field, v) => {
            let mut env = envelope(&params);
            let valid = match *field {
                "jsonrpc" => *v == json!("2.0"),
                "method" => *v == json!("SendMessage"),
                // Null, strings and numbers are valid ids.
                _ => v.is_null() || v.is_string() || v.is_number(),
            };
            if v.is_null() && *field != "id" {
                if let Some(o) = env.as_object_mut() {
                    o.remove(*field);
                }
            } else {
                env[*field] = v.clone();
            }
            let want = if valid {
                Want::No5xx
            } else if *field == "method" && v.is_string() {
                // A well-formed envelope naming an unknown method.
                Want::Code(-32601)
            } else {
                Want::Code(-32600)
            };
            (to_bytes(&env), to_bytes(&params), want, Want::No5xx)
        }
        Fault::Batch(n) => {
            let batch: Vec<Value> = (0..*n)
                .map(|_| {
                    params["message"]["messageId"] = json!(fresh_id());
                    envelope(&params)
                })
                .collect();
            (
                to_bytes(&Value::Array(batch)),
                b"[]".to_vec(),
                if *n == 0 { Want::AnyError } else { Want::Batch },
                Want::Code(-32600),
            )
        }
    }
}

/// Judges one raw answer against `want` on `binding`.
fn judge(binding: Binding, raw: &RawResponse, want: Want) -> Result<(), String> {
    let seen = || {
        format!(
            "HTTP {}: {}",
            raw.status,
            expect::clip(&String::from_utf8_lossy(&raw.body), 300)
        )
    };
    if raw.status >= 500 {
        return Err(format!("server error: {}", seen()));
    }
    match (binding, want) {
        (_, Want::No5xx) => {
            if raw.status >= 400 {
                if binding == Binding::Rest {
                    expect::rest_error_body(raw)
                        .map_err(|o| format!("{} ({})", o.summary, seen()))?;
                } else if raw.json.as_ref().and_then(|j| j.get("error")).is_none() {
                    return Err(format!("4xx without a JSON-RPC error: {}", seen()));
                }
            } else if raw.json.is_none() {
                return Err(format!("success without a JSON body: {}", seen()));
            }
            Ok(())
        }
        (Binding::JsonRpc, Want::AnyError) => {
            let json = raw
                .json
                .as_ref()
                .ok_or_else(|| format!("not JSON: {}", seen()))?;
            let has_error = |v: &Value| v.get("error").is_some();
            let ok = has_error(json)
                || json
                    .as_array()
                    .is_some_and(|a| !a.is_empty() && a.iter().all(has_error));
            if ok {
                Ok(())
            } else {
                Err(format!("no JSON-RPC error: {}", seen()))
            }
        }
        (Binding::JsonRpc, Want::Batch) => {
            let json = raw
                .json
                .as_ref()
                .ok_or_else(|| format!("not JSON: {}", seen()))?;
            let response = |v: &Value| {
                v.get("jsonrpc") == Some(&json!("2.0"))
                    && (v.get("result").is_some() != v.get("error").is_some())
            };
            let ok = json.get("error").is_some()
                || json.as_array().is_some_and(|a| a.iter().all(response));
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "neither an error nor an array of responses: {}",
                    seen()
                ))
            }
        }
        (Binding::JsonRpc, Want::Code(code)) => {
            let got = raw
                .json
                .as_ref()
                .and_then(|j| j.get("error"))
                .and_then(|e| e.get("code"))
                .and_then(Value::as_i64);
            if got != Some(code) {
                return Err(format!("expected error.code {code}, got {}", seen()));
            }
            expect::jsonrpc_error_status(raw).map_err(|o| o.summary)
        }
        (Binding::Rest, _) => {
            if raw.status != 400 {
                return Err(format!("expected HTTP 400, got {}", seen()));
            }
            expect::rest_error_body(raw).map_err(|o| format!("{} ({})", o.summary, seen()))
        }
    }
}

/// POSTs `body` where a SendMessage would go on `binding`.
async fn post(binding: Binding, body: Vec<u8>) -> Result<RawResponse, String> {
    let c = client(binding);
    let mut req = c.request(
        Method::SendMessage,
        &json!({"message": {"messageId": "x", "role": "ROLE_USER", "parts": [{"text": "echo"}]}}),
        &CallOpts::default(),
    );
    req.body = Bytes::from(body);
    c.probe
        .send(req)
        .await
        .map_err(|e| format!("no answer (dropped connection?): {e}"))
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    /// (a) Both bindings answer a valid SendMessage the same way.
    #[test]
    fn valid_send_message_gets_the_same_answer_on_both_bindings(req in send_request()) {
        let r = reference();
        let outcome: Result<(), String> = r.rt.block_on(async {
            let mut answers = Vec::new();
            for binding in Binding::ALL {
                let mut params = req.clone();
                params["message"]["messageId"] = json!(fresh_id());
                let a = client(binding)
                    .call(Method::SendMessage, params)
                    .await
                    .map_err(|e| format!("{}: no answer: {e}", binding.short()))?;
                answers.push((binding, expect::AnswerKind::of(&a), a.ok().cloned()));
            }
            let (_, kx, x) = &answers[0];
            let (_, ky, y) = &answers[1];
            if !kx.agrees_with(ky) {
                return Err(format!("JSON-RPC answered {kx}, REST answered {ky}"));
            }
            if let (Some(x), Some(y)) = (x, y) {
                if let Some(d) = expect::first_difference(&expect::normalise(x), &expect::normalise(y), "$") {
                    return Err(format!("results differ (JSON-RPC vs REST) at {d}"));
                }
            }
            Ok(())
        });
        prop_assert!(outcome.is_ok(), "{} for request {}", outcome.unwrap_err(), req);
    }

    /// (b) Malformed requests get the digest's error; never a 5xx, never a dropped connection.
    #[test]
    fn malformed_requests_get_the_digest_error(f in fault()) {
        let r = reference();
        let (rpc, rest, want_rpc, want_rest) = build(&f);
        let outcome: Result<(), String> = r.rt.block_on(async {
            for (binding, body, want) in [(Binding::JsonRpc, rpc, want_rpc), (Binding::Rest, rest, want_rest)] {
                let raw = post(binding, body).await.map_err(|e| format!("{}: {e}", binding.short()))?;
                judge(binding, &raw, want).map_err(|e| format!("{}: {e}", binding.short()))?;
            }
            Ok(())
        });
        prop_assert!(outcome.is_ok(), "{} for fault {:?}", outcome.unwrap_err(), f);
    }
}

/// The hand-made corpus in `fixtures/malformed/` gets the answers its manifest lists.
#[test]
fn malformed_corpus_gets_the_digest_error() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/malformed");
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).expect("manifest.tsv");
    let r = reference();
    let mut failures = Vec::new();
    let mut count = 0;
    for line in manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let [binding, file, want] = cols[..] else {
            panic!("bad manifest line: {line}");
        };
        let binding = match binding {
            "jsonrpc" => Binding::JsonRpc,
            "rest" => Binding::Rest,
            other => panic!("unknown binding {other}"),
        };
        let want = match want {
            "error" => Want::AnyError,
            "batch" => Want::Batch,
            "no-5xx" => Want::No5xx,
            "400" => Want::Code(-32602),
            code => Want::Code(code.parse().expect("numeric code")),
        };
        let body = std::fs::read(
            dir.join(match binding {
                Binding::JsonRpc => "jsonrpc",
                Binding::Rest => "rest",
            })
            .join(file),
        )
        .expect("corpus file");
        let result = r.rt.block_on(async {
            let raw = post(binding, body).await?;
            judge(binding, &raw, want)
        });
        count += 1;
        if let Err(e) = result {
            failures.push(format!("{}/{file}: {e}", binding.short()));
        }
    }
    assert!(count > 0, "the corpus is empty");
    assert!(
        failures.is_empty(),
        "{} of {count} corpus inputs mis-answered:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// The oracle's own verifiers
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Standard, URL-safe and unpadded base64 all decode to the original bytes.
    #[test]
    fn base64_in_every_accepted_alphabet_decodes(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let standard = base64(&bytes);
        let url_safe = standard.replace('+', "-").replace('/', "_");
        let unpadded = standard.trim_end_matches('=').to_owned();
        for text in [&standard, &url_safe, &unpadded] {
            let decoded = expect::decode_base64(text);
            prop_assert_eq!(decoded.as_ref(), Some(&bytes), "{}", text);
        }
    }

    /// RFC 3339 UTC timestamps with 0–9 fractional digits pass DATA-004; offsets do not.
    #[test]
    fn timestamps_are_judged_by_the_digest_pattern(
        (y, mo, d, h, mi, s) in (1970u32..2100, 1u32..13, 1u32..29, 0u32..24, 0u32..60, 0u32..60),
        frac in "[0-9]{0,9}",
        offset in "[+-](0[0-9]|1[0-4]):[0-5][0-9]",
    ) {
        let base = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
        let dot = if frac.is_empty() { String::new() } else { format!(".{frac}") };
        let utc = format!("{base}{dot}Z");
        prop_assert!(expect::timestamp_format(&utc), "{}", utc);
        prop_assert_eq!(expect::timestamp_millis(&utc), frac.len() == 3, "{}", utc);
        let shifted = format!("{base}{dot}{offset}");
        prop_assert!(!expect::timestamp_format(&shifted), "{}", shifted);
    }

    /// Normalising is idempotent, and a value never differs from itself.
    #[test]
    fn normalised_values_compare_equal(v in json_value()) {
        let n = expect::normalise(&v);
        prop_assert_eq!(&expect::normalise(&n), &n);
        prop_assert_eq!(expect::first_difference(&v, &v, "$"), None);
    }
}

/// The schema walk finds nothing in a well-formed Task and tags every planted defect.
#[test]
fn schema_walk_tags_each_planted_defect_with_its_rule() {
    use gauntlet_conformance::expect::{findings_for, scan, Shape};
    let good = json!({"task": {
        "id": "t1", "contextId": "c1",
        "status": {"state": "TASK_STATE_COMPLETED", "timestamp": "2026-01-01T00:00:00.000Z"},
        "artifacts": [{"artifactId": "a1", "parts": [{"text": "hi", "metadata": {"snake_ok": 1}}, {"data": {"free_form": true}}]}],
        "history": [{"messageId": "m1", "role": "ROLE_USER", "parts": [{"raw": "Z2F1bnRsZXQ="}]}]
    }});
    assert_eq!(scan(&good, Shape::SendMessageResponse, "$"), vec![]);
    let bad = json!({"task": {
        "id": "t1", "kind": "task", "context_id": "c1",
        "status": {"state": "TASK_STATE_UNSPECIFIED", "timestamp": "2026-01-01T00:00:00+01:00"},
        "artifacts": [{"artifactId": "a1", "parts": []}, {"parts": [{"text": "a", "url": "https://x"}, {"raw": "!!"}]}],
        "history": [{"messageId": "m1", "role": "user", "parts": [{"text": "x"}]}]
    }, "message": {"messageId": "m2", "role": "ROLE_AGENT", "parts": [{"text": "y"}]}});
    let found = scan(&bad, Shape::SendMessageResponse, "$");
    for rule in [
        "DATA-001", "DATA-002", "DATA-003", "DATA-004", "DATA-006", "DATA-007", "DATA-010",
        "DATA-011", "DATA-012", "DATA-013", "DATA-015",
    ] {
        assert!(
            findings_for(&found, rule).is_some(),
            "{rule} not found in {found:#?}"
        );
    }
}
