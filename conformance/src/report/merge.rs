//! `gauntlet report merge`: joins JSON reports (`--shard K/N` runs, or runs of disjoint
//! selections) into one report and one verdict.
//!
//! Each file is read back into a [`RunReport`] (everything but the transcripts, which are
//! carried over as JSON unchanged), the results are put back in catalogue order, and the merged
//! report is written with [`super::json`] like any other. Refused, with one sentence: a file
//! that is not a `gauntlet-report/2` report, reports of different suite versions, a result that
//! appears in two files, and a set of shard reports with one missing or repeated.

use std::time::Duration;

use serde_json::Value;

use crate::case::Binding;
use crate::report::json::SCHEMA;
use crate::report::{parse_binding, parse_level, parse_verdict, CaseResult, Deviation, RunReport};

/// The merged run, and its JSON document (transcripts included).
#[derive(Debug, Clone)]
pub struct Merged {
    /// The merged run (without transcripts).
    pub report: RunReport,
    /// The merged JSON report.
    pub json: Value,
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn opt_text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn duration(v: &Value) -> Duration {
    let ms = v.get("durationMs").and_then(Value::as_f64).unwrap_or(0.0);
    Duration::from_secs_f64((ms / 1000.0).max(0.0))
}

/// One result of a JSON report, without its transcript.
fn result_of(v: &Value, file: &str, i: usize) -> Result<CaseResult, String> {
    let bad = |what: &str| format!("{file}: result {} has {what}", i + 1);
    let id = opt_text(v, "id").ok_or_else(|| bad("no id"))?;
    let binding: Option<Binding> = match v.get("binding") {
        None | Some(Value::Null) => None,
        Some(b) => Some(
            b.as_str()
                .and_then(parse_binding)
                .ok_or_else(|| bad("an unknown binding"))?,
        ),
    };
    let level = parse_level(&text(v, "level")).ok_or_else(|| bad("an unknown level"))?;
    let verdict = parse_verdict(&text(v, "verdict")).ok_or_else(|| bad("an unknown verdict"))?;
    let deviations = v
        .get("deviations")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|d| {
                    Ok(Deviation {
                        verdict: parse_verdict(&text(d, "verdict"))
                            .ok_or_else(|| bad("a deviation with an unknown verdict"))?,
                        summary: text(d, "summary"),
                        expected: opt_text(d, "expected"),
                        observed: opt_text(d, "observed"),
                    })
                })
                .collect::<Result<Vec<_>, String>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok(CaseResult {
        id,
        binding,
        level,
        verdict,
        title: text(v, "title"),
        requirement: text(v, "requirement"),
        spec: text(v, "spec"),
        summary: text(v, "summary"),
        expected: opt_text(v, "expected"),
        observed: opt_text(v, "observed"),
        deviations,
        transcript: Vec::new(),
        duration: duration(v),
    })
}

/// The `shard` member of a report: `(index, count)`.
fn shard_of(doc: &Value) -> Option<(u64, u64)> {
    let s = doc.get("shard")?;
    Some((s.get("index")?.as_u64()?, s.get("count")?.as_u64()?))
}

/// Checks that shard reports are all there, once each.
fn shards_complete(files: &[(String, Value)]) -> Result<(), String> {
    let shards: Vec<Option<(u64, u64)>> = files.iter().map(|(_, d)| shard_of(d)).collect();
    if shards.iter().all(Option::is_none) {
        return Ok(());
    }
    if let Some(i) = shards.iter().position(Option::is_none) {
        return Err(format!(
            "{} is not a shard report but the others are: merge the shards of one run",
            files[i].0
        ));
    }
    let shards: Vec<(u64, u64)> = shards.into_iter().flatten().collect();
    let count = shards[0].1;
    if let Some(i) = shards.iter().position(|s| s.1 != count) {
        return Err(format!(
            "{} is shard {}/{} but {} is shard {}/{count}: merge the shards of one run",
            files[i].0, shards[i].0, shards[i].1, files[0].0, shards[0].0
        ));
    }
    for k in 1..=count {
        let holders: Vec<&str> = shards
            .iter()
            .zip(files)
            .filter(|(s, _)| s.0 == k)
            .map(|(_, (p, _))| p.as_str())
            .collect();
        match holders.len() {
            1 => {}
            0 => {
                return Err(format!(
                    "shard {k}/{count} is missing: pass every shard's report"
                ))
            }
            _ => {
                return Err(format!(
                    "shard {k}/{count} is given twice ({})",
                    holders.join(", ")
                ))
            }
        }
    }
    Ok(())
}

