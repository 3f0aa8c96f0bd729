/*
 * dataset.h - items from inline YAML, CSV (RFC 4180, GPQA's columns) or
 * JSONL, optionally inside an archive read with libarchive (zip with a
 * passphrase, tar, tar.gz, tar.zst), with a sha256 pin of the data bytes.
 */
#ifndef UMPIRE_DATASET_H
#define UMPIRE_DATASET_H

#include <stddef.h>

#include "base/error.h"
#include "load/suite.h"

/* Read the bytes named by spec: a plain file, or spec->member inside the
 * archive spec->path. Refuses archive members with unsafe paths only when
 * extracting; here only the named member is read. Caller frees *data. */
int dataset_read_bytes(const um_dataset_spec *spec, char **data, size_t *len,
		       um_error *err);

/* Parse CSV / JSONL bytes into items. `source` names the data in messages
 * ("dataset.zip:dataset/gpqa_diamond.csv"): line numbers are reported.
 * Appends to *items (caller frees with dataset_items_free). */
int dataset_parse_csv(const um_dataset_spec *spec, const char *source, const char *data,
		      size_t len, um_item **items, size_t *n, um_error *err);
int dataset_parse_jsonl(const um_dataset_spec *spec, const char *source, const char *data,
			size_t len, um_item **items, size_t *n, um_error *err);

/* Read + pin check + parse. On pin mismatch: UM_ERR_PIN naming both hashes.
 * sha_out receives the sha256 of the bytes read. */
int dataset_load(const um_dataset_spec *spec, um_item **items, size_t *n, char sha_out[65],
		 um_error *err);

void dataset_item_release(um_item *it);
/* Check the image files refs[0..n) (relative to the directory of base_file)
 * and attach them to the item. Errors name the image, not the place. */
int dataset_item_images(um_item *it, const char *base_file, const char *const *refs, size_t n,
			um_error *err);
void dataset_items_free(um_item *items, size_t n);

/* The largest data file or archive member read, in bytes (1 GiB). */
#define UM_DATASET_MAX_BYTES ((size_t)1 << 30)

/* Fill the field names left NULL with GPQA's CSV header names (Record ID,
 * Question, Correct Answer, Incorrect Answer 1..3 when n_incorrect is 0,
 * High-level domain, Subdomain). The strings belong to the spec. */
void dataset_spec_defaults(um_dataset_spec *spec);
/* Free every string of the spec and zero it. */
void dataset_spec_release(um_dataset_spec *spec);

/* How messages name the data: "path", or "path:member" for an archive.
 * Caller frees. */
char *dataset_source_name(const um_dataset_spec *spec);

/* dataset_load, also giving for each item the 1-based line of the data
 * where its record starts (*lines: caller frees; pass NULL to skip), so a
 * caller can point at the line when an item breaks its own rules. */
int dataset_load_lines(const um_dataset_spec *spec, um_item **items, size_t *n, int **lines,
		       char sha_out[65], um_error *err);
/* The same, and *skipped: records the format leaves out (hle: those with an
 * image). Formats hle and mrcr are read by load/judged.c. */
int dataset_load_items(const um_dataset_spec *spec, um_item **items, size_t *n, int **lines,
		       size_t *skipped, char sha_out[65], um_error *err);

#endif
