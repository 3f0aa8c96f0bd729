/*
 * jpath.c - dotted-path getters over jansson objects (see jpath.h). Shared by
 * the report and routing renderers, whose markdown is built from their JSON
 * documents only.
 */
#include "base/jpath.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

const json_t *jpath_get(const json_t *o, const char *path)
{
	char key[64];
	const char *dot;

	while (o && (dot = strchr(path, '.'))) {
		size_t n = (size_t)(dot - path);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		o = json_object_get(o, key);
		path = dot + 1;
	}
	return o ? json_object_get(o, path) : NULL;
}

const char *jpath_str(const json_t *o, const char *path)
{
	const char *s = json_string_value(jpath_get(o, path));
	return s ? s : "-";
}

int jpath_num(const json_t *o, const char *path, double *v)
{
	const json_t *x = jpath_get(o, path);

	if (!json_is_number(x))
		return 0;
	*v = json_number_value(x);
	return 1;
}

long long jpath_int(const json_t *o, const char *path)
{
	return (long long)json_integer_value(jpath_get(o, path));
}

const json_t *jpath_pointer(const json_t *root, const char *ptr)
{
	const json_t *cur = root;
	const char *p = ptr;

	if (!*p)
		return root;
	while (cur && *p == '/') {
		const char *e = strchr(p + 1, '/');
		size_t n = e ? (size_t)(e - p - 1) : strlen(p + 1);
		char *tok = um_xmalloc(n + 1), *w = tok;
		size_t i;

		for (i = 0; i < n; i++) {
			char ch = p[1 + i];
			if (ch == '~' && i + 1 < n && (p[2 + i] == '0' || p[2 + i] == '1')) {
				*w++ = p[2 + i] == '0' ? '~' : '/';
				i++;
			} else {
				*w++ = ch;
			}
		}
		*w = '\0';
		if (json_is_object(cur)) {
			cur = json_object_get(cur, tok);
		} else if (json_is_array(cur)) {
			char *end;
			unsigned long idx = strtoul(tok, &end, 10);
			cur = (*tok && !*end) ? json_array_get(cur, idx) : NULL;
		} else {
			cur = NULL;
		}
		free(tok);
		p = e ? e : p + 1 + n;
	}
	return *p ? NULL : cur;
}

void jpath_append_strings(um_buf *b, const json_t *arr, const char *sep)
{
	const json_t *v;
	size_t i;
	int first = 1;

	json_array_foreach(arr, i, v) {
		if (!json_is_string(v))
			continue;
		if (!first)
			um_buf_puts(b, sep);
		um_buf_puts(b, json_string_value(v));
		first = 0;
	}
}
