/*
 * redact.c - the process's secrets and their removal from text (redact.h).
 * The list is short (one key per provider), so a scan per secret is fine.
 */
#include "base/redact.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"

#define REDACT_MAX 256

static pthread_mutex_t redact_mu = PTHREAD_MUTEX_INITIALIZER;
static char *redact_secrets[REDACT_MAX];
static size_t redact_n;

int redact_add(const char *secret)
{
	size_t i;
	int added = 0;

	if (!secret || strlen(secret) < REDACT_MIN_LEN)
		return 0;
	pthread_mutex_lock(&redact_mu);
	for (i = 0; i < redact_n; i++)
		if (strcmp(redact_secrets[i], secret) == 0)
			break;
	if (i == redact_n && redact_n < REDACT_MAX) {
		redact_secrets[redact_n++] = um_xstrdup(secret);
		added = 1;
	}
	pthread_mutex_unlock(&redact_mu);
	return added;
}

size_t redact_count(void)
{
	size_t n;

	pthread_mutex_lock(&redact_mu);
	n = redact_n;
	pthread_mutex_unlock(&redact_mu);
	return n;
}

/* The first occurrence of any secret at or after p (end: one past the last
 * byte), its length in *len; NULL when none. Called with the lock held. */
static const char *redact_find(const char *p, const char *end, size_t *len)
{
	const char *best = NULL;
	size_t i;

	for (i = 0; i < redact_n; i++) {
		size_t n = strlen(redact_secrets[i]);
		const char *hit;

		if ((size_t)(end - p) < n)
			continue;
		hit = memmem(p, (size_t)(end - p), redact_secrets[i], n);
		if (hit && (!best || hit < best || (hit == best && n > *len))) {
			best = hit;
			*len = n;
		}
	}
	return best;
}

char *redact_copy(const char *s, size_t len, size_t *out_len)
{
	const char *p = s, *end = s + len, *hit;
	size_t n = 0;
	um_buf b;

	if (!s)
		return NULL;
	pthread_mutex_lock(&redact_mu);
	hit = redact_n ? redact_find(p, end, &n) : NULL;
	if (!hit) {
		pthread_mutex_unlock(&redact_mu);
		return NULL;
	}
	um_buf_init(&b, 0);
	while (hit) {
		um_buf_append(&b, p, (size_t)(hit - p));
		um_buf_puts(&b, REDACT_MARK);
		p = hit + n;
		hit = redact_find(p, end, &n);
	}
	um_buf_append(&b, p, (size_t)(end - p));
	pthread_mutex_unlock(&redact_mu);
	if (out_len)
		*out_len = b.len;
	return um_buf_detach(&b);
}

void redact_in_place(char *s, size_t cap)
{
	size_t n;
	char *r;

	if (!s || !cap)
		return;
	r = redact_copy(s, strlen(s), &n);
	if (!r)
		return;
	if (n >= cap)
		n = cap - 1;
	memcpy(s, r, n);
	s[n] = '\0';
	free(r);
}

void redact_clear(void)
{
	size_t i;

	pthread_mutex_lock(&redact_mu);
	for (i = 0; i < redact_n; i++)
		free(redact_secrets[i]);
	redact_n = 0;
	pthread_mutex_unlock(&redact_mu);
}
