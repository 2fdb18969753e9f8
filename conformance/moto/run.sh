#!/bin/sh
# Runs moto's test_sts and test_iam suites against `edgeward cloud serve --compat moto`.
# Arguments are passed to run.py (see `run.sh --help`).
exec python3 "$(dirname "$0")/run.py" "$@"
