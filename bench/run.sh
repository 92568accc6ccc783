#!/usr/bin/env bash
# make bench: run bench/run.py inside the sandbox; its report is copied back
# into bench/results/ (SB_EXPORT).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
SB_EXPORT=bench/results "$repo/sandbox/enter.sh" \
	"make -s all && BENCH_QUICK=${BENCH_QUICK:-} python3 -u bench/run.py"
ls -d "$repo"/bench/results/*/ | tail -n 1
