/*
 * tbimport.c - Terminal-Bench 1 and 2 (Harbor) tasks into a umpire terminal
 * suite (see tbimport.h; the field mappings are in docs/import.md).
 *
 * The import runs in four steps:
 *   1. the source: a directory is read in place; an archive is checked member
 *      by member (libarchive), then extracted into a hidden directory inside
 *      the tasks directory, and removed again at the end;
 *   2. discovery: the source is one task folder (it holds task.yaml or
 *      task.toml) or a folder of them (one level down; a single wrapping
 *      folder, as archives often have, is looked through);
 *   3. conversion: each task is read strictly (task.yaml through yml.c,
 *      task.toml through toml.c, every error with file:line:col) and written
 *      in umpire's task layout into a staging directory;
 *   4. publication: the staged task directories are moved into the tasks
 *      directory and the suite YAML is written with libyaml's emitter.
 *
 * Whether a task can run on the host is decided conservatively from its
 * Dockerfile (tbimport_dockerfile_kind): only a single plain debian or
 * ubuntu FROM with inert instructions is something the host's read-only root
 * can stand in for. Everything else is imported with its reason in
 * `unsupported`, and the build context is kept under environment/ so that a
 * container driver can build it later.
 */
#include "import/tbimport.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "load/toml.h"
#include "base/util.h"
#include "load/yml.h"
#include "base/ymlemit.h"

#define TREE_MAX_DEPTH 32
#define TASK_FILE_MAX ((size_t)512 << 20)

/* One converted task, before it is written into the suite. */
typedef struct tb_task {
	char *id;
	char *label;        /* the folder as named in messages */
	char *src;          /* the folder on disk */
	int version;        /* 1, 2; 0: neither task file */
	int both;           /* both task.yaml and task.toml */
	char *category;
	char *difficulty;
	char **tags;
	size_t n_tags;
	char *test_command;
	const char *verdict;
	int agent_s, verifier_s; /* 0: not given */
	int memory_mb, cpus;     /* 0: not given */
	int network;             /* -1: not given */
	char *image;
	char *unsupported;       /* refused: never run, with this reason */
	int needs_image;         /* runs only in a container (image or build) */
	int build;               /* environment/ is its image's build context */
	int has_solution;
	int solution_dir;        /* solution/ kept whole: solution/solve.sh */
	int storage_mb;          /* 0: not given */
	json_t *env, *verifier_env, *solution_env; /* the env tables, or NULL */
} tb_task;

static void tb_task_release(tb_task *t)
{
	size_t i;

	free(t->id);
	free(t->label);
	free(t->src);
	free(t->category);
	free(t->difficulty);
	for (i = 0; i < t->n_tags; i++)
		free(t->tags[i]);
	free(t->tags);
	free(t->test_command);
	free(t->image);
	free(t->unsupported);
	if (t->env)
		json_decref(t->env);
	if (t->verifier_env)
		json_decref(t->verifier_env);
	if (t->solution_env)
		json_decref(t->solution_env);
	memset(t, 0, sizeof(*t));
}

/* ---- small file helpers ---------------------------------------------------- */

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int path_exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return (flag == FTW_DP ? rmdir(p) : unlink(p)) < 0 && errno != ENOENT ? -1 : 0;
}

