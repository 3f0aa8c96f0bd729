/*
 * scicode.c - SciCode's sub-steps: code taken from answers, the texts of a
 * step's prompt, the test script of a step and its run in the sandbox (see
 * scicode.h and docs/scicode.md).
 *
 * The test scripts import `scicode.parse.parse.process_hdf5_to_tuple` and
 * SciCode's test cases import `scicode.compare.cmp`. umpire writes its own
 * small package of those names into each work directory (below): the
 * targets read from the HDF5 file group by group as SciCode's reader does
 * (one member: the value itself; several: a tuple in the file's order;
 * groups holding a list, a sparse matrix or a dict), and the comparisons
 * with SciCode's tolerances (np.allclose, atol 1e-8 and rtol 1e-5 in
 * dicts). The script is `python3 /work/STEP.py` with the test data bound
 * read-only at /work/test_data.h5; it passes when it exits 0.
 */
#include "grade/scicode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "base/buf.h"
#include "base/util.h"

/* The package the test scripts import (scicode/parse/parse.py). */
static const char sci_parse_py[] =
	"# umpire's stand-in for SciCode's scicode.parse.parse: the numeric targets of\n"
	"# a step read from the test data (HDF5) the way SciCode's harness reads them.\n"
	"import h5py\n"
	"import scipy.sparse\n"
	"\n"
	"DEFAULT_FILE = 'test_data.h5'\n"
	"\n"
	"\n"
	"def _text_or_value(ds):\n"
	"    v = ds[()]\n"
	"    return v.decode('utf-8', errors='strict') if isinstance(v, bytes) else v\n"
	"\n"
	"\n"
	"def _sparse(g):\n"
	"    shape = tuple(g['shape'][()])\n"
	"    if 'row' in g and 'col' in g:\n"
	"        return scipy.sparse.coo_matrix((g['data'][()], (g['row'][()], g['col'][()])),\n"
	"                                       shape=shape)\n"
	"    if 'blocksize' in g:\n"
	"        return scipy.sparse.bsr_matrix((g['data'][()], g['indices'][()], g['indptr'][()]),\n"
	"                                       shape=shape, blocksize=tuple(g['blocksize'][()]))\n"
	"    return scipy.sparse.csr_matrix((g['data'][()], g['indices'][()], g['indptr'][()]),\n"
	"                                   shape=shape)\n"
	"\n"
	"\n"
	"def _mapping(g):\n"
	"    out = {}\n"
	"    for name, node in g.items():\n"
	"        if isinstance(node, h5py.Group):\n"
	"            out[name] = _sparse(node['sparse_matrix'])\n"
	"            continue\n"
	"        v = node[()]\n"
	"        if isinstance(v, bytes):\n"
	"            out[name] = v.decode('utf-8', errors='strict')\n"
	"            continue\n"
	"        try:\n"
	"            out[float(name)] = v\n"
	"        except ValueError:\n"
	"            out[name] = v\n"
	"    return out\n"
	"\n"
	"\n"
	"def _group(g):\n"
	"    # the first member decides: a list, a sparse matrix, else a dict\n"
	"    for name in g.keys():\n"
	"        if name == 'list':\n"
	"            return [g['list'][k][()] for k in g['list'].keys()]\n"
	"        if name == 'sparse_matrix':\n"
	"            return _sparse(g['sparse_matrix'])\n"
	"        return _mapping(g)\n"
	"    return None\n"
	"\n"
	"\n"
	"def _member(node):\n"
	"    if isinstance(node, h5py.Dataset):\n"
	"        return _text_or_value(node)\n"
	"    if isinstance(node, h5py.Group):\n"
	"        return _group(node)\n"
	"    return None\n"
	"\n"
	"\n"
	"def process_hdf5_to_tuple(step_id, test_num, h5py_file=DEFAULT_FILE):\n"
	"    targets = []\n"
	"    with h5py.File(h5py_file, 'r') as f:\n"
	"        for i in range(test_num):\n"
	"            where = '%s/test%d' % (step_id, i + 1)\n"
	"            g = f[where]\n"
	"            if not isinstance(g, h5py.Group):\n"
	"                raise FileNotFoundError('Path %s not found in the file.' % where)\n"
	"            names = list(g.keys())\n"
	"            if len(names) == 1:\n"
	"                targets.append(_member(g[names[0]]))\n"
	"            else:\n"
	"                targets.append(tuple(_member(g[n]) for n in names))\n"
	"    return targets\n";

