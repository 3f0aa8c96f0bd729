/*
 * dataset.c - the items of a suite, read from a CSV or JSONL file that may
 * sit inside an archive.
 *
 * Reading: a plain file, or one member of an archive opened with libarchive
 * (every filter and format it knows, so zip, tar, tar.gz and tar.zst are
 * told apart by their content, not their names). Zip passphrases are handed
 * to libarchive before the archive is opened. Only the named member is read;
 * nothing is extracted to disk. Sizes are capped at UM_DATASET_MAX_BYTES.
 *
 * Pinning: the sha256 is taken over exactly the bytes read (the member's
 * bytes for an archive) and compared with the suite's pin before parsing,
 * so a changed dataset stops a run before any model is called.
 *
 * Parsing: CSV is RFC 4180, written by hand because no library here does it
 * (quoted fields, doubled quotes, newlines inside quotes, CRLF or LF, a
 * UTF-8 byte order mark skipped). JSONL is one object per line through
 * jansson. Both are checked as UTF-8 first (requests are JSON), and every
 * error names the data and its line.
 */
#include "load/dataset.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/util.h"
#include "load/codeset.h"
#include "load/sciset.h"
#include "load/lcbpro.h"
#include "load/judged.h"

/* Names listed when a member is missing. */
#define LIST_NAMES 8

static const char *const gpqa_incorrect[] = {
	"Incorrect Answer 1",
	"Incorrect Answer 2",
	"Incorrect Answer 3",
};

/* ---- spec helpers ---------------------------------------------------- */

void dataset_spec_defaults(um_dataset_spec *spec)
{
	size_t i;

	if (!spec->f_id)
		spec->f_id = um_xstrdup("Record ID");
	if (!spec->f_question)
		spec->f_question = um_xstrdup("Question");
	if (!spec->f_correct)
		spec->f_correct = um_xstrdup("Correct Answer");
	if (!spec->f_category)
		spec->f_category = um_xstrdup("High-level domain");
	if (!spec->f_subcategory)
		spec->f_subcategory = um_xstrdup("Subdomain");
	if (spec->n_incorrect == 0) {
		for (i = 0; i < UM_ARRAY_LEN(gpqa_incorrect); i++)
			spec->f_incorrect[i] = um_xstrdup(gpqa_incorrect[i]);
		spec->n_incorrect = (int)UM_ARRAY_LEN(gpqa_incorrect);
	}
}

void dataset_spec_release(um_dataset_spec *spec)
{
	int i;

	if (!spec)
		return;
	free(spec->path);
	free(spec->member);
	free(spec->passphrase);
	free(spec->passphrase_env);
	free(spec->sha256);
	free(spec->f_id);
	free(spec->f_question);
	free(spec->f_correct);
	free(spec->f_category);
	free(spec->f_subcategory);
	free(spec->f_image);
	free(spec->tests);
	free(spec->testlib);
	for (i = 0; i < spec->n_incorrect && i < UM_MAX_CHOICES - 1; i++)
		free(spec->f_incorrect[i]);
	memset(spec, 0, sizeof(*spec));
}

char *dataset_source_name(const um_dataset_spec *spec)
{
	if (!spec->path)
		return um_xstrdup("inline items");
	if (spec->member)
		return um_xasprintf("%s:%s", spec->path, spec->member);
	return um_xstrdup(spec->path);
}

void dataset_item_release(um_item *it)
{
	int i;

	if (!it)
		return;
	free(it->id);
	free(it->category);
	free(it->subcategory);
	free(it->question);
	for (i = 0; i < it->n_choices; i++)
		free(it->choices[i]);
	codeset_item_free(it->code);
	sciset_item_free(it->sci);
	for (i = 0; i < it->n_images; i++)
		image_release(&it->images[i]);
	free(it->images);
	free(it->answer);
	free(it->messages);
	free(it->grader);
	free(it->prefix);
	free(it->answer_type);
	memset(it, 0, sizeof(*it));
}

int dataset_item_images(um_item *it, const char *base_file, const char *const *refs, size_t n,
			um_error *err)
{
	size_t i;

	if (n > UM_IMAGE_MAX_PER_ITEM)
		return um_fail(err, UM_ERR_INVALID, "item %s: %zu images, at most %d are allowed",
			       it->id, n, UM_IMAGE_MAX_PER_ITEM);
	if (n == 0)
		return 0;
	it->images = um_xcalloc(n, sizeof(*it->images));
	for (i = 0; i < n; i++) {
		char *path;
		int rc;

		if (!refs[i][0])
			return um_fail(err, UM_ERR_INVALID, "item %s: an image path is empty",
				       it->id);
		path = um_path_relative_to(base_file, refs[i]);
		rc = image_check(path, &it->images[i], err);
		free(path);
		if (rc < 0)
			return um_error_prefix(err, "item %s", it->id);
		it->n_images++;
	}
	return 0;
}

