/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief What our dialplan application and our resource module tell each
 *        other beyond the host's API: options, the handoff to a winner and
 *        the offers after it, how a broadcast ended, and why a filter is
 *        refused.
 *
 * Not part of the host's stasis_app_broadcast.h: an optional API of our own,
 * so app_stasis_broadcast.so still works (as the stock application does,
 * without what follows) next to a res_stasis_broadcast.so that does not
 * provide it. Each stub says what the application then does.
 */

#ifndef STASIS_BROADCAST_APP_H
#define STASIS_BROADCAST_APP_H

#include "asterisk/channel.h"
#include "asterisk/optional_api.h"

/*! \brief The guard when the dialplan gives none: see the guide, "Pools". */
#define STASIS_BROADCAST_DEFAULT_GUARD_MS 500

/*! \brief StasisBroadcast()'s options argument, parsed. */
struct stasis_broadcast_options {
	/*!
	 * Handoff guard (g): a winner that loses its connection within this many
	 * milliseconds after its StasisStart gives the call back, to be offered
	 * again; 0 keeps ARI's semantics after StasisStart. A winner whose
	 * connection is gone before its StasisStart always gives it back.
	 */
	int guard_ms;
	/*! Decision window (w) of scored claims, milliseconds; 0: the first claim wins */
	int window_ms;
};

/*!
 * \brief stasis_app_broadcast_channel() with options.
 * \retval AST_OPTIONAL_API_UNAVAILABLE not provided: the application makes
 *         the broadcast without options
 */
AST_OPTIONAL_API(int, stasis_broadcast_offer,
	(struct ast_channel *chan, int timeout_ms, const char *app_filter, unsigned int flags,
	const struct stasis_broadcast_options *options),
	{ return AST_OPTIONAL_API_UNAVAILABLE; });

/*!
 * \brief The claimed channel is about to enter its winner's Stasis
 *        (stasis_app_exec()); the guard begins.
 * \retval 0 enter
 * \retval -1 the winner's connection is already gone: do not enter, the
 *         call comes back (stasis_broadcast_reoffer())
 */
AST_OPTIONAL_API(int, stasis_broadcast_handoff_begin,
	(const char *channel_id),
	{ return 0; });

/*!
 * \brief The channel left its winner's Stasis; \a exec_result is what
 *        stasis_app_exec() returned.
 * \retval 1 the call came back: the winner lost its connection before its
 *         StasisStart, or within the guard (stasis_broadcast_reoffer())
 * \retval 0 the winner had the call: the session's result stands
 */
AST_OPTIONAL_API(int, stasis_broadcast_handoff_end,
	(const char *channel_id, int exec_result),
	{ return 0; });

/*!
 * \brief Offer a call that came back again, to the recipients of the last
 *        offer that are still connected and did not decline (not to the
 *        winner that was lost), as a new broadcast whose CallBroadcast says
 *        which offer it is. Wait for it with stasis_app_broadcast_wait(),
 *        for \a timeout_ms (given here for the operators' views).
 * \retval 0 offered again
 * \retval -1 nobody is left to offer it to
 */
AST_OPTIONAL_API(int, stasis_broadcast_reoffer,
	(struct ast_channel *chan, int timeout_ms),
	{ return -1; });

/*! \brief How the channel's broadcast went, for the channel variables. */
struct stasis_broadcast_outcome {
	/*! STASISBROADCAST_RECIPIENTS: applications sent the last offer */
	int recipients;
	/*! STASISBROADCAST_OFFERS: offers made (1 unless a winner was lost) */
	int offers;
	/*! STASISBROADCAST_DECLINED: recipients that declined, over every offer */
	int declined;
	/*! Whether the broadcast was decided by score (w) and has a winning score */
	int scored;
	/*! STASISBROADCAST_SCORE, when \c scored */
	long score;
	/*! STASISBROADCAST_REASON as the broadcast's end says it: CLAIMED,
	 *  TIMEOUT, DECLINED, NO_RECIPIENTS, WINNER_LOST (nobody left to offer
	 *  it to again) or HANGUP */
	char reason[16];
};

/*!
 * \brief Fill \a out for the channel's broadcast.
 * \retval -1 no such broadcast, or not provided (the variables are then left
 *         unset, as the stock modules leave them)
 */
AST_OPTIONAL_API(int, stasis_broadcast_outcome,
	(const char *channel_id, struct stasis_broadcast_outcome *out),
	{ return -1; });

/*!
 * \brief Report the final STASISSTATUS of a broadcast, before cleaning it up.
 *
 * \param channel_id the channel's unique id
 * \param status "SUCCESS", "FAILED", "TIMEOUT" or "HANGUP"
 */
AST_OPTIONAL_API(void, stasis_app_broadcast_report,
	(const char *channel_id, const char *status),
	{ return; });

/*!
 * \brief Why stasis_app_broadcast_channel() refuses \a app_filter, if it does.
 *
 * The application tells the operator (the resource module does not): asked
 * only when a broadcast could not be made.
 *
 * \retval 0 the filter is fine (or the resource module does not say)
 * \retval 1 refused; \a why (of \a len bytes) says why
 */
AST_OPTIONAL_API(int, stasis_app_broadcast_refusal,
	(const char *app_filter, char *why, size_t len),
	{ return 0; });

#endif /* STASIS_BROADCAST_APP_H */
