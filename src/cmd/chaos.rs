//! `gauntlet chaos`: inject faults and judge how a server copes. Without a URL it starts the
//! embedded reference server (webhooks on loopback allowed) under a lifecycle, so the
//! start/stop scenarios run too; with `--sut-cmd` it runs and cycles an external server.
//! Output and exit codes are those of `gauntlet check`.

use std::sync::Arc;
use std::time::Duration;

use gauntlet_chaos::errors::ChaosError;
use gauntlet_chaos::scenario::Settings;
use gauntlet_chaos::{Order, RunOptions};
use gauntlet_conformance::lifecycle::Lifecycle;
use gauntlet_conformance::report::events::{Reporter, RunEvent};
use gauntlet_conformance::report::human::{self, HumanReporter, Style};

use super::ui::{self, Stream};
use crate::lifecycle::{EmbeddedReference, ExternalCommand};
use crate::{EXIT_INTERRUPTED, EXIT_NOT_CONFORMANT, EXIT_OK, EXIT_USAGE};

/// Arguments of `gauntlet chaos`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Base URL of the server under test (loopback only). Without it, the embedded reference
    /// server is started and judged.
    pub url: Option<String>,
    /// Run only scenarios whose id matches (repeatable; the syntax of `check --only`):
    /// `CHAOS-SLOW-*`, `*-00[1-2]`.
    #[arg(long, value_name = "PATTERN")]
    pub only: Vec<String>,
    /// Repeat the scenarios for this long (`60s`, `5m`) and report flake rates and resource growth.
    #[arg(long, value_name = "DURATION")]
    pub soak: Option<String>,
    /// A shell command that serves the server under test at URL; chaos starts, stops (SIGTERM)
    /// and restarts it for the lifecycle scenarios.
    #[arg(long, value_name = "CMD")]
    pub sut_cmd: Option<String>,
    /// `[server]` of gauntlet.toml: the command's environment and deadlines.
    #[arg(skip)]
    pub server: crate::config::ServerConfig,
    /// Run the scenarios in another order: `catalogue`, `reverse`, `shuffle:SEED`, or `shuffle`
    /// (a fresh seed, printed). Verdicts must not depend on it.
    #[arg(long, value_name = "ORDER", default_value = "catalogue")]
    pub order: String,
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
        if self.only.is_empty() {
            self.only = cfg.chaos.only.clone();
        }
        if self.sut_cmd.is_none() {
            self.sut_cmd = cfg.server.command.clone();
        }
        self.server = cfg.server.clone();
        cfg.chaos
            .common()
            .fill(&mut self.common.reports, &mut self.common.gate);
        Ok(())
    }
}

/// Parses `--order`; a bare `shuffle` takes its seed from the clock.
fn parse_order(s: &str) -> Result<Order, String> {
    if s == "shuffle" {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        return Ok(Order::Shuffle(seed));
    }
    s.parse()
}

