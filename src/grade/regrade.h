/*
 * regrade.h - re-grade a stored run without calling any model.
 *
 * Two uses: verification (`umpire verify BUNDLE`) re-derives every graded
 * attempt from its recorded transcript - the response body of the call that
 * ended it is parsed again, its text must equal the stored answer text, and
 * the scaffold's extractor must give the stored extraction and score - and
 * re-scoring (`umpire rescore`) applies another scaffold's extractor to the
 * stored answers to show how each system's score moves.
 */
#ifndef UMPIRE_REGRADE_H
#define UMPIRE_REGRADE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "load/scaffold.h"
#include "store/store.h"

typedef struct um_regrade_sys {
	char *name;
	size_t graded;            /* attempts with status done */
	size_t correct_stored;
	size_t correct_new;
	size_t changed;           /* attempts whose score changed */
} um_regrade_sys;

typedef struct um_regrade {
	size_t checked;           /* attempts re-graded */
	size_t mismatches;        /* differences found (verification) */
	size_t transcripts;       /* attempts whose transcript was re-parsed */
	size_t no_data;           /* judged attempts whose grader needs the reference
				   * answer, which the bundle left out (--include-data) */
	um_regrade_sys *systems;  /* in d->systems order */
	size_t n_systems;
	um_buf log;               /* one line per difference (first 100) */
	size_t rescores;          /* recorded rescores checked (regrade_rescores) */
	size_t rescore_calls;     /* their judge replies read again */
} um_regrade;

/* Re-grade every done attempt of d with scaffold sc. With st non-NULL the
 * transcripts (calls.response_body) are re-parsed too. Differences are
 * counted and logged, not errors; -1 only for failures to do the work. */
int regrade_run(um_store *st, const um_run_data *d, const um_scaffold *sc, um_regrade *out,
		um_error *err);
/* The same, reading the attempts of meta's run from st one at a time
 * (meta: store_load_run_meta; call inside store_read_begin): memory bounded
 * by the run's systems and items. transcripts: re-parse them too. */
int regrade_run_store(um_store *st, const um_run_data *meta, const um_scaffold *sc,
		      int transcripts, um_regrade *out, um_error *err);
void regrade_release(um_regrade *r);
/* Every recorded rescore of run_id (store schema 10) checked: the bytes of
 * the scaffold that named its judge against their sha256, each judge reply
 * read again (its provider's body, then the judge's format) to the stored
 * verdict and answer, its calls and their cost against the rescore's
 * totals. Differences are counted into r->mismatches and logged; -1 only
 * for failures to do the work. */
int regrade_rescores(um_store *st, const char *run_id, um_regrade *r, um_error *err);
/* The item of d with this id (d->items is ordered by item_id), or NULL. */
const um_item_rec *regrade_find_item(const um_run_data *d, const char *id);

#endif
