/*
 * test_models.c - models.yaml loading (fields, defaults, errors with
 * file:line:col), ${VAR} expansion now and after the simulator starts, the
 * shipped example file, and the integer cost arithmetic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "load/models.h"
#include "base/util.h"

#define FIX(name) FIXTURES "/models/" name
#define EXAMPLE FIXTURES "/../../models.example.yaml"

static void assert_msg(const um_error *err, const char *needle)
{
	if (!strstr(err->msg, needle))
		fail_msg("message '%s' lacks '%s'", err->msg, needle);
}

static void load_fails(const char *text, const char *needle)
{
	um_error err = {0};
	um_models *m = (um_models *)1;

	if (models_load_buffer("m.yaml", text, strlen(text), 0, &m, &err) == 0)
		fail_msg("accepted: %s", text);
	assert_null(m);
	assert_msg(&err, needle);
}

#define SYS(extra)                                                                                 \
	"umpire: 1\nsystems:\n  - name: a\n    role: baseline\n    provider: openai\n"             \
	"    base_url: https://x.example/v1\n    model: m\n" extra

static void test_load_good(void **state)
{
	um_error err = {0};
	um_models *m = NULL;
	const um_system *s;
	char *pool, *data = NULL;
	size_t len = 0;
	char hex[65];

	(void)state;
	unsetenv("UMPIRE_SIM_URL");
	setenv("UMPIRE_TEST_PORT", "8080", 1);
	setenv("UMPIRE_TEST_PREFIX", "api", 1);
	assert_int_equal(models_load(FIX("good.yaml"), &m, &err), 0);
	assert_int_equal(m->n_systems, 3);
	pool = um_path_relative_to(FIX("good.yaml"), "../pools/test.yaml");
	assert_string_equal(m->simulator_pool, pool);
	free(pool);
	assert_int_equal(um_read_file(FIX("good.yaml"), &data, &len, &err), 0);
	assert_memory_equal(m->text, data, len);
	um_sha256_hex(data, len, hex);
	assert_string_equal(m->sha256, hex);
	free(data);

	s = &m->systems[0];
	assert_string_equal(s->name, "sim-conductor");
	assert_int_equal(s->role, UM_ROLE_ORCHESTRATOR);
	assert_int_equal(s->provider, UM_PROV_OPENAI);
	assert_string_equal(s->base_url_raw, "${UMPIRE_SIM_URL}/v1");
	assert_null(s->base_url); /* waits for the simulator */
	assert_int_equal(s->pricing.input, 1250000);
	assert_int_equal(s->pricing.cached_input, 125000);
	assert_int_equal(s->pricing.output, 10000000);
	assert_int_equal(s->pricing.long_threshold, 272000);
	assert_int_equal(s->pricing.long_multiplier_milli, 2000);
	assert_int_equal(s->concurrency, 3);
	assert_int_equal(s->timeout_ms, 2500);
	assert_int_equal(s->max_retries, 0);
	assert_null(s->api_key_env);
	assert_int_equal(s->n_headers, 0);

	s = &m->systems[1];
	assert_string_equal(s->name, "vendor:claude.x_1-b");
	assert_int_equal(s->role, UM_ROLE_BASELINE);
	assert_int_equal(s->provider, UM_PROV_ANTHROPIC);
	assert_string_equal(s->base_url, "https://api.example.com/v1"); /* '/' dropped */
	assert_string_equal(s->api_key_env, "TEST_ANTHROPIC_KEY");
	assert_string_equal(s->anthropic_version, "2024-01-01");
	assert_int_equal(s->n_headers, 2);
	assert_string_equal(s->header_names[0], "OpenAI-Organization");
	assert_string_equal(s->header_values[0], "org-123");
	assert_string_equal(s->header_names[1], "X-Trace");
	assert_string_equal(s->header_values[1], "7");
	/* no pricing: zero, and defaults for the limits */
	assert_int_equal(s->pricing.input, 0);
	assert_int_equal(s->pricing.long_threshold, 0);
	assert_int_equal(s->concurrency, 8);
	assert_int_equal(s->timeout_ms, 120000);
	assert_int_equal(s->max_retries, 4);

	s = &m->systems[2];
	assert_string_equal(s->base_url, "http://127.0.0.1:8080/api");
	assert_int_equal(s->pricing.input, 150000);
	assert_int_equal(s->pricing.cached_input, 150000); /* defaults to input */
	assert_int_equal(s->pricing.output, 600000);
	assert_string_equal(s->anthropic_version, "2023-06-01");

	assert_int_equal(models_find(m, "cheap"), 2);
	assert_int_equal(models_find(m, "sim-conductor"), 0);
	assert_int_equal(models_find(m, "nope"), -1);
	assert_int_equal(models_find(m, NULL), -1);

	/* the runner starts the simulator, then expands again */
	setenv("UMPIRE_SIM_URL", "http://127.0.0.1:4321", 1);
	setenv("UMPIRE_TEST_PORT", "9090", 1);
	assert_int_equal(models_expand_env(m, &err), 0);
	assert_string_equal(m->systems[0].base_url, "http://127.0.0.1:4321/v1");
	assert_string_equal(m->systems[2].base_url, "http://127.0.0.1:9090/api");

	/* a variable that disappears is reported at its line */
	unsetenv("UMPIRE_TEST_PORT");
	assert_int_equal(models_expand_env(m, &err), -1);
	assert_string_equal(err.msg, FIX("good.yaml") ":28:15: system 'cheap': base_url uses "
						      "${UMPIRE_TEST_PORT}, but the environment "
						      "variable UMPIRE_TEST_PORT is not set");
	/* and one that expands to something that is no URL */
	setenv("UMPIRE_TEST_PORT", "80", 1);
	setenv("UMPIRE_SIM_URL", "", 1);
	assert_int_equal(models_expand_env(m, &err), -1);
	assert_msg(&err, "good.yaml:7:15: system 'sim-conductor': base_url '/v1' must start with "
			 "http:// or https://");
	models_free(m);
	unsetenv("UMPIRE_SIM_URL");
	unsetenv("UMPIRE_TEST_PORT");
	unsetenv("UMPIRE_TEST_PREFIX");
}

