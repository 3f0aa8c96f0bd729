/*
 * plan.c - the attempt matrix: items x systems x samples.
 *
 * Order is sample-major, then item, then system: the first pass over the
 * suite finishes every item for every system before any repeat starts, so
 * an interrupted run still compares systems on the same items. Permutations
 * come from (seed, item id, sample) only; they are the same for every system.
 */
#include "load/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

void plan_permutation(uint64_t seed, const char *item_id, int sample, int n_choices, int shuffle,
		      int perm[])
{
	um_rng rng;
	uint64_t h;
	int i;

	for (i = 0; i < n_choices; i++)
		perm[i] = i;
	if (!shuffle || n_choices < 2)
		return;
	h = um_hash64(item_id, strlen(item_id), seed);
	h = um_mix64(h ^ ((uint64_t)(unsigned)sample * 0x9e3779b97f4a7c15ULL));
	um_rng_seed(&rng, h);
	/* Fisher-Yates */
	for (i = n_choices - 1; i > 0; i--) {
		int j = (int)um_rng_below(&rng, (uint64_t)i + 1);
		int t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
}

void plan_attempt_id(const char *suite_name, const char *item_id, const char *system, int sample,
		     char out[33])
{
	char *key = um_xasprintf("%s%c%s%c%s%c%d", suite_name, 0x1f, item_id, 0x1f, system, 0x1f,
				 sample);
	char hex[65];

	um_sha256_hex(key, strlen(key), hex);
	memcpy(out, hex, 32);
	out[32] = '\0';
	free(key);
}

void plan_perm_to_string(const int *perm, int n, char *out, size_t out_size)
{
	size_t used = 0;
	int i;

	if (out_size == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		int w = snprintf(out + used, out_size - used, i ? ",%d" : "%d", perm[i]);
		if (w < 0 || (size_t)w >= out_size - used)
			break;
		used += (size_t)w;
	}
}

int plan_perm_from_string(const char *s, int *perm, int max, int *n)
{
	int count = 0, seen[UM_MAX_CHOICES] = {0}, i;
	const char *p = s;

	if (!s || !*s)
		return -1;
	while (*p) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p || v < 0 || v >= max || v >= UM_MAX_CHOICES || count >= max)
			return -1;
		perm[count++] = (int)v;
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	for (i = 0; i < count; i++) {
		if (perm[i] >= count || seen[perm[i]]++)
			return -1;
	}
	*n = count;
	return 0;
}

/* The units of a suite: its items (mcq) or its tasks (terminal). */
static size_t unit_count(const um_suite *s)
{
	return s->n_tasks ? s->n_tasks : s->n_items;
}

static const char *unit_id(const um_suite *s, size_t i)
{
	return s->n_tasks ? s->tasks[i].id : s->items[i].id;
}

static int unit_choices(const um_suite *s, size_t i)
{
	return s->n_tasks ? 0 : s->items[i].n_choices;
}

int plan_build(const um_suite *suite, const um_models *models, const int *systems, int n_systems,
	       int repeats, um_plan *out, um_error *err)
{
	int all[4096];
	size_t total, k = 0, n_units = unit_count(suite);
	int s, si;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (repeats < 1)
		return um_fail(err, UM_ERR_USAGE, "repeats must be at least 1");
	if (n_systems == 0) {
		if (models->n_systems > (int)UM_ARRAY_LEN(all))
			return um_fail(err, UM_ERR_INVALID, "too many systems (%d)",
				       models->n_systems);
		for (s = 0; s < models->n_systems; s++)
			all[s] = s;
		systems = all;
		n_systems = models->n_systems;
	}
	if (n_systems == 0 || n_units == 0)
		return um_fail(err, UM_ERR_INVALID, "nothing to run: %zu items, %d systems",
			       n_units, n_systems);
	total = n_units * (size_t)n_systems * (size_t)repeats;
	out->a = um_xcalloc(total, sizeof(*out->a));
	out->n = total;
	out->repeats = repeats;
	for (s = 0; s < repeats; s++) {
		for (i = 0; i < n_units; i++) {
			int perm[UM_MAX_CHOICES], nc = unit_choices(suite, i);

			plan_permutation(suite->seed, unit_id(suite, i), s, nc, suite->shuffle, perm);
			for (si = 0; si < n_systems; si++) {
				um_planned *p = &out->a[k++];
				int sys = systems[si];

				if (sys < 0 || sys >= models->n_systems) {
					plan_release(out);
					return um_fail(err, UM_ERR_INTERNAL, "system index %d", sys);
				}
				p->item = i;
				p->system = sys;
				p->sample = s;
				p->n_choices = nc;
				memcpy(p->perm, perm, sizeof(perm));
				plan_attempt_id(suite->name, unit_id(suite, i), models->systems[sys].name,
						s, p->id);
			}
		}
	}
	return 0;
}

