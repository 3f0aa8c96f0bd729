/*
 * test_proxy.c - the recording proxy over real HTTP on 127.0.0.1: the
 * simulated pool as upstream (and a twin of it for byte comparisons), a
 * small upstream written here that streams fixed SSE bodies in pieces,
 * echoes what it received, or breaks off mid-stream. Covers passthrough
 * (plain and streamed, byte for byte, incrementally), usage and cost with
 * cached tokens, the three attribution methods (traceparent through the
 * simulated orchestrator with concurrent clients, path token, single-flight
 * resolver), upstream failures, malformed requests, key handling, the
 * event queue and the helpers.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "load/models.h"
#include "serve/proxy.h"
#include "store/evq.h"
#include "serve/sim.h"
#include "store/store.h"
#include "load/suite.h"
#include "base/util.h"

#define FIX(name) FIXTURES "/proxy/" name

static um_suite *suite;
static um_sim *sim;      /* upstream of the proxy; its orchestrator calls through the proxy */
static um_sim *twin;     /* same pool, called directly */
static struct MHD_Daemon *fake;
static char fake_url[64];
static um_models *ups;
static um_evq *queue;
static um_proxy *px;
static _Atomic(const char *) single_flight;

/* ------------------------------------------------------------------ */
/* A suite built by hand (the simulator needs one) */

static um_suite *mk_suite(size_t n)
{
	um_suite *s = um_xcalloc(1, sizeof(*s));
	size_t i;
	int j;

	s->name = um_xstrdup("proxy-test");
	s->items = um_xcalloc(n, sizeof(um_item));
	s->n_items = n;
	for (i = 0; i < n; i++) {
		um_item *it = &s->items[i];

		it->id = um_xasprintf("q%zu", i);
		it->category = um_xstrdup("Physics");
		it->question = um_xasprintf("Question %zu: which value does the apparatus in "
					    "configuration %zu measure after the change?",
					    i, i * 11 + 2);
		it->n_choices = 4;
		for (j = 0; j < 4; j++)
			it->choices[j] = um_xasprintf("reading %zu-%d", i, j);
		it->correct = (int)(i % 4);
	}
	return s;
}

static void free_suite(um_suite *s)
{
	size_t i;
	int j;

	for (i = 0; i < s->n_items; i++) {
		free(s->items[i].id);
		free(s->items[i].category);
		free(s->items[i].question);
		for (j = 0; j < s->items[i].n_choices; j++)
			free(s->items[i].choices[j]);
	}
	free(s->items);
	free(s->name);
	free(s);
}

static char *mk_body(const char *model, int item, int stream)
{
	const um_item *it = &suite->items[item];
	char *prompt = um_xasprintf("Answer with 'Answer: LETTER'.\n\n%s\n\n(A) %s\n(B) %s\n"
				    "(C) %s\n(D) %s",
				    it->question, it->choices[0], it->choices[1], it->choices[2],
				    it->choices[3]);
	json_t *j = json_pack("{s:s, s:[{s:s, s:s}], s:i, s:i}", "model", model, "messages",
			      "role", "user", "content", prompt, "temperature", 0, "max_tokens",
			      512);
	char *s;

	if (stream)
		json_object_set_new(j, "stream", json_true());
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	free(prompt);
	return s;
}

/* ------------------------------------------------------------------ */
/* The fake upstream */

static const char oa_sse[] =
	"data: {\"id\":\"chatcmpl-x1\",\"object\":\"chat.completion.chunk\",\"model\":\"sse-oa\","
	"\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
	"\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"chatcmpl-x1\",\"object\":\"chat.completion.chunk\",\"model\":\"sse-oa\","
	"\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Answer\"},\"finish_reason\":null}]}\n\n"
	": keep-alive comment\n\n"
	"data: {\"id\":\"chatcmpl-x1\",\"object\":\"chat.completion.chunk\",\"model\":\"sse-oa\","
	"\"choices\":[{\"index\":0,\"delta\":{\"content\":\": B\"},\"finish_reason\":\"stop\"}]}"
	"\r\n\r\n"
	"data: {\"id\":\"chatcmpl-x1\",\"object\":\"chat.completion.chunk\",\"model\":\"sse-oa\","
	"\"choices\":[],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":20,"
	"\"total_tokens\":70,\"prompt_tokens_details\":{\"cached_tokens\":10}}}\n\n"
	"data: [DONE]\n\n";

static const char an_sse[] =
	"event: message_start\n"
	"data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
	"\"role\":\"assistant\",\"model\":\"sse-an\",\"content\":[],\"stop_reason\":null,"
	"\"usage\":{\"input_tokens\":30,\"cache_read_input_tokens\":20,"
	"\"cache_creation_input_tokens\":0,\"output_tokens\":1}}}\n\n"
	"event: content_block_start\n"
	"data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
	"\"text\":\"\"}}\n\n"
	"event: ping\ndata: {\"type\":\"ping\"}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
	"\"text\":\"Answer: D\"}}\n\n"
	"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
	"event: message_delta\n"
	"data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
	"\"stop_sequence\":null},\"usage\":{\"output_tokens\":45}}\n\n"
	"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

#define FAKE_PIECES 6

/* The gate: the fake holds its last piece until the client has seen the
 * ones before it (or 10 s pass), which proves bytes are passed on as they
 * arrive rather than after the upstream is done. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int armed, open, timed_out;
} gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};

static struct {
	pthread_mutex_t mu;
	char authorization[256], api_key[256], traceparent[128], version[64];
	int calls;
} seen = {PTHREAD_MUTEX_INITIALIZER, "", "", "", "", 0};

typedef struct fake_conn {
	char *data;
	size_t len;
} fake_conn;

typedef struct fake_stream {
	const char *text;
	size_t len, pos;
	int piece;
	int fail_after;          /* pieces sent before breaking off; 0 = never */
	int gated;
} fake_stream;

static void fake_pause(void)
{
	struct timespec ts = {0, 15 * 1000000L};

	nanosleep(&ts, NULL);
}

static ssize_t fake_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	fake_stream *fs = cls;
	size_t piece = fs->len / FAKE_PIECES + 1, n;

	(void)pos;
	if (fs->pos >= fs->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (fs->fail_after && fs->piece == fs->fail_after)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (fs->piece > 0)
		fake_pause();
	if (fs->gated && fs->piece == FAKE_PIECES - 1) {
		struct timespec dl;

		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 10;
		pthread_mutex_lock(&gate.mu);
		while (!gate.open)
			if (pthread_cond_timedwait(&gate.cv, &gate.mu, &dl) != 0) {
				gate.timed_out = 1;
				break;
			}
		pthread_mutex_unlock(&gate.mu);
	}
	n = fs->len - fs->pos < piece ? fs->len - fs->pos : piece;
	if (n > max)
		n = max;
	memcpy(buf, fs->text + fs->pos, n);
	fs->pos += n;
	fs->piece++;
	return (ssize_t)n;
}

