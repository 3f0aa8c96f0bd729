/*
 * cmd_export.c - `umpire export RUN --format csv|jsonl`: one row per
 * attempt (grade, tokens, cost, latency, the item's category), for a
 * notebook or a spreadsheet.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/util.h"
#include "cli/cli.h"
#include "grade/regrade.h"
#include "store/store.h"

static const char export_help[] =
	"usage: umpire export [RUN] --format csv|jsonl [--db FILE] [-o FILE]\n"
	"\n"
	"Write one row per attempt of RUN (default: the newest run): run_id,\n"
	"attempt_id, item_id, category, subcategory, system, sample, status, score,\n"
	"extracted, error_class, tokens_in, tokens_cached, tokens_out, cost_micro,\n"
	"latency_ms, n_calls, cached, served_model, finish_reason. Money in micro-USD,\n"
	"time in ms; score is empty (null) for infrastructure errors. CSV has a header\n"
	"row and RFC 4180 quoting.\n"
	"\n"
	"Options:\n"
	"  -f, --format F  csv or jsonl (required)\n"
	"  -d, --db FILE   SQLite store (default umpire.db)\n"
	"  -o, --output F  write to F instead of stdout\n"
	"  -h, --help      this help\n";

static const char *const columns[] = {
	"run_id", "attempt_id", "item_id", "category", "subcategory", "system", "sample",
	"status", "score", "extracted", "error_class", "tokens_in", "tokens_cached",
	"tokens_out", "cost_micro", "latency_ms", "n_calls", "cached", "served_model",
	"finish_reason",
};

static json_t *row_of(const um_run_data *d, const um_attempt_rec *a)
{
	const um_item_rec *it = regrade_find_item(d, a->item_id);
	json_t *r = json_object();

#define S(k, v) json_object_set_new(r, k, (v) ? json_string(v) : json_null())
#define I(k, v) json_object_set_new(r, k, json_integer((json_int_t)(v)))
	S("run_id", d->run.run_id);
	S("attempt_id", a->attempt_id);
	S("item_id", a->item_id);
	S("category", it ? it->category : NULL);
	S("subcategory", it ? it->subcategory : NULL);
	S("system", a->system);
	I("sample", a->sample);
	S("status", a->status == UM_ATT_DONE ? "done" : "error");
	/* an attempt that ended in an outcome (judged suites) has no score */
	json_object_set_new(r, "score", store_attempt_graded(a) ? json_integer(a->score)
								 : json_null());
	S("extracted", a->extracted);
	S("error_class", a->error_class);
	I("tokens_in", a->tokens_in);
	I("tokens_cached", a->tokens_cached);
	I("tokens_out", a->tokens_out);
	I("cost_micro", a->cost_micro);
	I("latency_ms", a->latency_ms);
	I("n_calls", a->n_calls);
	json_object_set_new(r, "cached", json_boolean(a->cached));
	S("served_model", a->served_model);
	S("finish_reason", a->finish_reason);
#undef S
#undef I
	return r;
}

static void csv_field(FILE *f, const json_t *v)
{
	const char *s, *p;

	if (json_is_integer(v)) {
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return;
	}
	if (json_is_boolean(v)) {
		fputs(json_is_true(v) ? "1" : "0", f);
		return;
	}
	if (!json_is_string(v))
		return;
	s = json_string_value(v);
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (p = s; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

struct export_ctx {
	FILE *f;
	const um_run_data *d;
	int csv;
};

/* One attempt of the scan, written as a row. */
static int write_row(void *ctx, const um_attempt_rec *a, const um_routing_rec *evs, size_t n)
{
	const struct export_ctx *x = ctx;
	json_t *r = row_of(x->d, a);
	size_t c;

	(void)evs;
	(void)n;
	if (x->csv) {
		for (c = 0; c < UM_ARRAY_LEN(columns); c++) {
			if (c)
				fputc(',', x->f);
			csv_field(x->f, json_object_get(r, columns[c]));
		}
		fputs("\r\n", x->f);
	} else {
		char *line = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
		fprintf(x->f, "%s\n", line);
		free(line);
	}
	json_decref(r);
	return 0;
}

/* The header, then the run's attempts as the store streams them in (item,
 * system, sample) order: memory for the run's items, not its attempts. */
static int write_rows(um_store *st, FILE *f, const um_run_data *d, int csv, um_error *err)
{
	struct export_ctx x = {f, d, csv};
	size_t c;

	if (csv) {
		for (c = 0; c < UM_ARRAY_LEN(columns); c++)
			fprintf(f, "%s%s", c ? "," : "", columns[c]);
		fputs("\r\n", f);
	}
	return store_scan_attempts(st, d->run.run_id, STORE_SCAN_TEXT, write_row, &x, err);
}

int cmd_export(int argc, char **argv, cli_globals *g)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"db", required_argument, NULL, 'd'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = "umpire.db", *format = NULL, *out = NULL;
	um_store *st = NULL;
	um_run_data d;
	um_error err = {0};
	char *latest = NULL;
	const char *run;
	FILE *f = stdout;
	int c, rc = 0;

	(void)g;
	memset(&d, 0, sizeof(d));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:d:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'd': db = optarg; break;
		case 'o': out = optarg; break;
		case 'h': fputs(export_help, stdout); return 0;
		case ':':
			return cli_usage_error("export", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("export", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!format || (strcmp(format, "csv") && strcmp(format, "jsonl")))
		return cli_usage_error("export", "--format csv or jsonl is required");
	if (argc - optind > 1)
		return cli_usage_error("export", "at most one RUN");
	if (store_open(db, &st, &err) < 0)
		return cli_error(&err);
	run = optind < argc ? argv[optind] : (latest = store_latest_run(st, &err));
	if (!run || store_read_begin(st, &err) < 0 || store_load_run_meta(st, run, &d, &err) < 0) {
		rc = cli_error(&err);
		goto done;
	}
	if (out && !(f = fopen(out, "w"))) {
		um_fail(&err, UM_ERR_IO, "%s: cannot open for writing", out);
		rc = cli_error(&err);
		goto done;
	}
	if (write_rows(st, f, &d, !strcmp(format, "csv"), &err) != 0)
		rc = cli_error(&err);
	if (f != stdout && fclose(f) != 0 && !rc) {
		um_fail(&err, UM_ERR_IO, "%s: cannot write", out);
		rc = cli_error(&err);
	}
done:
	free(latest);
	store_run_data_free(&d);
	if (st)
		store_read_end(st);
	store_close(st);
	return rc;
}
