/* fuzz_sign.c - public keys and signatures as a bundle could carry them:
 * the input is split at its first newline-newline into a key text and a
 * signature text, verified over a fixed message. */
#include <stdlib.h>
#include <string.h>

#include "audit/sign.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *sep, *sig = NULL;
	um_pubkey pub;
	um_error err = {0};

	memcpy(text, data, size);
	text[size] = '\0';
	sep = strstr(text, "\n\n");
	if (sep) {
		*sep = '\0';
		sig = sep + 2;
	}
	if (sign_pubkey_parse("fuzz.pub", text, &pub, &err) == 0 && sig) {
		char *trusted = NULL;

		sign_verify(&pub, "message", 7, "fuzz.minisig", sig, &trusted, &err);
		free(trusted);
	}
	free(text);
	return 0;
}
