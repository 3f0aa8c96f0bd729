/*
 * cmd_run.c - `umpire run`: evaluate a suite, store everything, write the
 * report and print a summary table.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run_setup.h"
#include "run/runner.h"
#include "base/util.h"

static const char run_help[] =
	"usage: umpire run SUITE --models MODELS.yaml [options]\n"
	"       umpire run TERMINAL-SUITE --oracle [options]\n"
	"\n"
	"Run every item of SUITE against the systems in MODELS.yaml under identical\n"
	"conditions, record every call in the store, then write reports/<run>/report.json\n"
	"and report.md and print a summary table.\n"
	"\n"
	"Options:\n"
	"  -m, --models FILE     systems to evaluate (required)\n"
	"  -s, --system NAME     evaluate only this system (repeatable; default: all)\n"
	"  -r, --repeats N       samples per item and system (default: the suite's)\n"
	"  -j, --jobs N          most HTTP requests in flight overall (default 1024);\n"
	"                        each system is also held to its own concurrency\n"
	"  -d, --db FILE         SQLite store (default umpire.db)\n"
	"      --run-id ID       name the run; an existing run with this id is resumed\n"
	"      --resume ID       resume run ID (finished attempts are skipped; failed\n"
	"                        ones are tried again); the run must exist\n"
	"      --scaffold FILE   use this scaffold instead of the suite's\n"
	"      --reports DIR     where reports go (default reports); writes DIR/<run>/\n"
	"      --no-report       do not write a report\n"
	"      --oracle          terminal and swe suites: run each task's reference\n"
	"                        solution (swe: its gold patch) instead of a model; a task\n"
	"                        whose oracle fails is broken\n"
	"      --predictions F   swe suites: grade the published patches in F (made by\n"
	"                        `umpire import predictions`) under the same rules\n"
	"      --replay RUN      terminal and swe suites: run the commands each attempt\n"
	"                        of RUN (in the same --db) ran again, in fresh sandboxes,\n"
	"                        and verify, without calling any model\n"
	"      --sandbox-jobs N  sandboxed commands at once (default: number of CPUs)\n"
	"      --keep-workdirs   leave each attempt's work directory in $TMPDIR\n"
	"      --sandbox-driver D  bwrap (default), docker or podman; tasks that need a\n"
	"                        container image run only with docker or podman\n"
	"      --sign            sign report.json and report.md (minisign format),\n"
	"                        creating the default key pair on first use\n"
	"      --seckey FILE     sign with this secret key\n"
	"  -q, --quiet           no progress line\n"
	"  -h, --help            this help\n"
	"\n"
	"A progress line (done/total, errors, calls in flight, spend) is shown on stderr\n"
	"when it is a terminal. If MODELS.yaml names a `simulator:` pool and UMPIRE_SIM_URL\n"
	"is unset, the simulated pool is started on 127.0.0.1 for the run.\n"
	"Exit status 5 means the run finished with infrastructure errors remaining.\n";

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void progress(void *ctx, const um_progress *p)
{
	(void)ctx;
	fprintf(stderr, "\r\033[K%zu/%zu done, %zu errors, %d in flight, $%.4f spent, %.1fs",
		p->done + p->errors + p->skipped, p->total, p->errors, p->in_flight,
		(double)p->spent_micro / 1e6, (double)p->elapsed_ms / 1000.0);
	fflush(stderr);
}

static int parse_int(const char *cmd, const char *opt, const char *v, int min, int max, int *out)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (!*v || *end || n < min || n > max)
		return cli_usage_error(cmd, "%s: expected an integer from %d to %d, got '%s'", opt,
				       min, max, v);
	*out = (int)n;
	return 0;
}

int cmd_run(int argc, char **argv, cli_globals *g)
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
		{"sandbox-driver", required_argument, NULL, 'D'},
		{"seckey", required_argument, NULL, 'k'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	um_run_opts o;
	cli_run_setup setup;
	const char *predictions_path = NULL;
	um_run_result res;
	um_error err = {0};
	const char **systems = NULL;
	cli_report_opts ro = {"reports", "summary", 0, NULL, g->quiet};
	int n_systems = 0, no_report = 0, quiet = g->quiet, c, rc;
	struct sigaction sa;

	memset(&o, 0, sizeof(o));
	o.db_path = "umpire.db";
	systems = um_xcalloc((size_t)argc + 1, sizeof(char *));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:s:r:j:d:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			o.models_path = optarg;
			break;
		case 's':
			systems[n_systems++] = optarg;
			break;
		case 'r':
			if (parse_int("run", "--repeats", optarg, 1, 100000, &o.repeats))
				goto usage;
			break;
		case 'j':
			if (parse_int("run", "--jobs", optarg, 1, 100000, &o.jobs))
				goto usage;
			break;
		case 'd':
			o.db_path = optarg;
			break;
		case 'I':
			o.run_id = optarg;
			break;
		case 'R':
			o.run_id = optarg;
			o.resume = 1;
			break;
		case 'S':
			o.scaffold_path = optarg;
			break;
		case 'o':
			ro.reports_dir = optarg;
			break;
		case 'G':
			ro.sign = 1;
			break;
		case 'O':
			o.oracle = 1;
			break;
		case 'P':
			predictions_path = optarg;
			break;
		case 'Y':
			o.replay_run = optarg;
			break;
		case 'B':
			if (parse_int("run", "--sandbox-jobs", optarg, 1, 1024, &o.sandbox_jobs))
				goto usage;
			break;
		case 'K':
			o.keep_workdirs = 1;
			break;
		case 'D':
			if (strcmp(optarg, "bwrap") && strcmp(optarg, "docker") && strcmp(optarg, "podman")) {
				cli_usage_error("run", "--sandbox-driver: bwrap, docker or podman, got '%s'",
						optarg);
				goto usage;
			}
			o.sandbox_driver = optarg;
			break;
		case 'k':
			ro.seckey = optarg;
			break;
		case 'N':
			no_report = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			fputs(run_help, stdout);
			free(systems);
			return 0;
		case ':':
			cli_usage_error("run", "option '%s' needs a value", argv[optind - 1]);
			goto usage;
		default:
			cli_usage_error("run", "unknown option '%s'", argv[optind - 1]);
			goto usage;
		}
	}
	if (optind != argc - 1) {
		cli_usage_error("run", optind >= argc ? "no SUITE given" : "one SUITE, got '%s' too",
				optind < argc - 1 ? argv[optind + 1] : "");
		goto usage;
	}
	if (!o.models_path && !o.oracle && !predictions_path && !o.replay_run) {
		cli_usage_error("run",
				"--models FILE is required (or --oracle, --predictions, --replay)");
		goto usage;
	}
	if ((o.models_path != NULL) + o.oracle + (predictions_path != NULL) +
		    (o.replay_run != NULL) > 1) {
		cli_usage_error("run", "give one of --models, --oracle, --predictions and --replay");
		goto usage;
	}
	o.suite_path = argv[optind];
	o.systems = systems;
	o.n_systems = n_systems;
	o.interrupted = &interrupted;
	o.progress_ms = 500;
	if (!quiet && isatty(STDERR_FILENO)) {
		o.progress = progress;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (cli_run_setup_start(&setup, &o, predictions_path, &err) < 0) {
		cli_run_setup_stop(&setup);
		free(systems);
		return cli_error(&err);
	}
	rc = runner_run(&o, &res, &err);
	cli_run_setup_stop(&setup);
	if (o.progress)
		fputs("\n", stderr);
	if (rc < 0) {
		free(systems);
		if (res.run_id[0] && !quiet)
			fprintf(stderr, "umpire: run %s stopped; what was recorded is kept\n",
				res.run_id);
		return cli_error(&err);
	}
	if (!quiet)
		fprintf(stderr,
			"run %s: %zu attempts, %zu graded now, %zu infrastructure errors, "
			"%zu already done; %llu HTTP calls, at most %d in flight; spent $%.4f\n",
			res.run_id, res.attempts_total, res.attempts_done, res.attempts_error,
			res.attempts_skipped, (unsigned long long)res.http_tries, res.max_in_flight,
			(double)res.spent_micro / 1e6);
	ro.quiet = quiet;
	if (!no_report && cli_emit_report(o.db_path, res.run_id, &ro, &err) < 0) {
		free(systems);
		return cli_error(&err);
	}
	free(systems);
	if (res.interrupted) {
		fprintf(stderr, "umpire: interrupted; resume with: umpire run %s --models %s "
				"--db %s --resume %s\n",
			o.suite_path, o.models_path ? o.models_path : "(--oracle)", o.db_path,
			res.run_id);
		return EXIT_INCOMPLETE;
	}
	if (!res.complete) {
		fprintf(stderr, "umpire: run %s is incomplete: %zu attempts ended in "
				"infrastructure errors; resume with --resume %s\n",
			res.run_id, res.attempts_error, res.run_id);
		return EXIT_INCOMPLETE;
	}
	return 0;
usage:
	free(systems);
	return EXIT_USAGE;
}
