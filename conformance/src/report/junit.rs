//! The JUnit XML report (`--junit FILE`), via quick-junit: one test suite per checklist group,
//! one test case per case × binding. FAIL and ERROR are failures (`type` says which) carrying
//! the evidence; NOT-APPLICABLE is skipped with its reason; UNTESTED is skipped (`type`
//! UNTESTED) with its reason and what would make it judgeable; NON-STRICT and INFORMATIONAL
//! pass with a note in system-out. Every test case carries `verdict` and `level` properties, so
//! a dashboard can tell NON-STRICT and INFORMATIONAL from plain passes; every suite has its
//! time (the sum of its cases: they run concurrently) and the run's start timestamp.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::case::Verdict;
use crate::report::{area_of, CaseResult, RunReport};

/// The report as JUnit XML.
pub fn render(report: &RunReport) -> Result<String, quick_junit::SerializeError> {
    let mut junit = Report::new("gauntlet");
    junit.set_time(report.duration);
    let started = chrono::DateTime::parse_from_rfc3339(&report.started_at).ok();
    if let Some(t) = started {
        junit.set_timestamp(t);
    }
    let mut suites: Vec<TestSuite> = Vec::new();
    for r in &report.results {
        let area = area_of(&r.id);
        let i = match suites.iter().position(|s| s.name.as_str() == area) {
            Some(i) => i,
            None => {
                suites.push(TestSuite::new(area));
                suites.len() - 1
            }
        };
        suites[i].add_test_case(test_case(r));
    }
    for suite in &mut suites {
        let time: Duration = suite.test_cases.iter().filter_map(|c| c.time).sum();
        suite.set_time(time);
        if let Some(t) = started {
            suite.set_timestamp(t);
        }
    }
    junit.add_test_suites(suites);
    junit.to_string()
}

fn test_case(r: &CaseResult) -> TestCase {
    let status = match r.verdict {
        Verdict::Pass | Verdict::NonStrict | Verdict::Informational => TestCaseStatus::success(),
        Verdict::NotApplicable => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(r.summary.as_str());
            s
        }
        // Skipped, never passed: the row applies but could not be judged.
        Verdict::Untested => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(super::untested_text(r));
            s.set_type("UNTESTED");
            s
        }
        Verdict::Fail | Verdict::Error => {
            // Both fail the run; `type` tells a violated requirement from an unjudgeable one.
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(r.summary.as_str());
            s.set_type(r.verdict.as_str());
            s.set_description(evidence(r));
            s
        }
    };
    let mut case = TestCase::new(r.name(), status);
    case.set_classname(format!("gauntlet.{}", area_of(&r.id)));
    case.set_time(r.duration);
    case.add_property(Property::new("verdict", r.verdict.as_str()));
    case.add_property(Property::new("level", r.level.as_str()));
    if matches!(r.verdict, Verdict::NonStrict | Verdict::Informational) {
        case.set_system_out(format!("{}: {}", r.verdict.as_str(), r.summary));
    }
    case
}

fn evidence(r: &CaseResult) -> String {
    let mut s = format!("{} ({} {})\n", r.requirement, r.level.as_str(), r.spec);
    if let Some(e) = &r.expected {
        s.push_str(&format!("expected: {e}\n"));
    }
    if let Some(o) = &r.observed {
        s.push_str(&format!("observed: {o}\n"));
    }
    for x in &r.transcript {
        s.push('\n');
        s.push_str(&x.render());
        s.push_str(&format!("$ {}\n", x.curl()));
    }
    s
}
