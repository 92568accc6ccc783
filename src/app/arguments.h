/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief StasisBroadcast([timeout[,app_filter[,args[,notify_claimed[,options]]]]])
 *        arguments.
 */

#ifndef STASIS_BROADCAST_ARGUMENTS_H
#define STASIS_BROADCAST_ARGUMENTS_H

#include "asterisk/vector.h"

#include "stasis_broadcast_app.h"

#define BROADCAST_DEFAULT_TIMEOUT_MS 500
#define BROADCAST_MAX_TIMEOUT_MS 60000
/*! The longest guard g() and window w() take, in milliseconds */
#define BROADCAST_MAX_OPTION_MS 600000

struct broadcast_arguments {
	/*! Milliseconds to wait for a claim */
	int timeout_ms;
	/*! Regular expression for application names, NULL for all */
	const char *app_filter;
	/*! Whether recipients get CallClaimed */
	int notify_claimed;
	/*! Arguments for the winner's StasisStart, split on ':' */
	struct ast_vector_string args;
	/*! The options argument: g(ms), w(ms) */
	struct stasis_broadcast_options options;
	/*! Owns the text every pointer above points into */
	char *buffer;
};

/*!
 * \brief Parse the application's argument string.
 *
 * Bad values are not fatal: an out-of-range or non-numeric timeout, an
 * unknown option letter or an option's bad value logs a warning naming
 * \a chan_name, and the default is used (the rest still applies).
 *
 * \retval 0 parsed; release with broadcast_arguments_free()
 * \retval -1 out of memory
 */
int broadcast_arguments_parse(const char *data, const char *chan_name,
	struct broadcast_arguments *out);

void broadcast_arguments_free(struct broadcast_arguments *args);

#endif /* STASIS_BROADCAST_ARGUMENTS_H */
