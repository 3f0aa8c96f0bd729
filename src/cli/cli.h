/*
 * cli.h - the command-line front end: one file per subcommand, dispatched
 * from the table in main.c. The CLI owns the terminal: results on stdout,
 * progress and errors on stderr, exit codes mapped in exitcodes.c.
 */
#ifndef UMPIRE_CLI_H
#define UMPIRE_CLI_H

#include <signal.h>
#include <stddef.h>

#include "base/error.h"
#include "report/html.h"
#include "store/store.h"

/* Exit statuses: what each means is in cli_exit_rows (exitcodes.c), printed
 * by `umpire --help` and copied in docs/cli.md. */
enum {
	EXIT_OK_ = 0,
	EXIT_FAILURE_ = 1,   /* generic / internal */
	EXIT_USAGE = 2,      /* bad command line */
	EXIT_INPUT = 3,      /* a suite, scaffold, models or data file is invalid */
	EXIT_PIN = 4,        /* dataset hash mismatch */
	EXIT_INCOMPLETE = 5, /* run finished with infrastructure errors remaining */
	EXIT_STATE = 6,      /* conflicts with the store or a key; signature mismatch */
	EXIT_NOTFOUND = 7,   /* a named run does not exist (an unknown --system is 2) */
	EXIT_IO = 8,         /* I/O or database failure */
	EXIT_GATE = 9,       /* a CI gate failed: compare found a significant
			      * regression, claims --fail-on matched */
	EXIT_BUDGET = 10,    /* run stopped at its --max-cost budget (partial) */
	EXIT_PARTIAL = 11,   /* an import skipped bad rows and wrote the rest */
};

typedef struct cli_exit_row {
	int code;
	const char *meaning;
} cli_exit_row;
extern const cli_exit_row cli_exit_rows[];
extern const size_t cli_n_exit_rows;

int cli_exit_code(um_err code);
/* Print "umpire: <msg>" to stderr and return the mapped exit code. */
int cli_error(const um_error *e);
/* Print "umpire CMD: <fmt>" + usage hint, return EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Option conventions (docs/cli.md): a letter means one thing in every
 * command: -d --db, -m --models, -s --system, -r --repeats, -j --jobs,
 * -S --scaffold, -o --output, -n --name, -f --format, -k --seckey,
 * -p --pubkey, -x --sig, -q --quiet, -h --help. Commands parse with
 * getopt_long (opterr 0, optstring starting with ':'), print their help for
 * -h and --help, and report a bad option through cli_bad_option. */
/* The usage error for getopt's ':' (missing value) or '?' (unknown). */
int cli_bad_option(const char *cmd, int c, char **argv);
/* The usage error for -s where a secret key was meant: -s is --system. */
int cli_seckey_letter(const char *cmd);
/* v as an integer within [min, max], or a usage error naming opt. */
int cli_parse_int(const char *cmd, const char *opt, const char *v, int min, int max, int *out);

/* Shipped files (datadir.c). The data directory holds suites/, scaffolds/,
 * models/, pools/, claims/ and docs/: the installed one (next to the binary's
 * bindir, else the compiled-in datadir), NULL when none exists. */
const char *cli_data_dir(void);
/* Where to read `path`: the path as given when it exists; else, for a bare
 * NAME and a kind ("suites", "models", ...), kind/NAME.yaml relative to the
 * current directory, then in the data directory; else a relative path
 * inside the data directory. When nothing exists, path itself (so the
 * error names what the user wrote). Caller frees. */
char *cli_data_path(const char *path, const char *kind);
/* Like cli_data_path for kind/NAME.yaml only; NULL when it does not exist. */
char *cli_data_named(const char *kind, const char *name);

/* The scaffold an imported suite should name (cmd_import.c): given, else
 * shipped (scaffolds/X.yaml), found through cli_data_path and written
 * relative to the suite's directory; when not found, given or fallback as
 * it is, with a warning on stderr saying how to fix it. */
char *cli_import_scaffold_ref(const char *cmd, const char *suite, const char *given,
			      const char *shipped, const char *fallback);

/* A suite with `import:` (suite_convert.c): convert the release it names
 * into its `into` directory, so that suite_load finds the tasks. 0 when the
 * suite has no import, 1 when converted (*scripts, when not NULL, receives
 * the import's `scripts` or NULL; caller frees), -1 with err. */
int cli_suite_convert(const char *suite_path, int quiet, char **scripts, um_error *err);

typedef struct cli_globals {
	int quiet;
} cli_globals;

