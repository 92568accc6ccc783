/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Parsing StasisBroadcast()'s arguments.
 *
 * The string is split on commas without removing quotes or backslashes
 * (AST_STANDARD_RAW_ARGS), because the filter is a regular expression and
 * "^sales\.eu$" must reach the regex compiler as written.
 */

#include "asterisk.h"

#include <ctype.h>

#include "asterisk/app.h"
#include "asterisk/strings.h"
#include "asterisk/utils.h"

#include "arguments.h"

/*! \brief Parse the timeout, warning about and replacing a bad one. */
static int parse_timeout(const char *text, const char *chan_name)
{
	size_t digits;

	if (ast_strlen_zero(text)) {
		return BROADCAST_DEFAULT_TIMEOUT_MS;
	}
	/* Digits only, and few enough that atoi() cannot overflow. */
	digits = strspn(text, "0123456789");
	if (digits != strlen(text) || digits > 5 || atoi(text) > BROADCAST_MAX_TIMEOUT_MS) {
		ast_log(LOG_WARNING, "%s: StasisBroadcast timeout '%s' is not a number of "
			"milliseconds from 0 to %d; using %d\n", chan_name, text,
			BROADCAST_MAX_TIMEOUT_MS, BROADCAST_DEFAULT_TIMEOUT_MS);
		return BROADCAST_DEFAULT_TIMEOUT_MS;
	}
	return atoi(text);
}

/*!
 * \brief Copy \a data for Asterisk's raw argument separator, with a guard.
 *
 * The raw separator steps over the character after a backslash, so with a
 * backslash at the very end it steps over the terminating NUL and scans on
 * past the string (every release of Asterisk 20, 22 and 23; found by fuzzing).
 * A second NUL after the first stops it inside our buffer, and the backslash
 * stays at the end of the last argument, as written.
 */
static char *copy_for_separator(const char *data)
{
	size_t length = strlen(data);
	char *copy = ast_malloc(length + 2);

	if (copy) {
		memcpy(copy, data, length);
		copy[length] = copy[length + 1] = '\0';
	}
	return copy;
}

/*!
 * \brief Read an option's value in milliseconds, 0 to BROADCAST_MAX_OPTION_MS.
 * \retval -1 it is not one (the caller warns)
 */
static int option_ms(const char *text, size_t length)
{
	int value = 0;
	size_t i;

	if (!length || length > 6) {
		return -1;
	}
	for (i = 0; i < length; i++) {
		if (!isdigit((unsigned char) text[i])) {
			return -1;
		}
		value = value * 10 + (text[i] - '0');
	}
	return value <= BROADCAST_MAX_OPTION_MS ? value : -1;
}

/*!
 * \brief Parse the options argument: letters as in Dial's options, a value in
 *        parentheses where one is needed: g(ms) the handoff guard, w(ms) the
 *        decision window.
 */
static void parse_options(const char *text, const char *chan_name,
	struct stasis_broadcast_options *options)
{
	options->guard_ms = STASIS_BROADCAST_DEFAULT_GUARD_MS;
	options->window_ms = 0;

	while (text && *text) {
		char letter = *text++;
		const char *value = NULL;
		size_t length = 0;
		int ms;

		if (*text == '(') {
			const char *close = strchr(text, ')');

			value = text + 1;
			length = close ? (size_t) (close - value) : strlen(value);
			text = close ? close + 1 : value + length;
		}
		if (letter != 'g' && letter != 'w') {
			ast_log(LOG_WARNING, "%s: StasisBroadcast option '%c' is unknown; ignored\n",
				chan_name, letter);
			continue;
		}
		ms = value ? option_ms(value, length) : -1;
		if (ms < 0) {
			ast_log(LOG_WARNING, "%s: StasisBroadcast option %c() needs a number of "
				"milliseconds from 0 to %d, as in %c(1500); ignored\n", chan_name, letter,
				BROADCAST_MAX_OPTION_MS, letter);
			continue;
		}
		if (letter == 'g') {
			options->guard_ms = ms;
		} else {
			options->window_ms = ms;
		}
	}
}

/*! \brief Split "a:b:c" into the winner's arguments, keeping empty ones. */
static int split_args(char *text, struct ast_vector_string *args)
{
	char *arg;

	if (ast_strlen_zero(text)) {
		return 0;
	}
	while ((arg = strsep(&text, ":"))) {
		if (AST_VECTOR_APPEND(args, arg)) {
			return -1;
		}
	}
	return 0;
}

int broadcast_arguments_parse(const char *data, const char *chan_name,
	struct broadcast_arguments *out)
{
	AST_DECLARE_APP_ARGS(parsed,
		AST_APP_ARG(timeout);
		AST_APP_ARG(app_filter);
		AST_APP_ARG(args);
		AST_APP_ARG(notify_claimed);
		AST_APP_ARG(options);
	);

	memset(out, 0, sizeof(*out));
	if (AST_VECTOR_INIT(&out->args, 4)) {
		return -1;
	}
	out->buffer = copy_for_separator(S_OR(data, ""));
	if (!out->buffer) {
		broadcast_arguments_free(out);
		return -1;
	}
	AST_STANDARD_RAW_ARGS(parsed, out->buffer);

	out->timeout_ms = parse_timeout(parsed.timeout, chan_name);
	out->app_filter = ast_strlen_zero(parsed.app_filter) ? NULL : parsed.app_filter;
	out->notify_claimed = ast_true(parsed.notify_claimed) ? 1 : 0;
	parse_options(parsed.options, chan_name, &out->options);
	if (split_args(parsed.args, &out->args)) {
		broadcast_arguments_free(out);
		return -1;
	}
	return 0;
}

void broadcast_arguments_free(struct broadcast_arguments *args)
{
	AST_VECTOR_FREE(&args->args);
	ast_free(args->buffer);
	args->buffer = NULL;
}
