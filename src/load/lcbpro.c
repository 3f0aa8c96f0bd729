/*
 * lcbpro.c - LiveCodeBench Pro's problems and the official judge's problem
 * directories read into code items (see lcbpro.h; the formats are in
 * docs/livecodebench-pro.md).
 *
 * A row is one problem of the release (its keys as the release names them);
 * its tests are in TESTS/<problem_id>/, laid out as the official judge
 * (LightCPVerifier) reads a problem: config.yaml (type, time_limit,
 * memory_limit, checker, the file name prefixes and suffixes, subtasks with
 * n_cases or cases), testdata/<k>.in and .ans, and the checker's source
 * (chk.cc unless config.yaml names another), or for type interactive the
 * interactor's (interactor.cc). The files are checked here and read only
 * when a test runs, so a window of thousands of tests does not sit in
 * memory.
 */
#include "load/lcbpro.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"
#include "load/codeset.h"
#include "load/task.h"
#include "load/yml.h"

typedef codeset_row pro_row;

int lcbpro_time_ms(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || !(v > 0))
		return -1;
	while (*end == ' ')
		end++;
	if (!strcmp(end, "ms"))
		v /= 1000.0;
	else if (*end && strcmp(end, "s") != 0)
		return -1;
	return v > 600 ? -1 : (int)(v * 1000.0 + 0.5);
}

long long lcbpro_bytes(const char *s)
{
	char *end;
	double v = strtod(s, &end), mul = 1;

	if (end == s || !(v > 0))
		return -1;
	while (*end == ' ')
		end++;
	if (*end == 'k' || *end == 'K')
		mul = 1024.0;
	else if (*end == 'm' || *end == 'M')
		mul = 1024.0 * 1024.0;
	else if (*end == 'g' || *end == 'G')
		mul = 1024.0 * 1024.0 * 1024.0;
	else if (*end)
		return -1;
	if (*end && end[1])
		return -1;
	return v * mul > 1e15 ? -1 : (long long)(v * mul + 0.5);
}

int lcbpro_split_date(const char *split, char out[11])
{
	const char *p;

	for (p = split; *p; p++) {
		int y, m, k = 0;

		if (p != split && p[-1] != '_')
			continue;
		if (sscanf(p, "%4d_%2d%n", &y, &m, &k) == 2 && k >= 6 && y >= 1970 && y <= 2999 &&
		    m >= 1 && m <= 12 && (p[k] == '_' || !p[k])) {
			snprintf(out, 11, "%04d-%02d-01", y, m);
			return 0;
		}
	}
	return -1;
}

/* A string key of the row; required or "" when absent. */
static int row_str(const pro_row *r, json_t *o, const char *key, int required, char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return codeset_fail(r, NULL, UM_ERR_INVALID, "missing required key '%s'", key);
		*out = um_xstrdup("");
		return 0;
	}
	if (!json_is_string(v))
		return codeset_fail(r, NULL, UM_ERR_INVALID, "'%s' must be a string", key);
	*out = um_xstrndup(json_string_value(v), json_string_length(v));
	if (required && !**out)
		return codeset_fail(r, NULL, UM_ERR_INVALID, "'%s' must not be empty", key);
	return 0;
}

/* `date` (YYYY-MM-DD, umpire's extension) or the release split the row came
 * from: the window reads it. */
static int row_date(const pro_row *r, json_t *o, um_code_item *c)
{
	json_t *d = json_object_get(o, "date"), *sp = json_object_get(o, "split");

	if (json_is_string(d)) {
		snprintf(c->date, sizeof(c->date), "%.10s", json_string_value(d));
		if (strlen(json_string_value(d)) != 10 || !codeset_date_ok(c->date))
			return codeset_fail(r, NULL, UM_ERR_INVALID, "'date' must be YYYY-MM-DD, got '%s'",
					json_string_value(d));
		return 0;
	}
	if (json_is_string(sp) && lcbpro_split_date(json_string_value(sp), c->date) == 0)
		return 0;
	if (json_is_string(sp))
		return codeset_fail(r, NULL, UM_ERR_INVALID, "split '%s' names no year and month (as in quater_2025_4_6)",
				json_string_value(sp));
	return codeset_fail(r, NULL, UM_ERR_INVALID, "missing 'split' (the release split the row came from, which dates "
			"it) or 'date'");
}