static const char sci_cmp_py[] =
	"# umpire's stand-in for SciCode's scicode.compare.cmp: the comparisons its\n"
	"# test cases call, with SciCode's tolerances.\n"
	"import numpy as np\n"
	"import scipy.sparse\n"
	"\n"
	"try:\n"
	"    import sympy\n"
	"    _SYMBOL = (sympy.Symbol,)\n"
	"except ImportError:  # without sympy no value can be a Symbol\n"
	"    _SYMBOL = ()\n"
	"\n"
	"_SPARSE = (scipy.sparse.csr_matrix, scipy.sparse.csc_matrix, scipy.sparse.bsr_matrix,\n"
	"           scipy.sparse.coo_matrix)\n"
	"\n"
	"\n"
	"def process_symbol_in_dict(d):\n"
	"    out = {}\n"
	"    for k, v in d.items():\n"
	"        if _SYMBOL and isinstance(v, _SYMBOL):\n"
	"            v = str(v)\n"
	"        out[str(k) if _SYMBOL and isinstance(k, _SYMBOL) else k] = v\n"
	"    return out\n"
	"\n"
	"\n"
	"def are_dicts_close(dict1, dict2, atol=1e-8, rtol=1e-5):\n"
	"    a = process_symbol_in_dict(dict1)\n"
	"    b = process_symbol_in_dict(dict2)\n"
	"    if a.keys() != b.keys():\n"
	"        return False\n"
	"    for k in a:\n"
	"        x, y = a[k], b[k]\n"
	"        if isinstance(x, _SYMBOL + (str,)):\n"
	"            if not x == y:\n"
	"                return False\n"
	"            continue\n"
	"        if isinstance(x, _SPARSE):\n"
	"            x, y = x.toarray(), y.toarray()\n"
	"            if not np.allclose(x, y, atol=atol, rtol=rtol):\n"
	"                return False\n"
	"            continue\n"
	"        try:\n"
	"            if not np.allclose(x, y, atol=atol, rtol=rtol):\n"
	"                return False\n"
	"        except ValueError:\n"
	"            if not x == y:\n"
	"                return False\n"
	"    return True\n"
	"\n"
	"\n"
	"def are_csc_matrix_close(matrix1, matrix2):\n"
	"    return np.allclose(matrix1.toarray(), matrix2.toarray())\n"
	"\n"
	"\n"
	"def cmp_tuple_or_list(var1, var2):\n"
	"    if len(var1) != len(var2):\n"
	"        return False\n"
	"    for x, y in zip(var1, var2):\n"
	"        if isinstance(x, dict):\n"
	"            if not are_dicts_close(x, y):\n"
	"                return False\n"
	"        elif isinstance(x, (scipy.sparse.csr_matrix, scipy.sparse.csc_matrix)):\n"
	"            if not are_csc_matrix_close(x, y):\n"
	"                return False\n"
	"        elif isinstance(x, bool):\n"
	"            if not x == y:\n"
	"                return False\n"
	"        else:\n"
	"            try:\n"
	"                if not np.allclose(x, y):\n"
	"                    return False\n"
	"            except ValueError as e:\n"
	"                print(e)\n"
	"                if not x == y:\n"
	"                    return False\n"
	"    return True\n";

static const char sci_given_py[] =
	"# The code SciCode's prompts show for a step it gives: the first function\n"
	"# or class of that name, walking the syntax tree breadth first, unparsed.\n"
	"import ast\n"
	"import sys\n"
	"\n"
	"src = sys.stdin.read()\n"
	"name = sys.argv[1]\n"
	"try:\n"
	"    tree = ast.parse(src)\n"
	"except Exception:\n"
	"    sys.stdout.write(src)\n"
	"    sys.exit(0)\n"
	"for node in ast.walk(tree):\n"
	"    if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:\n"
	"        sys.stdout.write(ast.unparse(node))\n"
	"        sys.exit(0)\n"
	"sys.exit(2)\n";

/* PCRE2 pattern over s: a global substitution by "" (replace) or the first
 * match's group 1 (NULL replace: *out the group, or NULL when none). As
 * Python's re does it: MULTILINE, '.' stops at "\n", Unicode \s and \w. */
