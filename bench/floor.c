/*
 * floor.c - the transport floor under umpire's engine: only the HTTP
 * traffic of a run, done the way src/exec/engine.c does it, so the
 * harness's figures can be read against what libcurl and this machine's
 * loopback TCP allow. One thread, one curl multi handle driven by epoll and
 * curl_multi_socket_action; --n POSTs of one fixed body to one URL, at most
 * --concurrency in flight; the answers are read and dropped. No store, no
 * request building, no JSON, no grading.
 *
 * What is copied from the engine:
 *   - the multi handle: a connection cache of concurrency + 32, no per-host
 *     or total connection limit, multiplexing allowed (plain http is
 *     HTTP/1.1 with keep-alive, libcurl's default);
 *   - each transfer: no signals, TCP keep-alive probes, Accept-Encoding
 *     offered, umpire's user agent, the timeout, an error buffer, the body
 *     and header callbacks, "Expect:" (no 100-continue round trip);
 *     TCP_NODELAY is libcurl's default and pipewait is set for https only;
 *   - easy handles recycled through a free list with curl_easy_reset;
 *   - at most --batch (64: the runner's feed burst) transfers added per turn
 *     of the loop, no wait while there is room for more, libcurl's timeout
 *     action run after the adds, then epoll_wait on the sockets it names;
 *   - once the last transfer is added, the connection cache cut to one idle
 *     connection (engine_no_more_requests), so connections close as their
 *     answers come.
 *
 * Prints one line of key=value on stdout: the counts (transfers, answers
 * with a 2xx, new connections), and epoch milliseconds of the first
 * transfer added, the last added, the last request about to be sent (its
 * connection up: libcurl's pretransfer time), the last answer and the exit,
 * from which a caller computes the same phases as umpire's.
 *
 * Experiments, off by default (bench/floor_variants.sh measures what each
 * takes off the floor):
 *   --preconnect K       connect K sockets before the first transfer, handed
 *                        to libcurl with their connect over;
 *   --connect-thread K   the same from a second thread while the loop runs
 *                        (the loop takes what is ready, else connects itself);
 *   --fastopen           CURLOPT_TCP_FASTOPEN;
 *   --no-keepalive       no TCP keep-alive probes (three setsockopt a
 *                        connection fewer);
 *   --no-cut             keep the connection cache to the end;
 *   --batch N            transfers added per turn of the loop;
 *   --raw, --eager       no libcurl: plain sockets on the same loop (below),
 *                        what is left being the kernel's and the server's.
 */
#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "umpire_config.h"

#define EPOLL_BATCH 256 /* as the engine's ENGINE_EPOLL_BATCH */
#define MAX_POLL_MS 1000

typedef struct xfer xfer;
struct xfer {
	CURL *easy;
	xfer *next; /* free list */
	char errbuf[CURL_ERROR_SIZE];
};

typedef struct {
	const char *url;
	const char *body_file;
	long n, concurrency, batch, timeout_ms;
	long preconnect, connect_thread;
	int fastopen, keepalive, cut, raw, eager;
	const char *headers[16];
	int n_headers;
} opts;

/* Sockets connected ahead, in the order they are taken. */
typedef struct {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	int family;
	int *fds;
	long want;
	atomic_long made; /* fds[0..made) are connected (or -1) */
	long taken;       /* the loop's: fds[0..taken) handed to libcurl */
	atomic_long own;  /* sockets the loop made itself, none being ready */
	pthread_t thread;
	int has_thread;
} ahead;

typedef struct {
	opts o;
	char *body;
	size_t body_len;
	struct curl_slist *hdrs;
	CURLM *multi;
	int epfd;
	int64_t timer_ms; /* monotonic; -1: none */
	xfer *free_xfers;
	long added, done, ok, in_flight, conns, errors;
	int cut_done;
	int64_t first_add, last_add, last_sent, last_answer; /* epoch ms */
	ahead pre;
} floor_ctx;

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		fprintf(stderr, "floor: out of memory\n");
		exit(1);
	}
	return p;
}

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

static int64_t mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/* ---- connections opened ahead ------------------------------------------ */