/// Reads one JSON report (`path` names it in errors) back into a [`RunReport`], without its
/// transcripts: what `report diff` and `report html` compare.
pub fn read(path: &str, doc: &Value) -> Result<RunReport, String> {
    if doc.get("schema").and_then(Value::as_str) != Some(SCHEMA) {
        return Err(format!("{path} is not a {SCHEMA} JSON report"));
    }
    let results = doc
        .get("results")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{path} has no results list"))?
        .iter()
        .enumerate()
        .map(|(i, v)| result_of(v, path, i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RunReport {
        target: text(doc, "target"),
        card: doc.get("card").cloned().filter(|c| !c.is_null()),
        suite_version: text(doc, "suiteVersion"),
        started_at: text(doc, "startedAt"),
        duration: duration(doc),
        results,
    })
}

/// Merges `files` (path, parsed JSON) in the order given; `catalogue` is the id order results
/// are put back in (ids it lacks, such as chaos scenarios, keep their order after the rest).
pub fn merge(files: &[(String, Value)], catalogue: &[&str]) -> Result<Merged, String> {
    let Some((first_path, first)) = files.first() else {
        return Err("report merge needs at least one JSON report".to_owned());
    };
    let runs = files
        .iter()
        .map(|(path, doc)| read(path, doc))
        .collect::<Result<Vec<_>, _>>()?;
    for ((path, _), run) in files.iter().zip(&runs) {
        if run.suite_version != runs[0].suite_version {
            return Err(format!(
                "{path} was written by suite {} but {first_path} by {}: merge reports of one suite",
                run.suite_version, runs[0].suite_version
            ));
        }
    }
    shards_complete(files)?;
    // (result, its transcript JSON, the file it came from)
    let mut rows: Vec<(CaseResult, Value, &str)> = Vec::new();
    for ((path, doc), run) in files.iter().zip(runs) {
        // `read` found the results list, one result per entry.
        let entries = doc["results"].as_array().map_or(&[][..], Vec::as_slice);
        for (r, v) in run.results.into_iter().zip(entries) {
            if let Some((_, _, other)) = rows.iter().find(|(o, _, _)| o.name() == r.name()) {
                return Err(format!(
                    "{} is in both {other} and {path}: the reports overlap",
                    r.name()
                ));
            }
            let transcript = v
                .get("transcript")
                .cloned()
                .unwrap_or(Value::Array(Vec::new()));
            rows.push((r, transcript, path.as_str()));
        }
    }
    let position = |r: &CaseResult| {
        let id = catalogue
            .iter()
            .position(|c| *c == r.id)
            .unwrap_or(usize::MAX);
        let b = r
            .binding
            .and_then(|b| Binding::ALL.iter().position(|x| *x == b))
            .map_or(0, |i| i + 1);
        (id, b)
    };
    // Stable: results the catalogue does not know keep their input order.
    rows.sort_by_key(|(r, _, _)| position(r));
    let mut targets: Vec<String> = Vec::new();
    for (_, doc) in files {
        let t = text(doc, "target");
        if !targets.contains(&t) {
            targets.push(t);
        }
    }
    let started_at = files
        .iter()
        .map(|(_, d)| text(d, "startedAt"))
        .min()
        .unwrap_or_default();
    let report = RunReport {
        target: targets.join(", "),
        card: first.get("card").cloned().filter(|c| !c.is_null()),
        suite_version: text(first, "suiteVersion"),
        started_at,
        // Shards run side by side: the merged run took as long as the longest one.
        duration: files
            .iter()
            .map(|(_, d)| duration(d))
            .max()
            .unwrap_or_default(),
        results: rows.iter().map(|(r, _, _)| r.clone()).collect(),
    };
    let mut json = super::json::to_value(&report);
    if let Some(results) = json.get_mut("results").and_then(Value::as_array_mut) {
        for (out, (_, transcript, _)) in results.iter_mut().zip(&rows) {
            if let Some(o) = out.as_object_mut() {
                o.insert("transcript".to_owned(), transcript.clone());
            }
        }
    }
    Ok(Merged { report, json })
}
