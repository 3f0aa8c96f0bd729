/*
 * pylit.c - the strict reader of Python literals (pylit.h).
 *
 * Two layers: a tokenizer that knows Python's lexical rules well enough to
 * walk any source file (names, numbers, strings with every prefix, brackets
 * with their depth, comments, continuations, logical lines) without
 * interpreting it, and the decoding of the string literals umpire keeps,
 * escape by escape as CPython's parser decodes them. Each decoded byte keeps
 * the source offset it came from, so a later check of the text (a
 * str.format field, say) can point at the file's line and column.
 */
#include "load/pylit.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"

typedef enum { T_END, T_NEWLINE, T_NAME, T_NUMBER, T_STRING, T_OP } tkind;

typedef struct tok {
	tkind k;
	size_t off, end;        /* the token's bytes */
	size_t body, body_end;  /* T_STRING: between the quotes */
	int raw, fstr, bytes;   /* T_STRING: its prefix */
} tok;

#define PYLIT_MAX_DEPTH 64
#define PYLIT_MAX_PARTS 64

typedef struct lexer {
	const pylit_file *f;
	size_t p;
	int depth;
	size_t open[PYLIT_MAX_DEPTH]; /* offsets of the open brackets */
	int in_line;                  /* the logical line has tokens */
	um_error *err;
} lexer;

/* ---- positions and errors ------------------------------------------------ */

static void pos_of(const pylit_file *f, size_t off, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < f->len; i++) {
		if (f->text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)f->text[i] & 0xC0) != 0x80) {
			(*col)++;
		}
	}
}

int pylit_fail(const pylit_file *f, size_t off, um_err code, um_error *err, const char *fmt, ...)
{
	char msg[UM_ERRMSG_MAX];
	va_list ap;
	int line, col;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pos_of(f, off, &line, &col);
	return um_fail_at(err, code, f->path, line, col, "%s", msg);
}

/* ---- the tokenizer ------------------------------------------------------- */

static int is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

/* Whether t[0, n) is a string prefix Python accepts; its flags. */
static int string_prefix(const char *t, size_t n, tok *k)
{
	size_t i;
	int r = 0, u = 0, f = 0, b = 0;

	if (n > 2)
		return 0;
	for (i = 0; i < n; i++) {
		char c = (char)(t[i] | 0x20);

		r += c == 'r';
		u += c == 'u';
		f += c == 'f';
		b += c == 'b';
	}
	if (r > 1 || u > 1 || f > 1 || b > 1 || r + u + f + b != (int)n || (u && n > 1) ||
	    (f && b))
		return 0;
	k->raw = r;
	k->fstr = f;
	k->bytes = b;
	return 1;
}

/* The string whose opening quote is at p (its prefix at k->off). */
static int lex_string(lexer *L, size_t p, tok *k)
{
	const char *t = L->f->text;
	size_t n = L->f->len;
	char q = t[p];
	int triple = p + 2 < n && t[p + 1] == q && t[p + 2] == q;

	k->k = T_STRING;
	p += triple ? 3 : 1;
	k->body = p;
	for (;;) {
		if (p >= n)
			return pylit_fail(L->f, k->off, UM_ERR_SYNTAX, L->err,
					  triple ? "unterminated triple-quoted string literal"
						 : "unterminated string literal");
		if (t[p] == '\\') {
			p += p + 1 < n ? 2 : 1;
			continue;
		}
		if (!triple && t[p] == '\n')
			return pylit_fail(L->f, k->off, UM_ERR_SYNTAX, L->err,
					  "unterminated string literal (the line ends inside it)");
		if (t[p] == q && (!triple || (p + 2 < n && t[p + 1] == q && t[p + 2] == q)))
			break;
		p++;
	}
	k->body_end = p;
	L->p = k->end = p + (triple ? 3 : 1);
	return 0;
}

