#!/usr/bin/env bash
# Regression test of one fuzz target: replays its seed corpus and every crash reproducer ever
# found through the target (the replay driver, or libFuzzer under --config=fuzz). Any
# property violation aborts the target and fails the test.
#
# A target that cannot run here (e.g. the kernel differential without root) prints a line
# "SKIPPED: reason" and exits 0. That is reported as skipped in the test's XML, not as a
# pass; set SBX_FUZZ_NO_SKIP=1 (CI hosts and VMs that have root) to make it a failure.
#
# With --expect-failure PATTERN DIR (the planted-bug demo), every input in DIR must instead
# make the target fail with a message matching PATTERN (grep -E): the test then fails when
# the bug is no longer planted or the properties no longer catch it.
#
# Usage: regression_test.sh BINARY [--expect-failure PATTERN DIR] DIR...
set -euo pipefail

binary=$1
shift
expect_pattern='' expect_dir=''
if [[ ${1:-} == --expect-failure ]]; then
  expect_pattern=$2 expect_dir=$3
  shift 3
fi

inputs=()
for dir in "$@"; do
  [[ -d $dir ]] || continue
  while IFS= read -r -d '' file; do
    inputs+=("$file")
  done < <(find -L "$dir" -type f ! -name .gitkeep ! -name 'README*' -print0 | sort -z)
done
if ((${#inputs[@]} == 0)); then
  echo "FAIL: no inputs in $*: the corpus glob or the runfiles are wrong" >&2
  exit 1
fi

log=${TEST_UNDECLARED_OUTPUTS_DIR:-${TMPDIR:-/tmp}}/replay.log
status=0
"$binary" "${inputs[@]}" >"$log" 2>&1 || status=$?

if skip=$(grep -m1 '^SKIPPED: ' "$log"); then
  echo "$skip"
  if [[ ${SBX_FUZZ_NO_SKIP:-0} == 1 ]]; then
    echo "FAIL: SBX_FUZZ_NO_SKIP=1 and the target could not run" >&2
    exit 1
  fi
  if [[ -n ${XML_OUTPUT_FILE:-} ]]; then
    reason=$(printf '%s' "${skip#SKIPPED: }" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/"/\&quot;/g')
    cat >"$XML_OUTPUT_FILE" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="1" failures="0" skipped="1">
  <testsuite name="${TEST_TARGET:-fuzz_regression}" tests="1" failures="0" skipped="1">
    <testcase name="replay" status="notrun" result="skipped">
      <skipped message="${reason}"/>
    </testcase>
  </testsuite>
</testsuites>
XML
  fi
  exit 0
fi

ran=$(grep -c '^Running: ' "$log" || true)
if ((status != 0)); then
  tail -n 60 "$log" >&2
  echo "FAIL: the target failed (exit $status) on the input after the last 'Running:' line" >&2
  exit 1
fi
if ((ran != ${#inputs[@]})); then
  tail -n 20 "$log" >&2
  echo "FAIL: replayed $ran of ${#inputs[@]} inputs" >&2
  exit 1
fi
if [[ -n $expect_dir ]]; then
  found=0
  while IFS= read -r -d '' file; do
    one=$log.expect
    if ("$binary" "$file") >"$one" 2>&1; then
      echo "FAIL: $file should make the target fail (/$expect_pattern/) but it passed" >&2
      exit 1
    fi
    if ! grep -qE "$expect_pattern" "$one"; then
      tail -n 20 "$one" >&2
      echo "FAIL: $file made the target fail, but not with /$expect_pattern/" >&2
      exit 1
    fi
    found=$((found + 1))
  done < <(find -L "$expect_dir" -type f ! -name .gitkeep ! -name 'README*' -print0 | sort -z)
  if ((found == 0)); then
    echo "FAIL: no inputs in $expect_dir, which must hold the known failing inputs" >&2
    exit 1
  fi
  echo "PASS: $found known failing inputs fail as expected"
fi
echo "PASS: replayed ${#inputs[@]} inputs through $(basename "$binary")"
