#!/usr/bin/env python3
"""Which catalogue cases can any reference fault make fail?

Serves the reference once per (fault, setup) with `gauntlet serve --fault NAME`, runs
`gauntlet check URL --json`, and prints the case ids that no fault ever turned into FAIL or
NON-STRICT (see conformance/CONTROLS.md). Loopback only; each run is bounded.

    cargo build --release && python3 scripts/fault-coverage.py [path/to/gauntlet]
"""
import json, socket, subprocess, sys, tempfile, time, urllib.request

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/gauntlet"
SETUPS = {
    "default": ([], []),
    "no-streaming": (["--no-streaming"], []),
    "no-push": (["--no-push", "--no-extended-card"], []),
    "two-identities": (["--bearer", "tok-a", "--bearer", "tok-b"], ["--token", "tok-a", "--token", "tok-b"]),
}


def faults():
    out = subprocess.run([BIN, "serve", "--fault", "?"], capture_output=True, text=True).stderr
    if "known faults:" not in out:
        sys.exit(f"cannot list the faults of {BIN}: {out.strip()}")
    return out.split("known faults:")[1].splitlines()[0].replace(",", " ").split()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(fault, setup, out):
    serve_args, check_args = SETUPS[setup]
    port = free_port()
    cmd = [BIN, "serve", "--addr", f"127.0.0.1:{port}", "--allow-private-webhooks", *serve_args]
    if fault:
        cmd += ["--fault", fault]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/.well-known/agent-card.json", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        subprocess.run([BIN, "check", f"http://127.0.0.1:{port}", "--json", out, *check_args],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        with open(out) as f:
            return json.load(f)["results"]
    finally:
        server.terminate()
        server.wait()


def main():
    names = faults()
    caught, ids = {}, set()
    with tempfile.TemporaryDirectory() as tmp:
        for setup in SETUPS:
            for fault in [None, *names]:
                for r in run(fault, setup, f"{tmp}/report.json"):
                    ids.add(r["id"])
                    if r["verdict"] in ("FAIL", "NON-STRICT"):
                        caught.setdefault(r["id"], set()).add(f"{fault or 'none'}/{setup}")
    baseline = sorted(i for i, s in caught.items() if any(t.startswith("none/") for t in s))
    never = sorted(ids - caught.keys())
    print(f"{len(names)} faults x {len(SETUPS)} setups; {len(ids)} ids")
    print(f"baseline failures (unfaulted reference): {baseline or 'none'}")
    print(f"{len(ids) - len(never)} ids caught at least one fault; {len(never)} never made to fail:")
    print(" ".join(never))


if __name__ == "__main__":
    main()
