/*
 * jscan.c - the small strict JSON reader of jscan.h.
 *
 * Recursive descent over the bytes, nodes in document order in a fixed
 * table, strings kept as spans of the buffer (validated here: escapes,
 * surrogate pairs, UTF-8 as jansson checks it; decoded only when asked).
 * Wherever jansson would refuse the document, or this reader could read it
 * differently, it gives up instead (jscan.h lists the cases), so a success
 * always means jansson reads the same values.
 */
#include "base/jscan.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static void skip_ws(jscan *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int k;

	for (k = 0; k < 4; k++) {
		char c = p[k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* A \u escape at p (the backslash) with its pair when it is a high
 * surrogate: the code point and the bytes used, or -1 (invalid, or U+0000). */
static int read_u_escape(const char *p, const char *end, unsigned *cp, size_t *used)
{
	unsigned hi, lo;

	if (end - p < 6 || hex4(p + 2, &hi) < 0 || hi == 0)
		return -1;
	if (hi >= 0xDC00 && hi <= 0xDFFF)
		return -1; /* a low surrogate alone */
	if (hi < 0xD800 || hi > 0xDBFF) {
		*cp = hi;
		*used = 6;
		return 0;
	}
	if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || hex4(p + 8, &lo) < 0 || lo < 0xDC00 ||
	    lo > 0xDFFF)
		return -1;
	*cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
	*used = 12;
	return 0;
}

/* The length of the valid UTF-8 sequence at p (strict: no overlong forms,
 * surrogates or code points past U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0];
	size_t n, k;
	unsigned char lo = 0x80, hi = 0xBF;

	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (k = 2; k < n; k++)
		if (p[k] < 0x80 || p[k] > 0xBF)
			return 0;
	return n;
}

/* A string at the cursor (on its opening quote): its span and whether it
 * holds an escape. */
static int scan_string(jscan *j, const char **s, size_t *n, int *esc)
{
	const char *p = j->p + 1;

	*esc = 0;
	while (p < j->end) {
		unsigned char c = (unsigned char)*p;

		if (c == '"') {
			*s = j->p + 1;
			*n = (size_t)(p - (j->p + 1));
			j->p = p + 1;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			unsigned cp;
			size_t used;

			*esc = 1;
			if (p + 1 >= j->end)
				return -1;
			if (p[1] == 'u') {
				if (read_u_escape(p, j->end, &cp, &used) < 0)
					return -1;
				p += used;
			} else if (p[1] && strchr("\"\\/bfnrt", p[1])) {
				p += 2;
			} else {
				return -1;
			}
		} else if (c >= 0x80) {
			size_t k = utf8_len((const unsigned char *)p, (const unsigned char *)j->end);

			if (!k)
				return -1;
			p += k;
		} else {
			p++;
		}
	}
	return -1;
}

static int scan_int(jscan *j, int64_t *out)
{
	const char *p = j->p;
	uint64_t v = 0, limit;
	int neg = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (p >= j->end || *p < '0' || *p > '9')
		return -1;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (*p == '0') {
		p++;
	} else {
		while (p < j->end && *p >= '0' && *p <= '9') {
			unsigned d = (unsigned)(*p - '0');

			if (v > (limit - d) / 10)
				return -1; /* past int64: jansson refuses it */
			v = v * 10 + d;
			p++;
		}
	}
	if (p < j->end && ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E'))
		return -1; /* a leading zero, or a real */
	*out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	j->p = p;
	return 0;
}

static int new_node(jscan *j, jscan_type t)
{
	jscan_node *x;

	if (j->n >= JSCAN_MAX_NODES)
		return -1;
	x = &j->nodes[j->n];
	memset(x, 0, sizeof(*x));
	x->type = t;
	x->next = -1;
	x->child = -1;
	return j->n++;
}

static int parse_value(jscan *j, int depth);

/* Is key (n bytes) already a member of object obj? */
static int has_key(const jscan *j, int obj, const char *key, size_t n)
{
	int c;

	for (c = j->nodes[obj].child; c >= 0; c = j->nodes[c].next)
		if (j->nodes[c].key_len == n && memcmp(j->nodes[c].key, key, n) == 0)
			return 1;
	return 0;
}

/* The elements of an array or the members of an object, the cursor past
 * its opening bracket. */
static int parse_children(jscan *j, int idx, int depth, int obj)
{
	int last = -1;
	char close = obj ? '}' : ']';

	skip_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		size_t key_len = 0;
		int esc, v;

		skip_ws(j);
		if (obj) {
			if (j->p >= j->end || *j->p != '"' || scan_string(j, &key, &key_len, &esc) < 0 ||
			    esc || has_key(j, idx, key, key_len))
				return -1;
			skip_ws(j);
			if (j->p >= j->end || *j->p != ':')
				return -1;
			j->p++;
		}
		if ((v = parse_value(j, depth + 1)) < 0)
			return -1;
		j->nodes[v].key = key;
		j->nodes[v].key_len = key_len;
		if (last < 0)
			j->nodes[idx].child = v;
		else
			j->nodes[last].next = v;
		last = v;
		j->nodes[idx].n_children++;
		skip_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return 0;
		}
		return -1;
	}
}

