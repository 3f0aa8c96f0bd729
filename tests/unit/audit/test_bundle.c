/*
 * test_bundle.c - deterministic bundles, MANIFEST checks and the refusal of
 * unsafe archives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "audit/bundle.h"
#include "base/util.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/umpire-bundle-test-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char *cmd = um_xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);

	(void)state;
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static um_member mk(const char *name, const char *data)
{
	um_member m;

	memset(&m, 0, sizeof(m));
	m.name = (char *)name;
	m.data = (char *)data;
	m.len = strlen(data);
	return m;
}

static void test_roundtrip_and_determinism(void **state)
{
	um_member in[3] = {mk("report.json", "{}\n"), mk("MANIFEST", "x"), mk("a/b.txt", "hello")};
	char *p1 = um_xasprintf("%s/one.tar.zst", dir), *p2 = um_xasprintf("%s/two.tar.zst", dir);
	char *d1, *d2;
	size_t l1, l2, n;
	um_member *out;
	um_error err = {0};

	(void)state;
	assert_int_equal(bundle_write(p1, in, 3, &err), 0);
	assert_int_equal(bundle_write(p2, in, 3, &err), 0);
	assert_int_equal(um_read_file(p1, &d1, &l1, &err), 0);
	assert_int_equal(um_read_file(p2, &d2, &l2, &err), 0);
	assert_int_equal(l1, l2);
	assert_memory_equal(d1, d2, l1);
	assert_int_equal(bundle_read(p1, &out, &n, &err), 0);
	assert_int_equal(n, 3);
	/* sorted by name */
	assert_string_equal(out[0].name, "MANIFEST");
	assert_string_equal(out[1].name, "a/b.txt");
	assert_string_equal(bundle_find(out, n, "a/b.txt")->data, "hello");
	assert_null(bundle_find(out, n, "nope"));
	bundle_members_free(out, n);
	free(d1);
	free(d2);
	free(p1);
	free(p2);
}

static void test_manifest(void **state)
{
	um_member m[4] = {mk("report.json", "{}\n"), mk("store.sqlite", "db"),
			  mk("suite.yaml", "s"), mk("signer.pub", "k")};
	char *man = bundle_manifest(m, 4, "run-1"), *run = NULL;
	um_error err = {0};
	um_member extra[5];

	(void)state;
	assert_true(um_has_prefix(man, "umpire-bundle 1\nrun run-1\n"));
	assert_null(strstr(man, "signer.pub"));
	assert_int_equal(bundle_manifest_check(man, m, 4, &run, &err), 0);
	assert_string_equal(run, "run-1");
	free(run);
	/* a changed member is named, with both hashes */
	m[1].data = (char *)"dB";
	assert_int_equal(bundle_manifest_check(man, m, 4, &run, &err), -1);
	assert_non_null(strstr(err.msg, "store.sqlite"));
	assert_non_null(strstr(err.msg, "changed"));
	m[1].data = (char *)"db";
	/* a missing member */
	assert_int_equal(bundle_manifest_check(man, m + 1, 3, &run, &err), -1);
	assert_non_null(strstr(err.msg, "report.json"));
	/* an extra member */
	memcpy(extra, m, sizeof(m));
	extra[4] = mk("evil.sh", "rm -rf");
	assert_int_equal(bundle_manifest_check(man, extra, 5, &run, &err), -1);
	assert_non_null(strstr(err.msg, "evil.sh"));
	/* garbage manifests */
	assert_int_equal(bundle_manifest_check("", m, 4, &run, &err), -1);
	assert_int_equal(bundle_manifest_check("umpire-bundle 1\nrun x\nzz  1  a\n", m, 4, &run,
					       &err), -1);
	assert_int_equal(bundle_manifest_check("umpire-bundle 2\n", m, 4, &run, &err), -1);
	free(man);
}

/* The store written to a file as it is read, hashed on the way: the
 * MANIFEST check takes that hash; a truncated bundle and a spill file that
 * exists already fail. */
