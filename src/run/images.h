/*
 * images.h - the container image of every task of a suite, for the docker
 * and podman drivers: built from the task's build context (content-hash tag,
 * built once and reused), named by reference (pull policy, registry prefix),
 * or the base image for tasks without one. `umpire images` calls it ahead of
 * a run; `umpire run` calls it at the start of a run (on demand: only what
 * is missing is built).
 */
#ifndef UMPIRE_IMAGES_H
#define UMPIRE_IMAGES_H

#include "exec/container.h"
#include "load/suite.h"

typedef struct images_opts {
	const char *engine;          /* docker or podman */
	const char *base_image;      /* NULL: CONTAINER_BASE_IMAGE */
	const char *pull_policy;     /* NULL: missing */
	const char *registry_prefix; /* NULL: none */
	const char *log_dir;         /* NULL: images_log_dir() */
	int64_t build_timeout_ms;    /* per build; 0: 30 minutes */
	/* called after each task (may be NULL): its image or why not */
	void (*progress)(void *ctx, const um_task *t, const container_image *im,
			 const char *error);
	void *progress_ctx;
} images_opts;

/* Where build logs are kept: $UMPIRE_CACHE_DIR/build-logs, else
 * $XDG_CACHE_HOME/umpire/build-logs, else $HOME/.cache/umpire/build-logs, else
 * /var/tmp/umpire-cache/build-logs. Caller frees. */
char *images_log_dir(void);

/* Fill out[i] (n_tasks entries, zeroed by the caller) with task i's image and
 * errors[i] with why it cannot be had (caller frees both). Unsupported tasks
 * are left out (ref NULL). Returns the number of tasks whose image failed;
 * -1 with err only when the options are bad. */
int images_ensure_suite(const um_suite *s, const images_opts *o, container_image *out,
			char **errors, um_error *err);

#endif
