# StasisBroadcast for Asterisk: two loadable modules built out of tree.
#
#   make                      build res_stasis_broadcast.so and app_stasis_broadcast.so
#   make install DESTDIR=...  install modules and documentation
#   make deb                  a Debian package for Debian's Asterisk, in build/deb/
#   make check                run every test on every Asterisk of the matrix (root; see README)
#   make demo                 run the product for real with competing demo applications
#   make cluster-demo         two Asterisk nodes behind Kamailio, SIP calls, one node killed
#   make bench                benchmarks, stock modules vs ours (root; see bench/)
#   make bench-sip            only the SIP load section of make bench (SIPp through PJSIP)
#   make fuzz                 fuzz campaign, FUZZ_SECONDS per target (root; see tests/fuzz/)
#
# The same sources build against any Asterisk 20, 22 or 23. Where the host's
# headers have <asterisk/stasis_app_broadcast.h> (20.20+, 22.10+, 23.4+),
# Asterisk routes POST /ari/events/claim itself and we plug into it. Where they
# do not, the build uses our declaration of the same API (src/include/compat)
# and res_stasis_broadcast.so serves the route itself (src/res/route).
#
# Variables a packager may set:
#   ASTERISK_INCLUDE  directory holding asterisk.h                 (default /usr/include)
#   ASTERISK_CONF     the target Asterisk's asterisk.conf          (default /etc/asterisk/asterisk.conf)
#   MODULES_DIR       where it loads modules from                  (default: its astmoddir)
#   DOC_DIR           its third-party documentation directory      (default: astdatadir/documentation/thirdparty)
#   CFLAGS, CPPFLAGS, LDFLAGS                                       (as usual; CFLAGS default -O2 -g)