/* rm -rf without following symlinks. */
static int rm_tree(const char *p)
{
	if (!path_exists(p))
		return 0;
	return nftw(p, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int write_bytes(const char *path, const void *data, size_t len, int mode, um_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	const char *p = data;

	if (fd < 0)
		return um_fail(err, UM_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			um_fail(err, UM_ERR_IO, "%s: write error: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0)
		return um_fail(err, UM_ERR_IO, "%s: write error: %s", path, strerror(errno));
	/* open() applied the umask; the executable bit must survive it */
	if (chmod(path, (mode_t)mode) < 0)
		return um_fail(err, UM_ERR_IO, "%s: chmod: %s", path, strerror(errno));
	return 0;
}

static int copy_file(const char *src, const char *dst, int exec, um_error *err)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	int rc;

	if (stat(src, &st) < 0)
		return um_fail(err, UM_ERR_IO, "%s: %s", src, strerror(errno));
	if ((uint64_t)st.st_size > TASK_FILE_MAX)
		return um_fail(err, UM_ERR_INVALID, "%s: %lld bytes is over the limit of %zu", src,
			       (long long)st.st_size, TASK_FILE_MAX);
	if (um_read_file(src, &data, &len, err) < 0)
		return -1;
	rc = write_bytes(dst, data, len, exec || (st.st_mode & 0111) ? 0755 : 0644, err);
	free(data);
	return rc;
}

static int make_dir(const char *p, um_error *err)
{
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return um_fail(err, UM_ERR_IO, "%s: cannot create directory: %s", p,
			       strerror(errno));
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in a directory (without . and ..); NULL with err on failure. */
static char **list_dir(const char *path, size_t *n_out, um_error *err)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	*n_out = 0;
	if (!d) {
		um_fail(err, UM_ERR_IO, "%s: cannot read directory: %s", path, strerror(errno));
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		um_xgrow((void **)&names, &cap, n + 2, sizeof(char *));
		names[n++] = um_xstrdup(de->d_name);
	}
	closedir(d);
	if (!names)
		names = um_xcalloc(1, sizeof(char *));
	qsort(names, n, sizeof(char *), cmp_str);
	*n_out = n;
	return names;
}

static void free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Is the real path p inside (or equal to) the real directory root? */
static int path_within(const char *p, const char *root)
{
	size_t n = strlen(root);

	if (!strcmp(root, "/"))
		return 1;
	return !strncmp(p, root, n) && (p[n] == '\0' || p[n] == '/');
}

/* Copy the tree src to dst (created). Symlinks are followed only when they
 * resolve inside root (the task folder); names in skip (top level only) are
 * left out. */
static int copy_tree(const char *src, const char *dst, const char *root,
		     const char *const *skip, int depth, um_error *err)
{
	char **names;
	size_t n, i;
	int rc = -1;

	if (depth > TREE_MAX_DEPTH)
		return um_fail(err, UM_ERR_INVALID, "%s: directory tree deeper than %d levels "
			       "(or a symlink loop)", src, TREE_MAX_DEPTH);
	if (make_dir(dst, err) < 0)
		return -1;
	names = list_dir(src, &n, err);
	if (!names)
		return -1;
	for (i = 0; i < n; i++) {
		char *s = um_xasprintf("%s/%s", src, names[i]);
		char *d = um_xasprintf("%s/%s", dst, names[i]);
		struct stat st;
		int ok = 0, k;

		for (k = 0; skip && skip[k]; k++)
			if (!strcmp(skip[k], names[i]))
				break;
		if (skip && skip[k]) {
			free(s);
			free(d);
			continue;
		}
		if (lstat(s, &st) < 0) {
			um_fail(err, UM_ERR_IO, "%s: %s", s, strerror(errno));
		} else if (S_ISLNK(st.st_mode)) {
			char *real = realpath(s, NULL);
			if (!real)
				um_fail(err, UM_ERR_INVALID, "%s: a symlink to nothing", s);
			else if (!path_within(real, root))
				um_fail(err, UM_ERR_INVALID,
					"%s: a symlink pointing outside the task folder", s);
			else if (is_dir(real))
				ok = copy_tree(s, d, root, NULL, depth + 1, err) == 0;
			else if (is_file(real))
				ok = copy_file(real, d, 0, err) == 0;
			else
				um_fail(err, UM_ERR_INVALID, "%s: not a file or directory", s);
			free(real);
		} else if (S_ISDIR(st.st_mode)) {
			ok = copy_tree(s, d, root, NULL, depth + 1, err) == 0;
		} else if (S_ISREG(st.st_mode)) {
			ok = copy_file(s, d, 0, err) == 0;
		} else {
			um_fail(err, UM_ERR_INVALID, "%s: not a file, directory or symlink", s);
		}
		free(s);
		free(d);
		if (!ok)
			goto out;
	}
	rc = 0;
out:
	free_names(names, n);
	return rc;
}

/* ---- small value helpers ---------------------------------------------- */

static int valid_id(const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";

	return *s && strspn(s, ok) == strlen(s) && strcmp(s, ".") && strcmp(s, "..");
}

/* Seconds (as the benchmarks write them, often 360.0) to whole seconds in
 * the range a suite accepts. */
static int secs(double v)
{
	double c = ceil(v);

	if (!(c >= 1))
		return 1;
	if (c > 86400)
		return 86400;
	return (int)c;
}

static char *norm_difficulty(const char *d)
{
	static const char *const known[] = {"easy", "medium", "hard", "unknown"};
	size_t i;

	for (i = 0; i < UM_ARRAY_LEN(known); i++)
		if (!strcasecmp(d, known[i]))
			return um_xstrdup(known[i]);
	return um_xstrdup("unknown");
}

int tbimport_parse_memory(const char *s, int64_t *mb)
{
	char *end;
	double v, mul = 1.0 / (1024.0 * 1024.0); /* bare numbers are bytes */

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !(v > 0) || *s == '-' || *s == '+')
		return -1;
	while (*end == ' ')
		end++;
	if (*end) {
		char u = (char)(*end | 0x20);
		const char *rest = end + 1;
		if (u == 'k')
			mul = 1.0 / 1024.0;
		else if (u == 'm')
			mul = 1.0;
		else if (u == 'g')
			mul = 1024.0;
		else if (u == 't')
			mul = 1024.0 * 1024.0;
		else
			return -1;
		if (strcasecmp(rest, "") && strcasecmp(rest, "b") && strcasecmp(rest, "i") &&
		    strcasecmp(rest, "ib"))
			return -1;
	} else if (v >= 1024.0 * 1024.0) {
		mul = 1.0 / (1024.0 * 1024.0);
	} else {
		mul = 1.0; /* a small bare number: already MiB */
	}
	v = ceil(v * mul);
	if (v < 1 || v > (double)(1 << 20) * 1024)
		return -1;
	*mb = (int64_t)v;
	return 0;
}

/* ---- Dockerfiles -------------------------------------------------------- */

static int plain_base(const char *ref)
{
	const char *r = ref;
	size_t n;

	if (um_has_prefix(r, "docker.io/"))
		r += strlen("docker.io/");
	if (um_has_prefix(r, "library/"))
		r += strlen("library/");
	n = strcspn(r, ":@");
	return (n == 6 && !strncmp(r, "debian", 6)) || (n == 6 && !strncmp(r, "ubuntu", 6));
}

tbimport_docker tbimport_dockerfile_kind(const char *text, char **base)
{
	const char *p = text;
	char *ref = NULL;
	int froms = 0, other_workdir = 0, build = 0;
	um_buf line;

	*base = NULL;
	um_buf_init(&line, 0);
	while (*p && !build) {
		const char *e;
		char *l, *word, *arg;
		size_t wl;

		/* one logical line: physical lines joined at a trailing backslash,
		 * comment lines inside a continuation skipped */
		um_buf_reset(&line);
		for (;;) {
			const char *s = p;
			size_t len;
			e = strchr(p, '\n');
			len = e ? (size_t)(e - p) : strlen(p);
			p = e ? e + 1 : p + len;
			while (len && strchr(" \t\r", s[len - 1]))
				len--;
			{
				size_t k = strspn(s, " \t");
				if (line.len && k < len && s[k] == '#')
					continue;
			}
			if (len && s[len - 1] == '\\') {
				um_buf_append(&line, s, len - 1);
				um_buf_putc(&line, ' ');
				if (*p)
					continue;
			} else {
				um_buf_append(&line, s, len);
			}
			break;
		}
		l = um_xstrdup(um_buf_str(&line));
		word = l + strspn(l, " \t");
		if (!*word || *word == '#') {
			free(l);
			continue;
		}
		wl = strcspn(word, " \t");
		arg = word + wl;
		arg += strspn(arg, " \t");
		word[wl] = '\0';
		if (!strcasecmp(word, "FROM")) {
			size_t al;
			froms++;
			while (um_has_prefix(arg, "--")) { /* --platform=... */
				arg += strcspn(arg, " \t");
				arg += strspn(arg, " \t");
			}
			al = strcspn(arg, " \t");
			free(ref);
			ref = um_xstrndup(arg, al);
			if (froms > 1 || !*ref || strchr(ref, '$'))
				build = 1;
		} else if (!strcasecmp(word, "WORKDIR")) {
			um_trim(arg);
			if (strcmp(arg, "/work") && strcmp(arg, "/work/"))
				other_workdir = 1;
		} else if (!strcasecmp(word, "LABEL") || !strcasecmp(word, "MAINTAINER") ||
			   !strcasecmp(word, "ARG") || !strcasecmp(word, "CMD") ||
			   !strcasecmp(word, "ENTRYPOINT") || !strcasecmp(word, "EXPOSE") ||
			   !strcasecmp(word, "STOPSIGNAL") || !strcasecmp(word, "HEALTHCHECK") ||
			   !strcasecmp(word, "SHELL")) {
			/* nothing the host would have to reproduce */
		} else {
			/* RUN, COPY, ADD, ENV, USER, VOLUME, ONBUILD and anything unknown */
			build = 1;
		}
		free(l);
	}
	um_buf_release(&line);
	if (froms == 1 && !build)
		*base = ref;
	else
		free(ref);
	if (build || froms != 1)
		return TBIMPORT_BUILD;
	if (!plain_base(*base) || other_workdir)
		return TBIMPORT_BASE;
	return TBIMPORT_HOST;
}

/* Service names of a docker compose file when it has more than one; NULL
 * when it has one or none. -1 on a malformed file. */
static int compose_services(const char *path, const char *display, char **list, um_error *err)
{
	char *data = NULL;
	size_t len = 0, i;
	yml_doc *d;
	yml_node *svc;
	um_buf b;

	*list = NULL;
	if (um_read_file(path, &data, &len, err) < 0)
		return -1;
	d = yml_load_buffer(display, data, len, err);
	free(data);
	if (!d)
		return -1;
	svc = yml_get(d->root, "services");
	if (svc && svc->kind == YML_MAP && svc->n > 1) {
		um_buf_init(&b, 0);
		for (i = 0; i < svc->n; i++)
			um_buf_printf(&b, "%s%s", i ? ", " : "", svc->keys[i]->scalar);
		*list = um_buf_detach(&b);
	}
	yml_doc_free(d);
	return 0;
}

/* Decide where the task can run from the Dockerfile and compose file in
 * ctx (a task folder or its environment/). *copy_ctx is set when the build
 * context must be kept. display names ctx in messages. */
static int classify_env(const char *ctx, const char *display, tb_task *t, int *copy_ctx,
			um_error *err)
{
	static const char *const composes[] = {"docker-compose.yaml", "docker-compose.yml",
					       "compose.yaml", "compose.yml"};
	char *df = um_xasprintf("%s/Dockerfile", ctx), *services = NULL, *base = NULL;
	size_t i;
	int rc = 0;

	*copy_ctx = 0;
	for (i = 0; i < UM_ARRAY_LEN(composes) && rc == 0; i++) {
		char *cp = um_xasprintf("%s/%s", ctx, composes[i]);
		if (is_file(cp) && !services) {
			char *disp = um_xasprintf("%s/%s", display, composes[i]);
			rc = compose_services(cp, disp, &services, err);
			free(disp);
		}
		free(cp);
	}
	if (rc < 0)
		goto out;
	if (t->image) {
		/* TB2 docker_image: always a container */
		t->needs_image = 1;
	} else if (is_file(df)) {
		char *text = NULL;
		if (um_read_file(df, &text, NULL, err) < 0) {
			rc = -1;
			goto out;
		}
		switch (tbimport_dockerfile_kind(text, &base)) {
		case TBIMPORT_HOST:
			break;
		case TBIMPORT_BASE:
			/* built too: a FROM-only Dockerfile still sets the WORKDIR,
			 * ENV and user the task runs with */
		case TBIMPORT_BUILD:
			t->needs_image = 1;
			t->build = 1;
			*copy_ctx = 1;
			break;
		}
		free(text);
	}
	if (services) {
		/* several containers: refused, never imported as if one would do */
		char *u = um_xasprintf("a multi-container task (docker compose services: %s); "
				       "umpire runs one container per attempt", services);
		free(t->unsupported);
		t->unsupported = u;
		*copy_ctx = 1;
		t->build = 0;
	}
out:
	free(services);
	free(base);
	free(df);
	return rc;
}

/* ---- reading helpers ------------------------------------------------------ */

static int read_text(const char *path, const char *display, char **out, size_t *len,
		     um_error *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return um_fail(err, UM_ERR_INVALID, "%s: missing", display);
	if (!S_ISREG(st.st_mode))
		return um_fail(err, UM_ERR_INVALID, "%s: not a regular file", display);
	if ((uint64_t)st.st_size > TASK_FILE_MAX)
		return um_fail(err, UM_ERR_INVALID, "%s: too large", display);
	return um_read_file(path, out, len, err);
}

static int blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

static int write_instruction(const char *dst, const char *text, um_error *err)
{
	char *p = um_xasprintf("%s/instruction.md", dst);
	size_t n = strlen(text);
	char *body = n && text[n - 1] == '\n' ? um_xstrdup(text) : um_xasprintf("%s\n", text);
	int rc = write_bytes(p, body, strlen(body), 0644, err);

	free(body);
	free(p);
	return rc;
}

/* ---- Terminal-Bench 1 ----------------------------------------------------- */

static const char *const tb1_context_skip[] = {
	"task.yaml", "run-tests.sh", "tests", "solution.sh", "solution.yaml", NULL,
};

/* solution.yaml: a list of commands (strings, or maps with `command`). */
static int tb1_solution_yaml(const char *path, const char *display, const char *dst,
			     um_error *err)
{
	char *data = NULL, *out;
	size_t len = 0, i;
	yml_doc *d;
	um_buf b;
	int rc = -1;

	if (read_text(path, display, &data, &len, err) < 0)
		return -1;
	d = yml_load_buffer(display, data, len, err);
	free(data);
	if (!d)
		return -1;
	um_buf_init(&b, 0);
	um_buf_puts(&b, "#!/bin/bash\n# Converted from solution.yaml: its commands, in order.\n");
	if (!d->root || d->root->kind != YML_SEQ) {
		if (d->root)
			yml_fail(d, d->root, UM_ERR_INVALID, err,
				 "solution.yaml must be a list of commands, got %s",
				 yml_kind_name(d->root));
		else
			um_fail(err, UM_ERR_INVALID, "%s: empty", display);
		goto out;
	}
	for (i = 0; i < d->root->n; i++) {
		yml_node *it = d->root->items[i];
		char *cmd = NULL;
		if (it->kind == YML_MAP) {
			if (yml_str(d, it, "command", 1, &cmd, err) < 0)
				goto out;
		} else if (yml_node_str(d, it, "a solution command", &cmd, err) < 0) {
			goto out;
		}
		um_buf_printf(&b, "%s\n", cmd);
		free(cmd);
	}
	out = um_xasprintf("%s/solution.sh", dst);
	rc = write_bytes(out, um_buf_str(&b), b.len, 0755, err);
	free(out);
out:
	um_buf_release(&b);
	yml_doc_free(d);
	return rc;
}

/* A Terminal-Bench 1 task.yaml's instruction: `instruction`, or in early
 * tasks the `base` entry of `descriptions`. Caller frees *instr. */
static int tb1_instruction(yml_doc *d, const char *disp, char **instr, um_error *err)
{
	const yml_node *n;
	size_t i;

	if (yml_str(d, d->root, "instruction", 0, instr, err) < 0)
		return -1;
	n = yml_get(d->root, "descriptions");
	if (!*instr && n && !yml_is_null(n)) {
		/* early tasks: descriptions: [{key: base, description: ...}] */
		if (yml_expect(d, n, YML_SEQ, "descriptions", err) < 0)
			return -1;
		for (i = 0; i < n->n && !*instr; i++) {
			char *key = NULL;
			if (yml_expect(d, n->items[i], YML_MAP, "a description", err) < 0 ||
			    yml_str(d, n->items[i], "key", 0, &key, err) < 0)
				return -1;
			if (!key || !strcmp(key, "base"))
				if (yml_str(d, n->items[i], "description", 1, instr, err) < 0) {
					free(key);
					return -1;
				}
			free(key);
		}
	}
	if (!*instr || blank(*instr)) {
		n = yml_get(d->root, "instruction");
		if (n)
			yml_fail(d, n, UM_ERR_INVALID, err, "the instruction is empty");
		else
			um_fail(err, UM_ERR_INVALID, "%s: no 'instruction'", disp);
		return -1;
	}
	return 0;
}

/* The rest of a Terminal-Bench 1 task.yaml into t: category, difficulty,
 * tags and the time limits; its parser_name into *parser (caller frees). */
static int tb1_metadata(yml_doc *d, tb_task *t, char **parser, um_error *err)
{
	const yml_node *n;
	char *p = NULL;
	double v = 0;
	size_t i;

	if (yml_str(d, d->root, "category", 0, &t->category, err) < 0 ||
	    yml_str(d, d->root, "difficulty", 0, &p, err) < 0 ||
	    yml_str(d, d->root, "parser_name", 0, parser, err) < 0)
		return -1;
	if (p) {
		t->difficulty = norm_difficulty(p);
		free(p);
	}
	n = yml_get(d->root, "tags");
	if (n && !yml_is_null(n)) {
		if (yml_expect(d, n, YML_SEQ, "tags", err) < 0)
			return -1;
		t->tags = um_xcalloc(n->n ? n->n : 1, sizeof(char *));
		for (i = 0; i < n->n; i++) {
			if (yml_node_str(d, n->items[i], "a tag", &t->tags[t->n_tags], err) < 0)
				return -1;
			t->n_tags++;
		}
	}
	if (yml_double(d, d->root, "max_agent_timeout_sec", 0, 0, 1e9, &v, err) < 0)
		return -1;
	if (yml_get(d->root, "max_agent_timeout_sec") &&
	    !yml_is_null(yml_get(d->root, "max_agent_timeout_sec")))
		t->agent_s = secs(v);
	if (yml_double(d, d->root, "max_test_timeout_sec", 0, 0, 1e9, &v, err) < 0)
		return -1;
	if (yml_get(d->root, "max_test_timeout_sec") &&
	    !yml_is_null(yml_get(d->root, "max_test_timeout_sec")))
		t->verifier_s = secs(v);
	return 0;
}

static int tb1_convert(const char *src, const char *label, const char *dst, tb_task *t,
		       um_error *err)
{
	char *path = um_xasprintf("%s/task.yaml", src), *disp = um_xasprintf("%s/task.yaml", label);
	char *data = NULL, *instr = NULL, *parser = NULL, *p = NULL, *q = NULL;
	yml_doc *d = NULL;
	size_t len = 0;
	int rc = -1, copy_ctx = 0;

	if (read_text(path, disp, &data, &len, err) < 0)
		goto out;
	if (!(d = yml_load_buffer(disp, data, len, err)))
		goto out;
	if (!d->root) {
		um_fail(err, UM_ERR_INVALID, "%s: empty; no instruction", disp);
		goto out;
	}
	if (yml_expect(d, d->root, YML_MAP, "task.yaml", err) < 0)
		goto out;
	if (tb1_instruction(d, disp, &instr, err) < 0 || tb1_metadata(d, t, &parser, err) < 0)
		goto out;

	free(path);
	path = um_xasprintf("%s/run-tests.sh", src);
	if (!is_file(path)) {
		um_fail(err, UM_ERR_INVALID, "%s/run-tests.sh: missing; a Terminal-Bench 1 task "
			"needs its test runner", label);
		goto out;
	}
	if (make_dir(dst, err) < 0 || write_instruction(dst, instr, err) < 0)
		goto out;
	p = um_xasprintf("%s/tests", src);
	q = um_xasprintf("%s/tests", dst);
	if (is_dir(p) ? copy_tree(p, q, src, NULL, 0, err) < 0 : make_dir(q, err) < 0)
		goto out;
	free(p);
	p = um_xasprintf("%s/test.sh", q);
	if (path_exists(p)) {
		free(p);
		p = um_xasprintf("%s/run-tests.sh", q);
		t->test_command = um_xstrdup("env TEST_DIR=/tests bash /tests/run-tests.sh");
	} else {
		t->test_command = um_xstrdup("env TEST_DIR=/tests bash /tests/test.sh");
	}
	if (copy_file(path, p, 1, err) < 0)
		goto out;
	free(p);
	free(q);
	p = q = NULL;
	if (classify_env(src, label, t, &copy_ctx, err) < 0)
		goto out;
	if (copy_ctx) {
		free(q);
		q = um_xasprintf("%s/environment", dst);
		if (copy_tree(src, q, src, tb1_context_skip, 0, err) < 0)
			goto out;
	}
	if (!parser || !strcmp(parser, "pytest")) {
		t->verdict = "pytest";
	} else {
		char *u = um_xasprintf("%s%suses the '%s' test output parser, which umpire does "
				       "not read", t->unsupported ? t->unsupported : "",
				       t->unsupported ? "; it also " : "", parser);
		t->verdict = "exit_code";
		free(t->unsupported);
		t->unsupported = u;
	}
	free(q);
	p = um_xasprintf("%s/solution.sh", src);
	q = um_xasprintf("%s/solution.sh", dst);
	if (is_file(p)) {
		if (copy_file(p, q, 1, err) < 0)
			goto out;
		t->has_solution = 1;
	} else {
		free(p);
		p = um_xasprintf("%s/solution.yaml", src);
		if (is_file(p)) {
			char *sd = um_xasprintf("%s/solution.yaml", label);
			int k = tb1_solution_yaml(p, sd, dst, err);
			free(sd);
			if (k < 0)
				goto out;
			t->has_solution = 1;
		}
	}
	rc = 0;
out:
	free(path);
	free(disp);
	free(data);
	free(instr);
	free(parser);
	free(p);
	free(q);
	yml_doc_free(d);
	return rc;
}

/* ---- Terminal-Bench 2 / Harbor --------------------------------------------- */

typedef struct tb2_doc {
	const char *disp;
	json_t *root, *pos;
} tb2_doc;

/* A section of task.toml: NULL when absent; -1 when not a table. */
static int tb2_section(const tb2_doc *d, const char *name, json_t **out, um_error *err)
{
	json_t *s = json_object_get(d->root, name);
	int line, col;

	*out = NULL;
	if (!s)
		return 0;
	if (!json_is_object(s)) {
		toml_pos_lookup(d->pos, name, &line, &col);
		return um_fail_at(err, UM_ERR_INVALID, d->disp, line ? line : 1, col,
				  "'%s' must be a table ([%s])", name, name);
	}
	*out = s;
	return 0;
}

static int tb2_type_error(const tb2_doc *d, const char *sec, const char *key, const char *want,
			  um_error *err)
{
	char *path = um_xasprintf("%s.%s", sec, key);
	int line, col;

	toml_pos_lookup(d->pos, path, &line, &col);
	free(path);
	return um_fail_at(err, UM_ERR_INVALID, d->disp, line ? line : 1, col,
			  "[%s] %s must be %s", sec, key, want);
}

/* Typed reads; 0 when absent, 1 when read. */
static int tb2_str(const tb2_doc *d, json_t *s, const char *sec, const char *key, char **out,
		   um_error *err)
{
	json_t *v = s ? json_object_get(s, key) : NULL;

	if (!v)
		return 0;
	if (!json_is_string(v))
		return tb2_type_error(d, sec, key, "a string", err);
	*out = um_xstrdup(json_string_value(v));
	return 1;
}

static int tb2_num(const tb2_doc *d, json_t *s, const char *sec, const char *key, double *out,
		   um_error *err)
{
	json_t *v = s ? json_object_get(s, key) : NULL;

	if (!v)
		return 0;
	if (!json_is_number(v) || json_number_value(v) < 0)
		return tb2_type_error(d, sec, key, "a non-negative number", err);
	*out = json_number_value(v);
	return 1;
}

/* An env table ([verifier.env], [environment.env], [solution.env]): names to
 * strings, numbers or booleans; kept as an object of strings. */
static int tb2_env(const tb2_doc *d, json_t *sec, const char *secname, json_t **out,
		   um_error *err)
{
	json_t *e = sec ? json_object_get(sec, "env") : NULL, *v;
	const char *k;

	*out = NULL;
	if (!e)
		return 0;
	if (!json_is_object(e))
		return tb2_type_error(d, secname, "env", "a table of names to values", err);
	*out = json_object();
	json_object_foreach(e, k, v) {
		if (json_is_string(v))
			json_object_set(*out, k, v);
		else if (json_is_integer(v))
			json_object_set_new(*out, k, json_sprintf("%lld",
								  (long long)json_integer_value(v)));
		else if (json_is_real(v))
			json_object_set_new(*out, k, json_sprintf("%.17g", json_real_value(v)));
		else if (json_is_boolean(v))
			json_object_set_new(*out, k, json_string(json_is_true(v) ? "true" : "false"));
		else
			return tb2_type_error(d, secname, "env", "a table of names to scalar values",
					      err);
	}
	return 0;
}

/* [metadata]: category, difficulty, tags. */
static int tb2_metadata(const tb2_doc *d, json_t *meta, tb_task *t, um_error *err)
{
	char *s = NULL;
	json_t *v;
	size_t i;

	if (tb2_str(d, meta, "metadata", "category", &t->category, err) < 0 ||
	    tb2_str(d, meta, "metadata", "difficulty", &s, err) < 0)
		return -1;
	if (s) {
		t->difficulty = norm_difficulty(s);
		free(s);
	}
	v = meta ? json_object_get(meta, "tags") : NULL;
	if (!v)
		return 0;
	if (!json_is_array(v))
		return tb2_type_error(d, "metadata", "tags", "an array of strings", err);
	t->tags = um_xcalloc(json_array_size(v) + 1, sizeof(char *));
	for (i = 0; i < json_array_size(v); i++) {
		json_t *tag = json_array_get(v, i);
		if (!json_is_string(tag))
			return tb2_type_error(d, "metadata", "tags", "an array of strings", err);
		t->tags[t->n_tags++] = um_xstrdup(json_string_value(tag));
	}
	return 0;
}

/* [environment] memory_mb or memory ("2G"). */
static int tb2_memory(const tb2_doc *d, json_t *env, tb_task *t, um_error *err)
{
	json_t *v = env ? json_object_get(env, "memory_mb") : NULL;
	int64_t mb;

	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 16 ||
		    json_integer_value(v) > (1 << 20))
			return tb2_type_error(d, "environment", "memory_mb",
					      "an integer from 16 to 1048576", err);
		t->memory_mb = (int)json_integer_value(v);
	} else if ((v = env ? json_object_get(env, "memory") : NULL)) {
		if (!json_is_string(v) || tbimport_parse_memory(json_string_value(v), &mb) < 0 ||
		    mb < 16 || mb > (1 << 20))
			return tb2_type_error(d, "environment", "memory",
					      "a size such as \"2G\" or \"512M\" (16M to 1T)", err);
		t->memory_mb = (int)mb;
	}
	return 0;
}

