/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief broadcasts.c: our resource in ARI's handler tree, /ari/broadcasts.
 */

#ifndef STASIS_BROADCAST_BROADCASTS_H
#define STASIS_BROADCAST_BROADCASTS_H

/*! \brief Add /ari/broadcasts to ARI's handler tree (every release). */
int broadcasts_resource_load(void);

/*! \brief Take it out; waits for requests in its callbacks to finish. */
void broadcasts_resource_unload(void);

#endif /* STASIS_BROADCAST_BROADCASTS_H */
