/* fuzz_yml.c - the YAML loader (pre-scan, libyaml, the strict tree) and the
 * three loaders built on it: models, scaffold. */
#include <stdlib.h>

#include "fuzz.h"
#include "load/models.h"
#include "load/scaffold.h"
#include "load/yml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	um_error err = {0};
	yml_doc *d = yml_load_buffer("fuzz.yaml", (const char *)data, size, &err);
	um_models *m = NULL;
	um_scaffold *s = NULL;

	yml_doc_free(d);
	if (models_load_buffer("fuzz.yaml", (const char *)data, size, UM_MODELS_DEFER_ENV, &m,
			       &err) == 0)
		models_free(m);
	if (scaffold_load_buffer("fuzz.yaml", (const char *)data, size, &s, &err) == 0)
		scaffold_free(s);
	return 0;
}
