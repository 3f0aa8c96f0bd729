/*
 * test_sandbox.c - the bubblewrap sandbox, driven for real: network, file
 * system, /tmp, environment, process/CPU/wall/file-size limits, output
 * floods, exit statuses, stdin, hidden files copied in afterwards, reward
 * files read back without following planted symlinks, garbage specs, and the
 * docker/podman one-shot mapping, run for real.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec/sandbox.h"
#include "base/util.h"

#define FIX_SANDBOX FIXTURES "/sandbox"

typedef struct fx {
	char *parent; /* a private directory under /tmp for this test */
	char *work;   /* the work dir */
	sandbox_spec spec;
	sandbox_result res;
	um_error err;
} fx;

static int setup(void **state)
{
	fx *f = um_xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/umpire-test-sandbox-XXXXXX";

	if (!mkdtemp(tmpl))
		return -1;
	chmod(tmpl, 0755);
	f->parent = um_xstrdup(tmpl);
	sandbox_spec_init(&f->spec);
	f->work = sandbox_workdir_new(&f->spec, f->parent, "work", &f->err);
	if (!f->work)
		return -1;
	f->spec.work_dir = f->work;
	f->spec.limits.wall_ms = 20000;
	sandbox_result_init(&f->res);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	sandbox_result_release(&f->res);
	sandbox_workdir_remove(f->parent, NULL);
	free(f->work);
	free(f->parent);
	free(f);
	return 0;
}

/* cmocka's skip() prints "not ok # SKIP", which meson counts as a failure:
 * an unavailable engine is reported as a TAP comment and the test returns. */

/* Run a script, failing the test if the sandbox could not start. */
static void sh(fx *f, const char *script)
{
	sandbox_result_release(&f->res);
	if (sandbox_exec_sh(&f->spec, script, NULL, 0, &f->res, &f->err) != 0)
		fail_msg("sandbox_exec_sh: %s", f->err.msg);
}

static const char *out(fx *f)
{
	return um_buf_str(&f->res.out);
}

/* Number of processes whose command line contains marker. */
static int count_marked(const char *marker)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[300], buf[4096];
		FILE *fp;
		size_t len, i;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		fp = fopen(path, "rb");
		if (!fp)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
		for (i = 0; i < len; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[len] = '\0';
		if (strstr(buf, marker))
			n++;
	}
	closedir(d);
	return n;
}

/* Number of our own children (zombies included). */
static int count_children(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[300], buf[1024], *p;
		FILE *fp;
		size_t len;
		long ppid;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		fp = fopen(path, "rb");
		if (!fp)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
		buf[len] = '\0';
		p = strrchr(buf, ')');
		if (p && sscanf(p + 2, "%*c %ld", &ppid) == 1 && ppid == (long)getpid())
			n++;
	}
	closedir(d);
	return n;
}

/* Zombie bwrap processes handed to pid 1 (which does not reap everywhere):
 * a sandbox must collect its own. */
static int count_orphan_zombies(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[300], buf[1024];
		FILE *fp;
		size_t len;
		long ppid;
		char st;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		fp = fopen(path, "rb");
		if (!fp)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
		buf[len] = '\0';
		if (!strstr(buf, "(bwrap)"))
			continue;
		if (sscanf(strrchr(buf, ')') + 2, "%c %ld", &st, &ppid) == 2 && st == 'Z' &&
		    ppid == 1)
			n++;
	}
	closedir(d);
	return n;
}

/* RLIMIT_NPROC counts every process of the sandbox's host uid; when the tests
 * run unprivileged that includes the caller's own. */
static uint64_t nproc_budget(uint64_t extra)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	uint64_t mine = 0;

	if (geteuid() == 0)
		return extra;
	d = opendir("/proc");
	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[300];
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s", de->d_name);
		if (stat(path, &st) == 0 && st.st_uid == getuid())
			mine++;
	}
	closedir(d);
	return mine * 4 + extra;
}

static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static void test_driver_bwrap_available(void **state)
{
	um_error err;

	(void)state;
	assert_int_equal(sandbox_driver_available(NULL, &err), 1);
	assert_int_equal(sandbox_driver_available("bwrap", &err), 1);
	assert_int_equal(sandbox_driver_available("lxc", &err), 0);
	assert_non_null(strstr(err.msg, "unknown driver"));
}

