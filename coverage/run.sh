#!/usr/bin/env bash
# `./harness coverage`: the coverage of sandbox/ by every suite that runs it. Builds with
# --config=coverage (clang's source-based coverage), runs each suite with
# LLVM_PROFILE_FILE pointing into out/coverage/profiles/SUITE/ (the VM runner brings the
# guests' profiles back there), then coverage/merge.py writes out/coverage/: summary.txt and
# summary.json (per file and per suite: lines, branches, functions; the union; the lines
# only one suite reaches), lcov.info, cobertura.xml and html/index.html. Last, the ratchet
# (coverage/ratchet.py against coverage/floor.tsv), judged only when every suite ran, and
# the union's line and branch coverage of sandbox/ as the closing line.
#
# Usage: coverage/run.sh [--suite NAME]... [--exclude LABEL]... [--keep-profiles]
#                        [--update-floor] [--margin POINTS] [--out DIR]
#   suites: unit, host, vm, fuzz (the fuzzers' corpora and crash inputs replayed),
#     conformance (sbx runs of the conformance suite); default all
#   --exclude LABEL: leave a test target out (e.g. to see what only it reaches, or that
#     the ratchet catches a deleted test)
#   --keep-profiles: keep the last run's profiles of the suites not run now and merge them
#     too (rerun one suite after a change without the VM matrix)
#   --update-floor: raise coverage/floor.tsv where this run reached more (never lowers)
# Exit status: 1 when the ratchet fails, a suite failed, or no profile came back.
# Env: BAZEL (default bazel); SBX_VM_ACCEL, SBX_VM_KERNEL reach the VM tests.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
read -ra bazel <<<"${BAZEL:-bazel}"
out=out/coverage
suites=()
excludes=()
update=()
keep=0
margin=1.0
while (($#)); do
  case $1 in
    --suite) suites+=("${2:?--suite needs a name}"); shift 2 ;;
    --exclude) excludes+=("${2:?--exclude needs a label}"); shift 2 ;;
    --update-floor) update=(--update); shift ;;
    --keep-profiles) keep=1; shift ;;
    --margin) margin=${2:?--margin needs a number}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "coverage: unknown argument $1" >&2; exit 2 ;;
  esac
done
all=(unit host vm fuzz conformance)
((${#suites[@]})) || suites=("${all[@]}")

# //... spelled out as the workspace's own top-level folders: with another output base, the
# convenience links of others (bazel-bin, bazel-fuzz-main, ...) would be loaded as packages.
everything=(//:all)
for dir in */; do
  dir=${dir%/}
  if [[ ! -L $dir && $dir != out && -n $(find "$dir" -name 'BUILD*' -print -quit) ]]; then
    everything+=("//$dir/...")
  fi
done

# The tests of each suite: tag filter, then target patterns.
suite_args() {
  case $1 in
    unit) echo "--test_tag_filters=-no-sandbox,-vm,-conformance -- ${everything[*]} -//fuzz/..." ;;
    host) echo "--test_tag_filters=no-sandbox,-vm,-conformance -- ${everything[*]} -//fuzz/..." ;;
    vm) echo "--test_tag_filters=vm -- ${everything[*]}" ;;
    fuzz) echo "--test_tag_filters=-vm -- //fuzz/..." ;;
    conformance) echo "--test_tag_filters=conformance -- ${everything[*]}" ;;
    *) echo "coverage: unknown suite $1 (${all[*]})" >&2; return 2 ;;
  esac
}
for suite in "${suites[@]}"; do suite_args "$suite" >/dev/null; done

started=$SECONDS
elapsed() { printf '%dm%02ds' $(((SECONDS - started) / 60)) $(((SECONDS - started) % 60)); }
if ((keep)); then
  for suite in "${suites[@]}"; do rm -rf "${out:?}/profiles/$suite"; done
  find "$out" -mindepth 1 -maxdepth 1 ! -name profiles ! -name logs -exec rm -rf {} +
else
  rm -rf "$out"
