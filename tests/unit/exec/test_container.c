/*
 * test_container.c - docker and podman driven for real (scripts/engines.sh
 * makes both usable first; neither may be missing, nothing is skipped):
 * images built once by content hash with their log kept, a failing build
 * reported with its log, the pull policy, one container per attempt that
 * keeps its state across execs with the task's limits (memory, /tmp size,
 * no network, env, the image's WORKDIR), a command stopped at its deadline
 * with every process it left, files in and out, leftovers of a killed run
 * removed by label, and garbage arguments refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "exec/container.h"
#include "exec/sandbox.h"

static const char *const engines[] = {"podman", "docker"};

typedef struct fx {
	char *dir;
	char label[64];
} fx;

static void put(const char *dir, const char *name, const char *text)
{
	char *p = um_xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static int setup(void **state)
{
	fx *f = um_xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/umpire-test-container-XXXXXX";
	const char *src = getenv("UMPIRE_SRCDIR");
	char *cmd;
	int rc;

	/* the engines and the base image: idempotent, seconds once done */
	cmd = um_xasprintf("%s/scripts/engines.sh", src ? src : ".");
	rc = system(cmd);
	free(cmd);
	if (rc != 0) {
		print_message("scripts/engines.sh failed (%d): the container tests need podman "
			      "and docker\n", rc);
		return -1;
	}
	if (!mkdtemp(tmpl))
		return -1;
	f->dir = um_xstrdup(tmpl);
	snprintf(f->label, sizeof(f->label), "umpire-test-%ld", (long)getpid());
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	size_t i;

	for (i = 0; i < UM_ARRAY_LEN(engines); i++)
		container_remove_labelled(engines[i], f->label, NULL);
	sandbox_workdir_remove(f->dir, NULL);
	free(f->dir);
	free(f);
	return 0;
}

/* A build context under the fixture dir: FROM the base image, with body. */
static char *context(fx *f, const char *name, const char *body)
{
	char *d = um_xasprintf("%s/%s", f->dir, name), *df;

	mkdir(d, 0755);
	df = um_xasprintf("FROM %s\n%s", CONTAINER_BASE_IMAGE, body);
	put(d, "Dockerfile", df);
	free(df);
	return d;
}

static void test_build_once_by_content(void **state)
{
	fx *f = *state;
	char *ctx = context(f, "ctx-ok", "WORKDIR /app\nENV FOO=bar\nRUN echo hi > /app/x\n");
	char *logs = um_xasprintf("%s/logs", f->dir);
	size_t i;

	/* a per-test file makes the content (and the tag) new to both engines */
	put(ctx, "nonce", f->label);
	for (i = 0; i < UM_ARRAY_LEN(engines); i++) {
		container_image a, b;
		um_error err = {0};
		struct stat st;

		assert_int_equal(container_image_build(engines[i], ctx, logs, 300000, &a, &err), 0);
		assert_true(um_has_prefix(a.ref, CONTAINER_TASK_REPO ":"));
		assert_int_equal(a.built, 1);
		assert_non_null(a.id);
		assert_non_null(a.log_path);
		assert_int_equal(stat(a.log_path, &st), 0);
		assert_int_equal(container_image_build(engines[i], ctx, logs, 300000, &b, &err), 0);
		assert_int_equal(b.built, 0); /* reused: same content, same tag */
		assert_string_equal(a.ref, b.ref);
		assert_string_equal(a.id, b.id);
		container_image_release(&a);
		container_image_release(&b);
	}
	free(ctx);
	free(logs);
}

