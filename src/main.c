/* SPDX-License-Identifier: EUPL-1.2 */
/* smimewatch: parses the command line and dispatches to a mode. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "modes.h"
#include "service.h"
#include "util.h"

static void usage(FILE *f)
{
        fputs("Usage:\n"
              "  smimewatch [-c FILE]                  run as a service (foreground)\n"
              "  smimewatch --verify [ADDRESS...] [-c FILE] [--format FORMAT] [--at TIME]\n"
              "             [--offline]\n"
              "  smimewatch --check-cert FILE [--mailbox ADDRESS] [-c FILE] [--format FORMAT]\n"
              "             [--at TIME] [--offline]\n"
              "  smimewatch --check-config [-c FILE]\n"
              "  smimewatch --list-mailboxes [-c FILE]\n"
              "  smimewatch --help | --version\n"
              "\n"
              "  -c, --config FILE   configuration (default " CFG_DEFAULT_PATH ")\n"
              "      --format FORMAT text (the report, default), json, prometheus or plugin\n"
              "                      (the last two with --verify only)\n"
              "      --json          the same as --format json\n"
              "      --at TIME       evaluate as of TIME (YYYY-MM-DD or RFC 3339)\n"
              "      --offline       fetch no CRL or OCSP answer: only the cache and [pki] crls\n"
              "\n"
              "Exit status of --verify and --check-cert: 0 ok, 1 warning, 2 critical,\n"
              "3 unknown, 64 usage error, 78 configuration error. See smimewatch(8).\n",
              f);
}

static int usage_error(const char *what, const char *arg)
{
        if (arg)
                fprintf(stderr, "smimewatch: %s '%s' (try 'smimewatch --help')\n", what, arg);
        else
                fprintf(stderr, "smimewatch: %s (try 'smimewatch --help')\n", what);
        return EXIT_USAGE;
}

/* getopt leaves optind on a cluster like "-xc" until its last letter, so
 * argv[optind - 1] names the option only for long options; optopt names
 * an unknown letter. It is 0 for an unknown long option and the option's
 * value for a long option given an argument it does not take ("--json=1",
 * "--help=1"); an unknown letter is never one of ours. */
static int unknown_option(char **argv, int ind)
{
        char letter[3] = { '-', (char)optopt, 0 };

        if (optopt == 0)
                return usage_error("unknown or ambiguous option", argv[ind - 1]);
        if (optopt >= 256 || strchr("chV", optopt))
                return usage_error("option takes no argument:", argv[ind - 1]);
        return usage_error("unknown option", letter);
}

enum mode { MODE_SERVICE, MODE_VERIFY, MODE_CHECK_CERT, MODE_CHECK_CONFIG, MODE_LIST_MAILBOXES };

int main(int argc, char **argv)
{
        enum { OPT_VERIFY = 256, OPT_CHECK_CERT, OPT_CHECK_CONFIG, OPT_MAILBOX, OPT_JSON, OPT_FORMAT, OPT_AT,
               OPT_OFFLINE, OPT_LIST_MAILBOXES };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "verify", no_argument, NULL, OPT_VERIFY },
                { "check-cert", required_argument, NULL, OPT_CHECK_CERT },
                { "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
                { "list-mailboxes", no_argument, NULL, OPT_LIST_MAILBOXES },
                { "mailbox", required_argument, NULL, OPT_MAILBOX },
                { "json", no_argument, NULL, OPT_JSON },
                { "format", required_argument, NULL, OPT_FORMAT },
                { "at", required_argument, NULL, OPT_AT },
                { "offline", no_argument, NULL, OPT_OFFLINE },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {}
        };
        /* A report to a file or pipe in 64 KiB writes, not 4 KiB ones (a
         * 10,000-mailbox JSON report is 21 MB); a terminal keeps stdio's
         * line buffering. */
        static char out[64 * 1024];
        struct mode_options o = { .config_path = CFG_DEFAULT_PATH };
        enum mode mode = MODE_SERVICE;
        int nmodes = 0, c, f;

        if (!isatty(STDOUT_FILENO))
                (void)setvbuf(stdout, out, _IOFBF, sizeof(out));
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":c:hV", options, NULL)) != -1) {
                switch (c) {
                case 'c': o.config_path = optarg; break;
                case OPT_VERIFY: mode = MODE_VERIFY; nmodes++; break;
                case OPT_CHECK_CERT: mode = MODE_CHECK_CERT; o.cert_file = optarg; nmodes++; break;
                case OPT_CHECK_CONFIG: mode = MODE_CHECK_CONFIG; nmodes++; break;
                case OPT_LIST_MAILBOXES: mode = MODE_LIST_MAILBOXES; nmodes++; break;
                case OPT_MAILBOX:
                        if (!util_address_valid(optarg))
                                return usage_error("malformed address", optarg);
                        o.mailbox = optarg;
                        break;
                case OPT_OFFLINE: o.offline = true; break;
                case OPT_JSON:
                case OPT_FORMAT:
                        f = c == OPT_JSON ? FORMAT_JSON : mode_format_from_name(optarg);
                        if (f < 0)
                                return usage_error("--format wants text, json, prometheus or "
                                                   "plugin, not", optarg);
                        if (o.has_format && o.format != (enum mode_format)f)
                                return usage_error("choose one output format", NULL);
                        o.format = (enum mode_format)f;
                        o.has_format = true;
                        break;
                case OPT_AT:
                        if (util_parse_time(optarg, &o.at) < 0)
                                return usage_error("--at wants YYYY-MM-DD or an RFC 3339 time, not", optarg);
                        o.has_at = true;
                        break;
                case 'h': usage(stdout); return 0;
                case 'V': printf("smimewatch %s\n", SMIMEWATCH_VERSION); return 0;
                case ':': return usage_error("option needs an argument:", argv[optind - 1]);
                default: return unknown_option(argv, optind);
                }
        }
        if (nmodes > 1)
                return usage_error("choose one of --verify, --check-cert, --check-config and "
                                   "--list-mailboxes", NULL);
        if (o.mailbox && mode != MODE_CHECK_CERT)
                return usage_error("--mailbox goes with --check-cert", NULL);
        if ((o.has_format || o.has_at || o.offline) && mode != MODE_VERIFY && mode != MODE_CHECK_CERT)
                return usage_error("--format, --json, --at and --offline go with --verify or --check-cert",
                                   NULL);
        if (mode == MODE_CHECK_CERT && o.format != FORMAT_TEXT && o.format != FORMAT_JSON)
                return usage_error("--check-cert prints --format text or json", NULL);
        if (optind < argc && mode != MODE_VERIFY)
                return usage_error("unexpected argument", argv[optind]);
        for (int i = optind; i < argc; i++)
                if (!util_address_valid(argv[i]))
                        return usage_error("malformed address", argv[i]);
        o.addresses = argv + optind;
        o.n_addresses = (size_t)(argc - optind);

        switch (mode) {
        case MODE_VERIFY: return mode_verify(&o);
        case MODE_CHECK_CERT: return mode_check_cert(&o);
        case MODE_CHECK_CONFIG: return mode_check_config(&o);
        case MODE_LIST_MAILBOXES: return mode_list_mailboxes(&o);
        case MODE_SERVICE: break;
        }
        return service_run(o.config_path);
}
