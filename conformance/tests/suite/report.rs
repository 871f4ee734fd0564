//! Report rendering for a synthetic run: the human report (snapshot, times redacted), JSON
//! shape, JUnit and HTML validity and escaping.

use std::time::Duration;

use gauntlet_conformance::case::{Binding, Level, Verdict};
use gauntlet_conformance::probe::{Exchange, RawRequest};
use gauntlet_conformance::report::human::{self, HumanReporter, Style};
use gauntlet_conformance::report::{html, json, junit, CaseResult, RunReport};
use gauntlet_conformance::runner::{Reporter, RunEvent};
use serde_json::Value;

fn result(id: &str, binding: Option<Binding>, level: Level, verdict: Verdict) -> CaseResult {
    CaseResult {
        id: id.to_owned(),
        binding,
        level,
        verdict,
        title: format!("{id} probe"),
        requirement: format!("{id} requirement"),
        spec: "§9.5".to_owned(),
        summary: format!("{id} {}", verdict.as_str().to_lowercase()),
        expected: None,
        observed: None,
        deviations: Vec::new(),
        transcript: Vec::new(),
        duration: Duration::from_millis(12),
    }
}

fn synthetic() -> RunReport {
    let mut fail = result(
        "JRPC-005",
        Some(Binding::JsonRpc),
        Level::Must,
        Verdict::Fail,
    );
    fail.expected = Some("error -32700 with id null".into());
    fail.observed = Some("<script>alert('x')</script> & 200".into());
    let mut x = Exchange::new(
        RawRequest::new("POST", "http://127.0.0.1:7420/a2a")
            .header("Content-Type", "application/json")
            .body("{not json"),
    );
    x.status = Some(200);
    x.headers = vec![("content-type".into(), "application/json".into())];
    x.body = r#"{"jsonrpc":"2.0","id":1,"result":{}}"#.into();
    x.elapsed = Duration::from_millis(3);
    fail.transcript = vec![x];
    let mut na = result(
        "PUSH-001",
        Some(Binding::Rest),
        Level::Must,
        Verdict::NotApplicable,
    );
    na.summary = "the card does not declare capabilities.pushNotifications".into();
    RunReport {
        target: "http://127.0.0.1:7420".into(),
        card: Some(serde_json::json!({"name": "synthetic"})),
        suite_version: "0.1.0".into(),
        started_at: "2026-01-01T00:00:00.000Z".into(),
        duration: Duration::from_millis(1234),
        results: vec![
            result("CARD-001", None, Level::Must, Verdict::Pass),
            fail,
            result("JRPC-005", Some(Binding::Rest), Level::Must, Verdict::Pass),
            result(
                "JRPC-010",
                Some(Binding::JsonRpc),
                Level::Should,
                Verdict::NonStrict,
            ),
            result(
                "JRPC-014",
                Some(Binding::JsonRpc),
                Level::Sdk,
                Verdict::Informational,
            ),
            na,
            result("SSE-004", Some(Binding::Rest), Level::Must, Verdict::Error),
        ],
    }
}

#[test]
fn the_human_report_shows_evidence_summary_and_verdict() {
    let text = human::render_with(
        &synthetic(),
        Style {
            times: false,
            evidence: true,
            ..Style::default()
        },
    );
    insta::assert_snapshot!("human_report", text);
}

#[test]
fn the_last_line_counts_passed_failed_skipped() {
    let text = human::render(&synthetic());
    assert_eq!(
        text.lines().last(),
        Some("gauntlet: 4 passed, 2 failed, 1 skipped")
    );
    assert!(text.contains("NOT CONFORMANT"));
}

#[test]
fn colour_paints_verdict_words_only_when_asked_and_keeps_the_columns() {
    let report = synthetic();
    let plain = Style {
        times: false,
        ..Style::default()
    };
    let color = Style {
        color: true,
        ..plain
    };
    for r in &report.results {
        let p = human::result_line(r, plain);
        let c = human::result_line(r, color);
        assert!(!p.contains('\x1b'), "{p}");
        assert!(c.starts_with('\x1b'), "{c}");
        let shown: String = c
            .split('\x1b')
            .map(|s| s.split_once('m').map_or(s, |(_, t)| t))
            .collect();
        assert_eq!(shown, p, "the escapes add nothing visible");
    }
    assert!(!human::render_with(&report, plain).contains('\x1b'));
    assert!(human::render_with(&report, color).contains("\x1b[1m\x1b[31mNOT CONFORMANT:"));
}

#[test]
fn an_interrupted_report_has_no_verdict_and_still_ends_with_the_count_line() {
    let report = synthetic();
    let text = human::render_interrupted(&report, Style::default(), 20);
    assert!(!text.contains("CONFORMANT"), "{text}");
    assert!(
        text.contains(&format!(
            "INTERRUPTED: {} of 20 planned runs finished in ",
            report.results.len()
        )),
        "{text}"
    );
    assert_eq!(
        text.lines().last(),
        Some("gauntlet: 4 passed, 2 failed, 1 skipped")
    );
}

#[test]
fn the_plain_reporter_prints_one_line_per_result_then_the_report() {
    let report = synthetic();
    let mut r = HumanReporter::new(Vec::new()).with_style(Style {
        times: false,
        evidence: false,
        ..Style::default()
    });
    for (i, res) in report.results.iter().enumerate() {
        r.on_event(&RunEvent::CaseFinished {
            result: res,
            done: i + 1,
            total: report.results.len(),
            started: std::time::SystemTime::UNIX_EPOCH,
            finished: std::time::SystemTime::UNIX_EPOCH,
        });
    }
    r.on_event(&RunEvent::Finished {
        report: &report,
        at: std::time::SystemTime::UNIX_EPOCH,
    });
    let out = String::from_utf8(r.into_inner()).expect("utf-8");
    assert!(out.starts_with("PASS           CARD-001"), "{out}");
    assert!(!out.contains('\r'), "no progress bar when not a terminal");
    assert_eq!(
        out.lines().last(),
        Some("gauntlet: 4 passed, 2 failed, 1 skipped")
    );
}

