/*
 * cmd_run.c - `umpire run`: evaluate a suite, store everything, write the
 * report and print a summary table.
 */
#include <errno.h>
#include <getopt.h>
#include <sqlite3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/redact.h"
#include "cli/cli.h"
#include "cli/run_setup.h"
#include "run/runner.h"
#include "base/util.h"
#include "store/store.h"

static const char run_help[] =
	"usage: umpire run SUITE --models MODELS.yaml [options]\n"
	"       umpire run NAME [options]\n"
	"       umpire run TERMINAL-SUITE --oracle [options]\n"
	"\n"
	"Run every item of SUITE against the systems in MODELS.yaml under identical\n"
	"conditions, record every call in the store, then write reports/<run>/report.json,\n"
	"report.md and report.html and print a summary table.\n"
	"\n"
	"A bare NAME is suites/NAME.yaml, and without --models it runs against\n"
	"models/NAME.yaml: `umpire run demo`. Both are looked up in the current\n"
	"directory, then in umpire's data directory (where `meson install` puts the\n"
	"shipped suites); so are --models and --scaffold files not found as given.\n"
	"\n"
	"Options:\n"
	"  -m, --models FILE     systems to evaluate (required unless NAME has a\n"
	"                        models/NAME.yaml, or with --oracle, --predictions,\n"
	"                        --replay)\n"
	"  -s, --system NAME     evaluate only this system (repeatable; default: all)\n"
	"  -r, --repeats N       samples per item and system (default: the suite's)\n"
	"  -j, --jobs N          most HTTP requests in flight overall (default 1024);\n"
	"                        each system is also held to its own concurrency\n"
	"  -d, --db FILE         SQLite store (default umpire.db)\n"
	"      --run-id ID       name the run; an existing run with this id is resumed\n"
	"      --resume ID       resume run ID (finished attempts are skipped; failed\n"
	"                        ones are tried again); the run must exist\n"
	"  -S, --scaffold FILE   use this scaffold instead of the suite's\n"
	"      --reports DIR     where reports go (default reports); writes DIR/<run>/\n"
	"      --no-report       do not write a report\n"
	"      --oracle          terminal, swe, code and scicode suites: run each task's\n"
	"                        reference solution (swe: its gold patch; code: the\n"
	"                        problem's solution; scicode: each step's\n"
	"                        ground_truth_code) instead of a model; one that fails\n"
	"                        is broken\n"
	"      --predictions F   swe suites: grade the published patches in F (made by\n"
	"                        `umpire import predictions`) under the same rules\n"
	"      --replay RUN      terminal and swe suites: run the commands each attempt\n"
	"                        of RUN (in the same --db) ran again, in fresh sandboxes,\n"
	"                        and verify, without calling any model\n"
	"      --sandbox-jobs N  sandboxed commands at once (default: number of CPUs)\n"
	"      --keep-workdirs   leave each attempt's work directory in $TMPDIR\n"
	"      --swe-scripts DIR swe suites graded `official`: a checkout of SWE-Bench\n"
	"                        Pro's repository (run_scripts/, dockerfiles/)\n"
	"      --sandbox-driver D  bwrap (default), docker or podman; tasks that need a\n"
	"                        container image run only with docker or podman, one\n"
	"                        container per attempt (docs/sandbox.md)\n"
	"      --base-image REF  docker/podman: the image of tasks without one, and of\n"
	"                        code suites' tests (default localhost/umpire-base:\n"
	"                        bookworm, from scripts/engines.sh; C++: --code's image)\n"
	"      --pull P          images named by reference: never, missing (default) or\n"
	"                        always pulled; images built from a task are never pulled\n"
	"      --registry-prefix R  put before references without a registry host\n"
	"      --build-logs DIR  keep image build logs here (default\n"
	"                        ~/.cache/umpire/build-logs, or $UMPIRE_CACHE_DIR)\n"
	"      --sign            sign report.json, report.md and report.html (minisign),\n"
	"                        creating the default key pair on first use\n"
	"  -k, --seckey FILE     sign with this secret key\n";

/* The CI options, and what the run prints (a second literal: C99 caps one
 * at 4095 bytes). */
