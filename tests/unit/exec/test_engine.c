/*
 * test_engine.c - the HTTP event loop against a scripted libmicrohttpd
 * server on 127.0.0.1 (port chosen by the kernel).
 *
 * The server's behaviour is scripted by URL: /s/<key>/<a1>,<a2>,... answers
 * the n-th request for <key> with action a_n (the last one repeats):
 *   200 | 400 | 408 | 500 | 503  that status
 *   429     429 with "Retry-After: 1"
 *   429n    429 without Retry-After
 *   429ms   429 with "Retry-After: 1" and "retry-after-ms: 1500.5"
 *   echo    200 with "<request body>|<X-Umpire-Test header>"
 *   slow    200 after 60 ms (counted for the concurrency high-water mark)
 *   sleep   200 after 1500 ms (past the client's timeout)
 *   close   close the connection without answering
 *   big     200 with a 5000-byte body
 *   left3   200 with "x-ratelimit-remaining-requests: 3"
 *   aleft0  200 with "anthropic-ratelimit-requests-remaining: 0"
 *   leftx   200 with a remaining-requests header that is not a number
 *   tok1k   200 with "x-ratelimit-remaining-tokens: 1000"
 *   atok    200 with "anthropic-ratelimit-tokens-remaining: 500" and
 *           "anthropic-ratelimit-requests-remaining: 50"
 *   sse     200 with an SSE body whose second event carries a token
 * Timing checks are lower bounds only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec/engine.h"
#include "base/util.h"

/* ---- the scripted server ------------------------------------------------ */

#define SRV_MAX_KEYS 128

struct srv {
	struct MHD_Daemon *d;
	int port;
	atomic_int connections; /* TCP connections accepted */
	atomic_int slow_active; /* "slow" requests being handled now */
	atomic_int slow_max;	/* high-water mark of slow_active */
	atomic_int quit;
	pthread_mutex_t mu;
	char keys[SRV_MAX_KEYS][64];
	int hits[SRV_MAX_KEYS];
	int n_keys;
};

struct sreq {
	char action[16];
	int slow;
	size_t len;
	char body[4096];
};

static struct srv server;

/* Picks the action for this hit of the URL's key. */
static void srv_action(struct srv *s, const char *url, char *action, size_t size)
{
	char key[64], list[256], *tok, *save = NULL;
	const char *slash;
	int i, hit, n = 0;

	snprintf(action, size, "200");
	if (strncmp(url, "/s/", 3) != 0 || !(slash = strchr(url + 3, '/')))
		return;
	snprintf(key, sizeof(key), "%.*s", (int)(slash - url - 3), url + 3);
	snprintf(list, sizeof(list), "%s", slash + 1);
	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->n_keys; i++)
		if (strcmp(s->keys[i], key) == 0)
			break;
	if (i == s->n_keys && s->n_keys < SRV_MAX_KEYS)
		snprintf(s->keys[s->n_keys++], sizeof(s->keys[0]), "%s", key);
	hit = s->hits[i]++;
	pthread_mutex_unlock(&s->mu);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n <= hit)
			snprintf(action, size, "%s", tok);
		n++;
	}
}

static void srv_sleep(struct srv *s, int ms)
{
	struct timespec ts = {0, 10 * 1000000L};

	for (; ms > 0 && !atomic_load(&s->quit); ms -= 10)
		nanosleep(&ts, NULL);
}

