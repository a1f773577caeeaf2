#!/usr/bin/env bash
# Runs every benchmark of issue 7 and writes the report; what `harness bench` calls.
#
#   bench/run_all.sh [--quick] [--base REF] [--out DIR]
#
# Builds with -c opt, runs the clone-to-release families (flags, threads, churn, paired,
# parent size; each against the floor in the same process), the end-to-end peers (with
# bench/floor_run, the floor of sbx run's whole work) and the throughput family (CPU per
# run for the whole machine, runs per second with N at once; bench/throughput.py), then
# writes into DIR (default out/bench): Google Benchmark JSON per family, end_to_end.json,
# summary.json, summary.md and SVG plots. --quick: fewer repetitions and sizes, about 2
# minutes; full: under about 10 (on an idle machine).
#
# --base REF: the regression check. REF (a commit: HEAD, a branch, a pull request's merge
# base) is built too, in a worktree and output tree of its own, cached by commit
# (bench/base_build.sh), with the same flags. The families the check reads (paired,
# parent_rss_16, parent_rss_4096, end_to_end) run for both, interleaved A B B A, each side
# with the repetitions of one run in two halves, into DIR/ab/run-1/, after the change's
# other families. bench/ab_compare.py judges each ratio from both sides' samples; a suspected
# ratio's families run A/B again (DIR/ab/run-2/, run-3/) and the majority decides. Exit 1
# on a regression. Without --base nothing is judged ("no base revision: not judged"), which
# is not a failure. Either way the budgets (bench/budgets.py: wide bounds that hold on any
# machine) are checked on the change's run; a missed budget exits 1 too.
# Env: BAZEL (default bazel), PYTHON (default /usr/bin/python3, Debian's), BENCH_BUILD_FLAGS
# (more Bazel flags for both sides, e.g. --define=sbx_inject_start_cost=1 to add a known
# cost to fast), SBX_BENCH_CACHE (the base builds' cache, default ~/.cache/sbx-bench).
set -euo pipefail

BAZEL="${BAZEL:-bazel}"
PYTHON="${PYTHON:-/usr/bin/python3}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."

quick=0
base=""
out="out/bench"
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --base)
      base="${2:?--base needs a REF (a commit)}"
      shift
      ;;
    --compare)
      echo "bench: --compare is gone: a verdict from numbers recorded on another machine" \
        "is not one; use --base REF (docs/benchmarks.md)" >&2
      exit 2
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

# shellcheck source=bench/families.sh
source "$here/families.sh"
started=$SECONDS
if [[ -n "$base" ]]; then
  base_commit="$(git rev-parse --verify --quiet "$base^{commit}")" || {
    log "no such commit in this repository: $base (a CI job needs the base's history)"
    exit 2
  }
  base_label="$base (${base_commit:0:12})"
fi

if [[ "$(id -u)" != 0 ]]; then
  log "warning: not root: the clone-to-release benchmarks will skip with that reason"
fi

build_flags=(--config=bench)
# shellcheck disable=SC2206  # word splitting wanted: a list of flags
build_flags+=(${BENCH_BUILD_FLAGS:-})
cache_flags=()
if [[ -n "$base" ]]; then
  # The base builds share this disk cache (bench/base_build.sh): a base at or near the
  # change's commit then compiles little.
  cache_flags=(--disk_cache="${SBX_BENCH_CACHE:-$HOME/.cache/sbx-bench}/disk-cache")
fi
log "building with ${build_flags[*]}"
"$BAZEL" build "${build_flags[@]}" "${cache_flags[@]}" //bench:clone_to_release_bench \
  //bench:floor_run //sandbox:sbx
bin="$("$BAZEL" info "${build_flags[@]}" bazel-bin 2>/dev/null)"
bench_bin="$bin/bench/clone_to_release_bench"
sbx_bin="$bin/sandbox/sbx"
floor_bin="$bin/bench/floor_run"
if [[ -n "$base" ]]; then
  base_dir="$(BAZEL="$BAZEL" "$here/base_build.sh" "$base")"
fi

mkdir -p "$out"
rm -f "$out"/*.json "$out"/*.svg "$out"/summary.md "$out"/rerun-families.txt
rm -rf "$out"/rerun-*/ "$out"/ab/

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
summary_flags=()
((quick)) && summary_flags+=(--quick)
failed=()

