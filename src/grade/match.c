/*
 * match.c - normalised exact match and numeric tolerance (see match.h).
 */
#include "grade/match.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Trims s[*lo..*hi) and peels one wrapper; returns 1 when it peeled one. */
static int peel(const char *s, size_t *lo, size_t *hi)
{
	size_t n;

	while (*lo < *hi && is_ws(s[*lo]))
		(*lo)++;
	while (*hi > *lo && is_ws(s[*hi - 1]))
		(*hi)--;
	n = *hi - *lo;
	if (n >= 8 && strncmp(s + *lo, "\\boxed{", 7) == 0 && s[*hi - 1] == '}') {
		*lo += 7, *hi -= 1;
		return 1;
	}
	if (n >= 2 && ((s[*lo] == '$' && s[*hi - 1] == '$') ||
		       (s[*lo] == '"' && s[*hi - 1] == '"') ||
		       (s[*lo] == '\'' && s[*hi - 1] == '\''))) {
		*lo += 1, *hi -= 1;
		return 1;
	}
	return 0;
}

char *match_normalise(const char *s)
{
	size_t lo = 0, hi, i, k = 0;
	char *out;
	int space = 0;

	s = s ? s : "";
	hi = strlen(s);
	while (peel(s, &lo, &hi))
		;
	out = um_xmalloc(hi - lo + 1);
	for (i = lo; i < hi; i++) {
		if (is_ws(s[i])) {
			space = 1;
			continue;
		}
		if (space && k)
			out[k++] = ' ';
		space = 0;
		out[k++] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i]);
	}
	if (k && out[k - 1] == '.')
		k--;
	out[k] = '\0';
	return out;
}

int match_exact(const char *answer, const char *target)
{
	char *a = match_normalise(answer), *t = match_normalise(target);
	int eq = strcmp(a, t) == 0;

	free(a);
	free(t);
	return eq;
}

/* One decimal number at s; the end in *end. Commas only as thousands
 * separators between groups of exactly three digits. */
static int read_decimal(const char *s, const char **end, double *out)
{
	char buf[128];
	size_t k = 0, lead = 0, grp = 0;
	int comma = 0;
	const char *p = s;
	char *e;

	if (*p == '+' || *p == '-')
		buf[k++] = *p++;
	while (isdigit((unsigned char)*p) || (*p == ',' && lead)) {
		if (*p == ',') {
			if (comma ? grp != 3 : grp > 3)
				return 0;
			comma = 1, grp = 0;
			p++;
			continue;
		}
		if (k + 1 >= sizeof(buf))
			return 0;
		buf[k++] = *p++;
		lead++, grp++;
	}
	if (comma && grp != 3)
		return 0;
	if (*p == '.') {
		buf[k++] = *p++;
		while (isdigit((unsigned char)*p) && k + 1 < sizeof(buf)) {
			buf[k++] = *p++;
			lead++;
		}
	}
	if (!lead)
		return 0;
	if ((*p == 'e' || *p == 'E') &&
	    (isdigit((unsigned char)p[1]) ||
	     ((p[1] == '-' || p[1] == '+') && isdigit((unsigned char)p[2])))) {
		buf[k++] = *p++;
		if (*p == '-' || *p == '+')
			buf[k++] = *p++;
		while (isdigit((unsigned char)*p) && k + 1 < sizeof(buf))
			buf[k++] = *p++;
	}
	if (isdigit((unsigned char)*p))
		return 0;
	buf[k] = '\0';
	*out = strtod(buf, &e);
	if (*e || !isfinite(*out))
		return 0;
	*end = p;
	return 1;
}

int match_number(const char *s, double *out)
{
	const char *end;
	double v, q;

	if (!s || !read_decimal(s, &end, &v))
		return 0;
	if (*end == '%' && end[1] == '\0') {
		*out = v;
		return 1;
	}
	if (*end == '/') {
		if (!read_decimal(end + 1, &end, &q) || *end || q == 0)
			return 0;
		*out = v / q;
		return 1;
	}
	if (*end)
		return 0;
	*out = v;
	return 1;
}

int match_numeric(const char *answer, const char *target, double rel_tol, double abs_tol)
{
	char *a = match_normalise(answer), *t = match_normalise(target);
	double x, y, tol;
	int ok_t = match_number(t, &y), ok_a = match_number(a, &x);

	free(a);
	free(t);
	if (!ok_t)
		return -1;
	if (!ok_a)
		return 0;
	tol = rel_tol * fabs(y);
	if (abs_tol > tol)
		tol = abs_tol;
	return fabs(x - y) <= tol;
}
