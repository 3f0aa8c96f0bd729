/*
 * cxprompt.c - CharXiv Reasoning's own prompts, read from a clone of its
 * repository with the strict Python-literal reader (pylit.h), checked as
 * str.format would read them, rendered as CharXiv's code renders them, and
 * written into / read back from the stored copy of the scaffold
 * (cxprompt.h).
 *
 * The texts are held in eleven slots (four response instructions, the two
 * number instructions, the grading prefix, four grading texts); one check
 * per slot serves both the clone (errors at the Python file's line and
 * column, through the literal's offset map) and the stored copy (errors at
 * its YAML node).
 */
#include "load/cxprompt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "load/judged.h"
#include "load/pylit.h"
#include "load/scitmpl.h"

#define N_SLOTS 11
#define NO_OFFSET SIZE_MAX

enum { K_RESP, K_INT, K_DEC, K_PREFIX, K_GRADING };

static const char *const placeholders[3] = {"<|question|>", "<|ground_truth|>", "<|response|>"};

/* Slot i: its text, kind and category (1..4, or 0). */
static char **slot(um_cxprompt *p, int i, int *kind, int *inst)
{
	*inst = 0;
	if (i < 4) {
		*kind = K_RESP;
		*inst = i + 1;
		return &p->resp[i];
	}
	if (i >= 7) {
		*kind = K_GRADING;
		*inst = i - 6;
		return &p->grading[i - 7];
	}
	*kind = i == 4 ? K_INT : i == 5 ? K_DEC : K_PREFIX;
	return i == 4 ? &p->integer : i == 5 ? &p->decimal : &p->prefix;
}

/* ---- str.format's reading of a template ------------------------------------ */

typedef struct fmt_fail {
	size_t at; /* offset in the text, or NO_OFFSET */
	char why[400];
} fmt_fail;

/* Walk template t as str.format does, literal text and the arguments into
 * out (when not NULL). named: the one field name allowed, else only
 * auto-numbered {} fields; *fields counts them, at most nargs. */
static int fmt_walk(const char *t, const char *named, const char *const *args, int nargs,
		    um_buf *out, int *fields, fmt_fail *ff)
{
	size_t len = strlen(t), i = 0, j, nl = named ? strlen(named) : 0;

	*fields = 0;
	while (i < len) {
		char c = t[i];

		ff->at = i;
		if (scitmpl_literal(t, len, &i, out))
			continue;
		if (c == '}') {
			snprintf(ff->why, sizeof(ff->why),
				 "a single '}' (str.format: \"Single '}' encountered in format "
				 "string\"; a literal brace is written '}}')");
			return -1;
		}
		if (!(j = scitmpl_field_end(t, len, i))) {
			snprintf(ff->why, sizeof(ff->why),
				 "a '{' that no '}' closes (str.format: \"expected '}' before end of "
				 "string\"; a literal brace is written '{{')");
			return -1;
		}
		j--; /* its '}' */
		if (named ? j - i - 1 != nl || memcmp(t + i + 1, named, nl) != 0 : j != i + 1) {
			if (named)
				snprintf(ff->why, sizeof(ff->why),
					 "a field '{%.*s}': the only field read here is {%s}",
					 (int)(j - i - 1 > 40 ? 40 : j - i - 1), t + i + 1, named);
			else
				snprintf(ff->why, sizeof(ff->why),
					 "a field '{%.*s}': CharXiv formats this text with positional "
					 "arguments, and umpire reads only auto-numbered {} fields",
					 (int)(j - i - 1 > 40 ? 40 : j - i - 1), t + i + 1);
			return -1;
		}
		if (*fields == nargs) {
			if (named)
				snprintf(ff->why, sizeof(ff->why),
					 "a second {%s}: the text holds it once", named);
			else
				snprintf(ff->why, sizeof(ff->why),
					 "a field {} past the %d argument%s CharXiv passes "
					 "(str.format: IndexError)",
					 nargs, nargs == 1 ? "" : "s");
			return -1;
		}
		if (out)
			um_buf_puts(out, args[*fields]);
		(*fields)++;
		i = j + 1;
	}
	return 0;
}

