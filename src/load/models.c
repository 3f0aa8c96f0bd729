/*
 * models.c - loading models.yaml: the systems under test, their endpoints,
 * pricing and limits, and the cost arithmetic.
 *
 * Secrets never pass through here: api_key_env names a variable that the
 * provider reads when it sends, and headers that would carry credentials
 * are refused, so the file's bytes (kept for the store) hold no secret.
 *
 * base_url may use ${VAR}. An unset variable is an error at load, with one
 * exception: in a file with `simulator:`, UMPIRE_SIM_URL is set by the runner
 * only once it has started the simulator, so such a base_url is left NULL
 * until models_expand_env(). Errors found then are located again by parsing
 * the stored file text, so they still say file:line:col.
 *
 * base_url is checked with libcurl's URL parser (curl_url()): an http(s)
 * URL with a host, and no user, password, query or fragment; the provider
 * joins its own path and query to it with the same parser. Providers with
 * a well-known endpoint (the presets, gemini, bedrock) may leave it out.
 *
 * Capabilities: what a model family accepts (sampling parameters,
 * max_tokens or max_completion_tokens, a reasoning effort, a thinking
 * budget) comes from the table models_caps_table[] by provider and model
 * name prefix, overridden key by key by the file's `capabilities:`. The
 * provider leaves out what a model cannot take, and the report says so.
 *
 * Prices are read as USD per million tokens and kept as integer micro-USD
 * per million tokens; costs are computed in 128-bit integers and rounded
 * half up once, at the end.
 */
#include "load/models.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/redact.h"
#include "base/util.h"
#include "load/yml.h"

#define MODELS_MAX_SYSTEMS 10000
#define MODELS_MAX_HEADERS 64
#define MODELS_SIM_VAR "UMPIRE_SIM_URL"
#define MODELS_DEFAULT_STALL_MS 60000
#define MODELS_AZURE_API_VERSION "2024-10-21"

static const char *const models_top_keys[] = {"umpire", "simulator", "proxy", "systems", NULL};
static const char *const models_proxy_keys[] = {"upstreams", "attribution", NULL};
static const char *const models_attributions[] = {"traceparent", "path", "single-flight", NULL};
static const char *const models_sys_keys[] = {
	"name", "role", "provider", "base_url", "model", "api_key_env", "headers",
	"anthropic_version", "pricing", "concurrency", "timeout_s", "max_retries",
	"requests_per_minute", "tokens_per_minute", "routing_report",
	"api_version", "deployment", "region", "stream", "stall_timeout_s", "capabilities", NULL,
};
static const char *const models_caps_keys[] = {"sampling",	     "temperature_or_top_p",
					       "max_tokens_field", "reasoning_effort",
					       "thinking_budget",  NULL};
static const char *const models_max_fields[] = {"max_tokens", "max_completion_tokens", NULL};
static const char *const models_routing_keys[] = {"json_pointer", "header", NULL};
static const char *const models_pricing_keys[] = {"input",	  "cached_input", "cache_write",
						  "output", "long_context", NULL};
static const char *const models_long_keys[] = {"above_tokens", "multiplier", NULL};
/* index order matches um_role */
static const char *const models_roles[] = {"baseline", "orchestrator", NULL};
/* What `provider:` may say: the wire families (index order matches
 * um_provider), then the presets, which speak the OpenAI wire and have a
 * documented default base_url. */
static const char *const models_providers[] = {
	"openai", "anthropic", "azure", "gemini", "bedrock",
	"openrouter", "vllm", "sglang", "ollama", NULL,
};
#define MODELS_N_FAMILIES 5
static const char *const models_default_urls[] = {
	NULL, NULL, NULL, "https://generativelanguage.googleapis.com/v1beta", NULL,
	"https://openrouter.ai/api/v1", "http://127.0.0.1:8000/v1", "http://127.0.0.1:30000/v1",
	"http://127.0.0.1:11434/v1",
};

/* The efforts a model knows (bits in the order of the scaffold's words). */
static const char *const models_efforts[] = {"none", "minimal", "low", "medium", "high", "xhigh"};
#define EF_MIN UM_EFFORT_BIT(1)
#define EF_LOW UM_EFFORT_BIT(2)
#define EF_HIGH UM_EFFORT_BIT(4)
#define EF_LMH (UM_EFFORT_BIT(2) | UM_EFFORT_BIT(3) | UM_EFFORT_BIT(4))
#define EF_LMHX (EF_LMH | UM_EFFORT_BIT(5))

/* The capability table: the first row whose provider matches and whose
 * prefix starts the model name (after any "vendor/" of a router's id, or
 * the "us." / "eu." / "global." of a Bedrock inference profile) applies;
 * the last row of each provider has an empty prefix. */
