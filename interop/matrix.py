#!/usr/bin/env python3
"""Summarises gauntlet JSON run reports as Markdown matrices: one row per
checklist area (the id prefix: DATA, VER, CARD, ...), one column per binding,
verdict counts in each cell.

    matrix.py REPORT [REPORT ...] [--deviations] [--into DOC]

A REPORT is `FILE` or `TITLE=FILE`; each gets its own table, under its title
when one is given. `--deviations` adds, per report, a table of every FAIL /
NON-STRICT / ERROR result with its summary. `--into DOC` writes the output
into DOC between the lines `<!-- matrix ... -->` and `<!-- /matrix -->`
(docs/interop.md) instead of printing it; with `--block NAME`, between
`<!-- matrix-NAME: ... -->` and `<!-- /matrix-NAME -->` (one block per SDK).
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from collections import Counter, defaultdict
from pathlib import Path


ORDER = ['PASS', 'FAIL', 'NON-STRICT', 'INFORMATIONAL', 'NOT-APPLICABLE', 'UNTESTED', 'ERROR']
SHORT = {
    'PASS': 'pass',
    'FAIL': 'fail',
    'NON-STRICT': 'warn',
    'INFORMATIONAL': 'info',
    'NOT-APPLICABLE': 'n/a',
    'UNTESTED': 'untested',
    'ERROR': 'err',
}
DEVIATIONS = ('FAIL', 'NON-STRICT', 'UNTESTED', 'ERROR')
LEGEND = (
    'Cells count results per verdict: pass, fail (MUST), warn (NON-STRICT, a\n'
    'SHOULD), info (INFORMATIONAL), n/a (NOT-APPLICABLE, with the reason in the\n'
    'report), untested (UNTESTED: applies but could not be observed, with what\n'
    'would make it judgeable), err (ERROR: the suite could not judge). "once"\n'
    'holds the'
    ' binding-independent cases.\n'
)


def area(case_id: str) -> str:
    return case_id.split('-', 1)[0]


def cell(counts: Counter) -> str:
    parts = [f'{counts[v]} {SHORT[v]}' for v in ORDER if counts[v]]
    return ', '.join(parts) if parts else '—'


def table(results: list[dict], deviations: bool) -> list[str]:
    areas: list[str] = []
    counts: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    bindings: list[str] = []
    for r in results:
        a = area(str(r.get('id', '?')))
        if a not in areas:
            areas.append(a)
        b = r.get('binding') or 'once'
        if b not in bindings:
            bindings.append(b)
        counts[a][b][str(r.get('verdict', '?')).upper()] += 1
    bindings.sort(key=lambda b: {'jsonrpc': 0, 'rest': 1, 'once': 2}.get(b, 3))

    out = ['| area | ' + ' | '.join(bindings) + ' |', '|---|' + '---|' * len(bindings)]
    for a in areas:
        out.append(f'| {a} | ' + ' | '.join(cell(counts[a][b]) for b in bindings) + ' |')
    per_binding = {b: sum((counts[a][b] for a in areas), Counter()) for b in bindings}
    out.append('| **all** | ' + ' | '.join(cell(per_binding[b]) for b in bindings) + ' |')
    totals = Counter(str(r.get('verdict', '?')).upper() for r in results)
    out += ['', f'{len(results)} results: {cell(totals)}.']

    if deviations:
        rows = [r for r in results if str(r.get('verdict', '')).upper() in DEVIATIONS]
        if rows:
            out += ['', '| case | binding | verdict | what was seen |', '|---|---|---|---|']
            for r in rows:
                summary = str(r.get('summary', '')).replace('|', '\\|')
                out.append(
                    f'| {r.get("id")} | {r.get("binding") or "—"} |'
                    f' {str(r.get("verdict")).upper()} | {summary} |'
                )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument('reports', nargs='+', metavar='REPORT')
    parser.add_argument('--deviations', action='store_true')
    parser.add_argument('--into', metavar='DOC')
    parser.add_argument('--block', metavar='NAME')
    ns = parser.parse_args()

    lines: list[str] = [LEGEND]
    for spec in ns.reports:
        title, _, path = spec.rpartition('=') if '=' in spec else ('', '', spec)
        report = json.loads(Path(path).read_text(encoding='utf-8'))
        results = report.get('results', []) if isinstance(report, dict) else report
        if title:
            lines += [f'**{title}**', '']
        lines += table(results, ns.deviations) + ['']
    text = '\n'.join(lines)

    if not ns.into:
        print(text, end='')
        return 0
    doc = Path(ns.into)
    old = doc.read_text(encoding='utf-8')
    tag = f'matrix-{ns.block}' if ns.block else 'matrix'
    pattern = re.compile(
        rf'(<!-- {re.escape(tag)}:[^\n]*-->\n).*?(<!-- /{re.escape(tag)} -->\n)', re.S
    )
    if not pattern.search(old):
        print(f'matrix: no <!-- {tag}: --> block in {doc}', file=sys.stderr)
        return 2
    doc.write_text(
        pattern.sub(lambda m: m.group(1) + text + m.group(2), old), encoding='utf-8'
    )
    print(f'matrix: {doc} updated')
    return 0


if __name__ == '__main__':
    sys.exit(main())
