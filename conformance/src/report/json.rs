//! The JSON report (`--json FILE`). Its schema, `gauntlet-report/2`, is documented in
//! `conformance/REPORT.md`; any change to the shape bumps the schema name. The document is
//! written from the types below ([`ReportDoc`] and its parts), and the JSON Schema shipped as
//! `conformance/report.schema.json` is generated from the same types ([`schema`]), so the two
//! cannot drift; a test keeps the committed file equal to the generated one and reads real
//! reports back through the types.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::case::{Binding, Level, Verdict};
use crate::probe::Exchange;
use crate::report::Shard;
use crate::report::{CaseResult, RunReport};

/// The schema identifier written in every report.
pub const SCHEMA: &str = "gauntlet-report/2";

/// A whole JSON report.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "gauntlet-report/2", description = "A2A Gauntlet run report")]
pub struct ReportDoc {
    /// Always `gauntlet-report/2`.
    pub schema: String,
    /// The target's base URL (several, comma-separated, in a merged report of shards).
    pub target: String,
    /// Version of the suite that wrote the report.
    pub suite_version: String,
    /// RFC 3339 start time.
    pub started_at: String,
    /// Wall time of the run, in milliseconds.
    pub duration_ms: f64,
    /// Every applicable MUST passed and none was left unrun or untested.
    pub conformant: bool,
    /// Results per verdict.
    pub counts: CountsDoc,
    /// The numbers of the last line of the human report.
    pub summary: SummaryDoc,
    /// The agent card as received (null when none was read).
    pub card: Value,
    /// One result per case and binding, in catalogue order.
    pub results: Vec<ResultDoc>,
    /// Which share of the plan this is, for a `--shard K/N` run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardDoc>,
    /// Set when the run was interrupted (Ctrl-C): the results are those finished by then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<bool>,
    /// With `interrupted`: how many results the run had planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned: Option<usize>,
}

/// Results per verdict.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CountsDoc {
    /// PASS.
    pub pass: usize,
    /// FAIL.
    pub fail: usize,
    /// NON-STRICT.
    pub non_strict: usize,
    /// INFORMATIONAL.
    pub informational: usize,
    /// NOT-APPLICABLE.
    pub not_applicable: usize,
    /// ERROR.
    pub error: usize,
    /// UNTESTED.
    pub untested: usize,
}

/// `gauntlet: N passed, N failed, N skipped`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SummaryDoc {
    /// PASS + NON-STRICT + INFORMATIONAL.
    pub passed: usize,
    /// FAIL + ERROR.
    pub failed: usize,
    /// NOT-APPLICABLE + UNTESTED.
    pub skipped: usize,
}

/// The share of a `--shard K/N` run.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShardDoc {
    /// K, from 1.
    pub index: usize,
    /// N.
    pub count: usize,
}

/// One case on one binding.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResultDoc {
    /// Digest id (or chaos scenario id).
    pub id: String,
    /// The binding it ran on; null for binding-independent cases.
    pub binding: Option<Binding>,
    /// `ID` or `ID[binding]`.
    pub name: String,
    /// The row's level.
    pub level: Level,
    /// The final verdict.
    pub verdict: Verdict,
    /// What was sent.
    pub title: String,
    /// What the server must do.
    pub requirement: String,
    /// Spec reference.
    pub spec: String,
    /// One line: what happened.
    pub summary: String,
    /// What was acceptable (for UNTESTED: what would make the row judgeable).
    pub expected: Option<String>,
    /// What was seen.
    pub observed: Option<String>,
    /// Every further deviation, worst first.
    pub deviations: Vec<DeviationDoc>,
    /// Wall time of the case, in milliseconds.
    pub duration_ms: f64,
    /// The recorded exchanges (bounded).
    pub transcript: Vec<ExchangeDoc>,
}

/// A further deviation of a result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviationDoc {
    /// Its verdict alone.
    pub verdict: Verdict,
    /// One line: what deviated.
    pub summary: String,
    /// What was acceptable.
    pub expected: Option<String>,
    /// What was seen.
    pub observed: Option<String>,
}

