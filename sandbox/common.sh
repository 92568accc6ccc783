# Shared settings for the sandbox scripts. Source it; do not run it.
#
# The sandbox is a Debian sid root (Asterisk 22 from Debian's packages) kept
# outside the repository, keyed by the package list so a changed list builds a
# new root and an unchanged one is reused across clones and CI runs.

SANDBOX_PACKAGES="asterisk asterisk-dev asterisk-modules gcc make libc6-dev \
python3 python3-pytest python3-websocket python3-requests python3-websockets \
procps curl gdb nodejs npm"

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SANDBOX_CACHE=${SANDBOX_CACHE:-/var/cache/stasis-broadcast}
SANDBOX_KEY=$(printf '%s' "$SANDBOX_PACKAGES" | sha256sum | cut -c1-12)
SANDBOX_ROOT=${SANDBOX_ROOT:-$SANDBOX_CACHE/root-$SANDBOX_KEY}

die() { echo "sandbox: $*" >&2; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "must run as root (chroot, mounts)"; }
