#!/usr/bin/env bash
# Runs report/run_all.sh in a scratch workspace whose Bazel and suite entry points are fakes,
# and checks what `harness run` promises: every suite in order with progress, going on past
# a failing suite, "not available" for a missing entry point, a non-zero exit when a suite
# failed and zero when none did, per-suite logs, and a report whose counts are the suites'.
set -euo pipefail

python=/usr/bin/python3
ws=$(mktemp -d "${TEST_TMPDIR:-/tmp}/run_all.XXXXXX")
trap 'rm -rf "$ws"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
mkdir -p "$ws/report" "$ws/vm" "$ws/fuzz" "$ws/bench" "$ws/coverage"
cp report/run_all.sh report/*.py "$ws/report/"
cp coverage/lcov.py "$ws/coverage/"

# gtest-style XML for target $1 (pkg/name) with cases "NAME:pass|fail".
xml() {
  local dir=$ws/testlogs/$1
  shift
  mkdir -p "$dir"
  {
    echo '<?xml version="1.0"?><testsuites><testsuite name="Fake">'
    for c in "$@"; do
      if [[ ${c#*:} == fail ]]; then
        echo "<testcase name=\"${c%:*}\" classname=\"Fake\">" \
          "<failure message=\"fake failure ${c%:*}\"/></testcase>"
      else
        echo "<testcase name=\"${c%:*}\" classname=\"Fake\"/>"
      fi
    done
    echo '</testsuite></testsuites>'
  } >"$dir/test.xml"
}
export -f xml
export ws

cat >"$ws/fakebazel" <<'EOF'
#!/usr/bin/env bash
set -euo pipefail
case "$*" in
  --version) echo "bazel fake" ;;
  *"info "*bazel-testlogs*) echo "$ws/testlogs" ;;
  *"test "*"--test_tag_filters=-no-sandbox,-vm"*)
    xml unit/a_test A:pass B:pass
    echo "//unit:a_test    PASSED in 0.1s" ;;
  *"test "*"--test_tag_filters=no-sandbox,-vm"*)
    if [[ ${FAKE_HOST:-fail} == fail ]]; then
      xml host/b_test C:pass D:fail
      echo "//host:b_test    FAILED in 0.2s"
      exit 3
    fi
    xml host/b_test C:pass D:pass
    echo "//host:b_test    PASSED in 0.2s" ;;
  *) echo "fakebazel: unexpected: $*" >&2; exit 2 ;;
esac
EOF
cat >"$ws/vm/run_all.sh" <<'EOF'
#!/usr/bin/env bash
[[ $* == --all-kernels ]] || { echo "vm/run_all.sh: want --all-kernels, got: $*" >&2; exit 2; }
# As if a later Bazel command reran the host suite's target: its test.xml now passes.
[[ ${FAKE_HOST:-fail} == pass ]] || xml host/b_test C:pass D:pass
xml vm/c_test E:pass
echo "//vm:c_test    PASSED in 9.0s"
echo "1 passed, 0 failed"
EOF
cat >"$ws/fuzz/run_all.sh" <<'EOF'
#!/usr/bin/env bash
[[ $1 == --seconds ]] || exit 2
echo "== fuzzing t1 for ${2}s"
mkdir -p out/fuzz
printf '{"seconds_per_target": %s, "targets": [{"target": "t1", "execs_per_sec": 5, "crashes": 0, "exit_code": 0, "coverage": {}}], "failed": []}\n' "$2" >out/fuzz/summary.json
EOF
chmod +x "$ws/fakebazel" "$ws/vm/run_all.sh" "$ws/fuzz/run_all.sh"

# Run 1: the host suite fails, the benchmarks have no entry point.
status=0
(cd "$ws" && BAZEL=$ws/fakebazel report/run_all.sh --fuzz-seconds 3) >"$ws/out1.txt" 2>&1 ||
  status=$?
cat "$ws/out1.txt"
((status == 1)) || fail "run 1 exited $status, want 1 (the host suite failed)"
grep -q '^== \[1/5\] unit tests: .*(elapsed ' "$ws/out1.txt" || fail "no progress line for suite 1"
grep -q '^== \[2/5\] integration, host: FAILED, 1 passed, 1 failed' "$ws/out1.txt" ||
  fail "no count line for the failing host suite"
grep -q '^== \[3/5\] integration, VM: PASSED, 1 passed, 0 failed' "$ws/out1.txt" ||
  fail "the VM suite did not run after the failing one"
grep -q '^== \[4/5\] fuzzing: PASSED, 1 passed, 0 failed' "$ws/out1.txt" ||
  fail "fuzzing did not run"
grep -q '^== \[5/5\] benchmarks: not available (bench/run_all.sh does not exist)' \
  "$ws/out1.txt" || fail "missing benchmarks not reported as not available"
for name in unit host vm fuzz; do
  [[ -s $ws/out/report/logs/$name.log ]] || fail "no log for $name"
done
[[ -s $ws/out/report/logs/host.testlogs/host/b_test/test.xml ]] ||
  fail "the host suite's test.xml was not copied"
grep -q '"seconds_per_target": 3' "$ws/out/fuzz/summary.json" || fail "--fuzz-seconds not passed"
"$python" - "$ws/out/report/junit.xml" <<'EOF' || fail "junit.xml of run 1"
import sys, xml.etree.ElementTree as ET
suites = {s.get("name"): s for s in ET.parse(sys.argv[1]).getroot().iter("testsuite")}
want = {"unit": ("2", "0"), "host": ("2", "1"), "vm": ("1", "0"), "fuzz": ("1", "0"),
        "bench": ("0", "0")}
got = {n: (s.get("tests"), s.get("failures")) for n, s in suites.items()}
assert got == want, got
EOF
grep -q 'fake failure D' "$ws/out/report/index.html" || fail "failure message not in index.html"

# Run 2: everything passes; the benchmarks run without a base revision (not judged, not a
# failure); the VM suite is skipped.
cat >"$ws/bench/run_all.sh" <<'EOF'
#!/usr/bin/env bash
[[ "$*" == --quick ]] || { echo "unexpected bench args: $*"; exit 2; }
echo "bench: running flags (3 repetitions, min time 0.05s)"
mkdir -p out/bench
echo '{"benchmarks": []}' >out/bench/flags.json
EOF
chmod +x "$ws/bench/run_all.sh"
status=0
(cd "$ws" && FAKE_HOST=pass BAZEL=$ws/fakebazel SBX_BENCH_BASE= report/run_all.sh --skip vm) \
  >"$ws/out2.txt" 2>&1 || status=$?
cat "$ws/out2.txt"
((status == 0)) || fail "run 2 exited $status, want 0"
grep -q '^== \[3/5\] integration, VM: skipped' "$ws/out2.txt" || fail "--skip vm ignored"
grep -q '^== note: no base revision: not judged' "$ws/out2.txt" || fail "no base not said"
grep -q '^== \[5/5\] benchmarks: PASSED, 1 passed, 0 failed, 1 skipped (no base revision' \
  "$ws/out2.txt" ||
  fail "benchmarks without a base not reported as passed and not judged, with their counts"
grep -q 'no base revision: not judged' "$ws/out/report/junit.xml" ||
  fail "the check not judged is not in junit.xml"

# Run 3: a base revision from the environment (as a CI sets it) reaches the benchmarks as
# --base; --bench-base overrides it.
cat >"$ws/bench/run_all.sh" <<'EOF'
#!/usr/bin/env bash
[[ "$*" == "--quick --base $WANT_BASE" ]] || { echo "unexpected bench args: $*"; exit 2; }
echo "ab: paired.fast_over_floor: base 1.04 [1.03, 1.05], change 1.04 [1.03, 1.05], difference +0.0% [-1.0%, +1.0%], p 0.5, min effect +5.0%: ok"
EOF
for args in "SBX_BENCH_BASE=abc123 WANT_BASE=abc123" \
  "SBX_BENCH_BASE=abc123 WANT_BASE=def456 --bench-base def456"; do
  read -ra words <<<"$args"
  envs=("${words[@]:0:2}") flags=("${words[@]:2}")
  status=0
  (cd "$ws" && env FAKE_HOST=pass BAZEL="$ws/fakebazel" "${envs[@]}" report/run_all.sh \
    --skip unit --skip host --skip vm --skip fuzz "${flags[@]}") >"$ws/out3.txt" 2>&1 ||
    status=$?
  cat "$ws/out3.txt"
  ((status == 0)) || fail "run 3 ($args) exited $status, want 0"
  grep -q '^== \[5/5\] benchmarks: PASSED, 1 passed, 0 failed   (' "$ws/out3.txt" ||
    fail "the judged benchmarks ($args) not counted"
done
echo "PASS"
