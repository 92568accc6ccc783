#!/usr/bin/env bash
# The Debian package as an operator meets it, in a root with Debian's Asterisk
# (sandbox/enter.sh; sandbox/check.sh runs this as the suite "deb"):
#
#   1. make deb builds it, lintian finds no error, and it depends on the ABI
#      of exactly the Asterisk it was built against;
#   2. apt installs it: dpkg names it as the owner of the two module files,
#      and Asterisk, loading from the system module directory, runs ours;
#   3. the smoke tests (claim route, dialplan application) pass on it;
#   4. asterisk-modules is reinstalled, as an upgrade does: ours stay (and
#      so they do when the package itself is reinstalled);
#   5. it is purged: the stock modules are back, byte for byte, and load.
#
# sandbox: overlay
#
# No network: the root has build-essential, and asterisk-modules' own .deb
# (kept in /opt/debs when the root was made) for step 4. So make deb also
# shows it needs no network.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/../.."

PACKAGE=asterisk-stasis-broadcast-strict
export DEBIAN_FRONTEND=noninteractive
# No terminal here for dpkg's output (apt would complain)
APT=(apt-get -y -q -o Dpkg::Use-Pty=0)
MODULES_DIR=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/asterisk/modules
PATHS=("$MODULES_DIR/res_stasis_broadcast.so" "$MODULES_DIR/app_stasis_broadcast.so")
INSTANCE=deb
SMOKE_TESTS="tests/e2e/test_claim_route.py tests/e2e/test_application.py"

STOCK_DEB=$(ls /opt/debs/asterisk-modules_*.deb)

step=start
started=$SECONDS
logs=$(mktemp -d)
finish() {
	local status=$?
	sandbox/instance.sh stop "$INSTANCE" 2>/dev/null || true
	rm -rf "$logs"
	if [ "$status" != 0 ]; then
		echo "summary: FAILED at $step"
	fi
}
trap finish EXIT

# step NAME: a new step, with the time since the start
step() {
	echo "== $1 (after $((SECONDS - started)) s)"
	step=$1
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# search: what dpkg -S says of the two module files (also shown)
search() {
	local said
	said=$(dpkg -S "${PATHS[@]}")
	printf '$ dpkg -S %s\n%s\n' "${PATHS[*]}" "$said" >&2
	echo "$said"
}

# ours_in SEARCH: each file is diverted by our package, which lists it (as
# asterisk-modules does too: dpkg names both, and the diversion says which
# one is at the path)
ours_in() {
	local path
	for path in "${PATHS[@]}"; do
		grep -qxF "diversion by $PACKAGE from: $path" <<<"$1" || return 1
		grep -qE "^(.*, )?$PACKAGE(, .*)?: $path\$" <<<"$1" || return 1
	done
}

# stock_in SEARCH: asterisk-modules owns both files, plainly
stock_in() {
	[ "$1" = "$(printf 'asterisk-modules: %s\n' "${PATHS[@]}")" ]
}

# asterisk_says COMMAND...: what an Asterisk started on the system's modules
# and documentation answers to each CLI command (also shown)
asterisk_says() {
	local command said
	sandbox/instance.sh start "$INSTANCE" --system-modules --port 8100 >"$logs/instance" 2>&1 ||
		{ cat "$logs/instance" >&2; return 1; }
	for command in "$@"; do
		said=$(sandbox/instance.sh cli "$INSTANCE" "$command")
		# (the first lines: a documentation page goes on for long)
		printf '$ asterisk -rx "%s"\n%s\n' "$command" "$(head -n 8 <<<"$said")" >&2
		echo "$said"
	done
	sandbox/instance.sh stop "$INSTANCE"
}

# expect_ours OUTPUT: module show lists both of ours, running
expect_ours() {
	grep -qE 'res_stasis_broadcast\.so +StasisBroadcast strict: broadcast.* Running' <<<"$1" ||
		fail "Asterisk does not run our res_stasis_broadcast.so"
	grep -qE 'app_stasis_broadcast\.so +StasisBroadcast strict: dialplan.* Running' <<<"$1" ||
		fail "Asterisk does not run our app_stasis_broadcast.so"
}

# expect_kept: a diversion still holds each stock file aside, and our files
# are as packaged
expect_kept() {
	local path
	ours_in "$(search)" || fail "dpkg no longer names $PACKAGE"
	for path in "${PATHS[@]}"; do
		[ -f "$path.distrib" ] || fail "the stock $path is not kept as $path.distrib"
	done
	dpkg --verify asterisk-modules "$PACKAGE" || fail "installed files differ from their packages"
}

step "make deb"
# It runs lintian (installed here) and fails on any error.
make deb >"$logs/make-deb" 2>&1 || { tail -n 40 "$logs/make-deb"; fail "make deb"; }
sed -n '/lintian --fail-on/,$p' "$logs/make-deb"
deb=$(ls build/deb/${PACKAGE}_*.deb)

step "ABI dependency"
abi=$(dpkg-query -W -f='${Provides}' asterisk | grep -oE 'asterisk-abi-[0-9a-f]+')
depends=$(dpkg-deb -f "$deb" Depends)
echo "asterisk Provides: $abi"
echo "package Depends:   $depends"
grep -qE "(^|, )$abi(,|$)" <<<"$depends" || fail "the package does not depend on $abi"

step "install"
"${APT[@]}" install "./$deb"
expect_kept

step "Asterisk loads ours"
said=$(asterisk_says "module show like broadcast" "manager show event StasisBroadcastEnd")
expect_ours "$said"
# Documented only by our XML, which Asterisk reads from the package's place.
grep -q "Info about Manager Event 'StasisBroadcastEnd'" <<<"$said" ||
	fail "Asterisk does not find our documentation"

step "smoke tests"
# shellcheck disable=SC2086 # a list of files
SB_TARGET=system python3 -m pytest $SMOKE_TESTS -p no:cacheprovider -q -rf | tee "$logs/pytest"
smoke=$(grep -oE '^[0-9]+ passed' "$logs/pytest" | tail -n1 | cut -d' ' -f1)

step "reinstall asterisk-modules"
"${APT[@]}" install --reinstall "$STOCK_DEB"
expect_kept
expect_ours "$(asterisk_says "module show like broadcast")"

step "reinstall our package (its upgrade path)"
"${APT[@]}" install --reinstall "./$deb"
expect_kept

step "purge"
"${APT[@]}" purge "$PACKAGE"
stock_in "$(search)" || fail "dpkg does not name asterisk-modules alone again"
[ -z "$(dpkg-divert --list '*stasis_broadcast*')" ] || fail "a diversion is left"
compgen -G "$MODULES_DIR/*.distrib" >/dev/null && fail "a diverted file is left"
dpkg --verify asterisk-modules || fail "the stock files are not back as packaged"
shown=$(asterisk_says "module show like broadcast")
[ "$(grep -cE '_stasis_broadcast\.so .* Running' <<<"$shown")" = 2 ] || fail "the stock modules do not run"
grep -q "StasisBroadcast strict" <<<"$shown" && fail "ours are still loaded"

step "done"
echo "summary: no lintian error, ours loaded, $smoke smoke tests passed," \
	"kept over an asterisk-modules reinstall, purge gave the stock ones back"
