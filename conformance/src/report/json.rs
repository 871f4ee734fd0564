//! The JSON report (`--json FILE`). Its schema, `gauntlet-report/2`, is documented in
//! `conformance/REPORT.md`; any change to the shape bumps the schema name.

use serde_json::{json, Value};

use crate::probe::Exchange;
use crate::report::{CaseResult, RunReport};
use crate::runner::Shard;

/// The schema identifier written in every report.
pub const SCHEMA: &str = "gauntlet-report/2";

/// The report as a JSON value.
pub fn to_value(report: &RunReport) -> Value {
    let c = report.counts();
    let t = report.tally();
    json!({
        "schema": SCHEMA,
        "target": report.target,
        "suiteVersion": report.suite_version,
        "startedAt": report.started_at,
        "durationMs": millis(report.duration),
        "conformant": report.conformant(),
        "counts": {
            "pass": c.passed,
            "fail": c.failed,
            "nonStrict": c.non_strict,
            "informational": c.informational,
            "notApplicable": c.not_applicable,
            "error": c.errors,
            "untested": c.untested,
        },
        "summary": { "passed": t.passed, "failed": t.failed, "skipped": t.skipped },
        "card": report.card.clone().unwrap_or(Value::Null),
        "results": report.results.iter().map(result_value).collect::<Vec<_>>(),
    })
}

/// The report as pretty-printed JSON text.
pub fn render(report: &RunReport) -> String {
    serde_json::to_string_pretty(&to_value(report)).unwrap_or_default()
}

/// The report of one `--shard K/N` run: the usual document plus
/// `"shard": {"index": K, "count": N}`, which `report merge` checks for completeness.
pub fn render_shard(report: &RunReport, shard: Shard) -> String {
    let mut v = to_value(report);
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "shard".to_owned(),
            json!({ "index": shard.index, "count": shard.count }),
        );
    }
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

fn result_value(r: &CaseResult) -> Value {
    json!({
        "id": r.id,
        "binding": r.binding.map(|b| b.short()),
        "name": r.name(),
        "level": r.level.as_str(),
        "verdict": r.verdict.as_str(),
        "title": r.title,
        "requirement": r.requirement,
        "spec": r.spec,
        "summary": r.summary,
        "expected": r.expected,
        "observed": r.observed,
        "deviations": r.deviations.iter().map(|d| json!({
            "verdict": d.verdict.as_str(),
            "summary": d.summary,
            "expected": d.expected,
            "observed": d.observed,
        })).collect::<Vec<_>>(),
        "durationMs": millis(r.duration),
        "transcript": r.transcript.iter().map(exchange_value).collect::<Vec<_>>(),
    })
}

/// One exchange as JSON (also used by the HTML report).
pub fn exchange_value(x: &Exchange) -> Value {
    let pairs = |h: &[(String, String)]| h.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>();
    json!({
        "request": {
            "method": x.request.method,
            "url": x.request.url,
            "headers": pairs(&x.request.headers),
            "body": x.request_body_text(),
            "bodyBytes": x.request_body_len,
        },
        "status": x.status,
        "headers": pairs(&x.headers),
        "body": x.body,
        "events": x.events,
        "error": x.error,
        "elapsedMs": millis(x.elapsed),
        "omittedBefore": x.omitted_before,
        "curl": x.curl(),
    })
}

fn millis(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}
