/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief The URIs of our routes: linked while ARI is enabled, and drained
 *        before the module goes away.
 *
 * ARI disabled means ARI unlinks its "ari" URI, and every /ari/... request
 * gets the HTTP server's plain 404. Our URIs follow: they are linked exactly
 * while ari.conf (as ARI last read it) enables ARI, so a disabled ARI looks
 * the same on the claim route as everywhere else.
 *
 * The HTTP server releases its URI list before it calls a route, so unlinking
 * a URI does not mean nobody is inside it. Requests in progress are therefore
 * counted, and unloading waits for the count to reach zero before the
 * module's code can go away.
 */

#include "asterisk.h"

#include "asterisk/http.h"
#include "asterisk/lock.h"
#include "asterisk/time.h"
#include "asterisk/utils.h"

#include "route.h"

/*! Guards \c linked and the link state of both URIs. */
AST_MUTEX_DEFINE_STATIC(link_lock);
/*! Whether the URIs are linked now */
static int linked;
/*! Requests inside one of our routes (atomic) */
static int in_flight;

/*!
 * \brief The HTTP server's entry into a route.
 *
 * \a uri is what follows the route's path: always empty, since the URIs have
 * no subtree. The server matches "path/" too, stepping over the slash, and
 * hands over a pointer into the request line just past it; so a slash right
 * before \a uri is the trailing slash ARI refuses.
 */
static int route_callback(struct ast_tcptls_session_instance *ser, const struct ast_http_uri *urih,
	const char *uri, enum ast_http_method method, struct ast_variable *get_params,
	struct ast_variable *headers)
{
	int res;

	ast_atomic_fetchadd_int(&in_flight, +1);
	res = ari_request_serve(urih->data, ser, urih, uri[-1] == '/', method, get_params, headers);
	ast_atomic_fetchadd_int(&in_flight, -1);
	return res;
}

static struct ast_http_uri claim_uri = {
	.callback = route_callback,
	.description = "StasisBroadcast claim (POST /ari/events/claim)",
	.uri = "ari/events/claim",
	.has_subtree = 0,
	.data = claim_route_handle,
	.key = __FILE__,
	.no_decode_uri = 1,
};

static struct ast_http_uri docs_uri = {
	.callback = route_callback,
	.description = "ARI events.json with the StasisBroadcast claim",
	.uri = "ari/api-docs/events.json",
	.has_subtree = 0,
	.data = api_docs_handle,
	.key = __FILE__,
	.no_decode_uri = 1,
};

/*! \brief Link or unlink the URIs to match ARI being enabled. */
static void follow_enabled(void)
{
	RAII_VAR(struct ari_settings *, settings, ari_settings_get(), ao2_cleanup);
	int enable = settings && settings->enabled;

	ast_mutex_lock(&link_lock);
	if (enable && !linked) {
		ast_http_uri_link(&claim_uri);
		ast_http_uri_link(&docs_uri);
		ast_verb(2, "StasisBroadcast serves POST /ari/events/claim (this Asterisk has no claim route)\n");
	} else if (!enable && linked) {
		ast_http_uri_unlink(&claim_uri);
		ast_http_uri_unlink(&docs_uri);
		ast_verb(2, "ARI is disabled: StasisBroadcast no longer serves /ari/events/claim\n");
	}
	linked = enable;
	ast_mutex_unlock(&link_lock);
}

int claim_route_load(void)
{
	if (ari_settings_load(follow_enabled)) {
		ari_settings_unload();
		return -1;
	}
	follow_enabled();
	return 0;
}

void claim_route_reload(void)
{
	if (!ari_settings_reload()) {
		follow_enabled();
	}
}

void claim_route_unload(void)
{
	int waited_ms = 0;

	/* No reload can relink the URIs after this. */
	ari_settings_unload();
	ast_mutex_lock(&link_lock);
	if (linked) {
		ast_http_uri_unlink(&claim_uri);
		ast_http_uri_unlink(&docs_uri);
		linked = 0;
	}
	ast_mutex_unlock(&link_lock);

	/* A claim request finishes in microseconds; a docs request in less
	 * than a millisecond. Wait, and say so if something takes longer. */
	while (ast_atomic_fetchadd_int(&in_flight, 0) > 0) {
		if (waited_ms++ == 1000) {
			ast_log(LOG_WARNING, "Still waiting for HTTP requests in the claim route\n");
		}
		usleep(1000);
	}
}
