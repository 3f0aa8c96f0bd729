/*
 * proxy.c - the recording proxy (see proxy.h and docs/proxy.md).
 *
 * One libmicrohttpd daemon on 127.0.0.1 with a thread per connection, so a
 * handler can block. A request is checked (route, method, size, JSON,
 * model), its upstream chosen by the "model" field, its attempt attributed
 * (traceparent, /t/<id>/ path token, single-flight resolver), and then:
 *
 *  - not streamed: the handler thread runs libcurl itself, keeps the whole
 *    upstream body (at most 64 MiB), reports the event, and answers with the
 *    upstream's status, body bytes and a few of its headers;
 *  - streamed ("stream": true): a worker thread runs libcurl. Its write
 *    callback pushes the bytes into a bounded ring (256 KiB) guarded by a
 *    mutex and a condition variable, and blocks while the ring is full, so a
 *    slow client slows the upstream instead of growing memory. The handler
 *    waits until the upstream's status and headers are known, then queues a
 *    response whose content callback (MHD_create_response_from_callback)
 *    takes bytes from the ring as they arrive, in the connection's thread.
 *    The same bytes go through an SSE line parser that reads the usage
 *    (OpenAI's final chunk, Anthropic's message_start and message_delta).
 *    If the upstream breaks off, the callback ends the response with an
 *    error, so the client gets the bytes so far and then the connection
 *    closes. If the client goes away, the upstream transfer is aborted.
 *
 * Every forwarded call is reported once, before the client sees the end of
 * its response, so an event is always delivered by the time its call has
 * returned. Waits are sliced (100 ms) and watch a stop flag; proxy_stop
 * stops the daemon, which joins the connection threads, then waits for the
 * stream workers to finish.
 */
#include "serve/proxy.h"

#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <time.h>

#include "base/buf.h"
#include "serve/httpd.h"
#include "exec/provider.h"
#include "base/util.h"

#define PX_MAX_RESPONSE (64u * 1024u * 1024u) /* a non-streamed upstream body */
#define PX_RING (256u * 1024u)               /* bytes of a stream held between threads */
#define PX_BLOCK (16u * 1024u)               /* MHD's read block for streams */
#define PX_MAX_DEPTH 64                      /* JSON nesting accepted */
#define PX_MAX_LINE (1u * 1024u * 1024u)     /* an SSE line longer than this is skipped */
#define PX_HEAD_KEEP (64u * 1024u)           /* bytes of a stream kept for its error message */
#define PX_WAIT_MS 100                       /* wait slice (stop latency) */
#define PX_MAX_HDRS 32                       /* upstream response headers passed back */
#define PX_MAX_HDR_LEN 1024
#define PX_MAX_TOKEN 128                     /* /t/<token>/ */
#define PX_CONNECT_TIMEOUT_MS 10000L
#define PX_STACK (512u * 1024u)

struct um_proxy {
	um_proxy_opts o;
	struct MHD_Daemon *daemon;
	int port;
	char base_url[64];
	atomic_int stopping;
	pthread_mutex_t lock; /* guards workers */
	pthread_cond_t idle;
	int workers;          /* stream worker threads alive */
	atomic_uint_fast64_t requests, rejected, forwarded, streamed, failed;
};

/* ------------------------------------------------------------------ */
/* Small helpers */

static char *px_dump(const json_t *j, size_t flags)
{
	char *s = json_dumps(j, flags);

	if (!s)
		abort(); /* only on allocation failure */
	return s;
}

static int px_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* 1 when the JSON text nests arrays and objects at most max deep: bodies
 * are parsed on small thread stacks, so deeper ones are refused first. */
static int px_json_depth_ok(const char *p, size_t len, int max)
{
	int depth = 0, in_str = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = p[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				return 0;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return 1;
}

static int px_count(const json_t *o, const char *key, int64_t *dst)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return 0;
	*dst = (int64_t)json_integer_value(v);
	return 1;
}

static void px_set_str(char **dst, const json_t *v)
{
	if (!json_is_string(v))
		return;
	free(*dst);
	*dst = um_xstrndup(json_string_value(v), json_string_length(v));
}

/* ------------------------------------------------------------------ */
/* Attribution */

static int px_is_hex(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	return 1;
}

static int px_all_zero(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != '0')
			return 0;
	return 1;
}

int proxy_parse_traceparent(const char *v, char trace_id[33])
{
	size_t n;

	if (!v)
		return -1;
	n = strlen(v);
	/* version "-" trace-id "-" parent-id "-" flags, lower-case hex (W3C) */
	if (n < 55 || !px_is_hex(v, 2) || v[2] != '-' || !px_is_hex(v + 3, 32) || v[35] != '-' ||
	    !px_is_hex(v + 36, 16) || v[52] != '-' || !px_is_hex(v + 53, 2))
		return -1;
	if (memcmp(v, "ff", 2) == 0 || px_all_zero(v + 3, 32) || px_all_zero(v + 36, 16))
		return -1;
	/* version 00 has exactly four fields; later versions may append more */
	if (memcmp(v, "00", 2) == 0 ? n != 55 : (n > 55 && v[55] != '-'))
		return -1;
	memcpy(trace_id, v + 3, 32);
	trace_id[32] = '\0';
	return 0;
}

int proxy_traceparent_for(const char *attempt_id, int try_no, char out[56])
{
	uint64_t span;

	if (!attempt_id || strlen(attempt_id) != 32 || !px_is_hex(attempt_id, 32) ||
	    px_all_zero(attempt_id, 32))
		return -1;
	span = um_hash64(attempt_id, 32, (uint64_t)(unsigned)try_no + 0x7370616eULL);
	if (span == 0)
		span = 1;
	snprintf(out, 56, "00-%s-%016llx-01", attempt_id, (unsigned long long)span);
	return 0;
}

static int px_token_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > PX_MAX_TOKEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && !strchr("._-", p[i]))
			return 0;
	return 1;
}

/* Route of a URL: 0 with *prov (and token when /t/<token>/ leads), -1 for
 * an unknown route, -2 for a malformed token. */
