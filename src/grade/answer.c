/*
 * answer.c - the graders of free-form answers that call no model
 * (answer.h): exact and numeric on the extracted answer line, the
 * sequence-similarity ratio and MRCR's prefix-then-ratio on the whole reply,
 * and Graphwalks' set F1 of the node list on the reply's last line.
 */
#include "grade/answer.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "grade/match.h"
#include "grade/similarity.h"

/* Length of the answer marker at p ("answer:", "final answer:", "exact
 * answer:"), 0 when none. */
static size_t marker_len(const char *p)
{
	static const char *const marks[] = {"answer:", "final answer:", "exact answer:"};
	size_t i;

	for (i = 0; i < 3; i++)
		if (strncasecmp(p, marks[i], strlen(marks[i])) == 0)
			return strlen(marks[i]);
	return 0;
}

char *answer_extract(const char *response)
{
	const char *p = response ? response : "", *found = NULL, *line;
	size_t n;

	for (line = p; *line; ) {
		const char *q = line, *nl = strchr(line, '\n');

		while (*q == ' ' || *q == '\t' || *q == '*' || *q == '#')
			q++;
		if ((n = marker_len(q)) != 0)
			found = q + n;
		if (!nl)
			break;
		line = nl + 1;
	}
	if (!found)
		return um_trim(um_xstrdup(p));
	n = strcspn(found, "\n");
	{
		char *out = um_trim(um_xstrndup(found, n));
		size_t k = strlen(out);

		/* markdown bold left around the answer: "**Answer:** 42" */
		while (k && out[k - 1] == '*')
			out[--k] = '\0';
		while (out[0] == '*')
			memmove(out, out + 1, k--);
		return um_trim(out);
	}
}

/* ---- Graphwalks ------------------------------------------------------------- */

