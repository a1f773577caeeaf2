#!/usr/bin/env bash
# Compares two builds of the fuzz targets (e.g. before and after a change), interleaved so
# that both see the same load on a shared machine: for each repetition and TARGET:LIMIT, runs
# BEFORE's then AFTER's NAME_fuzzer from the checked-in seeds with the target's dictionary
# and max_len, -seed=REP (the repetition's number), for LIMIT executions (a number) or
# seconds (tN), in a fresh corpus directory. Prints per run the executions, the rate per wall second and per CPU second
# (user+sys, which a loaded machine disturbs less), libFuzzer's cov/ft at the end, and
# cov/ft of the corpus it made replayed through BEFORE's binary and through AFTER's: edge
# numbers differ between builds (other flags, other code), so coverage is only comparable
# in one binary, and an edge of code that AFTER no longer has only counts in BEFORE's.
#
# Usage: fuzz/speed_compare.sh [--reps N] [--workdir DIR] BEFORE_DIR AFTER_DIR TARGET:LIMIT...
#   BEFORE_DIR, AFTER_DIR hold NAME_fuzzer binaries (libFuzzer builds: --config=fuzz).
#   e.g. fuzz/speed_compare.sh --reps 2 /tmp/before /tmp/after id_map:100000 id_map:t20
set -euo pipefail

reps=1
work=${TMPDIR:-/tmp}/sbx_speed_compare
while (($#)); do
  case $1 in
    --reps) reps=$2; shift 2 ;;
    --workdir) work=$2; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
(($# >= 3)) || { sed -n '12,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
before=$1 after=$2
shift 2
fuzz=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# One run: prints "execs wall_s cpu_s cov ft before_cov before_ft after_cov after_ft".
run() {
  local bindir=$1 name=$2 limit=$3 out=$4 seed=$5
  local seeds=$fuzz/$name/corpus max_len flag
  max_len=$(sed -n 's/^max_len *= *//p' "$fuzz/$name/$name.options")
  if [[ $limit == t* ]]; then flag=-max_total_time=${limit#t}; else flag=-runs=$limit; fi
  rm -rf "$out"
  mkdir -p "$out/corpus"
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$out/time" "$bindir/${name}_fuzzer" -dict="$fuzz/$name/$name.dict" \
    -max_len="$max_len" "$flag" -seed="$seed" -print_final_stats=1 "$out/corpus" "$seeds" \
    >"$out/log" 2>&1 || { echo "$name failed; see $out/log" >&2; return 1; }
  end=$(date +%s.%N)
  "$before/${name}_fuzzer" -max_len="$max_len" -runs=0 "$out/corpus" "$seeds" >"$out/ref.log" 2>&1
  "$after/${name}_fuzzer" -max_len="$max_len" -runs=0 "$out/corpus" "$seeds" >"$out/ref_after.log" 2>&1
  python3 - "$out" "$start" "$end" <<'PY'
import re, sys
out, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
log = open(out + "/log", errors="replace").read()
execs = int(re.findall(r"stat::number_of_executed_units: *(\d+)", log)[-1])
last = re.findall(r"^#\d+\s.*cov: (\d+) ft: (\d+)", log, re.M)[-1]
inited = []
for ref in ("ref.log", "ref_after.log"):
    inited += re.findall(r"INITED cov: (\d+) ft: (\d+)", open(out + "/" + ref, errors="replace").read())[-1]
user, system = map(float, open(out + "/time").read().split()[-2:])
print(execs, round(end - start, 2), round(user + system, 2), *last, *inited)
PY
}

printf '%-4s %-14s %-7s %-9s %10s %8s %9s %9s %12s %14s %13s\n' rep target limit build executions wall_s "exec/s" "exec/cpu" "cov/ft" "cov/ft@before" "cov/ft@after"
for ((rep = 1; rep <= reps; rep++)); do
  for spec in "$@"; do
    name=${spec%%:*} limit=${spec#*:}
    for build in before after; do
      dir=$before
      [[ $build == after ]] && dir=$after
      read -r execs wall cpu cov ft bcov bft acov aft < <(run "$dir" "$name" "$limit" "$work/$build-$name" "$rep")
      printf '%-4s %-14s %-7s %-9s %10s %8s %9d %9d %12s %14s %13s\n' "$rep" "$name" "$limit" "$build" \
        "$execs" "$wall" "$(awk -v n="$execs" -v s="$wall" 'BEGIN{print int(n/s)}')" \
        "$(awk -v n="$execs" -v s="$cpu" 'BEGIN{print int(n/s)}')" "$cov/$ft" "$bcov/$bft" "$acov/$aft"
    done
  done
done
