/*
 * scaffold.c - loading the neutral scaffold, rendering its {{var}} templates
 * and extracting answers with its PCRE2 extractor.
 *
 * Templates are plain text with `{{name}}` (or `{{ name }}`) tags and no
 * logic or escapes. A `{{` that does not open a well-formed tag is an error,
 * so a typo never reaches a model as literal braces. Every template is
 * checked against the documented variable set when the file is loaded; the
 * error points at the `{{` itself when its position in the file can be
 * proven (literal block scalars, single-line scalars), else at the scalar.
 * Values are inserted verbatim and never rescanned, so a question that
 * contains `{{` is sent as it is.
 *
 * The extractor is compiled once at load (UTF-8 mode, invalid UTF-8 in a
 * model's reply simply does not match) and run with a match limit, so a
 * pathological pattern on a long reply fails with an error instead of
 * hanging a run.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "load/scaffold.h"

#include <assert.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "load/cxprompt.h"
#include "load/image.h"
#include "load/scitmpl.h"
#include "load/suite.h"
#include "load/yml.h"

#define SCAFFOLD_DEFAULT_LABELS "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define SCAFFOLD_DEFAULT_CHOICE_FORMAT "({{label}}) {{text}}"
#define SCAFFOLD_MAX_MESSAGES 64
#define SCAFFOLD_MATCH_LIMIT 10000000u
#define TMPL_NAME_MAX 64

static const char *const scaffold_top_keys[] = {
	"umpire", "name", "kind", "labels", "choice_format", "messages", "params", "extract",
	"tools", "limits", "reasoning", "code", "judge", "answer_instructions", "scicode",
	"template_text", "charxiv", "charxiv_text", NULL,
};
static const char *const scaffold_judge_keys[] = {"system", "format", "system_prompt", "prompt",
						  "params", "instructions", NULL};
static const char *const scaffold_judge_formats[] = {"fields", "json", NULL};
/* Variables of a judged scaffold's messages, and of its judge's prompt. */
static const char *const scaffold_judged_vars[] = {
	"question", "item_id", "category", "subcategory", "answer_type", "sample",
	"answer_instructions", "decimals", NULL,
};
/* Variables of a judged scaffold's answer_instructions. */
static const char *const scaffold_answer_vars[] = {"decimals", NULL};
static const char *const scaffold_judge_vars[] = {
	"question", "response", "correct_answer", "instructions", NULL,
};
static const char *const scaffold_code_keys[] = {"with_starter", "without_starter", NULL};
/* Variables of a code scaffold's messages, and of its two format texts. */
static const char *const scaffold_code_vars[] = {
	"question", "title", "format", "starter_code", "item_id", "category", "platform", "date",
	"sample", NULL,
};
static const char *const scaffold_code_format_vars[] = {"starter_code", NULL};
/* Variables of a scicode scaffold's messages (docs/scicode.md, "The prompt"). */
static const char *const scaffold_sci_vars[] = {
	"previous_steps", "next_step", "dependencies", "item_id", "step", "sample", NULL,
};
static const char *const scaffold_sci_keys[] = {"background", "template_file", NULL};
static const char *const scaffold_charxiv_keys[] = {"source", NULL};
static const char *const scaffold_reasoning_keys[] = {"effort", "budget_tokens", NULL};
static const char *const scaffold_efforts[] = {"none", "minimal", "low", "medium", "high",
					       "xhigh", NULL};
static const char *const scaffold_msg_keys[] = {"role", "content", NULL};
static const char *const scaffold_extract_keys[] = {"pattern", "occurrence", "normalize", NULL};
static const char *const scaffold_kinds[] = {"mcq", "agent", "code", "judged", "scicode", NULL};
static const char *const scaffold_agent_top_forbidden[] = {"labels", "choice_format", "extract",
							    NULL};
static const char *const scaffold_tools_keys[] = {"bash", "submit", NULL};
static const char *const scaffold_bash_keys[] = {"description", "output_limit_bytes", "timeout_s",
						 NULL};
static const char *const scaffold_submit_keys[] = {"description", NULL};
static const char *const scaffold_limit_keys[] = {"turns", "total_tokens", "cost_usd", "wall_s",
						  NULL};
/* Variables of an agent scaffold's messages. */
static const char *const scaffold_agent_vars[] = {
	"instruction", "task_id", "category", "difficulty", "sample", NULL,
};
static const char *const scaffold_roles[] = {"system", "user", "assistant", NULL};
static const char *const scaffold_occurrences[] = {"first", "last", NULL};
static const char *const scaffold_normalizers[] = {"none", "upper", "strip_upper", NULL};

/* The documented message variables; A..Z are accepted in addition. */
static const char *const scaffold_msg_vars[] = {
	"question", "choices", "labels", "label_list", "category", "subcategory", "item_id",
	"sample", NULL,
};
static const char *const scaffold_choice_vars[] = {"label", "text", NULL};

/* ---- templates ---------------------------------------------------------- */

static int tmpl_name_char(char c, int first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')
		return 1;
	return !first && c >= '0' && c <= '9';
}

/* Find the next tag at or after *pos. Returns 1 with the tag's byte range
 * [*start, *end) and its name, 0 when there is none, -1 when the `{{` at
 * *start does not open a well-formed tag. */
static int tmpl_next(const char *t, size_t *pos, size_t *start, size_t *end, const char **name,
		     size_t *name_len)
{
	const char *open = strstr(t + *pos, "{{");
	const char *p, *n;

	if (!open)
		return 0;
	*start = (size_t)(open - t);
	p = open + 2;
	while (*p == ' ')
		p++;
	n = p;
	while (tmpl_name_char(*p, p == n))
		p++;
	*name = n;
	*name_len = (size_t)(p - n);
	while (*p == ' ')
		p++;
	if (*name_len == 0 || *name_len >= TMPL_NAME_MAX || p[0] != '}' || p[1] != '}')
		return -1;
	*end = (size_t)(p + 2 - t);
	*pos = *end;
	return 1;
}

static int tmpl_allowed(const char *name, size_t len, const char *const *allowed, int letters)
{
	int i;

	if (letters && len == 1 && name[0] >= 'A' && name[0] <= 'Z')
		return 1;
	for (i = 0; allowed[i]; i++)
		if (strlen(allowed[i]) == len && memcmp(allowed[i], name, len) == 0)
			return 1;
	return 0;
}

void um_vars_set(um_vars *v, const char *name, const char *value)
{
	int i;

	for (i = 0; i < v->n; i++) {
		if (strcmp(v->names[i], name) == 0) {
			v->values[i] = value;
			return;
		}
	}
	assert(v->n < (int)UM_ARRAY_LEN(v->names));
	if (v->n >= (int)UM_ARRAY_LEN(v->names))
		return;
	v->names[v->n] = name;
	v->values[v->n] = value;
	v->n++;
}

static const char *vars_get(const um_vars *v, const char *name, size_t len)
{
	int i;

	for (i = 0; v && i < v->n; i++)
		if (strlen(v->names[i]) == len && memcmp(v->names[i], name, len) == 0)
			return v->values[i] ? v->values[i] : "";
	return NULL;
}

