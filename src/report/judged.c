/*
 * judged.c - the judged part of a report (judged.h).
 *
 * Scores are means of the graded attempts (a fractional score counts its
 * value); attempts that ended in an outcome are counted apart and in no
 * mean. Bins are the item's stored bin (its prompt's estimated tokens
 * against the suite's context_bins). The calibration error is HLE's
 * (report/calibration.h, bins of 100) over the attempts whose confidence is
 * known: what the judge read from the response, else what the response
 * states; it is null below 100 such attempts, as HLE's script cannot give one.
 */
#include "report/judged.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jpath.h"
#include "base/util.h"
#include "report/calibration.h"

#define CALIB_BETA 100

typedef struct tally {
	int64_t n, outcomes;
	double sum;
} tally;

static void tally_add(json_t *o, const char *key, const um_attempt_rec *a)
{
	json_t *t = json_object_get(o, key);

	if (!t) {
		t = json_pack("{s:I, s:f, s:I}", "n", (json_int_t)0, "score_sum", 0.0, "outcomes",
			      (json_int_t)0);
		json_object_set_new(o, key, t);
	}
	if (a->status != UM_ATT_DONE || (a->score < 0 && !a->outcome))
		return; /* an error: the bin is there, nothing counted */
	if (a->outcome) {
		json_object_set_new(t, "outcomes",
				    json_integer(json_integer_value(json_object_get(t, "outcomes")) + 1));
		return;
	}
	json_object_set_new(t, "n", json_integer(json_integer_value(json_object_get(t, "n")) + 1));
	json_object_set_new(t, "score_sum",
			    json_real(json_real_value(json_object_get(t, "score_sum")) +
				      store_attempt_value(a)));
}

/* {key: {n, mean, outcomes}} from the running sums. */
static json_t *finish_tallies(json_t *o)
{
	const char *k;
	json_t *t, *out = json_object();

	json_object_foreach(o, k, t) {
		int64_t n = json_integer_value(json_object_get(t, "n"));
		double s = json_real_value(json_object_get(t, "score_sum"));

		json_object_set_new(out, k,
				    json_pack("{s:I, s:o, s:I}", "n", (json_int_t)n, "mean",
					      n ? json_real(s / (double)n) : json_null(), "outcomes",
					      json_object_get(t, "outcomes")
						      ? json_integer_value(json_object_get(t, "outcomes"))
						      : 0));
	}
	json_decref(o);
	return out;
}

/* Bins in their order: "bin label" keys sorted by the stored bin index. */
static void bin_key(const json_t *ij, char *out, size_t size)
{
	snprintf(out, size, "%03lld %s", (long long)json_integer_value(json_object_get(ij, "context_bin")),
		 json_string_value(json_object_get(ij, "context_bin_label")));
}

/* A system's judged attempts summed one at a time (judged.h). */
struct judged_tally {
	json_t *graders, *bins;
	double *conf;           /* the known confidences, in attempt order */
	int *right;
	size_t nc, cap;
	int64_t judge_cost, judged;
};

judged_tally *judged_tally_new(void)
{
	judged_tally *t = um_xcalloc(1, sizeof(*t));

	t->graders = json_object();
	t->bins = json_object();
	return t;
}

void judged_tally_add(judged_tally *t, const um_attempt_rec *a, const um_item_rec *item)
{
	json_t *ij = json_loads(item->choices_json, 0, NULL);
	json_t *dj = a->detail_json ? json_loads(a->detail_json, 0, NULL) : NULL;
	const char *g = json_string_value(json_object_get(ij, "grader"));
	char key[96];

	if (a->status == UM_ATT_DONE)
		tally_add(t->graders, g ? g : "unknown", a);
	/* every bin an item of the run falls in, so systems' bins line up */
	if (json_is_integer(json_object_get(ij, "context_bin"))) {
		bin_key(ij, key, sizeof(key));
		tally_add(t->bins, key, a);
	}
	if (json_is_object(json_object_get(dj, "judge"))) {
		t->judged++;
		t->judge_cost += json_integer_value(jpath_pointer(dj, "/judge/cost_micro"));
	}
	if (!a->outcome && store_attempt_graded(a) &&
	    json_is_integer(json_object_get(dj, "confidence"))) {
		um_xgrow((void **)&t->conf, &t->cap, t->nc + 1, sizeof(*t->conf));
		t->right = um_xrealloc(t->right, t->cap * sizeof(*t->right));
		t->conf[t->nc] = (double)json_integer_value(json_object_get(dj, "confidence")) / 100.0;
		t->right[t->nc++] = a->score == 1;
	}
	if (ij)
		json_decref(ij);
	if (dj)
		json_decref(dj);
}

