//! The `gauntlet` binary as a newcomer meets it: the main job's verdict, and one-sentence
//! explanations with exit code 2 for a bad flag, an unreachable URL and a non-A2A server.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output};

fn gauntlet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gauntlet"))
        .args(args)
        .output()
        .expect("the gauntlet binary runs")
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

#[path = "cli/action.rs"]
mod action;
