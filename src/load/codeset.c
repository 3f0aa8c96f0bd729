/*
 * codeset.c - LiveCodeBench's code_generation_lite JSONL read into code
 * items (see codeset.h; the format and its export in docs/code.md).
 *
 * The release stores the test lists and the metadata as JSON text inside a
 * string field ("public_test_cases": "[{\"input\": ...}]"); a value that is
 * already an array or an object is accepted too, so an export that decoded
 * them reads the same. The private tests of the published release are
 * base64(zlib(pickle(json))): pickle is Python's own serialisation, which
 * no C library reads and which may run code when loaded, so that form is
 * refused with a message naming the export step. Every error names the
 * file, the line of the problem and the column of the field.
 */
#include "load/codeset.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "load/jsonl.h"

typedef codeset_row lcb_line;

/* The 1-based column of "key" on the line, or 0. */
static int key_col(const lcb_line *l, const char *key)
{
	size_t kl = strlen(key), i;

	for (i = 0; i + kl + 2 <= l->len; i++)
		if (l->text[i] == '"' && memcmp(l->text + i + 1, key, kl) == 0 &&
		    l->text[i + 1 + kl] == '"')
			return (int)i + 1;
	return 0;
}

int codeset_fail(const codeset_row *l, const char *key, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return um_fail_at(l->err, (um_err)code, l->source, l->line, key ? key_col(l, key) : 0,
			  "%s", msg);
}

int codeset_date_ok(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d, i;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 0;
	return 1;
}

/* A string member (required or not); *out owned by the caller. */
static int get_str(const lcb_line *l, json_t *o, const char *key, int required, char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return codeset_fail(l, NULL, UM_ERR_INVALID, "missing required key '%s'", key);
		*out = um_xstrdup("");
		return 0;
	}
	if (json_is_integer(v) && !strcmp(key, "question_id")) {
		*out = um_xasprintf("%lld", (long long)json_integer_value(v));
		return 0;
	}
	if (!json_is_string(v))
		return codeset_fail(l, key, UM_ERR_INVALID, "'%s' must be a string", key);
	*out = um_xstrndup(json_string_value(v), json_string_length(v));
	return 0;
}

/* A member that is JSON, or JSON text inside a string (the release's way).
 * Returns a new reference, or NULL with the error filled. */
static json_t *get_embedded(const lcb_line *l, json_t *o, const char *key, int *was_text)
{
	json_t *v = json_object_get(o, key), *x;
	json_error_t je;

	*was_text = 0;
	if (!v || json_is_null(v)) {
		codeset_fail(l, NULL, UM_ERR_INVALID, "missing required key '%s'", key);
		return NULL;
	}
	if (!json_is_string(v))
		return json_incref(v);
	*was_text = 1;
	x = json_loadb(json_string_value(v), json_string_length(v),
		       JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (!x) {
		char why[300];
		snprintf(why, sizeof(why), "%s (at character %d of the string)", je.text,
			 je.position);
		codeset_fail(l, key, UM_ERR_INVALID, "'%s' is a string but not JSON text: %s", key, why);
	}
	return x;
}

static int is_base64ish(const char *s, size_t n)
{
	size_t i;

	if (n < 8)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || c == '='))
			return 0;
	}
	return 1;
}

/* One test {input, output, testtype}; all of a problem's tests share one
 * type, and call-based ones hold JSON (one argument a line). */
