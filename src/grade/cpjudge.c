/*
 * cpjudge.c - C++ programs judged the way LiveCodeBench Pro's official
 * judge judges them (see cpjudge.h; docs/livecodebench-pro.md).
 *
 * An attempt uses two fresh directories of the run: the program's (its
 * source, its binary; each test runs there with the test's input on stdin)
 * and the judge's (the checker's source and binary, and for each test the
 * input, the program's output and the answer, as in.txt, out.txt and
 * ans.txt). The program never sees the judge's directory, so it cannot read
 * an answer or replace the checker. The checker runs after the program, in
 * a sandbox of its own, with the official judge's limits for checkers. An
 * interactive test runs the interactor (judge's directory) and the program
 * at once, on two threads, joined only by two FIFOs in a third directory.
 */
#include "grade/cpjudge.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

/* Limits of a checker run (the official judge's: 10 s CPU, 20 s wall). */
#define CPJ_CHECK_MS 20000
#define CPJ_CHECK_MB 1024
/* The official judge keeps 128 MiB of a program's stdout. */
#define CPJ_OUT_MAX ((size_t)128 << 20)
/* Inputs and answers are read up to this size. */
#define CPJ_FILE_MAX ((size_t)1 << 30)

static int py_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
	       (c >= 0x1c && c <= 0x1f);
}

static char *strip_dup(const char *s, size_t n)
{
	while (n && py_ws((unsigned char)*s))
		s++, n--;
	while (n && py_ws((unsigned char)s[n - 1]))
		n--;
	return um_xstrndup(s, n);
}

/* ^```cpp\s*\n(.*?)\n``` at i (a line start): the block's span, greedy \s*
 * backtracking to each newline of the blank run, as Python's re does. */
static int fenced_at(const char *t, size_t len, size_t i, size_t *a, size_t *b)
{
	size_t j = i + 6, run = j, q;

	while (run < len && py_ws((unsigned char)t[run]))
		run++;
	for (q = run; q > j; q--) { /* t[q - 1]: the newline that ends the fence line */
		const char *f;

		if (t[q - 1] != '\n')
			continue;
		f = memmem(t + q, len - q, "\n```", 4); /* the lazy body, then the close */
		if (f) {
			*a = q;
			*b = (size_t)(f - t);
			return 1;
		}
	}
	return 0;
}

static char *last_include_block(const char *t, size_t len)
{
	size_t i, a, b, best_a = 0, best_b = 0;
	int found = 0;

	for (i = 0; i + 6 <= len;) {
		if ((i == 0 || t[i - 1] == '\n') && !memcmp(t + i, "```cpp", 6) &&
		    fenced_at(t, len, i, &a, &b)) {
			if (memmem(t + a, b - a, "#include", 8)) {
				best_a = a, best_b = b;
				found = 1;
			}
			i = b + 4;
			continue;
		}
		i++;
	}
	return found ? strip_dup(t + best_a, best_b - best_a) : NULL;
}

/* int\s+main\s*\( ending at *end; the match's start, or 0 with none left
 * before limit (searched backwards from limit). */
static int main_before(const char *t, size_t limit, size_t *start, size_t *end)
{
	size_t i;

	for (i = limit; i-- > 0;) {
		size_t k = i + 3;
		if (k >= limit || memcmp(t + i, "int", 3) != 0 || !py_ws((unsigned char)t[k]))
			continue;
		while (k < limit && py_ws((unsigned char)t[k]))
			k++;
		if (k + 4 > limit || memcmp(t + k, "main", 4) != 0)
			continue;
		k += 4;
		while (k < limit && py_ws((unsigned char)t[k]))
			k++;
		if (k < limit && t[k] == '(') {
			*start = i;
			*end = k + 1;
			return 1;
		}
	}
	return 0;
}

static int is_include_line(const char *s, size_t n)
{
	while (n && py_ws((unsigned char)*s))
		s++, n--;
	return n >= 8 && !memcmp(s, "#include", 8);
}

