/*
 * cmd_report.c - `umpire report`: regenerate a run's report from the store.
 * The report is a pure function of the store, so running this twice gives
 * byte-identical files.
 */
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "report/plan.h"
#include "report/html.h"
#include "report/report.h"
#include "report/transcript.h"
#include "store/store.h"
#include "base/util.h"

static const char report_help[] =
	"usage: umpire report [--db FILE] [--reports DIR] [--print WHAT] [--sign]\n"
	"                     [--reference SYSTEM] [--target-mde PP] [--methods N] [RUN]\n"
	"\n"
	"Write DIR/RUN/report.json, report.md and report.html from the store (RUN\n"
	"defaults to the newest run) and print a summary table. A run of more than\n"
	"250 attempts or 1 MiB of transcripts gets one transcript page per system\n"
	"beside report.html (transcripts-NN-SYSTEM.html). The same store always gives\n"
	"byte-identical files.\n"
	"\n"
	"Options:\n"
	"  -d, --db FILE        SQLite store (default umpire.db)\n"
	"      --reports DIR    where reports go (default reports)\n"
	"      --print WHAT     what to print on stdout: summary (default), md, json, none\n"
	"      --sign           sign report.json, report.md and the HTML pages\n"
	"                       (FILE.minisig), creating\n"
	"                       the default key pair on first use (see umpire keygen)\n"
	"  -k, --seckey FILE    sign with this secret key\n"
	"      --reference SYSTEM  compare SYSTEM with every other one (name it before\n"
	"                       looking at the results; default: each orchestrator\n"
	"                       against each baseline, or every pair)\n"
	"      --target-mde PP  also print how many items (at 1, 2, 4, 8 repeats) each\n"
	"                       comparison needs to detect a difference of PP points\n"
	"      --methods N      the statistical methods of an earlier umpire (1: before\n"
	"                       the Clopper-Pearson pass@k and max-t AIQ intervals), to\n"
	"                       regenerate a report made then (default: the current)\n"
	"  -h, --help           this help\n";

