/*
 * profile.h - per-model capability profiles: for every system x task
 * category of one or more stored runs, what it got right, what it cost
 * and how long it took. For people who build routers.
 *
 * A profile is a JSON object (format: docs/profile.md, JSON Schema:
 * docs/profile.schema.json):
 *
 *   {"umpire_profile": 1, "runs": [...], "profiles": [...]}
 *
 * built as a pure function of the runs (sorted keys, 6 significant digits
 * for reals, integer micro-USD and milliseconds), so the same runs give
 * byte-identical text, and text read back with profile_load() prints the
 * same bytes again. A CSV rendering has one row per system x category.
 */
#ifndef UMPIRE_PROFILE_H
#define UMPIRE_PROFILE_H

#include <jansson.h>

#include "base/error.h"
#include "store/store.h"

#define UM_PROFILE_FORMAT 1
/* The category of the row that pools every category of a system. */
#define UM_PROFILE_ALL "all"

/* Profiles of the n runs (n >= 1, distinct run ids), attempts pooled by
 * system x category across runs. A system must have the same role,
 * provider and model in every run that lists it. Returns a new reference,
 * or NULL with err filled (UM_ERR_INVALID for inconsistent input). */
json_t *profile_build(const um_run_data *const *runs, size_t n, um_error *err);
/* The same from the store, reading each run's attempts one row at a time
 * (store_scan_attempts, no text columns): metas are the runs without their
 * attempts (store_load_run_meta), and memory is bounded by the systems,
 * items and categories, not the attempts. Call inside store_read_begin /
 * store_read_end for one snapshot. */
json_t *profile_build_store(um_store *st, const um_run_data *const *metas, size_t n,
			    um_error *err);

/* Canonical text: sorted keys, 2-space indent, trailing newline. Caller frees. */
char *profile_json_text(const json_t *profile);

/* CSV: a header row, then one row per profile row in the object's order;
 * fields quoted as RFC 4180 says (when they hold a comma, a double quote or
 * a line break; quotes doubled); null is an empty field; lists are joined
 * with ';'; lines end with LF. The object must be valid (profile_validate).
 * Caller frees. */
char *profile_csv_text(const json_t *profile);

/* Strict check of a profile object: unknown or missing keys, wrong types,
 * out-of-range numbers and an unsupported version are errors
 * (UM_ERR_INVALID) whose message starts with "name: $.json.path: ";
 * name is the file name or any label (NULL: "profile"). */
int profile_validate(const json_t *profile, const char *name, um_error *err);

/* Read and validate a profile file. Not JSON: UM_ERR_SYNTAX with
 * "file:line:col: ". New reference, or NULL with err filled. */
json_t *profile_load(const char *path, um_error *err);

/* A few lines for the terminal: the runs, then one line per row. Caller
 * frees. The object must be valid. */
char *profile_summary_text(const json_t *profile);

#endif
