/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief offer.c: who is offered a call, and the events they receive.
 */

#ifndef STASIS_BROADCAST_OFFER_H
#define STASIS_BROADCAST_OFFER_H

#include <regex.h>

#include "asterisk/astobj2.h"
#include "asterisk/channel.h"
#include "asterisk/json.h"
#include "asterisk/vector.h"

#include "broadcast.h"

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

/*! \brief Put \a names in a fresh random order (every order equally likely). */
void offer_shuffle(struct ast_vector_const_string *names);

/*!
 * \brief The CallBroadcast event of \a b (a new reference), NULL without memory:
 *        the channel, caller and called, which offer of the call it is, and
 *        whether the first claim or the best one wins (mode, window_ms).
 * \param chan the channel, for its snapshot when Stasis has none yet
 */
struct ast_json *offer_call_broadcast(struct broadcast *b, struct ast_channel *chan);

/*!
 * \brief The CallClaimed event of \a b, claimed by \a winner at \a claimed_at
 *        (a new reference), NULL without memory; in best mode with the
 *        winning \a score.
 */
struct ast_json *offer_call_claimed(struct broadcast *b, struct ast_channel *chan,
	const char *winner, struct timeval claimed_at, long score);

/*!
 * \brief Hand \a event to application \a app.
 *
 * \a event is this thread's own: the message ARI is given is a top-level copy
 * of it, which ARI stamps with the application's name.
 *
 * \retval 1 the application saw it: a live ARI connection took it, and the
 *         application's event filter let it through
 * \retval 0 it did not (inactive application, filtered out, or no memory)
 */
int offer_send(struct ast_json *event, const char *app);

/*!
 * \brief Send CallBroadcast to recipient \a i of \a b and record the outcome
 *        (claim.c), then any CallClaimed it is owed.
 *
 * Every recipient is sent its CallBroadcast, also one whose send comes up
 * after the broadcast ended (queued behind a slow send): each connected
 * application sees every call, as the product promises. The count of
 * recipients was fixed at the end and does not change with such a late send.
 *
 * \param event this thread's copy of the event; NULL counts as not delivered
 */
void offer_deliver(struct broadcast *b, struct ast_json *event, size_t i);

/*!
 * \brief Send CallClaimed to every recipient of a claimed broadcast, each
 *        after its own CallBroadcast.
 */
void broadcast_notify_claimed(struct broadcast *b, struct ast_channel *chan);

#endif /* STASIS_BROADCAST_OFFER_H */
