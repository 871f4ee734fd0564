#!/usr/bin/env python3
"""Summarises a gauntlet JSON run report as a Markdown matrix: one row per
checklist area (the id prefix: DATA, VER, CARD, ...), one column group per
binding, verdict counts in each cell.

    matrix.py CHECK_JSON [--deviations]

`--deviations` adds a second table listing every FAIL / NON-STRICT / ERROR
result with its summary. Standard library only. The output is what
docs/interop.md shows for a run.
"""

from __future__ import annotations

import argparse
import json
import sys

from collections import Counter, defaultdict
from pathlib import Path


ORDER = ['PASS', 'FAIL', 'NON-STRICT', 'INFORMATIONAL', 'NOT-APPLICABLE', 'ERROR']
SHORT = {
    'PASS': 'pass',
    'FAIL': 'fail',
    'NON-STRICT': 'warn',
    'INFORMATIONAL': 'info',
    'NOT-APPLICABLE': 'n/a',
    'ERROR': 'err',
}
DEVIATIONS = ('FAIL', 'NON-STRICT', 'ERROR')


def area(case_id: str) -> str:
    return case_id.split('-', 1)[0]


def cell(counts: Counter) -> str:
    parts = [f'{counts[v]} {SHORT[v]}' for v in ORDER if counts[v]]
    return ', '.join(parts) if parts else '—'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('check_json')
    parser.add_argument('--deviations', action='store_true')
    ns = parser.parse_args()

    report = json.loads(Path(ns.check_json).read_text(encoding='utf-8'))
    results = report.get('results', []) if isinstance(report, dict) else report

    areas: list[str] = []
    table: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    bindings: list[str] = []
    for r in results:
        a = area(str(r.get('id', '?')))
        if a not in areas:
            areas.append(a)
        b = r.get('binding') or 'once'
        if b not in bindings:
            bindings.append(b)
        table[a][b][str(r.get('verdict', '?')).upper()] += 1
    bindings.sort(key=lambda b: {'jsonrpc': 0, 'rest': 1, 'once': 2}.get(b, 3))

    print('| area | ' + ' | '.join(bindings) + ' |')
    print('|---|' + '---|' * len(bindings))
    for a in areas:
        print(f'| {a} | ' + ' | '.join(cell(table[a][b]) for b in bindings) + ' |')
    per_binding = {b: sum((table[a][b] for a in areas), Counter()) for b in bindings}
    print('| **all** | ' + ' | '.join(cell(per_binding[b]) for b in bindings) + ' |')
    totals = Counter(str(r.get('verdict', '?')).upper() for r in results)
    print()
    print(f'{len(results)} results: {cell(totals)}.')

    if ns.deviations:
        print()
        print('| case | binding | verdict | what was seen |')
        print('|---|---|---|---|')
        for r in results:
            v = str(r.get('verdict', '')).upper()
            if v in DEVIATIONS:
                summary = str(r.get('summary', '')).replace('|', '\\|')
                print(
                    f'| {r.get("id")} | {r.get("binding") or "—"} | {v} | {summary} |'
                )
    return 0


if __name__ == '__main__':
    sys.exit(main())