static void copy_header(struct MHD_Connection *c, const char *name, char *dst, size_t cap)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

	snprintf(dst, cap, "%s", v ? v : "");
}

static enum MHD_Result fake_handler(void *cls, struct MHD_Connection *c, const char *url,
				    const char *method, const char *version, const char *up,
				    size_t *up_size, void **con_cls)
{
	fake_conn *fc = *con_cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	const char *model;
	json_t *req, *out;
	char *text;

	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	if (!fc) {
		*con_cls = um_xcalloc(1, sizeof(fake_conn));
		return MHD_YES;
	}
	if (*up_size) {
		fc->data = um_xrealloc(fc->data, fc->len + *up_size + 1);
		memcpy(fc->data + fc->len, up, *up_size);
		fc->len += *up_size;
		fc->data[fc->len] = '\0';
		*up_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&seen.mu);
	copy_header(c, "Authorization", seen.authorization, sizeof(seen.authorization));
	copy_header(c, "x-api-key", seen.api_key, sizeof(seen.api_key));
	copy_header(c, "traceparent", seen.traceparent, sizeof(seen.traceparent));
	copy_header(c, "anthropic-version", seen.version, sizeof(seen.version));
	seen.calls++;
	pthread_mutex_unlock(&seen.mu);

	req = json_loadb(fc->data ? fc->data : "", fc->len, 0, NULL);
	model = json_string_value(json_object_get(req, "model"));
	if (model && um_has_prefix(model, "sse-")) {
		fake_stream *fs = um_xcalloc(1, sizeof(*fs));
		int anth = strcmp(model, "sse-an") == 0;

		fs->text = anth ? an_sse : oa_sse;
		fs->len = strlen(fs->text);
		fs->fail_after = strcmp(model, "sse-fail") == 0 ? 2 : 0;
		pthread_mutex_lock(&gate.mu);
		fs->gated = gate.armed;
		pthread_mutex_unlock(&gate.mu);
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, fake_read, fs,
							 free);
		MHD_add_response_header(resp, "Content-Type", "text/event-stream");
		MHD_add_response_header(resp, "x-request-id", "fake-req-1");
		MHD_add_response_header(resp, "Set-Cookie", "secret=1");
		ret = MHD_queue_response(c, 200, resp);
		MHD_destroy_response(resp);
		json_decref(req);
		return ret;
	}
	if (model && strcmp(model, "echo-an") == 0)
		out = json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s}], s:s, s:{s:i, s:i, s:i, s:i}}",
				"id", "msg_echo", "type", "message", "role", "assistant", "model",
				"echo-an-v1", "content", "type", "text", "text", "Answer: A",
				"stop_reason", "end_turn", "usage", "input_tokens", 600,
				"cache_read_input_tokens", 400, "cache_creation_input_tokens", 0,
				"output_tokens", 250);
	else
		out = json_pack("{s:s, s:s, s:s, s:[{s:i, s:{s:s, s:s}, s:s}], "
				"s:{s:i, s:i, s:i, s:{s:i}}}",
				"id", "chatcmpl-echo", "object", "chat.completion", "model",
				"echo-v1", "choices", "index", 0, "message", "role", "assistant",
				"content", "Answer: A", "finish_reason", "stop", "usage",
				"prompt_tokens", 1000, "completion_tokens", 250, "total_tokens",
				1250, "prompt_tokens_details", "cached_tokens", 400);
	json_object_set_new(out, "seen_model", json_string(model ? model : ""));
	text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(out);
	json_decref(req);
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void fake_done(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	fake_conn *fc = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (fc) {
		free(fc->data);
		free(fc);
	}
	*con_cls = NULL;
}

/* ------------------------------------------------------------------ */
/* HTTP client */

typedef struct http_res {
	CURLcode rc;
	long status;
	char *body;
	size_t len;
	size_t gate_at;          /* open the gate once this many bytes arrived (0: no) */
	int saw_request_id, saw_cookie;
} http_res;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	http_res *r = ud;

	r->body = um_xrealloc(r->body, r->len + size * n + 1);
	memcpy(r->body + r->len, p, size * n);
	r->len += size * n;
	r->body[r->len] = '\0';
	if (r->gate_at && r->len >= r->gate_at) {
		pthread_mutex_lock(&gate.mu);
		gate.open = 1;
		pthread_cond_broadcast(&gate.cv);
		pthread_mutex_unlock(&gate.mu);
	}
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	http_res *r = ud;

	if (size * n >= 13 && strncasecmp(p, "x-request-id:", 13) == 0)
		r->saw_request_id = 1;
	if (size * n >= 11 && strncasecmp(p, "set-cookie:", 11) == 0)
		r->saw_cookie = 1;
	return size * n;
}

/* POST (or method) body to base + path with extra header lines (NULL-ended). */
static void http_call(const char *base, const char *path, const char *method, const char *body,
		      size_t len, const char *const *headers, http_res *r)
{
	char *url = um_xasprintf("%s%s", base, path);
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	size_t gate_at = r->gate_at;
	CURL *h = curl_easy_init();

	memset(r, 0, sizeof(*r));
	r->gate_at = gate_at;
	hdrs = curl_slist_append(hdrs, "Expect:");
	for (; headers && *headers; headers++)
		hdrs = curl_slist_append(hdrs, *headers);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if (method)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	r->rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	free(url);
}

static void px_post(const char *path, const char *body, const char *const *headers,
		    http_res *r)
{
	r->gate_at = 0;
	http_call(proxy_base_url(px), path, NULL, body, strlen(body), headers, r);
}

/* ------------------------------------------------------------------ */
/* Events */

static um_routing_rec *drain(size_t *n)
{
	um_routing_rec *evs = NULL;

	*n = evq_drain(queue, &evs);
	return evs;
}

/* Exactly one event, checked to be a proxy event; caller frees. */
static um_routing_rec *one_event(void)
{
	size_t n;
	um_routing_rec *evs = drain(&n);

	if (n != 1)
		fail_msg("%zu events, wanted 1", n);
	assert_string_equal(evs[0].source, "proxy");
	return evs;
}

