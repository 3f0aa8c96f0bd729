/*
 * task.h - terminal tasks of a suite (kind "terminal"): parsing the `tasks:`
 * list, resolving and checking each task's directory, and hashing its files
 * so a run records exactly which task contents it used. Format: docs/terminal.md.
 */
#ifndef UMPIRE_TASK_H
#define UMPIRE_TASK_H

#include "base/error.h"
#include "load/suite.h"
#include "load/yml.h"

/* Parse root["tasks"] of d (the suite file, or the file an import wrote)
 * into s->tasks, each `dir:` relative to the file base; sets
 * s->dataset_sha256 to the hash of every task's id and file hash. Errors
 * carry file:line:col. */
int task_parse_all(const yml_doc *d, const yml_node *root, um_suite *s, const char *base,
		   um_error *err);
void task_release(um_task *t);

/* sha256 over a directory tree: sorted relative paths, modes and contents
 * (symlinks by their target text). */
int task_hash_dir(const char *dir, char out[65], um_error *err);

const char *task_verdict_name(um_verdict v);

/* The pytest verdict of a terminal task: the -rA summary has at least one
 * "PASSED " line and no "FAILED " or "ERROR " line. */
int task_pytest_passed(const char *out);

#endif
