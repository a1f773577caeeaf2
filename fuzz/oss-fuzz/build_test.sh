#!/usr/bin/env bash
# Runs build.sh the way OSS-Fuzz does (fresh $OUT, libFuzzer as $LIB_FUZZING_ENGINE, clang
# from this machine instead of the builder image's) and checks $OUT: exactly the expected
# fuzzers, each with its seed zip, dictionary and options, and each fuzzer replays its
# unpacked seed corpus cleanly under libFuzzer (-runs=0).
#
# Usage: build_test.sh TARGET...   (from the runfiles root)
set -euo pipefail

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/oss-fuzz.XXXXXX")
export OUT=$tmp/out WORK=$tmp/work SBX_SRC=$PWD
export CXX=${CXX:-clang++} CXXFLAGS=${CXXFLAGS:--O1 -fsanitize=fuzzer-no-link}
export LIB_FUZZING_ENGINE=-fsanitize=fuzzer
fuzz/oss-fuzz/build.sh >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; fail "build.sh failed"; }

built=$(find "$OUT" -maxdepth 1 -type f -perm -u+x -printf '%f\n' | sort)
expected=$(printf '%s\n' "$@" | sort)
[[ $built == "$expected" ]] || fail "build.sh made [${built//$'\n'/ }], expected [${expected//$'\n'/ }]"

for name in "$@"; do
  for file in "${name}_seed_corpus.zip" "$name.dict" "$name.options"; do
    [[ -s $OUT/$file ]] || fail "$OUT/$file is missing or empty"
  done
  seeds=$tmp/seeds/$name
  mkdir -p "$seeds"
  unzip -q "$OUT/${name}_seed_corpus.zip" -d "$seeds"
  n=$(find "$seeds" -type f | wc -l)
  ((n > 0)) || fail "$name: empty seed zip"
  "$OUT/$name" -runs=0 "$seeds" >"$tmp/$name.log" 2>&1 || {
    tail -n 30 "$tmp/$name.log" >&2
    fail "$name does not replay its seeds"
  }
  grep -q 'INITED' "$tmp/$name.log" || fail "$name did not start libFuzzer"
  echo "ok: $name ($n seeds)"
done
echo "PASS: OSS-Fuzz build of $# fuzzers"
