/*
 * suite_convert.c - the conversion a suite with `import:` asks for
 * (docs/suite.md, "Tasks converted at run time"): the benchmark's release as
 * the user supplied it (Terminal-Bench task folders or an archive of them,
 * SWE-Bench Pro's JSONL) is converted by the importer into the suite's
 * `into` directory before the suite is loaded, every time, so the tasks a
 * run uses are the release's as it is now. The core only reads what the
 * conversion wrote (load/suite.c); converting is the command's job because
 * the importers sit above the loader.
 *
 * A conversion that would leave something out (a broken task folder, a bad
 * JSONL line) fails: a run must not quietly shrink the benchmark's
 * denominator. `umpire import` with --skip-broken is the way to run a part.
 */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "import/sweimport.h"
#include "import/tbimport.h"
#include "load/suite.h"

static int convert_tb(const um_suite_import *imp, const char *file, const char *tasks,
		      size_t *n, um_error *err)
{
	tbimport_opts o;
	tbimport_result r;
	int rc;

	memset(&o, 0, sizeof(o));
	o.source = imp->source;
	o.suite_path = file;
	o.tasks_dir = tasks;
	o.scaffold = TBIMPORT_DEFAULT_SCAFFOLD;
	rc = tbimport_run(&o, &r, err);
	*n = r.n_tasks;
	tbimport_result_release(&r);
	return rc;
}

static int convert_swe(const um_suite_import *imp, const char *file, const char *tasks,
		       size_t *n, um_error *err)
{
	sweimport_opts o;
	sweimport_result r;
	size_t i;
	int rc;

	memset(&o, 0, sizeof(o));
	o.source = imp->source;
	o.suite_path = file;
	o.tasks_dir = tasks;
	o.scaffold = SWEIMPORT_DEFAULT_SCAFFOLD;
	rc = sweimport_run(&o, &r, err);
	*n = r.n_tasks;
	if (rc == 0 && r.n_skipped) {
		for (i = 0; i < r.n_skipped; i++)
			fprintf(stderr, "umpire: %s\n", r.skipped[i]);
		rc = um_fail(err, UM_ERR_INVALID,
			     "%s: %zu line%s cannot be converted (above); a run takes the whole "
			     "release: fix them, or import the rest with `umpire import swe-bench-pro`",
			     imp->source, r.n_skipped, r.n_skipped == 1 ? "" : "s");
	}
	sweimport_result_release(&r);
	return rc;
}

/* Convert under a lock, so two runs of the suite do not write at once. */
static int convert_locked(const um_suite_import *imp, int quiet, um_error *err)
{
	char *lock = um_xasprintf("%s/.umpire-convert.lock", imp->into);
	char *file = um_xasprintf("%s/%s", imp->into, UM_SUITE_IMPORT_FILE);
	char *tasks = um_xasprintf("%s/tasks", imp->into);
	size_t n = 0;
	int fd, rc = -1;

	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		um_fail(err, UM_ERR_IO, "%s: cannot lock: %s", lock, strerror(errno));
		goto out;
	}
	rc = !strcmp(imp->format, "terminal-bench") ? convert_tb(imp, file, tasks, &n, err)
						    : convert_swe(imp, file, tasks, &n, err);
	if (rc < 0)
		um_error_prefix(err, "converting %s (the suite's import)", imp->source);
	else if (!quiet)
		fprintf(stderr, "umpire: %zu task%s of %s converted into %s\n", n, n == 1 ? "" : "s",
			imp->source, imp->into);
out:
	if (fd >= 0)
		close(fd);
	free(lock);
	free(file);
	free(tasks);
	return rc;
}

int cli_suite_convert(const char *suite_path, int quiet, char **scripts, um_error *err)
{
	um_suite_import imp;
	struct stat st;
	int rc = suite_import_read(suite_path, &imp, err);

	if (scripts)
		*scripts = NULL;
	if (rc <= 0)
		return rc;
	if (stat(imp.source, &st) != 0) {
		rc = um_fail(err, UM_ERR_IO,
			     "%s: import: the source %s is not there (%s): it is not shipped; "
			     "the suite file's comments say what to put there",
			     suite_path, imp.source, strerror(errno));
	} else if (mkdir(imp.into, 0777) != 0 && errno != EEXIST) {
		rc = um_fail(err, UM_ERR_IO, "%s: import: cannot create %s: %s", suite_path,
			     imp.into, strerror(errno));
	} else {
		rc = convert_locked(&imp, quiet, err);
	}
	if (rc >= 0 && scripts && imp.scripts)
		*scripts = um_xstrdup(imp.scripts);
	suite_import_release(&imp);
	return rc < 0 ? -1 : 1;
}
