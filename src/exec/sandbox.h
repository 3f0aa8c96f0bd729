/*
 * sandbox.h - run one command of an agentic task in an isolated, limited
 * environment, capture its output, and move files in and out of its work
 * directory.
 *
 * The default driver is bubblewrap (bwrap): no daemon, a fresh set of
 * namespaces per command (mount, pid, ipc, uts, user, cgroup and, unless the
 * task allows it, network). The root file system is the host's / (or an
 * unpacked image root) mounted read-only; a per-attempt work directory is
 * bound read-write at a fixed path (/work by default); /tmp is a private
 * tmpfs; /dev and /proc are minimal. The environment is fixed (below) and
 * nothing is inherited from the caller. Resource
 * limits are rlimits set before exec (inherited by the whole tree) and a
 * wall-clock timeout that kills the whole tree. "docker" and "podman" map the
 * same spec onto `docker run`. docs/sandbox.md says what is and is not
 * isolated.
 *
 * Ownership: a sandbox_spec only borrows its strings and arrays; they must
 * stay valid during each call that takes the spec. A sandbox_result owns its
 * two output buffers: release it with sandbox_result_release() after every
 * sandbox_exec*() call, whether it succeeded or not.
 *
 * Threads: sandbox_exec() may be called from several threads at once. The
 * calling thread must not exit while a call runs (the sandbox is tied to it
 * and dies with it).
 */
#ifndef UMPIRE_SANDBOX_H
#define UMPIRE_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"

/* The environment inside is exactly PATH=SANDBOX_PATH, HOME and PWD = the
 * work mount, TZ=UTC, LANG=C.UTF-8, PYTHONHASHSEED=0, plus the spec's env. */
#define SANDBOX_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define SANDBOX_HOSTNAME "sandbox"
#define SANDBOX_WORK_MOUNT "/work"
/* Host uid/gid the sandbox runs as when the caller is root ("nobody"). */
#define SANDBOX_HOST_ID_DEFAULT 65534
/* Default capture per stream. */
#define SANDBOX_OUT_MAX_DEFAULT (1024 * 1024)

typedef enum sandbox_net {
	SANDBOX_NET_NONE = 0, /* own network namespace: only its own loopback */
	SANDBOX_NET_SHARED,   /* the host's network (docker: the default bridge) */
} sandbox_net;

typedef struct sandbox_bind {
	const char *host;   /* absolute, existing path on the host */
	const char *inside; /* absolute path inside; NULL: same as host */
	int writable;       /* 0: read-only */
} sandbox_bind;

/* 0 means "no limit" for every field. */
typedef struct sandbox_limits {
	uint64_t mem_bytes;   /* RLIMIT_AS per process (docker: --memory) */
	uint64_t nproc;       /* RLIMIT_NPROC: processes+threads of the sandbox user */
	uint64_t fsize_bytes; /* RLIMIT_FSIZE: largest file a process may write */
	uint64_t nofile;      /* RLIMIT_NOFILE */
	uint64_t cpu_s;       /* RLIMIT_CPU per process: SIGXCPU, SIGKILL 1 s later */
	int64_t wall_ms;      /* whole command; the tree is killed at the deadline */
	size_t out_max;       /* bytes of stdout kept (0: SANDBOX_OUT_MAX_DEFAULT) */
	size_t err_max;       /* bytes of stderr kept (0: SANDBOX_OUT_MAX_DEFAULT) */
	unsigned cpus;        /* containers: --cpus (0: no limit; bwrap: not limited) */
	uint64_t tmp_bytes;   /* size of the /tmp (bwrap: and /var/tmp) tmpfs; 0: the
			       * kernel's or engine's default (half the host's RAM) */
	int mem_per_process;  /* containers: mem_bytes is also each process's address
			       * space (RLIMIT_AS, set by the image's /bin/sh with
			       * `ulimit -v` before the command), as under bwrap;
			       * 0: the container's cgroup only */
	uint64_t work_bytes;  /* disk blocks under work_dir, measured while the command
			       * runs (at its start, then every 200 ms or more): past
			       * it the tree is killed (SANDBOX_HIT_DISK); 0: unbounded */
} sandbox_limits;

