/*
 * sigv4.c - AWS Signature Version 4 for one HTTP request (the Bedrock
 * calls), computed for every try so the signed date is always fresh.
 *
 * Why not libcurl's CURLOPT_AWS_SIGV4: libcurl (7.88 as in Debian 12, and
 * later) puts the request path into the canonical request as it is sent,
 * but every AWS service except S3 encodes each path segment a second time
 * there. Bedrock's model ids hold a ':' (sent as %3A), so libcurl's
 * signature never matches on a real model id. The steps below follow the
 * SigV4 documentation:
 *
 *   canonical request = method \n canonical path \n canonical query \n
 *                       canonical headers \n signed headers \n sha256(body)
 *   canonical path    = each segment of the sent path percent-encoded again
 *   string to sign    = "AWS4-HMAC-SHA256" \n date \n scope \n sha256(creq)
 *   key               = HMAC chain over date, region, service, "aws4_request"
 *
 * The signed headers are host, x-amz-date and, when the request carries
 * them, content-type and x-amz-security-token. Hashes and MACs are
 * libsodium's SHA-256 and HMAC-SHA-256. tests/unit/exec/test_sigv4.c signs
 * the POST cases of AWS's published SigV4 test suite (tests/fixtures/sigv4).
 */
#include "exec/sigv4.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "base/util.h"

static void sigv4_hmac(const unsigned char *key, size_t klen, const char *msg,
		       unsigned char out[32])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, klen);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, strlen(msg));
	crypto_auth_hmacsha256_final(&st, out);
}

/* Percent-encodes s (n bytes) for the canonical request: unreserved
 * characters stay, every other byte becomes %XX (upper-case). */
static void sigv4_encode(um_buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~')
			um_buf_putc(b, (char)c);
		else
			um_buf_printf(b, "%%%02X", c);
	}
}

/* The canonical path: each '/'-separated segment of the sent path encoded again. */
static void sigv4_canonical_path(um_buf *b, const char *path)
{
	const char *p = path && *path ? path : "/";

	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		sigv4_encode(b, p, n);
		if (!e)
			break;
		um_buf_putc(b, '/');
		p = e + 1;
	}
}

/* The value of header `name` among lines "Name: value", trimmed, or NULL. */
static const char *sigv4_header(const char *const *headers, int n, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	int i;

	for (i = 0; i < n; i++) {
		const char *h = headers[i], *v;

		if (strncasecmp(h, name, nl) != 0 || h[nl] != ':')
			continue;
		v = h + nl + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		*len = strlen(v);
		while (*len && (v[*len - 1] == ' ' || v[*len - 1] == '\t'))
			(*len)--;
		return v;
	}
	return NULL;
}

/* host[:port] and the path and query of url, as the request carries them. */
static int sigv4_url_parts(const char *url, char **host, char **path, char **query)
{
	CURLU *h = curl_url();
	char *hv = NULL, *pv = NULL, *qv = NULL, *port = NULL;
	int rc = -1;

	*host = *path = *query = NULL;
	if (!h)
		return -1;
	if (curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_HOST, &hv, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_PATH, &pv, 0) == CURLUE_OK) {
		curl_url_get(h, CURLUPART_QUERY, &qv, 0);
		curl_url_get(h, CURLUPART_PORT, &port, 0); /* only when the URL says one */
		*host = port ? um_xasprintf("%s:%s", hv, port) : um_xstrdup(hv);
		*path = um_xstrdup(pv);
		*query = um_xstrdup(qv ? qv : "");
		rc = 0;
	}
	curl_free(hv);
	curl_free(pv);
	curl_free(qv);
	curl_free(port);
	curl_url_cleanup(h);
	return rc;
}

/* The canonical request's headers part and the signed-header list. */
static void sigv4_canonical_headers(um_buf *creq, um_buf *signed_h, const char *ctype,
				    size_t ctype_len, const char *host, const char *amz_date,
				    const char *token, size_t token_len)
{
	if (ctype) {
		um_buf_printf(creq, "content-type:%.*s\n", (int)ctype_len, ctype);
		um_buf_puts(signed_h, "content-type;");
	}
	um_buf_printf(creq, "host:%s\nx-amz-date:%s\n", host, amz_date);
	um_buf_puts(signed_h, "host;x-amz-date");
	if (token) {
		um_buf_printf(creq, "x-amz-security-token:%.*s\n", (int)token_len, token);
		um_buf_puts(signed_h, ";x-amz-security-token");
	}
}

int sigv4_sign(const char *param, const char *userpwd, const char *url, const char *const *headers,
	       int n_headers, const char *body, size_t body_len, int64_t now_s, char **date_header,
	       char **auth_header)
{
	char region[64], service[64], *host, *path, *query, amz_date[17], day[9], hex[65];
	const char *colon = userpwd ? strchr(userpwd, ':') : NULL, *ctype, *token;
	unsigned char hash[32], k[32], k2[32];
	um_buf creq = UM_BUF_INIT, signed_h = UM_BUF_INIT, sts = UM_BUF_INIT;
	size_t ctype_len = 0, token_len = 0;
	time_t t = (time_t)now_s;
	struct tm tm;
	char *secret_key;

	*date_header = *auth_header = NULL;
	if (!param || sscanf(param, "aws:amz:%63[^:]:%63s", region, service) != 2 || !colon ||
	    sigv4_url_parts(url, &host, &path, &query) < 0)
		return -1;
	ctype = sigv4_header(headers, n_headers, "content-type", &ctype_len);
	token = sigv4_header(headers, n_headers, "x-amz-security-token", &token_len);
	gmtime_r(&t, &tm);
	strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm);
	memcpy(day, amz_date, 8);
	day[8] = '\0';

	um_buf_init(&creq, 0);
	um_buf_init(&signed_h, 0);
	um_buf_init(&sts, 0);
	um_buf_puts(&creq, "POST\n");
	sigv4_canonical_path(&creq, path);
	um_buf_printf(&creq, "\n%s\n", query);
	sigv4_canonical_headers(&creq, &signed_h, ctype, ctype_len, host, amz_date, token,
				token_len);
	um_sha256_hex(body ? body : "", body_len, hex);
	um_buf_printf(&creq, "\n%s\n%s", um_buf_str(&signed_h), hex);

	um_sha256_hex(um_buf_str(&creq), creq.len, hex);
	um_buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amz_date, day,
		      region, service, hex);

	secret_key = um_xasprintf("AWS4%s", colon + 1);
	sigv4_hmac((const unsigned char *)secret_key, strlen(secret_key), day, k);
	sodium_memzero(secret_key, strlen(secret_key));
	free(secret_key);
	sigv4_hmac(k, 32, region, k2);
	sigv4_hmac(k2, 32, service, k);
	sigv4_hmac(k, 32, "aws4_request", k2);
	sigv4_hmac(k2, 32, um_buf_str(&sts), hash);
	sodium_memzero(k, sizeof(k));
	sodium_memzero(k2, sizeof(k2));
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));

	*date_header = um_xasprintf("x-amz-date: %s", amz_date);
	*auth_header = um_xasprintf("Authorization: AWS4-HMAC-SHA256 Credential=%.*s/%s/%s/%s/"
				    "aws4_request, SignedHeaders=%s, Signature=%s",
				    (int)(colon - userpwd), userpwd, day, region, service,
				    um_buf_str(&signed_h), hex);
	um_buf_release(&creq);
	um_buf_release(&signed_h);
	um_buf_release(&sts);
	free(host);
	free(path);
	free(query);
	return 0;
}
