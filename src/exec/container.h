/*
 * container.h - docker and podman as the environment of one attempt: task
 * images built from a build context (tagged by the context's content hash,
 * built once, the build log kept) or named by reference (with a pull
 * policy), and one long-lived container per attempt in which every command
 * of the attempt runs with `exec`, as Harbor runs its trials.
 *
 * The container starts from the image with the attempt's limits (cpus,
 * memory, pids, a sized /tmp), `--network none` unless the task allows the
 * network, no new privileges, and as its first process a shell loop around
 * `sleep` that reaps orphans (so `kill -9 -1` from an exec ends every other
 * process, leaves no zombie, and the container alive). Files move in and out with `cp`. docs/sandbox.md
 * describes what runs where.
 *
 * Every call runs the engine's client through sandbox_host_run() with a
 * deadline; none prints. Errors are infrastructure errors with the client's
 * own message.
 */
#ifndef UMPIRE_CONTAINER_H
#define UMPIRE_CONTAINER_H

#include <stdint.h>

#include "base/error.h"
#include "exec/sandbox.h"

/* The image the container drivers use for a task without its own image:
 * scripts/engines.sh imports it from a Debian root built offline. */
#define CONTAINER_BASE_IMAGE "localhost/umpire-base:bookworm"
/* Tags of images built from a build context: this prefix, then ':' and the
 * first 20 hex digits of the context's sha256. */
#define CONTAINER_TASK_REPO "localhost/umpire-task"

typedef enum container_pull {
	CONTAINER_PULL_MISSING = 0, /* pull only when the engine does not have it */
	CONTAINER_PULL_NEVER,       /* a missing image is an error */
	CONTAINER_PULL_ALWAYS,      /* pull before every run */
} container_pull;

/* "never", "missing", "always" -> *out; -1 otherwise. */
int container_pull_parse(const char *s, container_pull *out, um_error *err);

/* The engine client ("docker" or "podman") as an absolute path (caller
 * frees), or NULL with err. */
char *container_engine_path(const char *engine, um_error *err);

typedef struct container_image {
	char *ref;      /* what `run` is given: the tag or the reference */
	char *id;       /* the engine's image id (sha256:...) */
	char *log_path; /* the build log (built images), or NULL */
	int built;      /* 1: built now; 0: it existed already (or was pulled) */
} container_image;

void container_image_release(container_image *im);

/* Build the image of a build context (a directory holding a Dockerfile)
 * unless an image with its content tag exists: tag CONTAINER_TASK_REPO:HASH.
 * The build's output goes to log_dir/HASH.log (log_dir is created), kept
 * after success and failure. timeout_ms 0: no limit. -1 with err (saying
 * where the log is) when the build fails. */
int container_image_build(const char *engine, const char *context, const char *log_dir,
			  int64_t timeout_ms, container_image *out, um_error *err);

/* Make an image named by reference available: prefix (may be NULL or "")
 * is put before a reference with no registry part (e.g. "docker.io/"), then
 * the pull policy is applied. */
int container_image_get(const char *engine, const char *ref, const char *prefix,
			container_pull policy, int64_t timeout_ms, container_image *out,
			um_error *err);

/* The engine's id of an image, or NULL with err when it has none. */
char *container_image_id(const char *engine, const char *ref, um_error *err);

typedef struct container {
	char *engine;   /* absolute client path */
	char *name;     /* umpire-... */
	char *workdir;  /* where commands run: the image's WORKDIR or the spec's */
	int running;
} container;

/* What container_start needs beyond the spec: spec->driver (docker or
 * podman), spec->image, spec->net, spec->limits (mem_bytes, nproc, nofile,
 * cpus, tmp_bytes), spec->env (the task's [environment.env]). workdir NULL:
 * the image's WORKDIR ("/" when it has none); else it is created and used.
 * label: put on the container as umpire.run=LABEL so leftovers of a killed
 * run can be removed (container_remove_labelled). The start log (client
 * output) goes to *log. */
int container_start(container *c, const sandbox_spec *spec, const char *name,
		    const char *workdir, const char *label, sandbox_result *log, um_error *err);

/* Run `sh -c script` in the container's workdir with the extra env of
 * spec->env, spec->limits.wall_ms, out_max/err_max. At the deadline every
 * process of the container but its first is killed. Returns as
 * sandbox_exec(): 0 when the command ran, -1 when the engine failed. */
int container_exec(const container *c, const sandbox_spec *spec, const char *script,
		   const void *in, size_t in_len, sandbox_result *res, um_error *err);

/* Kill every process in the container but its first (the agent's leftovers
 * before verification). */
int container_kill_all(const container *c, um_error *err);

/* Copy a host file, or the contents of a host directory, to the absolute
 * path dest in the container (created; with replace, what was there is
 * removed first, else a tree is merged into it). */
int container_copy_in(const container *c, const char *host_src, const char *dest, int replace,
		      um_error *err);

/* Copy the contents of the container's directory src into the existing host
 * directory host_dest. A missing src is UM_ERR_NOTFOUND. */
int container_copy_out(const container *c, const char *src, const char *host_dest,
		       um_error *err);

/* Remove the container (killed at once) and release c. Safe on a container
 * that never started. */
void container_stop(container *c);

/* Remove every container labelled umpire.run=label (leftovers of a killed
 * run, or of this run whose removal the engine refused). Returns how many
 * were removed, -1 when the engine did not answer. */
int container_remove_labelled(const char *engine, const char *label, um_error *err);

#endif
