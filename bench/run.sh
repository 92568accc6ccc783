#!/usr/bin/env bash
# make bench: run bench/run.py (report.md: stock vs ours), bench/floor.py
# (floor.md: the floor of fan-out cost) and
# bench/sip_load.py (sip.md, SIP load) inside the sandbox, then claim ->
# StasisStart over HTTP and down the WebSocket on Debian's 22.10.1 and on
# 20.19.0 (bench/versions.sh); the reports are copied back into bench/results/
# (SB_EXPORT). BENCH_ONLY=core, floor, sip or transports runs one of them.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
case ${BENCH_ONLY:-} in
core) benches="bench/run.py" ;;
floor) benches="bench/floor.py" ;;
sip) benches="bench/sip_load.py" ;;
transports) benches="" ;;
*) benches="bench/run.py bench/floor.py bench/sip_load.py" ;;
esac
# BENCH_BEFORE=COMMIT: our sources at that commit, built and run beside ours
# as the variant "before" (bench/floor.py), for a comparison in one run.
rm -rf "$repo/bench/.before"
if [ -n "${BENCH_BEFORE:-}" ]; then
	mkdir -p "$repo/bench/.before"
	git -C "$repo" archive "$BENCH_BEFORE" Makefile src docs | tar -x -C "$repo/bench/.before"
	# "beside ours": ours itself (default) stays unless BENCH_DISPATCH says otherwise.
	BENCH_DISPATCH="before ${BENCH_DISPATCH:-default}"
	BENCH_BEFORE_LABEL=$(git -C "$repo" log -1 --format='%h, %ad' --date=short "$BENCH_BEFORE")
fi
# The sandbox starts with an empty environment: the benchmarks' settings are
# handed in (BENCH_DISPATCH, BENCH_CLIENTS and BENCH_PYFAN_WORKERS: see bench/floor.py).
settings=""
for name in BENCH_QUICK BENCH_DISPATCH BENCH_CLIENTS BENCH_PYFAN_WORKERS BENCH_BEFORE_LABEL; do
	[ -z "${!name+set}" ] || settings="$settings$(printf 'export %s=%q && ' "$name" "${!name}")"
done
if [ -n "$benches" ]; then
	SB_EXPORT=bench/results "$repo/sandbox/enter.sh" \
		"make -s all floor-module && $settings$(printf 'python3 -u %s && ' $benches)true"
fi
case ${BENCH_ONLY:-transports} in
transports) SB_MATRIX="debian 20.19.0" BENCH_CALLS=${BENCH_CALLS:-300} "$repo/bench/versions.sh" ;;
esac
ls -td "$repo"/bench/results/*/ | head -n 1   # the newest report
