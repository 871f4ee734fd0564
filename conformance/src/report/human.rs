//! The terminal report. While running: one line per result, in catalogue order (the CLI draws
//! its progress bar on stderr around them). At the end: every FAIL, NON-STRICT and ERROR with
//! what was expected, what was seen, the exchange (truncated) and a curl command to reproduce
//! it; every row not judged (UNTESTED, then NOT-APPLICABLE), grouped by reason, with what
//! would make it judgeable; after a run longer than [`Style::slowest_after`], its five slowest
//! results; a per-area summary; the verdict; what decided the exit code when `--fail-on` or
//! `--expect` is in force ([`crate::report::gate`]); and, always last,
//! `gauntlet: N passed, N failed, N skipped` where passed = PASS + NON-STRICT + INFORMATIONAL,
//! failed = FAIL + ERROR and skipped = NOT-APPLICABLE + UNTESTED. An interrupted run
//! ([`render_interrupted`]) has no verdict: its verdict line says how far it got.
//!
//! With [`Style::color`], verdict words and the verdict line are coloured by [`paint`] (ANSI
//! escapes); whether to colour is the caller's decision (the CLI's `--color`, `NO_COLOR`).

use std::fmt::Write as _;
use std::io::Write;
use std::time::Duration;

use anstyle::AnsiColor;

use crate::case::{Level, Verdict};
use crate::probe::transcript::truncate;
use crate::report::events::{Reporter, RunEvent};
use crate::report::gate::{Gate, Judgement};
use crate::report::{not_judged, CaseResult, RunReport};

/// Exchanges shown per failure; the JSON report has them all.
const SHOWN_EXCHANGES: usize = 4;
/// Body text shown per exchange.
const SHOWN_BODY: usize = 1024;

/// Results listed as the slowest after a long run.
const SLOWEST_SHOWN: usize = 5;

/// How to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Print durations (off for snapshots).
    pub times: bool,
    /// Print the evidence (transcripts and curl) under each failure.
    pub evidence: bool,
    /// List the five slowest results when the run took longer than this (with `times`).
    pub slowest_after: Duration,
    /// Colour verdict words and the verdict line with ANSI escapes.
    pub color: bool,
}

impl Default for Style {
    fn default() -> Self {
        Self {
            times: true,
            evidence: true,
            slowest_after: Duration::from_secs(5),
            color: false,
        }
    }
}

/// A duration for people: `1.27 s`, `0.04 s` (the wire's format, so errors read alike).
pub use gauntlet_wire::seconds;

/// The colour of a verdict word.
fn verdict_style(v: Verdict) -> anstyle::Style {
    match v {
        Verdict::Pass => AnsiColor::Green.on_default(),
        Verdict::Fail => AnsiColor::Red.on_default().bold(),
        Verdict::Error => AnsiColor::Magenta.on_default().bold(),
        Verdict::NonStrict | Verdict::Untested => AnsiColor::Yellow.on_default(),
        Verdict::Informational => AnsiColor::Cyan.on_default(),
        Verdict::NotApplicable => anstyle::Style::new().dimmed(),
    }
}

/// `text` in `style` when `color`, else unchanged: the one place escapes are written.
fn styled(text: &str, style: anstyle::Style, color: bool) -> String {
    if color {
        format!("{style}{text}{style:#}")
    } else {
        text.to_owned()
    }
}

/// A verdict word, coloured when `color`, padded (outside the escapes) to `width` columns.
pub fn paint(v: Verdict, width: usize, color: bool) -> String {
    let word = v.as_str();
    let pad = " ".repeat(width.saturating_sub(word.len()));
    format!("{}{pad}", styled(word, verdict_style(v), color))
}

/// A [`Reporter`] writing the human report to `out`.
pub struct HumanReporter<W: Write + Send> {
    out: W,
    style: Style,
    gate: Gate,
}

impl HumanReporter<std::io::Stdout> {
    /// Writes to stdout.
    pub fn stdout() -> Self {
        Self::new(std::io::stdout())
    }
}

