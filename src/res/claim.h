/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief claim.c: a broadcast's fields, every change of its state, and who
 *        may claim it.
 *
 * A broadcast leaves BROADCAST_OPEN once, for good: claimed, timed out, hung
 * up, nobody to offer it to, or ended (replaced, cleaned up). All of it is
 * decided in claim.c, whichever thread asks; the other files call the
 * functions below.
 */

#ifndef STASIS_BROADCAST_CLAIM_H
#define STASIS_BROADCAST_CLAIM_H

#include "asterisk/channel.h"
#include "asterisk/json.h"
#include "asterisk/vector.h"

#include "broadcast.h"

/* --- a broadcast and what never changes in it ------------------------------ */

/*!
 * \brief Create an open broadcast of \a chan offering it to \a names (in that
 *        order), not yet registered.
 * \param flags STASIS_BROADCAST_FLAG_* given by the caller
 * \return a new broadcast (the caller owns the reference), NULL without memory
 */
struct broadcast *broadcast_alloc(struct ast_channel *chan, unsigned int flags,
	const struct ast_vector_const_string *names);

/*! \brief The channel's unique id: the registry key and the claim's channelId. */
const char *broadcast_channel_id(const struct broadcast *b);

/*! \brief The channel's name at broadcast time, for log lines and operators. */
const char *broadcast_channel_name(const struct broadcast *b);

/*! \brief When the broadcast began (the CallBroadcast timestamp). */
struct timeval broadcast_started(const struct broadcast *b);

/*! \brief Whether the recipients are to be sent CallClaimed once it is claimed. */
int broadcast_notifies_claimed(const struct broadcast *b);

/*! \brief How many applications the call is offered to (recipients or not yet). */
size_t broadcast_candidate_count(const struct broadcast *b);

/*! \brief The name of candidate \a i (immutable while \a b lives). */
const char *broadcast_candidate_name(const struct broadcast *b, size_t i);

/* --- a broadcast's life: registered, replaced, closed ---------------------- */

/*!
 * \brief Make \a b its channel's broadcast; an older one on the same channel
 *        ends (BROADCAST_ENDED), so no claim can land on it afterwards.
 */
int broadcast_register(struct broadcast *b);

/*!
 * \brief Unregister the channel's broadcast (if \a b is given, only that
 *        one), ending it if still open.
 * \return the broadcast unregistered (caller owns the reference), or NULL
 */
struct broadcast *broadcast_unregister(const char *channel_id, struct broadcast *b);

/*!
 * \brief Move an open broadcast to a final \a state from outside the race
 *        (a timeout, a hangup, an event that cannot be built, ...).
 * \return the state the broadcast is in afterwards: \a state if it was open,
 *         otherwise whatever beat us to it (usually BROADCAST_CLAIMED).
 */
enum broadcast_state broadcast_close(struct broadcast *b, enum broadcast_state state);

/* --- the offer, as dispatch.c and offer.c make it ---------------------------- */

/*!
 * \brief The sends begin. With no candidate at all the broadcast ends at once
 *        (BROADCAST_NO_RECIPIENTS).
 */
void broadcast_offer_began(struct broadcast *b);

/*!
 * \brief No send will be made: the event could not be built. The broadcast
 *        ends (BROADCAST_NO_RECIPIENTS), with no recipient.
 */
void broadcast_offer_failed(struct broadcast *b);

/*!
 * \brief Candidate \a i's CallBroadcast hand-over returned; \a live: a live
 *        connection took it and let it through its event filter, so it is a
 *        recipient. The last one back with no recipient at all ends the
 *        broadcast (BROADCAST_NO_RECIPIENTS).
 * \return the CallClaimed this recipient is owed now (a copy of its own, the
 *         caller sends and drops it), or NULL
 */
struct ast_json *broadcast_send_returned(struct broadcast *b, size_t i, int live);

/*!
 * \brief The broadcast was claimed and \a event (CallClaimed) is owed to every
 *        recipient, each after its own CallBroadcast.
 *
 * Keeps a reference to \a event for the sends still out (broadcast_send_returned()
 * hands it to them) and appends to \a now the recipients whose CallBroadcast
 * is out already, to be sent it at once. The names are borrowed from \a b.
 */
int broadcast_claimed_owed(struct broadcast *b, struct ast_json *event,
	struct ast_vector_const_string *now);

/* --- the race ------------------------------------------------------------------ */

/*!
 * \brief Try to claim the channel's broadcast for \a app.
 *
 * If \a app's own CallBroadcast has not come back from ARI yet, waits for it
 * (within ARI's WebSocket write timeout), so that only an application a live
 * connection took the event for can win, and its CallBroadcast is out before
 * StasisStart.
 * \param[out] latency_us from the start of the broadcast to a winning claim
 *             (0 for any other result)
 */
enum claim_result broadcast_claim(const char *channel_id, const char *app, int64_t *latency_us);

/*!
 * \brief Wait on the dialplan thread of \a chan until a claim, the timeout
 *        or hangup ends broadcast \a b.
 * \retval 0 claimed
 * \retval -1 timeout, hangup, or nobody to claim
 */
int broadcast_wait(struct broadcast *b, struct ast_channel *chan, int timeout_ms);

/* --- what the dialplan and operators are told ------------------------------- */

/*!
 * \brief The number for STASISBROADCAST_RECIPIENTS, the AMI events and the
 *        CLI: the one definition of "recipients".
 *
 * Counts the candidates whose CallBroadcast a live connection took, and any
 * whose send is still out (a slow WebSocket: the event is on its way). The
 * end of the broadcast fixes the number. Never waits.
 */
int broadcast_recipients(struct broadcast *b);

/*! \brief The winning application (the caller ast_free()s it), NULL if none. */
char *broadcast_winner(struct broadcast *b);

/*!
 * \brief Record the STASISSTATUS the dialplan application ended with.
 * \retval 1 the broadcast was claimed and the Stasis session failed
 */
int broadcast_report(struct broadcast *b, const char *status);

/*! \brief A consistent picture of a broadcast, for operators. */
struct broadcast_view {
	enum broadcast_state state;
	/*! broadcast_recipients() */
	int recipients;
	/*! The winning application, "" if none (truncated for display) */
	char winner[256];
	/*! When the winning claim was accepted (zero if none) */
	struct timeval claimed_at;
	/*! From the start of the broadcast to the winning claim, 0 if none */
	int64_t latency_us;
	/*! Milliseconds since the broadcast began */
	int64_t age_ms;
	/*! STASISSTATUS as the dialplan application reported it, "" if not yet */
	char final_status[16];
};

/*! \brief Fill \a view with \a b as it is now. */
void broadcast_view(struct broadcast *b, struct broadcast_view *view);

/*! \brief Text for a state, as shown to operators. */
const char *broadcast_state_name(enum broadcast_state state);

#endif /* STASIS_BROADCAST_CLAIM_H */
