/*
 * test_suite.c - suite.c: loading suites from fixtures and from YAML written
 * here, every schema mistake reported at file:line:col, item rules (declared
 * categories, unique ids, choice counts), and the shipped GPQA Diamond suite
 * read from a zip built here with the same layout and passphrase.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "load/dataset.h"
#include "load/suite.h"
#include "base/util.h"

static char tmpdir[256];

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/umpire-suite-XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write text to tmpdir/name; caller frees the path. */
static char *write_tmp(const char *name, const char *text, size_t len)
{
	char *p = um_xasprintf("%s/%s", tmpdir, name);
	char *slash = strrchr(p, '/');
	FILE *f;

	*slash = '\0';
	assert_int_equal(um_mkdir_p(p, NULL), 0);
	*slash = '/';
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return p;
}

static um_suite *load_ok(const char *path)
{
	um_suite *s = NULL;
	um_error err = {0};

	if (suite_load(path, &s, &err) < 0)
		fail_msg("%s", err.msg);
	assert_non_null(s);
	return s;
}

/* ---- good suites ------------------------------------------------------ */

static void test_inline_fixture(void **state)
{
	const char *path = FIXTURES "/suite/inline.yaml";
	um_suite *s = load_ok(path);
	char *text, sha[65];
	size_t len;

	(void)state;
	assert_string_equal(s->path, path);
	assert_string_equal(s->name, "fixture.inline");
	assert_string_equal(s->version, "3");
	assert_string_equal(s->kind, "mcq");
	assert_string_equal(s->description, "Two items written in the suite itself.");
	assert_int_equal(s->n_categories, 2);
	assert_string_equal(s->categories[1], "Biology");
	assert_string_equal(s->scaffold_path, FIXTURES "/suite/scaffolds/mcq.yaml");
	assert_int_equal(s->repeats, 3);
	assert_int_equal(s->seed, 7);
	assert_int_equal(s->shuffle, 1);
	assert_int_equal(s->dataset.format, UM_DATA_INLINE);
	assert_null(s->dataset.path);
	assert_string_equal(s->dataset_sha256, "");

	assert_int_equal(s->n_items, 2);
	assert_string_equal(s->items[0].id, "q1");
	assert_string_equal(s->items[0].subcategory, "Optics");
	assert_int_equal(s->items[0].n_choices, 3);
	assert_int_equal(s->items[0].correct, 0);
	assert_string_equal(s->items[0].choices[0], "It brings them to a focus");
	assert_string_equal(s->items[0].choices[2], "It leaves them parallel");
	assert_string_equal(s->items[1].question, "DNA is made of?");
	assert_null(s->items[1].subcategory);
	assert_int_equal(s->items[1].n_choices, 2);

	assert_int_equal(s->n_claims, 2);
	assert_string_equal(s->claims[0].system, "sim-conductor");
	assert_true(s->claims[0].value == 87.5);
	assert_string_equal(s->claims[0].benchmark, "Demo-Bench");
	assert_string_equal(s->claims[0].note, "illustrative");
	assert_string_equal(s->claims[1].benchmark, "fixture.inline"); /* default */
	assert_null(s->claims[1].note);
	assert_true(s->claims[1].value == 0.0);

	/* the file's bytes and their hash */
	assert_int_equal(um_read_file(path, &text, &len, NULL), 0);
	um_sha256_hex(text, len, sha);
	assert_string_equal(s->sha256, sha);
	assert_string_equal(s->text, text);
	free(text);

	assert_int_equal(suite_category_index(s, "Physics"), 0);
	assert_int_equal(suite_category_index(s, "Biology"), 1);
	assert_int_equal(suite_category_index(s, "biology"), -1);
	assert_int_equal(suite_category_index(s, NULL), -1);
	suite_free(s);
}

static void test_csv_fixture(void **state)
{
	um_suite *s = load_ok(FIXTURES "/suite/csv.yaml");

	(void)state;
	assert_string_equal(s->version, "2.1"); /* a plain number, kept as text */
	assert_int_equal(s->repeats, 1);        /* defaults */
	assert_int_equal(s->seed, 0);
	assert_int_equal(s->shuffle, 1);
	assert_int_equal(s->n_claims, 0);
	assert_null(s->claims);
	assert_string_equal(s->scaffold_path, FIXTURES "/suite/../../../scaffolds/mcq.yaml");
	assert_string_equal(s->dataset.path, FIXTURES "/suite/data/questions.csv");
	/* the pin is kept in lower case and matches what was read */
	assert_string_equal(s->dataset.sha256,
			    "0c5265105f4e3e2168b492a5723ec019baeca6404bddfea5cef4e6d31bd627d0");
	assert_string_equal(s->dataset_sha256, s->dataset.sha256);
	assert_string_equal(s->dataset.f_question, "Question");
	assert_int_equal(s->n_items, 3);
	assert_string_equal(s->items[2].id, "bio-1");
	assert_string_equal(s->items[2].question,
			    "Which organelle makes most of a cell's ATP, in eukaryotes?");
	assert_int_equal(s->items[2].n_choices, 3); /* empty Incorrect Answer 3 */
	assert_string_equal(s->items[2].choices[2], "Golgi apparatus");
	suite_free(s);
}

static void test_jsonl_fixture(void **state)
{
	um_suite *s = load_ok(FIXTURES "/suite/jsonl.yaml");

	(void)state;
	assert_int_equal(s->repeats, 1000);
	assert_true(s->seed == UINT64_MAX);
	assert_int_equal(s->shuffle, 0);
	assert_int_equal(s->dataset.format, UM_DATA_JSONL);
	assert_int_equal(s->dataset.n_incorrect, 1);
	assert_string_equal(s->dataset.f_incorrect[0], "wrong");
	assert_int_equal(s->n_items, 2);
	assert_string_equal(s->items[0].id, "j-1");
	assert_int_equal(s->items[0].n_choices, 4);
	assert_string_equal(s->items[0].choices[3], "Earth");
	assert_string_equal(s->items[1].subcategory, "Multiplication");
	assert_string_equal(s->items[1].category, "Arithmetic");
	assert_int_equal(strlen(s->dataset_sha256), 64);
	suite_free(s);
}

