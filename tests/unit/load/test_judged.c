/*
 * test_judged.c - judged.c: the HLE and MRCR exports read from original
 * fixtures in the release formats (JSONL and a JSON array), a record's
 * data-URL image decoded into the item (or left out with images: skip),
 * garbage and malformed data URLs refused at file:line,
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
#include "load/image.h"
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

static int parse_hle(const char *src, const char *d, size_t n, um_item **it, size_t *k,
		     int **lines, size_t *skipped, um_error *err)
{
	return judged_parse_hle(src, d, n, 0, it, k, lines, skipped, err);
}

static int parse_hle_text(const char *src, const char *d, size_t n, um_item **it, size_t *k,
			  int **lines, size_t *skipped, um_error *err)
{
	return judged_parse_hle(src, d, n, 1, it, k, lines, skipped, err);
}

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

/* Parses data with fn and expects a refusal whose message holds msg (NULL:
 * expects success). */
static void expect_parse(parse_fn fn, const char *src, const char *data, const char *msg,
			 size_t i)
{
	um_item *it = NULL;
	size_t n = 0, skipped = 0;
	int *lines = NULL;
	um_error err = {0};
	int rc = fn(src, data, strlen(data), &it, &n, &lines, &skipped, &err);

	if (!msg)
		assert_int_equal(rc, 0);
	else if (rc != -1 || !strstr(err.msg, msg))
		fail_msg("case %zu: rc %d, message '%s' lacks '%s'", i, rc, err.msg, msg);
	dataset_items_free(it, n);
	free(lines);
}

