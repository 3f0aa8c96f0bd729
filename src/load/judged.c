/*
 * judged.c - the items of a judged suite: inline YAML, and the exports of
 * Humanity's Last Exam and MRCR (judged.h; the formats in docs/judged.md).
 *
 * The exports are read record by record: JSONL a line at a time, or one
 * JSON array whose elements are decoded one after the other (jansson stops
 * after each value and says how many bytes it read), so an error in either
 * form names the line its record starts on.
 */
#include "load/judged.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "load/dataset.h"
#include "load/image.h"

#define JUDGED_MAX_MESSAGES 10000

const char *const judged_grader_names[] = {"exact", "numeric", "similarity", "mrcr",
					   "graphwalks", "judge", NULL};

static const char *const inline_keys[] = {
	"id", "category", "subcategory", "question", "messages", "answer", "grader", "prefix",
	"answer_type", "image", NULL,
};
static const char *const roles[] = {"system", "user", "assistant", NULL};

int judged_grader_known(const char *name)
{
	return name && um_str_index((char **)judged_grader_names, 6, name) >= 0;
}

static int64_t utf8_chars(const char *s)
{
	int64_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

int judged_messages_check(const json_t *msgs, char **text, int64_t *chars, char *why,
			  size_t why_size)
{
	const json_t *m = NULL;
	size_t i;

	*text = NULL;
	*chars = 0;
	if (!json_is_array(msgs) || json_array_size(msgs) == 0 ||
	    json_array_size(msgs) > JUDGED_MAX_MESSAGES) {
		snprintf(why, why_size, "messages must be a list of 1 to %d messages",
			 JUDGED_MAX_MESSAGES);
		return -1;
	}
	json_array_foreach(msgs, i, m) {
		const char *role = json_string_value(json_object_get(m, "role"));
		const json_t *c = json_object_get(m, "content");

		if (!json_is_object(m) || json_object_size(m) != 2 || !role || !json_is_string(c)) {
			snprintf(why, why_size,
				 "message %zu: want exactly {\"role\": ..., \"content\": a string}", i);
			return -1;
		}
		if (um_str_index((char **)roles, 3, role) < 0) {
			snprintf(why, why_size,
				 "message %zu: role '%s' (want system, user or assistant)", i, role);
			return -1;
		}
		*chars += utf8_chars(json_string_value(c));
	}
	if (!m || strcmp(json_string_value(json_object_get(m, "role")), "user") != 0) {
		snprintf(why, why_size, "the last message must be the user's (the one answered)");
		return -1;
	}
	*text = json_dumps(msgs, JSON_COMPACT | JSON_ENSURE_ASCII);
	return 0;
}

int judged_context_bin(const um_judged_rules *r, int64_t chars)
{
	int64_t tokens = (chars + 3) / 4;
	int k;

	if (r->n_bins == 0)
		return -1;
	for (k = 0; k < r->n_bins; k++)
		if (tokens <= r->bins[k])
			return k;
	return r->n_bins;
}

void judged_bin_label(const um_judged_rules *r, int k, char *out, size_t size)
{
	if (k < 0 || r->n_bins == 0)
		snprintf(out, size, "all");
	else if (k < r->n_bins)
		snprintf(out, size, "<=%lld", (long long)r->bins[k]);
	else
		snprintf(out, size, ">%lld", (long long)r->bins[r->n_bins - 1]);
}

/* ---- inline items ------------------------------------------------------ */

static int blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 0;
	return 1;
}

static int inline_str(const yml_doc *d, const yml_node *m, const char *key, int required,
		      char **out, um_error *err)
{
	int rc = yml_str(d, m, key, required, out, err);

	/* a reference answer or a question of spaces is a mistake */
	if (rc == 1 && blank(*out))
		return yml_fail(d, yml_get(m, key), UM_ERR_INVALID, err, "'%s' must not be blank",
				key);
	return rc;
}

static int inline_messages(const yml_doc *d, const yml_node *m, um_item *it, um_error *err)
{
	const yml_node *n = yml_get(m, "messages");
	json_t *j;
	char why[160];
	int rc;

	if (yml_expect(d, n, YML_SEQ, "messages", err) < 0)
		return -1;
	j = yml_to_json(d, n, err);
	if (!j)
		return -1;
	rc = judged_messages_check(j, &it->messages, &it->context_chars, why, sizeof(why));
	json_decref(j);
	if (rc < 0)
		return yml_fail(d, n, UM_ERR_INVALID, err, "item '%s': %s", it->id, why);
	return 0;
}

