/*
 * scitmpl.c - SciCode's prompt template files, read as SciCode reads them
 * (Path.read_text() then str.format with three keyword arguments) and
 * checked so that every template umpire accepts formats in Python to the
 * text umpire sends (scitmpl.h).
 *
 * The brace rules are str.format's: "{{" and "}}" are literal braces, a
 * lone "}" is an error, a "{" opens a field that ends at the "}" closing
 * it (nested braces counted, as Python counts them), and a field must be
 * exactly one of the three names: any other name, a positional field, an
 * attribute, an index, a conversion or a format spec is refused rather
 * than sent differently from Python.
 */
#include "load/scitmpl.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static const char *const sci_fields[] = {"problem_steps_str", "next_step_str", "dependencies"};

/* Fail at the file position of byte off (lines as read_text() counts them,
 * columns in characters). */
static int fail_at(const char *file, const char *t, size_t off, um_error *err, const char *msg)
{
	int line = 1, col = 1;
	size_t i;

	for (i = 0; i < off; i++) {
		if (t[i] == '\n' || (t[i] == '\r' && t[i + 1] != '\n')) {
			line++;
			col = 1;
		} else if (((unsigned char)t[i] & 0xC0) != 0x80 && t[i] != '\r') {
			col++;
		}
	}
	return um_fail_at(err, UM_ERR_INVALID, file, line, col, "%s", msg);
}

/* The index of the field t[0, n) names, or -1. */
static int field_index(const char *t, size_t n)
{
	int i;

	for (i = 0; i < 3; i++)
		if (strlen(sci_fields[i]) == n && memcmp(t, sci_fields[i], n) == 0)
			return i;
	return -1;
}

/* Why field t (NUL-terminated) is refused, Python's own verdict in
 * brackets. New. */
static char *field_refusal(const char *t)
{
	size_t name = strcspn(t, "!:.[");
	size_t i;

	for (i = 0; i < name && t[i] >= '0' && t[i] <= '9'; i++)
		;
	if (i == name)
		return um_xasprintf("a positional field '{%s}': SciCode formats its templates with "
				    "keywords only (Python raises IndexError)", t);
	if (field_index(t, name) >= 0)
		return um_xasprintf("'{%s}' has a conversion, a format spec, an attribute or an "
				    "index: umpire renders only the plain fields "
				    "{problem_steps_str}, {next_step_str} and {dependencies}", t);
	return um_xasprintf("unknown placeholder '{%s}' (known: {problem_steps_str}, "
			    "{next_step_str}, {dependencies}; Python's str.format raises "
			    "KeyError)", t);
}

int scitmpl_literal(const char *t, size_t len, size_t *i, um_buf *out)
{
	char c = t[*i];
	int pair = (c == '{' || c == '}') && *i + 1 < len && t[*i + 1] == c;

	if ((c == '{' || c == '}') && !pair)
		return 0;
	if (out)
		um_buf_putc(out, c);
	*i += pair ? 2 : 1;
	return 1;
}

size_t scitmpl_field_end(const char *t, size_t len, size_t open)
{
	size_t i;
	int depth = 1;

	for (i = open + 1; i < len; i++) {
		if (t[i] == '{')
			depth++;
		else if (t[i] == '}' && --depth == 0)
			return i + 1;
	}
	return 0;
}

/* Walk t as str.format does: literal bytes and escaped braces into out (when
 * not NULL), fields as vals[field]; *seen gets a bit per field used. */
static int walk(const char *file, const char *t, size_t len, um_buf *out,
		const char *const *vals, unsigned *seen, um_error *err)
{
	size_t i = 0, e;
	int f;

	*seen = 0;
	while (i < len) {
		char c = t[i];

		if (scitmpl_literal(t, len, &i, out))
			continue;
		if (c == '}')
			return fail_at(file, t, i, err,
				       "a single '}' (str.format: \"Single '}' encountered in format "
				       "string\"; a literal brace is written '}}')");
		if (!(e = scitmpl_field_end(t, len, i)))
			return fail_at(file, t, i, err,
				       "a '{' that no '}' closes (str.format: \"expected '}' before "
				       "end of string\"; a literal brace is written '{{')");
		f = field_index(t + i + 1, e - i - 2);
		if (f < 0) {
			char *name = um_xstrndup(t + i + 1, e - i - 2 > 60 ? 60 : e - i - 2);
			char *why = field_refusal(name);
			int rc = fail_at(file, t, i, err, why);

			free(why);
			free(name);
			return rc;
		}
		*seen |= 1u << f;
		if (out)
			um_buf_puts(out, vals[f] ? vals[f] : "");
		i = e;
	}
	return 0;
}

int scitmpl_check(const char *file, const char *text, size_t len, um_error *err)
{
	size_t i, n;
	uint32_t cp;
	unsigned seen = 0;

	if (len > SCITMPL_MAX_BYTES)
		return um_fail(err, UM_ERR_INVALID,
			       "%s: %zu bytes, more than a prompt template's %u", file, len,
			       SCITMPL_MAX_BYTES);
	for (i = 0; i < len; i += n) {
		if (text[i] == '\0')
			return fail_at(file, text, i, err, "a NUL byte: not a text file");
		if (!(n = um_utf8_seq((const unsigned char *)text + i, len - i, &cp)))
			return fail_at(file, text, i, err, "not UTF-8 text");
	}
	if (walk(file, text, len, NULL, NULL, &seen, err) < 0)
		return -1;
	if (!(seen & 2u))
		return um_fail_at(err, UM_ERR_INVALID, file, 1, 1,
				  "the template has no {next_step_str}: the step asked would not "
				  "reach the model");
	return 0;
}

char *scitmpl_text(const char *bytes, size_t len)
{
	char *t = um_xcalloc(len + 1, 1);
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (bytes[i] == '\r') {
			t[o++] = '\n';
			if (i + 1 < len && bytes[i + 1] == '\n')
				i++;
		} else {
			t[o++] = bytes[i];
		}
	}
	return t;
}

char *scitmpl_render(const char *text, const char *prev, const char *next, const char *deps,
		     um_error *err)
{
	const char *vals[3] = {prev, next, deps};
	um_buf b = UM_BUF_INIT;
	unsigned seen = 0;

	um_buf_init(&b, 0);
	if (walk("template", text, strlen(text), &b, vals, &seen, err) < 0) {
		um_buf_release(&b);
		return NULL;
	}
	return um_buf_detach(&b);
}

void scitmpl_yaml_quote(um_buf *b, const char *bytes, size_t len)
{
	size_t i, n;
	uint32_t cp = 0;

	um_buf_putc(b, '"');
	for (i = 0; i < len; i += n) {
		unsigned char c = (unsigned char)bytes[i];

		n = 1;
		if (c == '"' || c == '\\')
			um_buf_printf(b, "\\%c", c);
		else if (c == '\n')
			um_buf_puts(b, "\\n");
		else if (c == '\t')
			um_buf_puts(b, "\\t");
		else if (c == '\r')
			um_buf_puts(b, "\\r");
		else if (c >= 0x20 && c < 0x7F)
			um_buf_putc(b, (char)c);
		else if (c < 0x80)
			um_buf_printf(b, "\\x%02X", c);
		else if ((n = um_utf8_seq((const unsigned char *)bytes + i, len - i, &cp)) == 0)
			n = 1; /* never reached with checked bytes: dropped */
		else
			um_buf_printf(b, cp > 0xFFFF ? "\\U%08lX" : "\\u%04lX", (unsigned long)cp);
	}
	um_buf_putc(b, '"');
}
