/*
 * cli.h - the command-line front end: one file per subcommand, dispatched
 * from the table in main.c. The CLI owns the terminal: results on stdout,
 * progress and errors on stderr, exit codes mapped in exitcodes.c.
 */
#ifndef UMPIRE_CLI_H
#define UMPIRE_CLI_H

#include "base/error.h"

/* Exit statuses (documented in `umpire --help` and docs/cli.md). */
enum {
	EXIT_OK_ = 0,
	EXIT_FAILURE_ = 1,   /* generic / internal */
	EXIT_USAGE = 2,      /* bad command line */
	EXIT_INPUT = 3,      /* a suite, scaffold, models or data file is invalid */
	EXIT_PIN = 4,        /* dataset hash mismatch */
	EXIT_INCOMPLETE = 5, /* run finished with infrastructure errors remaining */
	EXIT_STATE = 6,      /* conflicts with the store (run id reused with other config) */
	EXIT_NOTFOUND = 7,   /* a named run or system does not exist */
	EXIT_IO = 8,         /* I/O or database failure */
};

int cli_exit_code(um_err code);
/* Print "umpire: <msg>" to stderr and return the mapped exit code. */
int cli_error(const um_error *e);
/* Print "umpire CMD: <fmt>" + usage hint, return EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

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
/* `import swe-bench-pro` and `import predictions` (cmd_import_swe.c); argv[0]
 * is the format name. */
int cmd_import_swe_bench_pro(int argc, char **argv, cli_globals *g);
int cmd_import_predictions(int argc, char **argv, cli_globals *g);

/* Verify an audit bundle (verify_bundle.c); returns an exit status. */
int cli_verify_bundle(const char *path, const char *pubkey, int quiet);
/* serve.c: a real number within [min, max] (0, or -1 for garbage); and the
 * soft file-descriptor limit raised to the hard one, for servers that hold
 * many connections. */
int cli_parse_double(const char *s, double min, double max, double *out);
void cli_raise_nofile(void);

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
/* Sign dir/report.json and dir/report.md with seckey (NULL: the default key),
 * creating the default key pair on first use. */
int cli_sign_report(const char *dir, const char *seckey, int quiet, um_error *err);

struct um_error;
/* Options shared by commands that write a report. */
typedef struct cli_report_opts {
	const char *reports_dir;
	const char *print;     /* summary | md | json | none */
	int sign;              /* sign report.json and report.md */
	const char *seckey;    /* NULL: default key */
	int quiet;
} cli_report_opts;
/* Load run_id (NULL: the newest run) from the store at db_path, write
 * reports_dir/RUN/report.json and report.md, sign them when asked, then print
 * what ro->print names to stdout. Shared by run and report. */
int cli_emit_report(const char *db_path, const char *run_id, const cli_report_opts *ro,
		    um_error *err);

#endif
