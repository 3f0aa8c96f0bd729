/*
 * test_scaffold.c - scaffold loading and its errors (with file:line:col),
 * template rendering (choices, labels, letters), and answer extraction
 * (first/last, normalisation, no match, lower case, invalid patterns).
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "load/cxprompt.h"
#include "load/scaffold.h"
#include "base/util.h"

#define FIX(name) FIXTURES "/scaffold/" name
#define SHIPPED(name) FIXTURES "/../../scaffolds/" name

static void assert_msg(const um_error *err, const char *needle)
{
	if (!strstr(err->msg, needle))
		fail_msg("message '%s' lacks '%s'", err->msg, needle);
}

static char *dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
}

/* Load a scaffold from text, expecting failure; returns the message. */
static void load_fails(const char *text, const char *needle)
{
	um_error err = {0};
	um_scaffold *s = (um_scaffold *)1;

	if (scaffold_load_buffer("s.yaml", text, strlen(text), &s, &err) == 0)
		fail_msg("accepted: %s", text);
	assert_null(s);
	assert_msg(&err, needle);
}

static um_scaffold *load_ok(const char *text)
{
	um_error err = {0};
	um_scaffold *s = NULL;

	if (scaffold_load_buffer("s.yaml", text, strlen(text), &s, &err) < 0)
		fail_msg("rejected: %s", err.msg);
	return s;
}

#define HEAD "umpire: 1\nname: t\nkind: mcq\n"
#define MSGS "messages:\n  - role: user\n    content: \"{{question}}\"\n"
#define EXTRACT "extract:\n  pattern: 'Answer: ([A-D])'\n"

static void test_load_good(void **state)
{
	um_error err = {0};
	um_scaffold *s = NULL;
	char *data = NULL, *j;
	size_t len = 0;
	char hex[65];

	(void)state;
	assert_int_equal(scaffold_load(FIX("good.yaml"), &s, &err), 0);
	assert_string_equal(s->name, "test-scaffold");
	assert_string_equal(s->kind, "mcq");
	assert_string_equal(s->labels, "ABCD");
	assert_string_equal(s->choice_format, "{{label}}) {{ text }}");
	assert_int_equal(s->n_messages, 2);
	assert_string_equal(s->messages[0].role, "system");
	assert_string_equal(s->messages[0].content, "You answer {{category}} questions.");
	assert_string_equal(s->messages[1].role, "user");
	j = dump(s->params);
	assert_string_equal(j, "{\"logprobs\":false,\"max_tokens\":512,\"stop\":[\"\\n\\n\"],"
			       "\"temperature\":0.7}");
	free(j);
	assert_true(json_is_integer(json_object_get(s->params, "max_tokens")));
	assert_true(json_is_real(json_object_get(s->params, "temperature")));
	assert_int_equal(s->extract.occurrence, UM_OCC_FIRST);
	assert_int_equal(s->extract.normalize, UM_NORM_STRIP_UPPER);
	assert_non_null(s->extract.code);
	assert_int_equal(um_read_file(FIX("good.yaml"), &data, &len, &err), 0);
	assert_int_equal(strlen(s->text), len);
	assert_memory_equal(s->text, data, len);
	um_sha256_hex(data, len, hex);
	assert_string_equal(s->sha256, hex);
	assert_string_equal(s->path, FIX("good.yaml"));
	free(data);
	scaffold_free(s);
}

static void test_load_shipped(void **state)
{
	um_error err = {0};
	um_scaffold *s = NULL;
	char *j;

	(void)state;
	assert_int_equal(scaffold_load(SHIPPED("mcq.yaml"), &s, &err), 0);
	j = dump(s->params);
	assert_string_equal(j, "{\"max_tokens\":2048,\"seed\":1234,\"temperature\":0,\"top_p\":1}");
	free(j);
	assert_true(json_is_integer(json_object_get(s->params, "temperature")));
	assert_int_equal(s->extract.occurrence, UM_OCC_LAST);
	assert_int_equal(s->extract.normalize, UM_NORM_UPPER);
	assert_string_equal(s->choice_format, "({{label}}) {{text}}");
	assert_int_equal(s->n_messages, 1);
	scaffold_free(s);

	assert_int_equal(scaffold_load(SHIPPED("mcq-first-match.yaml"), &s, &err), 0);
	assert_int_equal(s->extract.occurrence, UM_OCC_FIRST);
	assert_string_equal(s->extract.pattern, "(?i)Answer[ \\t]*:[ \\t]*\\$?([A-D])\\$?");
	scaffold_free(s);
}

