#!/usr/bin/env bash
# make cluster-demo: StasisBroadcast on two Asterisk nodes behind Kamailio,
# SIPp calling, the example agents on both nodes, one node killed part way
# (sandbox/cluster_demo.py). Needs root; about a minute.
set -euo pipefail
# "; status" keeps this shell the sandbox's first process, so it reaps the
# Asterisk daemons the demo stops and kills.
exec "$(dirname "$0")/enter.sh" 'make -s all && { python3 -u sandbox/cluster_demo.py; status=$?; exit $status; }'
