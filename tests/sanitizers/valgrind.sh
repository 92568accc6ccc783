#!/usr/bin/env bash
# make valgrind: Debian's Asterisk with our modules under valgrind's memcheck,
# through a smaller fault soak (VALGRIND_CALLS, default 200). Fails on any
# memcheck report about our code (scan.py); reports about Asterisk itself are
# only counted. Slow: Asterisk boots in about a minute under valgrind.
set -euo pipefail
cd "$(dirname "$0")/../.."

reports=/var/lib/sb/valgrind
mkdir -p "$reports"
rm -f "$reports"/*
# Leaks: only "definitely lost" blocks count (Asterisk keeps most of what it
# allocated reachable until exit). Our modules are built -O2 -g as shipped.
export SB_ASTERISK_WRAPPER="valgrind --tool=memcheck --error-limit=no --num-callers=40 \
--leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
--log-file=$reports/memcheck.%p"
export SB_BOOT_SECONDS=300

make -s all
status=0
python3 -u tests/soak/soak.py --calls "${VALGRIND_CALLS:-200}" --in-flight 4 --port 8098 \
	| tail -n 3 || status=$?
scan=$(python3 tests/sanitizers/scan.py "$reports") || status=1
[ -z "${VALGRIND_SHOW:-}" ] || grep -h -A25 "^==[0-9]*== [A-Z]" "$reports"/* | head -n 60
echo "$scan"
grep -h "ERROR SUMMARY" "$reports"/* | tail -n 1 || true
echo "summary: soak under valgrind memcheck: $(echo "$scan" | tail -n1)"
exit "$status"
