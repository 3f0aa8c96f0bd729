/*
 * engine.c - the HTTP event loop: one thread, one libcurl multi handle
 * driven by epoll through curl_multi_socket_action.
 *
 * Data structures:
 *   - a request (eng_req) lives from engine_submit until its callback says
 *     DONE, its last chance is spent, or the engine is stopped; between
 *     tries it sits either in its lane's FIFO queue or in the retry heap;
 *   - a transfer (eng_xfer) is one CURL easy handle plus its response
 *     buffers; transfers are recycled through a free list, so the number
 *     of easy handles never exceeds the most ever in flight at once;
 *   - the retry heap is a binary min-heap on the wake-up time.
 *
 * One turn of the loop: move due retries to the front of their lane's
 * queue, let the feed hook submit a batch, dispatch round-robin across
 * lanes (one request per lane per turn of the wheel, so a lane with a long
 * queue cannot starve the others), run libcurl's due timeout action, report finished transfers, then epoll_wait
 * for at most the time until the next retry, tick or curl timeout, hand the
 * ready sockets to curl_multi_socket_action and report again (no wait
 * while the feed hook has more: a run of 1,000 slow calls then has its
 * first batch connected and sent while later requests are still being
 * built, instead of building all of them before the first connect).
 *
 * Concurrency of a lane (AIMD): the window starts at the lane's ceiling,
 * its configured concurrency, so a latency-bound run has everything in
 * flight from the first second (a provider's rate limit is for the ceiling
 * to respect, not for the harness to guess at). A 429 or 503 halves it
 * (never below 1), at most once per round trip: a throttle seen on a
 * transfer that was dispatched before the last cut does not cut again, so a
 * burst of 429s from one window halves it once. Every other completed try
 * with an HTTP status below 500 grows it by 1/window (about one per window
 * of successes: additive recovery), never past the ceiling. A success grows
 * the window only if, when its transfer was dispatched, the lane could have
 * used at least half of the window (its queue plus what was in flight,
 * within the global cap): a window that nothing fills would otherwise grow
 * and a later halving would not slow anything down. A lane may have
 * floor(window) transfers in flight.
 *
 * Retries: the delay is max(Retry-After, backoff), where Retry-After is the
 * retry-after-ms header when there is one (milliseconds; OpenAI and Azure
 * send it) and backoff is full
 * jitter: uniform in [0, min(backoff_max, backoff_base * 2^(try-1))], drawn
 * from the seeded generator. The delay is capped at ENGINE_MAX_WAIT_MS so a
 * server asking for hours cannot hang a run; it will just ask again.
 * A due retry goes to the head of its lane's queue: it is older than
 * anything queued behind it.
 *
 * Rate-limit headers: after a try with a status below 400, a
 * remaining-requests header (OpenAI's, Anthropic's) that is below the
 * lane's window sets the window to it (at least 1); so does a
 * remaining-tokens header divided by the tokens a call of the lane uses
 * (a running mean of what the caller notes, engine_lane_note_tokens). The
 * window then grows again as successes come, and the next header caps it
 * again, so the lane follows what the provider says it will take.
 *
 * Rate limits: a lane with requests_per_minute or tokens_per_minute (the
 * system's models.yaml entry) has a bucket for each, refilled continuously
 * at the limit's rate and holding at most one second of it (at least one
 * request): providers enforce a per-minute limit over shorter spells (a
 * minute's worth sent in its first second is refused). A try starts only
 * when the request bucket holds a whole request and the token bucket is not
 * in debt; it takes one request and, from the token bucket, the tokens a
 * call of the lane uses (the running mean above), and when the call's
 * tokens are noted the bucket is charged what they differ from the mean.
 * So one call larger than a second's tokens is sent and the lane waits out
 * the debt. Until a call's tokens have been noted, a lane with a token
 * limit has one try out at a time. Retries count as requests, as providers
 * count them.
 *
 * Signing: a request with aws_sigv4 gets x-amz-date and Authorization
 * headers computed for each try (sigv4.c), so a retry after a long
 * Retry-After is not sent with a stale signature.
 *
 * Streams: the first-token detector sees the body as it arrives, whole
 * lines at a time, until it reports a token; the try's ttft_ms is the time
 * from the start of the try to then. The stall limit is libcurl's low-speed
 * limit (less than 1 byte per second for that many seconds), which ends the
 * transfer with CURLE_OPERATION_TIMEDOUT, so a stalled stream is a timeout.
 *
 * The end: once the caller has said it submits nothing new
 * (engine_no_more_requests), libcurl's connection cache is cut to one idle
 * connection, so each transfer that ends closes a connection then, while
 * the loop mostly waits for the others' answers (1,008 calls at 500 ms: the
 * answers arrive over the same 100-odd milliseconds their requests were
 * sent in). engine_close_idle closes an idle engine's connections and
 * handles in a thread of its own (a thousand closes, each a FIN over the
 * wire, take tens of milliseconds), so the caller's last writes go on beside
 * it; engine_free joins it.
 *
 * Callbacks run on the loop's stack. They may submit requests and stop the
 * engine; they must not run or free it. Once a callback has returned DONE
 * (or its last chance), the engine never touches its ctx again.
 */
#include "exec/engine.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "umpire_config.h"
#include "base/util.h"
#include "exec/sigv4.h"

#define ENGINE_DEFAULT_MAX_IN_FLIGHT 1024
#define ENGINE_DEFAULT_BACKOFF_BASE_MS 500
#define ENGINE_DEFAULT_BACKOFF_MAX_MS 30000
#define ENGINE_DEFAULT_MAX_BODY ((size_t)64 << 20)
#define ENGINE_MAX_WAIT_MS (10 * 60 * 1000)
#define ENGINE_DEFAULT_TICK_MS 1000
/* Longest poll; keeps the loop responsive to a stop from another thread
 * even if a wake-up were lost. */
#define ENGINE_MAX_POLL_MS 1000
/* Socket events taken from one epoll_wait. */
#define ENGINE_EPOLL_BATCH 256
/* A recycled transfer keeps its body buffer unless it grew past this. */
#define ENGINE_KEEP_BUF_BYTES ((size_t)256 << 10)

typedef struct eng_req eng_req;
typedef struct eng_xfer eng_xfer;

