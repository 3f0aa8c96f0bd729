/*
 * test_provider.c - request building and response parsing for OpenAI chat
 * completions and Anthropic messages: exact bodies, dropped parameters,
 * body hashes, and a table of malformed responses that must be protocol
 * errors (never crashes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exec/provider.h"
#include "exec/provider_impl.h"
#include "base/buf.h"
#include "base/util.h"

#define FIX(name) FIXTURES "/provider/" name

static char *load(const char *path, size_t *len)
{
	um_error err;
	char *data = NULL;

	if (um_read_file(path, &data, len, &err) < 0)
		fail_msg("%s", err.msg);
	return data;
}

static um_system make_system(um_provider p, const char *name, const char *model)
{
	um_system s;

	memset(&s, 0, sizeof(s));
	s.name = (char *)name;
	s.provider = p;
	s.base_url = (char *)(p == UM_PROV_ANTHROPIC ? "https://api.example.com/v1"
						     : "http://127.0.0.1:8080/v1");
	s.model = (char *)model;
	s.concurrency = 8;
	s.timeout_ms = 120000;
	s.max_retries = 4;
	return s;
}

static json_t *neutral(const char *params_json)
{
	json_t *n = json_pack("{s:[{s:s,s:s},{s:s,s:s},{s:s,s:s}]}", "messages", "role", "system",
			      "content", "Be brief.", "role", "system", "content",
			      "Answer in English.", "role", "user", "content", "Which is stable?");
	json_error_t je;
	json_t *params = json_loads(params_json, 0, &je);

	assert_non_null(params);
	json_object_set_new(n, "params", params);
	return n;
}

static int has_header(const um_wire_request *w, const char *line)
{
	int i;

	for (i = 0; i < w->n_headers; i++)
		if (strcmp(w->headers[i], line) == 0)
			return 1;
	return 0;
}

static int has_header_prefix(const um_wire_request *w, const char *prefix)
{
	int i;

	for (i = 0; i < w->n_headers; i++)
		if (um_has_prefix(w->headers[i], prefix))
			return 1;
	return 0;
}

/* ---- json_canonical ----------------------------------------------------- */

static void test_canonical(void **state)
{
	json_t *v = json_pack("{s:f,s:f,s:i,s:[f],s:s}", "z", 0.7, "a", 1.0, "m", 5, "arr",
			      0.1 + 0.2, "s", "é\"");
	char *s = json_canonical(v);

	(void)state;
	/* One precision per document: the most any real needs to read back. */
	assert_string_equal(s, "{\"a\":1.0,\"arr\":[0.30000000000000004],\"m\":5,"
			       "\"s\":\"é\\\"\",\"z\":0.69999999999999996}");
	free(s);
	json_decref(v);

	v = json_pack("{s:f,s:f}", "t", 0.7, "p", 0.125);
	s = json_canonical(v);
	assert_string_equal(s, "{\"p\":0.125,\"t\":0.7}");
	free(s);
	json_decref(v);

	v = json_integer(3);
	s = json_canonical(v);
	assert_string_equal(s, "3");
	free(s);
	json_decref(v);
	assert_null(json_canonical(NULL));
}

/* json_canonical_sealed gives json_canonical's bytes and the hashes of the
 * text with and without the skipped keys, whatever the keys and values. */
static void check_sealed(const char *doc)
{
	static const char *const skip[] = {"model", "stream", "stream_options", NULL};
	json_t *v = json_loads(doc, 0, NULL), *rest;
	char *want = json_canonical(v), *got, *rest_text, sha[65], sha_w[65], hex[65];
	size_t len = 0, i;

	assert_non_null(v);
	got = json_canonical_sealed(v, skip, &len, sha, sha_w);
	assert_string_equal(got, want);
	assert_int_equal(len, strlen(want));
	um_sha256_hex(want, strlen(want), hex);
	assert_string_equal(sha, hex);
	rest = json_deep_copy(v);
	for (i = 0; skip[i]; i++)
		json_object_del(rest, skip[i]);
	rest_text = json_canonical(rest);
	um_sha256_hex(rest_text, strlen(rest_text), hex);
	assert_string_equal(sha_w, hex);
	free(rest_text);
	json_decref(rest);
	free(got);
	free(want);
	json_decref(v);
}

static void test_canonical_sealed(void **state)
{
	(void)state;
	check_sealed("{}");
	check_sealed("{\"model\":\"m\"}");
	check_sealed("{\"model\":\"m\",\"stream\":true}");
	check_sealed("{\"a\":1}");
	check_sealed("{\"zeta\":[1,{\"b\":0.1,\"a\":null}],\"model\":\"x\",\"messages\":[],"
		     "\"stream\":false,\"stream_options\":{\"include_usage\":true},\"a\":0.5}");
	/* keys that need escaping, non-ASCII keys, keys sorting around "model" */
	check_sealed("{\"q\\\"k\":1,\"\\u00e9t\\u00e9\":2,\"tab\\tkey\":3,\"mode\":4,\"modelz\":5,"
		     "\"model\":\"\\u00fc\",\"\\\\\":6,\"\":7}");
	/* a skipped member needing more digits than the rest */
	check_sealed("{\"model\":0.30000000000000004,\"t\":0.5,\"stream\":true}");
	check_sealed("{\"stream_options\":{\"x\":0.1},\"t\":[0.30000000000000004]}");
}

/* json_canonical's own encoder writes json_dumps' bytes: documents written
 * out, then documents drawn from a seeded generator (strings of every
 * ASCII byte, control characters, quotes, backslashes and non-ASCII text;
 * keys that prefix each other; nesting; integers and reals). */
