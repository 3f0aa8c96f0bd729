/*
 * test_judge.c - judge prompts and the strict reading of judge replies:
 * every malformed reply is an error naming what is wrong, never a verdict.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grade/judge.h"

static void test_render(void **state)
{
	um_error err = {0};
	char *out = NULL;

	(void)state;
	assert_int_equal(judge_render("Q: {{question}}\nR: {{response}}\nA: {{correct_answer}}\n"
				      "{{instructions}}",
				      "2+2?", "Answer: 4", "4", "Be strict.", &out, &err),
			 0);
	assert_string_equal(out, "Q: 2+2?\nR: Answer: 4\nA: 4\nBe strict.");
	free(out);
	assert_int_equal(judge_render("{{nope}}", "", "", "", NULL, &out, &err), -1);
}

static void test_fields(void **state)
{
	um_error err = {0};
	um_judge_verdict v;

	(void)state;
	assert_int_equal(judge_parse(UM_JUDGE_FIELDS,
				     "extracted_final_answer: 42\n\nreasoning: matches; correct: no "
				     "would be wrong\n\ncorrect: yes\n\nconfidence: 85%\n",
				     &v, &err),
			 0);
	assert_int_equal(v.correct, 1);
	assert_int_equal(v.confidence, 85);
	assert_string_equal(v.extracted, "42");
	judge_verdict_release(&v);
	assert_int_equal(judge_parse(UM_JUDGE_FIELDS, "  correct: no\r\n", &v, &err), 0);
	assert_int_equal(v.correct, 0);
	assert_int_equal(v.confidence, -1);
	assert_null(v.extracted);
	judge_verdict_release(&v);
}

static void bad(um_judge_format f, const char *text, const char *want)
{
	um_error err = {0};
	um_judge_verdict v;

	assert_int_equal(judge_parse(f, text, &v, &err), -1);
	assert_int_equal(err.code, UM_ERR_PROTOCOL);
	if (!strstr(err.msg, want))
		fail_msg("'%s' not in '%s'", want, err.msg);
	assert_null(v.extracted);
}

static void test_fields_garbage(void **state)
{
	(void)state;
	bad(UM_JUDGE_FIELDS, "", "no 'correct:'");
	bad(UM_JUDGE_FIELDS, "The answer is right.", "no 'correct:'");
	bad(UM_JUDGE_FIELDS, "correct: Yes", "not yes or no");
	bad(UM_JUDGE_FIELDS, "correct: yes, mostly", "not yes or no");
	bad(UM_JUDGE_FIELDS, "correct: yes\ncorrect: no", "line 2: a second 'correct:'");
	bad(UM_JUDGE_FIELDS, "correct: yes\nconfidence: 101", "not 0..100");
	bad(UM_JUDGE_FIELDS, "correct: yes\nconfidence: high", "not 0..100");
	bad(UM_JUDGE_FIELDS, "extracted_final_answer: 1\nextracted_final_answer: 2\ncorrect: no",
	    "a second 'extracted_final_answer:'");
	bad(UM_JUDGE_FIELDS, "**correct:** yes", "no 'correct:'");
}

static void test_json(void **state)
{
	um_error err = {0};
	um_judge_verdict v;

	(void)state;
	assert_int_equal(judge_parse(UM_JUDGE_JSON, " {\"extracted_answer\": \"0.5\", \"score\": 1}\n",
				     &v, &err),
			 0);
	assert_int_equal(v.correct, 1);
	assert_string_equal(v.extracted, "0.5");
	judge_verdict_release(&v);
	assert_int_equal(judge_parse(UM_JUDGE_JSON, "```json\n{\"score\": 0}\n```", &v, &err), 0);
	assert_int_equal(v.correct, 0);
	judge_verdict_release(&v);
	bad(UM_JUDGE_JSON, "score: 1", "not JSON");
	bad(UM_JUDGE_JSON, "[1]", "not a JSON object");
	bad(UM_JUDGE_JSON, "{\"score\": 2}", "'score' is not 0 or 1");
	bad(UM_JUDGE_JSON, "{\"score\": \"1\"}", "'score' is not 0 or 1");
	bad(UM_JUDGE_JSON, "{\"extracted_answer\": \"x\"}", "no member 'score'");
	bad(UM_JUDGE_JSON, "{\"extracted_answer\": 3, \"score\": 1}", "is not a string");
	bad(UM_JUDGE_JSON, "{\"score\": 1, \"why\": \"\"}", "'why' is not expected");
	bad(UM_JUDGE_JSON, "{\"score\": 1, \"score\": 0}", "not JSON");
	bad(UM_JUDGE_JSON, "```json\n{\"score\": 1}", "unclosed");
}

static void test_formats_and_confidence(void **state)
{
	um_error err = {0};
	um_judge_format f;

	(void)state;
	assert_int_equal(judge_format_parse("json", &f, &err), 0);
	assert_int_equal(f, UM_JUDGE_JSON);
	assert_string_equal(judge_format_name(f), "json");
	assert_int_equal(judge_format_parse("xml", &f, &err), -1);
	assert_int_equal(judge_stated_confidence("Explanation: x\nExact Answer: 4\nConfidence: 90%"),
			 90);
	assert_int_equal(judge_stated_confidence("confidence: 10\nCONFIDENCE: 0%"), 0);
	assert_int_equal(judge_stated_confidence("Confidence: very"), -1);
	assert_int_equal(judge_stated_confidence("Confidence: 150%"), -1);
	assert_int_equal(judge_stated_confidence(NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_fields_garbage),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_formats_and_confidence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
