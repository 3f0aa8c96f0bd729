/*
 * html.c - report.html from the report object (see html.h).
 *
 * Every number on the page is read from the report object through a JSON
 * pointer and printed by one formatter (html_fmt), and the element that
 * shows it carries the pointer and the format (data-json, data-fmt): a test
 * can take the rendered page, look every pointer up in report.json and
 * check the text. The charts are SVG drawn here (no library, no script):
 * accuracy with intervals, cost per item against accuracy with the
 * baselines' frontier, category x system heat map, paired differences as a
 * forest plot, claims against measurements, and the routing flow. Each has
 * a <title> and a <desc> and labels its axes.
 *
 * Layout constants are in SVG user units; coordinates are printed with one
 * decimal so the bytes do not depend on the platform's last-digit rounding.
 */
#include "report/html.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/jpath.h"
#include "base/util.h"
#include "report/report.h"
#include "report/transcript.h"

#define W 760.0 /* chart width */

/* ---- text and numbers ---------------------------------------------------- */

static void esc_n(um_buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; s && i < n; i++) {
		switch (s[i]) {
		case '&': um_buf_puts(b, "&amp;"); break;
		case '<': um_buf_puts(b, "&lt;"); break;
		case '>': um_buf_puts(b, "&gt;"); break;
		case '"': um_buf_puts(b, "&quot;"); break;
		case '\'': um_buf_puts(b, "&#39;"); break;
		case '\r': um_buf_puts(b, "&#13;"); break;
		default:
			/* C0 controls other than tab and newline are not allowed */
			if ((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t')
				um_buf_puts(b, "\xEF\xBF\xBD");
			else
				um_buf_putc(b, s[i]);
		}
	}
}

static void esc(um_buf *b, const char *s)
{
	esc_n(b, s, s ? strlen(s) : 0);
}

static void putf(um_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(um_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	um_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

/* A JSON pointer from a printf-like format: %zu, and %s for a key (escaped
 * as RFC 6901 wants). */
static void vptrf(char *out, size_t n, const char *fmt, va_list ap)
{
	um_buf b = UM_BUF_INIT;
	const char *f;

	um_buf_init(&b, 0);
	for (f = fmt; *f; f++) {
		if (f[0] == '%' && f[1] == 's') {
			const char *k = va_arg(ap, const char *);
			for (; k && *k; k++)
				um_buf_puts(&b, *k == '~' ? "~0" : *k == '/' ? "~1" : (char[2]){*k, 0});
			f++;
		} else if (f[0] == '%' && f[1] == 'z' && f[2] == 'u') {
			putf(&b, "%zu", va_arg(ap, size_t));
			f += 2;
		} else {
			um_buf_putc(&b, *f);
		}
	}
	if (n)
		snprintf(out, n, "%s", um_buf_str(&b));
	um_buf_release(&b);
}

static void ptrf(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vptrf(out, n, fmt, ap);
	va_end(ap);
}

/* micro-USD with d decimals (4 or 6), rounded half up with integers. */
static void usd_text(char *out, size_t n, long long micro, int d)
{
	unsigned long long a = micro < 0 ? 0ULL - (unsigned long long)micro
					 : (unsigned long long)micro;
	unsigned long long div = d == 4 ? 100 : 1, scale = d == 4 ? 10000 : 1000000;
	unsigned long long q = (a + div / 2) / div;

	snprintf(out, n, "%s%llu.%0*llu", micro < 0 ? "-" : "", q / scale, d, q % scale);
}

/* The text of value v in format fmt; "-" for null or a missing value.
 *   pct   proportion as percent, "85.4%"      p1   proportion, "85.4"
 *   pp    proportion as signed points, "+2.1"  pv   percent, "85.4%"
 *   n1    number, one decimal                 int  integer
 *   usd4  micro-USD, "0.0238"                 usd6 micro-USD, "0.023763" */
static void html_fmt(char *out, size_t n, const json_t *v, const char *fmt)
{
	double x = json_number_value(v);

	if (!json_is_number(v)) {
		snprintf(out, n, "-");
	} else if (!strcmp(fmt, "pct")) {
		snprintf(out, n, "%.1f%%", 100.0 * x);
	} else if (!strcmp(fmt, "p1")) {
		snprintf(out, n, "%.1f", 100.0 * x);
	} else if (!strcmp(fmt, "pp")) {
		snprintf(out, n, "%+.1f", 100.0 * x);
	} else if (!strcmp(fmt, "pv")) {
		snprintf(out, n, "%.1f%%", x);
	} else if (!strcmp(fmt, "n1")) {
		snprintf(out, n, "%.1f", x);
	} else if (!strcmp(fmt, "int") && json_is_integer(v)) {
		snprintf(out, n, "%lld", (long long)json_integer_value(v));
	} else if (!strncmp(fmt, "usd", 3) && json_is_integer(v)) {
		usd_text(out, n, (long long)json_integer_value(v), fmt[3] == '4' ? 4 : 6);
	} else if (!strcmp(fmt, "p3")) {
		snprintf(out, n, "%.3g", x);
	} else {
		snprintf(out, n, "-");
	}
}

/* <el attrs data-json=ptr data-fmt=fmt>text</el> for the value at ptr. */
static void num_el(um_buf *b, const char *el, const char *attrs, const json_t *root,
		   const char *ptr, const char *fmt)
{
	char t[64];

	html_fmt(t, sizeof(t), jpath_pointer(root, ptr), fmt);
	putf(b, "<%s%s%s data-json=\"", el, attrs && *attrs ? " " : "", attrs ? attrs : "");
	esc(b, ptr);
	putf(b, "\" data-fmt=\"%s\">%s</%s>", fmt, t, el);
}

static void num(um_buf *b, const json_t *root, const char *ptr, const char *fmt)
{
	num_el(b, "span", NULL, root, ptr, fmt);
}

/* num() at the pointer made from ptrfmt and its arguments. */
static void numf(um_buf *b, const json_t *root, const char *fmt, const char *ptrfmt, ...)
{
	char p[256];
	va_list ap;

	va_start(ap, ptrfmt);
	vptrf(p, sizeof(p), ptrfmt, ap);
	va_end(ap);
	num(b, root, p, fmt);
}

/* "[lo, hi]" of two pointers, each bound a number element. */
static void interval(um_buf *b, const json_t *root, const char *lo, const char *hi,
		     const char *fmt)
{
	if (!json_is_number(jpath_pointer(root, lo)) || !json_is_number(jpath_pointer(root, hi))) {
		um_buf_puts(b, "-");
		return;
	}
	um_buf_puts(b, "[");
	num(b, root, lo, fmt);
	um_buf_puts(b, ", ");
	num(b, root, hi, fmt);
	um_buf_puts(b, "]");
}

static double numv(const json_t *root, const char *ptr, double dflt)
{
	const json_t *v = jpath_pointer(root, ptr);
	return json_is_number(v) ? json_number_value(v) : dflt;
}

/* ---- the page around the content ----------------------------------------- */

static const char css[] =
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
	"margin:0 auto;max-width:1100px;padding:0 16px 48px;color:#1b1f24;background:#fff}"
	"h1{font-size:1.6em;margin:24px 0 4px}h2{margin-top:36px;border-bottom:1px solid #d0d7de;"
	"padding-bottom:4px}h3{margin:20px 0 6px}nav a{margin-right:12px}"
	"table{border-collapse:collapse;margin:8px 0 16px;font-variant-numeric:tabular-nums}"
	"th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}"
	"th{background:#f6f8fa}td.n{text-align:right}"
	"figure{margin:16px 0 28px;width:max-content;max-width:100%}figcaption{color:#57606a;font-size:.9em;max-width:760px}"
	"svg{display:block;max-width:100%;height:auto;background:#fff}"
	"svg text{font:12px system-ui,sans-serif;fill:#1b1f24}svg .ax{stroke:#8c959f}"
	"svg .grid{stroke:#eaeef2}.nodata{color:#57606a;font-style:italic}"
	"table.items td{text-align:center;padding:2px 6px}table.items td.id{text-align:left}"
	"a.ok{color:#1a7f37}a.bad{color:#cf222e}a.err{color:#9a6700}"
	"a.ok,a.bad,a.err{text-decoration:none;font-weight:600;padding:0 2px}"
	"section.tr{border:1px solid #d0d7de;border-radius:6px;padding:4px 12px;margin:14px 0}"
	"section.tr:target{outline:3px solid #0969da}"
	"pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:6px 8px;"
	"margin:4px 0;max-height:28em;overflow:auto;font-size:12.5px}"
	"dl.g{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:6px 0}"
	"dl.g dt{color:#57606a}dl.g dd{margin:0}.cut{color:#9a6700;font-size:.85em}"
	".verdict-bad{color:#cf222e}.verdict-ok{color:#1a7f37}";

static void page_open(um_buf *b, const char *title)
{
	um_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		       "style-src 'unsafe-inline'\">\n"
		       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		       "<title>");
	esc(b, title);
	putf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n", css);
}

static void page_close(um_buf *b)
{
	um_buf_puts(b, "</body>\n</html>\n");
}

static int level_pct(const json_t *rep)
{
	return (int)lround(100.0 * numv(rep, "/level", 0.95));
}

static void header(um_buf *b, const json_t *rep)
{
	const json_t *run = json_object_get(rep, "run");

	um_buf_puts(b, "<header>\n<h1>umpire report: ");
	esc(b, jpath_str(run, "suite.name"));
	um_buf_puts(b, " ");
	esc(b, jpath_str(run, "suite.version"));
	um_buf_puts(b, "</h1>\n<p>Run <code>");
	esc(b, jpath_str(run, "run_id"));
	um_buf_puts(b, "</code> (status ");
	esc(b, jpath_str(run, "status"));
	putf(b, "; %s). Suite ", json_is_true(json_object_get(rep, "complete"))
				       ? "complete: every planned attempt graded"
				       : "incomplete: some attempts are missing or failed");
	esc(b, jpath_str(run, "suite.kind"));
	um_buf_puts(b, ", ");
	num(b, rep, "/items", "int");
	um_buf_puts(b, " items x ");
	num(b, rep, "/run/repeats", "int");
	um_buf_puts(b, " repeats; ");
	num(b, rep, "/calls", "int");
	putf(b, " HTTP calls; every interval at the %d%% level. Harness umpire ", level_pct(rep));
	esc(b, jpath_str(run, "harness_version"));
	um_buf_puts(b, " (");
	esc(b, jpath_str(run, "git_describe"));
	um_buf_puts(b, ")");
	if (json_is_string(json_object_get(rep, "generated_at"))) {
		um_buf_puts(b, "; generated at ");
		esc(b, jpath_str(rep, "generated_at"));
	}
	um_buf_puts(b, ". Every number on this page is read from report.json; report.md "
		       "has the full tables.</p>\n<nav><a href=\"#systems\">Systems</a>"
		       "<a href=\"#charts\">Charts</a><a href=\"#paired\">Paired</a>"
		       "<a href=\"#claims\">Claims</a><a href=\"#items\">Items</a>"
		       "<a href=\"#transcripts\">Transcripts</a></nav>\n</header>\n");
}

/* ---- tables ---------------------------------------------------------------- */

static void td_num(um_buf *b, const json_t *rep, const char *ptr, const char *fmt)
{
	um_buf_puts(b, "<td class=\"n\">");
	num(b, rep, ptr, fmt);
	um_buf_puts(b, "</td>");
}

static void td_numf(um_buf *b, const json_t *rep, const char *fmt, const char *ptrfmt, size_t i)
{
	char p[256];

	ptrf(p, sizeof(p), ptrfmt, i);
	td_num(b, rep, p, fmt);
}

/* "<td>[lo, hi]</td>": the ci_lo and ci_hi under the object at ptrfmt of
 * system i, as bounds. */
static void td_interval(um_buf *b, const json_t *rep, const char *ptrfmt, size_t i)
{
	char o[200], p[256], p2[256];

	ptrf(o, sizeof(o), ptrfmt, i);
	snprintf(p, sizeof(p), "%s/ci_lo", o);
	snprintf(p2, sizeof(p2), "%s/ci_hi", o);
	um_buf_puts(b, "<td class=\"n ci\">");
	interval(b, rep, p, p2, "p1");
	um_buf_puts(b, "</td>");
}

static void td_text(um_buf *b, const char *s)
{
	um_buf_puts(b, "<td>");
	esc(b, s);
	um_buf_puts(b, "</td>");
}

/* Under the systems table, as in report.md: each orchestrator whose
 * sub-calls failed at the recording proxy. */
static void failed_subcalls_notes(um_buf *b, const json_t *rep)
{
	const json_t *s;
	size_t i;

	json_array_foreach(jpath_get(rep, "routing_log.systems"), i, s) {
		if (jpath_int(s, "observed_failed_calls") <= 0)
			continue;
		um_buf_puts(b, "<p class=\"note\">Note: ");
		esc(b, jpath_str(s, "system"));
		um_buf_puts(b, " is an orchestrator and ");
		numf(b, rep, "int", "/routing_log/systems/%zu/observed_failed_calls", i);
		um_buf_puts(b, " of its ");
		numf(b, rep, "int", "/routing_log/systems/%zu/observed_calls", i);
		um_buf_puts(b, " sub-calls failed (non-2xx at the recording proxy; see the routing "
			       "log): its accuracy includes answers given without them.</p>\n");
	}
}

/* Streams, reasoning and prompt caches, as report.md has them: only when
 * some system has a time to first token, reasoning tokens or cache writes. */
static void provider_extras_table(um_buf *b, const json_t *rep)
{
	const json_t *systems = json_object_get(rep, "systems"), *s;
	size_t i;

	if (!report_has_provider_extras(rep))
		return;
	um_buf_puts(b, "<h3>Streams, reasoning and prompt caches</h3>\n<p>Time to first token "
		       "over the streamed calls that succeeded; reasoning tokens are part of "
		       "tokens out, cache reads and writes part of tokens in, as each provider "
		       "reports them (- where it reports none).</p>\n<table id=\"streams-table\">\n"
		       "<thead><tr><th>System</th><th>Streamed calls</th><th>First token p50 / p90 "
		       "(ms)</th><th>Reasoning tokens</th><th>Cache reads</th><th>Cache writes</th>"
		       "</tr></thead>\n<tbody>\n");
	json_array_foreach(systems, i, s) {
		um_buf_puts(b, "<tr>");
		td_text(b, jpath_str(s, "name"));
		td_numf(b, rep, "int", "/systems/%zu/ttft_ms/calls", i);
		um_buf_puts(b, "<td class=\"n\">");
		numf(b, rep, "int", "/systems/%zu/ttft_ms/p50", i);
		um_buf_puts(b, " / ");
		numf(b, rep, "int", "/systems/%zu/ttft_ms/p90", i);
		um_buf_puts(b, "</td>");
		td_numf(b, rep, "int", "/systems/%zu/tokens/reasoning", i);
		td_numf(b, rep, "int", "/systems/%zu/tokens/cached", i);
		td_numf(b, rep, "int", "/systems/%zu/tokens/cache_write", i);
		um_buf_puts(b, "</tr>\n");
	}
	um_buf_puts(b, "</tbody>\n</table>\n");
}

static void systems_table(um_buf *b, const json_t *rep)
{
	const json_t *s;
	size_t i;
	int lv = level_pct(rep);

	putf(b, "<section id=\"systems\">\n<h2>Systems</h2>\n<p>Accuracy over graded attempts "
		"with its %d%% interval clustered by item and the effective sample size (attempts "
		"over the design effect of repeats); whole suite "
		"divides the correct answers by every planned attempt.</p>\n<table id=\"systems-"
		"table\">\n<thead><tr><th>System</th><th>Role</th><th>Model</th><th>Accuracy</th>"
		"<th>%d%% CI</th><th>n eff</th><th>Whole suite</th><th>n</th><th>Errors</th>"
		"<th>Cost (USD)</th><th>Cost / item (USD)</th><th>p50 / p90 (ms)</th></tr></thead>"
		"\n<tbody>\n", lv, lv);
	json_array_foreach(json_object_get(rep, "systems"), i, s) {
		um_buf_puts(b, "<tr>");
		td_text(b, jpath_str(s, "name"));
		td_text(b, jpath_str(s, "role"));
		td_text(b, jpath_str(s, "model"));
		td_numf(b, rep, "pct", "/systems/%zu/accuracy/value", i);
		td_interval(b, rep, "/systems/%zu/accuracy", i);
		td_numf(b, rep, "n1", "/systems/%zu/accuracy/n_eff", i);
		td_numf(b, rep, "pct", "/systems/%zu/accuracy_whole_suite", i);
		td_numf(b, rep, "int", "/systems/%zu/attempts/graded", i);
		td_numf(b, rep, "int", "/systems/%zu/attempts/errors", i);
		td_numf(b, rep, "usd4", "/systems/%zu/cost_micro", i);
		td_numf(b, rep, "usd6", "/systems/%zu/cost_per_item_micro", i);
		um_buf_puts(b, "<td class=\"n\">");
		numf(b, rep, "int", "/systems/%zu/latency_ms/p50", i);
		um_buf_puts(b, " / ");
		numf(b, rep, "int", "/systems/%zu/latency_ms/p90", i);
		um_buf_puts(b, "</td></tr>\n");
	}
	um_buf_puts(b, "</tbody>\n</table>\n");
	failed_subcalls_notes(b, rep);
	provider_extras_table(b, rep);
	um_buf_puts(b, "</section>\n");
}

/* Judged suites: outcomes, the judge's cost, the calibration error and the
 * mean score by context bin (docs/judged.md). Nothing for other suites. */
static void judged_table(um_buf *b, const json_t *rep)
{
	const json_t *sys = json_object_get(rep, "systems"), *s, *bins, *bin, *v;
	const char *key;
	size_t i, k, nb;
	char p[128];

	if (!json_is_object(jpath_get(json_array_get(sys, 0), "judged")))
		return;
	bins = jpath_get(json_array_get(sys, 0), "judged.context_bins");
	nb = json_array_size(bins);
	um_buf_puts(b, "<section id=\"judged\">\n<h2>Judged answers</h2>\n<p>Outcomes ended "
		       "with no grade and count in no mean; the judge's calls are not in the "
		       "systems' cost. Calibration error: Humanity's Last Exam's, from 100 stated "
		       "confidences.</p>\n<table id=\"judged-table\">\n<thead><tr><th>System</th>"
		       "<th>Outcomes</th><th>Judged</th><th>Judge cost (USD)</th>"
		       "<th>Calibration error</th>");
	json_array_foreach(bins, k, bin) {
		um_buf_puts(b, "<th>");
		esc(b, jpath_str(bin, "bin"));
		um_buf_puts(b, " tokens</th>");
	}
	um_buf_puts(b, "</tr></thead>\n<tbody>\n");
	json_array_foreach(sys, i, s) {
		um_buf o = UM_BUF_INIT;

		um_buf_init(&o, 0);
		/* each count bound to its pointer, as every number of the page */
		json_object_foreach((json_t *)jpath_get(s, "attempts.outcomes"), key, v) {
			if (o.len)
				um_buf_puts(&o, ", ");
			esc(&o, key);
			um_buf_putc(&o, ' ');
			numf(&o, rep, "int", "/systems/%zu/attempts/outcomes/%s", i, key);
		}
		um_buf_puts(b, "<tr>");
		td_text(b, jpath_str(s, "name"));
		if (o.len) {
			um_buf_puts(b, "<td>");
			um_buf_append(b, o.data, o.len);
			um_buf_puts(b, "</td>");
		} else {
			td_text(b, "none");
		}
		um_buf_release(&o);
		td_numf(b, rep, "int", "/systems/%zu/judged/judge/attempts", i);
		td_numf(b, rep, "usd4", "/systems/%zu/judged/judge/cost_micro", i);
		td_numf(b, rep, "pct", "/systems/%zu/judged/calibration_error", i);
		for (k = 0; k < nb; k++) {
			ptrf(p, sizeof(p), "/systems/%zu/judged/context_bins/%zu/mean", i, k);
			td_num(b, rep, p, "pct");
		}
		um_buf_puts(b, "</tr>\n");
	}
	um_buf_puts(b, "</tbody>\n</table>\n</section>\n");
}

/* "<td>a / b</td>" of two pointers of system i, each bound. */
static void td_pair(um_buf *b, const json_t *rep, const char *fa, const char *fb, size_t i)
{
	um_buf_puts(b, "<td class=\"n\">");
	numf(b, rep, "int", fa, i);
	um_buf_puts(b, " / ");
	numf(b, rep, "int", fb, i);
	um_buf_puts(b, "</td>");
}

static int any_has(const json_t *sys, const char *key)
{
	const json_t *s;
	size_t i;

	json_array_foreach(sys, i, s)
		if (json_is_object(json_object_get(s, key)))
			return 1;
	return 0;
}

/* The end of a code or scicode table and its section, with a note per
 * system run under --oracle: the ids its reference failed on (an array of
 * strings at list), or that none did. */
static void oracle_close(um_buf *b, const json_t *sys, const char *list, const char *none,
			 const char *some)
{
	const json_t *s, *bp;
	size_t i, j;

	um_buf_puts(b, "</tbody>\n</table>\n");
	json_array_foreach(sys, i, s) {
		bp = jpath_get(s, list);
		if (!json_is_array(bp))
			continue;
		um_buf_puts(b, "<p class=\"note\">");
		esc(b, jpath_str(s, "name"));
		um_buf_puts(b, ": ");
		um_buf_puts(b, json_array_size(bp) ? some : none);
		for (j = 0; j < json_array_size(bp); j++) {
			um_buf_puts(b, j ? ", " : " ");
			esc(b, json_string_value(json_array_get(bp, j)));
		}
		um_buf_puts(b, json_array_size(bp) ? ".</p>\n" : "</p>\n");
	}
	um_buf_puts(b, "</section>\n");
}

/* The verdicts attempts of code suites end by, in report order (docs/code.md). */
static const char *const code_ends[] = {"passed", "wrong_answer", "runtime_error", "time_limit",
					"memory_limit", "output_limit", "compile_error", NULL};

/* Code suites, as report.md's "Code tests": how the attempts ended, a column
 * for each verdict some system's attempts ended by. Nothing for other suites. */
static void code_table(um_buf *b, const json_t *rep)
{
	const json_t *sys = json_object_get(rep, "systems"), *s;
	int has[8] = {0}, k;
	size_t i;
	char p[128];

	if (!any_has(sys, "code"))
		return;
	json_array_foreach(sys, i, s)
		for (k = 0; code_ends[k]; k++)
			has[k] |= json_object_get(jpath_get(s, "code.ended_by"), code_ends[k]) != NULL;
	um_buf_puts(b, "<section id=\"code\">\n<h2>Code tests</h2>\n<p>Each attempt ends with its "
		       "first failing test (the tests after it are not run) or passes them all; no "
		       "program: the answer held no fenced block. The verdict columns count "
		       "attempts by the verdict of their first failing test (- for none).</p>\n"
		       "<table id=\"code-table\">\n<thead><tr><th>System</th><th>Attempts</th>"
		       "<th>No program</th><th>Tests passed / run</th>");
	for (k = 0; code_ends[k]; k++)
		if (has[k])
			putf(b, "<th>%s</th>", k ? code_ends[k] : "passed all");
	um_buf_puts(b, "</tr></thead>\n<tbody>\n");
	json_array_foreach(sys, i, s) {
		if (!json_is_object(json_object_get(s, "code")))
			continue;
		um_buf_puts(b, "<tr>");
		td_text(b, jpath_str(s, "name"));
		td_numf(b, rep, "int", "/systems/%zu/code/attempts", i);
		td_numf(b, rep, "int", "/systems/%zu/code/no_program", i);
		td_pair(b, rep, "/systems/%zu/code/tests_passed", "/systems/%zu/code/tests_run", i);
		for (k = 0; code_ends[k]; k++) {
			if (!has[k])
				continue;
			ptrf(p, sizeof(p), "/systems/%zu/code/ended_by/%s", i, code_ends[k]);
			td_num(b, rep, p, "int");
		}
		um_buf_puts(b, "</tr>\n");
	}
	oracle_close(b, sys, "code.broken_problems",
		     "every problem's reference program passes its tests.",
		     "the problems whose reference program fails its own tests (or that has none):");
}

/* SciCode suites, as report.md's "SciCode": main-problem and sub-step
 * accuracy with their counts, how the steps ended and the counting. */
static void scicode_table(um_buf *b, const json_t *rep)
{
	const json_t *sys = json_object_get(rep, "systems"), *s, *bg;
	size_t i;

	if (!any_has(sys, "scicode"))
		return;
	um_buf_puts(b, "<section id=\"scicode\">\n<h2>SciCode</h2>\n<p>Main problems: solved when "
		       "every step SciCode asks passes; sub-steps: steps passed over steps asked, "
		       "with the interval clustered by problem. Both over the whole suite: a problem "
		       "not graded counts as failed in all its steps. Failed, time limit: steps "
		       "that ended so (- for none). Counting inspect_ai: the given steps count, "
		       "never passed; scripts: they do not.</p>\n<table id=\"scicode-"
		       "table\">\n<thead><tr><th>System</th><th>Background</th><th>Counting</th>"
		       "<th>Main solved / problems</th><th>Main accuracy</th><th>Sub-steps passed / "
		       "asked</th><th>Sub-step accuracy</th><th>Interval</th><th>Failed</th>"
		       "<th>Time limit</th></tr></thead>\n<tbody>\n");
	json_array_foreach(sys, i, s) {
		if (!json_is_object(json_object_get(s, "scicode")))
			continue;
		bg = jpath_get(s, "scicode.background");
		um_buf_puts(b, "<tr>");
		td_text(b, jpath_str(s, "name"));
		td_text(b, json_is_true(bg) ? "with" : json_is_false(bg) ? "without" : "-");
		td_text(b, jpath_str(s, "scicode.counting"));
		td_pair(b, rep, "/systems/%zu/scicode/solved", "/systems/%zu/scicode/problems", i);
		td_numf(b, rep, "pct", "/systems/%zu/scicode/main_accuracy", i);
		td_pair(b, rep, "/systems/%zu/scicode/steps_passed", "/systems/%zu/scicode/steps", i);
		td_numf(b, rep, "pct", "/systems/%zu/scicode/sub_step_accuracy", i);
		td_interval(b, rep, "/systems/%zu/scicode/sub_step_interval", i);
		td_numf(b, rep, "int", "/systems/%zu/scicode/steps_ended/failed", i);
		td_numf(b, rep, "int", "/systems/%zu/scicode/steps_ended/time_limit", i);
		um_buf_puts(b, "</tr>\n");
	}
	oracle_close(b, sys, "scicode.broken_steps",
		     "every asked step passes with its ground_truth_code.",
		     "the steps that fail with their ground_truth_code (or have none):");
}

static void paired_table(um_buf *b, const json_t *rep)
{
	const json_t *cmp = jpath_get(rep, "paired.comparisons"), *c;
	size_t i;
	char p[128], p2[128];

	um_buf_puts(b, "<section id=\"paired\">\n<h2>Paired comparisons</h2>\n");
	if (!json_array_size(cmp)) {
		um_buf_puts(b, "<p class=\"nodata\">No comparisons.</p>\n</section>\n");
		return;
	}
	um_buf_puts(b, "<p>Over the (item, sample) pairs graded for both systems; the difference "
		       "is A minus B in percentage points; b = only A correct, c = only B correct; "
		       "p is the test named in report.json, Holm p adjusted over the comparisons.</p>\n<table id=\"paired-table\">\n<thead><tr>"
		       "<th>A</th><th>B</th><th>Pairs</th><th>Accuracy A</th><th>Accuracy B</th>"
		       "<th>Difference (pp)</th><th>b</th><th>c</th><th>p</th><th>Holm p</th></tr></thead>\n"
		       "<tbody>\n");
	json_array_foreach(cmp, i, c) {
		um_buf_puts(b, "<tr>");
		td_text(b, jpath_str(c, "system_a"));
		td_text(b, jpath_str(c, "system_b"));
		td_numf(b, rep, "int", "/paired/comparisons/%zu/n_pairs", i);
		td_numf(b, rep, "pct", "/paired/comparisons/%zu/accuracy_a", i);
		td_numf(b, rep, "pct", "/paired/comparisons/%zu/accuracy_b", i);
		um_buf_puts(b, "<td class=\"n\">");
		numf(b, rep, "pp", "/paired/comparisons/%zu/difference/value", i);
		um_buf_puts(b, " ");
		ptrf(p, sizeof(p), "/paired/comparisons/%zu/difference/ci_lo", i);
		ptrf(p2, sizeof(p2), "/paired/comparisons/%zu/difference/ci_hi", i);
		interval(b, rep, p, p2, "pp");
		um_buf_puts(b, "</td>");
		td_numf(b, rep, "int", "/paired/comparisons/%zu/only_a_correct", i);
		td_numf(b, rep, "int", "/paired/comparisons/%zu/only_b_correct", i);
		td_numf(b, rep, "p3", "/paired/comparisons/%zu/test/p", i);
		td_numf(b, rep, "p3", "/paired/comparisons/%zu/test/p_holm", i);
		um_buf_puts(b, "</tr>\n");
	}
	um_buf_puts(b, "</tbody>\n</table>\n</section>\n");
}

static void claims_table(um_buf *b, const json_t *rep)
{
	const json_t *cl = json_object_get(rep, "claims"), *c;
	size_t i;
	char p[128], p2[128];

	um_buf_puts(b, "<section id=\"claims\">\n<h2>Claims</h2>\n");
	if (!json_array_size(cl)) {
		um_buf_puts(b, "<p class=\"nodata\">No published claims recorded for this suite."
			       "</p>\n</section>\n");
		return;
	}
	um_buf_puts(b, "<table id=\"claims-table\">\n<thead><tr><th>System</th><th>Benchmark</th>"
		       "<th>Claimed</th><th>Measured</th><th>Interval</th><th>Verdict</th>"
		       "<th>p</th><th>Holm p</th><th>Source</th></tr></thead>\n<tbody>\n");
	json_array_foreach(cl, i, c) {
		um_buf_puts(b, "<tr>");
		td_text(b, jpath_str(c, "system"));
		td_text(b, jpath_str(c, "benchmark"));
		td_numf(b, rep, "pv", "/claims/%zu/claimed_percent", i);
		td_numf(b, rep, "pv", "/claims/%zu/measured/percent", i);
		um_buf_puts(b, "<td class=\"n\">");
		ptrf(p, sizeof(p), "/claims/%zu/measured/ci_lo", i);
		ptrf(p2, sizeof(p2), "/claims/%zu/measured/ci_hi", i);
		interval(b, rep, p, p2, "n1");
		um_buf_puts(b, "</td>");
		td_text(b, jpath_str(c, "verdict"));
		td_numf(b, rep, "p3", "/claims/%zu/p_value", i);
		td_numf(b, rep, "p3", "/claims/%zu/p_holm", i);
		td_text(b, jpath_str(c, "source"));
		um_buf_puts(b, "</tr>\n");
	}
	um_buf_puts(b, "</tbody>\n</table>\n</section>\n");
}

/* ---- charts: shared pieces -------------------------------------------------- */

static void svg_open(um_buf *b, const char *id, double h, const char *title, const char *desc)
{
	putf(b, "<figure id=\"%s\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f "
		"%.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-labelledby=\"%s-title "
		"%s-desc\">\n<title id=\"%s-title\">",
	     id, W, h, W, h, id, id, id);
	esc(b, title);
	putf(b, "</title>\n<desc id=\"%s-desc\">", id);
	esc(b, desc);
	um_buf_puts(b, "</desc>\n");
}

static void svg_close(um_buf *b, const char *caption)
{
	um_buf_puts(b, "</svg>\n<figcaption>");
	esc(b, caption);
	um_buf_puts(b, "</figcaption>\n</figure>\n");
}

static void svg_text(um_buf *b, double x, double y, const char *anchor, const char *s)
{
	putf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, y, anchor);
	esc(b, s);
	um_buf_puts(b, "</text>\n");
}

static void svg_num(um_buf *b, double x, double y, const char *anchor, const json_t *rep,
		    const char *ptr, const char *fmt)
{
	char a[96];

	snprintf(a, sizeof(a), "x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"", x, y, anchor);
	num_el(b, "text", a, rep, ptr, fmt);
	um_buf_puts(b, "\n");
}

static void svg_line(um_buf *b, double x1, double y1, double x2, double y2, const char *style)
{
	putf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" %s/>\n", x1, y1, x2, y2,
	     style);
}

static void no_chart(um_buf *b, const char *id, const char *what)
{
	putf(b, "<p class=\"nodata\" id=\"%s\">", id);
	esc(b, what);
	um_buf_puts(b, "</p>\n");
}

/* Horizontal axis from lo to hi (data units) mapped to [x0, x1] at y, with
 * ticks every step, labelled with tick x scale (with a sign when signed). */
static void x_axis(um_buf *b, double x0, double x1, double y, double top, double lo, double hi,
		   double step, int signed_, double scale)
{
	double t;
	char lab[32];

	svg_line(b, x0, y, x1, y, "class=\"ax\"");
	for (t = lo; t <= hi + step / 1e6; t += step) {
		double x = x0 + (t - lo) / (hi - lo) * (x1 - x0);
		svg_line(b, x, top, x, y, "class=\"grid\"");
		double v = fabs(t * scale) < 1e-9 ? 0.0 : t * scale;
		if (signed_ && v != 0.0)
			snprintf(lab, sizeof(lab), "%+.0f", v);
		else
			snprintf(lab, sizeof(lab), "%.0f", v);
		svg_text(b, x, y + 14, "middle", lab);
	}
}

/* ---- chart: accuracy with intervals ----------------------------------------- */

static void chart_accuracy(um_buf *b, const json_t *rep)
{
	const json_t *sys = json_object_get(rep, "systems"), *s;
	size_t i, n = json_array_size(sys);
	double x0 = 170, x1 = W - 190, row = 30, top = 40, h = top + row * (double)n + 40;
	char p[128], cap[160];
	int lv = level_pct(rep);

	if (!n) {
		no_chart(b, "chart-accuracy", "No systems.");
		return;
	}
	snprintf(cap, sizeof(cap), "Accuracy per system with %d%% intervals", lv);
	svg_open(b, "chart-accuracy", h, cap,
		 "For each system a dot at its accuracy over graded attempts, a thick bar for "
		 "the interval clustered by item.");
	svg_text(b, x0, 20, "start", "accuracy (%): dot, and its interval clustered by item");
	x_axis(b, x0, x1, h - 30, top - 10, 0, 1, 0.1, 0, 100.0);
	json_array_foreach(sys, i, s) {
		double y = top + row * (double)i + row / 2, v, lo, hi;
		const char *role = jpath_str(s, "role");
		const char *col = um_streq(role, "orchestrator") ? "#8250df" : "#0969da";

		svg_text(b, x0 - 8, y + 4, "end", jpath_str(s, "name"));
		ptrf(p, sizeof(p), "/systems/%zu/accuracy", i);
		v = numv(s, "/accuracy/value", -1);
		lo = numv(s, "/accuracy/ci_lo", -1);
		hi = numv(s, "/accuracy/ci_hi", -1);
		if (lo >= 0 && hi >= 0)
			putf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"6\" fill=\"%s\" "
				"opacity=\"0.45\"/>\n",
			     x0 + lo * (x1 - x0), y - 5, (hi - lo) * (x1 - x0), col);
		if (v >= 0)
			putf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/>\n",
			     x0 + v * (x1 - x0), y - 2, col);
		ptrf(p, sizeof(p), "/systems/%zu/accuracy/value", i);
		svg_num(b, x1 + 10, y + 4, "start", rep, p, "pct");
		um_buf_puts(b, "<text x=\"");
		putf(b, "%.1f\" y=\"%.1f\" text-anchor=\"start\">[", x1 + 60, y + 4);
		ptrf(p, sizeof(p), "/systems/%zu/accuracy/ci_lo", i);
		num_el(b, "tspan", NULL, rep, p, "p1");
		um_buf_puts(b, ", ");
		ptrf(p, sizeof(p), "/systems/%zu/accuracy/ci_hi", i);
		num_el(b, "tspan", NULL, rep, p, "p1");
		um_buf_puts(b, "]</text>\n");
	}
	svg_close(b, "Dots: accuracy; bars: the interval clustered by item (Wilson and "
		     "Jeffreys on the effective sample size, docs/report.md). Purple: orchestrators; blue: baselines.");
}

