#!/usr/bin/env bash
# report.html in a real browser: the demo's report opened from a file:// URL
# in headless Chromium (Debian's chromium, installed by scripts/deps.sh) over
# the DevTools protocol on a pipe: no console error, a screenshot of every
# chart, every number shown equal to report.json's, every item-table link
# landing on its transcript; the HTML valid for html5lib (strict) and tidy;
# the same intervals in the terminal summary, report.md and report.html;
# byte-identical regeneration, signatures, and bundles that verify the pages.
# Set UMPIRE_SHOTS_DIR to keep the screenshots.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
T="$S/tests/tools"
CHROMIUM=/usr/bin/chromium
PY=/usr/bin/python3 # Debian's, with python3-html5lib
export UMPIRE_KEY_DIR="$WORK/keys"

check "chromium is installed (scripts/deps.sh)" test -x "$CHROMIUM"
check "html5lib and tidy are installed (scripts/deps.sh)" \
  bash -c "$PY -c 'import html5lib' && command -v tidy >/dev/null"

# the demo: 480 attempts, above the inline threshold, so one page per system
expect_exit 0 "demo run" -- "$UMPIRE" run "$S/suites/demo.yaml" --models "$S/models/demo.yaml" \
  --db demo.db --run-id d1 --reports rep --sign
cp "$WORK/out" summary.txt
R=rep/d1
check "report.html written beside report.md and report.json" test -s $R/report.html
pages=$(cd $R && ls transcripts-*.html 2>/dev/null | wc -l)
check "480 attempts: transcripts on one page per system (5, got $pages)" test "$pages" -eq 5
check "report.html is signed" test -s $R/report.html.minisig
expect_exit 0 "the report.html signature verifies" -- \
  "$UMPIRE" verify $R/report.html --pubkey keys/umpire.pub
expect_exit 0 "a transcript page's signature verifies" -- \
  "$UMPIRE" verify $R/transcripts-04-sim-conductor.html --pubkey keys/umpire.pub
