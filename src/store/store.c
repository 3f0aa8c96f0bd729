/*
 * store.c - the SQLite store: schema and migrations, run bookkeeping,
 * idempotent attempt writes and loading a run back for reports.
 *
 * Opening a store sets WAL mode, synchronous=NORMAL, foreign keys and a
 * busy timeout, then brings the schema forward: PRAGMA user_version holds
 * the schema version and store_migrations[] lists the SQL that takes the
 * database from version i-1 to version i. All pending steps run in one
 * IMMEDIATE transaction, so two processes opening the same new file cannot
 * both migrate it. A database written by a newer umpire is refused rather
 * than guessed at.
 *
 * Statements are prepared once per handle (SQLITE_PREPARE_PERSISTENT) and
 * kept in s->stmt[], indexed by enum store_stmt_id; each use resets and
 * clears its bindings.
 *
 * Attempts are upserted on (run_id, attempt_id) so a resumed run replaces
 * an error attempt by its later success without a second row; calls are
 * only ever appended. The attempt's counters (calls, tokens, cost) are
 * added to the stored ones on conflict, so they always equal the sums over
 * the calls table, and a done attempt is never downgraded by a later error
 * (only its counters grow). The schema is documented in docs/schema.md.
 */
#include "store/store.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <inttypes.h>
#include <zstd.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/redact.h"
#include "base/util.h"

#define STORE_BUSY_TIMEOUT_MS 10000

/* The capability profile view; STATUS is the SQL expression of an
 * attempt's status (version 9 counts outcomes as neither done nor error). */
#define CAPABILITY_VIEW(STATUS) \
	"CREATE VIEW capability_profile AS\n" \
	"WITH a AS (\n" \
	"  SELECT t.run_id, t.system, COALESCE(i.category, '') AS category,\n" \
	"         " STATUS " AS status,\n" \
	"         t.score, t.cost_micro, t.latency_ms, t.tokens_in, t.tokens_out\n" \
	"  FROM attempts t LEFT JOIN items i ON i.run_id = t.run_id AND i.item_id = t.item_id\n" \
	"), lat AS (\n" \
	"  SELECT run_id, system, category, latency_ms,\n" \
	"         row_number() OVER (PARTITION BY run_id, system, category\n" \
	"                            ORDER BY latency_ms) AS rn,\n" \
	"         count(*) OVER (PARTITION BY run_id, system, category) AS cnt\n" \
	"  FROM a WHERE status = 'done'\n" \
	"), pct AS (\n" \
	"  SELECT run_id, system, category,\n" \
	"         max(CASE WHEN rn = (cnt + 1) / 2 THEN latency_ms END) AS p50,\n" \
	"         max(CASE WHEN rn = (9 * cnt + 9) / 10 THEN latency_ms END) AS p90\n" \
	"  FROM lat GROUP BY run_id, system, category\n" \
	"), agg AS (\n" \
	"  SELECT run_id, system, category,\n" \
	"         sum(status = 'done') AS n,\n" \
	"         coalesce(sum(CASE WHEN status = 'done' THEN score END), 0) AS correct,\n" \
	"         sum(status = 'error') AS errors,\n" \
	"         sum(cost_micro) AS cost_micro,\n" \
	"         sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out\n" \
	"  FROM a GROUP BY run_id, system, category\n" \
	"), w AS (\n" \
	"  SELECT agg.*, 1.959963984540054 AS z,\n" \
	"         CASE WHEN n > 0 THEN CAST(correct AS REAL) / n END AS p\n" \
	"  FROM agg\n" \
	")\n" \
	"SELECT w.run_id, w.system, w.category, w.n, w.correct, w.p AS accuracy,\n" \
	"  CASE WHEN n = 0 THEN NULL WHEN correct = 0 THEN 0.0 ELSE max(0.0,\n" \
	"    (p + z * z / (2.0 * n) - z * sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)))\n" \
	"    / (1.0 + z * z / n)) END AS wilson_lo,\n" \
	"  CASE WHEN n = 0 THEN NULL WHEN correct = n THEN 1.0 ELSE min(1.0,\n" \
	"    (p + z * z / (2.0 * n) + z * sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)))\n" \
	"    / (1.0 + z * z / n)) END AS wilson_hi,\n" \
	"  w.errors, w.cost_micro,\n" \
	"  CASE WHEN n > 0 THEN (2 * w.cost_micro + n) / (2 * n) END AS cost_per_item_micro,\n" \
	"  CASE WHEN correct > 0 THEN (2 * w.cost_micro + correct) / (2 * correct) END\n" \
	"    AS cost_per_correct_micro,\n" \
	"  pct.p50 AS latency_p50_ms, pct.p90 AS latency_p90_ms,\n" \
	"  w.tokens_in, w.tokens_out\n" \
	"FROM w LEFT JOIN pct ON pct.run_id = w.run_id AND pct.system = w.system\n" \
	"  AND pct.category = w.category;\n"

/* The calls a report reads apart from their attempts (index calls_extras). */
#define STORE_CALL_EXTRAS \
	"(ttft_ms IS NOT NULL OR tokens_reasoning <> 0 OR tokens_cache_write <> 0)"

/* Schema version 1: everything. One string per table with its indexes
 * (C99 caps string literals at 4095 bytes). */
static const char *const store_schema_v1[] = {
	"CREATE TABLE runs (\n"
	"  run_id TEXT PRIMARY KEY NOT NULL,\n"
	"  suite_name TEXT NOT NULL,\n"
	"  suite_version TEXT NOT NULL,\n"
	"  suite_kind TEXT NOT NULL,\n"
	"  suite_sha256 TEXT NOT NULL,\n"
	"  scaffold_sha256 TEXT NOT NULL,\n"
	"  models_sha256 TEXT NOT NULL,\n"
	"  dataset_sha256 TEXT NOT NULL,\n"
	"  suite_text TEXT,\n"
	"  scaffold_text TEXT,\n"
	"  models_text TEXT,\n"
	"  harness_version TEXT NOT NULL,\n"
	"  git_describe TEXT,\n"
	"  lib_versions TEXT,\n"
	"  seed INTEGER NOT NULL,\n"
	"  repeats INTEGER NOT NULL CHECK (repeats >= 1),\n"
	"  started_ms INTEGER NOT NULL,\n"
	"  finished_ms INTEGER NOT NULL DEFAULT 0,\n"
	"  status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'incomplete'))\n"
	");\n"
	"CREATE INDEX runs_started ON runs (started_ms, run_id);\n",
	"CREATE TABLE systems (\n"
	"  run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,\n"
	"  name TEXT NOT NULL,\n"
	"  role TEXT NOT NULL CHECK (role IN ('orchestrator', 'baseline')),\n"
	"  provider TEXT NOT NULL,\n"
	"  base_url TEXT,\n"
	"  model TEXT NOT NULL,\n"
	"  config_json TEXT,\n"
	"  dropped_params TEXT,\n"
	"  PRIMARY KEY (run_id, name)\n"
	");\n",
	"CREATE TABLE items (\n"
	"  run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,\n"
	"  item_id TEXT NOT NULL,\n"
	"  category TEXT NOT NULL,\n"
	"  subcategory TEXT,\n"
	"  question TEXT NOT NULL,\n"
	"  choices_json TEXT NOT NULL,\n"
	"  correct INTEGER NOT NULL CHECK (correct >= 0),\n"
	"  PRIMARY KEY (run_id, item_id)\n"
	");\n"
	"CREATE INDEX items_category ON items (run_id, category);\n",
	"CREATE TABLE claims (\n"
	"  run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,\n"
	"  seq INTEGER NOT NULL,\n"
	"  system TEXT NOT NULL,\n"
	"  benchmark TEXT NOT NULL,\n"
	"  value REAL NOT NULL,\n"
	"  source TEXT NOT NULL,\n"
	"  note TEXT,\n"
	"  PRIMARY KEY (run_id, seq),\n"
	"  UNIQUE (run_id, system, benchmark, value, source)\n"
	");\n",
	"CREATE TABLE requests (\n"
	"  body_sha256 TEXT PRIMARY KEY NOT NULL,\n"
	"  body BLOB NOT NULL\n"
	");\n",
	"CREATE TABLE attempts (\n"
	"  run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,\n"
	"  attempt_id TEXT NOT NULL,\n"
	"  item_id TEXT NOT NULL,\n"
	"  system TEXT NOT NULL,\n"
	"  sample INTEGER NOT NULL,\n"
	"  status TEXT NOT NULL CHECK (status IN ('done', 'error')),\n"
	"  perm TEXT,\n"
	"  request_hash TEXT,\n"
	"  neutral_hash TEXT,\n"
	"  response_text TEXT,\n"
	"  extracted TEXT,\n"
	"  score INTEGER,\n"
	"  error_class TEXT,\n"
	"  error_msg TEXT,\n"
	"  tokens_in INTEGER NOT NULL DEFAULT 0,\n"
	"  tokens_cached INTEGER NOT NULL DEFAULT 0,\n"
	"  tokens_out INTEGER NOT NULL DEFAULT 0,\n"
	"  cost_micro INTEGER NOT NULL DEFAULT 0,\n"
	"  latency_ms INTEGER NOT NULL DEFAULT 0,\n"
	"  n_calls INTEGER NOT NULL DEFAULT 0,\n"
	"  served_model TEXT,\n"
	"  fingerprint TEXT,\n"
	"  finish_reason TEXT,\n"
	"  finished_ms INTEGER NOT NULL DEFAULT 0,\n"
	"  detail_json TEXT,\n"
	"  PRIMARY KEY (run_id, attempt_id),\n"
	"  UNIQUE (run_id, item_id, system, sample),\n"
	"  CHECK ((status = 'done' AND score IN (0, 1)) OR (status = 'error' AND score IS NULL))\n"
	");\n"
	"CREATE INDEX attempts_system ON attempts (run_id, system, status);\n"
	"CREATE INDEX attempts_status ON attempts (run_id, status, attempt_id);\n"
	"CREATE INDEX attempts_request ON attempts (request_hash);\n",
	"CREATE TABLE calls (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  run_id TEXT NOT NULL,\n"
	"  attempt_id TEXT NOT NULL,\n"
	"  try_no INTEGER NOT NULL,\n"
	"  turn INTEGER NOT NULL DEFAULT 0,\n"
	"  http_status INTEGER NOT NULL DEFAULT 0,\n"
	"  curl_code INTEGER NOT NULL DEFAULT 0,\n"
	"  error TEXT,\n"
	"  started_ms INTEGER NOT NULL DEFAULT 0,\n"
	"  latency_ms INTEGER NOT NULL DEFAULT 0,\n"
	"  tokens_in INTEGER NOT NULL DEFAULT 0,\n"
	"  tokens_cached INTEGER NOT NULL DEFAULT 0,\n"
	"  tokens_out INTEGER NOT NULL DEFAULT 0,\n"
	"  cost_micro INTEGER NOT NULL DEFAULT 0,\n"
	"  request_hash TEXT,\n"
	"  response_body BLOB,\n"
	"  served_model TEXT,\n"
	"  FOREIGN KEY (run_id, attempt_id) REFERENCES attempts (run_id, attempt_id)\n"
	"    ON DELETE CASCADE\n"
	");\n"
	"CREATE INDEX calls_attempt ON calls (run_id, attempt_id, try_no);\n"
	"CREATE TABLE tool_steps (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  run_id TEXT NOT NULL,\n"
	"  attempt_id TEXT NOT NULL,\n"
	"  phase TEXT NOT NULL CHECK (phase IN ('setup', 'agent', 'verify', 'oracle')),\n"
	"  turn INTEGER NOT NULL DEFAULT 0,\n"
	"  seq INTEGER NOT NULL,\n"
	"  tool TEXT NOT NULL,\n"
	"  call_id TEXT,\n"
	"  command TEXT,\n"
	"  exit_code INTEGER,\n"
	"  signal INTEGER NOT NULL DEFAULT 0,\n"
	"  timed_out INTEGER NOT NULL DEFAULT 0,\n"
	"  duration_ms INTEGER NOT NULL DEFAULT 0,\n"
	"  stdout BLOB,\n"
	"  stderr BLOB,\n"
	"  stdout_bytes INTEGER NOT NULL DEFAULT 0,\n"
	"  stderr_bytes INTEGER NOT NULL DEFAULT 0,\n"
	"  truncated INTEGER NOT NULL DEFAULT 0,\n"
	"  output_sha256 TEXT,\n"
	"  error TEXT,\n"
	"  FOREIGN KEY (run_id, attempt_id) REFERENCES attempts (run_id, attempt_id)\n"
	"    ON DELETE CASCADE\n"
	");\n"
	"CREATE INDEX tool_steps_attempt ON tool_steps (run_id, attempt_id, seq);\n",
	"CREATE TABLE routing_events (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,\n"
	"  attempt_id TEXT NOT NULL,\n"
	"  call_id INTEGER REFERENCES calls (id) ON DELETE SET NULL,\n"
	"  source TEXT NOT NULL CHECK (source IN ('self-report', 'proxy')),\n"
	"  sub_model TEXT,\n"
	"  tokens_in INTEGER NOT NULL DEFAULT 0,\n"
	"  tokens_cached INTEGER NOT NULL DEFAULT 0,\n"
	"  tokens_out INTEGER NOT NULL DEFAULT 0,\n"
	"  cost_micro INTEGER NOT NULL DEFAULT 0,\n"
	"  latency_ms INTEGER NOT NULL DEFAULT 0,\n"
	"  status INTEGER NOT NULL DEFAULT 0,\n"
	"  attribution TEXT NOT NULL DEFAULT 'none',\n"
	"  at_ms INTEGER NOT NULL DEFAULT 0,\n"
	"  detail_json TEXT\n"
	");\n"
	"CREATE INDEX routing_attempt ON routing_events (run_id, attempt_id);\n"
	"CREATE INDEX routing_model ON routing_events (run_id, sub_model);\n"
	"CREATE INDEX routing_call ON routing_events (call_id);\n",
	/*
	 * capability_profile: one row per run x system x category. Graded
	 * attempts (status done) give n, correct, accuracy, the Wilson 95%
	 * interval and the nearest-rank latency percentiles; cost and tokens
	 * are summed over every attempt (errors cost money too); errors counts
	 * attempts whose last state is an infrastructure error. Money per item
	 * and per correct answer are integers rounded half up.
	 */
	CAPABILITY_VIEW("t.status"),
	NULL,
};

/* Version 2: what streamed and reasoning calls add (docs/models.md): time
 * to first token, prompt-cache writes, reasoning tokens. Rows written
 * before have NULL / 0 there. */
static const char *const store_schema_v2[] = {
	"ALTER TABLE calls ADD COLUMN ttft_ms INTEGER;\n",
	"ALTER TABLE calls ADD COLUMN tokens_cache_write INTEGER NOT NULL DEFAULT 0;\n",
	"ALTER TABLE calls ADD COLUMN tokens_reasoning INTEGER NOT NULL DEFAULT 0;\n",
	NULL,
};

/* Schema version 3: notes on how a run was made (subset, shard, budget stop,
 * circuit breaker) and which attempts were answered from the response
 * cache. */
static const char *const store_schema_v3[] = {
	"CREATE TABLE run_notes (\n"
	"  run_id TEXT PRIMARY KEY NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,\n"
	"  notes_json TEXT NOT NULL\n"
	");\n",
	"CREATE TABLE attempt_cache (\n"
	"  run_id TEXT NOT NULL,\n"
	"  attempt_id TEXT NOT NULL,\n"
	"  source_call INTEGER NOT NULL,\n"
	"  PRIMARY KEY (run_id, attempt_id),\n"
	"  FOREIGN KEY (run_id, attempt_id) REFERENCES attempts (run_id, attempt_id)\n"
	"    ON DELETE CASCADE\n"
	");\n",
	NULL,
};

