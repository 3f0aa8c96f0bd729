/*
 * test_plan.c - the attempt matrix: size, order, stable ids, and choice
 * permutations that are the same for every system.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "load/plan.h"
#include "base/util.h"

static um_suite *make_suite(size_t n_items)
{
	um_suite *s = um_xcalloc(1, sizeof(*s));
	size_t i;

	s->name = um_xstrdup("unit-suite");
	s->seed = 42;
	s->shuffle = 1;
	s->items = um_xcalloc(n_items, sizeof(um_item));
	s->n_items = n_items;
	for (i = 0; i < n_items; i++) {
		s->items[i].id = um_xasprintf("q%zu", i);
		s->items[i].n_choices = 4;
	}
	return s;
}

static void free_suite(um_suite *s)
{
	size_t i;

	for (i = 0; i < s->n_items; i++)
		free(s->items[i].id);
	free(s->items);
	free(s->name);
	free(s);
}

static um_models *make_models(int n)
{
	um_models *m = um_xcalloc(1, sizeof(*m));
	int i;

	m->systems = um_xcalloc((size_t)n, sizeof(um_system));
	m->n_systems = n;
	for (i = 0; i < n; i++)
		m->systems[i].name = um_xasprintf("sys%d", i);
	return m;
}

static void free_models(um_models *m)
{
	int i;

	for (i = 0; i < m->n_systems; i++)
		free(m->systems[i].name);
	free(m->systems);
	free(m);
}

/* Items in categories: 6 of A, 3 of B, 1 of C. */
static um_suite *make_categorised(void)
{
	um_suite *s = make_suite(10);
	size_t i;

	for (i = 0; i < 10; i++)
		s->items[i].category = (char *)(i < 6 ? "A" : i < 9 ? "B" : "C");
	return s;
}

static void test_limit_stratified_and_seeded(void **state)
{
	um_suite *s = make_categorised();
	um_models *m = make_models(2);
	um_plan_subset sub = {5, 7, 0, 0};
	unsigned char *keep = NULL, *keep2 = NULL;
	size_t kept = 0, i, per[3] = {0, 0, 0};
	um_plan p, q;
	um_error err = {0};

	(void)state;
	assert_int_equal(plan_build(s, m, NULL, 0, 2, &p, &err), 0);
	assert_int_equal(plan_subset(&p, s, &sub, &keep, &kept, &err), 0);
	assert_int_equal(kept, 5);
	assert_int_equal(p.n, 5 * 2 * 2);
	for (i = 0; i < 10; i++)
		per[i < 6 ? 0 : i < 9 ? 1 : 2] += keep[i];
	/* shares 3, 1.5, 0.5: largest remainders give 3, 2, 0 (B's .5 is first by name) */
	assert_int_equal(per[0], 3);
	assert_int_equal(per[1] + per[2], 2);
	for (i = 0; i < p.n; i++)
		assert_true(keep[p.a[i].item]);
	/* the same seed, the same subset */
	assert_int_equal(plan_build(s, m, NULL, 0, 2, &q, &err), 0);
	assert_int_equal(plan_subset(&q, s, &sub, &keep2, &kept, &err), 0);
	assert_memory_equal(keep, keep2, 10);
	free(keep);
	free(keep2);
	plan_release(&p);
	plan_release(&q);
	free_models(m);
	free_suite(s);
}

static void test_shards_partition_the_plan(void **state)
{
	um_suite *s = make_categorised();
	um_models *m = make_models(3);
	um_plan whole, part;
	um_error err = {0};
	size_t total = 0, i, j;
	int seen[10 * 3 * 2] = {0}, shard;

	(void)state;
	assert_int_equal(plan_build(s, m, NULL, 0, 2, &whole, &err), 0);
	for (shard = 0; shard < 3; shard++) {
		um_plan_subset sub = {0, 0, shard, 3};
		unsigned char *keep = NULL;
		size_t kept = 0;

		assert_int_equal(plan_build(s, m, NULL, 0, 2, &part, &err), 0);
		assert_int_equal(plan_subset(&part, s, &sub, &keep, &kept, &err), 0);
		assert_int_equal(kept, 10); /* a shard records every item */
		for (i = 0; i < part.n; i++) {
			/* every system and sample of an item lands in the same shard */
			assert_int_equal((int)(part.a[i].item % 3), shard);
			for (j = 0; j < whole.n; j++)
				if (!strcmp(whole.a[j].id, part.a[i].id))
					seen[j]++;
		}
		total += part.n;
		free(keep);
		plan_release(&part);
	}
	assert_int_equal(total, whole.n);
	for (j = 0; j < whole.n; j++)
		assert_int_equal(seen[j], 1);
	plan_release(&whole);
	free_models(m);
	free_suite(s);
}

