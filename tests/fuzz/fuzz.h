/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Fuzz targets run by libFuzzer inside a real Asterisk.
 *
 * Each target turns libFuzzer's bytes into the input of one of our parsers,
 * calls it, and checks what it returned against what the parser promises.
 * A broken promise is a finding like a sanitizer report: fuzz_fail() aborts,
 * and libFuzzer keeps the input that did it.
 */

#ifndef STASIS_BROADCAST_FUZZ_H
#define STASIS_BROADCAST_FUZZ_H

#include <stddef.h>
#include <stdint.h>

struct ast_variable;

struct fuzz_target {
	/*! Name on the CLI and of the seed corpus directory */
	const char *name;
	/*! Once, in the fuzzing thread, before the first input; nonzero: cannot run */
	int (*setup)(void);
	/*! libFuzzer's callback: 0 to keep the input, -1 to keep it out of the corpus */
	int (*one_input)(const uint8_t *data, size_t size);
	/*! Optional, once when a run ends without a finding: print "fuzz: note: ..." lines */
	void (*finish)(void);
};

extern const struct fuzz_target fuzz_arguments;
extern const struct fuzz_target fuzz_filter;
extern const struct fuzz_target fuzz_claim_params;
extern const struct fuzz_target fuzz_ari_auth;
extern const struct fuzz_target fuzz_ari_conf;
extern const struct fuzz_target fuzz_claim_http;

/* input.c: turning bytes into the pieces of a request */

/*! \brief A NUL-terminated copy of the input; NULL if it holds a NUL byte. */
char *fuzz_string(const uint8_t *data, size_t size);

/*!
 * \brief Take "name<sep>value" lines from \a cursor up to an empty line (or
 *        the end) into a variable list, in order.
 * \param trim strip blanks around name and value, as the HTTP server does
 *        for headers
 */
struct ast_variable *fuzz_variables(char **cursor, char sep, int trim);

/*! \brief Report a broken promise about \a what and abort. */
void fuzz_fail(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif /* STASIS_BROADCAST_FUZZ_H */
