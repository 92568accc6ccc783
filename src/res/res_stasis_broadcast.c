/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Offer a channel to many ARI applications; the first claim wins.
 *
 * This file is the module and its C API, as declared by the host's
 * <asterisk/stasis_app_broadcast.h>: Asterisk's own POST /ari/events/claim
 * (res_ari_events) calls stasis_app_claim_channel(), and the dialplan
 * application calls the rest. The work is done in:
 *
 *  - registry.c  the live broadcasts, by channel id, and their lifetime
 *  - claim.c     every change of a broadcast's state: the race between
 *                claims, the timeout, hangup, nobody to offer it to, its end
 *  - offer.c     who is offered the call, and the CallBroadcast/CallClaimed events
 *  - dispatch.c  sending them
 *  - filter.c    the app_filter and what makes a pattern unsafe
 *  - stats.c     counters for operators (and for res_stasis_broadcast_prometheus,
 *                a module of its own: stasis_broadcast_stats_read())
 *  - cli.c, ami.c  what operators see: CLI, AMI events
 *  - module_watch.c  the modules we work beside but cannot require, as they
 *                come and go (res_ari_events, res_ari's ari.conf)
 *  - handoff.c   a winner's lost connection, and the call given back
 *  - broadcasts.c  the claim API's answers, and /ari/broadcasts (claim,
 *                decline, list) in ARI's handler tree
 *  - route/      what we serve beside ARI: our /ari/api-docs, and POST
 *                /ari/events/claim on Asterisk releases that predate
 *                Asterisk's own (see route/route.h)
 *
 * On those releases the host has no <asterisk/stasis_app_broadcast.h> either;
 * the build then uses ours (src/include/compat), which declares the same API.
 */

/*** MODULEINFO
	<depend>res_stasis</depend>
	<depend>res_ari</depend>
	<support_level>extended</support_level>
 ***/

#include "asterisk.h"

#include "asterisk/module.h"
#include "asterisk/utils.h"

/* Right before each API header: optional_api.h undefines it on every inclusion. */
#define AST_API_MODULE
#include "asterisk/stasis_app_broadcast.h"
#define AST_API_MODULE
#include "stasis_broadcast_app.h"
#define AST_API_MODULE
#include "stasis_broadcast_stats.h"

#include "ami.h"
#include "broadcasts.h"
#include "claim.h"
#include "dispatch.h"
#include "filter.h"
#include "handoff.h"
#include "host.h"
#include "module_watch.h"
#include "offer.h"
#include "operator.h"
#include "registry.h"
#include "route/route.h"
#include "stats.h"

/*!
 * \brief Choose the recipients and create the broadcast, not yet registered.
 * \retval NULL the filter was refused, or no memory (the dialplan application
 *         tells the operator: stasis_app_broadcast_refusal())
 */
static struct broadcast *broadcast_prepare(struct ast_channel *chan, const char *app_filter,
	unsigned int flags, const struct stasis_broadcast_options *options)
{
	struct ast_vector_const_string names;
	struct ao2_container *apps;
	struct broadcast *b;
	regex_t filter;
	int has_filter = !ast_strlen_zero(app_filter);
	int res;
	char why[160];

	if (has_filter && filter_compile(&filter, app_filter, why, sizeof(why))) {
		ast_debug(1, "%s: app_filter '%s' refused: %s\n", ast_channel_name(chan), app_filter, why);
		return NULL;
	}
	res = broadcast_candidates(has_filter ? &filter : NULL, &names, &apps);
	if (has_filter) {
		regfree(&filter);
	}
	if (res) {
		return NULL;
	}
	b = broadcast_alloc(chan, flags, options, &names);
	AST_VECTOR_FREE(&names);
	ao2_ref(apps, -1);
	return b;
}

/*! \brief Send a registered offer, and tell the operators. */
static void offer_made(struct broadcast *b, struct ast_channel *chan, const char *app_filter,
	int timeout_ms)
{
	/* Returns once every recipient has been taken; see dispatch.c. */
	broadcast_dispatch(b, chan);
	ami_broadcast_begin(b, app_filter, timeout_ms);
	ast_debug(1, "%s: offer %d to %zu candidate applications (timeout %d ms%s%s)\n",
		broadcast_channel_name(b), broadcast_offer(b), broadcast_candidate_count(b), timeout_ms,
		ast_strlen_zero(app_filter) ? "" : ", filter ", S_OR(app_filter, ""));
}

