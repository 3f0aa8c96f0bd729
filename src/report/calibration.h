/*
 * calibration.h - calibration error of stated confidences, as Humanity's
 * Last Exam computes it (its run_judge_results.py calib_err with p = '2',
 * beta = 100): items sorted by confidence (0..1), cut into bins of beta
 * items (the last bin taking the remainder), and the root of the
 * size-weighted mean squared gap between each bin's mean confidence and its
 * accuracy. As that script does, the last bin is left out of the sum (its
 * loop stops one bin early) while the weights still divide by every item;
 * this is kept so the number compares with published ones, and said where
 * the report gives it. Ties in confidence keep the items' order (numpy's
 * argsort leaves their order unspecified, so a bin edge inside a tie may
 * differ from a given numpy run).
 */
#ifndef UMPIRE_CALIBRATION_H
#define UMPIRE_CALIBRATION_H

#include <stddef.h>

/* conf[i] in 0..1, correct[i] 0 or 1. NAN when n < beta (the script fails
 * there) or beta is 0. */
double calibration_error(const double *conf, const int *correct, size_t n, size_t beta);

#endif
