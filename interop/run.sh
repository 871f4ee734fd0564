#!/usr/bin/env bash
# Runs the suite against the official A2A SDKs and compares, per SDK, the
# deviations with its expectation file:
#
#   python  a2a-sdk, pinned in interop/python/requirements.txt
#   js      @a2a-js/sdk, pinned in interop/js/package-lock.json
#
#   interop/run.sh                 # both, Python first
#   INTEROP_SDK=js interop/run.sh  # one of them
#
# Environment:
#   INTEROP_SDK            python, js or all (default: all)
#   GAUNTLET_BIN           the gauntlet binary (default: target/release/gauntlet)
#   INTEROP_OUT            report folder (default: target/interop; one subfolder per SDK)
#   INTEROP_VENV           virtualenv folder (default: target/interop-venv; also runs the
#                          smoke check, compare.py and matrix.py for the JS SDK)
#   INTEROP_EXPECT         expectation file, when INTEROP_SDK names one SDK (default:
#                          fixtures/expectations/a2a-python-1.3.0.json, a2a-js-1.3.0.json)
#   INTEROP_JS_CHAOS_SKIP  chaos scenarios not run against the JS SDK, separated by
#                          spaces (default: none; every scenario sizes itself to the server)
#   INTEROP_TIMEOUT_SCALE  passed to gauntlet as --timeout-scale (default: 2; the SDK is a
#                          single-threaded Python server and CI machines are small)
#   INTEROP_CHAOS          0 skips `gauntlet chaos` (default: 1)
#   INTEROP_CHAOS_TIMEOUT_SCALE  --timeout-scale for chaos (default: 1; chaos calibrates
#                          itself, and its waits decide most of its run time)
#   PYTHON                 interpreter used to create the virtualenv (default: python3)
#   NODE, NPM              node and npm for the JS SDK (default: node, npm); the pinned
#                          packages are installed with `npm ci` into interop/js/node_modules
#                          (ignored by git), skipped when the lockfile has not changed
#
# Steps: virtualenv + pinned install (skipped when already up to date); the agent
# on 127.0.0.1 with a port the OS picks and two bearer tokens (two identities);
# readiness poll on the agent card; smoke check of the agent; `gauntlet check`
# (JSON, JUnit, HTML); `gauntlet check --only CAP-* --only EXT-*` against a
# second agent with streaming and push off and a required extension;
# `gauntlet chaos` against a third, unauthenticated agent
# (skipped with a message when the build has no chaos for a URL); comparison.
# Everything runs under a deadline; each SDK gets at most 400 s.
#
# Exit status: 0 the deviations are the expected ones; 1 they changed (the diff
# is printed); 2 the run itself failed (install, agent, or gauntlet crashed).
# With both SDKs, the worse of the two (each SDK runs even when the other failed).

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

abs() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$ROOT/$1" ;; esac; }

GAUNTLET_BIN="$(abs "${GAUNTLET_BIN:-target/release/gauntlet}")"
OUT_ROOT="$(abs "${INTEROP_OUT:-target/interop}")"
VENV="$(abs "${INTEROP_VENV:-target/interop-venv}")"
SDKS="${INTEROP_SDK:-all}"
SCALE="${INTEROP_TIMEOUT_SCALE:-2}"
CHAOS="${INTEROP_CHAOS:-1}"
CHAOS_SCALE="${INTEROP_CHAOS_TIMEOUT_SCALE:-1}"
JS_CHAOS_SKIP="${INTEROP_JS_CHAOS_SKIP-}"
PYTHON="${PYTHON:-python3}"
NODE="${NODE:-node}"
NPM="${NPM:-npm}"
REQS="$ROOT/interop/python/requirements.txt"
JS_DIR="$ROOT/interop/js"
BUDGET=400 # seconds per SDK

case "$SDKS" in
    all) SDKS="python js" ;;
    python | js) ;;
    *) printf 'interop: INTEROP_SDK must be python, js or all (got %s)\n' "$SDKS" >&2; exit 2 ;;
esac
if [[ -n "${INTEROP_EXPECT:-}" && "$SDKS" == *" "* ]]; then
    printf 'interop: INTEROP_EXPECT needs INTEROP_SDK=python or js\n' >&2
    exit 2
fi

say() { printf 'interop[%s]: %s\n' "${SDK:-setup}" "$*"; }
die() { say "$*" >&2; exit 2; }

# Seconds left of the current SDK's budget, capped at $1: every step gets
# min(its own cap, what remains).
left() {
    local remain=$((BUDGET - (SECONDS - START)))
    ((remain < 1)) && remain=1
    ((remain < $1)) && echo "$remain" || echo "$1"
}

