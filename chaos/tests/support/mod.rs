//! What both chaos test binaries share: how a judged scenario is shown when a test fails.

use gauntlet_conformance::report::CaseResult;

/// Prints `r` (scenario `id`) to stderr, so a failing assertion shows what was judged.
pub fn show(id: &str, r: &CaseResult) {
    eprintln!(
        "{id}: {} in {:?} — {}\n  expected: {:?}\n  observed: {:?}",
        r.verdict.as_str(),
        r.duration,
        r.summary,
        r.expected,
        r.observed
    );
}