typedef struct sandbox_spec {
	const char *driver;     /* "bwrap" (NULL), "docker" or "podman" */
	const char *root;       /* bwrap: absolute dir of an unpacked image root;
				 * NULL: the host's / read-only */
	const char *image;      /* docker/podman: image reference (required there) */
	const char *work_dir;   /* absolute, existing host dir, bound read-write */
	const char *work_mount; /* where it appears: one absolute component
				 * (NULL: SANDBOX_WORK_MOUNT); also HOME and cwd */
	const sandbox_bind *binds; /* extra binds, mounted after the work dir */
	size_t n_binds;
	const char *const *env; /* extra "NAME=value" entries (override the fixed
				 * ones of the same name) */
	size_t n_env;
	sandbox_net net;
	sandbox_limits limits;
	long host_uid, host_gid; /* bwrap run by root: host ids the sandbox runs
				  * as; -1: SANDBOX_HOST_ID_DEFAULT; 0 stays root
				  * (the kernel then ignores nproc). Give each
				  * concurrent sandbox its own uid to make nproc
				  * per sandbox. Ignored when the caller is not
				  * root (it runs as the caller). */
} sandbox_spec;

/* Sets what sandbox_limits_default() returns, network none, bwrap, host
 * root; work_dir must still be set. */
void sandbox_spec_init(sandbox_spec *s);
/* 4 GiB address space, 512 processes, 1 GiB files, 4096 fds, no CPU limit,
 * 10 minutes wall clock, 1 MiB per stream, a 512 MiB /tmp. */
sandbox_limits sandbox_limits_default(void);

/* What a limit did to the command (bits of sandbox_result.limits_hit). */
#define SANDBOX_HIT_WALL 0x01   /* wall-clock timeout: the tree was killed */
#define SANDBOX_HIT_CPU 0x02    /* SIGXCPU, or SIGKILL after the CPU limit */
#define SANDBOX_HIT_FSIZE 0x04  /* SIGXFSZ */
#define SANDBOX_HIT_OUTPUT 0x08 /* stdout or stderr truncated */
#define SANDBOX_HIT_DISK 0x10   /* the work dir grew past work_bytes: the tree was killed */

typedef struct sandbox_result {
	um_buf out, err;          /* captured bytes, at most the limits' max each */
	uint64_t out_bytes;       /* bytes the command wrote to stdout in all */
	uint64_t err_bytes;       /* same for stderr */
	int out_truncated;        /* out_bytes > out.len: the rest was dropped */
	int err_truncated;
	int exit_code;            /* 0..255; -1 when ended by a signal */
	int signal;               /* terminating signal, 0 when it exited */
	int timed_out;            /* killed at the wall-clock deadline */
	unsigned limits_hit;      /* SANDBOX_HIT_* */
	int64_t wall_ms;          /* start of the driver to the end of the tree */
	int64_t cpu_ms;           /* user+system CPU of the reaped tree (bwrap) */
} sandbox_result;

void sandbox_result_init(sandbox_result *r);
void sandbox_result_release(sandbox_result *r);

/* Run argv (argv[0] looked up in the sandbox's PATH) with the given stdin
 * bytes (NULL/0: /dev/null). Returns 0 when the command ran, whatever its
 * exit status, timeout or limits; -1 with err filled when it could not be
 * started (bad spec, driver missing, bwrap setup failure, command not found
 * in argv form), which is an infrastructure error, not a result. *res is
 * always initialised. Signals: bwrap and shells report death by signal N as
 * exit status 128+N; such statuses are reported as signal N. */
int sandbox_exec(const sandbox_spec *spec, const char *const *argv, const void *in,
		 size_t in_len, sandbox_result *res, um_error *err);
/* The same with `/bin/sh -c script`. */
int sandbox_exec_sh(const sandbox_spec *spec, const char *script, const void *in,
		    size_t in_len, sandbox_result *res, um_error *err);

/* The full command line sandbox_exec() would run for argv (driver program
 * first, as found in the caller's PATH, or its bare name when not found), for
 * audit logs and tests. NULL-terminated; free with sandbox_argv_free(). */
