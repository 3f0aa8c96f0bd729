/*
 * test_yml.c - the YAML tree and its strict accessors: marks, syntax errors,
 * duplicate keys, aliases (and alias bombs), typed reads and their messages,
 * JSON conversion.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "base/buf.h"
#include "load/yml.h"

#define FIX(name) FIXTURES "/yml/" name

static yml_doc *load_str(const char *text, um_error *err)
{
	return yml_load_buffer("t.yaml", text, strlen(text), err);
}

static void assert_msg(const um_error *err, const char *needle)
{
	if (!strstr(err->msg, needle))
		fail_msg("message '%s' lacks '%s'", err->msg, needle);
}

static void test_load_good_file(void **state)
{
	um_error err = {0};
	yml_doc *d = yml_load_file(FIX("good.yaml"), &err);
	yml_node *n, *deep;

	(void)state;
	assert_non_null(d);
	assert_int_equal(d->root->kind, YML_MAP);
	assert_int_equal(d->root->line, 1);
	assert_int_equal(d->root->col, 1);
	n = yml_get(d->root, "repeats");
	assert_non_null(n);
	assert_string_equal(n->scalar, "3");
	assert_int_equal(n->line, 3);
	assert_int_equal(n->col, 10);
	assert_true(n->plain);
	n = yml_get(d->root, "tags");
	assert_int_equal(n->kind, YML_SEQ);
	assert_int_equal(n->n, 3);
	assert_true(n->items[0]->plain);
	assert_false(n->items[1]->plain);
	assert_string_equal(n->items[1]->scalar, "b");
	assert_int_equal(n->items[2]->col, 16);
	deep = yml_get(yml_get(d->root, "nested"), "deep");
	assert_int_equal(deep->kind, YML_SEQ);
	assert_int_equal(deep->items[0]->line, 9);
	assert_int_equal(deep->items[0]->col, 7);
	assert_true(yml_is_null(yml_get(deep->items[0], "y")));
	assert_null(yml_get(d->root, "absent"));
	assert_null(yml_get(n, "x")); /* not a map */
	assert_int_equal(yml_check_schema(d, "test file", &err), 0);
	yml_doc_free(d);
}

static void test_syntax_error_file(void **state)
{
	um_error err = {0};

	(void)state;
	assert_null(yml_load_file(FIX("bad-syntax.yaml"), &err));
	assert_int_equal(err.code, UM_ERR_SYNTAX);
	assert_msg(&err, "bad-syntax.yaml:4:6: ");
	assert_msg(&err, "did not find expected ',' or ']' (while parsing a flow sequence)");
}

static void test_syntax_garbage(void **state)
{
	static const char *const bad[] = {
	    "a: [1, 2\n",  "a: b: c\n",	 "a:\n\tb: 1\n", "key: \"unterminated\n",
	    "- a\nb: 1\n", "a: *nope\n", "{{{{\n",	 "a: 'x'y\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < UM_ARRAY_LEN(bad); i++) {
		um_error err = {0};
		yml_doc *d = load_str(bad[i], &err);

		if (d)
			fail_msg("accepted garbage #%zu: %s", i, bad[i]);
		assert_true(err.code == UM_ERR_SYNTAX);
		assert_true(um_has_prefix(err.msg, "t.yaml:"));
	}
}

static void test_invalid_utf8(void **state)
{
	static const char text[] = "a: 1\nb: \xff\xfe\n";
	um_error err = {0};

	(void)state;
	assert_null(yml_load_buffer("u.yaml", text, sizeof(text) - 1, &err));
	assert_int_equal(err.code, UM_ERR_SYNTAX);
	assert_msg(&err, "u.yaml:2:4: ");
	assert_msg(&err, "UTF-8");
}

static void test_random_bytes(void **state)
{
	um_rng r;
	char buf[512];
	int round;
	size_t i;

	(void)state;
	um_rng_seed(&r, 42);
	for (round = 0; round < 200; round++) {
		um_error err = {0};
		yml_doc *d;

		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (char)um_rng_below(&r, 256);
		d = yml_load_buffer("r.yaml", buf, sizeof(buf), &err);
		if (d)
			yml_doc_free(d);
		else
			assert_true(um_has_prefix(err.msg, "r.yaml"));
	}
}

static void test_missing_file(void **state)
{
	um_error err = {0};

	(void)state;
	assert_null(yml_load_file(FIX("does-not-exist.yaml"), &err));
	assert_int_equal(err.code, UM_ERR_IO);
}