/* Schema version 4: the lease that makes one process the owner of a run,
 * and routing events tied to the call of their attempt (call_id filled). */
static const char *const store_schema_v4[] = {
	"CREATE TABLE leases (\n"
	"  run_id TEXT PRIMARY KEY NOT NULL,\n"
	"  pid INTEGER NOT NULL,\n"
	"  host TEXT NOT NULL,\n"
	"  token TEXT NOT NULL,\n"
	"  taken_ms INTEGER NOT NULL,\n"
	"  heartbeat_ms INTEGER NOT NULL\n"
	");\n",
	NULL,
};

/* Version 5: what a terminal attempt ran in and what its verifier gave:
 * the container image's id (the environment pinned like the dataset) and
 * the reward as a float (Harbor's fractional rewards; score stays 0/1).
 * Rows written before have NULL there. */
static const char *const store_schema_v5[] = {
	"ALTER TABLE attempts ADD COLUMN reward REAL;\n",
	"ALTER TABLE attempts ADD COLUMN image_id TEXT;\n",
	NULL,
};

/* Version 6: the two attempts indexes no query needs, dropped: each cost a
 * B-tree insert at a random key (a hash) per attempt, the most expensive
 * writes of a growing store (docs/performance.md). Nothing looks attempts
 * up by request_hash; the done list and the per-run status counts read
 * the run's rows through the primary key. */
static const char *const store_schema_v6[] = {
	"DROP INDEX IF EXISTS attempts_request;\n",
	"DROP INDEX IF EXISTS attempts_status;\n",
	NULL,
};

/* Version 7: response bodies of STORE_ZSTD_MIN bytes or more are stored
 * once and compressed: such a call names its body by the SHA-256 of the
 * bytes received (calls.body_sha256, 32 bytes) and responses holds each
 * distinct one once, as a zstd frame with its size. A shorter body stays in
 * calls.response_body as before (compressing it costs more than it saves),
 * and so do the bodies of calls written before; readers select
 * STORE_CALL_BODY over STORE_CALL_BODY_JOIN (store.h). */
static const char *const store_schema_v7[] = {
	"CREATE TABLE responses (\n"
	"  sha256 BLOB PRIMARY KEY NOT NULL,\n"
	"  size INTEGER NOT NULL,\n"
	"  zstd BLOB NOT NULL\n"
	");\n",
	"ALTER TABLE calls ADD COLUMN body_sha256 BLOB;\n",
	NULL,
};

/* Version 8: images that items show, once per content hash however many
 * runs, attempts and request bodies use them (a stored body holds a
 * reference in place of each image's base64, store_elide_images), and the
 * list of an item's images. */
static const char *const store_schema_v8[] = {
	"CREATE TABLE images (\n"
	"  sha256 TEXT PRIMARY KEY NOT NULL,\n"
	"  media_type TEXT NOT NULL,\n"
	"  bytes BLOB NOT NULL\n"
	");\n",
	"ALTER TABLE items ADD COLUMN images_json TEXT;\n",
	NULL,
};

/* Version 9: an attempt's outcome when it ended without a grade that is
 * neither a wrong answer nor an infrastructure error (status done, score 0,
 * outcome 'context_overflow' or 'judge_error'; docs/judged.md). The
 * capability profile counts such attempts in neither n nor errors. */
static const char *const store_schema_v9[] = {
	"ALTER TABLE attempts ADD COLUMN outcome TEXT;\n",
	"DROP VIEW IF EXISTS capability_profile;\n",
	CAPABILITY_VIEW("CASE WHEN t.outcome IS NULL THEN t.status ELSE 'outcome' END"),
	NULL,
};

/* Version 10: `umpire rescore` with another judge, recorded: one rescores
 * row per rescore of a run (the scaffold that named the judge, the judge,
 * what it cost and the per-system table it printed) and one rescore_calls
 * row per try of that judge, with the attempt it judged again, its request
 * (in requests), its reply and the verdict read from it (docs/judged.md). */
static const char *const store_schema_v10[] = {
	"CREATE TABLE rescores (\n"
	"  rescore_id TEXT PRIMARY KEY NOT NULL,\n"
	"  run_id TEXT NOT NULL,\n"
	"  created_ms INTEGER NOT NULL,\n"
	"  scaffold TEXT NOT NULL,\n"
	"  scaffold_sha256 TEXT NOT NULL,\n"
	"  scaffold_text TEXT NOT NULL,\n"
	"  judge_system TEXT NOT NULL,\n"
	"  judge_model TEXT NOT NULL,\n"
	"  judge_provider TEXT NOT NULL,\n"
	"  judge_format TEXT NOT NULL,\n"
	"  calls INTEGER NOT NULL,\n"
	"  cost_micro INTEGER NOT NULL,\n"
	"  summary_json TEXT NOT NULL\n"
	");\n",
	"CREATE TABLE rescore_calls (\n"
	"  rescore_id TEXT NOT NULL REFERENCES rescores (rescore_id) ON DELETE CASCADE,\n"
	"  attempt_id TEXT NOT NULL,\n"
	"  try_no INTEGER NOT NULL,\n"
	"  http_status INTEGER NOT NULL DEFAULT 0,\n"
	"  error TEXT,\n"
	"  started_ms INTEGER NOT NULL DEFAULT 0,\n"
	"  latency_ms INTEGER NOT NULL DEFAULT 0,\n"
	"  tokens_in INTEGER NOT NULL DEFAULT 0,\n"
	"  tokens_out INTEGER NOT NULL DEFAULT 0,\n"
	"  cost_micro INTEGER NOT NULL DEFAULT 0,\n"
	"  request_hash TEXT,\n"
	"  response_body BLOB,\n"
	"  verdict INTEGER,\n"
	"  extracted TEXT,\n"
	"  PRIMARY KEY (rescore_id, attempt_id, try_no)\n"
	");\n",
	NULL,
};

/* Version 11: the calls the report reads apart from the attempts (times to
 * first token, reasoning tokens, cache writes), in a partial index that
 * holds only such calls: a run with none (no streaming, no reasoning) has
 * it empty and pays nothing per call, and the report no longer reads the
 * whole calls table (its response bodies among it) to find that out
 * (store_scan_calls, docs/performance.md). */
static const char *const store_schema_v11[] = {
	"CREATE INDEX IF NOT EXISTS calls_extras ON calls (run_id, id) WHERE " STORE_CALL_EXTRAS ";\n",
	NULL,
};

/* store_migrations[i] takes the schema from version i to version i + 1. */
static const struct {
	int version;
	const char *const *steps;
} store_migrations[] = {
	{1, store_schema_v1},
	{2, store_schema_v2},
	{3, store_schema_v3},
	{4, store_schema_v4},
	{5, store_schema_v5},
	{6, store_schema_v6},
	{7, store_schema_v7},
	{8, store_schema_v8},
	{9, store_schema_v9},
	{10, store_schema_v10},
	{11, store_schema_v11},
};

_Static_assert(UM_ARRAY_LEN(store_migrations) == UM_STORE_SCHEMA_VERSION,
	       "one migration step per schema version");

enum store_stmt_id {
	ST_RUN_GET,
	ST_RUN_INSERT,
	ST_RUN_RESUME,
	ST_RUN_FINISH,
	ST_SYSTEM_PUT,
	ST_ITEM_PUT,
	ST_IMAGE_PUT,
	ST_ITEM_IMAGES,
	ST_CLAIM_PUT,
	ST_RESPONSE_PUT,
	ST_RESPONSE_HAS,
	ST_REQUEST_PUT,
	ST_ATTEMPT_STATUS,
	ST_ATTEMPT_UPSERT,
	ST_ATTEMPT_ADD_COUNTERS,
	ST_CALL_INSERT,
	ST_DONE_LIST,
	ST_LATEST_RUN,
	ST_LATEST_SUITE_RUN,
	ST_LOAD_SYSTEMS,
	ST_LOAD_ITEMS,
	ST_LOAD_ATTEMPTS,
	ST_LOAD_CLAIMS,
	ST_COUNT_CALLS,
	ST_ROUTING_PUT,
	ST_TOOL_STEP_INSERT,
	ST_TOOL_STEPS_DROP,
	ST_TOOL_STEPS_LOAD,
	ST_LOAD_ROUTING,
	ST_LOAD_TTFT,
	ST_LEASE_GET,
	ST_LEASE_PUT,
	ST_LEASE_RENEW,
	ST_LEASE_DROP,
	ST_ROUTING_ORPHANS,
	ST_ROUTING_PUT_WITH_CALL,
	ST__COUNT
};

#define ATTEMPT_COLS                                                                         \
	"item_id, system, sample, status, perm, request_hash, response_text, extracted, "     \
	"score, error_class, error_msg, tokens_in, tokens_cached, tokens_out, cost_micro, "   \
	"latency_ms, n_calls, served_model, fingerprint, finish_reason, finished_ms, "       \
	"neutral_hash, detail_json, reward, image_id, outcome"

static const char *const store_sql[ST__COUNT] = {
	[ST_RUN_GET] = "SELECT run_id, suite_name, suite_version, suite_kind, suite_sha256, "
		       "scaffold_sha256, models_sha256, dataset_sha256, suite_text, "
		       "scaffold_text, models_text, harness_version, git_describe, "
		       "lib_versions, seed, repeats, started_ms, finished_ms, status "
		       "FROM runs WHERE run_id = ?1",
	[ST_RUN_INSERT] = "INSERT INTO runs (run_id, suite_name, suite_version, suite_kind, "
			  "suite_sha256, scaffold_sha256, models_sha256, dataset_sha256, "
			  "suite_text, scaffold_text, models_text, harness_version, "
			  "git_describe, lib_versions, seed, repeats, started_ms, "
			  "finished_ms, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
			  "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, 0, 'running')",
	[ST_RUN_RESUME] = "UPDATE runs SET status = 'running', finished_ms = 0 "
			  "WHERE run_id = ?1",
	[ST_RUN_FINISH] = "UPDATE runs SET finished_ms = ?2, status = ?3 WHERE run_id = ?1",
	[ST_SYSTEM_PUT] = "INSERT INTO systems (run_id, name, role, provider, base_url, model, "
			  "config_json, dropped_params) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
			  "ON CONFLICT (run_id, name) DO UPDATE SET role = excluded.role, "
			  "provider = excluded.provider, base_url = excluded.base_url, "
			  "model = excluded.model, config_json = excluded.config_json, "
			  "dropped_params = excluded.dropped_params",
	[ST_ITEM_PUT] = "INSERT INTO items (run_id, item_id, category, subcategory, question, "
			"choices_json, correct, images_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
			"ON CONFLICT (run_id, item_id) DO UPDATE SET "
			"category = excluded.category, subcategory = excluded.subcategory, "
			"question = excluded.question, choices_json = excluded.choices_json, "
			"correct = excluded.correct, images_json = excluded.images_json",
	[ST_IMAGE_PUT] = "INSERT OR IGNORE INTO images (sha256, media_type, bytes) "
			 "VALUES (?1, ?2, ?3)",
	[ST_ITEM_IMAGES] = "SELECT images_json FROM items WHERE run_id = ?1 AND item_id = ?2",
	[ST_CLAIM_PUT] = "INSERT INTO claims (run_id, seq, system, benchmark, value, source, "
			 "note) SELECT ?1, coalesce(max(seq) + 1, 0), ?2, ?3, ?4, ?5, ?6 "
			 "FROM claims WHERE run_id = ?1 "
			 "ON CONFLICT (run_id, system, benchmark, value, source) "
			 "DO UPDATE SET note = excluded.note",
	[ST_RESPONSE_PUT] = "INSERT INTO responses (sha256, size, zstd) VALUES (?1, ?2, ?3) "
			    "ON CONFLICT (sha256) DO NOTHING",
	[ST_RESPONSE_HAS] = "SELECT 1 FROM responses WHERE sha256 = ?1",
	[ST_REQUEST_PUT] = "INSERT INTO requests (body_sha256, body) VALUES (?1, ?2) "
			   "ON CONFLICT (body_sha256) DO NOTHING",
	[ST_ATTEMPT_STATUS] = "SELECT status FROM attempts WHERE run_id = ?1 AND "
			      "attempt_id = ?2",
	[ST_ATTEMPT_UPSERT] =
		"INSERT INTO attempts (run_id, attempt_id, " ATTEMPT_COLS ") VALUES (?1, ?2, "
		"?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
		"?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28) ON CONFLICT (run_id, attempt_id) DO UPDATE SET "
		"item_id = excluded.item_id, system = excluded.system, "
		"sample = excluded.sample, status = excluded.status, perm = excluded.perm, "
		"request_hash = excluded.request_hash, neutral_hash = excluded.neutral_hash, "
		"detail_json = excluded.detail_json, reward = excluded.reward, "
		"image_id = excluded.image_id, outcome = excluded.outcome, "
		"response_text = excluded.response_text, extracted = excluded.extracted, "
		"score = excluded.score, error_class = excluded.error_class, "
		"error_msg = excluded.error_msg, "
		"tokens_in = attempts.tokens_in + excluded.tokens_in, "
		"tokens_cached = attempts.tokens_cached + excluded.tokens_cached, "
		"tokens_out = attempts.tokens_out + excluded.tokens_out, "
		"cost_micro = attempts.cost_micro + excluded.cost_micro, "
		"latency_ms = excluded.latency_ms, "
		"n_calls = attempts.n_calls + excluded.n_calls, "
		"served_model = excluded.served_model, fingerprint = excluded.fingerprint, "
		"finish_reason = excluded.finish_reason, finished_ms = excluded.finished_ms",
	[ST_ATTEMPT_ADD_COUNTERS] =
		"UPDATE attempts SET tokens_in = tokens_in + ?3, "
		"tokens_cached = tokens_cached + ?4, tokens_out = tokens_out + ?5, "
		"cost_micro = cost_micro + ?6, n_calls = n_calls + ?7 "
		"WHERE run_id = ?1 AND attempt_id = ?2",
	[ST_CALL_INSERT] = "INSERT INTO calls (run_id, attempt_id, try_no, http_status, "
			   "curl_code, error, started_ms, latency_ms, tokens_in, "
			   "tokens_cached, tokens_out, cost_micro, request_hash, "
			   "body_sha256, served_model, turn, ttft_ms, tokens_cache_write, "
			   "tokens_reasoning, response_body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
			   "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
	[ST_TOOL_STEPS_DROP] = "DELETE FROM tool_steps WHERE run_id = ?1 AND attempt_id = ?2",
	[ST_TOOL_STEP_INSERT] = "INSERT INTO tool_steps (run_id, attempt_id, phase, turn, seq, "
				"tool, call_id, command, exit_code, signal, timed_out, "
				"duration_ms, stdout, stderr, stdout_bytes, stderr_bytes, "
				"truncated, output_sha256, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
				"?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
	[ST_TOOL_STEPS_LOAD] = "SELECT phase, turn, seq, tool, call_id, command, exit_code, "
			       "signal, timed_out, duration_ms, stdout, stderr, stdout_bytes, "
			       "stderr_bytes, truncated, output_sha256, error FROM tool_steps "
			       "WHERE run_id = ?1 AND attempt_id = ?2 ORDER BY seq, id",
	[ST_DONE_LIST] = "SELECT attempt_id FROM attempts WHERE run_id = ?1 AND "
			 "status = 'done' ORDER BY attempt_id",
	[ST_LATEST_SUITE_RUN] = "SELECT run_id FROM runs WHERE suite_name = ?1 ORDER BY "
				"(status = 'complete') DESC, started_ms DESC, run_id DESC LIMIT 1",
	[ST_LATEST_RUN] = "SELECT run_id FROM runs ORDER BY started_ms DESC, run_id DESC "
			  "LIMIT 1",
	[ST_LOAD_SYSTEMS] = "SELECT name, role, provider, base_url, model, config_json, "
			    "dropped_params FROM systems WHERE run_id = ?1 ORDER BY name",
	[ST_LOAD_ITEMS] = "SELECT item_id, category, subcategory, question, choices_json, "
			  "correct FROM items WHERE run_id = ?1 ORDER BY item_id",
	/* the reasoning and cache-write tokens are summed from the calls */
	[ST_LOAD_ATTEMPTS] = "SELECT attempt_id, " ATTEMPT_COLS ", coalesce(k.reasoning, 0), "
			     "coalesce(k.cache_write, 0) FROM attempts LEFT JOIN (SELECT "
			     "attempt_id, sum(tokens_reasoning) AS reasoning, "
			     "sum(tokens_cache_write) AS cache_write FROM calls WHERE run_id = ?1 "
			     "GROUP BY attempt_id) AS k USING (attempt_id) "
			     "WHERE run_id = ?1 ORDER BY item_id, system, sample",
	[ST_LOAD_CLAIMS] = "SELECT system, benchmark, value, source, note FROM claims "
			   "WHERE run_id = ?1 ORDER BY seq",
	[ST_COUNT_CALLS] = "SELECT count(*) FROM calls WHERE run_id = ?1",
	[ST_ROUTING_PUT] = "INSERT INTO routing_events (run_id, attempt_id, call_id, source, "
			   "sub_model, tokens_in, tokens_cached, tokens_out, cost_micro, "
			   "latency_ms, status, attribution, at_ms, detail_json) VALUES (?1, ?2, "
			   "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
	[ST_LOAD_ROUTING] = "SELECT attempt_id, call_id, source, sub_model, tokens_in, "
			    "tokens_cached, tokens_out, cost_micro, latency_ms, status, "
			    "attribution, at_ms, detail_json FROM routing_events "
			    "WHERE run_id = ?1 ORDER BY attempt_id, source, sub_model, id",
	[ST_LOAD_TTFT] = "SELECT a.system, c.ttft_ms FROM calls AS c JOIN attempts AS a "
			 "ON a.run_id = c.run_id AND a.attempt_id = c.attempt_id "
			 "WHERE c.run_id = ?1 AND c.ttft_ms IS NOT NULL AND c.error IS NULL "
			 "AND c.http_status BETWEEN 200 AND 299 ORDER BY a.system, c.ttft_ms",
	[ST_LEASE_GET] = "SELECT pid, host, token, heartbeat_ms FROM leases WHERE run_id = ?1",
	[ST_LEASE_PUT] = "INSERT INTO leases (run_id, pid, host, token, taken_ms, heartbeat_ms) "
			 "VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (run_id) DO UPDATE SET "
			 "pid = excluded.pid, host = excluded.host, token = excluded.token, "
			 "taken_ms = excluded.taken_ms, heartbeat_ms = excluded.heartbeat_ms",
	[ST_LEASE_RENEW] = "UPDATE leases SET heartbeat_ms = ?3 WHERE run_id = ?1 AND token = ?2",
	[ST_LEASE_DROP] = "DELETE FROM leases WHERE run_id = ?1 AND token = ?2",
	/* proxy events of attempts that never committed (a process killed
	 * before this version held them with their attempt) */
	[ST_ROUTING_ORPHANS] = "DELETE FROM routing_events WHERE run_id = ?1 AND "
			       "attempt_id <> '' AND NOT EXISTS (SELECT 1 FROM attempts a "
			       "WHERE a.run_id = routing_events.run_id AND "
			       "a.attempt_id = routing_events.attempt_id)",
	/* an event written with its attempt: call_id is the call ?3 places
	 * from the attempt's newest (0: the newest) */
	[ST_ROUTING_PUT_WITH_CALL] =
		"INSERT INTO routing_events (run_id, attempt_id, call_id, source, "
		"sub_model, tokens_in, tokens_cached, tokens_out, cost_micro, "
		"latency_ms, status, attribution, at_ms, detail_json) VALUES (?1, ?2, "
		"(SELECT id FROM calls WHERE run_id = ?1 AND attempt_id = ?2 "
		"ORDER BY id DESC LIMIT 1 OFFSET ?3), ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
		"?13, ?14)",
};