/* ---- errors ------------------------------------------------------------ */

static const char head[] = "umpire: 1\n"
			   "name: t\n"
			   "version: \"1\"\n"
			   "kind: mcq\n"
			   "categories: [Physics, Biology]\n"
			   "scaffold: mcq.yaml\n";

static const char inline_ds[] = "dataset:\n"
				"  format: inline\n"
				"  items:\n"
				"    - {id: a, category: Physics, question: Q, correct: A, "
				"incorrect: [B]}\n";

/* Load text written to tmp/<name>; expect failure with code and a message
 * that starts with the file's path and holds want. */
static void expect_error_named(const char *name, const char *text, um_err code,
			       const char *want)
{
	char *p = write_tmp(name, text, strlen(text));
	um_suite *s = (um_suite *)1;
	um_error err = {0};

	assert_int_equal(suite_load(p, &s, &err), -1);
	assert_null(s);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
	if (!um_has_prefix(err.msg, p))
		fail_msg("message \"%s\" does not start with the file", err.msg);
	if (err.code != code)
		fail_msg("code %d (%s), wanted %d", err.code, err.msg, code);
	free(p);
}

static void expect_error(const char *text, um_err code, const char *want)
{
	expect_error_named("s.yaml", text, code, want);
}

static char *cat3(const char *a, const char *b, const char *c)
{
	return um_xasprintf("%s%s%s", a, b, c);
}

/* head + inline dataset + extra, expecting an error. */
static void expect_with(const char *extra, um_err code, const char *want)
{
	char *t = cat3(head, inline_ds, extra);
	expect_error(t, code, want);
	free(t);
}

static void test_minimal_inline_is_valid(void **state)
{
	char *t = cat3(head, inline_ds, "");
	char *p = write_tmp("min.yaml", t, strlen(t));
	um_suite *s = load_ok(p);

	(void)state;
	assert_int_equal(s->n_items, 1);
	{
		char *want = um_xasprintf("%s/mcq.yaml", tmpdir);
		assert_string_equal(s->scaffold_path, want);
		free(want);
	}
	suite_free(s);
	free(p);
	free(t);

	/* an absolute scaffold path is kept as is */
	t = um_xasprintf("umpire: 1\nname: t\nversion: \"1\"\nkind: mcq\ncategories: [Physics]\n"
			 "scaffold: %s/abs.yaml\n%s", tmpdir, inline_ds);
	p = write_tmp("sub/abs.yaml", t, strlen(t));
	s = load_ok(p);
	assert_true(um_has_prefix(s->scaffold_path, tmpdir));
	assert_null(strstr(s->scaffold_path, "/sub/"));
	suite_free(s);
	free(p);
	free(t);
}

static void test_unknown_keys(void **state)
{
	char *t;

	(void)state;
	expect_with("nmae: x\n", UM_ERR_INVALID,
		    "s.yaml:11:1: unknown key 'nmae' in suite (allowed: umpire, name,");
	t = cat3(head, "dataset:\n  format: csv\n  path: d.csv\n  sha: abc\n", "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:10:3: unknown key 'sha' in dataset");
	free(t);
	t = cat3(head, "dataset:\n  format: csv\n  path: d.csv\n",
		 "  fields: {question: Q, answer: A}\n");
	expect_error(t, UM_ERR_INVALID,
		     "s.yaml:10:25: unknown key 'answer' in dataset.fields "
		     "(allowed: id, question,");
	free(t);
	expect_with("claims:\n  - {system: x, value: 50, source: s, url: u}\n", UM_ERR_INVALID,
		    "s.yaml:12:39: unknown key 'url' in claim");
	t = cat3(head,
		 "dataset:\n  format: inline\n  items:\n"
		 "    - id: a\n      category: Physics\n      question: Q\n      correct: A\n"
		 "      incorrect: [B]\n      answer: A\n",
		 "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:15:7: unknown key 'answer' in item");
	free(t);
}

static void test_wrong_types(void **state)
{
	char *t;

	(void)state;
	expect_with("repeats: many\n", UM_ERR_INVALID,
		    "s.yaml:11:10: 'repeats' must be an integer between 1 and 1000, got 'many'");
	expect_with("repeats: 0\n", UM_ERR_INVALID, "s.yaml:11:10: 'repeats' must be");
	expect_with("repeats: 1001\n", UM_ERR_INVALID, "s.yaml:11:10: 'repeats' must be");
	expect_with("seed: -1\n", UM_ERR_INVALID,
		    "s.yaml:11:7: 'seed' must be an integer between 0 and 18446744073709551615, "
		    "got '-1'");
	expect_with("seed: 18446744073709551616\n", UM_ERR_INVALID, "s.yaml:11:7: 'seed' must");
	expect_with("seed: \"12\"\n", UM_ERR_INVALID, "s.yaml:11:7: 'seed' must");
	expect_with("seed: [1]\n", UM_ERR_INVALID, "s.yaml:11:7: 'seed' must be an integer");
	expect_with("shuffle: yes\n", UM_ERR_INVALID,
		    "s.yaml:11:10: 'shuffle' must be true or false, got 'yes'");
	expect_with("description: [a]\n", UM_ERR_INVALID,
		    "s.yaml:11:14: 'description' must be a string, got a sequence");
	expect_with("claims: {system: x}\n", UM_ERR_INVALID,
		    "s.yaml:11:9: 'claims' must be a sequence, got a mapping");
	expect_with("claims:\n  - {system: x, value: 101, source: s}\n", UM_ERR_INVALID,
		    "s.yaml:12:24: 'value' must be a number between 0 and 100, got '101'");
	expect_with("claims:\n  - {system: x, value: high, source: s}\n", UM_ERR_INVALID,
		    "'value' must be a number");
	expect_with("claims:\n  - just a string\n", UM_ERR_INVALID,
		    "s.yaml:12:5: 'claim' must be a mapping, got a scalar");

	t = um_xasprintf("umpire: 1\nname: [t]\nversion: \"1\"\nkind: mcq\ncategories: [P]\n"
			 "scaffold: m.yaml\n%s", inline_ds);
	expect_error(t, UM_ERR_INVALID, "s.yaml:2:7: 'name' must be a string, got a sequence");
	free(t);
	t = um_xasprintf("umpire: 1\nname: t\nversion: \"1\"\nkind: mcq\ncategories: Physics\n"
			 "scaffold: m.yaml\n%s", inline_ds);
	expect_error(t, UM_ERR_INVALID,
		     "s.yaml:5:13: 'categories' must be a sequence, got a scalar");
	free(t);
	t = cat3(head, "dataset: data.csv\n", "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:7:10: 'dataset' must be a mapping");
	free(t);
	t = cat3(head, "dataset: {format: xml, path: d.xml}\n", "");
	expect_error(t, UM_ERR_INVALID,
		     "s.yaml:7:19: 'format' must be one of: inline, csv, jsonl, livecodebench, hle, "
		     "mrcr, charxiv, graphwalks, scicode, livecodebench-pro; got 'xml'");
	free(t);
	t = cat3(head, "dataset: {format: csv, path: d.csv, fields: {incorrect: {a: b}}}\n",
		 "");
	expect_error(t, UM_ERR_INVALID,
		     "s.yaml:7:57: 'incorrect' must be a column name or a sequence");
	free(t);
	t = cat3(head, "dataset: {format: csv, path: d.csv, fields: [Question]}\n", "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:7:45: 'fields' must be a mapping");
	free(t);
	t = cat3(head,
		 "dataset:\n  format: inline\n  items:\n"
		 "    - {id: a, category: Physics, question: Q, correct: A, incorrect: B}\n",
		 "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:10:70: 'incorrect' must be a sequence");
	free(t);
	t = cat3(head,
		 "dataset:\n  format: inline\n  items:\n"
		 "    - {id: a, category: Physics, question: {x: 1}, correct: A, incorrect: [B]}\n",
		 "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:10:44: 'question' must be a string");
	free(t);
}

