/*
 * test_writer.c - the store's writer thread: writes land in the order they
 * were queued, the same rows as written directly, from copies (the caller's
 * buffers are reused at once); a tiny queue only makes the producer wait;
 * the connection is the caller's between a sync and the next write; the
 * first failure stops the writer with the message store.c gives, drops
 * what came after it and keeps what was written before.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "base/util.h"
#include "store/evq.h"
#include "store/store.h"
#include "store/writer.h"

#define SHA1 "1111111111111111111111111111111111111111111111111111111111111111"
#define SHA2 "2222222222222222222222222222222222222222222222222222222222222222"

typedef struct fx {
	char dir[256];
	char *db, *db2;
} fx;

static int setup(void **state)
{
	fx *f = um_xcalloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	snprintf(f->dir, sizeof(f->dir), "%s/umpire-writer-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	f->db = um_xasprintf("%s/a.db", f->dir);
	f->db2 = um_xasprintf("%s/b.db", f->dir);
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
	free(f->db2);
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

/* Every attempt and call of the store as one text, in id order (times
 * included: the tests set them). */
static char *dump(um_store *s)
{
	const char *sql =
		"SELECT coalesce(group_concat(x, '\n'), '') FROM (SELECT a.attempt_id || '|' || "
		"a.status || '|' || coalesce(a.score, '-') || '|' || coalesce(a.response_text, '-') "
		"|| '|' || a.n_calls || '|' || coalesce(a.error_msg, '-') || '|' || "
		"(SELECT group_concat(c.try_no || ':' || c.http_status || ':' || "
		"coalesce(c.request_hash, '-'), ',') FROM calls c WHERE c.attempt_id = "
		"a.attempt_id) AS x FROM attempts a ORDER BY a.attempt_id)";
	sqlite3_stmt *st;
	char *v;

	assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = um_xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

static um_store *open_run(const char *path)
{
	um_store *s = NULL;
	um_error err = {0};
	um_run_info ri;
	int existed;

	if (store_open(path, &s, &err) < 0)
		fail_msg("store_open(%s): %s", path, err.msg);
	memset(&ri, 0, sizeof(ri));
	ri.run_id = (char *)"r1";
	ri.suite_name = ri.suite_version = ri.suite_kind = (char *)"mcq";
	ri.suite_sha256 = ri.scaffold_sha256 = ri.models_sha256 = (char *)"aa";
	ri.dataset_sha256 = (char *)"dd";
	ri.suite_text = ri.scaffold_text = ri.models_text = (char *)"umpire: 1\n";
	ri.harness_version = ri.git_describe = (char *)"0.1.0";
	ri.lib_versions = (char *)"{}";
	ri.repeats = 1;
	ri.started_ms = 1000;
	if (store_run_begin(s, &ri, &existed, &err) < 0)
		fail_msg("store_run_begin: %s", err.msg);
	return s;
}

/* The k-th test attempt, written into caller-owned buffers (reused by the
 * caller as soon as the writer has its copy). score 2 is refused by the
 * store's CHECK. */
typedef struct {
	char id[32], item[32], text[64], hash[32], body[64];
	um_attempt_rec a;
	um_call_rec c[2];
} sample_att;

static void make(sample_att *t, int k, int score)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "att-%05d", k);
	snprintf(t->item, sizeof(t->item), "q%d", k);
	snprintf(t->text, sizeof(t->text), "Answer: %c", 'A' + k % 4);
	snprintf(t->hash, sizeof(t->hash), "h%04d", k % 7);
	snprintf(t->body, sizeof(t->body), "{\"n\":%d}", k);
	t->a.attempt_id = t->id;
	t->a.item_id = t->item;
	t->a.system = (char *)"sys";
	t->a.perm = (char *)"0,1,2,3";
	t->a.request_hash = t->hash;
	t->a.status = UM_ATT_DONE;
	t->a.score = score;
	t->a.response_text = t->text;
	t->a.n_calls = 2;
	t->a.finished_ms = 5000 + k;
	t->c[0].attempt_id = t->c[1].attempt_id = t->id;
	t->c[0].http_status = 500;
	t->c[0].error = (char *)"HTTP 500";
	t->c[1].try_no = 1;
	t->c[1].http_status = 200;
	t->c[0].request_hash = t->c[1].request_hash = t->hash;
	t->c[1].response_body = t->body;
	t->c[1].response_len = strlen(t->body);
	t->c[0].ttft_ms = t->c[1].ttft_ms = -1;
}

static void scribble(sample_att *t)
{
	memset(t->id, 'x', sizeof(t->id) - 1);
	memset(t->text, 'x', sizeof(t->text) - 1);
	memset(t->body, 'x', sizeof(t->body) - 1);
}

static void direct(um_store *s, int from, int to)
{
	um_error err = {0};
	sample_att t;
	int k;

	for (k = from; k < to; k++) {
		make(&t, k, k % 2);
		if (store_put_attempt(s, "r1", &t.a, t.c, 2, &err) < 0 ||
		    store_put_attempt_routing(s, "r1", t.id, 2, NULL, 0, &err) < 0)
			fail_msg("store_put_attempt: %s", err.msg);
	}
}

static void queued(um_store_writer *w, int from, int to)
{
	sample_att t;
	int k;

	for (k = from; k < to; k++) {
		make(&t, k, k % 2);
		if (store_writer_attempt(w, &t.a, t.c, 2, NULL, 0) < 0) {
			um_error err = {0};

			store_writer_failed(w, &err);
			fail_msg("store_writer_attempt %d: %s", k, err.msg);
		}
		scribble(&t);
	}
}

