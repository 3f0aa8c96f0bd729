/*
 * plan.h - how many items and repeats a comparison needs (the planning aid
 * of `umpire report --target-mde`).
 */
#ifndef UMPIRE_PLAN_H
#define UMPIRE_PLAN_H

#include <jansson.h>

/* A markdown table: per paired comparison of the report, the items needed
 * for a minimum detectable difference of mde_pp percentage points at 1, 2,
 * 4 and 8 repeats. Caller frees. */
char *plan_target_mde_text(const json_t *report, double mde_pp);

#endif
