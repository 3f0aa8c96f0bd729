#!/usr/bin/env python3
"""check-layers.py - the stage order of src/ (docs/ARCHITECTURE.md), enforced.

    scripts/check-layers.py [--lengths] [--objects BUILDDIR]

1. Includes: a file in src/<stage>/ may include "<other>/x.h" only when
   <other> is a lower stage than its own (or its own stage). Includes name
   their stage ("load/suite.h"); a bare "x.h" from src/ is refused too.
2. With --lengths, functions: none over 100 lines unless the comment block right above it
   says why, with a line starting "Long:".
3. With --objects: from the symbols each object file of the built libraries
   defines and uses (nm), the file-to-file call graph: no call runs to a
   higher stage, and no two files call each other, directly or in a circle.

Exit 0 when all hold, 1 with one line per violation.
"""
import os
import re
import subprocess
import sys

ORDER = [
    ("base",),
    ("load",),
    ("exec", "store"),
    ("grade",),
    ("report", "audit", "import", "serve"),
    ("run",),
    ("cli",),
]
LEVEL = {stage: i for i, group in enumerate(ORDER) for stage in group}
# Pairs a higher stage may still not include or call: the runner is handed
# endpoints and a routing-event queue; it never links the servers.
FORBIDDEN = {("run", "serve")}
MAX_LINES = 100

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
src = os.path.join(root, "src")
problems = []


def stage_of(path):
    rel = os.path.relpath(path, src).split(os.sep)
    return rel[0] if len(rel) > 1 else None


def sources():
    for d, _, files in os.walk(src):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.join(d, f)


def check_includes(path):
    mine = stage_of(path)
    if mine not in LEVEL:
        problems.append(f"{os.path.relpath(path, root)}: folder '{mine}' is not a stage")
        return
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not m:
                continue
            inc = m.group(1)
            if inc == "umpire_config.h":
                continue
            parts = inc.split("/")
            where = f"{os.path.relpath(path, root)}:{n}"
            if len(parts) != 2 or parts[0] not in LEVEL:
                problems.append(f'{where}: include "{inc}" does not name its stage')
                continue
            other = parts[0]
            if (mine, other) in FORBIDDEN:
                problems.append(f'{where}: {mine} may not include "{inc}": the core never '
                                f"links the servers")
            elif other != mine and LEVEL[other] >= LEVEL[mine]:
                problems.append(f'{where}: {mine} (stage {LEVEL[mine]}) includes "{inc}" '
                                f"(stage {LEVEL[other]}): arrows run downwards only")


def check_lengths(path):
    if not path.endswith(".c"):
        return
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        opens = line == "{" or (re.match(r"^[A-Za-z].*\)\s*\{$", line) and
                                not line.startswith(("struct", "enum", "typedef", "static const")))
        if not opens:
            i += 1
            continue
        j = i
        while j > 0 and "(" not in lines[j]:
            j -= 1
        head = j
        while head > 0 and lines[head - 1] and not lines[head - 1].startswith(("}", "/*", " *", "*/", "#")) \
                and not lines[head - 1].endswith(";"):
            head -= 1
        k = i + 1
        while k < len(lines) and lines[k] != "}":
            k += 1
        body = k - i - 1
        if body > MAX_LINES:
            comment = []
            c = head - 1
            while c >= 0 and (lines[c].startswith((" *", "/*")) or lines[c].endswith("*/")):
                comment.append(lines[c])
                c -= 1
            if not any(re.match(r"\s*\*?\s*/?\**\s*Long:", x) for x in comment):
                name = re.search(r"(\w+)\s*\(", lines[j])
                problems.append(f"{os.path.relpath(path, root)}:{j + 1}: "
                                f"{name.group(1) if name else '?'} is {body} lines; split it "
                                f"or say why above it ('Long: ...')")
        i = k + 1


def check_objects(build):
    objs = []
    for d, _, files in os.walk(build):
        if not re.search(r"libumpire-[a-z]+\.a\.p$", d):
            continue
        for f in files:
            if f.endswith(".c.o"):
                objs.append(os.path.join(d, f))
    if not objs:
        problems.append(f"{build}: no object files of libumpire-*.a (build first)")
        return
    defined, used = {}, {}
    for o in sorted(objs):
        # meson names objects <stage>_<file>.c.o
        name = os.path.basename(o)[:-4]
        stage, _, fname = name.partition("_")
        key = f"{stage}/{fname}.c"
        out = subprocess.run(["nm", "--defined-only", "-g", o], capture_output=True,
                             text=True, check=True).stdout
        for ln in out.splitlines():
            parts = ln.split()
            if len(parts) == 3 and parts[1] in "TDBR":
                defined[parts[2]] = key
        out = subprocess.run(["nm", "-u", o], capture_output=True, text=True,
                             check=True).stdout
        used[key] = {ln.split()[-1] for ln in out.splitlines() if ln.strip()}
    graph = {k: set() for k in used}
    for k, syms in used.items():
        for s in syms:
            if s in defined and defined[s] != k:
                graph[k].add(defined[s])
    for a, outs in sorted(graph.items()):
        for b in sorted(outs):
            sa, sb = a.split("/")[0], b.split("/")[0]
            if (sa, sb) in FORBIDDEN or (sa != sb and LEVEL.get(sb, 99) >= LEVEL.get(sa, -1)):
                problems.append(f"{a} calls {b}: {sa} may not call {sb}")
    # circles: Tarjan's strongly connected components
    index, low, onstack, stack, comps = {}, {}, set(), [], []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        onstack.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in onstack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                onstack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            strong(v)
    for comp in comps:
        problems.append("call circle: " + " -> ".join(comp))


def main():
    args = sys.argv[1:]
    lengths = "--lengths" in args
    if lengths:
        args.remove("--lengths")
    for p in sources():
        check_includes(p)
        if lengths:
            check_lengths(p)
    if args[:1] == ["--objects"] and len(args) == 2:
        check_objects(args[1])
    elif args:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    if problems:
        print(f"check-layers: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("check-layers: stage order" + (", function lengths" if lengths else "")
          + (" and call graph" if args else "") + " hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
