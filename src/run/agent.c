/*
 * runner_agent.c - agentic attempts: terminal tasks run by one neutral
 * agent loop for every system, and oracle mode.
 *
 * An attempt is a small state machine driven from the engine's loop thread:
 *
 *   setup (worker: copy files, run setup.sh)
 *     -> turn: build the neutral request (scaffold messages + the
 *        conversation so far + the fixed bash/submit tools), send it
 *     -> on the response: each tool call in order; bash runs in a fresh
 *        sandbox on a worker thread, its result goes back as a tool message;
 *        a malformed call is answered with an error message and counted;
 *        submit ends the agent phase; so do the scaffold's limits (turns,
 *        tokens, cost, wall time) and a reply without tool calls
 *     -> verify (worker: hidden tests bound at /tests only now, the test
 *        command under its own timeout, verdict by exit code, reward file or
 *        pytest report)
 *     -> one attempt row, every HTTP try (with its turn) and every command
 *        (with its output and output hash) in one transaction.
 *
 * Blocking work never runs in the loop thread: it goes to the worker pool
 * (workers.c), which holds the engine open and wakes it when done. Oracle
 * mode replaces the agent phase by the task's reference solution.
 *
 * Hidden paths: the suite's directory, the store's directory and the run's
 * temporary directory are covered by an empty directory inside the sandbox,
 * so an agent cannot read tests, solutions or earlier transcripts from the
 * read-only host root.
 */
#include "run/agent.h"
#include "run/guard.h"
#include "run/record.h"
#include "run/run_ctx.h"

#include <dirent.h>
#include <math.h>
#include <strings.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "exec/provider.h"
#include "exec/container.h"
#include "exec/sandbox.h"
#include "grade/swe_grade.h"
#include "load/task.h"
#include "run/images.h"
#include "base/util.h"

#define MAX_MASKS 4
#define VERIFY_OUT_MAX (1024 * 1024)

typedef enum { J_SETUP, J_TOOL, J_VERIFY, J_ORACLE, J_DIFF, J_GRADE, J_REPLAY } job_kind;

struct agent_att {
	run_ctx *rc;
	agent_att *prev, *next;
	const um_planned *p;
	const um_task *task;
	const um_system *sys;
	char *work_dir, *logs_dir;
	char *st_dir, *st_files, *st_tests, *st_solution; /* staged task paths */
	sandbox_spec spec;
	sandbox_bind binds[MAX_MASKS + 7];
	size_t n_mask_binds;
	json_t *messages;         /* the conversation (neutral form) */
	json_t *pending;          /* tool calls of the last reply */
	size_t next_call;
	int turn;
	int64_t tokens_in, tokens_cached, tokens_out, cost, last_latency, started;
	int tool_calls, malformed, submitted;
	const char *stop_reason;
	char parity_hash[65];     /* first turn: wire body without model */
	char neutral_hash[65];    /* first turn: neutral request */
	char body_sha[65];        /* current turn's full body */
	char *served_model, *fingerprint, *finish_reason, *last_text;
	um_call_rec *calls;
	size_t n_calls, cap_calls;
	um_tool_step *steps;
	size_t n_steps, cap_steps;
	/* the job on a worker */
	job_kind job;
	char *job_cmd, *job_call_id;
	sandbox_result res;
	int job_rc;
	um_error job_err;
	/* verdict */
	int resolved, has_reward;
	/* swe */
	char *base_commit;        /* the repository's base commit id in /work */
	char *patch;              /* the model's (or gold, or predicted) patch */
	const char *strategy;     /* the patch strategy that applied, or NULL */
	int patch_empty, tests_timed_out, f2p_passed, p2p_passed;
	char *patches_dir;        /* swe grading: the patches, bound at /patches */
	json_t *replay;           /* replay mode: {"of", "score", "commands": [...]} */
	double reward;
	int verifier_timed_out;
	/* containers: the attempt's one container (use_ct), its image */
	int use_ct;
	container ct;
	const char *image_ref, *image_id;
	char *st_tests_copy;      /* bwrap: a writable copy of the tests for /tests */
	char *st_solution_dir;    /* the staged solution folder (at /solution), or NULL */
	int infra;                /* 1: ended in an infrastructure error */
	char *error_class, *error_msg;
};

static void put_attempt(agent_att *a);
static int swe_materialize(agent_att *a, um_tool_phase phase, sandbox_result *res);
static void swe_diff(agent_att *a);
static void swe_grade(agent_att *a);

/* ---- lifecycle ------------------------------------------------------------ */

static void step_release(um_tool_step *t)
{
	free(t->attempt_id);
	free(t->tool);
	free(t->call_id);
	free(t->command);
	free(t->out);
	free(t->err);
	free(t->error);
}

static void att_free(agent_att *a)
{
	run_ctx *rc = a->rc;
	size_t i;

	if (a->prev)
		a->prev->next = a->next;
	else if (rc->agents == a)
		rc->agents = a->next;
	if (a->next)
		a->next->prev = a->prev;
	if (!rc->o->keep_workdirs) {
		if (a->work_dir)
			sandbox_workdir_remove(a->work_dir, NULL);
		if (a->logs_dir)
			sandbox_workdir_remove(a->logs_dir, NULL);
		if (a->st_tests_copy)
			sandbox_workdir_remove(a->st_tests_copy, NULL);
	}
	container_stop(&a->ct);
	free(a->work_dir);
	free(a->logs_dir);
	free(a->st_tests_copy);
	free(a->st_solution_dir);
	free(a->st_dir);
	free(a->st_files);
	free(a->st_tests);
	free(a->st_solution);
	if (a->messages)
		json_decref(a->messages);
	if (a->pending)
		json_decref(a->pending);
	free(a->served_model);
	free(a->fingerprint);
	free(a->finish_reason);
	free(a->last_text);
	for (i = 0; i < a->n_calls; i++)
		record_call_release(&a->calls[i]);
	free(a->calls);
	for (i = 0; i < a->n_steps; i++)
		step_release(&a->steps[i]);
	free(a->steps);
	free(a->job_cmd);
	free(a->job_call_id);
	sandbox_result_release(&a->res);
	free(a->error_class);
	free(a->error_msg);
	free(a->base_commit);
	free(a->patch);
	free(a->patches_dir);
	if (a->replay)
		json_decref(a->replay);
	free(a);
}

static void drain(void *ctx)
{
	run_ctx *rc = ctx;

	if (rc->o->interrupted && *rc->o->interrupted)
		engine_stop(rc->eng);
	workers_drain(rc->workers);
}

/* Whether path is dir or lies under it. */
static int path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

/* A path hidden from agents: an empty directory is bound over it. Paths
 * under the work mount, and the root or system directories, are left. */

static void add_mask(char **masks, size_t *n, const char *path)
{
	static const char *const never[] = {"/", "/usr", "/bin", "/lib", "/lib64", "/etc",
					    "/sbin", "/dev", "/proc", "/tmp", NULL};
	char real[PATH_MAX];
	size_t i;

	if (*n >= MAX_MASKS || !path || !realpath(path, real))
		return;
	for (i = 0; never[i]; i++)
		if (!strcmp(real, never[i]))
			return;
	if (um_has_prefix(real, SANDBOX_WORK_MOUNT "/") || !strcmp(real, SANDBOX_WORK_MOUNT))
		return;
	/* one mask for nested paths: a mount point inside an empty read-only
	 * directory cannot be made (runc's mkdir fails there) */
	for (i = 0; i < *n; i++)
		if (path_within(real, masks[i]))
			return;
	for (i = 0; i < *n;)
		if (path_within(masks[i], real)) {
			free(masks[i]);
			masks[i] = masks[--(*n)];
		} else {
			i++;
		}
	masks[(*n)++] = um_xstrdup(real);
}

static int stage_tasks(run_ctx *rc, um_error *err);


static char *dir_of(const char *path)
{
	char *d = um_xstrdup(path), *slash = strrchr(d, '/');

	if (!slash) {
		free(d);
		return um_xstrdup(".");
	}
	if (slash == d)
		slash[1] = '\0';
	else
		*slash = '\0';
	return d;
}

static int container_driver(const run_ctx *rc)
{
	return rc->o->sandbox_driver && strcmp(rc->o->sandbox_driver, "bwrap") != 0;
}

/* The key that names what a run leaves in $TMPDIR and on the container
 * engine: its run id and a hash of its store's path, so that runs of the same
 * id in other stores (parallel test suites, two users) are not touched. */
static char *leftover_key(const run_ctx *rc)
{
	char *real = realpath(rc->o->db_path, NULL);
	const char *p = real ? real : rc->o->db_path;
	uint64_t h = um_hash64(p, strlen(p), 0);
	char *k = um_xasprintf("%s-%08x", rc->run_id, (unsigned)(h & 0xffffffffu));

	free(real);
	return k;
}

/* What a run killed with SIGKILL left behind: its directories under the
 * temporary directory (umpire-KEY-*) and its containers (labelled with the
 * key). Removed before a run (or its resume) starts. */
static void remove_leftovers(run_ctx *rc, const char *tmp)
{
	char *prefix = um_xasprintf("umpire-%s-", rc->leftover_key);

	sandbox_workdir_remove_prefixed(tmp, prefix);
	free(prefix);
	if (container_driver(rc))
		(void)container_remove_labelled(rc->o->sandbox_driver, rc->leftover_key, NULL);
}

/* Container drivers: every task's image, built or found now, once. */
static int ensure_images(run_ctx *rc, um_error *err)
{
	images_opts io;

	if (!container_driver(rc))
		return 0;
	memset(&io, 0, sizeof(io));
	io.engine = rc->o->sandbox_driver;
	io.base_image = rc->o->base_image;
	io.pull_policy = rc->o->pull_policy;
	io.registry_prefix = rc->o->registry_prefix;
	io.log_dir = rc->o->build_log_dir;
	rc->images = um_xcalloc(rc->suite->n_tasks, sizeof(*rc->images));
	rc->image_errors = um_xcalloc(rc->suite->n_tasks, sizeof(char *));
	return images_ensure_suite(rc->suite, &io, rc->images, rc->image_errors, err) < 0 ? -1 : 0;
}

int agent_setup_run(run_ctx *rc, um_error *err)
{
	const char *tmp = getenv("TMPDIR");
	char *d;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int jobs = rc->o->sandbox_jobs > 0 ? rc->o->sandbox_jobs : (int)(ncpu > 0 ? ncpu : 2);

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (sandbox_driver_available(rc->o->sandbox_driver, err) != 1)
		return um_error_prefix(err, "agentic tasks need a sandbox (driver %s)",
				       rc->o->sandbox_driver ? rc->o->sandbox_driver : "bwrap");
	rc->leftover_key = leftover_key(rc);
	(void)sandbox_tmpdir_sweep();
	remove_leftovers(rc, tmp);
	rc->tmp_parent = sandbox_tmpdir_new(rc->leftover_key, &rc->tmp_lock, err);
	if (!rc->tmp_parent)
		return um_error_prefix(err, "the run's directory");
	rc->mask_dir = um_xasprintf("%s/empty", rc->tmp_parent);
	if (mkdir(rc->mask_dir, 0555) != 0)
		return um_fail(err, UM_ERR_IO, "%s: cannot create", rc->mask_dir);
	if (stage_tasks(rc, err) < 0 || ensure_images(rc, err) < 0)
		return -1;
	if (workers_new(jobs, rc->eng, &rc->workers, err) < 0)
		return -1;
	engine_set_wake_hook(rc->eng, drain, rc);
	rc->masks = um_xcalloc(MAX_MASKS, sizeof(char *));
	rc->n_masks = 0;
	d = dir_of(rc->suite->path);
	add_mask(rc->masks, &rc->n_masks, d);
	free(d);
	d = dir_of(rc->o->db_path);
	add_mask(rc->masks, &rc->n_masks, d);
	free(d);
	add_mask(rc->masks, &rc->n_masks, rc->tmp_parent);
	return 0;
}