static void test_unset_variable(void **state)
{
	um_error err = {0};
	um_models *m = NULL;
	char *data = NULL;
	size_t len = 0;

	(void)state;
	unsetenv("UMPIRE_TEST_SURELY_UNSET_VAR");
	assert_int_equal(models_load(FIX("unset-var.yaml"), &m, &err), -1);
	assert_null(m);
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_string_equal(
	    err.msg, FIX("unset-var.yaml") ":6:15: system 'orch': base_url uses "
					   "${UMPIRE_TEST_SURELY_UNSET_VAR}, but the "
					   "environment variable UMPIRE_TEST_SURELY_UNSET_VAR "
					   "is not set");
	/* deferred: loads, with no base_url yet */
	assert_int_equal(um_read_file(FIX("unset-var.yaml"), &data, &len, &err), 0);
	assert_int_equal(models_load_buffer("u.yaml", data, len, UM_MODELS_DEFER_ENV, &m, &err), 0);
	assert_null(m->systems[0].base_url);
	assert_int_equal(models_expand_env(m, &err), -1);
	assert_msg(&err, "u.yaml:6:15: system 'orch': base_url uses "
			 "${UMPIRE_TEST_SURELY_UNSET_VAR}");
	setenv("UMPIRE_TEST_SURELY_UNSET_VAR", "https://h.example", 1);
	assert_int_equal(models_expand_env(m, &err), 0);
	assert_string_equal(m->systems[0].base_url, "https://h.example/v1");
	unsetenv("UMPIRE_TEST_SURELY_UNSET_VAR");
	models_free(m);
	free(data);

	/* UMPIRE_SIM_URL may wait only when the file starts a simulator */
	unsetenv("UMPIRE_SIM_URL");
	load_fails("umpire: 1\nsystems:\n  - name: a\n    role: baseline\n    provider: openai\n"
		   "    base_url: ${UMPIRE_SIM_URL}/v1\n    model: m\n",
		   "m.yaml:6:15: system 'a': base_url uses ${UMPIRE_SIM_URL}, but the "
		   "environment variable UMPIRE_SIM_URL is not set");
}