/* Whether the text of slot i is one CharXiv's code can use as umpire uses it. */
static int check_slot(const char *t, int kind, int inst, fmt_fail *ff)
{
	static const char *const none[2] = {"", ""};
	int fields = 0, want = kind == K_RESP && inst == 4 ? 2 : 1, k;

	ff->at = NO_OFFSET;
	if (kind == K_RESP || kind == K_DEC) {
		if (fmt_walk(t, kind == K_DEC ? "num_decimal" : NULL, none, want, NULL, &fields,
			     ff) < 0)
			return -1;
		ff->at = NO_OFFSET;
		if (fields == want)
			return 0;
		snprintf(ff->why, sizeof(ff->why),
			 kind == K_DEC ? "the f-string holds no {num_decimal}: the number of "
					 "decimal places would not be said"
				       : "%d {} field%s, where CharXiv passes %d (%s): the text "
					 "would leave %s out",
			 fields, fields == 1 ? "" : "s", want,
			 want == 1 ? "the question" : "the question and the number instruction",
			 fields ? "the number instruction" : "the question");
		return -1;
	}
	for (k = 0; kind == K_GRADING && k < 3; k++)
		if (!strstr(t, placeholders[k])) {
			snprintf(ff->why, sizeof(ff->why),
				 "the grading text has no %s: the judge would not see %s",
				 placeholders[k],
				 k == 0 ? "the question" : k == 1 ? "the ground truth" : "the response");
			return -1;
		}
	return 0;
}

/* ---- from the clone -------------------------------------------------------- */

static int read_clone_file(const char *root, const char *rel, char **path, char **bytes,
			   size_t *len, um_error *err)
{
	um_error e = {0};

	*path = um_xasprintf("%s/%s", root, rel);
	if (um_read_file(*path, bytes, len, &e) < 0)
		return um_fail(err, UM_ERR_IO,
			       "%s (CharXiv's %s, read from your clone of CharXiv: docs/judged.md, "
			       "\"CharXiv Reasoning\")",
			       e.msg, rel);
	return 0;
}

/* A top-level assignment of constants.py, of the kind wanted. */
static const pylit_assign *need(const pylit_file *f, const char *name, int dict, um_error *err)
{
	const pylit_assign *a = pylit_find(f, name);

	if (!a) {
		um_fail_at(err, UM_ERR_INVALID, f->path, 1, 1,
			   "no assignment of %s in this file (CharXiv's constants define it)", name);
		return NULL;
	}
	if (a->is_dict != dict) {
		pylit_fail(f, a->off, UM_ERR_INVALID, err, "%s must be %s", name,
			   dict ? "a dict of instruction category (1..4) to text" : "a string");
		return NULL;
	}
	return a;
}

/* Take s into slot i of p, checked (errors at the literal in f). */
static int take(um_cxprompt *p, int i, const pylit_file *f, const pylit_str *s, const char *what,
		um_error *err)
{
	int kind, inst;
	char **dst = slot(p, i, &kind, &inst);
	fmt_fail ff;

	if (check_slot(s->text, kind, inst, &ff) < 0)
		return pylit_fail(f, ff.at == NO_OFFSET ? s->off : s->src[ff.at], UM_ERR_INVALID,
				  err, "%s: %s", what, ff.why);
	*dst = um_xstrdup(s->text);
	return 0;
}

static int read_constants(um_cxprompt *p, const pylit_file *f, um_error *err)
{
	static const char *const dicts[2] = {"REASONING_RESP_INST", "REASONING_GRADING_INST"};
	const pylit_assign *a;
	int d, inst;
	char what[64];

	for (d = 0; d < 2; d++) {
		if (!(a = need(f, dicts[d], 1, err)))
			return -1;
		for (inst = 1; inst <= 4; inst++) {
			const pylit_str *s = pylit_dict_int(a, inst);

			if (!s)
				return pylit_fail(f, a->off, UM_ERR_INVALID, err,
						  "%s has no key %d (CharXiv's %s questions)", dicts[d],
						  inst, judged_charxiv_type(inst));
			snprintf(what, sizeof(what), "%s[%d]", dicts[d], inst);
			if (take(p, d ? 6 + inst : inst - 1, f, s, what, err) < 0)
				return -1;
		}
	}
	if (!(a = need(f, "REASONING_GRADING_PREFIX", 0, err)))
		return -1;
	return take(p, 6, f, &a->str, "REASONING_GRADING_PREFIX", err);
}

/* get_number_instruction's two assignments of inst: a plain literal (no
 * '.' in the answer) and the f-string of {num_decimal}. */
