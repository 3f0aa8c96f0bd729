/*
 * cmd_merge.c - `umpire merge -o OUT.db IN.db...`: join the stores of a
 * sharded run (or of separate runs) into one (store_merge checks that the
 * parts belong together).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "store/store.h"

static const char merge_help[] =
	"usage: umpire merge -o OUT.db IN.db...\n"
	"\n"
	"Copy every run of each IN store into OUT (created when missing). Parts of one\n"
	"run (the same --run-id, e.g. the shards of `umpire run --shard I/N`) are\n"
	"joined into one run after checking that their suite, scaffold, models and\n"
	"dataset hashes, seed, repeats and --limit subset agree and that no attempt\n"
	"and no shard appears twice. Once every shard is in, the run is no longer\n"
	"partial and its report equals an unsharded run's (same seed) but for\n"
	"timings. Each IN is merged in one transaction: all or nothing.\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE  the store to merge into (required)\n"
	"  -h, --help         this help\n"
	"\n"
	"Exit status: 0 merged, 6 the parts do not fit together, 8 a store is unreadable.\n";

int cmd_merge(int argc, char **argv, cli_globals *g)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL;
	um_store *st = NULL;
	um_error err = {0};
	int c, i, rc = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'h': fputs(merge_help, stdout); return 0;
		case ':':
			return cli_usage_error("merge", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("merge", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!out)
		return cli_usage_error("merge", "-o OUT.db is required");
	if (optind >= argc)
		return cli_usage_error("merge", "no IN.db given");
	if (store_open(out, &st, &err) < 0)
		return cli_error(&err);
	for (i = optind; i < argc; i++) {
		size_t runs = 0, attempts = 0;
		if (store_merge(st, argv[i], &runs, &attempts, &err) < 0) {
			rc = cli_error(&err);
			break;
		}
		if (!g->quiet)
			fprintf(stderr, "merged %s: %zu run(s), %zu attempts\n", argv[i], runs,
				attempts);
	}
	store_close(st);
	return rc;
}
