#!/usr/bin/env bash
# make check: every test (Asterisk unit tests and the end-to-end suite, see
# tests/run.sh) on every Asterisk of the version matrix, one after another;
# then the other suites (every tests/*/ci.sh: fault soak, sanitizers, fuzzing,
# packaging, SIP cluster...) on Debian's Asterisk; then a table of the
# results. Needs root. Extra arguments go to pytest.
#
#   sandbox/check.sh                       the whole matrix and every suite
#   SB_MATRIX="debian 20.19.0" sandbox/check.sh       these versions, no other suite
#   SB_MATRIX=20.0.0 SB_EDGE=1 sandbox/check.sh       these, with the edge subset
#   SB_SUITES="soak fuzz" sandbox/check.sh            these suites only, no matrix
#   ASTERISK_SRC=path/to/asterisk-X.Y.Z.tar.gz sandbox/check.sh   a release of yours
#
# A release is built from source the first time (sandbox/asterisk.sh, a few
# minutes) and reused afterwards.
set -euo pipefail
. "$(dirname "$0")/common.sh"
need_root

versions=${SB_MATRIX:-$MATRIX}
edges=${SB_MATRIX:+}
[ -n "${SB_MATRIX:-}" ] || edges=$EDGE_MATRIX
[ -z "${SB_EDGE:-}" ] || { edges=$versions; versions=""; }
suites=$(cd "$REPO_DIR/tests" && ls -d */ci.sh 2>/dev/null | cut -d/ -f1 | xargs || true)
[ -z "${SB_SUITES:-}" ] || { suites=$SB_SUITES; versions=${SB_MATRIX:-}; edges=""; }
[ -z "${SB_MATRIX:-}" ] || suites=${SB_SUITES:-}
[ -z "${ASTERISK_SRC:-}" ] || { versions=$ASTERISK_SRC; edges=""; suites=""; }
args=""
[ $# = 0 ] || args=$(printf ' %q' "$@")  # (printf alone would give one empty argument)
results=$(mktemp -d)
builder="" alongside=""
# Whatever this started in the background goes when it ends, however it ends.
cleanup() {
	local job
	[ -z "$builder" ] || kill -- -"$builder" 2>/dev/null || true
	for job in $alongside; do kill -- -"${job%%:*}" 2>/dev/null || true; done
	rm -rf "$results"
}
trap cleanup EXIT

# Releases built from source, built here in the background at the lowest
# priority while the runs that need none go first (Debian's packages, the
# suites): a cold run then seldom waits for a build, and a warm one finds them
# all cached. A run that needs a release still building waits for it (the
# build's lock), or builds it itself if the background has not got there.
"$REPO_DIR/sandbox/root.sh" debian >/dev/null
sources=$(for v in $versions $edges; do [ "$v" = debian ] || echo "$v"; done | xargs)
unbuilt=$(for v in $sources; do
	[ -f "$(asterisk_install_dir "$(asterisk_tarball "$v")")/.complete" ] || echo "$v"
done | xargs)
if [ -n "$unbuilt" ]; then
	"$REPO_DIR/sandbox/root.sh" build >/dev/null
	step "building Asterisk $unbuilt from source in the background, once (about 3 minutes each)" \
		"$SANDBOX_CACHE/logs/asterisk-*.log"
	setsid nice -n 19 bash -c 'for v in "$@"; do "$0" "$v" >/dev/null 2>&1 || true; done' \
		"$REPO_DIR/sandbox/asterisk.sh" $unbuilt &
	builder=$!
fi

failed=0
# run_versions KIND VERSIONS: the suite (full) or its edge subset (edge) on each
run_versions() {
	local kind=$1 version option start log result summary reported
	shift
	for version in "$@"; do
		option=""; [ "$kind" = edge ] && option=" --edge"
		echo "=== Asterisk $version${option:+ (edge subset)} ===" >&2
		start=$(date +%s)
		log="$results/$(basename "$version").log"
		if SB_ASTERISK=$version "$REPO_DIR/sandbox/enter.sh" "tests/run.sh$option$args" 2>&1 \
			| tee "$log"; then
			result=passed
		else
			result=FAILED
			failed=1
		fi
		# pytest's last line: "N passed, M failed ... in T s"
		summary=$(grep -E '(passed|failed|error)[^=]* in [0-9.]+s' "$log" | tail -n1 | tr -d '=' \
			| xargs || true)
		reported=$(sed -n 's/^asterisk: //p' "$log" | tail -n1)
		printf '%s\t%s\t%s\t%s\t%ss\n' "$version${option:+ (edge)}" "${reported:-?}" "$result" \
			"${summary:-no summary}" "$(($(date +%s) - start))" >> "$results/table"
	done
}

# Debian's first: it needs no build.
for version in $versions; do
	[ "$version" != debian ] || run_versions full debian
done

# run_suite SUITE ASTERISK: one suite on one Asterisk, its output in
# RESULTS/suite-SUITE-ASTERISK.log (and on stderr as it comes if $show), its
# row of the table in .row beside it
run_suite() {
	local suite=$1 asterisk=$2 needs overlay="" network="" start log result summary
	# A suite says what it needs of the sandbox in a "# sandbox: overlay network" line.
	needs=$(sed -n 's/^# sandbox: //p' "$REPO_DIR/tests/$suite/ci.sh")
	case " $needs " in *" overlay "*) overlay=1 ;; esac
	case " $needs " in *" network "*) network=1 ;; esac
	start=$(date +%s)
	log="$results/suite-$suite-$asterisk.log"
	if SB_ASTERISK=$asterisk SB_OVERLAY=$overlay SB_NETWORK=$network \
		"$REPO_DIR/sandbox/enter.sh" "tests/$suite/ci.sh" 2>&1 \
		| if [ -n "${show:-}" ]; then tee "$log" >&2; else cat > "$log"; fi; then
		result=passed
	else
		result=FAILED
	fi
	# Each suite ends with a line "summary: ..." for this table.
	summary=$(sed -n 's/^summary: //p' "$log" | tail -n1)
	printf '%s\t%s\t%s\t%s\t%ss\n' "suite $suite" "$asterisk" "$result" \
		"${summary:-no summary}" "$(($(date +%s) - start))" > "$results/suite-$suite-$asterisk.row"
	[ "$result" = passed ]
}

