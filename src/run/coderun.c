/*
 * coderun.c - grading a code suite's attempts on the worker pool (see
 * coderun.h and docs/code.md).
 *
 * An answer arrives in the engine's loop thread; its program is extracted
 * there and the tests run on a worker (one sandboxed process per test, so a
 * slow program holds a worker, never the loop). The sandbox sees the host's
 * root read-only, but the directories that hold expected outputs - the
 * suite's, the dataset's, the store's - are covered with an empty one, so a
 * program cannot look its answers up. Jobs are kept on a list so that an
 * early stop, which drops the queued ones, frees them too.
 */
#include "run/coderun.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "exec/container.h"
#include "exec/sandbox.h"
#include "exec/workers.h"
#include "grade/code.h"
#include "grade/cpjudge.h"
#include "run/run_ctx.h"

#define CODERUN_MAX_MASKS 8
/* Containers: what an engine's `run` takes to start, added to each test's
 * wall-clock limit (the CPU limit is the test's, counted in the container). */
#define CODERUN_ENGINE_START_MS 5000

typedef struct code_job code_job;

struct coderun {
	char *parent;             /* the run's work directory */
	char *empty;              /* an empty directory, bound over the masks */
	char *helpers;            /* compiled checkers and interactors (cpjudge) */
	char *masks[CODERUN_MAX_MASKS];
	size_t n_masks;
	sandbox_bind binds[CODERUN_MAX_MASKS];
	sandbox_spec base;
	char *image_id;           /* containers: the engine's id of base.image */
	um_code_env env;
	code_job *jobs;
};

struct code_job {
	code_job *prev, *next;
	run_ctx *rc;
	attempt *a;
	const um_code_item *item;
	um_completion c;
	int64_t latency_ms;
	long http_status;
	char *program;
	char *detail;
	int score, failed;
	um_error err;
	coderun_done_fn done;
};

static void job_free(coderun *cr, code_job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else if (cr->jobs == j)
		cr->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	completion_release(&j->c);
	free(j->program);
	free(j->detail);
	free(j);
}

/* Cover the directory that holds path (a file), unless it is a system one. */
static void add_mask(coderun *cr, const char *path)
{
	static const char *const never[] = {"/", "/usr", "/bin", "/lib", "/lib64", "/etc",
					    "/sbin", "/dev", "/proc", "/tmp", NULL};
	char real[PATH_MAX], *dir;
	const char *slash = path ? strrchr(path, '/') : NULL;
	size_t i;

	if (!path || cr->n_masks >= CODERUN_MAX_MASKS)
		return;
	dir = slash ? um_xstrndup(path, slash == path ? 1 : (size_t)(slash - path))
		    : um_xstrdup(".");
	if (!realpath(dir, real)) {
		free(dir);
		return;
	}
	free(dir);
	for (i = 0; never[i]; i++)
		if (!strcmp(real, never[i]))
			return;
	for (i = 0; i < cr->n_masks; i++) {
		size_t k = strlen(cr->masks[i]);
		if (!strncmp(real, cr->masks[i], k) && (real[k] == '/' || !real[k]))
			return; /* already under a mask */
	}
	/* one cover for nested paths: no mount point inside an empty cover */
	for (i = 0; i < cr->n_masks;) {
		size_t k = strlen(real);
		if (!strncmp(cr->masks[i], real, k) && cr->masks[i][k] == '/') {
			free(cr->masks[i]);
			cr->masks[i] = cr->masks[--cr->n_masks];
		} else {
			i++;
		}
	}
	cr->masks[cr->n_masks++] = um_xstrdup(real);
}

static void drain(void *ctx)
{
	run_ctx *rc = ctx;

	if (rc->o->interrupted && *rc->o->interrupted)
		engine_stop(rc->eng);
	workers_drain(rc->workers);
}

/* The run's directories are $TMPDIR/umpire-code-RUN-HASH-XXXXXX (HASH: of
 * the store's path): what a run killed with SIGKILL left is removed when it
 * (or its resume, which holds the run's lease) starts again. */
static char *code_prefix(const run_ctx *rc)
{
	char *real = realpath(rc->o->db_path, NULL);
	const char *p = real ? real : rc->o->db_path;
	uint64_t h = um_hash64(p, strlen(p), 0);
	char *k = um_xasprintf("umpire-code-%s-%08x-", rc->run_id, (unsigned)(h & 0xffffffffu));

	free(real);
	return k;
}

/* One trivial command in a work directory of the run, as the tests will
 * run: a temporary directory the sandbox's user cannot reach fails here,
 * once, rather than as an infrastructure error of every attempt. */