impl HumanReporter<std::io::Stderr> {
    /// Writes to stderr (when stdout carries JSON).
    pub fn stderr() -> Self {
        Self::new(std::io::stderr())
    }
}

impl<W: Write + Send> HumanReporter<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> Self {
        Self {
            out,
            style: Style::default(),
            gate: Gate::default(),
        }
    }

    /// Changes the rendering style.
    pub fn with_style(mut self, style: Style) -> Self {
        self.style = style;
        self
    }

    /// Shows what decides the exit code under `gate` (`--fail-on`, `--expect`).
    pub fn with_gate(mut self, gate: Gate) -> Self {
        self.gate = gate;
        self
    }

    /// The writer back (tests).
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write + Send> Reporter for HumanReporter<W> {
    fn on_event(&mut self, event: &RunEvent<'_>) {
        // Output errors (a closed pipe) must not abort a run; the exit code still tells.
        match event {
            RunEvent::CaseStarted { .. } => {}
            RunEvent::Started { target, total, .. } => {
                let _ = writeln!(
                    self.out,
                    "gauntlet check {}: {} runs planned",
                    target.base_url, total
                );
            }
            RunEvent::CaseFinished { result, .. } => {
                let _ = writeln!(self.out, "{}", result_line(result, self.style));
                let _ = self.out.flush();
            }
            RunEvent::Finished { report, .. } => {
                let judgement = self.gate.judge(report);
                let text = render_judged(report, self.style, &judgement);
                let _ = write!(self.out, "{text}");
                let _ = self.out.flush();
            }
        }
    }
}

/// One line per result: verdict, name, level, summary.
pub fn result_line(r: &CaseResult, style: Style) -> String {
    let mut line = format!(
        "{} {:<20} {:<6} {}",
        paint(r.verdict, 14, style.color),
        r.name(),
        r.level.as_str(),
        r.summary
    );
    if style.times {
        let _ = write!(line, "  ({} ms)", r.duration.as_millis());
    }
    line
}

/// The end-of-run report with times.
pub fn render(report: &RunReport) -> String {
    render_with(report, Style::default())
}

/// The end-of-run report: failures with evidence, per-area summary, verdict, last line.
pub fn render_with(report: &RunReport, style: Style) -> String {
    let gate = Gate::default();
    render_judged(report, style, &gate.judge(report))
}

/// The end-of-run report with what `judgement` decided shown above the last line.
pub fn render_judged(report: &RunReport, style: Style, judgement: &Judgement<'_>) -> String {
    render_body(report, style, Ending::Judged(judgement))
}

/// The report of a run stopped (Ctrl-C) after `report.results` of `planned` runs: the
/// results so far as usual, and instead of a verdict a line saying how far it got.
pub fn render_interrupted(report: &RunReport, style: Style, planned: usize) -> String {
    render_body(report, style, Ending::Interrupted { planned })
}

/// How a report ends: with its verdict, or interrupted without one.
enum Ending<'a, 'b> {
    Judged(&'a Judgement<'b>),
    Interrupted { planned: usize },
}

