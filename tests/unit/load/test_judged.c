/*
 * test_judged.c - judged.c: the HLE and MRCR exports read from original
 * fixtures in the release formats (JSONL and a JSON array), records with an
 * image left out as the text part requires, garbage refused at file:line,
 * message lists checked, context-length bins, and judged suites and
 * scaffolds written here: what loads, and every mistake at file:line:col.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "load/dataset.h"
#include "load/judged.h"
#include "load/scaffold.h"
#include "load/suite.h"

static char *slurp(const char *name, size_t *len)
{
	char path[512], *data = NULL;
	um_error err = {0};

	snprintf(path, sizeof(path), "%s/judged/%s", FIXTURES, name);
	assert_int_equal(um_read_file(path, &data, len, &err), 0);
	return data;
}

typedef int (*parse_fn)(const char *, const char *, size_t, um_item **, size_t *, int **,
			size_t *, um_error *);

static int parse_mrcr(const char *src, const char *d, size_t n, um_item **it, size_t *k,
		      int **lines, size_t *skipped, um_error *err)
{
	*skipped = 0;
	return judged_parse_mrcr(src, d, n, it, k, lines, err);
}

/* Parses fixture name; returns the rc and fills what was read. */
static int load(parse_fn fn, const char *name, um_item **items, size_t *n, size_t *skipped,
		um_error *err)
{
	size_t len = 0;
	char *data = slurp(name, &len);
	int *lines = NULL, rc;

	*items = NULL;
	*n = 0;
	rc = fn(name, data, len, items, n, &lines, skipped, err);
	free(lines);
	free(data);
	return rc;
}

