#!/usr/bin/env python3
"""Compares a gauntlet run report with a server's expectation file.

    compare.py EXPECTATIONS CHECK_JSON [--report SECTION JSON]... [--chaos CHAOS_JSON]
               [--write-skeleton FILE]

CHECK_JSON is compared with the file's `check` list, each `--report SECTION
JSON` with its SECTION list (for example `check-capabilities-off`), and
`--chaos` with `chaos`.

A *deviation* is a result whose verdict is FAIL, NON-STRICT or ERROR (see
`tracked_verdicts` in the expectation file). PASS, INFORMATIONAL and
NOT-APPLICABLE are not deviations. Results are keyed `ID[binding]` (or `ID`
for binding-independent cases), the names used in JUnit and `gauntlet list`.

Exit status:
  0  the set of deviations (name and verdict) is exactly the expected one;
  1  it changed: a new deviation, a fixed one, or a verdict that moved;
  2  usage error or an unreadable file.

The diff is printed either way, with each expected entry's reason, so a
change is explained in the log.

An expectation file may also list, under `unstable`, results whose verdict
depends on timing (`{"case", "bindings", "reason"}`): such a result may pass
or deviate from run to run. It is printed when it deviates, never counted as
a change, and never listed under a section. `suspected_suite_bugs` has the same
shape (plus `verdict`): results the suite gets wrong on this server, pending a fix
in the suite; they are printed, never counted, and may disappear without notice.
`--write-skeleton` writes the observed
deviations in expectation-file form (reasons left as TODO) to start or
refresh a file by hand.

Standard library only: it runs on any Python 3.9+.
"""

from __future__ import annotations

import argparse
import json
import sys

from pathlib import Path


DEFAULT_TRACKED = ('FAIL', 'NON-STRICT', 'UNTESTED', 'ERROR')


def load_json(path: str) -> object:
    try:
        return json.loads(Path(path).read_text(encoding='utf-8'))
    except (OSError, ValueError) as e:
        print(f'compare: cannot read {path}: {e}', file=sys.stderr)
        sys.exit(2)


def result_name(result: dict) -> str:
    """`ID[binding]`, or `ID` when the result has no binding."""
    if isinstance(result.get('name'), str) and result['name']:
        return result['name']
    case_id = str(result.get('id', '?'))
    binding = result.get('binding')
    return f'{case_id}[{binding}]' if binding else case_id


def report_results(report: object, path: str) -> list[dict]:
    """The per-case results of a run report (conformance/REPORT.md)."""
    if isinstance(report, dict):
        for key in ('results', 'cases', 'scenarios'):
            if isinstance(report.get(key), list):
                return [r for r in report[key] if isinstance(r, dict)]
    if isinstance(report, list):
        return [r for r in report if isinstance(r, dict)]
    print(f'compare: {path}: no results list found', file=sys.stderr)
    sys.exit(2)


def observed_deviations(
    results: list[dict], tracked: set[str]
) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for r in results:
        verdict = str(r.get('verdict', '')).upper()
        if verdict in tracked:
            out[result_name(r)] = r
    return out


def expected_deviations(entries: list[dict]) -> dict[str, dict]:
    """Expands `{case, bindings: [...]}` entries to one entry per name."""
    out: dict[str, dict] = {}
    for entry in entries:
        case_id = entry['case']
        bindings = entry.get('bindings') or [None]
        for binding in bindings:
            name = f'{case_id}[{binding}]' if binding else case_id
            out[name] = entry
    return out


