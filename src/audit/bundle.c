/*
 * bundle.c - deterministic tar.zst audit bundles and their MANIFEST (see bundle.h).
 */
#include "audit/bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/buf.h"
#include "store/store.h"
#include "base/util.h"

static int cmp_member(const void *a, const void *b)
{
	return strcmp(((const um_member *)a)->name, ((const um_member *)b)->name);
}

int bundle_write(const char *path, const um_member *m, size_t n, um_error *err)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	um_member *sorted = um_xcalloc(n ? n : 1, sizeof(*sorted));
	int64_t mtime = 0;
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char *tmp = um_xasprintf("%s.tmp", path);
	size_t i;
	int rc = -1;

	if (sde && *sde)
		mtime = strtoll(sde, NULL, 10);
	memcpy(sorted, m, n * sizeof(*m));
	qsort(sorted, n, sizeof(*sorted), cmp_member);
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_add_filter_zstd(a) != ARCHIVE_OK) {
		um_fail(err, UM_ERR_ARCHIVE, "%s: cannot set up tar.zst writer: %s", path,
			archive_error_string(a));
		goto out;
	}
	if (archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
		um_fail(err, UM_ERR_IO, "%s: %s", tmp, archive_error_string(a));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!um_rel_path_safe(sorted[i].name) || (i && !strcmp(sorted[i].name, sorted[i - 1].name))) {
			um_fail(err, UM_ERR_INTERNAL, "bundle member name '%s' unsafe or repeated",
				sorted[i].name);
			goto out;
		}
		archive_entry_clear(e);
		archive_entry_set_pathname(e, sorted[i].name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)sorted[i].len);
		archive_entry_set_mtime(e, (time_t)mtime, 0);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		archive_entry_set_uname(e, "root");
		archive_entry_set_gname(e, "root");
		if (archive_write_header(a, e) != ARCHIVE_OK ||
		    (sorted[i].len &&
		     archive_write_data(a, sorted[i].data, sorted[i].len) != (la_ssize_t)sorted[i].len)) {
			um_fail(err, UM_ERR_IO, "%s: writing %s: %s", path, sorted[i].name,
				archive_error_string(a));
			goto out;
		}
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		um_fail(err, UM_ERR_IO, "%s: %s", path, archive_error_string(a));
		goto out;
	}
	if (rename(tmp, path) != 0) {
		um_fail(err, UM_ERR_IO, "%s: cannot rename into place", path);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		remove(tmp);
	archive_entry_free(e);
	archive_write_free(a);
	free(sorted);
	free(tmp);
	return rc;
}

void bundle_members_free(um_member *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(m[i].name);
		free(m[i].data);
		free(m[i].path);
	}
	free(m);
}

const um_member *bundle_find(const um_member *m, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(m[i].name, name))
			return &m[i];
	return NULL;
}

/* An entry is a regular file with a safe, new name, within the size limit. */
static int check_entry(const char *path, struct archive_entry *e, const um_member *m, size_t n,
		       um_error *err)
{
	const char *name = archive_entry_pathname(e);
	la_int64_t size = archive_entry_size(e);

	if (!um_rel_path_safe(name))
		return um_fail(err, UM_ERR_ARCHIVE, "%s: unsafe member path '%s': bundle refused",
			       path, name ? name : "(none)");
	if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) ||
	    archive_entry_symlink(e))
		return um_fail(err, UM_ERR_ARCHIVE,
			       "%s: member '%s' is not a regular file: bundle refused", path, name);
	if (size < 0 || (uint64_t)size > UM_BUNDLE_MAX_MEMBER)
		return um_fail(err, UM_ERR_ARCHIVE, "%s: member '%s' is too large", path, name);
	if (bundle_find(m, n, name))
		return um_fail(err, UM_ERR_ARCHIVE, "%s: member '%s' appears twice", path, name);
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* The member's bytes, into mm->data or (fd >= 0) into the file, hashed as
 * they come. */
static int read_member(struct archive *a, const char *path, um_member *mm, int fd,
		       um_error *err)
{
	char chunk[65536];
	um_sha256 h;
	size_t got = 0;
	int rc = 0;

	um_sha256_init(&h);
	if (fd < 0)
		mm->data = um_xmalloc(mm->len + 1);
	while (rc == 0 && got < mm->len) {
		size_t want = mm->len - got;
		char *to = fd < 0 ? mm->data + got : chunk;
		la_ssize_t k;

		if (fd >= 0 && want > sizeof(chunk))
			want = sizeof(chunk);
		k = archive_read_data(a, to, want);
		if (k <= 0)
			rc = um_fail(err, UM_ERR_ARCHIVE, "%s: member '%s' is truncated: %s", path,
				     mm->name, k < 0 ? archive_error_string(a) : "short read");
		else if (fd >= 0 && write_all(fd, to, (size_t)k) < 0)
			rc = um_fail(err, UM_ERR_IO, "%s: %s", mm->path, strerror(errno));
		else
			um_sha256_update(&h, to, (size_t)k);
		got += k > 0 ? (size_t)k : 0;
	}
	if (rc < 0) {
		um_sha256_release(&h);
		return rc;
	}
	if (fd < 0)
		mm->data[mm->len] = '\0';
	um_sha256_final_hex(&h, mm->sha256);
	return 0;
}