stop_pid() {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

log_tail() {
    say "last lines of $1:" >&2
    tail -n 40 "$1" >&2 || true
}


# start_agent LOG [agent args...]: starts the agent, waits until its card is
# served, and sets AGENT_URL and AGENT_PID.
start_agent() {
    local log=$1
    shift
    # The log exists before the agent opens it, so the port poll below never races its creation.
    : > "$log"
    case "$SDK" in
        python) "$PY" -u "$ROOT/interop/python/agent.py" --port 0 "$@" > "$log" 2>&1 & ;;
        # NODE_ENV=production: how an Express application is deployed (error
        # pages without stack traces); --quiet: the SDK logs every delivery.
        js) NODE_ENV=production "$NODE" "$JS_DIR/agent.js" --port 0 --quiet "$@" > "$log" 2>&1 & ;;
    esac
    AGENT_PID=$!
    PIDS+=("$AGENT_PID")

    local port="" deadline=$((SECONDS + $(left 20)))
    while ((SECONDS < deadline)); do
        kill -0 "$AGENT_PID" 2>/dev/null || { log_tail "$log"; die "the agent exited during start-up"; }
        port="$(sed -n 's/^LISTENING \([0-9][0-9]*\)$/\1/p' "$log" | head -n1)"
        [[ -n "$port" ]] && break
        sleep 0.1
    done
    [[ -n "$port" ]] || { log_tail "$log"; die "the agent did not report its port in time"; }
    AGENT_URL="http://127.0.0.1:$port"

    deadline=$((SECONDS + $(left 20)))
    while ((SECONDS < deadline)); do
        if curl -fsS --max-time 1 -o /dev/null -H 'A2A-Version: 1.0' \
            "$AGENT_URL/.well-known/agent-card.json" 2>/dev/null; then
            say "agent (pid $AGENT_PID) ready at $AGENT_URL"
            return 0
        fi
        kill -0 "$AGENT_PID" 2>/dev/null || { log_tail "$log"; die "the agent exited before it was ready"; }
        sleep 0.1
    done
    log_tail "$log"
    die "the agent card was not served in time at $AGENT_URL"
}

# The virtualenv with the pinned Python SDK; its interpreter also runs the
# smoke check (httpx), compare.py and matrix.py for every SDK.
install_python() {
    local stamp="$VENV/.requirements.sha256" want
    want="$(sha256sum "$REQS" | cut -d' ' -f1)"
    if [[ ! -x "$VENV/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
        say "installing the pinned Python SDK into $VENV"
        timeout "$(left 30)" "$PYTHON" -m venv "$VENV" || die "cannot create the virtualenv"
        timeout "$(left 150)" "$VENV/bin/pip" install --disable-pip-version-check -q \
            -r "$REQS" || die "pip install failed or timed out"
        echo "$want" > "$stamp"
    fi
    PY="$VENV/bin/python"
}

# The pinned JS SDK: `npm ci` from the committed lockfile, skipped when the
# installed tree was made from the same lockfile.
install_js() {
    command -v "$NODE" > /dev/null || die "node is needed for the JS SDK (set NODE)"
    command -v "$NPM" > /dev/null || die "npm is needed for the JS SDK (set NPM)"
    local stamp="$JS_DIR/node_modules/.gauntlet-lock.sha256" want
    want="$(sha256sum "$JS_DIR/package-lock.json" | cut -d' ' -f1)"
    if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
        say "installing the pinned JS SDK into $JS_DIR/node_modules (npm ci)"
        (cd "$JS_DIR" && timeout "$(left 150)" "$NPM" ci --no-audit --no-fund --loglevel=error) \
            || die "npm ci failed or timed out"
        echo "$want" > "$stamp"
    fi
}

sdk_version() {
    case "$SDK" in
        python) "$PY" -c 'import importlib.metadata as m; print("a2a-sdk", m.version("a2a-sdk"))' ;;
        js) "$NODE" -p '"@a2a-js/sdk " + require(process.argv[1]).version' \
            "$JS_DIR/node_modules/@a2a-js/sdk/package.json" ;;
    esac
}

# chaos_only: --only arguments selecting every scenario but the skipped ones
# (none when nothing is skipped, or when the catalogue cannot be listed).
chaos_only() {
    local skip=""
    [[ "$SDK" == js ]] && skip="$JS_CHAOS_SKIP"
    [[ -z "$skip" ]] && return 0
    local ids id
    ids="$("$GAUNTLET_BIN" list 2>/dev/null | awk '/^CHAOS-/ {print $1}')" || return 0
    for id in $ids; do
        [[ " $skip " == *" $id "* ]] || printf -- '--only\n%s\n' "$id"
    done
}

