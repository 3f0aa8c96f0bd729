/*
 * sandbox.c - isolated command execution for agentic tasks (see sandbox.h,
 * docs/sandbox.md).
 *
 * One call = one process tree. The parent forks a child that puts itself in
 * its own process group, resets signal dispositions, sets the rlimits, drops
 * to the sandbox's host uid when the caller is root (the kernel does not
 * enforce RLIMIT_NPROC on uid 0) and execs the driver: bwrap, or the docker /
 * podman client. The parent then runs one poll() loop over the stdin socket,
 * the stdout and stderr pipes, bwrap's JSON status pipe and a pidfd of the
 * child, against a monotonic deadline. At the deadline it SIGKILLs the
 * process group; the sandbox's pid-namespace init dies with bwrap
 * (--die-with-parent) and takes every process of the namespace with it. The
 * init's pid comes from the status pipe, and a pidfd on it lets the call
 * return only once the whole tree is gone.
 *
 * bwrap's root is a tmpfs that receives a read-only bind of each top-level
 * entry of the chosen root (so the work mount and bind targets can be
 * created on any host), then is remounted read-only.
 *
 * Files moved in and out of a work dir are walked with openat(O_NOFOLLOW)
 * one component at a time: the sandboxed command may have planted symlinks
 * there, and the harness runs with more rights than it.
 */
#include "exec/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"

extern char **environ;

#define STATUS_FD 3          /* bwrap --json-status-fd inside the child */
#define STATUS_MAX 8192      /* bwrap's status documents are small */
#define DRAIN_GRACE_MS 2000  /* after the driver exits or is killed */
#define TREE_WAIT_MS 2000    /* for the namespace init to go */
#define WATCH_MS 200         /* least interval between two sizings of the work dir */
#define IO_CHUNK 65536

/* ---- small helpers ---------------------------------------------------- */

typedef struct strv {
	char **v;
	size_t n, cap;
} strv;

static void strv_add(strv *s, const char *x)
{
	um_xgrow((void **)&s->v, &s->cap, s->n + 2, sizeof(char *));
	s->v[s->n++] = um_xstrdup(x);
	s->v[s->n] = NULL;
}

static void strv_add2(strv *s, const char *a, const char *b)
{
	strv_add(s, a);
	strv_add(s, b);
}

static void strv_add3(strv *s, const char *a, const char *b, const char *c)
{
	strv_add(s, a);
	strv_add(s, b);
	strv_add(s, c);
}

static void strv_addf(strv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void strv_addf(strv *s, const char *fmt, ...)
{
	va_list ap;
	char *x;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&x, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	um_xgrow((void **)&s->v, &s->cap, s->n + 2, sizeof(char *));
	s->v[s->n++] = x;
	s->v[s->n] = NULL;
}

void sandbox_argv_free(char **argv)
{
	size_t i;

	if (!argv)
		return;
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

static int64_t ms_until(int64_t deadline, int64_t now)
{
	return deadline > now ? deadline - now : 0;
}

static int pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

static int pidfd_kill(int pidfd, int sig)
{
#ifdef SYS_pidfd_send_signal
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
#else
	(void)pidfd;
	(void)sig;
	errno = ENOSYS;
	return -1;
#endif
}

/* Absolute program path found in the caller's PATH, or NULL. Caller frees. */
static char *find_program(const char *name)
{
	const char *path = getenv("PATH");
	const char *p, *end;

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p; p = *end ? end + 1 : end) {
		char *cand;

		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		if (end == p || *p != '/')
			continue;
		cand = um_xasprintf("%.*s/%s", (int)(end - p), p, name);
		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
	}
	return NULL;
}

/* True when every component of p is a real name (no "", ".", ".."). With
 * absolute, p must start with '/' (and "/" alone is refused); otherwise it
 * must not. */
static int path_clean(const char *p, int absolute)
{
	const char *c;

	if (!p || !*p)
		return 0;
	if (absolute != (p[0] == '/'))
		return 0;
	if (absolute)
		p++;
	if (!*p)
		return 0;
	for (c = p;;) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (!e)
			return 1;
		c = e + 1;
	}
}