/* ---- chart: cost per item against accuracy ---------------------------------- */

typedef struct cost_axis {
	double lmin, lmax, x0, x1, y0, y1; /* log10 of micro-USD */
} cost_axis;

static double cx_of(const cost_axis *a, double micro)
{
	double l = log10(micro < 1 ? 1 : micro);
	return a->x0 + (l - a->lmin) / (a->lmax - a->lmin) * (a->x1 - a->x0);
}

static double cy_of(const cost_axis *a, double acc)
{
	return a->y0 - acc * (a->y0 - a->y1);
}

static void cost_ticks(um_buf *b, const cost_axis *a)
{
	double e;
	char lab[32];

	svg_line(b, a->x0, a->y0, a->x1, a->y0, "class=\"ax\"");
	svg_line(b, a->x0, a->y0, a->x0, a->y1, "class=\"ax\"");
	for (e = ceil(a->lmin); e <= a->lmax + 1e-9; e += 1) {
		double x = a->x0 + (e - a->lmin) / (a->lmax - a->lmin) * (a->x1 - a->x0);
		svg_line(b, x, a->y1, x, a->y0, "class=\"grid\"");
		snprintf(lab, sizeof(lab), "$%g", pow(10.0, e) / 1e6);
		svg_text(b, x, a->y0 + 14, "middle", lab);
	}
	for (e = 0; e <= 1.0001; e += 0.2) {
		double y = cy_of(a, e);
		svg_line(b, a->x0, y, a->x1, y, "class=\"grid\"");
		snprintf(lab, sizeof(lab), "%.0f%%", e * 100);
		svg_text(b, a->x0 - 6, y + 4, "end", lab);
	}
	svg_text(b, (a->x0 + a->x1) / 2, a->y0 + 32, "middle",
		 "cost per item (USD, log scale)");
	svg_text(b, a->x0, a->y1 - 10, "start", "accuracy");
}

