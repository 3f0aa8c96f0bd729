/*
 * test_toml.c - the TOML reader: every value kind, the define-once rules,
 * errors with file:line:col, key positions, and garbage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "load/toml.h"
#include "base/util.h"

static json_t *parse(const char *text, um_error *err)
{
	return toml_parse("t.toml", text, strlen(text), NULL, err);
}

/* Parse text and compare with the JSON expected. */
static void expect_json(const char *text, const char *expected)
{
	um_error err = {0};
	json_t *got = parse(text, &err), *want = json_loads(expected, JSON_DECODE_ANY, NULL);

	if (!got)
		fail_msg("parse failed: %s\n--- input:\n%s", err.msg, text);
	assert_non_null(want);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_SORT_KEYS);
		fail_msg("got %s\nwanted %s", g, expected);
	}
	json_decref(got);
	json_decref(want);
}

/* Parse text, expect a syntax error whose message starts with prefix and
 * contains needle. */
static void expect_error(const char *text, const char *prefix, const char *needle)
{
	um_error err = {0};
	json_t *got = parse(text, &err);

	if (got) {
		char *g = json_dumps(got, 0);
		fail_msg("parsed, wanted an error: %s\n--- input:\n%s", g, text);
	}
	assert_int_equal(err.code, UM_ERR_SYNTAX);
	if (strncmp(err.msg, prefix, strlen(prefix)) != 0 || !strstr(err.msg, needle))
		fail_msg("message '%s' does not start with '%s' or lacks '%s'", err.msg, prefix,
			 needle);
}

static void test_task_toml_shape(void **state)
{
	(void)state;
	expect_json("# a Harbor task\n"
		    "version = \"1.0\"\n"
		    "\n"
		    "[metadata]\n"
		    "author_name = \"A. N. Author\"\n"
		    "difficulty = \"medium\"   # trailing comment\n"
		    "tags = [\"a\", 'b',]\n"
		    "expert_time_estimate_min = 30.0\n"
		    "\n"
		    "[verifier]\n"
		    "timeout_sec = 900.0\n"
		    "[agent]\n"
		    "timeout_sec = 600\n"
		    "[environment]\n"
		    "docker_image = \"ghcr.io/x/y:1\"\n"
		    "cpus = 1\n"
		    "memory = \"2G\"\n"
		    "allow_internet = true\n",
		    "{\"version\":\"1.0\",\"metadata\":{\"author_name\":\"A. N. Author\","
		    "\"difficulty\":\"medium\",\"tags\":[\"a\",\"b\"],"
		    "\"expert_time_estimate_min\":30.0},\"verifier\":{\"timeout_sec\":900.0},"
		    "\"agent\":{\"timeout_sec\":600},\"environment\":{\"docker_image\":"
		    "\"ghcr.io/x/y:1\",\"cpus\":1,\"memory\":\"2G\",\"allow_internet\":true}}");
}

static void test_strings(void **state)
{
	(void)state;
	expect_json("a = \"tab\\tquote\\\" back\\\\ nl\\n \\u00e9 \\U0001F600 \\b\\f\\r\"",
		    "{\"a\":\"tab\\tquote\\\" back\\\\ nl\\n \\u00e9 \\ud83d\\ude00 \\b\\f\\r\"}");
	expect_json("a = 'C:\\Users\\x' \nb = ''\nc = \"\"", "{\"a\":\"C:\\\\Users\\\\x\","
		    "\"b\":\"\",\"c\":\"\"}");
	/* multi-line basic: first newline trimmed, line-ending backslash */
	expect_json("s = \"\"\"\nRoses\r\nare \\\n    red\"\"\"", "{\"s\":\"Roses\\nare red\"}");
	/* up to two quotes before the closing delimiter belong to the string */
	expect_json("s = \"\"\"say \"hi\"\"\"\"\"", "{\"s\":\"say \\\"hi\\\"\\\"\"}");
	expect_json("s = '''\nfirst\n  \\n raw'''\nt = ''''x'''' ",
		    "{\"s\":\"first\\n  \\\\n raw\",\"t\":\"'x'\"}");
	expect_json("\"quoted key\" = 1\n'lit.key' = 2\n\"\" = 3",
		    "{\"quoted key\":1,\"lit.key\":2,\"\":3}");
	expect_json("a = \"caf\xc3\xa9\"", "{\"a\":\"caf\\u00e9\"}");
	/* a byte order mark at the start is allowed */
	expect_json("\xEF\xBB\xBF" "a = 1", "{\"a\":1}");
}

