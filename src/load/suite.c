/*
 * suite.c - loading a benchmark suite (a suites/ YAML file, schema v1).
 *
 * The YAML is read into a marked tree (yml.c) and walked with its strict
 * accessors, so every unknown key, wrong type or missing field is reported
 * as "file:line:col". Paths (scaffold, dataset) are resolved against the
 * directory of the suite file. The items then come from the YAML itself
 * (format: inline) or from dataset.c (CSV / JSONL, maybe inside an archive,
 * with the sha256 pin checked there). Last, rules that span items are
 * checked: every category is declared, ids are unique, 2..UM_MAX_CHOICES
 * choices. Errors about an item point at its YAML node, or at its line in
 * the data file, so a user can go straight to it.
 *
 * The format is documented for users in docs/suite.md.
 */
#include "load/suite.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "load/codeset.h"
#include "load/dataset.h"
#include "load/judged.h"
#include "load/sciset.h"
#include "load/task.h"
#include "base/util.h"
#include "load/yml.h"

static const char *const suite_keys[] = {
	"umpire", "name", "version", "kind", "description", "categories", "scaffold",
	"repeats", "seed", "shuffle", "dataset", "claims", "tasks", "swe", "code", "grading",
	"scicode", "import", NULL,
};
static const char *const import_keys[] = {"format", "source", "into", "scripts", "sha256", NULL};
/* In the order of the kinds they convert into. */
static const char *const import_formats[] = {"terminal-bench", "swe-bench-pro", NULL};
static const char *const import_kinds[] = {"terminal", "swe", NULL};
static const char *const code_rule_keys[] = {"time_limit_s", "memory_mb", "date_from", "date_to",
					     "language", NULL};
/* In the order of um_code_lang. */
static const char *const code_languages[] = {"python", "cpp", NULL};
static const char *const grading_keys[] = {"grader", "rel_tol", "abs_tol", "context_bins",
					   NULL};
static const char *const swe_rule_keys[] = {"patch_strategies", "fuzz", "test_name_match",
					    "grading", NULL};
static const char *const swe_grading_names[] = {"neutral", "official", NULL};
static const char *const swe_strategy_names[] = {"git_apply", "git_apply_3way", "patch_fuzz",
						 NULL};
static const char *const swe_match_names[] = {"exact", "whitespace", NULL};
static const char *const dataset_keys[] = {
	"format", "path", "member", "passphrase", "passphrase_env", "sha256", "fields", "items",
	"tests", "testlib", "images", NULL,
};
static const char *const fields_keys[] = {
	"id", "question", "correct", "incorrect", "category", "subcategory", "image", NULL,
};
static const char *const claim_keys[] = {
	"system", "value", "source", "benchmark", "note", NULL,
};
static const char *const item_keys[] = {
	"id", "category", "subcategory", "question", "correct", "incorrect", "image", NULL,
};
/* In the order of um_data_format. */
static const char *const format_names[] = {"inline", "csv", "jsonl", "livecodebench", "hle",
					   "mrcr", "charxiv", "graphwalks", "scicode", "livecodebench-pro", NULL};

/* Where each item came from, for messages that span items. */
typedef struct item_origin {
	const yml_doc *d;       /* inline: the suite; nodes below are valid */
	const yml_node **id_node, **cat_node;
	const char *source;     /* data file: how messages name it */
	const int *lines;       /* data file: the line of each record */
} item_origin;

static const yml_node *key_node(const yml_node *m, const char *key)
{
	size_t i;

	if (!m || m->kind != YML_MAP)
		return NULL;
	for (i = 0; i < m->n; i++)
		if (strcmp(m->keys[i]->scalar, key) == 0)
			return m->keys[i];
	return NULL;
}

/* m[key], which must be there and of the given kind. NULL with err filled. */
static const yml_node *need_node(const yml_doc *d, const yml_node *m, const char *key,
				 yml_kind kind, um_error *err)
{
	const yml_node *v = yml_get(m, key);

	if (!v) {
		yml_fail(d, m, UM_ERR_INVALID, err, "missing required key '%s'", key);
		return NULL;
	}
	if (yml_expect(d, v, kind, key, err) < 0)
		return NULL;
	return v;
}

/* m[key] if present and not null, which must then be of the given kind.
 * Returns 1 (found), 0 (absent) or -1. */
static int opt_node(const yml_doc *d, const yml_node *m, const char *key, yml_kind kind,
		    const yml_node **out, um_error *err)
{
	const yml_node *v = yml_get(m, key);

	*out = NULL;
	if (!v || yml_is_null(v))
		return 0;
	if (yml_expect(d, v, kind, key, err) < 0)
		return -1;
	*out = v;
	return 1;
}

/* A string field that must not be empty when present. */
static int nonempty_str(const yml_doc *d, const yml_node *m, const char *key, int required,
			char **out, um_error *err)
{
	int rc = yml_str(d, m, key, required, out, err);

	if (rc == 1 && (*out)[0] == '\0') {
		free(*out);
		*out = NULL;
		return yml_fail(d, yml_get(m, key), UM_ERR_INVALID, err,
				"'%s' must not be empty", key);
	}
	return rc;
}

static int valid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int parse_seed(const yml_doc *d, const yml_node *root, uint64_t *out, um_error *err)
{
	const yml_node *v = yml_get(root, "seed");
	const char *s;
	unsigned long long x;
	char *end;

	if (!v || yml_is_null(v))
		return 0;
	s = v->kind == YML_SCALAR ? v->scalar : "";
	if (v->kind == YML_SCALAR && v->plain && s[0] >= '0' && s[0] <= '9' &&
	    strspn(s, "0123456789") == strlen(s)) {
		errno = 0;
		x = strtoull(s, &end, 10);
		if (!errno && !*end) {
			*out = (uint64_t)x;
			return 0;
		}
	}
	return yml_fail(d, v, UM_ERR_INVALID, err,
			"'seed' must be an integer between 0 and %llu, got %s%s%s",
			(unsigned long long)UINT64_MAX, v->kind == YML_SCALAR ? "'" : "",
			v->kind == YML_SCALAR ? s : yml_kind_name(v),
			v->kind == YML_SCALAR ? "'" : "");
}

