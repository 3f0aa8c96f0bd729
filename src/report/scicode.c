/*
 * scicode.c - a scicode run's part of the report (scicode.h).
 *
 * The denominators are the whole suite, as SciCode's own counts are fixed
 * (65 problems and 288 asked steps of its test split): every item and
 * sample planned counts, so a problem that ended in an infrastructure
 * error, or was not attempted, is solved by none of its steps.
 */
#include "report/scicode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jpath.h"
#include "base/util.h"
#include "report/stats.h"

/* A real as report.json writes them: 6 significant digits. */
static json_t *real6(double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.6g", v);
	return json_real(strtod(buf, NULL));
}

/* How many steps item asks, from its stored record (0 when not said). */
static int64_t asked_of(const um_item_rec *it)
{
	json_t *o = it && it->choices_json ? json_loads(it->choices_json, 0, NULL) : NULL;
	const json_t *v = json_object_get(o, "counted"); /* before counting: "asked" */
	int64_t n = o ? json_integer_value(v ? v : json_object_get(o, "asked")) : 0;

	if (o)
		json_decref(o);
	return n;
}

/* Every asked step of the suite as a 0/1 value, clustered by its problem. */
typedef struct step_values {
	double *v;
	size_t *cl, n, cap;
} step_values;

static void sv_add(step_values *sv, double v, size_t cluster)
{
	um_xgrow((void **)&sv->v, &sv->cap, sv->n + 1, sizeof(*sv->v));
	sv->cl = um_xrealloc(sv->cl, sv->cap * sizeof(*sv->cl));
	sv->v[sv->n] = v;
	sv->cl[sv->n++] = cluster;
}

static size_t item_index(const um_item_rec *const *items, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (um_streq(items[i]->item_id, id))
			return i;
	return n;
}

/* The sub-step accuracy with its item-clustered interval, in the shape of
 * a system's "accuracy" (what claims read for denominator sub_steps). */
static json_t *sub_step_interval(const step_values *sv)
{
	um_acc a;

	if (!sv->n)
		return json_null();
	a = stats_accuracy(sv->v, sv->cl, sv->n, 0.95);
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:I}", "value", real6(a.est), "ci_lo",
			 real6(a.lo), "ci_hi", real6(a.hi), "n_eff", real6(a.n_eff), "df",
			 real6(a.df), "items", (json_int_t)a.items);
}

/* One graded attempt's steps into the tallies. */
static void count_steps(const json_t *dj, int64_t *passed, json_t *ends, json_t *broken,
			step_values *sv, size_t cluster)
{
	const json_t *st;
	size_t k;

	json_array_foreach(json_object_get(dj, "steps"), k, st) {
		const char *v = json_string_value(json_object_get(st, "v"));
		json_t *c;

		if (!v || !strcmp(v, "given"))
			continue;
		*passed += !strcmp(v, "passed");
		sv_add(sv, !strcmp(v, "passed"), cluster);
		c = json_object_get(ends, v);
		json_object_set_new(ends, v, json_integer((c ? json_integer_value(c) : 0) + 1));
		if (strcmp(v, "passed") != 0 && json_is_true(json_object_get(dj, "oracle")))
			json_array_append_new(broken, json_incref(json_object_get(st, "step")));
	}
}