static int read_test(const lcb_line *l, const char *key, size_t idx, json_t *t, um_code_test *out,
		     int *type)
{
	const char *tt;
	char where[64];
	int this_type;

	snprintf(where, sizeof(where), "%s[%zu]", key, idx);
	if (!json_is_object(t) || !json_is_string(json_object_get(t, "input")) ||
	    !json_is_string(json_object_get(t, "output")) ||
	    !json_is_string(json_object_get(t, "testtype")))
		return codeset_fail(l, key, UM_ERR_INVALID,
			     "%s must be an object with string 'input', 'output' and 'testtype'",
			     where);
	tt = json_string_value(json_object_get(t, "testtype"));
	if (!strcmp(tt, "stdin"))
		this_type = UM_CODE_STDIN;
	else if (!strcmp(tt, "functional"))
		this_type = UM_CODE_CALL;
	else
		return codeset_fail(l, key, UM_ERR_INVALID, "%s: testtype must be stdin or functional, got '%s'",
			     where, tt);
	if (*type >= 0 && *type != this_type)
		return codeset_fail(l, key, UM_ERR_INVALID,
			     "%s: testtype '%s' differs from the problem's earlier tests", where, tt);
	*type = this_type;
	out->input = um_xstrndup(json_string_value(json_object_get(t, "input")),
				 json_string_length(json_object_get(t, "input")));
	out->output = um_xstrndup(json_string_value(json_object_get(t, "output")),
				  json_string_length(json_object_get(t, "output")));
	if (this_type == UM_CODE_CALL) {
		json_t *x = json_loads(out->output, JSON_DECODE_ANY, NULL);
		char *p = out->input, *nl;
		int argn = 0;

		if (!x)
			return codeset_fail(l, key, UM_ERR_INVALID,
				     "%s: a functional test's output must be JSON text", where);
		json_decref(x);
		for (;; p = nl + 1) {
			nl = strchr(p, '\n');
			x = json_loadb(p, nl ? (size_t)(nl - p) : strlen(p), JSON_DECODE_ANY, NULL);
			argn++;
			if (!x) {
				char w2[96];
				snprintf(w2, sizeof(w2), "%s: input line %d", where, argn);
				return codeset_fail(l, key, UM_ERR_INVALID,
					     "%s is not JSON (a functional test's input is one JSON "
					     "argument a line)", w2);
			}
			json_decref(x);
			if (!nl)
				break;
		}
	}
	return 0;
}

static int read_tests(const lcb_line *l, json_t *o, const char *key, um_code_item *c, int *type)
{
	int was_text;
	json_t *arr, *v = json_object_get(o, key);
	size_t i;

	if (v && json_is_string(v) && !strcmp(key, "private_test_cases") &&
	    is_base64ish(json_string_value(v), json_string_length(v)))
		return codeset_fail(l, key, UM_ERR_INVALID,
			     "'private_test_cases' is in the release's compressed form "
			     "(base64 of zlib of a Python pickle), which umpire does not read: "
			     "export the file with the tests as JSON first (docs/code.md, "
			     "'Exporting the release')");
	arr = get_embedded(l, o, key, &was_text);
	if (!arr)
		return -1;
	if (!json_is_array(arr)) {
		json_decref(arr);
		return codeset_fail(l, key, UM_ERR_INVALID, "'%s' must be a list of tests", key);
	}
	if (c->n_tests + json_array_size(arr) > UM_CODE_MAX_TESTS) {
		json_decref(arr);
		return codeset_fail(l, key, UM_ERR_INVALID, "'%s': more than %s tests in the problem", key,
			     "100000");
	}
	c->tests = um_xrealloc(c->tests, (c->n_tests + json_array_size(arr) + 1) * sizeof(*c->tests));
	for (i = 0; i < json_array_size(arr); i++) {
		um_code_test *t = &c->tests[c->n_tests];

		memset(t, 0, sizeof(*t));
		if (read_test(l, key, i, json_array_get(arr, i), t, type) < 0) {
			free(t->input);
			free(t->output);
			json_decref(arr);
			return -1;
		}
		c->n_tests++;
	}
	json_decref(arr);
	return 0;
}