static void check_same(const json_t *v)
{
	char *got = json_canonical(v), *want = json_canonical_jansson(v);

	assert_non_null(want);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	free(want);
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

static json_t *random_string(uint64_t *s)
{
	static const char *const pieces[] = {"\"", "\\", "\n", "\t", "\r", "\b", "\f",
					     "\x01", "\x1f", "\x7f", "/", "\xc3\xa9",
					     "\xe2\x82\xac", "\xf0\x9f\x98\x80", " ", "Answer: C"};
	char buf[256];
	size_t n = lcg(s) % 40, len = 0, i;

	for (i = 0; i < n && len < sizeof(buf) - 8; i++) {
		uint64_t r = lcg(s) % 4;

		if (r == 0) {
			const char *p = pieces[lcg(s) % (sizeof(pieces) / sizeof(*pieces))];
			memcpy(buf + len, p, strlen(p));
			len += strlen(p);
		} else {
			buf[len++] = (char)(0x01 + lcg(s) % 0x7f); /* any ASCII but NUL */
		}
	}
	if (lcg(s) % 8 == 0)
		buf[len++] = '\0'; /* an embedded NUL */
	return json_stringn(buf, len);
}

static json_t *random_doc(uint64_t *s, int depth)
{
	static const char *const keys[] = {"a", "ab", "abc", "b", "model", "models", "Z", "",
					   "\xc3\xa9", "q\"k", "x\ny"};
	uint64_t r = lcg(s) % (depth > 4 ? 6 : 8);
	json_t *v;
	size_t i, n;

	switch (r) {
	case 0: return json_null();
	case 1: return json_boolean(lcg(s) & 1);
	case 2: return json_integer((json_int_t)lcg(s) - (json_int_t)(1ULL << 30));
	case 3: return json_real((double)lcg(s) / 1e3);
	case 4:
	case 5: return random_string(s);
	case 6:
		v = json_array();
		for (i = 0, n = lcg(s) % 5; i < n; i++)
			json_array_append_new(v, random_doc(s, depth + 1));
		return v;
	default:
		v = json_object();
		for (i = 0, n = lcg(s) % 7; i < n; i++) {
			json_t *k = random_string(s);
			const char *key = lcg(s) % 2 ? keys[lcg(s) % (sizeof(keys) / sizeof(*keys))]
						     : json_string_value(k);

			json_object_set_new(v, key, random_doc(s, depth + 1));
			json_decref(k);
		}
		return v;
	}
}

static void test_canonical_encoder(void **state)
{
	static const char *const docs[] = {
		"{}", "[]", "\"\"", "0", "-12", "9223372036854775807", "true", "null",
		"{\"b\":{\"y\":[],\"x\":{}},\"a\":[1,\"two\",[3]]}",
		"{\"ab\":1,\"a\":2,\"abc\":3,\"\":4}",
		"{\"s\":\"tab\\there \\\"q\\\" back\\\\slash \\u0001 \\u001f \\u007f / \\u00e9 "
		"\\u20ac \\ud83d\\ude00\"}",
		"{\"t\":0.7,\"p\":[0.1,1e300,-0.0,5e-324],\"n\":3}",
	};
	uint64_t seed = 42;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(*docs); i++) {
		json_t *v = json_loads(docs[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

		assert_non_null(v);
		check_same(v);
		json_decref(v);
	}
	for (i = 0; i < 3000; i++) {
		json_t *v = random_doc(&seed, 0);

		check_same(v);
		json_decref(v);
	}
}

/* ---- building ----------------------------------------------------------- */

static void test_build_openai(void **state)
{
	um_system s = make_system(UM_PROV_OPENAI, "gpt", "gpt-4.1");
	char *hn[] = {"OpenAI-Organization"}, *hv[] = {"org-123"};
	json_t *n = neutral("{\"temperature\":0.7,\"max_tokens\":2048,\"seed\":1234,\"top_p\":1,"
			    "\"response_format\":{\"type\":\"text\"}}");
	um_wire_request w;
	um_error err;

	(void)state;
	setenv("UMPIRE_TEST_OPENAI_KEY", "sk-test-123", 1);
	s.api_key_env = "UMPIRE_TEST_OPENAI_KEY";
	s.header_names = hn;
	s.header_values = hv;
	s.n_headers = 1;
	assert_int_equal(provider_build(&s, n, &w, &err), 0);
	assert_string_equal(w.url, "http://127.0.0.1:8080/v1/chat/completions");
	assert_string_equal(
	    w.body,
	    "{\"max_tokens\":2048,\"messages\":[{\"content\":\"Be brief.\",\"role\":\"system\"},"
	    "{\"content\":\"Answer in English.\",\"role\":\"system\"},"
	    "{\"content\":\"Which is stable?\",\"role\":\"user\"}],\"model\":\"gpt-4.1\","
	    "\"response_format\":{\"type\":\"text\"},\"seed\":1234,\"temperature\":0.7,"
	    "\"top_p\":1}");
	assert_int_equal(w.body_len, strlen(w.body));
	assert_null(w.dropped);
	assert_int_equal(w.n_headers, 3);
	assert_string_equal(w.headers[0], "Content-Type: application/json");
	assert_true(has_header(&w, "Authorization: Bearer sk-test-123"));
	assert_true(has_header(&w, "OpenAI-Organization: org-123"));
	assert_int_equal(strlen(w.body_hash), 64);
	wire_request_release(&w);

	/* A trailing slash on base_url does not double up. */
	s.base_url = "http://127.0.0.1:8080/v1/";
	s.api_key_env = NULL;
	s.n_headers = 0;
	assert_int_equal(provider_build(&s, n, &w, &err), 0);
	assert_string_equal(w.url, "http://127.0.0.1:8080/v1/chat/completions");
	/* No key variable: no auth header at all. */
	assert_int_equal(w.n_headers, 1);
	assert_false(has_header_prefix(&w, "Authorization:"));
	wire_request_release(&w);
	json_decref(n);
}

static void test_build_anthropic(void **state)
{
	um_system s = make_system(UM_PROV_ANTHROPIC, "claude", "claude-sonnet-4");
	json_t *n = neutral("{\"temperature\":0.7,\"max_tokens\":2048,\"seed\":1234,\"top_p\":1,"
			    "\"top_k\":40,\"stop\":\"END\",\"frequency_penalty\":0.5,"
			    "\"presence_penalty\":0,\"response_format\":{\"type\":\"text\"},"
			    "\"metadata\":{\"user_id\":\"u1\"}}");
	um_wire_request w;
	um_error err;

	(void)state;
	setenv("UMPIRE_TEST_ANTHROPIC_KEY", "sk-ant-xyz", 1);
	s.api_key_env = "UMPIRE_TEST_ANTHROPIC_KEY";
	assert_int_equal(provider_build(&s, n, &w, &err), 0);
	assert_string_equal(w.url, "https://api.example.com/v1/messages");
	assert_string_equal(
	    w.body,
	    "{\"max_tokens\":2048,\"messages\":[{\"content\":\"Which is stable?\","
	    "\"role\":\"user\"}],\"metadata\":{\"user_id\":\"u1\"},\"model\":\"claude-sonnet-4\","
	    "\"stop_sequences\":[\"END\"],\"system\":\"Be brief.\\n\\nAnswer in English.\","
	    "\"temperature\":0.7,\"top_k\":40,\"top_p\":1}");
	assert_non_null(w.dropped);
	assert_string_equal(w.dropped, "frequency_penalty,presence_penalty,response_format,seed");
	assert_string_equal(w.headers[0], "Content-Type: application/json");
	assert_true(has_header(&w, "x-api-key: sk-ant-xyz"));
	assert_true(has_header(&w, "anthropic-version: 2023-06-01"));
	assert_false(has_header_prefix(&w, "Authorization:"));
	wire_request_release(&w);

	/* Stated version wins; a list of stops passes through. */
	s.anthropic_version = "2024-10-22";
	s.api_key_env = NULL;
	json_object_set_new(json_object_get(n, "params"), "stop", json_pack("[s,s]", "a", "b"));
	assert_int_equal(provider_build(&s, n, &w, &err), 0);
	assert_true(has_header(&w, "anthropic-version: 2024-10-22"));
	assert_false(has_header_prefix(&w, "x-api-key:"));
	assert_non_null(strstr(w.body, "\"stop_sequences\":[\"a\",\"b\"]"));
	wire_request_release(&w);
	json_decref(n);

	/* No system messages, nothing dropped. */
	n = json_pack("{s:[{s:s,s:s}],s:{s:i}}", "messages", "role", "user", "content", "hi",
		      "params", "max_tokens", 16);
	assert_int_equal(provider_build(&s, n, &w, &err), 0);
	assert_string_equal(w.body, "{\"max_tokens\":16,\"messages\":[{\"content\":\"hi\","
				    "\"role\":\"user\"}],\"model\":\"claude-sonnet-4\"}");
	assert_null(w.dropped);
	wire_request_release(&w);
	json_decref(n);
}

/* A model that takes temperature or top_p but not both (Claude from Opus
 * 4.1 on): with both in the params, top_p is not sent and is named, on every
 * wire; top_p alone goes. A model that takes none sends neither. */
static void test_build_sampling_caps(void **state)
{
	static const struct {
		um_provider p;
		const char *model, *temperature, *top_p;
	} wires[] = {
	    {UM_PROV_OPENAI, "m", "\"temperature\":0", "\"top_p\":"},
	    {UM_PROV_ANTHROPIC, "claude-sonnet-4-5", "\"temperature\":0", "\"top_p\":"},
	    {UM_PROV_GEMINI, "gemini-2.5-pro", "\"temperature\":0", "\"topP\":"},
	    {UM_PROV_BEDROCK, "anthropic.claude-sonnet-4-5-20250929-v1:0", "\"temperature\":0",
	     "\"topP\":"},
	};
	json_t *both = neutral("{\"temperature\":0,\"top_p\":1,\"max_tokens\":100}");
	json_t *alone = neutral("{\"top_p\":0.9,\"max_tokens\":100}");
	um_wire_request w;
	um_error err;
	size_t i;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
	for (i = 0; i < UM_ARRAY_LEN(wires); i++) {
		um_system s = make_system(wires[i].p, "sys", wires[i].model);

		s.region = "us-east-1";
		s.caps.one_sampler = 1;
		if (provider_build(&s, both, &w, &err) < 0)
			fail_msg("%s: %s", wires[i].model, err.msg);
		assert_non_null(strstr(w.body, wires[i].temperature));
		assert_null(strstr(w.body, wires[i].top_p));
		assert_non_null(w.dropped);
		assert_string_equal(w.dropped, "top_p");
		wire_request_release(&w);
		assert_int_equal(provider_build(&s, alone, &w, &err), 0);
		assert_non_null(strstr(w.body, wires[i].top_p));
		assert_null(w.dropped);
		wire_request_release(&w);
		s.caps.one_sampler = 0;
		s.caps.no_sampling = 1;
		assert_int_equal(provider_build(&s, both, &w, &err), 0);
		assert_null(strstr(w.body, wires[i].temperature));
		assert_null(strstr(w.body, wires[i].top_p));
		assert_string_equal(w.dropped, "temperature,top_p");
		wire_request_release(&w);
	}
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	json_decref(both);
	json_decref(alone);
}

/* Claude's thinking from the reasoning settings: an effort goes as adaptive
 * thinking where the model takes it (and the budget then not), a budget as
 * enabled thinking where the effort cannot go; on Anthropic's API and in
 * Bedrock's additionalModelRequestFields. */
static void test_build_claude_thinking(void **state)
{
	enum { LMH = UM_EFFORT_BIT(2) | UM_EFFORT_BIT(3) | UM_EFFORT_BIT(4),
	       LMHX = LMH | UM_EFFORT_BIT(5) };
	static const struct {
		um_provider p;
		const char *model, *effort;
		um_caps caps;
		const char *want, *dropped;
	} cases[] = {
	    {UM_PROV_ANTHROPIC, "claude-opus-4-7", "low", {1, 0, 1, 0, 0, LMHX},
	     "\"output_config\":{\"effort\":\"low\"},\"system\":\"Be brief.\\n\\nAnswer in "
	     "English.\",\"thinking\":{\"type\":\"adaptive\"}}",
	     "reasoning.budget_tokens,temperature,top_p"},
	    {UM_PROV_ANTHROPIC, "claude-opus-4-7", "xhigh", {1, 0, 1, 0, 0, LMHX},
	     "\"output_config\":{\"effort\":\"xhigh\"}", "reasoning.budget_tokens,temperature,top_p"},
	    /* 4.6 takes both: the effort wins; xhigh and minimal it does not know */
	    {UM_PROV_ANTHROPIC, "claude-opus-4-6", "high", {0, 0, 1, 1, 1, LMH},
	     "\"thinking\":{\"type\":\"adaptive\"},\"top_p\":1}",
	     "reasoning.budget_tokens,temperature"},
	    {UM_PROV_ANTHROPIC, "claude-opus-4-6", "xhigh", {0, 0, 1, 1, 1, LMH},
	     "\"thinking\":{\"budget_tokens\":1024,\"type\":\"enabled\"}",
	     "reasoning.effort,temperature"},
	    {UM_PROV_ANTHROPIC, "claude-sonnet-4-5", "minimal", {0, 0, 0, 1, 1, 0},
	     "\"thinking\":{\"budget_tokens\":1024,\"type\":\"enabled\"}",
	     "reasoning.effort,temperature"},
	    {UM_PROV_BEDROCK, "anthropic.claude-opus-4-7", "medium", {1, 0, 1, 0, 0, LMHX},
	     "\"additionalModelRequestFields\":{\"output_config\":{\"effort\":\"medium\"},"
	     "\"thinking\":{\"type\":\"adaptive\"}}",
	     "reasoning.budget_tokens,temperature,top_p"},
	    {UM_PROV_BEDROCK, "meta.llama3-70b-instruct-v1:0", "medium", {0, 0, 0, 0, 0, 0},
	     "\"inferenceConfig\":{\"maxTokens\":4096,\"temperature\":0,\"topP\":1}",
	     "reasoning.budget_tokens,reasoning.effort"},
	};
	um_wire_request w;
	um_error err;
	size_t i;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
	for (i = 0; i < UM_ARRAY_LEN(cases); i++) {
		um_system s = make_system(cases[i].p, "sys", cases[i].model);
		json_t *n = neutral("{\"temperature\":0,\"top_p\":1,\"max_tokens\":4096}");

		json_object_set_new(n, "reasoning", json_pack("{s:s,s:i}", "effort", cases[i].effort,
							      "budget_tokens", 1024));
		s.region = "us-east-1";
		s.caps = cases[i].caps;
		if (provider_build(&s, n, &w, &err) < 0)
			fail_msg("%s %s: %s", cases[i].model, cases[i].effort, err.msg);
		if (!strstr(w.body, cases[i].want))
			fail_msg("%s %s: %s lacks %s", cases[i].model, cases[i].effort, w.body,
				 cases[i].want);
		if (!w.dropped || strcmp(w.dropped, cases[i].dropped) != 0)
			fail_msg("%s %s: dropped %s, not %s", cases[i].model, cases[i].effort,
				 w.dropped ? w.dropped : "(none)", cases[i].dropped);
		wire_request_release(&w);
		json_decref(n);
	}
	/* a budget not below max_tokens is an error only where it would be sent */
	{
		um_system s = make_system(UM_PROV_ANTHROPIC, "sys", "claude-opus-4-6");
		json_t *n = neutral("{\"max_tokens\":1000}");

		s.caps = cases[2].caps;
		json_object_set_new(n, "reasoning", json_pack("{s:s,s:i}", "effort", "low",
							      "budget_tokens", 1024));
		assert_int_equal(provider_build(&s, n, &w, &err), 0);
		wire_request_release(&w);
		json_object_set_new(n, "reasoning", json_pack("{s:s,s:i}", "effort", "minimal",
							      "budget_tokens", 1024));
		assert_int_equal(provider_build(&s, n, &w, &err), -1);
		assert_non_null(strstr(err.msg, "must be below max_tokens"));
		json_decref(n);
	}
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
}

static void test_body_hash_parity(void **state)
{
	json_t *n = neutral("{\"temperature\":0,\"max_tokens\":64,\"seed\":7}");
	um_provider provs[] = {UM_PROV_OPENAI, UM_PROV_ANTHROPIC};
	um_wire_request a, b, c;
	um_error err;
	size_t i;

	(void)state;
	for (i = 0; i < UM_ARRAY_LEN(provs); i++) {
		um_system s1 = make_system(provs[i], "one", "model-one");
		um_system s2 = make_system(provs[i], "two", "model-two-longer-name");

		s2.base_url = "http://10.0.0.1/other";
		assert_int_equal(provider_build(&s1, n, &a, &err), 0);
		assert_int_equal(provider_build(&s2, n, &b, &err), 0);
		assert_string_not_equal(a.body, b.body);
		assert_string_equal(a.body_hash, b.body_hash);
		/* The hash is of the body without "model": check it directly. */
		{
			json_t *v = json_loads(a.body, 0, NULL);
			char *text, hex[65];

			json_object_del(v, "model");
			text = json_canonical(v);
			um_sha256_hex(text, strlen(text), hex);
			assert_string_equal(hex, a.body_hash);
			free(text);
			json_decref(v);
		}
		/* A different parameter gives a different hash. */
		json_object_set_new(json_object_get(n, "params"), "temperature", json_real(0.5));
		assert_int_equal(provider_build(&s1, n, &c, &err), 0);
		assert_string_not_equal(a.body_hash, c.body_hash);
		json_object_set_new(json_object_get(n, "params"), "temperature", json_integer(0));
		wire_request_release(&a);
		wire_request_release(&b);
		wire_request_release(&c);
	}
	json_decref(n);
}

static void test_build_errors(void **state)
{
	um_system oa = make_system(UM_PROV_OPENAI, "gpt", "gpt-4.1");
	um_system an = make_system(UM_PROV_ANTHROPIC, "claude-sys", "claude");
	um_wire_request w;
	um_error err;
	json_t *n;

	(void)state;
	/* Anthropic without max_tokens: an error, never a default. */
	n = neutral("{\"temperature\":0}");
	um_error_clear(&err);
	assert_int_equal(provider_build(&an, n, &w, &err), -1);
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_non_null(strstr(err.msg, "claude-sys"));
	assert_non_null(strstr(err.msg, "Anthropic requires max_tokens"));
	assert_non_null(strstr(err.msg, "the harness injects no default"));
	assert_null(w.body);
	/* ... while OpenAI sends exactly what was stated. */
	assert_int_equal(provider_build(&oa, n, &w, &err), 0);
	assert_null(strstr(w.body, "max_tokens"));
	wire_request_release(&w);
	json_decref(n);

	/* Missing key variable: names the variable (the caller prefixes the
	 * system, once). */
	unsetenv("UMPIRE_TEST_NO_SUCH_KEY");
	oa.api_key_env = "UMPIRE_TEST_NO_SUCH_KEY";
	n = neutral("{}");
	assert_int_equal(provider_build(&oa, n, &w, &err), -1);
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_null(strstr(err.msg, "gpt"));
	assert_non_null(strstr(err.msg, "UMPIRE_TEST_NO_SUCH_KEY"));
	setenv("UMPIRE_TEST_NO_SUCH_KEY", "", 1);
	assert_int_equal(provider_build(&oa, n, &w, &err), -1);
	assert_non_null(strstr(err.msg, "UMPIRE_TEST_NO_SUCH_KEY"));
	setenv("UMPIRE_TEST_NO_SUCH_KEY", "sk\r\nX-Evil: 1", 1);
	assert_int_equal(provider_build(&oa, n, &w, &err), -1);
	assert_non_null(strstr(err.msg, "line break"));
	unsetenv("UMPIRE_TEST_NO_SUCH_KEY");
	oa.api_key_env = NULL;
	json_decref(n);

	/* Garbage neutral requests. */
	{
		static const char *const bad[] = {
		    "[]",
		    "{}",
		    "{\"messages\":[]}",
		    "{\"messages\":\"hi\"}",
		    "{\"messages\":[1]}",
		    "{\"messages\":[{\"content\":\"x\"}]}",
		    "{\"messages\":[{\"role\":5,\"content\":\"x\"}]}",
		    "{\"messages\":[{\"role\":\"user\"}]}",
		    "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"params\":[1]}",
		    "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
		    "\"params\":{\"stream\":true,\"max_tokens\":5}}",
		};
		size_t i;

		for (i = 0; i < UM_ARRAY_LEN(bad); i++) {
			n = json_loads(bad[i], 0, NULL);
			assert_non_null(n);
			assert_int_equal(provider_build(&oa, n, &w, &err), -1);
			assert_int_equal(provider_build(&an, n, &w, &err), -1);
			json_decref(n);
		}
	}
	/* params may not override the model. */
	n = json_loads("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
		       "\"params\":{\"model\":\"other\"}}",
		       0, NULL);
	assert_int_equal(provider_build(&oa, n, &w, &err), -1);
	assert_non_null(strstr(err.msg, "model"));
	json_decref(n);
	/* Anthropic: unknown roles and non-text system content. */
	n = json_loads("{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}],"
		       "\"params\":{\"max_tokens\":5}}",
		       0, NULL);
	assert_int_equal(provider_build(&an, n, &w, &err), -1);
	assert_non_null(strstr(err.msg, "\"tool\""));
	json_decref(n);
	n = json_loads("{\"messages\":[{\"role\":\"function\",\"content\":\"x\"}],"
		       "\"params\":{\"max_tokens\":5}}",
		       0, NULL);
	assert_int_equal(provider_build(&an, n, &w, &err), -1);
	assert_non_null(strstr(err.msg, "role \"function\" has no Anthropic equivalent"));
	json_decref(n);
	n = json_loads("{\"messages\":[{\"role\":\"system\",\"content\":[1]},"
		       "{\"role\":\"user\",\"content\":\"x\"}],\"params\":{\"max_tokens\":5}}",
		       0, NULL);
	assert_int_equal(provider_build(&an, n, &w, &err), -1);
	json_decref(n);
	n = json_loads("{\"messages\":[{\"role\":\"system\",\"content\":\"only\"}],"
		       "\"params\":{\"max_tokens\":5}}",
		       0, NULL);
	assert_int_equal(provider_build(&an, n, &w, &err), -1);
	json_decref(n);
	n = json_loads("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
		       "\"params\":{\"max_tokens\":5,\"stop\":7}}",
		       0, NULL);
	assert_int_equal(provider_build(&an, n, &w, &err), -1);
	assert_non_null(strstr(err.msg, "params.stop"));
	json_decref(n);
}

/* ---- agent turns -------------------------------------------------------- */

/* A neutral request after three agent turns: a call with text, two calls
 * (the second with arguments that are not JSON) without text, and a
 * submit with null content, each answered by tool results. */
static json_t *agent_neutral(void)
{
	static const char *const text =
	    "{\"messages\":["
	    "{\"role\":\"system\",\"content\":\"You are an agent.\"},"
	    "{\"role\":\"user\",\"content\":\"Count the words in a.txt.\"},"
	    "{\"role\":\"assistant\",\"content\":\"Let me look.\",\"tool_calls\":["
	    "{\"id\":\"call_1\",\"name\":\"bash\",\"arguments\":\"{\\\"command\\\": "
	    "\\\"ls\\\"}\"}]},"
	    "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"name\":\"bash\","
	    "\"content\":\"exit code: 0\\nstdout:\\na.txt\\nstderr:\\n\"},"
	    "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":["
	    "{\"id\":\"call_2\",\"name\":\"bash\",\"arguments\":\"{\\\"command\\\":\\\"wc -w "
	    "a.txt\\\"}\"},"
	    "{\"id\":\"call_3\",\"name\":\"bash\",\"arguments\":\"{\\\"command\\\": \\\"cat\"}]},"
	    "{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"name\":\"bash\","
	    "\"content\":\"exit code: 0\\nstdout:\\n3 a.txt\\nstderr:\\n\"},"
	    "{\"role\":\"tool\",\"tool_call_id\":\"call_3\",\"name\":\"bash\","
	    "\"content\":\"error: the arguments are not JSON\"},"
	    "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
	    "{\"id\":\"call_4\",\"name\":\"submit\",\"arguments\":\"{}\"}]},"
	    "{\"role\":\"tool\",\"tool_call_id\":\"call_4\",\"name\":\"submit\","
	    "\"content\":\"submitted\"}],"
	    "\"params\":{\"temperature\":0,\"max_tokens\":4096},"
	    "\"tools\":["
	    "{\"name\":\"bash\",\"description\":\"Run one bash command.\",\"parameters\":"
	    "{\"type\":\"object\",\"properties\":{\"command\":{\"type\":\"string\"}},"
	    "\"required\":[\"command\"]}},"
	    "{\"name\":\"submit\",\"description\":\"Call when done.\",\"parameters\":"
	    "{\"type\":\"object\",\"properties\":{}}}]}";
	json_error_t je;
	json_t *n = json_loads(text, 0, &je);

	if (!n)
		fail_msg("agent_neutral: %s", je.text);
	return n;
}

static void test_build_agent_openai(void **state)
{
	um_system s = make_system(UM_PROV_OPENAI, "gpt", "gpt-4.1");
	um_system s2 = make_system(UM_PROV_OPENAI, "other", "gpt-5");
	json_t *n = agent_neutral();
	um_wire_request w, w2;
	um_error err;

	(void)state;
	if (provider_build(&s, n, &w, &err) < 0)
		fail_msg("%s", err.msg);
	/* Calls keep their arguments text byte for byte (even when it is not
	 * JSON); empty and null text beside calls both go as null; results
	 * lose their name. */
	assert_string_equal(
	    w.body,
	    "{\"max_tokens\":4096,\"messages\":[{\"content\":\"You are an agent.\","
	    "\"role\":\"system\"},{\"content\":\"Count the words in a.txt.\",\"role\":\"user\"},"
	    "{\"content\":\"Let me look.\",\"role\":\"assistant\","
	    "\"tool_calls\":[{\"function\":{\"arguments\":\"{\\\"command\\\": \\\"ls\\\"}\","
	    "\"name\":\"bash\"},\"id\":\"call_1\",\"type\":\"function\"}]},"
	    "{\"content\":\"exit code: 0\\nstdout:\\na.txt\\nstderr:\\n\",\"role\":\"tool\","
	    "\"tool_call_id\":\"call_1\"},{\"content\":null,\"role\":\"assistant\","
	    "\"tool_calls\":[{\"function\":{\"arguments\":\"{\\\"command\\\":\\\"wc -w "
	    "a.txt\\\"}\",\"name\":\"bash\"},\"id\":\"call_2\",\"type\":\"function\"},"
	    "{\"function\":{\"arguments\":\"{\\\"command\\\": \\\"cat\",\"name\":\"bash\"},"
	    "\"id\":\"call_3\",\"type\":\"function\"}]},"
	    "{\"content\":\"exit code: 0\\nstdout:\\n3 a.txt\\nstderr:\\n\",\"role\":\"tool\","
	    "\"tool_call_id\":\"call_2\"},{\"content\":\"error: the arguments are not JSON\","
	    "\"role\":\"tool\",\"tool_call_id\":\"call_3\"},"
	    "{\"content\":null,\"role\":\"assistant\","
	    "\"tool_calls\":[{\"function\":{\"arguments\":\"{}\",\"name\":\"submit\"},"
	    "\"id\":\"call_4\",\"type\":\"function\"}]},{\"content\":\"submitted\","
	    "\"role\":\"tool\",\"tool_call_id\":\"call_4\"}],\"model\":\"gpt-4.1\","
	    "\"temperature\":0,\"tools\":[{\"function\":{\"description\":\"Run one bash "
	    "command.\",\"name\":\"bash\","
	    "\"parameters\":{\"properties\":{\"command\":{\"type\":\"string\"}},"
	    "\"required\":[\"command\"],\"type\":\"object\"}},\"type\":\"function\"},"
	    "{\"function\":{\"description\":\"Call when done.\",\"name\":\"submit\","
	    "\"parameters\":{\"properties\":{},\"type\":\"object\"}},\"type\":\"function\"}]}");
	assert_null(w.dropped);
	/* Parity holds for agent bodies too. */
	assert_int_equal(provider_build(&s2, n, &w2, &err), 0);
	assert_string_equal(w.body_hash, w2.body_hash);
	wire_request_release(&w);
	wire_request_release(&w2);
	json_decref(n);
}

static void test_build_agent_anthropic(void **state)
{
	um_system s = make_system(UM_PROV_ANTHROPIC, "claude", "claude-sonnet-4");
	um_system s2 = make_system(UM_PROV_ANTHROPIC, "other", "claude-opus-4");
	json_t *n = agent_neutral(), *call;
	um_wire_request w, w2;
	um_error err;

	(void)state;
	if (provider_build(&s, n, &w, &err) < 0)
		fail_msg("%s", err.msg);
	/* Text then tool_use blocks (input parsed; {} for call_3, whose
	 * arguments are not JSON); consecutive results in one user message. */
	assert_string_equal(
	    w.body,
	    "{\"max_tokens\":4096,\"messages\":[{\"content\":\"Count the words in a.txt.\","
	    "\"role\":\"user\"},{\"content\":[{\"text\":\"Let me look.\",\"type\":\"text\"},"
	    "{\"id\":\"call_1\",\"input\":{\"command\":\"ls\"},\"name\":\"bash\","
	    "\"type\":\"tool_use\"}],\"role\":\"assistant\"},"
	    "{\"content\":[{\"content\":\"exit code: 0\\nstdout:\\na.txt\\nstderr:\\n\","
	    "\"tool_use_id\":\"call_1\",\"type\":\"tool_result\"}],\"role\":\"user\"},"
	    "{\"content\":[{\"id\":\"call_2\",\"input\":{\"command\":\"wc -w a.txt\"},"
	    "\"name\":\"bash\",\"type\":\"tool_use\"},{\"id\":\"call_3\",\"input\":{},"
	    "\"name\":\"bash\",\"type\":\"tool_use\"}],\"role\":\"assistant\"},"
	    "{\"content\":[{\"content\":\"exit code: 0\\nstdout:\\n3 a.txt\\nstderr:\\n\","
	    "\"tool_use_id\":\"call_2\",\"type\":\"tool_result\"},"
	    "{\"content\":\"error: the arguments are not JSON\",\"tool_use_id\":\"call_3\","
	    "\"type\":\"tool_result\"}],\"role\":\"user\"},{\"content\":[{\"id\":\"call_4\","
	    "\"input\":{},\"name\":\"submit\",\"type\":\"tool_use\"}],\"role\":\"assistant\"},"
	    "{\"content\":[{\"content\":\"submitted\",\"tool_use_id\":\"call_4\","
	    "\"type\":\"tool_result\"}],\"role\":\"user\"}],\"model\":\"claude-sonnet-4\","
	    "\"system\":\"You are an agent.\","
	    "\"temperature\":0,\"tools\":[{\"description\":\"Run one bash command.\","
	    "\"input_schema\":{\"properties\":{\"command\":{\"type\":\"string\"}},"
	    "\"required\":[\"command\"],\"type\":\"object\"},\"name\":\"bash\"},"
	    "{\"description\":\"Call when done.\",\"input_schema\":{\"properties\":{},"
	    "\"type\":\"object\"},\"name\":\"submit\"}]}");
	assert_null(w.dropped);
	assert_int_equal(provider_build(&s2, n, &w2, &err), 0);
	assert_string_equal(w.body_hash, w2.body_hash);
	wire_request_release(&w);
	wire_request_release(&w2);

	/* Arguments that are JSON but not an object also map to {}. */
	call = json_array_get(json_object_get(json_array_get(json_object_get(n, "messages"), 2),
					      "tool_calls"),
			      0);
	json_object_set_new(call, "arguments", json_string("[\"ls\"]"));
	assert_int_equal(provider_build(&s, n, &w, &err), 0);
	assert_non_null(strstr(w.body, "{\"id\":\"call_1\",\"input\":{},\"name\":\"bash\""));
	wire_request_release(&w);
	json_decref(n);
}

/* A parsed completion with tool calls and no text becomes a neutral
 * assistant message that both providers send back correctly. */
static void test_agent_round_trip(void **state)
{
	um_system oa = make_system(UM_PROV_OPENAI, "gpt", "gpt-4.1");
	um_system an = make_system(UM_PROV_ANTHROPIC, "claude", "claude-sonnet-4");
	um_completion c;
	um_wire_request w;
	um_error err;
	size_t len;
	char *body = load(FIX("openai_tools.json"), &len);
	json_t *n, *msg, *res;

	(void)state;
	assert_int_equal(provider_parse(UM_PROV_OPENAI, body, len, &c, &err), 0);
	msg = provider_assistant_message(&c);
	assert_string_equal(json_string_value(json_object_get(msg, "content")), "");
	assert_true(json_equal(json_object_get(msg, "tool_calls"), c.tool_calls));
	res = provider_tool_message("call_abc123", "run_shell", "exit code: 0\n");
	{
		char *t = json_canonical(res);

		assert_string_equal(t, "{\"content\":\"exit code: 0\\n\",\"name\":\"run_shell\","
				       "\"role\":\"tool\",\"tool_call_id\":\"call_abc123\"}");
		free(t);
	}
	n = json_pack("{s:[{s:s,s:s},o,o,{s:s,s:s,s:s}],s:{s:i}}", "messages", "role", "user",
		      "content", "go", msg, res, "role", "tool", "tool_call_id", "call_def456",
		      "content", "no such file", "params", "max_tokens", 64);
	completion_release(&c);
	free(body);

	assert_int_equal(provider_build(&oa, n, &w, &err), 0);
	assert_string_equal(
	    w.body,
	    "{\"max_tokens\":64,\"messages\":[{\"content\":\"go\",\"role\":\"user\"},"
	    "{\"content\":null,\"role\":\"assistant\",\"tool_calls\":["
	    "{\"function\":{\"arguments\":\"{\\n\\\"command\\\": \\\"ls -la /app\\\"\\n}\","
	    "\"name\":\"run_shell\"},\"id\":\"call_abc123\",\"type\":\"function\"},"
	    "{\"function\":{\"arguments\":\"{\\\"path\\\":\\\"README.md\\\"}\","
	    "\"name\":\"read_file\"},\"id\":\"call_def456\",\"type\":\"function\"}]},"
	    "{\"content\":\"exit code: 0\\n\",\"role\":\"tool\",\"tool_call_id\":\"call_abc123\"},"
	    "{\"content\":\"no such file\",\"role\":\"tool\",\"tool_call_id\":\"call_def456\"}],"
	    "\"model\":\"gpt-4.1\"}");
	wire_request_release(&w);
	assert_int_equal(provider_build(&an, n, &w, &err), 0);
	assert_string_equal(
	    w.body,
	    "{\"max_tokens\":64,\"messages\":[{\"content\":\"go\",\"role\":\"user\"},"
	    "{\"content\":[{\"id\":\"call_abc123\",\"input\":{\"command\":\"ls -la /app\"},"
	    "\"name\":\"run_shell\",\"type\":\"tool_use\"},{\"id\":\"call_def456\","
	    "\"input\":{\"path\":\"README.md\"},\"name\":\"read_file\",\"type\":\"tool_use\"}],"
	    "\"role\":\"assistant\"},{\"content\":[{\"content\":\"exit code: 0\\n\","
	    "\"tool_use_id\":\"call_abc123\",\"type\":\"tool_result\"},"
	    "{\"content\":\"no such file\",\"tool_use_id\":\"call_def456\","
	    "\"type\":\"tool_result\"}],\"role\":\"user\"}],\"model\":\"claude-sonnet-4\"}");
	wire_request_release(&w);
	json_decref(n);

	/* Anthropic's own answer (text + tool_use) goes back to OpenAI with its
	 * text and the input as canonical JSON text. */
	body = load(FIX("anthropic_tools.json"), &len);
	assert_int_equal(provider_parse(UM_PROV_ANTHROPIC, body, len, &c, &err), 0);
	n = json_pack("{s:[{s:s,s:s},o]}", "messages", "role", "user", "content", "go",
		      provider_assistant_message(&c));
	assert_int_equal(provider_build(&oa, n, &w, &err), 0);
	assert_non_null(strstr(w.body, "{\"content\":\"I'll list the directory first.\","
				       "\"role\":\"assistant\",\"tool_calls\":[{\"function\":"
				       "{\"arguments\":\"{\\\"command\\\":\\\"ls -la /app\\\","
				       "\\\"timeout\\\":30}\",\"name\":\"run_shell\"}"));
	wire_request_release(&w);
	json_decref(n);
	completion_release(&c);
	free(body);

	/* No tool calls: a plain assistant message, without tool_calls. */
	memset(&c, 0, sizeof(c));
	msg = provider_assistant_message(&c);
	{
		char *t = json_canonical(msg);

		assert_string_equal(t, "{\"content\":\"\",\"role\":\"assistant\"}");
		free(t);
	}
	json_decref(msg);
}

/* Malformed agent requests: each is UM_ERR_INVALID, with the reason. */
static void test_build_agent_errors(void **state)
{
	static const struct {
		const char *json, *reason;
	} bad[] = {
	    {"{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}",
	     "messages[0] is a \"tool\" result without a tool_call_id (tool_call_id is missing)"},
	    {"{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"\",\"content\":\"x\"}]}",
	     "tool_call_id is empty"},
	    {"{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":7,\"content\":\"x\"}]}",
	     "tool_call_id is a number"},
	    {"{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":[1]}]}",
	     "messages[0] is a tool result whose content is an array, not text"},
	    {"{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"c\"}]}",
	     "content is missing, not text"},
	    {"{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":\"x\","
	     "\"name\":1}]}",
	     "messages[0].name is a number"},
	    {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\","
	     "\"content\":\"\",\"tool_calls\":\"bash\"}]}",
	     "messages[1].tool_calls is a string, not an array"},
	    {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\","
	     "\"content\":\"\",\"tool_calls\":{\"id\":\"c\"}}]}",
	     "messages[1].tool_calls is an object, not an array"},
	    {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\","
	     "\"tool_calls\":[3]}]}",
	     "messages[1].tool_calls[0] is a number, not an object"},
	    {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\","
	     "\"tool_calls\":[{\"id\":\"c\",\"name\":\"bash\"}]}]}",
	     "messages[1].tool_calls[0].arguments is missing, not a string"},
	    {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\","
	     "\"tool_calls\":[{\"id\":\"c\",\"name\":\"bash\",\"arguments\":{}}]}]}",
	     "messages[1].tool_calls[0].arguments is an object, not a string"},
	    {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\","
	     "\"tool_calls\":[{\"id\":\"\",\"name\":\"bash\",\"arguments\":\"{}\"}]}]}",
	     "messages[1].tool_calls[0].id is empty"},
	    {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\","
	     "\"content\":5,\"tool_calls\":[{\"id\":\"c\",\"name\":\"b\",\"arguments\":\"{}\"}]}]}",
	     "content that is a number"},
	    {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"tool_calls\":[]}]}",
	     "messages[0] is a user message with tool_calls"},
	    {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\","
	     "\"tool_calls\":[]}]}",
	     "messages[1] has no content"},
	    {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":{}}",
	     "tools is an object, not a list"},
	    {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[\"bash\"]}",
	     "tools[0] is a string, not an object"},
	    {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"name\":\"\","
	     "\"parameters\":{}}]}",
	     "tools[0].name is empty"},
	    {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"parameters\":{}}]"
	     "}",
	     "tools[0].name is missing, not a string"},
	    {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"name\":\"b\","
	     "\"description\":1,\"parameters\":{}}]}",
	     "tools[0].description is a number"},
	    {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"name\":\"b\"}]}",
	     "tools[0].parameters is missing, not a JSON schema object"},
	    {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"name\":\"b\","
	     "\"parameters\":{}},{\"name\":\"b\",\"parameters\":{}}]}",
	     "tools[1] repeats the name \"b\""},
	    {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"params\":{\"max_tokens\":5,"
	     "\"tools\":[]}}",
	     "params may not set \"tools\""},
	};
	um_provider provs[] = {UM_PROV_OPENAI, UM_PROV_ANTHROPIC};
	um_wire_request w;
	size_t i, k;

	(void)state;
	for (i = 0; i < UM_ARRAY_LEN(bad); i++) {
		json_t *n = json_loads(bad[i].json, 0, NULL);

		if (!n)
			fail_msg("case %zu is not JSON", i);
		if (!json_object_get(n, "params"))
			json_object_set_new(n, "params", json_pack("{s:i}", "max_tokens", 5));
		for (k = 0; k < UM_ARRAY_LEN(provs); k++) {
			um_system s = make_system(provs[k], "sys", "m");
			um_error err;

			um_error_clear(&err);
			if (provider_build(&s, n, &w, &err) != -1)
				fail_msg("case %zu (%s) was accepted", i, bad[i].json);
			assert_int_equal(err.code, UM_ERR_INVALID);
			if (!strstr(err.msg, bad[i].reason) || !strstr(err.msg, "\"sys\""))
				fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].reason);
			assert_null(w.body);
		}
		json_decref(n);
	}
	/* Empty or null tools: a request without tools (no "tools": []). */
	{
		um_system s = make_system(UM_PROV_OPENAI, "sys", "m");
		um_error err;
		json_t *n = json_loads("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
				       "\"tools\":[]}",
				       0, NULL);

		assert_int_equal(provider_build(&s, n, &w, &err), 0);
		assert_string_equal(w.body, "{\"messages\":[{\"content\":\"x\",\"role\":\"user\"}],"
					    "\"model\":\"m\"}");
		wire_request_release(&w);
		json_object_set_new(n, "tools", json_null());
		assert_int_equal(provider_build(&s, n, &w, &err), 0);
		assert_null(strstr(w.body, "tools"));
		wire_request_release(&w);
		json_decref(n);
	}
}

