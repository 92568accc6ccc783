/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief The claim race: who gets the channel, and when the waiting ends.
 *
 * A broadcast is open from the moment it is registered until one of these,
 * each on its own thread, ends it:
 *
 *  - a claim          (an ARI request thread: POST /ari/events/claim)
 *  - the timeout      (the channel's dialplan thread, in broadcast_wait())
 *  - a hangup         (noticed by the dialplan thread, or by a claim)
 *  - nobody to offer  (the dispatch, when the last send returns unheard)
 *  - its end          (cleanup on the dialplan thread, or a new broadcast
 *                      on the same channel; unload waits for both)
 *
 * They all go through the broadcast's lock and the same rule, in
 * broadcast_end_locked() below: the first to move \c state away from
 * BROADCAST_OPEN decides the outcome, and nothing can move it back. So
 * exactly one claim per broadcast returns CLAIM_WON, a claim that loses to a
 * timeout or hangup gets CLAIM_NOT_FOUND, and a claim that wins means the
 * dialplan thread will hand the channel to the winner: the waiter reads the
 * state after the lock, never a copy from before it. Every transition is in
 * this file; registry.c only finds broadcasts, dispatch.c only sends.
 *
 * Eligibility is checked in the same critical section: the claimant must be a
 * recipient whose CallBroadcast reached a live connection (see offer.c), and
 * must still be registered now. A claim for any other application gets
 * CLAIM_NOT_FOUND and leaves the broadcast open for the real recipients.
 *
 * Whether a live connection took the event is known only once the send has
 * returned, yet a fast application can answer before that: ARI writes the
 * event to its socket inside the send. So a claim that arrives while the
 * claimant's own send is out waits for it (on \c send_returned, the lock
 * released; the send returns within ARI's WebSocket write timeout) and is
 * decided after. Decided before, a claim could win for an application whose
 * WebSocket had closed, while its send was still on the way to finding no
 * handler: a call handed to an application that never saw it. And as every
 * winner's send has returned, StasisStart can never overtake its
 * CallBroadcast.
 *
 * The dialplan thread never polls: it sleeps in ast_waitfor_nandfds() on the
 * channel and on the broadcast's alert pipe. A claim (or a close from another
 * thread, or the last CallBroadcast send finding nobody live) writes the pipe;
 * a hangup arrives as a frame or a soft hangup on the channel. Whichever comes
 * first wakes it at once.
 */

#include "asterisk.h"

#include <errno.h>

#include "asterisk/alertpipe.h"
#include "asterisk/astobj2.h"
#include "asterisk/channel.h"
#include "asterisk/frame.h"
#include "asterisk/time.h"
#include "asterisk/utils.h"

#include "claim.h"
#include "host.h"
#include "registry.h"
#include "stats.h"

/*!
 * \brief How long a claim waits for its claimant's CallBroadcast send.
 *
 * A send returns within ARI's websocket_write_timeout (100 ms unless the
 * operator changed it) for a live connection, and at once for any other; this
 * bound only keeps a request thread from waiting forever on a send that never
 * returns. A claim still waiting then is refused.
 */
#define CLAIM_SEND_WAIT_MS 5000

/*!
 * \brief Whether recipient \a r's send has begun and, once \c sent, whether a
 *        live connection took it.
 *
 * \c offered is set before the recipient's CallBroadcast is handed to ARI,
 * without the broadcast's lock: the application may answer at once, and its
 * claim must then find the send out and wait for it, but taking the lock for
 * every recipient of every offer would make the senders queue behind each
 * other and behind claims. Its other writes (cleared when no live connection took the event)
 * are made with the lock held. A plain read under the lock would still race
 * with that first store, so every access is atomic: sequentially consistent,
 * as the store is ordered before the send that lets the claim come at all.
 */
static int recipient_offered(struct broadcast_recipient *r)
{
	return __atomic_load_n(&r->offered, __ATOMIC_SEQ_CST);
}

static void recipient_set_offered(struct broadcast_recipient *r, int offered)
{
	__atomic_store_n(&r->offered, offered, __ATOMIC_SEQ_CST);
}

