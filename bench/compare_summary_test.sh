#!/usr/bin/env bash
# Feeds compare_summary.py synthetic summaries with known samples and checks each decision:
# the same distribution passes; a shift past a ratio's minimum effect asks for a re-run of
# that ratio's families (exit 3), and is a regression once a re-run confirms it, or passes
# when two runs clear it; an improvement and a tiny shift pass; a ratio missing from every
# run fails; a ratio without baseline samples is not compared; a bad baseline is an input
# error; a baseline of several runs is compared by its worst run; report_md.py renders the
# decisions as a table. Runs no benchmark.
set -euo pipefail

dir="$(dirname "$0")"
bench="${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-sbx}/bench"
[[ -f "$bench/compare_summary.py" ]] || bench="$dir"
# Debian's python3, with python3-scipy.
python="${PYTHON:-/usr/bin/python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

summary() {  # out seed [path=factor ...]: samples of every ratio, some shifted by factor
  "$python" - "$@" <<'PY'
import json, math, random, sys
out, seed, shifts = sys.argv[1], int(sys.argv[2]), dict(a.split("=") for a in sys.argv[3:])
median = {"ratios.fast_over_floor": 1.3, "ratios.lix_over_floor": 2.1,
          "ratios.fast_over_lix_at_4gib": 0.004, "rss_growth.fast": 1.05,
          "rss_growth.lix": 120.0, "end_to_end_ratios.sbx_run_over_bwrap": 0.9,
          "end_to_end_ratios.sbx_run_over_unshare": 1.5,
          "end_to_end_ratios.sbx_run_over_crun": 0.6}
rng = random.Random(seed)
samples = {}
for path, m in median.items():
    factor = shifts.get(path, "1")
    if factor == "none":
        samples[path] = []
        continue
    samples[path] = [m * float(factor) * math.exp(rng.gauss(0, 0.03)) for _ in range(20)]
json.dump({"samples": samples}, open(out, "w"))
PY
}

failures=0
total=0
expect() {  # name expected_status stderr_pattern [compare args...]
  local name="$1" want="$2" pattern="$3" got=0
  shift 3
  total=$((total + 1))
  "$python" "$bench/compare_summary.py" "$@" --json "$tmp/compare.json" \
    --rerun-families "$tmp/families" 2>"$tmp/err" || got=$?
  if [[ "$got" != "$want" ]] || ! grep -q -- "$pattern" "$tmp/err"; then
    echo "FAIL $name: exit $got (want $want), stderr:"
    sed 's/^/  /' "$tmp/err"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}
families_are() {  # name expected
  total=$((total + 1))
  if [[ "$(tr '\n' ' ' <"$tmp/families")" != "$2 " ]]; then
    echo "FAIL $1: families to re-run: $(tr '\n' ' ' <"$tmp/families"), want $2"
    failures=$((failures + 1))
  else
    echo "ok   $1"
  fi
}

summary "$tmp/base.json" 1
summary "$tmp/same.json" 2
summary "$tmp/same2.json" 3
summary "$tmp/fast10.json" 4 ratios.fast_over_floor=1.10
summary "$tmp/fast10b.json" 5 ratios.fast_over_floor=1.10
summary "$tmp/better.json" 6 ratios.fast_over_floor=0.7 rss_growth.lix=0.5
summary "$tmp/tiny.json" 7 ratios.fast_over_floor=1.01
summary "$tmp/e2e.json" 8 end_to_end_ratios.sbx_run_over_bwrap=1.3
summary "$tmp/missing.json" 9 ratios.lix_over_floor=none

expect "same distribution passes" 0 "0 of 8 ratios regressed" "$tmp/same.json" "$tmp/base.json"
expect "an ok line has both intervals" 0 \
  "compare: ratios.fast_over_floor = 1\.[0-9]* \[1\..*\], baseline 1\..*\[.*\], change .*: ok$" \
  "$tmp/same.json" "$tmp/base.json"
expect "improvement passes" 0 "0 of 8 ratios regressed" "$tmp/better.json" "$tmp/base.json"
expect "shift below the minimum effect passes" 0 "0 of 8" "$tmp/tiny.json" "$tmp/base.json"
expect "shift past the minimum effect asks for a re-run" 3 \
  "suspected ratios.fast_over_floor" "$tmp/fast10.json" "$tmp/base.json"
