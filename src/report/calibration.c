/*
 * calibration.c - HLE's binned RMS calibration error (see calibration.h).
 */
#include "report/calibration.h"

#include <math.h>
#include <stdlib.h>

#include "base/util.h"

typedef struct cpair {
	double conf;
	int correct;
	size_t at;
} cpair;

static int cpair_cmp(const void *x, const void *y)
{
	const cpair *p = x, *q = y;

	if (p->conf != q->conf)
		return p->conf < q->conf ? -1 : 1;
	return p->at < q->at ? -1 : p->at > q->at;
}

double calibration_error(const double *conf, const int *correct, size_t n, size_t beta)
{
	cpair *v;
	size_t i, b, nbins;
	double cerr = 0;

	if (beta == 0 || n < beta)
		return NAN;
	v = um_xmalloc(n * sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = (cpair){conf[i], correct[i] != 0, i};
	qsort(v, n, sizeof(*v), cpair_cmp);
	nbins = n / beta;
	/* bins 0 .. nbins-2 of beta items each; the last (with the remainder) is
	 * not summed, as in the script */
	for (b = 0; b + 1 < nbins; b++) {
		double sc = 0, sk = 0, d;

		for (i = b * beta; i < (b + 1) * beta; i++) {
			sc += v[i].conf;
			sk += v[i].correct;
		}
		d = fabs(sc / (double)beta - sk / (double)beta);
		cerr += (double)beta / (double)n * d * d;
	}
	free(v);
	return sqrt(cerr);
}
