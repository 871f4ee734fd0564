//! One module per subcommand; each owns its `Args` and its `run`, returning an exit code. The
//! flags `check`, `chaos` and `report merge` share live here: the report files
//! ([`ReportFiles`], checked before a run) and the exit policy ([`GateArgs`]).

pub mod chaos;
pub mod check;
pub mod config;
pub mod list;
pub mod load;
pub mod report;
pub mod serve;
pub mod ui;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use gauntlet_conformance::case::Level;
use gauntlet_conformance::report::expectations::{self, Expectations};
use gauntlet_conformance::report::gate::{Expect, Gate};
use gauntlet_conformance::report::{self as reports, RunReport};
use gauntlet_conformance::runner::Shard;

/// A requirement level on the command line and in gauntlet.toml (must ⊂ should ⊂ may).
#[derive(
    clap::ValueEnum, serde::Deserialize, schemars::JsonSchema, Clone, Copy, Debug, PartialEq, Eq,
)]
#[serde(rename_all = "lowercase")]
pub enum LevelArg {
    /// MUST rows only.
    Must,
    /// MUST and SHOULD rows.
    Should,
    /// Everything, MAY and SDK rows included.
    May,
}

impl LevelArg {
    /// The conformance level.
    pub fn level(self) -> Level {
        match self {
            LevelArg::Must => Level::Must,
            LevelArg::Should => Level::Should,
            LevelArg::May => Level::May,
        }
    }
}

/// The report files `check`, `chaos` and `report merge` can write besides the terminal summary.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct ReportFiles {
    /// Write the JSON report (schema in conformance/REPORT.md); `-`: to stdout, which then
    /// carries only the JSON (the human report goes to stderr).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a self-contained HTML report.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// Whether `path` is `-`, stdout.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// "Permission denied (os error 13)" → "permission denied".
fn plain(e: &std::io::Error) -> String {
    let text = e.to_string();
    let r = text.split(" (os error").next().unwrap_or(&text);
    let mut chars = r.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => r.to_owned(),
    }
}

/// Finds, before a run, why `flag FILE` could not be written; the error is one sentence. `-`
/// (stdout) is accepted where `stdout_ok`. A file that does not exist yet is created and
/// removed again to prove that it can be.
pub fn check_writable(flag: &str, path: &Path, stdout_ok: bool) -> Result<(), String> {
    if is_stdout(path) {
        return if stdout_ok {
            Ok(())
        } else {
            Err(format!(
                "{flag} - is not supported: only --json writes to stdout"
            ))
        };
    }
    let cannot = |why: String| format!("cannot write {flag} {}: {why}", path.display());
    if path.is_dir() {
        return Err(cannot("it is a directory".to_owned()));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.exists() {
        return Err(cannot(format!(
            "the directory {} does not exist",
            parent.display()
        )));
    }
    if !parent.is_dir() {
        return Err(cannot(format!("{} is not a directory", parent.display())));
    }
    let probe = if path.exists() {
        std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map(drop)
    } else {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|f| {
                drop(f);
                std::fs::remove_file(path)
            })
    };
    probe.map_err(|e| cannot(plain(&e)))
}

