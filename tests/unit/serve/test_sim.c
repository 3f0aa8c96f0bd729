/*
 * test_sim.c - the simulated model pool, driven over real HTTP on
 * 127.0.0.1: recognition of items and labels, accuracy and determinism,
 * both providers' response shapes, format misses, every fault kind,
 * retries, error routes, orchestrator fan-out and its routing metadata,
 * strict pool-file errors, code answers (right, wrong, format misses, the
 * orchestrator's vote on programs), and a concurrency smoke test.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec/provider.h"
#include "grade/code.h"
#include "serve/sim.h"
#include "load/dataset.h"
#include "load/suite.h"
#include "base/util.h"

#define FIX(name) FIXTURES "/sim/" name
#define N_ITEMS 400

static um_suite *suite;
static char tmpdir[] = "/tmp/umpire-test-sim-XXXXXX";

/* ------------------------------------------------------------------ */
/* Fixtures built by hand */

static um_suite *mk_suite(size_t n)
{
	um_suite *s = um_xcalloc(1, sizeof(*s));
	size_t i;
	int j;

	s->name = um_xstrdup("test");
	s->items = um_xcalloc(n, sizeof(um_item));
	s->n_items = n;
	for (i = 0; i < n; i++) {
		um_item *it = &s->items[i];

		it->id = um_xasprintf("q%zu", i);
		it->category = um_xstrdup(i % 2 ? "Biology" : "Physics");
		if (i == n - 1)
			it->question = um_xstrdup("Short question?"); /* below the index window */
		else
			it->question = um_xasprintf(
				"Item %zu: a system is prepared in state number %zu; which "
				"quantity results after transformation %zu?\nGive the best option.",
				i, i * 7 + 3, i % 13);
		it->n_choices = 4;
		for (j = 0; j < 4; j++)
			it->choices[j] = um_xasprintf("value %zu-%d units", i, j);
		it->correct = (int)(i % 4);
	}
	return s;
}

static void free_suite(um_suite *s)
{
	size_t i;
	int j;

	for (i = 0; i < s->n_items; i++) {
		free(s->items[i].id);
		free(s->items[i].category);
		free(s->items[i].question);
		for (j = 0; j < s->items[i].n_choices; j++)
			free(s->items[i].choices[j]);
	}
	free(s->items);
	free(s->name);
	free(s);
}

/* The prompt as a scaffold would render it; choices rotated by perm.
 * style 0 "(A) x", 1 "A) x", 2 "A. x", 3 "A: x". *label gets the right one. */
static char *mk_prompt(const um_item *it, int style, int perm, char *label)
{
	static const char *const open[] = {"(", "", "", ""}, *const close[] = {")", ")", ".", ":"};
	char *choices = um_xstrdup(""), *p;
	int k;

	for (k = 0; k < it->n_choices; k++) {
		int src = (k + perm) % it->n_choices;
		char *line = um_xasprintf("%s%c%s %s\n", open[style], 'A' + k, close[style],
					  it->choices[src]);

		p = um_xasprintf("%s%s", choices, line);
		free(choices);
		free(line);
		choices = p;
		if (src == it->correct)
			*label = (char)('A' + k);
	}
	p = um_xasprintf("Answer the following multiple choice question. The last line of your "
			 "response should be of the following format: 'Answer: $LETTER' "
			 "(without quotes) where LETTER is one of ABCD. Think step by step "
			 "before answering.\n\n%s\n\n%s",
			 it->question, choices);
	free(choices);
	return p;
}

static char *mk_body(const char *model, const char *prompt)
{
	json_t *j = json_pack("{s:s, s:[{s:s, s:s}], s:i, s:i}", "model", model, "messages",
			      "role", "user", "content", prompt, "temperature", 0, "max_tokens",
			      2048);
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	return s;
}

static char *write_pool(const char *name, const char *text)
{
	char *path = um_xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static um_sim *start_pool(const char *name, const char *text)
{
	char *path = write_pool(name, text);
	um_error err = {0};
	um_sim *s = NULL;

	if (sim_load(path, suite, &s, &err) < 0)
		fail_msg("sim_load: %s", err.msg);
	if (sim_start(s, 0, &err) < 0)
		fail_msg("sim_start: %s", err.msg);
	assert_true(sim_port(s) > 0);
	free(path);
	return s;
}

/* ------------------------------------------------------------------ */
/* HTTP */

typedef struct http_res {
	CURLcode rc;
	long status;
	char *body;
	size_t len;
	char retry_after[32];
	curl_off_t content_length;
} http_res;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	http_res *r = ud;

	r->body = um_xrealloc(r->body, r->len + size * n + 1);
	memcpy(r->body + r->len, p, size * n);
	r->len += size * n;
	r->body[r->len] = '\0';
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	http_res *r = ud;
	size_t len = size * n;

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		char tmp[32];
		size_t k = len - 12 < sizeof(tmp) - 1 ? len - 12 : sizeof(tmp) - 1;

		memcpy(tmp, p + 12, k);
		tmp[k] = '\0';
		snprintf(r->retry_after, sizeof(r->retry_after), "%s", um_trim(tmp));
	}
	return len;
}

static CURL *http_easy(const char *url, const char *method, const char *body, size_t len,
		       long timeout_ms, http_res *r, struct curl_slist *hdrs)
{
	CURL *h = curl_easy_init();

	memset(r, 0, sizeof(*r));
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if (method)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	return h;
}

static void http_do_h(const um_sim *s, const char *path, const char *method, const char *body,
		      long timeout_ms, const char *header, http_res *r)
{
	char *url = um_xasprintf("%s%s", sim_base_url(s), path);
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	CURL *h;

	hdrs = curl_slist_append(hdrs, "Expect:");
	if (header)
		hdrs = curl_slist_append(hdrs, header);
	h = http_easy(url, method, body, body ? strlen(body) : 0, timeout_ms, r, hdrs);
	r->rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &r->content_length);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	free(url);
}

static void http_do(const um_sim *s, const char *path, const char *method, const char *body,
		    long timeout_ms, http_res *r)
{
	http_do_h(s, path, method, body, timeout_ms, NULL, r);
}

static json_t *post_json(const um_sim *s, const char *path, const char *body, long want)
{
	http_res r;
	json_t *j;

	http_do(s, path, NULL, body, 30000, &r);
	assert_int_equal(r.rc, CURLE_OK);
	if (r.status != want)
		fail_msg("status %ld, wanted %ld: %s", r.status, want, r.body ? r.body : "");
	j = json_loadb(r.body ? r.body : "", r.len, 0, NULL);
	if (!j)
		fail_msg("not JSON: %s", r.body ? r.body : "");
	free(r.body);
	return j;
}

static const char *oa_content(const json_t *j)
{
	const char *c = json_string_value(json_object_get(
		json_object_get(json_array_get(json_object_get(j, "choices"), 0), "message"),
		"content"));

	assert_non_null(c);
	return c;
}

static json_int_t jint(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	if (!json_is_integer(v))
		fail_msg("field %s is not an integer", k);
	return json_integer_value(v);
}

/* The letter of the last "Answer: X" line (exact case), or 0. */
static char strict_letter(const char *c)
{
	const char *p, *last = NULL;

	for (p = c; (p = strstr(p, "Answer: ")) != NULL; p++)
		last = p;
	if (!last || last[8] < 'A' || last[8] > 'Z')
		return 0;
	return last[8];
}

/* ------------------------------------------------------------------ */
/* Tests */

static const char *pool_basic =
	"umpire: 1\n"
	"seed: 42\n"
	"latency_scale: 0\n"
	"models:\n"
	"  - name: sim-a\n"
	"    accuracy: {default: 0.3, Physics: 0.8}\n"
	"    latency_ms: {median: 500, spread: 0.3}\n"
	"    tokens: {output_mean: 300, output_spread: 0.3}\n"
	"    cached_fraction: 0.5\n"
	"  - name: sim-b\n"
	"    accuracy: {default: 0.9}\n";

static void test_recognise_label_styles(void **state)
{
	um_error err = {0};
	char *path = write_pool("rec.yaml", pool_basic);
	um_sim *s = NULL;
	int style, perm;
	size_t i;

	(void)state;
	assert_int_equal(sim_load(path, suite, &s, &err), 0);
	assert_int_equal(sim_model_count(s), 2);
	for (i = 0; i < N_ITEMS; i += 37) {
		for (style = 0; style < 4; style++) {
			for (perm = 0; perm < 4; perm++) {
				char want = 0, label[4];
				char *p = mk_prompt(&suite->items[i], style, perm, &want);

				assert_int_equal(sim_recognise(s, p, strlen(p), label), (long)i);
				assert_int_equal(label[0], want);
				assert_int_equal(label[1], '\0');
				free(p);
			}
		}
	}
	/* the short question (under the index window) is found by line */
	{
		char want = 0, label[4];
		char *p = mk_prompt(&suite->items[N_ITEMS - 1], 0, 1, &want);

		assert_int_equal(sim_recognise(s, p, strlen(p), label), N_ITEMS - 1);
		assert_int_equal(label[0], want);
		free(p);
	}
	/* garbage and near misses are not recognised */
	{
		char label[4] = "x";
		const char *g = "hello there, what is the answer?\n(A) yes\n(B) no\n";
		char *p = mk_prompt(&suite->items[5], 0, 0, label);
		const char *q = suite->items[5].question;

		assert_int_equal(sim_recognise(s, g, strlen(g), label), -1);
		assert_int_equal(label[0], '\0');
		assert_int_equal(sim_recognise(s, "", 0, label), -1);
		/* the question survives, the choices do not */
		p[strstr(p, q) - p + strlen(q)] = '\0';
		assert_int_equal(sim_recognise(s, p, strlen(p), label), -1);
		free(p);
	}
	sim_free(s);
	free(path);
}

