"""pytest plugin for conformance/moto/run.py: writes one JSON line per test with its
outcome (passed, failed, skipped, xfailed, xpassed) and, for failures, the last line of
the error, to the file named by EDGEWARD_MOTO_REPORT. Loaded with `-p edgeward_report`.

It also deselects the tests named in EDGEWARD_MOTO_DESELECT (one id per line: a test and all
its parameters), exactly: pytest's own --deselect matches prefixes, so deselecting
test_list_buckets would also drop test_list_buckets_with_bucket_region."""

import json
import os

_results = {}


def pytest_collection_modifyitems(config, items):
    ids = {i.strip() for i in os.environ.get("EDGEWARD_MOTO_DESELECT", "").splitlines() if i.strip()}
    if not ids:
        return
    keep, drop = [], []
    for item in items:
        (drop if item.nodeid.split("[", 1)[0] in ids else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _short(report):
    text = str(report.longrepr or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    # The "E   ..." lines carry the assertion or exception; keep the first few.
    errors = [ln[1:].strip() for ln in lines if ln.startswith("E ")]
    picked = errors[:3] if errors else lines[-1:]
    return " | ".join(picked)[:400]


def pytest_runtest_logreport(report):
    entry = _results.setdefault(report.nodeid, {"id": report.nodeid, "outcome": "passed", "error": ""})
    if entry["outcome"] in ("failed", "error"):
        return
    if report.failed:
        entry["outcome"] = "failed"
        entry["error"] = (f"[{report.when}] " if report.when != "call" else "") + _short(report)
    elif report.skipped:
        if hasattr(report, "wasxfail"):
            entry["outcome"] = "xfailed"
        elif entry["outcome"] == "passed":
            entry["outcome"] = "skipped"
            entry["error"] = _short(report)
    elif report.when == "call" and hasattr(report, "wasxfail"):
        entry["outcome"] = "xpassed"


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("EDGEWARD_MOTO_REPORT")
    if not path:
        return
    with open(path, "w", encoding="utf-8") as f:
        for entry in _results.values():
            f.write(json.dumps(entry) + "\n")