static json_t *detail(const um_routing_rec *ev)
{
	json_t *d = json_loads(ev->detail_json ? ev->detail_json : "", 0, NULL);

	if (!json_is_object(d))
		fail_msg("detail is not a JSON object: %s", ev->detail_json ? ev->detail_json : "");
	return d;
}

static const char *dstr(const json_t *d, const char *k)
{
	return json_string_value(json_object_get(d, k));
}

static int64_t cost(int64_t in, int64_t cached, int64_t out, double pin, double pcached,
		    double pout)
{
	int64_t num = (in - cached) * (int64_t)(pin * 1e6) + cached * (int64_t)(pcached * 1e6) +
		      out * (int64_t)(pout * 1e6);

	return (num + 500000) / 1000000;
}

static const char *resolve_attempt(void *ctx)
{
	(void)ctx;
	return atomic_load(&single_flight);
}

/* ------------------------------------------------------------------ */
/* Tests */

static void test_traceparent_parse(void **state)
{
	static const char *const bad[] = {
		"",
		"00",
		"garbage garbage garbage garbage garbage garbage garbage!",
		"00-0123456789ABCDEF0123456789abcdef-0123456789abcdef-01", /* upper case */
		"00-00000000000000000000000000000000-0123456789abcdef-01", /* zero trace */
		"00-0123456789abcdef0123456789abcdef-0000000000000000-01", /* zero span */
		"ff-0123456789abcdef0123456789abcdef-0123456789abcdef-01", /* forbidden version */
		"00-0123456789abcdef0123456789abcdef-0123456789abcdef-01-extra",
		"00-0123456789abcdef0123456789abcde-0123456789abcdef-011",
		"00_0123456789abcdef0123456789abcdef-0123456789abcdef-01",
		"00-0123456789abcdef0123456789abcdeg-0123456789abcdef-01",
		"01-0123456789abcdef0123456789abcdef-0123456789abcdef-01x",
		NULL};
	char id[33], tp[56];
	int i;

	(void)state;
	assert_int_equal(proxy_parse_traceparent(
				 "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01", id),
			 0);
	assert_string_equal(id, "0123456789abcdef0123456789abcdef");
	/* a later version may carry more fields */
	assert_int_equal(
		proxy_parse_traceparent(
			"01-fedcba9876543210fedcba9876543210-0123456789abcdef-00-more", id),
		0);
	assert_string_equal(id, "fedcba9876543210fedcba9876543210");
	assert_int_equal(proxy_parse_traceparent(NULL, id), -1);
	for (i = 0; bad[i]; i++)
		if (proxy_parse_traceparent(bad[i], id) == 0)
			fail_msg("accepted bad traceparent '%s'", bad[i]);

	assert_int_equal(proxy_traceparent_for("0123456789abcdef0123456789abcdef", 1, tp), 0);
	assert_int_equal(strlen(tp), 55);
	assert_int_equal(proxy_parse_traceparent(tp, id), 0);
	assert_string_equal(id, "0123456789abcdef0123456789abcdef");
	{
		char tp2[56];

		assert_int_equal(proxy_traceparent_for("0123456789abcdef0123456789abcdef", 2, tp2),
				 0);
		assert_string_not_equal(tp, tp2); /* a new span per try */
	}
	assert_int_equal(proxy_traceparent_for("not-an-attempt", 1, tp), -1);
	assert_int_equal(proxy_traceparent_for("00000000000000000000000000000000", 1, tp), -1);
}

static void test_passthrough_plain(void **state)
{
	char *body = mk_body("m-a", 3, 0);
	http_res direct, via;
	um_routing_rec *ev;
	json_t *resp, *u, *d;
	int64_t in, cached, out;

	(void)state;
	http_call(sim_base_url(twin), "/v1/chat/completions", NULL, body, strlen(body), NULL,
		  &direct);
	px_post("/v1/chat/completions", body, NULL, &via);
	assert_int_equal(direct.status, 200);
	assert_int_equal(via.status, 200);
	assert_int_equal(via.len, direct.len);
	assert_memory_equal(via.body, direct.body, direct.len);

	resp = json_loadb(via.body, via.len, 0, NULL);
	assert_non_null(resp);
	u = json_object_get(resp, "usage");
	in = json_integer_value(json_object_get(u, "prompt_tokens"));
	out = json_integer_value(json_object_get(u, "completion_tokens"));
	cached = json_integer_value(
		json_object_get(json_object_get(u, "prompt_tokens_details"), "cached_tokens"));
	assert_true(in > 0 && out > 0);
	assert_true(cached > 0); /* the pool reports a quarter of the input as cached */

	ev = one_event();
	assert_string_equal(ev->sub_model, "m-a");
	assert_int_equal(ev->status, 200);
	assert_int_equal(ev->tokens_in, in);
	assert_int_equal(ev->tokens_cached, cached);
	assert_int_equal(ev->tokens_out, out);
	assert_int_equal(ev->cost_micro, cost(in, cached, out, 2.0, 0.5, 8.0));
	assert_string_equal(ev->attribution, "none");
	assert_string_equal(ev->attempt_id, "");
	assert_true(ev->latency_ms >= 0);
	assert_true(ev->at_ms > 0);
	d = detail(ev);
	assert_string_equal(dstr(d, "served_model"), "m-a");
	assert_string_equal(dstr(d, "provider"), "openai");
	assert_true(json_is_false(json_object_get(d, "stream")));
	assert_null(json_object_get(d, "error"));
	assert_int_equal(json_integer_value(json_object_get(d, "bytes")), (json_int_t)via.len);

	json_decref(d);
	json_decref(resp);
	evq_events_free(ev, 1);
	free(direct.body);
	free(via.body);
	free(body);

	/* Anthropic messages, with an alias: the upstream gets its own model id */
	body = mk_body("m-a-messages", 5, 0);
	px_post("/v1/messages", body, NULL, &via);
	assert_int_equal(via.status, 200);
	resp = json_loadb(via.body, via.len, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(resp, "type")), "message");
	assert_string_equal(json_string_value(json_object_get(resp, "model")), "m-a");
	u = json_object_get(resp, "usage");
	ev = one_event();
	assert_string_equal(ev->sub_model, "m-a-messages");
	assert_int_equal(ev->tokens_cached,
			 json_integer_value(json_object_get(u, "cache_read_input_tokens")));
	assert_int_equal(ev->tokens_in,
			 json_integer_value(json_object_get(u, "input_tokens")) +
				 ev->tokens_cached);
	assert_int_equal(ev->tokens_out, json_integer_value(json_object_get(u, "output_tokens")));
	assert_int_equal(ev->cost_micro,
			 cost(ev->tokens_in, ev->tokens_cached, ev->tokens_out, 2.0, 0.5, 8.0));
	json_decref(resp);
	evq_events_free(ev, 1);
	free(via.body);
	free(body);
}