static void test_accuracy_and_determinism(void **state)
{
	um_sim *s = start_pool("acc.yaml", pool_basic);
	int right[2] = {0, 0}, total[2] = {0, 0};
	size_t i;
	um_sim_stats st;

	(void)state;
	for (i = 0; i < N_ITEMS - 1; i++) {
		char want = 0, *p = mk_prompt(&suite->items[i], (int)(i % 4), (int)(i % 3), &want);
		char *b = mk_body("sim-a", p);
		json_t *j = post_json(s, "/v1/chat/completions", b, 200);
		char got = strict_letter(oa_content(j));
		int cat = i % 2; /* 0 Physics, 1 Biology */

		assert_true(got >= 'A' && got <= 'D');
		total[cat]++;
		right[cat] += got == want;
		json_decref(j);
		free(b);
		free(p);
	}
	/* Physics 0.8, others 0.3; deterministic given the seed, bounds are wide */
	assert_in_range(right[0] * 100 / total[0], 68, 92);
	assert_in_range(right[1] * 100 / total[1], 18, 42);

	/* the same request twice: the same content; a second simulator with the
	 * same pool answers byte for byte the same first response */
	{
		char want, *p = mk_prompt(&suite->items[3], 0, 0, &want);
		char *b = mk_body("sim-a", p);
		json_t *j1 = post_json(s, "/v1/chat/completions", b, 200);
		json_t *j2 = post_json(s, "/v1/chat/completions", b, 200);
		char *path = write_pool("acc.yaml", pool_basic);
		um_sim *s2 = NULL;
		um_error err = {0};
		http_res r1, r2;

		assert_string_equal(oa_content(j1), oa_content(j2));
		assert_int_equal(sim_load(path, suite, &s2, &err), 0);
		assert_int_equal(sim_start(s2, 0, &err), 0);
		p[0] = 'a'; /* a prompt neither has seen */
		free(b);
		b = mk_body("sim-a", p);
		http_do(s, "/v1/chat/completions", NULL, b, 30000, &r1);
		http_do(s2, "/v1/chat/completions", NULL, b, 30000, &r2);
		assert_int_equal(r1.status, 200);
		assert_int_equal(r1.len, r2.len);
		assert_memory_equal(r1.body, r2.body, r1.len);
		free(r1.body);
		free(r2.body);
		sim_free(s2);
		free(path);
		json_decref(j1);
		json_decref(j2);
		free(b);
		free(p);
	}
	sim_get_stats(s, &st);
	assert_int_equal(st.requests, N_ITEMS - 1 + 3);
	assert_int_equal(st.faults_429 + st.faults_500 + st.faults_stall, 0);
	sim_free(s);
}

static void test_openai_shape(void **state)
{
	um_sim *s = start_pool("oa.yaml", pool_basic);
	char want, *p = mk_prompt(&suite->items[10], 0, 0, &want);
	char *b = mk_body("sim-a", p);
	json_t *j = post_json(s, "/v1/chat/completions", b, 200), *ch, *u;
	const char *fp;
	json_int_t in, out, cached;

	(void)state;
	assert_string_equal(json_string_value(json_object_get(j, "object")), "chat.completion");
	assert_string_equal(json_string_value(json_object_get(j, "model")), "sim-a");
	assert_true(um_has_prefix(json_string_value(json_object_get(j, "id")), "chatcmpl-"));
	assert_int_equal(jint(j, "created"), 0);
	fp = json_string_value(json_object_get(j, "system_fingerprint"));
	assert_non_null(fp);
	assert_int_equal(strlen(fp), 11);
	assert_true(um_has_prefix(fp, "fp_"));
	ch = json_array_get(json_object_get(j, "choices"), 0);
	assert_string_equal(json_string_value(json_object_get(ch, "finish_reason")), "stop");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(ch, "message"), "role")),
		"assistant");
	u = json_object_get(j, "usage");
	in = jint(u, "prompt_tokens");
	out = jint(u, "completion_tokens");
	cached = jint(json_object_get(u, "prompt_tokens_details"), "cached_tokens");
	assert_int_equal(jint(u, "total_tokens"), in + out);
	/* input = prompt bytes / 4 + overhead; cached_fraction 0.5 */
	assert_in_range(in, strlen(p) / 4, strlen(p) / 4 + 16);
	assert_int_equal(cached, in / 2);
	assert_in_range(out, 30, 3000);
	/* the last line is the answer */
	assert_non_null(strstr(oa_content(j), "\n\nAnswer: "));
	json_decref(j);
	free(b);
	free(p);
	sim_free(s);
}

static void test_anthropic_shape(void **state)
{
	um_sim *s = start_pool("an.yaml", pool_basic);
	char want, *p = mk_prompt(&suite->items[12], 0, 2, &want);
	json_t *req = json_pack("{s:s, s:s, s:[{s:s, s:[{s:s, s:s}]}], s:i}", "model", "sim-a",
				"system", "You are careful.", "messages", "role", "user",
				"content", "type", "text", "text", p, "max_tokens", 1000);
	char *b = json_dumps(req, JSON_COMPACT);
	json_t *j = post_json(s, "/v1/messages", b, 200), *c, *u;
	json_int_t in, cached;
	const char *text;

	(void)state;
	assert_string_equal(json_string_value(json_object_get(j, "type")), "message");
	assert_string_equal(json_string_value(json_object_get(j, "role")), "assistant");
	assert_string_equal(json_string_value(json_object_get(j, "model")), "sim-a");
	assert_string_equal(json_string_value(json_object_get(j, "stop_reason")), "end_turn");
	assert_true(um_has_prefix(json_string_value(json_object_get(j, "id")), "msg_"));
	c = json_array_get(json_object_get(j, "content"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "type")), "text");
	text = json_string_value(json_object_get(c, "text"));
	assert_non_null(text);
	assert_true(strict_letter(text) >= 'A');
	u = json_object_get(j, "usage");
	in = jint(u, "input_tokens");
	cached = jint(u, "cache_read_input_tokens");
	/* input_tokens excludes the cached share */
	assert_true(cached > 0);
	assert_in_range(in + cached, strlen(p) / 4, strlen(p) / 4 + 24);
	assert_in_range(in, cached - 1, cached + 1);
	assert_true(jint(u, "output_tokens") > 0);
	json_decref(j);

	/* Anthropic error shape */
	j = post_json(s, "/v1/messages", "{\"model\":\"nope\",\"messages\":[]}", 404);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "error");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(j, "error"), "type")),
		"not_found_error");
	json_decref(j);
	j = post_json(s, "/v1/messages", "{\"model\":\"sim-a\",\"messages\":[{\"role\":\"user\","
			 "\"content\":7}]}", 400);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "error");
	json_decref(j);
	json_decref(req);
	free(b);
	free(p);
	sim_free(s);
}

static void test_format_misses(void **state)
{
	um_sim *s = start_pool("fmt.yaml", "umpire: 1\n"
					   "seed: 5\n"
					   "latency_scale: 0\n"
					   "models:\n"
					   "  - name: sim-m\n"
					   "    accuracy: {default: 0.7}\n"
					   "    format_misses: 0.4\n");
	int misses = 0, lower = 0, prose = 0;
	size_t i;

	(void)state;
	for (i = 0; i < 120; i++) {
		char want, *p = mk_prompt(&suite->items[i], 0, 0, &want);
		char *b = mk_body("sim-m", p);
		json_t *j = post_json(s, "/v1/chat/completions", b, 200);
		const char *c = oa_content(j);

		if (!strict_letter(c)) {
			misses++;
			if (strstr(c, "\nanswer: "))
				lower++;
			else if (strstr(c, "The answer is ("))
				prose++;
			else
				fail_msg("unexpected degraded format: %s", c);
		}
		json_decref(j);
		free(b);
		free(p);
	}
	assert_in_range(misses, 20, 80);
	assert_true(lower > 0);
	assert_true(prose > 0);
	sim_free(s);
}

static um_sim *fault_pool(const char *fault_line)
{
	char *text = um_xasprintf("umpire: 1\n"
				  "seed: 9\n"
				  "latency_scale: 0\n"
				  "models:\n"
				  "  - name: sim-f\n"
				  "    accuracy: {default: 0.7}\n"
				  "    faults: {%s}\n",
				  fault_line);
	um_sim *s = start_pool("faults.yaml", text);

	free(text);
	return s;
}

static void test_fault_429(void **state)
{
	um_sim *s = fault_pool("rate_429: 1.0, retry_after_s: 7");
	char want, *p = mk_prompt(&suite->items[1], 0, 0, &want), *b = mk_body("sim-f", p);
	um_sim_stats st;
	http_res r;
	json_t *j;

	(void)state;
	http_do(s, "/v1/chat/completions", NULL, b, 30000, &r);
	assert_int_equal(r.status, 429);
	assert_string_equal(r.retry_after, "7");
	j = json_loadb(r.body, r.len, 0, NULL);
	assert_non_null(j);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(j, "error"), "type")),
		"rate_limit_error");
	json_decref(j);
	free(r.body);
	sim_get_stats(s, &st);
	assert_int_equal(st.faults_429, 1);
	free(b);
	free(p);
	sim_free(s);
}