static const struct {
	um_provider prov;
	const char *prefix;
	um_caps caps; /* no_sampling, max_completion, effort, budget, one_sampler,
		       * effort_levels */
} models_caps_table[] = {
	/* OpenAI reasoning models reject temperature / top_p and max_tokens */
	{UM_PROV_OPENAI, "gpt-5-chat", {0, 1, 0, 0, 0, 0}},
	{UM_PROV_OPENAI, "gpt-5", {1, 1, 1, 0, 0, 0}},
	{UM_PROV_OPENAI, "o1", {1, 1, 1, 0, 0, EF_LMH}},
	{UM_PROV_OPENAI, "o3", {1, 1, 1, 0, 0, EF_LMH}},
	{UM_PROV_OPENAI, "o4", {1, 1, 1, 0, 0, EF_LMH}},
	{UM_PROV_OPENAI, "gpt-4", {0, 0, 0, 0, 0, 0}},
	{UM_PROV_OPENAI, "gpt-3.5", {0, 0, 0, 0, 0, 0}},
	{UM_PROV_OPENAI, "", {0, 0, 1, 0, 0, 0}},
	/* Claude: extended thinking from 3.7 on; from Opus 4.1 on temperature or
	 * top_p, not both; adaptive thinking with an effort from Opus 4.6 on
	 * (and a budget still); Opus 4.7 on takes no sampling parameter and no
	 * budget, only adaptive thinking */
	{UM_PROV_ANTHROPIC, "claude-3-7", {0, 0, 0, 1, 0, 0}},
	{UM_PROV_ANTHROPIC, "claude-3", {0, 0, 0, 0, 0, 0}},
	{UM_PROV_ANTHROPIC, "claude-sonnet-4-0", {0, 0, 0, 1, 0, 0}},
	{UM_PROV_ANTHROPIC, "claude-sonnet-4-20", {0, 0, 0, 1, 0, 0}},
	{UM_PROV_ANTHROPIC, "claude-opus-4-0", {0, 0, 0, 1, 0, 0}},
	{UM_PROV_ANTHROPIC, "claude-opus-4-20", {0, 0, 0, 1, 0, 0}},
	{UM_PROV_ANTHROPIC, "claude-opus-4-6", {0, 0, 1, 1, 1, EF_LMH}},
	{UM_PROV_ANTHROPIC, "claude-sonnet-4-6", {0, 0, 1, 1, 1, EF_LMH}},
	{UM_PROV_ANTHROPIC, "claude-opus-4-7", {1, 0, 1, 0, 0, EF_LMHX}},
	{UM_PROV_ANTHROPIC, "claude-opus-4-8", {1, 0, 1, 0, 0, EF_LMHX}},
	{UM_PROV_ANTHROPIC, "claude-opus-5", {1, 0, 1, 0, 0, EF_LMHX}},
	{UM_PROV_ANTHROPIC, "claude-sonnet-5", {0, 0, 1, 1, 1, EF_LMH}},
	/* adaptive thinking only (Anthropic's and AWS's adaptive-thinking pages) */
	{UM_PROV_ANTHROPIC, "claude-mythos", {0, 0, 1, 0, 1, EF_LMHX}},
	{UM_PROV_ANTHROPIC, "claude-fable", {1, 0, 1, 0, 0, EF_LMHX}},
	{UM_PROV_ANTHROPIC, "claude-", {0, 0, 0, 1, 1, 0}},
	/* another model behind the messages API: no rule known */
	{UM_PROV_ANTHROPIC, "", {0, 0, 0, 1, 0, 0}},
	/* Gemini 3 takes a thinking level (3 Pro: low or high), 2.5 a budget */
	{UM_PROV_GEMINI, "gemini-3-pro", {0, 0, 1, 1, 0, EF_LOW | EF_HIGH}},
	{UM_PROV_GEMINI, "gemini-3", {0, 0, 1, 1, 0, EF_MIN | EF_LMH}},
	{UM_PROV_GEMINI, "gemini-2.5", {0, 0, 0, 1, 0, 0}},
	{UM_PROV_GEMINI, "", {0, 0, 0, 0, 0, 0}},
	/* Bedrock: Claude (anthropic.claude-...) as on Anthropic's API, looked up
	 * there; other models take no reasoning setting */
	{UM_PROV_BEDROCK, "", {0, 0, 0, 0, 0, 0}},
};
/* headers the file may not set: credentials, and what the providers set */
static const char *const models_banned_headers[] = {
	"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie", "content-type",
	"content-length", "host", "anthropic-version", NULL,
};

const char *models_role_name(um_role r)
{
	return r == UM_ROLE_ORCHESTRATOR ? "orchestrator" : "baseline";
}

const char *models_provider_name(um_provider p)
{
	return (int)p >= 0 && (int)p < MODELS_N_FAMILIES ? models_providers[p] : "openai";
}

int models_provider_from_name(const char *name, um_provider *out)
{
	int i;

	for (i = 0; name && i < MODELS_N_FAMILIES; i++)
		if (strcmp(name, models_providers[i]) == 0) {
			*out = (um_provider)i;
			return 0;
		}
	return -1;
}