/* The baselines' frontier: a mix of two neighbouring points lies on the
 * straight line between them in linear cost, a curve on the log axis. */
static void frontier_path(um_buf *b, const cost_axis *a, const json_t *fr)
{
	size_t i, k;

	um_buf_puts(b, "<polyline fill=\"none\" stroke=\"#1a7f37\" stroke-width=\"2\" "
		       "stroke-dasharray=\"5 3\" points=\"");
	for (i = 0; i < json_array_size(fr); i++) {
		const json_t *p = json_array_get(fr, i), *q = json_array_get(fr, i + 1);
		double c0 = numv(p, "/cost_per_item_micro", 1), a0 = numv(p, "/accuracy", 0);
		double c1 = q ? numv(q, "/cost_per_item_micro", 1) : c0;
		double a1 = q ? numv(q, "/accuracy", 0) : a0;
		for (k = 0; k < (q ? 12u : 1u); k++) {
			double t = (double)k / 12.0;
			putf(b, "%.1f,%.1f ", cx_of(a, c0 + t * (c1 - c0)),
			     cy_of(a, a0 + t * (a1 - a0)));
		}
	}
	um_buf_puts(b, "\"/>\n");
}

static void cost_range(const json_t *pts, const json_t *orch, cost_axis *a)
{
	double lo = 1e300, hi = 0;
	const json_t *p;
	size_t i;

	json_array_foreach(pts, i, p) {
		double c = numv(p, "/cost_per_item_micro", -1);
		if (c > 0 && c < lo)
			lo = c;
		if (c > hi)
			hi = c;
	}
	json_array_foreach(orch, i, p) {
		double c1 = numv(p, "/billed_cost_per_item_micro", -1);
		double c2 = numv(p, "/true_cost_per_item_micro", -1);
		if (c1 > 0 && c1 < lo)
			lo = c1;
		if (c2 > hi)
			hi = c2;
	}
	if (hi <= 0)
		lo = 1, hi = 10;
	a->lmin = floor(log10(lo < 1 ? 1 : lo));
	a->lmax = ceil(log10(hi < 1 ? 1 : hi));
	if (a->lmax <= a->lmin)
		a->lmax = a->lmin + 1;
}