int scaffold_render_text(const char *tmpl, const um_vars *vars, char **out, um_error *err)
{
	um_buf b = UM_BUF_INIT;
	size_t pos = 0, done = 0, start = 0, end = 0, nlen = 0;
	const char *name = NULL, *val;
	int rc;

	um_buf_init(&b, 0);
	while ((rc = tmpl_next(tmpl, &pos, &start, &end, &name, &nlen)) != 0) {
		if (rc < 0) {
			um_buf_release(&b);
			return um_fail(err, UM_ERR_INVALID,
				       "malformed template tag at offset %zu: '{{' must open "
				       "{{name}}",
				       start);
		}
		val = vars_get(vars, name, nlen);
		if (!val) {
			um_buf_release(&b);
			return um_fail(err, UM_ERR_INVALID, "template variable '%.*s' has no value",
				       (int)nlen, name);
		}
		um_buf_append(&b, tmpl + done, start - done);
		um_buf_puts(&b, val);
		done = end;
	}
	um_buf_puts(&b, tmpl + done);
	*out = um_buf_detach(&b);
	return 0;
}

json_t *scaffold_render_messages(const um_scaffold *s, const um_vars *vars, um_error *err)
{
	json_t *arr = json_array();
	int i;

	for (i = 0; i < s->n_messages; i++) {
		char *text = NULL;
		json_t *content;

		if (s->sci_template_file)
			text = scitmpl_render(s->messages[i].content,
					      vars_get(vars, "previous_steps", 14),
					      vars_get(vars, "next_step", 9),
					      vars_get(vars, "dependencies", 12), err);
		if (s->sci_template_file ? !text
					 : scaffold_render_text(s->messages[i].content, vars, &text,
								err) < 0) {
			um_error_prefix(err, "%s: message %d (%s)", s->path ? s->path : "scaffold",
					i + 1, s->messages[i].role);
			json_decref(arr);
			return NULL;
		}
		content = json_string(text);
		free(text);
		if (!content) {
			um_fail(err, UM_ERR_INVALID,
				"%s: message %d: the rendered text is not valid UTF-8",
				s->path ? s->path : "scaffold", i + 1);
			json_decref(arr);
			return NULL;
		}
		json_array_append_new(
		    arr, json_pack("{s:s, s:o}", "role", s->messages[i].role, "content", content));
	}
	return arr;
}

/* ---- the variables of one multiple-choice prompt ------------------------ */

int scaffold_mcq_vars(const um_scaffold *s, const char *question, const char *const *choices, int n,
		      const char *category, const char *subcategory, const char *item_id,
		      int sample, um_mcq_vars *out, um_error *err)
{
	um_buf b = UM_BUF_INIT;
	int nl = (int)strlen(s->labels);
	int i;

	memset(out, 0, sizeof(*out));
	if (n < 1 || n > nl || n > 26)
		return um_fail(err, UM_ERR_INVALID,
			       "item '%s' has %d choices; the scaffold %s has %d labels",
			       item_id ? item_id : "?", n, s->name ? s->name : "", nl);
	memcpy(out->labels, s->labels, (size_t)n);
	out->labels[n] = '\0';
	for (i = 0; i < n; i++) {
		size_t at = strlen(out->label_list);

		snprintf(out->label_list + at, sizeof(out->label_list) - at, "%s%c", i ? ", " : "",
			 s->labels[i]);
		out->label_name[i][0] = s->labels[i];
		out->label_name[i][1] = '\0';
	}
	snprintf(out->sample, sizeof(out->sample), "%d", sample);

	um_buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		um_vars cv = {.n = 0};
		char *line = NULL;

		um_vars_set(&cv, "label", out->label_name[i]);
		um_vars_set(&cv, "text", choices[i] ? choices[i] : "");
		if (scaffold_render_text(s->choice_format, &cv, &line, err) < 0) {
			um_buf_release(&b);
			return -1;
		}
		if (i)
			um_buf_putc(&b, '\n');
		um_buf_puts(&b, line);
		free(line);
	}
	out->choices = um_buf_detach(&b);

	um_vars_set(&out->vars, "question", question ? question : "");
	um_vars_set(&out->vars, "choices", out->choices);
	um_vars_set(&out->vars, "labels", out->labels);
	um_vars_set(&out->vars, "label_list", out->label_list);
	um_vars_set(&out->vars, "category", category ? category : "");
	um_vars_set(&out->vars, "subcategory", subcategory ? subcategory : "");
	um_vars_set(&out->vars, "item_id", item_id ? item_id : "");
	um_vars_set(&out->vars, "sample", out->sample);
	for (i = 0; i < n; i++)
		um_vars_set(&out->vars, out->label_name[i], choices[i] ? choices[i] : "");
	return 0;
}

void scaffold_mcq_vars_release(um_mcq_vars *v)
{
	free(v->choices);
	memset(v, 0, sizeof(*v));
}

/* ---- the extractor ------------------------------------------------------ */

/* Compile; on failure fill msg and *offset and return -1. */
static int extractor_compile_raw(um_extractor *x, char *msg, size_t msg_size, size_t *offset)
{
	int code = 0;
	PCRE2_SIZE off = 0;
	pcre2_code *re;

	re = pcre2_compile((PCRE2_SPTR)x->pattern, PCRE2_ZERO_TERMINATED,
			   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
	if (!re) {
		if (pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, msg_size) < 0)
			snprintf(msg, msg_size, "PCRE2 error %d", code);
		*offset = (size_t)off;
		return -1;
	}
	x->code = re;
	return 0;
}

int extractor_compile(um_extractor *x, um_error *err)
{
	char msg[256];
	size_t off = 0;

	if (!x->pattern)
		return um_fail(err, UM_ERR_INVALID, "extractor has no pattern");
	extractor_release(x);
	if (extractor_compile_raw(x, msg, sizeof(msg), &off) < 0)
		return um_fail(err, UM_ERR_INVALID,
			       "invalid regular expression '%s': %s at offset %zu", x->pattern, msg,
			       off);
	return 0;
}

void extractor_release(um_extractor *x)
{
	if (x->code)
		pcre2_code_free((pcre2_code *)x->code);
	x->code = NULL;
}

static int ascii_punct_or_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '!' && c <= '/') ||
	       (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
}

static void normalize_into(um_normalize how, const char *s, size_t len, char *out, size_t size)
{
	size_t i, n;

	if (how == UM_NORM_STRIP_UPPER) {
		while (len && ascii_punct_or_space((unsigned char)s[0])) {
			s++;
			len--;
		}
		while (len && ascii_punct_or_space((unsigned char)s[len - 1]))
			len--;
	}
	n = len < size - 1 ? len : size - 1;
	/* never cut a UTF-8 sequence in half */
	if (n < len)
		while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (how != UM_NORM_NONE && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		out[i] = c;
	}
	out[n] = '\0';
}