static void test_fault_500(void **state)
{
	um_sim *s = fault_pool("rate_500: 1.0");
	char want, *p = mk_prompt(&suite->items[1], 0, 0, &want), *b = mk_body("sim-f", p);
	um_sim_stats st;
	json_t *j;

	(void)state;
	j = post_json(s, "/v1/chat/completions", b, 500);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(j, "error"), "type")),
		"server_error");
	json_decref(j);
	sim_get_stats(s, &st);
	assert_int_equal(st.faults_500, 1);
	free(b);
	free(p);
	sim_free(s);
}

static void test_fault_malformed_truncated(void **state)
{
	const char *kinds[] = {"rate_malformed: 1.0", "rate_truncated: 1.0"};
	int k;

	(void)state;
	for (k = 0; k < 2; k++) {
		um_sim *s = fault_pool(kinds[k]);
		char want, *p = mk_prompt(&suite->items[2], 0, 0, &want);
		char *b = mk_body("sim-f", p);
		um_sim_stats st;
		http_res r;
		json_error_t jerr;

		http_do(s, "/v1/chat/completions", NULL, b, 30000, &r);
		assert_int_equal(r.rc, CURLE_OK);
		assert_int_equal(r.status, 200);
		assert_true(r.len > 10);
		assert_null(json_loadb(r.body, r.len, 0, &jerr));
		assert_int_equal(r.content_length, (curl_off_t)r.len);
		sim_get_stats(s, &st);
		if (k == 0) {
			assert_true(r.body[0] != '{');
			assert_int_equal(st.faults_malformed, 1);
		} else {
			assert_int_equal(r.body[0], '{'); /* the start of real JSON, cut */
			assert_int_equal(st.faults_truncated, 1);
		}
		free(r.body);
		free(b);
		free(p);
		sim_free(s);
	}
}

static void test_fault_stall(void **state)
{
	um_sim *s = fault_pool("rate_stall: 1.0, stall_s: 0.2");
	char want, *p = mk_prompt(&suite->items[4], 0, 0, &want), *b = mk_body("sim-f", p);
	um_sim_stats st;
	json_t *j;
	http_res r;
	int64_t t0;

	(void)state;
	/* a short stall ends with a normal answer */
	j = post_json(s, "/v1/chat/completions", b, 200);
	assert_true(strict_letter(oa_content(j)) >= 'A');
	json_decref(j);
	sim_free(s);

	/* a long stall outlasts the client; sim_stop does not wait for it */
	s = fault_pool("rate_stall: 1.0, stall_s: 600");
	http_do(s, "/v1/chat/completions", NULL, b, 300, &r);
	assert_int_equal(r.rc, CURLE_OPERATION_TIMEDOUT);
	free(r.body);
	sim_get_stats(s, &st);
	assert_int_equal(st.faults_stall, 1);
	t0 = um_mono_ms();
	sim_stop(s);
	assert_true(um_mono_ms() - t0 < 30000);
	sim_free(s);
	free(b);
	free(p);
}

static void test_retry_succeeds(void **state)
{
	um_sim *s = fault_pool("rate_500: 0.5");
	int first_failed = 0;
	size_t i;

	(void)state;
	for (i = 0; i < 30; i++) {
		char want, *p = mk_prompt(&suite->items[i], 0, 0, &want), *b = mk_body("sim-f", p);
		int tries;
		http_res r;

		for (tries = 0; tries < 40; tries++) {
			http_do(s, "/v1/chat/completions", NULL, b, 30000, &r);
			free(r.body);
			if (r.status == 200)
				break;
			assert_int_equal(r.status, 500);
			if (tries == 0)
				first_failed++;
		}
		assert_int_equal(r.status, 200);
		free(b);
		free(p);
	}
	assert_in_range(first_failed, 5, 25);
	sim_free(s);
}

static void test_error_routes(void **state)
{
	um_sim *s = start_pool("err.yaml", pool_basic);
	http_res r;
	json_t *j;
	char *big;

	(void)state;
	http_do(s, "/health", NULL, NULL, 30000, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok");
	free(r.body);

	j = post_json(s, "/v1/chat/completions", "{\"model\":\"nope\",\"messages\":[{\"role\":"
			 "\"user\",\"content\":\"x\"}]}", 404);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(j, "error"), "code")),
		"model_not_found");
	assert_non_null(json_object_get(json_object_get(j, "error"), "message"));
	json_decref(j);

	j = post_json(s, "/v1/chat/completions", "{\"model\": \"sim-a\", \"messages\": [", 400);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(j, "error"), "type")),
		"invalid_request_error");
	json_decref(j);
	j = post_json(s, "/v1/chat/completions", "\x01\xff\xfe garbage", 400);
	json_decref(j);
	j = post_json(s, "/v1/chat/completions", "[1,2,3]", 400);
	json_decref(j);
	j = post_json(s, "/v1/chat/completions", "{\"model\":\"sim-a\",\"messages\":\"hi\"}", 400);
	json_decref(j);
	j = post_json(s, "/v1/chat/completions", "{\"messages\":[]}", 400);
	json_decref(j);
	j = post_json(s, "/v1/chat/completions", "", 400);
	json_decref(j);
	j = post_json(s, "/v1/chat/completions",
		      "{\"model\":\"sim-a\",\"stream\":true,\"messages\":[{\"role\":\"user\","
		      "\"content\":\"x\"}]}", 400);
	json_decref(j);

	/* deep nesting is refused before it reaches a recursive parser */
	{
		size_t depth = 100000, k;
		char *deep = um_xmalloc(2 * depth + 200), *q = deep;

		q += sprintf(q, "{\"model\":\"sim-a\",\"messages\":[{\"role\":\"user\","
			     "\"content\":\"x\"}],\"x\":");
		for (k = 0; k < depth; k++)
			*q++ = '[';
		for (k = 0; k < depth; k++)
			*q++ = ']';
		strcpy(q, "}");
		j = post_json(s, "/v1/chat/completions", deep, 400);
		assert_non_null(strstr(json_string_value(json_object_get(
					       json_object_get(j, "error"), "message")),
				       "nests"));
		json_decref(j);
		free(deep);
	}

	/* unknown route, wrong method */
	j = post_json(s, "/v1/embeddings", "{}", 404);
	assert_non_null(json_object_get(json_object_get(j, "error"), "message"));
	json_decref(j);
	http_do(s, "/v1/chat/completions", "GET", NULL, 30000, &r);
	assert_int_equal(r.status, 405);
	free(r.body);
	http_do(s, "/health", "DELETE", NULL, 30000, &r);
	assert_int_equal(r.status, 405);
	free(r.body);

	/* a body over 64 MiB */
	big = um_xmalloc(64 * 1024 * 1024 + 2);
	memset(big, ' ', 64 * 1024 * 1024 + 1);
	big[64 * 1024 * 1024 + 1] = '\0';
	j = post_json(s, "/v1/chat/completions", big, 413);
	json_decref(j);
	free(big);

	/* unrecognised prompts still get a plausible, deterministic letter */
	{
		const char *b = "{\"model\":\"sim-b\",\"messages\":[{\"role\":\"user\","
				"\"content\":\"hello\"}]}";
		json_t *a = post_json(s, "/v1/chat/completions", b, 200);
		json_t *c = post_json(s, "/v1/chat/completions", b, 200);
		char l = strict_letter(oa_content(a));

		assert_in_range(l, 'A', 'D');
		assert_string_equal(oa_content(a), oa_content(c));
		json_decref(a);
		json_decref(c);
	}
	sim_free(s);
}

static const char *pool_orch =
	"umpire: 1\n"
	"seed: 3\n"
	"latency_scale: 0\n"
	"models:\n"
	"  - name: m1\n"
	"    accuracy: {default: 0.7}\n"
	"    cached_fraction: 0.25\n"
	"  - name: m2\n"
	"    accuracy: {default: 0.5}\n"
	"  - name: m3\n"
	"    accuracy: {default: 0.3}\n"
	"orchestrators:\n"
	"  - name: conductor\n"
	"    members: [m1, m2, m3]\n"
	"    coordinator_tokens: {input: 200, output: 120}\n"
	"  - name: conductor-a\n"
	"    members: [m2, m1, m3]\n"
	"    upstream_provider: anthropic\n";

/* The majority letter of the members (ties: the first listed). */
static char majority(const char *letters, int n)
{
	int counts[26] = {0}, best = -1, i;

	for (i = 0; i < n; i++)
		if (letters[i] >= 'A' && letters[i] <= 'Z' &&
		    ++counts[letters[i] - 'A'] > (best >= 0 ? counts[best] : 0))
			best = letters[i] - 'A';
	return best < 0 ? 0 : (char)('A' + best);
}