static void test_defaults(void **state)
{
	um_scaffold *s;

	(void)state;
	s = load_ok(HEAD MSGS "params: {}\n" EXTRACT);
	assert_string_equal(s->labels, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	assert_string_equal(s->choice_format, "({{label}}) {{text}}");
	assert_int_equal(s->extract.occurrence, UM_OCC_LAST);
	assert_int_equal(s->extract.normalize, UM_NORM_NONE);
	assert_int_equal(json_object_size(s->params), 0);
	scaffold_free(s);
}

static void test_error_files(void **state)
{
	static const struct {
		const char *file, *needle;
		um_err code;
	} cases[] = {
	    {"bad-syntax.yaml",
	     "bad-syntax.yaml:8:1: found unexpected end of stream "
	     "(while scanning a quoted scalar)",
	     UM_ERR_SYNTAX},
	    {"unknown-key.yaml",
	     "unknown-key.yaml:10:3: unknown key 'occurence' in extract "
	     "(allowed: pattern, occurrence, normalize)",
	     UM_ERR_INVALID},
	    {"wrong-type.yaml",
	     "wrong-type.yaml:7:9: 'params' must be a mapping, got a "
	     "sequence",
	     UM_ERR_INVALID},
	    {"missing-field.yaml", "missing-field.yaml:1:1: missing required key 'extract'",
	     UM_ERR_INVALID},
	    {"unknown-var.yaml",
	     "unknown-var.yaml:10:33: messages[0].content: unknown "
	     "template variable 'optoins'",
	     UM_ERR_INVALID},
	    {"bad-regex.yaml",
	     "bad-regex.yaml:10:12: 'pattern' is not a valid PCRE2 regular "
	     "expression: missing closing parenthesis at offset 14",
	     UM_ERR_INVALID},
	};
	size_t i;

	(void)state;
	for (i = 0; i < UM_ARRAY_LEN(cases); i++) {
		um_error err = {0};
		um_scaffold *s = NULL;
		char *full = um_xasprintf("%s%s", FIX(""), cases[i].file);

		assert_int_equal(scaffold_load(full, &s, &err), -1);
		assert_null(s);
		assert_int_equal(err.code, cases[i].code);
		assert_msg(&err, cases[i].needle);
		free(full);
	}
}


/* Kind code: LiveCodeBench's prompt, {{format}} from one of two texts. */
static void test_code_kind(void **state)
{
	um_scaffold *s = NULL;
	um_error err = {0};
	um_vars v = {0};
	char *out = NULL;
	const char *head = "umpire: 1\nname: c\nkind: code\n";
	const char *msgs = "messages:\n  - {role: user, content: \"{{question}}{{format}}\"}\n"
			   "params: {}\n";
	char *text;

	(void)state;
	assert_int_equal(scaffold_load(SHIPPED("livecodebench.yaml"), &s, &err), 0);
	assert_string_equal(s->kind, "code");
	assert_int_equal(s->n_messages, 2);
	assert_string_equal(s->messages[0].role, "system");
	um_vars_set(&v, "starter_code", "class Solution:\n    def f(self):\n        ");
	assert_int_equal(scaffold_render_text(s->code_with_starter, &v, &out, &err), 0);
	assert_string_equal(out, "### Format: You will use the following starter code to write the "
				 "solution to the problem and enclose your code within delimiters.\n"
				 "```python\nclass Solution:\n    def f(self):\n        \n```\n\n");
	free(out);
	assert_non_null(strstr(s->code_without_starter, "Read the inputs from stdin"));
	scaffold_free(s);

	text = um_xasprintf("%s%s", head, msgs);
	load_fails(text, "s.yaml:1:1: a code scaffold needs 'code' (with_starter, without_starter)");
	free(text);
	text = um_xasprintf("%scode: {with_starter: a}\n%s", head, msgs);
	load_fails(text, "missing required key 'without_starter'");
	free(text);
	text = um_xasprintf("%scode: {with_starter: \"{{question}}\", without_starter: b}\n%s", head,
			    msgs);
	load_fails(text, "code.with_starter");
	free(text);
	text = um_xasprintf("%scode: {with_starter: a, without_starter: b, other: c}\n%s", head, msgs);
	load_fails(text, "unknown key 'other' in code");
	free(text);
	text = um_xasprintf("%scode: {with_starter: a, without_starter: b}\nextract: {pattern: x}\n%s",
			    head, msgs);
	load_fails(text, "'extract' does not belong to a code scaffold");
	free(text);
	text = um_xasprintf("%scode: {with_starter: a, without_starter: b}\n"
			    "messages:\n  - {role: user, content: \"{{choices}}\"}\nparams: {}\n",
			    head);
	load_fails(text, "choices");
	free(text);
	load_fails("umpire: 1\nname: m\nkind: mcq\ncode: {with_starter: a, without_starter: b}\n",
		   "s.yaml:4:7: 'code' belongs to code scaffolds");
}

/* kind scicode: the demo's shipped scaffold over umpire's variables; the
 * scicode block, its variables and the keys it refuses. */
static void test_scicode_kind(void **state)
{
	um_scaffold *s = NULL;
	um_error err = {0};
	um_vars v = {0};
	json_t *m;
	const char *c;
	const char *head = "umpire: 1\nname: c\nkind: scicode\n";
	const char *msgs = "messages:\n  - {role: user, content: \"{{next_step}}{{previous_steps}}\"}\n"
			   "params: {}\n";
	char *text;

	(void)state;
	um_vars_set(&v, "previous_steps", "PREV");
	um_vars_set(&v, "next_step", "NEXT");
	um_vars_set(&v, "dependencies", "DEPS");
	assert_int_equal(scaffold_load(SHIPPED("scicode-demo.yaml"), &s, &err), 0);
	assert_string_equal(s->kind, "scicode");
	assert_int_equal(s->sci_background, 0);
	assert_int_equal(s->n_messages, 1);
	assert_null(s->sci_template_file);
	m = scaffold_render_messages(s, &v, &err);
	c = json_string_value(json_object_get(json_array_get(m, 0), "content"));
	assert_non_null(strstr(c, "PREVIOUS STEPS DESCRIPTION:\nPREV\n\nNEXT STEP - PROBLEM "));
	assert_non_null(strstr(c, "function.\n\nNEXT\n\nDEPENDENCIES:\n"));
	assert_non_null(strstr(c, "in your code.\nDEPS\n\nRESPONSE GUIDELINES:"));
	assert_int_equal(strncmp(c, "PROBLEM DESCRIPTION:\n", 21), 0);
	assert_string_equal(c + strlen(c) - 5, "\n```\n");
	json_decref(m);
	scaffold_free(s);

	text = um_xasprintf("%s%s", head, msgs);
	load_fails(text, "s.yaml:1:1: a scicode scaffold needs 'scicode' (background: true or false)");
	free(text);
	text = um_xasprintf("%sscicode: {background: maybe}\n%s", head, msgs);
	load_fails(text, "s.yaml:4:23: 'background' must be true or false, got 'maybe'");
	free(text);
	text = um_xasprintf("%sscicode: {background: true, other: 1}\n%s", head, msgs);
	load_fails(text, "unknown key 'other' in scicode");
	free(text);
	text = um_xasprintf("%sscicode: {background: true}\nextract: {pattern: x}\n%s", head, msgs);
	load_fails(text, "s.yaml:5:10: 'extract' does not belong to a scicode scaffold");
	free(text);
	text = um_xasprintf("%sscicode: {background: false}\n"
			    "messages:\n  - {role: user, content: \"{{question}}\"}\nparams: {}\n",
			    head);
	load_fails(text, "question");
	free(text);
	load_fails("umpire: 1\nname: m\nkind: mcq\nscicode: {background: true}\n",
		   "s.yaml:4:10: 'scicode' belongs to scicode scaffolds");
}

/* kind scicode with scicode.template_file: SciCode's file format read
 * as str.format reads it, its bytes in the stored text and the sha256. */
static char sci_dir[] = "/tmp/umpire-scitmpl-XXXXXX";

static void sci_write(const char *name, const char *data, size_t len)
{
	char *p = um_xasprintf("%s/%s", sci_dir, name);
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	free(p);
}

/* Load s.yaml of sci_dir naming template file tpl; NULL with *err. */
static um_scaffold *sci_load(const char *tpl, um_error *err)
{
	char *y = um_xasprintf("umpire: 1\nname: f\nkind: scicode\n"
			       "scicode: {background: false, template_file: %s}\nparams: {}\n", tpl);
	char *p = um_xasprintf("%s/s.yaml", sci_dir);
	um_scaffold *s = NULL;

	sci_write("s.yaml", y, strlen(y));
	if (scaffold_load(p, &s, err) < 0)
		s = NULL;
	free(y);
	free(p);
	return s;
}

static void sci_fails(const char *bytes, size_t len, const char *needle)
{
	um_error err = {0};

	sci_write("bad.txt", bytes, len);
	if (sci_load("bad.txt", &err))
		fail_msg("accepted template: %s", bytes);
	assert_msg(&err, needle);
}

static void test_scicode_template_file(void **state)
{
	const char *tpl = "Steps:\r\n{problem_steps_str}\r\nNow: {next_step_str}\rUse {dependencies}; "
			  "{{literal}} }} \xc3\xa9 \xf0\x9f\x98\x80\n";
	um_error err = {0};
	um_scaffold *s, *r = NULL;
	um_vars v = {0};
	json_t *m;
	char sha[65];
	int i;

	(void)state;
	assert_non_null(mkdtemp(sci_dir));
	sci_write("tpl.txt", tpl, strlen(tpl));
	s = sci_load("tpl.txt", &err);
	if (!s)
		fail_msg("%s", err.msg);
	um_vars_set(&v, "previous_steps", "P {x}");
	um_vars_set(&v, "next_step", "N");
	um_vars_set(&v, "dependencies", "D");
	m = scaffold_render_messages(s, &v, &err);
	assert_int_equal(json_array_size(m), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "role")), "user");
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "content")),
			    "Steps:\nP {x}\nNow: N\nUse D; {literal} } \xc3\xa9 \xf0\x9f\x98\x80\n");
	json_decref(m);
	/* the stored text holds the bytes, and is what is hashed */
	assert_non_null(strstr(s->text, "\ntemplate_text: \"Steps:\\r\\n{problem_steps_str}"));
	um_sha256_hex(s->text, strlen(s->text), sha);
	assert_string_equal(sha, s->sha256);
	/* it loads again without the file, to the same hash and message */
	assert_int_equal(scaffold_load_buffer("elsewhere/scaffold.yaml", s->text, strlen(s->text),
					      &r, &err), 0);
	assert_string_equal(r->sha256, s->sha256);
	assert_string_equal(r->messages[0].content, s->messages[0].content);
	scaffold_free(r);
	scaffold_free(s);
	/* another template, another sha256 for the same scaffold file */
	sci_write("tpl.txt", "{next_step_str}", 15);
	s = sci_load("tpl.txt", &err);
	assert_non_null(s);
	assert_string_not_equal(s->sha256, sha);
	scaffold_free(s);

	assert_null(sci_load("missing.txt", &err));
	assert_msg(&err, "/s.yaml:4:45: scicode.template_file: ");
	assert_msg(&err, "missing.txt");
	assert_null(sci_load(".", &err));
	assert_msg(&err, "scicode.template_file: ");
	sci_fails("a\nb{next_step_str}\0x", 20, "bad.txt:2:17: a NUL byte");
	sci_fails("{next_step_str}\n\xff", 17, "bad.txt:2:1: not UTF-8 text");
	sci_fails("{next_step_str}\n  {prompt}", 26,
		  "bad.txt:2:3: unknown placeholder '{prompt}' (known: {problem_steps_str}");
	sci_fails("{next_step_str} }", 17, "bad.txt:1:17: a single '}'");
	sci_fails("{next_step_str} {dependencies", 29, "bad.txt:1:17: a '{' that no '}' closes");
	sci_fails("{next_step_str} {}", 18, "bad.txt:1:17: a positional field '{}'");
	sci_fails("{next_step_str!r}", 17, "bad.txt:1:1: '{next_step_str!r}' has a conversion");
	sci_fails("{problem_steps_str} only", 24, "bad.txt:1:1: the template has no {next_step_str}");
	sci_fails("", 0, "the template has no {next_step_str}");
	load_fails("umpire: 1\nname: c\nkind: scicode\nscicode: {background: false, template_file: t}\n"
		   "messages:\n  - {role: user, content: x}\nparams: {}\n",
		   "s.yaml:6:3: 'messages' and scicode.template_file both give the prompt");
	load_fails("umpire: 1\nname: c\nkind: scicode\nscicode: {background: false}\n"
		   "template_text: x\nparams: {}\n",
		   "s.yaml:5:16: 'template_text' is the stored copy");
	load_fails("umpire: 1\nname: c\nkind: scicode\nscicode: {background: false, template_file: t}\n"
		   "template_text: \"{nope}\"\nparams: {}\n", "unknown placeholder '{nope}'");
	for (i = 0; i < 3; i++) {
		char *p = um_xasprintf("%s/%s", sci_dir, (const char *[]){"s.yaml", "tpl.txt",
									  "bad.txt"}[i]);
		unlink(p);
		free(p);
	}
	rmdir(sci_dir);
}

static void test_agent_kind(void **state)
{
	um_scaffold *s = NULL;
	um_error err = {0};
	const char *base = "umpire: 1\nname: a\nkind: agent\n"
			   "messages:\n  - {role: user, content: \"{{instruction}}\"}\n"
			   "params: {temperature: 0, max_tokens: 100}\n"
			   "tools:\n  bash: {description: run}\n  submit: {description: done}\n";
	char *text;

	(void)state;
	assert_int_equal(scaffold_load(SHIPPED("terminal-agent.yaml"), &s, &err), 0);
	assert_string_equal(s->kind, "agent");
	assert_int_equal(json_array_size(s->tools), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(s->tools, 0), "name")),
			    "bash");
	assert_int_equal(s->agent.turns, 40);
	assert_true(s->agent.cost_micro == 5000000);
	assert_true(s->agent.output_limit_bytes == 16384);
	scaffold_free(s);

	/* limits are part of identical conditions: required */
	load_fails(base, "needs 'limits'");
	text = um_xasprintf("%slimits: {turns: 3, total_tokens: 1000, cost_usd: 0.5, wall_s: 60}\n",
			    base);
	assert_int_equal(scaffold_load_buffer("s.yaml", text, strlen(text), &s, &err), 0);
	assert_int_equal(s->agent.command_timeout_s, 120);
	scaffold_free(s);
	free(text);
	/* an mcq variable in an agent template, mcq keys in an agent scaffold */
	load_fails("umpire: 1\nname: a\nkind: agent\nmessages:\n  - {role: user, content: "
		   "\"{{question}}\"}\nparams: {}\ntools:\n  bash: {description: r}\n"
		   "  submit: {description: d}\nlimits: {turns: 3, total_tokens: 9, cost_usd: 1, "
		   "wall_s: 9}\n",
		   "question");
	load_fails("umpire: 1\nname: a\nkind: agent\nlabels: ABCD\nmessages:\n  - {role: user, "
		   "content: x}\nparams: {}\n",
		   "'labels' belongs to mcq scaffolds");
	load_fails("umpire: 1\nname: a\nkind: agent\nmessages:\n  - {role: user, content: x}\n"
		   "params: {}\ntools:\n  bash: {description: r}\nlimits: {turns: 1, "
		   "total_tokens: 9, cost_usd: 1, wall_s: 9}\n",
		   "both bash and submit");
	load_fails("umpire: 1\nname: a\nkind: agent\nmessages:\n  - {role: user, content: x}\n"
		   "params: {}\ntools:\n  bash: {description: r}\n  submit: {description: d}\n"
		   "  python: {description: p}\nlimits: {turns: 1, total_tokens: 9, cost_usd: 1, "
		   "wall_s: 9}\n",
		   "python");
	/* tools in an mcq scaffold */
	load_fails("umpire: 1\nname: a\nkind: mcq\nmessages:\n  - {role: user, content: x}\n"
		   "params: {}\nextract: {pattern: 'x'}\ntools: {}\n",
		   "belong to agent scaffolds");
}

static void test_errors_inline(void **state)
{
	(void)state;
	load_fails("", "s.yaml: empty document");
	load_fails("umpire: 2\n", "s.yaml:1:9: 'umpire' must be 1");
	load_fails(HEAD "params: {}\n" EXTRACT, "s.yaml:1:1: missing required key 'messages'");
	load_fails(HEAD MSGS EXTRACT, "s.yaml:1:1: missing required key 'params'");
	load_fails("umpire: 1\nname: t\nkind: swe\n" MSGS "params: {}\n" EXTRACT,
		   "s.yaml:3:7: 'kind' must be one of: mcq, agent, code, judged, scicode; got 'swe'");
	load_fails("umpire: 1\nname: a b\nkind: mcq\n" MSGS "params: {}\n" EXTRACT,
		   "s.yaml:2:7: 'name' must match");
	load_fails(HEAD "messages: []\nparams: {}\n" EXTRACT,
		   "s.yaml:4:11: 'messages' must hold at least one message");
	load_fails(HEAD "messages:\n  - role: robot\n    content: hi\nparams: {}\n" EXTRACT,
		   "s.yaml:5:11: 'role' must be one of: system, user, assistant; got 'robot'");
	load_fails(HEAD "messages:\n  - role: user\nparams: {}\n" EXTRACT,
		   "s.yaml:5:5: missing required key 'content'");
	load_fails(HEAD "messages:\n  - role: user\n    content: [a]\nparams: {}\n" EXTRACT,
		   "s.yaml:6:14: 'content' must be a string, got a sequence");
	load_fails(HEAD MSGS "params: {model: x}\n" EXTRACT,
		   "s.yaml:7:10: 'params' may not set 'model'");
	load_fails(HEAD MSGS "params: {}\nextract:\n  pattern: 'A'\n  occurrence: middle\n",
		   "s.yaml:10:15: 'occurrence' must be one of: first, last; got 'middle'");
	load_fails(HEAD MSGS "params: {}\nextract:\n  pattern: 'A'\n  normalize: lower\n",
		   "s.yaml:10:14: 'normalize' must be one of: none, upper, strip_upper");
	load_fails(HEAD "labels: AAB\n" MSGS "params: {}\n" EXTRACT,
		   "s.yaml:4:9: 'labels' repeats 'A'");
	load_fails(HEAD "labels: A\n" MSGS "params: {}\n" EXTRACT,
		   "s.yaml:4:9: 'labels' must hold 2 to 26 characters");
	load_fails(HEAD "labels: [A, B]\n" MSGS "params: {}\n" EXTRACT,
		   "s.yaml:4:9: 'labels' must be a string, got a sequence");
	load_fails(HEAD "extra: 1\n" MSGS "params: {}\n" EXTRACT,
		   "s.yaml:4:1: unknown key 'extra' in scaffold (allowed: umpire, name, kind, "
		   "labels, choice_format, messages, params, extract, tools, limits, reasoning, code, "
		   "judge, answer_instructions, scicode, template_text, charxiv, charxiv_text)");
}

static void test_template_errors_positions(void **state)
{
	(void)state;
	/* single-line plain and quoted scalars: the exact column of the tag */
	load_fails(HEAD "messages:\n  - role: user\n    content: Say {{questoin}} now\n"
			"params: {}\n" EXTRACT,
		   "s.yaml:6:18: messages[0].content: unknown template variable 'questoin'");
	load_fails(HEAD "messages:\n  - role: user\n    content: \"Q: {{ nope }}\"\n"
			"params: {}\n" EXTRACT,
		   "s.yaml:6:18: messages[0].content: unknown template variable 'nope'");
	/* an escape before the tag: position not provable, so the scalar's */
	load_fails(HEAD "messages:\n  - role: user\n    content: \"\\tQ: {{nope}}\"\n"
			"params: {}\n" EXTRACT,
		   "s.yaml:6:14: messages[0].content: unknown template variable 'nope'");
	/* malformed tags */
	load_fails(HEAD "messages:\n  - role: user\n    content: |\n      a\n      b {{question\n"
			"params: {}\n" EXTRACT,
		   "s.yaml:8:9: messages[0].content: malformed template tag");
	load_fails(HEAD "messages:\n  - role: user\n    content: 'x {{}}'\n"
			"params: {}\n" EXTRACT,
		   "s.yaml:6:17: messages[0].content: malformed template tag");
	load_fails(HEAD "messages:\n  - role: user\n    content: 'x {{{question}}}'\n"
			"params: {}\n" EXTRACT,
		   "malformed template tag");
	/* second message, letters allowed only in messages */
	load_fails(HEAD "messages:\n  - role: user\n    content: '{{A}} {{Z}}'\n"
			"  - role: assistant\n    content: '{{AB}}'\n"
			"params: {}\n" EXTRACT,
		   "s.yaml:8:15: messages[1].content: unknown template variable 'AB'");
	load_fails(HEAD "choice_format: '{{label}}: {{question}}'\n" MSGS "params: {}\n" EXTRACT,
		   "s.yaml:4:28: choice_format: unknown template variable 'question' "
		   "(known: label, text)");
	load_fails(HEAD "choice_format: '{{A}}'\n" MSGS "params: {}\n" EXTRACT,
		   "unknown template variable 'A'");
}

static void test_render_text(void **state)
{
	um_error err = {0};
	um_vars v = {.n = 0};
	char *out = NULL;

	(void)state;
	um_vars_set(&v, "question", "What is {{choices}}?");
	um_vars_set(&v, "x", "1");
	um_vars_set(&v, "x", "2"); /* replaces */
	assert_int_equal(v.n, 2);
	assert_int_equal(scaffold_render_text("[{{question}}]{{ x }}{{x}}-", &v, &out, &err), 0);
	/* values are inserted verbatim, never rescanned */
	assert_string_equal(out, "[What is {{choices}}?]22-");
	free(out);
	assert_int_equal(scaffold_render_text("no tags { } }}", &v, &out, &err), 0);
	assert_string_equal(out, "no tags { } }}");
	free(out);
	assert_int_equal(scaffold_render_text("", &v, &out, &err), 0);
	assert_string_equal(out, "");
	free(out);
	out = NULL;
	assert_int_equal(scaffold_render_text("a {{missing}}", &v, &out, &err), -1);
	assert_null(out);
	assert_msg(&err, "template variable 'missing' has no value");
	assert_int_equal(scaffold_render_text("a {{x", &v, &out, &err), -1);
	assert_msg(&err, "malformed template tag at offset 2");
	assert_int_equal(scaffold_render_text("{{x y}}", &v, &out, &err), -1);
}