int AST_OPTIONAL_API_NAME(stasis_broadcast_offer)(struct ast_channel *chan, int timeout_ms,
	const char *app_filter, unsigned int flags, const struct stasis_broadcast_options *options)
{
	RAII_VAR(struct broadcast *, b, NULL, ao2_cleanup);

	if (!chan) {
		return -1;
	}
	b = broadcast_prepare(chan, app_filter, flags, options);
	if (!b || broadcast_register(b)) {
		stats_broadcast_failed();
		ami_broadcast_refused(chan, app_filter);
		return -1;
	}
	stats_broadcast_started();
	offer_made(b, chan, app_filter, timeout_ms);
	return 0;
}

int AST_OPTIONAL_API_NAME(stasis_app_broadcast_channel)(struct ast_channel *chan,
	int timeout_ms, const char *app_filter, unsigned int flags)
{
	return stasis_broadcast_offer(chan, timeout_ms, app_filter, flags, NULL);
}

int AST_OPTIONAL_API_NAME(stasis_broadcast_reoffer)(struct ast_channel *chan, int timeout_ms)
{
	RAII_VAR(struct broadcast *, previous, NULL, ao2_cleanup);
	RAII_VAR(struct broadcast *, b, NULL, ao2_cleanup);

	previous = chan ? broadcast_find(ast_channel_uniqueid(chan)) : NULL;
	b = previous ? broadcast_next_offer(previous, chan) : NULL;
	if (!b || broadcast_register(b)) {
		return -1;
	}
	stats_reoffered();
	offer_made(b, chan, NULL, timeout_ms);
	return 0;
}

/*! \brief The call came back from its winner: say so, once. */
static void winner_lost(struct broadcast *b)
{
	RAII_VAR(char *, winner, broadcast_winner(b), ast_free);

	stats_winner_lost();
	ami_broadcast_winner_lost(b);
	ast_verb(3, "%s: winner '%s' lost its connection before it had the call (offer %d)\n",
		broadcast_channel_name(b), S_OR(winner, ""), broadcast_offer(b));
}

int AST_OPTIONAL_API_NAME(stasis_broadcast_handoff_begin)(const char *channel_id)
{
	RAII_VAR(struct broadcast *, b, broadcast_find(channel_id), ao2_cleanup);

	if (!b || !broadcast_handoff_begin(b)) {
		return 0;
	}
	winner_lost(b);
	return -1;
}

/*!
 * \brief Whether the broadcast's winner is a registered Stasis application
 *        (asked without the broadcast's lock: res_stasis takes its own).
 */
static int winner_registered(struct broadcast *b)
{
	RAII_VAR(char *, winner, broadcast_winner(b), ast_free);

	return winner && host_app_is_registered(winner);
}

int AST_OPTIONAL_API_NAME(stasis_broadcast_handoff_end)(const char *channel_id, int exec_result)
{
	RAII_VAR(struct broadcast *, b, broadcast_find(channel_id), ao2_cleanup);

	if (!b || !broadcast_handoff_end(b, exec_result, exec_result && !winner_registered(b))) {
		return 0;
	}
	winner_lost(b);
	return 1;
}

int AST_OPTIONAL_API_NAME(stasis_broadcast_outcome)(const char *channel_id,
	struct stasis_broadcast_outcome *out)
{
	RAII_VAR(struct broadcast *, b, broadcast_find(channel_id), ao2_cleanup);

	if (!b) {
		return -1;
	}
	broadcast_outcome(b, out);
	return 0;
}

int AST_OPTIONAL_API_NAME(stasis_app_claim_channel)(const char *channel_id, const char *app_name)
{
	int64_t latency_us;
	/* A plain claim: score 0 in best mode. */
	enum claim_result result = broadcast_claim(channel_id, app_name, 0, &latency_us);

	stats_claim_counted(result, latency_us);
	return result;
}

char *AST_OPTIONAL_API_NAME(stasis_app_broadcast_winner)(const char *channel_id)
{
	RAII_VAR(struct broadcast *, b, broadcast_find(channel_id), ao2_cleanup);

	return b ? broadcast_winner(b) : NULL;
}