static int px_route(const char *url, um_provider *prov, char *token)
{
	const char *rest = url;

	token[0] = '\0';
	if (um_has_prefix(url, "/t/")) {
		const char *t = url + 3, *slash = strchr(t, '/');

		if (!slash)
			return -1;
		if (!px_token_ok(t, (size_t)(slash - t)))
			return -2;
		memcpy(token, t, (size_t)(slash - t));
		token[slash - t] = '\0';
		rest = slash;
	}
	if (px_ends_with(rest, "/chat/completions"))
		*prov = UM_PROV_OPENAI;
	else if (px_ends_with(rest, "/messages"))
		*prov = UM_PROV_ANTHROPIC;
	else
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Error bodies in each provider's shape */

static char *px_error_json(um_provider p, unsigned status, const char *code, const char *msg)
{
	const char *type;
	json_t *j;
	char *out;

	if (p == UM_PROV_ANTHROPIC) {
		switch (status) {
		case 404:
			type = "not_found_error";
			break;
		case 413:
			type = "request_too_large";
			break;
		case 500:
		case 502:
			type = "api_error";
			break;
		default:
			type = "invalid_request_error";
		}
		j = json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error", "type", type,
			      "message", msg);
	} else {
		type = status >= 500 ? "server_error" : "invalid_request_error";
		j = json_pack("{s:{s:s, s:s, s:n, s:o}}", "error", "message", msg, "type", type,
			      "param", "code", code ? json_string(code) : json_null());
	}
	out = px_dump(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	return out;
}

static enum MHD_Result px_respond(struct MHD_Connection *c, unsigned status, char *body,
				  size_t len, const char *ctype)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	if (ctype)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (status == 405)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result px_error(struct MHD_Connection *c, um_provider p, unsigned status,
				const char *code, const char *msg)
{
	char *body = px_error_json(p, status, code, msg);

	return px_respond(c, status, body, strlen(body), "application/json");
}

/* An answer of the proxy's own: the request was not forwarded. */
static enum MHD_Result px_reject(um_proxy *px, struct MHD_Connection *c, um_provider p,
				 unsigned status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static enum MHD_Result px_reject(um_proxy *px, struct MHD_Connection *c, um_provider p,
				 unsigned status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	atomic_fetch_add(&px->rejected, 1);
	return px_error(c, p, status, code, msg);
}

/* ------------------------------------------------------------------ */
/* Usage: from a response body, or from the events of a stream */

typedef struct px_usage {
	int64_t input, read, creation, out; /* openai: input = prompt_tokens, read = cached */
	int have;
} px_usage;

/* Take the counts present in a usage object (absent ones keep their value:
 * Anthropic's message_delta repeats only some). */
static void px_usage_take(um_provider p, const json_t *u, px_usage *x)
{
	if (!json_is_object(u))
		return;
	if (p == UM_PROV_ANTHROPIC) {
		x->have |= px_count(u, "input_tokens", &x->input);
		x->have |= px_count(u, "cache_read_input_tokens", &x->read);
		x->have |= px_count(u, "cache_creation_input_tokens", &x->creation);
		x->have |= px_count(u, "output_tokens", &x->out);
	} else {
		x->have |= px_count(u, "prompt_tokens", &x->input);
		x->have |= px_count(u, "completion_tokens", &x->out);
		px_count(json_object_get(u, "prompt_tokens_details"), "cached_tokens", &x->read);
	}
}

/* tokens_in counts every input token, cached ones included (as provider.c). */
static void px_usage_tokens(um_provider p, const px_usage *x, int64_t *in, int64_t *cached,
			    int64_t *out)
{
	*in = x->input + (p == UM_PROV_ANTHROPIC ? x->read + x->creation : 0);
	*cached = x->read > *in ? *in : x->read;
	*out = x->out;
}

typedef struct px_sse {
	um_provider prov;
	char *line;
	size_t len, cap;
	int skip;               /* the current line is too long: drop it */
	px_usage u;
	int done;               /* [DONE] or message_stop seen */
	uint64_t events;        /* data lines that were JSON objects */
	char *served_model, *response_id, *finish_reason, *error;
} px_sse;

static void px_sse_event(px_sse *s, const json_t *j)
{
	const json_t *e = json_object_get(j, "error");

	s->events++;
	if (json_is_object(e) && !s->error) {
		const json_t *m = json_object_get(e, "message");

		s->error = um_xstrdup(json_is_string(m) ? json_string_value(m) : "error event");
	}
	if (s->prov == UM_PROV_ANTHROPIC) {
		const char *type = json_string_value(json_object_get(j, "type"));
		const json_t *msg = json_object_get(j, "message");

		if (!type)
			return;
		if (strcmp(type, "message_start") == 0 && json_is_object(msg)) {
			px_usage_take(s->prov, json_object_get(msg, "usage"), &s->u);
			px_set_str(&s->served_model, json_object_get(msg, "model"));
			px_set_str(&s->response_id, json_object_get(msg, "id"));
		} else if (strcmp(type, "message_delta") == 0) {
			px_usage_take(s->prov, json_object_get(j, "usage"), &s->u);
			px_set_str(&s->finish_reason,
				   json_object_get(json_object_get(j, "delta"), "stop_reason"));
		} else if (strcmp(type, "message_stop") == 0) {
			s->done = 1;
		}
	} else {
		const json_t *ch = json_array_get(json_object_get(j, "choices"), 0);

		px_usage_take(s->prov, json_object_get(j, "usage"), &s->u);
		if (!s->served_model)
			px_set_str(&s->served_model, json_object_get(j, "model"));
		if (!s->response_id)
			px_set_str(&s->response_id, json_object_get(j, "id"));
		px_set_str(&s->finish_reason, json_object_get(ch, "finish_reason"));
	}
}

static void px_sse_line(px_sse *s)
{
	const char *p = s->line;
	size_t n = s->len;
	json_t *j;

	if (n && p[n - 1] == '\r')
		n--;
	if (n < 5 || memcmp(p, "data:", 5) != 0)
		return; /* event:, id:, retry:, comments, blank lines */
	p += 5;
	n -= 5;
	if (n && *p == ' ') {
		p++;
		n--;
	}
	if (n == 6 && memcmp(p, "[DONE]", 6) == 0) {
		s->done = 1;
		return;
	}
	if (!px_json_depth_ok(p, n, PX_MAX_DEPTH))
		return;
	j = json_loadb(p, n, 0, NULL);
	if (json_is_object(j))
		px_sse_event(s, j);
	json_decref(j);
}

static void px_sse_feed(px_sse *s, const char *p, size_t n)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;

		if (!s->skip) {
			if (s->len + k > PX_MAX_LINE) {
				s->skip = 1;
				s->len = 0;
			} else {
				um_xgrow((void **)&s->line, &s->cap, s->len + k + 1, 1);
				memcpy(s->line + s->len, p, k);
				s->len += k;
			}
		}
		if (!nl)
			return;
		if (!s->skip)
			px_sse_line(s);
		s->len = 0;
		s->skip = 0;
		p += k + 1;
		n -= k + 1;
	}
}