static void test_usage_cost_cached(void **state)
{
	static const char *const hdr[] = {"Authorization: Bearer orch-secret", NULL};
	http_res r;
	um_routing_rec *ev;
	json_t *d;

	(void)state;
	setenv("PROXY_TEST_KEY", "sk-upstream-123", 1);
	setenv("PROXY_TEST_KEY_AN", "sk-an-456", 1);
	px_post("/v1/chat/completions",
		"{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", hdr,
		&r);
	assert_int_equal(r.status, 200);
	ev = one_event();
	assert_int_equal(ev->tokens_in, 1000);
	assert_int_equal(ev->tokens_cached, 400);
	assert_int_equal(ev->tokens_out, 250);
	/* 600 x $2 + 400 x $0.5 + 250 x $8 per Mtok = 3400 micro-USD */
	assert_int_equal(ev->cost_micro, 3400);
	d = detail(ev);
	assert_string_equal(dstr(d, "served_model"), "echo-v1");
	assert_string_equal(dstr(d, "finish_reason"), "stop");
	json_decref(d);
	evq_events_free(ev, 1);
	free(r.body);

	px_post("/v1/messages",
		"{\"model\":\"echo-an\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
		"\"content\":\"x\"}]}",
		hdr, &r);
	assert_int_equal(r.status, 200);
	ev = one_event();
	assert_int_equal(ev->tokens_in, 1000); /* 600 uncached + 400 read from cache */
	assert_int_equal(ev->tokens_cached, 400);
	assert_int_equal(ev->tokens_out, 250);
	/* 600 x $3 + 400 x $0.3 + 250 x $15 per Mtok = 5670 micro-USD */
	assert_int_equal(ev->cost_micro, 5670);
	evq_events_free(ev, 1);
	free(r.body);
}

static void test_api_key_from_environment(void **state)
{
	static const char *const hdr[] = {"Authorization: Bearer orch-secret",
					  "x-api-key: orch-secret", NULL};
	http_res r;
	um_routing_rec *ev;
	json_t *d;
	int calls;

	(void)state;
	setenv("PROXY_TEST_KEY", "sk-upstream-123", 1);
	setenv("PROXY_TEST_KEY_AN", "sk-an-456", 1);
	px_post("/v1/chat/completions",
		"{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", hdr,
		&r);
	assert_int_equal(r.status, 200);
	pthread_mutex_lock(&seen.mu);
	assert_string_equal(seen.authorization, "Bearer sk-upstream-123");
	assert_string_equal(seen.api_key, "");
	pthread_mutex_unlock(&seen.mu);
	ev = one_event();
	assert_null(strstr(ev->detail_json, "sk-"));
	assert_null(strstr(ev->detail_json, "orch-secret"));
	evq_events_free(ev, 1);
	free(r.body);

	/* the key is read when forwarding: a change is seen by the next call */
	setenv("PROXY_TEST_KEY", "sk-rotated-789", 1);
	px_post("/v1/chat/completions",
		"{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", hdr,
		&r);
	pthread_mutex_lock(&seen.mu);
	assert_string_equal(seen.authorization, "Bearer sk-rotated-789");
	pthread_mutex_unlock(&seen.mu);
	evq_events_free(one_event(), 1);
	free(r.body);

	px_post("/v1/messages",
		"{\"model\":\"echo-an\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
		"\"content\":\"x\"}]}",
		hdr, &r);
	assert_int_equal(r.status, 200);
	pthread_mutex_lock(&seen.mu);
	assert_string_equal(seen.api_key, "sk-an-456");
	assert_string_equal(seen.authorization, "");
	assert_string_equal(seen.version, "2023-06-01");
	pthread_mutex_unlock(&seen.mu);
	evq_events_free(one_event(), 1);
	free(r.body);

	/* no key in the environment: not forwarded, 502, event with status 0 */
	unsetenv("PROXY_TEST_UNSET_KEY");
	pthread_mutex_lock(&seen.mu);
	calls = seen.calls;
	pthread_mutex_unlock(&seen.mu);
	px_post("/v1/chat/completions",
		"{\"model\":\"nokey\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", hdr,
		&r);
	assert_int_equal(r.status, 502);
	assert_non_null(strstr(r.body, "PROXY_TEST_UNSET_KEY"));
	pthread_mutex_lock(&seen.mu);
	assert_int_equal(seen.calls, calls);
	pthread_mutex_unlock(&seen.mu);
	ev = one_event();
	assert_int_equal(ev->status, 0);
	assert_string_equal(ev->sub_model, "nokey");
	d = detail(ev);
	assert_non_null(strstr(dstr(d, "error"), "PROXY_TEST_UNSET_KEY"));
	json_decref(d);
	evq_events_free(ev, 1);
	free(r.body);
}

static void test_stream_passthrough_openai(void **state)
{
	const char *body = "{\"model\":\"sse-oa\",\"stream\":true,\"stream_options\":"
			   "{\"include_usage\":true},\"messages\":[{\"role\":\"user\","
			   "\"content\":\"x\"}]}";
	http_res r;
	um_routing_rec *ev;
	json_t *d;
	size_t gate_at = (strlen(oa_sse) / FAKE_PIECES + 1) * (FAKE_PIECES - 1);

	(void)state;
	pthread_mutex_lock(&gate.mu);
	gate.armed = 1;
	gate.open = 0;
	gate.timed_out = 0;
	pthread_mutex_unlock(&gate.mu);
	r.gate_at = gate_at; /* every piece but the last */
	http_call(proxy_base_url(px), "/v1/chat/completions", NULL, body, strlen(body), NULL, &r);
	pthread_mutex_lock(&gate.mu);
	gate.armed = 0;
	assert_int_equal(gate.timed_out, 0); /* the client had the first pieces in time */
	assert_int_equal(gate.open, 1);
	pthread_mutex_unlock(&gate.mu);
	assert_int_equal(r.rc, CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, strlen(oa_sse));
	assert_memory_equal(r.body, oa_sse, strlen(oa_sse));
	assert_int_equal(r.saw_request_id, 1); /* upstream's request id passed back */
	assert_int_equal(r.saw_cookie, 0);     /* other headers are not */

	ev = one_event();
	assert_string_equal(ev->sub_model, "sse-oa");
	assert_int_equal(ev->status, 200);
	assert_int_equal(ev->tokens_in, 50);
	assert_int_equal(ev->tokens_cached, 10);
	assert_int_equal(ev->tokens_out, 20);
	/* 40 x $1 + 10 x $0.1 + 20 x $2 per Mtok = 81 micro-USD */
	assert_int_equal(ev->cost_micro, 81);
	d = detail(ev);
	assert_true(json_is_true(json_object_get(d, "stream")));
	assert_null(json_object_get(d, "error"));
	assert_string_equal(dstr(d, "finish_reason"), "stop");
	assert_string_equal(dstr(d, "response_id"), "chatcmpl-x1");
	assert_int_equal(json_integer_value(json_object_get(d, "bytes")),
			 (json_int_t)strlen(oa_sse));
	json_decref(d);
	evq_events_free(ev, 1);
	free(r.body);
}

