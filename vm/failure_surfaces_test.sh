#!/bin/bash
# Runs the deliberately failing gtest binary in the VM: unfiltered it must fail with both case
# names and the failure in the XML; filtered to the passing case (as `bazel test --test_filter`
# does) it must pass with only that case; a file that is no kernel and a kernel panic must fail
# with the reason in the log.
set -euo pipefail

# Bounds each run so that all of them fit in this test's own time limit.
export TEST_TIMEOUT=80

vm_test=vm/failing_vm_test
xml="$TEST_TMPDIR/failing.xml"
log="$TEST_TMPDIR/failing.log"

fail() {
  echo "FAIL: $*"
  echo "--- log of the VM run:"
  cat "$log"
  exit 1
}

if XML_OUTPUT_FILE="$xml" "$vm_test" >"$log" 2>&1; then
  fail "the failing test passed in the VM"
fi
grep -q '<testcase name="Passes"' "$xml" || fail "case Passes missing from the XML"
grep -q '<testcase name="Fails"' "$xml" || fail "case Fails missing from the XML"
grep -q 'this failure is deliberate' "$xml" || fail "failure message missing from the XML"
grep -q '^vm: boot [0-9.]* s' "$log" || fail "no boot time in the log"
grep "^vm: boot" "$log"
echo "ok: failure surfaced with its case names"

rm -f "$xml"
if ! XML_OUTPUT_FILE="$xml" TESTBRIDGE_TEST_ONLY=FailingInVm.Passes "$vm_test" >"$log" 2>&1; then
  fail "the passing case alone failed"
fi
grep -q '<testcase name="Passes"' "$xml" || fail "case Passes missing from the filtered XML"
if grep -q '<testcase name="Fails"' "$xml"; then
  fail "the filter did not reach the guest"
fi
echo "ok: the test filter reached the guest"

rm -f "$xml"
if SBX_VM_KERNEL="$0" "$vm_test" >"$log" 2>&1; then
  fail "the VM test passed without a kernel"
fi
grep -q '^vm: error: the guest stopped without reporting' "$log" || fail "no clear boot error"
grep -q '^qemu' "$log" || fail "QEMU's reason missing from the log"
echo "ok: a boot failure is reported"

# No /init at all: the kernel panics, and the panic must reach the log with the error.
if /usr/bin/python3 -B vm/run_vm.py --initramfs /dev/null --binary /none >"$log" 2>&1; then
  fail "a guest without /init passed"
fi
grep -q '^vm: error: the guest stopped without reporting' "$log" || fail "no clear panic error"
grep -q 'Kernel panic' "$log" || fail "the panic is missing from the log"
echo "ok: a kernel panic is reported"
