/*
 * test_cxprompt.c - CharXiv's prompts read from a clone (the original
 * fixture in CharXiv's layout, tests/fixtures/charxiv/src), rendered as
 * CharXiv's code renders them (get_number_instruction's "5." and "5", code
 * points, str.format's braces, the chained replaces of the grading text),
 * written into and read back from a stored scaffold, and templates that
 * str.format would read otherwise refused where they stand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/util.h"
#include "load/cxprompt.h"
#include "load/yml.h"

static void assert_msg(const um_error *err, const char *needle)
{
	if (!strstr(err->msg, needle))
		fail_msg("message '%s' lacks '%s'", err->msg, needle);
}

static um_cxprompt *fixture(void)
{
	char *root = um_xasprintf("%s/charxiv", FIXTURES);
	um_cxprompt *p = NULL;
	um_error err = {0};

	if (cxprompt_read_clone(root, &p, &err) < 0)
		fail_msg("%s", err.msg);
	free(root);
	return p;
}

static void expect(char *got, const char *want)
{
	assert_string_equal(got, want);
	free(got);
}

static void test_render(void **state)
{
	um_cxprompt *p = fixture();

	(void)state;
	assert_string_equal(p->resp[3], "{}\n    {}\n    ");
	expect(cxprompt_number_instruction(p, "5"), "* Your final answer must be a whole number.");
	expect(cxprompt_number_instruction(p, "5."),
	       "* Your final answer must have 0 digits after the point (no {units}).");
	expect(cxprompt_number_instruction(p, "1.25.3"),
	       "* Your final answer must have 2 digits after the point (no {units}).");
	expect(cxprompt_number_instruction(p, "0.\xCE\xBB\xCE\xBB"),
	       "* Your final answer must have 2 digits after the point (no {units}).");
	expect(cxprompt_question(p, 4, "Q {0}?", "0.125"),
	       "Q {0}?\n    * Your final answer must have 3 digits after the point (no "
	       "{units}).\n    ");
	expect(cxprompt_question(p, 1, "Which {x}?", "ignored"),
	       "Which {x}?\n    * Take your final answer from text printed in the chart that "
	       "bears on the question.\n    * Separate several terms with commas; write {braces} "
	       "as the chart does.\n    ");
	{
		char *g = cxprompt_grading(p, 3, "next to <|ground_truth|> or <|response|>?", "A",
					   "R <|question|>");

		/* the prefix's \n escape, then the replaces one after the other */
		assert_non_null(strstr(g, "The rules for this question:\n\n    ### Rules ###"));
		assert_non_null(strstr(g, "* Question: next to A or R <|question|>?\n"
					  "    * Ground Truth: A\n    * Response: R <|question|>\n"));
		assert_int_equal(strncmp(g, "\nBelow are a question", 21), 0);
		free(g);
	}
	cxprompt_free(p);
}

/* p written as a stored scaffold's charxiv_text and read back. */
static um_cxprompt *round_trip(const um_cxprompt *p, const char *from, const char *to,
			       um_error *err)
{
	um_buf b = UM_BUF_INIT;
	yml_doc *d;
	um_cxprompt *q = NULL;
	char *text, *at;

	um_buf_init(&b, 0);
	cxprompt_yaml(p, &b);
	text = um_buf_detach(&b);
	if (from && (at = strstr(text, from)) != NULL) {
		char *edited = um_xasprintf("%.*s%s%s", (int)(at - text), text, to,
					    at + strlen(from));

		free(text);
		text = edited;
	}
	d = yml_load_buffer("s.yaml", text, strlen(text), err);
	assert_non_null(d);
	if (cxprompt_read_stored(d, yml_get(d->root, "charxiv_text"), &q, err) < 0)
		q = NULL;
	yml_doc_free(d);
	free(text);
	return q;
}

static void stored_fails(const um_cxprompt *p, const char *from, const char *to,
			 const char *needle)
{
	um_error err = {0};
	um_cxprompt *q = round_trip(p, from, to, &err);

	if (q)
		fail_msg("accepted '%s' for '%s'", to, from);
	assert_msg(&err, needle);
}

