/*
 * error.c - codes to text, and the helpers that fill an um_error.
 */
#include "base/error.h"

#include <stdio.h>
#include <string.h>

static const char *const um_err_names[UM_ERR__COUNT] = {
	[UM_OK] = "success",
	[UM_ERR_NOMEM] = "out of memory",
	[UM_ERR_IO] = "input/output error",
	[UM_ERR_SYNTAX] = "syntax error",
	[UM_ERR_INVALID] = "invalid input",
	[UM_ERR_PIN] = "dataset hash mismatch",
	[UM_ERR_ARCHIVE] = "archive error",
	[UM_ERR_HTTP] = "HTTP transport error",
	[UM_ERR_PROTOCOL] = "protocol error",
	[UM_ERR_DB] = "database error",
	[UM_ERR_STATE] = "conflicting state",
	[UM_ERR_USAGE] = "usage error",
	[UM_ERR_NOTFOUND] = "not found",
	[UM_ERR_INTERNAL] = "internal error",
};

const char *um_strerror(um_err code)
{
	if ((int)code < 0 || code >= UM_ERR__COUNT || !um_err_names[code])
		return "unknown error";
	return um_err_names[code];
}

int um_vfail(um_error *e, um_err code, const char *fmt, va_list ap)
{
	if (!e)
		return -1;
	e->code = code;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return -1;
}

int um_fail(um_error *e, um_err code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	um_vfail(e, code, fmt, ap);
	va_end(ap);
	return -1;
}

/* dst = pre + body, cut to fit (truncation of long messages is intended). */
static void join(char *dst, size_t cap, const char *pre, const char *body)
{
	size_t lp = strlen(pre), lb = strlen(body);

	if (lp >= cap)
		lp = cap - 1;
	memmove(dst, pre, lp);
	if (lb > cap - 1 - lp)
		lb = cap - 1 - lp;
	memmove(dst + lp, body, lb);
	dst[lp + lb] = '\0';
}

int um_fail_at(um_error *e, um_err code, const char *file, int line, int col,
	       const char *fmt, ...)
{
	char body[UM_ERRMSG_MAX], pre[512];
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	e->code = code;
	if (col > 0)
		snprintf(pre, sizeof(pre), "%.400s:%d:%d: ", file, line, col);
	else if (line > 0)
		snprintf(pre, sizeof(pre), "%.400s:%d: ", file, line);
	else
		snprintf(pre, sizeof(pre), "%.400s: ", file);
	join(e->msg, sizeof(e->msg), pre, body);
	return -1;
}

int um_error_prefix(um_error *e, const char *fmt, ...)
{
	char pre[512], old[UM_ERRMSG_MAX];
	size_t n;
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre) - 2, fmt, ap);
	va_end(ap);
	n = strlen(pre);
	pre[n] = ':';
	pre[n + 1] = ' ';
	pre[n + 2] = '\0';
	memcpy(old, e->msg, sizeof(old));
	join(e->msg, sizeof(e->msg), pre, old);
	return -1;
}

void um_error_clear(um_error *e)
{
	if (e) {
		e->code = UM_OK;
		e->msg[0] = '\0';
	}
}