/* An interrupted run: attempts in progress that made model calls are
 * written as "interrupted" infrastructure errors with those calls, their
 * sub-calls and the commands run so far, so what was spent is on record;
 * --resume runs them again. */
static void write_unfinished(run_ctx *rc)
{
	agent_att *a;

	for (a = rc->agents; a && rc->store && !rc->failed; a = a->next) {
		if (!a->n_calls)
			continue;
		a->infra = 1;
		free(a->error_class);
		free(a->error_msg);
		a->error_class = um_xstrdup("interrupted");
		a->error_msg = um_xasprintf("%s: interrupted at turn %d, before the attempt finished "
					    "(%zu call%s recorded)",
					    a->sys->name, a->turn, a->n_calls, a->n_calls == 1 ? "" : "s");
		a->stop_reason = "interrupted";
		put_attempt(a);
	}
}

void agent_teardown_run(run_ctx *rc)
{
	size_t i;

	if (rc->workers) {
		workers_free(rc->workers);
		rc->workers = NULL;
	}
	write_unfinished(rc);
	while (rc->agents)
		att_free(rc->agents);
	if (rc->tmp_parent) {
		if (!rc->o->keep_workdirs) {
			sandbox_workdir_remove(rc->tmp_parent, NULL);
		} else {
			/* kept: no longer a leftover for the sweep */
			char *o = um_xasprintf("%s/.owner", rc->tmp_parent);
			unlink(o);
			free(o);
		}
		close(rc->tmp_lock);
		free(rc->tmp_parent);
		rc->tmp_parent = NULL;
	}
	free(rc->mask_dir);
	rc->mask_dir = NULL;
	/* every attempt removed its container; one whose rm the engine refused
	 * or whose start timed out is swept by the run's label */
	if (rc->leftover_key && container_driver(rc))
		(void)container_remove_labelled(rc->o->sandbox_driver, rc->leftover_key, NULL);
	free(rc->leftover_key);
	rc->leftover_key = NULL;
	if (rc->staged) {
		for (i = 0; i < rc->suite->n_tasks; i++)
			free(rc->staged[i]);
		free(rc->staged);
		rc->staged = NULL;
	}
	for (i = 0; i < rc->n_masks; i++)
		free(rc->masks[i]);
	free(rc->masks);
	rc->masks = NULL;
	rc->n_masks = 0;
	for (i = 0; rc->images && i < rc->suite->n_tasks; i++) {
		container_image_release(&rc->images[i]);
		free(rc->image_errors[i]);
	}
	free(rc->images);
	free(rc->image_errors);
	rc->images = NULL;
	rc->image_errors = NULL;
}


/* ---- staging ------------------------------------------------------------------ */

/* Copy a task directory into the run's directory with world-readable modes:
 * the sandbox runs as an unprivileged uid that may not reach the suite
 * where it lies (a home directory is often 0700). Links are not followed. */
static int stage_copy(const char *src, const char *dst, int depth, um_error *err)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (depth > 32)
		return um_fail(err, UM_ERR_INVALID, "%s: too deep", src);
	if (mkdir(dst, 0755) != 0 || chmod(dst, 0755) != 0)
		return um_fail(err, UM_ERR_IO, "%s: cannot create", dst);
	d = opendir(src);
	if (!d)
		return um_fail(err, UM_ERR_IO, "%s: cannot read", src);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char *s2, *d2;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		s2 = um_xasprintf("%s/%s", src, de->d_name);
		d2 = um_xasprintf("%s/%s", dst, de->d_name);
		if (lstat(s2, &st) != 0) {
			rc = um_fail(err, UM_ERR_IO, "%s: cannot stat", s2);
		} else if (S_ISDIR(st.st_mode)) {
			rc = stage_copy(s2, d2, depth + 1, err);
		} else if (S_ISREG(st.st_mode)) {
			char *data = NULL;
			size_t len = 0;
			rc = um_read_file(s2, &data, &len, err);
			if (rc == 0)
				rc = um_write_file(d2, data, len, (st.st_mode & 0111) ? 0755 : 0644,
						   err);
			if (rc == 0 && chmod(d2, (st.st_mode & 0111) ? 0755 : 0644) != 0)
				rc = um_fail(err, UM_ERR_IO, "%s: chmod", d2);
			free(data);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t k = readlink(s2, target, sizeof(target) - 1);
			if (k < 0) {
				rc = um_fail(err, UM_ERR_IO, "%s: readlink", s2);
			} else {
				target[k] = '\0';
				if (symlink(target, d2) != 0)
					rc = um_fail(err, UM_ERR_IO, "%s: symlink", d2);
			}
		}
		free(s2);
		free(d2);
	}
	closedir(d);
	return rc;
}

/* task path -> the same path under its staged copy (caller frees), or NULL */
static char *staged(const agent_att *a, const char *path)
{
	size_t n = strlen(a->task->dir);
	const char *base = a->rc->staged[a->p->item];

	if (!path || !base)
		return NULL;
	if (strncmp(path, a->task->dir, n) == 0 && (path[n] == '/' || path[n] == '\0'))
		return um_xasprintf("%s%s", base, path + n);
	return um_xstrdup(path);
}

static int stage_tasks(run_ctx *rc, um_error *err)
{
	size_t i;
	char *root = um_xasprintf("%s/tasks", rc->tmp_parent);

	if (mkdir(root, 0711) != 0 || chmod(root, 0711) != 0) {
		free(root);
		return um_fail(err, UM_ERR_IO, "%s/tasks: cannot create", rc->tmp_parent);
	}
	rc->staged = um_xcalloc(rc->suite->n_tasks, sizeof(char *));
	for (i = 0; i < rc->suite->n_tasks; i++) {
		if (rc->suite->tasks[i].unsupported)
			continue;
		rc->staged[i] = um_xasprintf("%s/%zu", root, i);
		if (stage_copy(rc->suite->tasks[i].dir, rc->staged[i], 0, err) < 0) {
			free(root);
			return um_error_prefix(err, "task %s", rc->suite->tasks[i].id);
		}
	}
	free(root);
	return 0;
}

/* ---- requests --------------------------------------------------------------- */

static json_t *first_messages(run_ctx *rc, const um_task *t, int sample, um_error *err)
{
	um_vars v = {0};
	char s[16];

	snprintf(s, sizeof(s), "%d", sample);
	um_vars_set(&v, "instruction", t->instruction);
	um_vars_set(&v, "task_id", t->id);
	um_vars_set(&v, "category", t->category);
	um_vars_set(&v, "difficulty", t->difficulty ? t->difficulty : "unknown");
	um_vars_set(&v, "sample", s);
	return scaffold_render_messages(rc->scaffold, &v, err);
}

static json_t *neutral_request(run_ctx *rc, json_t *messages)
{
	json_t *req = json_object();

	json_object_set(req, "messages", messages);
	json_object_set(req, "params", rc->scaffold->params);
	json_object_set(req, "tools", rc->scaffold->tools);
	if (rc->scaffold->reasoning)
		json_object_set(req, "reasoning", rc->scaffold->reasoning);
	return req;
}

int agent_preflight(run_ctx *rc, const um_system *sys, char **dropped, um_error *err)
{
	json_t *msgs = first_messages(rc, &rc->suite->tasks[0], 0, err), *req;
	um_wire_request w;
	int r;

	if (!msgs)
		return -1;
	req = neutral_request(rc, msgs);
	json_decref(msgs);
	memset(&w, 0, sizeof(w));
	r = provider_build(sys, req, &w, err);
	json_decref(req);
	if (r == 0)
		*dropped = um_xstrdup(w.dropped);
	wire_request_release(&w);
	return r;
}

/* ---- steps ------------------------------------------------------------------ */

static um_tool_step *new_step(agent_att *a, um_tool_phase phase, const char *tool,
			      const char *call_id, const char *command)
{
	um_tool_step *t;

	um_xgrow((void **)&a->steps, &a->cap_steps, a->n_steps + 1, sizeof(*t));
	t = &a->steps[a->n_steps];
	memset(t, 0, sizeof(*t));
	t->attempt_id = um_xstrdup(a->p->id);
	t->phase = phase;
	t->turn = a->turn;
	t->seq = (int)a->n_steps;
	t->tool = um_xstrdup(tool);
	t->call_id = um_xstrdup(call_id);
	t->command = um_xstrdup(command);
	a->n_steps++;
	return t;
}

static void fill_step(um_tool_step *t, const sandbox_result *r)
{
	um_sha256 h;

	t->has_exit = 1;
	t->exit_code = r->exit_code;
	t->signal = r->signal;
	t->timed_out = r->timed_out;
	t->duration_ms = r->wall_ms;
	t->out = um_xstrndup(um_buf_str(&r->out), r->out.len);
	t->out_len = r->out.len;
	t->err = um_xstrndup(um_buf_str(&r->err), r->err.len);
	t->err_len = r->err.len;
	t->out_bytes = (int64_t)r->out_bytes;
	t->err_bytes = (int64_t)r->err_bytes;
	t->truncated = r->out_truncated || r->err_truncated;
	if ((r->limits_hit & SANDBOX_HIT_DISK) && !t->error)
		t->error = um_xstrdup("killed: the work dir grew past resources.storage_mb");
	um_sha256_init(&h);
	um_sha256_update(&h, um_buf_str(&r->out), r->out.len);
	um_sha256_update(&h, um_buf_str(&r->err), r->err.len);
	um_sha256_final_hex(&h, t->output_sha256);
}

/* What the model sees of a command's result. */
static char *tool_result_text(const sandbox_result *r)
{
	um_buf b;

	um_buf_init(&b, 0);
	if (r->timed_out)
		um_buf_puts(&b, "the command was stopped at its time limit\n");
	if (r->limits_hit & SANDBOX_HIT_DISK)
		um_buf_puts(&b, "the command was stopped: the work directory grew past its size "
				"limit\n");
	if (r->signal)
		um_buf_printf(&b, "killed by signal %d\n", r->signal);
	else
		um_buf_printf(&b, "exit code: %d\n", r->exit_code);
	um_buf_printf(&b, "stdout:\n%s", um_buf_str(&r->out));
	if (r->out_truncated)
		um_buf_printf(&b, "\n[... %llu bytes truncated ...]",
			      (unsigned long long)(r->out_bytes - r->out.len));
	um_buf_printf(&b, "\nstderr:\n%s", um_buf_str(&r->err));
	if (r->err_truncated)
		um_buf_printf(&b, "\n[... %llu bytes truncated ...]",
			      (unsigned long long)(r->err_bytes - r->err.len));
	return um_buf_detach(&b);
}

/* ---- the attempt's end ------------------------------------------------------ */

