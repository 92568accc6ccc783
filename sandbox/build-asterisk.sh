#!/usr/bin/env bash
# Runs INSIDE the build root (sandbox/asterisk.sh): configure, build and
# install the one Asterisk source tree found in DIR into /opt/asterisk.
set -euo pipefail
cd "$1"/asterisk-*/

# Release build, no download, no optional libraries we do not test with,
# portable code (no -march=native: a cached build may run on another CPU).
./configure --prefix=/opt/asterisk LDFLAGS=-Wl,-rpath,/opt/asterisk/lib \
	--without-pjproject-bundled --without-pjproject --with-jansson-bundled=no \
	--without-unixodbc --without-postgres --enable-dev-mode >/dev/null
# ari.conf's password_format = crypt needs crypt(3); without it Asterisk
# quietly refuses every crypt password.
grep -q '^#define HAVE_CRYPT_R 1' include/asterisk/autoconfig.h \
	|| { echo "build-asterisk: no crypt_r (libcrypt-dev missing?)" >&2; exit 1; }

# TEST_FRAMEWORK is offered by menuselect only in dev mode: choose it there,
# then turn dev mode off again (it would make ARI validate outgoing events).
# Of the applications, only those the tests' dialplans run (sandbox/,
# configs/samples/): a tenth of the build time; no test modules of Asterisk's
# own (ours is built apart) and no utilities.
make menuselect.makeopts >/dev/null
menuselect/menuselect --enable TEST_FRAMEWORK --disable BUILD_NATIVE \
	--disable-category MENUSELECT_ADDONS --disable-category MENUSELECT_CHANNELS \
	--disable-category MENUSELECT_CDR --disable-category MENUSELECT_CEL \
	--disable-category MENUSELECT_CORE_SOUNDS --disable-category MENUSELECT_MOH \
	--disable-category MENUSELECT_EXTRA_SOUNDS --disable-category MENUSELECT_TESTS \
	--disable-category MENUSELECT_UTILS \
	--disable-category MENUSELECT_APPS --enable app_stasis --enable app_stack \
	--enable app_userevent --enable app_playback --enable app_verbose menuselect.makeopts
sed -i 's/^AST_DEVMODE=yes/AST_DEVMODE=no/' makeopts
# A newer makeopts would regenerate the tree without dev mode's options and
# drop TEST_FRAMEWORK from the selection: keep both up to date.
touch menuselect-tree menuselect.makeopts

# -O1, not the release default -O3: half the compile time (ten releases are
# built on a cold CI machine), and the code paths the same.
make -j"$(nproc)" OPTIMIZE=-O1 >/dev/null
make install install-headers samples OPTIMIZE=-O1 >/dev/null
# Sounds come from Debian's package in the build root (the release's own are a
# download): the example agents play one.
rm -rf /opt/asterisk/var/lib/asterisk/sounds
ln -s /usr/share/asterisk/sounds /opt/asterisk/var/lib/asterisk/sounds

grep -q 'define TEST_FRAMEWORK' /opt/asterisk/include/asterisk/buildopts.h \
	|| { echo "build-asterisk: TEST_FRAMEWORK did not make it into buildopts.h" >&2; exit 1; }
! grep -q 'define AST_DEVMODE' /opt/asterisk/include/asterisk/buildopts.h \
	|| { echo "build-asterisk: dev mode is still on" >&2; exit 1; }