static void test_missing_fields(void **state)
{
	static const char *const keys[] = {"name", "version", "kind", "categories",
					   "scaffold"};
	char *t;
	size_t i;

	(void)state;
	/* drop each required header line in turn */
	for (i = 0; i < UM_ARRAY_LEN(keys); i++) {
		char want[128];
		um_buf b = UM_BUF_INIT;
		const char *line = head;

		while (*line) {
			const char *nl = strchr(line, '\n');
			if (!um_has_prefix(line, keys[i]))
				um_buf_append(&b, line, (size_t)(nl - line) + 1);
			line = nl + 1;
		}
		um_buf_puts(&b, inline_ds);
		snprintf(want, sizeof(want), "s.yaml:1:1: missing required key '%s'", keys[i]);
		expect_error(um_buf_str(&b), UM_ERR_INVALID, want);
		um_buf_release(&b);
	}
	expect_error(head, UM_ERR_INVALID, "s.yaml:1:1: missing required key 'dataset'");
	t = cat3(head, "dataset: {path: d.csv}\n", "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:7:10: missing required key 'format'");
	free(t);
	t = cat3(head, "dataset: {format: csv}\n", "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:7:10: missing required key 'path'");
	free(t);
	t = cat3(head, "dataset: {format: inline}\n", "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:7:10: missing required key 'items'");
	free(t);
	expect_with("claims:\n  - {value: 50, source: s}\n", UM_ERR_INVALID,
		    "s.yaml:12:5: missing required key 'system'");
	expect_with("claims:\n  - {system: x, value: 50}\n", UM_ERR_INVALID,
		    "s.yaml:12:5: missing required key 'source'");
	expect_with("claims:\n  - {system: x, source: s}\n", UM_ERR_INVALID,
		    "s.yaml:12:5: missing required key 'value'");
	t = cat3(head,
		 "dataset:\n  format: inline\n  items:\n"
		 "    - {id: a, category: Physics, question: Q, incorrect: [B]}\n",
		 "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:10:7: missing required key 'correct'");
	free(t);
	t = cat3(head,
		 "dataset:\n  format: inline\n  items:\n"
		 "    - {category: Physics, question: Q, correct: A, incorrect: [B]}\n",
		 "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:10:7: missing required key 'id'");
	free(t);
	t = cat3(head, "dataset:\n  format: inline\n  items:\n    - {id: a, question: Q, "
		       "correct: A, incorrect: [B]}\n", "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:10:7: missing required key 'category'");
	free(t);
	t = cat3(head, "dataset:\n  format: inline\n  items:\n    - {id: a, category: Physics, "
		       "question: Q, correct: A}\n", "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:10:7: missing required key 'incorrect'");
	free(t);
}