static char *detail_json(const agent_att *a)
{
	json_t *o = json_object();
	char *t;

	json_object_set_new(o, "turns", json_integer(a->turn));
	json_object_set_new(o, "tool_calls", json_integer(a->tool_calls));
	json_object_set_new(o, "malformed_tool_calls", json_integer(a->malformed));
	json_object_set_new(o, "submitted", json_boolean(a->submitted));
	json_object_set_new(o, "stop_reason", json_string(a->stop_reason ? a->stop_reason : ""));
	json_object_set_new(o, "resolved", json_boolean(a->resolved));
	json_object_set_new(o, "verdict", json_string(a->task->swe ? "swe_tests"
							      : task_verdict_name(a->task->verdict)));
	if (a->has_reward)
		json_object_set_new(o, "reward", json_real(a->reward));
	json_object_set_new(o, "oracle",
			    json_boolean(a->rc->oracle && !a->rc->predictions && !a->replay));
	if (a->replay) {
		json_object_set(o, "replay_of", json_object_get(a->replay, "of"));
		json_object_set(o, "replayed_score", json_object_get(a->replay, "score"));
	}
	if (a->task->swe) {
		char sha[65];
		json_object_set_new(o, "patch_bytes", json_integer(a->patch ? (json_int_t)strlen(a->patch) : 0));
		if (a->patch) {
			um_sha256_hex(a->patch, strlen(a->patch), sha);
			json_object_set_new(o, "patch_sha256", json_string(sha));
		}
		json_object_set_new(o, "patch_submitted", json_boolean(!a->patch_empty));
		if (a->rc->vendor && json_is_boolean(json_object_get(a->rc->vendor, a->task->id)))
			json_object_set_new(o, "vendor_resolved",
					    json_incref(json_object_get(a->rc->vendor, a->task->id)));
		json_object_set_new(o, "patch_strategy",
				    a->strategy ? json_string(a->strategy) : json_null());
		json_object_set_new(o, "tests_timed_out", json_boolean(a->tests_timed_out));
		json_object_set_new(o, "fail_to_pass", json_pack("{s:i, s:i}", "passed", a->f2p_passed,
								"total", a->task->swe->n_fail_to_pass));
		json_object_set_new(o, "pass_to_pass", json_pack("{s:i, s:i}", "passed", a->p2p_passed,
								"total", a->task->swe->n_pass_to_pass));
		if (a->base_commit)
			json_object_set_new(o, "base_commit", json_string(a->base_commit));
		{
			/* what grading needs, so the verdict can be re-derived from the store */
			const um_swe_task *w = a->task->swe;
			json_t *l1 = json_array(), *l2 = json_array();
			int i;
			for (i = 0; i < w->n_fail_to_pass; i++)
				json_array_append_new(l1, json_string(w->fail_to_pass[i]));
			for (i = 0; i < w->n_pass_to_pass; i++)
				json_array_append_new(l2, json_string(w->pass_to_pass[i]));
			json_object_set_new(o, "fail_to_pass_names", l1);
			json_object_set_new(o, "pass_to_pass_names", l2);
			/* official grading: the verdict comes from parser.py's output */
			json_object_set_new(o, "log_parser",
					    json_string(a->rc->suite->swe.official ? "command"
										 : w->log_parser));
			if (w->log_dialect)
				json_object_set_new(o, "log_dialect", json_string(w->log_dialect));
		}
		{
			/* the rules the suite states, so the report can repeat them */
			const um_swe_rules *ru = &a->rc->suite->swe;
			json_t *st = json_array();
			int i;
			for (i = 0; i < ru->n_strategies; i++)
				json_array_append_new(st, json_string(ru->strategies[i]));
			json_object_set_new(o, "rules",
					    json_pack("{s:o, s:i, s:s, s:s}", "patch_strategies", st,
						      "fuzz", ru->fuzz, "test_name_match",
						      ru->whitespace_match ? "whitespace" : "exact",
						      "grading", ru->official ? "official" : "neutral"));
		}
	}
	json_object_set_new(o, "task_sha256", json_string(a->task->sha256));
	if (a->image_ref) {
		/* the environment is pinned like the dataset */
		json_object_set_new(o, "image", json_string(a->image_ref));
		if (a->image_id)
			json_object_set_new(o, "image_id", json_string(a->image_id));
		json_object_set_new(o, "driver", json_string(a->rc->o->sandbox_driver));
	}
	t = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return t;
}

/* Write the attempt's row, its calls (with their sub-calls) and its steps. */
static void put_attempt(agent_att *a)
{
	run_ctx *rc = a->rc;
	um_attempt_rec r;
	char *detail = detail_json(a);
	size_t i;

	memset(&r, 0, sizeof(r));
	r.attempt_id = (char *)a->p->id;
	r.item_id = a->task->id;
	r.system = a->sys->name;
	r.sample = a->p->sample;
	r.status = a->infra ? UM_ATT_ERROR : UM_ATT_DONE;
	r.perm = (char *)"";
	r.request_hash = a->parity_hash[0] ? a->parity_hash : NULL;
	r.neutral_hash = a->neutral_hash[0] ? a->neutral_hash : NULL;
	r.score = a->infra ? -1 : a->resolved;
	r.response_text = a->infra ? NULL : (a->last_text ? a->last_text : (char *)"");
	r.extracted = NULL;
	r.error_class = a->error_class;
	r.error_msg = a->error_msg;
	r.tokens_in = a->tokens_in;
	r.tokens_cached = a->tokens_cached;
	r.tokens_out = a->tokens_out;
	r.cost_micro = a->cost;
	r.latency_ms = um_mono_ms() - a->started;
	r.n_calls = (int)a->n_calls;
	r.served_model = a->served_model;
	r.fingerprint = a->fingerprint;
	r.finish_reason = (char *)a->stop_reason;
	r.finished_ms = um_wall_ms();
	r.detail_json = detail;
	r.has_reward = a->has_reward && !a->infra;
	r.reward = a->reward;
	r.image_id = (char *)a->image_id;
	if (record_put_attempt(rc, a->p, &r, a->calls, (int)a->n_calls) == 0) {
		/* a resumed attempt's steps replace those of its unfinished try */
		if (store_drop_tool_steps(rc->store, rc->run_id, a->p->id, &rc->fail_err) < 0)
			rc->failed = 1;
		for (i = 0; !rc->failed && i < a->n_steps; i++)
			if (store_put_tool_step(rc->store, rc->run_id, &a->steps[i], &rc->fail_err) < 0)
				rc->failed = 1;
		if (rc->failed)
			engine_stop(rc->eng);
	}
	free(detail);
}

static void finish(agent_att *a)
{
	run_ctx *rc = a->rc;

	put_attempt(a);
	rc->since_commit++;
	if (a->infra)
		rc->errors++;
	else
		rc->done++;
	guard_on_finish_class(rc, a->p->system, a->cost, a->error_class, a->error_msg);
	rc->lanes[a->p->system].outstanding--;
	att_free(a);
	record_commit_if_due(rc, 0);
	rc->feed(rc);
}