/* ---- parsing ------------------------------------------------------------ */

static void test_parse_openai(void **state)
{
	um_completion c;
	um_error err;
	size_t len;
	char *body = load(FIX("openai_basic.json"), &len);

	(void)state;
	assert_int_equal(provider_parse(UM_PROV_OPENAI, body, len, &c, &err), 0);
	assert_string_equal(c.content, "The photon energy is E = hc/λ, so the shorter wavelength "
				       "wins.\n\nAnswer: C");
	assert_int_equal(c.tokens_in, 1234);
	assert_int_equal(c.tokens_cached, 1024);
	assert_int_equal(c.tokens_out, 56);
	assert_string_equal(c.served_model, "gpt-4.1-2025-04-14");
	assert_string_equal(c.fingerprint, "fp_b3f1157249");
	assert_string_equal(c.finish_reason, "stop");
	assert_string_equal(c.response_id, "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT");
	assert_null(c.tool_calls);
	assert_null(c.routing);
	completion_release(&c);
	assert_null(c.content);
	free(body);

	body = load(FIX("openai_tools.json"), &len);
	assert_int_equal(provider_parse(UM_PROV_OPENAI, body, len, &c, &err), 0);
	assert_string_equal(c.content, "");
	assert_null(c.fingerprint);
	assert_int_equal(c.tokens_cached, 0);
	assert_int_equal(c.tokens_in, 82);
	assert_string_equal(c.finish_reason, "tool_calls");
	assert_non_null(c.tool_calls);
	assert_int_equal(json_array_size(c.tool_calls), 2);
	{
		char *s = json_canonical(c.tool_calls);
		assert_string_equal(s,
				    "[{\"arguments\":\"{\\n\\\"command\\\": \\\"ls -la "
				    "/app\\\"\\n}\",\"id\":\"call_abc123\",\"name\":\"run_shell\"},"
				    "{\"arguments\":\"{\\\"path\\\":\\\"README.md\\\"}\","
				    "\"id\":\"call_def456\",\"name\":\"read_file\"}]");
		free(s);
	}
	completion_release(&c);
	free(body);

	body = load(FIX("openai_routing.json"), &len);
	assert_int_equal(provider_parse(UM_PROV_OPENAI, body, len, &c, &err), 0);
	assert_string_equal(c.content, "Answer: B");
	assert_true(json_is_array(c.routing));
	assert_int_equal(json_array_size(c.routing), 2);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(c.routing, 1), "member")),
	    "sim-borealis");
	completion_release(&c);
	free(body);
}

