#!/bin/sh
# The kernel differential inside a VM guest (vm/BUILD.bazel: id_map_kernel_fuzz_vm_KERNEL):
# fuzzes id_map_kernel against the guest's own kernel for SBX_FUZZ_SECONDS (default 60),
# as a warm-up of the first 30 s (half of a shorter run) and the rest, whose rate is the
# steady state. POSIX sh: the guest has busybox only. Prints `SBX-FUZZ ...` lines that
# fuzz/in_vm.sh reads from the test log, crash inputs in hex among them. Fails on a
# disagreement, and when the target cannot run (in the guest it always must).
set -u
fuzzer=fuzz/id_map_kernel_fuzzer
seconds=${SBX_FUZZ_SECONDS:-60}
warm=30
[ "$seconds" -lt 60 ] && warm=$((seconds / 2))
work=${TEST_TMPDIR:-/tmp}/id_map_kernel_fuzz
mkdir -p "$work/corpus" "$work/crashes"
echo "SBX-FUZZ kernel ${SBX_GUEST_KERNEL:-?} $(uname -r)"
if "$fuzzer" -help=1 2>&1 | grep -q '^replay:'; then
  echo "SBX-FUZZ verdict error: $fuzzer is the replay build; run with --config=fuzz"
  exit 1
fi
status=0
for phase in warmup steady; do
  t=$warm
  [ $phase = steady ] && t=$((seconds - warm))
  [ "$t" -gt 0 ] || continue
  # The guest has 1 GiB: keep libFuzzer's own limit below it.
  "$fuzzer" -dict=fuzz/id_map_kernel/id_map_kernel.dict -max_len=4400 -rss_limit_mb=700 \
    -max_total_time="$t" -print_final_stats=1 -artifact_prefix="$work/crashes/" \
    "$work/corpus" fuzz/id_map_kernel/corpus >"$work/$phase.log" 2>&1 || status=$?
  # The console is slow under TCG: everything but the new-coverage lines.
  grep -av -e '	NEW ' -e '	REDUCE ' "$work/$phase.log"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$phase.log")
  echo "SBX-FUZZ phase $phase seconds $t executions ${execs:-0} exit $status"
  [ $status = 0 ] || break
done
for f in "$work"/crashes/*; do
  [ -f "$f" ] && echo "SBX-FUZZ crash $(basename "$f") $(od -An -v -tx1 "$f" | tr -d ' \n')"
done
if grep -q '^SKIPPED' "$work/warmup.log"; then
  echo "SBX-FUZZ verdict skipped: $(grep -m1 '^SKIPPED' "$work/warmup.log")"
  exit 1
elif grep -q 'rules and kernel disagree' "$work"/*.log; then
  echo "SBX-FUZZ verdict disagree"
elif [ $status = 0 ]; then
  echo "SBX-FUZZ verdict agree"
else
  echo "SBX-FUZZ verdict error (exit $status)"
fi
exit $status