/* zstd level of response bodies: 3, zstd's default. Bodies under
 * STORE_ZSTD_MIN bytes stay in the calls row as they are: a 530-byte chat
 * completion takes about 10 us to compress (a tenth of an attempt's CPU on
 * the zero-latency bench) for 1.5x, and a row of responses plus its key
 * cost more than that saves (docs/performance.md). */
#define STORE_ZSTD_LEVEL 3
#define STORE_ZSTD_MIN 1024
/* A stored body inflates to at most this (the engine's body cap is 64 MiB). */
#define STORE_MAX_BODY ((sqlite3_int64)256 << 20)

/* um_unzstd(zstd, size): the bytes a responses row holds; NULL for NULL;
 * an error when they do not inflate to exactly size bytes. */
static void unzstd_func(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const void *z = sqlite3_value_blob(argv[0]);
	int zn = sqlite3_value_bytes(argv[0]);
	sqlite3_int64 size = sqlite3_value_int64(argv[1]);
	size_t got;
	void *out;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	if (size < 0 || size > STORE_MAX_BODY) {
		sqlite3_result_error(ctx, "um_unzstd: a stored response body has a bad size", -1);
		return;
	}
	out = um_xmalloc((size_t)size + 1);
	got = ZSTD_decompress(out, (size_t)size + 1, z ? z : "", (size_t)zn);
	if (ZSTD_isError(got) || got != (size_t)size) {
		free(out);
		sqlite3_result_error(ctx, "um_unzstd: a stored response body is corrupt", -1);
		return;
	}
	sqlite3_result_blob64(ctx, out, (sqlite3_uint64)size, free);
}

static int store_register_functions(sqlite3 *db)
{
	return sqlite3_create_function_v2(db, "um_unzstd", 2,
					  SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
					  NULL, unzstd_func, NULL, NULL, NULL);
}

struct um_store {
	sqlite3 *db;
	char *path;
	ZSTD_CCtx *zc;          /* response bodies, made on the first one */
	sqlite3_stmt *stmt[ST__COUNT];
	char token[40];         /* this handle's lease token */
	int read_tx;            /* store_read_begin opened a transaction */
};