static void px_sse_finish(px_sse *s)
{
	if (s->len && !s->skip)
		px_sse_line(s);
	s->len = 0;
}

static void px_sse_release(px_sse *s)
{
	free(s->line);
	free(s->served_model);
	free(s->response_id);
	free(s->finish_reason);
	free(s->error);
}

/* ------------------------------------------------------------------ */
/* One forwarded call */

typedef struct px_call {
	um_proxy *px;
	const um_system *sys;
	um_provider prov;
	int stream;
	char *url;
	char *body;             /* what is sent (owned) */
	size_t body_len;
	struct curl_slist *hdrs;
	char *attempt_id;       /* "" when unattributed */
	const char *attribution;
	int bad_traceparent;    /* a traceparent was sent but is not valid */
	char *requested_model;
	int64_t t0, latency_ms, ttfb_ms;
	atomic_int *client_gone; /* streams: set when the client's response is gone */
	/* results */
	CURL *h;
	CURLcode cc;
	long status;
	char curl_err[CURL_ERROR_SIZE];
	char *hname[PX_MAX_HDRS], *hvalue[PX_MAX_HDRS]; /* response headers passed back */
	int n_rh;
	int hdrs_frozen;        /* the response has started: ignore later headers */
	uint64_t bytes;
	um_buf resp;            /* the body (non-streamed), or its first 64 KiB (streamed) */
	px_sse sse;
	char *error;            /* trouble the proxy saw itself */
} px_call;

static void px_call_release(px_call *c)
{
	int i;

	free(c->url);
	free(c->body);
	curl_slist_free_all(c->hdrs);
	free(c->attempt_id);
	free(c->requested_model);
	for (i = 0; i < c->n_rh; i++) {
		free(c->hname[i]);
		free(c->hvalue[i]);
	}
	um_buf_release(&c->resp);
	px_sse_release(&c->sse);
	free(c->error);
}

/* Upstream response headers worth passing back to the orchestrator. */
static int px_pass_header(const char *name, size_t n)
{
	static const char *const exact[] = {"content-type", "retry-after", "x-request-id",
					    "request-id", NULL};
	static const char *const prefix[] = {"x-ratelimit-", "anthropic-", "openai-", NULL};
	int i;

	for (i = 0; exact[i]; i++)
		if (strlen(exact[i]) == n && strncasecmp(name, exact[i], n) == 0)
			return 1;
	for (i = 0; prefix[i]; i++)
		if (n > strlen(prefix[i]) && strncasecmp(name, prefix[i], strlen(prefix[i])) == 0)
			return 1;
	return 0;
}

static size_t px_header_cb(char *p, size_t size, size_t nmemb, void *ud)
{
	px_call *c = ud;
	size_t len = size * nmemb, nl, vs, ve;
	const char *colon;
	int i;

	if (c->hdrs_frozen)
		return len;
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* a new response (after 1xx): forget the previous one's headers */
		for (i = 0; i < c->n_rh; i++) {
			free(c->hname[i]);
			free(c->hvalue[i]);
		}
		c->n_rh = 0;
		return len;
	}
	colon = memchr(p, ':', len);
	if (!colon)
		return len;
	nl = (size_t)(colon - p);
	if (!px_pass_header(p, nl) || c->n_rh >= PX_MAX_HDRS)
		return len;
	vs = nl + 1;
	ve = len;
	while (vs < ve && (p[vs] == ' ' || p[vs] == '\t'))
		vs++;
	while (ve > vs && (p[ve - 1] == '\r' || p[ve - 1] == '\n' || p[ve - 1] == ' '))
		ve--;
	if (ve - vs > PX_MAX_HDR_LEN)
		return len;
	c->hname[c->n_rh] = um_xstrndup(p, nl);
	c->hvalue[c->n_rh] = um_xstrndup(p + vs, ve - vs);
	c->n_rh++;
	return len;
}

static int px_xferinfo(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	px_call *c = ud;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	if (atomic_load(&c->px->stopping))
		return 1;
	return c->client_gone && atomic_load(c->client_gone) ? 1 : 0;
}

static size_t px_buffer_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	px_call *c = ud;
	size_t n = size * nmemb;

	if (!c->bytes)
		c->ttfb_ms = um_mono_ms() - c->t0;
	c->bytes += n;
	if (um_buf_append(&c->resp, ptr, n) < 0) {
		if (!c->error)
			c->error = um_xasprintf("the upstream response exceeds %u MiB",
						PX_MAX_RESPONSE >> 20);
		return 0;
	}
	return n;
}

/* Run the transfer; the write callback and its data are the caller's. */
static void px_perform(px_call *c, curl_write_callback write_cb, void *wd)
{
	CURL *h = curl_easy_init();

	c->curl_err[0] = '\0';
	if (!h) {
		c->cc = CURLE_FAILED_INIT;
		c->latency_ms = um_mono_ms() - c->t0;
		return;
	}
	c->h = h;
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, wd);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, px_header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, px_xferinfo);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_err);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, PX_CONNECT_TIMEOUT_MS);
	if (c->sys->timeout_ms > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->sys->timeout_ms);
	c->cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
	c->latency_ms = um_mono_ms() - c->t0;
	c->h = NULL;
	curl_easy_cleanup(h);
}

