/*
 * test_jscan.c - the small strict JSON reader: documents it reads (values,
 * lookups, decoded strings compared with jansson's), and every kind it
 * gives up on, each of which jansson refuses or could read differently.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/jscan.h"

static jscan J;

static void test_reads(void **state)
{
	const char *doc = " {\"a\":[1,-2,true,false,null,\"x\"],\"o\":{\"k\":\"v\"},"
			  "\"n\":-9223372036854775808,\"m\":9223372036854775807,\"e\":{},\"z\":[]}\n";
	int a, o;

	(void)state;
	assert_int_equal(jscan_parse(&J, doc, strlen(doc)), 0);
	assert_int_equal(jscan_type_of(&J, 0), JSCAN_OBJ);
	a = jscan_get(&J, 0, "a");
	assert_int_equal(J.nodes[a].n_children, 6);
	assert_int_equal(J.nodes[jscan_index(&J, a, 0)].i, 1);
	assert_int_equal(J.nodes[jscan_index(&J, a, 1)].i, -2);
	assert_int_equal(jscan_type_of(&J, jscan_index(&J, a, 2)), JSCAN_TRUE);
	assert_int_equal(jscan_type_of(&J, jscan_index(&J, a, 3)), JSCAN_FALSE);
	assert_int_equal(jscan_type_of(&J, jscan_index(&J, a, 4)), JSCAN_NULL);
	assert_int_equal(jscan_type_of(&J, jscan_index(&J, a, 5)), JSCAN_STR);
	assert_int_equal(jscan_index(&J, a, 6), -1);
	o = jscan_get(&J, 0, "o");
	assert_int_equal(jscan_type_of(&J, jscan_get(&J, o, "k")), JSCAN_STR);
	assert_int_equal(jscan_get(&J, o, "missing"), -1);
	assert_int_equal(jscan_get(&J, a, "k"), -1); /* not an object */
	assert_true(J.nodes[jscan_get(&J, 0, "n")].i == INT64_MIN);
	assert_true(J.nodes[jscan_get(&J, 0, "m")].i == INT64_MAX);
	assert_int_equal(jscan_type_of(&J, -1), -1);
}

/* Decoded strings are jansson's, byte for byte. */
static void test_strings(void **state)
{
	static const char *const docs[] = {
		"[\"plain\"]", "[\"\"]", "[\"tab\\t nl\\n cr\\r \\b \\f \\/ \\\\ \\\"\"]",
		"[\"\\u00e9 \\u20ac \\u007f \\u0001\"]", "[\"\\ud83d\\ude00 \\uD83D\\uDE00\"]",
		"[\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"]"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(*docs); i++) {
		json_t *v = json_loads(docs[i], 0, NULL);
		char *s;

		assert_non_null(v);
		assert_int_equal(jscan_parse(&J, docs[i], strlen(docs[i])), 0);
		s = jscan_strdup(&J, jscan_index(&J, 0, 0));
		assert_string_equal(s, json_string_value(json_array_get(v, 0)));
		free(s);
		json_decref(v);
	}
}

/* Each is refused by jansson (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY), or
 * read in a way this reader leaves to it (reals, escaped keys, U+0000). */
static void test_gives_up(void **state)
{
	static const char *const docs[] = {
		"", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[1 2]", "{} {}",
		"{}x", "tru", "nul", "[truex]", "01", "-", "-01", "1.5", "1e3", "1E3",
		"9223372036854775808", "-9223372036854775809", "99999999999999999999",
		"\"\\u0000\"", "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83d\\u0041\"", "\"\\u12\"",
		"\"\\x\"", "\"ctrl\x01\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
		"\"\xe2\x82\"", "\"\x80\"", "\"open", "{\"a\":1,\"a\":2}", "{\"\\u0061\":1}",
		"[+1]", "\xef\xbb\xbf{}"};
	char deep[JSCAN_MAX_DEPTH * 2 + 8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(*docs); i++)
		if (jscan_parse(&J, docs[i], strlen(docs[i])) != -1)
			fail_msg("read: %s", docs[i]);
	/* deeper than the reader goes; more nodes than its table holds */
	memset(deep, '[', JSCAN_MAX_DEPTH + 2);
	memset(deep + JSCAN_MAX_DEPTH + 2, ']', JSCAN_MAX_DEPTH + 2);
	assert_int_equal(jscan_parse(&J, deep, 2 * (JSCAN_MAX_DEPTH + 2)), -1);
	{
		char *many = malloc(JSCAN_MAX_NODES * 2 + 4);
		size_t n = 0;
		int k;

		many[n++] = '[';
		for (k = 0; k < JSCAN_MAX_NODES; k++) {
			many[n++] = '0';
			many[n++] = ',';
		}
		many[n - 1] = ']';
		assert_int_equal(jscan_parse(&J, many, n), -1);
		free(many);
	}
	/* a NUL inside the given length */
	assert_int_equal(jscan_parse(&J, "[1]\0", 4), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_gives_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
