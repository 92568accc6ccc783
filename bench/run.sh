#!/usr/bin/env bash
# make bench: run bench/run.py (report.md) and bench/sip_load.py (sip.md, SIP load)
# inside the sandbox; their reports are copied back into bench/results/
# (SB_EXPORT). BENCH_ONLY=core or BENCH_ONLY=sip runs one of the two.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
case ${BENCH_ONLY:-} in
core) benches="bench/run.py" ;;
sip) benches="bench/sip_load.py" ;;
*) benches="bench/run.py bench/sip_load.py" ;;
esac
SB_EXPORT=bench/results "$repo/sandbox/enter.sh" \
	"make -s all && export BENCH_QUICK=${BENCH_QUICK:-} && $(printf 'python3 -u %s && ' $benches)true"
ls -td "$repo"/bench/results/*/ | head -n 1   # the newest report