int scaffold_extract(const um_extractor *x, const char *text, char *answer, size_t answer_size,
		     um_error *err)
{
	const pcre2_code *re = x->code;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	size_t len = strlen(text), off = 0, hit_s = 0, hit_e = 0;
	uint32_t groups = 0;
	int found = 0, rc;

	if (answer_size)
		answer[0] = '\0';
	if (!re)
		return um_fail(err, UM_ERR_INTERNAL, "extractor '%s' is not compiled",
			       x->pattern ? x->pattern : "");
	if (answer_size == 0)
		return um_fail(err, UM_ERR_INTERNAL, "no room for the extracted answer");
	pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &groups);
	md = pcre2_match_data_create_from_pattern(re, NULL);
	mc = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(mc, SCAFFOLD_MATCH_LIMIT);

	while (off <= len) {
		PCRE2_SIZE *ov;

		rc = pcre2_match(re, (PCRE2_SPTR)text, len, off, 0, md, mc);
		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(rc, msg, sizeof(msg));
			pcre2_match_context_free(mc);
			pcre2_match_data_free(md);
			return um_fail(err, UM_ERR_INVALID, "extractor '%s' failed: %s", x->pattern,
				       (const char *)msg);
		}
		ov = pcre2_get_ovector_pointer(md);
		if (groups == 0) {
			hit_s = ov[0];
			hit_e = ov[1];
			found = 1;
		} else if (rc > 1 && ov[2] != PCRE2_UNSET) {
			/* a match whose group 1 did not take part is no answer */
			hit_s = ov[2];
			hit_e = ov[3];
			found = 1;
		}
		if (found && x->occurrence == UM_OCC_FIRST)
			break;
		if (ov[1] > ov[0]) {
			off = ov[1];
		} else {
			/* empty match: step over one whole character */
			if (ov[1] >= len)
				break;
			off = ov[1] + 1;
			while (off < len && ((unsigned char)text[off] & 0xC0) == 0x80)
				off++;
		}
	}
	pcre2_match_context_free(mc);
	pcre2_match_data_free(md);
	if (!found)
		return 0;
	normalize_into(x->normalize, text + hit_s, hit_e - hit_s, answer, answer_size);
	return 1;
}

/* ---- loading ------------------------------------------------------------ */

typedef struct scaffold_ctx {
	const yml_doc *d;
	const char *data;
	size_t len;
	um_error *err;
	int agent;              /* kind agent: other variables, no choice labels */
	int code;               /* kind code: the code variables */
	int judged;             /* kind judged: the question's variables, no labels */
	int sci;                /* kind scicode: the step variables */
	char *composed;         /* kind scicode with a template file: the stored text */
} scaffold_ctx;

/* Start of 1-based line `line` in the file bytes, or NULL. */
static const char *file_line(const scaffold_ctx *c, int line, size_t *line_len)
{
	const char *p = c->data, *end = c->data + c->len, *nl;
	int l;

	for (l = 1; l < line; l++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return NULL;
		p = nl + 1;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	*line_len = nl ? (size_t)(nl - p) : (size_t)(end - p);
	if (*line_len && p[*line_len - 1] == '\r')
		(*line_len)--;
	return p;
}

/* Columns (characters, as libyaml counts them) in the first n bytes of s. */
static int utf8_cols(const char *s, size_t n)
{
	size_t i;
	int cols = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			cols++;
	return cols;
}

/* Byte offset of 1-based column col in a line, or -1. */
static long col_byte(const char *s, size_t len, int col)
{
	size_t i;
	int cols = 1;

	for (i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xC0) == 0x80)
			continue;
		if (cols == col)
			return (long)i;
		cols++;
	}
	return -1;
}

/* The file position of byte `off` of scalar n's value, when it can be
 * proven from the file bytes; else the node's own position. */
static void scalar_pos(const scaffold_ctx *c, const yml_node *n, size_t off, int *line, int *col)
{
	const char *v = n->scalar, *nl, *fl;
	size_t k = 0, bol = 0, i, fl_len = 0, cl_len;
	long at;

	*line = n->line;
	*col = n->col;
	if (!c->data)
		return;
	for (i = 0; i < off; i++) {
		if (v[i] == '\n') {
			k++;
			bol = i + 1;
		}
	}
	fl = file_line(c, n->line, &fl_len);
	if (!fl || (at = col_byte(fl, fl_len, n->col)) < 0)
		return;

	if (fl[at] == '|') {
		/* literal block: value line k is file line n->line + 1 + k, minus
		 * the indentation */
		nl = strchr(v + bol, '\n');
		cl_len = nl ? (size_t)(nl - (v + bol)) : strlen(v + bol);
		fl = file_line(c, n->line + 1 + (int)k, &fl_len);
		if (!fl || fl_len < cl_len || memcmp(fl + fl_len - cl_len, v + bol, cl_len) != 0)
			return;
		*line = n->line + 1 + (int)k;
		*col = utf8_cols(fl, fl_len - cl_len + (off - bol)) + 1;
		return;
	}
	if (k == 0) {
		/* one line, plain or quoted: valid only if the bytes agree */
		size_t skip = (fl[at] == '"' || fl[at] == '\'') ? 1 : 0;
		size_t from = (size_t)at + skip;

		if (from + off + 2 > fl_len || memcmp(fl + from, v, off + 2) != 0)
			return;
		*col = utf8_cols(fl, from + off) + 1;
	}
}

/* Check every tag of template node n against the allowed names. */
static int scaffold_check_tmpl(const scaffold_ctx *c, const yml_node *n, const char *what,
			       const char *const *allowed, int letters)
{
	size_t pos = 0, start = 0, end = 0, nlen = 0;
	const char *name = NULL;
	int rc, line, col;

	while ((rc = tmpl_next(n->scalar, &pos, &start, &end, &name, &nlen)) != 0) {
		if (rc > 0 && tmpl_allowed(name, nlen, allowed, letters))
			continue;
		scalar_pos(c, n, start, &line, &col);
		if (rc < 0)
			return um_fail_at(c->err, UM_ERR_INVALID, c->d->file, line, col,
					  "%s: malformed template tag; '{{' must open {{name}} "
					  "(no escapes)",
					  what);
		{
			um_buf list = UM_BUF_INIT;
			int i;

			for (i = 0; allowed[i]; i++)
				um_buf_printf(&list, "%s%s", i ? ", " : "", allowed[i]);
			if (letters)
				um_buf_puts(&list, ", A..Z");
			rc = um_fail_at(c->err, UM_ERR_INVALID, c->d->file, line, col,
					"%s: unknown template variable '%.*s' (known: %s)", what,
					(int)nlen, name, um_buf_str(&list));
			um_buf_release(&list);
			return rc;
		}
	}
	return 0;
}

static int scaffold_name_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static int scaffold_read_labels(const scaffold_ctx *c, um_scaffold *s)
{
	const yml_node *n = yml_get(c->d->root, "labels");
	size_t i, len;

	if (yml_str(c->d, c->d->root, "labels", 0, &s->labels, c->err) < 0)
		return -1;
	if (!s->labels) {
		s->labels = um_xstrdup(SCAFFOLD_DEFAULT_LABELS);
		return 0;
	}
	len = strlen(s->labels);
	if (len < 2 || len > 26)
		return yml_fail(c->d, n, UM_ERR_INVALID, c->err,
				"'labels' must hold 2 to 26 characters, got %zu", len);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s->labels[i];

		if (ch <= ' ' || ch >= 0x7f || ch == '{' || ch == '}')
			return yml_fail(c->d, n, UM_ERR_INVALID, c->err,
					"'labels' must be printable ASCII characters without "
					"spaces or braces");
		if (memchr(s->labels, ch, i))
			return yml_fail(c->d, n, UM_ERR_INVALID, c->err, "'labels' repeats '%c'",
					ch);
	}
	return 0;
}

