/*
 * sciset.c - SciCode's release JSONL read into scicode items (see
 * sciset.h; the format in docs/scicode.md).
 *
 * A line is one main problem. The keys umpire reads are checked strictly
 * (type, presence, non-empty where SciCode's harness needs a value); the
 * others of the release (problem_io, problem_background_main,
 * general_solution, general_tests) are ignored. Errors name the file, the
 * problem's line and the column of the key: for a key of the k-th sub-step
 * the k-th occurrence of that key on the line.
 */
#include "load/sciset.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "load/jsonl.h"
#include "load/yml.h"

typedef struct sci_line {
	const char *source;
	const char *text;
	size_t len;
	int line;
	um_error *err;
} sci_line;

/* Column (1-based) of the nth (0-based) "key" on the line, or 0. */
static int nth_key_col(const sci_line *l, const char *key, int nth)
{
	size_t kl = strlen(key), i;

	for (i = 0; i + kl + 2 <= l->len; i++) {
		if (l->text[i] != '"' || memcmp(l->text + i + 1, key, kl) != 0 ||
		    l->text[i + 1 + kl] != '"')
			continue;
		if (nth-- == 0)
			return (int)i + 1;
	}
	return 0;
}

__attribute__((format(printf, 5, 6))) static int sfail(const sci_line *l, const char *key,
							 int nth, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return um_fail_at(l->err, (um_err)code, l->source, l->line,
			  key ? nth_key_col(l, key, nth) : 1, "%s", msg);
}

/* o[key] as a new string; *out "" when absent and not required. `where`
 * names the place in messages ("" or "sub_steps[2]: "), nth the key's
 * occurrence for the column. */
static int take_str(const sci_line *l, const json_t *o, const char *key, int required,
		    int nonempty, const char *where, int nth, char **out)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return sfail(l, NULL, 0, UM_ERR_INVALID, "%smissing required key '%s'",
				     where, key);
		*out = um_xstrdup("");
		return 0;
	}
	if (json_is_integer(v) && !strcmp(key, "problem_id")) {
		*out = um_xasprintf("%lld", (long long)json_integer_value(v));
		return 0;
	}
	if (!json_is_string(v))
		return sfail(l, key, nth, UM_ERR_INVALID, "%s'%s' must be a string", where, key);
	if (nonempty && json_string_length(v) == 0)
		return sfail(l, key, nth, UM_ERR_INVALID, "%s'%s' is empty", where, key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return sfail(l, key, nth, UM_ERR_INVALID, "%s'%s' holds a NUL character", where,
			     key);
	*out = um_xstrndup(json_string_value(v), json_string_length(v));
	return 0;
}

static int read_tests(const sci_line *l, const json_t *st, const char *where, int nth,
		      um_sci_step *s)
{
	const json_t *t = json_object_get(st, "test_cases"), *x;
	size_t i;

	if (!t)
		return sfail(l, NULL, 0, UM_ERR_INVALID, "%smissing required key 'test_cases'",
			     where);
	if (!json_is_array(t) || json_array_size(t) > UM_SCI_MAX_TESTS)
		return sfail(l, "test_cases", nth, UM_ERR_INVALID,
			     "%s'test_cases' must be a list of at most %d strings (Python code)",
			     where, UM_SCI_MAX_TESTS);
	s->tests = um_xcalloc(json_array_size(t) + 1, sizeof(char *));
	json_array_foreach(t, i, x) {
		if (!json_is_string(x) || strlen(json_string_value(x)) != json_string_length(x))
			return sfail(l, "test_cases", nth, UM_ERR_INVALID,
				     "%stest_cases[%zu] must be a string (Python code)", where, i);
		s->tests[s->n_tests++] = um_xstrdup(json_string_value(x));
	}
	return 0;
}