int cmd_run(int argc, char **argv, cli_globals *g);
int cmd_report(int argc, char **argv, cli_globals *g);
int cmd_simulate(int argc, char **argv, cli_globals *g);
int cmd_keygen(int argc, char **argv, cli_globals *g);
int cmd_sign(int argc, char **argv, cli_globals *g);
int cmd_verify(int argc, char **argv, cli_globals *g);
int cmd_bundle(int argc, char **argv, cli_globals *g);
int cmd_rescore(int argc, char **argv, cli_globals *g);
int cmd_proxy(int argc, char **argv, cli_globals *g);
int cmd_profile(int argc, char **argv, cli_globals *g);
int cmd_route_eval(int argc, char **argv, cli_globals *g);
int cmd_claims(int argc, char **argv, cli_globals *g);
int cmd_import(int argc, char **argv, cli_globals *g);
int cmd_compare(int argc, char **argv, cli_globals *g);
int cmd_runs(int argc, char **argv, cli_globals *g);
int cmd_export(int argc, char **argv, cli_globals *g);
int cmd_merge(int argc, char **argv, cli_globals *g);
int cmd_images(int argc, char **argv, cli_globals *g);
/* `import swe-bench-pro` and `import predictions` (cmd_import_swe.c); argv[0]
 * is the format name. */
int cmd_import_swe_bench_pro(int argc, char **argv, cli_globals *g);
int cmd_import_predictions(int argc, char **argv, cli_globals *g);
int cmd_import_charxiv(int argc, char **argv, cli_globals *g);

/* Verify an audit bundle (verify_bundle.c); returns an exit status. */
int cli_verify_bundle(const char *path, const char *pubkey, int quiet);
/* serve.c: a real number within [min, max] (0, or -1 for garbage); and the
 * soft file-descriptor limit raised to the hard one, for servers that hold
 * many connections. */
int cli_parse_double(const char *s, double min, double max, double *out);
void cli_raise_nofile(void);
/* Block SIGINT and SIGTERM (the server threads inherit the mask; old keeps
 * the previous one) and raise the descriptor limit. */
void cli_serve_block_signals(sigset_t *set, sigset_t *old);
/* Write "PORT\n" to path (NULL: nothing). */
int cli_write_port_file(const char *path, int port, um_error *err);
/* Wait until a signal of set arrives or lifetime_s (0: none) passes, calling
 * tick (may be NULL) every tick_ms; -1 when tick fails. */
int cli_serve_wait(const sigset_t *set, double lifetime_s, int tick_ms,
		   int (*tick)(void *ctx, um_error *err), void *ctx, um_error *err);

/* Remove a temporary directory holding store.sqlite (and its WAL files). */
void cli_remove_store_dir(const char *dir);

/* Keys: the directory ($UMPIRE_KEY_DIR, else $XDG_CONFIG_HOME/umpire, else
 * ~/.config/umpire) and the default key paths in it. Caller frees. */
char *cli_key_dir(void);
char *cli_default_key(int secret);
/* Create a key pair (parent directory too). */
int cli_keygen(const char *pub_path, const char *sec_path, int force, um_error *err);
struct um_seckey;
/* Write path.minisig with the trusted comment file/sha256/version. */
int cli_sign_file(const struct um_seckey *sec, const char *path, um_error *err);
/* Sign dir/report.json, dir/report.md and the n HTML pages with seckey
 * (NULL: the default key), creating the default key pair on first use. */
int cli_sign_report(const char *dir, const html_page *pages, size_t n, const char *seckey,
		    int quiet, um_error *err);

struct um_error;
/* Options shared by commands that write a report. */
typedef struct cli_report_opts {
	const char *reports_dir;
	const char *print;     /* summary | md | json | none */
	int sign;              /* sign report.json, report.md and report.html */
	const char *seckey;    /* NULL: default key */
	int quiet;
	const char *reference; /* the paired comparisons' reference, or NULL */
	double target_mde;     /* > 0: print the planning table for this many pp */
	int methods;           /* statistical methods (report.h), 0: the current */
} cli_report_opts;
/* The HTML pages of a run's report (report.html first): rep drawn with the
 * transcripts of d's attempts read from st. NULL with err set. Caller frees
 * with html_pages_free. Shared by report, bundle and verify. */
html_page *cli_report_pages(um_store *st, const um_run_data *d, const json_t *rep, size_t *n,
			    um_error *err);
/* Write the pages into dir. */
int cli_write_pages(const char *dir, const html_page *p, size_t n, um_error *err);
/* Load run_id (NULL: the newest run) from the store at db_path, write
 * reports_dir/RUN/report.json, report.md and report.html, sign them when asked, then print
 * what ro->print names to stdout. Shared by run and report. */
int cli_emit_report(const char *db_path, const char *run_id, const cli_report_opts *ro,
		    um_error *err);
struct um_store;
/* 1 when the store holds a run with this id (cmd_report.c). */
int cli_store_has_run(struct um_store *st, const char *run_id);

#endif
