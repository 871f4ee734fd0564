#!/usr/bin/env python3
"""Results table for the gauntlet benches, from criterion's output.

Reads <criterion dir>/**/new/{benchmark,estimates}.json (default: $CARGO_TARGET_DIR/criterion,
else target/criterion) and prints a markdown table: every benchmark's time per iteration, its
per-element time, and the derived checks (per-chunk SSE cost curve, reference vs bare hyper
throughput ratio). With --write FILE it replaces the text between the markers
`<!-- results:start -->` and `<!-- results:end -->` in FILE instead of printing.

    python3 benches/table.py [--dir DIR] [--write benches/README.md]
"""

import argparse
import json
import re
import os
import pathlib
import sys

START = "<!-- results:start -->"
END = "<!-- results:end -->"


def fmt_ns(ns):
    if ns is None:
        return "–"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}" if ns / scale < 100 else f"{ns / scale:.0f} {unit}"
    return f"{ns:.3g} ns"


def fmt_rate(per_s):
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if per_s >= scale:
            return f"{per_s / scale:.3g} {unit}/s"
    return f"{per_s:.3g} /s"


def load(root):
    rows = {}
    for bench in root.glob("**/new/benchmark.json"):
        est = bench.with_name("estimates.json")
        if not est.exists():
            continue
        b = json.loads(bench.read_text())
        e = json.loads(est.read_text())
        # The figure criterion prints: the regression slope when it sampled linearly, else mean.
        pick = e.get("slope") or e["mean"]
        ns = pick["point_estimate"]
        lo = pick["confidence_interval"]["lower_bound"]
        hi = pick["confidence_interval"]["upper_bound"]
        elements = None
        tp = b.get("throughput")
        if isinstance(tp, dict) and "Elements" in tp:
            elements = tp["Elements"]
        rows[b["full_id"]] = {"ns": ns, "lo": lo, "hi": hi, "elements": elements}
    return rows


def natural(name):
    """Sort key that orders numeric path parts by value (fanout/16 before fanout/256)."""
    key = []
    for part in re.split(r"[/_]", name):
        m = re.fullmatch(r"(\d+)(K?)", part)
        if m:
            key.append((0, int(m.group(1)) * (1000 if m.group(2) else 1), ""))
        else:
            key.append((1, 0, part))
    return key


def render(rows):
    out = []
    out.append("| benchmark | time / iter (95% CI) | elements | time / element | throughput |")
    out.append("|---|---|---|---|---|")
    for name in sorted(rows, key=natural):
        r = rows[name]
        per = r["ns"] / r["elements"] if r["elements"] else None
        rate = fmt_rate(1e9 / per) if per else "–"
        out.append(
            f"| `{name}` | {fmt_ns(r['ns'])} ({fmt_ns(r['lo'])} – {fmt_ns(r['hi'])}) "
            f"| {r['elements'] or '–'} | {fmt_ns(per)} | {rate} |"
        )
    out.append("")

    curve = []
    for n in (10, 100, 1000, 10000):
        r = rows.get(f"backpressure/stream_volume/{n}")
        if r and r["elements"]:
            curve.append((n, r["ns"] / r["elements"]))
    if curve:
        out.append("Per-chunk SSE cost (`backpressure/stream_volume`, JSON-RPC, one stream drained):")
        out.append("")
        out.append("| chunks | cost / chunk | vs 10 chunks |")
        out.append("|---|---|---|")
        base = curve[0][1]
        for n, per in curve:
            out.append(f"| {n} | {fmt_ns(per)} | {per / base:.2f}× |")
        out.append("")
        last = dict(curve)
        if 10 in last and 10000 in last:
            ratio = last[10000] / last[10]
            verdict = "meets" if ratio <= 1.2 and last[10000] <= 12_000 else "misses"
            out.append(
                f"Cost per chunk at 10,000 is {ratio:.2f}× the cost at 10 and "
                f"{fmt_ns(last[10000])} per chunk: {verdict} the target (≤ 1.2×, ≤ 12 µs)."
            )
            out.append("")

    bare = rows.get("baseline/bare_hyper/send")
    if bare:
        out.append("Reference vs bare hyper, SendMessage on one keep-alive connection (same client, same runtime):")
        out.append("")
        for binding in ("jsonrpc", "rest"):
            r = rows.get(f"transport/{binding}/send")
            if r:
                ratio = bare["ns"] / r["ns"]
                verdict = "meets" if ratio >= 0.5 else "misses"
                out.append(
                    f"* {binding}: {fmt_rate(1e9 / r['ns'])} vs {fmt_rate(1e9 / bare['ns'])} bare = "
                    f"**{ratio:.0%}** of bare-hyper throughput ({verdict} the ≥ 50% target)."
                )
        out.append("")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", "target")) / "criterion"
    ap.add_argument("--dir", type=pathlib.Path, default=default, help="criterion output directory")
    ap.add_argument("--write", type=pathlib.Path, help="replace the results block in this file")
    args = ap.parse_args()
    rows = load(args.dir)
    if not rows:
        sys.exit(f"no criterion results under {args.dir}; run `cargo bench -p gauntlet-benches` first")
    table = render(rows)
    if args.write:
        text = args.write.read_text()
        if START not in text or END not in text:
            sys.exit(f"{args.write} has no {START} … {END} block")
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        args.write.write_text(f"{head}{START}\n{table}\n{END}{tail}")
    else:
        print(table)


if __name__ == "__main__":
    main()
