/*
 * test_pylit.c - the strict reader of Python literals: every escape as
 * CPython decodes it, raw and u prefixes, continuations inside and outside
 * strings, comments, adjacent literals, dicts of integer and string keys,
 * a function's assignments with its f-string, the offsets kept for each
 * decoded byte, and garbage refused at file:line:col.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "load/pylit.h"

static void assert_msg(const um_error *err, const char *needle)
{
	if (!strstr(err->msg, needle))
		fail_msg("message '%s' lacks '%s'", err->msg, needle);
}

/* The module src read; the string value of its one assignment. */
static char *one_string(const char *src, pylit_file *f)
{
	um_error err = {0};

	if (pylit_read_module("m.py", src, strlen(src), f, &err) < 0)
		fail_msg("refused: %s", err.msg);
	assert_int_equal(f->n, 1);
	assert_false(f->a[0].is_dict);
	return f->a[0].str.text;
}

static void module_fails_n(const char *src, size_t len, const char *needle)
{
	pylit_file f = {0};
	um_error err = {0};

	if (pylit_read_module("m.py", src, len, &f, &err) == 0)
		fail_msg("accepted: %s", src);
	assert_msg(&err, needle);
	pylit_file_release(&f);
}

static void module_fails(const char *src, const char *needle)
{
	module_fails_n(src, strlen(src), needle);
}

static void test_escapes(void **state)
{
	pylit_file f = {0};

	(void)state;
	assert_string_equal(one_string("X = '\\\\ \\' \\\" \\a\\b\\f\\n\\r\\t\\v'\n", &f),
			    "\\ ' \" \a\b\f\n\r\t\v");
	assert_string_equal(one_string("X = \"\\101\\60\\7\\1234 \\x41\\x7e\"\n", &f),
			    "A0\aS4 A~");
	assert_string_equal(one_string("X = '\\u00e9\\U0001F600\\u03bb'\n", &f),
			    "\xC3\xA9\xF0\x9F\x98\x80\xCE\xBB");
	/* octal past 0o377 is the code point (CPython warns) */
	assert_string_equal(one_string("X = '\\777'\n", &f), "\xC7\xBF");
	/* unknown escapes keep their backslash */
	assert_string_equal(one_string("X = '\\q \\lambda \\d \\{ \\\xCE\xBB'\n", &f),
			    "\\q \\lambda \\d \\{ \\\xCE\xBB");
	/* backslash-newline inside a string: nothing */
	assert_string_equal(one_string("X = 'ab\\\ncd'\n", &f), "abcd");
	assert_string_equal(one_string("X = \"\"\"a\\\n b\nc\"\"\"\n", &f), "a b\nc");
	/* raw: as written, quotes escaped for the tokenizer only */
	assert_string_equal(one_string("X = r'\\n\\q\\''\n", &f), "\\n\\q\\'");
	assert_string_equal(one_string("X = R\"\"\"a\\\nb\"\"\"\n", &f), "a\\\nb");
	assert_string_equal(one_string("X = u'\\x41' U\"b\"\n", &f), "Ab");
	pylit_file_release(&f);
}

static void test_layout(void **state)
{
	static const char src[] =
		"# a comment\n"
		"A = \\\n"
		"    'one' \"two\"  # adjacent literals\n"
		"\n"
		"B = (\n"
		"    'x'\n"
		"    # a comment between\n"
		"    '''y'''\n"
		")\n"
		"C = {\n"
		"    1: \\\n"
		"    \"\"\"{}\n"
		"    indented\n"
		"    \"\"\",\n"
		"    'k': ('a' 'b'),\n"
		"    20: 'z',\n"
		"}\n"
		"D = {}\r\n"
		"E = ''";
	pylit_file f = {0};
	um_error err = {0};
	const pylit_assign *c;
	const pylit_str *v;

	(void)state;
	assert_int_equal(pylit_read_module("m.py", src, sizeof(src) - 1, &f, &err), 0);
	assert_int_equal(f.n, 5);
	assert_string_equal(pylit_find(&f, "A")->str.text, "onetwo");
	assert_string_equal(pylit_find(&f, "B")->str.text, "xy");
	c = pylit_find(&f, "C");
	assert_true(c->is_dict);
	assert_int_equal(c->n_entries, 3);
	v = pylit_dict_int(c, 1);
	assert_string_equal(v->text, "{}\n    indented\n    ");
	/* each byte knows its source offset: the '{' is at line 12, col 8 */
	assert_int_equal(v->src[0], (size_t)(strstr(src, "{}\n") - src));
	assert_string_equal(c->entries[1].skey, "k");
	assert_string_equal(c->entries[1].val.text, "ab");
	assert_string_equal(pylit_dict_int(c, 20)->text, "z");
	assert_null(pylit_dict_int(c, 2));
	assert_int_equal(pylit_find(&f, "D")->n_entries, 0);
	assert_string_equal(pylit_find(&f, "E")->str.text, "");
	assert_null(pylit_find(&f, "F"));
	assert_int_equal(pylit_fail(&f, v->src[0], UM_ERR_INVALID, &err, "here"), -1);
	assert_string_equal(err.msg, "m.py:12:8: here");
	pylit_file_release(&f);
}