static void test_example_file(void **state)
{
	um_error err = {0};
	um_models *m = NULL;
	const um_system *s;
	int i;

	(void)state;
	unsetenv("ORCHESTRATOR_BASE_URL");
	assert_int_equal(models_load(EXAMPLE, &m, &err), -1);
	assert_msg(&err, "system 'orchestrator': base_url uses ${ORCHESTRATOR_BASE_URL}");

	setenv("ORCHESTRATOR_BASE_URL", "https://orchestrator.example.com/v1", 1);
	setenv("AZURE_OPENAI_RESOURCE", "example", 1);
	assert_int_equal(models_load(EXAMPLE, &m, &err), 0);
	assert_null(m->simulator_pool);
	assert_true(m->n_systems >= 3);
	i = models_find(m, "orchestrator");
	assert_true(i >= 0);
	s = &m->systems[i];
	assert_int_equal(s->role, UM_ROLE_ORCHESTRATOR);
	assert_int_equal(s->provider, UM_PROV_OPENAI);
	assert_string_equal(s->base_url, "https://orchestrator.example.com/v1");
	assert_string_equal(s->api_key_env, "ORCHESTRATOR_API_KEY");
	assert_int_equal(s->pricing.long_threshold, 272000);
	assert_int_equal(s->pricing.long_multiplier_milli, 2000);
	for (i = 0; i < m->n_systems; i++) {
		s = &m->systems[i];
		if (s->provider == UM_PROV_ANTHROPIC) {
			assert_string_equal(s->base_url, "https://api.anthropic.com/v1");
			assert_string_equal(s->api_key_env, "ANTHROPIC_API_KEY");
		} else if (s->provider == UM_PROV_OPENAI && !s->preset &&
			   s->role == UM_ROLE_BASELINE) {
			assert_string_equal(s->base_url, "https://api.openai.com/v1");
			assert_string_equal(s->api_key_env, "OPENAI_API_KEY");
		}
		/* a gpt-5 entry is not sent what the family refuses */
		if (strstr(s->model, "gpt-5")) {
			assert_int_equal(s->caps.no_sampling, 1);
			assert_int_equal(s->caps.max_completion, 1);
		}
	}
	/* one entry per provider and preset */
	{
		static const char *const want[] = {"azure-gpt-5-mini", "gemini-2.5-pro",
						   "bedrock-claude-sonnet-4.5",
						   "openrouter-gpt-5-mini", "vllm-qwen3-8b",
						   "sglang-qwen3-8b", "ollama-qwen3-8b"};
		size_t k;

		for (k = 0; k < UM_ARRAY_LEN(want); k++)
			if (models_find(m, want[k]) < 0)
				fail_msg("models.example.yaml has no %s", want[k]);
	}
	assert_true(models_find(m, "gpt-5") >= 0);
	assert_true(models_find(m, "claude-sonnet-4.5") >= 0);
	models_free(m);
	unsetenv("ORCHESTRATOR_BASE_URL");
}

static void test_error_files(void **state)
{
	static const struct {
		const char *file, *needle;
		um_err code;
	} cases[] = {
	    {"bad-syntax.yaml",
	     "bad-syntax.yaml:5:4: did not find expected '-' "
	     "indicator (while parsing a block collection)",
	     UM_ERR_SYNTAX},
	    {"unknown-key.yaml",
	     "unknown-key.yaml:8:36: unknown key 'cache_read' in pricing "
	     "(allowed: input, cached_input, cache_write, output, long_context)",
	     UM_ERR_INVALID},
	    {"wrong-type.yaml",
	     "wrong-type.yaml:8:18: 'concurrency' must be an integer "
	     "between 1 and 100000, got 'eight'",
	     UM_ERR_INVALID},
	    {"missing-field.yaml", "missing-field.yaml:3:5: missing required key 'model'",
	     UM_ERR_INVALID},
	    {"absent.yaml", "absent.yaml", UM_ERR_IO},
	};
	size_t i;

	(void)state;
	for (i = 0; i < UM_ARRAY_LEN(cases); i++) {
		um_error err = {0};
		um_models *m = NULL;
		char *path = um_xasprintf("%s%s", FIX(""), cases[i].file);

		assert_int_equal(models_load(path, &m, &err), -1);
		assert_null(m);
		assert_int_equal(err.code, cases[i].code);
		assert_msg(&err, cases[i].needle);
		free(path);
	}
}

