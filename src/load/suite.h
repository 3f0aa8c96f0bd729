/*
 * suite.h - a benchmark suite: what is asked, of which items, how often,
 * and what vendors claim about it. Schema v1 is documented in docs/suite.md.
 *
 * suite_load() parses and validates the YAML (file:line:col errors), then
 * loads the dataset through dataset.c and checks its sha256 pin, so a suite
 * that loads is a suite that can run.
 */
#ifndef UMPIRE_SUITE_H
#define UMPIRE_SUITE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "load/image.h"

#define UM_MAX_CHOICES 26

/* A program test of a code item: stdin bytes and the expected stdout
 * (kind stdin), or one JSON argument per line and the expected JSON value
 * (call-based). */
typedef struct um_code_test {
	char *input;
	char *output;
} um_code_test;

typedef enum { UM_CODE_STDIN = 0, UM_CODE_CALL = 1 } um_code_io;
typedef enum { UM_CODE_PYTHON = 0, UM_CODE_CPP = 1 } um_code_lang;

/* The program-generation part of an item (suite kind "code"; docs/code.md). */
typedef struct um_code_item {
	char *title;            /* may be "" */
	char *starter_code;     /* "" when none (then the program reads stdin) */
	char *platform;         /* leetcode | codeforces | atcoder | ..., or "" */
	char *difficulty;       /* easy | medium | hard | ..., or "" */
	char date[11];          /* YYYY-MM-DD of the contest */
	um_code_io io;
	char *func_name;        /* call-based: the function (or Solution method) */
	um_code_test *tests;    /* public tests first, then private */
	int n_tests, n_public;
	char *solution;         /* a reference program (umpire's extension), or NULL */
	int time_limit_ms;      /* per test; 0: the suite's */
	int memory_mb;          /* per test; 0: the suite's */
	/* LiveCodeBench Pro (docs/livecodebench-pro.md): the tests are files of the
	 * problem's directory, read when they run; tests[i].input and .output are
	 * then the paths of the input and of the answer file */
	char *judge_dir;        /* the problem's test directory, or NULL: tests hold bytes */
	char *checker;          /* the checker's source (testlib), or NULL: tokens compared */
	char *interactor;       /* interactive problems: the interactor's source, or NULL */
} um_code_item;

/* One sub-step of a SciCode problem (suite kind "scicode"; docs/scicode.md). */
typedef struct um_sci_step {
	char *number;           /* step_number, "77.1": the test data's group name */
	char *description;      /* step_description_prompt */
	char *background;       /* step_background ("" when the release has none) */
	char *header;           /* function_header (signature and docstring) */
	char *return_line;      /* return_line */
	char **tests;           /* test_cases: Python that asserts against `target` */
	int n_tests;
	char *gold;             /* ground_truth_code (the validation split), or NULL */
	char *given_path;       /* a step whose code SciCode gives (not asked, not graded):
				 * the file the suite names for it, or NULL */
	char *given;            /* that file's text, or NULL */
} um_sci_step;

/* A SciCode main problem: its sub-steps in order. */
typedef struct um_sci_item {
	char *name;             /* problem_name, or "" */
	char *dependencies;     /* required_dependencies: the imports every step may use */
	um_sci_step *steps;
	int n_steps;
} um_sci_item;

/* One multiple-choice item. choices[correct] is the right answer. The
 * order of choices is the source order (GPQA: correct first); the plan
 * shuffles per (item, sample) from the suite seed. */
