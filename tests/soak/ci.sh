#!/usr/bin/env bash
# CI's short fault soak (make soak runs the long one): build, then 2,000 calls
# with faults injected; fails on any broken invariant. See tests/soak/soak.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s all
exec python3 -u tests/soak/soak.py --calls "${SOAK_CALLS:-2000}"
