#!/usr/bin/env bash
# `./harness fuzz [--seconds N]`: builds every fuzz target with --config=fuzz (libFuzzer,
# ASan, UBSan) and fuzzes each for N seconds (default 10), one after another. Prints each
# target's executions per second (on average, and over the first and the last 30 s of its
# run, or halves of it when shorter) and coverage growth (libFuzzer's cov/ft for the
# checked-in seeds alone, at the start of this run, i.e. with earlier runs' finds, and at its
# end), then a summary; writes the numbers to out/fuzz/summary.json. Then runs the
# planted-bug demo (docs/fuzzing.md), which must find its bug within --demo-seconds (default
# 60). Exits 1 if any target found a crash or the demo did not find its bug.
#
# Usage: fuzz/run_all.sh [--seconds N] [--demo-seconds N] [--minimize] [TARGET...]
#        fuzz/run_all.sh --planted [ARGS]   the planted bugs (fuzz/planted/run_planted.sh)
#        fuzz/run_all.sh --in-vm [ARGS]     the kernel differential in every guest (in_vm.sh)
#        fuzz/run_all.sh --campaign DURATION [ARGS]   a campaign (fuzz/campaign.sh)
#        (env BAZEL, default bazel; TARGET id_map_planted names the demo)
set -euo pipefail

here=$(dirname "${BASH_SOURCE[0]}")
case ${1:-} in
  --planted) shift; exec "$here/planted/run_planted.sh" "$@" ;;
  --in-vm) shift; exec "$here/in_vm.sh" "$@" ;;
  --campaign) shift; exec "$here/campaign.sh" "$@" ;;
esac

bazel=${BAZEL:-bazel}
seconds=10
demo_seconds=60
minimize=()
only=()
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --seconds=*) seconds=${1#*=}; shift ;;
    --demo-seconds) demo_seconds=$2; shift 2 ;;
    --minimize) minimize=(--minimize); shift ;;
    -h | --help) sed -n '2,/^set -e/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run_all.sh: unknown flag $1" >&2; exit 2 ;;
    *) only+=("$1"); shift ;;
  esac
done
[[ $seconds =~ ^[0-9]+$ && $demo_seconds =~ ^[1-9][0-9]*$ ]] ||
  { echo "--seconds takes a whole number, --demo-seconds one above 0" >&2; exit 2; }

workspace=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$workspace"

# Every launcher the macro made, except demos that crash by design.
mapfile -t launchers < <("$bazel" query --noshow_progress \
  'attr(tags, "\bsbx_fuzz_launcher\b", //fuzz:all) except attr(tags, "\bsbx_fuzz_demo\b", //fuzz:all)' \
  2>/dev/null | sort)
run_demo=1
if ((${#only[@]})); then
  launchers=() run_demo=0
  for name in "${only[@]}"; do
    if [[ $name == id_map_planted ]]; then run_demo=1; else launchers+=("//fuzz:${name}_run"); fi
  done
fi
((${#launchers[@]} + run_demo)) || { echo "run_all.sh: no fuzz launchers found" >&2; exit 1; }
demo_targets=()
((run_demo)) && demo_targets=(//fuzz:id_map_planted_fuzzer)

echo "== building ${#launchers[@]} fuzz targets with --config=fuzz"
"$bazel" build --config=fuzz "${launchers[@]}" "${demo_targets[@]}"
bin=$("$bazel" info --config=fuzz bazel-bin 2>/dev/null)

out=$workspace/out/fuzz
mkdir -p "$out"
failed=()
jsons=()
for label in "${launchers[@]}"; do
  name=${label#//fuzz:}
  name=${name%_run}
  echo "== fuzzing $name for ${seconds}s"
  json=$out/$name.json
  rm -f "$json"
  if ! BUILD_WORKSPACE_DIRECTORY=$workspace "$bin/fuzz/${name}_run" --seconds "$seconds" \
    --quiet --json "$json" "${minimize[@]}"; then
    failed+=("$name")
  fi
  [[ -s $json ]] && jsons+=("$json")
done

# The planted-bug demo: the fuzzer must find the bug planted in a copy of the validator.
if ((run_demo)); then
  echo "== planted-bug demo: id_map_planted must find its bug within ${demo_seconds}s"
  demo_dir=$out/id_map_planted
  rm -rf "$demo_dir"
  mkdir -p "$demo_dir"
  demo_log=$demo_dir/demo.log
  demo_status=0
  TEST_TMPDIR=$demo_dir fuzz/id_map_planted/demo_test.sh "$bin/fuzz/id_map_planted_fuzzer" \
    fuzz/id_map/id_map.dict fuzz/id_map_planted/corpus "$demo_seconds" >"$demo_log" 2>&1 ||
    demo_status=$?
  tail -n 1 "$demo_log"
  json=$out/id_map_planted_demo.json
  python3 - "$json" "$demo_log" "$demo_status" <<'PY'
import json, re, sys
path, log, status = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = open(log, errors="replace").read()
found = re.search(r"found in ([0-9.]+)s after (\d+) executions", text)
json.dump({"target": "id_map_planted_demo", "skipped": False,
           "seconds": float(found.group(1)) if found else None,
           "executions": int(found.group(2)) if found else None,
           "crashes": 0, "exit_code": status, "log": log,
           "demo": "planted bug found" if status == 0 else "planted bug NOT found"},
          open(path, "w"))
PY
  jsons+=("$json")
  ((demo_status == 0)) || failed+=(id_map_planted_demo)
fi

summary=$out/summary.json
echo
echo "== summary (${seconds}s per target; details in $summary)"
python3 - "$summary" "$seconds" "${#failed[@]}" "${failed[@]}" "${jsons[@]}" <<'PY'
import datetime, json, sys
path, seconds, n_failed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
failed = sys.argv[4:4 + n_failed]
targets = [json.load(open(p)) for p in sys.argv[4 + n_failed:]]
json.dump({"seconds_per_target": seconds,
           "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "targets": targets, "failed": failed}, open(path, "w"), indent=2)
print(f'{"target":<20} {"execs/s":>8} {"over s":>7} {"steady/s":>9} {"start>end/s":>13} {"cov seeds>start>end":>20}'
      f' {"ft seeds>start>end":>20} {"new":>6} {"crashes":>8}')
for t in targets:
    if t.get("skipped"):
        print(f'{t["target"]:<20} skipped: {t["reason"]}')
        continue
    if "demo" in t:
        print(f'{t["target"]:<20} {t["demo"]} ({t["executions"]} executions, {t["seconds"]} s)')
        continue
    r = t.get("rate") or {}
    span = f'{r.get("start")}>{r.get("end")}'
    c = t["coverage"]
    cov = f'{c["cov_seeds"]}>{c["cov_start"]}>{c["cov_end"]}'
    ft = f'{c["ft_seeds"]}>{c["ft_start"]}>{c["ft_end"]}'
    steady = r.get("steady_after_30s")
    print(f'{t["target"]:<20} {t["execs_per_sec"] or 0:>8} {t["seconds"]:>7} {str(steady):>9} {span:>13} {cov:>20} {ft:>20}'
          f' {t["new_corpus_entries"]:>6} {t["crashes"]:>8}')
PY
if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]} (crash artifacts in out/fuzz/NAME/crashes/, the demo's log in out/fuzz/id_map_planted/; docs/fuzzing.md says how to reproduce)" >&2
  exit 1
fi
echo "OK: no crashes$( ((run_demo)) && echo ", and the planted bug was found")"