static int read_step(const sci_line *l, const json_t *st, int k, um_sci_step *s)
{
	char where[48];

	snprintf(where, sizeof(where), "sub_steps[%d]: ", k);
	if (!json_is_object(st))
		return sfail(l, "sub_steps", 0, UM_ERR_INVALID, "%sa sub-step must be an object",
			     where);
	if (take_str(l, st, "step_number", 1, 1, where, k, &s->number) < 0 ||
	    take_str(l, st, "step_description_prompt", 1, 1, where, k, &s->description) < 0 ||
	    take_str(l, st, "step_background", 0, 0, where, k, &s->background) < 0 ||
	    take_str(l, st, "function_header", 1, 1, where, k, &s->header) < 0 ||
	    take_str(l, st, "return_line", 0, 0, where, k, &s->return_line) < 0 ||
	    read_tests(l, st, where, k, s) < 0)
		return -1;
	if (json_object_get(st, "ground_truth_code") &&
	    !json_is_null(json_object_get(st, "ground_truth_code")) &&
	    take_str(l, st, "ground_truth_code", 0, 0, where, k, &s->gold) < 0)
		return -1;
	if (strchr(s->number, '\'') || strchr(s->number, '\\') || strchr(s->number, '/') ||
	    strchr(s->number, '\n'))
		return sfail(l, "step_number", k, UM_ERR_INVALID,
			     "%s'step_number' \"%s\" holds a quote, a backslash, a slash or a "
			     "newline", where, s->number);
	return 0;
}

static int read_problem(const sci_line *l, const json_t *o, um_item *it)
{
	const json_t *steps = json_object_get(o, "sub_steps"), *st;
	um_sci_item *c = it->sci = um_xcalloc(1, sizeof(*c));
	size_t i;
	char *cat = NULL;

	if (take_str(l, o, "problem_id", 1, 1, "", 0, &it->id) < 0 ||
	    take_str(l, o, "problem_name", 0, 0, "", 0, &c->name) < 0 ||
	    take_str(l, o, "problem_description_main", 0, 0, "", 0, &it->question) < 0 ||
	    take_str(l, o, "required_dependencies", 1, 0, "", 0, &c->dependencies) < 0 ||
	    take_str(l, o, "category", 0, 0, "", 0, &cat) < 0)
		return -1;
	it->category = cat[0] ? cat : um_xstrdup("scicode");
	if (!cat[0])
		free(cat);
	if (!steps)
		return sfail(l, NULL, 0, UM_ERR_INVALID, "missing required key 'sub_steps'");
	if (!json_is_array(steps) || json_array_size(steps) == 0 ||
	    json_array_size(steps) > UM_SCI_MAX_STEPS)
		return sfail(l, "sub_steps", 0, UM_ERR_INVALID,
			     "'sub_steps' must be a list of 1 to %d sub-steps", UM_SCI_MAX_STEPS);
	c->steps = um_xcalloc(json_array_size(steps), sizeof(*c->steps));
	json_array_foreach(steps, i, st) {
		if (read_step(l, st, (int)i, &c->steps[i]) < 0) {
			c->n_steps = (int)i + 1;
			return -1;
		}
		c->n_steps = (int)i + 1;
	}
	return 0;
}

static void step_release(um_sci_step *s)
{
	int i;

	free(s->number);
	free(s->description);
	free(s->background);
	free(s->header);
	free(s->return_line);
	for (i = 0; i < s->n_tests; i++)
		free(s->tests[i]);
	free(s->tests);
	free(s->gold);
	free(s->given_path);
	free(s->given);
}

void sciset_item_free(um_sci_item *c)
{
	int i;

	if (!c)
		return;
	free(c->name);
	free(c->dependencies);
	for (i = 0; i < c->n_steps; i++)
		step_release(&c->steps[i]);
	free(c->steps);
	free(c);
}

um_sci_step *sciset_find_step(const um_suite *s, const char *number, size_t *item)
{
	size_t i;
	int k;

	for (i = 0; s && i < s->n_items; i++)
		for (k = 0; s->items[i].sci && k < s->items[i].sci->n_steps; k++)
			if (!strcmp(s->items[i].sci->steps[k].number, number)) {
				if (item)
					*item = i;
				return &s->items[i].sci->steps[k];
			}
	return NULL;
}

