//! How the ERR, SEC, PUSH, CTX and LIFE rows grade particular server behaviours, against the
//! reference configured or faulted to show them: rows that apply but cannot be observed come out
//! UNTESTED with what would make them judgeable (a target whose SSRF guard refuses the suite's
//! loopback webhook), bounded waits stay bounded (PUSH-011 against a server that never
//! retries), a SHOULD row warns rather than fails (SEC-005, ERR-008), and a case reports every
//! deviation it sees, not only the first (SEC-003).

use std::time::Duration;

use gauntlet_conformance::case::Verdict;
use gauntlet_conformance::report::{CaseResult, RunReport};
use gauntlet_reference::{Fault, ServerBuilder};

async fn run(groups: &[&str], tweak: impl FnOnce(ServerBuilder) -> ServerBuilder) -> RunReport {
    run_as(groups, &[], tweak).await
}

async fn run_as(
    groups: &[&str],
    tokens: &[&str],
    tweak: impl FnOnce(ServerBuilder) -> ServerBuilder,
) -> RunReport {
    crate::run_against_reference(groups, tokens, Duration::from_secs(30), tweak).await
}

fn of<'a>(report: &'a RunReport, id: &str) -> Vec<&'a CaseResult> {
    let rows: Vec<&CaseResult> = report.results.iter().filter(|r| r.id == id).collect();
    assert!(!rows.is_empty(), "{id} did not run");
    rows
}

