/*
 * sweimport.c - SWE-Bench Pro instances into a umpire suite of kind swe, and
 * vendors' prediction files into umpire's normalised predictions (see
 * sweimport.h; field mappings in docs/import-swe.md).
 *
 * The instance import reads the whole JSONL first and validates every line
 * (JSON syntax with line and column, required fields, types, the
 * Python-literal test lists, duplicate ids naming both lines); only then are
 * the task directories written, into a staging directory inside the tasks
 * directory, and moved into place; the suite YAML comes last, written with
 * libyaml's emitter so that any test name survives quoting.
 *
 * Prediction files come in several shapes (JSON lines, an array, an object
 * keyed by instance id, umpire's own). Each is reduced to a list of
 * (instance id, patch) entries that remember where they came from, so that a
 * malformed or duplicate entry is named by its line, index or key.
 */
#include "import/sweimport.h"

#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "grade/swe_grade.h"
#include "import/tbimport.h"
#include "base/util.h"
#include "load/yml.h"
#include "base/ymlemit.h"

#define MAX_IGNORED 256  /* distinct unknown field names remembered */
#define ID_MAX 200

/* ---- shared helpers -------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Remember an unknown field name once. */
static void note_ignored(char ***list, size_t *n, const char *name)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*list)[i], name))
			return;
	if (*n >= MAX_IGNORED)
		return;
	*list = um_xrealloc(*list, (*n + 1) * sizeof(char *));
	(*list)[(*n)++] = um_xstrdup(name);
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

/* Read an input file after checking its size. */
static int read_input(const char *path, char **data, size_t *len, um_error *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return um_fail(err, UM_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return um_fail(err, UM_ERR_IO, "%s: is a directory, not a file", path);
	if ((uint64_t)st.st_size > SWEIMPORT_MAX_BYTES)
		return um_fail(err, UM_ERR_INVALID, "%s: %lld bytes is over the limit of %llu",
			       path, (long long)st.st_size,
			       (unsigned long long)SWEIMPORT_MAX_BYTES);
	return um_read_file(path, data, len, err);
}

/* Iterate over the lines of a buffer: *line is 1-based; the line's text is
 * [*s, *s + *len) without its "\n" or "\r\n". Returns 0 at the end. */
typedef struct line_iter {
	const char *p, *end;
	int line;
} line_iter;

static void line_iter_init(line_iter *it, const char *data, size_t len)
{
	it->p = data;
	it->end = data + len;
	it->line = 0;
	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
		it->p += 3;
}

static int line_next(line_iter *it, const char **s, size_t *len)
{
	const char *nl;

	if (it->p >= it->end)
		return 0;
	nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	*s = it->p;
	*len = (size_t)((nl ? nl : it->end) - it->p);
	it->p = nl ? nl + 1 : it->end;
	if (*len && (*s)[*len - 1] == '\r')
		(*len)--;
	it->line++;
	return 1;
}

static int blank_n(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n' && s[i] != '\f' &&
		    s[i] != '\v')
			return 0;
	return 1;
}

static int blank(const char *s)
{
	return blank_n(s, strlen(s));
}

/* One JSON value from one line, with "file:line:col:" on a syntax error. */
static json_t *parse_line(const char *file, int line, const char *s, size_t len, um_error *err)
{
	json_error_t je;
	json_t *v = json_loadb(s, len, JSON_REJECT_DUPLICATES, &je);

	if (!v)
		um_fail_at(err, UM_ERR_SYNTAX, file, line, je.column > 0 ? je.column : 1,
			   "malformed JSON: %s", je.text);
	return v;
}

static int has_ctl_or_space(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 1;
	return 0;
}

