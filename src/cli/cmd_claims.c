/*
 * cmd_claims.c - `umpire claims TABLE.yaml`: a vendor's whole benchmark table
 * with the measured value beside each claimed one.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/claims.h"
#include "report/report.h"
#include "cli/cli.h"
#include "store/store.h"

static const char claims_help[] =
	"usage: umpire claims TABLE.yaml [--db FILE] [--json] [--fail-on below|outside]\n"
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
	"      --fail-on V below: exit 9 when any claim is \"below claim\" (the vendor\n"
	"                  claims more than the measured interval allows); outside:\n"
	"                  also when one is \"above claim\"\n"
	"  -h, --help      this help\n"
	"\n"
	"Exit status: 0, or 9 when --fail-on matched (the table is printed either way).\n";

/* How many verdicts --fail-on matches (0 when it is not given). */
static int count_failing(const json_t *ev, const char *fail_on)
{
	const json_t *b, *r;
	size_t i, j;
	int n = 0;

	if (!fail_on)
		return 0;
	json_array_foreach(json_object_get(ev, "benchmarks"), i, b)
		json_array_foreach(json_object_get(b, "rows"), j, r) {
		const char *v = json_string_value(json_object_get(r, "verdict"));
		if (v && (!strcmp(v, "below claim") ||
			  (!strcmp(fail_on, "outside") && !strcmp(v, "above claim"))))
			n++;
	}
	return n;
}

int cmd_claims(int argc, char **argv, cli_globals *g)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'J'},
		{"fail-on", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = "umpire.db", *fail_on = NULL;
	int as_json = 0, c, rc = 0, failing;
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
		case 'F':
			if (strcmp(optarg, "below") && strcmp(optarg, "outside"))
				return cli_usage_error("claims", "--fail-on: below or outside, got '%s'",
						       optarg);
			fail_on = optarg;
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
	if (claims_load(table, &t, &err) < 0 || store_open_existing(db, &st, &err) < 0 ||
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
	failing = count_failing(ev, fail_on);
	if (failing) {
		fprintf(stderr, "umpire claims: %d claim(s) %s (--fail-on %s)\n", failing,
			strcmp(fail_on, "below") ? "outside the measured interval"
						 : "above what was measured (verdict: below claim)",
			fail_on);
		rc = EXIT_GATE;
	}
out:
	if (ev)
		json_decref(ev);
	store_close(st);
	claims_free(t);
	free(table);
	return rc;
}
