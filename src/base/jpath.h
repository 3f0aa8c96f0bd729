/*
 * jpath.h - reading values out of jansson objects by a dotted path
 * ("accuracy.ci_lo"), for renderers that work from a finished JSON document.
 */
#ifndef UMPIRE_JPATH_H
#define UMPIRE_JPATH_H

#include <jansson.h>

#include "base/buf.h"

/* The value at path below o: each '.' steps into a nested object (a key is at
 * most 63 bytes). NULL when o is NULL, a step is missing or not an object, or
 * a key is too long. The result is borrowed from o (no new reference). */
const json_t *jpath_get(const json_t *o, const char *path);

/* The string at path, or "-" when it is missing or not a string. Borrowed
 * from o (or a static literal); the caller does not free it. */
const char *jpath_str(const json_t *o, const char *path);

/* Store the number (integer or real) at path in *v and return 1; return 0
 * and leave *v alone when it is missing or not a number. */
int jpath_num(const json_t *o, const char *path, double *v);

/* The integer at path, or 0 when it is missing or not an integer. */
long long jpath_int(const json_t *o, const char *path);

/* The value at an RFC 6901 JSON pointer below root ("/a/0/b~1c": "~1" is
 * '/', "~0" is '~', an array step is a decimal index; "" is root itself), or
 * NULL when a step is missing or the pointer is malformed. Borrowed. */
const json_t *jpath_pointer(const json_t *root, const char *ptr);

/* Append the strings of a JSON array to b, sep between them (members that
 * are not strings are skipped). */
void jpath_append_strings(um_buf *b, const json_t *arr, const char *sep);

#endif
