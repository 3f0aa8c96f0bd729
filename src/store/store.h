/*
 * store.h - the SQLite store: the single source of truth of a run.
 *
 * Schema (docs/schema.md) is versioned with PRAGMA user_version and
 * migrated forward on open. WAL mode; writes are batched by the caller
 * with store_begin/store_commit. One attempt row per (run, item, system,
 * sample) enforced by a UNIQUE constraint; the calls of an attempt are
 * written in the same transaction as its final row, so SIGKILL at any
 * moment loses nothing committed and never duplicates an attempt.
 *
 * Loading (store_load_run) reads a run back into memory for reports; all
 * strings in loaded records are owned by the um_run_data and freed by
 * store_run_data_free.
 */
#ifndef UMPIRE_STORE_H
#define UMPIRE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "load/models.h"
#include "load/suite.h"

#define UM_STORE_SCHEMA_VERSION 11

/* The response body of a calls row c in SQL read through a store handle
 * (it registers um_unzstd): the row's own column, or the compressed body it
 * names in responses (schema 7, bodies of 1 KiB or more). Use with STORE_CALL_BODY_JOIN after "FROM calls c". */
#define STORE_CALL_BODY "COALESCE(c.response_body, um_unzstd(rb.zstd, rb.size))"
#define STORE_CALL_BODY_JOIN "LEFT JOIN responses rb ON rb.sha256 = c.body_sha256"

typedef struct um_store um_store;

typedef struct um_run_info {
	char *run_id;
	char *suite_name, *suite_version, *suite_kind;
	char *suite_sha256, *scaffold_sha256, *models_sha256, *dataset_sha256;
	char *suite_text, *scaffold_text, *models_text; /* file bytes (no secrets) */
	char *harness_version, *git_describe;
	char *lib_versions;     /* JSON object text */
	uint64_t seed;          /* choice shuffling seed */
	int repeats;
	int64_t started_ms, finished_ms; /* finished 0 while open */
	char *status;           /* "running" | "complete" | "incomplete" */
	char *notes_json;       /* run_notes (subset, shard, budget stop, breaker), or NULL */
} um_run_info;

typedef struct um_system_rec {
	char *name, *role, *provider, *base_url, *model;
	char *config_json;      /* the system's configuration, no secrets */
	char *dropped_params;   /* params the provider could not carry, or NULL */
} um_system_rec;

typedef struct um_item_rec {
	char *item_id, *category, *subcategory, *question;
	char *choices_json;     /* JSON array of choice texts, source order */
	int correct;
	char *images_json;      /* JSON array of the item's image sha256s, or NULL */
} um_item_rec;

typedef enum { UM_ATT_DONE = 0, UM_ATT_ERROR = 1 } um_att_status;

typedef struct um_attempt_rec {
	char *attempt_id, *item_id, *system;
	int sample;
	um_att_status status;
	char *perm;             /* "2,0,3,1" */
	char *request_hash;     /* sha256 of the wire body without model */
	char *neutral_hash;     /* sha256 of the neutral request (messages + params),
				 * the same for every system whatever its provider */
	char *response_text;    /* model's text, NULL on error */
	char *extracted;        /* NULL when nothing matched */
	int score;              /* 0/1, 1 = full credit; -1 when status is error */
	char *error_class;      /* NULL, or "http_429", "timeout", "protocol", ... */
	char *error_msg;
	int64_t tokens_in, tokens_cached, tokens_out;
	int64_t cost_micro;     /* sum over the attempt's calls */
	int64_t latency_ms;     /* of the successful call (or the last) */
	int n_calls;
	char *served_model, *fingerprint, *finish_reason;
	int64_t finished_ms;
	char *detail_json;      /* kind-specific details (agent: turns, tool calls,
				 * stop reason, verifier), JSON text or NULL */
	int cached;             /* loaded: answered from the response cache */
	int has_reward;         /* the attempt has a fractional score: reward holds it */
	double reward;          /* the fractional score, stored as REAL: a reward file's
				 * value (Harbor), or a partial-credit grader's score in
				 * [0, 1]; store_attempt_value reads it */
	char *image_id;         /* container image the attempt ran in, or NULL */
	int64_t tokens_reasoning, tokens_cache_write; /* loaded only: summed over the
				 * attempt's calls (reasoning part of tokens_out, cache
				 * writes part of tokens_in, where the provider reports them) */
	char *outcome;          /* a done attempt that has no grade and is neither wrong
				 * nor an infrastructure error: "context_overflow" (the
				 * provider said the prompt is too long), "judge_error"
				 * (the judge's reply broke its format); score is 0 and
				 * counts nowhere. NULL: graded (or an error) */
} um_attempt_rec;