/* Safe as a directory name and a YAML id. */
static int valid_id(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > ID_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* ---- images and parsers ---------------------------------------------------- */

static int is_digest(const char *d)
{
	size_t i;

	if (strncmp(d, "sha256:", 7))
		return 0;
	d += 7;
	for (i = 0; d[i]; i++)
		if (!((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f')))
			return 0;
	return i == 64;
}

/* Docker's tag grammar: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
static int is_tag(const char *t, size_t n)
{
	static const char ok[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	size_t i;

	if (!n || n > 128 || t[0] == '.' || t[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!strchr(ok, t[i]) || !t[i])
			return 0;
	return 1;
}

char *sweimport_image_ref(const char *tag)
{
	const char *at;
	size_t name_len;

	if (!tag || !*tag || has_ctl_or_space(tag))
		return NULL;
	if (um_has_prefix(tag, "sha256:"))
		return is_digest(tag) ? um_xasprintf("%s@%s", SWEIMPORT_IMAGE_REPO, tag) : NULL;
	at = strchr(tag, '@');
	if (at && !is_digest(at + 1))
		return NULL;
	name_len = at ? (size_t)(at - tag) : strlen(tag);
	if (!name_len)
		return NULL;
	if (memchr(tag, '/', name_len) || memchr(tag, ':', name_len))
		return um_xstrdup(tag); /* a full reference: kept as given */
	if (!is_tag(tag, name_len))
		return NULL;
	return um_xasprintf("%s:%s", SWEIMPORT_IMAGE_REPO, tag);
}

const char *sweimport_log_parser(const char *language)
{
	static const struct {
		const char *lang, *parser;
	} map[] = {
		{"python", "pytest"}, {"py", "pytest"},
		{"go", "go_test"}, {"golang", "go_test"},
		{"js", "jest_json"}, {"javascript", "jest_json"},
		{"ts", "jest_json"}, {"typescript", "jest_json"},
	};
	size_t i;

	if (!language)
		return NULL;
	for (i = 0; i < UM_ARRAY_LEN(map); i++)
		if (!strcasecmp(language, map[i].lang))
			return map[i].parser;
	return NULL;
}

/* ---- reading instances ----------------------------------------------------- */

typedef struct inst {
	int line;
	char *id, *repo, *base_commit, *language;
	char *problem, *requirements, *interface;
	char *patch, *test_patch, *before_cmd, *tag, *test_command;
	char **f2p, **p2p, **files, **selected;
	size_t n_f2p, n_p2p, n_files, n_selected;
	int has_files;
	char *image, *category, *unsupported;
	const char *parser, *dialect;
} inst;

static void inst_release(inst *x)
{
	free(x->id);
	free(x->repo);
	free(x->base_commit);
	free(x->language);
	free(x->problem);
	free(x->requirements);
	free(x->interface);
	free(x->patch);
	free(x->test_patch);
	free(x->before_cmd);
	free(x->tag);
	free(x->test_command);
	free_strv(x->f2p, x->n_f2p);
	free_strv(x->p2p, x->n_p2p);
	free_strv(x->files, x->n_files);
	free_strv(x->selected, x->n_selected);
	free(x->image);
	free(x->category);
	free(x->unsupported);
	memset(x, 0, sizeof(*x));
}

/* The fields of the public dataset. Upper-case test lists are the names
 * SWE-bench and the SWE-Bench Pro CSV use. */
static const char *const known_fields[] = {
	"instance_id", "repo", "base_commit", "problem_statement", "requirements", "interface",
	"patch", "test_patch", "fail_to_pass", "pass_to_pass", "FAIL_TO_PASS", "PASS_TO_PASS",
	"selected_test_files_to_run", "before_repo_set_cmd", "dockerhub_tag", "repo_language",
	"test_command",
	/* in the public dataset, not used by a task */
	"issue_specificity", "issue_categories",
};

typedef struct rd {
	const char *file;
	inst *x;
	json_t *obj;
	um_error *err;
} rd;

/* "file:line: instance ID: field 'f': <msg>" */
static int rd_fail(const rd *r, um_err code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int rd_fail(const rd *r, um_err code, const char *field, const char *fmt, ...)
{
	char msg[1024];
	char *pre;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pre = um_xasprintf("%s%s%s%s%s%s", r->x->id ? "instance " : "", r->x->id ? r->x->id : "",
			   r->x->id ? ": " : "", field ? "field '" : "", field ? field : "",
			   field ? "': " : "");
	um_fail_at(r->err, code, r->file, r->x->line, 0, "%s%s", pre, msg);
	free(pre);
	return -1;
}

/* The value of name or of its alias; a JSON null counts as absent. */
static int rd_get(const rd *r, const char *name, const char *alias, json_t **out)
{
	json_t *a = json_object_get(r->obj, name);
	json_t *b = alias ? json_object_get(r->obj, alias) : NULL;

	if (a && json_is_null(a))
		a = NULL;
	if (b && json_is_null(b))
		b = NULL;
	if (a && b)
		return rd_fail(r, UM_ERR_INVALID, name, "given twice, also as '%s'", alias);
	*out = a ? a : b;
	return 0;
}

static int rd_str(const rd *r, const char *name, int required, int nonempty, char **out)
{
	json_t *v;

	if (rd_get(r, name, NULL, &v) < 0)
		return -1;
	if (!v)
		return required ? rd_fail(r, UM_ERR_INVALID, name, "is missing") : 0;
	if (!json_is_string(v))
		return rd_fail(r, UM_ERR_INVALID, name, "must be a string, found %s", json_kind(v));
	if (nonempty && blank(json_string_value(v)))
		return rd_fail(r, UM_ERR_INVALID, name, "is empty");
	*out = um_xstrdup(json_string_value(v));
	return 0;
}

/* A list of names: a JSON array of strings, or a string holding a Python
 * (or JSON) list literal, as the dataset stores them. */
static int rd_list(const rd *r, const char *name, const char *alias, int required, char ***out,
		   size_t *n_out, int *present)
{
	json_t *v, *e;
	char **names = NULL;
	size_t n = 0, i;

	if (rd_get(r, name, alias, &v) < 0)
		return -1;
	if (!v)
		return required ? rd_fail(r, UM_ERR_INVALID, name, "is missing") : 0;
	if (present)
		*present = 1;
	if (json_is_array(v)) {
		names = um_xcalloc(json_array_size(v) + 1, sizeof(char *));
		json_array_foreach(v, i, e) {
			if (!json_is_string(e)) {
				free_strv(names, n);
				return rd_fail(r, UM_ERR_INVALID, name,
					       "item %zu must be a string, found %s", i + 1,
					       json_kind(e));
			}
			names[n++] = um_xstrdup(json_string_value(e));
		}
	} else if (json_is_string(v)) {
		um_error pe = {0};

		if (!blank(json_string_value(v)) &&
		    swe_parse_name_list(json_string_value(v), &names, &n, &pe) < 0)
			return rd_fail(r, UM_ERR_INVALID, name, "%s", pe.msg);
	} else {
		return rd_fail(r, UM_ERR_INVALID, name,
			       "must be a list (a JSON array, or a string holding a list literal), "
			       "found %s", json_kind(v));
	}
	*out = names;
	*n_out = n;
	for (i = 0; i < n; i++)
		if (!*names[i])
			return rd_fail(r, UM_ERR_INVALID, name, "item %zu is an empty name", i + 1);
	return 0;
}

/* A path inside the repository: relative, no "..", no control characters. */
static int valid_relpath(const char *s)
{
	const char *c = s;

	if (!*s || *s == '/')
		return 0;
	for (; *c; c++)
		if ((unsigned char)*c < ' ' || *c == 0x7f)
			return 0;
	for (c = s; c;) {
		if (!strncmp(c, "..", 2) && (c[2] == '/' || !c[2]))
			return 0;
		c = strchr(c, '/');
		if (c)
			c++;
	}
	return 1;
}

/* The neutral parser nearest to the official parser.py of a repository's
 * instances (the official parsers are per repository; docs/import-swe.md). */
static void repo_parser(const char *repo, const char **parser, const char **dialect)
{
	static const struct {
		const char *repo, *parser, *dialect;
	} map[] = {
		{"NodeBB/NodeBB", "mocha_json", NULL},
		{"ansible/ansible", "pytest", "ansible"},
		{"internetarchive/openlibrary", "pytest", "first_blank"},
		{"qutebrowser/qutebrowser", "pytest", NULL},
		{"tutao/tutanota", "ospec", NULL},
		{"element-hq/element-web", "jest_json", NULL},
	};
	size_t i;

	for (i = 0; i < UM_ARRAY_LEN(map); i++)
		if (!strcasecmp(repo, map[i].repo)) {
			*parser = map[i].parser;
			*dialect = map[i].dialect;
			return;
		}
}

/* selected_test_files_to_run as the official harness uses it: the list is
 * kept verbatim (joined by commas, it is run_script.sh's argument). For the
 * neutral profile's test_files: "/app/" (the repository in the images) is
 * dropped from absolute paths; in Go rows an entry that does not end in
 * ".go" is a test name (run_script.sh makes them a -run pattern), not a
 * file. */
static int split_test_files(const rd *r)
{
	inst *x = r->x;
	int go = x->language && !strcasecmp(x->language, "go");
	size_t i, k = 0;

	x->selected = x->files;
	x->n_selected = x->n_files;
	x->files = um_xcalloc(x->n_selected + 1, sizeof(char *));
	x->n_files = 0;
	for (i = 0; i < x->n_selected; i++) {
		const char *f = x->selected[i];
		size_t n = strlen(f);

		if (!strncmp(f, "/app/", 5))
			f += 5;
		else if (go && (n < 3 || strcmp(f + n - 3, ".go")))
			continue; /* a Go test name ("TestX", "TestX/sub case") */
		if (!valid_relpath(f))
			return rd_fail(r, UM_ERR_INVALID, "selected_test_files_to_run",
				       "item %zu, '%s', is not a path inside the repository "
				       "(relative, or under /app/)",
				       i + 1, x->selected[i]);
		for (k = 0; k < x->n_files && strcmp(x->files[k], f); k++)
			;
		if (k == x->n_files)
			x->files[x->n_files++] = um_xstrdup(f);
	}
	return 0;
}

static void inst_derive(inst *x)
{
	um_buf u;

	x->category = um_xstrdup(x->language);
	if (x->image) {
		x->unsupported = NULL; /* the official profile grades it in its image */
		return;
	}
	um_buf_init(&u, 0);
	um_buf_puts(&u, "needs container image: the dataset names none (no dockerhub_tag), "
			"and the repository and its test environment are not here");
	if (!x->test_command)
		um_buf_puts(&u, "; the test command is not in the dataset (SWE-Bench Pro runs each "
				"instance's run_script.sh from its harness)");
	x->unsupported = um_buf_detach(&u);
}

static int inst_read(const char *file, int line, json_t *obj, inst *x, char ***ignored,
		     size_t *n_ignored, um_error *err)
{
	rd r = {file, x, obj, err};
	const char *key;
	json_t *val;
	size_t i, k;
	char *bad;

	x->line = line;
	if (rd_str(&r, "instance_id", 1, 1, &x->id) < 0)
		return -1;
	if (!valid_id(x->id)) {
		bad = x->id;
		x->id = NULL;
		rd_fail(&r, UM_ERR_INVALID, "instance_id",
			"'%s' cannot be a task id (letters, digits, '.', '_' and '-', at most %d, "
			"not starting with '.' or '-')", bad, ID_MAX);
		free(bad);
		return -1;
	}
	if (rd_str(&r, "repo", 1, 1, &x->repo) < 0)
		return -1;
	if (has_ctl_or_space(x->repo))
		return rd_fail(&r, UM_ERR_INVALID, "repo", "'%s' is not a repository name",
			       x->repo);
	if (rd_str(&r, "base_commit", 1, 1, &x->base_commit) < 0)
		return -1;
	if (has_ctl_or_space(x->base_commit) || x->base_commit[0] == '-')
		return rd_fail(&r, UM_ERR_INVALID, "base_commit", "'%s' is not a commit",
			       x->base_commit);
	if (rd_str(&r, "problem_statement", 1, 1, &x->problem) < 0 ||
	    rd_str(&r, "requirements", 0, 0, &x->requirements) < 0 ||
	    rd_str(&r, "interface", 0, 0, &x->interface) < 0 ||
	    rd_str(&r, "patch", 1, 1, &x->patch) < 0 ||
	    rd_str(&r, "test_patch", 1, 1, &x->test_patch) < 0)
		return -1;
	if (rd_list(&r, "fail_to_pass", "FAIL_TO_PASS", 1, &x->f2p, &x->n_f2p, NULL) < 0)
		return -1;
	if (!x->n_f2p)
		return rd_fail(&r, UM_ERR_INVALID, "fail_to_pass",
			       "is empty: a task needs at least one test that the fix makes pass");
	if (rd_list(&r, "pass_to_pass", "PASS_TO_PASS", 1, &x->p2p, &x->n_p2p, NULL) < 0 ||
	    rd_list(&r, "selected_test_files_to_run", NULL, 0, &x->files, &x->n_files,
		    &x->has_files) < 0)
		return -1;
	if (rd_str(&r, "before_repo_set_cmd", 0, 0, &x->before_cmd) < 0 ||
	    rd_str(&r, "dockerhub_tag", 0, 0, &x->tag) < 0 ||
	    rd_str(&r, "repo_language", 0, 1, &x->language) < 0 ||
	    rd_str(&r, "test_command", 0, 1, &x->test_command) < 0 || split_test_files(&r) < 0)
		return -1;
	if (x->tag && !blank(x->tag)) {
		x->image = sweimport_image_ref(x->tag);
		if (!x->image)
			return rd_fail(&r, UM_ERR_INVALID, "dockerhub_tag",
				       "'%s' is neither an image tag nor an image reference",
				       x->tag);
	}
	/* the log parser follows the language; a suite task needs one */
	if (!x->language)
		return rd_fail(&r, UM_ERR_INVALID, "repo_language",
			       "is missing: it chooses the log parser (python, go, js or ts)");
	x->parser = sweimport_log_parser(x->language);
	repo_parser(x->repo, &x->parser, &x->dialect);
	if (!x->parser)
		return rd_fail(&r, UM_ERR_INVALID, "repo_language",
			       "'%s' has no known log parser (python, go, js or ts)", x->language);
	for (i = 0; x->language[i]; i++)
		if (x->language[i] >= 'A' && x->language[i] <= 'Z')
			x->language[i] = (char)(x->language[i] - 'A' + 'a');
	json_object_foreach(obj, key, val) {
		for (k = 0; k < UM_ARRAY_LEN(known_fields) && strcmp(key, known_fields[k]); k++)
			;
		if (k == UM_ARRAY_LEN(known_fields))
			note_ignored(ignored, n_ignored, key);
	}
	inst_derive(x);
	return 0;
}

static int cmp_inst(const void *a, const void *b)
{
	const inst *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* A bad row: its message (file:line: instance: field: why) kept, the row
 * skipped. */
static void skip_row(char ***skipped, size_t *n_skipped, const char *msg)
{
	*skipped = um_xrealloc(*skipped, (*n_skipped + 1) * sizeof(char *));
	(*skipped)[(*n_skipped)++] = um_xstrdup(msg);
}

/* One line read into v[*n] (n grows) or skipped with its reason. */
static void read_row(const char *file, int line, const char *s, size_t sl, inst **v,
		     size_t *n, size_t *cap, sweimport_result *r)
{
	um_error e = {0};
	json_t *obj = parse_line(file, line, s, sl, &e);

	if (obj && !json_is_object(obj))
		um_fail_at(&e, UM_ERR_INVALID, file, line, 0,
			   "expected a JSON object (one instance a line), found %s", json_kind(obj));
	if (obj && json_is_object(obj)) {
		um_xgrow((void **)v, cap, *n + 1, sizeof(inst));
		memset(&(*v)[*n], 0, sizeof(inst));
		if (inst_read(file, line, obj, &(*v)[*n], &r->ignored, &r->n_ignored, &e) == 0)
			(*n)++;
		else
			inst_release(&(*v)[*n]);
	}
	if (e.code != UM_OK)
		skip_row(&r->skipped, &r->n_skipped, e.msg);
	json_decref(obj);
}

/* Read every line; a bad line is reported in r->skipped and left out, a
 * duplicate instance_id keeps its first line. *out is sorted by id. Fails
 * only on I/O, on too many lines, or when no line is good. */
static int read_instances(const char *file, inst **out, size_t *n_out, sweimport_result *r,
			  um_error *err)
{
	char *data = NULL;
	size_t len = 0, n = 0, cap = 0, i, kept = 0;
	inst *v = NULL;
	line_iter it;
	const char *s;
	size_t sl;

	*out = NULL;
	*n_out = 0;
	if (read_input(file, &data, &len, err) < 0)
		return -1;
	line_iter_init(&it, data, len);
	while (line_next(&it, &s, &sl)) {
		if (blank_n(s, sl))
			continue;
		if (n + r->n_skipped >= SWEIMPORT_MAX_ITEMS) {
			um_fail_at(err, UM_ERR_INVALID, file, it.line, 0, "more than %d instances",
				   SWEIMPORT_MAX_ITEMS);
			free(data);
			for (i = 0; i < n; i++)
				inst_release(&v[i]);
			free(v);
			return -1;
		}
		read_row(file, it.line, s, sl, &v, &n, &cap, r);
	}
	free(data);
	qsort(v, n, sizeof(inst), cmp_inst);
	for (i = 0; i < n; i++) {
		if (kept > 0 && !strcmp(v[kept - 1].id, v[i].id)) {
			char *m = um_xasprintf("%s:%d: instance %s: field 'instance_id': a duplicate "
					       "(first at line %d); this line is skipped",
					       file, v[i].line, v[i].id, v[kept - 1].line);
			skip_row(&r->skipped, &r->n_skipped, m);
			free(m);
			inst_release(&v[i]);
			continue;
		}
		if (kept != i)
			v[kept] = v[i];
		kept++;
	}
	if (kept == 0) {
		free(v);
		if (r->n_skipped)
			return um_fail(err, UM_ERR_INVALID, "%s: no instance could be imported (%zu "
				       "bad line%s; the first: %s)", file, r->n_skipped,
				       r->n_skipped == 1 ? "" : "s", r->skipped[0]);
		return um_fail(err, UM_ERR_INVALID, "%s: no instances in the file", file);
	}
	*out = v;
	*n_out = kept;
	return 0;
}

/* ---- writing tasks --------------------------------------------------------- */

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return (flag == FTW_DP ? rmdir(p) : unlink(p)) < 0 && errno != ENOENT ? -1 : 0;
}

/* rm -rf without following symlinks. */
static int rm_tree(const char *p)
{
	struct stat st;

	if (lstat(p, &st) < 0)
		return 0;
	return nftw(p, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int write_text(const char *dir, const char *name, const char *text, um_error *err)
{
	char *p = um_xasprintf("%s/%s", dir, name);
	int rc = um_write_file(p, text, strlen(text), 0644, err);

	free(p);
	return rc;
}

static char *note_text(const inst *x, const char *source)
{
	um_buf b;

	um_buf_init(&b, 0);
	um_buf_printf(&b, "# %s\n\nImported by `umpire import swe-bench-pro` from %s, line %d.\n\n",
		      x->id, source, x->line);
	um_buf_printf(&b, "- upstream repository: %s\n- base commit: %s\n- language: %s\n",
		      x->repo, x->base_commit, x->category);
	um_buf_printf(&b, "- container image: %s\n", x->image ? x->image : "(none given)");
	um_buf_printf(&b, "- neutral log parser: %s%s%s (the official grading runs the "
		      "instance's parser.py)\n", x->parser, x->dialect ? ", dialect " : "",
		      x->dialect ? x->dialect : "");
	um_buf_printf(&b, "- tests that must start passing: %zu; that must keep passing: %zu\n",
		      x->n_f2p, x->n_p2p);
	if (x->unsupported)
		um_buf_printf(&b, "\n## Why this task cannot run here\n\n%s.\n", x->unsupported);
	else
		um_buf_printf(&b, "\n## How it is graded\n\nIn its image (%s, whose /app is the "
			      "repository at its base commit), by the official profile: `umpire run "
			      "SUITE --sandbox-driver podman --swe-scripts DIR --oracle` (or "
			      "`--predictions FILE`), DIR a checkout of SWE-Bench Pro's repository "
			      "(docs/swe-grading.md).\n", x->image);
	if (!x->test_command)
		um_buf_puts(&b,
			    "\n## The test command\n\n"
			    "The dataset does not hold one, so `test_command` is left unset. "
			    "SWE-Bench Pro's harness checks out the base commit inside the image, "
			    "applies the model's patch, runs the last line of before_repo_set_cmd "
			    "(kept here as before_repo_set_cmd.sh) to restore the test files from "
			    "the gold tree, then runs the instance's run_script.sh on "
			    "selected_test_files_to_run and reads the log with the instance's "
			    "parser.py. Those scripts ship with the harness, not the dataset; the "
			    "log parser named above is umpire's nearest equivalent.\n");
	return um_buf_detach(&b);
}

static int write_task(const inst *x, const char *dir, const char *source, um_error *err)
{
	char *note;
	int rc;

	if (mkdir(dir, 0755) < 0)
		return um_fail(err, UM_ERR_IO, "%s: cannot create directory: %s", dir,
			       strerror(errno));
	if (write_text(dir, "problem_statement.md", x->problem, err) < 0 ||
	    write_text(dir, "requirements.md", x->requirements ? x->requirements : "", err) < 0 ||
	    write_text(dir, "interface.md", x->interface ? x->interface : "", err) < 0 ||
	    write_text(dir, "gold.patch", x->patch, err) < 0 ||
	    write_text(dir, "test.patch", x->test_patch, err) < 0 ||
	    (x->before_cmd && write_text(dir, "before_repo_set_cmd.sh", x->before_cmd, err) < 0))
		return -1;
	note = note_text(x, source);
	rc = write_text(dir, "NOTE.md", note, err);
	free(note);
	return rc;
}

/* ---- the suite file -------------------------------------------------------- */

static char *suite_text(const char *name, const char *scaffold, const char *source,
			const char *prefix, const inst *v, size_t n)
{
	char **cats = um_xcalloc(n + 1, sizeof(char *));
	size_t nc = 0, i, j;
	char *desc, *dir;
	ymlemit w;

	for (i = 0; i < n; i++) {
		for (j = 0; j < nc && strcmp(cats[j], v[i].category); j++)
			;
		if (j == nc)
			cats[nc++] = v[i].category;
	}
	qsort(cats, nc, sizeof(char *), cmp_str);
	ymlemit_begin(&w, 0,
		      "# Written by `umpire import swe-bench-pro` from %s.\n"
		      "# Every task runs in its container image (official grading: --swe-scripts,\n"
		      "# --sandbox-driver podman or docker); see each task's NOTE.md. Field\n"
		      "# mapping: docs/import-swe.md.\n",
		      source);
	ymlemit_map(&w, 1, 0);
	ymlemit_str(&w, "umpire");
	ymlemit_int(&w, 1);
	ymlemit_kv(&w, "name", name);
	ymlemit_kv(&w, "version", "1.0");
	ymlemit_kv(&w, "kind", "swe");
	desc = um_xasprintf("SWE-Bench Pro instances imported from %s (%zu)", source, n);
	ymlemit_kv(&w, "description", desc);
	free(desc);
	ymlemit_str(&w, "categories");
	ymlemit_seq(&w, 1, 1);
	for (i = 0; i < nc; i++)
		ymlemit_str(&w, cats[i]);
	ymlemit_seq(&w, 0, 1);
	ymlemit_kv(&w, "scaffold", scaffold);
	ymlemit_str(&w, "repeats");
	ymlemit_int(&w, 1);
	ymlemit_str(&w, "seed");
	ymlemit_int(&w, 1);
	ymlemit_str(&w, "swe");
	ymlemit_map(&w, 1, 0);
	ymlemit_kv(&w, "grading", "official");
	ymlemit_map(&w, 0, 0);
	ymlemit_str(&w, "tasks");
	ymlemit_seq(&w, 1, 0);
	for (i = 0; i < n; i++) {
		const inst *x = &v[i];

		ymlemit_map(&w, 1, 0);
		ymlemit_kv(&w, "id", x->id);
		dir = um_xasprintf("%s/%s", prefix, x->id);
		ymlemit_kv(&w, "dir", dir);
		free(dir);
		ymlemit_kv(&w, "category", x->category);
		ymlemit_kv(&w, "base_commit", x->base_commit);
		ymlemit_kv(&w, "problem_statement", "problem_statement.md");
		/* always both: the official template has both sections */
		ymlemit_kv(&w, "requirements", "requirements.md");
		ymlemit_kv(&w, "interface", "interface.md");
		ymlemit_kv(&w, "gold_patch", "gold.patch");
		ymlemit_kv(&w, "test_patch", "test.patch");
		if (x->has_files && x->n_files)
			ymlemit_list(&w, "test_files", x->files, x->n_files);
		if (x->has_files)
			ymlemit_list(&w, "selected_test_files", x->selected, x->n_selected);
		if (x->before_cmd)
			ymlemit_kv(&w, "before_repo_set_cmd", "before_repo_set_cmd.sh");
		if (x->test_command)
			ymlemit_kv(&w, "test_command", x->test_command);
		ymlemit_kv(&w, "log_parser", x->parser);
		if (x->dialect)
			ymlemit_kv(&w, "log_dialect", x->dialect);
		ymlemit_list(&w, "fail_to_pass", x->f2p, x->n_f2p);
		ymlemit_list(&w, "pass_to_pass", x->p2p, x->n_p2p);
		if (x->image)
			ymlemit_kv(&w, "image", x->image);
		if (x->unsupported)
			ymlemit_kv(&w, "unsupported", x->unsupported);
		ymlemit_map(&w, 0, 0);
	}
	ymlemit_seq(&w, 0, 0);
	ymlemit_map(&w, 0, 0);
	free(cats);
	return ymlemit_end(&w);
}

/* ---- the import ------------------------------------------------------------ */

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return um_xstrdup(".");
	if (slash == path)
		return um_xstrdup("/");
	return um_xstrndup(path, (size_t)(slash - path));
}

/* The suite file's name without .yaml / .yml. */
static char *stem_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t n = strlen(base);

	if (n > 5 && !strcmp(base + n - 5, ".yaml"))
		n -= 5;
	else if (n > 4 && !strcmp(base + n - 4, ".yml"))
		n -= 4;
	return um_xstrndup(base, n);
}

static int is_directory(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int path_exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

/* Write the task directories: staged, then moved into tasks_dir. */
static int publish(const char *tasks_dir, const char *source, const inst *v, size_t n,
		   um_error *err)
{
	char *marker = um_xasprintf("%s/%s", tasks_dir, SWEIMPORT_MARKER);
	char *stage = um_xasprintf("%s/.sweimport-XXXXXX", tasks_dir);
	int marked = path_exists(marker), rc = 0;
	size_t i;

	for (i = 0; i < n && rc == 0; i++) {
		char *dst = um_xasprintf("%s/%s", tasks_dir, v[i].id);
		if (path_exists(dst) && !marked)
			rc = um_fail(err, UM_ERR_STATE,
				     "%s already exists and was not written by an import (no %s "
				     "in %s); move it away or choose another --tasks-dir",
				     dst, SWEIMPORT_MARKER, tasks_dir);
		free(dst);
	}
	if (rc == 0 && !mkdtemp(stage))
		rc = um_fail(err, UM_ERR_IO, "%s: cannot create a staging directory: %s",
			     tasks_dir, strerror(errno));
	else if (rc < 0)
		stage[0] = '\0';
	for (i = 0; i < n && rc == 0; i++) {
		char *d = um_xasprintf("%s/%s", stage, v[i].id);
		rc = write_task(&v[i], d, source, err);
		free(d);
	}
	if (rc == 0 && !marked)
		rc = um_write_file(marker, "written by umpire import\n",
				   strlen("written by umpire import\n"), 0644, err);
	for (i = 0; i < n && rc == 0; i++) {
		char *d = um_xasprintf("%s/%s", stage, v[i].id);
		char *dst = um_xasprintf("%s/%s", tasks_dir, v[i].id);

		if (rm_tree(dst) < 0)
			rc = um_fail(err, UM_ERR_IO, "%s: cannot remove the earlier import: %s",
				     dst, strerror(errno));
		else if (rename(d, dst) < 0)
			rc = um_fail(err, UM_ERR_IO, "%s: cannot move into place: %s", dst,
				     strerror(errno));
		free(d);
		free(dst);
	}
	if (stage[0])
		rm_tree(stage);
	free(stage);
	free(marker);
	return rc;
}

int sweimport_run(const sweimport_opts *o, sweimport_result *r, um_error *err)
{
	inst *v = NULL;
	size_t n = 0, i;
	char *name = NULL, *suite_dir = NULL, *prefix = NULL, *text = NULL;
	int rc = -1;
	yml_doc *check;

	memset(r, 0, sizeof(*r));
	if (!o || !o->source || !o->suite_path)
		return um_fail(err, UM_ERR_USAGE,
			       "import: a source file and a suite path are needed");
	name = o->name ? um_xstrdup(o->name) : stem_of(o->suite_path);
	if (!valid_id(name)) {
		um_fail(err, UM_ERR_USAGE,
			"'%s' cannot be a suite name (letters, digits, '.', '_' and '-')", name);
		goto out;
	}
	if (read_instances(o->source, &v, &n, r, err) < 0)
		goto out;
	if (r->n_ignored)
		qsort(r->ignored, r->n_ignored, sizeof(char *), cmp_str);
	suite_dir = dir_of(o->suite_path);
	r->tasks_dir = o->tasks_dir ? um_xstrdup(o->tasks_dir)
				    : um_xasprintf("%s/%s", suite_dir, name);
	if (!is_directory(suite_dir)) {
		um_fail(err, UM_ERR_IO, "%s: the directory of the suite file does not exist "
			"(create it first: -o does not create directories)", suite_dir);
		goto out;
	}
	if (um_mkdir_p(r->tasks_dir, err) < 0)
		goto out;
	prefix = tbimport_relpath(suite_dir, r->tasks_dir);
	if (!prefix) {
		um_fail(err, UM_ERR_IO, "%s: cannot resolve the tasks directory", r->tasks_dir);
		goto out;
	}
	text = suite_text(name, o->scaffold ? o->scaffold : SWEIMPORT_DEFAULT_SCAFFOLD,
			  o->source, prefix, v, n);
	if (!text) {
		um_fail(err, UM_ERR_INTERNAL, "%s: the YAML emitter failed", o->suite_path);
		goto out;
	}
	/* what we emit must read back */
	check = yml_load_buffer(o->suite_path, text, strlen(text), err);
	if (!check)
		goto out;
	yml_doc_free(check);
	if (publish(r->tasks_dir, o->source, v, n, err) < 0 ||
	    um_write_file(o->suite_path, text, strlen(text), 0644, err) < 0)
		goto out;
	r->tasks = um_xcalloc(n, sizeof(sweimport_task));
	for (i = 0; i < n; i++) {
		sweimport_task *t = &r->tasks[i];

		t->id = um_xstrdup(v[i].id);
		t->repo = um_xstrdup(v[i].repo);
		t->category = um_xstrdup(v[i].category);
		t->image = um_xstrdup(v[i].image);
		t->log_parser = um_xstrdup(v[i].parser);
		t->unsupported = v[i].unsupported ? um_xstrdup(v[i].unsupported) : NULL;
		t->has_test_command = v[i].test_command != NULL;
	}
	r->n_tasks = n;
	rc = 0;
out:
	for (i = 0; i < n; i++)
		inst_release(&v[i]);
	free(v);
	free(name);
	free(suite_dir);
	free(prefix);
	free(text);
	return rc;
}

void sweimport_result_release(sweimport_result *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n_tasks; i++) {
		sweimport_task *t = &r->tasks[i];
		free(t->id);
		free(t->repo);
		free(t->category);
		free(t->image);
		free(t->log_parser);
		free(t->unsupported);
	}
	free(r->tasks);
	free_strv(r->ignored, r->n_ignored);
	free(r->tasks_dir);
	free_strv(r->skipped, r->n_skipped);
	memset(r, 0, sizeof(*r));
}

/* ---- predictions ----------------------------------------------------------- */

typedef struct pent {
	char *id, *patch, *model;
	char *where;  /* "file:3", "file: entry 4", "file: entry \"key\"" for messages */
	char *label;  /* "line 3", "entry 4", "entry \"key\"" */
	size_t order;
} pent;

typedef struct pload {
	const char *file;
	pent *v;
	size_t n, cap;
	sweimport_preds *p;
	um_error *err;
} pload;

static void pent_release(pent *e)
{
	free(e->id);
	free(e->patch);
	free(e->model);
	free(e->where);
	free(e->label);
}

static int pl_fail(const pload *l, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int pl_fail(const pload *l, const char *where, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return um_fail(l->err, UM_ERR_INVALID, "%s: %s", where, msg);
}

static const char *const pred_known[] = {"instance_id", "model_patch", "patch",
					 "model_name_or_path", "model", "prefix", "sha256"};

/* A patch member: a string, or null for "no patch" (kept as empty). */
static int pl_patch(const pload *l, const char *where, json_t *o, const char *key, json_t **out)
{
	json_t *v = json_object_get(o, key);

	*out = v;
	if (v && !json_is_string(v) && !json_is_null(v))
		return pl_fail(l, where, "%s must be a string, found %s", key, json_kind(v));
	return 0;
}

/* One entry; label is taken over. key: the map key, or NULL. */
static int pl_entry(pload *l, char *label, json_t *v, const char *key, int verify_sha)
{
	static const char *const model_keys[] = {"model_name_or_path", "model", "prefix"};
	pent e;
	json_t *id, *mp, *pp, *m, *val;
	const char *k;
	size_t i, j;

	const char *where;

	memset(&e, 0, sizeof(e));
	e.label = label;
	if (um_has_prefix(label, "line "))
		e.where = um_xasprintf("%s:%s", l->file, label + 5);
	else
		e.where = um_xasprintf("%s: %s", l->file, label);
	where = e.where;
	e.order = l->n;
	if (l->n >= SWEIMPORT_MAX_ITEMS) {
		pl_fail(l, where, "more than %d predictions", SWEIMPORT_MAX_ITEMS);
		goto bad;
	}
	if (key && json_is_string(v)) {
		e.id = um_xstrdup(key);
		e.patch = um_xstrdup(json_string_value(v));
		goto check_id;
	}
	if (!json_is_object(v)) {
		pl_fail(l, where, "expected an object with instance_id and model_patch, found %s",
			json_kind(v));
		goto bad;
	}
	id = json_object_get(v, "instance_id");
	if (id && !json_is_string(id)) {
		pl_fail(l, where, "instance_id must be a string, found %s", json_kind(id));
		goto bad;
	}
	if (id && key && strcmp(json_string_value(id), key)) {
		pl_fail(l, where, "instance_id '%s' differs from its key", json_string_value(id));
		goto bad;
	}
	if (!id && !key) {
		pl_fail(l, where, "no instance_id");
		goto bad;
	}
	e.id = um_xstrdup(id ? json_string_value(id) : key);
	if (pl_patch(l, where, v, "model_patch", &mp) < 0 ||
	    pl_patch(l, where, v, "patch", &pp) < 0)
		goto bad;
	if (!mp && !pp) {
		pl_fail(l, where, "instance %s: no model_patch (or patch)", e.id);
		goto bad;
	}
	if (mp && pp && json_is_string(mp) && json_is_string(pp) &&
	    strcmp(json_string_value(mp), json_string_value(pp))) {
		pl_fail(l, where, "instance %s: model_patch and patch differ", e.id);
		goto bad;
	}
	if (mp && json_is_null(mp) && pp)
		mp = pp;
	m = mp ? mp : pp;
	e.patch = um_xstrdup(json_is_string(m) ? json_string_value(m) : "");
	for (i = 0; i < UM_ARRAY_LEN(model_keys) && !e.model; i++) {
		m = json_object_get(v, model_keys[i]);
		if (m && !json_is_string(m) && !json_is_null(m)) {
			pl_fail(l, where, "%s must be a string, found %s", model_keys[i],
				json_kind(m));
			goto bad;
		}
		if (m && json_is_string(m) && !blank(json_string_value(m)))
			e.model = um_xstrdup(json_string_value(m));
	}
	if (verify_sha) {
		char hex[65];

		m = json_object_get(v, "sha256");
		um_sha256_hex(e.patch, strlen(e.patch), hex);
		if (m && (!json_is_string(m) || strcmp(json_string_value(m), hex))) {
			pl_fail(l, where, "instance %s: sha256 does not match model_patch", e.id);
			goto bad;
		}
	}
	json_object_foreach(v, k, val) {
		for (j = 0; j < UM_ARRAY_LEN(pred_known) && strcmp(k, pred_known[j]); j++)
			;
		if (j == UM_ARRAY_LEN(pred_known))
			note_ignored(&l->p->ignored, &l->p->n_ignored, k);
	}
check_id:
	if (blank(e.id) || has_ctl_or_space(e.id)) {
		pl_fail(l, where, "'%s' is not an instance id", e.id);
		goto bad;
	}
	um_xgrow((void **)&l->v, &l->cap, l->n + 1, sizeof(pent));
	l->v[l->n++] = e;
	return 0;
bad:
	pent_release(&e);
	return -1;
}

static int pl_array(pload *l, json_t *a, const char *what, int verify_sha)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
		if (pl_entry(l, um_xasprintf("%s %zu", what, i + 1), v, NULL, verify_sha) < 0)
			return -1;
	return 0;
}

static int pl_map(pload *l, json_t *o)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
		if (pl_entry(l, um_xasprintf("entry \"%s\"", k), v, k, 0) < 0)
			return -1;
	return 0;
}

static int pl_lines(pload *l, const char *data, size_t len)
{
	line_iter it;
	const char *s;
	size_t sl;

	line_iter_init(&it, data, len);
	while (line_next(&it, &s, &sl)) {
		json_t *v;
		int rc;

		if (blank_n(s, sl))
			continue;
		v = parse_line(l->file, it.line, s, sl, l->err);
		if (!v)
			return -1;
		rc = pl_entry(l, um_xasprintf("line %d", it.line), v, NULL, 0);
		json_decref(v);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* umpire's own normalised file. */
static int pl_umpire(pload *l, json_t *o, char **file_model)
{
	json_t *ver = json_object_get(o, "umpire_predictions");
	json_t *m = json_object_get(o, "model");
	json_t *a = json_object_get(o, "predictions");

	if (!json_is_integer(ver) || json_integer_value(ver) != 1)
		return um_fail(l->err, UM_ERR_INVALID,
			       "%s: umpire_predictions must be 1 (the only version there is)",
			       l->file);
	if (m && !json_is_string(m))
		return um_fail(l->err, UM_ERR_INVALID, "%s: model must be a string, found %s",
			       l->file, json_kind(m));
	if (!json_is_array(a))
		return um_fail(l->err, UM_ERR_INVALID, "%s: predictions must be an array, found %s",
			       l->file, a ? json_kind(a) : "nothing");
	if (m && !blank(json_string_value(m)))
		*file_model = um_xstrdup(json_string_value(m));
	if (json_object_get(o, "vendor_results")) {
		const char *k;
		json_t *v, *vr = json_object_get(o, "vendor_results");
		if (!json_is_object(vr))
			return um_fail(l->err, UM_ERR_INVALID, "%s: vendor_results must be an object",
				       l->file);
		json_object_foreach(vr, k, v)
			if (!json_is_boolean(v))
				return um_fail(l->err, UM_ERR_INVALID,
					       "%s: vendor_results: \"%s\" must be true or false",
					       l->file, k);
		l->p->vendor_json = json_dumps(vr, JSON_COMPACT | JSON_SORT_KEYS);
	}
	return pl_array(l, a, "predictions entry", 1);
}

static int cmp_pent(const void *a, const void *b)
{
	const pent *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* Where the first non-blank byte is, 1-based. */
static void first_mark(const char *data, size_t len, size_t *off, int *line, int *col)
{
	size_t i = len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3) ? 3 : 0;

	*line = 1;
	*col = 1;
	for (; i < len && strchr(" \t\r\n\f\v", data[i]) && data[i]; i++) {
		if (data[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
	*off = i;
}

static int pl_shape(pload *l, const char *data, size_t len, char **file_model)
{
	json_error_t je;
	json_t *whole;
	size_t off;
	int line, col, rc;

	first_mark(data, len, &off, &line, &col);
	if (off >= len)
		return um_fail(l->err, UM_ERR_INVALID, "%s: the file is empty: no predictions",
			       l->file);
	if (data[off] != '[' && data[off] != '{')
		return um_fail_at(l->err, UM_ERR_SYNTAX, l->file, line, col,
				  "not a predictions file: expected JSON lines, a JSON array or a "
				  "JSON object");
	whole = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!whole && data[off] == '{' && strstr(je.text, "end of file expected")) {
		l->p->shape = "jsonl";
		return pl_lines(l, data, len);
	}
	if (!whole)
		return um_fail_at(l->err, UM_ERR_SYNTAX, l->file, je.line > 0 ? je.line : 1,
				  je.column > 0 ? je.column : 1, "malformed JSON: %s", je.text);
	if (json_is_array(whole)) {
		l->p->shape = "array";
		rc = pl_array(l, whole, "entry", 0);
	} else if (json_object_get(whole, "umpire_predictions")) {
		l->p->shape = "umpire";
		rc = pl_umpire(l, whole, file_model);
	} else if (json_is_string(json_object_get(whole, "instance_id"))) {
		l->p->shape = "jsonl"; /* a single line */
		rc = pl_entry(l, um_xasprintf("line %d", line), whole, NULL, 0);
	} else {
		l->p->shape = "map";
		rc = pl_map(l, whole);
	}
	json_decref(whole);
	return rc;
}

int sweimport_predictions_load(const char *path, const char *model, sweimport_preds *p,
			       um_error *err)
{
	pload l;
	char *data = NULL, *file_model = NULL;
	const pent *named = NULL;
	size_t len = 0, i;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	memset(&l, 0, sizeof(l));
	l.file = path;
	l.p = p;
	l.err = err;
	if (read_input(path, &data, &len, err) < 0)
		return -1;
	if (pl_shape(&l, data, len, &file_model) < 0)
		goto out;
	if (l.n == 0) {
		um_fail(err, UM_ERR_INVALID, "%s: no predictions in the file", path);
		goto out;
	}
	qsort(l.v, l.n, sizeof(pent), cmp_pent);
	for (i = 1; i < l.n; i++)
		if (!strcmp(l.v[i - 1].id, l.v[i].id)) {
			pl_fail(&l, l.v[i].where, "duplicate instance_id '%s' (first at %s)",
				l.v[i].id, l.v[i - 1].label);
			goto out;
		}
	if (model && !blank(model)) {
		p->model = um_xstrdup(model);
	} else {
		for (i = 0; i < l.n; i++) {
			if (!l.v[i].model)
				continue;
			if (named && strcmp(named->model, l.v[i].model)) {
				um_fail(err, UM_ERR_INVALID,
					"%s: the entries name different models ('%s' for %s, '%s' "
					"for %s); give --model to name the one being graded",
					path, named->model, named->id, l.v[i].model, l.v[i].id);
				goto out;
			}
			if (!named)
				named = &l.v[i];
		}
		if (file_model && named && strcmp(file_model, named->model)) {
			um_fail(err, UM_ERR_INVALID, "%s: model '%s' differs from '%s' for %s",
				path, file_model, named->model, named->id);
			goto out;
		}
		if (!named && !file_model) {
			um_fail(err, UM_ERR_INVALID,
				"%s: no entry names its model (model_name_or_path); give --model",
				path);
			goto out;
		}
		p->model = um_xstrdup(file_model ? file_model : named->model);
	}
	p->items = um_xcalloc(l.n, sizeof(sweimport_pred));
	for (i = 0; i < l.n; i++) {
		sweimport_pred *d = &p->items[i];

		d->instance_id = l.v[i].id;
		d->model_patch = l.v[i].patch;
		l.v[i].id = l.v[i].patch = NULL;
		um_sha256_hex(d->model_patch, strlen(d->model_patch), d->sha256);
		if (blank(d->model_patch))
			p->n_empty++;
		else if (swe_patch_is_empty(d->model_patch))
			p->n_not_diff++;
	}
	p->n = l.n;
	if (p->n_ignored)
		qsort(p->ignored, p->n_ignored, sizeof(char *), cmp_str);
	rc = 0;
out:
	for (i = 0; i < l.n; i++)
		pent_release(&l.v[i]);
	free(l.v);
	free(data);
	free(file_model);
	return rc;
}

void sweimport_preds_release(sweimport_preds *p)
{
	size_t i;

	if (!p)
		return;
	free(p->vendor_json);
	p->vendor_json = NULL;
	for (i = 0; i < p->n; i++) {
		free(p->items[i].instance_id);
		free(p->items[i].model_patch);
	}
	free(p->items);
	free(p->model);
	free_strv(p->ignored, p->n_ignored);
	memset(p, 0, sizeof(*p));
}

char *sweimport_predictions_json(const sweimport_preds *p)
{
	json_t *root = json_object(), *a = json_array();
	char *s, *out;
	size_t i;

	json_object_set_new(root, "umpire_predictions", json_integer(1));
	json_object_set_new(root, "model", json_string(p->model ? p->model : ""));
	for (i = 0; i < p->n; i++) {
		json_t *e = json_object();

		json_object_set_new(e, "instance_id", json_string(p->items[i].instance_id));
		json_object_set_new(e, "model_patch", json_string(p->items[i].model_patch));
		json_object_set_new(e, "sha256", json_string(p->items[i].sha256));
		json_array_append_new(a, e);
	}
	json_object_set_new(root, "predictions", a);
	if (p->vendor_json)
		json_object_set_new(root, "vendor_results", json_loads(p->vendor_json, 0, NULL));
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!s)
		abort(); /* jansson fails here only when out of memory */
	out = um_xasprintf("%s\n", s);
	free(s);
	return out;
}

int sweimport_vendor_results_load(const char *path, sweimport_preds *p, um_error *err)
{
	json_error_t je;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je), *v;
	const char *k;

	if (!doc)
		return um_fail(err, je.line > 0 ? UM_ERR_SYNTAX : UM_ERR_IO, "%s:%d:%d: %s", path,
			       je.line, je.column, je.text);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return um_fail(err, UM_ERR_INVALID,
			       "%s: expected eval_results.json's object {\"instance_id\": true|false}",
			       path);
	}
	json_object_foreach(doc, k, v)
		if (!json_is_boolean(v)) {
			um_fail(err, UM_ERR_INVALID, "%s: \"%s\": the verdict must be true or false, "
				"found %s", path, k, json_kind(v));
			json_decref(doc);
			return -1;
		}
	free(p->vendor_json);
	p->vendor_json = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	return 0;
}

int sweimport_predictions_write(const sweimport_preds *p, const char *path, um_error *err)
{
	char *s = sweimport_predictions_json(p);
	int rc = um_write_file(path, s, strlen(s), 0644, err);

	free(s);
	return rc;
}

static int pred_has(const sweimport_preds *p, const char *id)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(p->items[mid].instance_id, id);
		if (!c)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int sweimport_predictions_check(const sweimport_preds *p, const char *suite_path,
				sweimport_check *c, um_error *err)
{
	yml_doc *d;
	yml_node *kind, *tasks;
	char **ids = NULL;
	size_t n = 0, i;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	d = yml_load_file(suite_path, err);
	if (!d)
		return -1;
	if (yml_check_schema(d, "suite", err) < 0)
		goto out;
	kind = yml_get(d->root, "kind");
	if (!kind || kind->kind != YML_SCALAR || strcmp(kind->scalar, "swe")) {
		yml_fail(d, kind ? kind : d->root, UM_ERR_INVALID, err,
			 "predictions are patches for a suite of kind swe; this suite is of kind "
			 "%s", kind && kind->kind == YML_SCALAR ? kind->scalar : "mcq");
		goto out;
	}
	tasks = yml_get(d->root, "tasks");
	if (yml_expect(d, tasks, YML_SEQ, "tasks", err) < 0)
		goto out;
	ids = um_xcalloc(tasks->n + 1, sizeof(char *));
	for (i = 0; i < tasks->n; i++) {
		yml_node *id = yml_get(tasks->items[i], "id");
		if (!id || id->kind != YML_SCALAR) {
			yml_fail(d, tasks->items[i], UM_ERR_INVALID, err, "a task without an id");
			goto out;
		}
		ids[n++] = id->scalar;
	}
	qsort(ids, n, sizeof(char *), cmp_str);
	c->n_suite = n;
	for (i = 0; i < n; i++)
		if ((i == 0 || strcmp(ids[i - 1], ids[i])) && !pred_has(p, ids[i]))
			c->n_without++;
	for (i = 0; i < p->n; i++) {
		const char *id = p->items[i].instance_id;
		if (!bsearch(&id, ids, n, sizeof(char *), cmp_str)) {
			c->unknown = um_xrealloc(c->unknown, (c->n_unknown + 1) * sizeof(char *));
			c->unknown[c->n_unknown++] = um_xstrdup(id);
		}
	}
	if (c->n_unknown) {
		um_buf b;

		um_buf_init(&b, 0);
		for (i = 0; i < c->n_unknown && i < 5; i++)
			um_buf_printf(&b, "%s%s", i ? ", " : "", c->unknown[i]);
		if (c->n_unknown > 5)
			um_buf_printf(&b, " and %zu more", c->n_unknown - 5);
		um_fail(err, UM_ERR_INVALID, "%zu prediction%s name%s no task of %s: %s",
			c->n_unknown, c->n_unknown == 1 ? "" : "s", c->n_unknown == 1 ? "s" : "",
			suite_path, um_buf_str(&b));
		um_buf_release(&b);
		goto out;
	}
	rc = 0;
out:
	free(ids);
	yml_doc_free(d);
	return rc;
}

void sweimport_check_release(sweimport_check *c)
{
	if (!c)
		return;
	free_strv(c->unknown, c->n_unknown);
	memset(c, 0, sizeof(*c));
}
