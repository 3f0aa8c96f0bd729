/*
 * cmd_route_eval.c - `umpire route-eval`: does a run's orchestrator beat a
 * trivial router built from its own pool? Prints the "Routing and routers"
 * section (docs/routing.md) as markdown, or its JSON with --json.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "report/report.h"
#include "report/route.h"
#include "store/store.h"
#include "base/util.h"

static const char route_eval_help[] =
	"usage: umpire route-eval [RUN] [--db FILE] [--seed N] [--resamples N] [--json]\n"
	"\n"
	"Compare RUN's orchestrator(s) (default: the newest run) with routers built from\n"
	"the baselines of the same run: the best single system, the per-item oracle,\n"
	"the zero router (the cost-quality frontier of the baselines, with its AIQ) and\n"
	"a per-category profile router fitted on half of the items. Each orchestrator\n"
	"is placed against the frontier at its own cost, with paired-bootstrap 95%\n"
	"intervals. The orchestrator's cost is its true cost (own bill plus the\n"
	"downstream calls the recording proxy saw) when the proxy recorded any.\n"
	"\n"
	"Options:\n"
	"  -d, --db FILE         SQLite store (default umpire.db)\n"
	"      --seed N          seed of the split and the bootstrap (default: the run's seed)\n"
	"      --resamples N     bootstrap resamples, 100 to 1000000 (default 1000)\n"
	"      --json            print the JSON section instead of markdown\n"
	"  -h, --help            this help\n";

/* Below this many resamples the 2.5th and 97.5th percentiles of the
 * bootstrap are the two or three most extreme draws. */
#define ROUTE_EVAL_MIN_RESAMPLES 100

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

int cmd_route_eval(int argc, char **argv, cli_globals *g)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"seed", required_argument, NULL, 'E'},
		{"resamples", required_argument, NULL, 'B'},
		{"json", no_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = "umpire.db", *run_id;
	uint64_t seed = 0, resamples = UM_ROUTE_RESAMPLES;
	int have_seed = 0, as_json = 0, c, rc = 0;
	um_error err = {0};
	um_store *st = NULL;
	um_run_data d;
	um_route_opts ro = {0, 0, 0}; /* methods 0: the report's default */
	json_t *sec = NULL;
	char *latest = NULL, *text = NULL;

	(void)g;
	memset(&d, 0, sizeof(d));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'E':
			if (parse_u64(optarg, &seed) < 0)
				return cli_usage_error("route-eval",
						       "--seed: a non-negative integer, got '%s'",
						       optarg);
			have_seed = 1;
			break;
		case 'B':
			if (parse_u64(optarg, &resamples) < 0 || resamples < ROUTE_EVAL_MIN_RESAMPLES ||
			    resamples > 1000000)
				return cli_usage_error("route-eval",
						       "--resamples: %d to 1000000 (fewer cannot place "
						       "a 95%% interval), got '%s'",
						       ROUTE_EVAL_MIN_RESAMPLES, optarg);
			break;
		case 'J':
			as_json = 1;
			break;
		case 'h':
			fputs(route_eval_help, stdout);
			return 0;
		default:
			return cli_bad_option("route-eval", c, argv);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("route-eval", "at most one RUN, got '%s' too",
				       argv[optind + 1]);
	run_id = optind < argc ? argv[optind] : NULL;

	if (store_open_existing(db, &st, &err) < 0 || store_read_begin(st, &err) < 0)
		goto fail;
	if (!run_id && !(run_id = latest = store_latest_run(st, &err)))
		goto fail;
	/* the attempts are read one at a time (route_eval_store) */
	if (store_load_run_meta(st, run_id, &d, &err) < 0)
		goto fail;
	ro.seed = have_seed ? seed : d.run.seed;
	ro.resamples = (unsigned)resamples;
	if (!(sec = route_eval_store(st, &d, &ro, &err)))
		goto fail;
	if (as_json) {
		text = report_json_text(sec);
	} else {
		text = route_eval_markdown(sec);
	}
	fputs(text, stdout);
	goto out;
fail:
	rc = cli_error(&err);
out:
	free(text);
	free(latest);
	if (sec)
		json_decref(sec);
	store_run_data_free(&d);
	if (st)
		store_read_end(st);
	store_close(st);
	return rc;
}