static void test_env_is_exactly_fixed(void **state)
{
	fx *f = *state;
	const char *argv[] = { "env", NULL };
	const char *want[] = {
		"PATH=" SANDBOX_PATH, "HOME=/work", "TZ=UTC", "LANG=C.UTF-8", "PYTHONHASHSEED=0",
		"PWD=/work",
	};
	size_t i, lines = 0;
	const char *p;

	setenv("UMPIRE_SECRET", "hunter2", 1);
	assert_int_equal(sandbox_exec(&f->spec, argv, NULL, 0, &f->res, &f->err), 0);
	unsetenv("UMPIRE_SECRET");
	assert_int_equal(f->res.exit_code, 0);
	assert_null(strstr(out(f), "UMPIRE_SECRET"));
	assert_null(strstr(out(f), "hunter2"));
	for (i = 0; i < UM_ARRAY_LEN(want); i++)
		assert_true(has_line(out(f), want[i]));
	for (p = out(f); *p; p++)
		if (*p == '\n')
			lines++;
	assert_int_equal(lines, UM_ARRAY_LEN(want));

	sh(f, "echo \"$TZ|$LANG|$PYTHONHASHSEED|$HOME\"; date +%Z; hostname; pwd; id -u");
	assert_string_equal(out(f), "UTC|C.UTF-8|0|/work\nUTC\nsandbox\n/work\n0\n");

	/* the spec may add and override entries; nothing else gets in */
	{
		const char *env[] = { "TZ=Asia/Tokyo", "EXTRA=1", "EXTRA=2" };
		f->spec.env = env;
		f->spec.n_env = 3;
		sh(f, "echo \"$TZ $EXTRA\"; env | wc -l");
		assert_string_equal(out(f), "Asia/Tokyo 2\n7\n");
		f->spec.env = NULL;
		f->spec.n_env = 0;
	}
}

static void test_python_hash_seed(void **state)
{
	fx *f = *state;
	char first[64];

	if (access("/usr/bin/python3", X_OK) != 0) {
		print_message("# skip: no python3 on this host\n");
		return;
	}
	sh(f, "python3 -c 'print(hash(\"umpire\"))'");
	assert_int_equal(f->res.exit_code, 0);
	snprintf(first, sizeof(first), "%s", out(f));
	sh(f, "python3 -c 'print(hash(\"umpire\"))'");
	assert_string_equal(out(f), first);
}

/* A listener on 127.0.0.1 with a kernel-chosen port; connect() succeeds
 * from its backlog without accept(). */
