# Included by the Makefile: the benchmarks (see bench/run.sh).

# Not part of check: stock vs ours (and the floor of fan-out cost), several
# minutes; BENCH_QUICK=1 for a smoke run.
.PHONY: bench bench-sip bench-versions bench-handoff bench-scored floor-module
bench:
	BENCH_QUICK=$(BENCH_QUICK) bench/run.sh

# SIPp through PJSIP, stock vs ours: highest clean rate, CPU and latency (bench/sip_load.py).
bench-sip:
	BENCH_QUICK=$(BENCH_QUICK) BENCH_ONLY=sip bench/run.sh

# Claim -> StasisStart on every Asterisk of the version matrix, over HTTP and
# down the WebSocket.
bench-versions:
	bench/versions.sh

# What a winner's death costs the call (bench/handoff.py), on Debian's 22.10.1
# and on 20.19.0 (SB_MATRIX to choose).
bench-handoff:
	for v in $${SB_MATRIX:-debian 20.19.0}; do \
		SB_ASTERISK=$$v SB_EXPORT=bench/results sandbox/enter.sh \
			"make -s all && BENCH_CALLS=$${BENCH_CALLS:-100} python3 -u bench/handoff.py" || exit 1; \
	done

# What a decision window costs (bench/scored.py), on Debian's 22.10.1.
bench-scored:
	SB_EXPORT=bench/results sandbox/enter.sh \
		"make -s all && BENCH_CALLS=$${BENCH_CALLS:-100} python3 -u bench/scored.py"

# The floor of fan-out cost (bench/floor): a module of its own, never installed.
FLOOR_MODULE = $(BUILD)/bench_floor.so
floor-module: $(FLOOR_MODULE)

$(FLOOR_MODULE): bench/floor/bench_floor.c | $(BUILD)
	$(call module,bench_floor,$<,)
