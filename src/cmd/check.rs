//! `gauntlet check`: judge a server against the case catalogue. Without a URL it starts the
//! embedded reference server on 127.0.0.1:0 (webhooks on loopback allowed) and stops it after.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;

use gauntlet_conformance::case::{Binding, Level};
use gauntlet_conformance::cases::catalogue;
use gauntlet_conformance::context::Unmet;
use gauntlet_conformance::errors::RunError;
use gauntlet_conformance::report::human::HumanReporter;
use gauntlet_conformance::runner::{self, RunOptions};

use crate::{EXIT_NOT_CONFORMANT, EXIT_OK, EXIT_USAGE};

/// Which bindings to run.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindingArg {
    /// JSON-RPC only.
    Jsonrpc,
    /// HTTP+JSON only.
    Rest,
    /// Every binding the card declares.
    All,
}

/// The weakest level to run (must ⊂ should ⊂ may).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LevelArg {
    /// MUST rows only.
    Must,
    /// MUST and SHOULD rows.
    Should,
    /// Everything, MAY and SDK rows included.
    May,
}

/// Arguments of `gauntlet check`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Base URL of the server under test (its card is at /.well-known/agent-card.json).
    /// Without it, the embedded reference server is started and judged.
    pub url: Option<String>,
    /// Bindings to run.
    #[arg(long, value_enum, default_value = "all")]
    pub binding: BindingArg,
    /// The weakest requirement level to run.
    #[arg(long, value_enum, default_value = "may")]
    pub level: LevelArg,
    /// Run only cases whose id or area matches (glob; repeatable): `JRPC-*`, `JRPC`, `*-001`.
    #[arg(long, value_name = "GLOB")]
    pub only: Vec<String>,
    /// Print the planned runs and exit without running them.
    #[arg(long)]
    pub list: bool,
    /// Report files to write.
    #[command(flatten)]
    pub reports: super::ReportFiles,
    /// Multiply every deadline (slow machines).
    #[arg(long, value_name = "X", default_value_t = 1.0)]
    pub timeout_scale: f64,
    /// A bearer token; each one is an identity (give two for the cross-identity cases).
    #[arg(long, value_name = "TOKEN")]
    pub token: Vec<String>,
}

/// Runs the subcommand; returns the process exit code.
pub async fn run(args: Args) -> u8 {
    if !(args.timeout_scale.is_finite() && args.timeout_scale > 0.0) {
        eprintln!(
            "gauntlet: --timeout-scale must be a positive number, not {}",
            args.timeout_scale
        );
        return EXIT_USAGE;
    }
    let opts = RunOptions {
        bindings: match args.binding {
            BindingArg::All => None,
            BindingArg::Jsonrpc => Some(vec![Binding::JsonRpc]),
            BindingArg::Rest => Some(vec![Binding::Rest]),
        },
        level: match args.level {
            LevelArg::Must => Level::Must,
            LevelArg::Should => Level::Should,
            LevelArg::May => Level::May,
        },
        only: args.only.clone(),
        timeout_scale: args.timeout_scale,
        tokens: args.token.clone(),
        ..RunOptions::default()
    };
    let (url, embedded) = match &args.url {
        Some(url) => (url.clone(), None),
        None => match start_reference().await {
            Ok(handle) => (handle.base_url(), Some(handle)),
            Err(e) => {
                eprintln!("gauntlet: cannot start the embedded reference server: {e}");
                return EXIT_USAGE;
            }
        },
    };
    let code = check(&url, &args, &opts).await;
    if let Some(handle) = embedded {
        handle.shutdown().await;
    }
    code
}

async fn start_reference() -> std::io::Result<gauntlet_reference::ServerHandle> {
    gauntlet_reference::Server::builder()
        .allow_private_webhooks(true)
        .bind(([127, 0, 0, 1], 0).into())
        .await
}

async fn check(url: &str, args: &Args, opts: &RunOptions) -> u8 {
    let cases = catalogue();
    if args.list {
        return list(url, &cases, opts).await;
    }
    let mut reporter = HumanReporter::stdout();
    let report = match runner::run(url, &cases, opts, &mut reporter).await {
        Ok(r) => r,
        Err(e) => return usage(&e),
    };
    if let Err(msg) = args.reports.write(&report) {
        eprintln!("gauntlet: {msg}");
        return EXIT_USAGE;
    }
    if report.conformant() {
        EXIT_OK
    } else {
        EXIT_NOT_CONFORMANT
    }
}

fn usage(e: &RunError) -> u8 {
    eprintln!("gauntlet: {e}");
    EXIT_USAGE
}

/// `--list`: what would run, and what would not be judged and why (see `Target::unmet_of`).
async fn list(url: &str, cases: &[gauntlet_conformance::case::Case], opts: &RunOptions) -> u8 {
    let target = match runner::discover(url, opts.tokens.clone(), opts.timeout_scale).await {
        Ok(t) => Arc::new(t),
        Err(e) => return usage(&e),
    };
    let planned = match runner::plan(cases, &target, opts) {
        Ok(p) => p,
        Err(e) => return usage(&e),
    };
    let mut out = String::new();
    for p in &planned {
        let skip = match target.unmet_of(p.case.needs) {
            None => String::new(),
            Some(Unmet::NotDeclared(r)) => format!("  (not applicable: {r})"),
            Some(Unmet::Unobservable { reason, help }) => {
                format!("  (untested: {reason}; to judge it: {help})")
            }
        };
        let _ = writeln!(
            out,
            "{:<20} {:<6} {}{skip}",
            p.test_name(),
            p.case.level.as_str(),
            p.case.title
        );
    }
    let _ = writeln!(out, "{} runs", planned.len());
    // A closed pipe (`--list | head`) is not worth a panic.
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    EXIT_OK
}
