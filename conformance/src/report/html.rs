//! The HTML report (`--html FILE`): one self-contained page (inline CSS and one small inline
//! script, no external resources) that reads at a glance: the verdict first, then the failures
//! with their evidence, the warnings, the rows not judged with their reasons, a table per area,
//! and the full result list with filters by verdict, area, level and binding. Every case and
//! binding has a stable anchor (`#JRPC-005-jsonrpc`), transcripts are collapsible and every curl
//! reproducer has a copy button. Every piece of server-controlled text is escaped; the script
//! is a constant of this file and never contains report data.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::case::Verdict;
use crate::report::{area_of, not_judged, CaseResult, Counts, RunReport};

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

/// The CSS class of a verdict (also the value of the verdict filter).
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

/// Every verdict, in the order the page lists them (worst first).
const VERDICTS: [Verdict; 7] = [
    Verdict::Fail,
    Verdict::Error,
    Verdict::Untested,
    Verdict::NonStrict,
    Verdict::Informational,
    Verdict::NotApplicable,
    Verdict::Pass,
];

/// The stable anchor of a result row: `JRPC-005-jsonrpc`, `CARD-001`.
pub fn anchor(r: &CaseResult) -> String {
    match r.binding {
        Some(b) => format!("{}-{}", r.id, b.short()),
        None => r.id.clone(),
    }
}

/// The anchor of a result's evidence.
fn evidence_anchor(r: &CaseResult) -> String {
    format!("ev-{}", anchor(r))
}

const CSS: &str = "\
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#222}\
header.banner{padding:1em 1.5em;border-radius:6px;margin-bottom:1em}\
header.banner h1{margin:0;font-size:2em}header.banner p{margin:.3em 0}\
nav a{margin-right:1.2em}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}\
th{background:#f3f3f3}td.num{text-align:right}\
.pass{background:#d9f2d9}.fail{background:#f7c6c6}.warn{background:#fbe7b5}\
.info{background:#dde8f7}.na{background:#eee;color:#555}.untested{background:#f3e3d3}.error{background:#e7c6f7}\
article{border:1px solid #ddd;border-left-width:6px;border-radius:4px;padding:.2em 1em .6em;margin:1em 0}\
article.fail{border-left-color:#c33;background:#fff}article.error{border-left-color:#93c;background:#fff}\
article.warn{border-left-color:#d90;background:#fff}article.untested{border-left-color:#b73;background:#fff}\
article h3{margin:.5em 0}dl{margin:.3em 0}dt{font-weight:600;float:left;width:7em;clear:left}dd{margin:0 0 .2em 7.5em}\
pre{background:#f6f6f6;padding:8px;overflow-x:auto;white-space:pre-wrap;word-break:break-all;margin:.3em 0}\
.curl{position:relative}.curl button{position:absolute;right:4px;top:4px}\
.badge{display:inline-block;padding:0 .5em;border-radius:3px;font-weight:600;font-size:.9em}\
.filters label{margin-right:1em}#shown{font-weight:600}\
h2{margin-top:1.8em;border-bottom:1px solid #ddd}";

/// Filters the result list and wires the copy buttons. Report data never enters it.
const SCRIPT: &str = "\
(function(){\
var sel=['verdict','area','level','binding'].map(function(k){return document.getElementById('f-'+k);});\
var rows=Array.prototype.slice.call(document.querySelectorAll('#matrix tbody tr'));\
function apply(){var n=0;rows.forEach(function(r){\
var ok=sel.every(function(s){return !s.value||r.getAttribute('data-'+s.id.slice(2))===s.value;});\
r.hidden=!ok;if(ok)n++;});document.getElementById('shown').textContent=n+' of '+rows.length;}\
sel.forEach(function(s){s.addEventListener('change',apply);});apply();\
document.querySelectorAll('button.copy').forEach(function(b){b.addEventListener('click',function(){\
var t=b.parentNode.querySelector('pre').textContent.replace(/^\\$ /,'');\
function done(){b.textContent='copied';}\
if(navigator.clipboard&&window.isSecureContext){navigator.clipboard.writeText(t).then(done);}\
else{var a=document.createElement('textarea');a.value=t;document.body.appendChild(a);a.select();\
try{document.execCommand('copy');done();}catch(e){}document.body.removeChild(a);}});});\
})();";

