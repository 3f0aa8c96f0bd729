/*
 * judge.h - grading by a judge model: the judge's prompt rendered from the
 * scaffold's one template, and the judge's reply parsed strictly.
 *
 * The same judge model and template grade every system of a run; the judge
 * calls themselves are made and recorded by the runner like any other call.
 * This file is the pure part: text in, verdict out. A reply that does not
 * follow the format is an error (a judge failure, recorded as such), never
 * a guess at a verdict.
 *
 * Formats:
 *   fields  lines "name: value" at the start of a line, as Humanity's Last
 *           Exam's judge prompt asks for: correct (exactly "yes" or "no",
 *           exactly once) required; confidence (an integer 0..100, an
 *           optional '%') and extracted_final_answer optional, each at most
 *           once; reasoning and any other lines ignored.
 *   json    the whole reply (blank-trimmed, optionally inside one ```json
 *           fence) is one JSON object {"extracted_answer": string,
 *           "score": 0 | 1}, as CharXiv's grading templates ask for; score
 *           required, no other keys.
 */
#ifndef UMPIRE_JUDGE_H
#define UMPIRE_JUDGE_H

#include "base/error.h"

typedef enum um_judge_format { UM_JUDGE_FIELDS, UM_JUDGE_JSON } um_judge_format;

typedef struct um_judge_verdict {
	int correct;     /* 1 correct, 0 not */
	int confidence;  /* the confidence the judge read from the answer, 0..100; -1 none */
	char *extracted; /* the answer the judge extracted, or NULL; owned */
} um_judge_verdict;

/* "fields" or "json"; -1 with UM_ERR_INVALID otherwise. */
int judge_format_parse(const char *name, um_judge_format *out, um_error *err);
const char *judge_format_name(um_judge_format f);

/* The judge's user prompt: tmpl with {{question}}, {{response}},
 * {{correct_answer}} and {{instructions}} (the per-question-type text; ""
 * when none) substituted. Caller frees *out. */
int judge_render(const char *tmpl, const char *question, const char *response,
		 const char *correct_answer, const char *instructions, char **out, um_error *err);

/* Parses a judge reply. -1 with UM_ERR_PROTOCOL naming what is wrong. */
int judge_parse(um_judge_format f, const char *text, um_judge_verdict *v, um_error *err);
void judge_verdict_release(um_judge_verdict *v);

/* The confidence a response states itself: the last line
 * "Confidence: N%" (N an integer 0..100, the '%' optional, the word in any
 * case). Returns N, or -1 when there is none. */
int judge_stated_confidence(const char *response);

#endif