/// Runs the subcommand; returns the process exit code.
pub async fn run(mut args: Args) -> u8 {
    if let Err(msg) = args.configure() {
        eprintln!("gauntlet: {msg}");
        return EXIT_USAGE;
    }
    let (timeout_scale, gate) = match args.common.prepare("chaos", &args.only) {
        Ok(ready) => ready,
        Err(msg) => {
            eprintln!("gauntlet: {msg}");
            return EXIT_USAGE;
        }
    };
    let soak = match args.soak.as_deref().map(|s| super::parse_duration(s).ok()) {
        Some(None) => {
            eprintln!("gauntlet: --soak takes a duration such as 60s or 5m");
            return EXIT_USAGE;
        }
        Some(Some(d)) => Some(d),
        None => None,
    };
    if gauntlet_chaos::runner::select(&args.only).is_empty() {
        let flags: Vec<String> = args.only.iter().map(|g| format!("--only {g}")).collect();
        eprintln!(
            "gauntlet: {} selects no chaos scenario: `gauntlet list` lists them",
            flags.join(" ")
        );
        return EXIT_USAGE;
    }
    let order = match parse_order(&args.order) {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("gauntlet: --order: {msg}");
            return EXIT_USAGE;
        }
    };
    if order != Order::Catalogue {
        // The seed goes to stderr so a shuffled run can be repeated exactly.
        eprintln!("gauntlet: chaos order {order}");
    }
    let (lifecycle, settings): (Option<Arc<dyn Lifecycle>>, Settings) =
        match (&args.url, &args.sut_cmd) {
            (None, Some(_)) => {
                eprintln!("gauntlet: --sut-cmd needs the URL at which the command serves");
                return EXIT_USAGE;
            }
            (None, None) => (
                Some(Arc::new(EmbeddedReference::new())),
                Settings {
                    cycles: 1000,
                    in_process: true,
                },
            ),
            (Some(url), Some(cmd)) => (
                Some(Arc::new(
                    ExternalCommand::new(cmd.clone(), url.clone(), timeout_scale).configured(
                        args.server.env.clone().into_iter().collect(),
                        args.server.ready_timeout,
                        args.server.stop_timeout,
                        timeout_scale,
                    ),
                )),
                Settings {
                    cycles: 1000,
                    in_process: false,
                },
            ),
            (Some(_), None) => (None, Settings::default()),
        };
    let url = match (&lifecycle, &args.url) {
        (Some(lc), _) => {
            let started = tokio::select! {
                r = lc.start() => Some(r),
                () = ui::interrupted() => None,
            };
            match started {
                Some(Ok(url)) => url,
                Some(Err(e)) => {
                    eprintln!("gauntlet: cannot start the server under test: {e}");
                    return EXIT_USAGE;
                }
                None => {
                    // A command half started is killed when its start is dropped.
                    let _ = lc.stop().await;
                    eprintln!("gauntlet: interrupted before the run started");
                    return EXIT_INTERRUPTED;
                }
            }
        }
        (None, Some(url)) => url.clone(),
        (None, None) => return EXIT_USAGE,
    };
    let options = RunOptions {
        only: args.only.clone(),
        soak,
        timeout_scale,
        order,
        settings,
    };
    // With `--json -` stdout carries only the JSON report; the human report goes to stderr.
    let stream = if args.common.reports.json_to_stdout() {
        Stream::Stderr
    } else {
        Stream::Stdout
    };
    let say = |text: &str| match stream {
        Stream::Stderr => eprint!("{text}"),
        Stream::Stdout => super::emit(text),
    };
    let style = Style {
        slowest_after: Duration::from_secs_f64(args.common.slowest_after),
        color: ui::color(args.common.color, stream),
        ..Style::default()
    };
    // The bar counts scenarios, or a soak's seconds (its results come at the end).
    let planned = gauntlet_chaos::runner::select(&args.only).len();
    let bar = ui::bar(soak.map_or(planned as u64, |d| d.as_secs().max(1)));
    let ticker = soak.map(|d| {
        let bar = bar.clone();
        tokio::spawn(async move {
            let t0 = tokio::time::Instant::now();
            let mut every = tokio::time::interval(Duration::from_secs(1));
            while t0.elapsed() < d {
                every.tick().await;
                bar.set_position(t0.elapsed().as_secs().min(d.as_secs()));
            }
        })
    });
    let started = (std::time::SystemTime::now(), std::time::Instant::now());
    let inner: Box<dyn Reporter> = match stream {
        Stream::Stderr => Box::new(HumanReporter::stderr().with_style(style)),
        Stream::Stdout => Box::new(HumanReporter::stdout().with_style(style)),
    };
    let mut live = ChaosLive {
        inner,
        bar: bar.clone(),
        soak: soak.is_some(),
        done: Vec::new(),
    };
    let outcome = tokio::select! {
        r = gauntlet_chaos::run(&url, lifecycle.clone(), &options, &mut live) => Some(r),
        () = ui::interrupted() => None,
    };
    bar.finish_and_clear();
    if outcome.is_some() {
        ui::exit_on_ctrl_c();
    }
    if let Some(t) = ticker {
        t.abort();
    }
    // The server under test is stopped however the run ended.
    if let Some(lc) = &lifecycle {
        if let Err(e) = lc.stop().await {
            eprintln!("gauntlet: stopping the server under test: {e}");
        }
    }
    let Some(outcome) = outcome else {
        let report = gauntlet_conformance::report::RunReport {
            target: url.clone(),
            card: None,
            suite_version: env!("CARGO_PKG_VERSION").to_owned(),
            started_at: gauntlet_conformance::runner::rfc3339(started.0),
            duration: started.1.elapsed(),
            results: live.done,
        };
        let planned = if soak.is_some() {
            report.results.len()
        } else {
            planned
        };
        say(&human::render_interrupted(&report, style, planned));
        if let Err(msg) = ui::write_interrupted(&args.common.reports, &report, None, planned) {
            eprintln!("gauntlet: {msg}");
        }
        ui::say_interrupted(&args.common.reports);
        return EXIT_INTERRUPTED;
    };
    let report = match outcome {
        Ok(r) => r,
        Err(e) => {
            eprintln!("gauntlet: {}", readable(&e));
            return EXIT_USAGE;
        }
    };
    let judgement = gate.judge(&report);
    say(&human::render_judged(&report, style, &judgement));
    if let Err(msg) = args
        .common
        .reports
        .write(&report, None)
        .and_then(|()| args.common.gate.write_expect(&gate, &report, "chaos"))
    {
        eprintln!("gauntlet: {msg}");
        return EXIT_USAGE;
    }
    if judgement.passed() {
        EXIT_OK
    } else {
        EXIT_NOT_CONFORMANT
    }
}

/// The chaos run on the terminal: each result through the human reporter (the same one as
/// check's) without tearing the progress bar, kept for a Ctrl-C report. The final report is
/// rendered after the server under test has stopped, so it is not forwarded here.
struct ChaosLive {
    inner: Box<dyn Reporter>,
    bar: indicatif::ProgressBar,
    /// The bar counts a soak's seconds, not its results.
    soak: bool,
    done: Vec<gauntlet_conformance::report::CaseResult>,
}

impl Reporter for ChaosLive {
    fn on_event(&mut self, event: &RunEvent<'_>) {
        if let RunEvent::CaseFinished { result, .. } = event {
            self.bar.suspend(|| self.inner.on_event(event));
            self.bar.set_message(result.name());
            if !self.soak {
                self.bar.inc(1);
            }
            self.done.push((*result).clone());
        }
    }
}

/// A chaos error for people: a deadline in seconds, not Rust's debug form of a duration.
fn readable(e: &ChaosError) -> String {
    match e {
        ChaosError::Timeout { what, after } => {
            format!("{what}: no answer within {}", human::seconds(*after))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        use super::super::parse_duration;
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1m 30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("-1").is_err());
    }

    #[test]
    fn orders_parse_and_a_bare_shuffle_gets_a_seed() {
        assert_eq!(parse_order("reverse"), Ok(Order::Reverse));
        assert_eq!(parse_order("shuffle:9"), Ok(Order::Shuffle(9)));
        assert!(matches!(parse_order("shuffle"), Ok(Order::Shuffle(_))));
        assert!(parse_order("sideways").is_err());
    }
}
