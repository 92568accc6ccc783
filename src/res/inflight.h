/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Requests inside our code, and a wait until there are none.
 *
 * ARI and the HTTP server release their own lists (of handlers, of URIs)
 * before they call into a module, so taking ours out of those lists does not
 * mean nobody is inside it. A module's unload must wait until every request
 * in progress has left its callbacks, before its code can go away: each
 * callback is bracketed by inflight_enter() and inflight_leave(), and the
 * unload calls inflight_wait_idle() once nothing new can come in.
 */

#ifndef STASIS_BROADCAST_INFLIGHT_H
#define STASIS_BROADCAST_INFLIGHT_H

#include "asterisk/lock.h"

/*! \brief A count of requests in progress; guarded by its lock. */
struct inflight {
	ast_mutex_t lock;
	/*! Signalled when count reaches zero */
	ast_cond_t idle;
	int count;
};

#define INFLIGHT_INIT_VALUE { .lock = AST_MUTEX_INIT_VALUE, .idle = PTHREAD_COND_INITIALIZER }

static inline void inflight_enter(struct inflight *inflight)
{
	SCOPED_MUTEX(lock, &inflight->lock);

	inflight->count++;
}

static inline void inflight_leave(struct inflight *inflight)
{
	SCOPED_MUTEX(lock, &inflight->lock);

	if (!--inflight->count) {
		ast_cond_broadcast(&inflight->idle);
	}
}

/*! \brief Wait until no request is inside (a claim takes microseconds). */
static inline void inflight_wait_idle(struct inflight *inflight)
{
	SCOPED_MUTEX(lock, &inflight->lock);

	while (inflight->count) {
		ast_cond_wait(&inflight->idle, &inflight->lock);
	}
}

#endif /* STASIS_BROADCAST_INFLIGHT_H */
