# Included by the Makefile: make soak.

# The long fault soak (tests/soak/soak.py; CI runs 2,000 calls): SOAK_CALLS=20000
# calls with faults injected, one invariant per call, nothing left behind.
SOAK_CALLS ?= 20000
.PHONY: soak
soak:
	SB_EXPORT=tests/soak/results sandbox/enter.sh 'make -s all && mkdir -p tests/soak/results && \
		python3 -u tests/soak/soak.py --calls $(SOAK_CALLS) --max-rss-growth-kb 16384 \
		--report tests/soak/results/soak-$(SOAK_CALLS).json'
