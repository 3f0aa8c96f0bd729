/*
 * test_tbimport.c - importing Terminal-Bench 1 and 2 task folders and
 * archives into a terminal suite: the generated suite loads with
 * suite_load and says what the fixtures say; unsafe archives are refused
 * before anything is written; malformed tasks are errors naming the folder,
 * the file and (for YAML and TOML) the line and column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "load/suite.h"
#include "import/tbimport.h"
#include "base/util.h"
#include "load/yml.h"

#define FIX FIXTURES "/tbimport"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/umpire-tbimport-test-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char *cmd = um_xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);

	(void)state;
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static char *p(const char *rel)
{
	return um_xasprintf("%s/%s", dir, rel);
}

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static int executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0100);
}

static char *slurp(const char *path)
{
	char *d = NULL;
	um_error err = {0};

	if (um_read_file(path, &d, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	return d;
}

static const um_task *find_task(const um_suite *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->n_tasks; i++)
		if (!strcmp(s->tasks[i].id, id))
			return &s->tasks[i];
	fail_msg("no task %s", id);
	return NULL;
}

static int run_import(const char *source, const char *suite, const char *tasks_dir,
		      int skip_broken, tbimport_result *r, um_error *err)
{
	tbimport_opts o;

	memset(&o, 0, sizeof(o));
	o.source = source;
	o.suite_path = suite;
	o.tasks_dir = tasks_dir;
	o.skip_broken = skip_broken;
	return tbimport_run(&o, r, err);
}

static int wfile(const char *path, const char *text, int mode)
{
	um_error err = {0};
	return um_write_file(path, text, strlen(text), mode, &err);
}

static um_suite *load_suite(const char *path)
{
	um_suite *s = NULL;
	um_error err = {0};

	if (suite_load(path, &s, &err) < 0)
		fail_msg("suite_load: %s", err.msg);
	return s;
}

/* The task directories of a tasks dir, without hidden entries. */
static int count_visible(const char *d)
{
	DIR *dh = opendir(d);
	struct dirent *de;
	int n = 0;

	if (!dh)
		return -1;
	while ((de = readdir(dh)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dh);
	return n;
}

/* No staging or extraction directory is left behind. */
static void assert_no_leftovers(const char *d)
{
	DIR *dh = opendir(d);
	struct dirent *de;

	if (!dh)
		return;
	while ((de = readdir(dh)) != NULL)
		if (!strncmp(de->d_name, ".tbimport", 9))
			fail_msg("left behind: %s/%s", d, de->d_name);
	closedir(dh);
}

/* ---- archives written with libarchive ----------------------------------- */

static struct archive *arc_new(const char *path, const char *kind)
{
	struct archive *a = archive_write_new();

	if (!strcmp(kind, "zip")) {
		archive_write_set_format_zip(a);
	} else {
		archive_write_set_format_pax_restricted(a);
		if (!strcmp(kind, "tar.gz"))
			archive_write_add_filter_gzip(a);
		else if (!strcmp(kind, "tar.zst"))
			archive_write_add_filter_zstd(a);
	}
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	return a;
}

static void arc_entry(struct archive *a, const char *name, mode_t type, const char *data,
		      const char *link, int mode)
{
	struct archive_entry *e = archive_entry_new();
	size_t len = data ? strlen(data) : 0;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, mode);
	archive_entry_set_size(e, (la_int64_t)len);
	if (link)
		archive_entry_set_symlink(e, link);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	if (len)
		assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
	archive_entry_free(e);
}