json_t *scicode_report_system(const um_attempt_rec *const *attempts, size_t n,
			      const um_item_rec *const *items, size_t n_items, uint64_t repeats)
{
	json_t *o = json_object(), *ends = json_object(), *broken = json_array(), *bg = NULL;
	json_t *counting = NULL;
	int64_t asked = 0, passed = 0, solved = 0, graded = 0, oracle = 0;
	int64_t *have = um_xcalloc(n_items + 1, sizeof(*have));
	step_values sv = {0};
	size_t i;

	for (i = 0; i < n_items; i++)
		asked += asked_of(items[i]) * (int64_t)repeats;
	for (i = 0; i < n; i++) {
		const um_attempt_rec *a = attempts[i];
		size_t at = item_index(items, n_items, a->item_id);
		size_t before;
		json_t *dj;

		if (!store_attempt_graded(a) || !a->detail_json)
			continue;
		dj = json_loads(a->detail_json, 0, NULL);
		if (!um_streq(json_string_value(json_object_get(dj, "verdict")), "scicode_steps")) {
			if (dj)
				json_decref(dj);
			continue;
		}
		graded++;
		solved += a->score == 1;
		oracle |= json_is_true(json_object_get(dj, "oracle"));
		if (!bg)
			bg = json_incref(json_object_get(dj, "background"));
		if (!counting)
			counting = json_incref(json_object_get(dj, "counting"));
		before = sv.n;
		count_steps(dj, &passed, ends, broken, &sv, at);
		have[at] += (int64_t)(sv.n - before);
		json_decref(dj);
	}
	/* the steps of problems not graded count as failed */
	for (i = 0; i < n_items; i++) {
		int64_t want = asked_of(items[i]) * (int64_t)repeats;

		for (; have[i] < want; have[i]++)
			sv_add(&sv, 0.0, i);
	}
	json_object_set_new(o, "problems", json_integer((int64_t)n_items * (int64_t)repeats));
	json_object_set_new(o, "graded", json_integer(graded));
	json_object_set_new(o, "solved", json_integer(solved));
	json_object_set_new(o, "main_accuracy",
			    real6(n_items ? (double)solved / (double)(n_items * repeats) : 0));
	json_object_set_new(o, "steps", json_integer(asked));
	json_object_set_new(o, "steps_passed", json_integer(passed));
	json_object_set_new(o, "sub_step_accuracy",
			    real6(asked ? (double)passed / (double)asked : 0));
	json_object_set_new(o, "sub_step_interval", sub_step_interval(&sv));
	json_object_set_new(o, "steps_ended", ends);
	json_object_set_new(o, "background", bg ? bg : json_null());
	json_object_set_new(o, "counting", counting ? counting : json_string("scripts"));
	if (oracle)
		json_object_set_new(o, "broken_steps", broken);
	else
		json_decref(broken);
	free(have);
	free(sv.v);
	free(sv.cl);
	return o;
}

void scicode_report_markdown(um_buf *b, const json_t *systems)
{
	const json_t *s, *c, *bp;
	size_t i, j;
	int any = 0;

	json_array_foreach(systems, i, s)
		any |= json_is_object(json_object_get(s, "scicode"));
	if (!any)
		return;
	um_buf_puts(b, "## SciCode\n\nMain problems: solved when every step SciCode asks passes; "
		       "sub-steps: steps passed over steps asked (the steps SciCode gives are "
		       "neither). Both over the whole suite: a problem not graded counts as failed "
		       "in all its steps.\n\n| System | Background | Main problems solved | Main "
		       "accuracy | Sub-steps passed | Sub-step accuracy | Failed | Time limit |\n"
		       "|---|---|---:|---:|---:|---:|---:|---:|\n");
	json_array_foreach(systems, i, s) {
		const json_t *bg;

		c = json_object_get(s, "scicode");
		if (!json_is_object(c))
			continue;
		bg = json_object_get(c, "background");
		um_buf_printf(b, "| %s | %s | %lld / %lld | %.1f%% | %lld / %lld | %.1f%% | %lld | "
				 "%lld |\n",
			      jpath_str(s, "name"),
			      json_is_true(bg) ? "with" : json_is_false(bg) ? "without" : "–",
			      jpath_int(c, "solved"), jpath_int(c, "problems"),
			      100.0 * json_real_value(json_object_get(c, "main_accuracy")),
			      jpath_int(c, "steps_passed"), jpath_int(c, "steps"),
			      100.0 * json_real_value(json_object_get(c, "sub_step_accuracy")),
			      jpath_int(c, "steps_ended.failed"), jpath_int(c, "steps_ended.time_limit"));
	}
	um_buf_puts(b, "\n");
	json_array_foreach(systems, i, s)
		if (um_streq(jpath_str(s, "scicode.counting"), "inspect_ai")) {
			um_buf_puts(b, "Counting: inspect_ai's (the given steps count in the "
				       "sub-steps and their problems, never passed).\n\n");
			break;
		}
	json_array_foreach(systems, i, s) {
		bp = json_object_get(json_object_get(s, "scicode"), "broken_steps");
		if (!json_is_array(bp))
			continue;
		if (!json_array_size(bp)) {
			um_buf_puts(b, "Oracle: every asked step passes with its ground_truth_code.\n\n");
			continue;
		}
		um_buf_printf(b, "Oracle: %zu step%s fail%s with %s ground_truth_code (or have "
				 "none):", json_array_size(bp), json_array_size(bp) == 1 ? "" : "s",
			      json_array_size(bp) == 1 ? "s" : "",
			      json_array_size(bp) == 1 ? "its" : "their");
		for (j = 0; j < json_array_size(bp); j++)
			um_buf_printf(b, "%s %s", j ? "," : "", json_string_value(json_array_get(bp, j)));
		um_buf_puts(b, ".\n\n");
	}
}
