#!/usr/bin/env bash
# `./harness fuzz --in-vm [--seconds N]`: the kernel differential on every kernel of the VM
# matrix (vm/kernels.bzl). In each guest, id_map_kernel fuzzes the guest's kernel for N
# seconds (default 60; fuzz/id_map_kernel/guest_fuzz.sh, libFuzzer build) and the kernel
# agreement test runs its cases. Prints per kernel the executions, the rate over the whole
# run and in its steady state (after the first 30 s), and the verdicts; keeps crash inputs in
# out/fuzz/in_vm/KERNEL/; writes out/fuzz/in_vm.json. Exits 1 on a disagreement or failure.
#
# Usage: fuzz/in_vm.sh [--seconds N]   (env BAZEL, default bazel; SBX_VM_ACCEL etc. reach QEMU)
set -euo pipefail

read -ra bazel <<<"${BAZEL:-bazel}"
seconds=60
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "in_vm.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "--seconds takes a whole number above 0" >&2; exit 2; }
workspace=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$workspace"

mapfile -t kernels < <(python3 -c '
import ast, sys
tree = ast.parse(open("vm/kernels.bzl").read())
for node in tree.body:
    if isinstance(node, ast.Assign) and node.targets[0].id == "GUEST_KERNELS":
        print("\n".join(ast.literal_eval(node.value)))')
fuzz_tests=("${kernels[@]/#///vm:id_map_kernel_fuzz_vm_}")
agree_tests=("${kernels[@]/#///vm:id_map_kernel_agreement_vm_}")
env=(--test_env=SBX_FUZZ_SECONDS="$seconds")
for name in SBX_VM_KERNEL SBX_VM_ACCEL SBX_VM_MACHINE; do
  [[ -z ${!name:-} ]] || env+=("--test_env=$name=${!name}")
done

out=$workspace/out/fuzz/in_vm
rm -rf "$out"
mkdir -p "$out"
echo "== the kernel differential in ${kernels[*]}: ${seconds}s of fuzzing per guest"
status=0
# The fuzzer under --config=fuzz (libFuzzer, ASan, UBSan); the agreement test as built for
# every other test.
"${bazel[@]}" test --config=fuzz --config=ci --cache_test_results=no --test_output=errors \
  "${env[@]}" "${fuzz_tests[@]}" 2>&1 | tee "$out/bazel_fuzz.log" | grep -E '^//|FAIL|ERROR' || status=1
"${bazel[@]}" test --config=ci --cache_test_results=no "${env[@]}" "${agree_tests[@]}" 2>&1 |
  tee "$out/bazel_agreement.log" | grep -E '^//|FAIL|ERROR' || status=1
fuzz_logs=$("${bazel[@]}" info --config=fuzz bazel-testlogs 2>/dev/null)
agree_logs=$("${bazel[@]}" info --config=ci bazel-testlogs 2>/dev/null)

python3 - "$out" "$fuzz_logs" "$agree_logs" "$seconds" "${kernels[@]}" <<'PY' || status=1
import datetime, json, os, re, sys
out, fuzz_logs, agree_logs, seconds, kernels = sys.argv[1], sys.argv[2], sys.argv[3], \
    int(sys.argv[4]), sys.argv[5:]

def read(path):
    try:
        return open(path, errors="replace").read()
    except OSError:
        return ""

rows, bad = [], False
for k in kernels:
    log_path = os.path.join(fuzz_logs, "vm", "id_map_kernel_fuzz_vm_" + k, "test.log")
    log = read(log_path)
    row = {"kernel": k, "log": log_path, "uname": None, "verdict": "did not run",
           "executions": 0, "seconds": 0, "phases": {}, "crashes": []}
    for line in log.splitlines():
        w = line.split()
        if line.startswith("SBX-FUZZ kernel "):
            row["uname"] = w[3] if len(w) > 3 else None
        elif line.startswith("SBX-FUZZ phase "):
            row["phases"][w[2]] = {"seconds": int(w[4]), "executions": int(w[6])}
        elif line.startswith("SBX-FUZZ crash ") and len(w) == 4:
            os.makedirs(os.path.join(out, k), exist_ok=True)
            path = os.path.join(out, k, w[2])
            open(path, "wb").write(bytes.fromhex(w[3]))
            row["crashes"].append(path)
        elif line.startswith("SBX-FUZZ verdict "):
            row["verdict"] = line[len("SBX-FUZZ verdict "):]
    phases = row["phases"].values()
    row["executions"] = sum(p["executions"] for p in phases)
    row["seconds"] = sum(p["seconds"] for p in phases)
    row["execs_per_sec"] = round(row["executions"] / row["seconds"]) if row["seconds"] else None
    steady = row["phases"].get("steady")
    row["steady_execs_per_sec"] = round(steady["executions"] / steady["seconds"]) \
        if steady and steady["seconds"] else None
    agree = read(os.path.join(agree_logs, "vm", "id_map_kernel_agreement_vm_" + k, "test.log"))
    cases = re.search(r"\[  PASSED  \] (\d+) tests?", agree)
    failed = re.search(r"\[  FAILED  \] (\d+) tests?", agree)
    row["agreement_test"] = ("failed: %s case(s)" % failed.group(1)) if failed else \
        ("passed: %s case(s)" % cases.group(1)) if cases else "did not run"
    bad |= row["verdict"] != "agree" or not row["agreement_test"].startswith("passed")
    rows.append(row)

json.dump({"finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "seconds_per_kernel": seconds, "kernels": rows},
          open(out + ".json", "w"), indent=2)
print("\n%-6s %-22s %11s %8s %12s  %-10s %s" % ("kernel", "uname -r", "executions", "exec/s",
                                               "steady/s", "verdict", "agreement test"))
for r in rows:
    print("%-6s %-22s %11s %8s %12s  %-10s %s" % (r["kernel"], r["uname"], r["executions"],
          r["execs_per_sec"], r["steady_execs_per_sec"], r["verdict"], r["agreement_test"]))
    for c in r["crashes"]:
        print("       crash input: %s" % c)
print("(steady: after the first 30 s of each guest's run; details in %s.json)" % out)
sys.exit(1 if bad else 0)
PY
exit $status
