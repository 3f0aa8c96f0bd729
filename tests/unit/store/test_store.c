/*
 * test_store.c - the SQLite store: schema creation and migration, refusing
 * files it must not touch, run bookkeeping, idempotent attempt writes,
 * loading in the documented orders, and the capability_profile view
 * checked against the same numbers computed in C.
 */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "report/stats.h"
#include "store/store.h"
#include "base/util.h"

typedef struct fx {
	char dir[256];
	char *db;
} fx;

static int setup(void **state)
{
	fx *f = um_xcalloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	snprintf(f->dir, sizeof(f->dir), "%s/umpire-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	f->db = um_xasprintf("%s/umpire.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *p;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		p = um_xasprintf("%s/%s", f->dir, e->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	free(f->db);
	free(f);
	return 0;
}

static int64_t q_int(um_store *s, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -999;

	assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static char *q_text(um_store *s, const char *sql)
{
	sqlite3_stmt *st;
	char *v = NULL;

	assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = um_xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

static um_store *open_ok(const char *path)
{
	um_store *s = NULL;
	um_error err = {0};

	if (store_open(path, &s, &err) < 0)
		fail_msg("store_open(%s): %s", path, err.msg);
	return s;
}

static um_run_info run_info(const char *id, int64_t started)
{
	um_run_info ri;

	memset(&ri, 0, sizeof(ri));
	ri.run_id = (char *)id;
	ri.suite_name = (char *)"demo";
	ri.suite_version = (char *)"1.0";
	ri.suite_kind = (char *)"mcq";
	ri.suite_sha256 = (char *)"aaaa";
	ri.scaffold_sha256 = (char *)"bbbb";
	ri.models_sha256 = (char *)"cccc";
	ri.dataset_sha256 = (char *)"dddd";
	ri.suite_text = (char *)"umpire: 1\n";
	ri.scaffold_text = (char *)"umpire: 1\n";
	ri.models_text = (char *)"umpire: 1\n";
	ri.harness_version = (char *)"0.1.0";
	ri.git_describe = (char *)"v0.1.0-3-gabc";
	ri.lib_versions = (char *)"{\"sqlite\":\"3.40.1\"}";
	ri.seed = UINT64_C(18446744073709551557); /* above INT64_MAX on purpose */
	ri.repeats = 2;
	ri.started_ms = started;
	return ri;
}

static void begin_run(um_store *s, const char *id, int64_t started)
{
	um_run_info ri = run_info(id, started);
	um_error err = {0};
	int existed = -1;

	if (store_run_begin(s, &ri, &existed, &err) < 0)
		fail_msg("store_run_begin: %s", err.msg);
	assert_int_equal(existed, 0);
}

static um_attempt_rec attempt(const char *id, const char *item, const char *sys, int sample,
			      int score)
{
	um_attempt_rec a;

	memset(&a, 0, sizeof(a));
	a.attempt_id = (char *)id;
	a.item_id = (char *)item;
	a.system = (char *)sys;
	a.sample = sample;
	a.perm = (char *)"1,0,2,3";
	a.request_hash = (char *)"feed";
	if (score >= 0) {
		a.status = UM_ATT_DONE;
		a.score = score;
		a.response_text = (char *)"Answer: B";
		a.extracted = (char *)"B";
		a.served_model = (char *)"m-1";
		a.finish_reason = (char *)"stop";
	} else {
		a.status = UM_ATT_ERROR;
		a.score = -1;
		a.error_class = (char *)"http_500";
		a.error_msg = (char *)"HTTP 500 after 2 tries";
	}
	a.n_calls = 1;
	return a;
}

static void put_attempt(um_store *s, const um_attempt_rec *a, const um_call_rec *calls, int n)
{
	um_error err = {0};

	if (store_put_attempt(s, "r1", a, calls, n, &err) < 0)
		fail_msg("store_put_attempt: %s", err.msg);
}

/* ---- open / migrate ----------------------------------------------------- */

static void test_open_creates_and_reopens(void **state)
{
	fx *f = *state;
	um_store *s = open_ok(f->db);
	static const char *const objects[] = {
		"runs",          "systems",         "items",           "claims",
		"requests",      "attempts",        "calls",           "routing_events",
		"capability_profile", "routing_attempt", "routing_model", "calls_attempt",
	};
	char *mode;
	size_t i;

	assert_int_equal(q_int(s, "PRAGMA user_version"), UM_STORE_SCHEMA_VERSION);
	assert_int_equal(q_int(s, "PRAGMA foreign_keys"), 1);
	assert_int_equal(q_int(s, "PRAGMA synchronous"), 1); /* NORMAL */
	mode = q_text(s, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	for (i = 0; i < UM_ARRAY_LEN(objects); i++) {
		char *sql = um_xasprintf("SELECT count(*) FROM sqlite_master WHERE name = '%s'",
					 objects[i]);
		if (q_int(s, sql) != 1)
			fail_msg("schema object %s missing", objects[i]);
		free(sql);
	}
	/* v6: no index the run pays for and no query reads */
	assert_int_equal(q_int(s, "SELECT count(*) FROM sqlite_master WHERE name IN "
				  "('attempts_request', 'attempts_status')"),
			 0);
	assert_int_equal(q_int(s, "PRAGMA wal_autocheckpoint"), 16384);
	begin_run(s, "r1", 1000);
	store_close(s);

	/* Reopen: nothing migrated twice, the data is still there. */
	s = open_ok(f->db);
	assert_int_equal(q_int(s, "PRAGMA user_version"), UM_STORE_SCHEMA_VERSION);
	assert_int_equal(q_int(s, "SELECT count(*) FROM runs"), 1);
	assert_int_equal(q_int(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
				  "AND name = 'runs'"),
			 1);
	store_close(s);
}

static void test_open_refuses_garbage(void **state)
{
	fx *f = *state;
	char *src = um_xasprintf("%s/store/not-a-database.dat", FIXTURES), *data = NULL, *after;
	size_t len = 0, len2 = 0;
	char *short_path = um_xasprintf("%s/short.db", f->dir);
	um_store *s = (um_store *)&s;
	um_error err = {0};

	assert_int_equal(um_read_file(src, &data, &len, &err), 0);
	assert_int_equal(um_write_file(f->db, data, len, 0644, &err), 0);
	assert_int_equal(store_open(f->db, &s, &err), -1);
	assert_null(s);
	assert_int_equal(err.code, UM_ERR_DB);
	assert_non_null(strstr(err.msg, f->db));
	assert_non_null(strstr(err.msg, "not an umpire database"));
	/* and the file was left as it was */
	assert_int_equal(um_read_file(f->db, &after, &len2, &err), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(after, data, len);
	free(after);

	/* a short garbage file too */
	assert_int_equal(um_write_file(short_path, "hello\n", 6, 0644, &err), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(store_open(short_path, &s, &err), -1);
	assert_int_equal(err.code, UM_ERR_DB);
	assert_non_null(strstr(err.msg, short_path));

	/* a directory that does not exist */
	memset(&err, 0, sizeof(err));
	free(short_path);
	short_path = um_xasprintf("%s/no/such/dir/x.db", f->dir);
	assert_int_equal(store_open(short_path, &s, &err), -1);
	assert_int_equal(err.code, UM_ERR_DB);
	assert_non_null(strstr(err.msg, short_path));

	free(short_path);
	free(data);
	free(src);
}

static void test_open_refuses_newer_schema(void **state)
{
	fx *f = *state;
	sqlite3 *db;
	um_store *s = NULL;
	um_error err = {0};

	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE future (x); PRAGMA user_version = 99",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(store_open(f->db, &s, &err), -1);
	assert_null(s);
	assert_int_equal(err.code, UM_ERR_STATE);
	assert_non_null(strstr(err.msg, "version 99"));
	assert_non_null(strstr(err.msg, "newer"));
	assert_non_null(strstr(err.msg, f->db));

	/* untouched: still version 11, no tables of ours */
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	{
		sqlite3_stmt *st;
		sqlite3_prepare_v2(db, "SELECT (SELECT user_version FROM pragma_user_version), "
				       "(SELECT count(*) FROM sqlite_master WHERE name = 'runs')",
				   -1, &st, NULL);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), 99);
		assert_int_equal(sqlite3_column_int(st, 1), 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

/* A version-0 database that already has unrelated tables is migrated in place. */
static void test_migrates_existing_v0(void **state)
{
	fx *f = *state;
	sqlite3 *db;
	um_store *s;

	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE notes (t TEXT); INSERT INTO notes "
					  "VALUES ('kept')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	s = open_ok(f->db);
	assert_int_equal(q_int(s, "PRAGMA user_version"), UM_STORE_SCHEMA_VERSION);
	assert_int_equal(q_int(s, "SELECT count(*) FROM notes"), 1);
	assert_int_equal(q_int(s, "SELECT count(*) FROM attempts"), 0);
	store_close(s);
}

/* A version-1 store (before time to first token, cache writes and
 * reasoning tokens) opens: the calls table gains the columns, its rows are
 * kept, the new columns read NULL / 0. */
static void test_migrates_v1(void **state)
{
	fx *f = *state;
	sqlite3 *db;
	um_store *s;

	s = open_ok(f->db);
	store_close(s);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
			 "DROP TABLE leases;" "DROP TABLE responses; ALTER TABLE calls DROP COLUMN body_sha256;"
			 "DROP TABLE images; ALTER TABLE items DROP COLUMN images_json;"
			 "DROP INDEX calls_extras; ALTER TABLE calls DROP COLUMN ttft_ms;"
			 "ALTER TABLE calls DROP COLUMN tokens_cache_write;"
			 "ALTER TABLE calls DROP COLUMN tokens_reasoning;"
			 "DROP TABLE attempt_cache; DROP TABLE run_notes;"
			 "ALTER TABLE attempts DROP COLUMN reward;"
			 "DROP VIEW capability_profile; ALTER TABLE attempts DROP COLUMN outcome;"
			 "DROP TABLE rescore_calls; DROP TABLE rescores;"
				      "ALTER TABLE attempts DROP COLUMN image_id;"
			 "INSERT INTO calls (run_id, attempt_id, try_no, tokens_in) "
			 "VALUES ('old', 'a1', 1, 42);"
			 "PRAGMA user_version = 1",
			 NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	s = open_ok(f->db);
	assert_int_equal(q_int(s, "PRAGMA user_version"), UM_STORE_SCHEMA_VERSION);
	assert_int_equal(q_int(s, "SELECT tokens_in FROM calls WHERE attempt_id = 'a1'"), 42);
	assert_int_equal(q_int(s, "SELECT count(*) FROM calls WHERE ttft_ms IS NULL"), 1);
	assert_int_equal(q_int(s, "SELECT tokens_cache_write + tokens_reasoning FROM calls"), 0);
	/* and version 3's tables */
	assert_int_equal(q_int(s, "SELECT count(*) FROM run_notes"), 0);
	assert_int_equal(q_int(s, "SELECT count(*) FROM attempt_cache"), 0);
	store_close(s);
}

/* A store written by schema version 3 (everything but the leases) opens,
 * is migrated to the current version and keeps its rows. */
static void test_migrates_v3(void **state)
{
	fx *f = *state;
	um_store *s = open_ok(f->db);
	um_attempt_rec a = attempt("a1", "q1", "sys", 0, 1);

	begin_run(s, "r1", 1000);
	put_attempt(s, &a, NULL, 0);
	assert_int_equal(sqlite3_exec(store_db(s), "DROP TABLE leases; ALTER TABLE attempts DROP COLUMN reward; "
				      "DROP TABLE responses; ALTER TABLE calls DROP COLUMN body_sha256; "
				      "DROP TABLE images; ALTER TABLE items DROP COLUMN images_json; "
				      "DROP VIEW capability_profile; ALTER TABLE attempts DROP COLUMN outcome; "
				      "DROP TABLE rescore_calls; DROP TABLE rescores; "
				      "ALTER TABLE attempts DROP COLUMN image_id; PRAGMA user_version = 3",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	store_close(s);
	s = open_ok(f->db);
	assert_int_equal(q_int(s, "PRAGMA user_version"), UM_STORE_SCHEMA_VERSION);
	assert_int_equal(q_int(s, "SELECT count(*) FROM attempts WHERE run_id = 'r1'"), 1);
	assert_int_equal(q_int(s, "SELECT count(*) FROM leases"), 0);
	store_close(s);
}

/* A version-4 store (before the attempts' reward and image id) opens: its
 * attempts are kept and read NULL there; a reward and an image id written
 * afterwards come back as written. */
static void test_migrates_v4(void **state)
{
	fx *f = *state;
	sqlite3 *db;
	um_store *s;

	s = open_ok(f->db);
	store_close(s);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "ALTER TABLE attempts DROP COLUMN reward;"
				      "DROP VIEW capability_profile; ALTER TABLE attempts DROP COLUMN outcome;"
			 "DROP TABLE rescore_calls; DROP TABLE rescores;"
				      "ALTER TABLE attempts DROP COLUMN image_id;"
				      "DROP TABLE responses; ALTER TABLE calls DROP COLUMN body_sha256;"
				      "DROP TABLE images; ALTER TABLE items DROP COLUMN images_json;"
				      "INSERT INTO attempts (run_id, attempt_id, item_id, system, sample, "
				      "status, score) VALUES ('old', 'a1', 'i', 's', 0, 'done', 1);"
				      "PRAGMA user_version = 4",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	s = open_ok(f->db);
	assert_int_equal(q_int(s, "PRAGMA user_version"), UM_STORE_SCHEMA_VERSION);
	assert_int_equal(q_int(s, "SELECT count(*) FROM attempts WHERE attempt_id = 'a1' AND "
				  "reward IS NULL AND image_id IS NULL"), 1);
	assert_int_equal(q_int(s, "SELECT score FROM attempts WHERE attempt_id = 'a1'"), 1);
	store_close(s);
}

static void count_ttft(void *ctx, const char *system, int64_t ttft_ms)
{
	int64_t *sum = ctx;

	assert_string_equal(system, "sys");
	*sum += ttft_ms;
}

/* Schema 11: the calls the report reads apart (a time to first token,
 * reasoning tokens, cache writes) in the partial index calls_extras; a
 * schema-10 store gets it when opened, over the calls it has, and the
 * report's pass over them reads them through it. */
static void test_migrates_v10(void **state)
{
	fx *f = *state;
	um_store *s = open_ok(f->db);
	um_attempt_rec a;
	um_call_rec calls[3];
	um_error err = {0};
	sqlite3 *db;
	int64_t sum = 0;
	int extras = 0, i;

	begin_run(s, "r1", 1000);
	memset(calls, 0, sizeof(calls));
	for (i = 0; i < 3; i++) {
		calls[i].try_no = i;
		calls[i].http_status = 200;
		calls[i].request_hash = (char *)"req";
		calls[i].ttft_ms = -1;
	}
	calls[1].ttft_ms = 70; /* streamed */
	calls[2].tokens_reasoning = 9;
	assert_int_equal(store_begin(s, &err), 0);
	a = attempt("at1", "q1", "sys", 0, 1);
	a.n_calls = 3;
	put_attempt(s, &a, calls, 3);
	assert_int_equal(store_commit(s, &err), 0);
	store_close(s);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP INDEX calls_extras; PRAGMA user_version = 10", NULL,
				      NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	s = open_ok(f->db);
	assert_int_equal(q_int(s, "PRAGMA user_version"), UM_STORE_SCHEMA_VERSION);
	assert_int_equal(q_int(s, "SELECT count(*) FROM calls INDEXED BY calls_extras WHERE "
				  "run_id = 'r1' AND (ttft_ms IS NOT NULL OR tokens_reasoning <> 0 OR "
				  "tokens_cache_write <> 0)"),
			 2);
	assert_int_equal(store_scan_calls(s, "r1", count_ttft, &sum, &extras, &err), 0);
	assert_int_equal(sum, 70);
	assert_int_equal(extras, 1);
	store_close(s);
}

/* Schema 7: a response body of 1 KiB or more is stored once, compressed,
 * under the SHA-256 of its bytes and its calls name it; a shorter one stays
 * in its calls row; a body of a schema-6 row (in
 * calls.response_body) still reads; a corrupt compressed body is an error,
 * never other bytes. */
static void test_response_bodies(void **state)
{
	fx *f = *state;
	um_store *s = open_ok(f->db);
	um_attempt_rec a;
	um_call_rec calls[3];
	um_error err = {0};
	char big[4000], *body = NULL;
	int64_t id = 0;
	size_t len = 0, i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = "answer: C. "[i % 11];
	begin_run(s, "r1", 1000);
	memset(calls, 0, sizeof(calls));
	for (i = 0; i < 3; i++) {
		calls[i].try_no = (int)i;
		calls[i].http_status = 200;
		calls[i].request_hash = (char *)"req";
		calls[i].response_body = i == 2 ? (char *)"{}" : big;
		calls[i].response_len = i == 2 ? 2 : sizeof(big);
	}
	assert_int_equal(store_begin(s, &err), 0);
	a = attempt("at1", "q1", "sys", 0, 1);
	a.n_calls = 3;
	put_attempt(s, &a, calls, 3);
	a = attempt("at2", "q2", "sys", 0, 1);
	a.n_calls = 1;
	put_attempt(s, &a, calls, 1); /* the same body again */
	assert_int_equal(store_commit(s, &err), 0);
	assert_int_equal(q_int(s, "SELECT count(*) FROM calls WHERE body_sha256 IS NOT NULL AND "
				  "response_body IS NULL AND length(body_sha256) = 32"),
			 3);
	assert_int_equal(q_int(s, "SELECT count(*) FROM responses"), 1);
	assert_int_equal(q_int(s, "SELECT count(DISTINCT body_sha256) FROM calls"), 1);
	assert_int_equal(q_int(s, "SELECT size FROM responses WHERE length(zstd) < 200"), 4000);
	/* the key is the SHA-256 of the bytes received */
	assert_int_equal(q_int(s, "SELECT hex(body_sha256) = '9B11D0D2C3A75921119698C1DDF72E2BE1AD"
				  "70EBC9A2F8AB1ECDA415C722D058' FROM calls WHERE try_no = 0 AND "
				  "attempt_id = 'at1'"),
			 1);
	/* the short body stays in its row */
	assert_int_equal(q_int(s, "SELECT response_body = CAST('{}' AS BLOB) AND body_sha256 IS "
				  "NULL FROM calls WHERE try_no = 2"),
			 1);
	assert_int_equal(store_cache_lookup(s, "req", &id, &body, &len, &err), 0);
	assert_int_equal(len, sizeof(big));
	assert_memory_equal(body, big, sizeof(big));
	free(body);

	/* a row of a schema-6 store: the body in the old column */
	assert_int_equal(sqlite3_exec(store_db(s),
				      "INSERT INTO calls (run_id, attempt_id, try_no, http_status, "
				      "request_hash, response_body) VALUES ('r1', 'at2', 5, 200, "
				      "'old', CAST('{\"old\":1}' AS BLOB))",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(store_cache_lookup(s, "old", &id, &body, &len, &err), 0);
	assert_int_equal(len, 9);
	assert_memory_equal(body, "{\"old\":1}", 9);
	free(body);

	/* a corrupt compressed body is refused, not read as other bytes */
	assert_int_equal(sqlite3_exec(store_db(s),
				      "UPDATE responses SET zstd = substr(zstd, 1, length(zstd) - 3) "
				      "WHERE size = 4000",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(store_cache_lookup(s, "req", &id, &body, &len, &err), -1);
	assert_null(body);
	assert_non_null(strstr(err.msg, "corrupt"));
	store_close(s);
}

/* ---- the lease ---------------------------------------------------------- */

static void test_lease_live_owner_refuses(void **state)
{
	fx *f = *state;
	um_store *s1 = open_ok(f->db), *s2 = open_ok(f->db);
	um_lease_prev prev;
	um_error err = {0};

	begin_run(s1, "r1", 1000);
	assert_int_equal(store_lease_take(s1, "r1", 100000, 30000, &prev, &err), 0);
	assert_int_equal(prev.took_over, 0);
	/* the same handle may take it again (a resume in the same process) */
	assert_int_equal(store_lease_take(s1, "r1", 101000, 30000, &prev, &err), 0);
	assert_int_equal(prev.took_over, 0);
	/* another handle, this live process, fresh heartbeat: refused */
	assert_int_equal(store_lease_take(s2, "r1", 102000, 30000, &prev, &err), -1);
	assert_int_equal(err.code, UM_ERR_STATE);
	assert_non_null(strstr(err.msg, "is being run by process"));
	/* silent for longer than stale_ms: taken over, and the old owner learns */
	assert_int_equal(store_lease_take(s2, "r1", 140000, 30000, &prev, &err), 0);
	assert_int_equal(prev.took_over, 1);
	assert_int_equal(prev.pid, (long)getpid());
	assert_int_equal(store_lease_renew(s1, "r1", 141000, &err), -1);
	assert_int_equal(err.code, UM_ERR_STATE);
	assert_int_equal(store_lease_renew(s2, "r1", 141000, &err), 0);
	/* release by a non-owner does nothing; by the owner frees it */
	assert_int_equal(store_lease_release(s1, "r1", &err), 0);
	assert_int_equal(q_int(s2, "SELECT count(*) FROM leases"), 1);
	assert_int_equal(store_lease_release(s2, "r1", &err), 0);
	assert_int_equal(q_int(s2, "SELECT count(*) FROM leases"), 0);
	store_close(s1);
	store_close(s2);
}

static void test_lease_dead_owner_taken_over(void **state)
{
	fx *f = *state;
	um_store *s = open_ok(f->db);
	um_lease_prev prev;
	um_error err = {0};
	char host[256] = "", *sql;
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0); /* a pid that no longer runs */
	gethostname(host, sizeof(host) - 1);
	begin_run(s, "r1", 1000);
	sql = um_xasprintf("INSERT INTO leases VALUES ('r1', %ld, '%s', 'old', 1, 99000)",
			   (long)pid, host);
	assert_int_equal(sqlite3_exec(store_db(s), sql, NULL, NULL, NULL), SQLITE_OK);
	free(sql);
	/* heartbeat 1 s old, but its process is gone */
	assert_int_equal(store_lease_take(s, "r1", 100000, 30000, &prev, &err), 0);
	assert_int_equal(prev.took_over, 1);
	assert_int_equal(prev.pid, (long)pid);
	/* another host, fresh heartbeat: assumed alive */
	assert_int_equal(sqlite3_exec(store_db(s),
				      "UPDATE leases SET host = 'elsewhere', token = 'x', "
				      "heartbeat_ms = 100000",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(store_lease_take(s, "r1", 101000, 30000, &prev, &err), -1);
	assert_non_null(strstr(err.msg, "elsewhere"));
	store_close(s);
}

/* ---- routing events with their attempt ---------------------------------- */

static void test_routing_with_attempt(void **state)
{
	fx *f = *state;
	um_store *s = open_ok(f->db);
	um_attempt_rec a = attempt("a1", "q1", "sys", 0, 1);
	um_call_rec calls[2];
	um_routing_rec ev[3];
	um_error err = {0};
	int i, n;

	memset(calls, 0, sizeof(calls));
	memset(ev, 0, sizeof(ev));
	calls[0].try_no = 1;
	calls[0].http_status = 500;
	calls[1].try_no = 2;
	calls[1].http_status = 200;
	for (i = 0; i < 3; i++) {
		ev[i].attempt_id = (char *)"a1";
		ev[i].source = (char *)"proxy";
		ev[i].sub_model = (char *)"m";
	}
	ev[0].call_id = 1; /* came with the first try */
	ev[1].call_id = 2;
	ev[2].call_id = 0; /* unknown: the last */
	begin_run(s, "r1", 1000);
	assert_int_equal(store_begin(s, &err), 0);
	a.n_calls = 2;
	put_attempt(s, &a, calls, 2);
	assert_int_equal(store_put_attempt_routing(s, "r1", "a1", 2, ev, 3, &err), 0);
	assert_int_equal(store_commit(s, &err), 0);
	assert_int_equal(q_int(s, "SELECT count(*) FROM routing_events e JOIN calls c ON "
				  "c.id = e.call_id WHERE c.try_no = 1"),
			 1);
	assert_int_equal(q_int(s, "SELECT count(*) FROM routing_events e JOIN calls c ON "
				  "c.id = e.call_id WHERE c.try_no = 2"),
			 2);
	/* an event of an attempt that never committed is discarded on resume */
	ev[0].attempt_id = (char *)"ghost";
	assert_int_equal(store_put_routing_event(s, "r1", &ev[0], &err), 0);
	ev[0].attempt_id = (char *)"";
	assert_int_equal(store_put_routing_event(s, "r1", &ev[0], &err), 0);
	n = store_routing_discard_orphans(s, "r1", &err);
	assert_int_equal(n, 1);
	assert_int_equal(q_int(s, "SELECT count(*) FROM routing_events"), 4);
	store_close(s);
}

/* ---- runs --------------------------------------------------------------- */

static void test_run_begin_conflicts(void **state)
{
	fx *f = *state;
	um_store *s = open_ok(f->db);
	um_run_info ri = run_info("r1", 1000);
	um_error err = {0};
	int existed = -1;

	begin_run(s, "r1", 1000);
	/* same inputs: a resume */
	assert_int_equal(store_run_finish(s, "r1", 5000, "incomplete", &err), 0);
	assert_int_equal(store_run_begin(s, &ri, &existed, &err), 0);
	assert_int_equal(existed, 1);
	{
		char *st = q_text(s, "SELECT status || ':' || finished_ms FROM runs");
		assert_string_equal(st, "running:0");
		free(st);
	}

	/* one field differs: named, the others not */
	ri.scaffold_sha256 = (char *)"b2b2";
	assert_int_equal(store_run_begin(s, &ri, &existed, &err), -1);
	assert_int_equal(err.code, UM_ERR_STATE);
	assert_non_null(strstr(err.msg, "scaffold_sha256 (stored bbbb, given b2b2)"));
	assert_null(strstr(err.msg, "suite_sha256"));
	assert_null(strstr(err.msg, "seed"));

	/* seed and repeats */
	ri = run_info("r1", 1000);
	ri.seed = 5;
	ri.repeats = 3;
	assert_int_equal(store_run_begin(s, &ri, &existed, &err), -1);
	assert_int_equal(err.code, UM_ERR_STATE);
	assert_non_null(strstr(err.msg, "seed (stored 18446744073709551557, given 5)"));
	assert_non_null(strstr(err.msg, "repeats (stored 2, given 3)"));
	assert_null(strstr(err.msg, "sha256"));

	ri = run_info("r1", 1000);
	ri.dataset_sha256 = (char *)"eeee";
	assert_int_equal(store_run_begin(s, &ri, &existed, &err), -1);
	assert_non_null(strstr(err.msg, "dataset_sha256"));

	/* bad input */
	ri.run_id = (char *)"";
	assert_int_equal(store_run_begin(s, &ri, &existed, &err), -1);
	assert_int_equal(err.code, UM_ERR_USAGE);
	assert_int_equal(store_run_finish(s, "r1", 1, "bogus", &err), -1);
	assert_int_equal(err.code, UM_ERR_USAGE);
	assert_int_equal(store_run_finish(s, "nope", 1, "complete", &err), -1);
	assert_int_equal(err.code, UM_ERR_NOTFOUND);
	store_close(s);
}

static void test_latest_run(void **state)
{
	fx *f = *state;
	um_store *s = open_ok(f->db);
	um_error err = {0};
	char *id;

	assert_null(store_latest_run(s, &err));
	assert_int_equal(err.code, UM_ERR_NOTFOUND);
	begin_run(s, "b", 2000);
	begin_run(s, "c", 1000);
	begin_run(s, "a", 2000);
	id = store_latest_run(s, &err);
	assert_string_equal(id, "b"); /* newest start, then the larger id */
	free(id);
	store_close(s);
}

/* ---- attempts ------------------------------------------------------------ */

static void test_upsert_error_then_done(void **state)
{
	fx *f = *state;
	um_store *s = open_ok(f->db);
	um_attempt_rec a;
	um_call_rec calls[2];
	um_error err = {0};
	char *t;

	begin_run(s, "r1", 1000);
	memset(calls, 0, sizeof(calls));
	calls[0].try_no = 0;
	calls[0].http_status = 500;
	calls[0].error = (char *)"HTTP 500";
	calls[1].try_no = 1;
	calls[1].http_status = 500;
	calls[1].error = (char *)"HTTP 500";
	calls[1].response_body = (char *)"{\"error\":1}\0tail";
	calls[1].response_len = 16;

	assert_int_equal(store_begin(s, &err), 0);
	a = attempt("at1", "q1", "sys", 0, -1);
	a.n_calls = 2;
	put_attempt(s, &a, calls, 2);
	assert_int_equal(store_commit(s, &err), 0);
	assert_int_equal(q_int(s, "SELECT score IS NULL FROM attempts"), 1);
	/* response bodies are kept byte for byte, NUL included */
	assert_int_equal(q_int(s, "SELECT length(" STORE_CALL_BODY ") FROM calls c "
				  STORE_CALL_BODY_JOIN " WHERE c.try_no = 1"),
			 16);
	assert_int_equal(q_int(s, "SELECT " STORE_CALL_BODY " = CAST(X'7b226572726f72223a317d00"
				  "7461696c' AS BLOB) FROM calls c " STORE_CALL_BODY_JOIN
				  " WHERE c.try_no = 1"),
			 1);

	/* the resumed run succeeds: same row, now done */
	memset(calls, 0, sizeof(calls));
	calls[0].try_no = 0;
	calls[0].http_status = 200;
	calls[0].tokens_in = 100;
	calls[0].tokens_out = 20;
	calls[0].cost_micro = 333;
	assert_int_equal(store_begin(s, &err), 0);
	a = attempt("at1", "q1", "sys", 0, 1);
	a.tokens_in = 100;
	a.tokens_out = 20;
	a.cost_micro = 333;
	a.latency_ms = 420;
	put_attempt(s, &a, calls, 1);
	assert_int_equal(store_commit(s, &err), 0);

	assert_int_equal(q_int(s, "SELECT count(*) FROM attempts"), 1);
	t = q_text(s, "SELECT status || ',' || score || ',' || coalesce(error_class, '-') || ',' "
		      "|| n_calls || ',' || cost_micro || ',' || tokens_in || ',' || latency_ms "
		      "FROM attempts");
	assert_string_equal(t, "done,1,-,3,333,100,420");
	free(t);
	assert_int_equal(q_int(s, "SELECT count(*) FROM calls WHERE attempt_id = 'at1'"), 3);
	/* the attempt's counters equal the sums over its calls */
	assert_int_equal(q_int(s, "SELECT (SELECT sum(cost_micro) FROM calls) = "
				  "(SELECT cost_micro FROM attempts)"),
			 1);

	/* a later error never downgrades a graded attempt, but its calls count */
	a = attempt("at1", "q1", "sys", 0, -1);
	a.cost_micro = 7;
	put_attempt(s, &a, calls, 1);
	t = q_text(s, "SELECT status || ',' || score || ',' || n_calls || ',' || cost_micro "
		      "FROM attempts");
	assert_string_equal(t, "done,1,4,340");
	free(t);

	/* another id for the same (item, system, sample) is refused */
	a = attempt("other-id", "q1", "sys", 0, 0);
	assert_int_equal(store_put_attempt(s, "r1", &a, NULL, 0, &err), -1);
	assert_int_equal(err.code, UM_ERR_DB);
	assert_non_null(strstr(err.msg, "UNIQUE"));

	/* a done attempt needs a 0/1 score */
	a = attempt("bad", "q2", "sys", 0, 1);
	a.score = 2;
	assert_int_equal(store_put_attempt(s, "r1", &a, NULL, 0, &err), -1);
	/* an attempt for a run that does not exist violates the foreign key */
	a = attempt("x", "q3", "sys", 0, 1);
	assert_int_equal(store_put_attempt(s, "no-run", &a, NULL, 0, &err), -1);
	assert_int_equal(err.code, UM_ERR_DB);
	store_close(s);
}

/* Run notes, cached attempts and the cache lookup. */
static void test_notes_and_cache(void **state)
{
	fx *f = *state;
	um_store *s = open_ok(f->db);
	um_attempt_rec a;
	um_call_rec call;
	um_run_data d;
	um_error err = {0};
	char *notes = NULL, *body = NULL;
	int64_t id = 0;
	size_t len = 0;

	begin_run(s, "r1", 1000);
	assert_int_equal(store_get_run_notes(s, "r1", &notes, &err), 0);
	assert_null(notes);
	assert_int_equal(store_set_run_notes(s, "r1", "{\"shard\":{\"count\":2,\"indices\":[1]}}",
					     &err), 0);
	assert_int_equal(store_get_run_notes(s, "r1", &notes, &err), 0);
	assert_string_equal(notes, "{\"shard\":{\"count\":2,\"indices\":[1]}}");
	free(notes);
	/* notes for a run that does not exist break the foreign key */
	assert_int_equal(store_set_run_notes(s, "nope", "{\"a\":1}", &err), -1);

	memset(&call, 0, sizeof(call));
	call.http_status = 200;
	call.request_hash = (char *)"body-sha";
	call.response_body = (char *)"{\"ok\":true}";
	call.response_len = 11;
	assert_int_equal(store_begin(s, &err), 0);
	a = attempt("at1", "q1", "sys", 0, 1);
	put_attempt(s, &a, &call, 1);
	assert_int_equal(store_commit(s, &err), 0);
	assert_int_equal(store_cache_lookup(s, "body-sha", &id, &body, &len, &err), 0);
	assert_int_equal(len, 11);
	assert_memory_equal(body, "{\"ok\":true}", 11);
	free(body);
	assert_int_equal(store_cache_lookup(s, "other", &id, &body, &len, &err), 1);

	/* an attempt answered from that call is marked, and loads as cached */
	a = attempt("at2", "q1", "sys", 1, 1);
	a.n_calls = 0;
	put_attempt(s, &a, NULL, 0);
	assert_int_equal(store_put_cached(s, "r1", "at2", id, &err), 0);
	assert_int_equal(store_put_cached(s, "r1", "no-such-attempt", id, &err), -1);
	assert_int_equal(store_load_run(s, "r1", &d, &err), 0);
	assert_int_equal(d.n_attempts, 2);
	assert_int_equal(d.attempts[0].cached + d.attempts[1].cached, 1);
	assert_true(d.attempts[0].cached == !strcmp(d.attempts[0].attempt_id, "at2"));
	assert_non_null(d.run.notes_json);
	store_run_data_free(&d);
	/* deleting: "{}" removes the row */
	assert_int_equal(store_set_run_notes(s, "r1", "{}", &err), 0);
	assert_int_equal(q_int(s, "SELECT count(*) FROM run_notes"), 0);
	store_close(s);
}

static void test_rollback_discards(void **state)
{
	fx *f = *state;
	um_store *s = open_ok(f->db);
	um_attempt_rec a = attempt("at1", "q1", "sys", 0, 1);
	um_error err = {0};

	begin_run(s, "r1", 1000);
	assert_int_equal(store_begin(s, &err), 0);
	put_attempt(s, &a, NULL, 0);
	assert_int_equal(store_rollback(s), 0);
	assert_int_equal(q_int(s, "SELECT count(*) FROM attempts"), 0);
	assert_int_equal(store_rollback(s), 0); /* no transaction: harmless */
	store_close(s);
}

static void test_done_attempts(void **state)
{
	fx *f = *state;
	um_store *s = open_ok(f->db);
	um_attempt_rec a;
	um_error err = {0};
	char **ids;
	size_t n, i;

	begin_run(s, "r1", 1000);
	a = attempt("c3", "q1", "sys", 0, 1);
	put_attempt(s, &a, NULL, 0);
	a = attempt("a1", "q2", "sys", 0, 0);
	put_attempt(s, &a, NULL, 0);
	a = attempt("b2", "q3", "sys", 0, -1);
	put_attempt(s, &a, NULL, 0);
	assert_int_equal(store_done_attempts(s, "r1", &ids, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ids[0], "a1");
	assert_string_equal(ids[1], "c3");
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	assert_int_equal(store_done_attempts(s, "other", &ids, &n, &err), 0);
	assert_int_equal(n, 0);
	free(ids);
	store_close(s);
}

static void test_requests_and_claims(void **state)
{
	fx *f = *state;
	um_store *s = open_ok(f->db);
	const char body[] = "{\"model\":\"x\",\"messages\":[]}";
	char hex[65];
	um_claim_rec c = {(char *)"sys", (char *)"GPQA", (char *)"https://x", NULL, 87.5};
	um_error err = {0};

	begin_run(s, "r1", 1000);
	um_sha256_hex(body, strlen(body), hex);
	assert_int_equal(store_put_request(s, hex, body, strlen(body), &err), 0);
	assert_int_equal(store_put_request(s, hex, body, strlen(body), &err), 0);
	assert_int_equal(q_int(s, "SELECT count(*) FROM requests"), 1);
	assert_int_equal(store_put_request(s, "00ff", body, strlen(body), &err), -1);
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_int_equal(q_int(s, "SELECT count(*) FROM requests"), 1);

	/* putting the suite's claims again on resume adds nothing */
	assert_int_equal(store_put_claim(s, "r1", &c, &err), 0);
	assert_int_equal(store_put_claim(s, "r1", &c, &err), 0);
	c.value = 90.0;
	assert_int_equal(store_put_claim(s, "r1", &c, &err), 0);
	assert_int_equal(q_int(s, "SELECT count(*) FROM claims"), 2);
	assert_int_equal(q_int(s, "SELECT max(seq) FROM claims"), 1);
	store_close(s);
}

/* ---- loading --------------------------------------------------------------- */

static void put_system(um_store *s, const char *name, const char *role)
{
	um_system_rec r = {(char *)name, (char *)role, (char *)"openai", (char *)"http://h/v1",
			   (char *)name, (char *)"{}", NULL};
	um_error err = {0};

	if (store_put_system(s, "r1", &r, &err) < 0)
		fail_msg("store_put_system: %s", err.msg);
}

static void put_item(um_store *s, const char *id, const char *cat)
{
	um_item_rec r = {(char *)id, (char *)cat, NULL, (char *)"Q?", (char *)"[\"a\",\"b\"]", 0, NULL};
	um_error err = {0};

	if (store_put_item(s, "r1", &r, &err) < 0)
		fail_msg("store_put_item: %s", err.msg);
}

/* store_checkpoint copies the log into the file (the file grows by the
 * pages committed), and is harmless inside a transaction. */
static void test_checkpoint(void **state)
{
	fx *f = *state;
	um_store *s = open_ok(f->db);
	um_error err = {0};
	struct stat before, after;
	char body[600], hex[65];
	int i;

	assert_int_equal(store_begin(s, &err), 0);
	begin_run(s, "r1", 1000);
	for (i = 0; i < 200; i++) {
		snprintf(body, sizeof(body), "{\"model\":\"m\",\"n\":%d,\"pad\":\"%0500d\"}", i, i);
		um_sha256_hex(body, strlen(body), hex);
		assert_int_equal(store_put_request(s, hex, body, strlen(body), &err), 0);
	}
	assert_int_equal(store_checkpoint(s, &err), 0); /* in a transaction: later */
	assert_int_equal(store_commit(s, &err), 0);
	assert_int_equal(stat(f->db, &before), 0);
	assert_int_equal(store_checkpoint(s, &err), 0);
	assert_int_equal(stat(f->db, &after), 0);
	assert_true(after.st_size >= before.st_size + 200 * 500);
	assert_int_equal(q_int(s, "SELECT count(*) FROM requests"), 200);
	store_close(s);
}

static void test_load_run_order(void **state)
{
	fx *f = *state;
	um_store *s = open_ok(f->db);
	um_run_data d;
	um_error err = {0};
	um_attempt_rec a;
	um_call_rec call;
	um_claim_rec c1 = {(char *)"zeta", (char *)"B", (char *)"src1", (char *)"n", 50.0};
	um_claim_rec c2 = {(char *)"alpha", (char *)"A", (char *)"src2", NULL, 60.0};

	begin_run(s, "r1", 1000);
	put_system(s, "zeta", "baseline");
	put_system(s, "alpha", "orchestrator");
	put_item(s, "q2", "Physics");
	put_item(s, "q10", "Chemistry");
	put_item(s, "q1", "Physics");
	memset(&call, 0, sizeof(call));
	a = attempt("x1", "q2", "zeta", 1, 1);
	put_attempt(s, &a, &call, 1);
	a = attempt("x2", "q2", "alpha", 0, 0);
	put_attempt(s, &a, &call, 1);
	a = attempt("x3", "q1", "zeta", 0, -1);
	put_attempt(s, &a, &call, 1);
	a = attempt("x4", "q2", "zeta", 0, 1);
	put_attempt(s, &a, &call, 1);
	assert_int_equal(store_put_claim(s, "r1", &c1, &err), 0);
	assert_int_equal(store_put_claim(s, "r1", &c2, &err), 0);

	assert_int_equal(store_load_run(s, "r1", &d, &err), 0);
	assert_string_equal(d.run.run_id, "r1");
	assert_string_equal(d.run.status, "running");
	assert_true(d.run.seed == UINT64_C(18446744073709551557));
	assert_int_equal(d.run.repeats, 2);
	assert_string_equal(d.run.lib_versions, "{\"sqlite\":\"3.40.1\"}");
	assert_int_equal(d.n_systems, 2);
	assert_string_equal(d.systems[0].name, "alpha");
	assert_string_equal(d.systems[0].role, "orchestrator");
	assert_null(d.systems[0].dropped_params);
	assert_string_equal(d.systems[1].name, "zeta");
	assert_int_equal(d.n_items, 3);
	assert_string_equal(d.items[0].item_id, "q1");
	assert_string_equal(d.items[1].item_id, "q10");
	assert_string_equal(d.items[2].item_id, "q2");
	assert_null(d.items[0].subcategory);
	assert_int_equal(d.n_attempts, 4);
	/* item, system, sample */
	assert_string_equal(d.attempts[0].attempt_id, "x3");
	assert_int_equal(d.attempts[0].status, UM_ATT_ERROR);
	assert_int_equal(d.attempts[0].score, -1);
	assert_string_equal(d.attempts[0].error_class, "http_500");
	assert_string_equal(d.attempts[1].attempt_id, "x2");
	assert_string_equal(d.attempts[2].attempt_id, "x4");
	assert_string_equal(d.attempts[3].attempt_id, "x1");
	assert_int_equal(d.attempts[3].status, UM_ATT_DONE);
	assert_int_equal(d.attempts[3].score, 1);
	assert_string_equal(d.attempts[3].extracted, "B");
	assert_null(d.attempts[3].error_class);
	/* claims in the order they were put (the suite's order) */
	assert_int_equal(d.n_claims, 2);
	assert_string_equal(d.claims[0].system, "zeta");
	assert_string_equal(d.claims[0].note, "n");
	assert_true(d.claims[1].value == 60.0);
	assert_null(d.claims[1].note);
	assert_int_equal(d.n_calls, 4);
	store_run_data_free(&d);
	assert_null(d.systems);

	memset(&err, 0, sizeof(err));
	assert_int_equal(store_load_run(s, "missing", &d, &err), -1);
	assert_int_equal(err.code, UM_ERR_NOTFOUND);
	assert_null(d.attempts);
	store_close(s);
}

/* ---- capability_profile ------------------------------------------------------ */

typedef struct prof_row {
	const char *system, *category;
	int64_t n, correct, errors, cost, per_item, p50, p90, tin, tout;
	int per_correct_null;
	int64_t per_correct;
	double acc, lo, hi;
} prof_row;

static void test_capability_profile(void **state)
{
	fx *f = *state;
	um_store *s = open_ok(f->db);
	um_rng rng;
	int i, k;
	static const char *const systems[] = {"atlas", "borealis"};
	static const char *const cats[] = {"Biology", "Chemistry", "Physics"};
	sqlite3_stmt *st;
	int rows = 0;

	begin_run(s, "r1", 1000);
	begin_run(s, "r0", 900); /* another run's attempts must not leak in */
	for (i = 0; i < 30; i++) {
		char id[16];
		snprintf(id, sizeof(id), "q%02d", i);
		put_item(s, id, cats[i % 3]);
	}
	um_rng_seed(&rng, 7);
	for (k = 0; k < 2; k++) {
		for (i = 0; i < 30; i++) {
			char id[16], aid[32];
			int sample;
			for (sample = 0; sample < 2; sample++) {
				int r = (int)um_rng_below(&rng, 10);
				um_attempt_rec a;
				snprintf(id, sizeof(id), "q%02d", i);
				snprintf(aid, sizeof(aid), "%s-%d-%d", systems[k], i, sample);
				/* borealis never answers Chemistry: all errors */
				if (k == 1 && i % 3 == 1)
					a = attempt(aid, id, systems[k], sample, -1);
				else
					a = attempt(aid, id, systems[k], sample, r < 6 + k);
				if (r == 9 && !(k == 1 && i % 3 == 1))
					a = attempt(aid, id, systems[k], sample, -1);
				a.latency_ms = 100 + (int64_t)um_rng_below(&rng, 5000);
				a.cost_micro = (int64_t)um_rng_below(&rng, 1000);
				a.tokens_in = 200 + i;
				a.tokens_out = 10 + sample;
				put_attempt(s, &a, NULL, 0);
			}
		}
	}
	{
		um_attempt_rec a = attempt("leak", "q00", "atlas", 0, 1);
		um_error err = {0};
		assert_int_equal(store_put_attempt(s, "r0", &a, NULL, 0, &err), 0);
	}

	/* The same numbers in C, from the loaded run. */
	{
		um_run_data d;
		um_error err = {0};

		assert_int_equal(store_load_run(s, "r1", &d, &err), 0);
		static const char sql[] =
			"SELECT system, category, n, correct, accuracy, wilson_lo, wilson_hi, "
			"errors, cost_micro, cost_per_item_micro, cost_per_correct_micro, "
			"latency_p50_ms, latency_p90_ms, tokens_in, tokens_out "
			"FROM capability_profile WHERE run_id = 'r1' ORDER BY system, category";

		assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL), SQLITE_OK);
		for (k = 0; k < 2; k++) {
			for (i = 0; i < 3; i++) {
				int64_t lat[200], cost = 0, tin = 0, tout = 0;
				uint64_t n = 0, correct = 0, errors = 0;
				size_t j;
				um_interval w;

				for (j = 0; j < d.n_attempts; j++) {
					const um_attempt_rec *a = &d.attempts[j];
					size_t it;
					if (strcmp(a->system, systems[k]))
						continue;
					for (it = 0; strcmp(d.items[it].item_id, a->item_id); it++)
						;
					if (strcmp(d.items[it].category, cats[i]))
						continue;
					cost += a->cost_micro;
					tin += a->tokens_in;
					tout += a->tokens_out;
					if (a->status == UM_ATT_DONE) {
						lat[n++] = a->latency_ms;
						correct += (uint64_t)a->score;
					} else {
						errors++;
					}
				}
				assert_int_equal(sqlite3_step(st), SQLITE_ROW);
				rows++;
				assert_string_equal((const char *)sqlite3_column_text(st, 0),
						    systems[k]);
				assert_string_equal((const char *)sqlite3_column_text(st, 1),
						    cats[i]);
				assert_int_equal(sqlite3_column_int64(st, 2), n);
				assert_int_equal(sqlite3_column_int64(st, 3), correct);
				assert_int_equal(sqlite3_column_int64(st, 7), errors);
				assert_int_equal(sqlite3_column_int64(st, 8), cost);
				assert_int_equal(sqlite3_column_int64(st, 13), tin);
				assert_int_equal(sqlite3_column_int64(st, 14), tout);
				if (n == 0) {
					/* borealis x Chemistry: errors only */
					assert_true(k == 1 && i == 1);
					assert_int_equal(sqlite3_column_type(st, 4), SQLITE_NULL);
					assert_int_equal(sqlite3_column_type(st, 5), SQLITE_NULL);
					assert_int_equal(sqlite3_column_type(st, 9), SQLITE_NULL);
					assert_int_equal(sqlite3_column_type(st, 10), SQLITE_NULL);
					assert_int_equal(sqlite3_column_type(st, 11), SQLITE_NULL);
					assert_int_equal(errors, 20);
					continue;
				}
				w = stats_wilson(correct, n, 1.959963984540054);
				if (fabs(sqlite3_column_double(st, 4) - w.est) > 1e-12 ||
				    fabs(sqlite3_column_double(st, 5) - w.lo) > 1e-12 ||
				    fabs(sqlite3_column_double(st, 6) - w.hi) > 1e-12)
					fail_msg("%s/%s: view %g [%g, %g], C %g [%g, %g]",
						 systems[k], cats[i],
						 sqlite3_column_double(st, 4),
						 sqlite3_column_double(st, 5),
						 sqlite3_column_double(st, 6), w.est, w.lo, w.hi);
				assert_int_equal(sqlite3_column_int64(st, 9),
						 (2 * cost + (int64_t)n) / (2 * (int64_t)n));
				if (correct)
					assert_int_equal(sqlite3_column_int64(st, 10),
							 (2 * cost + (int64_t)correct) /
								 (2 * (int64_t)correct));
				else
					assert_int_equal(sqlite3_column_type(st, 10),
							 SQLITE_NULL);
				assert_int_equal(sqlite3_column_int64(st, 11),
						 stats_percentile_i64(lat, n, 50));
				assert_int_equal(sqlite3_column_int64(st, 12),
						 stats_percentile_i64(lat, n, 90));
			}
		}
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
		store_run_data_free(&d);
	}
	assert_int_equal(rows, 6);
	store_close(s);
}

/* Images: one row per hash however often they are put; request bodies hold
 * references in their place, every occurrence, several images, text around
 * them kept byte for byte. */
static void test_images(void **state)
{
	fx *f = *state;
	um_store *s = open_ok(f->db);
	um_error err = {0};
	const char *b64[] = {"QUJD", "WFla"};
	const char *sha[] = {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"};
	const char *body = "{\"a\":\"data:image/png;base64,QUJD\",\"b\":\"WFla\",\"c\":\"QUJD\"}";
	char *out, *want;
	size_t len;
	int i;

	for (i = 0; i < 3; i++)
		assert_int_equal(store_put_image(s, sha[0], "image/png", "ABC", 3, &err), 0);
	assert_int_equal(store_put_image(s, sha[1], "image/gif", "XYZ", 3, &err), 0);
	assert_int_equal(q_int(s, "SELECT count(*) FROM images"), 2);
	assert_int_equal(q_int(s, "SELECT length(bytes) FROM images WHERE media_type = 'image/gif'"),
			 3);
	assert_int_equal(store_put_image(s, "not-a-hash", "image/png", "ABC", 3, &err), -1);
	out = store_elide_images(body, strlen(body), b64, sha, 2, &len);
	want = um_xasprintf("{\"a\":\"data:image/png;base64,%s%s\",\"b\":\"%s%s\",\"c\":\"%s%s\"}",
			    UM_IMAGE_REF_PREFIX, sha[0], UM_IMAGE_REF_PREFIX, sha[1],
			    UM_IMAGE_REF_PREFIX, sha[0]);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
	free(out);
	free(want);
	out = store_elide_images(body, strlen(body), b64, sha, 0, &len);
	assert_string_equal(out, body);
	free(out);
	store_close(s);
}

/* Schema 10: a rescore and its judge's calls; ids count the run's rescores,
 * a call without a verdict stores NULL, a duplicate call is refused. */
static void test_rescores(void **state)
{
	fx *f = *state;
	um_store *s = open_ok(f->db);
	um_error err = {0};
	um_rescore_rec r = {"r1", 5, "judged-json", "ab", "text", "judge", "m", "openai", "json",
			    2, 70, "[]"};
	um_rescore_call_rec c = {"a1", 1, 200, NULL, 1, 20, 30, 4, 50, "cd", "{\"x\":1}", 7, 1,
				 "Na"};
	char *id = NULL, *t;

	assert_int_equal(store_put_rescore(s, &r, &id, &err), 0);
	assert_string_equal(id, "r1/rescore-1");
	assert_int_equal(store_put_rescore_call(s, id, &c, &err), 0);
	c.try_no = 2;
	c.verdict = -1;
	c.error = "judge_error: no JSON object";
	c.extracted = NULL;
	assert_int_equal(store_put_rescore_call(s, id, &c, &err), 0);
	assert_int_equal(store_put_rescore_call(s, id, &c, &err), -1);
	assert_non_null(strstr(err.msg, "cannot record the rescore"));
	free(id);
	assert_int_equal(store_put_rescore(s, &r, &id, &err), 0);
	assert_string_equal(id, "r1/rescore-2");
	free(id);
	assert_int_equal(q_int(s, "SELECT count(*) FROM rescores WHERE run_id = 'r1'"), 2);
	assert_int_equal(q_int(s, "SELECT count(*) FROM rescore_calls WHERE verdict IS NULL"), 1);
	assert_int_equal(q_int(s, "SELECT sum(cost_micro) FROM rescore_calls"), 100);
	t = q_text(s, "SELECT extracted || '/' || response_body FROM rescore_calls WHERE try_no = 1");
	assert_string_equal(t, "Na/{\"x\":1}");
	free(t);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates_and_reopens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_images, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rescores, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_existing_v0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_v3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_v10, setup, teardown),
		cmocka_unit_test_setup_teardown(test_response_bodies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_live_owner_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_dead_owner_taken_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routing_with_attempt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_begin_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_latest_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upsert_error_then_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_discards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_done_attempts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notes_and_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests_and_claims, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_run_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capability_profile, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
