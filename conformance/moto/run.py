#!/usr/bin/env python3
"""Runs moto's own test suites (server mode) against `edgeward cloud serve --compat moto`.

    python3 conformance/moto/run.py                      # test_sts and test_iam
    python3 conformance/moto/run.py --suites test_sts    # one suite
    python3 conformance/moto/run.py --suites test_s3     # (also test_kms, test_sqs, test_secretsmanager)
    python3 conformance/moto/run.py -k assume_role       # extra arguments go to pytest

Everything it downloads or creates lives under target/moto-conformance/ (the moto sdist,
its extracted tests/, a virtual environment pinned by requirements.txt, one directory per
run). Nothing of moto is copied into the repository. The list of known failures, one test
id per line with the reason after `#`, is expected-failures.txt beside this file; the run
reports failures not on the list and listed tests that now pass, and exits 1 if a test
failed unexpectedly (also on unexpected passes with --strict).

See README.md for what the compatibility mode does and the latest scores.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

MOTO_VERSION = "5.2.5"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WORK = ROOT / "target" / "moto-conformance"
ENDPOINT = "http://localhost:5000"  # some tests hard-code it
LISTEN = "127.0.0.1:5000"
DEFAULT_SUITES = ["test_sts", "test_iam"]
# Every suite runs serially against the one server. moto's server-mode tests call
# /moto-api/reset before and after each test, which would wipe a parallel worker's state, and
# without the reset (MOTO_CALL_RESET_API=false, how moto runs its own parallel suites) fixed
# names collide (test_s3 alone reuses the buckets "foo", "mybucket", "blah",
# "policy-status-bucket" across 50 tests); test_iam and test_secretsmanager do not tolerate
# xdist at all. Serially, test_s3 takes about a minute here.
# pytest outcomes: xfailed means moto itself marks the test as failing (two S3 Select tests);
# it says nothing about the server and is counted with the skipped tests.
PASSED = ("passed", "xpassed")
NOT_RUN = ("skipped", "xfailed")
# Reason prefixes in expected-failures.txt. Tests in the first two groups do not count
# against the in-scope score; `gap:` tests do.
OUT_OF_SCOPE = ("out-of-scope", "moto-specific")
# Tests deselected (not run, not counted), because their outcome against an AWS-faithful
# server is not a fact about the server:
DESELECT = [
    # Never finishes: moto's tests.test_awslambda.utilities.get_role_name loops until CreateRole
    # accepts the trust policy "some policy", which AWS (and edgeward) reject with
    # MalformedPolicyDocument.
    "tests/test_secretsmanager/test_secretsmanager.py::test_cancel_rotate_secret",
    # Coin flips: ListBuckets of two random uuid names expects them in creation order, but S3
    # lists buckets in name order; and re.match("[-a-z0-9]+") on a version id only looks at
    # its first character, which in S3's (and edgeward's) ids may be upper case.
    "tests/test_s3/test_s3.py::test_list_buckets",
    "tests/test_s3/test_s3.py::test_list_buckets_with_max_buckets",
    "tests/test_s3/test_s3_multipart.py::test_multipart_version",
]


def log(msg):
    print(f"[moto-conformance] {msg}", flush=True)


def run(cmd, **kw):
    log("$ " + " ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def fetch_tests():
    """The moto sdist's tests/ (and pyproject.toml, for its pytest markers)."""
    src = WORK / "src" / f"moto-{MOTO_VERSION}"
    if (src / ".extracted").exists():
        return src
    cache = WORK / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    sdist = cache / f"moto-{MOTO_VERSION}.tar.gz"
    if not sdist.exists():
        run([sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--no-binary", ":all:", "--no-deps",
             f"moto=={MOTO_VERSION}", "-d", cache])
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    prefix = f"moto-{MOTO_VERSION}/"
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers()
                   if m.name.startswith(prefix + "tests/") or m.name == prefix + "pyproject.toml"]
        for m in members:
            m.name = m.name[len(prefix):]
            if not (m.isfile() or m.isdir()):
                continue
            tar.extract(m, src, filter="data") if hasattr(tarfile, "data_filter") else tar.extract(m, src)
    (src / ".extracted").write_text(MOTO_VERSION)
    return src


def venv_python():
    """A virtual environment with moto[server] and the pinned test requirements."""
    env = WORK / "venv"
    py = env / "bin" / "python"
    reqs = (HERE / "requirements.txt").read_text()
    stamp = env / ".installed"
    if not py.exists() or not stamp.exists() or stamp.read_text() != reqs:
        shutil.rmtree(env, ignore_errors=True)
        run([sys.executable, "-m", "venv", env])
        run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", HERE / "requirements.txt"])
        stamp.write_text(reqs)
    return py


