#!/usr/bin/env bash
# Fuzz our parsers: each target runs for FUZZ_SECONDS in an Asterisk of its own,
# started with AddressSanitizer's runtime preloaded, then this prints a line per
# target and a summary. Runs INSIDE the sandbox root (sandbox/enter.sh; it is
# what `make fuzz` and tests/fuzz/ci.sh run).
#
#   tests/fuzz/run.sh [TARGET...]     default: every target with a seed corpus
#
#   FUZZ_SECONDS  seconds per target (default 60)
#   FUZZ_OUT      where the results go (default build/fuzz)
#   FUZZ_FLAGS    more libFuzzer flags for every target (-seed=N, -runs=N, ...)
#   FUZZ_LEAK_STACKS=1  whole allocation stacks in leak reports (Asterisk has
#                 no frame pointers); Asterisk then boots in ~30 s, not ~5
#
# Per target, FUZZ_OUT/TARGET/ holds fuzz.log (libFuzzer's and the sanitizers'
# report), findings/ (the inputs of crashes, sanitizer reports, broken
# promises, timeouts, leaks) and corpus/ (what libFuzzer found beyond the
# seeds of tests/fuzz/corpus/TARGET, which it only reads). Any finding, or a
# run that does not finish, makes the exit status non-zero -- except a
# finding whose input then runs clean three times in a fresh Asterisk
# (replay.log): that one is reported as not reproducible (CI's summary line
# names it) and kept in findings/, as fuzzers' CI checks do.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

