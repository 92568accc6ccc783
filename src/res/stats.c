/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Cumulative statistics, kept with atomic adds only.
 */

#include "asterisk.h"

#include "asterisk/lock.h"

#include "stats.h"

static const long latency_bounds_us[STASIS_BROADCAST_LATENCY_BUCKETS] =
	STASIS_BROADCAST_LATENCY_BOUNDS_US;

/* A struct of plain longs touched only through the __atomic builtins. */
static struct stasis_broadcast_stats counters;

#define COUNT(field, n) __atomic_add_fetch(&counters.field, (n), __ATOMIC_RELAXED)

/*! \brief Raise \a field to \a value if it is below, atomically. */
static void count_max(long *field, long value)
{
	long seen = __atomic_load_n(field, __ATOMIC_RELAXED);

	while (value > seen && !__atomic_compare_exchange_n(field, &seen, value, 0,
		__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
	}
}

void stats_broadcast_started(void)
{
	COUNT(broadcasts, 1);
}

void stats_broadcast_failed(void)
{
	COUNT(broadcasts, 1);
	COUNT(failed, 1);
}

void stats_session_failed(void)
{
	COUNT(failed, 1);
}

void stats_broadcast_ended(enum broadcast_state state)
{
	switch (state) {
	case BROADCAST_CLAIMED:
		COUNT(claimed, 1);
		break;
	case BROADCAST_TIMED_OUT:
		COUNT(timed_out, 1);
		break;
	case BROADCAST_NO_RECIPIENTS:
		COUNT(no_recipients, 1);
		break;
	case BROADCAST_HUNG_UP:
		COUNT(hung_up, 1);
		break;
	case BROADCAST_NOBODY_LEFT:
		COUNT(nobody_left, 1);
		break;
	case BROADCAST_OPEN:
	case BROADCAST_ENDED:
		break;
	}
}

void stats_reoffered(void)
{
	COUNT(broadcasts, 1);
	COUNT(reoffers, 1);
}

void stats_winner_lost(void)
{
	COUNT(winners_lost, 1);
}

void stats_best_decided(int64_t decision_us)
{
	COUNT(best_decisions, 1);
	COUNT(decision_sum_us, decision_us);
	count_max(&counters.decision_max_us, decision_us);
}

void stats_decline_counted(enum claim_result result)
{
	switch (result) {
	case CLAIM_WON:
		COUNT(declines_accepted, 1);
		break;
	case CLAIM_CONFLICT:
		COUNT(declines_conflict, 1);
		break;
	case CLAIM_NOT_FOUND:
		COUNT(declines_not_found, 1);
		break;
	}
}

void stats_claim_counted(enum claim_result result, int64_t latency_us)
{
	int bucket;

	switch (result) {
	case CLAIM_CONFLICT:
		COUNT(claims_conflict, 1);
		return;
	case CLAIM_NOT_FOUND:
		COUNT(claims_not_found, 1);
		return;
	case CLAIM_WON:
		break;
	}
	COUNT(claims_won, 1);
	COUNT(latency_count, 1);
	COUNT(latency_sum_us, latency_us);
	for (bucket = 0; bucket < STASIS_BROADCAST_LATENCY_BUCKETS; bucket++) {
		if (latency_us <= latency_bounds_us[bucket]) {
			break;
		}
	}
	COUNT(latency_buckets[bucket], 1);
	count_max(&counters.latency_max_us, latency_us);
}

void stats_read(struct stasis_broadcast_stats *out)
{
	long *from = (long *) &counters;
	long *to = (long *) out;
	size_t i;

	for (i = 0; i < sizeof(counters) / sizeof(long); i++) {
		to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
	}
}

void stats_reset(void)
{
	long *field = (long *) &counters;
	size_t i;

	for (i = 0; i < sizeof(counters) / sizeof(long); i++) {
		__atomic_store_n(&field[i], 0, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&counters.since, (long) time(NULL), __ATOMIC_RELAXED);
}

long stats_latency_percentile_us(const struct stasis_broadcast_stats *s, int permille)
{
	long target, seen = 0;
	int bucket;

	if (!s->latency_count) {
		return 0;
	}
	target = (s->latency_count * permille + 999) / 1000;
	for (bucket = 0; bucket < STASIS_BROADCAST_LATENCY_BUCKETS; bucket++) {
		seen += s->latency_buckets[bucket];
		if (seen >= target) {
			return MIN(latency_bounds_us[bucket], s->latency_max_us);
		}
	}
	return s->latency_max_us;
}