static void test_garbage(void **state)
{
	(void)state;
	module_fails("X = b'a'\n", "m.py:1:5: a bytes literal");
	module_fails("X = f'{a}'\n", "m.py:1:5: an f-string: umpire reads only str literals here");
	module_fails("X = '\\N{BULLET}'\n", "m.py:1:6: a \\N{...} escape");
	module_fails("X = 'ab\\x4'\n", "m.py:1:8: truncated \\x escape");
	module_fails("X = '\\u12'\n", "m.py:1:6: truncated \\u escape");
	module_fails("X = '\\U00110000'\n", "m.py:1:6: illegal Unicode character");
	module_fails("X = 'a\\0'\n", "m.py:1:7: a NUL character");
	module_fails("X = '\\ud800'\n", "m.py:1:6: a surrogate code point (U+D800)");
	module_fails("X = 'abc\n", "m.py:1:5: unterminated string literal");
	module_fails("X = '''abc\n\n", "m.py:1:5: unterminated triple-quoted string literal");
	module_fails("X = 1\n", "m.py:1:5: expected a string literal");
	module_fails("X = 'a' + 'b'\n", "m.py:1:9: expected the end of the line after the value of X");
	module_fails("  X = 'a'\n", "m.py:1:3: unexpected indent");
	module_fails("import os\n", "m.py:1:8: expected '=' after import");
	module_fails("X = 'a'\nX = 'b'\n", "m.py:2:1: a second assignment of this name");
	module_fails("X = {1: 'a', 1: 'b'}\n", "m.py:1:14: the key is given twice");
	module_fails("X = {01: 'a'}\n", "m.py:1:6: a dict key must be a decimal integer");
	module_fails("X = {1.5: 'a'}\n", "m.py:1:6: a dict key must be a decimal integer");
	module_fails("X = {1 'a'}\n", "m.py:1:8: expected ':' after the dict key");
	module_fails("X = {1: 'a' 2: 'b'}\n", "m.py:1:13: expected ',' or '}' in the dict");
	module_fails("X = {1: 'a',\n", "m.py:1:5: '{' was never closed");
	module_fails("X = 'a')\n", "m.py:1:8: unmatched ')'");
	module_fails("X = \\ 'a'\n", "m.py:1:5: unexpected character after line continuation");
	module_fails("X = $\n", "m.py:1:5: invalid character");
	module_fails("X = '\xC3('\n", "m.py:1:6: not UTF-8 text");
	module_fails_n("X = 'a'\n\0", 9, "m.py:2:1: source code cannot contain null bytes");
	module_fails("X = ub'a'\n", "m.py:1:5: expected a string literal");
}

static const char utils[] =
	"import json\n"
	"def other(x):\n"
	"    inst = 'not this one'\n"
	"    print(f\"{x} and {json}\")\n"
	"\n"
	"def get_number_instruction(answer,\n"
	"                           unused=None):\n"
	"    base = answer.split('.')\n"
	"    # inst = 'a comment'\n"
	"    s = '''\n"
	"    inst = 'inside a string'\n"
	"    '''\n"
	"    if base:\n"
	"        inst = \"* an integer\"  # trailing comment\n"
	"    else:\n"
	"        inst = f\"* {num_decimal} places, {{braces}} \\x7b\" ' {kept}'\n"
	"    inst += 'x'\n"
	"    return inst\n"
	"\n"
	"inst = 'top level'\n";

