/* SPDX-License-Identifier: EUPL-1.2 */
/* Secrets the program reads: files that only it may read (the directory's
 * bind password, a key's password), and systemd credentials
 * ($CREDENTIALS_DIRECTORY, LoadCredential=). Secrets are never logged;
 * messages name the file, never its contents. */
#ifndef SMIMEWATCH_SECRET_H
#define SMIMEWATCH_SECRET_H

/* The path of the credential name that systemd passed, in
 * $CREDENTIALS_DIRECTORY (whether or not the file exists). 0, -ENOENT when
 * the variable is unset or empty, -ENOMEM. */
int secret_credential_path(const char *name, char **ret);

/* Refuses, without reading it, a secret file that others can read or that
 * is not a regular file. 0 or -errno with *why naming the file (caller
 * frees; NULL when out of memory). */
int secret_check_file(const char *path, char **why);

/* Reads the secret: the first line of path, without its line end. The
 * file is checked as secret_check_file() does, on the open file, so what
 * is read is what was checked. 0 or -errno with *why naming the file
 * (caller frees); the caller wipes and frees *ret. */
int secret_read_file(const char *path, char **ret, char **why);

/* Wipes and frees a secret; NULL is fine. */
void secret_free(char *secret);

#endif
