#!/usr/bin/env bash
# Create (or reuse) a Debian sid root of a kind (see common.sh): debian (the
# default; Asterisk 22 from Debian's packages) or build (tools to build
# Asterisk from source, no Asterisk). Prints the root's path on stdout.
# Idempotent: a finished root is marked with .complete and reused; a
# half-built one is thrown away.
set -euo pipefail
. "$(dirname "$0")/common.sh"
need_root

kind=${1:-debian}
root=$(root_path "$kind")
if [ -f "$root/.complete" ]; then
	echo "$root"
	exit 0
fi

# One builder at a time; whoever waited finds the root built.
mkdir -p "$SANDBOX_CACHE"
exec 9>"$root.lock"
flock 9
if [ -f "$root/.complete" ]; then
	echo "$root"
	exit 0
fi

if ! command -v mmdebstrap >/dev/null; then
	mkdir -p "$SANDBOX_CACHE/logs"
	step "installing mmdebstrap" "$SANDBOX_CACHE/logs/mmdebstrap.log"
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap; } \
		>"$SANDBOX_CACHE/logs/mmdebstrap.log" 2>&1 \
		|| { tail -n 20 "$SANDBOX_CACHE/logs/mmdebstrap.log" >&2; die "installing mmdebstrap failed"; }
fi

mkdir -p "$SANDBOX_CACHE/logs"
tmp="$root.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
log="$SANDBOX_CACHE/logs/root-$kind.log"
step "building the $kind sandbox root from Debian sid packages, once (a few minutes)" "$log"
# Before apt's cache is cleaned: keep asterisk-modules' .deb (see common.sh).
hooks=()
[ "$kind" = debian ] && hooks=(--customize-hook='mkdir -p "$1/opt/debs" &&
	cp "$1"/var/cache/apt/archives/asterisk-modules_*.deb "$1/opt/debs/"')
mmdebstrap --variant=apt \
	--aptopt='Acquire::Check-Valid-Until "false"' \
	--include="$(root_packages "$kind" | xargs | tr ' ' ',')" "${hooks[@]}" \
	sid "$tmp" </dev/null >"$log" 2>&1 || {
	tail -n 30 "$log" >&2
	die "building the $kind root failed; the whole log is $log"
}
# Keep the root's own apt usable for later installs (the Release file is stale).
echo 'Acquire::Check-Valid-Until "false";' > "$tmp/etc/apt/apt.conf.d/99no-valid-until"
rm -rf "$root"
mv "$tmp" "$root"
trap - EXIT
touch "$root/.complete"
echo "$root"
