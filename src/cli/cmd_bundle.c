/*
 * cmd_bundle.c - `umpire bundle RUN -o FILE.tar.zst`: everything a third party
 * needs to check a run offline: the suite, scaffold and models files (models
 * hold no secrets: keys live in the environment), the dataset hash, the
 * run's store, report.json, report.md and report.html (with its transcript
 * pages) regenerated from that store, a
 * MANIFEST of sha256s signed in minisign's format, and the public key.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/bundle.h"
#include "exec/sandbox.h"
#include "cli/cli.h"
#include "report/report.h"
#include "run/runner.h"
#include "audit/sign.h"
#include "store/store.h"
#include "base/util.h"

static const char bundle_help[] =
	"usage: umpire bundle RUN -o FILE.tar.zst [--db FILE] [--seckey KEY] [--include-data]\n"
	"\n"
	"Write an audit bundle of RUN: suite.yaml, scaffold.yaml, models.yaml,\n"
	"dataset.sha256, store.sqlite (this run only), report.json, report.md,\n"
	"report.html (and its transcript pages for large runs),\n"
	"MANIFEST (sha256 of every member), MANIFEST.minisig and signer.pub.\n"
	"Check it anywhere with `umpire verify FILE.tar.zst --pubkey KEY.pub`.\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE     the bundle to write (required)\n"
	"  -d, --db FILE         SQLite store (default umpire.db)\n"
	"  -k, --seckey FILE     signing key (default: $UMPIRE_KEY_DIR/umpire.key,\n"
	"                        created on first use)\n"
	"      --include-data    keep question texts and request bodies in the store;\n"
	"                        by default they are replaced by their sha256, so a\n"
	"                        dataset whose licence forbids redistribution stays home\n"
	"  -h, --help            this help\n";

/* Room for the fixed members and the HTML pages. */
#define MAX_FIXED_MEMBERS 16

static void add(um_member *m, size_t *n, const char *name, char *data, size_t len)
{
	m[*n].name = um_xstrdup(name);
	m[*n].data = data;
	m[*n].len = len;
	(*n)++;
}

static char *dup_text(const char *s, size_t *len)
{
	*len = s ? strlen(s) : 0;
	return um_xstrdup(s ? s : "");
}

/* report.json, report.md and the HTML pages of the run in store st (d: the
 * run without its attempts, which are read one at a time), made room for in
 * *m. */
static int add_report(um_member **m, size_t *n, um_store *st, const um_run_data *d,
		      um_error *err)
{
	json_t *rep;
	html_page *pages = NULL;
	size_t np = 0, i;
	char *text;

	if (store_read_begin(st, err) < 0)
		return -1;
	rep = report_build_store(st, d, NULL, err);
	if (rep && !(pages = cli_report_pages(st, d, rep, &np, err))) {
		json_decref(rep);
		rep = NULL;
	}
	store_read_end(st);
	if (!rep)
		return -1;
	*m = um_xrealloc(*m, (MAX_FIXED_MEMBERS + np) * sizeof(**m));
	text = report_json_text(rep);
	add(*m, n, "report.json", text, strlen(text));
	text = report_markdown(rep);
	add(*m, n, "report.md", text, strlen(text));
	for (i = 0; i < np; i++) {
		add(*m, n, pages[i].name, pages[i].text, strlen(pages[i].text));
		pages[i].text = NULL;
	}
	html_pages_free(pages, np);
	json_decref(rep);
	return 0;
}

