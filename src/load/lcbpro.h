/*
 * lcbpro.h - LiveCodeBench Pro's problems read into the items of a code
 * suite (docs/livecodebench-pro.md): a JSONL export of the problem release
 * (problem_id, problem_title, difficulty, platform, problem_statement, and
 * the split each row came from), and for each problem the directory its
 * official judge reads (config.yaml, testdata/, the checker), which the user
 * supplies: the hidden tests are not public.
 */
#ifndef UMPIRE_LCBPRO_H
#define UMPIRE_LCBPRO_H

#include <stddef.h>

#include "base/error.h"
#include "load/suite.h"

/* Parse the problems (one a line, blank lines skipped) into items with
 * item->code set: id = problem_id, category = difficulty, subcategory =
 * platform, question = problem_statement, date from `date` or the split
 * (quater_2025_4_6: 2025-04-01), limits, tests and checker (or, for type
 * interactive, interactor) from tests_dir/<problem_id>/config.yaml. Test files are checked to exist, not
 * read. *lines gets each item's line (caller frees; may be NULL). Errors
 * name the file, line and column (of the row, or of config.yaml). */
int lcbpro_parse(const char *source, const char *data, size_t len, const char *tests_dir,
		 um_item **items, size_t *n, int **lines, um_error *err);

/* The hash a LiveCodeBench Pro suite records as its dataset_sha256, and its
 * `sha256` pins: over the export's hash (data_hex: the sha256 of its bytes)
 * and, item by item in file order, each problem's id and test directory
 * (task_hash_dir: every file's path, mode and bytes), then testlib's
 * directory when given. So a changed test, answer, checker or testlib.h is
 * a changed dataset. 0, or -1 with err (a directory that cannot be read). */
int lcbpro_hash(const char *data_hex, const um_item *items, size_t n, const char *testlib,
		char out[65], um_error *err);

/* "2s", "500ms", "1.5" (seconds) as milliseconds; -1 when malformed. */
int lcbpro_time_ms(const char *s);
/* "256m", "1g", "65536k", "268435456" (bytes) as bytes; -1 when malformed. */
long long lcbpro_bytes(const char *s);
/* The first day of a split's first month ("quater_2025_4_6" -> 2025-04-01)
 * into out; 0, or -1 when the name holds no year and month. */
int lcbpro_split_date(const char *split, char out[11]);

#endif
