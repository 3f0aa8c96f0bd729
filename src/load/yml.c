/*
 * yml.c - YAML files as small marked trees, with strict typed accessors.
 *
 * libyaml composes the document (yaml_parser_load); we then copy it into our
 * own yml_node tree, keeping the 1-based start mark of every node so that
 * every later complaint can say "file:line:col". The copy is where the
 * document is made strict:
 *
 *   - aliases are resolved by copying the anchored subtree, with a cap on the
 *     total number of nodes (alias bombs) and on nesting depth (recursive
 *     aliases such as `&a [*a]`, which libyaml accepts);
 *   - mapping keys must be scalars, must be unique, and `<<` merge keys are
 *     refused (they are a YAML 1.1 extension libyaml does not apply);
 *   - explicit tags other than the default ones are refused;
 *   - a file holds exactly one document.
 *
 * Before libyaml sees a byte, a linear pre-scan (yml_prescan) refuses a
 * text nested deeper than YML_MAX_DEPTH: libyaml's scanner is quadratic in
 * the depth of flow collections (400 KB of `[` took minutes to be refused
 * after parsing), so the limit must hold before the parser runs. The scan
 * counts open flow brackets outside quotes and comments, and in block
 * context the indentation levels open on a line plus its leading `- `/`? `
 * indicators; it may count a little more than the tree's depth, never
 * less for flow nesting.
 *
 * The accessors convert scalars with fixed, narrow rules: integers are plain
 * decimal numerals, numbers are decimal (no nan/inf/hex), booleans are
 * exactly `true` or `false`. An optional key whose value is a plain null
 * (`~`, `null` or nothing) counts as absent.
 */
#include "load/yml.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/buf.h"
#include "base/util.h"

#define YML_MAX_NODES 1000000
#define YML_MAX_DEPTH 256

typedef struct yml_builder {
	const char *file;
	yaml_document_t *doc;
	size_t count;
	um_error *err;
} yml_builder;

static void yml_node_free(yml_node *n)
{
	size_t i;

	if (!n)
		return;
	free(n->scalar);
	for (i = 0; i < n->n; i++) {
		if (n->items)
			yml_node_free(n->items[i]);
		if (n->keys)
			yml_node_free(n->keys[i]);
	}
	free(n->items);
	free(n->keys);
	free(n);
}

void yml_doc_free(yml_doc *d)
{
	if (!d)
		return;
	yml_node_free(d->root);
	free(d->file);
	free(d);
}