/// Writes `text` to stdout; a closed pipe is not worth a panic (the exit code still tells).
pub fn emit(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

impl ReportFiles {
    /// Whether `--json -` sends the JSON report to stdout.
    pub fn json_to_stdout(&self) -> bool {
        self.json.as_deref().is_some_and(is_stdout)
    }

    /// Checks every requested path before the run (see [`check_writable`]).
    pub fn preflight(&self) -> Result<(), String> {
        for (flag, path, stdout_ok) in [
            ("--json", &self.json, true),
            ("--junit", &self.junit, false),
            ("--html", &self.html, false),
        ] {
            if let Some(p) = path {
                check_writable(flag, p, stdout_ok)?;
            }
        }
        Ok(())
    }

    /// Writes every requested file (the JSON of a `--shard` run says which shard it is); the
    /// error is one sentence.
    pub fn write(&self, report: &RunReport, shard: Option<Shard>) -> Result<(), String> {
        if let Some(p) = &self.json {
            let text = match shard {
                Some(s) => reports::json::render_shard(report, s),
                None => reports::json::render(report),
            };
            write_text(p, text)?;
        }
        self.write_others(report)
    }

    /// Writes `--junit` and `--html`.
    pub fn write_others(&self, report: &RunReport) -> Result<(), String> {
        if let Some(p) = &self.junit {
            let xml = reports::junit::render(report)
                .map_err(|e| format!("cannot render the JUnit report: {e}"))?;
            write_text(p, xml)?;
        }
        if let Some(p) = &self.html {
            write_text(p, reports::html::render(report))?;
        }
        Ok(())
    }
}

/// Writes `text` (plus a final newline) to `path`, or to stdout for `-`.
pub fn write_text(path: &Path, mut text: String) -> Result<(), String> {
    if !text.ends_with('\n') {
        text.push('\n');
    }
    if is_stdout(path) {
        emit(&text);
        return Ok(());
    }
    std::fs::write(path, text)
        .map_err(|e| format!("cannot write {}: {}", path.display(), plain(&e)))
}

/// The flags `check` and `chaos` share: what to write, when to fail, how to scale deadlines,
/// where the settings file is and when to colour.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Report files to write.
    #[command(flatten)]
    pub reports: ReportFiles,
    /// Exit policy.
    #[command(flatten)]
    pub gate: GateArgs,
    /// List the five slowest results after a run longer than this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0, hide = true)]
    pub slowest_after: f64,
    /// Multiply every deadline (slow machines; chaos: on top of its calibration) [default: 1].
    #[arg(long, value_name = "X")]
    pub timeout_scale: Option<f64>,
    /// Read settings from this file instead of ./gauntlet.toml (flags override it).
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Colour verdicts: `auto` on a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ui::ColorChoice::Auto)]
    pub color: ui::ColorChoice,
}

impl RunArgs {
    /// Reads gauntlet.toml (or `--config`) and fills what the flags left unset that every
    /// judging run shares: the target URL and the deadline scale. `None`: no settings file.
    pub fn load_config(
        &mut self,
        url: &mut Option<String>,
    ) -> Result<Option<crate::config::Config>, String> {
        let Some(cfg) = crate::config::load(self.config.as_deref())? else {
            return Ok(None);
        };
        if url.is_none() {
            *url = cfg.target.clone();
        }
        self.timeout_scale = self.timeout_scale.or(cfg.timeout_scale);
        Ok(Some(cfg))
    }

    /// Refuses, in one sentence and before anything starts, what the shared flags and `only`
    /// get wrong; otherwise the deadline scale and the exit gate of `command` (`check`, `chaos`).
    pub fn prepare(&self, command: &str, only: &[String]) -> Result<(f64, Gate), String> {
        let scale = timeout_scale(self.timeout_scale)?;
        if !(self.slowest_after.is_finite() && self.slowest_after >= 0.0) {
            return Err("--slowest-after must be a number of seconds".to_owned());
        }
        gauntlet_conformance::runner::Selection::parse(only)
            .map_err(|msg| format!("--only {msg}"))?;
        self.reports.preflight()?;
        Ok((scale, self.gate.gate(command)?))
    }
}

/// The exit policy of `check`, `chaos` and `report merge`.
#[derive(clap::Args, Debug, Clone)]
pub struct GateArgs {
    /// Which failed levels make the exit code 1: `must` (FAIL, or ERROR/UNTESTED on a MUST
    /// row), `should` (also NON-STRICT, and ERROR/UNTESTED on a SHOULD row), `may` (also
    /// ERROR/UNTESTED on MAY and SDK rows). INFORMATIONAL never fails a run.
    /// [default: must]
    #[arg(long, value_enum, value_name = "LEVEL", conflicts_with = "expect")]
    pub fail_on: Option<LevelArg>,
    /// Compare the deviations with an expectation file (fixtures/expectations/*.json): a
    /// listed deviation is expected; a new one, one that moved to another verdict, or a listed
    /// one that now passes makes the exit code 1.
    #[arg(long, value_name = "FILE")]
    pub expect: Option<PathBuf>,
    /// The section of the expectation file to compare with (default: `check` for check and
    /// merge, `chaos` for chaos).
    #[arg(long, value_name = "NAME")]
    pub expect_section: Option<String>,
    /// Write this run's deviations as a starting expectation file (reasons "TODO: why").
    #[arg(long, value_name = "FILE")]
    pub write_expect: Option<PathBuf>,
}

