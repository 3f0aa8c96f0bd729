/*
 * grade.c - multiple-choice grading: extract, map the label back through the
 * attempt's permutation, compare with the item's correct choice.
 */
#include "grade/grade.h"

#include <string.h>

int grade_mcq(const um_extractor *x, const char *labels, const int *perm, int n, int correct,
	      const char *text, um_mcq_grade *out, um_error *err)
{
	int rc;
	const char *hit;

	memset(out, 0, sizeof(*out));
	out->chosen = -1;
	rc = scaffold_extract(x, text ? text : "", out->extracted, sizeof(out->extracted), err);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		out->extracted[0] = '\0';
		return 0;
	}
	out->found = 1;
	/* A valid answer is exactly one label among the first n. */
	if (strlen(out->extracted) == 1 && (hit = strchr(labels, out->extracted[0])) != NULL) {
		int pos = (int)(hit - labels);
		if (pos < n)
			out->chosen = perm[pos];
	}
	out->score = out->chosen >= 0 && out->chosen == correct;
	return 0;
}