static int is_env_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !(s[0] == '_' || (s[0] >= 'A' && s[0] <= 'Z') ||
			(s[0] >= 'a' && s[0] <= 'z')))
		return 0;
	for (i = 1; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- the spec --------------------------------------------------------- */

typedef enum drv { DRV_BWRAP, DRV_DOCKER, DRV_PODMAN } drv;

static const char *const drv_names[] = { "bwrap", "docker", "podman" };

static int drv_parse(const char *name, drv *d, um_error *err)
{
	size_t i;

	if (!name) {
		*d = DRV_BWRAP;
		return 0;
	}
	for (i = 0; i < UM_ARRAY_LEN(drv_names); i++)
		if (strcmp(name, drv_names[i]) == 0) {
			*d = (drv)i;
			return 0;
		}
	return um_fail(err, UM_ERR_INVALID,
		       "sandbox: unknown driver \"%s\" (expected bwrap, docker or podman)", name);
}

sandbox_limits sandbox_limits_default(void)
{
	sandbox_limits l;

	memset(&l, 0, sizeof(l));
	l.mem_bytes = (uint64_t)4 << 30;
	l.nproc = 512;
	l.fsize_bytes = (uint64_t)1 << 30;
	l.nofile = 4096;
	l.cpu_s = 0;
	l.wall_ms = 600000;
	l.out_max = SANDBOX_OUT_MAX_DEFAULT;
	l.err_max = SANDBOX_OUT_MAX_DEFAULT;
	l.tmp_bytes = (uint64_t)512 << 20;
	return l;
}

void sandbox_spec_init(sandbox_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->net = SANDBOX_NET_NONE;
	s->limits = sandbox_limits_default();
	s->host_uid = -1;
	s->host_gid = -1;
}

static const char *work_mount(const sandbox_spec *s)
{
	return s->work_mount ? s->work_mount : SANDBOX_WORK_MOUNT;
}

/* The host ids the sandbox runs as; *drop says whether the child must
 * switch to them (caller is root and they are not root). */
static void host_ids(const sandbox_spec *s, uid_t *uid, gid_t *gid, int *drop)
{
	if (geteuid() != 0) {
		*uid = getuid();
		*gid = getgid();
		*drop = 0;
		return;
	}
	*uid = (uid_t)(s && s->host_uid >= 0 ? s->host_uid : SANDBOX_HOST_ID_DEFAULT);
	*gid = (gid_t)(s && s->host_gid >= 0 ? s->host_gid : SANDBOX_HOST_ID_DEFAULT);
	*drop = *uid != 0 || *gid != 0;
}

static const char *const reserved_tops[] = { "proc", "dev", "tmp" };

static int spec_check(const sandbox_spec *s, drv d, um_error *err)
{
	const char *wm;
	size_t i;

	if (!s)
		return um_fail(err, UM_ERR_INVALID, "sandbox: no spec");
	wm = work_mount(s);
	if (!s->work_dir)
		return um_fail(err, UM_ERR_INVALID, "sandbox: work_dir is not set");
	if (s->work_dir[0] != '/')
		return um_fail(err, UM_ERR_INVALID,
			       "sandbox: work_dir \"%s\" is not an absolute path", s->work_dir);
	if (!is_dir(s->work_dir))
		return um_fail(err, UM_ERR_INVALID,
			       "sandbox: work_dir \"%s\" does not exist or is not a directory",
			       s->work_dir);
	if (!path_clean(wm, 1) || strchr(wm + 1, '/'))
		return um_fail(err, UM_ERR_INVALID,
			       "sandbox: work_mount \"%s\" must be one absolute component "
			       "such as /work", wm);
	for (i = 0; i < UM_ARRAY_LEN(reserved_tops); i++)
		if (strcmp(wm + 1, reserved_tops[i]) == 0)
			return um_fail(err, UM_ERR_INVALID,
				       "sandbox: work_mount \"%s\" is reserved", wm);
	if (d == DRV_BWRAP) {
		if (s->root && (s->root[0] != '/' || !is_dir(s->root)))
			return um_fail(err, UM_ERR_INVALID,
				       "sandbox: root \"%s\" is not an absolute path to a "
				       "directory", s->root);
	} else {
		if (s->root)
			return um_fail(err, UM_ERR_INVALID,
				       "sandbox: root is for the bwrap driver; %s takes an image",
				       drv_names[d]);
		if (strchr(s->work_dir, ':') || strchr(s->work_dir, ','))
			return um_fail(err, UM_ERR_INVALID,
				       "sandbox: work_dir \"%s\": ':' or ',' cannot be passed "
				       "to %s -v", s->work_dir, drv_names[d]);
		if (!s->image || !*s->image || s->image[0] == '-')
			return um_fail(err, UM_ERR_INVALID, "sandbox: the %s driver needs an image",
				       drv_names[d]);
	}
	if (s->n_binds && !s->binds)
		return um_fail(err, UM_ERR_INVALID, "sandbox: n_binds without binds");
	for (i = 0; i < s->n_binds; i++) {
		const sandbox_bind *b = &s->binds[i];
		const char *in = b->inside ? b->inside : b->host;
		struct stat st;

		if (!b->host || b->host[0] != '/')
			return um_fail(err, UM_ERR_INVALID,
				       "sandbox: bind %zu: host path \"%s\" is not absolute", i,
				       b->host ? b->host : "(null)");
		if (stat(b->host, &st) < 0)
			return um_fail(err, UM_ERR_INVALID, "sandbox: bind %zu: \"%s\": %s", i,
				       b->host, strerror(errno));
		if (!path_clean(in, 1))
			return um_fail(err, UM_ERR_INVALID,
				       "sandbox: bind %zu: inside path \"%s\" must be absolute, "
				       "without . or .. components, and not /",
				       i, in);
		if (strchr(in, ':') || strchr(b->host, ':') || strchr(in, ','))
			if (d != DRV_BWRAP)
				return um_fail(err, UM_ERR_INVALID,
					       "sandbox: bind %zu: ':' or ',' in a path cannot be "
					       "passed to %s -v", i, drv_names[d]);
	}
	if (s->n_env && !s->env)
		return um_fail(err, UM_ERR_INVALID, "sandbox: n_env without env");
	for (i = 0; i < s->n_env; i++) {
		const char *eq = s->env[i] ? strchr(s->env[i], '=') : NULL;
		if (!eq || !is_env_name(s->env[i], (size_t)(eq - s->env[i])))
			return um_fail(err, UM_ERR_INVALID,
				       "sandbox: env %zu: \"%s\" is not NAME=value", i,
				       s->env[i] ? s->env[i] : "(null)");
	}
	if (s->net != SANDBOX_NET_NONE && s->net != SANDBOX_NET_SHARED)
		return um_fail(err, UM_ERR_INVALID, "sandbox: unknown network mode %d",
			       (int)s->net);
	if (s->limits.wall_ms < 0)
		return um_fail(err, UM_ERR_INVALID, "sandbox: negative wall_ms");
	return 0;
}

/* The environment inside, as NAME=value strings, fixed entries first unless
 * the spec overrides them. */
static void env_build(const sandbox_spec *s, strv *out)
{
	const char *fixed[7];
	char *home = um_xasprintf("HOME=%s", work_mount(s));
	char *pwd = um_xasprintf("PWD=%s", work_mount(s));
	size_t i, j;

	fixed[0] = "PATH=" SANDBOX_PATH;
	fixed[1] = home;
	fixed[2] = "TZ=UTC";
	fixed[3] = "LANG=C.UTF-8";
	fixed[4] = "PYTHONHASHSEED=0";
	fixed[5] = pwd;
	fixed[6] = NULL;
	for (i = 0; fixed[i]; i++) {
		size_t n = (size_t)(strchr(fixed[i], '=') - fixed[i]) + 1;
		int overridden = 0;
		for (j = 0; j < s->n_env; j++)
			if (strncmp(s->env[j], fixed[i], n) == 0)
				overridden = 1;
		if (!overridden)
			strv_add(out, fixed[i]);
	}
	for (j = 0; j < s->n_env; j++) {
		size_t n = (size_t)(strchr(s->env[j], '=') - s->env[j]) + 1;
		int later = 0;
		for (i = j + 1; i < s->n_env; i++)
			if (strncmp(s->env[i], s->env[j], n) == 0)
				later = 1;
		if (!later)
			strv_add(out, s->env[j]);
	}
	free(home);
	free(pwd);
}

/* ---- argv for each driver --------------------------------------------- */

static const char *const host_masks[] = { "home", "root", "run", "mnt", "media", "srv" };

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int bwrap_root(const sandbox_spec *s, strv *a, um_error *err)
{
	const char *root = s->root ? s->root : "/";
	const char *wtop = work_mount(s) + 1;
	strv names = { 0 };
	struct dirent *de;
	DIR *dir;
	size_t i, k;

	dir = opendir(root);
	if (!dir)
		return um_fail(err, UM_ERR_IO, "sandbox: cannot list root \"%s\": %s", root,
			       strerror(errno));
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strv_add(&names, de->d_name);
	closedir(dir);
	if (names.n)
		qsort(names.v, names.n, sizeof(char *), cmp_str);

	strv_add2(a, "--tmpfs", "/");
	for (i = 0; i < names.n; i++) {
		const char *n = names.v[i];
		const char *sep = root[strlen(root) - 1] == '/' ? "" : "/";
		char *src = um_xasprintf("%s%s%s", root, sep, n);
		char *dst = um_xasprintf("/%s", n);
		int skip = strcmp(n, wtop) == 0, masked = 0;
		struct stat st;

		for (k = 0; k < UM_ARRAY_LEN(reserved_tops); k++)
			if (strcmp(n, reserved_tops[k]) == 0)
				skip = 1;
		if (!s->root)
			for (k = 0; k < UM_ARRAY_LEN(host_masks); k++)
				if (strcmp(n, host_masks[k]) == 0)
					masked = 1;
		if (skip || lstat(src, &st) < 0) {
			/* nothing */
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t len = readlink(src, target, sizeof(target) - 1);
			if (len > 0) {
				target[len] = '\0';
				strv_add3(a, "--symlink", target, dst);
			}
		} else if (S_ISDIR(st.st_mode)) {
			if (masked)
				strv_add2(a, "--dir", dst);
			else
				strv_add3(a, "--ro-bind", src, dst);
		} else if (S_ISREG(st.st_mode) && !masked) {
			strv_add3(a, "--ro-bind", src, dst);
		}
		free(src);
		free(dst);
	}
	for (i = 0; i < names.n; i++)
		free(names.v[i]);
	free(names.v);
	return 0;
}

/* A private tmpfs at path, of at most bytes (0: the kernel's default, half
 * the host's memory). */
static void tmpfs_sized(strv *a, const char *path, uint64_t bytes)
{
	if (bytes) {
		strv_add(a, "--size");
		strv_addf(a, "%llu", (unsigned long long)bytes);
	}
	strv_add2(a, "--tmpfs", path);
}

static int bwrap_argv(const sandbox_spec *s, const char *prog, const char *const *argv, strv *a,
		      um_error *err)
{
	const char *wm = work_mount(s);
	strv env = { 0 };
	size_t i;

	strv_add(a, prog);
	strv_add(a, "--unshare-user");
	strv_add(a, "--unshare-ipc");
	strv_add(a, "--unshare-pid");
	strv_add(a, "--unshare-uts");
	strv_add(a, "--unshare-cgroup-try");
	if (s->net == SANDBOX_NET_NONE)
		strv_add(a, "--unshare-net");
	strv_add2(a, "--uid", "0");
	strv_add2(a, "--gid", "0");
	strv_add2(a, "--hostname", SANDBOX_HOSTNAME);
	strv_add(a, "--die-with-parent");
	strv_add(a, "--new-session");
	strv_add2(a, "--cap-drop", "ALL");
	strv_add(a, "--clearenv");
	env_build(s, &env);
	for (i = 0; i < env.n; i++) {
		char *eq = strchr(env.v[i], '=');
		*eq = '\0';
		strv_add3(a, "--setenv", env.v[i], eq + 1);
		free(env.v[i]);
	}
	free(env.v);

	if (bwrap_root(s, a, err) < 0)
		return -1;
	strv_add2(a, "--proc", "/proc");
	strv_add2(a, "--dev", "/dev");
	tmpfs_sized(a, "/tmp", s->limits.tmp_bytes);
	if (!s->root) {
		char *parent = um_xstrdup(s->work_dir);
		char *slash = strrchr(parent, '/');
		if (is_dir("/var/tmp"))
			tmpfs_sized(a, "/var/tmp", s->limits.tmp_bytes);
		/* Hide the host directory that holds the work dirs (other attempts
		 * of the same uid would be readable there). */
		if (slash && slash != parent)
			*slash = '\0';
		if (strcmp(parent, "/") && strcmp(parent, "/tmp") &&
		    !um_has_prefix(parent, "/tmp/"))
			strv_add2(a, "--tmpfs", parent);
		free(parent);
	}
	strv_add3(a, "--bind", s->work_dir, wm);
	for (i = 0; i < s->n_binds; i++) {
		const sandbox_bind *b = &s->binds[i];
		strv_add3(a, b->writable ? "--bind" : "--ro-bind", b->host,
			  b->inside ? b->inside : b->host);
	}
	strv_add2(a, "--remount-ro", "/");
	strv_add2(a, "--chdir", wm);
	strv_add(a, "--json-status-fd");
	strv_addf(a, "%d", STATUS_FD);
	strv_add(a, "--");
	for (i = 0; argv[i]; i++)
		strv_add(a, argv[i]);
	return 0;
}

/* want (or dflt when 0), at most our own hard limit and, for processes,
 * the kernel's pid_max. */
uint64_t sandbox_rlimit_within(int res, uint64_t want, uint64_t dflt)
{
	struct rlimit r;
	uint64_t v = want ? want : dflt;
	FILE *f;

	if (getrlimit(res, &r) == 0 && r.rlim_max != RLIM_INFINITY && v > (uint64_t)r.rlim_max)
		v = (uint64_t)r.rlim_max;
	if (res == RLIMIT_NPROC && (f = fopen("/proc/sys/kernel/pid_max", "r"))) {
		unsigned long long pm = 0;
		if (fscanf(f, "%llu", &pm) == 1 && pm && v > pm)
			v = pm;
		fclose(f);
	}
	return v;
}

static void docker_name(char *out, size_t n)
{
	static unsigned counter;
	unsigned c = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
	uint64_t r = um_hash64(&c, sizeof(c), (uint64_t)um_mono_ms() ^ ((uint64_t)getpid() << 32));

	snprintf(out, n, "umpire-sandbox-%ld-%u-%08x", (long)getpid(), c, (unsigned)r);
}

static void docker_argv(const sandbox_spec *s, const char *prog, int is_podman,
			const char *name, const char *const *argv, int with_stdin, strv *a)
{
	const sandbox_limits *l = &s->limits;
	const char *wm = work_mount(s);
	strv env = { 0 };
	uid_t uid;
	gid_t gid;
	int drop;
	size_t i;

	strv_add2(a, prog, "run");
	strv_add(a, "--rm");
	if (with_stdin)
		strv_add(a, "-i");
	strv_add2(a, "--name", name);
	strv_add2(a, "--network", s->net == SANDBOX_NET_NONE ? "none" : "bridge");
	strv_add2(a, "--hostname", SANDBOX_HOSTNAME);
	strv_add(a, "--read-only");
	if (s->limits.tmp_bytes)
		strv_addf(a, "--tmpfs=/tmp:rw,exec,nosuid,nodev,size=%llu",
			  (unsigned long long)s->limits.tmp_bytes);
	else
		strv_add2(a, "--tmpfs", "/tmp");
	strv_add(a, "--init");
	/* the ids that own the work dir (see sandbox_workdir_new) */
	host_ids(s, &uid, &gid, &drop);
	if (is_podman && geteuid() != 0)
		strv_add(a, "--userns=keep-id");
	strv_addf(a, "--user=%ld:%ld", (long)uid, (long)gid);
	strv_add2(a, "--cap-drop", "ALL");
	strv_add2(a, "--security-opt", "no-new-privileges");
	if (l->mem_bytes) {
		strv_addf(a, "--memory=%llu", (unsigned long long)l->mem_bytes);
		strv_addf(a, "--memory-swap=%llu", (unsigned long long)l->mem_bytes);
	}
	if (l->nproc)
		strv_addf(a, "--pids-limit=%llu", (unsigned long long)l->nproc);
	if (l->cpu_s)
		strv_addf(a, "--ulimit=cpu=%llu:%llu", (unsigned long long)l->cpu_s,
			  (unsigned long long)l->cpu_s + 1);
	if (l->fsize_bytes)
		strv_addf(a, "--ulimit=fsize=%llu:%llu", (unsigned long long)l->fsize_bytes,
			  (unsigned long long)l->fsize_bytes);
	/* any --ulimit drops the engine's configured defaults: give nofile and
	 * nproc too, within the client's own hard limits */
	strv_addf(a, "--ulimit=nofile=%llu:%llu",
		  (unsigned long long)sandbox_rlimit_within(RLIMIT_NOFILE, l->nofile, 4096),
		  (unsigned long long)sandbox_rlimit_within(RLIMIT_NOFILE, l->nofile, 4096));
	strv_addf(a, "--ulimit=nproc=%llu:%llu",
		  (unsigned long long)sandbox_rlimit_within(RLIMIT_NPROC, l->nproc, 32768),
		  (unsigned long long)sandbox_rlimit_within(RLIMIT_NPROC, l->nproc, 32768));
	strv_add(a, "--ulimit=core=0:0");
	strv_addf(a, "--volume=%s:%s:rw", s->work_dir, wm);
	for (i = 0; i < s->n_binds; i++) {
		const sandbox_bind *b = &s->binds[i];
		strv_addf(a, "--volume=%s:%s:%s", b->host, b->inside ? b->inside : b->host,
			  b->writable ? "rw" : "ro");
	}
	strv_add2(a, "--workdir", wm);
	env_build(s, &env);
	for (i = 0; i < env.n; i++) {
		strv_add2(a, "--env", env.v[i]);
		free(env.v[i]);
	}
	free(env.v);
	strv_add(a, s->image);
	if (l->mem_bytes && l->mem_per_process) {
		strv_add2(a, "/bin/sh", "-c");
		strv_addf(a, "ulimit -v %llu && exec \"$@\"",
			  (unsigned long long)(l->mem_bytes >> 10));
		strv_add(a, "sh");
	}
	for (i = 0; argv[i]; i++)
		strv_add(a, argv[i]);
}

static int build(const sandbox_spec *s, const char *const *argv, int with_stdin, const char *name,
		 drv *d, char **prog_path, strv *a, um_error *err)
{
	char *prog;

	if (!s)
		return um_fail(err, UM_ERR_INVALID, "sandbox: no spec");
	if (drv_parse(s->driver, d, err) < 0 || spec_check(s, *d, err) < 0)
		return -1;
	if (!argv || !argv[0] || !argv[0][0])
		return um_fail(err, UM_ERR_INVALID, "sandbox: empty command");
	prog = find_program(drv_names[*d]);
	if (*d == DRV_BWRAP) {
		if (bwrap_argv(s, prog ? prog : drv_names[*d], argv, a, err) < 0) {
			free(prog);
			return -1;
		}
	} else {
		docker_argv(s, prog ? prog : drv_names[*d], *d == DRV_PODMAN, name, argv,
			    with_stdin, a);
	}
	*prog_path = prog;
	return 0;
}

char **sandbox_build_argv(const sandbox_spec *spec, const char *const *argv, um_error *err)
{
	strv a = { 0 };
	char name[96], *prog = NULL;
	drv d;

	docker_name(name, sizeof(name));
	if (build(spec, argv, 0, name, &d, &prog, &a, err) < 0) {
		sandbox_argv_free(a.v);
		return NULL;
	}
	free(prog);
	return a.v;
}

/* ---- running a process ------------------------------------------------ */

typedef struct spawn {
	const char *path;
	char *const *argv;
	char *const *envp;
	const sandbox_limits *rl; /* NULL: no rlimits */
	int drop;
	uid_t uid;
	gid_t gid;
	int want_status;
	const void *in;
	size_t in_len;
	int64_t wall_ms;
	char *const *kill_argv; /* docker/podman: run at the deadline (`prog kill name`) */
	int no_reaper;  /* exec the program in the child itself: an engine client
			 * leaves daemons (conmon) that must not be waited for */
	const char *watch_dir; /* sized while the command runs (NULL: not) */
	uint64_t watch_bytes;  /* past this, the tree is killed */
} spawn;

typedef struct ran {
	int status;      /* wait status of the driver */
	int killed;      /* we killed it (at the deadline, or disk_full) */
	int disk_full;   /* watch_dir grew past watch_bytes */
	int have_exit;   /* bwrap reported the command's exit code */
	int exit_code;
	pid_t inner;     /* the namespace init, from bwrap's status */
	int64_t cpu_ms;
} ran;

static void set_rlim(int res, uint64_t soft, uint64_t hard)
{
	struct rlimit r;

	r.rlim_cur = (rlim_t)soft;
	r.rlim_max = (rlim_t)hard;
	(void)setrlimit(res, &r);
}

/* In the driver process: limits, ids, exec. Only async-signal-safe calls. */
static void __attribute__((noreturn)) exec_driver(const spawn *sp, pid_t parent)
{
	set_rlim(RLIMIT_CORE, 0, 0);
	if (sp->rl) {
		const sandbox_limits *l = sp->rl;
		if (l->mem_bytes)
			set_rlim(RLIMIT_AS, l->mem_bytes, l->mem_bytes);
		if (l->nproc)
			set_rlim(RLIMIT_NPROC, l->nproc, l->nproc);
		if (l->fsize_bytes)
			set_rlim(RLIMIT_FSIZE, l->fsize_bytes, l->fsize_bytes);
		if (l->nofile)
			set_rlim(RLIMIT_NOFILE, l->nofile, l->nofile);
		if (l->cpu_s)
			set_rlim(RLIMIT_CPU, l->cpu_s, l->cpu_s + 1);
	}
	if (sp->drop) {
		if (setgroups(0, NULL) < 0 || setresgid(sp->gid, sp->gid, sp->gid) < 0 ||
		    setresuid(sp->uid, sp->uid, sp->uid) < 0)
			_exit(126);
	}
	/* set after the id change, which clears it */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	execve(sp->path, sp->argv, sp->envp);
	_exit(127);
}

/* The reaper's parent died: take the whole process group along. bwrap's
 * inner child waits on an eventfd for its parent before it can arm
 * --die-with-parent; the driver's own death signal would leave it there
 * forever, reparented to the host's pid 1. It is still in this group then. */
static void reaper_orphaned(int sig)
{
	(void)sig;
	kill(0, SIGKILL);
	_exit(137);
}

/*
 * The forked child. It becomes a child subreaper and forks the driver, then
 * reaps everything that is handed to it: bwrap's monitor process exits as
 * soon as the namespace init reports the command's status, before that init
 * is reaped, so without this the init would be left to the host's pid 1 (a
 * zombie where pid 1 does not reap) and its CPU time would be lost. The
 * reaper exits with the driver's status (128+N for a signal) once nothing
 * is left. When the caller dies first, the reaper kills its process group
 * (reaper_orphaned). Only async-signal-safe calls: the caller may have
 * threads.
 */
static void __attribute__((noreturn)) child_main(const spawn *sp, pid_t parent, int fds[4])
{
	struct sigaction sa;
	sigset_t none;
	pid_t drv_pid, self, w;
	int i, sig, st, drv_status = 127 << 8;

	for (i = 0; i < 4; i++)
		if (fds[i] >= 0) {
			fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10);
			if (fds[i] < 0)
				_exit(127);
		}
	for (i = 0; i < 4; i++)
		if (fds[i] >= 0 && dup2(fds[i], i) < 0)
			_exit(127);
	close_range(fds[3] >= 0 ? 4 : 3, ~0U, 0);
	setpgid(0, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);

	if (sp->no_reaper) {
		close_range(3, ~0U, 0);
		exec_driver(sp, parent);
	}
	sa.sa_handler = reaper_orphaned;
	(void)sigaction(SIGTERM, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	self = getpid();
	drv_pid = fork();
	if (drv_pid < 0)
		_exit(127);
	if (drv_pid == 0)
		exec_driver(sp, self);
	for (i = 0; i < 4; i++)
		close(i);
	for (;;) {
		w = waitpid(-1, &st, 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		if (w == drv_pid)
			drv_status = st;
	}
	if (WIFSIGNALED(drv_status))
		_exit(128 + WTERMSIG(drv_status));
	_exit(WEXITSTATUS(drv_status));
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* Read what is available into b (keeping at most its max), counting all
 * bytes. Returns 0 at EOF or error (fd closed), 1 otherwise. */
static int drain(int *fd, um_buf *b, uint64_t *total)
{
	char chunk[IO_CHUNK];
	int rounds;

	for (rounds = 0; rounds < 16; rounds++) {
		ssize_t n = read(*fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			close_fd(fd);
			return 0;
		}
		if (n == 0) {
			close_fd(fd);
			return 0;
		}
		*total += (uint64_t)n;
		if (b->len < b->max) {
			size_t room = b->max - b->len;
			um_buf_append(b, chunk, (size_t)n < room ? (size_t)n : room);
		}
	}
	return 1;
}

/* Parent pid of pid, from /proc, or -1. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	long ppid;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %ld", &ppid) != 1)
		return -1;
	return (pid_t)ppid;
}

/* bwrap's status names the namespace init. Pin it with a pidfd, checking
 * that it is still ours (a child of bwrap, itself a child of the reaper, or
 * already handed to the reaper), so a recycled pid is never signalled. */
static int pin_inner(pid_t inner, pid_t reaper)
{
	pid_t pp;
	int fd = pidfd_open_(inner);

	if (fd < 0)
		return -1;
	pp = parent_of(inner);
	if (pp == reaper || (pp > 0 && parent_of(pp) == reaper))
		return fd;
	close(fd);
	return -1;
}

static void status_parse(const um_buf *st, ran *r, pid_t reaper, int *inner_pidfd)
{
	const char *s = um_buf_str(st), *p;

	if (!r->inner && (p = strstr(s, "\"child-pid\":"))) {
		long v = strtol(p + 12, NULL, 10);
		if (v > 0) {
			r->inner = (pid_t)v;
			*inner_pidfd = pin_inner((pid_t)v, reaper);
		}
	}
	if (!r->have_exit && (p = strstr(s, "\"exit-code\":"))) {
		r->have_exit = 1;
		r->exit_code = (int)strtol(p + 12, NULL, 10);
	}
}

static int run_quiet(char *const *argv, int64_t wall_ms);

static __thread uint64_t tree_sum, tree_cap;

static int tree_add(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)flag;
	(void)ftw;
	tree_sum += (uint64_t)st->st_blocks * 512;
	return tree_sum > tree_cap; /* stop as soon as it is over */
}

/* Disk blocks under dir (symlinks not followed, other file systems not
 * entered), or more than cap when it is over cap. */
static uint64_t tree_bytes(const char *dir, uint64_t cap)
{
	tree_sum = 0;
	tree_cap = cap;
	(void)nftw(dir, tree_add, 16, FTW_PHYS | FTW_MOUNT);
	return tree_sum;
}

/* Is the watched work dir over its size? Sized at most every WATCH_MS, and
 * at most a tenth of the time (a large tree is sized less often). */
static int watch_over(const spawn *sp, int64_t now, int64_t *next)
{
	int64_t t0;
	uint64_t n;

	if (!sp->watch_dir || now < *next)
		return 0;
	t0 = um_mono_ms();
	n = tree_bytes(sp->watch_dir, sp->watch_bytes);
	now = um_mono_ms();
	*next = now + (10 * (now - t0) > WATCH_MS ? 10 * (now - t0) : WATCH_MS);
	return n > sp->watch_bytes;
}

/* Kill what runs: the namespace init ends the tree, and bwrap with it, and
 * leaves the reaper to collect them; before the init is known, the reaper's
 * group. */
static void kill_run(const spawn *sp, pid_t pid, int inner_pidfd, ran *r, int *in_fd,
		     int64_t *stop_at)
{
	if (inner_pidfd < 0 || pidfd_kill(inner_pidfd, SIGKILL) < 0)
		kill(-pid, SIGKILL);
	if (sp->kill_argv)
		(void)run_quiet(sp->kill_argv, 10000);
	r->killed = 1;
	close_fd(in_fd);
	if (*stop_at < 0)
		*stop_at = um_mono_ms() + DRAIN_GRACE_MS;
}

/* A command in flight (run_spawn): our ends of its pipes, its status pipe
 * (bwrap's --json-status-fd), its pids and deadlines. */
typedef struct live {
	const spawn *sp;
	sandbox_result *res;
	ran *r;
	int in_fd, out_fd, err_fd, st_fd, pidfd, inner_pidfd;
	pid_t pid;
	int exited;
	int64_t start, deadline, stop_at, next_watch;
	size_t in_off;
	um_buf st;
	uint64_t st_total;
	struct rusage ru;
} live;

/* Pipes for stdin (a socketpair when there is input, else /dev/null),
 * stdout, stderr and the status fd; fork; our ends non-blocking. */
static int live_start(live *l, um_error *err)
{
	int in_pair[2] = { -1, -1 }, out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 };
	int st_p[2] = { -1, -1 }, child_fds[4], e;
	pid_t self = getpid();
	const spawn *sp = l->sp;

	if (sp->in_len) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) < 0)
			goto sys_fail;
	} else {
		in_pair[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (in_pair[0] < 0)
			goto sys_fail;
	}
	if (pipe2(out_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0)
		goto sys_fail;
	if (sp->want_status && pipe2(st_p, O_CLOEXEC) < 0)
		goto sys_fail;

	child_fds[0] = in_pair[0];
	child_fds[1] = out_p[1];
	child_fds[2] = err_p[1];
	child_fds[3] = st_p[1];
	l->start = um_mono_ms();
	l->pid = fork();
	if (l->pid < 0)
		goto sys_fail;
	if (l->pid == 0)
		child_main(sp, self, child_fds);
	setpgid(l->pid, l->pid);
	l->pidfd = pidfd_open_(l->pid);

	close_fd(&in_pair[0]);
	close_fd(&out_p[1]);
	close_fd(&err_p[1]);
	close_fd(&st_p[1]);
	l->in_fd = in_pair[1];
	l->out_fd = out_p[0];
	l->err_fd = err_p[0];
	l->st_fd = st_p[0];
	if (l->in_fd >= 0)
		fcntl(l->in_fd, F_SETFL, fcntl(l->in_fd, F_GETFL) | O_NONBLOCK);
	fcntl(l->out_fd, F_SETFL, fcntl(l->out_fd, F_GETFL) | O_NONBLOCK);
	fcntl(l->err_fd, F_SETFL, fcntl(l->err_fd, F_GETFL) | O_NONBLOCK);
	if (l->st_fd >= 0)
		fcntl(l->st_fd, F_SETFL, fcntl(l->st_fd, F_GETFL) | O_NONBLOCK);
	l->deadline = sp->wall_ms > 0 ? l->start + sp->wall_ms : -1;
	return 0;

sys_fail:
	e = errno;
	close_fd(&in_pair[0]);
	close_fd(&in_pair[1]);
	close_fd(&out_p[0]);
	close_fd(&out_p[1]);
	close_fd(&err_p[0]);
	close_fd(&err_p[1]);
	close_fd(&st_p[0]);
	close_fd(&st_p[1]);
	return um_fail(err, UM_ERR_IO, "sandbox: cannot start the driver: %s", strerror(e));
}

/* How long the next poll may wait: the deadline, the drain grace, the
 * wait4 polling without a pidfd, the next disk sizing; -1 for ever. */
static int64_t live_timeout(const live *l, int64_t now)
{
	int64_t t = -1;

	if (l->deadline >= 0 && !l->r->killed)
		t = ms_until(l->deadline, now);
	if (l->stop_at >= 0)
		t = t < 0 ? ms_until(l->stop_at, now) : (t < ms_until(l->stop_at, now) ? t :
							 ms_until(l->stop_at, now));
	if (!l->exited && l->pidfd < 0)
		t = (t < 0 || t > 20) ? 20 : t;
	if (l->sp->watch_dir && !l->exited && !l->r->killed &&
	    (t < 0 || t > ms_until(l->next_watch, now)))
		t = ms_until(l->next_watch, now);
	return t;
}

static void live_feed(live *l, short revents)
{
	if (revents & POLLOUT) {
		ssize_t w = send(l->in_fd, (const char *)l->sp->in + l->in_off,
				 l->sp->in_len - l->in_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0)
			l->in_off += (size_t)w;
		else if (w < 0 && errno != EAGAIN && errno != EINTR)
			close_fd(&l->in_fd);
	} else {
		close_fd(&l->in_fd);
	}
}

static void live_reap(live *l)
{
	pid_t w = wait4(l->pid, &l->r->status, WNOHANG, &l->ru);

	if (w < 0 && errno == ECHILD) {
		/* reaped elsewhere (SIGCHLD ignored by the caller) */
		l->r->status = 0;
		w = l->pid;
	}
	if (w == l->pid) {
		l->exited = 1;
		if (l->stop_at < 0)
			l->stop_at = um_mono_ms() + DRAIN_GRACE_MS;
	}
}

/* One turn: the deadline and the disk bound enforced, one poll over what is
 * still open, what it says handled. 1 to go on, 0 when done. */
static int live_turn(live *l)
{
	struct pollfd pf[5];
	int n = 0, i_in = -1, i_out = -1, i_err = -1, i_st = -1, i_pid = -1;
	int64_t now = um_mono_ms(), t;
	const spawn *sp = l->sp;
	ran *r = l->r;

	if (!r->killed && !l->exited && l->deadline >= 0 && now >= l->deadline)
		kill_run(sp, l->pid, l->inner_pidfd, r, &l->in_fd, &l->stop_at);
	if (!r->killed && !l->exited && watch_over(sp, now, &l->next_watch)) {
		r->disk_full = 1;
		kill_run(sp, l->pid, l->inner_pidfd, r, &l->in_fd, &l->stop_at);
	}
	if (l->exited && l->out_fd < 0 && l->err_fd < 0 && l->st_fd < 0)
		return 0;
	if (l->stop_at >= 0 && now >= l->stop_at)
		return 0;
	if (l->in_fd >= 0 && l->in_off >= sp->in_len)
		close_fd(&l->in_fd);
	if (l->in_fd >= 0) {
		pf[n] = (struct pollfd){ l->in_fd, POLLOUT, 0 };
		i_in = n++;
	}
	if (l->out_fd >= 0) {
		pf[n] = (struct pollfd){ l->out_fd, POLLIN, 0 };
		i_out = n++;
	}
	if (l->err_fd >= 0) {
		pf[n] = (struct pollfd){ l->err_fd, POLLIN, 0 };
		i_err = n++;
	}
	if (l->st_fd >= 0) {
		pf[n] = (struct pollfd){ l->st_fd, POLLIN, 0 };
		i_st = n++;
	}
	if (!l->exited && l->pidfd >= 0) {
		pf[n] = (struct pollfd){ l->pidfd, POLLIN, 0 };
		i_pid = n++;
	}
	t = live_timeout(l, now);
	if (poll(pf, (nfds_t)n, t > INT_MAX ? INT_MAX : (int)t) < 0)
		return errno == EINTR;
	if (i_in >= 0 && pf[i_in].revents)
		live_feed(l, pf[i_in].revents);
	if (i_out >= 0 && pf[i_out].revents)
		drain(&l->out_fd, &l->res->out, &l->res->out_bytes);
	if (i_err >= 0 && pf[i_err].revents)
		drain(&l->err_fd, &l->res->err, &l->res->err_bytes);
	if (i_st >= 0 && pf[i_st].revents) {
		drain(&l->st_fd, &l->st, &l->st_total);
		status_parse(&l->st, r, l->pid, &l->inner_pidfd);
	}
	if (!l->exited && (l->pidfd < 0 || (i_pid >= 0 && pf[i_pid].revents)))
		live_reap(l);
	return 1;
}

/* The end: pipes closed, the last status read, a command still running
 * after the grace killed with its tree, the sandbox's init made sure of,
 * CPU and wall time. */
static void live_end(live *l)
{
	ran *r = l->r;

	close_fd(&l->in_fd);
	close_fd(&l->out_fd);
	close_fd(&l->err_fd);
	if (l->st_fd >= 0) {
		drain(&l->st_fd, &l->st, &l->st_total);
		close_fd(&l->st_fd);
	}
	status_parse(&l->st, r, l->pid, &l->inner_pidfd);
	if (!l->exited) {
		/* still running after the grace: end it all */
		if (l->inner_pidfd >= 0)
			pidfd_kill(l->inner_pidfd, SIGKILL);
		kill(-l->pid, SIGKILL);
		kill(l->pid, SIGKILL);
		while (wait4(l->pid, &r->status, 0, &l->ru) < 0 && errno == EINTR)
			;
		l->exited = 1;
	}
	close_fd(&l->pidfd);
	if (l->inner_pidfd >= 0 && !(WIFEXITED(r->status) && !r->killed)) {
		/* A reaper that exited has collected the init; this guards the
		 * case where the reaper itself was killed. */
		struct pollfd pf = { l->inner_pidfd, POLLIN, 0 };
		if (poll(&pf, 1, 0) == 0) {
			pidfd_kill(l->inner_pidfd, SIGKILL);
			poll(&pf, 1, TREE_WAIT_MS);
		}
	}
	close_fd(&l->inner_pidfd);
	r->cpu_ms = (int64_t)l->ru.ru_utime.tv_sec * 1000 + l->ru.ru_utime.tv_usec / 1000 +
		    (int64_t)l->ru.ru_stime.tv_sec * 1000 + l->ru.ru_stime.tv_usec / 1000;
	l->res->wall_ms = um_mono_ms() - l->start;
}

static int run_spawn(const spawn *sp, sandbox_result *res, ran *r, um_error *err)
{
	live l;

	memset(r, 0, sizeof(*r));
	memset(&l, 0, sizeof(l));
	l.sp = sp;
	l.res = res;
	l.r = r;
	l.in_fd = l.out_fd = l.err_fd = l.st_fd = l.pidfd = l.inner_pidfd = -1;
	l.stop_at = -1;
	um_buf_init(&l.st, STATUS_MAX);
	if (live_start(&l, err) < 0) {
		um_buf_release(&l.st);
		return -1;
	}
	while (live_turn(&l))
		;
	live_end(&l);
	um_buf_release(&l.st);
	return 0;
}

/* Run a host command (the driver client) quietly with a deadline. Returns
 * its exit code, or -1 when it could not run or was killed. */
static int run_quiet(char *const *argv, int64_t wall_ms)
{
	sandbox_result res;
	spawn sp;
	ran r;
	int rc;

	memset(&sp, 0, sizeof(sp));
	sp.path = argv[0];
	sp.argv = argv;
	sp.envp = environ;
	sp.wall_ms = wall_ms;
	sp.no_reaper = 1;
	sandbox_result_init(&res);
	um_buf_init(&res.out, 4096);
	um_buf_init(&res.err, 4096);
	rc = run_spawn(&sp, &res, &r, NULL);
	sandbox_result_release(&res);
	if (rc < 0 || r.killed || !WIFEXITED(r.status))
		return -1;
	return WEXITSTATUS(r.status);
}

int sandbox_host_run(char *const *argv, const void *in, size_t in_len, int64_t wall_ms,
		     char *const *kill_argv, sandbox_result *res, um_error *err)
{
	spawn sp;
	ran r;
	size_t out_max = res->out.max, err_max = res->err.max;

	um_buf_release(&res->out);
	um_buf_release(&res->err);
	memset(res, 0, sizeof(*res));
	um_buf_init(&res->out, out_max ? out_max : SANDBOX_OUT_MAX_DEFAULT);
	um_buf_init(&res->err, err_max ? err_max : SANDBOX_OUT_MAX_DEFAULT);
	res->exit_code = -1;
	if (!argv || !argv[0] || argv[0][0] != '/')
		return um_fail(err, UM_ERR_INVALID, "sandbox: host command needs an absolute path");
	memset(&sp, 0, sizeof(sp));
	sp.path = argv[0];
	sp.argv = argv;
	sp.envp = environ;
	sp.in = in;
	sp.in_len = in ? in_len : 0;
	sp.wall_ms = wall_ms;
	sp.kill_argv = kill_argv;
	sp.no_reaper = 1;
	if (run_spawn(&sp, res, &r, err) < 0)
		return -1;
	res->out_truncated = res->out_bytes > res->out.len;
	res->err_truncated = res->err_bytes > res->err.len;
	if (res->out_truncated || res->err_truncated)
		res->limits_hit |= SANDBOX_HIT_OUTPUT;
	res->cpu_ms = r.cpu_ms;
	if (r.killed) {
		res->timed_out = 1;
		res->limits_hit |= SANDBOX_HIT_WALL;
		res->signal = SIGKILL;
		return 0;
	}
	if (WIFEXITED(r.status)) {
		int code = WEXITSTATUS(r.status);
		if (code > 128 && code - 128 < NSIG) {
			res->signal = code - 128;
		} else {
			res->exit_code = code;
		}
	} else if (WIFSIGNALED(r.status)) {
		res->signal = WTERMSIG(r.status);
	}
	return 0;
}

char *sandbox_find_program(const char *name)
{
	return find_program(name);
}

/* ---- the public calls ------------------------------------------------- */

void sandbox_result_init(sandbox_result *r)
{
	memset(r, 0, sizeof(*r));
	um_buf_init(&r->out, SANDBOX_OUT_MAX_DEFAULT);
	um_buf_init(&r->err, SANDBOX_OUT_MAX_DEFAULT);
	r->exit_code = -1;
}

void sandbox_result_release(sandbox_result *r)
{
	if (!r)
		return;
	um_buf_release(&r->out);
	um_buf_release(&r->err);
}

/* First line of what bwrap or the client said, for an error message. */
static const char *first_line(const um_buf *b, char *out, size_t n)
{
	const char *s = um_buf_str(b);
	size_t len = strcspn(s, "\n");

	if (len >= n)
		len = n - 1;
	memcpy(out, s, len);
	out[len] = '\0';
	return len ? out : "no message";
}

/* What ran tells: limits hit (output, disk, wall, CPU, file size), the
 * exit code or signal; -1 with err when the driver, not the command,
 * failed. */
static int exec_outcome(const sandbox_spec *spec, drv d, const spawn *sp, const ran *r,
			sandbox_result *res, um_error *err)
{
	char line[512];
	int code;

	res->out_truncated = res->out_bytes > res->out.len;
	res->err_truncated = res->err_bytes > res->err.len;
	res->cpu_ms = r->cpu_ms;
	if (res->out_truncated || res->err_truncated)
		res->limits_hit |= SANDBOX_HIT_OUTPUT;
	if (r->disk_full || r->killed) {
		if (r->disk_full) {
			res->limits_hit |= SANDBOX_HIT_DISK;
		} else {
			res->timed_out = 1;
			res->limits_hit |= SANDBOX_HIT_WALL;
		}
		res->exit_code = -1;
		res->signal = SIGKILL;
		return 0;
	}
	if (d == DRV_BWRAP) {
		if (!r->have_exit) {
			if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 126)
				return um_fail(err, UM_ERR_IO,
					       "sandbox: cannot switch to uid %ld for the sandbox",
					       (long)sp->uid);
			return um_fail(err, UM_ERR_IO,
				       "sandbox: bwrap could not start the command: %s",
				       first_line(&res->err, line, sizeof(line)));
		}
		code = r->exit_code;
	} else {
		if (!WIFEXITED(r->status))
			return um_fail(err, UM_ERR_IO, "sandbox: %s client died by signal %d",
				       drv_names[d], WTERMSIG(r->status));
		code = WEXITSTATUS(r->status);
		if (code == 125)
			return um_fail(err, UM_ERR_IO, "sandbox: %s run failed: %s", drv_names[d],
				       first_line(&res->err, line, sizeof(line)));
	}
	if (code > 128 && code - 128 < NSIG) {
		res->signal = code - 128;
		res->exit_code = -1;
	} else {
		res->exit_code = code;
		res->signal = 0;
	}
	if (res->signal == SIGXCPU ||
	    (res->signal == SIGKILL && spec->limits.cpu_s &&
	     res->cpu_ms >= (int64_t)spec->limits.cpu_s * 1000))
		res->limits_hit |= SANDBOX_HIT_CPU;
	if (res->signal == SIGXFSZ)
		res->limits_hit |= SANDBOX_HIT_FSIZE;
	return 0;
}

