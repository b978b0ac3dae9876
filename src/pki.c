/* SPDX-License-Identifier: EUPL-1.2 */
/* PLACEHOLDER: replaced by the real module. */
#include <errno.h>
#include <stdlib.h>
#include "pki.h"
int pki_load(const struct cfg_pki *settings, struct pki **ret, char **err) { (void)settings; (void)ret; *err = NULL; return -ENOSYS; }
void pki_free(struct pki *p) { (void)p; }
const struct cfg_pki *pki_settings(const struct pki *p) { (void)p; return NULL; }
int pki_decode(const unsigned char *data, size_t len, STACK_OF(X509) **ret, char **why) { (void)data; (void)len; (void)ret; *why = NULL; return -ENOSYS; }
int pki_read_file(const char *path, STACK_OF(X509) **ret, char **why) { (void)path; (void)ret; *why = NULL; return -ENOSYS; }
