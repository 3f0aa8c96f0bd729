/*
 * test_util.c - hashes against published vectors, the seeded generator,
 * SOURCE_DATE_EPOCH, paths and files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"

static void test_sha256_vectors(void **state)
{
	char hex[65];
	um_sha256 h;

	(void)state;
	assert_int_equal(um_global_init(NULL), 0);
	um_sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	um_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	um_sha256_init(&h);
	um_sha256_update(&h, "a", 1);
	um_sha256_update(&h, "bc", 2);
	um_sha256_final_hex(&h, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_rng(void **state)
{
	um_rng a, b;
	int i, hist[10] = {0};
	double sum = 0, sq = 0;

	(void)state;
	um_rng_seed(&a, 1);
	um_rng_seed(&b, 1);
	for (i = 0; i < 100; i++)
		assert_true(um_rng_next(&a) == um_rng_next(&b));
	um_rng_seed(&b, 2);
	assert_true(um_rng_next(&a) != um_rng_next(&b));
	for (i = 0; i < 100000; i++) {
		uint64_t x = um_rng_below(&a, 10);
		double u = um_rng_uniform(&a), z = um_rng_normal(&a);
		assert_true(x < 10);
		assert_true(u >= 0.0 && u < 1.0);
		hist[x]++;
		sum += z;
		sq += z * z;
	}
	for (i = 0; i < 10; i++)
		assert_in_range(hist[i], 9000, 11000);
	assert_true(sum / 100000 > -0.05 && sum / 100000 < 0.05);
	assert_true(sq / 100000 > 0.95 && sq / 100000 < 1.05);
}

static void test_wall_clock_source_date_epoch(void **state)
{
	(void)state;
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	assert_true(um_wall_ms() == 1700000000000LL);
	setenv("SOURCE_DATE_EPOCH", "garbage", 1);
	assert_true(um_wall_ms() > 1700000000000LL);
	unsetenv("SOURCE_DATE_EPOCH");
}

static void test_paths_and_strings(void **state)
{
	char *p;
	char s[] = "  \t trimmed \n";

	(void)state;
	p = um_path_relative_to("suites/demo.yaml", "demo/q.csv");
	assert_string_equal(p, "suites/demo/q.csv");
	free(p);
	p = um_path_relative_to("demo.yaml", "q.csv");
	assert_string_equal(p, "q.csv");
	free(p);
	p = um_path_relative_to("suites/demo.yaml", "/abs/q.csv");
	assert_string_equal(p, "/abs/q.csv");
	free(p);
	assert_string_equal(um_trim(s), "trimmed");
	assert_true(um_streq(NULL, NULL));
	assert_false(um_streq("a", NULL));
	assert_true(um_has_prefix("umpire", "ump"));
}

static void test_files(void **state)
{
	char dir[] = "/tmp/umpire-util-XXXXXX";
	char *path, *nested, *data = NULL;
	size_t len = 0;
	um_error err = {0};

	(void)state;
	assert_non_null(mkdtemp(dir));
	nested = um_xasprintf("%s/a/b/c", dir);
	assert_int_equal(um_mkdir_p(nested, &err), 0);
	path = um_xasprintf("%s/f.txt", nested);
	assert_int_equal(um_write_file(path, "hello", 5, 0600, &err), 0);
	assert_int_equal(um_read_file(path, &data, &len, &err), 0);
	assert_int_equal(len, 5);
	assert_string_equal(data, "hello");
	free(data);
	assert_int_equal(um_read_file("/nonexistent/umpire/file", &data, &len, &err), -1);
	assert_int_equal(err.code, UM_ERR_IO);
	assert_non_null(strstr(err.msg, "/nonexistent/umpire/file"));
	unlink(path);
	free(path);
	free(nested);
	{
		char *cmd = um_xasprintf("rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
}

static void test_rel_path_safe(void **state)
{
	(void)state;
	assert_true(um_rel_path_safe("report.json"));
	assert_true(um_rel_path_safe("data/x.csv"));
	assert_false(um_rel_path_safe(""));
	assert_false(um_rel_path_safe("/etc/passwd"));
	assert_false(um_rel_path_safe("../x"));
	assert_false(um_rel_path_safe("a/../../x"));
	assert_false(um_rel_path_safe("a//b"));
	assert_false(um_rel_path_safe("./a"));
	assert_false(um_rel_path_safe("a\nb"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rel_path_safe),
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_wall_clock_source_date_epoch),
		cmocka_unit_test(test_paths_and_strings),
		cmocka_unit_test(test_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