static void test_numbers(void **state)
{
	(void)state;
	expect_json("a = 1_000\nb = -17\nc = +5\nd = 0\ne = 0xDEAD_beef\nf = 0o755\ng = 0b1010\n"
		    "h = 9223372036854775807\ni = -9223372036854775808\nj = -0",
		    "{\"a\":1000,\"b\":-17,\"c\":5,\"d\":0,\"e\":3735928559,\"f\":493,\"g\":10,"
		    "\"h\":9223372036854775807,\"i\":-9223372036854775808,\"j\":0}");
	expect_json("a = 3.5\nb = -0.25\nc = 5e+2\nd = 1e06\ne = 6.25e-2\nf = 1_000.5\ng = 2E3",
		    "{\"a\":3.5,\"b\":-0.25,\"c\":500.0,\"d\":1000000.0,\"e\":0.0625,"
		    "\"f\":1000.5,\"g\":2000.0}");
	expect_json("t = true\nf = false", "{\"t\":true,\"f\":false}");
}

static void test_arrays_tables(void **state)
{
	(void)state;
	expect_json("a = [\n  1, # one\n  [2, 3],\n  \"x\",\n  {k = 'v'},\n\n]\nb = []\n",
		    "{\"a\":[1,[2,3],\"x\",{\"k\":\"v\"}],\"b\":[]}");
	expect_json("p = { x = 1, y.z = 2 , name = \"n\" }\ne = {}",
		    "{\"p\":{\"x\":1,\"y\":{\"z\":2},\"name\":\"n\"},\"e\":{}}");
	expect_json("a.b.c = 1\na.b.d = 2\n\"a\" . e = 3",
		    "{\"a\":{\"b\":{\"c\":1,\"d\":2},\"e\":3}}");
	expect_json("[x.y.z]\nv = 1\n[x]\nw = 2\n[x.y]\nu = 3",
		    "{\"x\":{\"y\":{\"z\":{\"v\":1},\"u\":3},\"w\":2}}");
	expect_json("[fruit]\napple.color = 'red'\n[fruit.apple.texture]\nsmooth = true",
		    "{\"fruit\":{\"apple\":{\"color\":\"red\",\"texture\":{\"smooth\":true}}}}");
	expect_json("[[f]]\nname = 'a'\n[f.info]\nn = 1\n[[f]]\nname = 'b'\n[[f.v]]\nk = 1",
		    "{\"f\":[{\"name\":\"a\",\"info\":{\"n\":1}},{\"name\":\"b\","
		    "\"v\":[{\"k\":1}]}]}");
	expect_json("  [ spaced . table ]  # c\nk=1", "{\"spaced\":{\"table\":{\"k\":1}}}");
	expect_json("", "{}");
	expect_json("# only a comment\n\n", "{}");
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("a = 1\na = 2", "t.toml:2:1: ", "defined twice");
	expect_error("[t]\nx = 1\n[t]", "t.toml:3:2: ", "defined twice");
	expect_error("a.b = 1\n[a]", "t.toml:2:2: ", "defined twice");
	expect_error("[a.b]\n[a]\nb.c = 1", "t.toml:3:1: ", "defined elsewhere");
	expect_error("a = 1\na.b = 2", "t.toml:2:1: ", "already holds a value");
	expect_error("a = 1\n[a.b]", "t.toml:2:2: ", "already holds a value");
	expect_error("a = {x = 1}\n[a]", "t.toml:2:2: ", "inline table");
	expect_error("a = {x = 1}\na.y = 2", "t.toml:2:1: ", "defined elsewhere");
	expect_error("a = [1]\n[[a]]", "t.toml:2:3: ", "not an array of tables");
	expect_error("[[a]]\n[a]", "t.toml:2:2: ", "array of tables");
	expect_error("[a]\n[[a]]", "t.toml:2:3: ", "not an array of tables");
	expect_error("n = 012", "t.toml:1:5: ", "leading zeros");
	expect_error("n = 1__2", "t.toml:1:5: ", "'_'");
	expect_error("n = 1_", "t.toml:1:5: ", "'_'");
	expect_error("n = _1", "t.toml:1:5: ", "strings need quotes");
	expect_error("n = 1.", "t.toml:1:5: ", "invalid float");
	expect_error("n = .5", "t.toml:1:5: ", "expected a value");
	expect_error("n = 1e", "t.toml:1:5: ", "exponent");
	expect_error("n = -0x10", "t.toml:1:5: ", "sign");
	expect_error("n = 0xG", "t.toml:1:5: ", "invalid integer");
	expect_error("n = 9223372036854775808", "t.toml:1:5: ", "out of range");
	expect_error("n = -9223372036854775809", "t.toml:1:5: ", "out of range");
	expect_error("n = 1e999", "t.toml:1:5: ", "out of range");
	expect_error("d = 1979-05-27", "t.toml:1:5: ", "dates and times are not supported");
	expect_error("d = 1979-05-27T07:32:00Z", "t.toml:1:5: ", "dates");
	expect_error("d = 07:32:00", "t.toml:1:5: ", "dates");
	expect_error("x = inf", "t.toml:1:5: ", "inf or nan");
	expect_error("x = -nan", "t.toml:1:5: ", "inf or nan");
	expect_error("x = tru", "t.toml:1:5: ", "strings need quotes");
	expect_error("x = \"open", "t.toml:1:5: ", "unterminated string");
	expect_error("x = \"a\nb\"", "t.toml:1:5: ", "unterminated string");
	expect_error("x = 'a", "t.toml:1:5: ", "unterminated string");
	expect_error("\n\nx = \"\"\"never\nclosed", "t.toml:3:5: ", "unterminated multi-line");
	expect_error("x = \"bad \\q\"", "t.toml:1:10: ", "invalid escape sequence '\\q'");
	expect_error("x = \"\\u12\"", "t.toml:1:6: ", "hexadecimal digits");
	expect_error("x = \"\\uD800\"", "t.toml:1:6: ", "not a Unicode scalar value");
	expect_error("x = \"\\U00110000\"", "t.toml:1:6: ", "not a Unicode scalar value");
	expect_error("x = \"a\x01\"", "t.toml:1:7: ", "control character 0x01");
	expect_error("x = 1 # bell\x07", "t.toml:1:13: ", "in a comment");
	expect_error("x = 1\ny = \xff", "t.toml:2:5: ", "invalid UTF-8");
	expect_error("x = \"\xc3\x28\"", "t.toml:1:6: ", "invalid UTF-8");
	expect_error("x = 1\ry = 2", "t.toml:1:6: ", "end of the line");
	expect_error("x = \"a\" y = 2", "t.toml:1:9: ", "end of the line");
	expect_error("x 1", "t.toml:1:3: ", "expected '='");
	expect_error("= 1", "t.toml:1:1: ", "expected a key");
	expect_error("x =", "t.toml:1:4: ", "expected a value");
	expect_error("x = # nothing", "t.toml:1:5: ", "a comment");
	expect_error("x = [1, 2", "t.toml:1:5: ", "unterminated array");
	expect_error("x = [\n 1,\n 2\n", "t.toml:1:5: ", "unterminated array");
	expect_error("x = [1 2]", "t.toml:1:8: ", "expected ',' or ']'");
	expect_error("x = [,]", "t.toml:1:6: ", "expected a value");
	expect_error("x = {a = 1,}", "t.toml:1:12: ", "trailing comma");
	expect_error("x = {a = 1\n}", "t.toml:1:11: ", "same line");
	expect_error("x = {\na = 1}", "t.toml:1:6: ", "one line");
	expect_error("x = {a = 1, a = 2}", "t.toml:1:13: ", "defined twice");
	expect_error("[a", "t.toml:1:3: ", "close the table header");
	expect_error("[[a]", "t.toml:1:4: ", "']]'");
	expect_error("[]", "t.toml:1:2: ", "expected a key");
	expect_error("a.", "t.toml:1:3: ", "expected a key");
	expect_error("\"\"\"k\"\"\" = 1", "t.toml:1:1: ", "multi-line");
	expect_error("x = \"\"\"a\"\"\"\"\"\"", "t.toml:1:14: ", "too many quotes");
}

