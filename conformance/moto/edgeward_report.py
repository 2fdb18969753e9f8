"""pytest plugin for conformance/moto/run.py: writes one JSON line per test with its
outcome (passed, failed, skipped, xfailed, xpassed) and, for failures, the last line of
the error, to the file named by EDGEWARD_MOTO_REPORT. Loaded with `-p edgeward_report`."""

import json
import os

_results = {}


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
