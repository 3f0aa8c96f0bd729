/*
 * cmd_import_swe.c - `umpire import swe-bench-pro FILE.jsonl -o SUITE.yaml`
 * and `umpire import predictions FILE -o PRED.json [--suite SUITE.yaml]`,
 * dispatched from cmd_import.c: the public SWE-Bench Pro instances into a
 * suite of kind swe, and vendors' patch files into umpire's normalised
 * predictions (src/core/sweimport.c; docs/import-swe.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "import/sweimport.h"
#include "import/tbimport.h"
#include "base/util.h"

static const char swe_help[] =
	"usage: umpire import swe-bench-pro FILE.jsonl -o SUITE.yaml [options]\n"
	"\n"
	"Import SWE-Bench Pro instances (the public dataset as JSON lines) into a suite\n"
	"of kind swe: one task directory per instance with the problem statement,\n"
	"requirements, interface, gold.patch and test.patch. The repositories and test\n"
	"environments live in the dataset's container images: every task names its\n"
	"image and is graded there by the official profile (run --sandbox-driver podman\n"
	"--swe-scripts DIR). docs/import-swe.md lists the field mapping.\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE     the suite YAML to write (required)\n"
	"  -n, --name NAME       suite name (default: FILE's name without .yaml)\n"
	"      --tasks-dir DIR   where task directories go (default: NAME/ next to FILE)\n"
	"  -S, --scaffold FILE   the agent scaffold the suite names (default: the shipped\n"
	"                        scaffolds/swe-agent.yaml, from the current directory\n"
	"                        or umpire's data directory); named relative to FILE,\n"
	"                        with a warning when it cannot be found\n"
	"  -h, --help            this help\n";

static const char pred_help[] =
	"usage: umpire import predictions FILE -o PRED.json [--suite SUITE.yaml] [--model NAME]\n"
	"                                 [--eval-results FILE]\n"
	"\n"
	"Normalise a predictions file as vendors publish them: JSON lines, a JSON array,\n"
	"or a JSON object keyed by instance id, each entry with instance_id and\n"
	"model_patch (or patch) and model_name_or_path (or prefix). Writes\n"
	"{\"umpire_predictions\": 1, \"model\", \"predictions\": [{instance_id, model_patch,\n"
	"sha256}]} sorted by instance id. Empty patches are kept; they grade as\n"
	"unresolved.\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE     the normalised predictions to write (required)\n"
	"      --suite FILE      a suite of kind swe: every prediction must name one of\n"
	"                        its tasks; also says how many tasks have none\n"
	"      --model NAME      the model's name (default: from the entries)\n"
	"      --eval-results F  the vendor's own verdicts (eval_results.json: instance id\n"
	"                        -> true|false), kept so the report of `run --predictions`\n"
	"                        shows where umpire and the vendor agree\n"
	"  -h, --help            this help\n";

static void print_list(const char *what, char **v, size_t n)
{
	size_t i;

	fprintf(stderr, "umpire import: %s: ", what);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", v[i]);
	fputc('\n', stderr);
}

int cmd_import_swe_bench_pro(int argc, char **argv, cli_globals *g)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"name", required_argument, NULL, 'n'},
		{"tasks-dir", required_argument, NULL, 't'},
		{"scaffold", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	sweimport_opts o;
	sweimport_result r;
	um_error err = {0};
	const char *scaffold_arg = NULL;
	char *scaffold;
	size_t i, j, n;
	int c, rc;

	memset(&o, 0, sizeof(o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:n:S:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o.suite_path = optarg; break;
		case 'n': o.name = optarg; break;
		case 't': o.tasks_dir = optarg; break;
		case 'S': scaffold_arg = optarg; break;
		case 'h':
			fputs(swe_help, stdout);
			return 0;
		default:
			return cli_bad_option("import swe-bench-pro", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("import swe-bench-pro", "name the JSONL file to import");
	if (optind + 1 < argc)
		return cli_usage_error("import swe-bench-pro", "one file at a time ('%s' is extra)",
				       argv[optind + 1]);
	if (!o.suite_path)
		return cli_usage_error("import swe-bench-pro", "-o SUITE.yaml is required");
	o.source = argv[optind];
	scaffold = cli_import_scaffold_ref("import swe-bench-pro", o.suite_path, scaffold_arg,
					   "scaffolds/swe-agent.yaml",
					   SWEIMPORT_DEFAULT_SCAFFOLD);
	o.scaffold = scaffold;
	rc = sweimport_run(&o, &r, &err);
	if (r.n_ignored && !g->quiet)
		print_list("ignored unknown fields", r.ignored, r.n_ignored);
	for (i = 0; i < r.n_skipped; i++)
		fprintf(stderr, "umpire import: skipped %s\n", r.skipped[i]);
	if (rc < 0) {
		rc = cli_error(&err);
	} else {
		printf("imported %zu instance%s:", r.n_tasks, r.n_tasks == 1 ? "" : "s");
		for (i = 0; i < r.n_tasks; i++) {
			for (j = 0; j < i && strcmp(r.tasks[j].category, r.tasks[i].category); j++)
				;
			if (j < i)
				continue;
			for (n = 0, j = i; j < r.n_tasks; j++)
				n += !strcmp(r.tasks[j].category, r.tasks[i].category);
			printf(" %s %zu", r.tasks[i].category, n);
		}
		printf("\nevery task runs in its container image (--sandbox-driver podman or "
		       "docker, --swe-scripts DIR; see NOTE.md)\n");
		for (n = 0, i = 0; i < r.n_tasks; i++)
			n += !r.tasks[i].image;
		if (n)
			printf("  %zu without an image named in the dataset: unsupported\n", n);
		printf("suite: %s\ntasks: %s\n", o.suite_path, r.tasks_dir);
		rc = 0;
		if (r.n_skipped) {
			fprintf(stderr, "umpire import: partial: %zu bad line%s skipped, %zu "
				"instance%s imported\n", r.n_skipped, r.n_skipped == 1 ? "" : "s",
				r.n_tasks, r.n_tasks == 1 ? "" : "s");
			rc = EXIT_PARTIAL;
		}
	}
	sweimport_result_release(&r);
	free(scaffold);
	return rc;
}

int cmd_import_predictions(int argc, char **argv, cli_globals *g)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"suite", required_argument, NULL, 's'},
		{"model", required_argument, NULL, 'm'},
		{"eval-results", required_argument, NULL, 'E'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL, *suite = NULL, *model = NULL, *vendor = NULL;
	sweimport_preds p;
	sweimport_check chk;
	um_error err = {0};
	size_t i;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 's': suite = optarg; break;
		case 'm': model = optarg; break;
		case 'E': vendor = optarg; break;
		case 'h':
			fputs(pred_help, stdout);
			return 0;
		default:
			return cli_bad_option("import predictions", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("import predictions", "name the predictions file");
	if (optind + 1 < argc)
		return cli_usage_error("import predictions", "one file at a time ('%s' is extra)",
				       argv[optind + 1]);
	if (!out)
		return cli_usage_error("import predictions", "-o PRED.json is required");
	memset(&chk, 0, sizeof(chk));
	rc = sweimport_predictions_load(argv[optind], model, &p, &err);
	if (rc == 0 && vendor)
		rc = sweimport_vendor_results_load(vendor, &p, &err);
	if (rc == 0 && p.n_ignored && !g->quiet)
		print_list("ignored unknown fields", p.ignored, p.n_ignored);
	if (rc == 0 && suite) {
		rc = sweimport_predictions_check(&p, suite, &chk, &err);
		for (i = 0; i < chk.n_unknown; i++)
			fprintf(stderr, "umpire import: not a task of the suite: %s\n",
				chk.unknown[i]);
	}
	if (rc == 0)
		rc = sweimport_predictions_write(&p, out, &err);
	if (rc < 0) {
		rc = cli_error(&err);
	} else {
		printf("%zu prediction%s for model %s (%s)", p.n, p.n == 1 ? "" : "s", p.model,
		       p.shape);
		if (p.n_empty)
			printf(", %zu empty (graded as unresolved)", p.n_empty);
		printf("\n");
		if (p.n_not_diff)
			printf("  %zu patch%s without a file section (graded as empty)\n",
			       p.n_not_diff, p.n_not_diff == 1 ? "" : "es");
		if (suite)
			printf("suite %s: %zu task%s, %zu without a prediction (they count as "
			       "unresolved)\n", suite, chk.n_suite, chk.n_suite == 1 ? "" : "s",
			       chk.n_without);
		printf("predictions: %s\n", out);
		rc = 0;
	}
	sweimport_check_release(&chk);
	sweimport_preds_release(&p);
	return rc;
}