um_caps models_caps_builtin(um_provider p, const char *model)
{
	/* Azure deploys OpenAI's models: the same families. */
	um_provider fam = p == UM_PROV_AZURE ? UM_PROV_OPENAI : p;
	const char *m = model ? model : "", *slash = strrchr(m, '/');
	static const char *const profiles[] = {"us.", "eu.", "apac.", "global."};
	um_caps none = {0, 0, 0, 0, 0, 0};
	size_t i;

	if (slash)
		m = slash + 1;
	for (i = 0; fam == UM_PROV_BEDROCK && i < UM_ARRAY_LEN(profiles); i++)
		if (um_has_prefix(m, profiles[i]))
			m += strlen(profiles[i]);
	if (fam == UM_PROV_BEDROCK && um_has_prefix(m, "anthropic.claude-")) {
		m += strlen("anthropic.");
		fam = UM_PROV_ANTHROPIC;
	}
	for (i = 0; i < UM_ARRAY_LEN(models_caps_table); i++)
		if (models_caps_table[i].prov == fam && um_has_prefix(m, models_caps_table[i].prefix))
			return models_caps_table[i].caps;
	return none;
}

int models_effort_taken(const um_caps *caps, const char *effort)
{
	size_t i;

	if (!caps->effort || !effort)
		return 0;
	if (!caps->effort_levels)
		return 1;
	for (i = 0; i < UM_ARRAY_LEN(models_efforts); i++)
		if (strcmp(effort, models_efforts[i]) == 0)
			return (caps->effort_levels & UM_EFFORT_BIT(i)) != 0;
	return 0;
}

int models_find(const um_models *m, const char *name)
{
	int i;

	for (i = 0; m && name && i < m->n_systems; i++)
		if (strcmp(m->systems[i].name, name) == 0)
			return i;
	return -1;
}

int64_t pricing_cost_micro(const um_pricing *p, int64_t tokens_in, int64_t tokens_cached,
			   int64_t tokens_written, int64_t tokens_out)
{
	__extension__ typedef __int128 i128;
	i128 num, den = 1000000;

	if (tokens_in < 0)
		tokens_in = 0;
	if (tokens_cached < 0)
		tokens_cached = 0;
	if (tokens_cached > tokens_in)
		tokens_cached = tokens_in;
	if (tokens_written < 0)
		tokens_written = 0;
	if (tokens_written > tokens_in - tokens_cached)
		tokens_written = tokens_in - tokens_cached;
	if (tokens_out < 0)
		tokens_out = 0;
	num = (i128)(tokens_in - tokens_cached - tokens_written) * p->input +
	      (i128)tokens_cached * p->cached_input + (i128)tokens_written * p->cache_write +
	      (i128)tokens_out * p->output;
	if (p->long_threshold > 0 && tokens_in > p->long_threshold &&
	    p->long_multiplier_milli > 0) {
		num *= p->long_multiplier_milli;
		den *= 1000;
	}
	if (num <= 0)
		return 0;
	num = (num + den / 2) / den;
	return num > (i128)INT64_MAX ? INT64_MAX : (int64_t)num;
}

/* ---- ${VAR} expansion ---------------------------------------------------- */

static int models_var_char(char c, int first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')
		return 1;
	return !first && c >= '0' && c <= '9';
}

static int models_env_name_ok(const char *s)
{
	const char *p;

	if (!*s)
		return 0;
	for (p = s; *p; p++)
		if (!models_var_char(*p, p == s))
			return 0;
	return 1;
}

/* Check the ${...} syntax of raw; returns NULL or a description of the flaw. */
static const char *models_expand_syntax(const char *raw)
{
	const char *p = raw, *q;

	while ((p = strchr(p, '$')) != NULL) {
		if (p[1] != '{') {
			p++;
			continue;
		}
		for (q = p + 2; models_var_char(*q, q == p + 2); q++)
			;
		if (q == p + 2 || *q != '}')
			return "'${' must be followed by a variable name and '}'";
		p = q + 1;
	}
	return NULL;
}

/* Expand raw (syntax already checked). Returns 0 with *out, or 1 with the
 * first unset variable's name in *unset (caller frees). */
static int models_expand(const char *raw, char **out, char **unset)
{
	um_buf b = UM_BUF_INIT;
	const char *p = raw, *d, *q;

	um_buf_init(&b, 0);
	while ((d = strstr(p, "${")) != NULL) {
		char *name;
		const char *val;

		q = strchr(d, '}');
		um_buf_append(&b, p, (size_t)(d - p));
		name = um_xstrndup(d + 2, (size_t)(q - d - 2));
		val = getenv(name);
		if (!val) {
			um_buf_release(&b);
			*unset = name;
			return 1;
		}
		um_buf_puts(&b, val);
		free(name);
		p = q + 1;
	}
	um_buf_puts(&b, p);
	*out = um_buf_detach(&b);
	return 0;
}

/* The parts of a URL that curl_url() finds in it (caller frees each). */
static char *models_url_part(CURLU *h, CURLUPart part)
{
	char *v = NULL, *out;

	if (curl_url_get(h, part, &v, 0) != CURLUE_OK || !v)
		return NULL;
	out = um_xstrdup(v);
	curl_free(v);
	return out;
}