static void test_parse_anthropic(void **state)
{
	um_completion c;
	um_error err;
	size_t len;
	char *body = load(FIX("anthropic_basic.json"), &len);

	(void)state;
	assert_int_equal(provider_parse(UM_PROV_ANTHROPIC, body, len, &c, &err), 0);
	assert_string_equal(c.content, "Carbon-12 is stable, carbon-14 is not.\n\nAnswer: A");
	assert_int_equal(c.tokens_in, 2095 + 1800 + 100);
	assert_int_equal(c.tokens_cached, 1800);
	assert_int_equal(c.tokens_out, 503);
	assert_string_equal(c.served_model, "claude-sonnet-4-20250514");
	assert_null(c.fingerprint);
	assert_string_equal(c.finish_reason, "end_turn");
	assert_string_equal(c.response_id, "msg_01XFDUDYJgAACzvnptvVoYEL");
	assert_null(c.tool_calls);
	completion_release(&c);
	free(body);

	body = load(FIX("anthropic_tools.json"), &len);
	assert_int_equal(provider_parse(UM_PROV_ANTHROPIC, body, len, &c, &err), 0);
	assert_string_equal(c.content, "I'll list the directory first.");
	assert_int_equal(c.tokens_in, 472);
	assert_int_equal(c.tokens_cached, 0);
	assert_string_equal(c.finish_reason, "tool_use");
	{
		char *s = json_canonical(c.tool_calls);
		assert_string_equal(
		    s, "[{\"arguments\":\"{\\\"command\\\":\\\"ls -la /app\\\","
		       "\\\"timeout\\\":30}\",\"id\":\"toolu_01A09q90qw90lq917835lq9\","
		       "\"name\":\"run_shell\"}]");
		free(s);
	}
	completion_release(&c);
	free(body);
}