static int ahead_addr(ahead *a, const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	struct addrinfo hints, *res = NULL;
	size_t hl;
	int rc = -1;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		hl = strlen(host);
		if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
			memmove(host, host + 1, hl - 2);
			host[hl - 2] = '\0';
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(host, port, &hints, &res) == 0 && res) {
			memcpy(&a->addr, res->ai_addr, res->ai_addrlen);
			a->addr_len = res->ai_addrlen;
			a->family = res->ai_family;
			rc = 0;
		}
	}
	if (res)
		freeaddrinfo(res);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/* A connect begun: a non-blocking socket whose connect() said EINPROGRESS,
 * or -1. */
static int connect_begin(const ahead *a)
{
	int fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&a->addr, a->addr_len) == 0 ||
	    errno != EINPROGRESS) {
		close(fd); /* connected at once: libcurl's own connect() would fail */
		return -1;
	}
	return fd;
}

/* The connect's end: the socket when it is up, else -1 (closed). */
static int connect_end(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int soerr = 1;
	socklen_t len = sizeof(soerr);

	if (fd < 0)
		return -1;
	if (poll(&p, 1, 10000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 ||
	    soerr != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Connects fds[made..upto), up to a batch at once, each published when up;
 * fewer by what the loop connected itself meanwhile. */
static void ahead_fill(ahead *a, long upto)
{
	long i = atomic_load(&a->made), j, end;

	for (; i < upto - atomic_load(&a->own); i = end) {
		end = i + 64 < upto ? i + 64 : upto;
		for (j = i; j < end; j++)
			a->fds[j] = connect_begin(a);
		for (j = i; j < end; j++) {
			a->fds[j] = connect_end(a->fds[j]);
			atomic_store_explicit(&a->made, j + 1, memory_order_release);
		}
	}
}

static void *ahead_thread(void *arg)
{
	ahead *a = arg;

	ahead_fill(a, a->want);
	return NULL;
}

/* libcurl's socket: one connected ahead if one is ready. Its connect is
 * over, so libcurl's connect() on it returns 0 (a second connect() after
 * EINPROGRESS) and libcurl goes on as if it had connected it itself.
 * CURL_SOCKOPT_ALREADY_CONNECTED would say so directly, but libcurl 7.88
 * calls connect() regardless and fails on EISCONN (curl issue 10626, fixed
 * in 8.0). */
static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose,
				    struct curl_sockaddr *address)
{
	ahead *a = clientp;
	long made = atomic_load_explicit(&a->made, memory_order_acquire);

	(void)purpose;
	while (a->taken < made) {
		int fd = a->fds[a->taken++];

		if (fd >= 0)
			return fd;
	}
	atomic_fetch_add(&a->own, 1);
	return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

static int ahead_start(floor_ctx *f)
{
	ahead *a = &f->pre;

	a->want = f->o.preconnect + f->o.connect_thread;
	if (a->want == 0)
		return 0;
	if (ahead_addr(a, f->o.url) < 0) {
		fprintf(stderr, "floor: cannot resolve the URL's host for connecting ahead\n");
		return -1;
	}
	a->fds = xcalloc((size_t)a->want, sizeof(*a->fds));
	atomic_init(&a->made, 0);
	atomic_init(&a->own, 0);
	ahead_fill(a, f->o.preconnect);
	if (f->o.connect_thread) {
		if (pthread_create(&a->thread, NULL, ahead_thread, a) != 0) {
			fprintf(stderr, "floor: cannot start the connecting thread\n");
			return -1;
		}
		a->has_thread = 1;
	}
	return 0;
}

static void ahead_end(ahead *a)
{
	long i;

	if (a->has_thread)
		pthread_join(a->thread, NULL);
	for (i = a->taken; i < atomic_load(&a->made); i++)
		if (a->fds[i] >= 0)
			close(a->fds[i]);
	free(a->fds);
}

/* ---- transfers ---------------------------------------------------------- */

static size_t on_data(char *data, size_t size, size_t n, void *ud)
{
	(void)data;
	(void)ud;
	return size * n; /* read and dropped */
}

static int xfer_setup(floor_ctx *f, xfer *x)
{
	CURL *h = x->easy;
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (rc == CURLE_OK)                                                                \
			rc = curl_easy_setopt(h, opt, val);                                        \
	} while (0)
	SET(CURLOPT_URL, f->o.url);
	SET(CURLOPT_PRIVATE, (void *)x);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TCP_KEEPALIVE, (long)f->o.keepalive);
	if (strncmp(f->o.url, "https:", 6) == 0)
		SET(CURLOPT_PIPEWAIT, 1L);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_USERAGENT, "umpire/" UMPIRE_VERSION);
	SET(CURLOPT_TIMEOUT_MS, f->o.timeout_ms);
	SET(CURLOPT_WRITEFUNCTION, on_data);
	SET(CURLOPT_HEADERFUNCTION, on_data);
	SET(CURLOPT_HTTPHEADER, f->hdrs);
	SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)f->body_len);
	SET(CURLOPT_POSTFIELDS, f->body);
	if (f->o.fastopen)
		SET(CURLOPT_TCP_FASTOPEN, 1L);
	if (f->pre.want) {
		SET(CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
		SET(CURLOPT_OPENSOCKETDATA, (void *)&f->pre);
	}
#undef SET
	return rc == CURLE_OK ? 0 : -1;
}