static void test_function(void **state)
{
	pylit_file f = {0};
	um_error err = {0};

	(void)state;
	assert_int_equal(pylit_read_function("u.py", utils, strlen(utils), "get_number_instruction",
					     "inst", "num_decimal", &f, &err),
			 0);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.a[0].str.text, "* an integer");
	assert_false(f.a[0].str.fstring);
	/* a template: the field as written, every literal brace doubled */
	assert_string_equal(f.a[1].str.text, "* {num_decimal} places, {{braces}} {{ {{kept}}");
	assert_true(f.a[1].str.fstring);
	assert_int_equal(f.a[1].str.fields, 1);
	assert_int_equal(pylit_fail(&f, f.a[1].off, UM_ERR_INVALID, &err, "x"), -1);
	assert_string_equal(err.msg, "u.py:16:9: x");
	pylit_file_release(&f);
}

static void function_fails(const char *src, const char *needle)
{
	pylit_file f = {0};
	um_error err = {0};

	if (pylit_read_function("u.py", src, strlen(src), "g", "inst", "n", &f, &err) == 0)
		fail_msg("accepted: %s", src);
	assert_msg(&err, needle);
	pylit_file_release(&f);
}

static void test_function_garbage(void **state)
{
	pylit_file f = {0};
	um_error err = {0};

	(void)state;
	function_fails("def h():\n    inst = 'a'\n", "u.py:1:1: no top-level def g in this file");
	function_fails("def g():\n    inst = f'{m}'\n", "u.py:2:14: an f-string field other than {n}");
	function_fails("def g():\n    inst = f'{n!r}'\n", "u.py:2:14: an f-string field other than {n}");
	function_fails("def g():\n    inst = f'a}'\n", "u.py:2:15: f-string: single '}' is not allowed");
	function_fails("def g():\n    inst = f'\\{n}'\n", "u.py:2:14: a backslash before a brace");
	function_fails("def g():\n    inst = b'a'\n", "u.py:2:12: a bytes literal");
	function_fails("def g():\n    inst = 'a' + x\n", "u.py:2:16: expected the end of the line");
	function_fails("def g():\n    inst = x\n", "u.py:2:12: expected a string literal");
	function_fails("def g():\n    pass\ndef g():\n    pass\n", "u.py:3:1: a second def g");
	function_fails("def g():\n    s = 'open\n", "u.py:2:9: unterminated string literal");
	/* a function without the assignment: none found, not an error */
	assert_int_equal(pylit_read_function("u.py", "def g(): return 1\n", 18, "g", "inst", "n", &f,
					     &err),
			 0);
	assert_int_equal(f.n, 0);
	pylit_file_release(&f);
}

/* The fixture clone's constants.py (original text in CharXiv's layout):
 * what python3 reads from it, spot-checked. */
static void test_fixture(void **state)
{
	char *path = um_xasprintf("%s/charxiv/src/constants.py", FIXTURES), *data = NULL;
	pylit_file f = {0};
	um_error err = {0};
	size_t len = 0;
	const pylit_str *v;

	(void)state;
	assert_int_equal(um_read_file(path, &data, &len, &err), 0);
	if (pylit_read_module(path, data, len, &f, &err) < 0)
		fail_msg("%s", err.msg);
	v = &pylit_find(&f, "REASONING_GRADING_PREFIX")->str;
	assert_true(v->len > 30);
	assert_string_equal(v->text + v->len - 30, " The rules for this question:\n");
	v = pylit_dict_int(pylit_find(&f, "REASONING_RESP_INST"), 4);
	assert_string_equal(v->text, "{}\n    {}\n    ");
	v = pylit_dict_int(pylit_find(&f, "REASONING_GRADING_INST"), 2);
	assert_non_null(strstr(v->text, "A tab\there and an unknown escape \\q stay"));
	assert_string_equal(pylit_find(&f, "DESCRIPTIVE_GRADING_ICL")->entries[1].skey, "axis");
	assert_non_null(strstr(pylit_find(&f, "DESCRIPTIVE_GRADING_ICL")->entries[1].val.text,
			       "here: \\n \\t \\q."));
	pylit_file_release(&f);
	free(data);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),  cmocka_unit_test(test_layout),
		cmocka_unit_test(test_garbage),  cmocka_unit_test(test_function),
		cmocka_unit_test(test_function_garbage), cmocka_unit_test(test_fixture),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
