/*
 * bundle.h - audit bundles: a deterministic tar.zst of named members (libarchive)
 * with a MANIFEST of their sha256s, and the safe reading of such a bundle.
 *
 * Writing: members sorted by name, regular files only, mode 0644, uid/gid 0,
 * mtime from SOURCE_DATE_EPOCH (else 0), so the same members give the same
 * bytes. Reading: only regular files with plain relative names are accepted;
 * an absolute path, a ".." component, a link, a device, a duplicate name or a
 * member over the size limit makes the whole bundle unsafe and it is refused
 * before anything is used. Every member is hashed as it is read; one member
 * (the store, which grows with the run) can be written straight to a file
 * instead of memory, so reading a bundle holds only its small members.
 */
#ifndef UMPIRE_BUNDLE_H
#define UMPIRE_BUNDLE_H

#include <stddef.h>

#include "base/error.h"

#define UM_BUNDLE_MAX_MEMBER ((size_t)2 << 30)

typedef struct um_member {
	char *name;
	char *data;   /* NUL-terminated copy (len excludes the NUL); NULL when spilled */
	size_t len;
	char *path;   /* the file a spilled member was written to, else NULL */
	char sha256[65]; /* taken as the member was read (bundle_read), else "" */
} um_member;

int bundle_write(const char *path, const um_member *m, size_t n, um_error *err);
/* Caller frees with bundle_members_free. */
int bundle_read(const char *path, um_member **m, size_t *n, um_error *err);
/* bundle_read, except that the member named spill (when there is one) is
 * written to spill_path (created with mode 0600; it must not exist) as it is
 * read: its data is NULL and its path spill_path. The caller removes
 * spill_path, also when reading fails. */
int bundle_read_spill(const char *path, const char *spill, const char *spill_path,
		      um_member **m, size_t *n, um_error *err);
void bundle_members_free(um_member *m, size_t n);
const um_member *bundle_find(const um_member *m, size_t n, const char *name);

/* MANIFEST text: "umpire-bundle 1\nrun RUN\n" then "sha256  size  name" per
 * member (sorted by name; MANIFEST itself and its signature excluded).
 * Caller frees. */
char *bundle_manifest(const um_member *m, size_t n, const char *run_id);
/* Check members against a MANIFEST: every listed member present with the
 * listed size and sha256 (the one taken at reading, when there is one), and no member that is not listed (except MANIFEST,
 * MANIFEST.minisig and signer.pub). *run_id receives the run (caller frees).
 * The message names the first offending member and both hashes. */
int bundle_manifest_check(const char *manifest, const um_member *m, size_t n, char **run_id,
			  um_error *err);
struct um_store;
/* Copy one run of the store into a new SQLite file at path (which must not
 * exist): other runs, their calls and unreferenced request bodies are
 * removed. Unless include_data, item texts and request bodies are replaced
 * by their sha256 ("sha256:<hex>"), so a licensed dataset does not travel;
 * grading needs only the correct index, the permutation and the answers. */
int bundle_export_store(struct um_store *st, const char *run_id, const char *path,
			int include_data, um_error *err);


#endif
