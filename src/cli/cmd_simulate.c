/*
 * cmd_simulate.c - `umpire simulate`: serve a simulated model pool on
 * 127.0.0.1 until SIGINT/SIGTERM (or --lifetime), for demos, tests and
 * runs without API keys. The pool format is in docs/simulator.md.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include "cli/cli.h"
#include "serve/sim.h"
#include "load/suite.h"
#include "base/util.h"

static void simulate_help(void)
{
	fputs("usage: umpire simulate --pool POOL.yaml --suite SUITE.yaml [options]\n"
	      "\n"
	      "Serve a simulated model pool (OpenAI chat completions and Anthropic messages)\n"
	      "on 127.0.0.1. Answers are a deterministic function of the pool seed, the model\n"
	      "and the request; the simulator knows the right answers from the suite.\n"
	      "\n"
	      "Options:\n"
	      "      --pool FILE       the pool: models, accuracy, latency, faults (required);\n"
	      "                        a bare NAME is pools/NAME.yaml\n"
	      "      --suite FILE      the suite whose items the pool answers (required); a\n"
	      "                        bare NAME is suites/NAME.yaml\n"
	      "      --port N          port to listen on; 0 (the default) picks a free one\n"
	      "      --port-file FILE  write the port number to FILE once listening\n"
	      "      --latency-scale X  multiply every simulated latency by X (0 = none);\n"
	      "                        overrides the pool's latency_scale\n"
	      "      --upstream URL    base URL orchestrators call their members at\n"
	      "                        (default: this server, http://127.0.0.1:PORT/v1)\n"
	      "      --lifetime SECONDS  stop by itself after SECONDS (default: run until\n"
	      "                        SIGINT or SIGTERM)\n"
	      "  -q, --quiet           do not print the request and fault counters at exit\n"
	      "  -h, --help            this help\n"
	      "\n"
	      "Routes: POST .../chat/completions, POST .../messages, GET /health.\n"
	      "Prints \"umpire simulate: listening on http://127.0.0.1:PORT\" on stdout.\n",
	      stdout);
}

typedef struct simulate_opts {
	const char *pool, *suite, *port_file, *upstream;
	double port, scale, lifetime;
	int quiet;
} simulate_opts;

/* One option; 0, or the exit status to stop with (-1: help printed). */
static int simulate_option(simulate_opts *so, int c, char **argv)
{
	switch (c) {
	case 'p':
		so->pool = optarg;
		return 0;
	case 's':
		so->suite = optarg;
		return 0;
	case 'P':
		if (cli_parse_double(optarg, 0, 65535, &so->port) < 0 || so->port != floor(so->port))
			return cli_usage_error("simulate", "--port: '%s' is not a port number "
					       "(0..65535)", optarg);
		return 0;
	case 'f':
		so->port_file = optarg;
		return 0;
	case 'l':
		if (cli_parse_double(optarg, 0, 1000, &so->scale) < 0)
			return cli_usage_error("simulate", "--latency-scale: '%s' is not a number "
					       "in 0..1000", optarg);
		return 0;
	case 'u':
		if (!um_has_prefix(optarg, "http://") && !um_has_prefix(optarg, "https://"))
			return cli_usage_error("simulate", "--upstream: '%s' is not an http:// or "
					       "https:// URL", optarg);
		so->upstream = optarg;
		return 0;
	case 't':
		if (cli_parse_double(optarg, 0, 1e9, &so->lifetime) < 0 || so->lifetime <= 0)
			return cli_usage_error("simulate", "--lifetime: '%s' is not a positive "
					       "number of seconds", optarg);
		return 0;
	case 'q':
		so->quiet = 1;
		return 0;
	case 'h':
		simulate_help();
		return -1;
	default:
		return cli_bad_option("simulate", c, argv);
	}
}

static int simulate_parse(simulate_opts *so, int argc, char **argv)
{
	static const struct option opts[] = {
		{"pool", required_argument, NULL, 'p'},
		{"suite", required_argument, NULL, 's'},
		{"port", required_argument, NULL, 'P'},
		{"port-file", required_argument, NULL, 'f'},
		{"latency-scale", required_argument, NULL, 'l'},
		{"upstream", required_argument, NULL, 'u'},
		{"lifetime", required_argument, NULL, 't'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, rv;

	optind = 0; /* GNU: reinitialise, argv[0] is the command name */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1)
		if ((rv = simulate_option(so, c, argv)) != 0)
			return rv;
	if (optind < argc)
		return cli_usage_error("simulate", "unexpected argument '%s'", argv[optind]);
	if (!so->pool)
		return cli_usage_error("simulate", "--pool is required");
	if (!so->suite)
		return cli_usage_error("simulate", "--suite is required");
	return 0;
}

static void simulate_print_stats(um_sim *sim)
{
	um_sim_stats st;

	sim_get_stats(sim, &st);
	fprintf(stderr,
		"umpire simulate: %llu requests; faults: %llu x 429, %llu x 500, "
		"%llu stalled, %llu malformed, %llu truncated; %llu upstream calls; "
		"%llu over a rate limit\n",
		(unsigned long long)st.requests, (unsigned long long)st.faults_429,
		(unsigned long long)st.faults_500, (unsigned long long)st.faults_stall,
		(unsigned long long)st.faults_malformed, (unsigned long long)st.faults_truncated,
		(unsigned long long)st.upstream_calls, (unsigned long long)st.limited_429);
}

/* Listen, announce the address, serve until told to stop. */
static int simulate_serve(um_sim *sim, const simulate_opts *so, um_error *err)
{
	sigset_t set, old;
	int rc = -1;

	cli_serve_block_signals(&set, &old);
	if (sim_start(sim, (int)so->port, err) < 0 ||
	    cli_write_port_file(so->port_file, sim_port(sim), err) < 0)
		goto out;
	printf("umpire simulate: listening on %s\n", sim_base_url(sim));
	if (fflush(stdout) != 0) {
		um_fail(err, UM_ERR_IO, "cannot write to stdout: %s", strerror(errno));
		goto out;
	}
	cli_serve_wait(&set, so->lifetime, 200, NULL, NULL, err);
	sim_stop(sim);
	if (!so->quiet)
		simulate_print_stats(sim);
	rc = 0;
out:
	sim_stop(sim);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int cmd_simulate(int argc, char **argv, cli_globals *g)
{
	simulate_opts so;
	um_error err = {0};
	um_suite *suite = NULL;
	um_sim *sim = NULL;
	char *pool = NULL, *suite_path = NULL;
	int rc;

	memset(&so, 0, sizeof(so));
	so.scale = -1;
	so.quiet = g ? g->quiet : 0;
	rc = simulate_parse(&so, argc, argv);
	if (rc)
		return rc < 0 ? EXIT_OK_ : rc;
	pool = cli_data_path(so.pool, "pools");
	suite_path = cli_data_path(so.suite, "suites");
	if (cli_suite_convert(suite_path, so.quiet, NULL, &err) < 0 ||
	    suite_load(suite_path, &suite, &err) < 0 || sim_load(pool, suite, &sim, &err) < 0) {
		rc = cli_error(&err);
		goto out;
	}
	if (so.scale >= 0)
		sim_set_latency_scale(sim, so.scale);
	if (so.upstream)
		sim_set_upstream(sim, so.upstream);
	if (simulate_serve(sim, &so, &err) < 0)
		rc = cli_error(&err);
out:
	sim_free(sim);
	suite_free(suite);
	free(pool);
	free(suite_path);
	return rc;
}