static void test_render_messages_good(void **state)
{
	static const char *const choices[] = {"red", "green", "blue", "a \"quoted\" one"};
	um_error err = {0};
	um_scaffold *s = NULL;
	um_mcq_vars mv;
	json_t *msgs;
	char *j;

	(void)state;
	assert_int_equal(scaffold_load(FIX("good.yaml"), &s, &err), 0);
	assert_int_equal(scaffold_mcq_vars(s, "Which colour?", choices, 4, "Physics", "Optics",
					   "q7", 2, &mv, &err),
			 0);
	assert_string_equal(mv.choices, "A) red\nB) green\nC) blue\nD) a \"quoted\" one");
	assert_string_equal(mv.labels, "ABCD");
	assert_string_equal(mv.label_list, "A, B, C, D");
	msgs = scaffold_render_messages(s, &mv.vars, &err);
	assert_non_null(msgs);
	j = dump(msgs);
	assert_string_equal(j,
			    "[{\"content\":\"You answer Physics questions.\",\"role\":\"system\"},"
			    "{\"content\":\"Question q7 (sample 2, Optics):\\nWhich colour?\\n\\n"
			    "A) red\\nB) green\\nC) blue\\nD) a \\\"quoted\\\" one\\n"
			    "Reply with one of A, B, C, D. B is \\\"green\\\".\\n\","
			    "\"role\":\"user\"}]");
	free(j);
	json_decref(msgs);
	scaffold_mcq_vars_release(&mv);

	/* too many choices for the labels */
	{
		static const char *const five[] = {"1", "2", "3", "4", "5"};

		assert_int_equal(scaffold_mcq_vars(s, "q", five, 5, NULL, NULL, "q9", 0, &mv, &err),
				 -1);
		assert_msg(&err, "item 'q9' has 5 choices");
	}
	scaffold_free(s);
}

static void test_render_shipped_prompt(void **state)
{
	static const char *const choices[] = {"1 m", "2 m", "3 m"};
	um_error err = {0};
	um_scaffold *s = NULL;
	um_mcq_vars mv;
	json_t *msgs;
	const char *content;

	(void)state;
	assert_int_equal(scaffold_load(SHIPPED("mcq.yaml"), &s, &err), 0);
	assert_int_equal(
	    scaffold_mcq_vars(s, "How far?", choices, 3, "Physics", "", "row-1", 0, &mv, &err), 0);
	assert_string_equal(mv.labels, "ABC");
	msgs = scaffold_render_messages(s, &mv.vars, &err);
	assert_non_null(msgs);
	assert_int_equal(json_array_size(msgs), 1);
	content = json_string_value(json_object_get(json_array_get(msgs, 0), "content"));
	assert_string_equal(content,
			    "Answer the following multiple choice question. The last line of your "
			    "response should be of the following format: 'Answer: $LETTER' "
			    "(without quotes) where LETTER is one of ABC. Think step by step "
			    "before answering.\n\nHow far?\n\n(A) 1 m\n(B) 2 m\n(C) 3 m");
	json_decref(msgs);
	scaffold_mcq_vars_release(&mv);

	/* a vars set that lacks a variable the template uses fails at render */
	{
		um_vars v = {.n = 0};

		um_vars_set(&v, "question", "q");
		assert_null(scaffold_render_messages(s, &v, &err));
		assert_msg(&err, "message 1 (user): template variable 'labels' has no value");
	}
	scaffold_free(s);
}

static um_extractor make_x(const char *pattern, um_occurrence occ, um_normalize norm)
{
	um_extractor x;
	um_error err = {0};

	memset(&x, 0, sizeof(x));
	x.pattern = (char *)pattern;
	x.occurrence = occ;
	x.normalize = norm;
	if (extractor_compile(&x, &err) < 0)
		fail_msg("compile: %s", err.msg);
	return x;
}

static void test_extract_first_last(void **state)
{
	const char *text = "I think Answer: B at first.\nOn reflection...\nAnswer: (d)\n";
	um_extractor x =
	    make_x("(?i)Answer[ \\t]*:[ \\t]*\\$?\\(?([A-Z])\\)?", UM_OCC_LAST, UM_NORM_UPPER);
	um_error err = {0};
	char a[64];

	(void)state;
	assert_int_equal(scaffold_extract(&x, text, a, sizeof(a), &err), 1);
	assert_string_equal(a, "D");
	x.occurrence = UM_OCC_FIRST;
	assert_int_equal(scaffold_extract(&x, text, a, sizeof(a), &err), 1);
	assert_string_equal(a, "B");
	/* lower-case answers: kept by none, raised by upper */
	x.normalize = UM_NORM_NONE;
	x.occurrence = UM_OCC_LAST;
	assert_int_equal(scaffold_extract(&x, text, a, sizeof(a), &err), 1);
	assert_string_equal(a, "d");
	/* no match */
	assert_int_equal(scaffold_extract(&x, "The answer is clearly C.", a, sizeof(a), &err), 0);
	assert_string_equal(a, "");
	assert_int_equal(scaffold_extract(&x, "", a, sizeof(a), &err), 0);
	extractor_release(&x);
	assert_null(x.code);
	extractor_release(&x); /* twice is harmless */
}

static void test_extract_shipped_vs_first_match(void **state)
{
	/* the same reply scored by the two shipped extractors */
	const char *reply = "Answer: A looks tempting, but no.\nanswer: $C$\n";
	um_error err = {0};
	um_scaffold *last = NULL, *first = NULL;
	char a[64];

	(void)state;
	assert_int_equal(scaffold_load(SHIPPED("mcq.yaml"), &last, &err), 0);
	assert_int_equal(scaffold_load(SHIPPED("mcq-first-match.yaml"), &first, &err), 0);
	assert_int_equal(scaffold_extract(&last->extract, reply, a, sizeof(a), &err), 1);
	assert_string_equal(a, "C");
	assert_int_equal(scaffold_extract(&first->extract, reply, a, sizeof(a), &err), 1);
	assert_string_equal(a, "A");
	/* bracketed letters: only the neutral extractor reads them */
	assert_int_equal(scaffold_extract(&last->extract, "Answer: (B)", a, sizeof(a), &err), 1);
	assert_string_equal(a, "B");
	assert_int_equal(scaffold_extract(&first->extract, "Answer: (B)", a, sizeof(a), &err), 0);
	/* E is outside simple-evals' A-D */
	assert_int_equal(scaffold_extract(&first->extract, "Answer: E", a, sizeof(a), &err), 0);
	scaffold_free(last);
	scaffold_free(first);
}