ASTERISK_INCLUDE ?= /usr/include
ASTERISK_CONF ?= /etc/asterisk/asterisk.conf
# $(call asterisk_dir,astmoddir): a directory as the target's asterisk.conf names it
asterisk_dir = $(shell sed -n 's/^[[:space:]]*$(1)[[:space:]]*=>*[[:space:]]*//p' $(ASTERISK_CONF) 2>/dev/null | head -n1)
MODULES_DIR ?= $(or $(call asterisk_dir,astmoddir),$(firstword $(wildcard /usr/lib/*/asterisk/modules)),/usr/lib/asterisk/modules)
DATA_DIR ?= $(or $(call asterisk_dir,astdatadir),/usr/share/asterisk)
DOC_DIR ?= $(DATA_DIR)/documentation/thirdparty
INSTALL ?= install

# Does the host declare the C API (and so route the claim) itself? Our own
# header, once installed there, does not count: it carries a marker.
HOST_API_HEADER := $(shell grep -L STASIS_BROADCAST_COMPAT_HEADER \
	$(ASTERISK_INCLUDE)/asterisk/stasis_app_broadcast.h 2>/dev/null)
ifeq ($(HOST_API_HEADER),)
# Our header comes before the host's directory, so a stray copy of the header
# elsewhere on the include path (another version's) is never picked up.
API_FLAGS = -Isrc/include/compat -DSTASIS_BROADCAST_OWN_ROUTE
ROUTE_SOURCES = src/res/route/route.c src/res/route/claim_route.c src/res/route/api_docs.c \
	src/res/route/ari_request.c src/res/route/ari_settings.c
API_HEADER_DIR ?= $(ASTERISK_INCLUDE)/asterisk
endif

CC ?= gcc
CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
MODULE_FLAGS = -fPIC -fvisibility=hidden -pthread -D_GNU_SOURCE -Isrc/include $(API_FLAGS) \
	-isystem $(ASTERISK_INCLUDE)
LDFLAGS_MODULE = -shared -pthread
# SANITIZE=1: AddressSanitizer and UBSan (gcc's), for tests/sanitizers; the
# modules then need the ASan runtime preloaded into Asterisk. Use another
# BUILD directory (build/asan) so the two kinds of modules never mix.
ifeq ($(SANITIZE),1)
MODULE_FLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS_MODULE += -fsanitize=address,undefined
endif

BUILD ?= build
RES_SOURCES = src/res/res_stasis_broadcast.c src/res/registry.c src/res/dispatch.c \
	src/res/claim.c src/res/filter.c src/res/stats.c src/res/ami.c src/res/cli.c \
	src/res/metrics.c $(ROUTE_SOURCES)
RES_INTERNALS = src/res/registry.c src/res/dispatch.c src/res/claim.c src/res/filter.c \
	src/res/stats.c
APP_SOURCES = src/app/app_stasis_broadcast.c src/app/arguments.c
TEST_SOURCES = tests/unit/test_stasis_broadcast.c $(RES_INTERNALS) src/app/arguments.c
HEADERS = $(wildcard src/res/*.h src/res/route/*.h src/app/*.h src/include/*.h \
	src/include/compat/asterisk/*.h)

MODULES = $(BUILD)/res_stasis_broadcast.so $(BUILD)/app_stasis_broadcast.so
TEST_MODULE = $(BUILD)/test_stasis_broadcast.so
DOCS = docs/xml/res_stasis_broadcast-en_US.xml

# $(call module,NAME,SOURCES,INCLUDES)
module = $(CC) $(CPPFLAGS) $(CFLAGS) $(WARNINGS) $(MODULE_FLAGS) $(3) \
	-DAST_MODULE=\"$(1)\" -DAST_MODULE_SELF_SYM=__internal_$(1)_self \
	-o $@ $(2) $(LDFLAGS_MODULE) $(LDFLAGS)

.PHONY: all test-module fuzz-module install deb check demo cluster-demo bench bench-sip bench-versions fuzz soak valgrind clean

all: $(MODULES)

test-module: $(TEST_MODULE)

$(BUILD):
	mkdir -p $@

$(BUILD)/res_stasis_broadcast.so: $(RES_SOURCES) $(HEADERS) | $(BUILD)
	$(call module,res_stasis_broadcast,$(RES_SOURCES),-Isrc/res)

$(BUILD)/app_stasis_broadcast.so: $(APP_SOURCES) $(HEADERS) | $(BUILD)
	$(call module,app_stasis_broadcast,$(APP_SOURCES),-Isrc/app)

$(TEST_MODULE): $(TEST_SOURCES) $(HEADERS) | $(BUILD)
	$(call module,test_stasis_broadcast,$(TEST_SOURCES),-Isrc/res -Isrc/app)

# The fuzz targets (tests/fuzz): a module for an Asterisk started with the ASan
# runtime preloaded, built with clang from the parsers' own sources -- the
# claim route's too, even where the host routes the claim itself. libFuzzer's
# driver is linked in without its main(); -Bsymbolic binds the coverage hooks
# to it rather than to the empty stand-ins of the preloaded runtime. Asterisk's
# RAII_VAR is a clang block: -fblocks (tests/fuzz/blocks.c says why that is enough).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 600
FUZZ_MODULE = $(BUILD)/fuzz/fuzz_stasis_broadcast.so
FUZZ_SOURCES = $(wildcard tests/fuzz/*.c) src/app/arguments.c src/res/filter.c \
	$(wildcard src/res/route/*.c)
FUZZ_FLAGS = -O1 -g -fno-omit-frame-pointer -fblocks -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all -shared-libasan
FUZZ_RT_DIR = $(shell $(FUZZ_CC) -print-resource-dir)/lib/linux
FUZZ_LIBS = $(FUZZ_RT_DIR)/libclang_rt.fuzzer_no_main-x86_64.a -lstdc++ -Wl,-rpath,$(FUZZ_RT_DIR)

fuzz-module: $(FUZZ_MODULE)

$(FUZZ_MODULE): $(FUZZ_SOURCES) $(HEADERS) tests/fuzz/fuzz.h
	mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(WARNINGS) $(MODULE_FLAGS) -Isrc/res -Isrc/res/route -Isrc/app \
		-DAST_MODULE=\"fuzz_stasis_broadcast\" \
		-DAST_MODULE_SELF_SYM=__internal_fuzz_stasis_broadcast_self \
		-o $@ $(FUZZ_SOURCES) $(LDFLAGS_MODULE) -Wl,-Bsymbolic $(FUZZ_LIBS)

install: $(MODULES)
	$(INSTALL) -d $(DESTDIR)$(MODULES_DIR) $(DESTDIR)$(DOC_DIR)
	$(INSTALL) -m 0644 $(MODULES) $(DESTDIR)$(MODULES_DIR)/
	$(INSTALL) -m 0644 $(DOCS) $(DESTDIR)$(DOC_DIR)/
	@echo "Installed modules in $(DESTDIR)$(MODULES_DIR) and documentation in $(DESTDIR)$(DOC_DIR)"
ifneq ($(API_HEADER_DIR),)
	@# Third-party modules written against the stock header build here too.
	$(INSTALL) -d $(DESTDIR)$(API_HEADER_DIR)
	$(INSTALL) -m 0644 src/include/compat/asterisk/stasis_app_broadcast.h $(DESTDIR)$(API_HEADER_DIR)/
	@echo "Installed the C API header in $(DESTDIR)$(API_HEADER_DIR) (this Asterisk has none)"
endif

# The Debian package (packaging/debian; needs debhelper and asterisk-dev): the
# modules, their documentation XML and the sample configuration, diverting the
# stock files of asterisk-modules. It is built in a copy under build/deb, so
# dpkg-buildpackage writes nothing into the tree (nor beside it), and checked
# with lintian when lintian is installed.
DEB_BUILD = $(BUILD)/deb
DEB_SOURCES = Makefile README.md src docs configs

deb:
	rm -rf $(DEB_BUILD)
	mkdir -p $(DEB_BUILD)/source
	cp -r $(DEB_SOURCES) $(DEB_BUILD)/source/
	cp -r packaging/debian $(DEB_BUILD)/source/debian
	cd $(DEB_BUILD)/source && MAKEFLAGS= dpkg-buildpackage --build=binary --no-sign
	! command -v lintian >/dev/null || lintian --fail-on error --display-info --show-overrides $(DEB_BUILD)/*.changes
	@echo "Package: $$(ls $(DEB_BUILD)/*.deb | grep -v dbgsym)"

# The whole version matrix; ASTERISK_SRC=path/to/asterisk-X.Y.Z.tar.gz runs one
# release of your own instead (built from source once, then cached).
check:
	ASTERISK_SRC="$(ASTERISK_SRC)" sandbox/check.sh

demo:
	sandbox/demo.sh

# SIPp -> Kamailio -> two Asterisk nodes, agents on both, one node killed (docs/scaling.md).
cluster-demo:
	sandbox/cluster-demo.sh

# Not part of check: stock vs ours, several minutes; BENCH_QUICK=1 for a smoke run.
bench:
	BENCH_QUICK=$(BENCH_QUICK) bench/run.sh

# SIPp through PJSIP, stock vs ours: highest clean rate, CPU and latency (bench/sip_load.py).
bench-sip:
	BENCH_QUICK=$(BENCH_QUICK) BENCH_ONLY=sip bench/run.sh

# The long fault soak (tests/soak/soak.py; CI runs 2,000 calls): SOAK_CALLS=20000
# calls with faults injected, one invariant per call, nothing left behind.
SOAK_CALLS ?= 20000
soak:
	SB_EXPORT=tests/soak/results sandbox/enter.sh 'make -s all && mkdir -p tests/soak/results && \
		python3 -u tests/soak/soak.py --calls $(SOAK_CALLS) --max-rss-growth-kb 16384 \
		--report tests/soak/results/soak-$(SOAK_CALLS).json'

# Not part of check (which runs a one-minute smoke per target): FUZZ_SECONDS
# per target, FUZZ_TARGETS="filter ..." for some only; logs, findings and
# grown corpora come back in build/fuzz/.
fuzz:
	rm -rf $(if $(FUZZ_TARGETS),$(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS)),$(BUILD)/fuzz)
	SB_EXPORT=build/fuzz sandbox/enter.sh 'FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_TARGETS)'

# Asterisk under valgrind's memcheck through a small soak (tests/sanitizers/valgrind.sh;
# the sanitizer build runs in make check).
VALGRIND_CALLS ?= 200
valgrind:
	sandbox/enter.sh 'VALGRIND_CALLS=$(VALGRIND_CALLS) tests/sanitizers/valgrind.sh'

# Claim -> StasisStart on every Asterisk of the version matrix.
bench-versions:
	bench/versions.sh

clean:
	rm -rf $(BUILD)