static enum MHD_Result srv_reply(struct MHD_Connection *c, unsigned status, const char *body,
				 size_t len, const char *retry_after)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (retry_after)
		MHD_add_response_header(resp, "Retry-After", retry_after);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	rc = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result srv_handler(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version, const char *upload,
				   size_t *upload_size, void **con_cls)
{
	struct srv *s = cls;
	struct sreq *r = *con_cls;
	char out[8192];

	(void)method;
	(void)version;
	if (!r) {
		r = calloc(1, sizeof(*r));
		*con_cls = r;
		srv_action(s, url, r->action, sizeof(r->action));
		if (strcmp(r->action, "close") == 0)
			return MHD_NO;
		if (strcmp(r->action, "slow") == 0) {
			int now = atomic_fetch_add(&s->slow_active, 1) + 1, max;

			r->slow = 1;
			max = atomic_load(&s->slow_max);
			while (now > max && !atomic_compare_exchange_weak(&s->slow_max, &max, now))
				;
		}
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;

		if (n > sizeof(r->body) - 1 - r->len)
			n = sizeof(r->body) - 1 - r->len;
		memcpy(r->body + r->len, upload, n);
		r->len += n;
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->slow) {
		srv_sleep(s, 60);
		/* Leave the count before the client can see the answer. */
		atomic_fetch_sub(&s->slow_active, 1);
		r->slow = 0;
		return srv_reply(c, 200, "slow", 4, NULL);
	}
	if (strcmp(r->action, "sleep") == 0) {
		srv_sleep(s, 1500);
		return srv_reply(c, 200, "late", 4, NULL);
	}
	if (strcmp(r->action, "echo") == 0) {
		const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Umpire-Test");
		int n;

		r->body[r->len] = '\0';
		n = snprintf(out, sizeof(out), "%s|%s", r->body, h ? h : "(none)");
		return srv_reply(c, 200, out, (size_t)n, NULL);
	}
	if (strcmp(r->action, "big") == 0) {
		memset(out, 'x', 5000);
		return srv_reply(c, 200, out, 5000, NULL);
	}
	if (strcmp(r->action, "tok1k") == 0 || strcmp(r->action, "atok") == 0) {
		struct MHD_Response *resp = MHD_create_response_from_buffer(2, (void *)"{}",
									    MHD_RESPMEM_PERSISTENT);
		enum MHD_Result rc;

		if (r->action[0] == 'a') {
			MHD_add_response_header(resp, "anthropic-ratelimit-tokens-remaining", "500");
			MHD_add_response_header(resp, "anthropic-ratelimit-requests-remaining", "50");
		} else {
			MHD_add_response_header(resp, "x-ratelimit-remaining-tokens", "1000");
		}
		rc = MHD_queue_response(c, 200, resp);
		MHD_destroy_response(resp);
		return rc;
	}
	if (strcmp(r->action, "left3") == 0 || strcmp(r->action, "aleft0") == 0 ||
	    strcmp(r->action, "leftx") == 0) {
		struct MHD_Response *resp = MHD_create_response_from_buffer(2, (void *)"{}",
									    MHD_RESPMEM_PERSISTENT);
		enum MHD_Result rc;

		if (r->action[0] == 'a')
			MHD_add_response_header(resp, "anthropic-ratelimit-requests-remaining", "0");
		else
			MHD_add_response_header(resp, "x-ratelimit-remaining-requests",
						r->action[4] == 'x' ? "lots" : "3");
		rc = MHD_queue_response(c, 200, resp);
		MHD_destroy_response(resp);
		return rc;
	}
	if (strcmp(r->action, "sse") == 0) {
		static const char sse[] = ": ping\n\ndata: {}\n\ndata: token\n\ndata: [DONE]\n\n";
		return srv_reply(c, 200, sse, sizeof(sse) - 1, NULL);
	}
	if (strcmp(r->action, "429") == 0)
		return srv_reply(c, 429, "{\"error\":{\"message\":\"slow down\"}}", 33, "1");
	if (strcmp(r->action, "429ms") == 0) {
		struct MHD_Response *resp = MHD_create_response_from_buffer(2, (void *)"{}",
									    MHD_RESPMEM_PERSISTENT);
		enum MHD_Result rc;

		MHD_add_response_header(resp, "Retry-After", "1");
		MHD_add_response_header(resp, "retry-after-ms", "1500.5");
		rc = MHD_queue_response(c, 429, resp);
		MHD_destroy_response(resp);
		return rc;
	}
	if (strcmp(r->action, "429n") == 0)
		return srv_reply(c, 429, "{}", 2, NULL);
	return srv_reply(c, (unsigned)atoi(r->action), r->action, strlen(r->action), NULL);
}

static void srv_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			  enum MHD_RequestTerminationCode toe)
{
	struct srv *s = cls;
	struct sreq *r = *con_cls;

	(void)c;
	(void)toe;
	if (r && r->slow)
		atomic_fetch_sub(&s->slow_active, 1);
	free(r);
	*con_cls = NULL;
}

static void srv_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
			   enum MHD_ConnectionNotificationCode toe)
{
	struct srv *s = cls;

	(void)c;
	(void)socket_ctx;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&s->connections, 1);
}

