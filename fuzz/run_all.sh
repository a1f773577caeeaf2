#!/usr/bin/env bash
# `./harness fuzz [--seconds N]`: builds every fuzz target with --config=fuzz (libFuzzer,
# ASan, UBSan) and fuzzes each for N seconds (default 10), one after another. Prints each
# target's executions per second and coverage growth (libFuzzer's cov/ft for the checked-in
# seeds alone, at the start of this run, i.e. with earlier runs' finds, and at its end), then
# a summary; writes the numbers to out/fuzz/summary.json. Exits 1 if any target found a
# crash (artifacts in out/fuzz/NAME/crashes/). The planted-bug demo is left out (see
# docs/fuzzing.md).
#
# Usage: fuzz/run_all.sh [--seconds N] [--minimize] [TARGET...]   (env BAZEL, default bazel)
set -euo pipefail

bazel=${BAZEL:-bazel}
seconds=10
minimize=()
only=()
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --seconds=*) seconds=${1#*=}; shift ;;
    --minimize) minimize=(--minimize); shift ;;
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run_all.sh: unknown flag $1" >&2; exit 2 ;;
    *) only+=("$1"); shift ;;
  esac
done
[[ $seconds =~ ^[0-9]+$ ]] || { echo "--seconds takes a whole number" >&2; exit 2; }

workspace=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$workspace"

# Every launcher the macro made, except demos that crash by design.
mapfile -t launchers < <("$bazel" query --noshow_progress \
  'attr(tags, "\bsbx_fuzz_launcher\b", //fuzz:all) except attr(tags, "\bsbx_fuzz_demo\b", //fuzz:all)' \
  2>/dev/null | sort)
if ((${#only[@]})); then
  launchers=()
  for name in "${only[@]}"; do launchers+=("//fuzz:${name}_run"); done
fi
((${#launchers[@]})) || { echo "run_all.sh: no fuzz launchers found" >&2; exit 1; }

echo "== building ${#launchers[@]} fuzz targets with --config=fuzz"
"$bazel" build --config=fuzz "${launchers[@]}"
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
print(f'{"target":<16} {"execs/s":>10} {"cov seeds>start>end":>20} {"ft seeds>start>end":>20}'
      f' {"new":>6} {"crashes":>8}')
for t in targets:
    if t.get("skipped"):
        print(f'{t["target"]:<16} skipped: {t["reason"]}')
        continue
    c = t["coverage"]
    cov = f'{c["cov_seeds"]}>{c["cov_start"]}>{c["cov_end"]}'
    ft = f'{c["ft_seeds"]}>{c["ft_start"]}>{c["ft_end"]}'
    print(f'{t["target"]:<16} {t["execs_per_sec"] or 0:>10} {cov:>20} {ft:>20}'
          f' {t["new_corpus_entries"]:>6} {t["crashes"]:>8}')
PY
if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]} (crash artifacts in out/fuzz/NAME/crashes/; docs/fuzzing.md says how to reproduce)" >&2
  exit 1
fi
echo "OK: no crashes"