struct bad_body {
	um_provider p;
	const char *body;
	const char *reason; /* substring of the error */
};

static const struct bad_body bad_bodies[] = {
    {UM_PROV_OPENAI, "", "empty"},
    {UM_PROV_OPENAI, "{\"choices\":[{\"message\":{\"content\":\"x\"", "not JSON"},
    {UM_PROV_OPENAI, "not json at all", "not JSON"},
    {UM_PROV_OPENAI, "[1,2,3]", "is an array, not an object"},
    {UM_PROV_OPENAI, "\"text\"", "is a string, not an object"},
    {UM_PROV_OPENAI, "null", "null"},
    {UM_PROV_OPENAI, "{}", "choices is missing"},
    {UM_PROV_OPENAI, "{\"choices\":{}}", "choices is an object"},
    {UM_PROV_OPENAI, "{\"choices\":[]}", "choices is empty"},
    {UM_PROV_OPENAI, "{\"choices\":[7]}", "choices[0] is a number"},
    {UM_PROV_OPENAI, "{\"choices\":[{}]}", "choices[0].message is missing"},
    {UM_PROV_OPENAI, "{\"choices\":[{\"message\":{\"content\":42}}]}",
     "choices[0].message.content is a number"},
    {UM_PROV_OPENAI, "{\"choices\":[{\"message\":{\"content\":null}}]}",
     "content is null and there are no tool_calls"},
    {UM_PROV_OPENAI, "{\"choices\":[{\"message\":{\"content\":\"x\",\"tool_calls\":{}}}]}",
     "tool_calls is an object"},
    {UM_PROV_OPENAI,
     "{\"choices\":[{\"message\":{\"content\":null,\"tool_calls\":[{\"id\":\"a\","
     "\"function\":{\"name\":\"f\",\"arguments\":{}}}]}}]}",
     "tool_calls[0].function.arguments is an object"},
    {UM_PROV_OPENAI,
     "{\"choices\":[{\"message\":{\"content\":null,\"tool_calls\":[{\"function\":"
     "{\"name\":\"f\",\"arguments\":\"{}\"}}]}}]}",
     "tool_calls[0].id is missing"},
    {UM_PROV_OPENAI, "{\"choices\":[{\"message\":{\"content\":\"x\"}}]}", "usage is missing"},
    {UM_PROV_OPENAI,
     "{\"choices\":[{\"message\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":-3,"
     "\"completion_tokens\":1}}",
     "usage.prompt_tokens is negative"},
    {UM_PROV_OPENAI,
     "{\"choices\":[{\"message\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":\"3\","
     "\"completion_tokens\":1}}",
     "usage.prompt_tokens is a string"},
    {UM_PROV_OPENAI,
     "{\"choices\":[{\"message\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":3.5,"
     "\"completion_tokens\":1}}",
     "usage.prompt_tokens is a fractional number"},
    {UM_PROV_OPENAI,
     "{\"choices\":[{\"message\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":3}}",
     "usage.completion_tokens is missing"},
    {UM_PROV_OPENAI,
     "{\"choices\":[{\"message\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":3,"
     "\"completion_tokens\":1,\"prompt_tokens_details\":{\"cached_tokens\":9}}}",
     "exceeds usage.prompt_tokens"},
    {UM_PROV_OPENAI,
     "{\"choices\":[{\"message\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":3,"
     "\"completion_tokens\":1},\"model\":5}",
     "model is a number"},
    {UM_PROV_OPENAI,
     "{\"choices\":[{\"message\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":3,"
     "\"completion_tokens\":1},\"routing\":\"sim-atlas\"}",
     "routing is a string"},
    {UM_PROV_OPENAI, "{\"a\":1,\"a\":2}", "not JSON"},
    {UM_PROV_OPENAI, "{\"choices\":[]} trailing", "not JSON"},
    {UM_PROV_OPENAI, "{\"error\":{\"message\":\"Rate limit\"}}", "choices is missing"},
    {UM_PROV_ANTHROPIC, "", "empty"},
    {UM_PROV_ANTHROPIC, "{\"content\":[{\"type\":\"text\",\"text\":\"x\"}", "not JSON"},
    {UM_PROV_ANTHROPIC, "[]", "is an array"},
    {UM_PROV_ANTHROPIC, "{}", "content is missing"},
    {UM_PROV_ANTHROPIC, "{\"type\":\"error\",\"error\":{\"message\":\"overloaded\"}}",
     "type is \"error\""},
    {UM_PROV_ANTHROPIC, "{\"type\":3,\"content\":[]}", "type is a number"},
    {UM_PROV_ANTHROPIC, "{\"content\":\"hello\"}", "content is a string"},
    {UM_PROV_ANTHROPIC, "{\"content\":[\"hello\"]}", "content[0] is a string"},
    {UM_PROV_ANTHROPIC, "{\"content\":[{\"text\":\"x\"}]}", "content[0].type is missing"},
    {UM_PROV_ANTHROPIC, "{\"content\":[{\"type\":\"text\",\"text\":[1]}]}",
     "content[0].text is an array"},
    {UM_PROV_ANTHROPIC,
     "{\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\","
     "\"input\":\"ls\"}]}",
     "content[0].input is a string"},
    {UM_PROV_ANTHROPIC, "{\"content\":[{\"type\":\"tool_use\",\"name\":\"f\",\"input\":{}}]}",
     "content[0].id is missing"},
    {UM_PROV_ANTHROPIC, "{\"content\":[]}", "usage is missing"},
    {UM_PROV_ANTHROPIC, "{\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":-1}}",
     "usage.output_tokens is negative"},
    {UM_PROV_ANTHROPIC,
     "{\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":1,"
     "\"cache_read_input_tokens\":true}}",
     "usage.cache_read_input_tokens is a boolean"},
    {UM_PROV_ANTHROPIC,
     "{\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":1,"
     "\"cache_creation_input_tokens\":-7}}",
     "cache_creation_input_tokens is negative"},
    {UM_PROV_ANTHROPIC,
     "{\"content\":[],\"usage\":{\"input_tokens\":99999999999999999999,\"output_tokens\":1}}",
     "not JSON"},
    {UM_PROV_ANTHROPIC,
     "{\"content\":[],\"usage\":{\"input_tokens\":9000000000000000000,\"output_tokens\":1}}",
     "implausibly large"},
    {UM_PROV_ANTHROPIC,
     "{\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":1},\"stop_reason\":{}}",
     "stop_reason is an object"},
    {UM_PROV_ANTHROPIC,
     "{\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":1},\"routing\":3}",
     "routing is a number"},
};