static int probe(coderun *cr, um_error *err)
{
	static const char *const py[] = {"python3", "-c", "pass", NULL};
	static const char *const cpp[] = {"g++", "--version", NULL};
	const char *const *argv = cr->env.language == UM_CODE_CPP ? cpp : py;
	sandbox_spec spec = cr->base;
	sandbox_result r;
	int rv = -1;

	spec.work_dir = sandbox_workdir_new(&spec, cr->parent, "probe", err);
	if (!spec.work_dir)
		return -1;
	if (sandbox_exec(&spec, argv, NULL, 0, &r, err) < 0)
		um_error_prefix(err, "code suites run their tests in %s, which the sandbox's user "
				"must reach (TMPDIR)", cr->parent);
	else if (r.exit_code != 0)
		um_fail(err, UM_ERR_STATE, "code suites run %s in the sandbox%s%s, and it exits with "
			"status %d there: %.200s", argv[0], spec.image ? " of the image " : "",
			spec.image ? spec.image : "", r.exit_code, r.err.data ? r.err.data : "");
	else
		rv = 0;
	sandbox_result_release(&r);
	sandbox_workdir_remove(spec.work_dir, NULL);
	free((char *)spec.work_dir);
	return rv;
}

/* docker / podman: each test a `run --rm` of the toolchain image
 * (--base-image), which sees only the work directory, so no mask is needed;
 * the memory limit is each process's address space there too, and the
 * engine's start-up is added to the wall clock (docs/code.md, "Containers"). */
static int coderun_container(run_ctx *rc, coderun *cr, um_error *err)
{
	const char *image = rc->o->base_image ? rc->o->base_image : CONTAINER_BASE_IMAGE;

	cr->image_id = container_image_id(rc->o->sandbox_driver, image, err);
	if (!cr->image_id)
		return um_error_prefix(err, "code suites under %s run their tests in the image %s "
				       "(--base-image; scripts/engines.sh --code builds one with g++)",
				       rc->o->sandbox_driver, image);
	cr->base.driver = rc->o->sandbox_driver;
	cr->base.image = image;
	cr->base.limits.mem_per_process = 1;
	cr->env.wall_extra_ms = CODERUN_ENGINE_START_MS;
	return 0;
}

/* Where the tests ran, in the attempt's detail: the driver, and for
 * containers the image and its id (the toolchain pinned as the data is). */
static void note_env(const coderun *cr, json_t *d)
{
	json_object_set_new(d, "driver", json_string(cr->base.driver ? cr->base.driver : "bwrap"));
	if (cr->image_id) {
		json_object_set_new(d, "image", json_string(cr->base.image));
		json_object_set_new(d, "image_id", json_string(cr->image_id));
	}
}

int coderun_setup(run_ctx *rc, um_error *err)
{
	coderun *cr;
	const char *tmp = getenv("TMPDIR");
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int jobs = rc->o->sandbox_jobs > 0 ? rc->o->sandbox_jobs : (int)(ncpu > 0 ? ncpu : 2);
	size_t i;

	if (sandbox_driver_available(rc->o->sandbox_driver, err) != 1)
		return um_error_prefix(err, "code suites run programs in a sandbox (%s)",
				       rc->o->sandbox_driver ? rc->o->sandbox_driver : "bwrap");
	cr = rc->code = um_xcalloc(1, sizeof(*cr));
	if (!tmp || !*tmp)
		tmp = "/tmp";
	{
		char *prefix = code_prefix(rc);
		sandbox_workdir_remove_prefixed(tmp, prefix);
		cr->parent = um_xasprintf("%s/%sXXXXXX", tmp, prefix);
		free(prefix);
	}
	if (!mkdtemp(cr->parent)) {
		um_fail(err, UM_ERR_IO, "%s: cannot create the run's directory", cr->parent);
		free(cr->parent);
		cr->parent = NULL;
		return -1;
	}
	cr->empty = um_xasprintf("%s/empty", cr->parent);
	cr->helpers = um_xasprintf("%s/helpers", cr->parent);
	/* the sandbox's user (nobody, when we are root) must reach inside, but
	 * not into the helpers every attempt of a problem runs */
	if (chmod(cr->parent, 0711) != 0 || mkdir(cr->empty, 0555) != 0 ||
	    mkdir(cr->helpers, 0700) != 0)
		return um_fail(err, UM_ERR_IO, "%s: cannot prepare the run's directory",
			       cr->parent);
	sandbox_spec_init(&cr->base);
	if (rc->o->sandbox_driver && strcmp(rc->o->sandbox_driver, "bwrap") != 0) {
		if (coderun_container(rc, cr, err) < 0)
			return -1;
	} else {
		add_mask(cr, rc->suite->path);
		add_mask(cr, rc->suite->dataset.path);
		add_mask(cr, rc->o->db_path);
		if (rc->suite->dataset.tests) /* LiveCodeBench Pro: a directory of directories */
			add_mask(cr, rc->suite->dataset.tests);
		for (i = 0; i < cr->n_masks; i++)
			cr->binds[i] = (sandbox_bind){cr->empty, cr->masks[i], 0};
		cr->base.binds = cr->binds;
		cr->base.n_binds = cr->n_masks;
	}
	cr->env.base = &cr->base;
	cr->env.work_parent = cr->parent;
	cr->env.time_limit_ms = rc->suite->code.time_limit_ms;
	cr->env.memory_mb = rc->suite->code.memory_mb;
	cr->env.language = rc->suite->code.language;
	cr->env.testlib_dir = rc->suite->dataset.testlib;
	cr->env.helper_cache = cr->helpers;
	if (probe(cr, err) < 0)
		return -1;
	if (workers_new(jobs, rc->eng, &rc->workers, err) < 0)
		return -1;
	engine_set_wake_hook(rc->eng, drain, rc);
	return 0;
}

