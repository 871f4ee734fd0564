//! The HTML report (`--html FILE`): one self-contained page (inline CSS, no scripts, no external
//! resources) with the verdict, a case × binding matrix, the rows not judged with their reasons,
//! and each failure's evidence. Every piece of server-controlled text is escaped.

use std::fmt::Write as _;

use crate::case::{Binding, Verdict};
use crate::report::{not_judged, CaseResult, RunReport};

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn class(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::NonStrict => "warn",
        Verdict::Informational => "info",
        Verdict::NotApplicable => "na",
        Verdict::Error => "error",
        Verdict::Untested => "untested",
    }
}

fn anchor(r: &CaseResult) -> String {
    r.name()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

const CSS: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}\
.pass{background:#d9f2d9}.fail{background:#f7c6c6}.warn{background:#fbe7b5}\
.info{background:#dde8f7}.na{background:#eee;color:#777}.untested{background:#f3e3d3}.error{background:#e7c6f7}\
pre{background:#f6f6f6;padding:8px;overflow-x:auto;white-space:pre-wrap}\
h2{margin-top:2em}.verdict{font-size:1.3em;font-weight:bold}";

/// The report as one HTML page.
pub fn render(report: &RunReport) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>gauntlet: {}</title><style>{CSS}</style></head><body>\n",
        escape(&report.target)
    );
    let _ = writeln!(
        h,
        "<h1>A2A conformance: {}</h1>\n<p>suite {} · started {} · {:.2} s</p>",
        escape(&report.target),
        escape(&report.suite_version),
        escape(&report.started_at),
        report.duration.as_secs_f64()
    );
    let verdict = if report.conformant() {
        "<p class=\"verdict pass\">CONFORMANT</p>"
    } else {
        "<p class=\"verdict fail\">NOT CONFORMANT</p>"
    };
    let _ = writeln!(h, "{verdict}\n<p>{}</p>", escape(&report.summary_line()));

    // Matrix: one row per case id, one column per binding (plus "any" for binding-free cases).
    let _ = writeln!(
        h,
        "<h2>Verdicts</h2>\n<table><tr><th>case</th><th>level</th><th>any</th>\
         <th>jsonrpc</th><th>rest</th><th>requirement</th></tr>"
    );
    let mut ids: Vec<&str> = Vec::new();
    for r in &report.results {
        if !ids.contains(&r.id.as_str()) {
            ids.push(&r.id);
        }
    }
    for id in ids {
        let rows: Vec<&CaseResult> = report.results.iter().filter(|r| r.id == id).collect();
        let Some(first) = rows.first() else { continue };
        let cell = |b: Option<Binding>| match rows.iter().find(|r| r.binding == b) {
            Some(r) => {
                let link = if matches!(
                    r.verdict,
                    Verdict::Fail | Verdict::NonStrict | Verdict::Error
                ) {
                    format!("<a href=\"#{}\">{}</a>", anchor(r), r.verdict.as_str())
                } else if matches!(r.verdict, Verdict::NotApplicable | Verdict::Untested) {
                    format!("<a href=\"#not-judged\">{}</a>", r.verdict.as_str())
                } else {
                    r.verdict.as_str().to_owned()
                };
                format!(
                    "<td class=\"{}\" title=\"{}\">{link}</td>",
                    class(r.verdict),
                    escape(&r.summary)
                )
            }
            None => "<td></td>".to_owned(),
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td>{}{}{}<td>{}</td></tr>",
            escape(id),
            first.level.as_str(),
            cell(None),
            cell(Some(Binding::JsonRpc)),
            cell(Some(Binding::Rest)),
            escape(&first.requirement)
        );
    }
    let _ = writeln!(h, "</table>");

    let groups = not_judged(report);
    if !groups.is_empty() {
        let _ = writeln!(h, "<h2 id=\"not-judged\">Not judged</h2>\n<ul>");
    }
    for g in &groups {
        let names: Vec<String> = g.rows.iter().map(|r| escape(&r.name())).collect();
        let help = g
            .help
            .map(|x| format!("<br>to judge: {}", escape(x)))
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<li><span class=\"{}\">{}</span> ({} rows, {} MUST): {}{help}<br><small>{}</small></li>",
            class(g.verdict),
            g.verdict.as_str(),
            g.rows.len(),
            g.musts(),
            escape(g.reason),
            names.join(" ")
        );
    }
    if !groups.is_empty() {
        let _ = writeln!(h, "</ul>");
    }

    let failures: Vec<&CaseResult> = report
        .results
        .iter()
        .filter(|r| {
            matches!(
                r.verdict,
                Verdict::Fail | Verdict::NonStrict | Verdict::Error
            )
        })
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(h, "<h2>Evidence</h2>");
    }
    for r in failures {
        let _ = writeln!(
            h,
            "<h3 id=\"{}\" class=\"{}\">{} {} ({} {})</h3>",
            anchor(r),
            class(r.verdict),
            r.verdict.as_str(),
            escape(&r.name()),
            r.level.as_str(),
            escape(&r.spec)
        );
        let _ = writeln!(
            h,
            "<p>{}</p><p>sent: {}</p><p>result: {}</p>",
            escape(&r.requirement),
            escape(&r.title),
            escape(&r.summary)
        );
        if let Some(e) = &r.expected {
            let _ = writeln!(h, "<p>expected: {}</p>", escape(e));
        }
        if let Some(o) = &r.observed {
            let _ = writeln!(h, "<p>observed: {}</p>", escape(o));
        }
        for x in &r.transcript {
            let _ = writeln!(
                h,
                "<pre>{}</pre>\n<pre>$ {}</pre>",
                escape(&x.render()),
                escape(&x.curl())
            );
        }
    }
    h.push_str("</body></html>\n");
    h
}
