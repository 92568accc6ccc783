/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Operator views: CLI commands and Prometheus metrics.
 */

#ifndef STASIS_BROADCAST_OPERATOR_H
#define STASIS_BROADCAST_OPERATOR_H

#include "module_watch.h"

int cli_register(void);
void cli_unregister(void);

/*! \brief Keeps our metrics registered with res_prometheus while it runs. */
extern const struct module_follower metrics_follower;
/*! \brief Unregister from res_prometheus, if registered (our unload). */
void metrics_unregister(void);

#endif /* STASIS_BROADCAST_OPERATOR_H */