static void test_errors_inline(void **state)
{
	(void)state;
	load_fails("", "m.yaml: empty document");
	load_fails("umpire: 1\n", "m.yaml:1:1: missing required key 'systems'");
	load_fails("umpire: 1\nsystems: []\n", "m.yaml:2:10: 'systems' must hold 1 to");
	load_fails("umpire: 1\nsystems: {}\n", "m.yaml:2:10: 'systems' must be a sequence");
	load_fails("umpire: 1\nsimulator: ''\nsystems: []\n",
		   "m.yaml:2:12: 'simulator' must name a pool file");
	load_fails("umpire: 1\nsystem: []\n", "m.yaml:2:1: unknown key 'system' in models file "
					      "(allowed: umpire, simulator, proxy, systems)");
	load_fails(SYS("  - name: a\n    role: baseline\n    provider: openai\n"
		       "    base_url: https://y.example\n    model: n\n"),
		   "m.yaml:8:11: system name 'a' is used twice");
	load_fails("umpire: 1\nsystems:\n  - name: a b\n",
		   "m.yaml:3:11: 'name' must match [A-Za-z0-9._:-]+, got 'a b'");
	load_fails("umpire: 1\nsystems:\n  - name: a\n    role: judge\n",
		   "m.yaml:4:11: 'role' must be one of: baseline, orchestrator; got 'judge'");
	load_fails("umpire: 1\nsystems:\n  - name: a\n    role: baseline\n    provider: palm\n",
		   "m.yaml:5:15: 'provider' must be one of: openai, anthropic, azure, gemini, "
		   "bedrock, openrouter, vllm, sglang, ollama; got 'palm'");
	load_fails(SYS("    anthropic_version: '2023-06-01'\n"),
		   "m.yaml:8:24: 'anthropic_version' applies to provider anthropic only");
	load_fails(SYS("    headers: {Authorization: Bearer sk-123}\n"),
		   "m.yaml:8:15: header 'Authorization' may not be set here");
	load_fails(SYS("    headers: {x-API-key: k}\n"), "header 'x-API-key' may not be set");
	load_fails(SYS("    headers: {\"bad name\": v}\n"),
		   "m.yaml:8:15: 'bad name' is not a valid HTTP header name");
	load_fails(SYS("    headers: {X-A: \"a\\r\\nX-B: b\"}\n"),
		   "m.yaml:8:20: header 'X-A' has a control character");
	load_fails(SYS("    headers: [a]\n"), "m.yaml:8:14: 'headers' must be a mapping");
	load_fails(SYS("    api_key_env: sk-live-123\n"),
		   "m.yaml:8:18: 'api_key_env' must name an environment variable");
	load_fails(SYS("    timeout_s: 0\n"),
		   "m.yaml:8:16: 'timeout_s' must be a number between 0.001 and 86400, got '0'");
	load_fails(SYS("    max_retries: -1\n"), "m.yaml:8:18: 'max_retries' must be an integer");
	load_fails(SYS("    requests_per_minute: 0\n"),
		   "m.yaml:8:26: 'requests_per_minute' must be an integer between 1 and");
	load_fails(SYS("    requests_per_minute: 1.5\n"),
		   "m.yaml:8:26: 'requests_per_minute' must be an integer");
	load_fails(SYS("    tokens_per_minute: many\n"),
		   "m.yaml:8:24: 'tokens_per_minute' must be an integer");
	load_fails(SYS("    tokens_per_minute: [1]\n"), "m.yaml:8:24: 'tokens_per_minute'");
	load_fails(SYS("    pricing: {input: 1}\n"), "m.yaml:8:14: missing required key 'output'");
	load_fails(SYS("    pricing: {input: -1, output: 1}\n"),
		   "m.yaml:8:22: 'input' must be a number between 0 and 1000000, got '-1'");
	load_fails(SYS("    pricing: {input: 1, output: 1, long_context: {above_tokens: 10}}\n"),
		   "m.yaml:8:50: missing required key 'multiplier'");
	load_fails(SYS("    pricing: {input: 1, output: 1, long_context: {above_tokens: 0, "
		       "multiplier: 2}}\n"),
		   "m.yaml:8:65: 'above_tokens' must be an integer between 1 and");
	load_fails("umpire: 1\nsystems:\n  - name: a\n    role: baseline\n    provider: openai\n"
		   "    base_url: https://x.example/v1\n    model: ''\n",
		   "m.yaml:7:12: 'model' must not be empty");
	load_fails("umpire: 1\nsystems:\n  - name: a\n    role: baseline\n    provider: openai\n"
		   "    base_url: ${UMPIRE BAD}/v1\n    model: m\n",
		   "m.yaml:6:15: system 'a': base_url: '${' must be followed by a variable name");
	load_fails("umpire: 1\nsystems:\n  - name: a\n    role: baseline\n    provider: openai\n"
		   "    base_url: ${UNCLOSED\n    model: m\n",
		   "'${' must be followed by a variable name and '}'");
	load_fails("umpire: 1\nsystems:\n  - name: a\n    role: baseline\n    provider: openai\n"
		   "    base_url: ftp://x.example\n    model: m\n",
		   "m.yaml:6:15: system 'a': base_url 'ftp://x.example' must start with http://");
	load_fails("umpire: 1\nsystems:\n  - name: a\n    role: baseline\n    provider: openai\n"
		   "    base_url: https:///v1\n    model: m\n",
		   "base_url 'https:///v1' has no host");
	load_fails("umpire: 1\nsystems:\n  - name: a\n    role: baseline\n    provider: openai\n"
		   "    base_url: \"https://x.example/a b\"\n    model: m\n",
		   "contains a space or control character");
}

static void test_dollar_without_brace(void **state)
{
	um_error err = {0};
	um_models *m = NULL;
	const char *text = SYS("");
	char *t2 = um_xasprintf("%s", text);
	char *p = strstr(t2, "https://x.example/v1");

	(void)state;
	/* a '$' not followed by '{' is literal */
	memcpy(p, "https://x.example/$1", strlen("https://x.example/$1"));
	assert_int_equal(models_load_buffer("m.yaml", t2, strlen(t2), 0, &m, &err), 0);
	assert_string_equal(m->systems[0].base_url, "https://x.example/$1");
	assert_int_equal(m->systems[0].pricing.input, 0);
	models_free(m);
	free(t2);
}