struct eng_req {
	int lane;
	char *url;
	char *body; /* NULL: GET */
	size_t body_len;
	struct curl_slist *headers;
	um_try_fn on_try;
	void *ctx;
	char *aws_sigv4;	       /* CURLOPT_AWS_SIGV4, or NULL */
	char *userpwd;		       /* with aws_sigv4; wiped when freed */
	int stall_ms;		       /* > 0: low-speed limit */
	um_token_scan_fn token_scan; /* first-token detector, or NULL */
	int try_no;	 /* tries started so far */
	int64_t wake_ms; /* monotonic time of the next try (heap key) */
	uint64_t seq;	 /* submission order, breaks heap ties */
	eng_req *next;	 /* lane queue */
};

struct eng_xfer {
	CURL *easy;
	eng_req *req;
	um_buf body;
	um_buf hdrs;            /* response header lines of the final response */
	int truncated;
	int64_t retry_after_ms;
	int retry_after_exact; /* retry_after_ms came from retry-after-ms */
	int64_t ttft_ms;   /* -1 until the detector reports a token */
	struct curl_slist *signed_headers; /* this try's headers with its SigV4 signature */
	size_t scan_off;   /* body bytes the detector is done with */
	int64_t start_mono;
	int64_t start_wall;
	uint64_t lane_seq; /* dispatch number within the lane */
	int may_grow;	   /* the lane could fill half its window at dispatch */
	char errbuf[CURL_ERROR_SIZE];
	eng_xfer *prev, *next; /* active list, or free list (next only) */
};

typedef struct eng_lane {
	um_lane_opts o;
	double window;
	int in_flight;
	uint64_t dispatched; /* dispatch counter (eng_xfer.lane_seq) */
	uint64_t cut_seq;    /* dispatched count at the last halving */
	eng_req *head, *tail;
	size_t queued;
	double tokens_per_call; /* running mean of what its calls used; 0: none noted */
	/* rate limits: what the buckets hold, per millisecond refills, caps */
	double req_left, tok_left, req_per_ms, tok_per_ms, req_cap, tok_cap;
	int64_t refilled_ms;
} eng_lane;

struct um_engine {
	um_engine_opts o;
	CURLM *multi;
	int epfd;	  /* the sockets libcurl asks to watch, and wakefd */
	int wakefd;	  /* eventfd: engine_wakeup & co. from any thread */
	int64_t timer_ms; /* monotonic time libcurl wants its timeout action, -1: none */
	um_rng rng;
	eng_lane *lanes;
	int n_lanes;
	size_t cap_lanes;
	eng_req **heap;
	size_t n_heap, cap_heap;
	eng_xfer *free_xfers;
	eng_xfer *active;
	int in_flight;
	size_t queued;
	int rr; /* next lane to look at when dispatching */
	uint64_t seq;
	int running;
	atomic_int stop;
	void (*abandon)(void *ctx);
	uint64_t tries, retries, throttled;
	int max_seen;
	/* work done outside the loop (tool calls in worker threads): the loop
	 * stays up while holds > 0 and calls wake_hook after every poll */
	atomic_int holds;
	void (*wake_hook)(void *ctx);
	void *wake_ctx;
	/* the caller's feeder: submits a bounded batch at the top of every
	 * turn, nonzero while it has more it could submit now */
	int (*feed_hook)(void *ctx);
	void *feed_ctx;
	/* engine_close_idle: the connections and handles are being closed by
	 * this thread; engine_free joins it */
	pthread_t closer;
	int closing;
};

/* ---- Retry-After ------------------------------------------------------- */

char *engine_header_value(const char *headers, const char *name)
{
	size_t n = strlen(name);
	const char *p = headers;

	while (p && *p) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l > n && p[n] == ':' && strncasecmp(p, name, n) == 0) {
			const char *v = p + n + 1;
			size_t vl = l - n - 1;
			while (vl && (*v == ' ' || *v == '\t')) {
				v++;
				vl--;
			}
			while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			return um_xstrndup(v, vl);
		}
		p = e ? e + 1 : NULL;
	}
	return NULL;
}

int64_t engine_parse_retry_after(const char *value, int64_t now_wall_ms)
{
	char tmp[128];
	size_t n, i;
	time_t t;

	if (!value)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	n = strlen(value);
	while (n && (value[n - 1] == ' ' || value[n - 1] == '\t' || value[n - 1] == '\r' ||
		     value[n - 1] == '\n'))
		n--;
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, value, n);
	tmp[n] = '\0';

	if (tmp[0] >= '0' && tmp[0] <= '9') {
		int64_t secs = 0;

		/* delta-seconds: digits only. */
		for (i = 0; i < n; i++) {
			if (tmp[i] < '0' || tmp[i] > '9')
				return -1;
			if (secs > (INT64_MAX / 1000 - 9) / 10)
				return -1;
			secs = secs * 10 + (tmp[i] - '0');
		}
		return secs * 1000;
	}
	/* HTTP-date: every form starts with the day's name. */
	if (!((tmp[0] >= 'A' && tmp[0] <= 'Z') || (tmp[0] >= 'a' && tmp[0] <= 'z')))
		return -1;
	t = curl_getdate(tmp, NULL);
	if (t == (time_t)-1 || (int64_t)t > INT64_MAX / 1000)
		return -1;
	if ((int64_t)t * 1000 <= now_wall_ms)
		return 0;
	return (int64_t)t * 1000 - now_wall_ms;
}

int64_t engine_parse_retry_after_ms(const char *value)
{
	int64_t ms = 0;
	int digits = 0, frac = 0;

	if (!value)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	/* milliseconds, digits with an optional fraction (rounded up) */
	for (; *value >= '0' && *value <= '9'; value++, digits++) {
		if (ms > (INT64_MAX - 9) / 10)
			return -1;
		ms = ms * 10 + (*value - '0');
	}
	if (*value == '.')
		for (value++; *value >= '0' && *value <= '9'; value++)
			frac |= *value != '0';
	while (*value == ' ' || *value == '\t' || *value == '\r' || *value == '\n')
		value++;
	if (!digits || *value)
		return -1;
	return frac && ms < INT64_MAX ? ms + 1 : ms;
}

/* Real time, even under SOURCE_DATE_EPOCH: an HTTP-date is compared with now. */
static int64_t engine_real_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- requests, queues and the retry heap ------------------------------- */

static void req_free(eng_req *r)
{
	free(r->url);
	free(r->body);
	free(r->aws_sigv4);
	if (r->userpwd) {
		volatile char *p = r->userpwd;
		while (*p)
			*p++ = '\0';
		free(r->userpwd);
	}
	curl_slist_free_all(r->headers);
	free(r);
}

static void req_abandon(um_engine *e, eng_req *r)
{
	if (e->abandon)
		e->abandon(r->ctx);
	req_free(r);
}

static void lane_push_back(um_engine *e, eng_lane *l, eng_req *r)
{
	r->next = NULL;
	if (l->tail)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
	l->queued++;
	e->queued++;
}