mkdir first && cp $R/*.html first/
expect_exit 0 "umpire report regenerates" -- "$UMPIRE" report --db demo.db --reports rep d1
check "report.html is byte-identical when regenerated" cmp -s first/report.html $R/report.html
check "so are the transcript pages" \
  bash -c "for f in first/transcripts-*.html; do cmp -s \$f $R/\$(basename \$f) || exit 1; done"

expect_exit 0 "every page is valid HTML5 (html5lib strict), each chart with a title, nothing from the network" -- \
  $PY "$T/html_check.py" valid $R/report.html $R/transcripts-*.html
diag "$WORK/out"
tidy -q -e $R/report.html >/dev/null 2>tidy.txt
check "tidy finds no error in report.html (exit $?)" test $? -lt 2
printf '<!DOCTYPE html><html lang="en"><head><title>x</title></head><body><p></div></body></html>' >bad.html
expect_exit 1 "the validity check fails a page with a misnested tag" -- $PY "$T/html_check.py" valid bad.html
check "naming the error" grep -q "not valid HTML5" "$WORK/out"

# the browser
expect_exit 0 "headless chromium renders report.html from file:// with no console error" -- \
  timeout 150 python3 "$T/browser.py" "$CHROMIUM" $R/report.html shots transcripts-01-sim-atlas.html
diag "$WORK/out"
diag shots/console.txt
for c in chart-accuracy chart-cost chart-heatmap chart-forest chart-claims chart-routing-0; do
  check "a screenshot of $c" bash -c "head -c 8 shots/$c.png | od -An -tx1 | grep -q '89 50 4e 47' && test \$(stat -c %s shots/$c.png) -gt 3000"
done
links=$(grep -c found shots/links.txt)
check "every mark of the item table's first row opens its transcript (10, got $links)" test "$links" -eq 10
check "no link points at nothing" bash -c "! grep -q MISSING shots/links.txt"
expect_exit 0 "every number shown in the page equals report.json's" -- \
  python3 "$T/html_check.py" values shots/dom.html $R/report.json 150
diag "$WORK/out"
expect_exit 0 "the terminal summary, report.md and report.html print the same intervals" -- \
  python3 "$T/html_check.py" same shots/dom.html $R/report.md summary.txt
# one shown number changed: a 9 put in front of the first percentage
sed -E '0,/data-fmt="pct">([0-9])/s//data-fmt="pct">9\1/' shots/dom.html >dom-bad.html
expect_exit 1 "the value check catches a number that differs" -- \
  python3 "$T/html_check.py" values dom-bad.html $R/report.json 1

# a one-item run: transcripts inline, intervals at n = 1 agree everywhere
head -2 "$S/suites/demo/questions.csv" >one.csv
sed -e "s#demo/questions.csv#$WORK/one.csv#" -e "s#\.\./scaffolds#$S/scaffolds#" -e '/sha256: 6755/d' \
  "$S/suites/demo.yaml" >one.yaml
expect_exit 0 "a one-item run" -- "$UMPIRE" run one.yaml --models "$FIX/models-fast.yaml" \
  --db one.db --run-id o1 --reports rep --repeats 1
cp "$WORK/out" summary1.txt
check "5 attempts: no transcript pages" bash -c "! ls rep/o1/transcripts-* 2>/dev/null"
expect_exit 0 "the one-item report renders with no console error" -- \
  timeout 120 python3 "$T/browser.py" "$CHROMIUM" rep/o1/report.html shots1
diag shots1/console.txt
check "its item table links to transcripts inside report.html" \
  bash -c "grep -q '^#a-.* found' shots1/links.txt && ! grep -q MISSING shots1/links.txt"
check "a screenshot of the transcript the first mark opens" \
  bash -c "head -c 8 shots1/transcript.png | od -An -tx1 | grep -q '89 50 4e 47' && test \$(stat -c %s shots1/transcript.png) -gt 3000"
expect_exit 0 "at n = 1 the summary, report.md and report.html agree" -- \
  python3 "$T/html_check.py" same shots1/dom.html rep/o1/report.md summary1.txt
diag "$WORK/out"
expect_exit 0 "its numbers equal report.json's" -- \
  python3 "$T/html_check.py" values shots1/dom.html rep/o1/report.json 50
check "the transcript shows the request, the response and the grade" \
  bash -c "grep -q '<b>user</b>' rep/o1/report.html && grep -q '<b>response</b>' rep/o1/report.html && grep -q 'extractor matched' rep/o1/report.html"

if [ -n "${UMPIRE_SHOTS_DIR:-}" ]; then
  mkdir -p "$UMPIRE_SHOTS_DIR" && cp shots/*.png "$UMPIRE_SHOTS_DIR/" && cp shots1/transcript.png "$UMPIRE_SHOTS_DIR/"
fi

# bundles carry the pages and verify them
expect_exit 0 "bundle the demo" -- "$UMPIRE" bundle d1 --db demo.db -o d.tar.zst
check "the bundle holds report.html and the transcript pages" \
  bash -c "tar --zstd -tf d.tar.zst | grep -c '\.html$' | grep -qx 6"
expect_exit 0 "the bundle verifies, pages included" -- "$UMPIRE" verify d.tar.zst --pubkey keys/umpire.pub
check "verify says the pages were regenerated" grep -q "6 HTML pages regenerated byte-identical" "$WORK/out"
rm -rf x && mkdir x && tar --zstd -xf d.tar.zst -C x
sed -E -i '0,/data-fmt="pct">([0-9])/s//data-fmt="pct">9\1/' x/report.html
bundle_resign x && (cd x && tar --zstd -cf ../t.tar.zst $(ls))
expect_exit 6 "a number changed in report.html and re-signed is detected" -- \
  "$UMPIRE" verify t.tar.zst --pubkey keys/umpire.pub
check "and named" grep -q "report.html differs" "$WORK/err"
rm -rf x && mkdir x && tar --zstd -xf d.tar.zst -C x
rm x/transcripts-03-sim-cirrus.html
bundle_resign x && (cd x && tar --zstd -cf ../t.tar.zst $(ls))
expect_exit 6 "a transcript page removed and re-signed is detected" -- \
  "$UMPIRE" verify t.tar.zst --pubkey keys/umpire.pub
check "and named" grep -q "transcripts-03-sim-cirrus.html is missing" "$WORK/err"
done_testing