typedef struct um_item {
	char *id;           /* stable: Record ID, "id" field, or "row-N" */
	char *category;     /* High-level domain */
	char *subcategory;  /* Subdomain; may be NULL */
	char *question;
	char *choices[UM_MAX_CHOICES];
	int n_choices;
	int correct;        /* index into choices */
	um_code_item *code; /* kind code: the problem (no choices), else NULL */
	um_sci_item *sci;   /* kind scicode: the problem and its sub-steps, else NULL */
	um_image *images;   /* shown with the question (docs/suite.md, "Images"); may be NULL */
	int n_images;
	/* kind judged (docs/judged.md): a free-form answer; n_choices is 0 */
	char *answer;       /* the reference answer */
	char *messages;     /* a multi-turn prompt from the dataset: JSON array text of
			     * {"role", "content"} (sent as is), or NULL: the question
			     * goes through the scaffold's messages */
	char *grader;       /* this item's grader (exact | numeric | similarity | mrcr |
			     * judge), or NULL: the suite's */
	char *prefix;       /* mrcr: the string the answer must start with, or NULL */
	char *answer_type;  /* the judge's per-type instructions key (HLE's
			     * exactMatch / multipleChoice), or NULL */
	int64_t context_chars; /* characters of the prompt's contents */
} um_item;

typedef struct um_claim {
	char *system;       /* a system name from models.yaml, or a label */
	char *benchmark;    /* what the vendor called it; defaults to suite name */
	double value;       /* percent, 0..100, as published */
	char *source;       /* URL or citation */
	char *note;         /* optional */
} um_claim;

/* livecodebench: LiveCodeBench's JSONL (code suites); hle, mrcr and graphwalks:
 * the JSON / JSONL exports of those releases, charxiv: CharXiv's own
 * reasoning_<split>.json beside its images/ (judged suites; docs/judged.md);
 * livecodebench-pro: LiveCodeBench Pro's problems (JSONL) and the judge's
 * test directories (code suites; docs/livecodebench-pro.md). */
typedef enum {
	UM_DATA_INLINE, UM_DATA_CSV, UM_DATA_JSONL, UM_DATA_LIVECODEBENCH, UM_DATA_HLE, UM_DATA_MRCR,
	UM_DATA_CHARXIV, UM_DATA_GRAPHWALKS, UM_DATA_SCICODE, UM_DATA_LCBPRO
} um_data_format;

/* Suite-wide rules of a SciCode suite (`scicode:`; docs/scicode.md). */
typedef struct um_sci_rules {
	char *h5_path;          /* the numeric targets (SciCode's test_data.h5), resolved */
	char *h5_sha256;        /* its pin, or NULL */
	char h5_actual[65];     /* sha256 of the file as read at load */
	int time_limit_ms;      /* per step's test script (default 1800000, SciCode's) */
	int memory_mb;          /* per step's address space (default 16384) */
	int n_given;            /* steps whose code the suite gives (given:) */
	int inspect_counting;   /* counting: inspect_ai: the given steps count in a
				 * problem's steps, never passed (docs/scicode.md) */
} um_sci_rules;

/* Suite-wide rules of a code suite (`code:`). */
typedef struct um_code_rules {
	int time_limit_ms;      /* per test, unless the item sets one (default 6000) */
	int memory_mb;          /* per test address space (default 4096) */
	um_code_lang language;  /* what the programs are written in (default python) */
	char date_from[11];     /* the window: problems dated from..to, inclusive; "" open */
	char date_to[11];
	size_t n_before_window; /* items the dataset held before the window cut them */
} um_code_rules;

/* How a terminal task's verification decides pass/fail. */
typedef enum { UM_VERDICT_EXIT_CODE, UM_VERDICT_REWARD_FILE, UM_VERDICT_PYTEST } um_verdict;

