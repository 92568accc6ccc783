/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief broadcasts.c: the claim API's answers, and our resource in ARI's
 *        handler tree, /ari/broadcasts.
 */

#ifndef STASIS_BROADCAST_BROADCASTS_H
#define STASIS_BROADCAST_BROADCASTS_H

#include "asterisk/ari.h"
#include "asterisk/json.h"

/*! \brief Add /ari/broadcasts to ARI's handler tree (every release). */
int broadcasts_resource_load(void);

/*! \brief Take it out; waits for requests in its callbacks to finish. */
void broadcasts_resource_unload(void);

/*!
 * \brief Answer POST /ari/events/claim where we serve it (releases without
 *        Asterisk's own): channelId and application read as ARI's generated
 *        routes read parameters, then the same answers as every claim.
 *
 * \param params query string and form fields (merged as ARI merges them)
 * \param body the JSON body, or JSON null
 */
void broadcasts_answer_events_claim(struct ast_variable *params, struct ast_json *body,
	struct ast_ari_response *response);

#endif /* STASIS_BROADCAST_BROADCASTS_H */