static void test_orchestrator(void **state)
{
	static const char *const members[] = {"m1", "m2", "m3"};
	um_sim *s = start_pool("orch.yaml", pool_orch);
	um_sim_stats st;
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < 20; i++) {
		char want, letters[3], *p = mk_prompt(&suite->items[i], 0, 1, &want);
		char *b = mk_body("conductor", p);
		json_t *j = post_json(s, "/v1/chat/completions", b, 200), *calls, *u;
		json_int_t sum_in = 0, sum_out = 0, sum_cached = 0;

		assert_string_equal(json_string_value(json_object_get(j, "model")), "conductor");
		assert_string_equal(json_string_value(json_object_get(
					    json_object_get(j, "routing"), "strategy")),
				    "majority");
		calls = json_object_get(json_object_get(j, "routing"), "calls");
		assert_int_equal(json_array_size(calls), 3);
		for (k = 0; k < 3; k++) {
			json_t *c = json_array_get(calls, (size_t)k);
			char *mb = mk_body(members[k], p);
			json_t *mj = post_json(s, "/v1/chat/completions", mb, 200);

			assert_string_equal(json_string_value(json_object_get(c, "model")),
					    members[k]);
			assert_int_equal(jint(c, "status"), 200);
			assert_true(jint(c, "latency_ms") >= 0);
			/* a member answers the orchestrator as it answers anyone */
			assert_int_equal(jint(c, "tokens_in"),
					 jint(json_object_get(mj, "usage"), "prompt_tokens"));
			assert_int_equal(jint(c, "tokens_out"),
					 jint(json_object_get(mj, "usage"), "completion_tokens"));
			letters[k] = strict_letter(oa_content(mj));
			sum_in += jint(c, "tokens_in");
			sum_out += jint(c, "tokens_out");
			sum_cached += jint(c, "tokens_cached");
			json_decref(mj);
			free(mb);
		}
		assert_true(sum_cached > 0);
		assert_int_equal(strict_letter(oa_content(j)), majority(letters, 3));
		u = json_object_get(j, "usage");
		assert_int_equal(jint(u, "prompt_tokens"), 200 + sum_in);
		assert_int_equal(jint(u, "completion_tokens"), 120 + sum_out);
		assert_int_equal(jint(json_object_get(u, "prompt_tokens_details"), "cached_tokens"),
				 sum_cached);
		json_decref(j);
		free(b);
		free(p);
	}
	sim_get_stats(s, &st);
	assert_int_equal(st.upstream_calls, 60);
	assert_int_equal(st.requests, 20 + 60 + 60);

	/* nesting just under the limit is copied to the members on a small stack */
	{
		char *deep = um_xmalloc(400), *q = deep;
		json_t *j;

		q += sprintf(q, "{\"model\":\"conductor\",\"messages\":[{\"role\":\"user\","
			     "\"content\":\"x\"}],\"x\":");
		for (k = 0; k < 60; k++)
			*q++ = '[';
		for (k = 0; k < 60; k++)
			*q++ = ']';
		strcpy(q, "}");
		j = post_json(s, "/v1/chat/completions", deep, 200);
		assert_int_equal(json_array_size(json_object_get(
					 json_object_get(j, "routing"), "calls")),
				 3);
		json_decref(j);
		free(deep);
	}

	/* through an Anthropic upstream, asked in either dialect */
	{
		char want, *p = mk_prompt(&suite->items[7], 0, 0, &want);
		char *b = mk_body("conductor-a", p);
		json_t *j = post_json(s, "/v1/chat/completions", b, 200), *req, *a;
		json_t *calls = json_object_get(json_object_get(j, "routing"), "calls");

		assert_int_equal(json_array_size(calls), 3);
		for (k = 0; k < 3; k++)
			assert_int_equal(jint(json_array_get(calls, (size_t)k), "status"), 200);
		assert_true(strict_letter(oa_content(j)) >= 'A');
		req = json_pack("{s:s, s:s, s:[{s:s, s:s}], s:i}", "model", "conductor", "system",
				"Be brief.", "messages", "role", "user", "content", p,
				"max_tokens", 100);
		free(b);
		b = json_dumps(req, JSON_COMPACT);
		a = post_json(s, "/v1/messages", b, 200);
		assert_string_equal(json_string_value(json_object_get(a, "type")), "message");
		assert_int_equal(json_array_size(json_object_get(
					 json_object_get(a, "routing"), "calls")),
				 3);
		assert_true(jint(json_object_get(a, "usage"), "input_tokens") > 200);
		json_decref(a);
		json_decref(req);
		json_decref(j);
		free(b);
		free(p);
	}
	sim_free(s);
}

static void test_orchestrator_upstream(void **state)
{
	um_sim *s1 = start_pool("o1.yaml", pool_orch);
	um_sim *s2 = start_pool("o2.yaml", pool_orch);
	um_sim *s3 = start_pool("o3.yaml", pool_basic); /* serves none of the members */
	char want, *p = mk_prompt(&suite->items[9], 0, 0, &want), *b = mk_body("conductor", p);
	char *up = um_xasprintf("%s/v1/", sim_base_url(s2));
	um_sim_stats st1, st2;
	json_t *j;

	(void)state;
	sim_set_upstream(s1, up);
	j = post_json(s1, "/v1/chat/completions", b, 200);
	json_decref(j);
	sim_get_stats(s1, &st1);
	sim_get_stats(s2, &st2);
	assert_int_equal(st1.requests, 1);
	assert_int_equal(st1.upstream_calls, 3);
	assert_int_equal(st2.requests, 3);

	/* every member fails: 502 */
	free(up);
	up = um_xasprintf("%s/v1", sim_base_url(s3));
	sim_set_upstream(s1, up);
	j = post_json(s1, "/v1/chat/completions", b, 502);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(j, "error"), "type")),
		"server_error");
	json_decref(j);
	free(up);
	free(b);
	free(p);
	sim_free(s1);
	sim_free(s2);
	sim_free(s3);
}

/* A stand-in upstream that records what an orchestrator sends its members
 * and answers every call with "Answer: C" and fixed usage. */
typedef struct rec_call {
	char url[64], parent[64];
	json_t *body;
} rec_call;

static struct {
	pthread_mutex_t lock;
	rec_call calls[16];
	int n;
} rec = {PTHREAD_MUTEX_INITIALIZER, {{{0}, {0}, NULL}}, 0};

typedef struct rec_conn {
	char *data;
	size_t len;
} rec_conn;

static enum MHD_Result rec_handler(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version, const char *up,
				   size_t *up_size, void **con_cls)
{
	rec_conn *rc = *con_cls;
	const char *parent, *answer;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	int anth = strstr(url, "/messages") != NULL;

	(void)cls;
	(void)method;
	(void)version;
	if (!rc) {
		*con_cls = um_xcalloc(1, sizeof(rec_conn));
		return MHD_YES;
	}
	if (*up_size) {
		rc->data = um_xrealloc(rc->data, rc->len + *up_size + 1);
		memcpy(rc->data + rc->len, up, *up_size);
		rc->len += *up_size;
		rc->data[rc->len] = '\0';
		*up_size = 0;
		return MHD_YES;
	}
	parent = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Umpire-Parent");
	pthread_mutex_lock(&rec.lock);
	if (rec.n < 16) {
		rec_call *r = &rec.calls[rec.n++];

		snprintf(r->url, sizeof(r->url), "%s", url);
		snprintf(r->parent, sizeof(r->parent), "%s", parent ? parent : "");
		r->body = json_loadb(rc->data ? rc->data : "", rc->len, 0, NULL);
	}
	pthread_mutex_unlock(&rec.lock);
	answer = anth ? "{\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":"
			"\"So.\\nAnswer: C\"}],\"usage\":{\"input_tokens\":30,"
			"\"cache_read_input_tokens\":10,\"output_tokens\":7}}"
		      : "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":"
			"\"So.\\nAnswer: C\"}}],\"usage\":{\"prompt_tokens\":40,"
			"\"completion_tokens\":7,"
			"\"prompt_tokens_details\":{\"cached_tokens\":10}}}";
	resp = MHD_create_response_from_buffer(strlen(answer), (void *)answer,
					       MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void rec_done(void *cls, struct MHD_Connection *c, void **con_cls,
		     enum MHD_RequestTerminationCode toe)
{
	rec_conn *rc = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (rc) {
		free(rc->data);
		free(rc);
	}
	*con_cls = NULL;
}

static void rec_reset(void)
{
	int i;

	for (i = 0; i < rec.n; i++)
		json_decref(rec.calls[i].body);
	rec.n = 0;
}

static void test_orchestrator_calls_members(void **state)
{
	um_sim *s = start_pool("rec.yaml", pool_orch);
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	char want, *p = mk_prompt(&suite->items[11], 0, 0, &want), *b, *up;
	json_t *req, *j, *u;
	http_res r;
	int i;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
			     NULL, NULL, rec_handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
			     MHD_OPTION_NOTIFY_COMPLETED, rec_done, NULL, MHD_OPTION_END);
	assert_non_null(d);
	up = um_xasprintf("http://127.0.0.1:%u/v1",
			  (unsigned)MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
	sim_set_upstream(s, up);

	/* OpenAI members: the same request, model replaced, parent = X-Request-Id */
	b = mk_body("conductor", p);
	http_do_h(s, "/v1/chat/completions", NULL, b, 30000, "X-Request-Id: req-123", &r);
	assert_int_equal(r.status, 200);
	j = json_loadb(r.body, r.len, 0, NULL);
	assert_non_null(j);
	assert_int_equal(strict_letter(oa_content(j)), 'C');
	u = json_object_get(j, "usage");
	assert_int_equal(jint(u, "prompt_tokens"), 200 + 3 * 40);
	assert_int_equal(jint(u, "completion_tokens"), 120 + 3 * 7);
	assert_int_equal(jint(json_object_get(u, "prompt_tokens_details"), "cached_tokens"), 30);
	assert_int_equal(rec.n, 3);
	for (i = 0; i < 3; i++) {
		const char *model = json_string_value(json_object_get(rec.calls[i].body, "model"));

		assert_string_equal(rec.calls[i].url, "/v1/chat/completions");
		assert_string_equal(rec.calls[i].parent, "req-123");
		assert_non_null(model);
		assert_true(strcmp(model, "m1") == 0 || strcmp(model, "m2") == 0 ||
			    strcmp(model, "m3") == 0);
		assert_int_equal(jint(rec.calls[i].body, "max_tokens"), 2048);
		assert_int_equal(jint(rec.calls[i].body, "temperature"), 0);
		assert_string_equal(json_string_value(json_object_get(json_array_get(
					    json_object_get(rec.calls[i].body, "messages"), 0),
					    "content")),
				    p);
	}
	json_decref(j);
	free(r.body);
	free(b);
	rec_reset();

	/* Anthropic members: system messages move to "system", parent = traceparent */
	req = json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}], s:i}", "model", "conductor-a",
			"messages", "role", "system", "content", "Be brief.", "role", "user",
			"content", p, "max_tokens", 99);
	b = json_dumps(req, JSON_COMPACT);
	http_do_h(s, "/v1/chat/completions", NULL, b, 30000, "traceparent: 00-abc-def-01", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(rec.n, 3);
	for (i = 0; i < 3; i++) {
		json_t *msgs = json_object_get(rec.calls[i].body, "messages");

		assert_string_equal(rec.calls[i].url, "/v1/messages");
		assert_string_equal(rec.calls[i].parent, "00-abc-def-01");
		assert_non_null(strstr(json_string_value(json_object_get(rec.calls[i].body,
									 "system")),
				       "Be brief."));
		assert_int_equal(json_array_size(msgs), 1);
		assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 0),
								      "role")),
				    "user");
		assert_int_equal(jint(rec.calls[i].body, "max_tokens"), 99);
	}
	j = json_loadb(r.body, r.len, 0, NULL);
	assert_int_equal(jint(json_object_get(j, "usage"), "prompt_tokens"), 3 * 40);
	json_decref(j);
	free(r.body);
	free(b);
	json_decref(req);
	rec_reset();

	sim_free(s);
	MHD_stop_daemon(d);
	free(up);
	free(p);
}

