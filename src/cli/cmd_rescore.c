/*
 * cmd_rescore.c - `umpire rescore RUN --scaffold OTHER.yaml`: apply another
 * scaffold's answer extractor to the stored answers, without calling any
 * model, and show how each system's score moves. Extractor choice alone can
 * explain gaps between published numbers. For a judged run, OTHER names
 * another judge (and prompt): the stored answers are judged again by it
 * (run/rejudge.h), calling that judge and no system under test.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "grade/regrade.h"
#include "load/models.h"
#include "run/rejudge.h"
#include "load/scaffold.h"
#include "store/store.h"
#include "base/util.h"

static const char rescore_help[] =
	"usage: umpire rescore RUN --scaffold OTHER.yaml [--scaffold ANOTHER.yaml]... [--db FILE]\n"
	"       [--models FILE]\n"
	"\n"
	"Re-grade RUN's stored answers with each scaffold's extractor and print, per\n"
	"system, the stored accuracy, the re-scored accuracy, the change in percentage\n"
	"points and how many answers changed verdict. Nothing is called and nothing in\n"
	"the store changes. For a judged run, each scaffold names a judge: the answers\n"
	"its items grade by judge are judged again by that judge, the system of\n"
	"--models it names (called; no system under test is), with its prompt. The\n"
	"run's rows stay as they are; the rescore is recorded beside them (RUN/rescore-N:\n"
	"the judge, every call it made with its request, reply and verdict, the cost\n"
	"and the table), so it can be audited and bundled.\n"
	"\n"
	"Options:\n"
	"  -S, --scaffold FILE   scaffold whose extractor to apply (repeatable); a bare\n"
	"                        NAME is scaffolds/NAME.yaml, here or in the data dir\n"
	"  -d, --db FILE         SQLite store (default umpire.db)\n"
	"  -m, --models FILE     judged runs: where the scaffold's judge is (a file with\n"
	"                        simulator: needs UMPIRE_SIM_URL set to a running one)\n"
	"      --json            print JSON instead of a table\n"
	"  -h, --help            this help\n";

static double pct(size_t k, size_t n)
{
	return n ? 100.0 * (double)k / (double)n : 0.0;
}

/* A judged run's answers judged again by sc's judge: a table or rows. */
static int rejudge_one(um_store *st, const um_run_data *d, const um_scaffold *sc,
		       const char *path, const char *models_path, json_t *out, um_error *err)
{
	um_models *m = NULL;
	um_rejudge rj;
	size_t k;

	if (!models_path)
		return um_fail(err, UM_ERR_USAGE,
			       "%s names a judge: --models FILE says where it is", path);
	if (models_load_flags(models_path, UM_MODELS_DEFER_ENV, &m, err) < 0)
		return -1;
	if (rejudge_run(d, sc, m, 0, st, &rj, err) < 0) {
		rejudge_release(&rj);
		models_free(m);
		return -1;
	}
	if (!out) {
		printf("scaffold %s (judge %s, %s replies): %zu calls, $%.4f, recorded as %s\n",
		       path, sc->judge.system, sc->judge.format, rj.calls,
		       (double)rj.cost_micro / 1e6, rj.rescore_id);
		printf("  %-16s %7s %9s %9s %8s %8s %7s %9s %7s\n", "system", "judged", "stored",
		       "rejudged", "change", "flipped", "errors", "recovered", "failed");
	}
	for (k = 0; k < rj.n_systems; k++) {
		const um_rejudge_sys *s = &rj.systems[k];
		double a = pct(s->correct_stored, s->judged), b = pct(s->correct_new, s->judged);

		if (out)
			json_array_append_new(
				out, json_pack("{s:s, s:s?, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
					       "scaffold", path, "rescore_id", rj.rescore_id, "judge",
					       sc->judge.system, "system",
					       s->name, "judged", (json_int_t)s->judged,
					       "correct_stored", (json_int_t)s->correct_stored,
					       "correct_rejudged", (json_int_t)s->correct_new,
					       "changed", (json_int_t)s->changed, "judge_errors",
					       (json_int_t)s->judge_errors, "failed",
					       (json_int_t)s->failed, "recovered", (json_int_t)s->recovered,
					       "recovered_correct", (json_int_t)s->correct_new_recovered));
		else
			printf("  %-16s %7zu %8.1f%% %8.1f%% %+7.1fpp %8zu %7zu %9zu %7zu\n", s->name,
			       s->judged, a, b, b - a, s->changed, s->judge_errors, s->recovered,
			       s->failed);
	}
	rejudge_release(&rj);
	models_free(m);
	return 0;
}

/* One scaffold's re-grading of the run (d: without its attempts, read from
 * st one at a time): a table, or rows appended to out. */
