/*
 * plan.c - the planning aid of `umpire report --target-mde PP`: from a
 * report's paired comparisons, how many items (at 1, 2, 4 and 8 repeats)
 * each needs for a minimum detectable difference of PP points at the
 * report's level and 80% power. Rendered from the report object only
 * (docs/report.md, "Methods").
 */
#include "report/plan.h"

#include <math.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/jpath.h"
#include "report/stats.h"

#define PLAN_POWER 0.8

static void plan_cells(um_buf *b, const json_t *c, double mde, double level)
{
	static const unsigned reps[] = {1, 2, 4, 8};
	double vb, vw;
	int have_w = jpath_num(c, "variance.within", &vw);
	size_t i;

	if (!jpath_num(c, "variance.between", &vb)) {
		um_buf_puts(b, " - | - | - | - |\n");
		return;
	}
	for (i = 0; i < sizeof(reps) / sizeof(reps[0]); i++) {
		uint64_t g;
		/* With one sample per item the split is unknown: only the
		 * one-repeat figure (all the variance per item) can be given. */
		if (!have_w && reps[i] != 1) {
			um_buf_puts(b, " ? |");
			continue;
		}
		g = stats_items_needed(vb, have_w ? vw : 0.0, reps[i], mde, level, PLAN_POWER);
		if (g)
			um_buf_printf(b, " %llu |", (unsigned long long)g);
		else
			um_buf_puts(b, " - |");
	}
	um_buf_puts(b, "\n");
}

char *plan_target_mde_text(const json_t *report, double mde_pp)
{
	um_buf b = UM_BUF_INIT;
	const json_t *cmp = jpath_get(report, "paired.comparisons"), *c;
	double level = 0.95, mde = mde_pp / 100.0, cur;
	size_t i;

	jpath_num(report, "level", &level);
	um_buf_printf(&b,
		      "Items needed to detect a difference of %.1f pp (%.0f%% level, 80%% power):\n"
		      "| A | B | Items now | MDE now (pp) | 1 repeat | 2 repeats | 4 repeats | 8 "
		      "repeats |\n|---|---|---:|---:|---:|---:|---:|---:|\n",
		      mde_pp, 100.0 * level);
	json_array_foreach(cmp, i, c) {
		um_buf_printf(&b, "| %s | %s | %lld |", jpath_str(c, "system_a"),
			      jpath_str(c, "system_b"), jpath_int(c, "n_items"));
		if (jpath_num(c, "mde", &cur))
			um_buf_printf(&b, " %.1f |", 100.0 * cur);
		else
			um_buf_puts(&b, " - |");
		plan_cells(&b, c, mde, level);
	}
	if (!json_array_size(cmp))
		um_buf_puts(&b, "(no paired comparisons)\n");
	um_buf_puts(&b, "'?': the run has one sample per item, so the within-item variance is "
			"unknown; '-': no variance to plan from.\n");
	return um_buf_detach(&b);
}
