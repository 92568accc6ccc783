/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief The floor of fan-out cost, for make bench: never installed.
 *
 * BroadcastFloor([app_filter]) hands one CallBroadcast-shaped event to every
 * registered application whose name matches, through stasis_app_send(), on
 * the channel's own thread, and returns: the least work ARI allows for one
 * offer. No broadcast, no registry, no claims, no liveness, no statistics:
 * what is left is the event built once, one top-level copy per application
 * (stasis_app_send() stamps "application" on the message it is given) and
 * ARI's own per-recipient work. The benchmark divides the Asterisk CPU per
 * broadcast of the stock modules and of ours by this one.
 */

/*** MODULEINFO
	<depend>res_stasis</depend>
	<support_level>extended</support_level>
 ***/

#include "asterisk.h"

#include <regex.h>

#include "asterisk/astobj2.h"
#include "asterisk/channel.h"
#include "asterisk/json.h"
#include "asterisk/module.h"
#include "asterisk/pbx.h"
#include "asterisk/stasis_app.h"
#include "asterisk/stasis_channels.h"
#include "asterisk/strings.h"

static const char app[] = "BroadcastFloor";

/*! \brief The CallBroadcast event of \a chan, built once. */
static struct ast_json *event_of(struct ast_channel *chan)
{
	RAII_VAR(struct ast_channel_snapshot *, snapshot, NULL, ao2_cleanup);
	struct ast_json *channel;

	/* The one Stasis already has, as ours takes it. */
	snapshot = ast_channel_snapshot_get_latest(ast_channel_uniqueid(chan));
	if (!snapshot) {
		return NULL;
	}
	channel = ast_channel_snapshot_to_json(snapshot, stasis_app_get_sanitizer());
	if (!channel) {
		return NULL;
	}
	return ast_json_pack("{s: s, s: o, s: o, s: s, s: s}",
		"type", "CallBroadcast",
		"timestamp", ast_json_timeval(ast_tvnow(), NULL),
		"channel", channel,
		"caller", S_OR(snapshot->caller->number, ""),
		"called", snapshot->dialplan->exten);
}

static int floor_exec(struct ast_channel *chan, const char *data)
{
	RAII_VAR(struct ast_json *, event, event_of(chan), ast_json_unref);
	RAII_VAR(struct ao2_container *, apps, stasis_app_get_all(), ao2_cleanup);
	struct ao2_iterator it;
	const char *name;
	regex_t filter;
	int filtered = !ast_strlen_zero(data);

	if (!event || !apps || (filtered && regcomp(&filter, data, REG_EXTENDED | REG_NOSUB))) {
		return 0;
	}
	it = ao2_iterator_init(apps, 0);
	for (; (name = ao2_iterator_next(&it)); ao2_ref((void *) name, -1)) {
		struct ast_json *copy;

		if (filtered && regexec(&filter, name, 0, NULL, 0)) {
			continue;
		}
		copy = ast_json_copy(event);
		if (copy) {
			stasis_app_send(name, copy);
			ast_json_unref(copy);
		}
	}
	ao2_iterator_destroy(&it);
	if (filtered) {
		regfree(&filter);
	}
	return 0;
}

static int unload_module(void)
{
	return ast_unregister_application(app);
}

static int load_module(void)
{
	return ast_register_application(app, floor_exec, "The floor of fan-out cost (make bench)",
		"  BroadcastFloor([app_filter]): one CallBroadcast-shaped event to every matching\n"
		"  application, and nothing else. For benchmarks only.\n")
		? AST_MODULE_LOAD_DECLINE : AST_MODULE_LOAD_SUCCESS;
}

AST_MODULE_INFO(ASTERISK_GPL_KEY, AST_MODFLAG_DEFAULT, "StasisBroadcast benchmark floor",
	.support_level = AST_MODULE_SUPPORT_EXTENDED,
	.load = load_module,
	.unload = unload_module,
	.requires = "res_stasis",
);
