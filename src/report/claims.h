/*
 * claims.h - a vendor's whole benchmark table, checked against the store.
 *
 * A claims table (docs/claims.md) lists benchmarks, each with the suite that
 * measures it and the published numbers per system. claims_evaluate() looks
 * up the newest run of each suite (complete runs first), regenerates its
 * report, and puts the measured accuracy and interval beside every claimed
 * number with a verdict; a benchmark or system umpire has not measured says
 * "not measured".
 */
#ifndef UMPIRE_CLAIMS_H
#define UMPIRE_CLAIMS_H

#include <jansson.h>

#include "base/error.h"
#include "store/store.h"

typedef struct um_claims_entry {
	char *system;        /* as the vendor names it */
	char *measured_as;   /* the system name in umpire's runs (default: system) */
	double value;        /* percent */
	char *note;
	char *denominator;   /* whole_suite (default) | submitted | official: what the
			      * source divided by (repository repair) */
	int conflicting;     /* 1: another transcription's reading of the cell of the
			      * entry before it (from its `conflicting:` list) */
} um_claims_entry;

typedef struct um_claims_bench {
	char *name;          /* as the vendor names it */
	char *suite;         /* suite name in the store, or NULL: not measured by umpire */
	um_claims_entry *entries;
	int n_entries;
} um_claims_bench;

typedef struct um_claims_table {
	char *path, *title, *source;
	um_claims_bench *benches;
	int n_benches;
} um_claims_table;

int claims_load(const char *path, um_claims_table **out, um_error *err);
void claims_free(um_claims_table *t);
/* New reference: {"title","source","benchmarks":[{"name","suite","run_id",
 * "rows":[{system, measured_as, claimed_percent, reading, measured{percent,ci_lo,
 * ci_hi,n}, verdict}]}]}. reading is "published", or "conflicting" for a row
 * of a claim's `conflicting:` list (each such reading is tested like a claim
 * and counted in the Holm family). */
json_t *claims_evaluate(const um_claims_table *t, um_store *st, um_error *err);
char *claims_markdown(const json_t *evaluated);

#endif
