/*
 * charxiv.c - CharXiv's reasoning questions into a suite whose items carry
 * their chart (see charxiv.h, docs/import-charxiv.md).
 */
#include "import/charxiv.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/util.h"
#include "base/ymlemit.h"
#include "import/tbimport.h"
#include "load/image.h"

static const char *const cat_names[4] = {"Text in chart", "Text in general", "Number in chart",
					 "Number in general"};

/* One question of the release, checked. */
typedef struct cx_entry {
	const char *key;      /* the JSON object's key */
	json_int_t figure_id;
	const char *query, *answer;
	int inst;             /* 1..4 */
	json_int_t qa_source; /* -1: absent */
	const char *subject;  /* image_metadata's category, or NULL */
	char *image;          /* path of the image */
	char *fold;           /* the answer trimmed and case-folded */
	size_t pick[4];       /* indexes of the incorrect choices */
	int n_pick;
} cx_entry;

typedef struct cx_paths {
	char *json, *meta, *images;
} cx_paths;

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *dir_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? um_xstrndup(p, (size_t)(s - p + (s == p))) : um_xstrdup(".");
}

static void paths_for(const charxiv_opts *o, const char *split, cx_paths *p)
{
	if (is_dir(o->source)) {
		p->json = um_xasprintf("%s/data/reasoning_%s.json", o->source, split);
		p->meta = um_xasprintf("%s/data/image_metadata_%s.json", o->source, split);
		p->images = o->images_dir ? um_xstrdup(o->images_dir)
					  : um_xasprintf("%s/images", o->source);
	} else {
		char *d = dir_of(o->source);

		p->json = um_xstrdup(o->source);
		p->meta = um_xasprintf("%s/image_metadata_%s.json", d, split);
		p->images = o->images_dir ? um_xstrdup(o->images_dir)
					  : um_xasprintf("%s/../images", d);
		free(d);
	}
}

/* The line on which "key": first stands in text (0 when not found), so
 * errors about an entry can name its place. */
static int key_line(const char *text, const char *key)
{
	size_t kl = strlen(key);
	const char *p = text;
	int line = 1;

	for (; *p; p++) {
		if (*p == '\n') {
			line++;
		} else if (*p == '"' && strncmp(p + 1, key, kl) == 0 && p[kl + 1] == '"') {
			const char *q = p + kl + 2;

			while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
				q++;
			if (*q == ':')
				return line;
		}
	}
	return 0;
}