# The families the A/B check reads (bench/checked_ratios.py: JUDGED_FAMILIES).
judged=(paired parent_rss_16 parent_rss_4096 end_to_end)
# One process per family, and per parent size (so each ballast is built once and freed
# with its process).
families=(flags threads churn paired)
for mib in "${rss_sizes[@]}"; do families+=("parent_rss_$mib"); done
families+=(end_to_end throughput)

# With a base, the change's unjudged families run first, as in a run without one: after the
# A/B end-to-end segments, the kernel still tears down hundreds of network namespaces
# (cleanup_net, under rtnl_lock), which made the flags family 2.5x slower here.
for family in "${families[@]}"; do
  [[ -n "$base" && " ${judged[*]} " == *" $family "* ]] && continue
  run_named_family "$out" "$family" all 1 "$bench_bin" "$sbx_bin"
done
if [[ -n "$base" ]]; then
  # A copy, as the base's: a later Bazel command in this tree cannot swap it mid-run.
  change_dir="$out/ab/change-bin"
  mkdir -p "$change_dir"
  cp "$bench_bin" "$sbx_bin" "$floor_bin" "$change_dir/"
  floor_bin="$change_dir/floor_run"  # the instrument of both sides' end-to-end segments
  log "A/B: base $base_label against the working tree; families ${judged[*]}"
  ab_families "$out/ab/run-1" "$base_dir" "$change_dir" "${judged[@]}"
  # The report's tables show the change's first segment of these families.
  for family in "${judged[@]}"; do
    if [[ -f "$out/ab/run-1/change-1/$family.json" ]]; then
      cp "$out/ab/run-1/change-1/$family.json" "$out/"
    fi
  done
fi

log "summarizing"
"$PYTHON" "$here/summarize.py" "$out" "${summary_flags[@]}"
budget_status=0
"$PYTHON" "$here/budgets.py" "$out/summary.json" --json "$out/budgets.json" ||
  budget_status=$?

ab_status=0
if [[ -n "$base" ]]; then
  log "judging the change against the base $base_label"
  runs=("$out/ab/run-1")
  n=1
  while :; do
    ab_status=0
    "$PYTHON" "$here/ab_compare.py" "${runs[@]}" --base-label "$base_label" \
      --rerun-families "$out/ab/rerun-families.txt" --json "$out/ab.json" || ab_status=$?
    ((ab_status == 3)) || break
    if ((n == 3)); then
      log "error: still undecided after 3 A/B runs"
      ab_status=1
      break
    fi
    n=$((n + 1))
    mapfile -t again <"$out/ab/rerun-families.txt"
    log "A/B re-run $((n - 1)) of the suspected families (${again[*]}) into $out/ab/run-$n"
    ab_families "$out/ab/run-$n" "$base_dir" "$change_dir" "${again[@]}"
    runs+=("$out/ab/run-$n")
  done
else
  log "no base revision: not judged (--base REF to compare against one)"
fi
# The summary's markdown (and so the report) shows the budgets and the check, where they
# could be written (bad input leaves them out; the exit status says so below).
md_flags=()
[[ -f "$out/budgets.json" ]] && md_flags+=(--budgets "$out/budgets.json")
if [[ -z "$base" ]]; then
  md_flags+=(--ab none)
elif [[ -f "$out/ab.json" ]]; then
  md_flags+=(--ab "$out/ab.json")
fi
"$PYTHON" "$here/report_md.py" "$out/summary.json" "$out/summary.md" "${md_flags[@]}"
"$PYTHON" "$here/plots.py" "$out/summary.json" "$out"
cat "$out/summary.md"
log "done in $((SECONDS - started))s: $out/summary.json, $out/summary.md, $out/*.svg"
status=0
if ((${#failed[@]})); then
  log "error: benchmark families failed: ${failed[*]} (their numbers are missing above)"
  status=1
fi
if ((budget_status == 1)); then
  log "error: a budget was missed (above)"
  status=1
elif ((budget_status != 0)); then
  log "error: the budgets could not be checked (exit $budget_status)"
  status=1
fi
if ((ab_status == 1)); then
  log "error: the change regressed against the base $base_label (above)"
  status=1
elif ((ab_status != 0)); then
  log "error: the A/B check could not judge (exit $ab_status)"
  status=1
fi
exit "$status"
