/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief What differs between the Asterisk releases we build against.
 *
 * The same sources build on every release of Asterisk 20, 22 and 23. Where a
 * release lacks a function or a behaviour we use, the difference lives here,
 * once, named with the first release of each branch that has it, so that the
 * code above reads the same on every release. The Makefile finds out what the
 * host's headers have and says so with a HOST_HAS_* definition (see "What the
 * host's headers have" there); nothing else decides by version.
 *
 * The claim route is the one difference too big for a function: see
 * res_stasis_broadcast.c for which code serves the claim on which release.
 */

#ifndef STASIS_BROADCAST_HOST_H
#define STASIS_BROADCAST_HOST_H

#include "asterisk/astobj2.h"
#include "asterisk/module.h"
#include "asterisk/stasis_app.h"

/*!
 * \brief Whether an application is registered with Stasis (active or not).
 *
 * stasis_app_is_registered() first appears in 20.14.0, 22.4.0 and 23.0.0.
 * Before, stasis_app_get_by_name() answers the same question from the same
 * registry, at the cost of a reference taken and dropped.
 */
static inline int host_app_is_registered(const char *name)
{
#ifdef HOST_HAS_APP_IS_REGISTERED
	return stasis_app_is_registered(name);
#else
	struct stasis_app *app = stasis_app_get_by_name(name);

	ao2_cleanup(app);
	return app != NULL;
#endif
}

/*!
 * \brief Unload a module and load it again ("module refresh").
 *
 * ast_refresh_resource() first appears in 20.8.0 and 22.0.0 (and is in every
 * 23). Before, the same two steps, as the CLI did them.
 */
static inline int host_refresh_module(const char *name)
{
#ifdef HOST_HAS_REFRESH_RESOURCE
	return ast_refresh_resource(name, AST_FORCE_SOFT, 0);
#else
	return ast_unload_resource(name, AST_FORCE_SOFT)
		|| ast_load_resource(name) != AST_MODULE_LOAD_SUCCESS;
#endif
}

/*
 * HOST_TELLS_UNREGISTER: stasis_app_unregister() asks every event source
 * whether the application is subscribed to it, with no id, before it
 * deactivates the application; so a module learns that an application's
 * connection is gone (handoff.c). First in 20.14.0, 22.4.0 and 23.0.0, the
 * releases whose ari.h says is_websocket: the Makefile sets it from that.
 */

#endif /* STASIS_BROADCAST_HOST_H */
