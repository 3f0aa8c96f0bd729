/*
 * util.h - small helpers shared by every module: allocation, files, hashes,
 * clocks and a seeded random generator.
 *
 * Allocation: um_xmalloc and friends abort() on exhaustion (as git's xmalloc
 * dies). Everything a run has committed is already in the SQLite WAL, so an
 * abort loses nothing recorded; threading ENOMEM through every string copy
 * would buy nothing a user can act on.
 */
#ifndef UMPIRE_UTIL_H
#define UMPIRE_UTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define UM_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *um_xmalloc(size_t n);
void *um_xcalloc(size_t count, size_t size);
void *um_xrealloc(void *p, size_t n);
/* Grow *p (holding *cap elements of size) to hold at least need elements. */
void um_xgrow(void **p, size_t *cap, size_t need, size_t size);
char *um_xstrdup(const char *s);             /* NULL in, NULL out */
char *um_xstrndup(const char *s, size_t n);
char *um_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read a whole file; *data is NUL-terminated (len excludes the NUL).
 * Caller frees *data. */
int um_read_file(const char *path, char **data, size_t *len, um_error *err);
/* Write atomically: path.tmp then rename. mode as for open(2). */
int um_write_file(const char *path, const void *data, size_t len, int mode,
		  um_error *err);
/* mkdir -p. */
int um_mkdir_p(const char *path, um_error *err);

/* Resolve rel against the directory that holds base_file (absolute rel is
 * returned as is). Caller frees. */
char *um_path_relative_to(const char *base_file, const char *rel);

/* SHA-256 as 64 lowercase hex chars + NUL (OpenSSL's libcrypto, libsodium
 * when it fails). */
void um_sha256_hex(const void *data, size_t len, char out[65]);

/* Length (1..4) of the valid UTF-8 sequence at s (n > 0 bytes available)
 * and its code point in *cp; 0 when it is invalid (truncated, overlong, a
 * surrogate, past U+10FFFF). */
size_t um_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp);
/* The same digest as 32 bytes. */
void um_sha256_raw(const void *data, size_t len, unsigned char out[32]);
/* Streaming form, for archives and big files: OpenSSL's digest (the CPU's
 * SHA instructions) when it can be had, else libsodium's. final ends it;
 * one given up before final is ended with um_sha256_release. */
typedef struct um_sha256 {
	void *evp; /* OpenSSL's context, or NULL for libsodium's state below */
	unsigned char state[128] __attribute__((aligned(64)));
} um_sha256;
void um_sha256_init(um_sha256 *h);
void um_sha256_update(um_sha256 *h, const void *data, size_t len);
void um_sha256_final_hex(um_sha256 *h, char out[65]);
void um_sha256_release(um_sha256 *h);

/* Monotonic milliseconds, for latencies and timers. */
/* A relative path that stays inside its root: not empty, not absolute, no
 * "." or ".." component, no empty component, no control character or
 * backslash, at most 255 bytes. Archive members and task file names. */
int um_rel_path_safe(const char *name);
/* The index of s in list[0..n-1], or -1 (also for a NULL s). */
int um_str_index(char *const *list, int n, const char *s);

int64_t um_mono_ms(void);
/* Condition variables on the monotonic clock: init, and a wait of at most
 * ms milliseconds (spurious wake-ups are the caller's to handle). */
void um_cond_init_mono(pthread_cond_t *cv);
void um_cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int ms);
/* Wall-clock milliseconds since the epoch; SOURCE_DATE_EPOCH (seconds) wins
 * when it is set, so stored and signed times can be reproduced. */
int64_t um_wall_ms(void);

/* Deterministic randomness: splitmix64 seeding a xoshiro256** state. */
typedef struct um_rng {
	uint64_t s[4];
} um_rng;
void um_rng_seed(um_rng *r, uint64_t seed);
uint64_t um_rng_next(um_rng *r);
double um_rng_uniform(um_rng *r);              /* [0, 1) */
uint64_t um_rng_below(um_rng *r, uint64_t n);  /* [0, n), unbiased */
double um_rng_normal(um_rng *r);               /* standard normal */

/* 64-bit hash of bytes, for seeds derived from names (FNV-1a then mixed). */
uint64_t um_hash64(const void *data, size_t len, uint64_t seed);
uint64_t um_mix64(uint64_t x);

/* Strings. */
int um_streq(const char *a, const char *b); /* NULL-safe */
int um_has_prefix(const char *s, const char *prefix);
/* Trim ASCII whitespace in place; returns s. */
char *um_trim(char *s);

/* Process-wide one-time initialisation of libsodium and libcurl; safe to call
 * more than once. Returns 0 or -1 with err filled. */
int um_global_init(um_error *err);

#endif
