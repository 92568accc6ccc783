/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief AMI events: StasisBroadcastBegin, StasisBroadcastClaimed,
 *        StasisBroadcastEnd. Documented in docs/xml/.
 *
 * manager_event() returns at once when no AMI session is connected, so the
 * events cost nothing unless someone listens.
 */

#include "asterisk.h"

#include "asterisk/manager.h"
#include "asterisk/time.h"

#include "ami.h"
#include "claim.h"

void ami_broadcast_begin(struct broadcast *b, const char *app_filter, int timeout_ms)
{
	manager_event(EVENT_FLAG_CALL, "StasisBroadcastBegin",
		"Channel: %s\r\n"
		"Uniqueid: %s\r\n"
		"Recipients: %d\r\n"
		"Candidates: %zu\r\n"
		"AppFilter: %s\r\n"
		"Timeout: %d\r\n"
		"Offer: %d\r\n"
		"Mode: %s\r\n"
		"WindowMs: %d\r\n",
		broadcast_channel_name(b), broadcast_channel_id(b), broadcast_recipients(b),
		broadcast_candidate_count(b), S_OR(app_filter, ""), timeout_ms, broadcast_offer(b),
		broadcast_window_ms(b) ? "best" : "first", broadcast_window_ms(b));
}

void ami_broadcast_winner_lost(struct broadcast *b)
{
	struct broadcast_view view;

	broadcast_view(b, &view);
	manager_event(EVENT_FLAG_CALL, "StasisBroadcastWinnerLost",
		"Channel: %s\r\n"
		"Uniqueid: %s\r\n"
		"Winner: %s\r\n"
		"Offer: %d\r\n",
		broadcast_channel_name(b), broadcast_channel_id(b), view.winner, view.offer);
}

void ami_broadcast_claimed(struct broadcast *b)
{
	struct broadcast_view view;

	broadcast_view(b, &view);
	manager_event(EVENT_FLAG_CALL, "StasisBroadcastClaimed",
		"Channel: %s\r\n"
		"Uniqueid: %s\r\n"
		"Winner: %s\r\n"
		"LatencyUs: %" PRId64 "\r\n"
		"Offer: %d\r\n"
		"Mode: %s\r\n"
		"Score: %ld\r\n",
		broadcast_channel_name(b), broadcast_channel_id(b), view.winner, view.latency_us,
		view.offer, view.window_ms ? "best" : "first", view.score);
}

/*!
 * \brief The Status of StasisBroadcastEnd: how the broadcast ended.
 *
 * The broadcast's own end decides, so that AMI and the statistics (stats.c
 * counts by state) always agree: a timeout stays a TIMEOUT even if the caller
 * hung up before the application returned. For a claimed call, the session's
 * result as the application reported it (its STASISSTATUS).
 */
static const char *end_status(const struct broadcast_view *view)
{
	switch (view->state) {
	case BROADCAST_CLAIMED:
		/* CLAIMED: a caller of the C API that reported no session result. */
		return S_OR(view->final_status, "CLAIMED");
	case BROADCAST_HUNG_UP:
		return "HANGUP";
	case BROADCAST_TIMED_OUT:
	case BROADCAST_NO_RECIPIENTS:
	case BROADCAST_NOBODY_LEFT:
		return "TIMEOUT";
	case BROADCAST_OPEN:
	case BROADCAST_ENDED:
		break;
	}
	return S_OR(view->final_status, "ENDED");
}

void ami_broadcast_end(struct broadcast *b)
{
	struct broadcast_view view;
	struct stasis_broadcast_outcome outcome;

	broadcast_view(b, &view);
	broadcast_outcome(b, &outcome);
	manager_event(EVENT_FLAG_CALL, "StasisBroadcastEnd",
		"Channel: %s\r\n"
		"Uniqueid: %s\r\n"
		"Status: %s\r\n"
		"Winner: %s\r\n"
		"Recipients: %d\r\n"
		"DurationMs: %" PRId64 "\r\n"
		"Offers: %d\r\n"
		"Declined: %d\r\n"
		"Reason: %s\r\n",
		broadcast_channel_name(b), broadcast_channel_id(b), end_status(&view),
		view.winner_lost ? "" : view.winner, view.recipients, view.age_ms, view.offer,
		view.declined, outcome.reason);
}

void ami_broadcast_refused(struct ast_channel *chan, const char *app_filter)
{
	manager_event(EVENT_FLAG_CALL, "StasisBroadcastEnd",
		"Channel: %s\r\n"
		"Uniqueid: %s\r\n"
		"Status: FAILED\r\n"
		"Winner: \r\n"
		"Recipients: 0\r\n"
		"DurationMs: 0\r\n"
		"AppFilter: %s\r\n",
		ast_channel_name(chan), ast_channel_uniqueid(chan), S_OR(app_filter, ""));
}