def compare(
    section: str,
    expected: dict[str, dict],
    observed: dict[str, dict],
    all_names: set[str],
    unstable: dict[str, dict],
    suspected: dict[str, dict],
) -> int:
    """Prints the diff of one section; returns the number of changes."""
    changes = 0
    for name in sorted(set(observed) & set(unstable)):
        r = observed.pop(name)
        print(
            f'  unstable {section} {name}: {r.get("verdict")} — {r.get("summary", "")}'
            f' (timing-dependent: {unstable[name].get("reason", "")})'
        )
    for name in sorted(set(observed) & set(suspected)):
        r = observed.pop(name)
        print(
            f'  suite?   {section} {name}: {r.get("verdict")} — {r.get("summary", "")}'
            f' (suspected suite bug: {suspected[name].get("reason", "")})'
        )
    new = sorted(set(observed) - set(expected))
    fixed = sorted(set(expected) - set(observed))
    moved = sorted(
        name
        for name in set(expected) & set(observed)
        if str(observed[name].get('verdict', '')).upper()
        != str(expected[name].get('verdict', '')).upper()
    )
    for name in new:
        r = observed[name]
        detail = r.get('summary') or r.get('observed') or ''
        print(f'  NEW    {section} {name}: {r.get("verdict")} — {detail}')
        changes += 1
    for name in fixed:
        e = expected[name]
        where = (
            'now passes or is no longer a deviation'
            if name in all_names
            else 'not in this run (renamed, removed or not selected)'
        )
        print(
            f'  FIXED  {section} {name}: expected {e.get("verdict")}, {where}'
            f' — was: {e.get("reason", "")}'
        )
        changes += 1
    for name in moved:
        print(
            f'  MOVED  {section} {name}: expected {expected[name].get("verdict")},'
            f' got {observed[name].get("verdict")}'
        )
        changes += 1
    kept = sorted((set(expected) & set(observed)) - set(moved))
    for name in kept:
        e = expected[name]
        print(
            f'  known  {section} {name}: {e.get("verdict")} [{e.get("spec", "")}]'
            f' {e.get("reason", "")}'
        )
    return changes


def skeleton(observed: dict[str, dict]) -> list[dict]:
    by_case: dict[tuple[str, str], dict] = {}
    for name, r in sorted(observed.items()):
        key = (str(r.get('id', name)), str(r.get('verdict')))
        entry = by_case.setdefault(
            key,
            {
                'case': key[0],
                'bindings': [],
                'verdict': key[1],
                'spec': r.get('spec', ''),
                'reason': 'TODO: ' + str(r.get('summary', '')),
            },
        )
        if r.get('binding'):
            entry['bindings'].append(r['binding'])
    for entry in by_case.values():
        if not entry['bindings']:
            del entry['bindings']
    return list(by_case.values())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument('expectations')
    parser.add_argument('check_json')
    parser.add_argument(
        '--report', nargs=2, action='append', default=[], metavar=('SECTION', 'JSON')
    )
    parser.add_argument('--chaos', dest='chaos_json')
    parser.add_argument('--write-skeleton', dest='skeleton')
    ns = parser.parse_args()

    exp = load_json(ns.expectations)
    if not isinstance(exp, dict):
        print('compare: the expectation file must be an object', file=sys.stderr)
        return 2
    tracked = {v.upper() for v in exp.get('tracked_verdicts', DEFAULT_TRACKED)}

    sections = [('check', ns.check_json)]
    sections += [(name, path) for name, path in ns.report]
    if ns.chaos_json:
        sections.append(('chaos', ns.chaos_json))

    unstable = expected_deviations(exp.get('unstable', []))
    suspected = expected_deviations(exp.get('suspected_suite_bugs', []))
    total_changes = 0
    summary = []
    skel: dict[str, list[dict]] = {}
    for section, path in sections:
        results = report_results(load_json(path), path)
        observed = observed_deviations(results, tracked)
        expected = expected_deviations(exp.get(section, []))
        names = {result_name(r) for r in results}
        print(f'{section}: {len(results)} results, {len(observed)} deviations'
              f' observed, {len(expected)} expected')
        changes = compare(section, expected, observed, names, unstable, suspected)
        total_changes += changes
        summary.append(f'{section} {changes} changed')
        skel[section] = skeleton(observed)

    if ns.skeleton:
        Path(ns.skeleton).write_text(
            json.dumps(skel, indent=2) + '\n', encoding='utf-8'
        )
        print(f'compare: observed deviations written to {ns.skeleton}')

    name = exp.get('implementation', ns.expectations)
    if total_changes:
        print(f'compare: {name}: the set of deviations CHANGED'
              f' ({", ".join(summary)}); update {ns.expectations} if intended')
        return 1
    print(f'compare: {name}: deviations as expected ({", ".join(summary)})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
