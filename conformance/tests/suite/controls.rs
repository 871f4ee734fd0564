//! Negative controls: for each deliberate bug of the reference server, running the checklist
//! group it targets must produce at least one FAIL (or NON-STRICT where the clause is a SHOULD),
//! while the same setup without the bug produces none. The unfaulted reference must be
//! conformant. A bug the catalogue misses is a finding, listed in `conformance/CONTROLS.md`.

use std::time::Duration;

use gauntlet_conformance::case::Verdict;
use gauntlet_conformance::report::{area_of, RunReport};
use gauntlet_reference::{Fault, ServerBuilder};

/// How the reference must be configured for the group to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    /// Defaults (everything on, no auth).
    Default,
    /// `capabilities.streaming` off, so the CAP refusal cases apply.
    StreamingOff,
    /// Two bearer identities, so the cross-identity cases apply.
    TwoIdentities,
}

/// The fault → checklist-group table, in one place. `None` in the last column: the fault is
/// caught; `Some(reason)`: a known miss (see CONTROLS.md), skipped here.
const CONTROLS: &[(Fault, &[&str], Setup, Option<&str>)] = &[
    (Fault::SnakeCaseKeys, &["DATA"], Setup::Default, None),
    (Fault::LowercaseEnum, &["DATA"], Setup::Default, None),
    (Fault::TimestampOffset, &["DATA"], Setup::Default, None),
    (Fault::NoVersionCheck, &["VER"], Setup::Default, None),
    (Fault::CardMissingVersion, &["CARD"], Setup::Default, None),
    (
        Fault::StreamingNotGated,
        &["CAP"],
        Setup::StreamingOff,
        None,
    ),
    (Fault::IdTypeNotEchoed, &["JRPC"], Setup::Default, None),
    (
        Fault::WrongErrorCode,
        &["JRPC", "ERR"],
        Setup::Default,
        None,
    ),
    (Fault::RestErrorShape, &["REST"], Setup::Default, None),
    (Fault::FirstEventNotTask, &["STRM"], Setup::Default, None),
    (Fault::StreamGap, &["STRM", "SSE"], Setup::Default, None),
    (Fault::StreamNeverCloses, &["STRM"], Setup::Default, None),
    (
        Fault::IgnoreReturnImmediately,
        &["SEND"],
        Setup::Default,
        None,
    ),
    (Fault::IgnoreHistoryLength, &["TASK"], Setup::Default, None),
    (Fault::MissingNextPageToken, &["LIST"], Setup::Default, None),
    (Fault::CancelNoop, &["CANCEL"], Setup::Default, None),
    (
        Fault::ContextMismatchAccepted,
        &["CTX"],
        Setup::Default,
        None,
    ),
    (Fault::PushNoAuth, &["PUSH"], Setup::Default, None),
    (
        Fault::LeakOtherTenantsTasks,
        &["ERR", "SEC", "LIST"],
        Setup::TwoIdentities,
        None,
    ),
    (
        Fault::Legacy03MethodInternalError,
        &["JRPC"],
        Setup::Default,
        None,
    ),
    (Fault::RejectPatchVersion, &["VER"], Setup::Default, None),
    (Fault::RestErrorProblemJson, &["REST"], Setup::Default, None),
    (Fault::NoSizeLimit, &["SEC"], Setup::Default, None),
    (
        Fault::UnnamedFieldViolations,
        &["ERR"],
        Setup::Default,
        None,
    ),
    (Fault::PushNoRetry, &["PUSH"], Setup::Default, None),
    (Fault::EmptyErrorMessage, &["ERR"], Setup::Default, None),
    (Fault::CancelTerminal, &["LIFE"], Setup::Default, None),
    (Fault::NoAuthChallenge, &["ERR"], Setup::TwoIdentities, None),
    (
        Fault::InvalidTokenAccepted,
        &["ERR", "XCARD"],
        Setup::TwoIdentities,
        None,
    ),
    (Fault::UntypedErrorDetail, &["ERR"], Setup::Default, None),
    (Fault::PushPlainJson, &["PUSH"], Setup::Default, None),
    (Fault::PushOneConfigPerTask, &["PUSH"], Setup::Default, None),
    (
        Fault::RestGetsUnauthenticated,
        &["SEC"],
        Setup::TwoIdentities,
        None,
    ),
    (
        Fault::TruncateStoredArtifact,
        &["STRM", "SEND"],
        Setup::Default,
        None,
    ),
    (Fault::FollowUpStatusFirst, &["STRM"], Setup::Default, None),
    (
        Fault::SubscribeRefusesInterrupted,
        &["SUB"],
        Setup::Default,
        None,
    ),
    (
        Fault::ListDefaultPageUnbounded,
        &["LIST"],
        Setup::Default,
        None,
    ),
];

