/*
 * test_judging.c - judging.c's pure parts: which failed tries are a
 * context overflow (each provider's wording, and what is not one), and the
 * judge's request rendered from a judged scaffold (system prompt, prompt,
 * per-type instructions, the judge's params).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "load/scaffold.h"
#include "run/judging.h"

static int overflow(long status, const char *body)
{
	um_try t;

	memset(&t, 0, sizeof(t));
	t.http_status = status;
	t.body = body;
	t.body_len = body ? strlen(body) : 0;
	return judging_overflow(&t);
}

static void test_overflow(void **state)
{
	(void)state;
	assert_true(overflow(400, "{\"error\":{\"message\":\"This model's maximum context length "
				  "is 128000 tokens.\",\"code\":\"context_length_exceeded\"}}"));
	assert_true(overflow(400, "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
				  "\"message\":\"prompt is too long: 210000 tokens > 200000 maximum\"}}"));
	assert_true(overflow(400, "{\"error\":{\"code\":400,\"message\":\"The input token count "
				  "(1200000) exceeds the maximum number of tokens allowed\"}}"));
	assert_true(overflow(400, "{\"message\":\"Input is too long for requested model.\"}"));
	assert_true(overflow(413, "{\"error\":{\"message\":\"Prompt is too long\"}}"));
	/* not overflows: another 400, a 500 saying the words, no body */
	assert_false(overflow(400, "{\"error\":{\"message\":\"max_tokens is too large: 100000\"}}"));
	assert_false(overflow(500, "{\"error\":{\"message\":\"maximum context length\"}}"));
	assert_false(overflow(400, NULL));
	assert_false(overflow(429, "context_length_exceeded"));
}

static const char scaffold_text[] =
	"umpire: 1\nname: s\nkind: judged\nmessages:\n  - {role: user, content: \"{{question}}\"}\n"
	"params: {}\njudge:\n  system: j\n  format: fields\n  params: {temperature: 0}\n"
	"  system_prompt: \"grade {{correct_answer}}\"\n"
	"  prompt: \"Q={{question}} R={{response}} A={{correct_answer}} I={{instructions}}\"\n"
	"  instructions: {exactMatch: be exact}\n";

static void test_judge_request(void **state)
{
	um_scaffold *sc = NULL;
	um_error err = {0};
	json_t *r;
	const json_t *m;

	(void)state;
	assert_int_equal(scaffold_load_buffer("s.yaml", scaffold_text, strlen(scaffold_text), &sc,
					      &err), 0);
	r = judging_judge_request(sc, "2+2?", "Exact Answer: 4", "4", "exactMatch", &err);
	assert_non_null(r);
	m = json_object_get(r, "messages");
	assert_int_equal(json_array_size(m), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "role")),
			    "system");
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "content")),
			    "grade 4");
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 1), "content")),
			    "Q=2+2? R=Exact Answer: 4 A=4 I=be exact");
	assert_true(json_equal(json_object_get(r, "params"), sc->judge.params));
	json_decref(r);
	/* an answer type without instructions renders "" */
	r = judging_judge_request(sc, "q", "r", "a", "multipleChoice", &err);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(json_object_get(r, "messages"), 1),
						  "content")),
		"Q=q R=r A=a I=");
	json_decref(r);
	scaffold_free(sc);
}

/* {{decimals}}: CharXiv's count of the places after the first '.'. */
static void test_decimals(void **state)
{
	static const struct {
		const char *answer, *want;
	} cases[] = {
		{"3", "0"}, {"0.35", "2"}, {"7.250", "3"}, {"1.5.2", "1"}, {"12.", "0"},
		{"-4.1e3", "3"}, {NULL, "0"}, {"", "0"}, {"2.\xc2\xb5m", "2"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[24];

		judging_decimals(cases[i].answer, out, sizeof(out));
		assert_string_equal(out, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_judge_request),
		cmocka_unit_test(test_decimals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
