/*
 * verify_bundle.c - `umpire verify BUNDLE`: check an audit bundle offline.
 *
 * In order, stopping at the first failure: the bundle is read safely (unsafe
 * member paths refuse it; every member hashed as it is read, the store
 * written to a private temporary directory as it comes, not held); MANIFEST.minisig is checked against the given
 * public key (or, failing that, the bundled signer.pub, with a warning that
 * this proves integrity, not identity); every member's sha256 against the
 * MANIFEST; suite, scaffold and models files against the hashes the store
 * recorded for the run; every graded attempt is re-derived from its
 * recorded transcript and re-graded with the bundled scaffold, and every
 * recorded rescore's judge replies read again; and the
 * report is regenerated from the bundled store and must be byte-identical to
 * the bundled report.json and report.md, and so must every HTML page
 * (report.html and its transcript pages). Differences are printed with the
 * field and both values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/bundle.h"
#include "exec/sandbox.h"
#include "cli/cli.h"
#include "audit/jdiff.h"
#include "grade/regrade.h"
#include "report/report.h"
#include "load/scaffold.h"
#include "audit/sign.h"
#include "store/store.h"
#include "base/util.h"

void cli_remove_store_dir(const char *dir)
{
	static const char *const names[] = {"store.sqlite", "store.sqlite-wal",
					    "store.sqlite-shm", "store.sqlite-journal", ".owner"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *p = um_xasprintf("%s/%s", dir, names[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}

static int fail_msg(const char *what, const char *detail)
{
	fprintf(stderr, "umpire verify: FAILED: %s\n%s", what, detail ? detail : "");
	return EXIT_STATE;
}

/* The bundled report may carry generated_at (from SOURCE_DATE_EPOCH when it
 * was made): regenerate with the same clock. */