const char *models_url_check(char *url, int *secret)
{
	static const struct {
		CURLUPart part;
		const char *why;
	} banned[] = {
		{CURLUPART_USER, "carries a user name: credentials come from api_key_env"},
		{CURLUPART_PASSWORD, "carries a password: credentials come from api_key_env"},
		{CURLUPART_QUERY, "has a query; the provider adds its own (azure: api_version)"},
		{CURLUPART_FRAGMENT, "has a fragment"},
	};
	const char *why = NULL, *p;
	CURLU *h;
	char *scheme = NULL, *host = NULL, *v;
	size_t i, len;

	*secret = 0;
	for (p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return "contains a space or control character";
	p = strstr(url, "://");
	if (p && (p[3] == '\0' || p[3] == '/'))
		return "has no host"; /* libcurl would read "https:///v1" as host v1 */
	h = curl_url();
	if (!h)
		return "cannot be parsed (out of memory)";
	if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK) {
		why = strstr(url, "://") ? "is not a URL libcurl can parse"
					 : "must start with http:// or https://";
		*secret = strchr(url, '@') != NULL;
		goto done;
	}
	scheme = models_url_part(h, CURLUPART_SCHEME);
	host = models_url_part(h, CURLUPART_HOST);
	if (!scheme || (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		why = "must start with http:// or https://";
		goto done;
	}
	if (!host || !*host) {
		why = "has no host";
		goto done;
	}
	for (i = 0; i < UM_ARRAY_LEN(banned) && !why; i++) {
		v = models_url_part(h, banned[i].part);
		if (v) {
			why = banned[i].why;
			*secret = i < 2;
		}
		free(v);
	}
	if (why)
		goto done;
	/* what was written, less its trailing slashes (the path is joined to it) */
	p = strstr(url, "://");
	len = strlen(url);
	while (p && len > (size_t)(p - url) + 3 && url[len - 1] == '/')
		url[--len] = '\0';
done:
	free(scheme);
	free(host);
	curl_url_cleanup(h);
	return why;
}

/* ---- loading ------------------------------------------------------------ */

typedef struct models_ctx {
	const yml_doc *d;
	um_models *m;
	unsigned flags;
	um_error *err;
} models_ctx;

/* Expand system s's base_url. *deferred is set when an unset variable may be
 * supplied later. node locates messages (may be NULL: file only). */
static int models_expand_one(const yml_doc *d, const yml_node *node, um_system *s, int defer_ok,
			     int sim_ok, int *deferred, um_error *err)
{
	char *url = NULL, *unset = NULL;
	const char *why;
	int secret;

	*deferred = 0;
	free(s->base_url);
	s->base_url = NULL;
	if (models_expand(s->base_url_raw, &url, &unset) == 1) {
		if (defer_ok || (sim_ok && strcmp(unset, MODELS_SIM_VAR) == 0)) {
			free(unset);
			*deferred = 1;
			return 0;
		}
		yml_fail(d, node, UM_ERR_INVALID, err,
			 "system '%s': base_url uses ${%s}, but the environment variable %s is "
			 "not set",
			 s->name, unset, unset);
		free(unset);
		return -1;
	}
	why = models_url_check(url, &secret);
	if (why) {
		yml_fail(d, node, UM_ERR_INVALID, err, "system '%s': base_url '%s' %s", s->name,
			 secret ? "(not shown)" : url, why);
		free(url);
		return -1;
	}
	s->base_url = url;
	return 0;
}

static int models_name_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == ':' || *s == '-'))
			return 0;
	return 1;
}

static int models_header_name_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || strchr("!#$%&'*+-.^_`|~", *s)))
			return 0;
	return 1;
}

static int64_t models_usd_to_micro(double usd)
{
	return (int64_t)llround(usd * 1e6);
}

static int models_read_pricing(models_ctx *c, const yml_node *pn, um_system *s)
{
	const yml_doc *d = c->d;
	const yml_node *lc;
	double v;
	int64_t above;

	if (yml_check_keys(d, pn, models_pricing_keys, "pricing", c->err) < 0)
		return -1;
	if (yml_double(d, pn, "input", 1, 0, 1e6, &v, c->err) < 0)
		return -1;
	s->pricing.input = models_usd_to_micro(v);
	s->pricing.cached_input = s->pricing.input;
	if (yml_double(d, pn, "output", 1, 0, 1e6, &v, c->err) < 0)
		return -1;
	s->pricing.output = models_usd_to_micro(v);
	v = -1;
	if (yml_double(d, pn, "cache_write", 0, 0, 1e6, &v, c->err) < 0)
		return -1;
	s->pricing.cache_write = v >= 0 ? models_usd_to_micro(v) : s->pricing.input;
	v = -1;
	if (yml_double(d, pn, "cached_input", 0, 0, 1e6, &v, c->err) < 0)
		return -1;
	if (v >= 0)
		s->pricing.cached_input = models_usd_to_micro(v);
	lc = yml_get(pn, "long_context");
	if (lc && !yml_is_null(lc)) {
		if (yml_check_keys(d, lc, models_long_keys, "long_context", c->err) < 0)
			return -1;
		if (yml_int(d, lc, "above_tokens", 1, 1, INT64_C(1000000000000), &above, c->err) <
		    0)
			return -1;
		if (yml_double(d, lc, "multiplier", 1, 0.001, 1000, &v, c->err) < 0)
			return -1;
		s->pricing.long_threshold = above;
		s->pricing.long_multiplier_milli = (int64_t)llround(v * 1000);
	}
	return 0;
}

