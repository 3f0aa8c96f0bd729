/*
 * exitcodes.c - the one place where error codes become exit statuses.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cli/cli.h"

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
	fprintf(stderr, "umpire: %s\n", e->msg[0] ? e->msg : um_strerror(e->code));
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