static void test_hle_jsonl(void **state)
{
	um_item *it;
	size_t n, skipped;
	um_error err = {0};

	(void)state;
	assert_int_equal(load(judged_parse_hle, "hle.jsonl", &it, &n, &skipped, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(skipped, 1); /* the record with an image */
	assert_string_equal(it[0].id, "6601a1b2c3d4e5f600000001");
	assert_string_equal(it[0].answer, "10");
	assert_string_equal(it[0].answer_type, "exactMatch");
	assert_string_equal(it[0].category, "Math");
	assert_string_equal(it[0].subcategory, "Number Theory");
	assert_null(it[0].messages);
	assert_string_equal(it[1].answer_type, "multipleChoice");
	dataset_items_free(it, n);
}

static void test_hle_array(void **state)
{
	um_item *it;
	size_t n, skipped;
	um_error err = {0};

	(void)state;
	assert_int_equal(load(judged_parse_hle, "hle-array.json", &it, &n, &skipped, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(skipped, 0);
	assert_string_equal(it[1].question, "How many edges does a cube have?");
	dataset_items_free(it, n);
}

static void test_hle_garbage(void **state)
{
	static const struct {
		const char *data, *msg;
	} cases[] = {
		{"{\"id\": \"x\"}\n", "x.jsonl:1: missing field \"question\""},
		{"{\"id\": \"x\", \"question\": \"q\", \"answer\": \"a\", \"answer_type\": "
		 "\"exactMatch\", \"category\": \"C\", \"image\": 7}\n",
		 "x.jsonl:1: record x: field \"image\" must be a string or null"},
		{"\n\n{\"id\": \"x\", \"question\": \"  \"}\n", "x.jsonl:3: field \"question\" is blank"},
		{"{\"id\": 1}\n", "x.jsonl:1: field \"id\" must be a string"},
		{"[1, 2]\n", "x.jsonl:1: record 1: expected a JSON object"},
		{"[\n{\"id\": \"x\"},\n", "x.jsonl:2: missing field \"question\""},
		{"[\n  {\"id\": \"a\", \"question\": \"q\", \"answer\": \"a\", \"answer_type\": \"e\","
		 " \"category\": \"C\"}\n  {\"id\": \"b\"}]", "x.jsonl:3: expected ',' or ']' after record 1"},
		{"[]", NULL},
		{"", "x.jsonl: no records"},
		{"{\"id\": \"x\",\n", "x.jsonl:1"},
		{"not json\n", "x.jsonl:1:3: invalid JSON"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		um_item *it = NULL;
		size_t n = 0, skipped = 0;
		int *lines = NULL;
		um_error err = {0};
		int rc = judged_parse_hle("x.jsonl", cases[i].data, strlen(cases[i].data), &it, &n,
					  &lines, &skipped, &err);

		if (!cases[i].msg) {
			assert_int_equal(rc, 0);
		} else {
			if (rc != -1 || !strstr(err.msg, cases[i].msg))
				fail_msg("case %zu: rc %d, message '%s' lacks '%s'", i, rc, err.msg,
					 cases[i].msg);
		}
		dataset_items_free(it, n);
		free(lines);
	}
}

static void test_hle_fixture_garbage(void **state)
{
	um_item *it;
	size_t n, skipped;
	um_error err = {0};

	(void)state;
	assert_int_equal(load(judged_parse_hle, "hle-bad.jsonl", &it, &n, &skipped, &err), -1);
	assert_string_equal(err.msg, "hle-bad.jsonl:2: field \"answer\" must be a string");
	dataset_items_free(it, n);
}

static void test_mrcr(void **state)
{
	um_item *it;
	size_t n, skipped;
	um_error err = {0};
	json_t *m;

	(void)state;
	assert_int_equal(load(parse_mrcr, "mrcr.jsonl", &it, &n, &skipped, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(it[0].id, "row-1");
	assert_string_equal(it[0].category, "2 needles");
	assert_string_equal(it[0].prefix, "aZ09qL");
	assert_string_equal(it[0].answer, "aZ09qLI tick without a tongue.");
	assert_null(it[0].question);
	m = json_loads(it[0].messages, 0, NULL);
	assert_int_equal(json_array_size(m), 7);
	json_decref(m);
	assert_true(it[0].context_chars > 100);
	dataset_items_free(it, n);
	assert_int_equal(load(parse_mrcr, "mrcr-bad.jsonl", &it, &n, &skipped, &err), -1);
	assert_string_equal(err.msg, "mrcr-bad.jsonl:2: field \"prompt\": the last message must "
				     "be the user's (the one answered)");
	dataset_items_free(it, n);
}

static void test_mrcr_garbage(void **state)
{
	static const struct {
		const char *data, *msg;
	} cases[] = {
		{"{\"prompt\": \"[]\", \"answer\": \"a\", \"random_string_to_prepend\": \"p\", "
		 "\"n_needles\": 2}\n", "field \"prompt\": messages must be a list"},
		{"{\"prompt\": \"nope\", \"answer\": \"a\", \"random_string_to_prepend\": \"p\", "
		 "\"n_needles\": 2}\n", "field \"prompt\" is not a JSON list of messages"},
		{"{\"prompt\": \"[{\\\"role\\\": \\\"robot\\\", \\\"content\\\": \\\"x\\\"}]\", "
		 "\"answer\": \"a\", \"random_string_to_prepend\": \"p\", \"n_needles\": 2}\n",
		 "role 'robot'"},
		{"{\"prompt\": \"[{\\\"role\\\": \\\"user\\\", \\\"content\\\": 5}]\", "
		 "\"answer\": \"a\", \"random_string_to_prepend\": \"p\", \"n_needles\": 2}\n",
		 "message 0: want exactly"},
		{"{\"prompt\": \"[{\\\"role\\\": \\\"user\\\", \\\"content\\\": \\\"x\\\"}]\", "
		 "\"answer\": \"a\", \"random_string_to_prepend\": \"p\", \"n_needles\": 0}\n",
		 "x:1: field \"n_needles\" must be an integer of at least 1"},
		{"{\"prompt\": \"[{\\\"role\\\": \\\"user\\\", \\\"content\\\": \\\"x\\\"}]\", "
		 "\"answer\": \"a\", \"n_needles\": 2}\n",
		 "x:1: missing field \"random_string_to_prepend\""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		um_item *it = NULL;
		size_t n = 0;
		int *lines = NULL;
		um_error err = {0};
		int rc = judged_parse_mrcr("x", cases[i].data, strlen(cases[i].data), &it, &n, &lines,
					   &err);

		if (rc != -1 || !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: rc %d, message '%s' lacks '%s'", i, rc, err.msg,
				 cases[i].msg);
		dataset_items_free(it, n);
		free(lines);
	}
}

static void test_bins(void **state)
{
	um_judged_rules r;
	char label[32];

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(judged_context_bin(&r, 100), -1);
	r.bins[0] = 32;
	r.bins[1] = 128;
	r.n_bins = 2;
	assert_int_equal(judged_context_bin(&r, 128), 0); /* 32 tokens */
	assert_int_equal(judged_context_bin(&r, 129), 1); /* 33 */
	assert_int_equal(judged_context_bin(&r, 512), 1);
	assert_int_equal(judged_context_bin(&r, 513), 2);
	judged_bin_label(&r, 2, label, sizeof(label));
	assert_string_equal(label, ">128");
	judged_bin_label(&r, 0, label, sizeof(label));
	assert_string_equal(label, "<=32");
}

static const char suite_head[] =
	"umpire: 1\nname: j\nversion: \"1\"\nkind: judged\ncategories: [A, B]\n"
	"scaffold: s.yaml\n";

/* suite_head + body written to a file and loaded: the suite, or NULL with
 * err filled. */
static um_suite *load_suite(const char *body, um_error *err)
{
	const char *t = getenv("TMPDIR");
	char path[512];
	char *text = um_xasprintf("%s%s", suite_head, body);
	um_suite *su = NULL;
	um_error werr = {0};

	snprintf(path, sizeof(path), "%s/judged-suite-%d.yaml", t && *t ? t : "/tmp", (int)getpid());
	assert_int_equal(um_write_file(path, text, strlen(text), 0644, &werr), 0);
	free(text);
	if (suite_load(path, &su, err) < 0)
		su = NULL;
	remove(path);
	return su;
}

static void test_suite_inline(void **state)
{
	um_error err = {0};
	um_suite *su = load_suite(
		"grading: {grader: judge, rel_tol: 0.01, context_bins: [10, 100]}\n"
		"dataset:\n  format: inline\n  items:\n"
		"    - {id: a, category: A, question: What is 2+2?, answer: \"4\", grader: numeric}\n"
		"    - id: b\n      category: B\n      answer: hi\n      prefix: P\n"
		"      grader: mrcr\n      messages:\n"
		"        - {role: user, content: say hi}\n"
		"        - {role: assistant, content: hi}\n"
		"        - {role: user, content: again}\n"
		"    - {id: c, category: A, question: Who?, answer: me, answer_type: exactMatch}\n",
		&err);

	(void)state;
	if (!su)
		fail_msg("%s", err.msg);
	assert_int_equal(su->n_items, 3);
	assert_string_equal(su->judged.grader, "judge");
	assert_int_equal(su->judged.n_bins, 2);
	assert_true(su->judged.rel_tol == 0.01);
	assert_string_equal(su->items[0].grader, "numeric");
	assert_null(su->items[0].messages);
	assert_int_equal(su->items[0].n_choices, 0);
	assert_non_null(su->items[1].messages);
	assert_null(su->items[1].question);
	assert_int_equal(su->items[1].context_chars, 13);
	assert_string_equal(su->items[1].prefix, "P");
	assert_null(su->items[2].grader);
	suite_free(su);
}

static void test_suite_garbage(void **state)
{
	static const struct {
		const char *body, *msg;
	} cases[] = {
		{"dataset:\n  format: inline\n  items:\n    - {id: a, category: A, question: q, "
		 "answer: x}\n", "item a: no grader"},
		{"grading: {grader: fuzzy}\ndataset: {format: inline, items: []}\n",
		 ":7:19: grader 'fuzzy' (want exact"},
		{"grading: {grader: exact, extra: 1}\ndataset: {format: inline, items: []}\n",
		 ":7:26: unknown key 'extra' in grading"},
		{"grading: {grader: exact, context_bins: [100, 10]}\n"
		 "dataset: {format: inline, items: []}\n", ":7:46: 'context_bins' must ascend"},
		{"grading: {grader: exact, rel_tol: 2}\ndataset: {format: inline, items: []}\n",
		 "rel_tol"},
		{"grading: {grader: exact}\ndataset: {format: csv, path: x.csv}\n",
		 ":8:19: format csv is not for judged suites"},
		{"grading: {grader: exact}\ndataset:\n  format: inline\n  items:\n"
		 "    - {id: a, category: A, answer: x}\n",
		 ":11:7: item 'a': give a 'question' or 'messages', exactly one"},
		{"grading: {grader: exact}\ndataset:\n  format: inline\n  items:\n"
		 "    - {id: a, category: A, question: q, answer: x, messages: []}\n",
		 "exactly one"},
		{"grading: {grader: exact}\ndataset:\n  format: inline\n  items:\n"
		 "    - {id: a, category: A, answer: x, messages: [{role: user, content: hi}, "
		 "{role: assistant, content: yo}]}\n",
		 "item 'a': the last message must be the user's"},
		{"grading: {grader: exact}\ndataset:\n  format: inline\n  items:\n"
		 "    - {id: a, category: A, answer: x, messages: [{role: bot, content: hi}]}\n",
		 "role 'bot'"},
		{"grading: {grader: exact}\ndataset:\n  format: inline\n  items:\n"
		 "    - {id: a, category: A, question: q, answer: \"  \"}\n",
		 ":11:49: 'answer' must not be blank"},
		{"grading: {grader: exact}\ndataset:\n  format: inline\n  items:\n"
		 "    - {id: a, category: A, question: q, answer: x, choices: [1]}\n",
		 "unknown key 'choices' in item"},
		{"grading: {grader: exact}\ndataset:\n  format: inline\n  items:\n"
		 "    - {id: a, category: C, question: q, answer: x}\n", "category 'C' is not declared"},
		{"grading: {grader: exact}\ndataset:\n  format: inline\n  items:\n"
		 "    - {id: a, category: A, question: q, answer: x}\n"
		 "    - {id: a, category: A, question: r, answer: y}\n", "duplicate item id 'a'"},
		{"grading: {grader: exact}\ndataset: {format: hle, path: x.jsonl, fields: {id: i}}\n",
		 "'fields' names csv and jsonl columns"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		um_error err = {0};
		um_suite *su = load_suite(cases[i].body, &err);

		if (su || !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: %s; message '%s' lacks '%s'", i, su ? "loaded" : "refused",
				 err.msg, cases[i].msg);
	}
	/* an mcq suite may not read the judged formats, nor carry grading */
	{
		um_error err = {0};
		const char *t = getenv("TMPDIR");
		char path[512];
		static const char mcq[] = "umpire: 1\nname: m\nversion: \"1\"\nkind: mcq\n"
					  "categories: [A]\nscaffold: s.yaml\n"
					  "dataset: {format: mrcr, path: x.jsonl}\n";
		um_suite *su = NULL;

		snprintf(path, sizeof(path), "%s/judged-mcq-%d.yaml", t && *t ? t : "/tmp",
			 (int)getpid());
		assert_int_equal(um_write_file(path, mcq, strlen(mcq), 0644, &err), 0);
		assert_int_equal(suite_load(path, &su, &err), -1);
		assert_non_null(strstr(err.msg, "format mrcr is not for mcq suites"));
		remove(path);
	}
}

static const char scaffold_head[] = "umpire: 1\nname: s\nkind: judged\nmessages:\n"
				    "  - {role: user, content: \"{{question}}\"}\nparams: {}\n";

static void test_scaffold(void **state)
{
	static const char ok[] = "judge:\n  system: j\n  format: json\n  params: {temperature: 0}\n"
				 "  prompt: \"{{question}} {{response}} {{correct_answer}} "
				 "{{instructions}}\"\n  instructions: {exactMatch: be exact}\n";
	static const struct {
		const char *body, *msg;
	} bad[] = {
		{"judge:\n  system: j\n  format: xml\n  params: {}\n  prompt: p\n",
		 "'format' must be one of: fields, json"},
		{"judge:\n  system: j\n  format: json\n  prompt: p\n",
		 "missing required key 'judge.params'"},
		{"judge:\n  system: j\n  format: json\n  params: {}\n  prompt: \"{{answer}}\"\n",
		 "s.yaml:11:12: judge.prompt: unknown template variable 'answer'"},
		{"judge:\n  system: j\n  format: json\n  params: {model: x}\n  prompt: p\n",
		 "may not set model or messages"},
		{"judge:\n  system: \"\"\n  format: json\n  params: {}\n  prompt: p\n",
		 "'judge.system' names the models.yaml system"},
		{"extract: {pattern: x}\n", "'extract' does not belong to judged scaffolds"},
		{"judge:\n  system: j\n  format: json\n  params: {}\n  prompt: p\n  who: me\n",
		 "unknown key 'who' in judge"},
	};
	um_scaffold *sc = NULL;
	um_error err = {0};
	char *t = um_xasprintf("%s%s", scaffold_head, ok);
	size_t i;

	(void)state;
	if (scaffold_load_buffer("s.yaml", t, strlen(t), &sc, &err) < 0)
		fail_msg("%s", err.msg);
	free(t);
	assert_string_equal(sc->judge.system, "j");
	assert_string_equal(sc->judge.format, "json");
	assert_string_equal(scaffold_judge_instructions(sc, "exactMatch"), "be exact");
	assert_string_equal(scaffold_judge_instructions(sc, "other"), "");
	assert_string_equal(scaffold_judge_instructions(sc, NULL), "");
	scaffold_free(sc);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = um_xasprintf("%s%s", scaffold_head, bad[i].body);
		sc = NULL;
		memset(&err, 0, sizeof(err));
		if (scaffold_load_buffer("s.yaml", t, strlen(t), &sc, &err) == 0 ||
		    !strstr(err.msg, bad[i].msg))
			fail_msg("case %zu: message '%s' lacks '%s'", i, err.msg, bad[i].msg);
		free(t);
		scaffold_free(sc);
	}
	/* a judge in an mcq scaffold is refused */
	t = um_xstrdup("umpire: 1\nname: s\nkind: mcq\nmessages:\n  - {role: user, content: x}\n"
		       "params: {}\nextract: {pattern: x}\njudge: {system: j}\n");
	assert_int_equal(scaffold_load_buffer("s.yaml", t, strlen(t), &sc, &err), -1);
	assert_non_null(strstr(err.msg, "'judge' belongs to judged scaffolds"));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hle_jsonl),   cmocka_unit_test(test_hle_array),
		cmocka_unit_test(test_hle_garbage), cmocka_unit_test(test_hle_fixture_garbage),
		cmocka_unit_test(test_mrcr),        cmocka_unit_test(test_mrcr_garbage),
		cmocka_unit_test(test_bins),        cmocka_unit_test(test_suite_inline),
		cmocka_unit_test(test_suite_garbage), cmocka_unit_test(test_scaffold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