typedef struct um_call_rec {
	char *attempt_id;
	int try_no;
	int turn;               /* agent turn (0 for single-call attempts) */
	long http_status;
	int curl_code;
	char *error;            /* NULL on success */
	int64_t started_ms, latency_ms;
	int64_t tokens_in, tokens_cached, tokens_out, cost_micro;
	int64_t tokens_cache_write; /* input written to a prompt cache (part of tokens_in) */
	int64_t tokens_reasoning;   /* reasoning part of tokens_out, where reported */
	int64_t ttft_ms;        /* streamed: time to the first token; -1 (NULL) otherwise */
	char *request_hash;
	char *response_body;    /* as received (may be NULL) */
	size_t response_len;
	char *served_model;
} um_call_rec;

typedef struct um_claim_rec {
	char *system, *benchmark, *source, *note;
	double value;           /* percent as published */
} um_claim_rec;

/* One downstream call of an orchestrator: observed by the recording proxy,
 * or reported by the orchestrator itself in its response. */
typedef struct um_routing_rec {
	char *attempt_id;       /* "" when it could not be attributed */
	int64_t call_id;        /* the umpire call it belongs to, 0 if unknown */
	char *source;           /* "proxy" | "self-report" */
	char *attribution;      /* traceparent | path | single-flight | self-report | none */
	char *sub_model;
	int64_t tokens_in, tokens_cached, tokens_out;
	int64_t cost_micro;     /* at the sub-model's price (proxy), or as reported */
	int64_t latency_ms;
	long status;            /* HTTP status; 0 for a transport failure */
	int64_t at_ms;          /* wall clock when it ended */
	char *detail_json;      /* anything else, as JSON text, or NULL */
} um_routing_rec;

/* One command of an agentic attempt: a setup step, a bash tool call, the
 * verifier, or the oracle's solution. */
typedef enum { UM_PHASE_SETUP, UM_PHASE_AGENT, UM_PHASE_VERIFY, UM_PHASE_ORACLE } um_tool_phase;

typedef struct um_tool_step {
	char *attempt_id;
	um_tool_phase phase;
	int turn, seq;          /* seq orders the steps of an attempt */
	char *tool;             /* bash | submit | setup | verifier | solution | invalid */
	char *call_id;          /* the model's tool call id, or NULL */
	char *command;
	int has_exit, exit_code, signal, timed_out;
	int64_t duration_ms;
	char *out, *err;        /* captured bytes (may be cut), or NULL */
	size_t out_len, err_len;
	int64_t out_bytes, err_bytes; /* what the command wrote in all */
	int truncated;
	char output_sha256[65]; /* of stdout || stderr as captured */
	char *error;            /* why the tool call was refused / failed, or NULL */
} um_tool_step;

int store_open(const char *path, um_store **out, um_error *err);
/* The same for a store that must exist already (reports, bundles, a
 * resume): a missing file is UM_ERR_NOTFOUND and nothing is created. */
int store_open_existing(const char *path, um_store **out, um_error *err);
void store_close(um_store *s);
struct sqlite3 *store_db(um_store *s);   /* for queries the API lacks (tests) */

