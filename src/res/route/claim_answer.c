/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief The answers of POST /ari/events/claim?channelId=...&application=...
 *
 * The same operation as Asterisk's own route (res_ari_events, 22.10+), with
 * its parameters and answers, whichever way the request came: a parameter may
 * come in the query string, a form or a JSON body (the body wins, then the
 * last occurrence); a missing or empty one is a 400 naming it, channelId
 * first. Then the claim decides: 204 won, 409 already claimed, 404 anything
 * else (see claim.c).
 */

#include "asterisk.h"

#include "asterisk/ari.h"
#include "asterisk/json.h"
#include "asterisk/stasis_app_broadcast.h"
#include "asterisk/strings.h"

#include "route.h"

/*! \brief A request parameter as ARI's generated routes read it. */
static const char *parameter(struct ast_variable *params, struct ast_json *body, const char *name)
{
	struct ast_json *field = ast_json_object_get(body, name);
	const char *value = NULL;

	if (field) {
		return ast_json_string_get(field);
	}
	for (; params; params = params->next) {
		if (!strcmp(params->name, name)) {
			value = params->value;
		}
	}
	return value;
}

void claim_answer(struct ast_variable *params, struct ast_json *body,
	struct ast_ari_response *response)
{
	const char *channel_id = parameter(params, body, "channelId");
	const char *application = parameter(params, body, "application");

	if (ast_strlen_zero(channel_id)) {
		ast_ari_response_error(response, 400, "Bad Request", "channelId parameter is required");
		return;
	}
	if (ast_strlen_zero(application)) {
		ast_ari_response_error(response, 400, "Bad Request", "application parameter is required");
		return;
	}

	switch (stasis_app_claim_channel(channel_id, application)) {
	case 0:
		ast_ari_response_no_content(response);
		break;
	case -2:
		ast_ari_response_error(response, 409, "Conflict",
			"Channel has already been claimed by another application");
		break;
	default:
		ast_ari_response_error(response, 404, "Not Found",
			"Channel not found or not in broadcast state");
		break;
	}
}
