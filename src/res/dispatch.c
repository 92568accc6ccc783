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
 * shared, not rebuilt per recipient. (Each sending thread shares only its own
 * deep copy, so no JSON value is touched by two threads at once.)
 *
 * Sending is shared out. ARI writes to a WebSocket synchronously, so one
 * application that stopped reading holds its sender until ARI's write timeout.
 * The dialplan thread and DISPATCH_HELPERS helper threads therefore take
 * recipients one at a time from an atomic index: a stalled recipient holds up
 * one sender, and the others carry on with everyone else. On two cores the
 * fan-out to many applications also runs in parallel. The dialplan thread
 * stops sending when no recipient is left to take; it never waits for a
 * helper's send.
 *
 * ARI holds a WebSocket's lock while it writes, so a second send to a stalled
 * application would block on that lock and hold up a second thread, and so
 * on, broadcast after broadcast, until no sender is free. Sends are therefore
 * serialised per application in "lanes": a send to an application that
 * already has one in progress is queued on its lane, and the thread in that
 * lane sends the queue when its own send returns. A stalled application
 * holds one thread at a time, never more. Each send that returns marks its
 * recipient \c sent under the broadcast's lock; the last one closes the
 * broadcast if nobody was live, and wakes the waiter (claim.c), which needs
 * the winner's send to have returned before it lets StasisStart follow.
 */

#include "asterisk.h"

#include "asterisk/alertpipe.h"
#include "asterisk/astobj2.h"
#include "asterisk/lock.h"
#include "asterisk/json.h"
#include "asterisk/stasis_app.h"
#include "asterisk/stasis_channels.h"
#include "asterisk/utils.h"

#include "broadcast.h"
#include "filter.h"

/*! Threads that help the dialplan thread send CallBroadcast. */
#define DISPATCH_HELPERS 3
/*! Buckets of the lane table (a power of two). */
#define LANE_BUCKETS 1024

/*! A send that waits for its application's lane. Owns a broadcast reference. */
struct lane_send {
	struct broadcast *b;
	size_t index;
};

/*! An application with a send in progress. Exists only while busy. */
struct lane {
	AST_LIST_ENTRY(lane) next;
	/*! Sends queued behind the one in progress, oldest first */
	AST_VECTOR(, struct lane_send) waiting;
	char name[0];
};

/*! Busy lanes by application name; each bucket's mutex guards its list and
 *  the lanes in it. Striped so that sends to different applications rarely
 *  share a lock. */
static struct {
	ast_mutex_t lock;
	AST_LIST_HEAD_NOLOCK(, lane) busy;
} lanes[LANE_BUCKETS];

/*!
 * The helpers and their queue: broadcasts that still have recipients to take.
 * The queue holds a reference to each broadcast in it; \c lock guards queue
 * and stopping.
 */
static struct {
	ast_mutex_t lock;
	ast_cond_t work;
	AST_VECTOR(, struct broadcast *) queue;
	pthread_t threads[DISPATCH_HELPERS];
	int running;
	int stopping;
} helpers = {
	.lock = AST_MUTEX_INIT_VALUE,
};

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

/*!
 * \brief Send CallBroadcast to recipient \a i and record the outcome.
 *
 * Every recipient is sent its CallBroadcast, also one whose send comes up
 * after the broadcast ended (queued behind a slow send on its lane): each
 * connected application sees every call, as the product promises. The count
 * of recipients was fixed at the end (broadcast_end_locked()) and does not
 * change with such a late send.
 *
 * \param event this thread's copy of the event; NULL counts as not delivered
 */