/* One entry read into a new member of m (spilled to spill_path when it is
 * named spill). */
static int read_entry(struct archive *a, const char *path, struct archive_entry *e,
		      const char *spill, const char *spill_path, um_member *mm, um_error *err)
{
	int fd = -1, rc;

	memset(mm, 0, sizeof(*mm));
	mm->name = um_xstrdup(archive_entry_pathname(e));
	mm->len = (size_t)archive_entry_size(e);
	if (spill && !strcmp(mm->name, spill)) {
		mm->path = um_xstrdup(spill_path);
		fd = open(spill_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return um_fail(err, UM_ERR_IO, "%s: %s", spill_path, strerror(errno));
	}
	rc = read_member(a, path, mm, fd, err);
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = um_fail(err, UM_ERR_IO, "%s: %s", spill_path, strerror(errno));
	return rc;
}

int bundle_read_spill(const char *path, const char *spill, const char *spill_path,
		      um_member **out, size_t *n_out, um_error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	um_member *m = NULL;
	size_t n = 0, cap = 0;
	int r, rc = -1;

	*out = NULL;
	*n_out = 0;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		um_fail(err, UM_ERR_ARCHIVE, "%s: not a readable bundle: %s", path,
			archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (check_entry(path, e, m, n, err) < 0)
			goto out;
		um_xgrow((void **)&m, &cap, n + 1, sizeof(*m));
		if (read_entry(a, path, e, spill, spill_path, &m[n++], err) < 0)
			goto out;
	}
	if (r != ARCHIVE_EOF) {
		um_fail(err, UM_ERR_ARCHIVE, "%s: damaged bundle: %s", path, archive_error_string(a));
		goto out;
	}
	*out = m;
	*n_out = n;
	m = NULL;
	n = 0;
	rc = 0;
out:
	bundle_members_free(m, n);
	archive_read_free(a);
	return rc;
}

int bundle_read(const char *path, um_member **out, size_t *n_out, um_error *err)
{
	return bundle_read_spill(path, NULL, NULL, out, n_out, err);
}

/* The member's sha256: the one taken at reading, or of its bytes. */
static void member_sha(const um_member *m, char out[65])
{
	if (m->sha256[0])
		memcpy(out, m->sha256, 65);
	else
		um_sha256_hex(m->data, m->len, out);
}

static int skip_in_manifest(const char *name)
{
	return !strcmp(name, "MANIFEST") || !strcmp(name, "MANIFEST.minisig") ||
	       !strcmp(name, "signer.pub");
}

char *bundle_manifest(const um_member *m, size_t n, const char *run_id)
{
	um_member *sorted = um_xcalloc(n ? n : 1, sizeof(*sorted));
	um_buf b;
	size_t i;

	memcpy(sorted, m, n * sizeof(*m));
	qsort(sorted, n, sizeof(*sorted), cmp_member);
	um_buf_init(&b, 0);
	um_buf_printf(&b, "umpire-bundle 1\nrun %s\n", run_id);
	for (i = 0; i < n; i++) {
		char sha[65];
		if (skip_in_manifest(sorted[i].name))
			continue;
		member_sha(&sorted[i], sha);
		um_buf_printf(&b, "%s  %zu  %s\n", sha, sorted[i].len, sorted[i].name);
	}
	free(sorted);
	return um_buf_detach(&b);
}

int bundle_manifest_check(const char *manifest, const um_member *m, size_t n, char **run_id,
			  um_error *err)
{
	char *copy = um_xstrdup(manifest), *save = NULL, *line;
	int lineno = 0, rc = -1;
	size_t i, listed = 0, present = 0;

	*run_id = NULL;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char sha[65], name[512], got[65];
		size_t size;
		const um_member *mm;

		lineno++;
		if (lineno == 1) {
			if (strcmp(line, "umpire-bundle 1") != 0) {
				um_fail_at(err, UM_ERR_INVALID, "MANIFEST", 1, 0,
					   "not an umpire bundle manifest (want 'umpire-bundle 1')");
				goto out;
			}
			continue;
		}
		if (lineno == 2) {
			if (strncmp(line, "run ", 4) != 0 || !line[4]) {
				um_fail_at(err, UM_ERR_INVALID, "MANIFEST", 2, 0, "want 'run RUN_ID'");
				goto out;
			}
			*run_id = um_xstrdup(line + 4);
			continue;
		}
		if (sscanf(line, "%64[0-9a-f]  %zu  %511[^\n]", sha, &size, name) != 3 ||
		    strlen(sha) != 64) {
			um_fail_at(err, UM_ERR_INVALID, "MANIFEST", lineno, 0, "malformed line");
			goto out;
		}
		listed++;
		mm = bundle_find(m, n, name);
		if (!mm) {
			um_fail(err, UM_ERR_STATE, "bundle member '%s' is listed in MANIFEST but missing",
				name);
			goto out;
		}
		member_sha(mm, got);
		if (mm->len != size || strcmp(got, sha) != 0) {
			um_fail(err, UM_ERR_STATE,
				"bundle member '%s' has been changed: MANIFEST says sha256 %s (%zu "
				"bytes), member has %s (%zu bytes)",
				name, sha, size, got, mm->len);
			goto out;
		}
	}
	if (!*run_id) {
		um_fail(err, UM_ERR_INVALID, "MANIFEST is empty");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (skip_in_manifest(m[i].name))
			continue;
		present++;
		{
			/* every present member must be listed */
			char *needle = um_xasprintf("  %s\n", m[i].name);
			int found = strstr(manifest, needle) != NULL;
			free(needle);
			if (!found) {
				um_fail(err, UM_ERR_STATE,
					"bundle member '%s' is not listed in MANIFEST", m[i].name);
				goto out;
			}
		}
	}
	if (present != listed) {
		um_fail(err, UM_ERR_STATE, "MANIFEST lists %zu members, bundle has %zu", listed,
			present);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		free(*run_id);
		*run_id = NULL;
	}
	free(copy);
	return rc;
}

