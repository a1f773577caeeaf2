#!/usr/bin/env bash
# Checks one target's OSS-Fuzz packaging: the zip holds exactly the seeds, byte for byte; the
# dictionary and options are the checked-in ones; the options name the dictionary.
#
# Usage: package_test.sh NAME ZIP DICT OPTIONS SRC_DICT SRC_OPTIONS SEED...
set -euo pipefail

name=$1 zip=$2 dict=$3 options=$4 src_dict=$5 src_options=$6
shift 6
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

[[ $(basename "$zip") == "${name}_seed_corpus.zip" ]] || fail "zip is named $(basename "$zip")"
[[ $(basename "$dict") == "$name.dict" ]] || fail "dict is named $(basename "$dict")"
[[ $(basename "$options") == "$name.options" ]] || fail "options is named $(basename "$options")"

expected=$(for seed in "$@"; do basename "$seed"; done | LC_ALL=C sort)
listed=$(unzip -Z1 "$zip" | LC_ALL=C sort)
[[ $listed == "$expected" ]] || fail "zip lists other files than the seeds:
$(diff <(echo "$expected") <(echo "$listed") || true)"

work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/package.XXXXXX")
unzip -q "$zip" -d "$work"
for seed in "$@"; do
  cmp -s "$seed" "$work/$(basename "$seed")" || fail "zip holds another $(basename "$seed")"
done

cmp -s "$src_dict" "$dict" || fail "$name.dict differs from $src_dict"
cmp -s "$src_options" "$options" || fail "$name.options differs from $src_options"
[[ $(head -n1 "$options") == "[libfuzzer]" ]] || fail "$name.options lacks [libfuzzer]"
grep -qx "dict = $name.dict" "$options" || fail "$name.options does not name $name.dict"
grep -q '^"' "$dict" || fail "$name.dict holds no tokens"
echo "PASS: $name packaging ($# seeds)"
