/*
 * test_dataset.c - dataset.c: CSV and JSONL parsing, archives (zip with a
 * passphrase, tar, tar.gz, tar.zst) written here with libarchive's writer,
 * sha256 pins, size limits, and garbage of every kind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load/dataset.h"
#include "base/util.h"

static char tmpdir[256];

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/umpire-dataset-XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Caller frees. */
static char *tpath(const char *name)
{
	return um_xasprintf("%s/%s", tmpdir, name);
}

static char *write_tmp(const char *name, const void *data, size_t len)
{
	char *p = tpath(name);
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return p;
}

typedef struct entry {
	const char *name;
	const char *data; /* NULL: a directory */
} entry;

/* Write an archive: kind is "zip", "tar", "tar.gz" or "tar.zst"; pass
 * encrypts zip entries with traditional PKWARE encryption. */
static char *make_archive(const char *name, const char *kind, const char *pass,
			  const entry *ents, size_t n)
{
	struct archive *a = archive_write_new();
	char *p = tpath(name);
	size_t i;

	if (strcmp(kind, "zip") == 0) {
		assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
		if (pass) {
			assert_int_equal(archive_write_set_options(a, "zip:encryption=zipcrypt"),
					 ARCHIVE_OK);
			assert_int_equal(archive_write_set_passphrase(a, pass), ARCHIVE_OK);
		}
	} else {
		assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
		if (strcmp(kind, "tar.gz") == 0)
			assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
		else if (strcmp(kind, "tar.zst") == 0)
			assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
	}
	assert_int_equal(archive_write_open_filename(a, p), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, ents[i].name);
		archive_entry_set_mtime(e, 1700000000, 0);
		if (ents[i].data) {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_size(e, (la_int64_t)strlen(ents[i].data));
		} else {
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
		}
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (ents[i].data)
			assert_int_equal(archive_write_data(a, ents[i].data, strlen(ents[i].data)),
					 (la_ssize_t)strlen(ents[i].data));
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return p;
}

static void spec_init(um_dataset_spec *s, um_data_format fmt, const char *path,
		      const char *member)
{
	memset(s, 0, sizeof(*s));
	s->format = fmt;
	s->path = um_xstrdup(path);
	s->member = um_xstrdup(member);
	dataset_spec_defaults(s);
}

static const char gpqa_header[] =
	"Pre-Revision Question,Record ID,Question,Correct Answer,Incorrect Answer 1,"
	"Incorrect Answer 2,Incorrect Answer 3,Subdomain,High-level domain\n";

static const char gpqa_csv[] =
	"Pre-Revision Question,Record ID,Question,Correct Answer,Incorrect Answer 1,"
	"Incorrect Answer 2,Incorrect Answer 3,Subdomain,High-level domain\n"
	"old,rec1,What is 2+2?,4,3,5,22,Arithmetic,Physics\n"
	"old,rec2,Which gas?,Argon,Neon,Xenon,Radon,Noble gases,Chemistry\n";

/* Parse CSV text with GPQA defaults; returns rc, items out. */
static int parse_csv_text(const char *text, um_item **items, size_t *n, um_error *err)
{
	um_dataset_spec s;
	int rc;

	spec_init(&s, UM_DATA_CSV, NULL, NULL);
	*items = NULL;
	*n = 0;
	rc = dataset_parse_csv(&s, "q.csv", text, strlen(text), items, n, err);
	dataset_spec_release(&s);
	return rc;
}

/* ---- CSV ------------------------------------------------------------- */