static int models_read_headers(models_ctx *c, const yml_node *hn, um_system *s)
{
	const yml_doc *d = c->d;
	size_t i;
	int j;

	if (yml_expect(d, hn, YML_MAP, "headers", c->err) < 0)
		return -1;
	if (hn->n > MODELS_MAX_HEADERS)
		return yml_fail(d, hn, UM_ERR_INVALID, c->err, "'headers' holds more than %d",
				MODELS_MAX_HEADERS);
	s->header_names = um_xcalloc(hn->n ? hn->n : 1, sizeof(char *));
	s->header_values = um_xcalloc(hn->n ? hn->n : 1, sizeof(char *));
	for (i = 0; i < hn->n; i++) {
		const char *name = hn->keys[i]->scalar;
		char *val = NULL;
		const char *p;

		if (!models_header_name_ok(name))
			return yml_fail(d, hn->keys[i], UM_ERR_INVALID, c->err,
					"'%s' is not a valid HTTP header name", name);
		for (j = 0; models_banned_headers[j]; j++)
			if (strcasecmp(name, models_banned_headers[j]) == 0)
				return yml_fail(d, hn->keys[i], UM_ERR_INVALID, c->err,
						"header '%s' may not be set here: credentials "
						"come from the variable named by api_key_env, and "
						"the provider sets the protocol headers",
						name);
		if (yml_node_str(d, hn->items[i], name, &val, c->err) < 0)
			return -1;
		for (p = val; *p; p++) {
			if ((unsigned char)*p < ' ' || *p == 0x7f) {
				free(val);
				return yml_fail(d, hn->items[i], UM_ERR_INVALID, c->err,
						"header '%s' has a control character in its value",
						name);
			}
		}
		s->header_names[i] = um_xstrdup(name);
		s->header_values[i] = val;
		s->n_headers = (int)i + 1;
	}
	return 0;
}

/* name, role and provider (a preset sets the OpenAI wire and its name). */
static int models_read_identity(models_ctx *c, const yml_node *sn, size_t idx, um_system *s)
{
	const yml_doc *d = c->d;
	const yml_node *n;
	int role = 0, prov = 0, j;

	if (yml_str(d, sn, "name", 1, &s->name, c->err) < 0)
		return -1;
	n = yml_get(sn, "name");
	if (!models_name_ok(s->name))
		return yml_fail(d, n, UM_ERR_INVALID, c->err,
				"'name' must match [A-Za-z0-9._:-]+, got '%s'", s->name);
	for (j = 0; j < (int)idx; j++)
		if (strcmp(c->m->systems[j].name, s->name) == 0)
			return yml_fail(d, n, UM_ERR_INVALID, c->err,
					"system name '%s' is used twice (names must be unique)",
					s->name);
	if (yml_enum(d, sn, "role", 1, models_roles, &role, c->err) < 0 ||
	    yml_enum(d, sn, "provider", 1, models_providers, &prov, c->err) < 0)
		return -1;
	s->role = (um_role)role;
	if (prov >= MODELS_N_FAMILIES) {
		s->provider = UM_PROV_OPENAI;
		s->preset = um_xstrdup(models_providers[prov]);
	} else {
		s->provider = (um_provider)prov;
	}
	if (yml_str(d, sn, "model", 1, &s->model, c->err) < 0)
		return -1;
	if (!*s->model)
		return yml_fail(d, yml_get(sn, "model"), UM_ERR_INVALID, c->err,
				"'model' must not be empty");
	return 0;
}

/* A key that only some providers take: an error on the others. */
static int models_only_for(models_ctx *c, const yml_node *sn, const char *key, um_system *s,
			   um_provider p)
{
	if (yml_get(sn, key) && s->provider != p)
		return yml_fail(c->d, yml_get(sn, key), UM_ERR_INVALID, c->err,
				"'%s' applies to provider %s only", key, models_provider_name(p));
	return 0;
}

static int models_token_ok(const char *s, const char *extra)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return 0;
	return 1;
}

/* base_url (or the provider's default) and the keys that shape the URL:
 * azure's deployment and api_version, bedrock's region. */