int store_begin(um_store *s, um_error *err);
int store_commit(um_store *s, um_error *err);
/* Copies what the write-ahead log holds into the file now (a passive
 * checkpoint: it waits for no reader and writes what it may), so that
 * closing the store has less left to copy. Outside a transaction; 0 or -1. */
int store_checkpoint(um_store *s, um_error *err);
int store_rollback(um_store *s);

/* Create the run, or check that an existing run with this id has the same
 * suite/scaffold/models/dataset hashes, seed and repeats (else
 * UM_ERR_STATE naming what differs). *existed set to 1 when resuming. */
int store_run_begin(um_store *s, const um_run_info *ri, int *existed, um_error *err);
int store_run_finish(um_store *s, const char *run_id, int64_t finished_ms, const char *status,
		     um_error *err);
int store_put_system(um_store *s, const char *run_id, const um_system_rec *r, um_error *err);
int store_put_item(um_store *s, const char *run_id, const um_item_rec *r, um_error *err);
int store_put_claim(um_store *s, const char *run_id, const um_claim_rec *r, um_error *err);
/* An image, once per content hash (INSERT OR IGNORE). */
int store_put_image(um_store *s, const char *sha256, const char *media_type, const void *bytes,
		    size_t len, um_error *err);
/* The stored images_json of an item (*json: caller frees; NULL when the
 * item has none). 1 when the item is stored, 0 when not, -1 on error. */
int store_item_images(um_store *s, const char *run_id, const char *item_id, char **json,
		      um_error *err);
/* What a stored request body holds in place of an image's base64 text:
 * this prefix and the image's sha256 (a key of images). */
#define UM_IMAGE_REF_PREFIX "umpire-image:sha256:"
/* body with every occurrence of b64[k] replaced by UM_IMAGE_REF_PREFIX
 * sha256[k], for store_put_request (the key stays the hash of the bytes
 * sent). Caller frees. */
char *store_elide_images(const char *body, size_t len, const char *const *b64,
			 const char *const *sha256, size_t n, size_t *out_len);
/* Request bodies are kept once per distinct body (keyed by the full body's sha256). */
int store_put_request(um_store *s, const char *body_sha256, const char *body, size_t len,
		      um_error *err);
/* Upsert the attempt (an error attempt may be replaced by a later success)
 * and append its calls. Call inside a transaction. */
/* 1 when the attempt has a grade: done, scored, no outcome. */
/* The string fields of an attempt record, each as X(field). */
#define UM_ATTEMPT_REC_STRINGS(X)                                                              \
	X(attempt_id) X(item_id) X(system) X(perm) X(request_hash) X(neutral_hash)             \
	X(detail_json) X(image_id) X(outcome) X(response_text) X(extracted) X(error_class)      \
	X(error_msg) X(served_model) X(fingerprint) X(finish_reason)
/* Free the strings of a loaded attempt record. */
void store_attempt_rec_release(um_attempt_rec *r);
int store_attempt_graded(const um_attempt_rec *a);
/* A graded attempt's score in [0, 1] for the statistics: its fractional score
 * (reward) clamped to [0, 1] when it has one, else its 0/1 score. */
double store_attempt_value(const um_attempt_rec *a);
/* 1 when a graded attempt's value is neither 0 nor 1 (partial credit). */
int store_attempt_partial(const um_attempt_rec *a);
int store_put_attempt(um_store *s, const char *run_id, const um_attempt_rec *a,
		      const um_call_rec *calls, int n_calls, um_error *err);

int store_put_tool_step(um_store *s, const char *run_id, const um_tool_step *t, um_error *err);
/* Remove an attempt's steps: those of an earlier, unfinished try, replaced by
 * the steps of the try written now (its calls stay). */
int store_drop_tool_steps(um_store *s, const char *run_id, const char *attempt_id,
			  um_error *err);
