#!/usr/bin/env bash
# Create (or reuse) the Debian sid root that holds a real Asterisk 22 and its
# headers. Prints the root's path on stdout. Idempotent: a finished root is
# marked with .complete and reused; a half-built one is thrown away.
set -euo pipefail
. "$(dirname "$0")/common.sh"
need_root

if [ -f "$SANDBOX_ROOT/.complete" ]; then
	echo "$SANDBOX_ROOT"
	exit 0
fi

if ! command -v mmdebstrap >/dev/null; then
	echo "sandbox: installing mmdebstrap" >&2
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >&2
fi

mkdir -p "$SANDBOX_CACHE"
tmp="$SANDBOX_ROOT.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
echo "sandbox: building sid root in $SANDBOX_ROOT (a few minutes)" >&2
mmdebstrap --variant=apt \
	--aptopt='Acquire::Check-Valid-Until "false"' \
	--include="$(echo $SANDBOX_PACKAGES | tr ' ' ',')" \
	sid "$tmp" </dev/null >&2
# Keep the root's own apt usable for later installs (the Release file is stale).
echo 'Acquire::Check-Valid-Until "false";' > "$tmp/etc/apt/apt.conf.d/99no-valid-until"
rm -rf "$SANDBOX_ROOT"
mv "$tmp" "$SANDBOX_ROOT"
trap - EXIT
touch "$SANDBOX_ROOT/.complete"
echo "$SANDBOX_ROOT"
