/*
 * html.h - report.html: the report object (report.json's model) drawn as one
 * self-contained page with inline SVG charts, the tables people read, an
 * item table whose every cell links to the attempt's transcript, and the
 * transcripts themselves. No script, no network: a Content-Security-Policy
 * forbids any load. A pure function of its two inputs, so the same store
 * gives the same bytes. Format: docs/report.md, "report.html".
 */
#ifndef UMPIRE_HTML_H
#define UMPIRE_HTML_H

#include <stddef.h>

#include <jansson.h>

/* Transcripts go into report.html itself up to this many attempts and this
 * many bytes of rendered transcripts; a larger run gets one page per system
 * beside it, HTML_PAGE_PREFIX "NN-<system>.html", so report.html stays small
 * enough to open quickly. */
#define HTML_INLINE_ATTEMPTS 250
#define HTML_INLINE_BYTES (1 << 20)
/* A transcript page holds at most this many attempts of its system. */
#define HTML_PAGE_ATTEMPTS 500
/* Runs with more attempts carry no transcripts in the report (memory and
 * size); html_render is then given {"omitted": N, "limit": this}. */
#define HTML_MAX_TRANSCRIPTS 10000
#define HTML_PAGE_PREFIX "transcripts-"

typedef struct html_page {
	char *name;  /* relative path: "report.html", "transcripts-01-x.html" */
	char *text;
} html_page;

/* The pages of the report: report.html first, then the transcript pages
 * (none when the run is small or transcripts is NULL). The numbers come
 * from report only; transcripts is transcript_build()'s object, NULL, or
 * {"omitted": N, "limit": L} for a run too large to carry them.
 * Caller frees with html_pages_free. */
html_page *html_render(const json_t *report, const json_t *transcripts, size_t *n);
void html_pages_free(html_page *p, size_t n);

#endif
