#!/usr/bin/env bash
# The planted-bug demo as a test (tagged manual; run with --config=fuzz):
#   bazel test --config=fuzz //fuzz:id_map_planted_demo_test --test_output=all
# Fuzzes the validator copy with the off-by-one overlap test, from seeds without overlaps,
# and passes only if libFuzzer finds an input the id_map properties reject as overlapping
# within the time limit. Prints how long it took and how many executions.
#
# Usage: demo_test.sh FUZZER DICT SEED_DIR [SECONDS]
set -euo pipefail

fuzzer=$1 dict=$2 seeds=$3 limit=${4:-60}
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/planted.XXXXXX")
if "$fuzzer" -help=1 2>&1 | grep -q '^replay:'; then
  echo "FAIL: $fuzzer is the replay build; run: bazel test --config=fuzz $TEST_TARGET" >&2
  exit 1
fi
mkdir "$tmp/corpus"
start=$(date +%s.%N)
status=0
"$fuzzer" -dict="$dict" -max_total_time="$limit" -artifact_prefix="$tmp/" \
  "$tmp/corpus" "$seeds" >"$tmp/log" 2>&1 || status=$?
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
if ((status == 0)); then
  tail -n 5 "$tmp/log" >&2
  echo "FAIL: the planted overlap bug was not found in ${limit}s" >&2
  exit 1
fi
if ! grep -q 'id_map property violated: .* ranges overlap' "$tmp/log"; then
  tail -n 30 "$tmp/log" >&2
  echo "FAIL: the fuzzer stopped (exit $status) for another reason than the planted bug" >&2
  exit 1
fi
grep -A4 'property violated' "$tmp/log"
runs=$(grep -o '^#[0-9]*' "$tmp/log" | tail -n1)
echo "PASS: planted overlap bug found in ${took}s after ${runs#\#} executions"