static void test_subset_garbage(void **state)
{
	um_suite *s = make_suite(2);
	um_models *m = make_models(1);
	static const um_plan_subset bad[] = {{0, 0, 3, 3}, {0, 0, -1, 2}, {-1, 0, 0, 0}};
	um_plan p;
	um_error err = {0};
	size_t i, kept;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned char *keep = NULL;
		assert_int_equal(plan_build(s, m, NULL, 0, 1, &p, &err), 0);
		assert_int_equal(plan_subset(&p, s, &bad[i], &keep, &kept, &err), -1);
		assert_int_equal(err.code, UM_ERR_USAGE);
		free(keep);
		plan_release(&p);
	}
	{
		/* more shards than items: one shard is empty, and says so */
		um_plan_subset sub = {0, 0, 2, 3};
		unsigned char *keep = NULL;
		assert_int_equal(plan_build(s, m, NULL, 0, 1, &p, &err), 0);
		assert_int_equal(plan_subset(&p, s, &sub, &keep, &kept, &err), -1);
		assert_non_null(strstr(err.msg, "nothing to run"));
		free(keep);
		plan_release(&p);
	}
	free_models(m);
	free_suite(s);
}

static void test_matrix_shape_and_order(void **state)
{
	um_suite *s = make_suite(5);
	um_models *m = make_models(3);
	um_plan p;
	um_error err = {0};
	size_t k;

	(void)state;
	assert_int_equal(plan_build(s, m, NULL, 0, 2, &p, &err), 0);
	assert_int_equal(p.n, 5 * 3 * 2);
	/* sample-major, then item, then system */
	for (k = 0; k < p.n; k++) {
		assert_int_equal(p.a[k].sample, (int)(k / 15));
		assert_int_equal(p.a[k].item, (k / 3) % 5);
		assert_int_equal(p.a[k].system, (int)(k % 3));
	}
	/* every system sees the same permutation for an (item, sample) */
	for (k = 0; k < p.n; k += 3) {
		assert_memory_equal(p.a[k].perm, p.a[k + 1].perm, sizeof(int) * 4);
		assert_memory_equal(p.a[k].perm, p.a[k + 2].perm, sizeof(int) * 4);
	}
	plan_release(&p);
	free_models(m);
	free_suite(s);
}

static void test_ids_stable_and_unique(void **state)
{
	um_suite *s = make_suite(20);
	um_models *m = make_models(4);
	um_plan p1, p2;
	um_error err = {0};
	size_t i, j;
	int subset[2] = {3, 1};

	(void)state;
	assert_int_equal(plan_build(s, m, NULL, 0, 3, &p1, &err), 0);
	assert_int_equal(plan_build(s, m, subset, 2, 3, &p2, &err), 0);
	for (i = 0; i < p1.n; i++)
		for (j = i + 1; j < p1.n; j++)
			assert_string_not_equal(p1.a[i].id, p1.a[j].id);
	/* a subset of systems yields the same ids for the same keys */
	for (j = 0; j < p2.n; j++) {
		int found = 0;
		for (i = 0; i < p1.n; i++)
			if (!strcmp(p1.a[i].id, p2.a[j].id)) {
				assert_int_equal(p1.a[i].system, p2.a[j].system);
				assert_int_equal(p1.a[i].item, p2.a[j].item);
				assert_int_equal(p1.a[i].sample, p2.a[j].sample);
				found = 1;
			}
		assert_true(found);
	}
	plan_release(&p1);
	plan_release(&p2);
	free_models(m);
	free_suite(s);
}

