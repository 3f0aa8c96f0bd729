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
	fputs("Usage: umpire proxy --upstreams FILE [options]\n"
	      "\n"
	      "Record an orchestrator's downstream calls. Point the orchestrator's pool base\n"
	      "URL at the proxy; each OpenAI chat completions or Anthropic messages call it\n"
	      "makes (streamed or not) is forwarded to the upstream named by the request's\n"
	      "\"model\", passed back unchanged, and recorded as a routing event: sub-model,\n"
	      "tokens, cost at the upstream's price, latency, status and the umpire attempt\n"
	      "it belongs to (W3C traceparent, /t/<attempt-id>/ path, or none).\n"
	      "\n"
	      "Options:\n"
	      "  --listen HOST:PORT   where to listen; HOST must be 127.0.0.1 or localhost,\n"
	      "                       PORT 0 picks a free port (default 127.0.0.1:0)\n"
	      "  --upstreams FILE     the sub-models, in the models file format: each system's\n"
	      "                       name (or model) is what the orchestrator asks for, with\n"
	      "                       provider, base_url, api_key_env and pricing (required)\n"
	      "  --db FILE            write the events to this store (needs --run-id); the\n"
	      "                       run must exist there, events wait until it does\n"
	      "  --run-id RUN         the run the events belong to; without --db it is added\n"
	      "                       to each printed line\n"
	      "  --port-file FILE     write the port number to FILE once listening\n"
	      "  --lifetime SECONDS   stop by itself after SECONDS (default: run until SIGINT\n"
	      "                       or SIGTERM)\n"
	      "  --quiet              no listening line or counters on stderr\n"
	      "  --help               show this help\n"
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

static int proxy_run_exists(proxy_writer *w)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	if (sqlite3_prepare_v2(store_db(w->store), "SELECT 1 FROM runs WHERE run_id = ?", -1,
			       &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, w->run_id, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

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
		w->run_seen = proxy_run_exists(w);
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

int cmd_proxy(int argc, char **argv, cli_globals *g)
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
	const char *upstreams = NULL, *db = NULL, *run_id = NULL, *port_file = NULL;
	double lifetime = 0;
	int port = 0, quiet = g ? g->quiet : 0, c, rc = EXIT_OK_, sig;
	um_error err = {0};
	um_models *models = NULL;
	um_evq *q = NULL;
	um_proxy *px = NULL;
	um_proxy_opts po;
	proxy_writer w;
	sigset_t set, old;
	int64_t deadline = 0;

	optind = 0; /* GNU: reinitialise, argv[0] is the command name */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (proxy_parse_listen(optarg, &port) < 0)
				return cli_usage_error("proxy", "--listen: '%s' is not "
						       "127.0.0.1:PORT or localhost:PORT (only "
						       "loopback is served)", optarg);
			break;
		case 'u':
			upstreams = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'r':
			if (!*optarg)
				return cli_usage_error("proxy", "--run-id: empty run id");
			run_id = optarg;
			break;
		case 'f':
			port_file = optarg;
			break;
		case 't':
			if (cli_parse_double(optarg, 0, 1e9, &lifetime) < 0 || lifetime <= 0)
				return cli_usage_error("proxy", "--lifetime: '%s' is not a "
						       "positive number of seconds", optarg);
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			proxy_help();
			return EXIT_OK_;
		case ':':
			return cli_usage_error("proxy", "option '%s' needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("proxy", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("proxy", "unexpected argument '%s'", argv[optind]);
	if (!upstreams)
		return cli_usage_error("proxy", "--upstreams is required");
	if (db && !run_id)
		return cli_usage_error("proxy",
				       "--db needs --run-id (the run the events belong to)");

	memset(&w, 0, sizeof(w));
	w.db_path = db;
	w.run_id = run_id;
	w.quiet = quiet;
	if (models_load(upstreams, &models, &err) < 0)
		return cli_error(&err);
	q = evq_new(0);
	memset(&po, 0, sizeof(po));
	po.upstreams = models;
	po.on_event = evq_sink;
	po.event_ctx = q;
	if (proxy_new(&po, &px, &err) < 0) {
		rc = cli_error(&err);
		goto out;
	}
	if (db && store_open(db, &w.store, &err) < 0) {
		rc = cli_error(&err);
		goto out;
	}

	/* the server threads inherit this mask, so signals reach only sigtimedwait */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	cli_raise_nofile();
	if (proxy_start(px, port, &err) < 0) {
		rc = cli_error(&err);
		goto restore;
	}
	if (port_file) {
		char line[32];

		snprintf(line, sizeof(line), "%d\n", proxy_port(px));
		if (um_write_file(port_file, line, strlen(line), 0644, &err) < 0) {
			rc = cli_error(&err);
			goto restore;
		}
	}
	if (!quiet)
		fprintf(stderr, "umpire proxy: listening on %s (%d upstream%s)\n",
			proxy_base_url(px), models->n_systems, models->n_systems == 1 ? "" : "s");

	if (lifetime > 0)
		deadline = um_mono_ms() + (int64_t)(lifetime * 1000.0);
	for (;;) {
		struct timespec ts = {0, PROXY_TICK_MS * 1000000L};

		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		if (deadline && um_mono_ms() >= deadline)
			break;
		if (proxy_flush(&w, q, 0, &err) < 0) {
			rc = cli_error(&err);
			goto restore;
		}
	}
	proxy_stop(px);
	if (proxy_flush(&w, q, 1, &err) < 0)
		rc = cli_error(&err);
	if (!quiet) {
		um_proxy_stats st;

		proxy_get_stats(px, &st);
		fprintf(stderr,
			"umpire proxy: %llu requests; %llu forwarded (%llu streamed, %llu failed), "
			"%llu rejected; %llu events %s\n",
			(unsigned long long)st.requests, (unsigned long long)st.forwarded,
			(unsigned long long)st.streamed, (unsigned long long)st.failed,
			(unsigned long long)st.rejected,
			(unsigned long long)(w.store ? w.stored : w.printed),
			w.store ? "stored" : "printed");
	}
	if (evq_dropped(q) > 0) {
		fprintf(stderr, "umpire proxy: %llu events dropped (queue full)\n",
			(unsigned long long)evq_dropped(q));
		if (rc == EXIT_OK_)
			rc = EXIT_FAILURE_;
	}
restore:
	proxy_stop(px);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
out:
	proxy_free(px);
	evq_events_free(w.pending, w.n_pending);
	evq_free(q);
	store_close(w.store);
	models_free(models);
	return rc;
}