int judged_inline_item(const yml_doc *d, const yml_node *m, um_item *it, um_error *err)
{
	int has_q, has_m;

	memset(it, 0, sizeof(*it));
	if (yml_expect(d, m, YML_MAP, "item", err) < 0 ||
	    yml_check_keys(d, m, inline_keys, "item", err) < 0 ||
	    inline_str(d, m, "id", 1, &it->id, err) < 0 ||
	    inline_str(d, m, "category", 1, &it->category, err) < 0 ||
	    inline_str(d, m, "subcategory", 0, &it->subcategory, err) < 0 ||
	    inline_str(d, m, "answer", 1, &it->answer, err) < 0 ||
	    inline_str(d, m, "prefix", 0, &it->prefix, err) < 0 ||
	    inline_str(d, m, "answer_type", 0, &it->answer_type, err) < 0 ||
	    inline_str(d, m, "grader", 0, &it->grader, err) < 0)
		return -1;
	if (it->grader && !judged_grader_known(it->grader))
		return yml_fail(d, yml_get(m, "grader"), UM_ERR_INVALID, err,
				"item '%s': grader '%s' (want exact, numeric, similarity, mrcr, "
				"graphwalks or judge)", it->id, it->grader);
	has_q = yml_get(m, "question") != NULL;
	has_m = yml_get(m, "messages") != NULL;
	if (has_q == has_m)
		return yml_fail(d, m, UM_ERR_INVALID, err,
				"item '%s': give a 'question' or 'messages', exactly one", it->id);
	if (has_m)
		return inline_messages(d, m, it, err);
	if (inline_str(d, m, "question", 1, &it->question, err) < 0)
		return -1;
	it->context_chars = utf8_chars(it->question);
	return 0;
}

/* ---- exports: records one by one ----------------------------------------- */

typedef int (*record_fn)(void *ctx, const char *source, int line, size_t row, json_t *o,
			 um_error *err);

static int line_at(const char *data, size_t off, int *line, size_t *from)
{
	for (; *from < off; (*from)++)
		if (data[*from] == '\n')
			(*line)++;
	return *line;
}

static size_t skip_ws(const char *data, size_t len, size_t p)
{
	while (p < len && (data[p] == ' ' || data[p] == '\t' || data[p] == '\r' || data[p] == '\n'))
		p++;
	return p;
}

static int one_record(record_fn fn, void *ctx, const char *source, int line, size_t row,
		      json_t *o, um_error *err)
{
	int rc;

	if (!json_is_object(o)) {
		json_decref(o);
		return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
				  "record %zu: expected a JSON object", row);
	}
	rc = fn(ctx, source, line, row, o, err);
	json_decref(o);
	return rc;
}

/* A JSON array of records (pandas' to_json(orient="records")). */
static int each_in_array(const char *source, const char *data, size_t len, size_t p,
			 record_fn fn, void *ctx, um_error *err)
{
	size_t row = 0, counted = 0;
	int line = 1;

	p = skip_ws(data, len, p + 1);
	while (p < len && data[p] != ']') {
		json_error_t je;
		json_t *o;

		if (row > 0) {
			if (data[p] != ',')
				return um_fail_at(err, UM_ERR_SYNTAX, source,
						  line_at(data, p, &line, &counted), 0,
						  "expected ',' or ']' after record %zu", row);
			p = skip_ws(data, len, p + 1);
		}
		line_at(data, p, &line, &counted);
		o = json_loadb(data + p, len - p, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
			       &je);
		if (!o)
			return um_fail_at(err, UM_ERR_SYNTAX, source, line + je.line - 1, je.column,
					  "record %zu: invalid JSON: %s", row + 1, je.text);
		row++;
		if (one_record(fn, ctx, source, line, row, o, err) < 0)
			return -1;
		p = skip_ws(data, len, p + (size_t)je.position);
	}
	if (p >= len)
		return um_fail_at(err, UM_ERR_SYNTAX, source, line_at(data, len, &line, &counted), 0,
				  "the JSON array is not closed");
	if (skip_ws(data, len, p + 1) != len)
		return um_fail_at(err, UM_ERR_SYNTAX, source,
				  line_at(data, p + 1, &line, &counted), 0,
				  "data after the JSON array");
	return 0;
}