/* The candidate around one main: from the top of the nearest run of
 * #include lines above it to its closing brace. NULL when it has none. */
static char *around_main(const char *t, size_t len, size_t ms, size_t me)
{
	const char *brace = memchr(t + me, '{', len - me);
	size_t idx, line_start, from = SIZE_MAX;
	int depth = 0;
	char *cand;

	if (!brace)
		return NULL;
	for (idx = (size_t)(brace - t); idx < len; idx++) {
		if (t[idx] == '{')
			depth++;
		else if (t[idx] == '}' && --depth == 0) {
			idx++;
			break;
		}
	}
	line_start = ms;
	while (line_start && t[line_start - 1] != '\n')
		line_start--;
	for (;;) { /* upwards, the main line first */
		size_t e = line_start;
		while (e < len && t[e] != '\n')
			e++;
		if (is_include_line(t + line_start, e - line_start))
			from = line_start;
		else if (from != SIZE_MAX)
			break;
		if (!line_start)
			break;
		line_start--;
		while (line_start && t[line_start - 1] != '\n')
			line_start--;
	}
	if (from == SIZE_MAX) {
		from = ms;
		while (from && t[from - 1] != '\n')
			from--;
	}
	cand = strip_dup(t + from, idx - from);
	if (strstr(cand, "#include"))
		return cand;
	free(cand);
	return NULL;
}

char *cpjudge_extract(const char *text)
{
	size_t len, limit, ms, me;
	char *got;

	if (!text)
		return NULL;
	len = strlen(text);
	got = last_include_block(text, len);
	if (got)
		return got;
	for (limit = len; main_before(text, limit, &ms, &me); limit = ms) {
		got = around_main(text, len, ms, me);
		if (got)
			return got;
	}
	return NULL;
}

char *cpjudge_program(const um_code_item *c, const char *text)
{
	return c && c->judge_dir ? cpjudge_extract(text) : code_extract(text);
}

int cpjudge_verdict_from_detail(const json_t *detail, const char *response_text,
				const char *extracted)
{
	char *again;
	int same;

	if (!um_streq(json_string_value(json_object_get(detail, "judge")), "lcbpro"))
		return code_verdict_from_detail(detail, response_text, extracted);
	again = cpjudge_extract(response_text);
	same = um_streq(again, extracted);
	free(again);
	return same ? code_verdict_from_tests(detail) : -1;
}

/* ---- comparison without a checker ------------------------------------- */

int cpjudge_tokens_match(const char *got, size_t got_len, const char *want, size_t want_len,
			 char *why, size_t why_size)
{
	size_t i = 0, j = 0, k = 0;

	for (;; k++) {
		size_t a, b;

		while (i < got_len && py_ws((unsigned char)got[i]))
			i++;
		while (j < want_len && py_ws((unsigned char)want[j]))
			j++;
		if (i == got_len || j == want_len) {
			if (i == got_len && j == want_len)
				return 1;
			snprintf(why, why_size, "token %zu: %s", k + 1,
				 i == got_len ? "the output ends early" : "more output than expected");
			return 0;
		}
		for (a = i; a < got_len && !py_ws((unsigned char)got[a]); a++)
			;
		for (b = j; b < want_len && !py_ws((unsigned char)want[b]); b++)
			;
		if (a - i != b - j || memcmp(got + i, want + j, a - i) != 0) {
			snprintf(why, why_size, "token %zu: got '%.*s', expected '%.*s'", k + 1,
				 (int)(a - i > 30 ? 30 : a - i), got + i,
				 (int)(b - j > 30 ? 30 : b - j), want + j);
			return 0;
		}
		i = a, j = b;
	}
}

/* ---- running ---------------------------------------------------------- */

#define CPJ_MAX_BINDS 10

