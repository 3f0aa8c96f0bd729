/*
 * swe_grade.h - the pure grading logic of repository-repair (swe) tasks:
 * test-log parsers, the FAIL_TO_PASS / PASS_TO_PASS resolution rule, patch
 * helpers (binary sections, touched files) and the parser of the
 * Python-literal name lists that SWE-Bench Pro stores.
 *
 * Nothing here runs a process or touches a file: the runner applies patches
 * and runs the tests, then hands the bytes to these functions. The rules are
 * described in docs/swe-grading.md.
 */
#ifndef UMPIRE_SWE_GRADE_H
#define UMPIRE_SWE_GRADE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

/* ---- test outcomes ---------------------------------------------------- */

/* What a log says about one test. PASSED, FAILED, SKIPPED and ERROR are the
 * four outcomes every parser knows; the others keep what a framework says
 * when it says more (pytest's xfail/xpass, TAP's and jest's TODO). Only
 * SWE_PASSED and SWE_XFAIL count as passed (swe_status_passed). */
typedef enum swe_status {
	SWE_PASSED = 0,
	SWE_FAILED,
	SWE_SKIPPED,
	SWE_ERROR,
	SWE_XFAIL,   /* pytest: expected failure that failed: counts as passed */
	SWE_XPASS,   /* pytest: expected failure that passed: does not count */
	SWE_TODO,    /* TAP "# TODO", jest "todo": neither passed nor failed */
	SWE_STATUS__COUNT
} swe_status;

/* "PASSED", "FAILED", "SKIPPED", "ERROR", "XFAIL", "XPASS", "TODO". */
const char *swe_status_name(swe_status s);
/* The nearest of SWE-Bench Pro's four statuses (PASSED, FAILED, SKIPPED,
 * ERROR): XFAIL is PASSED and XPASS FAILED (as the pytest parsers that
 * read them map them by default), TODO is SKIPPED. */
swe_status swe_status_official(swe_status s);
/* 1 for SWE_PASSED and SWE_XFAIL, 0 otherwise. */
int swe_status_passed(swe_status s);

typedef struct swe_result {
	char *name;         /* the test name as the log spells it (owned) */
	swe_status status;  /* what the last line about it said */
	bool any_passed;    /* some line about it said a passing status */
} swe_result;

/* The tests of one log, in order of first appearance, one entry per name:
 * a later line about a name overrides the status of the earlier one, and
 * any_passed remembers whether any of them passed. A name counts as passed
 * when any_passed is set: SWE-Bench Pro takes the set of names printed with
 * PASSED, so one passing entry among duplicates is enough. */
typedef struct swe_results {
	swe_result *v;
	size_t n;
	/* private: the name index */
	size_t cap;
	size_t *slots;      /* open addressing; value i + 1 means v[i], 0 empty */
	size_t n_slots;
} swe_results;

void swe_results_init(swe_results *r);
void swe_results_release(swe_results *r);
/* Add name[0..len) with status, or override the status of an existing entry
 * of that exact name. */
void swe_results_set(swe_results *r, const char *name, size_t len, swe_status status);
/* The entry of that exact name, or NULL. */
const swe_result *swe_results_find(const swe_results *r, const char *name);

/* ---- log parsers ------------------------------------------------------ */

typedef enum swe_log_format {
	SWE_LOG_PYTEST = 0,
	SWE_LOG_GO_TEST,
	SWE_LOG_GO_TEST_JSON,
	SWE_LOG_JEST_JSON,
	SWE_LOG_TAP,
	SWE_LOG_COMMAND,
	SWE_LOG_MOCHA_JSON,
	SWE_LOG_OSPEC,
	SWE_LOG__COUNT
} swe_log_format;

/* "pytest", "go_test", "go_test_json", "jest_json", "tap", "command",
 * "mocha_json", "ospec". */
const char *swe_log_format_name(swe_log_format f);
/* Returns 0 and sets *out, or -1 for an unknown name (err names the known ones). */
int swe_log_format_parse(const char *name, swe_log_format *out, um_error *err);

/* How a pytest log is read where SWE-Bench Pro's per-repository parsers
 * differ (docs/swe-grading.md):
 *   UMPIRE      names whole (blanks inside brackets kept); XFAIL passes,
 *               XPASS does not;
 *   FIRST_BLANK a name ends at its first blank; XFAIL / XPASS lines are not
 *               read (openlibrary's parsers);
 *   ANSIBLE     a name ends at its first blank; XPASS is PASSED and XFAIL is
 *               SKIPPED (ansible's parsers). */