static void lane_push_front(um_engine *e, eng_lane *l, eng_req *r)
{
	r->next = l->head;
	l->head = r;
	if (!l->tail)
		l->tail = r;
	l->queued++;
	e->queued++;
}

static eng_req *lane_pop(um_engine *e, eng_lane *l)
{
	eng_req *r = l->head;

	if (!r)
		return NULL;
	l->head = r->next;
	if (!l->head)
		l->tail = NULL;
	r->next = NULL;
	l->queued--;
	e->queued--;
	return r;
}

static int heap_less(const eng_req *a, const eng_req *b)
{
	return a->wake_ms < b->wake_ms || (a->wake_ms == b->wake_ms && a->seq < b->seq);
}

static void heap_push(um_engine *e, eng_req *r)
{
	size_t i;

	um_xgrow((void **)&e->heap, &e->cap_heap, e->n_heap + 1, sizeof(*e->heap));
	i = e->n_heap++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!heap_less(r, e->heap[parent]))
			break;
		e->heap[i] = e->heap[parent];
		i = parent;
	}
	e->heap[i] = r;
}

static eng_req *heap_pop(um_engine *e)
{
	eng_req *top, *last;
	size_t i = 0;

	if (e->n_heap == 0)
		return NULL;
	top = e->heap[0];
	last = e->heap[--e->n_heap];
	if (e->n_heap == 0)
		return top;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= e->n_heap)
			break;
		if (c + 1 < e->n_heap && heap_less(e->heap[c + 1], e->heap[c]))
			c++;
		if (!heap_less(e->heap[c], last))
			break;
		e->heap[i] = e->heap[c];
		i = c;
	}
	e->heap[i] = last;
	return top;
}

/* ---- transfers --------------------------------------------------------- */

static size_t xfer_on_body(char *data, size_t size, size_t n, void *ud)
{
	eng_xfer *x = ud;
	size_t len = size * n;

	if (um_buf_append(&x->body, data, len) < 0) {
		x->truncated = 1;
		return 0; /* CURLE_WRITE_ERROR ends the transfer */
	}
	if (x->req && x->req->token_scan && x->ttft_ms < 0) {
		size_t used = 0;
		int found = x->req->token_scan(x->body.data + x->scan_off,
					       x->body.len - x->scan_off, &used);

		x->scan_off += used <= x->body.len - x->scan_off ? used : 0;
		if (found)
			x->ttft_ms = um_mono_ms() - x->start_mono;
	}
	return len;
}

/* The value of header line data (len bytes) when it is named name (with its
 * colon), cut to fit tmp; NULL otherwise. */
static const char *header_line_value(const char *data, size_t len, const char *name, char *tmp,
				     size_t cap)
{
	size_t nl = strlen(name), vlen;

	if (len <= nl || strncasecmp(data, name, nl) != 0)
		return NULL;
	vlen = len - nl < cap ? len - nl : cap - 1;
	memcpy(tmp, data + nl, vlen);
	tmp[vlen] = '\0';
	return tmp;
}

static size_t xfer_on_header(char *data, size_t size, size_t n, void *ud)
{
	eng_xfer *x = ud;
	size_t len = size * n;
	const char *v;
	char tmp[128];

	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		/* A new response (after a 100 Continue, say) starts afresh. */
		x->retry_after_ms = -1;
		x->retry_after_exact = 0;
		um_buf_reset(&x->hdrs);
		return len;
	}
	um_buf_append(&x->hdrs, data, len); /* past 64 KiB, the rest is dropped */
	if ((v = header_line_value(data, len, "retry-after-ms:", tmp, sizeof(tmp)))) {
		/* OpenAI's and Azure's, in milliseconds: it wins over Retry-After */
		int64_t ms = engine_parse_retry_after_ms(v);

		if (ms >= 0) {
			x->retry_after_ms = ms;
			x->retry_after_exact = 1;
		}
	} else if ((v = header_line_value(data, len, "retry-after:", tmp, sizeof(tmp))) &&
		   !x->retry_after_exact) {
		x->retry_after_ms = engine_parse_retry_after(v, engine_real_wall_ms());
	}
	return len;
}

static eng_xfer *xfer_get(um_engine *e)
{
	eng_xfer *x = e->free_xfers;

	if (x) {
		e->free_xfers = x->next;
		curl_easy_reset(x->easy);
	} else {
		x = um_xcalloc(1, sizeof(*x));
		x->easy = curl_easy_init();
		if (!x->easy) {
			free(x);
			return NULL;
		}
		um_buf_init(&x->body, e->o.max_body);
		um_buf_init(&x->hdrs, 65536);
	}
	um_buf_reset(&x->hdrs);
	x->prev = x->next = NULL;
	x->req = NULL;
	x->truncated = 0;
	x->retry_after_ms = -1;
	x->retry_after_exact = 0;
	x->ttft_ms = -1;
	x->scan_off = 0;
	x->errbuf[0] = '\0';
	return x;
}

static void xfer_put(um_engine *e, eng_xfer *x)
{
	if (x->body.cap > ENGINE_KEEP_BUF_BYTES)
		um_buf_release(&x->body);
	else
		um_buf_reset(&x->body);
	um_buf_reset(&x->hdrs);
	curl_slist_free_all(x->signed_headers);
	x->signed_headers = NULL;
	x->req = NULL;
	x->prev = NULL;
	x->next = e->free_xfers;
	e->free_xfers = x;
}

static void active_link(um_engine *e, eng_xfer *x)
{
	x->prev = NULL;
	x->next = e->active;
	if (e->active)
		e->active->prev = x;
	e->active = x;
}

static void active_unlink(um_engine *e, eng_xfer *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		e->active = x->next;
	if (x->next)
		x->next->prev = x->prev;
	x->prev = x->next = NULL;
}

/* This try's SigV4 headers (fresh date) after the request's own ones. */
static int xfer_sign(eng_xfer *x, const eng_req *r)
{
	const char **lines;
	struct curl_slist *h, *list = NULL;
	char *date = NULL, *auth = NULL;
	int n = 0, rc;

	for (h = r->headers; h; h = h->next)
		n++;
	lines = um_xcalloc((size_t)n + 1, sizeof(*lines));
	n = 0;
	for (h = r->headers; h; h = h->next)
		lines[n++] = h->data;
	rc = sigv4_sign(r->aws_sigv4, r->userpwd, r->url, lines, n, r->body, r->body_len,
			engine_real_wall_ms() / 1000, &date, &auth);
	free(lines);
	curl_slist_free_all(x->signed_headers);
	x->signed_headers = NULL;
	for (h = r->headers; rc == 0 && h; h = h->next)
		list = curl_slist_append(list, h->data);
	if (rc == 0)
		list = curl_slist_append(list, date);
	if (rc == 0 && list)
		list = curl_slist_append(list, auth);
	free(date);
	if (auth)
		memset(auth, 0, strlen(auth));
	free(auth);
	x->signed_headers = list;
	return rc == 0 && list ? 0 : -1;
}