/* 1 if the model answers the item right when asked with choice order perm. */
static int answers_right(um_sim *s, const char *model, size_t item, int perm)
{
	char want = 0, *p = mk_prompt(&suite->items[item], 0, perm, &want);
	char *b = mk_body(model, p);
	json_t *j = post_json(s, "/v1/chat/completions", b, 200);
	int right = strict_letter(oa_content(j)) == want;

	json_decref(j);
	free(b);
	free(p);
	return right;
}

static void test_item_difficulty(void **state)
{
	/* item_difficulty 1: every attempt reads the item's latent easiness v,
	 * right when v < accuracy. So the samples of one item agree, and an
	 * item the weaker model gets right the stronger one gets right too. */
	static const char *pool =
		"umpire: 1\n"
		"seed: 5\n"
		"latency_scale: 0\n"
		"item_difficulty: 1\n"
		"models:\n"
		"  - name: sim-a\n"
		"    accuracy: {default: 0.5}\n"
		"  - name: sim-b\n"
		"    accuracy: {default: 0.7}\n";
	um_sim *s = start_pool("difficulty.yaml", pool);
	size_t i;
	int right_a = 0, right_b = 0;

	(void)state;
	for (i = 0; i < N_ITEMS - 1; i++) {
		int a0 = answers_right(s, "sim-a", i, 0), a1 = answers_right(s, "sim-a", i, 1);
		int b0 = answers_right(s, "sim-b", i, 2);
		assert_int_equal(a0, a1);
		assert_true(!a0 || b0);
		right_a += a0;
		right_b += b0;
	}
	/* the marginal rates stay near 0.5 and 0.7 (deterministic; wide bounds) */
	assert_in_range(right_a * 100 / (int)(N_ITEMS - 1), 25, 75);
	assert_true(right_b >= right_a);
	sim_free(s);
}

/* ------------------------------------------------------------------ */
/* Code answers */

static const char pool_code[] = "umpire: 1\nseed: 3\nlatency_scale: 0\nmodels:\n"
				"  - {name: c-right, accuracy: {default: 1.0}}\n"
				"  - {name: c-right2, accuracy: {default: 1.0}}\n"
				"  - {name: c-wrong, accuracy: {default: 0.0}}\n"
				"  - {name: c-sloppy, accuracy: {default: 1.0}, format_misses: 1.0}\n"
				"orchestrators:\n"
				"  - {name: c-orch, members: [c-wrong, c-right, c-right2]}\n";

static void test_code_answers(void **state)
{
	static const char *const sol[2] = {"a, b = map(int, input().split())\nprint(a + b)\n",
					   "class Solution:\n    def add(self, a, b):\n"
					   "        return a + b\n"};
	um_suite *cs = um_xcalloc(1, sizeof(*cs));
	char *path = write_pool("code.yaml", pool_code);
	um_error err = {0};
	um_sim *s = NULL;
	int i, k, none = 0, drafts = 0;

	(void)state;
	cs->name = um_xstrdup("code");
	cs->kind = um_xstrdup("code");
	cs->n_items = 2;
	cs->items = um_xcalloc(2, sizeof(um_item));
	for (i = 0; i < 2; i++) {
		um_item *it = &cs->items[i];
		it->id = um_xasprintf("p%d", i);
		it->category = um_xstrdup("easy");
		it->question = um_xasprintf("Problem %d: read two integers and give their sum, "
					    "which may be negative.", i);
		it->code = um_xcalloc(1, sizeof(um_code_item));
		it->code->io = i ? UM_CODE_CALL : UM_CODE_STDIN;
		it->code->func_name = i ? um_xstrdup("add") : NULL;
		it->code->starter_code =
			um_xstrdup(i ? "class Solution:\n    def add(self, a, b):\n        " : "");
		it->code->solution = um_xstrdup(sol[i]);
	}
	if (sim_load(path, cs, &s, &err) < 0)
		fail_msg("sim_load: %s", err.msg);
	assert_int_equal(sim_start(s, 0, &err), 0);
	for (i = 0; i < 2; i++) {
		for (k = 0; k < 6; k++) {
			char *prompt = um_xasprintf("### Question:\n%s\n\nsample %d\n",
						    cs->items[i].question, k);
			const char *models[] = {"c-right", "c-wrong", "c-sloppy", "c-orch"};
			char *got[4];
			int m;

			for (m = 0; m < 4; m++) {
				char *b = mk_body(models[m], prompt);
				json_t *j = post_json(s, "/v1/chat/completions", b, 200);
				got[m] = code_extract(oa_content(j));
				if (m == 2 && strstr(oa_content(j), "first draft"))
					drafts++;
				json_decref(j);
				free(b);
			}
			/* the block holds the solution; its last newline ends the block */
			assert_non_null(got[0]);
			assert_memory_equal(got[0], sol[i], strlen(sol[i]) - 1);
			assert_non_null(got[1]);
			assert_null(strstr(got[1], "a + b"));
			assert_non_null(strstr(got[1], i ? "def add(self, *args)" : "print"));
			if (!got[2])
				none++;
			else
				assert_string_equal(got[2], got[0]); /* the final block is right */
			assert_non_null(got[3]);
			assert_string_equal(got[3], got[0]); /* two of three members */
			for (m = 0; m < 4; m++)
				free(got[m]);
			free(prompt);
		}
	}
	assert_true(none > 0 && drafts > 0 && none + drafts == 12);
	sim_stop(s);
	sim_free(s);
	dataset_items_free(cs->items, cs->n_items);
	free(cs->name);
	free(cs->kind);
	free(cs);
	free(path);
}