impl GateArgs {
    /// The section compared and written.
    pub fn section(&self, default: &str) -> String {
        self.expect_section
            .clone()
            .unwrap_or_else(|| default.to_owned())
    }

    /// Reads the expectation file and checks `--write-expect` before the run.
    pub fn gate(&self, default_section: &str) -> Result<Gate, String> {
        // Both can come together from gauntlet.toml and a flag.
        if self.fail_on.is_some() && self.expect.is_some() {
            return Err(
                "--fail-on and --expect cannot be combined (the expectation file decides the exit code); one of them may come from gauntlet.toml".to_owned(),
            );
        }
        if let Some(p) = &self.write_expect {
            check_writable("--write-expect", p, false)?;
        }
        let expect = match &self.expect {
            None => None,
            Some(path) => Some(Expect {
                file: Expectations::load(path)?,
                path: path.clone(),
                section: self.section(default_section),
            }),
        };
        Ok(Gate {
            fail_on: self.fail_on.map_or(Level::Must, LevelArg::level),
            expect,
        })
    }

    /// Writes `--write-expect`, if asked.
    pub fn write_expect(
        &self,
        gate: &Gate,
        report: &RunReport,
        default_section: &str,
    ) -> Result<(), String> {
        let Some(path) = &self.write_expect else {
            return Ok(());
        };
        let file = gate.expect.as_ref().map(|e| &e.file);
        let doc = expectations::skeleton(report, &self.section(default_section), file);
        let text = serde_json::to_string_pretty(&doc)
            .map_err(|e| format!("cannot encode the expectation file: {e}"))?;
        write_text(path, text)
    }
}

/// Parses a duration flag: `500ms`, `10s`, `2m`, `1h 30m` (humantime), or a bare number of
/// seconds (`2`, `0.5`). Zero and negative durations are refused.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let d = match s.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 => Duration::from_secs_f64(secs),
        Ok(_) => return Err(format!("`{s}` is not a positive duration")),
        Err(_) => humantime::parse_duration(s)
            .map_err(|_| format!("`{s}` is not a duration like 500ms, 10s or 2m"))?,
    };
    if d.is_zero() {
        return Err(format!("`{s}` is not a positive duration"));
    }
    Ok(d)
}

/// `--timeout-scale` (or `timeout_scale` in gauntlet.toml), 1 when unset: a positive number.
pub fn timeout_scale(flag: Option<f64>) -> Result<f64, String> {
    let scale = flag.unwrap_or(1.0);
    if scale.is_finite() && scale > 0.0 {
        Ok(scale)
    } else {
        Err(format!(
            "--timeout-scale must be a positive number, not {scale}"
        ))
    }
}

#[cfg(test)]
mod flag_tests {
    use super::*;

    #[test]
    fn a_timeout_scale_is_a_positive_finite_number_and_one_when_unset() {
        assert_eq!(timeout_scale(None), Ok(1.0));
        assert_eq!(timeout_scale(Some(2.5)), Ok(2.5));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let msg = timeout_scale(Some(bad)).unwrap_err();
            assert!(
                msg.starts_with("--timeout-scale must be a positive number"),
                "{msg}"
            );
        }
    }

    #[test]
    fn durations_take_units_or_bare_seconds() {
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration(" 0.5 "), Ok(Duration::from_millis(500)));
        assert!(parse_duration("0").is_err() && parse_duration("later").is_err());
    }
}
