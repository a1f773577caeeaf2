#!/usr/bin/env bash
# Feeds compare_summary.py synthetic summaries: within tolerance must pass, a regressed
# ratio must fail and be named, a ratio missing from the run must fail, an improvement and
# a ratio without a baseline value must pass. Runs no benchmark.
set -euo pipefail

compare="${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-sbx}/bench/compare_summary.py"
[[ -f "$compare" ]] || compare="$(dirname "$0")/compare_summary.py"
# Debian's python3; nothing beyond its standard library is needed.
python="${PYTHON:-/usr/bin/python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

summary() {  # fast_over_floor lix_over_floor rss_growth_fast sbx_over_bwrap
  cat <<JSON
{"ratios": {"fast_over_floor": $1, "lix_over_floor": $2, "fast_over_lix_at_4gib": 0.05},
 "rss_growth": {"fast": $3, "lix": 20.0},
 "end_to_end_ratios": {"sbx_run_over_bwrap": $4, "sbx_run_over_unshare": 0.5,
                       "sbx_run_over_crun": 0.3},
 "tolerances": {"ratios.fast_over_floor": 0.10}}
JSON
}

failures=0
expect() {  # name expected_status stderr_pattern current_json
  local name="$1" want="$2" pattern="$3"
  printf '%s' "$4" >"$tmp/current.json"
  local got=0
  "$python" "$compare" "$tmp/current.json" "$tmp/baseline.json" 2>"$tmp/err" || got=$?
  if [[ "$got" != "$want" ]] || ! grep -q -- "$pattern" "$tmp/err"; then
    echo "FAIL $name: exit $got (want $want), stderr:"
    sed 's/^/  /' "$tmp/err"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

summary 1.05 3.0 1.02 0.40 >"$tmp/baseline.json"

expect "identical run passes" 0 "no regression" "$(summary 1.05 3.0 1.02 0.40)"
expect "within tolerance passes" 0 "ratios.fast_over_floor = 1.150, baseline 1.050" \
  "$(summary 1.15 3.9 1.20 0.49)"
expect "improvement passes" 0 "no regression" "$(summary 1.00 2.0 1.00 0.30)"
# The baseline's own tolerance (10%) for fast_over_floor overrides the default (15%).
expect "regressed fast_over_floor fails" 1 "REGRESSION ratios.fast_over_floor = 1.170" \
  "$(summary 1.17 3.0 1.02 0.40)"
expect "regressed end-to-end ratio fails" 1 \
  "REGRESSION end_to_end_ratios.sbx_run_over_bwrap = 0.520" "$(summary 1.05 3.0 1.02 0.52)"
expect "regressed rss growth fails" 1 "REGRESSION rss_growth.fast" \
  "$(summary 1.05 3.0 1.50 0.40)"
expect "ratio missing from the run fails" 1 "REGRESSION ratios.fast_over_floor: not measured" \
  "$(summary null 3.0 1.02 0.40)"
summary null 3.0 1.02 0.40 >"$tmp/baseline.json"
expect "ratio without baseline is not compared" 0 "fast_over_floor: no baseline value" \
  "$(summary 9.99 3.0 1.02 0.40)"
printf 'not json' >"$tmp/baseline.json"
expect "unreadable baseline is an input error" 2 "cannot read input" "$(summary 1 1 1 1)"

total=9
echo "$((total - failures)) passed, $failures failed"
[[ "$failures" == 0 ]]
