/*
 * evq.h - the routing-event source between a recording proxy and the
 * runner: a mutex-protected FIFO of copied routing records (store.h's
 * um_routing_rec), filled from any number of producer threads (the proxy's
 * connection and stream threads) and drained by one consumer (the runner's
 * event loop, or `umpire proxy`'s writer), plus the single-flight register
 * that tells a producer which orchestrator attempt is in flight when exactly
 * one is.
 *
 * It sits at the store's level so that the servers (src/serve) can fill it
 * and the runner (src/run) can drain it without either including the other:
 * the command that starts a proxy makes the queue and hands it to both.
 */
#ifndef UMPIRE_EVQ_H
#define UMPIRE_EVQ_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct um_evq um_evq;

/* max_events: events held at most (0: 1,000,000); beyond that new events
 * are counted as dropped. Caller frees with evq_free. */
um_evq *evq_new(size_t max_events);
void evq_free(um_evq *q);
/* A producer's callback (ctx is the queue): the event is copied. */
void evq_sink(void *ctx, const um_routing_rec *ev);
/* Take every queued event, oldest first. Returns the count; *out (NULL when
 * 0) is owned by the caller: evq_events_free(*out, n). */
size_t evq_drain(um_evq *q, um_routing_rec **out);
/* Wait up to timeout_ms for an event. Returns the number queued. */
size_t evq_wait(um_evq *q, int timeout_ms);
uint64_t evq_dropped(um_evq *q);

/* Single-flight attribution: the runner calls begin/end around each
 * orchestrator call; evq_flight_current (a producer's resolver, ctx is the
 * queue) returns the attempt id when exactly one is in flight, else NULL.
 * The returned string is thread-local and valid until the next call. */
void evq_flight_begin(um_evq *q, const char *attempt_id);
void evq_flight_end(um_evq *q);
const char *evq_flight_current(void *ctx);

/* Routing records: deep copy, release of the strings, release of an array. */
void evq_event_copy(um_routing_rec *dst, const um_routing_rec *src);
void evq_event_release(um_routing_rec *r);
void evq_events_free(um_routing_rec *evs, size_t n);

#endif
