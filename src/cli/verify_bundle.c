/*
 * verify_bundle.c - `umpire verify BUNDLE`: check an audit bundle offline.
 *
 * In order, stopping at the first failure: the bundle is read safely (unsafe
 * member paths refuse it); MANIFEST.minisig is checked against the given
 * public key (or, failing that, the bundled signer.pub, with a warning that
 * this proves integrity, not identity); every member's sha256 against the
 * MANIFEST; suite, scaffold and models files against the hashes the store
 * recorded for the run; every graded attempt is re-derived from its
 * recorded transcript and re-graded with the bundled scaffold; and the
 * report is regenerated from the bundled store and must be byte-identical to
 * the bundled report.json and report.md. Differences are printed with the
 * field and both values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/bundle.h"
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
					    "store.sqlite-shm", "store.sqlite-journal"};
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

int cli_verify_bundle(const char *path, const char *pubkey_arg, int quiet)
{
	um_member *m = NULL;
	size_t n = 0;
	const um_member *man, *sig, *signer, *mem;
	um_error err = {0};
	um_pubkey pub;
	char *tc = NULL, *run_id = NULL, *store_path = NULL;
	char tmpdir[] = "/tmp/umpire-verify-XXXXXX";
	um_store *st = NULL;
	um_run_data d;
	um_scaffold *sc = NULL;
	um_regrade rg;
	json_t *rep = NULL, *bundled = NULL;
	char *text = NULL, *md = NULL, keyid[17];
	int rc = EXIT_STATE, own_key = 0, have_tmp = 0;
	um_buf diff;

	memset(&d, 0, sizeof(d));
	memset(&rg, 0, sizeof(rg));
	um_buf_init(&diff, 0);
	if (bundle_read(path, &m, &n, &err) < 0) {
		rc = cli_error(&err);
		goto out;
	}
	man = bundle_find(m, n, "MANIFEST");
	sig = bundle_find(m, n, "MANIFEST.minisig");
	signer = bundle_find(m, n, "signer.pub");
	if (!man || !sig) {
		rc = fail_msg("the bundle has no MANIFEST or no MANIFEST.minisig", NULL);
		goto out;
	}
	if (pubkey_arg) {
		if ((strlen(pubkey_arg) == 56 && !strchr(pubkey_arg, '/')
			     ? sign_pubkey_parse("--pubkey", pubkey_arg, &pub, &err)
			     : sign_pubkey_load(pubkey_arg, &pub, &err)) < 0) {
			rc = cli_error(&err);
			goto out;
		}
	} else if (signer && sign_pubkey_parse("signer.pub", signer->data, &pub, &err) == 0) {
		own_key = 1;
	} else {
		rc = fail_msg("no --pubkey given and no usable signer.pub in the bundle", NULL);
		goto out;
	}
	if (sign_verify(&pub, man->data, man->len, "MANIFEST.minisig", sig->data, &tc, &err) < 0) {
		rc = fail_msg("MANIFEST signature", err.msg);
		fputs("\n", stderr);
		goto out;
	}
	if (bundle_manifest_check(man->data, m, n, &run_id, &err) < 0) {
		rc = fail_msg("MANIFEST", err.msg);
		fputs("\n", stderr);
		goto out;
	}
	sign_keyid_hex(pub.keyid, keyid);
	if (!quiet)
		printf("signature: valid, key %s%s\n", keyid,
		       own_key ? " (the key shipped in the bundle: this proves the bundle is intact, "
				 "not who made it; pass --pubkey to check the signer)"
			       : "");
	if (!quiet)
		printf("members: %zu, all match MANIFEST (run %s)\n", n, run_id);

	/* the store */
	mem = bundle_find(m, n, "store.sqlite");
	if (!mem || !mkdtemp(tmpdir)) {
		rc = fail_msg(mem ? "cannot create a temporary directory" : "no store.sqlite", NULL);
		goto out;
	}
	have_tmp = 1;
	store_path = um_xasprintf("%s/store.sqlite", tmpdir);
	if (um_write_file(store_path, mem->data, mem->len, 0600, &err) < 0 ||
	    store_open(store_path, &st, &err) < 0 || store_load_run(st, run_id, &d, &err) < 0) {
		rc = cli_error(&err);
		goto out;
	}
	{
		static const char *const files[] = {"suite.yaml", "scaffold.yaml", "models.yaml"};
		const char *want[3] = {d.run.suite_sha256, d.run.scaffold_sha256,
				       d.run.models_sha256};
		int i;
		for (i = 0; i < 3; i++) {
			char got[65];
			mem = bundle_find(m, n, files[i]);
			if (!mem) {
				rc = fail_msg(files[i], "missing from the bundle\n");
				goto out;
			}
			um_sha256_hex(mem->data, mem->len, got);
			if (!um_streq(got, want[i])) {
				um_buf_printf(&diff, "%s: the run recorded sha256 %s, the bundled file has %s\n",
					      files[i], want[i], got);
				rc = fail_msg("configuration files differ from what the run used",
					      um_buf_str(&diff));
				goto out;
			}
		}
	}
	mem = bundle_find(m, n, "scaffold.yaml");
	if (scaffold_load_buffer("scaffold.yaml", mem->data, mem->len, &sc, &err) < 0) {
		rc = cli_error(&err);
		goto out;
	}
	if (regrade_run(st, &d, sc, &rg, &err) < 0) {
		rc = cli_error(&err);
		goto out;
	}
	if (rg.mismatches) {
		fprintf(stderr, "umpire verify: FAILED: %zu differences when re-grading %zu attempts "
				"from their transcripts:\n%s",
			rg.mismatches, rg.checked, um_buf_str(&rg.log));
		goto out;
	}
	if (!quiet)
		printf("re-graded: %zu attempts from %zu recorded transcripts, all agree\n",
		       rg.checked, rg.transcripts);

	/* the report */
	mem = bundle_find(m, n, "report.json");
	if (!mem || !(bundled = json_loadb(mem->data, mem->len, 0, NULL))) {
		rc = fail_msg("report.json is missing or not JSON", NULL);
		goto out;
	}
	use_report_clock(bundled);
	if (!(rep = report_build(&d, NULL, &err))) {
		rc = cli_error(&err);
		goto out;
	}
	text = report_json_text(rep);
	if (strlen(text) != mem->len || memcmp(text, mem->data, mem->len) != 0) {
		size_t k = jdiff(bundled, rep, &diff, 50);
		fprintf(stderr, "umpire verify: FAILED: report.json differs from the report "
				"regenerated from the store (%zu fields):\n%s",
			k, um_buf_str(&diff));
		if (k == 0)
			fputs("(same values, different bytes)\n", stderr);
		goto out;
	}
	md = report_markdown(rep);
	mem = bundle_find(m, n, "report.md");
	if (!mem || strlen(md) != mem->len || memcmp(md, mem->data, mem->len) != 0) {
		rc = fail_msg("report.md differs from the report regenerated from the store", NULL);
		goto out;
	}
	if (!quiet) {
		printf("report: report.json and report.md regenerated byte-identical\n");
		printf("trusted comment: %s\n", tc);
		printf("bundle verified: %s\n", path);
	}
	rc = 0;
out:
	free(md);
	free(text);
	if (rep)
		json_decref(rep);
	if (bundled)
		json_decref(bundled);
	regrade_release(&rg);
	if (sc)
		scaffold_free(sc);
	store_run_data_free(&d);
	store_close(st);
	if (have_tmp)
		cli_remove_store_dir(tmpdir);
	free(store_path);
	free(run_id);
	free(tc);
	um_buf_release(&diff);
	bundle_members_free(m, n);
	return rc;
}
