/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief CLI: stasis broadcast show channels | show stats | reset stats
 */

#include "asterisk.h"

#include "asterisk/cli.h"
#include "asterisk/localtime.h"
#include "asterisk/time.h"

#include "claim.h"
#include "registry.h"
#include "operator.h"
#include "stats.h"

#define CHANNELS_FORMAT "%-40.40s %9s %5s %10s %8s %-13s %s\n"

static char *handle_show_channels(struct ast_cli_entry *e, int cmd, struct ast_cli_args *a)
{
	struct ao2_iterator it;
	struct broadcast *b;
	int count = 0;

	switch (cmd) {
	case CLI_INIT:
		e->command = "stasis broadcast show channels";
		e->usage =
			"Usage: stasis broadcast show channels\n"
			"       Lists the live broadcasts: the channel, how long ago it was offered\n"
			"       (ms), which offer of the call it is (more than 1 when a winner lost\n"
			"       its connection and the call was offered again), to how many\n"
			"       applications, how many declined it, its state (open, claimed, timed\n"
			"       out, hung up, no recipients, nobody left) and the winning application\n"
			"       (\"lost\" after it when it lost its connection before it had the call).\n";
		return NULL;
	case CLI_GENERATE:
		return NULL;
	}
	if (a->argc != e->args) {
		return CLI_SHOWUSAGE;
	}

	ast_cli(a->fd, CHANNELS_FORMAT, "Channel", "Age (ms)", "Offer", "Recipients", "Declined",
		"State", "Winner");
	it = broadcast_iterator();
	for (; (b = ao2_iterator_next(&it)); ao2_ref(b, -1)) {
		struct broadcast_view view;
		char age[16], offer[8], recipients[16], declined[16], winner[272];

		broadcast_view(b, &view);
		snprintf(age, sizeof(age), "%" PRId64, view.age_ms);
		snprintf(offer, sizeof(offer), "%d", view.offer);
		snprintf(recipients, sizeof(recipients), "%d", view.recipients);
		snprintf(declined, sizeof(declined), "%d", view.declined);
		snprintf(winner, sizeof(winner), "%s%s", S_OR(view.winner, "-"),
			view.winner_lost ? " (lost)" : "");
		ast_cli(a->fd, CHANNELS_FORMAT, broadcast_channel_name(b), age, offer, recipients,
			declined, broadcast_state_name(view.state), winner);
		count++;
	}
	ao2_iterator_destroy(&it);
	ast_cli(a->fd, "%d live broadcast%s\n", count, count == 1 ? "" : "s");
	return CLI_SUCCESS;
}

/*! \brief Print a latency in microseconds as milliseconds. */
static void print_latency(int fd, const char *label, long us, const char *prefix)
{
	ast_cli(fd, "  %-6s %s%ld.%03ld ms\n", label, prefix, us / 1000, us % 1000);
}

