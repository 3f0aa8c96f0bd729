#!/usr/bin/env bash
# Every command answers -h and --help alike; a letter means one thing in
# every command (docs/cli.md, "Option conventions"); every long option a
# help text lists is in docs/cli.md; values out of range are refused with
# exit 2 and a message naming the option.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"

"$UMPIRE" --help >top.txt
cmds=$(sed -n '/^Commands:/,/^$/p' top.txt | awk 'NR > 1 && NF { print $1 }')
check "umpire --help lists commands" test -n "$cmds"
: >pairs.txt
for c in $cmds; do
  expect_exit 0 "umpire $c -h" -- "$UMPIRE" "$c" -h
  cp "$WORK/out" h1.txt
  expect_exit 0 "umpire $c --help" -- "$UMPIRE" "$c" --help
  check "$c: -h and --help print the same help" cmp -s h1.txt "$WORK/out"
  check "$c --help starts with its usage" grep -qi "^usage: umpire $c" "$WORK/out"
  # "-x, --long" pairs, with the command they come from
  grep -oE '^ +-[A-Za-z0-9], --[a-z][a-z0-9-]*' "$WORK/out" |
    sed -E "s/^ +//; s/, / /; s/^/$c /" >>pairs.txt
  # every long option of the help is documented in docs/cli.md
  for o in $(grep -oE '^ +(-[A-Za-z0-9], )?--[a-z][a-z0-9-]*' "$WORK/out" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
    check "$c $o is in docs/cli.md" grep -q -- "$o\b" "$S/docs/cli.md"
  done
done
for f in terminal-bench swe-bench-pro predictions charxiv; do
  expect_exit 0 "umpire import $f -h" -- "$UMPIRE" import "$f" -h
  check "import $f -h prints its usage" grep -q "usage: umpire import" "$WORK/out"
done
expect_exit 0 "umpire profile export -h" -- "$UMPIRE" profile export -h

# verify --help says which key checks a bundle: the one inside it
"$UMPIRE" verify --help >v.txt
check "verify --help: a bundle without --pubkey is checked with its own signer.pub" \
  grep -q "for a BUNDLE, the" v.txt
check "verify --help: that proves integrity, not identity" grep -q "intact, not" v.txt

# one meaning per letter
conflicts=$(awk '{ if (($2 in m) && m[$2] != $3) print $2 ": " m[$2] " (" w[$2] ") and " $3 " (" $1 ")";
                   else { m[$2] = $3; w[$2] = $1 } }' pairs.txt)
check "no letter means two options across commands${conflicts:+: $conflicts}" test -z "$conflicts"
check "-s is --system" grep -q -- "run -s --system" pairs.txt
check "-k is --seckey in run, report, keygen, sign and bundle" \
  test "$(grep -c -- ' -k --seckey$' pairs.txt)" -ge 5
for c in keygen sign bundle; do
  expect_exit 2 "$c -s (the old secret-key letter) is refused" -- "$UMPIRE" "$c" -s x.key
  check "$c -s says where the secret key went" grep -q -- "-k FILE or --seckey FILE" "$WORK/err"
done

# out-of-range values: exit 2 and the option named
mkdir -p db && M="$FIX/models-fast.yaml"
bad() { # description option... : expect exit 2 naming $opt
  local d="$1" opt="$2"; shift 2
  expect_exit 2 "$d" -- "$UMPIRE" "$@"
  check "$d: names $opt" grep -q -- "$opt" "$WORK/err"
}
bad "route-eval --resamples 10" --resamples route-eval --resamples 10 --db none.db
bad "route-eval --resamples 0" --resamples route-eval --resamples 0 --db none.db
bad "route-eval --resamples 2000000" --resamples route-eval --resamples 2000000 --db none.db
bad "route-eval --seed -1" --seed route-eval --seed -1 --db none.db
bad "run --repeats 0" --repeats run "$S/suites/demo.yaml" --models "$M" --repeats 0
bad "run --jobs 0" --jobs run "$S/suites/demo.yaml" --models "$M" --jobs 0
bad "run --jobs 99999999999999999999" --jobs run "$S/suites/demo.yaml" --models "$M" --jobs 99999999999999999999
bad "run --sandbox-jobs 0" --sandbox-jobs run "$S/suites/demo.yaml" --models "$M" --sandbox-jobs 0
bad "run --sandbox-driver lxc" --sandbox-driver run "$S/suites/demo.yaml" --models "$M" --sandbox-driver lxc
bad "simulate --port 70000" --port simulate --pool p --suite s --port 70000
bad "simulate --latency-scale -1" --latency-scale simulate --pool p --suite s --latency-scale -1
bad "simulate --lifetime 0" --lifetime simulate --pool p --suite s --lifetime 0
bad "proxy --listen 0.0.0.0:1" --listen proxy --upstreams u --listen 0.0.0.0:1
bad "report --print html" --print report --print html
bad "profile export --format xml" --format profile export --format xml
expect_exit 2 "an unknown letter is named by itself" -- "$UMPIRE" report -Z
check "the message names -Z" grep -q "unknown option '-Z'" "$WORK/err"
expect_exit 2 "a missing value is named" -- "$UMPIRE" run "$S/suites/demo.yaml" --models
check "the message names --models" grep -q "option '--models' needs a value" "$WORK/err"
done_testing
