/*
 * match.h - short-answer grading without a model: normalised exact match
 * and numeric tolerance (exact-match questions such as Humanity's Last
 * Exam's, where a run chooses to grade them without a judge).
 *
 * Normalisation, in order: surrounding whitespace trimmed; one wrapping
 * \boxed{...}, $...$ or pair of quotes removed (repeatedly, innermost last);
 * runs of whitespace made one space; ASCII letters lower-cased; one trailing
 * '.' dropped. Nothing else (no Unicode folding, no word removal), so two
 * answers equal after it are equal as a reader would write them.
 */
#ifndef UMPIRE_MATCH_H
#define UMPIRE_MATCH_H

/* The normalised text of s (NULL counts as ""). Caller frees. */
char *match_normalise(const char *s);

/* 1 when the normalised texts are equal, else 0. */
int match_exact(const char *answer, const char *target);

/* Reads a whole normalised string as a number: optional sign, digits with
 * optional thousands commas (groups of three), decimal part, exponent, an
 * optional trailing '%' (kept as written: "50%" reads 50), or a fraction
 * p/q of two such numbers. Returns 1 and fills *out, or 0. */
int match_number(const char *s, double *out);

/* 1 when both read as numbers and |a - t| <= max(abs_tol, rel_tol * |t|);
 * 0 when they differ; -1 when the target is not a number (the item is
 * wrong, not the answer). An answer that is not a number scores 0. */
int match_numeric(const char *answer, const char *target, double rel_tol, double abs_tol);

#endif
