/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief The claim inside ARI's own request handling: an "events" resource
 *        in ARI's handler tree (20.14-20.19, 22.4-22.9, 23.0-23.3).
 *
 * From 20.14.0, 22.4.0 and 23.0.0 ARI serves every request through one
 * handler tree, ast_ari_invoke(), whatever carried it: HTTP, a RESTRequest
 * down an application's WebSocket, the WebSocket of an outbound connection
 * Asterisk dialled. A resource in that tree is reached by all of them, and
 * ARI authenticates it, applies ACLs and read-only users, answers OPTIONS,
 * 405, trailing slashes and CORS, logs it for "ari set debug" and serves it
 * only while ARI is enabled, all by construction.
 *
 * The claim belongs under "events", which res_ari_events adds to the root of
 * that tree, and ARI offers no way to add a child to someone else's resource:
 * the root's children are matched one path segment at a time, the first match
 * wins. So we add an "events" of our own with everything res_ari_events' has
 * on these releases, and the claim:
 *
 *  - the WebSocket: res_ari itself upgrades GET on any handler that says
 *    is_websocket (the events WebSocket lives in res_ari from these releases);
 *  - user events: POST events/user/{eventName}, stasis_app_user_event() of
 *    res_stasis, with res_ari_events' parameters and answers;
 *  - POST events/claim (answers.c answers it).
 *
 * Ours must be matched before theirs, and must behave as theirs would not be
 * there at all when res_ari_events does not run:
 *
 *  - Order. ast_ari_add_handler() appends. At boot we come first: we are a
 *    load-order module and res_ari_events is not, and a res_ari_events loaded
 *    by hand later comes after us too. Only a res_ari_events already running
 *    when we load (we were loaded by hand after it, or it was preloaded) is
 *    found first: our load then refreshes it (unloads it and loads it again,
 *    the loader being ours during our load), which puts its handler after
 *    ours. Measured on 20.19.0 with an application connected and a call in
 *    its Stasis: the application stays connected and registered through the
 *    refresh (its WebSocket belongs to res_ari on these releases), the call
 *    and its events carry on, and only requests made in the refresh's few
 *    milliseconds find no events resource. Whether ours is the one ARI
 *    finds is asked of ARI itself (an OPTIONS on events/claim, as a test
 *    invocation), never assumed; when it still is not, the log says so.
 *  - Presence. While res_ari_events does not run, our resource's path segment
 *    is one that never matches (ARI splits paths at '/', and ours contains
 *    one), so /ari/events answers as it would without us: 404. It stays in the
 *    tree, where it keeps its place ahead of a res_ari_events loaded later.
 *
 * module_watch.c calls the follower below whenever res_ari_events was loaded
 * or unloaded. The handler structures are ours and static; ARI copies only
 * pointers to them, and reads path_segment as it matches (a pointer store,
 * atomic here). Requests inside our callbacks are counted (inflight.h).
 */

#include "asterisk.h"

#include "asterisk/app.h"
#include "asterisk/ari.h"
#include "asterisk/json.h"
#include "asterisk/options.h"
#include "asterisk/stasis_app.h"
#include "asterisk/strings.h"
#include "asterisk/utils.h"

#include "answers.h"
#include "host.h"
#include "in_ari.h"
#include "inflight.h"

/*! How many values a "source" parameter may have (res_ari_events' limit) */
#define MAX_SOURCES 128

/*! Requests inside one of our callbacks */
static struct inflight in_flight = INFLIGHT_INIT_VALUE;

/*! \brief The values of a user event's "source", however they came. */
struct event_sources {
	const char *uris[MAX_SOURCES];
	int count;
	/*! The query string's copy the uris point into */
	char *parsed;
};

/*!
 * \brief Read "source" from the query string: comma separated, the last
 *        occurrence counts. \retval -1 \a response says why
 */
static int sources_from_query(struct ast_variable *params, struct event_sources *sources,
	struct ast_ari_response *response)
{
	char *values[MAX_SOURCES];
	int i;

	for (; params; params = params->next) {
		if (strcmp(params->name, "source")) {
			continue;
		}
		ast_free(sources->parsed);
		sources->parsed = ast_strdup(params->value);
		if (!sources->parsed) {
			ast_ari_response_alloc_failed(response);
			return -1;
		}
		if (ast_strlen_zero(sources->parsed)) {
			/* One empty value (ast_app_separate_args() finds none) */
			sources->count = 1;
			values[0] = sources->parsed;
		} else {
			sources->count = ast_app_separate_args(sources->parsed, ',', values,
				ARRAY_LEN(values));
		}
		if (sources->count >= MAX_SOURCES) {
			ast_ari_response_error(response, 400, "Bad Request", "Too many values for source");
			return -1;
		}
		for (i = 0; i < sources->count; i++) {
			sources->uris[i] = values[i];
		}
	}
	return 0;
}

