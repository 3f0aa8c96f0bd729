/*
 * report_md.c - the renderings of a report model that people read in a
 * terminal or a text file: report.md (report_markdown), the summary table
 * (report_summary_text, report_accuracy_text) and the files of a report
 * directory (report_write). They read the JSON object report_build() made
 * and nothing else, so every number they print is the model's.
 */
#include "report/report.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/jpath.h"
#include "report/judged.h"
#include "report/scicode.h"
#include "base/util.h"
#include "report/route.h"

/* A table cell: '|' escaped, line breaks flattened. */
static void md_cell(um_buf *b, const char *s)
{
	um_buf_puts(b, " ");
	for (; s && *s; s++) {
		if (*s == '|')
			um_buf_puts(b, "\\|");
		else if (*s == '\n' || *s == '\r' || *s == '\t')
			um_buf_putc(b, ' ');
		else
			um_buf_putc(b, *s);
	}
	um_buf_puts(b, " |");
}

static void md_cellf(um_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void md_cellf(um_buf *b, const char *fmt, ...)
{
	um_buf tmp = UM_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	um_buf_vprintf(&tmp, fmt, ap);
	va_end(ap);
	md_cell(b, um_buf_str(&tmp));
	um_buf_release(&tmp);
}

/* micro-USD as USD with 4 decimals, rounded half away from zero. */
static void usd(char *out, size_t n, long long micro)
{
	unsigned long long a = micro < 0 ? 0ULL - (unsigned long long)micro
					 : (unsigned long long)micro;
	unsigned long long tenk = (a + 50) / 100;

	snprintf(out, n, "%s%llu.%04llu", micro < 0 ? "-" : "", tenk / 10000, tenk % 10000);
}

static void usd_path(char *out, size_t n, const json_t *o, const char *path)
{
	if (json_is_integer(jpath_get(o, path)))
		usd(out, n, jpath_int(o, path));
	else
		snprintf(out, n, "-");
}

/* "62.0% [52.1, 71.0]" from an object with value/ci_lo/ci_hi (or the given keys). */
static void pct_ci(char *out, size_t n, const json_t *o, const char *v, const char *lo,
		   const char *hi, double scale)
{
	double x, l, h;

	if (!jpath_num(o, v, &x)) {
		snprintf(out, n, "-");
		return;
	}
	if (jpath_num(o, lo, &l) && jpath_num(o, hi, &h))
		snprintf(out, n, "%.1f%% [%.1f, %.1f]", x * scale, l * scale, h * scale);
	else
		snprintf(out, n, "%.1f%%", x * scale);
}

static void int_or_dash(char *out, size_t n, const json_t *o, const char *path)
{
	if (json_is_integer(jpath_get(o, path)))
		snprintf(out, n, "%lld", jpath_int(o, path));
	else
		snprintf(out, n, "-");
}

static void pvalue(char *out, size_t n, const json_t *o, const char *path)
{
	double p;

	if (!jpath_num(o, path, &p))
		snprintf(out, n, "-");
	else
		snprintf(out, n, "%.3g", p);
}

/* "[52.1, 71.0]" from two fields in percent points of a proportion, or "-". */
static void ci_text(char *out, size_t n, const json_t *o, const char *lo, const char *hi)
{
	double l, h;

	if (jpath_num(o, lo, &l) && jpath_num(o, hi, &h))
		snprintf(out, n, "[%.1f, %.1f]", 100.0 * l, 100.0 * h);
	else
		snprintf(out, n, "-");
}

void report_accuracy_text(const json_t *sys, report_acc_text *t)
{
	double v;

	if (jpath_num(sys, "accuracy.value", &v))
		snprintf(t->value, sizeof(t->value), "%.1f%%", 100.0 * v);
	else
		snprintf(t->value, sizeof(t->value), "-");
	ci_text(t->ci, sizeof(t->ci), sys, "accuracy.ci_lo", "accuracy.ci_hi");
	if (jpath_num(sys, "accuracy.n_eff", &v))
		snprintf(t->n_eff, sizeof(t->n_eff), "%.1f", v);
	else
		snprintf(t->n_eff, sizeof(t->n_eff), "-");
}

static void md_header(um_buf *b, const json_t *rep, int level_pct)
{
	static const char *const shas[] = {"suite", "scaffold", "models", "dataset"};
	const json_t *run = json_object_get(rep, "run");
	size_t i;

	um_buf_printf(b, "# umpire report: %s %s\n\n", jpath_str(run, "suite.name"),
		      jpath_str(run, "suite.version"));
	um_buf_printf(b, "- Run: `%s` (status %s; %s)\n", jpath_str(run, "run_id"),
		      jpath_str(run, "status"),
		      json_is_true(json_object_get(rep, "complete"))
			      ? "complete: every planned attempt graded"
			      : "incomplete: some attempts are missing or failed");
	um_buf_printf(b, "- Suite: %s %s (%s), %lld items x %lld repeats, seed ",
		      jpath_str(run, "suite.name"), jpath_str(run, "suite.version"),
		      jpath_str(run, "suite.kind"),
		      (long long)json_integer_value(json_object_get(rep, "items")),
		      jpath_int(run, "repeats"));
	if (json_is_string(json_object_get(run, "seed")))
		um_buf_printf(b, "%s\n", jpath_str(run, "seed"));
	else
		um_buf_printf(b, "%lld\n", jpath_int(run, "seed"));
	um_buf_printf(b, "- Harness: umpire %s (%s)\n", jpath_str(run, "harness_version"),
		      jpath_str(run, "git_describe"));
	um_buf_printf(b, "- HTTP calls: %lld; confidence level: %d%%\n",
		      (long long)json_integer_value(json_object_get(rep, "calls")), level_pct);
	if (json_is_string(json_object_get(rep, "generated_at")))
		um_buf_printf(b, "- Generated at: %s\n", jpath_str(rep, "generated_at"));
	um_buf_puts(b, "\n| Input | sha256 |\n|---|---|\n");
	for (i = 0; i < UM_ARRAY_LEN(shas); i++) {
		char path[32];
		snprintf(path, sizeof(path), "sha256.%s", shas[i]);
		um_buf_printf(b, "| %s | `%s` |\n", shas[i], jpath_str(run, path));
	}
	um_buf_puts(b, "\n");
}

static void md_systems(um_buf *b, const json_t *systems, int lv, int partial)
{
	size_t i;
	const json_t *s;
	char c2[32], c3[32], c4[32], c5[32], c6[80];

	um_buf_printf(b,
		      "## Systems\n\n"
		      "Accuracy is over graded attempts, with a %d%% interval clustered by "
		      "item (Wilson and Jeffreys on the effective sample size; n eff is the "
		      "number of attempts over the design effect of repeats); \"whole "
		      "suite\" divides the correct answers by every planned "
		      "attempt (items x repeats), so missing and failed attempts count as "
		      "unresolved.\n\n",
		      lv);
	if (partial)
		um_buf_puts(b, "Scores are partial (each attempt scores in [0, 1]): accuracy and "
			       "\"whole suite\" are mean scores, and the interval treats a score as "
			       "a 0/1 trial's share (conservative: a score in [0, 1] with mean p "
			       "varies at most as much as a 0/1 one). Correct answers, cost / "
			       "correct, b and c count full scores (1); pass@k and McNemar need 0/1 "
			       "scores and are not given.\n\n");
	um_buf_printf(b, "| System | Role | Model | Accuracy (%d%% CI) | n eff | Whole suite "
			 "| n | Errors | Tokens in / out | Cost (USD) | Cost / correct (USD) "
			 "| p50 / p90 (ms) |\n",
		      lv);
	um_buf_puts(b, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	json_array_foreach(systems, i, s) {
		report_acc_text at;
		double whole;

		um_buf_puts(b, "|");
		md_cell(b, jpath_str(s, "name"));
		md_cell(b, jpath_str(s, "role"));
		md_cell(b, jpath_str(s, "model"));
		report_accuracy_text(s, &at);
		if (strcmp(at.ci, "-") != 0)
			md_cellf(b, "%s %s", at.value, at.ci);
		else
			md_cell(b, at.value);
		md_cell(b, at.n_eff);
		if (jpath_num(s, "accuracy_whole_suite", &whole))
			md_cellf(b, "%.1f%%", 100.0 * whole);
		else
			md_cell(b, "-");
		md_cellf(b, "%lld", jpath_int(s, "attempts.graded"));
		md_cellf(b, "%lld", jpath_int(s, "attempts.errors"));
		md_cellf(b, "%lld / %lld", jpath_int(s, "tokens.in"), jpath_int(s, "tokens.out"));
		usd_path(c2, sizeof(c2), s, "cost_micro");
		md_cell(b, c2);
		usd_path(c3, sizeof(c3), s, "cost_per_correct_micro");
		md_cell(b, c3);
		int_or_dash(c4, sizeof(c4), s, "latency_ms.p50");
		int_or_dash(c5, sizeof(c5), s, "latency_ms.p90");
		snprintf(c6, sizeof(c6), "%s / %s", c4, c5);
		md_cell(b, c6);
		um_buf_puts(b, "\n");
	}
	um_buf_puts(b, "\n");
}

/* Beside the accuracy table (report.md and the terminal summary): each
 * orchestrator whose sub-calls failed (a non-2xx answer at the recording
 * proxy), since its accuracy then rests on answers given without them; each
 * line ends with end. Nothing when none failed. */
static void failed_subcalls_notes(um_buf *b, const json_t *report, const char *end)
{
	const json_t *s;
	size_t i;

	json_array_foreach(jpath_get(report, "routing_log.systems"), i, s) {
		long long failed = jpath_int(s, "observed_failed_calls");
		if (failed <= 0)
			continue;
		um_buf_printf(b, "Note: %s is an orchestrator and %lld of its %lld sub-calls failed "
				 "(non-2xx at the recording proxy; see the routing log): its "
				 "accuracy includes answers given without them.%s",
			      jpath_str(s, "system"), failed, jpath_int(s, "observed_calls"), end);
	}
}

/* The keys report.c sets only when there is something to say. */
int report_has_provider_extras(const json_t *report)
{
	const json_t *s;
	size_t i;

	json_array_foreach(json_object_get(report, "systems"), i, s)
		if (jpath_get(s, "ttft_ms") || jpath_get(s, "tokens.reasoning") ||
		    jpath_get(s, "tokens.cache_write"))
			return 1;
	return 0;
}

/* Streams, reasoning and prompt caches, one row per system. */
static void md_provider_extras(um_buf *b, const json_t *report)
{
	const json_t *systems = json_object_get(report, "systems"), *s;
	size_t i;
	char p50[32], p90[32];

	if (!report_has_provider_extras(report))
		return;
	um_buf_puts(b, "### Streams, reasoning and prompt caches\n\n"
		       "Time to first token over the streamed calls that succeeded (from the "
		       "start of the try to the first text, thinking or tool call); reasoning "
		       "tokens are part of tokens out, cache reads and writes part of tokens "
		       "in, as each provider reports them (- where it reports none).\n\n"
		       "| System | Streamed calls | First token p50 / p90 (ms) | Reasoning tokens "
		       "| Cache reads | Cache writes |\n"
		       "|---|---:|---:|---:|---:|---:|\n");
	json_array_foreach(systems, i, s) {
		um_buf_puts(b, "|");
		md_cell(b, jpath_str(s, "name"));
		int_or_dash(p50, sizeof(p50), s, "ttft_ms.calls");
		md_cell(b, p50);
		if (jpath_get(s, "ttft_ms")) {
			int_or_dash(p50, sizeof(p50), s, "ttft_ms.p50");
			int_or_dash(p90, sizeof(p90), s, "ttft_ms.p90");
			md_cellf(b, "%s / %s", p50, p90);
		} else {
			md_cell(b, "-");
		}
		int_or_dash(p50, sizeof(p50), s, "tokens.reasoning");
		md_cell(b, p50);
		md_cellf(b, "%lld", jpath_int(s, "tokens.cached"));
		int_or_dash(p50, sizeof(p50), s, "tokens.cache_write");
		md_cell(b, p50);
		um_buf_puts(b, "\n");
	}
	um_buf_puts(b, "\n");
}

static void md_categories(um_buf *b, const json_t *systems, int lv)
{
	size_t i, j;
	const json_t *s, *cats;
	char c1[96], c2[32], c3[32];

	um_buf_printf(b, "## Accuracy by category\n\n"
			 "| Category | System | n | Correct | Accuracy (%d%% CI) | "
			 "Errors | Cost (USD) | p50 (ms) |\n"
			 "|---|---|---:|---:|---:|---:|---:|---:|\n",
		      lv);
	/* Rows grouped by category: every system lists the same categories in
	 * the same order. */
	cats = json_object_get(json_array_get(systems, 0), "categories");
	for (j = 0; j < json_array_size(cats); j++) {
		json_array_foreach(systems, i, s) {
			const json_t *cc = json_array_get(json_object_get(s, "categories"), j);

			um_buf_puts(b, "|");
			md_cell(b, jpath_str(cc, "name"));
			md_cell(b, jpath_str(s, "name"));
			md_cellf(b, "%lld", jpath_int(cc, "n"));
			md_cellf(b, "%lld", jpath_int(cc, "correct"));
			pct_ci(c1, sizeof(c1), cc, "accuracy.value", "accuracy.ci_lo",
			       "accuracy.ci_hi", 100.0);
			md_cell(b, c1);
			md_cellf(b, "%lld", jpath_int(cc, "errors"));
			usd_path(c2, sizeof(c2), cc, "cost_micro");
			md_cell(b, c2);
			int_or_dash(c3, sizeof(c3), cc, "latency_p50_ms");
			md_cell(b, c3);
			um_buf_puts(b, "\n");
		}
	}
	um_buf_puts(b, "\n");
}

static void md_paired_intro(um_buf *b, const json_t *paired)
{
	const char *mode = json_string_value(json_object_get(paired, "mode"));

	if (um_streq(mode, "reference_vs_others"))
		um_buf_printf(b, "The reference %s (chosen with --reference) against every other "
				 "system.\n\n",
			      jpath_str(paired, "reference"));
	else if (um_streq(mode, "all_pairs"))
		um_buf_puts(b, "No orchestrator and no reference in this run: every pair of "
			       "systems.\n\n");
	else
		um_buf_puts(b, "Each orchestrator against each baseline.\n\n");
}

static void md_paired(um_buf *b, const json_t *paired, int lv)
{
	const json_t *cmp = json_object_get(paired, "comparisons"), *p;
	size_t i;
	char c1[32], c2[32], c3[96], c4[32], c5[32], c6[32];

	um_buf_puts(b, "## Paired comparisons\n\n");
	md_paired_intro(b, paired);
	if (json_array_size(cmp) == 0) {
		um_buf_puts(b, "No comparisons.\n\n");
		return;
	}
	um_buf_printf(b,
		      "Over (item, sample) pairs graded for both systems. The difference is "
		      "A minus B in percentage points, with a %d%% t interval over per-item "
		      "means; MDE is the smallest difference this run detects with 80%% "
		      "power; b = only A correct, c = only B correct; p is the sign-flip "
		      "permutation test over items, Holm p adjusts it over this table.\n\n",
		      lv);
	um_buf_puts(b, "| A | B | Pairs | Accuracy A | Accuracy B | Difference (pp) | MDE (pp) | b "
		       "| c | p | Holm p |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	json_array_foreach(cmp, i, p) {
		double v, lo, hi;

		um_buf_puts(b, "|");
		md_cell(b, jpath_str(p, "system_a"));
		md_cell(b, jpath_str(p, "system_b"));
		md_cellf(b, "%lld", jpath_int(p, "n_pairs"));
		pct_ci(c1, sizeof(c1), p, "accuracy_a", "", "", 100.0);
		md_cell(b, c1);
		pct_ci(c2, sizeof(c2), p, "accuracy_b", "", "", 100.0);
		md_cell(b, c2);
		if (jpath_num(p, "difference.value", &v) && jpath_num(p, "difference.ci_lo", &lo) &&
		    jpath_num(p, "difference.ci_hi", &hi))
			snprintf(c3, sizeof(c3), "%+.1f [%+.1f, %+.1f]", 100.0 * v, 100.0 * lo,
				 100.0 * hi);
		else
			snprintf(c3, sizeof(c3), "-");
		md_cell(b, c3);
		if (jpath_num(p, "mde", &v))
			snprintf(c6, sizeof(c6), "%.1f", 100.0 * v);
		else
			snprintf(c6, sizeof(c6), "-");
		md_cell(b, c6);
		md_cellf(b, "%lld", jpath_int(p, "only_a_correct"));
		md_cellf(b, "%lld", jpath_int(p, "only_b_correct"));
		pvalue(c4, sizeof(c4), p, "test.p");
		md_cell(b, c4);
		pvalue(c5, sizeof(c5), p, "test.p_holm");
		md_cell(b, c5);
		um_buf_puts(b, "\n");
	}
	um_buf_puts(b, "\n");
}

/* pass@k and pass^k of the systems of a run with repeats. */
static void md_pass_k(um_buf *b, const json_t *systems, int lv)
{
	const json_t *s, *e;
	size_t i, k;
	char c1[96], c2[96];

	json_array_foreach(systems, i, s)
		if (json_array_size(json_object_get(s, "pass_at_k")))
			break;
	if (i == json_array_size(systems))
		return;
	um_buf_printf(b, "## pass@k\n\n"
			 "Per item from its graded samples (unbiased estimators): pass@k, that at "
			 "least one of k samples is right, and pass^k, that all k are, averaged "
			 "over items, with %d%% intervals over items.\n\n"
			 "| System | k | Items | pass@k | pass^k |\n|---|---:|---:|---:|---:|\n",
		      lv);
	json_array_foreach(systems, i, s)
		json_array_foreach(json_object_get(s, "pass_at_k"), k, e) {
			um_buf_puts(b, "|");
			md_cell(b, jpath_str(s, "name"));
			md_cellf(b, "%lld", jpath_int(e, "k"));
			md_cellf(b, "%lld", jpath_int(e, "items"));
			pct_ci(c1, sizeof(c1), e, "pass_at_k.value", "pass_at_k.ci_lo",
			       "pass_at_k.ci_hi", 100.0);
			md_cell(b, c1);
			pct_ci(c2, sizeof(c2), e, "pass_hat_k.value", "pass_hat_k.ci_lo",
			       "pass_hat_k.ci_hi", 100.0);
			md_cell(b, c2);
			um_buf_puts(b, "\n");
		}
	um_buf_puts(b, "\n");
}

static void md_claims(um_buf *b, const json_t *claims, int lv)
{
	const json_t *c;
	size_t i;
	char c1[96], c2[32];
	double v;

	um_buf_puts(b, "## Claims\n\n");
	if (json_array_size(claims) == 0) {
		um_buf_puts(b, "No published claims recorded for this suite.\n\n");
		return;
	}
	um_buf_printf(b,
		      "The measured value carries the accuracy's %d%% interval; p is the test "
		      "that interval inverts (the claim lies outside it exactly when p < "
		      "%.2g), and a claim is \"reproduced\" unless its Holm p, adjusted over "
		      "this table, is below that.\n\n",
		      lv, 1.0 - lv / 100.0);
	um_buf_puts(b, "| System | Benchmark | Claimed | Measured | Verdict | p | Holm p | Source "
		       "|\n|---|---|---:|---:|---|---:|---:|---|\n");
	json_array_foreach(claims, i, c) {
		um_buf_puts(b, "|");
		md_cell(b, jpath_str(c, "system"));
		md_cell(b, jpath_str(c, "benchmark"));
		if (jpath_num(c, "claimed_percent", &v))
			md_cellf(b, "%.1f%%", v);
		else
			md_cell(b, "-");
		pct_ci(c1, sizeof(c1), c, "measured.percent", "measured.ci_lo", "measured.ci_hi",
		       1.0);
		md_cell(b, json_is_object(json_object_get(c, "measured")) ? c1 : "not measured");
		md_cell(b, jpath_str(c, "verdict"));
		pvalue(c2, sizeof(c2), c, "p_value");
		md_cell(b, c2);
		pvalue(c2, sizeof(c2), c, "p_holm");
		md_cell(b, c2);
		md_cell(b, jpath_str(c, "source"));
		um_buf_puts(b, "\n");
	}
	um_buf_puts(b, "\n");
}

static void md_errors(um_buf *b, const json_t *errs)
{
	const json_t *groups = json_object_get(errs, "groups"), *g;
	size_t i;

	um_buf_puts(b, "## Infrastructure errors\n\n");
	if (json_array_size(groups) == 0) {
		um_buf_puts(b, "None.\n");
		return;
	}
	um_buf_printf(b,
		      "Attempts that ended in an infrastructure error after bounded "
		      "retries: %lld. They are not scored as wrong answers; they count as "
		      "unresolved in the whole-suite accuracy, and resuming the run retries "
		      "them.\n\n",
		      jpath_int(errs, "total"));
	um_buf_puts(b, "| System | Class | Count | First item | First message |\n"
		       "|---|---|---:|---|---|\n");
	json_array_foreach(groups, i, g) {
		um_buf_puts(b, "|");
		md_cell(b, jpath_str(g, "system"));
		md_cell(b, jpath_str(g, "error_class"));
		md_cellf(b, "%lld", jpath_int(g, "count"));
		md_cellf(b, "%s #%lld", jpath_str(g, "first_item_id"),
			 jpath_int(g, "first_sample"));
		md_cell(b, jpath_str(g, "first_message"));
		um_buf_puts(b, "\n");
	}
}

static int level_percent(const json_t *report)
{
	double lv;

	if (!jpath_num(report, "level", &lv))
		lv = REPORT_DEFAULT_LEVEL;
	return (int)lround(lv * 100.0);
}


static void md_parity(um_buf *b, const json_t *par, const json_t *systems)
{
	const json_t *d, *s;
	size_t i, k;

	um_buf_puts(b, "## Identical conditions\n\n");
	if (!par) {
		um_buf_puts(b, "No parity data.\n\n");
		return;
	}
	if (json_is_true(json_object_get(par, "identical")))
		um_buf_printf(b, "Every system received the same request for every item and sample, "
				 "apart from the model field (%lld item-sample groups checked from "
				 "the stored request hashes).\n\n",
			      jpath_int(par, "groups_checked"));
	else
		um_buf_printf(b, "**%lld deviation(s)** from identical requests over %lld "
				 "item-sample groups:\n\n",
			      jpath_int(par, "deviations"), jpath_int(par, "groups_checked"));
	json_array_foreach(json_object_get(par, "deviation_list"), i, d) {
		um_buf_printf(b, "- item %s, sample %lld (%s):", jpath_str(d, "item_id"),
			      jpath_int(d, "sample"), jpath_str(d, "kind"));
		json_array_foreach(json_object_get(d, "systems"), k, s)
			um_buf_printf(b, " %s `%.12s`%s", jpath_str(s, "system"),
				      jpath_str(s, "hash"),
				      json_is_true(json_object_get(s, "deviates")) ? " (differs)" : "");
		um_buf_puts(b, "\n");
	}
	if (jpath_int(par, "attempts_without_hash"))
		um_buf_printf(b, "\n%lld attempts carry no request hash and could not be checked.\n",
			      jpath_int(par, "attempts_without_hash"));
	json_array_foreach(systems, i, s) {
		if (json_is_true(json_object_get(s, "possible_model_swap"))) {
			const json_t *m;
			um_buf_printf(b, "\n**Possible silent model swap:** %s was answered by",
				      jpath_str(s, "name"));
			json_array_foreach(json_object_get(s, "served_models"), k, m)
				um_buf_printf(b, "%s %s (%lld attempts)", k ? "," : "",
					      jpath_str(m, "model"), jpath_int(m, "attempts"));
			um_buf_puts(b, ".\n");
		}
		if (json_is_string(json_object_get(s, "dropped_params")))
			um_buf_printf(b, "\n%s's provider cannot carry these scaffold parameters, "
					 "which were not sent: %s.\n",
				      jpath_str(s, "name"), jpath_str(s, "dropped_params"));
	}
	um_buf_puts(b, "\n");
}

static void md_gaps(um_buf *b, const json_t *gaps, int lv)
{
	const json_t *g;
	size_t i;

	if (!json_array_size(gaps))
		return;
	um_buf_printf(b, "### Claimed gaps\n\nA vendor's claimed lead of an orchestrator over a "
			 "baseline, against the paired difference measured on the same items "
			 "(%d%% t interval, percentage points; p is the t-test that the gap is "
			 "the claimed one, Holm p adjusts it over this table and gives the "
			 "verdict).\n\n"
			 "| Benchmark | Orchestrator | Baseline | Claimed gap | Measured gap | Verdict | "
			 "p | Holm p |\n|---|---|---|---:|---:|---|---:|---:|\n",
		      lv);
	json_array_foreach(gaps, i, g) {
		double v = 0;
		um_buf_puts(b, "|");
		md_cell(b, jpath_str(g, "benchmark"));
		md_cell(b, jpath_str(g, "orchestrator"));
		md_cell(b, jpath_str(g, "baseline"));
		jpath_num(g, "claimed_gap_pp", &v);
		md_cellf(b, "%+.1f", v);
		if (json_is_object(json_object_get(g, "measured"))) {
			double e = 0, lo = 0, hi = 0, p = 1, ph = 1;
			jpath_num(g, "measured.gap_pp", &e);
			jpath_num(g, "measured.ci_lo", &lo);
			jpath_num(g, "measured.ci_hi", &hi);
			jpath_num(g, "p_value", &p);
			jpath_num(g, "p_holm", &ph);
			md_cellf(b, "%+.1f [%+.1f, %+.1f]", e, lo, hi);
			md_cell(b, jpath_str(g, "verdict"));
			md_cellf(b, p < 0.0001 ? "<0.0001" : "%.3g", p);
			md_cellf(b, ph < 0.0001 ? "<0.0001" : "%.3g", ph);
		} else {
			md_cell(b, "not measured");
			md_cell(b, jpath_str(g, "verdict"));
			md_cell(b, "");
			md_cell(b, "");
		}
		um_buf_puts(b, "\n");
	}
	um_buf_puts(b, "\n");
}

/* Code suites: how the attempts ended (docs/code.md). */
static void md_code(um_buf *b, const json_t *systems)
{
	static const char *const cols[] = {"passed", "no_program", "wrong_answer",
					   "runtime_error", "time_limit", "memory_limit", NULL};
	const json_t *s, *c, *ends;
	size_t i;
	int any = 0, k;

	json_array_foreach(systems, i, s)
		any |= json_is_object(json_object_get(s, "code"));
	if (!any)
		return;
	um_buf_puts(b, "## Code tests\n\nEach attempt ends with its first failing test (the "
		       "tests after it are not run) or passes them all; no program: the answer held "
		       "no fenced block. Other: output limit or compile error.\n\n| System | "
		       "Attempts | Passed | No program | Wrong answer | Runtime error | Time limit | "
		       "Memory limit | Other | Tests passed / run |\n"
		       "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	json_array_foreach(systems, i, s) {
		long long other, n;

		c = json_object_get(s, "code");
		if (!json_is_object(c))
			continue;
		ends = json_object_get(c, "ended_by");
		n = jpath_int(c, "attempts");
		other = n;
		um_buf_puts(b, "|");
		md_cell(b, jpath_str(s, "name"));
		md_cellf(b, "%lld", n);
		for (k = 0; cols[k]; k++) {
			long long v = (long long)json_integer_value(json_object_get(ends, cols[k]));
			md_cellf(b, "%lld", v);
			other -= v;
		}
		md_cellf(b, "%lld", other);
		md_cellf(b, "%lld / %lld", jpath_int(c, "tests_passed"), jpath_int(c, "tests_run"));
		um_buf_puts(b, "\n");
	}
	um_buf_puts(b, "\n");
	json_array_foreach(systems, i, s) {
		const json_t *bp = json_object_get(json_object_get(s, "code"), "broken_problems");

		if (!json_is_array(bp))
			continue;
		if (!json_array_size(bp)) {
			um_buf_puts(b, "Oracle: every problem's reference program passes its tests.\n\n");
			continue;
		}
		um_buf_printf(b, "Oracle: %zu problem%s whose reference program fails its own tests "
				 "(or that has none) %s broken:", json_array_size(bp),
			      json_array_size(bp) == 1 ? "" : "s",
			      json_array_size(bp) == 1 ? "is" : "are");
		um_buf_putc(b, ' ');
		jpath_append_strings(b, bp, ", ");
		um_buf_puts(b, ".\n\n");
	}
}

static void md_agents(um_buf *b, const json_t *systems)
{
	const json_t *s, *ag, *bt;
	size_t i;
	int any = 0;

	json_array_foreach(systems, i, s)
		any |= json_is_object(json_object_get(s, "agent"));
	if (!any)
		return;
	um_buf_puts(b, "## Agent behaviour\n\nEvery system ran the same agent loop, tools, limits "
		       "and sandbox. Stop reasons: submitted (the agent called submit), no_tool_call "
		       "(it answered without a tool call), turn/token/cost/time limits, oracle "
		       "(reference solution).\n\n| System | Attempts | Turns (mean) | Tool calls | "
		       "Malformed calls | Stop reasons |\n|---|---:|---:|---:|---:|---|\n");
	json_array_foreach(systems, i, s) {
		const char *key;
		json_t *v;
		um_buf st = UM_BUF_INIT;
		double mean = 0;

		ag = json_object_get(s, "agent");
		if (!json_is_object(ag))
			continue;
		jpath_num(ag, "turns_mean", &mean);
		um_buf_init(&st, 0);
		um_buf_puts(b, "|");
		json_object_foreach((json_t *)json_object_get(ag, "stop_reasons"), key, v)
			um_buf_printf(&st, "%s%s %lld", st.len ? ", " : "", key,
				      (long long)json_integer_value(v));
		md_cell(b, jpath_str(s, "name"));
		md_cellf(b, "%lld", jpath_int(ag, "attempts"));
		md_cellf(b, "%.1f", mean);
		md_cellf(b, "%lld", jpath_int(ag, "tool_calls"));
		md_cellf(b, "%lld", jpath_int(ag, "malformed_tool_calls"));
		md_cell(b, um_buf_str(&st));
		um_buf_puts(b, "\n");
		um_buf_release(&st);
	}
	um_buf_puts(b, "\n");
	json_array_foreach(systems, i, s) {
		const json_t *rw = json_object_get(json_object_get(s, "agent"), "rewards");
		double mean = 0, share = 0;
		if (!json_is_object(rw))
			continue;
		jpath_num(rw, "mean_reward", &mean);
		jpath_num(rw, "full_reward_share", &share);
		um_buf_printf(b, "Rewards of %s (reward files, %lld attempts): mean reward %.3f; "
				 "full reward (1) in %.1f%% of them.\n\n",
			      jpath_str(s, "name"), jpath_int(rw, "attempts"), mean, 100.0 * share);
	}
	json_array_foreach(systems, i, s) {
		const json_t *rp = json_object_get(json_object_get(s, "agent"), "replay");
		if (json_is_object(rp))
			um_buf_printf(b, "Replay of %s: the stored commands run again gave the same "
					 "verdict in %lld of %lld attempts.\n\n",
				      jpath_str(s, "name"), jpath_int(rp, "same_verdict"), jpath_int(rp, "attempts"));
	}
	json_array_foreach(systems, i, s) {
		bt = json_object_get(json_object_get(s, "agent"), "broken_tasks");
		if (!json_is_array(bt))
			continue;
		if (!json_array_size(bt)) {
			um_buf_puts(b, "Oracle: every task's reference solution passes its tests.\n\n");
			continue;
		}
		um_buf_printf(b, "**Broken tasks** (the reference solution fails its own tests): ");
		jpath_append_strings(b, bt, ", ");
		um_buf_puts(b, "\n\n");
	}
}

static void md_routing_log(um_buf *b, const json_t *rl)
{
	const json_t *s, *cat;
	const char *cname, *mname;
	json_t *cnt;
	size_t i;
	char c1[32], c2[32], c3[32], c4[32];

	if (!json_is_object(rl))
		return;
	um_buf_puts(b, "## Routing log\n\nWhat each orchestrator did downstream, from the calls "
		       "its sub-models received through umpire's recording proxy. The headline cost "
		       "is the orchestrator's own bill; the true cost adds what its sub-calls cost at "
		       "the sub-models' prices.\n\n"
		       "| Orchestrator | Sub-calls per item | Observed / reported calls | Headline cost "
		       "/ item | True cost / item | Headline / correct | True / correct |\n"
		       "|---|---:|---:|---:|---:|---:|---:|\n");
	json_array_foreach(json_object_get(rl, "systems"), i, s) {
		double per = 0;
		jpath_num(s, "calls_per_item", &per);
		usd_path(c1, sizeof(c1), s, "headline_cost_per_item_micro");
		usd_path(c2, sizeof(c2), s, "true_cost_per_item_micro");
		usd_path(c3, sizeof(c3), s, "headline_cost_per_correct_micro");
		usd_path(c4, sizeof(c4), s, "true_cost_per_correct_micro");
		um_buf_puts(b, "|");
		md_cell(b, jpath_str(s, "system"));
		md_cellf(b, "%.2f", per);
		md_cellf(b, "%lld / %lld", jpath_int(s, "observed_calls"),
			 jpath_int(s, "reported_calls"));
		md_cell(b, c1);
		md_cell(b, c2);
		md_cell(b, c3);
		md_cell(b, c4);
		um_buf_puts(b, "\n");
	}
	json_array_foreach(json_object_get(rl, "systems"), i, s) {
		um_buf_printf(b, "\n%s: %lld of %lld attempts had observed sub-calls; %lld attempts "
				 "reported a different number of sub-calls than the proxy saw; "
				 "%lld observed sub-calls failed. Attribution:",
			      jpath_str(s, "system"), jpath_int(s, "attempts_with_observed_calls"),
			      jpath_int(s, "attempts"),
			      jpath_int(s, "attempts_reported_differently"),
			      jpath_int(s, "observed_failed_calls"));
		json_object_foreach((json_t *)json_object_get(s, "attribution"), cname, cnt)
			um_buf_printf(b, " %s %lld", cname, (long long)json_integer_value(cnt));
		um_buf_puts(b, ".\n\nSub-models by category (calls):\n\n");
		json_object_foreach((json_t *)json_object_get(s, "sub_models_by_category"), cname,
				    cnt) {
			int first = 1;
			cat = cnt;
			um_buf_printf(b, "- %s:", cname);
			json_object_foreach((json_t *)cat, mname, cnt) {
				um_buf_printf(b, "%s %s %lld", first ? "" : ",", mname,
					      (long long)json_integer_value(cnt));
				first = 0;
			}
			um_buf_puts(b, "\n");
		}
	}
	if (jpath_int(rl, "unattributed_events"))
		um_buf_printf(b, "\n%lld sub-calls could not be attributed to an attempt.\n",
			      jpath_int(rl, "unattributed_events"));
	um_buf_puts(b, "\n");
}

/* One system's row of the repository-repair table (s has agent.swe). */
static void md_swe_row(um_buf *b, const json_t *s, const json_t *w)
{
	const char *key;
	json_t *v;
	um_buf st = UM_BUF_INIT;
	double sub = 0, whole = 0, off = 0;

	um_buf_init(&st, 0);
	json_object_foreach((json_t *)json_object_get(w, "patch_strategies"), key, v)
		um_buf_printf(&st, "%s%s %lld", st.len ? ", " : "", key,
			      (long long)json_integer_value(v));
	jpath_num(s, "accuracy_whole_suite", &whole);
	um_buf_puts(b, "|");
	md_cell(b, jpath_str(s, "name"));
	md_cellf(b, "%lld", jpath_int(w, "resolved"));
	md_cellf(b, "%.1f%% (/ %lld)", 100.0 * whole, jpath_int(w, "tasks"));
	if (jpath_num(w, "resolved_over_submitted", &sub))
		md_cellf(b, "%.1f%% (/ %lld)", 100.0 * sub, jpath_int(w, "patches_submitted"));
	else
		md_cell(b, "-");
	if (jpath_num(w, "resolved_official", &off))
		md_cellf(b, "%.1f%% (/ %lld)", 100.0 * off, jpath_int(w, "predictions"));
	else
		md_cell(b, "-");
	md_cellf(b, "%lld / %lld", jpath_int(w, "patches_submitted"),
		 jpath_int(w, "tasks"));
	md_cellf(b, "%lld", jpath_int(w, "patches_not_applied"));
	md_cell(b, um_buf_str(&st));
	md_cellf(b, "%lld", jpath_int(w, "tests_timed_out"));
	um_buf_puts(b, "\n");
	um_buf_release(&st);
}

/* A system's agreement with the vendor's own results, when it re-graded predictions. */
static void md_swe_vendor(um_buf *b, const json_t *s)
{
	const json_t *v = json_object_get(
		json_object_get(json_object_get(s, "agent"), "swe"), "vendor_agreement");
	const json_t *x;
	size_t k;

	if (!json_is_object(v))
		return;
	um_buf_printf(b, "\n%s against the vendor's own results (eval_results.json): %lld of "
		      "%lld agree; vendor-only pass:", jpath_str(s, "name"),
		      jpath_int(v, "agree"), jpath_int(v, "compared"));
	json_array_foreach(json_object_get(v, "vendor_only_pass"), k, x)
		um_buf_printf(b, "%s %s", k ? "," : "", json_string_value(x));
	if (!json_array_size(json_object_get(v, "vendor_only_pass")))
		um_buf_puts(b, " none");
	um_buf_puts(b, "; umpire-only pass:");
	json_array_foreach(json_object_get(v, "umpire_only_pass"), k, x)
		um_buf_printf(b, "%s %s", k ? "," : "", json_string_value(x));
	if (!json_array_size(json_object_get(v, "umpire_only_pass")))
		um_buf_puts(b, " none");
	um_buf_puts(b, ".\n");
}

/* The grading profile's line, from the first system that has swe rules; 0 when none has. */
static int md_swe_rules(um_buf *b, const json_t *s)
{
	const json_t *ru = json_object_get(
		json_object_get(json_object_get(s, "agent"), "swe"), "rules");
	const json_t *x;
	size_t k;
	int fuzz = 0;

	if (!json_is_object(ru))
		return 0;
	if (um_streq(jpath_str(ru, "grading"), "official")) {
		um_buf_puts(b, "\nGraded by profile official (SWE-Bench Pro's steps: the "
			       "instance's run_script.sh and parser.py, one `git apply -v`, "
			       "binary hunks stripped); test names matched exactly, byte for "
			       "byte.\n");
		return 1;
	}
	um_buf_puts(b, "\nGraded by profile neutral (umpire's rules, stated by the suite): "
		       "patch strategies tried in order:");
	json_array_foreach(json_object_get(ru, "patch_strategies"), k, x) {
		um_buf_printf(b, "%s %s", k ? "," : "", json_string_value(x));
		fuzz |= um_streq(json_string_value(x), "patch_fuzz");
	}
	if (fuzz) /* the fuzz factor only matters when patch --fuzz is tried */
		um_buf_printf(b, " (fuzz %lld)", jpath_int(ru, "fuzz"));
	um_buf_printf(b, "; test names matched %s.\n",
		      um_streq(jpath_str(ru, "test_name_match"), "whitespace")
			      ? "after trimming and collapsing whitespace"
			      : "exactly, byte for byte");
	return 1;
}

static void md_swe(um_buf *b, const json_t *systems)
{
	const json_t *s, *w;
	size_t i;
	int any = 0;

	json_array_foreach(systems, i, s)
		any |= json_is_object(json_object_get(json_object_get(s, "agent"), "swe"));
	if (!any)
		return;
	um_buf_puts(b, "## Repository repair\n\nThree denominators, each labelled. *Whole suite*: "
		       "resolved over every task of the suite (not attempted, no prediction, patch "
		       "did not apply, or tests timed out all count as unresolved). *Submitted*: "
		       "over non-empty patches only, as some published numbers are computed. "
		       "*Official formula*: as SWE-Bench Pro's evaluation computes it, over every "
		       "entry of the predictions file, empty patches included (in an agentic run, "
		       "every attempted task).\n\n| System | Resolved | Whole suite | Submitted | "
		       "Official formula | Submitted / tasks | Not applied | Applied by | "
		       "Tests timed out |\n"
		       "|---|---:|---:|---:|---:|---:|---:|---|---:|\n");
	json_array_foreach(systems, i, s) {
		w = json_object_get(json_object_get(s, "agent"), "swe");
		if (json_is_object(w))
			md_swe_row(b, s, w);
	}
	json_array_foreach(systems, i, s)
		md_swe_vendor(b, s);
	json_array_foreach(systems, i, s)
		if (md_swe_rules(b, s))
			break;
	um_buf_puts(b, "\n");
}

/* Code suites: the window of problem dates the run covered. */
static void md_window(um_buf *b, const json_t *x)
{
	const char *from = json_string_value(json_object_get(x, "from"));
	const char *to = json_string_value(json_object_get(x, "to"));

	um_buf_puts(b, "- **Window**: ");
	if (from && to)
		um_buf_printf(b, "problems dated %s to %s", from, to);
	else if (from)
		um_buf_printf(b, "problems dated from %s", from);
	else if (to)
		um_buf_printf(b, "problems dated up to %s", to);
	else
		um_buf_puts(b, "problems of every date (no window)");
	um_buf_printf(b, ": %lld of the dataset's %lld\n", jpath_int(x, "items"),
		      jpath_int(x, "of"));
}

/* How the run was made (run.notes) and what came from the cache. */
static void md_run_notes(um_buf *b, const json_t *rep)
{
	const json_t *notes = jpath_get(rep, "run.notes"), *x, *cached;
	size_t i, n0 = b->len;

	if (json_is_object(notes)) {
		if ((x = json_object_get(notes, "window")))
			md_window(b, x);
		if ((x = json_object_get(notes, "limit")))
			um_buf_printf(b, "- **Subset**: %lld of %lld items (--limit, seed %lld, "
					 "stratified by %s); not a whole-suite result\n",
				      jpath_int(x, "n"), jpath_int(x, "of"), jpath_int(x, "seed"),
				      jpath_str(x, "stratified_by"));
		if ((x = json_object_get(notes, "shard"))) {
			um_buf_printf(b, "- **Partial**: shard(s) ");
			for (i = 0; i < json_array_size(json_object_get(x, "indices")); i++)
				um_buf_printf(b, "%s%lld", i ? ", " : "",
					      (long long)json_integer_value(json_array_get(
						      json_object_get(x, "indices"), i)));
			um_buf_printf(b, " of %lld (--shard); merge the others with `umpire merge`\n",
				      jpath_int(x, "count"));
		}
		if ((x = json_object_get(notes, "stopped")))
			um_buf_printf(b, "- **Partial**: stopped at the budget (--max-cost $%.4f, "
					 "spent $%.4f); %lld attempts not started\n",
				      (double)jpath_int(x, "max_cost_micro") / 1e6,
				      (double)jpath_int(x, "spent_micro") / 1e6,
				      jpath_int(x, "not_started"));
		json_array_foreach(json_object_get(notes, "breaker"), i, x)
			um_buf_printf(b, "- **Partial**: system %s stopped by the circuit breaker "
					 "after %lld authentication errors in a row (HTTP %lld); %lld "
					 "attempts not started\n",
				      jpath_str(x, "system"), jpath_int(x, "after"),
				      jpath_int(x, "http_status"), jpath_int(x, "not_started"));
	}
	cached = json_object_get(rep, "cached_attempts");
	if (json_array_size(cached)) {
		um_buf_printf(b, "- **Cache**: %zu attempts answered from the response cache "
				 "(no call made; their latency is left out):",
			      json_array_size(cached));
		json_array_foreach(cached, i, x)
			um_buf_printf(b, "%s %s/%s#%lld", i ? "," : "", jpath_str(x, "system"),
				      jpath_str(x, "item_id"), jpath_int(x, "sample"));
		um_buf_puts(b, "\n");
	}
	if (b->len > n0)
		um_buf_puts(b, "\n");
}

char *report_markdown(const json_t *report)
{
	um_buf b = UM_BUF_INIT;
	int lv = level_percent(report);
	const json_t *systems = json_object_get(report, "systems");

	md_header(&b, report, lv);
	md_run_notes(&b, report);
	md_systems(&b, systems, lv, um_streq(jpath_str(report, "scoring"), "partial"));
	failed_subcalls_notes(&b, report, "\n\n");
	md_provider_extras(&b, report);
	md_categories(&b, systems, lv);
	md_pass_k(&b, systems, lv);
	md_agents(&b, systems);
	md_code(&b, systems);
	judged_report_markdown(&b, systems);
	scicode_report_markdown(&b, systems);
	md_swe(&b, systems);
	md_parity(&b, json_object_get(report, "parity"), systems);
	md_paired(&b, json_object_get(report, "paired"), lv);
	md_claims(&b, json_object_get(report, "claims"), lv);
	md_gaps(&b, json_object_get(report, "claimed_gaps"), lv);
	md_routing_log(&b, json_object_get(report, "routing_log"));
	if (json_is_object(json_object_get(report, "routing"))) {
		char *rt = route_eval_markdown(json_object_get(report, "routing"));
		um_buf_puts(&b, rt);
		um_buf_puts(&b, "\n");
		free(rt);
	}
	md_errors(&b, json_object_get(report, "infrastructure_errors"));
	return um_buf_detach(&b);
}

int report_write(const json_t *report, const char *dir, um_error *err)
{
	char *json = NULL, *md = NULL, *path = NULL;
	int rc = -1;

	if (um_mkdir_p(dir, err) < 0)
		return -1;
	json = report_json_text(report);
	path = um_xasprintf("%s/report.json", dir);
	if (um_write_file(path, json, strlen(json), 0644, err) < 0)
		goto out;
	free(path);
	md = report_markdown(report);
	path = um_xasprintf("%s/report.md", dir);
	if (um_write_file(path, md, strlen(md), 0644, err) < 0)
		goto out;
	rc = 0;
out:
	free(path);
	free(json);
	free(md);
	return rc;
}

/* What made the run partial or a subset, for the summary's first line
 * (static text; "" for a plain whole run). */
static const char *summary_notes(const json_t *run)
{
	static char out[96];
	const json_t *n = json_object_get(run, "notes");
	static const char *const keys[][2] = {{"limit", "a --limit subset"},
					       {"shard", "one --shard"},
					       {"stopped", "stopped at --max-cost"},
					       {"breaker", "a system stopped by the breaker"}};
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; json_is_object(n) && i < UM_ARRAY_LEN(keys); i++)
		if (json_object_get(n, keys[i][0]) && used < sizeof(out))
			used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s",
						 used ? ", " : "; ", keys[i][1]);
	return out;
}