/* [agent] and [verifier] timeouts; [environment] image, cpus, memory,
 * storage, network, type. */
static int tb2_limits(const tb2_doc *d, json_t *agent, json_t *verifier, json_t *env, tb_task *t,
		      um_error *err)
{
	double num;
	char *type = NULL;
	json_t *v;
	int k;

	if ((k = tb2_num(d, agent, "agent", "timeout_sec", &num, err)) < 0)
		return -1;
	if (k)
		t->agent_s = secs(num);
	if ((k = tb2_num(d, verifier, "verifier", "timeout_sec", &num, err)) < 0)
		return -1;
	if (k)
		t->verifier_s = secs(num);
	if (tb2_str(d, env, "environment", "docker_image", &t->image, err) < 0)
		return -1;
	if (t->image && blank(t->image)) {
		free(t->image);
		t->image = NULL;
	}
	if ((k = tb2_num(d, env, "environment", "cpus", &num, err)) < 0)
		return -1;
	if (k)
		t->cpus = num < 1 ? 1 : num > 1024 ? 1024 : (int)ceil(num);
	if ((k = tb2_num(d, env, "environment", "storage_mb", &num, err)) < 0)
		return -1;
	if (k)
		t->storage_mb = num < 16 ? 16 : num > (1 << 24) ? (1 << 24) : (int)num;
	if (tb2_memory(d, env, t, err) < 0)
		return -1;
	t->network = -1;
	v = env ? json_object_get(env, "allow_internet") : NULL;
	if (v) {
		if (!json_is_boolean(v))
			return tb2_type_error(d, "environment", "allow_internet", "true or false", err);
		t->network = json_is_true(v);
	}
	if (tb2_str(d, env, "environment", "type", &type, err) < 0)
		return -1;
	if (type && strcmp(type, "docker") != 0 && !t->unsupported)
		t->unsupported = um_xasprintf("environment type '%s': umpire runs docker "
					      "environments only", type);
	free(type);
	return 0;
}

