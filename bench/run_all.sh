#!/usr/bin/env bash
# Runs every benchmark of issue 7 and writes the report; what `harness bench` calls.
#
#   bench/run_all.sh [--quick] [--compare BASELINE.json] [--out DIR]
#
# Builds with -c opt, runs the clone-to-release families (flags, threads, churn, parent
# size; each against the floor in the same process) and the end-to-end peers, then writes
# into DIR (default out/bench): Google Benchmark JSON per family, end_to_end.json,
# summary.json, summary.md and SVG plots. --quick: fewer repetitions and sizes, under about
# 2 minutes; full: under about 10 (on an idle machine). --compare: fail (exit 1) if a ratio
# regressed against the baseline (bench/compare_summary.py: from the samples of every
# repetition, with a minimum effect per ratio); a suspected ratio's families are measured
# again, up to twice, into DIR/rerun-N/ before deciding. Also prints Google Benchmark's
# compare.py view for each family whose JSON sits in BASELINE's sibling directory
# (bench/baseline.json -> bench/baseline/flags.json, ...).
# Env: BAZEL (default bazel), PYTHON (default /usr/bin/python3, Debian's), BENCH_BUILD_FLAGS
# (more Bazel flags, e.g. --define=sbx_inject_start_cost=1 to add a known cost to fast).
set -euo pipefail

BAZEL="${BAZEL:-bazel}"
PYTHON="${PYTHON:-/usr/bin/python3}"
GBENCH_COMPARE="${GBENCH_COMPARE:-/usr/share/benchmark/compare.py}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."

quick=0
baseline=""
out="out/bench"
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --compare)
      baseline="${2:?--compare needs a BASELINE.json}"
      shift
      ;;
    --out)
      out="${2:?--out needs a directory}"
      shift
      ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$here/run_all.sh" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "bench: unknown argument: $1" >&2
      exit 2
      ;;
  esac
  shift
done
if [[ -n "$baseline" && ! -f "$baseline" ]]; then
  echo "bench: baseline not found: $baseline" >&2
  exit 2
fi

log() { echo "bench: $*" >&2; }
started=$SECONDS

if [[ "$(id -u)" != 0 ]]; then
  log "warning: not root: the clone-to-release benchmarks will skip with that reason"
fi

build_flags=(--config=bench)
# shellcheck disable=SC2206  # word splitting wanted: a list of flags
build_flags+=(${BENCH_BUILD_FLAGS:-})
log "building with ${build_flags[*]}"
"$BAZEL" build "${build_flags[@]}" //bench:clone_to_release_bench //sandbox:sbx
bin="$("$BAZEL" info "${build_flags[@]}" bazel-bin 2>/dev/null)"
bench_bin="$bin/bench/clone_to_release_bench"
sbx_bin="$bin/sandbox/sbx"

mkdir -p "$out"
rm -f "$out"/*.json "$out"/*.svg "$out"/summary.md "$out"/rerun-families.txt
rm -rf "$out"/rerun-*/

if ((quick)); then
  # The bound only catches a hang: with two CPUs shared by several busy users, a quick
  # parent_rss_4096 took over 2 minutes here.
  reps=5 paired_reps=15 min_time=0.15 rounds=50 family_timeout=600
  rss_sizes=(16 4096)
  threads='(1|4)'
else
  reps=10 paired_reps=20 min_time=0.2 rounds=200 family_timeout=600
  rss_sizes=(16 256 1024 4096)
  threads='(1|2|4|8)'
fi

