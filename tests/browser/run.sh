#!/usr/bin/env bash
# The HTML report in a real browser: starts the reference with a fault (so the report has
# failures to show), writes its JSON and HTML reports with `gauntlet check`, and runs
# report.mjs in headless Chromium against them.
#
#   GAUNTLET_BIN  the gauntlet binary (default: target/release/gauntlet)
#   CHROMIUM      the browser (default: /usr/bin/chromium; Debian's package `chromium`)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${GAUNTLET_BIN:-$ROOT/target/release/gauntlet}"
OUT="$ROOT/target/browser"
mkdir -p "$OUT"

[[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] || { echo "browser: no Chromium at ${CHROMIUM:-/usr/bin/chromium}" >&2; exit 2; }
(cd "$HERE" && timeout 120 npm ci --no-audit --no-fund --loglevel=error)

"$BIN" serve --addr 127.0.0.1:0 --fault wrong-error-code > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
URL=""
for _ in $(seq 1 100); do
    URL="$(sed -n 's/^A2A reference server listening on \(http:[^ ]*\)\/$/\1/p' "$OUT/server.log")"
    [[ -n "$URL" ]] && break
    kill -0 "$SERVER" 2>/dev/null || { cat "$OUT/server.log" >&2; exit 2; }
    sleep 0.1
done
[[ -n "$URL" ]] || { echo "browser: the reference did not start" >&2; exit 2; }

set +e
"$BIN" check "$URL" --json "$OUT/report.json" --html "$OUT/report.html" > "$OUT/check.log" 2>&1
rc=$?
set -e
((rc == 1)) || { tail -5 "$OUT/check.log" >&2; echo "browser: expected a failing run (exit 1), got $rc" >&2; exit 2; }
timeout 120 node "$HERE/report.mjs" "$OUT/report.html" "$OUT/report.json"
