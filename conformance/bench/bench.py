#!/usr/bin/env python3
"""edgeward's local cloud vs moto_server: requests/s, start-up, idle RSS, CPU per request.

Run through `conformance/bench/run.sh` (it installs wrk, moto[server] and builds the release
binary first). Both servers run side by side. For each server and each call, botocore signs
one request shortly before the runs and wrk replays it (2 threads, 128 connections): one
warm-up run, then measured runs in rounds that alternate the two servers call by call (the
other server idle), so that a slow phase of the host weighs on both alike. The server's CPU
time (utime+stime from /proc/PID/stat) over a run divided by the requests completed gives CPU
per request. The ratio of a call is the median over the rounds of edgeward's req/s ÷ moto's
in that round. Every response must be 2xx: a run with non-2xx responses or socket errors is
reported as failed.

Loopback only. Environment knobs: BENCH_WARMUP (s, default 1), BENCH_DURATION (s per run,
default 3), BENCH_ROUNDS (default 3), BENCH_THREADS (2), BENCH_CONNECTIONS (128), BENCH_ONLY
(edgeward|moto), BENCH_EDGEWARD_BIN, BENCH_JSON (path to write the results as JSON),
BENCH_KEEP (keep the edgeward data dir).
"""
import base64
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WARMUP = int(os.environ.get("BENCH_WARMUP", "1"))
DURATION = int(os.environ.get("BENCH_DURATION", "3"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
# 128 connections: edgeward acknowledges a call only once its group commit is fsync'd, so a
# closed loop of 32 connections leaves it waiting on the disk (its throughput is then
# connections ÷ latency); moto_server's rate is the same at 32 and at 128 (GIL-bound, one core).
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "128"))
ONLY = os.environ.get("BENCH_ONLY", "")
EDGEWARD_BIN = os.environ.get("BENCH_EDGEWARD_BIN", os.path.join(ROOT, "target/release/edgeward"))
REGION = "us-east-1"
ACCOUNT = "111111111111"
ROLE = "bench-role"
TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}],
})
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_secs(pid):
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is state (field 3); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def signed(endpoint, service, params, key, secret):
    """A botocore-signed awsQuery POST: (method, path, headers, body)."""
    body = "&".join(f"{k}={v}" for k, v in params.items())
    req = AWSRequest(method="POST", url=endpoint + "/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(key, secret), service, REGION).add_auth(req)
    prepared = req.prepare()
    headers = {k: v for k, v in prepared.headers.items() if k.lower() not in ("content-length", "host")}
    headers["Host"] = endpoint.split("://", 1)[1]
    return "POST", "/", headers, body


def signed_json(endpoint, service, target, payload, key, secret, version="1.1"):
    """A botocore-signed awsJson POST: (method, path, headers, body)."""
    body = json.dumps(payload)
    req = AWSRequest(method="POST", url=endpoint + "/", data=body,
                     headers={"Content-Type": f"application/x-amz-json-{version}", "X-Amz-Target": target})
    SigV4Auth(Credentials(key, secret), service, REGION).add_auth(req)
    prepared = req.prepare()
    headers = {k: v for k, v in prepared.headers.items() if k.lower() not in ("content-length", "host")}
    headers["Host"] = endpoint.split("://", 1)[1]
    return "POST", "/", headers, body


CALLS = ("GetCallerIdentity", "GetRole", "Decrypt", "GetSecretValue")
LABELS = {"GetCallerIdentity": "STS GetCallerIdentity", "GetRole": "IAM GetRole",
          "Decrypt": "KMS Decrypt", "GetSecretValue": "Secrets Manager GetSecretValue"}


def prepare(endpoint, key, secret):
    """Creates what the calls read (a role, a KMS key and ciphertext, a secret)."""
    kw = dict(endpoint_url=endpoint, region_name=REGION, aws_access_key_id=key, aws_secret_access_key=secret)
    boto3.client("iam", **kw).create_role(RoleName=ROLE, AssumeRolePolicyDocument=TRUST)
    kms = boto3.client("kms", **kw)
    key_id = kms.create_key(Description="bench")["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"bench-plaintext-32-bytes--------")["CiphertextBlob"]
    boto3.client("secretsmanager", **kw).create_secret(Name="bench-secret", SecretString='{"password":"bench"}')
    return {"blob": base64.b64encode(blob).decode()}


def sign_calls(endpoint, key, secret, prepared):
    """Every measured call, signed now (SigV4 allows 15 min of skew)."""
    return {
        "GetCallerIdentity": signed(endpoint, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"}, key, secret),
        "GetRole": signed(endpoint, "iam", {"Action": "GetRole", "RoleName": ROLE, "Version": "2010-05-08"}, key, secret),
        "Decrypt": signed_json(endpoint, "kms", "TrentService.Decrypt", {"CiphertextBlob": prepared["blob"]}, key, secret),
        "GetSecretValue": signed_json(endpoint, "secretsmanager", "secretsmanager.GetSecretValue",
                                      {"SecretId": "bench-secret"}, key, secret),
    }


def raw_request(method, path, headers, body):
    lines = [f"{method} {path} HTTP/1.1"]
    hdrs = dict(headers)
    hdrs["Content-Length"] = str(len(body))
    for k, v in hdrs.items():
        lines.append(f"{k}: {v}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def lua_script(method, path, headers, body):
    q = lambda s: json.dumps(s)  # a JSON string literal is a valid Lua string here (ASCII)
    out = [f"wrk.method = {q(method)}", f"wrk.path = {q(path)}", f"wrk.body = {q(body)}"]
    for k, v in headers.items():
        out.append(f"wrk.headers[{q(k)}] = {q(v)}")
    return "\n".join(out) + "\n"


def check_once(port, req_bytes, timeout=2.0):
    """Sends one raw request on a fresh connection; returns the status code (or None)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(req_bytes)
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
            return int(m.group(1)) if m else None
    except OSError:
        return None


def wrk(port, script_text, seconds):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script_text)
        path = f.name
    try:
        out = subprocess.run(
            ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--latency", "-s", path,
             f"http://127.0.0.1:{port}/"],
            capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(path)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    return {"rps": rps, "requests": total, "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": sock.group(1).strip() if sock else "", "p50": p50.group(1) if p50 else "?",
            "p99": p99.group(1) if p99 else "?"}


def machine_jiffies():
    """(idle, total) jiffies of all CPUs from /proc/stat: idle includes iowait."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[3] + v[4], sum(v[:8])


def warm_up(port, request, label):
    """Checks that the signed request answers 200, then runs wrk once unmeasured."""
    method, path, headers, body = request
    status = check_once(port, raw_request(method, path, headers, body))
    if status != 200:
        raise SystemExit(f"{label}: the signed request answered {status}, not 200")
    if WARMUP > 0:
        wrk(port, lua_script(*request), WARMUP)


def measure(pid, port, request, label, perf_out=None):
    """One measured run with the server's CPU delta (under `perf record` into `perf_out`)."""
    script = lua_script(*request)
    perf = None
    if perf_out:
        perf = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "4000", "--per-thread", "-p", str(pid), "-o", perf_out]
                                + ([] if os.environ["BENCH_PERF"] == "1" else os.environ["BENCH_PERF"].split()), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)
    c0, m0 = cpu_secs(pid), machine_jiffies()
    r = wrk(port, script, DURATION)
    c1, m1 = cpu_secs(pid), machine_jiffies()
    if perf:
        perf.send_signal(signal.SIGINT)
        perf.wait()
    r["cpu_us_per_req"] = (c1 - c0) / r["requests"] * 1e6 if r["requests"] else float("nan")
    r["cpu_cores"] = (c1 - c0) / DURATION
    # Idle share of the whole machine over the run: well above 0 means the run was bound by
    # latency (connections ÷ response time), not by the two cores.
    r["machine_idle"] = (m1[0] - m0[0]) / max(1, m1[1] - m0[1])
    ok = r["non2xx"] == 0 and not r["socket_errors"]
    r["ok"] = ok
    print(f"  {label:<38} {r['rps']:>10.0f} req/s  p50 {r['p50']:>8}  p99 {r['p99']:>8}  "
          f"CPU {r['cpu_us_per_req']:>7.1f} µs/req ({r['cpu_cores']:.2f} cores, machine {100 * r['machine_idle']:.0f}% idle)"
          + ("" if ok else f"  FAILED: non-2xx {r['non2xx']}, socket errors {r['socket_errors']!r}"), flush=True)
    return r


def wait_ready(proc, port, req_bytes, deadline_s=30.0, poll_s=0.0005):
    t0 = time.monotonic()
    while time.monotonic() - t0 < deadline_s:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        if check_once(port, req_bytes, timeout=1.0) == 200:
            return time.monotonic() - t0
        time.sleep(poll_s)
    raise SystemExit("server did not answer in time")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --------------------------------------------------------------------------------------------
# edgeward
# --------------------------------------------------------------------------------------------

def start_edgeward(data_dir, port):
    env = dict(os.environ, EDGEWARD_LOG="warn")
    log = open(os.environ["BENCH_SERVER_LOG"], "a") if os.environ.get("BENCH_SERVER_LOG") else subprocess.DEVNULL
    return subprocess.Popen([EDGEWARD_BIN, "cloud", "serve", "--data-dir", data_dir, "--listen", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=log, env=env)


def root_credentials(proc, data_dir):
    """Waits for a first start to write root-credentials.json; the root key of ACCOUNT."""
    path = os.path.join(data_dir, "root-credentials.json")
    t0 = time.monotonic()
    while not os.path.exists(path):
        if proc.poll() is not None or time.monotonic() - t0 > 30:
            raise SystemExit("edgeward did not start")
        time.sleep(0.005)
    with open(path) as f:
        c = json.load(f)[ACCOUNT]
    return c["accessKeyId"], c["secretAccessKey"]


class Server:
    """A running server under test: its process, port, signed calls and one-off results."""

    def __init__(self, name, proc, port, calls, res):
        self.name, self.proc, self.port, self.calls, self.res = name, proc, port, calls, res
        self.data_dir = None


def setup_edgeward():
    """First start, start-up timings, idle RSS; leaves a server running for the runs."""
    print(f"edgeward ({EDGEWARD_BIN}; SigV4 + IAM authz + durable hash-chained trail, fsync per group)", flush=True)
    data_dir = tempfile.mkdtemp(prefix="edgeward-bench-", dir=os.path.join(ROOT, "target"))
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    res = {}
    # First start creates the store and the accounts' root keys (cold).
    proc = start_edgeward(data_dir, port)
    try:
        key, secret = root_credentials(proc, data_dir)
        gci = signed(endpoint, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"}, key, secret)
        wait_ready(proc, port, raw_request(*gci))
        prepared = prepare(endpoint, key, secret)
    finally:
        stop(proc)

    # Warm store: restart and time spawn → first 200 (median of 5).
    startups = []
    for _ in range(5):
        proc = start_edgeward(data_dir, port)
        startups.append(wait_ready(proc, port, raw_request(*gci)))
        stop(proc)
    res["startup_ms"] = statistics.median(startups) * 1000
    res["startup_ms_all"] = [round(s * 1000, 1) for s in startups]
    print(f"  start-up to first 200 (warm store): {res['startup_ms']:.1f} ms median of {res['startup_ms_all']}")

    proc = start_edgeward(data_dir, port)
    wait_ready(proc, port, raw_request(*gci))
    time.sleep(0.5)
    res["idle_rss_mb"] = rss_mb(proc.pid)
    print(f"  idle RSS after start: {res['idle_rss_mb']:.1f} MB", flush=True)
    # Sign shortly before the runs (SigV4 allows 15 min of skew).
    server = Server("edgeward", proc, port, sign_calls(endpoint, key, secret, prepared), res)
    server.data_dir = data_dir
    return server


def finish_edgeward(server, requests):
    """RSS after the runs; start-up again, now with every event of the runs in the store."""
    res, data_dir, port = server.res, server.data_dir, server.port
    res["rss_after_mb"] = rss_mb(server.proc.pid)
    print(f"  edgeward RSS after the runs: {res['rss_after_mb']:.1f} MB", flush=True)
    stop(server.proc)
    size_mb = os.path.getsize(os.path.join(data_dir, "edgeward.redb")) / 2**20
    proc = start_edgeward(data_dir, port)
    try:
        res["startup_after_ms"] = wait_ready(proc, port, raw_request(*server.calls["GetCallerIdentity"])) * 1000
        res["idle_rss_after_restart_mb"] = rss_mb(proc.pid)
    finally:
        stop(proc)
    print(f"  edgeward start-up with the runs' trail in the store (≥{requests} events, {size_mb:.0f} MB): "
          f"{res['startup_after_ms']:.1f} ms, RSS then {res['idle_rss_after_restart_mb']:.1f} MB", flush=True)


def setup_moto():
    moto_bin = shutil.which("moto_server", path=os.path.dirname(sys.executable)) or shutil.which("moto_server")
    print(f"moto_server ({moto_bin}; no auth enforcement, in memory)", flush=True)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    key, secret = "FOOBARKEY", "FOOBARSECRET"
    res = {}
    proc = subprocess.Popen([moto_bin, "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        gci = signed(endpoint, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"}, key, secret)
        res["startup_ms"] = wait_ready(proc, port, raw_request(*gci), poll_s=0.01) * 1000
        time.sleep(0.5)
        res["idle_rss_mb"] = rss_mb(proc.pid)
        print(f"  start-up to first 200: {res['startup_ms']:.0f} ms; idle RSS {res['idle_rss_mb']:.1f} MB", flush=True)
        calls = sign_calls(endpoint, key, secret, prepare(endpoint, key, secret))
    except BaseException:
        stop(proc)
        raise
    return Server("moto", proc, port, calls, res)


def run_rounds(servers):
    """Warm-up per server and call, then ROUNDS rounds; in each, every call is measured on
    each server in turn (the order flips every round). Returns {server: {call: [runs]}}."""
    runs = {s.name: {c: [] for c in CALLS} for s in servers}
    for call in CALLS:
        for s in servers:
            warm_up(s.port, s.calls[call], f"{s.name} {LABELS[call]}")
    for rnd in range(ROUNDS):
        print(f"round {rnd + 1} of {ROUNDS}", flush=True)
        for call in CALLS:
            for s in (servers if rnd % 2 == 0 else servers[::-1]):
                time.sleep(0.3)  # the other server's last commits and checkpoint settle
                perf = None
                if os.environ.get("BENCH_PERF") and s.name == "edgeward" and rnd == 0:
                    perf = os.path.join(ROOT, "target", f"bench-perf-{call}.data")
                runs[s.name][call].append(measure(s.proc.pid, s.port, s.calls[call], f"{s.name} {LABELS[call]}", perf))
    return runs


def summarize(runs):
    """Medians over the rounds of each server's runs; per call, the ratio per round."""
    results = {}
    for name, by_call in runs.items():
        results[name] = {}
        for call, rs in by_call.items():
            results[name][call] = {
                "rps": statistics.median(r["rps"] for r in rs),
                "cpu_us_per_req": statistics.median(r["cpu_us_per_req"] for r in rs),
                "ok": all(r["ok"] for r in rs),
                "runs": rs,
            }
    if "edgeward" in runs and "moto" in runs:
        results["ratio"], results["ratio_rounds"] = {}, {}
        for call in CALLS:
            per_round = [e["rps"] / m["rps"] if m["rps"] else float("inf")
                         for e, m in zip(runs["edgeward"][call], runs["moto"][call])]
            results["ratio_rounds"][call] = per_round
            results["ratio"][call] = statistics.median(per_round)
    return results


def main():
    print(f"wrk -t{THREADS} -c{CONNECTIONS}: {WARMUP} s warm-up, then {ROUNDS} rounds of {DURATION} s per call and server; "
          f"{os.cpu_count()} cores shared by wrk and the server; loopback", flush=True)
    servers = []
    try:
        if ONLY in ("", "edgeward"):
            servers.append(setup_edgeward())
        if ONLY in ("", "moto"):
            servers.append(setup_moto())
        runs = run_rounds(servers)
        for s in servers:
            if s.name == "edgeward":
                finish_edgeward(s, sum(r["requests"] for rs in runs["edgeward"].values() for r in rs))
    finally:
        for s in servers:
            stop(s.proc)
            if s.data_dir and not os.environ.get("BENCH_KEEP"):
                shutil.rmtree(s.data_dir, ignore_errors=True)
    results = summarize(runs)
    for s in servers:
        results[s.name].update(s.res)
    if "ratio" in results:
        e, m = results["edgeward"], results["moto"]
        print(f"\nsummary: medians over {ROUNDS} rounds (target: edgeward ≥ 100× moto; start-up ≤ 50 ms; idle RSS ≤ 30 MB)")
        print(f"  {'call':<20} {'edgeward req/s':>15} {'moto req/s':>11} {'ratio':>8}  {'ratio per round':<24} {'edgeward CPU/req':>17} {'moto CPU/req':>13}")
        for call in CALLS:
            rounds = " ".join(f"{x:.0f}" for x in results["ratio_rounds"][call])
            print(f"  {call:<20} {e[call]['rps']:>15.0f} {m[call]['rps']:>11.0f} {results['ratio'][call]:>7.1f}×  {rounds:<24} "
                  f"{e[call]['cpu_us_per_req']:>14.1f} µs {m[call]['cpu_us_per_req']:>10.0f} µs")
        print(f"  start-up: edgeward {e['startup_ms']:.1f} ms (warm store), {e['startup_after_ms']:.0f} ms with the runs' "
              f"trail; moto {m['startup_ms']:.0f} ms")
        print(f"  idle RSS: edgeward {e['idle_rss_mb']:.1f} MB, moto {m['idle_rss_mb']:.1f} MB")
    if os.environ.get("BENCH_JSON"):
        with open(os.environ["BENCH_JSON"], "w") as f:
            json.dump(results, f, indent=2)
    failed = [f"{name}/{c}" for name in ("edgeward", "moto") if name in results for c in CALLS
              if not results[name][c]["ok"]]
    if failed:
        print(f"FAILED runs (non-2xx or socket errors): {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