/*! \brief The recipient named \a app, or NULL. Call with the lock held. */
static struct broadcast_recipient *recipient_find(struct broadcast *b, const char *app)
{
	size_t i;

	for (i = 0; i < AST_VECTOR_SIZE(&b->recipients); i++) {
		struct broadcast_recipient *recipient = AST_VECTOR_GET_ADDR(&b->recipients, i);

		if (!strcmp(recipient->name, app)) {
			return recipient;
		}
	}
	return NULL;
}

/*!
 * \brief End an open broadcast in \a state: the one way out of BROADCAST_OPEN.
 *
 * Call with the broadcast locked and its state BROADCAST_OPEN. Fixes how many
 * recipients there were: every send that found a live connection, and every
 * send still to come back (it will be delivered: each connected application
 * sees every call), so STASISBROADCAST_RECIPIENTS, the AMI events and the CLI
 * report the same number whenever a slow send returns. Wakes the waiter.
 */
static void broadcast_end_locked(struct broadcast *b, enum broadcast_state state)
{
	size_t i;

	ast_assert(b->state == BROADCAST_OPEN && state != BROADCAST_OPEN);
	b->state = state;
	b->final_recipients = 0;
	for (i = 0; i < AST_VECTOR_SIZE(&b->recipients); i++) {
		struct broadcast_recipient *r = AST_VECTOR_GET_ADDR(&b->recipients, i);

		b->final_recipients += r->sent ? recipient_offered(r) : 1;
	}
	ast_alertpipe_write(b->alert_pipe);
}

enum broadcast_state broadcast_close(struct broadcast *b, enum broadcast_state state)
{
	enum broadcast_state result;

	ao2_lock(b);
	if (b->state == BROADCAST_OPEN) {
		broadcast_end_locked(b, state);
	}
	result = b->state;
	ao2_unlock(b);
	return result;
}

/* --- a broadcast's life: registered, replaced, cleaned up ------------------ */

int broadcast_register(struct broadcast *b)
{
	struct broadcast *replaced;
	int res = registry_link(b, &replaced);

	if (replaced) {
		ast_debug(1, "%s: a new broadcast replaces the previous one\n", b->channel_name);
		broadcast_close(replaced, BROADCAST_ENDED);
		ao2_ref(replaced, -1);
	}
	return res;
}

struct broadcast *broadcast_unregister(const char *channel_id, struct broadcast *b)
{
	struct broadcast *found = registry_unlink(channel_id, b);

	if (found) {
		broadcast_close(found, BROADCAST_ENDED);
	}
	return found;
}

/* --- the offer: how its sends end the broadcast ---------------------------- */

void broadcast_offer_began(struct broadcast *b, struct ast_json *event)
{
	ao2_lock(b);
	b->event = event;
	b->sends_pending = AST_VECTOR_SIZE(&b->recipients);
	if (!b->sends_pending && b->state == BROADCAST_OPEN) {
		broadcast_end_locked(b, BROADCAST_NO_RECIPIENTS);
	}
	ao2_unlock(b);
}

void broadcast_send_begins(struct broadcast *b, size_t i)
{
	/* Offered before it is sent: an answer may come back at once. */
	recipient_set_offered(AST_VECTOR_GET_ADDR(&b->recipients, i), 1);
}

int broadcast_offered(struct broadcast *b, size_t i)
{
	return recipient_offered(AST_VECTOR_GET_ADDR(&b->recipients, i));
}

struct ast_json *broadcast_send_returned(struct broadcast *b, size_t i, int live)
{
	struct broadcast_recipient *r = AST_VECTOR_GET_ADDR(&b->recipients, i);
	struct ast_json *claimed;