static int read_metadata(const lcb_line *l, json_t *o, um_code_item *c)
{
	int was_text;
	json_t *m, *f;

	if (!json_object_get(o, "metadata") || json_is_null(json_object_get(o, "metadata")))
		return 0;
	m = get_embedded(l, o, "metadata", &was_text);
	if (!m)
		return -1;
	if (!json_is_object(m)) {
		json_decref(m);
		return codeset_fail(l, "metadata", UM_ERR_INVALID, "'metadata' must be an object");
	}
	f = json_object_get(m, "func_name");
	if (f && !json_is_null(f)) {
		if (!json_is_string(f) || !json_string_length(f)) {
			json_decref(m);
			return codeset_fail(l, "metadata", UM_ERR_INVALID,
				     "metadata.func_name must be a non-empty string");
		}
		c->func_name = um_xstrdup(json_string_value(f));
	}
	json_decref(m);
	return 0;
}

/* contest_date: ISO 8601, a date with or without a time ("2023-08-21T00:00:00"). */
static int read_date(const lcb_line *l, json_t *o, um_code_item *c)
{
	json_t *v = json_object_get(o, "contest_date");
	const char *s;

	if (!v || json_is_null(v))
		return codeset_fail(l, NULL, UM_ERR_INVALID,
			     "missing required key 'contest_date' (problems are dated: a run "
			     "picks a window)");
	s = json_is_string(v) ? json_string_value(v) : "";
	if (strlen(s) >= 10)
		memcpy(c->date, s, 10);
	c->date[10] = '\0';
	if (!codeset_date_ok(c->date) || (s[10] && s[10] != 'T' && s[10] != ' '))
		return codeset_fail(l, "contest_date", UM_ERR_INVALID,
			     "'contest_date' must be an ISO date (YYYY-MM-DD, optionally "
			     "followed by a time), got '%s'", json_is_string(v) ? s : "not a string");
	return 0;
}

/* time_limit_s and memory_mb: umpire's extension, a problem's own limits
 * (judges such as Codeforces set them per problem). */
static int read_limits(const lcb_line *l, json_t *o, um_code_item *c)
{
	json_t *t = json_object_get(o, "time_limit_s"), *m = json_object_get(o, "memory_mb");

	if (t && !json_is_null(t)) {
		if (!json_is_number(t) || !(json_number_value(t) >= 0.1) ||
		    json_number_value(t) > 600)
			return codeset_fail(l, "time_limit_s", UM_ERR_INVALID,
				     "'time_limit_s' must be a number of seconds between 0.1 and 600");
		c->time_limit_ms = (int)(json_number_value(t) * 1000.0 + 0.5);
	}
	if (m && !json_is_null(m)) {
		if (!json_is_integer(m) || json_integer_value(m) < 16 ||
		    json_integer_value(m) > (1 << 20))
			return codeset_fail(l, "memory_mb", UM_ERR_INVALID,
				     "'memory_mb' must be an integer between 16 and 1048576");
		c->memory_mb = (int)json_integer_value(m);
	}
	return 0;
}

static int read_problem(const lcb_line *l, json_t *o, um_item *it)
{
	um_code_item *c = um_xcalloc(1, sizeof(*c));
	int type = -1;

	it->code = c;
	if (get_str(l, o, "question_id", 1, &it->id) < 0 ||
	    get_str(l, o, "question_content", 1, &it->question) < 0 ||
	    get_str(l, o, "question_title", 0, &c->title) < 0 ||
	    get_str(l, o, "starter_code", 0, &c->starter_code) < 0 ||
	    get_str(l, o, "platform", 0, &c->platform) < 0 ||
	    get_str(l, o, "difficulty", 1, &c->difficulty) < 0)
		return -1;
	if (!it->id[0])
		return codeset_fail(l, "question_id", UM_ERR_INVALID, "'question_id' must not be empty");
	if (!it->question[0])
		return codeset_fail(l, "question_content", UM_ERR_INVALID,
			     "'question_content' must not be empty");
	if (!c->difficulty[0])
		return codeset_fail(l, "difficulty", UM_ERR_INVALID,
			     "'difficulty' must not be empty (it is the item's category)");
	if (json_object_get(o, "solution") && !json_is_null(json_object_get(o, "solution"))) {
		if (get_str(l, o, "solution", 0, &c->solution) < 0)
			return -1;
	}
	if (read_date(l, o, c) < 0 || read_metadata(l, o, c) < 0 || read_limits(l, o, c) < 0 ||
	    read_tests(l, o, "public_test_cases", c, &type) < 0)
		return -1;
	c->n_public = c->n_tests;
	if (read_tests(l, o, "private_test_cases", c, &type) < 0)
		return -1;
	if (c->n_tests == 0)
		return codeset_fail(l, NULL, UM_ERR_INVALID,
			     "problem '%s' has no tests (public_test_cases and private_test_cases "
			     "are both empty)", it->id);
	c->io = type == UM_CODE_CALL ? UM_CODE_CALL : UM_CODE_STDIN;
	if (c->io == UM_CODE_CALL && !c->func_name)
		return codeset_fail(l, "metadata", UM_ERR_INVALID,
			     "problem '%s' has functional tests but no metadata.func_name to call",
			     it->id);
	if (c->io == UM_CODE_STDIN && c->func_name) {
		free(c->func_name);
		c->func_name = NULL;
	}
	it->category = um_xstrdup(c->difficulty);
	it->subcategory = c->platform[0] ? um_xstrdup(c->platform) : NULL;
	it->correct = -1;
	return 0;
}