/* An operator or bracket at L->p. */
static int lex_op(lexer *L, tok *k)
{
	const char *t = L->f->text;
	char c = t[L->p];

	k->k = T_OP;
	if ((unsigned char)c >= 0x80 || c < 0x20 || c == '$' || c == '?' || c == '`')
		return pylit_fail(L->f, L->p, UM_ERR_SYNTAX, L->err,
				  "invalid character outside a string or comment");
	if (strchr("([{", c)) {
		if (L->depth == PYLIT_MAX_DEPTH)
			return pylit_fail(L->f, L->p, UM_ERR_SYNTAX, L->err,
					  "brackets nested more than %d deep", PYLIT_MAX_DEPTH);
		L->open[L->depth++] = L->p;
	} else if (strchr(")]}", c)) {
		const char want = c == ')' ? '(' : c == ']' ? '[' : '{';

		if (!L->depth || t[L->open[L->depth - 1]] != want)
			return pylit_fail(L->f, L->p, UM_ERR_SYNTAX, L->err,
					  "unmatched '%c'", c);
		L->depth--;
	}
	L->p++;
	if (strchr("=!<>-:", c) && L->p < L->f->len && (t[L->p] == '=' || (c == '-' && t[L->p] == '>')))
		L->p++;
	k->end = L->p;
	return 0;
}

/* Blanks, comments and continuations before the next token; 1 at a line
 * end that closes a logical line (*at: its offset). */
static int lex_skip(lexer *L, size_t *at, int *fail)
{
	const char *t = L->f->text;
	size_t n = L->f->len;

	*fail = 0;
	while (L->p < n) {
		char c = t[L->p];

		if (c == ' ' || c == '\t' || c == '\f') {
			L->p++;
		} else if (c == '#') {
			while (L->p < n && t[L->p] != '\n')
				L->p++;
		} else if (c == '\\') {
			if (L->p + 1 >= n || t[L->p + 1] != '\n') {
				*fail = pylit_fail(L->f, L->p, UM_ERR_SYNTAX, L->err,
						   "unexpected character after line continuation "
						   "character");
				return 0;
			}
			L->p += 2;
		} else if (c == '\n') {
			*at = L->p++;
			if (!L->depth && L->in_line)
				return 1;
		} else {
			break;
		}
	}
	return 0;
}

static int lex_next(lexer *L, tok *k)
{
	const char *t = L->f->text;
	size_t n = L->f->len, at = 0, p;
	int fail;

	memset(k, 0, sizeof(*k));
	if (lex_skip(L, &at, &fail) || (L->p >= n && L->in_line && !L->depth && !fail)) {
		k->k = T_NEWLINE;
		k->off = k->end = L->p >= n ? n : at;
		L->in_line = 0;
		return 0;
	}
	if (fail)
		return -1;
	if (L->p >= n) {
		if (L->depth)
			return pylit_fail(L->f, L->open[L->depth - 1], UM_ERR_SYNTAX, L->err,
					  "'%c' was never closed", t[L->open[L->depth - 1]]);
		k->k = T_END;
		k->off = k->end = n;
		return 0;
	}
	L->in_line = 1;
	k->off = p = L->p;
	if (is_name_start(t[p])) {
		while (p < n && is_name_char(t[p]))
			p++;
		if (p < n && (t[p] == '"' || t[p] == '\'') && string_prefix(t + k->off, p - k->off, k))
			return lex_string(L, p, k);
		k->k = T_NAME;
		L->p = k->end = p;
		return 0;
	}
	if ((t[p] >= '0' && t[p] <= '9') || (t[p] == '.' && p + 1 < n && t[p + 1] >= '0' &&
					    t[p + 1] <= '9')) {
		while (p < n && (is_name_char(t[p]) || t[p] == '.'))
			p++;
		k->k = T_NUMBER;
		L->p = k->end = p;
		return 0;
	}
	if (t[p] == '"' || t[p] == '\'')
		return lex_string(L, p, k);
	return lex_op(L, k);
}

static int tok_is(const pylit_file *f, const tok *k, tkind kind, const char *s)
{
	return k->k == kind && (!s || (k->end - k->off == strlen(s) &&
				       memcmp(f->text + k->off, s, k->end - k->off) == 0));
}

/* ---- decoding string literals ---------------------------------------------- */

typedef struct sbuild {
	um_buf b;
	size_t *src;
	size_t cap;
} sbuild;