static int read_number_instruction(um_cxprompt *p, const pylit_file *f, um_error *err)
{
	size_t i;
	int plain = -1, fs = -1;

	for (i = 0; i < f->n; i++) {
		int *which = f->a[i].str.fstring ? &fs : &plain;

		if (*which >= 0 || i >= 2)
			return pylit_fail(f, f->a[i].off, UM_ERR_INVALID, err,
					  "get_number_instruction assigns inst more than once %s: "
					  "CharXiv's assigns a plain literal and an f-string",
					  f->a[i].str.fstring ? "with an f-string" : "with a plain literal");
		*which = (int)i;
	}
	if (plain < 0 || fs < 0)
		return um_fail_at(err, UM_ERR_INVALID, f->path, 1, 1,
				  "get_number_instruction has no `inst = %s` literal: CharXiv's "
				  "assigns a plain literal (an exact integer) and an f-string of "
				  "{num_decimal}",
				  plain < 0 ? "plain" : "f-string");
	return take(p, 4, f, &f->a[plain].str, "get_number_instruction's integer text", err) < 0 ||
			       take(p, 5, f, &f->a[fs].str, "get_number_instruction's f-string",
				    err) < 0
		       ? -1
		       : 0;
}

int cxprompt_read_clone(const char *root, um_cxprompt **out, um_error *err)
{
	um_cxprompt *p = um_xcalloc(1, sizeof(*p));
	pylit_file cf = {0}, uf = {0};
	char *path = NULL, *bytes = NULL;
	size_t len = 0;
	int rc = -1;

	*out = NULL;
	if (read_clone_file(root, "src/constants.py", &path, &bytes, &len, err) < 0 ||
	    pylit_read_module(path, bytes, len, &cf, err) < 0 || read_constants(p, &cf, err) < 0)
		goto done;
	free(path);
	free(bytes);
	bytes = NULL;
	if (read_clone_file(root, "src/reasoning_utils.py", &path, &bytes, &len, err) < 0 ||
	    pylit_read_function(path, bytes, len, "get_number_instruction", "inst", "num_decimal",
				&uf, err) < 0 ||
	    read_number_instruction(p, &uf, err) < 0)
		goto done;
	rc = 0;
	*out = p;
	p = NULL;
done:
	free(path);
	free(bytes);
	pylit_file_release(&cf);
	pylit_file_release(&uf);
	cxprompt_free(p);
	return rc;
}

/* ---- the stored copy ------------------------------------------------------- */

/* Slot i's place in charxiv_text: its group (NULL: a key of its own) and key. */
static void stored_key(int i, const char **group, const char **key)
{
	static const char *const own[3] = {"number_integer", "number_decimal", "grading_prefix"};

	*group = i < 4 ? "response" : i >= 7 ? "grading" : NULL;
	*key = i < 4 ? judged_charxiv_type(i + 1) : i >= 7 ? judged_charxiv_type(i - 6) : own[i - 4];
}

void cxprompt_yaml(const um_cxprompt *p, um_buf *b)
{
	const char *group, *key, *open = NULL;
	int i, kind, inst;

	um_buf_puts(b, "charxiv_text:\n");
	for (i = 0; i < N_SLOTS; i++) {
		char **t = slot((um_cxprompt *)p, i, &kind, &inst);

		stored_key(i, &group, &key);
		if (group && group != open)
			um_buf_printf(b, "  %s:\n", group);
		open = group;
		um_buf_printf(b, "%s%s: ", group ? "    " : "  ", key);
		scitmpl_yaml_quote(b, *t, strlen(*t));
		um_buf_putc(b, '\n');
	}
}

