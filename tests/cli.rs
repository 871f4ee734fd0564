//! The `gauntlet` binary as a newcomer and a CI job meet it: the main job's verdict, one-sentence
//! explanations with exit code 2 for a bad flag, an unreachable URL and a non-A2A server, and
//! the CI flags (`--fail-on`, `--json -`, `--version`, `--only`, `--expect`, `--shard` with
//! `report merge`, the slowest-cases list) against real reference servers on 127.0.0.1:0; and
//! what a terminal sees (the progress bar and colours under a pseudo-terminal from `script`,
//! none in a pipe), Ctrl-C (SIGINT sent with `kill` once the run has printed a result) and
//! `serve --help`'s fault switches.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};

use gauntlet_reference::{Fault, Server, ServerHandle};
use serde_json::Value;

fn gauntlet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gauntlet"))
        .args(args)
        .output()
        .expect("the gauntlet binary runs")
}

/// The last line of a command's output (where the count line stands).
fn last_line(text: &str) -> &str {
    text.trim_end().lines().last().unwrap_or_default()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn both(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A reference server on 127.0.0.1:0 with `fault`, and the runtime that serves it.
struct Reference {
    runtime: tokio::runtime::Runtime,
    handle: Option<ServerHandle>,
}

impl Reference {
    fn start(fault: Option<Fault>) -> Self {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let handle = runtime
            .block_on(
                Server::builder()
                    .allow_private_webhooks(true)
                    .fault(fault)
                    .bind(([127, 0, 0, 1], 0).into()),
            )
            .expect("the reference binds");
        Reference {
            runtime,
            handle: Some(handle),
        }
    }

    fn url(&self) -> String {
        self.handle.as_ref().expect("running").base_url()
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.runtime.block_on(h.shutdown());
        }
    }
}

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

fn read_json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn names(report: &Value) -> Vec<String> {
    report["results"]
        .as_array()
        .expect("a results list")
        .iter()
        .map(|r| r["name"].as_str().expect("a name").to_owned())
        .collect()
}

/// The names `check --list` prints (first column), without the count line.
fn listed(out: &Output) -> Vec<String> {
    stdout(out)
        .lines()
        .filter(|l| !l.ends_with(" runs") && !l.ends_with(" run"))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

fn stderr_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn check_against_the_embedded_reference_is_conformant_and_ends_with_the_count_line() {
    let out = gauntlet(&["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        last.starts_with("gauntlet: ") && last.contains(" passed, 0 failed, "),
        "last line: {last}"
    );
    assert!(
        stdout.contains("CONFORMANT"),
        "verdict line missing:\n{stdout}"
    );
    // Human output never shows Rust's debug forms of options, durations or enums.
    for debug in ["Some(", "None", "Duration", "JsonRpc", "NonStrict"] {
        assert!(
            !stdout.contains(debug),
            "`{debug}` in the human report:\n{stdout}"
        );
    }
}

#[test]
fn a_bad_flag_is_one_sentence_and_exit_code_2() {
    let out = gauntlet(&["check", "--binding", "carrier-pigeon"]);
    assert_eq!(out.status.code(), Some(2));
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("--binding"), "{lines:?}");
}

#[test]
fn an_unreachable_url_is_one_sentence_and_exit_code_2() {
    // A port that was just free: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = gauntlet(&["check", &url]);
    assert_eq!(out.status.code(), Some(2));
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(&url), "{lines:?}");
}

#[test]
fn a_server_that_is_not_a2a_is_one_sentence_and_exit_code_2() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        // Answer every connection with a plain-text 404, like a web server without an agent card.
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { break };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
            );
        }
    });
    let out = gauntlet(&["check", &url]);
    assert_eq!(out.status.code(), Some(2));
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    drop(server);
}

