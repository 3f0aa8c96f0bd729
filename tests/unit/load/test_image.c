/*
 * test_image.c - image.c: the four formats recognised by their magic bytes
 * (not by name), garbage and truncated signatures refused, the size cap
 * checked before reading, the content hash, and a file changed after it was
 * checked refused when it is encoded; data URLs decoded into memory,
 * hashed and encoded back byte for byte, with their garbage refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load/image.h"
#include "base/util.h"

static char dir[256];

static char *put(const char *name, const void *data, size_t len)
{
	char *p = um_xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	return p;
}

static void test_sniff(void **state)
{
	(void)state;
	assert_string_equal(image_sniff((const unsigned char *)"\x89PNG\r\n\x1a\n....", 12),
			    "image/png");
	assert_string_equal(image_sniff((const unsigned char *)"\xff\xd8\xff\xe0", 4),
			    "image/jpeg");
	assert_string_equal(image_sniff((const unsigned char *)"GIF89a..", 8), "image/gif");
	assert_string_equal(image_sniff((const unsigned char *)"GIF87a", 6), "image/gif");
	assert_string_equal(image_sniff((const unsigned char *)"RIFF\x10\0\0\0WEBPVP8 ", 16),
			    "image/webp");
	assert_null(image_sniff((const unsigned char *)"\x89PNG\r\n\x1a", 7)); /* cut short */
	assert_null(image_sniff((const unsigned char *)"RIFF\x10\0\0\0WAVE", 12));
	assert_null(image_sniff((const unsigned char *)"GIF90a", 6));
	assert_null(image_sniff((const unsigned char *)"BM\0\0", 4)); /* BMP: not taken */
	assert_null(image_sniff((const unsigned char *)"", 0));
}

static void test_check_and_encode(void **state)
{
	um_image im;
	um_error err = {0};
	char *b64, *bytes, want[65];
	char *p = put("chart.webp", "\x89PNG\r\n\x1a\nabc", 11); /* named .webp, is a PNG */

	(void)state;
	assert_int_equal(image_check(p, &im, &err), 0);
	assert_string_equal(im.media_type, "image/png");
	assert_int_equal(im.size, 11);
	um_sha256_hex("\x89PNG\r\n\x1a\nabc", 11, want);
	assert_string_equal(im.sha256, want);
	assert_int_equal(image_base64(&im, &b64, &bytes, &err), 0);
	assert_string_equal(b64, "iVBORw0KGgphYmM=");
	assert_memory_equal(bytes, "\x89PNG\r\n\x1a\nabc", 11);
	free(b64);
	free(bytes);
	free(put("chart.webp", "\x89PNG\r\n\x1a\nabd", 11)); /* changed since the check */
	assert_int_equal(image_base64(&im, &b64, NULL, &err), -1);
	assert_int_equal(err.code, UM_ERR_PIN);
	assert_non_null(strstr(err.msg, "changed since the suite was loaded"));
	image_release(&im);
	free(p);
}

static void test_garbage(void **state)
{
	um_image im;
	um_error err = {0};
	char *p = put("notes.png", "just some text\n", 15), *big;
	FILE *f;

	(void)state;
	assert_int_equal(image_check(p, &im, &err), -1);
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_non_null(strstr(err.msg, "not a PNG, JPEG, GIF or WebP file"));
	free(p);
	p = put("empty.gif", "", 0);
	assert_int_equal(image_check(p, &im, &err), -1);
	free(p);
	p = um_xasprintf("%s/nothing.png", dir);
	assert_int_equal(image_check(p, &im, &err), -1);
	assert_int_equal(err.code, UM_ERR_IO);
	free(p);
	assert_int_equal(image_check(dir, &im, &err), -1); /* a directory */
	assert_int_equal(err.code, UM_ERR_IO);
	big = put("big.png", "\x89PNG\r\n\x1a\n", 8);
	f = fopen(big, "r+b");
	assert_int_equal(ftruncate(fileno(f), (off_t)UM_IMAGE_MAX_BYTES + 1), 0); /* sparse */
	fclose(f);
	assert_int_equal(image_check(big, &im, &err), -1);
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_non_null(strstr(err.msg, "more than the 20 MiB"));
	unlink(big);
	free(big);
}

static void test_data_url(void **state)
{
	um_image im;
	um_error err = {0};
	char *b64, *bytes, want[65];

	(void)state;
	assert_int_equal(image_from_data_url("data:image/png;base64,iVBORw0KGgphYmM=", 38, &im,
					     &err), 0);
	assert_null(im.path);
	assert_string_equal(im.media_type, "image/png");
	assert_int_equal(im.size, 11);
	um_sha256_hex("\x89PNG\r\n\x1a\nabc", 11, want);
	assert_string_equal(im.sha256, want); /* as the same bytes from a file */
	assert_int_equal(image_base64(&im, &b64, &bytes, &err), 0);
	assert_string_equal(b64, "iVBORw0KGgphYmM=");
	assert_memory_equal(bytes, "\x89PNG\r\n\x1a\nabc", 11);
	free(b64);
	free(bytes);
	image_release(&im);
	assert_null(im.bytes);
	/* len bounds the URL: the rest is not read */
	assert_int_equal(image_from_data_url("data:image/png;base64,iVBORw0KGgphYmM=", 35, &im,
					     &err), -1);
	assert_non_null(strstr(err.msg, "not a multiple of 4"));
	assert_int_equal(image_from_data_url("data:image/webp;base64,iVBORw0KGgphYmM=", 39, &im,
					     &err), -1);
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_non_null(strstr(err.msg, "declared image/webp but its bytes are image/png"));
	assert_int_equal(image_from_data_url("data:;base64,", 13, &im, &err), -1);
	assert_int_equal(image_from_data_url("", 0, &im, &err), -1);
	assert_non_null(strstr(err.msg, "not of the form"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_check_and_encode),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_data_url),
	};
	const char *t = getenv("TMPDIR");
	int rc;

	snprintf(dir, sizeof(dir), "%s/umpire-image-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	{
		char *cmd = um_xasprintf("rm -rf '%s'", dir);
		if (system(cmd) != 0)
			rc = rc ? rc : 1;
		free(cmd);
	}
	return rc;
}
