//! `gauntlet`: conformance and chaos testing for A2A 1.0.1 servers.
//!
//! The CLI owns flags, the config file, terminal output and exit codes; it judges nothing
//! itself (the oracle, chaos and load crates do) and is the only crate that may depend on all
//! of them and on the reference (embedded when no URL is given).
//!
//! Exit codes (the one place they are defined; README "Exit codes" repeats them):
//! * 0 — success: `check`/`chaos`/`report merge`: nothing fails at `--fail-on` (default
//!   `must`: the target is conformant), or with `--expect` the deviations are as listed;
//!   `load`: some SendMessage succeeded;
//! * 1 — the target fails: a result fails at `--fail-on` (a MUST failed or could not be run
//!   or judged; with `should`/`may` also weaker rows), or with `--expect` a deviation is new,
//!   moved to another verdict, or listed but now passes; `load`: no SendMessage succeeded;
//! * 2 — usage error or unusable input, found before the run where possible: a bad flag, a
//!   selection that selects nothing, an unwritable report path, an unreadable expectation file
//!   or report; or an unusable target (unreachable, not an A2A server, answers 401);
//! * 130 — interrupted (Ctrl-C, SIGINT): `check`/`chaos` printed and wrote the results so far
//!   (the JSON report says `"interrupted": true`); `load` printed the phases so far.

mod cmd;
mod config;
mod lifecycle;

use std::process::ExitCode;

use std::sync::LazyLock;

use clap::{Parser, Subcommand};
use gauntlet_conformance::spec::{DIGEST_REVISION, SPEC_VERSION};

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: the target is not conformant.
pub const EXIT_NOT_CONFORMANT: u8 = 1;
/// Exit code: usage error or unusable target.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// `gauntlet --version`: the crate version, the spec it judges and the digest revision.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} (judges A2A {SPEC_VERSION}; spec digest revision {DIGEST_REVISION})",
        env!("CARGO_PKG_VERSION")
    )
});

#[derive(Parser)]
#[command(
    name = "gauntlet",
    version = VERSION.as_str(),
    about = "Find out whether an A2A 1.0.1 server is correct and robust"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the reference A2A server.
    Serve(cmd::serve::Args),
    /// Judge a server against every requirement of the spec (no URL: the embedded reference).
    Check(cmd::check::Args),
    /// Inject faults and judge how a server copes (no URL: the embedded reference).
    Chaos(cmd::chaos::Args),
    /// Measure throughput and latency of a server (no URL: the embedded reference).
    Load(cmd::load::Args),
    /// List the case catalogue and chaos scenarios.
    List(cmd::list::Args),
    /// Work with JSON reports: `report merge` joins shard reports into one verdict.
    Report(cmd::report::Args),
    /// Print the default gauntlet.toml (`--print-default`) or its JSON Schema (`--print-schema`).
    Config(cmd::config::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // One sentence, not clap's multi-line usage dump: the first line says what is wrong.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!(
                "gauntlet: {} (try --help)",
                first.trim_start_matches("error: ")
            );
            return ExitCode::from(EXIT_USAGE);
        }
        Err(e) => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::from(EXIT_OK);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("gauntlet: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let code = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => cmd::serve::run(args).await,
            Command::Check(args) => cmd::check::run(args).await,
            Command::Chaos(args) => cmd::chaos::run(args).await,
            Command::Load(args) => cmd::load::run(args).await,
            Command::List(args) => cmd::list::run(args).await,
            Command::Report(args) => cmd::report::run(args).await,
            Command::Config(args) => cmd::config::run(args).await,
        }
    });
    ExitCode::from(code)
}