/* Steps of one attempt in seq order; free with store_tool_steps_free. */
int store_load_tool_steps(um_store *s, const char *run_id, const char *attempt_id,
			  um_tool_step **out, size_t *n, um_error *err);
void store_tool_steps_free(um_tool_step *v, size_t n);

int store_put_routing_event(um_store *s, const char *run_id, const um_routing_rec *r,
			    um_error *err);
/* The routing events of an attempt, written right after store_put_attempt
 * wrote its n_calls calls, in the same transaction: evs[i].call_id is the
 * 1-based index among those calls of the call the event came with (0 or
 * out of range: the last), and becomes that call's id. So an attempt and
 * its sub-calls commit together or not at all. */
int store_put_attempt_routing(um_store *s, const char *run_id, const char *attempt_id,
			      int n_calls, const um_routing_rec *evs, size_t n, um_error *err);
/* Delete the run's routing events whose attempt was never written (tries
 * that never committed, from a store written before events were held with
 * their attempt). Returns how many, or -1. */
int store_routing_discard_orphans(um_store *s, const char *run_id, um_error *err);

/* The lease on a run: one live process owns a run at a time. A row of the
 * leases table names its pid, host, a token of the store handle and a
 * heartbeat. */
#define UM_LEASE_STALE_MS 30000
#define UM_LEASE_BEAT_MS 5000

typedef struct um_lease_prev {
	int took_over;          /* 1: a lease of another process was replaced */
	long pid;
	char host[256];
	int64_t heartbeat_ms;
} um_lease_prev;

/* Take the lease on run_id (call inside a transaction). A lease of another
 * handle whose heartbeat is younger than stale_ms and whose process is
 * alive (same host: its pid exists; another host: assumed alive) is refused
 * with UM_ERR_STATE; an older one, or one of a dead process, is taken over
 * and described in *prev. now_ms: real time (not SOURCE_DATE_EPOCH). */
int store_lease_take(um_store *s, const char *run_id, int64_t now_ms, int64_t stale_ms,
		     um_lease_prev *prev, um_error *err);
/* The same test without taking it, and without a write lock (a writer that
 * commits often would starve a process waiting for the lock only to learn
 * that the run is taken). */
int store_lease_check(um_store *s, const char *run_id, int64_t now_ms, int64_t stale_ms,
		      um_lease_prev *prev, um_error *err);
/* Renew the heartbeat; UM_ERR_STATE when another process took the lease. */
int store_lease_renew(um_store *s, const char *run_id, int64_t now_ms, um_error *err);
/* Give the lease up (nothing when another holds it). */
int store_lease_release(um_store *s, const char *run_id, um_error *err);

/* Ids of attempts already done (status done) for the run; caller frees
 * each and the array. */
int store_done_attempts(um_store *s, const char *run_id, char ***ids, size_t *n, um_error *err);

/* Newest run id (by started_ms, then id), or NULL with UM_ERR_NOTFOUND. Caller frees. */
char *store_latest_run(um_store *s, um_error *err);
/* Newest run of a suite (complete runs first), or NULL with UM_ERR_NOTFOUND. */
char *store_latest_run_of_suite(um_store *s, const char *suite_name, um_error *err);

/* The time to first token of one streamed call that succeeded. */
typedef struct um_ttft_rec {
	char *system;
	int64_t ttft_ms;
} um_ttft_rec;

typedef struct um_run_data {
	um_run_info run;
	um_system_rec *systems; size_t n_systems;  /* ordered by name */
	um_item_rec *items; size_t n_items;        /* ordered by item_id */
	um_attempt_rec *attempts; size_t n_attempts; /* ordered by item_id, system, sample */
	um_claim_rec *claims; size_t n_claims;
	um_routing_rec *routing; size_t n_routing;   /* ordered by attempt_id, source, sub_model */
	size_t n_calls;                              /* total HTTP tries */
	um_ttft_rec *ttft; size_t n_ttft;            /* streamed 2xx calls, by system, ttft */
} um_run_data;

