/* SPDX-License-Identifier: EUPL-1.2 */
/* The Prometheus text exposition format of one check (node_exporter's
 * textfile collector reads the same): `--verify --format prometheus` and
 * `[service] metrics_file`. Only the result structs are read. The series
 * and their labels are listed in smimewatch(8), "METRICS". */
#ifndef SMIMEWATCH_METRICS_H
#define SMIMEWATCH_METRICS_H

#include <stdio.h>

struct cycle_result;

/* Writes the exposition of c to f. 0 or -errno (a write error). */
int metrics_write(FILE *f, const struct cycle_result *c);

/* Replaces path atomically (util_replace_file()) with the exposition of c,
 * mode 0644. The temporary file "path.XXXXXX" does not end in .prom, so
 * the textfile collector skips it. 0 or -errno. */
int metrics_write_file(const char *path, const struct cycle_result *c);

/* The service after a check: metrics_write_file() when path is set (NULL:
 * [service] metrics_file is not configured), logging a failure, or the
 * recovery from one, only when it differs from last_error, the previous
 * call's result. Returns this call's result (0 or -errno). */
int metrics_update(const char *path, const struct cycle_result *c, int last_error);

#endif
