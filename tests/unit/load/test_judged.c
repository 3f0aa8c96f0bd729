/*
 * test_judged.c - judged.c: the HLE and MRCR exports read from original
 * fixtures in the release formats (JSONL and a JSON array), records with an
 * image left out as the text part requires, garbage refused at file:line,
 * message lists checked, and context-length bins.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "load/dataset.h"
#include "load/judged.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hle_jsonl),   cmocka_unit_test(test_hle_array),
		cmocka_unit_test(test_hle_garbage), cmocka_unit_test(test_hle_fixture_garbage),
		cmocka_unit_test(test_mrcr),        cmocka_unit_test(test_mrcr_garbage),
		cmocka_unit_test(test_bins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
