/*
 * sweimport.h - import SWE-Bench Pro instances into a umpire suite of kind
 * swe, and normalise model predictions (patches) published for them.
 *
 * Instances: the public SWE-Bench Pro JSONL (one JSON object a line, the
 * dataset's own field names; docs/import-swe.md has the mapping). Each
 * instance becomes a task directory (problem statement, requirements and
 * interface as files, gold.patch, test.patch, a NOTE.md) and an entry in a
 * suite YAML of kind swe. The repositories and their test environments live
 * only in the dataset's container images, so every task is written with its
 * `image:` (graded there by the official profile under docker or podman);
 * a row without an image is written `unsupported: "needs container image
 * ..."`; nothing is dropped.
 *
 * The Python-literal list strings of the dataset (fail_to_pass, pass_to_pass,
 * selected_test_files_to_run) are read with swe_parse_name_list (swe_grade.h);
 * JSON arrays are accepted as well.
 *
 * Predictions: JSON lines, one JSON array, or one JSON object mapping
 * instance ids to entries, each with instance_id and model_patch ("patch"
 * accepted) and optionally model_name_or_path ("prefix", "model" accepted);
 * also umpire's own normalised file, so this is the one reader for all of
 * them. The normalised file is
 *   {"umpire_predictions": 1, "model": "...",
 *    "predictions": [{"instance_id", "model_patch", "sha256"}, ...]}
 * sorted by instance_id. An empty patch is kept: it grades as unresolved.
 */
#ifndef UMPIRE_SWEIMPORT_H
#define UMPIRE_SWEIMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define SWEIMPORT_MAX_BYTES ((uint64_t)2 << 30) /* an input file */
#define SWEIMPORT_MAX_ITEMS 200000              /* instances or predictions */
#define SWEIMPORT_MARKER ".umpire-import"       /* tasks dir written by an import */
#define SWEIMPORT_DEFAULT_SCAFFOLD "../scaffolds/swe-agent.yaml"
#define SWEIMPORT_IMAGE_REPO "jefzda/sweap-images" /* where SWE-Bench Pro's tags live */

/* ---- instances -------------------------------------------------------- */

typedef struct sweimport_opts {
	const char *source;     /* the JSONL file */
	const char *suite_path; /* the suite YAML to write */
	const char *name;       /* suite name; NULL: the suite file's name without .yaml */
	const char *tasks_dir;  /* NULL: <suite file's directory>/<name> */
	const char *scaffold;   /* `scaffold:` as written; NULL: SWEIMPORT_DEFAULT_SCAFFOLD */
} sweimport_opts;

typedef struct sweimport_task {
	char *id;           /* instance_id */
	char *repo;         /* upstream repository ("owner/name"), or NULL */
	char *category;     /* repo_language, lower case */
	char *image;        /* container image reference, or NULL (no dockerhub_tag) */
	char *log_parser;   /* pytest | go_test | jest_json, from repo_language */
	char *unsupported;  /* why it cannot run anywhere (no image), or NULL */
	int has_test_command; /* the dataset supplied a test command */
} sweimport_task;

typedef struct sweimport_result {
	sweimport_task *tasks; /* sorted by id */
	size_t n_tasks;
	char **ignored;        /* unknown fields seen, sorted, each once */
	size_t n_ignored;
	char *tasks_dir;       /* where the task directories were written */
	char **skipped;        /* one message a bad line, "file:line: instance ID: field 'f':
				* why", in file order (duplicates last); those lines
				* were left out */
	size_t n_skipped;
} sweimport_result;

/* Import. r is filled and must be released with sweimport_result_release
 * (also after a failure). A bad line (malformed JSON, a bad field, a
 * duplicate instance_id) is reported in r->skipped and left out; the good
 * ones are imported. Returns 0 (check r->n_skipped), or -1 with err:
 * UM_ERR_USAGE (options), UM_ERR_IO (also: the directory of the suite file
 * does not exist), UM_ERR_INVALID (no good line), UM_ERR_STATE (a task
 * directory exists that no earlier import wrote). */