# run_sdk: the whole run for $SDK, in a subshell (its own agents, trap and
# budget); exits 0, 1 or 2 like the script.
run_sdk() {
    START=$SECONDS
    PIDS=()
    trap 'for p in "${PIDS[@]}"; do stop_pid "$p"; done' EXIT
    local OUT="$OUT_ROOT/$SDK" EXPECT
    case "$SDK" in
        python) EXPECT="fixtures/expectations/a2a-python-1.3.0.json" ;;
        js) EXPECT="fixtures/expectations/a2a-js-1.3.0.json" ;;
    esac
    EXPECT="$(abs "${INTEROP_EXPECT:-$EXPECT}")"
    [[ -f "$EXPECT" ]] || die "no expectation file at $EXPECT"
    mkdir -p "$OUT"
    rm -f "$OUT"/check.* "$OUT"/check-off.* "$OUT"/chaos.* "$OUT"/*.log "$OUT"/matrix.md "$OUT"/observed-deviations.json

    # --- 1. the pinned SDK ---------------------------------------------------
    install_python
    [[ "$SDK" == js ]] && install_js
    say "$(sdk_version)"

    # --- 2. the agent, with two identities -----------------------------------
    # Two bearer tokens, fresh per run: two identities, so the owner-scoping and
    # authentication cases (LIST-010, ERR-004..007, SEC-002/003, XCARD) are judged.
    local TOKEN_A TOKEN_B URL CHECK_PID rc
    TOKEN_A="$("$PY" -c 'import secrets; print(secrets.token_hex(16))')"
    TOKEN_B="$("$PY" -c 'import secrets; print(secrets.token_hex(16))')"
    start_agent "$OUT/agent.log" --token "$TOKEN_A" --token "$TOKEN_B"
    URL=$AGENT_URL
    CHECK_PID=$AGENT_PID

    # --- 3. smoke check: the agent honours the test-agent contract -----------
    if ! timeout "$(left 60)" "$PY" "$ROOT/interop/smoke.py" "$URL" "$TOKEN_A" \
        > "$OUT/smoke.log" 2>&1; then
        cat "$OUT/smoke.log" >&2
        log_tail "$OUT/agent.log"
        die "the interop agent failed its smoke check; the run would not judge the SDK"
    fi
    say "smoke check passed ($(grep -c '^ok' "$OUT/smoke.log") checks)"

    # --- 4. gauntlet check ----------------------------------------------------
    say "gauntlet check $URL"
    set +e
    timeout "$(left 180)" "$GAUNTLET_BIN" check "$URL" \
        --json "$OUT/check.json" --junit "$OUT/check.junit.xml" --html "$OUT/check.html" \
        --timeout-scale "$SCALE" --token "$TOKEN_A" --token "$TOKEN_B" \
        > "$OUT/check.log" 2>&1
    rc=$?
    set -e
    tail -n 3 "$OUT/check.log"
    case $rc in
        0 | 1) ;; # conformant / not conformant: both are results
        124) log_tail "$OUT/agent.log"; die "gauntlet check timed out (log: $OUT/check.log)" ;;
        *) cat "$OUT/check.log" >&2; log_tail "$OUT/agent.log"; die "gauntlet check failed to run (exit $rc)" ;;
    esac
    [[ -s "$OUT/check.json" ]] || die "gauntlet check wrote no JSON report"
    # The agent must have survived the run: a crash would make the verdicts moot.
    kill -0 "$CHECK_PID" 2>/dev/null || { log_tail "$OUT/agent.log"; die "the agent died during the run"; }
    stop_pid "$CHECK_PID"

    # --- 5. capabilities off: streaming and push off, a required extension ---
    # The refusal paths (CAP-001/002), required-extension enforcement (CAP-004) and
    # the extension cases need a card that the main agent cannot have at once.
    local EXT_URI="https://gauntlet.example/ext/required/v1"
    start_agent "$OUT/agent-off.log" --no-streaming --no-push --required-extension "$EXT_URI"
    say "gauntlet check $AGENT_URL (capabilities off: CAP-*, EXT-*)"
    set +e
    timeout "$(left 60)" "$GAUNTLET_BIN" check "$AGENT_URL" --only 'CAP-*' --only 'EXT-*' \
        --json "$OUT/check-off.json" --junit "$OUT/check-off.junit.xml" \
        --timeout-scale "$SCALE" > "$OUT/check-off.log" 2>&1
    rc=$?
    set -e
    tail -n 1 "$OUT/check-off.log"
    case $rc in
        0 | 1) ;;
        *) cat "$OUT/check-off.log" >&2; log_tail "$OUT/agent-off.log"; die "gauntlet check (capabilities off) failed to run (exit $rc)" ;;
    esac
    [[ -s "$OUT/check-off.json" ]] || die "gauntlet check (capabilities off) wrote no JSON report"
    stop_pid "$AGENT_PID"
    local REPORT_ARGS=(--report check-capabilities-off "$OUT/check-off.json")

    # --- 6. gauntlet chaos (optional), against a fresh unauthenticated agent --
    local CHAOS_ARGS=() ONLY=()
    if [[ "$CHAOS" == 0 ]]; then
        say "INTEROP_CHAOS=0: chaos skipped"
    elif ! "$GAUNTLET_BIN" chaos --help > "$OUT/chaos-help.log" 2>&1 \
        || ! grep -q -- '--json' "$OUT/chaos-help.log"; then
        say "gauntlet chaos is not available for a URL in this build: chaos skipped"
    else
        mapfile -t ONLY < <(chaos_only)
        [[ ${#ONLY[@]} -gt 0 ]] && say "chaos without $JS_CHAOS_SKIP (INTEROP_JS_CHAOS_SKIP)"
        start_agent "$OUT/agent-chaos.log"
        say "gauntlet chaos $AGENT_URL"
        set +e
        timeout "$(left 200)" "$GAUNTLET_BIN" chaos "$AGENT_URL" "${ONLY[@]}" --json "$OUT/chaos.json" \
            --junit "$OUT/chaos.junit.xml" --timeout-scale "$CHAOS_SCALE" > "$OUT/chaos.log" 2>&1
        rc=$?
        set -e
        tail -n 3 "$OUT/chaos.log"
        if grep -q 'not yet available' "$OUT/chaos.log"; then
            say "gauntlet chaos is not implemented yet: chaos skipped"
        elif ((rc == 2)) && grep -q "unexpected argument" "$OUT/chaos.log"; then
            say "gauntlet chaos in this build takes no target URL: chaos skipped"
        elif ((rc == 0 || rc == 1)) && [[ -s "$OUT/chaos.json" ]]; then
            CHAOS_ARGS=(--chaos "$OUT/chaos.json")
        elif ((rc == 124)); then
            die "gauntlet chaos timed out (log: $OUT/chaos.log)"
        else
            cat "$OUT/chaos.log" >&2
            die "gauntlet chaos failed to run (exit $rc)"
        fi
        stop_pid "$AGENT_PID"
    fi

    # --- 7. compare with the expectations ------------------------------------
    local MATRIX_REPORTS=(
        "Main agent (two identities, streaming, push, extended card)=$OUT/check.json"
        "Capabilities off (CAP-*, EXT-*: streaming and push off, a required extension)=$OUT/check-off.json"
    )
    [[ ${#CHAOS_ARGS[@]} -gt 0 ]] && MATRIX_REPORTS+=("Chaos (agent without tokens)=$OUT/chaos.json")
    "$PY" "$ROOT/interop/matrix.py" --deviations "${MATRIX_REPORTS[@]}" > "$OUT/matrix.md" \
        || say "could not summarise the reports as a matrix"
    say "reports in $OUT (check.json, check.junit.xml, check.html, matrix.md)"
    set +e
    "$PY" "$ROOT/interop/compare.py" "$EXPECT" "$OUT/check.json" "${REPORT_ARGS[@]}" "${CHAOS_ARGS[@]}" \
        --write-skeleton "$OUT/observed-deviations.json"
    rc=$?
    set -e
    say "done in $((SECONDS - START)) s"
    exit $rc
}

trap 'exit 130' INT TERM
[[ -x "$GAUNTLET_BIN" ]] || die "no gauntlet binary at $GAUNTLET_BIN (build it: cargo build --release --bin gauntlet, or set GAUNTLET_BIN)"
command -v curl > /dev/null || die "curl is needed for the readiness poll"

T0=$SECONDS
WORST=0
SUMMARY=()
for SDK in $SDKS; do
    set +e
    (run_sdk)
    rc=$?
    set -e
    SUMMARY+=("$SDK: exit $rc")
    # 2 (the run failed) outranks 1 (the deviations changed).
    ((rc > WORST)) && WORST=$rc
done
SDK=all say "${SUMMARY[*]} (in $((SECONDS - T0)) s)"
exit $WORST
