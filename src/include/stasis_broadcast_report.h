/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief What our dialplan application and our resource module tell each
 *        other beyond the host's API: how a broadcast ended, its count, and
 *        why a filter is refused.
 *
 * Not part of the host's stasis_app_broadcast.h: an optional API of our own,
 * so app_stasis_broadcast.so still works (without it) next to a
 * res_stasis_broadcast.so that does not provide it.
 */

#ifndef STASIS_BROADCAST_REPORT_H
#define STASIS_BROADCAST_REPORT_H

#include "asterisk/optional_api.h"

/*!
 * \brief Report the final STASISSTATUS of a broadcast, before cleaning it up.
 *
 * \param channel_id the channel's unique id
 * \param status "SUCCESS", "FAILED", "TIMEOUT" or "HANGUP"
 */
AST_OPTIONAL_API(void, stasis_app_broadcast_report,
	(const char *channel_id, const char *status),
	{ return; });

/*!
 * \brief How many applications were sent CallBroadcast for the channel's
 *        broadcast (STASISBROADCAST_RECIPIENTS).
 *
 * \retval -1 no such broadcast, or the resource module does not provide it
 */
AST_OPTIONAL_API(int, stasis_app_broadcast_recipients,
	(const char *channel_id),
	{ return -1; });

/*!
 * \brief Why stasis_app_broadcast_channel() refuses \a app_filter, if it does.
 *
 * The application tells the operator (the resource module does not): asked
 * only when a broadcast could not be made.
 *
 * \retval 0 the filter is fine (or the resource module does not say)
 * \retval 1 refused; \a why (of \a len bytes) says why
 */
AST_OPTIONAL_API(int, stasis_app_broadcast_refusal,
	(const char *app_filter, char *why, size_t len),
	{ return 0; });

#endif /* STASIS_BROADCAST_REPORT_H */