families_are "...of the families that measure it" "churn flags parent_rss_16 threads"
expect "a confirming re-run makes a regression" 1 \
  "REGRESSION ratios.fast_over_floor = .*(in 2 of 2 runs)" \
  "$tmp/fast10.json" "$tmp/base.json" --rerun "$tmp/fast10b.json"
expect "one clearing re-run asks for another" 3 "measuring again: churn flags" \
  "$tmp/fast10.json" "$tmp/base.json" --rerun "$tmp/same.json"
expect "two of three runs alarming make a regression" 1 \
  "REGRESSION ratios.fast_over_floor.*(in 2 of 3 runs)" \
  "$tmp/fast10.json" "$tmp/base.json" --rerun "$tmp/same.json" --rerun "$tmp/fast10b.json"
expect "two of three runs clearing pass" 0 "cleared in 2 of 3 runs): ok" \
  "$tmp/fast10.json" "$tmp/base.json" --rerun "$tmp/same.json" --rerun "$tmp/same2.json"
expect "...and the summary says so" 0 "0 of 8 ratios regressed .*1 suspected and cleared; 2 re-run" \
  "$tmp/fast10.json" "$tmp/base.json" --rerun "$tmp/same.json" --rerun "$tmp/same2.json"
expect "end-to-end shift asks for an end-to-end re-run" 3 \
  "suspected end_to_end_ratios.sbx_run_over_bwrap" "$tmp/e2e.json" "$tmp/base.json"
families_are "...of end_to_end alone" "end_to_end"
expect "a ratio missing from every run fails" 1 \
  "REGRESSION ratios.lix_over_floor: not measured in this run" \
  "$tmp/missing.json" "$tmp/base.json" --rerun "$tmp/missing.json"
expect "a ratio without baseline samples is not compared" 0 \
  "ratios.lix_over_floor: no baseline value, not compared" "$tmp/same.json" "$tmp/missing.json"

# The table a CI reader and the report see.
"$python" "$bench/compare_summary.py" "$tmp/fast10.json" "$tmp/base.json" \
  --rerun "$tmp/fast10b.json" --json "$tmp/compare.json" 2>/dev/null || true
mkdir "$tmp/run"  # a run that measured nothing: every table empty
"$python" "$bench/summarize.py" "$tmp/run" --quick
"$python" "$bench/report_md.py" "$tmp/run/summary.json" "$tmp/summary.md" \
  --compare "$tmp/compare.json"
total=$((total + 1))
if grep -q '^| `ratios.fast_over_floor` | 1\.[0-9]* (1\..* to 1\..*) | 1\..* | +.*% (.*% to .*%) | +5.0% | .* | \*\*REGRESSION\*\* | 1 re-run(s) in 2 of 2 runs |$' \
  "$tmp/summary.md" && grep -q '^1 of 8 ratios regressed' "$tmp/summary.md"; then
  echo "ok   report_md renders the decisions"
else
  echo "FAIL report_md renders the decisions:"
  sed -n '/Regression check/,$p' "$tmp/summary.md" | sed 's/^/  /'
  failures=$((failures + 1))
fi

# A baseline of two runs, the second made under load (fast over floor 10% higher): a run
# as high as the worst of them passes, 10% above it is suspected.
"$python" - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
runs = [json.load(open("%s/%s.json" % (tmp, n)))["samples"] for n in ("base", "fast10")]
json.dump({"samples": runs[0], "samples_by_run": runs}, open(tmp + "/two_runs.json", "w"))
PY
summary "$tmp/fast21.json" 10 ratios.fast_over_floor=1.21
expect "a run as high as the worst baseline run passes" 0 "0 of 8 ratios regressed" \
  "$tmp/fast10b.json" "$tmp/two_runs.json"
expect "10% above the worst baseline run is suspected" 3 "suspected ratios.fast_over_floor" \
  "$tmp/fast21.json" "$tmp/two_runs.json"

printf 'not json' >"$tmp/bad.json"
expect "unreadable baseline is an input error" 2 "cannot read input" "$tmp/same.json" \
  "$tmp/bad.json"

echo "$((total - failures)) passed, $failures failed"
[[ "$failures" == 0 ]]