static const char run_help_ci[] =
	"      --limit N         a smoke subset: N items (or tasks) chosen by seed,\n"
	"                        stratified by category; recorded in the run and report\n"
	"      --limit-seed S    the seed of that choice (default: the suite's seed)\n"
	"      --shard I/N       run only part I of N (0 <= I < N) of the plan, for\n"
	"                        machines that each run one part; `umpire merge` joins\n"
	"                        the stores (docs/ci.md)\n"
	"      --date-from D     code suites: only problems dated D (YYYY-MM-DD) or\n"
	"                        later, in place of the suite's code.date_from\n"
	"      --date-to D       code suites: only problems dated D or earlier\n"
	"      --dry-run         print the plan and a cost estimate; call nothing\n"
	"      --max-cost USD    start no attempt once the projected spend would pass\n"
	"                        USD; the run is recorded as partial (exit status 10)\n"
	"      --cache SYSTEM    answer SYSTEM's requests from the store when the same\n"
	"                        bytes were answered before (repeatable; 'all')\n"
	"      --breaker-after N stop a system after N authentication errors (HTTP\n"
	"                        401/403) in a row (default 3); the others go on\n"
	"      --progress-every S  off a terminal, print a progress line every S\n"
	"                        seconds (default 30; 0: never)\n"
	"  -q, --quiet           no progress line\n"
	"  -h, --help            this help\n"
	"\n"
	"A progress line (done/total, in flight, waiting for a retry, errors, spend,\n"
	"ETA) is kept up to date on stderr when it is a terminal; otherwise a plain line\n"
	"is printed every --progress-every seconds. If MODELS.yaml names a `simulator:`\n"
	"pool and UMPIRE_SIM_URL is unset, the simulated pool is started on 127.0.0.1.\n"
	"Exit status 5 means the run finished with infrastructure errors remaining, was\n"
	"interrupted, or a system was stopped by the breaker; the command that resumes\n"
	"it is printed, with every option this one was given. 10: --max-cost stopped it.\n";

static volatile sig_atomic_t interrupted;

/* Long options without a letter. */
/* long-only options (their letters are taken: 'b' --breaker-after, 'L' --limit) */
enum { OPT_DATE_FROM = 256, OPT_DATE_TO, OPT_BASE_IMAGE, OPT_BUILD_LOGS };

/* One invocation: the options as parsed, the paths as resolved (owned), and
 * the command line itself, from which the resume hint is made. */
typedef struct run_cmd {
	um_run_opts o;
	cli_report_opts ro;
	const char *predictions_path;
	const char **systems, **cache;
	int n_systems, n_cache, seed_set;
	int no_report, quiet, progress_every;
	char *suite, *models, *scaffold; /* resolved through cli_data_path */
	char *swe_scripts;               /* the suite's import names them */
	int argc;
	char **argv;
} run_cmd;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void eta_text(const um_progress *p, char *out, size_t n)
{
	size_t finished = p->done + p->errors, left = p->total - p->skipped - finished;
	int64_t eta;

	if (!finished || !left) {
		snprintf(out, n, "%s", left ? "?" : "0s");
		return;
	}
	eta = p->elapsed_ms * (int64_t)left / (int64_t)finished / 1000;
	snprintf(out, n, "%lldm%02llds", (long long)(eta / 60), (long long)(eta % 60));
}

/* The progress figures, on a terminal redrawn in place (lead "\r\033[K",
 * no newline), in a log as a line of its own. */
static void progress_line(const um_progress *p, const char *lead, const char *end)
{
	char eta[32];

	eta_text(p, eta, sizeof(eta));
	fprintf(stderr,
		"%s%zu/%zu done, %d in flight, %zu waiting for a retry, %zu errors, "
		"$%.4f spent, %llds elapsed, ETA %s%s",
		lead, p->done + p->errors + p->skipped, p->total, p->in_flight, p->waiting_retry,
		p->errors, (double)p->spent_micro / 1e6, (long long)(p->elapsed_ms / 1000), eta,
		end);
	fflush(stderr);
}

/* A notice of the runner (a stale lease taken over, ...): always shown. */
static void notice(void *ctx, const char *msg)
{
	char line[1024];

	snprintf(line, sizeof(line), "%s", msg);
	redact_in_place(line, sizeof(line));
	fprintf(stderr, "umpire: %s\n", line);
}