/*!
 * \brief Read "source" from a JSON body, which wins over the query string:
 *        an array of URIs, or one. \retval -1 \a response says why
 */
static int sources_from_body(struct ast_json *field, struct event_sources *sources,
	struct ast_ari_response *response)
{
	int multiple = ast_json_typeof(field) == AST_JSON_ARRAY;
	size_t count = multiple ? ast_json_array_size(field) : 1;
	size_t i;

	if (count >= MAX_SOURCES) {
		ast_ari_response_error(response, 400, "Bad Request", "Too many values for source");
		return -1;
	}
	for (i = 0; i < count; i++) {
		sources->uris[i] = ast_json_string_get(multiple ? ast_json_array_get(field, i) : field);
		if (!sources->uris[i]) {
			/* res_ari_events hands such a value on, and res_stasis reads
			 * it as a string: refused here as the bad URI it is. */
			ast_ari_response_error(response, 400, "Bad Request",
				"Invalid event source URI scheme");
			return -1;
		}
	}
	sources->count = count;
	return 0;
}

/*! \brief POST events/user/{eventName}: as res_ari_events answers it. */
static void user_event_cb(struct ast_tcptls_session_instance *ser,
	struct ast_variable *get_params, struct ast_variable *path_vars,
	struct ast_variable *headers, struct ast_json *body, struct ast_ari_response *response)
{
	struct event_sources sources = { .count = 0 };
	const char *application = ast_variable_find_last_in_list(get_params, "application");
	const char *event_name = ast_variable_find_in_list(path_vars, "eventName");
	struct ast_json *field;

	inflight_enter(&in_flight);
	if (sources_from_query(get_params, &sources, response)) {
		goto done;
	}
	if ((field = ast_json_object_get(body, "application"))) {
		application = ast_json_string_get(field);
	}
	if ((field = ast_json_object_get(body, "source"))
		&& sources_from_body(field, &sources, response)) {
		goto done;
	}
	if (ast_strlen_zero(application)) {
		ast_ari_response_error(response, 400, "Bad Request", "Missing parameter application");
		goto done;
	}

	switch (stasis_app_user_event(application, event_name, sources.uris, sources.count,
		ast_json_object_get(body, "variables"))) {
	case STASIS_APP_USER_OK:
		ast_ari_response_no_content(response);
		break;
	case STASIS_APP_USER_APP_NOT_FOUND:
		ast_ari_response_error(response, 404, "Not Found", "Application not found");
		break;
	case STASIS_APP_USER_EVENT_SOURCE_NOT_FOUND:
		ast_ari_response_error(response, 422, "Unprocessable Entity",
			"Event source was not found");
		break;
	case STASIS_APP_USER_EVENT_SOURCE_BAD_SCHEME:
		ast_ari_response_error(response, 400, "Bad Request", "Invalid event source URI scheme");
		break;
	case STASIS_APP_USER_USEREVENT_INVALID:
		ast_ari_response_error(response, 400, "Bad Request", "Invalid userevent data");
		break;
	case STASIS_APP_USER_INTERNAL_ERROR:
	default:
		ast_ari_response_error(response, 500, "Internal Server Error",
			"Error processing request");
		break;
	}
done:
	ast_free(sources.parsed);
	inflight_leave(&in_flight);
}

/*! \brief POST events/claim */
static void claim_cb(struct ast_tcptls_session_instance *ser,
	struct ast_variable *get_params, struct ast_variable *path_vars,
	struct ast_variable *headers, struct ast_json *body, struct ast_ari_response *response)
{
	inflight_enter(&in_flight);
	answers_events_claim(get_params, body, response);
	inflight_leave(&in_flight);
}

static struct stasis_rest_handlers events_user_event_name = {
	.path_segment = "eventName",
	.is_wildcard = 1,
	.callbacks = {
		[AST_HTTP_POST] = user_event_cb,
	},
	.num_children = 0,
};

static struct stasis_rest_handlers events_user = {
	.path_segment = "user",
	.num_children = 1,
	.children = { &events_user_event_name, },
};

static struct stasis_rest_handlers events_claim = {
	.path_segment = "claim",
	.callbacks = {
		[AST_HTTP_POST] = claim_cb,
	},
	.num_children = 0,
};

