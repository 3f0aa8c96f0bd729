/*
 * ymlemit.c - the suite-file YAML writer shared by the importers (see
 * ymlemit.h). Output goes into an um_buf through libyaml's output callback.
 */
#include "base/ymlemit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"

static int ymlemit_write(void *data, unsigned char *buf, size_t n)
{
	return um_buf_append(&((ymlemit *)data)->out, buf, n) == 0;
}

void ymlemit_begin(ymlemit *w, unsigned flags, const char *header_fmt, ...)
{
	yaml_event_t ev;
	va_list ap;

	memset(w, 0, sizeof(*w));
	w->flags = flags;
	um_buf_init(&w->out, 0);
	if (header_fmt) {
		va_start(ap, header_fmt);
		um_buf_vprintf(&w->out, header_fmt, ap);
		va_end(ap);
	}
	yaml_emitter_initialize(&w->em);
	yaml_emitter_set_output(&w->em, ymlemit_write, w);
	yaml_emitter_set_unicode(&w->em, 1);
	yaml_emitter_set_width(&w->em, -1);
	yaml_emitter_set_indent(&w->em, 2);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ymlemit_emit(w, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	ymlemit_emit(w, &ev);
}

char *ymlemit_end(ymlemit *w)
{
	yaml_event_t ev;

	yaml_document_end_event_initialize(&ev, 1);
	ymlemit_emit(w, &ev);
	yaml_stream_end_event_initialize(&ev);
	ymlemit_emit(w, &ev);
	yaml_emitter_flush(&w->em);
	yaml_emitter_delete(&w->em);
	if (w->bad) {
		um_buf_release(&w->out);
		return NULL;
	}
	return um_buf_detach(&w->out);
}

void ymlemit_emit(ymlemit *w, yaml_event_t *ev)
{
	if (!yaml_emitter_emit(&w->em, ev))
		w->bad = 1;
}

int ymlemit_plain_ok(const char *s, unsigned flags)
{
	static const char *const reserved[] = {"true", "false", "yes", "no",  "on", "off",
					       "null", "y",	"n",   "nan", "inf"};
	size_t i;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '/' ||
	      (s[0] == '.' && s[1] == '.') ||
	      ((flags & YMLEMIT_PLAIN_DOTSLASH) && s[0] == '.' && s[1] == '/')))
		return 0;
	if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-") !=
	    strlen(s))
		return 0;
	for (i = 0; i < UM_ARRAY_LEN(reserved); i++)
		if (!strcasecmp(s, reserved[i]))
			return 0;
	return 1;
}

void ymlemit_str(ymlemit *w, const char *s)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
				     ymlemit_plain_ok(s, w->flags)
					 ? YAML_PLAIN_SCALAR_STYLE
					 : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	ymlemit_emit(w, &ev);
}

void ymlemit_int(ymlemit *w, long long v)
{
	char b[32];
	yaml_event_t ev;

	snprintf(b, sizeof(b), "%lld", v);
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)b, (int)strlen(b), 1, 1,
				     YAML_PLAIN_SCALAR_STYLE);
	ymlemit_emit(w, &ev);
}

void ymlemit_bool(ymlemit *w, int v)
{
	yaml_event_t ev;
	const char *s = v ? "true" : "false";

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
				     YAML_PLAIN_SCALAR_STYLE);
	ymlemit_emit(w, &ev);
}

void ymlemit_kv(ymlemit *w, const char *k, const char *v)
{
	ymlemit_str(w, k);
	ymlemit_str(w, v);
}

void ymlemit_map(ymlemit *w, int start, int flow)
{
	yaml_event_t ev;

	if (start)
		yaml_mapping_start_event_initialize(
		    &ev, NULL, NULL, 1, flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
	else
		yaml_mapping_end_event_initialize(&ev);
	ymlemit_emit(w, &ev);
}

void ymlemit_seq(ymlemit *w, int start, int flow)
{
	yaml_event_t ev;

	if (start)
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						     flow ? YAML_FLOW_SEQUENCE_STYLE
							  : YAML_BLOCK_SEQUENCE_STYLE);
	else
		yaml_sequence_end_event_initialize(&ev);
	ymlemit_emit(w, &ev);
}

void ymlemit_list(ymlemit *w, const char *key, char *const *v, size_t n)
{
	size_t i;

	ymlemit_str(w, key);
	ymlemit_seq(w, 1, n == 0);
	for (i = 0; i < n; i++)
		ymlemit_str(w, v[i]);
	ymlemit_seq(w, 0, n == 0);
}