static int xfer_start(floor_ctx *f)
{
	xfer *x = f->free_xfers;

	if (x) {
		f->free_xfers = x->next;
		curl_easy_reset(x->easy);
	} else {
		x = xcalloc(1, sizeof(*x));
		x->easy = curl_easy_init();
		if (!x->easy) {
			free(x);
			return -1;
		}
	}
	x->errbuf[0] = '\0';
	f->last_add = wall_ms();
	if (f->added == 0)
		f->first_add = f->last_add;
	if (xfer_setup(f, x) < 0 || curl_multi_add_handle(f->multi, x->easy) != CURLM_OK) {
		curl_easy_cleanup(x->easy);
		free(x);
		return -1;
	}
	f->added++;
	f->in_flight++;
	return 0;
}

static void xfer_finish(floor_ctx *f, xfer *x, CURLcode result)
{
	curl_off_t total = 0, pre = 0;
	long status = 0, conns = 0;
	int64_t now = wall_ms(), sent;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &conns);
	curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &total);
	curl_easy_getinfo(x->easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
	curl_multi_remove_handle(f->multi, x->easy);
	f->in_flight--;
	f->done++;
	f->conns += conns;
	if (result == CURLE_OK && status >= 200 && status < 300)
		f->ok++;
	else if (f->errors++ < 3)
		fprintf(stderr, "floor: transfer failed: %s (HTTP %ld)\n",
			x->errbuf[0] ? x->errbuf : curl_easy_strerror(result), status);
	/* the answer is now; the request went out total - pretransfer before */
	sent = now - (int64_t)((total - pre) / 1000);
	if (sent > f->last_sent)
		f->last_sent = sent;
	f->last_answer = now;
	x->next = f->free_xfers;
	f->free_xfers = x;
}

/* ---- the loop ------------------------------------------------------------ */

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	floor_ctx *f = userp;
	struct epoll_event ev;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (socketp)
			epoll_ctl(f->epfd, EPOLL_CTL_DEL, fd, NULL);
		curl_multi_assign(f->multi, fd, NULL);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	ev.data.fd = fd;
	if (socketp)
		return epoll_ctl(f->epfd, EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : -1;
	if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, fd, &ev) != 0 &&
	    (errno != EEXIST || epoll_ctl(f->epfd, EPOLL_CTL_MOD, fd, &ev) != 0))
		return -1;
	curl_multi_assign(f->multi, fd, f);
	return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	floor_ctx *f = userp;

	(void)multi;
	f->timer_ms = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
	return 0;
}

static CURLMcode run_timer(floor_ctx *f)
{
	int running;

	if (f->timer_ms < 0 || f->timer_ms > mono_ms())
		return CURLM_OK;
	f->timer_ms = -1;
	return curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
}