static void test_empty_document(void **state)
{
	um_error err = {0};
	yml_doc *d = load_str("# only a comment\n", &err);

	(void)state;
	assert_non_null(d);
	assert_null(d->root);
	assert_int_equal(yml_check_schema(d, "suite", &err), -1);
	assert_msg(&err, "t.yaml: empty document");
	yml_doc_free(d);
}

static void test_duplicate_key(void **state)
{
	um_error err = {0};

	(void)state;
	assert_null(yml_load_file(FIX("dup-key.yaml"), &err));
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_msg(&err, "dup-key.yaml:4:1: duplicate key 'name' (first at line 2)");
	/* nested, in flow style */
	assert_null(load_str("a:\n  - {x: 1, y: 2, x: 3}\n", &err));
	assert_msg(&err, "t.yaml:2:18: duplicate key 'x'");
}

static void test_alias_copied(void **state)
{
	um_error err = {0};
	yml_doc *d = yml_load_file(FIX("alias.yaml"), &err);
	yml_node *base, *copy;

	(void)state;
	assert_non_null(d);
	base = yml_get(d->root, "base");
	copy = yml_get(d->root, "copy");
	assert_non_null(copy);
	assert_true(base != copy);
	assert_int_equal(copy->kind, YML_MAP);
	assert_string_equal(yml_get(copy, "top_p")->scalar, "1");
	/* the copy keeps the anchored node's position */
	assert_int_equal(copy->line, 2);
	yml_doc_free(d);
}

static void test_alias_bomb(void **state)
{
	const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
			   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
			   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
			   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
			   "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
			   "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
			   "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n";
	um_error err = {0};

	(void)state;
	assert_null(load_str(bomb, &err));
	assert_msg(&err, "document too large: more than 1000000 nodes");
}

static void test_recursive_alias(void **state)
{
	um_error err = {0};

	(void)state;
	assert_null(load_str("a: &a [1, *a]\n", &err));
	assert_msg(&err, "nesting deeper than");
}

static void test_deep_nesting(void **state)
{
	enum { DEPTH = 5000 };
	char *text = um_xmalloc(2 * DEPTH + 2);
	um_error err = {0};

	(void)state;
	memset(text, '[', DEPTH);
	memset(text + DEPTH, ']', DEPTH);
	text[2 * DEPTH] = '\n';
	text[2 * DEPTH + 1] = '\0';
	assert_null(load_str(text, &err));
	assert_msg(&err, "t.yaml:1:258: nesting deeper than 256 levels");
	free(text);
}

static void test_refused_constructs(void **state)
{
	um_error err = {0};

	(void)state;
	assert_null(load_str("base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n", &err));
	assert_msg(&err, "t.yaml:3:3: merge keys");
	assert_null(load_str("a: 1\n---\nb: 2\n", &err));
	assert_msg(&err, "t.yaml:2:1: a second YAML document");
	assert_null(load_str("a: !!int 5\n", &err));
	assert_msg(&err, "t.yaml:1:4: YAML tag 'tag:yaml.org,2002:int' is not supported");
	assert_null(load_str("? [a, b]\n: 1\n", &err));
	assert_msg(&err, "t.yaml:1:3: mapping keys must be scalars");
}