static void test_pricing_arithmetic(void **state)
{
	/* USD/Mtok 1.25 / 0.125 / 10, long tier above 272000 at x2.0 */
	um_pricing p = {1250000, 125000, 10000000, 272000, 2000, 0};
	um_pricing tiny = {1, 100000, 0, 0, 0, 0};
	um_pricing half = {1000000, 0, 0, 10, 1500, 0};

	(void)state;
	/* 800 * 1.25 + 200 * 0.125 + 500 * 10 = 1000 + 25 + 5000 = 6025 micro-USD */
	assert_int_equal(pricing_cost_micro(&p, 1000, 200, 0, 500), 6025);
	/* no cached tokens: 1000 * 1.25 + 500 * 10 = 6250 */
	assert_int_equal(pricing_cost_micro(&p, 1000, 0, 0, 500), 6250);
	/* all cached: 1000 * 0.125 = 125 */
	assert_int_equal(pricing_cost_micro(&p, 1000, 1000, 0, 0), 125);
	/* cached larger than the input is clamped to it */
	assert_int_equal(pricing_cost_micro(&p, 1000, 5000, 0, 0), 125);
	/* exactly at the threshold: no multiplier. 272000 * 1.25 + 1000 * 10 = 350000 */
	assert_int_equal(pricing_cost_micro(&p, 272000, 0, 0, 1000), 350000);
	/* above: the whole call doubles. (300000 * 1.25 + 1000 * 10) * 2 = 770000 */
	assert_int_equal(pricing_cost_micro(&p, 300000, 0, 0, 1000), 770000);
	/* above, with cache: (200000*1.25 + 100000*0.125 + 2000*10) * 2
	 * = (250000 + 12500 + 20000) * 2 = 565000 */
	assert_int_equal(pricing_cost_micro(&p, 300000, 100000, 0, 2000), 565000);
	/* rounding half up, once: 1 micro-USD/Mtok */
	assert_int_equal(pricing_cost_micro(&tiny, 500000, 0, 0, 0), 1);  /* 0.5 -> 1 */
	assert_int_equal(pricing_cost_micro(&tiny, 499999, 0, 0, 0), 0);  /* 0.499999 -> 0 */
	assert_int_equal(pricing_cost_micro(&tiny, 1500000, 0, 0, 0), 2); /* 1.5 -> 2 */
	/* cached at 0.1 USD/Mtok: 5 tokens = 0.5 -> 1, 4 tokens = 0.4 -> 0 */
	assert_int_equal(pricing_cost_micro(&tiny, 5, 5, 0, 0), 1);
	assert_int_equal(pricing_cost_micro(&tiny, 4, 4, 0, 0), 0);
	/* x1.5 applied before rounding: 11 tokens at 1 USD/Mtok = 11 * 1.5 = 16.5 -> 17 */
	assert_int_equal(pricing_cost_micro(&half, 11, 0, 0, 0), 17);
	assert_int_equal(pricing_cost_micro(&half, 10, 0, 0, 0), 10);
	/* cache writes at their own price: 1000 in, 200 read, 300 written, at
	 * 3 / 0.3 / 3.75 USD/Mtok: 500*3 + 200*0.3 + 300*3.75 = 1500 + 60 + 1125 */
	{
		um_pricing w = {3000000, 300000, 0, 0, 0, 3750000};

		assert_int_equal(pricing_cost_micro(&w, 1000, 200, 300, 0), 2685);
		/* writes beyond the uncached input are clamped to it */
		assert_int_equal(pricing_cost_micro(&w, 1000, 200, 5000, 0), 60 + 3000);
	}
	/* negative counts are treated as zero; zero costs zero */
	assert_int_equal(pricing_cost_micro(&p, -5, -1, 0, -7), 0);
	assert_int_equal(pricing_cost_micro(&p, 0, 0, 0, 0), 0);
	/* large counts do not overflow: 1e12 tokens at 1000 USD/Mtok = 1e15 micro-USD */
	{
		um_pricing big = {1000000000, 0, 1000000000, 0, 0, 0};

		assert_int_equal(pricing_cost_micro(&big, INT64_C(1000000000000), 0, 0, 0),
				 INT64_C(1000000000000000));
		assert_true(pricing_cost_micro(&big, INT64_MAX, 0, 0, INT64_MAX) == INT64_MAX);
	}
}