static void deliver(struct broadcast *b, struct ast_json *event, size_t i)
{
	struct broadcast_recipient *r = AST_VECTOR_GET_ADDR(&b->recipients, i);
	struct ast_json *claimed;
	int live;

	/* Offered before it is sent: an answer may come back at once. A claim
	 * reads the flag under the broadcast's lock; storing it needs no lock. */
	__atomic_store_n(&r->offered, 1, __ATOMIC_SEQ_CST);

	live = event && event_send(event, r->name);

	ao2_lock(b);
	r->offered = live;
	r->sent = 1;
	b->offered_count += live;
	if (--b->sends_pending == 0 && !b->offered_count && b->state == BROADCAST_OPEN) {
		broadcast_end_locked(b, BROADCAST_NO_RECIPIENTS);
	} else if (!b->sends_pending || b->state == BROADCAST_CLAIMED) {
		/* The waiter may be waiting for this: the last send, or the winner's. */
		ast_alertpipe_write(b->alert_pipe);
	}
	/* CallClaimed owed since the claim (broadcast_notify_claimed()): this
	 * thread's own copy, as for CallBroadcast. */
	claimed = live && r->notify ? ast_json_deep_copy(b->claimed_event) : NULL;
	ao2_unlock(b);

	ast_debug(3, "%s: CallBroadcast %s '%s'\n", b->channel_name,
		live ? "sent to" : "not sent: no live connection for", r->name);
	if (claimed) {
		event_send(claimed, r->name);
		ast_json_unref(claimed);
	}
}

/*! \brief The bucket of an application name. */
static unsigned int lane_bucket(const char *name)
{
	return ast_str_hash(name) & (LANE_BUCKETS - 1);
}

/*!
 * \brief Enter the application's lane, or queue the send if it is busy.
 * \retval 1 entered: the caller sends, then calls lane_next()
 * \retval 0 queued (or no memory: then sent on this thread after all)
 */
static int lane_enter(struct broadcast *b, size_t index)
{
	const char *name = AST_VECTOR_GET_ADDR(&b->recipients, index)->name;
	unsigned int bucket = lane_bucket(name);
	struct lane *lane;
	int entered = 1;

	ast_mutex_lock(&lanes[bucket].lock);
	AST_LIST_TRAVERSE(&lanes[bucket].busy, lane, next) {
		if (!strcmp(lane->name, name)) {
			break;
		}
	}
	if (lane) {
		struct lane_send queued = { .b = ao2_bump(b), .index = index };

		if (!AST_VECTOR_APPEND(&lane->waiting, queued)) {
			entered = 0;
		} else {
			ao2_ref(b, -1);
		}
	} else {
		lane = ast_calloc(1, sizeof(*lane) + strlen(name) + 1);
		if (lane) {
			strcpy(lane->name, name); /* Safe: sized above */
			AST_VECTOR_INIT(&lane->waiting, 0);
			AST_LIST_INSERT_HEAD(&lanes[bucket].busy, lane, next);
		}
	}
	ast_mutex_unlock(&lanes[bucket].lock);
	return entered;
}

/*!
 * \brief Leave the lane of \a name, or take the next send queued on it.
 * \retval 1 \a next is the next send (the caller owns its reference)
 * \retval 0 the lane is closed
 */
static int lane_next(const char *name, struct lane_send *next)
{
	unsigned int bucket = lane_bucket(name);
	struct lane *lane;
	int more = 0;

	ast_mutex_lock(&lanes[bucket].lock);
	AST_LIST_TRAVERSE_SAFE_BEGIN(&lanes[bucket].busy, lane, next) {
		if (strcmp(lane->name, name)) {
			continue;
		}
		if (AST_VECTOR_SIZE(&lane->waiting)) {
			*next = AST_VECTOR_REMOVE_ORDERED(&lane->waiting, 0);
			more = 1;
		} else {
			AST_LIST_REMOVE_CURRENT(next);
			AST_VECTOR_FREE(&lane->waiting);
			ast_free(lane);
		}
		break;
	}
	AST_LIST_TRAVERSE_SAFE_END;
	ast_mutex_unlock(&lanes[bucket].lock);
	return more;
}

/*!
 * \brief Send to recipient \a i through its application's lane, then send
 *        whatever queued up behind it on that lane.
 */
