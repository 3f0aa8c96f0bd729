/*
 * answer.c - the graders of free-form answers that call no model
 * (answer.h): exact and numeric on the extracted answer line, the
 * sequence-similarity ratio and MRCR's prefix-then-ratio on the whole reply.
 */
#include "grade/answer.h"

#include <ctype.h>
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

int answer_item_ok(const char *grader, const char *answer, char *why, size_t why_size)
{
	double x;
	char *norm;
	int ok;

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