/// The report as one HTML page.
pub fn render(report: &RunReport) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>gauntlet: {}</title><style>{CSS}</style></head><body>\n",
        escape(&report.target)
    );
    banner(&mut h, report);

    let of = |vs: &[Verdict]| -> Vec<&CaseResult> {
        report
            .results
            .iter()
            .filter(|r| vs.contains(&r.verdict))
            .collect()
    };
    let failures = of(&[Verdict::Fail, Verdict::Error]);
    let warnings = of(&[Verdict::NonStrict]);
    let groups = not_judged(report);
    let _ = writeln!(
        h,
        "<nav><a href=\"#failures\">Failures ({})</a><a href=\"#warnings\">Warnings ({})</a>\
         <a href=\"#not-judged\">Not judged ({})</a><a href=\"#areas\">By area</a>\
         <a href=\"#results\">All results ({})</a></nav>",
        failures.len(),
        warnings.len(),
        groups.iter().map(|g| g.rows.len()).sum::<usize>(),
        report.results.len()
    );

    let _ = writeln!(h, "<h2 id=\"failures\">Failures</h2>");
    if failures.is_empty() {
        let _ = writeln!(h, "<p>No FAIL and no ERROR.</p>");
    }
    for r in &failures {
        evidence(&mut h, r);
    }
    let _ = writeln!(h, "<h2 id=\"warnings\">Warnings (SHOULD not followed)</h2>");
    if warnings.is_empty() {
        let _ = writeln!(h, "<p>No NON-STRICT result.</p>");
    }
    for r in &warnings {
        evidence(&mut h, r);
    }

    let _ = writeln!(h, "<h2 id=\"not-judged\">Not judged</h2>");
    if groups.is_empty() {
        let _ = writeln!(h, "<p>Every row was judged.</p>");
    } else {
        let _ = writeln!(h, "<ul>");
    }
    for g in &groups {
        let names: Vec<String> = g
            .rows
            .iter()
            .map(|r| format!("<a href=\"#{}\">{}</a>", anchor(r), escape(&r.name())))
            .collect();
        let help = g
            .help
            .map(|x| format!("<br>to judge: {}", escape(x)))
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<li><span class=\"badge {}\">{}</span> {} rows ({} MUST): {}{help}<br><small>{}</small></li>",
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

    areas(&mut h, report);
    results(&mut h, report);
    let _ = write!(h, "<script>{SCRIPT}</script>\n</body></html>\n");
    h
}

fn banner(h: &mut String, report: &RunReport) {
    let (cls, verdict) = if report.conformant() {
        ("pass", "CONFORMANT")
    } else {
        ("fail", "NOT CONFORMANT")
    };
    let c = report.counts();
    let _ = writeln!(
        h,
        "<header class=\"banner {cls}\"><h1 id=\"verdict\">{verdict}</h1>\
         <p><strong>{}</strong></p><p>{} · {} FAIL · {} ERROR · {} UNTESTED · {} NON-STRICT</p>\
         <p><small>A2A Gauntlet {} · started {} · {:.2} s</small></p></header>",
        escape(&report.target),
        escape(&report.summary_line()),
        c.failed,
        c.errors,
        c.untested,
        c.non_strict,
        escape(&report.suite_version),
        escape(&report.started_at),
        report.duration.as_secs_f64()
    );
}

/// One result's evidence: what was sent, what the spec allows, what came back, every further
/// deviation, and the transcript with its reproducers (collapsed).
fn evidence(h: &mut String, r: &CaseResult) {
    let _ = writeln!(
        h,
        "<article id=\"{}\" class=\"{}\"><h3><span class=\"badge {}\">{}</span> \
         <a href=\"#{}\">{}</a> <small>{} · {}</small></h3><p>{}</p><dl>",
        evidence_anchor(r),
        class(r.verdict),
        class(r.verdict),
        r.verdict.as_str(),
        anchor(r),
        escape(&r.name()),
        r.level.as_str(),
        escape(&r.spec),
        escape(&r.requirement),
    );
    let mut dd = |k: &str, v: &str| {
        let _ = writeln!(h, "<dt>{k}</dt><dd>{}</dd>", escape(v));
    };
    dd("sent", &r.title);
    dd("result", &r.summary);
    if let Some(e) = &r.expected {
        dd("expected", e);
    }
    if let Some(o) = &r.observed {
        dd("observed", o);
    }
    let _ = writeln!(h, "</dl>");
    if !r.deviations.is_empty() {
        let _ = writeln!(h, "<p>Further deviations:</p><ul>");
        for d in &r.deviations {
            let mut line = format!(
                "<span class=\"badge {}\">{}</span> {}",
                class(d.verdict),
                d.verdict.as_str(),
                escape(&d.summary)
            );
            if let Some(e) = &d.expected {
                let _ = write!(line, "<br>expected: {}", escape(e));
            }
            if let Some(o) = &d.observed {
                let _ = write!(line, "<br>observed: {}", escape(o));
            }
            let _ = writeln!(h, "<li>{line}</li>");
        }
        let _ = writeln!(h, "</ul>");
    }
    transcript(h, r);
    let _ = writeln!(h, "</article>");
}

