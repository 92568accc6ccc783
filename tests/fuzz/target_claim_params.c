/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Fuzz target "claim_params": the claim route's parameter reading.
 *
 * Calls claim_route_handle() directly with a request made of the input's
 * lines:
 *
 *     METHOD                 GET, POST, OPTIONS, ...
 *     query string           URL-encoded, decoded by Asterisk
 *     Content-Type           of the body
 *     body...                form fields or JSON
 *
 * The query string and a form body are decoded by Asterisk's form decoder
 * (ast_http_parse_post_form) and merged as ARI merges them, form fields
 * first; a JSON body is Asterisk's JSON. A body ARI would refuse before the
 * route runs (JSON that does not parse) is skipped. The whole pipeline, HTTP
 * server included, is target "claim_http"; this one is a hundred times
 * faster and so reaches the corners of the parameter rules.
 *
 * The oracle is SPEC section 4 and over_http/route.c's contract: OPTIONS 204,
 * other methods but POST 405; a POST whose channelId (then application) is
 * missing or empty is a 400 naming it; otherwise the claim decides, and
 * with no broadcast in this Asterisk that can only be 404. A parameter is
 * the JSON body's field if there is one, else its last occurrence. A "score"
 * parameter (the claim of /ari/broadcasts) is read by answers_score(), and
 * must be accepted exactly when it is a decimal integer a long holds.
 */

#include "asterisk.h"

#include "asterisk/ari.h"
#include "asterisk/http.h"
#include "asterisk/json.h"
#include "asterisk/strings.h"
#include "asterisk/utils.h"

#include <limits.h>

#include "answers.h"
#include "over_http/over_http.h"
#include "fuzz.h"

#define WHAT "claim_route_handle"
#define FORM "application/x-www-form-urlencoded"

static const struct route_uri claim_uri = {
	.http = {
		.uri = "ari/events/claim",
		.description = "fuzzed claim route",
	},
};

static enum ast_http_method method_named(const char *name)
{
	int method;

	for (method = AST_HTTP_GET; method < AST_HTTP_MAX_METHOD; method++) {
		if (!strcmp(name, ast_get_http_method(method))) {
			return method;
		}
	}
	return AST_HTTP_UNKNOWN;
}

/*! \brief Decode URL-encoded \a text with Asterisk's form decoder. */
static struct ast_variable *form_decode(const char *text)
{
	char *copy = ast_strdupa(text);

	return ast_http_parse_post_form(copy, strlen(copy), FORM);
}

/*! \brief The parameter by the rule of SPEC section 4, from scratch. */
static const char *expected_parameter(struct ast_variable *params, struct ast_json *body,
	const char *name)
{
	const char *value = NULL;

	if (ast_json_typeof(body) == AST_JSON_OBJECT && ast_json_object_get(body, name)) {
		return ast_json_string_get(ast_json_object_get(body, name));
	}
	for (; params; params = params->next) {
		value = !strcmp(params->name, name) ? params->value : value;
	}
	return value;
}

/*! \brief The response a request must get, with the parameter a 400 names. */
static int expected_status(enum ast_http_method method, struct ast_variable *params,
	struct ast_json *body, const char **missing)
{
	*missing = NULL;
	if (method == AST_HTTP_OPTIONS) {
		return 204;
	}
	if (method != AST_HTTP_POST) {
		return 405;
	}
	if (ast_strlen_zero(expected_parameter(params, body, "channelId"))) {
		*missing = "channelId";
	} else if (ast_strlen_zero(expected_parameter(params, body, "application"))) {
		*missing = "application";
	}
	return *missing ? 400 : 404;
}

static void check_response(struct ast_ari_response *response, int status, const char *missing)
{
	const char *message = ast_json_string_get(ast_json_object_get(response->message, "message"));

	if (response->response_code != status) {
		fuzz_fail(WHAT, "answered %d, expected %d", response->response_code, status);
	}
	if (status >= 400 && !message) {
		fuzz_fail(WHAT, "%d without a message", status);
	}
	if (missing && !strstr(message, missing)) {
		fuzz_fail(WHAT, "400 says '%s', not which parameter (%s) is missing", message, missing);
	}
	if (status == 204 || status == 405) {
		if (!strstr(ast_str_buffer(response->headers), "Allow: OPTIONS,POST")) {
			fuzz_fail(WHAT, "%d without the Allow header", status);
		}
	}
}

