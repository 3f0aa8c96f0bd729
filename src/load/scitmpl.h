/*
 * scitmpl.h - SciCode's prompt template files (docs/scicode.md, "The
 * prompt"): a Python str.format text over {problem_steps_str},
 * {next_step_str} and {dependencies}, checked at load as Python would
 * format it, rendered with umpire's {{previous_steps}}, {{next_step}} and
 * {{dependencies}}, and quoted into the stored copy of its scaffold.
 */
#ifndef UMPIRE_SCITMPL_H
#define UMPIRE_SCITMPL_H

#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"

#define SCITMPL_MAX_BYTES (1u << 20)

/* Check the bytes of a template: UTF-8 without NUL, at most
 * SCITMPL_MAX_BYTES, every brace as str.format reads it ({{ and }} literal
 * braces, a field one of the three names with no conversion or format
 * spec), {next_step_str} among them. An error is UM_ERR_INVALID at
 * file:line:col of the offending byte. */
int scitmpl_check(const char *file, const char *text, size_t len, um_error *err);

/* The text Python's read_text() gives for these bytes: "\r\n" and a lone
 * "\r" read as "\n". New. */
char *scitmpl_text(const char *bytes, size_t len);

/* Render a checked text (scitmpl_text) with the three values, as
 * text.format(problem_steps_str=prev, next_step_str=next,
 * dependencies=deps). New, or NULL with err. */
char *scitmpl_render(const char *text, const char *prev, const char *next, const char *deps,
		     um_error *err);

/* One step over str.format's literal text at t[*i]: a byte that is not a
 * brace, or "{{" / "}}" (one brace), put into out when not NULL; *i moves
 * past it. 1 when taken; 0 at a brace that opens a field or stands alone. */
int scitmpl_literal(const char *t, size_t len, size_t *i, um_buf *out);

/* The end of the str.format field opened at t[open] (one past its "}"),
 * counting nested braces as str.format does; 0 when it is never closed. */
size_t scitmpl_field_end(const char *t, size_t len, size_t open);

/* Append the bytes as one YAML double-quoted scalar (every byte outside
 * printable ASCII escaped; the bytes are checked UTF-8). */
void scitmpl_yaml_quote(um_buf *b, const char *bytes, size_t len);

#endif
