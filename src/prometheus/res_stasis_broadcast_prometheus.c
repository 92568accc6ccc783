/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief StasisBroadcast's counters as Prometheus metrics.
 *
 * A module of its own that requires res_prometheus, as Asterisk splits what
 * needs another module into modules of their own (res_pjsip_*): so
 * res_prometheus absent, declined (no prometheus.conf), loaded later or
 * unloaded is the loader's business, not res_stasis_broadcast's, which loads
 * and works wherever the stock module does. The loader starts this module
 * after res_prometheus, refuses to unload res_prometheus under it, and says
 * why in "module show"; "module load res_stasis_broadcast_prometheus.so"
 * after loading res_prometheus by hand brings the metrics.
 *
 * The metrics are written in the text exposition format at every scrape, from
 * the counters the CLI shows, read through res_stasis_broadcast's optional API
 * (stasis_broadcast_stats_read()), as Asterisk's own res_ari_events reaches
 * res_stasis_broadcast's: not a dependency of the loader's. The loader keeps
 * the references a module took on its running dependencies when it declines,
 * so a metrics module requiring res_stasis_broadcast too would hold it, once
 * declined for want of res_prometheus, and "module unload
 * res_stasis_broadcast.so" would be refused in every configuration without
 * Prometheus. Without res_stasis_broadcast the scrape has no StasisBroadcast
 * metrics.
 */

/*** MODULEINFO
	<depend>res_prometheus</depend>
	<support_level>extended</support_level>
 ***/

#include "asterisk.h"

#include "asterisk/module.h"
#include "asterisk/res_prometheus.h"
#include "asterisk/strings.h"

#include "stasis_broadcast_stats.h"

#define PREFIX "asterisk_stasis_broadcast_"

static const long latency_bounds_us[STASIS_BROADCAST_LATENCY_BUCKETS] =
	STASIS_BROADCAST_LATENCY_BOUNDS_US;

/*! \brief One "# HELP" and "# TYPE" header. */
static void metric_header(struct ast_str **out, const char *name, const char *type,
	const char *help)
{
	ast_str_append(out, 0, "# HELP " PREFIX "%s %s\n# TYPE " PREFIX "%s %s\n",
		name, help, name, type);
}

/*! \brief A metric of one value. */
static void metric(struct ast_str **out, const char *name, const char *type, const char *help,
	long value)
{
	metric_header(out, name, type, help);
	ast_str_append(out, 0, PREFIX "%s %ld\n", name, value);
}

/*! \brief A counter of requests by their answer: accepted, conflict, not found. */
static void by_result(struct ast_str **out, const char *name, const char *help,
	long accepted, long conflict, long not_found)
{
	metric_header(out, name, "counter", help);
	ast_str_append(out, 0,
		PREFIX "%s{result=\"accepted\"} %ld\n"
		PREFIX "%s{result=\"conflict\"} %ld\n"
		PREFIX "%s{result=\"not_found\"} %ld\n",
		name, accepted, name, conflict, name, not_found);
}

static void metrics_write(struct ast_str **out)
{
	struct stasis_broadcast_stats s;
	long cumulative = 0;
	int bucket;

	if (stasis_broadcast_stats_read(&s)) {
		return;
	}

	metric(out, "broadcasts_total", "counter",
		"Broadcasts begun (each offer of a call: StasisBroadcast calls and re-offers).",
		s.broadcasts);

	metric_header(out, "outcomes_total", "counter", "How broadcasts ended.");
	ast_str_append(out, 0,
		PREFIX "outcomes_total{outcome=\"claimed\"} %ld\n"
		PREFIX "outcomes_total{outcome=\"timed_out\"} %ld\n"
		PREFIX "outcomes_total{outcome=\"no_recipients\"} %ld\n"
		PREFIX "outcomes_total{outcome=\"nobody_left\"} %ld\n"
		PREFIX "outcomes_total{outcome=\"hung_up\"} %ld\n"
		PREFIX "outcomes_total{outcome=\"failed\"} %ld\n",
		s.claimed, s.timed_out, s.no_recipients, s.nobody_left, s.hung_up, s.failed);

	metric(out, "reoffers_total", "counter",
		"Offers made again after a winner lost its connection (counted in broadcasts_total too).",
		s.reoffers);
	metric(out, "winners_lost_total", "counter",
		"Winners that lost their connection before they had the call.", s.winners_lost);

	by_result(out, "declines_total", "Declines by result.",
		s.declines_accepted, s.declines_conflict, s.declines_not_found);

	by_result(out, "claims_total", "Claims by result.",
		s.claims_won, s.claims_conflict, s.claims_not_found);

	metric_header(out, "best_decision_seconds", "summary",
		"Best mode (w()): from a broadcast's first claim to its decision.");
	ast_str_append(out, 0,
		PREFIX "best_decision_seconds_sum %.6f\n"
		PREFIX "best_decision_seconds_count %ld\n",
		s.decision_sum_us / 1e6, s.best_decisions);

	metric(out, "live", "gauge", "Broadcasts in progress.", s.live);

	metric_header(out, "claim_latency_seconds", "histogram",
		"From the start of a broadcast to its accepted claim.");
	for (bucket = 0; bucket < STASIS_BROADCAST_LATENCY_BUCKETS; bucket++) {
		cumulative += s.latency_buckets[bucket];
		ast_str_append(out, 0, PREFIX "claim_latency_seconds_bucket{le=\"%g\"} %ld\n",
			latency_bounds_us[bucket] / 1e6, cumulative);
	}
	ast_str_append(out, 0,
		PREFIX "claim_latency_seconds_bucket{le=\"+Inf\"} %ld\n"
		PREFIX "claim_latency_seconds_sum %.6f\n"
		PREFIX "claim_latency_seconds_count %ld\n",
		s.latency_count, s.latency_sum_us / 1e6, s.latency_count);
}

static struct prometheus_callback metrics_callback = {
	.name = "StasisBroadcast",
	.callback_fn = metrics_write,
};

static int unload_module(void)
{
	prometheus_callback_unregister(&metrics_callback);
	return 0;
}

static int load_module(void)
{
	return prometheus_callback_register(&metrics_callback)
		? AST_MODULE_LOAD_DECLINE : AST_MODULE_LOAD_SUCCESS;
}

AST_MODULE_INFO(ASTERISK_GPL_KEY, AST_MODFLAG_DEFAULT,
	"StasisBroadcast strict: Prometheus metrics",
	.support_level = AST_MODULE_SUPPORT_EXTENDED,
	.load = load_module,
	.unload = unload_module,
	.requires = "res_prometheus",
);
