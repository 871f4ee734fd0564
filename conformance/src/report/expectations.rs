//! Expectation files (`fixtures/expectations/*.json`, read by `interop/compare.py` too): the
//! deviations a server is known to have, each with its spec clause and a `reason`. This module
//! is the Rust side of that format, so `--expect`, `--write-expect` and `compare.py` agree:
//!
//! * a *deviation* is a result whose verdict is in `tracked_verdicts` (default FAIL,
//!   NON-STRICT, ERROR), keyed by its name `ID[binding]` (or `ID`);
//! * a section (`check`, `chaos`, `check-capabilities-off`, …) lists entries
//!   `{case, bindings?, verdict, spec, reason}`; an entry with `bindings` stands for one name per
//!   binding;
//! * `unstable` (timing-dependent) and `suspected_suite_bugs` entries are shown, never counted.
//!
//! One deliberate difference from `compare.py`: a listed entry whose result is not in this run
//! at all (not selected, another `--shard`) is *absent*, not a change, so a partial run can use
//! the whole file.

use std::path::Path;

use serde_json::{json, Map, Value};

use crate::case::Verdict;
use crate::report::{parse_verdict, CaseResult, RunReport};

/// The verdicts that are deviations when a file does not say (`tracked_verdicts`).
pub const DEFAULT_TRACKED: [Verdict; 4] = [
    Verdict::Fail,
    Verdict::NonStrict,
    Verdict::Untested,
    Verdict::Error,
];

/// The `reason` that `--write-expect` leaves for a person to fill in.
pub const TODO_REASON: &str = "TODO: why";

/// One entry of a section.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The case or scenario id.
    pub case: String,
    /// Bindings (short names); empty: the binding-independent result `ID`.
    pub bindings: Vec<String>,
    /// The expected verdict label, if given.
    pub verdict: Option<String>,
    /// The clause it breaks.
    pub spec: Option<String>,
    /// Why the server deviates.
    pub reason: String,
}

impl Entry {
    /// The result names this entry stands for.
    pub fn names(&self) -> Vec<String> {
        if self.bindings.is_empty() {
            return vec![self.case.clone()];
        }
        self.bindings
            .iter()
            .map(|b| format!("{}[{b}]", self.case))
            .collect()
    }

    fn parse(v: &Value, where_: &str) -> Result<Entry, String> {
        let case = v
            .get("case")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{where_} has no \"case\" string"))?;
        let bindings = match v.get("bindings") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|b| b.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| format!("{where_} ({case}) has a non-string binding"))?,
            Some(_) => {
                return Err(format!(
                    "{where_} ({case}) has \"bindings\" that is not a list"
                ))
            }
        };
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        Ok(Entry {
            case: case.to_owned(),
            bindings,
            verdict: text("verdict"),
            spec: text("spec"),
            reason: text("reason").unwrap_or_default(),
        })
    }
}

/// A parsed expectation file.
#[derive(Debug, Clone)]
pub struct Expectations {
    /// `implementation`: what server the file describes.
    pub implementation: Option<String>,
    /// `tracked_verdicts`.
    pub tracked: Vec<Verdict>,
    doc: Map<String, Value>,
}

