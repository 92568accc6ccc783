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
 * path, hangup included.
 */

/*** MODULEINFO
	<depend>res_stasis</depend>
	<depend>res_stasis_broadcast</depend>
	<support_level>extended</support_level>
 ***/

#include "asterisk.h"

#include "asterisk/app.h"
#include "asterisk/module.h"
#include "asterisk/pbx.h"
#include "asterisk/stasis_app_broadcast.h"
#include "asterisk/stasis_app_impl.h"

#include "arguments.h"
#include "stasis_broadcast_report.h"

static const char app[] = "StasisBroadcast";

static const char synopsis[] =
	"Offer the call to every connected ARI application; the first to claim it gets it";

static const char description[] =
	"  StasisBroadcast([timeout[,app_filter[,args[,notify_claimed]]]])\n"
	"\n"
	"Sends a CallBroadcast event to every ARI application that is registered and has a\n"
	"live WebSocket (or to those whose name matches app_filter), in a random order.\n"
	"The first application to POST /ari/events/claim?channelId=...&application=...\n"
	"wins (204); later claims get 409, claims by applications that were not offered\n"
	"the call get 404. The channel then enters the winner exactly as\n"
	"Stasis(winner,args...) would: the winner receives StasisStart and controls the\n"
	"channel until it continues or the channel hangs up.\n"
	"\n"
	"  timeout         Milliseconds to wait for a claim, 0-60000 (default 500).\n"
	"                  Anything else logs a warning and uses the default.\n"
	"  app_filter      POSIX extended regular expression for application names.\n"
	"                  No commas (use [,]); at most 256 characters; no\n"
	"                  back-references, nested repetitions or counts above 32.\n"
	"                  A refused pattern offers the call to nobody (FAILED).\n"
	"  args            Colon-separated arguments for the winner's StasisStart.\n"
	"  notify_claimed  Boolean; if true every recipient gets CallClaimed when the\n"
	"                  call is claimed (default no).\n"
	"\n"
	"If nobody can be offered the call it returns at once with TIMEOUT. If the caller\n"
	"hangs up while waiting it returns at once, and no claim can win afterwards.\n"
	"\n"
	"Sets these channel variables:\n"
	"  STASISSTATUS                SUCCESS  claimed, the Stasis session ended normally\n"
	"                              FAILED   claimed but the Stasis session failed, or\n"
	"                                       the broadcast could not be made\n"
	"                              TIMEOUT  nobody claimed the call\n"
	"  STASISBROADCAST_WINNER      the winning application, empty if none\n"
	"  STASISBROADCAST_RECIPIENTS  how many applications were sent CallBroadcast\n";

/*!
 * \brief Set STASISBROADCAST_WINNER and STASISSTATUS, once each.
 *
 * Every variable set publishes a VarSet, so each path sets each variable once.
 */
static void set_outcome(struct ast_channel *chan, const char *winner, const char *status)
{
	pbx_builtin_setvar_helper(chan, "STASISBROADCAST_WINNER", S_OR(winner, ""));
	if (status) {
		pbx_builtin_setvar_helper(chan, "STASISSTATUS", status);
	}
}

/*!
 * \brief Hand the claimed channel to \a winner, as Stasis() would.
 *
 * Nothing is published between the claim and StasisStart: the winner and
 * recipient variables are set when the Stasis session is over.
 */
static int enter_winner(struct ast_channel *chan, const char *channel_id, const char *winner,
	struct broadcast_arguments *args, const char **status)
{
	int res, recipients;
	char count[16];

	ast_verb(3, "%s: claimed by ARI application '%s'\n", ast_channel_name(chan), winner);
	res = stasis_app_exec(chan, winner, AST_VECTOR_SIZE(&args->args), args->args.elems);
	if (res) {
		ast_log(LOG_WARNING, "%s: Stasis session in '%s' failed\n",
			ast_channel_name(chan), winner);
	}

	recipients = stasis_app_broadcast_recipients(channel_id);
	if (recipients >= 0) {
		snprintf(count, sizeof(count), "%d", recipients);
		pbx_builtin_setvar_helper(chan, "STASISBROADCAST_RECIPIENTS", count);
	}
	*status = res ? "FAILED" : "SUCCESS";
	set_outcome(chan, winner, *status);
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
			set_outcome(chan, NULL, NULL);
			return -1;
		}
		ast_verb(3, "%s: nobody claimed the call\n", ast_channel_name(chan));
		*status = "TIMEOUT";
		set_outcome(chan, NULL, *status);
		return 0;
	}

	winner = stasis_app_broadcast_winner(channel_id);
	if (!winner) {
		*status = "FAILED";
		set_outcome(chan, NULL, *status);
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
		pbx_builtin_setvar_helper(chan, "STASISBROADCAST_RECIPIENTS", "0");
		set_outcome(chan, NULL, "FAILED");
		return 0;
	}

	ast_channel_lock(chan);
	ast_copy_string(channel_id, ast_channel_uniqueid(chan), sizeof(channel_id));
	ast_channel_unlock(chan);

	flags = args.notify_claimed ? 0 : STASIS_BROADCAST_FLAG_SUPPRESS_CLAIMED;
	if (stasis_app_broadcast_channel(chan, args.timeout_ms, args.app_filter, flags)) {
		ast_log(LOG_WARNING, "%s: StasisBroadcast could not offer the call%s%s\n",
			ast_channel_name(chan), args.app_filter ? " with app_filter " : "",
			S_OR(args.app_filter, ""));
		status = "FAILED";
		set_outcome(chan, NULL, status);
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

static int load_module(void)
{
	return ast_register_application(app, broadcast_exec, synopsis, description)
		? AST_MODULE_LOAD_DECLINE : AST_MODULE_LOAD_SUCCESS;
}

AST_MODULE_INFO(ASTERISK_GPL_KEY, AST_MODFLAG_LOAD_ORDER,
	"StasisBroadcast strict: dialplan application",
	.support_level = AST_MODULE_SUPPORT_EXTENDED,
	.load = load_module,
	.unload = unload_module,
	.load_pri = AST_MODPRI_DEFAULT,
	.requires = "res_stasis,res_stasis_broadcast",
);
