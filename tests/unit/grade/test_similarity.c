/*
 * test_similarity.c - difflib's SequenceMatcher ratio and MRCR's grade,
 * against values Python 3's difflib computed for the same inputs (small
 * literal pairs, and long pseudo-random strings from one LCG written in both
 * languages, with and without popular elements for autojunk).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "grade/similarity.h"

typedef struct small_case {
	const char *a, *b;
	size_t m, la, lb;
	double ratio;
} small_case;

/* print(sum(m.size for m in s.get_matching_blocks()), len(a), len(b), repr(s.ratio())) */
static const small_case smalls[] = {
	{"", "", 0, 0, 0, 1.0},
	{"abc", "", 0, 3, 0, 0.0},
	{"", "abc", 0, 0, 3, 0.0},
	{"abcd", "bcde", 3, 4, 4, 0.75},
	{"private Thread currentThread;", "private volatile Thread currentThread;", 29, 29, 38,
	 0.8656716417910447},
	{"qabxcd", "abycdf", 4, 6, 6, 0.6666666666666666},
	{"a b c d e", "abcde", 5, 9, 5, 0.7142857142857143},
	{"h\xc3\xa9llo w\xc3\xb6rld", "hello world", 9, 11, 11, 0.8181818181818182},
	{"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9"
	 "\xe3\x83\x88",
	 "\xe6\x97\xa5\xe6\x9c\xac\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88"
	 "\xe8\xaa\x9e",
	 7, 8, 8, 0.875},
	{"abab", "baba", 3, 4, 4, 0.75},
	{"aaaa", "aa", 2, 4, 2, 0.6666666666666666},
};

static void test_small(void **state)
{
	size_t i, la, lb;

	(void)state;
	for (i = 0; i < sizeof(smalls) / sizeof(smalls[0]); i++) {
		const small_case *c = &smalls[i];

		assert_int_equal(similarity_matches(c->a, strlen(c->a), c->b, strlen(c->b), &la, &lb),
				 c->m);
		assert_int_equal(la, c->la);
		assert_int_equal(lb, c->lb);
		assert_true(similarity_ratio(c->a, strlen(c->a), c->b, strlen(c->b)) == c->ratio);
	}
}

/* The LCG of the Python side:
 *   x = (x * 1103515245 + 12345) % 2**31; alpha[(x >> 16) % len(alpha)] */
static char *gen(uint64_t x, size_t n, const char *const *alpha, size_t na)
{
	size_t cap = n * 4 + 1, k = 0, i;
	char *out = um_xmalloc(cap);

	for (i = 0; i < n; i++) {
		const char *c;

		x = (x * 1103515245u + 12345u) % 2147483648u;
		c = alpha[(x >> 16) % na];
		memcpy(out + k, c, strlen(c));
		k += strlen(c);
	}
	out[k] = '\0';
	return out;
}

static const char *const *split_ascii(const char *s, size_t *n)
{
	static const char *cells[256];
	static char store[256][2];
	size_t i;

	for (i = 0; s[i]; i++) {
		store[i][0] = s[i];
		store[i][1] = '\0';
		cells[i] = store[i];
	}
	*n = i;
	return cells;
}

typedef struct gen_case {
	unsigned sa;
	size_t na;
	unsigned sb;
	size_t nb;
	const char *alpha;
	size_t m;
	double ratio;
} gen_case;

static void test_generated_ascii(void **state)
{
	/* G sa na sb nb alpha M ratio, from SequenceMatcher(None, gen(sa, na), gen(sb, nb)) */
	static const gen_case cases[] = {
		{1, 150, 2, 150, "ab", 72, 0.48},
		{3, 250, 4, 260, "abcde", 1, 0.00392156862745098},
		{5, 1000, 6, 900, "abcdefghij klmnop", 1, 0.0010526315789473684},
		{7, 3000, 8, 3000, " etaoinshrdlu", 0, 0.0},
		{11, 400, 11, 400, "xyz", 400, 1.0},
	};
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const *al = split_ascii(cases[i].alpha, &n);
		char *a = gen(cases[i].sa, cases[i].na, al, n);
		char *b = gen(cases[i].sb, cases[i].nb, al, n);

		assert_int_equal(similarity_matches(a, strlen(a), b, strlen(b), NULL, NULL),
				 cases[i].m);
		assert_true(similarity_ratio(a, strlen(a), b, strlen(b)) == cases[i].ratio);
		free(a);
		free(b);
	}
}