int sandbox_exec(const sandbox_spec *spec, const char *const *argv, const void *in,
		 size_t in_len, sandbox_result *res, um_error *err)
{
	static char *const bwrap_env[] = { (char *)"PATH=/usr/bin:/bin", NULL };
	strv a = { 0 };
	char name[96], *prog = NULL, *kill_argv[4];
	spawn sp;
	ran r;
	drv d;
	int rc = -1;

	sandbox_result_init(res);
	if (!in)
		in_len = 0;
	docker_name(name, sizeof(name));
	if (build(spec, argv, in_len > 0, name, &d, &prog, &a, err) < 0)
		goto out;
	if (!prog) {
		um_fail(err, UM_ERR_NOTFOUND, "sandbox: %s is not installed (not found in PATH)",
			drv_names[d]);
		goto out;
	}
	um_buf_init(&res->out, spec->limits.out_max ? spec->limits.out_max :
			       SANDBOX_OUT_MAX_DEFAULT);
	um_buf_init(&res->err, spec->limits.err_max ? spec->limits.err_max :
			       SANDBOX_OUT_MAX_DEFAULT);

	memset(&sp, 0, sizeof(sp));
	sp.path = prog;
	sp.argv = a.v;
	sp.in = in;
	sp.in_len = in_len;
	sp.wall_ms = spec->limits.wall_ms;
	if (spec->limits.work_bytes && spec->work_dir) {
		sp.watch_dir = spec->work_dir;
		sp.watch_bytes = spec->limits.work_bytes;
	}
	if (d == DRV_BWRAP) {
		sp.envp = bwrap_env;
		sp.rl = &spec->limits;
		sp.want_status = 1;
		host_ids(spec, &sp.uid, &sp.gid, &sp.drop);
	} else {
		kill_argv[0] = prog;
		kill_argv[1] = (char *)"kill";
		kill_argv[2] = name;
		kill_argv[3] = NULL;
		sp.envp = environ;
		sp.kill_argv = kill_argv;
		sp.no_reaper = 1;
	}
	if (run_spawn(&sp, res, &r, err) == 0)
		rc = exec_outcome(spec, d, &sp, &r, res, err);
out:
	free(prog);
	sandbox_argv_free(a.v);
	return rc;
}

