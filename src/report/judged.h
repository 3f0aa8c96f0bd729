/*
 * judged.h - the part of a report that only judged suites have
 * (docs/judged.md): per system, the mean score by grader and by
 * context-length bin, the outcomes (context overflow, judge error), what the
 * judge cost, and HLE's calibration error of the stated confidences.
 */
#ifndef UMPIRE_REPORT_JUDGED_H
#define UMPIRE_REPORT_JUDGED_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "store/store.h"

/* The section of one system, from its attempts and the run's items (the
 * item of attempts[i] is items[item_of[i]]). New reference. */
json_t *judged_report_system(const um_attempt_rec *const *attempts, const size_t *item_of,
			     size_t n, const um_item_rec *const *items);
/* The same, one attempt at a time: a tally per system, fed its attempts
 * in (item, sample) order with their items; finish frees the tally and
 * returns the section (new reference). Memory: the sums by grader and bin,
 * and a confidence and a verdict per attempt that states one. */
typedef struct judged_tally judged_tally;
judged_tally *judged_tally_new(void);
void judged_tally_add(judged_tally *t, const um_attempt_rec *a, const um_item_rec *item);
json_t *judged_tally_finish(judged_tally *t);
/* report.md's "Judged answers" part, from the report's systems (nothing
 * when none has a "judged" section). */
void judged_report_markdown(um_buf *b, const json_t *systems);

#endif