static void test_parse_malformed(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < UM_ARRAY_LEN(bad_bodies); i++) {
		const struct bad_body *b = &bad_bodies[i];
		um_completion c;
		um_error err;

		um_error_clear(&err);
		if (provider_parse(b->p, b->body, strlen(b->body), &c, &err) != -1)
			fail_msg("case %zu (%s) parsed", i, b->body);
		assert_int_equal(err.code, UM_ERR_PROTOCOL);
		if (!strstr(err.msg, b->reason))
			fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err.msg, b->reason);
		/* A failed parse leaves nothing to release. */
		assert_null(c.content);
		assert_null(c.tool_calls);
		assert_null(c.served_model);
	}
	{
		um_completion c;
		um_error err;

		assert_int_equal(provider_parse(UM_PROV_OPENAI, NULL, 0, &c, &err), -1);
		assert_int_equal(err.code, UM_ERR_PROTOCOL);
	}
}

/* Every strict prefix of a valid body, binary garbage, and random byte
 * flips: never a crash, and prefixes are always protocol errors. */
static um_provider family_of(const char *file)
{
	if (um_has_prefix(file, "anthropic"))
		return UM_PROV_ANTHROPIC;
	if (um_has_prefix(file, "gemini"))
		return UM_PROV_GEMINI;
	if (um_has_prefix(file, "bedrock"))
		return UM_PROV_BEDROCK;
	return UM_PROV_OPENAI;
}

static void parse_fixture(um_provider p, const char *file, um_completion *c)
{
	char path[512], *body;
	size_t len;
	um_error err = {0};

	snprintf(path, sizeof(path), "%s/provider/%s", FIXTURES, file);
	body = load(path, &len);
	if (provider_parse(p, body, len, c, &err) < 0)
		fail_msg("%s: %s", file, err.msg);
	free(body);
}

/* Gemini and Bedrock bodies, reasoning and cache counts, thinking blocks. */
static void test_parse_families(void **state)
{
	um_completion c;

	(void)state;
	parse_fixture(UM_PROV_GEMINI, "gemini_basic.json", &c);
	assert_string_equal(c.content, "Let me think about it.\nAnswer: A");
	assert_int_equal(c.tokens_in, 120);
	assert_int_equal(c.tokens_cached, 20);
	assert_int_equal(c.tokens_out, 80); /* candidates 16 + thoughts 64 */
	assert_int_equal(c.tokens_reasoning, 64);
	assert_string_equal(json_string_value(json_object_get(json_array_get(c.thinking, 0), "text")),
			    "The first choice fits.");
	assert_string_equal(c.finish_reason, "STOP");
	completion_release(&c);
	parse_fixture(UM_PROV_GEMINI, "gemini_tools.json", &c);
	assert_string_equal(c.content, "");
	assert_string_equal(json_string_value(json_object_get(json_array_get(c.tool_calls, 0), "id")),
			    "call_0");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(c.tool_calls, 0), "arguments")),
	    "{\"command\":\"ls\"}");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(c.tool_calls, 0), "signature")),
	    "c2lnLWZha2U=");
	completion_release(&c);
	parse_fixture(UM_PROV_BEDROCK, "bedrock_tools.json", &c);
	assert_int_equal(c.tokens_in, 150); /* 100 + 20 read + 30 written */
	assert_int_equal(c.tokens_cached, 20);
	assert_int_equal(c.tokens_cache_write, 30);
	assert_string_equal(c.finish_reason, "tool_use");
	assert_string_equal(json_string_value(json_object_get(json_array_get(c.tool_calls, 0), "id")),
			    "tooluse_bash");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(c.thinking, 0), "signature")),
	    "sig-fake-2");
	completion_release(&c);
	parse_fixture(UM_PROV_OPENAI, "openai_reasoning.json", &c);
	assert_int_equal(c.tokens_reasoning, 64);
	completion_release(&c);
	parse_fixture(UM_PROV_ANTHROPIC, "anthropic_thinking.json", &c);
	assert_int_equal(c.tokens_cache_write, 30);
	assert_int_equal(c.tokens_in, 150);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(c.thinking, 0), "signature")),
	    "sig-fake-1");
	completion_release(&c);
}

