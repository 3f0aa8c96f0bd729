/*
 * proxy.h - the recording proxy: an HTTP server on 127.0.0.1 that an
 * orchestrator uses as the base URL of its pool. Each call it receives
 * (OpenAI chat completions or Anthropic messages, streamed or not) is
 * forwarded to the upstream named by the request's "model", passed back to
 * the orchestrator unchanged, and reported as one routing event
 * (um_routing_rec, source "proxy"): sub-model, tokens, cost at that
 * upstream's price, latency, status and the umpire attempt it belongs to.
 * Guide: docs/proxy.md.
 *
 * Upstreams are a models file (models.h): each system's name (or model) is
 * a sub-model name the orchestrator may ask for. Its API key is read from
 * api_key_env when a call is forwarded, replaces whatever credentials the
 * orchestrator sent, and is never stored or put in an event.
 *
 * Attribution of a sub-call to an attempt, first match wins:
 *   "traceparent"   W3C header 00-<trace-id>-<span-id>-<flags>; the trace
 *                   id (32 hex) is the attempt id;
 *   "path"          the request went to /t/<attempt-id>/.../chat/completions;
 *   "single-flight" the current_attempt resolver returned an id;
 *   "none"          attempt_id is "".
 *
 * Threads: libmicrohttpd runs a thread per connection; a streamed call also
 * gets a worker thread that runs libcurl. on_event is called from those
 * threads, possibly at the same time: the sink must be thread-safe and stay
 * valid until proxy_stop returns. store/evq.h's evq_sink is one.
 */
#ifndef UMPIRE_PROXY_H
#define UMPIRE_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "load/models.h"
#include "store/store.h"

/* Request bodies above this get 413 (a 20 MiB image is 27 MiB of base64). */
#define UM_PROXY_MAX_BODY (64u * 1024u * 1024u)

typedef struct um_proxy um_proxy;

/* The event's strings belong to the proxy: copy what you keep
 * (evq_event_copy). */
typedef void (*um_proxy_event_fn)(void *ctx, const um_routing_rec *ev);
/* The attempt in flight when exactly one is, else NULL. The returned string
 * is copied at once; it must stay valid until the proxy is stopped (an id
 * held in the plan is). Called from proxy threads. */
typedef const char *(*um_proxy_attempt_fn)(void *ctx);

typedef struct um_proxy_opts {
	const um_models *upstreams;          /* borrowed: must outlive the proxy */
	um_proxy_event_fn on_event;          /* NULL: events are dropped */
	void *event_ctx;
	um_proxy_attempt_fn current_attempt; /* NULL: no single-flight attribution */
	void *attempt_ctx;
} um_proxy_opts;

typedef struct um_proxy_stats {
	uint64_t requests;       /* every request received */
	uint64_t rejected;       /* answered by the proxy itself (400/404/405/413) */
	uint64_t forwarded;      /* calls that became events */
	uint64_t streamed;       /* of which streamed */
	uint64_t failed;         /* of which ended in a transport error or a broken stream */
} um_proxy_stats;

/* Check the upstreams (every base_url expanded) and make a proxy. Caller
 * frees with proxy_free. */
int proxy_new(const um_proxy_opts *o, um_proxy **out, um_error *err);
/* Listen on 127.0.0.1:port (0 picks a free port). */
int proxy_start(um_proxy *p, int port, um_error *err);
int proxy_port(const um_proxy *p);
/* "http://127.0.0.1:PORT" (owned by the proxy). Point the orchestrator's
 * pool base URL at this + "/v1", or at this + "/t/<attempt-id>/v1". */
const char *proxy_base_url(const um_proxy *p);
void proxy_get_stats(const um_proxy *p, um_proxy_stats *out);
/* Stop serving: open connections are closed, calls in flight are aborted
 * (and still reported); returns when no proxy thread runs any more. */
void proxy_stop(um_proxy *p);
void proxy_free(um_proxy *p);

/* The trace id of a W3C traceparent value, lower-cased into trace_id.
 * Returns 0, or -1 when the value is not a valid traceparent. */
int proxy_parse_traceparent(const char *value, char trace_id[33]);
/* The traceparent umpire sends for an attempt (attempt_id: 32 hex) and an
 * HTTP try number: "00-<attempt_id>-<span>-01", span derived from both.
 * Returns 0, or -1 when attempt_id is not 32 hex digits. */
int proxy_traceparent_for(const char *attempt_id, int try_no, char out[56]);

/* One compact JSON object (sorted keys, no newline) for an event; detail
 * is embedded as an object; run_id is added when not NULL. Caller frees. */
char *proxy_event_json(const um_routing_rec *ev, const char *run_id);

#endif