static int scaffold_read_messages(const scaffold_ctx *c, um_scaffold *s)
{
	const yml_node *seq = yml_get(c->d->root, "messages");
	size_t i;

	if (!seq)
		return yml_fail(c->d, c->d->root, UM_ERR_INVALID, c->err,
				"missing required key 'messages'");
	if (yml_expect(c->d, seq, YML_SEQ, "messages", c->err) < 0)
		return -1;
	if (seq->n == 0)
		return yml_fail(c->d, seq, UM_ERR_INVALID, c->err,
				"'messages' must hold at least one message");
	if (seq->n > SCAFFOLD_MAX_MESSAGES)
		return yml_fail(c->d, seq, UM_ERR_INVALID, c->err,
				"'messages' holds %zu messages; at most %d", seq->n,
				SCAFFOLD_MAX_MESSAGES);
	s->messages = um_xcalloc(seq->n, sizeof(*s->messages));
	for (i = 0; i < seq->n; i++) {
		const yml_node *m = seq->items[i];
		um_msg_tmpl *t = &s->messages[i];
		char what[48];
		int role = 0;

		s->n_messages = (int)i + 1;
		snprintf(what, sizeof(what), "messages[%zu]", i);
		if (yml_check_keys(c->d, m, scaffold_msg_keys, what, c->err) < 0)
			return -1;
		if (yml_enum(c->d, m, "role", 1, scaffold_roles, &role, c->err) < 0)
			return -1;
		t->role = um_xstrdup(scaffold_roles[role]);
		if (yml_str(c->d, m, "content", 1, &t->content, c->err) < 0)
			return -1;
		snprintf(what, sizeof(what), "messages[%zu].content", i);
		if (scaffold_check_tmpl(c, yml_get(m, "content"), what,
					c->agent    ? scaffold_agent_vars
					: c->code   ? scaffold_code_vars
					: c->judged ? scaffold_judged_vars
					: c->sci    ? scaffold_sci_vars
						    : scaffold_msg_vars,
					!c->agent && !c->code && !c->judged && !c->sci) < 0)
			return -1;
	}
	return 0;
}

/* reasoning: {effort, budget_tokens}, kept as the neutral request's
 * "reasoning" member; each provider maps it to its own parameter. */
static int scaffold_read_reasoning(const scaffold_ctx *c, um_scaffold *s)
{
	const yml_node *r = yml_get(c->d->root, "reasoning");
	int effort = -1;
	int64_t budget = -1;

	if (!r || yml_is_null(r))
		return 0;
	if (yml_expect(c->d, r, YML_MAP, "reasoning", c->err) < 0 ||
	    yml_check_keys(c->d, r, scaffold_reasoning_keys, "reasoning", c->err) < 0 ||
	    yml_enum(c->d, r, "effort", 0, scaffold_efforts, &effort, c->err) < 0 ||
	    yml_int(c->d, r, "budget_tokens", 0, 0, 10000000, &budget, c->err) < 0)
		return -1;
	if (effort < 0 && budget < 0)
		return yml_fail(c->d, r, UM_ERR_INVALID, c->err,
				"'reasoning' needs effort, budget_tokens or both");
	s->reasoning = json_object();
	if (effort >= 0)
		json_object_set_new(s->reasoning, "effort", json_string(scaffold_efforts[effort]));
	if (budget >= 0)
		json_object_set_new(s->reasoning, "budget_tokens", json_integer(budget));
	return 0;
}

static int scaffold_read_params(const scaffold_ctx *c, um_scaffold *s)
{
	static const char *const reserved[] = {"model", "messages", NULL};
	const yml_node *p = yml_get(c->d->root, "params");
	size_t i;
	int j;

	if (!p)
		return yml_fail(c->d, c->d->root, UM_ERR_INVALID, c->err,
				"missing required key 'params' (the sampling parameters to send; "
				"{} for none)");
	if (yml_expect(c->d, p, YML_MAP, "params", c->err) < 0)
		return -1;
	for (i = 0; i < p->n; i++)
		for (j = 0; reserved[j]; j++)
			if (strcmp(p->keys[i]->scalar, reserved[j]) == 0)
				return yml_fail(c->d, p->keys[i], UM_ERR_INVALID, c->err,
						"'params' may not set '%s'; the harness sets it",
						reserved[j]);
	s->params = yml_to_json(c->d, p, c->err);
	return s->params ? scaffold_read_reasoning(c, s) : -1;
}

static int scaffold_read_extract(const scaffold_ctx *c, um_scaffold *s)
{
	const yml_node *x = yml_get(c->d->root, "extract");
	const yml_node *pat;
	int occ = UM_OCC_LAST, norm = UM_NORM_NONE;
	char msg[256];
	size_t off = 0;

	if (!x)
		return yml_fail(c->d, c->d->root, UM_ERR_INVALID, c->err,
				"missing required key 'extract'");
	if (yml_check_keys(c->d, x, scaffold_extract_keys, "extract", c->err) < 0)
		return -1;
	if (yml_str(c->d, x, "pattern", 1, &s->extract.pattern, c->err) < 0)
		return -1;
	if (yml_enum(c->d, x, "occurrence", 0, scaffold_occurrences, &occ, c->err) < 0)
		return -1;
	if (yml_enum(c->d, x, "normalize", 0, scaffold_normalizers, &norm, c->err) < 0)
		return -1;
	s->extract.occurrence = (um_occurrence)occ;
	s->extract.normalize = (um_normalize)norm;
	pat = yml_get(x, "pattern");
	if (extractor_compile_raw(&s->extract, msg, sizeof(msg), &off) < 0)
		return yml_fail(c->d, pat, UM_ERR_INVALID, c->err,
				"'pattern' is not a valid PCRE2 regular expression: %s at offset "
				"%zu",
				msg, off);
	return 0;
}


/* ---- code scaffolds ------------------------------------------------------ */

/* The keys of mcq and agent scaffolds, refused in a scaffold that takes the
 * code from the answer itself (`what`: which, and why). */
static int scaffold_no_mcq_keys(const scaffold_ctx *c, const char *what)
{
	static const char *const forbidden[] = {"labels", "choice_format", "extract", "tools",
						"limits", NULL};
	size_t i;

	for (i = 0; forbidden[i]; i++)
		if (yml_get(c->d->root, forbidden[i]))
			return yml_fail(c->d, yml_get(c->d->root, forbidden[i]), UM_ERR_INVALID,
					c->err, "'%s' does not belong to %s", forbidden[i], what);
	return 0;
}

/* code: {with_starter, without_starter}: the text {{format}} becomes when
 * the problem gives starter code (a function to complete) and when it does
 * not (a program reading stdin). Templates over {{starter_code}}. */
