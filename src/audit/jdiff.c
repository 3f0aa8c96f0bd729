/*
 * jdiff.c - recursive JSON comparison with paths (see jdiff.h).
 */
#include "audit/jdiff.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static void line(um_buf *out, size_t *count, size_t max, const char *path, const json_t *a,
		 const json_t *b)
{
	char *sa, *sb;

	if ((*count)++ >= max)
		return;
	sa = a ? json_dumps(a, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	sb = b ? json_dumps(b, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (sa && strlen(sa) > 200)
		strcpy(sa + 197, "...");
	if (sb && strlen(sb) > 200)
		strcpy(sb + 197, "...");
	um_buf_printf(out, "%s: expected %s, got %s\n", *path ? path : "(root)",
		      sa ? sa : "(absent)", sb ? sb : "(absent)");
	free(sa);
	free(sb);
}

static void walk(const json_t *a, const json_t *b, const char *path, um_buf *out,
		 size_t *count, size_t max)
{
	if (a && b && json_typeof(a) == JSON_OBJECT && json_typeof(b) == JSON_OBJECT) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)a, k, v) {
			char *p = um_xasprintf("%s%s%s", path, *path ? "." : "", k);
			walk(v, json_object_get(b, k), p, out, count, max);
			free(p);
		}
		json_object_foreach((json_t *)b, k, v) {
			if (!json_object_get(a, k)) {
				char *p = um_xasprintf("%s%s%s", path, *path ? "." : "", k);
				line(out, count, max, p, NULL, v);
				free(p);
			}
		}
		return;
	}
	if (a && b && json_typeof(a) == JSON_ARRAY && json_typeof(b) == JSON_ARRAY) {
		size_t i, na = json_array_size(a), nb = json_array_size(b);
		for (i = 0; i < na || i < nb; i++) {
			char *p = um_xasprintf("%s[%zu]", path, i);
			walk(i < na ? json_array_get(a, i) : NULL, i < nb ? json_array_get(b, i) : NULL,
			     p, out, count, max);
			free(p);
		}
		return;
	}
	if (!a || !b || !json_equal((json_t *)a, (json_t *)b))
		line(out, count, max, path, a, b);
}

size_t jdiff(const json_t *expected, const json_t *got, um_buf *out, size_t max)
{
	size_t count = 0;

	walk(expected, got, "", out, &count, max);
	return count;
}