static void cost_point(um_buf *b, const cost_axis *a, double c, double acc, const char *name,
		       const char *colour)
{
	double x = cx_of(a, c), y = cy_of(a, acc);

	putf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/>\n", x, y, colour);
	svg_text(b, x + 8, y - 7, "start", name);
}

static void orchestrator_points(um_buf *b, const cost_axis *a, const json_t *rep)
{
	const json_t *o;
	size_t i;
	char p[128];

	json_array_foreach(jpath_get(rep, "routing.orchestrators"), i, o) {
		double acc = numv(o, "/accuracy", 0);
		double hc = numv(o, "/billed_cost_per_item_micro", 1);
		double tc = numv(o, "/true_cost_per_item_micro", hc);
		double y = cy_of(a, acc), xh = cx_of(a, hc), xt = cx_of(a, tc);

		svg_line(b, xh, y, xt, y,
			 "stroke=\"#8250df\" stroke-width=\"1.5\" stroke-dasharray=\"2 2\"");
		putf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"#fff\" stroke=\"#8250df\" "
			"stroke-width=\"2\"/>\n<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" "
			"fill=\"#8250df\"/>\n",
		     xh, y, xt, y);
		svg_text(b, xt + 8, y - 22, "start", jpath_str(o, "system"));
		/* headline below its point, true cost above its point */
		putf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">headline $", xh, y + 20);
		ptrf(p, sizeof(p), "/routing/orchestrators/%zu/billed_cost_per_item_micro", i);
		num_el(b, "tspan", NULL, rep, p, "usd6");
		putf(b, "</text>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\">true cost $",
		     xt + 8, y - 8);
		ptrf(p, sizeof(p), "/routing/orchestrators/%zu/true_cost_per_item_micro", i);
		num_el(b, "tspan", NULL, rep, p, "usd6");
		um_buf_puts(b, "</text>\n");
	}
}