static int yml_cmp_keys(const void *a, const void *b)
{
	const yml_node *x = *(const yml_node *const *)a;
	const yml_node *y = *(const yml_node *const *)b;
	int c = strcmp(x->scalar, y->scalar);

	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

/* Duplicate keys, found by sorting a copy of the key pointers (maps in inline
 * datasets can be large). Reports the later of the two occurrences. */
static int yml_check_dups(yml_builder *b, yml_node *m)
{
	yml_node **sorted;
	size_t i;
	int rc = 0;

	if (m->n < 2)
		return 0;
	sorted = um_xmalloc(m->n * sizeof(*sorted));
	memcpy(sorted, m->keys, m->n * sizeof(*sorted));
	qsort(sorted, m->n, sizeof(*sorted), yml_cmp_keys);
	for (i = 1; i < m->n; i++) {
		if (strcmp(sorted[i - 1]->scalar, sorted[i]->scalar) == 0) {
			rc = um_fail_at(b->err, UM_ERR_INVALID, b->file, sorted[i]->line,
					sorted[i]->col, "duplicate key '%s' (first at line %d)",
					sorted[i]->scalar, sorted[i - 1]->line);
			break;
		}
	}
	free(sorted);
	return rc;
}

static int yml_check_tag(yml_builder *b, const yaml_node_t *yn, const char *deflt)
{
	if (!yn->tag || strcmp((const char *)yn->tag, deflt) == 0)
		return 0;
	return um_fail_at(b->err, UM_ERR_INVALID, b->file, (int)yn->start_mark.line + 1,
			  (int)yn->start_mark.column + 1, "YAML tag '%s' is not supported",
			  (const char *)yn->tag);
}

static yml_node *yml_build(yml_builder *b, int index, int depth)
{
	yaml_node_t *yn = yaml_document_get_node(b->doc, index);
	yml_node *n;
	size_t i, count;

	if (!yn) {
		um_fail_at(b->err, UM_ERR_INTERNAL, b->file, 0, 0, "dangling YAML node %d", index);
		return NULL;
	}
	if (depth > YML_MAX_DEPTH) {
		um_fail_at(b->err, UM_ERR_INVALID, b->file, (int)yn->start_mark.line + 1,
			   (int)yn->start_mark.column + 1,
			   "nesting deeper than %d levels (a recursive alias?)", YML_MAX_DEPTH);
		return NULL;
	}
	if (++b->count > YML_MAX_NODES) {
		um_fail_at(b->err, UM_ERR_INVALID, b->file, (int)yn->start_mark.line + 1,
			   (int)yn->start_mark.column + 1,
			   "document too large: more than %d nodes once aliases are expanded",
			   YML_MAX_NODES);
		return NULL;
	}
	n = um_xcalloc(1, sizeof(*n));
	n->line = (int)yn->start_mark.line + 1;
	n->col = (int)yn->start_mark.column + 1;

	switch (yn->type) {
	case YAML_SCALAR_NODE:
		n->kind = YML_SCALAR;
		if (yml_check_tag(b, yn, YAML_DEFAULT_SCALAR_TAG) < 0)
			goto fail;
		n->scalar =
		    um_xstrndup((const char *)yn->data.scalar.value, yn->data.scalar.length);
		if (strlen(n->scalar) != yn->data.scalar.length) {
			um_fail_at(b->err, UM_ERR_INVALID, b->file, n->line, n->col,
				   "NUL character in a scalar");
			goto fail;
		}
		n->plain = yn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		break;
	case YAML_SEQUENCE_NODE:
		n->kind = YML_SEQ;
		if (yml_check_tag(b, yn, YAML_DEFAULT_SEQUENCE_TAG) < 0)
			goto fail;
		count = (size_t)(yn->data.sequence.items.top - yn->data.sequence.items.start);
		n->items = um_xcalloc(count ? count : 1, sizeof(*n->items));
		for (i = 0; i < count; i++) {
			n->items[i] = yml_build(b, yn->data.sequence.items.start[i], depth + 1);
			n->n = i + 1;
			if (!n->items[i])
				goto fail;
		}
		n->n = count;
		break;
	case YAML_MAPPING_NODE:
		n->kind = YML_MAP;
		if (yml_check_tag(b, yn, YAML_DEFAULT_MAPPING_TAG) < 0)
			goto fail;
		count = (size_t)(yn->data.mapping.pairs.top - yn->data.mapping.pairs.start);
		n->items = um_xcalloc(count ? count : 1, sizeof(*n->items));
		n->keys = um_xcalloc(count ? count : 1, sizeof(*n->keys));
		for (i = 0; i < count; i++) {
			yaml_node_pair_t *p = &yn->data.mapping.pairs.start[i];
			yml_node *k;

			n->n = i + 1;
			k = n->keys[i] = yml_build(b, p->key, depth + 1);
			if (!k)
				goto fail;
			if (k->kind != YML_SCALAR) {
				um_fail_at(b->err, UM_ERR_INVALID, b->file, k->line, k->col,
					   "mapping keys must be scalars");
				goto fail;
			}
			if (k->plain && strcmp(k->scalar, "<<") == 0) {
				um_fail_at(b->err, UM_ERR_INVALID, b->file, k->line, k->col,
					   "merge keys ('<<') are not supported; repeat the keys");
				goto fail;
			}
			n->items[i] = yml_build(b, p->value, depth + 1);
			if (!n->items[i])
				goto fail;
		}
		n->n = count;
		if (yml_check_dups(b, n) < 0)
			goto fail;
		break;
	default:
		um_fail_at(b->err, UM_ERR_INTERNAL, b->file, n->line, n->col, "empty YAML node");
		goto fail;
	}
	return n;
fail:
	yml_node_free(n);
	return NULL;
}

/* line:col of a byte offset (for reader errors, which carry only an offset). */
static void yml_offset_pos(const char *data, size_t len, size_t off, int *line, int *col)
{
	size_t i, bol = 0;
	int l = 1;

	if (off > len)
		off = len;
	for (i = 0; i < off; i++) {
		if (data[i] == '\n') {
			l++;
			bol = i + 1;
		}
	}
	*line = l;
	*col = (int)(off - bol) + 1;
}

static int yml_parser_fail(const yaml_parser_t *p, const char *file, const char *data, size_t len,
			   um_error *err)
{
	const char *problem = p->problem ? p->problem : "malformed YAML";
	int line, col;

	if (p->error == YAML_MEMORY_ERROR)
		return um_fail(err, UM_ERR_NOMEM, "%s: out of memory while parsing YAML", file);
	if (p->error == YAML_READER_ERROR) {
		yml_offset_pos(data, len, p->problem_offset, &line, &col);
		if (p->problem_value != -1)
			return um_fail_at(err, UM_ERR_SYNTAX, file, line, col, "%s (byte 0x%02x)",
					  problem, p->problem_value & 0xff);
		return um_fail_at(err, UM_ERR_SYNTAX, file, line, col, "%s", problem);
	}
	line = (int)p->problem_mark.line + 1;
	col = (int)p->problem_mark.column + 1;
	if (p->context)
		return um_fail_at(err, UM_ERR_SYNTAX, file, line, col, "%s (%s)", problem,
				  p->context);
	return um_fail_at(err, UM_ERR_SYNTAX, file, line, col, "%s", problem);
}

/* Pre-scan state: position, flow depth, quoting, the block indent stack. */
typedef struct yml_scan {
	const char *p, *end;
	int line, col;
	int flow;               /* open [ and { */
	int indents[YML_MAX_DEPTH + 2];
	int n_indents;
} yml_scan;

static void yml_scan_step(yml_scan *s)
{
	if (*s->p == '\n') {
		s->line++;
		s->col = 1;
	} else {
		s->col++;
	}
	s->p++;
}

/* Skip a quoted scalar starting at s->p (a quote). */
static void yml_scan_quoted(yml_scan *s)
{
	char q = *s->p;

	yml_scan_step(s);
	while (s->p < s->end) {
		if (q == '"' && *s->p == '\\' && s->p + 1 < s->end) {
			yml_scan_step(s);
			yml_scan_step(s);
			continue;
		}
		if (*s->p == q) {
			if (q == '\'' && s->p + 1 < s->end && s->p[1] == '\'') {
				yml_scan_step(s);
				yml_scan_step(s);
				continue;
			}
			yml_scan_step(s);
			return;
		}
		yml_scan_step(s);
	}
}

/* At the start of a line in block context: the levels it opens. */
static int yml_scan_line_start(yml_scan *s)
{
	int indent = 0, extra = 0;

	while (s->p < s->end && *s->p == ' ') {
		yml_scan_step(s);
		indent++;
	}
	if (s->p >= s->end || *s->p == '\n' || *s->p == '#' || *s->p == '\r')
		return 0; /* blank or comment: opens nothing */
	while (s->n_indents > 0 && s->indents[s->n_indents - 1] >= indent)
		s->n_indents--;
	if (s->n_indents <= YML_MAX_DEPTH)
		s->indents[s->n_indents++] = indent;
	/* "- - - x" and "? ? x" nest on one line */
	while (s->p + 1 < s->end && (*s->p == '-' || *s->p == '?') && s->p[1] == ' ') {
		extra++;
		yml_scan_step(s);
		while (s->p < s->end && *s->p == ' ')
			yml_scan_step(s);
	}
	return s->n_indents + extra;
}

static int yml_prescan(const char *file, const char *data, size_t len, um_error *err)
{
	yml_scan s;
	int prev_space = 1;

	memset(&s, 0, sizeof(s));
	s.p = data;
	s.end = data + len;
	s.line = s.col = 1;
	while (s.p < s.end) {
		char c;

		/* the root is level 0, so YML_MAX_DEPTH + 1 levels may open */
		if (s.col == 1 && s.flow == 0 && yml_scan_line_start(&s) > YML_MAX_DEPTH + 1)
			goto deep;
		if (s.p >= s.end)
			break;
		c = *s.p;
		if (c == '#' && prev_space) {
			while (s.p < s.end && *s.p != '\n')
				yml_scan_step(&s);
			continue;
		}
		if ((c == '"' || c == '\'') && (prev_space || s.flow)) {
			yml_scan_quoted(&s);
			prev_space = 0;
			continue;
		}
		if (c == '[' || c == '{') {
			if (++s.flow + (s.n_indents ? s.n_indents - 1 : 0) > YML_MAX_DEPTH + 1)
				goto deep;
		} else if ((c == ']' || c == '}') && s.flow > 0) {
			s.flow--;
		}
		prev_space = c == ' ' || c == '\t' || c == '\n' || c == '[' || c == '{' || c == ',';
		yml_scan_step(&s);
	}
	return 0;
deep:
	return um_fail_at(err, UM_ERR_SYNTAX, file, s.line, s.col,
			  "nesting deeper than %d levels", YML_MAX_DEPTH);
}

yml_doc *yml_load_buffer(const char *file, const char *data, size_t len, um_error *err)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	yml_builder b;
	yml_doc *d;
	yaml_node_t *root;

	if (!file)
		file = "<yaml>";
	if (!data) {
		data = "";
		len = 0;
	}
	if (yml_prescan(file, data, len, err) < 0)
		return NULL;
	if (!yaml_parser_initialize(&parser)) {
		um_fail(err, UM_ERR_NOMEM, "%s: cannot initialise the YAML parser", file);
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yml_parser_fail(&parser, file, data, len, err);
		yaml_parser_delete(&parser);
		return NULL;
	}

	d = um_xcalloc(1, sizeof(*d));
	d->file = um_xstrdup(file);
	root = yaml_document_get_root_node(&doc);
	if (root) {
		b.file = d->file;
		b.doc = &doc;
		b.count = 0;
		b.err = err;
		d->root = yml_build(&b, 1, 0);
		if (!d->root)
			goto fail;

		/* One document per file: a second one is almost always a stray `---`
		 * that would otherwise be ignored silently. */
		if (!yaml_parser_load(&parser, &extra)) {
			yml_parser_fail(&parser, file, data, len, err);
			goto fail;
		}
		root = yaml_document_get_root_node(&extra);
		if (root) {
			um_fail_at(err, UM_ERR_SYNTAX, file, (int)extra.start_mark.line + 1,
				   (int)extra.start_mark.column + 1,
				   "a second YAML document; one document per file");
			yaml_document_delete(&extra);
			goto fail;
		}
		yaml_document_delete(&extra);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return d;
fail:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	yml_doc_free(d);
	return NULL;
}

yml_doc *yml_load_file(const char *path, um_error *err)
{
	char *data = NULL;
	size_t len = 0;
	yml_doc *d;

	if (um_read_file(path, &data, &len, err) < 0)
		return NULL;
	d = yml_load_buffer(path, data, len, err);
	free(data);
	return d;
}

yml_node *yml_get(const yml_node *m, const char *key)
{
	size_t i;

	if (!m || m->kind != YML_MAP || !key)
		return NULL;
	for (i = 0; i < m->n; i++)
		if (strcmp(m->keys[i]->scalar, key) == 0)
			return m->items[i];
	return NULL;
}

int yml_is_null(const yml_node *n)
{
	if (!n || n->kind != YML_SCALAR || !n->plain)
		return 0;
	return n->scalar[0] == '\0' || strcmp(n->scalar, "~") == 0 ||
	       strcmp(n->scalar, "null") == 0;
}

const char *yml_kind_name(const yml_node *n)
{
	if (!n)
		return "nothing";
	switch (n->kind) {
	case YML_SEQ:
		return "a sequence";
	case YML_MAP:
		return "a mapping";
	case YML_SCALAR:
	default:
		return yml_is_null(n) ? "null" : "a scalar";
	}
}

int yml_fail(const yml_doc *d, const yml_node *n, um_err code, um_error *err, const char *fmt, ...)
{
	char body[UM_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	return um_fail_at(err, code, d && d->file ? d->file : "<yaml>", n ? n->line : 0,
			  n ? n->col : 0, "%s", body);
}

/* What a bad value looks like in a message: the scalar (shortened) in
 * quotes, or the kind of node. */
static void yml_describe(const yml_node *n, char *out, size_t size)
{
	if (n && n->kind == YML_SCALAR && !yml_is_null(n)) {
		size_t len = strlen(n->scalar);

		if (len > 60)
			snprintf(out, size, "'%.57s...'", n->scalar);
		else
			snprintf(out, size, "'%s'", n->scalar);
	} else {
		snprintf(out, size, "%s", yml_kind_name(n));
	}
}

static const char *yml_kind_word(yml_kind kind)
{
	switch (kind) {
	case YML_SEQ:
		return "a sequence";
	case YML_MAP:
		return "a mapping";
	case YML_SCALAR:
	default:
		return "a scalar";
	}
}

int yml_expect(const yml_doc *d, const yml_node *n, yml_kind kind, const char *what, um_error *err)
{
	if (n && n->kind == kind)
		return 0;
	return yml_fail(d, n, UM_ERR_INVALID, err, "'%s' must be %s, got %s", what,
			yml_kind_word(kind), yml_kind_name(n));
}

int yml_check_keys(const yml_doc *d, const yml_node *m, const char *const *allowed,
		   const char *what, um_error *err)
{
	size_t i;
	int j;

	if (yml_expect(d, m, YML_MAP, what, err) < 0)
		return -1;
	for (i = 0; i < m->n; i++) {
		const char *key = m->keys[i]->scalar;
		um_buf list = UM_BUF_INIT;
		int rc;

		for (j = 0; allowed[j]; j++)
			if (strcmp(allowed[j], key) == 0)
				break;
		if (allowed[j])
			continue;
		for (j = 0; allowed[j]; j++)
			um_buf_printf(&list, "%s%s", j ? ", " : "", allowed[j]);
		rc = yml_fail(d, m->keys[i], UM_ERR_INVALID, err,
			      "unknown key '%s' in %s (allowed: %s)", key, what, um_buf_str(&list));
		um_buf_release(&list);
		return rc;
	}
	return 0;
}

/* The value of m[key] for a typed read: 1 with *vp set, 0 when absent (or a
 * plain null and optional), -1 on error. */
static int yml_lookup(const yml_doc *d, const yml_node *m, const char *key, int required,
		      yml_node **vp, um_error *err)
{
	yml_node *v = yml_get(m, key);

	if (!m || m->kind != YML_MAP)
		return yml_fail(d, m, UM_ERR_INVALID, err, "expected a mapping holding '%s'", key);
	if (!v || (!required && yml_is_null(v))) {
		if (required)
			return yml_fail(d, m, UM_ERR_INVALID, err, "missing required key '%s'",
					key);
		return 0;
	}
	*vp = v;
	return 1;
}

int yml_node_str(const yml_doc *d, const yml_node *n, const char *what, char **out, um_error *err)
{
	if (!n || n->kind != YML_SCALAR || yml_is_null(n))
		return yml_fail(d, n, UM_ERR_INVALID, err, "'%s' must be a string, got %s", what,
				yml_kind_name(n));
	*out = um_xstrdup(n->scalar);
	return 0;
}

/* Plain decimal integer: optional sign, digits only. */
static int yml_parse_int(const yml_node *n, int64_t *out)
{
	const char *s = n->scalar;
	char *end;
	long long v;

	if (n->kind != YML_SCALAR || !n->plain)
		return -1;
	if (*s == '-' || *s == '+')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return -1;
	errno = 0;
	v = strtoll(n->scalar, &end, 10);
	if (errno || *end)
		return -1;
	*out = (int64_t)v;
	return 0;
}

int yml_node_int(const yml_doc *d, const yml_node *n, const char *what, int64_t min, int64_t max,
		 int64_t *out, um_error *err)
{
	char got[80];
	int64_t v;

	if (n && n->kind == YML_SCALAR && yml_parse_int(n, &v) == 0 && v >= min && v <= max) {
		*out = v;
		return 0;
	}
	yml_describe(n, got, sizeof(got));
	return yml_fail(d, n, UM_ERR_INVALID, err,
			"'%s' must be an integer between %lld and %lld, got %s", what,
			(long long)min, (long long)max, got);
}

/* Decimal number: [+-] digits [. digits] [e [+-] digits], or [+-] . digits ...
 * No nan, inf, hex or YAML 1.1 sexagesimals. */
static int yml_parse_double(const yml_node *n, double *out)
{
	const char *s = n->scalar;
	int digits = 0;
	char *end;
	double v;

	if (n->kind != YML_SCALAR || !n->plain)
		return -1;
	if (*s == '-' || *s == '+')
		s++;
	while (*s >= '0' && *s <= '9') {
		s++;
		digits++;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			s++;
			digits++;
		}
	}
	if (!digits)
		return -1;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s)
		return -1;
	errno = 0;
	v = strtod(n->scalar, &end);
	if (*end || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int yml_node_double(const yml_doc *d, const yml_node *n, const char *what, double min, double max,
		    double *out, um_error *err)
{
	char got[80];
	double v;

	if (n && n->kind == YML_SCALAR && yml_parse_double(n, &v) == 0 && v >= min && v <= max) {
		*out = v;
		return 0;
	}
	yml_describe(n, got, sizeof(got));
	return yml_fail(d, n, UM_ERR_INVALID, err,
			"'%s' must be a number between %.15g and %.15g, got %s", what, min, max,
			got);
}

int yml_str(const yml_doc *d, const yml_node *m, const char *key, int required, char **out,
	    um_error *err)
{
	yml_node *v = NULL;
	int rc = yml_lookup(d, m, key, required, &v, err);

	if (rc <= 0)
		return rc;
	if (yml_node_str(d, v, key, out, err) < 0)
		return -1;
	return 1;
}

int yml_int(const yml_doc *d, const yml_node *m, const char *key, int required, int64_t min,
	    int64_t max, int64_t *out, um_error *err)
{
	yml_node *v = NULL;
	int rc = yml_lookup(d, m, key, required, &v, err);

	if (rc <= 0)
		return rc;
	if (yml_node_int(d, v, key, min, max, out, err) < 0)
		return -1;
	return 1;
}

int yml_double(const yml_doc *d, const yml_node *m, const char *key, int required, double min,
	       double max, double *out, um_error *err)
{
	yml_node *v = NULL;
	int rc = yml_lookup(d, m, key, required, &v, err);

	if (rc <= 0)
		return rc;
	if (yml_node_double(d, v, key, min, max, out, err) < 0)
		return -1;
	return 1;
}

int yml_bool(const yml_doc *d, const yml_node *m, const char *key, int required, int *out,
	     um_error *err)
{
	yml_node *v = NULL;
	int rc = yml_lookup(d, m, key, required, &v, err);
	char got[80];

	if (rc <= 0)
		return rc;
	if (v->kind == YML_SCALAR && v->plain) {
		if (strcmp(v->scalar, "true") == 0) {
			*out = 1;
			return 1;
		}
		if (strcmp(v->scalar, "false") == 0) {
			*out = 0;
			return 1;
		}
	}
	yml_describe(v, got, sizeof(got));
	return yml_fail(d, v, UM_ERR_INVALID, err, "'%s' must be true or false, got %s", key, got);
}

int yml_enum(const yml_doc *d, const yml_node *m, const char *key, int required,
	     const char *const *choices, int *out, um_error *err)
{
	yml_node *v = NULL;
	int rc = yml_lookup(d, m, key, required, &v, err);
	um_buf list = UM_BUF_INIT;
	char got[80];
	int i;

	if (rc <= 0)
		return rc;
	if (v->kind == YML_SCALAR) {
		for (i = 0; choices[i]; i++) {
			if (strcmp(choices[i], v->scalar) == 0) {
				*out = i;
				return 1;
			}
		}
	}
	for (i = 0; choices[i]; i++)
		um_buf_printf(&list, "%s%s", i ? ", " : "", choices[i]);
	yml_describe(v, got, sizeof(got));
	rc = yml_fail(d, v, UM_ERR_INVALID, err, "'%s' must be one of: %s; got %s", key,
		      um_buf_str(&list), got);
	um_buf_release(&list);
	return rc;
}

static json_t *yml_scalar_json(const yml_node *n)
{
	int64_t i;
	double x;

	if (!n->plain)
		return json_string(n->scalar);
	if (yml_is_null(n))
		return json_null();
	if (strcmp(n->scalar, "true") == 0)
		return json_true();
	if (strcmp(n->scalar, "false") == 0)
		return json_false();
	if (yml_parse_int(n, &i) == 0)
		return json_integer((json_int_t)i);
	if (yml_parse_double(n, &x) == 0)
		return json_real(x);
	return json_string(n->scalar);
}

struct json_t *yml_to_json(const yml_doc *d, const yml_node *n, um_error *err)
{
	json_t *j, *c;
	size_t i;

	if (!n) {
		yml_fail(d, n, UM_ERR_INVALID, err, "missing value");
		return NULL;
	}
	switch (n->kind) {
	case YML_SCALAR:
		j = yml_scalar_json(n);
		if (!j)
			yml_fail(d, n, UM_ERR_INVALID, err,
				 "value is not valid UTF-8 text or out of range");
		return j;
	case YML_SEQ:
		j = json_array();
		for (i = 0; i < n->n; i++) {
			c = yml_to_json(d, n->items[i], err);
			if (!c) {
				json_decref(j);
				return NULL;
			}
			json_array_append_new(j, c);
		}
		return j;
	case YML_MAP:
	default:
		j = json_object();
		for (i = 0; i < n->n; i++) {
			c = yml_to_json(d, n->items[i], err);
			if (!c) {
				json_decref(j);
				return NULL;
			}
			if (json_object_set_new(j, n->keys[i]->scalar, c) < 0) {
				json_decref(j);
				yml_fail(d, n->keys[i], UM_ERR_INVALID, err,
					 "key is not valid UTF-8 text");
				return NULL;
			}
		}
		return j;
	}
}

int yml_check_schema(const yml_doc *d, const char *what, um_error *err)
{
	const yml_node *v;
	int64_t version;

	if (!d->root)
		return um_fail_at(err, UM_ERR_INVALID, d->file, 0, 0,
				  "empty document; expected a %s starting with 'umpire: 1'", what);
	if (yml_expect(d, d->root, YML_MAP, what, err) < 0)
		return -1;
	v = yml_get(d->root, "umpire");
	if (!v)
		return yml_fail(d, d->root, UM_ERR_INVALID, err,
				"missing required key 'umpire' (the schema version, 1)");
	if (v->kind != YML_SCALAR || yml_parse_int(v, &version) < 0 || version != 1) {
		char got[80];

		yml_describe(v, got, sizeof(got));
		return yml_fail(d, v, UM_ERR_INVALID, err,
				"'umpire' must be 1 (the only schema version), got %s", got);
	}
	return 0;
}
