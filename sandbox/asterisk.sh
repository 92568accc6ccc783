#!/usr/bin/env bash
# Build (or reuse) an Asterisk from a release source tarball, for the version
# matrix. Prints the directory holding the installed Asterisk on stdout.
#
#   sandbox/asterisk.sh 20.19.0                       # from $ASTERISK_SRC_DIR
#   sandbox/asterisk.sh path/to/asterisk-X.Y.Z.tar.gz # a release of your own
#
# The build runs in the "build" root (no other Asterisk, so no stray headers),
# with the result mounted at /opt/asterisk, the prefix it is configured for.
# It is cached by the tarball's checksum and this configuration, so only the
# first run pays (about 5 minutes on 2 cores). Nothing is downloaded: the
# bundled pjproject is left out, Local channels need no SIP stack.
#
# Configuration: a release build (no dev mode, so ARI does not validate
# outgoing events against its models, as on every production system) with
# TEST_FRAMEWORK enabled, as Debian builds it, so our unit tests run too.
set -euo pipefail
. "$(dirname "$0")/common.sh"
need_root

[ $# = 1 ] || { sed -n '2,8p' "$0" >&2; exit 2; }
tarball=$(asterisk_tarball "$1")
install=$(asterisk_install_dir "$tarball")
if [ -f "$install/.complete" ]; then
	echo "$install"
	exit 0
fi

# One builder per release at a time; whoever waited finds it built.
mkdir -p "$SANDBOX_CACHE"
exec 9>"$install.lock"
flock 9
if [ -f "$install/.complete" ]; then
	echo "$install"
	exit 0
fi

root=$("$REPO_DIR/sandbox/root.sh" build)
work="$root/usr/src/sb-build.$$"
rm -rf "$install"
mkdir -p "$install" "$work" "$root/opt/asterisk"
trap 'rm -rf "$work"' EXIT
echo "sandbox: building $(basename "$tarball") into $install (about 5 minutes)" >&2
tar -C "$work" -xf "$tarball"
cp "$REPO_DIR/sandbox/build-asterisk.sh" "$work/"

# The install is mounted where the prefix says, in a private mount namespace.
unshare --mount --pid --fork --kill-child --mount-proc="$root/proc" /bin/sh -c '
	mount --bind "$1" "$2/opt/asterisk" &&
	exec chroot "$2" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		/bin/bash "/usr/src/$3/build-asterisk.sh" "/usr/src/$3"' sh \
	"$install" "$root" "$(basename "$work")" >&2 || {
	rm -rf "$install"
	die "building $(basename "$tarball") failed"
}
touch "$install/.complete"
echo "$install"