typedef struct cpj {
	const um_code_item *c;
	const um_code_env *env;
	sandbox_spec prog, judge;  /* the program's sandbox, the checker's (or interactor's) */
	sandbox_bind pbinds[CPJ_MAX_BINDS], jbinds[2];
	char *prog_dir, *judge_dir;
	char *pipe_dir;            /* interactive: the two FIFOs, bound at /pipe in both */
	json_t *d, *tests;
	int time_ms, mem_mb;
} cpj;

/* Where a compiled helper of this source is kept for the rest of the run
 * (env->helper_cache): keyed by the helper's name, its source's bytes and
 * the testlib it was compiled against. NULL: no cache, or the source is
 * unreadable (then the compile reports it). */
static char *cpj_cache_path(const cpj *j, const char *src, const char *name)
{
	char *bytes = NULL, hex[65];
	size_t len = 0;
	um_sha256 h;

	if (!j->env->helper_cache || um_read_file(src, &bytes, &len, NULL) < 0)
		return NULL;
	um_sha256_init(&h);
	um_sha256_update(&h, name, strlen(name) + 1);
	um_sha256_update(&h, bytes, len + 1);
	if (j->env->testlib_dir)
		um_sha256_update(&h, j->env->testlib_dir, strlen(j->env->testlib_dir));
	um_sha256_final_hex(&h, hex);
	free(bytes);
	return um_xasprintf("%s/%s-%s", j->env->helper_cache, name, hex);
}

/* Compile the helper in the judge's directory; 1, 0 (does not compile: *why),
 * -1. A compiled one goes to the cache (cached non-NULL). */
static int cpj_compile_helper(cpj *j, const char *src, const char *name, const char *cached,
			      int64_t *ms, char *why, size_t why_size, um_error *err)
{
	char *in = um_xasprintf("%s/%s.cc", SANDBOX_WORK_MOUNT, name);
	char *out = um_xasprintf("%s/%s", SANDBOX_WORK_MOUNT, name);
	char *rel = um_xasprintf("%s.cc", name), *bin = NULL, *built;
	const char *argv[] = {"g++", in, "-O2", "-pipe", "-std=gnu++17", "-I", "/testlib", "-o",
			      out, NULL};
	size_t len = 0;
	int k = sandbox_copy_in(&j->judge, src, rel, err) < 0
			? -1
			: code_compile(&j->judge, argv, ms, why, why_size, err);

	if (k == 1 && cached) {
		built = um_xasprintf("%s/%s", j->judge_dir, name);
		if (um_read_file(built, &bin, &len, err) < 0 ||
		    um_write_file(cached, bin, len, 0755, err) < 0)
			k = -1;
		free(built);
		free(bin);
	}
	free(in);
	free(out);
	free(rel);
	return k;
}

/* The checker or the interactor (name: "chk" or "interactor"), compiled in
 * the judge's directory, or taken from the run's cache when an attempt
 * compiled the same source before (its detail says "cached"). The cache is
 * the harness's (0700, outside every sandbox): no program can replace a
 * helper another attempt runs. -1: it does not compile or the sandbox
 * failed. */
static int cpj_helper(cpj *j, const char *src, const char *name, um_error *err)
{
	char *key = um_xasprintf("%s_compile", name), *cached = cpj_cache_path(j, src, name);
	char *lock = cached ? um_xasprintf("%s.lock", cached) : NULL, why[256];
	int64_t ms = 0;
	int k, fd = lock ? open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1, hit = 0;

	/* one attempt compiles; the others of the same problem wait, then copy */
	if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		free(cached);
		cached = NULL;
	}
	hit = cached && access(cached, X_OK) == 0;
	k = hit ? (sandbox_copy_in(&j->judge, cached, name, err) < 0 ? -1 : 1)
		: cpj_compile_helper(j, src, name, cached, &ms, why, sizeof(why), err);
	if (fd >= 0)
		close(fd);
	if (k < 0)
		um_error_prefix(err, "compiling %s", name);
	else
		json_object_set_new(j->d, strcmp(name, "chk") ? key : "checker_compile",
				    hit ? json_pack("{s:b, s:I, s:b}", "ok", 1, "ms", (json_int_t)0,
						    "cached", 1)
					: json_pack("{s:b, s:I}", "ok", k, "ms", (json_int_t)ms));
	if (k == 0)
		um_fail(err, UM_ERR_STATE, "the %s of problem %s (%s) does not compile%s: %s",
			strcmp(name, "chk") ? name : "checker", j->c->judge_dir, src,
			j->env->testlib_dir ? "" : " (no dataset.testlib given)", why);
	free(key);
	free(cached);
	free(lock);
	return k == 1 ? 0 : -1;
}

