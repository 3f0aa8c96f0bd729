/*
 * run_ctx.h - the state of one run, shared by the files of src/run: runner.c
 * (the common flow and multiple-choice attempts), agent.c (agentic attempts:
 * terminal and swe tasks, oracle, predictions and replay modes, through the
 * narrow interface of agent.h) and record.c (the write path). Not a public
 * interface. The runner calls agent.c; agent.c never calls runner.c: when an
 * agentic attempt is done it asks for more work through rc->feed.
 */
#ifndef UMPIRE_RUN_CTX_H
#define UMPIRE_RUN_CTX_H

#include <jansson.h>
#include <pthread.h>

#include "exec/container.h"
#include "exec/engine.h"
#include "exec/provider.h"
#include "load/models.h"
#include "load/plan.h"
#include "run/runner.h"
#include "load/scaffold.h"
#include "store/evq.h"
#include "store/store.h"
#include "load/suite.h"
#include "exec/workers.h"

typedef struct run_ctx run_ctx;

typedef struct attempt {
	run_ctx *rc;
	struct attempt *prev, *next; /* live attempts, freed on an early stop */
	const um_planned *p;
	char *parity_hash;      /* body hash without model */
	char neutral_hash[65];  /* neutral request hash, provider-independent */
	char body_sha[65];      /* full body */
	um_call_rec *calls;
	size_t n_calls, cap_calls;
	int64_t spent_micro;
	/* answered from the response cache (guard.c): the stored call reused */
	int cached;
	int64_t cache_call;
	char *cache_body;
	size_t cache_len;
	struct attempt *cache_next;
	/* code suites: the program graded and the tests' verdicts (coderun.c) */
	char *extracted_text;
	char *detail_json;
	/* judged attempts (judging.c): the grade rc->finish writes, and the
	 * system's answer kept while the judge is asked */
	int g_score, g_has_reward;
	double g_reward;
	char *g_extracted, *g_detail;
	const char *g_outcome;  /* static string, or NULL */
	um_completion *answer;
	int64_t answer_latency;
	int64_t judge_cost;     /* the judge's calls: never the system's cost */
	char judge_sha[65];     /* sha256 of the judge's request body */
	/* scicode attempts (scirun.c): the turn of the call in flight (its
	 * calls' turn), and the steps answered so far */
	int turn;
	struct sci_att *sci;
} attempt;

typedef struct lane {
	size_t *todo;           /* plan indices for this system, in plan order */
	size_t n_todo, cursor;
	int outstanding;        /* submitted, not finished */
	int feed_cap;
	int engine_lane;
	/* guard.c: the costliest attempt seen and the first attempt's upper
	 * bound (micro-USD, -1 unknown), the run of authentication failures,
	 * whether the breaker stopped the lane, the response cache */
	int64_t max_seen, bound;
	int auth_streak, tripped, use_cache;
	long trip_status;
} lane;

typedef struct agent_att agent_att;
typedef struct coderun coderun;
typedef struct scirun scirun;

struct run_ctx {
	const um_run_opts *o;
	um_suite *suite;
	um_scaffold *scaffold;
	um_models *models;
	um_store *store;
	um_engine *eng;
	um_plan plan;
	char run_id[128];
	lane *lanes;            /* per system index */
	json_t **neutral;       /* per (sample * n_items + item), lazily built */
	int *neutral_refs;      /* systems still to submit for that slot */
	char (*neutral_hash)[65]; /* per slot: sha256 of the canonical neutral request */
	char **done_ids;
	size_t n_done_ids;
	size_t total, done, errors, skipped, since_commit;
	int64_t spent_micro, started_mono, last_commit, last_progress;
	/* attempts started + finished, and its value at the last tick; 1 once
	 * a quiet spell has been checkpointed (runner.c, quiet_checkpoint) */
	uint64_t activity, activity_seen;
	int quiet_done;
	attempt *live;          /* submitted and not finished */
	agent_att *agents;      /* agentic attempts in progress */
	um_workers *workers;    /* sandboxed commands run here */
	coderun *code;          /* code suites: the tests' sandbox and jobs (coderun.c) */
	scirun *sci;            /* scicode suites: the given steps' code (scirun.c) */
	char *tmp_parent;       /* per-run directory for work dirs */
	int tmp_lock;           /* its ".owner" lock (valid while tmp_parent is set) */
	char *leftover_key;     /* run id + store hash: names the run's temp dirs and
				 * labels its containers (agent.c) */
	char *mask_dir;         /* an empty directory bound over hidden host paths */
	char **masks;           /* the host paths it hides from agents */
	size_t n_masks;
	char **staged;          /* per task: a world-readable copy of its directory */
	container_image *images; /* container drivers, per task: its image (ref NULL: none) */
	char **image_errors;    /* per task: why its image could not be had, or NULL */
	int oracle;             /* run reference solutions instead of models */
	json_t *predictions;    /* swe: instance id -> published patch (--predictions) */
	json_t *vendor;         /* swe: instance id -> the vendor's own verdict, or NULL */
	json_t *replay;         /* "task\x1fsample\x1fsystem" -> {of, score, commands} (--replay) */
	uint64_t routing_events;
	/* routing events waiting for their attempt to be written (record.c):
	 * an attempt and its sub-calls commit in one transaction */
	um_routing_rec *held;
	size_t n_held, cap_held;
	/* finished attempts queued until the commit that writes them, in
	 * (item, system, sample) order (record.c) */
	struct record_pending *pend;
	struct record_key *pend_keys; /* their order, sorted at the commit */
	size_t n_pend, cap_pend, cap_keys;
	uint32_t *item_rank, *system_rank; /* items by id, systems by name */
	size_t *by_id;          /* plan indices sorted by attempt id */
	unsigned char *att_state; /* per plan index: RECORD_NEW, _LIVE, _WRITTEN */
	int in_tx;
	int leased;             /* this process holds the run's lease */
	int64_t last_beat;      /* mono ms of the last lease renewal */
	int failed;             /* a store write failed: stop */
	void (*feed)(run_ctx *rc); /* submit more attempts (runner.c's feeder) */
	um_error fail_err;
	/* guard.c: --limit/--shard units kept, the budget stop, breaker trips
	 * and cache hits waiting to be graded */
	um_plan_subset subset;  /* o->subset with the seed resolved */
	unsigned char *keep;
	size_t n_kept;
	int budget_stopped, feeding;
	int no_more; /* every attempt submitted: engine_no_more_requests was called */
	json_t *trips;
	attempt *cache_ready;
	size_t cache_hits;
	/* judged suites (judging.c): the judge's system (-1: none) and lane,
	 * and how an attempt is written once graded (runner.c's) */
	int judge;
	int judge_lane;
	void (*finish)(attempt *a, um_att_status status, const um_completion *c,
		       const char *error_class, const char *error_msg, const um_try *t);
	/* scicode suites: send the attempt's next request (runner.c's; its
	 * answer comes back through the runner's on_try) */
	int (*resubmit)(attempt *a, const json_t *neutral, um_error *err);
};


#endif
