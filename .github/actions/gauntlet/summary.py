"""Markdown job summary of gauntlet JSON reports (schema gauntlet-report/2).

Usage: python3 summary.py check.json [chaos.json]  > "$GITHUB_STEP_SUMMARY"

One table of counts per report, then the rows that deviate (FAIL, ERROR, UNTESTED, NON-STRICT),
each with its summary. Reads only the documented report fields.
"""

import json
import sys

DEVIATING = ("FAIL", "ERROR", "UNTESTED", "NON-STRICT")
COUNTS = (
    ("pass", "pass"),
    ("fail", "fail"),
    ("nonStrict", "non-strict"),
    ("informational", "info"),
    ("notApplicable", "n/a"),
    ("untested", "untested"),
    ("error", "error"),
)


def cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def summarize(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    verdict = "CONFORMANT" if report.get("conformant") else "NOT CONFORMANT"
    secs = report.get("durationMs", 0) / 1000
    counts = report.get("counts", {})
    lines = [
        f"### {verdict}: `{report.get('target', '?')}` ({path.rsplit('/', 1)[-1]}, {secs:.1f} s)",
        "",
        "| " + " | ".join(label for _, label in COUNTS) + " |",
        "|" + "---:|" * len(COUNTS),
        "| " + " | ".join(str(counts.get(key, 0)) for key, _ in COUNTS) + " |",
        "",
    ]
    rows = [r for r in report.get("results", []) if r.get("verdict") in DEVIATING]
    if rows:
        lines += ["| row | level | verdict | what happened |", "|---|---|---|---|"]
        for r in sorted(rows, key=lambda r: DEVIATING.index(r["verdict"])):
            row = r["id"] + (f"[{r['binding']}]" if r.get("binding") else "")
            lines.append(
                f"| {row} | {r.get('level', '')} | {r['verdict']} | {cell(r.get('summary', ''))} |"
            )
        lines.append("")
    return lines


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = ["## A2A Gauntlet", ""]
    for path in sys.argv[1:]:
        out += summarize(path)
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
