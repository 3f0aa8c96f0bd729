#!/usr/bin/env bash
# Tampering with signed bundles and signatures, one way at a time: a byte
# flipped in each member, a member added, removed, renamed or doubled, the
# key swapped, the signature of another file, the archive truncated, and an
# insider's re-signed bundle whose scaffold nests 60,000 levels deep. Every
# one is refused (never exit 0, never a crash) and quickly.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
export UMPIRE_KEY_DIR="$WORK/keys"

"$UMPIRE" run "$S/suites/demo.yaml" --models "$FIX/models-fast.yaml" --db b.db --run-id b1 \
  --repeats 1 --quiet --reports rep --sign >/dev/null 2>&1
expect_exit 0 "bundle" -- "$UMPIRE" bundle b1 --db b.db -o b.tar.zst
expect_exit 0 "the untouched bundle verifies" -- "$UMPIRE" verify b.tar.zst --pubkey keys/umpire.pub
mkdir other && UMPIRE_KEY_DIR="$WORK/other" "$UMPIRE" --quiet keygen

unpack() { rm -rf x && mkdir x && tar --zstd -xf b.tar.zst -C x; }
repack() { (cd x && tar --zstd -cf ../t.tar.zst "$@"); }
members=$(tar --zstd -tf b.tar.zst | sort)
# refused FILE DESCRIPTION [verify args]: verify fails with 3 or 6 (bad
# input / failed check), says why, and takes under 5 s
refused() {
  local f="$1" d="$2" t0 rc ms; shift 2
  t0=$(date +%s%N)
  "$UMPIRE" verify "$f" "$@" >"$WORK/out" 2>"$WORK/err"
  rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  if { [ "$rc" -eq 3 ] || [ "$rc" -eq 6 ]; } && [ -s "$WORK/err" ] && [ "$ms" -lt 5000 ]; then
    ok "$d: refused (exit $rc, $ms ms)"
  else
    not_ok "$d: exit $rc after $ms ms, wanted 3 or 6 with a reason"; diag "$WORK/err"
  fi
}
# flip FILE OFFSET: invert one byte in place
flip() {
  python3 -c 'import sys
p, o = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read()); b[o % len(b)] ^= 0xff
open(p, "wb").write(b)' "$1" "$2"
}

for m in $members; do
  for where in 0 middle -1; do
    unpack
    size=$(stat -c %s "x/$m")
    case $where in middle) off=$((size / 2)) ;; -1) off=$((size - 1)) ;; *) off=0 ;; esac
    flip "x/$m" "$off"
    repack $members
    refused t.tar.zst "byte $off of $m flipped" --pubkey keys/umpire.pub
  done
done
# the same flips without --pubkey (the bundle's own key) are refused too,
# except a flip in signer.pub, which only --pubkey can catch
for m in $members; do
  [ "$m" = signer.pub ] && continue
  unpack; flip "x/$m" 7; repack $members
  refused t.tar.zst "byte 7 of $m flipped, bundled key trusted"
done

unpack; echo "extra: 1" >x/extra.yaml; repack $members extra.yaml
refused t.tar.zst "a member added" --pubkey keys/umpire.pub
check "the added member is named" grep -q "extra.yaml" "$WORK/err"
for m in $members; do
  unpack; rm "x/$m"; repack $(echo "$members" | grep -vx "$m")
  refused t.tar.zst "$m removed" --pubkey keys/umpire.pub
done
unpack; mv x/suite.yaml x/suite2.yaml; repack $(echo "$members" | sed 's/^suite.yaml$/suite2.yaml/')
refused t.tar.zst "suite.yaml renamed" --pubkey keys/umpire.pub
unpack; mv x/report.json x/report.md.tmp; mv x/report.md x/report.json; mv x/report.md.tmp x/report.md
repack $members
refused t.tar.zst "report.json and report.md swapped" --pubkey keys/umpire.pub
unpack; (cd x && tar --zstd -cf ../t.tar.zst $members && tar --zstd -cf ../t2.tar.zst $members suite.yaml)
refused t2.tar.zst "a member twice in the archive" --pubkey keys/umpire.pub

# the key swapped: another key's signature and public key in the bundle
unpack; cp other/umpire.pub x/signer.pub
(cd x && UMPIRE_KEY_DIR="$WORK/other" "$UMPIRE" --quiet sign MANIFEST); repack $members
refused t.tar.zst "key swapped and MANIFEST re-signed by it" --pubkey keys/umpire.pub
check "the message names the key ids" grep -q "signed by key" "$WORK/err"
unpack; cp other/umpire.pub x/signer.pub; repack $members
refused t.tar.zst "signer.pub swapped, signature left" --pubkey keys/umpire.pub
refused t.tar.zst "signer.pub swapped, bundled key trusted"
# the signature of another file by the right key
unpack; (cd x && cp suite.yaml MANIFEST.orig && "$UMPIRE" --quiet sign suite.yaml &&
  mv suite.yaml.minisig MANIFEST.minisig && rm MANIFEST.orig); repack $members
refused t.tar.zst "the signature of another file" --pubkey keys/umpire.pub
# a detached signature over a changed report
cp rep/b1/report.json r.json && cp rep/b1/report.json.minisig r.json.minisig
expect_exit 0 "the run's report signature verifies" -- "$UMPIRE" verify r.json --pubkey keys/umpire.pub
flip r.json 100
refused r.json "a byte flipped in a signed report" --pubkey keys/umpire.pub
cp rep/b1/report.json r.json; cp rep/b1/report.md r.json.minisig.src
"$UMPIRE" --quiet sign r.json.minisig.src && mv r.json.minisig.src.minisig r.json.minisig
refused r.json "a report with the signature of another file" --pubkey keys/umpire.pub

# truncated archives
size=$(stat -c %s b.tar.zst)
for cut in 1 100 $((size / 2)) $((size - 1)); do
  head -c "$cut" b.tar.zst >cut.tar.zst
  refused cut.tar.zst "the archive truncated to $cut of $size bytes" --pubkey keys/umpire.pub
done
: >empty.tar.zst
refused empty.tar.zst "an empty archive" --pubkey keys/umpire.pub

# an insider re-signs a bundle whose scaffold nests 60,000 levels deep
unpack
python3 -c 'print("messages: " + "[" * 60000 + "]" * 60000)' >x/scaffold.yaml
sql x/store.sqlite "update runs set scaffold_sha256='$(sha256sum x/scaffold.yaml | cut -d' ' -f1)'"
bundle_resign x; repack $members
refused t.tar.zst "a re-signed bundle with a 60k-deep scaffold" --pubkey keys/umpire.pub
check "the depth is what is refused" grep -qi "deep\|depth\|nest" "$WORK/err"
unpack
python3 -c 'print("name: x\nitems:\n" + "- " * 60000 + "1")' >x/suite.yaml
sql x/store.sqlite "update runs set suite_sha256='$(sha256sum x/suite.yaml | cut -d' ' -f1)'"
bundle_resign x; repack $members
refused t.tar.zst "a re-signed bundle with a 60k-deep block suite" --pubkey keys/umpire.pub
done_testing
