/*
 * cmd_import_charxiv.c - `umpire import charxiv DIR|FILE -o SUITE.yaml`,
 * dispatched from cmd_import.c: CharXiv's reasoning questions with their
 * charts into a suite of kind mcq (src/import/charxiv.c;
 * docs/import-charxiv.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "import/charxiv.h"
#include "base/util.h"

static const char charxiv_help[] =
	"usage: umpire import charxiv DIR|FILE -o SUITE.yaml [options]\n"
	"\n"
	"Import CharXiv's reasoning questions, each with its chart, into a suite of\n"
	"kind mcq. DIR is a CharXiv checkout holding data/reasoning_val.json (and\n"
	"data/image_metadata_val.json for the subjects) and images/<figure_id>.jpg,\n"
	"as its README sets it up; FILE is a reasoning_*.json itself (images/ beside\n"
	"its directory). Writes the questions as JSON lines (pinned by sha256 in the\n"
	"suite) with their image paths; every image is checked first. The incorrect\n"
	"choices are other answers of the same instruction category, so the scores\n"
	"are not CharXiv's judged accuracy. With --judged the suite is CharXiv\n"
	"Reasoning's own judged form instead (kind judged, format charxiv): it reads\n"
	"the release file itself, pinned by its sha256, and writes no JSON lines.\n"
	"docs/import-charxiv.md and docs/judged.md have the details.\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE     the suite YAML to write (required)\n"
	"  -n, --name NAME       suite name (default: " CHARXIV_DEFAULT_NAME ")\n"
	"      --split SPLIT     val (default) or test (CharXiv withholds the test\n"
	"                        answers, so test is refused)\n"
	"      --images DIR      where <figure_id>.jpg are (default: DIR/images)\n"
	"      --data FILE       the JSON lines to write (default: NAME.jsonl next to\n"
	"                        the suite)\n"
	"      --choices N       choices per question, 2 to 5 (default 4)\n"
	"      --judged          the judged form (default name " CHARXIV_JUDGED_NAME ",\n"
	"                        scaffold scaffolds/charxiv-reasoning.yaml)\n"
	"  -S, --scaffold FILE   the scaffold the suite names (default: the shipped\n"
	"                        scaffolds/mcq.yaml); named relative to the suite\n"
	"  -h, --help            this help\n";

int cmd_import_charxiv(int argc, char **argv, cli_globals *g)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"name", required_argument, NULL, 'n'},
		{"split", required_argument, NULL, 'p'},
		{"images", required_argument, NULL, 'i'},
		{"data", required_argument, NULL, 'd'},
		{"choices", required_argument, NULL, 'c'},
		{"judged", no_argument, NULL, 'j'},
		{"scaffold", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	charxiv_opts o;
	charxiv_result r;
	um_error err = {0};
	const char *scaffold_arg = NULL;
	char *scaffold, *end;
	long n;
	int c, rc;

	(void)g;
	memset(&o, 0, sizeof(o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:n:S:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o.suite_path = optarg; break;
		case 'n': o.name = optarg; break;
		case 'p': o.split = optarg; break;
		case 'i': o.images_dir = optarg; break;
		case 'd': o.data_path = optarg; break;
		case 'c':
			n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 2 || n > 5)
				return cli_usage_error("import charxiv",
						       "--choices must be 2 to 5, got '%s'", optarg);
			o.n_choices = (int)n;
			break;
		case 'S': scaffold_arg = optarg; break;
		case 'j': o.judged = 1; break;
		case 'h':
			fputs(charxiv_help, stdout);
			return 0;
		default:
			return cli_bad_option("import charxiv", c, argv);
		}
	}
	if (optind + 1 != argc || !o.suite_path)
		return cli_usage_error("import charxiv", "%s",
				       optind >= argc ? "name the CharXiv checkout or its JSON file"
				       : !o.suite_path ? "-o SUITE.yaml is required"
						       : "one source at a time");
	if (o.split && strcmp(o.split, "val") != 0 && strcmp(o.split, "test") != 0)
		return cli_usage_error("import charxiv", "--split must be val or test, got '%s'",
				       o.split);
	o.source = argv[optind];
	scaffold = cli_import_scaffold_ref("import charxiv", o.suite_path, scaffold_arg,
					   o.judged ? "scaffolds/charxiv-reasoning.yaml"
						    : "scaffolds/mcq.yaml",
					   o.judged ? CHARXIV_JUDGED_SCAFFOLD
						    : CHARXIV_DEFAULT_SCAFFOLD);
	o.scaffold = scaffold;
	rc = charxiv_import(&o, &r, &err);
	if (rc < 0) {
		rc = cli_error(&err);
	} else {
		printf("imported %zu question%s: text in chart %zu, text in general %zu, number "
		       "in chart %zu, number in general %zu\n",
		       r.n_items, r.n_items == 1 ? "" : "s", r.by_category[0], r.by_category[1],
		       r.by_category[2], r.by_category[3]);
		if (r.n_short)
			printf("  %zu with fewer choices than asked (too few other answers in "
			       "their category)\n", r.n_short);
		printf("%s: %s (sha256 %s)\nsuite: %s\n", o.judged ? "release" : "data",
		       r.data_path, r.sha256, o.suite_path);
	}
	charxiv_result_release(&r);
	free(scaffold);
	return rc;
}