static void chart_cost(um_buf *b, const json_t *rep)
{
	const json_t *pts = jpath_get(rep, "routing.systems"), *p;
	const json_t *orch = jpath_get(rep, "routing.orchestrators");
	cost_axis a;
	size_t i;

	if (!json_array_size(pts)) {
		no_chart(b, "chart-cost", "No cost/accuracy data (the run has no router section).");
		return;
	}
	cost_range(pts, orch, &a);
	a.x0 = 70, a.x1 = W - 170, a.y0 = 340, a.y1 = 30;
	svg_open(b, "chart-cost", 390, "Cost per item against accuracy",
		 "Each baseline is a point at its cost per item and accuracy over the items graded "
		 "for every system; the dashed line is the baselines' frontier (what mixing "
		 "baselines reaches without any skill); each orchestrator appears at its headline "
		 "cost (its own bill, hollow) and its true cost (bill plus downstream calls).");
	cost_ticks(b, &a);
	frontier_path(b, &a, jpath_get(rep, "routing.zero_router.frontier"));
	json_array_foreach(pts, i, p) {
		if (um_streq(jpath_str(p, "role"), "orchestrator"))
			continue;
		cost_point(b, &a, numv(p, "/cost_per_item_micro", 1), numv(p, "/accuracy", 0),
			   jpath_str(p, "name"),
			   json_is_true(json_object_get(p, "on_frontier")) ? "#1a7f37" : "#0969da");
	}
	orchestrator_points(b, &a, rep);
	svg_close(b, "Green: baselines on the frontier; blue: baselines below it; dashed green: "
		     "the frontier; purple: orchestrators at headline (hollow) and true cost "
		     "(filled), each labelled with its cost per item in USD.");
}

/* ---- chart: category x system heat map -------------------------------------- */

static void heat_colour(double v, char *out, size_t n, int *dark)
{
	/* from #f6f8fa (0%) to #0a3069 (100%) */
	int r = (int)lround(246 + (10 - 246) * v), g = (int)lround(248 + (48 - 248) * v);
	int bl = (int)lround(250 + (105 - 250) * v);

	snprintf(out, n, "#%02x%02x%02x", r, g, bl);
	*dark = v > 0.55;
}

static void chart_heat(um_buf *b, const json_t *rep)
{
	const json_t *sys = json_object_get(rep, "systems"), *s, *c;
	const json_t *cats = json_object_get(json_array_get(sys, 0), "categories");
	size_t ns = json_array_size(sys), nc = json_array_size(cats), i, j;
	double x0 = 140, cw = (W - x0 - 10) / (double)(ns ? ns : 1), ch = 34, top = 40;
	char p[128], col[16];

	if (!ns || !nc) {
		no_chart(b, "chart-heatmap", "No categories.");
		return;
	}
	svg_open(b, "chart-heatmap", top + ch * (double)nc + 20, "Accuracy by category and system",
		 "A grid with one row per category and one column per system; each cell is "
		 "shaded by the system's accuracy on that category and shows it with n.");
	json_array_foreach(sys, i, s)
		svg_text(b, x0 + cw * ((double)i + 0.5), top - 10, "middle", jpath_str(s, "name"));
	json_array_foreach(cats, j, c) {
		double y = top + ch * (double)j;
		svg_text(b, x0 - 8, y + ch / 2 + 4, "end", jpath_str(c, "name"));
		json_array_foreach(sys, i, s) {
			const json_t *cc = json_array_get(json_object_get(s, "categories"), j);
			double v = numv(cc, "/accuracy/value", -1);
			int dark = 0;
			if (v >= 0)
				heat_colour(v, col, sizeof(col), &dark);
			else
				snprintf(col, sizeof(col), "#ffffff");
			putf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				"fill=\"%s\" stroke=\"#fff\"/>\n",
			     x0 + cw * (double)i, y, cw, ch, col);
			ptrf(p, sizeof(p), "/systems/%zu/categories/%zu/accuracy/value", i, j);
			putf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\"%s>",
			     x0 + cw * ((double)i + 0.5), y + ch / 2 + 4,
			     dark ? " style=\"fill:#fff\"" : "");
			num_el(b, "tspan", NULL, rep, p, "pct");
			um_buf_puts(b, " (n=");
			ptrf(p, sizeof(p), "/systems/%zu/categories/%zu/n", i, j);
			num_el(b, "tspan", NULL, rep, p, "int");
			um_buf_puts(b, ")</text>\n");
		}
	}
	svg_close(b, "Darker is more accurate (white 0%, dark blue 100%); n is the number of "
		     "graded attempts in the cell.");
}

/* ---- chart: paired differences (forest plot) -------------------------------- */

/* The minimum detectable effect of a comparison as a proportion, when the
 * report gives one ("mde" as a number or {value}), else -1. */
static double mde_of(const json_t *c, char *ptr, size_t n, size_t i)
{
	const json_t *m = json_object_get(c, "mde");

	if (json_is_number(m)) {
		ptrf(ptr, n, "/paired/comparisons/%zu/mde", i);
		return json_number_value(m);
	}
	if (json_is_number(json_object_get(m, "value"))) {
		ptrf(ptr, n, "/paired/comparisons/%zu/mde/value", i);
		return json_number_value(json_object_get(m, "value"));
	}
	return -1;
}

/* The vendor's claimed gap for the pair (a, b), in points, or NAN. */
static double claimed_gap(const json_t *rep, const char *a, const char *bsys)
{
	const json_t *g;
	size_t i;

	json_array_foreach(json_object_get(rep, "claimed_gaps"), i, g)
		if (um_streq(jpath_str(g, "orchestrator"), a) &&
		    um_streq(jpath_str(g, "baseline"), bsys))
			return numv(g, "/claimed_gap_pp", NAN);
	return NAN;
}

/* Half the axis width, in proportion units: a whole number of ticks of
 * *step that covers every interval and claimed gap. */
static double forest_span(const json_t *rep, const json_t *cmp, double *step)
{
	const json_t *c;
	size_t i;
	double m = 0.05;

	json_array_foreach(cmp, i, c) {
		double g = claimed_gap(rep, jpath_str(c, "system_a"), jpath_str(c, "system_b"));
		m = fmax(m, fabs(numv(c, "/difference/ci_lo", 0)));
		m = fmax(m, fabs(numv(c, "/difference/ci_hi", 0)));
		if (!isnan(g))
			m = fmax(m, fabs(g) / 100.0);
	}
	*step = m <= 0.2 ? 0.05 : m <= 0.5 ? 0.1 : 0.2;
	return fmin(1.0, ceil(m / *step - 1e-9) * *step);
}

static void forest_row(um_buf *b, const json_t *rep, const json_t *c, size_t i, double y,
		       double x0, double x1, double span)
{
	double lo = numv(c, "/difference/ci_lo", NAN), hi = numv(c, "/difference/ci_hi", NAN);
	double v = numv(c, "/difference/value", NAN), mde, g;
	double k = (x1 - x0) / (2 * span), xm = (x0 + x1) / 2;
	char p[128], lab[200];

	snprintf(lab, sizeof(lab), "%s - %s", jpath_str(c, "system_a"), jpath_str(c, "system_b"));
	svg_text(b, x0 - 8, y + 4, "end", lab);
	if (!isnan(lo) && !isnan(hi))
		svg_line(b, xm + lo * k, y, xm + hi * k, y, "stroke=\"#0969da\" stroke-width=\"3\"");
	if (!isnan(v))
		putf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"#0969da\"/>\n",
		     xm + v * k - 5, y - 5);
	if ((mde = mde_of(c, p, sizeof(p), i)) > 0) {
		svg_line(b, xm - mde * k, y - 9, xm - mde * k, y + 9,
			 "stroke=\"#9a6700\" stroke-width=\"1.5\"");
		svg_line(b, xm + mde * k, y - 9, xm + mde * k, y + 9,
			 "stroke=\"#9a6700\" stroke-width=\"1.5\"");
	}
	g = claimed_gap(rep, jpath_str(c, "system_a"), jpath_str(c, "system_b"));
	if (!isnan(g)) {
		double gx = xm + g / 100.0 * k;
		putf(b, "<path d=\"M%.1f %.1fl6 6l-6 6l-6 -6z\" fill=\"#cf222e\"/>\n", gx, y - 6);
	}
	putf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\">", x1 + 10, y + 4);
	ptrf(p, sizeof(p), "/paired/comparisons/%zu/difference/value", i);
	num_el(b, "tspan", NULL, rep, p, "pp");
	um_buf_puts(b, " [");
	ptrf(p, sizeof(p), "/paired/comparisons/%zu/difference/ci_lo", i);
	num_el(b, "tspan", NULL, rep, p, "pp");
	um_buf_puts(b, ", ");
	ptrf(p, sizeof(p), "/paired/comparisons/%zu/difference/ci_hi", i);
	num_el(b, "tspan", NULL, rep, p, "pp");
	um_buf_puts(b, "]</text>\n");
}

