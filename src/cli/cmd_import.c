/*
 * cmd_import.c - `umpire import terminal-bench SOURCE -o SUITE.yaml`: turn
 * Terminal-Bench 1 or 2 (Harbor) tasks into a umpire terminal suite and the
 * task directories it lists (src/core/tbimport.c; docs/import.md), then
 * say how many can run on this host and which need a container image.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "import/tbimport.h"
#include "base/util.h"

static const char import_help[] =
	"usage: umpire import terminal-bench DIR|ARCHIVE -o SUITE.yaml [options]\n"
	"       umpire import swe-bench-pro FILE.jsonl -o SUITE.yaml [options]\n"
	"       umpire import predictions FILE -o PRED.json [--suite SUITE.yaml]\n"
	"       umpire import charxiv DIR|FILE -o SUITE.yaml [options]\n"
	"       (each has its own --help)\n"
	"\n"
	"Import Terminal-Bench tasks into a suite of kind terminal. DIR is one task\n"
	"folder or a folder of task folders; ARCHIVE is a .tar, .tar.gz, .tar.zst or\n"
	"zip of either. Terminal-Bench 1 folders hold task.yaml, Terminal-Bench 2\n"
	"(Harbor) folders task.toml. Each task is written in umpire's layout under the\n"
	"tasks directory; tasks that need their container image are kept, marked\n"
	"'unsupported' with the image. docs/import.md lists the field mappings.\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE     the suite YAML to write (required)\n"
	"  -n, --name NAME       suite name (default: FILE's name without .yaml)\n"
	"      --tasks-dir DIR   where task directories go (default: NAME/ next to\n"
	"                        FILE); archives are unpacked there temporarily\n"
	"  -S, --scaffold FILE   the agent scaffold the suite names (default: the shipped\n"
	"                        scaffolds/terminal-agent.yaml, from the current\n"
	"                        directory or umpire's data directory); named relative\n"
	"                        to FILE, with a warning when it cannot be found\n"
	"      --skip-broken     list malformed tasks and import the rest (the exit\n"
	"                        status is still non-zero when none is left)\n"
	"  -h, --help            this help\n";

/* The scaffold as the suite file should name it: a file found as given, in
 * the current directory or in the data directory, named relative to the
 * suite's directory (absolute when it is the installed one); when none is
 * found, a warning that says how to fix the suite. */
char *cli_import_scaffold_ref(const char *cmd, const char *suite, const char *given,
			      const char *shipped, const char *fallback)
{
	const char *slash = strrchr(suite, '/');
	char *dir = slash ? um_xstrndup(suite, (size_t)(slash - suite + (slash == suite)))
			  : um_xstrdup(".");
	char *found = cli_data_path(given ? given : shipped, "scaffolds");
	char *rel = NULL;

	if (access(found, R_OK) == 0) {
		const char *dd = cli_data_dir();
		if (dd && found[0] == '/' && um_has_prefix(found, dd))
			rel = um_xstrdup(found);
		else if (um_mkdir_p(dir, NULL) == 0)
			rel = tbimport_relpath(dir, found);
	}
	if (!rel) {
		rel = um_xstrdup(given ? given : fallback);
		fprintf(stderr, "umpire %s: warning: scaffold %s not found (here or in umpire's data "
				"directory); %s names '%s': copy the scaffold there, or import again "
				"with --scaffold FILE\n",
			cmd, given ? given : shipped, suite, rel);
	}
	free(found);
	free(dir);
	return rel;
}

static void print_summary(const tbimport_result *r, const char *suite)
{
	size_t i;

	printf("imported %zu task%s, %zu runnable on the host, %zu need an image", r->n_tasks,
	       r->n_tasks == 1 ? "" : "s", r->n_host, r->n_image);
	if (r->n_other)
		printf(", %zu unsupported for another reason", r->n_other);
	printf("\n");
	for (i = 0; i < r->n_tasks; i++) {
		const tbimport_task *t = &r->tasks[i];
		if (t->needs_image)
			printf("  needs an image: %s: %s\n", t->id,
			       t->image ? t->image : "built from environment/Dockerfile");
	}
	for (i = 0; i < r->n_tasks; i++) {
		const tbimport_task *t = &r->tasks[i];
		if (t->unsupported && !t->needs_image)
			printf("  unsupported: %s: %s\n", t->id, t->unsupported);
	}
	if (r->n_broken)
		printf("skipped %zu broken task%s\n", r->n_broken, r->n_broken == 1 ? "" : "s");
	printf("suite: %s\ntasks: %s\n", suite, r->tasks_dir);
}

int cmd_import(int argc, char **argv, cli_globals *g)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"name", required_argument, NULL, 'n'},
		{"tasks-dir", required_argument, NULL, 't'},
		{"scaffold", required_argument, NULL, 'S'},
		{"skip-broken", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	tbimport_opts o;
	tbimport_result r;
	um_error err = {0};
	char *scaffold;
	const char *scaffold_arg = NULL;
	size_t i;
	int c, rc;

	/* formats with their own options (cmd_import_swe.c) */
	if (argc > 1 && !strcmp(argv[1], "swe-bench-pro"))
		return cmd_import_swe_bench_pro(argc - 1, argv + 1, g);
	if (argc > 1 && !strcmp(argv[1], "predictions"))
		return cmd_import_predictions(argc - 1, argv + 1, g);
	if (argc > 1 && !strcmp(argv[1], "charxiv"))
		return cmd_import_charxiv(argc - 1, argv + 1, g);
	memset(&o, 0, sizeof(o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:n:S:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o.suite_path = optarg; break;
		case 'n': o.name = optarg; break;
		case 't': o.tasks_dir = optarg; break;
		case 'S': scaffold_arg = optarg; break;
		case 'k': o.skip_broken = 1; break;
		case 'h':
			fputs(import_help, stdout);
			return 0;
		default:
			return cli_bad_option("import", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("import", "name the format: terminal-bench");
	if (strcmp(argv[optind], "terminal-bench") != 0)
		return cli_usage_error("import", "unknown format '%s' (known: terminal-bench, "
				       "swe-bench-pro, predictions, charxiv)",
				       argv[optind]);
	if (optind + 1 >= argc)
		return cli_usage_error("import", "name a task folder or an archive to import");
	if (optind + 2 < argc)
		return cli_usage_error("import", "one source at a time ('%s' is extra)",
				       argv[optind + 2]);
	if (!o.suite_path)
		return cli_usage_error("import", "-o SUITE.yaml is required");
	o.source = argv[optind + 1];
	scaffold = cli_import_scaffold_ref("import", o.suite_path, scaffold_arg,
					   "scaffolds/terminal-agent.yaml",
					   TBIMPORT_DEFAULT_SCAFFOLD);
	o.scaffold = scaffold;
	rc = tbimport_run(&o, &r, &err);
	for (i = 0; i < r.n_broken; i++)
		if (!g->quiet || rc < 0)
			fprintf(stderr, "umpire import: skipped broken task %s: %s\n",
				r.broken[i].folder, r.broken[i].reason);
	if (rc < 0) {
		rc = cli_error(&err);
	} else {
		print_summary(&r, o.suite_path);
		rc = 0;
	}
	tbimport_result_release(&r);
	free(scaffold);
	return rc;
}
