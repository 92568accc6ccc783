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
# run that does not finish, makes the exit status non-zero.
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

# run_target TARGET: one libFuzzer run in a fresh Asterisk; sets $took (s)
run_target() {
	local target=$1 dir=$out/$1 name=fuzz-$1 pid waited=0 limit began
	rm -rf "$dir"
	mkdir -p "$dir/corpus" "$dir/findings"
	SB_ASTERISK_ENV=$asan_env sandbox/instance.sh start "$name" --overlay tests/fuzz/configs
	cp "$root/build/fuzz/fuzz_stasis_broadcast.so" "/var/lib/sb/$name/modules/"
	sandbox/instance.sh cli "$name" "module load fuzz_stasis_broadcast.so" >/dev/null
	pid=$(cat "/var/lib/sb/$name/run/asterisk.pid")
	began=$(date +%s)
	# shellcheck disable=SC2046 # flags are words
	sandbox/instance.sh cli "$name" "fuzz stasis_broadcast run $target $dir/fuzz.log \
		-max_total_time=$seconds -timeout=30 -rss_limit_mb=4096 -detect_leaks=0 -print_final_stats=1 \
		-artifact_prefix=$dir/findings/ $(flags_for "$target") ${FUZZ_FLAGS:-} \
		$dir/corpus $root/tests/fuzz/corpus/$target" >&2
	# libFuzzer ends the process; allow for boot, the seeds and the final report.
	limit=$((seconds + 300))
	while alive "$pid" && [ "$waited" -lt "$limit" ]; do
		sleep 1
		waited=$((waited + 1))
	done
	if alive "$pid"; then
		echo "fuzz: $target did not end within ${limit}s; killing its Asterisk" >&2
		kill -KILL "$pid"
	fi
	rm -f "/var/lib/sb/$name/run/asterisk.pid"
	took=$(($(date +%s) - began))
}

# report TARGET: one line about the run; returns 1 on a finding or no result
report() {
	local target=$1 dir=$out/$1 log=$out/$1/fuzz.log execs stats findings leaks seeds grown
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" 2>/dev/null | tail -n1)
	stats=$(grep -aoE 'cov: [0-9]+ ft: [0-9]+' "$log" 2>/dev/null | tail -n1)
	findings=$(find "$dir/findings" -type f | wc -l)
	grep -aqE '==FUZZ== broken promise|ERROR: (AddressSanitizer|libFuzzer)|runtime error:|deadly signal' \
		"$log" 2>/dev/null && [ "$findings" = 0 ] && findings=1
	# Asterisk alone leaks nothing LeakSanitizer sees in a run: every leak counts.
	leaks=$(grep -acE '^(Direct|Indirect) leak of' "$log" 2>/dev/null || true)
	findings=$((findings + ${leaks:-0}))
	seeds=$(find "tests/fuzz/corpus/$target" -type f | wc -l)
	grown=$(find "$dir/corpus" -type f | wc -l)
	total_execs=$((total_execs + ${execs:-0}))
	total_findings=$((total_findings + findings))
	printf 'fuzz: %-12s %10s execs in %ss, %s, corpus %s seeds + %s found, %s findings\n' \
		"$target" "${execs:-?}" "$took" "${stats:-cov ?}" "$seeds" "$grown" "$findings"
	if [ "$findings" != 0 ]; then
		# The summary line names it: CI shows the end of the output.
		first=$(grep -a -m1 -E '==FUZZ==|ERROR: (AddressSanitizer|libFuzzer)|runtime error:|deadly signal|^(Direct|Indirect) leak of' \
			"$log" | cut -c1-240)
		failures="$failures; $target after ${took}s: ${first:-no report line}"
		echo "fuzz: $target: findings in $dir/findings; the report:"
		grep -a -m1 -A30 -E '==FUZZ==|ERROR: (AddressSanitizer|libFuzzer)|runtime error:|deadly signal' \
			"$log" | sed 's/^/    /'
		[ "${leaks:-0}" = 0 ] || echo "    $leaks leak reports in $log (FUZZ_LEAK_STACKS=1 for whole stacks)"
		grep -aE '^(Base64|artifact_prefix|Test unit written)' "$log" | sed 's/^/    /'
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
failed=0
count=0
for target in $targets; do
	run_target "$target"
	report "$target" || failed=1
	count=$((count + 1))
done
echo "fuzz: results in $out ($(($(date +%s) - start))s in all)"
echo "summary: $count targets, $total_execs execs, $total_findings findings$failures"
exit "$failed"