seconds=${FUZZ_SECONDS:-60}
out=${FUZZ_OUT:-build/fuzz}
case $out in /*) ;; *) out=$root/$out ;; esac
targets=${*:-$(ls tests/fuzz/corpus)}

make -s all fuzz-module
runtime=$(clang -print-resource-dir)/lib/linux/libclang_rt.asan-x86_64.so
# Leaks are checked once, when a run ends (the module says why), by the
# module rather than at exit, and libFuzzer's own check after each input is
# off. No llvm-symbolizer in the sandbox: addr2line names the frames.
asan_options=detect_leaks=1:leak_check_at_exit=0:detect_stack_use_after_return=1
asan_options=$asan_options:allow_addr2line=1:external_symbolizer_path=/usr/bin/addr2line
[ -z "${FUZZ_LEAK_STACKS:-}" ] || asan_options=$asan_options:fast_unwind_on_malloc=0
asan_env="LD_PRELOAD=$runtime ASAN_OPTIONS=$asan_options \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"

# libFuzzer flags of every run, and how often a finding's input is run again
common_flags="-timeout=30 -rss_limit_mb=4096 -detect_leaks=0"
replays=3

# flags_for TARGET: libFuzzer flags beyond the common ones
flags_for() {
	case $1 in
	# Patterns over 256 bytes are refused at once; a little more tests that rule.
	filter) echo "-max_len=320" ;;
	*) echo "" ;;
	esac
}

# alive PID: the process exists and is not a zombie
alive() {
	[ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# What a report of a finding starts with, in a log
finding_re='==FUZZ==|ERROR: (AddressSanitizer|libFuzzer)|runtime error:|deadly signal'

# in_asterisk NAME LOG LIMIT ARGS...: libFuzzer with ARGS on one target in a
# fresh Asterisk NAME, reporting to LOG; waits until it ends (at most LIMIT
# seconds, then kills it) and sets $took (s). ARGS begin with the target.
in_asterisk() {
	local name=$1 log=$2 limit=$3 pid waited=0 began
	shift 3
	SB_ASTERISK_ENV=$asan_env sandbox/instance.sh start "$name" --overlay tests/fuzz/configs
	cp "$root/build/fuzz/fuzz_stasis_broadcast.so" "/var/lib/sb/$name/modules/"
	sandbox/instance.sh cli "$name" "module load fuzz_stasis_broadcast.so" >/dev/null
	pid=$(cat "/var/lib/sb/$name/run/asterisk.pid")
	began=$(date +%s)
	sandbox/instance.sh cli "$name" "fuzz stasis_broadcast run $1 $log ${*:2}" >&2
	# libFuzzer ends the process.
	while alive "$pid" && [ "$waited" -lt "$limit" ]; do
		sleep 1
		waited=$((waited + 1))
	done
	if alive "$pid"; then
		echo "fuzz: $name did not end within ${limit}s; killing its Asterisk" >&2
		kill -KILL "$pid" 2>/dev/null || true   # (it may have ended meanwhile)
	fi
	rm -f "/var/lib/sb/$name/run/asterisk.pid"
	took=$(($(date +%s) - began))
}

# run_target TARGET: the libFuzzer run; sets $took (s)
run_target() {
	local target=$1 dir=$out/$1
	rm -rf "$dir"
	mkdir -p "$dir/corpus" "$dir/findings"
	# Allow for boot, the seeds and the final report.
	# shellcheck disable=SC2046 # flags are words
	in_asterisk "fuzz-$target" "$dir/fuzz.log" $((seconds + 300)) "$target" \
		-max_total_time="$seconds" $common_flags -print_final_stats=1 \
		-artifact_prefix="$dir/findings/" $(flags_for "$target") ${FUZZ_FLAGS:-} \
		"$dir/corpus" "$root/tests/fuzz/corpus/$target"
}

# reproduces TARGET: whether the inputs kept in findings/ give a finding
# again, each run REPLAYS times in a fresh Asterisk (log: replay.log)
reproduces() {
	local target=$1 dir=$out/$1 took   # (took: the replay's, not the run's)
	# shellcheck disable=SC2046 # flags and files are words
	in_asterisk "fuzz-$target-replay" "$dir/replay.log" 300 "$target" \
		-runs="$replays" $common_flags -artifact_prefix="$dir/replay-" $(flags_for "$target") \
		$(find "$dir/findings" -type f | sort)
	grep -aqE "$finding_re" "$dir/replay.log" 2>/dev/null
}

# report TARGET: one line about the run; returns 1 on a finding or no result
report() {
	local target=$1 dir=$out/$1 log=$out/$1/fuzz.log execs stats findings inputs leaks seeds grown first
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" 2>/dev/null | tail -n1)
	stats=$(grep -aoE 'cov: [0-9]+ ft: [0-9]+' "$log" 2>/dev/null | tail -n1)
	inputs=$(find "$dir/findings" -type f | wc -l)
	findings=$inputs
	grep -aqE "$finding_re" "$log" 2>/dev/null && [ "$findings" = 0 ] && findings=1
	# Asterisk alone leaks nothing LeakSanitizer sees in a run: every leak counts.
	leaks=$(grep -acE '^(Direct|Indirect) leak of' "$log" 2>/dev/null || true)
	findings=$((findings + ${leaks:-0}))
	seeds=$(find "tests/fuzz/corpus/$target" -type f | wc -l)
	grown=$(find "$dir/corpus" -type f | wc -l)
	total_execs=$((total_execs + ${execs:-0}))
	total_findings=$((total_findings + findings))
	printf 'fuzz: %-12s %10s execs in %ss, %s, corpus %s seeds + %s found, %s findings\n' \
		"$target" "${execs:-?}" "$took" "${stats:-cov ?}" "$seeds" "$grown" "$findings"
	# What a target notes at the end of its run (fuzz.h: finish)
	{ grep -a '^fuzz: note: ' "$log" 2>/dev/null || true; } | sed "s/^fuzz: note: /fuzz: $target: /" | cut -c1-300
	if [ "$findings" != 0 ]; then
		first=$(grep -a -m1 -E "$finding_re|^(Direct|Indirect) leak of" "$log" | cut -c1-240)
		echo "fuzz: $target: findings in $dir/findings; the report:"
		grep -a -m1 -A30 -E "$finding_re" "$log" | sed 's/^/    /'
		[ "${leaks:-0}" = 0 ] || echo "    $leaks leak reports in $log (FUZZ_LEAK_STACKS=1 for whole stacks)"
		grep -aE '^(Base64|artifact_prefix|Test unit written)' "$log" | sed 's/^/    /'
		# A finding's input that runs clean in a fresh Asterisk, again and
		# again, did not cause it alone: the machine did (a stall), or what
		# earlier inputs left. Said, kept, and not a failure; a leak or a
		# report without its input always is one.
		if [ "${leaks:-0}" = 0 ] && [ "$inputs" != 0 ]; then
			if ! reproduces "$target"; then
				echo "fuzz: $target: the input ran clean $replays times in a fresh Asterisk" \
					"($dir/replay.log): not reproducible"
				unreproduced="$unreproduced; $target (not reproducible) after ${took}s: ${first:-no report line}"
				return 0
			fi
			echo "fuzz: $target: the input gives the finding again in a fresh Asterisk ($dir/replay.log)"
		fi
		# The summary line names it: CI shows the end of the output.
		failures="$failures; $target after ${took}s: ${first:-no report line}"
		return 1
	fi
	if [ -z "$execs" ] || ! grep -aq '^Done [0-9]* runs' "$log"; then
		echo "fuzz: $target did not finish; see $log"
		failures="$failures; $target did not finish after ${took}s: $(tail -n1 "$log" | cut -c1-160)"
		total_findings=$((total_findings + 1))
		return 1
	fi
}

start=$(date +%s)
total_execs=0
total_findings=0
failures=""
unreproduced=""
failed=0
count=0
for target in $targets; do
	run_target "$target"
	report "$target" || failed=1
	count=$((count + 1))
done
echo "fuzz: results in $out ($(($(date +%s) - start))s in all)"
echo "summary: $count targets, $total_execs execs, $total_findings findings$failures$unreproduced"
exit "$failed"
