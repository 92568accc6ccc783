#!/usr/bin/env bash
# Run the product for real: build our modules, start a sandboxed Asterisk 22
# with them, connect competing ARI applications and place a few calls.
# Needs root (chroot and namespaces); the first run builds the sandbox (~1 min).
set -euo pipefail
exec "$(dirname "$0")/enter.sh" 'make -s all && python3 -u sandbox/demo.py'
