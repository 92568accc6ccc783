#!/usr/bin/env bash
# Runs inside the sandbox (sandbox/enter.sh): the whole end-to-end suite N
# times in a row, to find tests that fail only now and then. Prints every
# failure as it comes and a tally at the end; exits non-zero if any run failed.
#
#   sandbox/enter.sh 'tests/loop.sh 50'
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
make -s all test-module || exit 1
failed=0
for i in $(seq 1 "$runs"); do
	out=$(python3 -m pytest tests/e2e -p no:cacheprovider -q -rf 2>&1)
	summary=$(tail -n 1 <<<"$out")
	echo "run $i: $summary"
	if ! grep -q " passed" <<<"$summary" || grep -qE "failed|error" <<<"$summary"; then
		failed=$((failed + 1))
		grep -E "^(FAILED|ERROR) " <<<"$out"
		grep -E "^E  " <<<"$out" | head -n 20
	fi
done
echo "summary: $((runs - failed)) of $runs runs of the whole suite passed"
[ "$failed" = 0 ]