static void test_bad_pools(void **state)
{
	static const struct {
		const char *file, *where, *what;
	} cases[] = {
		{"bad_unknown_key.yaml", "bad_unknown_key.yaml:6:5: ", "unknown key 'colour'"},
		{"bad_type.yaml", "bad_type.yaml:5:17: ", "latency_ms"},
		{"bad_accuracy.yaml", "bad_accuracy.yaml:4:39: ", "1.5"},
		{"bad_member.yaml", "bad_member.yaml:7:22: ", "sim-zz"},
		{"bad_rates.yaml", "bad_rates.yaml:5:13: ", "must not exceed 1"},
		{"bad_rate_limit.yaml", "bad_rate_limit.yaml:5:39: ", "requests_per_minute"},
		{"bad_rate_limit_missing.yaml", "bad_rate_limit_missing.yaml:5:17: ",
		 "missing required key 'requests_per_minute'"},
		{"bad_duplicate.yaml", "bad_duplicate.yaml:5:11: ", "defined twice"},
		{"bad_version.yaml", "bad_version.yaml:1:9: ", "umpire"},
		{"bad_syntax.yaml", "bad_syntax.yaml:", ""},
		{"bad_garbage.yaml", "bad_garbage.yaml", ""},
		{"bad_no_models.yaml", "bad_no_models.yaml:1:1: ", "models"},
		{"bad_item_difficulty.yaml", "bad_item_difficulty.yaml:2:18: ", "item_difficulty"},
		{"does_not_exist.yaml", "does_not_exist.yaml", ""},
		/* read with libcurl's URL parser, as a system's base_url */
		{"bad_upstream.yaml", "bad_upstream.yaml:8:15: ", "upstream has no host: https:///v1"},
		{"bad_upstream_user.yaml", "bad_upstream_user.yaml:8:15: ",
		 "upstream carries a user name"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < UM_ARRAY_LEN(cases); i++) {
		char *path = um_xasprintf("%s/sim/%s", FIXTURES, cases[i].file);
		um_error err = {0};
		um_sim *s = (um_sim *)1;

		assert_int_equal(sim_load(path, suite, &s, &err), -1);
		assert_null(s);
		assert_int_not_equal(err.code, UM_OK);
		if (!strstr(err.msg, cases[i].where) || !strstr(err.msg, cases[i].what))
			fail_msg("%s: message '%s' lacks '%s' / '%s'", cases[i].file, err.msg,
				 cases[i].where, cases[i].what);
		assert_null(strstr(err.msg, "hunter2"));
		free(path);
	}
}

static void test_good_pools_load(void **state)
{
	const char *paths[] = {FIX("pool_ok.yaml"), FIXTURES "/../../pools/demo.yaml"};
	size_t i;

	(void)state;
	for (i = 0; i < UM_ARRAY_LEN(paths); i++) {
		um_error err = {0};
		um_sim *s = NULL;

		if (sim_load(paths[i], suite, &s, &err) < 0)
			fail_msg("%s: %s", paths[i], err.msg);
		assert_true(sim_model_count(s) >= 3);
		sim_free(s);
	}
}

static void test_concurrent_smoke(void **state)
{
	enum { N = 200 };
	um_sim *s = start_pool("conc.yaml", "umpire: 1\n"
					    "seed: 1\n"
					    "models:\n"
					    "  - name: slow\n"
					    "    accuracy: {default: 0.5}\n"
					    "    latency_ms: {median: 300, spread: 0}\n");
	CURLM *m = curl_multi_init();
	CURL *h[N];
	http_res r[N];
	char *bodies[N];
	char *url = um_xasprintf("%s/v1/chat/completions", sim_base_url(s));
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	int running = 1, i, ok = 0;
	int64_t t0 = um_mono_ms();

	(void)state;
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
	for (i = 0; i < N; i++) {
		char want, *p = mk_prompt(&suite->items[i], 1, 0, &want);

		bodies[i] = mk_body("slow", p);
		free(p);
		h[i] = http_easy(url, NULL, bodies[i], strlen(bodies[i]), 60000, &r[i], hdrs);
		curl_multi_add_handle(m, h[i]);
	}
	while (running) {
		curl_multi_perform(m, &running);
		if (running)
			curl_multi_poll(m, NULL, 0, 100, NULL);
		assert_true(um_mono_ms() - t0 < 30000);
	}
	for (i = 0; i < N; i++) {
		curl_easy_getinfo(h[i], CURLINFO_RESPONSE_CODE, &r[i].status);
		ok += r[i].status == 200;
		curl_multi_remove_handle(m, h[i]);
		curl_easy_cleanup(h[i]);
		free(r[i].body);
		free(bodies[i]);
	}
	assert_int_equal(ok, N);
	curl_multi_cleanup(m);
	curl_slist_free_all(hdrs);
	free(url);
	sim_free(s);
}

/* ------------------------------------------------------------------ */
/* Agent turns (terminal tasks) */

#define N_TASKS 60

static const char *const task_instr0 =
	"Count the words in /work/input.txt and write the number alone to /work/count.txt.";
static const char *const task_sol0 = "wc -w < input.txt | tr -d ' ' > count.txt\n"
				     "echo SOLVED-count-words\n";
static const char *const task_instr1 =
	"The C program in src/main.c does not compile.\n"
	"Fix it so that `make` builds ./hello, which prints hello.";
static const char *const task_sol1 = "sed -i 's/retrun/return/' src/main.c\nmake\n"
				     "echo SOLVED-fix-build";

/* Two hand-written tasks, then generated ones (for skill rates). */
static um_suite *mk_task_suite(size_t n)
{
	um_suite *s = um_xcalloc(1, sizeof(*s));
	size_t i;

	s->name = um_xstrdup("terminal-test");
	s->kind = um_xstrdup("terminal");
	s->tasks = um_xcalloc(n, sizeof(um_task));
	s->n_tasks = n;
	for (i = 0; i < n; i++) {
		um_task *t = &s->tasks[i];

		t->category = um_xstrdup(i % 2 ? "c" : "text");
		if (i == 0) {
			t->id = um_xstrdup("count-words");
			t->instruction = um_xstrdup(task_instr0);
			t->solution = um_xstrdup(task_sol0);
		} else if (i == 1) {
			t->id = um_xstrdup("fix-build");
			t->instruction = um_xstrdup(task_instr1);
			t->solution = um_xstrdup(task_sol1);
		} else {
			t->id = um_xasprintf("gen-%zu", i);
			t->instruction = um_xasprintf(
				"Task %zu: create the file out-%zu.txt holding the %zu-th prime, "
				"then sort data-%zu.csv by its second column.",
				i, i, i * 3 + 1, i);
			t->solution = um_xasprintf("echo SOLVED-gen-%zu > out-%zu.txt\n", i, i);
		}
	}
	return s;
}

static void free_task_suite(um_suite *s)
{
	size_t i;

	for (i = 0; i < s->n_tasks; i++) {
		free(s->tasks[i].id);
		free(s->tasks[i].category);
		free(s->tasks[i].instruction);
		free(s->tasks[i].solution);
	}
	free(s->tasks);
	free(s->kind);
	free(s->name);
	free(s);
}

static const char *pool_agents =
	"umpire: 1\n"
	"seed: 11\n"
	"latency_scale: 0\n"
	"models:\n"
	"  - name: agent-good\n"
	"    accuracy: {default: 1.0}\n"
	"    cached_fraction: 0.25\n"
	"  - name: agent-bad\n"
	"    accuracy: {default: 0.0}\n"
	"  - name: agent-mid\n"
	"    accuracy: {default: 0.2, text: 0.8}\n"
	"  - name: agent-broken\n"
	"    accuracy: {default: 1.0}\n"
	"    malformed_tool_calls: 1.0\n"
	"orchestrators:\n"
	"  - name: agent-orch\n"
	"    members: [agent-good, agent-bad]\n"
	"    coordinator_tokens: {input: 100, output: 10}\n";

static um_sim *start_agents(const um_suite *ts, const char *pool)
{
	char *path = write_pool("agents.yaml", pool);
	um_error err = {0};
	um_sim *s = NULL;

	if (sim_load(path, ts, &s, &err) < 0)
		fail_msg("sim_load: %s", err.msg);
	if (sim_start(s, 0, &err) < 0)
		fail_msg("sim_start: %s", err.msg);
	free(path);
	return s;
}

/* The neutral request of an agent's first turn, as the runner builds it. */
static json_t *agent_request(const char *instruction)
{
	json_t *n = json_pack(
		"{s:[{s:s, s:s}, {s:s, s:s++}], s:{s:i, s:i}, s:[{s:s, s:s, s:{s:s, s:{s:{s:s}}, "
		"s:[s]}}, {s:s, s:s, s:{s:s, s:{}}}]}",
		"messages", "role", "system", "content", "You work in a Linux terminal.", "role",
		"user", "content", "Solve this task:\n\n", instruction,
		"\n\nCall submit when you are done.", "params", "temperature", 0, "max_tokens",
		1024, "tools", "name", "bash", "description", "Run one bash command.",
		"parameters", "type", "object", "properties", "command", "type", "string",
		"required", "command", "name", "submit", "description", "Call when done.",
		"parameters", "type", "object", "properties");

	assert_non_null(n);
	return n;
}

typedef struct agent_reply {
	char *raw;        /* the response body */
	json_t *wire;     /* parsed */
	um_completion c;  /* as provider_parse reads it */
} agent_reply;

/* One turn: the neutral request built for provider p, posted, parsed. */
static void agent_post(const um_sim *s, um_provider p, const char *model, const json_t *n,
		       agent_reply *out)
{
	um_system sys;
	um_wire_request w;
	um_error err = {0};
	http_res r;

	memset(&sys, 0, sizeof(sys));
	sys.name = (char *)model;
	sys.model = (char *)model;
	sys.provider = p;
	sys.base_url = (char *)sim_base_url(s);
	if (provider_build(&sys, n, &w, &err) < 0)
		fail_msg("provider_build: %s", err.msg);
	http_do(s, p == UM_PROV_ANTHROPIC ? "/v1/messages" : "/v1/chat/completions", NULL,
		w.body, 30000, &r);
	wire_request_release(&w);
	assert_int_equal(r.rc, CURLE_OK);
	if (r.status != 200)
		fail_msg("status %ld: %s", r.status, r.body ? r.body : "");
	out->raw = r.body;
	out->wire = json_loadb(r.body, r.len, 0, NULL);
	assert_non_null(out->wire);
	if (provider_parse(p, r.body, r.len, &out->c, &err) < 0)
		fail_msg("provider_parse: %s (%s)", err.msg, r.body);
}

static void agent_reply_release(agent_reply *a)
{
	free(a->raw);
	json_decref(a->wire);
	completion_release(&a->c);
}

/* The reply's single tool call (fails when there is not exactly one). */
static const json_t *agent_call(const agent_reply *a)
{
	if (json_array_size(a->c.tool_calls) != 1)
		fail_msg("wanted one tool call: %s", a->raw);
	return json_array_get(a->c.tool_calls, 0);
}

static const char *call_name(const json_t *call)
{
	return json_string_value(json_object_get(call, "name"));
}

/* The "command" of a bash call (owned by the caller), or NULL. */
static char *call_command(const json_t *call)
{
	json_t *a = json_loads(json_string_value(json_object_get(call, "arguments")), 0, NULL);
	const char *c = json_string_value(json_object_get(a, "command"));
	char *out = c ? um_xstrdup(c) : NULL;

	json_decref(a);
	return out;
}

/* Append the assistant turn and a tool result for its calls, as the runner does. */
static void agent_continue(json_t *n, const agent_reply *a, const char *result)
{
	json_t *msgs = json_object_get(n, "messages"), *call;
	size_t i;

	json_array_append_new(msgs, provider_assistant_message(&a->c));
	json_array_foreach(a->c.tool_calls, i, call)
		json_array_append_new(msgs, provider_tool_message(
						    json_string_value(json_object_get(call, "id")),
						    call_name(call), result));
}

static void test_agent_skilled(void **state)
{
	um_suite *ts = mk_task_suite(2);
	um_sim *s = start_agents(ts, pool_agents);
	um_provider provs[] = {UM_PROV_OPENAI, UM_PROV_ANTHROPIC};
	size_t k, t;

	(void)state;
	for (k = 0; k < UM_ARRAY_LEN(provs); k++) {
		for (t = 0; t < 2; t++) {
			json_t *n = agent_request(ts->tasks[t].instruction);
			agent_reply a1, a2, a3;
			const json_t *call;
			char *cmd;

			/* turn 1: reasoning text and one bash call running the solution */
			agent_post(s, provs[k], "agent-good", n, &a1);
			call = agent_call(&a1);
			assert_string_equal(call_name(call), "bash");
			cmd = call_command(call);
			assert_non_null(cmd);
			assert_non_null(strstr(cmd, ts->tasks[t].solution));
			assert_non_null(strstr(cmd, "<<'UMPIRE_EOF'\n"));
			assert_true(strlen(a1.c.content) > 10);
			assert_int_equal(a1.c.tokens_cached, a1.c.tokens_in / 4);
			assert_true(a1.c.tokens_out >= 1);
			if (provs[k] == UM_PROV_OPENAI) {
				json_t *ch = json_array_get(json_object_get(a1.wire, "choices"), 0);
				json_t *msg = json_object_get(ch, "message");
				json_t *tc = json_array_get(json_object_get(msg, "tool_calls"), 0);

				assert_string_equal(
					json_string_value(json_object_get(ch, "finish_reason")),
					"tool_calls");
				assert_string_equal(json_string_value(json_object_get(tc, "type")),
						    "function");
				/* arguments travel as a JSON string */
				assert_true(json_is_string(json_object_get(
					json_object_get(tc, "function"), "arguments")));
				assert_true(um_has_prefix(
					json_string_value(json_object_get(tc, "id")), "call_"));
				assert_string_equal(a1.c.finish_reason, "tool_calls");
			} else {
				json_t *blocks = json_object_get(a1.wire, "content");
				json_t *b0 = json_array_get(blocks, 0);
				json_t *b1 = json_array_get(blocks, 1);

				assert_int_equal(json_array_size(blocks), 2);
				assert_string_equal(json_string_value(json_object_get(b0, "type")),
						    "text");
				assert_string_equal(json_string_value(json_object_get(b1, "type")),
						    "tool_use");
				/* input is an object, not text */
				assert_true(json_is_object(json_object_get(b1, "input")));
				assert_true(um_has_prefix(
					json_string_value(json_object_get(b1, "id")), "toolu_"));
				assert_string_equal(a1.c.finish_reason, "tool_use");
			}
			free(cmd);

			/* turn 2: the tool result is in; submit, with no text */
			agent_continue(n, &a1, "exit code: 0\nstdout:\nSOLVED\nstderr:\n");
			agent_post(s, provs[k], "agent-good", n, &a2);
			call = agent_call(&a2);
			assert_string_equal(call_name(call), "submit");
			assert_string_equal(json_string_value(json_object_get(call, "arguments")),
					    "{}");
			assert_string_equal(a2.c.content, "");
			if (provs[k] == UM_PROV_OPENAI)
				assert_true(json_is_null(json_object_get(
					json_object_get(json_array_get(json_object_get(a2.wire,
										      "choices"),
								       0),
							"message"),
					"content")));
			/* the call ids differ from turn to turn */
			assert_string_not_equal(
				json_string_value(json_object_get(call, "id")),
				json_string_value(json_object_get(agent_call(&a1), "id")));

			/* asked again after the submit: text only */
			agent_continue(n, &a2, "submitted");
			agent_post(s, provs[k], "agent-good", n, &a3);
			assert_null(a3.c.tool_calls);
			assert_true(strlen(a3.c.content) > 0);
			assert_string_equal(a3.c.finish_reason,
					    provs[k] == UM_PROV_OPENAI ? "stop" : "end_turn");
			agent_reply_release(&a1);
			agent_reply_release(&a2);
			agent_reply_release(&a3);
			json_decref(n);
		}
	}
	sim_free(s);
	free_task_suite(ts);
}

static void test_agent_unskilled(void **state)
{
	um_suite *ts = mk_task_suite(2);
	um_sim *s = start_agents(ts, pool_agents);
	um_provider provs[] = {UM_PROV_OPENAI, UM_PROV_ANTHROPIC};
	size_t k, t;

	(void)state;
	for (k = 0; k < UM_ARRAY_LEN(provs); k++) {
		for (t = 0; t < 2; t++) {
			json_t *n = agent_request(ts->tasks[t].instruction);
			int turn, submitted = 0;

			for (turn = 0; turn < 6 && !submitted; turn++) {
				agent_reply a;
				const json_t *call;
				char *cmd;

				agent_post(s, provs[k], "agent-bad", n, &a);
				call = agent_call(&a);
				/* the solution never appears, in any form */
				assert_null(strstr(a.raw, "SOLVED"));
				assert_null(strstr(a.raw, "UMPIRE_EOF"));
				cmd = call_command(call);
				if (turn == 0) {
					assert_string_equal(cmd, "ls -la");
				} else if (turn == 1) {
					/* the files the instruction names */
					const char *want = t ? "cat -- 'src/main.c'"
							     : "cat -- '/work/input.txt' "
							       "'/work/count.txt'";

					assert_string_equal(cmd, want);
				} else {
					assert_string_equal(call_name(call), "submit");
					assert_null(cmd);
					submitted = 1;
				}
				free(cmd);
				agent_continue(n, &a, "exit code: 0\nstdout:\n\nstderr:\n");
				agent_reply_release(&a);
			}
			assert_true(submitted);
			assert_int_equal(turn, 3);
			json_decref(n);
		}
	}
	sim_free(s);
	free_task_suite(ts);
}

static void test_agent_skill_rates(void **state)
{
	um_suite *ts = mk_task_suite(N_TASKS);
	um_sim *s = start_agents(ts, pool_agents);
	int solved[2] = {0, 0}, total[2] = {0, 0};
	size_t t;

	(void)state;
	for (t = 0; t < N_TASKS; t++) {
		json_t *n = agent_request(ts->tasks[t].instruction);
		agent_reply a;
		char *cmd;

		assert_int_equal(sim_recognise_task(s, ts->tasks[t].instruction,
						    strlen(ts->tasks[t].instruction)),
				 (long)t);
		agent_post(s, UM_PROV_OPENAI, "agent-mid", n, &a);
		cmd = call_command(agent_call(&a));
		total[t % 2]++;
		solved[t % 2] += strstr(cmd, ts->tasks[t].solution) != NULL;
		if (strstr(cmd, ts->tasks[t].solution) == NULL)
			assert_string_equal(cmd, "ls -la");
		free(cmd);
		agent_reply_release(&a);
		json_decref(n);
	}
	/* text 0.8, c (default) 0.2: deterministic, bounds are wide */
	assert_in_range(solved[0] * 100 / total[0], 55, 97);
	assert_in_range(solved[1] * 100 / total[1], 3, 45);
	sim_free(s);
	free_task_suite(ts);
}

static void test_agent_determinism(void **state)
{
	um_suite *ts = mk_task_suite(2);
	um_sim *s1 = start_agents(ts, pool_agents), *s2 = start_agents(ts, pool_agents);
	um_provider provs[] = {UM_PROV_OPENAI, UM_PROV_ANTHROPIC};
	size_t k;

	(void)state;
	for (k = 0; k < UM_ARRAY_LEN(provs); k++) {
		json_t *n = agent_request(task_instr1);
		agent_reply a, b, c;

		agent_post(s1, provs[k], "agent-good", n, &a);
		agent_continue(n, &a, "exit code: 2\nstdout:\n\nstderr:\nmake: error\n");
		agent_reply_release(&a);
		/* the same request to two fresh simulators: the same bytes */
		agent_post(s1, provs[k], "agent-good", n, &a);
		agent_post(s2, provs[k], "agent-good", n, &b);
		assert_string_equal(a.raw, b.raw);
		/* ... and sent again, the same answer (only the response id moves) */
		agent_post(s1, provs[k], "agent-good", n, &c);
		json_object_del(a.wire, "id");
		json_object_del(c.wire, "id");
		assert_true(json_equal(a.wire, c.wire));
		agent_reply_release(&a);
		agent_reply_release(&b);
		agent_reply_release(&c);
		json_decref(n);
	}
	sim_free(s1);
	sim_free(s2);
	free_task_suite(ts);
}

static void test_agent_malformed_calls(void **state)
{
	um_suite *ts = mk_task_suite(2);
	um_sim *s = start_agents(ts, pool_agents);
	json_t *n = agent_request(task_instr0);
	agent_reply a;
	int turn;

	(void)state;
	/* OpenAI: arguments that are not JSON, every turn; the runner's error
	 * result does not move the agent on */
	for (turn = 0; turn < 3; turn++) {
		const json_t *call;
		json_error_t je;
		json_t *args;

		agent_post(s, UM_PROV_OPENAI, "agent-broken", n, &a);
		call = agent_call(&a);
		assert_string_equal(call_name(call), "bash");
		args = json_loads(json_string_value(json_object_get(call, "arguments")), 0, &je);
		assert_null(args);
		/* still the solving step */
		assert_non_null(strstr(json_string_value(json_object_get(call, "arguments")),
				       "UMPIRE_EOF"));
		agent_continue(n, &a, "error: the arguments are not valid JSON");
		agent_reply_release(&a);
	}
	json_decref(n);

	/* Anthropic input is always an object: a bash call without a command,
	 * carrying the broken text */
	n = agent_request(task_instr0);
	agent_post(s, UM_PROV_ANTHROPIC, "agent-broken", n, &a);
	{
		json_t *blk = json_array_get(json_object_get(a.wire, "content"), 1);
		json_t *input = json_object_get(blk, "input");
		const char *raw = json_string_value(json_object_get(input, "arguments"));

		assert_null(json_object_get(input, "command"));
		assert_non_null(raw);
		assert_null(json_loads(raw, 0, NULL));
	}
	agent_reply_release(&a);
	json_decref(n);

	/* the knob is checked like every rate */
	{
		char *path = write_pool("bad_mtc.yaml", "umpire: 1\n"
							"models:\n"
							"  - name: m\n"
							"    accuracy: {default: 1}\n"
							"    malformed_tool_calls: 1.5\n");
		um_error err = {0};
		um_sim *bad = NULL;

		assert_int_equal(sim_load(path, ts, &bad, &err), -1);
		assert_non_null(strstr(err.msg, "bad_mtc.yaml:5:27: "));
		free(path);
		path = write_pool("bad_mtc.yaml", "umpire: 1\n"
						  "models:\n"
						  "  - name: m\n"
						  "    accuracy: {default: 1}\n"
						  "    malformed_tool_calls: often\n");
		assert_int_equal(sim_load(path, ts, &bad, &err), -1);
		assert_non_null(strstr(err.msg, "bad_mtc.yaml:5:"));
		free(path);
	}
	sim_free(s);
	free_task_suite(ts);
}

static void test_agent_unrecognised(void **state)
{
	um_suite *ts = mk_task_suite(2);
	um_sim *s = start_agents(ts, pool_agents);
	static const char *const odd[] = {
		"Configure nginx so that port 8080 serves the files in www.",
		"x",
		"Count the words in /work/input.txt and write the number",  /* a cut instruction */
	};
	size_t i;

	(void)state;
	assert_int_equal(sim_recognise_task(s, task_instr0, strlen(task_instr0)), 0);
	assert_int_equal(sim_recognise_task(s, "", 0), -1);
	for (i = 0; i < UM_ARRAY_LEN(odd); i++) {
		json_t *n = agent_request(odd[i]);
		agent_reply a;
		char *cmd;

		assert_int_equal(sim_recognise_task(s, odd[i], strlen(odd[i])), -1);
		/* even the skilled model can only look around */
		agent_post(s, UM_PROV_OPENAI, "agent-good", n, &a);
		cmd = call_command(agent_call(&a));
		assert_string_equal(cmd, "ls -la");
		free(cmd);
		agent_continue(n, &a, "exit code: 0\nstdout:\n\nstderr:\n");
		agent_reply_release(&a);
		agent_post(s, UM_PROV_ANTHROPIC, "agent-good", n, &a);
		cmd = call_command(agent_call(&a));
		assert_true(um_has_prefix(cmd, "cat -- ") || um_has_prefix(cmd, "find . "));
		free(cmd);
		agent_reply_release(&a);
		json_decref(n);
	}
	sim_free(s);
	free_task_suite(ts);
}

static void test_agent_orchestrator(void **state)
{
	um_suite *ts = mk_task_suite(2);
	um_sim *s = start_agents(ts, pool_agents);
	json_t *n = agent_request(task_instr0);
	agent_reply o, g;
	char *co, *cg;
	json_t *calls;
	um_sim_stats st;

	(void)state;
	agent_post(s, UM_PROV_OPENAI, "agent-orch", n, &o);
	agent_post(s, UM_PROV_OPENAI, "agent-good", n, &g);
	/* it plays its first member, under its own name, without fan-out */
	assert_string_equal(o.c.served_model, "agent-orch");
	co = call_command(agent_call(&o));
	cg = call_command(agent_call(&g));
	assert_string_equal(co, cg);
	assert_non_null(strstr(co, task_sol0));
	assert_int_equal(o.c.tokens_in, g.c.tokens_in + 100);
	assert_int_equal(o.c.tokens_out, g.c.tokens_out + 10);
	calls = json_object_get(o.c.routing, "calls");
	assert_int_equal(json_array_size(calls), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(calls, 0), "model")),
			    "agent-good");
	sim_get_stats(s, &st);
	assert_int_equal(st.upstream_calls, 0);
	free(co);
	free(cg);
	agent_reply_release(&o);
	agent_reply_release(&g);
	json_decref(n);
	sim_free(s);
	free_task_suite(ts);
}

