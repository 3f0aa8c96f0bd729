/*
 * images.c - one container image per task of a suite (see images.h).
 */
#include "run/images.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define BUILD_MS_DEFAULT (30 * 60 * 1000)

char *images_log_dir(void)
{
	const char *c = getenv("UMPIRE_CACHE_DIR"), *x = getenv("XDG_CACHE_HOME");
	const char *h = getenv("HOME");

	if (c && *c == '/')
		return um_xasprintf("%s/build-logs", c);
	if (x && *x == '/')
		return um_xasprintf("%s/umpire/build-logs", x);
	if (h && *h == '/')
		return um_xasprintf("%s/.cache/umpire/build-logs", h);
	return um_xstrdup("/var/tmp/umpire-cache/build-logs");
}

/* One task's image: built, by reference, or the base image. */
static int one_image(const um_task *t, const images_opts *o, container_pull policy,
		     const char *log_dir, container_image *im, um_error *err)
{
	int64_t ms = o->build_timeout_ms > 0 ? o->build_timeout_ms : BUILD_MS_DEFAULT;

	if (t->build_dir)
		return container_image_build(o->engine, t->build_dir, log_dir, ms, im, err);
	if (t->image)
		return container_image_get(o->engine, t->image, o->registry_prefix, policy, ms, im,
					   err);
	/* the base image is local (scripts/engines.sh): never pulled */
	return container_image_get(o->engine, o->base_image ? o->base_image : CONTAINER_BASE_IMAGE,
				   NULL, CONTAINER_PULL_NEVER, ms, im, err);
}

int images_ensure_suite(const um_suite *s, const images_opts *o, container_image *out,
			char **errors, um_error *err)
{
	container_pull policy = CONTAINER_PULL_MISSING;
	char *log_dir;
	int failed = 0;
	size_t i;

	if (o->pull_policy && container_pull_parse(o->pull_policy, &policy, err) < 0)
		return -1;
	if (!o->engine || (strcmp(o->engine, "docker") && strcmp(o->engine, "podman")))
		return um_fail(err, UM_ERR_INVALID, "images: engine \"%s\" is not docker or podman",
			       o->engine ? o->engine : "(null)");
	log_dir = o->log_dir ? um_xstrdup(o->log_dir) : images_log_dir();
	for (i = 0; i < s->n_tasks; i++) {
		const um_task *t = &s->tasks[i];
		um_error e = {0};

		if (t->unsupported)
			continue;
		if (one_image(t, o, policy, log_dir, &out[i], &e) < 0) {
			errors[i] = um_xasprintf("task %s: %s", t->id, e.msg);
			container_image_release(&out[i]);
			failed++;
		}
		if (o->progress)
			o->progress(o->progress_ctx, t, &out[i], errors[i]);
	}
	free(log_dir);
	return failed;
}
