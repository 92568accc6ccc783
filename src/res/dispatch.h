/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief dispatch.c: sharing out the sends of CallBroadcast among threads.
 */

#ifndef STASIS_BROADCAST_DISPATCH_H
#define STASIS_BROADCAST_DISPATCH_H

#include "asterisk/channel.h"

#include "broadcast.h"

/*!
 * \brief Start sending CallBroadcast to every recipient of \a b.
 *
 * Returns once every send has been started; sends still in progress (a
 * stalled WebSocket) finish on their own. When the last send returns with
 * nobody live, the broadcast closes as BROADCAST_NO_RECIPIENTS (claim.c).
 *
 * \retval 0 started (or finished)
 * \retval -1 the event could not be built; nobody was offered the call
 */
int broadcast_dispatch(struct broadcast *b, struct ast_channel *chan);

int dispatch_start(void);
void dispatch_stop(void);

#endif /* STASIS_BROADCAST_DISPATCH_H */