static void test_csv_gpqa(void **state)
{
	um_item *it;
	size_t n;
	um_error err = {0};

	(void)state;
	assert_int_equal(parse_csv_text(gpqa_csv, &it, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(it[0].id, "rec1");
	assert_string_equal(it[0].question, "What is 2+2?");
	assert_int_equal(it[0].n_choices, 4);
	assert_int_equal(it[0].correct, 0);
	assert_string_equal(it[0].choices[0], "4");
	assert_string_equal(it[0].choices[1], "3");
	assert_string_equal(it[0].choices[2], "5");
	assert_string_equal(it[0].choices[3], "22");
	assert_string_equal(it[0].category, "Physics");
	assert_string_equal(it[0].subcategory, "Arithmetic");
	assert_string_equal(it[1].id, "rec2");
	assert_string_equal(it[1].category, "Chemistry");
	assert_string_equal(it[1].choices[3], "Radon");
	dataset_items_free(it, n);
}

static void test_csv_quotes(void **state)
{
	const char *text =
		"Record ID,Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,"
		"Incorrect Answer 3,Subdomain,High-level domain\n"
		"q1,\"Is a, b, c a list?\",\"yes, \"\"quoted\"\"\",no,\"\",\"\"\"\",Lists,Physics\n"
		"q2,\"line one\nline two\r\nline three\",\"multi\nline\",x,y,z,,Biology\n"
		"q3,plain,a,b,c,d,Sub,Chemistry";
	um_item *it;
	size_t n;
	um_error err = {0};

	(void)state;
	assert_int_equal(parse_csv_text(text, &it, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(it[0].question, "Is a, b, c a list?");
	assert_string_equal(it[0].choices[0], "yes, \"quoted\"");
	/* the empty quoted cell is skipped, the lone doubled quote is kept */
	assert_int_equal(it[0].n_choices, 3);
	assert_string_equal(it[0].choices[1], "no");
	assert_string_equal(it[0].choices[2], "\"");
	assert_string_equal(it[1].question, "line one\nline two\r\nline three");
	assert_string_equal(it[1].choices[0], "multi\nline");
	assert_null(it[1].subcategory);
	/* last record without a final newline */
	assert_string_equal(it[2].id, "q3");
	assert_string_equal(it[2].category, "Chemistry");
	dataset_items_free(it, n);
}

static void test_csv_crlf_bom(void **state)
{
	const char *text =
		"\xef\xbb\xbfRecord ID,Question,Correct Answer,Incorrect Answer 1,"
		"Incorrect Answer 2,Incorrect Answer 3,Subdomain,High-level domain\r\n"
		"\r\n"
		"r1,Q\xc3\xa9?,A,B,C,D,S,Physics\r\n"
		"r2,\"Q2\r\nmore\",A,B,C,D,S,Biology\r\n";
	um_item *it;
	size_t n;
	um_error err = {0};

	(void)state;
	assert_int_equal(parse_csv_text(text, &it, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(it[0].id, "r1"); /* the BOM did not stick to "Record ID" */
	assert_string_equal(it[0].question, "Q\xc3\xa9?");
	assert_string_equal(it[0].category, "Physics"); /* no trailing CR */
	assert_string_equal(it[1].question, "Q2\r\nmore");
	assert_string_equal(it[1].category, "Biology");
	dataset_items_free(it, n);
}

static void test_csv_empty_incorrect(void **state)
{
	char text[1024];
	um_item *it;
	size_t n;
	um_error err = {0};

	(void)state;
	snprintf(text, sizeof(text), "%s%s", gpqa_header,
		 "x,r1,Q?,A,,B,  ,S,Physics\n");
	assert_int_equal(parse_csv_text(text, &it, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(it[0].n_choices, 2);
	assert_string_equal(it[0].choices[0], "A");
	assert_string_equal(it[0].choices[1], "B");
	dataset_items_free(it, n);

	snprintf(text, sizeof(text), "%s%s", gpqa_header,
		 "x,r1,Q?,A,B,C,D,S,Physics\n"
		 "x,r2,Q?,A,,,,S,Physics\n");
	assert_int_equal(parse_csv_text(text, &it, &n, &err), -1);
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_non_null(strstr(err.msg, "q.csv:3: item r2: only 1 choice"));
	assert_null(it);
	assert_int_equal(n, 0);
}

static void test_csv_ids(void **state)
{
	const char *text = "Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,"
			   "Incorrect Answer 3,High-level domain\n"
			   "Q1,A,B,C,D,Physics\n"
			   "Q2,A,B,C,D,Physics\n";
	char text2[512];
	um_item *it;
	size_t n;
	um_error err = {0};

	(void)state;
	/* no id column, no subcategory column */
	assert_int_equal(parse_csv_text(text, &it, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(it[0].id, "row-1");
	assert_string_equal(it[1].id, "row-2");
	assert_null(it[0].subcategory);
	dataset_items_free(it, n);

	/* an empty id cell falls back to the row number */
	snprintf(text2, sizeof(text2), "%s%s", gpqa_header,
		 "x,keep,Q?,A,B,C,D,S,Physics\nx,,Q?,A,B,C,D,S,Physics\n");
	assert_int_equal(parse_csv_text(text2, &it, &n, &err), 0);
	assert_string_equal(it[0].id, "keep");
	assert_string_equal(it[1].id, "row-2");
	dataset_items_free(it, n);
}

static void test_csv_custom_fields(void **state)
{
	const char *text = "id,q,right,wrong,area\n"
			   "a1,What?,This,That,Physics\n";
	um_dataset_spec s;
	um_item *it = NULL;
	size_t n = 0;
	um_error err = {0};

	(void)state;
	memset(&s, 0, sizeof(s));
	s.format = UM_DATA_CSV;
	s.f_id = um_xstrdup("id");
	s.f_question = um_xstrdup("q");
	s.f_correct = um_xstrdup("right");
	s.f_category = um_xstrdup("area");
	s.f_incorrect[0] = um_xstrdup("wrong");
	s.n_incorrect = 1;
	dataset_spec_defaults(&s); /* only fills subcategory */
	assert_string_equal(s.f_subcategory, "Subdomain");
	assert_int_equal(s.n_incorrect, 1);
	assert_int_equal(dataset_parse_csv(&s, "c.csv", text, strlen(text), &it, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(it[0].id, "a1");
	assert_string_equal(it[0].choices[1], "That");
	assert_null(it[0].subcategory);

	/* appends to existing items */
	assert_int_equal(dataset_parse_csv(&s, "c.csv", text, strlen(text), &it, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(it[1].question, "What?");
	assert_string_equal(it[0].question, "What?");
	/* a failing parse leaves what was there */
	assert_int_equal(dataset_parse_csv(&s, "c.csv", "id,q\n", 5, &it, &n, &err), -1);
	assert_int_equal(n, 2);
	assert_string_equal(it[1].id, "a1");
	dataset_items_free(it, n);
	dataset_spec_release(&s);
}

static void expect_csv_error(const char *text, um_err code, const char *want)
{
	um_item *it;
	size_t n;
	um_error err = {0};

	assert_int_equal(parse_csv_text(text, &it, &n, &err), -1);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
	assert_int_equal(err.code, code);
	assert_int_equal(n, 0);
}

static void test_csv_errors(void **state)
{
	char text[1024];

	(void)state;
	snprintf(text, sizeof(text), "%sx,r1,\"Q\nmore,A,B,C,D,S,Physics\n", gpqa_header);
	expect_csv_error(text, UM_ERR_SYNTAX, "q.csv:2:6: quoted field is never closed");

	snprintf(text, sizeof(text), "%sx,r1,\"Q\nQ\",A,B,C,D,S,Physics\nx,r2,Q,A,B\n",
		 gpqa_header);
	expect_csv_error(text, UM_ERR_SYNTAX, "q.csv:4: row has 5 fields, the header has 9");

	snprintf(text, sizeof(text), "%sx,r1,\"Q\"x,A,B,C,D,S,Physics\n", gpqa_header);
	expect_csv_error(text, UM_ERR_SYNTAX, "q.csv:2:9: text after the closing quote");

	expect_csv_error("Record ID,Question,Correct Answer,Incorrect Answer 1,"
			 "Incorrect Answer 2,High-level domain\nr,Q,A,B,C,Physics\n",
			 UM_ERR_INVALID, "q.csv:1: no column \"Incorrect Answer 3\"");
	expect_csv_error("Record ID,Question,Correct Answer\n", UM_ERR_INVALID,
			 "q.csv:1: no column \"High-level domain\" (dataset.fields.category); "
			 "the header has: \"Record ID\", \"Question\", \"Correct Answer\"");
	expect_csv_error("\n\nQuestion , Correct Answer,High-level domain\n", UM_ERR_INVALID,
			 "q.csv:3: no column \"Incorrect Answer 1\"");
	expect_csv_error("\n\n", UM_ERR_INVALID, "q.csv: empty CSV");
	expect_csv_error("", UM_ERR_INVALID, "empty CSV");

	snprintf(text, sizeof(text), "%sx,r1,,A,B,C,D,S,Physics\n", gpqa_header);
	expect_csv_error(text, UM_ERR_INVALID, "q.csv:2: item r1: empty question");
	snprintf(text, sizeof(text), "%sx,r1,Q,  ,B,C,D,S,Physics\n", gpqa_header);
	expect_csv_error(text, UM_ERR_INVALID, "item r1: empty correct answer");
	snprintf(text, sizeof(text), "%sx,r1,Q,A,B,C,D,S,\n", gpqa_header);
	expect_csv_error(text, UM_ERR_INVALID, "item r1: empty category");

	snprintf(text, sizeof(text), "%sx,r1,Q\xff,A,B,C,D,S,P\n", gpqa_header);
	expect_csv_error(text, UM_ERR_SYNTAX, "q.csv:2:7: not valid UTF-8 (byte 0xff)");
	snprintf(text, sizeof(text), "%sx,r1,Q\xed\xa0\x80,A,B,C,D,S,P\n", gpqa_header);
	expect_csv_error(text, UM_ERR_SYNTAX, "not valid UTF-8");
	snprintf(text, sizeof(text), "%sx,r1,Q\xe2\x82", gpqa_header);
	expect_csv_error(text, UM_ERR_SYNTAX, "q.csv:2:7: not valid UTF-8");
}

static void test_csv_nul(void **state)
{
	static const char text[] = "Question,Correct Answer\nQ\0,A\n";
	um_dataset_spec s;
	um_item *it = NULL;
	size_t n = 0;
	um_error err = {0};

	(void)state;
	spec_init(&s, UM_DATA_CSV, NULL, NULL);
	assert_int_equal(dataset_parse_csv(&s, "n.csv", text, sizeof(text) - 1, &it, &n, &err),
			 -1);
	assert_int_equal(err.code, UM_ERR_SYNTAX);
	assert_non_null(strstr(err.msg, "n.csv:2:2: NUL byte"));
	dataset_spec_release(&s);
}

/* Random bytes, and random printable text, never crash and always fail
 * with a message naming the source. */
static void test_csv_jsonl_garbage(void **state)
{
	um_dataset_spec s;
	um_rng r;
	int round;

	(void)state;
	spec_init(&s, UM_DATA_CSV, NULL, NULL);
	um_rng_seed(&r, 42);
	for (round = 0; round < 200; round++) {
		char buf[2048];
		size_t len = 1 + um_rng_below(&r, sizeof(buf)), i;
		um_item *it = NULL;
		size_t n = 0;
		um_error err = {0};
		int printable = round % 2;

		for (i = 0; i < len; i++) {
			if (printable) {
				static const char alpha[] = "ab,\"\n\r {}[]:1";
				buf[i] = alpha[um_rng_below(&r, sizeof(alpha) - 1)];
			} else {
				buf[i] = (char)um_rng_below(&r, 256);
			}
		}
		s.format = UM_DATA_CSV;
		assert_int_equal(dataset_parse_csv(&s, "g.csv", buf, len, &it, &n, &err), -1);
		assert_true(um_has_prefix(err.msg, "g.csv"));
		assert_true(err.code == UM_ERR_SYNTAX || err.code == UM_ERR_INVALID);
		assert_int_equal(n, 0);
		free(it);
		it = NULL;
		s.format = UM_DATA_JSONL;
		assert_int_equal(dataset_parse_jsonl(&s, "g.jsonl", buf, len, &it, &n, &err), -1);
		assert_true(um_has_prefix(err.msg, "g.jsonl"));
		assert_int_equal(n, 0);
		free(it);
	}
	dataset_spec_release(&s);
}

/* ---- JSONL ----------------------------------------------------------- */

static void test_jsonl(void **state)
{
	const char *text =
		"{\"Record ID\": \"j1\", \"Question\": \"Q1\", \"Correct Answer\": \"A\","
		" \"Incorrect Answer 1\": \"B\", \"Incorrect Answer 2\": \"C\","
		" \"Incorrect Answer 3\": null, \"High-level domain\": \"Physics\","
		" \"Subdomain\": \"Optics\"}\r\n"
		"\n"
		"   \n"
		"{\"Question\": \"Q2\", \"Correct Answer\": \"A\", \"Incorrect Answer 1\": \"B\","
		" \"High-level domain\": \"Biology\"}\n";
	um_dataset_spec s;
	um_item *it = NULL;
	size_t n = 0;
	um_error err = {0};

	(void)state;
	spec_init(&s, UM_DATA_JSONL, NULL, NULL);
	assert_int_equal(dataset_parse_jsonl(&s, "d.jsonl", text, strlen(text), &it, &n, &err),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(it[0].id, "j1");
	assert_int_equal(it[0].n_choices, 3);
	assert_string_equal(it[0].choices[2], "C");
	assert_string_equal(it[0].subcategory, "Optics");
	assert_string_equal(it[1].id, "row-2");
	assert_int_equal(it[1].n_choices, 2);
	assert_null(it[1].subcategory);
	dataset_items_free(it, n);
	dataset_spec_release(&s);
}

static void test_jsonl_array_field(void **state)
{
	const char *text =
		"{\"id\": 17, \"question\": \"Q\", \"answer\": \"A\","
		" \"wrong\": [\"B\", \"\", \"C\"],"
		" \"domain\": \"Chemistry\"}\n";
	um_dataset_spec s;
	um_item *it = NULL;
	size_t n = 0;
	um_error err = {0};

	(void)state;
	memset(&s, 0, sizeof(s));
	s.format = UM_DATA_JSONL;
	s.f_id = um_xstrdup("id");
	s.f_question = um_xstrdup("question");
	s.f_correct = um_xstrdup("answer");
	s.f_category = um_xstrdup("domain");
	s.f_incorrect[0] = um_xstrdup("wrong");
	s.n_incorrect = 1;
	dataset_spec_defaults(&s);
	assert_int_equal(dataset_parse_jsonl(&s, "d.jsonl", text, strlen(text), &it, &n, &err),
			 0);
	assert_int_equal(n, 1);
	assert_string_equal(it[0].id, "17");
	assert_int_equal(it[0].n_choices, 3);
	assert_string_equal(it[0].choices[0], "A");
	assert_string_equal(it[0].choices[1], "B");
	assert_string_equal(it[0].choices[2], "C");
	dataset_items_free(it, n);
	dataset_spec_release(&s);
}

static void expect_jsonl_error(const char *text, um_err code, const char *want)
{
	um_dataset_spec s;
	um_item *it = NULL;
	size_t n = 0;
	um_error err = {0};

	spec_init(&s, UM_DATA_JSONL, NULL, NULL);
	assert_int_equal(dataset_parse_jsonl(&s, "d.jsonl", text, strlen(text), &it, &n, &err),
			 -1);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
	assert_int_equal(err.code, code);
	assert_int_equal(n, 0);
	free(it);
	dataset_spec_release(&s);
}

#define JOK "{\"Question\": \"Q\", \"Correct Answer\": \"A\", \"Incorrect Answer 1\": \"B\"," \
	    " \"High-level domain\": \"Physics\"}\n"

static void test_jsonl_errors(void **state)
{
	(void)state;
	expect_jsonl_error(JOK "\n{\"Question\": \"Q\",\n", UM_ERR_SYNTAX, "d.jsonl:3:");
	expect_jsonl_error(JOK "{\"Question\" \"Q\"}\n", UM_ERR_SYNTAX,
			   "d.jsonl:2:15: invalid JSON");
	expect_jsonl_error(JOK "[1, 2]\n", UM_ERR_INVALID,
			   "d.jsonl:2: expected a JSON object");
	expect_jsonl_error("\"just a string\"\n", UM_ERR_INVALID,
			   "d.jsonl:1: expected a JSON object");
	expect_jsonl_error("{\"Correct Answer\": \"A\", \"Incorrect Answer 1\": \"B\","
			   " \"High-level domain\": \"P\"}\n",
			   UM_ERR_INVALID, "d.jsonl:1: no key \"Question\"");
	expect_jsonl_error("{\"Question\": 3, \"Correct Answer\": \"A\"}\n", UM_ERR_INVALID,
			   "d.jsonl:1: key \"Question\" must be a string");
	expect_jsonl_error("{\"Question\": \"Q\", \"Correct Answer\": \"A\","
			   " \"Incorrect Answer 1\": {\"x\": 1}, \"High-level domain\": \"P\"}\n",
			   UM_ERR_INVALID, "must be a string or an array of strings");
	expect_jsonl_error("{\"Question\": \"Q\", \"Correct Answer\": \"A\","
			   " \"Incorrect Answer 1\": [\"B\", 2], \"High-level domain\": \"P\"}\n",
			   UM_ERR_INVALID, "element 2 is not a string");
	expect_jsonl_error("{\"Question\": \"Q\", \"Question\": \"R\"}\n", UM_ERR_SYNTAX,
			   "d.jsonl:1:");
	expect_jsonl_error("{\"Question\": \"Q\", \"Correct Answer\": \"A\","
			   " \"High-level domain\": \"P\"}\n",
			   UM_ERR_INVALID, "d.jsonl:1: item row-1: only 1 choice");
	expect_jsonl_error("{\"Question\": \"Q\\u0000\", \"Correct Answer\": \"A\"}\n",
			   UM_ERR_SYNTAX, "d.jsonl:1:");
}

static void test_jsonl_too_many_choices(void **state)
{
	char text[4096];
	size_t off = 0;
	int i;
	um_dataset_spec s;
	um_item *it = NULL;
	size_t n = 0;
	um_error err = {0};

	(void)state;
	memset(&s, 0, sizeof(s));
	s.format = UM_DATA_JSONL;
	s.f_incorrect[0] = um_xstrdup("wrong");
	s.n_incorrect = 1;
	dataset_spec_defaults(&s);
	off += (size_t)snprintf(text + off, sizeof(text) - off,
				"{\"Question\": \"Q\", \"Correct Answer\": \"A\","
				" \"High-level domain\": \"P\", \"wrong\": [");
	for (i = 0; i < UM_MAX_CHOICES; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s\"w%d\"",
					i ? "," : "", i);
	snprintf(text + off, sizeof(text) - off, "]}\n");
	assert_int_equal(dataset_parse_jsonl(&s, "d.jsonl", text, strlen(text), &it, &n, &err),
			 -1);
	assert_non_null(strstr(err.msg, "d.jsonl:1: item row-1: more than 26 choices"));

	/* exactly 26 is fine */
	off = 0;
	off += (size_t)snprintf(text + off, sizeof(text) - off,
				"{\"Question\": \"Q\", \"Correct Answer\": \"A\","
				" \"High-level domain\": \"P\", \"wrong\": [");
	for (i = 0; i < UM_MAX_CHOICES - 1; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s\"w%d\"",
					i ? "," : "", i);
	snprintf(text + off, sizeof(text) - off, "]}\n");
	assert_int_equal(dataset_parse_jsonl(&s, "d.jsonl", text, strlen(text), &it, &n, &err),
			 0);
	assert_int_equal(it[0].n_choices, UM_MAX_CHOICES);
	assert_string_equal(it[0].choices[25], "w24");
	dataset_items_free(it, n);
	dataset_spec_release(&s);
}

/* ---- files, archives, pins ------------------------------------------ */

static void test_load_plain_file_and_lines(void **state)
{
	const char *text = "Record ID,Question,Correct Answer,Incorrect Answer 1,"
			   "Incorrect Answer 2,Incorrect Answer 3,Subdomain,High-level domain\n"
			   "a,\"two\nlines\",A,B,C,D,S,Physics\n"
			   "\n"
			   "b,Q,A,B,C,D,S,Physics\n";
	char *p = write_tmp("plain.csv", text, strlen(text));
	char want[65], sha[65];
	um_dataset_spec s;
	um_item *it;
	size_t n;
	int *lines;
	um_error err = {0};

	(void)state;
	spec_init(&s, UM_DATA_CSV, p, NULL);
	assert_int_equal(dataset_load_lines(&s, &it, &n, &lines, sha, &err), 0);
	um_sha256_hex(text, strlen(text), want);
	assert_string_equal(sha, want);
	assert_int_equal(n, 2);
	assert_int_equal(lines[0], 2);
	assert_int_equal(lines[1], 5);
	free(lines);
	dataset_items_free(it, n);

	/* pinned, upper case is accepted */
	for (size_t i = 0; i < 64; i++)
		want[i] = (char)(want[i] >= 'a' ? want[i] - 32 : want[i]);
	s.sha256 = um_xstrdup(want);
	assert_int_equal(dataset_load(&s, &it, &n, sha, &err), 0);
	assert_int_equal(n, 2);
	dataset_items_free(it, n);
	dataset_spec_release(&s);
	free(p);
}

/* A checked-in file with a BOM, CRLF, quotes, commas and newlines in cells,
 * a blank line, an extra column, and no newline at the end. */
static void test_fixture_tricky_csv(void **state)
{
	um_dataset_spec s;
	um_item *it;
	size_t n;
	int *lines;
	char sha[65];
	um_error err = {0};

	(void)state;
	spec_init(&s, UM_DATA_CSV, FIXTURES "/dataset/tricky.csv", NULL);
	if (dataset_load_lines(&s, &it, &n, &lines, sha, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(n, 3);
	assert_string_equal(it[0].id, "rec-01");
	assert_string_equal(it[0].question, "A \"quoted\" word, a comma, and\r\na second line");
	assert_int_equal(it[0].n_choices, 3);
	assert_string_equal(it[0].choices[0], "right");
	assert_string_equal(it[0].choices[1], "wrong, with comma");
	assert_string_equal(it[0].choices[2], "\"");
	assert_string_equal(it[0].subcategory, "Quantum Mechanics");
	assert_string_equal(it[1].choices[0], "padded");
	assert_string_equal(it[1].category, "Chemistry");
	assert_string_equal(it[2].id, "row-3");
	assert_null(it[2].subcategory);
	assert_int_equal(it[2].n_choices, 2);
	assert_int_equal(lines[0], 2);
	assert_int_equal(lines[1], 5);
	assert_int_equal(lines[2], 7);
	free(lines);
	dataset_items_free(it, n);
	dataset_spec_release(&s);
}

static void test_pin_mismatch(void **state)
{
	const char *zero = "0000000000000000000000000000000000000000000000000000000000000000";
	char *p = write_tmp("pin.csv", gpqa_csv, strlen(gpqa_csv));
	char want[65], sha[65], msg[512];
	um_dataset_spec s;
	um_item *it = (um_item *)1;
	size_t n = 7;
	um_error err = {0};

	(void)state;
	um_sha256_hex(gpqa_csv, strlen(gpqa_csv), want);
	spec_init(&s, UM_DATA_CSV, p, NULL);
	s.sha256 = um_xstrdup(zero);
	assert_int_equal(dataset_load(&s, &it, &n, sha, &err), -1);
	assert_int_equal(err.code, UM_ERR_PIN);
	snprintf(msg, sizeof(msg), "dataset %s: sha256 mismatch: pinned %s, got %s", p, zero,
		 want);
	assert_string_equal(err.msg, msg);
	assert_null(it);
	assert_int_equal(n, 0);
	assert_string_equal(sha, want); /* what was read is still reported */

	free(s.sha256);
	s.sha256 = um_xstrdup("abc");
	assert_int_equal(dataset_load(&s, &it, &n, sha, &err), -1);
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_non_null(strstr(err.msg, "not 64 hex digits"));
	dataset_spec_release(&s);
	free(p);
}

static void test_missing_file(void **state)
{
	um_dataset_spec s;
	char *data = NULL;
	size_t len = 0;
	um_error err = {0};
	char *p = tpath("does-not-exist.csv");

	(void)state;
	spec_init(&s, UM_DATA_CSV, p, NULL);
	assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), -1);
	assert_int_equal(err.code, UM_ERR_IO);
	assert_non_null(strstr(err.msg, "does-not-exist.csv: cannot open"));
	free(s.member);
	s.member = um_xstrdup("x.csv");
	assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), -1);
	assert_int_equal(err.code, UM_ERR_IO);
	dataset_spec_release(&s);

	/* a directory is not a data file */
	spec_init(&s, UM_DATA_CSV, tmpdir, NULL);
	assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), -1);
	assert_non_null(strstr(err.msg, "is a directory"));
	dataset_spec_release(&s);
	free(p);
}

static void read_member_ok(const char *path, const char *member, const char *pass,
			   const char *want)
{
	um_dataset_spec s;
	char *data = NULL;
	size_t len = 0;
	um_error err = {0};

	spec_init(&s, UM_DATA_CSV, path, member);
	s.passphrase = um_xstrdup(pass);
	if (dataset_read_bytes(&s, &data, &len, &err) < 0)
		fail_msg("%s: %s", path, err.msg);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(data, want, len);
	free(data);
	dataset_spec_release(&s);
}

static const entry gpqa_layout[] = {
	{"dataset/", NULL},
	{"dataset/license.txt", "CC BY 4.0\n"},
	{"dataset/gpqa_main.csv", "main\n"},
	{"dataset/gpqa_diamond.csv", gpqa_csv},
	{"dataset/gpqa_extended.csv", "extended\n"},
};

static void test_zip_passphrase(void **state)
{
	char *z = make_archive("gpqa.zip", "zip", "deserted-untie-orchid", gpqa_layout,
			       UM_ARRAY_LEN(gpqa_layout));
	um_dataset_spec s;
	char *data = NULL;
	size_t len = 0;
	um_error err = {0};

	(void)state;
	read_member_ok(z, "dataset/gpqa_diamond.csv", "deserted-untie-orchid", gpqa_csv);

	/* wrong passphrase */
	spec_init(&s, UM_DATA_CSV, z, "dataset/gpqa_diamond.csv");
	s.passphrase = um_xstrdup("not-the-passphrase");
	assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), -1);
	assert_int_equal(err.code, UM_ERR_ARCHIVE);
	assert_non_null(strstr(err.msg, "cannot decrypt member dataset/gpqa_diamond.csv: "
					"wrong passphrase"));

	/* no passphrase at all */
	free(s.passphrase);
	s.passphrase = NULL;
	assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), -1);
	assert_int_equal(err.code, UM_ERR_ARCHIVE);
	assert_non_null(strstr(err.msg, "is encrypted; give dataset.passphrase"));

	/* from the environment */
	s.passphrase_env = um_xstrdup("UMPIRE_TEST_ZIP_PASSPHRASE");
	unsetenv("UMPIRE_TEST_ZIP_PASSPHRASE");
	assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), -1);
	assert_int_equal(err.code, UM_ERR_ARCHIVE);
	assert_non_null(
		strstr(err.msg, "passphrase variable UMPIRE_TEST_ZIP_PASSPHRASE (passphrase_env) "
				"is not set"));
	setenv("UMPIRE_TEST_ZIP_PASSPHRASE", "deserted-untie-orchid", 1);
	assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), 0);
	assert_int_equal(len, strlen(gpqa_csv));
	assert_memory_equal(data, gpqa_csv, len);
	free(data);
	setenv("UMPIRE_TEST_ZIP_PASSPHRASE", "wrong", 1);
	assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), -1);
	assert_non_null(strstr(err.msg, "wrong passphrase"));
	unsetenv("UMPIRE_TEST_ZIP_PASSPHRASE");
	dataset_spec_release(&s);
	free(z);
}

static void test_zip_load_and_pin(void **state)
{
	char *z = make_archive("pin.zip", "zip", "pw", gpqa_layout, UM_ARRAY_LEN(gpqa_layout));
	char want[65], sha[65];
	um_dataset_spec s;
	um_item *it;
	size_t n;
	um_error err = {0};

	(void)state;
	um_sha256_hex(gpqa_csv, strlen(gpqa_csv), want);
	spec_init(&s, UM_DATA_CSV, z, "dataset/gpqa_diamond.csv");
	s.passphrase = um_xstrdup("pw");
	s.sha256 = um_xstrdup(want);
	assert_int_equal(dataset_load(&s, &it, &n, sha, &err), 0);
	assert_string_equal(sha, want); /* the member's bytes, not the zip's */
	assert_int_equal(n, 2);
	assert_string_equal(it[1].id, "rec2");
	dataset_items_free(it, n);

	s.sha256[0] = s.sha256[0] == 'a' ? 'b' : 'a';
	assert_int_equal(dataset_load(&s, &it, &n, sha, &err), -1);
	assert_int_equal(err.code, UM_ERR_PIN);
	assert_non_null(strstr(err.msg, "sha256 mismatch"));
	assert_non_null(strstr(err.msg, s.sha256));
	assert_non_null(strstr(err.msg, want));
	assert_non_null(strstr(err.msg, "pin.zip:dataset/gpqa_diamond.csv"));
	dataset_spec_release(&s);
	free(z);
}

static void test_tar_kinds(void **state)
{
	static const char *const kinds[] = {"tar", "tar.gz", "tar.zst", "zip"};
	const entry ents[] = {
		{"./data/", NULL},
		{"./data/q.jsonl", JOK},
		{"./data/other.txt", "x"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < UM_ARRAY_LEN(kinds); i++) {
		char name[64];
		char *p;
		um_dataset_spec s;
		um_item *it;
		size_t n;
		char sha[65];
		um_error err = {0};

		/* the name says nothing: the content decides */
		snprintf(name, sizeof(name), "bundle-%zu.bin", i);
		p = make_archive(name, kinds[i], NULL, ents, UM_ARRAY_LEN(ents));
		read_member_ok(p, "data/q.jsonl", NULL, JOK);
		read_member_ok(p, "./data/other.txt", NULL, "x");
		spec_init(&s, UM_DATA_JSONL, p, "data/q.jsonl");
		assert_int_equal(dataset_load(&s, &it, &n, sha, &err), 0);
		assert_int_equal(n, 1);
		assert_string_equal(it[0].category, "Physics");
		dataset_items_free(it, n);
		dataset_spec_release(&s);
		free(p);
	}
}

static void test_missing_member(void **state)
{
	char *z = make_archive("mm.tar.gz", "tar.gz", NULL, gpqa_layout,
			       UM_ARRAY_LEN(gpqa_layout));
	um_dataset_spec s;
	char *data = NULL;
	size_t len = 0;
	um_error err = {0};
	entry many[12];
	char names[12][16];
	size_t i;

	(void)state;
	spec_init(&s, UM_DATA_CSV, z, "dataset/gpqa_diamnod.csv");
	assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), -1);
	assert_int_equal(err.code, UM_ERR_ARCHIVE);
	assert_non_null(strstr(err.msg, "no member dataset/gpqa_diamnod.csv; the archive holds "
					"5 entries: dataset/, dataset/license.txt, "
					"dataset/gpqa_main.csv, dataset/gpqa_diamond.csv, "
					"dataset/gpqa_extended.csv"));
	dataset_spec_release(&s);
	free(z);

	/* a long listing is cut short */
	for (i = 0; i < UM_ARRAY_LEN(many); i++) {
		snprintf(names[i], sizeof(names[i]), "f%02zu.csv", i);
		many[i].name = names[i];
		many[i].data = "x";
	}
	z = make_archive("many.tar", "tar", NULL, many, UM_ARRAY_LEN(many));
	spec_init(&s, UM_DATA_CSV, z, "nope.csv");
	assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), -1);
	assert_non_null(strstr(err.msg, "holds 12 entries: f00.csv, f01.csv"));
	assert_non_null(strstr(err.msg, "f07.csv, ..."));
	assert_null(strstr(err.msg, "f08.csv"));
	dataset_spec_release(&s);

	read_member_ok(z, "f00.csv", NULL, "x");
	free(z);

	/* a directory named as the member */
	z = make_archive("dir.tar", "tar", NULL, gpqa_layout, UM_ARRAY_LEN(gpqa_layout));
	spec_init(&s, UM_DATA_CSV, z, "dataset/");
	assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), -1);
	assert_non_null(strstr(err.msg, "is not a regular file"));
	dataset_spec_release(&s);
	free(z);
}

