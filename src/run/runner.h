/*
 * runner.h - one evaluation run: load suite, scaffold and models, build the
 * plan, drive the engine, grade each answer and write everything to the
 * store. The runner starts no server: the command starts the simulated pool
 * and the recording proxy when models.yaml asks for them (their addresses
 * reach the models file through ${UMPIRE_SIM_URL} / ${UMPIRE_PROXY_URL}) and
 * hands the runner the proxy's routing events as an evq (store/evq.h).
 */
#ifndef UMPIRE_RUNNER_H
#define UMPIRE_RUNNER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/error.h"
#include "load/models.h"
#include "load/plan.h"
#include "store/evq.h"

typedef struct um_progress {
	size_t total, done, errors, skipped;
	size_t waiting_retry;        /* requests sleeping until their retry time */
	int in_flight;
	int64_t spent_micro;
	int64_t elapsed_ms;
} um_progress;

/* Published patches for --predictions, loaded by the command (any published
 * shape, import/sweimport.h): patches is an object instance id -> patch
 * text, text the normalised file the run records as its models file, model
 * the name of the system that made them (may be NULL). All borrowed. */
typedef struct um_predictions {
	json_t *patches;
	json_t *vendor;         /* the vendor's verdicts: instance id -> true|false, or NULL */
	const char *text;
	const char *model;
} um_predictions;

typedef struct um_run_opts {
	const char *suite_path;
	const char *models_path;     /* NULL with oracle */
	const char *scaffold_path;   /* NULL: the suite's */
	const char *db_path;
	const char *run_id;          /* NULL: derived from suite name + time */
	const char *const *systems;  /* names to include; n_systems 0 = all */
	int n_systems;
	int repeats;                 /* 0: the suite's */
	int jobs;                    /* global in-flight cap; 0: 1024 */
	int resume;                  /* require the run to exist */
	void (*progress)(void *ctx, const um_progress *p); /* throttled by the runner */
	void *progress_ctx;
	int progress_ms;             /* default 250 */
	const volatile sig_atomic_t *interrupted; /* set by a signal handler: stop soon */
	int oracle;                  /* terminal/swe suites: run reference solutions, no model */
	const um_predictions *predictions; /* swe suites: grade published patches */
	const char *replay_run;      /* agentic suites: re-run this stored run's commands */
	int sandbox_jobs;            /* sandboxed commands at once (0: number of CPUs) */
	int keep_workdirs;           /* leave each attempt's work directory behind */
	const char *swe_scripts;     /* official swe grading: a SWE-Bench Pro checkout */
	const char *sandbox_driver;  /* bwrap (NULL), docker or podman */
	const char *date_from;       /* code suites: the window of problem dates, */
	const char *date_to;         /* YYYY-MM-DD inclusive (NULL: the suite's) */
	/* CI controls (docs/ci.md) */
	um_plan_subset subset;       /* --limit N (seeded, by category), --shard I/N */
	int dry_run;                 /* plan and estimate only: no store, no call */
	int64_t max_cost_micro;      /* stop issuing attempts before this (0: none) */
	const char *const *cache_systems; /* answer these systems' requests from the
				      * store when the same bytes were answered
				      * before ("all": every system) */
	int n_cache_systems;
	int breaker_after;           /* stop a system after this many 401/403 in a
				      * row (0: 3) */
	const char *base_image;      /* containers: image of tasks without one (NULL:
				      * CONTAINER_BASE_IMAGE) */
	const char *pull_policy;     /* never, missing (NULL), always: images by reference */
	const char *registry_prefix; /* put before references without a registry (NULL: none) */
	const char *build_log_dir;   /* image build logs (NULL: agent_build_log_dir()) */
	/* Routing events of the orchestrators' sub-calls, from a recording
	 * proxy the caller started (NULL: none). The runner drains the queue
	 * into the store, registers single-flight attempts on it, and calls
	 * routing_quiesce(routing_ctx) before its final drain so that the
	 * producers stop first. routing_upstreams (the proxy's upstream table)
	 * prices the orchestrators' self-reported sub-calls. */
	um_evq *routing;
	void (*routing_quiesce)(void *ctx);
	void *routing_ctx;
	const um_models *routing_upstreams;
	/* Things the user should know that are not errors (a stale lease taken
	 * over, stale routing events discarded): one line each, or NULL. */
	void (*notice)(void *ctx, const char *msg);
	void *notice_ctx;
} um_run_opts;

typedef struct um_run_result {
	char run_id[128];
	size_t attempts_total, attempts_done, attempts_error, attempts_skipped;
	int64_t spent_micro;
	int complete;                /* no error attempts remain */
	int interrupted;             /* stopped early by the interrupt flag */
	int max_in_flight;           /* most HTTP requests in flight at once */
	uint64_t http_tries;         /* HTTP tries made by this invocation */
	int budget_stopped;          /* --max-cost reached: attempts not started */
	size_t not_started;          /* by the budget stop and the breaker */
	size_t cached;               /* attempts answered from the cache */
	char breaker[1024];          /* one line per system the breaker stopped */
	json_t *estimate;            /* --dry-run: the plan and its cost (caller
				      * decrefs) */
} um_run_result;

int runner_run(const um_run_opts *o, um_run_result *res, um_error *err);

/* The harness version string ("0.1.0"), and a JSON object of the linked
 * library versions (caller frees). */
const char *umpire_version(void);
char *umpire_lib_versions_json(void);

#endif