json_t *judged_tally_finish(judged_tally *t)
{
	json_t *o = json_object(), *bin_arr = json_array(), *bins, *v;
	const char *k;
	double ce;

	json_object_set_new(o, "graders", finish_tallies(t->graders));
	bins = finish_tallies(t->bins);
	json_object_foreach(bins, k, v) {
		json_t *b = json_deep_copy(v);
		json_object_set_new(b, "bin", json_string(strchr(k, ' ') + 1));
		json_array_append_new(bin_arr, b);
	}
	json_decref(bins);
	if (json_array_size(bin_arr))
		json_object_set_new(o, "context_bins", bin_arr);
	else
		json_decref(bin_arr);
	json_object_set_new(o, "judge", json_pack("{s:I, s:I}", "attempts", (json_int_t)t->judged,
						  "cost_micro", (json_int_t)t->judge_cost));
	ce = calibration_error(t->conf, t->right, t->nc, CALIB_BETA);
	json_object_set_new(o, "confidences", json_integer((json_int_t)t->nc));
	json_object_set_new(o, "calibration_error", isnan(ce) ? json_null() : json_real(ce));
	free(t->conf);
	free(t->right);
	free(t);
	return o;
}

json_t *judged_report_system(const um_attempt_rec *const *attempts, const size_t *item_of,
			     size_t n, const um_item_rec *const *items)
{
	judged_tally *t = judged_tally_new();
	size_t i;

	for (i = 0; i < n; i++)
		judged_tally_add(t, attempts[i], items[item_of[i]]);
	return judged_tally_finish(t);
}

static void md_mean(um_buf *b, const json_t *t)
{
	double m;

	if (t && !jpath_num(t, "mean", &m) && jpath_int(t, "outcomes"))
		um_buf_printf(b, " – (%lld outcomes) |", jpath_int(t, "outcomes"));
	else if (!t || !jpath_num(t, "mean", &m))
		um_buf_puts(b, " – |");
	else
		um_buf_printf(b, " %.1f%% (%lld) |", 100.0 * m, jpath_int(t, "n"));
}

void judged_report_markdown(um_buf *b, const json_t *systems)
{
	const json_t *s, *j, *bins0 = NULL, *bin;
	size_t i, k;
	int any = 0;

	json_array_foreach(systems, i, s) {
		j = json_object_get(s, "judged");
		any |= json_is_object(j);
		if (!bins0 && json_is_array(json_object_get(j, "context_bins")))
			bins0 = json_object_get(j, "context_bins");
	}
	if (!any)
		return;
	um_buf_puts(b, "## Judged answers\n\nMean score of the graded attempts (n); outcomes are "
		       "attempts that ended with no grade and count in no mean: a prompt the "
		       "provider refused as too long, or a judge reply out of format. The judge's "
		       "calls are recorded with the attempts and not in the systems' cost. "
		       "Calibration error: Humanity's Last Exam's (bins of 100 stated confidences; "
		       "none below 100).\n\n| System | Outcomes | Judged | Judge cost USD | "
		       "Calibration error |\n|---|---|---:|---:|---:|\n");
	json_array_foreach(systems, i, s) {
		const json_t *oc = json_object_get(json_object_get(s, "attempts"), "outcomes");
		const char *key;
		json_t *v;
		double ce;
		um_buf t = UM_BUF_INIT;

		j = json_object_get(s, "judged");
		if (!json_is_object(j))
			continue;
		um_buf_init(&t, 0);
		json_object_foreach((json_t *)oc, key, v)
			um_buf_printf(&t, "%s%s %lld", t.len ? ", " : "", key,
				      (long long)json_integer_value(v));
		um_buf_printf(b, "| %s | %s | %lld | %.4f |", jpath_str(s, "name"),
			      t.len ? um_buf_str(&t) : "none", jpath_int(j, "judge.attempts"),
			      (double)jpath_int(j, "judge.cost_micro") / 1e6);
		if (jpath_num(j, "calibration_error", &ce))
			um_buf_printf(b, " %.1f%% |\n", 100.0 * ce);
		else
			um_buf_printf(b, " – (%lld confidences) |\n", jpath_int(j, "confidences"));
		um_buf_release(&t);
	}
	if (!bins0) {
		um_buf_puts(b, "\n");
		return;
	}
	um_buf_puts(b, "\nBy context length (estimated tokens of the prompt: characters / 4):\n\n"
		       "| System |");
	json_array_foreach(bins0, k, bin)
		um_buf_printf(b, " %s |", jpath_str(bin, "bin"));
	um_buf_puts(b, "\n|---|");
	for (k = 0; k < json_array_size(bins0); k++)
		um_buf_puts(b, "---:|");
	um_buf_puts(b, "\n");
	json_array_foreach(systems, i, s) {
		const json_t *bins = jpath_get(s, "judged.context_bins");

		if (!json_is_array(bins))
			continue;
		um_buf_printf(b, "| %s |", jpath_str(s, "name"));
		json_array_foreach(bins0, k, bin) {
			const json_t *mine = NULL, *x;
			size_t q;

			json_array_foreach(bins, q, x)
				if (um_streq(jpath_str(x, "bin"), jpath_str(bin, "bin")))
					mine = x;
			md_mean(b, mine);
		}
		um_buf_puts(b, "\n");
	}
	um_buf_puts(b, "\n");
}