	ao2_lock(b);
	recipient_set_offered(r, live);
	r->sent = 1;
	b->offered_count += live;
	if (--b->sends_pending == 0 && !b->offered_count && b->state == BROADCAST_OPEN) {
		broadcast_end_locked(b, BROADCAST_NO_RECIPIENTS);
	}
	/* A claim by this recipient may be waiting to be decided. */
	ast_cond_broadcast(&b->send_returned);
	/* CallClaimed owed since the claim (offer.c, broadcast_notify_claimed()):
	 * a copy of its own, as for CallBroadcast. */
	claimed = live && r->notify ? ast_json_deep_copy(b->claimed_event) : NULL;
	ao2_unlock(b);
	return claimed;
}

/* --- the claim -------------------------------------------------------------- */

/*!
 * \brief Decide a claim with the broadcast locked.
 *
 * \param registered whether \a app is registered with Stasis right now
 *        (asked before taking the lock: res_stasis has locks of its own)
 */
static enum claim_result claim_decide(struct broadcast *b, const char *app, int registered)
{
	struct broadcast_recipient *recipient = recipient_find(b, app);

	if (!recipient || !recipient->sent || !recipient_offered(recipient) || !registered) {
		/* Not a recipient of this broadcast: filtered out, not connected
		 * when it was offered, gone since, or its send never came back
		 * (claimant_send_wait()). */
		return CLAIM_NOT_FOUND;
	}
	if (b->state == BROADCAST_CLAIMED) {
		return CLAIM_CONFLICT;
	}
	if (b->state != BROADCAST_OPEN) {
		return CLAIM_NOT_FOUND;
	}
	if (b->waiter && ast_check_hangup_locked(b->waiter)) {
		/* The caller is gone but the dialplan thread has not woken yet:
		 * close the broadcast here so no claim wins a dead call. */
		broadcast_end_locked(b, BROADCAST_HUNG_UP);
		return CLAIM_NOT_FOUND;
	}

	b->winner = ast_strdup(app);
	if (!b->winner) {
		return CLAIM_NOT_FOUND;
	}
	b->claimed_at = ast_tvnow();
	broadcast_end_locked(b, BROADCAST_CLAIMED);
	return CLAIM_WON;
}

/*!
 * \brief Wait until \a app's own CallBroadcast send, if it is out, has
 *        returned. Call with the broadcast locked; the wait releases it.
 * \retval 0 no send of \a app is out (back, never begun, or not a recipient)
 * \retval -1 it is still out after CLAIM_SEND_WAIT_MS
 */
static int claimant_send_wait(struct broadcast *b, const char *app)
{
	struct timeval until = ast_tvadd(ast_tvnow(), ast_samp2tv(CLAIM_SEND_WAIT_MS, 1000));
	struct timespec deadline = { .tv_sec = until.tv_sec, .tv_nsec = until.tv_usec * 1000 };
	/* The recipients never change; their fields are read under the lock. */
	struct broadcast_recipient *recipient = recipient_find(b, app);

	while (recipient && !recipient->sent && recipient_offered(recipient)) {
		if (ast_cond_timedwait(&b->send_returned, ao2_object_get_lockaddr(b), &deadline)
			== ETIMEDOUT) {
			return recipient->sent ? 0 : -1;
		}
	}
	return 0;
}

enum claim_result broadcast_claim(const char *channel_id, const char *app, int64_t *latency_us)
{
	RAII_VAR(struct broadcast *, b, NULL, ao2_cleanup);
	enum claim_result result;
	int registered;
	int send_stuck;

	*latency_us = 0;
	if (ast_strlen_zero(channel_id) || ast_strlen_zero(app)) {
		return CLAIM_NOT_FOUND;
	}
	b = broadcast_find(channel_id);
	if (!b) {
		ast_debug(3, "Claim by '%s' for channel '%s': no open broadcast\n", app, channel_id);
		return CLAIM_NOT_FOUND;
	}

	registered = host_app_is_registered(app);

	ao2_lock(b);
	send_stuck = claimant_send_wait(b, app);
	result = claim_decide(b, app, registered);
	if (result == CLAIM_WON) {
		*latency_us = ast_tvdiff_us(b->claimed_at, b->started);
	}
	ao2_unlock(b);

	if (send_stuck) {
		ast_log(LOG_WARNING, "%s: claim by '%s' refused: its CallBroadcast send has not "
			"returned after %d ms\n", b->channel_name, app, CLAIM_SEND_WAIT_MS);
	}