static int xfer_setup(um_engine *e, eng_xfer *x, const eng_req *r)
{
	const eng_lane *l = &e->lanes[r->lane];
	CURL *h = x->easy;
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (rc == CURLE_OK)                                                                \
			rc = curl_easy_setopt(h, opt, val);                                        \
	} while (0)
	SET(CURLOPT_URL, r->url);
	SET(CURLOPT_PRIVATE, (void *)x);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	/* Over TLS, wait for a pending connection's ALPN so HTTP/2 can
	 * multiplex; plain http is HTTP/1.1 and must not wait for it. */
	if (strncasecmp(r->url, "https:", 6) == 0)
		SET(CURLOPT_PIPEWAIT, 1L);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_USERAGENT, "umpire/" UMPIRE_VERSION);
	SET(CURLOPT_TIMEOUT_MS, (long)(l->o.timeout_ms > 0 ? l->o.timeout_ms : 0));
	SET(CURLOPT_WRITEFUNCTION, xfer_on_body);
	SET(CURLOPT_WRITEDATA, (void *)x);
	SET(CURLOPT_HEADERFUNCTION, xfer_on_header);
	SET(CURLOPT_HEADERDATA, (void *)x);
	SET(CURLOPT_HTTPHEADER, r->headers);
	if (r->aws_sigv4 && xfer_sign(x, r) == 0)
		SET(CURLOPT_HTTPHEADER, x->signed_headers);
	else if (r->aws_sigv4)
		rc = CURLE_LOGIN_DENIED; /* cannot sign: do not send unsigned */
	if (r->stall_ms > 0) {
		SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
		SET(CURLOPT_LOW_SPEED_TIME, (long)((r->stall_ms + 999) / 1000));
	}
	if (r->body) {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
		SET(CURLOPT_POSTFIELDS, r->body);
	} else {
		SET(CURLOPT_HTTPGET, 1L);
	}
#undef SET
	return rc == CURLE_OK ? 0 : (int)rc;
}

static void adjust_window(eng_lane *l, const eng_xfer *x, CURLcode rc, long status)
{
	int ceiling = l->o.concurrency;

	if (status == 429 || status == 503) {
		if (x->lane_seq > l->cut_seq) {
			l->window /= 2;
			if (l->window < 1)
				l->window = 1;
			l->cut_seq = l->dispatched;
		}
	} else if (rc == CURLE_OK && status > 0 && status < 500 && status != 408 && x->may_grow) {
		l->window += 1.0 / l->window;
		if (l->window > ceiling)
			l->window = ceiling;
	}
}

/* A count the provider says is left, from the first of the two headers
 * present; -1 when none parses. */
static int64_t remaining_count(const char *headers, const char *const names[2])
{
	size_t i;

	for (i = 0; headers && i < 2; i++) {
		char *v = engine_header_value(headers, names[i]), *end = NULL;
		long long n = v && *v ? strtoll(v, &end, 10) : -1;
		int ok = v && end && *end == '\0' && n >= 0;

		free(v);
		if (ok)
			return n;
	}
	return -1;
}

/* Caps the lane's window at what the rate-limit headers say is left: the
 * requests, and the tokens over what a call of the lane uses on average. */
static void follow_rate_limit(eng_lane *l, const char *headers, long status)
{
	static const char *const requests[] = {"x-ratelimit-remaining-requests",
					       "anthropic-ratelimit-requests-remaining"};
	static const char *const tokens[] = {"x-ratelimit-remaining-tokens",
					     "anthropic-ratelimit-tokens-remaining"};
	int64_t left, tok;

	if (status <= 0 || status >= 400)
		return;
	left = remaining_count(headers, requests);
	tok = l->tokens_per_call > 0 ? remaining_count(headers, tokens) : -1;
	if (tok >= 0 && (left < 0 || (double)tok / l->tokens_per_call < (double)left))
		left = (int64_t)((double)tok / l->tokens_per_call);
	if (left < 0 || (double)left >= l->window)
		return;
	l->window = left < 1 ? 1 : (double)left;
}

/* ---- rate limits (the head comment's "Rate limits") ---------------------- */

static int lane_slots(const eng_lane *l);

static int lane_limited(const eng_lane *l)
{
	return l->req_per_ms > 0 || l->tok_per_ms > 0;
}

static void lane_refill(eng_lane *l, int64_t now)
{
	double dt = (double)(now - l->refilled_ms);

	if (dt <= 0)
		return;
	l->refilled_ms = now;
	if (l->req_per_ms > 0 && (l->req_left += dt * l->req_per_ms) > l->req_cap)
		l->req_left = l->req_cap;
	if (l->tok_per_ms > 0 && (l->tok_left += dt * l->tok_per_ms) > l->tok_cap)
		l->tok_left = l->tok_cap;
}

/* 0 when a try of the lane may start now, else the milliseconds until one
 * may (-1: when a try out now ends). */
static int64_t lane_rate_wait(eng_lane *l, int64_t now)
{
	double wait = 0;

	if (!lane_limited(l))
		return 0;
	lane_refill(l, now);
	if (l->tok_per_ms > 0 && l->tokens_per_call <= 0 && l->in_flight > 0)
		return -1;
	if (l->req_per_ms > 0 && l->req_left < 1)
		wait = (1 - l->req_left) / l->req_per_ms;
	if (l->tok_per_ms > 0 && l->tok_left <= 0 && -l->tok_left / l->tok_per_ms > wait)
		wait = -l->tok_left / l->tok_per_ms;
	return wait > 0 ? (int64_t)ceil(wait) : 0;
}

static void lane_rate_take(eng_lane *l)
{
	if (l->req_per_ms > 0)
		l->req_left -= 1;
	if (l->tok_per_ms > 0)
		l->tok_left -= l->tokens_per_call;
}

/* The soonest a limited lane with requests queued may start one, in ms from
 * now, or -1 (none waits on a bucket). */
static int64_t engine_rate_timeout(um_engine *e, int64_t now)
{
	int64_t best = -1;
	int i;

	for (i = 0; i < e->n_lanes; i++) {
		eng_lane *l = &e->lanes[i];
		int64_t w;

		if (!l->head || !lane_limited(l) || l->in_flight >= lane_slots(l))
			continue;
		w = lane_rate_wait(l, now);
		if (w > 0 && (best < 0 || w < best))
			best = w;
	}
	return best;
}