static int scaffold_read_code(const scaffold_ctx *c, um_scaffold *s)
{
	const yml_doc *d = c->d;
	const yml_node *n = yml_get(d->root, "code");

	if (scaffold_no_mcq_keys(c, "a code scaffold (the program is the last fenced block of "
				    "the answer)") < 0)
		return -1;
	if (!n)
		return yml_fail(d, d->root, UM_ERR_INVALID, c->err,
				"a code scaffold needs 'code' (with_starter, without_starter)");
	if (yml_expect(d, n, YML_MAP, "code", c->err) < 0 ||
	    yml_check_keys(d, n, scaffold_code_keys, "code", c->err) < 0 ||
	    yml_str(d, n, "with_starter", 1, &s->code_with_starter, c->err) < 0 ||
	    yml_str(d, n, "without_starter", 1, &s->code_without_starter, c->err) < 0 ||
	    scaffold_check_tmpl(c, yml_get(n, "with_starter"), "code.with_starter",
				scaffold_code_format_vars, 0) < 0 ||
	    scaffold_check_tmpl(c, yml_get(n, "without_starter"), "code.without_starter",
				scaffold_code_format_vars, 0) < 0)
		return -1;
	return 0;
}

/* ---- scicode scaffolds --------------------------------------------------- */

/* The start of the stored text of a scaffold that read texts from other
 * files: the scaffold's bytes, ending in a newline; what it read follows. */
static void compose_begin(const scaffold_ctx *c, um_buf *b)
{
	um_buf_init(b, 0);
	um_buf_append(b, c->data ? c->data : "", c->len);
	if (c->len && c->data[c->len - 1] != '\n')
		um_buf_putc(b, '\n');
}

/* The stored text of a scaffold whose template was read from its file: the
 * scaffold's bytes and, appended, the template's bytes as template_text. */
static char *sci_compose(const scaffold_ctx *c, const char *bytes, size_t len)
{
	um_buf b = UM_BUF_INIT;

	compose_begin(c, &b);
	um_buf_puts(&b, "# umpire: the bytes of scicode.template_file as this scaffold read "
			"them (docs/scicode.md)\ntemplate_text: ");
	scitmpl_yaml_quote(&b, bytes, len);
	um_buf_putc(&b, '\n');
	return um_buf_detach(&b);
}

/* scicode.template_file: SciCode's own template, from the stored copy
 * (template_text) or else the file, resolved against the scaffold; its text
 * is the scaffold's one message, a user message. */
static int scaffold_read_sci_template(scaffold_ctx *c, um_scaffold *s, const yml_node *fn)
{
	const yml_doc *d = c->d;
	const yml_node *tt = yml_get(d->root, "template_text");
	char *bytes = NULL;
	size_t len = 0;
	um_error e = {0};

	if (yml_get(d->root, "messages"))
		return yml_fail(d, yml_get(d->root, "messages"), UM_ERR_INVALID, c->err,
				"'messages' and scicode.template_file both give the prompt: the "
				"template is the one user message, as SciCode sends it");
	if (fn->kind != YML_SCALAR || !fn->scalar[0])
		return yml_fail(d, fn, UM_ERR_INVALID, c->err,
				"'scicode.template_file' must name SciCode's template file");
	s->sci_template_file = um_path_relative_to(d->file, fn->scalar);
	if (tt) {
		if (yml_node_str(d, tt, "template_text", &bytes, c->err) < 0)
			return -1;
		len = strlen(bytes);
	} else if (um_read_file(s->sci_template_file, &bytes, &len, &e) < 0) {
		return yml_fail(d, fn, UM_ERR_IO, c->err,
				"scicode.template_file: %s (SciCode's own template, read from your "
				"checkout of SciCode: docs/scicode.md)",
				e.msg);
	}
	if (scitmpl_check(s->sci_template_file, bytes, len, c->err) < 0) {
		free(bytes);
		return -1;
	}
	if (!tt)
		c->composed = sci_compose(c, bytes, len);
	s->messages = um_xcalloc(1, sizeof(*s->messages));
	s->n_messages = 1;
	s->messages[0].role = um_xstrdup("user");
	s->messages[0].content = scitmpl_text(bytes, len);
	free(bytes);
	return 0;
}

/* scicode: {background: bool, template_file?}: whether each step's
 * description carries the scientists' background (SciCode's "with
 * background" setting), and SciCode's template file in place of messages. */
static int scaffold_read_sci(scaffold_ctx *c, um_scaffold *s)
{
	const yml_doc *d = c->d;
	const yml_node *n = yml_get(d->root, "scicode"), *fn;

	if (scaffold_no_mcq_keys(c, "a scicode scaffold (each step's code is taken from the "
				    "answer as SciCode takes it)") < 0)
		return -1;
	if (!n)
		return yml_fail(d, d->root, UM_ERR_INVALID, c->err,
				"a scicode scaffold needs 'scicode' (background: true or false)");
	if (yml_expect(d, n, YML_MAP, "scicode", c->err) < 0 ||
	    yml_check_keys(d, n, scaffold_sci_keys, "scicode", c->err) < 0 ||
	    yml_bool(d, n, "background", 1, &s->sci_background, c->err) < 0)
		return -1;
	fn = yml_get(n, "template_file");
	if (fn)
		return scaffold_read_sci_template(c, s, fn);
	if (yml_get(d->root, "template_text"))
		return yml_fail(d, yml_get(d->root, "template_text"), UM_ERR_INVALID, c->err,
				"'template_text' is the stored copy of scicode.template_file's "
				"bytes; it needs scicode.template_file");
	return scaffold_read_messages(c, s);
}

/* Whether two loadings of a scaffold give the same prompts. */
static int same_prompts(const um_scaffold *a, const um_scaffold *b)
{
	if (a->charxiv || b->charxiv)
		return a->charxiv && b->charxiv && cxprompt_equal(a->charxiv, b->charxiv);
	return a->n_messages && b->n_messages &&
	       strcmp(a->messages[0].content, b->messages[0].content) == 0;
}

/* A scaffold that read its template (or CharXiv's prompts) from other
 * files is the stored text (sci_compose, charxiv_compose) loaded again:
 * what the run records, hashes and verify reloads is the text that gives
 * these prompts. */
static int scaffold_reload(const char *file, char *composed, um_scaffold *s, um_scaffold **out,
			   um_error *err)
{
	um_scaffold *s2 = NULL;
	int rc = scaffold_load_buffer(file, composed, strlen(composed), &s2, err);

	free(composed);
	if (rc < 0) {
		um_error_prefix(err, "%s: the scaffold with what it read appended (template_text, "
				     "charxiv_text; write the scaffold as a block mapping)", file);
	} else if (!same_prompts(s, s2)) {
		rc = um_fail(err, UM_ERR_INTERNAL,
			     "%s: the stored copy of what the scaffold read does not give its text",
			     file);
		scaffold_free(s2);
	} else {
		*out = s2;
	}
	scaffold_free(s);
	return rc;
}

/* ---- agent scaffolds ----------------------------------------------------- */

static json_t *tool_def(const char *name, const char *description, json_t *parameters)
{
	json_t *t = json_object();

	json_object_set_new(t, "name", json_string(name));
	json_object_set_new(t, "description", json_string(description));
	json_object_set_new(t, "parameters", parameters);
	return t;
}