static int store_dberr(um_store *s, um_error *err, const char *what)
{
	return um_fail(err, UM_ERR_DB, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

/* The cached statement id, reset and ready for binding, or NULL. */
static sqlite3_stmt *store_stmt(um_store *s, enum store_stmt_id id, um_error *err)
{
	sqlite3_stmt *st = s->stmt[id];

	if (!st) {
		if (sqlite3_prepare_v3(s->db, store_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st,
				       NULL) != SQLITE_OK) {
			store_dberr(s, err, "cannot prepare statement");
			return NULL;
		}
		s->stmt[id] = st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* Release a statement's read cursor / locks after use. */
static void store_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Every text and blob the store writes passes through here, so no secret
 * of the process (base/redact.h) reaches the file. keep: SQLITE_TRANSIENT
 * (SQLite copies v), or SQLITE_STATIC where v outlives the statement's step
 * (the attempt's and its calls' rows: bound, stepped and cleared in one
 * call, store_exec_stmt). */
static int bind_text_as(sqlite3_stmt *st, int i, const char *v, sqlite3_destructor_type keep)
{
	size_t n;
	char *r;

	if (!v)
		return sqlite3_bind_null(st, i);
	r = redact_copy(v, strlen(v), &n);
	if (r)
		return sqlite3_bind_text64(st, i, r, (sqlite3_uint64)n, free, SQLITE_UTF8);
	return sqlite3_bind_text(st, i, v, -1, keep);
}

static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return bind_text_as(st, i, v, SQLITE_TRANSIENT);
}

static int bind_blob_as(sqlite3_stmt *st, int i, const void *p, size_t len,
			sqlite3_destructor_type keep)
{
	size_t n;
	char *r = redact_copy(p, len, &n);

	if (r)
		return sqlite3_bind_blob64(st, i, r, (sqlite3_uint64)n, free);
	return sqlite3_bind_blob64(st, i, p, (sqlite3_uint64)len, keep);
}

static int bind_blob(sqlite3_stmt *st, int i, const void *p, size_t len)
{
	return bind_blob_as(st, i, p, len, SQLITE_TRANSIENT);
}

/* The hot rows' binds: no copy (see bind_text_as). */
#define bind_ref(st, i, v) bind_text_as(st, i, v, SQLITE_STATIC)

static char *col_text(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	return um_xstrdup((const char *)sqlite3_column_text(st, i));
}

/* Step a statement expected to finish without rows. */
static int store_exec_stmt(um_store *s, sqlite3_stmt *st, um_error *err, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_dberr(s, err, what);
		store_done(st);
		return -1;
	}
	store_done(st);
	return 0;
}

static int store_exec(um_store *s, const char *sql, um_error *err)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		um_fail(err, UM_ERR_DB, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Read PRAGMA user_version; the first read of the file, so a file that is
 * not a database is reported here. */
static int store_user_version(um_store *s, int *version, um_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		int code = sqlite3_extended_errcode(s->db);
		if ((code & 0xff) == SQLITE_NOTADB)
			um_fail(err, UM_ERR_DB, "%s: not an umpire database (%s)", s->path,
				sqlite3_errmsg(s->db));
		else
			um_fail(err, UM_ERR_DB, "%s: cannot read schema version: %s", s->path,
				sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
		return -1;
	}
	*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int store_check_version(um_store *s, int version, um_error *err)
{
	if (version > UM_STORE_SCHEMA_VERSION)
		return um_fail(err, UM_ERR_STATE,
			       "%s: database schema version %d is newer than this umpire "
			       "understands (%d); use a newer umpire to open it",
			       s->path, version, UM_STORE_SCHEMA_VERSION);
	if (version < 0)
		return um_fail(err, UM_ERR_STATE, "%s: invalid schema version %d", s->path,
			       version);
	return 0;
}

static int store_migrate(um_store *s, um_error *err)
{
	int version;
	size_t i, j;
	char *sql;

	if (store_exec(s, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	/* Read again under the write lock: another process may have migrated. */
	if (store_user_version(s, &version, err) < 0 || store_check_version(s, version, err) < 0)
		goto fail;
	for (i = 0; i < UM_ARRAY_LEN(store_migrations); i++) {
		if (store_migrations[i].version <= version)
			continue;
		for (j = 0; store_migrations[i].steps[j]; j++) {
			if (store_exec(s, store_migrations[i].steps[j], err) < 0) {
				um_error_prefix(err, "migration to schema version %d",
						store_migrations[i].version);
				goto fail;
			}
		}
	}
	if (version < UM_STORE_SCHEMA_VERSION) {
		sql = um_xasprintf("PRAGMA user_version = %d", UM_STORE_SCHEMA_VERSION);
		if (store_exec(s, sql, err) < 0) {
			free(sql);
			goto fail;
		}
		free(sql);
	}
	if (store_exec(s, "COMMIT", err) < 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int store_open_flags(const char *path, int create, um_store **out, um_error *err)
{
	um_store *s;
	int version, rc;

	assert(path && out);
	*out = NULL;
	if (!create && access(path, F_OK) != 0)
		return um_fail(err, UM_ERR_NOTFOUND, "%s: no such store (%s)", path, strerror(errno));
	s = um_xcalloc(1, sizeof(*s));
	s->path = um_xstrdup(path);
	rc = sqlite3_open_v2(path, &s->db,
			     SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0), NULL);
	if (rc != SQLITE_OK) {
		um_fail(err, UM_ERR_DB, "%s: cannot open database: %s", path,
			s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		store_close(s);
		return -1;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	if (store_register_functions(s->db) != SQLITE_OK) {
		store_dberr(s, err, "cannot register um_unzstd");
		goto fail;
	}

	if (store_user_version(s, &version, err) < 0 || store_check_version(s, version, err) < 0)
		goto fail;
	/* journal_mode answers "memory" for in-memory databases; both are fine. */
	if (store_exec(s, "PRAGMA journal_mode = WAL", err) < 0 ||
	    store_exec(s, "PRAGMA synchronous = NORMAL", err) < 0 ||
	    store_exec(s, "PRAGMA foreign_keys = ON", err) < 0)
		goto fail;
	/* migrated with SQLite's small default page cache and no mmap: a step
	 * that reads a whole table (an index built, v11) would otherwise leave
	 * the pages it read in the process's memory, and a reader (verify,
	 * report) that opens an old store would hold them to the end */
	if (version < UM_STORE_SCHEMA_VERSION && store_migrate(s, err) < 0)
		goto fail;
	if (/* a run inserts at random keys (hash ids) across several B-trees:
	     * a 64 MiB page cache and reads through mmap keep that from
	     * becoming a read syscall per page as the store grows */
	    store_exec(s, "PRAGMA cache_size = -65536", err) < 0 ||
	    store_exec(s, "PRAGMA mmap_size = 1073741824", err) < 0 ||
	    /* checkpoint every 64 MiB of WAL, not every 4 MiB: a page that
	     * many commits rewrite is copied into the file once */
	    store_exec(s, "PRAGMA wal_autocheckpoint = 16384", err) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	store_close(s);
	return -1;
}

int store_open(const char *path, um_store **out, um_error *err)
{
	return store_open_flags(path, 1, out, err);
}

int store_open_existing(const char *path, um_store **out, um_error *err)
{
	return store_open_flags(path, 0, out, err);
}

void store_close(um_store *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	ZSTD_freeCCtx(s->zc);
	free(s->path);
	free(s);
}

struct sqlite3 *store_db(um_store *s)
{
	return s->db;
}

int store_begin(um_store *s, um_error *err)
{
	return store_exec(s, "BEGIN IMMEDIATE", err);
}

int store_commit(um_store *s, um_error *err)
{
	return store_exec(s, "COMMIT", err);
}

int store_checkpoint(um_store *s, um_error *err)
{
	int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	/* busy: another connection holds the log; the next one will do */
	if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
		return store_dberr(s, err, "cannot checkpoint");
	return 0;
}

int store_rollback(um_store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return 0;
	return sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* Compare a stored text field with the given one; note a difference. */
static void run_diff_text(um_buf *b, const char *field, const char *stored, const char *given)
{
	if (um_streq(stored, given))
		return;
	um_buf_printf(b, "%s%s (stored %s, given %s)", b->len ? ", " : "", field,
		      stored ? stored : "(none)", given ? given : "(none)");
}

int store_run_begin(um_store *s, const um_run_info *ri, int *existed, um_error *err)
{
	sqlite3_stmt *st;
	int rc;

	assert(ri);
	if (existed)
		*existed = 0;
	if (!ri->run_id || !*ri->run_id)
		return um_fail(err, UM_ERR_USAGE, "%s: a run needs a non-empty id", s->path);
	st = store_stmt(s, ST_RUN_GET, err);
	if (!st)
		return -1;
	bind_text(st, 1, ri->run_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		um_buf diff = UM_BUF_INIT;
		uint64_t seed = (uint64_t)sqlite3_column_int64(st, 14);
		int repeats = sqlite3_column_int(st, 15);

		run_diff_text(&diff, "suite_sha256", (const char *)sqlite3_column_text(st, 4),
			      ri->suite_sha256);
		run_diff_text(&diff, "scaffold_sha256",
			      (const char *)sqlite3_column_text(st, 5), ri->scaffold_sha256);
		run_diff_text(&diff, "models_sha256", (const char *)sqlite3_column_text(st, 6),
			      ri->models_sha256);
		run_diff_text(&diff, "dataset_sha256", (const char *)sqlite3_column_text(st, 7),
			      ri->dataset_sha256);
		if (seed != ri->seed)
			um_buf_printf(&diff, "%sseed (stored %" PRIu64 ", given %" PRIu64 ")",
				      diff.len ? ", " : "", seed, ri->seed);
		if (repeats != ri->repeats)
			um_buf_printf(&diff, "%srepeats (stored %d, given %d)",
				      diff.len ? ", " : "", repeats, ri->repeats);
		store_done(st);
		if (diff.len) {
			um_fail(err, UM_ERR_STATE,
				"%s: run '%s' already exists with a different %s; resume it "
				"with the same inputs or choose another run id",
				s->path, ri->run_id, um_buf_str(&diff));
			um_buf_release(&diff);
			return -1;
		}
		um_buf_release(&diff);
		st = store_stmt(s, ST_RUN_RESUME, err);
		if (!st)
			return -1;
		bind_text(st, 1, ri->run_id);
		if (store_exec_stmt(s, st, err, "cannot reopen run") < 0)
			return -1;
		if (existed)
			*existed = 1;
		return 0;
	}
	store_done(st);
	if (rc != SQLITE_DONE)
		return store_dberr(s, err, "cannot look up run");

	st = store_stmt(s, ST_RUN_INSERT, err);
	if (!st)
		return -1;
	bind_text(st, 1, ri->run_id);
	bind_text(st, 2, ri->suite_name);
	bind_text(st, 3, ri->suite_version);
	bind_text(st, 4, ri->suite_kind);
	bind_text(st, 5, ri->suite_sha256);
	bind_text(st, 6, ri->scaffold_sha256);
	bind_text(st, 7, ri->models_sha256);
	bind_text(st, 8, ri->dataset_sha256);
	bind_text(st, 9, ri->suite_text);
	bind_text(st, 10, ri->scaffold_text);
	bind_text(st, 11, ri->models_text);
	bind_text(st, 12, ri->harness_version);
	bind_text(st, 13, ri->git_describe);
	bind_text(st, 14, ri->lib_versions);
	/* uint64 kept bit for bit in SQLite's signed 64-bit INTEGER. */
	sqlite3_bind_int64(st, 15, (sqlite3_int64)ri->seed);
	sqlite3_bind_int(st, 16, ri->repeats);
	sqlite3_bind_int64(st, 17, ri->started_ms);
	return store_exec_stmt(s, st, err, "cannot create run");
}

static int is_run_status(const char *status)
{
	return um_streq(status, "running") || um_streq(status, "complete") ||
	       um_streq(status, "incomplete");
}

int store_run_finish(um_store *s, const char *run_id, int64_t finished_ms, const char *status,
		     um_error *err)
{
	sqlite3_stmt *st;

	if (!is_run_status(status))
		return um_fail(err, UM_ERR_USAGE,
			       "run status '%s' is not one of running, complete, incomplete",
			       status ? status : "(null)");
	st = store_stmt(s, ST_RUN_FINISH, err);
	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	sqlite3_bind_int64(st, 2, finished_ms);
	bind_text(st, 3, status);
	if (store_exec_stmt(s, st, err, "cannot finish run") < 0)
		return -1;
	if (sqlite3_changes(s->db) == 0)
		return um_fail(err, UM_ERR_NOTFOUND, "%s: no run '%s'", s->path, run_id);
	return 0;
}

int store_put_system(um_store *s, const char *run_id, const um_system_rec *r, um_error *err)
{
	sqlite3_stmt *st = store_stmt(s, ST_SYSTEM_PUT, err);

	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	bind_text(st, 2, r->name);
	bind_text(st, 3, r->role);
	bind_text(st, 4, r->provider);
	bind_text(st, 5, r->base_url);
	bind_text(st, 6, r->model);
	bind_text(st, 7, r->config_json);
	bind_text(st, 8, r->dropped_params);
	return store_exec_stmt(s, st, err, "cannot store system");
}

int store_put_item(um_store *s, const char *run_id, const um_item_rec *r, um_error *err)
{
	sqlite3_stmt *st = store_stmt(s, ST_ITEM_PUT, err);

	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	bind_text(st, 2, r->item_id);
	bind_text(st, 3, r->category);
	bind_text(st, 4, r->subcategory);
	bind_text(st, 5, r->question);
	bind_text(st, 6, r->choices_json);
	sqlite3_bind_int(st, 7, r->correct);
	bind_text(st, 8, r->images_json);
	return store_exec_stmt(s, st, err, "cannot store item");
}

int store_put_image(um_store *s, const char *sha256, const char *media_type, const void *bytes,
		    size_t len, um_error *err)
{
	sqlite3_stmt *st;

	if (!sha256 || strlen(sha256) != 64 || strspn(sha256, "0123456789abcdef") != 64 ||
	    !media_type)
		return um_fail(err, UM_ERR_USAGE, "store_put_image: bad hash or media type");
	st = store_stmt(s, ST_IMAGE_PUT, err);
	if (!st)
		return -1;
	bind_text(st, 1, sha256);
	bind_text(st, 2, media_type);
	bind_blob(st, 3, bytes, len);
	return store_exec_stmt(s, st, err, "cannot store image");
}

int store_item_images(um_store *s, const char *run_id, const char *item_id, char **json,
		      um_error *err)
{
	sqlite3_stmt *st = store_stmt(s, ST_ITEM_IMAGES, err);
	int rc;

	*json = NULL;
	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	bind_text(st, 2, item_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*json = col_text(st, 0);
	store_done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_dberr(s, err, "cannot read an item's images");
	return rc == SQLITE_ROW ? 1 : 0;
}

char *store_elide_images(const char *body, size_t len, const char *const *b64,
			 const char *const *sha256, size_t n, size_t *out_len)
{
	um_buf out = UM_BUF_INIT;
	size_t at = 0;

	um_buf_init(&out, 0);
	while (at < len) {
		size_t best = len, which = n, k;

		for (k = 0; k < n; k++) {
			size_t bl = strlen(b64[k]);
			const char *hit = bl ? memmem(body + at, len - at, b64[k], bl) : NULL;

			if (hit && (size_t)(hit - body) < best) {
				best = (size_t)(hit - body);
				which = k;
			}
		}
		um_buf_append(&out, body + at, best - at);
		if (which == n)
			break;
		um_buf_printf(&out, "%s%s", UM_IMAGE_REF_PREFIX, sha256[which]);
		at = best + strlen(b64[which]);
	}
	*out_len = out.len;
	return um_buf_detach(&out);
}

int store_put_claim(um_store *s, const char *run_id, const um_claim_rec *r, um_error *err)
{
	sqlite3_stmt *st = store_stmt(s, ST_CLAIM_PUT, err);

	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	bind_text(st, 2, r->system);
	bind_text(st, 3, r->benchmark);
	sqlite3_bind_double(st, 4, r->value);
	bind_text(st, 5, r->source);
	bind_text(st, 6, r->note);
	return store_exec_stmt(s, st, err, "cannot store claim");
}

int store_put_request(um_store *s, const char *body_sha256, const char *body, size_t len,
		      um_error *err)
{
	sqlite3_stmt *st;

	if (!body_sha256 || !body)
		return um_fail(err, UM_ERR_USAGE, "store_put_request: missing body or hash");
	/* the caller hashed these very bytes (verify and bundles re-hash them):
	 * not hashed again here, only the form of the key is checked */
	if (strlen(body_sha256) != 64 || strspn(body_sha256, "0123456789abcdef") != 64)
		return um_fail(err, UM_ERR_INVALID, "request body hash '%.80s' is not 64 hex digits",
			       body_sha256);
	st = store_stmt(s, ST_REQUEST_PUT, err);
	if (!st)
		return -1;
	bind_ref(st, 1, body_sha256);
	bind_blob_as(st, 2, body, len, SQLITE_STATIC);
	return store_exec_stmt(s, st, err, "cannot store request body");
}

/* Status of a stored attempt: 1 done, 0 error, -1 absent, -2 failure. */
static int attempt_stored_status(um_store *s, const char *run_id, const char *attempt_id,
				 um_error *err)
{
	sqlite3_stmt *st = store_stmt(s, ST_ATTEMPT_STATUS, err);
	int rc, r;

	if (!st)
		return -2;
	bind_text(st, 1, run_id);
	bind_text(st, 2, attempt_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = strcmp((const char *)sqlite3_column_text(st, 0), "done") == 0 ? 1 : 0;
	else if (rc == SQLITE_DONE)
		r = -1;
	else
		r = -2;
	store_done(st);
	if (r == -2)
		store_dberr(s, err, "cannot look up attempt");
	return r;
}

/* Stores a long response body once, compressed, under its SHA-256 (left
 * in sha); a body some call already brought is not compressed again (the
 * lookup costs less than compressing). */
static int store_put_response(um_store *s, const char *body, size_t len, unsigned char sha[32],
			      um_error *err)
{
	sqlite3_stmt *st;
	size_t cap, n;
	void *z;
	int rc;

	um_sha256_raw(body, len, sha);
	st = store_stmt(s, ST_RESPONSE_HAS, err);
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, sha, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	store_done(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return store_dberr(s, err, "cannot look up a response body");
	if (!s->zc && !(s->zc = ZSTD_createCCtx()))
		return um_fail(err, UM_ERR_NOMEM, "cannot create a zstd context");
	cap = ZSTD_compressBound(len);
	z = um_xmalloc(cap);
	n = ZSTD_compressCCtx(s->zc, z, cap, body, len, STORE_ZSTD_LEVEL);
	if (ZSTD_isError(n)) {
		free(z);
		return um_fail(err, UM_ERR_INTERNAL, "cannot compress a response body: %s",
			       ZSTD_getErrorName(n));
	}
	st = store_stmt(s, ST_RESPONSE_PUT, err);
	if (!st) {
		free(z);
		return -1;
	}
	sqlite3_bind_blob(st, 1, sha, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)len);
	sqlite3_bind_blob64(st, 3, z, n, SQLITE_STATIC);
	rc = store_exec_stmt(s, st, err, "cannot store a response body");
	free(z);
	return rc;
}

static int store_put_call(um_store *s, const char *run_id, const char *attempt_id,
			  const um_call_rec *c, um_error *err)
{
	sqlite3_stmt *st;
	unsigned char sha[32];
	int shared = c->response_body && c->response_len >= STORE_ZSTD_MIN;

	if (shared && store_put_response(s, c->response_body, c->response_len, sha, err) < 0)
		return -1;
	st = store_stmt(s, ST_CALL_INSERT, err);
	if (!st)
		return -1;
	bind_ref(st, 1, run_id);
	bind_ref(st, 2, attempt_id);
	sqlite3_bind_int(st, 3, c->try_no);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)c->http_status);
	sqlite3_bind_int(st, 5, c->curl_code);
	bind_ref(st, 6, c->error);
	sqlite3_bind_int64(st, 7, c->started_ms);
	sqlite3_bind_int64(st, 8, c->latency_ms);
	sqlite3_bind_int64(st, 9, c->tokens_in);
	sqlite3_bind_int64(st, 10, c->tokens_cached);
	sqlite3_bind_int64(st, 11, c->tokens_out);
	sqlite3_bind_int64(st, 12, c->cost_micro);
	bind_ref(st, 13, c->request_hash);
	if (shared)
		sqlite3_bind_blob(st, 14, sha, 32, SQLITE_STATIC);
	else if (c->response_body)
		bind_blob_as(st, 20, c->response_body, c->response_len, SQLITE_STATIC);
	bind_ref(st, 15, c->served_model);
	sqlite3_bind_int(st, 16, c->turn);
	if (c->ttft_ms >= 0)
		sqlite3_bind_int64(st, 17, c->ttft_ms);
	sqlite3_bind_int64(st, 18, c->tokens_cache_write);
	sqlite3_bind_int64(st, 19, c->tokens_reasoning);
	return store_exec_stmt(s, st, err, "cannot store call");
}

static const char *const phase_names[] = {"setup", "agent", "verify", "oracle"};

static void bind_blob_or_null(sqlite3_stmt *st, int i, const char *p, size_t n)
{
	if (p)
		bind_blob(st, i, p, n);
}

int store_put_tool_step(um_store *s, const char *run_id, const um_tool_step *t, um_error *err)
{
	sqlite3_stmt *st = store_stmt(s, ST_TOOL_STEP_INSERT, err);

	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	bind_text(st, 2, t->attempt_id);
	bind_text(st, 3, phase_names[t->phase]);
	sqlite3_bind_int(st, 4, t->turn);
	sqlite3_bind_int(st, 5, t->seq);
	bind_text(st, 6, t->tool);
	bind_text(st, 7, t->call_id);
	bind_text(st, 8, t->command);
	if (t->has_exit)
		sqlite3_bind_int(st, 9, t->exit_code);
	sqlite3_bind_int(st, 10, t->signal);
	sqlite3_bind_int(st, 11, t->timed_out);
	sqlite3_bind_int64(st, 12, t->duration_ms);
	bind_blob_or_null(st, 13, t->out, t->out_len);
	bind_blob_or_null(st, 14, t->err, t->err_len);
	sqlite3_bind_int64(st, 15, t->out_bytes);
	sqlite3_bind_int64(st, 16, t->err_bytes);
	sqlite3_bind_int(st, 17, t->truncated);
	bind_text(st, 18, t->output_sha256[0] ? t->output_sha256 : NULL);
	bind_text(st, 19, t->error);
	return store_exec_stmt(s, st, err, "cannot store tool step");
}

int store_drop_tool_steps(um_store *s, const char *run_id, const char *attempt_id,
			  um_error *err)
{
	sqlite3_stmt *st = store_stmt(s, ST_TOOL_STEPS_DROP, err);

	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	bind_text(st, 2, attempt_id);
	return store_exec_stmt(s, st, err, "cannot replace tool steps");
}

static char *col_blob(sqlite3_stmt *st, int i, size_t *len)
{
	const void *p = sqlite3_column_blob(st, i);
	int n = sqlite3_column_bytes(st, i);

	*len = (size_t)n;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	return um_xstrndup(p ? p : "", (size_t)n);
}

int store_load_tool_steps(um_store *s, const char *run_id, const char *attempt_id,
			  um_tool_step **out, size_t *n_out, um_error *err)
{
	sqlite3_stmt *st = store_stmt(s, ST_TOOL_STEPS_LOAD, err);
	um_tool_step *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	*n_out = 0;
	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	bind_text(st, 2, attempt_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		um_tool_step *t;
		const char *ph = (const char *)sqlite3_column_text(st, 0);
		int k;

		um_xgrow((void **)&v, &cap, n + 1, sizeof(*v));
		t = &v[n++];
		memset(t, 0, sizeof(*t));
		t->attempt_id = um_xstrdup(attempt_id);
		for (k = 0; k < 4; k++)
			if (ph && !strcmp(ph, phase_names[k]))
				t->phase = (um_tool_phase)k;
		t->turn = sqlite3_column_int(st, 1);
		t->seq = sqlite3_column_int(st, 2);
		t->tool = col_text(st, 3);
		t->call_id = col_text(st, 4);
		t->command = col_text(st, 5);
		t->has_exit = sqlite3_column_type(st, 6) != SQLITE_NULL;
		t->exit_code = sqlite3_column_int(st, 6);
		t->signal = sqlite3_column_int(st, 7);
		t->timed_out = sqlite3_column_int(st, 8);
		t->duration_ms = sqlite3_column_int64(st, 9);
		t->out = col_blob(st, 10, &t->out_len);
		t->err = col_blob(st, 11, &t->err_len);
		t->out_bytes = sqlite3_column_int64(st, 12);
		t->err_bytes = sqlite3_column_int64(st, 13);
		t->truncated = sqlite3_column_int(st, 14);
		if (sqlite3_column_text(st, 15))
			snprintf(t->output_sha256, sizeof(t->output_sha256), "%s",
				 (const char *)sqlite3_column_text(st, 15));
		t->error = col_text(st, 16);
	}
	store_done(st);
	if (rc != SQLITE_DONE) {
		store_tool_steps_free(v, n);
		return store_dberr(s, err, "cannot load tool steps");
	}
	*out = v;
	*n_out = n;
	return 0;
}

void store_tool_steps_free(um_tool_step *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].attempt_id);
		free(v[i].tool);
		free(v[i].call_id);
		free(v[i].command);
		free(v[i].out);
		free(v[i].err);
		free(v[i].error);
	}
	free(v);
}

void store_attempt_rec_release(um_attempt_rec *r)
{
#define X(f) free(r->f);
	UM_ATTEMPT_REC_STRINGS(X)
#undef X
}

int store_attempt_graded(const um_attempt_rec *a)
{
	return a->status == UM_ATT_DONE && a->score >= 0 && !a->outcome;
}

double store_attempt_value(const um_attempt_rec *a)
{
	if (!a->has_reward)
		return a->score > 0 ? 1.0 : 0.0;
	if (!(a->reward > 0.0)) /* NaN never reaches here: a run refuses it */
		return 0.0;
	return a->reward < 1.0 ? a->reward : 1.0;
}

int store_attempt_partial(const um_attempt_rec *a)
{
	double v = store_attempt_value(a);

	return v != 0.0 && v != 1.0;
}

int store_put_attempt(um_store *s, const char *run_id, const um_attempt_rec *a,
		      const um_call_rec *calls, int n_calls, um_error *err)
{
	sqlite3_stmt *st;
	int stored, i;

	assert(a);
	if (a->status != UM_ATT_DONE && a->status != UM_ATT_ERROR)
		return um_fail(err, UM_ERR_INTERNAL, "attempt %s: bad status %d",
			       a->attempt_id ? a->attempt_id : "?", (int)a->status);
	if (a->status == UM_ATT_DONE && a->score != 0 && a->score != 1)
		return um_fail(err, UM_ERR_INTERNAL, "attempt %s: score %d is not 0 or 1",
			       a->attempt_id ? a->attempt_id : "?", a->score);
	/* a graded attempt overwrites whatever is there; only an error must not
	 * downgrade a graded one, so only an error looks first */
	stored = a->status == UM_ATT_ERROR ? attempt_stored_status(s, run_id, a->attempt_id, err)
					   : -1;
	if (stored == -2)
		return -1;
	if (stored == 1 && a->status == UM_ATT_ERROR) {
		/* Never downgrade a graded attempt; still account for the calls. */
		st = store_stmt(s, ST_ATTEMPT_ADD_COUNTERS, err);
		if (!st)
			return -1;
		bind_ref(st, 1, run_id);
		bind_ref(st, 2, a->attempt_id);
		sqlite3_bind_int64(st, 3, a->tokens_in);
		sqlite3_bind_int64(st, 4, a->tokens_cached);
		sqlite3_bind_int64(st, 5, a->tokens_out);
		sqlite3_bind_int64(st, 6, a->cost_micro);
		sqlite3_bind_int(st, 7, a->n_calls);
		if (store_exec_stmt(s, st, err, "cannot update attempt") < 0)
			return -1;
	} else {
		st = store_stmt(s, ST_ATTEMPT_UPSERT, err);
		if (!st)
			return -1;
		bind_ref(st, 1, run_id);
		bind_ref(st, 2, a->attempt_id);
		bind_ref(st, 3, a->item_id);
		bind_ref(st, 4, a->system);
		sqlite3_bind_int(st, 5, a->sample);
		bind_ref(st, 6, a->status == UM_ATT_DONE ? "done" : "error");
		bind_ref(st, 7, a->perm);
		bind_ref(st, 8, a->request_hash);
		bind_ref(st, 9, a->response_text);
		bind_ref(st, 10, a->extracted);
		if (a->status == UM_ATT_DONE)
			sqlite3_bind_int(st, 11, a->score);
		bind_ref(st, 12, a->error_class);
		bind_ref(st, 13, a->error_msg);
		sqlite3_bind_int64(st, 14, a->tokens_in);
		sqlite3_bind_int64(st, 15, a->tokens_cached);
		sqlite3_bind_int64(st, 16, a->tokens_out);
		sqlite3_bind_int64(st, 17, a->cost_micro);
		sqlite3_bind_int64(st, 18, a->latency_ms);
		sqlite3_bind_int(st, 19, a->n_calls);
		bind_ref(st, 20, a->served_model);
		bind_ref(st, 21, a->fingerprint);
		bind_ref(st, 22, a->finish_reason);
		sqlite3_bind_int64(st, 23, a->finished_ms);
		bind_ref(st, 24, a->neutral_hash);
		bind_ref(st, 25, a->detail_json);
		if (a->has_reward)
			sqlite3_bind_double(st, 26, a->reward);
		bind_ref(st, 27, a->image_id);
		bind_ref(st, 28, a->status == UM_ATT_DONE ? a->outcome : NULL);
		if (store_exec_stmt(s, st, err, "cannot store attempt") < 0)
			return -1;
	}
	for (i = 0; i < n_calls; i++)
		if (store_put_call(s, run_id, a->attempt_id, &calls[i], err) < 0)
			return -1;
	return 0;
}

int store_done_attempts(um_store *s, const char *run_id, char ***ids, size_t *n, um_error *err)
{
	sqlite3_stmt *st = store_stmt(s, ST_DONE_LIST, err);
	char **v = NULL;
	size_t len = 0, cap = 0, i;
	int rc;

	*ids = NULL;
	*n = 0;
	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		um_xgrow((void **)&v, &cap, len + 1, sizeof(*v));
		v[len++] = col_text(st, 0);
	}
	store_done(st);
	if (rc != SQLITE_DONE) {
		for (i = 0; i < len; i++)
			free(v[i]);
		free(v);
		return store_dberr(s, err, "cannot list done attempts");
	}
	*ids = v;
	*n = len;
	return 0;
}

char *store_latest_run_of_suite(um_store *s, const char *suite_name, um_error *err)
{
	sqlite3_stmt *st = store_stmt(s, ST_LATEST_SUITE_RUN, err);
	char *id = NULL;
	int rc;

	if (!st)
		return NULL;
	bind_text(st, 1, suite_name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = col_text(st, 0);
	store_done(st);
	if (rc == SQLITE_DONE)
		um_fail(err, UM_ERR_NOTFOUND, "%s: no run of suite '%s'", s->path, suite_name);
	else if (rc != SQLITE_ROW)
		store_dberr(s, err, "cannot find a run of the suite");
	return id;
}

char *store_latest_run(um_store *s, um_error *err)
{
	sqlite3_stmt *st = store_stmt(s, ST_LATEST_RUN, err);
	char *id = NULL;
	int rc;

	if (!st)
		return NULL;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = col_text(st, 0);
	store_done(st);
	if (rc == SQLITE_ROW)
		return id;
	if (rc == SQLITE_DONE)
		um_fail(err, UM_ERR_NOTFOUND, "%s: the store holds no runs", s->path);
	else
		store_dberr(s, err, "cannot find the latest run");
	return NULL;
}

/* Run a loading statement bound to run_id; calls row() for every row. */
static int store_load_rows(um_store *s, enum store_stmt_id id, const char *run_id,
			   void (*row)(sqlite3_stmt *st, void *ctx), void *ctx, um_error *err)
{
	sqlite3_stmt *st = store_stmt(s, id, err);
	int rc;

	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		row(st, ctx);
	store_done(st);
	if (rc != SQLITE_DONE)
		return store_dberr(s, err, "cannot load run");
	return 0;
}

struct load_ctx {
	um_run_data *d;
	size_t cap;
};

static int store_load_ci(um_store *s, um_run_data *d, um_error *err);

static void load_system(sqlite3_stmt *st, void *ctx)
{
	struct load_ctx *c = ctx;
	um_system_rec *r;

	um_xgrow((void **)&c->d->systems, &c->cap, c->d->n_systems + 1, sizeof(*r));
	r = &c->d->systems[c->d->n_systems++];
	r->name = col_text(st, 0);
	r->role = col_text(st, 1);
	r->provider = col_text(st, 2);
	r->base_url = col_text(st, 3);
	r->model = col_text(st, 4);
	r->config_json = col_text(st, 5);
	r->dropped_params = col_text(st, 6);
}

static void load_item(sqlite3_stmt *st, void *ctx)
{
	struct load_ctx *c = ctx;
	um_item_rec *r;

	um_xgrow((void **)&c->d->items, &c->cap, c->d->n_items + 1, sizeof(*r));
	r = &c->d->items[c->d->n_items++];
	r->item_id = col_text(st, 0);
	r->category = col_text(st, 1);
	r->subcategory = col_text(st, 2);
	r->question = col_text(st, 3);
	r->choices_json = col_text(st, 4);
	r->correct = sqlite3_column_int(st, 5);
	r->images_json = NULL; /* not read: reports do not show images */
}

static void load_attempt(sqlite3_stmt *st, void *ctx)
{
	struct load_ctx *c = ctx;
	um_attempt_rec *r;

	um_xgrow((void **)&c->d->attempts, &c->cap, c->d->n_attempts + 1, sizeof(*r));
	r = &c->d->attempts[c->d->n_attempts++];
	r->attempt_id = col_text(st, 0);
	r->item_id = col_text(st, 1);
	r->system = col_text(st, 2);
	r->sample = sqlite3_column_int(st, 3);
	r->status = strcmp((const char *)sqlite3_column_text(st, 4), "done") == 0 ? UM_ATT_DONE
										   : UM_ATT_ERROR;
	r->perm = col_text(st, 5);
	r->request_hash = col_text(st, 6);
	r->response_text = col_text(st, 7);
	r->extracted = col_text(st, 8);
	r->score = sqlite3_column_type(st, 9) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 9);
	r->error_class = col_text(st, 10);
	r->error_msg = col_text(st, 11);
	r->tokens_in = sqlite3_column_int64(st, 12);
	r->tokens_cached = sqlite3_column_int64(st, 13);
	r->tokens_out = sqlite3_column_int64(st, 14);
	r->cost_micro = sqlite3_column_int64(st, 15);
	r->latency_ms = sqlite3_column_int64(st, 16);
	r->n_calls = sqlite3_column_int(st, 17);
	r->served_model = col_text(st, 18);
	r->fingerprint = col_text(st, 19);
	r->finish_reason = col_text(st, 20);
	r->finished_ms = sqlite3_column_int64(st, 21);
	r->neutral_hash = col_text(st, 22);
	r->detail_json = col_text(st, 23);
	r->has_reward = sqlite3_column_type(st, 24) != SQLITE_NULL;
	r->reward = r->has_reward ? sqlite3_column_double(st, 24) : 0;
	r->image_id = col_text(st, 25);
	r->outcome = col_text(st, 26);
	r->tokens_reasoning = sqlite3_column_int64(st, 27);
	r->tokens_cache_write = sqlite3_column_int64(st, 28);
}

static void load_ttft(sqlite3_stmt *st, void *ctx)
{
	struct load_ctx *c = ctx;
	um_ttft_rec *r;

	um_xgrow((void **)&c->d->ttft, &c->cap, c->d->n_ttft + 1, sizeof(*r));
	r = &c->d->ttft[c->d->n_ttft++];
	r->system = col_text(st, 0);
	r->ttft_ms = sqlite3_column_int64(st, 1);
}

static void load_routing(sqlite3_stmt *st, void *ctx)
{
	struct load_ctx *c = ctx;
	um_routing_rec *r;

	um_xgrow((void **)&c->d->routing, &c->cap, c->d->n_routing + 1, sizeof(*r));
	r = &c->d->routing[c->d->n_routing++];
	memset(r, 0, sizeof(*r));
	r->attempt_id = col_text(st, 0);
	r->call_id = sqlite3_column_int64(st, 1);
	r->source = col_text(st, 2);
	r->sub_model = col_text(st, 3);
	r->tokens_in = sqlite3_column_int64(st, 4);
	r->tokens_cached = sqlite3_column_int64(st, 5);
	r->tokens_out = sqlite3_column_int64(st, 6);
	r->cost_micro = sqlite3_column_int64(st, 7);
	r->latency_ms = sqlite3_column_int64(st, 8);
	r->status = (long)sqlite3_column_int64(st, 9);
	r->attribution = col_text(st, 10);
	r->at_ms = sqlite3_column_int64(st, 11);
	r->detail_json = col_text(st, 12);
}

/* Bind an event's columns 4..14 (1..3 are the caller's). */
static void bind_routing(sqlite3_stmt *st, const um_routing_rec *r)
{
	bind_text(st, 4, r->source);
	bind_text(st, 5, r->sub_model);
	sqlite3_bind_int64(st, 6, r->tokens_in);
	sqlite3_bind_int64(st, 7, r->tokens_cached);
	sqlite3_bind_int64(st, 8, r->tokens_out);
	sqlite3_bind_int64(st, 9, r->cost_micro);
	sqlite3_bind_int64(st, 10, r->latency_ms);
	sqlite3_bind_int64(st, 11, r->status);
	bind_text(st, 12, r->attribution ? r->attribution : "none");
	sqlite3_bind_int64(st, 13, r->at_ms);
	bind_text(st, 14, r->detail_json);
}

int store_put_routing_event(um_store *s, const char *run_id, const um_routing_rec *r,
			    um_error *err)
{
	sqlite3_stmt *st = store_stmt(s, ST_ROUTING_PUT, err);

	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	bind_text(st, 2, r->attempt_id ? r->attempt_id : "");
	if (r->call_id > 0)
		sqlite3_bind_int64(st, 3, r->call_id);
	bind_routing(st, r);
	return store_exec_stmt(s, st, err, "cannot store routing event");
}

int store_put_attempt_routing(um_store *s, const char *run_id, const char *attempt_id,
			      int n_calls, const um_routing_rec *evs, size_t n, um_error *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		sqlite3_stmt *st = store_stmt(s, ST_ROUTING_PUT_WITH_CALL, err);
		int64_t k = evs[i].call_id;

		if (!st)
			return -1;
		if (k <= 0 || k > n_calls)
			k = n_calls;
		bind_text(st, 1, run_id);
		bind_text(st, 2, attempt_id);
		sqlite3_bind_int64(st, 3, n_calls - k);
		bind_routing(st, &evs[i]);
		if (store_exec_stmt(s, st, err, "cannot store routing event") < 0)
			return -1;
	}
	return 0;
}

int store_routing_discard_orphans(um_store *s, const char *run_id, um_error *err)
{
	sqlite3_stmt *st = store_stmt(s, ST_ROUTING_ORPHANS, err);

	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	if (store_exec_stmt(s, st, err, "cannot discard routing events") < 0)
		return -1;
	return sqlite3_changes(s->db);
}

/* ---- the lease ---------------------------------------------------------- */

static int store_lease_held_live(const char *host, long pid, int64_t beat, int64_t now_ms,
				 int64_t stale_ms)
{
	char me[256] = "";

	if (now_ms - beat > stale_ms)
		return 0;
	gethostname(me, sizeof(me) - 1);
	if (strcmp(host, me) != 0)
		return 1; /* another host, beating recently */
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

int store_lease_check(um_store *s, const char *run_id, int64_t now_ms, int64_t stale_ms,
		      um_lease_prev *prev, um_error *err)
{
	sqlite3_stmt *st = store_stmt(s, ST_LEASE_GET, err);
	int rc;

	memset(prev, 0, sizeof(*prev));
	if (!st)
		return -1;
	if (!s->token[0])
		snprintf(s->token, sizeof(s->token), "%ld-%016llx", (long)getpid(),
			 (unsigned long long)um_hash64(&s, sizeof(s),
						       (uint64_t)um_mono_ms() ^ (uint64_t)now_ms));
	bind_text(st, 1, run_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 2), s->token) != 0) {
		prev->pid = (long)sqlite3_column_int64(st, 0);
		snprintf(prev->host, sizeof(prev->host), "%s",
			 (const char *)sqlite3_column_text(st, 1));
		prev->heartbeat_ms = sqlite3_column_int64(st, 3);
		prev->took_over = 1;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_done(st);
		return store_dberr(s, err, "cannot read the run's lease");
	}
	store_done(st);
	if (prev->took_over &&
	    store_lease_held_live(prev->host, prev->pid, prev->heartbeat_ms, now_ms, stale_ms))
		return um_fail(err, UM_ERR_STATE,
			       "%s: run '%s' is being run by process %ld on %s (heartbeat %lld ms "
			       "ago); wait for it to end, or stop it first",
			       s->path, run_id, prev->pid, prev->host,
			       (long long)(now_ms - prev->heartbeat_ms));
	return 0;
}

int store_lease_take(um_store *s, const char *run_id, int64_t now_ms, int64_t stale_ms,
		     um_lease_prev *prev, um_error *err)
{
	sqlite3_stmt *st;
	char host[256] = "";

	if (store_lease_check(s, run_id, now_ms, stale_ms, prev, err) < 0)
		return -1;
	gethostname(host, sizeof(host) - 1);
	st = store_stmt(s, ST_LEASE_PUT, err);
	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)getpid());
	bind_text(st, 3, host);
	bind_text(st, 4, s->token);
	sqlite3_bind_int64(st, 5, now_ms);
	return store_exec_stmt(s, st, err, "cannot take the run's lease");
}

int store_lease_renew(um_store *s, const char *run_id, int64_t now_ms, um_error *err)
{
	sqlite3_stmt *st = store_stmt(s, ST_LEASE_RENEW, err);

	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	bind_text(st, 2, s->token);
	sqlite3_bind_int64(st, 3, now_ms);
	if (store_exec_stmt(s, st, err, "cannot renew the run's lease") < 0)
		return -1;
	if (sqlite3_changes(s->db) == 0)
		return um_fail(err, UM_ERR_STATE,
			       "%s: run '%s' was taken over by another process; stopping", s->path,
			       run_id);
	return 0;
}

int store_lease_release(um_store *s, const char *run_id, um_error *err)
{
	sqlite3_stmt *st = store_stmt(s, ST_LEASE_DROP, err);

	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	bind_text(st, 2, s->token);
	return store_exec_stmt(s, st, err, "cannot release the run's lease");
}

static void load_claim(sqlite3_stmt *st, void *ctx)
{
	struct load_ctx *c = ctx;
	um_claim_rec *r;

	um_xgrow((void **)&c->d->claims, &c->cap, c->d->n_claims + 1, sizeof(*r));
	r = &c->d->claims[c->d->n_claims++];
	r->system = col_text(st, 0);
	r->benchmark = col_text(st, 1);
	r->value = sqlite3_column_double(st, 2);
	r->source = col_text(st, 3);
	r->note = col_text(st, 4);
}

/* The run with everything (all) or without attempts, routing events and
 * times to first token. */
static int store_load_parts(um_store *s, const char *run_id, int all, um_run_data *out,
			    um_error *err)
{
	static const struct {
		enum store_stmt_id id;
		void (*row)(sqlite3_stmt *st, void *ctx);
		int per_attempt;
	} tables[] = {{ST_LOAD_SYSTEMS, load_system, 0},   {ST_LOAD_ITEMS, load_item, 0},
		      {ST_LOAD_ATTEMPTS, load_attempt, 1}, {ST_LOAD_CLAIMS, load_claim, 0},
		      {ST_LOAD_ROUTING, load_routing, 1},  {ST_LOAD_TTFT, load_ttft, 1}};
	struct load_ctx c = {out, 0};
	um_run_info *ri = &out->run;
	sqlite3_stmt *st;
	size_t i;
	int rc, own_tx;

	memset(out, 0, sizeof(*out));
	/* One read transaction (unless the caller holds one) so the pieces are
	 * a consistent snapshot. */
	own_tx = sqlite3_get_autocommit(s->db);
	if (own_tx && store_exec(s, "BEGIN", err) < 0)
		return -1;
	st = store_stmt(s, ST_RUN_GET, err);
	if (!st)
		goto fail;
	bind_text(st, 1, run_id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		store_done(st);
		if (rc == SQLITE_DONE)
			um_fail(err, UM_ERR_NOTFOUND, "%s: no run '%s'", s->path,
				run_id ? run_id : "(null)");
		else
			store_dberr(s, err, "cannot load run");
		goto fail;
	}
	ri->run_id = col_text(st, 0);
	ri->suite_name = col_text(st, 1);
	ri->suite_version = col_text(st, 2);
	ri->suite_kind = col_text(st, 3);
	ri->suite_sha256 = col_text(st, 4);
	ri->scaffold_sha256 = col_text(st, 5);
	ri->models_sha256 = col_text(st, 6);
	ri->dataset_sha256 = col_text(st, 7);
	ri->suite_text = col_text(st, 8);
	ri->scaffold_text = col_text(st, 9);
	ri->models_text = col_text(st, 10);
	ri->harness_version = col_text(st, 11);
	ri->git_describe = col_text(st, 12);
	ri->lib_versions = col_text(st, 13);
	ri->seed = (uint64_t)sqlite3_column_int64(st, 14);
	ri->repeats = sqlite3_column_int(st, 15);
	ri->started_ms = sqlite3_column_int64(st, 16);
	ri->finished_ms = sqlite3_column_int64(st, 17);
	ri->status = col_text(st, 18);
	store_done(st);

	for (i = 0; i < UM_ARRAY_LEN(tables); i++) {
		c.cap = 0;
		if ((all || !tables[i].per_attempt) &&
		    store_load_rows(s, tables[i].id, run_id, tables[i].row, &c, err) < 0)
			goto fail;
	}
	st = store_stmt(s, ST_COUNT_CALLS, err);
	if (!st)
		goto fail;
	bind_text(st, 1, run_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		store_dberr(s, err, "cannot count calls");
		store_done(st);
		goto fail;
	}
	out->n_calls = (size_t)sqlite3_column_int64(st, 0);
	store_done(st);
	if (store_load_ci(s, out, err) < 0)
		goto fail;
	if (own_tx)
		sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	return 0;
fail:
	if (own_tx)
		store_rollback(s);
	store_run_data_free(out);
	return -1;
}

int store_load_run(um_store *s, const char *run_id, um_run_data *out, um_error *err)
{
	return store_load_parts(s, run_id, 1, out, err);
}

int store_load_run_meta(um_store *s, const char *run_id, um_run_data *out, um_error *err)
{
	return store_load_parts(s, run_id, 0, out, err);
}

void store_run_data_free(um_run_data *d)
{
	size_t i;
	um_run_info *ri;

	if (!d)
		return;
	ri = &d->run;
	free(ri->run_id);
	free(ri->suite_name);
	free(ri->suite_version);
	free(ri->suite_kind);
	free(ri->suite_sha256);
	free(ri->scaffold_sha256);
	free(ri->models_sha256);
	free(ri->dataset_sha256);
	free(ri->suite_text);
	free(ri->scaffold_text);
	free(ri->models_text);
	free(ri->harness_version);
	free(ri->git_describe);
	free(ri->lib_versions);
	free(ri->status);
	free(ri->notes_json);
	for (i = 0; i < d->n_systems; i++) {
		um_system_rec *r = &d->systems[i];
		free(r->name);
		free(r->role);
		free(r->provider);
		free(r->base_url);
		free(r->model);
		free(r->config_json);
		free(r->dropped_params);
	}
	free(d->systems);
	for (i = 0; i < d->n_items; i++) {
		um_item_rec *r = &d->items[i];
		free(r->item_id);
		free(r->category);
		free(r->subcategory);
		free(r->question);
		free(r->choices_json);
	}
	free(d->items);
	for (i = 0; i < d->n_attempts; i++)
		store_attempt_rec_release(&d->attempts[i]);
	free(d->attempts);
	for (i = 0; i < d->n_claims; i++) {
		um_claim_rec *r = &d->claims[i];
		free(r->system);
		free(r->benchmark);
		free(r->source);
		free(r->note);
	}
	free(d->claims);
	for (i = 0; i < d->n_routing; i++) {
		um_routing_rec *r = &d->routing[i];
		free(r->attempt_id);
		free(r->source);
		free(r->attribution);
		free(r->sub_model);
		free(r->detail_json);
	}
	free(d->routing);
	for (i = 0; i < d->n_ttft; i++)
		free(d->ttft[i].system);
	free(d->ttft);
	memset(d, 0, sizeof(*d));
}

/* ---- CI: run notes, the response cache, listing and merging runs ------- */

/* Prepare an ad-hoc statement (not one of the cached ones). */
static sqlite3_stmt *store_adhoc(um_store *s, const char *sql, um_error *err)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		store_dberr(s, err, "cannot prepare statement");
		return NULL;
	}
	return st;
}

int store_set_run_notes(um_store *s, const char *run_id, const char *notes_json, um_error *err)
{
	int empty = !notes_json || !strcmp(notes_json, "{}");
	sqlite3_stmt *st = store_adhoc(
		s,
		empty ? "DELETE FROM run_notes WHERE run_id = ?1"
		      : "INSERT INTO run_notes (run_id, notes_json) VALUES (?1, ?2) ON CONFLICT "
			"(run_id) DO UPDATE SET notes_json = excluded.notes_json",
		err);
	int rc;

	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	if (!empty)
		bind_text(st, 2, notes_json);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_dberr(s, err, "cannot store run notes");
	return 0;
}

int store_get_run_notes(um_store *s, const char *run_id, char **out, um_error *err)
{
	sqlite3_stmt *st = store_adhoc(s, "SELECT notes_json FROM run_notes WHERE run_id = ?1",
				       err);
	int rc;

	*out = NULL;
	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = col_text(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_dberr(s, err, "cannot read run notes");
	return 0;
}

int store_put_cached(um_store *s, const char *run_id, const char *attempt_id,
		     int64_t source_call, um_error *err)
{
	sqlite3_stmt *st = store_adhoc(s,
				       "INSERT INTO attempt_cache (run_id, attempt_id, source_call) "
				       "VALUES (?1, ?2, ?3) ON CONFLICT (run_id, attempt_id) DO "
				       "UPDATE SET source_call = excluded.source_call",
				       err);
	int rc;

	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	bind_text(st, 2, attempt_id);
	sqlite3_bind_int64(st, 3, source_call);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_dberr(s, err, "cannot mark a cached attempt");
	return 0;
}

int store_cache_lookup(um_store *s, const char *body_sha256, int64_t *call_id, char **body,
		       size_t *len, um_error *err)
{
	/* a call that was itself served from the cache is no newer evidence */
	sqlite3_stmt *st = store_adhoc(
		s,
		"SELECT c.id, " STORE_CALL_BODY " FROM calls c " STORE_CALL_BODY_JOIN
		" WHERE c.request_hash = ?1 AND "
		"c.http_status BETWEEN 200 AND 299 AND c.error IS NULL AND "
		"(c.response_body IS NOT NULL OR c.body_sha256 IS NOT NULL) AND c.curl_code = 0 "
		"AND NOT EXISTS (SELECT 1 FROM "
		"attempt_cache k WHERE k.run_id = c.run_id AND k.attempt_id = c.attempt_id) "
		"ORDER BY c.id DESC LIMIT 1",
		err);
	int rc;

	*body = NULL;
	*len = 0;
	if (!st)
		return -1;
	bind_text(st, 1, body_sha256);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*call_id = sqlite3_column_int64(st, 0);
		*body = col_blob(st, 1, len);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
	return store_dberr(s, err, "cannot look up the response cache");
}

static int cmp_attempt_id_ptr(const void *a, const void *b)
{
	return strcmp((*(um_attempt_rec *const *)a)->attempt_id,
		      (*(um_attempt_rec *const *)b)->attempt_id);
}

/* Notes and cached flags of a loaded run (store_load_run). */
static int store_load_ci(um_store *s, um_run_data *d, um_error *err)
{
	um_attempt_rec **by_id, key, *kp = &key;
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if (store_get_run_notes(s, d->run.run_id, &d->run.notes_json, err) < 0)
		return -1;
	st = store_adhoc(s, "SELECT attempt_id FROM attempt_cache WHERE run_id = ?1", err);
	if (!st)
		return -1;
	by_id = um_xcalloc(d->n_attempts + 1, sizeof(*by_id));
	for (i = 0; i < d->n_attempts; i++) {
		d->attempts[i].cached = 0; /* load_attempt grows the array uninitialised */
		by_id[i] = &d->attempts[i];
	}
	qsort(by_id, d->n_attempts, sizeof(*by_id), cmp_attempt_id_ptr);
	bind_text(st, 1, d->run.run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		um_attempt_rec **hit;

		key.attempt_id = (char *)sqlite3_column_text(st, 0);
		hit = d->n_attempts ? bsearch(&kp, by_id, d->n_attempts, sizeof(*by_id),
					      cmp_attempt_id_ptr)
				    : NULL;
		if (hit)
			(*hit)->cached = 1;
	}
	sqlite3_finalize(st);
	free(by_id);
	if (rc != SQLITE_DONE)
		return store_dberr(s, err, "cannot load cached attempts");
	return 0;
}

int store_list_runs(um_store *s, um_run_summary **out, size_t *n_out, um_error *err)
{
	sqlite3_stmt *st = store_adhoc(
		s,
		"SELECT r.run_id, r.suite_name, r.status, n.notes_json, r.started_ms, "
		"r.finished_ms, r.repeats, "
		"(SELECT count(*) FROM systems x WHERE x.run_id = r.run_id), "
		"(SELECT count(*) FROM items x WHERE x.run_id = r.run_id), "
		"(SELECT count(*) FROM attempts x WHERE x.run_id = r.run_id AND x.status = 'done'), "
		"(SELECT count(*) FROM attempts x WHERE x.run_id = r.run_id AND x.status = 'error'), "
		"(SELECT count(*) FROM calls x WHERE x.run_id = r.run_id), "
		"(SELECT count(*) FROM attempt_cache x WHERE x.run_id = r.run_id), "
		"(SELECT coalesce(sum(cost_micro), 0) FROM attempts x WHERE x.run_id = r.run_id) "
		"FROM runs r LEFT JOIN run_notes n ON n.run_id = r.run_id "
		"ORDER BY r.started_ms, r.run_id",
		err);
	um_run_summary *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	*n_out = 0;
	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		um_run_summary *r;

		um_xgrow((void **)&v, &cap, n + 1, sizeof(*v));
		r = &v[n++];
		r->run_id = col_text(st, 0);
		r->suite_name = col_text(st, 1);
		r->status = col_text(st, 2);
		r->notes_json = col_text(st, 3);
		r->started_ms = sqlite3_column_int64(st, 4);
		r->finished_ms = sqlite3_column_int64(st, 5);
		r->repeats = sqlite3_column_int64(st, 6);
		r->systems = sqlite3_column_int64(st, 7);
		r->items = sqlite3_column_int64(st, 8);
		r->done = sqlite3_column_int64(st, 9);
		r->errors = sqlite3_column_int64(st, 10);
		r->calls = sqlite3_column_int64(st, 11);
		r->cached = sqlite3_column_int64(st, 12);
		r->cost_micro = sqlite3_column_int64(st, 13);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		store_run_summaries_free(v, n);
		return store_dberr(s, err, "cannot list runs");
	}
	*out = v;
	*n_out = n;
	return 0;
}

void store_run_summaries_free(um_run_summary *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].run_id);
		free(v[i].suite_name);
		free(v[i].status);
		free(v[i].notes_json);
	}
	free(v);
}

