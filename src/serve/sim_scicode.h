/*
 * sim_scicode.h - the simulated pool's answers to SciCode prompts
 * (docs/simulator.md, "SciCode answers"): the step asked is the one whose
 * function header comes last in the prompt (the earlier steps' code that
 * the prompt carries may repeat their own headers); a right answer is the
 * step's ground_truth_code in a ```python block, a wrong one the header
 * with a body that returns nothing useful.
 */
#ifndef UMPIRE_SIM_SCICODE_H
#define UMPIRE_SIM_SCICODE_H

#include <stddef.h>

#include "base/buf.h"
#include "load/suite.h"

/* The step a prompt asks, or NULL; *item its item's index. */
const um_sci_step *sim_sci_find(const um_suite *s, const char *text, size_t len, size_t *item);

/* The answer to step st: right (its ground_truth_code, when it has one) or
 * wrong, appended to b. */
void sim_sci_answer(const um_sci_step *st, int right, um_buf *b);

#endif
