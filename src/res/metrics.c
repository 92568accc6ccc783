/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Prometheus metrics through res_prometheus, when it is loaded.
 *
 * We do not link against res_prometheus: it drags in res_pjsip, and the
 * module must load without it. Instead its two registration functions are
 * looked up at load time; res_prometheus is an optional module of ours, so
 * when it is configured to load it loads first. The metrics are written in
 * the text exposition format from the same counters the CLI shows.
 */

#include "asterisk.h"

#include <dlfcn.h>

#include "asterisk/res_prometheus.h"
#include "asterisk/strings.h"

#include "broadcast.h"
#include "operator.h"
#include "stats.h"

#define PREFIX "asterisk_stasis_broadcast_"

static int (*callback_register)(struct prometheus_callback *callback);
static void (*callback_unregister)(struct prometheus_callback *callback);

/*! \brief One "# HELP" and "# TYPE" header. */
static void metric_header(struct ast_str **out, const char *name, const char *type,
	const char *help)
{
	ast_str_append(out, 0, "# HELP " PREFIX "%s %s\n# TYPE " PREFIX "%s %s\n",
		name, help, name, type);
}

static void metrics_write(struct ast_str **out)
{
	struct stats_snapshot s;
	long cumulative = 0;
	int bucket;

	stats_read(&s);

	metric_header(out, "broadcasts_total", "counter", "Broadcasts begun (StasisBroadcast calls).");
	ast_str_append(out, 0, PREFIX "broadcasts_total %ld\n", s.broadcasts);

	metric_header(out, "outcomes_total", "counter", "How broadcasts ended.");
	ast_str_append(out, 0,
		PREFIX "outcomes_total{outcome=\"claimed\"} %ld\n"
		PREFIX "outcomes_total{outcome=\"timed_out\"} %ld\n"
		PREFIX "outcomes_total{outcome=\"no_recipients\"} %ld\n"
		PREFIX "outcomes_total{outcome=\"hung_up\"} %ld\n"
		PREFIX "outcomes_total{outcome=\"failed\"} %ld\n",
		s.claimed, s.timed_out, s.no_recipients, s.hung_up, s.failed);

	metric_header(out, "claims_total", "counter", "Claims by result.");
	ast_str_append(out, 0,
		PREFIX "claims_total{result=\"accepted\"} %ld\n"
		PREFIX "claims_total{result=\"conflict\"} %ld\n"
		PREFIX "claims_total{result=\"not_found\"} %ld\n",
		s.claims_won, s.claims_conflict, s.claims_not_found);

	metric_header(out, "live", "gauge", "Broadcasts in progress.");
	ast_str_append(out, 0, PREFIX "live %d\n", broadcast_count());

	metric_header(out, "claim_latency_seconds", "histogram",
		"From the start of a broadcast to its accepted claim.");
	for (bucket = 0; bucket < STATS_LATENCY_BUCKETS; bucket++) {
		cumulative += s.latency_buckets[bucket];
		ast_str_append(out, 0, PREFIX "claim_latency_seconds_bucket{le=\"%g\"} %ld\n",
			stats_latency_bounds_us[bucket] / 1e6, cumulative);
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

void metrics_register(void)
{
	callback_register = dlsym(RTLD_DEFAULT, "prometheus_callback_register");
	callback_unregister = dlsym(RTLD_DEFAULT, "prometheus_callback_unregister");
	if (!callback_register || !callback_unregister) {
		ast_debug(1, "res_prometheus is not loaded; no StasisBroadcast metrics\n");
		callback_register = NULL;
		return;
	}
	if (callback_register(&metrics_callback)) {
		ast_log(LOG_WARNING, "Could not register StasisBroadcast metrics with res_prometheus\n");
		callback_register = NULL;
	}
}

void metrics_unregister(void)
{
	if (callback_register) {
		callback_unregister(&metrics_callback);
		callback_register = NULL;
	}
}
