/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief answers.c: the claim API's parameters and answers, one way for every
 *        route that takes a claim or a decline.
 */

#ifndef STASIS_BROADCAST_ANSWERS_H
#define STASIS_BROADCAST_ANSWERS_H

#include "asterisk/ari.h"
#include "asterisk/json.h"

/*!
 * \brief A request parameter as ARI's generated routes read it: a JSON body's
 *        field wins, then the last occurrence in the query string or form.
 */
const char *answers_parameter(struct ast_variable *params, struct ast_json *body,
	const char *name);

/*! \brief A 400 saying parameter \a name is missing, if \a value is; whether it was. */
int answers_missing(const char *value, const char *name, struct ast_ari_response *response);

/*!
 * \brief Read an optional score: an integer, decimal, with an optional sign,
 *        that a long holds; none (\a text NULL) scores 0.
 * \retval -1 it is not one (\a response is a 400 that says so)
 */
int answers_score(const char *text, long *score, struct ast_ari_response *response);

/*!
 * \brief Answer a claim's or a decline's result (the C API's: 0 accepted, -1
 *        not found, -2 already claimed): 204, 404 or 409.
 */
void answers_result(int result, struct ast_ari_response *response);

/*!
 * \brief Answer POST /ari/events/claim where we serve it (releases without
 *        Asterisk's own): channelId and application, then the claim through
 *        the C API, as Asterisk's own route makes it.
 *
 * \param params query string and form fields (merged as ARI merges them)
 * \param body the JSON body, or JSON null
 */
void answers_events_claim(struct ast_variable *params, struct ast_json *body,
	struct ast_ari_response *response);

#endif /* STASIS_BROADCAST_ANSWERS_H */