static void use_report_clock(const json_t *rep)
{
	const char *g = json_string_value(json_object_get(rep, "generated_at"));
	struct tm tm;
	char buf[32];

	unsetenv("SOURCE_DATE_EPOCH");
	memset(&tm, 0, sizeof(tm));
	if (g && strptime(g, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		snprintf(buf, sizeof(buf), "%lld", (long long)timegm(&tm));
		setenv("SOURCE_DATE_EPOCH", buf, 1);
	}
}

/* One verification: the bundle's members and what is made from them. */
typedef struct vb_ctx {
	um_member *m;
	size_t n;
	int quiet;
	um_error err;
	char *tc, *run_id, *store_path;
	char *tmpdir;
	int have_tmp, tmp_lock;
	um_store *st;
	um_run_data d;
	um_regrade rg;
	um_buf diff;
} vb_ctx;

/* MANIFEST.minisig against the given key or the bundled signer.pub, then
 * every member against MANIFEST. 0, or the exit status. */
static int vb_check_signature(vb_ctx *v, const char *pubkey_arg)
{
	const um_member *man = bundle_find(v->m, v->n, "MANIFEST");
	const um_member *sig = bundle_find(v->m, v->n, "MANIFEST.minisig");
	const um_member *signer = bundle_find(v->m, v->n, "signer.pub");
	um_pubkey pub, shipped;
	char keyid[17];
	int own_key = 0;

	if (!man || !sig)
		return fail_msg("the bundle has no MANIFEST or no MANIFEST.minisig", NULL);
	if (pubkey_arg) {
		if ((strlen(pubkey_arg) == 56 && !strchr(pubkey_arg, '/')
			     ? sign_pubkey_parse("--pubkey", pubkey_arg, &pub, &v->err)
			     : sign_pubkey_load(pubkey_arg, &pub, &v->err)) < 0)
			return cli_error(&v->err);
	} else if (signer && sign_pubkey_parse("signer.pub", signer->data, &pub, &v->err) == 0) {
		own_key = 1;
	} else {
		return fail_msg("no --pubkey given and no usable signer.pub in the bundle", NULL);
	}
	if (sign_verify(&pub, man->data, man->len, "MANIFEST.minisig", sig->data, &v->tc,
			&v->err) < 0) {
		fail_msg("MANIFEST signature", v->err.msg);
		fputs("\n", stderr);
		return EXIT_STATE;
	}
	/* signer.pub is not in MANIFEST: it must at least be the key that
	 * signed, or the bundle misnames its signer */
	if (!own_key && (!signer || sign_pubkey_parse("signer.pub", signer->data, &shipped,
						      &v->err) < 0 ||
			 memcmp(&shipped, &pub, sizeof(pub)) != 0))
		return fail_msg("signer.pub", signer ? "the bundle's signer.pub is not the "
						       "--pubkey key\n"
						     : "the bundle has no signer.pub\n");
	if (bundle_manifest_check(man->data, v->m, v->n, &v->run_id, &v->err) < 0) {
		fail_msg("MANIFEST", v->err.msg);
		fputs("\n", stderr);
		return EXIT_STATE;
	}
	sign_keyid_hex(pub.keyid, keyid);
	if (own_key) /* loud, and even with --quiet: this is not an identity check */
		fprintf(stderr, "umpire verify: WARNING: no --pubkey given: trusting the key "
				"shipped inside the bundle (%s). Anyone who edits a bundle can re-sign "
				"it with a key of their own; pass --pubkey with the signer's key.\n",
			keyid);
	if (!v->quiet) {
		printf("signature: valid, key %s%s\n", keyid,
		       own_key ? " (the key shipped in the bundle: this proves the bundle is intact, "
				 "not who made it; pass --pubkey to check the signer)"
			       : "");
		printf("members: %zu, all match MANIFEST (run %s)\n", v->n, v->run_id);
	}
	return 0;
}

/* A private temporary directory for the bundled store, which the reading
 * writes there as it comes (the store is the one member that grows with
 * the run). */
static int vb_make_tmp(vb_ctx *v)
{
	(void)sandbox_tmpdir_sweep();
	v->tmpdir = sandbox_tmpdir_new("verify", &v->tmp_lock, &v->err);
	if (!v->tmpdir)
		return cli_error(&v->err);
	v->have_tmp = 1;
	v->store_path = um_xasprintf("%s/store.sqlite", v->tmpdir);
	return 0;
}

/* The bundled store, opened for one read snapshot: the run without its
 * attempts, which the re-grading and the report read one at a time. */
static int vb_open_store(vb_ctx *v)
{
	const um_member *mem = bundle_find(v->m, v->n, "store.sqlite");

	if (!mem || !mem->path)
		return fail_msg("no store.sqlite", NULL);
	if (store_open(mem->path, &v->st, &v->err) < 0 ||
	    store_read_begin(v->st, &v->err) < 0 ||
	    store_load_run_meta(v->st, v->run_id, &v->d, &v->err) < 0)
		return cli_error(&v->err);
	return 0;
}

/* suite, scaffold and models files against the hashes the run recorded. */
static int vb_check_config(vb_ctx *v)
{
	static const char *const files[] = {"suite.yaml", "scaffold.yaml", "models.yaml"};
	const char *want[3] = {v->d.run.suite_sha256, v->d.run.scaffold_sha256,
			       v->d.run.models_sha256};
	int i;

	for (i = 0; i < 3; i++) {
		const um_member *mem = bundle_find(v->m, v->n, files[i]);
		char got[65];

		if (!mem)
			return fail_msg(files[i], "missing from the bundle\n");
		um_sha256_hex(mem->data, mem->len, got);
		if (!um_streq(got, want[i])) {
			um_buf_printf(&v->diff, "%s: the run recorded sha256 %s, the bundled file has %s\n",
				      files[i], want[i], got);
			return fail_msg("configuration files differ from what the run used",
					um_buf_str(&v->diff));
		}
	}
	return 0;
}

/* Every graded attempt re-derived from its transcript, re-graded with the
 * bundled scaffold. */
static int vb_regrade(vb_ctx *v)
{
	const um_member *mem = bundle_find(v->m, v->n, "scaffold.yaml");
	um_scaffold *sc = NULL;
	int rc;

	if (scaffold_load_buffer("scaffold.yaml", mem->data, mem->len, &sc, &v->err) < 0)
		return cli_error(&v->err);
	rc = regrade_run_store(v->st, &v->d, sc, 1, &v->rg, &v->err);
	scaffold_free(sc);
	if (rc == 0)
		rc = regrade_rescores(v->st, v->run_id, &v->rg, &v->err);
	if (rc < 0)
		return cli_error(&v->err);
	if (v->rg.mismatches) {
		fprintf(stderr, "umpire verify: FAILED: %zu differences when re-grading %zu attempts "
				"from their transcripts:\n%s",
			v->rg.mismatches, v->rg.checked, um_buf_str(&v->rg.log));
		return EXIT_STATE;
	}
	if (!v->quiet)
		printf("re-graded: %zu attempts from %zu recorded transcripts, all agree\n",
		       v->rg.checked, v->rg.transcripts);
	if (!v->quiet && v->rg.rescores)
		printf("rescores: %zu recorded, %zu judge replies read again, all agree\n",
		       v->rg.rescores, v->rg.rescore_calls);
	if (!v->quiet && v->rg.no_data)
		printf("not re-graded: %zu judged answers whose reference answer the bundle "
		       "leaves out (bundle --include-data keeps it)\n", v->rg.no_data);
	return 0;
}

/* Every HTML page regenerated from the store must be in the bundle byte for
 * byte, and the bundle may hold no other .html member. */
static int check_pages(const um_member *m, size_t n, const html_page *p, size_t np)
{
	size_t i, k;

	for (i = 0; i < np; i++) {
		const um_member *mem = bundle_find(m, n, p[i].name);
		if (!mem) {
			fprintf(stderr, "umpire verify: FAILED: %s is missing from the bundle\n",
				p[i].name);
			return EXIT_STATE;
		}
		if (strlen(p[i].text) != mem->len || memcmp(p[i].text, mem->data, mem->len) != 0) {
			fprintf(stderr, "umpire verify: FAILED: %s differs from the page regenerated "
					"from the store\n", p[i].name);
			return EXIT_STATE;
		}
	}
	for (k = 0; k < n; k++) {
		size_t l = strlen(m[k].name);
		int known = 0;
		if (l < 5 || strcmp(m[k].name + l - 5, ".html") != 0)
			continue;
		for (i = 0; i < np; i++)
			known |= !strcmp(p[i].name, m[k].name);
		if (!known) {
			fprintf(stderr, "umpire verify: FAILED: %s is not a page of this report\n",
				m[k].name);
			return EXIT_STATE;
		}
	}
	return EXIT_OK_;
}

/* report.json, report.md and the HTML pages regenerated from the store,
 * byte-identical. */
static int vb_check_report(vb_ctx *v)
{
	const um_member *mem = bundle_find(v->m, v->n, "report.json");
	json_t *rep = NULL, *bundled = NULL;
	char *text = NULL, *md = NULL;
	html_page *pages = NULL;
	size_t np = 0;
	int rc = EXIT_STATE;

	if (!mem || !(bundled = json_loadb(mem->data, mem->len, 0, NULL)))
		return fail_msg("report.json is missing or not JSON", NULL);
	use_report_clock(bundled);
	/* regenerated with the methods it was made with (report.h) */
	{
		um_report_opts ro = {0.0, NULL, report_methods_of(bundled)};
		if (ro.methods < 1 || ro.methods > REPORT_METHODS) {
			rc = fail_msg("report.json names statistical methods this umpire does "
				      "not have",
				      NULL);
			goto out;
		}
		rep = report_build_store(v->st, &v->d, &ro, &v->err);
	}
	if (!rep) {
		rc = cli_error(&v->err);
		goto out;
	}
	text = report_json_text(rep);
	if (strlen(text) != mem->len || memcmp(text, mem->data, mem->len) != 0) {
		size_t k = jdiff(bundled, rep, &v->diff, 50);
		fprintf(stderr, "umpire verify: FAILED: report.json differs from the report "
				"regenerated from the store (%zu fields):\n%s",
			k, um_buf_str(&v->diff));
		if (k == 0)
			fputs("(same values, different bytes)\n", stderr);
		goto out;
	}
	md = report_markdown(rep);
	mem = bundle_find(v->m, v->n, "report.md");
	if (!mem || strlen(md) != mem->len || memcmp(md, mem->data, mem->len) != 0) {
		rc = fail_msg("report.md differs from the report regenerated from the store", NULL);
		goto out;
	}
	if (!(pages = cli_report_pages(v->st, &v->d, rep, &np, &v->err))) {
		rc = cli_error(&v->err);
		goto out;
	}
	if ((rc = check_pages(v->m, v->n, pages, np)) == EXIT_OK_ && !v->quiet)
		printf("report: report.json, report.md and %zu HTML page%s regenerated "
		       "byte-identical\n",
		       np, np == 1 ? "" : "s");
out:
	html_pages_free(pages, np);
	free(md);
	free(text);
	if (rep)
		json_decref(rep);
	json_decref(bundled);
	return rc;
}

int cli_verify_bundle(const char *path, const char *pubkey_arg, int quiet)
{
	vb_ctx v;
	int rc;

	memset(&v, 0, sizeof(v));
	v.quiet = quiet;
	um_buf_init(&v.diff, 0);
	if (!(rc = vb_make_tmp(&v)) &&
	    bundle_read_spill(path, "store.sqlite", v.store_path, &v.m, &v.n, &v.err) < 0)
		rc = cli_error(&v.err);
	else if (!rc && !(rc = vb_check_signature(&v, pubkey_arg)) && !(rc = vb_open_store(&v)) &&
		 !(rc = vb_check_config(&v)) && !(rc = vb_regrade(&v)) &&
		 !(rc = vb_check_report(&v)) && !quiet) {
		printf("trusted comment: %s\n", v.tc);
		printf("bundle verified: %s\n", path);
	}
	regrade_release(&v.rg);
	store_run_data_free(&v.d);
	if (v.st)
		store_read_end(v.st);
	store_close(v.st);
	if (v.have_tmp) {
		cli_remove_store_dir(v.tmpdir);
		close(v.tmp_lock);
		free(v.tmpdir);
	}
	free(v.store_path);
	free(v.run_id);
	free(v.tc);
	um_buf_release(&v.diff);
	bundle_members_free(v.m, v.n);
	return rc;
}
