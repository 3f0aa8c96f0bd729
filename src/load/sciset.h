/*
 * sciset.h - SciCode's problems in its public release format (one main
 * problem a line of JSONL: problem_id, problem_name,
 * problem_description_main, required_dependencies, sub_steps with
 * step_number, step_description_prompt, step_background, function_header,
 * return_line, test_cases and, in the validation split, ground_truth_code),
 * read into the items of a scicode suite. The format is in docs/scicode.md.
 */
#ifndef UMPIRE_SCISET_H
#define UMPIRE_SCISET_H

#include <stddef.h>

#include "base/error.h"
#include "load/suite.h"

/* Most sub-steps of one problem, and tests of one step. */
#define UM_SCI_MAX_STEPS 1000
#define UM_SCI_MAX_TESTS 1000

/* Parse JSONL bytes (one problem a line, blank lines skipped, a UTF-8 byte
 * order mark ignored) into items with item->sci set: id = problem_id,
 * question = problem_description_main, category = the record's "category"
 * (umpire's extension) or "scicode". `source` names the data in messages
 * (file:line:col). *lines gets each item's line (caller frees; may be
 * NULL). Nothing is returned on error: *items NULL, *n 0. */
int sciset_parse(const char *source, const char *data, size_t len, um_item **items, size_t *n,
		 int **lines, um_error *err);

/* The step numbered `number` of the suite's items, or NULL; *item gets
 * its item's index (may be NULL). */
um_sci_step *sciset_find_step(const um_suite *s, const char *number, size_t *item);

struct yml_doc;
struct yml_node;
/* The suite's `scicode:` block (n; NULL: absent, an error) over the loaded
 * items: the test data's path (resolved against the suite file) and its
 * pin, checked by hashing the file; the limits; `given` (step number to a
 * file of the code SciCode gives for it), each file read into its step.
 * Errors at the node (file:line:col), UM_ERR_PIN for a pin mismatch. */
int sciset_rules(const struct yml_doc *d, const struct yml_node *n, um_suite *s,
		 um_error *err);
/* Release s->sci's strings. */
void sciset_rules_release(um_sci_rules *r);

/* Free a SciCode item and everything it owns (NULL is fine). */
void sciset_item_free(um_sci_item *c);

#endif
