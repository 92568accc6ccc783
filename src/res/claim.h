/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief claim.c: every change of a broadcast's state, and who may claim it.
 *
 * A broadcast leaves BROADCAST_OPEN once, for good: claimed, timed out, hung
 * up, nobody to offer it to, or ended (replaced, cleaned up). All of it is
 * decided in claim.c, whichever thread asks.
 */

#ifndef STASIS_BROADCAST_CLAIM_H
#define STASIS_BROADCAST_CLAIM_H

#include "asterisk/channel.h"
#include "asterisk/json.h"

#include "broadcast.h"

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

/* The offer, as dispatch.c and offer.c make it */

/*!
 * \brief The offer begins: \a event (whose reference this takes) is what
 *        every recipient is sent. With no recipient at all the broadcast ends
 *        at once (BROADCAST_NO_RECIPIENTS).
 */
void broadcast_offer_began(struct broadcast *b, struct ast_json *event);

/*!
 * \brief Recipient \a i is about to be sent its CallBroadcast: a claim by it
 *        from now on waits for the send to return, and is decided then.
 */
void broadcast_send_begins(struct broadcast *b, size_t i);

/*!
 * \brief Recipient \a i's CallBroadcast hand-over returned; \a live: a live
 *        connection took it. The last one back with nobody live ends the
 *        broadcast (BROADCAST_NO_RECIPIENTS).
 * \return the CallClaimed this recipient is owed now (a copy of its own, the
 *         caller sends and drops it), or NULL
 */
struct ast_json *broadcast_send_returned(struct broadcast *b, size_t i, int live);

/*! \brief Whether recipient \a i may claim now (offered, and a live connection took it). */
int broadcast_offered(struct broadcast *b, size_t i);

/* The race */

/*!
 * \brief Try to claim the channel's broadcast for \a app.
 *
 * If \a app's own CallBroadcast send is still out, waits for it to return
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

/*!
 * \brief The number for STASISBROADCAST_RECIPIENTS, the AMI events and the
 *        CLI: the one definition of "recipients".
 *
 * Counts the recipients sent CallBroadcast: the live ones, and any whose send
 * is still in progress (a slow WebSocket: the event was handed over). Never
 * waits.
 */
int broadcast_recipients(struct broadcast *b);

/*! \brief Text for a state, as shown to operators. */
const char *broadcast_state_name(enum broadcast_state state);

#endif /* STASIS_BROADCAST_CLAIM_H */
