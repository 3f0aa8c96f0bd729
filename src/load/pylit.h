/*
 * pylit.h - a strict reader of the few Python literals umpire takes from
 * a benchmark's own source files (CharXiv's src/constants.py and the two
 * literals of get_number_instruction in src/reasoning_utils.py;
 * docs/judged.md, "CharXiv Reasoning").
 *
 * What it reads, as CPython reads it (the source as UTF-8, "\r\n" and a
 * lone "\r" read as "\n"; columns counted in characters):
 *   - a module of top-level assignments `NAME = value`, one per logical
 *     line, with comments and backslash-newline continuations; a value is
 *     a string (adjacent literals concatenated, optionally in parentheses)
 *     or a dict `{key: string, ...}` whose keys are decimal integers or
 *     strings (a trailing comma allowed);
 *   - the assignments `VAR = string` among the logical lines of one
 *     function's body (pylit_read_function), found by tokenizing the whole
 *     file (any Python it holds is tokenized, not interpreted).
 * Strings: the prefixes r, R, u, U; an f-string only in a function's
 * literals, with exactly the fields pylit_read_function names and {{ }}
 * escapes; b prefixes refused. Python's escapes exactly: \\ \' \" \a \b \f
 * \n \r \t \v, \ooo, \xhh, \uXXXX, \UXXXXXXXX, backslash-newline; an
 * unknown escape is kept with its backslash; \N{...} is refused, and so are
 * NUL and surrogates (they cannot be sent as UTF-8 text). A duplicate name
 * or dict key is refused rather than resolved as Python would. Every error
 * is UM_ERR_SYNTAX or UM_ERR_INVALID at file:line:col.
 */
#ifndef UMPIRE_PYLIT_H
#define UMPIRE_PYLIT_H

#include <stddef.h>

#include "base/error.h"

#define PYLIT_MAX_BYTES (4u << 20)

/* A decoded string: UTF-8 text, and for each of its bytes the source
 * offset of the character (or escape) it came from. When fstring is set,
 * text is a str.format template: the field as "{name}", every literal brace
 * doubled. */
typedef struct pylit_str {
	char *text;   /* owned, NUL-terminated (no NUL inside) */
	size_t len;
	size_t *src;  /* len offsets into the file's text; owned */
	size_t off;   /* where the first literal starts */
	int fstring;
	int fields;   /* fstring: how many fields it holds */
} pylit_str;

typedef struct pylit_entry {
	char *skey;   /* a string key, or NULL for an integer key */
	long ikey;
	size_t off;   /* the key's offset */
	pylit_str val;
} pylit_entry;

typedef struct pylit_assign {
	char *name;
	size_t off;           /* the name's offset */
	int is_dict;
	pylit_str str;        /* !is_dict */
	pylit_entry *entries; /* is_dict */
	size_t n_entries;
} pylit_assign;

typedef struct pylit_file {
	char *path;   /* for messages; owned */
	char *text;   /* the source as Python reads it; owned */
	size_t len;
	pylit_assign *a;
	size_t n;
} pylit_file;

/* Read a module of assignments (bytes are the file's; path names it).
 * 0, or -1 with err at file:line:col. f is released either way first. */
int pylit_read_module(const char *path, const char *bytes, size_t len, pylit_file *f,
		      um_error *err);

/* The assignments `var = string` in the body of the top-level `def func`,
 * in file order; an f-string among them may hold only the field
 * `{field}`. 0, or -1 with err (no such function is an error; no such
 * assignment is not: f->n is 0). */
int pylit_read_function(const char *path, const char *bytes, size_t len, const char *func,
			const char *var, const char *field, pylit_file *f, um_error *err);

void pylit_file_release(pylit_file *f);

/* The assignment of name, or NULL. Borrowed. */
const pylit_assign *pylit_find(const pylit_file *f, const char *name);
/* The value of integer key k of a dict, or NULL. Borrowed. */
const pylit_str *pylit_dict_int(const pylit_assign *a, long k);

/* Fail with code at the line and column of offset off of f's text. */
int pylit_fail(const pylit_file *f, size_t off, um_err code, um_error *err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif
