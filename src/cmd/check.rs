//! `gauntlet check`: judge a server against the case catalogue. Without a URL it starts the
//! embedded reference server on 127.0.0.1:0 (webhooks on loopback allowed) and stops it after.

use std::fmt::Write as _;
use std::sync::Arc;

use gauntlet_conformance::case::Binding;
use gauntlet_conformance::cases::catalogue;
use gauntlet_conformance::context::Unmet;
use gauntlet_conformance::errors::RunError;
use gauntlet_conformance::report::gate::Gate;
use gauntlet_conformance::report::human::{self, HumanReporter, Style};
use gauntlet_conformance::runner::{self, RunOptions, Shard};
use serde_json::json;

use super::ui::{self, Live, Stream};
use super::LevelArg;
use crate::{EXIT_INTERRUPTED, EXIT_NOT_CONFORMANT, EXIT_OK, EXIT_USAGE};

/// Which bindings to run.
#[derive(
    clap::ValueEnum, serde::Deserialize, schemars::JsonSchema, Clone, Copy, Debug, PartialEq, Eq,
)]
#[serde(rename_all = "lowercase")]
pub enum BindingArg {
    /// JSON-RPC only.
    Jsonrpc,
    /// HTTP+JSON only.
    Rest,
    /// Every binding the card declares.
    All,
}

/// Arguments of `gauntlet check`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Base URL of the server under test (its card is at /.well-known/agent-card.json).
    /// Without it, the embedded reference server is started and judged.
    pub url: Option<String>,
    /// Bindings to run [default: all].
    #[arg(long, value_enum)]
    pub binding: Option<BindingArg>,
    /// The weakest requirement level to run [default: may].
    #[arg(long, value_enum)]
    pub level: Option<LevelArg>,
    /// Run only what matches (repeatable): a glob on the id or area, optionally with the
    /// binding as reports name results: `JRPC-*`, `JRPC`, `JRPC-00[1-3]`, `SEND-004[rest]`.
    #[arg(long, value_name = "PATTERN")]
    pub only: Vec<String>,
    /// Run only shard K of N of the planned runs (dealt round-robin in catalogue order);
    /// `gauntlet report merge` joins the shards' JSON reports.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Print the planned runs (`ID[binding]`) and exit without running them.
    #[arg(long)]
    pub list: bool,
    /// A bearer token; each one is an identity (give two for the cross-identity cases).
    #[arg(long, value_name = "TOKEN")]
    pub token: Vec<String>,
    /// The flags every judging run shares (reports, exit policy, deadlines, config, colour).
    #[command(flatten)]
    pub common: super::RunArgs,
}

impl Args {
    /// Fills what the command line left unset from gauntlet.toml (flags win).
    fn configure(&mut self) -> Result<(), String> {
        let Some(cfg) = self.common.load_config(&mut self.url)? else {
            return Ok(());
        };
        if self.token.is_empty() {
            self.token = cfg.tokens.clone();
        }
        self.binding = self.binding.or(cfg.check.binding);
        self.level = self.level.or(cfg.check.level);
        if self.only.is_empty() {
            self.only = cfg.check.only.clone();
        }
        cfg.check
            .common()
            .fill(&mut self.common.reports, &mut self.common.gate);
        Ok(())
    }
}

