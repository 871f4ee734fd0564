//! `gauntlet load`: throughput and latency of SendMessage (closed loop, or open loop at a fixed
//! `--rate`), and streaming events/s.
//!
//! The generator itself lives in [`gauntlet_load`]; this module parses flags, starts
//! the embedded reference (no URL) or the bare hyper baseline (`--bare`), and prints the summary
//! table or writes `--json`. While a phase runs, its figures so far are printed to stderr every
//! second; Ctrl-C stops the run (exit code 130) after printing them once more.

use std::path::PathBuf;
use std::time::Duration;

use gauntlet_load::{self as load, BareServer, Binding, LoadConfig};

use super::ui::ColorChoice;

/// Arguments of `gauntlet load`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Base URL of the server (`http://host:port[/path]`). Without it the embedded reference
    /// server is started on 127.0.0.1 and shut down afterwards.
    pub url: Option<String>,
    /// Binding to load: `jsonrpc` or `rest`.
    #[arg(long, default_value = "jsonrpc", value_parser = parse_binding)]
    pub binding: Binding,
    /// Closed-loop workers for SendMessage, one keep-alive connection each; with `--rate`, the
    /// connections the open loop's timetable is spread over.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,
    /// Open loop: send N SendMessage requests per second across all connections on a fixed
    /// timetable, whatever the answers, and measure latency from each intended send time
    /// (reports the achieved rate and missed and late sends; N above 0, at most 1000000).
    /// Without it the loop is closed and also reports latencies corrected for coordinated
    /// omission.
    #[arg(long, value_name = "N", value_parser = parse_rate, allow_negative_numbers = true)]
    pub rate: Option<f64>,
    /// Length of each phase (`500ms`, `10s`, `2m`).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Concurrent `stream N 0` streams for the streaming phase (0 skips it; it also needs the
    /// `gauntlet-test-agent` skill in the card).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(0..=4096))]
    pub streams: u32,
    /// Artifact chunks per stream.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub events: u32,
    /// Deadline for connecting and for each request (a whole stream gets 12× this, at least 60 s).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Also write the results as JSON to this file (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Load the in-process bare hyper server (canned answers) to show the generator's ceiling.
    #[arg(long, conflicts_with = "url")]
    pub bare: bool,
    /// Colour the running figures: `auto` on a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// How often the running figures of a phase are printed.
const EVERY: Duration = Duration::from_secs(1);

/// Runs the load against `url`, printing the figures so far every [`EVERY`]; `None` on Ctrl-C.
async fn measure(
    url: &str,
    config: &LoadConfig,
    color: bool,
) -> Option<Result<load::LoadReport, load::WireError>> {
    let live = config.live.clone();
    let say = move || {
        if let Some(f) = live.figures() {
            let line = f.line();
            if color && f.errors > 0 {
                let red = anstyle::AnsiColor::Red.on_default().bold();
                eprintln!("gauntlet load: {red}{line}{red:#}");
            } else {
                eprintln!("gauntlet load: {line}");
            }
        }
    };
    let ticker = {
        let say = say.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval_at(tokio::time::Instant::now() + EVERY, EVERY);
            loop {
                every.tick().await;
                say();
            }
        })
    };
    let outcome = tokio::select! {
        r = load::run(url, config) => Some(r),
        () = super::ui::interrupted() => None,
    };
    ticker.abort();
    match outcome {
        Some(_) => super::ui::exit_on_ctrl_c(),
        None => say(),
    }
    outcome
}

