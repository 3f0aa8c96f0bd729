/*
 * bench_sandbox.c - sandbox start-up cost: the wall time of sandbox_exec()
 * running `true` in a fresh bwrap sandbox (namespaces, mounts, the reaper,
 * exec, teardown), measured 100 times after a warm-up. Prints the median and
 * spread. Exits 77 (skipped) when bwrap cannot run here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec/sandbox.h"
#include "base/util.h"

#define RUNS 100
#define WARMUP 5

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(void)
{
	const char *argv[] = { "true", NULL };
	double t[RUNS];
	sandbox_spec spec;
	sandbox_result res;
	um_error err;
	char *work;
	int i;

	if (!sandbox_driver_available("bwrap", &err)) {
		fprintf(stderr, "bench_sandbox: skipped: %s\n", err.msg);
		return 77;
	}
	sandbox_spec_init(&spec);
	work = sandbox_workdir_new(&spec, "/tmp", "umpire-bench-sandbox", &err);
	if (!work) {
		fprintf(stderr, "bench_sandbox: %s\n", err.msg);
		return 1;
	}
	spec.work_dir = work;
	for (i = -WARMUP; i < RUNS; i++) {
		double t0 = now_us();
		if (sandbox_exec(&spec, argv, NULL, 0, &res, &err) < 0 || res.exit_code != 0) {
			fprintf(stderr, "bench_sandbox: run %d failed: %s\n", i, err.msg);
			sandbox_result_release(&res);
			sandbox_workdir_remove(work, NULL);
			free(work);
			return 1;
		}
		if (i >= 0)
			t[i] = now_us() - t0;
		sandbox_result_release(&res);
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	printf("sandbox start-up (bwrap, `true`, %d runs): median %.2f ms, p10 %.2f ms, "
	       "p90 %.2f ms, min %.2f ms, max %.2f ms\n",
	       RUNS, (t[RUNS / 2 - 1] + t[RUNS / 2]) / 2e3, t[RUNS / 10] / 1e3,
	       t[RUNS * 9 / 10] / 1e3, t[0] / 1e3, t[RUNS - 1] / 1e3);
	sandbox_workdir_remove(work, NULL);
	free(work);
	return 0;
}
