/* fuzz_toml.c - the TOML reader (task.toml of terminal tasks). */
#include <jansson.h>

#include "fuzz.h"
#include "load/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	um_error err = {0};
	json_t *pos = NULL;
	json_t *v = toml_parse("fuzz.toml", (const char *)data, size, &pos, &err);

	json_decref(v);
	json_decref(pos);
	return 0;
}
