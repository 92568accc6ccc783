/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief ARI's request pipeline, around a route of ours.
 *
 * A client cannot tell our routes from ARI's: the same steps run in the same
 * order, and every refusal has ARI's status, reason and body.
 *
 *  1. CORS: an allowed Origin gets Access-Control-Allow-Origin/-Credentials.
 *  2. The body: form fields (merged after the query string) or, if there are
 *     none, JSON. Too large: 413; unparsable: 400.
 *  3. Authentication (HTTP Basic, else ?api_key): 401 with a Basic challenge
 *     for the configured realm.
 *  4. Asterisk still booting: 503. A read_only user and
 *     a method other than GET or OPTIONS: 403.
 *  5. A URL that ends with a slash: ARI's 404 that says so. Else the route.
 *  6. The response: JSON in ARI's configured format, with Content-type.
 */

#include "asterisk.h"

#include <errno.h>

#include "asterisk/ari.h"
#include "asterisk/http.h"
#include "asterisk/json.h"
#include "asterisk/options.h"
#include "asterisk/strings.h"
#include "asterisk/tcptls.h"
#include "asterisk/utils.h"

#include "over_http.h"

/*! \brief Add CORS headers when the request's Origin is allowed (ARI's rule). */
static void cors_headers(struct ari_settings *settings, struct ast_variable *headers,
	struct ast_ari_response *response)
{
	char *allowed = ast_strdupa(settings->allowed_origins);
	const char *origin = NULL;
	struct ast_variable *header;
	char *current;

	for (header = headers; header; header = header->next) {
		if (!strcmp(header->name, "Origin")) {
			origin = header->value;
		}
	}
	if (!origin) {
		return;
	}
	while ((current = strsep(&allowed, ","))) {
		if (!strcmp(current, "*") || !strcmp(current, origin)) {
			ast_str_append(&response->headers, 0,
				"Access-Control-Allow-Origin: %s\r\n"
				"Access-Control-Allow-Credentials: true\r\n", origin);
			return;
		}
	}
	ast_log(LOG_NOTICE, "Origin header '%s' does not match an allowed origin.\n", origin);
}

/*!
 * \brief ARI's answer when reading a body (form fields, or else JSON) failed
 *        with \c errno; none when there simply was none.
 * \retval 1 refused (\a response says why)
 */
static int body_refused(struct ast_tcptls_session_instance *ser, struct ast_ari_response *response,
	int form)
{
	switch (errno) {
	case EFBIG:
		ast_ari_response_error(response, 413, "Request Entity Too Large", "Request body too large");
		return 1;
	case ENOMEM:
		if (form) {
			ast_http_request_close_on_completion(ser);
		}
		ast_ari_response_error(response, 500, "Internal Server Error",
			form ? "Out of memory" : "Error processing request");
		return 1;
	case EIO:
		ast_ari_response_error(response, 400, "Bad Request", "Error parsing request body");
		return 1;
	}
	return 0;
}

/*!
 * \brief Read the body as ARI does; fills in \a response on failure.
 * \param[out] form the form fields, NULL if none
 * \param[out] json the JSON body, JSON null if none
 * \retval -1 the request fails (\a response says why)
 */
static int read_body(struct ast_tcptls_session_instance *ser, struct ast_variable *headers,
	struct ast_variable **form, struct ast_json **json, struct ast_ari_response *response)
{
	*form = ast_http_get_post_vars(ser, headers);
	if (*form || body_refused(ser, response, 1)) {
		return *form ? 0 : -1;
	}
	/* Only without form fields: those would have consumed the body. */
	*json = ast_http_get_json(ser, headers);
	if (*json || body_refused(ser, response, 0)) {
		return *json ? 0 : -1;
	}
	*json = ast_json_null();
	return 0;
}

/*!
 * \brief ARI's checks on who is asking.
 * \retval 0 the request may proceed
 * \retval -1 refused (\a response says why)
 */
static int check_access(struct ast_tcptls_session_instance *ser, struct ari_settings *settings,
	enum ast_http_method method, struct ast_variable *params, struct ast_variable *headers,
	struct ast_ari_response *response)
{
	RAII_VAR(struct ari_user *, user, ari_settings_authenticate(settings, params, headers),
		ao2_cleanup);

	if (!user) {
		ast_ari_response_error(response, 401, "Unauthorized", "Authentication required");
		ast_str_append(&response->headers, 0, "WWW-Authenticate: Basic realm=\"%s\"\r\n",
			settings->auth_realm);
		return -1;
	}
	if (!ast_fully_booted) {
		ast_http_request_close_on_completion(ser);
		ast_ari_response_error(response, 503, "Service Unavailable", "Asterisk not booted");
		return -1;
	}
	if (user->read_only && method != AST_HTTP_GET && method != AST_HTTP_OPTIONS) {
		ast_ari_response_error(response, 403, "Forbidden", "Write access denied");
		return -1;
	}
	return 0;
}

/*! \brief Append \a tail (a copy of the query string) after \a list. */
static struct ast_variable *params_merge(struct ast_variable *list, struct ast_variable *tail)
{
	struct ast_variable *last;

	if (!list) {
		return tail;
	}
	for (last = list; last->next; last = last->next) {
	}
	last->next = tail;
	return list;
}

int ari_request_serve(ari_route_handler handler, struct ast_tcptls_session_instance *ser,
	const struct route_uri *uri, int trailing_slash, enum ast_http_method method,
	struct ast_variable *get_params, struct ast_variable *headers)
{
	RAII_VAR(struct ari_settings *, settings, ari_settings_get(), ao2_cleanup);
	struct ast_ari_response response = { .fd = -1 };
	struct ast_variable *params = NULL;
	struct ast_json *body = NULL;

	response.headers = ast_str_create(40);
	if (!settings || !response.headers) {
		ast_free(response.headers);
		ast_http_request_close_on_completion(ser);
		ast_http_error(ser, 500, "Server Error", "URI handler config missing");
		return 0;
	}

	cors_headers(settings, headers, &response);
	if (!read_body(ser, headers, &params, &body, &response)) {
		/* Form fields first, then the query string, as ARI merges them. */
		params = params_merge(params, get_params ? ast_variables_dup(get_params) : NULL);
		if (check_access(ser, settings, method, params, headers, &response)) {
			/* refused */
		} else if (trailing_slash) {
			ast_ari_response_error(&response, 404, "Not Found",
				"ARI URLs do not end with a slash. Try /%s", uri->http.uri);
		} else {
			handler(uri, method, params, headers, body, &response);
		}
	}
	if (!response.response_code) {
		ast_ari_response_error(&response, 501, "Not Implemented", "Method not implemented");
	}
	route_respond(ser, method, &response);
	ast_variables_destroy(params);
	ast_json_unref(body);
	return 0;
}

void ari_response_bad_method(struct ast_ari_response *response, const char *allow)
{
	ast_str_append(&response->headers, 0, "Allow: %s\r\n", allow);
	ast_ari_response_error(response, 405, "Method Not Allowed", "Invalid method");
}