static int parse_categories(const yml_doc *d, const yml_node *root, um_suite *s, um_error *err)
{
	const yml_node *c = need_node(d, root, "categories", YML_SEQ, err);
	size_t i, j;

	if (!c)
		return -1;
	if (c->n == 0)
		return yml_fail(d, c, UM_ERR_INVALID, err,
				"'categories' must list at least one category");
	s->categories = um_xcalloc(c->n, sizeof(*s->categories));
	for (i = 0; i < c->n; i++) {
		if (yml_node_str(d, c->items[i], "categories item", &s->categories[i], err) < 0)
			return -1;
		s->n_categories++;
		if (!s->categories[i][0])
			return yml_fail(d, c->items[i], UM_ERR_INVALID, err,
					"a category name must not be empty");
		for (j = 0; j < i; j++)
			if (strcmp(s->categories[j], s->categories[i]) == 0)
				return yml_fail(d, c->items[i], UM_ERR_INVALID, err,
						"category '%s' is listed twice (first at %d:%d)",
						s->categories[i], c->items[j]->line,
						c->items[j]->col);
	}
	return 0;
}

static int parse_header(const yml_doc *d, const yml_node *root, um_suite *s, um_error *err)
{
	const yml_node *v;
	char *scaffold = NULL;
	int64_t repeats = 1;

	if (nonempty_str(d, root, "name", 1, &s->name, err) < 0)
		return -1;
	if (!valid_name(s->name))
		return yml_fail(d, yml_get(root, "name"), UM_ERR_INVALID, err,
				"'name' must be letters, digits, '.', '_' or '-', got '%s'",
				s->name);
	if (nonempty_str(d, root, "version", 1, &s->version, err) < 0)
		return -1;
	if (yml_str(d, root, "kind", 1, &s->kind, err) < 0)
		return -1;
	if (strcmp(s->kind, "mcq") != 0 && strcmp(s->kind, "terminal") != 0 &&
	    strcmp(s->kind, "swe") != 0 && strcmp(s->kind, "code") != 0 &&
	    strcmp(s->kind, "judged") != 0 && strcmp(s->kind, "scicode") != 0) {
		v = yml_get(root, "kind");
		return yml_fail(d, v, UM_ERR_INVALID, err,
				"'kind' must be mcq, terminal, swe, code, judged or scicode, got '%s'",
				s->kind);
	}
	if (yml_str(d, root, "description", 0, &s->description, err) < 0)
		return -1;
	/* a suite whose tasks are converted at run time may take their categories */
	if ((yml_get(root, "categories") || !yml_get(root, "import")) &&
	    parse_categories(d, root, s, err) < 0)
		return -1;
	if (nonempty_str(d, root, "scaffold", 1, &scaffold, err) < 0)
		return -1;
	s->scaffold_path = um_path_relative_to(s->path, scaffold);
	free(scaffold);
	if (yml_int(d, root, "repeats", 0, 1, 1000, &repeats, err) < 0)
		return -1;
	s->repeats = (int)repeats;
	if (parse_seed(d, root, &s->seed, err) < 0)
		return -1;
	s->shuffle = 1;
	if (yml_bool(d, root, "shuffle", 0, &s->shuffle, err) < 0)
		return -1;
	return 0;
}

static int parse_fields(const yml_doc *d, const yml_node *f, um_dataset_spec *ds, um_error *err)
{
	const yml_node *inc;
	size_t i;

	if (yml_check_keys(d, f, fields_keys, "dataset.fields", err) < 0)
		return -1;
	if (nonempty_str(d, f, "id", 0, &ds->f_id, err) < 0 ||
	    nonempty_str(d, f, "question", 0, &ds->f_question, err) < 0 ||
	    nonempty_str(d, f, "correct", 0, &ds->f_correct, err) < 0 ||
	    nonempty_str(d, f, "category", 0, &ds->f_category, err) < 0 ||
	    nonempty_str(d, f, "subcategory", 0, &ds->f_subcategory, err) < 0 ||
	    nonempty_str(d, f, "image", 0, &ds->f_image, err) < 0)
		return -1;
	inc = yml_get(f, "incorrect");
	if (!inc || yml_is_null(inc))
		return 0;
	if (inc->kind == YML_SCALAR)
		return nonempty_str(d, f, "incorrect", 1, &ds->f_incorrect[ds->n_incorrect++],
				    err) < 0 ? -1 : 0;
	if (inc->kind != YML_SEQ)
		return yml_fail(d, inc, UM_ERR_INVALID, err,
				"'incorrect' must be a column name or a sequence of them, got %s",
				yml_kind_name(inc));
	if (inc->n == 0 || inc->n > UM_MAX_CHOICES - 1)
		return yml_fail(d, inc, UM_ERR_INVALID, err,
				"'incorrect' must name 1 to %d columns, got %zu",
				UM_MAX_CHOICES - 1, inc->n);
	for (i = 0; i < inc->n; i++) {
		char *name;

		if (yml_node_str(d, inc->items[i], "incorrect item", &name, err) < 0)
			return -1;
		ds->f_incorrect[ds->n_incorrect++] = name;
		if (!name[0])
			return yml_fail(d, inc->items[i], UM_ERR_INVALID, err,
					"a column name must not be empty");
	}
	return 0;
}

/* m[key], when present, as 64 lower-case hex digits into *out (a copy). */
static int hex64_str(const yml_doc *d, const yml_node *m, const char *key, const char *what,
		     char **out, um_error *err)
{
	size_t i;
	int rc = yml_str(d, m, key, 0, out, err);

	if (rc <= 0)
		return rc;
	for (i = 0; (*out)[i]; i++) {
		char c = (*out)[i];
		if (c >= 'A' && c <= 'F')
			(*out)[i] = (char)(c - 'A' + 'a');
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			break;
	}
	if (i != 64 || (*out)[i]) {
		free(*out);
		*out = NULL;
		return yml_fail(d, yml_get(m, key), UM_ERR_INVALID, err,
				"'%s' must be 64 hex digits (%s)", key, what);
	}
	return 1;
}

static int parse_sha256(const yml_doc *d, const yml_node *ds_node, um_dataset_spec *ds,
			um_error *err)
{
	return hex64_str(d, ds_node, "sha256", "sha256sum of the data file, or of the member for "
			 "an archive", &ds->sha256, err) < 0 ? -1 : 0;
}