static void test_spill(void **state)
{
	um_member in[2] = {mk("store.sqlite", "the store's bytes"), mk("report.json", "{}\n")};
	char *p = um_xasprintf("%s/spill.tar.zst", dir), *to = um_xasprintf("%s/spilled", dir);
	char *man = bundle_manifest(in, 2, "run-1"), *run = NULL, *back = NULL, sha[65];
	um_member *out = NULL;
	size_t n = 0, len = 0;
	um_error err = {0};
	const um_member *st;

	(void)state;
	assert_int_equal(bundle_write(p, in, 2, &err), 0);
	assert_int_equal(bundle_read_spill(p, "store.sqlite", to, &out, &n, &err), 0);
	st = bundle_find(out, n, "store.sqlite");
	assert_null(st->data);
	assert_string_equal(st->path, to);
	assert_int_equal(st->len, strlen(in[0].data));
	um_sha256_hex(in[0].data, in[0].len, sha);
	assert_string_equal(st->sha256, sha);
	assert_int_equal(um_read_file(to, &back, &len, &err), 0);
	assert_string_equal(back, in[0].data);
	assert_string_equal(bundle_find(out, n, "report.json")->data, "{}\n");
	assert_int_equal(bundle_manifest_check(man, out, n, &run, &err), 0);
	free(run);
	/* the spill file is never overwritten */
	bundle_members_free(out, n);
	assert_int_equal(bundle_read_spill(p, "store.sqlite", to, &out, &n, &err), -1);
	assert_int_equal(err.code, UM_ERR_IO);
	assert_null(out);
	unlink(to);
	/* the bundle cut inside its members */
	free(back);
	assert_int_equal(um_read_file(p, &back, &len, &err), 0);
	assert_int_equal(um_write_file(p, back, len / 2, 0644, &err), 0);
	assert_int_equal(bundle_read_spill(p, "store.sqlite", to, &out, &n, &err), -1);
	assert_int_equal(err.code, UM_ERR_ARCHIVE);
	assert_null(out);
	unlink(to);
	free(back);
	free(man);
	free(to);
	free(p);
}

/* A tar written by hand with one hostile entry. */
static void write_hostile(const char *path, const char *name, int type, const char *link)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	archive_entry_set_pathname(e, "MANIFEST");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 1);
	archive_write_header(a, e);
	archive_write_data(a, "x", 1);
	archive_entry_clear(e);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, (unsigned)type);
	archive_entry_set_perm(e, 0644);
	if (link)
		archive_entry_set_symlink(e, link);
	archive_entry_set_size(e, type == AE_IFREG ? 1 : 0);
	archive_write_header(a, e);
	if (type == AE_IFREG)
		archive_write_data(a, "y", 1);
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(e);
}

static void test_unsafe_archives_refused(void **state)
{
	static const struct {
		const char *name;
		int type;
		const char *link;
		const char *why;
	} cases[] = {
		{"../escape.txt", AE_IFREG, NULL, "unsafe"},
		{"/etc/cron.d/x", AE_IFREG, NULL, "unsafe"},
		{"link", AE_IFLNK, "/etc/passwd", "not a regular file"},
		{"sub", AE_IFDIR, NULL, "not a regular file"},
		{"MANIFEST", AE_IFREG, NULL, "twice"},
	};
	char *p = um_xasprintf("%s/hostile.tar", dir);
	um_member *out = NULL;
	size_t n = 0, i;
	um_error err = {0};

	(void)state;
	for (i = 0; i < UM_ARRAY_LEN(cases); i++) {
		write_hostile(p, cases[i].name, cases[i].type, cases[i].link);
		assert_int_equal(bundle_read(p, &out, &n, &err), -1);
		assert_int_equal(err.code, UM_ERR_ARCHIVE);
		assert_non_null(strstr(err.msg, cases[i].why));
		assert_null(out);
	}
	/* garbage bytes */
	assert_int_equal(um_write_file(p, "not an archive at all", 21, 0644, &err), 0);
	assert_int_equal(bundle_read(p, &out, &n, &err), -1);
	assert_int_equal(err.code, UM_ERR_ARCHIVE);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_and_determinism),
		cmocka_unit_test(test_manifest),
		cmocka_unit_test(test_spill),
		cmocka_unit_test(test_unsafe_archives_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