void dataset_items_free(um_item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dataset_item_release(&items[i]);
	free(items);
}

/* ---- reading bytes --------------------------------------------------- */

/* A name for the archive kind when the first bytes announce one, else NULL.
 * Used to tell a user who forgot `member:` what they pointed at. */
static const char *sniff_archive(const unsigned char *p, size_t n)
{
	if (n >= 4 && p[0] == 'P' && p[1] == 'K' && p[2] == 3 && p[3] == 4)
		return "zip";
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return "gzip";
	if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return "zstd";
	if (n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0)
		return "xz";
	if (n >= 6 && memcmp(p, "7z\xbc\xaf\x27\x1c", 6) == 0)
		return "7z";
	/* POSIX "ustar\0" or GNU "ustar  \0": text never holds the NUL */
	if (n >= 265 && memcmp(p + 257, "ustar", 5) == 0 &&
	    (p[262] == '\0' || memcmp(p + 262, "  \0", 3) == 0))
		return "tar";
	return NULL;
}

static int read_plain(const char *path, char **data, size_t *len, um_error *err)
{
	struct stat st;
	um_buf b;
	char chunk[65536];
	const char *kind;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return um_fail(err, UM_ERR_IO, "dataset %s: cannot open: %s", path,
			       strerror(errno));
	if (fstat(fd, &st) < 0) {
		um_fail(err, UM_ERR_IO, "dataset %s: cannot stat: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return um_fail(err, UM_ERR_IO, "dataset %s: is a directory", path);
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > UM_DATASET_MAX_BYTES) {
		close(fd);
		return um_fail(err, UM_ERR_IO, "dataset %s: %lld bytes is over the limit of %zu",
			       path, (long long)st.st_size, UM_DATASET_MAX_BYTES);
	}
	um_buf_init(&b, UM_DATASET_MAX_BYTES);
	for (;;) {
		ssize_t got = read(fd, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			um_fail(err, UM_ERR_IO, "dataset %s: read error: %s", path,
				strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		if (um_buf_append(&b, chunk, (size_t)got) < 0) {
			um_fail(err, UM_ERR_IO, "dataset %s: over the limit of %zu bytes", path,
				UM_DATASET_MAX_BYTES);
			goto fail;
		}
	}
	close(fd);
	kind = sniff_archive((const unsigned char *)um_buf_str(&b), b.len);
	if (kind) {
		um_buf_release(&b);
		return um_fail(err, UM_ERR_ARCHIVE,
			       "dataset %s: is a %s archive; name the data file inside it "
			       "with dataset.member", path, kind);
	}
	*len = b.len;
	*data = um_buf_detach(&b);
	return 0;
fail:
	close(fd);
	um_buf_release(&b);
	return -1;
}

/* "./a/b" and "a/b" name the same member. */
static const char *member_norm(const char *s)
{
	while (s[0] == '.' && s[1] == '/')
		s += 2;
	while (s[0] == '/')
		s++;
	return s;
}

static int read_entry(struct archive *a, struct archive_entry *e, const um_dataset_spec *spec,
		      const char *pass, char **data, size_t *len, um_error *err)
{
	const char *path = spec->path, *member = spec->member;
	int encrypted = archive_entry_is_data_encrypted(e) > 0;
	char chunk[65536];
	um_buf b;

	if (archive_entry_filetype(e) != AE_IFREG)
		return um_fail(err, UM_ERR_ARCHIVE, "dataset %s: member %s is not a regular file",
			       path, member);
	if (archive_entry_size_is_set(e) &&
	    (uint64_t)archive_entry_size(e) > UM_DATASET_MAX_BYTES)
		return um_fail(err, UM_ERR_ARCHIVE,
			       "dataset %s: member %s is %lld bytes, over the limit of %zu", path,
			       member, (long long)archive_entry_size(e), UM_DATASET_MAX_BYTES);
	if (encrypted && !pass)
		return um_fail(err, UM_ERR_ARCHIVE,
			       "dataset %s: member %s is encrypted; give dataset.passphrase or "
			       "dataset.passphrase_env", path, member);
	um_buf_init(&b, UM_DATASET_MAX_BYTES);
	for (;;) {
		la_ssize_t got = archive_read_data(a, chunk, sizeof(chunk));
		if (got == 0)
			break;
		if (got < 0) {
			if (encrypted)
				um_fail(err, UM_ERR_ARCHIVE,
					"dataset %s: cannot decrypt member %s: wrong passphrase "
					"(%s)", path, member, archive_error_string(a));
			else
				um_fail(err, UM_ERR_ARCHIVE,
					"dataset %s: cannot read member %s: %s", path, member,
					archive_error_string(a));
			um_buf_release(&b);
			return -1;
		}
		if (um_buf_append(&b, chunk, (size_t)got) < 0) {
			um_buf_release(&b);
			return um_fail(err, UM_ERR_ARCHIVE,
				       "dataset %s: member %s is over the limit of %zu bytes", path,
				       member, UM_DATASET_MAX_BYTES);
		}
	}
	*len = b.len;
	*data = um_buf_detach(&b);
	return 0;
}

static int read_member(const um_dataset_spec *spec, char **data, size_t *len, um_error *err)
{
	const char *path = spec->path, *want = member_norm(spec->member);
	const char *pass = spec->passphrase;
	struct archive *a;
	struct archive_entry *e;
	struct stat st;
	um_buf names;
	size_t count = 0;
	int rc = -1, r;

	if (spec->passphrase_env) {
		pass = getenv(spec->passphrase_env);
		if (!pass || !*pass)
			return um_fail(err, UM_ERR_ARCHIVE,
				       "dataset %s: the passphrase variable %s (passphrase_env) "
				       "is not set", path, spec->passphrase_env);
	}
	if (stat(path, &st) < 0)
		return um_fail(err, UM_ERR_IO, "dataset %s: cannot open: %s", path,
			       strerror(errno));
	if (S_ISDIR(st.st_mode))
		return um_fail(err, UM_ERR_IO, "dataset %s: is a directory", path);

	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (pass && archive_read_add_passphrase(a, pass) != ARCHIVE_OK) {
		um_fail(err, UM_ERR_ARCHIVE, "dataset %s: %s", path, archive_error_string(a));
		archive_read_free(a);
		return -1;
	}
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		um_fail(err, UM_ERR_ARCHIVE, "dataset %s: not an archive libarchive can read (%s)",
			path, archive_error_string(a));
		archive_read_free(a);
		return -1;
	}
	um_buf_init(&names, 4096);
	for (;;) {
		const char *name;

		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			if (count == 0)
				um_fail(err, UM_ERR_ARCHIVE,
					"dataset %s: not an archive libarchive can read (%s)", path,
					archive_error_string(a));
			else
				um_fail(err, UM_ERR_ARCHIVE, "dataset %s: damaged archive: %s",
					path, archive_error_string(a));
			goto out;
		}
		name = archive_entry_pathname(e);
		if (!name)
			name = archive_entry_pathname_utf8(e);
		if (!name)
			name = "";
		if (strcmp(member_norm(name), want) == 0) {
			rc = read_entry(a, e, spec, pass, data, len, err);
			goto out;
		}
		if (count < LIST_NAMES)
			um_buf_printf(&names, "%s%s", count ? ", " : "", name);
		count++;
	}
	if (count == 0)
		um_fail(err, UM_ERR_ARCHIVE,
			"dataset %s: no member %s: the archive holds nothing (is it an archive?)",
			path, spec->member);
	else
		um_fail(err, UM_ERR_ARCHIVE,
			"dataset %s: no member %s; the archive holds %zu entr%s: %s%s", path,
			spec->member, count, count == 1 ? "y" : "ies", um_buf_str(&names),
			count > LIST_NAMES ? ", ..." : "");
out:
	um_buf_release(&names);
	archive_read_free(a);
	return rc;
}

int dataset_read_bytes(const um_dataset_spec *spec, char **data, size_t *len, um_error *err)
{
	if (!spec->path)
		return um_fail(err, UM_ERR_INVALID, "dataset: no path to read (inline items)");
	if (spec->member)
		return read_member(spec, data, len, err);
	return read_plain(spec->path, data, len, err);
}

/* ---- building items -------------------------------------------------- */

/* Items being appended, with the line each record starts on. */
typedef struct item_sink {
	um_item *items;
	size_t n, cap;
	int *lines;
	size_t lcap;
} item_sink;

static void sink_push(item_sink *s, um_item *it, int line)
{
	um_xgrow((void **)&s->items, &s->cap, s->n + 1, sizeof(*s->items));
	um_xgrow((void **)&s->lines, &s->lcap, s->n + 1, sizeof(*s->lines));
	s->items[s->n] = *it;
	s->lines[s->n] = line;
	s->n++;
}

static const char *fname(const char *v, const char *def)
{
	return v ? v : def;
}

static int is_blank(const char *s)
{
	if (!s)
		return 1;
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 0;
	return 1;
}

static int is_blank_n(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static char *dup_trimmed(const char *s)
{
	return s ? um_trim(um_xstrdup(s)) : NULL;
}

/* The text of one record before it becomes an item. */
typedef struct raw_item {
	const char *id, *question, *correct, *category, *subcategory;
	const char *incorrect[UM_MAX_CHOICES + 1];
	int n_incorrect;
	int too_many; /* more incorrect answers than UM_MAX_CHOICES allows */
	const char *images[UM_IMAGE_MAX_PER_ITEM + 1]; /* file names, relative to the data file */
	size_t n_images;
} raw_item;

static int item_build(const char *source, int line, size_t row, const raw_item *r,
		      const um_dataset_spec *spec, um_item *out, um_error *err)
{
	um_item it;
	int i;

	memset(&it, 0, sizeof(it));
	if (!is_blank(r->id))
		it.id = dup_trimmed(r->id);
	else
		it.id = um_xasprintf("row-%zu", row);
	if (is_blank(r->question)) {
		um_fail_at(err, UM_ERR_INVALID, source, line, 0, "item %s: empty question (%s)",
			   it.id, fname(spec->f_question, "Question"));
		goto fail;
	}
	if (is_blank(r->correct)) {
		um_fail_at(err, UM_ERR_INVALID, source, line, 0,
			   "item %s: empty correct answer (%s)", it.id,
			   fname(spec->f_correct, "Correct Answer"));
		goto fail;
	}
	if (is_blank(r->category)) {
		um_fail_at(err, UM_ERR_INVALID, source, line, 0, "item %s: empty category (%s)",
			   it.id, fname(spec->f_category, "High-level domain"));
		goto fail;
	}
	if (r->too_many) {
		um_fail_at(err, UM_ERR_INVALID, source, line, 0,
			   "item %s: more than %d choices", it.id, UM_MAX_CHOICES);
		goto fail;
	}
	it.question = dup_trimmed(r->question);
	it.category = dup_trimmed(r->category);
	if (!is_blank(r->subcategory))
		it.subcategory = dup_trimmed(r->subcategory);
	it.choices[it.n_choices++] = dup_trimmed(r->correct);
	it.correct = 0;
	for (i = 0; i < r->n_incorrect; i++) {
		if (is_blank(r->incorrect[i]))
			continue;
		if (it.n_choices >= UM_MAX_CHOICES) {
			um_fail_at(err, UM_ERR_INVALID, source, line, 0,
				   "item %s: more than %d choices", it.id, UM_MAX_CHOICES);
			goto fail;
		}
		it.choices[it.n_choices++] = dup_trimmed(r->incorrect[i]);
	}
	if (it.n_choices < 2) {
		um_fail_at(err, UM_ERR_INVALID, source, line, 0,
			   "item %s: only %d choice (at least 2 are needed; empty incorrect "
			   "answers are skipped)", it.id, it.n_choices);
		goto fail;
	}
	if (dataset_item_images(&it, spec->path, r->images, r->n_images, err) < 0) {
		um_error_prefix(err, "%s:%d", source, line);
		goto fail;
	}
	*out = it;
	return 0;
fail:
	dataset_item_release(&it);
	return -1;
}

/* Reject NUL bytes and malformed UTF-8, naming line and column (bytes). */
static int utf8_check(const char *source, const char *data, size_t len, um_error *err)
{
	const unsigned char *s = (const unsigned char *)data;
	size_t i = 0, line_start = 0;
	int line = 1;

	while (i < len) {
		unsigned c = s[i];
		size_t k, n;
		unsigned lo = 0x80, hi = 0xbf;

		if (c == 0)
			return um_fail_at(err, UM_ERR_SYNTAX, source, line,
					  (int)(i - line_start + 1), "NUL byte in text data");
		if (c < 0x80) {
			if (c == '\n') {
				line++;
				line_start = i + 1;
			}
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			goto bad;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		if (i + n >= len)
			goto bad;
		for (k = 1; k <= n; k++) {
			unsigned d = s[i + k];
			if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xbf))
				goto bad;
		}
		i += n + 1;
		continue;
bad:
		return um_fail_at(err, UM_ERR_SYNTAX, source, line, (int)(i - line_start + 1),
				  "not valid UTF-8 (byte 0x%02x); the data must be UTF-8", c);
	}
	return 0;
}

static size_t skip_bom(const char *data, size_t len)
{
	return len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

/* ---- CSV ------------------------------------------------------------- */

typedef struct csv_reader {
	const char *p, *end;
	const char *line_start;
	int line;
	const char *source;
} csv_reader;

typedef struct csv_row {
	char **f;
	size_t n, cap;
	int line; /* where the record starts */
} csv_row;

static void row_clear(csv_row *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->f[i]);
	r->n = 0;
}

static void row_release(csv_row *r)
{
	row_clear(r);
	free(r->f);
	r->f = NULL;
	r->cap = 0;
}

/* An end of line at p: LF, or CR followed by LF or by the end of the data. */
static int csv_eol(const csv_reader *c, const char *p)
{
	return *p == '\n' || (*p == '\r' && (p + 1 == c->end || p[1] == '\n'));
}

static void csv_newline(csv_reader *c)
{
	if (*c->p == '\r')
		c->p++;
	if (c->p < c->end)
		c->p++; /* the LF */
	c->line++;
	c->line_start = c->p;
}

static int csv_col(const csv_reader *c, const char *p)
{
	return (int)(p - c->line_start + 1);
}

/* Next record into r. 1: a record; 0: end of data; -1: error. Lines that
 * hold nothing at all (outside quotes) are skipped. */
static int csv_next(csv_reader *c, csv_row *r, um_error *err)
{
	um_buf field;

	row_clear(r);
	while (c->p < c->end && csv_eol(c, c->p))
		csv_newline(c);
	if (c->p >= c->end)
		return 0;
	r->line = c->line;
	um_buf_init(&field, 0);
	for (;;) {
		um_buf_reset(&field);
		if (c->p < c->end && *c->p == '"') {
			int qline = c->line, qcol = csv_col(c, c->p);

			c->p++;
			for (;;) {
				if (c->p >= c->end) {
					um_buf_release(&field);
					return um_fail_at(err, UM_ERR_SYNTAX, c->source, qline,
							  qcol, "quoted field is never closed");
				}
				if (*c->p == '"') {
					if (c->p + 1 < c->end && c->p[1] == '"') {
						um_buf_putc(&field, '"');
						c->p += 2;
						continue;
					}
					c->p++;
					break;
				}
				if (*c->p == '\n') {
					c->line++;
					c->line_start = c->p + 1;
				}
				um_buf_putc(&field, *c->p);
				c->p++;
			}
			if (c->p < c->end && *c->p != ',' && !csv_eol(c, c->p)) {
				int col = csv_col(c, c->p);
				um_buf_release(&field);
				return um_fail_at(err, UM_ERR_SYNTAX, c->source, c->line, col,
						  "text after the closing quote of a field (a "
						  "quote inside quotes is written \"\")");
			}
		} else {
			const char *s = c->p;
			while (c->p < c->end && *c->p != ',' && !csv_eol(c, c->p))
				c->p++;
			um_buf_append(&field, s, (size_t)(c->p - s));
		}
		um_xgrow((void **)&r->f, &r->cap, r->n + 1, sizeof(*r->f));
		r->f[r->n++] = um_buf_detach(&field);
		if (c->p >= c->end)
			break;
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		csv_newline(c);
		break;
	}
	um_buf_release(&field);
	return 1;
}

/* Index of the column called name, or -1. */
static int csv_column(const csv_row *hdr, const char *name)
{
	size_t i;

	for (i = 0; i < hdr->n; i++)
		if (strcmp(hdr->f[i], name) == 0)
			return (int)i;
	return -1;
}

static int csv_need_column(const char *source, const csv_row *hdr, const char *name,
			   const char *field, int *out, um_error *err)
{
	um_buf cols;
	size_t i;

	*out = csv_column(hdr, name);
	if (*out >= 0)
		return 0;
	um_buf_init(&cols, 1024);
	for (i = 0; i < hdr->n; i++)
		um_buf_printf(&cols, "%s\"%s\"", i ? ", " : "", hdr->f[i]);
	um_fail_at(err, UM_ERR_INVALID, source, hdr->line, 0,
		   "no column \"%s\" (dataset.fields.%s); the header has: %s%s", name, field,
		   um_buf_str(&cols), cols.overflow ? ", ..." : "");
	um_buf_release(&cols);
	return -1;
}

static int parse_csv(const um_dataset_spec *spec, const char *source, const char *data,
		     size_t len, item_sink *sink, um_error *err)
{
	csv_reader c;
	csv_row hdr = {0}, row = {0};
	int c_id, c_q, c_correct, c_cat, c_sub, c_img = -1, c_inc[UM_MAX_CHOICES];
	int i, r, rc = -1;
	size_t rowno = 0;

	if (utf8_check(source, data, len, err) < 0)
		return -1;
	c.p = data + skip_bom(data, len);
	c.end = data + len;
	c.line_start = c.p;
	c.line = 1;
	c.source = source;

	r = csv_next(&c, &hdr, err);
	if (r < 0)
		goto out;
	if (r == 0) {
		um_fail_at(err, UM_ERR_INVALID, source, 0, 0, "empty CSV: no header row");
		goto out;
	}
	for (i = 0; i < (int)hdr.n; i++)
		um_trim(hdr.f[i]);
	c_id = csv_column(&hdr, fname(spec->f_id, "Record ID"));
	c_sub = csv_column(&hdr, fname(spec->f_subcategory, "Subdomain"));
	if (csv_need_column(source, &hdr, fname(spec->f_question, "Question"), "question", &c_q,
			    err) < 0 ||
	    csv_need_column(source, &hdr, fname(spec->f_correct, "Correct Answer"), "correct",
			    &c_correct, err) < 0 ||
	    csv_need_column(source, &hdr, fname(spec->f_category, "High-level domain"),
			    "category", &c_cat, err) < 0 ||
	    (spec->f_image &&
	     csv_need_column(source, &hdr, spec->f_image, "image", &c_img, err) < 0))
		goto out;
	if (spec->n_incorrect == 0) {
		for (i = 0; i < (int)UM_ARRAY_LEN(gpqa_incorrect); i++)
			if (csv_need_column(source, &hdr, gpqa_incorrect[i], "incorrect",
					    &c_inc[i], err) < 0)
				goto out;
	} else {
		for (i = 0; i < spec->n_incorrect && i < UM_MAX_CHOICES - 1; i++)
			if (csv_need_column(source, &hdr, spec->f_incorrect[i], "incorrect",
					    &c_inc[i], err) < 0)
				goto out;
	}

	while ((r = csv_next(&c, &row, err)) == 1) {
		raw_item raw;
		um_item it;
		int n_inc = spec->n_incorrect ? spec->n_incorrect
					      : (int)UM_ARRAY_LEN(gpqa_incorrect);

		rowno++;
		if (row.n != hdr.n) {
			um_fail_at(err, UM_ERR_SYNTAX, source, row.line, 0,
				   "row has %zu field%s, the header has %zu", row.n,
				   row.n == 1 ? "" : "s", hdr.n);
			goto out;
		}
		memset(&raw, 0, sizeof(raw));
		raw.id = c_id >= 0 ? row.f[c_id] : NULL;
		raw.question = row.f[c_q];
		raw.correct = row.f[c_correct];
		raw.category = row.f[c_cat];
		raw.subcategory = c_sub >= 0 ? row.f[c_sub] : NULL;
		for (i = 0; i < n_inc && i < UM_MAX_CHOICES - 1; i++)
			raw.incorrect[raw.n_incorrect++] = row.f[c_inc[i]];
		if (c_img >= 0 && !is_blank(um_trim(row.f[c_img])))
			raw.images[raw.n_images++] = row.f[c_img];
		if (item_build(source, row.line, rowno, &raw, spec, &it, err) < 0)
			goto out;
		sink_push(sink, &it, row.line);
	}
	if (r < 0)
		goto out;
	rc = 0;
out:
	row_release(&hdr);
	row_release(&row);
	return rc;
}

/* ---- JSONL ----------------------------------------------------------- */

/* A string field of a JSONL object: string (or integer, for ids), null or
 * absent. Returns 0 with *out NULL when absent, -1 on a wrong type. */
static int jsonl_str(const char *source, int line, json_t *o, const char *key, int allow_int,
		     char **out, um_error *err)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		*out = um_xstrndup(json_string_value(v), json_string_length(v));
		return 0;
	}
	if (allow_int && json_is_integer(v)) {
		*out = um_xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return 0;
	}
	return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
			  "key \"%s\" must be a string", key);
}

