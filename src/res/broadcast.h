/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief The broadcast: one offer of one channel to many ARI applications.
 *
 * A broadcast lives from stasis_app_broadcast_channel() until
 * stasis_app_broadcast_cleanup() (or until it is replaced by a new broadcast
 * on the same channel). Everything the claim race needs to decide sits in this
 * one object and is guarded by this one object's ao2 lock.
 *
 * References
 * - The registry container owns one reference while the broadcast is linked.
 * - Every lookup (claim, wait, winner, cleanup, CLI) returns a reference the
 *   caller owns and drops with ao2_cleanup().
 * - The broadcast holds no channel reference except \c waiter, which the
 *   dialplan thread sets for exactly the span of broadcast_wait(), so the
 *   broadcast can never keep a channel alive after the dialplan is done.
 *
 * Locking (the broadcast's ao2 lock)
 * - Immutable after broadcast_alloc(): channel_id, channel_name, started,
 *   flags, alert pipe, the recipients' names; \c event once dispatch began;
 *   \c claimed_event once set (under the lock).
 * - Atomic: next_send (which recipient the next sender takes), and each
 *   recipient's \c offered: it is set just before the recipient's send,
 *   outside the lock (claim.c says why), so every access to it is atomic,
 *   also those made with the lock held.
 * - Guarded: state, winner, claimed_at, waiter, offered_count, sends_pending,
 *   final_recipients, final_status, each recipient's \c sent and \c notify.
 * - \c send_returned is waited on with the ao2 lock (a claim waiting for its
 *   claimant's send) and signalled under it whenever a send returns.
 * - Lock order: broadcast lock, then channel lock. Never take the broadcast
 *   lock while holding a channel lock, and never call out to stasis, ARI or
 *   the JSON encoder with the broadcast lock held.
 *
 * The race (claim vs timeout vs hangup vs cleanup) is decided in one place:
 * whoever first moves \c state away from BROADCAST_OPEN under the lock wins,
 * and every such move is made in claim.c, top to bottom.
 *
 * Which file does what with it:
 *  - registry.h  finding a broadcast by channel, and its lifetime
 *  - claim.h     every change of its state, and who may claim it
 *  - offer.h     who is offered the call, and the events they get
 *  - dispatch.h  sending those events
 *
 * The end also fixes how many recipients there were: the sends that found a
 * live connection, and those not back yet (every recipient is sent its
 * CallBroadcast, however late). So STASISBROADCAST_RECIPIENTS, the AMI events
 * and the CLI all report the same number, whenever a slow send returns.
 */

#ifndef STASIS_BROADCAST_BROADCAST_H
#define STASIS_BROADCAST_BROADCAST_H

#include "asterisk/astobj2.h"
#include "asterisk/channel.h"
#include "asterisk/json.h"
#include "asterisk/lock.h"
#include "asterisk/vector.h"

#include <regex.h>

/*! \brief Where a broadcast is in its life. Only OPEN can be claimed. */
enum broadcast_state {
	BROADCAST_OPEN,           /*!< offered; waiting for a claim */
	BROADCAST_CLAIMED,        /*!< a claim won; the channel goes to the winner */
	BROADCAST_TIMED_OUT,      /*!< the timeout passed with no claim */
	BROADCAST_HUNG_UP,        /*!< the caller hung up before any claim */
	BROADCAST_NO_RECIPIENTS,  /*!< nobody was offered the call */
	BROADCAST_ENDED,          /*!< cleaned up or replaced while still open */
};

/*! \brief One application the channel is offered to. */
struct broadcast_recipient {
	/*! Application name (immutable; points into the broadcast's allocation) */
	const char *name;
	/*!
	 * Set just before its CallBroadcast is handed to ARI; once \c sent,
	 * whether a live connection took it. It may claim when both are set.
	 * Atomic: read and written only with __atomic builtins (claim.c).
	 */
	int offered;
	/*! Non-zero once the hand-over to ARI has returned (written or dropped) */
	int sent;
	/*! CallClaimed is owed, to be sent right after this CallBroadcast */
	int notify;
};

struct broadcast {
	/*! Channel unique id: the registry key and the claim's channelId */
	char channel_id[AST_MAX_UNIQUEID];
	/*! Channel name at broadcast time, for log lines and the CLI */
	char channel_name[AST_CHANNEL_NAME];
	/*! When the broadcast began (the CallBroadcast timestamp) */
	struct timeval started;
	/*! STASIS_BROADCAST_FLAG_* given by the caller */
	unsigned int flags;
	/*! Wakes the dialplan thread in broadcast_wait() when a claim lands */
	int alert_pipe[2];
	/*! Signalled when a recipient's send returns: a claim may be waiting */
	ast_cond_t send_returned;

	/* Guarded by the ao2 lock */
	enum broadcast_state state;
	/*! Winning application (ast_malloc'd), NULL until claimed */
	char *winner;
	/*! When the winning claim was accepted */
	struct timeval claimed_at;
	/*! The channel, referenced only while the dialplan thread is waiting */
	struct ast_channel *waiter;
	/*! How many completed sends found a live connection (decides
	 *  BROADCAST_NO_RECIPIENTS; operators see broadcast_recipients()) */
	int offered_count;
	/*! Recipients whose CallBroadcast hand-over has not returned yet */
	int sends_pending;
	/*! The recipients when the broadcast ended (see broadcast_end_locked()) */
	int final_recipients;
	/*! Index of the next recipient a sender takes (atomic) */
	unsigned int next_send;
	/*! The CallBroadcast event every recipient's copy is made from */
	struct ast_json *event;
	/*! The CallClaimed event, once notify_claimed sent it (immutable then) */
	struct ast_json *claimed_event;
	/*! STASISSTATUS as the dialplan application reported it, "" if it did not */
	char final_status[16];
	/*! Applications offered the call, in dispatch (random) order */
	AST_VECTOR(, struct broadcast_recipient) recipients;
};

/*! \brief Claim results, as the C API returns them. */
enum claim_result {
	CLAIM_WON = 0,
	CLAIM_NOT_FOUND = -1,
	CLAIM_CONFLICT = -2,
};

#endif /* STASIS_BROADCAST_BROADCAST_H */