static int group_setup(void **state)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	um_error err;

	(void)state;
	if (um_global_init(&err) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pthread_mutex_init(&server.mu, NULL);
	server.d = MHD_start_daemon(
	    MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
	    NULL, srv_handler, &server, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_NOTIFY_COMPLETED, srv_completed, &server, MHD_OPTION_NOTIFY_CONNECTION,
	    srv_connection, &server, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	if (!server.d)
		return -1;
	info = MHD_get_daemon_info(server.d, MHD_DAEMON_INFO_BIND_PORT);
	if (!info || !info->port)
		return -1;
	server.port = info->port;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	atomic_store(&server.quit, 1);
	MHD_stop_daemon(server.d);
	pthread_mutex_destroy(&server.mu);
	return 0;
}

static char *url_for(const char *script)
{
	return um_xasprintf("http://127.0.0.1:%d/s/%s", server.port, script);
}

/* ---- a recording callback ----------------------------------------------- */

#define REC_MAX 16

struct rec {
	um_engine *e;
	int lane;
	int retry_always; /* return RETRY for every try */
	int n;
	long status[REC_MAX];
	int curl_code[REC_MAX];
	int retryable[REC_MAX];
	int last_chance[REC_MAX];
	int truncated[REC_MAX];
	int has_error[REC_MAX];
	int64_t retry_after[REC_MAX];
	int64_t at[REC_MAX];	/* um_mono_ms at the callback */
	double window[REC_MAX]; /* lane window seen inside the callback */
	char body[256];
	char error[256];
};

static int rec_try(void *ctx, const um_try *t)
{
	struct rec *r = ctx;
	int i = r->n++;

	assert_true(i < REC_MAX);
	assert_int_equal(t->try_no, i + 1);
	assert_non_null(t->body);
	assert_int_equal(strlen(t->body), t->body_len);
	r->status[i] = t->http_status;
	r->curl_code[i] = t->curl_code;
	r->retryable[i] = t->retryable;
	r->last_chance[i] = t->last_chance;
	r->truncated[i] = t->body_truncated;
	r->has_error[i] = t->error != NULL;
	r->retry_after[i] = t->retry_after_ms;
	r->at[i] = um_mono_ms();
	if (r->e)
		r->window[i] = engine_lane_window(r->e, r->lane);
	snprintf(r->body, sizeof(r->body), "%.*s", (int)t->body_len, t->body);
	snprintf(r->error, sizeof(r->error), "%s", t->error ? t->error : "");
	if (r->retry_always || t->retryable)
		return UM_TRY_RETRY;
	return UM_TRY_DONE;
}

static um_engine *new_engine(int max_in_flight, size_t max_body)
{
	um_engine_opts o = {.max_in_flight = max_in_flight,
			    .seed = 1,
			    .backoff_base_ms = 20,
			    .backoff_max_ms = 40,
			    .max_body = max_body};
	um_engine *e = NULL;
	um_error err;

	assert_int_equal(engine_new(&o, &e, &err), 0);
	return e;
}

static int add_lane(um_engine *e, int concurrency, int timeout_ms, int max_retries)
{
	um_lane_opts lo = {
	    .concurrency = concurrency, .timeout_ms = timeout_ms, .max_retries = max_retries};
	int lane = engine_add_lane(e, &lo);

	assert_true(lane >= 0);
	return lane;
}

static void submit(um_engine *e, int lane, const char *script, um_try_fn fn, void *ctx)
{
	char *url = url_for(script);
	um_error err;

	assert_int_equal(engine_submit(e, lane, url, "{}", 2, NULL, 0, fn, ctx, &err), 0);
	free(url);
}

static void run(um_engine *e)
{
	um_error err;

	assert_int_equal(engine_run(e, NULL, NULL, 0, &err), 0);
}

/* ---- tests -------------------------------------------------------------- */

static void test_retry_after_parse(void **state)
{
	/* 1445412480 = Wed, 21 Oct 2015 07:28:00 GMT */
	const int64_t date_ms = INT64_C(1445412480) * 1000;

	(void)state;
	assert_int_equal(engine_parse_retry_after("1", 0), 1000);
	assert_int_equal(engine_parse_retry_after("0", 0), 0);
	assert_int_equal(engine_parse_retry_after("  120 \r\n", 0), 120000);
	assert_int_equal(engine_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", date_ms - 5000),
			 5000);
	assert_int_equal(
	    engine_parse_retry_after(" Wed, 21 Oct 2015 07:28:00 GMT\r\n", date_ms - 1), 1);
	/* A date in the past: retry now. */
	assert_int_equal(engine_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", date_ms + 60000),
			 0);
	/* Obsolete RFC 850 form. */
	assert_int_equal(
	    engine_parse_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", date_ms - 2000), 2000);
	assert_int_equal(engine_parse_retry_after("-1", 0), -1);
	assert_int_equal(engine_parse_retry_after("-", 0), -1);
	assert_int_equal(engine_parse_retry_after("+5", 0), -1);
	assert_int_equal(engine_parse_retry_after("1.5", 0), -1);
	assert_int_equal(engine_parse_retry_after("12abc", 0), -1);
	assert_int_equal(engine_parse_retry_after("soon", 0), -1);
	assert_int_equal(engine_parse_retry_after("", 0), -1);
	assert_int_equal(engine_parse_retry_after("   ", 0), -1);
	assert_int_equal(engine_parse_retry_after(NULL, 0), -1);
	assert_int_equal(engine_parse_retry_after("99999999999999999999999", 0), -1);
	assert_int_equal(engine_parse_retry_after("\x01\xff\xfe", 0), -1);
	/* retry-after-ms: milliseconds, a fraction rounded up */
	assert_int_equal(engine_parse_retry_after_ms("1500"), 1500);
	assert_int_equal(engine_parse_retry_after_ms(" 20.0\r\n"), 20);
	assert_int_equal(engine_parse_retry_after_ms("20.01"), 21);
	assert_int_equal(engine_parse_retry_after_ms("0"), 0);
	assert_int_equal(engine_parse_retry_after_ms("-5"), -1);
	assert_int_equal(engine_parse_retry_after_ms(".5"), -1);
	assert_int_equal(engine_parse_retry_after_ms("5s"), -1);
	assert_int_equal(engine_parse_retry_after_ms(""), -1);
	assert_int_equal(engine_parse_retry_after_ms(NULL), -1);
	assert_int_equal(engine_parse_retry_after_ms("99999999999999999999999"), -1);
}

static void test_api_garbage(void **state)
{
	um_engine_opts bad = {.max_in_flight = -1};
	um_lane_opts lo = {.concurrency = 0, .timeout_ms = 1000, .max_retries = 1};
	um_engine *e = NULL;
	um_error err;
	const char *hdr_bad[] = {"X-A: 1\r\nX-B: 2"};
	struct rec r = {0};

	(void)state;
	assert_int_equal(engine_new(&bad, &e, &err), -1);
	assert_null(e);
	/* NULL options: all defaults. */
	assert_int_equal(engine_new(NULL, &e, &err), 0);
	assert_int_equal(engine_add_lane(e, &lo), -1);
	lo.concurrency = 2;
	lo.max_retries = -1;
	assert_int_equal(engine_add_lane(e, &lo), -1);
	assert_int_equal(engine_add_lane(e, NULL), -1);
	lo.max_retries = 0;
	assert_int_equal(engine_add_lane(e, &lo), 0);
	assert_true(engine_lane_window(e, 0) == 2.0);
	assert_true(engine_lane_window(e, 7) == 0.0);
	assert_int_equal(
	    engine_submit(e, 1, "http://127.0.0.1/", NULL, 0, NULL, 0, rec_try, &r, &err), -1);
	assert_int_equal(
	    engine_submit(e, -1, "http://127.0.0.1/", NULL, 0, NULL, 0, rec_try, &r, &err), -1);
	assert_int_equal(engine_submit(e, 0, NULL, NULL, 0, NULL, 0, rec_try, &r, &err), -1);
	assert_int_equal(engine_submit(e, 0, "http://127.0.0.1/", NULL, 0, NULL, 0, NULL, &r, &err),
			 -1);
	assert_int_equal(
	    engine_submit(e, 0, "http://127.0.0.1/", "x", 1, hdr_bad, 1, rec_try, &r, &err), -1);
	assert_non_null(strstr(err.msg, "line break"));
	assert_int_equal(
	    engine_submit(e, 0, "http://127.0.0.1/", "x", 1, NULL, 2, rec_try, &r, &err), -1);
	/* Nothing queued: run returns at once. */
	assert_int_equal(engine_run(e, NULL, NULL, 0, &err), 0);
	assert_int_equal(r.n, 0);
	engine_free(e);
	engine_free(NULL);
}

static void test_ok_and_echo(void **state)
{
	um_engine *e = new_engine(0, 0);
	int lane = add_lane(e, 4, 5000, 2);
	const char *hdrs[] = {"X-Umpire-Test: abc", "Content-Type: application/json"};
	char *url = url_for("echo1/echo");
	struct rec r = {0};
	um_engine_stats st;
	um_error err;

	(void)state;
	assert_int_equal(engine_submit(e, lane, url, "hello world", 5, hdrs, 2, rec_try, &r, &err),
			 0);
	free(url);
	engine_get_stats(e, &st);
	assert_int_equal(st.queued, 1);
	run(e);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.status[0], 200);
	assert_int_equal(r.curl_code[0], 0);
	assert_false(r.retryable[0]);
	assert_false(r.last_chance[0]);
	assert_false(r.has_error[0]);
	assert_int_equal(r.retry_after[0], -1);
	/* Only body_len bytes were sent; the header arrived. */
	assert_string_equal(r.body, "hello|abc");
	engine_get_stats(e, &st);
	assert_int_equal(st.tries, 1);
	assert_int_equal(st.retries, 0);
	assert_int_equal(st.in_flight, 0);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.sleeping, 0);
	engine_free(e);
}