int sweimport_run(const sweimport_opts *o, sweimport_result *r, um_error *err);
void sweimport_result_release(sweimport_result *r);

/* The container image for a dockerhub_tag value: a bare tag becomes
 * SWEIMPORT_IMAGE_REPO:tag; a full reference (with '/' or ':' before any
 * '@') is kept; a digest ("tag@sha256:<hex>", "sha256:<hex>") is kept so the
 * image stays pinned. Caller frees; NULL when the value is not a valid
 * reference (empty, whitespace, bad digest). */
char *sweimport_image_ref(const char *tag);

/* log_parser for a repo_language (python, go, js, ts and long forms),
 * or NULL. */
const char *sweimport_log_parser(const char *language);

/* ---- predictions ------------------------------------------------------ */

typedef struct sweimport_pred {
	char *instance_id;
	char *model_patch;  /* never NULL; "" for an empty or null patch */
	char sha256[65];    /* of model_patch's bytes */
} sweimport_pred;

typedef struct sweimport_preds {
	char *model;              /* model name */
	const char *shape;        /* "jsonl", "array", "map" or "umpire" (static) */
	sweimport_pred *items;    /* sorted by instance_id, ids unique */
	size_t n;
	size_t n_empty;           /* patches that are empty or only whitespace */
	size_t n_not_diff;        /* non-blank patches without a file section
				   * (swe_patch_is_empty: they grade as empty) */
	char **ignored;           /* unknown fields seen, sorted, each once */
	size_t n_ignored;
	char *vendor_json;        /* the vendor's own verdicts, a JSON object instance id ->
				   * true|false (SWE-Bench Pro's eval_results.json), or NULL */
} sweimport_preds;

/* Read a predictions file in any of the shapes above. model (may be NULL)
 * names the model and overrides the file; without it every entry naming a
 * model must name the same one, and at least one must. p is filled and must
 * be released with sweimport_preds_release (also after a failure). Returns 0
 * or -1 with err: UM_ERR_IO, UM_ERR_SYNTAX (file:line:col), UM_ERR_INVALID
 * (the entry is named by line, index or key). */
int sweimport_predictions_load(const char *path, const char *model, sweimport_preds *p,
			       um_error *err);
void sweimport_preds_release(sweimport_preds *p);

/* Read the vendor's eval_results.json ({"instance_id": true|false, ...}) into
 * p->vendor_json. 0, or -1 with err (UM_ERR_IO, UM_ERR_SYNTAX with line and
 * column, UM_ERR_INVALID naming the key whose value is not a boolean). */
int sweimport_vendor_results_load(const char *path, sweimport_preds *p, um_error *err);

/* The normalised JSON text (ends with a newline); with vendor results, they
 * are kept as "vendor_results". Caller frees. */
char *sweimport_predictions_json(const sweimport_preds *p);
/* Write it atomically to path. */
int sweimport_predictions_write(const sweimport_preds *p, const char *path, um_error *err);

typedef struct sweimport_check {
	char **unknown;     /* prediction ids that are not tasks of the suite, sorted */
	size_t n_unknown;
	size_t n_suite;     /* tasks in the suite */
	size_t n_without;   /* suite tasks with no prediction (they grade as unresolved) */
} sweimport_check;

/* Check the predictions against the task ids of a suite of kind swe (read
 * from its YAML; the task directories are not needed). c is filled and must
 * be released with sweimport_check_release. Returns 0 when every prediction
 * names a task; -1 with UM_ERR_INVALID when some do not (they are in
 * c->unknown and the message names the first few), or another error when the
 * suite cannot be read. */
int sweimport_predictions_check(const sweimport_preds *p, const char *suite_path,
				sweimport_check *c, um_error *err);
void sweimport_check_release(sweimport_check *c);

#endif