int cli_store_has_run(um_store *st, const char *run_id)
{
	sqlite3_stmt *q = NULL;
	int found;

	if (sqlite3_prepare_v2(store_db(st), "SELECT 1 FROM runs WHERE run_id = ?", -1, &q,
			       NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(q, 1, run_id, -1, SQLITE_STATIC);
	found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return found;
}

html_page *cli_report_pages(um_store *st, const um_run_data *d, const json_t *rep, size_t *n,
			    um_error *err)
{
	um_run_counts cnt;
	um_run_data full;
	json_t *tr;
	html_page *p;

	memset(&full, 0, sizeof(full));
	if (store_run_counts(st, d->run.run_id, &cnt, err) < 0)
		return NULL;
	if (cnt.attempts > HTML_MAX_TRANSCRIPTS) {
		tr = json_pack("{sIsI}", "omitted", (json_int_t)cnt.attempts, "limit",
			       (json_int_t)HTML_MAX_TRANSCRIPTS);
	} else if (d->n_attempts == cnt.attempts) {
		tr = transcript_build(st, d, err);
	} else {
		/* d is the run without its attempts: the transcripts of a run this
		 * small are read whole */
		tr = store_load_run(st, d->run.run_id, &full, err) < 0 ? NULL
								       : transcript_build(st, &full, err);
		store_run_data_free(&full);
	}
	if (!tr)
		return NULL;
	p = html_render(rep, tr, n);
	json_decref(tr);
	return p;
}

int cli_write_pages(const char *dir, const html_page *p, size_t n, um_error *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *path = um_xasprintf("%s/%s", dir, p[i].name);
		int rc = um_write_file(path, p[i].text, strlen(p[i].text), 0644, err);
		free(path);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int cli_emit_report(const char *db_path, const char *run_id, const cli_report_opts *ro,
		    um_error *err)
{
	const char *print = ro->print ? ro->print : "summary";
	um_store *st = NULL;
	um_run_data d;
	json_t *rep = NULL;
	char *dir = NULL, *latest = NULL, *text = NULL;
	um_report_opts opts = {0.0, ro->reference, ro->methods};
	html_page *pages = NULL;
	size_t np = 0;
	int rc = -1;

	memset(&d, 0, sizeof(d));
	if (store_open_existing(db_path, &st, err) < 0)
		return -1;
	if (!run_id && !(run_id = latest = store_latest_run(st, err)))
		goto out;
	if (store_read_begin(st, err) < 0)
		goto out;
	/* the attempts are read one at a time (report_build_store) */
	if (store_load_run_meta(st, run_id, &d, err) < 0 ||
	    !(rep = report_build_store(st, &d, &opts, err)))
		goto out;
	dir = um_xasprintf("%s/%s", ro->reports_dir ? ro->reports_dir : "reports", run_id);
	if (report_write(rep, dir, err) < 0 || !(pages = cli_report_pages(st, &d, rep, &np, err)) ||
	    cli_write_pages(dir, pages, np, err) < 0)
		goto out;
	if (ro->sign && cli_sign_report(dir, pages, np, ro->seckey, ro->quiet, err) < 0)
		goto out;
	if (!strcmp(print, "summary")) {
		text = report_summary_text(rep);
		printf("%sreport: %s/report.md, %s/report.html%s\n", text, dir, dir,
		       ro->sign ? " (signed)" : "");
	} else if (!strcmp(print, "md")) {
		text = report_markdown(rep);
		fputs(text, stdout);
	} else if (!strcmp(print, "json")) {
		text = report_json_text(rep);
		fputs(text, stdout);
	}
	if (ro->target_mde > 0.0) {
		char *plan = plan_target_mde_text(rep, ro->target_mde);
		fputs(plan, stdout);
		free(plan);
	}
	rc = 0;
out:
	html_pages_free(pages, np);
	free(text);
	free(dir);
	free(latest);
	if (rep)
		json_decref(rep);
	store_run_data_free(&d);
	if (st)
		store_read_end(st);
	store_close(st);
	return rc;
}

int cmd_report(int argc, char **argv, cli_globals *g)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"reports", required_argument, NULL, 'o'},
		{"print", required_argument, NULL, 'p'},
		{"sign", no_argument, NULL, 'S'},
		{"seckey", required_argument, NULL, 'k'},
		{"reference", required_argument, NULL, 'r'},
		{"target-mde", required_argument, NULL, 'm'},
		{"methods", required_argument, NULL, 'M'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = "umpire.db";
	cli_report_opts ro = {"reports", "summary", 0, NULL, g->quiet, NULL, 0.0, 0};
	char *end;
	um_error err = {0};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'o':
			ro.reports_dir = optarg;
			break;
		case 'p':
			ro.print = optarg;
			if (strcmp(optarg, "summary") && strcmp(optarg, "md") &&
			    strcmp(optarg, "json") && strcmp(optarg, "none"))
				return cli_usage_error("report",
						       "--print: summary, md, json or none, got '%s'",
						       optarg);
			break;
		case 'S':
			ro.sign = 1;
			break;
		case 'k':
			ro.seckey = optarg;
			break;
		case 'r':
			ro.reference = optarg;
			break;
		case 'm':
			ro.target_mde = strtod(optarg, &end);
			if (end == optarg || *end || !(ro.target_mde > 0.0 && ro.target_mde <= 100.0))
				return cli_usage_error("report",
						       "--target-mde: percentage points in (0, 100], "
						       "got '%s'",
						       optarg);
			break;
		case 'M':
			ro.methods = (int)strtol(optarg, &end, 10);
			if (end == optarg || *end || ro.methods < 1 || ro.methods > REPORT_METHODS)
				return cli_usage_error("report", "--methods: 1 to %d, got '%s'",
						       REPORT_METHODS, optarg);
			break;
		case 'h':
			fputs(report_help, stdout);
			return 0;
		default:
			return cli_bad_option("report", c, argv);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("report", "at most one RUN, got '%s' too", argv[optind + 1]);
	if (cli_emit_report(db, optind < argc ? argv[optind] : NULL, &ro, &err) < 0)
		return cli_error(&err);
	return 0;
}
