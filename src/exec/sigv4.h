/*
 * sigv4.h - AWS Signature Version 4 headers for one POST (sigv4.c says why
 * umpire signs itself rather than through CURLOPT_AWS_SIGV4).
 */
#ifndef UMPIRE_SIGV4_H
#define UMPIRE_SIGV4_H

#include <stddef.h>
#include <stdint.h>

/* param: "aws:amz:REGION:SERVICE"; userpwd: "ACCESS_KEY_ID:SECRET"; the
 * request's URL, header lines (Content-Type and any x-amz-security-token
 * are signed), body, and the time in seconds since the epoch (UTC). Sets
 * "x-amz-date: ..." and "Authorization: AWS4-HMAC-SHA256 ..." header lines
 * (caller frees). Returns 0, or -1 when param, userpwd or url is unusable. */
int sigv4_sign(const char *param, const char *userpwd, const char *url, const char *const *headers,
	       int n_headers, const char *body, size_t body_len, int64_t now_s, char **date_header,
	       char **auth_header);

#endif
