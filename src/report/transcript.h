/*
 * transcript.h - what happened in each attempt, read back from the store for
 * the HTML report's transcript view: the question, every HTTP call with its
 * request and response bodies, the commands an agent ran with their output,
 * the extractor's match and the grade. A JSON object, a pure function of the
 * store like the report (format: docs/report.md, "report.html").
 */
#ifndef UMPIRE_TRANSCRIPT_H
#define UMPIRE_TRANSCRIPT_H

#include <jansson.h>

#include "base/error.h"
#include "store/store.h"

/* Every text in a transcript is cut to this many bytes (at a UTF-8
 * boundary); the object keeps the full size beside it. */
#define TRANSCRIPT_TEXT_MAX 8192

/* {"attempts": [...]} in the order of d->attempts (item, system, sample).
 * Reads the calls, request bodies and tool steps of run d->run.run_id from
 * st. New reference, or NULL with err set. */
json_t *transcript_build(um_store *st, const um_run_data *d, um_error *err);

/* {"text": s cut to max bytes as valid UTF-8 (invalid bytes become U+FFFD),
 * "bytes": len} (new reference); NULL s gives JSON null. */
json_t *transcript_text(const char *s, size_t len, size_t max);

#endif