/* Run a formatted statement (sqlite3_mprintf: %Q quotes a string). */
static int store_execf(um_store *s, um_error *err, const char *fmt, ...)
{
	va_list ap;
	char *sql;
	int rc;

	va_start(ap, fmt);
	sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	rc = store_exec(s, sql, err);
	sqlite3_free(sql);
	return rc;
}

/* One integer from a formatted query (0 when there is no row). */
static int store_int_queryf(um_store *s, int64_t *out, um_error *err, const char *fmt, ...)
{
	va_list ap;
	char *sql;
	sqlite3_stmt *st;
	int rc;

	va_start(ap, fmt);
	sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	st = store_adhoc(s, sql, err);
	sqlite3_free(sql);
	if (!st)
		return -1;
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_dberr(s, err, "cannot query");
	return 0;
}

/* The notes of two parts of one run, united: the subset must agree, shard
 * indices are joined (and dropped once all are there), stop reasons and
 * breaker trips are kept. New reference, or NULL with err set. */
static json_t *store_merge_notes(const char *run_id, const char *a_text, const char *b_text,
				 um_error *err)
{
	json_t *a = a_text ? json_loads(a_text, 0, NULL) : json_object();
	json_t *b = b_text ? json_loads(b_text, 0, NULL) : json_object();
	json_t *sa, *sb, *k;
	const char *key;

	if (!json_is_object(a) || !json_is_object(b)) {
		um_fail(err, UM_ERR_INVALID, "run '%s': unreadable run notes", run_id);
		goto fail;
	}
	if (!json_equal(json_object_get(a, "limit") ? json_object_get(a, "limit") : json_null(),
			json_object_get(b, "limit") ? json_object_get(b, "limit") : json_null())) {
		um_fail(err, UM_ERR_STATE, "run '%s': the parts were run on different --limit "
					   "subsets", run_id);
		goto fail;
	}
	sa = json_object_get(a, "shard");
	sb = json_object_get(b, "shard");
	if ((sa != NULL) != (sb != NULL) ||
	    (sa && json_integer_value(json_object_get(sa, "count")) !=
			   json_integer_value(json_object_get(sb, "count")))) {
		um_fail(err, UM_ERR_STATE, "run '%s': the parts were sharded differently", run_id);
		goto fail;
	}
	if (sa) {
		json_t *ia = json_object_get(sa, "indices"), *ib = json_object_get(sb, "indices");
		json_t *u = json_array(), *x;
		json_int_t count = json_integer_value(json_object_get(sa, "count")), i;
		size_t p, q;

		for (i = 0; i < count; i++) {
			int in_a = 0, in_b = 0;
			json_array_foreach(ia, p, x) in_a |= json_integer_value(x) == i;
			json_array_foreach(ib, q, x) in_b |= json_integer_value(x) == i;
			if (in_a && in_b) {
				json_decref(u);
				um_fail(err, UM_ERR_STATE,
					"run '%s': shard %" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT
					" is in both stores", run_id, i, count);
				goto fail;
			}
			if (in_a || in_b)
				json_array_append_new(u, json_integer(i));
		}
		if ((json_int_t)json_array_size(u) == count) {
			json_decref(u);
			json_object_del(a, "shard");
		} else {
			json_object_set_new(sa, "indices", u);
		}
	}
	json_object_foreach(b, key, k) {
		json_t *have = json_object_get(a, key);
		if (!strcmp(key, "limit") || !strcmp(key, "shard"))
			continue;
		if (json_is_array(have) && json_is_array(k))
			json_array_extend(have, k);
		else if (!have)
			json_object_set(a, key, k);
	}
	json_decref(b);
	return a;
fail:
	if (a)
		json_decref(a);
	if (b)
		json_decref(b);
	return NULL;
}