def edgeward_binary(args):
    if args.edgeward:
        return Path(args.edgeward).resolve()
    if not args.no_build:
        run(["cargo", "build", "-p", "edgeward-cli"], cwd=ROOT)
    return ROOT / "target" / "debug" / "edgeward"


def port_free():
    with socket.socket() as s:
        # SO_REUSEADDR as the server sets it: connections of a previous run in TIME_WAIT do not
        # make the port busy, a listening socket (another server) still does.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", 5000))
            return True
        except OSError:
            return False


def start_server(binary, run_dir):
    if not port_free():
        sys.exit("[moto-conformance] port 5000 is in use; the suites need exactly http://localhost:5000")
    data_dir = run_dir / "data"
    logf = open(run_dir / "server.log", "w")
    proc = subprocess.Popen(
        [binary, "cloud", "serve", "--compat", "moto", "--listen", LISTEN, "--data-dir", data_dir],
        stdout=logf, stderr=subprocess.STDOUT, env={**os.environ, "EDGEWARD_LOG": "warn"},
    )
    deadline = time.time() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", 5000), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                sys.exit(f"[moto-conformance] edgeward did not start; see {run_dir / 'server.log'}")
            time.sleep(0.05)
    return proc


def test_env(run_dir, report):
    """The environment the suites expect: fake keys, no AWS configuration, no IMDS."""
    home = run_dir / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TMPDIR": tempfile.gettempdir(),
        "TEST_SERVER_MODE": "true",
        "TEST_SERVER_MODE_ENDPOINT": ENDPOINT,
        "AWS_ACCESS_KEY_ID": "FOOBARKEY",
        "AWS_SECRET_ACCESS_KEY": "FOOBARSECRET",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
        "TESTS_SKIP_REQUIRES_DOCKER": "true",
        "NO_PROXY": "localhost,127.0.0.1",
        "PYTHONPATH": str(HERE),  # edgeward_report
        "PYTHONDONTWRITEBYTECODE": "1",
        "EDGEWARD_MOTO_REPORT": str(report),
        "EDGEWARD_MOTO_DESELECT": "\n".join(DESELECT),  # exact ids, see edgeward_report.py
    }
    return env


