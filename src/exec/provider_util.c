/*
 * provider_util.c - the pieces every wire family uses: canonical JSON
 * (json_canonical), JSON kinds for messages, the list of parameters not
 * sent, tool-call helpers, the system text, checked string and token-count
 * members, thinking blocks, and the SSE reader (whole bodies, and the
 * engine's first-token scan).
 *
 * Canonical JSON: compact, sorted keys, reals with the fewest digits that
 * read back to the same double, so two systems of one provider that differ
 * only in model send bodies whose hash without "model" is equal.
 */
#include "exec/provider_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/jscan.h"
#include "base/util.h"

/* ---- canonical JSON ---------------------------------------------------- */

/* Fewest significant digits (1..17) with which %g reads back as d. */
static int real_digits(double d)
{
	char tmp[40];
	int p;

	for (p = 1; p < 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*g", p, d);
		if (strtod(tmp, NULL) == d)
			return p;
	}
	return 17;
}

static void max_real_digits(const json_t *v, int *p)
{
	const char *key;
	json_t *child;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_REAL: {
		int d = real_digits(json_real_value(v));
		if (d > *p)
			*p = d;
		break;
	}
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, key, child) max_real_digits(child, p);
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, child) max_real_digits(child, p);
		break;
	default:
		break;
	}
}

static int dump_to_buf(const char *data, size_t len, void *ctx)
{
	return um_buf_append(ctx, data, len);
}

/* The canonical encoder writes what json_dumps(JSON_COMPACT |
 * JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(digits)) writes,
 * byte for byte, without its per-call set of visited containers and its
 * per-code-point UTF-8 walk: ASCII strings and integers are written here;
 * reals, strings with a byte above 0x7f and documents nested deeper than
 * CANON_MAX_DEPTH go through jansson itself (the same bytes, or the same
 * failure). tests/unit/exec/test_provider checks both against each other. */
#define CANON_MAX_DEPTH 512
#define CANON_FLAGS(digits)                                                                        \
	(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(digits))

typedef struct canon_key {
	const char *key;
	size_t len;
	json_t *value;
} canon_key;

static int canon_cmp_key(const void *a, const void *b)
{
	const canon_key *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int r = memcmp(x->key, y->key, n);

	if (r)
		return r;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* A byte jansson writes as it is: ASCII, not a quote, a backslash or a
 * control character (DEL included: jansson does not escape it). */
static int canon_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

static int canon_string(um_buf *b, const char *str, size_t len)
{
	size_t i, from = 0;

	for (i = 0; i < len; i++)
		if ((unsigned char)str[i] >= 0x80) {
			json_t *j = json_stringn(str, len);
			int rc = j ? json_dump_callback(j, dump_to_buf, b, JSON_ENCODE_ANY) : -1;

			json_decref(j);
			return rc;
		}
	if (um_buf_putc(b, '"') < 0)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)str[i];
		char esc[8];
		const char *t = esc;
		size_t tl = 2;

		if (canon_plain(c))
			continue;
		if (i > from && um_buf_append(b, str + from, i - from) < 0)
			return -1;
		from = i + 1;
		switch (c) {
		case '"': t = "\\\""; break;
		case '\\': t = "\\\\"; break;
		case '\b': t = "\\b"; break;
		case '\f': t = "\\f"; break;
		case '\n': t = "\\n"; break;
		case '\r': t = "\\r"; break;
		case '\t': t = "\\t"; break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04X", (unsigned)c);
			tl = 6;
			break;
		}
		if (um_buf_append(b, t, tl) < 0)
			return -1;
	}
	if (len > from && um_buf_append(b, str + from, len - from) < 0)
		return -1;
	return um_buf_putc(b, '"');
}

static int canon_put(um_buf *b, const json_t *v, int digits, int depth);

static int canon_object(um_buf *b, const json_t *v, int digits, int depth)
{
	size_t n = json_object_size(v), i = 0;
	canon_key one[16], *keys = n <= 16 ? one : um_xcalloc(n, sizeof(*keys));
	void *it;
	int rc = 0;

	for (it = json_object_iter((json_t *)v); it && i < n;
	     it = json_object_iter_next((json_t *)v, it), i++) {
		keys[i].key = json_object_iter_key(it);
		keys[i].len = json_object_iter_key_len(it);
		keys[i].value = json_object_iter_value(it);
	}
	qsort(keys, i, sizeof(*keys), canon_cmp_key);
	rc = um_buf_putc(b, '{');
	for (n = i, i = 0; rc == 0 && i < n; i++)
		if ((i && um_buf_putc(b, ',') < 0) || canon_string(b, keys[i].key, keys[i].len) < 0 ||
		    um_buf_putc(b, ':') < 0 || canon_put(b, keys[i].value, digits, depth + 1) < 0)
			rc = -1;
	if (rc == 0)
		rc = um_buf_putc(b, '}');
	if (keys != one)
		free(keys);
	return rc;
}