int store_load_run(um_store *s, const char *run_id, um_run_data *out, um_error *err);
/* The same without the attempts, the routing events and the times to first
 * token (out->n_attempts, n_routing, n_ttft are 0): the run, its systems,
 * items, claims, notes and call count, for a caller that streams the rest
 * with store_scan_attempts (memory bounded by systems and items). */
int store_load_run_meta(um_store *s, const char *run_id, um_run_data *out, um_error *err);
void store_run_data_free(um_run_data *d);

/* ---- streaming reads: report, rescore, verify -------------------------- */

/* What store_scan_attempts reads beside the report's columns: */
#define STORE_SCAN_TEXT 1u    /* perm, response_text, extracted, finish_reason, image_id
			       * (NULL in the record without it) */
#define STORE_SCAN_ROUTING 2u /* each attempt's routing events */
#define STORE_SCAN_CALL_TOKENS 4u /* tokens_reasoning and tokens_cache_write summed
				   * from its calls (else 0: store_scan_calls says
				   * whether any call has them) */

/* One attempt of a scan with its routing events (attempt_id, source,
 * sub_model order; none without STORE_SCAN_ROUTING). Every pointer is the
 * store's, valid during the call only. Non-zero stops the scan and is
 * returned by it. */
typedef int (*store_attempt_fn)(void *ctx, const um_attempt_rec *a, const um_routing_rec *evs,
				size_t n_evs);
/* Every attempt of the run in (item_id, system, sample) order, one row at a
 * time, with the columns store_load_run gives (cached included). Call
 * inside store_read_begin/store_read_end for one snapshot. 0, -1 (err), or
 * fn's non-zero. */
int store_scan_attempts(um_store *s, const char *run_id, unsigned flags, store_attempt_fn fn,
			void *ctx, um_error *err);
/* One pass over the run's calls: fn gets the time to first token of every
 * streamed 2xx call, with its attempt's system; *extras is set to 1 when
 * some call reports reasoning tokens or cache writes. */
int store_scan_calls(um_store *s, const char *run_id,
		     void (*fn)(void *ctx, const char *system, int64_t ttft_ms), void *ctx,
		     int *extras, um_error *err);

/* What the recording proxy saw downstream of one attempt, from the events a
 * scan gives with it: 1 when any of evs is the proxy's, and *cost their
 * cost summed (self-reports left out). */
int store_proxy_cost(const um_routing_rec *evs, size_t n, int64_t *cost);

/* The scan of store_scan_attempts stepped by the caller, one attempt at a
 * time (no routing events), outside any read transaction so that the caller
 * may write to the store between two steps (its own transactions). The
 * attempt's pointers are the store's, valid until the next step. next: 1
 * an attempt, 0 the end, -1 (err). */
typedef struct store_cursor store_cursor;
int store_cursor_open(um_store *s, const char *run_id, unsigned flags, store_cursor **out,
		      um_error *err);
int store_cursor_next(store_cursor *c, um_attempt_rec *a, um_error *err);
void store_cursor_close(store_cursor *c);

typedef struct um_run_counts {
	uint64_t attempts, routing, unattributed; /* events without an attempt id */
} um_run_counts;
int store_run_counts(um_store *s, const char *run_id, um_run_counts *out, um_error *err);

/* One read snapshot for several scans (a no-op inside a caller's
 * transaction), read without mmap and with a small page cache so that a
 * scan of a large store stays small in memory. */
int store_read_begin(um_store *s, um_error *err);
void store_read_end(um_store *s);

/* ---- CI: run notes, the response cache, listing and merging runs ----- */

/* The run's notes (a JSON object: limit, shard, stopped, breaker; format
 * docs/schema.md), replacing any; NULL or "{}" deletes them. *out: caller
 * frees, NULL when there are none. */
