#!/usr/bin/env bash
# Runs A2A Gauntlet the way the composite action does, from environment variables, so the
# same script serves GitHub Actions, GitLab CI and a laptop:
#
#   GAUNTLET_BIN             the gauntlet binary (default: gauntlet on PATH)
#   GAUNTLET_URL             base URL of the server under test (default: `target` of GAUNTLET_CONFIG)
#   GAUNTLET_SERVER_COMMAND  shell command that starts the server (optional; stopped at the end;
#                            default: `[server] command` of GAUNTLET_CONFIG)
#   GAUNTLET_READY_URL       polled until it answers 2xx (default: the agent card)
#   GAUNTLET_READY_TIMEOUT   seconds to wait for it (default: 60)
#   GAUNTLET_ARGS            extra arguments for `gauntlet check` (split on white space)
#   GAUNTLET_CONFIG          a gauntlet.toml for check and chaos (its [server] command is what
#                            chaos restarts; GAUNTLET_SERVER_COMMAND starts the server here)
#   GAUNTLET_CHAOS           true: also run `gauntlet chaos` (default: false)
#   GAUNTLET_OUT             report folder (default: gauntlet-reports)
#   GITHUB_STEP_SUMMARY      when set, a Markdown summary is appended to it
#   GITHUB_OUTPUT            when set, `verdict=conformant|not-conformant|error` is written to it
#
# Exit status: gauntlet check's (0 conformant, 1 not conformant, 2 unusable target or usage);
# a chaos failure turns 0 into 1; a server that never gets ready is 2.
set -uo pipefail

BIN="${GAUNTLET_BIN:-gauntlet}"
if [[ -n "${GAUNTLET_CONFIG:-}" ]]; then
    # What the file says, unless the environment says otherwise.
    : "${GAUNTLET_URL:=$("$BIN" config --config "$GAUNTLET_CONFIG" --get target)}"
    : "${GAUNTLET_SERVER_COMMAND:=$("$BIN" config --config "$GAUNTLET_CONFIG" --get server.command)}"
fi
URL="${GAUNTLET_URL:?GAUNTLET_URL (or target in GAUNTLET_CONFIG) is required}"
URL="${URL%/}"
READY_URL="${GAUNTLET_READY_URL:-$URL/.well-known/agent-card.json}"
READY_TIMEOUT="${GAUNTLET_READY_TIMEOUT:-60}"
OUT="${GAUNTLET_OUT:-gauntlet-reports}"
mkdir -p "$OUT"
read -r -a ARGS <<< "${GAUNTLET_ARGS:-}"
CONFIG=()
[[ -n "${GAUNTLET_CONFIG:-}" ]] && CONFIG=(--config "$GAUNTLET_CONFIG")

say() { printf 'gauntlet-ci: %s\n' "$*" >&2; }

SERVER_PID=""
stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    # The command runs in its own process group, so its children stop with it.
    kill -TERM -- "-$SERVER_PID" 2>/dev/null || kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$SERVER_PID" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
}
trap stop_server EXIT

verdict() {
    [[ -n "${GITHUB_OUTPUT:-}" ]] && printf 'verdict=%s\n' "$1" >> "$GITHUB_OUTPUT"
    return 0
}

if [[ -n "${GAUNTLET_SERVER_COMMAND:-}" ]]; then
    say "starting the server: $GAUNTLET_SERVER_COMMAND"
    setsid bash -c "$GAUNTLET_SERVER_COMMAND" > "$OUT/server.log" 2>&1 &
    SERVER_PID=$!
fi

# Readiness: poll until 2xx, the server process exits, or the deadline passes.
deadline=$((SECONDS + READY_TIMEOUT))
until curl -fsS --max-time 2 -o /dev/null -H 'A2A-Version: 1.0' "$READY_URL" 2>/dev/null; do
    if [[ -n "$SERVER_PID" ]] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
        say "the server exited before it was ready (log: $OUT/server.log)"
        verdict error
        exit 2
    fi
    if ((SECONDS >= deadline)); then
        say "$READY_URL did not answer 2xx within ${READY_TIMEOUT} s"
        verdict error
        exit 2
    fi
    sleep 0.5
done

"$BIN" check "$URL" "${CONFIG[@]}" --json "$OUT/check.json" --junit "$OUT/check.junit.xml" \
    --html "$OUT/check.html" "${ARGS[@]}" | tee "$OUT/check.log"
rc=${PIPESTATUS[0]}

# 130: check was interrupted (Ctrl-C, a cancelled job); chaos would only be interrupted too.
if [[ "${GAUNTLET_CHAOS:-false}" == true && $rc -ne 2 && $rc -ne 130 ]]; then
    "$BIN" chaos "$URL" "${CONFIG[@]}" --json "$OUT/chaos.json" --junit "$OUT/chaos.junit.xml" \
        | tee "$OUT/chaos.log"
    crc=${PIPESTATUS[0]}
    ((crc > rc)) && rc=$crc
fi

case $rc in
    0) verdict conformant ;;
    1) verdict not-conformant ;;
    *) verdict error ;;
esac

if [[ -n "${GITHUB_STEP_SUMMARY:-}" && -s "$OUT/check.json" ]]; then
    python3 "$(dirname "${BASH_SOURCE[0]}")/summary.py" "$OUT"/check.json \
        $([[ -s "$OUT/chaos.json" ]] && printf '%s' "$OUT/chaos.json") >> "$GITHUB_STEP_SUMMARY" \
        || say "could not write the job summary"
fi
exit "$rc"