void engine_lane_note_tokens(um_engine *e, int lane, int64_t tokens)
{
	eng_lane *l;

	if (lane < 0 || lane >= e->n_lanes || tokens <= 0)
		return;
	l = &e->lanes[lane];
	/* the token bucket was charged the mean when the try started */
	if (l->tok_per_ms > 0)
		l->tok_left -= (double)tokens - l->tokens_per_call;
	/* an exponential mean: recent calls count most, one odd call little */
	l->tokens_per_call = l->tokens_per_call > 0
				 ? 0.8 * l->tokens_per_call + 0.2 * (double)tokens
				 : (double)tokens;
}

static void schedule_retry(um_engine *e, eng_req *r, int64_t retry_after_ms)
{
	int64_t cap = e->o.backoff_base_ms, delay;
	int i;

	for (i = 1; i < r->try_no && cap < e->o.backoff_max_ms; i++)
		cap *= 2;
	if (cap > e->o.backoff_max_ms)
		cap = e->o.backoff_max_ms;
	delay = (int64_t)um_rng_below(&e->rng, (uint64_t)cap + 1);
	if (retry_after_ms > delay)
		delay = retry_after_ms;
	if (delay > ENGINE_MAX_WAIT_MS)
		delay = ENGINE_MAX_WAIT_MS;
	r->wake_ms = um_mono_ms() + delay;
	heap_push(e, r);
	e->retries++;
}

/* ---- the error taxonomy --------------------------------------------------
 * The one place that decides whether a failed try is worth repeating.
 * Permanent: what the same request will meet again - a bad URL, a scheme
 * or feature this libcurl lacks, a body over the cap, an HTTP status that
 * is not 408, 429 or 5xx. Transient: every other transport failure
 * (connection refused, reset, timeout), 408, 429 and 5xx. A 2xx whose body
 * cannot be read is the caller's to judge (a cut body is worth another
 * try); engine_try_kind calls it UM_TRYK_OK. */
static int curl_code_is_permanent(int rc)
{
	switch ((CURLcode)rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_FILESIZE_EXCEEDED:
		return 1;
	default:
		return 0;
	}
}

um_try_kind engine_try_kind(const um_try *t)
{
	long s = t->http_status;

	if (t->body_truncated)
		return UM_TRYK_PERMANENT;
	if (t->curl_code != CURLE_OK)
		return curl_code_is_permanent(t->curl_code) ? UM_TRYK_PERMANENT : UM_TRYK_TRANSIENT;
	if (s >= 200 && s < 300)
		return UM_TRYK_OK;
	if (s == 408 || s == 429 || (s >= 500 && s <= 599))
		return UM_TRYK_TRANSIENT;
	return UM_TRYK_PERMANENT;
}

const char *engine_try_class(const um_try *t)
{
	static __thread char buf[32];

	if (t->curl_code == CURLE_OPERATION_TIMEDOUT)
		return "timeout";
	if (t->body_truncated)
		return "body_too_large";
	if (t->curl_code != CURLE_OK)
		return "transport";
	snprintf(buf, sizeof(buf), "http_%ld", t->http_status);
	return buf;
}

/* Hands a finished try to the caller, then ends or reschedules the request. */
static void req_report(um_engine *e, eng_req *r, um_try *t)
{
	int verdict;

	t->last_chance = r->try_no >= 1 + e->lanes[r->lane].o.max_retries;
	e->tries++;
	verdict = r->on_try(r->ctx, t);
	if (verdict == UM_TRY_RETRY && !t->last_chance) {
		if (atomic_load(&e->stop))
			req_abandon(e, r);
		else
			schedule_retry(e, r, t->retry_after_ms);
	} else {
		req_free(r);
	}
}

/* A try has ended (or could not start: added == 0): report it and recycle
 * the transfer. */
static void xfer_finish(um_engine *e, eng_xfer *x, CURLcode rc, int added)
{
	eng_req *r = x->req;
	eng_lane *l = &e->lanes[r->lane];
	long status = 0;
	um_try t;

	if (added) {
		curl_multi_remove_handle(e->multi, x->easy);
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	}
	active_unlink(e, x);
	l->in_flight--;
	e->in_flight--;
	if (status == 429 || status == 503)
		e->throttled++;
	adjust_window(l, x, rc, status);
	follow_rate_limit(l, um_buf_str(&x->hdrs), status);

	memset(&t, 0, sizeof(t));
	t.try_no = r->try_no;
	t.http_status = status;
	t.curl_code = (int)rc;
	t.started_ms = x->start_wall;
	t.latency_ms = um_mono_ms() - x->start_mono;
	t.body = um_buf_str(&x->body);
	t.body_len = x->body.len;
	t.headers = um_buf_str(&x->hdrs);
	t.body_truncated = x->truncated;
	t.retry_after_ms = x->retry_after_ms;
	t.ttft_ms = x->ttft_ms;
	if (x->truncated) {
		snprintf(x->errbuf, sizeof(x->errbuf),
			 "response body exceeds the limit of %zu bytes", e->o.max_body);
		t.error = x->errbuf;
	} else if (rc != CURLE_OK) {
		t.error = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
	}
	t.retryable = engine_try_kind(&t) == UM_TRYK_TRANSIENT;
	req_report(e, r, &t);
	xfer_put(e, x);
}

static void xfer_start(um_engine *e, eng_req *r)
{
	eng_lane *l = &e->lanes[r->lane];
	eng_xfer *x = xfer_get(e);
	CURLcode rc;

	r->try_no++;
	if (!x) {
		/* No easy handle to be had: the try fails before it starts. */
		um_try t;

		memset(&t, 0, sizeof(t));
		t.try_no = r->try_no;
		t.curl_code = CURLE_FAILED_INIT;
		t.error = "cannot create a curl handle";
		t.started_ms = um_wall_ms();
		t.body = "";
		t.retry_after_ms = -1;
		t.ttft_ms = -1;
		t.retryable = 1;
		req_report(e, r, &t);
		return;
	}
	l->in_flight++;
	e->in_flight++;
	if (e->in_flight > e->max_seen)
		e->max_seen = e->in_flight;
	x->req = r;
	x->start_mono = um_mono_ms();
	x->start_wall = um_wall_ms();
	x->lane_seq = ++l->dispatched;
	{
		/* What the lane could have in flight now with an unbounded window. */
		size_t usable = (size_t)l->in_flight + l->queued;
		size_t room = (size_t)l->in_flight + (size_t)(e->o.max_in_flight - e->in_flight);

		if (room < usable)
			usable = room;
		x->may_grow = 2 * (double)usable >= (double)(int)l->window;
	}
	active_link(e, x);
	rc = (CURLcode)xfer_setup(e, x, r);
	if (rc != CURLE_OK) {
		xfer_finish(e, x, rc, 0);
		return;
	}
	if (curl_multi_add_handle(e->multi, x->easy) != CURLM_OK) {
		snprintf(x->errbuf, sizeof(x->errbuf), "cannot add the transfer to the loop");
		xfer_finish(e, x, CURLE_FAILED_INIT, 0);
	}
}