static void test_stream_passthrough_anthropic(void **state)
{
	const char *body = "{\"model\":\"sse-an\",\"stream\":true,\"max_tokens\":9,"
			   "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
	http_res r;
	um_routing_rec *ev;
	json_t *d;

	(void)state;
	px_post("/t/attempt-77/v1/messages", body, NULL, &r);
	assert_int_equal(r.rc, CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, strlen(an_sse));
	assert_memory_equal(r.body, an_sse, strlen(an_sse));
	ev = one_event();
	assert_int_equal(ev->tokens_in, 50); /* 30 + 20 read from cache */
	assert_int_equal(ev->tokens_cached, 20);
	assert_int_equal(ev->tokens_out, 45); /* message_delta's count wins */
	/* 30 x $3 + 20 x $0.3 + 45 x $15 per Mtok = 771 micro-USD */
	assert_int_equal(ev->cost_micro, 771);
	assert_string_equal(ev->attribution, "path");
	assert_string_equal(ev->attempt_id, "attempt-77");
	d = detail(ev);
	assert_string_equal(dstr(d, "finish_reason"), "end_turn");
	assert_string_equal(dstr(d, "served_model"), "sse-an");
	assert_null(json_object_get(d, "error"));
	json_decref(d);
	evq_events_free(ev, 1);
	free(r.body);
}

static void test_stream_fails_midway(void **state)
{
	const char *body = "{\"model\":\"sse-fail\",\"stream\":true,"
			   "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
	size_t sent = 2 * (strlen(oa_sse) / FAKE_PIECES + 1);
	http_res r;
	um_routing_rec *ev;
	json_t *d;
	um_proxy_stats st;

	(void)state;
	px_post("/v1/chat/completions", body, NULL, &r);
	assert_int_not_equal(r.rc, CURLE_OK); /* the connection ended early */
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, sent);        /* with every byte sent so far */
	assert_memory_equal(r.body, oa_sse, sent);
	ev = one_event();
	assert_int_equal(ev->status, 200);
	d = detail(ev);
	assert_non_null(dstr(d, "error"));
	assert_non_null(strstr(dstr(d, "error"), "upstream transfer failed"));
	json_decref(d);
	evq_events_free(ev, 1);
	free(r.body);

	/* an upstream nobody listens on: 502 to the client, status 0 event */
	px_post("/v1/chat/completions",
		"{\"model\":\"dead\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", NULL,
		&r);
	assert_int_equal(r.status, 502);
	assert_non_null(strstr(r.body, "upstream call to dead failed"));
	ev = one_event();
	assert_int_equal(ev->status, 0);
	assert_int_equal(ev->cost_micro, 0);
	evq_events_free(ev, 1);
	free(r.body);
	px_post("/v1/chat/completions",
		"{\"model\":\"dead\",\"stream\":true,\"messages\":[{\"role\":\"user\","
		"\"content\":\"x\"}]}",
		NULL, &r);
	assert_int_equal(r.status, 502);
	ev = one_event();
	assert_int_equal(ev->status, 0);
	evq_events_free(ev, 1);
	free(r.body);
	proxy_get_stats(px, &st);
	assert_true(st.failed >= 3);
}

typedef struct client_arg {
	int idx;
	char trace[33];
	int ok;
} client_arg;

static void *client_thread(void *arg)
{
	client_arg *a = arg;
	char tp[80], *body = mk_body("orch", a->idx, 0), *direct = mk_body("m-b", a->idx, 0);
	const char *hdr[] = {tp, NULL};
	http_res r;

	snprintf(tp, sizeof(tp), "traceparent: 00-%s-00f067aa0ba902b7-01", a->trace);
	/* through the orchestrator, which forwards traceparent to its members */
	r.gate_at = 0;
	http_call(sim_base_url(sim), "/v1/chat/completions", NULL, body, strlen(body), hdr, &r);
	a->ok = r.status == 200;
	free(r.body);
	/* and one direct call to the proxy */
	px_post("/v1/chat/completions", direct, hdr, &r);
	a->ok = a->ok && r.status == 200;
	free(r.body);
	free(body);
	free(direct);
	return NULL;
}

#define N_CLIENTS 8

static void test_traceparent_concurrent(void **state)
{
	pthread_t th[N_CLIENTS];
	client_arg args[N_CLIENTS];
	um_routing_rec *evs;
	size_t n, i;
	int k, per[N_CLIENTS][3];

	(void)state;
	memset(per, 0, sizeof(per));
	for (k = 0; k < N_CLIENTS; k++) {
		args[k].idx = k;
		snprintf(args[k].trace, sizeof(args[k].trace), "%08x%08x%08x%08x",
			 0xa77e0000u + (unsigned)k, 0x1234u * (unsigned)(k + 1), 0xfeedu,
			 (unsigned)k);
		assert_int_equal(pthread_create(&th[k], NULL, client_thread, &args[k]), 0);
	}
	for (k = 0; k < N_CLIENTS; k++) {
		pthread_join(th[k], NULL);
		assert_true(args[k].ok);
	}
	evs = drain(&n);
	assert_int_equal(n, N_CLIENTS * 4); /* three members + one direct call each */
	for (i = 0; i < n; i++) {
		int m = evs[i].sub_model[2] - 'a';

		assert_string_equal(evs[i].attribution, "traceparent");
		assert_true(m >= 0 && m < 3);
		for (k = 0; k < N_CLIENTS; k++)
			if (strcmp(evs[i].attempt_id, args[k].trace) == 0)
				break;
		if (k == N_CLIENTS)
			fail_msg("event for unknown attempt '%s'", evs[i].attempt_id);
		per[k][m]++;
	}
	for (k = 0; k < N_CLIENTS; k++) {
		assert_int_equal(per[k][0], 1);
		assert_int_equal(per[k][1], 2); /* member m-b + the direct call */
		assert_int_equal(per[k][2], 1);
	}
	evq_events_free(evs, n);
}

