/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief claim.c: a broadcast's fields, every change of its state, who may
 *        claim or decline it, and the handoff to its winner.
 *
 * A broadcast leaves BROADCAST_OPEN once, for good: claimed, timed out, hung
 * up, nobody to offer it to, nobody left (every recipient declined or lost
 * its connection), or ended (replaced, cleaned up). All of it is decided in
 * claim.c, whichever thread asks; the other files call the functions below.
 */

#ifndef STASIS_BROADCAST_CLAIM_H
#define STASIS_BROADCAST_CLAIM_H

#include "asterisk/channel.h"
#include "asterisk/json.h"
#include "asterisk/vector.h"

#include "stasis_broadcast_app.h"

#include "broadcast.h"

/* --- a broadcast and what never changes in it ------------------------------ */

/*!
 * \brief Create the first, open broadcast of \a chan offering it to \a names
 *        (in that order), not yet registered.
 * \param flags STASIS_BROADCAST_FLAG_* given by the caller
 * \param options the dialplan's options (NULL: the defaults)
 * \return a new broadcast (the caller owns the reference), NULL without memory
 */
struct broadcast *broadcast_alloc(struct ast_channel *chan, unsigned int flags,
	const struct stasis_broadcast_options *options, const struct ast_vector_const_string *names);

/*!
 * \brief The next offer of a call that came back from \a previous's winner:
 *        a new broadcast, not registered, offering it to the recipients of
 *        \a previous that may still take it (connected, not declined, not
 *        the winner), in a fresh random order.
 * \return the new broadcast (the caller owns the reference), NULL when nobody
 *         is left (or without memory)
 */
struct broadcast *broadcast_next_offer(struct broadcast *previous, struct ast_channel *chan);

/*! \brief The channel's unique id: the registry key and the claim's channelId. */
const char *broadcast_channel_id(const struct broadcast *b);

/*! \brief The channel's name at broadcast time, for log lines and operators. */
const char *broadcast_channel_name(const struct broadcast *b);

/*! \brief When this offer began (the CallBroadcast timestamp). */
struct timeval broadcast_started(const struct broadcast *b);

/*! \brief Which offer of the call this is: 1 for the first. */
int broadcast_offer(const struct broadcast *b);

/*! \brief The decision window in milliseconds; 0 when the first claim wins. */
int broadcast_window_ms(const struct broadcast *b);

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
 *        (a timeout, a hangup, ...).
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
 *        recipient. The last one back with nobody left to claim ends the
 *        broadcast.
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
 * StasisStart. In best mode (a decision window), waits until the broadcast
 * is decided, and \a score counts: the highest wins.
 * \param[out] latency_us from the start of the broadcast to a winning claim
 *             (0 for any other result)
 */
enum claim_result broadcast_claim(const char *channel_id, const char *app, long score,
	int64_t *latency_us);

/*!
 * \brief Decline the channel's broadcast for \a app: it will not claim it.
 *
 * Answers as a claim would for anyone who may not claim it (CLAIM_NOT_FOUND)
 * and once it is claimed (CLAIM_CONFLICT); CLAIM_WON means declined (again,
 * for a second decline). Once nobody is left who may claim, the broadcast
 * ends (BROADCAST_NOBODY_LEFT) and the dialplan goes on at once.
 */
enum claim_result broadcast_decline(const char *channel_id, const char *app);

/*!
 * \brief Application \a app lost its connection (ARI unregistered it): it is
 *        no longer a recipient of \a b.
 *
 * An open broadcast with nobody left ends. A winner lost before its
 * StasisStart, or within the guard after it, gives the call back.
 * \retval 1 the winner is in Stasis and must be sent back out of it
 *         (the caller does: handoff.c)
 */
int broadcast_recipient_gone(struct broadcast *b, const char *app);

/*!
 * \brief Wait on the dialplan thread of \a chan until a claim, the timeout,
 *        hangup or nobody left ends broadcast \a b.
 * \retval 0 claimed
 * \retval -1 timeout, hangup, or nobody to claim
 */
int broadcast_wait(struct broadcast *b, struct ast_channel *chan, int timeout_ms);

/* --- the handoff to the winner ------------------------------------------------- */

/*!
 * \brief The channel enters its winner's Stasis now; the guard begins.
 * \retval 0 go ahead
 * \retval -1 the winner is already lost: the call comes back
 */
int broadcast_handoff_begin(struct broadcast *b);

/*!
 * \brief The channel left Stasis (\a exec_result from stasis_app_exec()).
 *        \a refused: Stasis refused it because the winner is no longer a
 *        registered application (a loss we may not have been told of).
 * \retval 1 the call came back: its winner was lost and it either never got
 *         the channel or was made to let it go (broadcast_evicting())
 */
int broadcast_handoff_end(struct broadcast *b, int exec_result, int refused);

/*!
 * \brief Whether the lost winner is to be made to let the channel go now:
 *        it is in Stasis and nobody has done it yet (then it is marked done).
 */
int broadcast_evicting(struct broadcast *b);

/*!
 * \brief Wait up to \a ms for the channel to leave its winner's Stasis.
 * \retval 1 it is still there (or about to enter it)
 */
int broadcast_handoff_wait(struct broadcast *b, int ms);

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

/*! \brief Whether \a app may still claim \a b now (GET /ari/broadcasts?application=). */
int broadcast_may_claim(struct broadcast *b, const char *app);

/*!
 * \brief Record the STASISSTATUS the dialplan application ended with.
 * \retval 1 the broadcast was claimed and the Stasis session failed
 */
int broadcast_report(struct broadcast *b, const char *status);

/*! \brief Fill the channel variables' outcome of \a b (the call's last offer). */
void broadcast_outcome(struct broadcast *b, struct stasis_broadcast_outcome *out);

/*! \brief A consistent picture of a broadcast, for operators. */
struct broadcast_view {
	enum broadcast_state state;
	/*! broadcast_recipients() */
	int recipients;
	/*! Which offer of the call (1 for the first) */
	int offer;
	/*! Recipients that declined, over every offer of the call */
	int declined;
	/*! The decision window (ms), 0 when the first claim wins */
	int window_ms;
	/*! The winning application, "" if none (truncated for display) */
	char winner[256];
	/*! Whether the winner lost its connection and the call came back from it */
	int winner_lost;
	/*! The winning score, in best mode */
	long score;
	/*! When the winning claim was accepted (zero if none) */
	struct timeval claimed_at;
	/*! From the start of the broadcast to the winning claim, 0 if none */
	int64_t latency_us;
	/*! Milliseconds since this offer began */
	int64_t age_ms;
	/*! STASISSTATUS as the dialplan application reported it, "" if not yet */
	char final_status[16];
};

/*! \brief Fill \a view with \a b as it is now. */
void broadcast_view(struct broadcast *b, struct broadcast_view *view);

/*! \brief Text for a state, as shown to operators. */
const char *broadcast_state_name(enum broadcast_state state);

#endif /* STASIS_BROADCAST_CLAIM_H */
