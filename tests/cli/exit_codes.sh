#!/usr/bin/env bash
# The exit statuses are written in four places that must agree: the enum in
# src/cli/cli.h, the table `umpire --help` prints (src/cli/exitcodes.c),
# docs/cli.md's table, and the README's list. And the codes mean what they
# say for the cases the issue found wrong.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"

sed -n 's/^[[:space:]]*EXIT_[A-Z_]* = \([0-9]*\),.*/\1/p' "$S/src/cli/cli.h" | sort -n >enum.txt
"$UMPIRE" --help | sed -n '/^Exit status:/,$p' | sed -n 's/^ *\([0-9][0-9]*\)  \(.*\)$/\1 | \2/p' >help.txt
sed -n '/^## Exit status/,$p' "$S/docs/cli.md" | sed -n 's/^| \([0-9][0-9]*\) | \(.*\) |$/\1 | \2/p' >doc.txt
check "cli.h has exit codes ($(wc -l <enum.txt))" test -s enum.txt
check "umpire --help prints one line per code" cmp -s enum.txt <(cut -d' ' -f1 help.txt)
check "docs/cli.md's table has the codes of cli.h" cmp -s enum.txt <(cut -d' ' -f1 doc.txt)
check "docs/cli.md's table says what umpire --help says" cmp -s help.txt doc.txt
diff help.txt doc.txt | diag /dev/stdin
readme=$(sed -n '/\*\*Exit status\*\*/,/^$/p' "$S/README.md" | tr '\n' ' ')
for c in $(cat enum.txt); do
  check "README lists exit $c" bash -c 'case "$1" in *" $2 "*) ;; *) exit 1 ;; esac' _ "$readme" "$c"
done
check "README says 6 is also a signature that does not verify" \
  bash -c 'case "$1" in *signature*) ;; *) exit 1 ;; esac' _ "$readme"

# the cases the table was wrong about
expect_exit 2 "an unknown --system is a usage error, as documented" -- \
  "$UMPIRE" run "$S/suites/demo.yaml" --models "$FIX/models-fast.yaml" --system nope --db x.db
expect_exit 7 "an unknown run is not found" -- "$UMPIRE" report --db x.db no-such-run
echo hello >f.txt
"$UMPIRE" --quiet keygen -p k.pub -k k.key
"$UMPIRE" --quiet sign -k k.key f.txt
echo tampered >f.txt
expect_exit 6 "a signature that does not verify is 6" -- "$UMPIRE" verify -p k.pub f.txt
expect_exit 6 "a key file that exists is 6" -- "$UMPIRE" keygen -p k.pub -k k.key
done_testing