/* Multi-step tasks ([[steps]]) are refused with the reason: run as one
 * instruction they would be scored wrong. */
static int tb2_steps(const tb2_doc *d, tb_task *t, um_error *err)
{
	json_t *v = json_object_get(d->root, "steps");

	if (!v)
		return 0;
	if (!json_is_array(v)) {
		int line, col;
		toml_pos_lookup(d->pos, "steps", &line, &col);
		return um_fail_at(err, UM_ERR_INVALID, d->disp, line ? line : 1, col,
				  "'steps' must be an array of tables ([[steps]])");
	}
	if (!t->unsupported)
		t->unsupported = um_xasprintf("a multi-step task (%zu [[steps]]): umpire does not "
					      "run its steps one by one", json_array_size(v));
	return 0;
}

/* The folders: instruction.md, tests/ (test.sh required), solution/ (whole:
 * solve.sh and what it uses), environment/ (the build context). */
static int tb2_files(const char *src, const char *label, const char *dst, tb_task *t,
		     um_error *err)
{
	char *p = um_xasprintf("%s/instruction.md", src), *q = um_xasprintf("%s/instruction.md", label);
	char *instr = NULL, *s = NULL;
	int rc = -1, copy_ctx = 0;

	if (read_text(p, q, &instr, NULL, err) < 0)
		goto out;
	if (blank(instr)) {
		um_fail(err, UM_ERR_INVALID, "%s: the instruction is empty", q);
		goto out;
	}
	free(p);
	p = um_xasprintf("%s/tests/test.sh", src);
	if (!is_file(p)) {
		um_fail(err, UM_ERR_INVALID, "%s/tests/test.sh: missing; a Terminal-Bench 2 task "
			"needs its verifier script", label);
		goto out;
	}
	free(p);
	free(q);
	p = um_xasprintf("%s/tests", src);
	q = um_xasprintf("%s/tests", dst);
	if (make_dir(dst, err) < 0 || write_instruction(dst, instr, err) < 0 ||
	    copy_tree(p, q, src, NULL, 0, err) < 0)
		goto out;
	t->test_command = um_xstrdup("bash /tests/test.sh");
	t->verdict = "reward_file";
	free(p);
	free(q);
	p = um_xasprintf("%s/solution/solve.sh", src);
	if (is_file(p)) {
		/* the whole folder: files beside solve.sh are the oracle's too */
		free(p);
		p = um_xasprintf("%s/solution", src);
		q = um_xasprintf("%s/solution", dst);
		if (copy_tree(p, q, src, NULL, 0, err) < 0)
			goto out;
		t->has_solution = 1;
		t->solution_dir = 1;
	} else {
		q = NULL;
	}
	free(p);
	free(q);
	p = um_xasprintf("%s/environment", src);
	q = um_xasprintf("%s/environment", label);
	s = um_xasprintf("%s/environment", dst);
	if (is_dir(p) || t->image) {
		if (classify_env(p, q, t, &copy_ctx, err) < 0)
			goto out;
		if (copy_ctx && is_dir(p) && copy_tree(p, s, src, NULL, 0, err) < 0)
			goto out;
	}
	rc = 0;
out:
	free(p);
	free(q);
	free(s);
	free(instr);
	return rc;
}

