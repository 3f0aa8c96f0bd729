/*
 * test_html.c - report.html from hand-made report objects: every text is
 * escaped, numbers carry the JSON pointer they came from, the transcripts go
 * onto pages per system above HTML_INLINE_ATTEMPTS, garbage in place of a
 * report or of transcripts still renders a page; transcript texts are cut at
 * a UTF-8 boundary with invalid bytes replaced.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report/html.h"
#include "report/transcript.h"

static json_t *load(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (!j)
		fail_msg("bad test JSON: %s", e.text);
	return j;
}

static const char *rep_text =
	"{\"level\": 0.95, \"items\": 2, \"calls\": 4,"
	" \"run\": {\"run_id\": \"r<1>\", \"suite\": {\"name\": \"s&t\", \"version\": \"1\"}},"
	" \"systems\": [{\"name\": \"<script>alert(1)</script>\", \"role\": \"baseline\","
	"   \"accuracy\": {\"value\": 0.5, \"ci_lo\": 0.1, \"ci_hi\": 0.9,"
	"                \"n_eff\": 2},"
	"   \"cost_micro\": 1234567, \"cost_per_item_micro\": 617284,"
	"   \"categories\": [{\"name\": \"A\\\"B\", \"n\": 2, \"accuracy\": {\"value\": 0.5}}]},"
	"  {\"name\": \"two\", \"role\": \"orchestrator\", \"accuracy\": {\"value\": null},"
	"   \"categories\": [{\"name\": \"A\\\"B\", \"n\": 0, \"accuracy\": {\"value\": null}}]}],"
	" \"paired\": {\"comparisons\": [{\"system_a\": \"two\", \"system_b\": \"x\","
	"   \"difference\": {\"value\": -0.25, \"ci_lo\": -0.5, \"ci_hi\": 0.0}, \"mde\": 0.3}]},"
	" \"claims\": [{\"system\": \"two\", \"benchmark\": \"b\", \"claimed_percent\": 88,"
	"   \"measured\": null, \"verdict\": \"not measured\"}],"
	" \"routing_log\": {\"systems\": [{\"system\": \"two\", \"sub_models_by_category\":"
	"   {\"A/B~\": {\"m1\": 3, \"m2\": 1}}}]}}";

static void test_escaping_and_pointers(void **state)
{
	json_t *rep = load(rep_text);
	size_t n = 0;
	html_page *p = html_render(rep, NULL, &n);
	const char *t;

	(void)state;
	assert_int_equal(n, 1);
	assert_string_equal(p[0].name, "report.html");
	t = p[0].text;
	assert_true(strncmp(t, "<!DOCTYPE html>\n", 16) == 0);
	assert_null(strstr(t, "<script"));
	assert_non_null(strstr(t, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(t, "s&amp;t"));
	assert_non_null(strstr(t, "A&quot;B"));
	/* a number with its pointer and format, money with integer rounding */
	assert_non_null(strstr(t, "data-json=\"/systems/0/accuracy/value\" data-fmt=\"pct\">50.0%<"));
	assert_non_null(strstr(t, "data-json=\"/systems/0/cost_micro\" data-fmt=\"usd4\">1.2346<"));
	assert_non_null(strstr(t, "data-fmt=\"usd6\">0.617284<"));
	assert_non_null(strstr(t, "data-json=\"/systems/1/accuracy/value\" data-fmt=\"pct\">-<"));
	assert_non_null(strstr(t, "data-fmt=\"pp\">-25.0<"));
	/* a key with '/' and '~' is escaped as RFC 6901 wants */
	assert_non_null(strstr(t, "/sub_models_by_category/A~1B~0/m1\" data-fmt=\"int\">3<"));
	/* the MDE ticks are drawn when the report has one */
	assert_non_null(strstr(t, "minus the minimum detectable effect"));
	/* every chart is there, with a title; no network */
	assert_non_null(strstr(t, "<figure id=\"chart-accuracy\">"));
	assert_non_null(strstr(t, "<figure id=\"chart-heatmap\">"));
	assert_non_null(strstr(t, "<figure id=\"chart-forest\">"));
	assert_non_null(strstr(t, "<figure id=\"chart-claims\">"));
	assert_non_null(strstr(t, "<figure id=\"chart-routing-0\">"));
	assert_non_null(strstr(t, "<title id=\"chart-accuracy-title\">"));
	assert_non_null(strstr(t, "No cost/accuracy data"));
	assert_non_null(strstr(t, "default-src 'none'"));
	assert_null(strstr(t, "src=\"http"));
	html_pages_free(p, n);
	json_decref(rep);
}

/* n attempts, alternating between the two systems, over n/2 items. */
static json_t *transcripts(size_t n)
{
	json_t *arr = json_array(), *o = json_object();
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *a = json_object();
		char id[32], item[32];
		snprintf(id, sizeof(id), "att%zu", i);
		snprintf(item, sizeof(item), "q%04zu", i / 2);
		json_object_set_new(a, "id", json_string(id));
		json_object_set_new(a, "item", json_string(item));
		json_object_set_new(a, "system", json_string(i % 2 ? "two" : "<script>alert(1)</script>"));
		json_object_set_new(a, "score", i % 3 ? json_integer(i % 2) : json_null());
		json_object_set_new(a, "question", transcript_text("what <b>?", 9, 100));
		json_array_append_new(arr, a);
	}
	json_object_set_new(o, "attempts", arr);
	return o;
}