static void sb_add(sbuild *s, const char *bytes, size_t n, size_t off)
{
	size_t i, at = s->b.len;

	um_buf_append(&s->b, bytes, n);
	um_xgrow((void **)&s->src, &s->cap, at + n + 1, sizeof(*s->src));
	for (i = 0; i < n; i++)
		s->src[at + i] = off;
}

/* Append code point cp (decoded from the escape at off). */
static int sb_cp(const pylit_file *f, sbuild *s, uint32_t cp, size_t off, int dbl, um_error *err)
{
	char u[4];
	size_t n;

	if (cp == 0)
		return pylit_fail(f, off, UM_ERR_INVALID, err,
				  "a NUL character: not sent as text");
	if (cp >= 0xD800 && cp <= 0xDFFF)
		return pylit_fail(f, off, UM_ERR_INVALID, err,
				  "a surrogate code point (U+%04X): not UTF-8 text", (unsigned)cp);
	if (cp > 0x10FFFF)
		return pylit_fail(f, off, UM_ERR_SYNTAX, err,
				  "illegal Unicode character (Python: \"(unicode error) "
				  "'unicodeescape' codec can't decode bytes\")");
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	sb_add(s, u, n, off);
	if (dbl && (cp == '{' || cp == '}'))
		sb_add(s, u, n, off);
	return 0;
}