/*! The path segment of our resource: one of these two. */
static const char served[] = "events";
static const char hidden[] = "events/not-while-res_ari_events-is-not-running";

static struct stasis_rest_handlers events = {
	.path_segment = served,
	.is_websocket = 1,
	.num_children = 2,
	.children = { &events_user, &events_claim, },
};

/*! \brief Show or hide our resource (see the file's comment). */
static void set_served(int serve)
{
	__atomic_store_n(&events.path_segment, serve ? served : hidden, __ATOMIC_SEQ_CST);
}

/*!
 * \brief An OPTIONS on \a path, as a test invocation of ARI (no credentials,
 *        nothing logged): the status ARI answers.
 */
static int ari_options(const char *path)
{
	struct ast_ari_response response = { .fd = -1 };

	response.headers = ast_str_create(80);
	if (!response.headers) {
		return -1;
	}
	ast_ari_invoke(NULL, ARI_INVOKE_SOURCE_TEST, NULL, path, AST_HTTP_OPTIONS,
		NULL, NULL, ast_json_null(), &response);
	ast_free(response.headers);
	ast_json_unref(response.message);
	return response.response_code;
}

/*!
 * \brief Ask ARI whose "events" it finds: our claim answers OPTIONS with
 *        its methods; res_ari_events' events resource has no claim.
 * \retval 1 ours \retval 0 someone else's \retval -1 ARI cannot tell yet
 */
static int ari_finds_ours(void)
{
	int code = ari_options("events/claim");

	return code == 204 ? 1 : code == 404 ? 0 : -1;
}

/*!
 * \brief Whether res_ari_events runs, asked of ARI: with ours hidden for the
 *        question, is there an events resource with user events? Leaves ours
 *        hidden; a request meanwhile finds theirs, or none, as without us.
 */
static int res_ari_events_runs(void)
{
	set_served(0);
	return ari_options("events/user/any") != 404;
}

/*! Only touched by follow_res_ari_events(), whose calls never overlap: what
 *  we last logged */
static enum events_state {
	STATE_UNKNOWN,
	STATE_SERVED,
	STATE_HIDDEN,
	STATE_SHADOWED,
} state;

/*! \brief Move to \a next; whether that changed the state (worth a log line). */
static int state_becomes(enum events_state next)
{
	if (state == next) {
		return 0;
	}
	state = next;
	return 1;
}

static void follow_res_ari_events(enum module_change change)
{
	int runs;

	if (change == MODULE_CHECK && !ast_fully_booted) {
		/* At boot res_ari_events loads after us, announcing nothing: ours
		 * serves until FullyBooted brings another look. */
		set_served(1);
		return;
	}
	runs = change == MODULE_CHECK ? res_ari_events_runs() : change != MODULE_UNLOADED;
	set_served(runs);
	if (!runs) {
		if (state_becomes(STATE_HIDDEN)) {
			ast_log(LOG_NOTICE, "res_ari_events is not running: ARI has no events resource, "
				"so no application can connect, nor claim a StasisBroadcast call\n");
		}
		return;
	}
	if (ari_finds_ours() != 0) {
		if (state_becomes(STATE_SERVED)) {
			ast_verb(2, "StasisBroadcast serves POST /ari/events/claim inside ARI's events "
				"resource: over HTTP, REST over WebSocket and outbound WebSockets\n");
		}
		return;
	}
	if (state_becomes(STATE_SHADOWED)) {
		ast_log(LOG_ERROR, "POST /ari/events/claim is NOT served: ARI finds res_ari_events' "
			"events resource first. 'module refresh res_ari_events.so' puts ours first.\n");
	}
}

const struct module_follower claim_events_follower = {
	.module = "res_ari_events.so",
	.follow = follow_res_ari_events,
};

int claim_events_load(void)
{
	state = STATE_UNKNOWN;
	set_served(1);
	if (ast_ari_add_handler(&events)) {
		return -1;
	}
	if (ari_finds_ours() == 0) {
		/* res_ari_events ran before us: its handler is first. The loader is
		 * ours during our load; a refresh puts theirs after ours (see the
		 * file's comment for what it does to connected applications). */
		ast_log(LOG_NOTICE, "res_ari_events was loaded before res_stasis_broadcast, so ARI "
			"finds its events resource first: refreshing res_ari_events, whose "
			"resource then comes after ours\n");
		if (host_refresh_module("res_ari_events.so")) {
			ast_log(LOG_ERROR, "Could not refresh res_ari_events.so\n");
		}
	}
	return 0;
}

void claim_events_unload(void)
{
	ast_ari_remove_handler(&events);
	inflight_wait_idle(&in_flight);
}
