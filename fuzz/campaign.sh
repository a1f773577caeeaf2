#!/usr/bin/env bash
# `./harness fuzz --campaign DURATION [TARGET...]`: a fuzzing campaign for bugs per CPU
# minute. Each target (default: every one but the demos and planted bugs) gets an equal
# share of DURATION (600, 10m, 1h) with the throughput build (fuzz/throughput_flags: no
# ASan/UBSan, 2.8-4.5x the executions) on every core (libFuzzer -fork=JOBS, crashes
# collected, not stopping). Then every new corpus entry and every crash is replayed through
# the ASan+UBSan build (--config=fuzz): what fails there is kept in
# out/fuzz/campaign/NAME/crashes/ with its stack (FILE.stack). Last, the entries that pass
# are merged (-merge=1: only those adding coverage) into the checked-in fuzz/NAME/corpus/,
# left for review as a git change. Writes out/fuzz/campaign.json; exits 1 if any crash
# reproduces under the sanitizers.
#
# Usage: fuzz/campaign.sh DURATION [--jobs N] [TARGET...]   (env BAZEL, default bazel)
set -euo pipefail

bazel=${BAZEL:-bazel}
duration='' jobs=$(nproc) targets=()
while (($#)); do
  case $1 in
    --jobs) jobs=$2; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "campaign.sh: unknown flag $1" >&2; exit 2 ;;
    *) if [[ -z $duration ]]; then duration=$1; else targets+=("$1"); fi; shift ;;
  esac
done
case $duration in
  *h) total=$((${duration%h} * 3600)) ;; *m) total=$((${duration%m} * 60)) ;;
  *s) total=${duration%s} ;; *) total=$duration ;;
esac
[[ $total =~ ^[1-9][0-9]*$ ]] || { echo "campaign.sh: DURATION like 600, 10m or 1h" >&2; exit 2; }

workspace=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$workspace"
mapfile -t fast < <(grep -v '^#' fuzz/throughput_flags)
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <("$bazel" query --noshow_progress \
    'attr(tags, "\bsbx_fuzz_launcher\b", //fuzz:all) except attr(tags, "\bsbx_fuzz_demo\b", //fuzz:all)' \
    2>/dev/null | sed 's|^//fuzz:||; s|_run$||' | sort)