static int parse_literal(jscan *j, const char *word, jscan_type t)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return -1;
	j->p += n;
	return new_node(j, t);
}

static int parse_value(jscan *j, int depth)
{
	int idx;

	skip_ws(j);
	if (j->p >= j->end || depth > JSCAN_MAX_DEPTH)
		return -1;
	switch (*j->p) {
	case '{':
	case '[':
		if ((idx = new_node(j, *j->p == '{' ? JSCAN_OBJ : JSCAN_ARR)) < 0)
			return -1;
		j->p++;
		return parse_children(j, idx, depth, j->nodes[idx].type == JSCAN_OBJ) < 0 ? -1 : idx;
	case '"':
		if ((idx = new_node(j, JSCAN_STR)) < 0 ||
		    scan_string(j, &j->nodes[idx].s, &j->nodes[idx].n, &j->nodes[idx].esc) < 0)
			return -1;
		return idx;
	case 't':
		return parse_literal(j, "true", JSCAN_TRUE);
	case 'f':
		return parse_literal(j, "false", JSCAN_FALSE);
	case 'n':
		return parse_literal(j, "null", JSCAN_NULL);
	default:
		if ((idx = new_node(j, JSCAN_INT)) < 0 || scan_int(j, &j->nodes[idx].i) < 0)
			return -1;
		return idx;
	}
}

int jscan_parse(jscan *j, const char *buf, size_t len)
{
	j->n = 0;
	j->p = buf;
	j->end = buf + len;
	if (parse_value(j, 0) != 0)
		return -1;
	skip_ws(j);
	return j->p == j->end ? 0 : -1;
}

int jscan_get(const jscan *j, int obj, const char *key)
{
	size_t n = strlen(key);
	int c;

	if (obj < 0 || j->nodes[obj].type != JSCAN_OBJ)
		return -1;
	for (c = j->nodes[obj].child; c >= 0; c = j->nodes[c].next)
		if (j->nodes[c].key_len == n && memcmp(j->nodes[c].key, key, n) == 0)
			return c;
	return -1;
}

int jscan_index(const jscan *j, int arr, int i)
{
	int c;

	if (arr < 0 || j->nodes[arr].type != JSCAN_ARR || i < 0)
		return -1;
	for (c = j->nodes[arr].child; c >= 0 && i > 0; c = j->nodes[c].next)
		i--;
	return c;
}

int jscan_type_of(const jscan *j, int idx)
{
	return idx < 0 ? -1 : (int)j->nodes[idx].type;
}

/* Appends code point cp as UTF-8 at o; the bytes written. */
static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

char *jscan_strdup(const jscan *j, int idx)
{
	const jscan_node *x = &j->nodes[idx];
	const char *p = x->s, *end = x->s + x->n;
	char *out, *o;

	if (!x->esc)
		return um_xstrndup(x->s, x->n);
	/* escapes only shrink: \uXXXX is 6 bytes for at most 3, a pair 12 for 4 */
	o = out = um_xmalloc(x->n + 1);
	while (p < end) {
		if (*p != '\\') {
			*o++ = *p++;
			continue;
		}
		switch (p[1]) {
		case 'u': {
			unsigned cp = 0;
			size_t used = 6;

			(void)read_u_escape(p, end, &cp, &used); /* checked when parsed */
			o += put_utf8(o, cp);
			p += used;
			continue;
		}
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		default: *o++ = p[1]; break; /* " \ / */
		}
		p += 2;
	}
	*o = '\0';
	return out;
}