static char *handle_show_stats(struct ast_cli_entry *e, int cmd, struct ast_cli_args *a)
{
	struct stasis_broadcast_stats s;
	struct ast_tm tm;
	struct timeval since;
	char when[64];

	switch (cmd) {
	case CLI_INIT:
		e->command = "stasis broadcast show stats";
		e->usage =
			"Usage: stasis broadcast show stats\n"
			"       Shows counts since the module loaded or the last reset: broadcasts\n"
			"       (each offer of a call, a re-offer after a lost winner included) and\n"
			"       how they ended, winners that lost their connection before they had\n"
			"       the call, claims and declines by result, and the claim latency (from\n"
			"       the start of the broadcast to the accepted claim) percentiles.\n"
			"       Percentiles are the upper bounds of histogram buckets.\n";
		return NULL;
	case CLI_GENERATE:
		return NULL;
	}
	if (a->argc != e->args) {
		return CLI_SHOWUSAGE;
	}

	stats_read(&s);
	since = ast_tv(s.since, 0);
	ast_localtime(&since, &tm, NULL);
	ast_strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);

	ast_cli(a->fd, "Since: %s\n", when);
	ast_cli(a->fd, "Broadcasts:            %ld\n", s.broadcasts);
	ast_cli(a->fd, "  claimed:             %ld\n", s.claimed);
	ast_cli(a->fd, "  timed out:           %ld\n", s.timed_out);
	ast_cli(a->fd, "  no recipients:       %ld\n", s.no_recipients);
	ast_cli(a->fd, "  nobody left:         %ld\n", s.nobody_left);
	ast_cli(a->fd, "  hung up:             %ld\n", s.hung_up);
	ast_cli(a->fd, "  failed:              %ld\n", s.failed);
	ast_cli(a->fd, "  live now:            %d\n", broadcast_count());
	ast_cli(a->fd, "  re-offers:           %ld\n", s.reoffers);
	ast_cli(a->fd, "Winners lost:          %ld\n", s.winners_lost);
	ast_cli(a->fd, "Claims:\n");
	ast_cli(a->fd, "  accepted (204):      %ld\n", s.claims_won);
	ast_cli(a->fd, "  conflict (409):      %ld\n", s.claims_conflict);
	ast_cli(a->fd, "  refused (404):       %ld\n", s.claims_not_found);
	ast_cli(a->fd, "Best mode (w()): decided %ld, from the first claim: mean %ld.%03ld ms, "
		"max %ld.%03ld ms\n", s.best_decisions,
		s.best_decisions ? s.decision_sum_us / s.best_decisions / 1000 : 0,
		s.best_decisions ? s.decision_sum_us / s.best_decisions % 1000 : 0,
		s.decision_max_us / 1000, s.decision_max_us % 1000);
	ast_cli(a->fd, "Declines:\n");
	ast_cli(a->fd, "  accepted (204):      %ld\n", s.declines_accepted);
	ast_cli(a->fd, "  conflict (409):      %ld\n", s.declines_conflict);
	ast_cli(a->fd, "  refused (404):       %ld\n", s.declines_not_found);
	ast_cli(a->fd, "Claim latency (broadcast start to accepted claim), %ld claims:\n",
		s.latency_count);
	print_latency(a->fd, "p50", stats_latency_percentile_us(&s, 500), "<= ");
	print_latency(a->fd, "p90", stats_latency_percentile_us(&s, 900), "<= ");
	print_latency(a->fd, "p99", stats_latency_percentile_us(&s, 990), "<= ");
	print_latency(a->fd, "max", s.latency_max_us, "");
	return CLI_SUCCESS;
}

static char *handle_reset_stats(struct ast_cli_entry *e, int cmd, struct ast_cli_args *a)
{
	switch (cmd) {
	case CLI_INIT:
		e->command = "stasis broadcast reset stats";
		e->usage =
			"Usage: stasis broadcast reset stats\n"
			"       Sets every StasisBroadcast counter and the latency histogram\n"
			"       (also those seen by Prometheus) back to zero.\n";
		return NULL;
	case CLI_GENERATE:
		return NULL;
	}
	if (a->argc != e->args) {
		return CLI_SHOWUSAGE;
	}
	stats_reset();
	ast_cli(a->fd, "StasisBroadcast statistics reset\n");
	return CLI_SUCCESS;
}

static struct ast_cli_entry cli_commands[] = {
	AST_CLI_DEFINE(handle_show_channels, "List live StasisBroadcast broadcasts"),
	AST_CLI_DEFINE(handle_show_stats, "Show StasisBroadcast statistics"),
	AST_CLI_DEFINE(handle_reset_stats, "Reset StasisBroadcast statistics"),
};

int cli_register(void)
{
	return ast_cli_register_multiple(cli_commands, ARRAY_LEN(cli_commands));
}

void cli_unregister(void)
{
	ast_cli_unregister_multiple(cli_commands, ARRAY_LEN(cli_commands));
}