static void test_price_conversion(void **state)
{
	um_error err = {0};
	um_models *m = NULL;
	const char *text = SYS("    pricing: {input: 0.15, cached_input: 0.0375, output: 0.6,\n"
			       "              long_context: {above_tokens: 128000, "
			       "multiplier: 1.25}}\n");

	(void)state;
	assert_int_equal(models_load_buffer("m.yaml", text, strlen(text), 0, &m, &err), 0);
	assert_int_equal(m->systems[0].pricing.input, 150000);
	assert_int_equal(m->systems[0].pricing.cached_input, 37500);
	assert_int_equal(m->systems[0].pricing.output, 600000);
	assert_int_equal(m->systems[0].pricing.long_threshold, 128000);
	assert_int_equal(m->systems[0].pricing.long_multiplier_milli, 1250);
	/* (1000*0.15 + 100*0.6) = 150 + 60 = 210 micro-USD */
	assert_int_equal(pricing_cost_micro(&m->systems[0].pricing, 1000, 0, 0, 100), 210);
	models_free(m);
}

static um_models *load_ok(const char *text)
{
	um_error err = {0};
	um_models *m = NULL;

	if (models_load_buffer("m.yaml", text, strlen(text), 0, &m, &err) < 0)
		fail_msg("%s", err.msg);
	return m;
}

/* The provider's limits: absent is none (0). */
static void test_rate_limits(void **state)
{
	um_models *m;

	(void)state;
	m = load_ok(SYS("    requests_per_minute: 500\n    tokens_per_minute: 30000000000\n"));
	assert_int_equal(m->systems[0].requests_per_minute, 500);
	assert_int_equal(m->systems[0].tokens_per_minute, INT64_C(30000000000));
	models_free(m);
	m = load_ok(SYS(""));
	assert_int_equal(m->systems[0].requests_per_minute, 0);
	assert_int_equal(m->systems[0].tokens_per_minute, 0);
	models_free(m);
}

/* Providers, presets and their defaults; keys that belong to one provider. */
static void test_providers(void **state)
{
	um_models *m;

	(void)state;
	m = load_ok("umpire: 1\nsystems:\n"
		    "  - {name: a, role: baseline, provider: vllm, model: m}\n"
		    "  - {name: b, role: baseline, provider: sglang, model: m}\n"
		    "  - {name: c, role: baseline, provider: ollama, model: 'qwen3:8b'}\n"
		    "  - {name: d, role: baseline, provider: openrouter, model: openai/gpt-5}\n"
		    "  - {name: e, role: baseline, provider: gemini, model: gemini-2.5-pro}\n"
		    "  - {name: f, role: baseline, provider: bedrock, region: eu-west-1,\n"
		    "     model: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0'}\n"
		    "  - {name: g, role: baseline, provider: azure, base_url: 'https://r.openai.azure.com/',\n"
		    "     model: o3, deployment: my-o3}\n");
	assert_string_equal(m->systems[0].base_url, "http://127.0.0.1:8000/v1");
	assert_string_equal(m->systems[1].base_url, "http://127.0.0.1:30000/v1");
	assert_string_equal(m->systems[2].base_url, "http://127.0.0.1:11434/v1");
	assert_string_equal(m->systems[3].base_url, "https://openrouter.ai/api/v1");
	assert_string_equal(m->systems[4].base_url,
			    "https://generativelanguage.googleapis.com/v1beta");
	assert_string_equal(m->systems[5].base_url, "https://bedrock-runtime.eu-west-1.amazonaws.com");
	assert_string_equal(m->systems[6].base_url, "https://r.openai.azure.com");
	assert_string_equal(m->systems[6].api_version, "2024-10-21");
	assert_int_equal(m->systems[0].provider, UM_PROV_OPENAI);
	assert_string_equal(m->systems[0].preset, "vllm");
	/* the capability table: vendor prefixes and inference profiles are looked through */
	assert_int_equal(m->systems[3].caps.no_sampling, 1);
	assert_int_equal(m->systems[3].caps.max_completion, 1);
	assert_int_equal(m->systems[4].caps.budget, 1);
	assert_int_equal(m->systems[4].caps.effort, 0);
	assert_int_equal(m->systems[5].caps.budget, 1);
	assert_int_equal(m->systems[6].caps.no_sampling, 1);
	assert_int_equal(m->systems[0].caps.no_sampling, 0);
	models_free(m);
	m = load_ok(SYS("    capabilities: {sampling: false, max_tokens_field: max_completion_tokens,\n"
			"                   reasoning_effort: false}\n"));
	assert_int_equal(m->systems[0].caps.no_sampling, 1);
	assert_int_equal(m->systems[0].caps.max_completion, 1);
	assert_int_equal(m->systems[0].caps.effort, 0);
	models_free(m);
	load_fails(SYS("    region: us-east-1\n"), "'region' applies to provider bedrock only");
	load_fails(SYS("    api_version: x\n"), "'api_version' applies to provider azure only");
	load_fails("umpire: 1\nsystems:\n  - {name: f, role: baseline, provider: bedrock, model: m}\n",
		   "provider bedrock needs 'region'");
	load_fails("umpire: 1\nsystems:\n  - {name: f, role: baseline, provider: openai, model: m}\n",
		   "missing required key 'base_url'");
	load_fails(SYS("    stall_timeout_s: 3\n"), "applies to streamed systems");
	load_fails("umpire: 1\nsystems:\n  - {name: a, role: baseline, provider: anthropic, "
		   "base_url: 'https://x/v1', model: m,\n     capabilities: {max_tokens_field: "
		   "max_completion_tokens}}\n",
		   "max_completion_tokens is a field of the OpenAI wire");
}