/* Is every (column) of table equal between main and src for run_id? */
static int store_merge_same(um_store *s, const char *table, const char *run_id, um_error *err)
{
	int64_t n = 0;

	if (store_int_queryf(s, &n, err,
			     "SELECT count(*) FROM (SELECT * FROM main.%s WHERE run_id = %Q "
			     "EXCEPT SELECT * FROM src.%s WHERE run_id = %Q)",
			     table, run_id, table, run_id) < 0)
		return -1;
	return n == 0;
}

/* A run of src that s already holds: check the parts fit together. */
static int store_merge_check(um_store *s, const char *run_id, um_error *err)
{
	static const char *const fields[] = {"suite_sha256", "scaffold_sha256", "models_sha256",
					     "dataset_sha256", "seed", "repeats", "suite_name"};
	int64_t n;
	size_t i;
	char *dup = NULL;
	sqlite3_stmt *st;
	char *sql;

	for (i = 0; i < UM_ARRAY_LEN(fields); i++) {
		if (store_int_queryf(s, &n, err,
				     "SELECT count(*) FROM main.runs a JOIN src.runs b USING (run_id) "
				     "WHERE run_id = %Q AND a.%s IS NOT b.%s",
				     run_id, fields[i], fields[i]) < 0)
			return -1;
		if (n)
			return um_fail(err, UM_ERR_STATE,
				       "run '%s': the stores disagree on %s; only parts of one "
				       "run (same suite, scaffold, models, dataset, seed) merge",
				       run_id, fields[i]);
	}
	switch (store_merge_same(s, "items", run_id, err)) {
	case -1:
		return -1;
	case 0:
		return um_fail(err, UM_ERR_STATE, "run '%s': the stores hold different items",
			       run_id);
	}
	sql = sqlite3_mprintf("SELECT a.attempt_id FROM src.attempts a JOIN main.attempts b "
			      "USING (run_id, attempt_id) WHERE a.run_id = %Q LIMIT 1",
			      run_id);
	st = store_adhoc(s, sql, err);
	sqlite3_free(sql);
	if (!st)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		dup = col_text(st, 0);
	sqlite3_finalize(st);
	if (dup) {
		um_fail(err, UM_ERR_STATE, "run '%s': attempt %s is in both stores", run_id, dup);
		free(dup);
		return -1;
	}
	return 0;
}

