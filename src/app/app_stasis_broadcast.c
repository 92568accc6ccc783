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
 * The application uses the C API of <asterisk/stasis_app_broadcast.h>, so it
 * works with any module that provides it, and what our resource module adds
 * (stasis_broadcast_app.h) where it is there: the options, the handoff to a
 * winner that may be lost on the way, and the offers after it. Its contract
 * with the dialplan is that it always says what happened: STASISSTATUS,
 * STASISBROADCAST_WINNER, STASISBROADCAST_RECIPIENTS, STASISBROADCAST_OFFERS,
 * STASISBROADCAST_DECLINED and STASISBROADCAST_REASON are set on every path
 * that returns to the dialplan (STASISBROADCAST_SCORE too in best mode), and
 * the broadcast is cleaned up on every path, hangup included. It is the one
 * owner of that contract: the resource module sets no variable and logs no
 * refused filter.
 *
 * The call's life, on this thread:
 *
 *   offer -> wait -> claimed? -> into the winner's Stasis -> back
 *              |                  |                          |
 *              |                  +- winner lost before ------+- winner lost within the
 *              |                     its StasisStart            guard: the call came back
 *              |                                  |
 *              |          offer again to who is left, for what is left of
 *              |          the timeout (nobody left: the dialplan goes on)
 *              +- timeout, nobody left, hangup: the dialplan goes on
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
#include "stasis_broadcast_app.h"

/*** DOCUMENTATION
	docs/xml/app_stasis_broadcast-en_US.xml, installed with the module into
	Asterisk's third-party documentation.
 ***/

static const char app[] = "StasisBroadcast";

/* The same text, for where Asterisk cannot show the XML (see load_module()). */
#include "app_doc.h"

/*! \brief What to tell the dialplan, gathered on the way. */
struct call_outcome {
	/*! STASISSTATUS; NULL when the caller hung up (left unset, as Stasis() does) */
	const char *status;
	/*! The application that had the call, or NULL */
	char *winner;
	/*! STASISBROADCAST_REASON where this application decides it (FAILED,
	 *  HANGUP); NULL: the resource module's */
	const char *reason;
};

/*! \brief Set a channel variable to a number. */
static void set_number(struct ast_channel *chan, const char *name, long value)
{
	char text[24];

	snprintf(text, sizeof(text), "%ld", value);
	pbx_builtin_setvar_helper(chan, name, text);
}

/*!
 * \brief Tell the dialplan how it went: the one place the channel variables
 *        are set, once on every path (each set publishes a VarSet).
 *
 * The counts come from the resource module, which knows them while the
 * broadcast is registered; with one that does not say (the stock module),
 * only STASISSTATUS and STASISBROADCAST_WINNER are set, or with nothing
 * offered at all, zero recipients.
 */
