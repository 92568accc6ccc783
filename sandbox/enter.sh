#!/usr/bin/env bash
# Run a command inside the sandbox root, in a private mount and PID namespace.
#
#   sandbox/enter.sh 'make && tests/run.sh'
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
root=$("$REPO_DIR/sandbox/root.sh")
dest="$root/opt/stasis-broadcast"

rm -rf "$dest"
mkdir -p "$dest"
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
unshare --mount --pid --fork --kill-child --mount-proc="$root/proc" \
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "${ca_env[@]}" \
	LANG=C.UTF-8 TERM="${TERM:-dumb}" CI="${CI:-}" SB_ARGS="${SB_ARGS:-}" \
	/bin/bash -c "cd /opt/stasis-broadcast && $*" &
sandbox=$!
trap 'kill -KILL "$sandbox" 2>/dev/null; exit 130' INT TERM HUP
wait "$sandbox"
