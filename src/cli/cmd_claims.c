/*
 * cmd_claims.c - `umpire claims TABLE.yaml`: a vendor's whole benchmark table
 * with the measured value beside each claimed one.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "report/claims.h"
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
	char *text;

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
		case ':':
			return cli_usage_error("claims", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("claims", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("claims", "want exactly one TABLE.yaml");
	if (claims_load(argv[optind], &t, &err) < 0 || store_open(db, &st, &err) < 0 ||
	    !(ev = claims_evaluate(t, st, &err))) {
		rc = cli_error(&err);
		goto out;
	}
	text = as_json ? json_dumps(ev, JSON_INDENT(2) | JSON_SORT_KEYS) : claims_markdown(ev);
	puts(text);
	free(text);
out:
	if (ev)
		json_decref(ev);
	store_close(st);
	claims_free(t);
	return rc;
}
