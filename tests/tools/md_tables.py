#!/usr/bin/env python3
"""md_tables.py REPORT.md [MIN_TABLES]: check every table of a markdown file.

A table is a header line followed by a line starting with "|---"; its rows
run to the first blank line. Every row must start and end with exactly one
unescaped "|" and have as many cells as the header. Prints one line per
table and exits 1 on the first malformed row, or when fewer than MIN_TABLES
tables were found.
"""
import re
import sys


def cells(line):
    """Cells of a row, or None when it does not start and end with one '|'."""
    if len(line) < 2 or not line.startswith("|") or line.startswith("||"):
        return None
    if not line.endswith("|") or (line.endswith("||") and not line.endswith("\\||")):
        return None
    parts = re.split(r"(?<!\\)\|", line)
    return parts[1:-1]


def main():
    path = sys.argv[1]
    want = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    lines = open(path, encoding="utf-8").read().split("\n")
    tables = 0
    i = 0
    while i + 1 < len(lines):
        if not lines[i] or not lines[i + 1].startswith("|---"):
            i += 1
            continue
        head = cells(lines[i])
        if head is None:
            print(f"{path}:{i + 1}: table header is not a row: {lines[i]!r}")
            return 1
        tables += 1
        j = i + 1
        while j < len(lines) and lines[j]:
            row = cells(lines[j])
            if row is None or len(row) != len(head):
                got = "not a row" if row is None else f"{len(row)} cells"
                print(f"{path}:{j + 1}: {got}, header has {len(head)}: {lines[j]!r}")
                return 1
            j += 1
        print(f"# table {tables}: line {i + 1}, {len(head)} columns, {j - i - 2} rows")
        i = j
    if tables < want:
        print(f"{path}: {tables} tables, wanted at least {want}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
