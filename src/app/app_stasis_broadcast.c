/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief StasisBroadcast(): offer the call to every ARI application, hand it
 *        to the first that claims it, as if Stasis(winner) had run.
 *
 * The application uses only the C API of <asterisk/stasis_app_broadcast.h>,
 * so it works with any module that provides it. Its contract with the
 * dialplan is that it always says what happened: STASISSTATUS,
 * STASISBROADCAST_WINNER and STASISBROADCAST_RECIPIENTS are set on every
 * path that returns to the dialplan, and the broadcast is cleaned up on every
 * path, hangup included. It is the one owner of that contract: the resource
 * module sets no variable and logs no refused filter.
 */

/*** MODULEINFO
	<depend>res_stasis</depend>
	<depend>res_stasis_broadcast</depend>
	<support_level>extended</support_level>
 ***/

#include "asterisk.h"

#include "asterisk/app.h"
#include "asterisk/module.h"
#include "asterisk/xmldoc.h"
#include "asterisk/pbx.h"
#include "asterisk/stasis_app_broadcast.h"
#include "asterisk/stasis_app_impl.h"

#include "arguments.h"
#include "stasis_broadcast_report.h"

/*** DOCUMENTATION
	docs/xml/app_stasis_broadcast-en_US.xml, installed with the module into
	Asterisk's third-party documentation.
 ***/

static const char app[] = "StasisBroadcast";

/* The same text, for where Asterisk cannot show the XML (see load_module()). */
#include "app_doc.h"

/*!
 * \brief Tell the dialplan how it went: STASISBROADCAST_RECIPIENTS,
 *        STASISBROADCAST_WINNER and (unless the caller hung up) STASISSTATUS.
 *
 * The one place the channel variables are set, once on every path (each set
 * publishes a VarSet). \a recipients < 0: ask the resource module, which knows
 * it while the broadcast is registered (a module without our report API
 * leaves the variable unset).
 */
static void publish(struct ast_channel *chan, const char *channel_id, int recipients,
	const char *winner, const char *status)
{
	char count[16];

	if (recipients < 0) {
		recipients = stasis_app_broadcast_recipients(channel_id);
	}
	if (recipients >= 0) {
		snprintf(count, sizeof(count), "%d", recipients);
		pbx_builtin_setvar_helper(chan, "STASISBROADCAST_RECIPIENTS", count);
	}
	pbx_builtin_setvar_helper(chan, "STASISBROADCAST_WINNER", S_OR(winner, ""));
	if (status) {
		pbx_builtin_setvar_helper(chan, "STASISSTATUS", status);
	}
}

/*! \brief Say why the call could not be offered: the one log line of it. */
static void explain_refusal(struct ast_channel *chan, const char *app_filter)
{
	char why[160];

	if (app_filter && stasis_app_broadcast_refusal(app_filter, why, sizeof(why))) {
		ast_log(LOG_ERROR, "%s: app_filter '%s' refused, the call is offered to nobody: %s\n",
			ast_channel_name(chan), app_filter, why);
		return;
	}
	ast_log(LOG_WARNING, "%s: StasisBroadcast could not offer the call%s%s\n",
		ast_channel_name(chan), app_filter ? " with app_filter " : "", S_OR(app_filter, ""));
}

/*!
 * \brief Hand the claimed channel to \a winner, as Stasis() would.
 *
 * Nothing is published between the claim and StasisStart: the variables are
 * set when the Stasis session is over.
 */
static int enter_winner(struct ast_channel *chan, const char *channel_id, const char *winner,
	struct broadcast_arguments *args, const char **status)
{
	int res;

	ast_verb(3, "%s: claimed by ARI application '%s'\n", ast_channel_name(chan), winner);
	res = stasis_app_exec(chan, winner, AST_VECTOR_SIZE(&args->args), args->args.elems);
	if (res) {
		ast_log(LOG_WARNING, "%s: Stasis session in '%s' failed\n",
			ast_channel_name(chan), winner);
	}
	*status = res ? "FAILED" : "SUCCESS";
	publish(chan, channel_id, -1, winner, *status);
	return res;
}