fn listing(report: &RunReport) -> String {
    report
        .results
        .iter()
        .map(|r| format!("{} {}: {}", r.verdict.as_str(), r.name(), r.summary))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The rows that need the suite's webhook registered on the target.
const NEED_THE_WEBHOOK: [&str; 11] = [
    "PUSH-001", "PUSH-003", "PUSH-004", "PUSH-005", "PUSH-006", "PUSH-007", "PUSH-008", "PUSH-009",
    "PUSH-011", "PUSH-013", "PUSH-014",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_rows_are_untested_when_the_target_refuses_loopback_webhooks() {
    let guarded = run(&["PUSH", "SEND-010"], |b| b.allow_private_webhooks(false)).await;
    let all = listing(&guarded);
    for id in NEED_THE_WEBHOOK.iter().chain(&["SEND-010"]) {
        for r in of(&guarded, id) {
            assert_eq!(r.verdict, Verdict::Untested, "{}\n{all}", r.name());
            assert_eq!(
                r.expected.as_deref(),
                Some("allow private/loopback webhooks on the target"),
                "{}",
                r.name()
            );
        }
    }
    for r in of(&guarded, "PUSH-002") {
        assert!(
            matches!(r.verdict, Verdict::Pass | Verdict::Untested),
            "{}\n{all}",
            r.name()
        );
    }
    for r in of(&guarded, "PUSH-012") {
        assert_eq!(
            r.verdict,
            Verdict::Pass,
            "the guard refuses loopback: {all}"
        );
    }
    // The same rows with loopback webhooks allowed are judged: the guard was the cause.
    let open = run(&["PUSH-001", "PUSH-009"], |b| b).await;
    for r in ["PUSH-001", "PUSH-009"].iter().flat_map(|id| of(&open, id)) {
        assert_eq!(r.verdict, Verdict::Pass, "{}", listing(&open));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_retry_is_waited_for_five_seconds_after_the_500_only() {
    let report = run(&["PUSH-011"], |b| b.fault(Some(Fault::PushNoRetry))).await;
    for r in of(&report, "PUSH-011") {
        assert_eq!(r.verdict, Verdict::NonStrict, "{}", listing(&report));
        let observed = r.observed.as_deref().unwrap_or_default();
        assert!(
            observed.contains("no retry within 5 s of the 500; the spec sets no retry schedule"),
            "{observed}"
        );
        assert!(r.duration < Duration::from_secs(8), "{:?}", r.duration);
    }
    let retried = run(&["PUSH-011"], |b| b).await;
    for r in of(&retried, "PUSH-011") {
        assert_eq!(r.verdict, Verdict::Pass, "{}", listing(&retried));
        assert!(r.duration < Duration::from_secs(3), "{:?}", r.duration);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_explicit_size_refusal_passes_and_no_limit_only_warns() {
    let limited = run(&["SEC-005"], |b| b).await;
    for r in of(&limited, "SEC-005") {
        // The reference answers 413 and closes in stages (it keeps reading what the client
        // still uploads), so the 413 is read every time, never a reset.
        assert_eq!(r.verdict, Verdict::Pass, "{}", listing(&limited));
        assert!(r.summary.contains("413"), "{}", r.summary);
    }
    let unlimited = run(&["SEC-005"], |b| b.fault(Some(Fault::NoSizeLimit))).await;
    for r in of(&unlimited, "SEC-005") {
        assert_eq!(r.verdict, Verdict::NonStrict, "{}", listing(&unlimited));
        assert!(r.summary.contains("accepted"), "{}", r.summary);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_violation_without_a_field_name_warns() {
    let named = run(&["ERR-008"], |b| b).await;
    for r in of(&named, "ERR-008") {
        assert_eq!(r.verdict, Verdict::Pass, "{}", listing(&named));
    }
    let unnamed = run(&["ERR-008"], |b| {
        b.fault(Some(Fault::UnnamedFieldViolations))
    })
    .await;
    for r in of(&unnamed, "ERR-008") {
        assert_eq!(r.verdict, Verdict::NonStrict, "{}", listing(&unnamed));
        // Both probes (no messageId, `parts` a string) are reported, each with its evidence.
        assert_eq!(r.deviations.len(), 1, "{:?}", r.deviations);
        assert!(
            r.observed
                .as_deref()
                .unwrap_or_default()
                .contains("\"field\":\"\""),
            "{:?}",
            r.observed
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_that_leaks_is_reported_not_only_the_first() {
    const TOKENS: [&str; 2] = ["gauntlet-alice", "gauntlet-bob"];
    let leaky = run_as(&["SEC-003"], &TOKENS, |b| {
        b.bearer(TOKENS[0])
            .bearer(TOKENS[1])
            .fault(Some(Fault::LeakOtherTenantsTasks))
    })
    .await;
    for r in of(&leaky, "SEC-003") {
        assert_eq!(r.verdict, Verdict::Fail, "{}", listing(&leaky));
        let mut seen = vec![r.summary.clone()];
        seen.extend(r.deviations.iter().map(|d| d.summary.clone()));
        assert!(seen.len() >= 2, "{seen:?}");
        assert!(seen.iter().any(|s| s.contains("GetTask")), "{seen:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_provoked_error_is_judged_each_with_its_own_evidence() {
    let clean = run(&["ERR-001", "ERR-002"], |b| b).await;
    for r in ["ERR-001", "ERR-002"].iter().flat_map(|id| of(&clean, id)) {
        assert_eq!(r.verdict, Verdict::Pass, "{}", listing(&clean));
    }
    let faulted = run(&["ERR-001"], |b| b.fault(Some(Fault::EmptyErrorMessage))).await;
    for r in of(&faulted, "ERR-001") {
        assert_eq!(r.verdict, Verdict::Fail, "{}", listing(&faulted));
        // Unknown task, malformed JSON, `parts` a string, version 9.9: four errors, four
        // deviations (the first one leads).
        assert_eq!(r.deviations.len(), 3, "{}: {:?}", r.summary, r.deviations);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_task_that_changes_state_fails_life_001_on_every_read() {
    let faulted = run(&["LIFE-001"], |b| b.fault(Some(Fault::CancelTerminal))).await;
    for r in of(&faulted, "LIFE-001") {
        assert_eq!(r.verdict, Verdict::Fail, "{}", listing(&faulted));
        let observed = r.observed.as_deref().unwrap_or_default();
        assert!(
            observed.contains("the cancel's answer: TASK_STATE_CANCELED")
                && observed.contains("GetTask after: TASK_STATE_CANCELED"),
            "{observed}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_faults_are_caught_by_their_own_rows() {
    const TOKENS: [&str; 2] = ["gauntlet-alice", "gauntlet-bob"];
    let with = |fault| move |b: ServerBuilder| b.bearer(TOKENS[0]).bearer(TOKENS[1]).fault(fault);
    let rows = ["ERR-004", "ERR-005", "XCARD-001"];
    let clean = run_as(&rows, &TOKENS, with(None)).await;
    for r in rows.iter().flat_map(|id| of(&clean, id)) {
        assert_eq!(r.verdict, Verdict::Pass, "{}", listing(&clean));
    }
    let silent = run_as(&rows, &TOKENS, with(Some(Fault::NoAuthChallenge))).await;
    for r in rows.iter().flat_map(|id| of(&silent, id)) {
        let want = if r.id == "ERR-005" {
            Verdict::NonStrict
        } else {
            Verdict::Pass
        };
        assert_eq!(r.verdict, want, "{}", listing(&silent));
    }
    let lax = run_as(&rows, &TOKENS, with(Some(Fault::InvalidTokenAccepted))).await;
    for r in rows.iter().flat_map(|id| of(&lax, id)) {
        let want = if r.id == "ERR-005" {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        assert_eq!(r.verdict, want, "{}", listing(&lax));
        if want == Verdict::Fail {
            assert!(r.summary.contains("an invalid token"), "{}", r.summary);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untyped_error_detail_fails_err_002_on_every_provoked_error() {
    let faulted = run(&["ERR-002"], |b| b.fault(Some(Fault::UntypedErrorDetail))).await;
    for r in of(&faulted, "ERR-002") {
        assert_eq!(r.verdict, Verdict::Fail, "{}", listing(&faulted));
        assert_eq!(r.deviations.len(), 3, "{}: {:?}", r.summary, r.deviations);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_config_and_delivery_faults_are_caught_by_their_own_rows() {
    let labelled = run(&["PUSH-013"], |b| b.fault(Some(Fault::PushPlainJson))).await;
    for r in of(&labelled, "PUSH-013") {
        assert_eq!(r.verdict, Verdict::NonStrict, "{}", listing(&labelled));
        assert!(
            r.observed
                .as_deref()
                .unwrap_or_default()
                .contains("application/json"),
            "{:?}",
            r.observed
        );
    }
    let replaced = run(&["PUSH-004"], |b| {
        b.fault(Some(Fault::PushOneConfigPerTask))
    })
    .await;
    for r in of(&replaced, "PUSH-004") {
        assert_eq!(r.verdict, Verdict::Fail, "{}", listing(&replaced));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unauthenticated_rest_read_fails_sec_002_on_rest_only() {
    const TOKENS: [&str; 2] = ["gauntlet-alice", "gauntlet-bob"];
    let report = run_as(&["SEC-002"], &TOKENS, |b| {
        b.bearer(TOKENS[0])
            .bearer(TOKENS[1])
            .fault(Some(Fault::RestGetsUnauthenticated))
    })
    .await;
    for r in of(&report, "SEC-002") {
        let rest = r.name().ends_with("[rest]");
        let want = if rest { Verdict::Fail } else { Verdict::Pass };
        assert_eq!(r.verdict, want, "{}", listing(&report));
        if rest {
            // GetTask, ListTasks, ListTaskPushNotificationConfigs, GetExtendedAgentCard.
            assert!(r.deviations.len() >= 2, "{}: {:?}", r.summary, r.deviations);
        }
    }
}
