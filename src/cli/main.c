/*
 * main.c - the umpire command: global options, then one subcommand from the
 * table below.
 *
 * How to add a command: write cmd_<name>() in src/cli/cmd_<name>.c (parse
 * its own options with getopt_long, print --help, return an exit code from
 * cli.h), declare it in cli.h, add a row to `commands` and the file to
 * src/meson.build, and add a scenario test under tests/cli/. Follow the
 * option conventions in cli.h (a letter means one thing in every command).
 * The man page and the bash completion are generated from `umpire --help`
 * and every `umpire COMMAND --help` (scripts/gen-cli-docs.py): the help
 * text is the documentation, keep its options at the start of a line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "run/runner.h"
#include "umpire_config.h"

typedef struct command {
	const char *name;
	int (*fn)(int argc, char **argv, cli_globals *g);
	const char *summary;
} command;

static const command commands[] = {
	{"run", cmd_run, "run a suite against the systems of a models file"},
	{"report", cmd_report, "write report.json and report.md for a stored run"},
	{"simulate", cmd_simulate, "serve the simulated model pool on 127.0.0.1"},
	{"keygen", cmd_keygen, "create a minisign-compatible signing key pair"},
	{"sign", cmd_sign, "sign files (FILE.minisig, minisign's format)"},
	{"verify", cmd_verify, "check a file's signature, or a whole audit bundle"},
	{"bundle", cmd_bundle, "write a signed audit bundle of a run"},
	{"rescore", cmd_rescore, "re-grade a run's stored answers under another scaffold"},
	{"claims", cmd_claims, "a vendor's benchmark table against what was measured"},
	{"proxy", cmd_proxy, "record an orchestrator's downstream calls (routing log)"},
	{"profile", cmd_profile, "export or check per-model capability profiles"},
	{"route-eval", cmd_route_eval, "compare an orchestrator with routers built from its pool"},
	{"import", cmd_import, "import benchmark tasks into a umpire suite"},
	{"compare", cmd_compare, "two runs system by system, with CI gates (exit 9)"},
	{"runs", cmd_runs, "list the runs in a store: status, sizes, costs"},
	{"export", cmd_export, "one row per attempt of a run, as CSV or JSON lines"},
	{"merge", cmd_merge, "join stores, e.g. the shards of one run"},
	{"images", cmd_images, "build or fetch the container image of every task of a suite"},
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: umpire [--quiet] [--version] [--help] COMMAND [ARGS]\n\n"
		   "A reproducible benchmark harness and audit tool for LLM orchestrators.\n\n"
		   "Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nGlobal options:\n"
		   "  -q, --quiet    no progress line, no chatter on stderr\n"
		   "      --version  print version and library versions\n"
		   "  -h, --help     this help; 'umpire COMMAND --help' explains a command\n\n"
		   "Exit status:\n");
	for (i = 0; i < cli_n_exit_rows; i++)
		fprintf(f, "  %2d  %s\n", cli_exit_rows[i].code, cli_exit_rows[i].meaning);
}

static int finish_stdout(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("umpire: cannot write to standard output");
		return rc ? rc : EXIT_IO;
	}
	return rc;
}

int main(int argc, char **argv)
{
	cli_globals g = {0};
	int i = 1;
	size_t c;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			g.quiet = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return finish_stdout(0);
		} else if (!strcmp(argv[i], "--version")) {
			char *libs = umpire_lib_versions_json();
			printf("umpire %s (%s)\n%s\n", UMPIRE_VERSION, UMPIRE_GIT_DESCRIBE, libs);
			free(libs);
			return finish_stdout(0);
		} else {
			fprintf(stderr, "umpire: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
		if (!strcmp(argv[i], commands[c].name)) {
			/* --quiet is global: accepted after the command name too */
			int j, k = i + 1;
			for (j = i + 1; j < argc; j++) {
				if (!strcmp(argv[j], "--")) {
					while (j < argc)
						argv[k++] = argv[j++];
					break;
				}
				if (!strcmp(argv[j], "-q") || !strcmp(argv[j], "--quiet"))
					g.quiet = 1;
				else
					argv[k++] = argv[j];
			}
			argv[k] = NULL;
			return finish_stdout(commands[c].fn(k - i, argv + i, &g));
		}
	}
	fprintf(stderr, "umpire: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return EXIT_USAGE;
}
