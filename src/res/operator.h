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

int cli_register(void);
void cli_unregister(void);

/*! \brief Register with res_prometheus if it is loaded; fine if it is not. */
void metrics_register(void);
void metrics_unregister(void);

#endif /* STASIS_BROADCAST_OPERATOR_H */
