#!/usr/bin/env python3
"""html_check.py: check umpire's report.html.

  html_check.py valid PAGE...
      every page parses as HTML5 without a single parse error (html5lib in
      strict mode), every <svg> has a non-empty <title>, and no element loads
      anything from the network (src/href to http:, https: or //).
  html_check.py values DOM REPORT.json MIN
      every element of the rendered DOM that carries data-json (a JSON
      pointer into report.json) and data-fmt shows exactly the value at that
      pointer in that format; at least MIN such elements.
  html_check.py same DOM REPORT.md SUMMARY
      for every system, the accuracy, its interval and the effective sample
      size are the same text in the terminal summary, report.md's Systems
      table and report.html's.
"""
import html.parser
import json
import re
import sys


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check_valid(pages):
    import html5lib

    for page in pages:
        text = open(page, encoding="utf-8").read()
        parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
        try:
            doc = parser.parse(text)
        except html5lib.html5parser.ParseError as e:
            fail(f"{page}: not valid HTML5: {e}")
        svgs = doc.findall(".//{http://www.w3.org/2000/svg}svg")
        for svg in svgs:
            t = svg.find("{http://www.w3.org/2000/svg}title")
            if t is None or not "".join(t.itertext()).strip():
                fail(f"{page}: an <svg> without a <title>")
        for el in doc.iter():
            for attr in ("src", "href"):
                v = el.get(attr, "")
                if re.match(r"(?i)^(https?:|//)", v):
                    fail(f"{page}: <{el.tag} {attr}={v!r}> loads from the network")
        print(f"# {page}: valid HTML5, {len(svgs)} svg charts, each with a title")


def pointer(doc, ptr):
    v = doc
    for part in ptr.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(v, list):
            v = v[int(part)] if part.isdigit() and int(part) < len(v) else None
        elif isinstance(v, dict):
            v = v.get(part)
        else:
            return None
    return v


def usd(micro, d):
    a = abs(micro)
    div, scale = (100, 10000) if d == 4 else (1, 1000000)
    q = (a + div // 2) // div
    return f"{'-' if micro < 0 else ''}{q // scale}.{q % scale:0{d}d}"


def fmt(v, f):
    """What html.c's html_fmt prints for the JSON value v."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return "-"
    if f == "pct":
        return "%.1f%%" % (100.0 * v)
    if f == "p1":
        return "%.1f" % (100.0 * v)
    if f == "pp":
        return "%+.1f" % (100.0 * v)
    if f == "pv":
        return "%.1f%%" % v
    if f == "n1":
        return "%.1f" % v
    if f == "int" and isinstance(v, int):
        return "%d" % v
    if f in ("usd4", "usd6") and isinstance(v, int):
        return usd(v, int(f[3]))
    if f == "p3":
        return "%.3g" % v
    return "-"


class Values(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []
        self.cur = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-json" in a:
            self.cur = [tag, a["data-json"], a.get("data-fmt", ""), ""]

    def handle_data(self, data):
        if self.cur:
            self.cur[3] += data

    def handle_endtag(self, tag):
        if self.cur and tag == self.cur[0]:
            self.found.append(tuple(self.cur[1:]))
            self.cur = None


def check_values(dom, report, want):
    rep = json.load(open(report))
    p = Values()
    p.feed(open(dom, encoding="utf-8").read())
    bad = 0
    numbers = 0
    for ptr, f, text in p.found:
        v = pointer(rep, ptr)
        exp = fmt(v, f)
        if text != exp:
            print(f"FAIL: {ptr} ({f}): page shows {text!r}, report.json has {v!r} -> {exp!r}")
            bad += 1
        numbers += isinstance(v, (int, float)) and not isinstance(v, bool)
    if bad:
        sys.exit(1)
    if numbers < want:
        fail(f"only {numbers} numbers from report.json on the page, wanted at least {want}")
    print(f"# {len(p.found)} values on the page equal report.json's ({numbers} numbers)")


class Rows(html.parser.HTMLParser):
    """Cell texts of the rows of the table with id systems-table."""
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.rows = []
        self.cell = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == "systems-table":
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag == "td":
            self.cell = ""

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif tag == "td" and self.cell is not None:
            self.rows[-1].append(self.cell.strip())
            self.cell = None


def check_same(dom, md, summary):
    r = Rows()
    r.feed(open(dom, encoding="utf-8").read())
    page = {row[0]: (row[3], row[4], row[5]) for row in r.rows if row}
    mdrows = {}
    lines = open(md, encoding="utf-8").read().split("\n")
    start = lines.index("## Systems")
    for line in lines[start:]:
        if line.startswith("## Accuracy by category"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) > 5 and cells[0] in page:
            m = re.match(r"^(\S+%|-)(?: (\[.*\]))?$", cells[3])
            mdrows[cells[0]] = (m.group(1), m.group(2) or "-", cells[4])
    sumrows = {}
    for line in open(summary, encoding="utf-8"):
        m = re.match(r"^(\S+)\s+\S+\s+(\S+)\s+(\[[^]]*\]|-)\s+(\S+)\s", line)
        if m and m.group(1) in page:
            sumrows[m.group(1)] = (m.group(2), m.group(3), m.group(4))
    if not page or set(page) != set(mdrows) or set(page) != set(sumrows):
        fail(f"systems differ: page {sorted(page)}, md {sorted(mdrows)}, summary {sorted(sumrows)}")
    for name in sorted(page):
        if not (page[name] == mdrows[name] == sumrows[name]):
            fail(f"{name}: page {page[name]}, report.md {mdrows[name]}, summary {sumrows[name]}")
        print(f"# {name}: {' '.join(page[name])} in the summary, report.md and report.html")


def main():
    mode = sys.argv[1]
    if mode == "valid":
        check_valid(sys.argv[2:])
    elif mode == "values":
        check_values(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif mode == "same":
        check_same(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        fail("unknown mode " + mode)


if __name__ == "__main__":
    main()
