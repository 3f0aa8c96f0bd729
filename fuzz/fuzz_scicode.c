/* fuzz_scicode.c - scicode suites' readers of outside text: SciCode's
 * release JSONL (load/sciset.c), then each problem's prompt texts and test
 * scripts built from it, and a model's answer through SciCode's code
 * extraction and a header through the function-name rule
 * (grade/scicode.c). The first byte picks the reader of the rest. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "fuzz.h"
#include "grade/scicode.h"
#include "load/dataset.h"
#include "load/sciset.h"

/* Every step's prompt texts and script over the reference code. */
static void build_all(const um_item *items, size_t n)
{
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		const um_sci_item *c = items[i].sci;
		const char **code = um_xcalloc((size_t)c->n_steps, sizeof(char *));

		for (k = 0; k < c->n_steps; k++)
			code[k] = c->steps[k].gold;
		for (k = 0; k < c->n_steps; k++) {
			char *prev, *next, *script;

			scicode_prompt_parts(c, k, code, k % 2, &prev, &next);
			script = scicode_test_script(c, k, code, "/work/test_data.h5");
			free(prev);
			free(next);
			free(script);
		}
		free(code);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	um_error err = {0};
	um_item *items = NULL;
	size_t n = 0;
	int *lines = NULL;
	char *text;

	if (size < 1)
		return 0;
	text = um_xmalloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0:
		if (sciset_parse("fuzz.jsonl", text, size - 1, &items, &n, &lines, &err) == 0)
			build_all(items, n);
		break;
	case 1:
		free(scicode_extract(text));
		break;
	default:
		free(scicode_function_name(text));
		break;
	}
	dataset_items_free(items, n);
	free(lines);
	free(text);
	return 0;
}