static void infra_error(agent_att *a, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void infra_error(agent_att *a, const char *cls, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	a->infra = 1;
	a->error_class = um_xstrdup(cls);
	a->error_msg = um_xstrdup(msg);
	finish(a);
}

/* ---- worker jobs ------------------------------------------------------------- */

/* The reference solution: a folder of its own (Harbor's solution/, whole,
 * at /solution) or a single file (at /oracle/solution.sh). */
static int solution_in_dir(const agent_att *a)
{
	const char *sp = a->task->solution_path;
	size_t n = strlen(a->task->dir);
	const char *slash;

	if (!sp || strncmp(sp, a->task->dir, n) != 0 || sp[n] != '/')
		return 0;
	slash = strrchr(sp + n + 1, '/');
	return slash != NULL;
}

/* The staged solution folder (caller frees) or NULL. */
static char *solution_dir(const agent_att *a)
{
	char *d, *slash;

	if (!solution_in_dir(a) || !a->st_solution)
		return NULL;
	d = um_xstrdup(a->st_solution);
	slash = strrchr(d, '/');
	*slash = '\0';
	return d;
}

static char *oracle_command(const agent_att *a)
{
	if (solution_in_dir(a)) {
		const char *slash = strrchr(a->task->solution_path, '/');
		return um_xasprintf("bash /solution/%s", slash + 1);
	}
	return um_xstrdup("bash /oracle/solution.sh");
}

static void set_binds(agent_att *a, int tests, int logs, int task_dir, int oracle)
{
	size_t n = 0, i;

	for (i = 0; i < a->rc->n_masks; i++)
		a->binds[n++] = (sandbox_bind){a->rc->mask_dir, a->rc->masks[i], 0};
	if (a->patches_dir)
		a->binds[n++] = (sandbox_bind){a->patches_dir, "/patches", 0};
	if (tests && a->st_tests_copy)
		a->binds[n++] = (sandbox_bind){a->st_tests_copy, "/tests", 1};
	if (logs && a->logs_dir)
		a->binds[n++] = (sandbox_bind){a->logs_dir, "/logs/verifier", 1};
	if (task_dir)
		a->binds[n++] = (sandbox_bind){a->st_dir, "/task", 0};
	if (oracle && a->st_solution_dir)
		a->binds[n++] = (sandbox_bind){a->st_solution_dir, "/solution", 0};
	else if (oracle && a->st_solution)
		a->binds[n++] = (sandbox_bind){a->st_solution, "/oracle/solution.sh", 0};
	a->spec.binds = a->binds;
	a->spec.n_binds = n;
}

static void copy_files(agent_att *a)
{
	DIR *d = opendir(a->st_files);
	struct dirent *de;

	if (!d) {
		a->job_rc = um_fail(&a->job_err, UM_ERR_IO, "%s: cannot read", a->st_files);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char *src;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		src = um_xasprintf("%s/%s", a->st_files, de->d_name);
		if (sandbox_copy_in(&a->spec, src, de->d_name, &a->job_err) < 0)
			a->job_rc = -1;
		free(src);
		if (a->job_rc < 0)
			break;
	}
	closedir(d);
}

static char *rel_to_task(const agent_att *a, const char *path)
{
	size_t n = strlen(a->task->dir);

	if (!path)
		return NULL;
	if (strncmp(path, a->task->dir, n) == 0 && path[n] == '/')
		return um_xstrdup(path + n + 1);
	return um_xstrdup(path);
}

/* Run one shell command of the attempt where it runs: in the attempt's
 * container, or in a fresh sandbox. extra: the phase's own env table
 * ([verifier.env], [solution.env]); the task's [environment.env] applies to
 * every command (in a container it was given at its start). */
static int att_exec(agent_att *a, const char *script, char *const *extra, int n_extra,
		    sandbox_result *res, um_error *err)
{
	const um_task *t = a->task;
	const char **env = um_xcalloc((size_t)(t->n_env + n_extra + 1), sizeof(char *));
	size_t n = 0;
	int i, rc;

	for (i = 0; !a->use_ct && i < t->n_env; i++)
		env[n++] = t->env[i];
	for (i = 0; i < n_extra; i++)
		env[n++] = extra[i];
	a->spec.env = env;
	a->spec.n_env = n;
	if (a->use_ct) {
		sandbox_result_release(res);
		sandbox_result_init(res);
		rc = container_exec(&a->ct, &a->spec, script, NULL, 0, res, err);
	} else {
		rc = sandbox_exec_sh(&a->spec, script, NULL, 0, res, err);
	}
	a->spec.env = NULL;
	a->spec.n_env = 0;
	free(env);
	return rc;
}

/* A short command of the harness in the container (mkdir, rm). */
static int ct_admin(agent_att *a, const char *script)
{
	sandbox_result r;
	int rc;

	sandbox_result_init(&r);
	a->spec.limits.wall_ms = 120000;
	rc = container_exec(&a->ct, &a->spec, script, NULL, 0, &r, &a->job_err);
	if (rc == 0 && (r.exit_code != 0 || r.timed_out))
		rc = um_fail(&a->job_err, UM_ERR_IO, "`%s` failed in the container: %.300s", script,
			     um_buf_str(&r.err));
	sandbox_result_release(&r);
	return rc;
}

/* The attempt's container: started from the task's image with its limits,
 * /logs made, files/ merged into the work dir, setup.sh run with the task
 * folder at /task (removed again before the agent starts). */
static int ct_setup(agent_att *a)
{
	const um_task *t = a->task;
	run_ctx *rc = a->rc;
	const char *wd = t->workdir ? t->workdir
				    : (t->image || t->build_dir) ? NULL : SANDBOX_WORK_MOUNT;
	sandbox_spec s = a->spec;
	char name[96], *rel;

	snprintf(name, sizeof(name), "umpire-%016llx-%016llx",
		 (unsigned long long)um_hash64(rc->leftover_key, strlen(rc->leftover_key), 0),
		 (unsigned long long)um_hash64(a->p->id, strlen(a->p->id), 0));
	s.env = (const char *const *)t->env;
	s.n_env = (size_t)t->n_env;
	if (container_start(&a->ct, &s, name, wd, rc->leftover_key, &a->res, &a->job_err) < 0)
		return -1;
	if (ct_admin(a, "mkdir -p /logs/agent /logs/verifier") < 0)
		return -1;
	if (a->st_files && container_copy_in(&a->ct, a->st_files, a->ct.workdir, 0, &a->job_err) < 0)
		return -1;
	if (!t->setup_path)
		return 0;
	if (container_copy_in(&a->ct, a->st_dir, "/task", 1, &a->job_err) < 0)
		return -1;
	rel = rel_to_task(a, t->setup_path);
	free(a->job_cmd);
	a->job_cmd = um_xasprintf("bash /task/%s", rel);
	free(rel);
	a->spec.limits.wall_ms = (int64_t)t->agent_timeout_s * 1000;
	if (att_exec(a, a->job_cmd, NULL, 0, &a->res, &a->job_err) < 0)
		return -1;
	return ct_admin(a, "rm -rf /task");
}

static void job_setup(agent_att *a)
{
	const um_task *t = a->task;

	if (a->use_ct) {
		if (ct_setup(a) < 0)
			a->job_rc = -1;
		return;
	}
	if (t->swe && swe_materialize(a, UM_PHASE_SETUP, &a->res) < 0) {
		a->job_rc = -1;
		return;
	}
	if (t->files_dir)
		copy_files(a);
	if (a->job_rc == 0 && t->setup_path) {
		set_binds(a, 0, 0, 1, 0);
		a->spec.limits.wall_ms = (int64_t)t->agent_timeout_s * 1000;
		a->job_rc = att_exec(a, a->job_cmd, NULL, 0, &a->res, &a->job_err);
	}
}

static void agent_cmd_limits(agent_att *a)
{
	a->spec.limits.wall_ms = (int64_t)a->rc->scaffold->agent.command_timeout_s * 1000;
	a->spec.limits.out_max = (size_t)a->rc->scaffold->agent.output_limit_bytes;
	a->spec.limits.err_max = (size_t)a->rc->scaffold->agent.output_limit_bytes;
}

static void job_oracle(agent_att *a)
{
	const um_task *t = a->task;

	a->spec.limits.wall_ms = (int64_t)t->agent_timeout_s * 1000;
	a->spec.limits.out_max = VERIFY_OUT_MAX;
	a->spec.limits.err_max = VERIFY_OUT_MAX;
	if (!a->use_ct) {
		set_binds(a, 0, 0, 0, 1);
	} else if (a->st_solution_dir) {
		a->job_rc = container_copy_in(&a->ct, a->st_solution_dir, "/solution", 1,
					      &a->job_err);
	} else {
		a->job_rc = container_copy_in(&a->ct, a->st_solution, "/oracle/solution.sh", 1,
					      &a->job_err);
	}
	if (a->job_rc == 0)
		a->job_rc = att_exec(a, a->job_cmd, t->solution_env, t->n_solution_env, &a->res,
				     &a->job_err);
}

static void job_replay(agent_att *a)
{
	const json_t *cmds = json_object_get(a->replay, "commands"), *c;
	size_t i;

	if (!a->use_ct)
		set_binds(a, 0, 0, 0, 0);
	json_array_foreach(cmds, i, c) {
		um_tool_step *st;
		agent_cmd_limits(a);
		sandbox_result_release(&a->res);
		sandbox_result_init(&a->res);
		a->job_rc = att_exec(a, json_string_value(c), NULL, 0, &a->res, &a->job_err);
		if (a->job_rc < 0)
			break;
		st = new_step(a, UM_PHASE_AGENT, "bash", NULL, json_string_value(c));
		fill_step(st, &a->res);
		a->tool_calls++;
	}
}

/* Verification, as Harbor does it: what the agent left running is stopped,
 * the tests are copied in writable at /tests, /logs/verifier is emptied, the
 * test command runs with [verifier.env], and the reward files are read from
 * a copy of /logs/verifier. */
static void job_verify(agent_att *a)
{
	const um_task *t = a->task;

	a->spec.limits.wall_ms = (int64_t)t->verifier_timeout_s * 1000;
	a->spec.limits.out_max = VERIFY_OUT_MAX;
	a->spec.limits.err_max = VERIFY_OUT_MAX;
	if (!a->use_ct) {
		set_binds(a, 1, 1, 0, 0);
		a->job_rc = att_exec(a, t->test_command, t->verifier_env, t->n_verifier_env, &a->res,
				     &a->job_err);
		return;
	}
	if (container_kill_all(&a->ct, &a->job_err) < 0 ||
	    container_copy_in(&a->ct, a->st_tests, "/tests", 1, &a->job_err) < 0 ||
	    ct_admin(a, "rm -rf /logs/verifier && mkdir -p /logs/verifier") < 0) {
		a->job_rc = -1;
		return;
	}
	a->spec.limits.wall_ms = (int64_t)t->verifier_timeout_s * 1000;
	a->job_rc = att_exec(a, t->test_command, t->verifier_env, t->n_verifier_env, &a->res,
			     &a->job_err);
	if (a->job_rc == 0 &&
	    container_copy_out(&a->ct, "/logs/verifier", a->logs_dir, &a->job_err) < 0)
		a->job_rc = -1;
}

static void run_job(void *ctx)
{
	agent_att *a = ctx;

	sandbox_result_release(&a->res);
	sandbox_result_init(&a->res);
	a->job_rc = 0;
	switch (a->job) {
	case J_DIFF:
		swe_diff(a);
		break;
	case J_GRADE:
		swe_grade(a);
		break;
	case J_SETUP:
		job_setup(a);
		break;
	case J_TOOL:
		if (!a->use_ct)
			set_binds(a, 0, 0, 0, 0);
		agent_cmd_limits(a);
		a->job_rc = att_exec(a, a->job_cmd, NULL, 0, &a->res, &a->job_err);
		break;
	case J_ORACLE:
		job_oracle(a);
		break;
	case J_REPLAY:
		job_replay(a);
		break;
	case J_VERIFY:
		job_verify(a);
		break;
	}
}


/* ---- repository repair (kind swe) ---------------------------------------- */

#define SWE_PATCH_MAX (16 * 1024 * 1024)
#define GIT_FIXED "GIT_AUTHOR_NAME=umpire GIT_AUTHOR_EMAIL=umpire@localhost " \
		  "GIT_COMMITTER_NAME=umpire GIT_COMMITTER_EMAIL=umpire@localhost " \
		  "GIT_AUTHOR_DATE=2000-01-01T00:00:00Z GIT_COMMITTER_DATE=2000-01-01T00:00:00Z "

/* Run one script in the attempt's sandbox (worker thread) and record it. */
static int swe_step(agent_att *a, um_tool_phase phase, const char *tool, const char *script,
		    int64_t wall_ms, sandbox_result *res)
{
	um_tool_step *st;

	sandbox_result_release(res);
	sandbox_result_init(res);
	a->spec.limits.wall_ms = wall_ms;
	a->spec.limits.out_max = SWE_PATCH_MAX;
	a->spec.limits.err_max = VERIFY_OUT_MAX;
	if (sandbox_exec_sh(&a->spec, script, NULL, 0, res, &a->job_err) < 0)
		return -1;
	st = new_step(a, phase, tool, NULL, script);
	fill_step(st, res);
	return 0;
}

/* Copy the staged repository into the work dir and make it a git repository
 * at the base commit, with a fixed author and date so the commit id is the
 * same everywhere. Sets a->base_commit. Worker thread. */
static int swe_materialize(agent_att *a, um_tool_phase phase, sandbox_result *res)
{
	const um_swe_task *w = a->task->swe;
	char *script, *rel = NULL;
	int64_t wall = (int64_t)a->task->verifier_timeout_s * 1000;

	if (w->repo_dir) {
		char *st_repo = staged(a, w->repo_dir);
		DIR *d = opendir(st_repo);
		struct dirent *de;
		int rc = 0;

		if (!d) {
			um_fail(&a->job_err, UM_ERR_IO, "%s: cannot read", st_repo);
			free(st_repo);
			return -1;
		}
		while (rc == 0 && (de = readdir(d)) != NULL) {
			char *src;
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			src = um_xasprintf("%s/%s", st_repo, de->d_name);
			rc = sandbox_copy_in(&a->spec, src, de->d_name, &a->job_err);
			free(src);
		}
		closedir(d);
		free(st_repo);
		if (rc < 0)
			return -1;
		script = um_xstrdup("set -e\n"
				    "if [ ! -d .git ]; then\n"
				    "  git init -q\n"
				    "  git add -A\n"
				    "  env " GIT_FIXED "git -c commit.gpgsign=false commit -q --allow-empty -m base\n"
				    "fi\n"
				    "git rev-parse HEAD\n");
	} else {
		rel = rel_to_task(a, w->repo_archive);
		script = um_xasprintf("set -e\n"
				      "case '%s' in\n"
				      "  *.bundle) git clone -q /task/'%s' /tmp/repo && cp -a /tmp/repo/. . ;;\n"
				      "  *) tar -xf /task/'%s' -C . ;;\n"
				      "esac\n"
				      "if [ ! -d .git ]; then\n"
				      "  git init -q\n"
				      "  git add -A\n"
				      "  env " GIT_FIXED "git -c commit.gpgsign=false commit -q --allow-empty -m base\n"
				      "fi\n"
				      "%s%s%s"
				      "git rev-parse HEAD\n",
				      rel, rel, rel, w->base_commit ? "git checkout -q '" : "",
				      w->base_commit ? w->base_commit : "", w->base_commit ? "'\n" : "");
		free(rel);
	}
	set_binds(a, 0, 0, w->repo_archive != NULL, 0);
	if (swe_step(a, phase, "repository", script, wall, res) < 0) {
		free(script);
		return -1;
	}
	free(script);
	if (res->exit_code != 0 || res->timed_out)
		return um_fail(&a->job_err, UM_ERR_INVALID,
			       "the repository could not be set up (exit %d): %.300s",
			       res->exit_code, um_buf_str(&res->err));
	free(a->base_commit);
	a->base_commit = um_xstrdup(um_trim((char *)um_buf_str(&res->out)));
	return 0;
}

/* The agent's work as a patch against the base commit, binary sections
 * stripped. Worker thread. */
static void swe_diff(agent_att *a)
{
	char *script = um_xasprintf("git add -A >/dev/null 2>&1; git diff --cached --no-color "
				    "--no-ext-diff '%s'",
				    a->base_commit ? a->base_commit : "HEAD");

	set_binds(a, 0, 0, 0, 0);
	a->job_rc = swe_step(a, UM_PHASE_VERIFY, "diff", script,
			     (int64_t)a->task->verifier_timeout_s * 1000, &a->res);
	free(script);
	if (a->job_rc == 0) {
		free(a->patch);
		a->patch = swe_strip_binary(um_buf_str(&a->res.out));
	}
}

/* Write text to dir/name for the sandbox to read (0644). */
static int put_file(const char *dir, const char *name, const char *text, um_error *err)
{
	char *p = um_xasprintf("%s/%s", dir, name);
	int rc = um_write_file(p, text, strlen(text), 0644, err);

	if (rc == 0 && chmod(p, 0644) != 0)
		rc = um_fail(err, UM_ERR_IO, "%s: chmod", p);
	free(p);
	return rc;
}

static const char *strategy_script(const char *name, int fuzz, char *buf, size_t n)
{
	if (!strcmp(name, "git_apply"))
		snprintf(buf, n, "git apply -v /patches/model.patch");
	else if (!strcmp(name, "git_apply_3way"))
		snprintf(buf, n, "git apply -v --3way /patches/model.patch");
	else
		snprintf(buf, n, "patch --batch --fuzz=%d -p1 -i /patches/model.patch", fuzz);
	return buf;
}

/* Grading step: a fresh work dir and the patches dir with the model's, the
 * test and the gold patch in it; the repository at its base commit. Returns
 * the patches dir (the caller removes it) or NULL with a->job_rc set. */
static char *grade_prepare(agent_att *a)
{
	run_ctx *rc = a->rc;
	const um_swe_task *w = a->task->swe;
	char *patches;

	if (a->work_dir && !rc->o->keep_workdirs)
		sandbox_workdir_remove(a->work_dir, NULL);
	free(a->work_dir);
	a->work_dir = sandbox_workdir_new(&a->spec, rc->tmp_parent, "grade", &a->job_err);
	patches = sandbox_workdir_new(&a->spec, rc->tmp_parent, "patches", &a->job_err);
	if (!a->work_dir || !patches ||
	    chmod(patches, 0755) != 0 || put_file(patches, "model.patch", a->patch, &a->job_err) < 0 ||
	    (w->test_patch && put_file(patches, "test.patch", w->test_patch, &a->job_err) < 0) ||
	    (w->gold_patch && put_file(patches, "gold.patch", w->gold_patch, &a->job_err) < 0)) {
		a->job_rc = -1;
		return patches;
	}
	a->spec.work_dir = a->work_dir;
	if (swe_materialize(a, UM_PHASE_VERIFY, &a->res) < 0) {
		a->job_rc = -1;
		return patches;
	}
	a->patches_dir = patches;
	set_binds(a, 0, 0, 0, 0);
	return patches;
}

/* Grading step: the suite's patch strategies in order until one applies
 * (a reset after each that did not). 1 applied, 0 not, -1 error. */
static int grade_apply(agent_att *a)
{
	const um_swe_rules *rules = &a->rc->suite->swe;
	int64_t wall = (int64_t)a->task->verifier_timeout_s * 1000;
	char buf[256];
	int i;

	for (i = 0; i < rules->n_strategies; i++) {
		strategy_script(rules->strategies[i], rules->fuzz, buf, sizeof(buf));
		if (swe_step(a, UM_PHASE_VERIFY, rules->strategies[i], buf, wall, &a->res) < 0)
			return -1;
		if (a->res.exit_code == 0 && !a->res.timed_out) {
			a->strategy = rules->strategies[i];
			return 1;
		}
		if (swe_step(a, UM_PHASE_VERIFY, "reset", "git reset -q --hard && git clean -qfdx", wall,
			     &a->res) < 0)
			return -1;
	}
	return 0;
}

/* Grading step: the task's tests restored, from the test patch or as files
 * of the gold tree (gold + test patch applied in a scratch copy). 0 or -1. */
static int grade_restore_tests(agent_att *a)
{
	const um_swe_task *w = a->task->swe;
	char *script = NULL;
	int i, rc;

	if (w->n_test_files) {
		um_buf sb;
		um_buf_init(&sb, 0);
		um_buf_printf(&sb, "set -e\nrm -rf /tmp/gold && mkdir /tmp/gold && git archive HEAD"
				   " | tar -x -C /tmp/gold\ncd /tmp/gold && git init -q && "
				   "git apply /patches/gold.patch /patches/test.patch\ncd /work\n");
		for (i = 0; i < w->n_test_files; i++)
			um_buf_printf(&sb, "mkdir -p \"$(dirname '%s')\" && cp /tmp/gold/'%s' '%s'\n",
				      w->test_files[i], w->test_files[i], w->test_files[i]);
		script = um_buf_detach(&sb);
	} else if (w->test_patch) {
		script = um_xstrdup("git apply -v /patches/test.patch");
	}
	if (!script)
		return 0;
	rc = swe_step(a, UM_PHASE_VERIFY, "tests", script,
		      (int64_t)a->task->verifier_timeout_s * 1000, &a->res);
	free(script);
	if (rc < 0)
		return -1;
	if (a->res.exit_code != 0)
		return um_fail(&a->job_err, UM_ERR_INVALID,
			       "the task's tests could not be restored: %.300s",
			       um_buf_str(&a->res.err));
	return 0;
}

/* Grading step: the test log (stdout, a newline, stderr) parsed by the task's
 * parser, or by its parser command. 0 with *results filled, or -1. */
static int grade_parse(agent_att *a, const char *log, size_t log_len, swe_results *results)
{
	const um_swe_task *w = a->task->swe;
	swe_log_format fmt;
	swe_dialect dialect;
	sandbox_result pr;
	int rc;

	swe_results_init(results);
	if (swe_log_format_parse(w->log_parser, &fmt, &a->job_err) < 0 ||
	    swe_dialect_parse(w->log_dialect, &dialect, &a->job_err) < 0)
		return -1;
	if (fmt != SWE_LOG_COMMAND) {
		swe_results_release(results);
		return swe_parse_log_dialect(fmt, dialect, log, log_len, results, &a->job_err);
	}
	sandbox_result_init(&pr);
	a->spec.limits.wall_ms = (int64_t)a->task->verifier_timeout_s * 1000;
	rc = sandbox_exec_sh(&a->spec, w->log_parser_command, log, log_len, &pr, &a->job_err);
	if (rc == 0) {
		fill_step(new_step(a, UM_PHASE_VERIFY, "log_parser", NULL, w->log_parser_command), &pr);
		swe_results_release(results);
		rc = swe_parse_log(fmt, um_buf_str(&pr.out), pr.out.len, results, &a->job_err);
	}
	sandbox_result_release(&pr);
	return rc;
}

/* Grading step: run the test command, parse its log, match the lists. */
static int grade_run_tests(agent_att *a)
{
	const um_swe_task *w = a->task->swe;
	sandbox_result *res = &a->res;
	swe_results results;
	swe_resolution reso;
	swe_name_list f2p, p2p;
	um_buf combined;
	int rc;

	if (swe_step(a, UM_PHASE_VERIFY, "verifier", a->task->test_command,
		     (int64_t)a->task->verifier_timeout_s * 1000, res) < 0)
		return -1;
	if (res->timed_out) {
		a->tests_timed_out = 1;
		return 0;
	}
	um_buf_init(&combined, 0);
	um_buf_append(&combined, um_buf_str(&res->out), res->out.len);
	um_buf_putc(&combined, '\n');
	um_buf_append(&combined, um_buf_str(&res->err), res->err.len);
	rc = grade_parse(a, um_buf_str(&combined), combined.len, &results);
	um_buf_release(&combined);
	if (rc < 0) {
		swe_results_release(&results);
		return -1;
	}
	f2p.names = w->fail_to_pass;
	f2p.n = (size_t)w->n_fail_to_pass;
	p2p.names = w->pass_to_pass;
	p2p.n = (size_t)w->n_pass_to_pass;
	a->resolved = swe_resolve(&results, &f2p, &p2p,
				  a->rc->suite->swe.whitespace_match ? SWE_MATCH_WHITESPACE
								     : SWE_MATCH_EXACT,
				  &reso);
	a->f2p_passed = (int)reso.fail_to_pass.n_passed;
	a->p2p_passed = (int)reso.pass_to_pass.n_passed;
	swe_resolution_release(&reso);
	swe_results_release(&results);
	return 0;
}

/* Read DIR/sub/ID/name into *text; 0 or -1 (err names the path). */
static int read_official(const char *dir, const char *sub, const char *id, const char *name,
			 char **text, um_error *err)
{
	char *p = um_xasprintf("%s/%s/%s/%s", dir, sub, id, name);
	int rc = um_read_file(p, text, NULL, err);

	free(p);
	return rc;
}

/* Grading step (profile official): the instance's workspace as SWE-Bench
 * Pro's evaluation lays it out (patch.diff with binary hunks stripped,
 * run_script.sh, parser.py, entryscript.sh). Returns the workspace dir or
 * NULL with a->job_rc set. */
static char *official_workspace(agent_att *a)
{
	const char *dir = a->rc->o->swe_scripts, *id = a->task->id;
	const um_swe_task *w = a->task->swe;
	char *run = NULL, *parser = NULL, *base = NULL, *inst = NULL, *env = NULL, *entry = NULL;
	char *patch = swe_strip_binary(a->patch), *ws = NULL;

	if (!dir) {
		a->job_rc = um_fail(&a->job_err, UM_ERR_USAGE,
				    "task %s: the official grading needs --swe-scripts DIR (a checkout "
				    "of SWE-Bench Pro's repository)", id);
		goto out;
	}
	if (read_official(dir, "run_scripts", id, "run_script.sh", &run, &a->job_err) < 0 ||
	    read_official(dir, "run_scripts", id, "parser.py", &parser, &a->job_err) < 0 ||
	    read_official(dir, "dockerfiles/base_dockerfile", id, "Dockerfile", &base, &a->job_err) < 0 ||
	    read_official(dir, "dockerfiles/instance_dockerfile", id, "Dockerfile", &inst,
			  &a->job_err) < 0) {
		a->job_rc = -1;
		goto out;
	}
	swe_dockerfile_env(base, &env);
	swe_dockerfile_env(inst, &env);
	entry = swe_official_entryscript(env, w->base_commit ? w->base_commit : "HEAD",
					 w->before_repo_set_cmd, w->selected_test_files,
					 (size_t)w->n_selected_test_files);
	ws = sandbox_workdir_new(&a->spec, a->rc->tmp_parent, "workspace", &a->job_err);
	if (!ws || chmod(ws, 0777) != 0 || put_file(ws, "patch.diff", patch, &a->job_err) < 0 ||
	    put_file(ws, "run_script.sh", run, &a->job_err) < 0 ||
	    put_file(ws, "parser.py", parser, &a->job_err) < 0 ||
	    put_file(ws, "entryscript.sh", entry, &a->job_err) < 0)
		a->job_rc = -1;
out:
	free(run);
	free(parser);
	free(base);
	free(inst);
	free(env);
	free(entry);
	free(patch);
	return ws;
}

/* A swe task graded in its own container image (docker/podman): the
 * repository is the image's /app. */
static int in_image(const agent_att *a)
{
	return (a->task->image || a->task->build_dir) && container_driver(a->rc);
}

/* Grading step (profile official, in the task's image): one container from
 * the image, workdir /app (the image's repository), the workspace copied in
 * at /workspace, the entry script run as the image's user, the workspace
 * copied back into ws. 0 when the script ran, -1 with a->job_err. */
static int official_in_image(agent_att *a, const char *ws)
{
	run_ctx *rc = a->rc;
	const char *cmd = "bash /workspace/entryscript.sh";
	sandbox_spec s = a->spec;
	container ct;
	char name[96];
	int r;

	snprintf(name, sizeof(name), "umpire-%016llx-%016llx-g",
		 (unsigned long long)um_hash64(rc->leftover_key, strlen(rc->leftover_key), 0),
		 (unsigned long long)um_hash64(a->p->id, strlen(a->p->id), 0));
	s.env = (const char *const *)a->task->env;
	s.n_env = (size_t)a->task->n_env;
	s.n_binds = 0;
	sandbox_result_release(&a->res);
	sandbox_result_init(&a->res);
	r = container_start(&ct, &s, name, "/app", rc->leftover_key, &a->res, &a->job_err);
	if (r == 0)
		r = container_copy_in(&ct, ws, "/workspace", 1, &a->job_err);
	if (r == 0) {
		s.env = NULL;
		s.n_env = 0;
		s.limits.wall_ms = (int64_t)a->task->verifier_timeout_s * 1000;
		s.limits.out_max = SWE_PATCH_MAX;
		s.limits.err_max = VERIFY_OUT_MAX;
		sandbox_result_release(&a->res);
		sandbox_result_init(&a->res);
		r = container_exec(&ct, &s, cmd, NULL, 0, &a->res, &a->job_err);
		if (r == 0)
			fill_step(new_step(a, UM_PHASE_VERIFY, "verifier", NULL, cmd), &a->res);
	}
	if (r == 0 && !a->res.timed_out)
		r = container_copy_out(&ct, "/workspace", ws, &a->job_err);
	container_stop(&ct);
	return r;
}

/* Grading step (profile official): the test run's own logs, stdout.log and
 * stderr.log of the workspace, stored as the step test_log (its stdout and
 * stderr, each kept up to the step limit), so that parser.py can be run on
 * them again by hand. Nothing when the script did not get so far. */
static void official_logs(agent_att *a, const char *ws)
{
	char *po = um_xasprintf("%s/stdout.log", ws), *pe = um_xasprintf("%s/stderr.log", ws);
	char *out = NULL, *err = NULL;
	size_t no = 0, ne = 0;
	um_error e = {0};
	sandbox_result r;

	if (um_read_file(po, &out, &no, &e) == 0 && um_read_file(pe, &err, &ne, &e) == 0) {
		sandbox_result_init(&r);
		r.out.max = r.err.max = SWE_PATCH_MAX;
		um_buf_append(&r.out, out, no);
		um_buf_append(&r.err, err, ne);
		fill_step(new_step(a, UM_PHASE_VERIFY, "test_log", NULL,
				   "bash /workspace/run_script.sh"), &r);
		sandbox_result_release(&r);
	}
	free(out);
	free(err);
	free(po);
	free(pe);
}

/* Grading step (profile official), kept beside parser.py's verdict: the
 * task's neutral C parser (log_parser, log_dialect) on the same logs, read
 * as the neutral profile reads a test run (stdout.log, a newline,
 * stderr.log), stored as the step neutral_parser in parser.py's shape with
 * each name's umpire status and whether any of its reports passed, so the
 * two can be compared name by name. Nothing when the task's parser is
 * `command` or a log is missing. */
static void official_neutral(agent_att *a, const char *ws)
{
	const um_swe_task *w = a->task->swe;
	char *po = um_xasprintf("%s/stdout.log", ws), *pe = um_xasprintf("%s/stderr.log", ws);
	char *out = NULL, *err = NULL, *cmd, *text;
	size_t no = 0, ne = 0, i;
	swe_log_format fmt;
	swe_dialect d;
	swe_results r;
	um_error e = {0};
	sandbox_result pr;
	um_buf log;
	json_t *tests, *doc;

	swe_results_init(&r);
	um_buf_init(&log, 0);
	if (swe_log_format_parse(w->log_parser, &fmt, &e) < 0 || fmt == SWE_LOG_COMMAND ||
	    swe_dialect_parse(w->log_dialect, &d, &e) < 0 || um_read_file(po, &out, &no, &e) < 0 ||
	    um_read_file(pe, &err, &ne, &e) < 0)
		goto out;
	um_buf_append(&log, out, no);
	um_buf_putc(&log, '\n');
	um_buf_append(&log, err, ne);
	swe_results_release(&r);
	if (swe_parse_log_dialect(fmt, d, um_buf_str(&log), log.len, &r, &e) < 0)
		goto out;
	tests = json_array();
	for (i = 0; i < r.n && tests; i++) {
		json_t *t = json_pack("{s:s, s:s, s:b}", "name", r.v[i].name, "status",
				      swe_status_name(r.v[i].status), "passed", r.v[i].any_passed);
		if (!t) { /* a name that is not UTF-8 */
			json_decref(tests);
			tests = NULL;
		} else {
			json_array_append_new(tests, t);
		}
	}
	doc = json_pack("{s:o?}", "tests", tests);
	text = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(doc);
	cmd = um_xasprintf("log_parser %s%s%s /workspace/stdout.log /workspace/stderr.log",
			   swe_log_format_name(fmt), d != SWE_DIALECT_UMPIRE ? " --dialect " : "",
			   d != SWE_DIALECT_UMPIRE ? swe_dialect_name(d) : "");
	sandbox_result_init(&pr);
	um_buf_puts(&pr.out, text ? text : "{\"tests\": null}");
	fill_step(new_step(a, UM_PHASE_VERIFY, "neutral_parser", NULL, cmd), &pr);
	sandbox_result_release(&pr);
	free(cmd);
	free(text);
out:
	swe_results_release(&r);
	um_buf_release(&log);
	free(out);
	free(err);
	free(po);
	free(pe);
}

/* Grading step (profile official): run the entry script with the repository
 * at /app and the workspace at /workspace, then resolve from parser.py's
 * output.json: (FAIL_TO_PASS ∪ PASS_TO_PASS) ⊆ PASSED by exact name. No
 * output.json is unresolved, as in the official evaluation. 0 or -1. */
static int grade_official(agent_att *a)
{
	const um_swe_task *w = a->task->swe;
	char *ws = official_workspace(a), *path, *out = NULL;
	size_t n = 0, k = a->spec.n_binds;
	um_error perr = {0};
	swe_results results;
	swe_resolution reso;
	swe_name_list f2p = {w->fail_to_pass, (size_t)w->n_fail_to_pass};
	swe_name_list p2p = {w->pass_to_pass, (size_t)w->n_pass_to_pass};
	int rc = a->job_rc;

	if (rc == 0 && in_image(a)) {
		rc = official_in_image(a, ws);
	} else if (rc == 0) {
		a->binds[k++] = (sandbox_bind){ws, "/workspace", 1};
		a->binds[k++] = (sandbox_bind){a->work_dir, "/app", 1};
		a->spec.n_binds = k;
		rc = swe_step(a, UM_PHASE_VERIFY, "verifier", "bash /workspace/entryscript.sh",
			      (int64_t)a->task->verifier_timeout_s * 1000, &a->res);
	}
	if (rc == 0 && a->res.timed_out)
		a->tests_timed_out = 1;
	a->strategy = "official";
	if (rc == 0 && ws)
		official_logs(a, ws);
	path = ws ? um_xasprintf("%s/output.json", ws) : NULL;
	if (rc == 0 && !a->tests_timed_out && path && um_read_file(path, &out, &n, &perr) == 0) {
		if (swe_parse_command_output(out, n, &results, &perr) == 0) {
			a->resolved = swe_resolve(&results, &f2p, &p2p, SWE_MATCH_EXACT, &reso);
			a->f2p_passed = (int)reso.fail_to_pass.n_passed;
			a->p2p_passed = (int)reso.pass_to_pass.n_passed;
			swe_resolution_release(&reso);
		}
		swe_results_release(&results);
		{
			/* parser.py's output, kept so the verdict can be re-derived */
			sandbox_result pr;
			sandbox_result_init(&pr);
			um_buf_append(&pr.out, out, n);
			fill_step(new_step(a, UM_PHASE_VERIFY, "log_parser", NULL,
					   "python /workspace/parser.py"), &pr);
			sandbox_result_release(&pr);
		}
		official_neutral(a, ws);
	}
	free(out);
	free(path);
	if (ws) {
		if (!a->rc->o->keep_workdirs)
			sandbox_workdir_remove(ws, NULL);
		free(ws);
	}
	return rc;
}

/* Grade a patch the way docs/swe.md says: fresh repository, patch strategies
 * in order, tests restored, test command, log parsed, lists matched. Worker
 * thread; sets a->resolved and the details. */
static void swe_grade(agent_att *a)
{
	char *patches;
	int applied;

	a->job_rc = 0;
	a->patch_empty = !a->patch || swe_patch_is_empty(a->patch);
	if (a->patch_empty)
		return; /* nothing to apply: unresolved */
	/* in its image the repository is the image's own: nothing to prepare */
	patches = in_image(a) ? NULL : grade_prepare(a);
	if (a->job_rc == 0 && a->rc->suite->swe.official) {
		if (grade_official(a) < 0)
			a->job_rc = -1;
	} else if (a->job_rc == 0) {
		applied = grade_apply(a);
		if (applied < 0)
			a->job_rc = -1;
		else if (applied && grade_restore_tests(a) < 0) /* not applied: unresolved */
			a->job_rc = -1;
		else if (applied && grade_run_tests(a) < 0)
			a->job_rc = -1;
	}
	if (patches) {
		if (!a->rc->o->keep_workdirs)
			sandbox_workdir_remove(patches, NULL);
		if (a->patches_dir == patches)
			a->patches_dir = NULL;
		free(patches);
	}
}

static void start_turn(agent_att *a);
static void start_verify(agent_att *a);
static void job_done(void *ctx);
static int copy_tests(agent_att *a, um_error *e);
static void next_tool_call(agent_att *a);

/* A reward as Harbor writes it: reward.txt holding one number, or
 * reward.json with "reward" (or its only numeric member). 1 when found. */
static int read_reward(agent_att *a, double *out)
{
	char *data = NULL, *end;
	um_error e = {0};
	int found = 0;

	if (sandbox_read_file(a->logs_dir, "reward.txt", 4096, &data, NULL, &e) == 0) {
		*out = strtod(um_trim(data), &end);
		found = *data && !*end;
	} else if (sandbox_read_file(a->logs_dir, "reward.json", 65536, &data, NULL, &e) == 0) {
		json_t *j = json_loads(data, JSON_DECODE_ANY, NULL), *r, *v;
		const char *k;

		r = json_is_object(j) ? json_object_get(j, "reward") : NULL;
		if (!r && json_is_object(j) && json_object_size(j) == 1)
			json_object_foreach(j, k, v) r = v;
		if (json_is_number(r)) {
			*out = json_number_value(r);
			found = 1;
		}
		if (j)
			json_decref(j);
	}
	free(data);
	return found;
}

static void judge(agent_att *a)
{
	const um_task *t = a->task;

	if (a->res.timed_out) {
		/* its own outcome: a reward written before the deadline is not counted */
		a->verifier_timed_out = 1;
		return;
	}
	switch (t->verdict) {
	case UM_VERDICT_EXIT_CODE:
		a->resolved = a->res.exit_code == 0;
		break;
	case UM_VERDICT_PYTEST:
		a->resolved = task_pytest_passed(um_buf_str(&a->res.out));
		break;
	case UM_VERDICT_REWARD_FILE:
		a->has_reward = read_reward(a, &a->reward);
		a->resolved = a->has_reward && isfinite(a->reward) && a->reward >= 1.0;
		break;
	}
}

static void done_setup(agent_att *a)
{
	run_ctx *rc = a->rc;
	um_tool_step *st;

	if (a->job_rc < 0) {
		infra_error(a, a->use_ct ? "container" : "sandbox",
			    "task %s: setup could not run: %s", a->task->id, a->job_err.msg);
		return;
	}
	if (a->task->setup_path) {
		st = new_step(a, UM_PHASE_SETUP, "setup", NULL, a->job_cmd);
		fill_step(st, &a->res);
		if (a->res.exit_code != 0 || a->res.timed_out) {
			infra_error(a, "setup_failed", "task %s: setup.sh failed (exit %d%s): %.300s",
				    a->task->id, a->res.exit_code, a->res.timed_out ? ", timed out" : "",
				    um_buf_str(&a->res.err));
			return;
		}
	}
	if (a->replay) {
		a->job = J_REPLAY;
		a->stop_reason = "replay";
		workers_submit(rc->workers, run_job, job_done, a);
		return;
	}
	if (rc->oracle) {
		free(a->job_cmd);
		a->job_cmd = oracle_command(a);
		a->job = J_ORACLE;
		a->stop_reason = "oracle";
		workers_submit(rc->workers, run_job, job_done, a);
		return;
	}
	start_turn(a);
}

static void done_tool(agent_att *a)
{
	um_tool_step *st;
	char *text;

	if (a->job_rc < 0) {
		infra_error(a, "sandbox", "task %s: a command could not run: %s", a->task->id,
			    a->job_err.msg);
		return;
	}
	st = new_step(a, UM_PHASE_AGENT, "bash", a->job_call_id, a->job_cmd);
	fill_step(st, &a->res);
	text = tool_result_text(&a->res);
	json_array_append_new(a->messages,
			      json_pack("{s:s, s:s, s:s, s:s}", "role", "tool", "tool_call_id",
					a->job_call_id ? a->job_call_id : "", "name", "bash",
					"content", text));
	free(text);
	next_tool_call(a);
}

static void done_verify(agent_att *a)
{
	um_tool_step *st;

	if (a->job_rc < 0) {
		infra_error(a, "sandbox", "task %s: the verifier could not run: %s", a->task->id,
			    a->job_err.msg);
		return;
	}
	st = new_step(a, UM_PHASE_VERIFY, "verifier", NULL, a->task->test_command);
	fill_step(st, &a->res);
	judge(a);
	if (a->verifier_timed_out) {
		infra_error(a, "verifier_timeout", "task %s: the verifier did not end within %d s",
			    a->task->id, a->task->verifier_timeout_s);
		return;
	}
	if (a->has_reward && !isfinite(a->reward)) {
		a->has_reward = 0;
		infra_error(a, "bad_reward", "task %s: the verifier wrote a reward that is not a "
			    "finite number", a->task->id);
		return;
	}
	finish(a);
}

static void job_done(void *ctx)
{
	agent_att *a = ctx;
	run_ctx *rc = a->rc;
	um_tool_step *st;

	if (rc->failed) {
		rc->lanes[a->p->system].outstanding--;
		att_free(a);
		return;
	}
	switch (a->job) {
	case J_SETUP:
		done_setup(a);
		return;
	case J_REPLAY:
		if (a->job_rc < 0) {
			infra_error(a, "sandbox", "task %s: a replayed command could not run: %s",
				    a->task->id, a->job_err.msg);
			return;
		}
		start_verify(a);
		return;
	case J_ORACLE:
		if (a->job_rc < 0) {
			infra_error(a, "sandbox", "task %s: the solution could not run: %s",
				    a->task->id, a->job_err.msg);
			return;
		}
		st = new_step(a, UM_PHASE_ORACLE, "solution", NULL, a->job_cmd);
		fill_step(st, &a->res);
		start_verify(a);
		return;
	case J_TOOL:
		done_tool(a);
		return;
	case J_DIFF:
		if (a->job_rc < 0) {
			infra_error(a, "sandbox", "task %s: the patch could not be taken: %s",
				    a->task->id, a->job_err.msg);
			return;
		}
		a->job = J_GRADE;
		workers_submit(rc->workers, run_job, job_done, a);
		return;
	case J_GRADE:
		if (a->job_rc < 0) {
			infra_error(a, "grader", "task %s: grading failed: %s", a->task->id,
				    a->job_err.msg);
			return;
		}
		finish(a);
		return;
	case J_VERIFY:
		done_verify(a);
		return;
	}
}

/* bwrap: the tests copied into a fresh directory bound writable at /tests. */
static int copy_tests(agent_att *a, um_error *e)
{
	sandbox_spec s = a->spec;
	DIR *d = opendir(a->st_tests);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return um_fail(e, UM_ERR_IO, "%s: cannot read", a->st_tests);
	s.work_dir = a->st_tests_copy;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char *src;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		src = um_xasprintf("%s/%s", a->st_tests, de->d_name);
		rc = sandbox_copy_in(&s, src, de->d_name, e);
		free(src);
	}
	closedir(d);
	return rc;
}