static void chart_forest(um_buf *b, const json_t *rep)
{
	const json_t *cmp = jpath_get(rep, "paired.comparisons"), *c;
	size_t n = json_array_size(cmp), i;
	double x0 = 230, x1 = W - 170, row = 30, top = 40, h = top + row * (double)n + 44, span;
	double step;
	int any_mde = 0;
	char cap[400], tmp[8];

	if (!n) {
		no_chart(b, "chart-forest", "No paired comparisons.");
		return;
	}
	span = forest_span(rep, cmp, &step);
	json_array_foreach(cmp, i, c)
		any_mde |= mde_of(c, tmp, 0, i) > 0;
	svg_open(b, "chart-forest", h, "Paired differences (A minus B, percentage points)",
		 "A forest plot: one row per paired comparison, a square at the measured "
		 "difference, a bar for its interval, the zero line, and where known the "
		 "vendor's claimed gap (red diamond) and the minimum detectable effect (ticks).");
	x_axis(b, x0, x1, h - 30, top - 14, -span, span, step, 1, 100.0);
	svg_line(b, (x0 + x1) / 2, top - 14, (x0 + x1) / 2, h - 30,
		 "stroke=\"#1b1f24\" stroke-width=\"1\"");
	svg_text(b, x0, 20, "start", "difference A - B (pp) with interval");
	json_array_foreach(cmp, i, c)
		forest_row(b, rep, c, i, top + row * (double)i + row / 2, x0, x1, span);
	snprintf(cap, sizeof(cap),
		 "Squares: the paired difference; bars: its %d%% interval over per-item means; "
		 "red diamonds: the gap a vendor claimed%s.",
		 level_pct(rep),
		 any_mde ? "; brown ticks: plus and minus the minimum detectable effect"
			 : " (the report gives no minimum detectable effect)");
	svg_close(b, cap);
}

/* ---- chart: claims against measurements ------------------------------------- */

static void chart_claims(um_buf *b, const json_t *rep)
{
	const json_t *cl = json_object_get(rep, "claims"), *c;
	size_t n = json_array_size(cl), i;
	double x0 = 220, x1 = W - 230, row = 32, top = 40, h = top + row * (double)n + 44;
	char p[128], lab[200];

	if (!n) {
		no_chart(b, "chart-claims", "No published claims recorded for this suite.");
		return;
	}
	svg_open(b, "chart-claims", h, "Claims against measurements (percent)",
		 "One row per published claim: a bar for the measured interval, a dot at the "
		 "measured accuracy and a red diamond at the claimed value, with the verdict.");
	x_axis(b, x0, x1, h - 30, top - 14, 0, 100, 10, 0, 1.0);
	json_array_foreach(cl, i, c) {
		double y = top + row * (double)i + row / 2, k = (x1 - x0) / 100.0;
		double lo = numv(c, "/measured/ci_lo", NAN), hi = numv(c, "/measured/ci_hi", NAN);
		double m = numv(c, "/measured/percent", NAN), cv = numv(c, "/claimed_percent", NAN);

		snprintf(lab, sizeof(lab), "%s, %s", jpath_str(c, "system"),
			 jpath_str(c, "benchmark"));
		svg_text(b, x0 - 8, y + 4, "end", lab);
		if (!isnan(lo) && !isnan(hi))
			putf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"8\" "
				"fill=\"#0969da\" opacity=\"0.4\"/>\n",
			     x0 + lo * k, y - 4, (hi - lo) * k);
		if (!isnan(m))
			putf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"#0969da\"/>\n",
			     x0 + m * k, y);
		if (!isnan(cv))
			putf(b, "<path d=\"M%.1f %.1fl6 6l-6 6l-6 -6z\" fill=\"#cf222e\"/>\n",
			     x0 + fmin(fmax(cv, 0), 100) * k, y - 6);
		ptrf(p, sizeof(p), "/claims/%zu/claimed_percent", i);
		putf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\">claimed ", x1 + 10, y + 4);
		num_el(b, "tspan", NULL, rep, p, "pv");
		um_buf_puts(b, ": ");
		esc(b, jpath_str(c, "verdict"));
		um_buf_puts(b, "</text>\n");
	}
	svg_close(b, "Red diamonds: the claimed accuracy; blue bars: the measured interval (the "
		     "interval clustered by item); blue dots: measured accuracy.");
}

/* ---- chart: routing flow ------------------------------------------------------ */

typedef struct flow_node {
	const char *name;
	long long calls;
	double y, used; /* top, and the part already given to links */
} flow_node;

static size_t flow_find(flow_node *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return i;
	return SIZE_MAX;
}

static int cmp_node(const void *a, const void *b)
{
	return strcmp(((const flow_node *)a)->name, ((const flow_node *)b)->name);
}

/* Left nodes are categories, right nodes sub-models; heights by calls. */
static void flow_layout(const json_t *bycat, flow_node **lv, size_t *nl, flow_node **rv,
			size_t *nr, long long *total)
{
	const char *cat, *model;
	const json_t *m, *cnt;

	*lv = um_xcalloc(json_object_size(bycat) + 1, sizeof(**lv));
	*rv = NULL;
	*nl = *nr = 0;
	*total = 0;
	json_object_foreach((json_t *)bycat, cat, m) {
		flow_node *l = &(*lv)[(*nl)++];
		l->name = cat;
		json_object_foreach((json_t *)m, model, cnt) {
			size_t k = flow_find(*rv, *nr, model);
			if (k == SIZE_MAX) {
				*rv = um_xrealloc(*rv, (*nr + 1) * sizeof(**rv));
				memset(&(*rv)[*nr], 0, sizeof(**rv));
				(*rv)[*nr].name = model;
				k = (*nr)++;
			}
			(*rv)[k].calls += json_integer_value(cnt);
			l->calls += json_integer_value(cnt);
			*total += json_integer_value(cnt);
		}
	}
	qsort(*lv, *nl, sizeof(**lv), cmp_node);
	if (*rv)
		qsort(*rv, *nr, sizeof(**rv), cmp_node);
}

static void flow_nodes(um_buf *b, flow_node *v, size_t n, double x, double k, double top,
		       int left)
{
	size_t i;
	double y = top;

	for (i = 0; i < n; i++) {
		double hh = (double)v[i].calls * k;
		v[i].y = y;
		putf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"%.1f\" fill=\"%s\"/>\n",
		     x, y, hh, left ? "#57606a" : "#8250df");
		putf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", left ? x - 6 : x + 18,
		     y + hh / 2 + 4, left ? "end" : "start");
		esc(b, v[i].name);
		putf(b, " (%lld calls)</text>\n", v[i].calls);
		y += hh + 10;
	}
}

static void flow_links(um_buf *b, const json_t *rep, size_t si, const json_t *bycat,
		       flow_node *lv, size_t nl, flow_node *rv, size_t nr, double xl, double xr,
		       double k)
{
	size_t i;
	char p[256];

	for (i = 0; i < nl; i++) {
		const json_t *m = json_object_get(bycat, lv[i].name);
		size_t j;
		for (j = 0; j < nr; j++) {
			const json_t *cnt = json_object_get(m, rv[j].name);
			double w, y1, y2, xm = (xl + xr) / 2;
			if (!json_is_integer(cnt) || json_integer_value(cnt) <= 0)
				continue;
			w = (double)json_integer_value(cnt) * k;
			y1 = lv[i].y + lv[i].used + w / 2;
			y2 = rv[j].y + rv[j].used + w / 2;
			lv[i].used += w;
			rv[j].used += w;
			putf(b, "<path d=\"M%.1f %.1fC%.1f %.1f %.1f %.1f %.1f %.1f\" fill=\"none\" "
				"stroke=\"#8250df\" stroke-opacity=\"0.3\" stroke-width=\"%.1f\">",
			     xl + 12, y1, xm, y1, xm, y2, xr, y2, w);
			um_buf_puts(b, "<title>");
			esc(b, lv[i].name);
			um_buf_puts(b, " to ");
			esc(b, rv[j].name);
			putf(b, ": %lld calls</title></path>\n", (long long)json_integer_value(cnt));
			ptrf(p, sizeof(p), "/routing_log/systems/%zu/sub_models_by_category/%s/%s", si,
			     lv[i].name, rv[j].name);
			if (w >= 11)
				svg_num(b, xr - 4, y2 + 4, "end", rep, p, "int");
		}
	}
}

static void chart_flow_one(um_buf *b, const json_t *rep, const json_t *s, size_t si)
{
	const json_t *bycat = json_object_get(s, "sub_models_by_category");
	flow_node *lv, *rv;
	size_t nl, nr;
	long long total;
	double top = 40, avail = 300, k, h;
	char id[64], title[200];

	flow_layout(bycat, &lv, &nl, &rv, &nr, &total);
	if (!total) {
		free(lv);
		free(rv);
		return;
	}
	k = (avail - 10.0 * (double)((nl > nr ? nl : nr) - 1)) / (double)total;
	h = top + avail + 30;
	snprintf(id, sizeof(id), "chart-routing-%zu", si);
	snprintf(title, sizeof(title), "Routing flow of %s: sub-model by category",
		 jpath_str(s, "system"));
	svg_open(b, id, h, title,
		 "Left: the item categories; right: the sub-models the orchestrator called, as "
		 "seen by the recording proxy; each band's width is the number of calls.");
	svg_text(b, 200, 22, "end", "category");
	svg_text(b, W - 220, 22, "start", "sub-model");
	flow_nodes(b, lv, nl, 200, k, top, 1);
	flow_nodes(b, rv, nr, W - 240, k, top, 0);
	flow_links(b, rep, si, bycat, lv, nl, rv, nr, 200, W - 240, k);
	svg_close(b, "Band widths are proportional to the sub-calls; hover a band for its count.");
	free(lv);
	free(rv);
}

static void chart_routing(um_buf *b, const json_t *rep)
{
	const json_t *sys = jpath_get(rep, "routing_log.systems"), *s;
	size_t i;

	if (!json_array_size(sys)) {
		no_chart(b, "chart-routing-0",
			 "No routing log: the run recorded no downstream calls of an orchestrator.");
		return;
	}
	json_array_foreach(sys, i, s)
		chart_flow_one(b, rep, s, i);
}