/* livecodebench-pro: `tests` (required), the directory of the judge's
 * problem directories, and `testlib` (optional), where testlib.h is; both
 * resolved against the suite file; neither for other formats. The problems
 * are judged in C++, as the official judge judges them. */
static int parse_lcbpro_dirs(const yml_doc *d, const yml_node *dn, um_suite *s, um_error *err)
{
	static const char *const keys[] = {"tests", "testlib"};
	char **out[] = {&s->dataset.tests, &s->dataset.testlib};
	size_t i;

	for (i = 0; i < 2; i++) {
		char *v = NULL;

		if (s->dataset.format != UM_DATA_LCBPRO) {
			if (key_node(dn, keys[i]))
				return yml_fail(d, key_node(dn, keys[i]), UM_ERR_INVALID, err,
						"'%s' is for format: livecodebench-pro", keys[i]);
			continue;
		}
		if (nonempty_str(d, dn, keys[i], i == 0, &v, err) < 0)
			return -1;
		if (v) {
			char *rel = um_path_relative_to(s->path, v);
			/* absolute: the sandbox binds testlib and copies from tests */
			*out[i] = realpath(rel, NULL);
			if (!*out[i]) {
				yml_fail(d, yml_get(dn, keys[i]), UM_ERR_INVALID, err,
					 "%s: no such directory", rel);
				free(rel);
				free(v);
				return -1;
			}
			free(rel);
		}
		free(v);
	}
	if (s->dataset.format == UM_DATA_LCBPRO && s->code.language != UM_CODE_CPP)
		return yml_fail(d, yml_get(dn, "format"), UM_ERR_INVALID, err,
				"LiveCodeBench Pro's problems are judged in C++: the suite needs "
				"code: {language: cpp}");
	return 0;
}

/* hle's `images: include | skip` (default include: the full set). */
static int parse_hle_images(const yml_doc *d, const yml_node *dn, um_dataset_spec *ds,
			    um_error *err)
{
	static const char *const modes[] = {"include", "skip", NULL};
	int mode = 0;

	if (ds->format != UM_DATA_HLE && key_node(dn, "images"))
		return yml_fail(d, key_node(dn, "images"), UM_ERR_INVALID, err,
				"'images' applies to format: hle only");
	if (yml_enum(d, dn, "images", 0, modes, &mode, err) < 0)
		return -1;
	ds->skip_images = mode == 1;
	return 0;
}

static int parse_dataset(const yml_doc *d, const yml_node *root, um_suite *s, um_error *err)
{
	static const char *const not_inline[] = {
		"path", "member", "passphrase", "passphrase_env", "sha256", "fields", NULL,
	};
	um_dataset_spec *ds = &s->dataset;
	const yml_node *dn, *f;
	char *path = NULL;
	int fmt, i, judged;

	dn = need_node(d, root, "dataset", YML_MAP, err);
	if (!dn)
		return -1;
	ds->yml_line = key_node(root, "dataset")->line;
	if (yml_check_keys(d, dn, dataset_keys, "dataset", err) < 0)
		return -1;
	if (yml_enum(d, dn, "format", 1, format_names, &fmt, err) < 0)
		return -1;
	ds->format = (um_data_format)fmt;
	if (parse_hle_images(d, dn, ds, err) < 0)
		return -1;
	if ((ds->format == UM_DATA_LIVECODEBENCH || ds->format == UM_DATA_LCBPRO) !=
	    !strcmp(s->kind, "code"))
		return yml_fail(d, yml_get(dn, "format"), UM_ERR_INVALID, err,
				!strcmp(s->kind, "code")
					? "a code suite reads format: livecodebench or "
					  "livecodebench-pro, not %s"
					: "format: %s holds programming problems: kind code",
				format_names[fmt]);
	if (parse_lcbpro_dirs(d, dn, s, err) < 0)
		return -1;
	if ((ds->format == UM_DATA_SCICODE) != !strcmp(s->kind, "scicode"))
		return yml_fail(d, yml_get(dn, "format"), UM_ERR_INVALID, err,
				!strcmp(s->kind, "scicode")
					? "a scicode suite reads format: scicode"
					: "format: scicode holds SciCode problems: kind scicode");
	if (ds->format == UM_DATA_LIVECODEBENCH && key_node(dn, "fields"))
		return yml_fail(d, key_node(dn, "fields"), UM_ERR_INVALID, err,
				"'fields' does not apply to format: livecodebench (its keys are "
				"LiveCodeBench's own)");
	judged = !strcmp(s->kind, "judged");
	if ((judged && (ds->format == UM_DATA_CSV || ds->format == UM_DATA_JSONL)) ||
	    (!judged && ds->format >= UM_DATA_HLE && ds->format <= UM_DATA_GRAPHWALKS))
		return yml_fail(d, yml_get(dn, "format"), UM_ERR_INVALID, err,
				"format %s is not for %s suites (mcq: inline, csv, jsonl; judged: "
				"inline, hle, mrcr, charxiv, graphwalks)", format_names[fmt], s->kind);
	if (ds->format != UM_DATA_CSV && ds->format != UM_DATA_JSONL && key_node(dn, "fields"))
		return yml_fail(d, key_node(dn, "fields"), UM_ERR_INVALID, err,
				"'fields' names csv and jsonl columns; format %s has its own",
				format_names[fmt]);
	if (ds->format == UM_DATA_INLINE) {
		for (i = 0; not_inline[i]; i++)
			if (key_node(dn, not_inline[i]))
				return yml_fail(d, key_node(dn, not_inline[i]), UM_ERR_INVALID,
						err,
						"'%s' does not apply to format: inline (the items "
						"are in the suite)", not_inline[i]);
		dataset_spec_defaults(ds);
		return need_node(d, dn, "items", YML_SEQ, err) ? 0 : -1;
	}
	if (key_node(dn, "items"))
		return yml_fail(d, key_node(dn, "items"), UM_ERR_INVALID, err,
				"'items' is only for format: inline");
	if (nonempty_str(d, dn, "path", 1, &path, err) < 0)
		return -1;
	ds->path = um_path_relative_to(s->path, path);
	free(path);
	if (nonempty_str(d, dn, "member", 0, &ds->member, err) < 0 ||
	    nonempty_str(d, dn, "passphrase", 0, &ds->passphrase, err) < 0 ||
	    nonempty_str(d, dn, "passphrase_env", 0, &ds->passphrase_env, err) < 0)
		return -1;
	if (ds->passphrase && ds->passphrase_env)
		return yml_fail(d, key_node(dn, "passphrase_env"), UM_ERR_INVALID, err,
				"give 'passphrase' or 'passphrase_env', not both");
	if ((ds->passphrase || ds->passphrase_env) && !ds->member)
		return yml_fail(d, key_node(dn, ds->passphrase ? "passphrase" : "passphrase_env"),
				UM_ERR_INVALID, err,
				"a passphrase is for an archive: name the data file inside it "
				"with 'member'");
	if (parse_sha256(d, dn, ds, err) < 0)
		return -1;
	if (opt_node(d, dn, "fields", YML_MAP, &f, err) < 0)
		return -1;
	if (f && parse_fields(d, f, ds, err) < 0)
		return -1;
	dataset_spec_defaults(ds);
	return 0;
}

