#!/usr/bin/env bash
# `./harness fuzz --planted`: the fuzzers measured by the bugs planted in copies of the code
# they cover (fuzz/planted/planted.bzl). Each planted fuzzer starts from its target's
# checked-in seeds, which do not show the bug, and must find it within the bug's limit:
# with the sanitizer build (--config=fuzz, one process) and in campaign mode (the
# throughput build of fuzz/throughput_flags, libFuzzer -fork=JOBS, the finding replayed
# through the sanitizer build). Prints each bug's time to find; writes out/fuzz/planted.json.
# Exits 1 if any bug was not found within its limit.
#
# Usage: fuzz/planted/run_planted.sh [--mode sanitizer|campaign|both] [--jobs N]
#                                    [--switch-off BUG]... [BUG...]
#   --mode        which builds hunt (default both)
#   --jobs N      campaign mode's -fork (default: the number of cores)
#   --switch-off  run BUG's fuzzer on its seeds only (-runs=0): the bug must then be
#                 reported not found, which shows the measure can fail
#   BUG           only these bugs (default every bug of planted.bzl)
# Environment: BAZEL (default bazel).
set -euo pipefail

bazel=${BAZEL:-bazel}
mode=both jobs=$(nproc) off=() only=()
while (($#)); do
  case $1 in
    --mode) mode=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --switch-off) off+=("$2"); shift 2 ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run_planted.sh: unknown flag $1" >&2; exit 2 ;;
    *) only+=("$1"); shift ;;
  esac
done
case $mode in sanitizer) modes=(sanitizer) ;; campaign) modes=(campaign) ;;
  both) modes=(sanitizer campaign) ;; *) echo "--mode: sanitizer, campaign or both" >&2; exit 2 ;; esac

workspace=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$workspace"
mapfile -t fast < <(grep -v '^#' fuzz/throughput_flags)

echo "== building the planted fuzzers ($mode)"
"$bazel" build --config=fuzz //fuzz:planted_bugs \
  $("$bazel" query --noshow_progress 'attr(tags, "\bsbx_planted\b", kind(cc_binary, //fuzz:all))' 2>/dev/null)
san_bin=$("$bazel" info --config=fuzz bazel-bin 2>/dev/null)
if [[ $mode != sanitizer ]]; then
  "$bazel" build "${fast[@]}" \
    $("$bazel" query --noshow_progress 'attr(tags, "\bsbx_planted\b", kind(cc_binary, //fuzz:all))' 2>/dev/null)
  fast_bin=$("$bazel" info "${fast[@]}" bazel-bin 2>/dev/null)
fi

out=$workspace/out/fuzz/planted
mkdir -p "$out"
records=()
missed=0
while IFS=$'\t' read -r bug target limit pattern what; do
  if ((${#only[@]})) && [[ " ${only[*]} " != *" $bug "* ]]; then continue; fi
  switched_off=0
  [[ " ${off[*]:-} " == *" $bug "* ]] && switched_off=1
  # Dictionary and max_len as the target's launcher passes them.
  max_len=$(sed -n 's/^max_len *= *//p' "fuzz/$target/$target.options")
  for m in "${modes[@]}"; do
    dir=$out/$m/$bug
    rm -rf "$dir"
    mkdir -p "$dir/corpus"
    san=$san_bin/fuzz/planted_${bug}_fuzzer
    binary=$san
    flags=(-dict="fuzz/$target/$target.dict" -max_len="$max_len" -artifact_prefix="$dir/")
    if [[ $m == campaign ]]; then binary=$fast_bin/fuzz/planted_${bug}_fuzzer flags+=(-fork="$jobs"); fi
    if ((switched_off)); then flags+=(-runs=0); else flags+=(-max_total_time="$limit"); fi
    echo "== $bug ($target, $m): must be found within ${limit}s${switched_off:+}$( ((switched_off)) && echo ' (fuzzer switched off)')"
    start=$(date +%s.%N)
    status=0
    # Fork mode's children run under a timeout of their own; this one guards the whole.
    timeout -k 10 $((limit + 60)) "$binary" "${flags[@]}" "$dir/corpus" "fuzz/$target/corpus" \
      >"$dir/log" 2>&1 || status=$?
    took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    execs=$(grep -aoE '^#[0-9]+' "$dir/log" | tail -n1 | tr -d '#' || true)
    found=0 verdict="not found"
    artifact=$(find "$dir" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) | head -n1)
    if ((status != 0)) && grep -qaE "$pattern" "$dir/log"; then
      found=1 verdict="found"
      # Campaign mode reports a finding only once the sanitizer build fails on it the same way.
      if [[ $m == campaign ]]; then
        if [[ -n $artifact ]] && ! "$san" "$artifact" >"$dir/replay.log" 2>&1 &&
          grep -qaE "$pattern" "$dir/replay.log"; then
          verdict="found (replayed through the sanitizer build)"
        else
          found=0 verdict="found, but the sanitizer build did not fail on it the same way"
        fi
      fi
    elif ((status != 0)); then
      verdict="stopped (exit $status) for another reason; see $dir/log"
    fi
    # A crash while libFuzzer still loads the seeds is a seed showing the bug, not a find.
    if ((found)) && ! grep -qaE '^#[0-9]+[[:space:]]+INITED|INFO: -fork=' "$dir/log"; then
      found=0 verdict="a checked-in seed shows the bug: the fuzzer found nothing"
    fi
    if ((found)) && awk -v t="$took" -v l="$limit" 'BEGIN { exit !(t > l) }'; then
      found=0 verdict="found after the limit"
    fi
    if ((found)); then
      echo "   $verdict in ${took}s after ${execs:-?} executions: ${artifact:-no artifact}"
    else
      echo "   NOT FOUND: $verdict (${took}s, ${execs:-?} executions); log $dir/log"
      missed=$((missed + 1))
    fi
    records+=("$(python3 -c 'import json,sys; a=sys.argv[1:]; print(json.dumps({
      "bug": a[0], "target": a[1], "what": a[2], "mode": a[3], "limit_seconds": int(a[4]),
      "switched_off": a[5] == "1", "found": a[6] == "1", "verdict": a[7],
      "seconds": float(a[8]), "executions": int(a[9]) if a[9] else None,
      "input": a[10] or None, "log": a[11]}))' \
      "$bug" "$target" "$what" "$m" "$limit" "$switched_off" "$found" "$verdict" "$took" \
      "${execs:-}" "${artifact:-}" "$dir/log")")
  done
done <"$san_bin/fuzz/planted_bugs.tsv"

printf '%s\n' "${records[@]}" | python3 -c '
import datetime, json, sys
bugs = [json.loads(line) for line in sys.stdin if line.strip()]
json.dump({"finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "bugs": bugs}, open(sys.argv[1], "w"), indent=2)
print("\n%-28s %-10s %-9s %8s %12s" % ("planted bug", "mode", "found", "seconds", "executions"))
for b in bugs:
    print("%-28s %-10s %-9s %8.2f %12s%s" % (b["bug"], b["mode"], "yes" if b["found"] else "NO",
          b["seconds"], b["executions"], "  (switched off)" if b["switched_off"] else ""))
' "$workspace/out/fuzz/planted.json"
if ((missed)); then
  echo "FAILED: $missed planted bug run(s) did not find the bug within the limit" >&2
  exit 1
fi
echo "OK: every planted bug was found within its limit (details in out/fuzz/planted.json)"
