/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Fuzz target "arguments": StasisBroadcast()'s argument string.
 *
 * The input is the whole data string of StasisBroadcast(...), as the
 * dialplan would pass it. Asterisk's own separator splits it (the code under
 * test calls it); the oracle asks the same separator for the five fields and
 * checks what our parser made of each (SPEC sections 2 and 9):
 *
 *  - timeout: digits only, at most 60000, else the default 500;
 *  - app_filter: NULL exactly when the field is empty, else the field as written;
 *  - args: the field split on every ':', empty pieces kept, nothing lost;
 *  - notify_claimed: Asterisk's ast_true() of the field;
 *  - options: the guard and the window each from 0 to BROADCAST_MAX_OPTION_MS,
 *    the defaults (STASIS_BROADCAST_DEFAULT_GUARD_MS, no window) where the
 *    field has no 'g' or no 'w'.
 */

#include "asterisk.h"

#include "asterisk/app.h"
#include "asterisk/strings.h"
#include "asterisk/utils.h"

#include "arguments.h"
#include "fuzz.h"

#define WHAT "broadcast_arguments_parse"

/*! \brief The timeout the SPEC gives for the field \a text. */
static int expected_timeout(const char *text)
{
	size_t length = strlen(text);

	if (!length || length > 5 || strspn(text, "0123456789") != length || atoi(text) > 60000) {
		return BROADCAST_DEFAULT_TIMEOUT_MS;
	}
	return atoi(text);
}

/*! \brief The args field as the winner gets it, rejoined with ':'. */
static void check_args(const struct broadcast_arguments *out, const char *field)
{
	size_t i, expected = 1, used = 0, length = strlen(field);
	char *joined;

	if (!length) {
		if (AST_VECTOR_SIZE(&out->args)) {
			fuzz_fail(WHAT, "empty args field gave %zu arguments", AST_VECTOR_SIZE(&out->args));
		}
		return;
	}
	for (i = 0; i < length; i++) {
		expected += field[i] == ':';
	}
	if (AST_VECTOR_SIZE(&out->args) != expected) {
		fuzz_fail(WHAT, "args '%s' gave %zu arguments, expected %zu", field,
			AST_VECTOR_SIZE(&out->args), expected);
	}
	joined = ast_alloca(length + 1);
	for (i = 0; i < expected; i++) {
		const char *arg = AST_VECTOR_GET(&out->args, i);

		if (strchr(arg, ':')) {
			fuzz_fail(WHAT, "argument %zu '%s' still holds a ':'", i, arg);
		}
		used += sprintf(joined + used, "%s%s", i ? ":" : "", arg);
	}
	if (strcmp(joined, field)) {
		fuzz_fail(WHAT, "args '%s' came back as '%s'", field, joined);
	}
}

static int one_input(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	char *fields;
	struct broadcast_arguments out;
	AST_DECLARE_APP_ARGS(expected,
		AST_APP_ARG(timeout);
		AST_APP_ARG(app_filter);
		AST_APP_ARG(args);
		AST_APP_ARG(notify_claimed);
		AST_APP_ARG(options);
	);
	const char *options;

	if (!text) {
		return -1;
	}
	if (broadcast_arguments_parse(text, "Fuzz/arguments", &out)) {
		fuzz_fail(WHAT, "failed on %zu bytes (out of memory?)", size);
	}

	/* The separator's guard, as in arguments.c: a trailing backslash would
	 * send it past the terminator. */
	fields = ast_alloca(size + 2);
	memcpy(fields, text, size);
	fields[size] = fields[size + 1] = '\0';
	AST_STANDARD_RAW_ARGS(expected, fields);

	if (out.timeout_ms < 0 || out.timeout_ms > BROADCAST_MAX_TIMEOUT_MS
		|| out.timeout_ms != expected_timeout(S_OR(expected.timeout, ""))) {
		fuzz_fail(WHAT, "timeout '%s' gave %d", S_OR(expected.timeout, ""), out.timeout_ms);
	}
	if (ast_strlen_zero(expected.app_filter) != !out.app_filter
		|| (out.app_filter && strcmp(out.app_filter, expected.app_filter))) {
		fuzz_fail(WHAT, "filter '%s' gave '%s'", S_OR(expected.app_filter, ""),
			S_OR(out.app_filter, "(all)"));
	}
	check_args(&out, S_OR(expected.args, ""));
	if (out.notify_claimed != (ast_true(expected.notify_claimed) ? 1 : 0)) {
		fuzz_fail(WHAT, "notify_claimed '%s' gave %d", S_OR(expected.notify_claimed, ""),
			out.notify_claimed);
	}

	options = S_OR(expected.options, "");
	if (out.options.guard_ms < 0 || out.options.guard_ms > BROADCAST_MAX_OPTION_MS
		|| out.options.window_ms < 0 || out.options.window_ms > BROADCAST_MAX_OPTION_MS
		|| (!strchr(options, 'g') && out.options.guard_ms != STASIS_BROADCAST_DEFAULT_GUARD_MS)
		|| (!strchr(options, 'w') && out.options.window_ms)) {
		fuzz_fail(WHAT, "options '%s' gave guard %d, window %d", options,
			out.options.guard_ms, out.options.window_ms);
	}

	broadcast_arguments_free(&out);
	ast_free(text);
	return 0;
}

const struct fuzz_target fuzz_arguments = {
	.name = "arguments",
	.one_input = one_input,
};