/* Repository-repair details of a task (suite kind "swe"; docs/swe.md). */
typedef struct um_swe_task {
	char *repo_dir;         /* the repository's files at the base state, or NULL */
	char *repo_archive;     /* or a tar / tar.gz / tar.zst of it */
	char *base_commit;      /* to check out (archives), or NULL: HEAD */
	char *gold_patch;       /* text of the reference fix */
	char *test_patch;       /* text of the patch that adds the tests, or NULL */
	char **test_files;      /* or files taken from the gold tree */
	int n_test_files;
	char *log_parser;       /* pytest | go_test | go_test_json | jest_json | tap | command */
	char *log_parser_command;
	char *log_dialect;      /* pytest dialect (umpire | first_blank | ansible), or NULL */
	char **selected_test_files; /* official grading: run_script.sh's argument, verbatim */
	int n_selected_test_files;
	char *before_repo_set_cmd;  /* official grading: its last line runs before the tests */
	char **fail_to_pass;
	int n_fail_to_pass;
	char **pass_to_pass;
	int n_pass_to_pass;
} um_swe_task;

/* Suite-wide grading rules of a judged suite (docs/judged.md). */
#define UM_MAX_CONTEXT_BINS 16
typedef struct um_judged_rules {
	char *grader;           /* every item's grader unless it names its own */
	double rel_tol, abs_tol; /* numeric: |answer - target| <= max(abs, rel * |target|) */
	int64_t bins[UM_MAX_CONTEXT_BINS]; /* upper bounds of the context-length bins, in
				 * estimated tokens (characters / 4), ascending */
	int n_bins;             /* 0: no bins */
	size_t skipped_images;  /* hle: records with an image left out (images: skip) */
} um_judged_rules;

/* Suite-wide grading rules of a swe suite. */
typedef struct um_swe_rules {
	char *strategies[3];    /* git_apply | git_apply_3way | patch_fuzz, in order */
	int n_strategies;
	int fuzz;
	int whitespace_match;   /* 0: exact test-name matching; 1: whitespace-normalised */
	int official;           /* grading: official (SWE-Bench Pro's steps; docs/swe-grading.md) */
} um_swe_rules;

/* One terminal task (suite kind "terminal"; format: docs/terminal.md). All
 * paths are resolved (relative to the suite file) and owned by the suite. */
typedef struct um_task {
	char *id;
	char *category;
	char *difficulty;       /* may be NULL */
	char **tags;
	int n_tags;
	char *dir;              /* the task directory */
	char *instruction;      /* the text given to the agent */
	char *root;             /* NULL: the host's / read-only; else an unpacked root fs */
	char *image;            /* container image reference, or NULL */
	char *build_dir;        /* build context (holds a Dockerfile) of the task's image, or NULL */
	char *workdir;          /* containers: where commands run; NULL: the image's WORKDIR
				 * (image/build tasks) or /work */
	char **env;             /* [environment.env] as NAME=value: every command */
	int n_env;
	char **verifier_env;    /* [verifier.env]: the test command only */
	int n_verifier_env;
	char **solution_env;    /* [solution.env]: the oracle's solution only */
	int n_solution_env;
	int storage_mb, tmp_mb; /* storage (containers, 0: not given), /tmp size (MiB) */
	char *files_dir;        /* copied into /work before setup, or NULL */
	char *setup_path;       /* run before the agent, or NULL */
	char *tests_dir;        /* hidden tests, copied to /tests after the agent stops */
	char *test_command;
	um_verdict verdict;
	char *solution_path;    /* reference solution, or NULL */
	char *solution;         /* its text (for the simulator and oracle mode), or NULL */
	int agent_timeout_s, verifier_timeout_s;
	int memory_mb, cpus, pids;
	int network;            /* 1: network allowed */
	char *unsupported;      /* why it cannot run here, or NULL */
	char sha256[65];        /* of the task's files (instruction, setup, files, tests, solution) */
	um_swe_task *swe;       /* kind "swe" only */
} um_task;

