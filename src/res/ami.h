/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief AMI events that let AMI tooling follow a broadcast.
 *
 * All three are raised on the channel's own thread, never on the claim path.
 */

#ifndef STASIS_BROADCAST_AMI_H
#define STASIS_BROADCAST_AMI_H

#include "broadcast.h"

/*! \brief StasisBroadcastBegin: the call was offered. */
void ami_broadcast_begin(struct broadcast *b, const char *app_filter, int timeout_ms);

/*!
 * \brief StasisBroadcastWinnerLost: the winner lost its connection before it
 *        had the call; it is offered again (a StasisBroadcastBegin with the
 *        next Offer) or, nobody left, goes back to the dialplan.
 */
void ami_broadcast_winner_lost(struct broadcast *b);

/*! \brief StasisBroadcastClaimed: a claim won; the channel goes to the winner. */
void ami_broadcast_claimed(struct broadcast *b);

/*! \brief StasisBroadcastEnd: the broadcast is over, with its final status. */
void ami_broadcast_end(struct broadcast *b);

/*! \brief StasisBroadcastEnd for a broadcast that could not even begin. */
void ami_broadcast_refused(struct ast_channel *chan, const char *app_filter);

#endif /* STASIS_BROADCAST_AMI_H */
