/*
 * code.c - generated programs, extracted and run against their tests the
 * way LiveCodeBench grades them (see code.h and docs/code.md).
 *
 * Each test is one process in the sandbox: `python3 /work/harness.py MODE
 * /work/solution.py [FUNC]` with the test's input on stdin. The harness
 * (below) gives the program the names LiveCodeBench's runner pre-imports
 * (the star imports and modules of its import prelude), then either runs it
 * as a script (stdin tests; SystemExit ends it normally, as LCB catches it)
 * or loads it as a module and calls FUNC, on a Solution() instance when the
 * source says `class Solution`, with one JSON argument per input line,
 * printing the JSON of the value returned on the stdout it kept (the
 * program's own prints go to stderr). Its exit codes: 0 ran, 1 an uncaught
 * exception, 3 the source does not compile, 4 MemoryError, 5 no such
 * function. The comparison is made here, in C, so the program never sees
 * an expected output.
 */
#include "grade/code.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/util.h"

static const char harness_py[] =
	"import builtins, importlib, json, os, sys\n"
	"STAR = ['string', 're', 'datetime', 'collections', 'heapq', 'bisect', 'copy', 'math',\n"
	"        'random', 'statistics', 'itertools', 'functools', 'operator', 'io', 'sys',\n"
	"        'json', 'builtins', 'typing']\n"
	"MODS = STAR[:16]\n"
	"def prelude(ns):\n"
	"    for m in STAR:\n"
	"        mod = importlib.import_module(m)\n"
	"        names = getattr(mod, '__all__', None)\n"
	"        if names is None:\n"
	"            names = [n for n in dir(mod) if not n.startswith('_')]\n"
	"        for n in names:\n"
	"            if hasattr(mod, n):\n"
	"                ns[n] = getattr(mod, n)\n"
	"    for m in MODS:\n"
	"        ns[m] = importlib.import_module(m)\n"
	"    sys.setrecursionlimit(50000)\n"
	"def main():\n"
	"    mode, path = sys.argv[1], sys.argv[2]\n"
	"    with open(path, encoding='utf-8') as f:\n"
	"        src = f.read()\n"
	"    try:\n"
	"        code = compile(src, 'solution.py', 'exec')\n"
	"    except (SyntaxError, ValueError) as e:\n"
	"        sys.stderr.write('compile error: %s\\n' % e)\n"
	"        os._exit(3)\n"
	"    ns = {'__name__': '__main__' if mode == 'stdin' else 'solution',\n"
	"          '__builtins__': builtins}\n"
	"    prelude(ns)\n"
	"    if mode == 'stdin':\n"
	"        try:\n"
	"            exec(code, ns)\n"
	"        except SystemExit:\n"
	"            pass\n"
	"        except MemoryError:\n"
	"            sys.stderr.write('MemoryError\\n')\n"
	"            os._exit(4)\n"
	"        sys.stdout.flush()\n"
	"        os._exit(0)\n"
	"    out = os.fdopen(os.dup(1), 'w')\n"
	"    os.dup2(2, 1)\n"
	"    sys.stdout = sys.stderr\n"
	"    args = [json.loads(line) for line in sys.stdin.read().split('\\n')]\n"
	"    try:\n"
	"        exec(code, ns)\n"
	"        target = ns['Solution']() if 'class Solution' in src else None\n"
	"        fn = getattr(target, sys.argv[3], None) if target is not None else ns.get(sys.argv[3])\n"
	"        if fn is None:\n"
	"            sys.stderr.write('no function %s in the program\\n' % sys.argv[3])\n"
	"            os._exit(5)\n"
	"        r = fn(*args)\n"
	"    except MemoryError:\n"
	"        sys.stderr.write('MemoryError\\n')\n"
	"        os._exit(4)\n"
	"    if isinstance(r, tuple):\n"
	"        r = list(r)\n"
	"    try:\n"
	"        text = json.dumps(r)\n"
	"    except (TypeError, ValueError):\n"
	"        text = '\\x00' + type(r).__name__\n"
	"    out.write(text)\n"
	"    out.flush()\n"
	"    os._exit(0)\n"
	"main()\n";

static const char *const verdict_names[] = {
	"passed", "wrong_answer", "runtime_error", "time_limit", "memory_limit",
	"output_limit", "compile_error", "not_run",
};