static void test_not_an_archive(void **state)
{
	char garbage[4096];
	um_rng r;
	size_t i;
	char *csv = write_tmp("not-archive.csv", gpqa_csv, strlen(gpqa_csv));
	char *g;
	um_dataset_spec s;
	char *data = NULL;
	size_t len = 0;
	um_error err = {0};

	(void)state;
	spec_init(&s, UM_DATA_CSV, csv, "dataset/gpqa_diamond.csv");
	assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), -1);
	assert_int_equal(err.code, UM_ERR_ARCHIVE);
	assert_non_null(strstr(err.msg, "not an archive"));
	dataset_spec_release(&s);

	um_rng_seed(&r, 7);
	for (i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)um_rng_below(&r, 256);
	g = write_tmp("garbage.zip", garbage, sizeof(garbage));
	spec_init(&s, UM_DATA_CSV, g, "dataset/gpqa_diamond.csv");
	s.passphrase = um_xstrdup("pw");
	assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), -1);
	assert_int_equal(err.code, UM_ERR_ARCHIVE);
	dataset_spec_release(&s);

	/* a zip header followed by garbage */
	memcpy(garbage, "PK\3\4", 4);
	free(g);
	g = write_tmp("garbage2.zip", garbage, sizeof(garbage));
	spec_init(&s, UM_DATA_CSV, g, "dataset/gpqa_diamond.csv");
	assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), -1);
	assert_int_equal(err.code, UM_ERR_ARCHIVE);
	dataset_spec_release(&s);

	/* random bytes read as a plain CSV or JSONL file */
	garbage[0] = 'x';
	free(g);
	g = write_tmp("garbage.csv", garbage, sizeof(garbage));
	spec_init(&s, UM_DATA_CSV, g, NULL);
	{
		um_item *it;
		size_t n;
		char sha[65];
		assert_int_equal(dataset_load(&s, &it, &n, sha, &err), -1);
		assert_true(um_has_prefix(err.msg, g));
		s.format = UM_DATA_JSONL;
		assert_int_equal(dataset_load(&s, &it, &n, sha, &err), -1);
		assert_true(um_has_prefix(err.msg, g));
	}
	dataset_spec_release(&s);

	/* an empty file named as an archive */
	free(g);
	g = write_tmp("empty.zip", "", 0);
	spec_init(&s, UM_DATA_CSV, g, "a.csv");
	assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), -1);
	assert_int_equal(err.code, UM_ERR_ARCHIVE);
	dataset_spec_release(&s);
	free(g);
	free(csv);
}