/// How one run compares with one section of a file.
#[derive(Debug, Clone)]
pub struct Comparison<'a> {
    /// The section compared (`check`, `chaos`, …).
    pub section: String,
    /// Listed deviations seen again with the listed verdict.
    pub known: Vec<(&'a CaseResult, Entry)>,
    /// Deviations the section does not list: a change.
    pub new: Vec<&'a CaseResult>,
    /// Listed deviations seen with another tracked verdict: a change.
    pub moved: Vec<(&'a CaseResult, Entry)>,
    /// Listed deviations that ran and no longer deviate (the entry is stale): a change.
    pub stale: Vec<(&'a CaseResult, Entry)>,
    /// Deviations listed under `unstable` or `suspected_suite_bugs`: shown, never counted.
    pub excused: Vec<(&'a CaseResult, Entry, &'static str)>,
    /// Listed names with no result in this run (not selected, another shard): not counted.
    pub absent: Vec<String>,
}

impl Comparison<'_> {
    /// New, moved and stale entries: each makes the exit code 1.
    pub fn changes(&self) -> usize {
        self.new.len() + self.moved.len() + self.stale.len()
    }
}

impl Expectations {
    /// Parses the text of a file; the error is one sentence.
    pub fn parse(text: &str) -> Result<Self, String> {
        let doc = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err("an expectation file must be a JSON object".to_owned()),
            Err(e) => return Err(format!("it is not JSON ({e})")),
        };
        let tracked = match doc.get("tracked_verdicts") {
            None => DEFAULT_TRACKED.to_vec(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .and_then(parse_verdict)
                        .ok_or_else(|| format!("tracked_verdicts holds {v}, which is no verdict"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("tracked_verdicts must be a list of verdicts".to_owned()),
        };
        let out = Self {
            implementation: doc
                .get("implementation")
                .and_then(Value::as_str)
                .map(str::to_owned),
            tracked,
            doc,
        };
        // Every list of entries must parse, so a typo is found before the run.
        for (key, v) in &out.doc {
            if v.as_array().is_some_and(|a| a.iter().all(Value::is_object)) {
                out.entries(key)?;
            }
        }
        Ok(out)
    }

    /// Reads and parses `path`; the error is one sentence naming it.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the expectation file {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The entries of `section`; a missing section is empty (as in `compare.py`).
    pub fn entries(&self, section: &str) -> Result<Vec<Entry>, String> {
        match self.doc.get(section) {
            None => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, v)| Entry::parse(v, &format!("entry {} of \"{section}\"", i + 1)))
                .collect(),
            Some(_) => Err(format!("\"{section}\" is not a list of entries")),
        }
    }

    fn by_name(&self, section: &str) -> Vec<(String, Entry)> {
        let mut out = Vec::new();
        for e in self.entries(section).unwrap_or_default() {
            for n in e.names() {
                out.push((n, e.clone()));
            }
        }
        out
    }

    /// Whether `r` is a deviation under this file's `tracked_verdicts`.
    pub fn tracks(&self, r: &CaseResult) -> bool {
        self.tracked.contains(&r.verdict)
    }

    /// Compares `report` with `section`.
    pub fn compare<'a>(&self, section: &str, report: &'a RunReport) -> Comparison<'a> {
        let expected = self.by_name(section);
        let unstable = self.by_name("unstable");
        let suspected = self.by_name("suspected_suite_bugs");
        let find = |list: &[(String, Entry)], name: &str| {
            list.iter().find(|(n, _)| n == name).map(|(_, e)| e.clone())
        };
        let mut c = Comparison {
            section: section.to_owned(),
            known: Vec::new(),
            new: Vec::new(),
            moved: Vec::new(),
            stale: Vec::new(),
            excused: Vec::new(),
            absent: Vec::new(),
        };
        for r in &report.results {
            let name = r.name();
            let listed = find(&expected, &name);
            if self.tracks(r) {
                if let Some(e) = find(&unstable, &name) {
                    c.excused.push((r, e, "timing-dependent"));
                } else if let Some(e) = find(&suspected, &name) {
                    c.excused.push((r, e, "suspected suite bug"));
                } else {
                    match listed {
                        None => c.new.push(r),
                        // An entry without a verdict never matches, as in compare.py.
                        Some(e)
                            if !e
                                .verdict
                                .as_deref()
                                .is_some_and(|v| v.eq_ignore_ascii_case(r.verdict.as_str())) =>
                        {
                            c.moved.push((r, e))
                        }
                        Some(e) => c.known.push((r, e)),
                    }
                }
            } else if let Some(e) = listed {
                c.stale.push((r, e));
            }
        }
        for (name, _) in &expected {
            if !report.results.iter().any(|r| r.name() == *name) {
                c.absent.push(name.clone());
            }
        }
        c
    }
}

