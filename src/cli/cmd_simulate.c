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
#include <time.h>

#include "cli/cli.h"
#include "serve/sim.h"
#include "load/suite.h"
#include "base/util.h"

static void simulate_help(void)
{
	fputs("Usage: umpire simulate --pool POOL.yaml --suite SUITE.yaml [options]\n"
	      "\n"
	      "Serve a simulated model pool (OpenAI chat completions and Anthropic messages)\n"
	      "on 127.0.0.1. Answers are a deterministic function of the pool seed, the model\n"
	      "and the request; the simulator knows the right answers from the suite.\n"
	      "\n"
	      "Options:\n"
	      "  --pool FILE           the pool: models, accuracy, latency, faults (required)\n"
	      "  --suite FILE          the suite whose items the pool answers (required)\n"
	      "  --port N              port to listen on; 0 (the default) picks a free one\n"
	      "  --port-file FILE      write the port number to FILE once listening\n"
	      "  --latency-scale X     multiply every simulated latency by X (0 = none);\n"
	      "                        overrides the pool's latency_scale\n"
	      "  --upstream URL        base URL orchestrators call their members at\n"
	      "                        (default: this server, http://127.0.0.1:PORT/v1)\n"
	      "  --lifetime SECONDS    stop by itself after SECONDS (default: run until\n"
	      "                        SIGINT or SIGTERM)\n"
	      "  --quiet               do not print the request and fault counters at exit\n"
	      "  --help                show this help\n"
	      "\n"
	      "Routes: POST .../chat/completions, POST .../messages, GET /health.\n"
	      "Prints \"umpire simulate: listening on http://127.0.0.1:PORT\" on stdout.\n",
	      stdout);
}

int cmd_simulate(int argc, char **argv, cli_globals *g)
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
	const char *pool = NULL, *suite_path = NULL, *port_file = NULL, *upstream = NULL;
	double port_d = 0, scale = -1, lifetime = 0;
	int quiet = g ? g->quiet : 0, c, rc = EXIT_OK_, sig;
	um_error err = {0};
	um_suite *suite = NULL;
	um_sim *sim = NULL;
	sigset_t set, old;
	int64_t deadline = 0;

	optind = 0; /* GNU: reinitialise, argv[0] is the command name */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pool = optarg;
			break;
		case 's':
			suite_path = optarg;
			break;
		case 'P':
			if (cli_parse_double(optarg, 0, 65535, &port_d) < 0 ||
			    port_d != floor(port_d))
				return cli_usage_error("simulate", "--port: '%s' is not a port "
						       "number (0..65535)", optarg);
			break;
		case 'f':
			port_file = optarg;
			break;
		case 'l':
			if (cli_parse_double(optarg, 0, 1000, &scale) < 0)
				return cli_usage_error("simulate", "--latency-scale: '%s' is not a "
						       "number in 0..1000", optarg);
			break;
		case 'u':
			if (!um_has_prefix(optarg, "http://") && !um_has_prefix(optarg, "https://"))
				return cli_usage_error("simulate", "--upstream: '%s' is not an "
						       "http:// or https:// URL", optarg);
			upstream = optarg;
			break;
		case 't':
			if (cli_parse_double(optarg, 0, 1e9, &lifetime) < 0 || lifetime <= 0)
				return cli_usage_error("simulate", "--lifetime: '%s' is not a "
						       "positive number of seconds", optarg);
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			simulate_help();
			return EXIT_OK_;
		case ':':
			return cli_usage_error("simulate", "option '%s' needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("simulate", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("simulate", "unexpected argument '%s'", argv[optind]);
	if (!pool)
		return cli_usage_error("simulate", "--pool is required");
	if (!suite_path)
		return cli_usage_error("simulate", "--suite is required");

	if (suite_load(suite_path, &suite, &err) < 0)
		return cli_error(&err);
	if (sim_load(pool, suite, &sim, &err) < 0) {
		rc = cli_error(&err);
		goto out;
	}
	if (scale >= 0)
		sim_set_latency_scale(sim, scale);
	if (upstream)
		sim_set_upstream(sim, upstream);

	/* the server threads inherit this mask, so signals reach only sigtimedwait */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	cli_raise_nofile();
	if (sim_start(sim, (int)port_d, &err) < 0) {
		rc = cli_error(&err);
		goto restore;
	}
	if (port_file) {
		char line[32];

		snprintf(line, sizeof(line), "%d\n", sim_port(sim));
		if (um_write_file(port_file, line, strlen(line), 0644, &err) < 0) {
			rc = cli_error(&err);
			goto restore;
		}
	}
	printf("umpire simulate: listening on %s\n", sim_base_url(sim));
	if (fflush(stdout) != 0) {
		um_fail(&err, UM_ERR_IO, "cannot write to stdout: %s", strerror(errno));
		rc = cli_error(&err);
		goto restore;
	}

	if (lifetime > 0)
		deadline = um_mono_ms() + (int64_t)(lifetime * 1000.0);
	for (;;) {
		struct timespec ts = {0, 200 * 1000000L};

		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		if (deadline && um_mono_ms() >= deadline)
			break;
	}
	sim_stop(sim);
	if (!quiet) {
		um_sim_stats st;

		sim_get_stats(sim, &st);
		fprintf(stderr,
			"umpire simulate: %llu requests; faults: %llu x 429, %llu x 500, "
			"%llu stalled, %llu malformed, %llu truncated; %llu upstream calls\n",
			(unsigned long long)st.requests, (unsigned long long)st.faults_429,
			(unsigned long long)st.faults_500, (unsigned long long)st.faults_stall,
			(unsigned long long)st.faults_malformed,
			(unsigned long long)st.faults_truncated,
			(unsigned long long)st.upstream_calls);
	}
restore:
	sim_stop(sim);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
out:
	sim_free(sim);
	suite_free(suite);
	return rc;
}