static void test_path_and_single_flight(void **state)
{
	static const char *const tp[] = {
		"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", NULL};
	static const char *const badtp[] = {"traceparent: 00-xyz-01", NULL};
	const char *b = "{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
	http_res r;
	um_routing_rec *ev;
	json_t *d;

	(void)state;
	setenv("PROXY_TEST_KEY", "sk-upstream-123", 1);
	px_post("/t/0123456789abcdef0123456789abcdef/v1/chat/completions", b, NULL, &r);
	assert_int_equal(r.status, 200);
	ev = one_event();
	assert_string_equal(ev->attribution, "path");
	assert_string_equal(ev->attempt_id, "0123456789abcdef0123456789abcdef");
	evq_events_free(ev, 1);
	free(r.body);

	/* a malformed token is a routing error, not a silent "none" */
	px_post("/t/bad%20token/v1/chat/completions", b, NULL, &r);
	assert_int_equal(r.status, 404);
	assert_non_null(strstr(r.body, "attempt token"));
	free(r.body);
	px_post("/t/only-a-token", b, NULL, &r);
	assert_int_equal(r.status, 404);
	free(r.body);

	atomic_store(&single_flight, "11112222333344445555666677778888");
	px_post("/v1/chat/completions", b, NULL, &r);
	ev = one_event();
	assert_string_equal(ev->attribution, "single-flight");
	assert_string_equal(ev->attempt_id, "11112222333344445555666677778888");
	evq_events_free(ev, 1);
	free(r.body);

	/* the header wins over the resolver, and so does the path */
	px_post("/v1/chat/completions", b, tp, &r);
	ev = one_event();
	assert_string_equal(ev->attribution, "traceparent");
	assert_string_equal(ev->attempt_id, "4bf92f3577b34da6a3ce929d0e0e4736");
	evq_events_free(ev, 1);
	free(r.body);
	px_post("/t/tok-1/v1/chat/completions", b, NULL, &r);
	ev = one_event();
	assert_string_equal(ev->attribution, "path");
	evq_events_free(ev, 1);
	free(r.body);

	/* an invalid traceparent falls through, and says so */
	px_post("/v1/chat/completions", b, badtp, &r);
	ev = one_event();
	assert_string_equal(ev->attribution, "single-flight");
	d = detail(ev);
	assert_true(json_is_true(json_object_get(d, "traceparent_invalid")));
	json_decref(d);
	evq_events_free(ev, 1);
	free(r.body);

	/* nothing in flight, or ambiguous: the resolver says NULL -> none */
	atomic_store(&single_flight, NULL);
	px_post("/v1/chat/completions", b, NULL, &r);
	ev = one_event();
	assert_string_equal(ev->attribution, "none");
	assert_string_equal(ev->attempt_id, "");
	evq_events_free(ev, 1);
	free(r.body);
	/* the upstream sees the trace header too */
	px_post("/v1/chat/completions", b, tp, &r);
	pthread_mutex_lock(&seen.mu);
	assert_string_equal(seen.traceparent,
			    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
	pthread_mutex_unlock(&seen.mu);
	evq_events_free(one_event(), 1);
	free(r.body);
}

typedef struct bad_case {
	const char *path, *method, *body;
	long status;
	const char *reason;
	int anthropic;
} bad_case;

static void test_malformed_requests(void **state)
{
	static const bad_case cases[] = {
		{"/v1/chat/completions", NULL, "{not json", 400, "not valid JSON", 0},
		{"/v1/messages", NULL, "\x01\x02\xff garbage", 400, "not valid JSON", 1},
		{"/v1/chat/completions", NULL, "[1,2,3]", 400, "JSON object", 0},
		{"/v1/chat/completions", NULL, "{\"messages\":[]}", 400, "model", 0},
		{"/v1/chat/completions", NULL, "{\"model\":42}", 400, "model", 0},
		{"/v1/chat/completions", NULL, "{\"model\":\"\"}", 400, "model", 0},
		{"/v1/chat/completions", NULL, "{\"model\":\"nope\"}", 404, "not served", 0},
		{"/v1/messages", NULL, "{\"model\":\"nope\"}", 404, "not served", 1},
		{"/v1/messages", NULL, "{\"model\":\"m-a\"}", 400, "chat/completions", 1},
		{"/v1/chat/completions", NULL, "{\"model\":\"m-a\",\"stream\":\"yes\"}", 400,
		 "stream", 0},
		{"/v1/chat/completions", "GET", NULL, 405, "use POST", 0},
		{"/v1/messages", "PUT", "{}", 405, "use POST", 1},
		{"/v1/embeddings", NULL, "{\"model\":\"m-a\"}", 404, "unknown route", 0},
		{"/", NULL, "{}", 404, "unknown route", 0},
		{"/health", "POST", "{}", 405, "use GET", 0},
		{NULL, NULL, NULL, 0, NULL, 0},
	};
	const bad_case *c;
	http_res r;
	size_t n, big_len = UM_PROXY_MAX_BODY + 1024;
	char *big, *deep, *body;
	um_routing_rec *evs;
	um_proxy_stats before, after;

	(void)state;
	proxy_get_stats(px, &before);
	for (c = cases; c->path; c++) {
		json_t *j;
		const char *msg;

		r.gate_at = 0;
		http_call(proxy_base_url(px), c->path, c->method, c->body,
			  c->body ? strlen(c->body) : 0, NULL, &r);
		if (r.status != c->status)
			fail_msg("%s %s: status %ld, wanted %ld", c->method ? c->method : "POST",
				 c->path, r.status, c->status);
		j = json_loadb(r.body ? r.body : "", r.len, 0, NULL);
		if (!json_is_object(j))
			fail_msg("%s: error body is not JSON: %s", c->path, r.body ? r.body : "");
		if (c->anthropic) {
			assert_string_equal(json_string_value(json_object_get(j, "type")), "error");
			msg = json_string_value(
				json_object_get(json_object_get(j, "error"), "message"));
		} else {
			msg = json_string_value(
				json_object_get(json_object_get(j, "error"), "message"));
		}
		if (!msg || !strstr(msg, c->reason))
			fail_msg("%s: reason '%s' lacks '%s'", c->path, msg ? msg : "(none)",
				 c->reason);
		json_decref(j);
		free(r.body);
	}

	/* over 64 MiB */
	big = um_xmalloc(big_len);
	memset(big, 'a', big_len);
	http_call(proxy_base_url(px), "/v1/chat/completions", NULL, big, big_len, NULL, &r);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.body, "exceeds"));
	free(r.body);
	free(big);

	/* nesting that would exhaust a small stack */
	deep = um_xmalloc(200001);
	memset(deep, '[', 200000);
	deep[200000] = '\0';
	http_call(proxy_base_url(px), "/v1/chat/completions", NULL, deep, strlen(deep), NULL, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "nests"));
	free(r.body);
	free(deep);

	/* nothing was forwarded, nothing recorded, and the proxy still serves */
	evs = drain(&n);
	assert_int_equal(n, 0);
	free(evs);
	proxy_get_stats(px, &after);
	assert_int_equal(after.forwarded, before.forwarded);
	assert_int_equal(after.rejected - before.rejected, 17);
	body = mk_body("m-c", 1, 0);
	px_post("/v1/chat/completions", body, NULL, &r);
	assert_int_equal(r.status, 200);
	evq_events_free(one_event(), 1);
	free(r.body);
	free(body);
	r.gate_at = 0;
	http_call(proxy_base_url(px), "/health", "GET", NULL, 0, NULL, &r);
	assert_int_equal(r.status, 200);
	free(r.body);
}

