/*
 * image.c - images of suite items: checked by magic bytes and size, named
 * by content hash, encoded for the wire (see image.h).
 */
#include "load/image.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"

const char *image_sniff(const unsigned char *p, size_t n)
{
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return "image/jpeg";
	if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
		return "image/gif";
	if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
		return "image/webp";
	return NULL;
}

/* The file's bytes, refused above the cap before they are read. */
static int image_read(const char *path, char **data, size_t *len, um_error *err)
{
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return um_fail(err, UM_ERR_IO, "image %s: not a readable file", path);
	if ((size_t)st.st_size > UM_IMAGE_MAX_BYTES)
		return um_fail(err, UM_ERR_INVALID, "image %s: %lld bytes, more than the %zu MiB "
			       "an image may have", path, (long long)st.st_size,
			       UM_IMAGE_MAX_BYTES >> 20);
	if (um_read_file(path, data, len, err) < 0)
		return -1;
	if (*len > UM_IMAGE_MAX_BYTES) {
		free(*data);
		return um_fail(err, UM_ERR_INVALID, "image %s: grew past %zu MiB while read",
			       path, UM_IMAGE_MAX_BYTES >> 20);
	}
	return 0;
}

int image_check(const char *path, um_image *out, um_error *err)
{
	char *data;
	size_t len;
	const char *mt;

	memset(out, 0, sizeof(*out));
	if (image_read(path, &data, &len, err) < 0)
		return -1;
	mt = image_sniff((const unsigned char *)data, len);
	if (!mt) {
		free(data);
		return um_fail(err, UM_ERR_INVALID, "image %s: not a PNG, JPEG, GIF or WebP file "
			       "(its first bytes are none of theirs)", path);
	}
	um_sha256_hex(data, len, out->sha256);
	free(data);
	out->path = um_xstrdup(path);
	out->media_type = mt;
	out->size = len;
	return 0;
}

int image_base64(const um_image *im, char **b64, char **bytes, um_error *err)
{
	char *data, sha[65];
	size_t len, cap;

	*b64 = NULL;
	if (bytes)
		*bytes = NULL;
	if (image_read(im->path, &data, &len, err) < 0)
		return -1;
	um_sha256_hex(data, len, sha);
	if (strcmp(sha, im->sha256) != 0) {
		free(data);
		return um_fail(err, UM_ERR_PIN, "image %s changed since the suite was loaded "
			       "(sha256 %s, now %s)", im->path, im->sha256, sha);
	}
	cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	*b64 = um_xmalloc(cap);
	sodium_bin2base64(*b64, cap, (const unsigned char *)data, len,
			  sodium_base64_VARIANT_ORIGINAL);
	if (bytes)
		*bytes = data;
	else
		free(data);
	return 0;
}

void image_release(um_image *im)
{
	free(im->path);
	memset(im, 0, sizeof(*im));
}