static void start_verify(agent_att *a)
{
	um_error e = {0};

	if (a->task->swe) {
		a->job = J_DIFF;
		workers_submit(a->rc->workers, run_job, job_done, a);
		return;
	}
	a->logs_dir = sandbox_workdir_new(&a->spec, a->rc->tmp_parent, "logs", &e);
	if (!a->logs_dir) {
		infra_error(a, "sandbox", "task %s: %s", a->task->id, e.msg);
		return;
	}
	if (!a->use_ct && a->st_tests) {
		/* Harbor copies the tests in writable: a fresh copy per attempt */
		a->st_tests_copy = sandbox_workdir_new(&a->spec, a->rc->tmp_parent, "tests", &e);
		if (!a->st_tests_copy || copy_tests(a, &e) < 0) {
			infra_error(a, "sandbox", "task %s: %s", a->task->id, e.msg);
			return;
		}
	}
	a->job = J_VERIFY;
	workers_submit(a->rc->workers, run_job, job_done, a);
}

/* ---- model turns --------------------------------------------------------------- */

static void end_agent_phase(agent_att *a, const char *why)
{
	if (!a->stop_reason)
		a->stop_reason = why;
	start_verify(a);
}

/* Answer one malformed tool call with an error the model can read. */
static void refuse_call(agent_att *a, const char *id, const char *name, const char *why)
{
	um_tool_step *st = new_step(a, UM_PHASE_AGENT, "invalid", id, name);

	st->error = um_xstrdup(why);
	a->malformed++;
	json_array_append_new(a->messages,
			      json_pack("{s:s, s:s, s:s, s:s}", "role", "tool", "tool_call_id",
					id ? id : "", "name", name ? name : "", "content",
					why));
}

