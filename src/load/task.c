/*
 * task.c - terminal tasks: parse, resolve, check, hash (see task.h).
 */
#include "load/task.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "base/buf.h"
#include "base/util.h"

static const char *const task_keys[] = {
	"id", "dir", "category", "difficulty", "tags", "instruction", "environment", "tests",
	"test_command", "verdict", "solution", "timeouts", "resources", "network", "unsupported",
	"verifier_env", "solution_env", NULL,
};
static const char *const swe_task_keys[] = {
	"id", "dir", "category", "difficulty", "tags", "environment", "test_command", "timeouts",
	"resources", "network", "unsupported", "image", "repo", "repo_archive", "base_commit",
	"problem_statement", "problem_statement_text", "requirements", "interface", "gold_patch",
	"test_patch", "test_files", "log_parser", "log_parser_command", "log_dialect",
	"fail_to_pass", "pass_to_pass", "selected_test_files", "before_repo_set_cmd", NULL,
};
static const char *const log_parsers[] = {"pytest", "go_test", "go_test_json", "jest_json", "mocha_json", "ospec",
					  "tap", "command", NULL};
static const char *const log_dialects[] = {"umpire", "first_blank", "ansible", NULL};
static const char *const env_keys[] = {"root", "image", "build", "workdir", "files", "setup",
				       "env", NULL};
static const char *const timeout_keys[] = {"agent_s", "verifier_s", NULL};
static const char *const resource_keys[] = {"memory_mb", "cpus", "pids", "storage_mb", "tmp_mb",
					    NULL};
static const char *const verdict_names[] = {"exit_code", "reward_file", "pytest", NULL};
static const char *const difficulty_names[] = {"easy", "medium", "hard", "unknown", NULL};

const char *task_verdict_name(um_verdict v)
{
	return (unsigned)v < 3 ? verdict_names[v] : "?";
}