/// Runs the subcommand; returns the process exit code.
pub async fn run(args: Args) -> u8 {
    if let Some(path) = &args.json {
        if let Err(msg) = super::check_writable("--json", path, true) {
            eprintln!("gauntlet load: {msg}.");
            return crate::EXIT_USAGE;
        }
    }
    let config = LoadConfig {
        binding: args.binding,
        concurrency: args.concurrency as usize,
        rate: args.rate,
        duration: args.duration,
        streams: args.streams as usize,
        events: args.events,
        request_timeout: args.timeout,
        stream_timeout: (args.timeout * 12).max(Duration::from_secs(60)),
        live: load::Live::default(),
    };
    let color = super::ui::color(args.color, super::ui::Stream::Stderr);
    let local: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let result = if args.bare {
        let server = match BareServer::bind(local).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("gauntlet load: cannot start the bare hyper server: {e}.");
                return crate::EXIT_USAGE;
            }
        };
        let r = measure(&server.base_url(), &config, color).await;
        server.shutdown().await;
        r.map(|r| {
            r.map(|mut r| {
                r.target = format!("bare hyper baseline at {}", r.target);
                r
            })
        })
    } else if let Some(url) = &args.url {
        measure(url, &config, color).await
    } else {
        let server = match gauntlet_reference::Server::builder().bind(local).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("gauntlet load: cannot start the embedded reference server: {e}.");
                return crate::EXIT_USAGE;
            }
        };
        let r = measure(&server.base_url(), &config, color).await;
        server.shutdown().await;
        r.map(|r| {
            r.map(|mut r| {
                r.target = format!("embedded reference at {}", r.target);
                r
            })
        })
    };
    let Some(result) = result else {
        eprintln!("gauntlet load: interrupted");
        return crate::EXIT_INTERRUPTED;
    };
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            let what = args.url.as_deref().unwrap_or("the in-process server");
            eprintln!("gauntlet load: {what} is not usable: {e}.");
            return crate::EXIT_USAGE;
        }
    };
    // With `--json -` stdout carries only the JSON; the table goes to stderr.
    if args.json.as_deref().is_some_and(super::is_stdout) {
        eprint!("{}", report.table());
    } else {
        super::emit(&report.table());
    }
    if let Some(path) = &args.json {
        let text = match serde_json::to_string_pretty(&report.to_json()) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("gauntlet load: cannot encode the JSON report: {e}.");
                return crate::EXIT_USAGE;
            }
        };
        if let Err(msg) = super::write_text(path, text) {
            eprintln!("gauntlet load: {msg}.");
            return crate::EXIT_USAGE;
        }
    }
    if report.send.ok == 0 {
        crate::EXIT_NOT_CONFORMANT
    } else {
        crate::EXIT_OK
    }
}

fn parse_binding(s: &str) -> Result<Binding, String> {
    match s.to_ascii_lowercase().as_str() {
        "jsonrpc" | "json-rpc" => Ok(Binding::JsonRpc),
        "rest" | "http+json" => Ok(Binding::Rest),
        _ => Err(format!("`{s}` is not a binding; use jsonrpc or rest")),
    }
}

/// A `--rate` flag: requests per second, above 0 and at most [`load::MAX_RATE`].
fn parse_rate(s: &str) -> Result<f64, String> {
    let rate: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{}` is not a number of requests per second", s.trim()))?;
    if !(rate > 0.0 && rate <= load::MAX_RATE) {
        return Err(format!(
            "`{}` is out of range (above 0, at most {})",
            s.trim(),
            load::MAX_RATE
        ));
    }
    Ok(rate)
}

/// A `--duration`/`--warmup` flag ([`super::parse_duration`]), between 1 ms and 1 hour.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = super::parse_duration(s)?;
    if !(Duration::from_millis(1)..=Duration::from_secs(3600)).contains(&d) {
        return Err(format!("`{}` is out of range (1ms to 1h)", s.trim()));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("10h").is_err());
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn rates_are_positive_numbers() {
        assert_eq!(parse_rate("1000"), Ok(1000.0));
        assert_eq!(parse_rate("2.5"), Ok(2.5));
        for bad in ["0", "-5", "fast", "NaN", "inf", "2000000"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bindings_parse_by_short_name() {
        assert_eq!(parse_binding("rest"), Ok(Binding::Rest));
        assert_eq!(parse_binding("JSONRPC"), Ok(Binding::JsonRpc));
        assert!(parse_binding("grpc").is_err());
    }
}