/* The value of the n hex digits at t[i], or -1. */
static long hex_digits(const char *t, size_t i, size_t e, int n)
{
	long v = 0;
	int k;

	for (k = 0; k < n; k++, i++) {
		char c = i < e ? t[i] : 0;
		int d = c >= '0' && c <= '9' ? c - '0'
			: (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
								  : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* One escape at t[i] (a backslash); *next past it. */
static int decode_escape(const pylit_file *f, sbuild *s, size_t i, size_t e, int dbl,
			 size_t *next, um_error *err)
{
	static const char simple[] = "\\\\''\"\"a\ab\bf\fn\nr\rt\tv\v";
	const char *t = f->text, *hit;
	char d = t[i + 1];
	long v;
	int nd;

	*next = i + 2;
	if (d == '\n')
		return 0;
	for (hit = simple; *hit && *hit != d; hit += 2)
		;
	if (*hit)
		return sb_cp(f, s, (unsigned char)hit[1], i, dbl, err);
	if (d >= '0' && d <= '7') {
		for (v = 0, nd = 0; nd < 3 && i + 1 + nd < e && t[i + 1 + nd] >= '0' &&
				    t[i + 1 + nd] <= '7'; nd++)
			v = v * 8 + (t[i + 1 + nd] - '0');
		*next = i + 1 + (size_t)nd;
		return sb_cp(f, s, (uint32_t)v, i, dbl, err);
	}
	if (d == 'x' || d == 'u' || d == 'U') {
		nd = d == 'x' ? 2 : d == 'u' ? 4 : 8;
		if ((v = hex_digits(t, i + 2, e, nd)) < 0)
			return pylit_fail(f, i, UM_ERR_SYNTAX, err,
					  "truncated \\%c escape (Python: \"(unicode error) "
					  "'unicodeescape' codec can't decode bytes\")", d);
		*next = i + 2 + (size_t)nd;
		return sb_cp(f, s, (uint32_t)v, i, dbl, err);
	}
	if (d == 'N')
		return pylit_fail(f, i, UM_ERR_INVALID, err,
				  "a \\N{...} escape: umpire has no table of Unicode names; write "
				  "the character itself");
	/* an unknown escape: Python keeps the backslash (a SyntaxWarning) */
	sb_add(s, "\\", 1, i);
	*next = i + 1;
	return 0;
}

/* Decode t[a, e) of a literal (raw: as it is) into s; with dbl every brace
 * of the text doubled (it becomes part of a str.format template). */
static int decode_chunk(const pylit_file *f, sbuild *s, size_t a, size_t e, int raw, int dbl,
			um_error *err)
{
	const char *t = f->text;
	size_t i = a, n;
	uint32_t cp;

	while (i < e) {
		if (t[i] == '\\' && !raw && i + 1 < e) {
			if (decode_escape(f, s, i, e, dbl, &i, err) < 0)
				return -1;
			continue;
		}
		n = um_utf8_seq((const unsigned char *)t + i, e - i, &cp);
		if (!n)
			n = 1; /* never: the file was checked as UTF-8 */
		sb_add(s, t + i, n, i);
		if (dbl && (t[i] == '{' || t[i] == '}'))
			sb_add(s, t + i, 1, i);
		i += n;
	}
	return 0;
}

/* An f-string's body: fields must be exactly {field}; *fields counts them. */
static int decode_fstring(const pylit_file *f, sbuild *s, const tok *k, const char *field,
			  int *fields, um_error *err)
{
	const char *t = f->text;
	size_t i = k->body, from = k->body, e = k->body_end, j, fl = strlen(field);

	while (i < e) {
		char c = t[i];

		if (c == '\\' && !k->raw) {
			if (i + 1 < e && t[i + 1] == 'N')
				return decode_escape(f, s, i, e, 1, &j, err);
			if (i + 1 < e && (t[i + 1] == '{' || t[i + 1] == '}'))
				return pylit_fail(f, i, UM_ERR_INVALID, err,
						  "a backslash before a brace in an f-string");
			i += 2;
			continue;
		}
		if (c != '{' && c != '}') {
			i++;
			continue;
		}
		if (decode_chunk(f, s, from, i, k->raw, 1, err) < 0)
			return -1;
		if (i + 1 < e && t[i + 1] == c) {
			sb_add(s, c == '{' ? "{{" : "}}", 2, i);
			from = i += 2;
			continue;
		}
		if (c == '}')
			return pylit_fail(f, i, UM_ERR_SYNTAX, err,
					  "f-string: single '}' is not allowed");
		for (j = i + 1; j < e && t[j] != '}' && t[j] != '{'; j++)
			;
		if (j >= e || t[j] != '}' || j - i - 1 != fl || memcmp(t + i + 1, field, fl) != 0)
			return pylit_fail(f, i, UM_ERR_INVALID, err,
					  "an f-string field other than {%s}: umpire reads only "
					  "that one", field);
		sb_add(s, t + i, fl + 2, i);
		(*fields)++;
		from = i = j + 1;
	}
	return decode_chunk(f, s, from, e, k->raw, 1, err);
}

typedef struct parser {
	lexer L;
	tok cur;
	const char *field; /* f-strings allowed, with this one field; NULL: refused */
} parser;

static int advance(parser *P)
{
	return lex_next(&P->L, &P->cur);
}

/* Adjacent string literals (optionally in one pair of parentheses),
 * concatenated into out. */
static int parse_strings(parser *P, pylit_str *out)
{
	const pylit_file *f = P->L.f;
	tok parts[PYLIT_MAX_PARTS];
	sbuild s = {UM_BUF_INIT, NULL, 0};
	int n = 0, i, paren = tok_is(f, &P->cur, T_OP, "("), fs = 0, fields = 0;

	if (paren && advance(P) < 0)
		return -1;
	if (P->cur.k != T_STRING)
		return pylit_fail(f, P->cur.off, UM_ERR_INVALID, P->L.err,
				  "expected a string literal");
	out->off = P->cur.off;
	for (; P->cur.k == T_STRING; n++) {
		if (n == PYLIT_MAX_PARTS)
			return pylit_fail(f, P->cur.off, UM_ERR_INVALID, P->L.err,
					  "more than %d adjacent literals", PYLIT_MAX_PARTS);
		if (P->cur.bytes || (P->cur.fstr && !P->field))
			return pylit_fail(f, P->cur.off, UM_ERR_INVALID, P->L.err,
					  "%s: umpire reads only str literals here%s",
					  P->cur.bytes ? "a bytes literal" : "an f-string",
					  P->cur.bytes ? "" : " (r and u prefixes)");
		fs |= P->cur.fstr;
		parts[n] = P->cur;
		if (advance(P) < 0)
			return -1;
	}
	if (paren && !tok_is(f, &P->cur, T_OP, ")"))
		return pylit_fail(f, P->cur.off, UM_ERR_INVALID, P->L.err,
				  "expected ')' after the string literals");
	if (paren && advance(P) < 0)
		return -1;
	um_buf_init(&s.b, PYLIT_MAX_BYTES);
	for (i = 0; i < n; i++)
		if ((parts[i].fstr ? decode_fstring(f, &s, &parts[i], P->field, &fields, P->L.err)
				   : decode_chunk(f, &s, parts[i].body, parts[i].body_end,
						  parts[i].raw, fs, P->L.err)) < 0) {
			um_buf_release(&s.b);
			free(s.src);
			return -1;
		}
	out->len = s.b.len;
	out->text = um_buf_detach(&s.b);
	out->src = s.src ? s.src : um_xcalloc(1, sizeof(size_t));
	out->fstring = fs;
	out->fields = fields;
	return 0;
}

static void str_release(pylit_str *s)
{
	free(s->text);
	free(s->src);
	memset(s, 0, sizeof(*s));
}

/* An integer key: decimal digits, no leading zero, at most 9 of them. */
static int parse_int_key(parser *P, long *v)
{
	const pylit_file *f = P->L.f;
	const tok *k = &P->cur;
	size_t i, n = k->end - k->off;

	for (i = 0; i < n && f->text[k->off + i] >= '0' && f->text[k->off + i] <= '9'; i++)
		;
	if (i != n || n > 9 || (n > 1 && f->text[k->off] == '0'))
		return pylit_fail(f, k->off, UM_ERR_INVALID, P->L.err,
				  "a dict key must be a decimal integer (at most 9 digits, no "
				  "leading zero) or a string, got '%.*s'", (int)(n > 20 ? 20 : n),
				  f->text + k->off);
	*v = strtol(f->text + k->off, NULL, 10);
	return advance(P);
}

/* One key of a dict, refused when an earlier entry has it. */
static int parse_key(parser *P, pylit_assign *a, pylit_entry *e)
{
	const pylit_file *f = P->L.f;
	size_t i;

	e->off = P->cur.off;
	if (P->cur.k == T_NUMBER) {
		if (parse_int_key(P, &e->ikey) < 0)
			return -1;
	} else if (P->cur.k == T_STRING) {
		pylit_str ks = {0};
		const char *field = P->field;
		int rc;

		P->field = NULL;
		rc = parse_strings(P, &ks);
		P->field = field;
		if (rc < 0)
			return -1;
		e->skey = ks.text;
		free(ks.src);
	} else {
		return pylit_fail(f, P->cur.off, UM_ERR_INVALID, P->L.err,
				  "expected a dict key (an integer or a string)");
	}
	for (i = 0; i < a->n_entries; i++)
		if (e->skey ? um_streq(a->entries[i].skey, e->skey)
			    : !a->entries[i].skey && a->entries[i].ikey == e->ikey)
			return pylit_fail(f, e->off, UM_ERR_INVALID, P->L.err,
					  "the key is given twice in this dict (Python would keep "
					  "the last; umpire refuses to guess)");
	return 0;
}

static int parse_dict(parser *P, pylit_assign *a)
{
	const pylit_file *f = P->L.f;
	size_t cap = 0;

	a->is_dict = 1;
	if (advance(P) < 0)
		return -1;
	while (!tok_is(f, &P->cur, T_OP, "}")) {
		pylit_entry e = {0};

		if (parse_key(P, a, &e) < 0) {
			free(e.skey);
			return -1;
		}
		um_xgrow((void **)&a->entries, &cap, a->n_entries + 1, sizeof(*a->entries));
		a->entries[a->n_entries++] = e;
		if (!tok_is(f, &P->cur, T_OP, ":"))
			return pylit_fail(f, P->cur.off, UM_ERR_INVALID, P->L.err,
					  "expected ':' after the dict key");
		if (advance(P) < 0 || parse_strings(P, &a->entries[a->n_entries - 1].val) < 0)
			return -1;
		if (tok_is(f, &P->cur, T_OP, ",")) {
			if (advance(P) < 0)
				return -1;
		} else if (!tok_is(f, &P->cur, T_OP, "}")) {
			return pylit_fail(f, P->cur.off, UM_ERR_INVALID, P->L.err,
					  "expected ',' or '}' in the dict");
		}
	}
	return advance(P);
}

/* ---- files ----------------------------------------------------------------- */

void pylit_file_release(pylit_file *f)
{
	size_t i, j;

	for (i = 0; i < f->n; i++) {
		free(f->a[i].name);
		str_release(&f->a[i].str);
		for (j = 0; j < f->a[i].n_entries; j++) {
			free(f->a[i].entries[j].skey);
			str_release(&f->a[i].entries[j].val);
		}
		free(f->a[i].entries);
	}
	free(f->a);
	free(f->path);
	free(f->text);
	memset(f, 0, sizeof(*f));
}

/* The source as Python reads it: UTF-8 (a byte order mark skipped), no
 * NUL, "\r\n" and "\r" read as "\n". */
static int file_open(const char *path, const char *bytes, size_t len, pylit_file *f,
		     um_error *err)
{
	size_t i, o = 0, n;
	uint32_t cp;

	pylit_file_release(f);
	f->path = um_xstrdup(path);
	if (len > PYLIT_MAX_BYTES)
		return um_fail(err, UM_ERR_INVALID, "%s: %zu bytes, more than the %u read", path,
			       len, PYLIT_MAX_BYTES);
	if (len >= 3 && memcmp(bytes, "\xEF\xBB\xBF", 3) == 0)
		bytes += 3, len -= 3;
	f->text = um_xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (bytes[i] == '\r') {
			f->text[o++] = '\n';
			i += i + 1 < len && bytes[i + 1] == '\n';
		} else {
			f->text[o++] = bytes[i];
		}
	}
	f->text[o] = '\0';
	f->len = o;
	for (i = 0; i < o; i += n) {
		if (f->text[i] == '\0')
			return pylit_fail(f, i, UM_ERR_SYNTAX, err,
					  "source code cannot contain null bytes");
		if (!(n = um_utf8_seq((const unsigned char *)f->text + i, o - i, &cp)))
			return pylit_fail(f, i, UM_ERR_SYNTAX, err, "not UTF-8 text");
	}
	return 0;
}

static pylit_assign *file_add(pylit_file *f, size_t *cap)
{
	um_xgrow((void **)&f->a, cap, f->n + 1, sizeof(*f->a));
	memset(&f->a[f->n], 0, sizeof(*f->a));
	return &f->a[f->n++];
}

/* One statement NAME = value at the start of a line, through its end. */
static int parse_assignment(parser *P, size_t *cap)
{
	pylit_file *f = (pylit_file *)P->L.f;
	const tok name = P->cur;
	pylit_assign *a;
	char *nm;

	if (name.k != T_NAME || (name.off && f->text[name.off - 1] != '\n'))
		return pylit_fail(f, name.off, UM_ERR_INVALID, P->L.err,
				  "%s: umpire reads only top-level assignments NAME = a string or "
				  "a dict of strings here",
				  name.k == T_NAME ? "unexpected indent" : "expected a name");
	nm = um_xstrndup(f->text + name.off, name.end - name.off);
	if (pylit_find(f, nm)) {
		free(nm);
		return pylit_fail(f, name.off, UM_ERR_INVALID, P->L.err,
				  "a second assignment of this name (Python would keep the last; "
				  "umpire refuses to guess)");
	}
	a = file_add(f, cap);
	a->name = nm;
	a->off = name.off;
	if (advance(P) < 0)
		return -1;
	if (!tok_is(f, &P->cur, T_OP, "="))
		return pylit_fail(f, P->cur.off, UM_ERR_INVALID, P->L.err,
				  "expected '=' after %s: umpire reads only assignments of a "
				  "string or a dict of strings here", a->name);
	if (advance(P) < 0)
		return -1;
	if (tok_is(f, &P->cur, T_OP, "{") ? parse_dict(P, a) < 0 : parse_strings(P, &a->str) < 0)
		return -1;
	if (P->cur.k != T_NEWLINE && P->cur.k != T_END)
		return pylit_fail(f, P->cur.off, UM_ERR_INVALID, P->L.err,
				  "expected the end of the line after the value of %s", a->name);
	return P->cur.k == T_END ? 0 : advance(P);
}

int pylit_read_module(const char *path, const char *bytes, size_t len, pylit_file *f,
		      um_error *err)
{
	parser P;
	size_t cap = 0;

	if (file_open(path, bytes, len, f, err) < 0)
		return -1;
	memset(&P, 0, sizeof(P));
	P.L.f = f;
	P.L.err = err;
	if (advance(&P) < 0)
		return -1;
	while (P.cur.k != T_END)
		if (parse_assignment(&P, &cap) < 0)
			return -1;
	return 0;
}

/* Skip to the token after the end of the logical line. */
static int skip_line(parser *P)
{
	while (P->cur.k != T_NEWLINE && P->cur.k != T_END)
		if (advance(P) < 0)
			return -1;
	return P->cur.k == T_END ? 0 : advance(P);
}

static int at_line_start(const pylit_file *f, const tok *k)
{
	return !k->off || f->text[k->off - 1] == '\n';
}

/* The logical lines of a function's body (the cursor on its first token):
 * var = literals collected, until a line that is not indented. */
static int read_body(parser *P, const char *var, size_t *cap)
{
	pylit_file *f = (pylit_file *)P->L.f;

	while (P->cur.k != T_END && !at_line_start(f, &P->cur)) {
		tok first = P->cur;
		pylit_assign *a;

		if (!tok_is(f, &first, T_NAME, var)) {
			if (skip_line(P) < 0)
				return -1;
			continue;
		}
		if (advance(P) < 0)
			return -1;
		if (!tok_is(f, &P->cur, T_OP, "=")) {
			if (skip_line(P) < 0)
				return -1;
			continue;
		}
		a = file_add(f, cap);
		a->name = um_xstrdup(var);
		a->off = first.off;
		if (advance(P) < 0 || parse_strings(P, &a->str) < 0)
			return -1;
		if (P->cur.k != T_NEWLINE && P->cur.k != T_END)
			return pylit_fail(f, P->cur.off, UM_ERR_INVALID, P->L.err,
					  "expected the end of the line after the literal of %s",
					  var);
		if (skip_line(P) < 0)
			return -1;
	}
	return 0;
}

int pylit_read_function(const char *path, const char *bytes, size_t len, const char *func,
			const char *var, const char *field, pylit_file *f, um_error *err)
{
	parser P;
	size_t cap = 0;
	int found = 0;

	if (file_open(path, bytes, len, f, err) < 0)
		return -1;
	memset(&P, 0, sizeof(P));
	P.L.f = f;
	P.L.err = err;
	P.field = field;
	if (advance(&P) < 0)
		return -1;
	while (P.cur.k != T_END) {
		tok first = P.cur;

		if (!tok_is(f, &first, T_NAME, "def") || !at_line_start(f, &first)) {
			if (skip_line(&P) < 0)
				return -1;
			continue;
		}
		if (advance(&P) < 0)
			return -1;
		if (!tok_is(f, &P.cur, T_NAME, func)) {
			if (skip_line(&P) < 0)
				return -1;
			continue;
		}
		if (found++)
			return pylit_fail(f, first.off, UM_ERR_INVALID, err,
					  "a second def %s (Python would keep the last; umpire "
					  "refuses to guess)", func);
		if (skip_line(&P) < 0 || read_body(&P, var, &cap) < 0)
			return -1;
	}
	if (!found)
		return um_fail_at(err, UM_ERR_INVALID, f->path, 1, 1,
				  "no top-level def %s in this file", func);
	return 0;
}

const pylit_assign *pylit_find(const pylit_file *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->a[i].name, name) == 0)
			return &f->a[i];
	return NULL;
}

const pylit_str *pylit_dict_int(const pylit_assign *a, long k)
{
	size_t i;

	for (i = 0; a && a->is_dict && i < a->n_entries; i++)
		if (!a->entries[i].skey && a->entries[i].ikey == k)
			return &a->entries[i].val;
	return NULL;
}
