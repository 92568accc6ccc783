/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief How our dialplan application tells our resource module how a
 *        broadcast ended.
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

#endif /* STASIS_BROADCAST_REPORT_H */
