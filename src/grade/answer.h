/*
 * answer.h - grading a judged suite's free-form answer without a model:
 * which part of a response is its answer, and the scores of the graders
 * exact, numeric, similarity and mrcr (docs/judged.md). The judge grader is
 * grade/judge.h's, driven by the runner.
 */
#ifndef UMPIRE_ANSWER_H
#define UMPIRE_ANSWER_H

#include <jansson.h>
#include <stddef.h>

#include "base/error.h"

typedef struct um_answer_grade {
	double value;     /* the score in [0, 1] */
	int score;        /* 1: full credit, else 0 */
	int fractional;   /* the grader gives fractional scores (similarity, mrcr) */
	char *extracted;  /* the part of the response graded (exact, numeric), or NULL; owned */
} um_answer_grade;

/* The answer a response gives: the text after the last line that starts
 * (after blanks and '*' or '#' marks) with "answer:", "final answer:" or
 * "exact answer:" in any case; else the whole response. Blank-trimmed.
 * Caller frees. */
char *answer_extract(const char *response);

/* Grades response against the item's answer with the named grader:
 *   exact       answer_extract(response), normalised (grade/match.h), equal
 *   numeric     answer_extract(response) read as a number, within
 *               max(abs_tol, rel_tol * |answer|)
 *   similarity  the difflib ratio of the whole response and the answer
 *   mrcr        MRCR's grade: 0 unless the response starts with prefix,
 *               else the ratio with the prefix removed from both
 *   graphwalks  Graphwalks' set F1 of answer_graphwalks_list(response)
 *               against the answer (a JSON list of node ids)
 * -1 with UM_ERR_INVALID for another name ("judge" included) or a numeric
 * answer that is not a number (the item is wrong, not the response).
 * Release with answer_grade_release. */
int answer_grade(const char *grader, const char *response, const char *answer,
		 const char *prefix, double rel_tol, double abs_tol, um_answer_grade *g,
		 um_error *err);
void answer_grade_release(um_answer_grade *g);

/* Graphwalks' answer: the node list of "Final Answer: [...]" on the very
 * last line of response (the text after its last '\n'), the first
 * "Final Answer:" followed by an optional space and a '[' up to the last ']'
 * of that line, split at commas, each stripped, blanks dropped. NULL when
 * the last line has none (a parse failure). New reference. */
json_t *answer_graphwalks_list(const char *response);
/* The set F1 of sampled (NULL: a parse failure, 0) against truth: 1 when
 * both sets are empty, else 2PR / (P + R), 0 with no overlap. */
double answer_graphwalks_f1(const json_t *sampled, const json_t *truth);

/* 1 when the item's answer can be graded by grader (a numeric grader needs
 * a number); 0 with why filled otherwise. */
int answer_item_ok(const char *grader, const char *answer, char *why, size_t why_size);

#endif
