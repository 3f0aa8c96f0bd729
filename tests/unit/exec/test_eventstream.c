/*
 * test_eventstream.c - the AWS event-stream framing: AWS's empty-message
 * vector and a message with string and int32 headers (built by an
 * independent encoder) decode; every prefix asks for more bytes; a flipped
 * bit anywhere, a header running past the headers and lengths out of range
 * are refused (tests/cli/provider_bedrock.sh runs ConverseStream itself).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>
#include <zlib.h>

#include "exec/eventstream.h"

static const char empty_msg[] = "\x00\x00\x00\x10\x00\x00\x00\x00\x05\xc2\x48\xeb\x7d\x98\xc8\xff";

static const char delta_msg[] =
    "\x00\x00\x00\x58\x00\x00\x00\x41\x6c\x9a\x2a\x65\x0b\x3a\x65\x76\x65\x6e\x74\x2d\x74\x79"
    "\x70\x65\x07\x00\x11\x63\x6f\x6e\x74\x65\x6e\x74\x42\x6c\x6f\x63\x6b\x44\x65\x6c\x74\x61"
    "\x05\x63\x6f\x75\x6e\x74\x04\x00\x00\x00\x07\x0d\x3a\x6d\x65\x73\x73\x61\x67\x65\x2d\x74"
    "\x79\x70\x65\x07\x00\x05\x65\x76\x65\x6e\x74\x7b\x22\x78\x22\x3a\x31\x7d\x60\x46\xe2\xf1";

/* a string header claiming 50 bytes where 3 are, CRCs correct */
static const char overrun_msg[] = "\x00\x00\x00\x1b\x00\x00\x00\x0b\xe5\xc0\xa0\x72\x04\x6e\x61"
				  "\x6d\x65\x07\x00\x32\x61\x62\x63\xf7\x93\xc1\x21";

static void test_vectors(void **state)
{
	es_message m;
	um_error err;
	size_t len = 0;
	const char *v;

	(void)state;
	assert_int_equal(es_decode(empty_msg, 16, 0, &m, &err), 16);
	assert_int_equal(m.n_headers, 0);
	assert_int_equal(m.payload_len, 0);
	assert_int_equal(es_decode(delta_msg, 88, 0, &m, &err), 88);
	assert_int_equal(m.n_headers, 3);
	assert_true(es_header_is(&m, ":event-type", "contentBlockDelta"));
	assert_true(es_header_is(&m, ":message-type", "event"));
	assert_null(es_header_value(&m, "count", &len)); /* an int32, not a string */
	v = es_header_value(&m, ":event-type", &len);
	assert_non_null(v);
	assert_int_equal(len, 17);
	assert_int_equal(m.payload_len, 7);
	assert_memory_equal(m.payload, "{\"x\":1}", 7);
}

static void test_prefixes_and_flips(void **state)
{
	char buf[88];
	es_message m;
	um_error err;
	size_t i;
	int bit;

	(void)state;
	for (i = 0; i < 88; i++)
		assert_int_equal(es_decode(delta_msg, i, 0, &m, &err), 0);
	for (i = 0; i < 88; i++)
		for (bit = 0; bit < 8; bit++) {
			int64_t n;

			memcpy(buf, delta_msg, 88);
			buf[i] ^= (char)(1 << bit);
			n = es_decode(buf, 88, 0, &m, &err);
			/* the prelude's CRC is checked before its lengths are used */
			assert_int_equal(n, -1);
			assert_non_null(strstr(err.msg, i < 12 ? "prelude CRC" : "message CRC"));
		}
	assert_int_equal(es_decode(overrun_msg, 27, 0, &m, &err), -1);
	assert_non_null(strstr(err.msg, "runs past"));
}

/* A message with a valid prelude CRC whose lengths are out of range. */
static void test_lengths(void **state)
{
	static const uint32_t cases[][2] = {{15, 0}, {16, 1}, {(16u << 20) + 1, 0}, {100, 90}};
	unsigned char b[12];
	es_message m;
	um_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		uint32_t crc;
		int k;

		for (k = 0; k < 4; k++) {
			b[k] = (unsigned char)(cases[i][0] >> (24 - 8 * k));
			b[4 + k] = (unsigned char)(cases[i][1] >> (24 - 8 * k));
		}
		crc = (uint32_t)crc32(0, b, 8);
		for (k = 0; k < 4; k++)
			b[8 + k] = (unsigned char)(crc >> (24 - 8 * k));
		assert_int_equal(es_decode((const char *)b, 12, 0, &m, &err), -1);
		assert_non_null(strstr(err.msg, "out of range"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_prefixes_and_flips),
	    cmocka_unit_test(test_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
