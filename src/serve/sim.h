/*
 * sim.h - the simulated model pool: a real HTTP server (libmicrohttpd,
 * 127.0.0.1 only) that speaks OpenAI chat completions and Anthropic
 * messages. Each simulated model has per-category accuracy, a latency
 * distribution, token counts and fault-injection rates; answers are a
 * deterministic function of the pool seed and the request. It knows the
 * right answers because it loads the suite it plays. A simulated
 * orchestrator fans each question out over HTTP to pool models through an
 * upstream base URL and merges their answers. A request that offers tools
 * is an agent turn of a terminal task: the model replays the task's
 * reference solution or explores and gives up, and calls tools in the
 * provider's wire shape. Pool format: docs/simulator.md.
 */
#ifndef UMPIRE_SIM_H
#define UMPIRE_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "load/suite.h"

typedef struct um_sim um_sim;

typedef struct um_sim_stats {
	uint64_t requests, faults_429, faults_500, faults_stall, faults_malformed,
		faults_truncated, upstream_calls;
	uint64_t limited_429; /* refused past a model's rate_limit */
} um_sim_stats;

/* Load the pool file; suite provides the items to recognise (borrowed: it
 * must outlive the sim). Caller frees with sim_free. */
int sim_load(const char *pool_path, const um_suite *suite, um_sim **out, um_error *err);
/* Override the pool's latency scale (0 = no simulated latency). */
void sim_set_latency_scale(um_sim *s, double scale);
/* Override the orchestrators' upstream base URL (default: this server). */
void sim_set_upstream(um_sim *s, const char *base_url);
/* Start serving on 127.0.0.1:port (0 picks a free port). */
int sim_start(um_sim *s, int port, um_error *err);
int sim_port(const um_sim *s);
/* "http://127.0.0.1:PORT" (owned by the sim). */
const char *sim_base_url(const um_sim *s);
void sim_get_stats(const um_sim *s, um_sim_stats *out);
void sim_stop(um_sim *s);
void sim_free(um_sim *s);

/* Recognise the suite item a prompt asks about (text is the messages'
 * contents) and the label under which its correct choice is shown.
 * Returns the index into suite->items and fills label (NUL-terminated, at
 * most 3 characters), or returns -1 when the prompt is not recognised. */
long sim_recognise(const um_sim *s, const char *text, size_t len, char label[4]);

/* Recognise the terminal task whose instruction appears in text (the
 * first user message of an agent conversation). Returns the index into
 * suite->tasks, or -1. */
long sim_recognise_task(const um_sim *s, const char *text, size_t len);

/* Number of models (plain and orchestrators) the pool serves. */
size_t sim_model_count(const um_sim *s);

#endif