static int lane_slots(const eng_lane *l)
{
	int w = (int)l->window;

	if (w < 1)
		w = 1;
	if (w > l->o.concurrency)
		w = l->o.concurrency;
	return w;
}

/* Starts queued requests, one per lane per turn of the wheel. */
static void engine_dispatch(um_engine *e)
{
	int misses = 0;

	while (!atomic_load(&e->stop) && e->queued > 0 && e->in_flight < e->o.max_in_flight &&
	       misses < e->n_lanes) {
		eng_lane *l = &e->lanes[e->rr];
		eng_req *r;

		e->rr = (e->rr + 1) % e->n_lanes;
		if (!l->head || l->in_flight >= lane_slots(l) ||
		    (lane_limited(l) && lane_rate_wait(l, um_mono_ms()) != 0)) {
			misses++;
			continue;
		}
		misses = 0;
		r = lane_pop(e, l);
		if (!r)
			continue;
		lane_rate_take(l);
		xfer_start(e, r);
	}
}

/* Moves retries whose time has come to the front of their lanes. */
static void engine_wake(um_engine *e, int64_t now)
{
	while (e->n_heap && e->heap[0]->wake_ms <= now) {
		eng_req *r = heap_pop(e);
		lane_push_front(e, &e->lanes[r->lane], r);
	}
}

/* Drops everything: in-flight transfers are removed unreported, queued and
 * sleeping requests are handed to the abandon hook. */
static void engine_abandon_all(um_engine *e)
{
	eng_req *r;
	int i;

	while (e->active) {
		eng_xfer *x = e->active;

		r = x->req;
		curl_multi_remove_handle(e->multi, x->easy);
		active_unlink(e, x);
		e->lanes[r->lane].in_flight--;
		e->in_flight--;
		xfer_put(e, x);
		req_abandon(e, r);
	}
	for (i = 0; i < e->n_lanes; i++)
		while ((r = lane_pop(e, &e->lanes[i])))
			req_abandon(e, r);
	while ((r = heap_pop(e)))
		req_abandon(e, r);
}

/* ---- libcurl's sockets and timer --------------------------------------
 * libcurl says which sockets to watch for what (CURLMOPT_SOCKETFUNCTION)
 * and when it next wants a timeout action (CURLMOPT_TIMERFUNCTION); the
 * loop waits on them with epoll and hands each ready socket to
 * curl_multi_socket_action, so a turn costs what is ready, not what is in
 * flight (curl_multi_perform walks every transfer and polls each socket).
 * libcurl removes a socket before it closes it. */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	um_engine *e = userp;
	struct epoll_event ev;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		/* closing for good: nobody waits on the set, and close() takes the
		 * socket out of it */
		if (socketp && !e->closing)
			epoll_ctl(e->epfd, EPOLL_CTL_DEL, fd, NULL);
		curl_multi_assign(e->multi, fd, NULL);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	ev.data.fd = fd;
	if (socketp)
		return epoll_ctl(e->epfd, EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : -1;
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev) != 0 &&
	    (errno != EEXIST || epoll_ctl(e->epfd, EPOLL_CTL_MOD, fd, &ev) != 0))
		return -1;
	curl_multi_assign(e->multi, fd, e); /* any non-NULL mark: watched */
	return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	um_engine *e = userp;

	(void)multi;
	e->timer_ms = timeout_ms < 0 ? -1 : um_mono_ms() + timeout_ms;
	return 0;
}

/* Runs libcurl's timeout action if it is due. */
static CURLMcode engine_curl_timer(um_engine *e, int64_t now)
{
	int running;

	if (e->timer_ms < 0 || e->timer_ms > now)
		return CURLM_OK;
	e->timer_ms = -1;
	return curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
}

/* Waits up to timeout_ms for a socket, a wake-up or nothing, and hands
 * every ready socket to libcurl. */
static CURLMcode engine_wait(um_engine *e, int64_t timeout_ms)
{
	struct epoll_event ev[ENGINE_EPOLL_BATCH];
	int n, i, running;
	CURLMcode mc = CURLM_OK;

	n = epoll_wait(e->epfd, ev, ENGINE_EPOLL_BATCH, (int)timeout_ms);
	for (i = 0; i < n && mc == CURLM_OK; i++) {
		int mask = 0;

		if (ev[i].data.fd == e->wakefd) {
			uint64_t v;
			if (read(e->wakefd, &v, sizeof(v)) < 0) {
				/* EAGAIN: another read took it; nothing to do */
			}
			continue;
		}
		if (ev[i].events & (EPOLLIN | EPOLLHUP))
			mask |= CURL_CSELECT_IN;
		if (ev[i].events & EPOLLOUT)
			mask |= CURL_CSELECT_OUT;
		if (ev[i].events & EPOLLERR)
			mask |= CURL_CSELECT_ERR;
		mc = curl_multi_socket_action(e->multi, ev[i].data.fd, mask, &running);
	}
	return mc;
}

/* Reports every transfer libcurl has finished; how many. */
static int engine_reap(um_engine *e)
{
	CURLMsg *msg;
	int left, finished = 0;

	while (!atomic_load(&e->stop) && (msg = curl_multi_info_read(e->multi, &left))) {
		char *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		xfer_finish(e, (eng_xfer *)(void *)priv, msg->data.result, 1);
		finished++;
	}
	return finished;
}

/* ---- public ------------------------------------------------------------ */