static void next_tool_call(agent_att *a)
{
	while (a->pending && a->next_call < json_array_size(a->pending)) {
		json_t *c = json_array_get(a->pending, a->next_call++);
		const char *id = json_string_value(json_object_get(c, "id"));
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *args = json_string_value(json_object_get(c, "arguments"));
		json_t *aj;

		a->tool_calls++;
		if (a->submitted) {
			refuse_call(a, id, name, "error: the task was already submitted");
			continue;
		}
		if (name && !strcmp(name, "submit")) {
			um_tool_step *st = new_step(a, UM_PHASE_AGENT, "submit", id, NULL);
			(void)st;
			a->submitted = 1;
			json_array_append_new(a->messages,
					      json_pack("{s:s, s:s, s:s, s:s}", "role", "tool",
							"tool_call_id", id ? id : "", "name", "submit",
							"content", "submitted"));
			continue;
		}
		if (!name || strcmp(name, "bash") != 0) {
			char *why = um_xasprintf("error: unknown tool '%s'; the tools are bash and "
						 "submit",
						 name ? name : "");
			refuse_call(a, id, name, why);
			free(why);
			continue;
		}
		aj = args ? json_loads(args, JSON_DECODE_ANY, NULL) : NULL;
		if (!json_is_object(aj) || !json_is_string(json_object_get(aj, "command")) ||
		    !*json_string_value(json_object_get(aj, "command"))) {
			refuse_call(a, id, name,
				    "error: bash takes a JSON object {\"command\": \"...\"} with a "
				    "non-empty command");
			if (aj)
				json_decref(aj);
			continue;
		}
		free(a->job_cmd);
		free(a->job_call_id);
		a->job_cmd = um_xstrdup(json_string_value(json_object_get(aj, "command")));
		a->job_call_id = um_xstrdup(id);
		json_decref(aj);
		a->job = J_TOOL;
		workers_submit(a->rc->workers, run_job, job_done, a);
		return;
	}
	if (a->submitted) {
		end_agent_phase(a, "submitted");
		return;
	}
	start_turn(a);
}