static void progress_tty(void *ctx, const um_progress *p)
{
	(void)ctx;
	progress_line(p, "\r\033[K", "");
}

/* Off a terminal (a CI log): a plain line every --progress-every seconds. */
static void progress_log(void *ctx, const um_progress *p)
{
	(void)ctx;
	progress_line(p, "progress: ", "\n");
}

/* "I/N" with 0 <= I < N <= 10000. */
static int parse_shard(const char *v, um_plan_subset *sub)
{
	const char *given = v;
	char *end;
	long i = strtol(v, &end, 10), n;

	if (end == v || *end != '/')
		goto bad;
	v = end + 1;
	n = strtol(v, &end, 10);
	if (end == v || *end || n < 1 || n > 10000 || i < 0 || i >= n)
		goto bad;
	sub->shard_index = (int)i;
	sub->shard_count = (int)n;
	return 0;
bad:
	return cli_usage_error("run", "--shard: expected I/N with 0 <= I < N <= 10000, got '%s'",
			       given);
}

static int parse_usd(const char *opt, const char *v, int64_t *micro)
{
	double d;

	if (cli_parse_double(v, 0.000001, 1e9, &d) < 0)
		return cli_usage_error("run", "%s: expected an amount of USD above 0, got '%s'",
				       opt, v);
	*micro = (int64_t)(d * 1e6 + 0.5);
	return 0;
}

static int parse_seed(const char *v, uint64_t *seed)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (!*v || *end || errno || *v == '-')
		return cli_usage_error("run", "--limit-seed: expected a whole number, got '%s'", v);
	*seed = (uint64_t)n;
	return 0;
}

/* The CI options (docs/ci.md); 1 when c is not one of them. */
static int run_ci_option(run_cmd *rc, int c)
{
	um_run_opts *o = &rc->o;

	switch (c) {
	case 'L': return cli_parse_int("run", "--limit", optarg, 1, 100000000, &o->subset.limit);
	case 'E': rc->seed_set = 1; return parse_seed(optarg, &o->subset.seed);
	case 'H': return parse_shard(optarg, &o->subset);
	case 'n': o->dry_run = 1; return 0;
	case OPT_DATE_FROM: o->date_from = optarg; return 0;
	case OPT_DATE_TO: o->date_to = optarg; return 0;
	case 'C': return parse_usd("--max-cost", optarg, &o->max_cost_micro);
	case 'c': rc->cache[rc->n_cache++] = optarg; return 0;
	case 'b':
		return cli_parse_int("run", "--breaker-after", optarg, 1, 1000000, &o->breaker_after);
	case 'e':
		return cli_parse_int("run", "--progress-every", optarg, 0, 86400, &rc->progress_every);
	}
	return 1;
}

static int run_set_driver(run_cmd *rc, const char *v)
{
	if (strcmp(v, "bwrap") && strcmp(v, "docker") && strcmp(v, "podman"))
		return cli_usage_error("run", "--sandbox-driver: bwrap, docker or podman, got '%s'",
				       v);
	rc->o.sandbox_driver = v;
	return 0;
}

static int run_set_pull(run_cmd *rc, const char *v)
{
	if (strcmp(v, "never") && strcmp(v, "missing") && strcmp(v, "always"))
		return cli_usage_error("run", "--pull: never, missing or always, got '%s'", v);
	rc->o.pull_policy = v;
	return 0;
}