static int rescore_one(um_store *st, const um_run_data *d, const char *path,
		       const char *models_path, json_t *out, um_error *err)
{
	char *file = cli_data_path(path, "scaffolds");
	um_scaffold *sc = NULL;
	um_regrade rg;
	size_t k;
	int rc = scaffold_load(file, &sc, err);

	free(file);
	if (rc < 0)
		return -1;
	if (!strcmp(sc->kind, "judged") || !strcmp(d->run.suite_kind, "judged")) {
		/* the judge is called through the engine for every stored answer,
		 * read from st a window at a time, and the rescore recorded */
		rc = rejudge_one(st, d, sc, path, models_path, out, err);
		scaffold_free(sc);
		return rc;
	}
	/* one read snapshot for the scan (the judged branch above writes) */
	rc = store_read_begin(st, err);
	if (rc == 0)
		rc = regrade_run_store(st, d, sc, 0, &rg, err);
	store_read_end(st);
	if (rc < 0) {
		scaffold_free(sc);
		return -1;
	}
	if (!out && !sc->extract.pattern) /* code and agent scaffolds: verdicts stored */
		printf("scaffold %s (kind %s: no extractor, the stored verdicts)\n", path,
		       sc->kind);
	else if (!out)
		printf("scaffold %s (extractor %s, %s match)\n", path, sc->extract.pattern,
		       sc->extract.occurrence == UM_OCC_FIRST ? "first" : "last");
	if (!out) {
		printf("  %-16s %7s %9s %9s %8s %8s\n", "system", "graded", "stored", "rescored",
		       "change", "flipped");
	}
	for (k = 0; k < rg.n_systems; k++) {
		const um_regrade_sys *s = &rg.systems[k];
		double a = pct(s->correct_stored, s->graded), b = pct(s->correct_new, s->graded);

		if (out)
			json_array_append_new(
				out, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "scaffold", path,
					       "system", s->name, "graded", (json_int_t)s->graded,
					       "correct_stored", (json_int_t)s->correct_stored,
					       "correct_rescored", (json_int_t)s->correct_new,
					       "changed", (json_int_t)s->changed));
		else
			printf("  %-16s %7zu %8.1f%% %8.1f%% %+7.1fpp %8zu\n", s->name, s->graded, a,
			       b, b - a, s->changed);
	}
	regrade_release(&rg);
	scaffold_free(sc);
	return 0;
}

/* Options into scaffolds/db/as_json; 0, -1 after --help, or an exit status. */
static int rescore_parse(int argc, char **argv, const char **scaffolds, int *n_sc,
			 const char **db, const char **models, int *as_json)
{
	static const struct option opts[] = {
		{"scaffold", required_argument, NULL, 'S'},
		{"db", required_argument, NULL, 'd'},
		{"models", required_argument, NULL, 'm'},
		{"json", no_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":S:d:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			*models = optarg;
			break;
		case 'S':
			scaffolds[(*n_sc)++] = optarg;
			break;
		case 'd':
			*db = optarg;
			break;
		case 'J':
			*as_json = 1;
			break;
		case 'h':
			fputs(rescore_help, stdout);
			return -1;
		default:
			return cli_bad_option("rescore", c, argv);
		}
	}
	if (optind != argc - 1 || *n_sc == 0)
		return cli_usage_error("rescore", *n_sc ? "want exactly one RUN"
						       : "at least one --scaffold is required");
	return 0;
}

int cmd_rescore(int argc, char **argv, cli_globals *g)
{
	const char *db = "umpire.db", *models = NULL;
	const char **scaffolds = um_xcalloc((size_t)argc + 1, sizeof(char *));
	int n_sc = 0, as_json = 0, i, rc;
	um_error err = {0};
	um_store *st = NULL;
	um_run_data d;
	json_t *out = NULL;

	(void)g;
	memset(&d, 0, sizeof(d));
	rc = rescore_parse(argc, argv, scaffolds, &n_sc, &db, &models, &as_json);
	if (rc) {
		free(scaffolds);
		return rc < 0 ? 0 : rc;
	}
	/* the run without its attempts, read without mmap as the scans are */
	if (store_open_existing(db, &st, &err) < 0 || store_read_begin(st, &err) < 0 ||
	    store_load_run_meta(st, argv[optind], &d, &err) < 0) {
		if (st)
			store_read_end(st);
		rc = cli_error(&err);
		goto out;
	}
	store_read_end(st);
	out = as_json ? json_array() : NULL;
	for (i = 0; i < n_sc && rc == 0; i++)
		if (rescore_one(st, &d, scaffolds[i], models, out, &err) < 0)
			rc = cli_error(&err);
	if (rc == 0 && out) {
		char *t = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", t);
		free(t);
	}
out:
	if (out)
		json_decref(out);
	store_run_data_free(&d);
	store_close(st);
	free(scaffolds);
	return rc;
}
