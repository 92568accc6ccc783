# StasisBroadcast for Asterisk: two loadable modules built out of tree, and a
# third for Prometheus metrics.
#
#   make                      build res_stasis_broadcast.so, app_stasis_broadcast.so
#                             and res_stasis_broadcast_prometheus.so
#   make install DESTDIR=...  install modules and documentation
#   make deb                  a Debian package for Debian's Asterisk, in build/deb/
#   make check                run every test on every Asterisk of the matrix (root; see README)
#   make demo                 run the product for real with competing demo applications
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
#
# The developers' targets live with their folders, included at the end:
# fuzzing (tests/fuzz/fuzz.mk), sanitizers and valgrind (tests/sanitizers/),
# the soak (tests/soak/), benchmarks (bench/bench.mk), the demos (sandbox/).

ASTERISK_INCLUDE ?= /usr/include
ASTERISK_CONF ?= /etc/asterisk/asterisk.conf
# $(call asterisk_dir,astmoddir): a directory as the target's asterisk.conf names it
asterisk_dir = $(shell sed -n 's/^[[:space:]]*$(1)[[:space:]]*=>*[[:space:]]*//p' $(ASTERISK_CONF) 2>/dev/null | head -n1)
MODULES_DIR ?= $(or $(call asterisk_dir,astmoddir),$(firstword $(wildcard /usr/lib/*/asterisk/modules)),/usr/lib/asterisk/modules)
DATA_DIR ?= $(or $(call asterisk_dir,astdatadir),/usr/share/asterisk)
DOC_DIR ?= $(DATA_DIR)/documentation/thirdparty
INSTALL ?= install

# What the host's headers have, where releases differ (src/res/host.h names
# the first release of each): $(call host_has,HEADER,WORD,NAME) is
# -DHOST_HAS_NAME when asterisk/HEADER mentions WORD.
host_has = $(shell grep -qw '$(2)' $(ASTERISK_INCLUDE)/asterisk/$(1) 2>/dev/null && echo -DHOST_HAS_$(3))
HOST_FLAGS = $(call host_has,stasis_app.h,stasis_app_is_registered,APP_IS_REGISTERED) \
	$(call host_has,module.h,ast_refresh_resource,REFRESH_RESOURCE) \
	$(if $(call host_has,ari.h,is_websocket,X),-DHOST_TELLS_UNREGISTER)

# A design variant to build beside the product, for bench/floor.py to compare
# (BENCH_DISPATCH): DISPATCH=NAME defines DISPATCH_NAME for the sources to
# choose by; the product's own build leaves it empty.
DISPATCH ?=
DISPATCH_FLAGS = $(if $(DISPATCH),-DDISPATCH_$(shell echo '$(DISPATCH)' | tr a-z A-Z))

# Does the host declare the C API (and so route the claim) itself? Our own
# header, once installed there, does not count: it carries a marker.
HOST_API_HEADER := $(shell grep -L STASIS_BROADCAST_COMPAT_HEADER \
	$(ASTERISK_INCLUDE)/asterisk/stasis_app_broadcast.h 2>/dev/null)
# Which way we serve what we add beside ARI (src/res/route/route.h): our
# additions to /ari/api-docs through ARI itself where ARI has ast_ari_invoke()
# (its handlers say is_websocket from 20.14.0, 22.4.0, 23.0.0), else behind a
# copy of ARI's request pipeline; and where Asterisk has no claim route, the
# claim: inside ARI's handler tree, or as an HTTP URI beside ARI.
ROUTE_SHARED = src/res/route/api_docs.c src/res/route/uris.c
ARI_INVOKE := $(call host_has,ari.h,is_websocket,ARI_WEBSOCKET_HANDLERS)
ifneq ($(HOST_API_HEADER),)
# Its core documentation also has the stock StasisBroadcast (see src/app).
HOST_FLAGS += -DHOST_HAS_STASIS_BROADCAST
ROUTE_SOURCES = $(ROUTE_SHARED) src/res/route/in_ari/docs.c
else
# Our header comes before the host's directory, so a stray copy of the header
# elsewhere on the include path (another version's) is never picked up.
API_FLAGS = -Isrc/include/compat -DSTASIS_BROADCAST_OWN_ROUTE
API_HEADER_DIR ?= $(ASTERISK_INCLUDE)/asterisk
ifneq ($(ARI_INVOKE),)
API_FLAGS += -DSTASIS_BROADCAST_CLAIM_IN_ARI
ROUTE_SOURCES = $(ROUTE_SHARED) $(wildcard src/res/route/in_ari/*.c)
else
ROUTE_SOURCES = $(ROUTE_SHARED) $(wildcard src/res/route/over_http/*.c)
endif
endif

CC ?= gcc
CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
MODULE_FLAGS = -fPIC -fvisibility=hidden -pthread -D_GNU_SOURCE -Isrc/include $(API_FLAGS) $(HOST_FLAGS) \
	$(DISPATCH_FLAGS) \
	-isystem $(ASTERISK_INCLUDE)
LDFLAGS_MODULE = -shared -pthread

BUILD ?= build
RES_SOURCES = src/res/res_stasis_broadcast.c src/res/registry.c src/res/claim.c \
	src/res/offer.c src/res/dispatch.c src/res/filter.c src/res/stats.c src/res/ami.c \
	src/res/cli.c src/res/module_watch.c src/res/handoff.c src/res/broadcasts.c \
	src/res/answers.c $(ROUTE_SOURCES)
RES_INTERNALS = src/res/registry.c src/res/claim.c src/res/offer.c src/res/dispatch.c \
	src/res/filter.c src/res/stats.c
APP_SOURCES = src/app/app_stasis_broadcast.c src/app/arguments.c
PROMETHEUS_SOURCES = src/prometheus/res_stasis_broadcast_prometheus.c
TEST_SOURCES = tests/unit/test_stasis_broadcast.c $(RES_INTERNALS) src/app/arguments.c
HEADERS = $(wildcard src/res/*.h src/res/route/*.h src/res/route/*/*.h src/app/*.h \
	src/include/*.h src/include/compat/asterisk/*.h)

MODULES = $(BUILD)/res_stasis_broadcast.so $(BUILD)/app_stasis_broadcast.so \
	$(BUILD)/res_stasis_broadcast_prometheus.so
TEST_MODULE = $(BUILD)/test_stasis_broadcast.so
DOCS = docs/xml/res_stasis_broadcast-en_US.xml docs/xml/app_stasis_broadcast-en_US.xml

# $(call module,NAME,SOURCES,INCLUDES)
module = $(CC) $(CPPFLAGS) $(CFLAGS) $(WARNINGS) $(MODULE_FLAGS) $(3) \
	-DAST_MODULE=\"$(1)\" -DAST_MODULE_SELF_SYM=__internal_$(1)_self \
	-o $@ $(2) $(LDFLAGS_MODULE) $(LDFLAGS)

.PHONY: all test-module install deb check demo clean

all: $(MODULES)

test-module: $(TEST_MODULE)

$(BUILD):
	mkdir -p $@

$(BUILD)/res_stasis_broadcast.so: $(RES_SOURCES) $(HEADERS) | $(BUILD)
	$(call module,res_stasis_broadcast,$(RES_SOURCES),-Isrc/res)

$(BUILD)/app_stasis_broadcast.so: $(APP_SOURCES) $(HEADERS) $(BUILD)/app_doc.h | $(BUILD)
	$(call module,app_stasis_broadcast,$(APP_SOURCES),-Isrc/app -I$(BUILD))

$(BUILD)/res_stasis_broadcast_prometheus.so: $(PROMETHEUS_SOURCES) $(HEADERS) | $(BUILD)
	$(call module,res_stasis_broadcast_prometheus,$(PROMETHEUS_SOURCES),)

# The application's text where Asterisk cannot show its XML, made from the XML.
$(BUILD)/app_doc.h: docs/xml/app_stasis_broadcast-en_US.xml docs/xml/text.awk | $(BUILD)
	awk -f docs/xml/text.awk $< > $@

$(TEST_MODULE): $(TEST_SOURCES) $(HEADERS) | $(BUILD)
	$(call module,test_stasis_broadcast,$(TEST_SOURCES),-Isrc/res -Isrc/app)

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

clean:
	rm -rf $(BUILD)

# Where they exist (not in the copy make deb builds from).
-include tests/fuzz/fuzz.mk tests/sanitizers/sanitizers.mk tests/soak/soak.mk bench/bench.mk \
	sandbox/sandbox.mk
