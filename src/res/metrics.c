/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Prometheus metrics through res_prometheus, while it runs.
 *
 * We do not link against res_prometheus (it drags in res_pjsip), nor depend on
 * it: the module must load and work wherever res_prometheus is absent,
 * declined (no prometheus.conf), not loaded yet, or unloaded while we run.
 * module_watch.c tells us whenever it may have changed, with the loader held
 * still, and we register our scrape callback whenever it runs and we are not
 * registered with it. Its two functions are looked up then, from the
 * instance that runs: a res_prometheus loaded again may sit elsewhere.
 *
 * res_prometheus forgets every callback when it unloads, so an unload always
 * means we are no longer registered. The metrics are written in the text
 * exposition format from the same counters the CLI shows.
 */

#include "asterisk.h"

#include <dlfcn.h>

#include "asterisk/res_prometheus.h"
#include "asterisk/strings.h"

#include "registry.h"
#include "module_watch.h"
#include "operator.h"
#include "stats.h"

#define PREFIX "asterisk_stasis_broadcast_"

/*! The unregister function of the res_prometheus we registered with, NULL
 *  if we are not registered. Only touched with the loader held still. */
static void (*registered_with)(struct prometheus_callback *callback);

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

/*! \brief Register with a running res_prometheus. */
static void metrics_register(void)
{
	int (*callback_register)(struct prometheus_callback *callback);
	void (*callback_unregister)(struct prometheus_callback *callback);

	callback_register = dlsym(RTLD_DEFAULT, "prometheus_callback_register");
	callback_unregister = dlsym(RTLD_DEFAULT, "prometheus_callback_unregister");
	if (!callback_register || !callback_unregister) {
		ast_log(LOG_WARNING, "res_prometheus runs but has no prometheus_callback_register(): "
			"no StasisBroadcast metrics\n");
		return;
	}
	if (callback_register(&metrics_callback)) {
		ast_log(LOG_WARNING, "Could not register StasisBroadcast metrics with res_prometheus\n");
		return;
	}
	registered_with = callback_unregister;
	ast_verb(2, "StasisBroadcast metrics registered with res_prometheus\n");
}

static int follow_prometheus(int running, enum module_change change)
{
	if (change == MODULE_UNLOADED && registered_with) {
		/* It dropped our callback with everything else. */
		registered_with = NULL;
		ast_verb(2, "res_prometheus unloaded: no StasisBroadcast metrics until it runs again\n");
	}
	if (running && !registered_with) {
		metrics_register();
	} else if (!running) {
		registered_with = NULL;
	}
	return 0;
}

const struct module_follower metrics_follower = {
	.module = "res_prometheus.so",
	.follow = follow_prometheus,
};

void metrics_unregister(void)
{
	/* Our unload holds the loader: res_prometheus cannot go meanwhile. */
	if (registered_with && module_watch_running(metrics_follower.module)) {
		registered_with(&metrics_callback);
	}
	registered_with = NULL;
}
