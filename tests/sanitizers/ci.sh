#!/usr/bin/env bash
# The end-to-end suite and a shortened fault soak with our modules built with
# AddressSanitizer and UBSan (gcc), loaded into Debian's Asterisk with the ASan
# runtime preloaded. Fails on any sanitizer report about our code
# (tests/sanitizers/scan.py); reports about Asterisk itself are only counted.
set -euo pipefail
cd "$(dirname "$0")/../.."

export SANITIZE=1 BUILD=build/asan
reports=/var/lib/sb/sanitizer
mkdir -p "$reports"
rm -f "$reports"/*
options="log_path=$reports/asan:detect_leaks=1:fast_unwind_on_malloc=0:malloc_context_size=20"
# Asterisk's own startup and shutdown are not ours to judge: only the scan
# decides, so nothing aborts on Asterisk's account (UBSan keeps going).
export SB_ASTERISK_ENV="LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=$options \
UBSAN_OPTIONS=print_stacktrace=1:log_path=$reports/ubsan"
export SB_BOOT_SECONDS=60

make -s all test-module
status=0
# Every instance boots in about 45 s under the sanitizers (the slow unwinding
# that gives allocations their whole stack): the suite runs in its session
# instance, plus res_prometheus loaded and unloaded under ours in a minimal
# one (our metrics module, which requires it), not every configuration and not against the
# stock modules.
python3 -m pytest tests/e2e -m "not instance" -p no:cacheprovider -q -rf "$@" || status=$?
python3 -m pytest tests/e2e/test_load.py -k "ours and loaded_later" \
	-p no:cacheprovider -q -rf "$@" || status=$?
python3 -u tests/soak/soak.py --calls "${SOAK_CALLS:-500}" --port 8098 | tail -n 3 || status=$?
scan=$(python3 tests/sanitizers/scan.py "$reports") || status=1
echo "$scan"
echo "summary: e2e + soak under ASan/UBSan: $(echo "$scan" | tail -n1)"
exit "$status"
