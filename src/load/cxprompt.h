/*
 * cxprompt.h - CharXiv Reasoning's own prompts (docs/judged.md, "CharXiv
 * Reasoning"), read from the user's clone of CharXiv's repository when a
 * judged scaffold says `charxiv: {source: DIR}`, and sent as CharXiv's
 * code builds them:
 *   - the model's question: REASONING_RESP_INST[c].format(query) for
 *     instruction categories 1..3, .format(query, get_number_instruction(
 *     answer)) for 4 (src/constants.py, src/reasoning_utils.py);
 *   - the judge's prompt: REASONING_GRADING_PREFIX +
 *     REASONING_GRADING_INST[c] with "<|question|>", "<|ground_truth|>"
 *     and "<|response|>" replaced in that order, each replace applied to
 *     the text the one before it gave.
 * Nothing of CharXiv is shipped: the texts come from the clone and then
 * live in the stored copy of the scaffold (charxiv_text, cxprompt_yaml),
 * from which a stored run is replayed, rescored and verified.
 */
#ifndef UMPIRE_CXPROMPT_H
#define UMPIRE_CXPROMPT_H

#include "base/buf.h"
#include "base/error.h"
#include "load/yml.h"

typedef struct um_cxprompt {
	char *resp[4];    /* REASONING_RESP_INST[1..4]: str.format templates of {} fields */
	char *integer;    /* get_number_instruction's text for an answer with no '.' */
	char *decimal;    /* its f-string: a template of {num_decimal}, {{ }} literal braces */
	char *prefix;     /* REASONING_GRADING_PREFIX */
	char *grading[4]; /* REASONING_GRADING_INST[1..4] */
} um_cxprompt;

/* Read and check the texts of the clone at root: root/src/constants.py
 * and root/src/reasoning_utils.py. Each template is checked as
 * str.format would read it (auto-numbered {} fields only: one for
 * categories 1..3, two for 4; {{ and }} literal braces), each grading text
 * must hold the three placeholders, get_number_instruction must assign
 * inst twice (a plain literal, then an f-string of {num_decimal}). A
 * missing file is UM_ERR_IO; anything else UM_ERR_SYNTAX or UM_ERR_INVALID
 * at the file's line and column. *out is new. */
int cxprompt_read_clone(const char *root, um_cxprompt **out, um_error *err);

/* The same texts from a stored scaffold's charxiv_text node, checked the
 * same way (errors at the node). *out is new. */
int cxprompt_read_stored(const yml_doc *d, const yml_node *n, um_cxprompt **out, um_error *err);

/* Append "charxiv_text:" and the texts, one YAML double-quoted scalar each. */
void cxprompt_yaml(const um_cxprompt *p, um_buf *b);

int cxprompt_equal(const um_cxprompt *a, const um_cxprompt *b);
void cxprompt_free(um_cxprompt *p);

/* get_number_instruction(answer): the integer text when answer has no
 * '.', else the decimal text with the number of code points between the
 * first '.' and the next one (or the end): "5." gives 0 places, "5" the
 * integer text. New. */
char *cxprompt_number_instruction(const um_cxprompt *p, const char *answer);

/* The model's text of a question of category inst (1..4). New. */
char *cxprompt_question(const um_cxprompt *p, int inst, const char *query, const char *answer);

/* The judge's prompt for a response to it. New. */
char *cxprompt_grading(const um_cxprompt *p, int inst, const char *query, const char *answer,
		       const char *response);

#endif