static void test_int(void **state)
{
	um_error err = {0};
	yml_doc *d = load_str("repeats: three\nn: 12\nneg: -5\nq: \"5\"\nhex: 0x10\n"
			      "big: 99999999999999999999\nf: 1.5\nl: [1]\nnul: ~\n",
			      &err);
	int64_t v = 77;

	(void)state;
	assert_non_null(d);
	assert_int_equal(yml_int(d, d->root, "n", 1, 0, 100, &v, &err), 1);
	assert_int_equal(v, 12);
	assert_int_equal(yml_int(d, d->root, "neg", 1, -10, 10, &v, &err), 1);
	assert_int_equal(v, -5);
	assert_int_equal(yml_int(d, d->root, "repeats", 1, 1, 1000, &v, &err), -1);
	assert_string_equal(err.msg,
			    "t.yaml:1:10: 'repeats' must be an integer between 1 and 1000, "
			    "got 'three'");
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_int_equal(yml_int(d, d->root, "n", 1, 1, 10, &v, &err), -1);
	assert_msg(&err, "t.yaml:2:4: 'n' must be an integer between 1 and 10, got '12'");
	assert_int_equal(yml_int(d, d->root, "q", 1, 0, 10, &v, &err), -1);
	assert_msg(&err, "t.yaml:4:4:");
	assert_int_equal(yml_int(d, d->root, "hex", 1, 0, 100, &v, &err), -1);
	assert_int_equal(yml_int(d, d->root, "big", 1, INT64_MIN, INT64_MAX, &v, &err), -1);
	assert_int_equal(yml_int(d, d->root, "f", 1, 0, 10, &v, &err), -1);
	assert_int_equal(yml_int(d, d->root, "l", 1, 0, 10, &v, &err), -1);
	assert_msg(&err, "t.yaml:8:4: 'l' must be an integer between 0 and 10, got a sequence");
	/* missing: required is an error at the mapping, optional leaves *out */
	v = 77;
	assert_int_equal(yml_int(d, d->root, "absent", 0, 0, 10, &v, &err), 0);
	assert_int_equal(yml_int(d, d->root, "nul", 0, 0, 10, &v, &err), 0);
	assert_int_equal(v, 77);
	assert_int_equal(yml_int(d, d->root, "absent", 1, 0, 10, &v, &err), -1);
	assert_string_equal(err.msg, "t.yaml:1:1: missing required key 'absent'");
	assert_int_equal(yml_int(d, d->root, "nul", 1, 0, 10, &v, &err), -1);
	assert_msg(&err, "t.yaml:9:6: 'nul' must be an integer between 0 and 10, got null");
	yml_doc_free(d);
}

static void test_double(void **state)
{
	static const char *const good[] = {"1", "-2", "0.5", ".5", "1e3", "2.5E-2", "+7."};
	static const double want[] = {1, -2, 0.5, 0.5, 1000, 0.025, 7};
	static const char *const bad[] = {".nan",  ".inf", "nan", "inf", "0x1p3", "1e",
					  "'1.5'", "abc",  "1,5", "[1]", "."};
	size_t i;

	(void)state;
	for (i = 0; i < UM_ARRAY_LEN(good); i++) {
		um_error err = {0};
		char *text = um_xasprintf("v: %s\n", good[i]);
		yml_doc *d = load_str(text, &err);
		double x = -1;

		assert_non_null(d);
		assert_int_equal(yml_double(d, d->root, "v", 1, -10, 1e6, &x, &err), 1);
		assert_true(x == want[i]);
		yml_doc_free(d);
		free(text);
	}
	for (i = 0; i < UM_ARRAY_LEN(bad); i++) {
		um_error err = {0};
		char *text = um_xasprintf("value: %s\n", bad[i]);
		yml_doc *d = load_str(text, &err);
		double x = -1;

		assert_non_null(d);
		assert_int_equal(yml_double(d, d->root, "value", 1, -1e9, 1e9, &x, &err), -1);
		assert_msg(&err, "t.yaml:1:8: 'value' must be a number between");
		yml_doc_free(d);
		free(text);
	}
	{
		um_error err = {0};
		yml_doc *d = load_str("value: 101\n", &err);
		double x;

		assert_int_equal(yml_double(d, d->root, "value", 1, 0, 100, &x, &err), -1);
		assert_string_equal(err.msg, "t.yaml:1:8: 'value' must be a number between 0 and "
					     "100, got '101'");
		yml_doc_free(d);
	}
}

static void test_bool_and_enum(void **state)
{
	static const char *const kinds[] = {"mcq", "terminal", NULL};
	um_error err = {0};
	yml_doc *d = load_str("a: true\nb: false\nc: yes\nd: True\ne: \"true\"\n"
			      "kind: terminal\nk2: swe\n",
			      &err);
	int v = -1;

	(void)state;
	assert_int_equal(yml_bool(d, d->root, "a", 1, &v, &err), 1);
	assert_int_equal(v, 1);
	assert_int_equal(yml_bool(d, d->root, "b", 1, &v, &err), 1);
	assert_int_equal(v, 0);
	assert_int_equal(yml_bool(d, d->root, "c", 1, &v, &err), -1);
	assert_string_equal(err.msg, "t.yaml:3:4: 'c' must be true or false, got 'yes'");
	assert_int_equal(yml_bool(d, d->root, "d", 1, &v, &err), -1);
	assert_int_equal(yml_bool(d, d->root, "e", 1, &v, &err), -1);
	assert_int_equal(yml_enum(d, d->root, "kind", 1, kinds, &v, &err), 1);
	assert_int_equal(v, 1);
	assert_int_equal(yml_enum(d, d->root, "k2", 1, kinds, &v, &err), -1);
	assert_string_equal(err.msg, "t.yaml:7:5: 'k2' must be one of: mcq, terminal; got 'swe'");
	yml_doc_free(d);
}

