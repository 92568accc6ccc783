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
 * never serialises broadcasts against each other. The CLI reads them here;
 * other modules through stasis_broadcast_stats_read().
 */

#ifndef STASIS_BROADCAST_STATS_H
#define STASIS_BROADCAST_STATS_H

#include <stdint.h>

#include "stasis_broadcast_stats.h"

#include "broadcast.h"

void stats_broadcast_started(void);
/*! \brief A broadcast that could not be made (bad filter, no memory). */
void stats_broadcast_failed(void);
/*! \brief A claimed broadcast whose Stasis session then failed. */
void stats_session_failed(void);
void stats_broadcast_ended(enum broadcast_state state);
/*! \brief An offer made again after its winner was lost. */
void stats_reoffered(void);
/*! \brief A winner lost its connection before it had the call. */
void stats_winner_lost(void);
void stats_claim_counted(enum claim_result result, int64_t latency_us);
void stats_decline_counted(enum claim_result result);
/*! \brief A broadcast in best mode decided, \a decision_us after its first claim. */
void stats_best_decided(int64_t decision_us);

/*! \brief Read all counters (but \c live, which is the registry's). */
void stats_read(struct stasis_broadcast_stats *out);
void stats_reset(void);

/*! \brief Latency (us) below which \a permille of the claims fall, from the histogram. */
long stats_latency_percentile_us(const struct stasis_broadcast_stats *s, int permille);

#endif /* STASIS_BROADCAST_STATS_H */