static int on_try(void *ctx, const um_try *t)
{
	agent_att *a = ctx;
	run_ctx *rc = a->rc;
	um_call_rec *cr;
	um_completion c;
	um_error perr = {0};
	json_t *msg;

	um_xgrow((void **)&a->calls, &a->cap_calls, a->n_calls + 1, sizeof(*a->calls));
	cr = &a->calls[a->n_calls++];
	memset(cr, 0, sizeof(*cr));
	cr->attempt_id = um_xstrdup(a->p->id);
	cr->try_no = t->try_no;
	cr->turn = a->turn;
	cr->http_status = t->http_status;
	cr->curl_code = t->curl_code;
	cr->started_ms = t->started_ms;
	cr->latency_ms = t->latency_ms;
	cr->ttft_ms = t->ttft_ms;
	cr->request_hash = um_xstrdup(a->body_sha);
	if (t->body && t->body_len) {
		cr->response_body = um_xstrndup(t->body, t->body_len);
		cr->response_len = t->body_len;
	}
	record_tag_routing(rc, a->p->id, (int)a->n_calls);
	if (t->curl_code != 0 || t->body_truncated) {
		cr->error = um_xstrdup(t->error ? t->error : "transport error");
		if (t->retryable && !t->last_chance)
			return UM_TRY_RETRY;
		infra_error(a, engine_try_class(t), "%s turn %d: %s after %d tries", a->sys->name,
			    a->turn, cr->error, t->try_no);
		return UM_TRY_DONE;
	}
	if (t->http_status < 200 || t->http_status >= 300) {
		char *api = provider_error_message(t->body, t->body_len);
		cr->error = um_xasprintf("HTTP %ld%s%s", t->http_status, api ? ": " : "",
					 api ? api : "");
		free(api);
		if (t->retryable && !t->last_chance)
			return UM_TRY_RETRY;
		infra_error(a, record_call_error_class(a->sys, t), "%s turn %d: %s (try %d)",
			    a->sys->name, a->turn, cr->error, t->try_no);
		return UM_TRY_DONE;
	}
	memset(&c, 0, sizeof(c));
	if (provider_parse(a->sys->provider, t->body ? t->body : "", t->body_len, &c, &perr) < 0) {
		cr->error = um_xstrdup(perr.msg);
		completion_release(&c);
		if (!t->last_chance)
			return UM_TRY_RETRY;
		infra_error(a, "protocol", "%s turn %d: response body not as the API promises: %s",
			    a->sys->name, a->turn, perr.msg);
		return UM_TRY_DONE;
	}
	cr->tokens_in = c.tokens_in;
	cr->tokens_cached = c.tokens_cached;
	cr->tokens_out = c.tokens_out;
	cr->tokens_cache_write = c.tokens_cache_write;
	cr->tokens_reasoning = c.tokens_reasoning;
	cr->cost_micro = pricing_cost_micro(&a->sys->pricing, c.tokens_in, c.tokens_cached,
					    c.tokens_cache_write, c.tokens_out);
	/* what a call costs of a remaining-tokens budget */
	engine_lane_note_tokens(rc->eng, rc->lanes[a->p->system].engine_lane,
				c.tokens_in + c.tokens_out);
	cr->served_model = um_xstrdup(c.served_model);
	a->tokens_in += c.tokens_in;
	a->tokens_cached += c.tokens_cached;
	a->tokens_out += c.tokens_out;
	a->cost += cr->cost_micro;
	rc->spent_micro += cr->cost_micro;
	if (c.served_model && !a->served_model)
		a->served_model = um_xstrdup(c.served_model);
	if (c.fingerprint && !a->fingerprint)
		a->fingerprint = um_xstrdup(c.fingerprint);
	free(a->last_text);
	a->last_text = um_xstrdup(c.content ? c.content : "");
	if (c.tool_calls) {
		/* every call needs an id to be answered: give one where the model did not */
		json_t *tc;
		size_t k;
		json_array_foreach(c.tool_calls, k, tc) {
			const char *id = json_string_value(json_object_get(tc, "id"));
			if (json_is_object(tc) && (!id || !*id))
				json_object_set_new(tc, "id",
						    json_sprintf("call_t%d_%zu", a->turn, k));
		}
	}
	/* with the thinking that came with the calls, which some wires want back */
	msg = provider_assistant_message(&c);
	json_array_append_new(a->messages, msg);
	if (a->pending)
		json_decref(a->pending);
	a->pending = c.tool_calls ? json_incref(c.tool_calls) : NULL;
	a->next_call = 0;
	completion_release(&c);
	if (!a->pending || json_array_size(a->pending) == 0) {
		end_agent_phase(a, "no_tool_call");
		return UM_TRY_DONE;
	}
	next_tool_call(a);
	return UM_TRY_DONE;
}