/* A release file parsed, duplicates refused, syntax errors with their place. */
static json_t *read_json(const char *path, char **text, um_error *err)
{
	json_error_t je;
	size_t len;
	json_t *j;

	*text = NULL;
	if (um_read_file(path, text, &len, err) < 0)
		return NULL;
	if (len > CHARXIV_MAX_BYTES) {
		um_fail(err, UM_ERR_INVALID, "%s: %zu bytes, more than %zu MiB", path, len,
			CHARXIV_MAX_BYTES >> 20);
		return NULL;
	}
	j = json_loadb(*text, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		um_fail_at(err, UM_ERR_SYNTAX, path, je.line, je.column, "%s", je.text);
	else if (!json_is_object(j)) {
		um_fail_at(err, UM_ERR_INVALID, path, 1, 1,
			   "expected an object keyed by question id, as CharXiv's "
			   "reasoning_*.json is");
		json_decref(j);
		j = NULL;
	}
	return j;
}

static int is_blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

static char *fold(const char *s)
{
	char *t = um_trim(um_xstrdup(s)), *c;

	for (c = t; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return t;
}

/* Long: one check after another on the fields of an entry, each with its
 * own message; splitting them would only scatter the list. */
static int entry_check(const char *path, const char *text, const char *split, const char *key,
		       const json_t *v, const cx_paths *p, cx_entry *e, um_error *err)
{
	const json_t *f = json_object_get(v, "figure_id"), *q = json_object_get(v, "query");
	const json_t *a = json_object_get(v, "answer"), *ic = json_object_get(v, "inst_category");
	const json_t *qs = json_object_get(v, "qa_source");
	int line = key_line(text, key);
	um_image im;
	char *img;

	memset(e, 0, sizeof(*e));
	e->key = key;
	if (!json_is_object(v))
		return um_fail_at(err, UM_ERR_INVALID, path, line, 0, "entry \"%s\": not an object",
				  key);
	if (!json_is_integer(f) || json_integer_value(f) < 0)
		return um_fail_at(err, UM_ERR_INVALID, path, line, 0,
				  "entry \"%s\": figure_id must be a non-negative integer", key);
	if (!json_is_string(q) || is_blank(json_string_value(q)))
		return um_fail_at(err, UM_ERR_INVALID, path, line, 0,
				  "entry \"%s\": query must be a non-empty string", key);
	if (json_is_null(a) || !a)
		return um_fail_at(err, UM_ERR_INVALID, path, line, 0,
				  "entry \"%s\": the answer is %s: CharXiv withholds the answers "
				  "of its test split, so there is nothing to grade against (import "
				  "--split val)", key, a ? "null" : "missing");
	if (!json_is_string(a) || is_blank(json_string_value(a)))
		return um_fail_at(err, UM_ERR_INVALID, path, line, 0,
				  "entry \"%s\": answer must be a non-empty string", key);
	if (!json_is_integer(ic) || json_integer_value(ic) < 1 || json_integer_value(ic) > 4)
		return um_fail_at(err, UM_ERR_INVALID, path, line, 0,
				  "entry \"%s\": inst_category must be 1, 2, 3 or 4 (text in chart, "
				  "text in general, number in chart, number in general)", key);
	if (qs && !json_is_null(qs) && !json_is_integer(qs))
		return um_fail_at(err, UM_ERR_INVALID, path, line, 0,
				  "entry \"%s\": qa_source must be an integer", key);
	img = um_xasprintf("%s/%" JSON_INTEGER_FORMAT ".jpg", p->images, json_integer_value(f));
	if (image_check(img, &im, err) < 0) {
		free(img);
		return um_error_prefix(err, "%s:%d: entry \"%s\" (%s split)", path, line, key,
				       split);
	}
	image_release(&im);
	e->figure_id = json_integer_value(f);
	e->query = json_string_value(q);
	e->answer = json_string_value(a);
	e->inst = (int)json_integer_value(ic);
	e->qa_source = json_is_integer(qs) ? json_integer_value(qs) : -1;
	e->image = img;
	e->fold = fold(e->answer);
	return 0;
}

/* image_metadata_<split>.json, when it is there: the subject of each figure. */
static int read_subjects(const char *path, cx_entry *v, size_t n, json_t **keep, um_error *err)
{
	char *text;
	json_t *m;
	size_t i;
	struct stat st;

	*keep = NULL;
	if (stat(path, &st) < 0)
		return 0; /* optional */
	if (!(m = read_json(path, &text, err))) {
		free(text);
		return -1;
	}
	for (i = 0; i < n; i++) {
		char id[32];
		const json_t *e, *c;

		snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT, v[i].figure_id);
		e = json_object_get(m, id);
		c = json_object_get(e, "category");
		if (!e)
			continue;
		if (!json_is_object(e) || (c && !json_is_string(c))) {
			um_fail_at(err, UM_ERR_INVALID, path, key_line(text, id), 0,
				   "figure \"%s\": expected an object whose category is a string",
				   id);
			free(text);
			json_decref(m);
			return -1;
		}
		v[i].subject = json_string_value(c);
	}
	free(text);
	*keep = m;
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	const cx_entry *x = a, *y = b;
	size_t lx = strlen(x->key), ly = strlen(y->key);

	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->key, y->key);
}

typedef struct cx_cand {
	uint64_t h;
	size_t j;
} cx_cand;

static int cmp_cand(const void *a, const void *b)
{
	const cx_cand *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->j < y->j ? -1 : x->j > y->j;
}

/* The incorrect choices of each entry: answers of other entries of the same
 * instruction category, in the order of a seeded hash of the two keys,
 * skipping any equal (folded) to the answer or to one already taken. */
static void pick_distractors(cx_entry *v, size_t n, int want, size_t *n_short)
{
	cx_cand *c = um_xcalloc(n ? n : 1, sizeof(*c));
	size_t i, j, k, nc;

	*n_short = 0;
	for (i = 0; i < n; i++) {
		nc = 0;
		for (j = 0; j < n; j++) {
			char *pair;

			if (j == i || v[j].inst != v[i].inst || strcmp(v[j].fold, v[i].fold) == 0)
				continue;
			pair = um_xasprintf("%s\n%s", v[i].key, v[j].key);
			c[nc].h = um_hash64(pair, strlen(pair), CHARXIV_SEED);
			c[nc++].j = j;
			free(pair);
		}
		qsort(c, nc, sizeof(*c), cmp_cand);
		for (k = 0; k < nc && v[i].n_pick < want; k++) {
			int m, dup = 0;

			for (m = 0; m < v[i].n_pick; m++)
				dup |= strcmp(v[v[i].pick[m]].fold, v[c[k].j].fold) == 0;
			if (!dup)
				v[i].pick[v[i].n_pick++] = c[k].j;
		}
		if (v[i].n_pick < want)
			(*n_short)++;
	}
	free(c);
}

