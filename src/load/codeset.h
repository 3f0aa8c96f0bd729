/*
 * codeset.h - program-generation problems in LiveCodeBench's release format
 * (code_generation_lite JSONL: question_content, starter_code,
 * public_test_cases, private_test_cases, contest_date, platform, difficulty,
 * metadata with func_name), read into the items of a code suite. The private
 * tests must be in their JSON form: the release's base64(zlib(pickle)) form
 * is refused with a message saying how to export it (docs/code.md).
 */
#ifndef UMPIRE_CODESET_H
#define UMPIRE_CODESET_H

#include <stddef.h>

#include "base/error.h"
#include "load/suite.h"

/* Most tests of one problem. */
#define UM_CODE_MAX_TESTS 100000

/* Parse JSONL bytes (one problem a line, blank lines skipped) into items
 * with item->code set: id = question_id, category = difficulty,
 * subcategory = platform, question = question_content. `source` names the
 * data in messages (file:line:col). *lines gets each item's line (caller
 * frees; may be NULL). Appends nothing on error: *items is NULL, *n 0. */
int codeset_parse_lcb(const char *source, const char *data, size_t len, um_item **items,
		      size_t *n, int **lines, um_error *err);

/* Free a code item and everything it owns (NULL is fine). */
void codeset_item_free(um_code_item *c);

/* 1 when s is a date YYYY-MM-DD (a real calendar day), else 0. */
int codeset_date_ok(const char *s);

#endif
