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
 * inactive application never reaches that handler. So every recipient gets its
 * own top-level copy of the event, and a copy that comes back stamped was taken
 * by a live connection. Only those recipients may claim (claim.c), and only they
 * are counted in STASISBROADCAST_RECIPIENTS.
 *
 * The copies are shallow: the channel snapshot JSON is built once per event and
 * shared (jansson reference counts it), not rebuilt per recipient.
 */

#include "asterisk.h"

#include "asterisk/astobj2.h"
#include "asterisk/json.h"
#include "asterisk/stasis_app.h"
#include "asterisk/stasis_channels.h"
#include "asterisk/utils.h"

#include "broadcast.h"
#include "filter.h"

int broadcast_candidates(const regex_t *filter, struct ast_vector_const_string *names,
	struct ao2_container **apps)
{
	struct ao2_iterator it;
	const char *name;
	size_t i;

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

	/* Fisher-Yates: every order equally likely. */
	for (i = AST_VECTOR_SIZE(names); i > 1; i--) {
		size_t j = ast_random() % i;
		const char *swap = AST_VECTOR_GET(names, i - 1);

		AST_VECTOR_REPLACE(names, i - 1, AST_VECTOR_GET(names, j));
		AST_VECTOR_REPLACE(names, j, swap);
	}
	return 0;
}

/*! \brief The channel's current snapshot (caller owns the reference). */
static struct ast_channel_snapshot *channel_snapshot(struct broadcast *b, struct ast_channel *chan)
{
	struct ast_channel_snapshot *snapshot = ast_channel_snapshot_get_latest(b->channel_id);

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

/*!
 * \brief Hand \a event to application \a app.
 * \retval 1 a live ARI connection took it
 * \retval 0 nobody did (inactive application, or no memory for the copy)
 */
static int event_send(struct ast_json *event, const char *app)
{
	RAII_VAR(struct ast_json *, message, ast_json_copy(event), ast_json_unref);

	if (!message) {
		return 0;
	}
	stasis_app_send(app, message);
	return ast_json_object_get(message, "application") != NULL;
}

/*! \brief Set a recipient's \c offered under the broadcast's lock. */
static void recipient_set_offered(struct broadcast *b, struct broadcast_recipient *r, int offered)
{
	ao2_lock(b);
	r->offered = offered;
	ao2_unlock(b);
}

int broadcast_dispatch(struct broadcast *b, struct ast_channel *chan)
{
	RAII_VAR(struct ast_channel_snapshot *, snapshot, channel_snapshot(b, chan), ao2_cleanup);
	RAII_VAR(struct ast_json *, event, NULL, ast_json_unref);
	int delivered = 0;
	size_t i;

	if (!snapshot) {
		return 0;
	}
	event = event_create("CallBroadcast", snapshot, b->started);
	if (!event
		|| ast_json_object_set(event, "caller", ast_json_string_create(snapshot->caller->number))
		|| ast_json_object_set(event, "called", ast_json_string_create(snapshot->dialplan->exten))) {
		return 0;
	}

	for (i = 0; i < AST_VECTOR_SIZE(&b->recipients); i++) {
		struct broadcast_recipient *r = AST_VECTOR_GET_ADDR(&b->recipients, i);

		/* Offered before it is sent: an answer may come back at once. */
		recipient_set_offered(b, r, 1);
		if (event_send(event, r->name)) {
			delivered++;
			ast_debug(3, "%s: CallBroadcast sent to '%s'\n", b->channel_name, r->name);
		} else {
			recipient_set_offered(b, r, 0);
			ast_debug(3, "%s: '%s' has no live connection; not offered\n",
				b->channel_name, r->name);
		}
	}

	ao2_lock(b);
	b->offered_count = delivered;
	ao2_unlock(b);
	return delivered;
}

void broadcast_notify_claimed(struct broadcast *b, struct ast_channel *chan)
{
	RAII_VAR(struct ast_channel_snapshot *, snapshot, channel_snapshot(b, chan), ao2_cleanup);
	RAII_VAR(struct ast_json *, event, NULL, ast_json_unref);
	struct timeval claimed_at;
	char *winner;
	size_t i;

	if (!snapshot) {
		return;
	}
	ao2_lock(b);
	claimed_at = b->claimed_at;
	winner = ast_strdupa(S_OR(b->winner, ""));
	ao2_unlock(b);

	event = event_create("CallClaimed", snapshot, claimed_at);
	if (!event || ast_json_object_set(event, "winner_app", ast_json_string_create(winner))) {
		return;
	}
	/* No lock needed for offered: dispatch finished on this same thread
	 * before the wait began, and nothing else writes the flags. */
	for (i = 0; i < AST_VECTOR_SIZE(&b->recipients); i++) {
		struct broadcast_recipient *r = AST_VECTOR_GET_ADDR(&b->recipients, i);

		if (r->offered) {
			event_send(event, r->name);
		}
	}
}
