/*
 * cmd_compare.c - `umpire compare BASE NEW`: two runs, system by system,
 * with CI gates (report/compare.h); exit status 9 when a gate fails.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cli/cli.h"
#include "report/compare.h"
#include "store/store.h"

static const char compare_help[] =
	"usage: umpire compare BASE NEW [options]\n"
	"\n"
	"Compare run NEW with run BASE, system by system, paired over the (item,\n"
	"sample) pairs both graded: accuracy of each, the paired difference with its\n"
	"t interval over items, the sign-flip permutation test over items (Holm over\n"
	"the systems), cost and median latency: the report's methods for two systems.\n"
	"BASE or NEW may be 'latest' (the newest run in its store).\n"
	"\n"
	"Gates (a test case each in the JUnit file):\n"
	"  accuracy  fails when accuracy dropped by more than --max-drop points and the\n"
	"            drop is significant (interval below 0, Holm p < 1 - level)\n"
	"  cost      with --max-cost-ratio R: fails when cost per paired attempt grew\n"
	"            more than R times\n"
	"  latency   with --max-latency-ratio R: fails when the median latency grew\n"
	"            more than R times\n"
	"\n"
	"Options:\n"
	"  -d, --db FILE             the store of both runs (default umpire.db)\n"
	"      --base-db FILE        the store of BASE (default: --db)\n"
	"      --new-db FILE         the store of NEW (default: --db)\n"
	"      --max-drop PP         tolerated accuracy drop in points (default 0)\n"
	"      --max-cost-ratio R    cost gate (off by default)\n"
	"      --max-latency-ratio R latency gate (off by default)\n"
	"      --level L             confidence level (default 0.95)\n"
	"  -s, --system NAME         compare only this system (repeatable)\n"
	"      --format F            stdout: text (default), md, json or none\n"
	"      --markdown FILE       write the Markdown summary to FILE\n"
	"      --junit FILE          write JUnit XML to FILE\n"
	"      --json FILE           write the comparison as JSON to FILE\n"
	"  -h, --help                this help\n"
	"\n"
	"When $GITHUB_STEP_SUMMARY is set, the Markdown summary is appended to it.\n"
	"Exit status: 0 every gate passed, 9 a gate failed (a regression), 7 a run or\n"
	"system not found, 2 usage error.\n";

typedef struct compare_args {
	const char *db, *base_db, *new_db, *format, *md_path, *junit_path, *json_path;
	const char **systems;
	um_compare_opts o;
} compare_args;

/* What the comparison reads of an attempt, kept for its graded ones only:
 * read row by row (store_scan_attempts, no text columns), so a run's
 * answers and details never sit in memory. */
/* One side of the comparison: its store, the run (no attempts) and a cursor
 * over its attempts, all in one read transaction. */
typedef struct side {
	um_store *st;
	um_run_data d;
	store_cursor *c;
	int reading;
} side;

static int side_open(side *x, const char *db, const char *id, um_error *err)
{
	char *latest = NULL;
	int rc = -1;

	if (store_open(db, &x->st, err) < 0)
		return -1;
	if (!strcmp(id, "latest") && !(id = latest = store_latest_run(x->st, err)))
		goto out;
	if (store_read_begin(x->st, err) < 0)
		goto out;
	x->reading = 1;
	if (store_load_run_meta(x->st, id, &x->d, err) < 0 ||
	    store_cursor_open(x->st, id, 0, &x->c, err) < 0)
		goto out;
	rc = 0;
out:
	free(latest);
	return rc;
}

static void side_close(side *x)
{
	store_cursor_close(x->c);
	if (x->reading)
		store_read_end(x->st);
	store_run_data_free(&x->d);
	store_close(x->st);
}

static int write_text(const char *path, const char *text, const char *mode, um_error *err)
{
	FILE *f = fopen(path, mode);

	if (!f)
		return um_fail(err, UM_ERR_IO, "%s: cannot open for writing", path);
	fputs(text, f);
	if (fclose(f) != 0)
		return um_fail(err, UM_ERR_IO, "%s: cannot write", path);
	return 0;
}

