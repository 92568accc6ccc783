/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Sending an offer's CallBroadcast to every candidate.
 *
 * ARI writes to a WebSocket synchronously, so one application that stopped
 * reading holds its sender until ARI's write timeout. The dialplan thread and
 * DISPATCH_HELPERS helper threads therefore take candidates one at a time
 * from an index: a stalled candidate holds up one sender, and the others
 * carry on with everyone else. On two cores the fan-out to many applications
 * also runs in parallel. The dialplan thread starts at once, from the event
 * as it was built; each helper sends from a copy of its own, so that no JSON
 * value is touched by two threads at once. It stops when no candidate is left
 * to take; it never waits for a helper's send.
 *
 * ARI holds a WebSocket's lock while it writes, so a second send to a stalled
 * application would block on that lock and hold up a second thread, and so
 * on, offer after offer, until no sender is free. Sends are therefore
 * serialised per application in "lanes": a send to an application that
 * already has one in progress is queued on its lane, and the thread in that
 * lane sends the queue when its own send returns. A stalled application
 * holds one thread at a time, never more.
 *
 * Each send that returns tells claim.c (offer_deliver()), and every candidate
 * is sent its CallBroadcast, also one whose turn comes after the broadcast
 * ended: each connected application sees every call.
 *
 * Why this design and not Asterisk's serializers on an ast_taskpool, nor
 * every send on the dialplan thread as the stock modules send: the three were
 * measured side by side, with C and Python clients, and the lanes won on CPU
 * and time to the last application, and alone kept a stalled application from
 * holding up the others (bench/results/2026-12-03-2cpu-dispatch).
 */

#include "asterisk.h"

#include "asterisk/astobj2.h"
#include "asterisk/json.h"
#include "asterisk/lock.h"
#include "asterisk/utils.h"

#include "claim.h"
#include "dispatch.h"
#include "offer.h"

/*!
 * \brief One offer's sends: the broadcast and the event every copy is made
 *        from. An ao2 object; each thread or task sending it holds a
 *        reference. Immutable but for \c next.
 */
struct offer_sends {
	struct broadcast *b;
	struct ast_json *event;
	size_t count;
	/*! Index of the next candidate a sender takes (atomic) */
	unsigned int next;
};

static void offer_sends_destroy(void *obj)
{
	struct offer_sends *sends = obj;

	ao2_cleanup(sends->b);
	ast_json_unref(sends->event);
}

static struct offer_sends *offer_sends_alloc(struct broadcast *b, struct ast_json *event)
{
	struct offer_sends *sends = ao2_alloc_options(sizeof(*sends), offer_sends_destroy,
		AO2_ALLOC_OPT_LOCK_NOLOCK);

	if (!sends) {
		ast_json_unref(event);
		return NULL;
	}
	sends->b = ao2_bump(b);
	sends->event = event;
	sends->count = broadcast_candidate_count(b);
	return sends;
}

/*! Threads that help the dialplan thread send CallBroadcast. */
#define DISPATCH_HELPERS 3
/*! Up to this many candidates, one helper is enough (see sends_start()). */
#define FEW_CANDIDATES 16
/*! Buckets of the lane table (a power of two). */
#define LANE_BUCKETS 1024