static void test_retry_sequence(void **state)
{
	um_engine *e = new_engine(0, 0);
	int lane = add_lane(e, 4, 5000, 5);
	struct rec r = {0};
	um_engine_stats st;

	(void)state;
	submit(e, lane, "seq1/500,503,408,200", rec_try, &r);
	run(e);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.status[0], 500);
	assert_int_equal(r.status[1], 503);
	assert_int_equal(r.status[2], 408);
	assert_int_equal(r.status[3], 200);
	assert_true(r.retryable[0] && r.retryable[1] && r.retryable[2]);
	assert_false(r.retryable[3]);
	assert_false(r.last_chance[0] || r.last_chance[1] || r.last_chance[2] || r.last_chance[3]);
	assert_string_equal(r.body, "200");
	engine_get_stats(e, &st);
	assert_int_equal(st.tries, 4);
	assert_int_equal(st.retries, 3);
	assert_int_equal(st.throttled, 1);

	/* A 4xx other than 408/429 is final. */
	memset(&r, 0, sizeof(r));
	submit(e, lane, "seq2/400,200", rec_try, &r);
	run(e);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.status[0], 400);
	assert_false(r.retryable[0]);
	engine_free(e);
}

static void test_last_chance(void **state)
{
	um_engine *e = new_engine(0, 0);
	int lane = add_lane(e, 4, 5000, 2), lane0 = add_lane(e, 4, 5000, 0);
	struct rec r = {.retry_always = 1}, r0 = {.retry_always = 1};
	um_engine_stats st;
	um_error err;

	(void)state;
	submit(e, lane, "lc1/500", rec_try, &r);
	/* Nothing listens on port 1: a transport error, on the only try. */
	assert_int_equal(
	    engine_submit(e, lane0, "http://127.0.0.1:1/", "{}", 2, NULL, 0, rec_try, &r0, &err),
	    0);
	run(e);
	assert_int_equal(r.n, 3);
	assert_false(r.last_chance[0]);
	assert_false(r.last_chance[1]);
	assert_true(r.last_chance[2]);
	assert_int_equal(r.status[2], 500);

	assert_int_equal(r0.n, 1);
	assert_true(r0.last_chance[0]);
	assert_int_equal(r0.status[0], 0);
	assert_int_equal(r0.curl_code[0], CURLE_COULDNT_CONNECT);
	assert_true(r0.retryable[0]);
	assert_true(r0.has_error[0]);
	engine_get_stats(e, &st);
	assert_int_equal(st.tries, 4);
	assert_int_equal(st.retries, 2);

	/* Failures that would only repeat are not retryable. */
	{
		struct rec rb = {0}, ru = {0};

		assert_int_equal(
		    engine_submit(e, lane, "http://[::1", NULL, 0, NULL, 0, rec_try, &rb, &err), 0);
		assert_int_equal(engine_submit(e, lane, "gopherx://127.0.0.1/", NULL, 0, NULL, 0,
					       rec_try, &ru, &err),
				 0);
		run(e);
		assert_int_equal(rb.n, 1);
		assert_int_equal(rb.curl_code[0], CURLE_URL_MALFORMAT);
		assert_false(rb.retryable[0]);
		assert_int_equal(ru.n, 1);
		assert_int_equal(ru.curl_code[0], CURLE_UNSUPPORTED_PROTOCOL);
		assert_false(ru.retryable[0]);
	}
	engine_free(e);
}

static int ticks;

static void count_tick(void *ctx)
{
	(void)ctx;
	ticks++;
}