typedef enum swe_dialect {
	SWE_DIALECT_UMPIRE = 0,
	SWE_DIALECT_FIRST_BLANK,
	SWE_DIALECT_ANSIBLE,
	SWE_DIALECT__COUNT
} swe_dialect;

/* "umpire", "first_blank", "ansible". */
const char *swe_dialect_name(swe_dialect d);
/* 0 and *out, or -1 (err names the known ones). NULL or "" is UMPIRE. */
int swe_dialect_parse(const char *name, swe_dialect *out, um_error *err);

/* Parse a test log of len bytes (it may hold NUL bytes and invalid UTF-8).
 * `out` is initialised by the call and must be released with
 * swe_results_release, also after a failure (it is then empty).
 *
 * Every format but SWE_LOG_COMMAND ignores what it does not recognise and
 * never fails: a log without a single test gives an empty list (the caller
 * decides what that means). SWE_LOG_COMMAND parses the stdout of a per-task
 * parser command strictly and fails (-1, err names the offending key) unless
 * it is a JSON object {"name": "PASSED"|"FAILED"|"SKIPPED"|"ERROR", ...} or
 * SWE-Bench Pro's {"tests": [{"name": ..., "status": ...}, ...]}. */
int swe_parse_log(swe_log_format fmt, const char *log, size_t len, swe_results *out,
		  um_error *err);
/* The same under a pytest dialect (other formats ignore it). */
int swe_parse_log_dialect(swe_log_format fmt, swe_dialect dialect, const char *log, size_t len,
			  swe_results *out, um_error *err);

/* The parsers one by one (same contract as swe_parse_log). */
int swe_parse_pytest(const char *log, size_t len, swe_results *out);
int swe_parse_pytest_dialect(const char *log, size_t len, swe_dialect dialect, swe_results *out);
int swe_parse_go_test(const char *log, size_t len, swe_results *out);
int swe_parse_go_test_json(const char *log, size_t len, swe_results *out);
int swe_parse_jest_json(const char *log, size_t len, swe_results *out);
int swe_parse_tap(const char *log, size_t len, swe_results *out);
int swe_parse_command_output(const char *text, size_t len, swe_results *out, um_error *err);
/* mocha --reporter=json: every object that starts "{\n" and ends at the next
 * "\n}" is read; passes / pending / failures give PASSED / SKIPPED / FAILED;
 * the name is "FILE | fullTitle" (FILE without a leading /app/; a "X::"
 * marker in the title names the file instead and is removed). */
int swe_parse_mocha_json(const char *log, size_t len, swe_results *out);
/* ospec (tutanota): "SPEC O > a > b" sets the file, "TEST name" passed; a
 * summary "passing: N ... failing: M ..." whose count disagrees replaces the
 * list with numbered entries, as the official parser does (at most 100,000
 * of each kind, whatever count a log claims). */
int swe_parse_ospec(const char *log, size_t len, swe_results *out);

/* ---- matching and resolution ------------------------------------------ */

typedef enum swe_match {
	SWE_MATCH_EXACT = 0,   /* byte equality */
	SWE_MATCH_WHITESPACE,  /* trim both ends, collapse inner whitespace runs to one space */
} swe_match;

/* "exact", "whitespace". */
const char *swe_match_name(swe_match m);
int swe_match_parse(const char *name, swe_match *out, um_error *err);

/* Normalise a name for SWE_MATCH_WHITESPACE: ASCII whitespace (space, \t,
 * \n, \v, \f, \r) trimmed at both ends, inner runs replaced by one space.
 * Caller frees. */
char *swe_name_normalize(const char *name);

/* A list of expected test names (borrowed; not copied by swe_resolve). */
typedef struct swe_name_list {
	char *const *names;
	size_t n;
} swe_name_list;

/* The fate of one expected list. Every name of the list lands in exactly one
 * of passed / failed / missing, in the list's order; the strings are copies
 * of the expected names (owned by the swe_resolution). */
typedef struct swe_list_outcome {
	char **passed;
	size_t n_passed;
	char **failed;              /* in the log with a status that is not a pass */
	swe_status *failed_status;  /* that status, parallel to failed */
	size_t n_failed;
	char **missing;             /* not in the log at all */
	size_t n_missing;
} swe_list_outcome;

typedef struct swe_resolution {
	bool resolved;              /* every name of both lists passed */
	swe_list_outcome fail_to_pass;
	swe_list_outcome pass_to_pass;
} swe_resolution;

