#!/usr/bin/env bash
# One run of the local-cloud benchmark: edgeward (release) vs moto_server, same harness.
# Installs what it needs: wrk (Debian), moto[server]==5.2.5 in target/bench-venv, and builds
# target/release/edgeward. See README.md beside this file.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

if ! command -v wrk >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
venv="$root/target/bench-venv"
if ! "$venv/bin/python" -c 'import moto, boto3; assert moto.__version__ == "5.2.5"' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "moto[server]==5.2.5"
fi
if [ -z "${BENCH_NO_BUILD:-}" ]; then
    cargo build --release -q -p edgeward-cli
fi
exec "$venv/bin/python" "$root/conformance/bench/bench.py" "$@"