static int listen_loopback(int *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void test_network(void **state)
{
	fx *f = *state;
	char script[256];
	int port, lfd = listen_loopback(&port);

	snprintf(script, sizeof(script),
		 "exec bash -c 'exec 3<>/dev/tcp/127.0.0.1/%d && echo connected'", port);
	f->spec.net = SANDBOX_NET_NONE;
	sh(f, script);
	assert_int_not_equal(f->res.exit_code, 0);
	assert_null(strstr(out(f), "connected"));

	f->spec.net = SANDBOX_NET_SHARED;
	sh(f, script);
	assert_int_equal(f->res.exit_code, 0);
	assert_string_equal(out(f), "connected\n");
	close(lfd);
}

static void test_filesystem(void **state)
{
	fx *f = *state;
	char *host, *data;
	size_t len;

	sh(f, "for p in /etc /usr /root /var /opt /; do "
	      "  if touch $p/umpire-sandbox-probe 2>/dev/null; then echo \"wrote $p\"; fi; "
	      "done; "
	      "echo inside > /work/out.txt && mkdir -p /work/a/b && echo deep > /work/a/b/c; "
	      "echo scratch > /tmp/scratch && cat /tmp/scratch");
	assert_int_equal(f->res.exit_code, 0);
	assert_string_equal(out(f), "scratch\n");
	assert_int_not_equal(access("/etc/umpire-sandbox-probe", F_OK), 0);
	assert_int_not_equal(access("/usr/umpire-sandbox-probe", F_OK), 0);
	assert_int_not_equal(access("/root/umpire-sandbox-probe", F_OK), 0);
	assert_int_not_equal(access("/umpire-sandbox-probe", F_OK), 0);

	host = um_xasprintf("%s/out.txt", f->work);
	assert_int_equal(um_read_file(host, &data, &len, NULL), 0);
	assert_string_equal(data, "inside\n");
	free(data);
	free(host);
	host = um_xasprintf("%s/a/b/c", f->work);
	assert_int_equal(access(host, F_OK), 0);
	free(host);

	/* the host's home directories and the parent of the work dirs are
	 * hidden; /proc shows only the sandbox */
	sh(f, "ls -A /root | wc -l; ls -A /home | wc -l; echo $$");
	assert_int_equal(f->res.exit_code, 0);
	assert_string_equal(out(f), "0\n0\n2\n");
}

static void test_tmp_private(void **state)
{
	fx *f = *state;
	char marker[128];
	FILE *fp;

	snprintf(marker, sizeof(marker), "/tmp/umpire-sandbox-hostmarker-%ld", (long)getpid());
	fp = fopen(marker, "w");
	assert_non_null(fp);
	fclose(fp);
	sh(f, "ls -A /tmp | wc -l; touch /tmp/from-inside");
	assert_string_equal(out(f), "0\n");
	/* not shared with the next command either, nor with the host */
	sh(f, "ls -A /tmp | wc -l");
	assert_string_equal(out(f), "0\n");
	assert_int_not_equal(access("/tmp/from-inside", F_OK), 0);
	unlink(marker);
}

/* /tmp and /var/tmp are tmpfs of limits.tmp_bytes (512 MiB by default), not
 * of half the host's memory: a command cannot pin more than that. */
static void test_tmp_sized(void **state)
{
	fx *f = *state;

	sh(f, "df -k /tmp /var/tmp | awk 'NR > 1 { print $2 }'");
	assert_string_equal(out(f), "524288\n524288\n");
	f->spec.limits.tmp_bytes = 4 << 20;
	sh(f, "head -c 5000000 /dev/zero >/tmp/x 2>/dev/null; echo $? $(stat -c %s /tmp/x);"
	      "head -c 5000000 /dev/zero >/var/tmp/x 2>/dev/null; echo $?");
	assert_string_equal(out(f), "1 4194304\n1\n");
}

/* The work dir is sized while a command runs: past limits.work_bytes the
 * tree is killed, and a later command is stopped at once while it is over. */
static void test_work_sized(void **state)
{
	fx *f = *state;

	f->spec.limits.work_bytes = 4 << 20;
	sh(f, "head -c 1048576 /dev/zero >small; echo fits");
	assert_string_equal(out(f), "fits\n");
	assert_false(f->res.limits_hit & SANDBOX_HIT_DISK);
	sh(f, "for i in $(seq 1 60); do head -c 524288 /dev/zero >f$i; sleep 0.05; done; echo all");
	assert_true(f->res.limits_hit & SANDBOX_HIT_DISK);
	assert_int_equal(f->res.signal, SIGKILL);
	assert_false(f->res.timed_out);
	assert_string_equal(out(f), "");
	sh(f, "echo again");
	assert_true(f->res.limits_hit & SANDBOX_HIT_DISK);
	assert_string_equal(out(f), "");
	f->spec.limits.work_bytes = 0;
	sh(f, "rm -f f*; echo unbounded");
	assert_string_equal(out(f), "unbounded\n");
}

/* Temporary directories under $TMPDIR, private, and swept once their
 * process is gone; directories of a live process or without ".owner" stay. */
static void test_tmpdir_sweep(void **state)
{
	fx *f = *state;
	char *root = um_xasprintf("%s/tmproot", f->parent), *mine, *other, *dead = NULL;
	const char *old = getenv("TMPDIR");
	char *saved = old ? um_xstrdup(old) : NULL;
	struct stat st;
	int lk, pfd[2], status;
	pid_t pid;
	char buf[256] = "";

	assert_int_equal(mkdir(root, 0700), 0);
	setenv("TMPDIR", root, 1);
	mine = sandbox_tmpdir_new("t1", &lk, &f->err);
	assert_non_null(mine);
	assert_true(um_has_prefix(mine, root));
	assert_int_equal(stat(mine, &st), 0);
	assert_int_equal(st.st_mode & 07777, geteuid() == 0 ? 0711 : 0700);
	other = um_xasprintf("%s/umpire-legacy-abcdef", root);
	assert_int_equal(mkdir(other, 0700), 0);
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	if (pid == 0) {
		int l2;
		char *p = sandbox_tmpdir_new("t2", &l2, NULL);
		if (p && write(pfd[1], p, strlen(p)) < 0)
			_exit(2);
		_exit(p ? 0 : 1); /* as if killed: nothing cleaned up */
	}
	close(pfd[1]);
	assert_true(read(pfd[0], buf, sizeof(buf) - 1) > 0);
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	dead = um_xstrdup(buf);
	assert_int_equal(access(dead, F_OK), 0);
	assert_int_equal(sandbox_tmpdir_sweep(), 1);
	assert_int_not_equal(access(dead, F_OK), 0);
	assert_int_equal(access(mine, F_OK), 0);
	assert_int_equal(access(other, F_OK), 0);
	close(lk);
	assert_int_equal(sandbox_tmpdir_sweep(), 1);
	assert_int_not_equal(access(mine, F_OK), 0);
	if (saved)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
	free(mine);
	free(other);
	free(dead);
	free(root);
}

static void test_fork_bomb_stopped(void **state)
{
	fx *f = *state;
	char marker[64], script[512];
	const char *argv[5];

	snprintf(marker, sizeof(marker), "umpire-bomb-%ld", (long)getpid());
	snprintf(script, sizeof(script),
		 "i=0; while [ $i -lt 3000 ]; do "
		 "  sh -c 'sleep 30' \"$0\" & i=$((i+1)); "
		 "done; echo spawned $i");
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = script;
	argv[3] = marker;
	argv[4] = NULL;
	f->spec.limits.nproc = nproc_budget(40);
	assert_int_equal(sandbox_exec(&f->spec, argv, NULL, 0, &f->res, &f->err), 0);
	assert_false(f->res.timed_out);
	assert_int_not_equal(f->res.exit_code, 0);
	assert_null(strstr(out(f), "spawned 3000"));
	assert_non_null(strstr(um_buf_str(&f->res.err), "fork"));
	assert_int_equal(count_marked(marker), 0);
	assert_int_equal(count_children(), 0);
}

static void test_cpu_limit(void **state)
{
	fx *f = *state;

	f->spec.limits.cpu_s = 1;
	sh(f, "while :; do :; done");
	assert_false(f->res.timed_out);
	assert_int_equal(f->res.signal, SIGXCPU);
	assert_int_equal(f->res.exit_code, -1);
	assert_true(f->res.limits_hit & SANDBOX_HIT_CPU);
	/* it burned CPU until the limit; the reaped total is approximate on a
	 * loaded machine (tick accounting), so only a clear lower bound */
	assert_true(f->res.cpu_ms >= 500);
}

static void test_wall_timeout_kills_tree(void **state)
{
	fx *f = *state;
	char marker[64];
	const char *argv[5];
	int zombies = count_orphan_zombies();

	snprintf(marker, sizeof(marker), "umpire-runaway-%ld", (long)getpid());
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = "sh -c 'while :; do sleep 1; done' \"$0\" & "
		  "setsid sh -c 'trap \"\" TERM HUP INT; while :; do :; done' \"$0\" & "
		  "( trap '' TERM; while :; do :; done ) & "
		  "echo started; while :; do :; done";
	argv[3] = marker;
	argv[4] = NULL;
	f->spec.limits.wall_ms = 1000;
	assert_int_equal(sandbox_exec(&f->spec, argv, NULL, 0, &f->res, &f->err), 0);
	assert_true(f->res.timed_out);
	assert_true(f->res.limits_hit & SANDBOX_HIT_WALL);
	assert_int_equal(f->res.signal, SIGKILL);
	assert_string_equal(out(f), "started\n");
	assert_true(f->res.wall_ms >= 1000);
	/* nothing of the tree is left, and no zombie of ours */
	assert_int_equal(count_marked(marker), 0);
	assert_int_equal(count_children(), 0);
	assert_true(count_orphan_zombies() <= zombies);
}

static void test_output_flood(void **state)
{
	fx *f = *state;

	f->spec.limits.out_max = 1 << 20;
	f->spec.limits.err_max = 100;
	sh(f, "yes | head -c 50000000; echo to-stderr-is-kept-apart >&2; "
	      "head -c 1000 /dev/zero >&2");
	assert_int_equal(f->res.exit_code, 0);
	assert_false(f->res.timed_out);
	assert_int_equal(f->res.out.len, 1 << 20);
	assert_true(f->res.out_bytes == 50000000);
	assert_true(f->res.out_truncated);
	assert_true(f->res.err_truncated);
	assert_true(f->res.err_bytes == 1024);
	assert_int_equal(f->res.err.len, 100);
	assert_true(f->res.limits_hit & SANDBOX_HIT_OUTPUT);
	assert_memory_equal(f->res.out.data, "y\ny\ny\n", 6);
	assert_memory_equal(f->res.err.data, "to-stderr-is-kept-apart\n", 24);

	/* an endless stream ends at the wall clock with a bounded buffer */
	f->spec.limits.wall_ms = 1000;
	sh(f, "yes");
	assert_true(f->res.timed_out);
	assert_int_equal(f->res.out.len, 1 << 20);
	assert_true(f->res.out_bytes > (1 << 20));

	/* small outputs are exact and not flagged */
	f->spec.limits.wall_ms = 20000;
	sh(f, "printf out; printf err >&2");
	assert_string_equal(out(f), "out");
	assert_string_equal(um_buf_str(&f->res.err), "err");
	assert_false(f->res.out_truncated);
	assert_int_equal(f->res.limits_hit, 0);
}

static void test_exit_codes_and_signals(void **state)
{
	fx *f = *state;
	const char *false_argv[] = { "false", NULL };
	const char *missing[] = { "/nonexistent/program", NULL };

	sh(f, "exit 7");
	assert_int_equal(f->res.exit_code, 7);
	assert_int_equal(f->res.signal, 0);
	sh(f, "true");
	assert_int_equal(f->res.exit_code, 0);
	sh(f, "kill -TERM $$");
	assert_int_equal(f->res.exit_code, -1);
	assert_int_equal(f->res.signal, SIGTERM);
	assert_false(f->res.timed_out);
	sh(f, "kill -SEGV $$");
	assert_int_equal(f->res.signal, SIGSEGV);
	sh(f, "no-such-command-here");
	assert_int_equal(f->res.exit_code, 127);

	sandbox_result_release(&f->res);
	assert_int_equal(sandbox_exec(&f->spec, false_argv, NULL, 0, &f->res, &f->err), 0);
	assert_int_equal(f->res.exit_code, 1);
	sandbox_result_release(&f->res);
	assert_int_equal(sandbox_exec(&f->spec, missing, NULL, 0, &f->res, &f->err), -1);
	assert_int_equal(f->err.code, UM_ERR_IO);
	assert_non_null(strstr(f->err.msg, "/nonexistent/program"));

	/* file size limit: SIGXFSZ */
	f->spec.limits.fsize_bytes = 4096;
	sh(f, "head -c 100000 /dev/zero > /work/big");
	assert_int_equal(f->res.signal, SIGXFSZ);
	assert_true(f->res.limits_hit & SANDBOX_HIT_FSIZE);

	/* address space limit: a large allocation fails inside */
	f->spec.limits.fsize_bytes = 0;
	f->spec.limits.mem_bytes = 64 << 20;
	sh(f, "awk 'BEGIN { s = \"x\"; while (length(s) < 1000000000) s = s s; print \"grew\" }'");
	assert_false(f->res.timed_out);
	assert_int_not_equal(f->res.exit_code, 0);
	assert_null(strstr(out(f), "grew"));
}

static void test_stdin(void **state)
{
	fx *f = *state;
	size_t n = 3 << 20;
	char *big = um_xmalloc(n);
	const char *cat[] = { "cat", NULL };

	memset(big, 'z', n);
	sandbox_result_release(&f->res);
	assert_int_equal(sandbox_exec(&f->spec, cat, "hello\0world", 11, &f->res, &f->err), 0);
	assert_int_equal(f->res.out.len, 11);
	assert_memory_equal(f->res.out.data, "hello\0world", 11);

	sandbox_result_release(&f->res);
	assert_int_equal(sandbox_exec_sh(&f->spec, "wc -c", big, n, &f->res, &f->err), 0);
	assert_int_equal(atoi(out(f)), (int)n);

	/* a command that never reads its input does not hang the call */
	sandbox_result_release(&f->res);
	assert_int_equal(sandbox_exec_sh(&f->spec, "echo ignored", big, n, &f->res, &f->err), 0);
	assert_string_equal(out(f), "ignored\n");
	assert_false(f->res.timed_out);

	/* no stdin: /dev/null */
	sh(f, "cat; echo end");
	assert_string_equal(out(f), "end\n");
	free(big);
}

static void test_hidden_tests_copied_after(void **state)
{
	fx *f = *state;
	char *data;
	size_t len;
	struct stat st;
	char *p;

	/* the agent's step: the hidden tests are nowhere to be seen */
	sh(f, "ls -A /work; test -e /work/tests && echo LEAK; echo 42 > /work/answer.txt");
	assert_int_equal(f->res.exit_code, 0);
	assert_string_equal(out(f), "");

	assert_int_equal(sandbox_copy_in(&f->spec, FIX_SANDBOX "/hidden", "tests", &f->err), 0);
	p = um_xasprintf("%s/tests/run.sh", f->work);
	assert_int_equal(stat(p, &st), 0);
	assert_true(st.st_mode & S_IXUSR);
	if (geteuid() == 0)
		assert_int_equal(st.st_uid, SANDBOX_HOST_ID_DEFAULT);
	free(p);

	sh(f, "/work/tests/run.sh");
	assert_int_equal(f->res.exit_code, 0);
	assert_string_equal(out(f), "hidden test: pass\n");
	assert_int_equal(sandbox_read_file(f->work, "logs/verifier/reward.txt", 64, &data, &len,
					   &f->err), 0);
	assert_string_equal(data, "1\n");
	assert_int_equal(len, 2);
	free(data);

	/* a single file into a new nested directory, replacing what is there */
	assert_int_equal(sandbox_copy_in(&f->spec, FIX_SANDBOX "/hidden/data/expected.txt",
					 "x/y/answer.txt", &f->err), 0);
	assert_int_equal(sandbox_copy_in(&f->spec, FIX_SANDBOX "/hidden/data/expected.txt",
					 "answer.txt", &f->err), 0);
	sh(f, "cat /work/x/y/answer.txt /work/answer.txt");
	assert_string_equal(out(f), "42\n42\n");

	/* garbage */
	assert_int_equal(sandbox_copy_in(&f->spec, FIX_SANDBOX "/nope", "n", &f->err), -1);
	assert_int_equal(f->err.code, UM_ERR_NOTFOUND);
	assert_int_equal(sandbox_copy_in(&f->spec, "relative/src", "n", &f->err), -1);
	assert_int_equal(sandbox_copy_in(&f->spec, FIX_SANDBOX "/hidden", "../up", &f->err), -1);
	assert_int_equal(sandbox_copy_in(&f->spec, FIX_SANDBOX "/hidden", "/abs", &f->err), -1);
	assert_int_equal(sandbox_copy_in(&f->spec, FIX_SANDBOX "/hidden", "a/./b", &f->err), -1);
	assert_int_equal(sandbox_copy_in(&f->spec, FIX_SANDBOX "/hidden", "", &f->err), -1);
	assert_int_equal(sandbox_copy_in(&f->spec, "/dev/null", "devnull", &f->err), -1);
	assert_int_equal(f->err.code, UM_ERR_INVALID);
}

static void test_planted_symlinks_not_followed(void **state)
{
	fx *f = *state;
	char *data = NULL, *big;
	size_t len;
	um_error err;

	sh(f, "ln -s /etc /work/evil && ln -s /etc/hostname /work/pw && mkfifo /work/fifo && "
	      "mkdir -p /work/logs && ln -s /etc /work/logs/verifier && "
	      "head -c 5000 /dev/zero > /work/large && echo ok");
	assert_string_equal(out(f), "ok\n");

	/* writes through a planted directory symlink are refused */
	assert_int_equal(sandbox_copy_in(&f->spec, FIX_SANDBOX "/hidden/run.sh", "evil/umpire-x",
					 &err), -1);
	assert_non_null(strstr(err.msg, "symlink"));
	assert_int_not_equal(access("/etc/umpire-x", F_OK), 0);
	/* a planted final symlink is replaced, not written through */
	assert_int_equal(sandbox_copy_in(&f->spec, FIX_SANDBOX "/hidden/data/expected.txt", "pw",
					 &err), 0);
	sh(f, "test -L /work/pw || cat /work/pw");
	assert_string_equal(out(f), "42\n");

	/* reading back never follows a symlink nor blocks on a fifo */
	sh(f, "ln -sf /etc/passwd /work/link");
	assert_int_equal(sandbox_read_file(f->work, "link", 1 << 20, &data, &len, &err), -1);
	assert_null(data);
	assert_int_equal(sandbox_read_file(f->work, "logs/verifier/passwd", 1 << 20, &data, &len,
					   &err), -1);
	assert_int_equal(sandbox_read_file(f->work, "fifo", 1 << 20, &data, &len, &err), -1);
	assert_int_equal(sandbox_read_file(f->work, "large", 100, &data, &len, &err), -1);
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_int_equal(sandbox_read_file(f->work, "large", 5000, &data, &len, &err), 0);
	assert_int_equal(len, 5000);
	free(data);
	assert_int_equal(sandbox_read_file(f->work, "missing.txt", 10, &data, &len, &err), -1);
	assert_int_equal(err.code, UM_ERR_NOTFOUND);
	assert_int_equal(sandbox_read_file(f->work, "../etc/passwd", 10, &data, &len, &err), -1);
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_int_equal(sandbox_read_file(f->work, "/etc/passwd", 10, &data, &len, &err), -1);
	assert_int_equal(sandbox_read_file("relative", "x", 10, &data, &len, &err), -1);
	big = um_xasprintf("%s/nonexistent-dir", f->parent);
	assert_int_equal(sandbox_read_file(big, "x", 10, &data, &len, &err), -1);
	assert_int_equal(err.code, UM_ERR_NOTFOUND);
	free(big);
}

static void test_image_root_and_binds(void **state)
{
	fx *f = *state;
	char *root = um_xasprintf("%s/image", f->parent);
	char *logs = sandbox_workdir_new(&f->spec, f->parent, "logs", &f->err);
	const char *links[] = { "bin", "lib", "lib64", "sbin", "lib32" };
	sandbox_bind binds[3];
	char *p, target[256];
	size_t i;
	FILE *fp;

	assert_non_null(logs);
	assert_int_equal(mkdir(root, 0755), 0);
	p = um_xasprintf("%s/usr", root);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = um_xasprintf("%s/IMAGE_MARKER", root);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs("from-the-image\n", fp);
	fclose(fp);
	chmod(p, 0644);
	free(p);
	/* merged-/usr hosts: the image reuses the host's /usr through a bind */
	for (i = 0; i < UM_ARRAY_LEN(links); i++) {
		char host[32];
		ssize_t n;
		snprintf(host, sizeof(host), "/%s", links[i]);
		n = readlink(host, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		p = um_xasprintf("%s/%s", root, links[i]);
		assert_int_equal(symlink(target, p), 0);
		free(p);
	}
	if (access("/bin/sh", X_OK) != 0 || readlink("/bin", target, sizeof(target)) <= 0) {
		free(root);
		free(logs);
		print_message("# skip: not a merged-/usr host\n");
		return;
	}
	binds[0].host = "/usr";
	binds[0].inside = NULL;
	binds[0].writable = 0;
	binds[1].host = FIX_SANDBOX "/hidden/data";
	binds[1].inside = "/data";
	binds[1].writable = 0;
	binds[2].host = logs;
	binds[2].inside = "/logs";
	binds[2].writable = 1;
	f->spec.root = root;
	f->spec.binds = binds;
	f->spec.n_binds = 3;
	sh(f, "cat /IMAGE_MARKER; test -e /etc/passwd && echo HOST-ETC; cat /data/expected.txt; "
	      "touch /data/x 2>/dev/null && echo WROTE-RO; "
	      "mkdir -p /logs/verifier && echo 0.75 > /logs/verifier/reward.txt; ls /");
	assert_int_equal(f->res.exit_code, 0);
	assert_true(um_has_prefix(out(f), "from-the-image\n42\nIMAGE_MARKER\n"));
	assert_null(strstr(out(f), "HOST-ETC"));
	assert_null(strstr(out(f), "WROTE-RO"));
	assert_false(has_line(out(f), "etc"));
	assert_false(has_line(out(f), "home"));
	assert_true(has_line(out(f), "logs"));
	assert_true(has_line(out(f), "work"));
	p = NULL;
	assert_int_equal(sandbox_read_file(logs, "verifier/reward.txt", 16, &p, NULL, &f->err), 0);
	assert_string_equal(p, "0.75\n");
	free(p);
	f->spec.root = NULL;
	f->spec.binds = NULL;
	f->spec.n_binds = 0;
	free(root);
	free(logs);
}

/* With the host root, the directory holding the work dirs is hidden, so an
 * attempt cannot read a sibling attempt's files through the host path. */
static void test_sibling_workdirs_hidden(void **state)
{
	fx *f = *state;
	char cwd[4096], *parent, *a, *b, *secret, *script;
	struct stat st;
	FILE *fp;

	if (!getcwd(cwd, sizeof(cwd)) || um_has_prefix(cwd, "/tmp") || stat(cwd, &st) < 0 ||
	    (st.st_mode & 0005) != 0005) {
		print_message("# skip: the test's cwd is under /tmp or not reachable\n");
		return;
	}
	parent = um_xasprintf("%s/sandbox-test-%ld", cwd, (long)getpid());
	a = sandbox_workdir_new(&f->spec, parent, "a", &f->err);
	b = a ? sandbox_workdir_new(&f->spec, parent, "b", &f->err) : NULL;
	if (!b) {
		print_message("# skip: cannot create work dirs in the cwd: %s\n", f->err.msg);
		sandbox_workdir_remove(parent, NULL);
		free(a);
		free(parent);
		return;
	}
	chmod(parent, 0755);
	chmod(b, 0755);
	secret = um_xasprintf("%s/secret", b);
	fp = fopen(secret, "w");
	assert_non_null(fp);
	fputs("sibling-secret\n", fp);
	fclose(fp);
	chmod(secret, 0644);
	f->spec.work_dir = a;
	script = um_xasprintf("cat %s 2>/dev/null; ls -A %s | wc -l", secret, parent);
	sh(f, script);
	assert_null(strstr(out(f), "sibling-secret"));
	assert_string_equal(out(f), "0\n");
	f->spec.work_dir = f->work;
	sandbox_workdir_remove(parent, NULL);
	free(script);
	free(secret);
	free(a);
	free(b);
	free(parent);
}

static void expect_invalid(fx *f, const char *needle)
{
	sandbox_result_release(&f->res);
	assert_int_equal(sandbox_exec_sh(&f->spec, "true", NULL, 0, &f->res, &f->err), -1);
	assert_int_equal(f->err.code, UM_ERR_INVALID);
	if (!strstr(f->err.msg, needle))
		fail_msg("error \"%s\" does not mention \"%s\"", f->err.msg, needle);
}

static void test_garbage_specs(void **state)
{
	fx *f = *state;
	sandbox_spec good = f->spec;
	sandbox_bind b;
	const char *bad_env[] = { "NOEQUALS" };
	const char *bad_env2[] = { "1X=y" };
	const char *empty[] = { NULL };
	char *file;
	FILE *fp;

	f->spec.work_dir = NULL;
	expect_invalid(f, "work_dir is not set");
	f->spec.work_dir = "relative/work";
	expect_invalid(f, "not an absolute path");
	f->spec.work_dir = "/nonexistent/umpire/work";
	expect_invalid(f, "does not exist");
	file = um_xasprintf("%s/plainfile", f->parent);
	fp = fopen(file, "w");
	assert_non_null(fp);
	fclose(fp);
	f->spec.work_dir = file;
	expect_invalid(f, "not a directory");
	f->spec = good;

	f->spec.root = "/nonexistent/image/root";
	expect_invalid(f, "root");
	f->spec.root = "relative/root";
	expect_invalid(f, "root");
	f->spec.root = file;
	expect_invalid(f, "root");
	f->spec = good;

	f->spec.work_mount = "work";
	expect_invalid(f, "work_mount");
	f->spec.work_mount = "/a/b";
	expect_invalid(f, "work_mount");
	f->spec.work_mount = "/proc";
	expect_invalid(f, "reserved");
	f->spec.work_mount = "/..";
	expect_invalid(f, "work_mount");
	f->spec = good;

	b.host = "relative";
	b.inside = "/x";
	b.writable = 0;
	f->spec.binds = &b;
	f->spec.n_binds = 1;
	expect_invalid(f, "not absolute");
	b.host = "/nonexistent/bind/source";
	expect_invalid(f, "bind 0");
	b.host = "/usr";
	b.inside = "x";
	expect_invalid(f, "inside path");
	b.inside = "/a/../etc";
	expect_invalid(f, "inside path");
	b.inside = "/";
	expect_invalid(f, "inside path");
	f->spec = good;

	f->spec.env = bad_env;
	f->spec.n_env = 1;
	expect_invalid(f, "NAME=value");
	f->spec.env = bad_env2;
	expect_invalid(f, "NAME=value");
	f->spec = good;

	f->spec.driver = "lxc";
	expect_invalid(f, "unknown driver");
	f->spec.driver = "docker";
	expect_invalid(f, "needs an image");
	f->spec.image = "debian:12";
	f->spec.root = "/";
	expect_invalid(f, "root is for the bwrap driver");
	f->spec = good;
	f->spec.net = (sandbox_net)7;
	expect_invalid(f, "network");
	f->spec = good;

	sandbox_result_release(&f->res);
	assert_int_equal(sandbox_exec(&f->spec, empty, NULL, 0, &f->res, &f->err), -1);
	assert_non_null(strstr(f->err.msg, "empty command"));
	sandbox_result_release(&f->res);
	assert_int_equal(sandbox_exec(&f->spec, NULL, NULL, 0, &f->res, &f->err), -1);
	sandbox_result_release(&f->res);
	assert_int_equal(sandbox_exec_sh(&f->spec, NULL, NULL, 0, &f->res, &f->err), -1);
	sandbox_result_release(&f->res);
	assert_int_equal(sandbox_exec_sh(NULL, "true", NULL, 0, &f->res, &f->err), -1);

	assert_null(sandbox_workdir_new(&f->spec, "relative", "w", &f->err));
	assert_null(sandbox_workdir_new(&f->spec, f->parent, "a/b", &f->err));
	assert_int_equal(sandbox_workdir_remove("/", &f->err), -1);
	assert_int_equal(sandbox_workdir_remove("relative", &f->err), -1);
	free(file);
}

static int argv_has(char **argv, const char *s)
{
	size_t i;

	for (i = 0; argv[i]; i++)
		if (strcmp(argv[i], s) == 0)
			return 1;
	return 0;
}

static void test_build_argv(void **state)
{
	fx *f = *state;
	const char *cmd[] = { "/bin/sh", "-c", "echo hi", NULL };
	char **a, *vol;
	size_t n;

	a = sandbox_build_argv(&f->spec, cmd, &f->err);
	assert_non_null(a);
	assert_true(argv_has(a, "--unshare-net"));
	assert_true(argv_has(a, "--unshare-pid"));
	assert_true(argv_has(a, "--die-with-parent"));
	assert_true(argv_has(a, "--new-session"));
	assert_true(argv_has(a, "--clearenv"));
	assert_true(argv_has(a, "--remount-ro"));
	for (n = 0; a[n]; n++)
		;
	assert_string_equal(a[n - 1], "echo hi");
	assert_string_equal(a[n - 4], "--");
	sandbox_argv_free(a);
	f->spec.net = SANDBOX_NET_SHARED;
	a = sandbox_build_argv(&f->spec, cmd, &f->err);
	assert_false(argv_has(a, "--unshare-net"));
	sandbox_argv_free(a);

	f->spec.driver = "docker";
	f->spec.image = "debian:12";
	f->spec.net = SANDBOX_NET_NONE;
	f->spec.limits.mem_bytes = 1 << 30;
	f->spec.limits.nproc = 64;
	f->spec.limits.cpu_s = 30;
	a = sandbox_build_argv(&f->spec, cmd, &f->err);
	assert_non_null(a);
	assert_string_equal(a[1], "run");
	assert_true(argv_has(a, "--rm"));
	assert_true(argv_has(a, "none"));
	assert_true(argv_has(a, "--read-only"));
	assert_true(argv_has(a, "--memory=1073741824"));
	assert_true(argv_has(a, "--pids-limit=64"));
	assert_true(argv_has(a, "--ulimit=cpu=30:31"));
	assert_true(argv_has(a, "TZ=UTC"));
	assert_true(argv_has(a, "PYTHONHASHSEED=0"));
	vol = um_xasprintf("--volume=%s:/work:rw", f->work);
	assert_true(argv_has(a, vol));
	free(vol);
	vol = um_xasprintf("--user=%ld:%ld", geteuid() == 0 ? 65534L : (long)getuid(),
			   geteuid() == 0 ? 65534L : (long)getgid());
	assert_true(argv_has(a, vol));
	free(vol);
	for (n = 0; a[n]; n++)
		;
	assert_string_equal(a[n - 4], "debian:12");
	assert_string_equal(a[n - 1], "echo hi");
	sandbox_argv_free(a);
	f->spec.driver = "podman";
	f->spec.net = SANDBOX_NET_SHARED;
	a = sandbox_build_argv(&f->spec, cmd, &f->err);
	assert_true(argv_has(a, "bridge"));
	assert_non_null(strstr(a[0], "podman"));
	sandbox_argv_free(a);
	f->spec.driver = "lxc";
	assert_null(sandbox_build_argv(&f->spec, cmd, &f->err));
}

/* The one-shot mapping (`run --rm` per command, the work dir bound at
 * /work), as swe tasks use it under a container driver: for real, never
 * skipped (scripts/engines.sh makes both engines usable). */
static void run_engine_driver(fx *f, const char *driver)
{
	const char *image = getenv("UMPIRE_SANDBOX_IMAGE");
	const char *src = getenv("UMPIRE_SRCDIR");
	char *cmd = um_xasprintf("%s/scripts/engines.sh", src ? src : ".");
	um_error err;

	assert_int_equal(system(cmd), 0);
	free(cmd);
	if (!sandbox_driver_available(driver, &err))
		fail_msg("%s driver: %s", driver, err.msg);
	f->spec.driver = driver;
	f->spec.image = image ? image : "localhost/umpire-base:bookworm";
	f->spec.limits.wall_ms = 120000;
	sh(f, "echo \"$TZ\" > /work/from-engine; cat /work/from-engine; exit 3");
	assert_int_equal(f->res.exit_code, 3);
	assert_string_equal(out(f), "UTC\n");
	/* the limits reach the container: its own rlimits within the client's */
	sh(f, "ulimit -n; ls /sys/class/net");
	assert_string_equal(out(f), "4096\nlo\n");
	f->spec.limits.wall_ms = 2000;
	sh(f, "sleep 60");
	assert_true(f->res.timed_out);
}

static void test_docker_driver(void **state)
{
	run_engine_driver(*state, "docker");
}

static void test_podman_driver(void **state)
{
	run_engine_driver(*state, "podman");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_driver_bwrap_available),
		cmocka_unit_test_setup_teardown(test_env_is_exactly_fixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_python_hash_seed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_network, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filesystem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tmp_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tmp_sized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tmpdir_sweep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_work_sized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fork_bomb_stopped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpu_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wall_timeout_kills_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_codes_and_signals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hidden_tests_copied_after, setup, teardown),
		cmocka_unit_test_setup_teardown(test_planted_symlinks_not_followed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_image_root_and_binds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sibling_workdirs_hidden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_specs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_argv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_docker_driver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_podman_driver, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