static int models_read_endpoint(models_ctx *c, const yml_node *sn, um_system *s)
{
	const yml_doc *d = c->d;
	const yml_node *n;
	const char *why, *dflt;
	int deferred = 0, prov_index;

	if (models_only_for(c, sn, "api_version", s, UM_PROV_AZURE) < 0 ||
	    models_only_for(c, sn, "deployment", s, UM_PROV_AZURE) < 0 ||
	    models_only_for(c, sn, "region", s, UM_PROV_BEDROCK) < 0 ||
	    yml_str(d, sn, "api_version", 0, &s->api_version, c->err) < 0 ||
	    yml_str(d, sn, "deployment", 0, &s->deployment, c->err) < 0 ||
	    yml_str(d, sn, "region", 0, &s->region, c->err) < 0)
		return -1;
	if (s->api_version && !models_token_ok(s->api_version, "-._"))
		return yml_fail(d, yml_get(sn, "api_version"), UM_ERR_INVALID, c->err,
				"'api_version' must be like 2024-10-21, got '%s'", s->api_version);
	if (s->deployment && !models_token_ok(s->deployment, "-._"))
		return yml_fail(d, yml_get(sn, "deployment"), UM_ERR_INVALID, c->err,
				"'deployment' must match [A-Za-z0-9._-]+, got '%s'", s->deployment);
	if (s->provider == UM_PROV_AZURE && !s->api_version)
		s->api_version = um_xstrdup(MODELS_AZURE_API_VERSION);
	if (s->provider == UM_PROV_BEDROCK && !s->region)
		return yml_fail(d, sn, UM_ERR_INVALID, c->err,
				"system '%s': provider bedrock needs 'region' (e.g. us-east-1)",
				s->name);
	if (s->region && !models_token_ok(s->region, "-"))
		return yml_fail(d, yml_get(sn, "region"), UM_ERR_INVALID, c->err,
				"'region' must be like us-east-1, got '%s'", s->region);

	prov_index = (int)s->provider;
	while (s->preset && models_providers[prov_index] &&
	       strcmp(models_providers[prov_index], s->preset) != 0)
		prov_index++;
	dflt = models_providers[prov_index] ? models_default_urls[prov_index] : NULL;
	if (yml_str(d, sn, "base_url", 0, &s->base_url_raw, c->err) < 0)
		return -1;
	if (!s->base_url_raw && s->provider == UM_PROV_BEDROCK)
		s->base_url_raw = um_xasprintf("https://bedrock-runtime.%s.amazonaws.com", s->region);
	else if (!s->base_url_raw && dflt)
		s->base_url_raw = um_xstrdup(dflt);
	if (!s->base_url_raw)
		return yml_fail(d, sn, UM_ERR_INVALID, c->err, "missing required key 'base_url'");
	n = yml_get(sn, "base_url");
	why = models_expand_syntax(s->base_url_raw);
	if (why)
		return yml_fail(d, n, UM_ERR_INVALID, c->err, "system '%s': base_url: %s", s->name,
				why);
	return models_expand_one(d, n ? n : sn, s, (c->flags & UM_MODELS_DEFER_ENV) != 0,
				 c->m->simulator_pool != NULL, &deferred, c->err);
}

/* api_key_env, headers, anthropic_version. */
static int models_read_auth(models_ctx *c, const yml_node *sn, um_system *s)
{
	const yml_doc *d = c->d;
	const yml_node *n;

	if (yml_str(d, sn, "api_key_env", 0, &s->api_key_env, c->err) < 0)
		return -1;
	if (s->api_key_env && !models_env_name_ok(s->api_key_env))
		return yml_fail(d, yml_get(sn, "api_key_env"), UM_ERR_INVALID, c->err,
				"'api_key_env' must name an environment variable "
				"([A-Za-z_][A-Za-z0-9_]*), got '%s'",
				s->api_key_env);
	if (s->api_key_env)
		redact_add(getenv(s->api_key_env)); /* never stored, printed or bundled */
	n = yml_get(sn, "headers");
	if (n && !yml_is_null(n) && models_read_headers(c, n, s) < 0)
		return -1;
	if (yml_str(d, sn, "anthropic_version", 0, &s->anthropic_version, c->err) < 0)
		return -1;
	if (s->anthropic_version && s->provider != UM_PROV_ANTHROPIC)
		return yml_fail(d, yml_get(sn, "anthropic_version"), UM_ERR_INVALID, c->err,
				"'anthropic_version' applies to provider anthropic only");
	if (!s->anthropic_version)
		s->anthropic_version = um_xstrdup("2023-06-01");
	return 0;
}

static int models_read_routing(models_ctx *c, const yml_node *sn, um_system *s)
{
	const yml_doc *d = c->d;
	const yml_node *n = yml_get(sn, "routing_report");

	if (!n || yml_is_null(n))
		return 0;
	if (yml_expect(d, n, YML_MAP, "routing_report", c->err) < 0 ||
	    yml_check_keys(d, n, models_routing_keys, "routing_report", c->err) < 0 ||
	    yml_str(d, n, "json_pointer", 0, &s->routing_pointer, c->err) < 0 ||
	    yml_str(d, n, "header", 0, &s->routing_header, c->err) < 0)
		return -1;
	if (!s->routing_pointer == !s->routing_header)
		return yml_fail(d, n, UM_ERR_INVALID, c->err,
				"'routing_report' takes one of json_pointer and header");
	if (s->routing_pointer && s->routing_pointer[0] != '/' && s->routing_pointer[0])
		return yml_fail(d, yml_get(n, "json_pointer"), UM_ERR_INVALID, c->err,
				"a JSON pointer starts with '/' (RFC 6901), got '%s'",
				s->routing_pointer);
	return 0;
}

