/*
 * buf.c - growable byte buffer with a hard maximum (see buf.h).
 */
#include "base/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

void um_buf_init(um_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : SIZE_MAX - 1;
	b->overflow = 0;
}

static int buf_reserve(um_buf *b, size_t extra)
{
	size_t need;

	if (b->max == 0)
		b->max = SIZE_MAX - 1;
	if (extra > b->max - b->len) {
		b->overflow = 1;
		return -1;
	}
	need = b->len + extra + 1;
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		b->data = um_xrealloc(b->data, cap);
		b->cap = cap;
	}
	return 0;
}

int um_buf_append(um_buf *b, const void *data, size_t len)
{
	if (buf_reserve(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int um_buf_puts(um_buf *b, const char *s)
{
	return um_buf_append(b, s, strlen(s));
}

int um_buf_putc(um_buf *b, char c)
{
	return um_buf_append(b, &c, 1);
}

int um_buf_vprintf(um_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -1;
	if (buf_reserve(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int um_buf_printf(um_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = um_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void um_buf_reset(um_buf *b)
{
	b->len = 0;
	b->overflow = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *um_buf_detach(um_buf *b)
{
	char *p = b->data ? b->data : um_xstrdup("");
	size_t max = b->max;

	um_buf_init(b, max);
	return p;
}

const char *um_buf_str(const um_buf *b)
{
	return b->data ? b->data : "";
}

void um_buf_release(um_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->overflow = 0;
}
