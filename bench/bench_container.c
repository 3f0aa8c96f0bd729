/*
 * bench_container.c - what a container costs per attempt and per command,
 * beside the bubblewrap driver: N times (default 10, argv[1]) after a
 * warm-up, for podman and docker (scripts/engines.sh must have run):
 *   attempt: container_start + one `true` by exec + container_stop, the
 *            fixed cost of one attempt's environment;
 *   command: one `true` by exec in a running container;
 * and for bwrap one sandbox_exec() of `true` (each bwrap command is its own
 * sandbox, so its attempt cost is the per-command cost times the commands).
 * Prints the median and the 90th percentile of each, in ms. Not a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "exec/container.h"
#include "exec/sandbox.h"

#define WARMUP 2
#define MAX_RUNS 1000

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void report(const char *what, const char *driver, double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("%-8s %-7s median %8.1f ms   p90 %8.1f ms   (n=%d)\n", what, driver, t[n / 2],
	       t[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1], n);
}

/* One exec of `true`; the wall time, or -1. */
static double exec_true(const container *c, sandbox_spec *s)
{
	sandbox_result r;
	um_error err = {0};
	double t0 = now_ms();
	int rc;

	sandbox_result_init(&r);
	rc = container_exec(c, s, "true", NULL, 0, &r, &err);
	sandbox_result_release(&r);
	if (rc < 0 || r.exit_code != 0) {
		fprintf(stderr, "bench_container: exec failed: %s\n", err.msg);
		return -1;
	}
	return now_ms() - t0;
}

static int start(container *c, sandbox_spec *s, const char *engine, int i)
{
	char name[96];
	sandbox_result log;
	um_error err = {0};
	int rc;

	snprintf(name, sizeof(name), "umpire-bench-%ld-%s-%d", (long)getpid(), engine, i + WARMUP);
	sandbox_result_init(&log);
	rc = container_start(c, s, name, "/work", "umpire-bench", &log, &err);
	sandbox_result_release(&log);
	if (rc < 0)
		fprintf(stderr, "bench_container: %s: %s\n", engine, err.msg);
	return rc;
}

static int bench_engine(const char *engine, int n)
{
	double *att = um_xcalloc((size_t)n, sizeof(double)), *cmd = um_xcalloc((size_t)n, sizeof(double));
	sandbox_spec s;
	container c;
	int i;

	sandbox_spec_init(&s);
	s.driver = engine;
	s.image = CONTAINER_BASE_IMAGE;
	s.limits.wall_ms = 60000;
	for (i = -WARMUP; i < n; i++) {
		double t0 = now_ms();
		if (start(&c, &s, engine, i) < 0 || exec_true(&c, &s) < 0)
			goto fail;
		container_stop(&c);
		if (i >= 0)
			att[i] = now_ms() - t0;
	}
	if (start(&c, &s, engine, n) < 0)
		goto fail;
	for (i = -WARMUP; i < n; i++) {
		double t = exec_true(&c, &s);
		if (t < 0)
			goto fail;
		if (i >= 0)
			cmd[i] = t;
	}
	container_stop(&c);
	report("attempt", engine, att, n);
	report("command", engine, cmd, n);
	free(att);
	free(cmd);
	return 0;
fail:
	container_stop(&c);
	free(att);
	free(cmd);
	return -1;
}

static int bench_bwrap(int n)
{
	const char *argv[] = {"true", NULL};
	double *t = um_xcalloc((size_t)n, sizeof(double));
	sandbox_spec spec;
	sandbox_result res;
	um_error err = {0};
	char *work;
	int i;

	sandbox_spec_init(&spec);
	work = sandbox_workdir_new(&spec, "/tmp", "umpire-bench-container", &err);
	if (!work) {
		fprintf(stderr, "bench_container: %s\n", err.msg);
		free(t);
		return -1;
	}
	spec.work_dir = work;
	for (i = -WARMUP; i < n; i++) {
		double t0 = now_ms();
		int rc = sandbox_exec(&spec, argv, NULL, 0, &res, &err);
		int code = res.exit_code;
		sandbox_result_release(&res);
		if (rc < 0 || code != 0) {
			fprintf(stderr, "bench_container: bwrap: %s\n", err.msg);
			break;
		}
		if (i >= 0)
			t[i] = now_ms() - t0;
	}
	sandbox_workdir_remove(work, NULL);
	free(work);
	if (i < n) {
		free(t);
		return -1;
	}
	report("command", "bwrap", t, n);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10, rc = 0;

	if (n < 1 || n > MAX_RUNS) {
		fprintf(stderr, "usage: bench_container [N]  (1..%d runs, default 10)\n", MAX_RUNS);
		return 2;
	}
	printf("container overhead: medians of %d (scripts/engines.sh's base image)\n", n);
	if (bench_engine("podman", n) < 0)
		rc = 1;
	if (bench_engine("docker", n) < 0)
		rc = 1;
	if (bench_bwrap(n) < 0)
		rc = 1;
	container_remove_labelled("podman", "umpire-bench", NULL);
	container_remove_labelled("docker", "umpire-bench", NULL);
	return rc;
}