static int sci_regex(const char *pattern, const char *s, int replace, char **out)
{
	pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
	pcre2_code *re;
	pcre2_match_data *md;
	int errc, rc = -1;
	PCRE2_SIZE eoff, len = strlen(s);

	*out = NULL;
	pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
			   PCRE2_MULTILINE | PCRE2_UTF | PCRE2_UCP, &errc, &eoff, cc);
	pcre2_compile_context_free(cc);
	if (!re)
		return -1;
	md = pcre2_match_data_create_from_pattern(re, NULL);
	if (replace) {
		PCRE2_SIZE cap = len + 1;
		char *buf = um_xmalloc(cap);
		int r = pcre2_substitute(re, (PCRE2_SPTR)s, len, 0,
					 PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH,
					 md, NULL, (PCRE2_SPTR) "", 0, (PCRE2_UCHAR *)buf, &cap);
		if (r >= 0) {
			*out = buf;
			rc = 0;
		} else {
			free(buf);
		}
	} else if (pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md, NULL) > 1) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		*out = um_xstrndup(s + ov[2], ov[3] - ov[2]);
		rc = 0;
	} else {
		rc = 0;
	}
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return rc;
}

char *scicode_extract(const char *response)
{
	const char *t = response ? response : "", *a, *b;
	char *part, *clean = NULL;

	if ((a = strstr(t, "```python")) != NULL)
		a += 9;
	else if ((a = strstr(t, "```")) != NULL)
		a += 3;
	if (a) {
		b = strstr(a, "```");
		part = b ? um_xstrndup(a, (size_t)(b - a)) : um_xstrdup(a);
	} else {
		part = um_xstrdup(t);
	}
	/* SciCode drops the import lines: the dependencies are its own */
	if (sci_regex("^\\s*(import .*|from .*\\s+import\\s+.*)", part, 1, &clean) < 0 || !clean)
		return part; /* not UTF-8: kept as it is */
	free(part);
	return clean;
}

char *scicode_function_name(const char *header)
{
	char *name = NULL;

	if (sci_regex("\\bdef\\s+(\\w+)\\s*\\(", header, 0, &name) == 0 && name)
		return name;
	if (sci_regex("\\bclass\\s+(\\w+)\\s*\\(", header, 0, &name) == 0 && name)
		return name;
	return NULL;
}

/* A step's description, with its background after a newline when asked. */
static void put_description(um_buf *b, const um_sci_step *s, int background)
{
	um_buf_puts(b, s->description);
	if (background) {
		um_buf_puts(b, "\n");
		um_buf_puts(b, s->background);
	}
}

void scicode_prompt_parts(const um_sci_item *c, int k, const char *const *code, int background,
			  char **previous, char **next)
{
	um_buf p, n;
	int i;

	um_buf_init(&p, 0);
	um_buf_init(&n, 0);
	for (i = 0; i < k; i++) {
		if (i)
			um_buf_puts(&p, "\n\n------\n\n");
		put_description(&p, &c->steps[i], background);
		um_buf_puts(&p, "\n\n");
		um_buf_puts(&p, code[i] ? code[i] : "");
	}
	put_description(&n, &c->steps[k], background);
	um_buf_puts(&n, "\n\n");
	um_buf_puts(&n, c->steps[k].header);
	um_buf_puts(&n, "\n\n");
	um_buf_puts(&n, c->steps[k].return_line);
	*previous = um_buf_detach(&p);
	*next = um_buf_detach(&n);
	um_buf_release(&p);
	um_buf_release(&n);
}

char *scicode_test_script(const um_sci_item *c, int k, const char *const *code,
			  const char *h5_path)
{
	const um_sci_step *s = &c->steps[k];
	um_buf b;
	int i;

	um_buf_init(&b, 0);
	um_buf_puts(&b, c->dependencies);
	um_buf_puts(&b, "\n");
	for (i = 0; i < k; i++) {
		if (i)
			um_buf_puts(&b, "\n");
		um_buf_puts(&b, code[i] ? code[i] : "");
	}
	um_buf_puts(&b, "\n\n");
	um_buf_puts(&b, code[k] ? code[k] : "");
	um_buf_puts(&b, "\n\nfrom scicode.parse.parse import process_hdf5_to_tuple\n\n");
	um_buf_printf(&b, "targets = process_hdf5_to_tuple('%s', %d, '%s')\n", s->number,
		      s->n_tests, h5_path);
	for (i = 0; i < s->n_tests; i++) {
		const char *t = s->tests[i], *nl;

		um_buf_printf(&b, "target = targets[%d]\n\n", i);
		for (;; t = nl + 1) { /* each line, then "\n", as SciCode writes them */
			nl = strchr(t, '\n');
			um_buf_append(&b, t, nl ? (size_t)(nl - t) : strlen(t));
			um_buf_puts(&b, "\n");
			if (!nl)
				break;
		}
	}
	return um_buf_detach(&b);
}

static int put_file(const char *dir, const char *rel, const char *text, um_error *err)
{
	char *path = um_xasprintf("%s/%s", dir, rel);
	int rc = um_write_file(path, text, strlen(text), 0644, err);

	free(path);
	return rc;
}