/// Faults judged elsewhere, not by the catalogue, with the chaos scenario that judges each; their
/// controls are the `control_*` tests of `chaos/tests/` and the chaos unit tests.
const JUDGED_BY_CHAOS: &[(Fault, &str)] = &[
    (Fault::DropLaggingSilently, "CHAOS-SLOW-001"),
    (Fault::PushRetryAfterClose, "CHAOS-HOOK-001"),
    (Fault::PushHttpsDropped, "CHAOS-HOOK-002"),
    (Fault::SsrfStandardSpellingsOnly, "CHAOS-HOOK-003"),
    (Fault::IdReencoded, "CHAOS-ID-001"),
    (Fault::FatStoredChunks, "CHAOS-MEM-001"),
    (Fault::SubscriberBacklog, "CHAOS-MEM-002"),
    (Fault::SilentEarlyClose, "CHAOS-KEEP-001"),
    (Fault::NoBodyTimeout, "CHAOS-BODY-001"),
    (Fault::StallAtConnectionLimit, "CHAOS-FLOOD-001"),
    (Fault::NoHostCheck, "CHAOS-HOST-001"),
];

const TOKENS: [&str; 2] = ["gauntlet-alice", "gauntlet-bob"];

async fn run(fault: Option<Fault>, setup: Setup, groups: &[&str]) -> RunReport {
    let tokens: &[&str] = match setup {
        Setup::TwoIdentities => &TOKENS,
        _ => &[],
    };
    crate::run_against_reference(
        groups,
        tokens,
        Duration::from_secs(20),
        |b: ServerBuilder| {
            let b = b.fault(fault);
            match setup {
                Setup::Default => b,
                Setup::StreamingOff => b.streaming(false),
                Setup::TwoIdentities => b.bearer(TOKENS[0]).bearer(TOKENS[1]),
            }
        },
    )
    .await
}

fn caught(report: &RunReport, groups: &[&str]) -> Vec<String> {
    report
        .results
        .iter()
        .filter(|r| groups.contains(&area_of(&r.id)))
        .filter(|r| matches!(r.verdict, Verdict::Fail | Verdict::NonStrict))
        .map(|r| format!("{} {}: {}", r.verdict.as_str(), r.name(), r.summary))
        .collect()
}

fn failures(report: &RunReport) -> Vec<String> {
    report
        .results
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Fail | Verdict::Error))
        .map(|r| {
            format!(
                "{} {}: {}\n  expected: {}\n  observed: {}",
                r.verdict.as_str(),
                r.name(),
                r.summary,
                r.expected.as_deref().unwrap_or("-"),
                r.observed.as_deref().unwrap_or("-")
            )
        })
        .collect()
}

