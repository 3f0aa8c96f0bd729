#!/usr/bin/env bash
# Inputs refused before work: deep YAML nesting (linear pre-scan, refused
# at the limit's byte, not after parsing), base URLs libcurl cannot parse,
# a store path that does not exist (never created by a reader), a secret
# key others can read; and verify without --pubkey says loudly whose key
# it trusted.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
export UMPIRE_KEY_DIR="$WORK/keys"

python3 -c "import sys; sys.stdout.write('[' * 409600)" >deep.yaml
expect_exit 3 "400 KB of nested [ is refused" -- \
  "$UMPIRE" run deep.yaml --models "$FIX/models-fast.yaml" --db d.db --no-report
check "by the pre-scan, at the byte past the limit" grep -q "deep.yaml:1:258: nesting deeper than 256 levels" "$WORK/err"
{ for i in $(seq 0 299); do printf "%${i}sk$i:\n" ""; done; printf "%300sx: 1\n" ""; } >deepblock.yaml
expect_exit 3 "deep block nesting is refused" -- \
  "$UMPIRE" run deepblock.yaml --models "$FIX/models-fast.yaml" --db d.db --no-report
check "with its place" grep -q "deepblock.yaml:[0-9]*:[0-9]*: nesting deeper than 256 levels" "$WORK/err"

for url in 'http://[::1' 'http://127.0.0.1:99999/v1' 'http://exa mple.com/v1'; do
  sed "s#base_url: .*#base_url: \"$url\"#" "$FIX/models-external.yaml" >bad-url.yaml
  expect_exit 3 "base_url $url refused at load" -- \
    "$UMPIRE" run "$S/suites/demo.yaml" --models "$WORK/bad-url.yaml" --db u.db --no-report
done
check "before any store was made" test ! -e u.db

for cmd in "report --db typo.db" "bundle r1 --db typo.db -o x.tar.zst" "profile export --db typo.db" \
           "run $S/suites/demo.yaml --models $FIX/models-fast.yaml --db typo.db --resume r1"; do
  expect_exit 7 "$cmd: no such store" -- "$UMPIRE" $cmd
done
check "and none was created" test ! -e typo.db

"$UMPIRE" --quiet keygen >/dev/null 2>&1
"$UMPIRE" run "$S/suites/demo.yaml" --models "$FIX/models-fast.yaml" --db b.db --run-id b1 \
  --repeats 1 --quiet --reports rep >/dev/null 2>&1
chmod 644 keys/umpire.key
expect_exit 6 "a secret key readable by others is refused" -- \
  "$UMPIRE" bundle b1 --db b.db -o b.tar.zst
check "and the message says why" grep -q "readable or writable by others (mode 0644)" "$WORK/err"
chmod 600 keys/umpire.key
expect_exit 0 "with mode 0600 it signs" -- "$UMPIRE" bundle b1 --db b.db -o b.tar.zst
expect_exit 0 "verify without --pubkey, quiet" -- "$UMPIRE" --quiet verify b.tar.zst
check "still warns on stderr that it trusted the bundle's own key" \
  grep -q "WARNING: no --pubkey given: trusting the key shipped inside the bundle" "$WORK/err"
done_testing