/* Add the tree src under the member prefix. */
static void arc_tree(struct archive *a, const char *src, const char *prefix)
{
	DIR *dh = opendir(src);
	struct dirent *de;

	assert_non_null(dh);
	arc_entry(a, prefix, AE_IFDIR, NULL, NULL, 0755);
	while ((de = readdir(dh)) != NULL) {
		char *s, *m;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		s = um_xasprintf("%s/%s", src, de->d_name);
		m = um_xasprintf("%s/%s", prefix, de->d_name);
		assert_int_equal(lstat(s, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			arc_tree(a, s, m);
		} else {
			char *data = slurp(s);
			arc_entry(a, m, AE_IFREG, data, NULL, (int)(st.st_mode & 0777));
			free(data);
		}
		free(s);
		free(m);
	}
	closedir(dh);
}

static void arc_close(struct archive *a)
{
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* ---- folders ------------------------------------------------------------- */

static void test_tb1_folder(void **state)
{
	char *suite = p("out/tb1.yaml"), *s1, *s2;
	tbimport_result r;
	um_error err = {0};
	um_suite *s;
	const um_task *t;

	(void)state;
	if (run_import(FIX "/tb1", suite, NULL, 0, &r, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(r.n_tasks, 2);
	assert_int_equal(r.n_host, 1);
	assert_int_equal(r.n_image, 1);
	assert_int_equal(r.n_other, 0);
	assert_string_equal(r.tasks[0].id, "count-lines");
	assert_int_equal(r.tasks[0].tb_version, 1);
	assert_null(r.tasks[0].unsupported);
	assert_string_equal(r.tasks[1].id, "fix-config");
	assert_true(r.tasks[1].needs_image);
	assert_null(r.tasks[1].image); /* built, not pulled */
	tbimport_result_release(&r);

	s = load_suite(suite);
	assert_string_equal(s->name, "tb1");
	assert_string_equal(s->kind, "terminal");
	assert_int_equal(s->n_tasks, 2);
	assert_int_equal(s->n_categories, 2);
	assert_string_equal(s->categories[0], "file-operations");
	assert_string_equal(s->categories[1], "system-administration");

	t = find_task(s, "count-lines");
	assert_string_equal(t->category, "file-operations");
	assert_string_equal(t->difficulty, "easy");
	assert_int_equal(t->n_tags, 2);
	assert_string_equal(t->tags[1], "wc");
	assert_non_null(strstr(t->instruction, "/work/notes.txt with exactly three lines"));
	assert_string_equal(t->test_command, "env TEST_DIR=/tests bash /tests/test.sh");
	assert_int_equal(t->verdict, UM_VERDICT_PYTEST);
	assert_int_equal(t->agent_timeout_s, 180);
	assert_int_equal(t->verifier_timeout_s, 31); /* 30.5 rounded up */
	assert_null(t->image);
	assert_null(t->unsupported);
	assert_int_equal(t->network, 0);
	assert_non_null(t->solution);
	assert_non_null(strstr(t->solution, "wc -l < /work/notes.txt"));
	/* run-tests.sh became tests/test.sh, next to the other test files */
	s1 = um_xasprintf("%s/tests/test.sh", t->dir);
	assert_true(executable(s1));
	s2 = slurp(s1);
	assert_non_null(strstr(s2, "pytest -rA"));
	free(s1);
	free(s2);
	s1 = um_xasprintf("%s/tests/test_outputs.py", t->dir);
	assert_true(exists(s1));
	free(s1);
	s1 = um_xasprintf("%s/environment", t->dir); /* the host stands in: nothing kept */
	assert_false(exists(s1));
	free(s1);

	t = find_task(s, "fix-config");
	assert_string_equal(t->difficulty, "medium"); /* "Medium" */
	/* the "descriptions" form: the base description */
	assert_non_null(strstr(t->instruction, "Change its port from 80 to 8080"));
	assert_null(strstr(t->instruction, "Fix the port."));
	/* runs in a container built from its context, not refused */
	assert_null(t->unsupported);
	assert_non_null(t->build_dir);
	assert_string_equal(t->build_dir + strlen(t->build_dir) - 12, "/environment");
	assert_int_equal(t->agent_timeout_s, 400);
	/* the build context is kept, without the task's own files */
	s1 = um_xasprintf("%s/environment/Dockerfile", t->dir);
	s2 = um_xasprintf("%s/environment/config.ini", t->dir);
	assert_true(exists(s1));
	assert_true(exists(s2));
	free(s1);
	free(s2);
	s1 = um_xasprintf("%s/environment/task.yaml", t->dir);
	s2 = um_xasprintf("%s/environment/tests", t->dir);
	assert_false(exists(s1));
	assert_false(exists(s2));
	free(s1);
	free(s2);
	/* solution.yaml became a script of its commands */
	assert_non_null(t->solution);
	assert_non_null(strstr(t->solution, "sed -i 's/^port = 80$/port = 8080/' /app/config.ini\n"
					    "grep -q 'port = 8080' /app/config.ini\n"));
	suite_free(s);
	s1 = p("out/tb1");
	assert_no_leftovers(s1);
	assert_int_equal(count_visible(s1), 2);
	free(s1);
	free(suite);
}

static void test_tb2_folder(void **state)
{
	char *suite = p("out/tb2.yaml"), *s1;
	tbimport_result r;
	um_error err = {0};
	um_suite *s;
	const um_task *t;

	(void)state;
	if (run_import(FIX "/tb2", suite, NULL, 0, &r, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(r.n_tasks, 2);
	assert_int_equal(r.n_host, 1);
	assert_int_equal(r.n_image, 1);
	assert_string_equal(r.tasks[1].id, "sum-csv");
	assert_int_equal(r.tasks[1].tb_version, 2);
	assert_string_equal(r.tasks[1].image, "ghcr.io/umpire-fixtures/sum-csv:2025-01");
	tbimport_result_release(&r);

	s = load_suite(suite);
	t = find_task(s, "reverse-words");
	assert_string_equal(t->category, "text-processing");
	assert_string_equal(t->test_command, "bash /tests/test.sh");
	assert_int_equal(t->verdict, UM_VERDICT_REWARD_FILE);
	assert_int_equal(t->agent_timeout_s, 300);
	assert_int_equal(t->verifier_timeout_s, 60);
	assert_int_equal(t->memory_mb, 1024);
	assert_int_equal(t->cpus, 2);
	assert_int_equal(t->network, 0);
	assert_null(t->unsupported);
	assert_string_equal(t->instruction,
			    "Write the words `one two three` in reverse order, separated by "
			    "single spaces,\nto /work/out.txt (so the file holds "
			    "`three two one`).");
	assert_non_null(strstr(t->solution, "tac"));
	s1 = um_xasprintf("%s/tests/test.sh", t->dir);
	assert_true(executable(s1));
	free(s1);

	t = find_task(s, "sum-csv");
	assert_string_equal(t->difficulty, "medium");
	assert_int_equal(t->n_tags, 2);
	assert_string_equal(t->image, "ghcr.io/umpire-fixtures/sum-csv:2025-01");
	assert_null(t->unsupported); /* runs under a container driver */
	assert_int_equal(t->memory_mb, 2048); /* memory = "2G" */
	assert_int_equal(t->cpus, 1);
	assert_int_equal(t->agent_timeout_s, 600);
	assert_int_equal(t->verifier_timeout_s, 120);
	suite_free(s);

	/* the YAML itself: no network key where the task said nothing */
	{
		um_error e2 = {0};
		yml_doc *d = yml_load_file(suite, &e2);
		const yml_node *tasks, *sc;
		assert_non_null(d);
		tasks = yml_get(d->root, "tasks");
		assert_non_null(tasks);
		assert_int_equal(tasks->n, 2);
		assert_null(yml_get(tasks->items[1], "network"));
		assert_non_null(yml_get(tasks->items[0], "network"));
		sc = yml_get(d->root, "scaffold");
		assert_string_equal(sc->scalar, TBIMPORT_DEFAULT_SCAFFOLD);
		assert_string_equal(yml_get(tasks->items[0], "dir")->scalar, "tb2/reverse-words");
		yml_doc_free(d);
	}
	free(suite);
}

static void test_single_task_folder_and_tasks_dir(void **state)
{
	char *suite = p("suites/one.yaml"), *tasks = p("elsewhere/tasks"), *text;
	tbimport_result r;
	um_error err = {0};
	um_suite *s;

	(void)state;
	assert_int_equal(um_mkdir_p(tasks, &err), 0);
	if (run_import(FIX "/tb2/reverse-words", suite, tasks, 0, &r, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(r.n_tasks, 1);
	assert_string_equal(r.tasks[0].id, "reverse-words");
	tbimport_result_release(&r);
	text = slurp(suite);
	assert_non_null(strstr(text, "dir: ../elsewhere/tasks/reverse-words\n"));
	free(text);
	s = load_suite(suite);
	assert_int_equal(s->n_tasks, 1);
	suite_free(s);
	/* a second import replaces what the first wrote */
	if (run_import(FIX "/tb2/reverse-words", suite, tasks, 0, &r, &err) < 0)
		fail_msg("%s", err.msg);
	tbimport_result_release(&r);
	assert_int_equal(count_visible(tasks), 1);
	free(suite);
	free(tasks);
}

static void test_foreign_directory_not_replaced(void **state)
{
	char *suite = p("f.yaml"), *own = p("f/count-lines"), *keep = p("f/count-lines/mine.txt");
	tbimport_result r;
	um_error err = {0};

	(void)state;
	assert_int_equal(um_mkdir_p(own, &err), 0);
	assert_int_equal(um_write_file(keep, "x", 1, 0644, &err), 0);
	assert_int_equal(run_import(FIX "/tb1", suite, NULL, 0, &r, &err), -1);
	assert_int_equal(err.code, UM_ERR_STATE);
	assert_non_null(strstr(err.msg, "was not written by umpire import"));
	assert_true(exists(keep));
	assert_false(exists(suite));
	tbimport_result_release(&r);
	free(suite);
	free(own);
	free(keep);
}

/* ---- archives ------------------------------------------------------------ */

static void test_archive_tar_gz(void **state)
{
	char *arc = p("bench.tar.gz"), *suite = p("a/bench.yaml"), *tasks = p("a/bench");
	struct archive *a;
	tbimport_result r;
	um_error err = {0};
	um_suite *s;

	(void)state;
	a = arc_new(arc, "tar.gz");
	arc_tree(a, FIX "/tb1/count-lines", "bench/count-lines");
	arc_tree(a, FIX "/tb2/sum-csv", "bench/sum-csv");
	arc_close(a);
	if (run_import(arc, suite, NULL, 0, &r, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(r.n_tasks, 2);
	assert_int_equal(r.tasks[0].tb_version, 1);
	assert_int_equal(r.tasks[1].tb_version, 2);
	assert_int_equal(r.n_host, 1);
	tbimport_result_release(&r);
	s = load_suite(suite);
	assert_int_equal(s->n_tasks, 2);
	/* permissions survive the archive */
	{
		char *ts = um_xasprintf("%s/tests/test.sh", find_task(s, "count-lines")->dir);
		assert_true(executable(ts));
		free(ts);
	}
	suite_free(s);
	assert_no_leftovers(tasks);
	free(arc);
	free(suite);
	free(tasks);
}

static void test_archive_zip(void **state)
{
	char *arc = p("tb2.zip"), *suite = p("z/tb2.yaml");
	struct archive *a;
	tbimport_result r;
	um_error err = {0};
	um_suite *s;

	(void)state;
	a = arc_new(arc, "zip");
	arc_tree(a, FIX "/tb2/reverse-words", "reverse-words");
	arc_tree(a, FIX "/tb2/sum-csv", "sum-csv");
	arc_close(a);
	if (run_import(arc, suite, NULL, 0, &r, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(r.n_tasks, 2);
	tbimport_result_release(&r);
	s = load_suite(suite);
	assert_string_equal(find_task(s, "reverse-words")->test_command, "bash /tests/test.sh");
	suite_free(s);
	free(arc);
	free(suite);
}

static void test_archive_one_task_zst(void **state)
{
	char *arc = p("count-lines.tar.zst"), *suite = p("zst.yaml");
	struct archive *a;
	tbimport_result r;
	um_error err = {0};

	(void)state;
	a = arc_new(arc, "tar.zst");
	arc_tree(a, FIX "/tb1/count-lines", ".");
	arc_close(a);
	if (run_import(arc, suite, NULL, 0, &r, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(r.n_tasks, 1);
	/* a task at the archive's root is named after the archive */
	assert_string_equal(r.tasks[0].id, "count-lines");
	tbimport_result_release(&r);
	free(arc);
	free(suite);
}

/* An archive with one bad member among good ones is refused whole, and
 * nothing is extracted or written. */
static void refused(const char *kind, const char *bad_name, mode_t type, const char *link,
		    const char *needle)
{
	char *arc = um_xasprintf("%s/evil.%s", dir, kind), *suite = p("evil/evil.yaml");
	char *tasks = p("evil/evil"), *escaped = p("escaped.txt");
	struct archive *a;
	tbimport_result r;
	um_error err = {0};

	a = arc_new(arc, kind);
	arc_tree(a, FIX "/tb2/reverse-words", "t/reverse-words");
	arc_entry(a, bad_name, type, type == AE_IFREG ? "pwned\n" : NULL, link, 0644);
	arc_close(a);
	assert_int_equal(run_import(arc, suite, NULL, 0, &r, &err), -1);
	assert_int_equal(err.code, UM_ERR_ARCHIVE);
	if (!strstr(err.msg, needle) || !strstr(err.msg, "archive refused"))
		fail_msg("message '%s' lacks '%s'", err.msg, needle);
	assert_false(exists(escaped));
	assert_false(exists(suite));
	assert_int_equal(count_visible(tasks), 0);
	assert_no_leftovers(tasks);
	tbimport_result_release(&r);
	free(arc);
	free(suite);
	free(tasks);
	free(escaped);
}

static void test_archive_dotdot_refused(void **state)
{
	char *name = um_xasprintf("t/../../../%s/escaped.txt", dir + 1);

	(void)state;
	refused("tar.gz", "t/../../escaped.txt", AE_IFREG, NULL, "'t/../../escaped.txt'");
	refused("zip", "../escaped.txt", AE_IFREG, NULL, "unsafe path");
	refused("tar", name, AE_IFREG, NULL, "unsafe path");
	free(name);
}

static void test_archive_absolute_refused(void **state)
{
	char *name = um_xasprintf("%s/escaped.txt", dir);

	(void)state;
	refused("tar.gz", name, AE_IFREG, NULL, "absolute path");
	refused("zip", name, AE_IFREG, NULL, "absolute path");
	free(name);
}

static void test_archive_links_refused(void **state)
{
	(void)state;
	refused("tar.gz", "t/reverse-words/tests/data", AE_IFLNK, "../../../..", "symlink");
	refused("tar", "t/etc", AE_IFLNK, "/etc", "symlink to '/etc'");
	refused("tar", "t/fifo", AE_IFIFO, NULL, "fifo");
}

/* Links that are fine one by one but lead out together: caught after
 * extraction, before anything is read through them. */
static void test_archive_link_chain_refused(void **state)
{
	char *arc = p("chain.tar"), *suite = p("chain/chain.yaml");
	struct archive *a;
	tbimport_result r;
	um_error err = {0};

	(void)state;
	a = arc_new(arc, "tar");
	arc_tree(a, FIX "/tb2/reverse-words", "t/reverse-words");
	arc_entry(a, "here", AE_IFLNK, NULL, ".", 0777);
	arc_entry(a, "up", AE_IFLNK, NULL, "here/..", 0777);
	arc_close(a);
	assert_int_equal(run_import(arc, suite, NULL, 0, &r, &err), -1);
	assert_int_equal(err.code, UM_ERR_ARCHIVE);
	assert_non_null(strstr(err.msg, "'up'"));
	assert_non_null(strstr(err.msg, "leads outside"));
	tbimport_result_release(&r);
	free(arc);
	free(suite);
}

/* A symlink inside the archive that stays inside is fine. */
static void test_archive_inner_link_ok(void **state)
{
	char *arc = p("inner.tar"), *suite = p("inner/inner.yaml");
	struct archive *a;
	tbimport_result r;
	um_error err = {0};
	um_suite *s;

	(void)state;
	a = arc_new(arc, "tar");
	arc_tree(a, FIX "/tb2/reverse-words", "t/reverse-words");
	arc_entry(a, "t/reverse-words/tests/copy.sh", AE_IFLNK, NULL, "test.sh", 0777);
	arc_close(a);
	if (run_import(arc, suite, NULL, 0, &r, &err) < 0)
		fail_msg("%s", err.msg);
	tbimport_result_release(&r);
	s = load_suite(suite);
	{
		char *c = um_xasprintf("%s/tests/copy.sh", s->tasks[0].dir), *d = slurp(c);
		assert_non_null(strstr(d, "reward.txt"));
		free(c);
		free(d);
	}
	suite_free(s);
	free(arc);
	free(suite);
}

static void test_archive_garbage(void **state)
{
	char *arc = p("junk.tar.gz"), *suite = p("junk.yaml");
	tbimport_result r;
	um_error err = {0};
	char junk[4096];
	um_rng rng;
	size_t i;

	(void)state;
	um_rng_seed(&rng, 7);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)um_rng_below(&rng, 256);
	assert_int_equal(um_write_file(arc, junk, sizeof(junk), 0644, &err), 0);
	assert_int_equal(run_import(arc, suite, NULL, 0, &r, &err), -1);
	assert_int_equal(err.code, UM_ERR_ARCHIVE);
	assert_non_null(strstr(err.msg, "junk.tar.gz"));
	tbimport_result_release(&r);
	/* a gzip stream cut in half */
	{
		struct archive *a = arc_new(arc, "tar.gz");
		char *data;
		size_t len;
		arc_tree(a, FIX "/tb1/count-lines", "x");
		arc_close(a);
		assert_int_equal(um_read_file(arc, &data, &len, &err), 0);
		assert_int_equal(um_write_file(arc, data, len / 2, 0644, &err), 0);
		free(data);
		assert_int_equal(run_import(arc, suite, NULL, 0, &r, &err), -1);
		assert_int_equal(err.code, UM_ERR_ARCHIVE);
		tbimport_result_release(&r);
	}
	free(arc);
	free(suite);
}

/* ---- malformed tasks ------------------------------------------------------ */

static void broken(const char *folder, um_err code, const char *needle)
{
	char *src = um_xasprintf("%s/broken/%s", FIX, folder), *suite = p("b/b.yaml");
	tbimport_result r;
	um_error err = {0};

	assert_int_equal(run_import(src, suite, NULL, 0, &r, &err), -1);
	assert_int_equal(err.code, code);
	if (!strstr(err.msg, needle) || !strstr(err.msg, folder))
		fail_msg("message '%s' lacks '%s' or the folder %s", err.msg, needle, folder);
	assert_false(exists(suite));
	tbimport_result_release(&r);
	free(src);
	free(suite);
}

static void test_broken_tasks(void **state)
{
	(void)state;
	broken("tb2-no-instruction", UM_ERR_INVALID, "tb2-no-instruction/instruction.md: missing");
	broken("tb1-no-instruction", UM_ERR_INVALID, "task.yaml: no 'instruction'");
	broken("tb2-bad-toml", UM_ERR_SYNTAX, "tb2-bad-toml/task.toml:4:14: unterminated string");
	broken("tb1-bad-yaml", UM_ERR_SYNTAX, "tb1-bad-yaml/task.yaml:");
	broken("tb1-no-tests", UM_ERR_INVALID, "tb1-no-tests/run-tests.sh: missing");
}

/* Wrong types: named with file:line:col of the key. */
static void test_wrong_types(void **state)
{
	char *t1 = p("w/tb1/bad"), *t2 = p("w/tb2/bad"), *f;
	char *suite = p("w/out.yaml");
	tbimport_result r;
	um_error err = {0};

	(void)state;
	assert_int_equal(um_mkdir_p(t1, &err), 0);
	assert_int_equal(um_mkdir_p(t2, &err), 0);
	f = um_xasprintf("%s/task.yaml", t1);
	assert_int_equal(wfile(f, "instruction: hi\ntags: {a: 1}\n", 0644), 0);
	free(f);
	f = um_xasprintf("%s/run-tests.sh", t1);
	assert_int_equal(wfile(f, "exit 0\n", 0755), 0);
	free(f);
	assert_int_equal(run_import(t1, suite, NULL, 0, &r, &err), -1);
	assert_non_null(strstr(err.msg, "bad/task.yaml:2:7: "));
	tbimport_result_release(&r);

	f = um_xasprintf("%s/task.toml", t2);
	assert_int_equal(wfile(f, "[agent]\n  timeout_sec = \"600\"\n", 0644), 0);
	free(f);
	assert_int_equal(run_import(t2, suite, NULL, 0, &r, &err), -1);
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_non_null(strstr(err.msg, "bad/task.toml:2:3: [agent] timeout_sec must be"));
	tbimport_result_release(&r);

	f = um_xasprintf("%s/task.toml", t2);
	assert_int_equal(wfile(f, "[environment]\nmemory = \"lots\"\n", 0644), 0);
	free(f);
	assert_int_equal(run_import(t2, suite, NULL, 0, &r, &err), -1);
	assert_non_null(strstr(err.msg, "bad/task.toml:2:1: [environment] memory must be"));
	tbimport_result_release(&r);

	/* garbage bytes as task files */
	f = um_xasprintf("%s/task.toml", t2);
	assert_int_equal(wfile(f, "\x01\xff\xfe[[\0\0", 0644), 0);
	free(f);
	assert_int_equal(run_import(t2, suite, NULL, 0, &r, &err), -1);
	assert_int_equal(err.code, UM_ERR_SYNTAX);
	assert_non_null(strstr(err.msg, "bad/task.toml:1:"));
	tbimport_result_release(&r);
	f = um_xasprintf("%s/task.yaml", t1);
	assert_int_equal(wfile(f, "\t- : [\x01\xff", 0644), 0);
	free(f);
	assert_int_equal(run_import(t1, suite, NULL, 0, &r, &err), -1);
	assert_int_equal(err.code, UM_ERR_SYNTAX);
	assert_non_null(strstr(err.msg, "bad/task.yaml"));
	tbimport_result_release(&r);
	free(t1);
	free(t2);
	free(suite);
}

static void test_skip_broken(void **state)
{
	char *mix = p("mix"), *cmd, *suite = p("m/mix.yaml");
	tbimport_result r;
	um_error err = {0};
	um_suite *s;
	size_t i;
	int saw_toml = 0;

	(void)state;
	cmd = um_xasprintf("mkdir -p '%s' && cp -r '%s'/tb1/* '%s'/tb2/* '%s'/broken/* '%s'/", mix,
			   FIX, FIX, FIX, mix);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	/* without --skip-broken the first broken task stops the import */
	assert_int_equal(run_import(mix, suite, NULL, 0, &r, &err), -1);
	assert_non_null(strstr(err.msg, "task tb1-bad-yaml: "));
	assert_false(exists(suite));
	tbimport_result_release(&r);
	if (run_import(mix, suite, NULL, 1, &r, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(r.n_tasks, 4);
	assert_int_equal(r.n_broken, 5);
	for (i = 0; i < r.n_broken; i++) {
		assert_non_null(strstr(r.broken[i].folder, "mix/"));
		if (strstr(r.broken[i].reason, "task.toml:4:14: "))
			saw_toml = 1;
	}
	assert_true(saw_toml);
	tbimport_result_release(&r);
	s = load_suite(suite);
	assert_int_equal(s->n_tasks, 4);
	suite_free(s);
	free(mix);
	free(suite);
}

static void test_skip_broken_nothing_left(void **state)
{
	char *suite = p("n/n.yaml");
	tbimport_result r;
	um_error err = {0};

	(void)state;
	assert_int_equal(run_import(FIX "/broken", suite, NULL, 1, &r, &err), -1);
	assert_int_equal(r.n_broken, 5);
	assert_int_equal(r.n_tasks, 0);
	assert_non_null(strstr(err.msg, "no task could be imported"));
	assert_false(exists(suite));
	tbimport_result_release(&r);
	/* a folder with no task at all */
	assert_int_equal(run_import(FIX "/tb2/sum-csv/tests", suite, NULL, 1, &r, &err), -1);
	assert_non_null(strstr(err.msg, "no Terminal-Bench task folder"));
	tbimport_result_release(&r);
	free(suite);
}

static void test_bad_options(void **state)
{
	tbimport_result r;
	um_error err = {0};
	tbimport_opts o;
	char *suite = p("bad name!.yaml");

	(void)state;
	assert_int_equal(run_import(FIX "/tb1", suite, NULL, 0, &r, &err), -1);
	assert_int_equal(err.code, UM_ERR_USAGE);
	assert_non_null(strstr(err.msg, "--name"));
	tbimport_result_release(&r);
	memset(&o, 0, sizeof(o));
	o.source = "/nonexistent/umpire/tb";
	o.suite_path = suite;
	assert_int_equal(tbimport_run(&o, &r, &err), -1);
	assert_int_equal(err.code, UM_ERR_IO);
	tbimport_result_release(&r);
	free(suite);
}

/* ---- pieces ------------------------------------------------------------- */

static void test_dockerfile_kind(void **state)
{
	char *base = NULL;

	(void)state;
	assert_int_equal(tbimport_dockerfile_kind("FROM debian:bookworm\n", &base), TBIMPORT_HOST);
	assert_string_equal(base, "debian:bookworm");
	free(base);
	assert_int_equal(tbimport_dockerfile_kind("# c\nFROM docker.io/library/ubuntu:24.04 AS b\n"
						  "LABEL a=b \\\n  c=d\nWORKDIR /work\n"
						  "CMD [\"sh\"]\n", &base),
			 TBIMPORT_HOST);
	free(base);
	assert_int_equal(tbimport_dockerfile_kind("FROM debian\nWORKDIR /app\n", &base),
			 TBIMPORT_BASE);
	assert_string_equal(base, "debian");
	free(base);
	assert_int_equal(tbimport_dockerfile_kind("from --platform=linux/amd64 python:3.13\n",
						  &base),
			 TBIMPORT_BASE);
	assert_string_equal(base, "python:3.13");
	free(base);
	assert_int_equal(tbimport_dockerfile_kind("FROM debian\nRUN true\n", &base),
			 TBIMPORT_BUILD);
	assert_null(base);
	assert_int_equal(tbimport_dockerfile_kind("FROM debian\ncopy a /b\n", &base),
			 TBIMPORT_BUILD);
	assert_int_equal(tbimport_dockerfile_kind("FROM debian\nENV A=1\n", &base), TBIMPORT_BUILD);
	assert_int_equal(tbimport_dockerfile_kind("FROM a AS x\nFROM debian\n", &base),
			 TBIMPORT_BUILD);
	assert_int_equal(tbimport_dockerfile_kind("ARG V\nFROM debian:${V}\n", &base),
			 TBIMPORT_BUILD);
	assert_int_equal(tbimport_dockerfile_kind("", &base), TBIMPORT_BUILD);
	assert_int_equal(tbimport_dockerfile_kind("FROBNICATE x\nFROM debian\n", &base),
			 TBIMPORT_BUILD);
	/* a RUN hidden behind a continuation is still a RUN */
	assert_int_equal(tbimport_dockerfile_kind("FROM debian\nLABEL x=1 \\\n# note\n  y=2\n"
						  "RUN \\\n  apt-get update\n", &base),
			 TBIMPORT_BUILD);
	assert_int_equal(tbimport_dockerfile_kind("FROM debianx\n", &base), TBIMPORT_BASE);
	free(base);
	assert_int_equal(tbimport_dockerfile_kind("\x01\xff\nFROM\n\\", &base), TBIMPORT_BUILD);
	assert_null(base);
}

static void test_parse_memory(void **state)
{
	int64_t mb = 0;

	(void)state;
	assert_int_equal(tbimport_parse_memory("2G", &mb), 0);
	assert_int_equal(mb, 2048);
	assert_int_equal(tbimport_parse_memory("512M", &mb), 0);
	assert_int_equal(mb, 512);
	assert_int_equal(tbimport_parse_memory("1.5GB", &mb), 0);
	assert_int_equal(mb, 1536);
	assert_int_equal(tbimport_parse_memory("4Gi", &mb), 0);
	assert_int_equal(mb, 4096);
	assert_int_equal(tbimport_parse_memory("1024", &mb), 0);
	assert_int_equal(mb, 1024);
	assert_int_equal(tbimport_parse_memory("2147483648", &mb), 0);
	assert_int_equal(mb, 2048);
	assert_int_equal(tbimport_parse_memory("", &mb), -1);
	assert_int_equal(tbimport_parse_memory("lots", &mb), -1);
	assert_int_equal(tbimport_parse_memory("-2G", &mb), -1);
	assert_int_equal(tbimport_parse_memory("2Q", &mb), -1);
	assert_int_equal(tbimport_parse_memory("2Gx", &mb), -1);
	assert_int_equal(tbimport_parse_memory("nan", &mb), -1);
}

static void test_relpath(void **state)
{
	char *a = p("r/x/y"), *b = p("r/z"), *rel;
	um_error err = {0};

	(void)state;
	assert_int_equal(um_mkdir_p(a, &err), 0);
	assert_int_equal(um_mkdir_p(b, &err), 0);
	rel = tbimport_relpath(a, b);
	assert_string_equal(rel, "../../z");
	free(rel);
	rel = tbimport_relpath(b, a);
	assert_string_equal(rel, "../x/y");
	free(rel);
	rel = tbimport_relpath(a, a);
	assert_string_equal(rel, ".");
	free(rel);
	rel = tbimport_relpath("/", a);
	assert_string_equal(rel, a + 1);
	free(rel);
	assert_null(tbimport_relpath(a, "/nonexistent/umpire"));
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tb1_folder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tb2_folder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_single_task_folder_and_tasks_dir, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_foreign_directory_not_replaced, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_archive_tar_gz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_archive_zip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_archive_one_task_zst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_archive_dotdot_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_archive_absolute_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_archive_links_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_archive_link_chain_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_archive_inner_link_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_archive_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_tasks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skip_broken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skip_broken_nothing_left, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
		cmocka_unit_test(test_dockerfile_kind),
		cmocka_unit_test(test_parse_memory),
		cmocka_unit_test_setup_teardown(test_relpath, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
