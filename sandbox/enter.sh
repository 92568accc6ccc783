#!/usr/bin/env bash
# Run a command inside a sandbox root, in private mount, PID and network
# namespaces.
#
#   sandbox/enter.sh 'make && tests/run.sh'
#   SB_ASTERISK=20.19.0 sandbox/enter.sh 'tests/run.sh'
#
# SB_ASTERISK chooses the Asterisk: "debian" (the default; Debian's packages,
# with the stock modules beside ours), a release version from
# $ASTERISK_SRC_DIR, or the path of a release tarball. A release is built once
# (sandbox/asterisk.sh) and mounted read-only at /opt/asterisk in the build
# root; the command then finds it through ASTERISK_INCLUDE, ASTERISK_CONF and
# PATH.
#
# Every run is private, so runs can go on side by side: the repository
# (without .git and build output) is copied to a directory of its own, seen
# inside as /opt/stasis-broadcast, where the command runs; the instances'
# /var/lib/sb is a fresh directory too; and the network namespace has a
# loopback of its own (all of 127.0.0.0/8), so no two runs share a port and
# nothing is reached outside. Dependencies that come from a registry (the Node
# example's node_modules) are fetched before, outside, and cached.
#
# The command runs under a bash that stays PID 1 of the namespace: daemons
# that exit (Asterisk daemonizes) are reparented to PID 1 and must be reaped,
# which bash does and a test runner as PID 1 would not (a zombie still
# answers "kill -0", and every instance stop would wait out its timeout).
#
# When the command ends -- passed, failed or killed -- every process of the
# run is gone with its PID namespace, every mount with its mount namespace,
# and the run's directory is removed. SB_EXPORT=PATH first copies PATH (a
# directory, relative to the repository) from the run's copy back into the
# repository: bench/run.sh uses it for its results.
#
# Two options for suites that need them (tests/*/ci.sh declare them, see
# sandbox/check.sh):
#   SB_OVERLAY=1  the root is seen through an overlay whose writes belong to
#                 the run: installing packages inside changes nothing outside.
#   SB_NETWORK=1  keep the machine's network (for a registry): no private
#                 loopback then, so use ports no other run uses.
set -euo pipefail
. "$(dirname "$0")/common.sh"
need_root

[ $# -ge 1 ] || { echo "usage: $0 'command'" >&2; exit 2; }
asterisk=${SB_ASTERISK:-debian}
mount_asterisk=""
asterisk_env=(SB_ASTERISK="$asterisk")
if [ "$asterisk" = debian ]; then
	root=$("$REPO_DIR/sandbox/root.sh" debian)
else
	mount_asterisk=$("$REPO_DIR/sandbox/asterisk.sh" "$asterisk")
	root=$("$REPO_DIR/sandbox/root.sh" build)
	asterisk_env+=(ASTERISK_INCLUDE=/opt/asterisk/include
		ASTERISK_CONF=/opt/asterisk/etc/asterisk/asterisk.conf)
fi
mkdir -p "$root/opt/stasis-broadcast" "$root/var/lib/sb" "$root/opt/asterisk"

# Package registries are reached with the machine's own trust store (which may
# hold a site CA): hand it to npm and Node inside the root.
ca_env=()
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
	cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/host-ca-certificates.crt"
	ca_env=(NODE_EXTRA_CA_CERTS=/etc/ssl/host-ca-certificates.crt
		npm_config_cafile=/etc/ssl/host-ca-certificates.crt)
fi

# node_modules_dir: the Node example's dependencies, installed once per lock file
node_modules_dir() {
	local lock="$REPO_DIR/examples/node/package-lock.json" dir tmp
	dir="$SANDBOX_CACHE/node-modules-$(cat "$lock" "$REPO_DIR/examples/node/package.json" \
		| sha256sum | cut -c1-12)"
	if [ ! -d "$dir" ]; then
		tmp=$(mktemp -d "$root/tmp/npm.XXXXXX")
		cp "$lock" "$REPO_DIR/examples/node/package.json" "$tmp/"
		mkdir -p "$SANDBOX_CACHE/logs"
		step "installing the Node example's packages from npm, once" "$SANDBOX_CACHE/logs/npm.log"
		chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root "${ca_env[@]}" \
			/bin/sh -c "cd /tmp/$(basename "$tmp") && npm ci --no-audit --no-fund --loglevel=error" \
			>"$SANDBOX_CACHE/logs/npm.log" 2>&1 || {
			tail -n 20 "$SANDBOX_CACHE/logs/npm.log" >&2
			die "npm ci failed; the whole log is $SANDBOX_CACHE/logs/npm.log"
		}
		mv "$tmp/node_modules" "$dir.tmp.$$" && mv "$dir.tmp.$$" "$dir"
		rm -rf "$tmp"
	fi
	echo "$dir"
}

run=$(mktemp -d "$SANDBOX_CACHE/run.XXXXXX")
cleanup() { rm -rf "$run"; }
trap cleanup EXIT
mkdir -p "$run/src" "$run/sb"
tar -C "$REPO_DIR" --exclude=./.git --exclude=./build --exclude=node_modules -cf - . \
	| tar -C "$run/src" -xf -
cp -a "$(node_modules_dir)" "$run/src/examples/node/node_modules"

# unshare --fork leaves signals to its child, PID 1 of the new namespace, which
# ignores those it has no handler for: so an interrupt or termination of this
# script kills unshare outright, and --kill-child takes the namespace with it.
net=--net
[ "${SB_NETWORK:-}" = 1 ] && net=""
unshare --mount --pid $net --fork --kill-child /bin/sh -c '
	run=$1 root=$2 asterisk=$3 overlay=$4 network=$5; shift 5
	if [ "$overlay" = 1 ]; then
		mkdir -p "$run/upper" "$run/work" "$run/root" &&
		mount -t overlay overlay -o "lowerdir=$root,upperdir=$run/upper,workdir=$run/work" \
			"$run/root" || exit 1
		root=$run/root
	fi
	mount -t proc proc "$root/proc" &&
	mount --bind "$run/src" "$root/opt/stasis-broadcast" &&
	mount --bind "$run/sb" "$root/var/lib/sb" || exit 1
	# Read-only: a test must not change the cached build.
	if [ -n "$asterisk" ]; then mount --bind -o ro "$asterisk" "$root/opt/asterisk" || exit 1; fi
	if [ "$network" != 1 ]; then chroot "$root" ip link set lo up || exit 1; fi
	exec chroot "$root" "$@"' sh "$run" "$root" "$mount_asterisk" "${SB_OVERLAY:-}" "${SB_NETWORK:-}" \
	/usr/bin/env -i PATH=/opt/asterisk/sbin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	"${ca_env[@]}" "${asterisk_env[@]}" \
	LANG=C.UTF-8 TERM="${TERM:-dumb}" CI="${CI:-}" SB_ARGS="${SB_ARGS:-}" \
	/bin/bash -c "cd /opt/stasis-broadcast && { ( $* ) & wait \$!; }" &
sandbox=$!
trap 'kill -KILL "$sandbox" 2>/dev/null; wait "$sandbox" 2>/dev/null; cleanup; exit 130' INT TERM HUP
status=0
wait "$sandbox" || status=$?
if [ -n "${SB_EXPORT:-}" ] && [ -d "$run/src/$SB_EXPORT" ]; then
	mkdir -p "$REPO_DIR/$SB_EXPORT"
	cp -r "$run/src/$SB_EXPORT/." "$REPO_DIR/$SB_EXPORT/"
fi
exit "$status"