/* One JSONL row per entry; image paths relative to the JSONL's directory. */
static char *jsonl_text(const cx_entry *v, size_t n, const char *split, const char *data_dir,
			um_error *err)
{
	um_buf b = UM_BUF_INIT;
	size_t i;
	int k;

	um_buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		const cx_entry *e = &v[i];
		char *rel = tbimport_relpath(data_dir, e->image), *id, *line;
		json_t *inc = json_array(), *o;

		if (!rel) {
			json_decref(inc);
			um_buf_release(&b);
			um_fail(err, UM_ERR_IO, "cannot name %s relative to %s", e->image, data_dir);
			return NULL;
		}
		for (k = 0; k < e->n_pick; k++)
			json_array_append_new(inc, json_string(v[e->pick[k]].answer));
		id = um_xasprintf("%s-%s", split, e->key);
		o = json_pack("{s:s,s:s,s:s,s:o,s:s,s:s,s:I,s:i}", "id", id, "question", e->query,
			      "correct", e->answer, "incorrect", inc, "category",
			      cat_names[e->inst - 1], "image", rel, "figure_id",
			      (json_int_t)e->figure_id, "inst_category", e->inst);
		if (e->subject)
			json_object_set_new(o, "subject", json_string(e->subject));
		if (e->qa_source >= 0)
			json_object_set_new(o, "qa_source", json_integer(e->qa_source));
		line = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		um_buf_printf(&b, "%s\n", line);
		free(line);
		json_decref(o);
		free(id);
		free(rel);
	}
	return um_buf_detach(&b);
}

/* The lines every form's suite starts with, up to the seed. */
static void suite_head(ymlemit *w, const char *name, const char *kind, const char *desc,
		       const char *scaffold, const charxiv_result *r)
{
	int k;

	ymlemit_map(w, 1, 0);
	ymlemit_str(w, "umpire");
	ymlemit_int(w, 1);
	ymlemit_kv(w, "name", name);
	ymlemit_kv(w, "version", "1.0");
	ymlemit_kv(w, "kind", kind);
	ymlemit_kv(w, "description", desc);
	ymlemit_str(w, "categories");
	ymlemit_seq(w, 1, 1);
	for (k = 0; k < 4; k++)
		if (r->by_category[k])
			ymlemit_str(w, cat_names[k]);
	ymlemit_seq(w, 0, 1);
	ymlemit_kv(w, "scaffold", scaffold);
	ymlemit_str(w, "repeats");
	ymlemit_int(w, 1);
	ymlemit_str(w, "seed");
	ymlemit_int(w, CHARXIV_SEED);
}

static char *suite_text(const charxiv_opts *o, const char *name, const char *split,
			const char *data_rel, const charxiv_result *r)
{
	ymlemit w;
	char *desc;

	ymlemit_begin(&w, 0,
		      "# Written by `umpire import charxiv` from CharXiv's %s split.\n"
		      "# Multiple-choice form: the incorrect choices are other answers of the same\n"
		      "# instruction category, so scores are not CharXiv's judged free-form\n"
		      "# accuracy and must not be compared with published CharXiv numbers.\n"
		      "# docs/import-charxiv.md.\n",
		      split);
	desc = um_xasprintf("CharXiv reasoning questions (%s split, %zu), each with its chart, as "
			    "multiple choice", split, r->n_items);
	suite_head(&w, name, "mcq", desc, o->scaffold ? o->scaffold : CHARXIV_DEFAULT_SCAFFOLD, r);
	free(desc);
	ymlemit_str(&w, "dataset");
	ymlemit_map(&w, 1, 0);
	ymlemit_kv(&w, "format", "jsonl");
	ymlemit_kv(&w, "path", data_rel);
	ymlemit_kv(&w, "sha256", r->sha256);
	ymlemit_str(&w, "fields");
	ymlemit_map(&w, 1, 0);
	ymlemit_kv(&w, "id", "id");
	ymlemit_kv(&w, "question", "question");
	ymlemit_kv(&w, "correct", "correct");
	ymlemit_kv(&w, "incorrect", "incorrect");
	ymlemit_kv(&w, "category", "category");
	ymlemit_kv(&w, "subcategory", "subject");
	ymlemit_kv(&w, "image", "image");
	ymlemit_map(&w, 0, 0);
	ymlemit_map(&w, 0, 0);
	ymlemit_map(&w, 0, 0);
	return ymlemit_end(&w);
}

