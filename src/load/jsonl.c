/*
 * jsonl.c - walking JSON lines (see jsonl.h).
 */
#include "load/jsonl.h"

#include <string.h>

int jsonl_each(const char *source, const char *data, size_t len, const char *what, jsonl_fn fn,
	       void *ctx, um_error *err)
{
	const char *p = data, *end = data + len;
	int line = 0;

	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p), k;
		json_error_t je;
		json_t *o;
		int rc;

		line++;
		if (n && p[n - 1] == '\r')
			n--;
		for (k = 0; k < n && (p[k] == ' ' || p[k] == '\t'); k++)
			;
		if (k < n) {
			o = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
			if (!o)
				return um_fail_at(err, UM_ERR_SYNTAX, source, line,
						  je.column > 0 ? je.column : 0, "invalid JSON: %s",
						  je.text);
			if (!json_is_object(o)) {
				json_decref(o);
				return um_fail_at(err, UM_ERR_INVALID, source, line, 1,
						  "expected a JSON object (%s) on each line", what);
			}
			rc = fn(ctx, p, n, line, o, err);
			json_decref(o);
			if (rc < 0)
				return -1;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}
