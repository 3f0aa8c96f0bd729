/* fuzz_code.c - code suites' readers of outside text: an answer's program as
 * LiveCodeBench Pro's extraction finds it and as LiveCodeBench's does
 * (grade/cpjudge.c, grade/code.c), LiveCodeBench Pro's problem rows
 * (load/lcbpro.c, with no test directory: every row that parses stops at
 * its directory) and a program's output against an answer by tokens. The
 * first byte picks the reader of the rest. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "fuzz.h"
#include "grade/code.h"
#include "grade/cpjudge.h"
#include "load/codeset.h"
#include "load/lcbpro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	um_error err = {0};
	um_item *items = NULL;
	size_t n = 0, half;
	int *lines = NULL;
	char *text, why[128];

	if (size < 1)
		return 0;
	text = um_xmalloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0:
		free(cpjudge_extract(text));
		free(code_extract(text));
		break;
	case 1:
		lcbpro_parse("fuzz.jsonl", text, size - 1, "/nonexistent", &items, &n, &lines, &err);
		break;
	default:
		half = (size - 1) / 2;
		(void)cpjudge_tokens_match(text, half, text + half, size - 1 - half, why, sizeof(why));
		break;
	}
	codeset_items_free(items, n);
	free(lines);
	free(text);
	return 0;
}