static void send_one(struct broadcast *b, struct ast_json *event, size_t i)
{
	const char *name = AST_VECTOR_GET_ADDR(&b->recipients, i)->name;
	struct lane_send next;

	if (!lane_enter(b, i)) {
		return;
	}
	deliver(b, event, i);
	/* Queued sends belong to other broadcasts: each gets a copy of its own
	 * event, since this thread's copy is another broadcast's. */
	while (lane_next(name, &next)) {
		struct ast_json *copy = ast_json_deep_copy(next.b->event);

		deliver(next.b, copy, next.index);
		ast_json_unref(copy);
		ao2_ref(next.b, -1);
	}
}

/*!
 * \brief Take recipients until none is left.
 * \param shared whether other threads send this broadcast too
 */
static void send_all(struct broadcast *b, int shared)
{
	size_t count = AST_VECTOR_SIZE(&b->recipients);
	struct ast_json *event = shared ? ast_json_deep_copy(b->event) : ast_json_ref(b->event);
	unsigned int i;

	while ((i = __atomic_fetch_add(&b->next_send, 1, __ATOMIC_RELAXED)) < count) {
		send_one(b, event, i);
	}
	ast_json_unref(event);
}

/*! \brief Whether a queue entry is the broadcast looked for. */
#define SAME_BROADCAST(elem, value) ((elem) == (value))

/*! \brief Take \a b off the helpers' queue (if it is still there). */
static void queue_remove(struct broadcast *b)
{
	int removed;

	ast_mutex_lock(&helpers.lock);
	removed = !AST_VECTOR_REMOVE_CMP_UNORDERED(&helpers.queue, b, SAME_BROADCAST, AST_VECTOR_ELEM_CLEANUP_NOOP);
	ast_mutex_unlock(&helpers.lock);
	if (removed) {
		ao2_ref(b, -1);
	}
}

/*! \brief Offer \a b's recipients to \a wanted helpers. */
static int queue_add(struct broadcast *b, int wanted)
{
	int i;

	ast_mutex_lock(&helpers.lock);
	if (!helpers.running || AST_VECTOR_APPEND(&helpers.queue, b)) {
		ast_mutex_unlock(&helpers.lock);
		return -1;
	}
	ao2_ref(b, +1);
	for (i = 0; i < MIN(wanted, DISPATCH_HELPERS); i++) {
		ast_cond_signal(&helpers.work);
	}
	ast_mutex_unlock(&helpers.lock);
	return 0;
}

static void *helper_run(void *unused)
{
	ast_mutex_lock(&helpers.lock);
	for (;;) {
		struct broadcast *b;

		while (!helpers.stopping && !AST_VECTOR_SIZE(&helpers.queue)) {
			ast_cond_wait(&helpers.work, &helpers.lock);
		}
		if (helpers.stopping) {
			break;
		}
		b = ao2_bump(AST_VECTOR_GET(&helpers.queue, 0));
		ast_mutex_unlock(&helpers.lock);

		send_all(b, 1);
		queue_remove(b);
		ao2_ref(b, -1);

		ast_mutex_lock(&helpers.lock);
	}
	ast_mutex_unlock(&helpers.lock);
	return NULL;
}

int broadcast_dispatch(struct broadcast *b, struct ast_channel *chan)
{
	RAII_VAR(struct ast_channel_snapshot *, snapshot, channel_snapshot(b, chan), ao2_cleanup);
	size_t count = AST_VECTOR_SIZE(&b->recipients);
	struct ast_json *event;
	int shared;

	event = snapshot ? event_create("CallBroadcast", snapshot, b->started) : NULL;
	if (!event
		|| ast_json_object_set(event, "caller", ast_json_string_create(snapshot->caller->number))
		|| ast_json_object_set(event, "called", ast_json_string_create(snapshot->dialplan->exten))) {
		ast_json_unref(event);
		broadcast_close(b, BROADCAST_NO_RECIPIENTS);
		return -1;
	}

	ao2_lock(b);
	b->event = event;
	b->sends_pending = count;
	if (!count && b->state == BROADCAST_OPEN) {
		broadcast_end_locked(b, BROADCAST_NO_RECIPIENTS);
	}
	ao2_unlock(b);

	shared = count > 1 && !queue_add(b, count - 1);
	send_all(b, shared);
	if (shared) {
		queue_remove(b);
	}
	return 0;
}