/* One option; 0, or the exit status to stop with (-1: help printed). */
static int run_option(run_cmd *rc, int c, char **argv)
{
	um_run_opts *o = &rc->o;
	int ci = run_ci_option(rc, c);

	if (ci != 1)
		return ci;
	switch (c) {
	case 'm': o->models_path = optarg; return 0;
	case 's': rc->systems[rc->n_systems++] = optarg; return 0;
	case 'r': return cli_parse_int("run", "--repeats", optarg, 1, 100000, &o->repeats);
	case 'j': return cli_parse_int("run", "--jobs", optarg, 1, 100000, &o->jobs);
	case 'd': o->db_path = optarg; return 0;
	case 'I': o->run_id = optarg; return 0;
	case 'R': o->run_id = optarg; o->resume = 1; return 0;
	case 'S': o->scaffold_path = optarg; return 0;
	case 'o': rc->ro.reports_dir = optarg; return 0;
	case 'G': rc->ro.sign = 1; return 0;
	case 'O': o->oracle = 1; return 0;
	case 'P': rc->predictions_path = optarg; return 0;
	case 'Y': o->replay_run = optarg; return 0;
	case 'B': return cli_parse_int("run", "--sandbox-jobs", optarg, 1, 1024, &o->sandbox_jobs);
	case 'K': o->keep_workdirs = 1; return 0;
	case 'W': o->swe_scripts = optarg; return 0;
	case 'D': return run_set_driver(rc, optarg);
	case OPT_BASE_IMAGE: o->base_image = optarg; return 0;
	case 'p': return run_set_pull(rc, optarg);
	case 'x': o->registry_prefix = optarg; return 0;
	case OPT_BUILD_LOGS: o->build_log_dir = optarg; return 0;
	case 'k': rc->ro.seckey = optarg; return 0;
	case 'N': rc->no_report = 1; return 0;
	case 'q': rc->quiet = 1; return 0;
	case 'h': fputs(run_help, stdout); fputs(run_help_ci, stdout); return -1;
	default: return cli_bad_option("run", c, argv);
	}
}