typedef struct push_arg {
	um_evq *q;
	int n, base;
} push_arg;

static void *push_thread(void *arg)
{
	push_arg *a = arg;
	int i;

	for (i = 0; i < a->n; i++) {
		char id[16];
		um_routing_rec ev = {0};

		snprintf(id, sizeof(id), "a%d", a->base + i);
		ev.attempt_id = id;
		ev.source = "proxy";
		ev.attribution = "path";
		ev.sub_model = "m";
		ev.tokens_in = a->base + i;
		ev.detail_json = "{\"k\":1}";
		evq_sink(a->q, &ev);
	}
	return NULL;
}

static void test_queue(void **state)
{
	um_evq *q = evq_new(0);
	pthread_t th[4];
	push_arg args[4];
	um_routing_rec *evs = NULL;
	size_t n, total = 0, i;
	int64_t sum = 0;
	int k;

	(void)state;
	assert_int_equal(evq_wait(q, 20), 0);
	assert_int_equal(evq_drain(q, &evs), 0);
	assert_null(evs);
	for (k = 0; k < 4; k++) {
		args[k].q = q;
		args[k].n = 500;
		args[k].base = k * 500;
		pthread_create(&th[k], NULL, push_thread, &args[k]);
	}
	/* a single consumer drains while the producers push */
	while (total < 2000) {
		evq_wait(q, 1000);
		n = evq_drain(q, &evs);
		for (i = 0; i < n; i++) {
			sum += evs[i].tokens_in;
			assert_string_equal(evs[i].detail_json, "{\"k\":1}");
			assert_int_equal(evs[i].attempt_id[0], 'a');
		}
		evq_events_free(evs, n);
		total += n;
	}
	for (k = 0; k < 4; k++)
		pthread_join(th[k], NULL);
	assert_int_equal(total, 2000);
	assert_int_equal(sum, (int64_t)1999 * 2000 / 2);
	assert_int_equal(evq_dropped(q), 0);
	evq_free(q);

	/* bounded: beyond max, events are counted as dropped */
	q = evq_new(3);
	args[0].q = q;
	args[0].n = 5;
	args[0].base = 0;
	push_thread(&args[0]);
	assert_int_equal(evq_dropped(q), 2);
	n = evq_drain(q, &evs);
	assert_int_equal(n, 3);
	assert_string_equal(evs[2].attempt_id, "a2");
	evq_events_free(evs, n);
	evq_free(q); /* frees nothing left over twice */
	q = evq_new(2);
	push_thread(&(push_arg){q, 1, 9});
	evq_free(q); /* with an event still queued */
}

static void test_event_json(void **state)
{
	um_routing_rec ev = {0};
	json_t *j;
	char *s;

	(void)state;
	ev.attempt_id = "abc";
	ev.source = "proxy";
	ev.attribution = "traceparent";
	ev.sub_model = "m-a";
	ev.tokens_in = 10;
	ev.tokens_cached = 2;
	ev.tokens_out = 5;
	ev.cost_micro = 77;
	ev.latency_ms = 12;
	ev.status = 200;
	ev.at_ms = 1000;
	ev.detail_json = "{\"stream\":true}";
	s = proxy_event_json(&ev, "run-1");
	assert_null(strchr(s, '\n'));
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "run_id")), "run-1");
	assert_string_equal(json_string_value(json_object_get(j, "attempt_id")), "abc");
	assert_int_equal(json_integer_value(json_object_get(j, "cost_micro")), 77);
	assert_true(json_is_true(json_object_get(json_object_get(j, "detail"), "stream")));
	assert_null(json_object_get(j, "call_id"));
	json_decref(j);
	free(s);
	/* garbage detail text becomes null, not broken JSON */
	ev.detail_json = "{broken";
	s = proxy_event_json(&ev, NULL);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_null(json_object_get(j, "detail")));
	assert_null(json_object_get(j, "run_id"));
	json_decref(j);
	free(s);
}

static void test_new_and_start_errors(void **state)
{
	const char *text = "umpire: 1\nsystems:\n  - name: x\n    role: baseline\n"
			   "    provider: openai\n    base_url: ${PROXY_TEST_NEVER_SET}/v1\n"
			   "    model: x\n";
	um_models *m = NULL;
	um_proxy_opts o = {0};
	um_proxy *p = NULL;
	um_error err = {0};

	(void)state;
	assert_int_equal(proxy_new(&o, &p, &err), -1);
	assert_null(p);
	unsetenv("PROXY_TEST_NEVER_SET");
	assert_int_equal(models_load_buffer("up.yaml", text, strlen(text), UM_MODELS_DEFER_ENV,
					    &m, &err),
			 0);
	o.upstreams = m;
	assert_int_equal(proxy_new(&o, &p, &err), -1);
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_non_null(strstr(err.msg, "base_url"));
	models_free(m);

	o.upstreams = ups;
	assert_int_equal(proxy_new(&o, &p, &err), 0);
	assert_int_equal(proxy_start(p, 70000, &err), -1);
	assert_int_equal(proxy_start(p, proxy_port(px), &err), -1); /* taken */
	assert_int_equal(proxy_start(p, 0, &err), 0);
	assert_int_equal(proxy_start(p, 0, &err), -1);
	assert_int_equal(err.code, UM_ERR_STATE);
	proxy_stop(p);
	proxy_stop(p);
	proxy_free(p);
}

