/*
 * charxiv.h - import CharXiv's reasoning questions (its public JSON release:
 * data/reasoning_{val,test}.json, data/image_metadata_{val,test}.json and
 * images/<figure_id>.jpg; docs/import-charxiv.md) into a suite whose items
 * carry their chart.
 *
 * Each entry {figure_id, query, answer, inst_category (1 text in chart, 2
 * text in general, 3 number in chart, 4 number in general), qa_source}
 * becomes one JSONL row keeping those fields, plus the image path (relative
 * to the JSONL file) and, for the multiple-choice form written now (kind
 * mcq: CharXiv's own grading is a judge model, not yet a kind of umpire's),
 * up to three incorrect choices: other answers of the same instruction
 * category, drawn by a seeded hash, never equal to the answer after
 * trimming and case folding. The suite YAML names the JSONL, pinned by its
 * sha256. The judged form (opts.judged) writes only the suite YAML: kind
 * judged, format charxiv on the release file itself, pinned by its sha256,
 * graded by the judge of scaffolds/charxiv-reasoning.yaml.
 */
#ifndef UMPIRE_CHARXIV_H
#define UMPIRE_CHARXIV_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define CHARXIV_MAX_BYTES ((size_t)256 << 20) /* a JSON file of the release */
#define CHARXIV_DEFAULT_NAME "charxiv-reasoning-mcq"
#define CHARXIV_DEFAULT_SCAFFOLD "../scaffolds/mcq.yaml"
#define CHARXIV_JUDGED_NAME "charxiv-reasoning"
#define CHARXIV_JUDGED_SCAFFOLD "../scaffolds/charxiv-reasoning.yaml"
#define CHARXIV_SEED 20240626 /* CharXiv's arXiv date; distractor draw and suite seed */

typedef struct charxiv_opts {
	const char *source;     /* the CharXiv checkout (holds data/ and images/), or the
				 * reasoning JSON itself (images/ beside its directory) */
	const char *split;      /* val (default) | test */
	const char *images_dir; /* NULL: <checkout>/images */
	const char *suite_path; /* the suite YAML to write */
	const char *data_path;  /* NULL: <suite dir>/<name>.jsonl */
	const char *name;       /* NULL: CHARXIV_DEFAULT_NAME */
	const char *scaffold;   /* `scaffold:` as written; NULL: CHARXIV_DEFAULT_SCAFFOLD */
	int n_choices;          /* 2..5 (default 4): the correct answer and n - 1 others */
	int judged;             /* 1: the judged form: a suite of kind judged that reads the
				 * release file itself (format charxiv), pinned; no JSONL */
} charxiv_opts;

typedef struct charxiv_result {
	size_t n_items;
	size_t by_category[4];  /* per inst_category */
	size_t n_short;         /* items with fewer choices than asked (small pools) */
	char *data_path;        /* the JSONL written (judged: the release file read) */
	char sha256[65];        /* of its bytes */
} charxiv_result;

/* Import. Every entry is checked before anything is written; a bad one
 * stops the import with "file:line: entry "K": why" (UM_ERR_INVALID; a
 * JSON syntax error UM_ERR_SYNTAX with its column), a missing file is
 * UM_ERR_IO. The test split's answers are withheld (null) by CharXiv and
 * are refused: there is nothing to grade against. */
int charxiv_import(const charxiv_opts *o, charxiv_result *r, um_error *err);
void charxiv_result_release(charxiv_result *r);

#endif