/// One recorded exchange.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExchangeDoc {
    /// What was sent.
    pub request: RequestDoc,
    /// Response status, if a head arrived.
    pub status: Option<u16>,
    /// Response headers as `[name, value]` pairs (lower-cased names).
    pub headers: Vec<(String, String)>,
    /// Response body text (truncated).
    pub body: String,
    /// SSE events' data, in order (truncated).
    pub events: Vec<String>,
    /// Why the exchange did not complete.
    pub error: Option<String>,
    /// Time until the answer completed (or failed), in milliseconds.
    pub elapsed_ms: f64,
    /// Exchanges of the same result left out just before this one.
    pub omitted_before: usize,
    /// A command that repeats the request.
    pub curl: String,
}

/// A recorded request.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestDoc {
    /// HTTP method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// Request headers as `[name, value]` pairs.
    pub headers: Vec<(String, String)>,
    /// Body text (truncated, or the recipe of a generated body).
    pub body: String,
    /// Bytes the body really had.
    pub body_bytes: usize,
}

impl ReportDoc {
    /// The document of `report`.
    pub fn of(report: &RunReport) -> ReportDoc {
        let c = report.counts();
        let t = report.tally();
        ReportDoc {
            schema: SCHEMA.to_owned(),
            target: report.target.clone(),
            suite_version: report.suite_version.clone(),
            started_at: report.started_at.clone(),
            duration_ms: millis(report.duration),
            conformant: report.conformant(),
            counts: CountsDoc {
                pass: c.passed,
                fail: c.failed,
                non_strict: c.non_strict,
                informational: c.informational,
                not_applicable: c.not_applicable,
                error: c.errors,
                untested: c.untested,
            },
            summary: SummaryDoc {
                passed: t.passed,
                failed: t.failed,
                skipped: t.skipped,
            },
            card: report.card.clone().unwrap_or(Value::Null),
            results: report.results.iter().map(ResultDoc::of).collect(),
            shard: None,
            interrupted: None,
            planned: None,
        }
    }
}

impl ResultDoc {
    fn of(r: &CaseResult) -> ResultDoc {
        ResultDoc {
            id: r.id.clone(),
            binding: r.binding,
            name: r.name(),
            level: r.level,
            verdict: r.verdict,
            title: r.title.clone(),
            requirement: r.requirement.clone(),
            spec: r.spec.clone(),
            summary: r.summary.clone(),
            expected: r.expected.clone(),
            observed: r.observed.clone(),
            deviations: r
                .deviations
                .iter()
                .map(|d| DeviationDoc {
                    verdict: d.verdict,
                    summary: d.summary.clone(),
                    expected: d.expected.clone(),
                    observed: d.observed.clone(),
                })
                .collect(),
            duration_ms: millis(r.duration),
            transcript: r.transcript.iter().map(ExchangeDoc::of).collect(),
        }
    }
}

impl ExchangeDoc {
    /// The document of one exchange.
    pub fn of(x: &Exchange) -> ExchangeDoc {
        ExchangeDoc {
            request: RequestDoc {
                method: x.request.method.clone(),
                url: x.request.url.clone(),
                headers: x.request.headers.clone(),
                body: x.request_body_text(),
                body_bytes: x.request_body_len,
            },
            status: x.status,
            headers: x.headers.clone(),
            body: x.body.clone(),
            events: x.events.clone(),
            error: x.error.clone(),
            elapsed_ms: millis(x.elapsed),
            omitted_before: x.omitted_before,
            curl: x.curl(),
        }
    }
}

/// The JSON Schema of the report, generated from [`ReportDoc`].
pub fn schema() -> Value {
    serde_json::to_value(schemars::schema_for!(ReportDoc)).unwrap_or(Value::Null)
}

/// The report as a JSON value.
pub fn to_value(report: &RunReport) -> Value {
    serde_json::to_value(ReportDoc::of(report)).unwrap_or(Value::Null)
}

/// The report as pretty-printed JSON text.
pub fn render(report: &RunReport) -> String {
    serde_json::to_string_pretty(&ReportDoc::of(report)).unwrap_or_default()
}

/// The report of one `--shard K/N` run: the usual document plus
/// `"shard": {"index": K, "count": N}`, which `report merge` checks for completeness.
pub fn render_shard(report: &RunReport, shard: Shard) -> String {
    let mut doc = ReportDoc::of(report);
    doc.shard = Some(ShardDoc {
        index: shard.index,
        count: shard.count,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// One exchange as JSON (also used by the HTML report).
pub fn exchange_value(x: &Exchange) -> Value {
    serde_json::to_value(ExchangeDoc::of(x)).unwrap_or(Value::Null)
}

fn millis(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}