/* concurrency, timeout_s, max_retries, requests_per_minute, tokens_per_minute,
 * stream, stall_timeout_s. */
static int models_read_limits(models_ctx *c, const yml_node *sn, um_system *s)
{
	const yml_doc *d = c->d;
	int64_t iv;
	double t;

	iv = 8;
	if (yml_int(d, sn, "concurrency", 0, 1, 100000, &iv, c->err) < 0)
		return -1;
	s->concurrency = (int)iv;
	t = 120;
	if (yml_double(d, sn, "timeout_s", 0, 0.001, 86400, &t, c->err) < 0)
		return -1;
	s->timeout_ms = (int)llround(t * 1000);
	iv = 4;
	if (yml_int(d, sn, "max_retries", 0, 0, 100, &iv, c->err) < 0)
		return -1;
	s->max_retries = (int)iv;
	s->requests_per_minute = s->tokens_per_minute = 0;
	if (yml_int(d, sn, "requests_per_minute", 0, 1, 100000000, &s->requests_per_minute,
		    c->err) < 0 ||
	    yml_int(d, sn, "tokens_per_minute", 0, 1, INT64_C(100000000000),
		    &s->tokens_per_minute, c->err) < 0)
		return -1;
	if (yml_bool(d, sn, "stream", 0, &s->stream, c->err) < 0)
		return -1;
	t = MODELS_DEFAULT_STALL_MS / 1000.0;
	if (yml_double(d, sn, "stall_timeout_s", 0, 1, 86400, &t, c->err) < 0)
		return -1;
	if (yml_get(sn, "stall_timeout_s") && !s->stream)
		return yml_fail(d, yml_get(sn, "stall_timeout_s"), UM_ERR_INVALID, c->err,
				"'stall_timeout_s' applies to streamed systems (stream: true)");
	s->stall_ms = (int)llround(t * 1000);
	return 0;
}

/* The built-in capabilities of the model, then the file's overrides. */
static int models_read_caps(models_ctx *c, const yml_node *sn, um_system *s)
{
	const yml_doc *d = c->d;
	const yml_node *n = yml_get(sn, "capabilities");
	int field, sampling;

	s->caps = models_caps_builtin(s->provider, s->model);
	if (!n || yml_is_null(n))
		return 0;
	field = s->caps.max_completion;
	sampling = !s->caps.no_sampling;
	if (yml_expect(d, n, YML_MAP, "capabilities", c->err) < 0 ||
	    yml_check_keys(d, n, models_caps_keys, "capabilities", c->err) < 0 ||
	    yml_bool(d, n, "sampling", 0, &sampling, c->err) < 0 ||
	    yml_bool(d, n, "temperature_or_top_p", 0, &s->caps.one_sampler, c->err) < 0 ||
	    yml_enum(d, n, "max_tokens_field", 0, models_max_fields, &field, c->err) < 0 ||
	    yml_bool(d, n, "reasoning_effort", 0, &s->caps.effort, c->err) < 0 ||
	    yml_bool(d, n, "thinking_budget", 0, &s->caps.budget, c->err) < 0)
		return -1;
	if (field && s->provider != UM_PROV_OPENAI && s->provider != UM_PROV_AZURE)
		return yml_fail(d, yml_get(n, "max_tokens_field"), UM_ERR_INVALID, c->err,
				"max_completion_tokens is a field of the OpenAI wire (openai, "
				"azure and the presets)");
	s->caps.max_completion = field;
	s->caps.no_sampling = !sampling;
	if (yml_get(n, "reasoning_effort"))
		s->caps.effort_levels = 0; /* stated for this system: any effort goes */
	return 0;
}

static int models_read_system(models_ctx *c, const yml_node *sn, size_t idx, um_system *s)
{
	const yml_node *n;
	char what[40];

	snprintf(what, sizeof(what), "systems[%zu]", idx);
	if (yml_check_keys(c->d, sn, models_sys_keys, what, c->err) < 0 ||
	    models_read_identity(c, sn, idx, s) < 0 || models_read_endpoint(c, sn, s) < 0 ||
	    models_read_auth(c, sn, s) < 0 || models_read_routing(c, sn, s) < 0)
		return -1;
	n = yml_get(sn, "pricing");
	if (n && !yml_is_null(n) && models_read_pricing(c, n, s) < 0)
		return -1;
	return models_read_limits(c, sn, s) < 0 || models_read_caps(c, sn, s) < 0 ? -1 : 0;
}