static void test_build_failure_keeps_log(void **state)
{
	fx *f = *state;
	char *ctx = context(f, "ctx-bad", "RUN echo build-broke-here >&2; exit 3\n");
	char *logs = um_xasprintf("%s/logs", f->dir);
	size_t i;

	put(ctx, "nonce", f->label);
	for (i = 0; i < UM_ARRAY_LEN(engines); i++) {
		container_image im;
		um_error err = {0};
		char *log = NULL;

		assert_int_equal(container_image_build(engines[i], ctx, logs, 300000, &im, &err), -1);
		assert_non_null(strstr(err.msg, "log: "));
		assert_int_equal(um_read_file(strstr(err.msg, "log: ") + 5, &log, NULL, &err), 0);
		assert_non_null(strstr(log, "build-broke-here"));
		free(log);
		container_image_release(&im);
	}
	/* no Dockerfile at all */
	{
		container_image im;
		um_error err = {0};
		assert_int_equal(container_image_build("podman", f->dir, logs, 1000, &im, &err), -1);
		assert_non_null(strstr(err.msg, "no Dockerfile"));
		container_image_release(&im);
	}
	free(ctx);
	free(logs);
}

static void test_pull_policy(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < UM_ARRAY_LEN(engines); i++) {
		container_image im;
		um_error err = {0};

		assert_int_equal(container_image_get(engines[i], CONTAINER_BASE_IMAGE, "docker.io",
						     CONTAINER_PULL_NEVER, 10000, &im, &err), 0);
		/* a localhost reference takes no registry prefix */
		assert_string_equal(im.ref, CONTAINER_BASE_IMAGE);
		container_image_release(&im);
		assert_int_equal(container_image_get(engines[i], "umpire/not-here:1", "example.invalid",
						     CONTAINER_PULL_NEVER, 10000, &im, &err), -1);
		assert_non_null(strstr(err.msg, "example.invalid/umpire/not-here:1"));
		assert_non_null(strstr(err.msg, "pull policy is never"));
		container_image_release(&im);
		/* missing: a pull is tried, and fails offline with the engine's message */
		assert_int_equal(container_image_get(engines[i], "localhost:1/umpire/not-here:1", NULL,
						     CONTAINER_PULL_MISSING, 60000, &im, &err), -1);
		assert_non_null(strstr(err.msg, "cannot pull"));
		container_image_release(&im);
	}
}

static void start(fx *f, const char *engine, container *c, sandbox_spec *s, const char *name,
		  const char *image, const char *workdir)
{
	static const char *const env[] = {"K=V w", NULL};
	sandbox_result log;
	um_error err = {0};

	sandbox_spec_init(s);
	s->driver = engine;
	s->image = image;
	s->limits.mem_bytes = 64 << 20;
	s->limits.nproc = 64;
	s->limits.cpus = 1;
	s->limits.tmp_bytes = 8 << 20;
	s->limits.fsize_bytes = 4 << 20;
	s->env = env;
	s->n_env = 1;
	sandbox_result_init(&log);
	if (container_start(c, s, name, workdir, f->label, &log, &err) < 0)
		fail_msg("container_start %s: %s", engine, err.msg);
	sandbox_result_release(&log);
	s->env = NULL;
	s->n_env = 0;
	s->limits.wall_ms = 60000;
}

static const char *run(container *c, sandbox_spec *s, const char *script, sandbox_result *r)
{
	um_error err = {0};

	sandbox_result_release(r);
	sandbox_result_init(r);
	if (container_exec(c, s, script, NULL, 0, r, &err) < 0)
		fail_msg("container_exec: %s", err.msg);
	return um_buf_str(&r->out);
}