static int scaffold_read_agent(const scaffold_ctx *c, um_scaffold *s)
{
	const yml_doc *d = c->d;
	const yml_node *tools = yml_get(d->root, "tools"), *b, *sub, *lim;
	um_agent_cfg *a = &s->agent;
	int64_t v;
	double usd = 0;
	size_t i;

	for (i = 0; scaffold_agent_top_forbidden[i]; i++)
		if (yml_get(d->root, scaffold_agent_top_forbidden[i]))
			return yml_fail(d, yml_get(d->root, scaffold_agent_top_forbidden[i]),
					UM_ERR_INVALID, c->err,
					"'%s' belongs to mcq scaffolds, not kind agent",
					scaffold_agent_top_forbidden[i]);
	if (!tools)
		return yml_fail(d, d->root, UM_ERR_INVALID, c->err,
				"an agent scaffold needs 'tools' (bash and submit)");
	if (yml_expect(d, tools, YML_MAP, "tools", c->err) < 0 ||
	    yml_check_keys(d, tools, scaffold_tools_keys, "tools", c->err) < 0)
		return -1;
	b = yml_get(tools, "bash");
	sub = yml_get(tools, "submit");
	if (!b || !sub)
		return yml_fail(d, tools, UM_ERR_INVALID, c->err,
				"'tools' must define both bash and submit");
	if (yml_expect(d, b, YML_MAP, "tools.bash", c->err) < 0 ||
	    yml_check_keys(d, b, scaffold_bash_keys, "tools.bash", c->err) < 0 ||
	    yml_str(d, b, "description", 1, &a->bash_description, c->err) < 0 ||
	    yml_expect(d, sub, YML_MAP, "tools.submit", c->err) < 0 ||
	    yml_check_keys(d, sub, scaffold_submit_keys, "tools.submit", c->err) < 0 ||
	    yml_str(d, sub, "description", 1, &a->submit_description, c->err) < 0)
		return -1;
	v = 16384;
	if (yml_int(d, b, "output_limit_bytes", 0, 256, 64 << 20, &v, c->err) < 0)
		return -1;
	a->output_limit_bytes = v;
	v = 120;
	if (yml_int(d, b, "timeout_s", 0, 1, 86400, &v, c->err) < 0)
		return -1;
	a->command_timeout_s = (int)v;
	lim = yml_get(d->root, "limits");
	if (!lim)
		return yml_fail(d, d->root, UM_ERR_INVALID, c->err,
				"an agent scaffold needs 'limits' (turns, total_tokens, cost_usd, "
				"wall_s): they are part of identical conditions");
	if (yml_expect(d, lim, YML_MAP, "limits", c->err) < 0 ||
	    yml_check_keys(d, lim, scaffold_limit_keys, "limits", c->err) < 0)
		return -1;
	if (yml_int(d, lim, "turns", 1, 1, 10000, &v, c->err) < 0)
		return -1;
	a->turns = (int)v;
	if (yml_int(d, lim, "total_tokens", 1, 1, INT64_MAX / 2, &a->total_tokens, c->err) < 0 ||
	    yml_double(d, lim, "cost_usd", 1, 0, 1e9, &usd, c->err) < 0)
		return -1;
	a->cost_micro = llround(usd * 1e6);
	if (yml_int(d, lim, "wall_s", 1, 1, 7 * 86400, &v, c->err) < 0)
		return -1;
	a->wall_s = (int)v;
	s->tools = json_array();
	json_array_append_new(
		s->tools, tool_def("bash", a->bash_description,
				   json_pack("{s:s, s:{s:{s:s, s:s}}, s:[s], s:b}", "type", "object",
					     "properties", "command", "type", "string",
					     "description", "The bash command to run.", "required",
					     "command", "additionalProperties", 0)));
	json_array_append_new(s->tools,
			      tool_def("submit", a->submit_description,
				       json_pack("{s:s, s:{}, s:b}", "type", "object", "properties",
						 "additionalProperties", 0)));
	return 0;
}

/* ---- judged scaffolds ---------------------------------------------------- */

/* A map of answer type -> text (judge.instructions, answer_instructions);
 * with vars non-NULL each text is a template of those variables. */
static int scaffold_read_instructions(const scaffold_ctx *c, const yml_node *in, const char *what,
				      const char *const *vars, char ***types, char ***texts,
				      int *n)
{
	char label[96];
	size_t i;

	if (yml_expect(c->d, in, YML_MAP, what, c->err) < 0)
		return -1;
	*types = um_xcalloc(in->n + 1, sizeof(char *));
	*texts = um_xcalloc(in->n + 1, sizeof(char *));
	snprintf(label, sizeof(label), "%s value", what);
	for (i = 0; i < in->n; i++) {
		(*types)[i] = um_xstrdup(in->keys[i]->scalar);
		*n = (int)i + 1;
		if (yml_node_str(c->d, in->items[i], label, &(*texts)[i], c->err) < 0 ||
		    (vars && scaffold_check_tmpl(c, in->items[i], label, vars, 0) < 0))
			return -1;
	}
	return 0;
}

static int scaffold_read_judge(const scaffold_ctx *c, um_scaffold *s)
{
	const yml_doc *d = c->d;
	const yml_node *jn = yml_get(d->root, "judge"), *p, *in;
	um_judge_cfg *j = &s->judge;
	int fmt = 0;

	if (!jn || yml_is_null(jn))
		return 0;
	if (yml_expect(d, jn, YML_MAP, "judge", c->err) < 0 ||
	    yml_check_keys(d, jn, scaffold_judge_keys, "judge", c->err) < 0 ||
	    yml_str(d, jn, "system", 1, &j->system, c->err) < 0 ||
	    yml_enum(d, jn, "format", 1, scaffold_judge_formats, &fmt, c->err) < 0 ||
	    yml_str(d, jn, "system_prompt", 0, &j->system_prompt, c->err) < 0 ||
	    yml_str(d, jn, "prompt", !s->charxiv, &j->prompt, c->err) < 0)
		return -1;
	j->format = um_xstrdup(scaffold_judge_formats[fmt]);
	if (s->charxiv && fmt != 1)
		return yml_fail(d, yml_get(jn, "format"), UM_ERR_INVALID, c->err,
				"with charxiv.source the judge replies in CharXiv's JSON: "
				"'judge.format' must be json");
	if (!j->system[0])
		return yml_fail(d, yml_get(jn, "system"), UM_ERR_INVALID, c->err,
				"'judge.system' names the models.yaml system that judges");
	if ((j->prompt && scaffold_check_tmpl(c, yml_get(jn, "prompt"), "judge.prompt",
					      scaffold_judge_vars, 0) < 0) ||
	    (j->system_prompt && scaffold_check_tmpl(c, yml_get(jn, "system_prompt"),
						     "judge.system_prompt", scaffold_judge_vars,
						     0) < 0))
		return -1;
	p = yml_get(jn, "params");
	if (!p)
		return yml_fail(d, jn, UM_ERR_INVALID, c->err,
				"missing required key 'judge.params' (the judge's sampling "
				"parameters; {} for none)");
	if (yml_expect(d, p, YML_MAP, "judge.params", c->err) < 0 ||
	    !(j->params = yml_to_json(d, p, c->err)))
		return -1;
	if (json_object_get(j->params, "model") || json_object_get(j->params, "messages"))
		return yml_fail(d, p, UM_ERR_INVALID, c->err,
				"'judge.params' may not set model or messages; the harness sets them");
	in = yml_get(jn, "instructions");
	return in && !yml_is_null(in)
		       ? scaffold_read_instructions(c, in, "judge.instructions", NULL,
						    &j->instr_types, &j->instr_texts, &j->n_instr)
		       : 0;
}

