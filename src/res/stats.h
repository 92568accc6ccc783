/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Cumulative statistics: counters and the claim latency histogram.
 *
 * Every counter is a lone atomic integer, so counting never takes a lock and
 * never serialises broadcasts against each other.
 */

#ifndef STASIS_BROADCAST_STATS_H
#define STASIS_BROADCAST_STATS_H

#include <stdint.h>

#include "broadcast.h"

/*! Upper bounds (microseconds) of the claim latency histogram buckets. */
#define STATS_LATENCY_BUCKETS 26

struct stats_snapshot {
	long broadcasts;
	long claimed;
	long timed_out;
	long no_recipients;
	long hung_up;
	long failed;
	long claims_won;
	long claims_conflict;
	long claims_not_found;
	long latency_count;
	long latency_max_us;
	long latency_sum_us;
	long latency_buckets[STATS_LATENCY_BUCKETS + 1];
	/*! When counting began: module load or the last reset (seconds) */
	long since;
};

/*! \brief The histogram's bucket bounds, in microseconds (ascending). */
extern const long stats_latency_bounds_us[STATS_LATENCY_BUCKETS];

void stats_broadcast_started(void);
/*! \brief A broadcast that could not be made (bad filter, no memory). */
void stats_broadcast_failed(void);
/*! \brief A claimed broadcast whose Stasis session then failed. */
void stats_session_failed(void);
void stats_broadcast_ended(enum broadcast_state state);
void stats_claim_counted(enum claim_result result, int64_t latency_us);

/*! \brief Read all counters (each exact; together a near-instant view). */
void stats_read(struct stats_snapshot *out);
void stats_reset(void);

/*! \brief Latency (us) below which \a permille of the claims fall, from the histogram. */
long stats_latency_percentile_us(const struct stats_snapshot *s, int permille);

#endif /* STASIS_BROADCAST_STATS_H */
