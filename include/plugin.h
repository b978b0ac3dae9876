/* SPDX-License-Identifier: EUPL-1.2 */
/* `--verify --format plugin`: the output of a monitoring plugin (Nagios,
 * Icinga, Naemon) per the Monitoring Plugins development guidelines. Only
 * the result structs are read; smimewatch(8) describes the lines. */
#ifndef SMIMEWATCH_PLUGIN_H
#define SMIMEWATCH_PLUGIN_H

#include <stdio.h>

struct cycle_result;

/* The status line with performance data, then one line per mailbox that
 * is not ok. warn_days and critical_days are the [service] thresholds,
 * the warning and critical ranges of min_days_left. 0 or -errno. */
int plugin_write(FILE *f, const struct cycle_result *c, int warn_days, int critical_days);

#endif