const char *code_verdict_name(um_code_verdict v)
{
	return (unsigned)v < UM_ARRAY_LEN(verdict_names) ? verdict_names[v] : "?";
}

/* ---- extraction ------------------------------------------------------- */

char *code_extract(const char *text)
{
	const char *p, *a = NULL, *b = NULL, *prev_start = NULL, *last_start = NULL;
	const char *line_end;

	if (!text)
		return NULL;
	/* the start of the last two lines that contain a fence */
	for (p = text;; p = line_end + 1) {
		const char *f;

		line_end = strchr(p, '\n');
		if (!line_end)
			line_end = p + strlen(p);
		f = memmem(p, (size_t)(line_end - p), "```", 3); /* this line only: linear */
		if (f) {
			prev_start = last_start;
			last_start = p;
		}
		if (!*line_end)
			break;
	}
	if (!prev_start)
		return NULL;
	a = strchr(prev_start, '\n'); /* the block begins after the first fence line */
	b = last_start;
	if (!a || a + 1 > b)
		return um_xstrdup("");
	a++;
	/* the lines a..b joined: drop the "\n" that ends the last one */
	return um_xstrndup(a, (size_t)(b - a) - (b > a && b[-1] == '\n'));
}

/* ---- comparison --------------------------------------------------------- */

static int py_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
	       (c >= 0x1c && c <= 0x1f);
}

