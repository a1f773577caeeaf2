#!/bin/bash
# Builds and runs every VM test (tag `vm`), then prints each test's result with its boot time
# and the closing line `N passed, N failed[, N skipped]`, counting GoogleTest cases as
# `./harness test` does (report/count_tests.py). What `./harness vm` calls.
#
# Usage: vm/run_all.sh [--all-kernels] [TARGET_PATTERN...]   (default //...)
#   --all-kernels: every kernel of vm/kernels.bzl (the variants tagged kernel-*), also when
#                  MATRIX_BY_DEFAULT in vm/vm_test.bzl is off and all but one are manual
# Environment: BAZEL (default `bazel`); SBX_VM_KERNEL, SBX_VM_ACCEL and SBX_VM_MACHINE reach
# the tests.
set -euo pipefail

cd "$(dirname "$0")/.."
read -ra bazel <<<"${BAZEL:-bazel}"
all_kernels=0
if [[ ${1:-} == --all-kernels ]]; then
  all_kernels=1
  shift
fi
patterns=("$@")
[[ ${#patterns[@]} -gt 0 ]] || patterns=(//...)
if ((all_kernels)); then
  # Manual targets run only when named: name the VM tests, every kernel variant included.
  scope=$(printf '%s' "${patterns[@]/#/ + }")
  scope="(${scope:3})"
  mapfile -t patterns < <("${bazel[@]}" query --noshow_progress \
    "(attr(tags, '\\bvm\\b', tests($scope)) except attr(tags, '\\bmanual\\b', tests($scope)))
     + attr(tags, '\\bkernel-', tests($scope))" 2>/dev/null)
  ((${#patterns[@]})) || { echo "run_all.sh: no VM test in ${*:-//...}" >&2; exit 1; }
fi

flags=(--config=ci --test_tag_filters=vm --build_tests_only --cache_test_results=no)
for name in SBX_VM_KERNEL SBX_VM_ACCEL SBX_VM_MACHINE; do
  [[ -z "${!name:-}" ]] || flags+=("--test_env=$name=${!name}")
done

output=$(mktemp)
trap 'rm -f "$output"' EXIT
status=0
"${bazel[@]}" test "${flags[@]}" -- "${patterns[@]}" 2>&1 | tee "$output" || status=$?
testlogs=$("${bazel[@]}" info --config=ci bazel-testlogs 2>/dev/null)

echo
echo "VM tests:"
failed=0
boots=()
# Bazel's summary lines: `//pkg:name   PASSED in 4.0s`, `... FAILED in ...`, `NO STATUS`, ...
while read -r label result; do
  log="$testlogs/$(sed 's|^//||; s|:|/|' <<<"$label")/test.log"
  # A test that never booted (or a plain test) has no boot line: then no time is shown.
  mapfile -t seconds < <(sed -n 's/^vm: boot \([0-9.]*\) s.*/\1/p' "$log" 2>/dev/null)
  boots+=("${seconds[@]}")
  boot=$(printf 'boot %s s, ' "${seconds[@]}")
  echo "  $label: $result${seconds[*]:+ (${boot%, })}"
  [[ "$result" == PASSED* ]] || failed=$((failed + 1))
done < <(sed -n 's/^\(\/\/[^ ]*\) \+\(.*\)$/\1 \2/p' "$output")
if ((${#boots[@]})); then
  # Wall time: under TCG it grows with the host's load, so the load is printed beside it.
  printf '%s\n' "${boots[@]}" | sort -n | awk -v load="$(cut -d' ' -f1-3 /proc/loadavg)" '
    { t[NR] = $1 }
    END { printf "  boot (QEMU start to the test'"'"'s first line): median %.2f s, %.2f-%.2f s over %d VMs; load average %s\n",
                 (NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2), t[1], t[NR], NR, load }'
fi

if [[ $status -ne 0 && $failed -eq 0 ]]; then
  echo "  bazel exited with status $status before any VM test failed (build error or no VM test)"
  failed=1
fi
# The cases of every target in this run's log, from its test.xml.
/usr/bin/python3 -B report/count_tests.py "$output" "$testlogs" || failed=1
[[ $failed -eq 0 ]]