int dispatch_helpers_start(void)
{
	int i;

	for (i = 0; i < LANE_BUCKETS; i++) {
		ast_mutex_init(&lanes[i].lock);
		AST_LIST_HEAD_INIT_NOLOCK(&lanes[i].busy);
	}

	ast_cond_init(&helpers.work, NULL);
	AST_VECTOR_INIT(&helpers.queue, 16);
	helpers.stopping = 0;
	for (i = 0; i < DISPATCH_HELPERS; i++) {
		if (ast_pthread_create(&helpers.threads[i], NULL, helper_run, NULL)) {
			break;
		}
	}
	helpers.running = i;
	if (!i) {
		ast_log(LOG_WARNING, "No dispatch helper threads; the dialplan thread sends alone\n");
	}
	return 0;
}

void dispatch_helpers_stop(void)
{
	int i, running = helpers.running;

	ast_mutex_lock(&helpers.lock);
	helpers.stopping = 1;
	helpers.running = 0;
	ast_cond_broadcast(&helpers.work);
	ast_mutex_unlock(&helpers.lock);
	/* A helper still in a send finishes it first (ARI bounds the write). */
	for (i = 0; i < running; i++) {
		pthread_join(helpers.threads[i], NULL);
	}
	AST_VECTOR_CALLBACK_VOID(&helpers.queue, ao2_cleanup);
	AST_VECTOR_FREE(&helpers.queue);
	ast_cond_destroy(&helpers.work);
	/* Lanes exist only while a send is in progress, and none is now. */
	for (i = 0; i < LANE_BUCKETS; i++) {
		ast_mutex_destroy(&lanes[i].lock);
	}
}

void broadcast_notify_claimed(struct broadcast *b, struct ast_channel *chan)
{
	RAII_VAR(struct ast_channel_snapshot *, snapshot, channel_snapshot(b, chan), ao2_cleanup);
	RAII_VAR(struct ast_json *, event, NULL, ast_json_unref);
	struct ast_vector_const_string now;
	struct timeval claimed_at;
	char *winner;
	size_t i;

	if (!snapshot || AST_VECTOR_INIT(&now, AST_VECTOR_SIZE(&b->recipients))) {
		return;
	}
	ao2_lock(b);
	claimed_at = b->claimed_at;
	winner = ast_strdupa(S_OR(b->winner, ""));
	ao2_unlock(b);

	event = event_create("CallClaimed", snapshot, claimed_at);
	if (!event || ast_json_object_set(event, "winner_app", ast_json_string_create(winner))) {
		AST_VECTOR_FREE(&now);
		return;
	}

	/* A recipient whose CallBroadcast is back gets CallClaimed now; one whose
	 * send is still out (or queued on its lane) gets it from that send, right
	 * after its CallBroadcast (deliver()), so it never comes first. */
	ao2_lock(b);
	b->claimed_event = ast_json_ref(event);
	for (i = 0; i < AST_VECTOR_SIZE(&b->recipients); i++) {
		struct broadcast_recipient *r = AST_VECTOR_GET_ADDR(&b->recipients, i);

		if (!r->sent) {
			r->notify = 1;
		} else if (r->offered) {
			/* Names are immutable: borrowed past the lock. */
			AST_VECTOR_APPEND(&now, r->name);
		}
	}
	ao2_unlock(b);

	for (i = 0; i < AST_VECTOR_SIZE(&now); i++) {
		event_send(event, AST_VECTOR_GET(&now, i));
	}
	AST_VECTOR_FREE(&now);
}
