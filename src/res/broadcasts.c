/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief /ari/broadcasts: what the claim API has beyond POST /ari/events/claim.
 *
 * POST /ari/events/claim is Asterisk's on 20.20+, 22.10+ and 23.4+, and ours
 * elsewhere (route/); its operation is fixed. What we add to it lives in a
 * resource of our own, in ARI's own handler tree, on every release:
 *
 *   POST /ari/broadcasts/{channelId}/claim?application=&score=
 *   POST /ari/broadcasts/{channelId}/decline?application=
 *   GET  /ari/broadcasts[?application=]    the open broadcasts
 *   GET  /ari/broadcasts/{channelId}       one of them
 *
 * Being in ARI's tree (ast_ari_add_handler()), the resource is reached by
 * every transport ARI has on the host (HTTP; REST over an application's
 * WebSocket and outbound WebSockets from 20.14, 22.4 and 23.0), and ARI
 * authenticates it, applies ACLs and read-only users, answers OPTIONS and
 * 405, and serves it only while enabled. Its description for clients
 * generated from /ari/api-docs is route/api_docs.c's.
 *
 * Claims and declines are answered as every claim is (answers.c); claim.c
 * decides them.
 */

#include "asterisk.h"

#include "asterisk/ari.h"
#include "asterisk/json.h"
#include "asterisk/strings.h"
#include "asterisk/utils.h"

#include "answers.h"
#include "broadcasts.h"
#include "claim.h"
#include "inflight.h"
#include "registry.h"
#include "stats.h"

/*! Requests inside one of our callbacks */
static struct inflight in_flight = INFLIGHT_INIT_VALUE;

/* --- answers ------------------------------------------------------------------- */

/*! \brief Claim, count and answer. */
static void claim_answered(const char *channel_id, const char *application, long score,
	struct ast_ari_response *response)
{
	int64_t latency_us;
	enum claim_result result = broadcast_claim(channel_id, application, score, &latency_us);

	stats_claim_counted(result, latency_us);
	answers_result(result, response);
}

/* --- the resource ------------------------------------------------------------------ */

/*! \brief The channel id of a request on /broadcasts/{channelId}/... */
static const char *path_channel(struct ast_variable *path_vars)
{
	return ast_variable_find_in_list(path_vars, "channelId");
}

/*! \brief POST /broadcasts/{channelId}/claim */
static void claim_cb(struct ast_tcptls_session_instance *ser,
	struct ast_variable *get_params, struct ast_variable *path_vars,
	struct ast_variable *headers, struct ast_json *body, struct ast_ari_response *response)
{
	const char *application = answers_parameter(get_params, body, "application");
	long score;

	inflight_enter(&in_flight);
	if (!answers_missing(application, "application", response)
		&& !answers_score(answers_parameter(get_params, body, "score"), &score, response)) {
		claim_answered(path_channel(path_vars), application, score, response);
	}
	inflight_leave(&in_flight);
}

/*! \brief POST /broadcasts/{channelId}/decline */
static void decline_cb(struct ast_tcptls_session_instance *ser,
	struct ast_variable *get_params, struct ast_variable *path_vars,
	struct ast_variable *headers, struct ast_json *body, struct ast_ari_response *response)
{
	const char *application = answers_parameter(get_params, body, "application");

	inflight_enter(&in_flight);
	if (!answers_missing(application, "application", response)) {
		enum claim_result result = broadcast_decline(path_channel(path_vars), application);

		stats_decline_counted(result);
		answers_result(result, response);
	}
	inflight_leave(&in_flight);
}

/*!
 * \brief The JSON of an open broadcast (the Broadcast model of
 *        api_docs.c); NULL if it is not open.
 */
static struct ast_json *broadcast_json(struct broadcast *b)
{
	struct broadcast_view view;

	broadcast_view(b, &view);
	if (view.state != BROADCAST_OPEN) {
		return NULL;
	}
	return ast_json_pack("{s: s, s: s, s: i, s: s, s: i, s: i, s: i, s: I}",
		"channel_id", broadcast_channel_id(b),
		"channel_name", broadcast_channel_name(b),
		"offer", view.offer,
		"mode", view.window_ms ? "best" : "first",
		"window_ms", view.window_ms,
		"recipients", view.recipients,
		"declined", view.declined,
		"age_ms", (ast_json_int_t) view.age_ms);
}

/*! \brief GET /broadcasts: the open broadcasts, or those \a application may claim. */
static void list_cb(struct ast_tcptls_session_instance *ser,
	struct ast_variable *get_params, struct ast_variable *path_vars,
	struct ast_variable *headers, struct ast_json *body, struct ast_ari_response *response)
{
	const char *application = answers_parameter(get_params, body, "application");
	struct ast_json *list;
	struct ao2_iterator it;
	struct broadcast *b;

	inflight_enter(&in_flight);
	list = ast_json_array_create();
	it = broadcast_iterator();
	for (; list && (b = ao2_iterator_next(&it)); ao2_ref(b, -1)) {
		struct ast_json *one;

		if (!ast_strlen_zero(application) && !broadcast_may_claim(b, application)) {
			continue;
		}
		one = broadcast_json(b);
		if (one && ast_json_array_append(list, one)) {
			ast_json_unref(list);
			list = NULL;
		}
	}
	ao2_iterator_destroy(&it);
	if (list) {
		ast_ari_response_ok(response, list);
	} else {
		ast_ari_response_alloc_failed(response);
	}
	inflight_leave(&in_flight);
}

/*! \brief GET /broadcasts/{channelId} */
static void one_cb(struct ast_tcptls_session_instance *ser,
	struct ast_variable *get_params, struct ast_variable *path_vars,
	struct ast_variable *headers, struct ast_json *body, struct ast_ari_response *response)
{
	RAII_VAR(struct broadcast *, b, NULL, ao2_cleanup);
	struct ast_json *one;

	inflight_enter(&in_flight);
	b = broadcast_find(path_channel(path_vars));
	one = b ? broadcast_json(b) : NULL;
	if (one) {
		ast_ari_response_ok(response, one);
	} else {
		ast_ari_response_error(response, 404, "Not Found", "No open broadcast of this channel");
	}
	inflight_leave(&in_flight);
}

static struct stasis_rest_handlers claim_handler = {
	.path_segment = "claim",
	.callbacks = {
		[AST_HTTP_POST] = claim_cb,
	},
	.num_children = 0,
};

static struct stasis_rest_handlers decline_handler = {
	.path_segment = "decline",
	.callbacks = {
		[AST_HTTP_POST] = decline_cb,
	},
	.num_children = 0,
};

static struct stasis_rest_handlers one_handler = {
	.path_segment = "channelId",
	.is_wildcard = 1,
	.callbacks = {
		[AST_HTTP_GET] = one_cb,
	},
	.num_children = 2,
	.children = { &claim_handler, &decline_handler, },
};

static struct stasis_rest_handlers root_handler = {
	.path_segment = "broadcasts",
	.callbacks = {
		[AST_HTTP_GET] = list_cb,
	},
	.num_children = 1,
	.children = { &one_handler, },
};

int broadcasts_resource_load(void)
{
	return ast_ari_add_handler(&root_handler);
}

void broadcasts_resource_unload(void)
{
	ast_ari_remove_handler(&root_handler);
	inflight_wait_idle(&in_flight);
}
