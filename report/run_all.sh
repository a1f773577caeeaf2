#!/usr/bin/env bash
# `./harness run`, the main job for CI: every suite in turn (unit tests, integration on the
# host, integration in QEMU, a short fuzz campaign, the benchmarks with their budgets and,
# given a base revision, their regression check), then the report: out/report/index.html and out/report/junit.xml. A failing suite
# does not stop the next; the exit status is 1 if any failed. Each suite's log is kept in
# out/report/logs/. A suite whose entry point does not exist yet is reported "not available".
#
# Usage: report/run_all.sh [--fuzz-seconds N] [--skip SUITE]... [--bench-base REF] [--coverage]
#   suites: unit, host, vm, fuzz, bench, and with --coverage, coverage (off by default: it
#     runs every suite again in an instrumented build; docs/coverage.md says what it costs)
#   --bench-base REF: judge the benchmarks against REF, built and run on this machine
#     beside the change (bench/run_all.sh --base); a CI sets the merge base of a pull
#     request. Without one the benchmarks run, "no base revision: not judged", which does
#     not fail the run.
# Env: BAZEL (default bazel); SBX_BENCH_BASE (the default of --bench-base); SBX_VM_ACCEL,
# SBX_VM_KERNEL reach the VM tests.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
read -ra bazel <<<"${BAZEL:-bazel}"
python=/usr/bin/python3
fuzz_seconds=10
bench_base=${SBX_BENCH_BASE:-}
skip=" "
coverage=0
while (($#)); do
  case $1 in
    --fuzz-seconds) fuzz_seconds=${2:?--fuzz-seconds needs a number}; shift 2 ;;
    --skip) skip+="${2:?--skip needs a suite name} "; shift 2 ;;
    --bench-base) bench_base=${2:?--bench-base needs a REF}; shift 2 ;;
    --coverage) coverage=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_all.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $fuzz_seconds =~ ^[0-9]+$ ]] || { echo "--fuzz-seconds takes a whole number" >&2; exit 2; }

out=out/report
logs=$out/logs
table=$logs/suites.tsv
rm -rf "$out"
mkdir -p "$logs"
printf '#%s\n' "$(printf '%s\t' name title kind state exit seconds started log testlogs \
  command note)" >"$table"

names=(unit host vm fuzz bench)
titles=("unit tests" "integration, host" "integration, VM" "fuzzing" "benchmarks")
kinds=(bazel bazel bazel fuzz bench)
if ((coverage)); then names+=(coverage) titles+=("coverage") kinds+=(coverage); fi
total=${#names[@]}
run_started=$SECONDS
any_failed=0

elapsed() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# The command of suite $1 into the array `cmd`, and a note; `cmd` left empty when the
# suite's entry point is missing (then the note says why).
suite_command() {
  cmd=() note=""
  case $1 in
    unit) cmd=("${bazel[@]}" test --config=ci "--test_tag_filters=-no-sandbox,-vm" //...) ;;
    host)
      cmd=("${bazel[@]}" test --config=ci --build_tests_only "--test_tag_filters=no-sandbox,-vm"
        //...)
      ;;
    vm)
      if [[ -x vm/run_all.sh ]]; then
        cmd=(vm/run_all.sh --all-kernels)
      else
        note="vm/run_all.sh does not exist"
      fi
      ;;
    fuzz)
      if [[ -x fuzz/run_all.sh ]]; then
        cmd=(fuzz/run_all.sh --seconds "$fuzz_seconds")
      else
        note="fuzz/run_all.sh does not exist"
      fi
      ;;
    coverage) cmd=(coverage/run.sh) ;;
    bench)
      if [[ ! -x bench/run_all.sh ]]; then
        note="bench/run_all.sh does not exist"
      elif [[ -n $bench_base ]]; then
        cmd=(bench/run_all.sh --quick --base "$bench_base")
      else
        cmd=(bench/run_all.sh --quick)
        note="no base revision: not judged (--bench-base REF or SBX_BENCH_BASE)"
      fi
      ;;
  esac
}

for i in "${!names[@]}"; do
  name=${names[$i]} title=${titles[$i]} kind=${kinds[$i]}
  k=$((i + 1))
  log=$logs/$name.log
  if [[ $skip == *" $name "* ]]; then
    echo "== [$k/$total] $title: skipped (--skip)"
    printf '%s\t%s\t%s\tskipped\t0\t0\t0\t\t\t\tskipped with --skip\n' "$name" "$title" \
      "$kind" >>"$table"
    continue
  fi
  suite_command "$name"
  if ((${#cmd[@]} == 0)); then
    echo "== [$k/$total] $title: not available ($note)"
    printf '%s\t%s\t%s\tunavailable\t0\t0\t0\t\t\t\t%s\n' "$name" "$title" "$kind" \
      "$note" >>"$table"
    continue
  fi
  echo "== [$k/$total] $title: ${cmd[*]}   (elapsed $(elapsed $((SECONDS - run_started))))"
  [[ -z $note ]] || echo "== note: $note"
  testlogs=""
  if [[ $kind == bazel ]]; then
    # Asked before the suite, so the copy below can follow it at once. Not the
    # bazel-testlogs link: it follows the last command's configuration, which the fuzz
    # (--config=fuzz) and bench (-c opt) suites change.
    bazel_testlogs=$("${bazel[@]}" info --config=ci bazel-testlogs 2>/dev/null) ||
      bazel_testlogs="bazel-testlogs"
  fi
  started_epoch=$(date +%s)
  started=$SECONDS
  set +e
  "${cmd[@]}" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  set -e
  seconds=$((SECONDS - started))
  if [[ $kind == bazel ]]; then
    # This run's test.xml files, before a later Bazel command can overwrite them.
    testlogs=$name.testlogs
    "$python" report/snapshot_testlogs.py "$log" "$bazel_testlogs" "$logs/$testlogs" ||
      echo "== warning: could not copy the test logs of $name" >&2
  fi
  printf '%s\t%s\t%s\tran\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n' "$name" "$title" "$kind" "$status" \
    "$seconds" "$started_epoch" "$name.log" "$testlogs" "${cmd[*]}" "$note" >>"$table"
  # The same counting as the report's, so the two agree (exit 4, "no test targets", is
  # "not available" rather than a failure).
  counts=$("$python" report/make_report.py --suites "$table" --line "$name") || any_failed=1
  echo "== [$k/$total] $title: $counts" \
    "  ($(elapsed "$seconds"); elapsed $(elapsed $((SECONDS - run_started))))"
done

echo
echo "== report ($(elapsed $((SECONDS - run_started))) in all)"
"$python" report/make_report.py --suites "$table" --out "$out" || any_failed=1
exit "$any_failed"