static void charts(um_buf *b, const json_t *rep)
{
	um_buf_puts(b, "<section id=\"charts\">\n<h2>Charts</h2>\n");
	chart_accuracy(b, rep);
	chart_cost(b, rep);
	chart_heat(b, rep);
	chart_forest(b, rep);
	chart_claims(b, rep);
	chart_routing(b, rep);
	um_buf_puts(b, "</section>\n");
}

/* ---- item table and transcripts -------------------------------------------------- */

/* The page holding a system's transcripts ("" for report.html itself):
 * HTML_PAGE_PREFIX NN-name.html beside report.html, the name reduced to
 * [A-Za-z0-9._-] and NN its place among the systems; the system's attempts
 * from chunk x HTML_PAGE_ATTEMPTS on are on NN-name-<chunk+1>.html. */
static void page_of(char *out, size_t n, const json_t *rep, const char *system, size_t chunk,
		    int split)
{
	const json_t *s;
	size_t i, k;
	char safe[80];

	out[0] = '\0';
	if (!split)
		return;
	json_array_foreach(json_object_get(rep, "systems"), i, s) {
		const char *nm = jpath_str(s, "name");
		if (!um_streq(nm, system))
			continue;
		for (k = 0; nm[k] && k + 1 < sizeof(safe); k++)
			safe[k] = (nm[k] >= 'a' && nm[k] <= 'z') || (nm[k] >= 'A' && nm[k] <= 'Z') ||
						  (nm[k] >= '0' && nm[k] <= '9') || nm[k] == '.' ||
						  nm[k] == '_' || nm[k] == '-'
					  ? nm[k]
					  : '_';
		safe[k] = '\0';
		if (chunk)
			snprintf(out, n, "%s%02zu-%s-%zu.html", HTML_PAGE_PREFIX, i + 1, safe,
				 chunk + 1);
		else
			snprintf(out, n, "%s%02zu-%s.html", HTML_PAGE_PREFIX, i + 1, safe);
		return;
	}
	snprintf(out, n, "%sother.html", HTML_PAGE_PREFIX);
}

static void att_link(um_buf *b, const json_t *rep, const json_t *a, size_t chunk, int split)
{
	char page[160];
	const json_t *sc = json_object_get(a, "score");
	const char *cls = !json_is_integer(sc) ? "err" : json_integer_value(sc) > 0 ? "ok" : "bad";
	const char *mark = !json_is_integer(sc) ? "!" : json_integer_value(sc) > 0 ? "&#10003;"
										  : "&#10007;";

	const char *outcome = json_string_value(json_object_get(a, "outcome"));

	page_of(page, sizeof(page), rep, jpath_str(a, "system"), chunk, split);
	if (outcome) { /* judged suites: no grade, neither wrong nor an error */
		putf(b, "<a class=\"out\" href=\"%s#a-", page);
		esc(b, jpath_str(a, "id"));
		putf(b, "\" title=\"sample %lld: ", jpath_int(a, "sample"));
		esc(b, outcome);
		um_buf_puts(b, "\">&#8211;</a>");
		return;
	}
	putf(b, "<a class=\"%s\" href=\"%s#a-", cls, page);
	esc(b, jpath_str(a, "id"));
	putf(b, "\" title=\"sample %lld: %s\">%s</a>", jpath_int(a, "sample"),
	     !json_is_integer(sc) ? "infrastructure error" : json_integer_value(sc) > 0 ? "correct"
											: "wrong",
	     mark);
}

/* Items are rows, systems columns; attempts are in (item, system, sample)
 * order, so one pass fills the rows. */
static void item_table(um_buf *b, const json_t *rep, const json_t *atts, int split)
{
	const json_t *sys = json_object_get(rep, "systems"), *s;
	size_t i = 0, n = json_array_size(atts), k;
	size_t *seen = um_xcalloc(json_array_size(sys) + 1, sizeof(*seen)); /* per system */

	um_buf_puts(b, "<section id=\"items\">\n<h2>Items</h2>\n<p>Every attempt of every item: "
		       "&#10003; correct, &#10007; wrong, ! infrastructure error; each mark opens "
		       "the attempt's transcript.</p>\n<table class=\"items\" id=\"items-table\">\n"
		       "<thead><tr><th>Item</th><th>Category</th>");
	json_array_foreach(sys, k, s) {
		um_buf_puts(b, "<th>");
		esc(b, jpath_str(s, "name"));
		um_buf_puts(b, "</th>");
	}
	um_buf_puts(b, "</tr></thead>\n<tbody>\n");
	while (i < n) {
		const char *item = jpath_str(json_array_get(atts, i), "item");
		um_buf_puts(b, "<tr><td class=\"id\">");
		esc(b, item);
		um_buf_puts(b, "</td><td class=\"id\">");
		esc(b, jpath_str(json_array_get(atts, i), "category"));
		um_buf_puts(b, "</td>");
		json_array_foreach(sys, k, s) {
			size_t j = i;
			um_buf_puts(b, "<td>");
			for (; j < n && um_streq(jpath_str(json_array_get(atts, j), "item"), item); j++)
				if (um_streq(jpath_str(json_array_get(atts, j), "system"),
					     jpath_str(s, "name")))
					att_link(b, rep, json_array_get(atts, j),
						 seen[k]++ / HTML_PAGE_ATTEMPTS, split);
			um_buf_puts(b, "</td>");
		}
		um_buf_puts(b, "</tr>\n");
		while (i < n && um_streq(jpath_str(json_array_get(atts, i), "item"), item))
			i++;
	}
	um_buf_puts(b, "</tbody>\n</table>\n</section>\n");
	free(seen);
}

/* A text of the transcript model ({text, bytes}) in a <pre>, with a note
 * when it was cut. */
static void pre_text(um_buf *b, const json_t *t, const char *cls)
{
	const char *s = json_string_value(json_object_get(t, "text"));
	size_t shown = s ? strlen(s) : 0;
	long long all = json_integer_value(json_object_get(t, "bytes"));

	if (!json_is_object(t))
		return;
	putf(b, "<pre class=\"%s\">", cls);
	esc(b, s);
	um_buf_puts(b, "</pre>\n");
	if (all > (long long)shown)
		putf(b, "<p class=\"cut\">cut: %zu of %lld bytes shown</p>\n", shown, all);
}

static void dl_item(um_buf *b, const char *k, const char *v)
{
	putf(b, "<dt>%s</dt><dd>", k);
	esc(b, v);
	um_buf_puts(b, "</dd>");
}

/* The grade: score, what the extractor matched, the right answer's shown
 * position, errors, the agent's verdict. */
static void tr_grade(um_buf *b, const json_t *a)
{
	const json_t *sc = json_object_get(a, "score"), *dj = json_object_get(a, "detail");
	char tmp[160];
	int perm[32], n = 0, correct = (int)jpath_int(a, "correct_choice"), i;
	const char *pm = json_string_value(json_object_get(a, "perm"));

	um_buf_puts(b, "<dl class=\"g\">");
	dl_item(b, "grade", !json_is_integer(sc)	   ? "not graded (infrastructure error)"
			    : json_integer_value(sc) > 0 ? "correct (score 1)"
							 : "wrong (score 0)");
	if (json_is_string(json_object_get(a, "extracted")) || (pm && *pm))
		dl_item(b, "extractor matched",
			json_is_string(json_object_get(a, "extracted"))
				? json_string_value(json_object_get(a, "extracted"))
				: "nothing");
	for (; pm && *pm && n < 32; n++) {
		perm[n] = atoi(pm);
		pm = strchr(pm, ',');
		pm = pm ? pm + 1 : NULL;
	}
	for (i = 0; i < n; i++)
		if (perm[i] == correct && json_is_integer(json_object_get(a, "correct_choice"))) {
			snprintf(tmp, sizeof(tmp), "shown in position %d (%c with the default labels); "
						   "order shown %s",
				 i + 1, 'A' + i, json_string_value(json_object_get(a, "perm")));
			dl_item(b, "right answer", tmp);
		}
	if (json_is_string(json_object_get(a, "error_class"))) {
		snprintf(tmp, sizeof(tmp), "%s: %s", jpath_str(a, "error_class"),
			 jpath_str(a, "error_message"));
		dl_item(b, "error", tmp);
	}
	if (json_is_object(dj)) {
		snprintf(tmp, sizeof(tmp), "%s (verdict by %s)", jpath_str(dj, "stop_reason"),
			 jpath_str(dj, "verdict"));
		dl_item(b, "agent stopped", tmp);
	}
	snprintf(tmp, sizeof(tmp), "%lld ms, ", jpath_int(a, "latency_ms"));
	usd_text(tmp + strlen(tmp), sizeof(tmp) - strlen(tmp), jpath_int(a, "cost_micro"), 6);
	dl_item(b, "latency, cost (USD)", tmp);
	um_buf_puts(b, "</dl>\n");
}

static void tr_call(um_buf *b, const json_t *c, size_t k)
{
	const json_t *m, *t;
	size_t i;
	char cost[32];

	usd_text(cost, sizeof(cost), jpath_int(c, "cost_micro"), 6);
	if (jpath_int(c, "turn") < 0) /* judged suites: the judge's call, billed apart */
		putf(b, "<h4>Call %zu (the judge's, try %lld): HTTP %lld, %lld ms, $%s to the "
			"judge</h4>\n", k + 1, jpath_int(c, "try"), jpath_int(c, "http_status"),
		     jpath_int(c, "latency_ms"), cost);
	else
		putf(b, "<h4>Call %zu (turn %lld, try %lld): HTTP %lld, %lld ms, $%s</h4>\n", k + 1,
		     jpath_int(c, "turn"), jpath_int(c, "try"), jpath_int(c, "http_status"),
		     jpath_int(c, "latency_ms"), cost);
	if (json_is_string(json_object_get(c, "error"))) {
		um_buf_puts(b, "<p>error: ");
		esc(b, jpath_str(c, "error"));
		um_buf_puts(b, "</p>\n");
	}
	json_array_foreach(json_object_get(c, "messages"), i, m) {
		um_buf_puts(b, "<p><b>");
		esc(b, jpath_str(m, "role"));
		um_buf_puts(b, "</b></p>\n");
		pre_text(b, json_object_get(m, "text"), "msg");
	}
	if (json_is_object(json_object_get(c, "reply"))) {
		um_buf_puts(b, "<p><b>response</b></p>\n");
		pre_text(b, jpath_get(c, "reply.text"), "reply");
		json_array_foreach(jpath_get(c, "reply.tool_calls"), i, t) {
			um_buf_puts(b, "<p>tool call <code>");
			esc(b, jpath_str(t, "name"));
			um_buf_puts(b, "</code></p>\n");
			pre_text(b, json_object_get(t, "arguments"), "tool");
		}
	}
	um_buf_puts(b, "<details><summary>request and response bodies as sent and received"
		       "</summary>\n");
	pre_text(b, json_object_get(c, "request"), "raw");
	pre_text(b, json_object_get(c, "response"), "raw");
	um_buf_puts(b, "</details>\n");
}