fn render_body(report: &RunReport, style: Style, ending: Ending<'_, '_>) -> String {
    let mut out = String::new();
    let noteworthy: Vec<&CaseResult> = report
        .results
        .iter()
        .filter(|r| {
            matches!(
                r.verdict,
                Verdict::Fail | Verdict::NonStrict | Verdict::Error
            )
        })
        .collect();
    if !noteworthy.is_empty() {
        let _ = writeln!(out);
    }
    for r in noteworthy {
        let _ = writeln!(
            out,
            "{} {} ({} {}): {}",
            paint(r.verdict, 0, style.color),
            r.name(),
            r.level.as_str(),
            r.spec,
            r.requirement
        );
        let _ = writeln!(out, "  sent:     {}", r.title);
        let _ = writeln!(out, "  result:   {}", r.summary);
        if let Some(e) = &r.expected {
            let _ = writeln!(out, "  expected: {e}");
        }
        if let Some(o) = &r.observed {
            let _ = writeln!(out, "  observed: {}", truncate(o, SHOWN_BODY));
        }
        for d in &r.deviations {
            let _ = writeln!(
                out,
                "  also {}: {}",
                paint(d.verdict, 0, style.color),
                d.summary
            );
            if let Some(e) = &d.expected {
                let _ = writeln!(out, "    expected: {e}");
            }
            if let Some(o) = &d.observed {
                let _ = writeln!(out, "    observed: {}", truncate(o, SHOWN_BODY));
            }
        }
        if style.evidence && !r.transcript.is_empty() {
            let _ = writeln!(out, "  transcript:");
            for x in r.transcript.iter().take(SHOWN_EXCHANGES) {
                let mut shown = x.clone();
                shown.body = truncate(&shown.body, SHOWN_BODY);
                shown.events.truncate(10);
                for line in shown.render_timed(style.times).lines() {
                    let _ = writeln!(out, "    {line}");
                }
                let _ = writeln!(out, "    $ {}", x.curl());
            }
            if r.transcript.len() > SHOWN_EXCHANGES {
                let _ = writeln!(
                    out,
                    "    ({} more exchanges in the JSON report)",
                    r.transcript.len() - SHOWN_EXCHANGES
                );
            }
        }
        let _ = writeln!(out);
    }
    let groups = not_judged(report);
    if !groups.is_empty() {
        let _ = writeln!(out, "Not judged:");
    }
    for g in &groups {
        let rows = g.rows.len();
        let plural = if rows == 1 { "" } else { "s" };
        let musts = if g.verdict == Verdict::Untested {
            format!(", {} MUST", g.musts())
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {} ({rows} row{plural}{musts}): {}",
            g.verdict.as_str(),
            g.reason
        );
        if let Some(help) = g.help {
            let _ = writeln!(out, "    to judge: {help}");
        }
        let mut line = String::from("   ");
        for r in &g.rows {
            let name = r.name();
            if line.len() + name.len() + 1 > 100 {
                let _ = writeln!(out, "{line}");
                line = String::from("   ");
            }
            line.push(' ');
            line.push_str(&name);
        }
        let _ = writeln!(out, "{line}");
    }
    if !groups.is_empty() {
        let _ = writeln!(out);
    }
    if style.times && report.duration > style.slowest_after {
        slowest(&mut out, report);
    }
    let _ = writeln!(out, "Summary by area:");
    let _ = writeln!(
        out,
        "  {:<8} {:>5} {:>5} {:>10} {:>5} {:>5} {:>5} {:>8}",
        "area", "pass", "fail", "non-strict", "info", "n/a", "error", "untested"
    );
    for (area, c) in report.by_area() {
        let _ = writeln!(
            out,
            "  {:<8} {:>5} {:>5} {:>10} {:>5} {:>5} {:>5} {:>8}",
            area,
            c.passed,
            c.failed,
            c.non_strict,
            c.informational,
            c.not_applicable,
            c.errors,
            c.untested
        );
    }
    let c = report.counts();
    let _ = writeln!(out);
    let when = if style.times {
        format!(" in {}", seconds(report.duration))
    } else {
        String::new()
    };
    let judgement = match ending {
        Ending::Judged(j) => j,
        Ending::Interrupted { planned } => {
            let _ = writeln!(
                out,
                "{} {} of {planned} planned runs finished{when}; no verdict.",
                styled(
                    "INTERRUPTED:",
                    AnsiColor::Yellow.on_default().bold(),
                    style.color
                ),
                report.results.len()
            );
            let _ = writeln!(out, "{}", report.summary_line());
            return out;
        }
    };
    if report.conformant() {
        let _ = writeln!(
            out,
            "{} {} passes every applicable MUST{when} ({} SHOULD warnings, {} errors and {} untested on non-MUST rows).",
            styled("CONFORMANT:", AnsiColor::Green.on_default().bold(), style.color),
            report.target, c.non_strict, c.errors, c.untested
        );
    } else {
        let untested_musts = report
            .results
            .iter()
            .filter(|r| r.verdict == Verdict::Untested && r.level == Level::Must)
            .count();
        let _ =
            writeln!(
            out,
            "{} {} has {} MUST failures, {} errors and {untested_musts} untested MUST rows{when}.",
            styled("NOT CONFORMANT:", AnsiColor::Red.on_default().bold(), style.color),
            report.target, c.failed, c.errors
        );
    }
    judged(&mut out, judgement);
    let _ = writeln!(out, "{}", report.summary_line());
    out
}

