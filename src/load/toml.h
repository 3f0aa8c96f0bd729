/*
 * toml.h - a small, strict TOML reader producing a jansson tree.
 *
 * It reads what task.toml files of Terminal-Bench 2 / Harbor tasks use, which
 * is most of TOML 1.0: tables [a] and [a.b], arrays of tables [[a]], dotted
 * keys, bare and quoted keys, basic and literal strings (single and
 * multi-line, every escape), integers (decimal with _ separators, 0x, 0o,
 * 0b), floats, booleans, arrays (multi-line, trailing comma, comments
 * inside) and inline tables. Not supported, each with a clear error: offset
 * date-times, local dates and local times ("dates and times are not
 * supported"), and the floats inf and nan (JSON cannot hold them).
 *
 * The tree (a new reference the caller releases with json_decref):
 *   table          -> JSON object, keys in file order
 *   array          -> JSON array (array of tables: an array of objects)
 *   string         -> JSON string (UTF-8)
 *   integer        -> JSON integer (int64)
 *   float          -> JSON real
 *   boolean        -> JSON true / false
 *
 * Strictness follows the TOML 1.0 rules: a key or table defined twice, a
 * table header naming a key that holds a value, adding to an inline table
 * after it is closed, leading zeros, misplaced underscores, integers out of
 * int64 range, control characters in strings or comments, invalid UTF-8 and
 * a lone CR are all errors. Every error is UM_ERR_SYNTAX with the message
 * "file:line:col: what is wrong" (columns count characters, 1-based).
 */
#ifndef UMPIRE_TOML_H
#define UMPIRE_TOML_H

#include <stddef.h>

#include "base/error.h"

/* Files larger than this are refused by toml_load_file. */
#define TOML_MAX_BYTES ((size_t)4 << 20)
/* Deepest nesting of arrays and inline tables. */
#define TOML_MAX_DEPTH 64

struct json_t;

/* Parse data (len bytes; need not be NUL-terminated). file names the source
 * in messages. When pos is not NULL, *pos receives a new JSON object mapping
 * the path of every key ("a.b.c"; array-of-tables elements as "a[0].b") to
 * [line, col] of the key, for later messages about values; caller
 * json_decrefs it. Returns a new reference, or NULL with err filled. */
struct json_t *toml_parse(const char *file, const char *data, size_t len, struct json_t **pos,
			  um_error *err);

/* Read path (at most TOML_MAX_BYTES) and parse it; messages name path. */
struct json_t *toml_load_file(const char *path, struct json_t **pos, um_error *err);

/* Where a key path was defined, from the *pos object of toml_parse: fills
 * line and col and returns 0, or returns -1 (both left 0) if not recorded. */
int toml_pos_lookup(const struct json_t *pos, const char *path, int *line, int *col);

#endif
