/*
 * tbimport.h - import Terminal-Bench tasks into a umpire terminal suite.
 *
 * Reads Terminal-Bench 1 task folders (task.yaml, Dockerfile, run-tests.sh,
 * tests/, solution.sh or solution.yaml) and Terminal-Bench 2 / Harbor task
 * folders (task.toml, instruction.md, environment/, tests/test.sh,
 * solution/solve.sh), given as one task folder, a folder of task folders, or
 * a .tar, .tar.gz, .tar.zst or .zip of either. Writes each task in the
 * layout of docs/terminal.md under a tasks directory, and a suite YAML of
 * kind terminal listing them. Field mappings: docs/import.md.
 *
 * A task that needs its container image (a Dockerfile with build steps, a
 * base other than plain debian/ubuntu, or any docker_image) is still written,
 * with `unsupported: "needs container image ..."`, never dropped.
 *
 * Archives are checked member by member before anything is extracted: an
 * absolute path, a ".." component, a link whose target leaves the archive,
 * a device or fifo, or more than TBIMPORT_MAX_MEMBERS / TBIMPORT_MAX_BYTES
 * refuses the whole archive (UM_ERR_ARCHIVE).
 *
 * Writing is staged: tasks are converted into a hidden directory inside the
 * tasks directory and moved into place only when the import succeeds. An
 * existing <tasks dir>/<id> is replaced only when the tasks directory holds
 * the marker file TBIMPORT_MARKER written by an earlier import.
 */
#ifndef UMPIRE_TBIMPORT_H
#define UMPIRE_TBIMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define TBIMPORT_MAX_MEMBERS 200000
#define TBIMPORT_MAX_BYTES ((uint64_t)4 << 30)
#define TBIMPORT_MARKER ".umpire-import"
#define TBIMPORT_DEFAULT_SCAFFOLD "../scaffolds/terminal-agent.yaml"

typedef struct tbimport_opts {
	const char *source;     /* a task folder, a folder of them, or an archive */
	const char *suite_path; /* the suite YAML to write */
	const char *name;       /* suite name; NULL: the suite file's name without .yaml */
	const char *tasks_dir;  /* NULL: <suite file's directory>/<name> */
	const char *scaffold;   /* `scaffold:` as written, relative to the suite
				 * file; NULL: TBIMPORT_DEFAULT_SCAFFOLD */
	int skip_broken;        /* list malformed tasks and go on */
} tbimport_opts;

typedef struct tbimport_task {
	char *id;
	int tb_version;     /* 1 or 2 */
	char *image;        /* container image reference, or NULL */
	char *unsupported;  /* why it cannot run on the host, or NULL */
	int needs_image;    /* 1 when unsupported because of a container image */
} tbimport_task;

typedef struct tbimport_broken {
	char *folder;       /* the task folder as named in messages */
	char *reason;       /* the error, with file:line:col where known */
} tbimport_broken;

typedef struct tbimport_result {
	tbimport_task *tasks;   /* sorted by id */
	size_t n_tasks;
	size_t n_host;          /* runnable on the host */
	size_t n_image;         /* need a container image */
	size_t n_other;         /* unsupported for another reason */
	tbimport_broken *broken; /* skipped (skip_broken) */
	size_t n_broken;
	char *tasks_dir;        /* where the task directories were written */
} tbimport_result;

/* Import; r is filled (also on failure, with what was found broken) and
 * must be released with tbimport_result_release. Returns 0, or -1 with err:
 * UM_ERR_USAGE (options), UM_ERR_IO, UM_ERR_ARCHIVE (unreadable or unsafe
 * archive), UM_ERR_SYNTAX / UM_ERR_INVALID (a malformed task, named with its
 * folder and file; or, with skip_broken, nothing left to import). */
int tbimport_run(const tbimport_opts *o, tbimport_result *r, um_error *err);
void tbimport_result_release(tbimport_result *r);

/* Extract an archive (any format and filter libarchive reads) into the
 * existing directory dest, after checking every member as described above. */
int tbimport_extract(const char *archive, const char *dest, um_error *err);

/* What a Dockerfile asks of the host. */
typedef enum tbimport_docker {
	TBIMPORT_HOST,  /* only a plain debian/ubuntu FROM and inert instructions */
	TBIMPORT_BASE,  /* no build steps, but a base image the host cannot stand in for
			 * (or a WORKDIR other than /work): *base is its reference */
	TBIMPORT_BUILD, /* RUN, COPY, ADD, ENV, USER, several stages, ...: must be built */
} tbimport_docker;
/* Classify Dockerfile text. *base (caller frees) receives the FROM reference
 * when there is exactly one, else NULL. */
tbimport_docker tbimport_dockerfile_kind(const char *text, char **base);

/* Memory sizes as Harbor writes them ("2G", "512M", "1024", "1.5GB", "4Gi")
 * to MiB. Returns 0, or -1 when s is not such a size. */
int tbimport_parse_memory(const char *s, int64_t *mb);

/* The path of `to` relative to the directory `from_dir` (both existing).
 * Caller frees; NULL when either cannot be resolved. */
char *tbimport_relpath(const char *from_dir, const char *to);

#endif