static void test_archive_without_member(void **state)
{
	char *z = make_archive("nomember.zip", "zip", NULL, gpqa_layout,
			       UM_ARRAY_LEN(gpqa_layout));
	um_dataset_spec s;
	char *data = NULL;
	size_t len = 0;
	um_error err = {0};

	(void)state;
	spec_init(&s, UM_DATA_CSV, z, NULL);
	assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), -1);
	assert_int_equal(err.code, UM_ERR_ARCHIVE);
	assert_non_null(strstr(err.msg, "is a zip archive; name the data file inside it with "
					"dataset.member"));
	dataset_spec_release(&s);
	free(z);

	z = make_archive("nomember.tar", "tar", NULL, gpqa_layout, UM_ARRAY_LEN(gpqa_layout));
	spec_init(&s, UM_DATA_CSV, z, NULL);
	assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), -1);
	assert_non_null(strstr(err.msg, "is a tar archive"));
	dataset_spec_release(&s);
	free(z);

	/* text that happens to hold "ustar" where a tar header has it is text */
	{
		char text[400];
		memset(text, 'x', sizeof(text));
		memcpy(text + 256, "mustard", 7);
		z = write_tmp("mustard.csv", text, sizeof(text));
		spec_init(&s, UM_DATA_CSV, z, NULL);
		assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), 0);
		assert_int_equal(len, sizeof(text));
		free(data);
		dataset_spec_release(&s);
		free(z);
	}
}

