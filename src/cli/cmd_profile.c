/*
 * cmd_profile.c - `umpire profile`: capability profiles for router builders.
 *
 *   umpire profile export [RUN...] [--format json|csv] [--db FILE] [-o FILE]
 *   umpire profile check FILE
 *
 * export pools the attempts of the runs by system x category and writes the
 * profile (docs/profile.md); check reads a profile file back, validates it
 * strictly and prints a summary.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "report/profile.h"
#include "store/store.h"
#include "base/util.h"

static const char profile_help[] =
	"usage: umpire profile export [RUN...] [--format json|csv] [--db FILE] [-o FILE]\n"
	"       umpire profile check FILE\n"
	"\n"
	"export: per system x task category of the runs (default: the newest run),\n"
	"attempts pooled across runs: graded attempts, accuracy with its Wilson 95%\n"
	"interval, errors, tokens, cost per item and per correct answer (and the true\n"
	"cost of an orchestrator whose downstream calls the recording proxy saw),\n"
	"latency p50/p90, and the runs and suites each row comes from.\n"
	"check: read a profile file, validate it strictly and print a summary.\n"
	"\n"
	"Options (export):\n"
	"  -f, --format FMT      json (default) or csv\n"
	"  -d, --db FILE         SQLite store (default umpire.db)\n"
	"  -o, --output FILE     write FILE instead of standard output\n"
	"  -h, --help            this help\n";

static int profile_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"db", required_argument, NULL, 'd'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = "umpire.db", *format = "json", *output = NULL;
	um_run_data *runs = NULL;
	const um_run_data **ptrs = NULL;
	size_t n = 0, i;
	um_error err = {0};
	um_store *st = NULL;
	json_t *prof = NULL;
	char *text = NULL, *latest = NULL;
	int c, rc = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:d:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "json") && strcmp(optarg, "csv"))
				return cli_usage_error("profile", "--format: json or csv, got '%s'",
						       optarg);
			format = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			fputs(profile_help, stdout);
			return 0;
		default:
			return cli_bad_option("profile", c, argv);
		}
	}
	if (store_open_existing(db, &st, &err) < 0 || store_read_begin(st, &err) < 0)
		goto fail;
	n = optind < argc ? (size_t)(argc - optind) : 1;
	runs = um_xcalloc(n, sizeof(*runs));
	ptrs = um_xcalloc(n, sizeof(*ptrs));
	for (i = 0; i < n; i++) {
		const char *id = optind < argc ? argv[optind + (int)i] : NULL;

		if (!id && !(id = latest = store_latest_run(st, &err)))
			goto fail;
		/* the attempts are read one row at a time (profile_build_store) */
		if (store_load_run_meta(st, id, &runs[i], &err) < 0)
			goto fail;
		ptrs[i] = &runs[i];
	}
	if (!(prof = profile_build_store(st, ptrs, n, &err)))
		goto fail;
	text = !strcmp(format, "csv") ? profile_csv_text(prof) : profile_json_text(prof);
	if (output) {
		if (um_write_file(output, text, strlen(text), 0644, &err) < 0)
			goto fail;
	} else {
		fputs(text, stdout);
	}
	goto out;
fail:
	rc = cli_error(&err);
out:
	for (i = 0; runs && i < n; i++)
		store_run_data_free(&runs[i]);
	free(runs);
	free(ptrs);
	free(text);
	free(latest);
	if (prof)
		json_decref(prof);
	if (st)
		store_read_end(st);
	store_close(st);
	return rc;
}

static int profile_check(int argc, char **argv)
{
	um_error err = {0};
	json_t *prof;
	char *text;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(profile_help, stdout);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage_error("profile", "check wants exactly one FILE");
	if (!(prof = profile_load(argv[1], &err)))
		return cli_error(&err);
	text = profile_summary_text(prof);
	printf("%s: valid\n%s", argv[1], text);
	free(text);
	json_decref(prof);
	return 0;
}

int cmd_profile(int argc, char **argv, cli_globals *g)
{
	(void)g;
	if (argc < 2)
		return cli_usage_error("profile", "want a subcommand: export or check");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(profile_help, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "export"))
		return profile_export(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return profile_check(argc - 1, argv + 1);
	return cli_usage_error("profile", "unknown subcommand '%s' (export or check)", argv[1]);
}
