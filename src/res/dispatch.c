/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Sharing out the sends of CallBroadcast among threads.
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
 *
 * Why not Asterisk's own serializers (an ast_threadpool, one
 * ast_threadpool_serializer per application with a send in flight)? They were
 * built and measured against these lanes in one run of make bench
 * (bench/results/2026-12-02-2cpu/floor.md; 2 CPUs, Debian's 22.10.1, medians
 * of 3 rounds), and lost on every fan-out row:
 *
 *                                    stock   lanes   serializers   floor
 *   300 apps, CPU per broadcast (ms)  19.1    16.7      22.3        15.9
 *   1,000 apps, same                  56.8    49.3      83.8        49.0
 *   300 apps, time to the last (ms)   18.9    13.0      18.2        15.1
 *   1,000 apps, same                  56.5    37.4      63.5        47.4
 *   stalled app, live delay p99 (ms)  13.5     9.8      10.2         -
 *   stalled app, live delay max (ms) 2008     13.3      13.7         -
 *
 * A task per recipient on a shared queue costs an allocation, a copy of the
 * event and a wake-up each; the lanes take recipients from an index and
 * queue only behind an application that is already busy, which is rare.
 */

#include "asterisk.h"

#include "asterisk/astobj2.h"
#include "asterisk/lock.h"
#include "asterisk/json.h"
#include "asterisk/utils.h"

#include "claim.h"
#include "dispatch.h"
#include "offer.h"

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
	offer_deliver(b, event, i);
	/* Queued sends belong to other broadcasts: each gets a copy of its own
	 * event, since this thread's copy is another broadcast's. */
	while (lane_next(name, &next)) {
		struct ast_json *copy = ast_json_deep_copy(next.b->event);

		offer_deliver(next.b, copy, next.index);
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
	size_t count = AST_VECTOR_SIZE(&b->recipients);
	struct ast_json *event = offer_call_broadcast(b, chan);
	int shared;

	if (!event) {
		broadcast_close(b, BROADCAST_NO_RECIPIENTS);
		return -1;
	}
	broadcast_offer_began(b, event);

	shared = count > 1 && !queue_add(b, count - 1);
	send_all(b, shared);
	if (shared) {
		queue_remove(b);
	}
	return 0;
}

int dispatch_start(void)
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

void dispatch_stop(void)
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