static void test_size_limits(void **state)
{
	char *big = tpath("big.csv");
	char *tar = tpath("big.tar");
	unsigned char hdr[512 * 4];
	unsigned sum = 0;
	size_t i;
	int fd;
	um_dataset_spec s;
	char *data = NULL;
	size_t len = 0;
	um_error err = {0};

	(void)state;
	/* a sparse file one byte over the limit: refused before reading */
	fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)UM_DATASET_MAX_BYTES + 1), 0);
	close(fd);
	spec_init(&s, UM_DATA_CSV, big, NULL);
	assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), -1);
	assert_int_equal(err.code, UM_ERR_IO);
	assert_non_null(strstr(err.msg, "1073741825 bytes is over the limit"));
	dataset_spec_release(&s);
	unlink(big);

	/* a tar header announcing a 2 GiB member */
	memset(hdr, 0, sizeof(hdr));
	strcpy((char *)hdr, "huge.csv");
	memcpy(hdr + 100, "0000644", 8);
	memcpy(hdr + 108, "0000000", 8);
	memcpy(hdr + 116, "0000000", 8);
	memcpy(hdr + 124, "20000000000", 12);
	memcpy(hdr + 136, "14500000000", 12);
	memset(hdr + 148, ' ', 8);
	hdr[156] = '0';
	memcpy(hdr + 257, "ustar", 6);
	memcpy(hdr + 263, "00", 2);
	for (i = 0; i < 512; i++)
		sum += hdr[i];
	snprintf((char *)hdr + 148, 8, "%06o", sum);
	fd = open(tar, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	close(fd);
	spec_init(&s, UM_DATA_CSV, tar, "huge.csv");
	assert_int_equal(dataset_read_bytes(&s, &data, &len, &err), -1);
	assert_int_equal(err.code, UM_ERR_ARCHIVE);
	assert_non_null(strstr(err.msg, "member huge.csv is 2147483648 bytes, over the limit"));
	dataset_spec_release(&s);
	free(big);
	free(tar);
}