	if (result == CLAIM_WON) {
		ast_debug(1, "%s: claimed by '%s' after %" PRId64 " us\n",
			b->channel_name, app, *latency_us);
	} else {
		ast_debug(3, "%s: claim by '%s' refused (%s)\n", b->channel_name, app,
			result == CLAIM_CONFLICT ? "already claimed" : "not eligible or not open");
	}
	return result;
}

/* --- the wait: timeout and hangup --------------------------------------------- */

/*!
 * \brief Read one frame while waiting.
 * \retval -1 the channel hung up
 */
static int wait_consume_frame(struct ast_channel *chan)
{
	struct ast_frame *f = ast_read(chan);
	int hungup;

	if (!f) {
		return -1;
	}
	hungup = f->frametype == AST_FRAME_CONTROL
		&& f->subclass.integer == AST_CONTROL_HANGUP;
	ast_frfree(f);
	return hungup ? -1 : 0;
}

/*!
 * \brief Sleep until something may have changed, or close the broadcast if
 *        the deadline passed or the caller hung up.
 */
static void wait_once(struct broadcast *b, struct ast_channel *chan,
	struct timeval start, int timeout_ms)
{
	int alert_fd = ast_alertpipe_readfd(b->alert_pipe);
	int outfd = -1;
	int ms;
	struct ast_channel *ready;

	if (ast_check_hangup_locked(chan)) {
		broadcast_close(b, BROADCAST_HUNG_UP);
		return;
	}
	ms = ast_remaining_ms(start, timeout_ms);
	if (ms <= 0) {
		broadcast_close(b, BROADCAST_TIMED_OUT);
		return;
	}

	ready = ast_waitfor_nandfds(&chan, 1, &alert_fd, 1, NULL, &outfd, &ms);
	if (outfd == alert_fd) {
		ast_alertpipe_read(b->alert_pipe);
	} else if (ready && wait_consume_frame(chan)) {
		broadcast_close(b, BROADCAST_HUNG_UP);
	}
}

int broadcast_wait(struct broadcast *b, struct ast_channel *chan, int timeout_ms)
{
	struct ast_channel *waiter;
	struct timeval start = ast_tvnow();
	enum broadcast_state state;

	ao2_lock(b);
	ast_assert(b->waiter == NULL);
	b->waiter = ast_channel_ref(chan);
	ao2_unlock(b);

	for (;;) {
		ao2_lock(b);
		state = b->state;
		ao2_unlock(b);
		if (state != BROADCAST_OPEN) {
			break;
		}
		wait_once(b, chan, start, MAX(timeout_ms, 0));
	}

	ao2_lock(b);
	waiter = b->waiter;
	b->waiter = NULL;
	ao2_unlock(b);
	ast_channel_unref(waiter);

	stats_broadcast_ended(state);
	ast_debug(1, "%s: broadcast %s\n", b->channel_name, broadcast_state_name(state));
	return state == BROADCAST_CLAIMED ? 0 : -1;
}

/* --- what operators are told ------------------------------------------------- */

int broadcast_recipients(struct broadcast *b)
{
	int count = 0;
	size_t i;

	ao2_lock(b);
	if (b->state != BROADCAST_OPEN) {
		count = b->final_recipients;
	} else {
		for (i = 0; i < AST_VECTOR_SIZE(&b->recipients); i++) {
			count += recipient_offered(AST_VECTOR_GET_ADDR(&b->recipients, i));
		}
	}
	ao2_unlock(b);
	return count;
}

const char *broadcast_state_name(enum broadcast_state state)
{
	switch (state) {
	case BROADCAST_OPEN:
		return "open";
	case BROADCAST_CLAIMED:
		return "claimed";
	case BROADCAST_TIMED_OUT:
		return "timed out";
	case BROADCAST_HUNG_UP:
		return "hung up";
	case BROADCAST_NO_RECIPIENTS:
		return "no recipients";
	case BROADCAST_ENDED:
		return "ended";
	}
	return "unknown";
}
