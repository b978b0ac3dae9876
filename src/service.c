/* SPDX-License-Identifier: EUPL-1.2 */
/* PLACEHOLDER: replaced by the real module. */
#include <errno.h>
#include <stdlib.h>
#include "service.h"
int service_run(const char *config_path) { (void)config_path; return 70; }
