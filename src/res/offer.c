/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Who is offered a call, and the events they receive.
 *
 * Candidates are the registered Stasis applications that match the filter, in
 * a fresh random order for every broadcast so that no application is always
 * offered first.
 *
 * A registered application is not necessarily a live one: res_stasis keeps an
 * application whose WebSocket closed in its registry (inactive) while it still
 * owns channels, and quietly drops messages sent to it. res_stasis exports no
 * way to ask, but ARI's WebSocket handler stamps the "application" field on the
 * message it is handed, synchronously, before writing or queueing it; an
 * inactive application never reaches that handler (every release of 20, 22
 * and 23 does this). ARI stamps it before it applies the application's own
 * event filter (PUT /ari/applications/{name}/eventFilter), and then writes the
 * event only if the filter lets it through, which it asks of res_stasis with
 * stasis_app_event_allowed(). So every recipient gets its own top-level copy
 * of the event, and a copy that comes back stamped, and that the application's
 * filter allows, reached a live connection: that application saw the offer.
 * Only those are recipients: only they may claim (claim.c), get CallClaimed,
 * and are counted in STASISBROADCAST_RECIPIENTS.
 *
 * The copies are shallow: the channel snapshot JSON is built once per event and
 * shared, not rebuilt per recipient. (Each sending thread shares only its own
 * deep copy, so no JSON value is touched by two threads at once: dispatch.c.)
 */

#include "asterisk.h"

#include "asterisk/astobj2.h"
#include "asterisk/json.h"
#include "asterisk/stasis_app.h"
#include "asterisk/stasis_channels.h"
#include "asterisk/utils.h"

#include "claim.h"
#include "filter.h"
#include "offer.h"

int broadcast_candidates(const regex_t *filter, struct ast_vector_const_string *names,
	struct ao2_container **apps)
{
	struct ao2_iterator it;
	const char *name;

	*apps = stasis_app_get_all();
	if (!*apps) {
		return -1;
	}
	if (AST_VECTOR_INIT(names, ao2_container_count(*apps))) {
		ao2_cleanup(*apps);
		*apps = NULL;
		return -1;
	}

	it = ao2_iterator_init(*apps, 0);
	for (; (name = ao2_iterator_next(&it)); ao2_ref((void *) name, -1)) {
		if (!filter || filter_matches(filter, name)) {
			/* Borrowed: the container keeps the name alive. */
			AST_VECTOR_APPEND(names, name);
		}
	}
	ao2_iterator_destroy(&it);

	offer_shuffle(names);
	return 0;
}

void offer_shuffle(struct ast_vector_const_string *names)
{
	size_t i;

	/* Fisher-Yates: every order equally likely. */
	for (i = AST_VECTOR_SIZE(names); i > 1; i--) {
		size_t j = ast_random() % i;
		const char *swap = AST_VECTOR_GET(names, i - 1);

		AST_VECTOR_REPLACE(names, i - 1, AST_VECTOR_GET(names, j));
		AST_VECTOR_REPLACE(names, j, swap);
	}
}

/*! \brief The channel's current snapshot (caller owns the reference). */
static struct ast_channel_snapshot *channel_snapshot(struct broadcast *b, struct ast_channel *chan)
{
	struct ast_channel_snapshot *snapshot =
		ast_channel_snapshot_get_latest(broadcast_channel_id(b));

	if (!snapshot && chan) {
		ast_channel_lock(chan);
		snapshot = ast_channel_snapshot_create(chan);
		ast_channel_unlock(chan);
	}
	return snapshot;
}

/*!
 * \brief Build an event of \a type about the channel: the one place event
 *        JSON is made. The caller adds the fields particular to its type.
 */
static struct ast_json *event_create(const char *type, struct ast_channel_snapshot *snapshot,
	struct timeval when)
{
	struct ast_json *channel = ast_channel_snapshot_to_json(snapshot, stasis_app_get_sanitizer());

	if (!channel) {
		return NULL;
	}
	return ast_json_pack("{s: s, s: o, s: o}",
		"type", type,
		"timestamp", ast_json_timeval(when, NULL),
		"channel", channel);
}