/* The stored text of a scaffold that read CharXiv's prompts from a clone:
 * its bytes and, appended, the texts as charxiv_text. */
static char *charxiv_compose(const scaffold_ctx *c, const um_cxprompt *p)
{
	um_buf b = UM_BUF_INIT;

	compose_begin(c, &b);
	um_buf_puts(&b, "# umpire: CharXiv's prompts as this scaffold read them from "
			"charxiv.source (docs/judged.md)\n");
	cxprompt_yaml(p, &b);
	return um_buf_detach(&b);
}

/* With charxiv the prompts are CharXiv's: the scaffold's own are errors. */
static int scaffold_charxiv_own(const scaffold_ctx *c)
{
	static const char *const own[] = {"messages", "answer_instructions", NULL};
	static const char *const judge_own[] = {"prompt", "system_prompt", "instructions", NULL};
	const yml_node *jn = yml_get(c->d->root, "judge");
	int i;

	for (i = 0; own[i]; i++)
		if (yml_get(c->d->root, own[i]))
			return yml_fail(c->d, yml_get(c->d->root, own[i]), UM_ERR_INVALID, c->err,
					"'%s' and charxiv both give the question: with "
					"charxiv.source it is CharXiv's REASONING_RESP_INST "
					"(docs/judged.md); the project's own wording is "
					"scaffolds/charxiv-reasoning-own.yaml", own[i]);
	for (i = 0; jn && jn->kind == YML_MAP && judge_own[i]; i++)
		if (yml_get(jn, judge_own[i]))
			return yml_fail(c->d, yml_get(jn, judge_own[i]), UM_ERR_INVALID, c->err,
					"'judge.%s' and charxiv both give the judge's prompt: with "
					"charxiv.source it is CharXiv's REASONING_GRADING_PREFIX + "
					"REASONING_GRADING_INST", judge_own[i]);
	return 0;
}

/* charxiv: {source: DIR}: CharXiv's own prompts, from the stored copy
 * (charxiv_text) or else the clone at DIR, resolved against the scaffold. */
static int scaffold_read_charxiv(scaffold_ctx *c, um_scaffold *s, const yml_node *cx)
{
	const yml_doc *d = c->d;
	const yml_node *src, *tt = yml_get(d->root, "charxiv_text");
	um_error e = {0};

	if (scaffold_charxiv_own(c) < 0 || yml_expect(d, cx, YML_MAP, "charxiv", c->err) < 0 ||
	    yml_check_keys(d, cx, scaffold_charxiv_keys, "charxiv", c->err) < 0)
		return -1;
	src = yml_get(cx, "source");
	if (!src || src->kind != YML_SCALAR || !src->scalar[0])
		return yml_fail(d, src ? src : cx, UM_ERR_INVALID, c->err,
				"'charxiv.source' must name your clone of CharXiv's repository "
				"(the directory holding src/constants.py)");
	s->charxiv_source = um_path_relative_to(d->file, src->scalar);
	if (tt)
		return cxprompt_read_stored(d, tt, &s->charxiv, c->err);
	if (cxprompt_read_clone(s->charxiv_source, &s->charxiv, &e) < 0) {
		if (e.code != UM_ERR_IO) {
			*c->err = e;
			return -1;
		}
		return yml_fail(d, src, UM_ERR_IO, c->err, "charxiv.source: %s", e.msg);
	}
	c->composed = charxiv_compose(c, s->charxiv);
	return 0;
}

static int scaffold_read_judged(scaffold_ctx *c, um_scaffold *s)
{
	static const char *const forbidden[] = {"labels", "choice_format", "extract", "tools",
						"limits", NULL};
	const yml_node *in;
	int i;

	for (i = 0; forbidden[i]; i++)
		if (yml_get(c->d->root, forbidden[i]))
			return yml_fail(c->d, yml_get(c->d->root, forbidden[i]), UM_ERR_INVALID,
					c->err, "'%s' does not belong to judged scaffolds",
					forbidden[i]);
	c->judged = 1;
	if (yml_get(c->d->root, "charxiv")) {
		if (scaffold_read_charxiv(c, s, yml_get(c->d->root, "charxiv")) < 0)
			return -1;
	} else if (yml_get(c->d->root, "charxiv_text")) {
		return yml_fail(c->d, yml_get(c->d->root, "charxiv_text"), UM_ERR_INVALID, c->err,
				"'charxiv_text' is the stored copy of what charxiv.source read; it "
				"needs charxiv");
	} else if (scaffold_read_messages(c, s) < 0) {
		return -1;
	}
	if (scaffold_read_params(c, s) < 0 || scaffold_read_judge(c, s) < 0)
		return -1;
	in = yml_get(c->d->root, "answer_instructions");
	return in && !yml_is_null(in)
		       ? scaffold_read_instructions(c, in, "answer_instructions",
						    scaffold_answer_vars, &s->answer_types,
						    &s->answer_texts, &s->n_answer)
		       : 0;
}

json_t *scaffold_request(const um_scaffold *s, json_t *messages)
{
	json_t *req = json_object();

	json_object_set_new(req, "messages", messages);
	json_object_set(req, "params", s->params);
	if (s->reasoning)
		json_object_set(req, "reasoning", s->reasoning);
	return req;
}

const char *scaffold_answer_instructions(const um_scaffold *s, const char *answer_type)
{
	int i;

	for (i = 0; answer_type && i < s->n_answer; i++)
		if (strcmp(s->answer_types[i], answer_type) == 0)
			return s->answer_texts[i];
	return "";
}

const char *scaffold_judge_instructions(const um_scaffold *s, const char *answer_type)
{
	int i;

	for (i = 0; answer_type && i < s->judge.n_instr; i++)
		if (strcmp(s->judge.instr_types[i], answer_type) == 0)
			return s->judge.instr_texts[i];
	return "";
}

/* The keys only one kind may have: code (code scaffolds), scicode (scicode
 * ones), judge and answer_instructions (judged ones). */
static int scaffold_kind_keys(const yml_doc *d, const char *kind, um_error *err)
{
	static const char *const keys[][2] = {{"code", "code"},
					      {"scicode", "scicode"},
					      {"template_text", "scicode"},
					      {"judge", "judged"},
					      {"answer_instructions", "judged"},
					      {"charxiv", "judged"},
					      {"charxiv_text", "judged"}};
	size_t k;

	for (k = 0; k < UM_ARRAY_LEN(keys); k++)
		if (strcmp(kind, keys[k][1]) != 0 && yml_get(d->root, keys[k][0]))
			return yml_fail(d, yml_get(d->root, keys[k][0]), UM_ERR_INVALID, err,
					"'%s' belongs to %s scaffolds", keys[k][0], keys[k][1]);
	return 0;
}

/* The body of a multiple-choice scaffold: labels, choice format, messages,
 * params and extractors. */
