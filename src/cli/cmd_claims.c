/*
 * cmd_claims.c - `umpire claims TABLE.yaml`: a vendor's whole benchmark table
 * with the measured value beside each claimed one.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "report/claims.h"
#include "report/report.h"
#include "cli/cli.h"
#include "store/store.h"

static const char claims_help[] =
	"usage: umpire claims TABLE.yaml [--db FILE] [--json]\n"
	"\n"
	"Render a vendor's benchmark table (format: docs/claims.md) with, beside each\n"
	"claimed number, the accuracy umpire measured in the newest run of the\n"
	"benchmark's suite, its 95% interval and a verdict (reproduced, below claim,\n"
	"above claim), or \"not measured\".\n"
	"\n"
	"A bare NAME is claims/NAME.yaml, looked up in the current directory, then in\n"
	"umpire's data directory: `umpire claims demo`.\n"
	"\n"
	"Options:\n"
	"  -d, --db FILE   SQLite store (default umpire.db)\n"
	"      --json      print JSON instead of markdown\n"
	"  -h, --help      this help\n";

int cmd_claims(int argc, char **argv, cli_globals *g)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = "umpire.db";
	int as_json = 0, c, rc = 0;
	um_claims_table *t = NULL;
	um_store *st = NULL;
	um_error err = {0};
	json_t *ev = NULL;
	char *text, *table = NULL;

	(void)g;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'J':
			as_json = 1;
			break;
		case 'h':
			fputs(claims_help, stdout);
			return 0;
		default:
			return cli_bad_option("claims", c, argv);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("claims", "want exactly one TABLE.yaml");
	table = cli_data_path(argv[optind], "claims");
	if (claims_load(table, &t, &err) < 0 || store_open(db, &st, &err) < 0 ||
	    !(ev = claims_evaluate(t, st, &err))) {
		rc = cli_error(&err);
		goto out;
	}
	/* numbers as the report prints them (6 significant digits) */
	text = as_json ? report_json_text(ev) : claims_markdown(ev);
	fputs(text, stdout);
	if (!as_json)
		fputc('\n', stdout);
	free(text);
out:
	if (ev)
		json_decref(ev);
	store_close(st);
	claims_free(t);
	free(table);
	return rc;
}
