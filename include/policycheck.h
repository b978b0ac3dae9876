/* SPDX-License-Identifier: EUPL-1.2 */
/* OpenSSL 3.0's certificate policy check, without the leak of its policy
 * cache: a store hook that hands every path to OpenSSL's own check_policy
 * except the few that would leak, whose answer it computes the way OpenSSL
 * does. See src/policycheck.c for when that is and why the answer is the
 * same. */
#ifndef SMIMEWATCH_POLICYCHECK_H
#define SMIMEWATCH_POLICYCHECK_H

#include <stdbool.h>
#include <openssl/x509_vfy.h>

/* Sets the store's check_policy hook (once, at load). 0 or -ENOMEM. */
int policycheck_install(X509_STORE *store);

/* Whether OpenSSL 3.0's policy cache would lose memory for x: a
 * policyConstraints extension it accepts, with a certificatePolicies
 * extension that is absent, empty or names a policy twice. */
bool policycheck_would_leak(X509 *x);

#endif