static int px_ok_status(long s)
{
	return s >= 200 && s < 300;
}

/* px_emit, step 1: what every event's detail says about the call. */
static json_t *px_emit_detail(const px_call *c)
{
	json_t *d = json_object();

	json_object_set_new(d, "provider", json_string(models_provider_name(c->prov)));
	json_object_set_new(d, "stream", json_boolean(c->stream));
	json_object_set_new(d, "bytes", json_integer((json_int_t)c->bytes));
	if (c->requested_model && strcmp(c->requested_model, c->sys->name) != 0)
		json_object_set_new(d, "requested_model", json_string(c->requested_model));
	if (c->bad_traceparent)
		json_object_set_new(d, "traceparent_invalid", json_true());
	return d;
}

static void px_detail_str(json_t *d, const char *key, const char *v)
{
	if (v)
		json_object_set_new(d, key, json_string(v));
}

/* px_emit, step 2a: a streamed call, from what the relay saw go by. */
static char *px_emit_streamed(px_call *c, json_t *d, px_usage *u)
{
	px_sse *s = &c->sse;

	px_sse_finish(s);
	if (c->bytes)
		json_object_set_new(d, "ttfb_ms", json_integer((json_int_t)c->ttfb_ms));
	*u = s->u;
	px_detail_str(d, "served_model", s->served_model);
	px_detail_str(d, "response_id", s->response_id);
	px_detail_str(d, "finish_reason", s->finish_reason);
	if (s->error)
		return um_xasprintf("error event in the stream: %s", s->error);
	if (c->cc == CURLE_OK && px_ok_status(c->status) && !s->done)
		return um_xasprintf("the stream ended without its end marker (%s)",
				    c->prov == UM_PROV_ANTHROPIC ? "message_stop" : "data: [DONE]");
	return NULL;
}

/* px_emit, step 2b: a whole 2xx body, parsed as the runner would. */
static char *px_emit_body(px_call *c, json_t *d, px_usage *u)
{
	um_completion comp;
	um_error perr = {0};
	json_t *root = NULL;
	char *err;

	if (provider_parse(c->prov, c->resp.data, c->resp.len, &comp, &perr) == 0) {
		u->have = 1;
		u->read = comp.tokens_cached;
		u->creation = comp.tokens_cache_write;
		u->out = comp.tokens_out;
		/* provider_parse counts all input; px_usage_tokens adds the cache back */
		u->input = c->prov == UM_PROV_ANTHROPIC
			       ? comp.tokens_in - comp.tokens_cached - comp.tokens_cache_write
			       : comp.tokens_in;
		px_detail_str(d, "served_model", comp.served_model);
		px_detail_str(d, "response_id", comp.response_id);
		px_detail_str(d, "finish_reason", comp.finish_reason);
		completion_release(&comp);
		return NULL;
	}
	err = um_xasprintf("unreadable response: %s", perr.msg);
	/* bill what the body says it used, if it says so */
	if (px_json_depth_ok(c->resp.data ? c->resp.data : "", c->resp.len, PX_MAX_DEPTH))
		root = json_loadb(c->resp.data ? c->resp.data : "", c->resp.len, 0, NULL);
	px_usage_take(c->prov, json_object_get(root, "usage"), u);
	json_decref(root);
	return err;
}

/* px_emit, step 3: why the call failed, when it failed. */
static char *px_emit_failure(const px_call *c)
{
	um_proxy *px = c->px;

	if (c->cc != CURLE_OK) {
		int aborted = c->cc == CURLE_WRITE_ERROR || c->cc == CURLE_ABORTED_BY_CALLBACK;

		if (aborted && atomic_load(&px->stopping))
			return um_xstrdup("the proxy stopped during the call");
		if (aborted && c->client_gone && atomic_load(c->client_gone))
			return um_xstrdup("the client closed the connection before the end");
		return um_xasprintf("upstream transfer failed: %s",
				    c->curl_err[0] ? c->curl_err : curl_easy_strerror(c->cc));
	}
	if (c->status >= 400) {
		char *m = provider_error_message(c->resp.data, c->resp.len);
		char *err = um_xasprintf("HTTP %ld: %s", c->status, m ? m : "(no message)");

		free(m);
		return err;
	}
	return NULL;
}

/* px_emit, step 4: the routing event, priced, handed to the sink. */
static void px_emit_event(px_call *c, json_t *d, const px_usage *u, int64_t in, int64_t cached,
			  int64_t out)
{
	um_proxy *px = c->px;
	um_routing_rec ev;

	memset(&ev, 0, sizeof(ev));
	ev.attempt_id = c->attempt_id;
	ev.call_id = 0;
	ev.source = "proxy";
	ev.attribution = (char *)c->attribution;
	ev.sub_model = c->sys->name;
	ev.tokens_in = in;
	ev.tokens_cached = cached;
	ev.tokens_out = out;
	ev.cost_micro = pricing_cost_micro(&c->sys->pricing, in, cached,
					   c->prov == UM_PROV_ANTHROPIC ? u->creation : 0, out);
	ev.latency_ms = c->latency_ms;
	ev.status = c->status > 0 ? c->status : 0; /* 0: nothing came back */
	ev.at_ms = um_wall_ms();
	ev.detail_json = px_dump(d, JSON_COMPACT | JSON_SORT_KEYS);

	atomic_fetch_add(&px->forwarded, 1);
	if (c->stream)
		atomic_fetch_add(&px->streamed, 1);
	if (c->cc != CURLE_OK || c->status == 0)
		atomic_fetch_add(&px->failed, 1);
	if (px->o.on_event)
		px->o.on_event(px->o.event_ctx, &ev);
	free(ev.detail_json);
}