static void test_extract_normalize(void **state)
{
	um_extractor x = make_x("Final: (.*)$", UM_OCC_FIRST, UM_NORM_STRIP_UPPER);
	um_error err = {0};
	char a[64];

	(void)state;
	assert_int_equal(scaffold_extract(&x, "Final:  **(b).** ", a, sizeof(a), &err), 1);
	assert_string_equal(a, "B");
	x.normalize = UM_NORM_UPPER;
	assert_int_equal(scaffold_extract(&x, "Final:  **(b).** ", a, sizeof(a), &err), 1);
	assert_string_equal(a, " **(B).** ");
	x.normalize = UM_NORM_NONE;
	assert_int_equal(scaffold_extract(&x, "Final: b.", a, sizeof(a), &err), 1);
	assert_string_equal(a, "b.");
	/* all punctuation: found, but empty after stripping */
	x.normalize = UM_NORM_STRIP_UPPER;
	assert_int_equal(scaffold_extract(&x, "Final: ...", a, sizeof(a), &err), 1);
	assert_string_equal(a, "");
	/* truncated to the buffer, never past it */
	assert_int_equal(scaffold_extract(&x, "Final: abcdefghij", a, 4, &err), 1);
	assert_string_equal(a, "ABC");
	/* a multi-byte character is not cut in half */
	x.normalize = UM_NORM_NONE;
	assert_int_equal(scaffold_extract(&x, "Final: a\xc3\xa9", a, 3, &err), 1);
	assert_string_equal(a, "a");
	extractor_release(&x);
}

static void test_extract_groups_and_edges(void **state)
{
	um_error err = {0};
	char a[64];
	um_extractor x;

	(void)state;
	/* no group: the whole match */
	x = make_x("[A-D]\\b", UM_OCC_LAST, UM_NORM_NONE);
	assert_int_equal(scaffold_extract(&x, "A or B, so D", a, sizeof(a), &err), 1);
	assert_string_equal(a, "D");
	extractor_release(&x);
	/* group 1 that did not take part: that match is not an answer */
	x = make_x("Answer: (?:([A-D])|none)", UM_OCC_LAST, UM_NORM_NONE);
	assert_int_equal(scaffold_extract(&x, "Answer: C then Answer: none", a, sizeof(a), &err),
			 1);
	assert_string_equal(a, "C");
	assert_int_equal(scaffold_extract(&x, "Answer: none", a, sizeof(a), &err), 0);
	extractor_release(&x);
	/* patterns that match the empty string terminate */
	x = make_x("x*", UM_OCC_LAST, UM_NORM_NONE);
	assert_int_equal(scaffold_extract(&x, "ab\xc3\xa9xx", a, sizeof(a), &err), 1);
	assert_string_equal(a, "");
	extractor_release(&x);
	/* invalid UTF-8 in a reply does not stop the search */
	x = make_x("Answer: ([A-D])", UM_OCC_LAST, UM_NORM_NONE);
	assert_int_equal(scaffold_extract(&x, "\xff\xfe junk Answer: B \xc3", a, sizeof(a), &err),
			 1);
	assert_string_equal(a, "B");
	extractor_release(&x);
	/* not compiled */
	memset(&x, 0, sizeof(x));
	x.pattern = (char *)"A";
	assert_int_equal(scaffold_extract(&x, "A", a, sizeof(a), &err), -1);
	assert_int_equal(err.code, UM_ERR_INTERNAL);
}

static void test_extract_catastrophic(void **state)
{
	um_extractor x = make_x("^(a+)+$", UM_OCC_FIRST, UM_NORM_NONE);
	um_error err = {0};
	char text[64], a[8];

	(void)state;
	memset(text, 'a', sizeof(text) - 2);
	text[sizeof(text) - 2] = 'b';
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(scaffold_extract(&x, text, a, sizeof(a), &err), -1);
	assert_msg(&err, "extractor '^(a+)+$' failed: match limit exceeded");
	extractor_release(&x);
}

static void test_extractor_compile_invalid(void **state)
{
	static const char *const bad[] = {
	    "Answer: ([A-D]", "[z-a]", "(?<n>a)(?<n>b)", "a{2,1}", "\\", "(?P<>x)", "*"};
	size_t i;

	(void)state;
	for (i = 0; i < UM_ARRAY_LEN(bad); i++) {
		um_extractor x;
		um_error err = {0};

		memset(&x, 0, sizeof(x));
		x.pattern = (char *)bad[i];
		assert_int_equal(extractor_compile(&x, &err), -1);
		assert_null(x.code);
		assert_msg(&err, "invalid regular expression");
		assert_msg(&err, "at offset");
	}
	{
		um_extractor x;
		um_error err = {0};

		memset(&x, 0, sizeof(x));
		x.pattern = (char *)"Answer: ([A-D]";
		extractor_compile(&x, &err);
		assert_string_equal(err.msg, "invalid regular expression 'Answer: ([A-D]': "
					     "missing closing parenthesis at offset 14");
		x.pattern = NULL;
		assert_int_equal(extractor_compile(&x, &err), -1);
	}
}

static void test_garbage(void **state)
{
	um_rng r;
	char buf[300];
	int round;
	size_t i;
	um_error err = {0};
	um_scaffold *s = NULL;

	(void)state;
	um_rng_seed(&r, 7);
	for (round = 0; round < 200; round++) {
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = round % 2 ? (char)um_rng_below(&r, 256)
					   : "{}[]:-, \n'\"ab{{"[um_rng_below(&r, 16)];
		assert_int_equal(scaffold_load_buffer("g.yaml", buf, sizeof(buf), &s, &err), -1);
		assert_null(s);
		assert_true(um_has_prefix(err.msg, "g.yaml"));
	}
	assert_int_equal(scaffold_load(FIX("absent.yaml"), &s, &err), -1);
	assert_int_equal(err.code, UM_ERR_IO);
}


