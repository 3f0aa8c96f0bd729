/*
 * plan.h - the matrix of attempts: items x systems x samples, each with a
 * stable id and its choice permutation.
 *
 * The permutation depends only on (suite seed, item id, sample), never on
 * the system, so every system sees byte-identical prompts for an item and
 * sample. Attempt ids are derived from (suite name, item id, system name,
 * sample), so a resumed run finds its finished attempts again.
 */
#ifndef UMPIRE_PLAN_H
#define UMPIRE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "load/models.h"
#include "load/suite.h"

typedef struct um_planned {
	char id[33];             /* 32 hex chars: sha256 prefix of the key */
	size_t item;             /* index into suite->items, or suite->tasks (terminal) */
	int system;              /* index into models->systems */
	int sample;              /* 0 .. repeats-1 */
	int perm[UM_MAX_CHOICES];/* perm[position] = source choice index */
	int n_choices;
} um_planned;

typedef struct um_plan {
	um_planned *a;
	size_t n;
	int repeats;
} um_plan;

/* systems: indices into models to include (n_systems == 0: all). Order of
 * the plan: sample-major, then item, then system, so an interrupted run has
 * covered whole items for every system. */
int plan_build(const um_suite *suite, const um_models *models, const int *systems,
	       int n_systems, int repeats, um_plan *out, um_error *err);
void plan_release(um_plan *p);

/* A part of the plan (--limit, --shard). limit 0: every unit; else that
 * many units (items or tasks), chosen by seed and stratified by category:
 * each category keeps its share (largest remainders, ties by name), and
 * within a category the units with the smallest hash of (seed, id) are
 * taken. shard_count 0: no sharding; else the kept units in suite order
 * are dealt round-robin and only shard_index's are planned. */
typedef struct um_plan_subset {
	int limit;
	uint64_t seed;
	int shard_index, shard_count;
} um_plan_subset;

/* Drop the planned attempts outside the subset. keep (n_units entries,
 * caller frees) says which units the --limit subset holds: the run records
 * those items (a shard records them all, so merged shards have the whole
 * denominator). *kept: how many units keep holds. */
int plan_subset(um_plan *p, const um_suite *suite, const um_plan_subset *sub,
		unsigned char **keep, size_t *kept, um_error *err);
/* The unit's category (item or task), "" when none. */
const char *plan_unit_category(const um_suite *s, size_t unit);

/* The permutation for (seed, item id, sample); identity when !shuffle. */
void plan_permutation(uint64_t seed, const char *item_id, int sample, int n_choices,
		      int shuffle, int perm[]);
/* Attempt id for the key. */
void plan_attempt_id(const char *suite_name, const char *item_id, const char *system,
		     int sample, char out[33]);
/* "2,0,3,1" text form used in the store; parse back. */
void plan_perm_to_string(const int *perm, int n, char *out, size_t out_size);
int plan_perm_from_string(const char *s, int *perm, int max, int *n);

#endif