static void items_drop(um_item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(items[i].id);
		free(items[i].category);
		free(items[i].question);
		sciset_item_free(items[i].sci);
	}
	free(items);
}

/* A step number seen twice in the file: the later line says where. */
static int check_unique_steps(const char *source, const um_item *v, const int *ln, size_t n,
			      um_error *err)
{
	size_t i, j;
	int a, b;

	for (i = 0; i < n; i++)
		for (a = 0; a < v[i].sci->n_steps; a++)
			for (j = i; j < n; j++)
				for (b = j == i ? a + 1 : 0; b < v[j].sci->n_steps; b++)
					if (!strcmp(v[i].sci->steps[a].number,
						    v[j].sci->steps[b].number))
						return um_fail_at(
							err, UM_ERR_INVALID, source, ln[j], 0,
							"step_number \"%s\" appears twice (first on "
							"line %d)", v[j].sci->steps[b].number, ln[i]);
	return 0;
}

/* What the lines are read into. */
typedef struct sci_sink {
	const char *source;
	um_item *v;
	int *ln;
	size_t cap, cnt, lcap;
} sci_sink;

static int take_line(void *ctx, const char *text, size_t len, int line, json_t *o,
		     um_error *err)
{
	sci_sink *k = ctx;
	sci_line l = {k->source, text, len, line, err};

	um_xgrow((void **)&k->v, &k->cap, k->cnt + 1, sizeof(*k->v));
	um_xgrow((void **)&k->ln, &k->lcap, k->cnt + 1, sizeof(*k->ln));
	memset(&k->v[k->cnt], 0, sizeof(*k->v));
	k->ln[k->cnt] = line;
	return read_problem(&l, o, &k->v[k->cnt++]);
}

int sciset_parse(const char *source, const char *data, size_t len, um_item **items, size_t *n,
		 int **lines, um_error *err)
{
	sci_sink k = {source, NULL, NULL, 0, 0, 0};

	*items = NULL;
	*n = 0;
	if (lines)
		*lines = NULL;
	if (jsonl_each(source, data, len, "one SciCode problem", take_line, &k, err) < 0 ||
	    check_unique_steps(source, k.v, k.ln, k.cnt, err) < 0) {
		items_drop(k.v, k.cnt);
		free(k.ln);
		return -1;
	}
	*items = k.v;
	*n = k.cnt;
	if (lines)
		*lines = k.ln;
	else
		free(k.ln);
	return 0;
}

/* ---- the suite's scicode: block ----------------------------------------- */

static const char *const sci_rule_keys[] = {"test_data", "test_data_sha256", "time_limit_s",
					    "memory_mb", "given", "counting", NULL};
/* How steps are counted: SciCode's eval/scripts, or its inspect_ai scorer. */
static const char *const sci_countings[] = {"scripts", "inspect_ai", NULL};

/* sha256 of a file, read in pieces (SciCode's test data is large). */
static int hash_file(const char *path, char out[65], um_error *err)
{
	FILE *f = fopen(path, "rb");
	char buf[1 << 16];
	um_sha256 h;
	size_t got;
	int bad;

	if (!f)
		return um_fail(err, UM_ERR_IO, "%s: cannot open the test data", path);
	um_sha256_init(&h);
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		um_sha256_update(&h, buf, got);
	bad = ferror(f);
	fclose(f);
	if (bad) {
		um_sha256_release(&h);
		return um_fail(err, UM_ERR_IO, "%s: read error", path);
	}
	um_sha256_final_hex(&h, out);
	return 0;
}

static int pin_ok(const char *pin)
{
	size_t i;

	for (i = 0; pin[i]; i++)
		if (!strchr("0123456789abcdefABCDEF", pin[i]))
			return 0;
	return i == 64;
}