static int each_record(const char *source, const char *data, size_t len, record_fn fn,
		       void *ctx, um_error *err)
{
	size_t p = 0, row = 0;
	int line = 0;

	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		p = 3;
	if (skip_ws(data, len, p) < len && data[skip_ws(data, len, p)] == '[')
		return each_in_array(source, data, len, skip_ws(data, len, p), fn, ctx, err);
	while (p < len) {
		const char *nl = memchr(data + p, '\n', len - p);
		size_t e = nl ? (size_t)(nl - data) : len;
		json_error_t je;
		json_t *o;

		line++;
		if (skip_ws(data, e, p) < e) {
			o = json_loadb(data + p, e - p, JSON_REJECT_DUPLICATES, &je);
			if (!o)
				return um_fail_at(err, UM_ERR_SYNTAX, source, line,
						  je.column > 0 ? je.column : 0, "invalid JSON: %s",
						  je.text);
			if (one_record(fn, ctx, source, line, ++row, o, err) < 0)
				return -1;
		}
		p = e + 1;
	}
	if (row == 0)
		return um_fail_at(err, UM_ERR_INVALID, source, 0, 0, "no records");
	return 0;
}

/* ---- typed fields ---------------------------------------------------------- */

static int need_str(const char *source, int line, json_t *o, const char *key, int nonblank,
		    const char **out, um_error *err)
{
	const json_t *v = json_object_get(o, key);

	if (!v)
		return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
				  "missing field \"%s\"", key);
	if (!json_is_string(v))
		return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
				  "field \"%s\" must be a string", key);
	*out = json_string_value(v);
	if (nonblank && blank(*out))
		return um_fail_at(err, UM_ERR_INVALID, source, line, 0, "field \"%s\" is blank",
				  key);
	return 0;
}

static int need_int(const char *source, int line, json_t *o, const char *key, int required,
		    int64_t min, int64_t *out, um_error *err)
{
	const json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v)) {
		if (!required)
			return 0;
		return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
				  "missing field \"%s\"", key);
	}
	if (!json_is_integer(v) || json_integer_value(v) < min)
		return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
				  "field \"%s\" must be an integer of at least %lld", key,
				  (long long)min);
	*out = json_integer_value(v);
	return 1;
}

typedef struct sink {
	um_item **items;
	size_t *n, cap;
	int **lines;
	size_t lcap;
	size_t skipped;
	int skip_images; /* hle: leave records with an image out */
} sink;

static um_item *sink_add(sink *s, int line)
{
	um_item *it;

	um_xgrow((void **)s->items, &s->cap, *s->n + 1, sizeof(**s->items));
	um_xgrow((void **)s->lines, &s->lcap, *s->n + 1, sizeof(**s->lines));
	(*s->lines)[*s->n] = line;
	it = &(*s->items)[(*s->n)++];
	memset(it, 0, sizeof(*it));
	return it;
}

/* ---- Humanity's Last Exam -------------------------------------------------- */

static int hle_record(void *ctx, const char *source, int line, size_t row, json_t *o,
		      um_error *err)
{
	sink *s = ctx;
	const char *id, *q, *ans, *type, *cat, *sub = NULL;
	const json_t *img = json_object_get(o, "image");
	um_image im = {0};
	um_error e;
	um_item *it;

	(void)row;
	if (need_str(source, line, o, "id", 1, &id, err) < 0 ||
	    need_str(source, line, o, "question", 1, &q, err) < 0 ||
	    need_str(source, line, o, "answer", 1, &ans, err) < 0 ||
	    need_str(source, line, o, "answer_type", 1, &type, err) < 0 ||
	    need_str(source, line, o, "category", 1, &cat, err) < 0)
		return -1;
	if (img && !json_is_null(img) && !json_is_string(img))
		return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
				  "record %s: field \"image\" must be a string or null", id);
	if (json_is_string(json_object_get(o, "raw_subject")))
		sub = json_string_value(json_object_get(o, "raw_subject"));
	if (json_is_string(img) && json_string_length(img) > 0 && s->skip_images) {
		s->skipped++; /* images: skip, the text part */
		return 0;
	}
	if (json_is_string(img) && json_string_length(img) > 0 &&
	    image_from_data_url(json_string_value(img), json_string_length(img), &im, &e) < 0)
		return um_fail_at(err, e.code, source, line, 0, "record %s: field \"image\": %s",
				  id, e.msg);
	it = sink_add(s, line);
	if (im.media_type) {
		it->images = um_xcalloc(1, sizeof(*it->images));
		it->images[0] = im;
		it->n_images = 1;
	}
	it->id = um_xstrdup(id);
	it->question = um_xstrdup(q);
	it->answer = um_xstrdup(ans);
	it->answer_type = um_xstrdup(type);
	it->category = um_xstrdup(cat);
	it->subcategory = sub && sub[0] ? um_xstrdup(sub) : NULL;
	it->context_chars = utf8_chars(q);
	return 0;
}

