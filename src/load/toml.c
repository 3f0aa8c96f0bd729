/*
 * toml.c - a small, strict TOML 1.0 reader (see toml.h for what it accepts).
 *
 * Written by hand because Debian 12 packages no TOML library for C, and the
 * importer of Terminal-Bench 2 tasks needs to read task.toml. It is a single
 * recursive-descent pass over the bytes, after a UTF-8 check of the whole
 * input, building a jansson tree directly.
 *
 * TOML's "defined once" rules need to know how each table came to exist,
 * which a json_t cannot record, so a side list maps every table (and every
 * array of tables) to flags:
 *   T_HEADER   defined by a [header]         (a second [header] is an error)
 *   T_IMPLICIT created as the parent of a header, may be defined later
 *   T_DOTTED   created by a dotted key        (a [header] for it is an error)
 *   T_INLINE   an inline table or inside one  (closed: nothing may be added)
 *   T_AOT      an array created by [[header]] (a static array cannot grow)
 * The tables of one file are few, so the list is searched linearly.
 */
#include "load/toml.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"

enum {
	T_HEADER = 1,
	T_IMPLICIT = 2,
	T_DOTTED = 4,
	T_INLINE = 8,
	T_AOT = 16,
};

typedef struct tmeta {
	json_t *v;
	int flags;
} tmeta;

typedef struct tp {
	const char *file;
	const char *p, *end;
	const char *line_start;
	int line;
	um_error *err;
	json_t *root;
	json_t *cur;      /* the table that key/value lines go into */
	char *cur_path;   /* its path, for the positions object */
	json_t *pos;      /* NULL when not asked for */
	tmeta *meta;
	size_t n_meta, cap_meta;
	int depth;
} tp;

/* ---- errors and positions ------------------------------------------------ */

static int col_of(const tp *t, const char *at)
{
	const char *q;
	int col = 1;

	for (q = t->line_start; q < at && q < t->end; q++)
		if (((unsigned char)*q & 0xC0) != 0x80)
			col++;
	return col;
}