static void test_values(void **state)
{
	char *t;

	(void)state;
	expect_error("", UM_ERR_INVALID, "empty document");
	expect_error("# only a comment\n", UM_ERR_INVALID, "empty document");
	expect_error("- a\n- b\n", UM_ERR_INVALID, "s.yaml:1:1: 'suite' must be a mapping");
	t = cat3("umpire: 2\n", head + strlen("umpire: 1\n"), inline_ds);
	expect_error(t, UM_ERR_INVALID, "s.yaml:1:9: 'umpire' must be 1");
	free(t);
	t = cat3("", head + strlen("umpire: 1\n"), inline_ds);
	expect_error(t, UM_ERR_INVALID, "missing required key 'umpire'");
	free(t);

	t = um_xasprintf("umpire: 1\nname: has space\nversion: \"1\"\nkind: mcq\n"
			 "categories: [P]\nscaffold: m.yaml\n%s", inline_ds);
	expect_error(t, UM_ERR_INVALID, "s.yaml:2:7: 'name' must be letters, digits,");
	free(t);
	t = um_xasprintf("umpire: 1\nname: t\nversion: \"\"\nkind: mcq\n"
			 "categories: [P]\nscaffold: m.yaml\n%s", inline_ds);
	expect_error(t, UM_ERR_INVALID, "s.yaml:3:10: 'version' must not be empty");
	free(t);
	t = um_xasprintf("umpire: 1\nname: t\nversion: \"1\"\nkind: terminal\n"
			 "categories: [P]\nscaffold: m.yaml\n%s", inline_ds);
	expect_error(t, UM_ERR_INVALID, "s.yaml:8:3: a terminal suite lists 'tasks', not a 'dataset'");
	free(t);
	t = um_xasprintf("umpire: 1\nname: t\nversion: \"1\"\nkind: swe\n"
			 "categories: [P]\nscaffold: m.yaml\n%s", inline_ds);
	expect_error(t, UM_ERR_INVALID, "s.yaml:8:3: a swe suite lists 'tasks', not a 'dataset'");
	free(t);
	t = um_xasprintf("umpire: 1\nname: t\nversion: \"1\"\nkind: essay\n"
			 "categories: [P]\nscaffold: m.yaml\n%s", inline_ds);
	expect_error(t, UM_ERR_INVALID, "s.yaml:4:7: 'kind' must be mcq, terminal, swe, code, judged or scicode, got 'essay'");
	free(t);
	t = um_xasprintf("umpire: 1\nname: t\nversion: \"1\"\nkind: mcq\n"
			 "categories: []\nscaffold: m.yaml\n%s", inline_ds);
	expect_error(t, UM_ERR_INVALID, "s.yaml:5:13: 'categories' must list at least one");
	free(t);
	t = um_xasprintf("umpire: 1\nname: t\nversion: \"1\"\nkind: mcq\n"
			 "categories: [Physics, Biology, Physics]\nscaffold: m.yaml\n%s",
			 inline_ds);
	expect_error(t, UM_ERR_INVALID,
		     "s.yaml:5:32: category 'Physics' is listed twice (first at 5:14)");
	free(t);

	/* dataset rules */
	t = cat3(head, "dataset: {format: csv, path: d.zip, member: m.csv, passphrase: a, "
		       "passphrase_env: B}\n", "");
	expect_error(t, UM_ERR_INVALID,
		     "s.yaml:7:67: give 'passphrase' or 'passphrase_env', not both");
	free(t);
	t = cat3(head, "dataset: {format: csv, path: d.csv, passphrase_env: B}\n", "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:7:37: a passphrase is for an archive");
	free(t);
	t = cat3(head, "dataset: {format: csv, path: d.csv, sha256: abc}\n", "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:7:45: 'sha256' must be 64 hex digits");
	free(t);
	t = cat3(head, "dataset: {format: csv, path: d.csv, sha256: "
		       "zz00000000000000000000000000000000000000000000000000000000000000}\n", "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:7:45: 'sha256' must be 64 hex digits");
	free(t);
	t = cat3(head, "dataset: {format: csv, path: \"\"}\n", "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:7:30: 'path' must not be empty");
	free(t);
	t = cat3(head, "dataset:\n  format: inline\n  path: x.csv\n  items: []\n", "");
	expect_error(t, UM_ERR_INVALID,
		     "s.yaml:9:3: 'path' does not apply to format: inline");
	free(t);
	t = cat3(head, "dataset:\n  format: jsonl\n  path: x.jsonl\n  items: []\n", "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:10:3: 'items' is only for format: inline");
	free(t);
	t = cat3(head, "dataset:\n  format: inline\n  items: []\n", "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:9:10: the dataset has no items");
	free(t);
	t = cat3(head, "dataset: {format: csv, path: d.csv, fields: {incorrect: []}}\n", "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:7:57: 'incorrect' must name 1 to 25 columns");
	free(t);
	t = cat3(head, "dataset: {format: csv, path: d.csv, fields: {question: \"\"}}\n", "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:7:56: 'question' must not be empty");
	free(t);
	expect_with("claims:\n  - {system: \"\", value: 50, source: s}\n", UM_ERR_INVALID,
		    "s.yaml:12:14: 'system' must not be empty");
}

static void test_yaml_syntax(void **state)
{
	(void)state;
	expect_error("umpire: 1\nname: [unclosed\n", UM_ERR_SYNTAX, "s.yaml:");
	expect_error("umpire: 1\n  name: bad indent\n", UM_ERR_SYNTAX, "s.yaml:2:");
	expect_error("umpire: 1\nname: a\nname: b\n", UM_ERR_INVALID,
		     "s.yaml:3:1: duplicate key 'name'");
}

static void test_inline_item_rules(void **state)
{
	um_buf b = UM_BUF_INIT;
	int i;
	char *t;

	(void)state;
	/* undeclared category: at the category node */
	t = cat3(head,
		 "dataset:\n  format: inline\n  items:\n"
		 "    - {id: a, category: Physics, question: Q, correct: A, incorrect: [B]}\n"
		 "    - {id: b, category: Physic, question: Q, correct: A, incorrect: [B]}\n",
		 "");
	expect_error(t, UM_ERR_INVALID,
		     "s.yaml:11:25: item 'b': category 'Physic' is not declared in 'categories' "
		     "(Physics, Biology)");
	free(t);
	/* duplicate ids: the second, naming the first */
	t = cat3(head,
		 "dataset:\n  format: inline\n  items:\n"
		 "    - {id: a, category: Physics, question: Q, correct: A, incorrect: [B]}\n"
		 "    - {id: b, category: Physics, question: Q, correct: A, incorrect: [B]}\n"
		 "    - {id: a, category: Physics, question: Q, correct: A, incorrect: [B]}\n",
		 "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:12:12: duplicate item id 'a' (first at 10:12)");
	free(t);
	/* one choice */
	t = cat3(head,
		 "dataset:\n  format: inline\n  items:\n"
		 "    - {id: a, category: Physics, question: Q, correct: A, incorrect: []}\n",
		 "");
	expect_error(t, UM_ERR_INVALID,
		     "s.yaml:10:70: item 'a': at least 2 choices are needed");
	free(t);
	/* blank answers */
	t = cat3(head,
		 "dataset:\n  format: inline\n  items:\n"
		 "    - {id: a, category: Physics, question: Q, correct: A, incorrect: [\" \"]}\n",
		 "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:10:71: item 'a': an incorrect answer is blank");
	free(t);
	t = cat3(head,
		 "dataset:\n  format: inline\n  items:\n"
		 "    - {id: a, category: Physics, question: Q, correct: \" \", incorrect: [B]}\n",
		 "");
	expect_error(t, UM_ERR_INVALID, "s.yaml:10:56: item 'a': the correct answer is blank");
	free(t);

	/* 26 choices are fine, 27 are not */
	for (i = 0; i < 2; i++) {
		int k, n = UM_MAX_CHOICES - 1 + i;
		um_buf_reset(&b);
		um_buf_puts(&b, head);
		um_buf_puts(&b, "dataset:\n  format: inline\n  items:\n"
				"    - {id: a, category: Physics, question: Q, correct: A, "
				"incorrect: [");
		for (k = 0; k < n; k++)
			um_buf_printf(&b, "%sw%d", k ? ", " : "", k);
		um_buf_puts(&b, "]}\n");
		if (i == 0) {
			char *p = write_tmp("max.yaml", b.data, b.len);
			um_suite *s = load_ok(p);
			assert_int_equal(s->items[0].n_choices, UM_MAX_CHOICES);
			assert_string_equal(s->items[0].choices[25], "w24");
			suite_free(s);
			free(p);
		} else {
			expect_error(b.data, UM_ERR_INVALID,
				     "s.yaml:10:70: item 'a': 27 choices, at most 26");
		}
	}
	um_buf_release(&b);
}