/* The capability table by provider and model id: what each Claude takes of
 * temperature / top_p and a thinking budget, through Bedrock's ids too. */
static void test_caps_table(void **state)
{
	static const struct {
		um_provider p;
		const char *model;
		int no_sampling, one_sampler, budget;
	} rows[] = {
	    {UM_PROV_ANTHROPIC, "claude-3-5-sonnet-20241022", 0, 0, 0},
	    {UM_PROV_ANTHROPIC, "claude-3-7-sonnet-20250219", 0, 0, 1},
	    {UM_PROV_ANTHROPIC, "claude-sonnet-4-20250514", 0, 0, 1},
	    {UM_PROV_ANTHROPIC, "claude-opus-4-0", 0, 0, 1},
	    {UM_PROV_ANTHROPIC, "claude-opus-4-1-20250805", 0, 1, 1},
	    {UM_PROV_ANTHROPIC, "claude-sonnet-4-5", 0, 1, 1},
	    {UM_PROV_ANTHROPIC, "claude-haiku-4-5-20251001", 0, 1, 1},
	    {UM_PROV_ANTHROPIC, "claude-opus-4-6", 0, 1, 1},
	    {UM_PROV_ANTHROPIC, "claude-opus-4-7", 1, 0, 0},
	    {UM_PROV_BEDROCK, "anthropic.claude-mythos-preview", 0, 1, 0},
	    {UM_PROV_ANTHROPIC, "sim-borealis", 0, 0, 1}, /* not a Claude: no rule known */
	    {UM_PROV_OPENAI, "anthropic/claude-sonnet-4-5", 0, 0, 0}, /* a router decides */
	    {UM_PROV_BEDROCK, "anthropic.claude-sonnet-4-20250514-v1:0", 0, 0, 1},
	    {UM_PROV_BEDROCK, "global.anthropic.claude-sonnet-4-5-20250929-v1:0", 0, 1, 1},
	    {UM_PROV_BEDROCK, "us.anthropic.claude-opus-4-7", 1, 0, 0},
	    {UM_PROV_BEDROCK, "meta.llama3-70b-instruct-v1:0", 0, 0, 0},
	    {UM_PROV_GEMINI, "gemini-2.5-pro", 0, 0, 1},
	};
	um_models *m;
	size_t i;

	(void)state;
	for (i = 0; i < UM_ARRAY_LEN(rows); i++) {
		um_caps c = models_caps_builtin(rows[i].p, rows[i].model);

		/* an effort (adaptive thinking) from Opus 4.6 on */
		int effort = strstr(rows[i].model, "opus-4-6") || strstr(rows[i].model, "opus-4-7") ||
			     strstr(rows[i].model, "mythos") || rows[i].p == UM_PROV_OPENAI;

		if (rows[i].p == UM_PROV_GEMINI)
			effort = 0;
		if (c.effort != effort)
			fail_msg("%s: effort %d", rows[i].model, c.effort);
		if (c.no_sampling != rows[i].no_sampling || c.one_sampler != rows[i].one_sampler ||
		    c.budget != rows[i].budget)
			fail_msg("%s: no_sampling %d one_sampler %d budget %d", rows[i].model,
				 c.no_sampling, c.one_sampler, c.budget);
	}
	/* the efforts each model knows */
	{
		static const struct {
			um_provider p;
			const char *model, *effort;
			int taken;
		} ef[] = {
		    {UM_PROV_GEMINI, "gemini-3-pro-preview", "high", 1},
		    {UM_PROV_GEMINI, "gemini-3-pro-preview", "medium", 0},
		    {UM_PROV_GEMINI, "gemini-3-flash-preview", "minimal", 1},
		    {UM_PROV_GEMINI, "gemini-3-flash-preview", "xhigh", 0},
		    {UM_PROV_GEMINI, "gemini-2.5-pro", "low", 0},
		    {UM_PROV_OPENAI, "o3", "minimal", 0},
		    {UM_PROV_OPENAI, "o4-mini", "high", 1},
		    {UM_PROV_OPENAI, "gpt-5", "minimal", 1},
		    {UM_PROV_OPENAI, "gpt-5", "bogus", 1}, /* no list: as written */
		    {UM_PROV_ANTHROPIC, "claude-opus-4-7", "xhigh", 1},
		    {UM_PROV_ANTHROPIC, "claude-opus-4-6", "xhigh", 0},
		    {UM_PROV_ANTHROPIC, "claude-opus-4-6", "bogus", 0},
		    {UM_PROV_ANTHROPIC, "claude-sonnet-4-5", "low", 0},
		};
		for (i = 0; i < UM_ARRAY_LEN(ef); i++) {
			um_caps c = models_caps_builtin(ef[i].p, ef[i].model);
			if (models_effort_taken(&c, ef[i].effort) != ef[i].taken)
				fail_msg("%s %s: taken %d", ef[i].model, ef[i].effort,
					 !ef[i].taken);
		}
		assert_int_equal(models_effort_taken(&(um_caps){0, 0, 1, 0, 0, 0}, NULL), 0);
	}
	/* the file overrides it, and says what it accepts */
	m = load_ok("umpire: 1\nsystems:\n  - {name: a, role: baseline, provider: anthropic, "
		    "base_url: 'https://x/v1', model: claude-sonnet-4-5,\n"
		    "     capabilities: {temperature_or_top_p: false}}\n");
	assert_int_equal(m->systems[0].caps.one_sampler, 0);
	assert_int_equal(m->systems[0].caps.budget, 1);
	models_free(m);
	/* reasoning_effort stated for a system: any effort goes */
	m = load_ok("umpire: 1\nsystems:\n  - {name: a, role: baseline, provider: gemini, "
		    "model: gemini-3-pro-preview,\n     capabilities: {reasoning_effort: true}}\n");
	assert_int_equal(models_effort_taken(&m->systems[0].caps, "medium"), 1);
	models_free(m);
	load_fails(SYS("    capabilities: {temperature_or_top_p: maybe}\n"), "temperature_or_top_p");
	load_fails(SYS("    capabilities: {top_p_or_temperature: true}\n"),
		   "(allowed: sampling, temperature_or_top_p, max_tokens_field, reasoning_effort, "
		   "thinking_budget)");
}