/* Python's str.strip() over ASCII whitespace, as a span. */
static void strip_span(const char **s, size_t *n)
{
	while (*n && py_space((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && py_space((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* A decimal as Python's Decimal() reads it, normalised: sign, significant
 * digits without leading or trailing zeros, and the exponent of the last
 * one. Infinity compares by sign; NaN never equals. 0: not a number. */
typedef struct dec {
	int neg, inf, nan;
	char dig[1024];
	size_t nd;
	long long exp;
	int big; /* too many digits to hold: compared as text */
} dec;

static int dec_parse(const char *s, size_t n, dec *d)
{
	size_t i = 0, k;
	long long e = 0, frac = 0;
	int any = 0, in_frac = 0;

	memset(d, 0, sizeof(*d));
	if (i < n && (s[i] == '+' || s[i] == '-'))
		d->neg = s[i++] == '-';
	if (n - i == 3 && !strncasecmp(s + i, "inf", 3))
		return d->inf = 1;
	if (n - i == 8 && !strncasecmp(s + i, "infinity", 8))
		return d->inf = 1;
	if ((n - i == 3 && !strncasecmp(s + i, "nan", 3)) ||
	    (n - i == 4 && !strncasecmp(s + i, "snan", 4)))
		return d->nan = 1;
	for (; i < n; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9') {
			any = 1;
			if (d->nd || c != '0') {
				if (d->nd < sizeof(d->dig))
					d->dig[d->nd++] = c;
				else if (!in_frac)
					e++, d->big = 1;
				else
					d->big = 1;
			}
			if (in_frac)
				frac++;
		} else if (c == '_' && i > 0 && i + 1 < n && isdigit((unsigned char)s[i - 1]) &&
			   isdigit((unsigned char)s[i + 1])) {
			continue;
		} else if (c == '.' && !in_frac) {
			in_frac = 1;
		} else {
			break;
		}
	}
	if (!any)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		int eneg = 0, ed = 0;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, ed++)
			if (e < 1000000000LL)
				e = e * 10 + (s[i] - '0');
		if (!ed)
			return 0;
		if (eneg)
			e = -e;
	}
	if (i != n)
		return 0;
	d->exp = e - frac;
	for (k = d->nd; k > 0 && d->dig[k - 1] == '0'; k--)
		d->exp++;
	d->nd = k;
	if (!d->nd)
		d->neg = 0, d->exp = 0; /* -0 == 0 */
	return 1;
}

static int dec_equal(const dec *a, const dec *b)
{
	if (a->nan || b->nan)
		return 0;
	if (a->inf || b->inf)
		return a->inf && b->inf && a->neg == b->neg;
	return !a->big && !b->big && a->neg == b->neg && a->nd == b->nd && a->exp == b->exp &&
	       !memcmp(a->dig, b->dig, a->nd);
}

/* Both lines as whitespace-separated decimals, element by element. */
static int decimals_equal(const char *a, size_t an, const char *b, size_t bn)
{
	for (;;) {
		size_t i = 0, j = 0;
		dec x, y;

		while (an && py_space((unsigned char)*a))
			a++, an--;
		while (bn && py_space((unsigned char)*b))
			b++, bn--;
		if (!an || !bn)
			return !an && !bn;
		while (i < an && !py_space((unsigned char)a[i]))
			i++;
		while (j < bn && !py_space((unsigned char)b[j]))
			j++;
		if (!dec_parse(a, i, &x) || !dec_parse(b, j, &y) || !dec_equal(&x, &y))
			return 0;
		a += i, an -= i, b += j, bn -= j;
	}
}

static void show(char *out, size_t n, const char *s, size_t len)
{
	size_t k = len > 40 ? 40 : len, i;

	for (i = 0; i < k && i + 1 < n; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[i < n ? i : n - 1] = '\0';
}

static size_t count_lines(const char *s, size_t n)
{
	size_t k = 1, i;

	for (i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

int code_stdout_matches(const char *got, size_t got_len, const char *want, char *why,
			size_t why_size)
{
	const char *g = got ? got : "", *w = want ? want : "";
	size_t gn = got ? got_len : 0, wn = strlen(w), line = 0;

	if (why_size)
		why[0] = '\0';
	strip_span(&g, &gn);
	strip_span(&w, &wn);
	if (count_lines(g, gn) != count_lines(w, wn)) {
		snprintf(why, why_size, "%zu output lines, %zu expected", count_lines(g, gn),
			 count_lines(w, wn));
		return 0;
	}
	for (;;) {
		const char *ge = memchr(g, '\n', gn), *we = memchr(w, '\n', wn);
		size_t gl = ge ? (size_t)(ge - g) : gn, wl = we ? (size_t)(we - w) : wn;
		const char *gs = g, *ws = w;
		size_t gsn = gl, wsn = wl;

		line++;
		strip_span(&gs, &gsn);
		strip_span(&ws, &wsn);
		if (!(gsn == wsn && !memcmp(gs, ws, gsn)) && !decimals_equal(gs, gsn, ws, wsn)) {
			char a[48], b[48];
			show(a, sizeof(a), gs, gsn);
			show(b, sizeof(b), ws, wsn);
			snprintf(why, why_size, "line %zu: got '%s', expected '%s'", line, a, b);
			return 0;
		}
		if (!ge)
			return 1;
		g = ge + 1, gn -= gl + 1;
		w = we + 1, wn -= wl + 1;
	}
}

/* A JSON number or boolean as a double (Python: True == 1). */
static int as_number(const json_t *v, double *d, json_int_t *i, int *is_int)
{
	if (json_is_integer(v)) {
		*i = json_integer_value(v);
		*d = (double)*i;
		*is_int = 1;
		return 1;
	}
	if (json_is_boolean(v)) {
		*i = json_is_true(v);
		*d = (double)*i;
		*is_int = 1;
		return 1;
	}
	if (json_is_real(v)) {
		*d = json_real_value(v);
		*is_int = 0;
		return 1;
	}
	return 0;
}

static int py_equal(const json_t *a, const json_t *b)
{
	double x, y;
	json_int_t i, j;
	int ai, bi;
	size_t k;

	if (as_number(a, &x, &i, &ai) && as_number(b, &y, &j, &bi))
		return ai && bi ? i == j : x == y;
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       !memcmp(json_string_value(a), json_string_value(b), json_string_length(a));
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (k = 0; k < json_array_size(a); k++)
			if (!py_equal(json_array_get(a, k), json_array_get(b, k)))
				return 0;
		return 1;
	case JSON_OBJECT: {
		const char *key;
		json_t *v;

		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, key, v) {
			json_t *w = json_object_get(b, key);
			if (!w || !py_equal(v, w))
				return 0;
		}
		return 1;
	}
	case JSON_NULL:
		return 1;
	default:
		return 0;
	}
}

/* JSON text without the blanks outside strings: how two dumps of one value
 * that jansson cannot read (big integers) are compared. Caller frees. */
static char *json_squeeze(const char *s)
{
	char *out = um_xmalloc(strlen(s) + 1), *o = out;
	int in_str = 0;

	for (; *s; s++) {
		if (in_str) {
			*o++ = *s;
			if (*s == '\\' && s[1])
				*o++ = *++s;
			else if (*s == '"')
				in_str = 0;
		} else if (!py_space((unsigned char)*s)) {
			in_str = *s == '"';
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

int code_json_matches(const char *got, const char *want)
{
	json_t *a = json_loads(got ? got : "", JSON_DECODE_ANY, NULL);
	json_t *b = json_loads(want ? want : "", JSON_DECODE_ANY, NULL);
	int eq;

	if (a && b) {
		eq = py_equal(a, b);
	} else {
		char *x = json_squeeze(got ? got : ""), *y = json_squeeze(want ? want : "");
		eq = !strcmp(x, y);
		free(x);
		free(y);
	}
	if (a)
		json_decref(a);
	if (b)
		json_decref(b);
	return eq;
}

/* ---- verdicts ------------------------------------------------------------ */

/* The last non-empty line of stderr, shortened, as the reason. */
static void last_line(const um_buf *e, char *why, size_t n)
{
	const char *s = e->data ? e->data : "";
	size_t len = e->len, end = len, start;

	while (end && py_space((unsigned char)s[end - 1]))
		end--;
	start = end;
	while (start && s[start - 1] != '\n')
		start--;
	if (end - start > 160)
		start = end - 160;
	snprintf(why, n, "%.*s", (int)(end - start), s + start);
}

um_code_verdict code_classify(const um_code_item *c, um_code_lang lang, const um_code_test *t,
			      const sandbox_result *r, char *why, size_t why_size)
{
	why[0] = '\0';
	if (r->timed_out || (r->limits_hit & (SANDBOX_HIT_WALL | SANDBOX_HIT_CPU)))
		return UM_CODE_TIME_LIMIT;
	if (r->out_truncated || (r->limits_hit & (SANDBOX_HIT_OUTPUT | SANDBOX_HIT_FSIZE))) {
		snprintf(why, why_size, "output over the limit (%llu bytes)",
			 (unsigned long long)r->out_bytes);
		return UM_CODE_OUTPUT_LIMIT;
	}
	if (r->signal) {
		snprintf(why, why_size, "killed by signal %d", r->signal);
		return UM_CODE_RUNTIME_ERROR;
	}
	if (r->exit_code != 0 && lang == UM_CODE_CPP) {
		last_line(&r->err, why, why_size);
		if (!why[0])
			snprintf(why, why_size, "exit status %d", r->exit_code);
		return UM_CODE_RUNTIME_ERROR;
	}
	if (r->exit_code != 0) {
		last_line(&r->err, why, why_size);
		if (r->exit_code == 3)
			return UM_CODE_COMPILE_ERROR;
		if (r->exit_code == 4 || strstr(why, "MemoryError"))
			return UM_CODE_MEMORY_LIMIT;
		return UM_CODE_RUNTIME_ERROR;
	}
	if (c->io == UM_CODE_STDIN)
		return code_stdout_matches(r->out.data, r->out.len, t->output, why, why_size)
			       ? UM_CODE_PASSED
			       : UM_CODE_WRONG_ANSWER;
	if (!r->out.len) {
		snprintf(why, why_size, "the program ended before returning a value");
		return UM_CODE_RUNTIME_ERROR;
	}
	if (r->out.data[0] == '\0') {
		snprintf(why, why_size, "returned a %.40s, which is not a JSON value",
			 r->out.data + 1);
		return UM_CODE_WRONG_ANSWER;
	}
	if (code_json_matches(r->out.data, t->output))
		return UM_CODE_PASSED;
	{
		char a[48], b[48];
		show(a, sizeof(a), r->out.data, r->out.len);
		show(b, sizeof(b), t->output, strlen(t->output));
		snprintf(why, why_size, "returned %s, expected %s", a, b);
	}
	return UM_CODE_WRONG_ANSWER;
}

/* ---- running --------------------------------------------------------------- */

static int write_file(const char *dir, const char *name, const char *text, um_error *err)
{
	char *path = um_xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(text, 1, strlen(text), f) == strlen(text);

	if (f && fclose(f) != 0)
		ok = 0;
	if (!ok)
		um_fail(err, UM_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
	free(path);
	return ok ? 0 : -1;
}

static json_t *detail_new(const um_code_item *c, int time_ms, int mem_mb)
{
	json_t *d = json_object();

	json_object_set_new(d, "verdict", json_string("code_tests"));
	json_object_set_new(d, "io", json_string(c->io == UM_CODE_CALL ? "call" : "stdin"));
	json_object_set_new(d, "limits",
			    json_pack("{s:i, s:i}", "time_ms", time_ms, "memory_mb", mem_mb));
	json_object_set_new(d, "tests", json_array());
	return d;
}

json_t *code_detail_no_program(const um_code_item *c, const um_code_env *env)
{
	json_t *d = detail_new(c, c->time_limit_ms ? c->time_limit_ms : env->time_limit_ms,
			       c->memory_mb ? c->memory_mb : env->memory_mb);

	int i;

	for (i = 0; i < c->n_tests; i++)
		json_array_append_new(json_object_get(d, "tests"),
				      json_pack("{s:s}", "v", code_verdict_name(UM_CODE_NOT_RUN)));
	json_object_set_new(d, "program", json_false());
	json_object_set_new(d, "passed", json_integer(0));
	json_object_set_new(d, "of", json_integer(c->n_tests));
	return d;
}

/* Run one test; *v its verdict. -1: the sandbox failed to run it. */
static int run_test(const um_code_item *c, um_code_lang lang, const um_code_test *t,
		    const sandbox_spec *spec, um_code_verdict *v, json_t *rec, um_error *err)
{
	const char *py[6] = {"python3", SANDBOX_WORK_MOUNT "/harness.py",
			     c->io == UM_CODE_CALL ? "call" : "stdin",
			     SANDBOX_WORK_MOUNT "/solution.py", c->func_name, NULL};
	const char *bin[2] = {SANDBOX_WORK_MOUNT "/solution", NULL};
	sandbox_result r;
	char why[256];

	if (sandbox_exec(spec, lang == UM_CODE_CPP ? bin : py, t->input, strlen(t->input), &r,
			 err) < 0) {
		sandbox_result_release(&r);
		return -1;
	}
	*v = code_classify(c, lang, t, &r, why, sizeof(why));
	json_object_set_new(rec, "v", json_string(code_verdict_name(*v)));
	json_object_set_new(rec, "ms", json_integer(r.wall_ms));
	if (why[0] && *v != UM_CODE_PASSED)
		json_object_set_new(rec, "why", json_string(why));
	sandbox_result_release(&r);
	return 0;
}

int code_compile(const sandbox_spec *base, const char *const *argv, int64_t *ms, char *why,
		 size_t why_size, um_error *err)
{
	sandbox_spec spec = *base;
	sandbox_result r;
	int ok;

	spec.limits.wall_ms = UM_CODE_COMPILE_MS;
	spec.limits.cpu_s = UM_CODE_COMPILE_MS / 1000;
	spec.limits.mem_bytes = (uint64_t)UM_CODE_COMPILE_MB << 20;
	spec.limits.fsize_bytes = (uint64_t)256 << 20;
	spec.limits.err_max = 16384;
	if (sandbox_exec(&spec, argv, NULL, 0, &r, err) < 0) {
		sandbox_result_release(&r);
		return -1;
	}
	ok = !r.timed_out && !r.signal && r.exit_code == 0;
	*ms = r.wall_ms;
	if (!ok) {
		const char *s = r.err.data ? r.err.data : "", *e = strstr(s, "error:");
		if (r.timed_out)
			snprintf(why, why_size, "the compiler ran over %d s", UM_CODE_COMPILE_MS / 1000);
		else { /* the first error, from the start of its line (file:line:col) */
			while (e && e > s && e[-1] != '\n')
				e--;
			snprintf(why, why_size, "%.200s", e ? e : s);
		}
		why[strcspn(why, "\n")] = '\0';
	}
	sandbox_result_release(&r);
	return ok;
}

/* C++: g++ in the sandbox, once. 1 compiled, 0 did not (why filled), -1
 * the sandbox failed. The compile's time goes into the detail. */
static int compile_cpp(const sandbox_spec *base, json_t *d, char *why, size_t why_size,
		       um_error *err)
{
	static const char *const argv[] = {"g++", "-std=c++17", "-O2", "-pipe", "-o",
					   SANDBOX_WORK_MOUNT "/solution",
					   SANDBOX_WORK_MOUNT "/solution.cpp", NULL};
	int64_t ms = 0;
	int ok = code_compile(base, argv, &ms, why, why_size, err);

	if (ok >= 0)
		json_object_set_new(d, "compile", json_pack("{s:b, s:I}", "ok", ok, "ms",
							    (json_int_t)ms));
	return ok;
}

int code_grade(const um_code_item *c, const char *program, const um_code_env *env,
	       json_t **detail, int *score, um_error *err)
{
	int time_ms = c->time_limit_ms ? c->time_limit_ms : env->time_limit_ms;
	int mem_mb = c->memory_mb ? c->memory_mb : env->memory_mb;
	sandbox_spec spec = *env->base;
	json_t *d = detail_new(c, time_ms, mem_mb), *tests = json_object_get(d, "tests");
	char *dir = NULL;
	int i, passed = 0, failed = 0, uncompiled = 0, rv = -1;

	*detail = NULL;
	*score = 0;
	dir = sandbox_workdir_new(&spec, env->work_parent, "code", err);
	if (!dir)
		goto out;
	if (env->language == UM_CODE_CPP ? write_file(dir, "solution.cpp", program, err) < 0
					 : write_file(dir, "harness.py", harness_py, err) < 0 ||
						   write_file(dir, "solution.py", program, err) < 0)
		goto out;
	spec.work_dir = dir;
	if (env->language == UM_CODE_CPP) {
		char why[256];
		int k = compile_cpp(&spec, d, why, sizeof(why), err);

		if (k < 0) {
			um_error_prefix(err, "compiling");
			goto out;
		}
		if (k == 0) {
			for (i = 0; i < c->n_tests; i++)
				json_array_append_new(
					tests, i ? json_pack("{s:s}", "v", "not_run")
						 : json_pack("{s:s, s:s}", "v", "compile_error",
							     "why", why));
			uncompiled = 1;
		}
	}
	spec.limits.wall_ms = time_ms + env->wall_extra_ms;
	spec.limits.cpu_s = (uint64_t)(time_ms + 999) / 1000;
	spec.limits.mem_bytes = (uint64_t)mem_mb << 20;
	spec.limits.nproc = spec.limits.nproc ? spec.limits.nproc : 64;
	spec.limits.fsize_bytes = (uint64_t)64 << 20;
	for (i = 0; !uncompiled && i < c->n_tests; i++) {
		json_t *rec = json_object();
		um_code_verdict v = UM_CODE_NOT_RUN;
		size_t want = strlen(c->tests[i].output);

		json_array_append_new(tests, rec);
		if (failed) {
			json_object_set_new(rec, "v", json_string(code_verdict_name(v)));
			continue;
		}
		spec.limits.out_max = want * 2 + 65536 < ((size_t)64 << 20) ? want * 2 + 65536
									  : (size_t)64 << 20;
		spec.limits.err_max = 16384;
		if (run_test(c, env->language, &c->tests[i], &spec, &v, rec, err) < 0) {
			um_error_prefix(err, "test %d", i + 1);
			goto out;
		}
		if (v == UM_CODE_PASSED)
			passed++;
		else
			failed = 1;
	}
	json_object_set_new(d, "program", json_true());
	json_object_set_new(d, "passed", json_integer(passed));
	json_object_set_new(d, "of", json_integer(c->n_tests));
	*score = c->n_tests > 0 && passed == c->n_tests;
	*detail = d;
	d = NULL;
	rv = 0;
out:
	if (dir) {
		um_error ignored = {0};
		sandbox_workdir_remove(dir, &ignored);
		free(dir);
	}
	if (d)
		json_decref(d);
	return rv;
}

int code_verdict_from_detail(const json_t *detail, const char *response_text,
			     const char *extracted)
{
	char *again = code_extract(response_text);
	int same = um_streq(again, extracted);

	free(again);
	return same ? code_verdict_from_tests(detail) : -1;
}

int code_verdict_from_tests(const json_t *detail)
{
	const json_t *tests = json_object_get(detail, "tests"), *t;
	int passed = 0;
	size_t i;

	if (!um_streq(json_string_value(json_object_get(detail, "verdict")), "code_tests") ||
	    !json_is_array(tests))
		return -1;
	json_array_foreach(tests, i, t) {
		const char *v = json_string_value(json_object_get(t, "v"));
		if (!v)
			return -1;
		passed += !strcmp(v, "passed");
	}
	if (json_integer_value(json_object_get(detail, "passed")) != passed ||
	    json_integer_value(json_object_get(detail, "of")) != (json_int_t)json_array_size(tests))
		return -1;
	return json_array_size(tests) > 0 && (size_t)passed == json_array_size(tests);
}