static void test_str(void **state)
{
	um_error err = {0};
	yml_doc *d = load_str("name: demo\nversion: 1.0\nlist: [a]\nempty:\nq: \"\"\n", &err);
	char *s = NULL;

	(void)state;
	assert_int_equal(yml_str(d, d->root, "name", 1, &s, &err), 1);
	assert_string_equal(s, "demo");
	free(s);
	s = NULL;
	assert_int_equal(yml_str(d, d->root, "version", 1, &s, &err), 1);
	assert_string_equal(s, "1.0"); /* a plain number kept as text */
	free(s);
	s = NULL;
	assert_int_equal(yml_str(d, d->root, "list", 1, &s, &err), -1);
	assert_string_equal(err.msg, "t.yaml:3:7: 'list' must be a string, got a sequence");
	assert_int_equal(yml_str(d, d->root, "empty", 0, &s, &err), 0);
	assert_null(s);
	assert_int_equal(yml_str(d, d->root, "empty", 1, &s, &err), -1);
	assert_msg(&err, "'empty' must be a string, got null");
	assert_int_equal(yml_str(d, d->root, "q", 1, &s, &err), 1);
	assert_string_equal(s, "");
	free(s);
	/* not a map */
	assert_int_equal(yml_str(d, yml_get(d->root, "list"), "x", 1, &s, &err), -1);
	assert_msg(&err, "t.yaml:3:7:");
	yml_doc_free(d);
}

static void test_check_keys_and_expect(void **state)
{
	static const char *const allowed[] = {"umpire", "name", "kind", NULL};
	um_error err = {0};
	yml_doc *d = load_str("umpire: 1\nname: x\n  # c\nkidn: mcq\n", &err);

	(void)state;
	assert_int_equal(yml_check_keys(d, d->root, allowed, "suite", &err), -1);
	assert_string_equal(err.msg, "t.yaml:4:1: unknown key 'kidn' in suite "
				     "(allowed: umpire, name, kind)");
	assert_int_equal(yml_expect(d, d->root, YML_MAP, "suite", &err), 0);
	assert_int_equal(yml_expect(d, yml_get(d->root, "name"), YML_SEQ, "name", &err), -1);
	assert_string_equal(err.msg, "t.yaml:2:7: 'name' must be a sequence, got a scalar");
	assert_int_equal(yml_fail(d, yml_get(d->root, "kidn"), UM_ERR_INVALID, &err, "no %d", 5),
			 -1);
	assert_string_equal(err.msg, "t.yaml:4:7: no 5");
	yml_doc_free(d);
}

static void test_schema_version(void **state)
{
	um_error err = {0};
	yml_doc *d;

	(void)state;
	d = load_str("umpire: 2\n", &err);
	assert_int_equal(yml_check_schema(d, "suite", &err), -1);
	assert_msg(&err, "t.yaml:1:9: 'umpire' must be 1");
	yml_doc_free(d);
	d = load_str("name: x\n", &err);
	assert_int_equal(yml_check_schema(d, "suite", &err), -1);
	assert_msg(&err, "t.yaml:1:1: missing required key 'umpire'");
	yml_doc_free(d);
	d = load_str("[1, 2]\n", &err);
	assert_int_equal(yml_check_schema(d, "suite", &err), -1);
	assert_msg(&err, "t.yaml:1:1: 'suite' must be a mapping, got a sequence");
	yml_doc_free(d);
}

static void test_to_json(void **state)
{
	um_error err = {0};
	yml_doc *d = load_str("temperature: 0\ntop_p: 0.95\nseed: -3\nstop: [\"a\", b]\n"
			      "n: ~\nm: null\nt: true\nf: false\nq: \"12\"\nqt: 'true'\n"
			      "word: hello\ninf: .inf\nbig: 1e400\nexp: 1e3\nyes: yes\n",
			      &err);
	json_t *j;
	char *dump;

	(void)state;
	assert_non_null(d);
	j = yml_to_json(d, d->root, &err);
	assert_non_null(j);
	dump = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
	assert_string_equal(dump, "{\"big\":\"1e400\",\"exp\":1000.0,\"f\":false,"
				  "\"inf\":\".inf\",\"m\":null,\"n\":null,\"q\":\"12\","
				  "\"qt\":\"true\",\"seed\":-3,\"stop\":[\"a\",\"b\"],"
				  "\"t\":true,\"temperature\":0,\"top_p\":0.95,"
				  "\"word\":\"hello\",\"yes\":\"yes\"}");
	assert_true(json_is_integer(json_object_get(j, "temperature")));
	free(dump);
	json_decref(j);
	yml_doc_free(d);
}