void codeset_item_free(um_code_item *c)
{
	int i;

	if (!c)
		return;
	free(c->title);
	free(c->starter_code);
	free(c->platform);
	free(c->difficulty);
	free(c->func_name);
	for (i = 0; i < c->n_tests; i++) {
		free(c->tests[i].input);
		free(c->tests[i].output);
	}
	free(c->tests);
	free(c->solution);
	free(c->judge_dir);
	free(c->checker);
	free(c->interactor);
	free(c);
}

void codeset_items_free(um_item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(items[i].id);
		free(items[i].category);
		free(items[i].subcategory);
		free(items[i].question);
		codeset_item_free(items[i].code);
	}
	free(items);
}

/* The rows read so far, for codeset_parse_rows' walk. */
typedef struct rows_walk {
	const char *source;
	codeset_row_fn fn;
	void *ctx;
	um_item *v;
	int *ln;
	size_t cap, cnt, lcap;
} rows_walk;

static int rows_line(void *ctx, const char *text, size_t len, int line, json_t *o,
		     um_error *err)
{
	rows_walk *w = ctx;
	lcb_line l = {w->source, text, len, line, err};
	int rc;

	um_xgrow((void **)&w->v, &w->cap, w->cnt + 1, sizeof(*w->v));
	um_xgrow((void **)&w->ln, &w->lcap, w->cnt + 1, sizeof(*w->ln));
	memset(&w->v[w->cnt], 0, sizeof(*w->v));
	w->ln[w->cnt] = line;
	rc = w->fn(w->ctx, &l, o, &w->v[w->cnt]);
	w->cnt++;
	return rc;
}

int codeset_parse_rows(const char *source, const char *data, size_t len, codeset_row_fn fn,
		       void *ctx, um_item **items, size_t *n, int **lines, um_error *err)
{
	rows_walk w = {source, fn, ctx, NULL, NULL, 0, 0, 0};

	*items = NULL;
	*n = 0;
	if (lines)
		*lines = NULL;
	if (jsonl_each(source, data, len, "one problem", rows_line, &w, err) < 0) {
		codeset_items_free(w.v, w.cnt);
		free(w.ln);
		return -1;
	}
	*items = w.v;
	*n = w.cnt;
	if (lines)
		*lines = w.ln;
	else
		free(w.ln);
	return 0;
}

static int lcb_row(void *ctx, const codeset_row *l, json_t *o, um_item *it)
{
	(void)ctx;
	return read_problem(l, o, it);
}

int codeset_parse_lcb(const char *source, const char *data, size_t len, um_item **items,
		      size_t *n, int **lines, um_error *err)
{
	return codeset_parse_rows(source, data, len, lcb_row, NULL, items, n, lines, err);
}
