/*
 * container.c - task images and one container per attempt with docker or
 * podman (see container.h, docs/sandbox.md).
 *
 * Every engine call is a client command line run by sandbox_host_run():
 * `build`, `image inspect`, `pull`, `run -d`, `exec`, `cp`, `rm -f`, `ps`.
 * The two clients take the same options for everything used here; where they
 * differ (podman's `rm -t 0`, `--pull` of build) the engine is asked by name.
 */
#include "exec/container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "load/task.h"

#define CLIENT_MS 120000      /* inspect, cp, rm: generous, the daemon may be busy */
#define START_MS 180000       /* run -d */
#define MSG_MAX 600           /* of the client's stderr in an error message */

/* ---- argv ----------------------------------------------------------------- */

typedef struct argv_b {
	char **v;
	size_t n, cap;
} argv_b;

static void av_add(argv_b *a, const char *s)
{
	um_xgrow((void **)&a->v, &a->cap, a->n + 2, sizeof(char *));
	a->v[a->n++] = um_xstrdup(s);
	a->v[a->n] = NULL;
}

static void av_addf(argv_b *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void av_addf(argv_b *a, const char *fmt, ...)
{
	va_list ap;
	char *x;

	va_start(ap, fmt);
	if (vasprintf(&x, fmt, ap) < 0)
		abort();
	va_end(ap);
	av_add(a, x);
	free(x);
}

static void av_free(argv_b *a)
{
	sandbox_argv_free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

static int is_podman(const char *engine_path)
{
	const char *b = strrchr(engine_path, '/');
	return strcmp(b ? b + 1 : engine_path, "podman") == 0;
}

/* The client's own words, trimmed, for an error message. */
static const char *client_msg(const sandbox_result *r, char *buf, size_t n)
{
	const char *s = r->err.len ? um_buf_str(&r->err) : um_buf_str(&r->out);
	size_t len = strlen(s);

	while (len && (s[len - 1] == '\n' || s[len - 1] == ' '))
		len--;
	if (len >= n)
		len = n - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return len ? buf : "no message";
}

/* Run the client; 0 with its exit code in *code; -1 when it could not run or
 * timed out. */
static int client(char **argv, const void *in, size_t in_len, int64_t wall_ms,
		  sandbox_result *res, int *code, um_error *err)
{
	if (sandbox_host_run(argv, in, in_len, wall_ms, NULL, res, err) < 0)
		return -1;
	if (res->timed_out)
		return um_fail(err, UM_ERR_IO, "%s %s: no answer within %lld s", argv[0], argv[1],
			       (long long)(wall_ms / 1000));
	*code = res->signal ? 128 + res->signal : res->exit_code;
	return 0;
}

/* Run the client expecting exit 0; the first line of its output in *out
 * (caller frees) when out is given. */
static int client_ok(char **argv, int64_t wall_ms, char **out, um_error *err)
{
	sandbox_result r;
	char msg[MSG_MAX];
	int code = -1, rc;

	sandbox_result_init(&r);
	rc = client(argv, NULL, 0, wall_ms, &r, &code, err);
	if (rc == 0 && code != 0)
		rc = um_fail(err, code == 1 || code == 125 ? UM_ERR_NOTFOUND : UM_ERR_IO,
			     "%s %s: %s", argv[0], argv[1], client_msg(&r, msg, sizeof(msg)));
	if (rc == 0 && out) {
		const char *s = um_buf_str(&r.out);
		*out = um_xstrndup(s, strcspn(s, "\n"));
	}
	sandbox_result_release(&r);
	return rc;
}

char *container_engine_path(const char *engine, um_error *err)
{
	char *p;

	if (!engine || (strcmp(engine, "docker") && strcmp(engine, "podman"))) {
		um_fail(err, UM_ERR_INVALID, "container: engine \"%s\" is not docker or podman",
			engine ? engine : "(null)");
		return NULL;
	}
	p = sandbox_find_program(engine);
	if (!p)
		um_fail(err, UM_ERR_NOTFOUND, "container: %s is not installed (not in PATH)",
			engine);
	return p;
}

int container_pull_parse(const char *s, container_pull *out, um_error *err)
{
	if (s && !strcmp(s, "missing"))
		*out = CONTAINER_PULL_MISSING;
	else if (s && !strcmp(s, "never"))
		*out = CONTAINER_PULL_NEVER;
	else if (s && !strcmp(s, "always"))
		*out = CONTAINER_PULL_ALWAYS;
	else
		return um_fail(err, UM_ERR_INVALID,
			       "pull policy \"%s\": expected never, missing or always",
			       s ? s : "(null)");
	return 0;
}

/* ---- images --------------------------------------------------------------- */

void container_image_release(container_image *im)
{
	if (!im)
		return;
	free(im->ref);
	free(im->id);
	free(im->log_path);
	memset(im, 0, sizeof(*im));
}

char *container_image_id(const char *engine, const char *ref, um_error *err)
{
	char *prog = container_engine_path(engine, err), *id = NULL;
	argv_b a = {0};

	if (!prog)
		return NULL;
	av_add(&a, prog);
	av_add(&a, "image");
	av_add(&a, "inspect");
	av_add(&a, "--format");
	av_add(&a, "{{.Id}}");
	av_add(&a, ref);
	if (client_ok(a.v, CLIENT_MS, &id, err) < 0) {
		free(id);
		id = NULL;
	} else if (!*id) {
		free(id);
		id = NULL;
		um_fail(err, UM_ERR_NOTFOUND, "%s has no image %s", engine, ref);
	}
	av_free(&a);
	free(prog);
	return id;
}

/* Write the build's output to log_path. */
static void write_log(const char *log_path, const char *argv0, const sandbox_result *r)
{
	FILE *f = fopen(log_path, "w");

	if (!f)
		return;
	fprintf(f, "# %s build: exit %d%s\n", argv0, r->exit_code,
		r->timed_out ? " (timed out)" : "");
	fwrite(um_buf_str(&r->out), 1, r->out.len, f);
	if (r->out_truncated)
		fprintf(f, "\n[... %llu bytes not kept ...]\n",
			(unsigned long long)(r->out_bytes - r->out.len));
	fwrite(um_buf_str(&r->err), 1, r->err.len, f);
	fclose(f);
}

/* The tag of a build context: its content hash. */
static int context_tag(const char *context, char **tag, char hash[65], um_error *err)
{
	char *df = um_xasprintf("%s/Dockerfile", context);
	struct stat st;
	int ok = stat(df, &st) == 0 && S_ISREG(st.st_mode);

	free(df);
	if (!ok)
		return um_fail(err, UM_ERR_INVALID, "%s: no Dockerfile in the build context",
			       context);
	if (task_hash_dir(context, hash, err) < 0)
		return -1;
	*tag = um_xasprintf("%s:%.20s", CONTAINER_TASK_REPO, hash);
	return 0;
}

static int run_build(const char *prog, const char *context, const char *tag,
		     const char *log_path, int64_t timeout_ms, um_error *err)
{
	argv_b a = {0};
	sandbox_result r;
	int code = -1, rc;

	av_add(&a, prog);
	av_add(&a, "build");
	if (is_podman(prog))
		av_add(&a, "--pull=missing");
	else
		av_add(&a, "--force-rm"); /* no container left by a failed step */
	av_add(&a, "--network");
	av_add(&a, "none");
	av_add(&a, "-t");
	av_add(&a, tag);
	av_add(&a, context);
	sandbox_result_init(&r);
	r.out.max = r.err.max = 4 << 20;
	rc = sandbox_host_run(a.v, NULL, 0, timeout_ms, NULL, &r, err);
	if (rc == 0) {
		write_log(log_path, prog, &r);
		code = r.signal ? 128 + r.signal : r.exit_code;
		if (r.timed_out)
			rc = um_fail(err, UM_ERR_IO, "image build of %s timed out after %lld s; "
				     "log: %s", context, (long long)(timeout_ms / 1000), log_path);
		else if (code != 0)
			rc = um_fail(err, UM_ERR_IO, "image build of %s failed (exit %d); log: %s",
				     context, code, log_path);
	}
	sandbox_result_release(&r);
	av_free(&a);
	return rc;
}

int container_image_build(const char *engine, const char *context, const char *log_dir,
			  int64_t timeout_ms, container_image *out, um_error *err)
{
	char hash[65], *tag = NULL, *prog;
	um_error ign = {0};
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!(prog = container_engine_path(engine, err)))
		return -1;
	if (context_tag(context, &tag, hash, err) < 0)
		goto done;
	out->ref = tag;
	out->id = container_image_id(engine, tag, &ign);
	if (!out->id) {
		if (um_mkdir_p(log_dir, err) < 0)
			goto done;
		out->log_path = um_xasprintf("%s/%s-%.20s.log", log_dir, engine, hash);
		/* the network is off while building: images build offline here */
		if (run_build(prog, context, tag, out->log_path, timeout_ms, err) < 0)
			goto done;
		out->built = 1;
		out->id = container_image_id(engine, tag, err);
		if (!out->id)
			goto done;
	} else {
		char *lp = um_xasprintf("%s/%s-%.20s.log", log_dir, engine, hash);
		if (access(lp, R_OK) == 0)
			out->log_path = lp;
		else
			free(lp);
	}
	rc = 0;
done:
	free(prog);
	if (rc < 0) {
		um_error_prefix(err, "%s", engine);
	}
	return rc;
}

/* A reference with no registry host in its first component. */
static int needs_prefix(const char *ref)
{
	const char *slash = strchr(ref, '/');
	size_t n;

	if (!slash)
		return 1;
	n = (size_t)(slash - ref);
	return !(memchr(ref, '.', n) || memchr(ref, ':', n) || (n == 9 && !strncmp(ref, "localhost", 9)));
}

int container_image_get(const char *engine, const char *ref, const char *prefix,
			container_pull policy, int64_t timeout_ms, container_image *out,
			um_error *err)
{
	char *prog, *full;
	um_error ign = {0};
	argv_b a = {0};

	memset(out, 0, sizeof(*out));
	if (!ref || !*ref || ref[0] == '-')
		return um_fail(err, UM_ERR_INVALID, "container: bad image reference \"%s\"",
			       ref ? ref : "(null)");
	if (!(prog = container_engine_path(engine, err)))
		return -1;
	full = prefix && *prefix && needs_prefix(ref)
		       ? um_xasprintf("%s%s%s", prefix,
				      prefix[strlen(prefix) - 1] == '/' ? "" : "/", ref)
		       : um_xstrdup(ref);
	out->ref = full;
	if (policy != CONTAINER_PULL_ALWAYS)
		out->id = container_image_id(engine, full, &ign);
	if (!out->id && policy == CONTAINER_PULL_NEVER) {
		free(prog);
		return um_fail(err, UM_ERR_NOTFOUND,
			       "%s has no image %s and the pull policy is never", engine, full);
	}
	if (!out->id) {
		av_add(&a, prog);
		av_add(&a, "pull");
		av_add(&a, full);
		if (client_ok(a.v, timeout_ms > 0 ? timeout_ms : START_MS, NULL, err) < 0) {
			av_free(&a);
			free(prog);
			return um_error_prefix(err, "cannot pull %s", full);
		}
		av_free(&a);
		out->id = container_image_id(engine, full, err);
	}
	free(prog);
	return out->id ? 0 : -1;
}

/* ---- the attempt's container ----------------------------------------------- */

static void start_limits(argv_b *a, const sandbox_limits *l)
{
	if (l->cpus)
		av_addf(a, "--cpus=%u", l->cpus);
	if (l->mem_bytes) {
		av_addf(a, "--memory=%llu", (unsigned long long)l->mem_bytes);
		av_addf(a, "--memory-swap=%llu", (unsigned long long)l->mem_bytes);
	}
	if (l->nproc)
		av_addf(a, "--pids-limit=%llu", (unsigned long long)l->nproc);
	/* Any --ulimit drops the engine's configured defaults, and a container
	 * cannot get rlimits above the client's hard limits (root here lacks
	 * CAP_SYS_RESOURCE): give all three, within them. */
	av_addf(a, "--ulimit=nofile=%llu:%llu", (unsigned long long)sandbox_rlimit_within(RLIMIT_NOFILE, l->nofile, 4096),
		(unsigned long long)sandbox_rlimit_within(RLIMIT_NOFILE, l->nofile, 4096));
	av_addf(a, "--ulimit=nproc=%llu:%llu", (unsigned long long)sandbox_rlimit_within(RLIMIT_NPROC, l->nproc, 32768),
		(unsigned long long)sandbox_rlimit_within(RLIMIT_NPROC, l->nproc, 32768));
	av_add(a, "--ulimit=core=0:0");
	if (l->fsize_bytes) {
		unsigned long long fs = sandbox_rlimit_within(RLIMIT_FSIZE, l->fsize_bytes, 0);
		av_addf(a, "--ulimit=fsize=%llu:%llu", fs, fs);
	}
	if (l->tmp_bytes)
		av_addf(a, "--tmpfs=/tmp:rw,exec,nosuid,nodev,size=%llu",
			(unsigned long long)l->tmp_bytes);
	else
		av_add(a, "--tmpfs=/tmp:rw,exec,nosuid,nodev");
}

static void start_argv(argv_b *a, const container *c, const sandbox_spec *s, const char *label)
{
	size_t i;

	av_add(a, c->engine);
	av_add(a, "run");
	av_add(a, "-d");
	av_add(a, "--pull=never");
	av_add(a, "--name");
	av_add(a, c->name);
	if (label)
		av_addf(a, "--label=umpire.run=%s", label);
	av_add(a, "--hostname");
	av_add(a, SANDBOX_HOSTNAME);
	av_add(a, "--network");
	av_add(a, s->net == SANDBOX_NET_NONE ? "none" : "bridge");
	av_add(a, "--security-opt");
	av_add(a, "no-new-privileges");
	start_limits(a, &s->limits);
	for (i = 0; i < s->n_env; i++) {
		av_add(a, "--env");
		av_add(a, s->env[i]);
	}
	av_add(a, "--env");
	av_add(a, "TERM=dumb");
	/* the first process: a shell that keeps the container alive and reaps
	 * what is left to it, so `kill -9 -1` leaves neither processes nor zombies */
	av_add(a, "--entrypoint");
	av_add(a, "/bin/sh");
	av_add(a, s->image);
	av_add(a, "-c");
	av_add(a, "trap 'exit 0' TERM; while :; do sleep 86400 & wait $!; done");
}

static int check_start_spec(const sandbox_spec *s, const char *name, const char *workdir,
			    um_error *err)
{
	size_t i;

	if (!s || !s->image || !*s->image || s->image[0] == '-')
		return um_fail(err, UM_ERR_INVALID, "container: no image");
	if (!name || !*name || name[0] == '-')
		return um_fail(err, UM_ERR_INVALID, "container: bad name");
	if (workdir && workdir[0] != '/')
		return um_fail(err, UM_ERR_INVALID, "container: workdir \"%s\" is not absolute",
			       workdir);
	for (i = 0; i < s->n_env; i++)
		if (!s->env[i] || !strchr(s->env[i], '=') || s->env[i][0] == '=')
			return um_fail(err, UM_ERR_INVALID, "container: env %zu is not NAME=value",
				       i);
	return 0;
}

static int make_workdir(container *c, const char *workdir, um_error *err)
{
	sandbox_spec s;
	sandbox_result r;
	char *script;
	int rc;

	if (strchr(workdir, '\''))
		return um_fail(err, UM_ERR_INVALID, "container: quote in workdir \"%s\"", workdir);
	c->workdir = um_xstrdup("/");
	sandbox_spec_init(&s);
	s.limits.wall_ms = CLIENT_MS;
	sandbox_result_init(&r);
	script = um_xasprintf("mkdir -p -- '%s'", workdir);
	rc = container_exec(c, &s, script, NULL, 0, &r, err);
	free(script);
	if (rc == 0 && r.exit_code != 0)
		rc = um_fail(err, UM_ERR_IO, "container %s: cannot make its workdir %s: %s",
			     c->name, workdir, um_buf_str(&r.err));
	sandbox_result_release(&r);
	free(c->workdir);
	c->workdir = um_xstrdup(workdir);
	return rc;
}

int container_start(container *c, const sandbox_spec *s, const char *name, const char *workdir,
		    const char *label, sandbox_result *log, um_error *err)
{
	argv_b a = {0};
	char msg[MSG_MAX], *wd = NULL;
	int code = -1, rc;

	memset(c, 0, sizeof(*c));
	if (check_start_spec(s, name, workdir, err) < 0)
		return -1;
	if (!(c->engine = container_engine_path(s->driver, err)))
		return -1;
	c->name = um_xstrdup(name);
	start_argv(&a, c, s, label);
	rc = client(a.v, NULL, 0, START_MS, log, &code, err);
	av_free(&a);
	c->running = 1; /* even a failed or timed-out run may have created it: rm it */
	if (rc < 0)
		return um_error_prefix(err, "container %s did not start", name);
	if (code != 0)
		return um_fail(err, UM_ERR_IO, "container %s did not start (exit %d): %s", name,
			       code, client_msg(log, msg, sizeof(msg)));
	if (workdir)
		return make_workdir(c, workdir, err);
	av_add(&a, c->engine);
	av_add(&a, "inspect");
	av_add(&a, "--format");
	av_add(&a, "{{.Config.WorkingDir}}");
	av_add(&a, c->name);
	rc = client_ok(a.v, CLIENT_MS, &wd, err);
	av_free(&a);
	if (rc < 0)
		return -1;
	c->workdir = *wd ? wd : um_xstrdup("/");
	if (!*wd)
		free(wd);
	return 0;
}

static void exec_prefix(argv_b *a, const container *c, const sandbox_spec *s, int in)
{
	size_t i;

	av_add(a, c->engine);
	av_add(a, "exec");
	if (in)
		av_add(a, "-i");
	av_add(a, "--workdir");
	av_add(a, c->workdir);
	for (i = 0; s && i < s->n_env; i++) {
		av_add(a, "--env");
		av_add(a, s->env[i]);
	}
	av_add(a, c->name);
}

/* The client failed, not the command: podman says so with 125, docker with
 * "Error response from daemon" (its exit status is then 1 or 126). */
static int engine_failed(const sandbox_result *r)
{
	const char *e = um_buf_str(&r->err);

	if (r->exit_code == 125)
		return 1;
	return (r->exit_code == 1 || r->exit_code == 126 || r->exit_code == 127) &&
	       (um_has_prefix(e, "Error response from daemon") || um_has_prefix(e, "Error: "));
}

int container_exec(const container *c, const sandbox_spec *s, const char *script,
		   const void *in, size_t in_len, sandbox_result *res, um_error *err)
{
	argv_b a = {0}, k = {0};
	char msg[MSG_MAX];
	int rc;

	res->out.max = s && s->limits.out_max ? s->limits.out_max : SANDBOX_OUT_MAX_DEFAULT;
	res->err.max = s && s->limits.err_max ? s->limits.err_max : SANDBOX_OUT_MAX_DEFAULT;
	if (!c || !c->running || !script)
		return um_fail(err, UM_ERR_INVALID, "container: not running, or no command");
	exec_prefix(&a, c, s, in && in_len);
	av_add(&a, "/bin/sh");
	av_add(&a, "-c");
	av_add(&a, script);
	/* at the deadline: every process of the container but sleep, its first */
	exec_prefix(&k, c, NULL, 0);
	av_add(&k, "/bin/sh");
	av_add(&k, "-c");
	av_add(&k, "kill -9 -1");
	rc = sandbox_host_run(a.v, in, in_len, s ? s->limits.wall_ms : 0, k.v, res, err);
	av_free(&a);
	av_free(&k);
	if (rc < 0)
		return -1;
	if (!res->timed_out && engine_failed(res))
		return um_fail(err, UM_ERR_IO, "%s exec in %s failed: %s", c->engine, c->name,
			       client_msg(res, msg, sizeof(msg)));
	return 0;
}

int container_kill_all(const container *c, um_error *err)
{
	sandbox_spec s;
	sandbox_result r;
	int rc;

	sandbox_spec_init(&s);
	s.limits.wall_ms = CLIENT_MS;
	sandbox_result_init(&r);
	/* kill(-1) spares the caller and pid 1; the shell's status is that of kill,
	 * which fails when nothing was left to kill */
	rc = container_exec(c, &s, "kill -9 -1 2>/dev/null; exit 0", NULL, 0, &r, err);
	if (rc == 0 && (r.timed_out || r.exit_code != 0))
		rc = um_fail(err, UM_ERR_IO, "container %s: cannot stop its processes", c->name);
	sandbox_result_release(&r);
	return rc;
}

static int path_ok(const char *p)
{
	return p && p[0] == '/' && !strstr(p, "/../") && !(strlen(p) >= 3 && !strcmp(p + strlen(p) - 3, "/..")) &&
	       !strchr(p, ':');
}

int container_copy_in(const container *c, const char *host_src, const char *dest, int replace,
		      um_error *err)
{
	struct stat st;
	argv_b a = {0};
	char *script, *src;
	sandbox_result r;
	sandbox_spec s;
	int rc, is_dir;

	if (!c || !c->running || !path_ok(dest) || !host_src || host_src[0] != '/')
		return um_fail(err, UM_ERR_INVALID, "container: bad copy into \"%s\"",
			       dest ? dest : "(null)");
	if (stat(host_src, &st) < 0)
		return um_fail(err, UM_ERR_NOTFOUND, "container: %s: %s", host_src,
			       strerror(errno));
	is_dir = S_ISDIR(st.st_mode);
	/* a fresh destination (or, merging, an existing one): a directory for a
	 * tree, the parent for a file */
	script = um_xasprintf(is_dir ? "%s%s%smkdir -p -- '%s'"
				     : "%s%s%smkdir -p -- \"$(dirname -- '%s')\"",
			      replace ? "rm -rf -- '" : "", replace ? dest : "",
			      replace ? "' && " : "", dest);
	if (strchr(dest, '\'')) {
		free(script);
		return um_fail(err, UM_ERR_INVALID, "container: quote in \"%s\"", dest);
	}
	sandbox_spec_init(&s);
	s.limits.wall_ms = CLIENT_MS;
	sandbox_result_init(&r);
	rc = container_exec(c, &s, script, NULL, 0, &r, err);
	free(script);
	if (rc == 0 && r.exit_code != 0)
		rc = um_fail(err, UM_ERR_IO, "container %s: cannot make %s: %s", c->name, dest,
			     um_buf_str(&r.err));
	sandbox_result_release(&r);
	if (rc < 0)
		return -1;
	src = is_dir ? um_xasprintf("%s/.", host_src) : um_xstrdup(host_src);
	av_add(&a, c->engine);
	av_add(&a, "cp");
	av_add(&a, src);
	av_addf(&a, "%s:%s", c->name, dest);
	free(src);
	rc = client_ok(a.v, CLIENT_MS, NULL, err);
	av_free(&a);
	return rc;
}

int container_copy_out(const container *c, const char *src, const char *host_dest,
		       um_error *err)
{
	argv_b a = {0};
	int rc;

	if (!c || !c->running || !path_ok(src) || !host_dest || host_dest[0] != '/')
		return um_fail(err, UM_ERR_INVALID, "container: bad copy out of \"%s\"",
			       src ? src : "(null)");
	av_add(&a, c->engine);
	av_add(&a, "cp");
	av_addf(&a, "%s:%s/.", c->name, src);
	av_add(&a, host_dest);
	rc = client_ok(a.v, CLIENT_MS, NULL, err);
	av_free(&a);
	return rc;
}

/* rm -f: a busy engine can refuse it for a moment (podman's "container
 * state improper" while an exec is cleaned up, docker's "removal already in
 * progress"), so it is tried again; a name that is gone is success. */
static int remove_name(const char *engine, const char *name)
{
	argv_b a = {0};
	sandbox_result r;
	int code = -1, tries;

	av_add(&a, engine);
	av_add(&a, "rm");
	av_add(&a, "-f");
	if (is_podman(engine)) {
		av_add(&a, "-t");
		av_add(&a, "0");
	}
	av_add(&a, name);
	for (tries = 0; tries < 4; tries++) {
		if (tries)
			(void)usleep(250000u << tries);
		sandbox_result_init(&r);
		if (client(a.v, NULL, 0, CLIENT_MS, &r, &code, NULL) < 0)
			code = -1;
		sandbox_result_release(&r);
		if (code == 0)
			break;
	}
	av_free(&a);
	return code == 0 ? 0 : -1;
}

void container_stop(container *c)
{
	if (!c)
		return;
	if (c->running && c->engine && c->name)
		remove_name(c->engine, c->name);
	free(c->engine);
	free(c->name);
	free(c->workdir);
	memset(c, 0, sizeof(*c));
}

int container_remove_labelled(const char *engine, const char *label, um_error *err)
{
	char *prog = container_engine_path(engine, err), *list, *line, *save = NULL;
	argv_b a = {0};
	sandbox_result r;
	int code = -1, n = 0;

	if (!prog)
		return -1;
	av_add(&a, prog);
	av_add(&a, "ps");
	av_add(&a, "-a");
	av_add(&a, "-q");
	av_add(&a, "--filter");
	av_addf(&a, "label=umpire.run=%s", label);
	sandbox_result_init(&r);
	if (client(a.v, NULL, 0, CLIENT_MS, &r, &code, err) < 0 || code != 0) {
		if (code > 0)
			um_fail(err, UM_ERR_IO, "%s ps failed", engine);
		sandbox_result_release(&r);
		av_free(&a);
		free(prog);
		return -1;
	}
	list = um_xstrdup(um_buf_str(&r.out));
	for (line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (remove_name(prog, line) == 0)
			n++;
	}
	free(list);
	sandbox_result_release(&r);
	av_free(&a);
	free(prog);
	return n;
}