/* The image key of a JSONL object: a file name or an array of them. */
static int jsonl_images(const um_dataset_spec *spec, const char *source, int line, json_t *o,
			raw_item *raw, um_error *err)
{
	json_t *v = spec->f_image ? json_object_get(o, spec->f_image) : NULL, *e;
	size_t k;

	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		raw->images[raw->n_images++] = json_string_value(v);
		return 0;
	}
	if (!json_is_array(v))
		return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
				  "key \"%s\" must be an image file name or an array of them",
				  spec->f_image);
	if (json_array_size(v) > UM_IMAGE_MAX_PER_ITEM)
		return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
				  "key \"%s\": %zu images, at most %d are allowed", spec->f_image,
				  json_array_size(v), UM_IMAGE_MAX_PER_ITEM);
	json_array_foreach(v, k, e) {
		if (!json_is_string(e))
			return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
					  "key \"%s\": element %zu is not a string", spec->f_image,
					  k + 1);
		raw->images[raw->n_images++] = json_string_value(e);
	}
	return 0;
}

static int jsonl_object(const um_dataset_spec *spec, const char *source, int line, size_t rowno,
			json_t *o, item_sink *sink, um_error *err)
{
	char *id = NULL, *q = NULL, *correct = NULL, *cat = NULL, *sub = NULL;
	char *inc[UM_MAX_CHOICES + 1];
	int n_inc = 0, i, rc = -1;
	raw_item raw;
	um_item it;
	const char *need[3];

	memset(&raw, 0, sizeof(raw));
	if (jsonl_str(source, line, o, fname(spec->f_id, "Record ID"), 1, &id, err) < 0 ||
	    jsonl_str(source, line, o, fname(spec->f_question, "Question"), 0, &q, err) < 0 ||
	    jsonl_str(source, line, o, fname(spec->f_correct, "Correct Answer"), 0, &correct,
		      err) < 0 ||
	    jsonl_str(source, line, o, fname(spec->f_category, "High-level domain"), 0, &cat,
		      err) < 0 ||
	    jsonl_str(source, line, o, fname(spec->f_subcategory, "Subdomain"), 0, &sub, err) < 0)
		goto out;
	need[0] = q ? NULL : fname(spec->f_question, "Question");
	need[1] = correct ? NULL : fname(spec->f_correct, "Correct Answer");
	need[2] = cat ? NULL : fname(spec->f_category, "High-level domain");
	for (i = 0; i < 3; i++) {
		if (need[i]) {
			um_fail_at(err, UM_ERR_INVALID, source, line, 0, "no key \"%s\"", need[i]);
			goto out;
		}
	}
	for (i = 0; i < (spec->n_incorrect ? spec->n_incorrect : 3); i++) {
		const char *key = spec->n_incorrect ? spec->f_incorrect[i] : gpqa_incorrect[i];
		json_t *v = json_object_get(o, key);
		size_t k;

		if (!v || json_is_null(v))
			continue;
		if (json_is_string(v)) {
			if (n_inc >= UM_MAX_CHOICES) {
				raw.too_many = 1;
				continue;
			}
			inc[n_inc++] = um_xstrndup(json_string_value(v), json_string_length(v));
			continue;
		}
		if (!json_is_array(v)) {
			um_fail_at(err, UM_ERR_INVALID, source, line, 0,
				   "key \"%s\" must be a string or an array of strings", key);
			goto out;
		}
		for (k = 0; k < json_array_size(v); k++) {
			json_t *s = json_array_get(v, k);
			if (!json_is_string(s)) {
				um_fail_at(err, UM_ERR_INVALID, source, line, 0,
					   "key \"%s\": element %zu is not a string", key, k + 1);
				goto out;
			}
			if (n_inc >= UM_MAX_CHOICES) {
				raw.too_many = 1;
				continue;
			}
			inc[n_inc++] = um_xstrndup(json_string_value(s), json_string_length(s));
		}
	}
	if (jsonl_images(spec, source, line, o, &raw, err) < 0)
		goto out;
	raw.id = id;
	raw.question = q;
	raw.correct = correct;
	raw.category = cat;
	raw.subcategory = sub;
	for (i = 0; i < n_inc; i++)
		raw.incorrect[i] = inc[i];
	raw.n_incorrect = n_inc;
	if (item_build(source, line, rowno, &raw, spec, &it, err) < 0)
		goto out;
	sink_push(sink, &it, line);
	rc = 0;
out:
	for (i = 0; i < n_inc; i++)
		free(inc[i]);
	free(id);
	free(q);
	free(correct);
	free(cat);
	free(sub);
	return rc;
}