static CURLMcode wait_sockets(floor_ctx *f, int64_t timeout_ms)
{
	struct epoll_event ev[EPOLL_BATCH];
	int n, i, running;
	CURLMcode mc = CURLM_OK;

	n = epoll_wait(f->epfd, ev, EPOLL_BATCH, (int)timeout_ms);
	for (i = 0; i < n && mc == CURLM_OK; i++) {
		int mask = 0;

		if (ev[i].events & (EPOLLIN | EPOLLHUP))
			mask |= CURL_CSELECT_IN;
		if (ev[i].events & EPOLLOUT)
			mask |= CURL_CSELECT_OUT;
		if (ev[i].events & EPOLLERR)
			mask |= CURL_CSELECT_ERR;
		mc = curl_multi_socket_action(f->multi, ev[i].data.fd, mask, &running);
	}
	return mc;
}

static void reap(floor_ctx *f)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(f->multi, &left))) {
		char *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		xfer_finish(f, (xfer *)(void *)priv, msg->data.result);
	}
}

/* Adds up to a batch while there is room; whether there is room for more. */
static int feed(floor_ctx *f)
{
	long k;

	for (k = 0; k < f->o.batch && f->added < f->o.n && f->in_flight < f->o.concurrency; k++)
		if (xfer_start(f) < 0)
			return -1;
	if (f->added == f->o.n && f->o.cut && !f->cut_done) {
		curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, 1L);
		f->cut_done = 1;
	}
	return f->added < f->o.n && f->in_flight < f->o.concurrency;
}

static int run_loop(floor_ctx *f)
{
	CURLMcode mc = CURLM_OK;

	while (f->done < f->o.n && mc == CURLM_OK) {
		int64_t timeout = MAX_POLL_MS, now;
		int more = feed(f);

		if (more < 0) {
			fprintf(stderr, "floor: cannot start a transfer\n");
			return -1;
		}
		mc = run_timer(f);
		if (mc != CURLM_OK)
			break;
		reap(f);
		if (f->done == f->o.n)
			break;
		now = mono_ms();
		if (more || (f->added < f->o.n && f->in_flight < f->o.concurrency))
			timeout = 0;
		if (f->timer_ms >= 0 && f->timer_ms - now < timeout)
			timeout = f->timer_ms - now;
		if (timeout < 0)
			timeout = 0;
		mc = wait_sockets(f, timeout);
		if (mc == CURLM_OK)
			mc = run_timer(f);
		reap(f);
	}
	if (mc != CURLM_OK) {
		fprintf(stderr, "floor: curl_multi_socket_action: %s\n", curl_multi_strerror(mc));
		return -1;
	}
	return 0;
}

/* ---- without libcurl ----------------------------------------------------
 * --raw: the same traffic on plain sockets, one epoll loop, no HTTP library:
 * a non-blocking connect, the request (libcurl's header lines, the same
 * body) written when the socket is writable, the answer read until its
 * Content-Length is in, the next request on the same connection while any
 * are left, else a close (as the engine's cut cache does). What is left is the kernel's and the server's
 * part. --eager also writes the request right after connect() instead of
 * waiting for the socket to be writable (on loopback the handshake is
 * usually over by then), one epoll turn a connection fewer. */

#define RAW_IN 16384

typedef struct {
	int fd;
	size_t sent;	/* of the request */
	size_t in_len;
	char in[RAW_IN];
} raw_conn;

typedef struct {
	floor_ctx *f;
	char *req; /* header lines and body */
	size_t req_len;
	raw_conn *conns;
	long n_conns, open;
	ahead addr;
} raw_ctx;