static void free_strs(char **v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void task_release(um_task *t)
{
	int i;

	free(t->id);
	free(t->category);
	free(t->difficulty);
	for (i = 0; i < t->n_tags; i++)
		free(t->tags[i]);
	free(t->tags);
	free(t->dir);
	free(t->instruction);
	free(t->root);
	free(t->image);
	free(t->build_dir);
	free(t->workdir);
	free_strs(t->env, t->n_env);
	free_strs(t->verifier_env, t->n_verifier_env);
	free_strs(t->solution_env, t->n_solution_env);
	free(t->files_dir);
	free(t->setup_path);
	free(t->tests_dir);
	free(t->test_command);
	free(t->solution_path);
	free(t->solution);
	free(t->unsupported);
	if (t->swe) {
		um_swe_task *w = t->swe;
		free(w->repo_dir);
		free(w->repo_archive);
		free(w->base_commit);
		free(w->gold_patch);
		free(w->test_patch);
		for (i = 0; i < w->n_test_files; i++)
			free(w->test_files[i]);
		free(w->test_files);
		free(w->log_parser);
		free(w->log_parser_command);
		free(w->log_dialect);
		for (i = 0; i < w->n_selected_test_files; i++)
			free(w->selected_test_files[i]);
		free(w->selected_test_files);
		free(w->before_repo_set_cmd);
		for (i = 0; i < w->n_fail_to_pass; i++)
			free(w->fail_to_pass[i]);
		free(w->fail_to_pass);
		for (i = 0; i < w->n_pass_to_pass; i++)
			free(w->pass_to_pass[i]);
		free(w->pass_to_pass);
		free(w);
	}
	memset(t, 0, sizeof(*t));
}

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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int hash_tree(um_sha256 *h, const char *root, const char *rel, int depth, um_error *err)
{
	char *path = *rel ? um_xasprintf("%s/%s", root, rel) : um_xstrdup(root);
	DIR *dir;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = -1;

	if (depth > 32) {
		um_fail(err, UM_ERR_INVALID, "%s: directory tree too deep", path);
		free(path);
		return -1;
	}
	dir = opendir(path);
	if (!dir) {
		um_fail(err, UM_ERR_IO, "%s: cannot read directory: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		um_xgrow((void **)&names, &cap, n + 1, sizeof(char *));
		names[n++] = um_xstrdup(de->d_name);
	}
	closedir(dir);
	if (n)
		qsort(names, n, sizeof(char *), cmp_str);
	for (i = 0; i < n; i++) {
		char *r = *rel ? um_xasprintf("%s/%s", rel, names[i]) : um_xstrdup(names[i]);
		char *full = um_xasprintf("%s/%s", root, r);
		struct stat st;
		int ok = 0;

		if (lstat(full, &st) != 0) {
			um_fail(err, UM_ERR_IO, "%s: %s", full, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			um_sha256_update(h, "d ", 2);
			um_sha256_update(h, r, strlen(r) + 1);
			ok = hash_tree(h, root, r, depth + 1, err) == 0;
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t k = readlink(full, target, sizeof(target) - 1);
			if (k >= 0) {
				um_sha256_update(h, "l ", 2);
				um_sha256_update(h, r, strlen(r) + 1);
				um_sha256_update(h, target, (size_t)k);
				ok = 1;
			} else {
				um_fail(err, UM_ERR_IO, "%s: %s", full, strerror(errno));
			}
		} else if (S_ISREG(st.st_mode)) {
			char *data = NULL;
			size_t len = 0;
			if (um_read_file(full, &data, &len, err) == 0) {
				char mode = (st.st_mode & 0111) ? 'x' : 'f';
				um_sha256_update(h, &mode, 1);
				um_sha256_update(h, " ", 1);
				um_sha256_update(h, r, strlen(r) + 1);
				um_sha256_update(h, data, len);
				free(data);
				ok = 1;
			}
		} else {
			um_fail(err, UM_ERR_INVALID, "%s: not a regular file, directory or link", full);
		}
		free(full);
		free(r);
		if (!ok)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(path);
	return rc;
}

int task_hash_dir(const char *dir, char out[65], um_error *err)
{
	um_sha256 h;

	um_sha256_init(&h);
	if (hash_tree(&h, dir, "", 0, err) < 0) {
		um_sha256_release(&h);
		return -1;
	}
	um_sha256_final_hex(&h, out);
	return 0;
}

/* An optional path inside the task directory; must exist when given. */
static int task_path(const yml_doc *d, const yml_node *m, const char *key, const char *dir,
		     int want_dir, const char *dflt, char **out, um_error *err)
{
	char *rel = NULL, *full;
	int given = yml_str(d, m, key, 0, &rel, err);

	if (given < 0)
		return -1;
	if (!rel && dflt)
		rel = um_xstrdup(dflt);
	if (!rel)
		return 0;
	if (rel[0] == '/' || strstr(rel, "..")) {
		free(rel);
		return yml_fail(d, yml_get(m, key), UM_ERR_INVALID, err,
				"'%s' must be a path inside the task directory", key);
	}
	full = um_xasprintf("%s/%s", dir, rel);
	free(rel);
	if (want_dir ? !is_dir(full) : !is_file(full)) {
		if (!given) { /* an absent default is fine */
			free(full);
			return 0;
		}
		yml_fail(d, yml_get(m, key), UM_ERR_INVALID, err, "%s: no such %s", full,
			 want_dir ? "directory" : "file");
		free(full);
		return -1;
	}
	*out = full;
	return 0;
}


/* A list of strings: key -> *out (count in *n). */
static int str_list(const yml_doc *d, const yml_node *m, const char *key, int required,
		    char ***out, int *n, um_error *err)
{
	const yml_node *l = yml_get(m, key);
	size_t i;

	if (!l || yml_is_null(l)) {
		if (required)
			return yml_fail(d, m, UM_ERR_INVALID, err, "missing required key '%s'", key);
		return 0;
	}
	if (yml_expect(d, l, YML_SEQ, key, err) < 0)
		return -1;
	*out = um_xcalloc(l->n ? l->n : 1, sizeof(char *));
	for (i = 0; i < l->n; i++)
		if (yml_node_str(d, l->items[i], key, &(*out)[(*n)++], err) < 0)
			return -1;
	return 0;
}

static int read_in_dir(const yml_doc *d, const yml_node *m, const char *key, const char *dir,
		       char **text, um_error *err)
{
	char *path = NULL;

	if (task_path(d, m, key, dir, 0, NULL, &path, err) < 0)
		return -1;
	if (!path)
		return 0;
	if (um_read_file(path, text, NULL, err) < 0) {
		free(path);
		return -1;
	}
	free(path);
	return 0;
}


/* A repository archive is refused whole when any member could land outside
 * the repository: an absolute path, a ".." component, a link pointing out,
 * a device. Git bundles are not tar archives and are left to git. */
static int check_repo_archive(const char *path, um_error *err)
{
	struct archive *a;
	struct archive_entry *e;
	int r, rc = 0;
	size_t n = strlen(path);

	if (n > 7 && !strcmp(path + n - 7, ".bundle"))
		return 0;
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		rc = um_fail(err, UM_ERR_ARCHIVE, "%s: not a readable tar archive: %s", path,
			     archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e), *link = archive_entry_symlink(e);
		char clean[4096];
		size_t k;
		mode_t type = archive_entry_filetype(e);

		snprintf(clean, sizeof(clean), "%s", name ? name : "");
		/* "./x" and "dir/" are fine: compare without them */
		k = strlen(clean);
		while (k > 1 && clean[k - 1] == '/')
			clean[--k] = '\0';
		if (!strcmp(clean, ".") || !strcmp(clean, "./"))
			continue;
		if (!um_rel_path_safe(um_has_prefix(clean, "./") ? clean + 2 : clean) ||
		    (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) ||
		    (link && (link[0] == '/' || strstr(link, "..")))) {
			rc = um_fail(err, UM_ERR_ARCHIVE,
				     "%s: unsafe member '%s'%s%s: the repository archive is refused",
				     path, name ? name : "", link ? " -> " : "", link ? link : "");
			goto out;
		}
	}
	if (r != ARCHIVE_EOF)
		rc = um_fail(err, UM_ERR_ARCHIVE, "%s: damaged archive: %s", path,
			     archive_error_string(a));
out:
	archive_read_free(a);
	return rc;
}

/* The swe part of a task: repository, statement, patches, tests. */
static int parse_swe(const yml_doc *d, const yml_node *m, um_task *t, um_error *err)
{
	um_swe_task *w = um_xcalloc(1, sizeof(*w));
	char *stmt = NULL, *req = NULL, *iface = NULL;
	um_buf b;
	int k = 0;

	t->swe = w;
	if (task_path(d, m, "repo", t->dir, 1, NULL, &w->repo_dir, err) < 0 ||
	    task_path(d, m, "repo_archive", t->dir, 0, NULL, &w->repo_archive, err) < 0 ||
	    yml_str(d, m, "base_commit", 0, &w->base_commit, err) < 0)
		return -1;
	if (!w->repo_dir && !w->repo_archive && !t->unsupported && !t->image)
		return yml_fail(d, m, UM_ERR_INVALID, err,
				"task %s: give 'repo' (a directory) or 'repo_archive'", t->id);
	if (w->repo_archive && check_repo_archive(w->repo_archive, err) < 0)
		return um_error_prefix(err, "task %s", t->id);
	if (yml_str(d, m, "problem_statement_text", 0, &stmt, err) < 0)
		return -1;
	if (!stmt && read_in_dir(d, m, "problem_statement", t->dir, &stmt, err) < 0)
		return -1;
	if (!stmt || stmt[strspn(stmt, " \t\r\n\v\f")] == '\0') {
		free(stmt);
		return yml_fail(d, m, UM_ERR_INVALID, err, "task %s: no problem statement", t->id);
	}
	if (read_in_dir(d, m, "requirements", t->dir, &req, err) < 0 ||
	    read_in_dir(d, m, "interface", t->dir, &iface, err) < 0) {
		free(stmt);
		free(req);
		return -1;
	}
	/* SWE-Bench Pro's template, byte for byte and untrimmed, when the task
	 * names requirements or an interface (an absent one is empty text) */
	um_buf_init(&b, 0);
	um_buf_puts(&b, stmt);
	if (req || iface)
		um_buf_printf(&b, "\n\nRequirements:\n%s\n\nNew interfaces introduced:\n%s",
			      req ? req : "", iface ? iface : "");
	t->instruction = um_buf_detach(&b);
	free(stmt);
	free(req);
	free(iface);
	if (read_in_dir(d, m, "gold_patch", t->dir, &w->gold_patch, err) < 0 ||
	    read_in_dir(d, m, "test_patch", t->dir, &w->test_patch, err) < 0 ||
	    str_list(d, m, "test_files", 0, &w->test_files, &w->n_test_files, err) < 0)
		return -1;
	if (!w->gold_patch && !t->unsupported)
		return yml_fail(d, m, UM_ERR_INVALID, err, "task %s: no 'gold_patch'", t->id);
	if (w->n_test_files && !w->test_patch)
		return yml_fail(d, yml_get(m, "test_files"), UM_ERR_INVALID, err,
				"task %s: 'test_files' are taken from the gold tree, which needs "
				"'test_patch'",
				t->id);
	if (yml_enum(d, m, "log_parser", 1, log_parsers, &k, err) < 0)
		return -1;
	w->log_parser = um_xstrdup(log_parsers[k]);
	if (yml_str(d, m, "log_parser_command", 0, &w->log_parser_command, err) < 0)
		return -1;
	k = -1;
	if (yml_enum(d, m, "log_dialect", 0, log_dialects, &k, err) < 0)
		return -1;
	w->log_dialect = k < 0 ? NULL : um_xstrdup(log_dialects[k]);
	if (str_list(d, m, "selected_test_files", 0, &w->selected_test_files,
		     &w->n_selected_test_files, err) < 0 ||
	    read_in_dir(d, m, "before_repo_set_cmd", t->dir, &w->before_repo_set_cmd, err) < 0)
		return -1;
	if (!strcmp(w->log_parser, "command") && !w->log_parser_command)
		return yml_fail(d, m, UM_ERR_INVALID, err,
				"task %s: log_parser command needs 'log_parser_command'", t->id);
	if (str_list(d, m, "fail_to_pass", 1, &w->fail_to_pass, &w->n_fail_to_pass, err) < 0 ||
	    str_list(d, m, "pass_to_pass", 1, &w->pass_to_pass, &w->n_pass_to_pass, err) < 0)
		return -1;
	if (w->n_fail_to_pass == 0)
		return yml_fail(d, yml_get(m, "fail_to_pass"), UM_ERR_INVALID, err,
				"task %s: 'fail_to_pass' is empty", t->id);
	/* the reference solution for oracle mode and the simulator: apply the
	 * gold patch in the repository */
	if (w->gold_patch)
		t->solution = um_xasprintf("git apply <<'UMPIRE_GOLD_PATCH'\n%s%sUMPIRE_GOLD_PATCH\n",
					   w->gold_patch,
					   *w->gold_patch && w->gold_patch[strlen(w->gold_patch) - 1] == '\n'
						   ? ""
						   : "\n");
	return 0;
}

/* An environment table: a mapping of names to scalars -> "NAME=value" list. */
static int env_map(const yml_doc *d, const yml_node *m, const char *key, char ***out, int *n,
		   um_error *err)
{
	const yml_node *e = yml_get(m, key);
	size_t i, j;

	if (!e || yml_is_null(e))
		return 0;
	if (yml_expect(d, e, YML_MAP, key, err) < 0)
		return -1;
	*out = um_xcalloc(e->n ? e->n : 1, sizeof(char *));
	for (i = 0; i < e->n; i++) {
		const char *name = e->keys[i]->scalar;
		size_t len = strlen(name);
		int ok = len && !(name[0] >= '0' && name[0] <= '9');

		for (j = 0; j < len; j++)
			if (!(name[j] == '_' || (name[j] >= 'A' && name[j] <= 'Z') ||
			      (name[j] >= 'a' && name[j] <= 'z') || (name[j] >= '0' && name[j] <= '9')))
				ok = 0;
		if (!ok)
			return yml_fail(d, e->keys[i], UM_ERR_INVALID, err,
					"%s: '%s' is not a variable name ([A-Za-z_][A-Za-z0-9_]*)",
					key, name);
		if (e->items[i]->kind != YML_SCALAR)
			return yml_fail(d, e->items[i], UM_ERR_INVALID, err,
					"%s.%s must be a scalar, got %s", key, name,
					yml_kind_name(e->items[i]));
		(*out)[(*n)++] = um_xasprintf("%s=%s", name, e->items[i]->scalar);
	}
	return 0;
}

/* id, dir (relative to the file base and made absolute), category,
 * difficulty, tags. */
static int parse_identity(const yml_doc *d, const yml_node *m, const um_suite *s,
			  const char *base, um_task *t, um_error *err)
{
	const yml_node *n;
	char *rel = NULL, *abs;
	int k;

	if (yml_str(d, m, "id", 1, &t->id, err) < 0)
		return -1;
	if (!*t->id || strspn(t->id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
			       strlen(t->id))
		return yml_fail(d, yml_get(m, "id"), UM_ERR_INVALID, err,
				"task id must be letters, digits, '.', '_' or '-', got '%s'", t->id);
	if (yml_str(d, m, "dir", 1, &rel, err) < 0)
		return -1;
	t->dir = um_path_relative_to(base, rel);
	free(rel);
	if (!is_dir(t->dir))
		return yml_fail(d, yml_get(m, "dir"), UM_ERR_INVALID, err,
				"task %s: %s is not a directory", t->id, t->dir);
	/* absolute, so the sandbox can bind it whatever the cwd */
	abs = realpath(t->dir, NULL);
	if (!abs)
		return yml_fail(d, yml_get(m, "dir"), UM_ERR_INVALID, err,
				"task %s: cannot resolve %s", t->id, t->dir);
	free(t->dir);
	t->dir = um_xstrdup(abs);
	free(abs);
	if (yml_str(d, m, "category", 1, &t->category, err) < 0)
		return -1;
	if (um_str_index(s->categories, s->n_categories, t->category) < 0)
		return yml_fail(d, yml_get(m, "category"), UM_ERR_INVALID, err,
				"task %s: category '%s' is not one of the suite's categories", t->id,
				t->category);
	if (yml_enum(d, m, "difficulty", 0, difficulty_names, &k, err) < 0)
		return -1;
	if (yml_get(m, "difficulty"))
		t->difficulty = um_xstrdup(difficulty_names[k]);
	if ((n = yml_get(m, "tags")) && !yml_is_null(n)) {
		size_t i;
		if (yml_expect(d, n, YML_SEQ, "tags", err) < 0)
			return -1;
		t->tags = um_xcalloc(n->n ? n->n : 1, sizeof(char *));
		for (i = 0; i < n->n; i++)
			if (yml_node_str(d, n->items[i], "tag", &t->tags[t->n_tags++], err) < 0)
				return -1;
	}
	return 0;
}

static int parse_instruction(const yml_doc *d, const yml_node *m, int swe, um_task *t,
			     um_error *err)
{
	if (!t->instruction) {
		char *p = um_xasprintf("%s/instruction.md", t->dir);
		if (um_read_file(p, &t->instruction, NULL, err) < 0) {
			free(p);
			return yml_fail(d, m, UM_ERR_INVALID, err,
					"task %s: no 'instruction' and no readable instruction.md", t->id);
		}
		free(p);
	}
	/* a swe prompt is SWE-Bench Pro's template byte for byte: not trimmed */
	if (swe ? t->instruction[strspn(t->instruction, " \t\r\n\v\f")] == '\0'
		: !*um_trim(t->instruction))
		return yml_fail(d, m, UM_ERR_INVALID, err, "task %s: the instruction is empty", t->id);
	return 0;
}

/* environment: root, image, build, workdir, files, setup, env. */
static int parse_environment(const yml_doc *d, const yml_node *m, um_task *t, um_error *err)
{
	const yml_node *n = yml_get(m, "environment");
	char *root = NULL;
	int rc = -1;

	if (!n || yml_is_null(n))
		return 0;
	if (yml_expect(d, n, YML_MAP, "environment", err) < 0 ||
	    yml_check_keys(d, n, env_keys, "environment", err) < 0 ||
	    yml_str(d, n, "root", 0, &root, err) < 0 ||
	    yml_str(d, n, "image", 0, &t->image, err) < 0 ||
	    task_path(d, n, "build", t->dir, 1, NULL, &t->build_dir, err) < 0 ||
	    yml_str(d, n, "workdir", 0, &t->workdir, err) < 0 ||
	    task_path(d, n, "files", t->dir, 1, NULL, &t->files_dir, err) < 0 ||
	    task_path(d, n, "setup", t->dir, 0, NULL, &t->setup_path, err) < 0 ||
	    env_map(d, n, "env", &t->env, &t->n_env, err) < 0)
		goto out;
	if (root && strcmp(root, "host") != 0) {
		t->root = root[0] == '/' ? um_xstrdup(root) : um_xasprintf("%s/%s", t->dir, root);
		if (!is_dir(t->root)) {
			yml_fail(d, yml_get(n, "root"), UM_ERR_INVALID, err,
				 "task %s: root %s is not a directory", t->id, t->root);
			goto out;
		}
	}
	if (t->image && !*t->image) {
		free(t->image);
		t->image = NULL;
	}
	if (t->build_dir) {
		char *df = um_xasprintf("%s/Dockerfile", t->build_dir);
		int ok = is_file(df);
		free(df);
		if (!ok) {
			yml_fail(d, yml_get(n, "build"), UM_ERR_INVALID, err,
				 "task %s: the build context %s holds no Dockerfile", t->id,
				 t->build_dir);
			goto out;
		}
		if (t->image) {
			yml_fail(d, yml_get(n, "build"), UM_ERR_INVALID, err,
				 "task %s: give 'image' or 'build', not both", t->id);
			goto out;
		}
	}
	if (t->workdir && (t->workdir[0] != '/' || strstr(t->workdir, "..") ||
			   strchr(t->workdir, '\'') || strchr(t->workdir, ':'))) {
		yml_fail(d, yml_get(n, "workdir"), UM_ERR_INVALID, err,
			 "task %s: workdir must be an absolute path without '..', quotes or ':'",
			 t->id);
		goto out;
	}
	rc = 0;
out:
	free(root);
	return rc;
}

static int parse_timeouts(const yml_doc *d, const yml_node *m, um_task *t, um_error *err)
{
	const yml_node *n = yml_get(m, "timeouts");
	int64_t v;

	t->agent_timeout_s = 600;
	t->verifier_timeout_s = 120;
	if (!n || yml_is_null(n))
		return 0;
	if (yml_expect(d, n, YML_MAP, "timeouts", err) < 0 ||
	    yml_check_keys(d, n, timeout_keys, "timeouts", err) < 0)
		return -1;
	v = t->agent_timeout_s;
	if (yml_int(d, n, "agent_s", 0, 1, 86400, &v, err) < 0)
		return -1;
	t->agent_timeout_s = (int)v;
	v = t->verifier_timeout_s;
	if (yml_int(d, n, "verifier_s", 0, 1, 86400, &v, err) < 0)
		return -1;
	t->verifier_timeout_s = (int)v;
	return 0;
}

static int parse_resources(const yml_doc *d, const yml_node *m, um_task *t, um_error *err)
{
	static const struct {
		const char *key;
		int64_t min, max, dflt;
		size_t off;
	} f[] = {
		{"memory_mb", 16, 1 << 20, 2048, offsetof(um_task, memory_mb)},
		{"cpus", 1, 1024, 1, offsetof(um_task, cpus)},
		{"pids", 8, 1 << 20, 512, offsetof(um_task, pids)},
		{"storage_mb", 16, 1 << 24, 0, offsetof(um_task, storage_mb)},
		{"tmp_mb", 1, 1 << 20, 512, offsetof(um_task, tmp_mb)},
	};
	const yml_node *n = yml_get(m, "resources");
	size_t i;

	if (n && !yml_is_null(n) &&
	    (yml_expect(d, n, YML_MAP, "resources", err) < 0 ||
	     yml_check_keys(d, n, resource_keys, "resources", err) < 0))
		return -1;
	for (i = 0; i < UM_ARRAY_LEN(f); i++) {
		int64_t v = f[i].dflt;
		if (n && !yml_is_null(n) && yml_int(d, n, f[i].key, 0, f[i].min, f[i].max, &v, err) < 0)
			return -1;
		*(int *)((char *)t + f[i].off) = (int)v;
	}
	return 0;
}

static int parse_task(const yml_doc *d, const yml_node *m, const um_suite *s, const char *base,
		      um_task *t, um_error *err)
{
	int swe = !strcmp(s->kind, "swe");
	int k;

	if (yml_expect(d, m, YML_MAP, "task", err) < 0 ||
	    yml_check_keys(d, m, swe ? swe_task_keys : task_keys, "task", err) < 0 ||
	    parse_identity(d, m, s, base, t, err) < 0)
		return -1;
	if (swe) {
		if (yml_str(d, m, "unsupported", 0, &t->unsupported, err) < 0 ||
		    yml_str(d, m, "image", 0, &t->image, err) < 0 || parse_swe(d, m, t, err) < 0)
			return -1;
	} else if (yml_str(d, m, "instruction", 0, &t->instruction, err) < 0) {
		return -1;
	}
	if (parse_instruction(d, m, swe, t, err) < 0 || parse_environment(d, m, t, err) < 0)
		return -1;
	if (!swe && (task_path(d, m, "tests", t->dir, 1, "tests", &t->tests_dir, err) < 0 ||
		     task_path(d, m, "solution", t->dir, 0, "solution.sh", &t->solution_path, err) < 0 ||
		     env_map(d, m, "verifier_env", &t->verifier_env, &t->n_verifier_env, err) < 0 ||
		     env_map(d, m, "solution_env", &t->solution_env, &t->n_solution_env, err) < 0))
		return -1;
	/* an imported task that cannot run here may lack its test command */
	/* official grading runs the instance's run_script.sh instead */
	if (yml_str(d, m, "test_command", !(swe && (t->unsupported || s->swe.official)),
		    &t->test_command, err) < 0)
		return -1;
	k = 0;
	if (!swe && yml_enum(d, m, "verdict", 0, verdict_names, &k, err) < 0)
		return -1;
	t->verdict = (um_verdict)k;
	if (parse_timeouts(d, m, t, err) < 0 || parse_resources(d, m, t, err) < 0)
		return -1;
	if (yml_bool(d, m, "network", 0, &t->network, err) < 0 ||
	    (!swe && yml_str(d, m, "unsupported", 0, &t->unsupported, err) < 0))
		return -1;
	if (!swe && !t->tests_dir && !t->unsupported)
		return yml_fail(d, m, UM_ERR_INVALID, err, "task %s: no tests directory in %s", t->id,
				t->dir);
	if (t->solution_path && um_read_file(t->solution_path, &t->solution, NULL, err) < 0)
		return -1;
	return task_hash_dir(t->dir, t->sha256, err);
}

int task_parse_all(const yml_doc *d, const yml_node *root, um_suite *s, const char *base,
		   um_error *err)
{
	const yml_node *ts = yml_get(root, "tasks");
	um_sha256 h;
	size_t i, j;

	if (!ts)
		return yml_fail(d, root, UM_ERR_INVALID, err, "a terminal suite needs 'tasks'");
	if (yml_expect(d, ts, YML_SEQ, "tasks", err) < 0)
		return -1;
	if (ts->n == 0)
		return yml_fail(d, ts, UM_ERR_INVALID, err, "'tasks' is empty");
	s->tasks = um_xcalloc(ts->n, sizeof(um_task));
	for (i = 0; i < ts->n; i++) {
		if (parse_task(d, ts->items[i], s, base, &s->tasks[i], err) < 0) {
			s->n_tasks = i + 1;
			return -1;
		}
		s->n_tasks = i + 1;
		for (j = 0; j < i; j++)
			if (!strcmp(s->tasks[j].id, s->tasks[i].id))
				return yml_fail(d, ts->items[i], UM_ERR_INVALID, err,
						"task id '%s' is used twice (line %d and here)",
						s->tasks[i].id, ts->items[j]->line);
	}
	um_sha256_init(&h);
	for (i = 0; i < s->n_tasks; i++) {
		um_sha256_update(&h, s->tasks[i].id, strlen(s->tasks[i].id) + 1);
		um_sha256_update(&h, s->tasks[i].sha256, 64);
	}
	um_sha256_final_hex(&h, s->dataset_sha256);
	return 0;
}

int task_pytest_passed(const char *out)
{
	int passed = 0, failed = 0;
	const char *p = out;

	while (p && *p) {
		if (um_has_prefix(p, "PASSED "))
			passed++;
		else if (um_has_prefix(p, "FAILED ") || um_has_prefix(p, "ERROR "))
			failed++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return passed > 0 && failed == 0;
}