static int tb2_convert(const char *src, const char *label, const char *dst, tb_task *t,
		       um_error *err)
{
	char *path = um_xasprintf("%s/task.toml", src), *disp = um_xasprintf("%s/task.toml", label);
	char *data = NULL;
	json_t *meta, *agent, *verifier, *env, *sol;
	tb2_doc d = {disp, NULL, NULL};
	size_t len = 0;
	int rc = -1;

	if (read_text(path, disp, &data, &len, err) < 0)
		goto out;
	if (!(d.root = toml_parse(disp, data, len, &d.pos, err)))
		goto out;
	if (tb2_section(&d, "metadata", &meta, err) < 0 ||
	    tb2_section(&d, "agent", &agent, err) < 0 ||
	    tb2_section(&d, "verifier", &verifier, err) < 0 ||
	    tb2_section(&d, "environment", &env, err) < 0 ||
	    tb2_section(&d, "solution", &sol, err) < 0)
		goto out;
	if (tb2_metadata(&d, meta, t, err) < 0 || tb2_limits(&d, agent, verifier, env, t, err) < 0 ||
	    tb2_steps(&d, t, err) < 0 || tb2_env(&d, env, "environment", &t->env, err) < 0 ||
	    tb2_env(&d, verifier, "verifier", &t->verifier_env, err) < 0 ||
	    tb2_env(&d, sol, "solution", &t->solution_env, err) < 0)
		goto out;
	rc = tb2_files(src, label, dst, t, err);
out:
	free(path);
	free(disp);
	free(data);
	json_decref(d.root);
	json_decref(d.pos);
	return rc;
}

/* ---- archives ------------------------------------------------------------- */

/* "./a/b/" -> "a/b"; NULL for the archive's root entry ("." or "./"). The
 * result points into a copy the caller frees. */
static char *member_name(const char *name)
{
	char *s, *e;

	if (!name)
		return um_xstrdup("");
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	s = um_xstrdup(name);
	e = s + strlen(s);
	while (e > s && e[-1] == '/')
		*--e = '\0';
	return s;
}

/* bundle.c's rule for member names: relative, no empty, "." or ".."
 * components, no control characters or backslashes. */
static int name_safe(const char *name)
{
	const char *p = name;

	if (!*name || name[0] == '/' || strlen(name) > 4096)
		return 0;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t l = slash ? (size_t)(slash - p) : strlen(p);
		if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (!slash)
			break;
		p = slash + 1;
	}
	for (p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '\\')
			return 0;
	return 1;
}

/* Does a symlink at name with this target stay inside the archive? */
static int link_target_safe(const char *name, const char *target)
{
	const char *p = target;
	int depth = 0;
	const char *c;

	if (!*target || target[0] == '/' || strchr(target, '\\'))
		return 0;
	for (c = name; *c; c++) /* components of the link's directory */
		if (*c == '/')
			depth++;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t l = slash ? (size_t)(slash - p) : strlen(p);
		if (l == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return 0;
		} else if (l && !(l == 1 && p[0] == '.')) {
			depth++;
		}
		if (!slash)
			break;
		p = slash + 1;
	}
	return 1;
}

/* Check one header; fills err with a reason naming the member. */
static int check_member(const char *archive, struct archive_entry *e, char **norm,
			uint64_t *total, um_error *err)
{
	const char *raw = archive_entry_pathname(e);
	const char *hl = archive_entry_hardlink(e);
	const char *sl = archive_entry_symlink(e);
	mode_t type = archive_entry_filetype(e);
	char *name;

	*norm = NULL;
	if (!raw)
		return um_fail(err, UM_ERR_ARCHIVE, "%s: a member without a name: archive refused",
			       archive);
	if (raw[0] == '/')
		return um_fail(err, UM_ERR_ARCHIVE, "%s: member '%s' has an absolute path: "
			       "archive refused", archive, raw);
	name = member_name(raw);
	if (!*name || !strcmp(name, ".")) {
		*norm = name; /* the root entry */
		return 0;
	}
	if (!name_safe(name)) {
		um_fail(err, UM_ERR_ARCHIVE, "%s: member '%s' has an unsafe path (a '..' "
			"component or a control character): archive refused", archive, raw);
		free(name);
		return -1;
	}
	if (hl) {
		char *t = member_name(hl);
		int ok = hl[0] != '/' && name_safe(t);
		free(t);
		if (!ok) {
			um_fail(err, UM_ERR_ARCHIVE, "%s: member '%s' is a hard link to '%s', "
				"outside the archive: archive refused", archive, raw, hl);
			free(name);
			return -1;
		}
	} else if (type == AE_IFLNK) {
		if (!sl || !link_target_safe(name, sl)) {
			um_fail(err, UM_ERR_ARCHIVE, "%s: member '%s' is a symlink to '%s', "
				"outside the archive: archive refused", archive, raw,
				sl ? sl : "(nothing)");
			free(name);
			return -1;
		}
	} else if (type != AE_IFREG && type != AE_IFDIR) {
		um_fail(err, UM_ERR_ARCHIVE, "%s: member '%s' is a device, fifo or socket: "
			"archive refused", archive, raw);
		free(name);
		return -1;
	}
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0)
		*total += (uint64_t)archive_entry_size(e);
	if (*total > TBIMPORT_MAX_BYTES) {
		um_fail(err, UM_ERR_ARCHIVE, "%s: more than %llu bytes of content: archive refused",
			archive, (unsigned long long)TBIMPORT_MAX_BYTES);
		free(name);
		return -1;
	}
	if (archive_entry_is_data_encrypted(e) > 0) {
		um_fail(err, UM_ERR_ARCHIVE, "%s: member '%s' is encrypted", archive, raw);
		free(name);
		return -1;
	}
	*norm = name;
	return 0;
}