/* Build the event of a finished call and hand it to the sink. */
static void px_emit(px_call *c)
{
	px_usage u = {0};
	json_t *d = px_emit_detail(c);
	char *err = c->error ? um_xstrdup(c->error) : NULL, *more = NULL;
	int64_t in = 0, cached = 0, out = 0;

	if (c->stream)
		more = px_emit_streamed(c, d, &u);
	else if (px_ok_status(c->status) && c->cc == CURLE_OK)
		more = px_emit_body(c, d, &u);
	if (!err)
		err = more;
	else
		free(more);
	if (!err)
		err = px_emit_failure(c);
	if (u.have && (px_ok_status(c->status) || c->stream))
		px_usage_tokens(c->prov, &u, &in, &cached, &out);
	else if (px_ok_status(c->status) && !err)
		err = um_xstrdup("the response has no usage");
	if (err)
		json_object_set_new(d, "error", json_string(err));
	px_emit_event(c, d, &u, in, cached, out);
	free(err);
	json_decref(d);
}

/* ------------------------------------------------------------------ */
/* Streams */

typedef struct px_stream {
	px_call c;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs;               /* the worker and the response (or the handler) */
	char *ring;
	size_t rpos, rlen;      /* ring read position and bytes held */
	int ready;              /* the upstream's status and headers are known */
	int finished;           /* the worker's transfer is over and reported */
	int ok;                 /* ... and it ended cleanly */
	atomic_int gone;        /* the client's response was destroyed */
} px_stream;

static void px_stream_unref(px_stream *st)
{
	int last;

	pthread_mutex_lock(&st->mu);
	last = --st->refs == 0;
	pthread_mutex_unlock(&st->mu);
	if (!last)
		return;
	px_call_release(&st->c);
	free(st->ring);
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cv);
	free(st);
}

static size_t px_stream_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	px_stream *st = ud;
	px_call *c = &st->c;
	size_t n = size * nmemb, done = 0;

	if (!c->bytes)
		c->ttfb_ms = um_mono_ms() - c->t0;
	c->bytes += n;
	px_sse_feed(&c->sse, ptr, n);
	if (c->resp.len < PX_HEAD_KEEP)
		um_buf_append(&c->resp, ptr,
			      n < PX_HEAD_KEEP - c->resp.len ? n : PX_HEAD_KEEP - c->resp.len);

	pthread_mutex_lock(&st->mu);
	if (!st->ready) {
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
		c->hdrs_frozen = 1;
		st->ready = 1;
		pthread_cond_broadcast(&st->cv);
	}
	while (done < n) {
		size_t tail, k;

		while (st->rlen == PX_RING && !atomic_load(&st->gone) &&
		       !atomic_load(&c->px->stopping))
			um_cond_wait_ms(&st->cv, &st->mu, PX_WAIT_MS);
		if (atomic_load(&st->gone) || atomic_load(&c->px->stopping)) {
			pthread_mutex_unlock(&st->mu);
			return 0; /* aborts the transfer */
		}
		tail = (st->rpos + st->rlen) % PX_RING;
		k = n - done;
		if (k > PX_RING - st->rlen)
			k = PX_RING - st->rlen;
		if (k > PX_RING - tail)
			k = PX_RING - tail;
		memcpy(st->ring + tail, ptr + done, k);
		st->rlen += k;
		done += k;
		pthread_cond_broadcast(&st->cv);
	}
	pthread_mutex_unlock(&st->mu);
	return n;
}

static ssize_t px_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	px_stream *st = cls;
	ssize_t rc;

	(void)pos;
	pthread_mutex_lock(&st->mu);
	while (st->rlen == 0 && !st->finished && !atomic_load(&st->c.px->stopping))
		um_cond_wait_ms(&st->cv, &st->mu, PX_WAIT_MS);
	if (st->rlen > 0) {
		size_t k = st->rlen < max ? st->rlen : max, first = PX_RING - st->rpos;

		if (first > k)
			first = k;
		memcpy(buf, st->ring + st->rpos, first);
		memcpy(buf + first, st->ring, k - first);
		st->rpos = (st->rpos + k) % PX_RING;
		st->rlen -= k;
		pthread_cond_broadcast(&st->cv);
		rc = (ssize_t)k;
	} else if (st->finished && st->ok) {
		rc = MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		rc = MHD_CONTENT_READER_END_WITH_ERROR; /* the connection closes */
	}
	pthread_mutex_unlock(&st->mu);
	return rc;
}

/* The client side is done with the stream (response destroyed). */
static void px_stream_let_go(void *cls)
{
	px_stream *st = cls;

	pthread_mutex_lock(&st->mu);
	atomic_store(&st->gone, 1);
	pthread_cond_broadcast(&st->cv);
	pthread_mutex_unlock(&st->mu);
	px_stream_unref(st);
}

static void *px_stream_worker(void *arg)
{
	px_stream *st = arg;
	um_proxy *px = st->c.px;

	px_perform(&st->c, px_stream_write, st);
	px_emit(&st->c);
	pthread_mutex_lock(&st->mu);
	st->ok = st->c.cc == CURLE_OK;
	st->finished = 1;
	st->ready = 1;
	pthread_cond_broadcast(&st->cv);
	pthread_mutex_unlock(&st->mu);
	px_stream_unref(st);

	pthread_mutex_lock(&px->lock);
	px->workers--;
	pthread_cond_broadcast(&px->idle);
	pthread_mutex_unlock(&px->lock);
	return NULL;
}

static void px_add_headers(struct MHD_Response *r, const px_call *c)
{
	int i;

	for (i = 0; i < c->n_rh; i++)
		MHD_add_response_header(r, c->hname[i], c->hvalue[i]);
}

static enum MHD_Result px_upstream_failed(struct MHD_Connection *conn, const px_call *c)
{
	char msg[CURL_ERROR_SIZE + 256];

	snprintf(msg, sizeof(msg), "upstream call to %s failed: %s", c->sys->name,
		 c->error ? c->error
			  : (c->curl_err[0] ? c->curl_err : curl_easy_strerror(c->cc)));
	return px_error(conn, c->prov, 502, NULL, msg);
}