static void test_one_container_per_attempt(void **state)
{
	fx *f = *state;
	char *ctx = context(f, "ctx-run", "WORKDIR /app\nENV FOO=bar\nRUN echo hi > /app/x\n");
	char *logs = um_xasprintf("%s/logs", f->dir);
	size_t i;

	for (i = 0; i < UM_ARRAY_LEN(engines); i++) {
		container_image im;
		container c;
		sandbox_spec s;
		sandbox_result r;
		um_error err = {0};
		char name[96];

		assert_int_equal(container_image_build(engines[i], ctx, logs, 300000, &im, &err), 0);
		snprintf(name, sizeof(name), "%s-%s-a", f->label, engines[i]);
		start(f, engines[i], &c, &s, name, im.ref, NULL);
		assert_string_equal(c.workdir, "/app");
		sandbox_result_init(&r);
		/* the image's WORKDIR and ENV, the task's env */
		assert_string_equal(run(&c, &s, "echo \"$FOO|$K\"; pwd; cat x", &r), "bar|V w\n/app\nhi\n");
		/* state persists across the agent's commands */
		run(&c, &s, "echo kept > /app/state; touch /root/also", &r);
		assert_string_equal(run(&c, &s, "cat /app/state; ls /root", &r), "kept\nalso\n");
		/* no network but loopback */
		assert_string_equal(run(&c, &s, "ls /sys/class/net", &r), "lo\n");
		/* /tmp is a tmpfs of the given size */
		run(&c, &s, "head -c 12000000 /dev/zero > /tmp/big; echo $?", &r);
		assert_string_not_equal(um_buf_str(&r.out), "0\n");
		/* no file larger than fsize_bytes (SIGXFSZ) */
		assert_string_equal(run(&c, &s, "head -c 6000000 /dev/zero > f; echo $?; stat -c %s f", &r),
				    "153\n4194304\n");
		/* memory: the cgroup's limit kills the process (137) */
		run(&c, &s, "python3 -c \"s = 'x' * (200 << 20)\"", &r);
		assert_int_equal(r.signal, 9);
		/* exit statuses come through */
		run(&c, &s, "exit 3", &r);
		assert_int_equal(r.exit_code, 3);
		/* the deadline ends the command and what it started, not the container */
		s.limits.wall_ms = 1500;
		run(&c, &s, "sleep 300 & sleep 300", &r);
		assert_true(r.timed_out);
		s.limits.wall_ms = 60000;
		assert_string_equal(run(&c, &s, "ps -e -o comm= | grep -c sleep", &r), "1\n");
		/* leftovers of the agent are stopped before verification */
		run(&c, &s, "(sleep 300 &) ; echo started", &r);
		assert_int_equal(container_kill_all(&c, &err), 0);
		assert_string_equal(run(&c, &s, "ps -e -o comm= | grep -c sleep", &r), "1\n");
		sandbox_result_release(&r);
		container_stop(&c);
		/* stopped means gone */
		assert_int_equal(container_remove_labelled(engines[i], f->label, &err), 0);
		container_image_release(&im);
	}
	free(ctx);
	free(logs);
}

static void test_files_in_and_out(void **state)
{
	fx *f = *state;
	char *tests = um_xasprintf("%s/tests", f->dir), *out = um_xasprintf("%s/out", f->dir);
	size_t i;

	mkdir(tests, 0755);
	put(tests, "test.sh", "echo 0.25 > /logs/verifier/reward.txt\n");
	for (i = 0; i < UM_ARRAY_LEN(engines); i++) {
		container c;
		sandbox_spec s;
		sandbox_result r;
		um_error err = {0};
		char name[96], *data = NULL;

		snprintf(name, sizeof(name), "%s-%s-f", f->label, engines[i]);
		start(f, engines[i], &c, &s, name, CONTAINER_BASE_IMAGE, "/work");
		sandbox_result_init(&r);
		assert_string_equal(run(&c, &s, "pwd", &r), "/work\n");
		run(&c, &s, "mkdir -p /tests /logs/verifier && echo planted > /tests/old", &r);
		assert_int_equal(container_copy_in(&c, tests, "/tests", 1, &err), 0);
		/* replaced, and writable */
		assert_string_equal(run(&c, &s, "ls /tests; touch /tests/new && echo w", &r),
				    "test.sh\nw\n");
		run(&c, &s, "bash /tests/test.sh", &r);
		mkdir(out, 0755);
		assert_int_equal(container_copy_out(&c, "/logs/verifier", out, &err), 0);
		assert_int_equal(sandbox_read_file(out, "reward.txt", 100, &data, NULL, &err), 0);
		assert_string_equal(data, "0.25\n");
		free(data);
		/* a merge keeps what is there */
		assert_int_equal(container_copy_in(&c, tests, "/work", 0, &err), 0);
		run(&c, &s, "echo keep > /work/k", &r);
		assert_int_equal(container_copy_in(&c, tests, "/work", 0, &err), 0);
		assert_string_equal(run(&c, &s, "ls /work", &r), "k\ntest.sh\n");
		assert_int_equal(container_copy_out(&c, "/no/such", out, &err), -1);
		assert_int_equal(container_copy_in(&c, tests, "relative", 1, &err), -1);
		assert_int_equal(container_copy_in(&c, tests, "/a:b", 1, &err), -1);
		sandbox_result_release(&r);
		container_stop(&c);
		sandbox_workdir_remove(out, NULL);
	}
	free(tests);
	free(out);
}