/* A stream folds back into the completion the whole response gives. */
static void test_parse_streams(void **state)
{
	static const struct {
		um_provider p;
		const char *sse, *json;
	} pairs[] = {
	    {UM_PROV_OPENAI, "openai_stream.sse", "openai_reasoning.json"},
	    {UM_PROV_ANTHROPIC, "anthropic_stream.sse", "anthropic_thinking.json"},
	    {UM_PROV_GEMINI, "gemini_stream.sse", "gemini_basic.json"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < UM_ARRAY_LEN(pairs); i++) {
		um_completion a, b;
		json_t *ma, *mb;

		parse_fixture(pairs[i].p, pairs[i].sse, &a);
		parse_fixture(pairs[i].p, pairs[i].json, &b);
		ma = provider_assistant_message(&a);
		mb = provider_assistant_message(&b);
		if (!json_equal(ma, mb))
			fail_msg("%s: %s != %s", pairs[i].sse, json_dumps(ma, JSON_SORT_KEYS),
				 json_dumps(mb, JSON_SORT_KEYS));
		assert_int_equal(a.tokens_in, b.tokens_in);
		assert_int_equal(a.tokens_out, b.tokens_out);
		assert_int_equal(a.tokens_cached, b.tokens_cached);
		assert_int_equal(a.tokens_cache_write, b.tokens_cache_write);
		assert_int_equal(a.tokens_reasoning, b.tokens_reasoning);
		assert_true(um_streq(a.finish_reason, b.finish_reason));
		json_decref(ma);
		json_decref(mb);
		completion_release(&a);
		completion_release(&b);
	}
	{
		/* the engine's first-token scan finds the first content delta */
		um_system sys = make_system(UM_PROV_OPENAI, "s", "gpt-5-mini");
		um_wire_request w = {0};
		um_submit_opts o;
		char path[512], *body;
		size_t len, used = 0, scanned = 0, total = 0;
		int found = 0;

		w.stream = 1;
		provider_submit_opts(&sys, &w, &o);
		assert_non_null(o.token_scan);
		snprintf(path, sizeof(path), "%s/provider/openai_stream.sse", FIXTURES);
		body = load(path, &len);
		/* as the engine does: bytes arrive 7 at a time */
		while (!found && total < len) {
			total += len - total < 7 ? len - total : 7;
			found = o.token_scan(body + scanned, total - scanned, &used);
			scanned += used;
		}
		assert_true(found);
		assert_true(total < len); /* found before the end of the stream */
		free(body);
	}
}

static void test_parse_garbage(void **state)
{
	static const char *const files[] = {
	    "openai_basic.json",	 "openai_tools.json",	 "anthropic_basic.json",
	    "anthropic_tools.json",	 "openai_routing.json",	 "gemini_basic.json",
	    "gemini_tools.json",	 "bedrock_basic.json",	 "bedrock_tools.json",
	    "openai_reasoning.json", "anthropic_thinking.json", "openai_stream.sse",
	    "openai_stream_tools.sse", "anthropic_stream.sse", "gemini_stream.sse"};
	um_rng rng;
	size_t f, n, len;
	int k;

	(void)state;
	um_rng_seed(&rng, 42);
	for (f = 0; f < UM_ARRAY_LEN(files); f++) {
		um_provider p = family_of(files[f]);
		char path[512], *body;

		snprintf(path, sizeof(path), "%s/provider/%s", FIXTURES, files[f]);
		body = load(path, &len);
		for (n = 0; n < len; n++) {
			um_completion c;
			um_error err;
			char *cut = um_xstrndup(body, n);

			/* A prefix short of only white space still holds the whole body. */
			if (n > 0 && strspn(body + n, " \r\n") == len - n) {
				free(cut);
				continue;
			}
			assert_int_equal(provider_parse(p, cut, n, &c, &err), -1);
			assert_int_equal(err.code, UM_ERR_PROTOCOL);
			free(cut);
		}
		for (k = 0; k < 300; k++) {
			char *mut = um_xstrndup(body, len);
			um_completion c;
			um_error err;
			int j;

			for (j = 0; j < 3; j++)
				mut[um_rng_below(&rng, len)] = (char)um_rng_below(&rng, 256);
			if (provider_parse(p, mut, len, &c, &err) == 0)
				completion_release(&c);
			else
				assert_int_equal(err.code, UM_ERR_PROTOCOL);
			free(mut);
		}
		free(body);
	}
	{
		um_completion c;
		um_error err;
		char *bin = load(FIX("garbage.bin"), &len);

		assert_int_equal(provider_parse(UM_PROV_OPENAI, bin, len, &c, &err), -1);
		assert_int_equal(err.code, UM_ERR_PROTOCOL);
		assert_int_equal(provider_parse(UM_PROV_ANTHROPIC, bin, len, &c, &err), -1);
		assert_null(provider_error_message(bin, len));
		free(bin);
	}
}

static void test_error_message(void **state)
{
	static const char oa[] = "{\"error\":{\"message\":\"Rate limit reached for gpt-4.1\","
				 "\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}";
	static const char an[] = "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
				 "\"message\":\"Overloaded\"}}";
	char *m;

	(void)state;
	m = provider_error_message(oa, strlen(oa));
	assert_string_equal(m, "Rate limit reached for gpt-4.1");
	free(m);
	m = provider_error_message(an, strlen(an));
	assert_string_equal(m, "Overloaded");
	free(m);
	m = provider_error_message("{\"error\":\"bad\\nkey\"}", 20);
	assert_string_equal(m, "bad key");
	free(m);
	assert_null(provider_error_message("", 0));
	assert_null(provider_error_message(NULL, 5));
	assert_null(provider_error_message("<html>502 Bad Gateway</html>", 28));
	m = "{\"error\":{\"message\":5}}";
	assert_null(provider_error_message(m, strlen(m)));
	m = "{\"error\":{}}";
	assert_null(provider_error_message(m, strlen(m)));
	assert_null(provider_error_message("[]", 2));
	{
		/* Long messages are cut, on a UTF-8 boundary. */
		size_t i, n = 3000;
		char *big = um_xmalloc(n * 2 + 64), *p = big;

		p += sprintf(p, "{\"error\":{\"message\":\"");
		for (i = 0; i < n / 2; i++)
			p += sprintf(p, "é");
		sprintf(p, "\"}}");
		m = provider_error_message(big, strlen(big));
		assert_non_null(m);
		assert_true(strlen(m) <= 1024);
		assert_true(strlen(m) % 2 == 0);
		free(m);
		free(big);
	}
}


/* A NUL in an answer (\u0000, valid JSON) is kept as U+FFFD, so the answer
 * is stored and graded; an escaped backslash before "u0000" is left alone. */
static void test_parse_nul_in_content(void **state)
{
	const char *body = "{\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":"
			   "{\"role\":\"assistant\",\"content\":\"Answer: B\\u0000 \\\\u0000\"}}],"
			   "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}";
	um_completion c;
	um_error err = {0};

	(void)state;
	if (provider_parse(UM_PROV_OPENAI, body, strlen(body), &c, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(c.content, "Answer: B\xef\xbf\xbd \\u0000");
	completion_release(&c);
}

/* The same in a streamed answer, of each SSE family. */
static void test_parse_nul_in_stream(void **state)
{
	static const struct {
		um_provider p;
		const char *body;
	} s[] = {
	    {UM_PROV_OPENAI, "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
			     "\"content\":\"Answer: B\\u0000\"},\"finish_reason\":\"stop\"}],"
			     "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}\n\n"
			     "data: [DONE]\n\n"},
	    {UM_PROV_ANTHROPIC,
	     "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\","
	     "\"role\":\"assistant\",\"model\":\"c\",\"content\":[],\"usage\":{\"input_tokens\":1,"
	     "\"output_tokens\":1}}}\n\n"
	     "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
	     "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
	     "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
	     "\"delta\":{\"type\":\"text_delta\",\"text\":\"Answer: B\\u0000\"}}\n\n"
	     "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
	     "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
	     "\"end_turn\"},\"usage\":{\"output_tokens\":2}}\n\n"
	     "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"},
	    {UM_PROV_GEMINI, "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":"
			     "[{\"text\":\"Answer: B\\u0000\"}]},\"finishReason\":\"STOP\","
			     "\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":1,"
			     "\"candidatesTokenCount\":1}}\n\n"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < UM_ARRAY_LEN(s); i++) {
		um_completion c;
		um_error err = {0};

		if (provider_parse(s[i].p, s[i].body, strlen(s[i].body), &c, &err) < 0)
			fail_msg("stream %zu: %s", i, err.msg);
		assert_string_equal(c.content, "Answer: B\xef\xbf\xbd");
		completion_release(&c);
	}
}

/* ---- image parts ------------------------------------------------------- */

/* One user message of a text part and a PNG, in each family's native form. */
static json_t *neutral_image(const char *media_type, const char *data)
{
	json_t *n = json_pack("{s:[{s:s,s:[{s:s,s:s},{s:s,s:s,s:s}]}],s:{s:i}}", "messages",
			      "role", "user", "content", "type", "text", "text", "What is plotted?",
			      "type", "image", "media_type", media_type, "data", data, "params",
			      "max_tokens", 16);

	assert_non_null(n);
	return n;
}

static void image_body(um_provider p, const char *want)
{
	um_system s = make_system(p, "vis", "m-1");
	json_t *n = neutral_image("image/png", "iVBORw0KGgo=");
	um_wire_request w;
	um_error err = {0};

	s.region = "us-east-1";
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
	if (provider_build(&s, n, &w, &err) < 0)
		fail_msg("%s", err.msg);
	if (!strstr(w.body, want))
		fail_msg("'%s' not in %s", want, w.body);
	wire_request_release(&w);
	json_decref(n);
}

static void test_image_parts(void **state)
{
	(void)state;
	image_body(UM_PROV_OPENAI,
		   "\"content\":[{\"text\":\"What is plotted?\",\"type\":\"text\"},{\"image_url\":"
		   "{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"},\"type\":\"image_url\"}]");
	image_body(UM_PROV_AZURE,
		   "\"content\":[{\"text\":\"What is plotted?\",\"type\":\"text\"},{\"image_url\":"
		   "{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"},\"type\":\"image_url\"}]");
	image_body(UM_PROV_ANTHROPIC,
		   "\"content\":[{\"text\":\"What is plotted?\",\"type\":\"text\"},{\"source\":"
		   "{\"data\":\"iVBORw0KGgo=\",\"media_type\":\"image/png\",\"type\":\"base64\"},"
		   "\"type\":\"image\"}]");
	image_body(UM_PROV_GEMINI,
		   "\"parts\":[{\"text\":\"What is plotted?\"},{\"inlineData\":{\"data\":"
		   "\"iVBORw0KGgo=\",\"mimeType\":\"image/png\"}}]");
	image_body(UM_PROV_BEDROCK,
		   "\"content\":[{\"text\":\"What is plotted?\"},{\"image\":{\"format\":\"png\","
		   "\"source\":{\"bytes\":\"iVBORw0KGgo=\"}}}]");
}

static void image_refused(json_t *n, const char *want)
{
	um_system s = make_system(UM_PROV_OPENAI, "vis", "m-1");
	um_wire_request w;
	um_error err = {0};

	assert_int_equal(provider_build(&s, n, &w, &err), -1);
	assert_int_equal(err.code, UM_ERR_INVALID);
	if (!strstr(err.msg, want))
		fail_msg("'%s' not in '%s'", want, err.msg);
	json_decref(n);
}

static void test_image_parts_garbage(void **state)
{
	json_t *n;

	(void)state;
	image_refused(neutral_image("image/bmp", "Qk0="), "content[1].media_type is not image/png");
	image_refused(neutral_image("image/png", ""), "content[1].data is not base64 text");
	image_refused(neutral_image("image/png", "iVBORw0K Go="), "content[1].data is not base64 text");
	image_refused(neutral_image("image/png", "iVBORw0"), "content[1].data is not base64 text");
	n = neutral_image("image/png", "iVBORw0KGgo=");
	json_object_set_new(json_array_get(json_object_get(json_array_get(json_object_get(n,
			    "messages"), 0), "content"), 0), "type", json_string("audio"));
	image_refused(n, "content[0] is neither a text nor an image part");
	n = neutral_image("image/png", "iVBORw0KGgo=");
	json_object_set_new(json_array_get(json_object_get(n, "messages"), 0), "role",
			    json_string("assistant"));
	image_refused(n, "only user messages carry images");
	n = json_pack("{s:[{s:s,s:[]}]}", "messages", "role", "user", "content");
	image_refused(n, "content is an empty array");
	n = json_pack("{s:[{s:s,s:[{s:s,s:i}]}]}", "messages", "role", "user", "content", "type",
		      "text", "text", 3);
	image_refused(n, "content[0].text is a number, not a string");
}


/* ---- the fast path of an OpenAI answer -------------------------------------
 * provider_openai_parse_fast and provider_anthropic_parse_fast must give the
 * completion the full parse gives, or give up: bodies built from pieces (escapes, surrogates, non-ASCII,
 * duplicates, wrong types, reals, huge integers, tool calls, reasoning,
 * routing) and then cut or with a byte changed. */

static const char *const fast_content[] = {
	"\"Answer: C\"", "\"tab\\there \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\"", "\"\\u00e9\\u20ac\"",
	"\"\\ud83d\\ude00 ok\"", "\"\\ud83d alone\"", "\"\\ude00 low\"", "\"\\u0000 nul\"",
	"\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", "\"\xc0\xaf overlong\"",
	"\"\xed\xa0\x80 surrogate\"", "\"\xf4\x90\x80\x80 past\"", "\"\\x bad\"", "\"\"", "null",
	"3", "[\"a\"]", "\"ctrl\x01\"", "\"\\u12\"", "\"\\uD83D\\u0041\""};
static const char *const fast_member[] = {
	"\"id\":\"chatcmpl-1\"", "\"id\":7", "\"model\":\"m-1\"", "\"model\":null",
	"\"system_fingerprint\":\"fp_1\"", "\"created\":1700000000", "\"created\":1.5",
	"\"created\":99999999999999999999", "\"created\":-9223372036854775808",
	"\"created\":-0", "\"created\":012", "\"object\":\"chat.completion\"",
	"\"routing\":null", "\"routing\":{\"calls\":[]}", "\"x\":[true,false,null,{},[]]",
	"\"x\":{\"y\":{\"z\":[1,[2,[3]]]}}", "\"model\":\"dup\"", "\"\\u006dodel\":\"esc\"",
	"\"x\":1e5", "\"x\" : [ 1 , 2 ]"};
static const char *const fast_usage[] = {
	"\"usage\":{\"prompt_tokens\":93,\"completion_tokens\":249}",
	"\"usage\":{\"prompt_tokens\":93,\"completion_tokens\":249,\"prompt_tokens_details\":"
	"{\"cached_tokens\":10},\"completion_tokens_details\":{\"reasoning_tokens\":5}}",
	"\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"prompt_tokens_details\":"
	"{\"cached_tokens\":10}}",
	"\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"completion_tokens_details\":"
	"{\"reasoning_tokens\":3}}",
	"\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"prompt_tokens_details\":null}",
	"\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"prompt_tokens_details\":[]}",
	"\"usage\":{\"prompt_tokens\":-1,\"completion_tokens\":2}",
	"\"usage\":{\"prompt_tokens\":2.0,\"completion_tokens\":2}",
	"\"usage\":{\"prompt_tokens\":9007199254740993,\"completion_tokens\":2}",
	"\"usage\":{\"completion_tokens\":2}", "\"usage\":null", "\"usage\":[]"};
static const char *const fast_extra[] = {
	"", ",\"tool_calls\":null", ",\"tool_calls\":[]",
	",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\","
	"\"arguments\":\"{}\"}}]",
	",\"reasoning_content\":\"think\"", ",\"reasoning_content\":\"\"",
	",\"reasoning\":\"think\"", ",\"refusal\":\"no\"", ",\"role\":\"assistant\"",
	",\"content\":\"twice\""};

/* The first piece (an ordinary one) half the time, else any. */
static const char *fast_pick(um_rng *r, const char *const *a, size_t n)
{
	return a[um_rng_below(r, 2) ? 0 : um_rng_below(r, n)];
}

/* One generated body, then maybe cut or with a byte changed. */
static char *fast_body(um_rng *r, size_t *len)
{
	um_buf b = UM_BUF_INIT;
	int k, n = (int)um_rng_below(r, 4);
	char *s;

	um_buf_init(&b, 0);
	um_buf_puts(&b, um_rng_below(r, 8) ? "{" : " \r\n\t{ ");
	for (k = 0; k < n; k++)
		um_buf_printf(&b, "%s,", fast_pick(r, fast_member, UM_ARRAY_LEN(fast_member)));
	um_buf_printf(&b, "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
			  "\"content\":%s%s},\"logprobs\":null,\"finish_reason\":%s}%s],%s",
		      fast_pick(r, fast_content, UM_ARRAY_LEN(fast_content)),
		      fast_pick(r, fast_extra, UM_ARRAY_LEN(fast_extra)),
		      um_rng_below(r, 6) ? "\"stop\"" : um_rng_below(r, 2) ? "null" : "1",
		      um_rng_below(r, 8) ? "" : ",{\"index\":1}",
		      fast_pick(r, fast_usage, UM_ARRAY_LEN(fast_usage)));
	if (um_rng_below(r, 2))
		um_buf_printf(&b, ",%s", fast_pick(r, fast_member, UM_ARRAY_LEN(fast_member)));
	um_buf_puts(&b, um_rng_below(r, 8) ? "}" : "} \n");
	if (um_rng_below(r, 10) == 0)
		um_buf_puts(&b, um_rng_below(r, 2) ? "x" : "{}");
	*len = b.len;
	s = um_buf_detach(&b);
	if (um_rng_below(r, 10) == 0 && *len > 1)
		*len = um_rng_below(r, *len); /* cut */
	else if (um_rng_below(r, 10) == 0)
		s[um_rng_below(r, *len)] = (char)um_rng_below(r, 256); /* a byte changed */
	return s;
}

/* The full parse, as provider_parse does it without the fast path. */
static int full_parse(um_provider p, const char *body, size_t len, um_completion *c)
{
	um_error err;
	json_t *root = provider_util_json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
						NULL);
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (root && json_is_object(root) &&
	    (p == UM_PROV_ANTHROPIC ? provider_anthropic_parse(root, c, &err)
				    : provider_openai_parse(root, c, &err)) == 0)
		rc = json_is_null(json_object_get(root, "routing")) ||
			     !json_object_get(root, "routing")
			 ? 0
			 : 1; /* routing: the full parse copies it */
	json_decref(root);
	return rc;
}

static void assert_same_str(const char *a, const char *b)
{
	if (a || b) {
		assert_non_null(a);
		assert_non_null(b);
		assert_string_equal(a, b);
	}
}

/* An Anthropic answer from pieces ('@' is where a block's text goes), then
 * maybe cut or with a byte changed. */
static const char *const fast_block[] = {
	"{\"type\":\"text\",\"text\":@}", "{\"type\":\"text\",\"text\":@,\"citations\":null}",
	"{\"type\":\"server_tool_use\",\"id\":\"s1\",\"name\":\"web\",\"input\":{}}",
	"{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"f\",\"input\":{}}",
	"{\"type\":\"thinking\",\"thinking\":\"hm\",\"signature\":\"sig\"}",
	"{\"type\":\"redacted_thinking\",\"data\":\"xx\"}", "{\"type\":\"text\"}",
	"{\"type\":\"\\u0074ext\",\"text\":\"esc\"}", "{\"type\":7}", "[]"};
static const char *const fast_ausage[] = {
	"\"usage\":{\"input_tokens\":98,\"cache_creation_input_tokens\":0,"
	"\"cache_read_input_tokens\":0,\"output_tokens\":189}",
	"\"usage\":{\"input_tokens\":98,\"cache_creation_input_tokens\":7,"
	"\"cache_read_input_tokens\":40,\"output_tokens\":189}",
	"\"usage\":{\"input_tokens\":98,\"output_tokens\":1}",
	"\"usage\":{\"input_tokens\":98,\"output_tokens\":1,\"cache_read_input_tokens\":null}",
	"\"usage\":{\"output_tokens\":1}", "\"usage\":{\"input_tokens\":-3,\"output_tokens\":1}",
	"\"usage\":{\"input_tokens\":1.5,\"output_tokens\":1}", "\"usage\":[]"};
static const char *const fast_atype[] = {"\"type\":\"message\",", "", "\"type\":\"error\",",
					 "\"type\":null,", "\"type\":\"mess\\u0061ge\","};

static char *fast_body_anthropic(um_rng *r, size_t *len)
{
	um_buf b = UM_BUF_INIT;
	int k, n = (int)um_rng_below(r, 4);
	char *s;

	um_buf_init(&b, 0);
	um_buf_printf(&b, "{%s", fast_pick(r, fast_atype, UM_ARRAY_LEN(fast_atype)));
	for (k = 0; k < (int)um_rng_below(r, 3); k++)
		um_buf_printf(&b, "%s,", fast_pick(r, fast_member, UM_ARRAY_LEN(fast_member)));
	um_buf_puts(&b, "\"role\":\"assistant\",\"content\":[");
	for (k = 0; k < n; k++) {
		if (k)
			um_buf_putc(&b, ',');
		const char *blk = fast_pick(r, fast_block, UM_ARRAY_LEN(fast_block));
		const char *at = strchr(blk, '@'); /* where the text goes */

		um_buf_append(&b, blk, at ? (size_t)(at - blk) : strlen(blk));
		if (at) {
			um_buf_puts(&b, fast_pick(r, fast_content, UM_ARRAY_LEN(fast_content)));
			um_buf_puts(&b, at + 1);
		}
	}
	um_buf_printf(&b, "],\"stop_reason\":%s,%s}",
		      um_rng_below(r, 6) ? "\"end_turn\"" : um_rng_below(r, 2) ? "null" : "[]",
		      fast_pick(r, fast_ausage, UM_ARRAY_LEN(fast_ausage)));
	*len = b.len;
	s = um_buf_detach(&b);
	if (um_rng_below(r, 10) == 0 && *len > 1)
		*len = um_rng_below(r, *len); /* cut */
	else if (um_rng_below(r, 10) == 0)
		s[um_rng_below(r, *len)] = (char)um_rng_below(r, 256); /* a byte changed */
	return s;
}

static void test_parse_fast_same(void **state)
{
	um_rng r;
	int i, fast = 0, slow = 0, fast_anthropic = 0;

	(void)state;
	um_rng_seed(&r, 15);
	for (i = 0; i < 40000; i++) {
		um_provider p = i % 2 ? UM_PROV_ANTHROPIC : UM_PROV_OPENAI;
		size_t len;
		char *body = p == UM_PROV_ANTHROPIC ? fast_body_anthropic(&r, &len) : fast_body(&r, &len);
		um_completion a, b;
		int got = p == UM_PROV_ANTHROPIC ? provider_anthropic_parse_fast(body, len, &a)
						 : provider_openai_parse_fast(body, len, &a);
		int full = full_parse(p, body, len, &b);

		if (got) {
			fast++;
			fast_anthropic += p == UM_PROV_ANTHROPIC;
			assert_int_equal(full, 0);
			assert_same_str(a.content, b.content);
			assert_same_str(a.served_model, b.served_model);
			assert_same_str(a.fingerprint, b.fingerprint);
			assert_same_str(a.finish_reason, b.finish_reason);
			assert_same_str(a.response_id, b.response_id);
			assert_int_equal(a.tokens_in, b.tokens_in);
			assert_int_equal(a.tokens_cached, b.tokens_cached);
			assert_int_equal(a.tokens_out, b.tokens_out);
			assert_int_equal(a.tokens_reasoning, b.tokens_reasoning);
			assert_int_equal(a.tokens_cache_write, b.tokens_cache_write);
			assert_null(b.tool_calls);
			assert_null(b.thinking);
		} else {
			slow++;
			assert_null(a.content);
			assert_null(a.served_model);
		}
		completion_release(&a);
		completion_release(&b);
		free(body);
	}
	/* both sides exercised */
	assert_true(fast > 2000);
	assert_true(fast_anthropic > 1000 && fast - fast_anthropic > 1000);
	assert_true(slow > 2000);
}

/* The request URL is joined once per thread and distinct inputs, then
 * reused: ten systems (more than are kept) whose URLs differ only in port,
 * path or family, built in turn three times, each get their own URL. */
static void test_request_url_memo(void **state)
{
	static const char *const bases[] = {"http://127.0.0.1:8001/v1", "http://127.0.0.1:8002/v1/",
					    "http://127.0.0.1:8003/api/v1", "http://127.0.0.1:8004",
					    "http://127.0.0.1:8005/v1"};
	json_t *n = neutral("{\"max_tokens\":16}");
	char want[128];
	int round, i;

	(void)state;
	for (round = 0; round < 3; round++)
		for (i = 0; i < 10; i++) {
			um_provider p = i % 2 ? UM_PROV_ANTHROPIC : UM_PROV_OPENAI;
			um_system s = make_system(p, "s", "m-1");
			const char *b = bases[i / 2];
			size_t bl = strlen(b) - (b[strlen(b) - 1] == '/');
			um_wire_request w;
			um_error err;

			s.base_url = (char *)b;
			snprintf(want, sizeof(want), "%.*s%s%s", (int)bl, b,
				 strchr(b + 7, '/') ? "" : "/",
				 p == UM_PROV_ANTHROPIC ? (strchr(b + 7, '/') ? "/messages" : "messages")
							: (strchr(b + 7, '/') ? "/chat/completions"
									      : "chat/completions"));
			if (provider_build(&s, n, &w, &err) < 0)
				fail_msg("%s", err.msg);
			assert_string_equal(w.url, want);
			wire_request_release(&w);
		}
	json_decref(n);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_url_memo),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_canonical_sealed),
		cmocka_unit_test(test_canonical_encoder),
		cmocka_unit_test(test_parse_nul_in_content),
		cmocka_unit_test(test_parse_nul_in_stream),
		cmocka_unit_test(test_build_openai),
		cmocka_unit_test(test_build_anthropic),
		cmocka_unit_test(test_build_sampling_caps),
		cmocka_unit_test(test_build_claude_thinking),
		cmocka_unit_test(test_body_hash_parity),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_build_agent_openai),
		cmocka_unit_test(test_build_agent_anthropic),
		cmocka_unit_test(test_agent_round_trip),
		cmocka_unit_test(test_build_agent_errors),
		cmocka_unit_test(test_parse_openai),
		cmocka_unit_test(test_parse_anthropic),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_families),
		cmocka_unit_test(test_parse_streams),
		cmocka_unit_test(test_parse_garbage),
		cmocka_unit_test(test_parse_fast_same),
		cmocka_unit_test(test_error_message),
		cmocka_unit_test(test_image_parts),
		cmocka_unit_test(test_image_parts_garbage),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