/// Today's deviations of `report` as a starting expectation file: one `section` list (grouped
/// by case and verdict, names in sorted order, as `compare.py --write-skeleton` does), every
/// `reason` left as [`TODO_REASON`]. With `file`, its tracked verdicts apply and its `unstable`
/// and `suspected_suite_bugs` results are left out.
pub fn skeleton(report: &RunReport, section: &str, file: Option<&Expectations>) -> Value {
    let tracked = file.map_or(DEFAULT_TRACKED.to_vec(), |f| f.tracked.clone());
    let excused: Vec<String> = file
        .map(|f| {
            let mut v: Vec<String> = f.by_name("unstable").into_iter().map(|(n, _)| n).collect();
            v.extend(
                f.by_name("suspected_suite_bugs")
                    .into_iter()
                    .map(|(n, _)| n),
            );
            v
        })
        .unwrap_or_default();
    let mut devs: Vec<&CaseResult> = report
        .results
        .iter()
        .filter(|r| tracked.contains(&r.verdict) && !excused.contains(&r.name()))
        .collect();
    devs.sort_by_key(|r| r.name());
    let mut entries: Vec<(String, Verdict, Map<String, Value>)> = Vec::new();
    for r in devs {
        let i = match entries
            .iter()
            .position(|(id, v, _)| *id == r.id && *v == r.verdict)
        {
            Some(i) => i,
            None => {
                let mut m = Map::new();
                m.insert("case".into(), json!(r.id));
                m.insert("bindings".into(), json!([]));
                m.insert("verdict".into(), json!(r.verdict.as_str()));
                m.insert("spec".into(), json!(r.spec));
                m.insert("reason".into(), json!(TODO_REASON));
                entries.push((r.id.clone(), r.verdict, m));
                entries.len() - 1
            }
        };
        if let (Some(b), Some(Value::Array(list))) = (r.binding, entries[i].2.get_mut("bindings")) {
            list.push(json!(b.short()));
        }
    }
    let list: Vec<Value> = entries
        .into_iter()
        .map(|(_, _, mut m)| {
            if m.get("bindings")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty)
            {
                m.remove("bindings");
            }
            Value::Object(m)
        })
        .collect();
    let mut doc = Map::new();
    doc.insert(
        "implementation".into(),
        json!(format!("TODO: the server under test ({})", report.target)),
    );
    doc.insert(
        "tracked_verdicts".into(),
        json!(tracked.iter().map(|v| v.as_str()).collect::<Vec<_>>()),
    );
    doc.insert(section.into(), Value::Array(list));
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Binding;
    use crate::report::fixture;

    fn result(id: &str, binding: Option<Binding>, verdict: Verdict) -> CaseResult {
        fixture::result(id, binding, verdict, "s")
    }

    fn report(results: Vec<CaseResult>) -> RunReport {
        fixture::run(results)
    }

    #[test]
    fn the_committed_expectation_files_parse() {
        for text in [
            include_str!("../../../fixtures/expectations/a2a-js-1.3.0.json"),
            include_str!("../../../fixtures/expectations/a2a-python-1.3.0.json"),
        ] {
            let f = Expectations::parse(text).expect("a fixture parses");
            assert!(!f.entries("check").expect("a check list").is_empty());
            assert_eq!(f.tracked, DEFAULT_TRACKED.to_vec());
        }
    }

    #[test]
    fn known_new_moved_stale_excused_and_absent_are_told_apart() {
        let file = Expectations::parse(
            r#"{"check": [
                {"case": "A-001", "bindings": ["jsonrpc", "rest"], "verdict": "FAIL", "reason": "a"},
                {"case": "B-001", "verdict": "FAIL", "reason": "b"},
                {"case": "C-001", "verdict": "FAIL", "reason": "c"},
                {"case": "Z-001", "verdict": "FAIL", "reason": "not run"}
            ], "unstable": [{"case": "U-001", "reason": "timing"}]}"#,
        )
        .expect("parses");
        let r = report(vec![
            result("A-001", Some(Binding::JsonRpc), Verdict::Fail),
            result("A-001", Some(Binding::Rest), Verdict::Pass),
            result("B-001", None, Verdict::NonStrict),
            result("C-001", None, Verdict::Fail),
            result("N-001", None, Verdict::Error),
            result("U-001", None, Verdict::Fail),
            result("P-001", None, Verdict::Informational),
        ]);
        let c = file.compare("check", &r);
        let names =
            |v: &[(&CaseResult, Entry)]| v.iter().map(|(r, _)| r.name()).collect::<Vec<_>>();
        assert_eq!(names(&c.known), ["A-001[jsonrpc]", "C-001"]);
        assert_eq!(names(&c.stale), ["A-001[rest]"]);
        assert_eq!(names(&c.moved), ["B-001"]);
        assert_eq!(
            c.new.iter().map(|r| r.name()).collect::<Vec<_>>(),
            ["N-001"]
        );
        assert_eq!(c.excused.len(), 1);
        assert_eq!(c.absent, ["Z-001"]);
        assert_eq!(c.changes(), 3);
        let skel = skeleton(&r, "check", Some(&file));
        let cases: Vec<&str> = skel["check"]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|e| e["case"].as_str())
            .collect();
        assert_eq!(
            cases,
            ["A-001", "B-001", "C-001", "N-001"],
            "U-001 is excused"
        );
        assert_eq!(skel["check"][0]["bindings"], json!(["jsonrpc"]));
        assert!(skel["check"][1].get("bindings").is_none());
    }

    #[test]
    fn a_malformed_entry_is_refused_with_its_place() {
        let err =
            Expectations::parse(r#"{"check": [{"bindings": ["rest"]}]}"#).expect_err("no case");
        assert!(err.contains("entry 1 of \"check\""), "{err}");
        assert!(Expectations::parse(r#"{"tracked_verdicts": ["SORT-OF"]}"#).is_err());
    }
}