static void test_data_item_rules(void **state)
{
	const char *dir = FIXTURES "/suite/";
	um_suite *s = (um_suite *)1;
	um_error err = {0};
	char want[512];

	(void)state;
	assert_int_equal(suite_load(FIXTURES "/suite/undeclared.yaml", &s, &err), -1);
	assert_null(s);
	assert_int_equal(err.code, UM_ERR_INVALID);
	/* the data line (after a record spanning two lines), and the suite's list */
	snprintf(want, sizeof(want),
		 "%sdata/undeclared.csv:5: item u-3: category \"Astrology\" is not declared in "
		 "the suite's categories (%sundeclared.yaml:5:13: Physics, Chemistry)",
		 dir, dir);
	assert_string_equal(err.msg, want);

	assert_int_equal(suite_load(FIXTURES "/suite/dup.yaml", &s, &err), -1);
	assert_int_equal(err.code, UM_ERR_INVALID);
	snprintf(want, sizeof(want),
		 "%sdata/dup.csv:5: duplicate item id \"d-2\" (first on line 3)", dir);
	assert_string_equal(err.msg, want);
}

static void test_data_errors_pass_through(void **state)
{
	char *csv, *t, *p;
	um_suite *s = NULL;
	um_error err = {0};
	const char *data = "Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,"
			   "Incorrect Answer 3,High-level domain\nQ,A,B,C,D,Physics\n";

	(void)state;
	csv = write_tmp("pt/d.csv", data, strlen(data));
	/* pin mismatch */
	t = cat3(head, "dataset:\n  format: csv\n  path: d.csv\n  sha256: "
		       "1111111111111111111111111111111111111111111111111111111111111111\n", "");
	p = write_tmp("pt/pin.yaml", t, strlen(t));
	assert_int_equal(suite_load(p, &s, &err), -1);
	assert_int_equal(err.code, UM_ERR_PIN);
	assert_non_null(strstr(err.msg, "sha256 mismatch: pinned 1111"));
	{
		char sha[65];
		um_sha256_hex(data, strlen(data), sha);
		assert_non_null(strstr(err.msg, sha));
	}
	free(p);
	free(t);
	/* missing data file */
	t = cat3(head, "dataset: {format: jsonl, path: nothere.jsonl}\n", "");
	p = write_tmp("pt/missing.yaml", t, strlen(t));
	assert_int_equal(suite_load(p, &s, &err), -1);
	assert_int_equal(err.code, UM_ERR_IO);
	assert_non_null(strstr(err.msg, "pt/nothere.jsonl: cannot open"));
	free(p);
	free(t);
	/* header only */
	free(csv);
	csv = write_tmp("pt/empty.csv", data, strchr(data, '\n') - data + 1);
	t = cat3(head, "dataset: {format: csv, path: empty.csv}\n", "");
	p = write_tmp("pt/empty.yaml", t, strlen(t));
	assert_int_equal(suite_load(p, &s, &err), -1);
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_non_null(strstr(err.msg, "pt/empty.csv: the dataset has no items"));
	free(p);
	free(t);
	free(csv);
	/* a missing suite file */
	p = um_xasprintf("%s/nope.yaml", tmpdir);
	assert_int_equal(suite_load(p, &s, &err), -1);
	assert_int_equal(err.code, UM_ERR_IO);
	free(p);
}

static void test_garbage(void **state)
{
	um_rng r;
	int round;

	(void)state;
	um_rng_seed(&r, 99);
	for (round = 0; round < 100; round++) {
		char buf[1024];
		size_t len = um_rng_below(&r, sizeof(buf)), i;
		char *p;
		um_suite *s = (um_suite *)1;
		um_error err = {0};

		for (i = 0; i < len; i++) {
			if (round % 2) {
				static const char alpha[] = "umpire: 1\n-[]{}:,&*!|>'\"#";
				buf[i] = alpha[um_rng_below(&r, sizeof(alpha) - 1)];
			} else {
				buf[i] = (char)um_rng_below(&r, 256);
			}
		}
		p = write_tmp("garbage.yaml", buf, len);
		assert_int_equal(suite_load(p, &s, &err), -1);
		assert_null(s);
		assert_true(err.code == UM_ERR_SYNTAX || err.code == UM_ERR_INVALID);
		assert_true(um_has_prefix(err.msg, p));
		free(p);
	}
}

/* ---- the shipped GPQA Diamond suite ----------------------------------- */