static void start_turn(agent_att *a)
{
	run_ctx *rc = a->rc;
	const um_agent_cfg *lim = &rc->scaffold->agent;
	um_wire_request w;
	um_submit_opts so;
	um_error e = {0};
	json_t *req;
	const char **hdrs;
	char span[65], *tp;
	int h, r;

	if (a->turn >= lim->turns) {
		end_agent_phase(a, "turn_limit");
		return;
	}
	if (a->tokens_in + a->tokens_out >= lim->total_tokens) {
		end_agent_phase(a, "token_limit");
		return;
	}
	if (a->cost >= lim->cost_micro) {
		end_agent_phase(a, "cost_limit");
		return;
	}
	if (um_mono_ms() - a->started >= (int64_t)lim->wall_s * 1000 ||
	    um_mono_ms() - a->started >= (int64_t)a->task->agent_timeout_s * 1000) {
		end_agent_phase(a, "time_limit");
		return;
	}
	a->turn++;
	req = neutral_request(rc, a->messages);
	memset(&w, 0, sizeof(w));
	if (provider_build(a->sys, req, &w, &e) < 0) {
		json_decref(req);
		wire_request_release(&w);
		infra_error(a, "request", "%s turn %d: %s", a->sys->name, a->turn, e.msg);
		return;
	}
	if (a->turn == 1) {
		char *canon = json_canonical(req);
		um_sha256_hex(canon, strlen(canon), a->neutral_hash);
		free(canon);
		snprintf(a->parity_hash, sizeof(a->parity_hash), "%s", w.body_hash);
	}
	json_decref(req);
	memcpy(a->body_sha, w.body_sha256, sizeof(w.body_sha256));
	if (record_ensure_tx(rc) < 0 ||
	    store_put_request(rc->store, a->body_sha, w.body, w.body_len, &rc->fail_err) < 0) {
		rc->failed = 1;
		engine_stop(rc->eng);
		wire_request_release(&w);
		return;
	}
	hdrs = um_xcalloc((size_t)w.n_headers + 1, sizeof(char *));
	um_sha256_hex(a->p->id, strlen(a->p->id), span);
	tp = um_xasprintf("traceparent: 00-%s-%.16s-01", a->p->id, span);
	for (h = 0; h < w.n_headers; h++)
		hdrs[h] = w.headers[h];
	hdrs[w.n_headers] = tp;
	provider_submit_opts(a->sys, &w, &so);
	r = engine_submit_opts(rc->eng, rc->lanes[a->p->system].engine_lane, w.url, w.body,
			       w.body_len, hdrs, w.n_headers + 1, &so, on_try, a, &e);
	free(tp);
	free(hdrs);
	wire_request_release(&w);
	if (r < 0)
		infra_error(a, "request", "%s turn %d: %s", a->sys->name, a->turn, e.msg);
}

/* ---- submission ------------------------------------------------------------------ */

/* Why the task cannot run under this driver, or NULL. An unsupported task
 * never runs; a task with an image runs only in a container. */
static char *cannot_run(const agent_att *a)
{
	const um_task *t = a->task;
	run_ctx *rc = a->rc;

	if (t->unsupported)
		return um_xasprintf("task %s is not supported: %s", t->id, t->unsupported);
	if ((t->image || t->build_dir) && !container_driver(rc))
		return um_xasprintf("task %s needs its container image (%s); run it with "
				    "--sandbox-driver docker or podman",
				    t->id, t->image ? t->image : "built from its Dockerfile");
	if (t->swe && (t->image || t->build_dir) && (!rc->suite->swe.official || !rc->oracle))
		return um_xasprintf("task %s: a swe task in its container image is graded only by "
				    "the official profile, with --oracle or --predictions (no agent "
				    "works in the image, and the neutral profile needs 'repo')",
				    t->id);
	return NULL;
}

/* The attempt's mode: replay, gold/predicted patch, model, or oracle. 0 to go
 * on, 1 when the attempt already ended (recorded), -1 on a hard error. */
static int choose_mode(agent_att *a, um_error *err)
{
	run_ctx *rc = a->rc;
	const um_planned *p = a->p;

	if (rc->replay) {
		/* the replayed run's attempt for (task, sample, system) */
		const char *sys = a->sys->name + strlen("replay-");
		char *key = um_xasprintf("%s\x1f%d\x1f%s", a->task->id, p->sample, sys);
		json_t *r = json_object_get(rc->replay, key);
		free(key);
		if (!r) {
			infra_error(a, "not_replayable",
				    "task %s sample %d: the replayed run has no graded attempt of %s",
				    a->task->id, p->sample, sys);
			return 1;
		}
		a->replay = json_incref(r);
	} else if (a->task->swe && rc->oracle) {
		/* gold mode or published predictions: grade a given patch */
		if (rc->predictions) {
			json_t *pt = json_object_get(rc->predictions, a->task->id);
			a->stop_reason = pt ? "prediction" : "no_prediction";
			a->patch = um_xstrdup(pt ? json_string_value(pt) : "");
		} else {
			a->stop_reason = "oracle";
			a->patch = um_xstrdup(a->task->swe->gold_patch);
		}
		a->submitted = json_is_string(json_object_get(rc->predictions, a->task->id)) ||
			       !rc->predictions;
	} else if (!rc->oracle) {
		a->messages = first_messages(rc, a->task, p->sample, err);
		if (!a->messages)
			return -1;
	} else if (!a->task->solution_path) {
		infra_error(a, "no_solution", "task %s has no reference solution", a->task->id);
		return 1;
	}
	return 0;
}

/* The spec every command of the attempt starts from: driver, image, network,
 * the task's limits, its own host uid. */
static void init_spec(agent_att *a)
{
	run_ctx *rc = a->rc;
	const um_task *t = a->task;
	const container_image *im = rc->images ? &rc->images[a->p->item] : NULL;

	sandbox_spec_init(&a->spec);
	a->spec.driver = rc->o->sandbox_driver;
	a->image_ref = im && im->ref ? im->ref : t->image;
	a->image_id = im ? im->id : NULL;
	a->spec.image = a->image_ref;
	a->spec.root = container_driver(rc) ? NULL : t->root;
	a->spec.net = t->network ? SANDBOX_NET_SHARED : SANDBOX_NET_NONE;
	a->spec.limits.mem_bytes = (uint64_t)t->memory_mb << 20;
	a->spec.limits.nproc = (uint64_t)t->pids;
	a->spec.limits.cpus = (unsigned)t->cpus;
	a->spec.limits.tmp_bytes = (uint64_t)t->tmp_mb << 20;
	a->spec.limits.work_bytes = (uint64_t)t->storage_mb << 20; /* 0: not given */
	/* RLIMIT_NPROC counts per host uid: each attempt gets its own, so one
	 * attempt's fork bomb cannot starve another's (and none can read
	 * another's files) */
	a->spec.host_uid = a->spec.host_gid =
		200000 + (long)(um_hash64(a->p->id, strlen(a->p->id), 0) % 50000);
	/* terminal tasks run in one container per attempt; swe tasks keep a host
	 * work dir, bound into a fresh container per command */
	a->use_ct = container_driver(rc) && !t->swe;
}

static agent_att *att_new(run_ctx *rc, size_t plan_index)
{
	const um_planned *p = &rc->plan.a[plan_index];
	agent_att *a = um_xcalloc(1, sizeof(*a));

	a->rc = rc;
	a->p = p;
	a->task = &rc->suite->tasks[p->item];
	a->sys = &rc->models->systems[p->system];
	a->started = um_mono_ms();
	sandbox_result_init(&a->res);
	a->next = rc->agents;
	if (rc->agents)
		rc->agents->prev = a;
	rc->agents = a;
	rc->lanes[p->system].outstanding++;
	record_attempt_started(rc, p);
	return a;
}

int agent_submit(run_ctx *rc, size_t plan_index, um_error *err)
{
	agent_att *a = att_new(rc, plan_index);
	char *why = cannot_run(a);
	um_error e = {0};
	int m;

	if (why) {
		infra_error(a, "unsupported", "%s", why);
		free(why);
		return 0;
	}
	if (rc->image_errors && rc->image_errors[a->p->item]) {
		infra_error(a, "image", "%s", rc->image_errors[a->p->item]);
		return 0;
	}
	m = choose_mode(a, err);
	if (m < 0) {
		rc->lanes[a->p->system].outstanding--;
		att_free(a);
		return -1;
	}
	if (m > 0)
		return 0;
	init_spec(a);
	a->work_dir = sandbox_workdir_new(&a->spec, rc->tmp_parent, "work", &e);
	if (!a->work_dir) {
		infra_error(a, "sandbox", "task %s: %s", a->task->id, e.msg);
		return 0;
	}
	a->spec.work_dir = a->work_dir;
	a->st_dir = staged(a, a->task->dir);
	if (a->task->swe && rc->oracle && !a->replay) {
		a->job = J_GRADE;
		workers_submit(rc->workers, run_job, job_done, a);
		return 0;
	}
	a->st_files = staged(a, a->task->files_dir);
	a->st_tests = staged(a, a->task->tests_dir);
	a->st_solution = staged(a, a->task->solution_path);
	a->st_solution_dir = solution_dir(a);
	a->job = J_SETUP;
	if (a->task->setup_path) {
		char *rel = rel_to_task(a, a->task->setup_path);
		a->job_cmd = um_xasprintf("bash /task/%s", rel);
		free(rel);
	}
	workers_submit(rc->workers, run_job, job_done, a);
	return 0;
}
