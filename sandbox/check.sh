#!/usr/bin/env bash
# make check: every test (Asterisk unit tests and the end-to-end suite, see
# tests/run.sh) on every Asterisk of the version matrix, one after another;
# then the other suites (every tests/*/ci.sh: fault soak, sanitizers, fuzzing,
# packaging, SIP cluster...) on Debian's Asterisk; then a table of the
# results. Needs root. Extra arguments go to pytest.
#
#   sandbox/check.sh                       the whole matrix and every suite
#   SB_MATRIX="debian 20.19.0" sandbox/check.sh       these versions, no other suite
#   SB_SUITES="soak fuzz" sandbox/check.sh            these suites only, no matrix
#   ASTERISK_SRC=path/to/asterisk-X.Y.Z.tar.gz sandbox/check.sh   a release of yours
#
# A release is built from source the first time (sandbox/asterisk.sh, a few
# minutes) and reused afterwards.
set -euo pipefail
. "$(dirname "$0")/common.sh"
need_root

versions=${SB_MATRIX:-$MATRIX}
suites=$(cd "$REPO_DIR/tests" && ls -d */ci.sh 2>/dev/null | cut -d/ -f1 | xargs || true)
[ -z "${SB_SUITES:-}" ] || { suites=$SB_SUITES; versions=${SB_MATRIX:-}; }
[ -z "${SB_MATRIX:-}" ] || suites=${SB_SUITES:-}
[ -z "${ASTERISK_SRC:-}" ] || { versions=$ASTERISK_SRC; suites=""; }
args=""
[ $# = 0 ] || args=$(printf ' %q' "$@")  # (printf alone would give one empty argument)
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

failed=0
for version in $versions; do
	echo "=== Asterisk $version ===" >&2
	start=$(date +%s)
	log="$results/$(basename "$version").log"
	if SB_ASTERISK=$version "$REPO_DIR/sandbox/enter.sh" "tests/run.sh$args" 2>&1 | tee "$log"; then
		result=passed
	else
		result=FAILED
		failed=1
	fi
	# pytest's last line: "N passed, M failed ... in T s"
	summary=$(grep -E '(passed|failed|error)[^=]* in [0-9.]+s' "$log" | tail -n1 | tr -d '=' | xargs || true)
	reported=$(sed -n 's/^asterisk: //p' "$log" | tail -n1)
	printf '%s\t%s\t%s\t%s\t%ss\n' "$version" "${reported:-?}" "$result" "${summary:-no summary}" \
		"$(($(date +%s) - start))" >> "$results/table"
done

for suite in $suites; do
	echo "=== suite $suite ===" >&2
	start=$(date +%s)
	log="$results/suite-$suite.log"
	# A suite says what it needs of the sandbox in a "# sandbox: overlay network" line.
	needs=$(sed -n 's/^# sandbox: //p' "$REPO_DIR/tests/$suite/ci.sh")
	overlay=""; network=""
	case " $needs " in *" overlay "*) overlay=1 ;; esac
	case " $needs " in *" network "*) network=1 ;; esac
	if SB_OVERLAY=$overlay SB_NETWORK=$network "$REPO_DIR/sandbox/enter.sh" "tests/$suite/ci.sh" \
		2>&1 | tee "$log"; then
		result=passed
	else
		result=FAILED
		failed=1
	fi
	# Each suite ends with a line "summary: ..." for this table.
	summary=$(sed -n 's/^summary: //p' "$log" | tail -n1)
	printf '%s\t%s\t%s\t%s\t%ss\n' "suite $suite" "debian" "$result" "${summary:-no summary}" \
		"$(($(date +%s) - start))" >> "$results/table"
done

echo
echo "Asterisk         | version reported              | result | tests | time"
echo "-----------------|-------------------------------|--------|-------|-----"
awk -F'\t' '{ printf "%-16s | %-29s | %-6s | %s | %s\n", $1, $2, $3, $4, $5 }' "$results/table"
exit "$failed"