# A suite says on which Asterisks it runs in a "# asterisk: debian 20.19.0"
# line (default: Debian's). One whose length its own clock sets (the fuzz
# smoke: so many seconds a target) says "# alongside: yes": it runs after the
# others, in the background at a low priority (below the tests, above the
# background builds) while the releases built from source run in turn. A
# slower machine gives it fewer executions, not more time. Its output is shown
# when it ends.
later=""   # SUITE:ASTERISK of each run left for the background
for suite in $suites; do
	on=$(sed -n 's/^# asterisk: //p' "$REPO_DIR/tests/$suite/ci.sh")
	for asterisk in ${on:-debian}; do
		if grep -qx '# alongside: yes' "$REPO_DIR/tests/$suite/ci.sh"; then
			later="$later $suite:$asterisk"
			continue
		fi
		echo "=== suite $suite on $asterisk ===" >&2
		show=1 run_suite "$suite" "$asterisk" || failed=1
		cat "$results/suite-$suite-$asterisk.row" >> "$results/table"
	done
done

export -f run_suite
for run in $later; do
	echo "=== suite ${run%:*} on ${run#*:}: in the background, shown at the end ===" >&2
	results=$results REPO_DIR=$REPO_DIR setsid nice -n 10 \
		bash -c 'set -o pipefail; run_suite "$@"' run_suite "${run%:*}" "${run#*:}" &
	alongside="$alongside $!:$run"
done

# The releases built from source, in the order they were built.
run_versions full $(for v in $versions; do [ "$v" = debian ] || echo "$v"; done)
run_versions edge $edges

for job in $alongside; do
	run=${job#*:} && suite=${run%:*} && asterisk=${run#*:}
	wait "${job%%:*}" || failed=1
	echo "=== suite $suite on $asterisk (ran in the background) ===" >&2
	cat "$results/suite-$suite-$asterisk.log" >&2
	cat "$results/suite-$suite-$asterisk.row" >> "$results/table"
done

echo
echo "Asterisk         | version reported              | result | tests | time"
echo "-----------------|-------------------------------|--------|-------|-----"
awk -F'\t' '{ printf "%-16s | %-29s | %-6s | %s | %s\n", $1, $2, $3, $4, $5 }' "$results/table"
exit "$failed"
