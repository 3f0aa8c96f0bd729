/* fuzz_swe_logs.c - every test-log parser of the repository-repair grader
 * (the logs come out of the sandbox, written by the agent's code). */
#include "fuzz.h"
#include "grade/swe_grade.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *log = (const char *)data;
	swe_results r;
	um_error err = {0};
	int d;

#define RUN(call)                                                                            \
	do {                                                                                 \
		swe_results_init(&r);                                                        \
		(void)(call);                                                                \
		swe_results_release(&r);                                                     \
	} while (0)
	RUN(swe_parse_pytest(log, size, &r));
	for (d = 0; d <= SWE_DIALECT_ANSIBLE; d++)
		RUN(swe_parse_pytest_dialect(log, size, (swe_dialect)d, &r));
	RUN(swe_parse_go_test(log, size, &r));
	RUN(swe_parse_go_test_json(log, size, &r));
	RUN(swe_parse_jest_json(log, size, &r));
	RUN(swe_parse_tap(log, size, &r));
	RUN(swe_parse_command_output(log, size, &r, &err));
	RUN(swe_parse_mocha_json(log, size, &r));
	RUN(swe_parse_ospec(log, size, &r));
#undef RUN
	return 0;
}
