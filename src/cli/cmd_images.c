/*
 * cmd_images.c - `umpire images SUITE`: build (or find, or pull) the container
 * image of every task of a terminal suite ahead of a run, so that `run` finds
 * them all; prints one line per task with its image and id, or why not.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/util.h"
#include "load/suite.h"
#include "run/images.h"

static const char images_help[] =
	"usage: umpire images SUITE.yaml [--sandbox-driver docker|podman] [--pull P]\n"
	"                     [--registry-prefix R] [--base-image REF] [--build-logs DIR]\n"
	"\n"
	"Make the container image of every task of SUITE available to the engine:\n"
	"a task with `environment.build` gets its image built from that context, tagged\n"
	"localhost/umpire-task:<content hash> (built once: an unchanged context is not\n"
	"built again); a task with `environment.image` is looked up, or pulled by the\n"
	"pull policy; a task with neither uses the base image. Unsupported tasks are\n"
	"listed and left out. Prints `TASK IMAGE ID [built|cached]` per task, and the\n"
	"build log of each failure. `umpire run` does the same on demand.\n"
	"\n"
	"Options:\n"
	"      --sandbox-driver D  docker or podman (default podman)\n"
	"      --pull P          never, missing (default) or always\n"
	"      --registry-prefix R  put before references without a registry host\n"
	"      --base-image REF  default localhost/umpire-base:bookworm\n"
	"      --build-logs DIR  default ~/.cache/umpire/build-logs ($UMPIRE_CACHE_DIR)\n"
	"  -h, --help            this help\n"
	"\n"
	"Exit status 5 when an image could not be had.\n";

static void progress(void *ctx, const um_task *t, const container_image *im, const char *error)
{
	int *quiet = ctx;

	if (error)
		fprintf(stderr, "umpire: %s\n", error);
	else if (!*quiet)
		printf("%s %s %s %s\n", t->id, im->ref, im->id, im->built ? "built" : "cached");
}

int cmd_images(int argc, char **argv, cli_globals *g)
{
	static const struct option opts[] = {
		{"sandbox-driver", required_argument, NULL, 'D'},
		{"pull", required_argument, NULL, 'p'},
		{"registry-prefix", required_argument, NULL, 'x'},
		{"base-image", required_argument, NULL, 'b'},
		{"build-logs", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	images_opts io;
	um_suite *s = NULL;
	um_error err = {0};
	container_image *out;
	char **errors;
	int c, failed, quiet = g->quiet;
	size_t i;

	memset(&io, 0, sizeof(io));
	io.engine = "podman";
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'D':
			if (strcmp(optarg, "docker") && strcmp(optarg, "podman"))
				return cli_usage_error("images", "--sandbox-driver: docker or podman, "
						       "got '%s'", optarg);
			io.engine = optarg;
			break;
		case 'p':
			if (strcmp(optarg, "never") && strcmp(optarg, "missing") && strcmp(optarg, "always"))
				return cli_usage_error("images", "--pull: never, missing or always, "
						       "got '%s'", optarg);
			io.pull_policy = optarg;
			break;
		case 'x':
			io.registry_prefix = optarg;
			break;
		case 'b':
			io.base_image = optarg;
			break;
		case 'L':
			io.log_dir = optarg;
			break;
		case 'h':
			fputs(images_help, stdout);
			return 0;
		case ':':
			return cli_usage_error("images", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("images", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("images", "give one suite file");
	if (cli_suite_convert(argv[optind], g->quiet, NULL, &err) < 0 ||
	    suite_load(argv[optind], &s, &err) < 0)
		return cli_error(&err);
	if (!s->n_tasks) {
		suite_free(s);
		return cli_usage_error("images", "%s has no tasks (a terminal or swe suite)",
				       argv[optind]);
	}
	io.progress = progress;
	io.progress_ctx = &quiet;
	out = um_xcalloc(s->n_tasks, sizeof(*out));
	errors = um_xcalloc(s->n_tasks, sizeof(char *));
	failed = images_ensure_suite(s, &io, out, errors, &err);
	for (i = 0; i < s->n_tasks; i++) {
		if (s->tasks[i].unsupported && !quiet)
			printf("%s unsupported: %s\n", s->tasks[i].id, s->tasks[i].unsupported);
		container_image_release(&out[i]);
		free(errors[i]);
	}
	free(out);
	free(errors);
	suite_free(s);
	if (failed < 0)
		return cli_error(&err);
	return failed ? EXIT_INCOMPLETE : 0;
}