/// The five slowest results, slowest first.
fn slowest(out: &mut String, report: &RunReport) {
    let mut by_time: Vec<&CaseResult> = report.results.iter().collect();
    by_time.sort_by_key(|r| std::cmp::Reverse(r.duration));
    let _ = writeln!(out, "Slowest (the run took {}):", seconds(report.duration));
    for r in by_time.into_iter().take(SLOWEST_SHOWN) {
        let _ = writeln!(
            out,
            "  {:>9}  {:<20} {}",
            seconds(r.duration),
            r.name(),
            r.verdict.as_str()
        );
    }
    let _ = writeln!(out);
}

/// Reasons and summaries in the expectation block are cut to this many bytes.
const SHOWN_REASON: usize = 160;

/// What decided the exit code, when `--fail-on` or `--expect` is in force.
fn judged(out: &mut String, j: &Judgement<'_>) {
    if let Some((c, e)) = &j.comparison {
        let _ = writeln!(
            out,
            "Expectations ({}, \"{}\"): {} known, {} new, {} moved, {} stale, {} excused, {} not in this run.",
            e.path.display(),
            c.section,
            c.known.len(),
            c.new.len(),
            c.moved.len(),
            c.stale.len(),
            c.excused.len(),
            c.absent.len()
        );
        for r in &c.new {
            let _ = writeln!(
                out,
                "  NEW    {} {}: {}",
                r.name(),
                r.verdict.as_str(),
                truncate(&r.summary, SHOWN_REASON)
            );
        }
        let listed = |e: &crate::report::expectations::Entry| {
            e.verdict
                .clone()
                .unwrap_or_else(|| "a deviation".to_owned())
        };
        for (r, entry) in &c.moved {
            let _ = writeln!(
                out,
                "  MOVED  {}: listed {}, now {}; was: {}",
                r.name(),
                listed(entry),
                r.verdict.as_str(),
                truncate(&entry.reason, SHOWN_REASON)
            );
        }
        for (r, entry) in &c.stale {
            let _ = writeln!(
                out,
                "  STALE  {}: listed {}, now {} (remove the entry); was: {}",
                r.name(),
                listed(entry),
                r.verdict.as_str(),
                truncate(&entry.reason, SHOWN_REASON)
            );
        }
        for (r, entry, why) in &c.excused {
            let _ = writeln!(
                out,
                "  excused {} {} ({why}): {}",
                r.name(),
                r.verdict.as_str(),
                truncate(&entry.reason, SHOWN_REASON)
            );
        }
        for (r, entry) in &c.known {
            let _ = writeln!(
                out,
                "  known  {} {}: {}",
                r.name(),
                r.verdict.as_str(),
                truncate(&entry.reason, SHOWN_REASON)
            );
        }
        if c.changes() == 0 {
            let _ = writeln!(out, "Deviations as expected.");
        } else {
            let _ = writeln!(
                out,
                "The deviations CHANGED ({} new, {} moved, {} stale): update {} if intended.",
                c.new.len(),
                c.moved.len(),
                c.stale.len(),
                e.path.display()
            );
        }
    } else if j.fail_on != Level::Must {
        let level = j.fail_on.as_str();
        if j.failing.is_empty() {
            let _ = writeln!(
                out,
                "--fail-on {}: nothing fails at {level} or above.",
                level.to_ascii_lowercase()
            );
        } else {
            let names: Vec<String> = j
                .failing
                .iter()
                .map(|r| format!("{} {}", r.name(), r.verdict.as_str()))
                .collect();
            let (n, verb) = match j.failing.len() {
                1 => ("1 result".to_owned(), "fails"),
                n => (format!("{n} results"), "fail"),
            };
            let _ = writeln!(
                out,
                "--fail-on {}: {n} {verb} at {level} or above: {}.",
                level.to_ascii_lowercase(),
                names.join(", ")
            );
        }
    }
}