int sandbox_exec_sh(const sandbox_spec *spec, const char *script, const void *in,
		    size_t in_len, sandbox_result *res, um_error *err)
{
	const char *argv[4];

	if (!script) {
		sandbox_result_init(res);
		return um_fail(err, UM_ERR_INVALID, "sandbox: empty command");
	}
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = script;
	argv[3] = NULL;
	return sandbox_exec(spec, argv, in, in_len, res, err);
}

int sandbox_driver_available(const char *driver, um_error *err)
{
	char *prog, *argv[16];
	drv d;
	int rc, n = 0;

	if (drv_parse(driver, &d, err) < 0)
		return 0;
	prog = find_program(drv_names[d]);
	if (!prog) {
		um_fail(err, UM_ERR_NOTFOUND, "%s is not installed (not found in PATH)",
			drv_names[d]);
		return 0;
	}
	argv[n++] = prog;
	if (d == DRV_BWRAP) {
		sandbox_result res;
		sandbox_limits l = sandbox_limits_default();
		spawn sp;
		ran r;

		argv[n++] = (char *)"--unshare-user";
		argv[n++] = (char *)"--unshare-pid";
		argv[n++] = (char *)"--unshare-net";
		argv[n++] = (char *)"--ro-bind";
		argv[n++] = (char *)"/";
		argv[n++] = (char *)"/";
		argv[n++] = (char *)"--proc";
		argv[n++] = (char *)"/proc";
		argv[n++] = (char *)"--dev";
		argv[n++] = (char *)"/dev";
		argv[n++] = (char *)"true";
		argv[n] = NULL;
		memset(&sp, 0, sizeof(sp));
		sp.path = prog;
		sp.argv = argv;
		sp.envp = environ;
		sp.rl = &l;
		sp.wall_ms = 10000;
		{
			sandbox_spec s;
			sandbox_spec_init(&s);
			host_ids(&s, &sp.uid, &sp.gid, &sp.drop);
		}
		sandbox_result_init(&res);
		rc = run_spawn(&sp, &res, &r, err) < 0 ? -1 :
		     (!r.killed && WIFEXITED(r.status)) ? WEXITSTATUS(r.status) : -1;
		if (rc != 0) {
			char line[512];
			um_fail(err, UM_ERR_IO, "bwrap cannot create a sandbox here: %s",
				first_line(&res.err, line, sizeof(line)));
		}
		sandbox_result_release(&res);
	} else {
		argv[n++] = (char *)"info";
		argv[n] = NULL;
		rc = run_quiet(argv, 15000);
		if (rc != 0)
			um_fail(err, UM_ERR_IO, "`%s info` failed: no %s engine is reachable",
				drv_names[d], drv_names[d]);
	}
	free(prog);
	return rc == 0;
}

