/*
 * jscan.h - a small strict JSON reader for the hot path: one pass over a
 * response body into a fixed table of nodes (no allocation), with member
 * and element lookups, for the providers' fast parse of an ordinary answer.
 *
 * It accepts only documents that jansson's json_loadb (with
 * JSON_REJECT_DUPLICATES | JSON_DECODE_ANY) reads too and reads the same
 * way, and gives up (returns -1) on anything it is not sure of: more nodes
 * or depth than its table holds, a real number, an integer outside int64,
 * "\u0000", a key holding an escape, a duplicate key, invalid UTF-8 or
 * escapes, trailing bytes. A caller that gets -1 reads the body with
 * jansson, which then decides (and names the error).
 */
#ifndef UMPIRE_JSCAN_H
#define UMPIRE_JSCAN_H

#include <stddef.h>
#include <stdint.h>

#define JSCAN_MAX_NODES 384
#define JSCAN_MAX_DEPTH 32

typedef enum {
	JSCAN_NULL,
	JSCAN_TRUE,
	JSCAN_FALSE,
	JSCAN_INT,
	JSCAN_STR,
	JSCAN_ARR,
	JSCAN_OBJ
} jscan_type;

typedef struct jscan_node {
	jscan_type type;
	int esc;           /* a string holding a backslash escape */
	int next;          /* next element or member of the parent, -1 at the end */
	int child;         /* first element or member (arrays, objects), -1 if none */
	int n_children;
	const char *s;     /* string: the bytes between the quotes, undecoded */
	size_t n;
	const char *key;   /* a member: its key, undecoded (never holds an escape) */
	size_t key_len;
	int64_t i;         /* integer */
} jscan_node;

typedef struct jscan {
	jscan_node nodes[JSCAN_MAX_NODES];
	int n;
	const char *p, *end; /* cursor while parsing */
} jscan;

/* Parse buf (len bytes) into j; node 0 is the top value. 0, or -1 when the
 * document is not one this reader takes (see above). */
int jscan_parse(jscan *j, const char *buf, size_t len);

/* The value of member key of object node obj, or -1 (not an object, no
 * such member). */
int jscan_get(const jscan *j, int obj, const char *key);

/* Element i of array node arr, or -1. */
int jscan_index(const jscan *j, int arr, int i);

/* Node idx's type, or -1 for idx < 0 (a missing member). */
int jscan_type_of(const jscan *j, int idx);

/* The decoded text of string node idx (the same bytes jansson's
 * json_string_value gives). Caller frees. */
char *jscan_strdup(const jscan *j, int idx);

#endif