int AST_OPTIONAL_API_NAME(stasis_app_broadcast_wait)(struct ast_channel *chan, int timeout_ms)
{
	RAII_VAR(struct broadcast *, b, NULL, ao2_cleanup);
	int claimed;

	b = chan ? broadcast_find(ast_channel_uniqueid(chan)) : NULL;
	if (!b) {
		return -1;
	}
	claimed = !broadcast_wait(b, chan, timeout_ms);
	if (!claimed) {
		return -1;
	}
	/* Nothing is published here: the application sets the variables after
	 * the session. The winner's own CallBroadcast is out: its claim was
	 * decided only once its send had returned (claim.c). */
	ami_broadcast_claimed(b);
	if (broadcast_notifies_claimed(b)) {
		broadcast_notify_claimed(b, chan);
	}
	return 0;
}

void AST_OPTIONAL_API_NAME(stasis_app_broadcast_report)(const char *channel_id, const char *status)
{
	RAII_VAR(struct broadcast *, b, broadcast_find(channel_id), ao2_cleanup);

	if (b && !ast_strlen_zero(status) && broadcast_report(b, status)) {
		stats_session_failed();
	}
}

int AST_OPTIONAL_API_NAME(stasis_app_broadcast_refusal)(const char *app_filter, char *why,
	size_t len)
{
	regex_t filter;

	if (ast_strlen_zero(app_filter) || filter_compile(&filter, app_filter, why, len)) {
		return !ast_strlen_zero(app_filter);
	}
	regfree(&filter);
	return 0;
}

int AST_OPTIONAL_API_NAME(stasis_broadcast_stats_read)(struct stasis_broadcast_stats *out)
{
	stats_read(out);
	out->live = broadcast_count();
	return 0;
}

void AST_OPTIONAL_API_NAME(stasis_app_broadcast_cleanup)(const char *channel_id)
{
	struct broadcast *b = broadcast_unregister(channel_id, NULL);

	if (b) {
		ami_broadcast_end(b);
		ao2_ref(b, -1);
	}
}

/*! The modules we work beside but cannot require (see module_watch.h). */
static const struct module_follower *const followers[] = {
	ROUTE_FOLLOWERS
};

static int unload_module(void)
{
	int live = broadcast_count();

	if (live) {
		ast_log(LOG_WARNING, "Not unloading: %d broadcast%s still live\n",
			live, live == 1 ? "" : "s");
		return -1;
	}
	module_watch_stop();
	route_unload();
	broadcasts_resource_unload();
	handoff_stop();
	cli_unregister();
	dispatch_stop();
	broadcast_registry_cleanup();
	return 0;
}

/*! \brief Undo a load that got part of the way (nothing is live yet). */
static int load_failed(void)
{
	route_unload();
	broadcasts_resource_unload();
	handoff_stop();
	cli_unregister();
	dispatch_stop();
	broadcast_registry_cleanup();
	return AST_MODULE_LOAD_DECLINE;
}

static int load_module(void)
{
	stats_reset();
	if (broadcast_registry_init() || cli_register()) {
		broadcast_registry_cleanup();
		return AST_MODULE_LOAD_DECLINE;
	}
	dispatch_start();
#if defined(STASIS_BROADCAST_OWN_ROUTE) && defined(AST_DEVMODE)
	/* Dev mode ARI checks every outgoing event against the models it was
	 * built with, and this release's have no CallBroadcast or CallClaimed. */
	ast_log(LOG_WARNING, "This Asterisk is a development-mode build (AST_DEVMODE): its ARI "
		"replaces events it has no model for, so applications will NOT receive "
		"CallBroadcast or CallClaimed. Use a release build (configure without --enable-dev-mode).\n");
#endif
	if (handoff_start() || broadcasts_resource_load() || route_load()
		|| module_watch_start(followers, ARRAY_LEN(followers))) {
		return load_failed();
	}
	return AST_MODULE_LOAD_SUCCESS;
}

static int reload_module(void)
{
	route_reload();
	return 0;
}

AST_MODULE_INFO(ASTERISK_GPL_KEY, AST_MODFLAG_GLOBAL_SYMBOLS | AST_MODFLAG_LOAD_ORDER,
	"StasisBroadcast strict: broadcast registry and claims",
	.support_level = AST_MODULE_SUPPORT_EXTENDED,
	.load = load_module,
	.unload = unload_module,
	.reload = reload_module,
	.load_pri = AST_MODPRI_APP_DEPEND,
	.requires = "res_stasis,res_ari,http",
);