fn transcript(h: &mut String, r: &CaseResult) {
    if r.transcript.is_empty() {
        return;
    }
    let _ = writeln!(
        h,
        "<details><summary>transcript ({} exchanges)</summary>",
        r.transcript.len()
    );
    for x in &r.transcript {
        let _ = writeln!(
            h,
            "<pre>{}</pre><div class=\"curl\"><button class=\"copy\" type=\"button\">copy</button>\
             <pre>$ {}</pre></div>",
            escape(&x.render()),
            escape(&x.curl())
        );
    }
    let _ = writeln!(h, "</details>");
}

fn areas(h: &mut String, report: &RunReport) {
    let mut by_area: BTreeMap<&str, Counts> = BTreeMap::new();
    for r in &report.results {
        by_area.entry(area_of(&r.id)).or_default().add(r.verdict);
    }
    let _ = writeln!(
        h,
        "<h2 id=\"areas\">By area</h2>\n<table><thead><tr><th>area</th><th>pass</th><th>fail</th>\
         <th>non-strict</th><th>info</th><th>n/a</th><th>untested</th><th>error</th></tr></thead><tbody>"
    );
    for (area, c) in by_area {
        let cls = if c.failed + c.errors > 0 {
            "fail"
        } else if c.untested + c.non_strict > 0 {
            "warn"
        } else {
            "pass"
        };
        let _ = writeln!(
            h,
            "<tr><td class=\"{cls}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(area),
            c.passed,
            c.failed,
            c.non_strict,
            c.informational,
            c.not_applicable,
            c.untested,
            c.errors
        );
    }
    let _ = writeln!(h, "</tbody></table>");
}

/// A `<select>` filter over one `data-` attribute of the result rows.
fn filter(h: &mut String, key: &str, label: &str, options: &[(String, String)]) {
    let _ = write!(
        h,
        "<label>{label} <select id=\"f-{key}\"><option value=\"\">all</option>"
    );
    for (value, text) in options {
        let _ = write!(
            h,
            "<option value=\"{}\">{}</option>",
            escape(value),
            escape(text)
        );
    }
    let _ = write!(h, "</select></label>");
}

