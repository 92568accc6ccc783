#!/usr/bin/env bash
# Run every test: build the modules and the unit-test module inside the
# sandbox, start Asterisk, run the Asterisk unit tests and the end-to-end
# suite (tests/run.sh). Needs root. Extra arguments go to pytest.
set -euo pipefail
args=$(printf ' %q' "$@")
exec "$(dirname "$0")/enter.sh" "tests/run.sh$args"