/* The same rows as written directly, through a queue of 3. */
static void test_same_rows_as_direct(void **state)
{
	fx *f = *state;
	um_store *s = open_run(f->db), *d = open_run(f->db2);
	um_store_writer *w = store_writer_start(s, "r1", 3);
	um_error err = {0};
	char body[] = "{\"model\":\"m\"}", *owned = um_xstrdup("{\"model\":\"n\"}");
	char *x, *y;

	assert_non_null(w);
	assert_int_equal(store_writer_begin(w), 0);
	assert_int_equal(store_writer_request(w, SHA1, body, strlen(body), 0), 0);
	memset(body, 'x', sizeof(body) - 1);
	assert_int_equal(store_writer_request(w, SHA2, owned, strlen(owned), 1), 0);
	queued(w, 0, 200);
	assert_int_equal(store_writer_commit(w), 0);
	if (store_writer_sync(w, &err) < 0)
		fail_msg("store_writer_sync: %s", err.msg);
	assert_int_equal(store_in_tx(s), 0);
	/* the connection is this thread's now: a direct write, then the queue again */
	assert_int_equal(store_begin(s, &err), 0);
	direct(s, 200, 210);
	queued(w, 210, 300);
	assert_int_equal(store_writer_commit(w), 0);
	assert_int_equal(store_writer_stop(w, &err), 0);

	assert_int_equal(store_begin(d, &err), 0);
	direct(d, 0, 300);
	assert_int_equal(store_commit(d, &err), 0);
	x = dump(s);
	y = dump(d);
	assert_string_equal(x, y);
	assert_int_equal(q_int(s, "SELECT count(*) FROM attempts"), 300);
	assert_int_equal(q_int(s, "SELECT count(*) FROM calls"), 600);
	assert_int_equal(q_int(s, "SELECT count(*) FROM requests"), 2);
	free(x);
	free(y);
	store_close(s);
	store_close(d);
}

/* The first failure: the same message as a direct write's, what follows is
 * dropped, later writes are refused, and what was written before stays. */
static void test_failure_stops(void **state)
{
	fx *f = *state;
	um_store *s = open_run(f->db), *d = open_run(f->db2);
	um_store_writer *w = store_writer_start(s, "r1", 0);
	um_error err = {0}, want = {0}, got = {0};
	um_routing_rec *ev = um_xcalloc(1, sizeof(*ev));
	sample_att t;

	assert_int_equal(store_begin(d, &err), 0);
	make(&t, 99, 2);
	assert_int_equal(store_put_attempt(d, "r1", &t.a, t.c, 2, &want), -1);
	assert_true(want.msg[0] != 0);

	assert_int_equal(store_writer_begin(w), 0);
	queued(w, 0, 5);
	assert_int_equal(store_writer_commit(w), 0);
	assert_int_equal(store_writer_begin(w), 0);
	queued(w, 5, 8);
	make(&t, 99, 2);
	assert_int_equal(store_writer_attempt(w, &t.a, t.c, 2, NULL, 0), 0);
	queued(w, 8, 12); /* queued before the failure is seen: dropped */
	assert_int_equal(store_writer_sync(w, &got), -1);
	assert_int_equal(got.code, want.code);
	assert_string_equal(got.msg, want.msg);
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_writer_failed(w, &got), 1);
	assert_string_equal(got.msg, want.msg);
	/* refused now; what is handed over is freed all the same (ASan) */
	make(&t, 50, 1);
	assert_int_equal(store_writer_attempt(w, &t.a, t.c, 2, NULL, 0), -1);
	assert_int_equal(store_writer_request(w, "s", um_xstrdup("{}"), 2, 1), -1);
	ev->attempt_id = um_xstrdup("");
	assert_int_equal(store_writer_event(w, ev), -1);
	assert_int_equal(store_writer_commit(w), -1);
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_writer_stop(w, &got), -1);
	assert_string_equal(got.msg, want.msg);

	/* the 5 committed, and the 3 written in the open transaction, which the
	 * run commits as it ends */
	assert_int_equal(store_in_tx(s), 1);
	assert_int_equal(store_commit(s, &err), 0);
	assert_int_equal(q_int(s, "SELECT count(*) FROM attempts"), 8);
	assert_int_equal(q_int(s, "SELECT count(*) FROM attempts WHERE attempt_id >= 'att-00008'"),
			 0);
	store_close(s);
	store_rollback(d);
	store_close(d);
}

/* Stopping writes what is still queued, and a writer without work stops. */
static void test_stop_writes_queue(void **state)
{
	fx *f = *state;
	um_store *s = open_run(f->db);
	um_store_writer *w = store_writer_start(s, "r1", 0);
	um_error err = {0};

	assert_int_equal(store_writer_stop(store_writer_start(s, "r1", 0), &err), 0);
	assert_int_equal(store_writer_begin(w), 0);
	queued(w, 0, 7); /* fewer than wake a sleeping writer */
	assert_int_equal(store_writer_commit(w), 0);
	queued(w, 7, 9);
	assert_int_equal(store_writer_stop(w, &err), 0);
	assert_int_equal(store_in_tx(s), 0);
	assert_int_equal(q_int(s, "SELECT count(*) FROM attempts"), 9);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same_rows_as_direct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_writes_queue, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
