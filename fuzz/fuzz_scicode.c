/* fuzz_scicode.c - scicode suites' readers of outside text: SciCode's
 * release JSONL (load/sciset.c), then each problem's prompt texts and test
 * scripts built from it, and a model's answer through SciCode's code
 * extraction and a header through the function-name rule
 * (grade/scicode.c), and a prompt template in SciCode's file format
 * (load/scitmpl.c): checked, rendered, and quoted into YAML, which must
 * read back to its bytes. The first byte picks the reader of the rest. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "fuzz.h"
#include "grade/scicode.h"
#include "load/dataset.h"
#include "load/sciset.h"
#include "load/scitmpl.h"
#include "load/yml.h"

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

/* A template that passes the check renders, and its YAML quoting reads
 * back to the same bytes (the stored scaffold's template_text). */
static void template_round_trip(const char *bytes, size_t len)
{
	um_error err = {0};
	um_buf b = UM_BUF_INIT;
	char *text, *out;
	yml_doc *d;

	if (scitmpl_check("fuzz.txt", bytes, len, &err) < 0)
		return;
	text = scitmpl_text(bytes, len);
	out = scitmpl_render(text, "{p}", "}n{", "d", &err);
	if (!out)
		abort();
	free(out);
	free(text);
	um_buf_init(&b, 0);
	um_buf_puts(&b, "t: ");
	scitmpl_yaml_quote(&b, bytes, len);
	um_buf_putc(&b, '\n');
	d = yml_load_buffer("fuzz.yaml", um_buf_str(&b), strlen(um_buf_str(&b)), &err);
	if (!d || strlen(yml_get(d->root, "t")->scalar) != len ||
	    memcmp(yml_get(d->root, "t")->scalar, bytes, len) != 0)
		abort();
	yml_doc_free(d);
	um_buf_release(&b);
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
	switch (data[0] % 4) {
	case 0:
		if (sciset_parse("fuzz.jsonl", text, size - 1, &items, &n, &lines, &err) == 0)
			build_all(items, n);
		break;
	case 1:
		free(scicode_extract(text));
		break;
	case 3:
		template_round_trip(text, size - 1);
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
