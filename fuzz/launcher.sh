# shellcheck shell=bash
# Body of //fuzz:NAME_run (fuzz.bzl prepends SBX_FUZZ_* variables naming the target's files).
# Fuzzes NAME with its dictionary and options for --seconds N, keeping new corpus entries
# and crash artifacts in a work directory outside the source tree, and merges (minimises)
# that corpus on --minimize. It builds nothing: run it through
#   bazel run --config=fuzz //fuzz:NAME_run -- --seconds N [--minimize]
# or straight from bazel-bin after `bazel build --config=fuzz` (run_all.sh does).
set -euo pipefail

usage() {
  cat <<USAGE
usage: ${SBX_FUZZ_NAME}_run [--seconds N] [--minimize] [--workdir DIR] [--json FILE]
                            [--quiet] [-- LIBFUZZER_FLAG...]
  --seconds N   fuzz for N seconds (default 10; 0 = do not fuzz, e.g. only --minimize)
  --minimize    afterwards merge the work corpus into its smallest equivalent set
  --workdir DIR corpus and crashes go to DIR (default WORKSPACE/out/fuzz/${SBX_FUZZ_NAME})
  --json FILE   write this run's numbers as one JSON object
  --quiet       keep libFuzzer's output in DIR/last_run.log only
USAGE
}

seconds=10 minimize=0 workdir='' json='' quiet=0
extra=()
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --seconds=*) seconds=${1#*=}; shift ;;
    --minimize) minimize=1; shift ;;
    --workdir) workdir=$2; shift 2 ;;
    --json) json=$2; shift 2 ;;
    --quiet) quiet=1; shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ $seconds =~ ^[0-9]+$ ]] || { echo "--seconds takes a whole number" >&2; exit 2; }

if [[ $SBX_FUZZ_ENGINE != libfuzzer ]]; then
  cat >&2 <<GUIDE
${SBX_FUZZ_NAME}: this is the replay build of the target (made without --config=fuzz), which
can only replay files, not fuzz. Build and run the libFuzzer binary instead:
  bazel run --config=fuzz //fuzz:${SBX_FUZZ_NAME}_run -- --seconds ${seconds}
GUIDE
  exit 2
fi

# Runfiles: under `bazel run` the working directory; when run from bazel-bin, beside $0.
for root in "${RUNFILES_DIR:-/nonexistent}/sbx" "$0.runfiles/sbx" "$PWD"; do
  [[ -x $root/$SBX_FUZZ_BINARY ]] && break
done
[[ -x $root/$SBX_FUZZ_BINARY ]] || { echo "cannot find $SBX_FUZZ_BINARY in runfiles" >&2; exit 2; }
binary=$root/$SBX_FUZZ_BINARY
seeds=$root/$SBX_FUZZ_SEEDS

# The options file is OSS-Fuzz's format; the dictionary is passed by path instead.
flags=(-dict="$root/$SBX_FUZZ_DICT")
while IFS= read -r line; do
  [[ $line =~ ^([a-z_]+)[[:space:]]*=[[:space:]]*(.*[^[:space:]])[[:space:]]*$ ]] || continue
  [[ ${BASH_REMATCH[1]} == dict ]] && continue
  flags+=("-${BASH_REMATCH[1]}=${BASH_REMATCH[2]}")
done < <(sed -n '/^\[libfuzzer\]/,/^\[/p' "$root/$SBX_FUZZ_OPTIONS")

workdir=${workdir:-${BUILD_WORKSPACE_DIRECTORY:-$PWD}/out/fuzz/$SBX_FUZZ_NAME}
mkdir -p "$workdir/corpus" "$workdir/crashes"
workdir=$(cd "$workdir" && pwd)
count() { find "$1" -maxdepth 1 -type f ! -name '.*' | wc -l; }
corpus_before=$(count "$workdir/corpus")
crashes_before=$(count "$workdir/crashes")
log=$workdir/last_run.log
: >"$log"
touch "$workdir/crashes/.run_started"  # artifacts newer than this are this run's

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Coverage of the checked-in seeds alone: the baseline "new coverage" is measured against.
seed_log=$workdir/seeds.log
if ((seconds > 0)); then
  "$binary" "${flags[@]}" -runs=0 "$seeds" >"$seed_log" 2>&1 || true
else
  : >"$seed_log"
fi

status=0
samples=$workdir/exec_rate.json
echo '[]' >"$samples"
started=$(date +%s.%N)
if ((seconds > 0)); then
  # New entries go to the first directory only: the checked-in seeds stay read-only.
  cmd=("$binary" "${flags[@]}" -max_total_time="$seconds" -print_final_stats=1
    -artifact_prefix="$workdir/crashes/" "${extra[@]}" "$workdir/corpus" "$seeds")
  # exec_rate.py notes when each status line came, for the rate at the start and the end.
  record=(python3 "$root/$SBX_FUZZ_EXEC_RATE" record "$samples")
  if ((quiet)); then
    "${cmd[@]}" 2>&1 | "${record[@]}" >"$log" || status=${PIPESTATUS[0]}
  else
    "${cmd[@]}" 2>&1 | "${record[@]}" | tee "$log" || status=${PIPESTATUS[0]}
  fi
fi

elapsed=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