static void test_stored(void **state)
{
	um_cxprompt *p = fixture(), *q;
	um_error err = {0};

	(void)state;
	q = round_trip(p, NULL, NULL, &err);
	if (!q)
		fail_msg("%s", err.msg);
	assert_true(cxprompt_equal(p, q));
	free(q->prefix);
	q->prefix = um_xstrdup("other");
	assert_false(cxprompt_equal(p, q));
	cxprompt_free(q);
	stored_fails(p, "text-in-general: \"{}", "text-in-general: \"{0}",
		     "s.yaml:4:22: charxiv_text.response.text-in-general: a field '{0}'");
	stored_fails(p, "text-in-general: \"{}", "text-in-general: \"{:>3}", "a field '{:>3}'");
	stored_fails(p, "text-in-general: \"{}", "text-in-general: \"{}{}",
		     "a field {} past the 1 argument CharXiv passes");
	stored_fails(p, "text-in-general: \"{}", "text-in-general: \"",
		     "0 {} fields, where CharXiv passes 1 (the question)");
	stored_fails(p, "number-in-general: \"{}\\n    {}", "number-in-general: \"{}\\n    ",
		     "1 {} field, where CharXiv passes 2");
	stored_fails(p, "text-in-chart: \"{}", "text-in-chart: \"{} }", "a single '}'");
	stored_fails(p, "text-in-chart: \"{}", "text-in-chart: \"{} {", "a '{' that no '}' closes");
	stored_fails(p, "{num_decimal}", "{num}", "a field '{num}': the only field read here is "
						  "{num_decimal}");
	stored_fails(p, "{num_decimal}", "{{num_decimal}}", "the f-string holds no {num_decimal}");
	stored_fails(p, "{num_decimal}", "{num_decimal}{num_decimal}", "a second {num_decimal}");
	stored_fails(p, "* Question: <|question|>", "* Question:",
		     "the grading text has no <|question|>");
	stored_fails(p, "  number_integer:", "  number_whole:", "unknown key 'number_whole'");
	stored_fails(p, "    number-in-chart: \"{}", "    other: \"{}", "unknown key 'other'");
	cxprompt_free(p);
}

/* A clone whose constants.py is text (reasoning_utils.py the fixture's). */
static void clone_fails(const char *constants, const char *needle)
{
	char dir[] = "/tmp/test-cxprompt.XXXXXX", *path, *src = NULL;
	um_cxprompt *p = (um_cxprompt *)1;
	um_error err = {0};
	size_t len = 0;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	path = um_xasprintf("%s/src", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	free(path);
	path = um_xasprintf("%s/src/constants.py", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(constants, f);
	fclose(f);
	free(path);
	path = um_xasprintf("%s/charxiv/src/reasoning_utils.py", FIXTURES);
	assert_int_equal(um_read_file(path, &src, &len, &err), 0);
	free(path);
	path = um_xasprintf("%s/src/reasoning_utils.py", dir);
	assert_non_null(f = fopen(path, "w"));
	fwrite(src, 1, len, f);
	fclose(f);
	free(src);
	assert_int_equal(cxprompt_read_clone(dir, &p, &err), -1);
	assert_null(p);
	assert_msg(&err, needle);
	remove(path);
	free(path);
	path = um_xasprintf("%s/src/constants.py", dir);
	remove(path);
	free(path);
	path = um_xasprintf("%s/src", dir);
	rmdir(path);
	free(path);
	rmdir(dir);
}

#define RESP "REASONING_RESP_INST = {1: '{}a', 2: '{}b', 3: '{}c', 4: '{}\\n{}'}\n"
#define GRADE_ONE "'<|question|> <|ground_truth|> <|response|>'"
#define GRADE                                                                                      \
	"REASONING_GRADING_INST = {1: " GRADE_ONE ", 2: " GRADE_ONE ", 3: " GRADE_ONE               \
	", 4: " GRADE_ONE "}\n"

static void test_clone_garbage(void **state)
{
	(void)state;
	clone_fails(GRADE "REASONING_GRADING_PREFIX = 'p'\n",
		    "constants.py:1:1: no assignment of REASONING_RESP_INST in this file");
	clone_fails(RESP GRADE "REASONING_GRADING_PREFIX = {1: 'p'}\n",
		    "constants.py:3:1: REASONING_GRADING_PREFIX must be a string");
	clone_fails("REASONING_RESP_INST = 'x'\n", "constants.py:1:1: REASONING_RESP_INST must be a "
						  "dict");
	clone_fails("REASONING_RESP_INST = {1: '{}a', 2: '{}b', 4: '{}\\n{}'}\n",
		    "constants.py:1:1: REASONING_RESP_INST has no key 3");
	clone_fails("REASONING_RESP_INST = {1: '{}a', 2: 'b\\x7b0}', 3: '{}c', 4: '{}\\n{}'}\n",
		    "constants.py:1:39: REASONING_RESP_INST[2]: a field '{0}'");
	clone_fails(RESP "REASONING_GRADING_INST = {1: '<|question|>'}\n",
		    "constants.py:2:30: REASONING_GRADING_INST[1]: the grading text has no "
		    "<|ground_truth|>");
	clone_fails(RESP GRADE, "no assignment of REASONING_GRADING_PREFIX");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_stored),
		cmocka_unit_test(test_clone_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