struct ast_json *offer_call_broadcast(struct broadcast *b, struct ast_channel *chan)
{
	RAII_VAR(struct ast_channel_snapshot *, snapshot, channel_snapshot(b, chan), ao2_cleanup);
	struct ast_json *event = snapshot ? event_create("CallBroadcast", snapshot, broadcast_started(b)) : NULL;

	if (!event
		|| ast_json_object_set(event, "caller", ast_json_string_create(snapshot->caller->number))
		|| ast_json_object_set(event, "called", ast_json_string_create(snapshot->dialplan->exten))
		|| ast_json_object_set(event, "offer", ast_json_integer_create(broadcast_offer(b)))
		|| ast_json_object_set(event, "mode",
			ast_json_string_create(broadcast_window_ms(b) ? "best" : "first"))
		|| ast_json_object_set(event, "window_ms", ast_json_integer_create(broadcast_window_ms(b)))) {
		ast_json_unref(event);
		return NULL;
	}
	return event;
}

struct ast_json *offer_call_claimed(struct broadcast *b, struct ast_channel *chan,
	const char *winner, struct timeval claimed_at, long score)
{
	RAII_VAR(struct ast_channel_snapshot *, snapshot, channel_snapshot(b, chan), ao2_cleanup);
	struct ast_json *event = snapshot ? event_create("CallClaimed", snapshot, claimed_at) : NULL;

	if (!event || ast_json_object_set(event, "winner_app", ast_json_string_create(winner))
		|| (broadcast_window_ms(b)
			&& ast_json_object_set(event, "score", ast_json_integer_create(score)))) {
		ast_json_unref(event);
		return NULL;
	}
	return event;
}

int offer_send(struct ast_json *event, const char *app)
{
	RAII_VAR(struct ast_json *, message, ast_json_copy(event), ast_json_unref);

	/* The filter is asked before the send, as ARI asks it inside the send:
	 * asked after, it would find no application once a connection that took
	 * the event had closed and been unregistered, and a recipient that saw
	 * the offer would not be counted (the 20,000-call soak caught 3). */
	if (!message || !stasis_app_event_allowed(app, message)) {
		return 0;
	}
	stasis_app_send(app, message);
	/* Stamped: a live connection's handler took it (and, allowed, wrote it). */
	return ast_json_object_get(message, "application") != NULL;
}

void offer_deliver(struct broadcast *b, struct ast_json *event, size_t i)
{
	const char *name = broadcast_candidate_name(b, i);
	int live = event && offer_send(event, name);
	struct ast_json *claimed = broadcast_send_returned(b, i, live);

	ast_debug(3, "%s: CallBroadcast %s '%s'\n", broadcast_channel_name(b),
		live ? "sent to" : "not seen (no live connection, or its event filter) by", name);
	if (claimed) {
		offer_send(claimed, name);
		ast_json_unref(claimed);
	}
}

void broadcast_notify_claimed(struct broadcast *b, struct ast_channel *chan)
{
	RAII_VAR(struct ast_json *, event, NULL, ast_json_unref);
	RAII_VAR(char *, winner, broadcast_winner(b), ast_free);
	struct broadcast_view view;
	struct ast_vector_const_string now;
	size_t i;

	broadcast_view(b, &view);
	event = offer_call_claimed(b, chan, S_OR(winner, ""), view.claimed_at, view.score);
	if (!event || AST_VECTOR_INIT(&now, broadcast_candidate_count(b))) {
		return;
	}
	/* A recipient whose CallBroadcast is back gets CallClaimed now; one whose
	 * send is still out (or queued on its lane) gets it from that send, right
	 * after its CallBroadcast, so it never comes first. */
	if (!broadcast_claimed_owed(b, event, &now)) {
		for (i = 0; i < AST_VECTOR_SIZE(&now); i++) {
			offer_send(event, AST_VECTOR_GET(&now, i));
		}
	}
	AST_VECTOR_FREE(&now);
}
