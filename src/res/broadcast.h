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
 * - Atomic: next_send (which recipient the next sender takes); a recipient's
 *   \c offered is also set to 1 with an atomic store, just before its send.
 * - Guarded: state, winner, claimed_at, waiter, offered_count, sends_pending,
 *   final_recipients, final_status, each recipient's \c offered, \c sent and
 *   \c notify.
 * - Lock order: broadcast lock, then channel lock. Never take the broadcast
 *   lock while holding a channel lock, and never call out to stasis, ARI or
 *   the JSON encoder with the broadcast lock held.
 *
 * The race (claim vs timeout vs hangup vs cleanup) is decided in one place:
 * whoever first moves \c state away from BROADCAST_OPEN under the lock wins,
 * and every such move goes through broadcast_end_locked(). See claim.c.
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
	 * Non-zero while this application may claim: set before its CallBroadcast
	 * is handed to ARI, cleared again if ARI had no live connection for it.
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

/* registry.c: the set of live broadcasts, keyed by channel id */

int broadcast_registry_init(void);
void broadcast_registry_cleanup(void);

/*!
 * \brief Create a broadcast for \a chan offering it to \a names (in that order).
 * \return a new broadcast (caller owns the reference), not yet registered.
 */
struct broadcast *broadcast_alloc(struct ast_channel *chan, unsigned int flags,
	const struct ast_vector_const_string *names);

/*!
 * \brief Make \a b the channel's broadcast; an older one on the same channel ends.
 */
int broadcast_register(struct broadcast *b);

/*! \brief Find the broadcast of a channel; the caller owns the returned reference. */
struct broadcast *broadcast_find(const char *channel_id);

/*!
 * \brief Unregister the channel's broadcast (if \a b is given, only that one),
 *        closing it if still open.
 * \return the broadcast unregistered (caller owns the reference), or NULL
 */
struct broadcast *broadcast_unregister(const char *channel_id, struct broadcast *b);

/*! \brief How many broadcasts are registered. */
int broadcast_count(void);

/*! \brief Iterate the registered broadcasts (the CLI); ao2_iterator_destroy() it. */
struct ao2_iterator broadcast_iterator(void);

/*! \brief Text for a state, as shown to operators. */
const char *broadcast_state_name(enum broadcast_state state);

/*! \brief The recipient named \a app, or NULL. Call with the lock held. */
struct broadcast_recipient *broadcast_recipient_find(struct broadcast *b, const char *app);

/*!
 * \brief Move an open broadcast to a final \a state (timeout, hangup, ...).
 * \return the state the broadcast is in afterwards: \a state if it was open,
 *         otherwise whatever beat us to it (usually BROADCAST_CLAIMED).
 */
enum broadcast_state broadcast_close(struct broadcast *b, enum broadcast_state state);

/*!
 * \brief End an open broadcast in \a state: the one way out of BROADCAST_OPEN.
 *
 * Call with the broadcast locked and its state BROADCAST_OPEN. Fixes the
 * recipients and wakes the waiter.
 */
void broadcast_end_locked(struct broadcast *b, enum broadcast_state state);

/* claim.c: the race */

/*! \brief Claim results, as the C API returns them. */
enum claim_result {
	CLAIM_WON = 0,
	CLAIM_NOT_FOUND = -1,
	CLAIM_CONFLICT = -2,
};

/*! \brief Try to claim the channel's broadcast for \a app. */
enum claim_result broadcast_claim(const char *channel_id, const char *app);

/*!
 * \brief Wait on the dialplan thread of \a chan until a claim, the timeout
 *        or hangup ends broadcast \a b.
 * \retval 0 claimed
 * \retval -1 timeout, hangup, or nobody to claim
 */
int broadcast_wait(struct broadcast *b, struct ast_channel *chan, int timeout_ms);

/* dispatch.c: who is offered the call, and the events they get */

/*!
 * \brief The names of the applications that may be offered a call.
 *
 * Registered applications whose name matches \a filter (NULL: all), in a
 * fresh random order. Liveness is only known once an event is delivered.
 * The names are borrowed from \a apps, which the caller must release after
 * it is done with them (AST_VECTOR_FREE the vector, ao2_cleanup the container).
 */
int broadcast_candidates(const regex_t *filter, struct ast_vector_const_string *names,
	struct ao2_container **apps);

/*!
 * \brief Start sending CallBroadcast to every recipient of \a b.
 *
 * The calling thread sends too, together with the dispatch helpers, and
 * returns when no recipient is left to take: sends still in progress on
 * helpers (a stalled WebSocket) finish on their own. When the last send
 * returns with nobody live, the broadcast closes as BROADCAST_NO_RECIPIENTS.
 *
 * \retval 0 started (or finished)
 * \retval -1 the event could not be built; nobody was offered the call
 */
int broadcast_dispatch(struct broadcast *b, struct ast_channel *chan);

/*!
 * \brief The number for STASISBROADCAST_RECIPIENTS, the AMI events and the
 *        CLI: the one definition of "recipients".
 *
 * Counts the recipients sent CallBroadcast: the live ones, and any whose send
 * is still in progress (a slow WebSocket: the event was handed over). When
 * \a claimed, first waits until the winner's own send has returned, so that
 * StasisStart cannot overtake its CallBroadcast.
 */
int broadcast_recipients(struct broadcast *b, int claimed);

int dispatch_helpers_start(void);
void dispatch_helpers_stop(void);

/*!
 * \brief Send CallClaimed to every recipient of a claimed broadcast, each
 *        after its own CallBroadcast.
 */
void broadcast_notify_claimed(struct broadcast *b, struct ast_channel *chan);

#endif /* STASIS_BROADCAST_BROADCAST_H */