static const char gpqa_csv[] =
	"Pre-Revision Question,Pre-Revision Correct Answer,Pre-Revision Incorrect Answer 1,"
	"Pre-Revision Incorrect Answer 2,Pre-Revision Incorrect Answer 3,Pre-Revision "
	"Explanation,Self-reported question-writing time (minutes),Question,Correct Answer,"
	"Incorrect Answer 1,Incorrect Answer 2,Incorrect Answer 3,Explanation,Revision "
	"Comments (from Question Writer),Subdomain,Writer's Difficulty Estimate,Extra Revised "
	"Question,Extra Revised Explanation,Extra Revised Correct Answer,Extra Revised "
	"Incorrect Answer 1,Extra Revised Incorrect Answer 2,Extra Revised Incorrect Answer 3,"
	"Non-Expert Validator Accuracy,Majority Non-Expert Vals Incorrect,Expert Validator "
	"Accuracy,Record ID,High-level domain\n"
	"p,p,p,p,p,p,10,\"Which force, in a nucleus, binds protons?\",strong,weak,\"gravity\","
	"electromagnetic,\"Because\nit is.\",none,Nuclear Physics,Hard,,,,,,,0.5,1,1,recA,"
	"Physics\n"
	"p,p,p,p,p,p,10,What is the pH of pure water at 25 C?,7,1,14,0,e,none,Physical "
	"Chemistry,Easy,,,,,,,0.5,1,1,recB,Chemistry\n"
	"p,p,p,p,p,p,10,Where is DNA found in a bacterium?,nucleoid,nucleus,mitochondrion,"
	"vacuole,e,none,Molecular Biology,Easy,,,,,,,0.5,1,1,recC,Biology\n";

static void make_gpqa_zip(const char *path, const char *pass)
{
	struct archive *a = archive_write_new();
	static const char *const names[] = {"dataset/gpqa_main.csv", "dataset/gpqa_diamond.csv",
					    "dataset/gpqa_experts.csv"};
	size_t i;

	assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_options(a, "zip:encryption=zipcrypt"), ARCHIVE_OK);
	assert_int_equal(archive_write_set_passphrase(a, pass), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (i = 0; i < UM_ARRAY_LEN(names); i++) {
		struct archive_entry *e = archive_entry_new();
		const char *data = i == 1 ? gpqa_csv : "other\n";
		archive_entry_set_pathname(e, names[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)strlen(data));
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, data, strlen(data)),
				 (la_ssize_t)strlen(data));
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* Kind code: the shipped demo and LiveCodeBench suites, the date window,
 * and the code suite's own mistakes. */
static void test_code_suites(void **state)
{
	const char *chead = "umpire: 1\nname: c\nversion: 1\nkind: code\ncategories: [easy, medium, "
			   "hard]\nscaffold: x.yaml\n";
	char *text, *suite, *data, *fx;
	size_t len;
	um_suite *s;
	um_error err = {0};

	(void)state;
	s = load_ok(FIXTURES "/../../suites/code-demo.yaml");
	assert_string_equal(s->kind, "code");
	assert_int_equal(s->n_items, 7);
	assert_int_equal(s->code.time_limit_ms, 6000);
	assert_int_equal(s->code.memory_mb, 1024);
	assert_string_equal(s->code.date_from, "2024-01-01");
	assert_int_equal(suite_code_window(s, NULL, NULL, &err), 0);
	assert_int_equal(s->n_items, 6); /* the 2023 problem is outside */
	assert_int_equal(s->code.n_before_window, 7);
	suite_free(s);
	s = load_ok(FIXTURES "/../../suites/code-demo.yaml");
	assert_int_equal(suite_code_window(s, "2025-01-01", "2025-03-01", &err), 0);
	assert_int_equal(s->n_items, 1);
	assert_string_equal(s->items[0].id, "demo-s3");
	suite_free(s);
	s = load_ok(FIXTURES "/../../suites/code-demo.yaml");
	assert_int_equal(suite_code_window(s, "2026-01-01", NULL, &err), -1);
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_non_null(strstr(err.msg, "no problem is dated in the window 2026-01-01 to (open) "
					"(of 7 problems)"));
	suite_free(s);
	s = load_ok(FIXTURES "/../../suites/code-demo.yaml");
	assert_int_equal(suite_code_window(s, "2025-01-01", "2024-01-01", &err), -1);
	assert_non_null(strstr(err.msg, "ends before it starts"));
	assert_int_equal(suite_code_window(s, "2025-1-1", NULL, &err), -1);
	assert_int_equal(err.code, UM_ERR_USAGE);
	suite_free(s);

	/* the shipped LiveCodeBench suite over the release-format fixture */
	assert_int_equal(um_read_file(FIXTURES "/../../suites/livecodebench.yaml", &text, &len, NULL), 0);
	suite = write_tmp("lcb/suites/livecodebench.yaml", text, len);
	free(text);
	assert_int_equal(um_read_file(FIXTURES "/code/lcb_release.jsonl", &fx, &len, NULL), 0);
	data = write_tmp("lcb/data/livecodebench/code_generation_lite.jsonl", fx, len);
	free(fx);
	s = load_ok(suite);
	assert_string_equal(s->name, "livecodebench");
	assert_int_equal(s->n_items, 3);
	assert_int_equal(s->n_claims, 4);
	suite_free(s);
	free(suite);

	text = um_xasprintf("%sdataset: {format: csv, path: q.csv}\n", chead);
	expect_error(text, UM_ERR_INVALID, "s.yaml:7:19: a code suite reads format: livecodebench");
	free(text);
	text = um_xasprintf("%scode: {date_from: 2024-13-01}\ndataset: {format: livecodebench, path: "
			    "%s}\n", chead, data);
	expect_error(text, UM_ERR_INVALID, "s.yaml:7:19: 'date_from' must be a date YYYY-MM-DD");
	free(text);
	text = um_xasprintf("%scode: {date_from: 2024-05-01, date_to: 2024-01-01}\ndataset: {format: "
			    "livecodebench, path: %s}\n", chead, data);
	expect_error(text, UM_ERR_INVALID, "'date_to' 2024-01-01 is before 'date_from' 2024-05-01");
	free(text);
	text = um_xasprintf("%scode: {time_limit_s: 0}\ndataset: {format: livecodebench, path: %s}\n",
			    chead, data);
	expect_error(text, UM_ERR_INVALID, "'time_limit_s' must be a number between 0.1 and 600");
	free(text);
	text = um_xasprintf("%scode: {language: cobol}\ndataset: {format: livecodebench, path: %s}\n",
			    chead, data);
	expect_error(text, UM_ERR_INVALID, "'language' must be one of: python, cpp; got 'cobol'");
	free(text);
	text = um_xasprintf("%scode: {language: cpp}\ndataset: {format: livecodebench, path: %s}\n",
			    chead, data);
	suite = write_tmp("cpp.yaml", text, strlen(text));
	assert_int_equal(suite_load(suite, &s, &err), -1);
	assert_non_null(strstr(err.msg, "code_generation_lite.jsonl:2: problem fx-2 has call-based "
					"tests, which run Python functions: they need language: python"));
	free(suite);
	free(text);
	text = um_xasprintf("%scode: {timeout: 6}\ndataset: {format: livecodebench, path: %s}\n", chead,
			    data);
	expect_error(text, UM_ERR_INVALID, "unknown key 'timeout' in code");
	free(text);
	text = um_xasprintf("%sdataset: {format: livecodebench, path: %s, fields: {id: x}}\n", chead,
			    data);
	expect_error(text, UM_ERR_INVALID, "'fields' does not apply to format: livecodebench");
	free(text);
	text = um_xasprintf("umpire: 1\nname: c\nversion: 1\nkind: code\ncategories: [easy]\n"
			    "scaffold: x.yaml\ndataset: {format: livecodebench, path: %s}\n", data);
	suite = write_tmp("c.yaml", text, strlen(text));
	assert_int_equal(suite_load(suite, &s, &err), -1);
	assert_non_null(strstr(err.msg, "code_generation_lite.jsonl:2: item fx-2: category "
					"\"medium\" is not declared"));
	free(suite);
	free(text);
	text = um_xasprintf("umpire: 1\nname: c\nversion: 1\nkind: mcq\ncategories: [easy]\n"
			    "scaffold: x.yaml\ncode: {memory_mb: 64}\n%s", inline_ds);
	expect_error(text, UM_ERR_INVALID, "'code' belongs to code suites");
	free(text);
	text = um_xasprintf("umpire: 1\nname: c\nversion: 1\nkind: mcq\ncategories: [easy]\n"
			    "scaffold: x.yaml\ndataset: {format: livecodebench, path: %s}\n", data);
	expect_error(text, UM_ERR_INVALID, "format: livecodebench holds programming problems");
	free(text);
	free(data);
}