static void job_run(void *ctx)
{
	code_job *j = ctx;
	const char *id = j->a->p->id;
	sandbox_spec spec = j->rc->code->base;
	um_code_env env = j->rc->code->env;
	json_t *d = NULL;

	/* RLIMIT_NPROC counts per host uid (when we are root): each attempt
	 * gets its own, so one program's threads cannot starve another's */
	spec.host_uid = spec.host_gid = 200000 + (long)(um_hash64(id, strlen(id), 0) % 50000);
	env.base = &spec;
	if ((j->item->judge_dir ? cpjudge_grade : code_grade)(j->item, j->program, &env, &d,
							      &j->score, &j->err) < 0) {
		j->failed = 1;
		return;
	}
	if (j->rc->oracle)
		json_object_set_new(d, "oracle", json_true());
	note_env(j->rc->code, d);
	j->detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(d);
}

static void job_finish(code_job *j)
{
	coderun_outcome o;
	char *msg = NULL;

	memset(&o, 0, sizeof(o));
	o.c = &j->c;
	o.latency_ms = j->latency_ms;
	o.http_status = j->http_status;
	o.program = j->program;
	o.detail_json = j->detail;
	o.score = j->score;
	if (j->failed) {
		msg = um_xasprintf("%s: the tests could not run: %s",
				   j->rc->models->systems[j->a->p->system].name, j->err.msg);
		o.error_class = "sandbox";
		o.error_msg = msg;
	}
	j->done(j->a, &o);
	free(msg);
}

static void job_done(void *ctx)
{
	code_job *j = ctx;
	coderun *cr = j->rc->code;

	job_finish(j);
	job_free(cr, j);
}

void coderun_grade(run_ctx *rc, attempt *a, um_completion *c, int64_t latency_ms,
		   long http_status, coderun_done_fn done)
{
	coderun *cr = rc->code;
	code_job *j = um_xcalloc(1, sizeof(*j));

	j->rc = rc;
	j->a = a;
	j->item = rc->suite->items[a->p->item].code;
	j->c = *c;
	memset(c, 0, sizeof(*c));
	j->latency_ms = latency_ms;
	j->http_status = http_status;
	j->done = done;
	j->program = cpjudge_program(j->item, j->c.content);
	j->next = cr->jobs;
	if (cr->jobs)
		cr->jobs->prev = j;
	cr->jobs = j;
	if (!j->program) {
		json_t *d = code_detail_no_program(j->item, &cr->env);
		if (rc->oracle)
			json_object_set_new(d, "oracle", json_true());
		note_env(cr, d);
		j->detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(d);
		job_done(j);
		return;
	}
	workers_submit(rc->workers, job_run, job_done, j);
}

const sandbox_spec *coderun_sandbox(const run_ctx *rc, const char **parent)
{
	if (!rc->code)
		return NULL;
	*parent = rc->code->parent;
	return &rc->code->base;
}

void coderun_teardown(run_ctx *rc)
{
	coderun *cr = rc->code;
	size_t i;

	if (!cr)
		return;
	if (rc->workers) {
		workers_free(rc->workers);
		rc->workers = NULL;
	}
	while (cr->jobs)
		job_free(cr, cr->jobs);
	if (cr->parent) {
		if (!rc->o->keep_workdirs)
			sandbox_workdir_remove(cr->parent, NULL);
		free(cr->parent);
	}
	free(cr->empty);
	free(cr->helpers);
	free(cr->image_id);
	for (i = 0; i < cr->n_masks; i++)
		free(cr->masks[i]);
	free(cr);
	rc->code = NULL;
}
