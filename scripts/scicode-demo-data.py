#!/usr/bin/env python3
"""Write the numeric targets of a SciCode-format problem file as an HDF5 file
in the layout SciCode's test data uses: group STEP/testN holding var1 (or
var1, var2, ... for a tuple); a dict as a group of its members, a sparse
matrix as a group sparse_matrix (data, indices, indptr, shape).

Each target is computed by running the steps' reference code (the step's
ground_truth_code, or the file `given` names for a step SciCode gives):
the statements of a test case before its final assert, then the first
argument of the assert's comparison (for `X.toarray()` against
`target.toarray()`, X itself). Used for umpire's original demo,
suites/scicode-demo; needs python3-numpy, -scipy and -h5py.

usage: scicode-demo-data.py PROBLEMS.jsonl OUT.h5 [STEP=GIVEN_FILE ...]
"""
import ast
import json
import sys

import h5py
import numpy as np
import scipy.sparse


def put(group, name, value):
    if isinstance(value, dict):
        sub = group.create_group(name)
        for k, v in value.items():
            put(sub, str(k), v)
    elif scipy.sparse.issparse(value):
        m = scipy.sparse.csr_matrix(value)
        sub = group.create_group(name).create_group('sparse_matrix')
        for part in ('data', 'indices', 'indptr'):
            sub.create_dataset(part, data=getattr(m, part))
        sub.create_dataset('shape', data=np.array(m.shape))
    else:
        group.create_dataset(name, data=value)


def target_of(test, ns):
    tree = ast.parse(test)
    *before, last = tree.body
    # the comparisons are the harness's; only the inputs matter here
    before = [n for n in before
              if not (isinstance(n, ast.ImportFrom) and (n.module or '').startswith('scicode'))]
    exec(compile(ast.Module(body=before, type_ignores=[]), '<test>', 'exec'), ns)
    expr = last.test.args[0]
    other = last.test.args[-1]
    if (isinstance(other, ast.Call) and isinstance(other.func, ast.Attribute)
            and other.func.attr == 'toarray'):
        expr = expr.func.value
    return eval(compile(ast.Expression(body=expr), '<test>', 'eval'), ns)


def main():
    problems, out = sys.argv[1], sys.argv[2]
    given = dict(a.split('=', 1) for a in sys.argv[3:])
    with h5py.File(out, 'w', track_order=False) as f:
        for line in open(problems, encoding='utf-8'):
            if not line.strip():
                continue
            p = json.loads(line)
            ns = {}
            exec(p['required_dependencies'], ns)
            for s in p['sub_steps']:
                code = s.get('ground_truth_code')
                if s['step_number'] in given:
                    code = open(given[s['step_number']], encoding='utf-8').read()
                exec(code, ns)
                for i, test in enumerate(s['test_cases']):
                    value = target_of(test, dict(ns))
                    g = f.create_group('%s/test%d' % (s['step_number'], i + 1))
                    if isinstance(value, tuple):
                        for j, v in enumerate(value):
                            put(g, 'var%d' % (j + 1), v)
                    else:
                        put(g, 'var1', value)


if __name__ == '__main__':
    main()
