//! The catalogue against the digest: every case id is unique and well-formed, and the ids are
//! exactly the rows of the digest's §9 checklist, no more and no fewer.

use std::collections::BTreeSet;

use gauntlet_conformance::cases::catalogue;

/// The spec digest, beside the repository.
const DIGEST: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/spec/A2A-1.0-digest.md"
);

/// Whether `id` is an upper-case prefix, a dash and three digits (`JRPC-005`).
fn well_formed(id: &str) -> bool {
    let Some((prefix, number)) = id.split_once('-') else {
        return false;
    };
    !prefix.is_empty()
        && prefix.bytes().all(|b| b.is_ascii_uppercase())
        && number.len() == 3
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// The ids of the rows of the digest's §9 tables (lines starting `| ID-NNN`).
fn checklist_ids(digest: &str) -> Vec<String> {
    let start = digest
        .find("\n## 9.")
        .expect("the digest has a §9 checklist");
    let section = &digest[start + 1..];
    let end = section.find("\n## ").unwrap_or(section.len());
    section[..end]
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(' ').next())
        .filter(|id| well_formed(id))
        .map(str::to_owned)
        .collect()
}

#[test]
fn case_ids_are_unique_well_formed_and_exactly_the_digests_checklist_rows() {
    let ids: Vec<&str> = catalogue().iter().map(|c| c.id).collect();
    let mut seen = BTreeSet::new();
    let repeated: Vec<&str> = ids.iter().copied().filter(|id| !seen.insert(*id)).collect();
    assert!(repeated.is_empty(), "case ids declared twice: {repeated:?}");
    let malformed: Vec<&str> = ids.iter().copied().filter(|id| !well_formed(id)).collect();
    assert!(
        malformed.is_empty(),
        "case ids not of the form PREFIX-NNN: {malformed:?}"
    );

    let text = std::fs::read_to_string(DIGEST).expect("the spec digest beside the repository");
    let rows = checklist_ids(&text);
    assert!(!rows.is_empty(), "no §9 checklist rows found in {DIGEST}");
    let rows: BTreeSet<&str> = rows.iter().map(String::as_str).collect();
    let cases: BTreeSet<&str> = ids.iter().copied().collect();
    let missing: Vec<&str> = rows.difference(&cases).copied().collect();
    let extra: Vec<&str> = cases.difference(&rows).copied().collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "the catalogue and the digest's §9 checklist differ: rows without a case {missing:?}, \
         cases without a row {extra:?}"
    );
}