/// Runs the subcommand; returns the process exit code.
pub async fn run(mut args: Args) -> u8 {
    if let Err(msg) = args.configure() {
        eprintln!("gauntlet: {msg}");
        return EXIT_USAGE;
    }
    // Everything that can be refused is refused before the server is started or probed.
    let (timeout_scale, gate) = match args.common.prepare("check", &args.only) {
        Ok(ready) => ready,
        Err(msg) => {
            eprintln!("gauntlet: {msg}");
            return EXIT_USAGE;
        }
    };
    let opts = RunOptions {
        bindings: match args.binding.unwrap_or(BindingArg::All) {
            BindingArg::All => None,
            BindingArg::Jsonrpc => Some(vec![Binding::JsonRpc]),
            BindingArg::Rest => Some(vec![Binding::Rest]),
        },
        level: args.level.unwrap_or(LevelArg::May).level(),
        only: args.only.clone(),
        shard: args.shard,
        timeout_scale,
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
    let code = check(&url, &args, &opts, gate).await;
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

async fn check(url: &str, args: &Args, opts: &RunOptions, gate: Gate) -> u8 {
    let cases = catalogue();
    if args.list {
        return list(url, &cases, opts, args.common.reports.json_to_stdout()).await;
    }
    // With `--json -` stdout carries only the JSON report.
    let stream = if args.common.reports.json_to_stdout() {
        Stream::Stderr
    } else {
        Stream::Stdout
    };
    let style = Style {
        slowest_after: std::time::Duration::from_secs_f64(args.common.slowest_after),
        color: ui::color(args.common.color, stream),
        ..Style::default()
    };
    let result = match stream {
        Stream::Stderr => {
            let reporter = HumanReporter::stderr().with_style(style);
            run_live(url, &cases, opts, gate.clone(), reporter).await
        }
        Stream::Stdout => {
            let reporter = HumanReporter::stdout().with_style(style);
            run_live(url, &cases, opts, gate.clone(), reporter).await
        }
    };
    let report = match result {
        Ended::Finished(Ok(r)) => r,
        Ended::Finished(Err(e)) => return usage(&e),
        Ended::Interrupted(partial) => {
            let Some((report, planned)) = partial else {
                eprintln!("gauntlet: interrupted before the run started");
                return EXIT_INTERRUPTED;
            };
            let text = human::render_interrupted(&report, style, planned);
            match stream {
                Stream::Stderr => eprint!("{text}"),
                Stream::Stdout => super::emit(&text),
            }
            if let Err(msg) =
                ui::write_interrupted(&args.common.reports, &report, opts.shard, planned)
            {
                eprintln!("gauntlet: {msg}");
            }
            ui::say_interrupted(&args.common.reports);
            return EXIT_INTERRUPTED;
        }
    };
    if let Err(msg) = args
        .common
        .reports
        .write(&report, opts.shard)
        .and_then(|()| args.common.gate.write_expect(&gate, &report, "check"))
    {
        eprintln!("gauntlet: {msg}");
        return EXIT_USAGE;
    }
    if gate.judge(&report).passed() {
        EXIT_OK
    } else {
        EXIT_NOT_CONFORMANT
    }
}

/// How a run ended: by itself, or by Ctrl-C with what had finished (see [`Live::partial`]).
enum Ended {
    Finished(Result<gauntlet_conformance::report::RunReport, RunError>),
    Interrupted(Option<(gauntlet_conformance::report::RunReport, usize)>),
}

/// Runs the catalogue with the progress bar around `reporter`, until it ends or Ctrl-C.
async fn run_live<W: std::io::Write + Send>(
    url: &str,
    cases: &[gauntlet_conformance::case::Case],
    opts: &RunOptions,
    gate: Gate,
    reporter: HumanReporter<W>,
) -> Ended {
    let mut live = Live::new(reporter.with_gate(gate));
    let finished = tokio::select! {
        r = runner::run(url, cases, opts, &mut live) => Some(r),
        () = ui::interrupted() => None,
    };
    match finished {
        Some(r) => {
            ui::exit_on_ctrl_c();
            Ended::Finished(r)
        }
        None => {
            live.clear();
            Ended::Interrupted(live.partial())
        }
    }
}

fn usage(e: &RunError) -> u8 {
    eprintln!("gauntlet: {e}");
    EXIT_USAGE
}

/// `--list`: what would run, and what would not be judged and why (see `Subject::unmet_of`).
async fn list(
    url: &str,
    cases: &[gauntlet_conformance::case::Case],
    opts: &RunOptions,
    as_json: bool,
) -> u8 {
    let target = match runner::discover(url, opts.tokens.clone(), opts.timeout_scale).await {
        Ok(t) => Arc::new(t),
        Err(e) => return usage(&e),
    };
    let planned = match runner::plan(cases, &target, opts) {
        Ok(p) => p,
        Err(e) => return usage(&e),
    };
    if as_json {
        let runs: Vec<_> = planned
            .iter()
            .map(|p| {
                let (skip, reason) = match target.unmet_of(p.case.needs) {
                    None => (None, None),
                    Some(Unmet::NotDeclared(r)) => (Some("NOT-APPLICABLE"), Some(r)),
                    Some(Unmet::Unobservable { reason, .. }) => (Some("UNTESTED"), Some(reason)),
                };
                json!({
                    "name": p.test_name(),
                    "id": p.case.id,
                    "binding": p.binding.map(|b| b.short()),
                    "level": p.case.level.as_str(),
                    "title": p.case.title,
                    "skip": skip,
                    "reason": reason,
                })
            })
            .collect();
        super::emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({ "runs": runs })).unwrap_or_default()
        ));
        return EXIT_OK;
    }
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
    let plural = if planned.len() == 1 { "" } else { "s" };
    let _ = writeln!(out, "{} run{plural}", planned.len());
    super::emit(&out);
    EXIT_OK
}
