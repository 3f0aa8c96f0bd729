/*
 * report.h - a report is a pure function of the store: report.json
 * (canonical: sorted keys, integers for money and time, no wall-clock time
 * unless SOURCE_DATE_EPOCH gives it) and report.md rendered from the same
 * JSON. Format: docs/report.md.
 */
#ifndef UMPIRE_REPORT_H
#define UMPIRE_REPORT_H

#include <jansson.h>

#include "base/error.h"
#include "store/store.h"

/* The interval level when neither the options nor a report name one. */
#define REPORT_DEFAULT_LEVEL 0.95

typedef struct um_report_opts {
	double level;            /* confidence level, default 0.95 */
	const char *reference;   /* system every other is compared with (chosen
				  * before the results), or NULL */
	int methods;             /* statistical methods (0: REPORT_METHODS) */
} um_report_opts;

/* The statistical methods a report is made with (docs/report.md, "Methods
 * versions"): 1, pass@k's interval Wilson-Jeffreys over the items and the
 * zero router's AIQ by the basic bootstrap; 2 (current), Clopper-Pearson and
 * the simultaneous max-t interval. A report of methods >= 2 says so in its
 * "methods" key; one without it was made with 1. */
#define REPORT_METHODS 2
/* The methods a report object was made with (1 when it does not say). */
int report_methods_of(const json_t *report);

/* Build the report object from loaded run data. New reference or NULL. */
json_t *report_build(const um_run_data *d, const um_report_opts *opts, um_error *err);
/* The same object read from the store one attempt at a time: meta is the
 * run without its attempts (store_load_run_meta), read in the same
 * store_read_begin snapshot. Memory grows with systems x items (and 8 bytes
 * per graded attempt), not with the attempts' text. */
json_t *report_build_store(um_store *st, const um_run_data *meta, const um_report_opts *opts,
			   um_error *err);
/* Canonical text of report.json (sorted keys, 2-space indent, trailing
 * newline). Caller frees. */
char *report_json_text(const json_t *report);
/* Markdown rendering of a report object. Caller frees. */
char *report_markdown(const json_t *report);
/* Write report.json and report.md into dir (created). */
int report_write(const json_t *report, const char *dir, um_error *err);
/* Verdict on a claim from its Holm-adjusted p at alpha: "reproduced" when
 * not significant, else "below claim" or "above claim" by where the
 * measured value lies (same scale as claimed). */
const char *report_claim_verdict(double claimed, double measured, double p_adj, double alpha);

/* A system's accuracy as every rendering (terminal, report.md, report.html)
 * prints it, from the systems[] object: "62.0%", the item-clustered
 * interval "[52.1, 71.0]" and the effective sample size "94.3", "-" where
 * the report has none. */
typedef struct report_acc_text {
	char value[16], ci[48], n_eff[24];
} report_acc_text;
void report_accuracy_text(const json_t *sys, report_acc_text *out);

/* 1 when some system of the report has a time to first token, reasoning
 * tokens or cache writes: report.md and report.html then show a table of
 * them. */
int report_has_provider_extras(const json_t *report);

/* A short plain-text summary table for the terminal: the same intervals
 * as report.md's Systems table. Caller frees. */
char *report_summary_text(const json_t *report);

#endif