static struct archive *open_archive(const char *path, um_error *err)
{
	struct archive *a = archive_read_new();

	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		um_fail(err, UM_ERR_ARCHIVE, "%s: not a readable archive: %s", path,
			archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Pass over every header; with dest, extract too. */
static int archive_pass(const char *path, const char *dest, um_error *err)
{
	struct archive *a = open_archive(path, err);
	struct archive *w = NULL;
	struct archive_entry *e;
	uint64_t total = 0;
	size_t count = 0;
	int r, rc = -1;

	if (!a)
		return -1;
	if (dest) {
		w = archive_write_disk_new();
		/* names were checked above; dest itself is absolute */
		archive_write_disk_set_options(w, ARCHIVE_EXTRACT_SECURE_NODOTDOT |
						      ARCHIVE_EXTRACT_SECURE_SYMLINKS);
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		char *name = NULL;

		if (++count > TBIMPORT_MAX_MEMBERS) {
			um_fail(err, UM_ERR_ARCHIVE, "%s: more than %d members: archive refused",
				path, TBIMPORT_MAX_MEMBERS);
			goto out;
		}
		if (check_member(path, e, &name, &total, err) < 0)
			goto out;
		if (dest && *name) {
			char *full = um_xasprintf("%s/%s", dest, name);
			const char *hl = archive_entry_hardlink(e);
			int ok;
			archive_entry_set_pathname(e, full);
			if (hl) {
				char *t = member_name(hl);
				char *hfull = um_xasprintf("%s/%s", dest, t);
				archive_entry_set_hardlink(e, hfull);
				free(hfull);
				free(t);
			}
			archive_entry_set_perm(e, archive_entry_perm(e) & 0755);
			ok = archive_write_header(w, e) == ARCHIVE_OK;
			if (ok && archive_entry_size(e) > 0 &&
			    archive_entry_filetype(e) == AE_IFREG) {
				const void *buf;
				size_t size;
				la_int64_t off;
				int k;
				while ((k = archive_read_data_block(a, &buf, &size, &off)) ==
				       ARCHIVE_OK)
					if (archive_write_data_block(w, buf, size, off) !=
					    ARCHIVE_OK) {
						ok = 0;
						break;
					}
				if (k != ARCHIVE_EOF && ok) {
					um_fail(err, UM_ERR_ARCHIVE, "%s: member '%s': %s", path,
						name, archive_error_string(a));
					free(full);
					free(name);
					goto out;
				}
			}
			if (ok)
				ok = archive_write_finish_entry(w) == ARCHIVE_OK;
			if (!ok) {
				um_fail(err, UM_ERR_IO, "%s: cannot extract '%s': %s", path, name,
					archive_error_string(w));
				free(full);
				free(name);
				goto out;
			}
			free(full);
		}
		free(name);
	}
	if (r != ARCHIVE_EOF) {
		um_fail(err, UM_ERR_ARCHIVE, "%s: damaged archive: %s", path,
			archive_error_string(a));
		goto out;
	}
	if (count == 0) {
		um_fail(err, UM_ERR_ARCHIVE, "%s: the archive is empty", path);
		goto out;
	}
	rc = 0;
out:
	if (w) {
		archive_write_close(w);
		archive_write_free(w);
	}
	archive_read_free(a);
	return rc;
}

/* After extraction: every symlink must resolve inside root (links to links
 * can defeat the check by names alone, e.g. `a -> .` and `b -> a/..`). */
static int check_links(const char *archive, const char *dir, const char *root, int depth,
		       um_error *err)
{
	char **names;
	size_t n, i;
	int rc = 0;

	if (depth > TREE_MAX_DEPTH)
		return um_fail(err, UM_ERR_ARCHIVE, "%s: directories nested deeper than %d levels",
			       archive, TREE_MAX_DEPTH);
	if (!(names = list_dir(dir, &n, err)))
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		char *p = um_xasprintf("%s/%s", dir, names[i]);
		struct stat st;

		if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode)) {
			char *real = realpath(p, NULL);
			if (!real || !path_within(real, root))
				rc = um_fail(err, UM_ERR_ARCHIVE,
					     "%s: member '%s' is a symlink that leads outside "
					     "the archive: archive refused",
					     archive, p + strlen(root) + 1);
			free(real);
		} else if (S_ISDIR(st.st_mode)) {
			rc = check_links(archive, p, root, depth + 1, err);
		}
		free(p);
	}
	free_names(names, n);
	return rc;
}

int tbimport_extract(const char *archive, const char *dest, um_error *err)
{
	char *root;
	int rc;

	if (!(root = realpath(dest, NULL)))
		return um_fail(err, UM_ERR_IO, "%s: %s", dest, strerror(errno));
	/* every member is checked before the first byte is written */
	rc = archive_pass(archive, NULL, err);
	if (rc == 0)
		rc = archive_pass(archive, root, err);
	if (rc == 0)
		rc = check_links(archive, root, root, 0, err);
	free(root);
	return rc;
}

/* ---- discovery -------------------------------------------------------- */

typedef struct tb_list {
	tb_task *t;
	size_t n, cap;
} tb_list;

static int task_kind(const char *dir, int *both)
{
	char *y = um_xasprintf("%s/task.yaml", dir), *t = um_xasprintf("%s/task.toml", dir);
	int hy = is_file(y), ht = is_file(t);

	free(y);
	free(t);
	*both = hy && ht;
	return ht ? 2 : hy ? 1 : 0;
}

/* A folder without a task file that looks like a task (so it is reported as
 * broken rather than passed over). */
static int looks_like_task(const char *dir)
{
	static const char *const marks[] = {"instruction.md", "run-tests.sh", "solution.sh",
					    "Dockerfile", "tests", "environment", "solution"};
	size_t i;
	int hits = 0;

	for (i = 0; i < UM_ARRAY_LEN(marks); i++) {
		char *p = um_xasprintf("%s/%s", dir, marks[i]);
		hits += path_exists(p);
		free(p);
	}
	return hits >= 2;
}

static void list_add(tb_list *l, const char *dir, const char *label, const char *id, int kind,
		     int both)
{
	tb_task *t;

	um_xgrow((void **)&l->t, &l->cap, l->n + 1, sizeof(*l->t));
	t = &l->t[l->n++];
	memset(t, 0, sizeof(*t));
	t->src = um_xstrdup(dir);
	t->label = um_xstrdup(label);
	t->id = um_xstrdup(id);
	t->version = kind;
	t->both = both;
	t->network = -1;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int discover(const char *dir, const char *label, int depth, tb_list *l, um_error *err)
{
	char **names;
	size_t n, i, subdirs = 0;
	const char *only = NULL;
	int both, kind = task_kind(dir, &both), rc = 0;

	if (kind) {
		char *real = realpath(dir, NULL);
		list_add(l, dir, label, base_name(real ? real : dir), kind, both);
		free(real);
		return 0;
	}
	if (!(names = list_dir(dir, &n, err)))
		return -1;
	for (i = 0; i < n; i++) {
		char *sub, *sl;
		if (names[i][0] == '.')
			continue;
		sub = um_xasprintf("%s/%s", dir, names[i]);
		if (!is_dir(sub)) {
			free(sub);
			continue;
		}
		subdirs++;
		only = names[i];
		sl = *label ? um_xasprintf("%s/%s", label, names[i]) : um_xstrdup(names[i]);
		kind = task_kind(sub, &both);
		if (kind || looks_like_task(sub))
			list_add(l, sub, sl, names[i], kind, both);
		free(sl);
		free(sub);
	}
	if (l->n == 0 && subdirs == 1 && depth < 3) {
		char *sub = um_xasprintf("%s/%s", dir, only);
		char *sl = *label ? um_xasprintf("%s/%s", label, only) : um_xstrdup(only);
		rc = discover(sub, sl, depth + 1, l, err);
		free(sub);
		free(sl);
	}
	free_names(names, n);
	return rc;
}

/* ---- the suite file ------------------------------------------------------ */

static int cmp_task(const void *a, const void *b)
{
	return strcmp(((const tb_task *)a)->id, ((const tb_task *)b)->id);
}

static void emit_env_table(ymlemit *w, const char *key, json_t *tab)
{
	const char *k;
	json_t *v;

	if (!tab || !json_object_size(tab))
		return;
	ymlemit_str(w, key);
	ymlemit_map(w, 1, 0);
	json_object_foreach(tab, k, v) ymlemit_kv(w, k, json_string_value(v));
	ymlemit_map(w, 0, 0);
}

static void emit_environment(ymlemit *w, const tb_task *k)
{
	if (!k->image && !k->build && !(k->env && json_object_size(k->env)))
		return;
	ymlemit_str(w, "environment");
	ymlemit_map(w, 1, 0);
	if (k->image)
		ymlemit_kv(w, "image", k->image);
	else if (k->build)
		ymlemit_kv(w, "build", "environment");
	emit_env_table(w, "env", k->env);
	ymlemit_map(w, 0, 0);
}

static void emit_ints(ymlemit *w, const char *key, const char *const *names, const int *vals,
		      size_t n)
{
	size_t i, any = 0;

	for (i = 0; i < n; i++)
		any += vals[i] != 0;
	if (!any)
		return;
	ymlemit_str(w, key);
	ymlemit_map(w, 1, 1);
	for (i = 0; i < n; i++)
		if (vals[i]) {
			ymlemit_str(w, names[i]);
			ymlemit_int(w, vals[i]);
		}
	ymlemit_map(w, 0, 1);
}

static void emit_task(ymlemit *w, const tb_task *k, const char *dir_prefix)
{
	static const char *const tnames[] = {"agent_s", "verifier_s"};
	static const char *const rnames[] = {"memory_mb", "cpus", "storage_mb"};
	int tv[2] = {k->agent_s, k->verifier_s}, rv[3] = {k->memory_mb, k->cpus, k->storage_mb};
	char *dir = um_xasprintf("%s/%s", dir_prefix, k->id);
	size_t j;

	ymlemit_map(w, 1, 0);
	ymlemit_kv(w, "id", k->id);
	ymlemit_kv(w, "dir", dir);
	free(dir);
	ymlemit_kv(w, "category", k->category);
	if (k->difficulty)
		ymlemit_kv(w, "difficulty", k->difficulty);
	if (k->n_tags) {
		ymlemit_str(w, "tags");
		ymlemit_seq(w, 1, 1);
		for (j = 0; j < k->n_tags; j++)
			ymlemit_str(w, k->tags[j]);
		ymlemit_seq(w, 0, 1);
	}
	emit_environment(w, k);
	ymlemit_kv(w, "tests", "tests");
	ymlemit_kv(w, "test_command", k->test_command);
	ymlemit_kv(w, "verdict", k->verdict);
	if (k->has_solution)
		ymlemit_kv(w, "solution", k->solution_dir ? "solution/solve.sh" : "solution.sh");
	emit_env_table(w, "verifier_env", k->verifier_env);
	emit_env_table(w, "solution_env", k->solution_env);
	emit_ints(w, "timeouts", tnames, tv, 2);
	emit_ints(w, "resources", rnames, rv, 3);
	if (k->network >= 0) {
		ymlemit_str(w, "network");
		ymlemit_bool(w, k->network);
	}
	if (k->unsupported)
		ymlemit_kv(w, "unsupported", k->unsupported);
	ymlemit_map(w, 0, 0);
}

static char *suite_text(const char *name, const char *scaffold, const char *source,
			const char *dir_prefix, tb_task *t, size_t n)
{
	char **cats = um_xcalloc(n + 1, sizeof(char *));
	size_t nc = 0, i, j;
	ymlemit w;
	char *desc;
	int v1 = 0, v2 = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < nc && strcmp(cats[j], t[i].category); j++)
			;
		if (j == nc)
			cats[nc++] = t[i].category;
		if (t[i].version == 1)
			v1++;
		else
			v2++;
	}
	if (nc)
		qsort(cats, nc, sizeof(char *), cmp_str);
	ymlemit_begin(&w, YMLEMIT_PLAIN_DOTSLASH,
		      "# Written by `umpire import terminal-bench` from %s.\n"
		      "# Task layout: docs/terminal.md; field mappings: docs/import.md.\n",
		      source);
	ymlemit_map(&w, 1, 0);
	ymlemit_str(&w, "umpire");
	ymlemit_int(&w, 1);
	ymlemit_kv(&w, "name", name);
	ymlemit_kv(&w, "version", "1.0");
	ymlemit_kv(&w, "kind", "terminal");
	desc = um_xasprintf("Terminal-Bench tasks imported from %s (%d Terminal-Bench 1, %d "
			    "Terminal-Bench 2)", source, v1, v2);
	ymlemit_kv(&w, "description", desc);
	free(desc);
	ymlemit_str(&w, "categories");
	ymlemit_seq(&w, 1, 1);
	for (i = 0; i < nc; i++)
		ymlemit_str(&w, cats[i]);
	ymlemit_seq(&w, 0, 1);
	ymlemit_kv(&w, "scaffold", scaffold);
	ymlemit_str(&w, "repeats");
	ymlemit_int(&w, 1);
	ymlemit_str(&w, "seed");
	ymlemit_int(&w, 1);
	ymlemit_str(&w, "tasks");
	ymlemit_seq(&w, 1, 0);
	for (i = 0; i < n; i++)
		emit_task(&w, &t[i], dir_prefix);
	ymlemit_seq(&w, 0, 0);
	ymlemit_map(&w, 0, 0);
	free(cats);
	return ymlemit_end(&w);
}