static int canon_put(um_buf *b, const json_t *v, int digits, int depth)
{
	char num[32];
	size_t i, n;

	if (!v || depth > CANON_MAX_DEPTH)
		return -1;
	switch (json_typeof(v)) {
	case JSON_NULL:
		return um_buf_append(b, "null", 4);
	case JSON_TRUE:
		return um_buf_append(b, "true", 4);
	case JSON_FALSE:
		return um_buf_append(b, "false", 5);
	case JSON_INTEGER:
		n = (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
				     json_integer_value(v));
		return um_buf_append(b, num, n);
	case JSON_STRING:
		return canon_string(b, json_string_value(v), json_string_length(v));
	case JSON_ARRAY:
		n = json_array_size(v);
		if (um_buf_putc(b, '[') < 0)
			return -1;
		for (i = 0; i < n; i++)
			if ((i && um_buf_putc(b, ',') < 0) ||
			    canon_put(b, json_array_get(v, i), digits, depth + 1) < 0)
				return -1;
		return um_buf_putc(b, ']');
	case JSON_OBJECT:
		return canon_object(b, v, digits, depth);
	default: /* JSON_REAL */
		return json_dump_callback(v, dump_to_buf, b, CANON_FLAGS(digits));
	}
}

/* Appends v's canonical text; on failure (or a document too deep for the
 * encoder here) the buffer holds what json_dump_callback leaves. */
static int canon_dump(um_buf *b, const json_t *v, int digits)
{
	size_t start = b->len;

	if (canon_put(b, v, digits, 0) == 0)
		return 0;
	b->len = start; /* deep (or broken): let jansson decide */
	if (b->data)
		b->data[start] = '\0';
	b->overflow = 0;
	return json_dump_callback(v, dump_to_buf, b, CANON_FLAGS(digits));
}

char *json_canonical(const json_t *v)
{
	int digits = 1;
	um_buf b;

	if (!v)
		return NULL;
	/* One precision for the whole document: the largest any real needs.
	 * Every real then reads back exactly, and the choice depends only on
	 * the values, so equal documents give equal bytes. */
	max_real_digits(v, &digits);
	um_buf_init(&b, 0);
	if (canon_dump(&b, v, digits) < 0) {
		um_buf_release(&b);
		return NULL;
	}
	return um_buf_detach(&b);
}

char *json_canonical_jansson(const json_t *v)
{
	int digits = 1;

	if (!v)
		return NULL;
	max_real_digits(v, &digits);
	return json_dumps(v, CANON_FLAGS(digits));
}

/* A key as jansson encodes it; keys of plain printable ASCII (every key a
 * wire body has) are copied as they are. */
