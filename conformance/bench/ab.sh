#!/usr/bin/env bash
# Compares two edgeward binaries on this noisy 2-core machine: alternates them for N rounds of
# `BENCH_ONLY=edgeward` runs and prints each run's req/s and server CPU µs per call. Compare
# CPU per call, pair by pair (req/s moves ±20 % between rounds of the same binary).
#   conformance/bench/ab.sh OLD_BIN NEW_BIN [ROUNDS=3]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
old="$1" new="$2" rounds="${3:-3}"
out="$(mktemp -d)"
for i in $(seq 1 "$rounds"); do
    for bin in "$old" "$new"; do
        json="$out/run-$i-$(basename "$bin").json"
        BENCH_ONLY=edgeward BENCH_NO_BUILD=1 BENCH_EDGEWARD_BIN="$bin" BENCH_DURATION="${BENCH_DURATION:-5}" \
            BENCH_JSON="$json" "$root/conformance/bench/run.sh" >/dev/null
        python3 - "$bin" "$json" <<'PY'
import json, sys
runs = json.load(open(sys.argv[2]))["edgeward"]
calls = ("GetCallerIdentity", "GetRole", "Decrypt", "GetSecretValue")
print(sys.argv[1], "  ".join(f"{c} {runs[c]['rps']:.0f}/s {runs[c]['cpu_us_per_req']:.1f}µs" for c in calls if c in runs), flush=True)
PY
    done
done
rm -rf "$out"
