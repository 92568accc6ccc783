#!/usr/bin/env bash
# make bench: run bench/run.py inside the sandbox, then copy the report out of
# the sandbox's copy of the repository into bench/results/.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/sandbox/enter.sh" "make -s all && BENCH_QUICK=${BENCH_QUICK:-} python3 -u bench/run.py"
root=$("$repo/sandbox/root.sh")
mkdir -p "$repo/bench/results"
cp -r "$root/opt/stasis-broadcast/bench/results/." "$repo/bench/results/"
ls -d "$repo"/bench/results/*/ | tail -n 1