/* Takes over *c (moved into the stream). */
static enum MHD_Result px_forward_stream(um_proxy *px, struct MHD_Connection *conn, px_call *c)
{
	px_stream *st = um_xcalloc(1, sizeof(*st));
	struct MHD_Response *r;
	pthread_attr_t attr;
	pthread_t tid;
	enum MHD_Result rc;
	long status;

	st->c = *c;
	memset(c, 0, sizeof(*c));
	atomic_init(&st->gone, 0);
	st->c.client_gone = &st->gone;
	st->ring = um_xmalloc(PX_RING);
	pthread_mutex_init(&st->mu, NULL);
	um_cond_init_mono(&st->cv);
	st->refs = 2;

	pthread_mutex_lock(&px->lock);
	px->workers++;
	pthread_mutex_unlock(&px->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, PX_STACK);
	if (pthread_create(&tid, &attr, px_stream_worker, st) != 0) {
		pthread_attr_destroy(&attr);
		pthread_mutex_lock(&px->lock);
		px->workers--;
		pthread_cond_broadcast(&px->idle);
		pthread_mutex_unlock(&px->lock);
		st->refs = 1;
		px_stream_unref(st);
		return px_error(conn, UM_PROV_OPENAI, 500, NULL, "the proxy cannot start a thread");
	}
	pthread_attr_destroy(&attr);

	pthread_mutex_lock(&st->mu);
	while (!st->ready && !atomic_load(&px->stopping))
		um_cond_wait_ms(&st->cv, &st->mu, PX_WAIT_MS);
	if (!st->ready) {
		pthread_mutex_unlock(&st->mu);
		px_stream_let_go(st);
		return MHD_NO;
	}
	status = st->c.status;
	pthread_mutex_unlock(&st->mu);

	if (status <= 0) { /* nothing came back: the worker is done */
		rc = px_upstream_failed(conn, &st->c);
		px_stream_let_go(st);
		return rc;
	}
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, PX_BLOCK, px_stream_read, st,
					      px_stream_let_go);
	if (!r) {
		px_stream_let_go(st);
		return MHD_NO;
	}
	px_add_headers(r, &st->c);
	rc = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r); /* px_stream_let_go runs when MHD is done with it */
	return rc;
}

static enum MHD_Result px_forward_buffered(struct MHD_Connection *conn, px_call *c)
{
	struct MHD_Response *r;
	enum MHD_Result rc;
	size_t len;
	char *body;

	um_buf_init(&c->resp, PX_MAX_RESPONSE);
	px_perform(c, px_buffer_write, c);
	px_emit(c);
	if (c->status <= 0 || c->cc != CURLE_OK)
		return px_upstream_failed(conn, c);
	len = c->resp.len;
	body = um_buf_detach(&c->resp);
	r = MHD_create_response_from_buffer(len, body ? body : um_xstrdup(""),
					    MHD_RESPMEM_MUST_FREE);
	if (!r)
		return MHD_NO;
	px_add_headers(r, c);
	rc = MHD_queue_response(conn, (unsigned)c->status, r);
	MHD_destroy_response(r);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Requests */

typedef struct px_req {
	um_buf body;
	int too_big;
} px_req;

/* Request headers passed on to the upstream (credentials never are). */
static int px_forward_header(const char *name)
{
	static const char *const pass[] = {"anthropic-version", "anthropic-beta", "accept",
					   "traceparent", "tracestate", "openai-organization",
					   "openai-project", "openai-beta", NULL};
	int i;

	for (i = 0; pass[i]; i++)
		if (strcasecmp(name, pass[i]) == 0)
			return 1;
	return 0;
}

typedef struct px_hdr_ctx {
	const um_system *sys;
	struct curl_slist *list;
	int has_version;
} px_hdr_ctx;

static enum MHD_Result px_collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
					 const char *value)
{
	px_hdr_ctx *h = cls;
	char *line;
	int i;

	(void)kind;
	if (!key || !value || !px_forward_header(key))
		return MHD_YES;
	for (i = 0; i < h->sys->n_headers; i++)
		if (strcasecmp(key, h->sys->header_names[i]) == 0)
			return MHD_YES; /* the upstream's configuration wins */
	if (strcasecmp(key, "anthropic-version") == 0)
		h->has_version = 1;
	line = um_xasprintf("%s: %s", key, value);
	h->list = curl_slist_append(h->list, line);
	free(line);
	return MHD_YES;
}

/* The upstream request's headers; -1 with *why (caller frees) when the key
 * cannot be had. */
static int px_build_headers(struct MHD_Connection *conn, px_call *c, char **why)
{
	const um_system *sys = c->sys;
	px_hdr_ctx h = {sys, NULL, 0};
	char *line;
	int i;

	h.list = curl_slist_append(h.list, "Content-Type: application/json");
	h.list = curl_slist_append(h.list, "Expect:");
	MHD_get_connection_values(conn, MHD_HEADER_KIND, px_collect_header, &h);
	if (sys->provider == UM_PROV_ANTHROPIC && !h.has_version) {
		line = um_xasprintf("anthropic-version: %s",
				    sys->anthropic_version ? sys->anthropic_version : "2023-06-01");
		h.list = curl_slist_append(h.list, line);
		free(line);
	}
	for (i = 0; i < sys->n_headers; i++) {
		line = um_xasprintf("%s: %s", sys->header_names[i], sys->header_values[i]);
		h.list = curl_slist_append(h.list, line);
		free(line);
	}
	c->hdrs = h.list;
	if (sys->api_key_env) {
		const char *key = getenv(sys->api_key_env);
		size_t n;

		if (!key || !*key) {
			*why = um_xasprintf("environment variable %s (api_key_env of %s) is "
					    "not set", sys->api_key_env, sys->name);
			return -1;
		}
		if (strpbrk(key, "\r\n")) {
			*why = um_xasprintf("environment variable %s holds a line break",
					    sys->api_key_env);
			return -1;
		}
		if (sys->provider == UM_PROV_ANTHROPIC)
			line = um_xasprintf("x-api-key: %s", key);
		else
			line = um_xasprintf("Authorization: Bearer %s", key);
		c->hdrs = curl_slist_append(c->hdrs, line);
		n = strlen(line);
		memset(line, 0, n); /* do not leave the key in freed memory */
		free(line);
	}
	return 0;
}