static void test_leftovers_removed_by_label(void **state)
{
	fx *f = *state;
	size_t i;

	for (i = 0; i < UM_ARRAY_LEN(engines); i++) {
		container c1, c2;
		sandbox_spec s;
		um_error err = {0};
		char name[96];

		snprintf(name, sizeof(name), "%s-%s-l1", f->label, engines[i]);
		start(f, engines[i], &c1, &s, name, CONTAINER_BASE_IMAGE, NULL);
		snprintf(name, sizeof(name), "%s-%s-l2", f->label, engines[i]);
		start(f, engines[i], &c2, &s, name, CONTAINER_BASE_IMAGE, NULL);
		/* as after SIGKILL: the containers outlive the harness's memory */
		c1.running = c2.running = 0;
		container_stop(&c1);
		container_stop(&c2);
		assert_int_equal(container_remove_labelled(engines[i], f->label, &err), 2);
		assert_int_equal(container_remove_labelled(engines[i], f->label, &err), 0);
	}
}

static void test_garbage(void **state)
{
	fx *f = *state;
	container c;
	sandbox_spec s;
	sandbox_result r;
	container_pull p;
	container_image im;
	um_error err = {0};

	sandbox_spec_init(&s);
	sandbox_result_init(&r);
	s.driver = "podman";
	assert_int_equal(container_start(&c, &s, "x", NULL, f->label, &r, &err), -1);
	s.image = "-bad";
	assert_int_equal(container_start(&c, &s, "x", NULL, f->label, &r, &err), -1);
	s.image = CONTAINER_BASE_IMAGE;
	assert_int_equal(container_start(&c, &s, "-x", NULL, f->label, &r, &err), -1);
	assert_int_equal(container_start(&c, &s, "x", "rel", f->label, &r, &err), -1);
	s.driver = "lxc";
	assert_int_equal(container_start(&c, &s, "x", NULL, f->label, &r, &err), -1);
	assert_non_null(strstr(err.msg, "not docker or podman"));
	/* an image that does not exist: the engine's own words */
	s.driver = "docker";
	s.image = "localhost/umpire-no-such-image:0";
	assert_int_equal(container_start(&c, &s, "umpire-test-noimage", NULL, f->label, &r, &err),
			 -1);
	container_stop(&c);
	memset(&c, 0, sizeof(c));
	assert_int_equal(container_exec(&c, &s, "true", NULL, 0, &r, &err), -1);
	assert_int_equal(container_exec(NULL, &s, "true", NULL, 0, &r, &err), -1);
	assert_int_equal(container_pull_parse("sometimes", &p, &err), -1);
	assert_int_equal(container_pull_parse(NULL, &p, &err), -1);
	assert_int_equal(container_pull_parse("always", &p, &err), 0);
	assert_int_equal(p, CONTAINER_PULL_ALWAYS);
	assert_int_equal(container_image_get("podman", "", NULL, CONTAINER_PULL_NEVER, 1000, &im, &err),
			 -1);
	assert_int_equal(container_image_get("podman", "-x", NULL, CONTAINER_PULL_NEVER, 1000, &im,
					     &err), -1);
	assert_null(container_image_id("podman", "localhost/umpire-no-such-image:0", &err));
	sandbox_result_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_once_by_content),
		cmocka_unit_test(test_build_failure_keeps_log),
		cmocka_unit_test(test_pull_policy),
		cmocka_unit_test(test_one_container_per_attempt),
		cmocka_unit_test(test_files_in_and_out),
		cmocka_unit_test(test_leftovers_removed_by_label),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