fn results(h: &mut String, report: &RunReport) {
    let mut areas: Vec<&str> = report.results.iter().map(|r| area_of(&r.id)).collect();
    areas.sort_unstable();
    areas.dedup();
    let mut levels: Vec<&str> = report.results.iter().map(|r| r.level.as_str()).collect();
    levels.sort_unstable();
    levels.dedup();
    let mut bindings: Vec<&str> = report
        .results
        .iter()
        .map(|r| r.binding.map_or("any", |b| b.short()))
        .collect();
    bindings.sort_unstable();
    bindings.dedup();
    let pairs = |xs: &[&str]| -> Vec<(String, String)> {
        xs.iter().map(|x| (x.to_string(), x.to_string())).collect()
    };
    let verdicts: Vec<(String, String)> = VERDICTS
        .iter()
        .filter(|v| report.results.iter().any(|r| r.verdict == **v))
        .map(|v| (class(*v).to_owned(), v.as_str().to_owned()))
        .collect();

    let _ = write!(
        h,
        "<h2 id=\"results\">All results</h2>\n<p class=\"filters\">"
    );
    filter(h, "verdict", "verdict", &verdicts);
    filter(h, "area", "area", &pairs(&areas));
    filter(h, "level", "level", &pairs(&levels));
    filter(h, "binding", "binding", &pairs(&bindings));
    let _ = writeln!(
        h,
        " <span id=\"shown\">{n} of {n}</span> rows shown</p>",
        n = report.results.len()
    );
    let _ = writeln!(
        h,
        "<table id=\"matrix\"><thead><tr><th>case</th><th>level</th><th>verdict</th>\
         <th>what happened</th><th>requirement</th></tr></thead><tbody>"
    );
    for r in &report.results {
        let name = if matches!(
            r.verdict,
            Verdict::Fail | Verdict::Error | Verdict::NonStrict
        ) {
            format!(
                "<a href=\"#{}\">{}</a>",
                evidence_anchor(r),
                escape(&r.name())
            )
        } else {
            escape(&r.name())
        };
        // NOT-APPLICABLE and UNTESTED rows show their reason (and what would make them
        // judgeable) in the row itself.
        let mut what = escape(&r.summary);
        if r.verdict == Verdict::Untested {
            if let Some(e) = &r.expected {
                let _ = write!(what, "<br><small>to judge: {}</small>", escape(e));
            }
        }
        let _ = writeln!(
            h,
            "<tr id=\"{}\" data-verdict=\"{}\" data-area=\"{}\" data-level=\"{}\" data-binding=\"{}\">\
             <td>{name}</td><td>{}</td><td class=\"{}\">{}</td><td>{what}</td><td>{}</td></tr>",
            anchor(r),
            class(r.verdict),
            escape(area_of(&r.id)),
            r.level.as_str(),
            r.binding.map_or("any", |b| b.short()),
            r.level.as_str(),
            class(r.verdict),
            r.verdict.as_str(),
            escape(&r.requirement)
        );
    }
    let _ = writeln!(h, "</tbody></table>");
}

/// Several runs side by side (`gauntlet report html A.json B.json …`): one row per case and
/// binding, one column per server, each cell its verdict (the summary on hover, the row's
/// requirement beside it), rows where the servers disagree marked. Self-contained, no script.
pub fn render_matrix(reports: &[RunReport]) -> String {
    let mut names: Vec<(String, &CaseResult)> = Vec::new();
    for rep in reports {
        for r in &rep.results {
            if !names.iter().any(|(n, _)| *n == r.name()) {
                names.push((r.name(), r));
            }
        }
    }
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>gauntlet: {} servers</title><style>{CSS}</style></head><body>\n\
         <h1>A2A Gauntlet: {} servers side by side</h1>\n<table><thead><tr><th>case</th><th>level</th>",
        reports.len(),
        reports.len()
    );
    for rep in reports {
        let (cls, verdict) = if rep.conformant() {
            ("pass", "CONFORMANT")
        } else {
            ("fail", "NOT CONFORMANT")
        };
        let _ = write!(
            h,
            "<th class=\"{cls}\">{}<br><small>{verdict} · {}</small></th>",
            escape(&rep.target),
            escape(&rep.summary_line())
        );
    }
    let _ = writeln!(
        h,
        "<th>differs</th><th>requirement</th></tr></thead><tbody>"
    );
    for (name, first) in &names {
        let cells: Vec<Option<&CaseResult>> = reports
            .iter()
            .map(|rep| rep.results.iter().find(|r| r.name() == *name))
            .collect();
        let verdicts: Vec<Option<Verdict>> = cells.iter().map(|c| c.map(|r| r.verdict)).collect();
        let differs = verdicts.windows(2).any(|w| w[0] != w[1]);
        let _ = write!(
            h,
            "<tr id=\"{}\"><td>{}</td><td>{}</td>",
            anchor(first),
            escape(name),
            first.level.as_str()
        );
        for c in &cells {
            match c {
                Some(r) => {
                    let _ = write!(
                        h,
                        "<td class=\"{}\" title=\"{}\">{}</td>",
                        class(r.verdict),
                        escape(&r.summary),
                        r.verdict.as_str()
                    );
                }
                None => h.push_str("<td>not run</td>"),
            }
        }
        let _ = writeln!(
            h,
            "<td>{}</td><td>{}</td></tr>",
            if differs { "≠" } else { "" },
            escape(&first.requirement)
        );
    }
    h.push_str("</tbody></table>\n</body></html>\n");
    h
}