/* The judged form: a suite of kind judged reading the release file itself
 * (format charxiv), pinned by the sha256 of its bytes; nothing else written. */
static char *judged_suite_text(const charxiv_opts *o, const char *name, const char *split,
			       const char *json_rel, const charxiv_result *r)
{
	ymlemit w;
	char *desc;

	ymlemit_begin(&w, 0,
		      "# Written by `umpire import charxiv --judged` from CharXiv's %s split:\n"
		      "# CharXiv Reasoning in its judged form (free-form answers graded by the\n"
		      "# scaffold's judge with per-category rules), read from the release file\n"
		      "# as it is, its charts from images/ beside it. docs/judged.md.\n",
		      split);
	desc = um_xasprintf("CharXiv reasoning questions (%s split, %zu), each with its chart, "
			    "graded by a judge", split, r->n_items);
	suite_head(&w, name, "judged", desc, o->scaffold ? o->scaffold : CHARXIV_JUDGED_SCAFFOLD,
		   r);
	free(desc);
	ymlemit_str(&w, "grading");
	ymlemit_map(&w, 1, 0);
	ymlemit_kv(&w, "grader", "judge");
	ymlemit_map(&w, 0, 0);
	ymlemit_str(&w, "dataset");
	ymlemit_map(&w, 1, 0);
	ymlemit_kv(&w, "format", "charxiv");
	ymlemit_kv(&w, "path", json_rel);
	ymlemit_kv(&w, "sha256", r->sha256);
	ymlemit_map(&w, 0, 0);
	ymlemit_map(&w, 0, 0);
	return ymlemit_end(&w);
}

static int write_judged(const charxiv_opts *o, const char *name, const char *split,
			const char *json_path, charxiv_result *r, um_error *err)
{
	char *sdir = dir_of(o->suite_path), *text = NULL, *rel = NULL, *yaml = NULL;
	size_t len;
	int rc = -1;

	if (!is_dir(sdir)) {
		um_fail(err, UM_ERR_IO, "%s: no such directory", sdir);
		goto out;
	}
	if (um_read_file(json_path, &text, &len, err) < 0)
		goto out;
	um_sha256_hex(text, len, r->sha256);
	r->data_path = um_xstrdup(json_path);
	if (!(rel = tbimport_relpath(sdir, json_path))) {
		um_fail(err, UM_ERR_IO, "cannot name %s relative to %s", json_path, sdir);
		goto out;
	}
	if (!(yaml = judged_suite_text(o, name, split, rel, r))) {
		um_fail(err, UM_ERR_INTERNAL, "cannot write the suite YAML");
		goto out;
	}
	rc = um_write_file(o->suite_path, yaml, strlen(yaml), 0644, err);
out:
	free(text);
	free(yaml);
	free(rel);
	free(sdir);
	return rc;
}

/* Check every entry of the release file into *v (sorted by key). */
static int read_entries(const charxiv_opts *o, const char *split, const cx_paths *p,
			cx_entry **out, size_t *n_out, json_t **keep, um_error *err)
{
	char *text;
	json_t *j = read_json(p->json, &text, err), *val;
	const char *key;
	cx_entry *v;
	size_t n = 0, i;

	*out = NULL;
	*n_out = 0;
	*keep = NULL;
	if (!j) {
		free(text);
		return -1;
	}
	if (json_object_size(j) == 0) {
		free(text);
		json_decref(j);
		return um_fail(err, UM_ERR_INVALID, "%s: no questions", p->json);
	}
	v = um_xcalloc(json_object_size(j), sizeof(*v));
	json_object_foreach(j, key, val) {
		if (entry_check(p->json, text, split, key, val, p, &v[n], err) < 0) {
			for (i = 0; i < n; i++) {
				free(v[i].image);
				free(v[i].fold);
			}
			free(v);
			free(text);
			json_decref(j);
			return -1;
		}
		n++;
	}
	free(text);
	qsort(v, n, sizeof(*v), cmp_key);
	*out = v;
	*n_out = n;
	*keep = j;
	return 0;
}

