/*
 * test_buf.c - the bounded buffer: growth, the hard maximum, detach.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"

static void test_append_and_printf(void **state)
{
	um_buf b;
	int i;

	(void)state;
	um_buf_init(&b, 0);
	assert_string_equal(um_buf_str(&b), "");
	for (i = 0; i < 1000; i++)
		assert_int_equal(um_buf_printf(&b, "%d,", i), 0);
	assert_int_equal(strncmp(b.data, "0,1,2,", 6), 0);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(b.len, strlen(b.data));
	um_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(um_buf_puts(&b, "abc"), 0);
	assert_string_equal(um_buf_str(&b), "abc");
	um_buf_release(&b);
}

static void test_maximum_is_hard(void **state)
{
	um_buf b;

	(void)state;
	um_buf_init(&b, 8);
	assert_int_equal(um_buf_puts(&b, "12345678"), 0);
	assert_int_equal(b.overflow, 0);
	assert_int_equal(um_buf_putc(&b, 'x'), -1);
	assert_int_equal(b.overflow, 1);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "12345678");
	assert_int_equal(um_buf_printf(&b, "%s", "more"), -1);
	assert_int_equal(b.len, 8);
	um_buf_release(&b);
}

static void test_detach_and_binary(void **state)
{
	um_buf b;
	char *p;
	const char bin[4] = {'a', '\0', 'b', '\0'};

	(void)state;
	um_buf_init(&b, 100);
	assert_int_equal(um_buf_append(&b, bin, 3), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, bin, 3);
	p = um_buf_detach(&b);
	assert_int_equal(b.len, 0);
	assert_null(b.data);
	assert_int_equal(b.max, 100);
	assert_memory_equal(p, bin, 4);
	free(p);
	p = um_buf_detach(&b);
	assert_string_equal(p, "");
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_printf),
		cmocka_unit_test(test_maximum_is_hard),
		cmocka_unit_test(test_detach_and_binary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