static void test_permutation_properties(void **state)
{
	int counts[4][4] = {{0}};
	int perm[4], perm2[4], i, s, moved = 0;

	(void)state;
	for (s = 0; s < 4000; s++) {
		char id[32];
		int seen[4] = {0};
		snprintf(id, sizeof(id), "item-%d", s);
		plan_permutation(7, id, 0, 4, 1, perm);
		plan_permutation(7, id, 0, 4, 1, perm2);
		assert_memory_equal(perm, perm2, sizeof(perm));
		for (i = 0; i < 4; i++) {
			assert_in_range(perm[i], 0, 3);
			assert_int_equal(seen[perm[i]]++, 0);
			counts[i][perm[i]]++;
		}
		if (perm[0] != 0)
			moved++;
	}
	/* the correct answer (source index 0) lands in each position roughly 1/4 of the time */
	for (i = 0; i < 4; i++)
		assert_in_range(counts[i][0], 800, 1200);
	assert_true(moved > 2500);
	/* no shuffle: identity */
	plan_permutation(7, "x", 0, 4, 0, perm);
	for (i = 0; i < 4; i++)
		assert_int_equal(perm[i], i);
	/* different samples and seeds give different orders (most of the time) */
	{
		int diff = 0;
		for (s = 0; s < 100; s++) {
			char id[32];
			snprintf(id, sizeof(id), "item-%d", s);
			plan_permutation(7, id, 0, 4, 1, perm);
			plan_permutation(7, id, 1, 4, 1, perm2);
			diff += memcmp(perm, perm2, sizeof(perm)) != 0;
		}
		assert_true(diff > 80);
	}
}

static void test_perm_string_roundtrip_and_garbage(void **state)
{
	int perm[4] = {2, 0, 3, 1}, back[UM_MAX_CHOICES], n = 0;
	char text[64];

	(void)state;
	plan_perm_to_string(perm, 4, text, sizeof(text));
	assert_string_equal(text, "2,0,3,1");
	assert_int_equal(plan_perm_from_string(text, back, UM_MAX_CHOICES, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(perm, back, sizeof(perm));
	assert_int_equal(plan_perm_from_string("", back, UM_MAX_CHOICES, &n), -1);
	assert_int_equal(plan_perm_from_string("0,0,1", back, UM_MAX_CHOICES, &n), -1);
	assert_int_equal(plan_perm_from_string("0,x", back, UM_MAX_CHOICES, &n), -1);
	assert_int_equal(plan_perm_from_string("0,5,1", back, UM_MAX_CHOICES, &n), -1);
	assert_int_equal(plan_perm_from_string("-1,0", back, UM_MAX_CHOICES, &n), -1);
	assert_int_equal(plan_perm_from_string("1,0,", back, UM_MAX_CHOICES, &n), 0);
	assert_int_equal(n, 2);
}

static void test_empty_inputs_refused(void **state)
{
	um_suite *s = make_suite(0);
	um_models *m = make_models(2);
	um_plan p;
	um_error err = {0};

	(void)state;
	assert_int_equal(plan_build(s, m, NULL, 0, 1, &p, &err), -1);
	assert_int_equal(err.code, UM_ERR_INVALID);
	free_suite(s);
	s = make_suite(2);
	assert_int_equal(plan_build(s, m, NULL, 0, 0, &p, &err), -1);
	assert_int_equal(err.code, UM_ERR_USAGE);
	free_models(m);
	free_suite(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix_shape_and_order),
		cmocka_unit_test(test_ids_stable_and_unique),
		cmocka_unit_test(test_permutation_properties),
		cmocka_unit_test(test_perm_string_roundtrip_and_garbage),
		cmocka_unit_test(test_empty_inputs_refused),
		cmocka_unit_test(test_limit_stratified_and_seeded),
		cmocka_unit_test(test_shards_partition_the_plan),
		cmocka_unit_test(test_subset_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
