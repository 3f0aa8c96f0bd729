/*
 * yml.h - a YAML document as a small tree that keeps libyaml's marks, plus
 * strict typed accessors that report file:line:col on every mistake.
 *
 * Every config loader (suite, scaffold, models, simulator pool) reads its
 * file with yml_load_file() and walks the tree with these accessors, so all
 * of them reject unknown keys, wrong types and missing fields in the same
 * words. Anchors and aliases are resolved by copying; merge keys are not
 * supported (an error says so).
 */
#ifndef UMPIRE_YML_H
#define UMPIRE_YML_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

typedef enum { YML_SCALAR, YML_SEQ, YML_MAP } yml_kind;

typedef struct yml_node {
	yml_kind kind;
	int line, col;       /* 1-based start mark */
	char *scalar;        /* YML_SCALAR: the value (never NULL) */
	int plain;           /* YML_SCALAR: 1 when unquoted (so `null`, `~` mean null) */
	size_t n;            /* YML_SEQ: items; YML_MAP: pairs */
	struct yml_node **items;  /* YML_SEQ items, or YML_MAP values */
	struct yml_node **keys;   /* YML_MAP keys (scalars) */
} yml_node;

typedef struct yml_doc {
	char *file;          /* the path as given, used in every message */
	yml_node *root;      /* NULL for an empty document */
} yml_doc;

/* Parse a file / a buffer (file names the source in messages). Caller frees
 * with yml_doc_free. A syntax error is UM_ERR_SYNTAX with file:line:col. */
yml_doc *yml_load_file(const char *path, um_error *err);
yml_doc *yml_load_buffer(const char *file, const char *data, size_t len, um_error *err);
void yml_doc_free(yml_doc *d);

/* Lookup: the value for key in a map, or NULL (also NULL if m is not a map). */
yml_node *yml_get(const yml_node *m, const char *key);

/* 1 when n is a plain `~`, `null` or empty scalar. Optional keys holding a
 * plain null count as absent in the typed reads below. */
int yml_is_null(const yml_node *n);
/* "a mapping", "a sequence", "a scalar", "null" or "nothing" (n NULL). */
const char *yml_kind_name(const yml_node *n);

/* The root must be a mapping with `umpire: 1` (what names the file's kind,
 * e.g. "suite"). An empty document is an error. */
int yml_check_schema(const yml_doc *d, const char *what, um_error *err);

/* Strict checks; each fills err with "file:line:col: ..." and returns -1. */
int yml_expect(const yml_doc *d, const yml_node *n, yml_kind kind, const char *what,
	       um_error *err);
/* Reject keys not in allowed (NULL-terminated). what names the mapping. */
int yml_check_keys(const yml_doc *d, const yml_node *m, const char *const *allowed,
		   const char *what, um_error *err);

/* Typed reads of map[key]. `required` 1: missing is an error; 0: missing
 * leaves *out untouched and returns 0. Returns 1 when the key was present. */
int yml_str(const yml_doc *d, const yml_node *m, const char *key, int required,
	    char **out /* caller frees */, um_error *err);
int yml_int(const yml_doc *d, const yml_node *m, const char *key, int required,
	    int64_t min, int64_t max, int64_t *out, um_error *err);
int yml_double(const yml_doc *d, const yml_node *m, const char *key, int required,
	       double min, double max, double *out, um_error *err);
int yml_bool(const yml_doc *d, const yml_node *m, const char *key, int required,
	     int *out, um_error *err);
/* One of choices (NULL-terminated); *out is the index. */
int yml_enum(const yml_doc *d, const yml_node *m, const char *key, int required,
	     const char *const *choices, int *out, um_error *err);

/* Scalar conversions of a node itself (for sequence items). */
int yml_node_str(const yml_doc *d, const yml_node *n, const char *what, char **out,
		 um_error *err);
int yml_node_int(const yml_doc *d, const yml_node *n, const char *what, int64_t min,
		 int64_t max, int64_t *out, um_error *err);
int yml_node_double(const yml_doc *d, const yml_node *n, const char *what, double min,
		    double max, double *out, um_error *err);

/* Error at a node: "file:line:col: <fmt>". Returns -1. */
int yml_fail(const yml_doc *d, const yml_node *n, um_err code, um_error *err,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Convert a subtree to a jansson value (scalars typed by YAML 1.1 core
 * rules for plain scalars: int, float, bool, null; quoted stay strings).
 * Returns a new reference (json_t *), or NULL with err filled. */
struct json_t;
struct json_t *yml_to_json(const yml_doc *d, const yml_node *n, um_error *err);

#endif