static void test_inline_and_source_name(void **state)
{
	um_dataset_spec s;
	um_item *it = (um_item *)1;
	size_t n = 3;
	char sha[65] = "x";
	char *name;
	um_error err = {0};

	(void)state;
	memset(&s, 0, sizeof(s));
	s.format = UM_DATA_INLINE;
	assert_int_equal(dataset_load(&s, &it, &n, sha, &err), 0);
	assert_null(it);
	assert_int_equal(n, 0);
	assert_string_equal(sha, "");
	s.path = um_xstrdup("a/b.zip");
	name = dataset_source_name(&s);
	assert_string_equal(name, "a/b.zip");
	free(name);
	s.member = um_xstrdup("x/y.csv");
	name = dataset_source_name(&s);
	assert_string_equal(name, "a/b.zip:x/y.csv");
	free(name);
	dataset_spec_release(&s);
	assert_null(s.path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_gpqa),
		cmocka_unit_test(test_csv_quotes),
		cmocka_unit_test(test_csv_crlf_bom),
		cmocka_unit_test(test_csv_empty_incorrect),
		cmocka_unit_test(test_csv_ids),
		cmocka_unit_test(test_csv_custom_fields),
		cmocka_unit_test(test_csv_errors),
		cmocka_unit_test(test_csv_nul),
		cmocka_unit_test(test_csv_jsonl_garbage),
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_jsonl_array_field),
		cmocka_unit_test(test_jsonl_errors),
		cmocka_unit_test(test_jsonl_too_many_choices),
		cmocka_unit_test(test_load_plain_file_and_lines),
		cmocka_unit_test(test_fixture_tricky_csv),
		cmocka_unit_test(test_pin_mismatch),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_zip_passphrase),
		cmocka_unit_test(test_zip_load_and_pin),
		cmocka_unit_test(test_tar_kinds),
		cmocka_unit_test(test_missing_member),
		cmocka_unit_test(test_not_an_archive),
		cmocka_unit_test(test_archive_without_member),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_inline_and_source_name),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