static void publish(struct ast_channel *chan, const char *channel_id,
	const struct call_outcome *outcome)
{
	struct stasis_broadcast_outcome counts;

	if (channel_id && !stasis_broadcast_outcome(channel_id, &counts)) {
		set_number(chan, "STASISBROADCAST_RECIPIENTS", counts.recipients);
		set_number(chan, "STASISBROADCAST_OFFERS", counts.offers);
		set_number(chan, "STASISBROADCAST_DECLINED", counts.declined);
		if (counts.scored) {
			set_number(chan, "STASISBROADCAST_SCORE", counts.score);
		}
		pbx_builtin_setvar_helper(chan, "STASISBROADCAST_REASON", S_OR(outcome->reason,
			counts.reason));
	} else if (!channel_id) {
		set_number(chan, "STASISBROADCAST_RECIPIENTS", 0);
		pbx_builtin_setvar_helper(chan, "STASISBROADCAST_REASON", outcome->reason);
	}
	pbx_builtin_setvar_helper(chan, "STASISBROADCAST_WINNER", S_OR(outcome->winner, ""));
	if (outcome->status) {
		pbx_builtin_setvar_helper(chan, "STASISSTATUS", outcome->status);
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
 * set when the call is done.
 * \retval 1 the call came back: the winner was lost on the way
 * \retval 0 the winner had it; \a outcome says how the session went
 */
static int hand_over(struct ast_channel *chan, const char *channel_id,
	struct broadcast_arguments *args, struct call_outcome *outcome)
{
	int res;

	if (stasis_broadcast_handoff_begin(channel_id)) {
		return 1;
	}
	ast_verb(3, "%s: claimed by ARI application '%s'\n", ast_channel_name(chan), outcome->winner);
	res = stasis_app_exec(chan, outcome->winner, AST_VECTOR_SIZE(&args->args), args->args.elems);
	if (stasis_broadcast_handoff_end(channel_id, res)) {
		return 1;
	}
	if (res) {
		ast_log(LOG_WARNING, "%s: Stasis session in '%s' failed\n",
			ast_channel_name(chan), outcome->winner);
	}
	outcome->status = res ? "FAILED" : "SUCCESS";
	return 0;
}

/*!
 * \brief How long an offer after a lost winner lasts: what is left of the
 *        timeout, counting only the time the call was on offer, and never
 *        less than REOFFER_MIN_MS (or the timeout, if shorter), so that the
 *        recipients' claims have time to arrive.
 */
#define REOFFER_MIN_MS 500

static int reoffer_timeout(int timeout_ms, int64_t offered_ms)
{
	return MAX(timeout_ms - offered_ms, MIN(timeout_ms, REOFFER_MIN_MS));
}

/*!
 * \brief Wait for a claim, hand the call over, and offer it again as long
 *        as its winner is lost on the way; the broadcast is registered on
 *        entry.
 * \retval -1 the caller hung up
 */
static int broadcast_and_wait(struct ast_channel *chan, const char *channel_id,
	struct broadcast_arguments *args, struct call_outcome *outcome)
{
	int64_t offered_ms = 0;
	int wait_ms = args->timeout_ms;

	for (;;) {
		struct timeval began = ast_tvnow();
		int claimed = !stasis_app_broadcast_wait(chan, wait_ms);

		offered_ms += ast_tvdiff_ms(ast_tvnow(), began);
		if (!claimed) {
			if (ast_check_hangup_locked(chan)) {
				ast_debug(1, "%s: caller hung up during the broadcast\n", ast_channel_name(chan));
				outcome->reason = "HANGUP";
				return -1;
			}
			ast_verb(3, "%s: nobody claimed the call\n", ast_channel_name(chan));
			outcome->status = "TIMEOUT";
			return 0;
		}
		ast_free(outcome->winner);
		outcome->winner = stasis_app_broadcast_winner(channel_id);
		if (!outcome->winner) {
			outcome->status = "FAILED";
			outcome->reason = "FAILED";
			return 0;
		}
		if (!hand_over(chan, channel_id, args, outcome)) {
			/* Like Stasis(): a failed session is reported, not a reason to
			 * hang up, unless the caller did. */
			return !strcmp(outcome->status, "FAILED") && ast_check_hangup_locked(chan) ? -1 : 0;
		}
		/* The call came back from a winner that was lost. */
		ast_free(outcome->winner);
		outcome->winner = NULL;
		if (ast_check_hangup_locked(chan)) {
			outcome->reason = "HANGUP";
			return -1;
		}
		wait_ms = reoffer_timeout(args->timeout_ms, offered_ms);
		if (stasis_broadcast_reoffer(chan, wait_ms)) {
			ast_verb(3, "%s: its winner was lost and nobody is left to offer the call to\n",
				ast_channel_name(chan));
			outcome->status = "TIMEOUT";
			return 0;
		}
		ast_verb(3, "%s: offered again for %d ms\n", ast_channel_name(chan), wait_ms);
	}
}

/*! \brief The broadcast with our options, or the host API's where ours is not there. */
static int offer(struct ast_channel *chan, struct broadcast_arguments *args, unsigned int flags)
{
	int res = stasis_broadcast_offer(chan, args->timeout_ms, args->app_filter, flags,
		&args->options);

	if (res == AST_OPTIONAL_API_UNAVAILABLE) {
		res = stasis_app_broadcast_channel(chan, args->timeout_ms, args->app_filter, flags);
	}
	return res;
}

static int broadcast_exec(struct ast_channel *chan, const char *data)
{
	struct broadcast_arguments args;
	struct call_outcome outcome = { NULL, };
	char channel_id[AST_MAX_UNIQUEID];
	unsigned int flags;
	int res = 0;

	if (broadcast_arguments_parse(data, ast_channel_name(chan), &args)) {
		outcome.status = outcome.reason = "FAILED";
		publish(chan, NULL, &outcome);
		return 0;
	}

	ast_channel_lock(chan);
	ast_copy_string(channel_id, ast_channel_uniqueid(chan), sizeof(channel_id));
	ast_channel_unlock(chan);

	flags = args.notify_claimed ? 0 : STASIS_BROADCAST_FLAG_SUPPRESS_CLAIMED;
	if (offer(chan, &args, flags)) {
		explain_refusal(chan, args.app_filter);
		outcome.status = outcome.reason = "FAILED";
		publish(chan, NULL, &outcome);
	} else {
		res = broadcast_and_wait(chan, channel_id, &args, &outcome);
		publish(chan, channel_id, &outcome);
	}

	/* Tell the resource module how it ended (AMI, statistics): STASISSTATUS,
	 * or HANGUP when the caller hung up before one was set. */
	stasis_app_broadcast_report(channel_id, S_OR(outcome.status, "HANGUP"));
	stasis_app_broadcast_cleanup(channel_id);
	broadcast_arguments_free(&args);
	ast_free(outcome.winner);
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
