/*
 * datadir.c - finding the files umpire ships (suites, scaffolds, models,
 * pools, claims, docs) wherever it runs: in a checkout, or installed by
 * `meson install` under DATADIR/umpire. The search order for a path a user
 * gives: the path as given; for a bare NAME, KIND/NAME.yaml in the current
 * directory, then in the data directory; for a relative path, the same path
 * inside the data directory. The data directory is found next to the binary
 * first (bindir/../share/umpire, so a `meson install --destdir` root works
 * as it is), then at the datadir compiled in.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "cli/cli.h"
#include "umpire_config.h"

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* bindir/<UMPIRE_DATADIR_FROM_BINDIR> of the running binary, or NULL. */
static char *data_dir_near_binary(void)
{
	char exe[PATH_MAX], *slash, *dir;
	ssize_t n;

	if (!UMPIRE_DATADIR_FROM_BINDIR[0])
		return NULL;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	dir = um_xasprintf("%s/%s", exe, UMPIRE_DATADIR_FROM_BINDIR);
	if (is_dir(dir))
		return dir;
	free(dir);
	return NULL;
}

const char *cli_data_dir(void)
{
	static char *dir;
	static int looked;

	if (!looked) {
		looked = 1;
		dir = data_dir_near_binary();
		if (!dir && is_dir(UMPIRE_DATADIR))
			dir = um_xstrdup(UMPIRE_DATADIR);
	}
	return dir;
}

static int is_bare_name(const char *s)
{
	size_t n = strlen(s);

	return n && !strchr(s, '/') && !(n > 5 && !strcmp(s + n - 5, ".yaml")) &&
	       !(n > 4 && !strcmp(s + n - 4, ".yml"));
}

char *cli_data_named(const char *kind, const char *name)
{
	const char *dd = cli_data_dir();
	char *p;

	if (!is_bare_name(name))
		return NULL;
	p = um_xasprintf("%s/%s.yaml", kind, name);
	if (is_file(p))
		return p;
	free(p);
	if (!dd)
		return NULL;
	p = um_xasprintf("%s/%s/%s.yaml", dd, kind, name);
	if (is_file(p))
		return p;
	free(p);
	return NULL;
}

char *cli_data_path(const char *path, const char *kind)
{
	const char *dd = cli_data_dir();
	char *p;

	if (!path || access(path, F_OK) == 0)
		return path ? um_xstrdup(path) : NULL;
	if (kind && (p = cli_data_named(kind, path)))
		return p;
	if (path[0] != '/' && dd) {
		p = um_xasprintf("%s/%s", dd, path);
		if (access(p, F_OK) == 0)
			return p;
		free(p);
	}
	return um_xstrdup(path);
}