int judged_parse_hle(const char *source, const char *data, size_t len, int skip_images,
		     um_item **items, size_t *n, int **lines, size_t *skipped, um_error *err)
{
	sink s = {items, n, *n, lines, *n, 0, skip_images};
	int rc = each_record(source, data, len, hle_record, &s, err);

	*skipped = s.skipped;
	return rc;
}

/* ---- MRCR ------------------------------------------------------------------ */

static int mrcr_record(void *ctx, const char *source, int line, size_t row, json_t *o,
		       um_error *err)
{
	sink *s = ctx;
	const char *prompt, *ans, *pre;
	int64_t needles = 0, nchars = -1;
	json_error_t je;
	json_t *msgs;
	char why[160], *text = NULL;
	int64_t chars = 0;
	um_item *it;
	int rc;

	if (need_str(source, line, o, "prompt", 1, &prompt, err) < 0 ||
	    need_str(source, line, o, "answer", 0, &ans, err) < 0 ||
	    need_str(source, line, o, "random_string_to_prepend", 1, &pre, err) < 0 ||
	    need_int(source, line, o, "n_needles", 1, 1, &needles, err) < 0 ||
	    need_int(source, line, o, "n_chars", 0, 0, &nchars, err) < 0)
		return -1;
	msgs = json_loads(prompt, JSON_REJECT_DUPLICATES, &je);
	if (!msgs)
		return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
				  "field \"prompt\" is not a JSON list of messages: %s (at "
				  "character %d of the prompt)", je.text, je.position);
	rc = judged_messages_check(msgs, &text, &chars, why, sizeof(why));
	json_decref(msgs);
	if (rc < 0)
		return um_fail_at(err, UM_ERR_INVALID, source, line, 0, "field \"prompt\": %s",
				  why);
	it = sink_add(s, line);
	it->id = um_xasprintf("row-%zu", row);
	it->messages = text;
	it->answer = um_xstrdup(ans);
	it->prefix = um_xstrdup(pre);
	it->category = um_xasprintf("%lld needles", (long long)needles);
	it->context_chars = nchars >= 0 ? nchars : chars;
	return 0;
}

int judged_parse_mrcr(const char *source, const char *data, size_t len, um_item **items,
		      size_t *n, int **lines, um_error *err)
{
	sink s = {items, n, *n, lines, *n, 0, 0};

	return each_record(source, data, len, mrcr_record, &s, err);
}

/* ---- CharXiv's reasoning questions ----------------------------------------- */

static const char *const charxiv_categories[4] = {"Text in chart", "Text in general",
						  "Number in chart", "Number in general"};
static const char *const charxiv_types[4] = {"text-in-chart", "text-in-general",
					     "number-in-chart", "number-in-general"};

const char *judged_charxiv_type(int inst)
{
	return inst >= 1 && inst <= 4 ? charxiv_types[inst - 1] : NULL;
}

int judged_charxiv_inst(const char *answer_type)
{
	int i;

	for (i = 0; answer_type && i < 4; i++)
		if (strcmp(answer_type, charxiv_types[i]) == 0)
			return i + 1;
	return 0;
}

/* The line on which "key": stands, searching on from *from (the keys come
 * in file order); 0 when not found. */
static int charxiv_key_line(const char *data, size_t len, const char *key, size_t *from,
			    int *line)
{
	size_t kl = strlen(key), p;

	for (p = *from; p + kl + 2 <= len; p++) {
		if (data[p] == '\n')
			(*line)++;
		else if (data[p] == '"' && memcmp(data + p + 1, key, kl) == 0 &&
			 data[p + kl + 1] == '"') {
			size_t q = skip_ws(data, len, p + kl + 2);

			if (q < len && data[q] == ':') {
				*from = q;
				return *line;
			}
		}
	}
	return 0;
}

/* One entry {figure_id, query, answer, inst_category, qa_source} checked;
 * its chart is images/<figure_id>.jpg beside the data directory. */