/* ---- paths -------------------------------------------------------------- */

char *tbimport_relpath(const char *from_dir, const char *to)
{
	char *a = realpath(from_dir, NULL), *b = realpath(to, NULL);
	um_buf out;
	size_t i = 0, common = 0;
	const char *rest;

	if (!a || !b) {
		free(a);
		free(b);
		return NULL;
	}
	/* longest common prefix ending at a component boundary */
	while (a[i] && a[i] == b[i]) {
		i++;
		if ((a[i] == '/' || a[i] == '\0') && (b[i] == '/' || b[i] == '\0'))
			common = i;
	}
	if (!strcmp(a, "/") || !strcmp(b, "/"))
		common = 0;
	um_buf_init(&out, 0);
	/* one ".." per component of a left after the common part */
	for (rest = a + common; *rest; rest++)
		if (*rest != '/' && (rest == a || rest[-1] == '/'))
			um_buf_puts(&out, out.len ? "/.." : "..");
	rest = b + common;
	while (*rest == '/')
		rest++;
	if (*rest)
		um_buf_printf(&out, "%s%s", out.len ? "/" : "", rest);
	if (!out.len)
		um_buf_puts(&out, ".");
	free(a);
	free(b);
	return um_buf_detach(&out);
}

static char *dir_of(const char *path)
{
	const char *s = strrchr(path, '/');

	if (!s)
		return um_xstrdup(".");
	if (s == path)
		return um_xstrdup("/");
	return um_xstrndup(path, (size_t)(s - path));
}

/* "tasks/hello.tar.gz" -> "hello". */
static char *archive_stem(const char *path)
{
	static const char *const exts[] = {".tar.gz", ".tar.zst", ".tar.xz", ".tar.bz2", ".tgz",
					   ".tar", ".zip"};
	const char *b = base_name(path);
	size_t n = strlen(b), i;

	for (i = 0; i < UM_ARRAY_LEN(exts); i++) {
		size_t e = strlen(exts[i]);
		if (n > e && !strcasecmp(b + n - e, exts[i]))
			return um_xstrndup(b, n - e);
	}
	return um_xstrdup(b);
}

/* ---- the import ----------------------------------------------------------- */

void tbimport_result_release(tbimport_result *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n_tasks; i++) {
		free(r->tasks[i].id);
		free(r->tasks[i].image);
		free(r->tasks[i].unsupported);
	}
	free(r->tasks);
	for (i = 0; i < r->n_broken; i++) {
		free(r->broken[i].folder);
		free(r->broken[i].reason);
	}
	free(r->broken);
	free(r->tasks_dir);
	memset(r, 0, sizeof(*r));
}

static void add_broken(tbimport_result *r, const char *folder, const char *reason)
{
	r->broken = um_xrealloc(r->broken, (r->n_broken + 1) * sizeof(*r->broken));
	r->broken[r->n_broken].folder = um_xstrdup(folder);
	r->broken[r->n_broken].reason = um_xstrdup(reason);
	r->n_broken++;
}

static int convert_one(tb_task *t, const char *stage, um_error *err)
{
	char *dst;
	int rc;

	if (!valid_id(t->id))
		return um_fail(err, UM_ERR_INVALID, "%s: the folder name is not a valid task id "
			       "(letters, digits, '.', '_' or '-')", t->label);
	if (t->both)
		return um_fail(err, UM_ERR_INVALID, "%s: has both task.yaml and task.toml; cannot "
			       "tell Terminal-Bench 1 from 2", t->label);
	if (t->version == 0)
		return um_fail(err, UM_ERR_INVALID, "%s: no task.yaml (Terminal-Bench 1) or "
			       "task.toml (Terminal-Bench 2)", t->label);
	{
		char *real = realpath(t->src, NULL);
		if (!real)
			return um_fail(err, UM_ERR_IO, "%s: %s", t->label, strerror(errno));
		free(t->src);
		t->src = real;
	}
	dst = um_xasprintf("%s/%s", stage, t->id);
	rc = t->version == 1 ? tb1_convert(t->src, t->label, dst, t, err)
			     : tb2_convert(t->src, t->label, dst, t, err);
	if (rc == 0 && !t->category)
		t->category = um_xstrdup("uncategorized");
	if (rc < 0)
		rm_tree(dst);
	free(dst);
	return rc;
}

/* The suite's name: --name, else the output file's name without .yaml/.yml.
 * Caller frees; NULL with err when it is not a valid id. */
static char *suite_name(const tbimport_opts *o, um_error *err)
{
	char *name;

	if (o->name) {
		name = um_xstrdup(o->name);
	} else {
		const char *b = base_name(o->suite_path);
		size_t n = strlen(b);
		if (n > 5 && !strcmp(b + n - 5, ".yaml"))
			n -= 5;
		else if (n > 4 && !strcmp(b + n - 4, ".yml"))
			n -= 4;
		name = um_xstrndup(b, n);
	}
	if (!valid_id(name)) {
		um_fail(err, UM_ERR_USAGE, "suite name '%s' must be letters, digits, '.', '_' or "
			"'-' (give --name)", name);
		free(name);
		return NULL;
	}
	return name;
}

/* A directory DIR/PREFIX-XXXXXX, created; caller frees. NULL with err. */
static char *make_temp_dir(const char *dir, const char *prefix, um_error *err)
{
	char *d = um_xasprintf("%s/%s-XXXXXX", dir, prefix);

	if (!mkdtemp(d)) {
		um_fail(err, UM_ERR_IO, "%s: cannot create a directory: %s", d, strerror(errno));
		free(d);
		return NULL;
	}
	return d;
}

