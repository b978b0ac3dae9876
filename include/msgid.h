/* SPDX-License-Identifier: EUPL-1.2 */
/* The MESSAGE_IDs of smimewatch's journal entries, the one place they are
 * defined. Each was made once with `systemd-id128 new` and never changes:
 * monitoring filters on them and the catalogs (systemd/smimewatch.catalog,
 * systemd/smimewatch.de.catalog) explain them. A new id needs an entry in
 * both catalogs (tests/check_journal.c enforces it). */
#ifndef SMIMEWATCH_MSGID_H
#define SMIMEWATCH_MSGID_H

#include <systemd/sd-id128.h>

/* One per mailbox-level problem code (smimewatch(8), VERDICTS). */
#define MSGID_DIRECTORY_UNREACHABLE SD_ID128_MAKE_STR(88,05,01,9f,50,15,4a,b1,a3,77,ab,f9,3b,84,6c,29)
#define MSGID_MAILBOX_NOT_FOUND SD_ID128_MAKE_STR(45,ba,e2,df,de,2b,40,f7,a2,84,88,ca,94,ca,d1,30)
#define MSGID_MAILBOX_AMBIGUOUS SD_ID128_MAKE_STR(87,3e,fb,cc,36,55,47,ad,aa,39,59,74,3d,03,43,5b)
#define MSGID_ENCRYPTION_CERT_MISSING SD_ID128_MAKE_STR(7b,8d,3a,6e,5f,bb,4c,01,aa,30,6c,c2,f7,6f,2e,b4)
#define MSGID_SIGNATURE_CERT_MISSING SD_ID128_MAKE_STR(3a,d1,03,fc,67,8e,4a,9a,86,f4,b8,cc,cf,8d,76,03)
#define MSGID_CERT_EXPIRING SD_ID128_MAKE_STR(c4,e4,bd,5f,28,08,46,c1,ae,34,66,98,b4,ff,f9,6f)
#define MSGID_STALE_CERT_PUBLISHED SD_ID128_MAKE_STR(c6,01,ff,9a,f3,4a,41,56,a5,70,ae,83,7e,3d,13,ae)
#define MSGID_REVOCATION_UNKNOWN SD_ID128_MAKE_STR(ec,91,a0,14,36,81,47,1c,90,3e,79,01,3d,bc,e8,81)
#define MSGID_CERT_WEAK_KEY SD_ID128_MAKE_STR(5f,0b,06,9b,72,a4,40,21,a2,5c,63,cf,31,2f,53,30)
#define MSGID_DECRYPTION_KEY_MISMATCH SD_ID128_MAKE_STR(c1,11,0e,80,b6,0d,42,08,a8,4e,4e,af,9a,32,5d,22)
#define MSGID_DECRYPTION_KEY_UNREADABLE SD_ID128_MAKE_STR(ab,30,45,11,e1,1d,47,8a,b6,cb,83,36,89,6d,04,fc)
#define MSGID_MESSAGE_SIZE_LIMIT SD_ID128_MAKE_STR(9f,fb,d3,d1,b5,60,44,4e,91,8e,be,05,00,7e,06,52)
#define MSGID_CERT_SUBJECT_EMAIL_ONLY SD_ID128_MAKE_STR(9e,05,1b,13,87,fb,4d,1a,b4,f6,34,1b,9f,1d,42,f3)

/* A problem logged earlier is gone (a mailbox problem, or the directory
 * outage: then SMIMEWATCH_PROBLEM=DIRECTORY_UNREACHABLE and no mailbox). */
#define MSGID_RECOVERED SD_ID128_MAKE_STR(ae,01,c9,86,5f,a1,4f,1c,a2,f3,a3,28,e0,43,77,8a)
/* The summary after each check of all mailboxes. */
#define MSGID_CYCLE_SUMMARY SD_ID128_MAKE_STR(49,8a,02,5a,a8,39,4f,f2,a1,ff,f0,c5,38,ba,df,91)
/* The directory did not answer at all: one entry per outage. */
#define MSGID_DIRECTORY_OUTAGE SD_ID128_MAKE_STR(9a,0f,6b,b7,01,45,41,94,92,5d,90,0f,b1,35,ad,eb)
/* A revocation source (a CRL distribution point, an OCSP responder, the
 * CA's directory entry) fails: one entry when it starts failing ... */
#define MSGID_REVOCATION_SOURCE_FAILING SD_ID128_MAKE_STR(8c,3b,89,d3,5f,6d,47,09,82,9d,e5,b8,41,ee,cc,6d)
/* ... and one when it answers again. */
#define MSGID_REVOCATION_SOURCE_BACK SD_ID128_MAKE_STR(79,9c,3f,4e,45,05,42,f3,9c,f8,0d,ab,b6,78,79,c8)

#endif