/*!
 * \brief Broadcast, wait, and hand over; the broadcast is registered on entry.
 * \param status receives STASISSTATUS, or NULL when the caller hung up
 */
static int broadcast_and_wait(struct ast_channel *chan, const char *channel_id,
	struct broadcast_arguments *args, const char **status)
{
	char *winner;
	int res;

	if (stasis_app_broadcast_wait(chan, args->timeout_ms)) {
		if (ast_check_hangup_locked(chan)) {
			ast_debug(1, "%s: caller hung up during the broadcast\n", ast_channel_name(chan));
			*status = NULL;
			publish(chan, channel_id, -1, NULL, NULL);
			return -1;
		}
		ast_verb(3, "%s: nobody claimed the call\n", ast_channel_name(chan));
		*status = "TIMEOUT";
		publish(chan, channel_id, -1, NULL, *status);
		return 0;
	}

	winner = stasis_app_broadcast_winner(channel_id);
	if (!winner) {
		*status = "FAILED";
		publish(chan, channel_id, -1, NULL, *status);
		return 0;
	}
	res = enter_winner(chan, channel_id, winner, args, status);
	ast_free(winner);
	return res;
}

static int broadcast_exec(struct ast_channel *chan, const char *data)
{
	struct broadcast_arguments args;
	char channel_id[AST_MAX_UNIQUEID];
	const char *status;
	unsigned int flags;
	int res;

	if (broadcast_arguments_parse(data, ast_channel_name(chan), &args)) {
		publish(chan, NULL, 0, NULL, "FAILED");
		return 0;
	}

	ast_channel_lock(chan);
	ast_copy_string(channel_id, ast_channel_uniqueid(chan), sizeof(channel_id));
	ast_channel_unlock(chan);

	flags = args.notify_claimed ? 0 : STASIS_BROADCAST_FLAG_SUPPRESS_CLAIMED;
	if (stasis_app_broadcast_channel(chan, args.timeout_ms, args.app_filter, flags)) {
		explain_refusal(chan, args.app_filter);
		status = "FAILED";
		publish(chan, channel_id, 0, NULL, status);
		res = 0;
	} else {
		res = broadcast_and_wait(chan, channel_id, &args, &status);
	}

	if (res && !ast_check_hangup_locked(chan)) {
		/* Like Stasis(): a failed session is reported, not a reason to hang up. */
		res = 0;
	}
	/* Tell the resource module how it ended (AMI, statistics): STASISSTATUS,
	 * or HANGUP when the caller hung up before one was set. */
	stasis_app_broadcast_report(channel_id, S_OR(status, "HANGUP"));
	stasis_app_broadcast_cleanup(channel_id);
	broadcast_arguments_free(&args);
	return res;
}

static int unload_module(void)
{
	return ast_unregister_application(app);
}

/*!
 * \brief Whether Asterisk shows our documentation XML for the application.
 *
 * Not where the core's own documentation has a StasisBroadcast (the stock
 * application of 20.20+, 22.10+ and 23.4+: for one name the core's file wins),
 * nor where our file is not installed, nor in a build without XML docs.
 */
static int our_xml_shown(void)
{
#if defined(HOST_HAS_STASIS_BROADCAST) || !defined(AST_XML_DOCS)
	return 0;
#else
	RAII_VAR(char *, synopsis, ast_xmldoc_build_synopsis("application", app, AST_MODULE),
		ast_free);

	return synopsis && strstr(synopsis, app_synopsis);
#endif
}

static int load_module(void)
{
	int res = our_xml_shown() ? ast_register_application_xml(app, broadcast_exec)
		: ast_register_application(app, broadcast_exec, app_synopsis, app_description);

	return res ? AST_MODULE_LOAD_DECLINE : AST_MODULE_LOAD_SUCCESS;
}

AST_MODULE_INFO(ASTERISK_GPL_KEY, AST_MODFLAG_LOAD_ORDER,
	"StasisBroadcast strict: dialplan application",
	.support_level = AST_MODULE_SUPPORT_EXTENDED,
	.load = load_module,
	.unload = unload_module,
	.load_pri = AST_MODPRI_DEFAULT,
	.requires = "res_stasis,res_stasis_broadcast",
);
