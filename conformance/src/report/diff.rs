//! `gauntlet report diff OLD.json NEW.json`: what changed between two runs, row by row (a row is
//! a case on a binding): new deviations, fixed ones, verdicts that moved, the same verdict with
//! other evidence, and rows that appear in only one run.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::case::Verdict;
use crate::report::{CaseResult, RunReport};

/// Whether a verdict reports a deviation (something a reader has to look at).
fn deviates(v: Verdict) -> bool {
    matches!(
        v,
        Verdict::Fail | Verdict::Error | Verdict::Untested | Verdict::NonStrict
    )
}

/// One row present in both runs whose result moved.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// `ID[binding]`.
    pub name: String,
    /// Verdict in the old run.
    pub old: Verdict,
    /// Verdict in the new run.
    pub new: Verdict,
    /// The old run's summary.
    pub old_summary: String,
    /// The new run's summary.
    pub new_summary: String,
}

/// What changed between two runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diff {
    /// Rows that deviate now and did not before (or deviate worse).
    pub new_failures: Vec<Change>,
    /// Rows that deviated before and do not now.
    pub fixed: Vec<Change>,
    /// Rows whose verdict moved otherwise (e.g. PASS to NOT-APPLICABLE, or a milder deviation).
    pub moved: Vec<Change>,
    /// Rows that deviate in both runs with the same verdict but other evidence.
    pub changed_evidence: Vec<Change>,
    /// Rows only in the new run.
    pub added: Vec<String>,
    /// Rows only in the old run.
    pub removed: Vec<String>,
}

impl Diff {
    /// Compares two runs.
    pub fn of(old: &RunReport, new: &RunReport) -> Diff {
        let index = |r: &RunReport| -> BTreeMap<String, usize> {
            r.results
                .iter()
                .enumerate()
                .map(|(i, c)| (c.name(), i))
                .collect()
        };
        let (oi, ni) = (index(old), index(new));
        let mut d = Diff::default();
        // Walk the new run in its (catalogue) order, then what only the old one has.
        for n in &new.results {
            let name = n.name();
            let Some(&i) = oi.get(&name) else {
                d.added.push(name);
                continue;
            };
            let o = &old.results[i];
            let change = || Change {
                name: name.clone(),
                old: o.verdict,
                new: n.verdict,
                old_summary: o.summary.clone(),
                new_summary: n.summary.clone(),
            };
            let (was, is) = (deviates(o.verdict), deviates(n.verdict));
            if o.verdict == n.verdict {
                if is && evidence(o) != evidence(n) {
                    d.changed_evidence.push(change());
                }
            } else if is && (!was || n.verdict.severity() > o.verdict.severity()) {
                d.new_failures.push(change());
            } else if was && !is {
                d.fixed.push(change());
            } else {
                d.moved.push(change());
            }
        }
        d.removed = old
            .results
            .iter()
            .map(CaseResult::name)
            .filter(|n| !ni.contains_key(n))
            .collect();
        d
    }

    /// Whether the new run deviates anywhere the old one did not.
    pub fn regressed(&self) -> bool {
        !self.new_failures.is_empty()
    }

    /// The diff for a terminal: one section per kind of change, empty ones left out.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let section = |out: &mut String, title: &str, rows: &[Change]| {
            if rows.is_empty() {
                return;
            }
            let _ = writeln!(out, "{title} ({}):", rows.len());
            for c in rows {
                let _ = writeln!(
                    out,
                    "  {:<24} {} -> {}: {}",
                    c.name,
                    c.old.as_str(),
                    c.new.as_str(),
                    c.new_summary
                );
            }
        };
        section(&mut out, "New deviations", &self.new_failures);
        section(&mut out, "Fixed", &self.fixed);
        section(&mut out, "Verdict moved", &self.moved);
        section(
            &mut out,
            "Same verdict, other evidence",
            &self.changed_evidence,
        );
        for (title, rows) in [
            ("Only in the new run", &self.added),
            ("Only in the old run", &self.removed),
        ] {
            if !rows.is_empty() {
                let _ = writeln!(out, "{title} ({}): {}", rows.len(), rows.join(" "));
            }
        }
        let _ = writeln!(
            out,
            "gauntlet: {} new, {} fixed, {} moved, {} with other evidence",
            self.new_failures.len(),
            self.fixed.len(),
            self.moved.len(),
            self.changed_evidence.len()
        );
        out
    }
}

/// What a reader compares between two deviating results: the summary and the evidence, with
/// what differs in every run anyway (ids, ports, times: any digits) folded away.
fn evidence(r: &CaseResult) -> [String; 3] {
    [
        normalize(&r.summary),
        normalize(r.expected.as_deref().unwrap_or_default()),
        normalize(r.observed.as_deref().unwrap_or_default()),
    ]
}

/// Replaces every run of hex-ish characters that holds a digit (uuids, ports, durations) by `#`.
fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |out: &mut String, run: &mut String| {
        if run.bytes().any(|b| b.is_ascii_digit()) {
            out.push('#');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        if c.is_ascii_hexdigit() || (c == '-' && !run.is_empty()) || (c == '.' && !run.is_empty()) {
            run.push(c);
        } else {
            flush(&mut out, &mut run);
            out.push(c);
        }
    }
    flush(&mut out, &mut run);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Binding;
    use crate::report::fixture::{self, run};

    fn row(id: &str, verdict: Verdict, summary: &str) -> CaseResult {
        fixture::result(id, Some(Binding::JsonRpc), verdict, summary)
    }

    #[test]
    fn each_kind_of_change_lands_in_its_own_list() {
        let old = run(vec![
            row("A-001", Verdict::Pass, "ok"),
            row("A-002", Verdict::Fail, "broken"),
            row(
                "A-003",
                Verdict::NonStrict,
                "task 1f2e3d4c-0000-4000-8000-000000000001 late",
            ),
            row("A-004", Verdict::NonStrict, "late"),
            row("A-005", Verdict::Fail, "wrong code"),
            row("A-006", Verdict::Pass, "ok"),
            row("A-009", Verdict::Pass, "ok"),
        ]);
        let new = run(vec![
            row("A-001", Verdict::Fail, "now broken"),
            row("A-002", Verdict::Pass, "ok"),
            row(
                "A-003",
                Verdict::NonStrict,
                "task 99999999-0000-4000-8000-000000000002 late",
            ),
            row("A-004", Verdict::Fail, "broken"),
            row("A-005", Verdict::Fail, "another wrong code"),
            row("A-006", Verdict::NotApplicable, "off"),
            row("A-010", Verdict::Pass, "ok"),
        ]);
        let d = Diff::of(&old, &new);
        let names = |cs: &[Change]| cs.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&d.new_failures), ["A-001[jsonrpc]", "A-004[jsonrpc]"]);
        assert_eq!(names(&d.fixed), ["A-002[jsonrpc]"]);
        assert_eq!(names(&d.moved), ["A-006[jsonrpc]"]);
        // A-003 differs only by a run-unique id: not a change.
        assert_eq!(names(&d.changed_evidence), ["A-005[jsonrpc]"]);
        assert_eq!(d.added, ["A-010[jsonrpc]"]);
        assert_eq!(d.removed, ["A-009[jsonrpc]"]);
        assert!(d.regressed());
        let text = d.render();
        assert!(text.contains("New deviations (2):"), "{text}");
        assert!(
            text.ends_with("gauntlet: 2 new, 1 fixed, 1 moved, 1 with other evidence\n"),
            "{text}"
        );
        assert!(!Diff::of(&new, &new).regressed());
    }
}
