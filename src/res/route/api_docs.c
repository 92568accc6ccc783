/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief ARI's events.json, describing the claim route too.
 *
 * ARI clients generated from the Swagger documents ARI serves (Node's
 * ari-client builds its whole API from them) only know the operations and
 * events described there. Where ARI's own events.json has no claim operation,
 * we serve ARI's document (as ARI itself made it, so paths and basePath are
 * exactly ARI's) with three additions: the claimChannel operation, and the
 * CallBroadcast and CallClaimed models, listed among the subtypes of Event.
 * Anything already there is left as it is.
 */

#include "asterisk.h"

#include "asterisk/ari.h"
#include "asterisk/json.h"

#include "route.h"

/*! \brief One parameter of the claim operation. */
static struct ast_json *query_parameter(const char *name, const char *description)
{
	return ast_json_pack("{s: s, s: s, s: s, s: b, s: b, s: s}",
		"name", name, "description", description, "paramType", "query",
		"required", 1, "allowMultiple", 0, "dataType", "string");
}

static struct ast_json *claim_api(void)
{
	return ast_json_pack("{s: s, s: s, s: [{s: s, s: s, s: s, s: s, s: s, s: [o, o], s: ["
		"{s: i, s: s}, {s: i, s: s}]}]}",
		"path", "/events/claim",
		"description", "Claiming a channel offered by StasisBroadcast()",
		"operations",
		"httpMethod", "POST",
		"summary", "Claim a channel offered to this application by StasisBroadcast().",
		"notes", "The first claim of a broadcast wins; the winner receives StasisStart as "
			"if Stasis(application) had run.",
		"nickname", "claimChannel",
		"responseClass", "void",
		"parameters",
		query_parameter("channelId", "The id of the channel offered (CallBroadcast's channel.id)"),
		query_parameter("application", "The application claiming it; it must have been offered the call"),
		"errorResponses",
		"code", 404, "reason", "No open broadcast of this channel that this application may claim.",
		"code", 409, "reason", "The channel was already claimed.");
}

/*! \brief A model property: {type, description, required}. */
static struct ast_json *property(const char *type, const char *description, int required)
{
	return ast_json_pack("{s: s, s: s, s: b}", "type", type, "description", description,
		"required", required);
}

static struct ast_json *call_broadcast_model(void)
{
	return ast_json_pack("{s: s, s: s, s: {s: o, s: o, s: o}}",
		"id", "CallBroadcast",
		"description", "A channel is offered to this application; claim it with "
			"POST /events/claim.",
		"properties",
		"channel", property("Channel", "The channel offered.", 1),
		"caller", property("string", "The caller id number.", 0),
		"called", property("string", "The extension dialled.", 0));
}

static struct ast_json *call_claimed_model(void)
{
	return ast_json_pack("{s: s, s: s, s: {s: o, s: o}}",
		"id", "CallClaimed",
		"description", "A channel offered to this application was claimed.",
		"properties",
		"channel", property("Channel", "The channel, as it was when claimed.", 1),
		"winner_app", property("string", "The application that claimed it.", 1));
}

/*! \brief Whether \a apis already has an api at \a path. */
static int has_api(struct ast_json *apis, const char *path)
{
	size_t i;

	for (i = 0; i < ast_json_array_size(apis); i++) {
		const char *have = ast_json_string_get(
			ast_json_object_get(ast_json_array_get(apis, i), "path"));

		if (have && !strcmp(have, path)) {
			return 1;
		}
	}
	return 0;
}

/*! \brief Add a model, and its name to Event's subtypes, unless it is there. */
static int add_event_model(struct ast_json *models, struct ast_json *model)
{
	const char *id = ast_json_string_get(ast_json_object_get(model, "id"));
	struct ast_json *subtypes = ast_json_object_get(ast_json_object_get(models, "Event"),
		"subTypes");

	if (ast_json_object_get(models, id)) {
		ast_json_unref(model);
		return 0;
	}
	if (subtypes && ast_json_array_append(subtypes, ast_json_string_create(id))) {
		ast_json_unref(model);
		return -1;
	}
	return ast_json_object_set(models, id, model);
}

/*! \brief Add the claim operation and the two events to ARI's document. */
static int describe_claim(struct ast_json *doc)
{
	struct ast_json *apis = ast_json_object_get(doc, "apis");
	struct ast_json *models = ast_json_object_get(doc, "models");

	if (!apis || !models) {
		return -1;
	}
	if (!has_api(apis, "/events/claim") && ast_json_array_append(apis, claim_api())) {
		return -1;
	}
	return add_event_model(models, call_broadcast_model())
		|| add_event_model(models, call_claimed_model()) ? -1 : 0;
}

void api_docs_describe_claim(struct ast_ari_response *response)
{
	if (response->response_code == 200 && describe_claim(response->message)) {
		ast_json_unref(response->message);
		response->message = NULL;
		ast_ari_response_alloc_failed(response);
	}
}
