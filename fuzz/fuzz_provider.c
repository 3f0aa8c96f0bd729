/* fuzz_provider.c - response bodies of every provider family, as a server
 * could send them, and the error-message reader. */
#include <stdlib.h>
#include <string.h>

#include "exec/provider.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const um_provider provs[] = {UM_PROV_OPENAI, UM_PROV_ANTHROPIC, UM_PROV_AZURE,
					    UM_PROV_GEMINI, UM_PROV_BEDROCK};
	char *body = malloc(size + 1);
	size_t i;

	memcpy(body, data, size);
	body[size] = '\0'; /* the engine's bodies are NUL-terminated */
	for (i = 0; i < sizeof(provs) / sizeof(provs[0]); i++) {
		um_completion c;
		um_error err = {0};

		memset(&c, 0, sizeof(c));
		provider_parse(provs[i], body, size, &c, &err);
		completion_release(&c);
	}
	free(provider_error_message(body, size));
	free(body);
	return 0;
}