static void test_agent_faults_and_garbage(void **state)
{
	um_suite *ts = mk_task_suite(2);
	um_sim *s = start_agents(ts, "umpire: 1\n"
				     "latency_scale: 0\n"
				     "models:\n"
				     "  - name: flaky\n"
				     "    accuracy: {default: 1}\n"
				     "    faults: {rate_500: 1.0}\n"
				     "  - name: ok\n"
				     "    accuracy: {default: 1}\n");
	json_t *n = agent_request(task_instr0);
	um_system sys;
	um_wire_request w;
	um_error err = {0};
	json_t *j;
	um_sim_stats st;

	(void)state;
	memset(&sys, 0, sizeof(sys));
	sys.name = sys.model = "flaky";
	sys.base_url = (char *)sim_base_url(s);
	assert_int_equal(provider_build(&sys, n, &w, &err), 0);
	j = post_json(s, "/v1/chat/completions", w.body, 500);
	json_decref(j);
	wire_request_release(&w);
	sim_get_stats(s, &st);
	assert_int_equal(st.faults_500, 1);

	j = post_json(s, "/v1/chat/completions",
		      "{\"model\":\"ok\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
		      "\"tools\":{\"bash\":1}}",
		      400);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(j, "error"),
								   "message")),
			       "tools"));
	json_decref(j);
	j = post_json(s, "/v1/messages",
		      "{\"model\":\"ok\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
		      "\"tools\":[1]}",
		      400);
	json_decref(j);
	/* calls and results that make no sense: still a plausible answer */
	j = post_json(s, "/v1/chat/completions",
		      "{\"model\":\"ok\",\"tools\":[{\"type\":\"function\"}],\"messages\":["
		      "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[7,{\"id\":3},"
		      "{\"function\":{\"name\":\"bash\",\"arguments\":\"[[[\"}}]},"
		      "{\"role\":\"tool\",\"tool_call_id\":null,\"content\":\"?\"},"
		      "{\"role\":\"tool\",\"content\":\"?\"}]}",
		      200);
	json_decref(j);
	j = post_json(s, "/v1/messages",
		      "{\"model\":\"ok\",\"tools\":[{}],\"messages\":[{\"role\":\"user\","
		      "\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":5,\"content\":["
		      "{\"type\":\"text\",\"text\":\"hi\"}]},{\"type\":7}]},"
		      "{\"role\":\"assistant\",\"content\":["
		      "{\"type\":\"tool_use\",\"name\":\"submit\",\"input\":\"x\"}]}]}",
		      200);
	assert_string_equal(json_string_value(json_object_get(j, "stop_reason")), "tool_use");
	json_decref(j);
	json_decref(n);
	sim_free(s);
	free_task_suite(ts);
}