static void test_gpqa_diamond_suite(void **state)
{
	char *text, *suite, *zip, *dir, sha[65];
	size_t len;
	um_suite *s = NULL;
	um_error err = {0};

	(void)state;
	/* the shipped file, byte for byte, in the same layout: suites/ and data/gpqa/ */
	assert_int_equal(um_read_file(FIXTURES "/../../suites/gpqa-diamond.yaml", &text, &len,
				      NULL),
			 0);
	suite = write_tmp("gpqa/suites/gpqa-diamond.yaml", text, len);
	dir = um_xasprintf("%s/gpqa/data/gpqa", tmpdir);
	assert_int_equal(um_mkdir_p(dir, NULL), 0);
	zip = um_xasprintf("%s/dataset.zip", dir);
	make_gpqa_zip(zip, "deserted-untie-orchid");

	s = load_ok(suite);
	assert_string_equal(s->name, "gpqa-diamond");
	assert_string_equal(s->kind, "mcq");
	assert_int_equal(s->repeats, 4);
	assert_int_equal(s->shuffle, 1);
	assert_true(s->seed != 0);
	assert_int_equal(s->n_categories, 3);
	assert_string_equal(s->categories[0], "Physics");
	assert_string_equal(s->categories[1], "Chemistry");
	assert_string_equal(s->categories[2], "Biology");
	assert_true(um_has_prefix(s->scaffold_path, tmpdir));
	assert_non_null(strstr(s->scaffold_path, "/suites/../scaffolds/mcq.yaml"));
	assert_string_equal(s->dataset.member, "dataset/gpqa_diamond.csv");
	assert_null(s->dataset.sha256); /* honest: not pinned without the real file */
	um_sha256_hex(gpqa_csv, strlen(gpqa_csv), sha);
	assert_string_equal(s->dataset_sha256, sha);
	assert_int_equal(s->n_items, 3);
	assert_string_equal(s->items[0].id, "recA");
	assert_string_equal(s->items[0].question, "Which force, in a nucleus, binds protons?");
	assert_int_equal(s->items[0].n_choices, 4);
	assert_string_equal(s->items[0].choices[0], "strong");
	assert_string_equal(s->items[0].subcategory, "Nuclear Physics");
	assert_string_equal(s->items[2].category, "Biology");
	assert_true(s->n_claims >= 2);
	for (int i = 0; i < s->n_claims; i++) {
		assert_true(s->claims[i].value > 0 && s->claims[i].value <= 100);
		assert_true(strlen(s->claims[i].source) > 10);
		assert_non_null(s->claims[i].note);
	}
	suite_free(s);

	/* the same archive with another passphrase */
	make_gpqa_zip(zip, "something-else");
	assert_int_equal(suite_load(suite, &s, &err), -1);
	assert_int_equal(err.code, UM_ERR_ARCHIVE);
	assert_non_null(strstr(err.msg, "wrong passphrase"));
	free(text);
	free(suite);
	free(zip);
	free(dir);
}

/* ---- import: tasks converted at run time ------------------------------- */

static const char conv_yaml[] = "umpire: 1\nname: conv\nversion: \"1.0\"\nkind: terminal\n"
				"categories: [shell, text]\nscaffold: nowhere.yaml\ntasks:\n"
				"- id: t1\n  dir: tasks/t1\n  category: text\n"
				"  instruction: \"count the words\"\n  tests: tests\n"
				"  test_command: bash /tests/test.sh\n";
static const char imp_head[] = "umpire: 1\nname: tb\nversion: \"2.1\"\nkind: terminal\n"
			       "scaffold: ../scaffolds/terminal-agent.yaml\nimport:\n";

static int ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), m = strlen(end);

	return n >= m && !strcmp(s + n - m, end);
}

static void expect_import(const char *block, um_err code, const char *want)
{
	char *t = cat3(imp_head, block, "");
	expect_error_named("imp/suites/bad.yaml", t, code, want);
	free(t);
}