static int __attribute__((format(printf, 3, 4))) fail_at(tp *t, const char *at, const char *fmt,
							  ...)
{
	char msg[UM_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return um_fail_at(t->err, UM_ERR_SYNTAX, t->file, t->line, col_of(t, at), "%s", msg);
}

/* A printable description of the byte at p, for "unexpected ..." messages. */
static const char *what_at(const tp *t, const char *p, char buf[16])
{
	unsigned char c;

	if (p >= t->end)
		return "end of file";
	c = (unsigned char)*p;
	if (c == '\n' || c == '\r')
		return "end of line";
	if (c < 0x20 || c == 0x7f) {
		snprintf(buf, 16, "byte 0x%02x", c);
		return buf;
	}
	if (c >= 0x80)
		return "a non-ASCII character";
	snprintf(buf, 16, "'%c'", c);
	return buf;
}

static void pos_record(tp *t, const char *path, int line, int col)
{
	json_t *a;

	if (!t->pos)
		return;
	a = json_pack("[ii]", line, col);
	json_object_set_new(t->pos, path, a);
}

static char *path_join(const char *base, const char *key)
{
	return *base ? um_xasprintf("%s.%s", base, key) : um_xstrdup(key);
}

/* ---- table flags ------------------------------------------------------- */

static int meta_get(const tp *t, const json_t *v)
{
	size_t i;

	for (i = 0; i < t->n_meta; i++)
		if (t->meta[i].v == v)
			return t->meta[i].flags;
	return 0;
}

static void meta_set(tp *t, json_t *v, int flags)
{
	size_t i;

	for (i = 0; i < t->n_meta; i++)
		if (t->meta[i].v == v) {
			t->meta[i].flags = flags;
			return;
		}
	um_xgrow((void **)&t->meta, &t->cap_meta, t->n_meta + 1, sizeof(*t->meta));
	t->meta[t->n_meta].v = v;
	t->meta[t->n_meta].flags = flags;
	t->n_meta++;
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid. */
static int utf8_len(const unsigned char *p, const unsigned char *end)
{
	uint32_t cp;

	return end > p ? (int)um_utf8_seq(p, (size_t)(end - p), &cp) : 0;
}

static int check_utf8(tp *t)
{
	const char *q = t->p;

	while (q < t->end) {
		int n = utf8_len((const unsigned char *)q, (const unsigned char *)t->end);
		if (n == 0)
			return fail_at(t, q, "invalid UTF-8 (byte 0x%02x)", (unsigned char)*q);
		if (*q == '\0')
			return fail_at(t, q, "NUL byte in the file");
		if (*q == '\n') {
			t->line++;
			t->line_start = q + 1;
		}
		q += n;
	}
	t->line = 1;
	t->line_start = t->p;
	return 0;
}

static void utf8_put(um_buf *b, uint32_t cp)
{
	char s[4];
	size_t n;

	if (cp < 0x80) {
		s[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		s[0] = (char)(0xC0 | (cp >> 6));
		s[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		s[0] = (char)(0xE0 | (cp >> 12));
		s[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		s[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		s[0] = (char)(0xF0 | (cp >> 18));
		s[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		s[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		s[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	um_buf_append(b, s, n);
}

/* ---- whitespace, comments, newlines -------------------------------------- */

static int at_end(const tp *t)
{
	return t->p >= t->end;
}

static void skip_ws(tp *t)
{
	while (t->p < t->end && (*t->p == ' ' || *t->p == '\t'))
		t->p++;
}

static int is_newline(const tp *t)
{
	return t->p < t->end &&
	       (*t->p == '\n' || (*t->p == '\r' && t->p + 1 < t->end && t->p[1] == '\n'));
}

/* Consume one newline (LF or CRLF); the caller checked is_newline. */
static void eat_newline(tp *t)
{
	if (*t->p == '\r')
		t->p++;
	t->p++;
	t->line++;
	t->line_start = t->p;
}

/* A comment from '#' to the end of the line (not the newline). */
static int skip_comment(tp *t)
{
	if (t->p >= t->end || *t->p != '#')
		return 0;
	for (t->p++; t->p < t->end && *t->p != '\n'; t->p++) {
		unsigned char c = (unsigned char)*t->p;
		if (c == '\r' && t->p + 1 < t->end && t->p[1] == '\n')
			break;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail_at(t, t->p, "control character 0x%02x in a comment", c);
	}
	return 0;
}

/* After a value or header: spaces, a comment, then a newline or the end. */
static int end_of_line(tp *t)
{
	char b[16];

	skip_ws(t);
	if (skip_comment(t) < 0)
		return -1;
	if (at_end(t))
		return 0;
	if (is_newline(t)) {
		eat_newline(t);
		return 0;
	}
	return fail_at(t, t->p, "expected the end of the line, found %s", what_at(t, t->p, b));
}

/* Inside arrays: whitespace, newlines and comments in any number. */
static int skip_ws_nl(tp *t)
{
	for (;;) {
		skip_ws(t);
		if (skip_comment(t) < 0)
			return -1;
		if (is_newline(t))
			eat_newline(t);
		else
			return 0;
	}
}

/* ---- strings ------------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* An escape after the backslash at t->p[-1]. */
static int parse_escape(tp *t, um_buf *b)
{
	const char *start = t->p - 1;
	int n = 0, i;
	uint32_t cp = 0;
	char c;

	if (at_end(t))
		return fail_at(t, start, "unterminated escape sequence");
	c = *t->p++;
	switch (c) {
	case 'b': um_buf_putc(b, '\b'); return 0;
	case 't': um_buf_putc(b, '\t'); return 0;
	case 'n': um_buf_putc(b, '\n'); return 0;
	case 'f': um_buf_putc(b, '\f'); return 0;
	case 'r': um_buf_putc(b, '\r'); return 0;
	case '"': um_buf_putc(b, '"'); return 0;
	case '\\': um_buf_putc(b, '\\'); return 0;
	case 'u': n = 4; break;
	case 'U': n = 8; break;
	default:
		if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
			return fail_at(t, start, "invalid escape sequence");
		return fail_at(t, start, "invalid escape sequence '\\%c'", c);
	}
	for (i = 0; i < n; i++) {
		int h = t->p < t->end ? hexval(*t->p) : -1;
		if (h < 0)
			return fail_at(t, start, "\\%c needs %d hexadecimal digits", c, n);
		cp = (cp << 4) | (uint32_t)h;
		t->p++;
	}
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return fail_at(t, start, "\\%c%.*s is not a Unicode scalar value", c, n, start + 2);
	utf8_put(b, cp);
	return 0;
}

static int bad_char(tp *t, unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f ? fail_at(t, t->p,
		"control character 0x%02x in a string (write it as an escape)", c) : 0;
}

/* Copy one (valid) UTF-8 character. */
static void copy_char(tp *t, um_buf *b)
{
	int n = utf8_len((const unsigned char *)t->p, (const unsigned char *)t->end);

	um_buf_append(b, t->p, (size_t)n);
	t->p += n;
}

/* A single-line basic ("...") or literal ('...') string at t->p. */
static int parse_line_string(tp *t, um_buf *b)
{
	const char *start = t->p;
	char q = *t->p++;

	for (;;) {
		unsigned char c;

		if (at_end(t) || *t->p == '\n' || (*t->p == '\r'))
			return fail_at(t, start, "unterminated string");
		c = (unsigned char)*t->p;
		if (c == (unsigned char)q) {
			t->p++;
			return 0;
		}
		if (bad_char(t, c) < 0)
			return -1;
		if (q == '"' && c == '\\') {
			t->p++;
			if (parse_escape(t, b) < 0)
				return -1;
			continue;
		}
		copy_char(t, b);
	}
}

/* A multi-line string; t->p is at the opening triple quote. */
static int parse_ml_string(tp *t, um_buf *b)
{
	int start_line = t->line, start_col = col_of(t, t->p);
	char q = *t->p;

	t->p += 3;
	if (is_newline(t))
		eat_newline(t);
	for (;;) {
		unsigned char c;

		if (at_end(t))
			return um_fail_at(t->err, UM_ERR_SYNTAX, t->file, start_line, start_col,
					  "unterminated multi-line string");
		c = (unsigned char)*t->p;
		if (c == (unsigned char)q && t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q) {
			int n = 3;
			while (t->p + n < t->end && t->p[n] == q)
				n++;
			if (n > 5)
				return fail_at(t, t->p + 5,
					       "too many quotes at the end of a string");
			um_buf_append(b, t->p, (size_t)(n - 3));
			t->p += n;
			return 0;
		}
		if (is_newline(t)) {
			um_buf_putc(b, '\n');
			eat_newline(t);
			continue;
		}
		if (c == '\r')
			return fail_at(t, t->p, "a carriage return needs a line feed after it");
		if (bad_char(t, c) < 0)
			return -1;
		if (q == '"' && c == '\\') {
			const char *save = t->p;
			t->p++;
			/* line-ending backslash: trims whitespace and newlines after it */
			skip_ws(t);
			if (is_newline(t)) {
				while (1) {
					skip_ws(t);
					if (is_newline(t))
						eat_newline(t);
					else
						break;
				}
				continue;
			}
			t->p = save + 1;
			if (parse_escape(t, b) < 0)
				return -1;
			continue;
		}
		copy_char(t, b);
	}
}

static int starts_triple(const tp *t)
{
	return t->end - t->p >= 3 && t->p[1] == t->p[0] && t->p[2] == t->p[0];
}

static int parse_string(tp *t, json_t **out)
{
	um_buf b = UM_BUF_INIT;
	int rc;

	um_buf_init(&b, 0);
	rc = starts_triple(t) ? parse_ml_string(t, &b) : parse_line_string(t, &b);
	if (rc == 0)
		*out = json_stringn(um_buf_str(&b), b.len);
	um_buf_release(&b);
	return rc;
}

/* ---- keys ------------------------------------------------------------ */

static int is_bare(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

typedef struct tkey {
	char **parts;
	size_t n;
	const char *at;   /* where the key starts */
	int line, col;
} tkey;

static void key_release(tkey *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->parts[i]);
	free(k->parts);
	memset(k, 0, sizeof(*k));
}

static int parse_key_parts(tp *t, tkey *k)
{
	char b[16];

	memset(k, 0, sizeof(*k));
	k->at = t->p;
	k->line = t->line;
	k->col = col_of(t, t->p);
	for (;;) {
		char *part;

		skip_ws(t);
		if (at_end(t))
			return fail_at(t, t->p, "expected a key, found end of file");
		if (*t->p == '"' || *t->p == '\'') {
			um_buf s = UM_BUF_INIT;
			if (starts_triple(t))
				return fail_at(t, t->p, "a key cannot be a multi-line string");
			if (parse_line_string(t, &s) < 0) {
				um_buf_release(&s);
				return -1;
			}
			part = um_xstrndup(um_buf_str(&s), s.len);
			if (strlen(part) != s.len) {
				free(part);
				um_buf_release(&s);
				return fail_at(t, k->at, "a key cannot contain a NUL character");
			}
			um_buf_release(&s);
		} else if (is_bare(*t->p)) {
			const char *s = t->p;
			while (t->p < t->end && is_bare(*t->p))
				t->p++;
			part = um_xstrndup(s, (size_t)(t->p - s));
		} else {
			return fail_at(t, t->p, "expected a key, found %s", what_at(t, t->p, b));
		}
		if (k->n >= 128) {
			free(part);
			return fail_at(t, k->at, "a key with more than 128 parts");
		}
		k->parts = um_xrealloc(k->parts, (k->n + 1) * sizeof(char *));
		k->parts[k->n++] = part;
		skip_ws(t);
		if (t->p < t->end && *t->p == '.') {
			t->p++;
			continue;
		}
		return 0;
	}
}

/* A key; on failure nothing is left allocated in k. */
static int parse_key(tp *t, tkey *k)
{
	if (parse_key_parts(t, k) == 0)
		return 0;
	key_release(k);
	return -1;
}

/* Path of parts[0..n) under base. */
static char *key_path(const char *base, const tkey *k, size_t n)
{
	char *p = um_xstrdup(base);
	size_t i;

	for (i = 0; i < n; i++) {
		char *q = path_join(p, k->parts[i]);
		free(p);
		p = q;
	}
	return p;
}

static char *key_text(const tkey *k, size_t n)
{
	return key_path("", k, n);
}

/* ---- values ---------------------------------------------------------- */

static int parse_value(tp *t, json_t **out, const char *path);

/* Digits of a base with single underscores between digits. Returns the end
 * or NULL. */
static const char *scan_digits(const char *s, const char *e, int base)
{
	int prev_digit = 0;

	if (s >= e)
		return NULL;
	for (; s < e; s++) {
		int d = hexval(*s);
		if (*s == '_') {
			if (!prev_digit)
				return NULL;
			prev_digit = 0;
			continue;
		}
		if (d < 0 || d >= base)
			break;
		prev_digit = 1;
	}
	return prev_digit ? s : NULL;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int parse_number(tp *t, json_t **out)
{
	const char *s = t->p, *e = t->p, *q, *d;
	char *clean;
	int neg = 0, base = 10, is_float = 0;
	size_t i, j;
	char b[16];

	while (e < t->end && (is_bare(*e) || *e == '.' || *e == '+' || *e == ':'))
		e++;
	/* dates: 1979-05-27, 07:32:00 */
	if (e - s >= 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) &&
	    s[4] == '-')
		return fail_at(t, s, "dates and times are not supported; write it as a string");
	if (e - s >= 3 && is_digit(s[0]) && is_digit(s[1]) && s[2] == ':')
		return fail_at(t, s, "dates and times are not supported; write it as a string");
	q = s;
	if (*q == '+' || *q == '-') {
		neg = *q == '-';
		q++;
	}
	if (e - q == 3 && (!strncmp(q, "inf", 3) || !strncmp(q, "nan", 3)))
		return fail_at(t, s, "%.*s cannot be represented (JSON has no inf or nan)",
			       (int)(e - s), s);
	if (q < e && *q == '0' && q + 1 < e && (q[1] == 'x' || q[1] == 'o' || q[1] == 'b')) {
		if (q != s)
			return fail_at(t, s, "a sign is not allowed on a hexadecimal, octal "
					     "or binary integer");
		base = q[1] == 'x' ? 16 : q[1] == 'o' ? 8 : 2;
		q += 2;
		d = scan_digits(q, e, base);
		if (!d || d != e)
			return fail_at(t, s, "invalid integer '%.*s'", (int)(e - s), s);
	} else {
		if (q >= e || !is_digit(*q))
			return fail_at(t, s, "expected a value, found %s", what_at(t, s, b));
		d = scan_digits(q, e, 10);
		if (!d)
			return fail_at(t, s, "invalid number '%.*s' (misplaced '_')",
				       (int)(e - s), s);
		if (*q == '0' && d - q > 1)
			return fail_at(t, s, "leading zeros are not allowed in '%.*s'",
				       (int)(e - s), s);
		if (d < e && *d == '.') {
			is_float = 1;
			d = scan_digits(d + 1, e, 10);
			if (!d || !is_digit(d[-1]))
				return fail_at(t, s, "invalid float '%.*s'", (int)(e - s), s);
		}
		if (d && d < e && (*d == 'e' || *d == 'E')) {
			is_float = 1;
			d++;
			if (d < e && (*d == '+' || *d == '-'))
				d++;
			d = scan_digits(d, e, 10);
			if (!d)
				return fail_at(t, s, "invalid float exponent in '%.*s'",
					       (int)(e - s), s);
		}
		if (d != e)
			return fail_at(t, s, "invalid number '%.*s'", (int)(e - s), s);
	}
	clean = um_xmalloc((size_t)(e - s) + 1);
	for (i = 0, j = 0; s + i < e; i++)
		if (s[i] != '_')
			clean[j++] = s[i];
	clean[j] = '\0';
	if (is_float) {
		char *endp;
		double v;
		errno = 0;
		v = strtod(clean, &endp);
		if (errno == ERANGE && (v > 1 || v < -1)) {
			free(clean);
			return fail_at(t, s, "float '%.*s' is out of range", (int)(e - s), s);
		}
		*out = json_real(v);
	} else {
		uint64_t acc = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
		const char *c = clean + (base != 10 ? 2 : (clean[0] == '+' || clean[0] == '-'));
		for (; *c; c++) {
			uint64_t dv = (uint64_t)hexval(*c);
			if (acc > (lim - dv) / (uint64_t)base) {
				free(clean);
				return fail_at(t, s, "integer '%.*s' is out of range (64-bit)",
					       (int)(e - s), s);
			}
			acc = acc * (uint64_t)base + dv;
		}
		if (neg)
			*out = json_integer(acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN
									 : -(json_int_t)acc);
		else
			*out = json_integer((json_int_t)acc);
	}
	free(clean);
	t->p = e;
	return 0;
}

static int parse_array(tp *t, json_t **out, const char *path)
{
	int sl = t->line, sc = col_of(t, t->p);
	json_t *a = json_array();
	char b[16];

	t->p++;
	for (;;) {
		json_t *v = NULL;
		char *ipath;

		if (skip_ws_nl(t) < 0)
			goto fail;
		if (at_end(t)) {
			um_fail_at(t->err, UM_ERR_SYNTAX, t->file, sl, sc, "unterminated array");
			goto fail;
		}
		if (*t->p == ']') {
			t->p++;
			break;
		}
		ipath = um_xasprintf("%s[%zu]", path, json_array_size(a));
		if (parse_value(t, &v, ipath) < 0) {
			free(ipath);
			goto fail;
		}
		free(ipath);
		json_array_append_new(a, v);
		if (skip_ws_nl(t) < 0)
			goto fail;
		if (t->p < t->end && *t->p == ',') {
			t->p++;
			continue;
		}
		if (t->p < t->end && *t->p == ']') {
			t->p++;
			break;
		}
		if (at_end(t))
			um_fail_at(t->err, UM_ERR_SYNTAX, t->file, sl, sc, "unterminated array");
		else
			fail_at(t, t->p, "expected ',' or ']' in an array, found %s",
				what_at(t, t->p, b));
		goto fail;
	}
	*out = a;
	return 0;
fail:
	json_decref(a);
	return -1;
}

static int set_dotted(tp *t, json_t *table, const char *base, tkey *k, int in_inline, json_t *v);

static int parse_inline_table(tp *t, json_t **out, const char *path)
{
	const char *start = t->p;
	json_t *tab = json_object();
	char b[16];
	int first = 1;

	meta_set(t, tab, T_INLINE);
	t->p++;
	for (;;) {
		tkey k;
		json_t *v = NULL;
		char *vpath;

		skip_ws(t);
		if (at_end(t)) {
			fail_at(t, start, "unterminated inline table");
			goto fail;
		}
		if (first && *t->p == '}') {
			t->p++;
			break;
		}
		if (is_newline(t)) {
			fail_at(t, t->p, "an inline table must be on one line");
			goto fail;
		}
		if (parse_key(t, &k) < 0)
			goto fail;
		if (at_end(t) || *t->p != '=') {
			fail_at(t, t->p, "expected '=' after the key, found %s",
				what_at(t, t->p, b));
			key_release(&k);
			goto fail;
		}
		t->p++;
		skip_ws(t);
		vpath = key_path(path, &k, k.n);
		if (parse_value(t, &v, vpath) < 0) {
			free(vpath);
			key_release(&k);
			goto fail;
		}
		free(vpath);
		if (set_dotted(t, tab, path, &k, 1, v) < 0) {
			key_release(&k);
			goto fail;
		}
		key_release(&k);
		first = 0;
		skip_ws(t);
		if (t->p < t->end && *t->p == ',') {
			t->p++;
			skip_ws(t);
			if (t->p < t->end && *t->p == '}') {
				fail_at(t, t->p,
					"a trailing comma is not allowed in an inline table");
				goto fail;
			}
			continue;
		}
		if (t->p < t->end && *t->p == '}') {
			t->p++;
			break;
		}
		if (at_end(t) || is_newline(t))
			fail_at(t, t->p,
				"an inline table must be closed with '}' on the same line");
		else
			fail_at(t, t->p, "expected ',' or '}' in an inline table, found %s",
				what_at(t, t->p, b));
		goto fail;
	}
	*out = tab;
	return 0;
fail:
	json_decref(tab);
	return -1;
}

static int parse_value(tp *t, json_t **out, const char *path)
{
	char b[16];
	int rc;

	if (at_end(t) || is_newline(t) || *t->p == '#')
		return fail_at(t, t->p, "expected a value, found %s",
			       at_end(t)	   ? "end of file"
			       : *t->p == '#' ? "a comment"
					      : "end of line");
	switch (*t->p) {
	case '"':
	case '\'':
		return parse_string(t, out);
	case '[':
	case '{':
		if (++t->depth > TOML_MAX_DEPTH) {
			t->depth--;
			return fail_at(t, t->p, "values nested deeper than %d levels",
				       TOML_MAX_DEPTH);
		}
		rc = *t->p == '[' ? parse_array(t, out, path) : parse_inline_table(t, out, path);
		t->depth--;
		return rc;
	case 't':
		if (t->end - t->p >= 4 && !strncmp(t->p, "true", 4) &&
		    (t->end - t->p == 4 || !is_bare(t->p[4]))) {
			t->p += 4;
			*out = json_true();
			return 0;
		}
		break;
	case 'f':
		if (t->end - t->p >= 5 && !strncmp(t->p, "false", 5) &&
		    (t->end - t->p == 5 || !is_bare(t->p[5]))) {
			t->p += 5;
			*out = json_false();
			return 0;
		}
		break;
	case 'i':
	case 'n':
		if (t->end - t->p >= 3 && (!strncmp(t->p, "inf", 3) || !strncmp(t->p, "nan", 3)) &&
		    (t->end - t->p == 3 || !is_bare(t->p[3])))
			return fail_at(t, t->p,
				       "%.3s cannot be represented (JSON has no inf or nan)", t->p);
		break;
	default:
		if (is_digit(*t->p) || *t->p == '+' || *t->p == '-')
			return parse_number(t, out);
	}
	if (is_bare(*t->p)) {
		const char *e = t->p;
		while (e < t->end && is_bare(*e))
			e++;
		return fail_at(t, t->p, "expected a value, found '%.*s' (strings need quotes)",
			       (int)(e - t->p > 40 ? 40 : e - t->p), t->p);
	}
	return fail_at(t, t->p, "expected a value, found %s", what_at(t, t->p, b));
}

/* ---- keys into tables ------------------------------------------------ */

/* Set table[k] = v for a (dotted) key: intermediate tables are created as
 * T_DOTTED (plus T_INLINE inside inline tables). Takes v. */
static int set_dotted(tp *t, json_t *table, const char *base, tkey *k, int in_inline, json_t *v)
{
	json_t *tab = table;
	char *path;
	size_t i;

	for (i = 0; i + 1 < k->n; i++) {
		json_t *sub = json_object_get(tab, k->parts[i]);
		if (!sub) {
			sub = json_object();
			json_object_set_new(tab, k->parts[i], sub);
			meta_set(t, sub, T_DOTTED | (in_inline ? T_INLINE : 0));
		} else {
			int f = meta_get(t, sub);
			char *kt = key_text(k, i + 1);
			int bad = !json_is_object(sub) || !(f & T_DOTTED) ||
				  ((f & T_INLINE) && !in_inline);
			if (bad) {
				if (json_is_object(sub))
					um_fail_at(t->err, UM_ERR_SYNTAX, t->file, k->line, k->col,
						   "cannot add keys to table '%s' here: it is "
						   "defined elsewhere", kt);
				else
					um_fail_at(t->err, UM_ERR_SYNTAX, t->file, k->line, k->col,
						   "key '%s' already holds a value, not a table",
						   kt);
				free(kt);
				json_decref(v);
				return -1;
			}
			free(kt);
		}
		tab = sub;
	}
	if (json_object_get(tab, k->parts[k->n - 1])) {
		char *kt = key_text(k, k->n);
		um_fail_at(t->err, UM_ERR_SYNTAX, t->file, k->line, k->col,
			   "key '%s' is defined twice", kt);
		free(kt);
		json_decref(v);
		return -1;
	}
	json_object_set_new(tab, k->parts[k->n - 1], v);
	path = key_path(base, k, k->n);
	pos_record(t, path, k->line, k->col);
	free(path);
	return 0;
}

/* One step of a header's key, part i of k, where tab has no such key yet:
 * a new table (or, for the last part of [[...]], a new array of tables with
 * its first element). *path grows by the part (and the element index).
 * Returns the table to descend into. */
static json_t *header_new(tp *t, json_t *tab, const tkey *k, size_t i, int aot, char **path)
{
	int last = i + 1 == k->n;
	json_t *sub;

	if (last && aot) {
		json_t *arr = json_array();
		char *np;

		json_object_set_new(tab, k->parts[i], arr);
		meta_set(t, arr, T_AOT);
		sub = json_object();
		json_array_append_new(arr, sub);
		meta_set(t, sub, T_HEADER);
		np = um_xasprintf("%s[0]", *path);
		free(*path);
		*path = np;
	} else {
		sub = json_object();
		json_object_set_new(tab, k->parts[i], sub);
		meta_set(t, sub, last ? T_HEADER : T_IMPLICIT);
	}
	if (last)
		pos_record(t, *path, k->line, k->col);
	return sub;
}

/* Part i names an existing array: only an array of tables may be reopened,
 * and only by [[...]] at its last part (a new element) or as a prefix (its
 * newest element). Returns the table to descend into, or NULL (t->err). */
static json_t *header_array(tp *t, json_t *sub, const tkey *k, size_t i, int aot,
			    const char *kt, char **path)
{
	int last = i + 1 == k->n;
	size_t n = json_array_size(sub);
	char *np;

	if (!(meta_get(t, sub) & T_AOT)) {
		um_fail_at(t->err, UM_ERR_SYNTAX, t->file, k->line, k->col,
			   "key '%s' is an array value, not an array of tables", kt);
		return NULL;
	}
	if (last && !aot) {
		um_fail_at(t->err, UM_ERR_SYNTAX, t->file, k->line, k->col,
			   "'%s' is an array of tables; write [[%s]]", kt, kt);
		return NULL;
	}
	if (last) {
		json_t *o = json_object();
		json_array_append_new(sub, o);
		meta_set(t, o, T_HEADER);
		np = um_xasprintf("%s[%zu]", *path, n);
		pos_record(t, np, k->line, k->col);
		sub = o;
	} else {
		sub = json_array_get(sub, n - 1);
		np = um_xasprintf("%s[%zu]", *path, n - 1);
	}
	free(*path);
	*path = np;
	return sub;
}

/* Part i names an existing table: an inline table is closed, a table is
 * not an array of tables, and a table is defined by a header at most once.
 * Returns sub, or NULL (t->err). */
static json_t *header_table(tp *t, json_t *sub, const tkey *k, size_t i, int aot,
			    const char *kt, const char *path)
{
	int last = i + 1 == k->n, f = meta_get(t, sub);

	if (f & T_INLINE) {
		um_fail_at(t->err, UM_ERR_SYNTAX, t->file, k->line, k->col,
			   "table '%s' is an inline table and cannot be extended", kt);
		return NULL;
	}
	if (last && aot) {
		um_fail_at(t->err, UM_ERR_SYNTAX, t->file, k->line, k->col,
			   "'%s' is a table, not an array of tables", kt);
		return NULL;
	}
	if (last && (f & (T_HEADER | T_DOTTED))) {
		um_fail_at(t->err, UM_ERR_SYNTAX, t->file, k->line, k->col,
			   "table [%s] is defined twice", kt);
		return NULL;
	}
	if (last) {
		meta_set(t, sub, T_HEADER);
		pos_record(t, path, k->line, k->col);
	}
	return sub;
}

/* [a.b.c] or [[a.b.c]] at t->p: the key, its closing bracket(s), then one
 * step per part of the key (new, array of tables, or table). */
static int parse_header(tp *t)
{
	int aot = t->end - t->p >= 2 && t->p[1] == '[';
	json_t *tab = t->root;
	char *path = um_xstrdup("");
	char b[16];
	tkey k;
	size_t i;

	t->p += aot ? 2 : 1;
	if (parse_key(t, &k) < 0) {
		free(path);
		return -1;
	}
	if (at_end(t) || *t->p != ']' || (aot && (t->end - t->p < 2 || t->p[1] != ']'))) {
		fail_at(t, t->p, "expected '%s' to close the table header, found %s",
			aot ? "]]" : "]", what_at(t, t->p, b));
		goto fail;
	}
	t->p += aot ? 2 : 1;
	for (i = 0; i < k.n; i++) {
		json_t *sub = json_object_get(tab, k.parts[i]);
		char *np = path_join(path, k.parts[i]);
		char *kt = key_text(&k, i + 1);

		free(path);
		path = np;
		if (!sub)
			sub = header_new(t, tab, &k, i, aot, &path);
		else if (json_is_array(sub))
			sub = header_array(t, sub, &k, i, aot, kt, &path);
		else if (json_is_object(sub))
			sub = header_table(t, sub, &k, i, aot, kt, path);
		else {
			um_fail_at(t->err, UM_ERR_SYNTAX, t->file, k.line, k.col,
				   "key '%s' already holds a value, not a table", kt);
			sub = NULL;
		}
		free(kt);
		if (!sub)
			goto fail;
		tab = sub;
	}
	key_release(&k);
	t->cur = tab;
	free(t->cur_path);
	t->cur_path = path;
	return end_of_line(t);
fail:
	key_release(&k);
	free(path);
	return -1;
}

static int parse_keyval(tp *t)
{
	char b[16];
	json_t *v = NULL;
	char *vpath;
	tkey k;

	if (parse_key(t, &k) < 0)
		return -1;
	if (at_end(t) || *t->p != '=') {
		fail_at(t, t->p, "expected '=' after the key, found %s", what_at(t, t->p, b));
		key_release(&k);
		return -1;
	}
	t->p++;
	skip_ws(t);
	vpath = key_path(t->cur_path, &k, k.n);
	if (parse_value(t, &v, vpath) < 0) {
		free(vpath);
		key_release(&k);
		return -1;
	}
	free(vpath);
	if (set_dotted(t, t->cur, t->cur_path, &k, 0, v) < 0) {
		key_release(&k);
		return -1;
	}
	key_release(&k);
	return end_of_line(t);
}

json_t *toml_parse(const char *file, const char *data, size_t len, json_t **pos, um_error *err)
{
	tp t;
	int rc = 0;

	memset(&t, 0, sizeof(t));
	t.file = file ? file : "(toml)";
	t.p = data;
	t.end = data + len;
	t.line_start = data;
	t.line = 1;
	t.err = err;
	if (pos)
		*pos = NULL;
	if (check_utf8(&t) < 0)
		return NULL;
	/* a UTF-8 byte order mark is allowed at the start */
	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
		t.p += 3;
	t.root = json_object();
	t.cur = t.root;
	t.cur_path = um_xstrdup("");
	if (pos)
		t.pos = json_object();
	while (rc == 0) {
		skip_ws(&t);
		if (at_end(&t))
			break;
		if (*t.p == '#' || is_newline(&t)) {
			rc = end_of_line(&t);
			continue;
		}
		if (*t.p == '\r') {
			rc = fail_at(&t, t.p, "a carriage return needs a line feed after it");
			break;
		}
		if (*t.p == '[')
			rc = parse_header(&t);
		else
			rc = parse_keyval(&t);
	}
	free(t.meta);
	free(t.cur_path);
	if (rc < 0) {
		json_decref(t.root);
		json_decref(t.pos);
		return NULL;
	}
	if (pos)
		*pos = t.pos;
	return t.root;
}

json_t *toml_load_file(const char *path, json_t **pos, um_error *err)
{
	char *data = NULL;
	size_t len = 0;
	json_t *v;

	if (pos)
		*pos = NULL;
	if (um_read_file(path, &data, &len, err) < 0)
		return NULL;
	if (len > TOML_MAX_BYTES) {
		free(data);
		um_fail(err, UM_ERR_SYNTAX, "%s: %zu bytes is over the limit of %zu for TOML",
			path, len, TOML_MAX_BYTES);
		return NULL;
	}
	v = toml_parse(path, data, len, pos, err);
	free(data);
	return v;
}

int toml_pos_lookup(const json_t *pos, const char *path, int *line, int *col)
{
	json_t *a = pos ? json_object_get(pos, path) : NULL;

	*line = 0;
	*col = 0;
	if (!json_is_array(a) || json_array_size(a) != 2)
		return -1;
	*line = (int)json_integer_value(json_array_get(a, 0));
	*col = (int)json_integer_value(json_array_get(a, 1));
	return 0;
}