fi
mkdir -p "$out/profiles" "$out/logs"
chmod 0755 "$out"
status=0
ran=()
k=0
for suite in "${suites[@]}"; do
  k=$((k + 1))
  dir=$PWD/$out/profiles/$suite
  # Anyone may write: rootless suites run as nobody, the conformance adapter as 30100.
  mkdir -p "$dir"
  chmod 1777 "$dir"
  read -ra args <<<"$(suite_args "$suite")"
  echo "== coverage [$k/${#suites[@]}] $suite: bazel test --config=coverage ${args[*]} ${excludes[*]}  (elapsed $(elapsed))"
  rc=0
  # %c: continuous mode (counters kept in the file as they change); %p-%m: one file per
  # process, merged safely if a pid comes back for the same binary.
  "${bazel[@]}" test --config=ci --config=coverage --cache_test_results=no --build_tests_only \
    "--test_env=LLVM_PROFILE_FILE=$dir/%c%p-%m.profraw" "${args[@]}" "${excludes[@]/#/-}" \
    >"$out/logs/$suite.log" 2>&1 || rc=$?
  grep -E '^(//|Executed|ERROR)' "$out/logs/$suite.log" | grep -v ' PASSED in ' || true
  count=$(find "$dir" -name '*.profraw' | wc -l)
  echo "== coverage [$k/${#suites[@]}] $suite: bazel exit $rc, $count profiles  (elapsed $(elapsed))"
  # 4: no test target matched (e.g. every test excluded): not a failure of the suite.
  if ((rc != 0 && rc != 4)); then status=1; fi
  ran+=("$suite")
done
if ((keep)); then
  for suite in "${all[@]}"; do
    if [[ " ${ran[*]} " != *" $suite "* && -d $out/profiles/$suite ]]; then
      echo "== coverage: $suite: the last run's profiles, kept (--keep-profiles)"
      ran+=("$suite")
    fi
  done
fi

# The instrumented binaries: every cc_test and cc_binary, and the shared libraries of
# sandbox/ that fastbuild's tests link, whose output has a coverage map.
bin=$("${bazel[@]}" info --config=coverage bazel-bin 2>/dev/null)
{
  "${bazel[@]}" query --noshow_progress \
    "kind('cc_(test|binary)', $(printf ' + %s' "${everything[@]}" | cut -c4-))" 2>/dev/null |
    sed "s|^//|$bin/|; s|:|/|"
  find "$bin/sandbox" -name '*.so' -not -path '*.runfiles*'
} | while read -r file; do
  if [[ -f $file ]] && llvm-readelf-14 -S "$file" 2>/dev/null | grep __llvm_covmap >/dev/null; then
    echo "$file"
  fi
done >"$out/binaries.txt"
echo "== coverage: merging ($(wc -l <"$out/binaries.txt") instrumented binaries; elapsed $(elapsed))"
/usr/bin/python3 -B coverage/merge.py --profiles "$out/profiles" --out "$out" \
  --binaries "$out/binaries.txt" --suites-ran "$(IFS=,; echo "${ran[*]}")" || status=1

if [[ -f $out/summary.json ]]; then
  missing=()
  for suite in "${all[@]}"; do
    [[ " ${ran[*]} " == *" $suite "* ]] || missing+=("$suite")
  done
  if ((${#missing[@]} == 0)); then
    /usr/bin/python3 -B coverage/ratchet.py --summary "$out/summary.json" \
      --floor coverage/floor.tsv --margin "$margin" --json "$out/ratchet.json" \
      "${update[@]}" || status=1
  else
    echo "ratchet: not judged: ${missing[*]} did not run (the floor is of every suite)"
    echo '{"verdict": "not judged"}' >"$out/ratchet.json"
  fi
  echo "coverage: $out/html/index.html, $out/lcov.info, $out/cobertura.xml, $out/summary.txt  ($(elapsed))"
  /usr/bin/python3 -B -c '
import json, sys
t = json.load(open(sys.argv[1]))["union"]["total"]
p = lambda k: "%d/%d (%.1f%%)" % (t[k][0], t[k][1], 100.0 * t[k][0] / t[k][1] if t[k][1] else 100)
print("coverage of sandbox/, union of %s: lines %s, branches %s" % (sys.argv[2], p("lines"), p("branches")))
' "$out/summary.json" "$(IFS=,; echo "${ran[*]}")"
fi
exit "$status"