static void put_key(um_buf *b, const char *key)
{
	const unsigned char *c;
	json_t *k;

	for (c = (const unsigned char *)key; *c; c++)
		if (*c < 0x20 || *c > 0x7e || *c == '"' || *c == '\\')
			break;
	if (!*c) {
		um_buf_putc(b, '"');
		um_buf_puts(b, key);
		um_buf_putc(b, '"');
		return;
	}
	k = json_string(key);
	if (k)
		json_dump_callback(k, dump_to_buf, b, JSON_ENCODE_ANY);
	json_decref(k);
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int skipped(const char *key, const char *const *skip)
{
	for (; *skip; skip++)
		if (strcmp(key, *skip) == 0)
			return 1;
	return 0;
}

/* Canonical JSON is '{', the members sorted by key and joined by ',', '}';
 * so the text without some top-level keys is the same members without
 * theirs, and both hashes come from one encoding. */
char *json_canonical_sealed(const json_t *obj, const char *const *skip, size_t *len,
			    char sha[65], char sha_without[65])
{
	size_t n = json_object_size(obj), i, k = 0, *end;
	const char **keys, *key;
	json_t *v;
	um_buf b = UM_BUF_INIT;
	char *rest;
	size_t m = 0;
	int digits = 1, digits_skipped = 1, exact;

	keys = um_xcalloc(n ? n : 1, sizeof(*keys));
	end = um_xcalloc(n + 1, sizeof(*end));
	json_object_foreach((json_t *)obj, key, v) {
		keys[k++] = key;
		max_real_digits(v, skipped(key, skip) ? &digits_skipped : &digits);
	}
	/* one precision for the text with and without the skipped members */
	exact = digits_skipped <= digits;
	if (!exact)
		digits = digits_skipped;
	qsort(keys, n, sizeof(*keys), cmp_key);
	um_buf_init(&b, 0);
	um_buf_putc(&b, '{');
	end[0] = b.len;
	for (i = 0; i < n; i++) {
		if (i)
			um_buf_putc(&b, ',');
		put_key(&b, keys[i]);
		um_buf_putc(&b, ':');
		canon_dump(&b, json_object_get(obj, keys[i]), digits);
		end[i + 1] = b.len;
	}
	um_buf_putc(&b, '}');
	um_sha256_hex(b.data, b.len, sha);
	/* member i is b.data[end[i] + (i ? 1 : 0) .. end[i + 1]); the text
	 * without the skipped ones is copied from there */
	rest = um_xmalloc(b.len + 1);
	rest[m++] = '{';
	for (i = 0; i < n; i++) {
		size_t from = end[i] + (i ? 1 : 0);

		if (skipped(keys[i], skip))
			continue;
		if (m > 1)
			rest[m++] = ',';
		memcpy(rest + m, b.data + from, end[i + 1] - from);
		m += end[i + 1] - from;
	}
	rest[m++] = '}';
	um_sha256_hex(rest, m, sha_without);
	free(rest);
	if (!exact) { /* a skipped member needs more digits: encode the rest again */
		json_t *copy = json_copy((json_t *)obj);
		char *text;

		for (; *skip; skip++)
			json_object_del(copy, *skip);
		text = json_canonical(copy);
		um_sha256_hex(text, strlen(text), sha_without);
		free(text);
		json_decref(copy);
	}
	free(keys);
	free(end);
	*len = b.len;
	return um_buf_detach(&b);
}

const char *provider_util_json_kind(const json_t *v)
{
	if (!v)
		return "missing";
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "of an unknown type";
}

void provider_util_not_sent(prov_job *j, const char *name)
{
	size_t i;

	for (i = 0; i < j->n_drop; i++)
		if (strcmp(j->drop[i], name) == 0)
			return;
	um_xgrow((void **)&j->drop, &j->cap_drop, j->n_drop + 1, sizeof(*j->drop));
	j->drop[j->n_drop++] = name;
}

int provider_util_caps_refuse(const prov_job *j, const char *key, int temperature_sent)
{
	const um_caps *caps = &j->sys->caps;

	if (caps->no_sampling)
		return strcmp(key, "temperature") == 0 || strcmp(key, "top_p") == 0 ||
		       strcmp(key, "top_k") == 0;
	return caps->one_sampler && temperature_sent && strcmp(key, "top_p") == 0;
}

json_t *provider_util_claude_thinking(prov_job *j, json_t **output_config)
{
	const um_caps *caps = &j->sys->caps;
	const char *effort = models_effort_taken(caps, j->effort) ? j->effort : NULL;

	*output_config = NULL;
	if (j->effort && !effort)
		provider_util_not_sent(j, "reasoning.effort");
	if (j->budget >= 0 && (effort || !caps->budget))
		provider_util_not_sent(j, "reasoning.budget_tokens");
	if (effort) {
		*output_config = json_pack("{s:s}", "effort", effort);
		return json_pack("{s:s}", "type", "adaptive");
	}
	if (j->budget >= 0 && caps->budget)
		return json_pack("{s:s,s:I}", "type", "enabled", "budget_tokens",
				 (json_int_t)j->budget);
	return NULL;
}

int provider_util_has_tool_calls(const json_t *m)
{
	json_t *calls = json_object_get(m, "tool_calls");

	return json_is_array(calls) && json_array_size(calls) > 0;
}

json_t *provider_util_parts(const json_t *parts, prov_part_fn text, prov_part_fn image)
{
	json_t *out = json_array(), *p;
	size_t i;

	json_array_foreach(parts, i, p)
	{
		const char *type = json_string_value(json_object_get(p, "type"));

		json_array_append_new(out, strcmp(type, "image") == 0 ? image(p) : text(p));
	}
	return out;
}

json_t *provider_util_tool_input(const json_t *tc)
{
	const char *args = json_string_value(json_object_get(tc, "arguments"));
	json_t *input = args ? json_loads(args, JSON_REJECT_DUPLICATES, NULL) : NULL;

	if (!json_is_object(input)) {
		json_decref(input);
		input = json_object();
	}
	return input;
}

const char *provider_util_tool_name(const json_t *messages, size_t before, const char *tool_call_id)
{
	size_t i, k;
	json_t *tc;

	for (i = before; tool_call_id && i-- > 0;) {
		json_array_foreach(json_object_get(json_array_get(messages, i), "tool_calls"), k, tc)
		{
			if (um_streq(json_string_value(json_object_get(tc, "id")), tool_call_id))
				return json_string_value(json_object_get(tc, "name"));
		}
	}
	return NULL;
}

char *provider_util_system_text(prov_job *j, const char *family, int *n)
{
	um_buf text = UM_BUF_INIT;
	json_t *m;
	size_t i;

	*n = 0;
	um_buf_init(&text, 0);
	json_array_foreach(j->messages, i, m)
	{
		json_t *content = json_object_get(m, "content");

		if (strcmp(json_string_value(json_object_get(m, "role")), "system") != 0)
			continue;
		if (!json_is_string(content)) {
			um_fail(j->err, UM_ERR_INVALID,
				"system \"%s\": messages[%zu] is a system message whose content is "
				"%s; %s takes system text only",
				j->sys->name, i, provider_util_json_kind(content), family);
			um_buf_release(&text);
			return NULL;
		}
		if ((*n)++)
			um_buf_puts(&text, "\n\n");
		um_buf_puts(&text, json_string_value(content));
	}
	if (!text.data)
		um_buf_puts(&text, "");
	return um_buf_detach(&text);
}

void provider_util_add_thinking(um_completion *c, const char *text, const char *signature,
			   const char *redacted)
{
	json_t *t = redacted ? json_pack("{s:s}", "redacted", redacted)
			     : json_pack("{s:s}", "text", text ? text : "");

	if (signature && !redacted)
		json_object_set_new(t, "signature", json_string(signature));
	if (!c->thinking)
		c->thinking = json_array();
	json_array_append_new(c->thinking, t);
}


typedef struct sse_state {
	um_buf data;
	int have;    /* a data line has been seen in this event */
	char *event;
} sse_state;

/* One SSE field line ("name: value"), or the blank line that ends an event. */
static int provider_util_sse_line(const char *line, size_t n, sse_state *st, prov_sse_fn fn, void *ctx,
			     um_error *err)
{
	const char *v;
	size_t vn;
	int rc = 0;

	if (n == 0) {
		if (st->have)
			rc = fn(ctx, st->event, um_buf_str(&st->data), err);
		um_buf_reset(&st->data);
		st->have = 0;
		free(st->event);
		st->event = NULL;
		return rc;
	}
	if (line[0] == ':')
		return 0; /* a comment (keep-alive) */
	v = memchr(line, ':', n);
	if (!v)
		return 0;
	vn = n - (size_t)(v - line) - 1;
	if (vn && v[1] == ' ') {
		v++;
		vn--;
	}
	if (v - line >= 4 && memcmp(line, "data:", 5) == 0) {
		if (st->have)
			um_buf_putc(&st->data, '\n');
		um_buf_append(&st->data, v + 1, vn);
		st->have = 1;
	} else if (v - line >= 5 && memcmp(line, "event:", 6) == 0) {
		free(st->event);
		st->event = um_xstrndup(v + 1, vn);
	}
	return 0;
}

int provider_util_sse_each(const char *body, size_t len, prov_sse_fn fn, void *ctx, um_error *err)
{
	sse_state st;
	size_t i = 0;
	int rc = 0;

	memset(&st, 0, sizeof(st));
	um_buf_init(&st.data, 0);
	while (i < len && rc == 0) {
		const char *line = body + i, *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i;

		i += nl ? n + 1 : n;
		if (n && line[n - 1] == '\r')
			n--;
		rc = provider_util_sse_line(line, n, &st, fn, ctx, err);
	}
	if (rc == 0) /* a last event without its blank line */
		rc = provider_util_sse_line("", 0, &st, fn, ctx, err);
	um_buf_release(&st.data);
	free(st.event);
	return rc;
}

/* A copy of a JSON text with every \u0000 escape turned into \ufffd (the
 * replacement character), or NULL when there is none: an answer holding a
 * NUL (valid JSON) is then stored and graded, not refused by jansson. An
 * escape is a backslash preceded by an even number of backslashes. */
static char *json_nul_free(const char *body, size_t len)
{
	static const char esc[] = "\\u0000";
	const char *p = body, *end = body + len, *hit;
	char *copy = NULL;

	while ((hit = memmem(p, (size_t)(end - p), esc, 6)) != NULL) {
		size_t k = 0;

		while (hit - k > body && hit[-(long)k - 1] == '\\')
			k++;
		if (k % 2 == 0) {
			if (!copy) {
				copy = um_xmalloc(len + 1);
				memcpy(copy, body, len);
				copy[len] = '\0';
			}
			memcpy(copy + (hit - body) + 2, "fffd", 4);
		}
		p = hit + 6;
	}
	return copy;
}

json_t *provider_util_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *jerr)
{
	char *copy = json_nul_free(buf, len);
	json_t *j = json_loadb(copy ? copy : buf, len, flags, jerr);

	free(copy);
	return j;
}