#define CX_HEAD "umpire: 1\nname: cx\nkind: judged\n"
#define CX_JUDGE "judge: {system: judge, format: json, params: {temperature: 0}}\n"

/* charxiv.source: CharXiv's prompts from the clone (the original fixture),
 * the stored copy with charxiv_text loaded without it, and the keys that
 * may not stand beside it. */
static void test_charxiv(void **state)
{
	char *text = um_xasprintf(CX_HEAD "charxiv: {source: %s/charxiv}\nparams: {seed: 42}\n"
				  CX_JUDGE, FIXTURES);
	um_scaffold *s = load_ok(text), *again;
	char *moved;

	(void)state;
	assert_non_null(s->charxiv);
	assert_int_equal(s->n_messages, 0);
	assert_null(s->judge.prompt);
	assert_string_equal(s->charxiv->resp[3], "{}\n    {}\n    ");
	/* the stored text: the file and the texts it read, hashed together */
	assert_int_equal(strncmp(s->text, text, strlen(text)), 0);
	assert_non_null(strstr(s->text, "\ncharxiv_text:\n  response:\n    text-in-chart: \"{}\\n"));
	{
		char hex[65];

		um_sha256_hex(s->text, strlen(s->text), hex);
		assert_string_equal(s->sha256, hex);
	}
	/* loaded again from the stored text with the clone out of reach */
	moved = um_xasprintf("%.*s/nowhere%s", (int)(strstr(s->text, "/charxiv}") - s->text),
			     s->text, strstr(s->text, "/charxiv}") + 8);
	again = load_ok(moved);
	assert_true(cxprompt_equal(s->charxiv, again->charxiv));
	assert_string_equal(again->text, moved);
	scaffold_free(again);
	free(moved);
	scaffold_free(s);
	free(text);

	load_fails(CX_HEAD "charxiv: {source: /nonexistent/charxiv}\nparams: {}\n" CX_JUDGE,
		   "s.yaml:4:19: charxiv.source: /nonexistent/charxiv/src/constants.py: ");
	load_fails(CX_HEAD "charxiv: {source: ''}\nparams: {}\n" CX_JUDGE,
		   "s.yaml:4:19: 'charxiv.source' must name your clone");
	load_fails(CX_HEAD "charxiv: {src: x}\nparams: {}\n" CX_JUDGE, "unknown key 'src' in charxiv");
	load_fails(CX_HEAD "charxiv: x\nparams: {}\n" CX_JUDGE, "s.yaml:4:10: 'charxiv' must be");
	load_fails(CX_HEAD "charxiv: {source: x}\n" MSGS "params: {}\n" CX_JUDGE,
		   "s.yaml:6:3: 'messages' and charxiv both give the question");
	load_fails(CX_HEAD "charxiv: {source: x}\nanswer_instructions: {a: b}\nparams: {}\n" CX_JUDGE,
		   "s.yaml:5:22: 'answer_instructions' and charxiv both give the question");
	load_fails(CX_HEAD "charxiv: {source: x}\nparams: {}\n"
			   "judge: {system: j, format: json, params: {}, prompt: p}\n",
		   "s.yaml:6:54: 'judge.prompt' and charxiv both give the judge's prompt");
	load_fails(CX_HEAD "charxiv: {source: x}\nparams: {}\n"
			   "judge: {system: j, format: json, params: {}, instructions: {a: b}}\n",
		   "'judge.instructions' and charxiv both give the judge's prompt");
	text = um_xasprintf(CX_HEAD "charxiv: {source: %s/charxiv}\nparams: {}\n"
			    "judge: {system: j, format: fields, params: {}}\n", FIXTURES);
	load_fails(text, "s.yaml:6:28: with charxiv.source the judge replies in CharXiv's JSON");
	free(text);
	load_fails(CX_HEAD MSGS "params: {}\ncharxiv_text: {}\n",
		   "s.yaml:8:15: 'charxiv_text' is the stored copy of what charxiv.source read; it "
		   "needs charxiv");
	load_fails(HEAD "charxiv: {source: x}\n" MSGS "params: {}\n" EXTRACT,
		   "s.yaml:4:10: 'charxiv' belongs to judged scaffolds");
	load_fails(CX_HEAD "charxiv: {source: x}\nparams: {}\n" CX_JUDGE
			   "charxiv_text: {response: {}}\n",
		   "s.yaml:7:26: missing required key 'charxiv_text.response.text-in-chart'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load_good),
	    cmocka_unit_test(test_load_shipped),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_error_files),
	    cmocka_unit_test(test_errors_inline),
	    cmocka_unit_test(test_agent_kind),
	    cmocka_unit_test(test_code_kind),
	    cmocka_unit_test(test_scicode_kind),
	    cmocka_unit_test(test_scicode_template_file),
	    cmocka_unit_test(test_template_errors_positions),
	    cmocka_unit_test(test_render_text),
	    cmocka_unit_test(test_render_messages_good),
	    cmocka_unit_test(test_render_shipped_prompt),
	    cmocka_unit_test(test_extract_first_last),
	    cmocka_unit_test(test_extract_shipped_vs_first_match),
	    cmocka_unit_test(test_extract_normalize),
	    cmocka_unit_test(test_extract_groups_and_edges),
	    cmocka_unit_test(test_extract_catastrophic),
	    cmocka_unit_test(test_extractor_compile_invalid),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_charxiv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
