/*
 * exitcodes.c - the one place where error codes become exit statuses, the
 * table of what each status means (printed by `umpire --help`, copied in
 * docs/cli.md and the man page; tests/cli/exit_codes.sh keeps them equal),
 * and the messages for a bad command line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/redact.h"

const cli_exit_row cli_exit_rows[] = {
	{EXIT_OK_, "success"},
	{EXIT_FAILURE_, "failure: internal error, HTTP failure outside a run, events dropped"},
	{EXIT_USAGE, "usage error: bad option or argument, unknown command or --system"},
	{EXIT_INPUT, "invalid input file: suite, scaffold, models, pool, data, archive, key"},
	{EXIT_PIN, "dataset sha256 mismatch: nothing was called"},
	{EXIT_INCOMPLETE, "run incomplete: infrastructure errors remain, or interrupted"},
	{EXIT_STATE, "conflict with the store or a key file; a signature that does not verify"},
	{EXIT_NOTFOUND, "not found: a named run does not exist"},
	{EXIT_IO, "I/O or database error"},
	{EXIT_GATE, "a CI gate failed: compare found a significant regression, claims --fail-on matched"},
	{EXIT_BUDGET, "run stopped at its --max-cost budget: partial, the report says so"},
	{EXIT_PARTIAL, "partial: an import skipped bad rows (each reported) and wrote the rest"},
};
const size_t cli_n_exit_rows = sizeof(cli_exit_rows) / sizeof(cli_exit_rows[0]);

int cli_exit_code(um_err code)
{
	switch (code) {
	case UM_OK:
		return EXIT_OK_;
	case UM_ERR_USAGE:
		return EXIT_USAGE;
	case UM_ERR_SYNTAX:
	case UM_ERR_INVALID:
	case UM_ERR_ARCHIVE:
		return EXIT_INPUT;
	case UM_ERR_PIN:
		return EXIT_PIN;
	case UM_ERR_STATE:
		return EXIT_STATE;
	case UM_ERR_NOTFOUND:
		return EXIT_NOTFOUND;
	case UM_ERR_IO:
	case UM_ERR_DB:
		return EXIT_IO;
	case UM_ERR_NOMEM:
	case UM_ERR_HTTP:
	case UM_ERR_PROTOCOL:
	case UM_ERR_INTERNAL:
	case UM_ERR__COUNT:
		break;
	}
	return EXIT_FAILURE_;
}

int cli_error(const um_error *e)
{
	char msg[UM_ERRMSG_MAX];

	/* a provider's error text may echo a key: never print one */
	snprintf(msg, sizeof(msg), "%s", e->msg[0] ? e->msg : um_strerror(e->code));
	redact_in_place(msg, sizeof(msg));
	fprintf(stderr, "umpire: %s\n", msg);
	return cli_exit_code(e->code);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "umpire %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'umpire %s --help'.\n", cmd);
	return EXIT_USAGE;
}

int cli_bad_option(const char *cmd, int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	if (c == ':')
		return cli_usage_error(cmd, "option '%s' needs a value", arg);
	/* an unknown letter inside a cluster (-qZ) is named by itself */
	if (optopt > ' ' && optopt < 127 && strncmp(arg, "--", 2) != 0)
		return cli_usage_error(cmd, "unknown option '-%c'", optopt);
	return cli_usage_error(cmd, "unknown option '%s'", arg);
}

int cli_seckey_letter(const char *cmd)
{
	return cli_usage_error(cmd, "-s is --system in every command; the secret key is "
			       "-k FILE or --seckey FILE");
}

int cli_parse_int(const char *cmd, const char *opt, const char *v, int min, int max, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (!*v || *end || errno || n < min || n > max)
		return cli_usage_error(cmd, "%s: expected an integer from %d to %d, got '%s'", opt,
				       min, max, v);
	*out = (int)n;
	return 0;
}