/* The program, compiled as the official judge compiles it. 1, 0 (a
 * compile_error recorded on the first test), -1. */
static int cpj_program(cpj *j, const char *program, um_error *err)
{
	static const char *const argv[] = {"g++", SANDBOX_WORK_MOUNT "/main.cpp", "-O2", "-pipe",
					   "-std=gnu++17", "-o", SANDBOX_WORK_MOUNT "/a", NULL};
	char *path = um_xasprintf("%s/main.cpp", j->prog_dir), why[256];
	int64_t ms = 0;
	int k = um_write_file(path, program, strlen(program), 0644, err), i;

	free(path);
	if (k < 0)
		return -1;
	k = code_compile(&j->prog, argv, &ms, why, sizeof(why), err);
	if (k < 0)
		return um_error_prefix(err, "compiling");
	json_object_set_new(j->d, "compile", json_pack("{s:b, s:I}", "ok", k, "ms", (json_int_t)ms));
	for (i = 0; k == 0 && i < j->c->n_tests; i++)
		json_array_append_new(j->tests, i ? json_pack("{s:s}", "v", "not_run")
						  : json_pack("{s:s, s:s}", "v", "compile_error",
							      "why", why));
	return k;
}

/* The checker's verdict on out: 0 accepted, 1 rejected (why), -1. */
static int cpj_check(cpj *j, const um_code_test *t, const um_buf *out, char *why,
		     size_t why_size, um_error *err)
{
	static const char *const argv[] = {SANDBOX_WORK_MOUNT "/chk", SANDBOX_WORK_MOUNT "/in.txt",
					   SANDBOX_WORK_MOUNT "/out.txt",
					   SANDBOX_WORK_MOUNT "/ans.txt", NULL};
	sandbox_spec spec = j->judge;
	sandbox_result r;
	char *p = um_xasprintf("%s/out.txt", j->judge_dir);
	int rc = um_write_file(p, out->data ? out->data : "", out->len, 0644, err);

	free(p);
	if (rc < 0 || sandbox_copy_in(&spec, t->input, "in.txt", err) < 0 ||
	    sandbox_copy_in(&spec, t->output, "ans.txt", err) < 0)
		return -1;
	spec.limits.wall_ms = CPJ_CHECK_MS;
	spec.limits.cpu_s = CPJ_CHECK_MS / 2000;
	spec.limits.mem_bytes = (uint64_t)CPJ_CHECK_MB << 20;
	spec.limits.err_max = spec.limits.out_max = 4096;
	if (sandbox_exec(&spec, argv, NULL, 0, &r, err) < 0) {
		sandbox_result_release(&r);
		return um_error_prefix(err, "the checker");
	}
	rc = r.exit_code == 0 && !r.signal && !r.timed_out ? 0 : 1;
	if (rc) {
		const um_buf *m = r.err.len ? &r.err : &r.out;
		snprintf(why, why_size, "checker: %.*s", (int)(m->len > 160 ? 160 : m->len),
			 m->data ? m->data : "");
		why[strcspn(why, "\n")] = '\0';
		if (r.timed_out)
			snprintf(why, why_size, "the checker ran over %d s", CPJ_CHECK_MS / 1000);
	}
	sandbox_result_release(&r);
	return rc;
}