/* ---- files in and out ------------------------------------------------- */

char *sandbox_workdir_new(const sandbox_spec *spec, const char *parent, const char *tag,
			  um_error *err)
{
	char *path;
	uid_t uid;
	gid_t gid;
	int drop;

	if (!parent || parent[0] != '/') {
		um_fail(err, UM_ERR_INVALID, "sandbox: work dir parent \"%s\" is not absolute",
			parent ? parent : "(null)");
		return NULL;
	}
	if (!tag || !*tag || strchr(tag, '/')) {
		um_fail(err, UM_ERR_INVALID, "sandbox: bad work dir tag \"%s\"",
			tag ? tag : "(null)");
		return NULL;
	}
	if (um_mkdir_p(parent, err) < 0)
		return NULL;
	path = um_xasprintf("%s/%s-XXXXXX", parent, tag);
	if (!mkdtemp(path)) {
		um_fail(err, UM_ERR_IO, "sandbox: cannot create %s: %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	host_ids(spec, &uid, &gid, &drop);
	if (drop && chown(path, uid, gid) < 0) {
		int e = errno;
		um_fail(err, UM_ERR_IO, "sandbox: cannot give the new work dir to uid %ld: %s",
			(long)uid, strerror(e));
		rmdir(path);
		free(path);
		return NULL;
	}
	return path;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(p) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(p) < 0 && errno != ENOENT ? -1 : 0;
}

int sandbox_workdir_remove(const char *path, um_error *err)
{
	if (!path || path[0] != '/' || !path[1])
		return um_fail(err, UM_ERR_INVALID, "sandbox: refusing to remove \"%s\"",
			       path ? path : "(null)");
	if (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 && errno != ENOENT)
		return um_fail(err, UM_ERR_IO, "sandbox: cannot remove %s: %s", path,
			       strerror(errno));
	return 0;
}

static const char *tmp_root(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t ? t : "/tmp";
}

char *sandbox_tmpdir_new(const char *tag, int *lock_fd, um_error *err)
{
	char *path = um_xasprintf("%s/umpire-%s-XXXXXX", tmp_root(), tag), *f = NULL, *g = NULL;
	int fd = -1;

	*lock_fd = -1;
	if (!mkdtemp(path)) {
		um_fail(err, UM_ERR_IO, "%s: cannot create a temporary directory: %s", path,
			strerror(errno));
		free(path);
		return NULL;
	}
	/* locked before it gets the name a sweeper looks for */
	f = um_xasprintf("%s/.owner.new", path);
	g = um_xasprintf("%s/.owner", path);
	fd = open(f, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0 || rename(f, g) < 0 ||
	    chmod(path, geteuid() == 0 ? 0711 : 0700) < 0) {
		um_fail(err, UM_ERR_IO, "%s: cannot set up a temporary directory: %s", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		sandbox_workdir_remove(path, NULL);
		free(path);
		path = NULL;
	} else {
		*lock_fd = fd;
	}
	free(f);
	free(g);
	return path;
}

int sandbox_tmpdir_sweep(void)
{
	const char *root = tmp_root();
	DIR *d = opendir(root);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)) != NULL) {
		char *p, *o;
		struct stat st;
		int fd;

		if (!um_has_prefix(de->d_name, "umpire-"))
			continue;
		p = um_xasprintf("%s/%s", root, de->d_name);
		o = um_xasprintf("%s/.owner", p);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
		    (fd = open(o, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) >= 0) {
			if (flock(fd, LOCK_EX | LOCK_NB) == 0 && sandbox_workdir_remove(p, NULL) == 0)
				n++;
			close(fd);
		}
		free(o);
		free(p);
	}
	if (d)
		closedir(d);
	return n;
}

