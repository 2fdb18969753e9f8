#!/usr/bin/env python3
"""Compares two edgeward binaries on a noisy machine: both servers run side by side (one
idle while the other is measured), and short wrk runs alternate between them, call by call,
round by round, so a slow phase of the host weighs on both alike. Prints, per call, the
median server CPU per request of each and the median of the per-round ratios (new ÷ old).

    target/bench-venv/bin/python conformance/bench/ab.py OLD_BIN NEW_BIN [ROUNDS=8] [SECONDS=2]

Run `conformance/bench/run.sh` once first: it installs wrk and the venv this uses.
"""
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def start(binary):
    bench.EDGEWARD_BIN = binary
    data_dir = tempfile.mkdtemp(prefix="edgeward-ab-", dir=os.path.join(bench.ROOT, "target"))
    port = bench.free_port()
    endpoint = f"http://127.0.0.1:{port}"
    proc = bench.start_edgeward(data_dir, port)
    key, secret = bench.root_credentials(proc, data_dir)
    gci = bench.signed(endpoint, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"}, key, secret)
    bench.wait_ready(proc, port, bench.raw_request(*gci))
    prepared = bench.prepare(endpoint, key, secret)
    calls = bench.sign_calls(endpoint, key, secret, prepared)
    scripts = {name: bench.lua_script(*req) for name, req in calls.items()}
    return proc, port, data_dir, scripts


def run(proc, port, script, seconds):
    c0 = bench.cpu_secs(proc.pid)
    r = bench.wrk(port, script, seconds)
    c1 = bench.cpu_secs(proc.pid)
    if r["non2xx"] or r["socket_errors"]:
        raise SystemExit(f"failed run: {r}")
    return r["rps"], (c1 - c0) / r["requests"] * 1e6


def main():
    old, new = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    seconds = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    servers = [start(old), start(new)]
    results = {c: ([], []) for c in bench.CALLS}
    try:
        for call in bench.CALLS:
            for proc, port, _, scripts in servers:
                bench.wrk(port, scripts[call], 1)
        for i in range(rounds):
            for call in bench.CALLS:
                order = (0, 1) if i % 2 == 0 else (1, 0)
                for which in order:
                    proc, port, _, scripts = servers[which]
                    time.sleep(0.3)  # the other server's checkpoint settles
                    results[call][which].append(run(proc, port, scripts[call], seconds))
        print(f"{rounds} rounds of {seconds} s per call and binary, alternating; old = {old}, new = {new}")
        for call in bench.CALLS:
            a, b = results[call]
            ratios = [nb[1] / na[1] for na, nb in zip(a, b)]
            print(f"  {call:<18} CPU/req old {statistics.median(x[1] for x in a):6.1f} µs, new {statistics.median(x[1] for x in b):6.1f} µs; "
                  f"new/old median {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}); "
                  f"req/s old {statistics.median(x[0] for x in a):.0f}, new {statistics.median(x[0] for x in b):.0f}")
    finally:
        for proc, _, data_dir, _ in servers:
            bench.stop(proc)
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
