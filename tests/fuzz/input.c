/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Turning libFuzzer's bytes into strings and variable lists.
 *
 * The targets that take a request read it as text lines: headers as
 * "Name: value", parameters as "name=value", an empty line ending a list.
 * That keeps the seeds readable and lets the fuzzer change one header
 * without breaking the others.
 */

#include "asterisk.h"

#include <stdarg.h>

#include "asterisk/config.h"
#include "asterisk/strings.h"
#include "asterisk/utils.h"

#include "fuzz.h"

char *fuzz_string(const uint8_t *data, size_t size)
{
	char *text;

	/* Strings in Asterisk never hold a NUL: such an input tells nothing. */
	if (memchr(data, '\0', size)) {
		return NULL;
	}
	text = ast_malloc(size + 1);
	if (text) {
		memcpy(text, data, size);
		text[size] = '\0';
	}
	return text;
}

/*!
 * \brief ast_strip() without its undefined behaviour on an empty string
 *        (ast_trim_blanks() points before the string then; UBSan says so).
 */
static char *strip(char *text)
{
	text = ast_skip_blanks(text);
	return *text ? ast_trim_blanks(text) : text;
}

struct ast_variable *fuzz_variables(char **cursor, char sep, int trim)
{
	struct ast_variable *head = NULL, *tail = NULL;
	char *line;

	while (*cursor && (line = strsep(cursor, "\n")) && *line) {
		char *value = strchr(line, sep);
		struct ast_variable *var;

		if (value) {
			*value++ = '\0';
		} else {
			value = "";
		}
		if (trim) {
			line = strip(line);
			value = strip(value);
		}
		var = ast_variable_new(line, value, "");
		if (!var) {
			continue;
		}
		if (tail) {
			tail->next = var;
		} else {
			head = var;
		}
		tail = var;
	}
	return head;
}

void fuzz_fail(const char *what, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "==FUZZ== broken promise in %s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}
