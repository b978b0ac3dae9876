/* SPDX-License-Identifier: EUPL-1.2 */
/* PLACEHOLDER: replaced by the real module. */
#include <errno.h>
#include <stdlib.h>
#include "config.h"
int cfg_load(const char *path, enum cfg_need need, struct cfg **ret, char **errors) { (void)path; (void)need; (void)ret; *errors = NULL; return -ENOSYS; }
void cfg_free(struct cfg *c) { (void)c; }
const struct cfg_mailbox *cfg_find_mailbox(const struct cfg *c, const char *address) { (void)c; (void)address; return NULL; }
int cfg_read_password(const struct cfg_directory *d, char **ret, char **err) { (void)d; (void)ret; *err = NULL; return -ENOSYS; }