static void test_retry_after_delay(void **state)
{
	um_engine *e = new_engine(0, 0);
	int lane = add_lane(e, 16, 5000, 3);
	struct rec r = {0};
	um_error err;

	(void)state;
	r.e = e;
	r.lane = lane;
	assert_true(engine_lane_window(e, lane) == 16.0);
	submit(e, lane, "ra1/429,200", rec_try, &r);
	ticks = 0;
	assert_int_equal(engine_run(e, count_tick, NULL, 100, &err), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.status[0], 429);
	assert_int_equal(r.retry_after[0], 1000);
	assert_true(r.retryable[0]);
	/* The window was halved by the 429 before the callback saw it. */
	assert_true(r.window[0] == 8.0);
	assert_int_equal(r.status[1], 200);
	/* Backoff here is at most 40 ms: only Retry-After explains the wait. */
	assert_true(r.at[1] - r.at[0] >= 900);
	/* retry-after-ms (sent here after Retry-After) wins over it */
	r.n = 0;
	submit(e, lane, "ra2/429ms,200", rec_try, &r);
	assert_int_equal(engine_run(e, count_tick, NULL, 100, &err), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.retry_after[0], 1501);
	assert_true(r.at[1] - r.at[0] >= 1400);
	/* A run of a second or more with a 100 ms tick ticks. */
	assert_true(ticks >= 1);
	engine_free(e);
}

static void test_timeout_and_close(void **state)
{
	um_engine *e = new_engine(0, 0);
	int lane = add_lane(e, 4, 300, 2);
	struct rec to = {0}, cl = {0};

	(void)state;
	submit(e, lane, "to1/sleep,200", rec_try, &to);
	submit(e, lane, "cl1/close,200", rec_try, &cl);
	run(e);
	assert_int_equal(to.n, 2);
	assert_int_equal(to.curl_code[0], CURLE_OPERATION_TIMEDOUT);
	assert_int_equal(to.status[0], 0);
	assert_true(to.retryable[0]);
	assert_true(to.has_error[0]);
	assert_int_equal(to.status[1], 200);

	assert_int_equal(cl.n, 2);
	assert_int_not_equal(cl.curl_code[0], 0);
	assert_int_equal(cl.status[0], 0);
	assert_true(cl.retryable[0]);
	assert_int_equal(cl.status[1], 200);
	engine_free(e);
}

static void test_body_limit(void **state)
{
	um_engine *e = new_engine(0, 1000);
	int lane = add_lane(e, 4, 5000, 3);
	struct rec r = {0};

	(void)state;
	submit(e, lane, "big1/big", rec_try, &r);
	run(e);
	assert_int_equal(r.n, 1);
	assert_true(r.truncated[0]);
	assert_false(r.retryable[0]);
	assert_int_equal(r.curl_code[0], CURLE_WRITE_ERROR);
	assert_non_null(strstr(r.error, "exceeds the limit of 1000 bytes"));
	engine_free(e);
}

static int count_done(void *ctx, const um_try *t)
{
	(void)t;
	(*(int *)ctx)++;
	return UM_TRY_DONE;
}

static void test_lane_ceiling(void **state)
{
	um_engine *e = new_engine(0, 0);
	int lane = add_lane(e, 3, 5000, 0), i, done = 0;
	um_engine_stats st;

	(void)state;
	atomic_store(&server.slow_max, 0);
	for (i = 0; i < 24; i++)
		submit(e, lane, "ceil1/slow", count_done, &done);
	run(e);
	assert_int_equal(done, 24);
	assert_true(atomic_load(&server.slow_max) <= 3);
	assert_true(atomic_load(&server.slow_max) >= 2);
	engine_get_stats(e, &st);
	assert_int_equal(st.max_in_flight_seen, 3);
	/* Successes never push the window past the ceiling. */
	assert_true(engine_lane_window(e, lane) == 3.0);
	engine_free(e);

	/* The global cap bounds several lanes together. */
	e = new_engine(2, 0);
	add_lane(e, 4, 5000, 0);
	add_lane(e, 4, 5000, 0);
	atomic_store(&server.slow_max, 0);
	done = 0;
	for (i = 0; i < 16; i++)
		submit(e, i % 2, "ceil2/slow", count_done, &done);
	run(e);
	assert_int_equal(done, 16);
	assert_true(atomic_load(&server.slow_max) <= 2);
	engine_get_stats(e, &st);
	assert_int_equal(st.max_in_flight_seen, 2);
	engine_free(e);
}

static void test_window_aimd(void **state)
{
	um_engine *e = new_engine(0, 0);
	int lane = add_lane(e, 10, 5000, 0), i, done = 0;

	(void)state;
	/* The window starts at the ceiling; successes never push it past. */
	assert_true(engine_lane_window(e, lane) == 10.0);
	for (i = 0; i < 100; i++)
		submit(e, lane, "aimd1/200", count_done, &done);
	run(e);
	assert_int_equal(done, 100);
	assert_true(engine_lane_window(e, lane) == 10.0);

	/* Ten 429s from one window of transfers halve it once, not ten times. */
	done = 0;
	for (i = 0; i < 10; i++)
		submit(e, lane, "aimd2/429n", count_done, &done);
	run(e);
	assert_int_equal(done, 10);
	assert_true(engine_lane_window(e, lane) == 5.0);

	/* Throttles on later windows keep halving, down to 1 and no lower. */
	for (i = 0; i < 6; i++) {
		submit(e, lane, "aimd3/503", count_done, &done);
		run(e);
	}
	assert_true(engine_lane_window(e, lane) == 1.0);

	/* Once throttled, growth is additive: +1/window per success, so four
	 * successes take 1 to 1 + 1 + 1/2 + 1/2.5 + 1/2.9 = 3.24. */
	for (i = 0; i < 4; i++)
		submit(e, lane, "aimd4/200", count_done, &done);
	run(e);
	assert_true(engine_lane_window(e, lane) > 3.2);
	assert_true(engine_lane_window(e, lane) < 3.3);
	engine_free(e);

	/* A wide lane has its whole ceiling in flight from the start: 50 slow
	 * requests on a lane of 100 are all on the wire at once. */
	e = new_engine(0, 0);
	lane = add_lane(e, 100, 5000, 0);
	assert_true(engine_lane_window(e, lane) == 100.0);
	atomic_store(&server.slow_max, 0);
	done = 0;
	for (i = 0; i < 50; i++)
		submit(e, lane, "aimd5/slow", count_done, &done);
	run(e);
	assert_int_equal(done, 50);
	{
		um_engine_stats st;
		engine_get_stats(e, &st);
		assert_int_equal(st.max_in_flight_seen, 50);
	}
	engine_free(e);

	/* A window nothing fills does not grow back: cut to 6.25 by four
	 * throttles, then one request at a time. */
	e = new_engine(0, 0);
	lane = add_lane(e, 100, 5000, 0);
	for (i = 0; i < 4; i++) {
		submit(e, lane, "aimd6/503", count_done, &done);
		run(e);
	}
	assert_true(engine_lane_window(e, lane) == 6.25);
	for (i = 0; i < 20; i++) {
		submit(e, lane, "aimd6/200", count_done, &done);
		run(e);
	}
	assert_true(engine_lane_window(e, lane) == 6.25);
	engine_free(e);

	/* Nor past twice what the global cap lets the lane use. */
	e = new_engine(2, 0);
	lane = add_lane(e, 100, 5000, 0);
	for (i = 0; i < 4; i++) {
		submit(e, lane, "aimd7/503", count_done, &done);
		run(e);
	}
	for (i = 0; i < 40; i++)
		submit(e, lane, "aimd7/200", count_done, &done);
	run(e);
	assert_true(engine_lane_window(e, lane) == 6.25);
	engine_free(e);
}

