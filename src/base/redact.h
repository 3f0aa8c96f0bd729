/*
 * redact.h - the secrets of this process and their removal from text.
 *
 * A secret is the value of an environment variable that models.yaml names
 * in api_key_env (registered by the models loader when it reads the file),
 * or anything else a caller registers. Every writer that lets text leave
 * the process passes it through here first: the store binds every text and
 * blob it writes through redact_copy (so the store, the reports made from
 * it and the bundles holding it never see a key), and the command line
 * redacts each message it prints. The registry is process-wide on purpose:
 * a key is secret in every output of the process, whichever run or server
 * loaded it. It is protected by a mutex (the proxy's threads write too).
 */
#ifndef UMPIRE_REDACT_H
#define UMPIRE_REDACT_H

#include <stddef.h>

/* Secrets shorter than this are not registered: redacting "abc" from every
 * output would mangle it and protect nothing. */
#define REDACT_MIN_LEN 6
#define REDACT_MARK "[REDACTED]"

/* Register a secret (copied). Returns 1 when registered, 0 when ignored
 * (too short, or already known). */
int redact_add(const char *secret);
/* How many secrets are registered. */
size_t redact_count(void);
/* A copy of s[0..len) with every registered secret replaced by
 * REDACT_MARK, NUL-terminated, its length in *out_len; NULL when no secret
 * occurs (use s as it is). Caller frees. */
char *redact_copy(const char *s, size_t len, size_t *out_len);
/* Redact a NUL-terminated string in a buffer of cap bytes, in place (cut at
 * cap - 1 if the marks make it longer). */
void redact_in_place(char *s, size_t cap);
/* Forget every secret (tests). */
void redact_clear(void);

#endif
