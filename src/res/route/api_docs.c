/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief What /ari/api-docs says of us.
 *
 * ARI clients generated from the Swagger documents ARI serves (Node's
 * ari-client builds its whole API from them) only know the resources,
 * operations and events described there. ARI serves its documents from files
 * of its own, so we serve, in their place, ARI's own answer with ours added
 * (paths and basePath are exactly ARI's):
 *
 *  - resources.json   ARI's list of resources, and "broadcasts"
 *  - broadcasts.json  our resource (broadcasts.c): list, get, claim,
 *                     decline, and the Broadcast model; built with the
 *                     basePath and versions of ARI's resources.json
 *  - events.json      where Asterisk has no claim route: the claimChannel
 *                     operation and the CallBroadcast and CallClaimed events,
 *                     with the fields we add to them (offer, mode, window_ms;
 *                     score); where it has one, only those fields
 *
 * Anything already there is left as it is.
 */

#include "asterisk.h"

#include "asterisk/ari.h"
#include "asterisk/json.h"

#include "route.h"

/*! \brief One parameter of an operation. */
static struct ast_json *parameter(const char *name, const char *where, const char *type,
	int required, const char *description)
{
	return ast_json_pack("{s: s, s: s, s: s, s: b, s: b, s: s}",
		"name", name, "description", description, "paramType", where,
		"required", required, "allowMultiple", 0, "dataType", type);
}

/*! \brief An error response of an operation. */
static struct ast_json *error(int code, const char *reason)
{
	return ast_json_pack("{s: i, s: s}", "code", code, "reason", reason);
}

/*! \brief An api: \a path with one operation. */
static struct ast_json *api(const char *path, const char *description, const char *method,
	const char *nickname, const char *summary, const char *response_class,
	struct ast_json *parameters, struct ast_json *errors)
{
	return ast_json_pack("{s: s, s: s, s: [{s: s, s: s, s: s, s: s, s: o, s: o}]}",
		"path", path, "description", description, "operations",
		"httpMethod", method, "summary", summary, "nickname", nickname,
		"responseClass", response_class, "parameters", parameters,
		"errorResponses", errors);
}

/*! \brief A model property: {type, description, required}. */
static struct ast_json *property(const char *type, const char *description, int required)
{
	return ast_json_pack("{s: s, s: s, s: b}", "type", type, "description", description,
		"required", required);
}

/* --- events.json ----------------------------------------------------------------- */

static struct ast_json *claim_api(void)
{
	return api("/events/claim", "Claiming a channel offered by StasisBroadcast()", "POST",
		"claimChannel", "Claim a channel offered to this application by StasisBroadcast().",
		"void",
		ast_json_pack("[o, o]",
			parameter("channelId", "query", "string", 1,
				"The id of the channel offered (CallBroadcast's channel.id)"),
			parameter("application", "query", "string", 1,
				"The application claiming it; it must have been offered the call")),
		ast_json_pack("[o, o]",
			error(404, "No open broadcast of this channel that this application may claim."),
			error(409, "The channel was already claimed.")));
}

static struct ast_json *call_broadcast_model(void)
{
	return ast_json_pack("{s: s, s: s, s: {s: o, s: o, s: o, s: o, s: o, s: o}}",
		"id", "CallBroadcast",
		"description", "A channel is offered to this application; claim it with "
			"POST /events/claim or POST /broadcasts/{channelId}/claim.",
		"properties",
		"channel", property("Channel", "The channel offered.", 1),
		"caller", property("string", "The caller id number.", 0),
		"called", property("string", "The extension dialled.", 0),
		"offer", property("int", "Which offer of this call: 1, then one more each time a "
			"winner lost its connection and the call was offered again.", 0),
		"mode", property("string", "first: the first claim wins; best: the best score "
			"claimed within window_ms of the first claim wins.", 0),
		"window_ms", property("int", "The decision window in best mode, 0 in first mode.", 0));
}

static struct ast_json *call_claimed_model(void)
{
	return ast_json_pack("{s: s, s: s, s: {s: o, s: o, s: o}}",
		"id", "CallClaimed",
		"description", "A channel offered to this application was claimed.",
		"properties",
		"channel", property("Channel", "The channel, as it was when claimed.", 1),
		"winner_app", property("string", "The application that claimed it.", 1),
		"score", property("long", "The winning score, in best mode.", 0));
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

/*!
 * \brief Add an event model, and its name to Event's subtypes; or, where the
 *        model is there already, the properties it lacks.
 */
static int add_event_model(struct ast_json *models, struct ast_json *model)
{
	const char *id = ast_json_string_get(ast_json_object_get(model, "id"));
	struct ast_json *subtypes = ast_json_object_get(ast_json_object_get(models, "Event"),
		"subTypes");
	struct ast_json *have = ast_json_object_get(models, id);
	int res = 0;

	if (have) {
		struct ast_json *properties = ast_json_object_get(have, "properties");
		struct ast_json_iter *iter = ast_json_object_iter(ast_json_object_get(model, "properties"));

		for (; iter && !res; iter = ast_json_object_iter_next(
				ast_json_object_get(model, "properties"), iter)) {
			const char *name = ast_json_object_iter_key(iter);

			if (properties && !ast_json_object_get(properties, name)) {
				res = ast_json_object_set(properties, name,
					ast_json_ref(ast_json_object_iter_value(iter)));
			}
		}
		ast_json_unref(model);
		return res;
	}
	if (subtypes && ast_json_array_append(subtypes, ast_json_string_create(id))) {
		ast_json_unref(model);
		return -1;
	}
	return ast_json_object_set(models, id, model);
}

/*! \brief ARI's events.json, with the claim operation and the two events. */
static int describe_events(struct ast_json *doc)
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

/* --- resources.json and broadcasts.json ------------------------------------------ */

/*! \brief ARI's resources.json, listing broadcasts.json too. */
static int describe_resources(struct ast_json *doc)
{
	struct ast_json *apis = ast_json_object_get(doc, "apis");

	if (!apis) {
		return -1;
	}
	if (has_api(apis, "/api-docs/broadcasts.{format}")) {
		return 0;
	}
	return ast_json_array_append(apis, ast_json_pack("{s: s, s: s}",
		"path", "/api-docs/broadcasts.{format}",
		"description", "Calls offered by StasisBroadcast(): claim, decline, list"));
}

static struct ast_json *channel_parameter(void)
{
	return parameter("channelId", "path", "string", 1,
		"The id of the channel offered (CallBroadcast's channel.id)");
}

static struct ast_json *application_parameter(const char *description)
{
	return parameter("application", "query", "string", 1, description);
}

static struct ast_json *broadcasts_apis(void)
{
	return ast_json_pack("[o, o, o, o]",
		api("/broadcasts", "Open broadcasts", "GET", "list",
			"The calls on offer now: all, or those the application may still claim.",
			"List[Broadcast]",
			ast_json_pack("[o]", parameter("application", "query", "string", 0,
				"Only the broadcasts this application may claim")),
			ast_json_array_create()),
		api("/broadcasts/{channelId}", "One open broadcast", "GET", "get",
			"The broadcast of a channel on offer now.", "Broadcast",
			ast_json_pack("[o]", channel_parameter()),
			ast_json_pack("[o]", error(404, "No open broadcast of this channel."))),
		api("/broadcasts/{channelId}/claim", "Claiming a channel offered", "POST", "claim",
			"Claim a channel offered to this application, with a score in best mode "
			"(the highest wins; a plain claim scores 0).", "void",
			ast_json_pack("[o, o, o]", channel_parameter(),
				application_parameter("The application claiming it; it must have been "
					"offered the call"),
				parameter("score", "query", "long", 0, "How good a match the "
					"application is for the call (best mode)")),
			ast_json_pack("[o, o, o]",
				error(400, "A parameter is missing, or score is not an integer."),
				error(404, "No open broadcast of this channel that this application may claim."),
				error(409, "The channel was already claimed."))),
		api("/broadcasts/{channelId}/decline", "Declining a channel offered", "POST",
			"decline", "Say this application will not take the call: once every "
			"recipient has declined, the dialplan goes on at once.", "void",
			ast_json_pack("[o, o]", channel_parameter(),
				application_parameter("The application declining it")),
			ast_json_pack("[o, o, o]",
				error(400, "The application parameter is missing."),
				error(404, "No open broadcast of this channel that this application may claim."),
				error(409, "The channel was already claimed."))));
}

static struct ast_json *broadcast_model(void)
{
	return ast_json_pack("{s: {s: s, s: s, s: {s: o, s: o, s: o, s: o, s: o, s: o, s: o, s: o}}}",
		"Broadcast",
		"id", "Broadcast",
		"description", "A call on offer to ARI applications (StasisBroadcast()).",
		"properties",
		"channel_id", property("string", "The id of the channel offered.", 1),
		"channel_name", property("string", "Its name.", 1),
		"offer", property("int", "Which offer of the call: 1 for the first.", 1),
		"mode", property("string", "first or best (see CallBroadcast).", 1),
		"window_ms", property("int", "The decision window in best mode, 0 in first mode.", 1),
		"recipients", property("int", "How many applications it is offered to.", 1),
		"declined", property("int", "How many declined it, over every offer of the call.", 1),
		"age_ms", property("long", "Milliseconds since this offer began.", 1));
}

/*!
 * \brief broadcasts.json, from ARI's resources.json in \a response (whose
 *        basePath and versions it takes).
 */
static struct ast_json *broadcasts_document(struct ast_json *resources)
{
	return ast_json_pack("{s: O, s: s, s: O, s: s, s: o, s: o}",
		"apiVersion", ast_json_object_get(resources, "apiVersion"),
		"swaggerVersion", "1.2",
		"basePath", ast_json_object_get(resources, "basePath"),
		"resourcePath", "/api-docs/broadcasts.{format}",
		"apis", broadcasts_apis(),
		"models", broadcast_model());
}

const char *api_docs_ari_source(enum api_document document)
{
	return document == API_DOC_EVENTS ? "events.json" : "resources.json";
}

void api_docs_describe(enum api_document document, struct ast_ari_response *response)
{
	struct ast_json *doc = response->message;
	int res = 0;

	if (response->response_code != 200) {
		return;
	}
	switch (document) {
	case API_DOC_RESOURCES:
		res = describe_resources(doc);
		break;
	case API_DOC_EVENTS:
		res = describe_events(doc);
		break;
	case API_DOC_BROADCASTS:
		response->message = broadcasts_document(doc);
		ast_json_unref(doc);
		res = response->message ? 0 : -1;
		break;
	}
	if (res) {
		ast_json_unref(response->message);
		response->message = NULL;
		ast_ari_response_alloc_failed(response);
	}
}
