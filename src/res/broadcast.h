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
 * on the same channel). Its fields are claim.c's alone: every other file sees
 * an opaque struct broadcast and goes through the functions of claim.h, named
 * after what they do in the product (a recipient's send returned, a claim, a
 * view for operators...). So one file writes a broadcast, under one lock.
 *
 * References
 * - The registry container (registry.c) owns one reference while the
 *   broadcast is linked.
 * - Every lookup (claim, wait, winner, cleanup, CLI) returns a reference the
 *   caller owns and drops with ao2_cleanup().
 * - A send in progress owns a reference (dispatch.c).
 * - The broadcast holds no channel reference except while the dialplan
 *   thread waits in broadcast_wait(), so it never keeps a channel alive
 *   after the dialplan is done.
 *
 * Which file does what with it:
 *  - claim.h     its fields and every change of them (claim.c)
 *  - registry.h  finding a broadcast by channel, and holding it while linked
 *  - offer.h     who is offered the call, and the events they get
 *  - dispatch.h  sending those events
 */

#ifndef STASIS_BROADCAST_BROADCAST_H
#define STASIS_BROADCAST_BROADCAST_H

#include "asterisk/astobj2.h"

/*! \brief One offer of one channel; opaque outside claim.c. */
struct broadcast;

/*! \brief Where a broadcast is in its life. Only OPEN can be claimed. */
enum broadcast_state {
	BROADCAST_OPEN,           /*!< offered; waiting for a claim */
	BROADCAST_CLAIMED,        /*!< a claim won; the channel goes to the winner */
	BROADCAST_TIMED_OUT,      /*!< the timeout passed with no claim */
	BROADCAST_HUNG_UP,        /*!< the caller hung up before any claim */
	BROADCAST_NO_RECIPIENTS,  /*!< nobody was offered the call */
	BROADCAST_NOBODY_LEFT,    /*!< every recipient declined or lost its connection */
	BROADCAST_ENDED,          /*!< cleaned up or replaced while still open */
};

/*! \brief Claim results, as the C API returns them. */
enum claim_result {
	CLAIM_WON = 0,
	CLAIM_NOT_FOUND = -1,
	CLAIM_CONFLICT = -2,
};

#endif /* STASIS_BROADCAST_BROADCAST_H */