/* Every output asked for; stdout last. */
static int emit(const compare_args *a, const json_t *cmp, um_error *err)
{
	char *md = compare_markdown(cmp), *junit = compare_junit(cmp);
	char *js = json_dumps(cmp, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
	char *txt = compare_text(cmp), *js_nl = um_xasprintf("%s\n", js);
	const char *summary = getenv("GITHUB_STEP_SUMMARY");
	int rc = -1;

	if ((a->md_path && write_text(a->md_path, md, "w", err) < 0) ||
	    (a->junit_path && write_text(a->junit_path, junit, "w", err) < 0) ||
	    (a->json_path && write_text(a->json_path, js_nl, "w", err) < 0) ||
	    (summary && *summary && write_text(summary, md, "a", err) < 0))
		goto out;
	if (!strcmp(a->format, "text"))
		fputs(txt, stdout);
	else if (!strcmp(a->format, "md"))
		fputs(md, stdout);
	else if (!strcmp(a->format, "json"))
		fputs(js_nl, stdout);
	rc = 0;
out:
	free(md);
	free(junit);
	free(js);
	free(js_nl);
	free(txt);
	return rc;
}

static int parse_ratio(const char *opt, const char *v, double min, double max, double *out)
{
	if (cli_parse_double(v, min, max, out) < 0)
		return cli_usage_error("compare", "%s: expected a number from %g to %g, got '%s'",
				       opt, min, max, v);
	return 0;
}

static int parse_compare(compare_args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"base-db", required_argument, NULL, 'B'},
		{"new-db", required_argument, NULL, 'N'},
		{"max-drop", required_argument, NULL, 'D'},
		{"max-cost-ratio", required_argument, NULL, 'C'},
		{"max-latency-ratio", required_argument, NULL, 'L'},
		{"level", required_argument, NULL, 'l'},
		{"system", required_argument, NULL, 's'},
		{"format", required_argument, NULL, 'f'},
		{"markdown", required_argument, NULL, 'm'},
		{"junit", required_argument, NULL, 'j'},
		{"json", required_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->db = optarg; break;
		case 'B': a->base_db = optarg; break;
		case 'N': a->new_db = optarg; break;
		case 'D':
			if (parse_ratio("--max-drop", optarg, 0, 100, &a->o.max_drop_pp))
				return -1;
			break;
		case 'C':
			if (parse_ratio("--max-cost-ratio", optarg, 0.000001, 1e9, &a->o.max_cost_ratio))
				return -1;
			break;
		case 'L':
			if (parse_ratio("--max-latency-ratio", optarg, 0.000001, 1e9,
					&a->o.max_latency_ratio))
				return -1;
			break;
		case 'l':
			if (parse_ratio("--level", optarg, 0.5, 0.999999, &a->o.level))
				return -1;
			break;
		case 's': a->systems[a->o.n_systems++] = optarg; break;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "md") && strcmp(optarg, "json") &&
			    strcmp(optarg, "none"))
				return cli_usage_error("compare", "--format: text, md, json or none, "
								  "got '%s'", optarg), -1;
			a->format = optarg;
			break;
		case 'm': a->md_path = optarg; break;
		case 'j': a->junit_path = optarg; break;
		case 'J': a->json_path = optarg; break;
		case 'h': fputs(compare_help, stdout); return 1;
		case ':':
			return cli_usage_error("compare", "option '%s' needs a value",
					       argv[optind - 1]), -1;
		default:
			return cli_usage_error("compare", "unknown option '%s'", argv[optind - 1]), -1;
		}
	}
	if (argc - optind != 2)
		return cli_usage_error("compare", "want BASE and NEW (run ids or 'latest')"), -1;
	a->o.systems = a->systems;
	return 0;
}

int cmd_compare(int argc, char **argv, cli_globals *g)
{
	compare_args a;
	side base, cur;
	um_error err = {0};
	json_t *cmp = NULL;
	int rc;

	(void)g;
	memset(&a, 0, sizeof(a));
	memset(&base, 0, sizeof(base));
	memset(&cur, 0, sizeof(cur));
	a.db = "umpire.db";
	a.format = "text";
	a.systems = um_xcalloc((size_t)argc + 1, sizeof(char *));
	rc = parse_compare(&a, argc, argv);
	if (rc) {
		free(a.systems);
		return rc > 0 ? 0 : EXIT_USAGE;
	}
	if (side_open(&base, a.base_db ? a.base_db : a.db, argv[optind], &err) < 0 ||
	    side_open(&cur, a.new_db ? a.new_db : a.db, argv[optind + 1], &err) < 0 ||
	    !(cmp = compare_build(&base.d, base.c, &cur.d, cur.c, &a.o, &err)) ||
	    emit(&a, cmp, &err) < 0)
		rc = cli_error(&err);
	else
		rc = json_is_true(json_object_get(cmp, "regression")) ? EXIT_GATE : 0;
	if (cmp)
		json_decref(cmp);
	side_close(&base);
	side_close(&cur);
	free(a.systems);
	return rc;
}