/* Parse argv into rc; 0, -1 after --help, or an exit status. */
static int run_parse(run_cmd *rc, int argc, char **argv)
{
	static const struct option opts[] = {
		{"models", required_argument, NULL, 'm'},
		{"system", required_argument, NULL, 's'},
		{"repeats", required_argument, NULL, 'r'},
		{"jobs", required_argument, NULL, 'j'},
		{"db", required_argument, NULL, 'd'},
		{"run-id", required_argument, NULL, 'I'},
		{"resume", required_argument, NULL, 'R'},
		{"scaffold", required_argument, NULL, 'S'},
		{"reports", required_argument, NULL, 'o'},
		{"no-report", no_argument, NULL, 'N'},
		{"sign", no_argument, NULL, 'G'},
		{"oracle", no_argument, NULL, 'O'},
		{"predictions", required_argument, NULL, 'P'},
		{"replay", required_argument, NULL, 'Y'},
		{"sandbox-jobs", required_argument, NULL, 'B'},
		{"keep-workdirs", no_argument, NULL, 'K'},
		{"swe-scripts", required_argument, NULL, 'W'},
		{"sandbox-driver", required_argument, NULL, 'D'},
		{"base-image", required_argument, NULL, OPT_BASE_IMAGE},
		{"pull", required_argument, NULL, 'p'},
		{"registry-prefix", required_argument, NULL, 'x'},
		{"build-logs", required_argument, NULL, OPT_BUILD_LOGS},
		{"seckey", required_argument, NULL, 'k'},
		{"limit", required_argument, NULL, 'L'},
		{"limit-seed", required_argument, NULL, 'E'},
		{"shard", required_argument, NULL, 'H'},
		{"dry-run", no_argument, NULL, 'n'},
		{"date-from", required_argument, NULL, OPT_DATE_FROM},
		{"date-to", required_argument, NULL, OPT_DATE_TO},
		{"max-cost", required_argument, NULL, 'C'},
		{"cache", required_argument, NULL, 'c'},
		{"breaker-after", required_argument, NULL, 'b'},
		{"progress-every", required_argument, NULL, 'e'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, rv;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:s:r:j:d:S:k:qh", opts, NULL)) != -1)
		if ((rv = run_option(rc, c, argv)) != 0)
			return rv;
	if (optind != argc - 1)
		return cli_usage_error("run", optind >= argc ? "no SUITE given" : "one SUITE, got '%s' too",
				       optind < argc - 1 ? argv[optind + 1] : "");
	rc->o.suite_path = argv[optind];
	return 0;
}

/* The suite, models and scaffold through the data directory; a bare suite
 * NAME brings models/NAME.yaml when no mode names another source. */
static int run_resolve(run_cmd *rc)
{
	um_run_opts *o = &rc->o;
	const char *given = o->suite_path;

	rc->suite = cli_data_path(o->suite_path, "suites");
	if (!o->models_path && !o->oracle && !rc->predictions_path && !o->replay_run)
		rc->models = cli_data_named("models", o->suite_path);
	else if (o->models_path)
		rc->models = cli_data_path(o->models_path, "models");
	if (o->scaffold_path)
		rc->scaffold = cli_data_path(o->scaffold_path, "scaffolds");
	o->suite_path = rc->suite;
	o->models_path = rc->models;
	o->scaffold_path = rc->scaffold;
	if (access(rc->suite, F_OK) != 0 && !strchr(given, '/') && !strstr(given, ".y")) {
		fprintf(stderr, "umpire: no suite '%s': no such file, and no suites/%s.yaml here "
				"or in umpire's data directory (%s)\n",
			given, given, cli_data_dir() ? cli_data_dir() : "none installed");
		return EXIT_IO;
	}
	return 0;
}

static int run_check_modes(const run_cmd *rc)
{
	const um_run_opts *o = &rc->o;

	if (!o->models_path && !o->oracle && !rc->predictions_path && !o->replay_run)
		return cli_usage_error("run", "--models FILE is required (or --oracle, "
				       "--predictions, --replay)");
	if ((o->models_path != NULL) + o->oracle + (rc->predictions_path != NULL) +
		    (o->replay_run != NULL) > 1)
		return cli_usage_error("run", "give one of --models, --oracle, --predictions and "
				       "--replay");
	return 0;
}

static void run_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Start the servers the models file asks for, run, stop them. */
static int run_execute(run_cmd *rc, um_run_result *res, um_error *err)
{
	cli_run_setup setup;
	int rv;

	memset(res, 0, sizeof(*res));
	rc->o.systems = rc->systems;
	rc->o.n_systems = rc->n_systems;
	rc->o.interrupted = &interrupted;
	rc->o.cache_systems = rc->cache;
	rc->o.n_cache_systems = rc->n_cache;
	if (!rc->seed_set)
		rc->o.subset.seed = UINT64_MAX; /* the suite's seed */
	rc->o.progress_ms = 500;
	rc->o.notice = notice;
	if (!rc->quiet && !rc->o.dry_run && isatty(STDERR_FILENO)) {
		rc->o.progress = progress_tty;
	} else if (!rc->quiet && !rc->o.dry_run && rc->progress_every > 0) {
		rc->o.progress = progress_log;
		rc->o.progress_ms = rc->progress_every * 1000;
	}
	run_catch_signals();
	if (cli_run_setup_start(&setup, &rc->o, rc->predictions_path, err) < 0) {
		cli_run_setup_stop(&setup);
		return -1;
	}
	rv = runner_run(&rc->o, res, err);
	cli_run_setup_stop(&setup);
	if (rc->o.progress == progress_tty)
		fputs("\n", stderr);
	return rv;
}

/* Is run_id in the store at db? Never creates the file. */
static int run_was_recorded(const char *db, const char *run_id)
{
	um_store *st = NULL;
	um_error e = {0};
	int found;

	if (!run_id[0] || access(db, F_OK) != 0 || store_open(db, &st, &e) < 0)
		return 0;
	found = cli_store_has_run(st, run_id);
	store_close(st);
	return found;
}

/* A failure of the run itself (not a refusal before it began: a conflict
 * with a stored run, a bad option, a missing run to resume, invalid input),
 * after which the attempts recorded so far stay in the store. */
static int run_stopped_midway(um_err code)
{
	return code == UM_ERR_IO || code == UM_ERR_DB || code == UM_ERR_HTTP ||
	       code == UM_ERR_PROTOCOL || code == UM_ERR_NOMEM || code == UM_ERR_INTERNAL;
}

/* How many of the run's error attempts a resume may fix (all but tasks
 * that cannot run on this host); -1 when the store cannot say. */
static long run_retryable_errors(const char *db, const char *run_id)
{
	um_store *st = NULL;
	um_error e = {0};
	sqlite3_stmt *q = NULL;
	long n = -1;

	if (store_open(db, &st, &e) < 0)
		return -1;
	if (sqlite3_prepare_v2(store_db(st),
			       "SELECT count(*) FROM attempts WHERE run_id = ? AND status = 'error' "
			       "AND coalesce(error_class, '') <> 'unsupported'",
			       -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, run_id, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW)
			n = (long)sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	store_close(st);
	return n;
}

static void put_shell_word(FILE *f, const char *w)
{
	const char *p;

	if (*w && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
			    "_./:=@%+,-") == strlen(w)) {
		fputs(w, f);
		return;
	}
	fputc('\'', f);
	for (p = w; *p; p++) {
		if (*p == '\'')
			fputs("'\\''", f);
		else
			fputc(*p, f);
	}
	fputc('\'', f);
}

/* --run-id / --resume as written, abbreviated or not, with or without '='. */
static int names_run(const char *a)
{
	size_t n = strcspn(a, "=");

	return n > 3 && a[0] == '-' && a[1] == '-' &&
	       (!strncmp(a, "--run-id", n) || !strncmp(a, "--resume", n));
}

/* The command that resumes the run: this one's arguments, every option
 * kept, with --resume RUN in place of --run-id or --resume. */
static void run_print_resume(const run_cmd *rc, const char *run_id)
{
	int i;

	fputs("umpire run", stderr);
	for (i = 1; i < rc->argc; i++) {
		if (!strcmp(rc->argv[i], "--")) {
			break;
		}
		if (names_run(rc->argv[i])) {
			if (!strchr(rc->argv[i], '='))
				i++;
			continue;
		}
		fputc(' ', stderr);
		put_shell_word(stderr, rc->argv[i]);
	}
	fputs(" --resume ", stderr);
	put_shell_word(stderr, run_id);
	for (; i < rc->argc; i++) {
		fputc(' ', stderr);
		put_shell_word(stderr, rc->argv[i]);
	}
	fputc('\n', stderr);
}

static void run_print_totals(const um_run_result *res)
{
	fprintf(stderr,
		"run %s: %zu attempts, %zu graded now (%zu from the cache), %zu infrastructure "
		"errors, %zu already done; %llu HTTP calls, at most %d in flight; spent $%.4f\n",
		res->run_id, res->attempts_total, res->attempts_done, res->cached,
		res->attempts_error, res->attempts_skipped, (unsigned long long)res->http_tries,
		res->max_in_flight, (double)res->spent_micro / 1e6);
}

/* Exit 5: say why, and how to resume when a resume can help. */
static int run_incomplete(const run_cmd *rc, const um_run_result *res)
{
	long retryable;

	if (res->interrupted) {
		fputs("umpire: interrupted; resume with:\n  ", stderr);
		run_print_resume(rc, res->run_id);
		return EXIT_INCOMPLETE;
	}
	retryable = run_retryable_errors(rc->o.db_path, res->run_id);
	if (retryable == 0) {
		fprintf(stderr, "umpire: run %s is incomplete: %zu attempts are of tasks that "
				"cannot run here (unsupported; the report lists why); resuming "
				"will not change that\n",
			res->run_id, res->attempts_error);
		return EXIT_INCOMPLETE;
	}
	fprintf(stderr, "umpire: run %s is incomplete: %zu attempts ended in infrastructure "
			"errors; resume with:\n  ",
		res->run_id, res->attempts_error);
	run_print_resume(rc, res->run_id);
	return EXIT_INCOMPLETE;
}

static int run_report_and_finish(run_cmd *rc, const um_run_result *res)
{
	um_error err = {0};

	if (!rc->quiet)
		run_print_totals(res);
	rc->ro.quiet = rc->quiet;
	if (!rc->no_report && cli_emit_report(rc->o.db_path, res->run_id, &rc->ro, &err) < 0)
		return cli_error(&err);
	if (res->breaker[0])
		fprintf(stderr, "umpire: %s", res->breaker);
	if (res->budget_stopped && !res->interrupted) {
		fprintf(stderr, "umpire: run %s stopped at its budget (--max-cost $%.4f, spent "
				"$%.4f): %zu attempts not started; the run is partial\n",
			res->run_id, (double)rc->o.max_cost_micro / 1e6,
			(double)res->spent_micro / 1e6, res->not_started);
		return EXIT_BUDGET;
	}
	if (res->interrupted || !res->complete)
		return run_incomplete(rc, res);
	return 0;
}

/* --dry-run: the plan and what it would cost, on stdout. */
static void run_print_estimate(const json_t *est)
{
	const json_t *systems = json_object_get(est, "systems"), *e;
	const char *name;
	int64_t in = 0, bound = 0;
	int bounded = 1;

	printf("plan: run %s of suite %s: %lld attempts (%lld items or tasks x %lld repeats "
	       "x %zu systems)\n",
	       json_string_value(json_object_get(est, "run_id")),
	       json_string_value(json_object_get(est, "suite")),
	       (long long)json_integer_value(json_object_get(est, "attempts")),
	       (long long)json_integer_value(json_object_get(est, "units")),
	       (long long)json_integer_value(json_object_get(est, "repeats")),
	       json_object_size(systems));
	printf("%-20s %9s %14s %14s %14s\n", "system", "attempts", "prompt tokens", "input USD",
	       "at most USD");
	json_object_foreach((json_t *)systems, name, e) {
		int b = json_is_true(json_object_get(e, "bounded"));
		char most[32];

		in += json_integer_value(json_object_get(e, "input_cost_micro"));
		bound += json_integer_value(json_object_get(e, "max_cost_micro"));
		bounded &= b;
		if (b)
			snprintf(most, sizeof(most), "%.4f",
				 (double)json_integer_value(json_object_get(e, "max_cost_micro")) / 1e6);
		else
			snprintf(most, sizeof(most), "unbounded");
		printf("%-20s %9lld %14lld %14.4f %14s\n", name,
		       (long long)json_integer_value(json_object_get(e, "attempts")),
		       (long long)json_integer_value(json_object_get(e, "prompt_tokens")),
		       (double)json_integer_value(json_object_get(e, "input_cost_micro")) / 1e6, most);
	}
	printf("total: input about $%.4f; ", (double)in / 1e6);
	if (bounded)
		printf("at most $%.4f with every answer at the scaffold's max_tokens\n",
		       (double)bound / 1e6);
	else
		printf("output not bounded (the scaffold sets no max_tokens)\n");
	printf("(prompt tokens estimated at 4 bytes of request body a token; retries not "
	       "counted)\n");
}

/* The runner returned: the estimate of a dry run, or the report. */
static int run_after(run_cmd *rc, um_run_result *res)
{
	if (!rc->o.dry_run)
		return run_report_and_finish(rc, res);
	run_print_estimate(res->estimate);
	json_decref(res->estimate);
	return 0;
}

static int run_failed(const run_cmd *rc, const um_run_result *res, const um_error *err)
{
	if (!rc->quiet && !rc->o.dry_run && run_stopped_midway(err->code) &&
	    run_was_recorded(rc->o.db_path, res->run_id))
		fprintf(stderr, "umpire: run %s stopped; what was recorded is kept\n", res->run_id);
	return cli_error(err);
}

int cmd_run(int argc, char **argv, cli_globals *g)
{
	run_cmd rc;
	um_run_result res;
	um_error err = {0};
	int rv;

	memset(&rc, 0, sizeof(rc));
	rc.o.db_path = "umpire.db";
	rc.ro.reports_dir = "reports";
	rc.ro.print = "summary";
	rc.quiet = g->quiet;
	/* the command line as typed, before getopt reorders it, for the hint */
	rc.argc = argc;
	rc.argv = um_xcalloc((size_t)argc + 1, sizeof(char *));
	memcpy(rc.argv, argv, (size_t)argc * sizeof(char *));
	rc.systems = um_xcalloc((size_t)argc + 1, sizeof(char *));
	rc.cache = um_xcalloc((size_t)argc + 1, sizeof(char *));
	rc.progress_every = 30;
	rv = run_parse(&rc, argc, argv);
	if (rv == 0)
		rv = run_resolve(&rc);
	if (rv == 0)
		rv = run_check_modes(&rc);
	if (rv == 0 && cli_suite_convert(rc.suite, rc.quiet, &rc.swe_scripts, &err) < 0)
		rv = cli_error(&err);
	if (rv == 0 && !rc.o.swe_scripts)
		rc.o.swe_scripts = rc.swe_scripts;
	if (rv == 0)
		rv = run_execute(&rc, &res, &err) == 0 ? run_after(&rc, &res) : run_failed(&rc, &res, &err);
	free(rc.systems);
	free(rc.argv);
	free(rc.cache);
	free(rc.suite);
	free(rc.models);
	free(rc.scaffold);
	free(rc.swe_scripts);
	return rv < 0 ? 0 : rv;
}
