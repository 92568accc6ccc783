#!/usr/bin/env bash
# Runs inside the sandbox root (sandbox/enter.sh): build, then every test.
# Extra arguments go to pytest, e.g. tests/run.sh -k claim
#
#   tests/run.sh --edge [ARGS]   only the named subset that make check runs on
#                                the edge releases of the matrix (the tests
#                                marked "edge", see README): SPEC rows, strict
#                                rows, claim route and authentication over
#                                every transport, the events resource, abuse,
#                                a minimal configuration, unit tests
set -euo pipefail
cd "$(dirname "$0")/.."
subset=()
if [ "${1:-}" = --edge ]; then
	shift
	subset=(-m edge)
fi
# Which Asterisk this is, for the matrix table (sandbox/check.sh).
echo "asterisk: $(asterisk -V | sed 's/^Asterisk //')"
make -s all test-module
exec python3 -m pytest tests/e2e "${subset[@]}" -p no:cacheprovider -rf "$@"
