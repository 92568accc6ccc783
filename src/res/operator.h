/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Operator views: CLI commands (AMI events: ami.h; Prometheus
 *        metrics: src/prometheus, a module of its own).
 */

#ifndef STASIS_BROADCAST_OPERATOR_H
#define STASIS_BROADCAST_OPERATOR_H

int cli_register(void);
void cli_unregister(void);

#endif /* STASIS_BROADCAST_OPERATOR_H */
