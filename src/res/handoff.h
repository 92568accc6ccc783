/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief handoff.c: learning that an application's connection is gone, and
 *        making a lost winner let the channel go.
 */

#ifndef STASIS_BROADCAST_HANDOFF_H
#define STASIS_BROADCAST_HANDOFF_H

/*! \brief Start learning of lost connections (on releases that tell). */
int handoff_start(void);

/*! \brief Stop; returns once nothing of ours runs for it any more. */
void handoff_stop(void);

#endif /* STASIS_BROADCAST_HANDOFF_H */
