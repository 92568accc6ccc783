#!/usr/bin/env bash
# The fuzz smoke of `make check`: every target for about a minute (FUZZ_SECONDS),
# each in a sanitized Asterisk of its own (see run.sh). Fails on any finding.
set -euo pipefail
FUZZ_SECONDS=${FUZZ_SECONDS:-60} exec "$(dirname "$0")/run.sh" "$@"