int provider_util_sse_scan(const char *buf, size_t len, size_t *used, int (*tok)(const json_t *ev))
{
	size_t i = 0;
	int found = 0;

	*used = 0;
	while (i < len && !found) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t n;

		if (!nl)
			break;
		n = (size_t)(nl - (buf + i));
		if (n > 5 && memcmp(buf + i, "data:", 5) == 0) {
			json_t *ev = provider_util_json_loadb(buf + i + 5, n - 5,
							     JSON_DISABLE_EOF_CHECK, NULL);
			found = ev && tok(ev);
			json_decref(ev);
		}
		i += n + 1;
		*used = i;
	}
	return found;
}


/* A string member: required or optional (missing/null -> NULL). */
int provider_util_get_string(const json_t *obj, const char *key, const char *path, int required,
			char **out, um_error *err)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (json_is_string(v)) {
		*out = um_xstrndup(json_string_value(v), json_string_length(v));
		return 0;
	}
	if ((!v || json_is_null(v)) && !required)
		return 0;
	return um_fail(err, UM_ERR_PROTOCOL, "%s%s is %s, not a string", path, key, provider_util_json_kind(v));
}

/* A token count: a non-negative integer; optional ones may be missing or null (0). */
int provider_util_get_count(const json_t *obj, const char *key, const char *path, int required,
		       int64_t *out, um_error *err)
{
	json_t *v = json_object_get(obj, key);

	*out = 0;
	if ((!v || json_is_null(v)) && !required)
		return 0;
	if (!json_is_integer(v))
		return um_fail(err, UM_ERR_PROTOCOL, "%s%s is %s, not an integer", path, key,
			       json_is_real(v) ? "a fractional number" : provider_util_json_kind(v));
	if (json_integer_value(v) < 0)
		return um_fail(err, UM_ERR_PROTOCOL, "%s%s is negative (%lld)", path, key,
			       (long long)json_integer_value(v));
	if (json_integer_value(v) > PROVIDER_TOKENS_MAX)
		return um_fail(err, UM_ERR_PROTOCOL, "%s%s is implausibly large (%lld)", path, key,
			       (long long)json_integer_value(v));
	*out = json_integer_value(v);
	return 0;
}