/* Steps 1 and 2: the source (a folder, or an archive extracted into *xdir
 * under tasks_dir) and the task folders found in it, labelled by where they
 * came from ("ARCHIVE:path" inside an archive). */
static int find_tasks(const tbimport_opts *o, const struct stat *st, const char *tasks_dir,
		      char **xdir, tb_list *l, um_error *err)
{
	char *src_label = um_xstrdup(o->source);
	size_t i;
	int rc = -1;

	for (i = strlen(src_label); i > 1 && src_label[i - 1] == '/'; i--)
		src_label[i - 1] = '\0';
	if (S_ISDIR(st->st_mode)) {
		if (discover(o->source, src_label, 0, l, err) < 0)
			goto out;
	} else {
		if (!(*xdir = make_temp_dir(tasks_dir, ".tbimport-src", err)) ||
		    tbimport_extract(o->source, *xdir, err) < 0)
			goto out;
		free(src_label);
		src_label = um_xasprintf("%s:", o->source);
		if (discover(*xdir, "", 0, l, err) < 0)
			goto out;
		for (i = 0; i < l->n; i++) {
			char *lab = *l->t[i].label ? um_xasprintf("%s%s", src_label, l->t[i].label)
						   : um_xstrdup(o->source);
			if (!*l->t[i].label) {
				/* the archive is one task: named after the archive */
				free(l->t[i].id);
				l->t[i].id = archive_stem(o->source);
			}
			free(l->t[i].label);
			l->t[i].label = lab;
		}
	}
	if (l->n == 0) {
		um_fail(err, UM_ERR_INVALID, "%s: no Terminal-Bench task folder (one holding "
			"task.yaml or task.toml) found", o->source);
		goto out;
	}
	rc = 0;
out:
	free(src_label);
	return rc;
}

/* Step 3: every task converted into stage; the converted ones moved to the
 * front of l, their number in *kept. A broken task ends the import, or with
 * skip_broken is listed in r and left out. */
static int convert_tasks(const tbimport_opts *o, tb_list *l, const char *stage, size_t *kept,
			 tbimport_result *r, um_error *err)
{
	size_t i, j;

	*kept = 0;
	for (i = 0; i < l->n; i++) {
		tb_task *t = &l->t[i];
		um_error e = {0};

		for (j = 0; j < *kept; j++)
			if (!strcmp(l->t[j].id, t->id))
				break;
		if (j < *kept)
			um_fail(&e, UM_ERR_INVALID, "%s: task id '%s' is also used by %s", t->label,
				t->id, l->t[j].label);
		else if (convert_one(t, stage, &e) == 0) {
			if (*kept != i) {
				tb_task tmp = l->t[*kept];
				l->t[*kept] = *t;
				*t = tmp;
			}
			(*kept)++;
			continue;
		}
		if (!o->skip_broken) {
			if (err)
				*err = e;
			um_error_prefix(err, "task %s", t->id);
			return -1;
		}
		add_broken(r, t->label, e.msg);
	}
	if (*kept == 0)
		return um_fail(err, UM_ERR_INVALID, "%s: no task could be imported (%zu broken)",
			       o->source, r->n_broken);
	return 0;
}

/* Step 4: every destination checked before anything moves (never a task's
 * own source, never a folder umpire did not write), then the marker and the
 * converted tasks moved from stage into tasks_dir. */
static int publish_tasks(const tb_task *t, size_t kept, const char *stage, const char *tasks_dir,
			 um_error *err)
{
	static const char note[] = "Task directories written by `umpire import`; a later "
				   "import may replace them.\n";
	char *marker = um_xasprintf("%s/%s", tasks_dir, TBIMPORT_MARKER);
	size_t i;
	int rc = -1;

	for (i = 0; i < kept; i++) {
		char *dest = um_xasprintf("%s/%s", tasks_dir, t[i].id);
		char *rd = realpath(dest, NULL), *rs = realpath(t[i].src, NULL);
		int clash = rd && rs && path_within(rs, rd);
		int exists = path_exists(dest);
		free(rd);
		free(rs);
		if (clash)
			um_fail(err, UM_ERR_USAGE, "%s would replace the task's own source folder; "
				"choose another --tasks-dir", dest);
		else if (exists && !is_file(marker))
			um_fail(err, UM_ERR_STATE,
				"%s exists and was not written by umpire import; remove it "
				"or choose another --tasks-dir", dest);
		free(dest);
		if (clash || (exists && !is_file(marker)))
			goto out;
	}
	if (write_bytes(marker, note, sizeof(note) - 1, 0644, err) < 0)
		goto out;
	for (i = 0; i < kept; i++) {
		char *from = um_xasprintf("%s/%s", stage, t[i].id);
		char *dest = um_xasprintf("%s/%s", tasks_dir, t[i].id);
		int ok = rm_tree(dest) == 0 && rename(from, dest) == 0;
		if (!ok)
			um_fail(err, UM_ERR_IO, "%s: cannot move into place: %s", dest,
				strerror(errno));
		free(from);
		free(dest);
		if (!ok)
			goto out;
	}
	rc = 0;
out:
	free(marker);
	return rc;
}

/* The imported tasks into r, counted by where they run. */
static void fill_result(tbimport_result *r, const tb_task *t, size_t kept)
{
	size_t i;

	r->tasks = um_xcalloc(kept, sizeof(*r->tasks));
	for (i = 0; i < kept; i++) {
		tbimport_task *x = &r->tasks[i];
		x->id = um_xstrdup(t[i].id);
		x->tb_version = t[i].version;
		x->image = um_xstrdup(t[i].image);
		x->unsupported = um_xstrdup(t[i].unsupported);
		x->needs_image = t[i].needs_image && !t[i].unsupported;
		if (x->unsupported)
			r->n_other++;
		else if (x->needs_image)
			r->n_image++;
		else
			r->n_host++;
	}
	r->n_tasks = kept;
}

int tbimport_run(const tbimport_opts *o, tbimport_result *r, um_error *err)
{
	char *name = NULL, *suite_dir = NULL, *tasks_dir = NULL, *stage = NULL, *xdir = NULL;
	char *dir_prefix = NULL, *text = NULL;
	struct stat st;
	tb_list l = {NULL, 0, 0};
	size_t i, kept = 0;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (!o->source || !o->suite_path)
		return um_fail(err, UM_ERR_USAGE, "a source and an output suite are required");
	if (stat(o->source, &st) < 0)
		return um_fail(err, UM_ERR_IO, "%s: %s", o->source, strerror(errno));
	if (!(name = suite_name(o, err)))
		goto out;
	suite_dir = dir_of(o->suite_path);
	tasks_dir = o->tasks_dir ? um_xstrdup(o->tasks_dir)
				 : um_xasprintf("%s/%s", suite_dir, name);
	if (um_mkdir_p(suite_dir, err) < 0 || um_mkdir_p(tasks_dir, err) < 0)
		goto out;
	r->tasks_dir = um_xstrdup(tasks_dir);

	if (find_tasks(o, &st, tasks_dir, &xdir, &l, err) < 0 ||
	    !(stage = make_temp_dir(tasks_dir, ".tbimport-stage", err)) ||
	    convert_tasks(o, &l, stage, &kept, r, err) < 0 ||
	    publish_tasks(l.t, kept, stage, tasks_dir, err) < 0)
		goto out;
	qsort(l.t, kept, sizeof(*l.t), cmp_task);
	if (o->tasks_dir) {
		dir_prefix = tbimport_relpath(suite_dir, tasks_dir);
		if (!dir_prefix) {
			um_fail(err, UM_ERR_IO, "%s: cannot resolve: %s", tasks_dir,
				strerror(errno));
			goto out;
		}
	} else {
		dir_prefix = um_xstrdup(name);
	}
	text = suite_text(name, o->scaffold ? o->scaffold : TBIMPORT_DEFAULT_SCAFFOLD,
			  base_name(o->source), dir_prefix, l.t, kept);
	if (!text) {
		um_fail(err, UM_ERR_INTERNAL, "cannot emit the suite YAML");
		goto out;
	}
	if (um_write_file(o->suite_path, text, strlen(text), 0644, err) < 0)
		goto out;
	fill_result(r, l.t, kept);
	rc = 0;
out:
	if (stage)
		rm_tree(stage);
	if (xdir)
		rm_tree(xdir);
	for (i = 0; i < l.n; i++)
		tb_task_release(&l.t[i]);
	free(l.t);
	free(name);
	free(suite_dir);
	free(tasks_dir);
	free(stage);
	free(xdir);
	free(dir_prefix);
	free(text);
	return rc;
}