char **sandbox_build_argv(const sandbox_spec *spec, const char *const *argv, um_error *err);
void sandbox_argv_free(char **argv);

/* Run a host program (argv[0] an absolute path) with the caller's
 * environment, keeping at most res->out.max / res->err.max bytes of each
 * stream (as initialised by the caller; 0: the default), stdin from in
 * (NULL: /dev/null), killed with its process group at wall_ms (0: no limit),
 * when kill_argv (may be NULL) is also run, e.g. to stop what the program
 * started elsewhere. 0 when it ran (exit_code, or signal with exit status
 * 128+N; timed_out); -1 when it could not start. For container engine
 * clients (container.c). */
int sandbox_host_run(char *const *argv, const void *in, size_t in_len, int64_t wall_ms,
		     char *const *kill_argv, sandbox_result *res, um_error *err);
/* want (dflt when 0), at most the caller's hard limit of rlimit res and,
 * for RLIMIT_NPROC, the kernel's pid_max: what a container engine can give. */
uint64_t sandbox_rlimit_within(int res, uint64_t want, uint64_t dflt);
/* Absolute path of a program in the caller's PATH (caller frees), or NULL. */
char *sandbox_find_program(const char *name);

/* 1 when the driver ("bwrap", "docker", "podman"; NULL = "bwrap") can run
 * sandboxes here: bwrap starts a trivial sandbox; docker and podman answer
 * `info` (their engine runs). 0 with err saying why, otherwise. */
int sandbox_driver_available(const char *driver, um_error *err);

/* Create a fresh directory parent/tag-XXXXXX (parent is created if missing)
 * that the sandbox can write: owned by the sandbox's host ids (from spec, which
 * may be NULL for the defaults) when the caller is root. The sandbox's host uid
 * must be able to reach it (and the root and bind sources) on the host. Returns the path (caller frees) or NULL. Use it for the work dir
 * and for any writable bind (e.g. a logs dir). */
char *sandbox_workdir_new(const sandbox_spec *spec, const char *parent, const char *tag,
			  um_error *err);
/* Remove a directory tree without following symlinks. 0 when gone. */
int sandbox_workdir_remove(const char *path, um_error *err);
/* Remove every parent/PREFIXxxxxxx (mkdtemp's six characters after prefix):
 * what a run killed with SIGKILL left behind. */
void sandbox_workdir_remove_prefixed(const char *parent, const char *prefix);

/* A private directory $TMPDIR/umpire-TAG-XXXXXX ($TMPDIR unset or empty:
 * /tmp) of mode 0700, or 0711 when the caller is root (the sandbox's own uids
 * must reach the work dirs inside, not list it). It holds a file ".owner" that
 * this process keeps locked (flock) until *lock_fd is closed or the process
 * dies, which tells sandbox_tmpdir_sweep() that it is in use. Returns the
 * path (caller frees) or NULL. */
char *sandbox_tmpdir_new(const char *tag, int *lock_fd, um_error *err);
/* Remove the caller's directories umpire-* in the temporary directory whose
 * ".owner" is not locked: what processes killed with SIGKILL left. Those
 * without ".owner" are not touched. Returns how many were removed. */
int sandbox_tmpdir_sweep(void);

/* Copy a host file or directory tree (regular files, directories, symlinks
 * as symlinks) to work_dir/dest_rel, creating parents, replacing what is
 * there. dest_rel is relative, without "..". Never follows a symlink inside
 * the work dir (it may have been planted by the sandboxed command): such a
 * path component is an error. Copies are owned by the sandbox's host ids. Use
 * it to add hidden tests after the agent has stopped. */
int sandbox_copy_in(const sandbox_spec *spec, const char *src, const char *dest_rel,
		    um_error *err);

/* Read dir/rel (rel relative, no "..", no symlink followed on the way) into
 * *data (NUL-terminated, caller frees), refusing files over max bytes.
 * Missing file: -1 with UM_ERR_NOTFOUND. For reward files such as
 * logs/verifier/reward.txt under the work dir or a bound logs dir. */
int sandbox_read_file(const char *dir, const char *rel, size_t max, char **data, size_t *len,
		      um_error *err);

#endif