fi
share=$((total / ${#targets[@]}))
((share > 0)) || { echo "campaign.sh: DURATION below one second per target" >&2; exit 2; }
binaries=("${targets[@]/#///fuzz:}")
binaries=("${binaries[@]/%/_fuzzer}")

echo "== building ${#targets[@]} targets twice: throughput build and ASan+UBSan build"
"$bazel" build "${fast[@]}" "${binaries[@]}"
fast_bin=$("$bazel" info "${fast[@]}" bazel-bin 2>/dev/null)
"$bazel" build --config=fuzz "${binaries[@]}"
san_bin=$("$bazel" info --config=fuzz bazel-bin 2>/dev/null)

out=$workspace/out/fuzz/campaign
mkdir -p "$out"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
records=()
reproduced_total=0
for name in "${targets[@]}"; do
  dir=$out/$name
  seeds=fuzz/$name/corpus
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/found" "$dir/crashes"
  max_len=$(sed -n 's/^max_len *= *//p' "fuzz/$name/$name.options")
  flags=(-dict="fuzz/$name/$name.dict" -max_len="$max_len")
  echo "== $name: ${share}s on $jobs cores (throughput build, -fork=$jobs)"
  started=$(date +%s.%N)
  # Fork mode prints a status line per finished job: that is the progress shown.
  "$fast_bin/fuzz/${name}_fuzzer" "${flags[@]}" -fork="$jobs" -ignore_crashes=1 \
    -max_total_time="$share" -artifact_prefix="$dir/found/" "$dir/corpus" "$seeds" 2>&1 |
    tee "$dir/fuzz.log" | grep --line-buffered -aE '^#[0-9]+: cov' | awk 'NR % 10 == 1' || true
  took=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  execs=$(grep -aoE '^#[0-9]+: cov' "$dir/fuzz.log" | tail -n1 | tr -dc '0-9')
  if grep -qa '^SKIPPED: ' "$dir/fuzz.log"; then
    echo "   $(grep -a -m1 '^SKIPPED: ' "$dir/fuzz.log")"
    records+=("$(printf '{"target": "%s", "skipped": true}' "$name")")
    continue
  fi

  found=$(find "$dir/found" -maxdepth 1 -type f | wc -l)
  # Replay through the sanitizer build, one file after another ("Running: FILE"); a file it
  # fails on is kept with its stack and the rest go on.
  mapfile -t pending < <(find "$dir/corpus" "$dir/found" -maxdepth 1 -type f | sort)
  replayed=${#pending[@]} reproduced=0
  while ((${#pending[@]})); do
    if "$san_bin/fuzz/${name}_fuzzer" "${pending[@]}" >"$dir/replay.log" 2>&1; then break; fi
    bad=$(grep -a '^Running: ' "$dir/replay.log" | tail -n1 | sed 's/^Running: //')
    [[ -n $bad ]] || { echo "   replay failed before any input; see $dir/replay.log" >&2; exit 1; }
    kept=$dir/crashes/$(basename "$bad")
    mv "$bad" "$kept"
    cp "$dir/replay.log" "$kept.stack"
    reproduced=$((reproduced + 1))
    echo "   REPRODUCES under ASan+UBSan: $kept (stack in $kept.stack)"
    for i in "${!pending[@]}"; do [[ ${pending[i]} == "$bad" ]] && unset 'pending[i]'; done
    pending=("${pending[@]}")
  done
  not_reproduced=$(find "$dir/found" -maxdepth 1 -type f | wc -l)
  reproduced_total=$((reproduced_total + reproduced))

  # Merge into the checked-in seeds: only what adds coverage is copied in (named by SHA-1).
  before=$(find "$seeds" -type f | wc -l)
  "$fast_bin/fuzz/${name}_fuzzer" "${flags[@]}" -merge=1 "$seeds" "$dir/corpus" \
    >"$dir/merge.log" 2>&1 || { echo "   merge failed; see $dir/merge.log" >&2; exit 1; }
  added=$(($(find "$seeds" -type f | wc -l) - before))
  echo "   ${execs:-?} executions in ${took}s; $(find "$dir/corpus" -type f | wc -l) new corpus" \
    "entries, ${found} crash inputs; replayed ${replayed} through ASan+UBSan: ${reproduced}" \
    "fail there${not_reproduced:+ (${not_reproduced} crash inputs did not reproduce)}; merged" \
    "${added} entries into $seeds"
  records+=("$(printf '{"target": "%s", "skipped": false, "seconds": %s, "executions": %s, "jobs": %s, "new_corpus_entries": %s, "crash_inputs": %s, "replayed": %s, "reproduced_under_sanitizers": %s, "not_reproduced": %s, "merged_into_seeds": %s}' \
    "$name" "$took" "${execs:-null}" "$jobs" "$(find "$dir/corpus" -type f | wc -l)" "$found" \
    "$replayed" "$reproduced" "$not_reproduced" "$added")")
done

printf '%s\n' "${records[@]}" | python3 -c '
import datetime, json, sys
targets = [json.loads(l) for l in sys.stdin if l.strip()]
json.dump({"finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "duration_seconds": int(sys.argv[2]), "targets": targets}, open(sys.argv[1], "w"), indent=2)
' "$out.json" "$total"
echo
echo "== corpus change for review (git status of fuzz/*/corpus):"
git status --short --untracked-files=all -- "${targets[@]/#/fuzz/}" | grep '/corpus/' |
  awk '{ split($2, p, "/"); n[p[2]]++ } END { for (t in n) printf "   %s: %d new seed files\n", t, n[t] }'
echo "   review: git status fuzz/*/corpus; keep: git add fuzz/NAME/corpus; drop: git clean -n fuzz/NAME/corpus"
if ((reproduced_total)); then
  echo "REPLAY VERDICT: $reproduced_total input(s) fail under ASan+UBSan; kept with stacks in out/fuzz/campaign/*/crashes/" >&2
  exit 1
fi
echo "REPLAY VERDICT: every new corpus entry and crash input passes under ASan+UBSan (details in $out.json)"