int engine_new(const um_engine_opts *opts, um_engine **out, um_error *err)
{
	um_engine *e;

	*out = NULL;
	if (um_global_init(err) < 0)
		return -1;
	e = um_xcalloc(1, sizeof(*e));
	if (opts)
		e->o = *opts;
	if (e->o.max_in_flight < 0 || e->o.backoff_base_ms < 0 || e->o.backoff_max_ms < 0) {
		free(e);
		return um_fail(err, UM_ERR_USAGE, "engine options must not be negative");
	}
	if (e->o.max_in_flight == 0)
		e->o.max_in_flight = ENGINE_DEFAULT_MAX_IN_FLIGHT;
	if (e->o.backoff_base_ms == 0)
		e->o.backoff_base_ms = ENGINE_DEFAULT_BACKOFF_BASE_MS;
	if (e->o.backoff_max_ms == 0)
		e->o.backoff_max_ms = ENGINE_DEFAULT_BACKOFF_MAX_MS;
	if (e->o.backoff_max_ms < e->o.backoff_base_ms)
		e->o.backoff_max_ms = e->o.backoff_base_ms;
	if (e->o.max_body == 0)
		e->o.max_body = ENGINE_DEFAULT_MAX_BODY;
	um_rng_seed(&e->rng, e->o.seed);
	atomic_init(&e->stop, 0);

	e->timer_ms = -1;
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	e->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (e->epfd >= 0 && e->wakefd >= 0) {
		struct epoll_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.fd = e->wakefd;
		if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->wakefd, &ev) != 0) {
			close(e->wakefd);
			e->wakefd = -1;
		}
	}
	e->multi = e->epfd >= 0 && e->wakefd >= 0 ? curl_multi_init() : NULL;
	if (!e->multi) {
		if (e->epfd >= 0)
			close(e->epfd);
		if (e->wakefd >= 0)
			close(e->wakefd);
		free(e);
		return um_fail(err, UM_ERR_HTTP, "cannot create a curl multi handle");
	}
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, (void *)e);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, (void *)e);
	/* Keep an idle connection for every possible transfer, so a lane that
	 * pauses does not churn connections; no per-host limit (lanes are the
	 * limit); multiplex on HTTP/2. */
	curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, (long)e->o.max_in_flight + 32);
	curl_multi_setopt(e->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
	curl_multi_setopt(e->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
	curl_multi_setopt(e->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	*out = e;
	return 0;
}

/* The transfers' handles and the multi handle with its connections. */
static void engine_close_curl(um_engine *e)
{
	eng_xfer *x;

	while ((x = e->free_xfers)) {
		e->free_xfers = x->next;
		curl_easy_cleanup(x->easy);
		um_buf_release(&x->body);
		um_buf_release(&x->hdrs);
		free(x);
	}
	curl_multi_cleanup(e->multi);
	e->multi = NULL;
}

static void *engine_closer(void *arg)
{
	engine_close_curl(arg);
	return NULL;
}

int engine_close_idle(um_engine *e)
{
	if (e->closing || e->running || e->active || e->queued || e->n_heap)
		return -1;
	e->closing = 1;
	if (pthread_create(&e->closer, NULL, engine_closer, e) != 0) {
		engine_close_curl(e); /* no thread to be had: here and now */
		e->closing = 2;
	}
	return 0;
}

void engine_no_more_requests(um_engine *e)
{
	if (e->multi && !e->closing)
		curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, 1L);
}

void engine_free(um_engine *e)
{
	if (!e)
		return;
	if (e->closing == 1)
		pthread_join(e->closer, NULL);
	if (!e->closing) {
		engine_abandon_all(e);
		engine_close_curl(e);
	}
	close(e->epfd);
	close(e->wakefd);
	free(e->lanes);
	free(e->heap);
	free(e);
}

void engine_set_abandon(um_engine *e, void (*fn)(void *ctx))
{
	e->abandon = fn;
}

int engine_add_lane(um_engine *e, const um_lane_opts *opts)
{
	eng_lane *l;

	if (!opts || opts->concurrency < 1 || opts->timeout_ms < 0 || opts->max_retries < 0 ||
	    !(opts->requests_per_minute >= 0) || !(opts->tokens_per_minute >= 0))
		return -1;
	um_xgrow((void **)&e->lanes, &e->cap_lanes, (size_t)e->n_lanes + 1, sizeof(*e->lanes));
	l = &e->lanes[e->n_lanes];
	memset(l, 0, sizeof(*l));
	l->o = *opts;
	l->window = opts->concurrency;
	/* the buckets start full: a second's worth */
	l->req_per_ms = opts->requests_per_minute / 60000.0;
	l->req_cap = l->req_left = fmax(1, opts->requests_per_minute / 60.0);
	l->tok_per_ms = opts->tokens_per_minute / 60000.0;
	l->tok_cap = l->tok_left = fmax(1, opts->tokens_per_minute / 60.0);
	l->refilled_ms = um_mono_ms();
	return e->n_lanes++;
}

double engine_lane_window(const um_engine *e, int lane)
{
	if (lane < 0 || lane >= e->n_lanes)
		return 0;
	return e->lanes[lane].window;
}

int engine_submit(um_engine *e, int lane, const char *url, const char *body, size_t body_len,
		  const char *const *headers, int n_headers, um_try_fn on_try, void *ctx,
		  um_error *err)
{
	return engine_submit_opts(e, lane, url, body, body_len, headers, n_headers, NULL, on_try,
				  ctx, err);
}

int engine_submit_opts(um_engine *e, int lane, const char *url, const char *body,
		       size_t body_len, const char *const *headers, int n_headers,
		       const um_submit_opts *o, um_try_fn on_try, void *ctx, um_error *err)
{
	struct curl_slist *list = NULL;
	int has_expect = 0, i;
	eng_req *r;

	if (e->closing)
		return um_fail(err, UM_ERR_INTERNAL, "engine_submit: the engine is closing");
	if (lane < 0 || lane >= e->n_lanes)
		return um_fail(err, UM_ERR_INTERNAL, "engine_submit: no lane %d", lane);
	if (!url || !*url)
		return um_fail(err, UM_ERR_INTERNAL, "engine_submit: no URL");
	if (!on_try)
		return um_fail(err, UM_ERR_INTERNAL, "engine_submit: no callback");
	if (n_headers < 0 || (n_headers > 0 && !headers))
		return um_fail(err, UM_ERR_INTERNAL, "engine_submit: bad header list");
	for (i = 0; i < n_headers; i++) {
		struct curl_slist *nl;

		if (!headers[i] || strchr(headers[i], '\r') || strchr(headers[i], '\n')) {
			curl_slist_free_all(list);
			return um_fail(err, UM_ERR_INVALID,
				       "engine_submit: header %d is missing or holds a line break",
				       i);
		}
		if (strncasecmp(headers[i], "expect:", 7) == 0)
			has_expect = 1;
		nl = curl_slist_append(list, headers[i]);
		if (!nl) {
			curl_slist_free_all(list);
			return um_fail(err, UM_ERR_NOMEM, "engine_submit: out of memory");
		}
		list = nl;
	}
	if (!has_expect && body) {
		/* No "Expect: 100-continue" round trip before large bodies. */
		struct curl_slist *nl = curl_slist_append(list, "Expect:");
		if (!nl) {
			curl_slist_free_all(list);
			return um_fail(err, UM_ERR_NOMEM, "engine_submit: out of memory");
		}
		list = nl;
	}
	r = um_xcalloc(1, sizeof(*r));
	r->lane = lane;
	r->url = um_xstrdup(url);
	if (body) {
		r->body = um_xmalloc(body_len + 1);
		memcpy(r->body, body, body_len);
		r->body[body_len] = '\0';
		r->body_len = body_len;
	}
	r->headers = list;
	if (o) {
		r->aws_sigv4 = um_xstrdup(o->aws_sigv4);
		r->userpwd = o->aws_sigv4 ? um_xstrdup(o->userpwd) : NULL;
		r->stall_ms = o->stall_ms;
		r->token_scan = o->token_scan;
	}
	r->on_try = on_try;
	r->ctx = ctx;
	r->seq = ++e->seq;
	lane_push_back(e, &e->lanes[lane], r);
	return 0;
}

void engine_stop(um_engine *e)
{
	atomic_store(&e->stop, 1);
	engine_wakeup(e);
}

/* How long the loop may sleep, at most timeout ms: until libcurl's timer, the
 * next retry, a rate-limited lane's next start or the next tick (next_tick,
 * or -1 for none), whichever comes first. */
static int64_t engine_next_timeout(um_engine *e, int64_t now, int64_t next_tick, int64_t timeout)
{
	if (e->timer_ms >= 0 && e->timer_ms - now < timeout)
		timeout = e->timer_ms - now;
	if (e->n_heap && e->heap[0]->wake_ms - now < timeout)
		timeout = e->heap[0]->wake_ms - now;
	if (e->queued) {
		int64_t rate = engine_rate_timeout(e, now);

		if (rate >= 0 && rate < timeout)
			timeout = rate;
	}
	if (next_tick >= 0 && next_tick - now < timeout)
		timeout = next_tick - now;
	return timeout < 0 ? 0 : timeout;
}

int engine_run(um_engine *e, void (*tick)(void *ctx), void *tick_ctx, int tick_ms, um_error *err)
{
	int64_t now, next_tick;
	int rc = 0;

	if (e->running)
		return um_fail(err, UM_ERR_INTERNAL, "engine_run called from inside the loop");
	if (e->closing)
		return um_fail(err, UM_ERR_INTERNAL, "engine_run: the engine is closing");
	e->running = 1;
	if (tick_ms <= 0)
		tick_ms = ENGINE_DEFAULT_TICK_MS;
	next_tick = um_mono_ms() + tick_ms;

	for (;;) {
		int64_t timeout = ENGINE_MAX_POLL_MS;
		int finished = 0, feed_more = 0;
		CURLMcode mc;

		if (atomic_load(&e->stop))
			break;
		now = um_mono_ms();
		engine_wake(e, now);
		if (e->feed_hook) {
			feed_more = e->feed_hook(e->feed_ctx);
			if (atomic_load(&e->stop))
				break;
		}
		engine_dispatch(e);
		if (atomic_load(&e->stop))
			break;
		if (e->wake_hook) {
			e->wake_hook(e->wake_ctx);
			engine_dispatch(e);
			if (atomic_load(&e->stop))
				break;
		}
		if (e->in_flight == 0 && e->queued == 0 && e->n_heap == 0 &&
		    atomic_load(&e->holds) == 0) {
			/* outside work pushes its result before it unholds: one more
			 * drain after seeing no holds catches the last result */
			if (!e->wake_hook)
				break;
			e->wake_hook(e->wake_ctx);
			engine_dispatch(e);
			if (e->in_flight == 0 && e->queued == 0 && e->n_heap == 0 &&
			    atomic_load(&e->holds) == 0)
				break;
		}

		/* transfers just added start here: libcurl asked for a timeout
		 * action at once */
		mc = engine_curl_timer(e, now);
		if (mc != CURLM_OK) {
			rc = um_fail(err, UM_ERR_HTTP, "curl_multi_socket_action: %s",
				     curl_multi_strerror(mc));
			break;
		}
		finished = engine_reap(e);
		if (atomic_load(&e->stop))
			break;

		now = um_mono_ms();
		if (tick && now >= next_tick) {
			tick(tick_ctx);
			next_tick = now + tick_ms;
			if (atomic_load(&e->stop))
				break;
		}

		/* Sleep until the next thing that can happen. */
		if (finished && e->in_flight == 0 && e->queued == 0 && e->n_heap == 0 &&
		    atomic_load(&e->holds) == 0 && !e->wake_hook)
			break;
		if (feed_more || (finished && (e->queued || (e->wake_hook && e->in_flight == 0))))
			timeout = 0;
		timeout = engine_next_timeout(e, now, tick ? next_tick : -1, timeout);
		mc = engine_wait(e, timeout);
		if (mc == CURLM_OK)
			mc = engine_curl_timer(e, um_mono_ms());
		if (mc != CURLM_OK) {
			rc = um_fail(err, UM_ERR_HTTP, "curl_multi_socket_action: %s",
				     curl_multi_strerror(mc));
			break;
		}
		engine_reap(e);
	}
	if (atomic_load(&e->stop) || rc < 0)
		engine_abandon_all(e);
	atomic_store(&e->stop, 0);
	e->running = 0;
	return rc;
}

void engine_hold(um_engine *e)
{
	atomic_fetch_add(&e->holds, 1);
}

void engine_unhold(um_engine *e)
{
	atomic_fetch_sub(&e->holds, 1);
	engine_wakeup(e);
}

void engine_wakeup(um_engine *e)
{
	uint64_t one = 1;
	ssize_t n;

	/* a full counter (never, in practice) still wakes the loop */
	do
		n = write(e->wakefd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
}

void engine_set_wake_hook(um_engine *e, void (*fn)(void *ctx), void *ctx)
{
	e->wake_hook = fn;
	e->wake_ctx = ctx;
}

void engine_set_feed_hook(um_engine *e, int (*fn)(void *ctx), void *ctx)
{
	e->feed_hook = fn;
	e->feed_ctx = ctx;
}

void engine_get_stats(const um_engine *e, um_engine_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->in_flight = e->in_flight;
	out->queued = e->queued;
	out->sleeping = e->n_heap;
	out->tries = e->tries;
	out->retries = e->retries;
	out->throttled = e->throttled;
	out->max_in_flight_seen = e->max_seen;
}
