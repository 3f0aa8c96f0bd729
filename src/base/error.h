/*
 * error.h - the one error type of the umpire core.
 *
 * The core never prints and never exits. A function that can fail returns
 * -1 (or NULL) and fills a caller-provided um_error with a code and a
 * message written where the failure happened. Messages about input files
 * begin with "file:line:col: " so a user can jump to the spot. The CLI maps
 * codes to exit statuses in one place (src/cli/exitcodes.c).
 */
#ifndef UMPIRE_ERROR_H
#define UMPIRE_ERROR_H

#include <stdarg.h>

typedef enum um_err {
	UM_OK = 0,
	UM_ERR_NOMEM,    /* allocation failed */
	UM_ERR_IO,       /* a file or socket could not be read or written */
	UM_ERR_SYNTAX,   /* malformed input: YAML, CSV, JSON syntax */
	UM_ERR_INVALID,  /* well-formed input that breaks the schema */
	UM_ERR_PIN,      /* dataset bytes do not match their sha256 pin */
	UM_ERR_ARCHIVE,  /* archive cannot be opened, decrypted or is unsafe */
	UM_ERR_HTTP,     /* transport failure of an HTTP call */
	UM_ERR_PROTOCOL, /* response body is not what the API promises */
	UM_ERR_DB,       /* SQLite failure */
	UM_ERR_STATE,    /* request conflicts with stored state */
	UM_ERR_USAGE,    /* bad option or argument */
	UM_ERR_NOTFOUND, /* named thing (run, system, item) does not exist */
	UM_ERR_INTERNAL, /* invariant broken: a bug */
	UM_ERR__COUNT
} um_err;

#define UM_ERRMSG_MAX 2048

typedef struct um_error {
	um_err code;
	char msg[UM_ERRMSG_MAX];
} um_error;

/* Short, fixed description of a code ("invalid input", ...). Never NULL. */
const char *um_strerror(um_err code);

/* Fill e (may be NULL) and return -1, so callers write
 * `return um_fail(err, UM_ERR_IO, "cannot open %s", path);` */
int um_fail(um_error *e, um_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int um_vfail(um_error *e, um_err code, const char *fmt, va_list ap);

/* Same, prefixed with "file:line:col: " (line/col 1-based; col 0 omits it). */
int um_fail_at(um_error *e, um_err code, const char *file, int line, int col,
	       const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Prepend "prefix: " to an existing message (keeps the code). Returns -1. */
int um_error_prefix(um_error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void um_error_clear(um_error *e);

#endif