static int write_outputs(const charxiv_opts *o, const char *name, const char *split,
			 const cx_entry *v, size_t n, charxiv_result *r, um_error *err)
{
	char *sdir = dir_of(o->suite_path), *ddir, *text, *rel = NULL, *yaml = NULL;
	int rc = -1;

	r->data_path = o->data_path ? um_xstrdup(o->data_path)
				    : um_xasprintf("%s/%s.jsonl", sdir, name);
	ddir = dir_of(r->data_path);
	if (!is_dir(sdir) || !is_dir(ddir)) {
		um_fail(err, UM_ERR_IO, "%s: no such directory", is_dir(sdir) ? ddir : sdir);
		goto out;
	}
	if (!(text = jsonl_text(v, n, split, ddir, err)))
		goto out;
	um_sha256_hex(text, strlen(text), r->sha256);
	rc = um_write_file(r->data_path, text, strlen(text), 0644, err);
	free(text);
	if (rc < 0)
		goto out;
	rc = -1;
	if (!(rel = tbimport_relpath(sdir, r->data_path))) {
		um_fail(err, UM_ERR_IO, "cannot name %s relative to %s", r->data_path, sdir);
		goto out;
	}
	if (!(yaml = suite_text(o, name, split, rel, r))) {
		um_fail(err, UM_ERR_INTERNAL, "cannot write the suite YAML");
		goto out;
	}
	rc = um_write_file(o->suite_path, yaml, strlen(yaml), 0644, err);
out:
	free(yaml);
	free(rel);
	free(ddir);
	free(sdir);
	return rc;
}

int charxiv_import(const charxiv_opts *o, charxiv_result *r, um_error *err)
{
	const char *split = o->split ? o->split : "val";
	const char *name = o->name		     ? o->name
			   : o->judged ? CHARXIV_JUDGED_NAME
				       : CHARXIV_DEFAULT_NAME;
	int want = o->n_choices ? o->n_choices : 4;
	cx_paths p = {NULL, NULL, NULL};
	cx_entry *v = NULL;
	json_t *doc = NULL, *meta = NULL;
	size_t n = 0, i;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (strcmp(split, "val") != 0 && strcmp(split, "test") != 0)
		return um_fail(err, UM_ERR_USAGE, "split must be val or test, got '%s'", split);
	if (want < 2 || want > 5)
		return um_fail(err, UM_ERR_USAGE, "choices must be 2 to 5, got %d", want);
	if (!o->source || !o->suite_path)
		return um_fail(err, UM_ERR_USAGE, "a source and a suite file are needed");
	if (o->judged && (o->images_dir || o->data_path || o->n_choices))
		return um_fail(err, UM_ERR_USAGE, "the judged form reads the release as it is "
			       "(images/ beside data/): --images, --data and --choices do not "
			       "apply");
	paths_for(o, split, &p);
	if (read_entries(o, split, &p, &v, &n, &doc, err) < 0 ||
	    read_subjects(p.meta, v, n, &meta, err) < 0)
		goto out;
	if (o->judged) {
		for (i = 0; i < n; i++)
			r->by_category[v[i].inst - 1]++;
		r->n_items = n;
		rc = write_judged(o, name, split, p.json, r, err);
		goto out;
	}
	pick_distractors(v, n, want - 1, &r->n_short);
	for (i = 0; i < n; i++) {
		if (v[i].n_pick == 0) {
			um_fail(err, UM_ERR_INVALID, "%s: entry \"%s\": no other answer of its "
				"category (%s) to offer as an incorrect choice", p.json, v[i].key,
				cat_names[v[i].inst - 1]);
			goto out;
		}
		r->by_category[v[i].inst - 1]++;
	}
	r->n_items = n;
	rc = write_outputs(o, name, split, v, n, r, err);
out:
	for (i = 0; i < n; i++) {
		free(v[i].image);
		free(v[i].fold);
	}
	free(v);
	json_decref(doc);
	json_decref(meta);
	free(p.json);
	free(p.meta);
	free(p.images);
	return rc;
}

void charxiv_result_release(charxiv_result *r)
{
	free(r->data_path);
	memset(r, 0, sizeof(*r));
}