static int parse_claims(const yml_doc *d, const yml_node *root, um_suite *s, um_error *err)
{
	const yml_node *c;
	size_t i;

	if (opt_node(d, root, "claims", YML_SEQ, &c, err) < 0)
		return -1;
	if (!c)
		return 0;
	s->claims = um_xcalloc(c->n, sizeof(*s->claims));
	for (i = 0; i < c->n; i++) {
		const yml_node *m = c->items[i];
		um_claim *cl = &s->claims[i];

		s->n_claims++;
		if (yml_check_keys(d, m, claim_keys, "claim", err) < 0 ||
		    nonempty_str(d, m, "system", 1, &cl->system, err) < 0 ||
		    yml_double(d, m, "value", 1, 0.0, 100.0, &cl->value, err) < 0 ||
		    nonempty_str(d, m, "source", 1, &cl->source, err) < 0 ||
		    nonempty_str(d, m, "benchmark", 0, &cl->benchmark, err) < 0 ||
		    yml_str(d, m, "note", 0, &cl->note, err) < 0)
			return -1;
		if (!cl->benchmark)
			cl->benchmark = um_xstrdup(s->name);
	}
	return 0;
}

static int is_blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

/* An inline item's image: a file name or a sequence of them, relative to
 * the suite file. */
static int inline_images(const yml_doc *d, const yml_node *m, const char *suite_path,
			 um_item *it, um_error *err)
{
	const yml_node *v = yml_get(m, "image");
	const char *refs[UM_IMAGE_MAX_PER_ITEM];
	size_t i, n = 0;
	um_error e = {0};

	if (!v || yml_is_null(v))
		return 0;
	if (v->kind == YML_SCALAR) {
		refs[n++] = v->scalar;
	} else if (v->kind != YML_SEQ) {
		return yml_fail(d, v, UM_ERR_INVALID, err,
				"'image' must be a file name or a sequence of them, got %s",
				yml_kind_name(v));
	} else if (v->n == 0 || v->n > UM_IMAGE_MAX_PER_ITEM) {
		return yml_fail(d, v, UM_ERR_INVALID, err, "'image' must name 1 to %d files, got %zu",
				UM_IMAGE_MAX_PER_ITEM, v->n);
	} else {
		for (i = 0; i < v->n; i++) {
			if (v->items[i]->kind != YML_SCALAR)
				return yml_fail(d, v->items[i], UM_ERR_INVALID, err,
						"an image must be a file name, got %s",
						yml_kind_name(v->items[i]));
			refs[n++] = v->items[i]->scalar;
		}
	}
	if (dataset_item_images(it, suite_path, refs, n, &e) < 0)
		return yml_fail(d, v, e.code, err, "%s", e.msg);
	return 0;
}

static int inline_item(const yml_doc *d, const yml_node *m, const char *suite_path, um_item *it,
		       um_error *err)
{
	const yml_node *inc;
	size_t i;

	memset(it, 0, sizeof(*it));
	if (yml_check_keys(d, m, item_keys, "item", err) < 0 ||
	    nonempty_str(d, m, "id", 1, &it->id, err) < 0 ||
	    nonempty_str(d, m, "category", 1, &it->category, err) < 0 ||
	    nonempty_str(d, m, "subcategory", 0, &it->subcategory, err) < 0 ||
	    nonempty_str(d, m, "question", 1, &it->question, err) < 0 ||
	    nonempty_str(d, m, "correct", 1, &it->choices[0], err) < 0)
		return -1;
	it->n_choices = 1;
	it->correct = 0;
	if (is_blank(it->question))
		return yml_fail(d, yml_get(m, "question"), UM_ERR_INVALID, err,
				"item '%s': the question is blank", it->id);
	if (is_blank(it->choices[0]))
		return yml_fail(d, yml_get(m, "correct"), UM_ERR_INVALID, err,
				"item '%s': the correct answer is blank", it->id);
	inc = need_node(d, m, "incorrect", YML_SEQ, err);
	if (!inc)
		return -1;
	if (inc->n + 1 > UM_MAX_CHOICES)
		return yml_fail(d, inc, UM_ERR_INVALID, err,
				"item '%s': %zu choices, at most %d are allowed", it->id,
				inc->n + 1, UM_MAX_CHOICES);
	for (i = 0; i < inc->n; i++) {
		char **slot = &it->choices[it->n_choices];

		if (yml_node_str(d, inc->items[i], "incorrect item", slot, err) < 0)
			return -1;
		it->n_choices++;
		if (is_blank(*slot))
			return yml_fail(d, inc->items[i], UM_ERR_INVALID, err,
					"item '%s': an incorrect answer is blank", it->id);
	}
	if (it->n_choices < 2)
		return yml_fail(d, inc, UM_ERR_INVALID, err,
				"item '%s': at least 2 choices are needed (the correct answer and "
				"one incorrect)", it->id);
	return inline_images(d, m, suite_path, it, err);
}