char *report_summary_text(const json_t *report)
{
	um_buf b = UM_BUF_INIT;
	const json_t *systems = json_object_get(report, "systems"), *s;
	const json_t *run = json_object_get(report, "run");
	size_t i, w = strlen("system");
	int lv = level_percent(report);
	char hdr[16], cost[32], p50[32];

	json_array_foreach(systems, i, s) {
		size_t l = strlen(jpath_str(s, "name"));
		if (l > w)
			w = l;
	}
	um_buf_printf(&b, "run %s: %s %s, %s%s\n", jpath_str(run, "run_id"),
		      jpath_str(run, "suite.name"), jpath_str(run, "suite.version"),
		      json_is_true(json_object_get(report, "complete")) ? "complete"
									: "incomplete",
		      summary_notes(run));
	/* the same interval and n_eff as report.md's Systems table, from the
	 * same fields, formatted by the same function */
	snprintf(hdr, sizeof(hdr), "%d%% CI", lv);
	um_buf_printf(&b, "%-*s  %-12s  %8s  %-14s  %-14s  %6s  %6s  %10s  %7s\n", (int)w,
		      "system", "role", "accuracy", hdr, "n eff", "n", "errors", "cost USD",
		      "p50 ms");
	json_array_foreach(systems, i, s) {
		report_acc_text at;

		report_accuracy_text(s, &at);
		usd_path(cost, sizeof(cost), s, "cost_micro");
		int_or_dash(p50, sizeof(p50), s, "latency_ms.p50");
		um_buf_printf(&b, "%-*s  %-12s  %8s  %-14s  %-14s  %6lld  %6lld  %10s  %7s\n",
			      (int)w, jpath_str(s, "name"), jpath_str(s, "role"), at.value, at.ci,
			      at.n_eff, jpath_int(s, "attempts.graded"),
			      jpath_int(s, "attempts.errors"), cost, p50);
	}
	failed_subcalls_notes(&b, report, "\n");
	return um_buf_detach(&b);
}
