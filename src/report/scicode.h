/*
 * scicode.h - the part of a report that only scicode suites have
 * (docs/scicode.md, "In the report"): per system, SciCode's two numbers,
 * main-problem accuracy (problems whose asked steps all pass) and sub-step
 * accuracy (steps passed over steps asked), each over the whole suite
 * (every item and sample planned: a problem not graded counts as solved by
 * none of its steps), how the steps ended, and under --oracle the steps
 * whose reference code fails.
 */
#ifndef UMPIRE_REPORT_SCICODE_H
#define UMPIRE_REPORT_SCICODE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "store/store.h"

/* The section of one system, from its attempts, the run's items (each
 * item's choices_json says how many steps it asks) and the samples planned
 * per item. New reference. */
json_t *scicode_report_system(const um_attempt_rec *const *attempts, size_t n,
			      const um_item_rec *const *items, size_t n_items, uint64_t repeats);
/* The same, one attempt at a time: a tally per system fed its attempts in
 * (item, sample) order; finish frees it and returns the section (new
 * reference). items must outlive the tally. */
typedef struct scicode_tally scicode_tally;
scicode_tally *scicode_tally_new(const um_item_rec *const *items, size_t n_items,
				 uint64_t repeats);
void scicode_tally_add(scicode_tally *t, const um_attempt_rec *a);
json_t *scicode_tally_finish(scicode_tally *t);
/* report.md's "SciCode" part, from the report's systems (nothing when none
 * has a "scicode" section). */
void scicode_report_markdown(um_buf *b, const json_t *systems);

#endif
