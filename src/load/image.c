/*
 * image.c - images of suite items: checked by magic bytes and size, named
 * by content hash, encoded for the wire (see image.h); files, or data URLs
 * decoded into memory.
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

static const char *const url_types[] = {"image/png", "image/jpeg", "image/gif", "image/webp",
					NULL};

/* The declared media type of data:<type>;base64,<payload> (static), with
 * *payload set; NULL when the URL is not of that form or the type unknown. */
static const char *data_url_type(const char *url, size_t len, const char **payload,
				 const char **why)
{
	const char *comma = memchr(url, ',', len);
	size_t i, tl;

	*why = "not of the form data:<media type>;base64,<data>";
	if (len < 5 || memcmp(url, "data:", 5) != 0 || !comma || comma - url < 12 ||
	    memcmp(comma - 7, ";base64", 7) != 0)
		return NULL;
	tl = (size_t)(comma - 7 - (url + 5));
	*payload = comma + 1;
	*why = "media type not image/png, image/jpeg, image/gif or image/webp";
	for (i = 0; url_types[i]; i++)
		if (strlen(url_types[i]) == tl && memcmp(url + 5, url_types[i], tl) == 0)
			return url_types[i];
	return NULL;
}

int image_from_data_url(const char *url, size_t len, um_image *out, um_error *err)
{
	const char *why, *b64 = NULL, *mt = data_url_type(url, len, &b64, &why), *sniffed;
	size_t n, got = 0;
	unsigned char *bin;

	memset(out, 0, sizeof(*out));
	if (!mt)
		return um_fail(err, UM_ERR_INVALID, "image data URL: %s", why);
	n = len - (size_t)(b64 - url);
	if (n == 0)
		return um_fail(err, UM_ERR_INVALID, "image data URL: no data after the comma");
	if (n % 4 != 0)
		return um_fail(err, UM_ERR_INVALID, "image data URL: base64 of %zu characters, "
			       "not a multiple of 4 (padding missing or data cut)", n);
	if (n / 4 * 3 - (b64[n - 1] == '=') - (b64[n - 2] == '=') > UM_IMAGE_MAX_BYTES)
		return um_fail(err, UM_ERR_INVALID, "image data URL: more than the %zu MiB an "
			       "image may have", UM_IMAGE_MAX_BYTES >> 20);
	bin = um_xmalloc(n / 4 * 3);
	if (sodium_base642bin(bin, n / 4 * 3, b64, n, NULL, &got, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(bin);
		return um_fail(err, UM_ERR_INVALID, "image data URL: not valid base64 (a character "
			       "outside A-Z a-z 0-9 + /, or misplaced '=' padding)");
	}
	sniffed = image_sniff(bin, got);
	if (sniffed != mt) {
		free(bin);
		return um_fail(err, UM_ERR_INVALID, "image data URL: declared %s but its bytes %s%s",
			       mt, sniffed ? "are " : "are not a PNG, JPEG, GIF or WebP",
			       sniffed ? sniffed : "");
	}
	um_sha256_hex((const char *)bin, got, out->sha256);
	out->bytes = bin;
	out->media_type = mt;
	out->size = got;
	return 0;
}

/* The image's bytes: a copy of an in-memory image's, or the file's read
 * again and checked against the hash taken when it was loaded. */
static int image_bytes(const um_image *im, char **data, size_t *len, um_error *err)
{
	char sha[65];

	if (im->bytes) {
		*data = um_xmalloc(im->size ? im->size : 1);
		memcpy(*data, im->bytes, im->size);
		*len = im->size;
		return 0;
	}
	if (image_read(im->path, data, len, err) < 0)
		return -1;
	um_sha256_hex(*data, *len, sha);
	if (strcmp(sha, im->sha256) != 0) {
		free(*data);
		return um_fail(err, UM_ERR_PIN, "image %s changed since the suite was loaded "
			       "(sha256 %s, now %s)", im->path, im->sha256, sha);
	}
	return 0;
}

int image_base64(const um_image *im, char **b64, char **bytes, um_error *err)
{
	char *data;
	size_t len, cap;

	*b64 = NULL;
	if (bytes)
		*bytes = NULL;
	if (image_bytes(im, &data, &len, err) < 0)
		return -1;
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
	free(im->bytes);
	memset(im, 0, sizeof(*im));
}
