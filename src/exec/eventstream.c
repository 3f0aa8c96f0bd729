/*
 * eventstream.c - decoding the AWS event-stream framing (eventstream.h):
 * both CRC32s (zlib's crc32, the IEEE polynomial the format uses) checked
 * before anything in the message is read, every length checked against
 * what is there.
 */
#include "exec/eventstream.h"

#include <string.h>
#include <zlib.h>

static uint32_t es_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t es_crc(const unsigned char *p, size_t n)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

/* The size of a header value of type t at p (n bytes left), or -1. */
static int64_t es_value_size(unsigned t, const unsigned char *p, size_t n)
{
	static const int fixed[] = {0, 0, 1, 2, 4, 8, -1, -1, 8, 16};

	if (t > 9)
		return -1;
	if (t == 6 || t == 7)
		return n < 2 ? -1 : 2 + (int64_t)((unsigned)p[0] << 8 | p[1]);
	return fixed[t];
}

static int es_headers(const unsigned char *p, size_t n, size_t at, es_message *m, um_error *err)
{
	size_t i = 0;

	m->n_headers = 0;
	while (i < n) {
		size_t nl = p[i];
		int64_t vs;
		es_header *h;

		if (i + 1 + nl + 1 > n)
			return um_fail(
			    err, UM_ERR_PROTOCOL,
			    "event stream: a header name runs past the headers (byte %zu)",
			    at + 12 + i);
		vs = es_value_size(p[i + 1 + nl], p + i + 2 + nl, n - (i + 2 + nl));
		if (vs < 0 || i + 2 + nl + (size_t)vs > n)
			return um_fail(
			    err, UM_ERR_PROTOCOL,
			    "event stream: header '%.*s' has a bad type or runs past the "
			    "headers (byte %zu)",
			    (int)nl, (const char *)p + i + 1, at + 12 + i);
		if (m->n_headers == ES_MAX_HEADERS)
			return um_fail(err, UM_ERR_PROTOCOL,
				       "event stream: more than %d headers in a message (byte %zu)",
				       ES_MAX_HEADERS, at);
		h = &m->headers[m->n_headers++];
		h->name = (const char *)p + i + 1;
		h->name_len = nl;
		h->value = NULL;
		h->value_len = 0;
		if (p[i + 1 + nl] == 6 || p[i + 1 + nl] == 7) {
			h->value = (const char *)p + i + 4 + nl;
			h->value_len = (size_t)vs - 2;
		}
		i += 2 + nl + (size_t)vs;
	}
	return 0;
}

int64_t es_decode(const char *buf, size_t len, size_t at, es_message *m, um_error *err)
{
	const unsigned char *p = (const unsigned char *)buf;
	uint32_t total, hlen;

	memset(m, 0, sizeof(*m));
	if (len < 12)
		return 0;
	total = es_be32(p);
	hlen = es_be32(p + 4);
	if (es_crc(p, 8) != es_be32(p + 8)) {
		um_fail(err, UM_ERR_PROTOCOL, "event stream: prelude CRC mismatch (byte %zu)", at);
		return -1;
	}
	if (total < 16 || total > ES_MAX_MESSAGE || hlen > total - 16) {
		um_fail(err, UM_ERR_PROTOCOL,
			"event stream: message length %u with %u header bytes is out of range "
			"(byte %zu)",
			total, hlen, at);
		return -1;
	}
	if (len < total)
		return 0;
	if (es_crc(p, total - 4) != es_be32(p + total - 4)) {
		um_fail(err, UM_ERR_PROTOCOL, "event stream: message CRC mismatch (byte %zu)", at);
		return -1;
	}
	if (es_headers(p + 12, hlen, at, m, err) < 0)
		return -1;
	m->payload = buf + 12 + hlen;
	m->payload_len = total - 16 - hlen;
	return total;
}

const char *es_header_value(const es_message *m, const char *name, size_t *len)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; i < m->n_headers; i++)
		if (m->headers[i].name_len == n && memcmp(m->headers[i].name, name, n) == 0 &&
		    m->headers[i].value) {
			*len = m->headers[i].value_len;
			return m->headers[i].value;
		}
	return NULL;
}

int es_header_is(const es_message *m, const char *name, const char *value)
{
	size_t len = 0;
	const char *v = es_header_value(m, name, &len);

	return v && len == strlen(value) && memcmp(v, value, len) == 0;
}