/* The pre-scan: 400 KB of nested `[` is refused at the 258th bracket,
 * before libyaml parses (whose scanner is quadratic in that depth): the
 * error's column says where the scan stopped, which is the work done. */
static void test_prescan_deep_flow(void **state)
{
	size_t n = 400 * 1024, i;
	char *text = malloc(n + 1);
	um_error err = {0};
	yml_doc *d;

	(void)state;
	for (i = 0; i < n; i++)
		text[i] = '[';
	text[n] = '\0';
	d = yml_load_buffer("deep.yaml", text, n, &err);
	assert_null(d);
	assert_int_equal(err.code, UM_ERR_SYNTAX);
	assert_string_equal(err.msg, "deep.yaml:1:258: nesting deeper than 256 levels");
	free(text);
}

static void test_prescan_deep_block(void **state)
{
	um_buf b = UM_BUF_INIT;
	um_error err = {0};
	yml_doc *d;
	int i;

	(void)state;
	um_buf_init(&b, 0);
	for (i = 0; i < 300; i++)
		um_buf_printf(&b, "%*sk%d:\n", i, "", i);
	um_buf_printf(&b, "%*sx: 1\n", 300, "");
	d = yml_load_buffer("block.yaml", um_buf_str(&b), b.len, &err);
	assert_null(d);
	assert_non_null(strstr(err.msg, "nesting deeper than 256 levels"));
	/* one sequence per "- " on a line counts too */
	um_buf_release(&b);
	um_buf_init(&b, 0);
	for (i = 0; i < 300; i++)
		um_buf_puts(&b, "- ");
	um_buf_puts(&b, "x\n");
	d = yml_load_buffer("seq.yaml", um_buf_str(&b), b.len, &err);
	assert_null(d);
	assert_non_null(strstr(err.msg, "seq.yaml:1:"));
	um_buf_release(&b);
}

/* Brackets inside quotes and comments open nothing; moderate nesting and
 * long flat files load. */
static void test_prescan_no_false_alarm(void **state)
{
	um_buf b = UM_BUF_INIT;
	um_error err = {0};
	yml_doc *d;
	int i;

	(void)state;
	um_buf_init(&b, 0);
	um_buf_puts(&b, "a: \"");
	for (i = 0; i < 1000; i++)
		um_buf_puts(&b, "[{");
	um_buf_puts(&b, "\"\nb: '");
	for (i = 0; i < 1000; i++)
		um_buf_puts(&b, "[");
	um_buf_puts(&b, "'' ['\n# ");
	for (i = 0; i < 1000; i++)
		um_buf_puts(&b, "[");
	um_buf_puts(&b, "\nc: ");
	for (i = 0; i < 200; i++)
		um_buf_puts(&b, "[");
	for (i = 0; i < 200; i++)
		um_buf_puts(&b, "]");
	um_buf_puts(&b, "\nd: don't [stop]\n");
	for (i = 0; i < 5000; i++)
		um_buf_printf(&b, "k%d: [1, {x: 2}]\n", i);
	d = yml_load_buffer("ok.yaml", um_buf_str(&b), b.len, &err);
	if (!d)
		fail_msg("%s", err.msg);
	yml_doc_free(d);
	um_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load_good_file),
	    cmocka_unit_test(test_prescan_deep_flow),
	    cmocka_unit_test(test_prescan_deep_block),
	    cmocka_unit_test(test_prescan_no_false_alarm),
	    cmocka_unit_test(test_syntax_error_file),
	    cmocka_unit_test(test_syntax_garbage),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_random_bytes),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_empty_document),
	    cmocka_unit_test(test_duplicate_key),
	    cmocka_unit_test(test_alias_copied),
	    cmocka_unit_test(test_alias_bomb),
	    cmocka_unit_test(test_recursive_alias),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_refused_constructs),
	    cmocka_unit_test(test_int),
	    cmocka_unit_test(test_double),
	    cmocka_unit_test(test_bool_and_enum),
	    cmocka_unit_test(test_str),
	    cmocka_unit_test(test_check_keys_and_expect),
	    cmocka_unit_test(test_schema_version),
	    cmocka_unit_test(test_to_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