static void test_depth_limit(void **state)
{
	char buf[4 + 2 * (TOML_MAX_DEPTH + 2) + 1];
	int i, n = 0;

	(void)state;
	n += snprintf(buf, sizeof(buf), "x = ");
	for (i = 0; i < TOML_MAX_DEPTH + 1; i++)
		buf[n++] = '[';
	for (i = 0; i < TOML_MAX_DEPTH + 1; i++)
		buf[n++] = ']';
	buf[n] = '\0';
	expect_error(buf, "t.toml:1:", "nested deeper");
	/* exactly the limit is fine */
	buf[4 + TOML_MAX_DEPTH] = ' ';
	buf[4 + TOML_MAX_DEPTH + 1 + TOML_MAX_DEPTH] = ' ';
	{
		um_error err = {0};
		json_t *v = parse(buf, &err);
		assert_non_null(v);
		json_decref(v);
	}
}

static void test_positions(void **state)
{
	const char *text = "title = 'x'\n[metadata]\n  difficulty = 'hard'\n"
			   "[[fruits]]\nname = 'a'\n[[fruits]]\n   name = 'b'\n"
			   "p = {q = 1}\n";
	um_error err = {0};
	json_t *pos = NULL, *v = toml_parse("p.toml", text, strlen(text), &pos, &err);
	int line, col;

	(void)state;
	assert_non_null(v);
	assert_non_null(pos);
	assert_int_equal(toml_pos_lookup(pos, "metadata.difficulty", &line, &col), 0);
	assert_int_equal(line, 3);
	assert_int_equal(col, 3);
	assert_int_equal(toml_pos_lookup(pos, "fruits[1].name", &line, &col), 0);
	assert_int_equal(line, 7);
	assert_int_equal(col, 4);
	assert_int_equal(toml_pos_lookup(pos, "fruits[1].p.q", &line, &col), 0);
	assert_int_equal(line, 8);
	assert_int_equal(toml_pos_lookup(pos, "metadata", &line, &col), 0);
	assert_int_equal(line, 2);
	assert_int_equal(toml_pos_lookup(pos, "nope", &line, &col), -1);
	assert_int_equal(line, 0);
	assert_int_equal(toml_pos_lookup(NULL, "title", &line, &col), -1);
	json_decref(v);
	json_decref(pos);
}

