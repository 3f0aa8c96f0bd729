/*
 * ymlemit.h - a small writer over libyaml's emitter for the suite files the
 * importers generate: block style, two-space indent, no line folding, UTF-8
 * kept as is, and scalars left plain only where YAML cannot read them as
 * anything but that string.
 *
 * Usage: ymlemit_begin(), then events (ymlemit_map/seq/str/int/...), then
 * ymlemit_end(), which returns the text. An emitter failure is remembered and
 * reported by ymlemit_end(); the calls in between need no checks.
 */
#ifndef UMPIRE_YMLEMIT_H
#define UMPIRE_YMLEMIT_H

#include <stddef.h>
#include <yaml.h>

#include "base/buf.h"

/* "./name" may stay plain (otherwise only "..", letters and '/' may start a
 * plain scalar). */
#define YMLEMIT_PLAIN_DOTSLASH 1u

typedef struct ymlemit {
	yaml_emitter_t em;
	um_buf out;
	unsigned flags; /* YMLEMIT_* */
	int bad;	/* an event failed; ymlemit_end() returns NULL */
} ymlemit;

/* Set up w (any previous contents are ignored), write the printf-formatted
 * header verbatim (comment lines, say), then open the stream and an explicit
 * document. */
void ymlemit_begin(ymlemit *w, unsigned flags, const char *header_fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Close the document and the stream and release the emitter. Returns the
 * text (caller frees), or NULL if any event failed (nothing to free then). */
char *ymlemit_end(ymlemit *w);

/* Emit one event, remembering a failure in w->bad. */
void ymlemit_emit(ymlemit *w, yaml_event_t *ev);

/* 1 if s can be written as a plain scalar under flags (YMLEMIT_*). */
int ymlemit_plain_ok(const char *s, unsigned flags);

/* A string scalar: plain when ymlemit_plain_ok(), else double-quoted. */
void ymlemit_str(ymlemit *w, const char *s);
/* A plain integer / true|false scalar. */
void ymlemit_int(ymlemit *w, long long v);
void ymlemit_bool(ymlemit *w, int v);
/* A mapping entry with a string key and a string value. */
void ymlemit_kv(ymlemit *w, const char *k, const char *v);
/* Start (start != 0) or end a mapping / sequence; flow picks the {..} / [..]
 * style on start and is ignored on end. */
void ymlemit_map(ymlemit *w, int start, int flow);
void ymlemit_seq(ymlemit *w, int start, int flow);
/* key: followed by a block sequence of the n strings v[] ([] when n == 0). */
void ymlemit_list(ymlemit *w, const char *key, char *const *v, size_t n);

#endif
