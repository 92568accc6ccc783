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
 * This file owns struct broadcast: nothing else sees its fields, and every
 * write to them is made here, under the broadcast's ao2 lock.
 *
 * A broadcast is open from the moment it is registered until one of these,
 * each on its own thread, ends it:
 *
 *  - a claim          (an ARI request thread: POST /ari/events/claim)
 *  - the timeout      (the channel's dialplan thread, in broadcast_wait())
 *  - a hangup         (noticed by the dialplan thread, or by a claim)
 *  - nobody to offer  (the dispatch, when the last send returns unheard)
 *  - nobody left      (a decline, or a recipient's connection lost, when no
 *                      recipient is left who may claim)
 *  - its end          (cleanup on the dialplan thread, or a new broadcast
 *                      on the same channel; unload waits for both)
 *
 * They all go through the broadcast's lock and the same rule, in
 * broadcast_end_locked() below: the first to move \c state away from
 * BROADCAST_OPEN decides the outcome, and nothing can move it back. So
 * exactly one claim per broadcast returns CLAIM_WON, a claim that loses to a
 * timeout or hangup gets CLAIM_NOT_FOUND, and a claim that wins means the
 * dialplan thread will hand the channel to the winner: the waiter reads the
 * state after the lock, never a copy from before it.
 *
 * Eligibility is checked in the same critical section: the claimant must be a
 * recipient, that is a candidate whose CallBroadcast a live connection took
 * and let through its event filter (see offer.c), and must still be
 * registered now. A claim for any other application gets CLAIM_NOT_FOUND and
 * leaves the broadcast open for the real recipients.
 *
 * In best mode (a decision window, w()), a claim does not win at once: it is
 * recorded with its score, and waits (on \c changed) until the broadcast is
 * decided, by whichever comes first: every recipient that may claim has
 * claimed or declined (decided on that claimant's thread), the window from the
 * first claim ran out, or the timeout did with a claim in (both on the
 * dialplan thread, which the first claim wakes to look at the window). The
 * highest score wins, the earliest of equal ones; every claimant is answered
 * then, 204 to the winner and 409 to the others, by the same state change.
 *
 * Whether a live connection took the event is known only once the send has
 * returned, yet a fast application can answer before that: ARI writes the
 * event to its socket inside the send. So a claim whose claimant's send has
 * not returned waits for it (on \c changed, the lock released; a send returns
 * within ARI's WebSocket write timeout) and is decided after. Decided before,
 * a claim could win for an application whose WebSocket had closed, while its
 * send was still on the way to finding no handler: a call handed to an
 * application that never saw it. And as every winner's send has returned,
 * StasisStart can never overtake its CallBroadcast.
 *
 * After the claim comes the handoff: the dialplan thread hands the channel to
 * the winner (stasis_app_exec()), and a winner that loses its connection
 * before that, or within the guard after it, gives the call back, to be
 * offered again to who is left (broadcast_next_offer()). How a lost
 * connection is learnt and how the winner is made to let the channel go is
 * handoff.c's; what it means for the call is decided here, under the same
 * lock: the winner is lost at most once, and the call comes back only if it
 * never got the channel or was made to let it go.
 *
 * The dialplan thread never polls: it sleeps in ast_waitfor_nandfds() on the
 * channel and on the broadcast's alert pipe. A claim (or a close from another
 * thread, or the last CallBroadcast send finding nobody live) writes the pipe;
 * a hangup arrives as a frame or a soft hangup on the channel. Whichever comes
 * first wakes it at once.
 *
 * Locking: the broadcast's ao2 lock guards every field below the immutable
 * ones; \c changed is waited on with it (claims waiting for their own send)
 * and signalled under it whenever a send returns or the state changes. Lock
 * order: broadcast lock, then channel lock. Never take the broadcast lock
 * while holding a channel lock, and never call out to stasis, ARI or the JSON
 * encoder with it held.
 */

#include "asterisk.h"

#include <errno.h>

#include "asterisk/alertpipe.h"
#include "asterisk/astobj2.h"
#include "asterisk/channel.h"
#include "asterisk/frame.h"
#include "asterisk/stasis_app_broadcast.h"
#include "asterisk/time.h"
#include "asterisk/utils.h"

#include "claim.h"
#include "host.h"
#include "offer.h"
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

/*! \brief One application the channel is offered to. */
struct broadcast_recipient {
	/*! Application name (immutable; points into the broadcast's allocation) */
	const char *name;
	/*! Its CallBroadcast hand-over has returned (written or dropped) */
	unsigned int returned:1;
	/*! ... and a live connection took it through its event filter: a recipient */
	unsigned int live:1;
	/*! CallClaimed is owed, to be sent right after its CallBroadcast */
	unsigned int notify:1;
	/*! It declined the call: it may not claim it */
	unsigned int declined:1;
	/*! Its connection was lost after the offer: no longer a recipient */
	unsigned int dropped:1;
	/*! In best mode: it claimed, with \c score, as claim number \c order */
	unsigned int claimed:1;
	long score;
	int order;
};

/*! \brief Where the channel is in the handoff to the winner. */
enum handoff_state {
	HANDOFF_NONE,       /*!< not handed over (yet) */
	HANDOFF_IN_STASIS,  /*!< in the winner's Stasis, or entering it */
	HANDOFF_DONE,       /*!< back from Stasis */
};

struct broadcast {
	/* Immutable after broadcast_alloc() */

	/*! Channel unique id: the registry key and the claim's channelId */
	char channel_id[AST_MAX_UNIQUEID];
	/*! Channel name at broadcast time, for log lines and the CLI */
	char channel_name[AST_CHANNEL_NAME];
	/*! When this offer began (the CallBroadcast timestamp) */
	struct timeval started;
	/*! STASIS_BROADCAST_FLAG_* given by the caller */
	unsigned int flags;
	/*! The dialplan's options (guard, window) */
	struct stasis_broadcast_options options;
	/*! Which offer of the call: 1, then one more for each that came back */
	int offer;
	/*! Recipients that declined the call's earlier offers */
	int declined_before;
	/*! Wakes the dialplan thread in broadcast_wait() when the state changes */
	int alert_pipe[2];
	/*! Signalled under the lock when a send returns or the state changes */
	ast_cond_t changed;

	/* Guarded by the ao2 lock */

	enum broadcast_state state;
	/*! Winning application (ast_malloc'd), NULL until claimed */
	char *winner;
	/*! When the winning claim was accepted */
	struct timeval claimed_at;
	/*! The channel, referenced only while the dialplan thread is waiting */
	struct ast_channel *waiter;
	/*! Candidates whose CallBroadcast hand-over has not returned yet */
	int sends_out;
	/*! Candidates whose hand-over returned live: the recipients so far */
	int live_count;
	/*! broadcast_recipients() once the broadcast ended (fixed then) */
	int final_recipients;
	/*! Recipients that declined this offer */
	int declined;
	/*! Best mode: claims made so far, when the first came (zero: none
	 *  pending), the winning score */
	int claims;
	struct timeval first_claim_at;
	long score;
	/*! The handoff to the winner */
	enum handoff_state handoff;
	/*! Until when a winner in Stasis that loses its connection gives the call back */
	struct timeval guard_until;
	/*! The winner lost its connection before it had the call for good */
	unsigned int winner_lost:1;
	/*! ... and was made to let the channel go (handoff.c) */
	unsigned int evicted:1;
	/*! ... and the call came back from it (the handoff says so) */
	unsigned int came_back:1;
	/*! The CallClaimed owed to recipients whose send is still out */
	struct ast_json *claimed_event;
	/*! STASISSTATUS as the dialplan application reported it, "" if it did not */
	char final_status[16];
	/*! The candidates, in dispatch (random) order; the vector never changes
	 *  size, its elements' flags are guarded by the lock */
	AST_VECTOR(, struct broadcast_recipient) recipients;
};

/* --- a broadcast and what never changes in it --------------------------------- */

static void broadcast_destructor(void *obj)
{
	struct broadcast *b = obj;

	ast_assert(b->waiter == NULL);
	ast_cond_destroy(&b->changed);
	ast_alertpipe_close(b->alert_pipe);
	ast_json_unref(b->claimed_event);
	ast_free(b->winner);
	AST_VECTOR_FREE(&b->recipients);
}

/*! \brief A new open broadcast of \a chan's offer number \a offer. */
static struct broadcast *broadcast_create(struct ast_channel *chan, unsigned int flags,
	const struct stasis_broadcast_options *options, int offer,
	const struct ast_vector_const_string *names)
{
	struct broadcast *b;
	size_t names_size = 0;
	char *name_space;
	size_t i;

	for (i = 0; i < AST_VECTOR_SIZE(names); i++) {
		names_size += strlen(AST_VECTOR_GET(names, i)) + 1;
	}

	/* The names live in the same allocation: they never change. */
	b = ao2_alloc(sizeof(*b) + names_size, broadcast_destructor);
	if (!b) {
		return NULL;
	}
	ast_cond_init(&b->changed, NULL);
	ast_alertpipe_clear(b->alert_pipe);
	if (AST_VECTOR_INIT(&b->recipients, AST_VECTOR_SIZE(names))
		|| ast_alertpipe_init(b->alert_pipe)) {
		ao2_ref(b, -1);
		return NULL;
	}

	ast_channel_lock(chan);
	ast_copy_string(b->channel_id, ast_channel_uniqueid(chan), sizeof(b->channel_id));
	ast_copy_string(b->channel_name, ast_channel_name(chan), sizeof(b->channel_name));
	ast_channel_unlock(chan);
	b->started = ast_tvnow();
	b->flags = flags;
	b->options = *options;
	b->offer = offer;
	b->state = BROADCAST_OPEN;
	b->sends_out = AST_VECTOR_SIZE(names);

	name_space = (char *) (b + 1);
	for (i = 0; i < AST_VECTOR_SIZE(names); i++) {
		struct broadcast_recipient recipient = { .name = name_space };
		size_t len = strlen(AST_VECTOR_GET(names, i)) + 1;

		memcpy(name_space, AST_VECTOR_GET(names, i), len);
		name_space += len;
		/* Cannot fail: the vector was sized for every name. */
		AST_VECTOR_APPEND(&b->recipients, recipient);
	}
	return b;
}

struct broadcast *broadcast_alloc(struct ast_channel *chan, unsigned int flags,
	const struct stasis_broadcast_options *options, const struct ast_vector_const_string *names)
{
	static const struct stasis_broadcast_options defaults = {
		.guard_ms = STASIS_BROADCAST_DEFAULT_GUARD_MS,
	};

	return broadcast_create(chan, flags, options ? options : &defaults, 1, names);
}

/*! \brief Whether \a r may still be offered the call again (not \a winner). */
static int still_offerable(const struct broadcast_recipient *r, const char *winner)
{
	return (!r->returned || r->live) && !r->declined && !r->dropped
		&& strcmp(r->name, S_OR(winner, ""));
}

struct broadcast *broadcast_next_offer(struct broadcast *previous, struct ast_channel *chan)
{
	struct ast_vector_const_string names;
	struct broadcast *next = NULL;
	int declined;
	size_t i;

	if (AST_VECTOR_INIT(&names, AST_VECTOR_SIZE(&previous->recipients))) {
		return NULL;
	}
	{
		SCOPED_AO2LOCK(lock, previous);

		for (i = 0; i < AST_VECTOR_SIZE(&previous->recipients); i++) {
			const struct broadcast_recipient *r =
				AST_VECTOR_GET_ADDR(&previous->recipients, i);

			/* Names are immutable: borrowed while we hold previous. */
			if (still_offerable(r, previous->winner)) {
				AST_VECTOR_APPEND(&names, r->name);
			}
		}
		declined = previous->declined_before + previous->declined;
	}

	if (AST_VECTOR_SIZE(&names)) {
		offer_shuffle(&names);
		next = broadcast_create(chan, previous->flags, &previous->options, previous->offer + 1,
			&names);
	}
	if (next) {
		next->declined_before = declined;
	}
	AST_VECTOR_FREE(&names);
	return next;
}

const char *broadcast_channel_id(const struct broadcast *b)
{
	return b->channel_id;
}

const char *broadcast_channel_name(const struct broadcast *b)
{
	return b->channel_name;
}

struct timeval broadcast_started(const struct broadcast *b)
{
	return b->started;
}

int broadcast_offer(const struct broadcast *b)
{
	return b->offer;
}

int broadcast_window_ms(const struct broadcast *b)
{
	return b->options.window_ms;
}

int broadcast_notifies_claimed(const struct broadcast *b)
{
	return !(b->flags & STASIS_BROADCAST_FLAG_SUPPRESS_CLAIMED);
}

size_t broadcast_candidate_count(const struct broadcast *b)
{
	return AST_VECTOR_SIZE(&b->recipients);
}

const char *broadcast_candidate_name(const struct broadcast *b, size_t i)
{
	return AST_VECTOR_GET_ADDR(&b->recipients, i)->name;
}

/*! \brief The candidate named \a app, or NULL. Call with the lock held. */
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

/*! \brief broadcast_recipients() with the lock held. */
static int recipients_locked(struct broadcast *b)
{
	return b->state == BROADCAST_OPEN ? b->live_count + b->sends_out : b->final_recipients;
}

/*! \brief Whether \a r may claim now: a recipient that neither declined nor left. */
static int may_claim(const struct broadcast_recipient *r)
{
	return r && r->live && !r->declined && !r->dropped;
}

/*!
 * \brief Whether nobody is left who could claim: every send is back, and no
 *        recipient may claim. Call with the lock held.
 */
static int nobody_left(struct broadcast *b)
{
	size_t i;

	if (b->sends_out) {
		return 0;
	}
	for (i = 0; i < AST_VECTOR_SIZE(&b->recipients); i++) {
		if (may_claim(AST_VECTOR_GET_ADDR(&b->recipients, i))) {
			return 0;
		}
	}
	return 1;
}

static void broadcast_end_locked(struct broadcast *b, enum broadcast_state state);

/*!
 * \brief End an open broadcast that nobody is left to claim: nobody was a
 *        recipient (BROADCAST_NO_RECIPIENTS), or every recipient declined or
 *        lost its connection (BROADCAST_NOBODY_LEFT). Call with the lock held.
 */
static void end_if_nobody_left(struct broadcast *b)
{
	if (b->state == BROADCAST_OPEN && nobody_left(b)) {
		broadcast_end_locked(b, b->live_count ? BROADCAST_NOBODY_LEFT : BROADCAST_NO_RECIPIENTS);
	}
}

/*!
 * \brief After a recipient answered, declined or left: end the broadcast if
 *        that decides it (best mode: everyone answered) or leaves nobody.
 *        Lock held.
 */
static void end_if_decided(struct broadcast *b);

/* --- the one way out of BROADCAST_OPEN ------------------------------------------ */

/*!
 * \brief End an open broadcast in \a state.
 *
 * Call with the broadcast locked and its state BROADCAST_OPEN. Fixes how many
 * recipients there were: every send that found a live connection, and every
 * send still to come back (it will be delivered: each connected application
 * sees every call), so STASISBROADCAST_RECIPIENTS, the AMI events and the CLI
 * report the same number whenever a slow send returns. Wakes the waiter, and
 * every claim waiting for its send.
 */
static void broadcast_end_locked(struct broadcast *b, enum broadcast_state state)
{
	ast_assert(b->state == BROADCAST_OPEN && state != BROADCAST_OPEN);
	b->final_recipients = recipients_locked(b);
	b->state = state;
	ast_cond_broadcast(&b->changed);
	ast_alertpipe_write(b->alert_pipe);
}

enum broadcast_state broadcast_close(struct broadcast *b, enum broadcast_state state)
{
	SCOPED_AO2LOCK(lock, b);

	if (b->state == BROADCAST_OPEN) {
		broadcast_end_locked(b, state);
	}
	return b->state;
}

/* --- a broadcast's life: registered, replaced, cleaned up ----------------------- */

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

/* --- the offer: how its sends end the broadcast --------------------------------- */

void broadcast_offer_began(struct broadcast *b)
{
	SCOPED_AO2LOCK(lock, b);

	if (!b->sends_out && b->state == BROADCAST_OPEN) {
		broadcast_end_locked(b, BROADCAST_NO_RECIPIENTS);
	}
}

void broadcast_offer_failed(struct broadcast *b)
{
	size_t i;
	SCOPED_AO2LOCK(lock, b);

	for (i = 0; i < AST_VECTOR_SIZE(&b->recipients); i++) {
		AST_VECTOR_GET_ADDR(&b->recipients, i)->returned = 1;
	}
	b->sends_out = 0;
	if (b->state == BROADCAST_OPEN) {
		broadcast_end_locked(b, BROADCAST_NO_RECIPIENTS);
	}
}

struct ast_json *broadcast_send_returned(struct broadcast *b, size_t i, int live)
{
	struct broadcast_recipient *r = AST_VECTOR_GET_ADDR(&b->recipients, i);
	SCOPED_AO2LOCK(lock, b);

	ast_assert(!r->returned);
	r->returned = 1;
	r->live = live ? 1 : 0;
	b->live_count += r->live;
	b->sends_out--;
	end_if_decided(b);
	/* A claim by this recipient may be waiting to be decided. */
	ast_cond_broadcast(&b->changed);
	/* CallClaimed owed since the claim (broadcast_claimed_owed()): a copy of
	 * its own, as for CallBroadcast. */
	return r->live && r->notify ? ast_json_deep_copy(b->claimed_event) : NULL;
}

int broadcast_claimed_owed(struct broadcast *b, struct ast_json *event,
	struct ast_vector_const_string *now)
{
	size_t i;
	SCOPED_AO2LOCK(lock, b);

	ast_json_unref(b->claimed_event);
	b->claimed_event = ast_json_ref(event);
	for (i = 0; i < AST_VECTOR_SIZE(&b->recipients); i++) {
		struct broadcast_recipient *r = AST_VECTOR_GET_ADDR(&b->recipients, i);

		if (!r->returned) {
			/* Sent right after its CallBroadcast, never before it. */
			r->notify = 1;
		} else if (r->live && AST_VECTOR_APPEND(now, r->name)) {
			return -1;
		}
	}
	return 0;
}

/* --- the claim ---------------------------------------------------------------------- */

/*! \brief A recipient's request, as its decision needs it. */
struct request {
	const char *app;
	/*! Its score (a claim in best mode) */
	long score;
	/*! Whether \c app is registered with Stasis right now (asked before
	 *  taking the lock: res_stasis has locks of its own) */
	int registered;
};

/*!
 * \brief Whether \a b may not be claimed by \a recipient, or not at all now.
 *        Call with the lock held.
 * \retval 0 it may: open, and \a recipient a recipient that may claim
 * \return otherwise the claim's answer
 */
static enum claim_result claim_refused(struct broadcast *b, struct broadcast_recipient *recipient,
	const struct request *request)
{
	if (!may_claim(recipient) || !request->registered) {
		/* Not a recipient of this broadcast: filtered out by app_filter or
		 * by its own event filter, not connected when it was offered, gone
		 * since, declined, or its send never came back (claimant_send_wait()). */
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
	return 0;
}

/*! \brief Make \a app the winner now. Lock held, broadcast open. */
static int win(struct broadcast *b, const char *app)
{
	b->winner = ast_strdup(app);
	if (!b->winner) {
		return -1;
	}
	b->claimed_at = ast_tvnow();
	broadcast_end_locked(b, BROADCAST_CLAIMED);
	return 0;
}

/*! \brief Decide a claim in first mode, with the broadcast locked: the first wins. */
static enum claim_result first_claim_decide(struct broadcast *b,
	struct broadcast_recipient *recipient, const struct request *request)
{
	enum claim_result refused = claim_refused(b, recipient, request);

	if (refused) {
		return refused;
	}
	return win(b, request->app) ? CLAIM_NOT_FOUND : CLAIM_WON;
}

/*!
 * \brief Best mode: decide for the best claim made so far, if any may still
 *        win (its claimant may still claim). Lock held, broadcast open.
 */
static void best_decide(struct broadcast *b)
{
	struct broadcast_recipient *best = NULL;
	int64_t decision_us;
	size_t i;

	for (i = 0; i < AST_VECTOR_SIZE(&b->recipients); i++) {
		struct broadcast_recipient *r = AST_VECTOR_GET_ADDR(&b->recipients, i);

		if (r->claimed && may_claim(r) && (!best || r->score > best->score
				|| (r->score == best->score && r->order < best->order))) {
			best = r;
		}
	}
	if (!best) {
		/* Every claimant left or declined: the next claim opens a window. */
		b->first_claim_at = ast_tv(0, 0);
		return;
	}
	b->score = best->score;
	decision_us = ast_tvdiff_us(ast_tvnow(), b->first_claim_at);
	if (!win(b, best->name)) {
		stats_best_decided(decision_us);
	}
}

/*!
 * \brief Whether every recipient that may claim has answered: claimed, or
 *        declined or gone (then it may not claim). Lock held.
 */
static int everyone_answered(struct broadcast *b)
{
	size_t i;

	if (b->sends_out) {
		return 0;
	}
	for (i = 0; i < AST_VECTOR_SIZE(&b->recipients); i++) {
		const struct broadcast_recipient *r = AST_VECTOR_GET_ADDR(&b->recipients, i);

		if (may_claim(r) && !r->claimed) {
			return 0;
		}
	}
	return 1;
}

static void end_if_decided(struct broadcast *b)
{
	if (b->state == BROADCAST_OPEN && !ast_tvzero(b->first_claim_at) && everyone_answered(b)) {
		best_decide(b);
	}
	end_if_nobody_left(b);
}

/*! \brief How long a claimant waits for the decision at most, beyond the window. */
#define CLAIM_DECISION_MARGIN_MS (60000 + 5000)

/*!
 * \brief Decide a claim in best mode, with the broadcast locked: record it,
 *        decide if everyone answered, and wait for the decision.
 */
static enum claim_result best_claim_decide(struct broadcast *b,
	struct broadcast_recipient *recipient, const struct request *request)
{
	enum claim_result refused = claim_refused(b, recipient, request);
	struct timeval until;
	struct timespec deadline;

	if (refused) {
		return refused;
	}
	if (recipient->claimed) {
		/* Its first claim stands, and will be answered. */
		return CLAIM_CONFLICT;
	}
	recipient->claimed = 1;
	recipient->score = request->score;
	recipient->order = b->claims++;
	if (ast_tvzero(b->first_claim_at)) {
		/* The window opens: the dialplan thread waits for its end. */
		b->first_claim_at = ast_tvnow();
		ast_alertpipe_write(b->alert_pipe);
	}
	if (everyone_answered(b)) {
		best_decide(b);
	}

	until = ast_tvadd(ast_tvnow(),
		ast_samp2tv(b->options.window_ms + CLAIM_DECISION_MARGIN_MS, 1000));
	deadline = (struct timespec) { .tv_sec = until.tv_sec, .tv_nsec = until.tv_usec * 1000 };
	while (b->state == BROADCAST_OPEN) {
		if (ast_cond_timedwait(&b->changed, ao2_object_get_lockaddr(b), &deadline)
			== ETIMEDOUT) {
			ast_log(LOG_WARNING, "%s: the claim by '%s' was not decided in time; refused\n",
				b->channel_name, request->app);
			recipient->claimed = 0;
			return CLAIM_NOT_FOUND;
		}
	}
	if (b->state != BROADCAST_CLAIMED) {
		/* Timed out without a claim that could still win, hung up, ended. */
		return CLAIM_NOT_FOUND;
	}
	return !strcmp(b->winner, request->app) ? CLAIM_WON : CLAIM_CONFLICT;
}

/*! \brief Decide a claim with the broadcast locked, as its mode says. */
static enum claim_result claim_decide(struct broadcast *b, struct broadcast_recipient *recipient,
	const struct request *request)
{
	return b->options.window_ms ? best_claim_decide(b, recipient, request)
		: first_claim_decide(b, recipient, request);
}

/*!
 * \brief Wait while \a recipient's own CallBroadcast has not come back, open
 *        or not (a claim that lost to another is a conflict only for a
 *        recipient). Call with the broadcast locked; the wait releases it.
 * \retval 0 nothing to wait for (any more)
 * \retval -1 still not back after CLAIM_SEND_WAIT_MS
 */
static int claimant_send_wait(struct broadcast *b, struct broadcast_recipient *recipient)
{
	struct timeval until = ast_tvadd(ast_tvnow(), ast_samp2tv(CLAIM_SEND_WAIT_MS, 1000));
	struct timespec deadline = { .tv_sec = until.tv_sec, .tv_nsec = until.tv_usec * 1000 };

	while (recipient && !recipient->returned) {
		if (ast_cond_timedwait(&b->changed, ao2_object_get_lockaddr(b), &deadline)
			== ETIMEDOUT) {
			return recipient->returned ? 0 : -1;
		}
	}
	return 0;
}

/*! \brief Decide a request with the broadcast locked. */
typedef enum claim_result (*request_decide)(struct broadcast *b,
	struct broadcast_recipient *recipient, const struct request *request);

/*!
 * \brief A recipient's request (\a request: "claim", "decline"): find the
 *        broadcast, wait for the claimant's own send, decide.
 * \param[out] decided the broadcast, if one was found (the caller owns the
 *             reference)
 */
static enum claim_result recipient_request(const char *channel_id, const char *app, long score,
	const char *what, request_decide decide, struct broadcast **decided)
{
	struct request request = { .app = app, .score = score };
	struct broadcast *b;
	enum claim_result result;
	int send_stuck;

	*decided = NULL;
	if (ast_strlen_zero(channel_id) || ast_strlen_zero(app)) {
		return CLAIM_NOT_FOUND;
	}
	b = broadcast_find(channel_id);
	if (!b) {
		ast_debug(3, "A %s by '%s' for channel '%s': no open broadcast\n", what, app, channel_id);
		return CLAIM_NOT_FOUND;
	}

	request.registered = host_app_is_registered(app);
	{
		SCOPED_AO2LOCK(lock, b);
		/* The candidates never change; their flags are read under the lock. */
		struct broadcast_recipient *recipient = recipient_find(b, app);

		send_stuck = claimant_send_wait(b, recipient);
		result = decide(b, recipient, &request);
	}

	if (send_stuck) {
		ast_log(LOG_WARNING, "%s: %s by '%s' refused: its CallBroadcast send has not "
			"returned after %d ms\n", b->channel_name, what, app, CLAIM_SEND_WAIT_MS);
	}
	ast_debug(result == CLAIM_WON ? 1 : 3, "%s: %s by '%s' %s\n", b->channel_name, what, app,
		result == CLAIM_WON ? "accepted" : result == CLAIM_CONFLICT
		? "refused: already claimed" : "refused: not eligible or not open");
	*decided = b;
	return result;
}

enum claim_result broadcast_claim(const char *channel_id, const char *app, long score,
	int64_t *latency_us)
{
	RAII_VAR(struct broadcast *, b, NULL, ao2_cleanup);
	enum claim_result result = recipient_request(channel_id, app, score, "claim", claim_decide, &b);

	/* claimed_at never changes once the claim won. */
	*latency_us = result == CLAIM_WON ? ast_tvdiff_us(b->claimed_at, b->started) : 0;
	return result;
}

/*! \brief Decide a decline with the broadcast locked (see broadcast_decline()). */
static enum claim_result decline_decide(struct broadcast *b,
	struct broadcast_recipient *recipient, const struct request *request)
{
	int declined_before = recipient && recipient->live && recipient->declined && !recipient->dropped;

	if ((!may_claim(recipient) && !declined_before) || !request->registered) {
		return CLAIM_NOT_FOUND;
	}
	if (b->state == BROADCAST_CLAIMED) {
		return CLAIM_CONFLICT;
	}
	if (b->state != BROADCAST_OPEN) {
		return CLAIM_NOT_FOUND;
	}
	if (!recipient->declined) {
		/* In best mode a claim of its own is withdrawn with it. */
		recipient->declined = 1;
		b->declined++;
		end_if_decided(b);
	}
	return CLAIM_WON;
}

enum claim_result broadcast_decline(const char *channel_id, const char *app)
{
	RAII_VAR(struct broadcast *, b, NULL, ao2_cleanup);

	return recipient_request(channel_id, app, 0, "decline", decline_decide, &b);
}

/* --- a recipient's connection lost, and the handoff to the winner ------------- */

/*! \brief Whether the winner, now lost, must give the call back. Lock held. */
static int winner_gives_back(struct broadcast *b)
{
	switch (b->handoff) {
	case HANDOFF_NONE:
		/* Its StasisStart is not even sent. */
		return 1;
	case HANDOFF_IN_STASIS:
		return b->options.guard_ms > 0 && ast_tvcmp(ast_tvnow(), b->guard_until) < 0;
	case HANDOFF_DONE:
		break;
	}
	return 0;
}

int broadcast_recipient_gone(struct broadcast *b, const char *app)
{
	struct broadcast_recipient *recipient;
	SCOPED_AO2LOCK(lock, b);

	recipient = recipient_find(b, app);
	if (!recipient || !recipient->live || recipient->dropped) {
		return 0;
	}
	recipient->dropped = 1;
	ast_cond_broadcast(&b->changed);
	end_if_decided(b);

	if (b->state != BROADCAST_CLAIMED || b->winner_lost || strcmp(b->winner, app)
		|| !winner_gives_back(b)) {
		return 0;
	}
	b->winner_lost = 1;
	ast_log(LOG_NOTICE, "%s: winner '%s' lost its connection %s\n", b->channel_name, app,
		b->handoff == HANDOFF_NONE ? "before its StasisStart" : "within the handoff guard");
	return b->handoff == HANDOFF_IN_STASIS;
}

int broadcast_handoff_begin(struct broadcast *b)
{
	SCOPED_AO2LOCK(lock, b);

	if (b->winner_lost) {
		b->handoff = HANDOFF_DONE;
		b->came_back = 1;
		return -1;
	}
	b->handoff = HANDOFF_IN_STASIS;
	b->guard_until = ast_tvadd(ast_tvnow(), ast_samp2tv(b->options.guard_ms, 1000));
	return 0;
}

int broadcast_handoff_end(struct broadcast *b, int exec_result, int refused)
{
	SCOPED_AO2LOCK(lock, b);

	b->handoff = HANDOFF_DONE;
	ast_cond_broadcast(&b->changed);
	if (refused && !b->winner_lost) {
		/* Stasis refused the channel: its winner was gone before its
		 * StasisStart, and we were not told (host.h), whatever the guard. */
		b->winner_lost = 1;
		ast_log(LOG_NOTICE, "%s: winner '%s' was gone when the channel was handed to it\n",
			b->channel_name, b->winner);
	}
	/* A session the winner ended itself stands, even if it was lost then. */
	b->came_back = b->winner_lost && (exec_result || b->evicted);
	return b->came_back;
}

int broadcast_evicting(struct broadcast *b)
{
	SCOPED_AO2LOCK(lock, b);

	if (!b->winner_lost || b->evicted || b->handoff != HANDOFF_IN_STASIS) {
		return 0;
	}
	b->evicted = 1;
	return 1;
}

int broadcast_handoff_wait(struct broadcast *b, int ms)
{
	struct timeval until = ast_tvadd(ast_tvnow(), ast_samp2tv(ms, 1000));
	struct timespec deadline = { .tv_sec = until.tv_sec, .tv_nsec = until.tv_usec * 1000 };
	SCOPED_AO2LOCK(lock, b);

	if (b->handoff == HANDOFF_IN_STASIS) {
		ast_cond_timedwait(&b->changed, ao2_object_get_lockaddr(b), &deadline);
	}
	return b->handoff == HANDOFF_IN_STASIS;
}

/* --- the wait: timeout and hangup ------------------------------------------------ */

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
 * \brief Milliseconds until the dialplan thread must look again: the
 *        timeout, or the end of a decision window opened by a first claim.
 *        When one of them has passed, act on it: decide for the best claim in
 *        (the window's end, or the timeout with a claim in), or time out.
 */
static int deadline_ms(struct broadcast *b, struct timeval start, int timeout_ms)
{
	int ms = ast_remaining_ms(start, timeout_ms);
	SCOPED_AO2LOCK(lock, b);

	if (b->state == BROADCAST_OPEN && !ast_tvzero(b->first_claim_at)) {
		int window = ast_remaining_ms(b->first_claim_at, b->options.window_ms);

		if (window <= 0 || ms <= 0) {
			best_decide(b);
		}
		ms = MIN(ms, window);
	}
	if (b->state == BROADCAST_OPEN && ms <= 0 && ast_remaining_ms(start, timeout_ms) <= 0) {
		broadcast_end_locked(b, BROADCAST_TIMED_OUT);
	}
	return b->state == BROADCAST_OPEN ? MAX(ms, 0) : 0;
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
	ms = deadline_ms(b, start, timeout_ms);
	if (ms <= 0) {
		return;
	}

	ready = ast_waitfor_nandfds(&chan, 1, &alert_fd, 1, NULL, &outfd, &ms);
	if (outfd == alert_fd) {
		ast_alertpipe_read(b->alert_pipe);
	} else if (ready && wait_consume_frame(chan)) {
		broadcast_close(b, BROADCAST_HUNG_UP);
	}
}

/*! \brief The state of \a b, read under its lock. */
static enum broadcast_state state_of(struct broadcast *b)
{
	SCOPED_AO2LOCK(lock, b);

	return b->state;
}

/*! \brief Set (or clear, with NULL) the channel a dialplan thread waits on. */
static struct ast_channel *waiter_set(struct broadcast *b, struct ast_channel *chan)
{
	struct ast_channel *previous;
	SCOPED_AO2LOCK(lock, b);

	previous = b->waiter;
	b->waiter = chan;
	return previous;
}

int broadcast_wait(struct broadcast *b, struct ast_channel *chan, int timeout_ms)
{
	struct timeval start = ast_tvnow();
	struct ast_channel *previous = waiter_set(b, ast_channel_ref(chan));
	enum broadcast_state state;

	ast_assert(previous == NULL);
	ast_channel_cleanup(previous);
	while ((state = state_of(b)) == BROADCAST_OPEN) {
		wait_once(b, chan, start, MAX(timeout_ms, 0));
	}
	ast_channel_unref(waiter_set(b, NULL));

	stats_broadcast_ended(state);
	ast_debug(1, "%s: broadcast %s\n", b->channel_name, broadcast_state_name(state));
	return state == BROADCAST_CLAIMED ? 0 : -1;
}

/* --- what the dialplan and operators are told ------------------------------------ */

int broadcast_recipients(struct broadcast *b)
{
	SCOPED_AO2LOCK(lock, b);

	return recipients_locked(b);
}

char *broadcast_winner(struct broadcast *b)
{
	SCOPED_AO2LOCK(lock, b);

	return b->winner ? ast_strdup(b->winner) : NULL;
}

int broadcast_may_claim(struct broadcast *b, const char *app)
{
	SCOPED_AO2LOCK(lock, b);

	return b->state == BROADCAST_OPEN && may_claim(recipient_find(b, app));
}

int broadcast_report(struct broadcast *b, const char *status)
{
	SCOPED_AO2LOCK(lock, b);

	ast_copy_string(b->final_status, status, sizeof(b->final_status));
	return b->state == BROADCAST_CLAIMED && !strcmp(status, "FAILED");
}

void broadcast_view(struct broadcast *b, struct broadcast_view *view)
{
	SCOPED_AO2LOCK(lock, b);

	view->state = b->state;
	view->recipients = recipients_locked(b);
	view->offer = b->offer;
	view->declined = b->declined_before + b->declined;
	view->window_ms = b->options.window_ms;
	ast_copy_string(view->winner, S_OR(b->winner, ""), sizeof(view->winner));
	view->winner_lost = b->came_back;
	view->score = b->score;
	view->claimed_at = b->claimed_at;
	view->latency_us = b->winner ? ast_tvdiff_us(b->claimed_at, b->started) : 0;
	view->age_ms = ast_tvdiff_ms(ast_tvnow(), b->started);
	ast_copy_string(view->final_status, b->final_status, sizeof(view->final_status));
}

/*! \brief STASISBROADCAST_REASON for a broadcast that ended in \a state. */
static const char *reason_of(const struct broadcast *b)
{
	switch (b->state) {
	case BROADCAST_CLAIMED:
		/* Came back, and not offered again: nobody was left to offer it to. */
		return b->came_back ? "WINNER_LOST" : "CLAIMED";
	case BROADCAST_HUNG_UP:
		return "HANGUP";
	case BROADCAST_NO_RECIPIENTS:
		return "NO_RECIPIENTS";
	case BROADCAST_NOBODY_LEFT:
		return b->declined_before + b->declined ? "DECLINED" : "NO_RECIPIENTS";
	case BROADCAST_OPEN:
	case BROADCAST_TIMED_OUT:
	case BROADCAST_ENDED:
		break;
	}
	return "TIMEOUT";
}

void broadcast_outcome(struct broadcast *b, struct stasis_broadcast_outcome *out)
{
	SCOPED_AO2LOCK(lock, b);

	memset(out, 0, sizeof(*out));
	out->recipients = recipients_locked(b);
	out->offers = b->offer;
	out->declined = b->declined_before + b->declined;
	out->scored = b->options.window_ms && b->state == BROADCAST_CLAIMED;
	out->score = out->scored ? b->score : 0;
	ast_copy_string(out->reason, reason_of(b), sizeof(out->reason));
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
	case BROADCAST_NOBODY_LEFT:
		return "nobody left";
	case BROADCAST_ENDED:
		return "ended";
	}
	return "unknown";
}