static void tr_step(um_buf *b, const json_t *t)
{
	putf(b, "<h4>%s step %lld (turn %lld): ", jpath_str(t, "phase"), jpath_int(t, "seq"),
	     jpath_int(t, "turn"));
	esc(b, jpath_str(t, "tool"));
	if (json_is_integer(json_object_get(t, "exit_code")))
		putf(b, ", exit %lld", jpath_int(t, "exit_code"));
	if (json_is_true(json_object_get(t, "timed_out")))
		um_buf_puts(b, ", timed out");
	putf(b, ", %lld ms</h4>\n", jpath_int(t, "duration_ms"));
	pre_text(b, json_object_get(t, "command"), "cmd");
	if (json_is_string(json_object_get(t, "error"))) {
		um_buf_puts(b, "<p>refused: ");
		esc(b, jpath_str(t, "error"));
		um_buf_puts(b, "</p>\n");
	}
	if (jpath_int(t, "stdout.bytes"))
		pre_text(b, json_object_get(t, "stdout"), "out");
	if (jpath_int(t, "stderr.bytes"))
		pre_text(b, json_object_get(t, "stderr"), "err");
	if (json_is_true(json_object_get(t, "truncated")))
		putf(b, "<p class=\"cut\">the sandbox kept part of the output: %lld bytes of stdout "
			"and %lld of stderr were written</p>\n",
		     jpath_int(t, "stdout_bytes"), jpath_int(t, "stderr_bytes"));
}

static void transcript_one(um_buf *b, const json_t *a)
{
	const json_t *x;
	size_t i;

	um_buf_puts(b, "<section class=\"tr\" id=\"a-");
	esc(b, jpath_str(a, "id"));
	um_buf_puts(b, "\">\n<h3>");
	esc(b, jpath_str(a, "item"));
	um_buf_puts(b, " &#183; ");
	esc(b, jpath_str(a, "system"));
	putf(b, " &#183; sample %lld</h3>\n", jpath_int(a, "sample"));
	tr_grade(b, a);
	if (json_is_object(json_object_get(a, "question"))) {
		um_buf_puts(b, "<p><b>question</b></p>\n");
		pre_text(b, json_object_get(a, "question"), "q");
	}
	json_array_foreach(json_object_get(a, "calls"), i, x)
		tr_call(b, x, i);
	json_array_foreach(json_object_get(a, "steps"), i, x)
		tr_step(b, x);
	um_buf_puts(b, "</section>\n");
}

/* The transcripts of system (NULL: every one) from its chunk-th group of
 * HTML_PAGE_ATTEMPTS attempts (every one when system is NULL). */
static void transcripts_of(um_buf *b, const json_t *atts, const char *system, size_t chunk)
{
	const json_t *a;
	size_t i, k = 0;

	json_array_foreach(atts, i, a) {
		if (system && !um_streq(jpath_str(a, "system"), system))
			continue;
		if (!system || k / HTML_PAGE_ATTEMPTS == chunk)
			transcript_one(b, a);
		k++;
	}
}

/* The Items section when there are no transcripts: why. */
static void no_items(um_buf *b, const json_t *transcripts)
{
	um_buf_puts(b, "<section id=\"items\">\n<h2>Items</h2>\n<p class=\"nodata\">");
	if (json_is_integer(json_object_get(transcripts, "omitted")))
		putf(b, "This run has %lld attempts, more than the %lld whose transcripts a report "
			"carries: read them from the store (docs/schema.md has the queries).",
		     jpath_int(transcripts, "omitted"), jpath_int(transcripts, "limit"));
	else
		um_buf_puts(b, "No transcripts were given.");
	um_buf_puts(b, "</p>\n</section>\n");
}

/* report.html's own transcript section: the transcripts, or links to the
 * per-system pages. */
static void transcripts_section(um_buf *b, const json_t *rep, const json_t *atts,
				const char *inl)
{
	const json_t *s;
	size_t i;
	char page[160];

	um_buf_puts(b, "<section id=\"transcripts\">\n<h2>Transcripts</h2>\n");
	if (!atts) {
		um_buf_puts(b, "<p class=\"nodata\">No transcripts.</p>\n</section>\n");
		return;
	}
	putf(b, "<p>Texts longer than %d bytes are cut and say so. Bundles made without "
		"--include-data carry request bodies and questions replaced by their sha256.</p>\n",
	     TRANSCRIPT_TEXT_MAX);
	if (inl) {
		um_buf_puts(b, inl);
	} else {
		putf(b, "<p>This run has %zu attempts (more than %d, or transcripts over %d KiB), "
			"so each system's transcripts are on pages of their own, %d attempts a "
			"page, each linking to the next:</p>\n<ul>\n",
		     json_array_size(atts), HTML_INLINE_ATTEMPTS, HTML_INLINE_BYTES >> 10,
		     HTML_PAGE_ATTEMPTS);
		json_array_foreach(json_object_get(rep, "systems"), i, s) {
			page_of(page, sizeof(page), rep, jpath_str(s, "name"), 0, 1);
			putf(b, "<li><a href=\"%s\">", page);
			esc(b, jpath_str(s, "name"));
			um_buf_puts(b, "</a></li>\n");
		}
		um_buf_puts(b, "</ul>\n");
	}
	um_buf_puts(b, "</section>\n");
}

static void page_nav(um_buf *b, const json_t *rep, const char *system, size_t chunk,
		     size_t chunks)
{
	char page[160];

	um_buf_puts(b, "<nav><a href=\"report.html#items\">back to the report</a>");
	if (chunk > 0) {
		page_of(page, sizeof(page), rep, system, chunk - 1, 1);
		putf(b, " <a href=\"%s\">previous page</a>", page);
	}
	if (chunk + 1 < chunks) {
		page_of(page, sizeof(page), rep, system, chunk + 1, 1);
		putf(b, " <a href=\"%s\">next page</a>", page);
	}
	um_buf_puts(b, "</nav>\n");
}

static char *system_page(const json_t *rep, const json_t *atts, const char *system,
			 size_t chunk, size_t chunks)
{
	um_buf b = UM_BUF_INIT;
	char title[256];

	um_buf_init(&b, 0);
	snprintf(title, sizeof(title), "umpire transcripts: %s, run %s, page %zu of %zu", system,
		 jpath_str(rep, "run.run_id"), chunk + 1, chunks);
	page_open(&b, title);
	um_buf_puts(&b, "<h1>Transcripts of ");
	esc(&b, system);
	putf(&b, " (page %zu of %zu)</h1>\n", chunk + 1, chunks);
	page_nav(&b, rep, system, chunk, chunks);
	transcripts_of(&b, atts, system, chunk);
	page_close(&b);
	return um_buf_detach(&b);
}

/* The transcript pages: per system, one per HTML_PAGE_ATTEMPTS attempts. */
static html_page *transcript_pages(const json_t *rep, const json_t *atts, html_page *p,
				   size_t *n)
{
	const json_t *s, *a;
	size_t i, j, k, cap = *n;

	json_array_foreach(json_object_get(rep, "systems"), i, s) {
		const char *nm = jpath_str(s, "name");
		size_t count = 0, chunks;
		json_array_foreach(atts, j, a)
			count += um_streq(jpath_str(a, "system"), nm);
		chunks = count ? (count + HTML_PAGE_ATTEMPTS - 1) / HTML_PAGE_ATTEMPTS : 1;
		for (k = 0; k < chunks; k++) {
			char page[160];
			um_xgrow((void **)&p, &cap, *n + 1, sizeof(*p));
			page_of(page, sizeof(page), rep, nm, k, 1);
			p[*n].name = um_xstrdup(page);
			p[*n].text = system_page(rep, atts, nm, k, chunks);
			(*n)++;
		}
	}
	return p;
}

html_page *html_render(const json_t *report, const json_t *transcripts, size_t *n)
{
	const json_t *atts = json_object_get(transcripts, "attempts");
	int split = json_array_size(atts) > HTML_INLINE_ATTEMPTS;
	html_page *p = um_xcalloc(1, sizeof(*p));
	um_buf b = UM_BUF_INIT, inl = UM_BUF_INIT;
	char title[256];

	um_buf_init(&b, 0);
	um_buf_init(&inl, 0);
	if (json_is_array(atts) && !split) {
		transcripts_of(&inl, atts, NULL, 0);
		split = inl.len > HTML_INLINE_BYTES;
	}
	snprintf(title, sizeof(title), "umpire report: %s %s (run %s)",
		 jpath_str(report, "run.suite.name"), jpath_str(report, "run.suite.version"),
		 jpath_str(report, "run.run_id"));
	page_open(&b, title);
	header(&b, report);
	systems_table(&b, report);
	judged_table(&b, report);
	code_table(&b, report);
	scicode_table(&b, report);
	charts(&b, report);
	paired_table(&b, report);
	claims_table(&b, report);
	if (json_is_array(atts))
		item_table(&b, report, atts, split);
	else
		no_items(&b, transcripts);
	transcripts_section(&b, report, json_is_array(atts) ? atts : NULL,
			    split ? NULL : um_buf_str(&inl));
	um_buf_release(&inl);
	page_close(&b);
	p[0].name = um_xstrdup("report.html");
	p[0].text = um_buf_detach(&b);
	*n = 1;
	if (split && json_is_array(atts))
		p = transcript_pages(report, atts, p, n);
	return p;
}

void html_pages_free(html_page *p, size_t n)
{
	size_t i;

	for (i = 0; p && i < n; i++) {
		free(p[i].name);
		free(p[i].text);
	}
	free(p);
}