static void sha_func(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char hex[65], *out;
	const void *p = sqlite3_value_blob(argv[0]);
	int n = sqlite3_value_bytes(argv[0]);

	(void)argc;
	um_sha256_hex(p ? p : "", (size_t)n, hex);
	out = um_xasprintf("sha256:%s", hex);
	sqlite3_result_text(ctx, out, -1, free);
}

int bundle_export_store(struct um_store *st, const char *run_id, const char *path,
			int include_data, um_error *err)
{
	sqlite3 *src = store_db(st), *dst = NULL;
	sqlite3_stmt *q = NULL;
	char *msg = NULL;
	int rc = -1;
	static const char *const prune =
		"PRAGMA foreign_keys = ON;"
		"BEGIN;"
		"DELETE FROM runs WHERE run_id <> ?1;"
		"DELETE FROM calls WHERE run_id <> ?1;"
		"DELETE FROM routing_events WHERE run_id <> ?1;"
		/* and the rescores that did not finish (summary_json null) */
		"DELETE FROM rescore_calls WHERE rescore_id IN (SELECT rescore_id FROM rescores "
		"WHERE run_id <> ?1 OR summary_json = 'null');"
		"DELETE FROM rescores WHERE run_id <> ?1 OR summary_json = 'null';"
		"DELETE FROM requests WHERE body_sha256 NOT IN (SELECT request_hash FROM calls "
		"WHERE request_hash IS NOT NULL) AND body_sha256 NOT IN (SELECT request_hash FROM "
		"rescore_calls WHERE request_hash IS NOT NULL);"
		"DELETE FROM responses WHERE sha256 NOT IN (SELECT body_sha256 FROM calls "
		"WHERE body_sha256 IS NOT NULL);"
		"DELETE FROM images WHERE sha256 NOT IN (SELECT j.value FROM items i, "
		"json_each(i.images_json) j WHERE i.images_json IS NOT NULL);";
	static const char *const redact =
		"UPDATE items SET question = umpire_sha(question), "
		"choices_json = umpire_sha(choices_json);"
		"UPDATE requests SET body = CAST(umpire_sha(body) AS BLOB);"
		"DELETE FROM images;";

	if (sqlite3_prepare_v2(src, "VACUUM INTO ?1", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_DONE) {
		um_fail(err, UM_ERR_DB, "%s: cannot copy the store: %s", path, sqlite3_errmsg(src));
		goto out;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		um_fail(err, UM_ERR_DB, "%s: %s", path, dst ? sqlite3_errmsg(dst) : "cannot open");
		goto out;
	}
	sqlite3_create_function(dst, "umpire_sha", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
				sha_func, NULL, NULL);
	{
		/* run the prune script with ?1 bound in each statement */
		const char *tail = prune;
		while (tail && *tail) {
			if (sqlite3_prepare_v2(dst, tail, -1, &q, &tail) != SQLITE_OK) {
				um_fail(err, UM_ERR_DB, "%s: %s", path, sqlite3_errmsg(dst));
				goto out;
			}
			if (!q)
				break;
			if (sqlite3_bind_parameter_count(q) > 0)
				sqlite3_bind_text(q, 1, run_id, -1, SQLITE_STATIC);
			if (sqlite3_step(q) != SQLITE_DONE) {
				um_fail(err, UM_ERR_DB, "%s: %s", path, sqlite3_errmsg(dst));
				goto out;
			}
			sqlite3_finalize(q);
			q = NULL;
		}
	}
	if ((!include_data && sqlite3_exec(dst, redact, NULL, NULL, &msg) != SQLITE_OK) ||
	    sqlite3_exec(dst, "COMMIT; PRAGMA journal_mode = DELETE; VACUUM;", NULL, NULL,
			 &msg) != SQLITE_OK) {
		um_fail(err, UM_ERR_DB, "%s: %s", path, msg ? msg : sqlite3_errmsg(dst));
		goto out;
	}
	rc = 0;
out:
	sqlite3_free(msg);
	sqlite3_finalize(q);
	if (dst)
		sqlite3_close(dst);
	return rc;
}
