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
mkdir -p "$install" "$work" "$root/opt/asterisk" "$SANDBOX_CACHE/logs"
trap 'rm -rf "$work"' EXIT
log="$SANDBOX_CACHE/logs/asterisk-$(asterisk_release "$tarball").log"
step "building Asterisk $(asterisk_release "$tarball") from its release source, once (about 5 minutes)" "$log"
tar -C "$work" -xf "$tarball"
cp "$REPO_DIR/sandbox/build-asterisk.sh" "$work/"

# What this release needs to build here (sandbox/releases.conf).
build_env=()
for need in $(asterisk_needs "$tarball"); do
	case $need in
	CONFIGURE_CFLAGS=*) build_env+=("CFLAGS=-g -O2 ${need#*=}") ;;
	*) die "sandbox/releases.conf: unknown need '$need'" ;;
	esac
done

# The install is mounted where the prefix says, in a private mount namespace.
unshare --mount --pid --fork --kill-child --mount-proc="$root/proc" /bin/sh -c '
	install=$1 root=$2 work=$3; shift 3
	mount --bind "$install" "$root/opt/asterisk" &&
	exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		"$@" /bin/bash "/usr/src/$work/build-asterisk.sh" "/usr/src/$work"' sh \
	"$install" "$root" "$(basename "$work")" "${build_env[@]}" >"$log" 2>&1 || {
	rm -rf "$install"
	tail -n 30 "$log" >&2
	die "building $(basename "$tarball") failed; the whole log is $log"
}
touch "$install/.complete"
echo "$install"
