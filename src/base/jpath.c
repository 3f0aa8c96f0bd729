/*
 * jpath.c - dotted-path getters over jansson objects (see jpath.h). Shared by
 * the report and routing renderers, whose markdown is built from their JSON
 * documents only.
 */
#include "base/jpath.h"

#include <string.h>

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
