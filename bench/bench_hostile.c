/*
 * bench_hostile.c - how long hostile inputs take to be refused: 400 KB of
 * nested `[` and of nested block mappings through the YAML loader (the
 * linear pre-scan), and a 2 MB flat YAML file that must load. Median of
 * 9 runs each, in milliseconds; no assertion (the unit tests check that
 * the refusal happens before parsing).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "load/yml.h"

#define RUNS 9

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void bench(const char *name, const char *text, size_t len, int want_ok)
{
	int64_t t[RUNS];
	int i, ok = 0;

	for (i = 0; i < RUNS; i++) {
		um_error err = {0};
		int64_t t0 = um_mono_ms();
		yml_doc *d = yml_load_buffer(name, text, len, &err);

		t[i] = um_mono_ms() - t0;
		ok = d != NULL;
		yml_doc_free(d);
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_i64);
	printf("%-28s %8zu bytes  median %4lld ms  (%s, wanted %s)\n", name, len,
	       (long long)t[RUNS / 2], ok ? "loaded" : "refused", want_ok ? "loaded" : "refused");
}

int main(void)
{
	um_buf b;
	size_t n = 400 * 1024, i;
	char *flow = malloc(n + 1);

	for (i = 0; i < n; i++)
		flow[i] = '[';
	flow[n] = '\0';
	bench("nested-flow.yaml", flow, n, 0);
	free(flow);
	um_buf_init(&b, 0);
	for (i = 0; b.len < n; i++)
		um_buf_printf(&b, "%*sk%zu:\n", (int)(i % 900), "", i);
	bench("nested-block.yaml", um_buf_str(&b), b.len, 0);
	um_buf_release(&b);
	um_buf_init(&b, 0);
	for (i = 0; b.len < 2 * 1024 * 1024; i++)
		um_buf_printf(&b, "k%zu: [1, {x: \"[[[\"}]\n", i);
	bench("flat-2MB.yaml", um_buf_str(&b), b.len, 1);
	um_buf_release(&b);
	return 0;
}