/* A remaining-requests header below the window caps it (at least 1); one
 * that is not a number changes nothing. */
static void test_rate_limit_headers(void **state)
{
	um_engine *e = new_engine(0, 0);
	int lane = add_lane(e, 10, 5000, 0), done = 0;

	(void)state;
	submit(e, lane, "rl1/leftx", count_done, &done);
	run(e);
	assert_true(engine_lane_window(e, lane) == 10.0);
	submit(e, lane, "rl2/left3", count_done, &done);
	run(e);
	assert_true(engine_lane_window(e, lane) == 3.0);
	submit(e, lane, "rl3/aleft0", count_done, &done);
	run(e);
	assert_true(engine_lane_window(e, lane) == 1.0);
	assert_int_equal(done, 3);
	engine_free(e);
}

/* A remaining-tokens header caps the window at the calls it allows, at what
 * the lane's calls have used (a running mean); nothing before a call was
 * noted, and the smaller of the two caps wins. */
static void test_rate_limit_tokens(void **state)
{
	um_engine *e = new_engine(0, 0);
	int lane = add_lane(e, 10, 5000, 0), done = 0;

	(void)state;
	submit(e, lane, "rt1/tok1k", count_done, &done);
	run(e);
	assert_true(engine_lane_window(e, lane) == 10.0);
	engine_lane_note_tokens(e, lane, 0); /* no count: not noted */
	engine_lane_note_tokens(e, lane, -5);
	submit(e, lane, "rt2/tok1k", count_done, &done);
	run(e);
	assert_true(engine_lane_window(e, lane) == 10.0);
	engine_lane_note_tokens(e, lane, 300);
	submit(e, lane, "rt3/tok1k", count_done, &done);
	run(e);
	assert_true(engine_lane_window(e, lane) == 3.0); /* 1000 / 300 */
	/* mean 0.8 * 300 + 0.2 * 100 = 260; 500 / 260 < 50 requests left */
	engine_lane_note_tokens(e, lane, 100);
	submit(e, lane, "rt4/atok", count_done, &done);
	run(e);
	assert_true(engine_lane_window(e, lane) == 1.0);
	engine_lane_note_tokens(e, 7, 100); /* no such lane: ignored */
	assert_int_equal(done, 4);
	engine_free(e);
}

/* Requests- and tokens-per-minute limits (engine.c, "Rate limits"): the
 * starts of a lane's tries stay within what a bucket of one second's worth,
 * refilled at the limit's rate, allows. Lower bounds only. */
#define PACE_MAX 64

struct pace {
	um_engine *e;
	int lane;
	int64_t tokens; /* noted for each call, if > 0 */
	int n;
	int64_t start[PACE_MAX], end[PACE_MAX]; /* wall ms */
};

