/*
 * judged.h - the items of a judged suite (docs/judged.md): a question, or a
 * multi-turn prompt taken from the dataset, a reference answer and the name
 * of the grader; read from the suite itself or from the JSON / JSONL exports
 * of two public releases, Humanity's Last Exam and OpenAI's MRCR.
 *
 * Everything here is checked as it is read, and every error names the data
 * and its line (file:line:col for the suite's own YAML). Records are never
 * guessed at: a field of the wrong type is an error, not a skipped record.
 */
#ifndef UMPIRE_JUDGED_H
#define UMPIRE_JUDGED_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "load/suite.h"
#include "load/yml.h"

/* The graders, NULL-terminated: exact, numeric, similarity, mrcr, graphwalks,
 * judge. */
extern const char *const judged_grader_names[];
/* 1 when name is one of them. */
int judged_grader_known(const char *name);

/* A prompt's messages: a JSON array of 1 to 10,000 objects {"role":
 * "system" | "user" | "assistant", "content": string}, no other keys, the
 * last one a user message. Fills *text (compact JSON, caller frees) and
 * *chars (the contents' UTF-8 code points summed). -1 with why filled
 * (no position: the caller knows where the value came from). */
int judged_messages_check(const json_t *msgs, char **text, int64_t *chars, char *why,
			  size_t why_size);

/* The bin of a prompt of `chars` characters: the first bin whose bound is
 * at least chars / 4 (rounded up), n_bins when above them all, -1 when the
 * suite has no bins. The label of bin k ("<=4096", ">1048576") into out. */
int judged_context_bin(const um_judged_rules *r, int64_t chars);
void judged_bin_label(const um_judged_rules *r, int k, char *out, size_t size);

/* One item of a suite's `dataset.items` (format: inline). */
int judged_inline_item(const yml_doc *d, const yml_node *m, um_item *it, um_error *err);

/* The exports of the public releases. data holds JSONL (one record a line)
 * or one JSON array of records; source names it in messages. Items are
 * appended to *items / *n (caller frees with dataset_items_free) and the
 * line where each record starts to *lines (caller frees).
 *   hle:  id, question, answer, answer_type, category (strings) required;
 *         image a string or null; a non-empty one is a data URL
 *         (image_from_data_url) and becomes the item's image, or with
 *         skip_images the record is left out and counted in *skipped (the
 *         text part); raw_subject becomes
 *         the subcategory; other keys are ignored.
 *   mrcr: prompt (a string holding the JSON list of messages), answer,
 *         random_string_to_prepend (strings), n_needles (an integer: the
 *         category is "N needles") required; n_chars (an integer) the
 *         prompt's size when given; ids are row-N. */
int judged_parse_hle(const char *source, const char *data, size_t len, int skip_images,
		     um_item **items, size_t *n, int **lines, size_t *skipped, um_error *err);
int judged_parse_mrcr(const char *source, const char *data, size_t len, um_item **items,
		      size_t *n, int **lines, um_error *err);
/*   charxiv: CharXiv's reasoning_<split>.json itself, one object keyed by
 *         question id: figure_id (an integer), query, answer (strings; the
 *         test split's null answers are refused), inst_category (1..4: the
 *         category Text in chart / Text in general / Number in chart /
 *         Number in general and the answer type text-in-chart ...
 *         number-in-general); each item shows ../images/<figure_id>.jpg,
 *         found from data_path (the release layout), checked and hashed.
 *         The id is the entry's key. Lines are where each key stands.
 *   graphwalks: OpenAI's Graphwalks export: prompt (sent as the one user
 *         message), answer_nodes (a list of node ids, possibly empty; kept
 *         as its JSON text in the item's answer), problem_type (bfs |
 *         parents: the category), prompt_chars (the prompt's size when
 *         given); other keys (date_added) are ignored; ids are row-N. */
int judged_parse_charxiv(const char *source, const char *data_path, const char *data, size_t len,
			 um_item **items, size_t *n, int **lines, um_error *err);
/* CharXiv's answer type of instruction category inst (1..4: text-in-chart,
 * text-in-general, number-in-chart, number-in-general), or NULL; and the
 * category of an answer type, 0 when it is none of them. */
const char *judged_charxiv_type(int inst);
int judged_charxiv_inst(const char *answer_type);
int judged_parse_graphwalks(const char *source, const char *data, size_t len, um_item **items,
			    size_t *n, int **lines, um_error *err);

#endif