static void test_import_block(void **state)
{
	char *conv, *suite, *t, *want;
	um_suite *s;
	um_suite_import imp;
	um_error err = {0};

	(void)state;
	/* a conversion as `umpire run` leaves it: into/suite.yaml and its tasks */
	free(write_tmp("imp/data/tb.umpire/tasks/t1/tests/test.sh", "exit 0\n", 7));
	conv = write_tmp("imp/data/tb.umpire/suite.yaml", conv_yaml, strlen(conv_yaml));
	t = cat3(imp_head, "  format: terminal-bench\n  source: ../data/tb\n"
		 "  into: ../data/tb.umpire\n", "");
	suite = write_tmp("imp/suites/tb.yaml", t, strlen(t));
	free(t);
	s = load_ok(suite);
	assert_string_equal(s->name, "tb");
	assert_string_equal(s->import.format, "terminal-bench");
	assert_true(ends_with(s->import.source, "/suites/../data/tb"));
	assert_null(s->import.scripts);
	/* the categories come from the conversion, the dirs are relative to it */
	assert_int_equal(s->n_categories, 2);
	assert_string_equal(s->categories[1], "text");
	assert_int_equal((int)s->n_tasks, 1);
	assert_true(ends_with(s->tasks[0].dir, "/imp/data/tb.umpire/tasks/t1"));
	assert_int_equal(s->repeats, 1);
	want = um_xstrdup(s->dataset_sha256);
	suite_free(s);
	assert_int_equal(suite_import_read(suite, &imp, &err), 1);
	assert_true(ends_with(imp.into, "/suites/../data/tb.umpire"));
	suite_import_release(&imp);

	/* pinned: the hash a run records; another one stops the load */
	t = um_xasprintf("%s  format: terminal-bench\n  source: ../data/tb\n"
			 "  into: ../data/tb.umpire\n  sha256: %s\n", imp_head, want);
	free(write_tmp("imp/suites/pin.yaml", t, strlen(t)));
	free(t);
	t = um_xasprintf("%s/imp/suites/pin.yaml", tmpdir);
	s = load_ok(t);
	suite_free(s);
	free(t);
	expect_import("  format: terminal-bench\n  source: ../data/tb\n  into: ../data/tb.umpire\n"
		      "  sha256: 0000000000000000000000000000000000000000000000000000000000000000\n",
		      UM_ERR_PIN, "bad.yaml:10:11: the tasks converted from");
	free(want);

	/* not converted yet: says how */
	expect_import("  format: terminal-bench\n  source: ../data/tb\n  into: ../data/none\n",
		      UM_ERR_IO, "bad.yaml:7:3: the tasks converted from");
	expect_import("  format: terminal-bench\n  source: ../data/tb\n  into: ../data/none\n",
		      UM_ERR_IO, "`umpire run` on this suite converts them");
	/* garbage */
	expect_import("  format: harbor\n  source: a\n  into: b\n", UM_ERR_INVALID, "bad.yaml:7:11:");
	expect_import("  format: swe-bench-pro\n  source: a\n  into: b\n", UM_ERR_INVALID,
		      "import format swe-bench-pro makes a swe suite, not a terminal one");
	expect_import("  format: terminal-bench\n  into: b\n", UM_ERR_INVALID,
		      "missing required key 'source'");
	expect_import("  format: terminal-bench\n  source: \"\"\n  into: b\n", UM_ERR_INVALID,
		      "'source' must not be empty");
	expect_import("  format: terminal-bench\n  source: a\n  into: b\n  from: c\n",
		      UM_ERR_INVALID, "bad.yaml:10:3:");
	expect_import("  format: terminal-bench\n  source: a\n  into: b\n  scripts: c\n",
		      UM_ERR_INVALID, "'scripts' (the official run scripts) belongs to swe-bench-pro");
	expect_import("  format: terminal-bench\n  source: a\n  into: b\n  sha256: 12ab\n",
		      UM_ERR_INVALID, "'sha256' must be 64 hex digits");
	expect_import("  [a, b]\n", UM_ERR_INVALID, "bad.yaml:7:3:");
	expect_import("  format: terminal-bench\n  source: ../data/tb\n  into: ../data/tb.umpire\n"
		      "tasks: []\n", UM_ERR_INVALID, "a suite with 'import' lists no 'tasks'");
	/* the conversion must hold the suite's kind */
	t = um_xasprintf("%s", conv_yaml);
	memcpy(strstr(t, "kind: terminal"), "kind: swe     ", 14);
	free(write_tmp("imp/data/swe.umpire/suite.yaml", t, strlen(t)));
	free(t);
	t = cat3(imp_head, "  format: terminal-bench\n  source: ../data/tb\n"
		 "  into: ../data/swe.umpire\n", "");
	free(suite);
	suite = write_tmp("imp/suites/kind.yaml", t, strlen(t));
	free(t);
	s = (um_suite *)1;
	assert_int_equal(suite_load(suite, &s, &err), -1);
	assert_null(s);
	/* named where it is wrong: the conversion's own line */
	assert_non_null(strstr(err.msg, "/data/swe.umpire/suite.yaml:4:7: the conversion holds "
				       "a swe suite, not the terminal suite"));
	/* only terminal and swe suites convert */
	t = um_xasprintf("%simport: {format: terminal-bench, source: a, into: b}\n", head);
	expect_error(t, UM_ERR_INVALID, "'import' belongs to terminal and swe suites");
	free(t);
	/* and a suite without one has none */
	t = cat3(head, inline_ds, "");
	free(suite);
	suite = write_tmp("imp/suites/plain.yaml", t, strlen(t));
	assert_int_equal(suite_import_read(suite, &imp, &err), 0);
	free(t);
	free(suite);
	free(conv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inline_fixture),
		cmocka_unit_test(test_csv_fixture),
		cmocka_unit_test(test_jsonl_fixture),
		cmocka_unit_test(test_minimal_inline_is_valid),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_yaml_syntax),
		cmocka_unit_test(test_inline_item_rules),
		cmocka_unit_test(test_data_item_rules),
		cmocka_unit_test(test_data_errors_pass_through),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_gpqa_diamond_suite),
		cmocka_unit_test(test_code_suites),
		cmocka_unit_test(test_import_block),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