/* The run's recorded rescores (schema 10) with their calls and requests; a
 * rescore id both stores hold is refused rather than dropped. */
static int store_merge_rescores(um_store *s, const char *run_id, um_error *err)
{
	int64_t clash = 0;

	if (store_int_queryf(s, &clash, err, "SELECT count(*) FROM src.rescores r JOIN "
			     "main.rescores m USING (rescore_id) WHERE r.run_id = %Q", run_id) < 0)
		return -1;
	if (clash)
		return um_fail(err, UM_ERR_STATE, "run '%s': both stores record a rescore under "
			       "the same id (%lld of them); merge first, then rescore", run_id,
			       (long long)clash);
	return store_execf(s, err,
			   "INSERT INTO main.rescores SELECT * FROM src.rescores WHERE run_id = %Q;"
			   "INSERT INTO main.rescore_calls SELECT c.* FROM src.rescore_calls c JOIN "
			   "src.rescores r USING (rescore_id) WHERE r.run_id = %Q;"
			   "INSERT OR IGNORE INTO main.requests SELECT * FROM src.requests WHERE "
			   "body_sha256 IN (SELECT c.request_hash FROM src.rescore_calls c JOIN "
			   "src.rescores r USING (rescore_id) WHERE r.run_id = %Q);",
			   run_id, run_id, run_id);
}

/* Copy the rows of one run from src; ids of calls, tool steps and routing
 * events are moved past the ones s has so they never collide. */
static int store_merge_rows(um_store *s, const char *run_id, int existed, um_error *err)
{
	int64_t call_off = 0, step_off = 0, ev_off = 0;

	if (store_int_queryf(s, &call_off, err, "SELECT coalesce(max(id), 0) FROM main.calls") <
		    0 ||
	    store_int_queryf(s, &step_off, err,
			     "SELECT coalesce(max(id), 0) FROM main.tool_steps") < 0 ||
	    store_int_queryf(s, &ev_off, err,
			     "SELECT coalesce(max(id), 0) FROM main.routing_events") < 0)
		return -1;
	if (!existed) {
		if (store_execf(s, err, "INSERT INTO main.runs SELECT * FROM src.runs WHERE "
					"run_id = %Q", run_id) < 0)
			return -1;
	} else if (store_execf(s, err,
			       "UPDATE main.runs SET started_ms = min(started_ms, (SELECT "
			       "started_ms FROM src.runs WHERE run_id = %Q)), finished_ms = "
			       "max(finished_ms, (SELECT finished_ms FROM src.runs WHERE run_id = "
			       "%Q)), status = CASE WHEN status = 'complete' AND (SELECT status "
			       "FROM src.runs WHERE run_id = %Q) = 'complete' THEN 'complete' "
			       "ELSE 'incomplete' END WHERE run_id = %Q",
			       run_id, run_id, run_id, run_id) < 0) {
		return -1;
	}
	return store_execf(
		s, err,
		"INSERT OR IGNORE INTO main.systems SELECT * FROM src.systems WHERE run_id = %Q;"
		"INSERT OR IGNORE INTO main.items SELECT * FROM src.items WHERE run_id = %Q;"
		"INSERT OR IGNORE INTO main.claims SELECT * FROM src.claims WHERE run_id = %Q;"
		"INSERT OR IGNORE INTO main.requests SELECT * FROM src.requests WHERE body_sha256 "
		"IN (SELECT request_hash FROM src.calls WHERE run_id = %Q);"
		"INSERT OR IGNORE INTO main.responses SELECT * FROM src.responses WHERE sha256 "
		"IN (SELECT body_sha256 FROM src.calls WHERE run_id = %Q);"
		"INSERT OR IGNORE INTO main.images SELECT * FROM src.images WHERE sha256 IN "
		"(SELECT j.value FROM src.items i, json_each(i.images_json) j WHERE i.run_id = %Q "
		"AND i.images_json IS NOT NULL);"
		"INSERT INTO main.attempts SELECT * FROM src.attempts WHERE run_id = %Q;"
		"CREATE TEMP TABLE merge_rows AS SELECT * FROM src.calls WHERE run_id = %Q;"
		"UPDATE merge_rows SET id = id + %lld;"
		"INSERT INTO main.calls SELECT * FROM merge_rows; DROP TABLE merge_rows;"
		"CREATE TEMP TABLE merge_rows AS SELECT * FROM src.tool_steps WHERE run_id = %Q;"
		"UPDATE merge_rows SET id = id + %lld;"
		"INSERT INTO main.tool_steps SELECT * FROM merge_rows; DROP TABLE merge_rows;"
		"CREATE TEMP TABLE merge_rows AS SELECT * FROM src.routing_events WHERE run_id = %Q;"
		"UPDATE merge_rows SET id = id + %lld, call_id = call_id + %lld;"
		"INSERT INTO main.routing_events SELECT * FROM merge_rows; DROP TABLE merge_rows;"
		"CREATE TEMP TABLE merge_rows AS SELECT * FROM src.attempt_cache WHERE run_id = %Q;"
		"UPDATE merge_rows SET source_call = source_call + %lld WHERE source_call IN "
		"(SELECT id FROM src.calls WHERE run_id = %Q);"
		"INSERT INTO main.attempt_cache SELECT * FROM merge_rows; DROP TABLE merge_rows;",
		run_id, run_id, run_id, run_id, run_id, run_id, run_id, run_id, (long long)call_off,
		run_id,
		(long long)step_off, run_id, (long long)ev_off, (long long)call_off, run_id,
		(long long)call_off, run_id) < 0 ? -1 : store_merge_rescores(s, run_id, err);
}

/* Merge one run of src into s (inside the merge transaction). */
static int store_merge_run(um_store *s, const char *run_id, size_t *n_attempts, um_error *err)
{
	char *mine = NULL, *theirs = NULL, *sql, *text;
	int64_t existed = 0, n = 0;
	sqlite3_stmt *st;
	json_t *notes;
	int rc = -1;

	if (store_int_queryf(s, &existed, err, "SELECT count(*) FROM main.runs WHERE run_id = %Q",
			     run_id) < 0)
		return -1;
	if (existed && store_merge_check(s, run_id, err) < 0)
		return -1;
	if (store_get_run_notes(s, run_id, &mine, err) < 0)
		return -1;
	sql = sqlite3_mprintf("SELECT notes_json FROM src.run_notes WHERE run_id = %Q", run_id);
	st = store_adhoc(s, sql, err);
	sqlite3_free(sql);
	if (!st)
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW)
		theirs = col_text(st, 0);
	sqlite3_finalize(st);
	notes = existed ? store_merge_notes(run_id, mine, theirs, err)
			: (theirs ? json_loads(theirs, 0, NULL) : json_object());
	if (!notes) {
		if (!err->code)
			um_fail(err, UM_ERR_INVALID, "run '%s': unreadable run notes", run_id);
		goto out;
	}
	if (store_merge_rows(s, run_id, (int)existed, err) < 0) {
		json_decref(notes);
		goto out;
	}
	text = json_dumps(notes, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(notes);
	rc = store_set_run_notes(s, run_id, text, err);
	free(text);
	if (rc == 0 && store_int_queryf(s, &n, err,
					"SELECT count(*) FROM src.attempts WHERE run_id = %Q",
					run_id) < 0)
		rc = -1;
	*n_attempts += (size_t)n;
out:
	free(mine);
	free(theirs);
	return rc;
}

int store_merge(um_store *s, const char *src_path, size_t *n_runs, size_t *n_attempts,
		um_error *err)
{
	um_store *src = NULL;
	sqlite3_stmt *st;
	char **ids = NULL;
	size_t n = 0, cap = 0, i;
	int rc = -1;

	*n_runs = *n_attempts = 0;
	/* opening it first checks it is a store and brings its schema forward */
	if (store_open(src_path, &src, err) < 0)
		return -1;
	store_close(src);
	if (store_execf(s, err, "ATTACH DATABASE %Q AS src", src_path) < 0)
		return -1;
	st = store_adhoc(s, "SELECT run_id FROM src.runs ORDER BY run_id", err);
	if (!st)
		goto detach;
	while (sqlite3_step(st) == SQLITE_ROW) {
		um_xgrow((void **)&ids, &cap, n + 1, sizeof(*ids));
		ids[n++] = col_text(st, 0);
	}
	sqlite3_finalize(st);
	if (store_begin(s, err) < 0)
		goto detach;
	for (i = 0; i < n; i++)
		if (store_merge_run(s, ids[i], n_attempts, err) < 0) {
			um_error_prefix(err, "merging %s", src_path);
			store_rollback(s);
			goto detach;
		}
	if (store_commit(s, err) < 0)
		goto detach;
	*n_runs = n;
	rc = 0;
detach:
	sqlite3_exec(s->db, "DETACH DATABASE src", NULL, NULL, NULL);
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return rc;
}

/* ---- rescores with another judge (schema 10) ------------------------------ */

/* Run one ad hoc statement: its texts bound in order (NULL: SQL NULL), its
 * integers after them, then the blob when there is one. */
static int rescore_exec(um_store *s, const char *sql, const char *const *texts, int n_texts,
			const int64_t *ints, int n_ints, const char *blob, size_t blob_len,
			um_error *err)
{
	sqlite3_stmt *st = NULL;
	int i, rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return um_fail(err, UM_ERR_DB, "%s: %s", s->path, sqlite3_errmsg(s->db));
	for (i = 0; i < n_texts; i++)
		bind_text(st, i + 1, texts[i]);
	for (i = 0; i < n_ints; i++)
		sqlite3_bind_int64(st, n_texts + i + 1, ints[i]);
	if (blob)
		bind_blob(st, n_texts + n_ints + 1, blob, blob_len);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return um_fail(err, UM_ERR_DB, "%s: cannot record the rescore: %s", s->path,
			       sqlite3_errmsg(s->db));
	return 0;
}