/* base_url read with curl_url(): what may not be in it. */
static void test_base_url_parsed(void **state)
{
	static const struct {
		const char *url, *why;
	} bad[] = {
	    {"https://user:pw@x.example/v1", "carries a user name"},
	    {"https://x.example/v1?api-version=1", "has a query"},
	    {"https://x.example/v1#frag", "has a fragment"},
	    {"ftp://x.example/v1", "must start with http:// or https://"},
	    {"https:///v1", "has no host"},
	    {"https://x.exa mple/v1", "space or control character"},
	    {"https://[::1/v1", "is not a URL libcurl can parse"},
	};
	char text[512];
	size_t i;

	(void)state;
	for (i = 0; i < UM_ARRAY_LEN(bad); i++) {
		snprintf(text, sizeof(text),
			 "umpire: 1\nsystems:\n  - {name: a, role: baseline, provider: openai, "
			 "base_url: '%s', model: m}\n",
			 bad[i].url);
		load_fails(text, bad[i].why);
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(models_role_name(UM_ROLE_ORCHESTRATOR), "orchestrator");
	assert_string_equal(models_role_name(UM_ROLE_BASELINE), "baseline");
	assert_string_equal(models_provider_name(UM_PROV_OPENAI), "openai");
	assert_string_equal(models_provider_name(UM_PROV_ANTHROPIC), "anthropic");
}

static void test_garbage(void **state)
{
	um_rng r;
	char buf[256];
	int round;
	size_t i;

	(void)state;
	um_rng_seed(&r, 11);
	for (round = 0; round < 200; round++) {
		um_error err = {0};
		um_models *m = NULL;

		for (i = 0; i < sizeof(buf); i++)
			buf[i] = round % 2 ? (char)um_rng_below(&r, 256)
					   : "{}[]:-, \n$'\"ab"[um_rng_below(&r, 14)];
		assert_int_equal(models_load_buffer("g.yaml", buf, sizeof(buf), 0, &m, &err), -1);
		assert_null(m);
		assert_true(um_has_prefix(err.msg, "g.yaml"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load_good),
	    cmocka_unit_test(test_rate_limits),
	    cmocka_unit_test(test_unset_variable),
	    cmocka_unit_test(test_example_file),
	    cmocka_unit_test(test_error_files),
	    cmocka_unit_test(test_errors_inline),
	    cmocka_unit_test(test_dollar_without_brace),
	    cmocka_unit_test(test_pricing_arithmetic),
	    cmocka_unit_test(test_price_conversion),
	    cmocka_unit_test(test_providers),
	    cmocka_unit_test(test_caps_table),
	    cmocka_unit_test(test_base_url_parsed),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
