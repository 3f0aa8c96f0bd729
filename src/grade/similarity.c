/*
 * similarity.c - difflib.SequenceMatcher's ratio over code points (see
 * similarity.h), written from the algorithm Python documents: the b2j index
 * of b with popular elements purged, find_longest_match by dynamic
 * programming over a, extended over equal neighbours, and the
 * matching-blocks recursion on both sides of each longest match.
 */
#include "grade/similarity.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* One code point from s[*i..n); invalid bytes become 0xDC00 + byte. */
static uint32_t utf8_next(const unsigned char *s, size_t n, size_t *i)
{
	unsigned char c = s[*i];
	uint32_t cp, min;
	size_t len, k;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2, cp = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3, cp = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4, cp = c & 0x07, min = 0x10000;
	} else {
		(*i)++;
		return 0xDC00u + c;
	}
	if (*i + len > n) {
		(*i)++;
		return 0xDC00u + c;
	}
	for (k = 1; k < len; k++) {
		if ((s[*i + k] & 0xC0) != 0x80) {
			(*i)++;
			return 0xDC00u + c;
		}
		cp = (cp << 6) | (s[*i + k] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
		(*i)++;
		return 0xDC00u + c;
	}
	*i += len;
	return cp;
}

static uint32_t *decode(const char *s, size_t n, size_t *out_n)
{
	uint32_t *v = um_xmalloc((n ? n : 1) * sizeof(*v));
	size_t i = 0, k = 0;

	while (i < n)
		v[k++] = utf8_next((const unsigned char *)s, n, &i);
	*out_n = k;
	return v;
}

typedef struct pos {
	uint32_t cp;
	size_t j;
} pos;

typedef struct matcher {
	const uint32_t *a, *b;
	size_t la, lb;
	pos *idx;      /* b's (code point, position) sorted: b2j flattened */
	long *afirst;  /* per i of a: first entry of a[i] in idx, -1 if none or popular */
	size_t *acount;
	size_t *prev, *cur; /* j2len, indexed j + 1 */
	size_t *tprev, *tcur;
	size_t ntprev, ntcur;
} matcher;

static int pos_cmp(const void *x, const void *y)
{
	const pos *p = x, *q = y;

	if (p->cp != q->cp)
		return p->cp < q->cp ? -1 : 1;
	return p->j < q->j ? -1 : p->j > q->j;
}

/* b2j with autojunk: a code point occurring more than lb/100 + 1 times in a
 * b of 200 or more elements indexes nothing. */