static int pace_try(void *ctx, const um_try *t)
{
	struct pace *p = ctx;

	assert_true(p->n < PACE_MAX);
	p->start[p->n] = t->started_ms;
	p->end[p->n] = um_wall_ms();
	p->n++;
	if (p->tokens > 0)
		engine_lane_note_tokens(p->e, p->lane, p->tokens);
	return UM_TRY_DONE;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void test_rate_limit_requests(void **state)
{
	um_engine *e = new_engine(0, 0);
	um_lane_opts lo = {.concurrency = 50, .timeout_ms = 5000, .requests_per_minute = 1200};
	struct pace p = {0};
	int i, lane = engine_add_lane(e, &lo);

	(void)state;
	p.e = e;
	p.lane = lane;
	for (i = 0; i < 50; i++)
		submit(e, lane, "rpm/200", pace_try, &p);
	run(e);
	assert_int_equal(p.n, 50);
	qsort(p.start, (size_t)p.n, sizeof(p.start[0]), cmp_i64);
	/* 20 a second, 20 at once: start k waits for (k - 19) refills of 50 ms
	 * (3 ms for the rounding of the clocks to milliseconds) */
	for (i = 20; i < 50; i++)
		assert_true(p.start[i] - p.start[0] >= (int64_t)(i - 19) * 50 - 3);
	engine_free(e);
}

static void test_rate_limit_tokens_per_minute(void **state)
{
	um_engine *e = new_engine(0, 0);
	um_lane_opts lo = {.concurrency = 10, .timeout_ms = 5000, .tokens_per_minute = 60000};
	um_lane_opts bad = {.concurrency = 1, .requests_per_minute = -1};
	struct pace p = {0};
	int i, lane = engine_add_lane(e, &lo);

	(void)state;
	assert_int_equal(engine_add_lane(e, &bad), -1);
	p.e = e;
	p.lane = lane;
	p.tokens = 300;
	for (i = 0; i < 10; i++)
		submit(e, lane, "tpm/200", pace_try, &p);
	run(e);
	assert_int_equal(p.n, 10);
	/* the first try went out alone: nothing was known of a call's tokens */
	for (i = 1; i < 10; i++)
		assert_true(p.start[i] >= p.end[0] - 1);
	qsort(p.start, (size_t)p.n, sizeof(p.start[0]), cmp_i64);
	/* 1,000 tokens a second and 1,000 at once, 300 a call, one call of
	 * overshoot: start k needs 300 k - 1,300 tokens of refill */
	for (i = 5; i < 10; i++)
		assert_true(p.start[i] - p.start[0] >= (int64_t)(300 * i - 1300) - 2);
	engine_free(e);
}

static int scan_token(const char *buf, size_t len, size_t *used)
{
	const char *nl;
	size_t off = 0;

	*used = 0;
	while ((nl = memchr(buf + off, '\n', len - off))) {
		size_t n = (size_t)(nl - (buf + off));
		int hit = n == 11 && memcmp(buf + off, "data: token", 11) == 0;

		off += n + 1;
		*used = off;
		if (hit)
			return 1;
	}
	return 0;
}

static int keep_ttft(void *ctx, const um_try *t)
{
	*(int64_t *)ctx = t->ttft_ms;
	return UM_TRY_DONE;
}

/* A streamed try reports when its first token came; others report -1. */
static void test_first_token(void **state)
{
	um_engine *e = new_engine(0, 0);
	int lane = add_lane(e, 2, 5000, 0);
	um_submit_opts o = {.token_scan = scan_token, .stall_ms = 5000};
	int64_t ttft = -2, plain = -2;
	char *url = url_for("tt/sse");
	um_error err;

	(void)state;
	assert_int_equal(engine_submit_opts(e, lane, url, "{}", 2, NULL, 0, &o, keep_ttft, &ttft,
					    &err),
			 0);
	assert_int_equal(engine_submit(e, lane, url, "{}", 2, NULL, 0, keep_ttft, &plain, &err), 0);
	run(e);
	assert_true(ttft >= 0);
	assert_true(plain == -1);
	free(url);
	engine_free(e);
}

static void test_connection_reuse(void **state)
{
	um_engine *e = new_engine(0, 0);
	int lane = add_lane(e, 4, 5000, 0), i, done = 0, before;

	(void)state;
	before = atomic_load(&server.connections);
	for (i = 0; i < 200; i++)
		submit(e, lane, "reuse1/200", count_done, &done);
	run(e);
	assert_int_equal(done, 200);
	/* Four at a time over kept-alive connections: a handful, not 200. */
	assert_true(atomic_load(&server.connections) - before <= 20);
	engine_free(e);
}

/* Eight calls at once open eight connections; a second batch reuses them,
 * unless engine_no_more_requests came first: then each connection closed as
 * its call ended (at most one kept idle), and the batch opens its own. */
static int batch_connections(int no_more)
{
	um_engine *e = new_engine(0, 0);
	int lane = add_lane(e, 8, 5000, 0), i, done = 0, before;

	for (i = 0; i < 8; i++)
		submit(e, lane, no_more ? "nomore1/slow" : "nomore2/slow", count_done, &done);
	if (no_more)
		engine_no_more_requests(e);
	run(e);
	before = atomic_load(&server.connections);
	for (i = 0; i < 8; i++)
		submit(e, lane, "nomore3/slow", count_done, &done);
	run(e);
	assert_int_equal(done, 16);
	engine_free(e);
	return atomic_load(&server.connections) - before;
}

static void test_no_more_requests(void **state)
{
	(void)state;
	assert_int_equal(batch_connections(0), 0);
	assert_true(batch_connections(1) >= 7);
}

/* engine_close_idle: refused with work queued; once idle, the connections
 * close in a thread of the engine's while the caller goes on, nothing can
 * be submitted or run, engine_stop and engine_wakeup stay safe, and
 * engine_free waits for it. */
static void test_close_idle(void **state)
{
	um_engine *e = new_engine(0, 0);
	int lane = add_lane(e, 8, 5000, 0), i, done = 0;
	um_error err;

	(void)state;
	submit(e, lane, "close1/200", count_done, &done);
	assert_int_equal(engine_close_idle(e), -1); /* a request is queued */
	for (i = 0; i < 15; i++)
		submit(e, lane, "close1/200", count_done, &done);
	run(e);
	assert_int_equal(done, 16);
	assert_int_equal(engine_close_idle(e), 0);
	assert_int_equal(engine_close_idle(e), -1); /* once */
	assert_int_equal(engine_submit(e, lane, "http://127.0.0.1:1/", NULL, 0, NULL, 0,
				       count_done, &done, &err), -1);
	assert_int_equal(engine_run(e, NULL, NULL, 0, &err), -1);
	engine_wakeup(e);
	engine_stop(e);
	engine_free(e);
	assert_int_equal(done, 16);
}

struct order {
	char seen[32][8];
	int n;
	const char *name;
};

struct order_ctx {
	struct order *o;
	char name[8];
};

static int order_try(void *ctx, const um_try *t)
{
	struct order_ctx *c = ctx;

	(void)t;
	snprintf(c->o->seen[c->o->n++], 8, "%s", c->name);
	return UM_TRY_DONE;
}

static void test_round_robin(void **state)
{
	um_engine *e = new_engine(1, 0);
	int a = add_lane(e, 8, 5000, 0), b = add_lane(e, 8, 5000, 0), i;
	struct order o = {0};
	struct order_ctx ca[10], cb[2];

	(void)state;
	for (i = 0; i < 10; i++) {
		ca[i].o = &o;
		snprintf(ca[i].name, sizeof(ca[i].name), "a%d", i);
		submit(e, a, "rr1/200", order_try, &ca[i]);
	}
	for (i = 0; i < 2; i++) {
		cb[i].o = &o;
		snprintf(cb[i].name, sizeof(cb[i].name), "b%d", i);
		submit(e, b, "rr2/200", order_try, &cb[i]);
	}
	run(e);
	assert_int_equal(o.n, 12);
	/* Lane b does not wait behind lane a's queue. */
	assert_string_equal(o.seen[0], "a0");
	assert_string_equal(o.seen[1], "b0");
	assert_string_equal(o.seen[2], "a1");
	assert_string_equal(o.seen[3], "b1");
	assert_string_equal(o.seen[11], "a9");
	engine_free(e);
}

struct chain {
	um_engine *e;
	int lane;
	int steps;
	int statuses[8];
};

static int chain_try(void *ctx, const um_try *t)
{
	struct chain *c = ctx;
	char script[32];

	c->statuses[c->steps++] = (int)t->http_status;
	if (c->steps < 5) {
		snprintf(script, sizeof(script), "chain%d/200", c->steps);
		submit(c->e, c->lane, script, chain_try, c);
	}
	return UM_TRY_DONE;
}

static void test_reentrant_submit(void **state)
{
	um_engine *e = new_engine(0, 0);
	struct chain c = {.e = e};
	int i;

	(void)state;
	c.lane = add_lane(e, 2, 5000, 0);
	submit(e, c.lane, "chain0/200", chain_try, &c);
	run(e);
	assert_int_equal(c.steps, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(c.statuses[i], 200);
	engine_free(e);
}

struct stopper {
	um_engine *e;
	int ticks;
};

static void stop_tick(void *ctx)
{
	struct stopper *s = ctx;
	um_engine_stats st;

	engine_get_stats(s->e, &st);
	/* Stop once the sleeping retry is in the heap and the rest are out. */
	if (++s->ticks >= 3 && st.sleeping == 1 && st.in_flight == 4)
		engine_stop(s->e);
}

static int abandoned;

static void count_abandon(void *ctx)
{
	(void)ctx;
	abandoned++;
}

static void test_stop(void **state)
{
	um_engine *e = new_engine(0, 0);
	int lane = add_lane(e, 4, 5000, 0), lane2 = add_lane(e, 4, 5000, 3), i, done = 0;
	struct stopper s = {.e = e};
	struct rec r = {0};
	um_engine_stats st;
	um_error err;

	(void)state;
	engine_set_abandon(e, count_abandon);
	abandoned = 0;
	for (i = 0; i < 8; i++)
		submit(e, lane, "stop1/sleep", count_done, &done);
	submit(e, lane2, "stop2/429,200", rec_try, &r);
	assert_int_equal(engine_run(e, stop_tick, &s, 50, &err), 0);
	/* In-flight and queued requests were dropped without callbacks. */
	assert_int_equal(done, 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(abandoned, 9);
	engine_get_stats(e, &st);
	assert_int_equal(st.in_flight, 0);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.sleeping, 0);

	/* The engine runs again afterwards. */
	submit(e, lane, "stop3/200", count_done, &done);
	run(e);
	assert_int_equal(done, 1);
	/* engine_free hands leftovers to the abandon hook too. */
	submit(e, lane, "stop4/200", count_done, &done);
	engine_free(e);
	assert_int_equal(abandoned, 10);
	assert_int_equal(done, 1);
}


static void test_header_value(void **state)
{
	const char *h = "Content-Type: application/json\r\nX-Routing:  {\"calls\": []} \r\n"
			"retry-after: 3\r\n";
	char *v;

	(void)state;
	v = engine_header_value(h, "x-routing");
	assert_non_null(v);
	assert_string_equal(v, "{\"calls\": []}");
	free(v);
	v = engine_header_value(h, "Retry-After");
	assert_string_equal(v, "3");
	free(v);
	assert_null(engine_header_value(h, "X-Rout"));
	assert_null(engine_header_value(h, "Missing"));
	assert_null(engine_header_value(NULL, "X"));
	assert_null(engine_header_value("garbage without colon\r\n", "garbage"));
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_value),
		cmocka_unit_test(test_retry_after_parse),
		cmocka_unit_test(test_api_garbage),
		cmocka_unit_test(test_ok_and_echo),
		cmocka_unit_test(test_retry_sequence),
		cmocka_unit_test(test_last_chance),
		cmocka_unit_test(test_retry_after_delay),
		cmocka_unit_test(test_timeout_and_close),
		cmocka_unit_test(test_body_limit),
		cmocka_unit_test(test_lane_ceiling),
		cmocka_unit_test(test_window_aimd),
		cmocka_unit_test(test_rate_limit_headers),
		cmocka_unit_test(test_rate_limit_tokens),
		cmocka_unit_test(test_rate_limit_requests),
		cmocka_unit_test(test_rate_limit_tokens_per_minute),
		cmocka_unit_test(test_first_token),
		cmocka_unit_test(test_connection_reuse),
		cmocka_unit_test(test_close_idle),
		cmocka_unit_test(test_no_more_requests),
		cmocka_unit_test(test_round_robin),
		cmocka_unit_test(test_reentrant_submit),
		cmocka_unit_test(test_stop),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
