#!/bin/bash
# The conformance of sbx in a VM: runs a vm_test of vm_collect.sh (the probe in sbx run,
# inside the guest) and holds each output it printed to expectations.tsv, here on the host.
#
#   vm_suite.sh VM_TEST PROBE
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
vm_test=$1 probe=$2
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/conformance-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT

status=0
# The guest paths of sbx and the probe, relative to its runfiles.
"$vm_test" sandbox/sbx conformance/probe >"$work/console" 2>&1 || status=$?
if ((status)); then
  echo "vm_suite: the VM run failed (exit $status):"
  tail -40 "$work/console"
  exit 1
fi
# block NAME: the lines between BEGIN NAME and END NAME.
block() {
  awk -v name="$1" '
    $0 == "conformance-vm: END " name {on = 0}
    on {print}
    $0 == "conformance-vm: BEGIN " name || index($0, "conformance-vm: BEGIN " name " ") == 1 {
      on = 1
    }' "$work/console"
}
block host-facts >"$work/host-facts"
if ! grep -q '^fact\.' "$work/host-facts"; then
  echo "vm_suite: the guest printed no facts:"
  tail -40 "$work/console"
  exit 1
fi
# One file per BEGIN..END block; an --impl that prints it.
impls=()
while read -r name config caller build_ids; do
  [[ $name == host-facts ]] && continue
  block "$name" >"$work/$name"
  [[ $build_ids == - ]] && build_ids=30001:30000
  # The guest's rootless user (busybox su) keeps its own gid as a supplementary group.
  groups=""
  [[ $config == rootless ]] && groups=${caller#*:}
  impls+=(--config "$config" --caller "$caller" --caller-groups "$groups" --build-ids "$build_ids"
    --impl "$name=cat $work/$name")
done < <(sed -n 's/^conformance-vm: BEGIN //p' "$work/console")
if ((${#impls[@]} == 0)); then
  echo "vm_suite: the guest printed no probe output:"
  tail -40 "$work/console"
  exit 1
fi
args=()
if [[ -n ${TEST_UNDECLARED_OUTPUTS_DIR:-} ]]; then
  args+=(--json "$TEST_UNDECLARED_OUTPUTS_DIR/conformance.json")
fi
exec /usr/bin/python3 -B "$here/conformance.py" --probe "$probe" "${args[@]}" \
  --host-facts "$work/host-facts" --family spec \
  "${impls[@]}"
