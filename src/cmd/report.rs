//! `gauntlet report merge A.json B.json … --json OUT`: joins the JSON reports of `check --shard`
//! runs (or of disjoint selections) into one report and one verdict, with the exit code of
//! `check` (and its `--fail-on`/`--expect`).

use std::path::PathBuf;

use gauntlet_conformance::cases::catalogue;
use gauntlet_conformance::report::human::{self, Style};
use gauntlet_conformance::report::merge;

use crate::{EXIT_NOT_CONFORMANT, EXIT_OK, EXIT_USAGE};

/// Arguments of `gauntlet report`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to do with reports.
    #[command(subcommand)]
    pub command: Command,
}

/// `gauntlet report` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Join JSON reports (the shards of one `check --shard K/N` run) into one report and verdict.
    Merge(MergeArgs),
}

/// Arguments of `gauntlet report merge`.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// The JSON reports to join.
    #[arg(required = true, value_name = "REPORT.json")]
    pub files: Vec<PathBuf>,
    /// Report files to write (JUnit and HTML carry no exchanges: only the JSON keeps them).
    #[command(flatten)]
    pub reports: super::ReportFiles,
    /// Exit policy.
    #[command(flatten)]
    pub gate: super::GateArgs,
}

/// Runs the subcommand; returns the process exit code.
pub async fn run(args: Args) -> u8 {
    match args.command {
        Command::Merge(m) => run_merge(m),
    }
}

fn run_merge(args: MergeArgs) -> u8 {
    let fail = |msg: String| {
        eprintln!("gauntlet: {msg}");
        EXIT_USAGE
    };
    if let Err(msg) = args.reports.preflight() {
        return fail(msg);
    }
    let gate = match args.gate.gate("check") {
        Ok(g) => g,
        Err(msg) => return fail(msg),
    };
    let mut docs = Vec::new();
    for path in &args.files {
        let doc = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))
            .and_then(|t| {
                serde_json::from_str::<serde_json::Value>(&t)
                    .map_err(|e| format!("{} is not JSON: {e}", path.display()))
            });
        match doc {
            Ok(d) => docs.push((path.display().to_string(), d)),
            Err(msg) => return fail(msg),
        }
    }
    let ids: Vec<&str> = catalogue().iter().map(|c| c.id).collect();
    let merged = match merge::merge(&docs, &ids) {
        Ok(m) => m,
        Err(msg) => return fail(msg),
    };
    let judgement = gate.judge(&merged.report);
    let text = human::render_judged(&merged.report, Style::default(), &judgement);
    if args.reports.json_to_stdout() {
        eprint!("{text}");
    } else {
        super::emit(&text);
    }
    let json = serde_json::to_string_pretty(&merged.json).unwrap_or_default();
    let written = args
        .reports
        .json
        .as_deref()
        .map_or(Ok(()), |p| super::write_text(p, json))
        .and_then(|()| args.reports.write_others(&merged.report))
        .and_then(|()| args.gate.write_expect(&gate, &merged.report, "check"));
    if let Err(msg) = written {
        return fail(msg);
    }
    if judgement.passed() {
        EXIT_OK
    } else {
        EXIT_NOT_CONFORMANT
    }
}
