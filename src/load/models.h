/*
 * models.h - the systems under test: endpoint, provider, model name, pricing
 * and limits. Format: docs/models.md; example: models.example.yaml.
 *
 * API keys are never read from the file: api_key_env names an environment
 * variable, read when a request is built, and never stored.
 * base_url may use ${VAR} from the environment (e.g. ${UMPIRE_SIM_URL}, set
 * by the runner when it starts the built-in simulator).
 */
#ifndef UMPIRE_MODELS_H
#define UMPIRE_MODELS_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

typedef enum { UM_ROLE_BASELINE, UM_ROLE_ORCHESTRATOR } um_role;
/* The wire families. The presets (openrouter, vllm, sglang, ollama) speak
 * the OpenAI one and are kept as UM_PROV_OPENAI with um_system.preset set. */
typedef enum {
	UM_PROV_OPENAI,
	UM_PROV_ANTHROPIC,
	UM_PROV_AZURE,
	UM_PROV_GEMINI,
	UM_PROV_BEDROCK,
} um_provider;

/* What a model family accepts (docs/models.md, "Capabilities"): the
 * built-in table by provider and model name, overridden by the file's
 * `capabilities:`. A parameter the model cannot take is not sent, and the
 * run's report names it. All zero: sampling sent, max_tokens as is, no
 * reasoning parameter sent. */
typedef struct um_caps {
	int no_sampling;        /* temperature, top_p (top_k) are refused: not sent */
	int max_completion;     /* OpenAI wire: max_tokens goes as max_completion_tokens */
	int effort;             /* takes reasoning.effort (reasoning_effort, thinkingLevel) */
	int budget;             /* takes reasoning.budget_tokens (thinking, thinkingBudget) */
	int one_sampler;        /* takes temperature or top_p, not both: with both
				 * to be sent, top_p is not */
	unsigned effort_levels; /* with effort: the efforts it knows, bit i for the
				 * i-th of none, minimal, low, medium, high, xhigh
				 * (UM_EFFORT_BIT); 0: any */
} um_caps;

#define UM_EFFORT_BIT(i) (1u << (i))
/* 1 when caps take reasoning.effort and know the word effort. */
int models_effort_taken(const um_caps *caps, const char *effort);

/* Prices in micro-USD per million tokens (USD/Mtok * 1e6), integers. */
typedef struct um_pricing {
	int64_t input;          /* per Mtok of uncached input */
	int64_t cached_input;   /* per Mtok of cached input */
	int64_t output;         /* per Mtok of output */
	int64_t long_threshold; /* input tokens above which the long tier applies; 0 = none */
	int64_t long_multiplier_milli; /* 2000 = x2.0 on the whole call */
	int64_t cache_write;    /* per Mtok of input written to a prompt cache (default: input) */
} um_pricing;

typedef struct um_system {
	char *name;             /* unique; what reports call it */
	um_role role;
	um_provider provider;
	char *preset;           /* openrouter | vllm | sglang | ollama, or NULL */
	char *base_url;         /* after ${VAR} expansion (a preset's default if not given) */
	char *base_url_raw;     /* as written */
	char *model;            /* sent as the model field */
	char *api_key_env;      /* may be NULL (no auth header) */
	char **header_names;    /* extra headers (values are not secrets) */
	char **header_values;
	int n_headers;
	um_pricing pricing;
	int concurrency;        /* max in flight (default 8) */
	int timeout_ms;         /* per call (default 120000) */
	int max_retries;        /* HTTP retries after the first try (default 4) */
	int64_t requests_per_minute, tokens_per_minute; /* the provider's limits for
				 * this model (docs/models.md, "Rate limits"); 0: none */
	char *anthropic_version; /* anthropic-version header (default "2023-06-01") */
	char *api_version;      /* azure: the api-version query (default "2024-10-21") */
	char *deployment;       /* azure: the deployment in the URL (default: model) */
	char *region;           /* bedrock: the AWS region (required) */
	int stream;             /* ask for a streamed (SSE) response */
	int stall_ms;           /* streamed: no byte for this long is a timeout (default 60000) */
	um_caps caps;           /* resolved capabilities of this model */
	char *routing_pointer;  /* where the orchestrator reports its routing in the
				 * response body (RFC 6901 JSON pointer), or NULL */
	char *routing_header;   /* or the response header that carries it (JSON) */
} um_system;

typedef struct um_models {
	char *path;
	um_system *systems;
	int n_systems;
	char *simulator_pool;   /* `simulator:` path, resolved; NULL if absent */
	int proxy;              /* `proxy:` given: orchestrators call their pool through
				 * umpire's recording proxy during the run */
	char *proxy_upstreams;  /* models-format file of the sub-models; NULL: this file */
	int proxy_attribution;  /* 0 traceparent, 1 path token, 2 single-flight */
	char sha256[65];        /* of the file bytes (the file holds no secrets) */
	char *text;             /* the file bytes, for the store */
} um_models;

/* Load and validate. Caller frees *out with models_free. An unset ${VAR} in
 * a base_url is an error naming the system, the field and the variable,
 * except UMPIRE_SIM_URL in a file with `simulator:`: that base_url is left
 * NULL until models_expand_env() runs after the simulator has started.
 * An expanded base_url must be http(s)://host...; trailing '/' are dropped. */
int models_load(const char *path, um_models **out, um_error *err);
/* The same from bytes (file names them in messages). flags: */
#define UM_MODELS_DEFER_ENV 1u /* unset variables leave base_url NULL (no error):
				* for reading a stored models file offline */
int models_load_buffer(const char *file, const char *data, size_t len, unsigned flags,
		       um_models **out, um_error *err);
/* models_load with flags: a run loads with UM_MODELS_DEFER_ENV, then expands
 * the systems it runs (models_expand_system). */
int models_load_flags(const char *path, unsigned flags, um_models **out, um_error *err);
void models_free(um_models *m);
/* Re-expand ${VAR} in every base_url from base_url_raw (after the runner set
 * UMPIRE_SIM_URL). Unset variables are errors with file:line:col. */
int models_expand_env(um_models *m, um_error *err);
/* The same for system i alone: a run of some systems needs only their
 * variables. */
int models_expand_system(um_models *m, int i, um_error *err);
int models_find(const um_models *m, const char *name); /* index or -1 */

/* Cost of one call in micro-USD, rounded half up (long tier included).
 * tokens_in counts all input tokens, cached ones included; tokens_cached is
 * the subset read from a cache, tokens_written the subset written to one:
 * cost = (in - cached - written) * input + cached * cached_input
 * + written * cache_write + out * output, all / 1e6, times the long-tier
 * multiplier when in > long_threshold. */
int64_t pricing_cost_micro(const um_pricing *p, int64_t tokens_in, int64_t tokens_cached,
			   int64_t tokens_written, int64_t tokens_out);

const char *models_role_name(um_role r);
const char *models_provider_name(um_provider p);
/* The provider named as stored (a wire family's name); 0, or -1 if unknown. */
int models_provider_from_name(const char *name, um_provider *out);
/* An expanded base URL, read with libcurl's URL parser (curl_url()), must be
 * an http(s) URL with a host and without user, password, query or fragment
 * (the provider adds its own path and query), with no spaces or control
 * characters; trailing slashes are dropped from url in place. Returns NULL,
 * or the complaint (static text); *secret is set when the URL must not be
 * repeated (it holds credentials, or could not be parsed and so might). */
const char *models_url_check(char *url, int *secret);

/* The built-in capabilities of model on provider p (the table in models.c). */
um_caps models_caps_builtin(um_provider p, const char *model);

#endif