static int raw_request(raw_ctx *r)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *path = NULL, *query = NULL;
	size_t cap;
	int rc = -1;

	if (u && curl_url_set(u, CURLUPART_URL, r->f->o.url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK) {
		curl_url_get(u, CURLUPART_PORT, &port, 0);
		curl_url_get(u, CURLUPART_QUERY, &query, 0);
		cap = strlen(host) + strlen(path) + (query ? strlen(query) : 0) + 512 +
		      r->f->body_len;
		r->req = xcalloc(cap, 1);
		r->req_len = (size_t)snprintf(
			r->req, cap,
			"POST %s%s%s HTTP/1.1\r\nHost: %s%s%s\r\nUser-Agent: umpire/" UMPIRE_VERSION
			"\r\nAccept: */*\r\nAccept-Encoding: deflate, gzip, br, zstd\r\n"
			"Content-Type: application/json\r\nAuthorization: Bearer sk-bench\r\n"
			"Content-Length: %zu\r\n\r\n",
			path, query ? "?" : "", query ? query : "", host, port ? ":" : "",
			port ? port : "", r->f->body_len);
		memcpy(r->req + r->req_len, r->f->body, r->f->body_len);
		r->req_len += r->f->body_len;
		rc = 0;
	}
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_url_cleanup(u);
	return rc;
}

static void raw_watch(raw_ctx *r, raw_conn *c, int op, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = c;
	epoll_ctl(r->f->epfd, op, c->fd, &ev);
}