static const um_system *px_find(const um_proxy *px, const char *model)
{
	const um_models *m = px->o.upstreams;
	int i;

	for (i = 0; i < m->n_systems; i++)
		if (strcmp(m->systems[i].name, model) == 0)
			return &m->systems[i];
	for (i = 0; i < m->n_systems; i++)
		if (strcmp(m->systems[i].model, model) == 0)
			return &m->systems[i];
	return NULL;
}

static void px_attribute(um_proxy *px, struct MHD_Connection *conn, const char *token,
			 px_call *c)
{
	const char *tp = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "traceparent");
	const char *a;
	char trace[33];

	if (tp && proxy_parse_traceparent(tp, trace) == 0) {
		c->attempt_id = um_xstrdup(trace);
		c->attribution = "traceparent";
		return;
	}
	c->bad_traceparent = tp != NULL;
	if (token[0]) {
		c->attempt_id = um_xstrdup(token);
		c->attribution = "path";
		return;
	}
	if (px->o.current_attempt && (a = px->o.current_attempt(px->o.attempt_ctx)) != NULL &&
	    *a) {
		c->attempt_id = um_xstrdup(a);
		c->attribution = "single-flight";
		return;
	}
	c->attempt_id = um_xstrdup("");
	c->attribution = "none";
}

static enum MHD_Result px_api(um_proxy *px, struct MHD_Connection *conn, um_provider prov,
			      const char *token, px_req *rq)
{
	json_t *req;
	json_error_t jerr;
	const json_t *jm, *js;
	const um_system *sys;
	const char *model;
	px_call c;
	char *why = NULL;
	enum MHD_Result rc;

	if (!px_json_depth_ok(rq->body.data ? rq->body.data : "", rq->body.len, PX_MAX_DEPTH))
		return px_reject(px, conn, prov, 400, NULL,
				 "request body nests deeper than %d levels", PX_MAX_DEPTH);
	req = json_loadb(rq->body.data ? rq->body.data : "", rq->body.len, 0, &jerr);
	if (!req)
		return px_reject(px, conn, prov, 400, NULL, "request body is not valid JSON: %s",
				 jerr.text);
	if (!json_is_object(req)) {
		json_decref(req);
		return px_reject(px, conn, prov, 400, NULL, "request body must be a JSON object");
	}
	jm = json_object_get(req, "model");
	if (!json_is_string(jm) || json_string_length(jm) == 0) {
		json_decref(req);
		return px_reject(px, conn, prov, 400, NULL, "model: expected a non-empty string");
	}
	model = json_string_value(jm);
	sys = px_find(px, model);
	if (!sys) {
		rc = px_reject(px, conn, prov, 404, "model_not_found",
			       "The model '%.100s' is not served by this proxy", model);
		json_decref(req);
		return rc;
	}
	if (sys->provider != prov) {
		rc = px_reject(px, conn, prov, 400, NULL,
			       "model '%.100s' is served over %s; send it to .../%s", model,
			       sys->provider == UM_PROV_ANTHROPIC ? "Anthropic messages"
								  : "OpenAI chat completions",
			       sys->provider == UM_PROV_ANTHROPIC ? "messages"
								  : "chat/completions");
		json_decref(req);
		return rc;
	}
	js = json_object_get(req, "stream");
	if (js && !json_is_boolean(js) && !json_is_null(js)) {
		json_decref(req);
		return px_reject(px, conn, prov, 400, NULL, "stream: expected true or false");
	}

	memset(&c, 0, sizeof(c));
	c.px = px;
	c.sys = sys;
	c.prov = prov;
	c.stream = json_is_true(js);
	c.sse.prov = prov;
	c.requested_model = um_xstrdup(model);
	c.url = um_xasprintf("%s%s", sys->base_url,
			     prov == UM_PROV_ANTHROPIC ? "/messages" : "/chat/completions");
	if (strcmp(sys->model, model) != 0) {
		/* asked by the upstream's name: send the upstream's model id */
		json_object_set_new(req, "model", json_string(sys->model));
		c.body = px_dump(req, JSON_COMPACT | JSON_PRESERVE_ORDER);
		c.body_len = strlen(c.body);
	} else {
		c.body_len = rq->body.len;
		c.body = um_buf_detach(&rq->body);
	}
	json_decref(req);
	px_attribute(px, conn, token, &c);
	c.t0 = um_mono_ms();

	if (px_build_headers(conn, &c, &why) < 0) {
		c.error = why;
		c.latency_ms = 0;
		c.status = 0;
		c.cc = CURLE_LOGIN_DENIED;
		px_emit(&c);
		rc = px_upstream_failed(conn, &c);
		px_call_release(&c);
		return rc;
	}
	if (c.stream)
		return px_forward_stream(px, conn, &c);
	rc = px_forward_buffered(conn, &c);
	px_call_release(&c);
	return rc;
}