static void test_pages(void **state)
{
	json_t *rep = load(rep_text), *tr = transcripts(HTML_INLINE_ATTEMPTS);
	size_t n = 0;
	html_page *p = html_render(rep, tr, &n);

	(void)state;
	assert_int_equal(n, 1);
	assert_non_null(strstr(p[0].text, "href=\"#a-att0\""));
	assert_non_null(strstr(p[0].text, "<section class=\"tr\" id=\"a-att0\">"));
	assert_non_null(strstr(p[0].text, "what &lt;b&gt;?"));
	assert_non_null(strstr(p[0].text, "class=\"err\""));
	html_pages_free(p, n);
	json_decref(tr);

	tr = transcripts(HTML_INLINE_ATTEMPTS + 1);
	p = html_render(rep, tr, &n);
	assert_int_equal(n, 3);
	assert_string_equal(p[1].name, "transcripts-01-_script_alert_1___script_.html");
	assert_string_equal(p[2].name, "transcripts-02-two.html");
	assert_non_null(strstr(p[0].text, "href=\"transcripts-02-two.html#a-att1\""));
	assert_null(strstr(p[0].text, "<section class=\"tr\""));
	assert_non_null(strstr(p[2].text, "<section class=\"tr\" id=\"a-att1\">"));
	assert_null(strstr(p[2].text, "id=\"a-att0\""));
	assert_non_null(strstr(p[2].text, "href=\"report.html#items\""));
	html_pages_free(p, n);
	json_decref(tr);

	/* 501 attempts a system: two pages each, linked both ways */
	tr = transcripts(2 * HTML_PAGE_ATTEMPTS + 2);
	p = html_render(rep, tr, &n);
	assert_int_equal(n, 5);
	assert_string_equal(p[3].name, "transcripts-02-two.html");
	assert_string_equal(p[4].name, "transcripts-02-two-2.html");
	/* the 501st attempt of "two" is attempt 1001 overall */
	assert_non_null(strstr(p[0].text, "href=\"transcripts-02-two-2.html#a-att1001\""));
	assert_non_null(strstr(p[0].text, "href=\"transcripts-02-two.html#a-att999\""));
	assert_non_null(strstr(p[4].text, "id=\"a-att1001\""));
	assert_null(strstr(p[4].text, "id=\"a-att999\""));
	assert_non_null(strstr(p[3].text, "href=\"transcripts-02-two-2.html\">next page"));
	assert_non_null(strstr(p[4].text, "href=\"transcripts-02-two.html\">previous page"));
	html_pages_free(p, n);
	json_decref(tr);

	/* a run too large for transcripts says so */
	tr = json_pack("{sIsI}", "omitted", (json_int_t)123456, "limit",
		       (json_int_t)HTML_MAX_TRANSCRIPTS);
	p = html_render(rep, tr, &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(p[0].text, "This run has 123456 attempts, more than the 10000"));
	html_pages_free(p, n);
	json_decref(tr);

	/* few attempts but more than HTML_INLINE_BYTES of transcripts: pages */
	{
		size_t big = HTML_INLINE_BYTES / 4, i;
		char *q = malloc(big);
		json_t *a;
		memset(q, 'x', big);
		tr = transcripts(8);
		json_array_foreach(json_object_get(tr, "attempts"), i, a)
			json_object_set_new(a, "question", transcript_text(q, big, big));
		free(q);
	}
	p = html_render(rep, tr, &n);
	assert_int_equal(n, 3);
	assert_true(strlen(p[0].text) < HTML_INLINE_BYTES / 4);
	html_pages_free(p, n);
	json_decref(tr);
	json_decref(rep);
}

static void test_garbage(void **state)
{
	static const char *const junk[] = {
		"{}", "[]", "{\"systems\": 3, \"paired\": [1], \"claims\": {\"a\": 1}}",
		"{\"systems\": [1, \"x\", null, {\"categories\": 7}], \"routing\": {\"systems\": [2]},"
		" \"routing_log\": {\"systems\": [{\"sub_models_by_category\": {\"a\": {\"m\": \"x\"}}}]}}",
	};
	static const char *const tjunk[] = {
		"{\"attempts\": 5}", "{\"attempts\": [1, null, {\"calls\": 3, \"steps\": [7]}]}",
	};
	size_t i, j, n;

	(void)state;
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		json_t *r = load(junk[i]);
		for (j = 0; j < sizeof(tjunk) / sizeof(tjunk[0]); j++) {
			json_t *t = load(tjunk[j]);
			html_page *p = html_render(r, t, &n);
			assert_true(n >= 1);
			assert_non_null(strstr(p[0].text, "</html>\n"));
			html_pages_free(p, n);
			json_decref(t);
		}
		{
			html_page *p = html_render(r, NULL, &n);
			assert_non_null(strstr(p[0].text, "No transcripts"));
			html_pages_free(p, n);
		}
		json_decref(r);
	}
}

static void test_text_cut(void **state)
{
	json_t *t;

	(void)state;
	t = transcript_text("a\xff" "b\0c", 5, 100);
	assert_string_equal(json_string_value(json_object_get(t, "text")),
			    "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c");
	assert_int_equal(json_integer_value(json_object_get(t, "bytes")), 5);
	json_decref(t);
	/* "é" is two bytes: a cut at 2 keeps "a" and not half of it */
	t = transcript_text("a\xC3\xA9z", 4, 2);
	assert_string_equal(json_string_value(json_object_get(t, "text")), "a");
	assert_int_equal(json_integer_value(json_object_get(t, "bytes")), 4);
	json_decref(t);
	/* overlong and surrogate encodings are invalid */
	t = transcript_text("\xC0\xAF\xED\xA0\x80", 5, 100);
	assert_null(strstr(json_string_value(json_object_get(t, "text")), "\xC0"));
	json_decref(t);
	t = transcript_text(NULL, 0, 10);
	assert_true(json_is_null(t));
	json_decref(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping_and_pointers),
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_text_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
