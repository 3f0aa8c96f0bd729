/*
 * judge.c - judge prompts and the strict reading of judge replies (see
 * judge.h).
 */
#include "grade/judge.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "load/scaffold.h"

int judge_format_parse(const char *name, um_judge_format *out, um_error *err)
{
	if (name && strcmp(name, "fields") == 0)
		*out = UM_JUDGE_FIELDS;
	else if (name && strcmp(name, "json") == 0)
		*out = UM_JUDGE_JSON;
	else
		return um_fail(err, UM_ERR_INVALID, "judge format '%s': expected fields or json",
			       name ? name : "");
	return 0;
}

const char *judge_format_name(um_judge_format f)
{
	return f == UM_JUDGE_JSON ? "json" : "fields";
}

int judge_render(const char *tmpl, const char *question, const char *response,
		 const char *correct_answer, const char *instructions, char **out, um_error *err)
{
	um_vars v = {0};

	um_vars_set(&v, "question", question ? question : "");
	um_vars_set(&v, "response", response ? response : "");
	um_vars_set(&v, "correct_answer", correct_answer ? correct_answer : "");
	um_vars_set(&v, "instructions", instructions ? instructions : "");
	return scaffold_render_text(tmpl, &v, out, err);
}

void judge_verdict_release(um_judge_verdict *v)
{
	free(v->extracted);
	v->extracted = NULL;
}

/* An integer 0..100 with an optional '%' filling s[0..n). */
static int percent(const char *s, size_t n)
{
	size_t i = 0;
	int v = 0;

	if (n && s[n - 1] == '%')
		n--;
	if (!n || n > 3)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= 100 ? v : -1;
}

static void trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s))
		(*s)++, (*n)--;
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

typedef struct field_seen {
	int correct, confidence, extracted;
} field_seen;

/* One line of a fields reply. */
static int fields_line(const char *line, size_t n, int lineno, um_judge_verdict *v,
		       field_seen *seen, um_error *err)
{
	static const char *const names[] = {"correct", "confidence", "extracted_final_answer"};
	const char *val;
	size_t k, vn, nl;

	trim(&line, &n);
	for (k = 0; k < 3; k++) {
		nl = strlen(names[k]);
		if (n > nl && strncmp(line, names[k], nl) == 0 && line[nl] == ':')
			break;
	}
	if (k == 3)
		return 0;
	val = line + nl + 1;
	vn = n - nl - 1;
	trim(&val, &vn);
	if ((k == 0 && seen->correct++) || (k == 1 && seen->confidence++) ||
	    (k == 2 && seen->extracted++))
		return um_fail(err, UM_ERR_PROTOCOL, "judge reply line %d: a second '%s:'", lineno,
			       names[k]);
	if (k == 0) {
		if (vn == 3 && strncmp(val, "yes", 3) == 0)
			v->correct = 1;
		else if (vn == 2 && strncmp(val, "no", 2) == 0)
			v->correct = 0;
		else
			return um_fail(err, UM_ERR_PROTOCOL,
				       "judge reply line %d: correct is '%.*s', not yes or no",
				       lineno, (int)(vn > 40 ? 40 : vn), val);
	} else if (k == 1) {
		v->confidence = percent(val, vn);
		if (v->confidence < 0)
			return um_fail(err, UM_ERR_PROTOCOL,
				       "judge reply line %d: confidence '%.*s' is not 0..100",
				       lineno, (int)(vn > 40 ? 40 : vn), val);
	} else {
		v->extracted = um_xmalloc(vn + 1);
		memcpy(v->extracted, val, vn);
		v->extracted[vn] = '\0';
	}
	return 0;
}

static int parse_fields(const char *text, um_judge_verdict *v, um_error *err)
{
	field_seen seen = {0};
	const char *p = text, *nl;
	int lineno = 1;

	for (;; lineno++) {
		nl = strchr(p, '\n');
		if (fields_line(p, nl ? (size_t)(nl - p) : strlen(p), lineno, v, &seen, err) < 0)
			return -1;
		if (!nl)
			break;
		p = nl + 1;
	}
	if (!seen.correct)
		return um_fail(err, UM_ERR_PROTOCOL, "judge reply has no 'correct:' line");
	return 0;
}

static int parse_json(const char *text, um_judge_verdict *v, um_error *err)
{
	const char *s = text;
	size_t n = strlen(text);
	json_error_t je;
	json_t *o, *val;
	const char *key;

	trim(&s, &n);
	if (n >= 7 && strncmp(s, "```json", 7) == 0) {
		s += 7, n -= 7;
		if (n < 3 || strncmp(s + n - 3, "```", 3) != 0)
			return um_fail(err, UM_ERR_PROTOCOL, "judge reply: unclosed ```json fence");
		n -= 3;
		trim(&s, &n);
	}
	o = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
	if (!o)
		return um_fail(err, UM_ERR_PROTOCOL, "judge reply is not JSON: %s at column %d",
			       je.text, je.column);
	if (!json_is_object(o)) {
		json_decref(o);
		return um_fail(err, UM_ERR_PROTOCOL, "judge reply is not a JSON object");
	}
	json_object_foreach(o, key, val) {
		if (strcmp(key, "score") == 0) {
			if (!json_is_integer(val) ||
			    (json_integer_value(val) != 0 && json_integer_value(val) != 1))
				break;
			v->correct = json_integer_value(val) == 1;
		} else if (strcmp(key, "extracted_answer") == 0) {
			if (!json_is_string(val))
				break;
			v->extracted = um_xstrdup(json_string_value(val));
		} else {
			break;
		}
	}
	if (key) {
		um_fail(err, UM_ERR_PROTOCOL, "judge reply: member '%s' %s", key,
			strcmp(key, "score") == 0 ? "is not 0 or 1"
			: strcmp(key, "extracted_answer") == 0 ? "is not a string"
							      : "is not expected");
		json_decref(o);
		return -1;
	}
	if (!json_object_get(o, "score")) {
		json_decref(o);
		return um_fail(err, UM_ERR_PROTOCOL, "judge reply: no member 'score'");
	}
	json_decref(o);
	return 0;
}

int judge_parse(um_judge_format f, const char *text, um_judge_verdict *v, um_error *err)
{
	int rc;

	memset(v, 0, sizeof(*v));
	v->confidence = -1;
	rc = f == UM_JUDGE_JSON ? parse_json(text ? text : "", v, err)
				: parse_fields(text ? text : "", v, err);
	if (rc < 0)
		judge_verdict_release(v);
	return rc;
}

int judge_stated_confidence(const char *response)
{
	const char *p = response, *nl;
	int last = -1;

	if (!response)
		return -1;
	for (;;) {
		const char *s = p;
		size_t n;

		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		trim(&s, &n);
		if (n > 11 && strncasecmp(s, "confidence:", 11) == 0) {
			const char *val = s + 11;
			size_t vn = n - 11;
			int c;

			trim(&val, &vn);
			if ((c = percent(val, vn)) >= 0)
				last = c;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return last;
}
