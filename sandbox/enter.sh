#!/usr/bin/env bash
# Run a command inside a sandbox root, in a private mount and PID namespace.
#
#   sandbox/enter.sh 'make && tests/run.sh'
#   SB_ASTERISK=20.19.0 sandbox/enter.sh 'tests/run.sh'
#
# SB_ASTERISK chooses the Asterisk: "debian" (the default; Debian's packages,
# with the stock modules beside ours), a release version from
# $ASTERISK_SRC_DIR, or the path of a release tarball. A release is built once
# (sandbox/asterisk.sh) and mounted at /opt/asterisk in the build root; the
# command then finds it through ASTERISK_INCLUDE, ASTERISK_CONF and PATH.
#
# The repository (without .git and build output) is copied to
# /opt/stasis-broadcast in the root and the command runs there. /proc is
# mounted only inside the private mount namespace, and every process started
# inside (Asterisk included) lives in the private PID namespace, so when the
# command ends -- passed, failed or killed -- nothing is left running or
# mounted on the host.
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
dest="$root/opt/stasis-broadcast"

rm -rf "$dest"
mkdir -p "$dest" "$root/opt/asterisk"
tar -C "$REPO_DIR" --exclude=./.git --exclude=./build --exclude=node_modules -cf - . \
	| tar -C "$dest" -xf -

# Package registries are reached with the machine's own trust store (which may
# hold a site CA): hand it to npm and Node inside the root.
ca_env=()
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
	cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/host-ca-certificates.crt"
	ca_env=(NODE_EXTRA_CA_CERTS=/etc/ssl/host-ca-certificates.crt
		npm_config_cafile=/etc/ssl/host-ca-certificates.crt)
fi

# unshare --fork leaves signals to its child, PID 1 of the new namespace, which
# ignores those it has no handler for: so an interrupt or termination of this
# script kills unshare outright, and --kill-child takes the namespace with it.
unshare --mount --pid --fork --kill-child --mount-proc="$root/proc" /bin/sh -c '
	# Read-only: a test must not change the cached build.
	if [ -n "$1" ]; then mount --bind -o ro "$1" "$2/opt/asterisk" || exit 1; fi
	root=$2; shift 2
	exec chroot "$root" "$@"' sh "$mount_asterisk" "$root" \
	/usr/bin/env -i PATH=/opt/asterisk/sbin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	"${ca_env[@]}" "${asterisk_env[@]}" \
	LANG=C.UTF-8 TERM="${TERM:-dumb}" CI="${CI:-}" SB_ARGS="${SB_ARGS:-}" \
	/bin/bash -c "cd /opt/stasis-broadcast && $*" &
sandbox=$!
trap 'kill -KILL "$sandbox" 2>/dev/null; exit 130' INT TERM HUP
wait "$sandbox"