/*! A send that waits for its application's lane. Owns a reference. */
struct lane_send {
	struct offer_sends *sends;
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
 * The helpers and their queue: offers that still have candidates to take.
 * The queue holds a reference to each offer in it; \c lock guards queue,
 * running and stopping.
 */
static struct {
	ast_mutex_t lock;
	ast_cond_t work;
	AST_VECTOR(, struct offer_sends *) queue;
	pthread_t threads[DISPATCH_HELPERS];
	int running;
	int stopping;
} helpers = {
	.lock = AST_MUTEX_INIT_VALUE,
};

/*! \brief The bucket of an application name. */
static unsigned int lane_bucket(const char *name)
{
	return ast_str_hash(name) & (LANE_BUCKETS - 1);
}

/*!
 * \brief Enter the application's lane, or queue the send if it is busy.
 * \retval 1 entered: the caller sends, then calls lane_next()
 * \retval 0 queued: the lane's owner will send it
 * \retval -1 no memory to queue or to open the lane: the caller sends,
 *         beside the lane, and does not call lane_next()
 */
static int lane_enter(struct offer_sends *sends, size_t index)
{
	const char *name = broadcast_candidate_name(sends->b, index);
	unsigned int bucket = lane_bucket(name);
	struct lane *lane;
	SCOPED_MUTEX(lock, &lanes[bucket].lock);

	AST_LIST_TRAVERSE(&lanes[bucket].busy, lane, next) {
		if (!strcmp(lane->name, name)) {
			struct lane_send queued = { .sends = ao2_bump(sends), .index = index };

			if (AST_VECTOR_APPEND(&lane->waiting, queued)) {
				ao2_ref(sends, -1);
				return -1;
			}
			return 0;
		}
	}
	lane = ast_calloc(1, sizeof(*lane) + strlen(name) + 1);
	if (!lane) {
		return -1;
	}
	strcpy(lane->name, name); /* Safe: sized above */
	AST_VECTOR_INIT(&lane->waiting, 0);
	AST_LIST_INSERT_HEAD(&lanes[bucket].busy, lane, next);
	return 1;
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
	SCOPED_MUTEX(lock, &lanes[bucket].lock);

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
	return more;
}

/*!
 * \brief Send to candidate \a i through its application's lane, then send
 *        whatever queued up behind it on that lane.
 */
static void send_one(struct offer_sends *sends, struct ast_json *event, size_t i)
{
	const char *name = broadcast_candidate_name(sends->b, i);
	struct lane_send next;

	switch (lane_enter(sends, i)) {
	case 0:
		return;
	case -1:
		/* Beside the lane: the lane's own sends go on in order. */
		offer_deliver(sends->b, event, i);
		return;
	}
	offer_deliver(sends->b, event, i);
	/* Queued sends belong to other offers: each gets a copy of its own
	 * event, since this thread's copy is another offer's. */
	while (lane_next(name, &next)) {
		struct ast_json *copy = ast_json_deep_copy(next.sends->event);

		offer_deliver(next.sends->b, copy, next.index);
		ast_json_unref(copy);
		ao2_ref(next.sends, -1);
	}
}

/*!
 * \brief Take candidates until none is left.
 * \param helper whether this is a helper thread: it sends from a copy of its
 *        own, while the dialplan thread, which began the offer, sends from the
 *        original at once
 */
static void send_all(struct offer_sends *sends, int helper)
{
	struct ast_json *event = helper ? ast_json_deep_copy(sends->event) : ast_json_ref(sends->event);
	unsigned int i;

	while ((i = __atomic_fetch_add(&sends->next, 1, __ATOMIC_RELAXED)) < sends->count) {
		send_one(sends, event, i);
	}
	ast_json_unref(event);
}

/*! \brief Whether a queue entry is the offer looked for. */
#define SAME_OFFER(elem, value) ((elem) == (value))

/*! \brief Take \a sends off the helpers' queue (if it is still there). */
static void queue_remove(struct offer_sends *sends)
{
	int removed;

	ast_mutex_lock(&helpers.lock);
	removed = !AST_VECTOR_REMOVE_CMP_UNORDERED(&helpers.queue, sends, SAME_OFFER,
		AST_VECTOR_ELEM_CLEANUP_NOOP);
	ast_mutex_unlock(&helpers.lock);
	if (removed) {
		ao2_ref(sends, -1);
	}
}

/*! \brief Offer \a sends' candidates to \a wanted helpers. */
static int queue_add(struct offer_sends *sends, int wanted)
{
	int i;
	SCOPED_MUTEX(lock, &helpers.lock);

	if (!helpers.running || AST_VECTOR_APPEND(&helpers.queue, sends)) {
		return -1;
	}
	ao2_ref(sends, +1);
	for (i = 0; i < MIN(wanted, DISPATCH_HELPERS); i++) {
		ast_cond_signal(&helpers.work);
	}
	return 0;
}

static void *helper_run(void *unused)
{
	ast_mutex_lock(&helpers.lock);
	for (;;) {
		struct offer_sends *sends;

		while (!helpers.stopping && !AST_VECTOR_SIZE(&helpers.queue)) {
			ast_cond_wait(&helpers.work, &helpers.lock);
		}
		if (helpers.stopping) {
			break;
		}
		sends = ao2_bump(AST_VECTOR_GET(&helpers.queue, 0));
		ast_mutex_unlock(&helpers.lock);

		send_all(sends, 1);
		queue_remove(sends);
		ao2_ref(sends, -1);

		ast_mutex_lock(&helpers.lock);
	}
	ast_mutex_unlock(&helpers.lock);
	return NULL;
}

/*!
 * \brief Send an offer: the dialplan thread at once, with helpers beside it.
 *
 * Each helper woken costs a wake-up and a copy of the event, which a few
 * candidates do not repay; one helper is still needed, so that a candidate
 * that stopped reading holds up no other. Many candidates share the sends
 * among every helper.
 */
static void sends_start(struct offer_sends *sends)
{
	int wanted = sends->count <= FEW_CANDIDATES ? 1 : sends->count - 1;
	int shared = sends->count > 1 && !queue_add(sends, wanted);

	send_all(sends, 0);
	if (shared) {
		queue_remove(sends);
	}
}

static int helpers_start(void)
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

static void helpers_stop(void)
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


int broadcast_dispatch(struct broadcast *b, struct ast_channel *chan)
{
	struct ast_json *event = offer_call_broadcast(b, chan);
	struct offer_sends *sends;

	sends = event ? offer_sends_alloc(b, event) : NULL;
	if (!sends) {
		broadcast_offer_failed(b);
		return -1;
	}
	broadcast_offer_began(b);
	sends_start(sends);
	ao2_ref(sends, -1);
	return 0;
}

int dispatch_start(void)
{
	return helpers_start();
}

void dispatch_stop(void)
{
	helpers_stop();
}
