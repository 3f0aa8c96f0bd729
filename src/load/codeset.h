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

#include <jansson.h>
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

/* One line of a JSONL file of problems, for messages (file:line:col, the
 * column being a key's). */
typedef struct codeset_row {
	const char *source;
	const char *text; /* the line's bytes */
	size_t len;
	int line;
	um_error *err;
} codeset_row;

/* Fill err with "source:line:col: <fmt>" (col: where "key" is on the line,
 * or 0 with key NULL) and return -1. */
int codeset_fail(const codeset_row *r, const char *key, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Read one row (a JSON object) into it (zeroed); -1 with r->err filled. */
typedef int (*codeset_row_fn)(void *ctx, const codeset_row *r, json_t *o, um_item *it);

/* JSONL bytes (a byte order mark ignored, blank lines skipped, each other
 * line one object) into items through fn, with each item's line in *lines
 * (caller frees; may be NULL). Nothing is appended on error. */
int codeset_parse_rows(const char *source, const char *data, size_t len, codeset_row_fn fn,
		       void *ctx, um_item **items, size_t *n, int **lines, um_error *err);

/* Free n items made by the parsers, and the array. */
void codeset_items_free(um_item *items, size_t n);

/* Free a code item and everything it owns (NULL is fine). */
void codeset_item_free(um_code_item *c);

/* 1 when s is a date YYYY-MM-DD (a real calendar day), else 0. */
int codeset_date_ok(const char *s);

#endif
