/*
 * cmd_runs.c - `umpire runs`: the runs a store holds, with their status,
 * sizes and costs.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli.h"
#include "store/store.h"

static const char runs_help[] =
	"usage: umpire runs [--db FILE] [--json]\n"
	"\n"
	"List the runs in the store, oldest first: status (complete, incomplete,\n"
	"running; 'partial' when a --limit subset, one --shard, a --max-cost stop or\n"
	"the circuit breaker made it so), systems, items, attempts graded of planned,\n"
	"infrastructure errors, attempts from the cache, HTTP calls and cost.\n"
	"\n"
	"Options:\n"
	"  -d, --db FILE   SQLite store (default umpire.db)\n"
	"      --json      one JSON array instead of the table\n"
	"  -h, --help      this help\n";

/* "subset", "shard", "budget", "breaker" joined by '+', or "". */
static void partial_of(const char *notes_json, char *out, size_t n)
{
	static const char *const keys[][2] = {
		{"limit", "subset"}, {"shard", "shard"}, {"stopped", "budget"}, {"breaker", "breaker"}};
	json_t *j = notes_json ? json_loads(notes_json, 0, NULL) : NULL;
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; j && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_get(j, keys[i][0]) && used < n)
			used += (size_t)snprintf(out + used, n - used, "%s%s", used ? "+" : "",
						 keys[i][1]);
	if (j)
		json_decref(j);
}

static void iso_time(int64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || !gmtime_r(&t, &tm) || !strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, n, "-");
}

static json_t *summary_json(const um_run_summary *r)
{
	char partial[64], started[32];

	partial_of(r->notes_json, partial, sizeof(partial));
	iso_time(r->started_ms, started, sizeof(started));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			 "s:I}",
			 "run_id", r->run_id, "suite", r->suite_name, "status", r->status, "partial",
			 partial, "started", started, "systems", (json_int_t)r->systems, "items",
			 (json_int_t)r->items, "repeats", (json_int_t)r->repeats, "planned",
			 (json_int_t)(r->systems * r->items * r->repeats), "graded",
			 (json_int_t)r->done, "errors", (json_int_t)r->errors, "cached",
			 (json_int_t)r->cached, "calls", (json_int_t)r->calls, "cost_micro",
			 (json_int_t)r->cost_micro, "duration_ms",
			 (json_int_t)(r->finished_ms > r->started_ms ? r->finished_ms - r->started_ms
								     : 0));
}

static void print_table(const um_run_summary *v, size_t n)
{
	size_t i;

	printf("%-36s %-16s %-11s %-14s %4s %5s %15s %6s %6s %7s %10s %s\n", "run", "suite",
	       "status", "partial", "sys", "items", "graded/planned", "errors", "cached", "calls",
	       "cost USD", "started");
	for (i = 0; i < n; i++) {
		const um_run_summary *r = &v[i];
		char partial[64], started[32], frac[32];

		partial_of(r->notes_json, partial, sizeof(partial));
		iso_time(r->started_ms, started, sizeof(started));
		snprintf(frac, sizeof(frac), "%lld/%lld", (long long)r->done,
			 (long long)(r->systems * r->items * r->repeats));
		printf("%-36s %-16s %-11s %-14s %4lld %5lld %15s %6lld %6lld %7lld %10.4f %s\n",
		       r->run_id, r->suite_name, r->status, partial[0] ? partial : "-",
		       (long long)r->systems, (long long)r->items, frac, (long long)r->errors,
		       (long long)r->cached, (long long)r->calls, (double)r->cost_micro / 1e6,
		       started);
	}
}

int cmd_runs(int argc, char **argv, cli_globals *g)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = "umpire.db";
	int as_json = 0, c, rc = 0;
	um_store *st = NULL;
	um_run_summary *v = NULL;
	size_t n = 0, i;
	um_error err = {0};

	(void)g;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'J': as_json = 1; break;
		case 'h': fputs(runs_help, stdout); return 0;
		case ':':
			return cli_usage_error("runs", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("runs", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage_error("runs", "no arguments expected, got '%s'", argv[optind]);
	if (store_open(db, &st, &err) < 0 || store_list_runs(st, &v, &n, &err) < 0) {
		rc = cli_error(&err);
	} else if (as_json) {
		json_t *arr = json_array();
		char *text;
		for (i = 0; i < n; i++)
			json_array_append_new(arr, summary_json(&v[i]));
		text = json_dumps(arr, JSON_INDENT(2) | JSON_SORT_KEYS);
		puts(text);
		free(text);
		json_decref(arr);
	} else {
		print_table(v, n);
	}
	store_run_summaries_free(v, n);
	store_close(st);
	return rc;
}