typedef struct um_dataset_spec {
	um_data_format format;
	char *path;         /* resolved against the suite file's directory; NULL for inline */
	char *member;       /* path inside an archive; NULL when path is the data file */
	char *passphrase;   /* zip passphrase, literal (published ones, e.g. GPQA) */
	char *passphrase_env; /* or: read from this environment variable */
	char *sha256;       /* pin of the data file's bytes (member bytes for archives); NULL = unpinned */
	/* column / field names (defaults: GPQA's CSV header names) */
	char *f_id, *f_question, *f_correct, *f_category, *f_subcategory;
	char *f_incorrect[UM_MAX_CHOICES - 1];
	int n_incorrect;
	int skip_images;    /* hle: `images: skip` leaves records with an image out */
	char *f_image;      /* column / key naming the item's image file(s), or NULL: none */
	char *tests;        /* livecodebench-pro: the directory of the problems' test
			     * directories (resolved), else NULL */
	char *testlib;      /* livecodebench-pro: the directory holding testlib.h, or NULL */
	int yml_line;       /* where `dataset:` is, for messages */
} um_dataset_spec;

/* Tasks converted from a benchmark's release at run time (suite key
 * `import`, kinds terminal and swe; docs/suite.md): the suite lists no tasks
 * and reads them from the suite file the conversion writes in `into`. */
typedef struct um_suite_import {
	char *format;           /* "terminal-bench" | "swe-bench-pro"; NULL: no import */
	char *source;           /* what the user supplies, resolved against the suite file */
	char *into;             /* the directory the conversion writes, resolved */
	char *scripts;          /* swe-bench-pro: a checkout of its repository (the official
				 * run scripts), resolved, or NULL */
	char sha256[65];        /* pin of the converted tasks (dataset_sha256), or "" */
} um_suite_import;

#define UM_SUITE_IMPORT_FILE "suite.yaml" /* what a conversion writes in `into` */

typedef struct um_suite {
	char *path;         /* as given */
	char *name;
	char *version;
	char *kind;         /* "mcq", "terminal", "swe", "code", "judged" or "scicode" */
	char *description;
	char **categories;  /* declared; every item's category must be one */
	int n_categories;
	char *scaffold_path; /* resolved against the suite file; may be overridden */
	int repeats;        /* samples per item per system (default 1) */
	uint64_t seed;      /* choice shuffling seed (recorded with the run) */
	int shuffle;        /* 1: shuffle choices per item and sample */
	um_dataset_spec dataset;
	um_claim *claims;
	int n_claims;
	um_item *items;
	size_t n_items;
	um_task *tasks;             /* kinds "terminal" and "swe" */
	size_t n_tasks;
	um_swe_rules swe;           /* kind "swe" */
	um_code_rules code;         /* kind "code" */
	um_judged_rules judged;     /* kind "judged" */
	um_sci_rules sci;           /* kind "scicode" */
	um_suite_import import;     /* kinds "terminal" and "swe" */
	char sha256[65];          /* of the suite file bytes */
	char dataset_sha256[65];  /* of the dataset bytes actually read ("" inline) */
	char *text;               /* the suite file's bytes (for the store) */
} um_suite;

/* Load, validate, read the dataset and check the pin. Caller frees with
 * suite_free. Errors: UM_ERR_SYNTAX / UM_ERR_INVALID (file:line:col),
 * UM_ERR_IO, UM_ERR_ARCHIVE, UM_ERR_PIN. */
int suite_load(const char *path, um_suite **out, um_error *err);
void suite_free(um_suite *s);

/* The `import` block of the suite file at path, checked as suite_load checks
 * it, without converting or loading anything: 1 with imp filled (release it
 * with suite_import_release), 0 when the suite has none, -1 with err. */
int suite_import_read(const char *path, um_suite_import *imp, um_error *err);
void suite_import_release(um_suite_import *imp);

/* Kind code: keep the items dated from..to (YYYY-MM-DD, inclusive; NULL or
 * "" leaves that side as the suite says). The window then in force is in
 * s->code. Errors: UM_ERR_USAGE for a malformed date, UM_ERR_INVALID when
 * no item is left. */
int suite_code_window(um_suite *s, const char *from, const char *to, um_error *err);

/* Index of the category in s->categories, or -1. */
int suite_category_index(const um_suite *s, const char *category);

#endif