/* ---- the fast paths' members (jscan nodes) ---------------------------- */

/* A token count as provider_util_get_count reads it; -1: give up. */
int provider_util_fast_count(const jscan *j, int obj, const char *key, int required, int64_t *out)
{
	int v = jscan_get(j, obj, key);

	*out = 0;
	if ((v < 0 || j->nodes[v].type == JSCAN_NULL) && !required)
		return 0;
	if (jscan_type_of(j, v) != JSCAN_INT || j->nodes[v].i < 0 ||
	    j->nodes[v].i > PROVIDER_TOKENS_MAX)
		return -1;
	*out = j->nodes[v].i;
	return 0;
}

/* An optional string member as provider_util_get_string reads it. */
int provider_util_fast_string(const jscan *j, int obj, const char *key, char **out)
{
	int v = jscan_get(j, obj, key);

	*out = NULL;
	if (v < 0 || j->nodes[v].type == JSCAN_NULL)
		return 0;
	if (j->nodes[v].type != JSCAN_STR)
		return -1;
	*out = jscan_strdup(j, v);
	return 0;
}

jscan *provider_util_fast_open(const char *body, size_t len, um_completion *c)
{
	jscan *j = um_xmalloc(sizeof(*j));
	int routing;

	memset(c, 0, sizeof(*c));
	if (jscan_parse(j, body, len) == 0 && j->nodes[0].type == JSCAN_OBJ) {
		routing = jscan_get(j, 0, "routing");
		if (routing < 0 || j->nodes[routing].type == JSCAN_NULL)
			return j;
	}
	free(j);
	return NULL;
}

int provider_util_fast_close(jscan *j, um_completion *c, int ok)
{
	free(j);
	if (!ok) {
		/* only strings are filled on the fast paths */
		free(c->content);
		free(c->finish_reason);
		free(c->served_model);
		free(c->fingerprint);
		free(c->response_id);
		memset(c, 0, sizeof(*c));
	}
	return ok;
}
