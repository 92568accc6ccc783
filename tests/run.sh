#!/usr/bin/env bash
# Runs inside the sandbox root (sandbox/enter.sh): build, then every test.
# Extra arguments go to pytest, e.g. tests/run.sh -k claim
set -euo pipefail
cd "$(dirname "$0")/.."
# Which Asterisk this is, for the matrix table (sandbox/check.sh).
echo "asterisk: $(asterisk -V | sed 's/^Asterisk //')"
make -s all test-module
exec python3 -m pytest tests/e2e -p no:cacheprovider -rf "$@"
