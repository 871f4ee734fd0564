//! What a person at a terminal sees while a run is under way, and Ctrl-C: whether to colour
//! (`--color`, `NO_COLOR`: decided here and only here), the progress bar (on stderr, drawn only
//! when stderr is a terminal, so logs and tests never get it), and an interrupted run (the
//! results so far, the report files marked `"interrupted": true`, exit code 130).

use std::io::IsTerminal;
use std::time::{Duration, Instant, SystemTime};

use gauntlet_conformance::context::Target;
use gauntlet_conformance::report::events::{Reporter, RunEvent};
use gauntlet_conformance::report::Shard;
use gauntlet_conformance::report::{CaseResult, RunReport};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

/// `--color`: when to colour verdicts.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour when the output is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    /// Always colour (even into a pipe, even with `NO_COLOR`).
    Always,
    /// Never colour.
    Never,
}

/// Where the human report goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error (stdout carries `--json -`).
    Stderr,
}

impl Stream {
    fn is_terminal(self) -> bool {
        match self {
            Stream::Stdout => std::io::stdout().is_terminal(),
            Stream::Stderr => std::io::stderr().is_terminal(),
        }
    }
}

/// Whether to colour what is written to `stream`: the one decision. `auto` colours a terminal
/// unless `NO_COLOR` is set to something (https://no-color.org); a flag beats the variable.
pub fn color(choice: ColorChoice, stream: Stream) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && stream.is_terminal()
        }
    }
}

/// Redraw interval of the bar, so elapsed time and ETA move while a slow case runs.
const TICK: Duration = Duration::from_millis(200);

/// A progress bar on stderr (hidden when stderr is not a terminal): done/planned, elapsed,
/// ETA and the last result's name.
pub fn bar(planned: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(planned), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "[{bar:30}] {pos}/{len}  {elapsed} elapsed, ETA {eta}  {wide_msg}",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    if !bar.is_hidden() {
        bar.enable_steady_tick(TICK);
    }
    bar
}

/// Shows the progress of a `check` run around `inner` (the human reporter), and keeps what
/// Ctrl-C needs: the target, when the run started, how many runs are planned and the results
/// reported so far.
pub struct Live<R> {
    inner: R,
    bar: Option<ProgressBar>,
    target: Option<Target>,
    started: Option<(SystemTime, Instant)>,
    planned: usize,
    results: Vec<CaseResult>,
}

impl<R: Reporter> Live<R> {
    /// Wraps `inner`; the bar appears when the run starts.
    pub fn new(inner: R) -> Self {
        Live {
            inner,
            bar: None,
            target: None,
            started: None,
            planned: 0,
            results: Vec::new(),
        }
    }

    /// Clears the bar (before the final report of an interrupted run).
    pub fn clear(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }

    /// The report of what finished before an interruption, and the planned count; `None` when
    /// the run had not started (still discovering the target).
    pub fn partial(&self) -> Option<(RunReport, usize)> {
        let target = self.target.as_ref()?;
        let (wall, t0) = self.started?;
        let report = gauntlet_conformance::runner::report_of(
            target,
            wall,
            t0.elapsed(),
            self.results.clone(),
        );
        Some((report, self.planned))
    }
}

impl<R: Reporter> Reporter for Live<R> {
    fn on_event(&mut self, event: &RunEvent<'_>) {
        match event {
            RunEvent::Started { target, total, at } => {
                self.target = Some((*target).clone());
                self.started = Some((*at, Instant::now()));
                self.planned = *total;
                self.inner.on_event(event);
                self.bar = Some(bar(*total as u64));
            }
            RunEvent::CaseStarted { .. } => self.inner.on_event(event),
            RunEvent::CaseFinished { result, .. } => {
                self.results.push((*result).clone());
                match &self.bar {
                    // Suspended so a result line never tears the bar (same terminal).
                    Some(b) => {
                        b.suspend(|| self.inner.on_event(event));
                        b.set_message(result.name());
                        b.inc(1);
                    }
                    None => self.inner.on_event(event),
                }
            }
            RunEvent::Finished { .. } => {
                self.clear();
                self.inner.on_event(event);
            }
        }
    }
}

/// Resolves on the first Ctrl-C (SIGINT); a second one exits at once with 130. Never resolves
/// when the signal cannot be watched.
pub async fn interrupted() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
    exit_on_ctrl_c();
}

/// From now on Ctrl-C exits at once with 130. Once watched, SIGINT no longer kills the process
/// by itself, so this is set up when a run is over (or was interrupted): a wrap-up that hangs
/// can still be stopped.
pub fn exit_on_ctrl_c() {
    tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            std::process::exit(i32::from(crate::EXIT_INTERRUPTED));
        }
    });
}

/// The top-level key that marks the JSON report of an interrupted run.
const INTERRUPTED: &str = "interrupted";
/// Beside it: how many runs were planned.
const PLANNED: &str = "planned";

/// The JSON report text of an interrupted run: the usual report with a top-level
/// `"interrupted": true` and the number of runs that were `planned`.
pub fn mark_interrupted(json: &str, planned: usize) -> String {
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(mut map)) => {
            map.insert(INTERRUPTED.to_owned(), Value::Bool(true));
            map.insert(PLANNED.to_owned(), Value::from(planned));
            serde_json::to_string_pretty(&Value::Object(map)).unwrap_or_default()
        }
        _ => json.to_owned(),
    }
}

/// Why the JSON report `doc` (read from `name`) cannot stand for a whole run: it is the report
/// of an interrupted one. `None` for a complete report.
pub fn refuse_interrupted(name: &str, doc: &Value) -> Option<String> {
    if doc.get(INTERRUPTED) != Some(&Value::Bool(true)) {
        return None;
    }
    let done = doc
        .get("results")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let planned = doc
        .get(PLANNED)
        .and_then(Value::as_u64)
        .map_or_else(|| "?".to_owned(), |n| n.to_string());
    Some(format!(
        "{name} is the report of an interrupted run ({done} of {planned} runs): run it again"
    ))
}

/// Writes the report files of an interrupted run (`--json` marked, see [`mark_interrupted`]).
pub fn write_interrupted(
    files: &super::ReportFiles,
    report: &RunReport,
    shard: Option<Shard>,
    planned: usize,
) -> Result<(), String> {
    use gauntlet_conformance::report::json;
    if let Some(p) = &files.json {
        let text = match shard {
            Some(s) => json::render_shard(report, s),
            None => json::render(report),
        };
        super::write_text(p, mark_interrupted(&text, planned))?;
    }
    files.write_others(report)
}

/// Says on stderr that the run was stopped, naming what was written.
pub fn say_interrupted(files: &super::ReportFiles) {
    let written: Vec<String> = [&files.json, &files.junit, &files.html]
        .into_iter()
        .flatten()
        .filter(|p| !super::is_stdout(p))
        .map(|p| p.display().to_string())
        .collect();
    if written.is_empty() {
        eprintln!("gauntlet: interrupted");
    } else {
        eprintln!(
            "gauntlet: interrupted; the results so far are in {}",
            written.join(", ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupted_report_says_so_at_the_top_level() {
        let text = mark_interrupted(r#"{"target":"x","results":[]}"#, 7);
        let v: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["interrupted"], true);
        assert_eq!(v["planned"], 7);
        assert_eq!(v["target"], "x");
    }

    #[test]
    fn flags_decide_colour_whatever_the_stream() {
        assert!(color(ColorChoice::Always, Stream::Stdout));
        assert!(!color(ColorChoice::Never, Stream::Stderr));
    }
}