int cxprompt_read_stored(const yml_doc *d, const yml_node *n, um_cxprompt **out, um_error *err)
{
	static const char *const top[] = {"response", "number_integer", "number_decimal",
					  "grading_prefix", "grading", NULL};
	static const char *const types[] = {"text-in-chart", "text-in-general", "number-in-chart",
					    "number-in-general", NULL};
	um_cxprompt *p = um_xcalloc(1, sizeof(*p));
	const char *group, *key;
	int i, kind, inst;
	char what[96];
	fmt_fail ff;

	*out = NULL;
	if (yml_expect(d, n, YML_MAP, "charxiv_text", err) < 0 ||
	    yml_check_keys(d, n, top, "charxiv_text", err) < 0)
		goto fail;
	for (i = 0; i < N_SLOTS; i++) {
		char **t = slot(p, i, &kind, &inst);
		const yml_node *m = n, *v;

		stored_key(i, &group, &key);
		if (group && (!(m = yml_get(n, group)) ||
			      yml_expect(d, m, YML_MAP, group, err) < 0 ||
			      yml_check_keys(d, m, types, group, err) < 0)) {
			if (!m)
				yml_fail(d, n, UM_ERR_INVALID, err, "charxiv_text has no '%s'", group);
			goto fail;
		}
		snprintf(what, sizeof(what), "charxiv_text.%s%s%s", group ? group : "",
			 group ? "." : "", key);
		if (!(v = yml_get(m, key))) {
			yml_fail(d, m, UM_ERR_INVALID, err, "missing required key '%s'", what);
			goto fail;
		}
		if (yml_node_str(d, v, what, t, err) < 0)
			goto fail;
		if (check_slot(*t, kind, inst, &ff) < 0) {
			yml_fail(d, v, UM_ERR_INVALID, err, "%s: %s", what, ff.why);
			goto fail;
		}
	}
	*out = p;
	return 0;
fail:
	cxprompt_free(p);
	return -1;
}

int cxprompt_equal(const um_cxprompt *a, const um_cxprompt *b)
{
	int i, kind, inst;

	for (i = 0; i < N_SLOTS; i++)
		if (!um_streq(*slot((um_cxprompt *)a, i, &kind, &inst),
			      *slot((um_cxprompt *)b, i, &kind, &inst)))
			return 0;
	return 1;
}

void cxprompt_free(um_cxprompt *p)
{
	int i, kind, inst;

	if (!p)
		return;
	for (i = 0; i < N_SLOTS; i++)
		free(*slot(p, i, &kind, &inst));
	free(p);
}

/* ---- rendering ------------------------------------------------------------- */

/* str.format of a checked template. New. */
static char *fmt_render(const char *t, const char *named, const char *const *args, int nargs)
{
	um_buf b = UM_BUF_INIT;
	fmt_fail ff;
	int fields;

	um_buf_init(&b, 0);
	um_buf_puts(&b, "");
	if (fmt_walk(t, named, args, nargs, &b, &fields, &ff) < 0)
		um_buf_reset(&b); /* never: the template was checked */
	return um_buf_detach(&b);
}

char *cxprompt_number_instruction(const um_cxprompt *p, const char *answer)
{
	const char *dot = strchr(answer ? answer : "", '.'), *q;
	char n[24];
	const char *arg[1] = {n};
	size_t k = 0;

	if (!dot)
		return um_xstrdup(p->integer);
	for (q = dot + 1; *q && *q != '.'; q++)
		k += ((unsigned char)*q & 0xC0) != 0x80;
	snprintf(n, sizeof(n), "%zu", k);
	return fmt_render(p->decimal, "num_decimal", arg, 1);
}

char *cxprompt_question(const um_cxprompt *p, int inst, const char *query, const char *answer)
{
	char *num = inst == 4 ? cxprompt_number_instruction(p, answer) : NULL;
	const char *args[2] = {query ? query : "", num ? num : ""};
	char *out = fmt_render(p->resp[inst - 1], NULL, args, inst == 4 ? 2 : 1);

	free(num);
	return out;
}

/* Python's s.replace(old, new): every occurrence, left to right, none
 * overlapping. New; s is freed. */
static char *replace_all(char *s, const char *old, const char *new_text)
{
	um_buf b = UM_BUF_INIT;
	const char *p = s, *hit;
	size_t ol = strlen(old);

	um_buf_init(&b, 0);
	um_buf_puts(&b, "");
	while ((hit = strstr(p, old)) != NULL) {
		um_buf_append(&b, p, (size_t)(hit - p));
		um_buf_puts(&b, new_text);
		p = hit + ol;
	}
	um_buf_puts(&b, p);
	free(s);
	return um_buf_detach(&b);
}

char *cxprompt_grading(const um_cxprompt *p, int inst, const char *query, const char *answer,
		       const char *response)
{
	char *t = um_xstrdup(p->grading[inst - 1]), *out;

	t = replace_all(t, placeholders[0], query ? query : "");
	t = replace_all(t, placeholders[1], answer ? answer : "");
	t = replace_all(t, placeholders[2], response ? response : "");
	out = um_xasprintf("%s%s", p->prefix, t);
	free(t);
	return out;
}