void sandbox_workdir_remove_prefixed(const char *parent, const char *prefix)
{
	struct dirent *de;
	DIR *d = opendir(parent);

	while (d && (de = readdir(d)) != NULL) {
		if (um_has_prefix(de->d_name, prefix) && strlen(de->d_name) == strlen(prefix) + 6) {
			char *p = um_xasprintf("%s/%s", parent, de->d_name);
			sandbox_workdir_remove(p, NULL);
			free(p);
		}
	}
	if (d)
		closedir(d);
}

/* Open the directory dir/rel one component at a time without following a
 * symlink; with create, missing directories are made (and given to the
 * sandbox ids). Returns an fd or -1. */
static int open_beneath(const char *dir, const char *rel, int create, uid_t uid, gid_t gid,
			int chown_new, um_error *err)
{
	char *copy = um_xstrdup(rel), *comp, *save = NULL;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		um_fail(err, errno == ENOENT ? UM_ERR_NOTFOUND : UM_ERR_IO, "sandbox: %s: %s", dir,
			strerror(errno));
		free(copy);
		return -1;
	}
	for (comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST)
				goto bad;
			next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next >= 0 && chown_new)
				(void)fchown(next, uid, gid);
		}
		if (next < 0)
			goto bad;
		close(fd);
		fd = next;
	}
	free(copy);
	return fd;
