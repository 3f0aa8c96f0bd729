/*
 * similarity.h - the sequence-similarity ratio of Python's
 * difflib.SequenceMatcher(None, a, b).ratio(), over Unicode code points,
 * with its autojunk heuristic, and MRCR's grader built on it.
 *
 * The ratio is 2*M/T: M the total size of the matching blocks that difflib's
 * recursive longest-match decomposition finds, T the two lengths summed (1.0
 * when both are empty). Ties between equally long matches are broken exactly
 * as difflib breaks them (the earliest end in a, then the earliest in b), and
 * with b of 200 or more code points every code point occurring more than
 * len(b)/100 + 1 times in b is "popular" and starts no match (autojunk), so
 * the same pair of strings gives the same float as Python.
 *
 * Text is UTF-8; a byte that does not begin a valid sequence counts as one
 * element of its own (as Python's surrogateescape would decode it).
 */
#ifndef UMPIRE_SIMILARITY_H
#define UMPIRE_SIMILARITY_H

#include <stddef.h>

/* The ratio of a (alen bytes) and b (blen bytes), in [0, 1]. */
double similarity_ratio(const char *a, size_t alen, const char *b, size_t blen);

/* The number of matching elements M of the same decomposition, and the code
 * point counts of a and b (either pointer may be NULL). */
size_t similarity_matches(const char *a, size_t alen, const char *b, size_t blen,
			  size_t *na, size_t *nb);

/* MRCR's grade: 0 unless response starts with prefix; otherwise the ratio of
 * response and answer, each with one leading copy of prefix removed (the
 * answer keeps its text when it does not start with it). NULL counts as "". */
double similarity_mrcr(const char *response, const char *answer, const char *prefix);

#endif