static void test_hle_jsonl(void **state)
{
	um_item *it;
	size_t n, skipped;
	um_error err = {0};

	(void)state;
	assert_int_equal(load(parse_hle, "hle.jsonl", &it, &n, &skipped, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(skipped, 0);
	assert_int_equal(it[0].n_images, 0);
	assert_int_equal(it[2].n_images, 1); /* the record with a data-URL image */
	assert_null(it[2].images[0].path);
	assert_non_null(it[2].images[0].bytes);
	assert_string_equal(it[2].images[0].media_type, "image/png");
	assert_int_equal(it[2].images[0].size, 79);
	assert_memory_equal(it[2].images[0].bytes, "\x89PNG\r\n\x1a\n", 8);
	assert_string_equal(it[2].images[0].sha256,
			    "7147a2177ccacf70b9f9f062726c8681cbe8043223cb347957df4be40e9820b3");
	assert_string_equal(it[2].category, "Humanities/Social Science");
	assert_string_equal(it[0].id, "6601a1b2c3d4e5f600000001");
	assert_string_equal(it[0].answer, "10");
	assert_string_equal(it[0].answer_type, "exactMatch");
	assert_string_equal(it[0].category, "Math");
	assert_string_equal(it[0].subcategory, "Number Theory");
	assert_null(it[0].messages);
	assert_string_equal(it[1].answer_type, "multipleChoice");
	dataset_items_free(it, n);

	/* images: skip, the text part: the record with an image is counted */
	assert_int_equal(load(parse_hle_text, "hle.jsonl", &it, &n, &skipped, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(skipped, 1);
	assert_int_equal(it[0].n_images + it[1].n_images, 0);
	dataset_items_free(it, n);
}

static void test_hle_array(void **state)
{
	um_item *it;
	size_t n, skipped;
	um_error err = {0};

	(void)state;
	assert_int_equal(load(parse_hle, "hle-array.json", &it, &n, &skipped, &err), 0);
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
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_parse(parse_hle, "x.jsonl", cases[i].data, cases[i].msg, i);
}

/* A record with image set to url: the JSONL line. */
static char *hle_with_image(const char *url)
{
	return um_xasprintf("{\"id\": \"r9\", \"question\": \"q\", \"answer\": \"a\", "
			    "\"answer_type\": \"exactMatch\", \"category\": \"C\", "
			    "\"image\": \"%s\"}\n", url);
}

static void test_hle_data_url_garbage(void **state)
{
	static const char png[] = "iVBORw0KGgoAAAANSUhEUgAAAAQAAAADCAIAAAA7ljmRAAAAFklEQVR42mP4DwMaU"
				  "ScY4CwoB8ICIgA2oxmrRP1d3QAAAABJRU5ErkJggg==";
	static const struct {
		const char *url;
		int png; /* the tiny PNG's base64 follows url */
		const char *msg;
	} cases[] = {
		{"data:image/png;base64,", 1, NULL},
		{"data:image/png;base64,", 0, "x.jsonl:1: record r9: field \"image\": image data "
					      "URL: no data after the comma"},
		{"data:image/tiff;base64,", 1, "media type not image/png, image/jpeg"},
		{"data:image/png,", 1, "not of the form data:<media type>;base64,<data>"},
		{"https://example.org/a.png", 0, "not of the form data:"},
		{"data:image/png;base64,A", 0, "not a multiple of 4"},
		{"data:image/png;base64,====", 0, "not valid base64"},
		{"data:image/png;base64,*AAA", 0, "not valid base64"},
		{"data:image/png;base64,AA=A", 0, "not valid base64"},
		{"data:image/png;base64,iVBORw0KGgp=", 0, "not valid base64"}, /* stray low bits */
		{"data:image/gif;base64,", 1, "declared image/gif but its bytes are image/png"},
		{"data:image/png;base64,QUJD", 0, "bytes are not a PNG, JPEG, GIF or WebP"},
		{"data:image/png;base64,iVBORw0KGgo=", 0, NULL}, /* the magic alone is a PNG */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *url = um_xasprintf("%s%s", cases[i].url, cases[i].png ? png : "");
		char *line = hle_with_image(url);

		expect_parse(parse_hle, "x.jsonl", line, cases[i].msg, i);
		free(line);
		free(url);
	}
}

/* More than 20 MiB of decoded bytes: refused from the length, before any
 * decoding. */
static void test_hle_data_url_too_large(void **state)
{
	size_t n = (UM_IMAGE_MAX_BYTES / 3 + 1) * 4;
	char *url = um_xmalloc(n + 32), *line;

	(void)state;
	strcpy(url, "data:image/png;base64,");
	memset(url + strlen(url), 'A', n);
	url[22 + n] = '\0';
	line = hle_with_image(url);
	expect_parse(parse_hle, "x.jsonl", line, "more than the 20 MiB an image may have", 0);
	free(line);
	free(url);
}

static void test_hle_fixture_garbage(void **state)
{
	um_item *it;
	size_t n, skipped;
	um_error err = {0};

	(void)state;
	assert_int_equal(load(parse_hle, "hle-bad.jsonl", &it, &n, &skipped, &err), -1);
	assert_string_equal(err.msg, "hle-bad.jsonl:2: field \"answer\" must be a string");
	dataset_items_free(it, n);
	assert_int_equal(load(parse_hle, "hle-bad-image.jsonl", &it, &n, &skipped, &err), -1);
	assert_string_equal(err.msg, "hle-bad-image.jsonl:2: record c2: field \"image\": image "
				     "data URL: declared image/jpeg but its bytes are image/png");
	dataset_items_free(it, n);
	/* images: skip never decodes it */
	assert_int_equal(load(parse_hle_text, "hle-bad-image.jsonl", &it, &n, &skipped, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(skipped, 1);
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

/* CharXiv's release read as it is: reasoning_val.json and images/ beside
 * data/ (the original fixture of tests/fixtures/charxiv). */
static int parse_charxiv_file(const char *path, const char *data_path, um_item **it, size_t *n,
			      int **lines, um_error *err)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	*it = NULL;
	*n = 0;
	*lines = NULL;
	assert_int_equal(um_read_file(path, &data, &len, err), 0);
	rc = judged_parse_charxiv("reasoning_val.json", data_path, data, len, it, n, lines, err);
	free(data);
	return rc;
}

static void test_charxiv(void **state)
{
	char *path = um_xasprintf("%s/charxiv/data/reasoning_val.json", FIXTURES);
	um_item *it;
	size_t n;
	int *lines;
	um_error err = {0};

	(void)state;
	if (parse_charxiv_file(path, path, &it, &n, &lines, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(n, 9);
	assert_string_equal(it[0].id, "0");
	assert_string_equal(it[0].category, "Text in chart");
	assert_string_equal(it[0].answer_type, "text-in-chart");
	assert_string_equal(it[0].answer, "Replay buffer");
	assert_int_equal(lines[0], 2);
	assert_int_equal(lines[1], 9);
	assert_int_equal(it[0].n_images, 1);
	assert_string_equal(it[0].images[0].media_type, "image/jpeg");
	assert_non_null(strstr(it[0].images[0].path, "/images/0.jpg"));
	assert_string_equal(it[6].id, "13");
	assert_string_equal(it[6].answer_type, "number-in-general");
	assert_string_equal(it[6].category, "Number in general");
	assert_non_null(strstr(it[6].images[0].path, "/12.jpg"));
	assert_null(it[6].messages);
	dataset_items_free(it, n);
	free(lines);
	free(path);
	/* the garbage release (beside the fixture's images): an entry of
	 * instruction category 9, at its line */
	path = um_xasprintf("%s/charxiv-garbage/data/reasoning_val.json", FIXTURES);
	assert_int_equal(parse_charxiv_file(path, FIXTURES "/charxiv/data/g.json", &it, &n, &lines,
					    &err), -1);
	assert_non_null(strstr(err.msg, "reasoning_val.json:9: entry \"1\": inst_category must be"));
	dataset_items_free(it, n);
	free(lines);
	free(path);
}

/* CharXiv's reader with the fixture's images beside the data. */
static int parse_cx(const char *src, const char *d, size_t n, um_item **it, size_t *k,
		    int **lines, size_t *skipped, um_error *err)
{
	*skipped = 0;
	return judged_parse_charxiv(src, FIXTURES "/charxiv/data/x.json", d, n, it, k, lines, err);
}

static void test_charxiv_garbage(void **state)
{
	static const struct {
		const char *data, *msg;
	} cases[] = {
		{"[1]", "x.json:1:1: expected an object of questions keyed by id"},
		{"{}", "expected an object of questions"},
		{"{\"0\": {\"figure_id\": 0, \"query\": \"q\", \"answer\": null, \"inst_category\": 1}}",
		 "x.json:1: entry \"0\": the answer is null: CharXiv withholds"},
		{"{\n\"0\": {\"figure_id\": -1}}", "x.json:2: entry \"0\": figure_id must be"},
		{"{\"0\": {\"figure_id\": 0, \"query\": \" \"}}", "query must be a non-empty string"},
		{"{\"0\": {\"figure_id\": 0, \"query\": \"q\", \"answer\": 5}}",
		 "answer must be a non-empty string"},
		{"{\"0\": 3}", "entry \"0\": not an object"},
		{"{\n\n\"7\": {\"figure_id\": 99, \"query\": \"q\", \"answer\": \"a\", "
		 "\"inst_category\": 2}}", "x.json:3: entry \"7\": image"},
		{"{\"0\": {}, \"0\": {}}", "x.json:1:"},
		{"{\"0\": ", "x.json:1:"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_parse(parse_cx, "x.json", cases[i].data, cases[i].msg, i);
}

static int parse_gw(const char *src, const char *d, size_t n, um_item **it, size_t *k,
		    int **lines, size_t *skipped, um_error *err)
{
	*skipped = 0;
	return judged_parse_graphwalks(src, d, n, it, k, lines, err);
}

static void test_graphwalks(void **state)
{
	static const struct {
		const char *data, *msg;
	} cases[] = {
		{"{\"prompt\": \"p\", \"problem_type\": \"bfs\"}\n",
		 "x.jsonl:1: field \"answer_nodes\" must be a list of node ids (missing)"},
		{"\n{\"prompt\": \"p\", \"problem_type\": \"bfs\", \"answer_nodes\": [1]}\n",
		 "x.jsonl:2: field \"answer_nodes\": element 0 is not a node id"},
		{"{\"prompt\": \"p\", \"problem_type\": \"dfs\", \"answer_nodes\": []}\n",
		 "field \"problem_type\" is 'dfs' (want bfs or parents)"},
		{"{\"prompt\": \"p\", \"problem_type\": \"bfs\", \"answer_nodes\": [], "
		 "\"prompt_chars\": -4}\n", "field \"prompt_chars\" must be an integer of at least 0"},
		{"{\"answer_nodes\": []}\n", "missing field \"prompt\""},
	};
	um_item *it;
	size_t n, skipped, i;
	um_error err = {0};

	(void)state;
	assert_int_equal(load(parse_gw, "graphwalks.jsonl", &it, &n, &skipped, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(it[0].id, "row-1");
	assert_string_equal(it[0].category, "bfs");
	assert_string_equal(it[0].answer, "[\"c0ffee1234\"]");
	assert_string_equal(it[1].answer, "[\"77d0c4e2a1\",\"b81e55f0c3\"]");
	assert_string_equal(it[2].answer, "[]");
	assert_string_equal(it[2].category, "parents");
	assert_non_null(strstr(it[0].messages, "[{\"role\":\"user\",\"content\":\"You are shown"));
	assert_true(it[0].context_chars > 400);
	dataset_items_free(it, n);
	assert_int_equal(load(parse_gw, "graphwalks-bad.jsonl", &it, &n, &skipped, &err), -1);
	assert_non_null(strstr(err.msg, "graphwalks-bad.jsonl:2: field \"answer_nodes\" must be a "
				       "list"));
	dataset_items_free(it, n);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_parse(parse_gw, "x.jsonl", cases[i].data, cases[i].msg, i);
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
		{"grading: {grader: exact}\ndataset: {format: mrcr, path: x.jsonl, images: skip}\n",
		 ":8:40: 'images' applies to format: hle only"},
		{"grading: {grader: exact}\ndataset: {format: hle, path: x.jsonl, images: none}\n",
		 "images"},
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

/* A judged item's chart (the image key, as an mcq item's), checked when the
 * suite loads; a file that is no image refused at the key. */
static void test_suite_images(void **state)
{
	um_error err = {0};
	char *body = um_xasprintf(
		"grading: {grader: judge}\ndataset:\n  format: inline\n  items:\n"
		"    - {id: a, category: A, question: q, answer: x, image: %s/charxiv/images/0.jpg}\n"
		"    - {id: b, category: A, question: q, answer: x, image: [%s/charxiv/images/3.jpg, "
		"%s/charxiv/images/7.jpg]}\n", FIXTURES, FIXTURES, FIXTURES);
	um_suite *su = load_suite(body, &err);

	(void)state;
	free(body);
	if (!su)
		fail_msg("%s", err.msg);
	assert_int_equal(su->items[0].n_images, 1);
	assert_int_equal(su->items[1].n_images, 2);
	assert_string_equal(su->items[1].images[1].media_type, "image/jpeg");
	suite_free(su);
	body = um_xasprintf("grading: {grader: judge}\ndataset:\n  format: inline\n  items:\n"
			    "    - {id: a, category: A, question: q, answer: x, image: %s/judged/"
			    "hle.jsonl}\n", FIXTURES);
	su = load_suite(body, &err);
	free(body);
	assert_null(su);
	if (!strstr(err.msg, ":11:59: item a: image "))
		fail_msg("%s", err.msg);
	assert_non_null(strstr(err.msg, "not a PNG, JPEG, GIF or WebP file"));
}

/* answer_instructions: per answer type, templates of {{decimals}} only, and
 * only in judged scaffolds. */
static void test_answer_instructions(void **state)
{
	static const char ok[] = "answer_instructions:\n  number: \"{{decimals}} places\"\n"
				 "  text: be short\n";
	um_scaffold *sc = NULL;
	um_error err = {0};
	char *t = um_xasprintf("%s%s", scaffold_head, ok);

	(void)state;
	if (scaffold_load_buffer("s.yaml", t, strlen(t), &sc, &err) < 0)
		fail_msg("%s", err.msg);
	free(t);
	assert_string_equal(scaffold_answer_instructions(sc, "number"), "{{decimals}} places");
	assert_string_equal(scaffold_answer_instructions(sc, "text"), "be short");
	assert_string_equal(scaffold_answer_instructions(sc, "none"), "");
	assert_string_equal(scaffold_answer_instructions(sc, NULL), "");
	scaffold_free(sc);
	t = um_xasprintf("%sanswer_instructions:\n  number: \"{{answer}}\"\n", scaffold_head);
	assert_int_equal(scaffold_load_buffer("s.yaml", t, strlen(t), &sc, &err), -1);
	if (!strstr(err.msg, "s.yaml:8:12: answer_instructions value: unknown template "
			     "variable 'answer' (known: decimals)"))
		fail_msg("%s", err.msg);
	free(t);
	t = um_xasprintf("%sanswer_instructions: [a]\n", scaffold_head);
	assert_int_equal(scaffold_load_buffer("s.yaml", t, strlen(t), &sc, &err), -1);
	assert_non_null(strstr(err.msg, "answer_instructions"));
	free(t);
	t = um_xstrdup("umpire: 1\nname: s\nkind: mcq\nmessages:\n  - {role: user, content: x}\n"
		       "params: {}\nextract: {pattern: x}\nanswer_instructions: {a: b}\n");
	assert_int_equal(scaffold_load_buffer("s.yaml", t, strlen(t), &sc, &err), -1);
	assert_non_null(strstr(err.msg, "'answer_instructions' belongs to judged scaffolds"));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hle_jsonl),   cmocka_unit_test(test_hle_array),
		cmocka_unit_test(test_hle_garbage), cmocka_unit_test(test_hle_fixture_garbage),
		cmocka_unit_test(test_hle_data_url_garbage),
		cmocka_unit_test(test_hle_data_url_too_large),
		cmocka_unit_test(test_mrcr),        cmocka_unit_test(test_mrcr_garbage),
		cmocka_unit_test(test_bins),        cmocka_unit_test(test_suite_inline),
		cmocka_unit_test(test_suite_garbage), cmocka_unit_test(test_scaffold),
		cmocka_unit_test(test_charxiv),     cmocka_unit_test(test_charxiv_garbage),
		cmocka_unit_test(test_graphwalks),  cmocka_unit_test(test_suite_images),
		cmocka_unit_test(test_answer_instructions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