/* The interactor's side of an interactive test, on a thread of its own. */
typedef struct cpj_side {
	const sandbox_spec *spec;
	const char *script;
	sandbox_result r;
	um_error err;
	int rc;
} cpj_side;

static void *cpj_side_run(void *arg)
{
	cpj_side *s = arg;

	s->rc = sandbox_exec_sh(s->spec, s->script, NULL, 0, &s->r, &s->err);
	return NULL;
}

/* Fresh FIFOs for one interactive test: the interactor writes to_prog and
 * reads from_prog, the program the other way round. */
static int cpj_fifos(cpj *j, um_error *err)
{
	static const char *const names[] = {"to_prog", "from_prog"};
	size_t i;

	for (i = 0; i < 2; i++) {
		char *p = um_xasprintf("%s/%s", j->pipe_dir, names[i]);
		int rc;

		(void)unlink(p);
		rc = mkfifo(p, 0600) == 0 && chmod(p, 0666) == 0 ? 0 : -1;
		if (rc < 0)
			um_fail(err, UM_ERR_IO, "%s: cannot make a FIFO: %s", p, strerror(errno));
		free(p);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* An interactive test, as the official judge runs one: the program and the
 * interactor (`interactor in.txt tout.txt ans.txt`, four times the limits)
 * at once, each one's stdout the other's stdin; accepted when both exit 0.
 * Each runs in its own sandbox; they share only the two FIFOs. *r gets the
 * program's result, *why the interactor's word when it rejects. -1: the
 * sandbox failed. */
static int cpj_interact(cpj *j, const um_code_test *t, const char *prog_script,
			sandbox_result *r, int *rejected, char *why, size_t why_size, um_error *err)
{
	cpj_side s;
	pthread_t th;
	char *script;
	sandbox_spec ispec = j->judge;

	/* the official judge gives the interactor four times the program's limits */
	ispec.limits.cpu_s = (uint64_t)(4 * j->time_ms + 999) / 1000;
	ispec.limits.wall_ms = 8 * (int64_t)j->time_ms + j->env->wall_extra_ms;
	ispec.limits.mem_bytes = (uint64_t)j->mem_mb << 22;
	ispec.limits.err_max = ispec.limits.out_max = 4096;
	memset(&s, 0, sizeof(s));
	sandbox_result_init(&s.r);
	if (cpj_fifos(j, err) < 0 || sandbox_copy_in(&j->judge, t->input, "in.txt", err) < 0 ||
	    sandbox_copy_in(&j->judge, t->output, "ans.txt", err) < 0)
		return -1;
	s.spec = &ispec;
	s.script = "exec " SANDBOX_WORK_MOUNT "/interactor " SANDBOX_WORK_MOUNT "/in.txt "
		   SANDBOX_WORK_MOUNT "/tout.txt " SANDBOX_WORK_MOUNT
		   "/ans.txt >/pipe/to_prog </pipe/from_prog";
	if (pthread_create(&th, NULL, cpj_side_run, &s) != 0)
		return um_fail(err, UM_ERR_IO, "cannot start the interactor's thread");
	script = um_xasprintf("%s </pipe/to_prog >/pipe/from_prog", prog_script);
	if (sandbox_exec_sh(&j->prog, script, NULL, 0, r, err) < 0) {
		/* the interactor waits for a program that never came: its limits end it */
		pthread_join(th, NULL);
		sandbox_result_release(&s.r);
		free(script);
		return -1;
	}
	pthread_join(th, NULL);
	free(script);
	if (s.rc < 0) {
		*err = s.err;
		sandbox_result_release(&s.r);
		return um_error_prefix(err, "the interactor");
	}
	*rejected = s.r.exit_code != 0 || s.r.signal || s.r.timed_out;
	if (*rejected) {
		const um_buf *m = s.r.err.len ? &s.r.err : &s.r.out;
		if (m->len || !s.r.signal)
			snprintf(why, why_size, "interactor: %.*s", (int)(m->len > 160 ? 160 : m->len),
				 m->data ? m->data : "");
		else /* SIGPIPE: the program stopped reading */
			snprintf(why, why_size, "interactor: killed by signal %d", s.r.signal);
		why[strcspn(why, "\n")] = '\0';
	}
	sandbox_result_release(&s.r);
	return 0;
}

/* One test: run, classify, judge the output. *v its verdict; -1: the
 * sandbox failed. */
static int cpj_test(cpj *j, const um_code_test *t, json_t *rec, um_code_verdict *v,
		    um_error *err)
{
	char *script = um_xasprintf("ulimit -s %d 2>/dev/null; exec %s/a", j->mem_mb * 1024,
				    SANDBOX_WORK_MOUNT);
	char *in = NULL, why[256] = "", iwhy[200] = "";
	size_t in_len = 0;
	sandbox_result r;
	char empty[1] = "";
	um_code_test none = {empty, empty};
	int rc = -1, rejected = 0;

	sandbox_result_init(&r);
	if (j->c->interactor) {
		if (cpj_interact(j, t, script, &r, &rejected, iwhy, sizeof(iwhy), err) < 0)
			goto out;
	} else if (um_read_file(t->input, &in, &in_len, err) < 0 ||
		   sandbox_exec_sh(&j->prog, script, in, in_len, &r, err) < 0) {
		goto out;
	}
	*v = code_classify(j->c, UM_CODE_CPP, &none, &r, why, sizeof(why));
	if (*v == UM_CODE_PASSED || *v == UM_CODE_WRONG_ANSWER) {
		if (r.cpu_ms > j->time_ms) {
			*v = UM_CODE_TIME_LIMIT;
		} else if (j->c->interactor) {
			*v = rejected ? UM_CODE_WRONG_ANSWER : UM_CODE_PASSED;
			snprintf(why, sizeof(why), "%s", iwhy);
		} else if (j->c->checker) {
			int k = cpj_check(j, t, &r.out, why, sizeof(why), err);
			if (k < 0)
				goto out;
			*v = k ? UM_CODE_WRONG_ANSWER : UM_CODE_PASSED;
		} else {
			char *ans = NULL;
			size_t alen = 0;
			if (um_read_file(t->output, &ans, &alen, err) < 0)
				goto out;
			*v = cpjudge_tokens_match(r.out.data ? r.out.data : "", r.out.len, ans, alen,
						  why, sizeof(why))
				     ? UM_CODE_PASSED
				     : UM_CODE_WRONG_ANSWER;
			free(ans);
		}
	}
	json_object_set_new(rec, "v", json_string(code_verdict_name(*v)));
	json_object_set_new(rec, "ms", json_integer(r.wall_ms));
	if (why[0] && *v != UM_CODE_PASSED)
		json_object_set_new(rec, "why", json_string(why));
	rc = 0;
out:
	sandbox_result_release(&r);
	free(script);
	free(in);
	return rc;
}

/* The directories and the two sandboxes of an attempt. */
static int cpj_open(cpj *j, um_error *err)
{
	j->prog = *j->env->base;
	j->prog_dir = sandbox_workdir_new(&j->prog, j->env->work_parent, "code", err);
	if (!j->prog_dir)
		return -1;
	j->prog.work_dir = j->prog_dir;
	j->judge = j->prog;
	if (!j->c->checker && !j->c->interactor)
		return 0;
	j->judge_dir = sandbox_workdir_new(&j->judge, j->env->work_parent, "judge", err);
	if (!j->judge_dir)
		return -1;
	j->judge.work_dir = j->judge_dir;
	/* the checker needs no mask: it sees the answer */
	j->judge.binds = j->jbinds;
	j->judge.n_binds = 0;
	if (j->env->testlib_dir)
		j->jbinds[j->judge.n_binds++] = (sandbox_bind){j->env->testlib_dir, "/testlib", 0};
	if (!j->c->interactor)
		return 0;
	j->pipe_dir = sandbox_workdir_new(&j->judge, j->env->work_parent, "pipe", err);
	if (!j->pipe_dir || j->prog.n_binds >= CPJ_MAX_BINDS)
		return j->pipe_dir ? um_fail(err, UM_ERR_STATE, "too many binds") : -1;
	if (j->prog.n_binds)
		memcpy(j->pbinds, j->prog.binds, j->prog.n_binds * sizeof(*j->pbinds));
	j->pbinds[j->prog.n_binds] = (sandbox_bind){j->pipe_dir, "/pipe", 0};
	j->jbinds[j->judge.n_binds++] = (sandbox_bind){j->pipe_dir, "/pipe", 0};
	j->prog.binds = j->pbinds;
	j->prog.n_binds++;
	return 0;
}

static void cpj_close(cpj *j)
{
	char **dirs[] = {&j->prog_dir, &j->judge_dir, &j->pipe_dir};
	size_t i;

	for (i = 0; i < 3; i++)
		if (*dirs[i]) {
			sandbox_workdir_remove(*dirs[i], NULL);
			free(*dirs[i]);
		}
	if (j->d)
		json_decref(j->d);
}

int cpjudge_grade(const um_code_item *c, const char *program, const um_code_env *env,
		  json_t **detail, int *score, um_error *err)
{
	cpj j;
	int i, passed = 0, k, rv = -1;

	memset(&j, 0, sizeof(j));
	j.c = c;
	j.env = env;
	j.time_ms = c->time_limit_ms ? c->time_limit_ms : env->time_limit_ms;
	j.mem_mb = c->memory_mb ? c->memory_mb : env->memory_mb;
	j.d = code_detail_no_program(c, env);
	json_array_clear(j.tests = json_object_get(j.d, "tests"));
	json_object_set_new(j.d, "judge", json_string("lcbpro"));
	json_object_set_new(j.d, "check", json_string(c->interactor ? "interactor"
							   : c->checker ? "checker" : "tokens"));
	*detail = NULL;
	*score = 0;
	if (cpj_open(&j, err) < 0 || (c->checker && cpj_helper(&j, c->checker, "chk", err) < 0) ||
	    (c->interactor && cpj_helper(&j, c->interactor, "interactor", err) < 0))
		goto out;
	k = cpj_program(&j, program, err);
	if (k < 0)
		goto out;
	/* the official judge: CPU = the limit, wall clock twice it, stack = memory */
	j.prog.limits.wall_ms = 2 * (int64_t)j.time_ms + env->wall_extra_ms;
	j.prog.limits.cpu_s = (uint64_t)(j.time_ms + 999) / 1000;
	j.prog.limits.mem_bytes = (uint64_t)j.mem_mb << 20;
	j.prog.limits.nproc = j.prog.limits.nproc ? j.prog.limits.nproc : 128;
	j.prog.limits.fsize_bytes = CPJ_OUT_MAX;
	j.prog.limits.out_max = CPJ_OUT_MAX;
	j.prog.limits.err_max = 16384;
	for (i = 0; k == 1 && i < c->n_tests; i++) {
		json_t *rec = json_object();
		um_code_verdict v = UM_CODE_NOT_RUN;

		json_array_append_new(j.tests, rec);
		if (i > passed) {
			json_object_set_new(rec, "v", json_string(code_verdict_name(v)));
			continue;
		}
		if (cpj_test(&j, &c->tests[i], rec, &v, err) < 0) {
			um_error_prefix(err, "test %d", i + 1);
			goto out;
		}
		passed += v == UM_CODE_PASSED;
	}
	json_object_set_new(j.d, "program", json_true());
	json_object_set_new(j.d, "passed", json_integer(passed));
	*score = c->n_tests > 0 && passed == c->n_tests;
	*detail = j.d;
	j.d = NULL;
	rv = 0;
out:
	cpj_close(&j);
	return rv;
}
