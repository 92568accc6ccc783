/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief GET /ari/api-docs/{resources,broadcasts,events}.json through ARI
 *        itself, and the module's view of what we serve beside ARI, on every
 *        release that has ast_ari_invoke() (20.14, 22.4, 23.0 and later).
 *
 * ARI answers api-docs/ requests before it looks at its handler tree, from
 * its files, so a resource of ours cannot add to them. The documents are
 * served as HTTP URIs of ours (matched before ARI's "ari"), but each request
 * is ARI's to answer: ast_ari_invoke() authenticates it, refuses what ARI
 * refuses and reads ARI's own document, and we add ours to what it answered
 * (api_docs.c): to events.json, the claim where we serve it (in_ari/events.c)
 * and the fields we add to the events everywhere.
 *
 * ARI answers nothing while ari.conf disables it; the URI is linked only
 * while ARI is enabled too. That one setting ([general] enabled, default yes;
 * without a [general] ARI is disabled) is read from ari.conf whenever res_ari
 * loads or reloads, as ARI reads it.
 */

#include "asterisk.h"

#include "asterisk/ari.h"
#include "asterisk/config.h"
#include "asterisk/http.h"
#include "asterisk/json.h"
#include "asterisk/utils.h"

#include "in_ari.h"

static int serve_docs(struct ast_tcptls_session_instance *ser, const struct route_uri *uri,
	int trailing_slash, enum ast_http_method method, struct ast_variable *get_params,
	struct ast_variable *headers)
{
	struct ast_ari_response response = { .fd = -1 };
	char path[64];

	response.headers = ast_str_create(40);
	if (!response.headers) {
		ast_http_request_close_on_completion(ser);
		ast_http_error(ser, 500, "Server Error", "Out of memory");
		return 0;
	}
	snprintf(path, sizeof(path), "api-docs/%s%s", api_docs_ari_source(uri->document),
		trailing_slash ? "/" : "");
	if (ast_ari_invoke(ser, ARI_INVOKE_SOURCE_REST, &uri->http, path, method, get_params,
			headers, ast_json_null(), &response) == ARI_INVOKE_RESULT_ERROR_CLOSE) {
		ast_http_request_close_on_completion(ser);
	}
	api_docs_describe(uri->document, &response);
	route_respond(ser, method, &response);
	return 0;
}

static struct route_uri uris[] = {
	ROUTE_DOC_URIS(serve_docs),
	{
		.http = {
			.description = "ARI events.json with StasisBroadcast's events and claim",
			.uri = "ari/api-docs/events.json",
		},
		.document = API_DOC_EVENTS,
		.serve = serve_docs,
	},
};

static struct route_uris docs = { .uris = uris, .count = ARRAY_LEN(uris) };

/*!
 * \brief Whether ari.conf enables ARI, as ARI reads it.
 * \retval -1 the file does not parse: ARI keeps what it had, so do we
 */
static int ari_enabled(void)
{
	struct ast_flags flags = { 0 };
	struct ast_config *cfg = ast_config_load2("ari.conf", "res_stasis_broadcast", flags);
	const char *enabled;
	int res;

	if (cfg == CONFIG_STATUS_FILEINVALID) {
		return -1;
	}
	if (!cfg || !ast_category_exist(cfg, "general", NULL)) {
		res = 0;
	} else {
		enabled = ast_variable_retrieve(cfg, "general", "enabled");
		res = !enabled || ast_true(enabled);
	}
	if (cfg) {
		ast_config_destroy(cfg);
	}
	return res;
}

/*! \brief Link or unlink the URI as ari.conf now says. */
static void follow_enabled(void)
{
	int enabled = ari_enabled();

	if (enabled >= 0) {
		route_uris_follow(&docs, enabled);
	}
}

static void follow_res_ari(enum module_change change)
{
	if (change == MODULE_LOADED || change == MODULE_RELOADED) {
		follow_enabled();
	}
}

const struct module_follower docs_follower = {
	.module = "res_ari.so",
	.follow = follow_res_ari,
};

int route_load(void)
{
	follow_enabled();
#ifdef STASIS_BROADCAST_CLAIM_IN_ARI
	return claim_events_load();
#else
	return 0;
#endif
}

void route_reload(void)
{
	follow_enabled();
}

void route_unload(void)
{
#ifdef STASIS_BROADCAST_CLAIM_IN_ARI
	claim_events_unload();
#endif
	route_uris_unload(&docs);
}