void plan_release(um_plan *p)
{
	free(p->a);
	p->a = NULL;
	p->n = 0;
}

const char *plan_unit_category(const um_suite *s, size_t unit)
{
	const char *c = s->n_tasks ? s->tasks[unit].category : s->items[unit].category;

	return c ? c : "";
}

typedef struct plan_rank {
	size_t unit;
	const char *cat;
	uint64_t h;
} plan_rank;

static int plan_cmp_rank(const void *x, const void *y)
{
	const plan_rank *a = x, *b = y;
	int c = strcmp(a->cat, b->cat);

	if (c)
		return c;
	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return a->unit < b->unit ? -1 : a->unit > b->unit;
}

/* keep[] for --limit N: every category's share by largest remainder. */
static void plan_stratify(const um_suite *suite, size_t n_units, size_t limit, uint64_t seed,
			  unsigned char *keep)
{
	plan_rank *r = um_xcalloc(n_units, sizeof(*r));
	size_t *start = um_xcalloc(n_units + 1, sizeof(*start)), n_cat = 0, i, c, given = 0;
	size_t *quota, *rem;

	for (i = 0; i < n_units; i++) {
		const char *id = unit_id(suite, i);
		r[i].unit = i;
		r[i].cat = plan_unit_category(suite, i);
		r[i].h = um_hash64(id, strlen(id), seed);
	}
	qsort(r, n_units, sizeof(*r), plan_cmp_rank);
	for (i = 0; i < n_units; i++)
		if (i == 0 || strcmp(r[i - 1].cat, r[i].cat) != 0)
			start[n_cat++] = i;
	start[n_cat] = n_units;
	quota = um_xcalloc(n_cat, sizeof(*quota));
	rem = um_xcalloc(n_cat, sizeof(*rem));
	for (c = 0; c < n_cat; c++) {
		size_t size = start[c + 1] - start[c];
		quota[c] = limit * size / n_units;
		rem[c] = limit * size % n_units;
		given += quota[c];
	}
	while (given < limit) {
		size_t best = SIZE_MAX;
		for (c = 0; c < n_cat; c++)
			if (quota[c] < start[c + 1] - start[c] && (best == SIZE_MAX || rem[c] > rem[best]))
				best = c;
		quota[best]++;
		rem[best] = 0;
		given++;
	}
	for (c = 0; c < n_cat; c++)
		for (i = 0; i < quota[c]; i++)
			keep[r[start[c] + i].unit] = 1;
	free(quota);
	free(rem);
	free(start);
	free(r);
}

int plan_subset(um_plan *p, const um_suite *suite, const um_plan_subset *sub,
		unsigned char **keep_out, size_t *kept, um_error *err)
{
	size_t n_units = unit_count(suite), i, k = 0, rank = 0;
	unsigned char *keep = um_xcalloc(n_units ? n_units : 1, 1);
	int *shard_of = um_xcalloc(n_units ? n_units : 1, sizeof(int));

	if (sub->limit < 0 || sub->shard_count < 0 ||
	    (sub->shard_count && (sub->shard_index < 0 || sub->shard_index >= sub->shard_count))) {
		free(keep);
		free(shard_of);
		if (sub->limit < 0)
			return um_fail(err, UM_ERR_USAGE, "limit %d: want a positive count",
				       sub->limit);
		return um_fail(err, UM_ERR_USAGE, "shard %d/%d: want 0 <= I < N", sub->shard_index,
			       sub->shard_count);
	}
	if (sub->limit > 0 && (size_t)sub->limit < n_units)
		plan_stratify(suite, n_units, (size_t)sub->limit, sub->seed, keep);
	else
		memset(keep, 1, n_units);
	for (i = 0; i < n_units; i++)
		shard_of[i] = keep[i] && sub->shard_count ? (int)(rank++ % (size_t)sub->shard_count)
							  : 0;
	for (i = 0; i < p->n; i++) {
		size_t u = p->a[i].item;
		if (!keep[u] || (sub->shard_count && shard_of[u] != sub->shard_index))
			continue;
		p->a[k++] = p->a[i];
	}
	p->n = k;
	*kept = 0;
	for (i = 0; i < n_units; i++)
		*kept += keep[i];
	free(shard_of);
	*keep_out = keep;
	if (k == 0)
		return um_fail(err, UM_ERR_USAGE, "shard %d/%d has nothing to run (%zu units)",
			       sub->shard_index, sub->shard_count, *kept);
	return 0;
}