static void matcher_index(matcher *m)
{
	size_t j, i, run, ntest = m->lb / 100 + 1;

	m->idx = um_xmalloc((m->lb ? m->lb : 1) * sizeof(*m->idx));
	for (j = 0; j < m->lb; j++)
		m->idx[j] = (pos){m->b[j], j};
	qsort(m->idx, m->lb, sizeof(*m->idx), pos_cmp);
	m->afirst = um_xmalloc((m->la ? m->la : 1) * sizeof(*m->afirst));
	m->acount = um_xcalloc(m->la ? m->la : 1, sizeof(*m->acount));
	for (i = 0; i < m->la; i++) {
		size_t lo = 0, hi = m->lb;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (m->idx[mid].cp < m->a[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		m->afirst[i] = -1;
		if (lo == m->lb || m->idx[lo].cp != m->a[i])
			continue;
		for (run = 0; lo + run < m->lb && m->idx[lo + run].cp == m->a[i]; run++)
			;
		if (m->lb >= 200 && run > ntest)
			continue;
		m->afirst[i] = (long)lo;
		m->acount[i] = run;
	}
}

static void clear_prev(matcher *m)
{
	size_t t;
	size_t *sw;

	for (t = 0; t < m->ntprev; t++)
		m->prev[m->tprev[t]] = 0;
	m->ntprev = 0;
	sw = m->prev, m->prev = m->cur, m->cur = sw;
	sw = m->tprev, m->tprev = m->tcur, m->tcur = sw;
	m->ntprev = m->ntcur;
	m->ntcur = 0;
}

/* difflib's find_longest_match(alo, ahi, blo, bhi) with no junk function. */
static void longest(matcher *m, size_t alo, size_t ahi, size_t blo, size_t bhi, size_t *bi,
		    size_t *bj, size_t *bk)
{
	size_t besti = alo, bestj = blo, bestsize = 0, i, e;

	for (i = alo; i < ahi; i++) {
		if (m->afirst[i] >= 0) {
			for (e = (size_t)m->afirst[i]; e < (size_t)m->afirst[i] + m->acount[i]; e++) {
				size_t j = m->idx[e].j, k;

				if (j < blo)
					continue;
				if (j >= bhi)
					break;
				k = m->prev[j] + 1;
				m->cur[j + 1] = k;
				m->tcur[m->ntcur++] = j + 1;
				if (k > bestsize) {
					besti = i + 1 - k;
					bestj = j + 1 - k;
					bestsize = k;
				}
			}
		}
		clear_prev(m);
	}
	clear_prev(m);
	while (besti > alo && bestj > blo && m->a[besti - 1] == m->b[bestj - 1])
		besti--, bestj--, bestsize++;
	while (besti + bestsize < ahi && bestj + bestsize < bhi &&
	       m->a[besti + bestsize] == m->b[bestj + bestsize])
		bestsize++;
	*bi = besti, *bj = bestj, *bk = bestsize;
}

typedef struct span {
	size_t alo, ahi, blo, bhi;
} span;

static size_t matcher_total(matcher *m)
{
	size_t cap = 64, n = 0, total = 0;
	span *q = um_xmalloc(cap * sizeof(*q));

	q[n++] = (span){0, m->la, 0, m->lb};
	while (n) {
		span s = q[--n];
		size_t i, j, k;

		longest(m, s.alo, s.ahi, s.blo, s.bhi, &i, &j, &k);
		if (!k)
			continue;
		total += k;
		if (n + 2 > cap) {
			cap *= 2;
			q = um_xrealloc(q, cap * sizeof(*q));
		}
		if (s.alo < i && s.blo < j)
			q[n++] = (span){s.alo, i, s.blo, j};
		if (i + k < s.ahi && j + k < s.bhi)
			q[n++] = (span){i + k, s.ahi, j + k, s.bhi};
	}
	free(q);
	return total;
}

size_t similarity_matches(const char *a, size_t alen, const char *b, size_t blen, size_t *na,
			  size_t *nb)
{
	matcher m;
	uint32_t *va, *vb;
	size_t total;

	memset(&m, 0, sizeof(m));
	va = decode(a ? a : "", a ? alen : 0, &m.la);
	vb = decode(b ? b : "", b ? blen : 0, &m.lb);
	m.a = va, m.b = vb;
	matcher_index(&m);
	m.prev = um_xcalloc(m.lb + 1, sizeof(size_t));
	m.cur = um_xcalloc(m.lb + 1, sizeof(size_t));
	m.tprev = um_xmalloc((m.lb + 1) * sizeof(size_t));
	m.tcur = um_xmalloc((m.lb + 1) * sizeof(size_t));
	total = matcher_total(&m);
	if (na)
		*na = m.la;
	if (nb)
		*nb = m.lb;
	free(m.idx);
	free(m.afirst);
	free(m.acount);
	free(m.prev);
	free(m.cur);
	free(m.tprev);
	free(m.tcur);
	free(va);
	free(vb);
	return total;
}

double similarity_ratio(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t na, nb, mt = similarity_matches(a, alen, b, blen, &na, &nb);

	if (na + nb == 0)
		return 1.0;
	return 2.0 * (double)mt / (double)(na + nb);
}

double similarity_mrcr(const char *response, const char *answer, const char *prefix)
{
	size_t pl;

	response = response ? response : "";
	answer = answer ? answer : "";
	prefix = prefix ? prefix : "";
	pl = strlen(prefix);
	if (strncmp(response, prefix, pl) != 0)
		return 0.0;
	response += pl;
	if (strncmp(answer, prefix, pl) == 0)
		answer += pl;
	return similarity_ratio(response, strlen(response), answer, strlen(answer));
}