static int load_inline(const yml_doc *d, const yml_node *root, um_suite *s, item_origin *o,
		       um_error *err)
{
	const yml_node *items = yml_get(yml_get(root, "dataset"), "items");
	size_t i;

	s->items = um_xcalloc(items->n ? items->n : 1, sizeof(*s->items));
	o->id_node = um_xcalloc(items->n ? items->n : 1, sizeof(*o->id_node));
	o->cat_node = um_xcalloc(items->n ? items->n : 1, sizeof(*o->cat_node));
	o->d = d;
	for (i = 0; i < items->n; i++) {
		int rc = strcmp(s->kind, "judged") == 0
				 ? judged_inline_item(d, items->items[i], &s->items[i], err)
				 : inline_item(d, items->items[i], s->path, &s->items[i], err);

		/* a judged item's chart or figure, sent with its question */
		if (rc == 0 && strcmp(s->kind, "judged") == 0)
			rc = inline_images(d, items->items[i], s->path, &s->items[i], err);

		s->n_items++;
		if (rc < 0)
			return -1;
		o->id_node[i] = yml_get(items->items[i], "id");
		o->cat_node[i] = yml_get(items->items[i], "category");
	}
	return 0;
}

static void list_categories(const um_suite *s, um_buf *b)
{
	int i;

	for (i = 0; i < s->n_categories; i++)
		um_buf_printf(b, "%s%s", i ? ", " : "", s->categories[i]);
}

/* Items sorted by id, ties by position, to find duplicates in n log n. */
typedef struct id_pos {
	const char *id;
	size_t pos;
} id_pos;

