# Shared settings for the sandbox scripts. Source it; do not run it.
#
# The sandbox is a Debian sid root kept outside the repository. There are two
# kinds, each keyed by its package list so a changed list builds a new root and
# an unchanged one is reused across clones and CI runs:
#
#   debian  Asterisk 22 from Debian's packages (asterisk, asterisk-dev, ...)
#   build   no Asterisk at all, but what it takes to build one from release
#           sources (sandbox/asterisk.sh); a built Asterisk is mounted at
#           /opt/asterisk for the run, so the root only ever sees one
#           version's headers.

TEST_PACKAGES="gcc make libc6-dev python3 python3-pytest python3-websocket python3-requests \
python3-websockets procps curl gdb nodejs npm iproute2"
# The debian root also holds the tools of the fault, SIP and packaging work:
# clang (libFuzzer), valgrind, SIPp, Kamailio, debhelper and lintian. It keeps
# asterisk-modules' own .deb in /opt/debs (root.sh), for the package test to
# reinstall it as an upgrade would, with no registry.
ROOT_PACKAGES_debian="asterisk asterisk-dev asterisk-modules $TEST_PACKAGES \
clang libclang-rt-dev valgrind sip-tester kamailio build-essential debhelper lintian fakeroot"
ROOT_PACKAGES_build="$TEST_PACKAGES build-essential pkg-config libjansson-dev libxml2-dev \
libsqlite3-dev uuid-dev libedit-dev libssl-dev libncurses-dev xz-utils bzip2 \
libcrypt-dev asterisk-core-sounds-en asterisk-core-sounds-en-gsm"

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SANDBOX_CACHE=${SANDBOX_CACHE:-/var/cache/stasis-broadcast}
# Release sources for the version matrix (never in git): see ../shared/asterisk-src/README.md.
# A tarball found there is also kept in the cache, so a checkout elsewhere finds it too.
ASTERISK_SRC_DIR=${ASTERISK_SRC_DIR:-$REPO_DIR/../shared/asterisk-src}

die() { echo "sandbox: $*" >&2; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "must run as root (chroot, mounts)"; }

# root_packages KIND: the package list of a root kind
root_packages() {
	local var="ROOT_PACKAGES_$1"
	[ -n "${!var:-}" ] || die "unknown root kind '$1' (debian or build)"
	echo "${!var}"
}

# root_path KIND: where that root lives (whether or not it is built yet)
root_path() {
	local key
	key=$(root_packages "$1" | tr -s ' \n' ' ' | sha256sum | cut -c1-12)
	echo "$SANDBOX_CACHE/root-$1-$key"
}

# asterisk_tarball VERSION|PATH: the release tarball for a version or path
asterisk_tarball() {
	local tarball=$1 name dir
	case $tarball in
	*/* | *.tar.*)
		[ -f "$tarball" ] || die "no Asterisk release tarball at $tarball"
		readlink -f "$tarball"
		return ;;
	esac
	name="asterisk-$1.tar.xz"
	for dir in "$ASTERISK_SRC_DIR" "$SANDBOX_CACHE/asterisk-src"; do
		if [ -f "$dir/$name" ]; then
			if [ "$dir" != "$SANDBOX_CACHE/asterisk-src" ]; then
				mkdir -p "$SANDBOX_CACHE/asterisk-src"
				cmp -s "$dir/$name" "$SANDBOX_CACHE/asterisk-src/$name" ||
					cp "$dir/$name" "$SANDBOX_CACHE/asterisk-src/$name"
			fi
			readlink -f "$dir/$name"
			return
		fi
	done
	die "no Asterisk release tarball $name in $ASTERISK_SRC_DIR (nor in $SANDBOX_CACHE/asterisk-src)"
}

# asterisk_release TARBALL: the release a tarball holds ("20.19.0", "master-2026-08-06")
asterisk_release() {
	basename "$1" | sed -E 's/^asterisk-//; s/\.tar\..*$//'
}

# asterisk_needs TARBALL: NAME=VALUE words the release needs to build here
# (sandbox/releases.conf)
asterisk_needs() {
	awk -v release="$(asterisk_release "$1")" '$1 == release { $1 = ""; print }' \
		"$REPO_DIR/sandbox/releases.conf"
}

# asterisk_install_dir TARBALL: where its build is cached (by content, by the
# build script and by what the release needs, so a changed configuration
# builds anew)
asterisk_install_dir() {
	local key
	key=$({ cat "$1" "$REPO_DIR/sandbox/build-asterisk.sh"; asterisk_needs "$1"; } \
		| sha256sum | cut -c1-12)
	echo "$SANDBOX_CACHE/asterisk-$(asterisk_release "$1")-$key"
}

# step WHAT LOG: say in one line what is being done and where its details go
step() {
	echo "sandbox: $1 (details: $2)" >&2
}

# The version matrix `make check` runs. The whole suite on Debian's packages
# (with the stock modules of the same names beside ours) and on the last
# release of each branch before Asterisk shipped its own StasisBroadcast; the
# named subset of tests/run.sh --edge on the edges: the first release of each
# branch, Ubuntu 24.04's 20.6.0, Asterisk's own route built from source
# (20.20.1, 23.4.1) and the master branch.
MATRIX="debian 20.19.0 22.9.0 23.3.0"
EDGE_MATRIX="20.0.0 20.6.0 20.20.1 22.0.0 23.0.0 23.4.1 master-2026-08-06"