static int parse_jsonl(const um_dataset_spec *spec, const char *source, const char *data,
		       size_t len, item_sink *sink, um_error *err)
{
	const char *p, *end = data + len;
	int line = 0;
	size_t rowno = 0;

	if (utf8_check(source, data, len, err) < 0)
		return -1;
	for (p = data + skip_bom(data, len); p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		size_t n = (size_t)(e - p);
		json_error_t je;
		json_t *o;
		int rc;

		line++;
		if (n && p[n - 1] == '\r')
			n--;
		if (!is_blank_n(p, n)) {
			rowno++;
			o = json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
			if (!o)
				return um_fail_at(err, UM_ERR_SYNTAX, source, line,
						  je.column > 0 ? je.column : 0, "invalid JSON: %s",
						  je.text);
			if (!json_is_object(o)) {
				json_decref(o);
				return um_fail_at(err, UM_ERR_INVALID, source, line, 0,
						  "expected a JSON object on each line");
			}
			rc = jsonl_object(spec, source, line, rowno, o, sink, err);
			json_decref(o);
			if (rc < 0)
				return -1;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* ---- entry points ---------------------------------------------------- */

static void sink_abort(item_sink *s, size_t keep)
{
	size_t i;

	for (i = keep; i < s->n; i++)
		dataset_item_release(&s->items[i]);
	s->n = keep;
}

typedef int (*parse_fn)(const um_dataset_spec *, const char *, const char *, size_t,
			item_sink *, um_error *);

static int parse_into(parse_fn fn, const um_dataset_spec *spec, const char *source,
		      const char *data, size_t len, um_item **items, size_t *n, um_error *err)
{
	item_sink s = {*items, *n, *n, NULL, 0};
	size_t keep = *n;
	int rc;

	rc = fn(spec, source ? source : "dataset", data, len, &s, err);
	if (rc < 0) {
		sink_abort(&s, keep);
		if (keep == 0) {
			free(s.items);
			s.items = NULL;
		}
	}
	free(s.lines);
	*items = s.items;
	*n = s.n;
	return rc;
}

int dataset_parse_csv(const um_dataset_spec *spec, const char *source, const char *data,
		      size_t len, um_item **items, size_t *n, um_error *err)
{
	return parse_into(parse_csv, spec, source, data, len, items, n, err);
}

int dataset_parse_jsonl(const um_dataset_spec *spec, const char *source, const char *data,
			size_t len, um_item **items, size_t *n, um_error *err)
{
	return parse_into(parse_jsonl, spec, source, data, len, items, n, err);
}

static int hex_digit(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int dataset_load_lines(const um_dataset_spec *spec, um_item **items, size_t *n, int **lines,
		       char sha_out[65], um_error *err)
{
	size_t skipped;

	return dataset_load_items(spec, items, n, lines, &skipped, sha_out, err);
}

int dataset_load_items(const um_dataset_spec *spec, um_item **items, size_t *n, int **lines,
		       size_t *skipped, char sha_out[65], um_error *err)
{
	item_sink s = {NULL, 0, 0, NULL, 0};
	char *data = NULL, *source;
	size_t len = 0;
	int rc;

	*items = NULL;
	*n = 0;
	*skipped = 0;
	if (lines)
		*lines = NULL;
	sha_out[0] = '\0';
	if (spec->format == UM_DATA_INLINE)
		return 0;
	if (spec->sha256) {
		size_t i;
		for (i = 0; spec->sha256[i]; i++)
			if (!hex_digit((unsigned char)spec->sha256[i]))
				break;
		if (i != 64 || spec->sha256[i])
			return um_fail(err, UM_ERR_INVALID,
				       "dataset sha256 pin \"%s\" is not 64 hex digits",
				       spec->sha256);
	}
	if (dataset_read_bytes(spec, &data, &len, err) < 0)
		return -1;
	um_sha256_hex(data, len, sha_out);
	source = dataset_source_name(spec);
	if (spec->sha256 && spec->format != UM_DATA_LCBPRO &&
	    strcasecmp(spec->sha256, sha_out) != 0) {
		um_fail(err, UM_ERR_PIN, "dataset %s: sha256 mismatch: pinned %s, got %s", source,
			spec->sha256, sha_out);
		rc = -1;
	} else if (spec->format == UM_DATA_LIVECODEBENCH) {
		rc = codeset_parse_lcb(source, data, len, &s.items, &s.n, &s.lines, err);
	} else if (spec->format == UM_DATA_SCICODE) {
		rc = sciset_parse(source, data, len, &s.items, &s.n, &s.lines, err);
	} else if (spec->format == UM_DATA_LCBPRO) {
		rc = lcbpro_parse(source, data, len, spec->tests, &s.items, &s.n, &s.lines, err);
		/* the pin covers the tests too: they are where the verdicts come from */
		if (rc == 0 && lcbpro_hash(sha_out, s.items, s.n, spec->testlib, sha_out, err) < 0)
			rc = -1;
		if (rc == 0 && spec->sha256 && strcasecmp(spec->sha256, sha_out) != 0)
			rc = um_fail(err, UM_ERR_PIN,
				     "dataset %s with its tests (%s): sha256 mismatch: pinned %s, "
				     "got %s", source, spec->tests, spec->sha256, sha_out);
	} else if (spec->format == UM_DATA_HLE) {
		rc = judged_parse_hle(source, data, len, spec->skip_images, &s.items, &s.n,
				      &s.lines, skipped, err);
	} else if (spec->format == UM_DATA_MRCR) {
		rc = judged_parse_mrcr(source, data, len, &s.items, &s.n, &s.lines, err);
	} else if (spec->format == UM_DATA_CHARXIV) {
		rc = judged_parse_charxiv(source, spec->path, data, len, &s.items, &s.n, &s.lines,
					  err);
	} else if (spec->format == UM_DATA_GRAPHWALKS) {
		rc = judged_parse_graphwalks(source, data, len, &s.items, &s.n, &s.lines, err);
	} else if (spec->format == UM_DATA_CSV) {
		rc = parse_csv(spec, source, data, len, &s, err);
	} else {
		rc = parse_jsonl(spec, source, data, len, &s, err);
	}
	if (rc < 0) {
		sink_abort(&s, 0);
		free(s.items);
		free(s.lines);
	} else {
		*items = s.items;
		*n = s.n;
		if (lines)
			*lines = s.lines;
		else
			free(s.lines);
	}
	free(source);
	free(data);
	return rc;
}

int dataset_load(const um_dataset_spec *spec, um_item **items, size_t *n, char sha_out[65],
		 um_error *err)
{
	return dataset_load_lines(spec, items, n, NULL, sha_out, err);
}
