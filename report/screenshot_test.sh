#!/usr/bin/env bash
# Renders the report of the fixtures (report/testdata/) in headless Chromium (Debian's
# `chromium`), takes a screenshot and dumps the DOM, and checks both
# (report/screenshot_check.py). Leaves the PNG in the test's outputs
# (bazel-testlogs/report/screenshot_test/test.outputs/) for a person to look at.
# Env: CHROMIUM (default chromium).
set -euo pipefail

chromium=${CHROMIUM:-chromium}
python=/usr/bin/python3
width=1200 height=3000
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/screenshot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if ! command -v "$chromium" >/dev/null; then
  echo "FAIL: $chromium not found; install Debian's chromium (./harness setup)" >&2
  exit 1
fi

"$python" report/make_report.py --suites report/testdata/suites.tsv --out "$tmp/report" \
  --fuzz-summary report/testdata/fuzz/summary.json --bench-dir report/testdata/bench \
  --machine report/testdata/machine.json --generated fixture >/dev/null || true
[[ -s $tmp/report/index.html ]] || { echo "FAIL: no index.html generated" >&2; exit 1; }

# As root Chromium needs --no-sandbox; the rest keeps it off the network and the disk
# outside $tmp (a fresh profile each run).
run_chromium() {
  HOME=$tmp "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$tmp/profile" --hide-scrollbars --window-size="$width,$height" \
    "$@" "file://$tmp/report/index.html"
}
run_chromium --screenshot="$tmp/shot.png" 2>"$tmp/chromium.log" || true
run_chromium --dump-dom >"$tmp/dom.html" 2>>"$tmp/chromium.log" || true
if [[ ! -s $tmp/shot.png || ! -s $tmp/dom.html ]]; then
  echo "FAIL: chromium wrote no screenshot or no DOM; its log:" >&2
  cat "$tmp/chromium.log" >&2
  exit 1
fi
if [[ -n ${TEST_UNDECLARED_OUTPUTS_DIR:-} ]]; then
  cp "$tmp/shot.png" "$TEST_UNDECLARED_OUTPUTS_DIR/report.png"
fi
"$python" report/screenshot_check.py "$tmp/shot.png" "$tmp/dom.html" "$width" "$height"
