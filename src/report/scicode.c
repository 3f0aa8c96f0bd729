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

/* A system's scicode attempts summed one at a time (scicode.h). */
struct scicode_tally {
	const um_item_rec *const *items;
	size_t n_items;
	uint64_t repeats;
	json_t *ends, *broken, *bg, *counting;
	int64_t passed, solved, graded, oracle;
	int64_t *have;          /* per item: step values added */
	step_values sv;
};

scicode_tally *scicode_tally_new(const um_item_rec *const *items, size_t n_items,
				 uint64_t repeats)
{
	scicode_tally *t = um_xcalloc(1, sizeof(*t));

	t->items = items;
	t->n_items = n_items;
	t->repeats = repeats;
	t->ends = json_object();
	t->broken = json_array();
	t->have = um_xcalloc(n_items + 1, sizeof(*t->have));
	return t;
}

void scicode_tally_add(scicode_tally *t, const um_attempt_rec *a)
{
	size_t at, before;
	json_t *dj;

	if (!store_attempt_graded(a) || !a->detail_json)
		return;
	dj = json_loads(a->detail_json, 0, NULL);
	if (!um_streq(json_string_value(json_object_get(dj, "verdict")), "scicode_steps")) {
		if (dj)
			json_decref(dj);
		return;
	}
	at = item_index(t->items, t->n_items, a->item_id);
	t->graded++;
	t->solved += a->score == 1;
	t->oracle |= json_is_true(json_object_get(dj, "oracle"));
	if (!t->bg)
		t->bg = json_incref(json_object_get(dj, "background"));
	if (!t->counting)
		t->counting = json_incref(json_object_get(dj, "counting"));
	before = t->sv.n;
	count_steps(dj, &t->passed, t->ends, t->broken, &t->sv, at);
	t->have[at] += (int64_t)(t->sv.n - before);
	json_decref(dj);
}

json_t *scicode_tally_finish(scicode_tally *t)
{
	json_t *o = json_object();
	int64_t asked = 0;
	size_t n_items = t->n_items, i;
	uint64_t repeats = t->repeats;

	for (i = 0; i < n_items; i++)
		asked += asked_of(t->items[i]) * (int64_t)repeats;
	/* the steps of problems not graded count as failed */
	for (i = 0; i < n_items; i++) {
		int64_t want = asked_of(t->items[i]) * (int64_t)repeats;

		for (; t->have[i] < want; t->have[i]++)
			sv_add(&t->sv, 0.0, i);
	}
	json_object_set_new(o, "problems", json_integer((int64_t)n_items * (int64_t)repeats));
	json_object_set_new(o, "graded", json_integer(t->graded));
	json_object_set_new(o, "solved", json_integer(t->solved));
	json_object_set_new(o, "main_accuracy",
			    real6(n_items ? (double)t->solved / (double)(n_items * repeats) : 0));
	json_object_set_new(o, "steps", json_integer(asked));
	json_object_set_new(o, "steps_passed", json_integer(t->passed));
	json_object_set_new(o, "sub_step_accuracy",
			    real6(asked ? (double)t->passed / (double)asked : 0));
	json_object_set_new(o, "sub_step_interval", sub_step_interval(&t->sv));
	json_object_set_new(o, "steps_ended", t->ends);
	json_object_set_new(o, "background", t->bg ? t->bg : json_null());
	json_object_set_new(o, "counting", t->counting ? t->counting : json_string("scripts"));
	if (t->oracle)
		json_object_set_new(o, "broken_steps", t->broken);
	else
		json_decref(t->broken);
	free(t->have);
	free(t->sv.v);
	free(t->sv.cl);
	free(t);
	return o;
}

json_t *scicode_report_system(const um_attempt_rec *const *attempts, size_t n,
			      const um_item_rec *const *items, size_t n_items, uint64_t repeats)
{
	scicode_tally *t = scicode_tally_new(items, n_items, repeats);
	size_t i;

	for (i = 0; i < n; i++)
		scicode_tally_add(t, attempts[i]);
	return scicode_tally_finish(t);
}

void scicode_report_markdown(um_buf *b, const json_t *systems)
{
	const json_t *s, *c, *bp;
	size_t i;
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
		um_buf_putc(b, ' ');
		jpath_append_strings(b, bp, ", ");
		um_buf_puts(b, ".\n\n");
	}
}
