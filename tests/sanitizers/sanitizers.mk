# Included by the Makefile: the sanitizer build and make valgrind.

# SANITIZE=1: AddressSanitizer and UBSan (gcc's), for tests/sanitizers; the
# modules then need the ASan runtime preloaded into Asterisk. Use another
# BUILD directory (build/asan) so the two kinds of modules never mix.
ifeq ($(SANITIZE),1)
MODULE_FLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS_MODULE += -fsanitize=address,undefined
endif

# Asterisk under valgrind's memcheck through a small soak (tests/sanitizers/valgrind.sh;
# the sanitizer build runs in make check).
VALGRIND_CALLS ?= 200
.PHONY: valgrind
valgrind:
	sandbox/enter.sh 'VALGRIND_CALLS=$(VALGRIND_CALLS) tests/sanitizers/valgrind.sh'
