/*
 * image.h - images that suite items carry (docs/suite.md, "Images"): a file
 * checked when the suite loads (at most UM_IMAGE_MAX_BYTES; PNG, JPEG, GIF
 * or WebP by its magic bytes, whatever its name says) and identified by the
 * SHA-256 of its bytes, read again and base64-encoded when a request is
 * built (image_base64 refuses a file that changed since it was checked).
 * An image may also come inline, as a data URL (HLE's records): its bytes
 * are decoded, checked the same way and kept in memory instead of a path.
 */
#ifndef UMPIRE_IMAGE_H
#define UMPIRE_IMAGE_H

#include <stddef.h>

#include "base/error.h"

#define UM_IMAGE_MAX_BYTES ((size_t)20 << 20) /* 20 MiB: OpenAI's per-image limit */
#define UM_IMAGE_MAX_PER_ITEM 16

typedef struct um_image {
	char *path;             /* resolved; owned; NULL for an in-memory image */
	unsigned char *bytes;   /* an in-memory image's bytes (owned), else NULL */
	const char *media_type; /* image/png | image/jpeg | image/gif | image/webp (static) */
	char sha256[65];        /* of the file's bytes */
	size_t size;            /* bytes */
} um_image;

/* The media type the first bytes announce, or NULL when they are none of the
 * four. */
const char *image_sniff(const unsigned char *p, size_t n);
/* Check the file at path (already resolved) and fill *out (path copied).
 * Errors (UM_ERR_IO, UM_ERR_INVALID) say what is wrong without a place; the
 * caller prefixes where the image was named. */
int image_check(const char *path, um_image *out, um_error *err);
/* Decode a data URL (data:image/<png|jpeg|gif|webp>;base64,<base64>: the
 * strict alphabet, padding and length) into an in-memory image whose
 * declared type must be the one its magic bytes announce, non-empty and at
 * most UM_IMAGE_MAX_BYTES. Errors say why, without a place. */
int image_from_data_url(const char *url, size_t len, um_image *out, um_error *err);
/* The file's bytes as base64 (caller frees *b64), after checking that they
 * still hash to im->sha256 (an in-memory image's bytes are used as kept). With bytes non-NULL the raw bytes are returned
 * too (caller frees). */
int image_base64(const um_image *im, char **b64, char **bytes, um_error *err);
void image_release(um_image *im);

#endif
