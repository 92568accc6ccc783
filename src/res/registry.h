/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief registry.c: the live broadcasts by channel id.
 *
 * The registry finds broadcasts and holds them while they are linked; it
 * never reads or changes their fields (claim.c does, also when a broadcast is
 * replaced or cleaned up).
 */

#ifndef STASIS_BROADCAST_REGISTRY_H
#define STASIS_BROADCAST_REGISTRY_H

#include "asterisk/astobj2.h"

#include "broadcast.h"

int broadcast_registry_init(void);
void broadcast_registry_cleanup(void);

/*!
 * \brief Link \a b as its channel's broadcast.
 * \param[out] replaced the channel's previous broadcast, unlinked (the caller
 *             owns the reference and ends it), or NULL
 */
int registry_link(struct broadcast *b, struct broadcast **replaced);

/*!
 * \brief Unlink the channel's broadcast (if \a b is given, only that one).
 * \return the broadcast unlinked (caller owns the reference), or NULL
 */
struct broadcast *registry_unlink(const char *channel_id, struct broadcast *b);

/*! \brief Find the broadcast of a channel; the caller owns the returned reference. */
struct broadcast *broadcast_find(const char *channel_id);

/*! \brief How many broadcasts are registered. */
int broadcast_count(void);

/*! \brief Iterate the registered broadcasts (the CLI); ao2_iterator_destroy() it. */
struct ao2_iterator broadcast_iterator(void);

#endif /* STASIS_BROADCAST_REGISTRY_H */
