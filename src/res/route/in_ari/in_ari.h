/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Inside ARI's request handling (see ../route.h): our documents from
 *        20.14, 22.4 and 23.0 on, and the claim on 20.14-20.19, 22.4-22.9
 *        and 23.0-23.3.
 *
 *  - events.c  our "events" resource in ARI's handler tree: WebSocket, user
 *              events and the claim; follows res_ari_events
 *  - docs.c    GET /ari/api-docs/..., through ARI; follows ARI being
 *              enabled; the module's view of both
 */

#ifndef STASIS_BROADCAST_IN_ARI_H
#define STASIS_BROADCAST_IN_ARI_H

#include "../route.h"

/*! \brief Add our events resource to ARI's handler tree. */
int claim_events_load(void);
/*! \brief Take it out; waits for requests in its callbacks to finish. */
void claim_events_unload(void);

#endif /* STASIS_BROADCAST_IN_ARI_H */