async fn control(fault: Fault) {
    let (_, groups, setup, miss) = CONTROLS
        .iter()
        .find(|c| c.0 == fault)
        .copied()
        .unwrap_or_else(|| panic!("{fault} has no row in CONTROLS"));
    if let Some(reason) = miss {
        eprintln!("{fault}: known miss, see CONTROLS.md: {reason}");
        return;
    }
    let clean = run(None, setup, groups).await;
    let clean_fails: Vec<String> = failures(&clean)
        .into_iter()
        .filter(|f| f.starts_with("FAIL"))
        .collect();
    assert!(
        clean_fails.is_empty(),
        "without {fault} the groups {groups:?} must have no FAIL:\n{}",
        clean_fails.join("\n")
    );
    let faulted = run(Some(fault), setup, groups).await;
    let seen = caught(&faulted, groups);
    assert!(
        !seen.is_empty(),
        "fault {fault} went unnoticed by {groups:?}; verdicts:\n{}",
        faulted
            .results
            .iter()
            .map(|r| format!("{} {}", r.verdict.as_str(), r.name()))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn every_fault_has_a_control_or_belongs_to_chaos() {
    for f in Fault::ALL {
        let rows = CONTROLS.iter().filter(|c| c.0 == *f).count();
        let chaos = JUDGED_BY_CHAOS
            .iter()
            .find(|(g, _)| g == f)
            .map(|(_, id)| *id);
        assert!(
            rows + usize::from(chaos.is_some()) == 1,
            "{f}: {rows} rows, judged by chaos: {chaos:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unfaulted_reference_is_conformant() {
    let report = run(None, Setup::Default, &[]).await;
    let bad = failures(&report);
    assert!(
        report.conformant() && bad.iter().all(|f| !f.starts_with("FAIL")),
        "{}",
        bad.join("\n")
    );
}

macro_rules! controls {
    ($($name:ident => $fault:ident),* $(,)?) => {
        /// One test per fault, so a miss names itself.
        mod negative_controls {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    control(Fault::$fault).await;
                }
            )*
        }
    };
}

controls! {
    snake_case_keys => SnakeCaseKeys,
    lowercase_enum => LowercaseEnum,
    timestamp_offset => TimestampOffset,
    no_version_check => NoVersionCheck,
    card_missing_version => CardMissingVersion,
    streaming_not_gated => StreamingNotGated,
    id_type_not_echoed => IdTypeNotEchoed,
    wrong_error_code => WrongErrorCode,
    rest_error_shape => RestErrorShape,
    first_event_not_task => FirstEventNotTask,
    stream_gap => StreamGap,
    stream_never_closes => StreamNeverCloses,
    ignore_return_immediately => IgnoreReturnImmediately,
    ignore_history_length => IgnoreHistoryLength,
    missing_next_page_token => MissingNextPageToken,
    cancel_noop => CancelNoop,
    context_mismatch_accepted => ContextMismatchAccepted,
    push_no_auth => PushNoAuth,
    leak_other_tenants_tasks => LeakOtherTenantsTasks,
    legacy_03_method_internal_error => Legacy03MethodInternalError,
    reject_patch_version => RejectPatchVersion,
    rest_error_problem_json => RestErrorProblemJson,
    no_size_limit => NoSizeLimit,
    unnamed_field_violations => UnnamedFieldViolations,
    push_no_retry => PushNoRetry,
    empty_error_message => EmptyErrorMessage,
    cancel_terminal => CancelTerminal,
    no_auth_challenge => NoAuthChallenge,
    invalid_token_accepted => InvalidTokenAccepted,
    untyped_error_detail => UntypedErrorDetail,
    push_plain_json => PushPlainJson,
    push_one_config_per_task => PushOneConfigPerTask,
    rest_gets_unauthenticated => RestGetsUnauthenticated,
    truncate_stored_artifact => TruncateStoredArtifact,
    follow_up_status_first => FollowUpStatusFirst,
    subscribe_refuses_interrupted => SubscribeRefusesInterrupted,
    list_default_page_unbounded => ListDefaultPageUnbounded,
}

/// Faults aimed at single rows: each listed row must itself turn FAIL on every binding (a
/// group-level catch could come from another row of the group).
const ROW_CONTROLS: &[(Fault, &[&str])] = &[
    (Fault::TruncateStoredArtifact, &["STRM-009", "SEND-004"]),
    (Fault::FollowUpStatusFirst, &["STRM-001"]),
    (Fault::SubscribeRefusesInterrupted, &["SUB-001"]),
    (Fault::ListDefaultPageUnbounded, &["LIST-008"]),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_faults_fail_the_rows_they_target() {
    for (fault, rows) in ROW_CONTROLS {
        let report = run(Some(*fault), Setup::Default, rows).await;
        for row in *rows {
            let verdicts: Vec<String> = report
                .results
                .iter()
                .filter(|r| r.id == *row)
                .map(|r| format!("{} {}: {}", r.verdict.as_str(), r.name(), r.summary))
                .collect();
            assert!(
                verdicts.len() == 2 && verdicts.iter().all(|v| v.starts_with("FAIL")),
                "{fault} must fail {row} on both bindings:\n{}",
                verdicts.join("\n")
            );
        }
    }
}