static void test_columns_count_characters(void **state)
{
	(void)state;
	/* "é" is two bytes but one column */
	expect_error("\"\xc3\xa9\" = 1\n\"\xc3\xa9\xc3\xa9\" = \"x\" junk",
		     "t.toml:2:12: ", "end of the line");
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/umpire-toml-XXXXXX";
	um_error err = {0};
	json_t *v;
	int fd;

	(void)state;
	v = toml_load_file("/nonexistent/umpire/task.toml", NULL, &err);
	assert_null(v);
	assert_int_equal(err.code, UM_ERR_IO);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[a]\nb = 2\nc = [\n", 15), 15);
	close(fd);
	v = toml_load_file(path, NULL, &err);
	assert_null(v);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, ":3:5: unterminated array"));
	unlink(path);
}

/* Random bytes and mutations of a valid file: never a crash, and a failure
 * always names the file with a line and column. */
static void test_garbage(void **state)
{
	static const char valid[] =
		"version = \"1.0\"\n[metadata]\ntags = [\"a\", 'b']\n[agent]\ntimeout_sec = 1.5\n"
		"x = {a = 1, b.c = \"\"\"m\nl\"\"\"}\n[[t]]\nk = 0x1F\n";
	char buf[256];
	um_rng r;
	int i, j;

	(void)state;
	um_rng_seed(&r, 20250101);
	for (i = 0; i < 3000; i++) {
		um_error err = {0};
		size_t n;
		json_t *v;

		if (i % 2) {
			n = (size_t)um_rng_below(&r, sizeof(buf));
			for (j = 0; j < (int)n; j++) /* mostly TOML punctuation */
				buf[j] = "[]{}=\"'.,#\n \\abc019_-+:xe\r\t"[um_rng_below(&r, 28)];
			if (um_rng_below(&r, 4) == 0 && n)
				buf[um_rng_below(&r, n)] = (char)um_rng_below(&r, 256);
		} else {
			n = sizeof(valid) - 1;
			memcpy(buf, valid, n);
			for (j = 0; j < 3; j++)
				buf[um_rng_below(&r, n)] = (char)um_rng_below(&r, 128);
			n = (size_t)um_rng_below(&r, n + 1);
		}
		v = toml_parse("g.toml", buf, n, NULL, &err);
		if (v)
			json_decref(v);
		else if (strncmp(err.msg, "g.toml:", 7) != 0 || err.code != UM_ERR_SYNTAX)
			fail_msg("iteration %d: bad error '%s'", i, err.msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_task_toml_shape),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_arrays_tables),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_columns_count_characters),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