/* The scicode package, and the mount point of the test data. */
static int put_package(const char *dir, um_error *err)
{
	static const char *const dirs[] = {"scicode", "scicode/parse", "scicode/compare", NULL};
	int i;

	for (i = 0; dirs[i]; i++) {
		char *p = um_xasprintf("%s/%s", dir, dirs[i]);
		int bad = mkdir(p, 0755) != 0 && errno != EEXIST;

		free(p);
		if (bad)
			return um_fail(err, UM_ERR_IO, "%s/%s: cannot create: %s", dir, dirs[i],
				       strerror(errno));
	}
	return put_file(dir, "scicode/__init__.py", "", err) < 0 ||
			       put_file(dir, "scicode/parse/__init__.py", "", err) < 0 ||
			       put_file(dir, "scicode/parse/parse.py", sci_parse_py, err) < 0 ||
			       put_file(dir, "scicode/compare/__init__.py", "", err) < 0 ||
			       put_file(dir, "scicode/compare/cmp.py", sci_cmp_py, err) < 0 ||
			       put_file(dir, "test_data.h5", "", err) < 0
		       ? -1
		       : 0;
}

/* The last line of the script's stderr that says something. */
static void last_line(const char *s, char *why, size_t size)
{
	const char *end = s + strlen(s), *a;

	while (end > s && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r'))
		end--;
	for (a = end; a > s && a[-1] != '\n'; a--)
		;
	snprintf(why, size, "%.*s", (int)(end - a > 300 ? 300 : end - a), a);
}

/* Run step k's script in a fresh work dir; rec gets v, ms, why. -1: the
 * sandbox failed. */
static int run_step(const um_sci_item *c, int k, const char *const *code, const um_sci_env *env,
		    json_t *rec, int *passed, um_error *err)
{
	sandbox_spec spec = *env->base;
	sandbox_bind binds[16];
	sandbox_result r;
	char *dir, *script = NULL, *name = NULL, *inside = NULL, why[320] = "";
	const char *argv[3] = {"python3", NULL, NULL};
	int rc = -1;
	size_t i;

	*passed = 0;
	if (spec.n_binds + 1 > UM_ARRAY_LEN(binds))
		return um_fail(err, UM_ERR_INTERNAL, "too many binds");
	dir = sandbox_workdir_new(&spec, env->work_parent, "sci", err);
	if (!dir)
		return -1;
	name = um_xasprintf("%s.py", c->steps[k].number);
	script = scicode_test_script(c, k, code, SCICODE_H5_INSIDE);
	if (put_package(dir, err) < 0 || put_file(dir, name, script, err) < 0)
		goto out;
	for (i = 0; i < spec.n_binds; i++)
		binds[i] = spec.binds[i];
	binds[spec.n_binds] = (sandbox_bind){env->h5_host, SCICODE_H5_INSIDE, 0};
	spec.binds = binds;
	spec.n_binds++;
	spec.work_dir = dir;
	spec.limits.wall_ms = env->time_limit_ms;
	spec.limits.cpu_s = 0;
	spec.limits.mem_bytes = (uint64_t)env->memory_mb << 20;
	spec.limits.nproc = 256;
	spec.limits.fsize_bytes = (uint64_t)256 << 20;
	spec.limits.out_max = 16384;
	spec.limits.err_max = 16384;
	inside = um_xasprintf("%s/%s", SANDBOX_WORK_MOUNT, name);
	argv[1] = inside;
	if (sandbox_exec(&spec, argv, NULL, 0, &r, err) < 0) {
		sandbox_result_release(&r);
		goto out;
	}
	*passed = !r.timed_out && !r.signal && r.exit_code == 0;
	if (r.timed_out)
		snprintf(why, sizeof(why), "ran over %d s", env->time_limit_ms / 1000);
	else if (r.signal)
		snprintf(why, sizeof(why), "killed by signal %d", r.signal);
	else if (!*passed)
		last_line(r.err.data ? r.err.data : "", why, sizeof(why));
	json_object_set_new(rec, "v", json_string(*passed	   ? "passed"
						  : r.timed_out ? "time_limit"
								: "failed"));
	json_object_set_new(rec, "ms", json_integer(r.wall_ms));
	if (why[0])
		json_object_set_new(rec, "why", json_string(why));
	sandbox_result_release(&r);
	rc = 0;
out:
	{
		um_error ignored = {0};
		sandbox_workdir_remove(dir, &ignored);
	}
	free(dir);
	free(name);
	free(script);
	free(inside);
	return rc;
}

int scicode_grade(const um_sci_item *c, const char *const *code, const um_sci_env *env,
		  json_t **detail, int *score, um_error *err)
{
	json_t *d = json_object(), *steps = json_array();
	int k, passed = 0, of = 0;

	*detail = NULL;
	*score = 0;
	json_object_set_new(d, "verdict", json_string("scicode_steps"));
	json_object_set_new(d, "background", json_boolean(env->background));
	json_object_set_new(d, "counting",
			    json_string(env->inspect_counting ? "inspect_ai" : "scripts"));
	json_object_set_new(d, "limits", json_pack("{s:i, s:i}", "time_ms", env->time_limit_ms,
						   "memory_mb", env->memory_mb));
	json_object_set_new(d, "steps", steps);
	for (k = 0; k < c->n_steps; k++) {
		json_t *rec = json_pack("{s:s}", "step", c->steps[k].number);
		int ok;

		json_array_append_new(steps, rec);
		json_object_set_new(rec, "code", json_string(code[k] ? code[k] : ""));
		if (c->steps[k].given) {
			json_object_set_new(rec, "v", json_string("given"));
			of += env->inspect_counting; /* inspect_ai: a step never passed */
			continue;
		}
		of++;
		if (run_step(c, k, code, env, rec, &ok, err) < 0) {
			um_error_prefix(err, "step %s", c->steps[k].number);
			json_decref(d);
			return -1;
		}
		passed += ok;
	}
	json_object_set_new(d, "passed", json_integer(passed));
	json_object_set_new(d, "of", json_integer(of));
	*score = of > 0 && passed == of;
	*detail = d;
	return 0;
}

int scicode_given_code(const um_sci_step *st, const sandbox_spec *base, const char *parent,
		       char **out, um_error *err)
{
	sandbox_spec spec = *base;
	sandbox_result r;
	char *dir, *name = scicode_function_name(st->header);
	const char *argv[4] = {"python3", SANDBOX_WORK_MOUNT "/given.py", NULL, NULL};
	int rc = -1;

	*out = NULL;
	if (!name)
		return um_fail(err, UM_ERR_INVALID,
			       "step %s: its function_header names no function or class (SciCode "
			       "finds the given code by that name)", st->number);
	dir = sandbox_workdir_new(&spec, parent, "given", err);
	if (!dir) {
		free(name);
		return -1;
	}
	argv[2] = name;
	spec.work_dir = dir;
	spec.limits.wall_ms = 60000;
	spec.limits.out_max = (size_t)16 << 20;
	if (put_file(dir, "given.py", sci_given_py, err) < 0)
		goto out;
	if (sandbox_exec(&spec, argv, st->given, strlen(st->given), &r, err) < 0) {
		sandbox_result_release(&r);
		goto out;
	}
	if (r.exit_code == 0 && !r.signal && !r.out_truncated) {
		*out = um_xstrndup(r.out.data ? r.out.data : "", r.out.len);
		rc = 0;
	} else {
		um_fail(err, UM_ERR_INVALID, "step %s: %s has no function or class '%s' (%.200s)",
			st->number, st->given_path, name, r.err.data ? r.err.data : "");
	}
	sandbox_result_release(&r);
out:
	{
		um_error ignored = {0};
		sandbox_workdir_remove(dir, &ignored);
	}
	free(dir);
	free(name);
	return rc;
}

int scicode_verdict_from_detail(const json_t *detail, const char *const *answers,
				size_t n_answers)
{
	const json_t *steps = json_object_get(detail, "steps"), *s;
	int passed = 0, of = 0, asked = 0;
	int inspect = um_streq(json_string_value(json_object_get(detail, "counting")), "inspect_ai");
	size_t i;

	if (!json_is_array(steps) ||
	    !um_streq(json_string_value(json_object_get(detail, "verdict")), "scicode_steps"))
		return -1;
	json_array_foreach(steps, i, s) {
		const char *v = json_string_value(json_object_get(s, "v"));

		if (!v)
			return -1;
		if (!strcmp(v, "given")) {
			of += inspect;
			continue;
		}
		if (n_answers) { /* the code again from that step's answer */
			char *again = (size_t)asked < n_answers ? scicode_extract(answers[asked]) : NULL;
			int same = um_streq(again, json_string_value(json_object_get(s, "code")));

			free(again);
			if (!same)
				return -1;
		}
		asked++;
		of++;
		passed += !strcmp(v, "passed");
	}
	if (json_integer_value(json_object_get(detail, "passed")) != passed ||
	    json_integer_value(json_object_get(detail, "of")) != of ||
	    (n_answers && n_answers != (size_t)asked))
		return -1;
	return of > 0 && passed == of;
}