static int scaffold_read_mcq(scaffold_ctx *c, um_scaffold *s)
{
	const yml_doc *d = c->d;

	if (yml_get(d->root, "tools") || yml_get(d->root, "limits"))
		return yml_fail(d, yml_get(d->root, yml_get(d->root, "tools") ? "tools" : "limits"),
				UM_ERR_INVALID, c->err,
				"'tools' and 'limits' belong to agent scaffolds");
	if (scaffold_read_labels(c, s) < 0)
		return -1;
	if (yml_str(d, d->root, "choice_format", 0, &s->choice_format, c->err) < 0)
		return -1;
	if (s->choice_format) {
		if (scaffold_check_tmpl(c, yml_get(d->root, "choice_format"), "choice_format",
					scaffold_choice_vars, 0) < 0)
			return -1;
	} else {
		s->choice_format = um_xstrdup(SCAFFOLD_DEFAULT_CHOICE_FORMAT);
	}
	if (scaffold_read_messages(c, s) < 0 || scaffold_read_params(c, s) < 0 ||
	    scaffold_read_extract(c, s) < 0)
		return -1;
	return 0;
}

/* What a scaffold holds beyond its head, as its kind says. */
static int scaffold_read_body(scaffold_ctx *c, um_scaffold *s)
{
	if (!strcmp(s->kind, "agent")) {
		c->agent = 1;
		return scaffold_read_agent(c, s) < 0 || scaffold_read_messages(c, s) < 0 ||
			       scaffold_read_params(c, s) < 0
			       ? -1
			       : 0;
	}
	if (!strcmp(s->kind, "code")) {
		c->code = 1;
		return scaffold_read_code(c, s) < 0 || scaffold_read_messages(c, s) < 0 ||
			       scaffold_read_params(c, s) < 0
			       ? -1
			       : 0;
	}
	if (!strcmp(s->kind, "scicode")) {
		c->sci = 1;
		return scaffold_read_sci(c, s) < 0 || scaffold_read_params(c, s) < 0 ? -1 : 0;
	}
	if (!strcmp(s->kind, "judged"))
		return scaffold_read_judged(c, s);
	return scaffold_read_mcq(c, s);
}

int scaffold_load_buffer(const char *file, const char *data, size_t len, um_scaffold **out,
			 um_error *err)
{
	scaffold_ctx c;
	um_scaffold *s;
	yml_doc *d;
	int kind = 0;

	*out = NULL;
	if (!file)
		file = "<scaffold>";
	d = yml_load_buffer(file, data, len, err);
	if (!d)
		return -1;
	c.d = d;
	c.data = data;
	c.len = data ? len : 0;
	c.err = err;
	c.agent = 0;
	c.code = 0;
	c.judged = 0;
	c.sci = 0;
	c.composed = NULL;
	s = um_xcalloc(1, sizeof(*s));
	s->path = um_xstrdup(file);
	s->text = um_xstrndup(data ? data : "", data ? len : 0);
	um_sha256_hex(data ? data : "", data ? len : 0, s->sha256);

	if (yml_check_schema(d, "scaffold", err) < 0 ||
	    yml_check_keys(d, d->root, scaffold_top_keys, "scaffold", err) < 0)
		goto fail;
	if (yml_str(d, d->root, "name", 1, &s->name, err) < 0)
		goto fail;
	if (!scaffold_name_ok(s->name)) {
		yml_fail(d, yml_get(d->root, "name"), UM_ERR_INVALID, err,
			 "'name' must match [A-Za-z0-9._-]+, got '%s'", s->name);
		goto fail;
	}
	if (yml_enum(d, d->root, "kind", 1, scaffold_kinds, &kind, err) < 0)
		goto fail;
	s->kind = um_xstrdup(scaffold_kinds[kind]);
	if (scaffold_kind_keys(d, s->kind, err) < 0)
		goto fail;
	if (scaffold_read_body(&c, s) < 0)
		goto fail;
	yml_doc_free(d);
	if (c.composed) /* a scicode scaffold that names its template file */
		return scaffold_reload(file, c.composed, s, out, err);
	*out = s;
	return 0;
fail:
	yml_doc_free(d);
	free(c.composed);
	scaffold_free(s);
	return -1;
}

int scaffold_load(const char *path, um_scaffold **out, um_error *err)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (um_read_file(path, &data, &len, err) < 0)
		return -1;
	rc = scaffold_load_buffer(path, data, len, out, err);
	free(data);
	return rc;
}

void scaffold_free(um_scaffold *s)
{
	int i;

	if (!s)
		return;
	free(s->path);
	free(s->name);
	free(s->kind);
	free(s->sci_template_file);
	free(s->charxiv_source);
	cxprompt_free(s->charxiv);
	for (i = 0; i < s->n_messages; i++) {
		free(s->messages[i].role);
		free(s->messages[i].content);
	}
	free(s->messages);
	json_decref(s->params);
	json_decref(s->reasoning);
	free(s->labels);
	free(s->choice_format);
	extractor_release(&s->extract);
	free(s->extract.pattern);
	free(s->code_with_starter);
	free(s->code_without_starter);
	free(s->agent.bash_description);
	free(s->agent.submit_description);
	if (s->tools)
		json_decref(s->tools);
	free(s->judge.system);
	free(s->judge.format);
	free(s->judge.system_prompt);
	free(s->judge.prompt);
	json_decref(s->judge.params);
	for (i = 0; i < s->judge.n_instr; i++) {
		free(s->judge.instr_types[i]);
		free(s->judge.instr_texts[i]);
	}
	free(s->judge.instr_types);
	free(s->judge.instr_texts);
	for (i = 0; i < s->n_answer; i++) {
		free(s->answer_types[i]);
		free(s->answer_texts[i]);
	}
	free(s->answer_types);
	free(s->answer_texts);
	free(s->text);
	free(s);
}

/* The item's images join the last user message of the rendered scaffold,
 * as image parts before its text (docs/suite.md, "Images"), or after it. */
int scaffold_attach_images(const struct um_item *it, const char *scaffold, json_t *msgs,
			   int after_text, um_error *err)
{
	json_t *m = NULL, *parts, *x;
	size_t i;
	int k;

	json_array_foreach(msgs, i, x) {
		const char *role = json_string_value(json_object_get(x, "role"));

		if (role && strcmp(role, "user") == 0)
			m = x;
	}
	if (!m || !json_is_string(json_object_get(m, "content")))
		return um_fail(err, UM_ERR_INVALID,
			       "%s: item %s has images but the scaffold has no user message with "
			       "text to show them in", scaffold, it->id);
	parts = json_array();
	if (after_text)
		json_array_append_new(parts, json_pack("{s:s,s:O}", "type", "text", "text",
						       json_object_get(m, "content")));
	for (k = 0; k < it->n_images; k++) {
		char *b64;

		if (image_base64(&it->images[k], &b64, NULL, err) < 0) {
			json_decref(parts);
			return um_error_prefix(err, "item %s", it->id);
		}
		json_array_append_new(parts, json_pack("{s:s,s:s,s:s}", "type", "image",
						       "media_type", it->images[k].media_type,
						       "data", b64));
		free(b64);
	}
	if (!after_text)
		json_array_append_new(parts, json_pack("{s:s,s:O}", "type", "text", "text",
						       json_object_get(m, "content")));
	json_object_set_new(m, "content", parts);
	return 0;
}
