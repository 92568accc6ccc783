/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief POST /ari/events/claim and GET /ari/api-docs/{resources,broadcasts,
 *        events}.json as HTTP URIs beside ARI (20.0-20.13, 22.0-22.3; see
 *        ../route.h).
 *
 * Each request goes through ari_request.c (ARI's pipeline) to its handler
 * here. The URIs are linked while ari.conf, as ARI last read it, enables ARI.
 */

#include "asterisk.h"

#include "asterisk/ari.h"
#include "asterisk/http.h"
#include "asterisk/json.h"
#include "asterisk/utils.h"

#include "answers.h"
#include "over_http.h"

#define CLAIM_METHODS "OPTIONS,POST"

void claim_route_handle(const struct route_uri *uri, enum ast_http_method method,
	struct ast_variable *params, struct ast_variable *headers, struct ast_json *body,
	struct ast_ari_response *response)
{
	if (method == AST_HTTP_OPTIONS) {
		ast_str_append(&response->headers, 0, "Allow: " CLAIM_METHODS "\r\n");
		ast_ari_response_no_content(response);
	} else if (method != AST_HTTP_POST) {
		ari_response_bad_method(response, CLAIM_METHODS);
	} else {
		answers_events_claim(params, body, response);
	}
}

void api_docs_handle(const struct route_uri *uri, enum ast_http_method method,
	struct ast_variable *params, struct ast_variable *headers, struct ast_json *body,
	struct ast_ari_response *response)
{
	if (method != AST_HTTP_GET) {
		ast_ari_response_error(response, 405, "Method Not Allowed", "Unsupported method");
		return;
	}
	/* ARI's own document, from ARI's own reader (paths, basePath). */
	ast_ari_get_docs(api_docs_ari_source(uri->document), uri->http.prefix, headers, response);
	api_docs_describe(uri->document, response);
}

static int serve_claim(struct ast_tcptls_session_instance *ser, const struct route_uri *uri,
	int trailing_slash, enum ast_http_method method, struct ast_variable *get_params,
	struct ast_variable *headers)
{
	return ari_request_serve(claim_route_handle, ser, uri, trailing_slash, method,
		get_params, headers);
}

static int serve_docs(struct ast_tcptls_session_instance *ser, const struct route_uri *uri,
	int trailing_slash, enum ast_http_method method, struct ast_variable *get_params,
	struct ast_variable *headers)
{
	return ari_request_serve(api_docs_handle, ser, uri, trailing_slash, method,
		get_params, headers);
}

static struct route_uri uris[] = {
	{
		.http = {
			.description = "StasisBroadcast claim (POST /ari/events/claim)",
			.uri = "ari/events/claim",
		},
		.serve = serve_claim,
	},
	{
		.http = {
			.description = "ARI events.json with the StasisBroadcast claim",
			.uri = "ari/api-docs/events.json",
		},
		.document = API_DOC_EVENTS,
		.serve = serve_docs,
	},
	ROUTE_DOC_URIS(serve_docs),
};

static struct route_uris served = { .uris = uris, .count = ARRAY_LEN(uris) };

/*! \brief Link or unlink the URIs to match ARI being enabled. */
static void follow_enabled(void)
{
	RAII_VAR(struct ari_settings *, settings, ari_settings_get(), ao2_cleanup);

	route_uris_follow(&served, settings && settings->enabled);
}

int route_load(void)
{
	if (ari_settings_load(follow_enabled)) {
		ari_settings_unload();
		return -1;
	}
	follow_enabled();
	return 0;
}

void route_reload(void)
{
	if (!ari_settings_reload()) {
		follow_enabled();
	}
}

void route_unload(void)
{
	/* No reload can relink the URIs after this. */
	ari_settings_unload();
	route_uris_unload(&served);
}