/* Writes what is left of the request; 1 sent, 0 not yet, -1 failed. */
static int raw_send(raw_ctx *r, raw_conn *c)
{
	while (c->sent < r->req_len) {
		ssize_t k = send(c->fd, r->req + c->sent, r->req_len - c->sent, MSG_NOSIGNAL);

		if (k < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN ? 0 : -1;
		c->sent += (size_t)k;
	}
	{
		int64_t now = wall_ms();

		if (now > r->f->last_sent)
			r->f->last_sent = now;
	}
	return 1;
}

static void raw_close(raw_ctx *r, raw_conn *c, int failed)
{
	if (failed) {
		r->f->done++;
		if (r->f->errors++ < 3)
			fprintf(stderr, "floor: a raw connection failed: %s\n", strerror(errno));
	}
	close(c->fd);
	c->fd = -1;
	r->open--;
	r->f->in_flight--;
}

/* Sends the next request on c (a fresh or a kept connection). */
static void raw_start(raw_ctx *r, raw_conn *c, int fresh)
{
	floor_ctx *f = r->f;
	int st;

	f->last_add = wall_ms();
	if (f->added == 0)
		f->first_add = f->last_add;
	f->added++;
	c->sent = 0;
	c->in_len = 0;
	if (fresh && !f->o.eager) {
		raw_watch(r, c, EPOLL_CTL_ADD, EPOLLOUT);
		return;
	}
	st = raw_send(r, c);
	if (st < 0)
		raw_close(r, c, 1);
	else
		raw_watch(r, c, fresh ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, st ? EPOLLIN : EPOLLOUT);
}

static int raw_open(raw_ctx *r)
{
	raw_conn *c = NULL;
	long i;

	for (i = 0; i < r->n_conns && !c; i++)
		if (r->conns[i].fd < 0)
			c = &r->conns[i];
	if (!c)
		return -1;
	c->fd = socket(r->addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	if (connect(c->fd, (const struct sockaddr *)&r->addr.addr, r->addr.addr_len) != 0 &&
	    errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	{
		int one = 1;

		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	r->open++;
	r->f->conns++;
	r->f->in_flight++;
	raw_start(r, c, 1);
	return 0;
}

/* The answer's length once its header is in: header + Content-Length, or 0. */
static size_t raw_answer_len(const raw_conn *c, long *status)
{
	const char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4), *p;
	size_t hl;

	if (!end)
		return 0;
	hl = (size_t)(end - c->in) + 4;
	*status = strncmp(c->in, "HTTP/1.", 7) == 0 ? strtol(c->in + 9, NULL, 10) : 0;
	for (p = c->in; p && p < end; p = memchr(p, '\n', (size_t)(end - p))) {
		if (*p == '\n')
			p++;
		if (strncasecmp(p, "content-length:", 15) == 0)
			return hl + (size_t)strtoul(p + 15, NULL, 10);
	}
	return hl; /* no body */
}

static void raw_readable(raw_ctx *r, raw_conn *c)
{
	floor_ctx *f = r->f;
	size_t want;
	long status = 0;
	ssize_t k;

	for (;;) {
		k = recv(c->fd, c->in + c->in_len, RAW_IN - c->in_len, 0);
		if (k <= 0) {
			if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			raw_close(r, c, 1);
			return;
		}
		c->in_len += (size_t)k;
		want = raw_answer_len(c, &status);
		if (want && c->in_len >= want)
			break;
		if (c->in_len == RAW_IN) {
			errno = EMSGSIZE;
			raw_close(r, c, 1);
			return;
		}
	}
	f->done++;
	f->last_answer = wall_ms();
	if (status >= 200 && status < 300)
		f->ok++;
	else if (f->errors++ < 3)
		fprintf(stderr, "floor: HTTP %ld\n", status);
	if (f->added < f->o.n) {
		raw_start(r, c, 0); /* kept alive: the next request */
	} else {
		raw_close(r, c, 0);
	}
}

static int raw_run(floor_ctx *f)
{
	struct epoll_event ev[EPOLL_BATCH];
	raw_ctx r;
	long i;

	memset(&r, 0, sizeof(r));
	r.f = f;
	if (ahead_addr(&r.addr, f->o.url) < 0 || raw_request(&r) < 0) {
		fprintf(stderr, "floor: cannot read the URL\n");
		return -1;
	}
	r.n_conns = f->o.concurrency;
	r.conns = xcalloc((size_t)r.n_conns, sizeof(*r.conns));
	for (i = 0; i < r.n_conns; i++)
		r.conns[i].fd = -1;
	while (f->done < f->o.n) {
		int n, k, more;

		for (k = 0; k < f->o.batch && f->added < f->o.n && r.open < r.n_conns; k++)
			if (raw_open(&r) < 0) {
				fprintf(stderr, "floor: cannot connect: %s\n", strerror(errno));
				return -1;
			}
		more = f->added < f->o.n && r.open < r.n_conns;
		n = epoll_wait(f->epfd, ev, EPOLL_BATCH, more ? 0 : MAX_POLL_MS);
		for (k = 0; k < n; k++) {
			raw_conn *c = ev[k].data.ptr;

			if (c->fd < 0)
				continue;
			if (c->sent < r.req_len) {
				int st = raw_send(&r, c);

				if (st < 0)
					raw_close(&r, c, 1);
				else if (st)
					raw_watch(&r, c, EPOLL_CTL_MOD, EPOLLIN);
			} else {
				raw_readable(&r, c);
			}
		}
	}
	for (i = 0; i < r.n_conns; i++)
		if (r.conns[i].fd >= 0)
			close(r.conns[i].fd);
	free(r.conns);
	free(r.req);
	return f->errors ? -1 : 0;
}

/* ---- set-up ------------------------------------------------------------- */

static int read_file(const char *path, char **out, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	size_t cap = 4096, n = 0, got;
	char *b;

	if (!fp)
		return -1;
	b = xcalloc(cap, 1);
	while ((got = fread(b + n, 1, cap - n, fp)) > 0) {
		n += got;
		if (n == cap) {
			char *nb = realloc(b, cap * 2);

			if (!nb) {
				free(b);
				fclose(fp);
				return -1;
			}
			b = nb;
			cap *= 2;
		}
	}
	fclose(fp);
	/* a trailing newline (sqlite3's output) is not the body's */
	while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == '\r'))
		n--;
	*out = b;
	*len = n;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: floor --url URL --body-file FILE [--n N] [--concurrency C] [--batch B]\n"
		"             [--timeout-ms MS] [--header 'Name: value']... [--no-cut]\n"
		"             [--no-keepalive] [--fastopen] [--preconnect K] [--connect-thread K]\n"
		"             [--raw | --eager]\n");
}

