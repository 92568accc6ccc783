/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief The claim API's parameters and answers.
 *
 * Every claim, whichever route it came by (POST /ari/events/claim, ours or
 * Asterisk's, or /ari/broadcasts), and every decline, is answered the same
 * way: 204 accepted, 409 already claimed, 404 no open broadcast this
 * application may claim (claim.c decides), 400 a parameter missing (or, on
 * /ari/broadcasts, not an integer). POST /ari/events/claim, where we serve it,
 * claims through the C API (stasis_app_claim_channel()), exactly as
 * Asterisk's own route does where it has one.
 */

#include "asterisk.h"

#include <ctype.h>
#include <errno.h>

#include "asterisk/ari.h"
#include "asterisk/json.h"
#include "asterisk/stasis_app_broadcast.h"
#include "asterisk/strings.h"

#include "answers.h"

const char *answers_parameter(struct ast_variable *params, struct ast_json *body,
	const char *name)
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

int answers_missing(const char *value, const char *name, struct ast_ari_response *response)
{
	char message[64];

	if (!ast_strlen_zero(value)) {
		return 0;
	}
	snprintf(message, sizeof(message), "%s parameter is required", name);
	ast_ari_response_error(response, 400, "Bad Request", "%s", message);
	return 1;
}

int answers_score(const char *text, long *score, struct ast_ari_response *response)
{
	char *end;

	*score = 0;
	if (!text) {
		return 0;
	}
	errno = 0;
	*score = strtol(text, &end, 10);
	if (!*text || *end || errno || isspace((unsigned char) *text)) {
		ast_ari_response_error(response, 400, "Bad Request", "score must be an integer");
		return -1;
	}
	return 0;
}

void answers_result(int result, struct ast_ari_response *response)
{
	switch (result) {
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

void answers_events_claim(struct ast_variable *params, struct ast_json *body,
	struct ast_ari_response *response)
{
	const char *channel_id = answers_parameter(params, body, "channelId");
	const char *application = answers_parameter(params, body, "application");

	if (!answers_missing(channel_id, "channelId", response)
		&& !answers_missing(application, "application", response)) {
		answers_result(stasis_app_claim_channel(channel_id, application), response);
	}
}