/* Greek and ASCII: code points, not bytes ("αβγδε abc", 600 vs 700, M 0). */
static void test_generated_unicode(void **state)
{
	static const char *const al[] = {"\xce\xb1", "\xce\xb2", "\xce\xb3", "\xce\xb4", "\xce\xb5",
					 " ", "a", "b", "c"};
	char *a = gen(9, 600, al, 9), *b = gen(10, 700, al, 9);
	size_t la, lb;

	(void)state;
	assert_int_equal(similarity_matches(a, strlen(a), b, strlen(b), &la, &lb), 0);
	assert_int_equal(la, 600);
	assert_int_equal(lb, 700);
	free(a);
	free(b);
}

/* Mixed popularity: alpha = "e"*40 + " "*40 + "t"*20 + chr(0x100 .. 0x195);
 * a = gen(sa, n); b = a[k:] + gen(sb, m) + a[:k]. Python's M with autojunk
 * (and without, to show the heuristic matters). */
static void test_autojunk(void **state)
{
	static const struct {
		unsigned sa;
		size_t n, k;
		unsigned sb;
		size_t m, matches, la, lb;
		double ratio;
	} cases[] = {
		{21, 500, 120, 22, 60, 380, 500, 560, 0.7169811320754716},
		{23, 3000, 1000, 24, 300, 1000, 3000, 3300, 0.31746031746031744}, /* 2000 without */
		{25, 8000, 2500, 26, 50, 5500, 8000, 8050, 0.6853582554517134},
		{27, 199, 50, 28, 10, 50, 199, 209, 0.24509803921568626}, /* 149 without */
		{29, 200, 50, 30, 10, 150, 200, 210, 0.7317073170731707},
	};
	static const char *al[250];
	static char rare[150][3];
	size_t i, j, la, lb;

	(void)state;
	for (j = 0; j < 40; j++)
		al[j] = "e", al[40 + j] = " ";
	for (j = 0; j < 20; j++)
		al[80 + j] = "t";
	for (j = 0; j < 150; j++) {
		unsigned cp = 0x100 + (unsigned)j;
		rare[j][0] = (char)(0xC0 | (cp >> 6));
		rare[j][1] = (char)(0x80 | (cp & 0x3F));
		rare[j][2] = '\0';
		al[100 + j] = rare[j];
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *a = gen(cases[i].sa, cases[i].n, al, 250);
		char *mid = gen(cases[i].sb, cases[i].m, al, 250);
		/* the first k code points of a: a's ASCII cells are 1 byte, rare 2 */
		size_t cut = 0, cps = 0, alen = strlen(a);
		char *b;

		while (cps < cases[i].k) {
			cut += ((unsigned char)a[cut] < 0x80) ? 1 : 2;
			cps++;
		}
		b = um_xmalloc(alen + strlen(mid) + 1);
		memcpy(b, a + cut, alen - cut);
		memcpy(b + alen - cut, mid, strlen(mid));
		memcpy(b + alen - cut + strlen(mid), a, cut);
		b[alen + strlen(mid)] = '\0';
		assert_int_equal(similarity_matches(a, alen, b, strlen(b), &la, &lb),
				 cases[i].matches);
		assert_int_equal(la, cases[i].la);
		assert_int_equal(lb, cases[i].lb);
		assert_true(similarity_ratio(a, alen, b, strlen(b)) == cases[i].ratio);
		free(a);
		free(mid);
		free(b);
	}
}

static void test_invalid_utf8(void **state)
{
	size_t la, lb;

	(void)state;
	/* each stray byte is one element: "\xff" x3 against "\xffa" */
	assert_int_equal(similarity_matches("\xff\xff\xff", 3, "\xff" "a", 2, &la, &lb), 1);
	assert_int_equal(la, 3);
	assert_int_equal(lb, 2);
	/* a truncated sequence is not merged with what follows */
	assert_int_equal(similarity_matches("\xc3", 1, "\xc3\xa9", 2, &la, &lb), 0);
	assert_int_equal(lb, 1);
}

static void test_mrcr(void **state)
{
	(void)state;
	/* grade() of openai/mrcr, computed with Python */
	assert_true(similarity_mrcr("x1Y2the poem", "x1Y2the poems", "x1Y2") == 0.9411764705882353);
	assert_true(similarity_mrcr("the poem", "x1Y2the poem", "x1Y2") == 0.0);
	assert_true(similarity_mrcr("x1Y2", "x1Y2", "x1Y2") == 1.0);
	assert_true(similarity_mrcr(NULL, "", "") == 1.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small),         cmocka_unit_test(test_generated_ascii),
		cmocka_unit_test(test_generated_unicode), cmocka_unit_test(test_autojunk),
		cmocka_unit_test(test_invalid_utf8),  cmocka_unit_test(test_mrcr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