typedef struct stream_arg {
	const char *base;
	http_res r;
} stream_arg;

static void *stream_client(void *arg)
{
	stream_arg *a = arg;
	const char *b = "{\"model\":\"sse-oa\",\"stream\":true,\"messages\":[]}";

	a->r.gate_at = 0;
	http_call(a->base, "/v1/chat/completions", NULL, b, strlen(b), NULL, &a->r);
	return NULL;
}

static void test_stop_during_stream(void **state)
{
	um_evq *q = evq_new(0);
	um_proxy_opts o = {0};
	um_proxy *p = NULL;
	um_error err = {0};
	stream_arg a;
	pthread_t th;
	um_routing_rec *evs;
	json_t *d;
	size_t n;
	int calls, now, i;

	(void)state;
	o.upstreams = ups;
	o.on_event = evq_sink;
	o.event_ctx = q;
	assert_int_equal(proxy_new(&o, &p, &err), 0);
	assert_int_equal(proxy_start(p, 0, &err), 0);
	pthread_mutex_lock(&gate.mu);
	gate.armed = 1; /* the upstream holds its last piece */
	gate.open = 0;
	pthread_mutex_unlock(&gate.mu);
	pthread_mutex_lock(&seen.mu);
	calls = seen.calls;
	pthread_mutex_unlock(&seen.mu);
	memset(&a, 0, sizeof(a));
	a.base = proxy_base_url(p);
	assert_int_equal(pthread_create(&th, NULL, stream_client, &a), 0);
	for (i = 0; i < 1000; i++) { /* until the upstream has the call */
		struct timespec ts = {0, 10 * 1000000L};

		pthread_mutex_lock(&seen.mu);
		now = seen.calls;
		pthread_mutex_unlock(&seen.mu);
		if (now > calls)
			break;
		nanosleep(&ts, NULL);
	}
	assert_true(now > calls);
	proxy_stop(p); /* returns with the stream aborted, and reported */
	n = evq_drain(q, &evs);
	assert_int_equal(n, 1);
	assert_int_equal(evs[0].status, 200);
	d = detail(&evs[0]);
	assert_non_null(strstr(dstr(d, "error"), "stopped"));
	json_decref(d);
	evq_events_free(evs, n);

	pthread_mutex_lock(&gate.mu);
	gate.open = 1;
	gate.armed = 0;
	pthread_cond_broadcast(&gate.cv);
	pthread_mutex_unlock(&gate.mu);
	pthread_join(th, NULL);
	assert_int_not_equal(a.r.rc, CURLE_OK); /* the client saw the connection end */
	free(a.r.body);
	proxy_free(p);
	evq_free(q);
}

/* ------------------------------------------------------------------ */

static int setup(void **state)
{
	struct sockaddr_in sa;
	um_error err = {0};
	um_proxy_opts o;
	char *up;

	(void)state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	suite = mk_suite(12);
	if (sim_load(FIX("pool.yaml"), suite, &sim, &err) < 0 || sim_start(sim, 0, &err) < 0 ||
	    sim_load(FIX("pool.yaml"), suite, &twin, &err) < 0 || sim_start(twin, 0, &err) < 0) {
		fprintf(stderr, "simulator: %s\n", err.msg);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fake = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
					MHD_USE_POLL,
				0, NULL, NULL, fake_handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_NOTIFY_COMPLETED, fake_done, NULL, MHD_OPTION_END);
	if (!fake)
		return -1;
	snprintf(fake_url, sizeof(fake_url), "http://127.0.0.1:%u",
		 (unsigned)MHD_get_daemon_info(fake, MHD_DAEMON_INFO_BIND_PORT)->port);
	setenv("PROXY_TEST_SIM_URL", sim_base_url(sim), 1);
	setenv("PROXY_TEST_FAKE_URL", fake_url, 1);
	if (models_load(FIX("upstreams.yaml"), &ups, &err) < 0) {
		fprintf(stderr, "upstreams: %s\n", err.msg);
		return -1;
	}
	queue = evq_new(0);
	memset(&o, 0, sizeof(o));
	o.upstreams = ups;
	o.on_event = evq_sink;
	o.event_ctx = queue;
	o.current_attempt = resolve_attempt;
	if (proxy_new(&o, &px, &err) < 0 || proxy_start(px, 0, &err) < 0) {
		fprintf(stderr, "proxy: %s\n", err.msg);
		return -1;
	}
	up = um_xasprintf("%s/v1", proxy_base_url(px));
	sim_set_upstream(sim, up); /* the orchestrator's members go through the proxy */
	free(up);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	proxy_free(px);
	evq_free(queue);
	models_free(ups);
	sim_free(sim);
	sim_free(twin);
	MHD_stop_daemon(fake);
	free_suite(suite);
	curl_global_cleanup();
	return 0;
}

/* Each test starts with an empty queue. */
static int clear_queue(void **state)
{
	um_routing_rec *evs;
	size_t n = evq_drain(queue, &evs);

	(void)state;
	evq_events_free(evs, n);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_traceparent_parse),
		cmocka_unit_test(test_event_json),
		cmocka_unit_test(test_queue),
		cmocka_unit_test_setup(test_passthrough_plain, clear_queue),
		cmocka_unit_test_setup(test_usage_cost_cached, clear_queue),
		cmocka_unit_test_setup(test_api_key_from_environment, clear_queue),
		cmocka_unit_test_setup(test_stream_passthrough_openai, clear_queue),
		cmocka_unit_test_setup(test_stream_passthrough_anthropic, clear_queue),
		cmocka_unit_test_setup(test_stream_fails_midway, clear_queue),
		cmocka_unit_test_setup(test_traceparent_concurrent, clear_queue),
		cmocka_unit_test_setup(test_path_and_single_flight, clear_queue),
		cmocka_unit_test_setup(test_malformed_requests, clear_queue),
		cmocka_unit_test_setup(test_new_and_start_errors, clear_queue),
		cmocka_unit_test(test_stop_during_stream),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
