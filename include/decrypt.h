/* SPDX-License-Identifier: EUPL-1.2 */
/* Decryption readiness: can the private key that a mailbox's staff hold
 * decrypt what senders encrypt to the mailbox's published certificate? */
#ifndef SMIMEWATCH_DECRYPT_H
#define SMIMEWATCH_DECRYPT_H

struct cfg_mailbox;
struct mbx_input;
struct mailbox_result;

/* The systemd credential with the key's password when key_password_file
 * is not set: this prefix, then the address as written in the section
 * header ("key-password-poststelle@lra.example"). */
#define DECRYPT_CREDENTIAL_PREFIX "key-password-"

/* A separate step after mbx_evaluate(in): when mb has a key and r a usable encryption certificate,
 * reads the key file and its password, encrypts a test message to that
 * certificate with CMS as a sender does and decrypts it with the key as
 * the recipient's mail client does, all in memory (nothing is written,
 * the key is cleansed as soon as the test is done). Adds
 * DECRYPTION_KEY_MISMATCH or DECRYPTION_KEY_UNREADABLE to r and updates
 * its status. The certificate is decoded again from the gathered in (r
 * keeps no certificate). 0 or -ENOMEM. */
int decrypt_check(const struct cfg_mailbox *mb, const struct mbx_input *in,
                  struct mailbox_result *r);

#endif
