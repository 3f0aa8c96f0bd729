/*
 * jsonl.h - walking JSON lines: one object a line, blank lines skipped, a
 * UTF-8 byte order mark and "\r" line ends ignored, each line parsed with
 * duplicate keys refused; invalid JSON and a line that is not an object are
 * errors at file:line:col. For the release formats read a line at a time.
 */
#ifndef UMPIRE_JSONL_H
#define UMPIRE_JSONL_H

#include <jansson.h>
#include <stddef.h>

#include "base/error.h"

/* One line: its text (without the line end), its 1-based number and its
 * object (borrowed for the call). Return 0 to go on, -1 (err filled) to
 * stop. */
typedef int (*jsonl_fn)(void *ctx, const char *text, size_t len, int line, json_t *o,
			um_error *err);

/* Call fn for each object line of data; `what` names a line's object in the
 * error for one that is not an object ("one SciCode problem"). 0, or -1. */
int jsonl_each(const char *source, const char *data, size_t len, const char *what, jsonl_fn fn,
	       void *ctx, um_error *err);

#endif