static int build_bundle(const char *db, const char *run_id, const char *out,
			const char *seckey, int include_data, um_error *err)
{
	char *tmpdir;
	char *store_path = NULL, *text, *manifest = NULL, *sig = NULL, *tc = NULL;
	char *sec_path = seckey ? um_xstrdup(seckey) : cli_default_key(1);
	um_store *st = NULL, *copy = NULL;
	um_run_data d;
	um_member *m = um_xcalloc(MAX_FIXED_MEMBERS, sizeof(*m));
	um_seckey sec;
	um_pubkey pub;
	size_t n = 0, len;
	char msha[65];
	int rc = -1;

	int tmp_lock;

	memset(&d, 0, sizeof(d));
	(void)sandbox_tmpdir_sweep();
	tmpdir = sandbox_tmpdir_new("bundle", &tmp_lock, err);
	if (!tmpdir) {
		free(sec_path);
		free(m);
		return -1;
	}
	store_path = um_xasprintf("%s/store.sqlite", tmpdir);
	if (access(sec_path, R_OK) != 0) {
		char *pub_path = seckey ? um_xasprintf("%s.pub", seckey) : cli_default_key(0);
		int k = cli_keygen(pub_path, sec_path, 0, err);
		if (k == 0)
			fprintf(stderr, "umpire: created signing key %s (public key %s)\n", sec_path,
				pub_path);
		free(pub_path);
		if (k < 0)
			goto out;
	}
	if (sign_seckey_private(sec_path, err) < 0 ||
	    sign_seckey_load(sec_path, getenv("UMPIRE_KEY_PASSWORD"), &sec, err) < 0)
		goto out;
	sign_pubkey_of(&sec, &pub);

	if (store_open_existing(db, &st, err) < 0 || store_load_run_meta(st, run_id, &d, err) < 0)
		goto out;
	if (bundle_export_store(st, run_id, store_path, include_data, err) < 0)
		goto out;
	if (um_read_file(store_path, &text, &len, err) < 0)
		goto out;
	add(m, &n, "store.sqlite", text, len);
	/* the report is regenerated from the exported store, as verify will do */
	store_run_data_free(&d);
	if (store_open(store_path, &copy, err) < 0 || store_load_run_meta(copy, run_id, &d, err) < 0)
		goto out;
	if (add_report(&m, &n, copy, &d, err) < 0)
		goto out;
	text = dup_text(d.run.suite_text, &len);
	add(m, &n, "suite.yaml", text, len);
	text = dup_text(d.run.scaffold_text, &len);
	add(m, &n, "scaffold.yaml", text, len);
	text = dup_text(d.run.models_text, &len);
	add(m, &n, "models.yaml", text, len);
	text = um_xasprintf("%s  dataset of suite %s %s\n",
			    d.run.dataset_sha256 && *d.run.dataset_sha256 ? d.run.dataset_sha256
									   : "(inline)",
			    d.run.suite_name, d.run.suite_version);
	add(m, &n, "dataset.sha256", text, strlen(text));
	text = sign_pubkey_text(&pub);
	add(m, &n, "signer.pub", text, strlen(text));

	manifest = bundle_manifest(m, n, run_id);
	um_sha256_hex(manifest, strlen(manifest), msha);
	tc = um_xasprintf("umpire bundle\trun:%s\tmanifest-sha256:%s\tsigner:umpire %s", run_id,
			  msha, umpire_version());
	if (!(sig = sign_data(&sec, manifest, strlen(manifest), "umpire bundle manifest signature",
			      tc, err)))
		goto out;
	add(m, &n, "MANIFEST", manifest, strlen(manifest));
	manifest = NULL;
	add(m, &n, "MANIFEST.minisig", sig, strlen(sig));
	sig = NULL;
	if (bundle_write(out, m, n, err) < 0)
		goto out;
	rc = 0;
out:
	memset(&sec, 0, sizeof(sec));
	while (n > 0) {
		n--;
		free(m[n].name);
		free(m[n].data);
	}
	free(m);
	store_run_data_free(&d);
	store_close(copy);
	store_close(st);
	cli_remove_store_dir(tmpdir);
	close(tmp_lock);
	free(tmpdir);
	free(manifest);
	free(sig);
	free(tc);
	free(store_path);
	free(sec_path);
	return rc;
}

int cmd_bundle(int argc, char **argv, cli_globals *g)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"db", required_argument, NULL, 'd'},
		{"seckey", required_argument, NULL, 'k'},
		{"include-data", no_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL, *db = "umpire.db", *seckey = NULL;
	int include = 0, c;
	um_error err = {0};

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:d:k:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 's':
			return cli_seckey_letter("bundle");
		case 'k':
			seckey = optarg;
			break;
		case 'D':
			include = 1;
			break;
		case 'h':
			fputs(bundle_help, stdout);
			return 0;
		default:
			return cli_bad_option("bundle", c, argv);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("bundle", "want exactly one RUN");
	if (!out)
		return cli_usage_error("bundle", "--output FILE is required");
	if (build_bundle(db, argv[optind], out, seckey, include, &err) < 0)
		return cli_error(&err);
	if (!g->quiet)
		fprintf(stderr, "umpire bundle: wrote %s\n", out);
	return 0;
}