/*!
 * \brief The score a claim's "score" parameter must give, from scratch:
 *        digits after an optional sign, whose value a long holds.
 * \retval 0 not a score
 */
static int expected_score(const char *text, long *score)
{
	const char *digits = text + (*text == '-' || *text == '+');
	unsigned long long magnitude = 0;
	const char *c;

	if (!*digits) {
		return 0;
	}
	for (c = digits; *c; c++) {
		if (*c < '0' || *c > '9' || magnitude > (ULLONG_MAX - 9) / 10) {
			return 0;
		}
		magnitude = magnitude * 10 + (*c - '0');
	}
	if (magnitude > (unsigned long long) LONG_MAX + (*text == '-')) {
		return 0;
	}
	*score = *text == '-' ? (long) (0 - magnitude) : (long) magnitude;
	return 1;
}

/*! \brief A claim's score (POST /ari/broadcasts/{channelId}/claim): read as claimed. */
static void check_score(const char *text)
{
	struct ast_ari_response response = { .fd = -1 };
	long score, expected = 0;
	int valid = expected_score(text, &expected);

	response.headers = ast_str_create(40);
	if (answers_score(text, &score, &response) != (valid ? 0 : -1)
		|| (valid && score != expected) || (!valid && response.response_code != 400)) {
		fuzz_fail(WHAT, "score '%s' read as %ld (answer %d), expected %s %ld", text, score,
			response.response_code, valid ? "" : "a 400, not", expected);
	}
	ast_json_unref(response.message);
	ast_free(response.headers);
}

/*!
 * \brief The request in the input's lines (\a text is consumed).
 * \retval -1 a JSON body that does not parse: ARI answers 400 before the route
 */
static int request_from_input(char *text, enum ast_http_method *method,
	struct ast_variable **params, struct ast_json **body)
{
	char *cursor = text, no_body[1] = "";
	const char *method_name = S_OR(strsep(&cursor, "\n"), "");
	const char *query = S_OR(strsep(&cursor, "\n"), "");
	const char *content_type = S_OR(strsep(&cursor, "\n"), "");
	struct ast_variable *query_params;

	/* The form decoder writes into the body: never a literal. */
	cursor = cursor ? cursor : no_body;
	*method = method_named(method_name);
	*params = NULL;
	*body = NULL;
	if (!strcasecmp(content_type, FORM)) {
		*params = ast_http_parse_post_form(cursor, strlen(cursor), FORM);
	} else if (!strcasecmp(content_type, "application/json") && *cursor) {
		if (!(*body = ast_json_load_buf(cursor, strlen(cursor), NULL))) {
			return -1;
		}
	}
	*body = *body ? *body : ast_json_null();
	/* Form fields first, then the query string. */
	query_params = form_decode(query);
	if (*params) {
		ast_variable_list_append(params, query_params);
	} else {
		*params = query_params;
	}
	return 0;
}

static int one_input(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	struct ast_ari_response response = { .fd = -1 };
	struct ast_variable *params;
	struct ast_json *body;
	enum ast_http_method method;
	const char *missing;
	int status;

	if (!text) {
		return -1;
	}
	if (request_from_input(text, &method, &params, &body)) {
		ast_free(text);
		return 0;
	}
	status = expected_status(method, params, body, &missing);
	response.headers = ast_str_create(40);
	if (!response.headers) {
		fuzz_fail(WHAT, "out of memory");
	}
	claim_route_handle(&claim_uri, method, params, NULL, body, &response);
	check_response(&response, status, missing);
	if (expected_parameter(params, body, "score")) {
		check_score(expected_parameter(params, body, "score"));
	}

	ast_json_unref(response.message);
	ast_free(response.headers);
	ast_variables_destroy(params);
	ast_json_unref(body);
	ast_free(text);
	return 0;
}

const struct fuzz_target fuzz_claim_params = {
	.name = "claim_params",
	.one_input = one_input,
};
