/*
 * cmd_proxy.c - `umpire proxy`: run the recording proxy on 127.0.0.1 in
 * front of an orchestrator's pool until SIGINT/SIGTERM (or --lifetime).
 * Each downstream call becomes a routing event: printed as one JSON line
 * on stdout, or, with --db, written to the store under --run-id. The main
 * thread is the single writer: it drains the proxy's event queue every
 * 200 ms and commits each batch in one transaction. Events that cannot be
 * stored (the run never appeared, the database failed) are printed on
 * stdout at exit rather than lost. Guide: docs/proxy.md.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "load/models.h"
#include "serve/proxy.h"
#include "store/evq.h"
#include "store/store.h"
#include "base/util.h"

#define PROXY_TICK_MS 200

static void proxy_help(void)
{
	fputs("usage: umpire proxy --upstreams FILE [options]\n"
	      "\n"
	      "Record an orchestrator's downstream calls. Point the orchestrator's pool base\n"
	      "URL at the proxy; each OpenAI chat completions or Anthropic messages call it\n"
	      "makes (streamed or not) is forwarded to the upstream named by the request's\n"
	      "\"model\", passed back unchanged, and recorded as a routing event: sub-model,\n"
	      "tokens, cost at the upstream's price, latency, status and the umpire attempt\n"
	      "it belongs to (W3C traceparent, /t/<attempt-id>/ path, or none).\n"
	      "\n"
	      "Options:\n"
	      "      --listen HOST:PORT  where to listen; HOST must be 127.0.0.1 or\n"
	      "                        localhost, PORT 0 picks a free port (default\n"
	      "                        127.0.0.1:0)\n"
	      "      --upstreams FILE  the sub-models, in the models file format: each\n"
	      "                        system's name (or model) is what the orchestrator\n"
	      "                        asks for, with provider, base_url, api_key_env and\n"
	      "                        pricing (required)\n"
	      "  -d, --db FILE         write the events to this store (needs --run-id); the\n"
	      "                        run must exist there, events wait until it does\n"
	      "      --run-id RUN      the run the events belong to; without --db it is\n"
	      "                        added to each printed line\n"
	      "      --port-file FILE  write the port number to FILE once listening\n"
	      "      --lifetime SECONDS  stop by itself after SECONDS (default: run until\n"
	      "                        SIGINT or SIGTERM)\n"
	      "  -q, --quiet           no listening line or counters on stderr\n"
	      "  -h, --help            this help\n"
	      "\n"
	      "Without --db, each event is one JSON line on stdout. API keys are read from\n"
	      "each upstream's api_key_env when a call is forwarded; the orchestrator's own\n"
	      "credentials are never passed on, and no key is stored or printed.\n"
	      "Routes: POST [/t/ATTEMPT]/.../chat/completions, POST [/t/ATTEMPT]/.../messages,\n"
	      "GET /health.\n",
	      stdout);
}

/* "127.0.0.1:PORT" or "localhost:PORT" -> port; -1 otherwise. */
static int proxy_parse_listen(const char *s, int *port)
{
	const char *colon = strrchr(s, ':');
	size_t hl;
	long v = 0;
	const char *p;

	if (!colon || !colon[1])
		return -1;
	hl = (size_t)(colon - s);
	if (!((hl == 9 && strncmp(s, "127.0.0.1", 9) == 0) ||
	      (hl == 9 && strncmp(s, "localhost", 9) == 0)))
		return -1;
	for (p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9' || p - colon > 5)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

typedef struct proxy_writer {
	um_store *store;        /* NULL: print */
	const char *db_path;
	const char *run_id;
	int run_seen;
	int warned_run, warned_db;
	int quiet;
	um_routing_rec *pending; /* drained, not yet written */
	size_t n_pending;
	uint64_t stored, printed;
} proxy_writer;

static int proxy_print_pending(proxy_writer *w, um_error *err)
{
	size_t i;

	for (i = 0; i < w->n_pending; i++) {
		char *line = proxy_event_json(&w->pending[i], w->run_id);

		fputs(line, stdout);
		fputc('\n', stdout);
		free(line);
	}
	w->printed += w->n_pending;
	evq_events_free(w->pending, w->n_pending);
	w->pending = NULL;
	w->n_pending = 0;
	if (fflush(stdout) != 0)
		return um_fail(err, UM_ERR_IO, "cannot write to stdout: %s", strerror(errno));
	return 0;
}

static int proxy_store_pending(proxy_writer *w, um_error *err)
{
	size_t i;

	if (store_begin(w->store, err) < 0)
		return -1;
	for (i = 0; i < w->n_pending; i++)
		if (store_put_routing_event(w->store, w->run_id, &w->pending[i], err) < 0) {
			store_rollback(w->store);
			return -1;
		}
	if (store_commit(w->store, err) < 0) {
		store_rollback(w->store);
		return -1;
	}
	w->stored += w->n_pending;
	evq_events_free(w->pending, w->n_pending);
	w->pending = NULL;
	w->n_pending = 0;
	return 0;
}

/* Move queued events out. At the end (final) whatever cannot be stored is
 * printed, and the reason returned as an error. */
static int proxy_flush(proxy_writer *w, um_evq *q, int final, um_error *err)
{
	um_error e = {0};

	if (!w->n_pending)
		w->n_pending = evq_drain(q, &w->pending);
	if (!w->store)
		return w->n_pending ? proxy_print_pending(w, err) : 0;
	if (!w->run_seen)
		w->run_seen = cli_store_has_run(w->store, w->run_id);
	if (!w->run_seen) {
		if (final) {
			size_t n = w->n_pending;

			if (!n)
				return 0;
			if (proxy_print_pending(w, err) < 0)
				return -1;
			return um_fail(err, UM_ERR_NOTFOUND,
				       "%s: no run '%s': %zu event%s printed on stdout instead",
				       w->db_path, w->run_id, n, n == 1 ? "" : "s");
		}
		if (!w->warned_run && !w->quiet)
			fprintf(stderr, "umpire proxy: run '%s' is not in %s yet; events wait "
				"until it appears\n", w->run_id, w->db_path);
		w->warned_run = 1;
		return 0;
	}
	if (!w->n_pending)
		return 0;
	if (proxy_store_pending(w, &e) == 0)
		return 0;
	if (final) {
		size_t n = w->n_pending;

		if (proxy_print_pending(w, err) < 0)
			return -1;
		return um_fail(err, e.code, "%s; %zu event%s printed on stdout instead", e.msg, n,
			       n == 1 ? "" : "s");
	}
	if (!w->warned_db)
		fprintf(stderr, "umpire proxy: %s (will retry)\n", e.msg);
	w->warned_db = 1;
	return 0;
}

typedef struct proxy_cli_opts {
	const char *upstreams, *db, *run_id, *port_file;
	double lifetime;
	int port, quiet;
} proxy_cli_opts;

/* One option; 0, or the exit status to stop with (-1: help printed). */
static int proxy_option(proxy_cli_opts *po, int c, char **argv)
{
	switch (c) {
	case 'l':
		if (proxy_parse_listen(optarg, &po->port) < 0)
			return cli_usage_error("proxy", "--listen: '%s' is not 127.0.0.1:PORT or "
					       "localhost:PORT (only loopback is served)", optarg);
		return 0;
	case 'u':
		po->upstreams = optarg;
		return 0;
	case 'd':
		po->db = optarg;
		return 0;
	case 'r':
		if (!*optarg)
			return cli_usage_error("proxy", "--run-id: empty run id");
		po->run_id = optarg;
		return 0;
	case 'f':
		po->port_file = optarg;
		return 0;
	case 't':
		if (cli_parse_double(optarg, 0, 1e9, &po->lifetime) < 0 || po->lifetime <= 0)
			return cli_usage_error("proxy", "--lifetime: '%s' is not a positive number "
					       "of seconds", optarg);
		return 0;
	case 'q':
		po->quiet = 1;
		return 0;
	case 'h':
		proxy_help();
		return -1;
	default:
		return cli_bad_option("proxy", c, argv);
	}
}

static int proxy_cli_parse(proxy_cli_opts *po, int argc, char **argv)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"upstreams", required_argument, NULL, 'u'},
		{"db", required_argument, NULL, 'd'},
		{"run-id", required_argument, NULL, 'r'},
		{"port-file", required_argument, NULL, 'f'},
		{"lifetime", required_argument, NULL, 't'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, rv;

	optind = 0; /* GNU: reinitialise, argv[0] is the command name */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:qh", opts, NULL)) != -1)
		if ((rv = proxy_option(po, c, argv)) != 0)
			return rv;
	if (optind < argc)
		return cli_usage_error("proxy", "unexpected argument '%s'", argv[optind]);
	if (!po->upstreams)
		return cli_usage_error("proxy", "--upstreams is required");
	if (po->db && !po->run_id)
		return cli_usage_error("proxy", "--db needs --run-id (the run the events belong to)");
	return 0;
}

typedef struct proxy_tick_ctx {
	proxy_writer *w;
	um_evq *q;
} proxy_tick_ctx;

static int proxy_tick(void *ctx, um_error *err)
{
	proxy_tick_ctx *t = ctx;

	return proxy_flush(t->w, t->q, 0, err);
}

static void proxy_print_stats(um_proxy *px, const proxy_writer *w)
{
	um_proxy_stats st;

	proxy_get_stats(px, &st);
	fprintf(stderr,
		"umpire proxy: %llu requests; %llu forwarded (%llu streamed, %llu failed), "
		"%llu rejected; %llu events %s\n",
		(unsigned long long)st.requests, (unsigned long long)st.forwarded,
		(unsigned long long)st.streamed, (unsigned long long)st.failed,
		(unsigned long long)st.rejected,
		(unsigned long long)(w->store ? w->stored : w->printed),
		w->store ? "stored" : "printed");
}

/* Listen, record until told to stop, then write what is left; returns an
 * exit status. */
static int proxy_serve(um_proxy *px, um_evq *q, proxy_writer *w, const proxy_cli_opts *po,
		       int n_upstreams)
{
	proxy_tick_ctx t = {w, q};
	um_error err = {0};
	sigset_t set, old;
	int rc = EXIT_OK_;

	cli_serve_block_signals(&set, &old);
	if (proxy_start(px, po->port, &err) < 0 ||
	    cli_write_port_file(po->port_file, proxy_port(px), &err) < 0) {
		rc = cli_error(&err);
		goto restore;
	}
	if (!po->quiet)
		fprintf(stderr, "umpire proxy: listening on %s (%d upstream%s)\n",
			proxy_base_url(px), n_upstreams, n_upstreams == 1 ? "" : "s");
	if (cli_serve_wait(&set, po->lifetime, PROXY_TICK_MS, proxy_tick, &t, &err) < 0) {
		rc = cli_error(&err);
		goto restore;
	}
	proxy_stop(px);
	if (proxy_flush(w, q, 1, &err) < 0)
		rc = cli_error(&err);
	if (!po->quiet)
		proxy_print_stats(px, w);
	if (evq_dropped(q) > 0) {
		fprintf(stderr, "umpire proxy: %llu events dropped (queue full)\n",
			(unsigned long long)evq_dropped(q));
		if (rc == EXIT_OK_)
			rc = EXIT_FAILURE_;
	}
restore:
	proxy_stop(px);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int cmd_proxy(int argc, char **argv, cli_globals *g)
{
	proxy_cli_opts pc;
	um_error err = {0};
	um_models *models = NULL;
	um_evq *q = NULL;
	um_proxy *px = NULL;
	um_proxy_opts po;
	proxy_writer w;
	char *upstreams;
	int rc;

	memset(&pc, 0, sizeof(pc));
	pc.quiet = g ? g->quiet : 0;
	rc = proxy_cli_parse(&pc, argc, argv);
	if (rc)
		return rc < 0 ? EXIT_OK_ : rc;
	memset(&w, 0, sizeof(w));
	w.db_path = pc.db;
	w.run_id = pc.run_id;
	w.quiet = pc.quiet;
	upstreams = cli_data_path(pc.upstreams, "models");
	rc = models_load(upstreams, &models, &err);
	free(upstreams);
	if (rc < 0)
		return cli_error(&err);
	q = evq_new(0);
	memset(&po, 0, sizeof(po));
	po.upstreams = models;
	po.on_event = evq_sink;
	po.event_ctx = q;
	if (proxy_new(&po, &px, &err) < 0 || (pc.db && store_open(pc.db, &w.store, &err) < 0))
		rc = cli_error(&err);
	else
		rc = proxy_serve(px, q, &w, &pc, models->n_systems);
	proxy_free(px);
	evq_events_free(w.pending, w.n_pending);
	evq_free(q);
	store_close(w.store);
	models_free(models);
	return rc;
}
