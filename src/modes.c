/* SPDX-License-Identifier: EUPL-1.2 */
/* PLACEHOLDER: replaced by the real module. */
#include <errno.h>
#include <stdlib.h>
#include "modes.h"
int mode_check_config(const struct mode_options *o) { (void)o; return 70; }
int mode_check_cert(const struct mode_options *o) { (void)o; return 70; }
int mode_verify(const struct mode_options *o) { (void)o; return 70; }