/* Resolve a task: resolved when every FAIL_TO_PASS and every PASS_TO_PASS
 * name matches a test that passed (swe_status_passed) under the match rule.
 * A name missing from the log is not passed; an empty FAIL_TO_PASS list can
 * never resolve (the suite loader requires it to be non-empty). Under
 * SWE_MATCH_WHITESPACE several log entries can normalise to the same name:
 * the name passes only when all of them passed. fail_to_pass / pass_to_pass
 * may be NULL (empty). `out` is initialised by the call; release it with
 * swe_resolution_release. Returns out->resolved. */
bool swe_resolve(const swe_results *results, const swe_name_list *fail_to_pass,
		 const swe_name_list *pass_to_pass, swe_match match, swe_resolution *out);
void swe_resolution_release(swe_resolution *r);

/* ---- patch helpers ---------------------------------------------------- */

/* A copy of a git diff without its binary file sections (a section from one
 * "diff --git" line to the next that holds a "Binary files ... differ" or a
 * "GIT binary patch" line in its header). Everything else, including text
 * before the first section, is kept byte for byte. NULL in, NULL out;
 * caller frees. */
char *swe_strip_binary(const char *diff_text);

typedef enum swe_change {
	SWE_CHANGE_MODIFY = 0,
	SWE_CHANGE_ADD,
	SWE_CHANGE_DELETE,
	SWE_CHANGE_RENAME,
	SWE_CHANGE_COPY,
} swe_change;

/* One file section of a patch. Paths are relative to the repository root
 * (the a/ and b/ prefixes removed, git's "quoted" paths decoded). */
typedef struct swe_patch_file {
	char *old_path;     /* NULL for a new file (/dev/null) */
	char *new_path;     /* NULL for a deleted file (/dev/null) */
	swe_change change;
	bool binary;        /* "Binary files ... differ" or "GIT binary patch" */
} swe_patch_file;

/* The files a patch touches, one entry per file section, in patch order.
 * Understands git diffs (new / deleted files, renames, copies, mode changes,
 * binary sections) and plain unified diffs ("--- " / "+++ " pairs); hunk
 * bodies are skipped by their line counts, so a removed line that reads
 * "-- x" is never taken for a header. Text that is not a diff gives an empty
 * list. Fails (-1, err with "line N: ...") only on a malformed quoted path.
 * *files is NULL when *n is 0; free with swe_patch_files_free. */
int swe_patch_files(const char *diff_text, swe_patch_file **files, size_t *n, um_error *err);
void swe_patch_files_free(swe_patch_file *files, size_t n);

/* True when the patch changes nothing: NULL, only whitespace, or no file
 * section at all (commentary without a diff). */
bool swe_patch_is_empty(const char *diff_text);

/* ---- the official grading's entry script ----------------------------- */

/* The ENV lines of a Dockerfile as SWE-Bench Pro exports them: every line
 * that, stripped of surrounding whitespace, starts with "ENV" becomes that
 * line with its first "ENV" replaced by "export" (so "ENV A=1" is
 * "export A=1"), one a line, in order. Appended to out. */
void swe_dockerfile_env(const char *dockerfile, char **out);

/* The script SWE-Bench Pro runs in an instance's container: the exported ENV
 * lines, then in /app `git reset --hard BASE`, `git checkout BASE`,
 * `git apply -v /workspace/patch.diff` (a failure is not fatal: the script
 * has no `set -e`), the last line of before_repo_set_cmd (after trimming it),
 * `bash /workspace/run_script.sh FILES` (FILES the selected test files
 * joined by commas) with stdout and stderr to /workspace/stdout.log and
 * stderr.log, and `python /workspace/parser.py` on them writing
 * /workspace/output.json. Caller frees. */
char *swe_official_entryscript(const char *env_lines, const char *base_commit,
			       const char *before_repo_set_cmd, char *const *test_files,
			       size_t n_test_files);

/* ---- FAIL_TO_PASS / PASS_TO_PASS lists -------------------------------- */

/* Parse a list of test names as SWE-Bench Pro stores them: a Python list
 * literal of str ("['tests/a.py::t1', \"tests/b.py::t[x'y]\"]": single or
 * double quotes, u/r prefixes, Python escapes \\ \' \" \n \t \r \a \b \f \v
 * \ooo \xhh \uhhhh \Uhhhhhhhh, a trailing comma) or a JSON array of strings.
 * Text that parses as JSON is read as JSON. Returns 0 with *names a
 * malloc'd array of *n malloc'd UTF-8 strings (NULL when *n is 0; free with
 * swe_name_list_free), or -1 with err ("col N: what is wrong") for anything
 * else: not a list, a non-string element, an unterminated string, a bad
 * escape, a NUL character, trailing text. */
int swe_parse_name_list(const char *text, char ***names, size_t *n, um_error *err);
void swe_name_list_free(char **names, size_t n);

#endif
