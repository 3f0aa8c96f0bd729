#!/usr/bin/env bash
# `meson install --destdir` into a scratch root: the installed binary, run
# from another directory, finds the shipped suites, models, pools, scaffolds
# and claims under DATADIR/umpire and runs the demo; `man umpire` works from
# that root; the bash completion completes commands and options; an import
# made there names a scaffold that exists.
. "$(dirname "$0")/lib.sh"
: "${UMPIRE_BUILDDIR:?UMPIRE_BUILDDIR must point at the build directory}"
cd "$WORK"
ROOT="$WORK/root"
MESON=$(command -v meson)

check "meson install --destdir into a scratch root" \
  "$MESON" install -C "$UMPIRE_BUILDDIR" --destdir "$ROOT" --no-rebuild --quiet
bin=$(find "$ROOT" -type f -path '*/bin/umpire' | head -1)
check "the binary is installed ($bin)" test -x "$bin"
data=$(find "$ROOT" -type d -path '*/share/umpire' | head -1)
for f in suites/demo.yaml suites/demo/questions.csv models/demo.yaml models/demo-pool.yaml \
         pools/demo.yaml scaffolds/mcq.yaml scaffolds/terminal-agent.yaml claims/demo.yaml \
         docs/cli.md suites/terminal-demo.yaml suites/image-demo.yaml \
         suites/image-demo/line-peak.png suites/charxiv.yaml; do
  check "installed: $f" test -s "$data/$f"
done
check "task scripts keep their modes" test -x "$(find "$data/suites/terminal-demo" -name solution.sh | head -1)"
page=$(find "$ROOT" -type f -path '*/man1/umpire.1' | head -1)
check "the man page is installed" test -s "$page"
comp=$(find "$ROOT" -type f -path '*/bash-completion/completions/umpire' | head -1)
check "the bash completion is installed" test -s "$comp"

mkdir elsewhere && cd elsewhere
expect_exit 0 "umpire run demo, from another directory" -- "$bin" run demo --db d.db --quiet
check "it ran the shipped suite against the shipped models" \
  test "$(sql d.db "select count(*) from attempts where status='done'")" -eq $((48 * 2 * 5))
check "the report is written here" test -s "$(ls reports/*/report.json | head -1)"
expect_exit 0 "umpire claims demo" -- "$bin" claims demo --db d.db
check "the vendor table is measured" grep -qi "reproduced\|below claim\|above claim" "$WORK/out"
expect_exit 0 "umpire rescore with a shipped scaffold by name" -- \
  "$bin" rescore "$(sql d.db "select run_id from runs limit 1")" --db d.db -S mcq-first-match
expect_exit 0 "an import here" -- \
  "$bin" import terminal-bench "$UMPIRE_SRCDIR/tests/fixtures/tbimport/tb1" -o mine/t.yaml
ref=$(sed -n 's/^scaffold: *//p' mine/t.yaml | tr -d '"')
check "names the installed scaffold, which exists ($ref)" bash -c 'cd mine && test -s "$1"' _ "$ref"
check "without a warning" bash -c '! grep -q warning "$1"' _ "$WORK/err"
cd "$WORK"

export MANPAGER=cat PAGER=cat MANWIDTH=80
man -l "$page" >man-l.txt 2>man.err
check "man -l renders the page" grep -q "umpire run" man-l.txt
check "groff has no warning about it" bash -c '! groff -man -ww -z "$1" 2>&1 | grep -q .' _ "$page"
diag man.err
man -M "$(dirname "$(dirname "$page")")" umpire >man.txt 2>man.err
check "man umpire works from the root" grep -q "EXIT STATUS" man.txt
check "the page has every command" \
  bash -c 'for c in $("$1" --help | sed -n "/^Commands:/,/^\$/p" | awk "NR > 1 && NF { print \$1 }"); do
    grep -q "umpire $c" "$2" || { echo "# missing $c"; exit 1; }; done' _ "$bin" man.txt

comp_of() { # words... -> the completions of the last one
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _umpire; echo "${COMPREPLY[*]}"' \
    _ "$comp" "$@"
}
check "completion: umpire ro -> route-eval" bash -c 'case "$1" in *route-eval*) ;; *) exit 1 ;; esac' _ "$(comp_of umpire ro)"
check "completion: umpire run --sys -> --system" test "$(comp_of umpire run --sys)" = "--system"
check "completion: umpire import s -> swe-bench-pro" bash -c 'case "$1" in *swe-bench-pro*) ;; *) exit 1 ;; esac' _ "$(comp_of umpire import s)"
done_testing