static int charxiv_entry(const char *source, const char *data_path, int line, const char *key,
			 const json_t *v, um_item *it, um_error *err)
{
	const json_t *f = json_object_get(v, "figure_id"), *q = json_object_get(v, "query");
	const json_t *a = json_object_get(v, "answer"), *ic = json_object_get(v, "inst_category");
	char *ref, *path;
	int inst;

	if (!json_is_object(v))
		return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
				  "entry \"%s\": not an object", key);
	if (!json_is_integer(f) || json_integer_value(f) < 0)
		return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
				  "entry \"%s\": figure_id must be a non-negative integer", key);
	if (!json_is_string(q) || blank(json_string_value(q)))
		return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
				  "entry \"%s\": query must be a non-empty string", key);
	if (!a || json_is_null(a))
		return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
				  "entry \"%s\": the answer is %s: CharXiv withholds the answers "
				  "of its test split (use reasoning_val.json)", key,
				  a ? "null" : "missing");
	if (!json_is_string(a) || blank(json_string_value(a)))
		return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
				  "entry \"%s\": answer must be a non-empty string", key);
	if (!json_is_integer(ic) || json_integer_value(ic) < 1 || json_integer_value(ic) > 4)
		return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
				  "entry \"%s\": inst_category must be 1, 2, 3 or 4", key);
	inst = (int)json_integer_value(ic);
	it->id = um_xstrdup(key);
	it->question = um_xstrdup(json_string_value(q));
	it->answer = um_xstrdup(json_string_value(a));
	it->category = um_xstrdup(charxiv_categories[inst - 1]);
	it->answer_type = um_xstrdup(charxiv_types[inst - 1]);
	it->context_chars = utf8_chars(it->question);
	ref = um_xasprintf("../images/%" JSON_INTEGER_FORMAT ".jpg", json_integer_value(f));
	path = um_path_relative_to(data_path, ref);
	free(ref);
	it->images = um_xcalloc(1, sizeof(*it->images));
	if (image_check(path, &it->images[0], err) < 0) {
		free(path);
		return um_error_prefix(err, "%s:%d: entry \"%s\"", source, line, key);
	}
	free(path);
	it->n_images = 1;
	return 0;
}

int judged_parse_charxiv(const char *source, const char *data_path, const char *data, size_t len,
			 um_item **items, size_t *n, int **lines, um_error *err)
{
	sink s = {items, n, *n, lines, *n, 0, 0};
	json_error_t je;
	json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je), *v;
	const char *key;
	size_t from = 0;
	int line = 1, rc = 0;

	if (!doc)
		return um_fail_at(err, UM_ERR_SYNTAX, source, je.line, je.column, "%s", je.text);
	if (!json_is_object(doc) || json_object_size(doc) == 0) {
		json_decref(doc);
		return um_fail_at(err, UM_ERR_INVALID, source, 1, 1,
				  "expected an object of questions keyed by id, as CharXiv's "
				  "reasoning_<split>.json is");
	}
	json_object_foreach(doc, key, v) {
		int at = charxiv_key_line(data, len, key, &from, &line);

		if (charxiv_entry(source, data_path, at, key, v, sink_add(&s, at), err) < 0) {
			rc = -1;
			break;
		}
	}
	json_decref(doc);
	return rc;
}

/* ---- Graphwalks ------------------------------------------------------------- */

static int graphwalks_record(void *ctx, const char *source, int line, size_t row, json_t *o,
			     um_error *err)
{
	sink *s = ctx;
	const char *prompt, *type;
	const json_t *nodes = json_object_get(o, "answer_nodes"), *e;
	int64_t nchars = -1;
	json_t *msgs;
	um_item *it;
	size_t i;

	if (need_str(source, line, o, "prompt", 1, &prompt, err) < 0 ||
	    need_str(source, line, o, "problem_type", 1, &type, err) < 0 ||
	    need_int(source, line, o, "prompt_chars", 0, 0, &nchars, err) < 0)
		return -1;
	if (!json_is_array(nodes))
		return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
				  "field \"answer_nodes\" must be a list of node ids%s",
				  nodes ? "" : " (missing)");
	json_array_foreach(nodes, i, e)
		if (!json_is_string(e) || blank(json_string_value(e)))
			return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
					  "field \"answer_nodes\": element %zu is not a node id "
					  "(a non-blank string)", i);
	if (strcmp(type, "bfs") != 0 && strcmp(type, "parents") != 0)
		return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
				  "field \"problem_type\" is '%s' (want bfs or parents)", type);
	it = sink_add(s, line);
	it->id = um_xasprintf("row-%zu", row);
	msgs = json_pack("[{s:s, s:s}]", "role", "user", "content", prompt);
	it->messages = json_dumps(msgs, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(msgs);
	it->answer = json_dumps(nodes, JSON_COMPACT | JSON_ENSURE_ASCII);
	it->category = um_xstrdup(type);
	it->context_chars = nchars >= 0 ? nchars : utf8_chars(prompt);
	return 0;
}

int judged_parse_graphwalks(const char *source, const char *data, size_t len, um_item **items,
			    size_t *n, int **lines, um_error *err)
{
	sink s = {items, n, *n, lines, *n, 0, 0};

	return each_record(source, data, len, graphwalks_record, &s, err);
}