#[test]
fn list_shows_every_checklist_group_and_the_chaos_scenarios() {
    let out = gauntlet(&["list"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for id in [
        "DATA-001",
        "JRPC-005",
        "SUB-004",
        "PUSH-014",
        "EXT-004",
        "CHAOS-SLOW-001",
    ] {
        assert!(stdout.contains(id), "{id} missing from `gauntlet list`");
    }
}

#[test]
fn a_selection_of_nothing_is_one_sentence_pointing_to_list_and_exit_code_2() {
    for args in [
        &["check", "--only", "NOPE-*"][..],
        &["check", "--binding", "jsonrpc", "--only", "REST-*"][..],
        &["chaos", "--only", "CHAOS-NOPE-*"][..],
    ] {
        let out = gauntlet(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let lines = stderr_lines(&out);
        assert_eq!(lines.len(), 1, "{args:?}: {lines:?}");
        assert!(
            lines[0].contains("selects no") && lines[0].contains("list"),
            "{lines:?}"
        );
    }
}

#[test]
fn a_server_that_requires_a_token_is_one_sentence_and_exit_code_2() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let server = runtime
        .block_on(
            gauntlet_reference::Server::builder()
                .bearer("secret-token")
                .bind(([127, 0, 0, 1], 0).into()),
        )
        .expect("the reference binds");
    let out = gauntlet(&["check", &server.base_url()]);
    assert_eq!(out.status.code(), Some(2));
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("gauntlet: the server requires authentication: pass --token"),
        "{lines:?}"
    );
    runtime.block_on(server.shutdown());
}

#[test]
fn fail_on_decides_which_failed_levels_make_the_exit_code_1() {
    // REST-003 answers with the wrong media type: a SHOULD, so NON-STRICT.
    let server = Reference::start(Some(Fault::RestErrorProblemJson));
    let url = server.url();
    let base = ["check", url.as_str(), "--only", "REST-003"];
    let default = gauntlet(&base);
    assert_eq!(default.status.code(), Some(0), "{}", both(&default));
    assert!(
        stdout(&default).contains("NON-STRICT"),
        "{}",
        both(&default)
    );
    for level in ["should", "may"] {
        let out = gauntlet(&[&base[..], &["--fail-on", level]].concat());
        assert_eq!(
            out.status.code(),
            Some(1),
            "--fail-on {level}: {}",
            both(&out)
        );
        let text = stdout(&out);
        assert!(
            text.contains(&format!("--fail-on {level}: 1 result fails"))
                && text.contains("REST-003[rest] NON-STRICT"),
            "{}",
            both(&out)
        );
        assert!(last_line(&text).starts_with("gauntlet: "), "{text}");
    }
    let must = gauntlet(&[&base[..], &["--fail-on", "must"]].concat());
    assert_eq!(must.status.code(), Some(0), "{}", both(&must));
    // A MUST failure fails at every level.
    let patch = Reference::start(Some(Fault::RejectPatchVersion));
    let purl = patch.url();
    for level in ["must", "should", "may"] {
        let out = gauntlet(&["check", &purl, "--only", "VER-004", "--fail-on", level]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "--fail-on {level}: {}",
            both(&out)
        );
    }
    let bad = gauntlet(&["chaos", "--fail-on", "sometimes"]);
    assert_eq!(bad.status.code(), Some(2), "{}", both(&bad));
    let chaos = gauntlet(&["chaos", "--only", "CHAOS-MAL-001", "--fail-on", "may"]);
    assert_eq!(chaos.status.code(), Some(0), "{}", both(&chaos));
}

#[test]
fn json_dash_writes_only_json_to_stdout_in_every_command() {
    let check = gauntlet(&["check", "--only", "JRPC-*", "--json", "-"]);
    assert_eq!(check.status.code(), Some(0), "{}", both(&check));
    let doc: Value = serde_json::from_slice(&check.stdout).expect("stdout is one JSON document");
    assert_eq!(doc["schema"], "gauntlet-report/2");
    assert!(names(&doc).iter().all(|n| n.starts_with("JRPC-")));
    let err = String::from_utf8_lossy(&check.stderr);
    assert!(
        last_line(&err).starts_with("gauntlet: "),
        "the human report goes to stderr: {err}"
    );

    let list = gauntlet(&["check", "--only", "JRPC-00[1-2]", "--list", "--json", "-"]);
    let doc: Value = serde_json::from_slice(&list.stdout).expect("--list --json - is JSON");
    let runs: Vec<&str> = doc["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(runs, ["JRPC-001[jsonrpc]", "JRPC-002[jsonrpc]"]);

    let chaos = gauntlet(&["chaos", "--only", "CHAOS-MAL-001", "--json", "-"]);
    assert_eq!(chaos.status.code(), Some(0), "{}", both(&chaos));
    let doc: Value = serde_json::from_slice(&chaos.stdout).expect("chaos stdout is JSON");
    assert_eq!(names(&doc), ["CHAOS-MAL-001"]);

    let load = gauntlet(&[
        "load",
        "--duration",
        "200ms",
        "--streams",
        "0",
        "--concurrency",
        "2",
        "--json",
        "-",
    ]);
    assert_eq!(load.status.code(), Some(0), "{}", both(&load));
    let doc: Value = serde_json::from_slice(&load.stdout).expect("load stdout is JSON");
    assert!(doc.is_object(), "{doc}");
}

#[test]
fn unwritable_report_paths_are_refused_before_the_run() {
    let dir = scratch("unwritable");
    let missing = dir.join("no-such-dir").join("r.json");
    let a_file = dir.join("a-file");
    std::fs::write(&a_file, "x").unwrap();
    let under_a_file = a_file.join("r.html");
    let cases: [(&str, PathBuf, &str); 4] = [
        ("--json", missing.clone(), "does not exist"),
        ("--junit", dir.clone(), "is a directory"),
        ("--html", under_a_file, "is not a directory"),
        ("--write-expect", missing, "does not exist"),
    ];
    for (flag, path, why) in cases {
        for cmd in ["check", "chaos"] {
            let out = gauntlet(&[cmd, flag, path.to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(2), "{cmd} {flag}: {}", both(&out));
            let lines = stderr_lines(&out);
            assert_eq!(lines.len(), 1, "{cmd} {flag}: {lines:?}");
            assert!(
                lines[0].contains(flag) && lines[0].contains(why),
                "{lines:?}"
            );
            // Refused before anything ran: no progress, no results.
            assert!(out.stdout.is_empty(), "{cmd} {flag}: {}", both(&out));
        }
    }
    let load = gauntlet(&["load", "--json", dir.to_str().unwrap()]);
    assert_eq!(load.status.code(), Some(2), "{}", both(&load));
    assert!(load.stdout.is_empty(), "{}", both(&load));
}

#[test]
fn load_refuses_a_rate_that_is_not_a_positive_number_in_one_sentence_with_exit_code_2() {
    for rate in ["0", "-5", "fast"] {
        let out = gauntlet(&["load", "--rate", rate, "--duration", "200ms"]);
        assert_eq!(out.status.code(), Some(2), "--rate {rate}: {}", both(&out));
        let lines = stderr_lines(&out);
        assert_eq!(lines.len(), 1, "--rate {rate}: {lines:?}");
        assert!(lines[0].contains("--rate"), "{lines:?}");
        assert!(out.stdout.is_empty(), "--rate {rate}: {}", both(&out));
    }
}

#[test]
fn version_names_the_crate_the_spec_and_the_newest_digest_revision() {
    let digest = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/spec/A2A-1.0-digest.md"
    );
    let text = std::fs::read_to_string(digest).expect("the spec digest beside the repository");
    let revisions = text
        .lines()
        .skip_while(|l| !l.starts_with("Revisions of this digest"))
        .skip(1)
        .take_while(|l| l.starts_with("* ") || l.starts_with("  "));
    let newest = revisions
        .filter_map(|l| l.strip_prefix("* "))
        .filter_map(|l| l.split(':').next())
        .filter(|d| d.len() == 10 && d.as_bytes()[4] == b'-')
        .max()
        .expect("the Revisions note has a dated entry")
        .to_owned();
    let out = gauntlet(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    let v = stdout(&out);
    assert!(v.contains(env!("CARGO_PKG_VERSION")), "{v}");
    assert!(v.contains("A2A 1.0.1"), "{v}");
    assert!(
        v.contains(&newest),
        "--version says {v:?}, the digest's newest revision is {newest}"
    );
}

#[test]
fn only_takes_report_names_with_globs_and_list_prints_them() {
    let classes = gauntlet(&["check", "--only", "JRPC-00[1-3]", "--list"]);
    assert_eq!(classes.status.code(), Some(0), "{}", both(&classes));
    assert_eq!(
        listed(&classes),
        [
            "JRPC-001[jsonrpc]",
            "JRPC-002[jsonrpc]",
            "JRPC-003[jsonrpc]"
        ]
    );
    let one = gauntlet(&["check", "--only", "SEND-004[rest]", "--list"]);
    assert_eq!(listed(&one), ["SEND-004[rest]"], "{}", both(&one));
    // The names --list prints are the names the reports use.
    let run = gauntlet(&[
        "check",
        "--only",
        "send-00[1-3]",
        "--only",
        "CARD-001",
        "--json",
        "-",
    ]);
    let doc: Value = serde_json::from_slice(&run.stdout).expect("JSON");
    let list = gauntlet(&[
        "check",
        "--only",
        "send-00[1-3]",
        "--only",
        "CARD-001",
        "--list",
    ]);
    assert_eq!(listed(&list), names(&doc));
    assert!(
        names(&doc).contains(&"CARD-001".to_owned()),
        "{:?}",
        names(&doc)
    );
    let bad = gauntlet(&["check", "--only", "JRPC-[", "--list"]);
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(stderr_lines(&bad).len(), 1, "{}", both(&bad));
}

#[test]
fn expect_makes_listed_deviations_expected_and_fails_on_new_and_stale_ones() {
    let dir = scratch("expect");
    let file = dir.join("server.json");
    let f = file.to_str().unwrap();
    let faulty = Reference::start(Some(Fault::RejectPatchVersion));
    let url = faulty.url();
    let wrote = gauntlet(&[
        "check",
        &url,
        "--only",
        "VER-*",
        "--write-expect",
        f,
        "--json",
        dir.join("ver.json").to_str().unwrap(),
    ]);
    assert_eq!(wrote.status.code(), Some(1), "{}", both(&wrote));
    let skeleton = read_json(&file);
    let entries = skeleton["check"].as_array().expect("a check list");
    assert_eq!(entries.len(), 1, "{skeleton}");
    assert_eq!(entries[0]["case"], "VER-004");
    assert_eq!(
        entries[0]["bindings"],
        serde_json::json!(["jsonrpc", "rest"])
    );
    assert_eq!(entries[0]["verdict"], "FAIL");
    assert_eq!(entries[0]["reason"], "TODO: why");

    // Every listed deviation seen again: expected, exit 0.
    let known = gauntlet(&["check", &url, "--only", "VER-*", "--expect", f]);
    assert_eq!(known.status.code(), Some(0), "{}", both(&known));
    assert!(
        stdout(&known).contains("known  VER-004[rest] FAIL"),
        "{}",
        both(&known)
    );
    // interop/compare.py reads the same file the same way.
    if let Ok(py) = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/interop/compare.py"))
        .args([f, dir.join("ver.json").to_str().unwrap()])
        .output()
    {
        assert_eq!(py.status.code(), Some(0), "{}", both(&py));
    }
    // A selection that does not run the listed case: absent, not a change.
    let absent = gauntlet(&["check", &url, "--only", "VER-001", "--expect", f]);
    assert_eq!(absent.status.code(), Some(0), "{}", both(&absent));
    assert!(
        stdout(&absent).contains("2 not in this run"),
        "{}",
        both(&absent)
    );

    // One binding no longer listed: that deviation is NEW.
    let mut narrowed = skeleton.clone();
    narrowed["check"][0]["bindings"] = serde_json::json!(["jsonrpc"]);
    let narrow = dir.join("narrow.json");
    std::fs::write(&narrow, narrowed.to_string()).unwrap();
    let new = gauntlet(&[
        "check",
        &url,
        "--only",
        "VER-*",
        "--expect",
        narrow.to_str().unwrap(),
    ]);
    assert_eq!(new.status.code(), Some(1), "{}", both(&new));
    assert!(
        stdout(&new).contains("NEW    VER-004[rest] FAIL"),
        "{}",
        both(&new)
    );

    // Against a server without the bug, the listed entries are stale.
    let fixed = Reference::start(None);
    let stale = gauntlet(&["check", &fixed.url(), "--only", "VER-*", "--expect", f]);
    assert_eq!(stale.status.code(), Some(1), "{}", both(&stale));
    let text = stdout(&stale);
    assert!(
        text.contains("STALE  VER-004[jsonrpc]: listed FAIL, now PASS")
            && text.contains("STALE  VER-004[rest]"),
        "{}",
        both(&stale)
    );
    assert!(last_line(&text).starts_with("gauntlet: "), "{text}");

    // chaos compares with the file's `chaos` section.
    let chaos_file = dir.join("chaos.json");
    std::fs::write(
        &chaos_file,
        r#"{"chaos": [{"case": "CHAOS-MAL-001", "verdict": "FAIL", "spec": "x", "reason": "r"}]}"#,
    )
    .unwrap();
    let chaos = gauntlet(&[
        "chaos",
        "--only",
        "CHAOS-MAL-001",
        "--expect",
        chaos_file.to_str().unwrap(),
    ]);
    assert_eq!(chaos.status.code(), Some(1), "{}", both(&chaos));
    assert!(
        stdout(&chaos).contains("STALE  CHAOS-MAL-001"),
        "{}",
        both(&chaos)
    );
    // An unreadable file is found before the run.
    let unreadable = gauntlet(&["check", "--expect", dir.join("none.json").to_str().unwrap()]);
    assert_eq!(unreadable.status.code(), Some(2));
    assert_eq!(stderr_lines(&unreadable).len(), 1, "{}", both(&unreadable));
}

#[test]
fn shards_split_the_plan_and_merge_back_into_one_verdict() {
    let dir = scratch("shards");
    let path = |n: &str| dir.join(n).to_str().unwrap().to_owned();
    let faulty = Reference::start(Some(Fault::RejectPatchVersion));
    let url = faulty.url();
    let whole = gauntlet(&[
        "check", &url, "--only", "VER-*", "--only", "JRPC-*", "--list",
    ]);
    let whole = listed(&whole);
    let mut shards = Vec::new();
    for k in 1..=3 {
        let out = gauntlet(&[
            "check",
            &url,
            "--only",
            "VER-*",
            "--only",
            "JRPC-*",
            "--shard",
            &format!("{k}/3"),
            "--json",
            &path(&format!("s{k}.json")),
        ]);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", both(&out));
        shards.push(names(&read_json(&dir.join(format!("s{k}.json")))));
    }
    let mut union: Vec<String> = shards.concat();
    union.sort();
    let mut expected = whole.clone();
    expected.sort();
    assert_eq!(union, expected, "the shards partition the plan");
    assert!(
        shards.iter().all(|s| s.len() + 1 >= whole.len() / 3),
        "{shards:?}"
    );

    let merged = gauntlet(&[
        "report",
        "merge",
        &path("s1.json"),
        &path("s2.json"),
        &path("s3.json"),
        "--json",
        &path("m.json"),
    ]);
    assert_eq!(
        merged.status.code(),
        Some(1),
        "VER-004 fails: {}",
        both(&merged)
    );
    assert!(
        stdout(&merged).contains("NOT CONFORMANT"),
        "{}",
        both(&merged)
    );
    let m = read_json(&dir.join("m.json"));
    assert_eq!(names(&m), whole, "merged in catalogue order");
    assert_eq!(m["conformant"], false);
    assert_eq!(m["summary"]["failed"], 2);

    let missing = gauntlet(&["report", "merge", &path("s1.json"), &path("s3.json")]);
    assert_eq!(missing.status.code(), Some(2), "{}", both(&missing));
    assert!(
        stderr_lines(&missing)[0].contains("shard 2/3 is missing"),
        "{}",
        both(&missing)
    );

    // Shards of a clean server merge into a conformant verdict.
    let clean = Reference::start(None);
    for k in 1..=2 {
        let out = gauntlet(&[
            "check",
            &clean.url(),
            "--only",
            "JRPC-*",
            "--shard",
            &format!("{k}/2"),
            "--json",
            &path(&format!("c{k}.json")),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    }
    let ok = gauntlet(&[
        "report",
        "merge",
        &path("c1.json"),
        &path("c2.json"),
        "--json",
        "-",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", both(&ok));
    let doc: Value = serde_json::from_slice(&ok.stdout).expect("merged JSON on stdout");
    assert_eq!(doc["conformant"], true);
}

#[test]
fn a_long_run_ends_with_its_five_slowest_results() {
    let fast = gauntlet(&["check", "--only", "JRPC-*"]);
    assert!(
        !stdout(&fast).contains("Slowest"),
        "a run under 5 s lists none: {}",
        both(&fast)
    );
    // The threshold is lowered (hidden flag) so a short run counts as long.
    let out = gauntlet(&["check", "--only", "JRPC-*", "--slowest-after", "0"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let text = stdout(&out);
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Slowest (the run took "))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(rows.len(), 5, "{text}");
    let secs: Vec<f64> = rows
        .iter()
        .map(|r| {
            let t = r.split_whitespace().collect::<Vec<_>>();
            assert_eq!(t[1], "s", "{r}");
            assert!(t[2].starts_with("JRPC-"), "{r}");
            t[0].parse::<f64>().unwrap_or_else(|_| panic!("{r}"))
        })
        .collect();
    assert!(
        secs.windows(2).all(|w| w[0] >= w[1]),
        "slowest first: {rows:?}"
    );
}

#[test]
fn a_server_that_never_serves_is_named_with_a_readable_deadline() {
    // A port that was just free: the command never serves it.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = gauntlet(&[
        "chaos",
        &url,
        "--sut-cmd",
        "sleep 30",
        "--timeout-scale",
        "0.01",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("within 0.30 s"), "{err}");
}

#[test]
fn the_server_section_of_gauntlet_toml_starts_the_server_under_test_with_its_environment() {
    let dir = scratch("server-section");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bin = env!("CARGO_BIN_EXE_gauntlet");
    // The command serves only when the file's environment reached it.
    let command = format!(
        r#"sh -c 'test \"$GAUNTLET_MARK\" = yes && exec {bin} serve --addr 127.0.0.1:{port}'"#
    );
    std::fs::write(
        dir.join("gauntlet.toml"),
        format!(
            "target = \"http://127.0.0.1:{port}\"\n\n[server]\ncommand = \"{command}\"\nenv = {{ GAUNTLET_MARK = \"yes\" }}\nready_timeout = 20.0\n\n[chaos]\nonly = [\"CHAOS-RESTART-001\"]\n"
        ),
    )
    .unwrap();
    let out = gauntlet_in(&dir, &["chaos"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let text = stdout(&out);
    assert!(
        text.contains("CHAOS-RESTART-001") && !text.contains("NOT-APPLICABLE"),
        "the lifecycle scenario ran against the configured command:\n{text}"
    );
    // Without the environment the command exits at once, and chaos says so.
    let toml = std::fs::read_to_string(dir.join("gauntlet.toml")).unwrap();
    std::fs::write(
        dir.join("gauntlet.toml"),
        toml.replace("GAUNTLET_MARK = \"yes\"", "GAUNTLET_MARK = \"no\""),
    )
    .unwrap();
    let out = gauntlet_in(&dir, &["chaos"]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("exited"),
        "{}",
        both(&out)
    );
}

fn gauntlet_in(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gauntlet"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the gauntlet binary runs")
}

#[test]
fn gauntlet_toml_in_the_working_directory_sets_defaults_that_flags_override() {
    let dir = scratch("config");
    let server = Reference::start(Some(Fault::RestErrorProblemJson));
    std::fs::write(
        dir.join("gauntlet.toml"),
        format!(
            "target = \"{}\"\ntimeout_scale = 2.0\n\n[check]\nonly = [\"REST-003\"]\nfail_on = \"should\"\njson = \"out/report.json\"\n",
            server.url()
        ),
    )
    .unwrap();
    std::fs::create_dir(dir.join("out")).unwrap();
    let from_file = gauntlet_in(&dir, &["check"]);
    assert_eq!(
        from_file.status.code(),
        Some(1),
        "fail_on = should: {}",
        both(&from_file)
    );
    let report = read_json(&dir.join("out/report.json"));
    assert_eq!(names(&report), ["REST-003[rest]"]);
    assert_eq!(report["target"], server.url());
    // Flags override the file.
    let flags = gauntlet_in(
        &dir,
        &[
            "check",
            "--fail-on",
            "must",
            "--only",
            "VER-001",
            "--json",
            "-",
        ],
    );
    assert_eq!(flags.status.code(), Some(0), "{}", both(&flags));
    let doc: Value = serde_json::from_slice(&flags.stdout).expect("JSON on stdout");
    assert!(
        names(&doc).iter().all(|n| n.starts_with("VER-001")),
        "{doc}"
    );
    // --expect with the file's fail_on is one sentence, exit 2.
    std::fs::write(dir.join("e.json"), r#"{"check": []}"#).unwrap();
    let both_gates = gauntlet_in(&dir, &["check", "--expect", "e.json"]);
    assert_eq!(both_gates.status.code(), Some(2), "{}", both(&both_gates));
    assert_eq!(stderr_lines(&both_gates).len(), 1, "{}", both(&both_gates));

    // An unknown key is an error naming it; so is a missing --config file.
    let bad = scratch("config-bad");
    std::fs::write(bad.join("gauntlet.toml"), "[check]\nbindings = \"rest\"\n").unwrap();
    let out = gauntlet_in(&bad, &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    let lines = stderr_lines(&out);
    assert!(
        lines.len() == 1 && lines[0].contains("`bindings`"),
        "{lines:?}"
    );
    let missing = gauntlet_in(&bad, &["chaos", "--config", "nope.toml"]);
    assert_eq!(missing.status.code(), Some(2), "{}", both(&missing));
    assert!(
        stderr_lines(&missing)[0].contains("nope.toml"),
        "{}",
        both(&missing)
    );
}

#[test]
fn config_prints_a_default_that_loads_and_the_committed_schema() {
    let dir = scratch("config-default");
    let out = gauntlet(&["config", "--print-default"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("# target = ") && text.contains("[check]"),
        "{text}"
    );
    std::fs::write(dir.join("gauntlet.toml"), &text).unwrap();
    // The commented default changes nothing: the embedded reference, a short selection.
    let run = gauntlet_in(&dir, &["check", "--only", "VER-001", "--list"]);
    assert_eq!(run.status.code(), Some(0), "{}", both(&run));
    let schema = gauntlet(&["config", "--print-schema"]);
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/gauntlet.schema.json"))
            .expect("gauntlet.schema.json is committed");
    assert_eq!(
        stdout(&schema),
        committed,
        "gauntlet.schema.json is stale: regenerate it with `gauntlet config --print-schema`"
    );
}

#[test]
fn report_diff_lists_new_and_fixed_deviations_and_report_html_puts_servers_side_by_side() {
    let dir = scratch("diff");
    let (good, bad) = (dir.join("good.json"), dir.join("bad.json"));
    let clean = Reference::start(None);
    let faulted = Reference::start(Some(Fault::WrongErrorCode));
    for (server, file) in [(&clean, &good), (&faulted, &bad)] {
        let url = server.url();
        let out = gauntlet(&[
            "check",
            url.as_str(),
            "--only",
            "JRPC-011",
            "--json",
            file.to_str().unwrap(),
        ]);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    }
    let (g, b) = (good.to_str().unwrap(), bad.to_str().unwrap());
    let worse = gauntlet(&["report", "diff", g, b]);
    assert_eq!(worse.status.code(), Some(1), "{}", stdout(&worse));
    assert!(
        stdout(&worse).contains("New deviations (1):"),
        "{}",
        stdout(&worse)
    );
    assert!(
        stdout(&worse).contains("JRPC-011[jsonrpc]"),
        "{}",
        stdout(&worse)
    );
    let better = gauntlet(&["report", "diff", b, g]);
    assert_eq!(better.status.code(), Some(0), "{}", stdout(&better));
    assert!(
        stdout(&better).contains("Fixed (1):"),
        "{}",
        stdout(&better)
    );

    let page = dir.join("side.html");
    let out = gauntlet(&["report", "html", g, b, "--out", page.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let html = std::fs::read_to_string(&page).expect("written");
    assert!(html.contains("2 servers side by side"), "{html}");
    assert_eq!(html.matches("<td>≠</td>").count(), 1, "one row differs");

    let not_a_report = gauntlet(&["report", "diff", g, page.to_str().unwrap()]);
    assert_eq!(not_a_report.status.code(), Some(2));
    assert_eq!(stderr_lines(&not_a_report).len(), 1, "{not_a_report:?}");
}

/// Whether `word` appears right after an SGR colour escape (`ESC [ … m`) anywhere in `text`.
fn painted(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = &text[..i];
        before.ends_with('m')
            && before.rfind('\x1b').is_some_and(|esc| {
                let sgr = &before[esc..];
                sgr.starts_with("\x1b[")
                    && sgr[2..sgr.len() - 1]
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == ';')
            })
    })
}

#[test]
fn color_always_paints_verdicts_and_never_or_a_pipe_does_not() {
    let broken = Reference::start(Some(Fault::NoVersionCheck));
    let url = broken.url();
    let always = gauntlet(&["check", &url, "--only", "VER", "--color", "always"]);
    assert_eq!(always.status.code(), Some(1), "{}", both(&always));
    let text = stdout(&always);
    assert!(painted(&text, "FAIL"), "FAIL is coloured:\n{text}");
    assert!(painted(&text, "PASS"), "PASS is coloured:\n{text}");
    assert!(
        painted(&text, "NOT CONFORMANT:"),
        "the verdict line: {text}"
    );
    assert!(
        text.lines()
            .last()
            .is_some_and(|l| l.starts_with("gauntlet: ")),
        "the last line stays plain: {text}"
    );
    let never = gauntlet(&["check", &url, "--only", "VER", "--color", "never"]);
    let piped = gauntlet(&["check", &url, "--only", "VER"]);
    let no_color = Command::new(env!("CARGO_BIN_EXE_gauntlet"))
        .args(["check", &url, "--only", "VER", "--color", "auto"])
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    for out in [&never, &piped, &no_color] {
        assert_eq!(out.status.code(), Some(1), "{}", both(out));
        assert!(stdout(out).contains("FAIL"), "{}", both(out));
        assert!(
            !stdout(out).contains('\x1b') && !String::from_utf8_lossy(&out.stderr).contains('\x1b'),
            "no escapes without a terminal or with --color never:\n{}",
            both(out)
        );
        // No progress bar either: stderr is not a terminal.
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("ETA"),
            "{}",
            both(out)
        );
    }
    let chaos = gauntlet(&["chaos", "--only", "CHAOS-ID-001", "--color", "always"]);
    assert!(painted(&stdout(&chaos), "PASS"), "{}", both(&chaos));
}

/// Runs `command` (a shell command line) under a pseudo-terminal with `script`, so stdout and
/// stderr are a terminal; returns what the terminal showed. `None` without `script`.
fn on_a_terminal(command: &str, no_color: bool) -> Option<String> {
    let mut cmd = Command::new("script");
    cmd.args(["-qfec", command, "/dev/null"])
        .stdin(std::process::Stdio::null())
        // A terminal that can redraw, whatever the environment of the test run says.
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR");
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = cmd.output().ok()?;
    assert!(out.status.success(), "{}", both(&out));
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_terminal_gets_the_progress_bar_and_colour_unless_no_color() {
    let bin = env!("CARGO_BIN_EXE_gauntlet");
    let Some(tty) = on_a_terminal(&format!("{bin} check --only 'JRPC-00*'"), false) else {
        eprintln!("no `script` on this machine: the terminal is not tested");
        return;
    };
    assert!(tty.contains("ETA"), "a progress bar with an ETA:\n{tty}");
    assert!(tty.contains("elapsed"), "{tty}");
    assert!(painted(&tty, "PASS"), "auto colours a terminal:\n{tty}");
    // Result lines still come in catalogue order, each whole, around the bar: what the
    // terminal shows of a line is what follows its last carriage return and line erase.
    let shown: Vec<&str> = tty
        .lines()
        .map(|l| {
            l.rsplit('\r')
                .next()
                .unwrap_or(l)
                .trim_start_matches("\x1b[2K")
        })
        .collect();
    let results: Vec<&str> = shown
        .iter()
        .filter(|l| is_result_line(&l.replace("\x1b[32m", "").replace("\x1b[0m", "")))
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter(|w| w.starts_with("JRPC-00"))
        .collect();
    let mut sorted = results.clone();
    sorted.sort_unstable();
    assert!(!results.is_empty() && results == sorted, "{results:?}");
    let plain = on_a_terminal(&format!("{bin} check --only 'JRPC-00*'"), true).expect("script");
    assert!(!painted(&plain, "PASS"), "NO_COLOR:\n{plain}");
    assert!(plain.contains("PASS"), "{plain}");
}

/// Spawns `gauntlet args` with stdout piped, waits until it printed a line for which `ready`
/// holds, sends it SIGINT, and returns its exit code and everything it printed.
fn interrupt_after(args: &[&str], ready: impl Fn(&str) -> bool) -> (Option<i32>, String) {
    interrupt_when(args, false, ready)
}

/// [`interrupt_after`], watching stderr instead of stdout when `on_stderr`.
fn interrupt_when(
    args: &[&str],
    on_stderr: bool,
    ready: impl Fn(&str) -> bool,
) -> (Option<i32>, String) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_gauntlet"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawns");
    let watched: Box<dyn std::io::Read> = if on_stderr {
        Box::new(child.stderr.take().expect("stderr"))
    } else {
        Box::new(child.stdout.take().expect("stdout"))
    };
    let mut lines = std::io::BufReader::new(watched).lines();
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.expect("utf-8");
        seen.push_str(&line);
        seen.push('\n');
        if ready(&line) {
            break;
        }
    }
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    for line in lines {
        seen.push_str(&line.expect("utf-8"));
        seen.push('\n');
    }
    let out = child.wait_with_output().expect("exits");
    seen.push_str(if on_stderr { "stdout:\n" } else { "stderr:\n" });
    seen.push_str(&String::from_utf8_lossy(if on_stderr {
        &out.stdout
    } else {
        &out.stderr
    }));
    (out.status.code(), seen)
}

fn is_result_line(line: &str) -> bool {
    [
        "PASS ",
        "FAIL ",
        "NON-STRICT ",
        "INFORMATIONAL ",
        "ERROR ",
        "UNTESTED ",
    ]
    .iter()
    .any(|v| line.starts_with(v))
}

#[test]
fn ctrl_c_stops_check_with_the_results_so_far_and_exit_code_130() {
    let dir = scratch("interrupt-check");
    let json = dir.join("check.json");
    let junit = dir.join("check.xml");
    let (code, seen) = interrupt_after(
        &[
            "check",
            "--json",
            json.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ],
        is_result_line,
    );
    assert_eq!(code, Some(130), "{seen}");
    assert!(seen.contains("INTERRUPTED: "), "{seen}");
    let last = seen.lines().take_while(|l| *l != "stderr:").last();
    assert!(
        last.is_some_and(|l| l.starts_with("gauntlet: ") && l.contains(" passed, ")),
        "{seen}"
    );
    let report = read_json(&json);
    assert_eq!(report["interrupted"], true, "{report}");
    let done = names(&report).len();
    let planned = report["planned"].as_u64().expect("planned") as usize;
    assert!(done >= 1 && done < planned, "{done} of {planned}");
    assert!(std::fs::read_to_string(&junit)
        .expect("junit")
        .contains("<testsuite"));
    // A stopped run cannot stand for a whole one in a merged verdict.
    let merged = gauntlet(&["report", "merge", json.to_str().unwrap()]);
    assert_eq!(merged.status.code(), Some(2), "{}", both(&merged));
    let err = stderr_lines(&merged);
    assert!(
        err.len() == 1 && err[0].contains("interrupted run"),
        "{}",
        both(&merged)
    );
}

#[test]
fn ctrl_c_stops_chaos_and_the_server_it_started() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let sut = format!(
        "{} serve --addr 127.0.0.1:{port} --allow-private-webhooks",
        env!("CARGO_BIN_EXE_gauntlet")
    );
    let dir = scratch("interrupt-chaos");
    let json = dir.join("chaos.json");
    // NET-001 is quick; MAL-005 (3 s of slowloris) is still running when the signal comes.
    let (code, seen) = interrupt_after(
        &[
            "chaos",
            &url,
            "--sut-cmd",
            &sut,
            "--only",
            "CHAOS-NET-001",
            "--only",
            "CHAOS-MAL-005",
            "--json",
            json.to_str().unwrap(),
        ],
        is_result_line,
    );
    assert_eq!(code, Some(130), "{seen}");
    let report = read_json(&json);
    assert_eq!(report["interrupted"], true, "{report}");
    assert_eq!(names(&report), ["CHAOS-NET-001"], "{seen}");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the server under test was stopped: {seen}"
    );
}

#[test]
fn ctrl_c_stops_load_after_its_running_figures_with_exit_code_130() {
    let started = std::time::Instant::now();
    let (code, seen) = interrupt_when(
        &["load", "--duration", "60s", "--concurrency", "2"],
        true,
        |l| l.starts_with("gauntlet load: SendMessage "),
    );
    assert_eq!(code, Some(130), "{seen}");
    assert!(seen.contains("gauntlet load: interrupted"), "{seen}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "stopped long before its 60 s phase ended: {seen}"
    );
}

#[test]
fn serve_help_lists_every_fault_switch_under_its_own_heading() {
    let out = gauntlet(&["serve", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let section = text
        .split_once("Fault switches")
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("no fault heading:\n{text}"));
    assert!(section.contains("--fault <NAME>"), "{text}");
    for f in Fault::ALL {
        let line = section
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("- {}:", f.name())))
            .unwrap_or_else(|| panic!("{} is not listed:\n{text}", f.name()));
        assert!(
            line.split_once(':')
                .is_some_and(|(_, h)| h.trim().len() > 5),
            "{} has no description: {line}",
            f.name()
        );
    }
    let bad = gauntlet(&["serve", "--fault", "no-such-fault"]);
    assert_eq!(bad.status.code(), Some(2), "{}", both(&bad));
}

#[test]
fn load_prints_each_phase_s_running_figures_every_second() {
    let out = gauntlet(&[
        "load",
        "--duration",
        "1500ms",
        "--concurrency",
        "2",
        "--streams",
        "1",
        "--events",
        "20",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    let send = err
        .lines()
        .find(|l| l.starts_with("gauntlet load: SendMessage 1."))
        .unwrap_or_else(|| panic!("no running SendMessage figures:\n{err}"));
    let ok: u64 = send
        .split(": ")
        .nth(2)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{send}"));
    assert!(
        ok > 0 && send.contains(" req/s, p50 ") && send.ends_with(" ms"),
        "{send}"
    );
    assert!(
        err.lines()
            .any(|l| l.starts_with("gauntlet load: Streaming 1.") && l.contains(" events/s")),
        "{err}"
    );
    assert!(!err.contains('\r') && !err.contains('\x1b'), "{err}");
    assert!(
        stdout(&out).contains("SendMessage   2 workers"),
        "{}",
        both(&out)
    );
}

#[test]
fn a_short_soak_reports_readable_durations_and_readings() {
    let dir = scratch("soak-text");
    let json = dir.join("soak.json");
    let out = gauntlet(&[
        "chaos",
        "--only",
        "CHAOS-ID-001",
        "--soak",
        "1ms",
        "--json",
        json.to_str().unwrap(),
    ]);
    let text = stdout(&out);
    let runner = text
        .lines()
        .find(|l| l.contains("CHAOS-SOAK-RUNNER"))
        .unwrap_or_else(|| panic!("{}", both(&out)));
    let rounds = runner
        .split(" rounds in ")
        .nth(1)
        .unwrap_or_else(|| panic!("{runner}"));
    let secs = rounds.split(';').next().unwrap_or_default();
    assert!(
        secs.ends_with(" s") && secs.trim_end_matches(" s").parse::<f64>().is_ok(),
        "a duration in seconds, not Rust's debug form: {runner}"
    );
    let report = read_json(&json);
    let soak_rows: Vec<String> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| {
            r["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("CHAOS-SOAK-"))
        })
        .map(|r| r["summary"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(soak_rows.len(), 2, "{report}");
    assert!(soak_rows[1].contains("fds "), "{soak_rows:?}");
    for s in &soak_rows {
        for debug in ["Some(", "None", "ms,", "µs", "[", "]"] {
            assert!(!s.contains(debug), "`{debug}` in `{s}`");
        }
    }
}

#[path = "cli/action.rs"]
mod action;
