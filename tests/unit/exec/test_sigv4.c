/*
 * test_sigv4.c - AWS Signature Version 4 headers: a request signed at a
 * fixed time gives the signature an independent implementation of AWS's
 * rules (each path segment encoded twice, the security token signed)
 * computes, and inputs it cannot use are refused rather than signed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "exec/sigv4.h"

static const char *const headers[] = {"Content-Type: application/json",
				      "x-amz-security-token: tok", "Accept: */*"};

static void test_known_signature(void **state)
{
	char *date = NULL, *auth = NULL;

	(void)state;
	assert_int_equal(
	    sigv4_sign("aws:amz:us-east-1:bedrock", "AKID:SECRET",
		       "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
		       "anthropic.claude-v1%3A0/converse",
		       headers, 3, "{\"messages\":[]}", 15, INT64_C(1796212800), &date, &auth),
	    0);
	assert_string_equal(date, "x-amz-date: 20261202T120000Z");
	assert_string_equal(auth, "Authorization: AWS4-HMAC-SHA256 "
				  "Credential=AKID/20261202/us-east-1/bedrock/aws4_request, "
				  "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
				  "Signature=ce55a54171d66f56a8cc08913d654475042cbdab22dbc509257ca8327951c501");
	free(date);
	free(auth);
}

static void test_unusable_inputs(void **state)
{
	static const char *const params[] = {"aws:amz:us-east-1:bedrock", "nonsense", "aws:amz:",
					     ""};
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
		cmocka_unit_test(test_unusable_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
