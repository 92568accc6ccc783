# Included by the Makefile: the fuzz targets and make fuzz.
#
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
	src/res/answers.c $(wildcard src/res/route/*.c src/res/route/over_http/*.c)
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

# Not part of check (which runs a half-minute smoke per target): FUZZ_SECONDS
# per target, FUZZ_TARGETS="filter ..." for some only; logs, findings and
# grown corpora come back in build/fuzz/.
.PHONY: fuzz-module fuzz
fuzz:
	rm -rf $(if $(FUZZ_TARGETS),$(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS)),$(BUILD)/fuzz)
	SB_EXPORT=build/fuzz sandbox/enter.sh 'FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_TARGETS)'