#[test]
fn the_json_report_follows_the_documented_schema() {
    let v: Value = serde_json::from_str(&json::render(&synthetic())).expect("valid JSON");
    assert_eq!(v["schema"], "gauntlet-report/2");
    assert_eq!(v["conformant"], false);
    assert_eq!(
        v["summary"],
        serde_json::json!({"passed": 4, "failed": 2, "skipped": 1})
    );
    assert_eq!(v["counts"]["fail"], 1);
    assert_eq!(v["counts"]["error"], 1);
    let results = v["results"].as_array().expect("results");
    assert_eq!(results.len(), 7);
    let f = &results[1];
    assert_eq!(f["name"], "JRPC-005[jsonrpc]");
    assert_eq!(f["binding"], "jsonrpc");
    assert_eq!(f["verdict"], "FAIL");
    assert_eq!(results[0]["binding"], Value::Null);
    let x = &f["transcript"][0];
    assert_eq!(x["request"]["method"], "POST");
    assert_eq!(x["status"], 200);
    assert!(x["curl"].as_str().is_some_and(|c| c.starts_with("curl ")));
}

#[test]
fn the_junit_report_has_one_testcase_per_result_and_the_evidence() {
    let xml = junit::render(&synthetic()).expect("serialises");
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 7);
    assert_eq!(xml.matches("<failure").count(), 2);
    assert_eq!(xml.matches("type=\"FAIL\"").count(), 1);
    assert_eq!(xml.matches("type=\"ERROR\"").count(), 1);
    assert_eq!(xml.matches("<skipped").count(), 1);
    assert!(xml.contains("&lt;script&gt;"), "observed text is escaped");
    assert!(!xml.contains("<script>"));
    assert!(xml.contains("name=\"JRPC\""), "one suite per area");
    assert!(
        xml.contains("timestamp=\"2026-01-01T00:00:00"),
        "suites carry the run's start: {xml}"
    );
    assert_eq!(
        xml.matches("<property name=\"verdict\"").count(),
        7,
        "every case says its verdict"
    );
    assert_eq!(
        xml.matches("<property name=\"verdict\" value=\"NON-STRICT\"/>")
            .count(),
        1,
        "a NON-STRICT pass is told from a plain one"
    );
}

#[test]
fn the_html_report_is_self_contained_and_escaped() {
    let page = html::render(&synthetic());
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.ends_with("</html>\n"));
    assert_eq!(
        page.matches("<script").count(),
        1,
        "one script, the page's own: server text must not become markup"
    );
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; 200"));
    assert!(
        !page.contains("http-equiv") && !page.contains("src=") && !page.contains("://cdn"),
        "no external resources"
    );
    assert!(
        page.contains("href=\"#ev-JRPC-005-jsonrpc\""),
        "failures link to their evidence"
    );
    assert!(page.contains("<tr id=\"JRPC-005-jsonrpc\" data-verdict=\"fail\""));
    assert!(page.contains("NOT CONFORMANT"));
    // The verdict comes first, the failures before the full list.
    let at = |needle: &str| {
        page.find(needle)
            .unwrap_or_else(|| panic!("{needle} missing"))
    };
    assert!(at("id=\"verdict\"") < at("id=\"failures\""));
    assert!(at("id=\"failures\"") < at("id=\"areas\""));
    assert!(at("id=\"areas\"") < at("id=\"results\""));
}

#[test]
fn the_side_by_side_page_has_a_column_per_server_and_marks_disagreement() {
    let a = synthetic();
    let mut b = synthetic();
    b.target = "http://127.0.0.1:2/<b>".to_owned();
    b.results[1].verdict = Verdict::Pass;
    let page = html::render_matrix(&[a.clone(), b]);
    assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
    assert!(
        !page.contains("<script") && !page.contains("<b>"),
        "escaped, no script"
    );
    assert_eq!(page.matches("<tr id=").count(), a.results.len());
    assert_eq!(page.matches("<td>≠</td>").count(), 1, "one row differs");
}

#[test]
fn the_committed_report_schema_is_the_one_the_types_generate() {
    let committed: Value = serde_json::from_str(include_str!("../../report.schema.json"))
        .expect("conformance/report.schema.json is JSON");
    assert_eq!(
        committed,
        json::schema(),
        "conformance/report.schema.json is stale: regenerate it with `gauntlet report schema`"
    );
    assert_eq!(committed["title"], json::SCHEMA);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_report_reads_back_through_the_schema_types_field_for_field() {
    let report = crate::run_against_reference(
        &["CARD-*", "JRPC-*", "STRM-00[1-3]", "PUSH-01[0-2]"],
        &[],
        Duration::from_secs(30),
        |b| b,
    )
    .await;
    let text = json::render(&report);
    // deny_unknown_fields on every part: a key the schema does not describe is refused.
    let doc: json::ReportDoc = serde_json::from_str(&text).expect("the report fits its schema");
    assert_eq!(doc.results.len(), report.results.len());
    assert!(doc.results.iter().any(|r| !r.transcript.is_empty()));
    let back: Value = serde_json::to_value(&doc).expect("serialises");
    assert_eq!(
        back,
        serde_json::from_str::<Value>(&text).expect("JSON"),
        "lossless"
    );
    // Every top-level key of the document is a property of the committed schema.
    let schema = json::schema();
    for key in back.as_object().expect("an object").keys() {
        assert!(
            schema["properties"].get(key).is_some(),
            "{key} is not in the schema"
        );
    }
}