static int cmp_id_pos(const void *a, const void *b)
{
	const id_pos *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int check_items(const um_suite *s, const item_origin *o, const yml_node *cats,
		       um_error *err)
{
	size_t i, dup = (size_t)-1, first = 0;
	id_pos *idx;
	int rc = 0;

	if (s->n_items == 0) {
		if (o->d)
			return yml_fail(o->d, yml_get(yml_get(o->d->root, "dataset"), "items"),
					UM_ERR_INVALID, err, "the dataset has no items");
		return um_fail_at(err, UM_ERR_INVALID, o->source, 0, 0,
				  "the dataset has no items");
	}
	for (i = 0; i < s->n_items; i++) {
		const um_item *it = &s->items[i];
		um_buf list;

		if (!strcmp(s->kind, "judged")) {
			if (!it->grader && !s->judged.grader)
				return um_fail(err, UM_ERR_INVALID,
					       "item %s: no grader: name one in the item or in the "
					       "suite's grading.grader", it->id);
		} else if (!it->code && !it->sci &&
			   (it->n_choices < 2 || it->n_choices > UM_MAX_CHOICES)) {
			return um_fail(err, UM_ERR_INVALID, "item %s: %d choices (allowed: 2..%d)",
				       it->id, it->n_choices, UM_MAX_CHOICES);
		}
		if (suite_category_index(s, it->category) >= 0)
			continue;
		um_buf_init(&list, 1024);
		list_categories(s, &list);
		if (o->d)
			yml_fail(o->d, o->cat_node[i], UM_ERR_INVALID, err,
				 "item '%s': category '%s' is not declared in 'categories' (%s)",
				 it->id, it->category, um_buf_str(&list));
		else
			um_fail_at(err, UM_ERR_INVALID, o->source, o->lines[i], 0,
				   "item %s: category \"%s\" is not declared in the suite's "
				   "categories (%s:%d:%d: %s)", it->id, it->category,
				   s->path, cats->line, cats->col, um_buf_str(&list));
		um_buf_release(&list);
		return -1;
	}

	idx = um_xmalloc(s->n_items * sizeof(*idx));
	for (i = 0; i < s->n_items; i++) {
		idx[i].id = s->items[i].id;
		idx[i].pos = i;
	}
	qsort(idx, s->n_items, sizeof(*idx), cmp_id_pos);
	/* Report the repeat met first when reading the file, and the first
	 * item holding that id (ties sort by position). */
	for (i = 1; i < s->n_items; i++) {
		if (strcmp(idx[i].id, idx[i - 1].id) == 0 && idx[i].pos < dup) {
			size_t k = i - 1;
			while (k > 0 && strcmp(idx[k - 1].id, idx[i].id) == 0)
				k--;
			dup = idx[i].pos;
			first = idx[k].pos;
		}
	}
	free(idx);
	if (dup == (size_t)-1)
		return 0;
	if (o->d)
		rc = yml_fail(o->d, o->id_node[dup], UM_ERR_INVALID, err,
			      "duplicate item id '%s' (first at %d:%d)", s->items[dup].id,
			      o->id_node[first]->line, o->id_node[first]->col);
	else
		rc = um_fail_at(err, UM_ERR_INVALID, o->source, o->lines[dup], 0,
				"duplicate item id \"%s\" (first on line %d)", s->items[dup].id,
				o->lines[first]);
	return rc;
}


static int parse_swe_rules(const yml_doc *d, const yml_node *root, um_suite *s, um_error *err)
{
	const yml_node *n = yml_get(root, "swe"), *l;
	int64_t fuzz = 3;
	int k = 0;
	size_t i, j;

	s->swe.fuzz = 3;
	if (!n || yml_is_null(n)) {
		for (i = 0; i < 3; i++)
			s->swe.strategies[i] = um_xstrdup(swe_strategy_names[i]);
		s->swe.n_strategies = 3;
		return 0;
	}
	if (yml_expect(d, n, YML_MAP, "swe", err) < 0 ||
	    yml_check_keys(d, n, swe_rule_keys, "swe", err) < 0 ||
	    yml_int(d, n, "fuzz", 0, 0, 10, &fuzz, err) < 0 ||
	    yml_enum(d, n, "test_name_match", 0, swe_match_names, &k, err) < 0)
		return -1;
	s->swe.whitespace_match = k;
	k = 0;
	if (yml_enum(d, n, "grading", 0, swe_grading_names, &k, err) < 0)
		return -1;
	s->swe.official = k;
	k = s->swe.whitespace_match;
	s->swe.fuzz = (int)fuzz;
	s->swe.whitespace_match = k;
	l = yml_get(n, "patch_strategies");
	if (!l || yml_is_null(l)) {
		for (i = 0; i < 3; i++)
			s->swe.strategies[i] = um_xstrdup(swe_strategy_names[i]);
		s->swe.n_strategies = 3;
		return 0;
	}
	if (yml_expect(d, l, YML_SEQ, "patch_strategies", err) < 0)
		return -1;
	if (l->n == 0 || l->n > 3)
		return yml_fail(d, l, UM_ERR_INVALID, err,
				"'patch_strategies' lists 1 to 3 of git_apply, git_apply_3way, "
				"patch_fuzz");
	for (i = 0; i < l->n; i++) {
		char *name = NULL;
		int ok = 0;
		if (yml_node_str(d, l->items[i], "patch strategy", &name, err) < 0)
			return -1;
		for (j = 0; swe_strategy_names[j]; j++)
			ok |= !strcmp(name, swe_strategy_names[j]);
		for (j = 0; j < i; j++)
			if (!strcmp(name, s->swe.strategies[j]))
				ok = 0;
		if (!ok) {
			yml_fail(d, l->items[i], UM_ERR_INVALID, err,
				 "patch strategy '%s': want git_apply, git_apply_3way or patch_fuzz, "
				 "each once",
				 name);
			free(name);
			return -1;
		}
		s->swe.strategies[s->swe.n_strategies++] = name;
	}
	return 0;
}

static int code_date(const yml_doc *d, const yml_node *n, const char *key, char out[11],
		     um_error *err)
{
	char *v = NULL;
	int rc = yml_str(d, n, key, 0, &v, err);

	if (rc <= 0)
		return rc;
	if (!codeset_date_ok(v)) {
		yml_fail(d, yml_get(n, key), UM_ERR_INVALID, err,
			 "'%s' must be a date YYYY-MM-DD, got '%s'", key, v);
		free(v);
		return -1;
	}
	memcpy(out, v, 11);
	free(v);
	return 0;
}

/* code: {time_limit_s, memory_mb, date_from, date_to}, all optional. */
static int parse_code_rules(const yml_doc *d, const yml_node *root, um_suite *s, um_error *err)
{
	const yml_node *n = yml_get(root, "code");
	double t = 6.0;
	int64_t mem = 4096;
	int lang = 0;

	s->code.time_limit_ms = 6000;
	s->code.memory_mb = 4096;
	if (n && !yml_is_null(n) && strcmp(s->kind, "code") != 0)
		return yml_fail(d, n, UM_ERR_INVALID, err, "'code' belongs to code suites");
	if (!n || yml_is_null(n))
		return 0;
	if (yml_expect(d, n, YML_MAP, "code", err) < 0 ||
	    yml_check_keys(d, n, code_rule_keys, "code", err) < 0 ||
	    yml_double(d, n, "time_limit_s", 0, 0.1, 600.0, &t, err) < 0 ||
	    yml_int(d, n, "memory_mb", 0, 16, 1 << 20, &mem, err) < 0 ||
	    code_date(d, n, "date_from", s->code.date_from, err) < 0 ||
	    code_date(d, n, "date_to", s->code.date_to, err) < 0)
		return -1;
	if (yml_enum(d, n, "language", 0, code_languages, &lang, err) < 0)
		return -1;
	s->code.language = (um_code_lang)lang;
	s->code.time_limit_ms = (int)(t * 1000.0 + 0.5);
	s->code.memory_mb = (int)mem;
	if (s->code.date_from[0] && s->code.date_to[0] &&
	    strcmp(s->code.date_from, s->code.date_to) > 0)
		return yml_fail(d, yml_get(n, "date_to"), UM_ERR_INVALID, err,
				"'date_to' %s is before 'date_from' %s", s->code.date_to,
				s->code.date_from);
	return 0;
}

int suite_code_window(um_suite *s, const char *from, const char *to, um_error *err)
{
	const char *lo, *hi;
	size_t i, k = 0;

	if (strcmp(s->kind, "code") != 0)
		return 0;
	if (from && *from) {
		if (!codeset_date_ok(from))
			return um_fail(err, UM_ERR_USAGE, "--date-from %s: want a date YYYY-MM-DD",
				       from);
		snprintf(s->code.date_from, sizeof(s->code.date_from), "%s", from);
	}
	if (to && *to) {
		if (!codeset_date_ok(to))
			return um_fail(err, UM_ERR_USAGE, "--date-to %s: want a date YYYY-MM-DD", to);
		snprintf(s->code.date_to, sizeof(s->code.date_to), "%s", to);
	}
	lo = s->code.date_from;
	hi = s->code.date_to;
	if (*lo && *hi && strcmp(lo, hi) > 0)
		return um_fail(err, UM_ERR_USAGE, "the window %s to %s ends before it starts", lo, hi);
	s->code.n_before_window = s->n_items;
	for (i = 0; i < s->n_items; i++) {
		const char *dt = s->items[i].code ? s->items[i].code->date : "";
		if ((!*lo || strcmp(dt, lo) >= 0) && (!*hi || strcmp(dt, hi) <= 0))
			s->items[k++] = s->items[i];
		else
			dataset_item_release(&s->items[i]);
	}
	s->n_items = k;
	if (!k)
		return um_fail(err, UM_ERR_INVALID,
			       "%s: no problem is dated in the window %s to %s (of %zu problems)",
			       s->path, *lo ? lo : "(open)", *hi ? hi : "(open)",
			       s->code.n_before_window);
	return 0;
}

/* grading: the judged suite's default grader, numeric tolerances and
 * context-length bins. */
static int parse_grading(const yml_doc *d, const yml_node *root, um_suite *s, um_error *err)
{
	const yml_node *n = yml_get(root, "grading"), *b;
	um_judged_rules *r = &s->judged;
	size_t i;

	if (!n || yml_is_null(n))
		return 0;
	if (yml_expect(d, n, YML_MAP, "grading", err) < 0 ||
	    yml_check_keys(d, n, grading_keys, "grading", err) < 0 ||
	    nonempty_str(d, n, "grader", 0, &r->grader, err) < 0 ||
	    yml_double(d, n, "rel_tol", 0, 0.0, 1.0, &r->rel_tol, err) < 0 ||
	    yml_double(d, n, "abs_tol", 0, 0.0, 1e300, &r->abs_tol, err) < 0)
		return -1;
	if (r->grader && !judged_grader_known(r->grader))
		return yml_fail(d, yml_get(n, "grader"), UM_ERR_INVALID, err,
				"grader '%s' (want exact, numeric, similarity, mrcr, graphwalks or "
				"judge)",
				r->grader);
	if (opt_node(d, n, "context_bins", YML_SEQ, &b, err) < 0)
		return -1;
	if (!b)
		return 0;
	if (b->n == 0 || b->n > UM_MAX_CONTEXT_BINS)
		return yml_fail(d, b, UM_ERR_INVALID, err,
				"'context_bins' lists 1 to %d upper bounds (estimated tokens)",
				UM_MAX_CONTEXT_BINS);
	for (i = 0; i < b->n; i++) {
		if (yml_node_int(d, b->items[i], "context bin", 1, INT64_MAX / 8, &r->bins[i],
				 err) < 0)
			return -1;
		if (i > 0 && r->bins[i] <= r->bins[i - 1])
			return yml_fail(d, b->items[i], UM_ERR_INVALID, err,
					"'context_bins' must ascend (%lld after %lld)",
					(long long)r->bins[i], (long long)r->bins[i - 1]);
		r->n_bins++;
	}
	return 0;
}

/* 'scicode' only in scicode suites, which have no 'code'. */
static int sci_blocks(const yml_doc *d, const um_suite *s, um_error *err)
{
	int sci = !strcmp(s->kind, "scicode");

	if (!sci && yml_get(d->root, "scicode"))
		return yml_fail(d, yml_get(d->root, "scicode"), UM_ERR_INVALID, err,
				"'scicode' belongs to scicode suites");
	if (sci && yml_get(d->root, "code"))
		return yml_fail(d, yml_get(d->root, "code"), UM_ERR_INVALID, err,
				"'code' belongs to code suites; a scicode suite's limits are under "
				"'scicode'");
	return 0;
}

/* ---- import: tasks converted from a benchmark's release ---------------- */

void suite_import_release(um_suite_import *imp)
{
	free(imp->format);
	free(imp->source);
	free(imp->into);
	free(imp->scripts);
	memset(imp, 0, sizeof(*imp));
}

/* A path of the import block, resolved against the suite file. */
static int import_path(const yml_doc *d, const yml_node *n, const char *key, int required,
		       const char *path, char **out, um_error *err)
{
	char *v = NULL;
	int rc = nonempty_str(d, n, key, required, &v, err);

	if (rc == 1) {
		*out = um_path_relative_to(path, v);
		free(v);
	}
	return rc;
}

/* root["import"] into imp: 1, 0 (none) or -1. */
static int parse_import(const yml_doc *d, const yml_node *root, const char *kind,
			const char *path, um_suite_import *imp, um_error *err)
{
	const yml_node *n = yml_get(root, "import");
	char *pin = NULL;
	int k = 0;

	if (!n)
		return 0;
	if (um_str_index((char **)import_kinds, 2, kind) < 0)
		return yml_fail(d, n, UM_ERR_INVALID, err,
				"'import' belongs to terminal and swe suites (a %s suite reads a "
				"'dataset')", kind);
	if (yml_expect(d, n, YML_MAP, "import", err) < 0 ||
	    yml_check_keys(d, n, import_keys, "import", err) < 0 ||
	    yml_enum(d, n, "format", 1, import_formats, &k, err) < 0)
		return -1;
	if (strcmp(import_kinds[k], kind) != 0)
		return yml_fail(d, yml_get(n, "format"), UM_ERR_INVALID, err,
				"import format %s makes a %s suite, not a %s one", import_formats[k],
				import_kinds[k], kind);
	imp->format = um_xstrdup(import_formats[k]);
	if (import_path(d, n, "source", 1, path, &imp->source, err) < 0 ||
	    import_path(d, n, "into", 1, path, &imp->into, err) < 0 ||
	    import_path(d, n, "scripts", 0, path, &imp->scripts, err) < 0 ||
	    hex64_str(d, n, "sha256", "the converted tasks' hash, which a run records as its "
		      "dataset_sha256", &pin, err) < 0)
		return -1;
	if (imp->scripts && k != 1)
		return yml_fail(d, yml_get(n, "scripts"), UM_ERR_INVALID, err,
				"'scripts' (the official run scripts) belongs to swe-bench-pro imports");
	if (pin)
		memcpy(imp->sha256, pin, 65);
	free(pin);
	return 1;
}

int suite_import_read(const char *path, um_suite_import *imp, um_error *err)
{
	yml_doc *d = yml_load_file(path, err);
	char *kind = NULL;
	int rc = -1;

	memset(imp, 0, sizeof(*imp));
	if (!d)
		return -1;
	if (yml_check_schema(d, "suite", err) == 0 && yml_str(d, d->root, "kind", 1, &kind, err) > 0)
		rc = parse_import(d, d->root, kind, path, imp, err);
	if (rc < 0)
		suite_import_release(imp);
	free(kind);
	yml_doc_free(d);
	return rc;
}

/* The tasks of a suite with an import, from the suite file the conversion
 * wrote; the categories too when the suite does not list them. */
static int load_imported(const yml_doc *d, um_suite *s, um_error *err)
{
	const yml_node *n = yml_get(d->root, "import");
	char *file = um_xasprintf("%s/%s", s->import.into, UM_SUITE_IMPORT_FILE);
	yml_doc *g = NULL;
	char *kind = NULL;
	int rc = -1;

	if (yml_get(d->root, "tasks")) {
		yml_fail(d, yml_get(d->root, "tasks"), UM_ERR_INVALID, err,
			 "a suite with 'import' lists no 'tasks': they are read from the conversion");
		goto out;
	}
	if (access(file, F_OK) != 0) {
		yml_fail(d, n, UM_ERR_IO, err,
			 "the tasks converted from %s are not there yet (%s): `umpire run` on this "
			 "suite converts them, or `umpire import %s %s -o %s`", s->import.source, file,
			 s->import.format, s->import.source, file);
		goto out;
	}
	g = yml_load_file(file, err);
	if (!g || yml_str(g, g->root, "kind", 1, &kind, err) < 0)
		goto out;
	if (strcmp(kind, s->kind) != 0) {
		yml_fail(g, yml_get(g->root, "kind"), UM_ERR_INVALID, err,
			 "the conversion holds a %s suite, not the %s suite %s names", kind, s->kind,
			 s->path);
		goto out;
	}
	if ((!s->n_categories && parse_categories(g, g->root, s, err) < 0) ||
	    task_parse_all(g, g->root, s, file, err) < 0)
		goto out;
	if (s->import.sha256[0] && strcmp(s->import.sha256, s->dataset_sha256) != 0) {
		yml_fail(d, yml_get(n, "sha256"), UM_ERR_PIN, err,
			 "the tasks converted from %s: sha256 mismatch: pinned %s, got %s",
			 s->import.source, s->import.sha256, s->dataset_sha256);
		goto out;
	}
	rc = 0;
out:
	free(kind);
	yml_doc_free(g);
	free(file);
	return rc;
}

int suite_load(const char *path, um_suite **out, um_error *err)
{
	um_suite *s;
	yml_doc *d = NULL;
	item_origin o;
	int *lines = NULL;
	char *source = NULL;
	size_t len = 0;
	int rc = -1;

	*out = NULL;
	memset(&o, 0, sizeof(o));
	s = um_xcalloc(1, sizeof(*s));
	s->path = um_xstrdup(path);
	if (um_read_file(path, &s->text, &len, err) < 0)
		goto out;
	um_sha256_hex(s->text, len, s->sha256);
	d = yml_load_buffer(path, s->text, len, err);
	if (!d)
		goto out;
	if (yml_check_schema(d, "suite", err) < 0 ||
	    yml_check_keys(d, d->root, suite_keys, "suite", err) < 0 ||
	    parse_header(d, d->root, s, err) < 0 ||
	    parse_import(d, d->root, s->kind, path, &s->import, err) < 0)
		goto out;
	if (!strcmp(s->kind, "terminal") || !strcmp(s->kind, "swe")) {
		if (yml_get(d->root, "dataset")) {
			yml_fail(d, yml_get(d->root, "dataset"), UM_ERR_INVALID, err,
				 "a %s suite lists 'tasks', not a 'dataset'", s->kind);
			goto out;
		}
		if (yml_get(d->root, "code")) {
			yml_fail(d, yml_get(d->root, "code"), UM_ERR_INVALID, err,
				 "'code' belongs to code suites");
			goto out;
		}
		if (!strcmp(s->kind, "terminal") && yml_get(d->root, "swe")) {
			yml_fail(d, yml_get(d->root, "swe"), UM_ERR_INVALID, err,
				 "'swe' belongs to swe suites");
			goto out;
		}
		if ((!strcmp(s->kind, "swe") && parse_swe_rules(d, d->root, s, err) < 0) ||
		    parse_claims(d, d->root, s, err) < 0)
			goto out;
		if (s->import.format ? load_imported(d, s, err) < 0
				     : task_parse_all(d, d->root, s, path, err) < 0)
			goto out;
		rc = 0;
		goto out;
	}
	if (yml_get(d->root, "tasks")) {
		yml_fail(d, yml_get(d->root, "tasks"), UM_ERR_INVALID, err,
			 "'tasks' belongs to terminal suites; an mcq suite has a 'dataset'");
		goto out;
	}
	if (strcmp(s->kind, "judged") != 0 && yml_get(d->root, "grading")) {
		yml_fail(d, yml_get(d->root, "grading"), UM_ERR_INVALID, err,
			 "'grading' belongs to judged suites");
		goto out;
	}
	if (sci_blocks(d, s, err) < 0)
		goto out;
	if (parse_code_rules(d, d->root, s, err) < 0 || parse_grading(d, d->root, s, err) < 0 ||
	    parse_dataset(d, d->root, s, err) < 0 ||
	    parse_claims(d, d->root, s, err) < 0)
		goto out;

	if (s->dataset.format == UM_DATA_INLINE) {
		if (load_inline(d, d->root, s, &o, err) < 0)
			goto out;
	} else {
		if (dataset_load_items(&s->dataset, &s->items, &s->n_items, &lines,
				       &s->judged.skipped_images, s->dataset_sha256, err) < 0)
			goto out;
		source = dataset_source_name(&s->dataset);
		o.source = source;
		o.lines = lines;
	}
	if (check_items(s, &o, yml_get(d->root, "categories"), err) < 0)
		goto out;
	if (!strcmp(s->kind, "scicode") &&
	    sciset_rules(d, yml_get(d->root, "scicode"), s, err) < 0)
		goto out;
	for (size_t i = 0; s->code.language == UM_CODE_CPP && i < s->n_items; i++)
		if (s->items[i].code && s->items[i].code->io == UM_CODE_CALL) {
			um_fail_at(err, UM_ERR_INVALID, o.source, o.lines ? o.lines[i] : 0, 0,
				   "problem %s has call-based tests, which run Python functions: "
				   "they need language: python", s->items[i].id);
			goto out;
		}
	rc = 0;
out:
	free(o.id_node);
	free(o.cat_node);
	free(lines);
	free(source);
	yml_doc_free(d);
	if (rc < 0)
		suite_free(s);
	else
		*out = s;
	return rc;
}

void suite_free(um_suite *s)
{
	int i;

	if (!s)
		return;
	free(s->path);
	free(s->name);
	free(s->version);
	free(s->kind);
	free(s->description);
	for (i = 0; i < s->n_categories; i++)
		free(s->categories[i]);
	free(s->categories);
	free(s->scaffold_path);
	dataset_spec_release(&s->dataset);
	for (i = 0; i < s->n_claims; i++) {
		free(s->claims[i].system);
		free(s->claims[i].benchmark);
		free(s->claims[i].source);
		free(s->claims[i].note);
	}
	free(s->claims);
	dataset_items_free(s->items, s->n_items);
	for (i = 0; i < (int)s->n_tasks; i++)
		task_release(&s->tasks[i]);
	for (i = 0; i < s->swe.n_strategies; i++)
		free(s->swe.strategies[i]);
	free(s->judged.grader);
	sciset_rules_release(&s->sci);
	suite_import_release(&s->import);
	free(s->tasks);
	free(s->text);
	free(s);
}

int suite_category_index(const um_suite *s, const char *category)
{
	return s ? um_str_index(s->categories, s->n_categories, category) : -1;
}
