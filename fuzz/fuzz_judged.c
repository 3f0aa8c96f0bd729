/* fuzz_judged.c - judged suites' readers of outside text: the HLE, MRCR and
 * Graphwalks exports and CharXiv's reasoning JSON (load/judged.c), a judge's
 * reply in both formats and a response's stated confidence (grade/judge.c),
 * the answer line and Graphwalks' final-answer list and F1
 * (grade/answer.c). The first byte picks the reader of the rest. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "fuzz.h"
#include "grade/answer.h"
#include "grade/judge.h"
#include "load/dataset.h"
#include "load/judged.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	um_error err = {0};
	um_item *items = NULL;
	size_t n = 0, skipped = 0;
	int *lines = NULL;
	char *text;
	um_judge_verdict v;

	if (size < 1)
		return 0;
	text = um_xmalloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 6) {
	case 0:
		judged_parse_hle("fuzz.jsonl", text, size - 1, data[0] / 6 % 2, &items, &n, &lines,
				 &skipped, &err);
		break;
	case 1:
		judged_parse_mrcr("fuzz.jsonl", text, size - 1, &items, &n, &lines, &err);
		break;
	case 4:
		/* its charts looked for beside a data file that is not there */
		judged_parse_charxiv("fuzz.json", "/nonexistent/data/fuzz.json", text, size - 1,
				     &items, &n, &lines, &err);
		break;
	case 5: {
		json_t *got = answer_graphwalks_list(text), *truth = json_pack("[s, s]", "a", "b");

		(void)answer_graphwalks_f1(got, truth);
		json_decref(got);
		json_decref(truth);
		judged_parse_graphwalks("fuzz.jsonl", text, size - 1, &items, &n, &lines, &err);
		break;
	}
	default:
		memset(&v, 0, sizeof(v));
		judge_parse(data[0] % 6 == 2 ? UM_JUDGE_FIELDS : UM_JUDGE_JSON, text, &v, &err);
		judge_verdict_release(&v);
		(void)judge_stated_confidence(text);
		free(answer_extract(text));
		break;
	}
	dataset_items_free(items, n);
	free(lines);
	free(text);
	return 0;
}
