/* fuzz_pylit.c - the strict reader of Python literals (CharXiv's
 * constants.py and get_number_instruction's literals): a module of
 * assignments, then the same bytes as a file holding the function. */
#include "fuzz.h"
#include "load/pylit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pylit_file f = {0};
	um_error err = {0};

	pylit_read_module("fuzz.py", (const char *)data, size, &f, &err);
	pylit_read_function("fuzz.py", (const char *)data, size, "get_number_instruction", "inst",
			    "num_decimal", &f, &err);
	pylit_file_release(&f);
	return 0;
}