/* An existing regular file dir/name, or -1 with the error at node n. */
static int need_file(const yml_doc *d, const yml_node *n, const char *dir, const char *name,
		     char **out, um_error *err)
{
	struct stat st;
	char *p = um_xasprintf("%s/%s", dir, name);

	if (strstr(name, "..") || name[0] == '/' || stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
		yml_fail(d, n, UM_ERR_INVALID, err, "%s: no such file in the problem's directory", p);
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

/* One case: its input and answer (the judge reads NAME.ans for NAME.out
 * when there is one). */
static int add_case(const yml_doc *d, const yml_node *n, const char *dir, const char *in,
		    const char *out, um_code_item *c, um_error *err)
{
	um_code_test *t;
	char *ans = NULL;
	size_t k = strlen(out);

	if (c->n_tests >= UM_CODE_MAX_TESTS)
		return yml_fail(d, n, UM_ERR_INVALID, err, "more than 100000 tests");
	if (k > 4 && !strcmp(out + k - 4, ".out")) {
		char *alt = um_xasprintf("%s/%.*s.ans", dir, (int)(k - 4), out);
		struct stat st;
		if (stat(alt, &st) == 0 && S_ISREG(st.st_mode))
			ans = alt;
		else
			free(alt);
	}
	c->tests = um_xrealloc(c->tests, (size_t)(c->n_tests + 1) * sizeof(*c->tests));
	t = &c->tests[c->n_tests];
	memset(t, 0, sizeof(*t));
	if (need_file(d, n, dir, in, &t->input, err) < 0 ||
	    (!ans && need_file(d, n, dir, out, &ans, err) < 0)) {
		free(t->input);
		return -1;
	}
	t->output = ans;
	c->n_tests++;
	return 0;
}

/* A scalar of config.yaml as text (numbers too), or dflt. */
static const char *cfg_text(const yml_node *m, const char *key, const char *dflt)
{
	const yml_node *v = yml_get(m, key);

	return v && v->kind == YML_SCALAR && !yml_is_null(v) ? v->scalar : dflt;
}

/* subtasks: [{n_cases: N} | {cases: [{input, output}]}], numbered from 1
 * across subtasks, as the judge numbers them. */
static int read_subtasks(const yml_doc *d, const yml_node *root, const char *tdir,
			 um_code_item *c, um_error *err)
{
	const yml_node *sts = yml_get(root, "subtasks");
	const char *ip = cfg_text(root, "input_prefix", ""), *op = cfg_text(root, "output_prefix", "");
	const char *is = cfg_text(root, "input_suffix", ".in");
	const char *os = cfg_text(root, "output_suffix", ".ans");
	size_t i, j;
	int next = 1;

	if (!sts || sts->kind != YML_SEQ || !sts->n)
		return yml_fail(d, sts ? sts : root, UM_ERR_INVALID, err,
				"config.yaml must define subtasks (a list with n_cases or cases)");
	for (i = 0; i < sts->n; i++) {
		const yml_node *st = sts->items[i], *cases = yml_get(st, "cases");
		int64_t nc = -1;

		if (yml_expect(d, st, YML_MAP, "a subtask", err) < 0)
			return -1;
		if (yml_get(st, "time_limit") || yml_get(st, "memory_limit") ||
		    yml_get(st, "time") || yml_get(st, "memory"))
			return yml_fail(d, st, UM_ERR_INVALID, err,
					"limits per subtask are not supported: one time_limit and "
					"memory_limit per problem");
		if (yml_get(st, "n_cases")) {
			if (yml_int(d, st, "n_cases", 1, 0, UM_CODE_MAX_TESTS, &nc, err) < 0)
				return -1;
			for (j = 0; j < (size_t)nc; j++, next++) {
				char *in = um_xasprintf("%s%d%s", ip, next, is);
				char *out = um_xasprintf("%s%d%s", op, next, os);
				int rc = add_case(d, yml_get(st, "n_cases"), tdir, in, out, c, err);
				free(in);
				free(out);
				if (rc < 0)
					return -1;
			}
			continue;
		}
		if (!cases || cases->kind != YML_SEQ)
			return yml_fail(d, st, UM_ERR_INVALID, err,
					"subtask %zu must define either 'n_cases' or 'cases'", i);
		for (j = 0; j < cases->n; j++) {
			const yml_node *cs = cases->items[j];
			const char *in = cfg_text(cs, "input", NULL), *out = cfg_text(cs, "output", NULL);
			if (!in || !out)
				return yml_fail(d, cs, UM_ERR_INVALID, err,
						"a case needs 'input' and 'output' file names");
			if (add_case(d, cs, tdir, in, out, c, err) < 0)
				return -1;
		}
	}
	if (!c->n_tests)
		return yml_fail(d, sts, UM_ERR_INVALID, err, "the problem has no test case");
	return 0;
}

/* time_limit (default 1s), memory_limit (default 256m), as the judge reads them. */
static int read_limits(const yml_doc *d, const yml_node *root, um_code_item *c, um_error *err)
{
	const char *t = cfg_text(root, "time_limit", cfg_text(root, "time", "1s"));
	const char *m = cfg_text(root, "memory_limit", cfg_text(root, "memory", "256m"));
	long long b = lcbpro_bytes(m);
	const yml_node *tn = yml_get(root, "time_limit") ? yml_get(root, "time_limit") : root;
	const yml_node *mn = yml_get(root, "memory_limit") ? yml_get(root, "memory_limit") : root;

	c->time_limit_ms = lcbpro_time_ms(t);
	if (c->time_limit_ms < 100)
		return yml_fail(d, tn, UM_ERR_INVALID, err,
				"time_limit '%s': a time such as 2s or 500ms, 0.1 s to 600 s", t);
	if (b < (16LL << 20) || b > (1LL << 40))
		return yml_fail(d, mn, UM_ERR_INVALID, err,
				"memory_limit '%s': a size such as 256m or 1g, 16 MiB to 1 TiB (a "
				"bare number is bytes)", m);
	c->memory_mb = (int)(b >> 20);
	return 0;
}

/* The checker: config.yaml's `checker`, else chk.cc when present. Without
 * one the tokens are compared (the official judge needs one; profile). */
static int read_checker(const yml_doc *d, const yml_node *root, um_code_item *c, um_error *err)
{
	const char *name = cfg_text(root, "checker", NULL);
	struct stat st;

	if (name)
		return need_file(d, yml_get(root, "checker"), c->judge_dir, name, &c->checker, err);
	c->checker = um_xasprintf("%s/chk.cc", c->judge_dir);
	if (stat(c->checker, &st) != 0 || !S_ISREG(st.st_mode)) {
		free(c->checker);
		c->checker = NULL;
	}
	return 0;
}

/* An interactive problem: its interactor (config.yaml's `interactor`, else
 * interactor.cc), which talks to the program and decides; the judge runs
 * no checker for these. */
static int read_interactor(const yml_doc *d, const yml_node *root, um_code_item *c,
			   um_error *err)
{
	const char *name = cfg_text(root, "interactor", "interactor.cc");

	return need_file(d, yml_get(root, "interactor") ? yml_get(root, "interactor") : root,
			 c->judge_dir, name, &c->interactor, err);
}

/* TESTS/<id>/config.yaml and what it names. */
static int read_problem_dir(const pro_row *r, const char *tests_dir, const char *id,
			    um_code_item *c)
{
	char *cfg;
	char *tdir;
	yml_doc *d;
	const char *type;
	int rc = -1;
	struct stat st;

	if (!tests_dir || strchr(id, '/') || !strcmp(id, "..") || !strcmp(id, "."))
		return codeset_fail(r, NULL, UM_ERR_INVALID, "problem '%s' cannot name a test directory", id);
	cfg = um_xasprintf("%s/%s", tests_dir, id);
	c->judge_dir = realpath(cfg, NULL); /* absolute: the sandbox copies from it */
	free(cfg);
	cfg = um_xasprintf("%s/%s/config.yaml", tests_dir, id);
	if (!c->judge_dir || stat(cfg, &st) != 0) {
		um_fail_at(r->err, UM_ERR_INVALID, r->source, r->line, 0,
			   "problem '%s': no %s (the hidden tests are not public: unzip the "
			   "problem's archive of the test release there)", id, cfg);
		free(cfg);
		return -1;
	}
	d = yml_load_file(cfg, r->err);
	free(cfg);
	if (!d)
		return -1;
	tdir = um_xasprintf("%s/testdata", c->judge_dir);
	type = cfg_text(d->root, "type", "default");
	if (yml_expect(d, d->root, YML_MAP, "config.yaml", r->err) < 0)
		goto out;
	if (strcmp(type, "default") != 0 && strcmp(type, "interactive") != 0) {
		yml_fail(d, yml_get(d->root, "type"), UM_ERR_INVALID, r->err,
			 "problem '%s' is of type '%s': the judge knows default and interactive",
			 id, type);
		goto out;
	}
	rc = read_limits(d, d->root, c, r->err) < 0 ||
			     (!strcmp(type, "interactive") ? read_interactor(d, d->root, c, r->err)
							   : read_checker(d, d->root, c, r->err)) < 0 ||
			     read_subtasks(d, d->root, tdir, c, r->err) < 0
		     ? -1
		     : 0;
out:
	free(tdir);
	yml_doc_free(d);
	return rc;
}

static int read_row(const pro_row *r, json_t *o, const char *tests_dir, um_item *it)
{
	um_code_item *c = um_xcalloc(1, sizeof(*c));

	it->code = c;
	c->starter_code = um_xstrdup("");
	if (row_str(r, o, "problem_id", 1, &it->id) < 0 ||
	    row_str(r, o, "problem_statement", 1, &it->question) < 0 ||
	    row_str(r, o, "problem_title", 0, &c->title) < 0 ||
	    row_str(r, o, "platform", 0, &c->platform) < 0 ||
	    row_str(r, o, "difficulty", 1, &c->difficulty) < 0 || row_date(r, o, c) < 0)
		return -1;
	if (json_is_string(json_object_get(o, "solution")) &&
	    row_str(r, o, "solution", 0, &c->solution) < 0)
		return -1;
	if (read_problem_dir(r, tests_dir, it->id, c) < 0)
		return -1;
	c->io = UM_CODE_STDIN;
	c->n_public = 0;
	it->category = um_xstrdup(c->difficulty);
	it->subcategory = c->platform[0] ? um_xstrdup(c->platform) : NULL;
	it->correct = -1;
	return 0;
}

static int pro_row_read(void *ctx, const codeset_row *r, json_t *o, um_item *it)
{
	return read_row(r, o, ctx, it);
}

int lcbpro_parse(const char *source, const char *data, size_t len, const char *tests_dir,
		 um_item **items, size_t *n, int **lines, um_error *err)
{
	return codeset_parse_rows(source, data, len, pro_row_read, (void *)tests_dir, items, n,
				  lines, err);
}

int lcbpro_hash(const char *data_hex, const um_item *items, size_t n, const char *testlib,
		char out[65], um_error *err)
{
	um_sha256 h;
	char dir[65];
	size_t i;

	um_sha256_init(&h);
	um_sha256_update(&h, "lcbpro-1", 9);
	um_sha256_update(&h, data_hex, 64);
	for (i = 0; i < n; i++) {
		const char *jd = items[i].code ? items[i].code->judge_dir : NULL;
		if (!jd)
			continue;
		if (task_hash_dir(jd, dir, err) < 0) {
			um_sha256_release(&h);
			return um_error_prefix(err, "problem %s: its tests", items[i].id);
		}
		um_sha256_update(&h, items[i].id, strlen(items[i].id) + 1);
		um_sha256_update(&h, dir, 64);
	}
	if (testlib) {
		if (task_hash_dir(testlib, dir, err) < 0) {
			um_sha256_release(&h);
			return um_error_prefix(err, "testlib %s", testlib);
		}
		um_sha256_update(&h, "testlib", 8);
		um_sha256_update(&h, dir, 64);
	}
	um_sha256_final_hex(&h, out);
	return 0;
}
