/*
 * test_sigv4.c - AWS Signature Version 4 headers: a request signed at a
 * fixed time gives the signature an independent implementation of AWS's
 * rules (each path segment encoded twice, the security token signed)
 * computes, the POST cases of AWS's published test suite
 * (tests/fixtures/sigv4: NAME.req signed gives NAME.authz), and inputs it
 * cannot use are refused rather than signed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "exec/sigv4.h"

static const char *const headers[] = {"Content-Type: application/json", "x-amz-security-token: tok",
				      "Accept: */*"};

static void test_known_signature(void **state)
{
	char *date = NULL, *auth = NULL;

	(void)state;
	assert_int_equal(sigv4_sign("aws:amz:us-east-1:bedrock", "AKID:SECRET",
				    "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
				    "anthropic.claude-v1%3A0/converse",
				    headers, 3, "{\"messages\":[]}", 15, INT64_C(1796212800), &date,
				    &auth),
			 0);
	assert_string_equal(date, "x-amz-date: 20261202T120000Z");
	assert_string_equal(
	    auth, "Authorization: AWS4-HMAC-SHA256 "
		  "Credential=AKID/20261202/us-east-1/bedrock/aws4_request, "
		  "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
		  "Signature=ce55a54171d66f56a8cc08913d654475042cbdab22dbc509257ca8327951c501");
	free(date);
	free(auth);
}

/* Signs the suite's request NAME.req (request line, "Name:value" lines, a
 * blank line, the body) at the suite's time with its credentials and
 * compares the Authorization header with NAME.authz. */
static void check_vector(const char *name)
{
	char *path, *req = NULL, *authz = NULL, *date = NULL, *auth = NULL, *url, *hdrs[8];
	char target[256], *line, *body, *save = NULL, *host = NULL;
	size_t len, alen;
	int n = 0;
	um_error err;

	path = um_xasprintf("%s/sigv4/%s.req", FIXTURES, name);
	assert_int_equal(um_read_file(path, &req, &len, &err), 0);
	free(path);
	path = um_xasprintf("%s/sigv4/%s.authz", FIXTURES, name);
	assert_int_equal(um_read_file(path, &authz, &alen, &err), 0);
	free(path);
	while (alen && authz[alen - 1] == '\n')
		authz[--alen] = '\0';
	body = strstr(req, "\n\n");
	assert_non_null(body);
	*body = '\0';
	body += 2;
	line = strtok_r(req, "\n", &save);
	assert_int_equal(sscanf(line, "POST %255s HTTP/1.1", target), 1);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		char *colon = strchr(line, ':');

		assert_non_null(colon);
		*colon = '\0';
		if (strcasecmp(line, "host") == 0)
			host = colon + 1;
		else if (strcasecmp(line, "x-amz-date") == 0)
			assert_string_equal(colon + 1, "20150830T123600Z");
		else {
			assert_true(n < 8);
			hdrs[n++] = um_xasprintf("%s: %s", line, colon + 1);
		}
	}
	assert_non_null(host);
	url = um_xasprintf("https://%s%s", host, target);
	assert_int_equal(sigv4_sign("aws:amz:us-east-1:service",
				    "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", url,
				    (const char *const *)hdrs, n, body, strlen(body),
				    INT64_C(1440938160), &date, &auth),
			 0);
	assert_string_equal(date, "x-amz-date: 20150830T123600Z");
	assert_string_equal(auth + strlen("Authorization: "), authz);
	while (n > 0)
		free(hdrs[--n]);
	free(url);
	free(date);
	free(auth);
	free(req);
	free(authz);
}

static void test_aws_suite(void **state)
{
	(void)state;
	check_vector("post-vanilla");
	check_vector("post-vanilla-query");
	check_vector("post-x-www-form-urlencoded");
}

static void test_unusable_inputs(void **state)
{
	static const char *const params[] = {"aws:amz:us-east-1:bedrock", "nonsense",
					     "aws:amz:", ""};
	static const char *const users[] = {"AKID:S", "no-colon", NULL};
	static const char *const urls[] = {"https://h.example/p", "not a url", "", "https://"};
	size_t i, j, k;

	(void)state;
	for (i = 0; i < sizeof(params) / sizeof(*params); i++)
		for (j = 0; j < sizeof(users) / sizeof(*users); j++)
			for (k = 0; k < sizeof(urls) / sizeof(*urls); k++) {
				char *date = NULL, *auth = NULL;
				int rc = sigv4_sign(params[i], users[j], urls[k], headers, 1, "", 0,
						    0, &date, &auth);

				assert_int_equal(rc, i == 0 && j == 0 && k == 0 ? 0 : -1);
				assert_true(rc == 0 ? date && auth : !date && !auth);
				free(date);
				free(auth);
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_signature),
	    cmocka_unit_test(test_aws_suite),
	    cmocka_unit_test(test_unusable_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
