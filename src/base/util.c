/*
 * util.c - allocation, files, hashes, clocks and the seeded generator.
 */
#define _POSIX_C_SOURCE 200809L
#include "base/util.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(((um_sha256 *)0)->state),
	       "um_sha256 state too small");

static void oom(size_t n)
{
	fprintf(stderr, "umpire: out of memory (%zu bytes)\n", n);
	abort();
}

void *um_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *um_xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		oom(count * size);
	return p;
}

void *um_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

void um_xgrow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c;

	if (need <= *cap)
		return;
	c = *cap ? *cap : 8;
	while (c < need)
		c *= 2;
	if (size && c > SIZE_MAX / size)
		oom(SIZE_MAX);
	*p = um_xrealloc(*p, c * size);
	*cap = c;
}

char *um_xstrdup(const char *s)
{
	return s ? um_xstrndup(s, strlen(s)) : NULL;
}

char *um_xstrndup(const char *s, size_t n)
{
	char *p;

	if (!s)
		return NULL;
	p = um_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *um_xasprintf(const char *fmt, ...)
{
	va_list ap, ap2;
	int n;
	char *p;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	p = um_xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

int um_read_file(const char *path, char **data, size_t *len, um_error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return um_fail(err, UM_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	for (;;) {
		size_t got;
		um_xgrow((void **)&buf, &cap, n + 65536 + 1, 1);
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno;
		fclose(f);
		free(buf);
		return um_fail(err, UM_ERR_IO, "%s: read error: %s", path, strerror(e));
	}
	fclose(f);
	buf[n] = '\0';
	*data = buf;
	if (len)
		*len = n;
	return 0;
}

int um_write_file(const char *path, const void *data, size_t len, int mode,
		  um_error *err)
{
	char *tmp = um_xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
	const char *p = data;
	size_t left = len;

	if (fd < 0) {
		um_fail(err, UM_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			um_fail(err, UM_ERR_IO, "%s: write error: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			free(tmp);
			return -1;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		um_fail(err, UM_ERR_IO, "%s: cannot flush: %s", tmp, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		um_fail(err, UM_ERR_IO, "%s: cannot rename into place: %s", path,
			strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

int um_mkdir_p(const char *path, um_error *err)
{
	char *p = um_xstrdup(path);
	size_t i, n = strlen(p);

	for (i = 1; i <= n; i++) {
		if (p[i] == '/' || p[i] == '\0') {
			char c = p[i];
			p[i] = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST) {
				um_fail(err, UM_ERR_IO, "%s: cannot create directory: %s", p,
					strerror(errno));
				free(p);
				return -1;
			}
			p[i] = c;
		}
	}
	free(p);
	return 0;
}

char *um_path_relative_to(const char *base_file, const char *rel)
{
	const char *slash;

	if (!rel)
		return NULL;
	if (rel[0] == '/' || !base_file)
		return um_xstrdup(rel);
	slash = strrchr(base_file, '/');
	if (!slash)
		return um_xstrdup(rel);
	return um_xasprintf("%.*s/%s", (int)(slash - base_file), base_file, rel);
}

static void hex(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

/* One-shot hashes (request bodies, several per attempt) go through
 * OpenSSL, which uses the CPU's SHA instructions where there are some; the
 * digest is fetched once. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void um_sha256_raw(const void *data, size_t len, unsigned char out[32])
{
	pthread_once(&sha256_once, sha256_fetch);
	if (!sha256_md || !EVP_Digest(data, len, out, NULL, sha256_md, NULL))
		crypto_hash_sha256(out, data, len);
}

void um_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char d[crypto_hash_sha256_BYTES];

	um_sha256_raw(data, len, d);
	hex(d, sizeof(d), out);
}

void um_sha256_init(um_sha256 *h)
{
	pthread_once(&sha256_once, sha256_fetch);
	h->evp = sha256_md ? EVP_MD_CTX_new() : NULL;
	if (h->evp && !EVP_DigestInit_ex(h->evp, sha256_md, NULL)) {
		EVP_MD_CTX_free(h->evp);
		h->evp = NULL;
	}
	crypto_hash_sha256_init((crypto_hash_sha256_state *)(void *)h->state);
}

void um_sha256_update(um_sha256 *h, const void *data, size_t len)
{
	if (h->evp) {
		if (!EVP_DigestUpdate(h->evp, data, len))
			abort(); /* OpenSSL failing half-way through has no fallback */
		return;
	}
	crypto_hash_sha256_update((crypto_hash_sha256_state *)(void *)h->state, data, len);
}

void um_sha256_final_hex(um_sha256 *h, char out[65])
{
	unsigned char d[crypto_hash_sha256_BYTES];
	unsigned int n = 0;

	if (h->evp) {
		if (!EVP_DigestFinal_ex(h->evp, d, &n) || n != sizeof(d))
			abort();
	} else {
		crypto_hash_sha256_final((crypto_hash_sha256_state *)(void *)h->state, d);
	}
	um_sha256_release(h);
	hex(d, sizeof(d), out);
}

void um_sha256_release(um_sha256 *h)
{
	EVP_MD_CTX_free(h->evp);
	h->evp = NULL;
}

int64_t um_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t um_wall_ms(void)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	struct timespec ts;

	if (sde && *sde) {
		char *end;
		long long v = strtoll(sde, &end, 10);
		if (*end == '\0' && v >= 0)
			return (int64_t)v * 1000;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t um_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t um_hash64(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL ^ um_mix64(seed);
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return um_mix64(h);
}

void um_rng_seed(um_rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++) {
		seed = um_mix64(seed);
		r->s[i] = seed;
	}
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 1;
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t um_rng_next(um_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double um_rng_uniform(um_rng *r)
{
	return (double)(um_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t um_rng_below(um_rng *r, uint64_t n)
{
	uint64_t x, limit;

	if (n == 0)
		return 0;
	limit = UINT64_MAX - UINT64_MAX % n;
	do {
		x = um_rng_next(r);
	} while (x >= limit);
	return x % n;
}

double um_rng_normal(um_rng *r)
{
	/* Box-Muller; one value per call keeps the stream simple to reason about. */
	double u1 = um_rng_uniform(r), u2 = um_rng_uniform(r);

	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

int um_streq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

int um_has_prefix(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

char *um_trim(char *s)
{
	char *start = s, *end;

	while (*start && isspace((unsigned char)*start))
		start++;
	end = start + strlen(start);
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	if (start != s)
		memmove(s, start, (size_t)(end - start) + 1);
	return s;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

static void do_init(void)
{
	if (sodium_init() < 0)
		init_rc = 1;
	else if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		init_rc = 2;
}

int um_global_init(um_error *err)
{
	pthread_once(&init_once, do_init);
	if (init_rc == 1)
		return um_fail(err, UM_ERR_INTERNAL, "libsodium failed to initialise");
	if (init_rc == 2)
		return um_fail(err, UM_ERR_INTERNAL, "libcurl failed to initialise");
	return 0;
}

void um_cond_init_mono(pthread_cond_t *cv)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
}

void um_cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(cv, mu, &ts);
}

int um_rel_path_safe(const char *name)
{
	const char *p = name;

	if (!name || !*name || name[0] == '/' || strlen(name) > 255)
		return 0;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t l = slash ? (size_t)(slash - p) : strlen(p);
		if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (!slash)
			break;
		p = slash + 1;
	}
	for (p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '\\')
			return 0;
	return 1;
}

int um_str_index(char *const *list, int n, const char *s)
{
	int i;

	if (!s)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return i;
	return -1;
}

size_t um_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t v;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
	if (!len || s[0] > 0xF4 || len > n)
		return 0;
	v = s[0] & (0x7Fu >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3Fu);
	}
	if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
	    (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return len;
}