static enum MHD_Result px_handler(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	um_proxy *px = cls;
	px_req *rq = *con_cls;
	um_provider prov = UM_PROV_OPENAI;
	char token[PX_MAX_TOKEN + 1];
	int route;

	(void)version;
	if (!rq) {
		rq = um_xcalloc(1, sizeof(*rq));
		um_buf_init(&rq->body, UM_PROXY_MAX_BODY);
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!rq->too_big && um_buf_append(&rq->body, upload_data, *upload_data_size) < 0) {
			rq->too_big = 1;
			um_buf_release(&rq->body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	atomic_fetch_add(&px->requests, 1);
	if (strcmp(url, "/health") == 0) {
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
			return px_reject(px, conn, prov, 405, NULL,
					 "method %.16s not allowed; use GET", method);
		return px_respond(conn, 200, um_xstrdup("ok"), 2, "text/plain");
	}
	route = px_route(url, &prov, token);
	if (route == -2)
		return px_reject(px, conn, prov, 404, NULL,
				 "malformed attempt token in the /t/<attempt-id>/ path "
				 "(1 to %d of A-Z a-z 0-9 . _ -)", PX_MAX_TOKEN);
	if (route < 0)
		return px_reject(px, conn, prov, 404, NULL,
				 "unknown route: use POST .../chat/completions or .../messages");
	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
		return px_reject(px, conn, prov, 405, NULL, "method %.16s not allowed; use POST",
				 method);
	if (rq->too_big)
		return px_reject(px, conn, prov, 413, NULL, "request body exceeds %u MiB",
				 UM_PROXY_MAX_BODY >> 20);
	return px_api(px, conn, prov, token, rq);
}

static void px_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	px_req *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!rq)
		return;
	um_buf_release(&rq->body);
	free(rq);
	*con_cls = NULL;
}

/* ------------------------------------------------------------------ */
/* Lifecycle */

int proxy_new(const um_proxy_opts *o, um_proxy **out, um_error *err)
{
	um_proxy *px;
	int i;

	*out = NULL;
	if (!o || !o->upstreams || o->upstreams->n_systems == 0)
		return um_fail(err, UM_ERR_USAGE, "the proxy needs at least one upstream");
	for (i = 0; i < o->upstreams->n_systems; i++) {
		const um_system *s = &o->upstreams->systems[i];

		if (s->provider != UM_PROV_OPENAI && s->provider != UM_PROV_ANTHROPIC)
			return um_fail(err, UM_ERR_INVALID,
				       "%s: upstream %s: provider %s; the proxy relays the OpenAI "
				       "chat completions and Anthropic messages wires only",
				       o->upstreams->path ? o->upstreams->path : "upstreams",
				       s->name, models_provider_name(s->provider));
		if (!s->base_url)
			return um_fail(err, UM_ERR_INVALID,
				       "%s: upstream %s: base_url %s is not expanded (is "
				       "UMPIRE_SIM_URL set?)",
				       o->upstreams->path ? o->upstreams->path : "upstreams",
				       s->name, s->base_url_raw ? s->base_url_raw : "(none)");
	}
	if (um_global_init(err) < 0)
		return -1;
	px = um_xcalloc(1, sizeof(*px));
	px->o = *o;
	atomic_init(&px->stopping, 0);
	pthread_mutex_init(&px->lock, NULL);
	um_cond_init_mono(&px->idle);
	*out = px;
	return 0;
}

int proxy_start(um_proxy *px, int port, um_error *err)
{
	const httpd_opts ho = {
		.connection_limit = 4096,
		.thread_stack = PX_STACK,
		.backlog = 1024,
		.completed = px_completed,
		.completed_cls = px,
		.what = "proxy",
	};

	if (px->daemon)
		return um_fail(err, UM_ERR_STATE, "the proxy is already running");
	atomic_store(&px->stopping, 0);
	return httpd_start_local(port, px_handler, px, &ho, &px->daemon, &px->port, px->base_url,
				 sizeof(px->base_url), err);
}

int proxy_port(const um_proxy *px)
{
	return px->port;
}

const char *proxy_base_url(const um_proxy *px)
{
	return px->base_url;
}

void proxy_get_stats(const um_proxy *px, um_proxy_stats *out)
{
	um_proxy *w = (um_proxy *)px; /* atomics are read, not changed */

	out->requests = atomic_load(&w->requests);
	out->rejected = atomic_load(&w->rejected);
	out->forwarded = atomic_load(&w->forwarded);
	out->streamed = atomic_load(&w->streamed);
	out->failed = atomic_load(&w->failed);
}

void proxy_stop(um_proxy *px)
{
	if (!px || !px->daemon)
		return;
	atomic_store(&px->stopping, 1);
	MHD_stop_daemon(px->daemon);
	px->daemon = NULL;
	pthread_mutex_lock(&px->lock);
	while (px->workers > 0)
		um_cond_wait_ms(&px->idle, &px->lock, PX_WAIT_MS);
	pthread_mutex_unlock(&px->lock);
}

void proxy_free(um_proxy *px)
{
	if (!px)
		return;
	proxy_stop(px);
	pthread_mutex_destroy(&px->lock);
	pthread_cond_destroy(&px->idle);
	free(px);
}

/* ------------------------------------------------------------------ */
/* Events */

char *proxy_event_json(const um_routing_rec *ev, const char *run_id)
{
	json_t *o = json_object(), *d = NULL;
	char *out;

	json_object_set_new(o, "attempt_id", json_string(ev->attempt_id ? ev->attempt_id : ""));
	json_object_set_new(o, "source", json_string(ev->source ? ev->source : "proxy"));
	json_object_set_new(o, "attribution",
			    json_string(ev->attribution ? ev->attribution : "none"));
	json_object_set_new(o, "sub_model", ev->sub_model ? json_string(ev->sub_model)
							  : json_null());
	json_object_set_new(o, "tokens_in", json_integer((json_int_t)ev->tokens_in));
	json_object_set_new(o, "tokens_cached", json_integer((json_int_t)ev->tokens_cached));
	json_object_set_new(o, "tokens_out", json_integer((json_int_t)ev->tokens_out));
	json_object_set_new(o, "cost_micro", json_integer((json_int_t)ev->cost_micro));
	json_object_set_new(o, "latency_ms", json_integer((json_int_t)ev->latency_ms));
	json_object_set_new(o, "status", json_integer((json_int_t)ev->status));
	json_object_set_new(o, "at_ms", json_integer((json_int_t)ev->at_ms));
	if (ev->call_id > 0)
		json_object_set_new(o, "call_id", json_integer((json_int_t)ev->call_id));
	if (ev->detail_json)
		d = json_loads(ev->detail_json, 0, NULL);
	json_object_set_new(o, "detail", d ? d : json_null());
	if (run_id)
		json_object_set_new(o, "run_id", json_string(run_id));
	out = px_dump(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return out;
}
