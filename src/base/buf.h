/*
 * buf.h - a growable byte buffer with a hard maximum size.
 *
 * Every buffer that holds data from outside (HTTP bodies, tool output) is
 * created with a maximum; appends past it fail (return -1) and set the
 * `overflow` flag instead of growing without bound. The data is always
 * NUL-terminated so it can be used as a C string.
 */
#ifndef UMPIRE_BUF_H
#define UMPIRE_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct um_buf {
	char *data;   /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
	size_t max;   /* 0 means SIZE_MAX */
	int overflow; /* set when an append was refused */
} um_buf;

#define UM_BUF_INIT { NULL, 0, 0, 0, 0 }

void um_buf_init(um_buf *b, size_t max);
int um_buf_append(um_buf *b, const void *data, size_t len);
int um_buf_puts(um_buf *b, const char *s);
int um_buf_putc(um_buf *b, char c);
int um_buf_printf(um_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int um_buf_vprintf(um_buf *b, const char *fmt, va_list ap);
void um_buf_reset(um_buf *b);            /* len = 0, keeps memory */
char *um_buf_detach(um_buf *b);          /* caller frees; b is reset to empty */
const char *um_buf_str(const um_buf *b); /* "" when empty */
void um_buf_release(um_buf *b);          /* frees memory */

#endif
