/*
 * test_cpjudge.c - LiveCodeBench Pro's extraction (the last ```cpp block
 * holding #include, else the code around the last `int main(` with the
 * #include lines above it) and the token comparison used without a checker.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grade/cpjudge.h"

static void expect_extract(const char *text, const char *want)
{
	char *got = cpjudge_extract(text);

	if (!want) {
		if (got)
			fail_msg("extracted \"%s\", wanted nothing", got);
		return;
	}
	if (!got || strcmp(got, want) != 0)
		fail_msg("extracted \"%s\", wanted \"%s\"", got ? got : "(nothing)", want);
	free(got);
}

static void test_extract(void **state)
{
	(void)state;
	expect_extract("Here:\n```cpp\n#include <cstdio>\nint main() {}\n```\n",
		       "#include <cstdio>\nint main() {}");
	/* the last block holding #include, searched from the end */
	expect_extract("```cpp\n#include <a>\nfirst\n```\ntext\n```cpp\n#include <b>\nsecond\n```\n"
		       "```cpp\nint helper();\n```\n",
		       "#include <b>\nsecond");
	/* a fence must open a line and be tagged cpp; the language tag line may trail blanks */
	expect_extract("```cpp   \n#include <x>\nint main(){}\n```", "#include <x>\nint main(){}");
	expect_extract("``` cpp\n#include <x>\n```\n", NULL);
	/* no fenced block: the last main, braces matched, the includes above it */
	expect_extract("Solution:\n#include <cstdio>\n#include <vector>\nusing namespace std;\n"
		       "int main() { if (1) { puts(\"x\"); } return 0; } trailing words",
		       "#include <cstdio>\n#include <vector>\nusing namespace std;\n"
		       "int main() { if (1) { puts(\"x\"); } return 0; }");
	expect_extract("```python\nprint(1)\n```\n", NULL);
	expect_extract("int main() { return 0; }", NULL); /* no #include anywhere */
	expect_extract("", NULL);
	expect_extract(NULL, NULL);
	/* an unbalanced main runs to the end */
	expect_extract("#include <x>\nint  main (void) { {", "#include <x>\nint  main (void) { {");
}

static void test_tokens(void **state)
{
	char why[128];

	(void)state;
	assert_true(cpjudge_tokens_match("1 2\n3\n", 6, "1\n2 3", 5, why, sizeof(why)));
	assert_true(cpjudge_tokens_match("", 0, " \n", 2, why, sizeof(why)));
	assert_false(cpjudge_tokens_match("1 2", 3, "1 3", 3, why, sizeof(why)));
	assert_string_equal(why, "token 2: got '2', expected '3'");
	assert_false(cpjudge_tokens_match("1", 1, "1 2", 3, why, sizeof(why)));
	assert_string_equal(why, "token 2: the output ends early");
	assert_false(cpjudge_tokens_match("1.0", 3, "1", 1, why, sizeof(why))); /* exact tokens */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract),
		cmocka_unit_test(test_tokens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