int store_set_run_notes(um_store *s, const char *run_id, const char *notes_json, um_error *err);
int store_get_run_notes(um_store *s, const char *run_id, char **out, um_error *err);

/* Record that an attempt was answered from the cache (source_call: the id
 * of the stored call whose response was reused). Inside the attempt's
 * transaction, after store_put_attempt. */
int store_put_cached(um_store *s, const char *run_id, const char *attempt_id,
		     int64_t source_call, um_error *err);
/* The newest successful call (HTTP 2xx) whose request body hashes to
 * body_sha256, in any run: its id and response body (caller frees).
 * 0 found, 1 none, -1 error. */
int store_cache_lookup(um_store *s, const char *body_sha256, int64_t *call_id, char **body,
		       size_t *len, um_error *err);

typedef struct um_run_summary {
	char *run_id, *suite_name, *status, *notes_json;
	int64_t started_ms, finished_ms;
	int64_t systems, items, repeats, done, errors, calls, cached, cost_micro;
} um_run_summary;
/* Every run, oldest first; free with store_run_summaries_free. */
int store_list_runs(um_store *s, um_run_summary **out, size_t *n, um_error *err);
void store_run_summaries_free(um_run_summary *v, size_t n);

/* Copy every run of the store at src_path into s. A run already in s must
 * have the same suite, scaffold, models and dataset hashes, seed, repeats
 * and subset, and no attempt may be in both (UM_ERR_STATE naming it); shard
 * notes are united, and dropped once every shard is present. One
 * transaction: all or nothing. *n_runs / *n_attempts: what was copied. */
int store_merge(um_store *s, const char *src_path, size_t *n_runs, size_t *n_attempts,
		um_error *err);

/* `umpire rescore` with another judge (schema 10; docs/judged.md): the
 * rescore and each try of its judge. */
typedef struct um_rescore_rec {
	const char *run_id;
	int64_t created_ms;
	const char *scaffold, *scaffold_sha256, *scaffold_text; /* that named the judge */
	const char *judge_system, *judge_model, *judge_provider, *judge_format;
	int64_t calls, cost_micro;
	const char *summary_json; /* the per-system table as JSON */
} um_rescore_rec;

typedef struct um_rescore_call_rec {
	const char *attempt_id;  /* the attempt whose answer was judged again */
	int try_no;
	long http_status;
	const char *error;       /* NULL on success; an error class, or judge_error: why */
	int64_t started_ms, latency_ms, tokens_in, tokens_out, cost_micro;
	const char *request_hash; /* the judge request's body, in requests */
	const char *response_body;
	size_t response_len;
	int verdict;             /* 1 correct, 0 not, -1 none (an error) */
	const char *extracted;   /* what the judge read as the answer, or NULL */
} um_rescore_call_rec;

/* A rescore of run_id, its id (RUN/rescore-N, N counting that run's rescores)
 * into *id (caller frees). Inside the caller's transaction. */
int store_put_rescore(um_store *s, const um_rescore_rec *r, char **id, um_error *err);
int store_put_rescore_call(um_store *s, const char *rescore_id, const um_rescore_call_rec *c,
			   um_error *err);
/* The rescore's calls and cost as written so far, and its summary_json
 * (NULL: left as it is) and created_ms (< 0: left) once it is finished. A
 * rescore is recorded as its calls end: it is put with summary_json "null"
 * (not finished) and given its table at the end; an interrupted one keeps
 * "null" (docs/schema.md). Inside the caller's transaction. */
int store_update_rescore(um_store *s, const char *rescore_id, const um_rescore_rec *r,
			 um_error *err);
/* A rescore and its calls removed (its requests stay: they are keyed by
 * their bytes and may be shared). Inside the caller's transaction. */
int store_delete_rescore(um_store *s, const char *rescore_id, um_error *err);

#endif