class Expected:
    """expected-failures.txt: `test-id  # reason`; `*` in an id matches anything."""

    def __init__(self, path):
        self.exact = {}
        self.patterns = []
        for n, line in enumerate(path.read_text().splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            test_id, _, reason = line.partition("#")
            test_id, reason = test_id.strip(), reason.strip()
            if not reason:
                sys.exit(f"[moto-conformance] {path}:{n}: every expected failure needs a reason after #")
            if "*" in test_id:
                rx = re.compile("^" + ".*".join(re.escape(p) for p in test_id.split("*")) + "$")
                self.patterns.append((rx, reason))
            else:
                self.exact[test_id] = reason

    def reason(self, test_id):
        if test_id in self.exact:
            return self.exact[test_id]
        for rx, reason in self.patterns:
            if rx.match(test_id):
                return reason
        return None


def suite_of(test_id):
    m = re.match(r"tests/(test_[^/]+)/", test_id)
    return m.group(1) if m else "?"


def summarize(results, expected, suites):
    rows = []
    unexpected_fail, unexpected_pass = [], []
    for suite in suites:
        mine = [r for r in results if suite_of(r["id"]) == suite]
        c = {"total": len(mine), "passed": 0, "skipped": 0, "failed": 0, "expected": 0, "out_of_scope": 0}
        for r in mine:
            reason = expected.reason(r["id"])
            passed = r["outcome"] in PASSED
            if r["outcome"] in NOT_RUN:
                c["skipped"] += 1
                continue
            out = reason is not None and reason.split(":", 1)[0].strip() in OUT_OF_SCOPE
            if out:
                c["out_of_scope"] += 1
            if passed:
                c["passed"] += 1
                if reason is not None:
                    unexpected_pass.append((r["id"], reason))
            else:
                c["failed"] += 1
                if reason is None:
                    unexpected_fail.append((r["id"], r.get("error", "")))
                else:
                    c["expected"] += 1
        ran = c["total"] - c["skipped"]
        in_scope = ran - c["out_of_scope"]
        passed_in_scope = c["passed"] - sum(
            1 for r in mine if r["outcome"] in PASSED
            and (expected.reason(r["id"]) or "").split(":", 1)[0].strip() in OUT_OF_SCOPE)
        c["ran"] = ran
        c["in_scope"] = in_scope
        c["passed_in_scope"] = passed_in_scope
        rows.append((suite, c))
    return rows, unexpected_fail, unexpected_pass


def pct(a, b):
    return f"{100.0 * a / b:.1f}%" if b else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suites", default=",".join(DEFAULT_SUITES), help="comma-separated moto test folders (default: %(default)s)")
    ap.add_argument("--edgeward", help="an edgeward binary to use instead of building target/debug/edgeward")
    ap.add_argument("--no-build", action="store_true", help="use target/debug/edgeward as it is")
    ap.add_argument("--strict", action="store_true", help="also fail when a listed test passes")
    ap.add_argument("--write-failures", metavar="FILE", help="write every failing test id with its error to FILE (for curating the list)")
    ap.add_argument("--json", metavar="FILE", help="write the per-suite counts as JSON")
    ap.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = ap.parse_args()
    suites = [s.strip() for s in args.suites.split(",") if s.strip()]

    src = fetch_tests()
    py = venv_python()
    binary = edgeward_binary(args)
    runs = WORK / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    for old in sorted(runs.iterdir())[:-4]:  # keep the last few runs
        shutil.rmtree(old, ignore_errors=True)
    run_dir = Path(tempfile.mkdtemp(prefix=time.strftime("%Y%m%d-%H%M%S-"), dir=runs))
    report = run_dir / "results.jsonl"
    log(f"run directory {run_dir}")

    server = start_server(binary, run_dir)
    started = time.time()
    try:
        cmd = [str(py), "-m", "pytest", *[f"tests/{s}" for s in suites], "-p", "no:cacheprovider", "-p", "edgeward_report",
               "-q", "--color=no", "-o", "addopts=", "-rN", "--tb=short",
               *args.pytest_args]
        log("$ " + " ".join(cmd))
        with open(run_dir / "pytest.log", "w") as out:
            proc = subprocess.run(cmd, cwd=src, env=test_env(run_dir, report), stdout=out, stderr=subprocess.STDOUT)
        log(f"pytest exited with {proc.returncode} after {time.time() - started:.0f} s (output in {run_dir / 'pytest.log'})")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    if server.returncode not in (0, -signal.SIGTERM):
        log(f"edgeward exited with {server.returncode}; see {run_dir / 'server.log'}")

    if not report.exists():
        sys.exit(f"[moto-conformance] pytest wrote no results; see {run_dir / 'pytest.log'}")
    results = [json.loads(line) for line in report.read_text().splitlines() if line.strip()]
    expected = Expected(HERE / "expected-failures.txt")
    rows, unexpected_fail, unexpected_pass = summarize(results, expected, suites)

    print()
    print(f"{'suite':<14}{'total':>7}{'skipped':>9}{'ran':>6}{'passed':>8}{'failed':>8}{'listed':>8}{'in scope':>10}{'passed':>8}{'score':>8}")
    for suite, c in rows:
        print(f"{suite:<14}{c['total']:>7}{c['skipped']:>9}{c['ran']:>6}{c['passed']:>8}{c['failed']:>8}{c['expected']:>8}"
              f"{c['in_scope']:>10}{c['passed_in_scope']:>8}{pct(c['passed_in_scope'], c['in_scope']):>8}")
    print("(listed = failures in expected-failures.txt; in scope = ran minus tests listed as out-of-scope or moto-specific;"
          " score = in-scope passes / in scope)")
    if unexpected_fail:
        print(f"\nUNEXPECTED FAILURES ({len(unexpected_fail)}):")
        for test_id, err in unexpected_fail:
            print(f"  {test_id}\n      {err}")
    if unexpected_pass:
        print(f"\nUNEXPECTED PASSES ({len(unexpected_pass)}) — remove them from expected-failures.txt:")
        for test_id, reason in unexpected_pass:
            print(f"  {test_id}  # {reason}")
    if args.write_failures:
        with open(args.write_failures, "w") as f:
            for r in results:
                if r["outcome"] == "failed":
                    f.write(f"{r['id']}  # {r.get('error', '')}\n")
        log(f"failures written to {args.write_failures}")
    if args.json:
        Path(args.json).write_text(json.dumps({s: c for s, c in rows}, indent=2) + "\n")
    if unexpected_fail or (args.strict and unexpected_pass):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
