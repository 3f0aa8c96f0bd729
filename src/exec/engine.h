/*
 * engine.h - the HTTP event loop: one thread, libcurl's multi interface.
 *
 * Callers submit requests on "lanes" (one per system). Each lane has a
 * ceiling (the system's concurrency) and an adaptive window: halved on 429
 * or 503, grown by about one per window of successes (AIMD). A global cap
 * (--jobs) bounds everything in flight. Each HTTP try is reported to the
 * caller's on_try callback, which returns UM_TRY_DONE or UM_TRY_RETRY;
 * a retry is scheduled with exponential backoff and full jitter, or after
 * the server's Retry-After when that is longer. Connections are reused
 * (one multi handle, pipewait, keep-alive). Callbacks may submit new
 * requests (agent loops do). Nothing here prints.
 *
 * Rate-limit headers: a response that says how many requests the
 * provider will still take in its current window
 * (x-ratelimit-remaining-requests, anthropic-ratelimit-requests-remaining)
 * caps the lane's window at that number (at least 1), before a 429 has to.
 *
 * Streamed responses: a request may carry a first-token detector, run on
 * the body as it arrives, so the try reports the time to the first token;
 * and a stall limit, after which a transfer that received no byte fails as
 * a timeout.
 */
#ifndef UMPIRE_ENGINE_H
#define UMPIRE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

typedef struct um_engine um_engine;

typedef struct um_engine_opts {
	int max_in_flight;       /* global cap (default 1024) */
	uint64_t seed;           /* jitter generator seed */
	int backoff_base_ms;     /* first retry delay before jitter (default 500) */
	int backoff_max_ms;      /* cap (default 30000) */
	size_t max_body;         /* cap on a response body (default 64 MiB) */
} um_engine_opts;

typedef struct um_lane_opts {
	int concurrency;         /* ceiling for this lane */
	int timeout_ms;          /* whole-transfer timeout per try */
	int max_retries;         /* tries = 1 + max_retries */
	double requests_per_minute; /* the provider's limits for this lane (engine.c,
				 * "Rate limits"); 0: none */
	double tokens_per_minute;
} um_lane_opts;

typedef struct um_try {
	int try_no;              /* 1-based */
	long http_status;        /* 0 when no response */
	int curl_code;           /* CURLE_OK or the failure */
	const char *error;       /* transport error text, or NULL */
	int64_t started_ms;      /* wall clock (um_wall_ms) */
	int64_t latency_ms;      /* from submit-to-wire to last byte */
	const char *body;        /* response body (NUL-terminated), valid during the callback */
	size_t body_len;
	int body_truncated;      /* body exceeded max_body */
	const char *headers;     /* response header lines ("Name: value\r\n"...), or NULL */
	int64_t retry_after_ms;  /* parsed retry-after-ms or Retry-After, -1 if absent */
	int64_t ttft_ms;         /* streamed: ms from start to the first token; -1 otherwise */
	int retryable;           /* engine's view: transport error, 408, 429, 5xx */
	int last_chance;         /* no retry is possible after this one */
} um_try;

enum { UM_TRY_DONE = 0, UM_TRY_RETRY = 1 };

/* The error taxonomy, decided here and nowhere else (engine.c): a failed
 * try is permanent (the same request will fail again: bad URL, body over
 * the cap, 4xx other than 408/429) or transient (other transport failures,
 * 408, 429, 5xx). t->retryable is kind == UM_TRYK_TRANSIENT. A 2xx is
 * UM_TRYK_OK even if its body turns out unreadable. */
typedef enum { UM_TRYK_OK, UM_TRYK_TRANSIENT, UM_TRYK_PERMANENT } um_try_kind;
um_try_kind engine_try_kind(const um_try *t);
/* The stored error class of a failed try: "timeout", "body_too_large",
 * "transport" or "http_<status>" (thread-local buffer). */
const char *engine_try_class(const um_try *t);
typedef int (*um_try_fn)(void *ctx, const um_try *t);

typedef struct um_engine_stats {
	int in_flight;
	size_t queued;           /* waiting for a slot */
	size_t sleeping;         /* waiting for a retry time */
	uint64_t tries;          /* HTTP tries completed */
	uint64_t retries;
	uint64_t throttled;      /* 429/503 seen */
	int max_in_flight_seen;
} um_engine_stats;

int engine_new(const um_engine_opts *opts, um_engine **out, um_error *err);
void engine_free(um_engine *e);
/* The end of an engine's use, once engine_run has returned with nothing in
 * flight, queued or sleeping: its connections (a thousand take tens of
 * milliseconds to close) and handles are closed by a thread of its own
 * while the caller goes on (storing, checkpointing); engine_free waits for
 * it. Afterwards only engine_stop, engine_wakeup, engine_hold, engine_unhold,
 * engine_get_stats and engine_free may be called (engine_submit and
 * engine_run fail). -1 (and nothing done) when the engine is not idle. */