int store_put_rescore(um_store *s, const um_rescore_rec *r, char **id, um_error *err)
{
	sqlite3_stmt *st = NULL;
	int64_t n = 0, ints[3];
	const char *texts[10];

	*id = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM rescores WHERE run_id = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return um_fail(err, UM_ERR_DB, "%s: %s", s->path, sqlite3_errmsg(s->db));
	bind_text(st, 1, r->run_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	*id = um_xasprintf("%s/rescore-%lld", r->run_id, (long long)n + 1);
	{
		const char *t[10] = {*id,
				     r->run_id,
				     r->scaffold,
				     r->scaffold_sha256,
				     r->scaffold_text,
				     r->judge_system,
				     r->judge_model,
				     r->judge_provider,
				     r->judge_format,
				     r->summary_json};

		memcpy(texts, t, sizeof(t));
	}
	ints[0] = r->created_ms;
	ints[1] = r->calls;
	ints[2] = r->cost_micro;
	if (rescore_exec(s, "INSERT INTO rescores (rescore_id, run_id, scaffold, scaffold_sha256, "
			 "scaffold_text, judge_system, judge_model, judge_provider, judge_format, "
			 "summary_json, created_ms, calls, cost_micro) VALUES (?1, ?2, ?3, ?4, ?5, "
			 "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)", texts, 10, ints, 3, NULL, 0,
			 err) < 0) {
		free(*id);
		*id = NULL;
		return -1;
	}
	return 0;
}

int store_put_rescore_call(um_store *s, const char *rescore_id, const um_rescore_call_rec *c,
			   um_error *err)
{
	const char *texts[5] = {rescore_id, c->attempt_id, c->error, c->request_hash, c->extracted};
	int64_t ints[8] = {c->try_no,	  c->http_status, c->started_ms, c->latency_ms,
			   c->tokens_in, c->tokens_out,  c->cost_micro, c->verdict};

	return rescore_exec(s, "INSERT INTO rescore_calls (rescore_id, attempt_id, error, "
			    "request_hash, extracted, try_no, http_status, started_ms, latency_ms, "
			    "tokens_in, tokens_out, cost_micro, verdict, response_body) VALUES (?1, ?2, "
			    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, nullif(?13, -1), ?14)",
			    texts, 5, ints, 8, c->response_body, c->response_len, err);
}

/* ---- streaming reads ---------------------------------------------------- */

/* A scan's settings: pages read through mmap count in the process's
 * memory, and a scan of a large store would map all of it; and back to the
 * writer's (store_open_flags). */
static int store_scan_settings(um_store *s, um_error *err)
{
	return store_exec(s, "PRAGMA mmap_size = 0; PRAGMA cache_size = -8192", err);
}

static void store_write_settings(um_store *s)
{
	sqlite3_exec(s->db, "PRAGMA cache_size = -65536; PRAGMA mmap_size = 1073741824", NULL,
		     NULL, NULL);
}

int store_read_begin(um_store *s, um_error *err)
{
	if (store_scan_settings(s, err) < 0)
		return -1;
	s->read_tx = sqlite3_get_autocommit(s->db);
	if (s->read_tx && store_exec(s, "BEGIN", err) < 0) {
		s->read_tx = 0;
		return -1;
	}
	return 0;
}

void store_read_end(um_store *s)
{
	if (s->read_tx)
		sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	s->read_tx = 0;
	store_write_settings(s);
}

static int store_count(um_store *s, const char *sql, const char *run_id, uint64_t *out,
		       um_error *err)
{
	sqlite3_stmt *st = store_adhoc(s, sql, err);
	int rc;

	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return store_dberr(s, err, "cannot count");
	return 0;
}

int store_run_counts(um_store *s, const char *run_id, um_run_counts *out, um_error *err)
{
	memset(out, 0, sizeof(*out));
	if (store_count(s, "SELECT count(*) FROM attempts WHERE run_id = ?1", run_id,
			&out->attempts, err) < 0 ||
	    store_count(s, "SELECT count(*) FROM routing_events WHERE run_id = ?1", run_id,
			&out->routing, err) < 0 ||
	    store_count(s, "SELECT count(*) FROM routing_events WHERE run_id = ?1 AND "
			   "attempt_id = ''", run_id, &out->unattributed, err) < 0)
		return -1;
	return 0;
}

int store_scan_calls(um_store *s, const char *run_id,
		     void (*fn)(void *ctx, const char *system, int64_t ttft_ms), void *ctx,
		     int *extras, um_error *err)
{
	/* the calls of the partial index calls_extras (v11), in the order
	 * they were written: the times to first token of streamed 2xx calls
	 * with their attempt's system, and whether any call reports reasoning
	 * tokens or cache writes */
	sqlite3_stmt *st = store_adhoc(
		s,
		"SELECT (SELECT a.system FROM attempts a WHERE a.run_id = c.run_id AND "
		"a.attempt_id = c.attempt_id), c.ttft_ms, c.ttft_ms IS NOT NULL AND c.error IS NULL "
		"AND c.http_status BETWEEN 200 AND 299, c.tokens_reasoning <> 0 OR "
		"c.tokens_cache_write <> 0 FROM calls c INDEXED BY calls_extras WHERE c.run_id = ?1 "
		"AND " STORE_CALL_EXTRAS " ORDER BY c.id",
		err);
	int rc;

	*extras = 0;
	if (!st)
		return -1;
	bind_text(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*extras |= sqlite3_column_int(st, 3);
		if (sqlite3_column_int(st, 2) && sqlite3_column_type(st, 0) != SQLITE_NULL)
			fn(ctx, (const char *)sqlite3_column_text(st, 0),
			   sqlite3_column_int64(st, 1));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_dberr(s, err, "cannot read the run's calls");
	return 0;
}

/* The attempt of a scan's row: strings borrowed from the statement. */
static void scan_attempt_row(sqlite3_stmt *st, unsigned flags, um_attempt_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->attempt_id = (char *)sqlite3_column_text(st, 0);
	r->item_id = (char *)sqlite3_column_text(st, 1);
	r->system = (char *)sqlite3_column_text(st, 2);
	r->sample = sqlite3_column_int(st, 3);
	r->status = um_streq((const char *)sqlite3_column_text(st, 4), "done") ? UM_ATT_DONE
									      : UM_ATT_ERROR;
	r->request_hash = (char *)sqlite3_column_text(st, 5);
	r->neutral_hash = (char *)sqlite3_column_text(st, 6);
	r->score = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 7);
	r->error_class = (char *)sqlite3_column_text(st, 8);
	r->error_msg = (char *)sqlite3_column_text(st, 9);
	r->tokens_in = sqlite3_column_int64(st, 10);
	r->tokens_cached = sqlite3_column_int64(st, 11);
	r->tokens_out = sqlite3_column_int64(st, 12);
	r->cost_micro = sqlite3_column_int64(st, 13);
	r->latency_ms = sqlite3_column_int64(st, 14);
	r->n_calls = sqlite3_column_int(st, 15);
	r->served_model = (char *)sqlite3_column_text(st, 16);
	r->fingerprint = (char *)sqlite3_column_text(st, 17);
	r->finished_ms = sqlite3_column_int64(st, 18);
	r->detail_json = (char *)sqlite3_column_text(st, 19);
	r->has_reward = sqlite3_column_type(st, 20) != SQLITE_NULL;
	r->reward = r->has_reward ? sqlite3_column_double(st, 20) : 0;
	r->outcome = (char *)sqlite3_column_text(st, 21);
	r->cached = sqlite3_column_int(st, 22);
	r->tokens_reasoning = sqlite3_column_int64(st, 23);
	r->tokens_cache_write = sqlite3_column_int64(st, 24);
	if (!(flags & STORE_SCAN_TEXT))
		return;
	r->perm = (char *)sqlite3_column_text(st, 25);
	r->response_text = (char *)sqlite3_column_text(st, 26);
	r->extracted = (char *)sqlite3_column_text(st, 27);
	r->finish_reason = (char *)sqlite3_column_text(st, 28);
	r->image_id = (char *)sqlite3_column_text(st, 29);
}

/* The scan's statement: the report's columns (and the text ones), the
 * per-call token sums when asked (else 0). */
static sqlite3_stmt *scan_attempts_stmt(um_store *s, const char *run_id, unsigned flags,
					um_error *err)
{
	int extras = (flags & STORE_SCAN_CALL_TOKENS) != 0;
	uint64_t cached = 0;
	sqlite3_stmt *st;
	char *sql;

	/* a lookup per attempt only when some attempt of the run was cached */
	if (store_count(s, "SELECT EXISTS (SELECT 1 FROM attempt_cache WHERE run_id = ?1)", run_id,
			&cached, err) < 0)
		return NULL;
	sql = sqlite3_mprintf(
		"SELECT attempt_id, item_id, system, sample, status, request_hash, neutral_hash, "
		"score, error_class, error_msg, tokens_in, tokens_cached, tokens_out, cost_micro, "
		"latency_ms, n_calls, served_model, fingerprint, finished_ms, detail_json, reward, "
		"outcome, %s, %s, %s%s FROM attempts a WHERE run_id = ?1 "
		"ORDER BY item_id, system, sample, attempt_id",
		cached ? "EXISTS (SELECT 1 FROM attempt_cache k WHERE k.run_id = ?1 AND "
			 "k.attempt_id = a.attempt_id)"
		       : "0",
		extras ? "(SELECT coalesce(sum(c.tokens_reasoning), 0) FROM calls c WHERE "
			 "c.run_id = ?1 AND c.attempt_id = a.attempt_id)"
		       : "0",
		extras ? "(SELECT coalesce(sum(c.tokens_cache_write), 0) FROM calls c WHERE "
			 "c.run_id = ?1 AND c.attempt_id = a.attempt_id)"
		       : "0",
		flags & STORE_SCAN_TEXT ? ", perm, response_text, extracted, finish_reason, image_id"
					: "");
	st = store_adhoc(s, sql, err);
	sqlite3_free(sql);
	if (st)
		bind_text(st, 1, run_id);
	return st;
}

/* The routing events of the run's attempts, in the scan's order. */
static sqlite3_stmt *scan_events_stmt(um_store *s, const char *run_id, um_error *err)
{
	sqlite3_stmt *st = store_adhoc(
		s,
		"SELECT e.attempt_id, e.call_id, e.source, e.sub_model, e.tokens_in, "
		"e.tokens_cached, e.tokens_out, e.cost_micro, e.latency_ms, e.status, "
		"e.attribution, e.at_ms, e.detail_json FROM routing_events e JOIN attempts a "
		"ON a.run_id = e.run_id AND a.attempt_id = e.attempt_id WHERE e.run_id = ?1 "
		"ORDER BY a.item_id, a.system, a.sample, a.attempt_id, e.source, e.sub_model, e.id",
		err);

	if (st)
		bind_text(st, 1, run_id);
	return st;
}

struct scan_events {
	sqlite3_stmt *st;
	int rc;                 /* of the last step: SQLITE_ROW while one is waiting */
	um_routing_rec *v;
	size_t n, cap;
};

/* The waiting events of attempt_id, copied (the cursor moves past them). */
static void scan_events_take(struct scan_events *e, const char *attempt_id)
{
	struct load_ctx c;
	um_run_data d;

	memset(&d, 0, sizeof(d));
	d.routing = e->v;
	c.d = &d;
	c.cap = e->cap;
	while (e->rc == SQLITE_ROW &&
	       um_streq((const char *)sqlite3_column_text(e->st, 0), attempt_id)) {
		load_routing(e->st, &c);
		e->rc = sqlite3_step(e->st);
	}
	e->v = d.routing;
	e->cap = c.cap;
	e->n = d.n_routing;
}

static void scan_events_clear(struct scan_events *e)
{
	um_run_data d;

	memset(&d, 0, sizeof(d));
	d.routing = e->v;
	d.n_routing = e->n;
	store_run_data_free(&d); /* frees the events and the array */
	e->v = NULL;
	e->n = e->cap = 0;
}

int store_scan_attempts(um_store *s, const char *run_id, unsigned flags, store_attempt_fn fn,
			void *ctx, um_error *err)
{
	struct scan_events ev = {NULL, SQLITE_DONE, NULL, 0, 0};
	sqlite3_stmt *st = scan_attempts_stmt(s, run_id, flags, err);
	int rc, stop = 0;

	if (!st)
		return -1;
	if ((flags & STORE_SCAN_ROUTING) && !(ev.st = scan_events_stmt(s, run_id, err))) {
		sqlite3_finalize(st);
		return -1;
	}
	if (ev.st)
		ev.rc = sqlite3_step(ev.st);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		um_attempt_rec a;

		scan_attempt_row(st, flags, &a);
		if (ev.st)
			scan_events_take(&ev, a.attempt_id);
		stop = fn(ctx, &a, ev.v, ev.n);
		if (ev.n)
			scan_events_clear(&ev);
	}
	sqlite3_finalize(st);
	if (ev.st)
		sqlite3_finalize(ev.st);
	free(ev.v);
	if (stop)
		return stop;
	if (rc != SQLITE_DONE || (ev.st && ev.rc != SQLITE_DONE && ev.rc != SQLITE_ROW))
		return store_dberr(s, err, "cannot read the run's attempts");
	return 0;
}

/* ---- for callers of the scans: profile, route-eval, rescore ------------- */

int store_proxy_cost(const um_routing_rec *evs, size_t n, int64_t *cost)
{
	int has = 0;
	size_t i;

	*cost = 0;
	for (i = 0; i < n; i++)
		if (um_streq(evs[i].source, "proxy")) {
			*cost += evs[i].cost_micro;
			has = 1;
		}
	return has;
}

/* A scan that the caller steps (rescore's judge is fed from it while its
 * calls are written on the same connection). */
struct store_cursor {
	um_store *s;
	sqlite3_stmt *st;
	unsigned flags;
	int done;
};

int store_cursor_open(um_store *s, const char *run_id, unsigned flags, store_cursor **out,
		      um_error *err)
{
	store_cursor *c;
	sqlite3_stmt *st;

	*out = NULL;
	/* as store_read_begin, without its transaction: the caller writes */
	if (store_scan_settings(s, err) < 0)
		return -1;
	st = scan_attempts_stmt(s, run_id, flags & ~(unsigned)STORE_SCAN_ROUTING, err);
	if (!st)
		return -1;
	c = um_xcalloc(1, sizeof(*c));
	c->s = s;
	c->st = st;
	c->flags = flags & ~(unsigned)STORE_SCAN_ROUTING;
	*out = c;
	return 0;
}

int store_cursor_next(store_cursor *c, um_attempt_rec *a, um_error *err)
{
	int rc;

	if (c->done)
		return 0;
	rc = sqlite3_step(c->st);
	if (rc == SQLITE_ROW) {
		scan_attempt_row(c->st, c->flags, a);
		return 1;
	}
	c->done = 1;
	if (rc != SQLITE_DONE)
		return store_dberr(c->s, err, "cannot read the run's attempts");
	return 0;
}

void store_cursor_close(store_cursor *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->st);
	store_write_settings(c->s); /* as store_read_end, without ending a transaction */
	free(c);
}

int store_update_rescore(um_store *s, const char *rescore_id, const um_rescore_rec *r,
			 um_error *err)
{
	const char *texts[2] = {r->summary_json, rescore_id};
	int64_t ints[3] = {r->created_ms, r->calls, r->cost_micro};

	return rescore_exec(s, "UPDATE rescores SET summary_json = coalesce(?1, summary_json), "
			    "created_ms = CASE WHEN ?3 < 0 THEN created_ms ELSE ?3 END, calls = ?4, cost_micro = ?5 "
			    "WHERE rescore_id = ?2", texts, 2, ints, 3, NULL, 0, err);
}

int store_delete_rescore(um_store *s, const char *rescore_id, um_error *err)
{
	const char *texts[1] = {rescore_id};

	if (rescore_exec(s, "DELETE FROM rescore_calls WHERE rescore_id = ?1", texts, 1, NULL, 0,
			 NULL, 0, err) < 0)
		return -1;
	return rescore_exec(s, "DELETE FROM rescores WHERE rescore_id = ?1", texts, 1, NULL, 0,
			    NULL, 0, err);
}
