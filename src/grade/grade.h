/*
 * grade.h - scoring of multiple-choice answers: extraction through the
 * scaffold's extractor, then the label mapped back through the attempt's
 * permutation to a source choice index.
 */
#ifndef UMPIRE_GRADE_H
#define UMPIRE_GRADE_H

#include "base/error.h"
#include "load/scaffold.h"

typedef struct um_mcq_grade {
	int found;               /* the extractor matched */
	char extracted[64];      /* the normalised capture ("" when not found) */
	int chosen;              /* source choice index, -1 when not a valid label */
	int score;               /* 1 correct, 0 otherwise */
} um_mcq_grade;

/* labels: the scaffold's label string; perm/n: the attempt's permutation;
 * correct: the item's source index of the right answer. */
int grade_mcq(const um_extractor *x, const char *labels, const int *perm, int n,
	      int correct, const char *text, um_mcq_grade *out, um_error *err);

#endif
