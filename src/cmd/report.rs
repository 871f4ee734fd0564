//! `gauntlet report`: work on JSON reports after the run.
//! - `merge A.json B.json … --json OUT` joins the reports of `check --shard` runs (or of disjoint
//!   selections) into one report and one verdict, with the exit code of `check` (and its
//!   `--fail-on`/`--expect`);
//! - `diff OLD.json NEW.json` lists new deviations, fixed ones, moved verdicts and changed
//!   evidence (exit 1 when NEW deviates anywhere OLD did not);
//! - `html A.json [B.json …] --out FILE` renders one report as the HTML page, or several side by
//!   side (one column per server);
//! - `schema` prints the JSON Schema of the report.

use std::path::PathBuf;

use gauntlet_conformance::cases::catalogue;
use gauntlet_conformance::report::diff::Diff;
use gauntlet_conformance::report::human::{self, Style};
use gauntlet_conformance::report::{html, merge, RunReport};

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
    /// What changed between two runs: new deviations, fixed, moved, other evidence.
    Diff(DiffArgs),
    /// Render JSON reports as HTML: one report as its page, several side by side.
    Html(HtmlArgs),
    /// Print the JSON Schema of the JSON report (`conformance/report.schema.json`).
    Schema,
}

/// Arguments of `gauntlet report diff`.
#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The earlier run's JSON report.
    #[arg(value_name = "OLD.json")]
    pub old: PathBuf,
    /// The later run's JSON report.
    #[arg(value_name = "NEW.json")]
    pub new: PathBuf,
}

/// Arguments of `gauntlet report html`.
#[derive(clap::Args, Debug)]
pub struct HtmlArgs {
    /// JSON reports: one renders its page, several a side-by-side matrix.
    #[arg(required = true, value_name = "REPORT.json")]
    pub files: Vec<PathBuf>,
    /// The HTML file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
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
        Command::Diff(d) => run_diff(d),
        Command::Html(h) => run_html(h),
        Command::Schema => {
            let schema = gauntlet_conformance::report::json::schema();
            super::emit(&format!(
                "{}\n",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            ));
            EXIT_OK
        }
    }
}

/// Reads a JSON report file into a run (without transcripts), or one sentence why not.
fn read_report(path: &std::path::Path) -> Result<RunReport, String> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {name}: {e}"))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{name} is not JSON: {e}"))?;
    merge::read(&name, &doc)
}

fn run_diff(args: DiffArgs) -> u8 {
    let runs = read_report(&args.old).and_then(|o| Ok((o, read_report(&args.new)?)));
    let (old, new) = match runs {
        Ok(r) => r,
        Err(msg) => {
            eprintln!("gauntlet: {msg}");
            return EXIT_USAGE;
        }
    };
    let d = Diff::of(&old, &new);
    super::emit(&d.render());
    if d.regressed() {
        EXIT_NOT_CONFORMANT
    } else {
        EXIT_OK
    }
}

fn run_html(args: HtmlArgs) -> u8 {
    let fail = |msg: String| {
        eprintln!("gauntlet: {msg}");
        EXIT_USAGE
    };
    let mut runs = Vec::new();
    for path in &args.files {
        match read_report(path) {
            Ok(r) => runs.push(r),
            Err(msg) => return fail(msg),
        }
    }
    let page = match runs.as_slice() {
        [one] => html::render(one),
        many => html::render_matrix(many),
    };
    match super::write_text(&args.out, page) {
        Ok(()) => EXIT_OK,
        Err(msg) => fail(msg),
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
            Ok(d) => {
                // A stopped shard would silently leave its runs out of the verdict.
                let name = path.display().to_string();
                if let Some(msg) = super::ui::refuse_interrupted(&name, &d) {
                    return fail(msg);
                }
                docs.push((name, d));
            }
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