int models_load_buffer(const char *file, const char *data, size_t len, unsigned flags,
		       um_models **out, um_error *err)
{
	models_ctx c;
	um_models *m;
	yml_doc *d;
	const yml_node *seq;
	char *sim = NULL;
	size_t i;

	*out = NULL;
	if (!file)
		file = "<models>";
	d = yml_load_buffer(file, data, len, err);
	if (!d)
		return -1;
	m = um_xcalloc(1, sizeof(*m));
	m->path = um_xstrdup(file);
	m->text = um_xstrndup(data ? data : "", data ? len : 0);
	um_sha256_hex(data ? data : "", data ? len : 0, m->sha256);
	c.d = d;
	c.m = m;
	c.flags = flags;
	c.err = err;

	if (yml_check_schema(d, "models file", err) < 0 ||
	    yml_check_keys(d, d->root, models_top_keys, "models file", err) < 0)
		goto fail;
	if (yml_str(d, d->root, "simulator", 0, &sim, err) < 0)
		goto fail;
	if (sim) {
		if (!*sim) {
			yml_fail(d, yml_get(d->root, "simulator"), UM_ERR_INVALID, err,
				 "'simulator' must name a pool file");
			free(sim);
			goto fail;
		}
		m->simulator_pool = um_path_relative_to(file, sim);
		free(sim);
	}
	{
		const yml_node *px = yml_get(d->root, "proxy");
		if (px && !yml_is_null(px)) {
			char *up = NULL;
			int att = 0;
			if (yml_expect(d, px, YML_MAP, "proxy", err) < 0 ||
			    yml_check_keys(d, px, models_proxy_keys, "proxy", err) < 0 ||
			    yml_str(d, px, "upstreams", 0, &up, err) < 0 ||
			    yml_enum(d, px, "attribution", 0, models_attributions, &att, err) < 0) {
				free(up);
				goto fail;
			}
			m->proxy = 1;
			m->proxy_attribution = att;
			if (up) {
				m->proxy_upstreams = um_path_relative_to(file, up);
				free(up);
			}
		}
	}
	seq = yml_get(d->root, "systems");
	if (!seq) {
		yml_fail(d, d->root, UM_ERR_INVALID, err, "missing required key 'systems'");
		goto fail;
	}
	if (yml_expect(d, seq, YML_SEQ, "systems", err) < 0)
		goto fail;
	if (seq->n == 0 || seq->n > MODELS_MAX_SYSTEMS) {
		yml_fail(d, seq, UM_ERR_INVALID, err, "'systems' must hold 1 to %d systems",
			 MODELS_MAX_SYSTEMS);
		goto fail;
	}
	m->systems = um_xcalloc(seq->n, sizeof(*m->systems));
	for (i = 0; i < seq->n; i++) {
		m->n_systems = (int)i + 1;
		if (models_read_system(&c, seq->items[i], i, &m->systems[i]) < 0)
			goto fail;
	}
	yml_doc_free(d);
	*out = m;
	return 0;
fail:
	yml_doc_free(d);
	models_free(m);
	return -1;
}

int models_load_flags(const char *path, unsigned flags, um_models **out, um_error *err)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (um_read_file(path, &data, &len, err) < 0)
		return -1;
	rc = models_load_buffer(path, data, len, flags, out, err);
	free(data);
	return rc;
}

int models_load(const char *path, um_models **out, um_error *err)
{
	return models_load_flags(path, 0, out, err);
}

/* The base_url node of system i, found again in the stored text. */
static const yml_node *models_base_url_node(const yml_doc *d, int i)
{
	const yml_node *seq = d ? yml_get(d->root, "systems") : NULL;

	if (!seq || seq->kind != YML_SEQ || (size_t)i >= seq->n)
		return NULL;
	return yml_get(seq->items[i], "base_url");
}

int models_expand_system(um_models *m, int i, um_error *err)
{
	yml_doc fallback = {m->path, NULL};
	um_system *s = &m->systems[i];
	um_error tmp = {0};
	yml_doc *d;
	int deferred, rc;

	if (models_expand_one(&fallback, NULL, s, 0, 0, &deferred, &tmp) == 0)
		return 0;
	/* parse the stored text again to say where the base_url is */
	d = yml_load_buffer(m->path, m->text, strlen(m->text), NULL);
	rc = models_expand_one(d ? d : &fallback, models_base_url_node(d, i), s, 0, 0, &deferred,
			       err);
	yml_doc_free(d);
	return rc;
}

int models_expand_env(um_models *m, um_error *err)
{
	int i;

	for (i = 0; i < m->n_systems; i++)
		if (models_expand_system(m, i, err) < 0)
			return -1;
	return 0;
}

void models_free(um_models *m)
{
	int i, j;

	if (!m)
		return;
	for (i = 0; i < m->n_systems; i++) {
		um_system *s = &m->systems[i];

		free(s->name);
		free(s->base_url);
		free(s->base_url_raw);
		free(s->model);
		free(s->api_key_env);
		for (j = 0; j < s->n_headers; j++) {
			free(s->header_names[j]);
			free(s->header_values[j]);
		}
		free(s->header_names);
		free(s->header_values);
		free(s->anthropic_version);
		free(s->preset);
		free(s->api_version);
		free(s->deployment);
		free(s->region);
		free(s->routing_pointer);
		free(s->routing_header);
	}
	free(m->systems);
	free(m->simulator_pool);
	free(m->proxy_upstreams);
	free(m->path);
	free(m->text);
	free(m);
}