bad:
	if (errno == ELOOP || errno == ENOTDIR)
		um_fail(err, UM_ERR_IO,
			"sandbox: %s/%s: \"%s\" is a symlink or not a directory; not followed",
			dir, rel, comp);
	else
		um_fail(err, errno == ENOENT ? UM_ERR_NOTFOUND : UM_ERR_IO, "sandbox: %s/%s: %s",
			dir, rel, strerror(errno));
	close(fd);
	free(copy);
	return -1;
}

/* Remove whatever non-directory sits at dirfd/name. */
static int clear_entry(int dirfd, const char *name, int keep_dir, um_error *err)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : um_fail(err, UM_ERR_IO, "sandbox: %s: %s", name,
						     strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		if (keep_dir)
			return 0;
		return um_fail(err, UM_ERR_IO,
			       "sandbox: %s is a directory in the work dir; not replaced", name);
	}
	if (unlinkat(dirfd, name, 0) < 0)
		return um_fail(err, UM_ERR_IO, "sandbox: cannot replace %s: %s", name,
			       strerror(errno));
	return 0;
}

/* Who the copied tree belongs to, and whether to change its owner at all. */
typedef struct copy_owner {
	uid_t uid;
	gid_t gid;
	int do_chown;
} copy_owner;

static int copy_node(int dirfd, const char *name, const char *src, const copy_owner *own,
		     int depth, um_error *err);

