/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Our HTTP URIs under /ari: linked while ARI is enabled, drained
 *        before the module goes away, answered in ARI's format.
 *
 * ARI disabled means ARI unlinks its "ari" URI, and every /ari/... request
 * gets the HTTP server's plain 404. Our URIs follow: they are linked exactly
 * while ARI is enabled, so a disabled ARI looks the same on them as
 * everywhere else.
 *
 * The HTTP server releases its URI list before it calls a route, so unlinking
 * a URI does not mean nobody is inside it: requests in progress are counted,
 * and unloading waits for them (inflight.h).
 */

#include "asterisk.h"

#include "asterisk/ari.h"
#include "asterisk/http.h"
#include "asterisk/json.h"
#include "asterisk/lock.h"
#include "asterisk/utils.h"

#include "inflight.h"
#include "route.h"

/*! Guards every set's \c linked and the link state of its URIs. */
AST_MUTEX_DEFINE_STATIC(link_lock);
/*! Requests inside one of our URIs */
static struct inflight in_flight = INFLIGHT_INIT_VALUE;

/*!
 * \brief The HTTP server's entry into a URI of ours.
 *
 * \a uri is what follows the URI's path: always empty, since the URIs have no
 * subtree. The server matches "path/" too, stepping over the slash, and hands
 * over a pointer into the request line just past it; so a slash right before
 * \a uri is the trailing slash ARI refuses.
 */
static int uri_callback(struct ast_tcptls_session_instance *ser, const struct ast_http_uri *urih,
	const char *uri, enum ast_http_method method, struct ast_variable *get_params,
	struct ast_variable *headers)
{
	const struct route_uri *ours = urih->data;
	int res;

	inflight_enter(&in_flight);
	res = ours->serve(ser, ours, uri[-1] == '/', method, get_params, headers);
	inflight_leave(&in_flight);
	return res;
}

void route_uris_follow(struct route_uris *set, int enabled)
{
	struct route_uri *uris = set->uris;
	int i;
	SCOPED_MUTEX(lock, &link_lock);

	if (enabled && !set->linked) {
		for (i = 0; i < set->count; i++) {
			uris[i].http.callback = uri_callback;
			uris[i].http.data = &uris[i];
			uris[i].http.key = __FILE__;
			uris[i].http.no_decode_uri = 1;
			ast_http_uri_link(&uris[i].http);
			ast_verb(2, "StasisBroadcast serves /%s\n", uris[i].http.uri);
		}
	} else if (!enabled && set->linked) {
		for (i = 0; i < set->count; i++) {
			ast_http_uri_unlink(&uris[i].http);
		}
		ast_verb(2, "ARI is disabled: StasisBroadcast serves no /ari URI either\n");
	}
	set->linked = enabled;
}

void route_uris_unload(struct route_uris *set)
{
	route_uris_follow(set, 0);
	inflight_wait_idle(&in_flight);
}

void route_respond(struct ast_tcptls_session_instance *ser, enum ast_http_method method,
	struct ast_ari_response *response)
{
	struct ast_str *body = ast_str_create(256);

	if (!body || !response->headers) {
		ast_free(body);
		ast_free(response->headers);
		ast_json_unref(response->message);
		ast_http_request_close_on_completion(ser);
		ast_http_error(ser, 500, "Server Error", "Out of memory");
		return;
	}
	if (response->message && !ast_json_is_null(response->message)) {
		ast_str_append(&response->headers, 0, "Content-type: application/json\r\n");
		if (ast_json_dump_str_format(response->message, &body, ast_ari_json_format())) {
			response->response_code = 500;
			response->response_text = "Internal Server Error";
			ast_str_reset(body);
			ast_str_reset(response->headers);
		}
	}
	/* ast_http_send() takes the headers and the body. */
	ast_http_send(ser, method, response->response_code, response->response_text,
		response->headers, body, 0, 0);
	ast_json_unref(response->message);
}
