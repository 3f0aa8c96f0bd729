/*
 * eventstream.h - the AWS event-stream framing (application/vnd.amazon.
 * eventstream), in which Bedrock's ConverseStream sends its events.
 *
 * A message is: a 12-byte prelude (total length, headers length, both
 * big-endian uint32, then the CRC32 of those 8 bytes), the headers, the
 * payload, and the CRC32 of everything before it. A header is a name
 * (uint8 length, bytes), a type byte and a value whose size the type
 * gives (string and bytes: uint16 length, then the bytes).
 */
#ifndef UMPIRE_EVENTSTREAM_H
#define UMPIRE_EVENTSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define ES_MAX_HEADERS 16
#define ES_MAX_MESSAGE (16u << 20) /* a message longer than 16 MiB is refused */

typedef struct es_header {
	const char *name; /* points into the buffer, not NUL-terminated */
	size_t name_len;
	const char *value; /* string and bytes values only, else NULL */
	size_t value_len;
} es_header;

typedef struct es_message {
	es_header headers[ES_MAX_HEADERS];
	int n_headers;
	const char *payload; /* points into the buffer */
	size_t payload_len;
} es_message;

/* Decodes the message at buf (len bytes available). Returns its total
 * length when it is whole and valid, 0 when more bytes are needed, -1 on
 * a framing error (a CRC that does not match, a length out of range, a
 * header that runs past its end; err says which, at byte `at`). */
int64_t es_decode(const char *buf, size_t len, size_t at, es_message *m, um_error *err);

/* The string value of header `name` (e.g. ":event-type"), or NULL; sets *len. */
const char *es_header_value(const es_message *m, const char *name, size_t *len);

/* Does header `name` hold exactly the string `value`? */
int es_header_is(const es_message *m, const char *name, const char *value);

#endif