/* A directory: made (or kept) at dirfd/name, then each entry copied into it. */
static int copy_dir(int dirfd, const char *name, const char *src, const struct stat *st,
		    const copy_owner *own, int depth, um_error *err)
{
	struct dirent *de;
	DIR *dir;
	int sub, rc = 0;

	if (clear_entry(dirfd, name, 1, err) < 0)
		return -1;
	if (mkdirat(dirfd, name, (st->st_mode & 07777) | 0700) < 0 && errno != EEXIST)
		return um_fail(err, UM_ERR_IO, "sandbox: cannot create %s: %s", name,
			       strerror(errno));
	sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return um_fail(err, UM_ERR_IO, "sandbox: %s: %s", name, strerror(errno));
	if (own->do_chown)
		(void)fchown(sub, own->uid, own->gid);
	dir = opendir(src);
	if (!dir) {
		close(sub);
		return um_fail(err, UM_ERR_IO, "sandbox: %s: %s", src, strerror(errno));
	}
	while (rc == 0 && (de = readdir(dir))) {
		char *child;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		child = um_xasprintf("%s/%s", src, de->d_name);
		rc = copy_node(sub, de->d_name, child, own, depth + 1, err);
		free(child);
	}
	closedir(dir);
	close(sub);
	return rc;
}

/* A symbolic link, copied as a link (its target is not followed). */
static int copy_link(int dirfd, const char *name, const char *src, const copy_owner *own,
		     um_error *err)
{
	char target[PATH_MAX];
	ssize_t len = readlink(src, target, sizeof(target) - 1);

	if (len < 0)
		return um_fail(err, UM_ERR_IO, "sandbox: %s: %s", src, strerror(errno));
	target[len] = '\0';
	if (clear_entry(dirfd, name, 0, err) < 0)
		return -1;
	if (symlinkat(target, dirfd, name) < 0)
		return um_fail(err, UM_ERR_IO, "sandbox: cannot create %s: %s", name,
			       strerror(errno));
	if (own->do_chown)
		(void)fchownat(dirfd, name, own->uid, own->gid, AT_SYMLINK_NOFOLLOW);
	return 0;
}

/* All of in written to out (short writes and EINTR retried). */
static int copy_bytes(int in, int out, const char *src, const char *name, um_error *err)
{
	char buf[IO_CHUNK];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) != 0) {
		const char *p = buf;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return um_fail(err, UM_ERR_IO, "sandbox: %s: %s", src, strerror(errno));
		}
		while (n > 0) {
			ssize_t w = write(out, p, (size_t)n);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return um_fail(err, UM_ERR_IO, "sandbox: writing %s: %s", name,
					       strerror(errno));
			p += w;
			n -= w;
		}
	}
	return 0;
}

/* A regular file: a new file at dirfd/name with src's bytes and mode. */
static int copy_file(int dirfd, const char *name, const char *src, const struct stat *st,
		     const copy_owner *own, um_error *err)
{
	int in, out, rc;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return um_fail(err, UM_ERR_IO, "sandbox: %s: %s", src, strerror(errno));
	if (clear_entry(dirfd, name, 0, err) < 0) {
		close(in);
		return -1;
	}
	out = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		     st->st_mode & 0777);
	if (out < 0) {
		close(in);
		return um_fail(err, UM_ERR_IO, "sandbox: cannot create %s: %s", name,
			       strerror(errno));
	}
	rc = copy_bytes(in, out, src, name, err);
	if (rc == 0) {
		if (own->do_chown)
			(void)fchown(out, own->uid, own->gid);
		(void)fchmod(out, st->st_mode & 07777);
	}
	close(in);
	close(out);
	return rc;
}

static int copy_node(int dirfd, const char *name, const char *src, const copy_owner *own,
		     int depth, um_error *err)
{
	struct stat st;

	if (depth > 64)
		return um_fail(err, UM_ERR_INVALID, "sandbox: %s: tree too deep", src);
	if (lstat(src, &st) < 0)
		return um_fail(err, errno == ENOENT ? UM_ERR_NOTFOUND : UM_ERR_IO,
			       "sandbox: %s: %s", src, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return copy_dir(dirfd, name, src, &st, own, depth, err);
	if (S_ISLNK(st.st_mode))
		return copy_link(dirfd, name, src, own, err);
	if (S_ISREG(st.st_mode))
		return copy_file(dirfd, name, src, &st, own, err);
	return um_fail(err, UM_ERR_INVALID, "sandbox: %s: not a file, directory or symlink", src);
}

int sandbox_copy_in(const sandbox_spec *spec, const char *src, const char *dest_rel,
		    um_error *err)
{
	char *parent_rel, *slash;
	const char *name;
	uid_t uid;
	gid_t gid;
	int drop, fd, rc;

	if (!spec || !spec->work_dir || spec->work_dir[0] != '/' || !is_dir(spec->work_dir))
		return um_fail(err, UM_ERR_INVALID, "sandbox: copy_in: work_dir \"%s\" is not "
			       "an existing absolute directory",
			       spec && spec->work_dir ? spec->work_dir : "(null)");
	if (!src || src[0] != '/')
		return um_fail(err, UM_ERR_INVALID,
			       "sandbox: copy_in: source \"%s\" is not absolute",
			       src ? src : "(null)");
	if (!path_clean(dest_rel, 0))
		return um_fail(err, UM_ERR_INVALID,
			       "sandbox: copy_in: destination \"%s\" must be relative, without . "
			       "or .. components",
			       dest_rel ? dest_rel : "(null)");
	host_ids(spec, &uid, &gid, &drop);
	parent_rel = um_xstrdup(dest_rel);
	slash = strrchr(parent_rel, '/');
	if (slash) {
		*slash = '\0';
		name = dest_rel + (slash - parent_rel) + 1;
		fd = open_beneath(spec->work_dir, parent_rel, 1, uid, gid, drop, err);
	} else {
		name = dest_rel;
		fd = open_beneath(spec->work_dir, "", 1, uid, gid, drop, err);
	}
	free(parent_rel);
	if (fd < 0)
		return -1;
	{
		const copy_owner own = {uid, gid, drop};
		rc = copy_node(fd, name, src, &own, 0, err);
	}
	close(fd);
	return rc;
}

int sandbox_read_file(const char *dir, const char *rel, size_t max, char **data, size_t *len,
		      um_error *err)
{
	char *parent_rel, *slash, *buf;
	const char *name;
	struct stat st;
	size_t n = 0, cap;
	int dfd, fd;

	*data = NULL;
	if (len)
		*len = 0;
	if (!dir || dir[0] != '/')
		return um_fail(err, UM_ERR_INVALID,
			       "sandbox: read: directory \"%s\" is not absolute",
			       dir ? dir : "(null)");
	if (!path_clean(rel, 0))
		return um_fail(err, UM_ERR_INVALID,
			       "sandbox: read: \"%s\" must be relative, without . or .. components",
			       rel ? rel : "(null)");
	parent_rel = um_xstrdup(rel);
	slash = strrchr(parent_rel, '/');
	if (slash)
		*slash = '\0';
	name = slash ? rel + (slash - parent_rel) + 1 : rel;
	dfd = open_beneath(dir, slash ? parent_rel : "", 0, 0, 0, 0, err);
	free(parent_rel);
	if (dfd < 0)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (fd < 0) {
		if (errno == ENOENT)
			return um_fail(err, UM_ERR_NOTFOUND, "sandbox: %s/%s does not exist", dir,
				       rel);
		return um_fail(err, UM_ERR_IO, "sandbox: %s/%s: %s%s", dir, rel, strerror(errno),
			       errno == ELOOP ? " (a symlink; not followed)" : "");
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return um_fail(err, UM_ERR_IO, "sandbox: %s/%s is not a regular file", dir, rel);
	}
	if ((uint64_t)st.st_size > (uint64_t)max) {
		close(fd);
		return um_fail(err, UM_ERR_INVALID, "sandbox: %s/%s is %lld bytes (limit %zu)", dir,
			       rel, (long long)st.st_size, max);
	}
	cap = (size_t)st.st_size + 1;
	buf = um_xmalloc(cap);
	for (;;) {
		ssize_t r;
		if (n + 1 >= cap)
			um_xgrow((void **)&buf, &cap, n + 4097, 1);
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			free(buf);
			return um_fail(err, UM_ERR_IO, "sandbox: %s/%s: %s", dir, rel, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			close(fd);
			free(buf);
			return um_fail(err, UM_ERR_INVALID, "sandbox: %s/%s grew past %zu bytes",
				       dir, rel, max);
		}
	}
	close(fd);
	buf[n] = '\0';
	*data = buf;
	if (len)
		*len = n;
	return 0;
}
