#!/usr/bin/env bash
# The cluster suite, run by make check (sandbox/check.sh) inside the debian
# root: real SIP calls from SIPp through Kamailio to two Asterisk nodes with
# PJSIP and our modules, the example agents (Python and Node.js) connected to
# both, one node killed with kill -9 in mid-run and brought back
# (tests/cluster/conftest.py). About a minute. Ends with a "summary:" line.
#
#   sandbox/enter.sh tests/cluster/ci.sh
#   SB_SUITES=cluster sandbox/check.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
make -s all || { echo "summary: build failed"; exit 1; }
# Not exec'd: this shell stays the namespace's first process and reaps the
# Asterisk daemons the suite stops or kills.
python3 -m pytest tests/cluster -p no:cacheprovider -rf -v "$@" 2>&1 | tee /var/lib/sb/cluster-pytest.log
status=${PIPESTATUS[0]}
result=$(grep -E '(passed|failed|error)[^=]* in [0-9.]+s' /var/lib/sb/cluster-pytest.log | tail -n1 \
	| tr -d '=' | sed 's/ in [0-9.]*s.*//' | xargs)
echo "summary: ${result:-no result}; $(cat /var/lib/sb/cluster/summary.txt 2>/dev/null || echo 'no figures')"
exit "$status"
