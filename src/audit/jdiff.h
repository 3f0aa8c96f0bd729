/*
 * jdiff.h - field-by-field difference of two JSON values, for telling a
 * verifier exactly what changed in a regenerated report.
 */
#ifndef UMPIRE_JDIFF_H
#define UMPIRE_JDIFF_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"

/* Append one line per differing leaf ("path: expected X, got Y"; path like
 * systems[2].accuracy.lo) to out, at most max lines. Returns the number of
 * differences (counting past max). */
size_t jdiff(const json_t *expected, const json_t *got, um_buf *out, size_t max);

#endif
