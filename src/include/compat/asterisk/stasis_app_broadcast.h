/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief The StasisBroadcast C API, for Asterisk releases that predate it.
 *
 * Asterisk 20.20, 22.10 and 23.4 install <asterisk/stasis_app_broadcast.h>.
 * Earlier releases of those branches do not, and there this product provides
 * it: the same functions, signatures, return codes and flag, declared as
 * optional APIs, so a module written against the stock header builds and
 * runs unchanged. The build uses this file only when the host's headers lack
 * one (see the Makefile); `make install` then installs it next to them.
 *
 * The include guard is the stock header's, so including both is harmless.
 */

#ifndef _ASTERISK_STASIS_APP_BROADCAST_H
#define _ASTERISK_STASIS_APP_BROADCAST_H

#include "asterisk/channel.h"
#include "asterisk/optional_api.h"

/*! \brief This header is StasisBroadcast's, not Asterisk's (the build checks). */
#define STASIS_BROADCAST_COMPAT_HEADER 1

/*! \brief Do not send CallClaimed to the other recipients of this broadcast. */
#define STASIS_BROADCAST_FLAG_SUPPRESS_CLAIMED (1 << 0)

/*!
 * \brief Offer \a chan to every ARI application (or those whose name
 *        matches the regular expression \a app_filter).
 *
 * \param chan        the channel, on its own dialplan thread
 * \param timeout_ms  how long stasis_app_broadcast_wait() will wait for a claim
 * \param app_filter  POSIX extended regex on application names, NULL for all
 * \param flags       STASIS_BROADCAST_FLAG_* values
 *
 * \retval 0 the broadcast began
 * \retval -1 it could not (a refused filter, no memory)
 * \retval AST_OPTIONAL_API_UNAVAILABLE res_stasis_broadcast is not loaded
 */
AST_OPTIONAL_API(int, stasis_app_broadcast_channel,
	(struct ast_channel *chan, int timeout_ms, const char *app_filter,
	unsigned int flags),
	{ return AST_OPTIONAL_API_UNAVAILABLE; });

/*!
 * \brief Claim the broadcast of channel \a channel_id for application \a app_name.
 *
 * At most one claim per broadcast succeeds.
 *
 * \retval 0 the claim won
 * \retval -1 no open broadcast this application may claim
 * \retval -2 the channel was already claimed
 * \retval AST_OPTIONAL_API_UNAVAILABLE res_stasis_broadcast is not loaded
 */
AST_OPTIONAL_API(int, stasis_app_claim_channel,
	(const char *channel_id, const char *app_name),
	{ return AST_OPTIONAL_API_UNAVAILABLE; });

/*!
 * \brief The application that won the channel's broadcast.
 *
 * \return a copy the caller frees with ast_free(), or NULL when the channel
 *         has no claimed broadcast (or res_stasis_broadcast is not loaded)
 */
AST_OPTIONAL_API(char *, stasis_app_broadcast_winner,
	(const char *channel_id),
	{ return NULL; });

/*!
 * \brief Wait until the channel's broadcast is claimed, at most \a timeout_ms.
 *
 * \retval 0 claimed
 * \retval -1 not claimed (timeout, hangup, no broadcast)
 * \retval AST_OPTIONAL_API_UNAVAILABLE res_stasis_broadcast is not loaded
 */
AST_OPTIONAL_API(int, stasis_app_broadcast_wait,
	(struct ast_channel *chan, int timeout_ms),
	{ return AST_OPTIONAL_API_UNAVAILABLE; });

/*!
 * \brief End and forget the channel's broadcast, once the channel leaves it.
 */
AST_OPTIONAL_API(void, stasis_app_broadcast_cleanup,
	(const char *channel_id),
	{ return; });

#endif /* _ASTERISK_STASIS_APP_BROADCAST_H */
