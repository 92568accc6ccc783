#!/usr/bin/env bash
# CI's short fault soak (make soak runs the long one): build, then 2,000 calls
# with faults injected; fails on any broken invariant. See tests/soak/soak.py.
# On Debian's Asterisk (Asterisk's own claim route) and on 20.19.0 (ours, in
# ARI's handler tree); on both, every other agent claims down its WebSocket.
# asterisk: debian 20.19.0
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s all
exec python3 -u tests/soak/soak.py --calls "${SOAK_CALLS:-2000}"