static int parse_long(const char *s, long min, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = s ? strtol(s, &end, 10) : 0;
	if (!s || errno || *end || v < min)
		return -1;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->n = 1000;
	o->concurrency = 64;
	o->batch = 64;
	o->timeout_ms = 60000;
	o->keepalive = 1;
	o->cut = 1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = 0, takes = 1;

		if (!strcmp(a, "--url"))
			o->url = v;
		else if (!strcmp(a, "--body-file"))
			o->body_file = v;
		else if (!strcmp(a, "--n"))
			rc = parse_long(v, 1, &o->n);
		else if (!strcmp(a, "--concurrency"))
			rc = parse_long(v, 1, &o->concurrency);
		else if (!strcmp(a, "--batch"))
			rc = parse_long(v, 1, &o->batch);
		else if (!strcmp(a, "--timeout-ms"))
			rc = parse_long(v, 0, &o->timeout_ms);
		else if (!strcmp(a, "--preconnect"))
			rc = parse_long(v, 0, &o->preconnect);
		else if (!strcmp(a, "--connect-thread"))
			rc = parse_long(v, 0, &o->connect_thread);
		else if (!strcmp(a, "--header") && o->n_headers < 16)
			o->headers[o->n_headers++] = v;
		else {
			takes = 0;
			if (!strcmp(a, "--no-cut"))
				o->cut = 0;
			else if (!strcmp(a, "--no-keepalive"))
				o->keepalive = 0;
			else if (!strcmp(a, "--fastopen"))
				o->fastopen = 1;
			else if (!strcmp(a, "--raw"))
				o->raw = 1;
			else if (!strcmp(a, "--eager"))
				o->raw = o->eager = 1;
			else
				rc = -1;
		}
		if (rc < 0 || (takes && !v)) {
			fprintf(stderr, "floor: bad option %s\n", a);
			return -1;
		}
		i += takes;
	}
	if (!o->url || !o->body_file)
		return -1;
	return 0;
}

static struct curl_slist *build_headers(const opts *o)
{
	static const char *const dflt[] = {"Content-Type: application/json",
					   "Authorization: Bearer sk-bench"};
	struct curl_slist *l = NULL;
	int i;

	if (o->n_headers == 0)
		for (i = 0; i < 2; i++)
			l = curl_slist_append(l, dflt[i]);
	for (i = 0; i < o->n_headers; i++)
		l = curl_slist_append(l, o->headers[i]);
	return curl_slist_append(l, "Expect:"); /* no 100-continue round trip */
}

static int setup(floor_ctx *f)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	f->timer_ms = -1;
	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	f->multi = f->epfd >= 0 ? curl_multi_init() : NULL;
	f->hdrs = build_headers(&f->o);
	if (!f->multi || !f->hdrs)
		return -1;
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, (void *)f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, (void *)f);
	curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, f->o.concurrency + 32);
	curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
	curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
	curl_multi_setopt(f->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	return 0;
}

static void teardown(floor_ctx *f)
{
	xfer *x;

	while ((x = f->free_xfers)) {
		f->free_xfers = x->next;
		curl_easy_cleanup(x->easy);
		free(x);
	}
	curl_multi_cleanup(f->multi);
	curl_slist_free_all(f->hdrs);
	if (f->epfd >= 0)
		close(f->epfd);
	curl_global_cleanup();
}

int main(int argc, char **argv)
{
	floor_ctx f;
	int64_t start = wall_ms();
	int rc;

	memset(&f, 0, sizeof(f));
	if (parse_args(argc, argv, &f.o) < 0) {
		usage();
		return 2;
	}
	if (read_file(f.o.body_file, &f.body, &f.body_len) < 0) {
		fprintf(stderr, "floor: cannot read %s\n", f.o.body_file);
		return 1;
	}
	f.epfd = -1;
	if (setup(&f) < 0) {
		fprintf(stderr, "floor: cannot set libcurl up\n");
		return 1;
	}
	if (f.o.raw)
		rc = raw_run(&f);
	else
		rc = ahead_start(&f) < 0 ? -1 : run_loop(&f);
	ahead_end(&f.pre);
	teardown(&f);
	printf("n=%ld ok=%ld conns=%ld start=%lld first_add=%lld last_add=%lld "
	       "last_sent=%lld last_answer=%lld exit=%lld\n",
	       f.done, f.ok, f.conns, (long long)start, (long long)f.first_add,
	       (long long)f.last_add, (long long)f.last_sent, (long long)f.last_answer,
	       (long long)wall_ms());
	free(f.body);
	return rc < 0 || f.ok != f.o.n ? 1 : 0;
}