/* Python's str.strip() whitespace, in ASCII. */
static int py_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* The reference node list (the item's answer: a JSON list of strings). */
static json_t *graphwalks_truth(const char *answer)
{
	json_t *j = json_loads(answer ? answer : "", JSON_REJECT_DUPLICATES, NULL), *e;
	size_t i;

	if (!json_is_array(j))
		goto bad;
	json_array_foreach(j, i, e)
		if (!json_is_string(e))
			goto bad;
	return j;
bad:
	json_decref(j);
	return NULL;
}

json_t *answer_graphwalks_list(const char *response)
{
	const char *r = response ? response : "", *line = strrchr(r, '\n'), *p, *close;
	json_t *list;

	line = line ? line + 1 : r; /* response.split("\n")[-1] */
	for (p = strstr(line, "Final Answer:"); p; p = strstr(p + 1, "Final Answer:")) {
		const char *q = p + strlen("Final Answer:");

		if (*q == ' ' && q[1] == '[')
			q++;
		close = strrchr(q, ']');
		if (*q == '[' && close && close > q)
			break;
	}
	if (!p)
		return NULL;
	list = json_array();
	for (p = strchr(p, '[') + 1; p <= close;) {
		const char *e = memchr(p, ',', (size_t)(close - p));
		const char *end = e ? e : close, *a = p, *b = end;

		while (a < b && py_space(*a))
			a++;
		while (b > a && py_space(b[-1]))
			b--;
		if (b > a)
			json_array_append_new(list, json_stringn(a, (size_t)(b - a)));
		p = end + 1;
	}
	return list;
}

/* In set sets a (sampled) and b (truth), each a JSON list. */
static size_t set_size(const json_t *a)
{
	size_t i, j, n = 0;

	for (i = 0; i < json_array_size(a); i++) {
		for (j = 0; j < i; j++)
			if (json_equal(json_array_get(a, i), json_array_get(a, j)))
				break;
		n += j == i;
	}
	return n;
}

static size_t set_overlap(const json_t *a, const json_t *b)
{
	size_t i, j, k, n = 0;

	for (i = 0; i < json_array_size(a); i++) {
		for (k = 0; k < i; k++)
			if (json_equal(json_array_get(a, i), json_array_get(a, k)))
				break;
		if (k < i)
			continue; /* counted once */
		for (j = 0; j < json_array_size(b); j++)
			if (json_equal(json_array_get(a, i), json_array_get(b, j)))
				break;
		n += j < json_array_size(b);
	}
	return n;
}

double answer_graphwalks_f1(const json_t *sampled, const json_t *truth)
{
	size_t ns, ng, no;
	double rec, prec;

	if (!sampled)
		return 0.0; /* no "Final Answer: [...]" on the last line */
	ns = set_size(sampled);
	ng = set_size(truth);
	if (ns == 0 && ng == 0)
		return 1.0;
	no = set_overlap(sampled, truth);
	rec = ng > 0 ? (double)no / (double)ng : 0.0;
	prec = ns > 0 ? (double)no / (double)ns : 0.0;
	return rec + prec > 0 ? 2.0 * (rec * prec) / (rec + prec) : 0.0;
}

/* Graphwalks items hold the node list; graphwalks_grade in answer_grade. */
static int graphwalks_grade(const char *response, const char *answer, um_answer_grade *g,
			    um_error *err)
{
	json_t *truth = graphwalks_truth(answer), *got;

	if (!truth)
		return um_fail(err, UM_ERR_INVALID,
			       "the answer '%.60s' is not a JSON list of node ids (grader "
			       "graphwalks)", answer ? answer : "");
	got = answer_graphwalks_list(response);
	g->fractional = 1;
	g->value = answer_graphwalks_f1(got, truth);
	g->extracted = got ? json_dumps(got, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(got);
	json_decref(truth);
	return 0;
}

int answer_item_ok(const char *grader, const char *answer, char *why, size_t why_size)
{
	double x;
	char *norm;
	int ok;

	if (grader && strcmp(grader, "graphwalks") == 0) {
		json_t *t = graphwalks_truth(answer);

		if (!t)
			snprintf(why, why_size, "the answer '%.60s' is not a JSON list of node ids "
				 "(grader graphwalks)", answer ? answer : "");
		json_decref(t);
		return t != NULL;
	}
	if (!grader || strcmp(grader, "numeric") != 0)
		return 1;
	norm = match_normalise(answer);
	ok = match_number(norm, &x);
	free(norm);
	if (!ok)
		snprintf(why, why_size, "the answer '%s' is not a number (grader numeric)",
			 answer ? answer : "");
	return ok;
}

int answer_grade(const char *grader, const char *response, const char *answer,
		 const char *prefix, double rel_tol, double abs_tol, um_answer_grade *g,
		 um_error *err)
{
	const char *r = response ? response : "";

	memset(g, 0, sizeof(*g));
	if (!grader)
		return um_fail(err, UM_ERR_INVALID, "no grader named");
	if (strcmp(grader, "exact") == 0) {
		g->extracted = answer_extract(r);
		g->value = match_exact(g->extracted, answer);
	} else if (strcmp(grader, "numeric") == 0) {
		int v;

		g->extracted = answer_extract(r);
		v = match_numeric(g->extracted, answer, rel_tol, abs_tol);
		if (v < 0) {
			answer_grade_release(g);
			return um_fail(err, UM_ERR_INVALID,
				       "the answer '%s' is not a number (grader numeric)", answer);
		}
		g->value = v;
	} else if (strcmp(grader, "similarity") == 0) {
		g->fractional = 1;
		g->value = similarity_ratio(r, strlen(r), answer ? answer : "",
					    answer ? strlen(answer) : 0);
	} else if (strcmp(grader, "mrcr") == 0) {
		g->fractional = 1;
		g->value = similarity_mrcr(r, answer, prefix);
	} else if (strcmp(grader, "graphwalks") == 0) {
		if (graphwalks_grade(r, answer, g, err) < 0)
			return -1;
	} else {
		return um_fail(err, UM_ERR_INVALID, "grader '%s' calls a model or is unknown",
			       grader);
	}
	g->score = g->value >= 1.0;
	return 0;
}

void answer_grade_release(um_answer_grade *g)
{
	free(g->extracted);
	g->extracted = NULL;
}