# One process per family, and per parent size (so each ballast is built once and freed
# with its process). Within a process, repetitions of floor, lix and fast are interleaved
# at random, so the machine's drift hits all three alike.
failed=()
run_family() {  # dir name filter [repetitions]
  local dir="$1" name="$2" filter="$3" reps="${4:-$reps}" status=0
  log "running $name ($reps repetitions, min time ${min_time}s)"
  # A start that hangs must not hang the harness: the family fails after a bound, the
  # others still run, and the run ends with a failure naming it.
  timeout --kill-after=10 "$family_timeout" "$bench_bin" --benchmark_filter="$filter" \
    --benchmark_repetitions="$reps" --benchmark_min_time="$min_time" \
    --benchmark_display_aggregates_only=true --benchmark_enable_random_interleaving=true \
    --benchmark_out="$dir/$name.json" --benchmark_out_format=json || status=$?
  if ((status == 124)); then
    log "error: $name timed out after ${family_timeout}s"
    failed+=("$name")
  elif ((status != 0)); then
    log "error: $name failed (exit $status)"
    failed+=("$name")
  fi
}
run_end_to_end() {  # dir
  log "running end to end ($rounds interleaved rounds)"
  "$PYTHON" "$here/end_to_end.py" --sbx "$sbx_bin" --rounds "$rounds" \
    --out "$1/end_to_end.json"
}
run_family "$out" flags '^flags/'
run_family "$out" threads "^threads/[a-z]+/manual_time/threads:$threads\$"
run_family "$out" churn '^churn/'
# The regression check's start ratios: more repetitions, since each is one sample.
run_family "$out" paired '^paired/' "$paired_reps"
for mib in "${rss_sizes[@]}"; do
  run_family "$out" "parent_rss_$mib" "^parent_rss/[a-z]+/$mib/"
done
run_end_to_end "$out"

log "summarizing"
summary_flags=()
((quick)) && summary_flags+=(--quick)
"$PYTHON" "$here/summarize.py" "$out" "${summary_flags[@]}"
"$PYTHON" "$here/report_md.py" "$out/summary.json" "$out/summary.md"
"$PYTHON" "$here/plots.py" "$out/summary.json" "$out"
cat "$out/summary.md"
log "done in $((SECONDS - started))s: $out/summary.json, $out/summary.md, $out/*.svg"
if ((${#failed[@]})); then
  log "error: benchmark families failed: ${failed[*]} (their numbers are missing above)"
  exit 1
fi

if [[ -n "$baseline" ]]; then
  base_dir="${baseline%.json}"
  for json in "$out"/*.json; do
    family="$(basename "$json" .json)"
    [[ "$family" == summary || "$family" == end_to_end ]] && continue
    if [[ -f "$base_dir/$family.json" ]]; then
      log "compare.py view of $family against $base_dir/$family.json (informational)"
      "$PYTHON" "$GBENCH_COMPARE" -a --no-color benchmarks "$base_dir/$family.json" "$out/$family.json" ||
        log "compare.py could not compare $family (needs python3-scipy)"
    fi
  done
  # A suspected ratio's families run again, only the headline case where that is what the
  # ratio reads, each with its floor interleaved as in the first run.
  rerun_family() {  # dir family
    case "$2" in
      flags) run_family "$1" flags '^flags/[a-z]+/seed/' ;;
      threads) run_family "$1" threads '^threads/[a-z]+/manual_time/threads:1$' ;;
      churn) run_family "$1" churn '^churn/[a-z]+/off/' ;;
      paired) run_family "$1" paired '^paired/' "$paired_reps" ;;
      parent_rss_*) run_family "$1" "$2" "^parent_rss/[a-z]+/${2#parent_rss_}/" ;;
      end_to_end) run_end_to_end "$1" ;;
      *) log "error: no such family to re-run: $2" && return 1 ;;
    esac
  }
  log "checking ratios against $baseline"
  reruns=()
  n=0
  while :; do
    status=0
    "$PYTHON" "$here/compare_summary.py" "$out/summary.json" "$baseline" "${reruns[@]}" \
      --rerun-families "$out/rerun-families.txt" --json "$out/compare.json" || status=$?
    ((status == 3)) || break
    n=$((n + 1))
    dir="$out/rerun-$n"
    rm -rf "$dir" && mkdir -p "$dir"
    log "re-run $n of the suspected families into $dir"
    while read -r family; do
      rerun_family "$dir" "$family"
    done <"$out/rerun-families.txt"
    "$PYTHON" "$here/summarize.py" "$dir" "${summary_flags[@]}"
    reruns+=(--rerun "$dir/summary.json")
  done
  # The summary's markdown (and so the report) shows the check's table too.
  "$PYTHON" "$here/report_md.py" "$out/summary.json" "$out/summary.md" \
    --compare "$out/compare.json"
  exit "$status"
fi
