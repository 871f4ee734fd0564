//! The shell part of the GitHub Actions composite (`.github/actions/gauntlet/gauntlet-ci.sh`),
//! run as CI would: it starts the reference with `gauntlet serve`, waits for its card, runs
//! check, writes the reports, the job summary and the step output, and stops the server.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/actions/gauntlet/gauntlet-ci.sh")
}

/// A loopback port that was free a moment ago (the script's server binds it).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(dir: &Path, server_args: &str, check_args: &str) -> Output {
    let port = free_port();
    let bin = env!("CARGO_BIN_EXE_gauntlet");
    Command::new("bash")
        .arg(script())
        .current_dir(dir)
        .env("GAUNTLET_BIN", bin)
        .env("GAUNTLET_URL", format!("http://127.0.0.1:{port}"))
        .env(
            "GAUNTLET_SERVER_COMMAND",
            format!("exec '{bin}' serve --addr 127.0.0.1:{port} {server_args}"),
        )
        .env("GAUNTLET_READY_TIMEOUT", "30")
        .env("GAUNTLET_ARGS", check_args)
        .env("GAUNTLET_OUT", "reports")
        .env("GITHUB_STEP_SUMMARY", dir.join("summary.md"))
        .env("GITHUB_OUTPUT", dir.join("output.txt"))
        .output()
        .expect("bash runs")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gauntlet-action-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_action_script_starts_the_server_runs_check_and_writes_reports_summary_and_verdict() {
    let dir = temp_dir("pass");
    let out = run(
        &dir,
        "--allow-private-webhooks",
        "--only CARD-* --only JRPC-*",
    );
    let log = format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{log}");
    for report in ["check.json", "check.junit.xml", "check.html", "check.log"] {
        assert!(
            dir.join("reports")
                .join(report)
                .metadata()
                .is_ok_and(|m| m.len() > 0),
            "{report} missing\n{log}"
        );
    }
    let summary = read(dir.join("summary.md"));
    assert!(summary.contains("### CONFORMANT"), "{summary}");
    assert!(summary.contains("| pass | fail |"), "{summary}");
    assert_eq!(read(dir.join("output.txt")).trim(), "verdict=conformant");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_action_script_reports_an_unusable_target_as_error_and_exit_code_2() {
    let dir = temp_dir("auth");
    // The server wants a token the run does not have: check explains it and exits 2.
    let out = run(&dir, "--bearer secret", "");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("pass --token"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(read(dir.join("output.txt")).trim(), "verdict=error");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_action_script_says_so_when_the_server_exits_before_it_is_ready() {
    let dir = temp_dir("exit");
    let out = run(&dir, "--addr not-an-address", "");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("exited before it was ready"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_action_script_takes_the_target_and_the_server_command_from_gauntlet_toml() {
    let dir = temp_dir("config");
    let port = free_port();
    let bin = env!("CARGO_BIN_EXE_gauntlet");
    std::fs::write(
        dir.join("gauntlet.toml"),
        format!(
            "target = \"http://127.0.0.1:{port}\"\n\n[check]\nonly = [\"CARD-*\"]\n\n[server]\ncommand = \"'{bin}' serve --addr 127.0.0.1:{port}\"\n"
        ),
    )
    .unwrap();
    let out = Command::new("bash")
        .arg(script())
        .current_dir(&dir)
        .env("GAUNTLET_BIN", bin)
        .env("GAUNTLET_CONFIG", dir.join("gauntlet.toml"))
        .env("GAUNTLET_READY_TIMEOUT", "30")
        .env("GAUNTLET_OUT", "reports")
        .env("GITHUB_OUTPUT", dir.join("output.txt"))
        .env_remove("GAUNTLET_URL")
        .env_remove("GAUNTLET_SERVER_COMMAND")
        .output()
        .expect("bash runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(read(dir.join("output.txt")).trim(), "verdict=conformant");
    let report = read(dir.join("reports/check.json"));
    assert!(report.contains("\"CARD-001\""), "the file's selection ran");
    assert!(!report.contains("\"JRPC-001\""), "and nothing else");
    let _ = std::fs::remove_dir_all(&dir);
}