/* ------------------------------------------------------------------ */

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	suite = mk_suite(N_ITEMS);
	return 0;
}

static int teardown(void **state)
{
	char *cmd = um_xasprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);

	(void)state;
	(void)rc;
	free(cmd);
	free_suite(suite);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recognise_label_styles),
		cmocka_unit_test(test_accuracy_and_determinism),
		cmocka_unit_test(test_openai_shape),
		cmocka_unit_test(test_anthropic_shape),
		cmocka_unit_test(test_format_misses),
		cmocka_unit_test(test_fault_429),
		cmocka_unit_test(test_fault_500),
		cmocka_unit_test(test_fault_malformed_truncated),
		cmocka_unit_test(test_fault_stall),
		cmocka_unit_test(test_retry_succeeds),
		cmocka_unit_test(test_error_routes),
		cmocka_unit_test(test_orchestrator),
		cmocka_unit_test(test_orchestrator_upstream),
		cmocka_unit_test(test_orchestrator_calls_members),
		cmocka_unit_test(test_item_difficulty),
		cmocka_unit_test(test_bad_pools),
		cmocka_unit_test(test_code_answers),
		cmocka_unit_test(test_good_pools_load),
		cmocka_unit_test(test_concurrent_smoke),
		cmocka_unit_test(test_agent_skilled),
		cmocka_unit_test(test_agent_unskilled),
		cmocka_unit_test(test_agent_skill_rates),
		cmocka_unit_test(test_agent_determinism),
		cmocka_unit_test(test_agent_malformed_calls),
		cmocka_unit_test(test_agent_unrecognised),
		cmocka_unit_test(test_agent_orchestrator),
		cmocka_unit_test(test_agent_faults_and_garbage),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
