/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief StasisBroadcast's counters, for modules that show them elsewhere
 *        (res_stasis_broadcast_prometheus.so).
 *
 * An optional API of res_stasis_broadcast.so: a module reads the same counters
 * the CLI shows, without depending on res_stasis_broadcast (while it is not
 * loaded, the call says so).
 */

#ifndef STASIS_BROADCAST_STATS_API_H
#define STASIS_BROADCAST_STATS_API_H

#include "asterisk/optional_api.h"

/*! Buckets of the claim latency histogram. */
#define STASIS_BROADCAST_LATENCY_BUCKETS 26

/*! Their upper bounds, in microseconds (ascending). */
#define STASIS_BROADCAST_LATENCY_BOUNDS_US { \
	100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10000, 15000, \
	20000, 30000, 50000, 75000, 100000, 200000, 500000, 1000000, 2000000, \
	5000000, 10000000, 30000000, 60000000, \
}

/*!
 * \brief Every counter, each exact; together a near-instant view.
 *
 * Each offer of a call counts as a broadcast and ends one way (claimed, timed
 * out, no recipients, nobody left, hung up, failed); an offer whose winner was
 * lost counts as claimed, and the offer after it among the broadcasts and the
 * re-offers.
 */
struct stasis_broadcast_stats {
	long broadcasts;
	long claimed;
	long timed_out;
	long no_recipients;
	long hung_up;
	long failed;
	/*! Ended because every recipient declined or lost its connection */
	long nobody_left;
	/*! Offers made again after a winner was lost (counted in broadcasts too) */
	long reoffers;
	/*! Winners that lost their connection before they had the call */
	long winners_lost;
	long claims_won;
	long claims_conflict;
	long claims_not_found;
	long declines_accepted;
	long declines_conflict;
	long declines_not_found;
	/*! Broadcasts in best mode decided for a claim, and how long after
	 *  their first claim (sum and max, microseconds) */
	long best_decisions;
	long decision_sum_us;
	long decision_max_us;
	long latency_count;
	long latency_max_us;
	long latency_sum_us;
	/*! Claims per latency bucket; the last one is above every bound */
	long latency_buckets[STASIS_BROADCAST_LATENCY_BUCKETS + 1];
	/*! When counting began: module load or the last reset (seconds) */
	long since;
	/*! Broadcasts in progress now (not a counter) */
	long live;
};

/*!
 * \brief Read every counter.
 * \retval 0 \a out is filled
 * \retval -1 res_stasis_broadcast does not provide it
 */
AST_OPTIONAL_API(int, stasis_broadcast_stats_read,
	(struct stasis_broadcast_stats *out),
	{ return -1; });

#endif /* STASIS_BROADCAST_STATS_API_H */
