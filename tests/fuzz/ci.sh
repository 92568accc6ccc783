#!/usr/bin/env bash
# The fuzz smoke of `make check`: every target for half a minute (FUZZ_SECONDS),
# each in a sanitized Asterisk of its own (see run.sh). Fails on any finding.
# alongside: yes
set -euo pipefail
FUZZ_SECONDS=${FUZZ_SECONDS:-30} exec "$(dirname "$0")/run.sh" "$@"