/* given: {"13.6": path, ...}: each step exists, its file is read. */
static int read_given(const yml_doc *d, const yml_node *g, um_suite *s, um_error *err)
{
	size_t i;

	if (yml_expect(d, g, YML_MAP, "scicode.given", err) < 0)
		return -1;
	for (i = 0; i < g->n; i++) {
		um_sci_step *st = sciset_find_step(s, g->keys[i]->scalar, NULL);
		char *rel = NULL, *text = NULL;
		size_t len;

		if (!st)
			return yml_fail(d, g->keys[i], UM_ERR_INVALID, err,
					"given: no step numbered '%s' in the problems",
					g->keys[i]->scalar);
		if (st->given)
			return yml_fail(d, g->keys[i], UM_ERR_INVALID, err,
					"given: step '%s' named twice", g->keys[i]->scalar);
		if (yml_node_str(d, g->items[i], "a file of the step's code", &rel, err) < 0)
			return -1;
		st->given_path = um_path_relative_to(s->path, rel);
		free(rel);
		if (um_read_file(st->given_path, &text, &len, err) < 0)
			return yml_fail(d, g->items[i], UM_ERR_IO, err, "given %s: %s",
					g->keys[i]->scalar, err->msg);
		if (strlen(text) != len) {
			free(text);
			return yml_fail(d, g->items[i], UM_ERR_INVALID, err,
					"given %s: %s holds a NUL byte", g->keys[i]->scalar,
					st->given_path);
		}
		st->given = text;
		s->sci.n_given++;
	}
	return 0;
}

int sciset_rules(const yml_doc *d, const yml_node *n, um_suite *s, um_error *err)
{
	um_sci_rules *r = &s->sci;
	double t = 1800.0;
	int64_t mem = 16384;
	char *path = NULL;

	if (!n || yml_is_null(n))
		return yml_fail(d, d->root, UM_ERR_INVALID, err,
				"a scicode suite needs 'scicode' (test_data: SciCode's "
				"test_data.h5)");
	if (yml_expect(d, n, YML_MAP, "scicode", err) < 0 ||
	    yml_check_keys(d, n, sci_rule_keys, "scicode", err) < 0 ||
	    yml_str(d, n, "test_data", 1, &path, err) < 0 ||
	    yml_str(d, n, "test_data_sha256", 0, &r->h5_sha256, err) < 0 ||
	    yml_double(d, n, "time_limit_s", 0, 1.0, 86400.0, &t, err) < 0 ||
	    yml_int(d, n, "memory_mb", 0, 64, 1 << 20, &mem, err) < 0 ||
	    yml_enum(d, n, "counting", 0, sci_countings, &r->inspect_counting, err) < 0) {
		free(path);
		return -1;
	}
	r->time_limit_ms = (int)(t * 1000.0 + 0.5);
	r->memory_mb = (int)mem;
	r->h5_path = um_path_relative_to(s->path, path);
	free(path);
	if (r->h5_sha256 && !pin_ok(r->h5_sha256))
		return yml_fail(d, yml_get(n, "test_data_sha256"), UM_ERR_INVALID, err,
				"'test_data_sha256' must be 64 hex digits");
	if (hash_file(r->h5_path, r->h5_actual, err) < 0)
		return yml_fail(d, yml_get(n, "test_data"), UM_ERR_IO, err, "%s", err->msg);
	if (r->h5_sha256 && strcasecmp(r->h5_sha256, r->h5_actual) != 0)
		return um_fail(err, UM_ERR_PIN, "test data %s: sha256 mismatch: pinned %s, got %s",
			       r->h5_path, r->h5_sha256, r->h5_actual);
	if (yml_get(n, "given") && !yml_is_null(yml_get(n, "given")))
		return read_given(d, yml_get(n, "given"), s, err);
	return 0;
}

void sciset_rules_release(um_sci_rules *r)
{
	free(r->h5_path);
	free(r->h5_sha256);
	memset(r, 0, sizeof(*r));
}