int engine_close_idle(um_engine *e);
/* The caller will submit nothing new (the retries of what it submitted go
 * on): from now on a connection is closed as soon as its transfer ends
 * (libcurl keeps at most one idle), so the closes happen while the other
 * answers are still awaited instead of all at the end. Only a retry pays for
 * it, with a fresh connection. */
void engine_no_more_requests(um_engine *e);
/* Returns the lane index (0, 1, ...). */
int engine_add_lane(um_engine *e, const um_lane_opts *opts);
/* Current adaptive window of a lane (for tests and progress). */
double engine_lane_window(const um_engine *e, int lane);
/* The tokens (in + out) one call of the lane used, from its response: with a
 * remaining-tokens header, the window is capped at the calls those tokens
 * allow. Calls with no count (tokens <= 0) are not noted. */
void engine_lane_note_tokens(um_engine *e, int lane, int64_t tokens);

/* Queue one request. url/body/headers are copied. on_try is called for
 * every try; when it returns DONE (or on the last chance) the request ends.
 * headers: "Name: value" strings. Returns 0 or -1. */
int engine_submit(um_engine *e, int lane, const char *url, const char *body, size_t body_len,
		  const char *const *headers, int n_headers, um_try_fn on_try, void *ctx,
		  um_error *err);

/* Reads the response received so far from buf (len bytes that follow what
 * earlier calls consumed); sets *used to the bytes it is done with (whole
 * lines) and returns 1 once a token has arrived. */
typedef int (*um_token_scan_fn)(const char *buf, size_t len, size_t *used);

typedef struct um_submit_opts {
	const char *aws_sigv4;      /* "aws:amz:REGION:SERVICE": sign each try (sigv4.h), or NULL */
	const char *userpwd;        /* with aws_sigv4: "ID:SECRET" (copied, wiped on free) */
	int stall_ms;               /* > 0: no byte for this long is a timeout (s granularity) */
	um_token_scan_fn token_scan; /* streamed: finds the first token, or NULL */
} um_submit_opts;

/* engine_submit with options (o may be NULL). */
int engine_submit_opts(um_engine *e, int lane, const char *url, const char *body,
		       size_t body_len, const char *const *headers, int n_headers,
		       const um_submit_opts *o, um_try_fn on_try, void *ctx, um_error *err);

/* Run until nothing is queued, sleeping or in flight, or until
 * engine_stop(). tick (optional) is called at most every tick_ms with
 * tick_ctx; it may call engine_stop. Returns 0, or -1 on a curl multi
 * failure. */
int engine_run(um_engine *e, void (*tick)(void *ctx), void *tick_ctx, int tick_ms,
	       um_error *err);
void engine_stop(um_engine *e);

/* Work done outside the loop, e.g. tool calls run by worker threads:
 * engine_hold() (loop thread) before handing work out keeps engine_run
 * going even with nothing in flight; engine_unhold() (any thread) when that
 * work is finished wakes the loop. engine_wakeup() (any thread) interrupts
 * the loop's poll. The wake hook, when set, runs in the loop thread at the
 * top of every iteration (after every wakeup): drain finished outside work
 * there and submit what follows. */
void engine_hold(um_engine *e);
void engine_unhold(um_engine *e);
void engine_wakeup(um_engine *e);
void engine_set_wake_hook(um_engine *e, void (*fn)(void *ctx), void *ctx);
/* The feed hook, when set, runs in the loop thread at the top of every
 * turn, before dispatching: it submits a bounded batch of requests and
 * returns nonzero while it has more it could submit at once (the loop then
 * does not sleep in its poll). It may stop the engine. */
void engine_set_feed_hook(um_engine *e, int (*fn)(void *ctx), void *ctx);
void engine_get_stats(const um_engine *e, um_engine_stats *out);

/* The value of header `name` (case-insensitive) in raw header lines, trimmed;
 * caller frees; NULL when absent. */
char *engine_header_value(const char *headers, const char *name);

/* Parse a Retry-After value (delta-seconds or HTTP-date) into ms from now;
 * -1 when unparseable. Exposed for tests. */
int64_t engine_parse_retry_after(const char *value, int64_t now_wall_ms);
/* Parse a retry-after-ms value (milliseconds, a fraction rounded up); -1
 * when unparseable. Exposed for tests. */
int64_t engine_parse_retry_after_ms(const char *value);

/* Optional: called with the ctx of every request the engine drops without
 * its final callback (in flight, queued or waiting for a retry when
 * engine_stop ends the loop, or when engine_free is called with work left),
 * so the caller can free its contexts. It must not call into the engine.
 * After engine_stop, engine_run returns with nothing queued, sleeping or in
 * flight. engine_stop may also be called from another thread (it wakes the
 * loop with curl_multi_wakeup). */
void engine_set_abandon(um_engine *e, void (*fn)(void *ctx));

#endif