if skip=$(grep -a -m1 '^SKIPPED: ' "$log"); then
  echo "${SBX_FUZZ_NAME}: ${skip}"
  if [[ -n $json ]]; then
    reason=${skip#SKIPPED: }
    reason=${reason//\\/\\\\}
    reason=${reason//\"/\\\"}
    {
      printf '{"target": "%s", "skipped": true, "reason": "%s", ' "$SBX_FUZZ_NAME" "$reason"
      printf '"execs_per_sec": null, "coverage": null, "new_corpus_entries": 0, "crashes": 0, '
      printf '"exit_code": 0}\n'
    } >"$json"
  fi
  exit 0
fi

if ((minimize)); then
  merged=$workdir/corpus.merging
  rm -rf "$merged"
  mkdir "$merged"
  "$binary" "${flags[@]}" -merge=1 "${extra[@]}" "$merged" "$workdir/corpus" "$seeds" \
    >>"$log" 2>&1 || { echo "merge failed; see $log" >&2; exit 1; }
  # Merged files are named by the SHA-1 of their content; drop those the seeds already hold.
  while read -r sha _; do rm -f "$merged/$sha"; done < <(find "$seeds" -type f -exec sha1sum {} +)
  rm -rf "$workdir/corpus"
  mv "$merged" "$workdir/corpus"
fi

# libFuzzer's own numbers: INITED is the coverage of the corpus it loaded (seeds alone, or
# seeds plus earlier runs' finds), the last status line is where it ended.
field() { grep -o "$1 [0-9]*" <<<"$2" | tail -n1 | awk '{print $2}'; }
seeded=$(grep -a 'INITED' "$seed_log" | tail -n1 || true)
inited=$(grep -a 'INITED' "$log" | tail -n1 || true)
last=$(grep -a -E '^#[0-9]+.* cov: ' "$log" | tail -n1 || true)
stat() { grep -a -o "stat::$1: *[0-9]*" "$log" | tail -n1 | awk '{print $2}'; }
execs=$(stat number_of_executed_units || true)
rate=$(stat average_exec_per_sec || true)
covs=$(field cov: "$seeded") fts=$(field ft: "$seeded")
cov0=$(field cov: "$inited") ft0=$(field ft: "$inited")
cov1=$(field cov: "$last") ft1=$(field ft: "$last")
new_entries=$(($(count "$workdir/corpus") - corpus_before))
new_crashes=$(($(count "$workdir/crashes") - crashes_before))

# libFuzzer's average is 0 when it stops within its first second (e.g. on a crash).
if [[ -n $execs && ${rate:-0} == 0 ]]; then
  rate=$(awk -v n="$execs" -v t="$elapsed" 'BEGIN { printf "%d", (t > 0) ? n / t : 0 }')
fi
# The rate over the first and the last 30 s of fuzzing (half the run when shorter).
rates=$(python3 "$root/$SBX_FUZZ_EXEC_RATE" summarize "$samples" --window 30)
rate_field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("null" if v is None else v)' "$rates" "$1"; }
rate_start=$(rate_field start_rate) rate_end=$(rate_field end_rate)
rate_window=$(rate_field window_seconds) rate_ratio=$(rate_field ratio)
rate_steady=$(rate_field steady_rate)
summary="${SBX_FUZZ_NAME}: ${execs:-0} execs in ${elapsed}s (${rate:-0}/s; "
summary+="${rate_start}/s in the first ${rate_window}s, ${rate_end}/s in the last, "
summary+="steady state after 30 s: ${rate_steady}/s); "
summary+="cov seeds ${covs:-?}, start ${cov0:-?} -> end ${cov1:-?}; "
summary+="ft seeds ${fts:-?}, start ${ft0:-?} -> end ${ft1:-?}; "
summary+="${new_entries} new corpus entries; ${new_crashes} crashes"
echo "$summary"
if ((minimize)); then echo "${SBX_FUZZ_NAME}: minimised corpus: $(count "$workdir/corpus") entries"; fi

if [[ -n $json ]]; then
  n() { echo "${1:-null}"; }
  {
    printf '{"target": "%s", "skipped": false, "seconds": %s, ' "$SBX_FUZZ_NAME" "$elapsed"
    printf '"executions": %s, "execs_per_sec": %s, ' "$(n "$execs")" "$(n "$rate")"
    printf '"rate": {"window_seconds": %s, "start": %s, "end": %s, "end_over_start": %s, ' \
      "$rate_window" "$rate_start" "$rate_end" "$rate_ratio"
    printf '"steady_after_30s": %s}, ' "$rate_steady"
    printf '"coverage": {"cov_seeds": %s, "cov_start": %s, "cov_end": %s, ' \
      "$(n "$covs")" "$(n "$cov0")" "$(n "$cov1")"
    printf '"ft_seeds": %s, "ft_start": %s, "ft_end": %s}, ' "$(n "$fts")" "$(n "$ft0")" "$(n "$ft1")"
    printf '"new_corpus_entries": %s, "crashes": %s, "exit_code": %s, "log": "%s"}\n' \
      "$new_entries" "$new_crashes" "$status" "$log"
  } >"$json"
fi

if ((status != 0 || new_crashes > 0)); then
  echo "${SBX_FUZZ_NAME}: FOUND A FAILURE (exit $status). Artifacts in $workdir/crashes/:" >&2
  find "$workdir/crashes" -type f -newer "$workdir/crashes/.run_started" -printf '  %f\n' | head -n 5 >&2
  cat >&2 <<HOW
Reproduce:  bazel build --config=fuzz //fuzz:${SBX_FUZZ_NAME}_fuzzer &&
            \$(bazel info --config=fuzz bazel-bin)/fuzz/${SBX_FUZZ_NAME}_fuzzer CRASH_FILE
Keep it:    cp CRASH_FILE ${SBX_FUZZ_CRASHES}/ (replayed by the regression test)
HOW
  exit $((status != 0 ? status : 1))
fi
