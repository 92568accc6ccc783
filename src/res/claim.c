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
 * Four things can end an open broadcast, each on its own thread:
 *
 *  - a claim        (an HTTP thread, via POST /ari/events/claim)
 *  - the timeout    (the channel's dialplan thread, in broadcast_wait())
 *  - a hangup       (noticed by the dialplan thread, or by a claim)
 *  - cleanup        (the dialplan thread, or module code replacing it)
 *
 * They all go through the broadcast's lock and the same rule: the first to
 * move \c state away from BROADCAST_OPEN decides the outcome, and nothing can
 * move it back. So exactly one claim per broadcast returns CLAIM_WON, a claim
 * that loses to a timeout or hangup gets CLAIM_NOT_FOUND, and a claim that
 * wins means the dialplan thread will hand the channel to the winner: the
 * waiter reads the state after the lock, never a copy from before it.
 *
 * Eligibility is checked in the same critical section: the claimant must be a
 * recipient whose CallBroadcast reached a live connection (see dispatch.c),
 * and must still be registered now. A claim for any other application gets
 * CLAIM_NOT_FOUND and leaves the broadcast open for the real recipients.
 *
 * The dialplan thread never polls: it sleeps in ast_waitfor_nandfds() on the
 * channel and on the broadcast's alert pipe. A claim (or a close from another
 * thread, or the last CallBroadcast send finding nobody live) writes the pipe;
 * a hangup arrives as a frame or a soft hangup on the channel. Whichever comes
 * first wakes it at once.
 *
 * A claim can win while CallBroadcast sends are still in progress (dispatch.c
 * shares them among threads). Before the winner is sent StasisStart, the
 * waiter makes sure the winner's own CallBroadcast send has returned, so the
 * winner always sees CallBroadcast first.
 */

#include "asterisk.h"

#include "asterisk/alertpipe.h"
#include "asterisk/astobj2.h"
#include "asterisk/channel.h"
#include "asterisk/frame.h"
#include "asterisk/stasis_app.h"
#include "asterisk/time.h"
#include "asterisk/utils.h"

#include "broadcast.h"
#include "stats.h"

/*!
 * \brief Decide a claim with the broadcast locked.
 *
 * \param registered whether \a app is registered with Stasis right now
 *        (asked before taking the lock: res_stasis has locks of its own)
 */
static enum claim_result claim_decide(struct broadcast *b, const char *app, int registered)
{
	struct broadcast_recipient *recipient = broadcast_recipient_find(b, app);

	if (!recipient || !recipient->offered || !registered) {
		/* Not a recipient of this broadcast: filtered out, not connected
		 * when it was offered, or gone since. */
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

enum claim_result broadcast_claim(const char *channel_id, const char *app)
{
	RAII_VAR(struct broadcast *, b, NULL, ao2_cleanup);
	enum claim_result result;
	int registered;
	int64_t latency_us = 0;

	if (ast_strlen_zero(channel_id) || ast_strlen_zero(app)) {
		stats_claim_counted(CLAIM_NOT_FOUND, 0);
		return CLAIM_NOT_FOUND;
	}
	b = broadcast_find(channel_id);
	if (!b) {
		ast_debug(3, "Claim by '%s' for channel '%s': no open broadcast\n", app, channel_id);
		stats_claim_counted(CLAIM_NOT_FOUND, 0);
		return CLAIM_NOT_FOUND;
	}

	registered = stasis_app_is_registered(app);

	ao2_lock(b);
	result = claim_decide(b, app, registered);
	if (result == CLAIM_WON) {
		latency_us = ast_tvdiff_us(b->claimed_at, b->started);
	}
	ao2_unlock(b);

	stats_claim_counted(result, latency_us);
	if (result == CLAIM_WON) {
		ast_debug(1, "%s: claimed by '%s' after %" PRId64 " us\n",
			b->channel_name, app, latency_us);
	} else {
		ast_debug(3, "%s: claim by '%s' refused (%s)\n", b->channel_name, app,
			result == CLAIM_CONFLICT ? "already claimed" : "not eligible or not open");
	}
	return result;
}

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

/*! \brief How many recipients are (or are being) sent CallBroadcast. Locked. */
static int offered_now(struct broadcast *b)
{
	int count = 0;
	size_t i;

	if (b->state != BROADCAST_OPEN) {
		return b->final_recipients;
	}
	for (i = 0; i < AST_VECTOR_SIZE(&b->recipients); i++) {
		count += AST_VECTOR_GET_ADDR(&b->recipients, i)->offered;
	}
	return count;
}

int broadcast_recipients(struct broadcast *b, int claimed)
{
	int alert_fd = ast_alertpipe_readfd(b->alert_pipe);

	for (;;) {
		struct broadcast_recipient *winner;
		int done, count;

		ao2_lock(b);
		winner = claimed && b->winner ? broadcast_recipient_find(b, b->winner) : NULL;
		done = !winner || winner->sent;
		count = offered_now(b);
		ao2_unlock(b);
		if (done) {
			return count;
		}
		/* The winner's send returns within ARI's write timeout, and writes the
		 * alert pipe when it does (see send_one()). */
		if (ast_wait_for_input(alert_fd, 1000) > 0) {
			ast_alertpipe_read(b->alert_pipe);
		}
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
